-- Performance and scale, for Supabase (SQL editor) or any PostgreSQL server (14 or newer).
-- Idempotent: safe to run again. Run after 001_init.sql, 002_security.sql, 003_attempts.sql
-- and 005_prices.sql.
--
-- 1. The change feed: every write to `jobs` or `providers` sends
--    `NOTIFY haggle_changes, '<job id>'`, so the job API's live streams and cached analytics
--    follow the voice service's writes without polling (Alembic revision 0004 installs the same
--    trigger when the services own the schema).
-- 2. The change feed's look on Supabase, which cannot LISTEN: providers by `updated_at`.
-- 3. The fleet's shared limits (`shared/storage/fleet.py`), for every voice instance
--    together: `fleet_buckets` has one row per bucket (`dial`: its lock serialises dial
--    tickets and `next_at` spreads them out; `claims`: its lock serialises claims, so the cap
--    on calls in flight holds); `fleet_dials` the recent dials that count against the rate.
--    Times are seconds since the epoch, on the database's clock.

CREATE OR REPLACE FUNCTION haggle_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_data jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
    PERFORM pg_notify('haggle_changes', row_data ->> TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER haggle_jobs_changed
    AFTER INSERT OR UPDATE OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION haggle_notify_change('id');

CREATE OR REPLACE TRIGGER haggle_providers_changed
    AFTER INSERT OR UPDATE OR DELETE ON providers
    FOR EACH ROW EXECUTE FUNCTION haggle_notify_change('job_id');

CREATE INDEX IF NOT EXISTS idx_providers_updated_at ON providers (updated_at);

CREATE TABLE IF NOT EXISTS fleet_buckets (
    name    TEXT PRIMARY KEY,
    next_at DOUBLE PRECISION NOT NULL
);
INSERT INTO fleet_buckets (name, next_at) VALUES ('dial', 0), ('claims', 0)
    ON CONFLICT (name) DO NOTHING;
ALTER TABLE fleet_buckets ENABLE ROW LEVEL SECURITY;

CREATE TABLE IF NOT EXISTS fleet_dials (
    id    TEXT PRIMARY KEY,
    until DOUBLE PRECISION NOT NULL
);
ALTER TABLE fleet_dials ENABLE ROW LEVEL SECURITY;
