//! Operational endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document and its docs page.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

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

pub async fn openapi_json() -> Response {
    Json(crate::openapi::document()).into_response()
}

pub async fn docs() -> Html<&'static str> {
    Html(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>idgate API</title></head><body>\
         <h1>idgate API</h1><p>The OpenAPI description is at <a href=\"/openapi.json\">/openapi.json</a>.</p>\
         <div id=\"routes\"></div><script>\
         fetch('/openapi.json').then(r=>r.json()).then(d=>{const el=document.getElementById('routes');\
         for(const [p,ops] of Object.entries(d.paths)){for(const [m,o] of Object.entries(ops)){\
         const s=document.createElement('section');s.innerHTML='<h3>'+m.toUpperCase()+' '+p+'</h3><p>'+(o.summary||'')+'</p>';\
         el.appendChild(s);}}});</script></body></html>",
    )
}
