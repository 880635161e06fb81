-- Haggle: accounts, API keys, the do-not-call list, ownership of jobs and the dialing
-- guardrails' columns. Run after 001_init.sql (Supabase SQL editor or psql). Idempotent: safe to
-- run again, and on a database the services already upgraded themselves.
--
-- Ownership: a job and its providers carry the `account_id` of the account that created them.
-- The services use the service-role key (server side only) and enforce ownership themselves;
-- the row-level security policies below say the same for anyone who connects with a user's
-- token (Supabase Auth: `auth.uid()` is the account id), who then reads and changes only their
-- own jobs, providers and do-not-call entries, and never users or keys.

ALTER TABLE jobs      ADD COLUMN IF NOT EXISTS account_id TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS account_id TEXT;
ALTER TABLE providers ADD COLUMN IF NOT EXISTS not_before TIMESTAMPTZ;

-- A call can now end `canceled` (POST /api/jobs/{id}/cancel).
ALTER TABLE providers DROP CONSTRAINT IF EXISTS providers_outcome_check;
ALTER TABLE providers ADD CONSTRAINT providers_outcome_check
    CHECK (outcome IS NULL OR outcome IN
           ('agreed', 'no_agreement', 'no_answer', 'busy', 'voicemail', 'dial_error', 'error',
            'canceled'));

-- One number once per job. Copies an older version let in and never called are dropped
-- first (the first row of each number stays); called duplicates make this fail, loudly.
DELETE FROM providers AS p
 WHERE p.call_status = 'pending' AND p.queued_at IS NULL
   AND EXISTS (SELECT 1 FROM providers AS o
                WHERE o.job_id = p.job_id AND o.phone_number = p.phone_number AND o.id < p.id);
CREATE UNIQUE INDEX IF NOT EXISTS uq_providers_job_phone ON providers (job_id, phone_number);

CREATE TABLE IF NOT EXISTS users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    disabled_at   TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS api_keys (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    CONSTRAINT api_keys_kind_check CHECK (kind IN ('api', 'session'))
);

CREATE TABLE IF NOT EXISTS do_not_call (
    id           TEXT PRIMARY KEY,
    phone_number TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    source       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT do_not_call_source_check CHECK (source IN ('account', 'callee'))
);

CREATE INDEX IF NOT EXISTS idx_providers_account_dialed ON providers (account_id, dialed_at);
CREATE INDEX IF NOT EXISTS idx_jobs_account_id          ON jobs (account_id);
CREATE INDEX IF NOT EXISTS idx_api_keys_user_id         ON api_keys (user_id);
CREATE INDEX IF NOT EXISTS idx_do_not_call_phone        ON do_not_call (phone_number);

ALTER TABLE users       ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys    ENABLE ROW LEVEL SECURITY;
ALTER TABLE do_not_call ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    role_name TEXT;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('REVOKE ALL ON users, api_keys, do_not_call FROM %I', role_name);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON users, api_keys, do_not_call TO service_role;
    END IF;
    -- A user's own token (Supabase Auth) reaches only that account's rows. Users and keys stay
    -- with the service role alone.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated')
       AND EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'auth' AND p.proname = 'uid') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON jobs, providers TO authenticated;
        GRANT SELECT, INSERT, DELETE ON do_not_call TO authenticated;
        GRANT USAGE, SELECT ON SEQUENCE providers_id_seq TO authenticated;
        DROP POLICY IF EXISTS jobs_owner ON jobs;
        CREATE POLICY jobs_owner ON jobs FOR ALL TO authenticated
            USING (account_id = (SELECT auth.uid())::text)
            WITH CHECK (account_id = (SELECT auth.uid())::text);
        DROP POLICY IF EXISTS providers_owner ON providers;
        CREATE POLICY providers_owner ON providers FOR ALL TO authenticated
            USING (account_id = (SELECT auth.uid())::text)
            WITH CHECK (account_id = (SELECT auth.uid())::text
                        AND EXISTS (SELECT 1 FROM jobs
                                     WHERE jobs.id = providers.job_id
                                       AND jobs.account_id = (SELECT auth.uid())::text));
        DROP POLICY IF EXISTS do_not_call_owner ON do_not_call;
        CREATE POLICY do_not_call_owner ON do_not_call FOR ALL TO authenticated
            USING (account_id = (SELECT auth.uid())::text OR account_id = '*')
            WITH CHECK (account_id = (SELECT auth.uid())::text AND source = 'account');
    END IF;
END
$$;
