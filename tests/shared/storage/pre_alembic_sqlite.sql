-- The schema SQLStore created before migrations were managed by Alembic (as `sqlite3 .schema`
-- prints it): a database made by that version must open and be upgraded in place.
CREATE TABLE jobs (
	id TEXT NOT NULL,
	problem TEXT NOT NULL,
	zip_code TEXT NOT NULL,
	max_price NUMERIC(10, 2),
	house_address TEXT,
	date_needed TEXT,
	context_answers TEXT,
	original_query TEXT,
	task TEXT,
	questions JSON NOT NULL,
	clarifications JSON NOT NULL,
	status TEXT NOT NULL,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX idx_jobs_created_at ON jobs (created_at);
CREATE TABLE providers (
	id INTEGER NOT NULL,
	job_id TEXT NOT NULL,
	service_provider TEXT NOT NULL,
	phone_number TEXT NOT NULL,
	context_answers TEXT,
	house_address TEXT,
	zip_code TEXT,
	max_price NUMERIC(10, 2),
	problem TEXT,
	minimum_quote NUMERIC(10, 2),
	negotiated_price NUMERIC(10, 2),
	call_status TEXT NOT NULL,
	call_transcript TEXT,
	created_at DATETIME NOT NULL,
	outcome TEXT,
	failure_reason TEXT,
	conditions TEXT,
	call_sid TEXT,
	transcript_turns JSON NOT NULL,
	queued_at DATETIME,
	claimed_by TEXT,
	lease_expires_at DATETIME,
	dialed_at DATETIME,
	answered_at DATETIME,
	ended_at DATETIME,
	updated_at DATETIME,
	PRIMARY KEY (id),
	CONSTRAINT providers_call_status_check CHECK (call_status IN ('pending', 'dialing', 'in_progress', 'completed', 'failed')),
	CONSTRAINT providers_outcome_check CHECK (outcome IS NULL OR outcome IN ('agreed', 'no_agreement', 'no_answer', 'busy', 'voicemail', 'dial_error', 'error')),
	FOREIGN KEY(job_id) REFERENCES jobs (id) ON DELETE CASCADE
);
CREATE INDEX idx_providers_call_status ON providers (call_status);
CREATE INDEX idx_providers_job_id ON providers (job_id);
CREATE INDEX idx_providers_call_sid ON providers (call_sid);
