//! Hosted pages: the session entry point `/s/{hash}/t/{token}` (a shell the flow script fills
//! with one screen at a time), its assets under `/flow/`, and the server-rendered expired /
//! closed / not-found pages, all in the person's language ([`super::i18n`]). A wrong hash or
//! token gets the same 404 page, so the page reveals nothing about which sessions exist.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Value};

use idgate_core::session::{OpenMode, Step};

use super::i18n::{negotiate, Lang};
use crate::app::render::SessionView;
use crate::app::sessions::{self, Entry, PageCtx};
use crate::app::steps::flow_json;
use crate::state::AppState;

/// The flow page's assets, embedded in the binary: `(file name, content)`.
pub const FLOW_ASSETS: &[(&str, &str)] = &[
    ("app.js", include_str!("../../../../web/flow/app.js")),
    ("ui.js", include_str!("../../../../web/flow/ui.js")),
    ("device.js", include_str!("../../../../web/flow/device.js")),
    ("selfie.js", include_str!("../../../../web/flow/selfie.js")),
    (
        "document.js",
        include_str!("../../../../web/flow/document.js"),
    ),
    ("app.css", include_str!("../../../../web/flow/app.css")),
];

pub async fn open_session(
    State(st): State<AppState>,
    Path((hash, token)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = page_lang(query.as_deref(), &headers);
    match sessions::open_entry(&st, &hash, &token).await {
        Ok(Entry::Open(v, ctx)) => page_framed(
            StatusCode::OK,
            lang,
            &flow_page(&v, lang, &ctx),
            &ctx.framers,
        ),
        Ok(Entry::Expired) => message_page(StatusCode::GONE, lang, "expired", "expired"),
        Ok(Entry::Closed(s)) => message_page(StatusCode::GONE, lang, "closed", s.as_str()),
        Ok(Entry::NotFound) => not_found_page(lang),
        Err(e) => {
            tracing::error!(code = e.code.as_str(), "entry page failed");
            message_page(StatusCode::INTERNAL_SERVER_ERROR, lang, "network", "error")
        }
    }
}

/// The language of a page request (`?lang=`, `Accept-Language`, pt-BR).
pub fn page_lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let q = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    negotiate(q.as_deref(), accept)
}

/// `GET /flow/{file}`: the flow page's scripts and style sheet.
pub async fn flow_asset(Path(file): Path<String>) -> Response {
    let Some((_, body)) = FLOW_ASSETS.iter().find(|(n, _)| *n == file) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let ctype = if file.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        *body,
    )
        .into_response()
}

/// What the page script starts from: where the flow stands, the screens the session asks for,
/// and (an `iframe` session) the origins its events may be posted to.
fn page_state(v: &SessionView, ctx: &PageCtx) -> Value {
    let mut s = flow_json(v);
    let doc = v.settings.document_step();
    let any_intro = v
        .settings
        .steps
        .iter()
        .any(|c| c.show_introduction_screen == Some(true));
    let templates: Vec<&str> = doc
        .and_then(|c| c.document_templates.as_deref())
        .unwrap_or(&[])
        .iter()
        .map(|t| t.as_str())
        .collect();
    let o = s.as_object_mut().expect("flow_json is an object");
    o.insert("session_id".into(), json!(v.row.id));
    o.insert(
        "show_introduction_screen".into(),
        json!(
            any_intro && v.row.step.as_deref() == v.settings.steps.first().map(|c| c.step.as_str())
        ),
    );
    o.insert(
        "show_success_screen".into(),
        json!(doc.and_then(|c| c.show_success_screen).unwrap_or(true)),
    );
    o.insert("document_templates".into(), json!(templates));
    let iframe = v.settings.open_mode == OpenMode::Iframe;
    o.insert(
        "open_mode".into(),
        json!(if iframe { "iframe" } else { "link" }),
    );
    o.insert("frame_origins".into(), json!(ctx.framers));
    o.insert("redirect_url".into(), json!(ctx.redirect_url));
    s
}

/// The flow page: a header with the language switch, the state and the catalogue as data, and
/// an empty `<main>` the script fills.
fn flow_page(v: &SessionView, lang: Lang, ctx: &PageCtx) -> String {
    let state = escape(&page_state(v, ctx).to_string());
    let msgs = lang.catalogue_json().replace("</", "<\\/");
    let has_camera_step = v.settings.steps.iter().any(|c| c.step != Step::DeviceScan);
    format!(
        "<main id=\"flow\" tabindex=\"-1\" data-state=\"{state}\" data-camera=\"{has_camera_step}\">\
         <noscript><p>{noscript}</p></noscript></main>\
         <script type=\"application/json\" id=\"msgs\">{msgs}</script>\
         <link rel=\"modulepreload\" href=\"/flow/ui.js\"><link rel=\"modulepreload\" href=\"/flow/device.js\">\
         <link rel=\"modulepreload\" href=\"/flow/selfie.js\"><link rel=\"modulepreload\" href=\"/flow/document.js\">\
         <script type=\"module\" src=\"/flow/app.js\"></script>",
        noscript = lang.msg("unsupported.body"),
    )
}

fn message_page(status: StatusCode, lang: Lang, key: &str, data: &str) -> Response {
    let body = format!(
        "<main id=\"flow\" data-screen=\"{key}\" data-status=\"{data}\"><section class=\"screen msg\">\
         <div class=\"icon icon-{key}\" aria-hidden=\"true\"></div>\
         <h1>{}</h1><p>{}</p></section></main>",
        lang.msg(&format!("{key}.title")),
        lang.msg(&format!("{key}.body")),
    );
    page_framed(status, lang, &body, &[])
}

/// HTML attribute escaping.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

pub fn not_found_page(lang: Lang) -> Response {
    message_page(StatusCode::NOT_FOUND, lang, "notfound", "not_found")
}

/// A page in `lang` that only `framers` (and the page's own origin) may show in a frame.
fn page_framed(status: StatusCode, lang: Lang, body: &str, framers: &[String]) -> Response {
    let ancestors = std::iter::once("'self'")
        .chain(framers.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         media-src 'self' blob: mediastream:; base-uri 'none'; form-action 'none'; \
         frame-ancestors {ancestors}"
    );
    let switch: String = Lang::ALL
        .iter()
        .map(|l| {
            let current = if *l == lang {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<a href=\"?lang={tag}\" lang=\"{tag}\" hreflang=\"{tag}\"{current}>{name}</a>",
                tag = l.tag(),
                name = l.name()
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/flow/app.css\"></head><body>\
         <header class=\"bar\"><span class=\"brand\">{title}</span>\
         <nav class=\"lang\" aria-label=\"{lang_label}\">{switch}</nav></header>{body}</body></html>",
        tag = lang.tag(),
        title = lang.msg("page.title"),
        lang_label = lang.msg("lang.label"),
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        [
            (header::CONTENT_SECURITY_POLICY, csp),
            (
                header::HeaderName::from_static("permissions-policy"),
                "camera=(self)".to_owned(),
            ),
        ],
        Html(html),
    )
        .into_response()
}
