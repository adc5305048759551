//! Background work and readiness: a session whose row cannot be processed (its tenant's stored
//! policy is unreadable) is reported and skipped by the expiry sweep, which still expires the
//! others; `/readyz` reports a disk under its free-space threshold and a database that writes.

use idgate_server::app::sessions;
use idgate_store::testing::BACKENDS;
use idgate_store::{Backend, TenantSetting};
use reqwest::Method;
use serde_json::json;

use crate::common::{bearer, start, start_with};

#[tokio::test]
async fn a_failing_row_does_not_stop_the_expiry_sweep() {
    for b in BACKENDS {
        let s = start(b).await;
        let st = &s.running.state;
        let body = |id: &str| {
            json!({"id": id, "document_number": "529.982.247-25",
            "settings": {"session_expiration_time_in_minutes": 10}})
        };
        // tenant B's session expires first, so it comes first in the pass
        let (code, v) = s
            .call(
                Method::POST,
                "/v1/verification-sessions",
                &bearer(&s.b.key),
                Some(&body("b-1")),
            )
            .await;
        assert_eq!(code, 201, "{v}");
        s.clock.advance_ms(1_000);
        let (code, v) = s
            .call(
                Method::POST,
                "/v1/verification-sessions",
                &bearer(&s.a.key),
                Some(&body("a-1")),
            )
            .await;
        assert_eq!(code, 201, "{v}");
        st.store
            .set_tenant_setting(&s.b.id, TenantSetting::DecisionPolicy, Some("not json"))
            .await
            .unwrap();
        s.clock.advance_ms(11 * 60_000);
        assert_eq!(sessions::expire_due(st, 100).await.unwrap(), 1);
        let a = st.store.session(&s.a.id, "a-1").await.unwrap();
        assert_eq!(a.status, "expired");
        let b = st.store.session(&s.b.id, "b-1").await.unwrap();
        assert_ne!(b.status, "expired");
        s.stop().await;
    }
}

#[tokio::test]
async fn readyz_reports_a_disk_under_its_threshold() {
    let s = start_with(Backend::Sqlite, |c, _| {
        c.data_dir = std::env::temp_dir();
        c.readyz_min_free_bytes = u64::MAX;
    })
    .await;
    let (code, v) = s.call(Method::GET, "/readyz", "", None).await;
    assert_eq!(code, 503, "{v}");
    assert_eq!(
        (v["disk"].as_str(), v["database_writable"].as_bool()),
        (Some("low"), Some(true)),
        "{v}"
    );
    s.stop().await;
    let s = start(Backend::Sqlite).await;
    let (code, v) = s.call(Method::GET, "/readyz", "", None).await;
    assert_eq!((code, v["disk"].as_str()), (200, Some("ok")), "{v}");
    s.stop().await;
}
