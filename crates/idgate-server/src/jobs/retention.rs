//! The retention purge the sweeper runs each pass: session events, finished webhook deliveries
//! and login jobs, and finished logins (with their events and expired access tokens) older than
//! the `[retention]` periods are deleted, a bounded batch per table per pass.

use idgate_store::{Cutoffs, Purged};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

pub(crate) const DAY_MS: i64 = 86_400_000;
/// Rows deleted per table per pass.
pub const BATCH: i64 = 1_000;

/// `[retention]`: how long records are kept, in days.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Session events (the `events` audit trail of each session).
    pub events_days: i64,
    /// Delivered or dead webhook deliveries and finished login jobs (callbacks, pushes).
    pub deliveries_days: i64,
    /// Finished logins and their events; never before the access tokens they issued expired.
    pub logins_days: i64,
    /// A session's biometrics (selfie and liveness images with their templates, liveness
    /// results, face validations and portrait matches), counted from when it became final;
    /// a tenant may set its own (`idgate tenant retention`). See [`super::evidence`].
    pub biometrics_days: i64,
    /// A session's document reads (files, OCR results, portrait matches), likewise.
    pub documents_days: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            events_days: 365,
            deliveries_days: 30,
            logins_days: 90,
            biometrics_days: 90,
            documents_days: 180,
        }
    }
}

impl RetentionConfig {
    /// The cut-off times at `now` (at least one day each).
    pub fn cutoffs(&self, now: i64) -> Cutoffs {
        let before = |days: i64| now - days.max(1).saturating_mul(DAY_MS);
        Cutoffs {
            now,
            events: before(self.events_days),
            deliveries: before(self.deliveries_days),
            logins: before(self.logins_days),
        }
    }
}

/// One bounded purge at the clock's now.
pub async fn purge(st: &AppState) -> Result<Purged, idgate_store::StoreError> {
    let cut = st.cfg.retention.cutoffs(st.now());
    let purged = st.store.purge_retained(cut, BATCH).await?;
    if purged != Purged::default() {
        tracing::info!(?purged, "retention purge");
    }
    Ok(purged)
}
