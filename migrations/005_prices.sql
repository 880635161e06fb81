-- Issue 12: prices a homeowner can trust. Idempotent: safe to run again.
--
-- providers.price_confidence: how sure the price reader is of each figure,
--   {"agreed_price": "high" | "medium" | "low" | null, "first_quote": ...};
-- providers.price_notes: why, in a few words ("confirmation not heard");
-- jobs/providers.context_pairs: the homeowner's answers as [{question, answer}] pairs, which
--   replace the flat context_answers string (kept, for readers of the original's column).

ALTER TABLE providers ADD COLUMN IF NOT EXISTS price_confidence JSONB;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS price_notes      TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS context_pairs    JSONB;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS context_pairs    JSONB;

-- The old string, migrated: a job's answers are exact in its questions and clarifications
-- ({id: answer}); the service migrates a row it still finds without pairs when it reads it.
UPDATE jobs AS j
SET context_pairs = COALESCE((
    SELECT jsonb_agg(
        jsonb_build_object('question', q->>'question', 'answer', j.clarifications->>(q->>'id'))
        ORDER BY ordinality
    )
    FROM jsonb_array_elements(j.questions) WITH ORDINALITY AS asked(q, ordinality)
    WHERE COALESCE(btrim(j.clarifications->>(q->>'id')), '') <> ''
), '[]'::jsonb)
WHERE j.context_pairs IS NULL AND j.clarifications <> '{}'::jsonb;

UPDATE providers AS p
SET context_pairs = j.context_pairs
FROM jobs AS j
WHERE p.job_id = j.id AND p.context_pairs IS NULL AND j.context_pairs IS NOT NULL
  AND p.call_status = 'pending';
