-- idgate schema v13: the uqudo door's cross-device sessions. One row per `POST /api/v1/session`:
-- the verification session it made (`session_id`), the OAuth client that made it, the hash of
-- its `qrCodeText` (a bearer secret, never stored raw), the `data` as given (returned to the
-- phone), when a phone opened it (one phone only), and when the session info or the result was
-- deleted (`DELETE /api/v1/session/{qrCodeText}`, `DELETE /api/v1/info/{sessionId}`).
CREATE TABLE uqudo_sessions (
    session_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    qr_hash TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL,
    nonce TEXT,
    min_level BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    phone_at BIGINT,
    deleted_at BIGINT,
    info_deleted_at BIGINT
);
CREATE INDEX uqudo_sessions_tenant ON uqudo_sessions (tenant_id, session_id)
