//! An admin's screen: the tenant's API keys, OAuth clients, webhook endpoints (each live one
//! with a revoke/remove button), operators and settings. A reviewer gets `403`.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use idgate_core::Code;
use serde_json::Value;

use super::html::{esc, page, t};
use super::Signed;
use crate::app::console::screens::{self, Revocable};
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::state::AppState;

/// One credential list: its heading, the path segment of its revoke action and the key of a
/// row's id.
struct Kind<'a> {
    title: &'a str,
    path: &'a str,
    id_key: &'a str,
}

/// A list with a revoke button per live row (`label` names a row, `live` says if it is).
fn list(
    lang: Lang,
    csrf: &str,
    k: Kind,
    rows: &Value,
    label: impl Fn(&Value) -> String,
    live: impl Fn(&Value) -> bool,
) -> String {
    let items: String = rows
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let id = r[k.id_key].as_str().unwrap_or_default();
                    let action = if live(r) {
                        format!(
                            "<form method=\"post\" action=\"/console/admin/{path}/{id}/revoke\">\
                             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                             <button type=\"submit\">{}</button></form>",
                            t(lang, "admin.revoke"),
                            path = k.path,
                            id = esc(id),
                            csrf = esc(csrf)
                        )
                    } else {
                        format!(
                            "<span class=\"revoked\">{}</span>",
                            t(lang, "admin.revoked")
                        )
                    };
                    format!("<li><span>{}</span> {action}</li>", esc(&label(r)))
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "<section><h2>{}</h2><ul class=\"creds\">{items}</ul></section>",
        k.title
    )
}

/// `GET /console/admin` (admins only).
pub async fn overview(State(st): State<AppState>, s: Signed) -> Response {
    let (op, lang) = (&s.0, s.1);
    let v = match screens::admin_overview(&st, op).await {
        Ok(v) => v,
        Err(e) => return s.fail(&e),
    };
    let csrf = &op.csrf;
    let keys = list(
        lang,
        csrf,
        Kind {
            title: &t(lang, "admin.keys"),
            path: "api-keys",
            id_key: "api_key_id",
        },
        &v["api_keys"],
        |r| {
            format!(
                "{} · {}",
                r["prefix"].as_str().unwrap_or(""),
                r["scopes"].as_str().unwrap_or("")
            )
        },
        |r| r["revoked_at"].is_null(),
    );
    let clients = list(
        lang,
        csrf,
        Kind {
            title: &t(lang, "admin.clients"),
            path: "clients",
            id_key: "client_id",
        },
        &v["clients"],
        |r| {
            format!(
                "{} · {}",
                r["client_id"].as_str().unwrap_or(""),
                r["client_name"].as_str().unwrap_or("")
            )
        },
        |r| r["revoked_at"].is_null(),
    );
    let hooks = list(
        lang,
        csrf,
        Kind {
            title: &t(lang, "admin.webhooks"),
            path: "webhooks",
            id_key: "webhook_id",
        },
        &v["webhooks"],
        |r| r["url"].as_str().unwrap_or("").to_owned(),
        |r| r["enabled"] == true,
    );
    let ops: String = v["operators"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| {
                    format!(
                        "<li>{} · {}</li>",
                        esc(o["email"].as_str().unwrap_or("")),
                        t(lang, &format!("role.{}", o["role"].as_str().unwrap_or("")))
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let settings = serde_json::to_string_pretty(&v["settings"]).unwrap_or_default();
    let body = format!(
        "{keys}{clients}{hooks}<section><h2>{}</h2><ul>{ops}</ul><p>{}</p></section>\
         <section><h2>{}</h2><pre class=\"settings\">{}</pre></section>",
        t(lang, "admin.operators"),
        t(lang, "admin.operators_hint"),
        t(lang, "admin.settings"),
        esc(&settings)
    );
    page(
        StatusCode::OK,
        lang,
        Some(op),
        &t(lang, "admin.title"),
        &body,
    )
}

/// `POST /console/admin/{api-keys|clients|webhooks}/{id}/revoke` (form with `csrf`).
pub async fn revoke(
    State(st): State<AppState>,
    s: Signed,
    Path((kind, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(e) = s.0.require_admin() {
        return s.fail(&e);
    }
    if let Some(r) = s.csrf_refusal(form.get("csrf").map(String::as_str)) {
        return r;
    }
    let what = match kind.as_str() {
        "api-keys" => Revocable::ApiKey,
        "clients" => Revocable::Client,
        "webhooks" => Revocable::Webhook,
        _ => return s.fail(&ApiError::new(Code::NotFound, "nothing of that kind")),
    };
    match screens::revoke(&st, &s.0, what, &id).await {
        Ok(()) => Redirect::to("/console/admin").into_response(),
        Err(e) => s.fail(&e),
    }
}
