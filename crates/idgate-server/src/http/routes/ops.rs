//! Operational routes: health, readiness, metrics, this document and its docs page.

use axum::http::Method;
use serde_json::json;

use super::doc::{err, path_param, text};
use super::Access::{Probe, Public};
use super::Route;
use crate::http::ops;

pub fn routes() -> Vec<Route> {
    let get = Method::GET;
    let anyjson = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"type": "object"}}}});
    vec![
        Route::new(
            get.clone(),
            "/healthz",
            Probe,
            ops::healthz,
            json!({
            "summary": "Liveness", "description": "The process answers.",
            "responses": {"200": anyjson("alive")}}),
        ),
        Route::new(
            get.clone(),
            "/readyz",
            Probe,
            ops::readyz,
            json!({
            "summary": "Readiness",
            "description": "Ready when the database answers and takes a write, the data directory's disk has at least \
                `readyz_min_free_bytes` free, and start-up work (models, keys) is done. `faces` and `ocr`: `ready`, \
                `loading`, `unavailable` (models not installed: those routes answer 503) or `idle`.",
            "responses": {"200": anyjson("ready"), "503": anyjson("not ready")}}),
        ),
        Route::new(
            get.clone(),
            "/metrics",
            Probe,
            ops::metrics,
            json!({
            "summary": "Prometheus metrics", "description": "Request and response counters, pools, jobs.",
            "responses": {"200": text("metrics", "text/plain")}}),
        ),
        Route::new(
            get.clone(),
            "/openapi.json",
            Public,
            ops::openapi_json,
            json!({
            "summary": "This document", "description": "OpenAPI 3.1, generated from the route table.",
            "responses": {"200": anyjson("OpenAPI 3.1")}}),
        ),
        Route::new(
            get.clone(),
            "/docs",
            Public,
            ops::docs,
            json!({
            "summary": "API docs page",
            "description": "This document rendered for people by Redoc, embedded in the binary (no CDN).",
            "responses": {"200": text("HTML", "text/html")}}),
        ),
        Route::new(
            get,
            "/docs/{file}",
            Public,
            ops::docs_asset,
            json!({
            "summary": "The docs page's scripts",
            "parameters": [path_param("file", json!({"type": "string", "enum": ["redoc.standalone.js", "docs.js"]}))],
            "responses": {"200": text("JavaScript", "text/javascript"), "404": err("V1", "no such file")}}),
        ),
    ]
}
