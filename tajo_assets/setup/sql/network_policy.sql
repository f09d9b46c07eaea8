-- 7. Sign-in only from these addresses. From now on the user is refused from
-- anywhere else, including a laptop running `tajo doctor`.
CREATE NETWORK POLICY IF NOT EXISTS {policy} ALLOWED_IP_LIST = ({addresses})
  COMMENT = 'tajo-assets';
ALTER NETWORK POLICY {policy} SET ALLOWED_IP_LIST = ({addresses});
ALTER USER {user} SET NETWORK_POLICY = {policy};
