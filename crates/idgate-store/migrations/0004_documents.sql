-- idgate schema v4: document reads (OCR, MRZ, Brazilian fields, CNH digital PDF) and matches of
-- the document portrait against an uploaded selfie. The uploaded file and the extracted result
-- are sealed with the master key ring (AES-256-GCM, key id inside, bound to tenant and key).
CREATE TABLE document_reads (
  ocr_key TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  template TEXT NOT NULL,
  file_type TEXT NOT NULL,
  status TEXT NOT NULL,
  file_sealed {{BLOB}} NOT NULL,
  result_sealed {{BLOB}} NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX document_reads_tenant ON document_reads (tenant_id, created_at);
CREATE TABLE document_face_matches (
  face_match_key TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ocr_key TEXT NOT NULL REFERENCES document_reads(ocr_key),
  image_key TEXT NOT NULL,
  similarity DOUBLE PRECISION NOT NULL,
  result TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX document_face_matches_read ON document_face_matches (tenant_id, ocr_key);
