-- idgate schema v3: face images, registrations (1:1 enrolment), validations and the audit trail
-- of erasures. Image bytes and face templates are AES-256-GCM sealed by the server (key id
-- inside the value; the tenant and row key are the associated data). Times are unix ms.
CREATE TABLE face_images (
  image_key TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  sealed_image {{BLOB}} NOT NULL,
  sealed_template {{BLOB}} NOT NULL,
  format TEXT NOT NULL,
  byte_size BIGINT NOT NULL,
  width BIGINT NOT NULL,
  height BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT
);
CREATE INDEX face_images_expiry ON face_images (expires_at);
CREATE TABLE face_registrations (
  registration_key TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  document_number TEXT NOT NULL,
  sealed_template {{BLOB}},
  image_key TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE INDEX face_registrations_doc ON face_registrations (tenant_id, document_number, created_at);
CREATE TABLE face_validations (
  validation_key TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  registration_key TEXT NOT NULL,
  document_number TEXT NOT NULL,
  distance DOUBLE PRECISION NOT NULL,
  similarity DOUBLE PRECISION NOT NULL,
  result TEXT NOT NULL,
  match_level BIGINT NOT NULL,
  image_key TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE audit_events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, created_at)
