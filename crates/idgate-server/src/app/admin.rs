//! Administrative use cases shared by the CLI and dev bootstrap: tenants, API keys, OAuth
//! clients, webhook endpoints. Secrets are random, returned once, and stored hashed (or sealed
//! with the key ring where idgate must use them itself, like webhook signing secrets).

use idgate_core::crypto::{hash_secret, random_token, KeyRing};
use idgate_core::session::decision::Policy;
use idgate_core::Code;
use idgate_store::{
    ApiKeyRow, ClientRow, EndpointRow, Store, StoreError, TenantRow, TenantSetting,
};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::Serialize;

use super::tenant::offset_for;
use crate::http::error::ApiError;

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Sets the decision policy of the tenant named `name`; answers the policy now in force.
pub async fn set_decision_policy(
    store: &Store,
    name: &str,
    policy: Policy,
) -> Result<Policy, ApiError> {
    let json = serde_json::to_string(&policy).map_err(|_| ApiError::internal())?;
    set_setting(store, name, TenantSetting::DecisionPolicy, Some(&json)).await?;
    Ok(policy)
}

/// Sets the origins allowed to frame the `iframe` sessions of the tenant named `name` (none:
/// no other site may frame them). Each is `https://host[:port]` (`http://` only for localhost).
pub async fn set_frame_origins(
    store: &Store,
    name: &str,
    origins: &[String],
) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::with_capacity(origins.len());
    for o in origins {
        out.push(origin(o).ok_or_else(|| {
            ApiError::new(
                Code::InvalidRequest,
                format!(
                    "{o}: an origin is https://host[:port] (http:// only for localhost), no path"
                ),
            )
        })?);
    }
    let joined = out.join(" ");
    let value = (!out.is_empty()).then_some(joined.as_str());
    set_setting(store, name, TenantSetting::FrameOrigins, value).await?;
    Ok(out)
}

/// Sets where the page of a finished `link` session of the tenant named `name` sends the person
/// (`None`: it shows its last screen and stays). `https://` (`http://` only for localhost).
pub async fn set_redirect_url(
    store: &Store,
    name: &str,
    url: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let checked = match url {
        None => None,
        Some(s) => {
            let u = url::Url::parse(s).ok().filter(|u| {
                let local = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
                (u.scheme() == "https" || (u.scheme() == "http" && local))
                    && u.username().is_empty()
                    && u.fragment().is_none()
            });
            let Some(u) = u else {
                return Err(ApiError::new(
                    Code::InvalidRequest,
                    format!(
                        "{s}: a redirect URL is https:// (http:// only for localhost), no fragment"
                    ),
                ));
            };
            Some(u.to_string())
        }
    };
    set_setting(store, name, TenantSetting::RedirectUrl, checked.as_deref()).await?;
    Ok(checked)
}

/// `scheme://host[:port]` of a URL that is only an origin.
fn origin(s: &str) -> Option<String> {
    let u = url::Url::parse(s).ok()?;
    let local = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = u.scheme() == "https" || (u.scheme() == "http" && local);
    let bare = u.path() == "/" && u.query().is_none() && u.fragment().is_none();
    (scheme_ok && bare && u.username().is_empty() && u.host_str().is_some())
        .then(|| u.origin().ascii_serialization())
}

pub(crate) async fn set_setting(
    store: &Store,
    name: &str,
    setting: TenantSetting,
    value: Option<&str>,
) -> Result<(), ApiError> {
    let t = store.tenant_by_name(name).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::new(Code::NotFound, format!("no tenant named {name}")),
        other => other.into(),
    })?;
    store.set_tenant_setting(&t.id, setting, value).await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct CreatedTenant {
    pub tenant_id: String,
    pub name: String,
    pub mode: String,
    pub time_zone: String,
}

pub async fn create_tenant(
    store: &Store,
    now: i64,
    name: &str,
    sandbox: bool,
    tz: &str,
) -> Result<CreatedTenant, ApiError> {
    if name.trim().is_empty() || name.len() > 100 {
        return Err(ApiError::new(
            Code::InvalidRequest,
            "tenant name must be 1..100 characters",
        ));
    }
    if offset_for(tz).is_none() {
        return Err(ApiError::new(
            Code::InvalidRequest,
            format!("unsupported time zone {tz}"),
        ));
    }
    let row = TenantRow {
        id: new_id("ten"),
        name: name.to_owned(),
        mode: if sandbox { "sandbox" } else { "live" }.into(),
        time_zone: tz.to_owned(),
        default_settings: None,
        decision_policy: None,
        frame_origins: None,
        redirect_url: None,
        created_at: now,
        rate_limit: None,
    };
    store.insert_tenant(&row).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            ApiError::new(Code::Conflict, format!("a tenant named {name} exists"))
        }
        other => other.into(),
    })?;
    Ok(CreatedTenant {
        tenant_id: row.id,
        name: row.name,
        mode: row.mode,
        time_zone: row.time_zone,
    })
}

#[derive(Debug, Serialize)]
pub struct CreatedKey {
    pub tenant_id: String,
    pub api_key_id: String,
    /// Shown once; only its hash is stored.
    pub api_key: String,
}

/// A key `idg_<prefix>_<secret>`: 64-bit public prefix, 256-bit secret.
pub async fn create_api_key(
    store: &Store,
    now: i64,
    tenant_id: &str,
) -> Result<CreatedKey, ApiError> {
    create_scoped_api_key(store, now, tenant_id, None).await
}

/// A key limited to `scopes` (space-separated, see [`super::scopes`]; `None`: every scope).
pub async fn create_scoped_api_key(
    store: &Store,
    now: i64,
    tenant_id: &str,
    scopes: Option<String>,
) -> Result<CreatedKey, ApiError> {
    let mut p = [0u8; 8];
    OsRng.fill_bytes(&mut p);
    let prefix = hex::encode(p);
    let secret = random_token(&mut OsRng, 32);
    let row = ApiKeyRow {
        id: new_id("key"),
        tenant_id: tenant_id.to_owned(),
        prefix: prefix.clone(),
        secret_hash: hash_secret(&secret),
        created_at: now,
        revoked_at: None,
        scopes,
    };
    store.insert_api_key(&row).await?;
    Ok(CreatedKey {
        tenant_id: tenant_id.to_owned(),
        api_key_id: row.id,
        api_key: format!("idg_{prefix}_{secret}"),
    })
}

#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub scopes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub can_notify: bool,
    pub websocket: bool,
    pub auth_ttl: i64,
}

#[derive(Debug, Serialize)]
pub struct CreatedClient {
    pub tenant_id: String,
    pub client_id: String,
    /// Shown once; only its hash is stored.
    pub client_secret: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub can_notify: bool,
    pub websocket: bool,
    pub auth_ttl: i64,
}

pub async fn create_client(
    store: &Store,
    now: i64,
    tenant_id: &str,
    c: NewClient,
) -> Result<CreatedClient, ApiError> {
    if c.name.trim().is_empty() || c.scopes.is_empty() || !(1..=86_400).contains(&c.auth_ttl) {
        return Err(ApiError::new(
            Code::InvalidRequest,
            "a client needs a name, at least one scope and auth_ttl 1..86400",
        ));
    }
    for u in &c.callback_urls {
        let parsed = url::Url::parse(u)
            .map_err(|e| ApiError::new(Code::InvalidRequest, format!("callback URL {u}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ApiError::new(
                Code::InvalidRequest,
                format!("callback URL {u} must be http(s)"),
            ));
        }
    }
    let client_id = uuid::Uuid::new_v4().to_string();
    let secret = random_token(&mut OsRng, 32);
    let row = ClientRow {
        id: new_id("cli"),
        tenant_id: tenant_id.to_owned(),
        client_id: client_id.clone(),
        secret_hash: hash_secret(&secret),
        name: c.name.clone(),
        scopes: serde_json::to_string(&c.scopes).unwrap_or_default(),
        callback_urls: serde_json::to_string(&c.callback_urls).unwrap_or_default(),
        can_notify: i64::from(c.can_notify),
        websocket: i64::from(c.websocket),
        auth_ttl: c.auth_ttl,
        created_at: now,
        revoked_at: None,
        old_secret_hash: None,
        old_secret_until: None,
    };
    store.insert_client(&row).await?;
    Ok(CreatedClient {
        tenant_id: tenant_id.to_owned(),
        client_id,
        client_secret: secret,
        client_name: c.name,
        scopes: c.scopes,
        callback_urls: c.callback_urls,
        can_notify: c.can_notify,
        websocket: c.websocket,
        auth_ttl: c.auth_ttl,
    })
}

#[derive(Debug, Serialize)]
pub struct CreatedWebhook {
    pub tenant_id: String,
    pub webhook_id: String,
    pub url: String,
    pub events: String,
    /// Shown once: verify `Idgate-Signature` with it.
    pub signing_secret: String,
}

pub async fn add_webhook(
    store: &Store,
    keys: &KeyRing,
    now: i64,
    tenant_id: &str,
    url: &str,
    events: &[String],
    allow_private: bool,
) -> Result<CreatedWebhook, ApiError> {
    crate::app::receivers::check(store, tenant_id, url, allow_private)
        .await
        .map_err(|m| ApiError::new(Code::InvalidRequest, m))?;
    for e in events {
        if idgate_core::session::EventType::parse(e).is_none() {
            return Err(ApiError::new(
                Code::InvalidRequest,
                format!("unknown event type {e}"),
            ));
        }
    }
    let id = new_id("whe");
    let secret = format!("whsec_{}", random_token(&mut OsRng, 32));
    let events = if events.is_empty() {
        "*".to_owned()
    } else {
        events.join(",")
    };
    let row = EndpointRow {
        id: id.clone(),
        tenant_id: tenant_id.to_owned(),
        url: url.to_owned(),
        secret_sealed: keys.seal_str(&secret, id.as_bytes(), &mut OsRng),
        events: events.clone(),
        enabled: 1,
        created_at: now,
    };
    store.insert_endpoint(&row).await?;
    Ok(CreatedWebhook {
        tenant_id: tenant_id.to_owned(),
        webhook_id: id,
        url: url.to_owned(),
        events,
        signing_secret: secret,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn frame_origins_are_bare_https_origins() {
        let ok = super::origin;
        assert_eq!(
            ok("https://app.example.com"),
            Some("https://app.example.com".into())
        );
        assert_eq!(
            ok("https://app.example.com:8443/"),
            Some("https://app.example.com:8443".into())
        );
        assert_eq!(
            ok("http://localhost:3000"),
            Some("http://localhost:3000".into())
        );
        for bad in [
            "http://app.example.com",
            "https://app.example.com/page",
            "*",
            "https://a.example?x=1",
            "javascript:alert(1)",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }
}
