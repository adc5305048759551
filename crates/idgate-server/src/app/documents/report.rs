//! The stored result of a read, as JSON: template, fields with confidence and check outcome, the
//! MRZ with every check digit, the PDF's signature and QR payload, and the validation outcome
//! (check digits valid, not expired, CPF valid, signature valid and trusted), rendered from the
//! read's typed [`DocumentEvidence`]. Dates are ISO `YYYY-MM-DD`.

use idgate_core::session::decision::{DocumentEvidence, SignatureEvidence};
use idgate_vision::document::brazil::{Check, FieldKind};
use idgate_vision::document::mrz::{CheckDigit, CheckField, Mrz};
use idgate_vision::document::pdf::SignatureStatus;
use serde_json::{json, Map, Value};

use super::evidence::expiry_date;
use super::read::{MrzPart, PdfPart, Read};

/// Renders a read and its evidence (made by [`super::evidence::of_read`]).
pub fn render(read: &Read, evidence: &DocumentEvidence) -> Value {
    if read.stored_only {
        return json!({
            "template": read.template.as_str(),
            "status": "stored",
            "fields": {},
            "validation": {"performed": false, "valid": null},
        });
    }
    let mut fields = Map::new();
    if let Some(f) = &read.fields {
        for (kind, field) in &f.fields {
            fields.insert(
                kind_name(*kind),
                json!({"value": field.value, "confidence": round(field.confidence), "check": check(&field.check)}),
            );
        }
    }
    if let Some(m) = &read.mrz {
        mrz_fields(&mut fields, m);
    }
    let mut out = json!({
        "template": read.template.as_str(),
        "status": "processed",
        "fields": fields,
        "text_lines": read.text_lines,
        "processing_ms": read.ms.round(),
    });
    if let Some(m) = &read.mrz {
        out["mrz"] = mrz_json(m);
    }
    if let Some(p) = &read.pdf {
        out["pdf"] = pdf_json(p);
    }
    out["validation"] = validation(read, &out["fields"], evidence);
    out
}

fn kind_name(k: FieldKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn round(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

fn check(c: &Check) -> Value {
    match c {
        Check::Valid => json!({"status": "valid"}),
        Check::Invalid(r) => json!({"status": "invalid", "reason": r}),
        Check::Unchecked => json!({"status": "unchecked"}),
    }
}

fn digit(m: &Mrz, f: CheckField) -> Option<&CheckDigit> {
    m.checks.iter().find(|c| c.field == f)
}

/// MRZ fields into the common `fields` map (only where the OCR fields did not set them).
fn mrz_fields(fields: &mut Map<String, Value>, p: &MrzPart) {
    let m = &p.mrz;
    let conf = round(p.confidence);
    let with = |v: String, c: Option<&CheckDigit>| {
        let chk = match c {
            Some(d) if d.valid => json!({"status": "valid"}),
            Some(_) => json!({"status": "invalid", "reason": "check_digit"}),
            None => json!({"status": "unchecked"}),
        };
        json!({"value": v, "confidence": conf, "check": chk})
    };
    let name = format!("{} {}", m.given_names, m.surname).trim().to_owned();
    let entries = [
        ("name", with(name, None)),
        ("surname", with(m.surname.clone(), None)),
        ("given_names", with(m.given_names.clone(), None)),
        (
            "document_number",
            with(
                m.document_number.clone(),
                digit(m, CheckField::DocumentNumber),
            ),
        ),
        (
            "birth_date",
            with(
                mrz_date(&m.birth_date, false),
                digit(m, CheckField::BirthDate),
            ),
        ),
        (
            "expiry_date",
            with(
                mrz_date(&m.expiry_date, true),
                digit(m, CheckField::ExpiryDate),
            ),
        ),
        ("nationality", with(m.nationality.clone(), None)),
        ("issuing_country", with(m.issuing_country.clone(), None)),
        ("sex", with(m.sex.to_string(), None)),
    ];
    for (k, v) in entries {
        if !v["value"].as_str().unwrap_or("").is_empty() {
            fields.entry(k.to_owned()).or_insert(v);
        }
    }
}

/// `YYMMDD` → `YYYY-MM-DD`; expiry dates are 20YY, birth dates pivot at 30 (a 2-digit year
/// above it is 19YY). Unreadable dates stay as printed.
pub(super) fn mrz_date(s: &str, expiry: bool) -> String {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_owned();
    }
    let yy: u32 = s[..2].parse().unwrap_or(0);
    let century = if expiry || yy <= 30 { 2000 } else { 1900 };
    format!("{}-{}-{}", century + yy, &s[2..4], &s[4..6])
}

fn mrz_json(p: &MrzPart) -> Value {
    let m = &p.mrz;
    let digits: Map<String, Value> = m
        .checks
        .iter()
        .map(|c| {
            let name = serde_json::to_value(c.field)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (
                name,
                json!({"valid": c.valid, "found": c.found.to_string(), "computed": c.computed.to_string()}),
            )
        })
        .collect();
    json!({
        "format": m.format,
        "lines": m.lines,
        "raw_lines": p.raw_lines,
        "confidence": round(p.confidence),
        "upside_down": p.upside_down,
        "corrections": m.corrections,
        "doubts": m.doubts,
        "fields": {
            "document_type": m.document_type, "issuing_country": m.issuing_country,
            "surname": m.surname, "given_names": m.given_names,
            "document_number": m.document_number, "nationality": m.nationality,
            "birth_date": m.birth_date, "sex": m.sex.to_string(), "expiry_date": m.expiry_date,
            "optional_data": m.optional_data, "optional_data_2": m.optional_data_2,
        },
        "check_digits": digits,
        "valid": m.all_checks_valid(),
    })
}

fn pdf_json(p: &PdfPart) -> Value {
    let signature = match &p.signature {
        SignatureStatus::Unsigned => {
            json!({"status": "unsigned", "signer": null, "trusted": false})
        }
        SignatureStatus::Valid {
            signer,
            chain,
            trusted,
            covers_whole_file,
            signer_not_before,
            signer_not_after,
        } => json!({
            "status": "valid", "signer": signer, "chain": chain, "trusted": trusted,
            "covers_whole_file": covers_whole_file,
            "signer_not_before": signer_not_before, "signer_not_after": signer_not_after,
        }),
        SignatureStatus::Invalid { reason } => {
            json!({"status": "invalid", "signer": null, "trusted": false, "reason": reason})
        }
    };
    json!({"signature": signature, "qr_payload": p.qr_payload, "pages": p.pages, "ocr": p.ocr})
}

/// `null` means "nothing to check"; `valid` is false when any performed check failed or a
/// signature the document needs is missing or untrusted.
fn validation(read: &Read, fields: &Value, e: &DocumentEvidence) -> Value {
    let cpf_valid = fields["cpf"]["check"]["status"]
        .as_str()
        .filter(|s| *s != "unchecked")
        .map(|s| s == "valid");
    let signature_valid = read.pdf.as_ref().and_then(|p| match p.signature {
        SignatureStatus::Unsigned => None,
        SignatureStatus::Valid { .. } => Some(true),
        SignatureStatus::Invalid { .. } => Some(false),
    });
    let all = [
        e.check_digits_valid,
        e.not_expired,
        cpf_valid,
        signature_valid,
    ];
    let signature_ok = e.signature.is_none_or(|s| s == SignatureEvidence::Trusted);
    json!({
        "performed": true,
        "check_digits_valid": e.check_digits_valid,
        "not_expired": e.not_expired,
        "expiry_date": expiry_date(read),
        "cpf_valid": cpf_valid,
        "signature_valid": signature_valid,
        "signature": e.signature,
        "valid": !all.contains(&Some(false)) && signature_ok,
    })
}

#[cfg(test)]
mod tests {
    use super::mrz_date;

    #[test]
    fn mrz_dates() {
        assert_eq!(mrz_date("740812", false), "1974-08-12");
        assert_eq!(mrz_date("120415", true), "2012-04-15");
        assert_eq!(mrz_date("051231", false), "2005-12-31");
        assert_eq!(mrz_date("7408<2", false), "7408<2");
    }
}
