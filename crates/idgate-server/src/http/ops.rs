//! Operational endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document and its
//! docs page (Redoc, embedded).

use std::sync::atomic::Ordering;

use std::sync::OnceLock;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::error::{ApiError, Fail, V1};
use super::routes;
use crate::state::AppState;

pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// Ready when the database answers and takes a write, the data directory's disk has at least
/// `readyz_min_free_bytes` free, and start-up work (models, keys) is done. `ocr`: the same
/// states for the document (OCR) models, whose absence makes document routes answer 503.
pub async fn readyz(State(st): State<AppState>) -> Response {
    let readable = st.store.ping().await;
    let writable = readable
        && st
            .store
            .meta_set("readyz_probe", &st.now().to_string())
            .await
            .is_ok();
    let free = free_bytes(&st.cfg.data_dir);
    let disk = free.is_none_or(|f| f >= st.cfg.readyz_min_free_bytes);
    let db = readable && writable && disk;
    // `faces`: `ready`, `loading` (not ready yet), `unavailable` (models not installed: face
    // routes answer 503 model_unavailable) or `idle` (`faces.preload` off).
    let faces = st.faces.status();
    let ocr = st.documents.status();
    let started = st.ready.load(Ordering::Relaxed) && faces != "loading" && ocr != "loading";
    let status = if db && started {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(
            json!({"ready": db && started, "database": readable, "database_writable": writable,
            "disk_free_bytes": free, "disk": if disk { "ok" } else { "low" }, "started": started,
            "faces": faces, "ocr": ocr}),
        ),
    )
        .into_response()
}

/// Free bytes for unprivileged writers on the file system holding `dir` (`None` if unknown).
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into a zeroed struct owned by this frame; the path is NUL-terminated.
    unsafe {
        let mut s: libc::statvfs = std::mem::zeroed();
        (libc::statvfs(path.as_ptr(), &mut s) == 0).then(|| s.f_bavail as u64 * s.f_frsize as u64)
    }
}

pub async fn metrics(State(st): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response()
}

/// The OpenAPI document, generated once from the route table.
pub async fn openapi_json() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| routes::document().to_string());
    ([(header::CONTENT_TYPE, "application/json")], doc.as_str()).into_response()
}

const DOCS_HTML: &str = include_str!("../../../../web/docs/index.html");
const DOCS_JS: &str = include_str!("../../../../web/docs/docs.js");
/// Redoc's standalone bundle, vendored from the pinned npm package (web/docs/README.md).
const REDOC_JS: &str = include_str!("../../../../web/docs/redoc.standalone.js");

/// What the docs page may load: scripts from here only; Redoc's injected `<style>` elements
/// (`'unsafe-inline'` styles) and its search worker (`blob:`); nothing may frame it.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; worker-src blob:; connect-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /docs`: the OpenAPI document rendered by Redoc.
pub async fn docs() -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, DOCS_CSP),
            (header::CACHE_CONTROL, "no-cache"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(DOCS_HTML),
    )
        .into_response()
}

/// `GET /docs/{file}`: the page's scripts.
pub async fn docs_asset(Path(file): Path<String>) -> Response {
    let body = match file.as_str() {
        "redoc.standalone.js" => REDOC_JS,
        "docs.js" => DOCS_JS,
        _ => return Fail::<V1>::new(ApiError::not_found("file")).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}
