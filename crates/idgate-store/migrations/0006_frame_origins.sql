-- idgate schema v6: the origins allowed to embed a tenant's `open_mode: iframe` sessions in a
-- frame (space-separated, e.g. `https://app.example.com`); NULL: none (same origin only).
ALTER TABLE tenants ADD COLUMN frame_origins TEXT;
