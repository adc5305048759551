//! Background work and readiness: a session whose row cannot be processed (its tenant's stored
//! policy is unreadable) is reported and skipped by the expiry sweep, which still expires the
//! others; `/readyz` reports a disk under its free-space threshold and a database that writes;
//! the retention purge deletes what is past its period and nothing younger.

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

/// The sweeper's retention purge deletes session events and finished logins once they are past
/// their periods (`[retention]`), and leaves younger records alone.
#[tokio::test]
async fn the_retention_purge_deletes_only_what_is_past_its_period() {
    use crate::login_support::env_with;
    use idgate_server::jobs::retention;
    for b in BACKENDS {
        // the server's own sweeper passes once at start, then not during the test
        let e = env_with(b, |c, _| c.sweep_interval_secs = 3_600).await;
        let (s, st) = (&e.s, &e.s.running.state);
        // (its first pass is over before the clock moves: it would expire and purge on its own)
        st.metrics.sweeps.reached(1).await;
        let create = |id: &'static str| {
            let body = json!({"id": id, "document_number": "529.982.247-25"});
            async move {
                let auth = bearer(&s.a.key);
                let (code, v) = s
                    .call(
                        Method::POST,
                        "/v1/verification-sessions",
                        &auth,
                        Some(&body),
                    )
                    .await;
                assert_eq!(code, 201, "{v}");
            }
        };
        create("old").await;
        let (code, v) = e.start(json!({})).await;
        assert_eq!(code, 200, "{v}");
        let short = v["short_token"].as_str().unwrap();
        let hash = idgate_core::login::hash_token(short);
        let login = st.store.login_by_short_token(&hash).await.unwrap();
        s.clock.advance_ms(400 * 86_400_000);
        idgate_server::app::login::expire_due(st, 100)
            .await
            .unwrap();
        create("new").await;
        let purged = retention::purge(st).await.unwrap();
        assert_eq!(purged.logins, 1, "{b:?} {purged:?}");
        assert!(purged.events >= 1 && purged.login_events >= 1, "{purged:?}");
        assert!(s.event_kinds("old").await.is_empty());
        assert_eq!(s.event_kinds("new").await, ["session.created"]);
        assert!(
            st.store.login(&login.id).await.is_err(),
            "the login is gone"
        );
        assert_eq!(retention::purge(st).await.unwrap().logins, 0, "once");
        e.s.stop().await;
    }
}
