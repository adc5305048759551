//! The credential-lifecycle commands: `api-key create|list|revoke`, `client list|revoke|
//! rotate-secret`, `webhook list|remove|rotate-secret`, `tenant limits|retention`. Each prints one JSON
//! value on stdout (a new secret shown once).

use clap::Subcommand;

use crate::app::{admin, credentials, scopes};
use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Create an API key for a tenant; the key is printed once.
    Create {
        #[arg(long)]
        tenant: String,
        /// Limit the key to these scopes (sessions:read, sessions:write, faces:read,
        /// faces:write); none given: every scope.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// List a tenant's keys (prefix, scopes, created, revoked; never the secret).
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a key by its id (`api_key_id`); every node refuses it within 5 s.
    Revoke {
        #[arg(long)]
        tenant: String,
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClientManage {
    /// List a tenant's OAuth clients.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a client: its secret stops working within 5 s.
    Revoke {
        #[arg(long)]
        tenant: String,
        client_id: String,
    },
    /// Print a new secret; the old one keeps working for the grace period (default 24 h).
    RotateSecret {
        #[arg(long)]
        tenant: String,
        client_id: String,
        #[arg(long, default_value_t = 24)]
        grace_hours: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum WebhookManage {
    /// List a tenant's webhook endpoints.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Remove an endpoint: nothing more is delivered to it.
    Remove {
        #[arg(long)]
        tenant: String,
        id: String,
    },
    /// Print a new signing secret, used from the next delivery on.
    RotateSecret {
        #[arg(long)]
        tenant: String,
        id: String,
    },
}

async fn store_and_tenant(
    cfg: &Config,
    tenant: &str,
) -> Result<(idgate_store::Store, String), String> {
    let store = crate::server::open_store(cfg).await?;
    let t = super::cli::tenant_id(&store, tenant).await?;
    Ok((store, t))
}

fn print(v: &impl serde::Serialize) -> Result<(), String> {
    println!("{}", serde_json::to_string(v).map_err(|e| e.to_string())?);
    Ok(())
}

pub async fn api_key(cfg: &Config, now: i64, cmd: KeyCmd) -> Result<(), String> {
    let m = |e: crate::http::error::ApiError| e.message;
    match cmd {
        KeyCmd::Create { tenant, scopes: s } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            let stored = if s.is_empty() {
                None
            } else {
                Some(scopes::parse(&s)?)
            };
            print(
                &admin::create_scoped_api_key(&store, now, &t, stored)
                    .await
                    .map_err(m)?,
            )
        }
        KeyCmd::List { tenant } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            print(&credentials::list_api_keys(&store, &t).await.map_err(m)?)
        }
        KeyCmd::Revoke { tenant, id } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            print(
                &credentials::revoke_api_key(&store, now, &t, &id)
                    .await
                    .map_err(m)?,
            )
        }
    }
}

pub async fn client(cfg: &Config, now: i64, cmd: ClientManage) -> Result<(), String> {
    let m = |e: crate::http::error::ApiError| e.message;
    match cmd {
        ClientManage::List { tenant } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            print(&credentials::list_clients(&store, &t).await.map_err(m)?)
        }
        ClientManage::Revoke { tenant, client_id } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            print(
                &credentials::revoke_client(&store, now, &t, &client_id)
                    .await
                    .map_err(m)?,
            )
        }
        ClientManage::RotateSecret {
            tenant,
            client_id,
            grace_hours,
        } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            let grace = grace_hours * 3_600_000;
            let r = credentials::rotate_client_secret(&store, now, &t, &client_id, grace).await;
            print(&r.map_err(m)?)
        }
    }
}

pub async fn webhook(cfg: &Config, cmd: WebhookManage) -> Result<(), String> {
    let m = |e: crate::http::error::ApiError| e.message;
    match cmd {
        WebhookManage::List { tenant } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            print(&credentials::list_webhooks(&store, &t).await.map_err(m)?)
        }
        WebhookManage::Remove { tenant, id } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            print(
                &credentials::remove_webhook(&store, &t, &id)
                    .await
                    .map_err(m)?,
            )
        }
        WebhookManage::RotateSecret { tenant, id } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            let keys = crate::keys::load(cfg)?;
            crate::keys::check_fingerprint(&store, &keys).await?;
            print(
                &credentials::rotate_webhook_secret(&store, &keys, &t, &id)
                    .await
                    .map_err(m)?,
            )
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// List a tenant's authenticator devices (of one person with --username).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: Option<String>,
    },
    /// Revoke a device: it can no longer approve logins and its open socket closes.
    Revoke {
        #[arg(long)]
        tenant: String,
        id: String,
    },
}

pub async fn device(cfg: &Config, now: i64, cmd: DeviceCmd) -> Result<(), String> {
    let m = |e: crate::http::error::ApiError| e.message;
    match cmd {
        DeviceCmd::List { tenant, username } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            print(
                &credentials::list_devices(&store, &t, username.as_deref())
                    .await
                    .map_err(m)?,
            )
        }
        DeviceCmd::Revoke { tenant, id } => {
            let (store, t) = store_and_tenant(cfg, &tenant).await?;
            print(
                &credentials::revoke_device(&store, now, &t, &id)
                    .await
                    .map_err(m)?,
            )
        }
    }
}

/// `idgate tenant limits NAME --requests-per-second N --burst N`.
pub async fn limits(cfg: &Config, name: &str, rps: u32, burst: u32) -> Result<(), String> {
    let store = crate::server::open_store(cfg).await?;
    print(
        &credentials::set_rate_limit(&store, name, rps, burst)
            .await
            .map_err(|e| e.message)?,
    )
}

/// `idgate tenant retention NAME --biometrics-days N --documents-days N`.
pub async fn retention(
    cfg: &Config,
    name: &str,
    biometrics: i64,
    documents: i64,
) -> Result<(), String> {
    let store = crate::server::open_store(cfg).await?;
    let r = crate::app::retention::TenantRetention {
        biometrics_days: biometrics,
        documents_days: documents,
    };
    print(
        &crate::app::retention::set_retention(&store, name, r)
            .await
            .map_err(|e| e.message)?,
    )
}
