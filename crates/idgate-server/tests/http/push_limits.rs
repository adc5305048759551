//! The anti push-bombing limits hold under concurrency: many `/oauth/notify` calls for one
//! person at once are decided one after the other, so no more pushes go out than the limit.

use futures_util::future::join_all;
use idgate_store::testing::BACKENDS;
use serde_json::json;

use crate::login_support::*;

#[tokio::test]
async fn concurrent_notifies_never_exceed_the_pending_push_limit() {
    for b in BACKENDS {
        let e = env_with(b, |c, _| {
            c.login.max_pending_per_user = 1;
            c.login.max_pushes_per_client_user = 100;
        })
        .await;
        let push = receiver(201).await;
        e.device(CPF_A, Some(&push.url)).await;
        let mut shorts = Vec::new();
        for _ in 0..8 {
            let (st, v) = e.start(json!({})).await;
            assert_eq!(st, 200, "{v}");
            shorts.push(v["short_token"].as_str().unwrap().to_owned());
        }
        let answers = join_all(shorts.iter().map(|s| e.notify(CPF_A, s))).await;
        let ok = answers.iter().filter(|(st, _)| *st == 200).count();
        let refused = answers.iter().filter(|(st, _)| *st == 429).count();
        assert_eq!((ok, refused), (1, 7), "{b:?} {answers:?}");
        e.s.stop().await;
    }
}
