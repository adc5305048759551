//! The printed labels of Brazilian documents and how an OCR line splits into labels and values.

use super::{fold_name, FieldKind, TextItem};

/// What a printed label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    Field(FieldKind),
    /// CNH "DOC. IDENTIDADE / ÓRG. EMISSOR / UF": RG number, issuing body and state in one value.
    IdentityDoc,
    /// "FILIAÇÃO": one or two lines, father then mother.
    Filiation,
    /// A label whose value is not extracted (observations, origin document, signature).
    Ignored,
}

/// Folded label phrases (see [`fold_word`]), longest first within each group, with whether the
/// phrase may be recognised in the middle of an OCR line (short common words may not).
const LABELS: &[(&str, Label, bool)] = &[
    ("DOC IDENTIDADE ORG EMISSOR UF", Label::IdentityDoc, true),
    ("DOC IDENTIDADE", Label::IdentityDoc, true),
    ("DOCUMENTO DE IDENTIDADE", Label::IdentityDoc, true),
    (
        "DATA DE NASCIMENTO",
        Label::Field(FieldKind::BirthDate),
        true,
    ),
    ("DATA NASCIMENTO", Label::Field(FieldKind::BirthDate), true),
    ("DATA NASC", Label::Field(FieldKind::BirthDate), true),
    ("NASCIMENTO", Label::Field(FieldKind::BirthDate), true),
    (
        "DATA DE EXPEDICAO",
        Label::Field(FieldKind::IssueDate),
        true,
    ),
    ("DATA EXPEDICAO", Label::Field(FieldKind::IssueDate), true),
    ("DATA DE EMISSAO", Label::Field(FieldKind::IssueDate), true),
    ("DATA EMISSAO", Label::Field(FieldKind::IssueDate), true),
    ("EXPEDICAO", Label::Field(FieldKind::IssueDate), true),
    (
        "DATA DE VALIDADE",
        Label::Field(FieldKind::ExpiryDate),
        true,
    ),
    ("VALIDADE", Label::Field(FieldKind::ExpiryDate), true),
    (
        "1A HABILITACAO",
        Label::Field(FieldKind::FirstLicenseDate),
        true,
    ),
    (
        "PRIMEIRA HABILITACAO",
        Label::Field(FieldKind::FirstLicenseDate),
        true,
    ),
    ("N REGISTRO", Label::Field(FieldKind::DocumentNumber), true),
    ("NO REGISTRO", Label::Field(FieldKind::DocumentNumber), true),
    (
        "N DO REGISTRO",
        Label::Field(FieldKind::DocumentNumber),
        true,
    ),
    (
        "REGISTRO GERAL",
        Label::Field(FieldKind::DocumentNumber),
        true,
    ),
    ("REGISTRO", Label::Field(FieldKind::DocumentNumber), false),
    ("CAT HAB", Label::Field(FieldKind::CnhCategory), true),
    ("CATEGORIA", Label::Field(FieldKind::CnhCategory), true),
    ("ORGAO EMISSOR", Label::Field(FieldKind::IssuingBody), true),
    ("ORG EMISSOR", Label::Field(FieldKind::IssuingBody), true),
    (
        "LOCAL DE NASCIMENTO",
        Label::Field(FieldKind::PlaceOfBirth),
        true,
    ),
    ("NATURALIDADE", Label::Field(FieldKind::PlaceOfBirth), true),
    ("NOME SOCIAL", Label::Ignored, true),
    ("NOME", Label::Field(FieldKind::Name), false),
    ("CPF", Label::Field(FieldKind::Cpf), true),
    ("FILIACAO", Label::Filiation, true),
    ("PAI", Label::Field(FieldKind::FatherName), false),
    ("MAE", Label::Field(FieldKind::MotherName), false),
    ("LOCAL", Label::Field(FieldKind::IssuePlace), false),
    ("UF", Label::Field(FieldKind::IssuingState), false),
    ("NUMERO", Label::Field(FieldKind::DocumentNumber), false),
    ("SERIE", Label::Field(FieldKind::Series), false),
    ("OBSERVACOES", Label::Ignored, true),
    ("DOC ORIGEM", Label::Ignored, true),
    ("ASSINATURA DO PORTADOR", Label::Ignored, true),
];

/// One piece of an OCR line: a label or a value, with its horizontal extent estimated from the
/// character offsets when a line holds several pieces.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub label: Option<Label>,
    pub text: String,
    pub confidence: f32,
    pub x0: f32,
    pub x1: f32,
    pub y: f32,
    pub h: f32,
}

/// Upper-case, accents removed, ordinal marks mapped (`1ª` → `1A`, `Nº` → `N`), and anything
/// that is not a letter or digit dropped.
pub(crate) fn fold_word(word: &str) -> String {
    fold_name(&word.replace('ª', "A"))
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Splits one OCR item into label and value segments.
pub(crate) fn segments(item: &TextItem) -> Vec<Segment> {
    let words: Vec<(usize, &str)> = word_offsets(&item.text);
    let folded: Vec<String> = words.iter().map(|(_, w)| fold_word(w)).collect();
    let total = item.text.chars().count().max(1) as f32;
    let x_at = |char_idx: usize| item.x + item.w * (char_idx as f32 / total);
    let mut out: Vec<Segment> = Vec::new();
    let mut i = 0;
    let mut value_start: Option<usize> = None;
    while i < words.len() {
        match match_label(&folded, i, i == 0) {
            Some((label, n)) => {
                if let Some(s) = value_start.take() {
                    out.push(piece(item, &words, s, i, None, &x_at));
                }
                out.push(piece(item, &words, i, i + n, Some(label), &x_at));
                i += n;
            }
            None => {
                value_start.get_or_insert(i);
                i += 1;
            }
        }
    }
    if let Some(s) = value_start {
        out.push(piece(item, &words, s, words.len(), None, &x_at));
    }
    out.retain(|s| s.label.is_some() || s.text.chars().any(char::is_alphanumeric));
    out
}

fn piece(
    item: &TextItem,
    words: &[(usize, &str)],
    from: usize,
    to: usize,
    label: Option<Label>,
    x_at: &dyn Fn(usize) -> f32,
) -> Segment {
    let start = words[from].0;
    let (last_off, last) = words[to - 1];
    let end = last_off + last.chars().count();
    let text: String = item.text.chars().skip(start).take(end - start).collect();
    Segment {
        label,
        text: text
            .trim_matches(|c: char| c == ':' || c == '/' || c.is_whitespace())
            .to_owned(),
        confidence: item.confidence,
        x0: x_at(start),
        x1: x_at(end),
        y: item.y,
        h: item.h,
    }
}

/// Words with their character offsets, a word that starts with a long one-word label split
/// after it (`NATURALIDADECAMPINAS/SP`: the space after an inline label lost).
fn word_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (at, word) in raw_words(text) {
        match glued_label(word) {
            Some(cut) => {
                let bytes = word.char_indices().nth(cut).map_or(word.len(), |(b, _)| b);
                out.push((at, &word[..bytes]));
                out.push((at + cut, &word[bytes..]));
            }
            None => out.push((at, word)),
        }
    }
    out
}

/// Labels this long are never the start of a value word.
const MIN_GLUED_LABEL: usize = 8;

/// The character count of a long one-word label that `word` starts with, when more letters or
/// digits follow it.
fn glued_label(word: &str) -> Option<usize> {
    let chars: Vec<char> = word.chars().collect();
    LABELS
        .iter()
        .filter(|(phrase, _, mid_ok)| {
            *mid_ok && !phrase.contains(' ') && phrase.len() >= MIN_GLUED_LABEL
        })
        .find_map(|(phrase, _, _)| {
            let mut folded = String::new();
            for (i, c) in chars.iter().enumerate() {
                folded.push_str(&fold_word(&c.to_string()));
                if folded.len() >= phrase.len() {
                    let rest = fold_word(&chars[i + 1..].iter().collect::<String>());
                    return (folded == *phrase && rest.len() >= 2).then_some(i + 1);
                }
            }
            None
        })
}

/// Words (runs without whitespace) with their character offsets.
fn raw_words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (char index, byte index)
    for (ci, (bi, c)) in text.char_indices().enumerate() {
        let sep = c.is_whitespace();
        match (sep, start) {
            (true, Some((sc, sb))) => {
                out.push((sc, &text[sb..bi]));
                start = None;
            }
            (false, None) => start = Some((ci, bi)),
            _ => {}
        }
    }
    if let Some((sc, sb)) = start {
        out.push((sc, &text[sb..]));
    }
    out
}

/// The longest label phrase starting at word `i` (empty folded words are skipped inside it),
/// word by word or, for phrases of several words, with the spaces lost or moved (`DATANASCIMENTO`,
/// `N9REGISTRO` for `Nº REGISTRO`: small print photographed at an angle often reads so).
fn match_label(folded: &[String], i: usize, at_start: bool) -> Option<(Label, usize)> {
    if folded[i].is_empty() {
        return None;
    }
    let labels = || LABELS.iter().filter(|(_, _, mid_ok)| at_start || *mid_ok);
    // word by word first: `REGISTRO GERAL` is that label, not `N REGISTRO` with a letter lost
    labels()
        .find_map(|(phrase, label, _)| words_match(folded, i, phrase).map(|n| (*label, n)))
        .or_else(|| {
            labels()
                .find_map(|(phrase, label, _)| joined_match(folded, i, phrase).map(|n| (*label, n)))
        })
}

fn words_match(folded: &[String], i: usize, phrase: &str) -> Option<usize> {
    let mut n = 0;
    for want in phrase.split(' ') {
        while folded.get(i + n).is_some_and(String::is_empty) {
            n += 1;
        }
        if !close(folded.get(i + n)?, want) {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// The number of words from `i` whose letters, run together, are the phrase's (one OCR slip
/// allowed, as in [`close`]); only for phrases of several words, so that a value word is never
/// taken for a one-word label by joining it to its neighbour.
fn joined_match(folded: &[String], i: usize, phrase: &str) -> Option<usize> {
    if !phrase.contains(' ') {
        return None;
    }
    let want: String = phrase.split(' ').collect();
    let mut joined = String::new();
    for (n, word) in folded
        .iter()
        .enumerate()
        .skip(i)
        .take(phrase.split(' ').count() + 1)
    {
        joined.push_str(word);
        if joined.len() > want.len() + 1 {
            return None;
        }
        if close(&joined, &want) {
            return Some(n - i + 1);
        }
    }
    None
}

/// Equal, or for words of five letters or more, one OCR slip apart (`NASClMENTO`).
fn close(got: &str, want: &str) -> bool {
    if got == want {
        return true;
    }
    if want.len() < 5 || got.len().abs_diff(want.len()) > 1 {
        return false;
    }
    let (a, b) = (got.as_bytes(), want.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str) -> TextItem {
        TextItem {
            text: text.into(),
            confidence: 0.9,
            x: 0.0,
            y: 0.0,
            w: 400.0,
            h: 20.0,
        }
    }

    #[test]
    fn splits_labels_and_values() {
        let s = segments(&item("CPF 52998224725   NATURALIDADE CAMPINAS/SP"));
        let kinds: Vec<_> = s.iter().map(|s| (s.label, s.text.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (Some(Label::Field(FieldKind::Cpf)), "CPF"),
                (None, "52998224725"),
                (Some(Label::Field(FieldKind::PlaceOfBirth)), "NATURALIDADE"),
                (None, "CAMPINAS/SP"),
            ]
        );
        assert!(s[1].x0 < s[2].x0);
        let s = segments(&item("DOC. IDENTIDADE / ÓRG. EMISSOR / UF"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].label, Some(Label::IdentityDoc));
        let s = segments(&item("Nº REGISTRO"));
        assert_eq!(s[0].label, Some(Label::Field(FieldKind::DocumentNumber)));
        let s = segments(&item("1ª HABILITAÇÃO"));
        assert_eq!(s[0].label, Some(Label::Field(FieldKind::FirstLicenseDate)));
        let s = segments(&item("DATA NASClMENTO"));
        assert_eq!(s[0].label, Some(Label::Field(FieldKind::BirthDate)));
        // spaces lost or moved by the recogniser: still the whole label
        for text in [
            "DATANASCIMENTO",
            "N9REGISTRO",
            "DOC. IDENTIDADE/ORG.EMISSOR /UF",
        ] {
            let s = segments(&item(text));
            assert_eq!(s.len(), 1, "{text}: {s:?}");
            assert!(s[0].label.is_some(), "{text}: {s:?}");
        }
        // an inline label whose space was lost
        let s = segments(&item("NATURALIDADECAMPINAS/SP"));
        let kinds: Vec<_> = s.iter().map(|s| (s.label, s.text.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (Some(Label::Field(FieldKind::PlaceOfBirth)), "NATURALIDADE"),
                (None, "CAMPINAS/SP"),
            ]
        );
        let s = segments(&item("REGISTRO GERAL"));
        assert_eq!(s.len(), 1, "{s:?}");
        // but two value words never join into a one-word label
        let s = segments(&item("LO CAL"));
        assert!(s.iter().all(|s| s.label.is_none()), "{s:?}");
        // a short label word inside a value is a value
        let s = segments(&item("MARIA NOME LOCAL"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].label, None);
    }
}
