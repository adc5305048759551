-- idgate schema v1. Portable DDL: TEXT, BIGINT (times are unix milliseconds, flags 0/1).
-- {{BLOB}} becomes BLOB on SQLite and BYTEA on PostgreSQL.
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  mode TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  default_settings TEXT,
  created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  prefix TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE TABLE oauth_clients (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  client_id TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  callback_urls TEXT NOT NULL,
  can_notify BIGINT NOT NULL,
  websocket BIGINT NOT NULL,
  auth_ttl BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE sessions (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  id TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  token_hash TEXT NOT NULL,
  token_gen BIGINT NOT NULL,
  document_number TEXT NOT NULL,
  settings TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  step TEXT,
  step_data TEXT NOT NULL,
  decision TEXT,
  expires_at BIGINT NOT NULL,
  token_expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sessions_list ON sessions (tenant_id, created_at, id);
CREATE INDEX sessions_due ON sessions (status, expires_at);
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  type TEXT NOT NULL,
  from_status TEXT,
  to_status TEXT,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_session ON events (tenant_id, session_id, seq);
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  url TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  events TEXT NOT NULL,
  enabled BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT NOT NULL,
  lease_owner TEXT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
