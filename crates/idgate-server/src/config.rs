//! Configuration: defaults < `idgate.toml` < `IDGATE_*` environment (`__` for nesting), with
//! `*_FILE` variants for secrets. Secret values never print in `Debug`.

use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// A secret string: deserialises like a string, never prints.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<unset>"
        } else {
            "<redacted>"
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Directory for the SQLite database, generated keys and local files.
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL; empty means SQLite under `data_dir`.
    pub database_url: String,
    /// Public base URL of the hosted pages (`auth_session_url` is built from it).
    pub public_url: String,
    /// Dev mode: creates a sandbox tenant and a master key on first start.
    pub dev: bool,
    /// Base64 of the 32-byte master key (or `IDGATE_MASTER_KEY_FILE`). Empty in dev mode: a key
    /// is generated under `data_dir` with mode 0600.
    pub master_key: Secret,
    /// Previous master keys (`id:base64`) still accepted for decryption.
    pub old_master_keys: Vec<Secret>,
    pub webhooks: WebhookConfig,
    /// The inference workers faces and OCR share, and their per-tenant queues.
    pub inference: crate::app::inference::InferenceConfig,
    /// Document reading: OCR models, upload and PDF limits, signature trust roots.
    pub documents: crate::app::documents::config::DocumentsConfig,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Seconds between expiry sweeps.
    pub sweep_interval_secs: u64,
    /// `/readyz` answers 503 when the data directory's disk has less free space than this.
    pub readyz_min_free_bytes: u64,
    /// QR-code and push login.
    pub login: crate::login_config::LoginConfig,
    /// Face registration, validation and comparison: models, upload lifetime.
    pub faces: crate::app::faces::config::FacesConfig,
    /// The edges: body, frame and connection limits, timeouts, rate limits, trusted proxies.
    pub limits: crate::limits_config::LimitsConfig,
    /// The IP-country database (MaxMind DB format with a `country_code` field) for the device
    /// scan. Empty: `<models>/geo/dbip-country.mmdb`, installed by `scripts/setup.sh`.
    pub geoip_db: PathBuf,
    /// How long session events, finished deliveries and finished logins are kept.
    pub retention: crate::jobs::retention::RetentionConfig,
    /// The operator console: origin and relying party of its passkeys, sign-in lifetimes.
    pub console: crate::app::console::config::ConsoleConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Deliver to loopback and private addresses (tests, on-premises receivers).
    pub allow_private: bool,
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay in milliseconds; doubles each attempt (with jitter), capped at 6 h.
    pub base_delay_ms: u64,
    /// Per-request timeout in milliseconds.
    pub timeout_ms: u64,
    /// How long a claimed delivery stays leased to a worker; a crashed worker's rows are retried after it.
    pub lease_ms: u64,
    /// How often the worker looks for due deliveries when nothing woke it.
    pub poll_ms: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            max_attempts: 12,
            base_delay_ms: 5_000,
            timeout_ms: 10_000,
            lease_ms: 30_000,
            poll_ms: 1_000,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            public_url: String::new(),
            dev: false,
            master_key: Secret::default(),
            old_master_keys: Vec::new(),
            webhooks: WebhookConfig::default(),
            inference: Default::default(),
            documents: Default::default(),
            max_body_bytes: 1024 * 1024,
            sweep_interval_secs: 5,
            readyz_min_free_bytes: 512 * 1024 * 1024,
            login: Default::default(),
            faces: Default::default(),
            limits: Default::default(),
            geoip_db: PathBuf::new(),
            retention: Default::default(),
            console: Default::default(),
        }
    }
}

/// Environment variables that configure idgate but are not config keys.
const NON_CONFIG_ENV: &[&str] = &[
    "IDGATE_LOG",
    "IDGATE_TEST_PG_URL",
    "IDGATE_MODELS_DIR",
    "IDGATE_ROOT",
];

impl Config {
    /// Loads defaults < `file` (if it exists) < `IDGATE_*` env < `DATABASE_URL`.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, String> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        let path = file
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("idgate.toml"));
        if path.exists() {
            fig = fig.merge(Toml::file(&path));
        } else if file.is_some() {
            return Err(format!("config file {} does not exist", path.display()));
        }
        let env = Env::prefixed("IDGATE_").split("__").filter(|k| {
            // keys keep the variable's case: `IDGATE_MASTER_KEY_FILE` is `MASTER_KEY_FILE` here
            !k.as_str().to_ascii_lowercase().ends_with("_file")
                && !NON_CONFIG_ENV
                    .contains(&format!("IDGATE_{}", k.as_str().to_uppercase()).as_str())
        });
        fig = fig.merge(env);
        let mut cfg: Config = fig.extract().map_err(|e| e.to_string())?;
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.is_empty() {
                cfg.database_url = url;
            }
        }
        if let Ok(p) = std::env::var("IDGATE_MASTER_KEY_FILE") {
            let v = std::fs::read_to_string(&p)
                .map_err(|e| format!("IDGATE_MASTER_KEY_FILE {p}: {e}"))?;
            cfg.master_key = Secret(v.trim().to_owned());
        }
        Ok(cfg)
    }

    /// Names of `IDGATE_*` variables that match no setting (warned about at start).
    pub fn unknown_env() -> Vec<String> {
        let known = serde_json::to_value(Config::default()).unwrap_or_default();
        std::env::vars()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("IDGATE_") && !NON_CONFIG_ENV.contains(&k.as_str()))
            .filter(|k| {
                let key = k
                    .trim_start_matches("IDGATE_")
                    .trim_end_matches("_FILE")
                    .to_lowercase();
                let top = key.split("__").next().unwrap_or_default().to_owned();
                known.get(&top).is_none()
            })
            .collect()
    }

    /// The IP-country database actually used.
    pub fn geoip_db_path(&self) -> PathBuf {
        if self.geoip_db.as_os_str().is_empty() {
            crate::app::geo::default_db()
        } else {
            self.geoip_db.clone()
        }
    }

    /// The database URL actually used.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}/idgate.db", self.data_dir.display())
        } else {
            self.database_url.clone()
        }
    }

    /// The public base URL, defaulting to `http://<listen>`.
    pub fn public_base(&self, bound: Option<std::net::SocketAddr>) -> String {
        if !self.public_url.is_empty() {
            return self.public_url.trim_end_matches('/').to_owned();
        }
        let addr = bound
            .map(|a| a.to_string())
            .unwrap_or_else(|| self.listen.clone());
        format!("http://{addr}")
    }
}

/// Workers of an inference pool: the configured count, or one per core when it is 0.
pub fn pool_workers(configured: usize) -> usize {
    if configured == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        configured
    }
}

/// Queued jobs an inference pool accepts: the configured count, or twice its workers when 0.
pub fn pool_queue(configured: usize, workers: usize) -> usize {
    if configured == 0 {
        workers * 2
    } else {
        configured
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let c = Config {
            master_key: Secret("abc".into()),
            ..Config::default()
        };
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("abc"));
        assert!(dbg.contains("<redacted>"));
    }

    /// `IDGATE_MASTER_KEY_FILE` is read as the README says, not refused as an unknown setting.
    /// (Each nextest test is its own process, so the variable reaches no other test.)
    #[test]
    fn master_key_file_is_read() {
        let dir = std::env::temp_dir().join(format!("idgate-mk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("master.key");
        let key = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        std::fs::write(&path, format!("{key}\n")).unwrap();
        std::env::set_var("IDGATE_MASTER_KEY_FILE", &path);
        let c = Config::load(None);
        std::env::remove_var("IDGATE_MASTER_KEY_FILE");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(c.expect("loads").master_key.0, key);
    }

    #[test]
    fn database_url_defaults_to_sqlite_in_data_dir() {
        let c = Config {
            data_dir: "/tmp/x".into(),
            ..Config::default()
        };
        assert_eq!(c.database_url(), "sqlite:///tmp/x/idgate.db");
    }
}
