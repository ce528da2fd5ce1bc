-- A claim in job_runs is a lease: the replica running a job renews
-- heartbeat_at while it runs, and a claim neither finished nor renewed for
-- longer than the lease (its replica died) is taken over by another replica,
-- which adds one to attempt. attempt also fences the claimants: a replica
-- whose claim was taken over can no longer renew or finish it.
ALTER TABLE job_runs ADD COLUMN heartbeat_at {{.Time}};
ALTER TABLE job_runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
UPDATE job_runs SET heartbeat_at = started_at;
