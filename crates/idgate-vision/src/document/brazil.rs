//! Brazilian document fields (RG, CNH front and back, CNH digital, CIN, CTPS) from positioned
//! text lines: labels, the value under or after each label, normalisation and checks.
//! Pure: no OCR, no I/O. The server converts the OCR engine's lines into [`TextItem`]s.

mod labels;
mod values;

use std::collections::BTreeMap;

use serde::Serialize;

use labels::{segments, Label, Segment};
pub use values::Check;
use values::Normalised;

/// One recognised text line (or word group) with its box, in image coordinates
/// (`y` grows downwards; any unit, as long as all items share it).
#[derive(Debug, Clone, PartialEq)]
pub struct TextItem {
    pub text: String,
    /// 0..1, as the OCR engine reports it.
    pub confidence: f32,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// Which document the lines come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocTemplate {
    Rg,
    Cnh,
    CnhDigital,
    Passport,
    Rne,
    Crnm,
    Ctps,
    Cin,
    Others,
}

/// The fields this module extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Name,
    Cpf,
    BirthDate,
    /// RG number on an RG or CIN; registration number on a CNH; number on a CTPS.
    DocumentNumber,
    /// The RG number printed on a CNH ("DOC. IDENTIDADE").
    RgNumber,
    IssuingBody,
    IssuingState,
    IssueDate,
    IssuePlace,
    ExpiryDate,
    FirstLicenseDate,
    CnhCategory,
    /// All "FILIAÇÃO" lines joined by " / " (one line alone cannot say which parent it is).
    Filiation,
    FatherName,
    MotherName,
    PlaceOfBirth,
    /// CTPS series.
    Series,
}

/// One extracted value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// Normalised: dates as `YYYY-MM-DD`, CPF/CNH/RG as bare digits (RG may end in `X`).
    pub value: String,
    /// 0..1: the OCR confidence, lowered when characters had to be fixed or the check fails.
    pub confidence: f32,
    pub check: Check,
}

/// Everything found on one document side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocFields {
    pub template: DocTemplate,
    pub fields: BTreeMap<FieldKind, Field>,
}

impl DocFields {
    pub fn get(&self, kind: FieldKind) -> Option<&Field> {
        self.fields.get(&kind)
    }

    pub fn value(&self, kind: FieldKind) -> Option<&str> {
        self.get(kind).map(|f| f.value.as_str())
    }
}

/// Upper-case without accents or repeated spaces, for comparing names
/// (`"João  da Silva"` and `"JOAO DA SILVA"` fold alike).
pub fn fold_name(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            // `Å` is not Portuguese: the recogniser's misreading of `Ã` in small print
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' | 'Á' | 'À' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                'A'
            }
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'O',
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
            'ç' | 'Ç' => 'C',
            'ñ' | 'Ñ' => 'N',
            'ý' | 'ÿ' | 'Ý' => 'Y',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Extracts the fields of `template` from OCR (or PDF) text items.
pub fn extract(template: DocTemplate, items: &[TextItem]) -> DocFields {
    let mut segs: Vec<Segment> = items.iter().flat_map(segments).collect();
    segs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    let mut used = vec![false; segs.len()];
    let mut out = DocFields {
        template,
        fields: BTreeMap::new(),
    };
    for i in 0..segs.len() {
        let Some(label) = segs[i].label else { continue };
        let lines = match label {
            Label::Filiation => 2,
            _ => 1,
        };
        let values = values_for(&segs, &mut used, i, lines);
        if !values.is_empty() {
            assign(&mut out, template, label, &values);
        }
    }
    fallbacks(&mut out, &segs, &used);
    out
}

/// The value(s) of the label at `i`: the segment right after it on the same line, or else the
/// nearest unused value segments below it that start near its left edge.
fn values_for(segs: &[Segment], used: &mut [bool], i: usize, lines: usize) -> Vec<(String, f32)> {
    let l = &segs[i];
    let same_line = segs
        .iter()
        .enumerate()
        .filter(|(j, s)| !used[*j] && s.label.is_none() && (s.y - l.y).abs() < l.h * 0.5)
        .filter(|(_, s)| s.x0 >= l.x1 - l.h && s.x0 - l.x1 < l.h * 4.0)
        .min_by(|a, b| a.1.x0.total_cmp(&b.1.x0))
        .map(|(j, _)| j);
    if let Some(j) = same_line {
        used[j] = true;
        return vec![(segs[j].text.clone(), segs[j].confidence)];
    }
    let tol = (l.h * 2.5).max(12.0);
    let mut below: Vec<usize> = segs
        .iter()
        .enumerate()
        .filter(|(j, s)| !used[*j] && s.label.is_none() && s.y > l.y + l.h * 0.5)
        .filter(|(_, s)| (s.x0 - l.x0).abs() <= tol)
        .map(|(j, _)| j)
        .collect();
    below.sort_by(|a, b| segs[*a].y.total_cmp(&segs[*b].y));
    let mut out = Vec::new();
    let mut last_bottom = l.y + l.h;
    for j in below.into_iter().take(lines) {
        let s = &segs[j];
        // the value sits within about two lines of the label (or of the previous value)
        if s.y - last_bottom > s.h.max(l.h) * 2.0 {
            break;
        }
        // a label between them means this value belongs to that label
        if segs
            .iter()
            .any(|o| o.label.is_some() && o.y > l.y && o.y < s.y && o.x1 > s.x0 && o.x0 < s.x1)
        {
            break;
        }
        // a continuation line (parents' names) has no digits: a date below is another field's
        if !out.is_empty() && s.text.bytes().any(|b| b.is_ascii_digit()) {
            break;
        }
        used[j] = true;
        last_bottom = s.y + s.h;
        out.push((s.text.clone(), s.confidence));
    }
    out
}

fn assign(out: &mut DocFields, template: DocTemplate, label: Label, values: &[(String, f32)]) {
    let (raw, conf) = (&values[0].0, values[0].1);
    match label {
        Label::Ignored => {}
        Label::IdentityDoc => put_rg(out, FieldKind::RgNumber, raw, conf),
        Label::Filiation => {
            let joined: Vec<&str> = values.iter().map(|v| v.0.as_str()).collect();
            put(
                out,
                FieldKind::Filiation,
                values::name(&joined.join(" / ")),
                conf,
            );
            if let [(f, fc), (m, mc)] = values {
                put(out, FieldKind::FatherName, values::name(f), *fc);
                put(out, FieldKind::MotherName, values::name(m), *mc);
            }
        }
        Label::Field(FieldKind::DocumentNumber) => match template {
            DocTemplate::Cnh | DocTemplate::CnhDigital => put(
                out,
                FieldKind::DocumentNumber,
                values::cnh_number(raw),
                conf,
            ),
            DocTemplate::Rg | DocTemplate::Cin => put_rg(out, FieldKind::DocumentNumber, raw, conf),
            _ => put(out, FieldKind::DocumentNumber, values::text(raw), conf),
        },
        Label::Field(kind) => put(out, kind, normalise(kind, raw), conf),
    }
}

fn normalise(kind: FieldKind, raw: &str) -> Option<Normalised> {
    match kind {
        FieldKind::Name | FieldKind::FatherName | FieldKind::MotherName | FieldKind::Filiation => {
            values::name(raw)
        }
        FieldKind::Cpf => values::cpf(raw),
        FieldKind::BirthDate
        | FieldKind::IssueDate
        | FieldKind::ExpiryDate
        | FieldKind::FirstLicenseDate => values::find_date(raw),
        FieldKind::CnhCategory => values::category(raw),
        FieldKind::IssuingState => values::state(raw),
        FieldKind::DocumentNumber => values::cnh_number(raw),
        FieldKind::RgNumber => values::rg_parts(raw).map(|p| p.number),
        FieldKind::IssuingBody | FieldKind::Series => values::text(raw),
        FieldKind::IssuePlace | FieldKind::PlaceOfBirth => values::place(raw),
    }
}

/// An RG value with issuing body and state (`12.345.678-9 SSP SP`).
fn put_rg(out: &mut DocFields, kind: FieldKind, raw: &str, conf: f32) {
    let Some(parts) = values::rg_parts(raw) else {
        put(out, kind, values::text(raw), conf * 0.5);
        return;
    };
    put(out, kind, Some(parts.number), conf);
    put(
        out,
        FieldKind::IssuingBody,
        parts.body.as_deref().and_then(values::text),
        conf,
    );
    put(
        out,
        FieldKind::IssuingState,
        parts.state.as_deref().and_then(values::state),
        conf,
    );
}

/// Stores a value unless the field already holds one with a better check.
fn put(out: &mut DocFields, kind: FieldKind, n: Option<Normalised>, conf: f32) {
    let Some(n) = n else { return };
    let mut confidence = conf.clamp(0.0, 1.0);
    if n.corrected {
        confidence *= 0.9;
    }
    if matches!(n.check, Check::Invalid(_)) {
        confidence *= 0.5;
    }
    let field = Field {
        value: n.value,
        confidence,
        check: n.check,
    };
    match out.fields.get(&kind) {
        Some(old) if old.confidence >= field.confidence => {}
        _ => {
            out.fields.insert(kind, field);
        }
    }
}

/// Values found without their label: a CPF anywhere in the text; a CNH's expiry date.
fn fallbacks(out: &mut DocFields, segs: &[Segment], used: &[bool]) {
    cnh_expiry(out, segs, used);
    if out.get(FieldKind::Cpf).is_none() {
        let found = segs
            .iter()
            .zip(used)
            .filter(|(s, u)| !**u && s.label.is_none())
            .filter_map(|(s, _)| values::cpf(&s.text).map(|n| (n, s.confidence)))
            .find(|(n, _)| n.check == Check::Valid);
        if let Some((n, c)) = found {
            put(out, FieldKind::Cpf, Some(n), c * 0.8);
        }
    }
}

/// A CNH whose `VALIDADE` label the OCR missed: a CNH prints the birth, first-licence, issue
/// and expiry dates, and only the expiry comes after the issue date, so an unlabelled date later
/// than the (labelled) issue date is the expiry. Without an issue date nothing is guessed: an
/// older date taken for the expiry would call a valid licence expired.
fn cnh_expiry(out: &mut DocFields, segs: &[Segment], used: &[bool]) {
    let cnh = matches!(out.template, DocTemplate::Cnh | DocTemplate::CnhDigital);
    if !cnh || out.get(FieldKind::ExpiryDate).is_some() {
        return;
    }
    let Some(issued) = out.value(FieldKind::IssueDate).map(str::to_owned) else {
        return;
    };
    let later = segs
        .iter()
        .zip(used)
        .filter(|(s, u)| !**u && s.label.is_none())
        .filter_map(|(s, _)| values::find_date(&s.text).map(|n| (n, s.confidence)))
        .filter(|(n, _)| n.value > issued)
        .max_by(|a, b| a.0.value.cmp(&b.0.value));
    if let Some((n, c)) = later {
        put(out, FieldKind::ExpiryDate, Some(n), c * 0.8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str, x: f32, y: f32) -> TextItem {
        TextItem {
            text: text.into(),
            confidence: 0.99,
            x,
            y,
            w: 12.0 * text.len() as f32,
            h: 30.0,
        }
    }

    /// The synthetic CNH's layout with the `VALIDADE` label missed by the detector (as on a
    /// wider photo of the card): the date after the issue date is the expiry.
    #[test]
    fn cnh_expiry_without_its_label() {
        let mut items = vec![
            item("DATA NASCIMENTO", 38.0, 243.0),
            item("07/03/1985", 39.0, 267.0),
            item("FILIAÇÃO", 335.0, 239.0),
            item("ANTONIO CONCEICAO SAURO", 340.0, 266.0),
            item("15/08/2031", 368.0, 344.0),
            item("1ª HABILITAÇÃO", 668.0, 317.0),
            item("20/01/2004", 670.0, 344.0),
            item("DATA EMISSÃO", 685.0, 396.0),
            item("16/08/2021", 689.0, 422.0),
        ];
        let f = extract(DocTemplate::Cnh, &items);
        assert_eq!(f.value(FieldKind::ExpiryDate), Some("2031-08-15"));
        assert_eq!(f.value(FieldKind::IssueDate), Some("2021-08-16"));
        assert_eq!(
            f.value(FieldKind::Filiation),
            Some("ANTONIO CONCEICAO SAURO")
        );
        // without the issue date nothing is guessed
        items.truncate(7);
        let f = extract(DocTemplate::Cnh, &items);
        assert_eq!(f.value(FieldKind::ExpiryDate), None);
        // an RG is never given one
        let f = extract(
            DocTemplate::Rg,
            &[
                item("DATA EXPEDIÇÃO", 0.0, 0.0),
                item("16/08/2021", 0.0, 30.0),
                item("15/08/2031", 300.0, 300.0),
            ],
        );
        assert_eq!(f.value(FieldKind::ExpiryDate), None);
    }

    #[test]
    fn fold() {
        assert_eq!(fold_name("  João  da Conceição "), "JOAO DA CONCEICAO");
        assert_eq!(fold_name("ANTÔNIO"), fold_name("antonio"));
    }
}
