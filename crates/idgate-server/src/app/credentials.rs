//! Credential lifecycle use cases behind the CLI: list and revoke API keys; list, revoke and
//! rotate OAuth clients (the old secret stays valid for a grace period); list, remove and
//! rotate webhook endpoints; a tenant's rate limit. Lists never show secrets or their hashes.
//! Revocations reach every node within the credential cache's TTL ([`super::cache::TTL_MS`]).

use idgate_core::crypto::{hash_secret, random_token, KeyRing};
use idgate_store::{Store, TenantSetting};
use rand::rngs::OsRng;
use serde::Serialize;
use serde_json::{json, Value};

use super::tenant::RateLimit;
use crate::http::error::ApiError;

/// How long a rotated client secret keeps working by default: long enough to roll the new
/// secret out to every instance of the integrating application.
pub const CLIENT_SECRET_GRACE_MS: i64 = 24 * 3_600_000;

pub async fn list_api_keys(store: &Store, tenant_id: &str) -> Result<Value, ApiError> {
    let keys = store.api_keys_of(tenant_id).await?;
    Ok(Value::Array(
        keys.into_iter()
            .map(|k| {
                json!({"api_key_id": k.id, "prefix": format!("idg_{}", k.prefix),
                    "scopes": k.scopes.as_deref().unwrap_or("*"), "created_at": k.created_at,
                    "revoked_at": k.revoked_at})
            })
            .collect(),
    ))
}

pub async fn revoke_api_key(
    store: &Store,
    now: i64,
    tenant_id: &str,
    id: &str,
) -> Result<Value, ApiError> {
    store.revoke_api_key(tenant_id, id, now).await?;
    Ok(json!({"api_key_id": id, "revoked_at": now}))
}

pub async fn list_clients(store: &Store, tenant_id: &str) -> Result<Value, ApiError> {
    let clients = store.clients_of(tenant_id).await?;
    Ok(Value::Array(
        clients
            .into_iter()
            .map(|c| {
                let list = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
                json!({"client_id": c.client_id, "client_name": c.name, "scopes": list(&c.scopes),
                    "callback_urls": list(&c.callback_urls), "created_at": c.created_at,
                    "revoked_at": c.revoked_at, "old_secret_valid_until": c.old_secret_until})
            })
            .collect(),
    ))
}

pub async fn revoke_client(
    store: &Store,
    now: i64,
    tenant_id: &str,
    client_id: &str,
) -> Result<Value, ApiError> {
    store.revoke_client(tenant_id, client_id, now).await?;
    Ok(json!({"client_id": client_id, "revoked_at": now}))
}

#[derive(Debug, Serialize)]
pub struct RotatedClient {
    pub client_id: String,
    /// Shown once.
    pub client_secret: String,
    /// Until then (unix ms) the previous secret is accepted too.
    pub old_secret_valid_until: i64,
}

/// A new secret for the client; the current one stays valid for `grace_ms`.
pub async fn rotate_client_secret(
    store: &Store,
    now: i64,
    tenant_id: &str,
    client_id: &str,
    grace_ms: i64,
) -> Result<RotatedClient, ApiError> {
    let secret = random_token(&mut OsRng, 32);
    let until = now + grace_ms.max(0);
    store
        .rotate_client_secret(tenant_id, client_id, &hash_secret(&secret), until)
        .await?;
    Ok(RotatedClient {
        client_id: client_id.to_owned(),
        client_secret: secret,
        old_secret_valid_until: until,
    })
}

pub async fn list_webhooks(store: &Store, tenant_id: &str) -> Result<Value, ApiError> {
    let eps = store.endpoints_of(tenant_id).await?;
    Ok(Value::Array(
        eps.into_iter()
            .map(|e| {
                json!({"webhook_id": e.id, "url": e.url,
                    "events": e.events, "enabled": e.enabled == 1, "created_at": e.created_at})
            })
            .collect(),
    ))
}

pub async fn remove_webhook(store: &Store, tenant_id: &str, id: &str) -> Result<Value, ApiError> {
    store.remove_endpoint(tenant_id, id).await?;
    Ok(json!({"webhook_id": id, "enabled": false}))
}

/// A new signing secret for the endpoint, in force for the next delivery.
pub async fn rotate_webhook_secret(
    store: &Store,
    keys: &KeyRing,
    tenant_id: &str,
    id: &str,
) -> Result<Value, ApiError> {
    let secret = format!("whsec_{}", random_token(&mut OsRng, 32));
    let sealed = keys.seal_str(&secret, id.as_bytes(), &mut OsRng);
    store.set_endpoint_secret(tenant_id, id, &sealed).await?;
    Ok(json!({"webhook_id": id, "signing_secret": secret}))
}

pub async fn list_devices(
    store: &Store,
    tenant_id: &str,
    username: Option<&str>,
) -> Result<Value, ApiError> {
    let devices = store.devices_of(tenant_id, username).await?;
    Ok(Value::Array(
        devices
            .into_iter()
            .map(|d| {
                json!({"device_id": d.id, "username": d.username, "name": d.name,
                    "push": d.push_endpoint.is_some(), "created_at": d.created_at,
                    "revoked_at": d.revoked_at})
            })
            .collect(),
    ))
}

/// Revokes an authenticator device (see [`Store::revoke_device`]).
pub async fn revoke_device(
    store: &Store,
    now: i64,
    tenant_id: &str,
    id: &str,
) -> Result<Value, ApiError> {
    store.revoke_device(tenant_id, id, now).await?;
    crate::app::login_runtime::publish_device_revoked(store, None, id).await;
    Ok(json!({"device_id": id, "revoked_at": now}))
}

/// Sets the tenant's rate limit for its API keys and OAuth clients (0 requests per second:
/// back to the server default).
pub async fn set_rate_limit(
    store: &Store,
    name: &str,
    rps: u32,
    burst: u32,
) -> Result<Value, ApiError> {
    let limit = RateLimit {
        requests_per_second: rps,
        burst: burst.max(1),
    };
    let json = serde_json::to_string(&limit).map_err(|_| ApiError::internal())?;
    let value = (rps > 0).then_some(json.as_str());
    super::admin::set_setting(store, name, TenantSetting::RateLimit, value).await?;
    Ok(json!({"tenant": name, "rate_limit": value.map(|_| json!(limit))}))
}
