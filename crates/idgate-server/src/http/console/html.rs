//! The console's page frame: the layout (navigation, language switch, sign-out form), the
//! message catalogues (`web/console/i18n/*.json`, pt-BR by default), HTML escaping, the strict
//! CSP and the error pages. Pages are plain HTML with real links, buttons and labels; the only
//! script is `/console/assets/console.js` (WebAuthn calls).

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use idgate_core::Code;

use crate::app::console::Operator;
use crate::http::error::ApiError;
use crate::http::i18n::{negotiate, Lang};

const PT_BR: &str = include_str!("../../../../../web/console/i18n/pt-BR.json");
const EN: &str = include_str!("../../../../../web/console/i18n/en.json");
/// The cookie that keeps the language the operator picked with the switch.
pub const LANG_COOKIE: &str = "idgate_console_lang";

/// The CSP of every console page: nothing but this origin's script, style and images.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn catalogue(lang: Lang) -> &'static HashMap<String, String> {
    static CAT: OnceLock<[HashMap<String, String>; 2]> = OnceLock::new();
    let cats = CAT.get_or_init(|| {
        let parse = |s: &str| serde_json::from_str(s).expect("a console catalogue parses");
        [parse(PT_BR), parse(EN)]
    });
    &cats[usize::from(lang == Lang::En)]
}

/// The message `key` in `lang` (the key itself when missing, which a unit test forbids).
pub fn t(lang: Lang, key: &str) -> String {
    catalogue(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// A reason code in plain language (the code itself for one the catalogue lacks).
pub fn reason(lang: Lang, code: &str) -> String {
    let k = format!("reason.{code}");
    catalogue(lang)
        .get(&k)
        .cloned()
        .unwrap_or_else(|| code.to_owned())
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The page language: `?lang=`, then the switch's cookie, then `Accept-Language`.
pub fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let q = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    negotiate(
        q.or_else(|| cookie(headers, LANG_COOKIE)).as_deref(),
        accept,
    )
}

/// HTML text and attribute escaping.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

/// The navigation of a signed-in operator (admin link for admins) and the sign-out form.
fn nav(lang: Lang, op: &Operator) -> String {
    let mut links = vec![
        ("/console/queue", "nav.queue"),
        ("/console/search", "nav.search"),
        ("/console/audit", "nav.audit"),
    ];
    if op.role == crate::app::console::Role::Admin {
        links.push(("/console/admin", "nav.admin"));
    }
    let items: String = links
        .iter()
        .map(|(href, k)| format!("<li><a href=\"{href}\">{}</a></li>", t(lang, k)))
        .collect();
    format!(
        "<nav aria-label=\"{label}\"><ul>{items}</ul></nav>\
         <form method=\"post\" action=\"/console/logout\" class=\"signout\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <span class=\"who\">{who} ({role})</span> <button type=\"submit\">{out}</button></form>",
        label = t(lang, "nav.label"),
        csrf = esc(&op.csrf),
        who = esc(&op.row.email),
        role = t(lang, &format!("role.{}", op.role.as_str())),
        out = t(lang, "nav.signout"),
    )
}

/// A full console page: `title`, `body`, the operator's navigation when signed in.
pub fn page(
    status: StatusCode,
    lang: Lang,
    op: Option<&Operator>,
    title: &str,
    body: &str,
) -> Response {
    let switch: String = Lang::ALL
        .iter()
        .map(|l| {
            let cur = if *l == lang {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<a href=\"?lang={tag}\" lang=\"{tag}\" hreflang=\"{tag}\"{cur}>{}</a>",
                l.name(),
                tag = l.tag()
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {brand}</title><link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
         <script type=\"module\" src=\"/console/assets/console.js\"></script></head><body>\
         <a class=\"skip\" href=\"#main\">{skip}</a>\
         <header class=\"bar\"><span class=\"brand\">{brand}</span>{nav}\
         <nav class=\"lang\" aria-label=\"{lang_label}\">{switch}</nav></header>\
         <main id=\"main\" tabindex=\"-1\"><h1>{title}</h1>{body}</main></body></html>",
        tag = lang.tag(),
        title = esc(title),
        brand = t(lang, "brand"),
        skip = t(lang, "skip"),
        nav = op.map(|o| nav(lang, o)).unwrap_or_default(),
        lang_label = t(lang, "lang.label"),
    );
    (
        status,
        [
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-store"),
            // same-origin, not no-referrer: with no-referrer a form post sends `Origin: null`
            (header::REFERRER_POLICY, "same-origin"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(html),
    )
        .into_response()
}

/// An error as a console page: its status, a plain-language title and the message.
pub fn error_page(lang: Lang, op: Option<&Operator>, e: &ApiError) -> Response {
    let key = match e.code {
        Code::NotFound => "error.not_found",
        Code::Forbidden => "error.forbidden",
        Code::Gone => "error.gone",
        Code::Unauthenticated | Code::InvalidToken => "error.unauthenticated",
        Code::InvalidTransition | Code::Conflict => "error.conflict",
        Code::ValidationFailed | Code::InvalidRequest => "error.invalid",
        _ => "error.internal",
    };
    let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let msg = if status.is_server_error() {
        String::new()
    } else {
        format!("<p class=\"detail\">{}</p>", esc(&e.message))
    };
    let body = format!(
        "<p role=\"alert\" data-code=\"{}\">{}</p>{msg}<p><a href=\"/console/queue\">{}</a></p>",
        e.code.as_str(),
        t(lang, &format!("{key}.body")),
        t(lang, "nav.back")
    );
    page(status, lang, op, &t(lang, &format!("{key}.title")), &body)
}

/// A time (unix ms) in the tenant's offset, as `YYYY-MM-DD HH:MM`.
pub fn when(ms: i64, offset: time::UtcOffset) -> String {
    let s = crate::app::render::fmt_time(ms, offset);
    s.get(..16).unwrap_or(&s).replace('T', " ")
}

/// A duration for people: `3 h 12 min`, `45 min`, `2 d 4 h`.
pub fn duration(ms: i64) -> String {
    let m = ms.max(0) / 60_000;
    let (d, h, m) = (m / 1440, (m / 60) % 24, m % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys_and_every_reason() {
        let (pt, en) = (catalogue(Lang::PtBr), catalogue(Lang::En));
        let mut a: Vec<_> = pt.keys().collect();
        let mut b: Vec<_> = en.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        for code in idgate_core::session::decision::REASON_CODES {
            assert!(pt.contains_key(&format!("reason.{code}")), "{code}");
        }
    }

    #[test]
    fn durations_and_cookies_read() {
        assert_eq!(duration(45 * 60_000), "45 min");
        assert_eq!(duration(192 * 60_000), "3 h 12 min");
        assert_eq!(duration(52 * 3_600_000), "2 d 4 h");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; idgate_console=xyz".parse().unwrap());
        assert_eq!(cookie(&h, "idgate_console").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
