-- idgate schema v10: the hosted flow's tenant setting and the device scan's memory.
-- `redirect_url`: where a `link` session's page sends the person when done (NULL: nowhere).
ALTER TABLE tenants ADD COLUMN redirect_url TEXT;
-- One row per device scan: the tenant-scoped device fingerprint and a hash of the session's CPF,
-- so that "one device, many CPFs in 24 h" can be counted without keeping another CPF copy.
CREATE TABLE device_uses (
    tenant_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    cpf_hash TEXT NOT NULL,
    session_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX device_uses_lookup ON device_uses (tenant_id, fingerprint, created_at);
