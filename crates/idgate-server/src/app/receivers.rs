//! Where a tenant's webhooks and login callbacks may go: `https` on a public address, or plain
//! `http` on a public address for a URL the tenant explicitly allowed (`idgate tenant
//! allow-http NAME --url ...`, matched exactly after normalisation). `webhooks.allow_private`
//! (tests, on-premises) admits private addresses and `http` for every tenant. Web Push
//! endpoints are not receivers of this kind: they stay `https` and public under their own
//! switch (`login.push_allow_private`).

use idgate_core::Code;
use idgate_store::Store;
use serde_json::{json, Value};

use crate::http::error::ApiError;
use crate::outbound::{check_url_with, normal_url};

/// Checks a receiver URL of the tenant (see the module doc).
pub async fn check(
    store: &Store,
    tenant_id: &str,
    raw: &str,
    allow_private: bool,
) -> Result<url::Url, String> {
    let http_allowed = match normal_url(raw) {
        Ok(u) if !allow_private && u.starts_with("http:") => store
            .http_url_allowed(tenant_id, &u)
            .await
            .map_err(|e| e.to_string())?,
        _ => false,
    };
    check_url_with(raw, allow_private, http_allowed)
}

/// `idgate tenant allow-http NAME --url URL [--remove]`: allows (or withdraws) plain `http`
/// for one receiver URL of the tenant. The URL must be `http` on a public host.
pub async fn allow_http(
    store: &Store,
    now: i64,
    tenant_id: &str,
    raw: &str,
    remove: bool,
) -> Result<Value, ApiError> {
    let refuse = |m: String| ApiError::new(Code::InvalidRequest, m);
    let url = normal_url(raw).map_err(refuse)?;
    if !url.starts_with("http:") {
        return Err(refuse(format!("{raw}: only an http:// URL needs allowing")));
    }
    check_url_with(&url, false, true).map_err(refuse)?;
    if remove {
        store.disallow_http_url(tenant_id, &url).await?;
    } else {
        store.allow_http_url(tenant_id, &url, now).await?;
    }
    let urls = store.http_urls(tenant_id).await?;
    Ok(json!({"tenant_id": tenant_id, "http_urls": urls}))
}
