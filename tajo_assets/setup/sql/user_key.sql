-- The public key of {public_key_file_comment}, fingerprint {fingerprint}
-- (DESC USER {user_comment} shows it as RSA_PUBLIC_KEY_FP).
ALTER USER {user} SET RSA_PUBLIC_KEY = '{public_key}';
