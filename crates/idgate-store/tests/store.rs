//! Storage tests, each run on SQLite and PostgreSQL with its own fresh database.

use idgate_store::testing::{fresh, BACKENDS};
use idgate_store::*;

fn tenant(id: &str) -> TenantRow {
    TenantRow {
        id: id.into(),
        name: format!("name-{id}"),
        mode: "sandbox".into(),
        time_zone: "America/Sao_Paulo".into(),
        default_settings: None,
        decision_policy: None,
        frame_origins: None,
        redirect_url: None,
        created_at: 1,
        rate_limit: None,
    }
}

fn session(tenant: &str, id: &str, hash: &str, at: i64) -> SessionRow {
    SessionRow {
        tenant_id: tenant.into(),
        id: id.into(),
        hash: hash.into(),
        token_hash: format!("th-{id}"),
        token_gen: 0,
        document_number: "52998224725".into(),
        settings: "{}".into(),
        fingerprint: "fp".into(),
        status: "pending".into(),
        step: Some("device_scan".into()),
        step_data: "{}".into(),
        decision: None,
        expires_at: at + 1000,
        token_expires_at: at + 500,
        created_at: at,
        updated_at: at,
        biometrics_purged_at: None,
        documents_purged_at: None,
    }
}

fn event(tenant: &str, session: &str, id: &str, kind: &str) -> NewEvent {
    NewEvent {
        id: id.into(),
        tenant_id: tenant.into(),
        session_id: session.into(),
        kind: kind.into(),
        from_status: None,
        to_status: Some("pending".into()),
        payload: format!("{{\"id\":\"{id}\"}}"),
        created_at: 10,
    }
}

fn endpoint(tenant: &str, id: &str, events: &str, enabled: i64) -> EndpointRow {
    EndpointRow {
        id: id.into(),
        tenant_id: tenant.into(),
        url: "http://127.0.0.1:1/hook".into(),
        secret_sealed: "x".into(),
        events: events.into(),
        enabled,
        created_at: 1,
    }
}

#[tokio::test]
async fn tenants_keys_and_isolation() {
    for b in BACKENDS {
        let s = fresh(b).await;
        s.insert_tenant(&tenant("a")).await.unwrap();
        s.insert_tenant(&tenant("b")).await.unwrap();
        assert!(s.insert_tenant(&tenant("a")).await.is_err(), "{b:?}");
        let mut dup = tenant("c");
        dup.name = "name-a".into();
        assert!(
            matches!(s.insert_tenant(&dup).await, Err(StoreError::Conflict(_))),
            "{b:?}"
        );
        assert_eq!(s.tenant_by_name("name-b").await.unwrap().id, "b");
        let key = ApiKeyRow {
            id: "k1".into(),
            tenant_id: "a".into(),
            prefix: "idg_test_abc".into(),
            secret_hash: "h".into(),
            created_at: 1,
            revoked_at: None,
            scopes: Some("sessions:read".into()),
        };
        s.insert_api_key(&key).await.unwrap();
        let (k, t) = s.api_key_by_prefix("idg_test_abc").await.unwrap();
        assert_eq!((k.id.as_str(), t.id.as_str()), ("k1", "a"));
        assert!(matches!(
            s.api_key_by_prefix("nope").await,
            Err(StoreError::NotFound)
        ));

        s.insert_session(
            &session("a", "s1", "h1", 100),
            &event("a", "s1", "e1", "session.created"),
        )
        .await
        .unwrap();
        assert_eq!(s.session("a", "s1").await.unwrap().hash, "h1");
        assert!(
            matches!(s.session("b", "s1").await, Err(StoreError::NotFound)),
            "{b:?}"
        );
        assert!(s
            .list_sessions(
                "b",
                &ListFilter {
                    limit: 10,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty());
        // the same id in another tenant is another session
        s.insert_session(
            &session("b", "s1", "h2", 100),
            &event("b", "s1", "e2", "session.created"),
        )
        .await
        .unwrap();
        s.close().await;
    }
}

#[tokio::test]
async fn insert_replay_hash_collision_and_cas() {
    for b in BACKENDS {
        let s = fresh(b).await;
        s.insert_tenant(&tenant("a")).await.unwrap();
        let row = session("a", "s1", "h1", 100);
        assert!(matches!(
            s.insert_session(&row, &event("a", "s1", "e1", "x"))
                .await
                .unwrap(),
            Created::Inserted
        ));
        match s
            .insert_session(&session("a", "s1", "h9", 100), &event("a", "s1", "e9", "x"))
            .await
            .unwrap()
        {
            Created::Exists(existing) => assert_eq!(*existing, row),
            other => panic!("{other:?}"),
        }
        let clash = session("a", "s2", "h1", 100);
        assert!(matches!(
            s.insert_session(&clash, &event("a", "s2", "e3", "x"))
                .await
                .unwrap(),
            Created::HashTaken
        ));
        // the failed inserts left no events behind
        assert_eq!(s.session_events("a", "s1").await.unwrap().len(), 1, "{b:?}");

        let mut next = row.clone();
        next.status = "in_progress".into();
        next.updated_at = 200;
        s.update_session(
            &next,
            Expected::of(&row),
            &[event("a", "s1", "e4", "session.in_progress")],
        )
        .await
        .unwrap();
        let again = s
            .update_session(
                &next,
                Expected::of(&row),
                &[event("a", "s1", "e5", "session.in_progress")],
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{b:?}");
        // a writer that read another current step loses too
        let stale_step = Expected {
            step: Some("not_the_step"),
            ..Expected::of(&next)
        };
        let again = s.update_session(&next, stale_step, &[]).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{b:?}");
        let stored = s.session("a", "s1").await.unwrap();
        assert_eq!(
            (stored.status.as_str(), stored.updated_at),
            ("in_progress", 200)
        );
        let kinds: Vec<_> = s
            .session_events("a", "s1")
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["x", "session.in_progress"]);
        s.close().await;
    }
}

#[tokio::test]
async fn list_filters_and_paginates() {
    for b in BACKENDS {
        let s = fresh(b).await;
        s.insert_tenant(&tenant("a")).await.unwrap();
        for i in 0..5 {
            let mut r = session("a", &format!("s{i}"), &format!("h{i}"), 100 + (i / 2));
            if i % 2 == 0 {
                r.status = "canceled".into();
            }
            s.insert_session(&r, &event("a", &r.id, &format!("e{i}"), "x"))
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut f = ListFilter {
            limit: 2,
            ..Default::default()
        };
        loop {
            let page = s.list_sessions("a", &f).await.unwrap();
            if page.is_empty() {
                break;
            }
            let last = page.last().unwrap();
            f.after = Some((last.created_at, last.id.clone()));
            seen.extend(page.into_iter().map(|r| r.id));
        }
        assert_eq!(seen, ["s4", "s3", "s2", "s1", "s0"], "{b:?}");
        let canceled = ListFilter {
            status: Some("canceled".into()),
            limit: 10,
            after: None,
        };
        let ids: Vec<_> = s
            .list_sessions("a", &canceled)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["s4", "s2", "s0"]);
        let due = s.sessions_due_to_expire(1_000_000, 10).await.unwrap();
        assert_eq!(
            due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["s1", "s3"]
        );
        s.close().await;
    }
}

#[tokio::test]
async fn outbox_fans_out_leases_retries_and_replays() {
    for b in BACKENDS {
        let s = fresh(b).await;
        s.insert_tenant(&tenant("a")).await.unwrap();
        s.insert_tenant(&tenant("b")).await.unwrap();
        s.insert_endpoint(&endpoint("a", "all", "*", 1))
            .await
            .unwrap();
        s.insert_endpoint(&endpoint(
            "a",
            "some",
            "session.created,session.canceled",
            1,
        ))
        .await
        .unwrap();
        s.insert_endpoint(&endpoint("a", "off", "*", 0))
            .await
            .unwrap();
        s.insert_endpoint(&endpoint("b", "other", "*", 1))
            .await
            .unwrap();
        s.insert_session(
            &session("a", "s1", "h1", 100),
            &event("a", "s1", "e1", "session.created"),
        )
        .await
        .unwrap();
        let first = session("a", "s1", "h1", 100);
        let mut next = first.clone();
        next.status = "in_progress".into();
        s.update_session(
            &next,
            Expected::of(&first),
            &[event("a", "s1", "e2", "session.in_progress")],
        )
        .await
        .unwrap();

        let rows = s.outbox_for_tenant("a").await.unwrap();
        let mut got: Vec<_> = rows
            .iter()
            .map(|r| (r.event_id.as_str(), r.endpoint_id.as_str()))
            .collect();
        got.sort();
        assert_eq!(got, [("e1", "all"), ("e1", "some"), ("e2", "all")], "{b:?}");
        assert!(s.outbox_for_tenant("b").await.unwrap().is_empty());

        let claimed = s.claim_outbox("w1", 10, 1000, 10).await.unwrap();
        assert_eq!(claimed.len(), 3);
        assert!(
            s.claim_outbox("w2", 20, 1000, 10).await.unwrap().is_empty(),
            "leased rows are not claimed twice"
        );
        let (first, rest) = claimed.split_first().unwrap();
        // another worker cannot complete w1's deliveries
        assert!(matches!(
            s.outbox_delivered(&first.id, "w2", 30).await,
            Err(StoreError::Conflict(_))
        ));
        s.outbox_delivered(&first.id, "w1", 30).await.unwrap();
        s.outbox_failed((&rest[0].id, "w1", 30), "boom", Some(500))
            .await
            .unwrap();
        s.outbox_failed((&rest[1].id, "w1", 30), "dead", None)
            .await
            .unwrap();
        // lease of the failed one is released; it is due at 500, not before
        assert!(s
            .claim_outbox("w2", 499, 2000, 10)
            .await
            .unwrap()
            .is_empty());
        let again = s.claim_outbox("w2", 500, 2000, 10).await.unwrap();
        assert_eq!(
            again.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            [rest[0].id.as_str()]
        );
        assert_eq!(again[0].attempts, 1);
        // an expired lease (crashed worker) makes it due again
        assert_eq!(s.claim_outbox("w3", 2000, 3000, 10).await.unwrap().len(), 1);
        // w2, whose lease expired (and w3 holds the row now), cannot complete or fail it
        assert!(matches!(
            s.outbox_delivered(&again[0].id, "w2", 2100).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.outbox_failed((&again[0].id, "w2", 2100), "late", None)
                .await,
            Err(StoreError::Conflict(_))
        ));
        // nor can w3 once its own lease has run out
        assert!(matches!(
            s.outbox_delivered(&again[0].id, "w3", 3000).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.outbox_replay("a", None, 5000).await.unwrap(), 1);
        let dead_again = s.claim_outbox("w4", 5000, 6000, 10).await.unwrap();
        assert!(dead_again.iter().any(|r| r.id == rest[1].id));
        s.close().await;
    }
}

/// Concurrent creates go through the group-commit writer: all land, each with its first event
/// and outbox rows; a duplicate id and a taken hash are told apart as one-by-one inserts are.
#[tokio::test]
async fn group_commit_creates_concurrently() {
    for b in BACKENDS {
        let s = fresh(b).await;
        s.insert_tenant(&tenant("a")).await.unwrap();
        s.insert_endpoint(&endpoint("a", "all", "*", 1))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("s{i}");
                s.create_session(
                    session("a", &id, &format!("h{i}"), 100 + i),
                    event("a", &id, &format!("e{i}"), "session.created"),
                )
                .await
            }));
        }
        for t in tasks {
            assert!(
                matches!(t.await.unwrap().unwrap(), Created::Inserted),
                "{b:?}"
            );
        }
        // same id again (replay) and a new id with a taken hash, submitted together
        let replay = s.create_session(
            session("a", "s7", "hx", 1),
            event("a", "s7", "ex", "session.created"),
        );
        let clash = s.create_session(
            session("a", "new", "h3", 1),
            event("a", "new", "ey", "session.created"),
        );
        let (replay, clash) = tokio::join!(replay, clash);
        match replay.unwrap() {
            Created::Exists(row) => assert_eq!(row.hash, "h7"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(clash.unwrap(), Created::HashTaken));
        for i in [0, 7, 199] {
            let evs = s.session_events("a", &format!("s{i}")).await.unwrap();
            assert_eq!(evs.len(), 1, "{b:?}");
            assert_eq!(evs[0].kind, "session.created");
        }
        assert!(s.session_events("a", "new").await.unwrap().is_empty());
        assert_eq!(s.outbox_for_tenant("a").await.unwrap().len(), 200, "{b:?}");
        s.close().await;
    }
}

fn login(tenant: &str, id: &str, short_hash: &str) -> LoginRow {
    LoginRow {
        id: id.into(),
        tenant_id: tenant.into(),
        client_id: "c1".into(),
        short_token_hash: short_hash.into(),
        ws_token_hash: None,
        username: Some("52998224725".into()),
        subject: None,
        scope: "authentication_session".into(),
        lifetime: 3600,
        callback_url: "https://app.example/cb".into(),
        challenge: 42,
        choices: "42,17,88".into(),
        status: "pending".into(),
        device_id: None,
        deny_reason: None,
        pushed_at: Some(5),
        scanned_at: None,
        jti: None,
        exchanged_at: None,
        created_at: 5,
        expires_at: 300_005,
        finished_at: None,
        updated_at: 5,
        version: 0,
    }
}

#[tokio::test]
async fn group_commit_logins_concurrently() {
    for b in BACKENDS {
        let s = fresh(b).await;
        s.insert_tenant(&tenant("a")).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..150 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let l = login("a", &format!("lg{i}"), &format!("st{i}"));
                let ev = LoginEventRow {
                    id: format!("le{i}"),
                    tenant_id: "a".into(),
                    login_id: l.id.clone(),
                    kind: "login.created".into(),
                    detail: "{}".into(),
                    created_at: 5,
                };
                let job = LoginJobRow {
                    id: format!("lj{i}"),
                    tenant_id: "a".into(),
                    login_id: l.id.clone(),
                    kind: "push".into(),
                    target: "dev1".into(),
                    payload: "sealed".into(),
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: 5,
                    last_error: None,
                    created_at: 5,
                    done_at: None,
                };
                // every third login reuses a short-token hash: exactly one of each pair is stored
                let l = if i % 3 == 2 {
                    login("a", &format!("lg{i}"), &format!("st{}", i - 1))
                } else {
                    l
                };
                s.insert_login(&l, &[ev], &[job]).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap().is_ok());
        }
        assert_eq!(ok, 100, "{b:?}: the 50 clashing short tokens fail alone");
        for i in [0usize, 3, 147] {
            let l = s.login(&format!("lg{i}")).await.unwrap();
            assert_eq!(l, login("a", &format!("lg{i}"), &format!("st{i}")), "{b:?}");
            assert_eq!(s.login_events("a", &l.id).await.unwrap().len(), 1);
            assert_eq!(s.login_jobs_of(&l.id).await.unwrap().len(), 1);
        }
        for k in 0..50 {
            // of each pair sharing a short token, the first to commit is stored, with its rows
            let (x, y) = (format!("lg{}", 3 * k + 1), format!("lg{}", 3 * k + 2));
            let (lx, ly) = (s.login(&x).await.ok(), s.login(&y).await.ok());
            assert!(lx.is_some() != ly.is_some(), "{b:?} pair {k}");
            let lost = if lx.is_some() { &y } else { &x };
            assert!(s.login_events("a", lost).await.unwrap().is_empty());
            assert!(s.login_jobs_of(lost).await.unwrap().is_empty());
        }
        s.close().await;
    }
}

#[tokio::test]
async fn device_uses_count_distinct_cpfs_per_tenant_and_window() {
    for b in BACKENDS {
        let s = fresh(b).await;
        s.insert_tenant(&tenant("a")).await.unwrap();
        s.insert_tenant(&tenant("b")).await.unwrap();
        let u = |t: &str, fp: &str, cpf: &str, sess: &str, at: i64| NewDeviceUse {
            tenant_id: t.into(),
            fingerprint: fp.into(),
            cpf_hash: cpf.into(),
            session_id: sess.into(),
            created_at: at,
        };
        assert_eq!(
            s.record_device_use(&u("a", "fp", "c1", "s1", 10), 0)
                .await
                .unwrap(),
            1
        );
        // the same CPF again is not another person
        assert_eq!(
            s.record_device_use(&u("a", "fp", "c1", "s2", 20), 0)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            s.record_device_use(&u("a", "fp", "c2", "s3", 30), 0)
                .await
                .unwrap(),
            2
        );
        // another tenant's uses of the same fingerprint do not count
        assert_eq!(
            s.record_device_use(&u("b", "fp", "c3", "s4", 40), 0)
                .await
                .unwrap(),
            1
        );
        // nor do uses before the window, nor another fingerprint
        assert_eq!(
            s.record_device_use(&u("a", "fp", "c4", "s5", 50), 25)
                .await
                .unwrap(),
            2,
            "{b:?}"
        );
        assert_eq!(
            s.record_device_use(&u("a", "fp2", "c5", "s6", 60), 0)
                .await
                .unwrap(),
            1
        );
        assert_eq!(s.delete_device_uses("a", "s3").await.unwrap(), 1);
        assert_eq!(
            s.record_device_use(&u("a", "fp", "c1", "s7", 70), 0)
                .await
                .unwrap(),
            2,
            "{b:?}"
        );
        s.close().await;
    }
}
