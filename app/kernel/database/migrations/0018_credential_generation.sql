-- Replicas cache token look-ups for a few seconds (app/auth). A revocation,
-- a user's deactivation or anything else that takes a credential's rights
-- away adds one to this counter in the same transaction; every replica
-- rereads it at least once a second and drops its cache when it moved, so a
-- revoked token stops working everywhere within that bound (docs/SECURITY.md).

CREATE TABLE credential_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO credential_generation (id, generation) VALUES (1, 0);
