-- The ML scores as an outside job left them: how many rows, and the latest
-- SCORE_DATE (the day the scores describe). One cheap statement per observation.
SELECT COUNT(*) AS ROW_COUNT, MAX(SCORE_DATE) AS LATEST_SCORE_DATE
FROM {customer_scores};
