-- idgate schema v8: credentials that can be scoped, revoked and rotated; tenant rate limits.
-- api_keys.scopes: space-separated scopes (sessions:read sessions:write faces:read faces:write);
-- NULL: every scope (keys made before scopes existed).
ALTER TABLE api_keys ADD COLUMN scopes TEXT;
-- tenants.rate_limit: JSON {"requests_per_second": N, "burst": N} of its API keys and OAuth
-- clients; NULL: the server's default.
ALTER TABLE tenants ADD COLUMN rate_limit TEXT;
-- oauth_clients: revocation, and the previous secret, accepted until old_secret_until (unix ms)
-- after a rotation.
ALTER TABLE oauth_clients ADD COLUMN revoked_at BIGINT;
ALTER TABLE oauth_clients ADD COLUMN old_secret_hash TEXT;
ALTER TABLE oauth_clients ADD COLUMN old_secret_until BIGINT
