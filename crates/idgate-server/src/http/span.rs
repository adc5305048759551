//! The request span of the trace layer: method, path and request id, with the secret URL
//! token of hosted-page paths (`/s/{hash}/t/{token}/...`) replaced and no query string, so a
//! debug log never carries a working link.

use axum::extract::Request;

/// What the path of `/s/{hash}/t/{token}...` shows in logs instead of the token.
pub const REDACTED: &str = "[redacted]";

/// The request path as logged (see the module doc).
pub fn loggable_path(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let hosted = segs.get(1) == Some(&"s") && segs.get(3) == Some(&"t");
    segs.iter()
        .enumerate()
        .map(|(i, s)| if hosted && i == 4 { REDACTED } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The span of one request (at debug level, like tower-http's default).
pub fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::debug_span!(
        "request",
        method = %req.method(),
        path = %loggable_path(req.uri().path()),
        request_id = %id,
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn hosted_page_tokens_are_redacted_and_other_paths_kept() {
        let token = "0b8f1c1e-1111-4222-8333-444455556666";
        for (path, want) in [
            (format!("/s/AbC123/t/{token}"), "/s/AbC123/t/[redacted]"),
            (
                format!("/s/AbC123/t/{token}/steps/device_scan"),
                "/s/AbC123/t/[redacted]/steps/device_scan",
            ),
            (
                "/v1/verification-sessions/t".into(),
                "/v1/verification-sessions/t",
            ),
            ("/oauth/token".into(), "/oauth/token"),
        ] {
            assert_eq!(loggable_path(&path), want);
        }
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_debug_log_line_inside_the_request_span_has_no_token() {
        let token = "0b8f1c1e-1111-4222-8333-444455556666";
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let req = Request::builder()
                .uri(format!(
                    "/s/AbC123/t/{token}/steps/device_scan?token={token}"
                ))
                .body(axum::body::Body::empty())
                .unwrap();
            let span = request_span(&req);
            let _g = span.enter();
            tracing::debug!("handled");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(
            out.contains("/s/AbC123/t/[redacted]/steps/device_scan"),
            "{out}"
        );
        assert!(!out.contains(token), "{out}");
    }
}
