//! Credential lifecycle: listing a tenant's API keys, OAuth clients and webhook endpoints,
//! revoking keys and clients, rotating a client's secret (the old one kept for a grace period)
//! and a webhook endpoint's signing secret, and removing (disabling) an endpoint.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::rows::{ApiKeyRow, ClientRow, EndpointRow};
use crate::tenants::{CLIENT_COLS, KEY_COLS};

const ENDPOINT_COLS: &str = "id, tenant_id, url, secret_sealed, events, enabled, created_at";

fn one(n: u64) -> Result<()> {
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

impl Store {
    /// Every API key of the tenant, revoked ones included, oldest first.
    pub async fn api_keys_of(&self, tenant_id: &str) -> Result<Vec<ApiKeyRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {KEY_COLS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Revokes a live key of the tenant; `NotFound` when there is none with this id.
    pub async fn revoke_api_key(&self, tenant_id: &str, id: &str, now: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&self.write)
        .await?
        .rows_affected();
        one(n)
    }

    /// Every OAuth client of the tenant, revoked ones included, oldest first.
    pub async fn clients_of(&self, tenant_id: &str) -> Result<Vec<ClientRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CLIENT_COLS} FROM oauth_clients WHERE tenant_id = $1 ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Revokes a live client of the tenant.
    pub async fn revoke_client(&self, tenant_id: &str, client_id: &str, now: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE oauth_clients SET revoked_at = $1 WHERE tenant_id = $2 AND client_id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(client_id)
        .execute(&self.write)
        .await?
        .rows_affected();
        one(n)
    }

    /// Makes `secret_hash` the client's secret; the current one stays valid until `old_until`.
    pub async fn rotate_client_secret(
        &self,
        tenant_id: &str,
        client_id: &str,
        secret_hash: &str,
        old_until: i64,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE oauth_clients SET old_secret_hash = secret_hash, old_secret_until = $1, \
             secret_hash = $2 WHERE tenant_id = $3 AND client_id = $4 AND revoked_at IS NULL",
        )
        .bind(old_until)
        .bind(secret_hash)
        .bind(tenant_id)
        .bind(client_id)
        .execute(&self.write)
        .await?
        .rows_affected();
        one(n)
    }

    /// Every webhook endpoint of the tenant, removed (disabled) ones included.
    pub async fn endpoints_of(&self, tenant_id: &str) -> Result<Vec<EndpointRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Removes an endpoint: no new event is fanned out to it and its pending deliveries stop.
    pub async fn remove_endpoint(&self, tenant_id: &str, id: &str) -> Result<()> {
        let n = sqlx::query(
            "UPDATE webhook_endpoints SET enabled = 0 WHERE tenant_id = $1 AND id = $2 AND enabled = 1",
        )
        .bind(tenant_id)
        .bind(id)
        .execute(&self.write)
        .await?
        .rows_affected();
        one(n)
    }

    /// Replaces an endpoint's sealed signing secret (deliveries sign with the new one at once).
    pub async fn set_endpoint_secret(&self, tenant_id: &str, id: &str, sealed: &str) -> Result<()> {
        let n = sqlx::query(
            "UPDATE webhook_endpoints SET secret_sealed = $1 WHERE tenant_id = $2 AND id = $3 AND enabled = 1",
        )
        .bind(sealed)
        .bind(tenant_id)
        .bind(id)
        .execute(&self.write)
        .await?
        .rows_affected();
        one(n)
    }
}
