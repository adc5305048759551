-- idgate schema v19: the data lifecycle.
-- tenants.retention: JSON {"biometrics_days": N, "documents_days": N} set by
-- `idgate tenant retention`; NULL: the server's `[retention]` defaults.
ALTER TABLE tenants ADD COLUMN retention TEXT;
-- When the retention sweeper deleted a session's biometrics (selfie, liveness results, face
-- validations) and its documents (reads with their files and results); NULL: not (yet).
ALTER TABLE sessions ADD COLUMN biometrics_purged_at BIGINT;
ALTER TABLE sessions ADD COLUMN documents_purged_at BIGINT;
-- What the sweeper looks for: sessions not purged yet (partial, so purged ones cost nothing).
CREATE INDEX sessions_biometrics_due ON sessions (tenant_id, status, updated_at)
  WHERE biometrics_purged_at IS NULL;
CREATE INDEX sessions_documents_due ON sessions (tenant_id, status, updated_at)
  WHERE documents_purged_at IS NULL;
-- document_reads.session_id: the session whose step made the read (NULL: a read made through
-- `/ocr/image` or `/v1/documents/read`); expires_at: when such a read expires (NULL: never by
-- itself; a session's reads follow the tenant's retention).
ALTER TABLE document_reads ADD COLUMN session_id TEXT;
ALTER TABLE document_reads ADD COLUMN expires_at BIGINT;
CREATE INDEX document_reads_session ON document_reads (tenant_id, session_id);
CREATE INDEX document_reads_expiry ON document_reads (expires_at)
