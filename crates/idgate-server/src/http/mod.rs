//! The HTTP surface: router, middleware (request ids, tracing, timeouts, panics → 500 in the
//! error format, metrics), and fallbacks in the error format.

mod authenticator;
pub mod clients;
pub mod console;
pub mod device_ws;
mod documents;
pub mod error;
pub mod extract;
mod faces;
mod flow;
pub mod guard;
mod i18n;
mod json_bound;
pub mod listen;
mod liveness;
mod login_ws;
pub mod oauth;
mod ops;
mod pages;
mod review;
pub mod routes;
mod sessions;
mod sockets;
pub mod span;
pub mod uqudo;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use idgate_core::Code;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use self::error::{ApiError, Fail, V1};
use crate::state::{AppState, Metrics};

pub fn app(state: AppState) -> Router {
    let rid = HeaderName::from_static("x-request-id");
    let timeout = Duration::from_millis(state.cfg.limits.request_timeout_ms.max(1));
    routes::router(&state)
        .merge(console::router(state.clone()))
        .fallback(|| async { Fail::<V1>::new(ApiError::new(Code::NotFound, "no such route")) })
        .method_not_allowed_fallback(|| async {
            Fail::<V1>::new(ApiError::new(
                Code::MethodNotAllowed,
                "method not allowed on this route",
            ))
        })
        .layer(middleware::from_fn_with_state(state.clone(), count))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            Fail::<V1>::new(ApiError::internal()).into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(PropagateRequestIdLayer::new(rid.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(span::request_span))
        .layer(SetRequestIdLayer::new(rid, MakeRequestUuid))
        .with_state(state)
}

async fn count(State(st): State<AppState>, req: Request, next: Next) -> Response {
    Metrics::inc(&st.metrics.requests);
    let res = next.run(req).await;
    match res.status().as_u16() {
        400..=499 => Metrics::inc(&st.metrics.responses_4xx),
        500..=599 => Metrics::inc(&st.metrics.responses_5xx),
        _ => {}
    }
    res
}
