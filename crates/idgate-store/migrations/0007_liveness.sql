-- idgate schema v7: active-liveness challenges. A challenge is issued with its actions, verified
-- at most once (status pending -> passed | failed, conditionally), and may belong to a
-- verification session (the hosted flow's face step counts its failed attempts).
CREATE TABLE liveness_challenges (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    session_id TEXT,
    actions TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    verified_at BIGINT,
    image_key TEXT,
    result TEXT
);
CREATE INDEX liveness_challenges_session ON liveness_challenges (session_id, status);
