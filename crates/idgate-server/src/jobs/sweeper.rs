//! The expiry sweeper: moves overdue sessions to `expired` (recording the event) so that
//! webhooks fire even if nobody reads the session (reads enforce expiry on their own too),
//! decides sessions a stopped node left in `processing`, expires logins, purges unclaimed
//! face images and expired document reads, deletes what sessions collected past the tenant's
//! retention ([`super::evidence`]) and records past theirs ([`super::retention`]).

use std::time::Duration;

use tokio::sync::watch;

use crate::app::sessions;
use crate::state::AppState;

pub async fn run(st: AppState, mut shutdown: watch::Receiver<bool>) {
    let every = Duration::from_secs(st.cfg.sweep_interval_secs.max(1));
    loop {
        loop {
            match sessions::expire_due(&st, 100).await {
                Ok(n) if n >= 100 => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(code = e.code.as_str(), "expiry sweep failed");
                    break;
                }
            }
        }
        if let Err(e) = crate::app::steps::decide_stalled(&st, 100).await {
            tracing::warn!(code = e.code.as_str(), "stalled decision sweep failed");
        }
        if let Err(e) = crate::app::login::expire_due(&st, 100).await {
            tracing::warn!(code = e.code.as_str(), "login expiry sweep failed");
        }
        // uploaded face images that no registration claimed (reads already ignore them)
        if let Err(e) = st.store.purge_expired_face_images(st.now()).await {
            tracing::warn!(error = %e, "face image purge failed");
        }
        // reads made on their own, past `documents.read_ttl_secs`
        if let Err(e) = st.store.purge_expired_documents(st.now(), 1_000).await {
            tracing::warn!(error = %e, "document read purge failed");
        }
        if let Err(e) = super::evidence::purge(&st, 100).await {
            tracing::warn!(error = %e, "session evidence purge failed");
        }
        if let Err(e) = super::retention::purge(&st).await {
            tracing::warn!(error = %e, "retention purge failed");
        }
        st.metrics.sweeps.done();
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}
