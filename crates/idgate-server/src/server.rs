//! Start-up and shutdown: database, migrations, keys, dev bootstrap, listener, jobs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use idgate_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::admin;
use crate::clock::Clock;
use crate::config::Config;
use crate::state::{AppState, Inner, Metrics};

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Set in dev mode when this start created the sandbox tenant.
    pub dev_api_key: Option<String>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets jobs finish their current step, closes the database.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.state.store.close().await;
    }

    /// Waits until the HTTP server ends (on SIGINT/SIGTERM via `stop`).
    pub async fn wait_for_signal(self) {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("shutting down");
        self.stop().await;
    }
}

/// Opens the configured database (creating the SQLite directory) and migrates it.
pub async fn open_store(cfg: &Config) -> Result<Store, String> {
    if cfg.database_url.is_empty() {
        std::fs::create_dir_all(&cfg.data_dir)
            .map_err(|e| format!("{}: {e}", cfg.data_dir.display()))?;
    }
    let store = Store::connect(&cfg.database_url())
        .await
        .map_err(|e| format!("database: {e}"))?;
    store
        .migrate()
        .await
        .map_err(|e| format!("migrations: {e}"))?;
    Ok(store)
}

pub async fn start(cfg: Config, clock: Arc<dyn Clock>) -> Result<Running, String> {
    let store = open_store(&cfg).await?;
    let keys = crate::keys::load(&cfg)?;
    crate::keys::check_fingerprint(&store, &keys).await?;
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_base = cfg.public_base(Some(addr));
    let dev_api_key = if cfg.dev {
        dev_bootstrap(&store, &cfg, clock.now_ms()).await?
    } else {
        None
    };
    if cfg.webhooks.allow_private || cfg.login.push_allow_private {
        tracing::warn!(
            webhooks = cfg.webhooks.allow_private,
            push = cfg.login.push_allow_private,
            "outbound calls may go to private addresses and plain http (allow_private): for tests and on-premises only"
        );
    }
    let login = crate::app::login_runtime::LoginRuntime::load(
        &store,
        &keys,
        clock.now_ms(),
        cfg.webhooks.timeout_ms,
        (cfg.webhooks.allow_private, cfg.login.push_allow_private),
    )
    .await?;
    let pool = crate::app::inference::start(&cfg)?;
    let documents = crate::app::documents::DocRuntime::start(&cfg.documents, pool.clone())?;
    let faces = crate::app::faces::FaceEngine::start(&cfg.faces, pool);
    let edge = crate::http::guard::Edge::new(&cfg.limits, clock.clone())?;
    let geo = crate::app::geo::GeoIp::open(&cfg.geoip_db_path());
    let state = AppState(Arc::new(Inner {
        store,
        cfg,
        keys,
        clock,
        public_base,
        ready: AtomicBool::new(false),
        metrics: Metrics::default(),
        key_cache: Default::default(),
        client_cache: Default::default(),
        documents,
        faces,
        login,
        geo,
        edge,
        uqudo: Default::default(),
    }));
    let (tx, rx) = watch::channel(false);
    let app = crate::http::app(state.clone());
    let srx = rx.clone();
    let limits = state.cfg.limits.clone();
    let http = tokio::spawn(async move {
        crate::http::listen::serve(listener, app, &limits, srx).await;
    });
    let hooks = tokio::spawn(crate::jobs::webhooks::run(state.clone(), rx.clone()));
    let login_jobs = tokio::spawn(crate::jobs::login::run(state.clone(), rx.clone()));
    let db_url = state.cfg.database_url();
    let listen = tokio::spawn(crate::app::login_runtime::listen(
        state.clone(),
        db_url,
        rx.clone(),
    ));
    let key_refresh = tokio::spawn(crate::app::login_runtime::refresh_keys(
        state.clone(),
        rx.clone(),
    ));
    let sweeper = tokio::spawn(crate::jobs::sweeper::run(state.clone(), rx));
    state.ready.store(true, Ordering::Relaxed);
    tracing::info!(%addr, public = %state.public_base, backend = ?state.store.backend(), "idgate listening");
    Ok(Running {
        addr,
        state,
        dev_api_key,
        shutdown: tx,
        tasks: vec![http, hooks, sweeper, login_jobs, listen, key_refresh],
    })
}

/// First start in dev mode: a sandbox tenant and an API key, printed and saved to
/// `data_dir/dev-api-key` (mode 0600) so the README's curl works at once.
async fn dev_bootstrap(store: &Store, cfg: &Config, now: i64) -> Result<Option<String>, String> {
    if store.tenant_count().await.map_err(|e| e.to_string())? > 0 {
        return Ok(None);
    }
    let t = admin::create_tenant(store, now, "sandbox", true, "America/Sao_Paulo")
        .await
        .map_err(|e| e.message)?;
    let k = admin::create_api_key(store, now, &t.tenant_id)
        .await
        .map_err(|e| e.message)?;
    let path = cfg.data_dir.join("dev-api-key");
    let _ = std::fs::create_dir_all(&cfg.data_dir);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    if let Ok(mut f) = opts.open(&path) {
        use std::io::Write;
        let _ = writeln!(f, "{}", k.api_key);
    }
    eprintln!(
        "\n  dev mode: created sandbox tenant {} with API key\n\n    {}\n\n  (also saved to {})\n",
        t.tenant_id,
        k.api_key,
        path.display()
    );
    Ok(Some(k.api_key))
}
