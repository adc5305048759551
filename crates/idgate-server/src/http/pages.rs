//! Hosted pages: the session entry point `/s/{hash}/t/{token}`. A wrong hash or token gets the
//! same 404 page, so the page reveals nothing about which sessions exist.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::app::sessions::{self, Entry};
use crate::state::AppState;

pub async fn open_session(
    State(st): State<AppState>,
    Path((hash, token)): Path<(String, String)>,
) -> Response {
    match sessions::open_entry(&st, &hash, &token).await {
        Ok(Entry::Open(v)) => {
            let steps: Vec<_> = v.settings.steps.iter().map(|s| s.step.as_str()).collect();
            let body = format!(
                "<h1>Identity verification</h1><p>This session will guide you through: {}.</p>\
                 <p id=\"status\" data-status=\"{}\">Ready to start.</p>",
                steps.join(", "),
                v.status.as_str()
            );
            page(StatusCode::OK, "Identity verification", &body)
        }
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

pub fn not_found_page() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        "<h1>Page not found</h1><p>Check the link you were sent.</p>",
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}}</style>\
         </head><body>{body}</body></html>"
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(html),
    )
        .into_response()
}
