-- idgate schema v18: the operator console. Operators of a tenant (reviewer or admin) sign in
-- with passkeys only; invites, passkey ceremonies and console sessions hold only hashes of
-- their secrets.
CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    email TEXT NOT NULL,
    -- reviewer | admin
    role TEXT NOT NULL,
    -- the WebAuthn user handle (a UUID), never shown
    user_handle TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE UNIQUE INDEX operators_tenant_email ON operators (tenant_id, email);
-- one-time invite links: SHA-256 of the token; used_at set when a passkey is registered with it
CREATE TABLE operator_invites (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
-- passkeys: credential id (base64url) and the webauthn-rs Passkey JSON (public key, counter)
CREATE TABLE operator_passkeys (
    credential_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    passkey TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX operator_passkeys_operator ON operator_passkeys (tenant_id, operator_id);
-- a WebAuthn ceremony between its start and finish (server-side state, single use)
CREATE TABLE console_ceremonies (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
-- console sign-ins: SHA-256 of the cookie, the CSRF token, idle and absolute expiry
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
)
