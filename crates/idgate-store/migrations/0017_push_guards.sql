-- idgate schema v17: one row per (tenant, username) that a push decision locks, so concurrent
-- `/oauth/notify` calls for one person are decided one after the other, each seeing the pushes
-- of the ones before it (the anti push-bombing counts are read in the same transaction).
CREATE TABLE push_guards (
    tenant_id TEXT NOT NULL,
    username TEXT NOT NULL,
    touched_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, username)
);
