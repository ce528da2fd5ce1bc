-- Failed sign-ins, kept in the database so that every replica counts them:
-- too many for one e-mail or one address, and sign-in waits.
CREATE TABLE login_failures (
    id {{.ID}},
    email TEXT NOT NULL,
    remote TEXT NOT NULL,
    at {{.Time}} NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_remote ON login_failures (remote, at);

-- One row per scheduled run of a job: the replica that inserts it runs the
-- job, the others see the row and skip, so a nightly job runs once a night
-- however many replicas fire.
CREATE TABLE job_runs (
    job TEXT NOT NULL,
    slot TEXT NOT NULL,
    replica TEXT NOT NULL,
    started_at {{.Time}} NOT NULL,
    finished_at {{.Time}},
    outcome TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job, slot)
);
