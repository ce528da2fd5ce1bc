-- E-mail digests (issue 19): per user, when the last digest or weekly
-- summary was sent (the next one says what changed since) and whether the
-- user unsubscribed; and the key unsubscribe links are signed with, made
-- once by the first replica that needs it.

CREATE TABLE mail_preferences (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    unsubscribed_at {{.Time}},
    last_digest_at {{.Time}},
    last_summary_at {{.Time}}
);

CREATE TABLE mail_signing_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_hex TEXT NOT NULL
);
