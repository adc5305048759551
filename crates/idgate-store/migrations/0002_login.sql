-- idgate schema v2: QR-code and push login. Times are unix milliseconds unless named *_s.
-- Tokens are stored as SHA-256 hashes; the callback's short_token travels sealed in its job.
CREATE TABLE login_keys (
  kid TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  sealed TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE logins (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  client_id TEXT NOT NULL,
  short_token_hash TEXT NOT NULL UNIQUE,
  ws_token_hash TEXT,
  username TEXT,
  subject TEXT,
  scope TEXT NOT NULL,
  lifetime BIGINT NOT NULL,
  callback_url TEXT NOT NULL,
  challenge BIGINT NOT NULL,
  choices TEXT NOT NULL,
  status TEXT NOT NULL,
  device_id TEXT,
  deny_reason TEXT,
  pushed_at BIGINT,
  scanned_at BIGINT,
  jti TEXT UNIQUE,
  exchanged_at BIGINT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL
);
CREATE INDEX logins_ws ON logins (ws_token_hash);
CREATE INDEX logins_user ON logins (tenant_id, username, status);
CREATE INDEX logins_due ON logins (status, expires_at);
CREATE TABLE login_events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  login_id TEXT NOT NULL,
  type TEXT NOT NULL,
  detail TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX login_events_login ON login_events (tenant_id, login_id, created_at);
CREATE TABLE authenticator_enrollments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  username TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE TABLE authenticator_devices (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  username TEXT NOT NULL,
  public_key TEXT NOT NULL,
  push_endpoint TEXT,
  push_p256dh TEXT,
  push_auth TEXT,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX authenticator_devices_user ON authenticator_devices (tenant_id, username);
CREATE TABLE access_tokens (
  jti TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  login_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE TABLE login_jobs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  login_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT NOT NULL,
  lease_owner TEXT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  done_at BIGINT
);
CREATE INDEX login_jobs_due ON login_jobs (status, next_attempt_at);
