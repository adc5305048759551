//! Validation of `settings.steps`: known steps only, no repeats, order kept, and the
//! `personal_document` options with their defaults.

use std::collections::HashSet;

use serde_json::Value;

use super::settings::{
    parse_step_name, parse_template, type_error as type_err, unknown_fields as unknown, Step,
    StepConfig, Strictness,
};
use crate::error::FieldError;

pub(super) fn parse_steps(
    a: &[Value],
    strict: Strictness,
    errs: &mut Vec<FieldError>,
) -> Option<Vec<StepConfig>> {
    let before = errs.len();
    if a.is_empty() {
        errs.push(FieldError::new(
            "settings.steps",
            "empty",
            "must list at least one step",
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(a.len());
    for (i, v) in a.iter().enumerate() {
        let path = format!("settings.steps[{i}]");
        let Some(obj) = v.as_object() else {
            errs.push(type_err(&path, "an object"));
            continue;
        };
        let step = match obj.get("step") {
            Some(Value::String(s)) => match parse_step_name(s) {
                Some(st) => st,
                None => {
                    errs.push(FieldError::new(
                        format!("{path}.step"),
                        "invalid_value",
                        "must be one of device_scan, face_recognition, personal_document",
                    ));
                    continue;
                }
            },
            None | Some(Value::Null) => {
                errs.push(FieldError::new(
                    format!("{path}.step"),
                    "required",
                    "is required",
                ));
                continue;
            }
            Some(_) => {
                errs.push(type_err(&format!("{path}.step"), "a string"));
                continue;
            }
        };
        if !seen.insert(step) {
            errs.push(FieldError::new(
                format!("{path}.step"),
                "duplicate",
                "each step may appear only once",
            ));
        }
        if step != Step::PersonalDocument {
            if strict == Strictness::Strict {
                unknown(obj, &path, &["step"], errs);
            }
            out.push(StepConfig::plain(step));
            continue;
        }
        if strict == Strictness::Strict {
            unknown(
                obj,
                &path,
                &[
                    "step",
                    "document_templates",
                    "show_success_screen",
                    "show_introduction_screen",
                ],
                errs,
            );
        }
        let success = flag(
            obj.get("show_success_screen"),
            &format!("{path}.show_success_screen"),
            errs,
        );
        let intro = flag(
            obj.get("show_introduction_screen"),
            &format!("{path}.show_introduction_screen"),
            errs,
        );
        let templates = templates(
            obj.get("document_templates"),
            &format!("{path}.document_templates"),
            errs,
        );
        out.push(StepConfig {
            step,
            show_success_screen: Some(success),
            show_introduction_screen: Some(intro),
            document_templates: Some(templates),
        });
    }
    (errs.len() == before).then_some(out)
}

/// A boolean defaulting to true.
fn flag(v: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errs.push(type_err(path, "a boolean"));
            true
        }
    }
}

fn templates(
    v: Option<&Value>,
    path: &str,
    errs: &mut Vec<FieldError>,
) -> Vec<super::settings::DocumentTemplate> {
    let a = match v {
        None | Some(Value::Null) => {
            errs.push(FieldError::new(
                path,
                "required",
                "is required on personal_document",
            ));
            return Vec::new();
        }
        Some(Value::Array(a)) => a,
        Some(_) => {
            errs.push(type_err(path, "an array"));
            return Vec::new();
        }
    };
    if a.is_empty() {
        errs.push(FieldError::new(
            path,
            "empty",
            "must list at least one document template",
        ));
    }
    let mut out = Vec::with_capacity(a.len());
    for (i, t) in a.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match t.as_str().map(|s| (s, parse_template(s))) {
            Some((_, Some(tpl))) if out.contains(&tpl) => errs.push(FieldError::new(
                p,
                "duplicate",
                "each template may appear only once",
            )),
            Some((_, Some(tpl))) => out.push(tpl),
            Some((_, None)) => errs.push(FieldError::new(
                p,
                "invalid_value",
                "must be one of rg, cnh, cnh_digital, passport, rne, crnm, ctps, others",
            )),
            None => errs.push(type_err(&p, "a string")),
        }
    }
    out
}
