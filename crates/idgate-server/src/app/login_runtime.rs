//! What the login flow keeps in memory on each node: the JWT signing keys (published in the
//! JWKS; re-read every `login.key_refresh_ms`, so a rotation reaches every node live) and the
//! VAPID key, both generated once and stored sealed with the master key ring;
//! the in-process hub that tells web sockets a login changed, fed across nodes by PostgreSQL
//! `LISTEN/NOTIFY`; and the job worker's wake-up.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idgate_core::crypto::KeyRing;
use idgate_core::jose::{PublicKey, SigningKey};
use idgate_store::{LoginKeyRow, Store};
use rand::rngs::OsRng;
use tokio::sync::{broadcast, watch, Notify};

use crate::state::AppState;

/// The `LISTEN/NOTIFY` channel carrying ids of logins that changed.
pub const CHANNEL: &str = "idgate_login";

pub struct LoginRuntime {
    /// JWT signing keys, the active one first (swapped whole when the stored keys change).
    jwt_keys: std::sync::RwLock<Arc<Vec<SigningKey>>>,
    /// The active JWT key's id; changes when a node picks up a rotated key.
    pub jwt_active: watch::Sender<String>,
    /// The VAPID key (RFC 8292); its public point is the `applicationServerKey`.
    pub vapid: SigningKey,
    /// Ids of logins that changed (on this node or, on PostgreSQL, any node).
    pub hub: broadcast::Sender<String>,
    /// Wakes the login job worker.
    pub wake: Notify,
    /// Client for callbacks (see [`crate::outbound`]: checked addresses, no redirects, bounded time).
    pub http: reqwest::Client,
    /// Client for Web Push, under its own switch (`login.push_allow_private`).
    pub push_http: reqwest::Client,
    /// Becomes true when the server stops: open web sockets close with 1001.
    pub closing: watch::Sender<bool>,
}

impl LoginRuntime {
    /// Loads the keys, generating and storing them (sealed) on first start. Every node picks
    /// the oldest key of each purpose, so racing first starts still agree.
    pub async fn load(
        store: &Store,
        ring: &KeyRing,
        now: i64,
        timeout_ms: u64,
        allow_private: (bool, bool),
    ) -> Result<Self, String> {
        let timeout = std::time::Duration::from_millis(timeout_ms);
        let jwt_keys = keys(store, ring, "jwt", now).await?;
        let vapid = keys(store, ring, "vapid", now)
            .await?
            .into_iter()
            .next()
            .ok_or("no VAPID key")?;
        let active = jwt_keys.first().ok_or("no JWT key")?.kid().to_owned();
        Ok(Self {
            jwt_keys: std::sync::RwLock::new(Arc::new(jwt_keys)),
            jwt_active: watch::channel(active).0,
            vapid,
            hub: broadcast::channel(1024).0,
            wake: Notify::new(),
            closing: watch::channel(false).0,
            http: crate::outbound::client(timeout, allow_private.0, "idgate-login/1")?,
            push_http: crate::outbound::client(timeout, allow_private.1, "idgate-push/1")?,
        })
    }

    fn jwt_keys(&self) -> Arc<Vec<SigningKey>> {
        match self.jwt_keys.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The key new tokens are signed with.
    pub fn active(&self) -> SigningKey {
        self.jwt_keys()[0].clone()
    }

    /// The published (and verifying) JWT keys, the active one first.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.jwt_keys().iter().map(SigningKey::public).collect()
    }

    /// Re-reads the JWT keys at `now` (a rotated key becomes active; keys superseded more than
    /// [`JWT_KEY_RETIRED_MS`] ago leave the JWKS). True when the set changed.
    pub async fn refresh_jwt_keys(
        &self,
        store: &Store,
        ring: &KeyRing,
        now: i64,
    ) -> Result<bool, String> {
        let fresh = keys(store, ring, "jwt", now).await?;
        let kids = |ks: &[SigningKey]| ks.iter().map(|k| k.kid().to_owned()).collect::<Vec<_>>();
        if fresh.is_empty() || kids(&fresh) == kids(&self.jwt_keys()) {
            return Ok(false);
        }
        let active = fresh[0].kid().to_owned();
        match self.jwt_keys.write() {
            Ok(mut g) => *g = Arc::new(fresh),
            Err(p) => *p.into_inner() = Arc::new(fresh),
        }
        tracing::info!(kid = %active, "JWT signing keys reloaded");
        self.jwt_active.send_replace(active);
        Ok(true)
    }

    /// The VAPID public key as the browser's `applicationServerKey` (base64url, uncompressed).
    pub fn vapid_public(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.vapid.public().to_uncompressed())
    }
}

/// How long a superseded JWT signing key stays in the JWKS (and verifies): the longest access
/// token lifetime (30 days, a company's login), so no token outlives its key.
pub const JWT_KEY_RETIRED_MS: i64 = idgate_core::login::MAX_LIFETIME_PJ * 1000;

async fn generate(
    store: &Store,
    ring: &KeyRing,
    purpose: &str,
    now: i64,
) -> Result<String, String> {
    let kid = format!(
        "{purpose}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let key = SigningKey::generate(kid.clone(), &mut OsRng);
    let scalar = URL_SAFE_NO_PAD.encode(key.to_scalar());
    let row = LoginKeyRow {
        sealed: ring.seal_str(&scalar, kid.as_bytes(), &mut OsRng),
        kid: kid.clone(),
        purpose: purpose.to_owned(),
        created_at: now,
    };
    store
        .insert_login_key(&row)
        .await
        .map_err(|e| e.to_string())?;
    Ok(kid)
}

/// `idgate keys rotate`: a new JWT signing key, used by each node once it re-reads its keys
/// (within `login.key_refresh_ms`); the previous keys stay published and verifying for
/// [`JWT_KEY_RETIRED_MS`].
pub async fn rotate_jwt_key(store: &Store, ring: &KeyRing, now: i64) -> Result<String, String> {
    generate(store, ring, "jwt", now).await
}

/// The keys of `purpose`, the one to sign with first. VAPID: the oldest (push subscriptions
/// are bound to it). JWT: the newest, then the older ones superseded less than
/// [`JWT_KEY_RETIRED_MS`] ago.
async fn keys(
    store: &Store,
    ring: &KeyRing,
    purpose: &str,
    now: i64,
) -> Result<Vec<SigningKey>, String> {
    let mut rows = store.login_keys(purpose).await.map_err(|e| e.to_string())?;
    if rows.is_empty() {
        generate(store, ring, purpose, now).await?;
        rows = store.login_keys(purpose).await.map_err(|e| e.to_string())?;
    }
    if purpose == "jwt" {
        // oldest first from the store: a key is retired when the next one was created
        let retired_at: Vec<Option<i64>> = (0..rows.len())
            .map(|i| rows.get(i + 1).map(|next| next.created_at))
            .collect();
        rows = rows
            .into_iter()
            .zip(retired_at)
            .filter(|(_, r)| r.is_none_or(|at| now - at < JWT_KEY_RETIRED_MS))
            .map(|(row, _)| row)
            .collect();
        rows.reverse();
    }
    rows.iter()
        .map(|r| {
            let scalar = ring
                .open_str(&r.sealed, r.kid.as_bytes())
                .map_err(|e| format!("login key {}: {e}", r.kid))?;
            let raw = URL_SAFE_NO_PAD
                .decode(scalar)
                .map_err(|e| format!("login key {}: {e}", r.kid))?;
            SigningKey::from_scalar(r.kid.clone(), &raw)
                .map_err(|e| format!("login key {}: {e}", r.kid))
        })
        .collect()
}

/// Tells this node's web sockets, and on PostgreSQL every node's, that a login changed.
/// Prefix of the hub message telling a device's open sockets that it was revoked.
pub const DEVICE_REVOKED: &str = "device_revoked:";

/// Tells every node (this one's hub, others by `NOTIFY`) that device `id` was revoked, so its
/// open sockets close now rather than at their next heartbeat. `hub` is `None` from the CLI.
pub async fn publish_device_revoked(
    store: &Store,
    hub: Option<&broadcast::Sender<String>>,
    id: &str,
) {
    let msg = format!("{DEVICE_REVOKED}{id}");
    if let Some(hub) = hub {
        let _ = hub.send(msg.clone());
    }
    if let Err(e) = store.notify(CHANNEL, &msg).await {
        tracing::warn!(error = %e, "NOTIFY failed; the device's sockets close at their next heartbeat");
    }
}

pub async fn publish(st: &AppState, login_id: &str) {
    let _ = st.login.hub.send(login_id.to_owned());
    if let Err(e) = st.store.notify(CHANNEL, login_id).await {
        tracing::warn!(error = %e, "NOTIFY failed; other nodes will see the change at their next poll");
    }
}

/// Re-reads the JWT signing keys every `login.key_refresh_ms` until shutdown.
pub async fn refresh_keys(st: AppState, mut shutdown: watch::Receiver<bool>) {
    let every = std::time::Duration::from_millis(st.cfg.login.key_refresh_ms.max(10));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = st
            .login
            .refresh_jwt_keys(&st.store, &st.keys, st.now())
            .await
        {
            tracing::warn!(error = %e, "could not re-read the JWT signing keys");
        }
    }
}

/// On PostgreSQL, forwards `NOTIFY idgate_login` from every node into this node's hub,
/// reconnecting after errors. On shutdown, tells the web sockets to close.
pub async fn listen(st: AppState, url: String, mut shutdown: watch::Receiver<bool>) {
    forward(&st, &url, &mut shutdown).await;
    let _ = st.login.closing.send(true);
}

async fn forward(st: &AppState, url: &str, shutdown: &mut watch::Receiver<bool>) {
    loop {
        let mut listener = match idgate_store::pubsub::listen(url, CHANNEL).await {
            Ok(Some(l)) => l,
            Ok(None) => {
                let _ = shutdown.changed().await;
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                    _ = shutdown.changed() => return,
                }
            }
        };
        loop {
            tokio::select! {
                n = listener.recv() => match n {
                    Ok(n) => { let _ = st.login.hub.send(n.payload().to_owned()); }
                    Err(e) => { tracing::warn!(error = %e, "LISTEN connection lost"); break; }
                },
                _ = shutdown.changed() => return,
            }
        }
    }
}
