-- Haggle schema for Supabase (SQL editor) or any PostgreSQL server.
-- Safe to run on a fresh database and on the original project's `providers` table: every
-- statement is idempotent and only adds what is missing.
--
-- Row-level security is on and no policy grants the anonymous or authenticated roles anything:
-- the services use the service-role key (server side only), which bypasses RLS. Never ship the
-- service-role key to a browser.

CREATE TABLE IF NOT EXISTS jobs (
    id              TEXT PRIMARY KEY,
    problem         TEXT NOT NULL,
    zip_code        TEXT NOT NULL,
    max_price       NUMERIC(10, 2),
    house_address   TEXT,
    date_needed     TEXT,
    context_answers TEXT,
    original_query  TEXT,
    task            TEXT,
    questions       JSONB NOT NULL DEFAULT '[]'::jsonb,
    clarifications  JSONB NOT NULL DEFAULT '{}'::jsonb,
    status          TEXT NOT NULL DEFAULT 'ready_for_search',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The original's table.
CREATE TABLE IF NOT EXISTS providers (
    id               BIGSERIAL PRIMARY KEY,
    job_id           TEXT NOT NULL,
    service_provider TEXT NOT NULL,
    phone_number     TEXT NOT NULL,
    context_answers  TEXT,
    house_address    TEXT,
    zip_code         TEXT,
    max_price        NUMERIC(10, 2),
    problem          TEXT,
    minimum_quote    NUMERIC(10, 2),
    negotiated_price NUMERIC(10, 2),
    call_status      TEXT NOT NULL DEFAULT 'pending',
    call_transcript  TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Columns the original lacked (or added by hand), and those the call lifecycle needs.
ALTER TABLE providers ADD COLUMN IF NOT EXISTS problem          TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS house_address    TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS minimum_quote    NUMERIC(10, 2);
ALTER TABLE providers ADD COLUMN IF NOT EXISTS negotiated_price NUMERIC(10, 2);
ALTER TABLE providers ADD COLUMN IF NOT EXISTS call_status      TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE providers ADD COLUMN IF NOT EXISTS call_transcript  TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS outcome          TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS failure_reason   TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS conditions       TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS call_sid         TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS transcript_turns JSONB NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS queued_at        TIMESTAMPTZ;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS claimed_by       TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS lease_expires_at TIMESTAMPTZ;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS dialed_at        TIMESTAMPTZ;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS answered_at      TIMESTAMPTZ;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS ended_at         TIMESTAMPTZ;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS updated_at       TIMESTAMPTZ;

-- The original allowed four states; `dialing` sits between queueing and answer.
ALTER TABLE providers DROP CONSTRAINT IF EXISTS providers_call_status_check;
ALTER TABLE providers ADD CONSTRAINT providers_call_status_check
    CHECK (call_status IN ('pending', 'dialing', 'in_progress', 'completed', 'failed'));
ALTER TABLE providers DROP CONSTRAINT IF EXISTS providers_outcome_check;
ALTER TABLE providers ADD CONSTRAINT providers_outcome_check
    CHECK (outcome IS NULL OR outcome IN
           ('agreed', 'no_agreement', 'no_answer', 'busy', 'voicemail', 'dial_error', 'error'));

-- Providers belong to a job. NOT VALID: rows of the original (whose jobs lived only in
-- memory) stay readable; every new row is checked.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'providers_job_id_fkey') THEN
        ALTER TABLE providers ADD CONSTRAINT providers_job_id_fkey
            FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE NOT VALID;
    END IF;
END
$$;

CREATE INDEX IF NOT EXISTS idx_providers_job_id      ON providers (job_id);
CREATE INDEX IF NOT EXISTS idx_providers_call_status ON providers (call_status);
CREATE INDEX IF NOT EXISTS idx_providers_call_sid    ON providers (call_sid);
CREATE INDEX IF NOT EXISTS idx_jobs_created_at       ON jobs (created_at);

-- Row-level security: on, with no policy for anon or authenticated (deny by default). The
-- original's "Allow all operations for anon users" policy is dropped if present.
ALTER TABLE jobs      ENABLE ROW LEVEL SECURITY;
ALTER TABLE providers ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS "Allow all operations for anon users" ON providers;

DO $$
DECLARE
    role_name TEXT;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('REVOKE ALL ON jobs, providers FROM %I', role_name);
            EXECUTE format('REVOKE ALL ON SEQUENCE providers_id_seq FROM %I', role_name);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON jobs, providers TO service_role;
        GRANT USAGE, SELECT ON SEQUENCE providers_id_seq TO service_role;
    END IF;
END
$$;
