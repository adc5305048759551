//! The retention of what sessions collected, run by the sweeper each pass: per tenant (its own
//! periods from `idgate tenant retention`, else `[retention]`), the biometrics and then the
//! documents of sessions final for longer than the period are deleted (see
//! `idgate_store::Evidence`), the session marked (`biometrics_purged_at`,
//! `documents_purged_at`) and a purge that deleted something audited (`session.evidence_purged`). Status, decision and
//! reasons stay. A session waiting for a reviewer (`in_manual_analysis`) or not final is never
//! touched. A tenant or session that fails is reported and skipped; the others go on.

use idgate_store::{AuditEventRow, Evidence, EvidenceCounts, SessionRow, StoreError};
use serde_json::json;

use super::retention::DAY_MS;
use crate::app::retention::TenantRetention;
use crate::state::AppState;

/// What one pass deleted, over every tenant.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EvidencePurged {
    /// Sessions purged, per kind.
    pub biometrics_sessions: u64,
    pub documents_sessions: u64,
    pub rows: EvidenceCounts,
}

/// One pass at the clock's now: at most `limit` sessions per tenant and kind.
pub async fn purge(st: &AppState, limit: i64) -> Result<EvidencePurged, StoreError> {
    let now = st.now();
    let mut out = EvidencePurged::default();
    for (tenant_id, setting) in st.store.tenant_retentions().await? {
        let r = match TenantRetention::resolve(setting.as_deref(), &st.cfg.retention) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(tenant = %tenant_id, error = %e, "unreadable retention setting; tenant skipped");
                continue;
            }
        };
        if let Err(e) = purge_tenant(st, &tenant_id, r, now, limit, &mut out).await {
            tracing::warn!(tenant = %tenant_id, error = %e, "session evidence purge failed; tenant skipped");
        }
    }
    if out != EvidencePurged::default() {
        tracing::info!(?out, "session evidence purged");
    }
    Ok(out)
}

async fn purge_tenant(
    st: &AppState,
    tenant_id: &str,
    r: TenantRetention,
    now: i64,
    limit: i64,
    out: &mut EvidencePurged,
) -> Result<(), StoreError> {
    for kind in [Evidence::Biometrics, Evidence::Documents] {
        let before = now - r.days(kind).max(1).saturating_mul(DAY_MS);
        let due = st
            .store
            .sessions_due_for_purge(tenant_id, kind, before, limit)
            .await?;
        for row in due {
            // a row that fails is reported and skipped: it must not stop the rest
            match purge_one(st, &row, kind, now).await {
                Ok(c) => {
                    out.rows += c;
                    match kind {
                        Evidence::Biometrics => out.biometrics_sessions += 1,
                        Evidence::Documents => out.documents_sessions += 1,
                    }
                }
                // changed since it was read: the next pass sees it again
                Err(StoreError::Conflict(_)) => {}
                Err(e) => {
                    tracing::warn!(session = %row.id, kind = kind.as_str(), error = %e, "could not purge session evidence; skipped")
                }
            }
        }
    }
    Ok(())
}

async fn purge_one(
    st: &AppState,
    row: &SessionRow,
    kind: Evidence,
    now: i64,
) -> Result<EvidenceCounts, StoreError> {
    let keys = crate::app::retention::collected_keys(&row.step_data, kind);
    // audited when something was deleted (a session that collected nothing is only marked)
    let audit = |c: &EvidenceCounts| {
        (*c != EvidenceCounts::default()).then(|| AuditEventRow {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: row.tenant_id.clone(),
            kind: "session.evidence_purged".into(),
            subject: row.id.clone(),
            detail: json!({"by": "retention", "evidence": kind.as_str(), "deleted": c}).to_string(),
            created_at: now,
        })
    };
    st.store
        .purge_session_evidence(row, kind, &keys, now, audit)
        .await
}
