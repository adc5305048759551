//! The reviewer's screens: the manual-analysis queue, a session's detail (images, document
//! reads with MRZ check digits, face match, device signals, reasons in plain language) with
//! the review form, an image (decrypted on view, audited), search and the audit log. Thin:
//! `app::console::screens` decides what is shown and allowed.

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use idgate_core::{CoreError, FieldError};
use serde_json::{json, Value};

use super::html::{duration, esc, page, reason, t, when};
use super::Signed;
use crate::app::console::screens;
use crate::http::i18n::Lang;
use crate::state::AppState;

/// A JSON value as nested definition lists (scalars escaped).
fn kv(v: &Value) -> String {
    match v {
        Value::Object(o) if !o.is_empty() => {
            let rows: String = o
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", esc(k), kv(v)))
                .collect();
            format!("<dl>{rows}</dl>")
        }
        Value::Array(a) if !a.is_empty() => {
            let items: String = a.iter().map(|v| format!("<li>{}</li>", kv(v))).collect();
            format!("<ul>{items}</ul>")
        }
        Value::String(s) => esc(s),
        Value::Object(_) | Value::Array(_) | Value::Null => "—".into(),
        other => esc(&other.to_string()),
    }
}

fn reasons_list(lang: Lang, codes: &[String]) -> String {
    if codes.is_empty() {
        return "—".into();
    }
    let items: String = codes
        .iter()
        .map(|c| {
            format!(
                "<li data-code=\"{}\">{}</li>",
                esc(c),
                esc(&reason(lang, c))
            )
        })
        .collect();
    format!("<ul class=\"reasons\">{items}</ul>")
}

/// `GET /console/queue`: the tenant's sessions in manual analysis.
pub async fn queue(State(st): State<AppState>, s: Signed) -> Response {
    let (op, lang) = (&s.0, s.1);
    let items = match screens::queue(&st, op).await {
        Ok(i) => i,
        Err(e) => return s.fail(&e),
    };
    let rows: String = items
        .iter()
        .map(|i| {
            let sla = if i.overdue {
                format!("<span class=\"overdue\">{}</span>", t(lang, "queue.overdue"))
            } else {
                t(lang, "queue.within")
            };
            format!(
                "<tr><td><a href=\"/console/sessions/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{sla}</td></tr>",
                reasons_list(lang, &i.reasons),
                duration(i.waiting_ms),
                id = esc(&i.id),
            )
        })
        .collect();
    let body = if items.is_empty() {
        format!("<p>{}</p>", t(lang, "queue.empty"))
    } else {
        format!(
            "<p>{count}</p><table><caption>{cap}</caption><thead><tr><th scope=\"col\">{c1}</th><th scope=\"col\">{c2}</th>\
             <th scope=\"col\">{c3}</th><th scope=\"col\">{c4} ({h} h)</th></tr></thead><tbody>{rows}</tbody></table>",
            count = t(lang, "queue.count").replace("{n}", &items.len().to_string()),
            cap = t(lang, "queue.caption"),
            c1 = t(lang, "col.session"),
            c2 = t(lang, "col.reasons"),
            c3 = t(lang, "col.waiting"),
            c4 = t(lang, "col.sla"),
            h = st.cfg.console.sla_hours,
        )
    };
    page(
        StatusCode::OK,
        lang,
        Some(op),
        &t(lang, "queue.title"),
        &body,
    )
}

fn image_tag(lang: Lang, id: &str, key: &str, alt: &str) -> String {
    format!(
        "<figure><img src=\"/console/sessions/{id}/images/{key}\" alt=\"{alt}\" class=\"evidence\">\
         <figcaption>{alt} · <a href=\"/console/sessions/{id}/images/{key}\">{open}</a></figcaption></figure>",
        id = esc(id),
        key = esc(key),
        alt = esc(alt),
        open = t(lang, "detail.open_image"),
    )
}

fn document_section(lang: Lang, id: &str, d: &screens::DocumentPart, n: usize) -> String {
    let r = &d.result;
    let fields: String = r["fields"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, f)| {
                    format!(
                        "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(k),
                        kv(&f["value"]),
                        kv(&f["confidence"]),
                        kv(&f["check"])
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let fields = if fields.is_empty() {
        String::new()
    } else {
        format!(
            "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
             <th scope=\"col\">{}</th></tr></thead><tbody>{fields}</tbody></table>",
            t(lang, "col.field"),
            t(lang, "col.value"),
            t(lang, "col.confidence"),
            t(lang, "col.check")
        )
    };
    let mrz = if r["mrz"].is_object() {
        let lines = kv(&r["mrz"]["lines"]);
        format!(
            "<h4>{}</h4><pre class=\"mrz\">{lines}</pre>{}",
            t(lang, "detail.mrz"),
            kv(&json!({"check_digits": r["mrz"]["check_digits"], "fields": r["mrz"]["fields"]}))
        )
    } else {
        String::new()
    };
    format!(
        "<section class=\"doc\"><h3>{title} {n} · {template}</h3>{img}\
{fields}{mrz}<h4>{val}</h4>{validation}</section>",
        title = t(lang, "detail.document"),
        template = kv(&r["template"]),
        img = image_tag(
            lang,
            id,
            &d.ocr_key,
            &format!("{} {n}", t(lang, "detail.document"))
        ),
        val = t(lang, "detail.validation"),
        validation = kv(&r["validation"]),
    )
}

fn review_form(lang: Lang, id: &str, csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/console/sessions/{id}/review\" class=\"review\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <fieldset><legend>{legend}</legend>\
         <label><input type=\"radio\" name=\"decision\" value=\"approved\" required> {approve}</label>\
         <label><input type=\"radio\" name=\"decision\" value=\"rejected\"> {reject}</label></fieldset>\
         <label for=\"reason\">{reason}</label><input id=\"reason\" name=\"reason\" required maxlength=\"200\">\
         <label for=\"note\">{note}</label><textarea id=\"note\" name=\"note\" maxlength=\"2000\" rows=\"3\"></textarea>\
         <button type=\"submit\">{submit}</button></form>",
        id = esc(id),
        csrf = esc(csrf),
        legend = t(lang, "review.legend"),
        approve = t(lang, "review.approve"),
        reject = t(lang, "review.reject"),
        reason = t(lang, "review.reason"),
        note = t(lang, "review.note"),
        submit = t(lang, "review.submit"),
    )
}

/// `GET /console/sessions/{id}`: everything about a session of the tenant (404 otherwise).
pub async fn detail(State(st): State<AppState>, s: Signed, Path(id): Path<String>) -> Response {
    let (op, lang) = (&s.0, s.1);
    let d = match screens::detail(&st, op, &id).await {
        Ok(d) => d,
        Err(e) => return s.fail(&e),
    };
    let (v, dec) = (&d.v1, &d.v1["decision"]);
    let codes: Vec<String> = dec["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let off = op.tenant.offset;
    let summary = format!(
        "<dl class=\"summary\"><dt>{}</dt><dd data-status=\"{status}\">{status_text}</dd><dt>CPF</dt><dd>{cpf}</dd>\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
        t(lang, "detail.status"),
        t(lang, "detail.created"),
        when(d.view.row.created_at, off),
        t(lang, "detail.updated"),
        when(d.view.row.updated_at, off),
        status = esc(d.view.status.as_str()),
        status_text = t(lang, &format!("status.{}", d.view.status.as_str())),
        cpf = kv(&v["document_number"]),
    );
    let selfie = d
        .selfie
        .as_deref()
        .map(|k| image_tag(lang, &id, k, &t(lang, "detail.selfie")))
        .unwrap_or_else(|| format!("<p>{}</p>", t(lang, "detail.no_selfie")));
    let docs: String = d
        .documents
        .iter()
        .enumerate()
        .map(|(i, doc)| document_section(lang, &id, doc, i + 1))
        .collect();
    let action = if d.view.status == idgate_core::session::Status::InManualAnalysis {
        review_form(lang, &id, &op.csrf)
    } else {
        kv(&dec["review"])
    };
    let body = format!(
        "{summary}<section><h2>{h_reasons}</h2>{reasons}</section>\
         <section><h2>{h_face}</h2>{selfie}{face}</section>{docs}\
         <section><h2>{h_device}</h2>{device}</section><section><h2>{h_review}</h2>{action}</section>",
        h_reasons = t(lang, "detail.reasons"),
        reasons = reasons_list(lang, &codes),
        h_face = t(lang, "detail.face"),
        face = kv(&dec["evidence"]["face_match"]),
        h_device = t(lang, "detail.device"),
        device = kv(&v["step_data"]["device_scan"]),
        h_review = t(lang, "detail.review"),
    );
    let title = format!("{} {}", t(lang, "detail.title"), id);
    page(StatusCode::OK, lang, Some(op), &title, &body)
}

/// `GET /console/sessions/{id}/images/{key}`: the image, decrypted for this view (audited).
pub async fn image(
    State(st): State<AppState>,
    s: Signed,
    Path((id, key)): Path<(String, String)>,
) -> Response {
    match screens::image(&st, &s.0, &id, &key).await {
        Ok((bytes, media)) => (
            [
                (header::CONTENT_TYPE, media),
                (header::CACHE_CONTROL, "no-store"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => s.fail(&e),
    }
}

/// `POST /console/sessions/{id}/review` (form: `csrf`, `decision`, `reason`, `note`).
pub async fn review(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.csrf_refusal(form.get("csrf").map(String::as_str)) {
        return r;
    }
    let unknown: Vec<FieldError> = form
        .keys()
        .filter(|k| !["csrf", "decision", "reason", "note"].contains(&k.as_str()))
        .map(|k| FieldError::new(k, "unknown_field", "is not a field of this form"))
        .collect();
    if !unknown.is_empty() {
        return s.fail(&CoreError::Validation(unknown).into());
    }
    let mut body = json!({"decision": form.get("decision"), "reason": form.get("reason")});
    if let Some(n) = form.get("note").filter(|n| !n.trim().is_empty()) {
        body["note"] = json!(n);
    }
    match screens::decide(&st, &s.0, &id, &body).await {
        Ok(_) => Redirect::to(&format!("/console/sessions/{id}")).into_response(),
        Err(e) => s.fail(&e),
    }
}

/// `GET /console/search?q=`: sessions by id or CPF.
pub async fn search(
    State(st): State<AppState>,
    s: Signed,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (op, lang) = (&s.0, s.1);
    let query = q.get("q").cloned().unwrap_or_default();
    let form = format!(
        "<form method=\"get\" action=\"/console/search\" role=\"search\"><label for=\"q\">{}</label>\
         <input id=\"q\" name=\"q\" value=\"{}\" maxlength=\"255\"> <button type=\"submit\">{}</button></form>",
        t(lang, "search.label"),
        esc(&query),
        t(lang, "search.button")
    );
    let rows = match screens::search(&st, op, &query).await {
        Ok(r) => r,
        Err(e) => return s.fail(&e),
    };
    let results = if query.trim().is_empty() {
        String::new()
    } else if rows.is_empty() {
        format!("<p role=\"status\">{}</p>", t(lang, "search.none"))
    } else {
        let items: String = rows
            .iter()
            .map(|r| {
                format!(
                    "<li><a href=\"/console/sessions/{id}\">{id}</a> · {} · {}</li>",
                    t(lang, &format!("status.{}", r.status)),
                    when(r.created_at, op.tenant.offset),
                    id = esc(&r.id)
                )
            })
            .collect();
        format!("<ul class=\"results\">{items}</ul>")
    };
    page(
        StatusCode::OK,
        lang,
        Some(op),
        &t(lang, "search.title"),
        &(form + &results),
    )
}

/// `GET /console/audit`: the tenant's latest audit rows.
pub async fn audit(State(st): State<AppState>, s: Signed) -> Response {
    let (op, lang) = (&s.0, s.1);
    let rows = match screens::audit_log(&st, op).await {
        Ok(r) => r,
        Err(e) => return s.fail(&e),
    };
    let body: String = rows
        .iter()
        .map(|a| {
            let detail: Value = serde_json::from_str(&a.detail).unwrap_or(Value::Null);
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                when(a.created_at, op.tenant.offset),
                esc(&a.kind),
                esc(&a.subject),
                kv(&detail)
            )
        })
        .collect();
    let table = format!(
        "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{body}</tbody></table>",
        t(lang, "col.when"),
        t(lang, "col.action"),
        t(lang, "col.subject"),
        t(lang, "col.detail")
    );
    page(
        StatusCode::OK,
        lang,
        Some(op),
        &t(lang, "audit.title"),
        &table,
    )
}
