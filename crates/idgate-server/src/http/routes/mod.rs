//! The route table: the one place that names a route. Each [`Route`] carries its method, path,
//! [`Access`] (for API-key routes, the permission), handler and OpenAPI operation; the axum
//! router ([`router`]), the permission check (the [`Authed`](crate::http::extract::Authed)
//! extractor reads the entry's `Access`) and `/openapi.json` ([`doc::document`]) are all
//! generated from [`table`]. No path is written twice; the documented permission is the checked
//! one.
//!
//! **Adding a route** is one entry in its area's `routes()` (`sessions.rs`, `faces.rs`, …; a new
//! area is a new file whose `routes()` is added to [`table`]):
//!
//! ```ignore
//! Route::new(POST, "/v1/things/{id}/frob", ApiKey(perm::THINGS_WRITE), things::frob_thing,
//!     json!({"summary": "Frob a thing", "description": "What it does, limits, errors.",
//!            "parameters": [path_param("id", uuid())],
//!            "requestBody": body("FrobRequest"),
//!            "responses": {"200": ok("the thing", "V1Thing"), "404": err("V1", "no such thing")}})),
//! ```
//!
//! - `Access::ApiKey(p)` (a `/v1` route: `Authorization: Bearer <key>`) or `Access::VendorKey(p)`
//!   (a vendor facade: the raw key or Bearer): the handler takes `Authed<V1>` / `Authed<Qi>`,
//!   which checks the key and permission `p` of this entry (an entry and handler that disagree
//!   answer 500, which the route walk in `tests/http/routes.rs` reports). The generator adds
//!   the security requirement, a "Permission:" line and the 401/403 answers.
//! - `Access::Client` (OAuth client credentials), `Access::Token` (a credential the handler
//!   checks itself: a link's token, a signed device message, a JWT) and `Access::Public`.
//! - Schemas named by `$ref` go in the area's `schemas()` (a test checks every `$ref`
//!   resolves); give request bodies and parameters the bounds, patterns and enums the code
//!   validates, and an `example` where random data cannot pass validation (schemathesis uses it).

mod doc;
mod documents;
mod faces;
mod flow;
mod liveness;
mod login;
mod ops;
mod review;
mod sessions;
mod uqudo;

use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Extension, Router};
use serde_json::Value;

pub use self::doc::document;
pub use super::extract::perm;
use crate::http::guard;
use crate::state::AppState;

/// Who may call a route. It also decides the route's admission at the edge
/// ([`guard::admit`](crate::http::guard::admit)): probes pass untouched; every other route needs
/// a slot among `limits.max_in_flight`; the routes anyone can call (`Public`, `Token`, `Client`)
/// also count against the client address's rate (API-key routes count per tenant instead, in
/// the extractor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Health checks and metrics: never limited, never refused for being busy.
    Probe,
    Public,
    /// An API key of the tenant with this permission, as `Authorization: Bearer <key>` (`/v1`).
    ApiKey(u32),
    /// An API key with this permission, raw or as Bearer (the vendor facades).
    VendorKey(u32),
    /// An OAuth client's `client_id` and `client_secret` (body or HTTP Basic).
    Client,
    /// A credential the route checks itself: the link's token, a device signature, a JWT.
    Token,
}

impl Access {
    /// The API-key permission the route needs, if it takes an API key.
    pub fn permission(self) -> Option<u32> {
        match self {
            Access::ApiKey(p) | Access::VendorKey(p) => Some(p),
            _ => None,
        }
    }

    /// Whether anyone can call the route, so its rate is counted per client address.
    pub fn is_public(self) -> bool {
        matches!(self, Access::Public | Access::Token | Access::Client)
    }
}

/// One route: method, path, access, handler and OpenAPI operation.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// The OpenAPI operation object, before the generator adds security and access answers.
    pub operation: Value,
    /// The handler's function name: the operation's `operationId`.
    pub name: &'static str,
    handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new<H, T>(
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
        operation: Value,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a routable method");
        let name = std::any::type_name::<H>();
        Self {
            method,
            path,
            access,
            operation,
            name: name.rsplit("::").next().unwrap_or(name),
            handler: on(filter, handler).layer(Extension(access)),
        }
    }
}

/// Every route.
pub fn table() -> Vec<Route> {
    [
        sessions::routes(),
        review::routes(),
        documents::routes(),
        flow::routes(),
        liveness::routes(),
        login::routes(),
        faces::routes(),
        ops::routes(),
        uqudo::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The router of [`table`] (the only routes the server has besides the fallbacks), each route
/// behind the edge admission its [`Access`] calls for.
pub fn router(st: &AppState) -> Router<AppState> {
    table().into_iter().fold(Router::new(), |r, e| {
        let admit = from_fn_with_state((st.clone(), e.access), guard::admit);
        r.route(e.path, e.handler.layer(admit))
    })
}
