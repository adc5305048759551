//! Walks the route table: every API-key route refuses a caller without a key, in its family's
//! format; every public route answers without one.

use idgate_server::http::routes::{Access, TABLE};
use idgate_store::Backend;
use reqwest::Method;

use crate::common::start;

#[tokio::test]
async fn every_route_enforces_its_access() {
    let s = start(Backend::Sqlite).await;
    for r in TABLE {
        let path = r
            .path
            .replace("{id}", "x")
            .replace("{hash}", "h")
            .replace("{token}", "t");
        let method = Method::from_bytes(r.method.as_bytes()).unwrap();
        let (st, v) = s.call(method, &path, "", None).await;
        match r.access {
            Access::ApiKey(_) => {
                assert_eq!(st, 401, "{} {}", r.method, r.path);
                let code = if path.starts_with("/v1") {
                    &v["error"]["code"]
                } else {
                    &v["code"]
                };
                assert_eq!(code, "unauthenticated", "{} {}", r.method, r.path);
            }
            Access::Client => {
                assert_eq!(st, 401, "{} {}", r.method, r.path);
                assert_eq!(v["error"], "invalid_client", "{} {}", r.method, r.path);
            }
            Access::Token => assert!((400..500).contains(&st), "{} {}", r.method, r.path),
            Access::Public => assert_ne!(st, 401, "{} {}", r.method, r.path),
        }
    }
    let (st, v) = s.call(Method::GET, "/no/such/route", "", None).await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("not_found")));
    let (st, _) = s.call(Method::DELETE, "/healthz", "", None).await;
    assert_eq!(st, 405);
    s.stop().await;
}
