//! Hosted pages: the session entry point `/s/{hash}/t/{token}` with one section per step (its
//! script, `web/flow/app.js`, submits them to the step API). A wrong hash or token gets the
//! same 404 page, so the page reveals nothing about which sessions exist.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use idgate_core::session::{DocumentTemplate, Step, StepConfig};

use crate::app::render::SessionView;
use crate::app::sessions::{self, Entry};
use crate::app::steps::flow_json;
use crate::state::AppState;

const FLOW_JS: &str = include_str!("../../../../web/flow/app.js");

pub async fn open_session(
    State(st): State<AppState>,
    Path((hash, token)): Path<(String, String)>,
) -> Response {
    match sessions::open_entry(&st, &hash, &token).await {
        Ok(Entry::Open(v, framers)) => page_framed(
            StatusCode::OK,
            "Identity verification",
            &flow_page(&v),
            &framers,
        ),
        Ok(Entry::Expired) => page(
            StatusCode::GONE,
            "Link expired",
            "<h1>This link has expired</h1><p>Ask the company that sent it for a new link.</p>",
        ),
        Ok(Entry::Closed(s)) => page(
            StatusCode::GONE,
            "Session closed",
            &format!("<h1>This verification is closed</h1><p data-status=\"{}\">Nothing more is needed here.</p>", s.as_str()),
        ),
        Ok(Entry::NotFound) => not_found_page(),
        Err(e) => {
            tracing::error!(code = e.code.as_str(), "entry page failed");
            page(StatusCode::INTERNAL_SERVER_ERROR, "Error", "<h1>Something went wrong</h1><p>Please try again.</p>")
        }
    }
}

/// `GET /flow/app.js`: the hosted flow's script.
pub async fn flow_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        FLOW_JS,
    )
        .into_response()
}

/// The flow page: the state as data, then a section per step (the script shows the current one).
fn flow_page(v: &SessionView) -> String {
    let state = escape(&flow_json(v).to_string());
    let mut html = format!(
        "<h1>Identity verification</h1>\
         <main id=\"flow\" data-state=\"{state}\"><p id=\"progress\"></p>"
    );
    for c in &v.settings.steps {
        html.push_str(&section(c));
    }
    html.push_str(
        "<p id=\"error\" role=\"alert\"></p>\
         <section id=\"done\" hidden><h2>Thank you</h2><p>Your verification was sent. You can close this page.</p></section>\
         </main><script src=\"/flow/app.js\" defer></script>",
    );
    html
}

fn section(c: &StepConfig) -> String {
    let name = c.step.as_str();
    let inner = match c.step {
        Step::DeviceScan => "<h2>Your device</h2><p>We check the device you are using.</p>\
             <button id=\"device-continue\" type=\"button\">Continue</button>"
            .to_owned(),
        Step::FaceRecognition => "<h2>Selfie</h2><p>Take a photo of your face, alone, facing the camera, in good light.</p>\
             <input id=\"selfie\" type=\"file\" accept=\"image/jpeg,image/png,image/webp\" capture=\"user\">\
             <button id=\"selfie-send\" type=\"button\">Send selfie</button>"
            .to_owned(),
        Step::PersonalDocument => {
            let options: String = c
                .document_templates
                .iter()
                .flatten()
                .map(|t| format!("<option value=\"{}\">{}</option>", t.as_str(), label(*t)))
                .collect();
            let intro = if c.show_introduction_screen.unwrap_or(true) {
                "<p>Photograph your document on a flat surface: the front, then the back. A CNH digital is its PDF.</p>"
            } else {
                ""
            };
            format!(
                "<h2>Your document</h2>{intro}\
                 <label>Document <select id=\"document-template\">{options}</select></label>\
                 <label>Front (or PDF) <input id=\"document-front\" type=\"file\" accept=\"image/jpeg,image/png,image/webp,application/pdf\" capture=\"environment\"></label>\
                 <label>Back <input id=\"document-back\" type=\"file\" accept=\"image/jpeg,image/png,image/webp\" capture=\"environment\"></label>\
                 <button id=\"document-send\" type=\"button\">Send document</button>"
            )
        }
    };
    format!("<section data-step=\"{name}\" hidden>{inner}</section>")
}

fn label(t: DocumentTemplate) -> &'static str {
    match t {
        DocumentTemplate::Rg => "RG (identity card)",
        DocumentTemplate::Cnh => "CNH (driver's licence)",
        DocumentTemplate::CnhDigital => "CNH digital (PDF)",
        DocumentTemplate::Passport => "Passport",
        DocumentTemplate::Rne => "RNE",
        DocumentTemplate::Crnm => "CRNM",
        DocumentTemplate::Ctps => "CTPS (work card)",
        DocumentTemplate::Others => "Other document",
    }
}

/// HTML attribute escaping.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

pub fn not_found_page() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        "<h1>Page not found</h1><p>Check the link you were sent.</p>",
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    page_framed(status, title, body, &[])
}

/// A page that only `framers` (and the page's own origin) may show in a frame.
fn page_framed(status: StatusCode, title: &str, body: &str, framers: &[String]) -> Response {
    let ancestors = std::iter::once("'self'")
        .chain(framers.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data: blob:; \
         base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    );
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}} label{{display:block;margin:.6rem 0}} #error{{color:#a00}}</style>\
         </head><body>{body}</body></html>"
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        [(header::CONTENT_SECURITY_POLICY, csp)],
        Html(html),
    )
        .into_response()
}
