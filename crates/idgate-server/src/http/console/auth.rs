//! Signing in and out of the console: the invite page (register a passkey with a one-time
//! link), the sign-in page (a discoverable passkey), their ceremony calls (JSON, errors in the
//! `/v1` format) and sign-out. Thin: parse, call `app::console`, render.

use std::collections::HashMap;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use idgate_core::FieldError;
use serde_json::{json, Value};

use super::html::{error_page, esc, lang_of, page, t};
use super::{session_cookie, Signed, COOKIE};
use crate::app::console::{self, passkeys};
use crate::http::error::{ApiError, Fail, V1};
use crate::http::extract::JsonBody;
use crate::http::i18n::Lang;
use crate::state::AppState;

/// The passkey button and its live status line; `console.js` runs the ceremony at `base`.
fn passkey_block(lang: Lang, mode: &str, base: &str, intro: &str, button: &str) -> String {
    format!(
        "<p>{intro}</p><div id=\"passkey\" data-mode=\"{mode}\" data-base=\"{base}\" \
         data-working=\"{working}\" data-failed=\"{failed}\" data-unsupported=\"{unsupported}\">\
         <button type=\"button\" id=\"passkey-go\">{button}</button>\
         <p id=\"passkey-status\" role=\"status\" aria-live=\"polite\"></p></div>\
         <noscript><p>{noscript}</p></noscript>",
        base = esc(base),
        working = esc(&t(lang, "passkey.working")),
        failed = esc(&t(lang, "passkey.failed")),
        unsupported = esc(&t(lang, "passkey.unsupported")),
        noscript = t(lang, "passkey.noscript"),
    )
}

/// `GET /console/login`: sign in with a passkey.
pub async fn login_page(RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    let lang = lang_of(q.as_deref(), &headers);
    let registered = q.as_deref().is_some_and(|q| q.contains("registered=1"));
    let note = if registered {
        format!(
            "<p class=\"ok\" role=\"status\">{}</p>",
            t(lang, "login.registered")
        )
    } else {
        String::new()
    };
    let body = note
        + &passkey_block(
            lang,
            "login",
            "/console/login",
            &t(lang, "login.intro"),
            &t(lang, "login.button"),
        );
    page(StatusCode::OK, lang, None, &t(lang, "login.title"), &body)
}

/// `POST /console/login/begin`: `{ceremony, publicKey}` for `navigator.credentials.get`.
pub async fn login_begin(State(st): State<AppState>) -> Result<Json<Value>, Fail<V1>> {
    Ok(Json(passkeys::login_begin(&st).await?))
}

/// `{ceremony, credential}` of a ceremony's finish, every violation listed.
fn finish_body(body: &Value) -> Result<(String, Value), ApiError> {
    let mut errs = Vec::new();
    let ceremony = body["ceremony"].as_str().filter(|c| c.len() <= 64);
    if ceremony.is_none() {
        errs.push(FieldError::new(
            "ceremony",
            "required",
            "the ceremony id from begin",
        ));
    }
    let cred = body.get("credential").filter(|c| c.is_object());
    if cred.is_none() {
        errs.push(FieldError::new(
            "credential",
            "required",
            "the authenticator's answer (an object)",
        ));
    }
    if let Some(extra) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "ceremony" && *k != "credential"))
    {
        errs.push(FieldError::new(
            extra,
            "unknown_field",
            "is not a field of this request",
        ));
    }
    match (ceremony, cred) {
        (Some(c), Some(v)) if errs.is_empty() => Ok((c.to_owned(), v.clone())),
        _ => Err(ApiError::invalid_fields(errs)),
    }
}

/// `POST /console/login/finish` `{ceremony, credential}`: signs in (sets the cookie).
pub async fn login_finish(
    State(st): State<AppState>,
    JsonBody(body, ..): JsonBody<V1>,
) -> Result<Response, Fail<V1>> {
    let (ceremony, cred) = finish_body(&body)?;
    let token = passkeys::login_finish(&st, &ceremony, cred).await?;
    Ok((
        [(header::SET_COOKIE, session_cookie(&st, Some(&token)))],
        Json(json!({"redirect": "/console/queue"})),
    )
        .into_response())
}

/// `POST /console/logout` (form with `csrf`): ends the sign-in and clears the cookie.
pub async fn logout(
    State(st): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = signed.csrf_refusal(form.get("csrf").map(String::as_str)) {
        return r;
    }
    if let Some(token) = super::html::cookie(&headers, COOKIE) {
        if let Err(e) = console::sign_out(&st, &token).await {
            return signed.fail(&e);
        }
    }
    (
        [(header::SET_COOKIE, session_cookie(&st, None))],
        Redirect::to("/console/login"),
    )
        .into_response()
}

/// `GET /console/invite/{token}`: register a passkey (410 for a used, expired or unknown link).
pub async fn invite_page(
    State(st): State<AppState>,
    Path(token): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(q.as_deref(), &headers);
    match console::invited(&st, &token).await {
        Ok(op) => {
            let intro = format!(
                "{} <strong>{}</strong> ({})",
                t(lang, "invite.intro"),
                esc(&op.email),
                t(lang, &format!("role.{}", op.role))
            );
            let base = format!("/console/invite/{token}");
            let body = passkey_block(lang, "register", &base, &intro, &t(lang, "invite.button"));
            page(StatusCode::OK, lang, None, &t(lang, "invite.title"), &body)
        }
        Err(e) => error_page(lang, None, &e),
    }
}

/// `POST /console/invite/{token}/begin`: `{ceremony, publicKey}` for `navigator.credentials.create`.
pub async fn register_begin(
    State(st): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, Fail<V1>> {
    Ok(Json(passkeys::register_begin(&st, &token).await?))
}

/// `POST /console/invite/{token}/finish` `{ceremony, credential}`: stores the passkey and
/// uses the invite up.
pub async fn register_finish(
    State(st): State<AppState>,
    Path(token): Path<String>,
    JsonBody(body, ..): JsonBody<V1>,
) -> Result<Json<Value>, Fail<V1>> {
    let (ceremony, cred) = finish_body(&body)?;
    passkeys::register_finish(&st, &token, &ceremony, cred).await?;
    Ok(Json(json!({"redirect": "/console/login?registered=1"})))
}
