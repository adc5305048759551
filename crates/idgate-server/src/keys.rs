//! The master key ring: loaded from config, generated under the data dir in dev mode (mode
//! 0600), and checked against the fingerprint stored in the database so that a wrong key
//! refuses to start instead of producing undecryptable data.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use idgate_core::crypto::{Key, KeyRing};
use idgate_store::Store;
use rand::RngCore;

use crate::config::Config;

const FINGERPRINT_KEY: &str = "master_key_fingerprint";

/// Builds the key ring from config, or from `data_dir/master.key` in dev mode (created if missing).
pub fn load(cfg: &Config) -> Result<KeyRing, String> {
    let active = if !cfg.master_key.0.is_empty() {
        parse_key(&cfg.master_key.0)?
    } else if cfg.dev {
        dev_key(&cfg.data_dir)?
    } else {
        return Err(
            "no master key: set IDGATE_MASTER_KEY or IDGATE_MASTER_KEY_FILE (32 bytes, base64), \
                    or run with --dev"
                .into(),
        );
    };
    let old = cfg
        .old_master_keys
        .iter()
        .map(|s| parse_key(&s.0))
        .collect::<Result<_, _>>()?;
    Ok(KeyRing::new(active, old))
}

/// `id:base64` or bare base64 (id `k1`).
fn parse_key(s: &str) -> Result<Key, String> {
    let (id, b64) = s.split_once(':').unwrap_or(("k1", s));
    Key::from_base64(id, b64).map_err(|e| format!("master key {id}: {e}"))
}

fn dev_key(dir: &Path) -> Result<Key, String> {
    let path = dir.join("master.key");
    if let Ok(s) = std::fs::read_to_string(&path) {
        return parse_key(s.trim());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let line = format!("k1:{}", STANDARD.encode(bytes));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
    tracing::warn!(path = %path.display(), "generated a dev master key");
    parse_key(&line)
}

/// Records the active key's fingerprint on first use; refuses a ring whose keys do not include it.
pub async fn check_fingerprint(store: &Store, ring: &KeyRing) -> Result<(), String> {
    let fp = ring.active().fingerprint();
    let stored = store
        .meta_init(FINGERPRINT_KEY, &fp)
        .await
        .map_err(|e| e.to_string())?;
    if stored == fp {
        return Ok(());
    }
    if ring.all().any(|k| k.fingerprint() == stored) {
        // rotation: an old key made this database; the new active key takes over from here
        store
            .meta_set(FINGERPRINT_KEY, &fp)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    Err(format!(
        "the master key does not match this database (stored fingerprint {stored}, configured {fp}); \
         refusing to start. Configure the original key, or keep it in old_master_keys while rotating."
    ))
}
