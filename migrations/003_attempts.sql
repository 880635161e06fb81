-- Attempts, follow-ups and call costs, for Supabase (SQL editor) or any PostgreSQL server.
-- Run after 001_init.sql (and 002, when present). Idempotent: every statement only adds what
-- is missing, so running it twice changes nothing.

-- A job's follow-up schedule: minutes after a busy or unanswered call (NULL: the default).
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS followup_minutes JSONB;

-- The provider row shows its latest attempt; earlier ones move to call_attempts.
ALTER TABLE providers ADD COLUMN IF NOT EXISTS attempt            INTEGER;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS attempt_reason     TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS duration_seconds   NUMERIC(10, 1);
ALTER TABLE providers ADD COLUMN IF NOT EXISTS cost               NUMERIC(12, 4);
ALTER TABLE providers ADD COLUMN IF NOT EXISTS callback_requested BOOLEAN;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS next_attempt_at    TIMESTAMPTZ;
UPDATE providers SET attempt = 1 WHERE attempt IS NULL;

-- A provider who does not do the job ends `declined` (and a canceled call `canceled`, 002).
ALTER TABLE providers DROP CONSTRAINT IF EXISTS providers_outcome_check;
ALTER TABLE providers ADD CONSTRAINT providers_outcome_check
    CHECK (outcome IS NULL OR outcome IN
           ('agreed', 'no_agreement', 'no_answer', 'busy', 'voicemail', 'dial_error', 'error',
            'canceled', 'declined'));

CREATE TABLE IF NOT EXISTS call_attempts (
    id                 TEXT PRIMARY KEY,
    provider_id        BIGINT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    job_id             TEXT NOT NULL,
    attempt            INTEGER NOT NULL,
    attempt_reason     TEXT,
    call_status        TEXT NOT NULL,
    outcome            TEXT,
    failure_reason     TEXT,
    negotiated_price   NUMERIC(10, 2),
    minimum_quote      NUMERIC(10, 2),
    conditions         TEXT,
    call_sid           TEXT,
    call_transcript    TEXT,
    transcript_turns   JSONB NOT NULL DEFAULT '[]'::jsonb,
    dialed_at          TIMESTAMPTZ,
    answered_at        TIMESTAMPTZ,
    ended_at           TIMESTAMPTZ,
    duration_seconds   NUMERIC(10, 1),
    cost               NUMERIC(12, 4),
    callback_requested BOOLEAN,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_call_attempts_job_id   ON call_attempts (job_id);
CREATE INDEX IF NOT EXISTS idx_call_attempts_ended_at ON call_attempts (ended_at);
CREATE INDEX IF NOT EXISTS idx_providers_ended_at     ON providers (ended_at);
CREATE INDEX IF NOT EXISTS idx_providers_next_attempt_at ON providers (next_attempt_at);

-- Row-level security as for the other tables: service role only.
ALTER TABLE call_attempts ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    role_name TEXT;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('REVOKE ALL ON call_attempts FROM %I', role_name);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON call_attempts TO service_role;
    END IF;
END
$$;
