//! The hosted page and the device scan over HTTP: the page's language (pt-BR by default, English
//! by `Accept-Language` or `?lang=`), its state and QR routes, and what the device scan stores
//! (fingerprint, risk signals, one device for several CPFs) and does to the decision under a
//! policy that sends risky devices to manual analysis. SQLite and PostgreSQL.

use idgate_core::session::decision::{Policy, RiskyDevice};
use idgate_server::app::admin;
use idgate_store::testing::BACKENDS;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{start, start_with};
use crate::flow::{code, session, step, v1};

const UA: &str = "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36";

fn phone() -> Value {
    json!({"user_agent": UA, "languages": ["pt-BR", "pt"], "time_zone": "America/Sao_Paulo",
           "time_zone_offset_min": -180, "webdriver": false, "canvas_hash": "c1",
           "screen": {"width": 412, "height": 915}, "unknown": "dropped"})
}

#[tokio::test]
async fn the_page_speaks_portuguese_unless_asked_for_english() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let page = session(
            &s,
            "lang",
            "529.982.247-25",
            json!([{"step": "device_scan"}]),
        )
        .await;
        let get = |q: &'static str, al: Option<&'static str>| {
            let mut r = s.http.get(format!("{}{page}{q}", s.base));
            if let Some(al) = al {
                r = r.header("accept-language", al);
            }
            async move {
                let res = r.send().await.unwrap();
                let csp = res.headers()["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                (res.status().as_u16(), csp, res.text().await.unwrap())
            }
        };
        let (st, csp, html) = get("", None).await;
        assert_eq!(st, 200);
        assert!(
            html.starts_with("<!doctype html><html lang=\"pt-BR\">"),
            "{html}"
        );
        assert!(html.contains("Verificação de identidade"));
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        let (_, _, html) = get("", Some("en-US,en;q=0.9,pt;q=0.5")).await;
        assert!(
            html.contains("<html lang=\"en\">")
                && html.contains("\"page.title\": \"Identity verification\"")
        );
        let (_, _, html) = get("?lang=pt-BR", Some("en-US")).await;
        assert!(html.contains("<html lang=\"pt-BR\">"));
        // developer text never reaches the page's catalogue
        assert!(!html.contains("documents[") && !html.contains("is not a field"));

        // the state and the QR code answer for this link only
        let (st, v) = s
            .call(Method::GET, &format!("{page}/state"), "", None)
            .await;
        assert_eq!((st, v["step"].as_str()), (200, Some("device_scan")), "{v}");
        let res = s
            .http
            .get(format!("{}{page}/qr.svg", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-type"], "image/svg+xml");
        assert!(res.text().await.unwrap().contains("<svg"));
        let wrong = format!("{}0", page);
        let (st, _) = s
            .call(Method::GET, &format!("{wrong}/state"), "", None)
            .await;
        assert_eq!(st, 404);
        let asset = s
            .http
            .get(format!("{}/flow/app.js", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 200);
        let asset = s
            .http
            .get(format!("{}/flow/nope.js", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 404);
        s.stop().await;
    }
}

#[tokio::test]
async fn device_scan_stores_fingerprint_and_risk_signals() {
    for backend in BACKENDS {
        let s = start(backend).await;
        let st = &s.running.state;
        let manual = Policy {
            risky_device: RiskyDevice::ManualAnalysis,
            max_cpfs_per_device: 1,
            ..Policy::default()
        };
        admin::set_decision_policy(&st.store, "alpha", manual)
            .await
            .unwrap();
        let scan = |id: &'static str, cpf: &'static str, signals: Value| {
            let s = &s;
            async move {
                let page = session(s, id, cpf, json!([{"step": "device_scan"}])).await;
                let res = s
                    .http
                    .post(format!("{}{page}/steps/device_scan", s.base))
                    .header("user-agent", UA)
                    .header("accept-language", "pt-BR,pt;q=0.9")
                    .json(&json!({"signals": signals}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                v1(s, id).await
            }
        };
        let first = scan("d1", "529.982.247-25", phone()).await;
        let d = &first["step_data"]["device_scan"];
        assert_eq!(d["risk_signals"], json!([]), "{d}");
        assert_eq!(d["network"]["ip"], "127.0.0.1");
        assert_eq!(d["network"]["user_agent"], UA);
        assert!(d["signals"].get("unknown").is_none());
        // a device scan alone says nothing of who the person is: never approved
        assert_eq!(first["status"], "in_manual_analysis");
        assert_eq!(
            first["decision"]["reasons"][0]["code"],
            "identity_not_checked"
        );
        let fp = d["fingerprint"].as_str().unwrap().to_owned();

        // the same device for a second CPF within 24 h: over this tenant's limit of one
        let second = scan("d2", "111.444.777-35", phone()).await;
        let d = &second["step_data"]["device_scan"];
        assert_eq!(d["fingerprint"], fp.as_str());
        assert_eq!(
            (d["cpfs_on_device_24h"].as_i64(), &d["risk_signals"]),
            (Some(2), &json!(["device_many_cpfs"]))
        );
        assert_eq!(second["status"], "in_manual_analysis");
        assert_eq!(second["decision"]["reasons"][1]["code"], "device_risky");

        // automation is seen; a malformed signals field is a 400 naming it
        let mut bot = phone();
        bot["webdriver"] = json!(true);
        bot["canvas_hash"] = json!("c2");
        let third = scan("d3", "529.982.247-25", bot).await;
        assert_eq!(
            third["step_data"]["device_scan"]["risk_signals"],
            json!(["automation"])
        );
        let page = session(&s, "d4", "529.982.247-25", json!([{"step": "device_scan"}])).await;
        let (st, v) = step(&s, &page, "device_scan", json!({"signals": "x"})).await;
        assert_eq!((st, code(&v)), (422, "validation_failed"), "{v}");
        assert_eq!(v["error"]["field"], "signals");
        s.stop().await;
    }
}

/// The time zone against the IP's country (DB-IP's database, installed by `scripts/setup.sh`):
/// the test server trusts `X-Forwarded-For` from loopback, as behind a proxy.
#[tokio::test]
async fn device_scan_compares_the_time_zone_with_the_ip_country() {
    let db = idgate_server::app::geo::default_db();
    assert!(
        db.exists(),
        "\n\n*** {} is missing: run scripts/setup.sh (it fetches the IP-country database) ***\n",
        db.display()
    );
    for backend in BACKENDS {
        let s = start_with(backend, |c, _| {
            c.limits.trusted_proxies = vec!["127.0.0.1".into()]
        })
        .await;
        let scan = |id: &'static str, ip: &'static str, tz: &'static str| {
            let s = &s;
            async move {
                let page = session(s, id, "529.982.247-25", json!([{"step": "device_scan"}])).await;
                let mut signals = phone();
                signals["time_zone"] = json!(tz);
                let res = s
                    .http
                    .post(format!("{}{page}/steps/device_scan", s.base))
                    .header("user-agent", UA)
                    .header("accept-language", "pt-BR,pt;q=0.9")
                    .header("x-forwarded-for", ip)
                    .json(&json!({"signals": signals}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                v1(s, id).await["step_data"]["device_scan"].clone()
            }
        };
        // a Brazilian address with a Brazilian clock: nothing to say
        let home = scan("g1", "200.160.2.3", "America/Sao_Paulo").await;
        assert_eq!(home["network"]["ip"], "200.160.2.3");
        assert_eq!(home["network"]["ip_country"], "BR", "{home}");
        assert_eq!(home["risk_signals"], json!([]), "{home}");
        // a US address with a Sao Paulo clock
        let away = scan("g2", "8.8.8.8", "America/Sao_Paulo").await;
        assert_eq!(away["network"]["ip_country"], "US", "{away}");
        assert_eq!(away["risk_signals"], json!(["timezone_ip_mismatch"]));
        // a private address has no country, and says nothing
        let lan = scan("g3", "10.1.2.3", "America/Sao_Paulo").await;
        assert_eq!(lan["network"]["ip_country"], Value::Null);
        assert_eq!(lan["risk_signals"], json!([]));
        s.stop().await;
    }
}
