//! The operator console's HTTP surface, mounted here and only here (`http::app` merges
//! [`router`]): its HTML pages, form posts and passkey ceremony calls are not an integrator API,
//! so they are not in the OpenAPI route table (`http::routes`). What this module adds around
//! the handlers:
//! - [`Signed`]: the signed-in operator from the `idgate_console` cookie (HttpOnly,
//!   SameSite=Strict, `Secure` except on a plain-http localhost origin; idle timeout and
//!   absolute lifetime in `[console]`); a page without one redirects to `/console/login`,
//!   anything else is `401`.
//! - [`Signed::csrf_refusal`]: every state-changing form carries the sign-in's CSRF token
//!   (synchronizer token, compared in constant time), else `403`.
//! - [`same_origin`]: a `POST` whose `Origin` is not the console's is refused (`403`) before
//!   its body is read; bodies are bounded ([`MAX_FORM_BYTES`] for forms).
//! - the edge's admission (`guard::admit` as for a route the table lists as `Access::Token`: a
//!   per-address rate and the in-flight cap).

mod admin;
mod auth;
pub mod html;
mod pages;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use idgate_core::Code;

use self::html::{cookie, error_page, lang_of};
use crate::app::console::{self, Operator};
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::routes::Access;
use crate::state::AppState;

/// The sign-in cookie.
pub const COOKIE: &str = "idgate_console";
/// Largest console form body (a review's reason and note fit many times over).
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The console's script and style sheet, embedded in the binary.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../../web/console/console.js"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("../../../../../web/console/console.css"),
    ),
];

/// Every console route.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/queue") }))
        .route("/console/assets/{file}", get(asset))
        .route("/console/login", get(auth::login_page))
        .route("/console/login/begin", post(auth::login_begin))
        .route("/console/login/finish", post(auth::login_finish))
        .route("/console/logout", post(auth::logout))
        .route("/console/invite/{token}", get(auth::invite_page))
        .route("/console/invite/{token}/begin", post(auth::register_begin))
        .route(
            "/console/invite/{token}/finish",
            post(auth::register_finish),
        )
        .route("/console/queue", get(pages::queue))
        .route("/console/search", get(pages::search))
        .route("/console/audit", get(pages::audit))
        .route("/console/sessions/{id}", get(pages::detail))
        .route("/console/sessions/{id}/images/{key}", get(pages::image))
        .route("/console/sessions/{id}/review", post(pages::review))
        .route("/console/admin", get(admin::overview))
        .route("/console/admin/{kind}/{id}/revoke", post(admin::revoke))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), same_origin))
        // the edge's admission: per-address rate and the in-flight cap, like a public route
        .layer(middleware::from_fn_with_state(
            (state, Access::Token),
            crate::http::guard::admit,
        ))
}

/// Refuses a cross-origin `POST` (its `Origin` is not the console's) before anything else, and
/// remembers the language picked with the switch (`?lang=`) in a cookie.
async fn same_origin(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let picked = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|_| lang_of(Some(q), req.headers()))
    });
    if req.method() == Method::POST {
        let origin = st.cfg.console.origin(&st.public_base);
        let sent = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        if sent.is_some_and(|o| o != origin) {
            let lang = lang_of(req.uri().query(), req.headers());
            let e = ApiError::new(Code::Forbidden, "cross-origin request refused");
            return error_page(lang, None, &e);
        }
    }
    let mut res = next.run(req).await;
    if let Some(l) = picked {
        let c = format!(
            "{}={}; Path=/console; SameSite=Strict; Max-Age=31536000",
            html::LANG_COOKIE,
            l.tag()
        );
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, ..)| *n == file) {
        Some((_, ctype, body)) => (
            [
                (header::CONTENT_TYPE, *ctype),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The signed-in operator of a request, and the page language.
pub struct Signed(pub Operator, pub Lang);

impl Signed {
    /// The `403` page unless `token` is this sign-in's CSRF token.
    pub fn csrf_refusal(&self, token: Option<&str>) -> Option<Response> {
        if token.is_some_and(|t| self.0.csrf_ok(t)) {
            return None;
        }
        let e = ApiError::new(
            Code::Forbidden,
            "missing or wrong CSRF token; reload the page",
        );
        Some(self.fail(&e))
    }

    /// `e` as a page of this operator.
    pub fn fail(&self, e: &ApiError) -> Response {
        error_page(self.1, Some(&self.0), e)
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let lang = lang_of(parts.uri.query(), &parts.headers);
        let refuse = |parts: &Parts| {
            if parts.method == Method::GET {
                Redirect::to("/console/login").into_response()
            } else {
                error_page(
                    lang,
                    None,
                    &ApiError::new(Code::Unauthenticated, "sign in first"),
                )
            }
        };
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(refuse(parts));
        };
        match console::signed_in(st, &token).await {
            Ok(op) => Ok(Signed(op, lang)),
            Err(e) if e.code == Code::Unauthenticated => Err(refuse(parts)),
            Err(e) => Err(error_page(lang, None, &e)),
        }
    }
}

/// The `Set-Cookie` value of a new sign-in (`None`: the cookie that ends one).
pub fn session_cookie(st: &AppState, token: Option<&str>) -> String {
    let secure = if st.cfg.console.secure_cookie(&st.public_base) {
        "; Secure"
    } else {
        ""
    };
    match token {
        Some(t) => format!(
            "{COOKIE}={t}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            st.cfg.console.session_lifetime_secs
        ),
        None => format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}
