-- idgate schema v12: the receiver URLs a tenant explicitly allows over plain `http`
-- (`idgate tenant allow-http NAME --url ...`); every other webhook and login callback URL must be
-- `https`. Compared exactly, as normalised by the URL parser.
CREATE TABLE tenant_http_urls (
    tenant_id TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, url)
);
