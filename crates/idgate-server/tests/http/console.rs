//! The operator console over HTTP on SQLite and PostgreSQL, signed in with a software passkey
//! through the real WebAuthn calls: an invite registers one passkey once and expires; pages
//! need a live sign-in (no cookie → redirect or 401, idle timeout, sign-out) and every form
//! its CSRF token; a reviewer cannot reach admin pages; another tenant's session is 404; a
//! session's images are decrypted on view and each view is audited; a review from the console
//! decides the session with the operator as reviewer and reaches the webhook.

use idgate_server::app::console::{self, Role};
use idgate_store::testing::BACKENDS;
use reqwest::redirect::Policy;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{b64, bearer, start, testdata, TestServer};
use crate::console_support::{register, sign_in, SoftPasskey};
use crate::flow::{document, session, step, v1};
use crate::liveness::face_step;

/// A one-time invite link's token for `email` of `tenant`.
async fn invite(s: &TestServer, tenant: &str, email: &str, role: Role) -> String {
    let st = &s.running.state;
    let inv = console::invite(&st.store, &st.cfg, st.now(), tenant, email, role)
        .await
        .unwrap();
    assert!(
        inv.invite_url.starts_with("http://localhost:"),
        "{}",
        inv.invite_url
    );
    inv.invite_url.rsplit('/').next().unwrap().to_owned()
}

/// An operator signed in with a fresh passkey: its cookie.
async fn operator(s: &TestServer, tenant: &str, email: &str, role: Role) -> String {
    let token = invite(s, tenant, email, role).await;
    let mut pk = SoftPasskey::new(s);
    let (st, v) = register(s, &mut pk, &token).await;
    assert_eq!(st, 200, "{v}");
    sign_in(s, &mut pk).await.unwrap()
}

/// A console request without following redirects: status, `Location`, body text.
async fn req(
    s: &TestServer,
    method: Method,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let mut r = http.request(method.clone(), format!("{}{path}", s.base));
    if !cookie.is_empty() {
        r = r.header("cookie", cookie);
    }
    if method == Method::POST {
        r = r.form(form);
    }
    let res = r.send().await.unwrap();
    let loc = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (res.status().as_u16(), loc, res.text().await.unwrap())
}

/// The CSRF token a signed-in page carries.
async fn csrf(s: &TestServer, cookie: &str) -> String {
    let (st, _, html) = req(s, Method::GET, "/console/queue", cookie, &[]).await;
    assert_eq!(st, 200, "{html}");
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_invite_registers_one_passkey_once_and_expires() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let token = invite(&s, &s.a.id, "Ana@Example.com", Role::Reviewer).await;
        let (st, _, html) = req(
            &s,
            Method::GET,
            &format!("/console/invite/{token}"),
            "",
            &[],
        )
        .await;
        assert_eq!(st, 200, "{backend:?}");
        assert!(
            html.contains("ana@example.com") && html.contains("id=\"passkey-go\""),
            "{html}"
        );
        let mut pk = SoftPasskey::new(&s);
        let (st, v) = register(&s, &mut pk, &token).await;
        assert_eq!(
            (st, &v["redirect"]),
            (200, &json!("/console/login?registered=1")),
            "{v}"
        );
        // used: the page and a second registration are refused
        let (st, _, _) = req(
            &s,
            Method::GET,
            &format!("/console/invite/{token}"),
            "",
            &[],
        )
        .await;
        assert_eq!(st, 410);
        let (st, v) = register(&s, &mut SoftPasskey::new(&s), &token).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (410, Some("gone")),
            "{v}"
        );
        // the registered passkey signs in; an unknown one does not
        assert!(sign_in(&s, &mut pk).await.is_ok());
        let (st, v) = sign_in(&s, &mut SoftPasskey::new(&s)).await.unwrap_err();
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (401, Some("invalid_token")),
            "{v}"
        );
        // an invite past its 72 h
        let late = invite(&s, &s.a.id, "bia@example.com", Role::Admin).await;
        s.clock.advance_ms(72 * 3_600_000 + 1);
        let (st, _, _) = req(&s, Method::GET, &format!("/console/invite/{late}"), "", &[]).await;
        assert_eq!(st, 410);
        let (st, _) = register(&s, &mut SoftPasskey::new(&s), &late).await;
        assert_eq!(st, 410);
        // a made-up link looks the same
        let (st, _, _) = req(&s, Method::GET, "/console/invite/made-up", "", &[]).await;
        assert_eq!(st, 410);
        s.stop().await;
    }
}

#[tokio::test]
async fn console_pages_need_a_live_sign_in_and_forms_their_csrf_token() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let (st, loc, _) = req(&s, Method::GET, "/console/queue", "", &[]).await;
        assert_eq!((st, loc.as_str()), (303, "/console/login"), "{backend:?}");
        let (st, _, _) = req(
            &s,
            Method::POST,
            "/console/sessions/x/review",
            "",
            &[("decision", "approved")],
        )
        .await;
        assert_eq!(st, 401);
        let (st, _, _) = req(
            &s,
            Method::GET,
            "/console/queue",
            "idgate_console=made-up",
            &[],
        )
        .await;
        assert_eq!(st, 303);

        let cookie = operator(&s, &s.a.id, "ana@example.com", Role::Reviewer).await;
        let (st, _, html) = req(&s, Method::GET, "/console/queue", &cookie, &[]).await;
        assert_eq!(st, 200, "{html}");
        // sign-out needs the CSRF token, then the cookie is dead
        let token = csrf(&s, &cookie).await;
        let (st, _, _) = req(&s, Method::POST, "/console/logout", &cookie, &[]).await;
        assert_eq!(st, 403);
        let (st, _, _) = req(
            &s,
            Method::POST,
            "/console/logout",
            &cookie,
            &[("csrf", "wrong")],
        )
        .await;
        assert_eq!(st, 403);
        let (st, loc, _) = req(
            &s,
            Method::POST,
            "/console/logout",
            &cookie,
            &[("csrf", &token)],
        )
        .await;
        assert_eq!((st, loc.as_str()), (303, "/console/login"));
        let (st, _, _) = req(&s, Method::GET, "/console/queue", &cookie, &[]).await;
        assert_eq!(st, 303);

        // idle timeout (30 min by default): activity keeps a sign-in alive, silence ends it
        let cookie = operator(&s, &s.a.id, "ana@example.com", Role::Reviewer).await;
        s.clock.advance_ms(29 * 60_000);
        assert_eq!(
            req(&s, Method::GET, "/console/queue", &cookie, &[]).await.0,
            200
        );
        s.clock.advance_ms(29 * 60_000);
        assert_eq!(
            req(&s, Method::GET, "/console/queue", &cookie, &[]).await.0,
            200
        );
        s.clock.advance_ms(30 * 60_000 + 1);
        assert_eq!(
            req(&s, Method::GET, "/console/queue", &cookie, &[]).await.0,
            303
        );
        // a cross-origin post is refused before anything else
        let res = s
            .http
            .post(format!("{}/console/login/begin", s.base))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 403);
        s.stop().await;
    }
}

#[tokio::test]
async fn reviewers_cannot_administer_and_tenants_see_only_their_own() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let page = session(&s, "a1", "529.982.247-25", json!([{"step": "device_scan"}])).await;
        assert_eq!(step(&s, &page, "device_scan", json!({})).await.0, 200);
        let reviewer = operator(&s, &s.a.id, "rita@example.com", Role::Reviewer).await;
        let (st, _, html) = req(&s, Method::GET, "/console/admin", &reviewer, &[]).await;
        assert_eq!(st, 403, "{backend:?} {html}");
        assert!(
            !html.contains("/console/admin\""),
            "no admin link for a reviewer"
        );
        let (st, _, html) = req(&s, Method::GET, "/console/queue", &reviewer, &[]).await;
        assert!(st == 200 && html.contains("/console/sessions/a1"), "{html}");

        // tenant B's reviewer: not in its queue, 404 on the page, the image and the review
        let other = operator(&s, &s.b.id, "rita@example.com", Role::Reviewer).await;
        let (_, _, html) = req(&s, Method::GET, "/console/queue", &other, &[]).await;
        assert!(!html.contains("a1"), "{html}");
        assert_eq!(
            req(&s, Method::GET, "/console/sessions/a1", &other, &[])
                .await
                .0,
            404
        );
        let (_, _, html) = req(
            &s,
            Method::GET,
            "/console/search?q=529.982.247-25",
            &other,
            &[],
        )
        .await;
        assert!(!html.contains("/console/sessions/a1"), "{html}");
        let token = csrf(&s, &other).await;
        let form = [
            ("csrf", token.as_str()),
            ("decision", "approved"),
            ("reason", "x"),
        ];
        assert_eq!(
            req(
                &s,
                Method::POST,
                "/console/sessions/a1/review",
                &other,
                &form
            )
            .await
            .0,
            404
        );

        // tenant A's admin lists and revokes an API key
        let admin = operator(&s, &s.a.id, "alice@example.com", Role::Admin).await;
        let (st, _, html) = req(&s, Method::GET, "/console/admin", &admin, &[]).await;
        assert_eq!(st, 200, "{html}");
        let prefix = format!("idg_{}", s.a.key.split('_').nth(1).unwrap());
        assert!(
            html.contains(&prefix) && html.contains("rita@example.com"),
            "{html}"
        );
        let keys = s.running.state.store.api_keys_of(&s.a.id).await.unwrap();
        let path = format!("/console/admin/api-keys/{}/revoke", keys[0].id);
        let token = csrf(&s, &admin).await;
        assert_eq!(req(&s, Method::POST, &path, &admin, &[]).await.0, 403);
        assert_eq!(
            req(&s, Method::POST, &path, &reviewer, &[("csrf", &token)])
                .await
                .0,
            403
        );
        let (st, loc, _) = req(&s, Method::POST, &path, &admin, &[("csrf", &token)]).await;
        assert_eq!((st, loc.as_str()), (303, "/console/admin"));
        s.clock.advance_ms(10_000);
        let (st, _) = s
            .call(
                Method::GET,
                "/v1/verification-sessions/a1",
                &bearer(&s.a.key),
                None,
            )
            .await;
        assert_eq!(st, 401, "the revoked key is refused");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_console_review_shows_audited_images_and_reaches_the_webhook() {
    let doc = testdata("documents/br_synthetic/rg_synth_clean.png");
    for backend in BACKENDS {
        let s = start(backend).await;
        let rx = crate::review::hooked(&s, &s.a.id.clone()).await;
        let steps = json!([{"step": "device_scan"}, {"step": "face_recognition"},
            {"step": "personal_document", "document_templates": ["others"]}]);
        let page = session(&s, "m1", "529.982.247-25", steps).await;
        assert_eq!(step(&s, &page, "device_scan", json!({})).await.0, 200);
        let (st, v) = face_step(&s, &page).await;
        assert_eq!(st, 200, "{v}");
        let side = json!([{"document_b64": b64(&doc), "file_type": "jpeg"}]);
        let (st, v) = document(&s, &page, "others", &side).await;
        assert_eq!(
            (st, &v["status"]),
            (200, &json!("in_manual_analysis")),
            "{v}"
        );
        let sd = &v1(&s, "m1").await["step_data"];
        let selfie = sd["face_recognition"]["image_key"]
            .as_str()
            .unwrap()
            .to_owned();
        let ocr = sd["personal_document"]["ocr_keys"][0]
            .as_str()
            .unwrap()
            .to_owned();

        let cookie = operator(&s, &s.a.id, "ana@example.com", Role::Reviewer).await;
        let (st, _, html) = req(&s, Method::GET, "/console/sessions/m1", &cookie, &[]).await;
        assert_eq!(st, 200, "{backend:?} {html}");
        for key in [&selfie, &ocr] {
            assert!(
                html.contains(&format!("/console/sessions/m1/images/{key}")),
                "{html}"
            );
        }
        assert!(
            html.contains("data-code=\"document_not_validated\""),
            "{html}"
        );
        let store = &s.running.state.store;
        let viewed = || async {
            let rows = store.audit_events_of(&s.a.id, 100).await.unwrap();
            rows.iter()
                .filter(|a| a.kind == "console.image_viewed")
                .count()
        };
        assert_eq!(viewed().await, 0, "showing the page opens no image");
        let res = s
            .http
            .get(format!("{}/console/sessions/m1/images/{ocr}", s.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            doc.as_slice(),
            "decrypted as uploaded"
        );
        let (st, _, _) = req(
            &s,
            Method::GET,
            &format!("/console/sessions/m1/images/{selfie}"),
            &cookie,
            &[],
        )
        .await;
        assert_eq!(st, 200);
        assert_eq!(viewed().await, 2, "each view is audited");
        let unrelated = uuid::Uuid::new_v4();
        let (st, _, _) = req(
            &s,
            Method::GET,
            &format!("/console/sessions/m1/images/{unrelated}"),
            &cookie,
            &[],
        )
        .await;
        assert_eq!(st, 404);
        assert_eq!(viewed().await, 2);

        // search by CPF (any formatting) and by id
        for q in ["52998224725", "529.982.247-25", "m1"] {
            let (_, _, html) = req(
                &s,
                Method::GET,
                &format!("/console/search?q={q}"),
                &cookie,
                &[],
            )
            .await;
            assert!(html.contains("/console/sessions/m1"), "{q}: {html}");
        }
        // the review: CSRF first, every field checked, then the decision
        let token = csrf(&s, &cookie).await;
        let path = "/console/sessions/m1/review";
        let good = [
            ("csrf", token.as_str()),
            ("decision", "approved"),
            ("reason", "document checked by hand"),
        ];
        assert_eq!(
            req(&s, Method::POST, path, &cookie, &good[1..]).await.0,
            403
        );
        let bad = [
            ("csrf", token.as_str()),
            ("decision", "maybe"),
            ("extra", "1"),
        ];
        assert_eq!(req(&s, Method::POST, path, &cookie, &bad).await.0, 422);
        let bad = [("csrf", token.as_str()), ("decision", "maybe")];
        let (st, _, html) = req(&s, Method::POST, path, &cookie, &bad).await;
        assert!(
            st == 422 && html.contains("decision") && html.contains("reason"),
            "{html}"
        );
        let (st, loc, _) = req(&s, Method::POST, path, &cookie, &good).await;
        assert_eq!((st, loc.as_str()), (303, "/console/sessions/m1"));
        let got = v1(&s, "m1").await;
        assert_eq!(got["status"], "approved");
        assert_eq!(
            got["decision"]["review"]["reviewer"],
            "operator:ana@example.com"
        );
        assert_eq!(req(&s, Method::POST, path, &cookie, &good).await.0, 409);
        let kinds = s.event_kinds("m1").await;
        assert!(
            kinds.ends_with(&["session.reviewed".into(), "session.completed".into()]),
            "{kinds:?}"
        );
        let types: Vec<String> = rx
            .wait_for(kinds.len())
            .await
            .iter()
            .map(|d| {
                serde_json::from_str::<Value>(&d.body).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            types.iter().filter(|t| *t == "session.reviewed").count(),
            1,
            "{types:?}"
        );
        assert_eq!(
            types.last().map(String::as_str),
            Some("session.completed"),
            "{types:?}"
        );
        let (_, _, html) = req(&s, Method::GET, "/console/audit", &cookie, &[]).await;
        assert!(
            html.contains("console.image_viewed") && html.contains("session.reviewed"),
            "{html}"
        );
        s.stop().await;
    }
}
