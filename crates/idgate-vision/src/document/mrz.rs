//! Machine-readable zone (ICAO 9303): TD1, TD2 and TD3 parsing with position-aware OCR repair
//! and check-digit results. Pure text in, fields out; reading the zone from pixels lives in
//! `ocr::mrz_read` and is re-exported here.

use serde::Serialize;

pub use super::ocr::mrz_read::{read_mrz, MrzRead, MrzTiming};

mod fields;
mod plausible;
mod repair;
use fields::{fields, fix_by_check_digit};
pub use plausible::known_country;
use plausible::{filler_lookalike, implausible};
use repair::{length_candidates, normalise, repair_line};

/// The three ICAO 9303 layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MrzFormat {
    /// ID card: 3 lines of 30.
    Td1,
    /// ID card or visa: 2 lines of 36.
    Td2,
    /// Passport: 2 lines of 44.
    Td3,
}

impl MrzFormat {
    fn lines(self) -> usize {
        if self == Self::Td1 {
            3
        } else {
            2
        }
    }

    fn width(self) -> usize {
        match self {
            Self::Td1 => 30,
            Self::Td2 => 36,
            Self::Td3 => 44,
        }
    }

    /// Character class per position: `A` letters, `N` digits, `X` either, `S` sex.
    fn template(self) -> [&'static str; 3] {
        match self {
            Self::Td1 => [
                "AAAAAXXXXXXXXXNXXXXXXXXXXXXXXX",
                "NNNNNNNSNNNNNNNAAAXXXXXXXXXXXN",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ],
            Self::Td2 => [
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "XXXXXXXXXNAAANNNNNNNSNNNNNNNXXXXXXXN",
                "",
            ],
            Self::Td3 => [
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "XXXXXXXXXNAAANNNNNNNSNNNNNNNXXXXXXXXXXXXXXNN",
                "",
            ],
        }
    }
}

/// Which field a check digit protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckField {
    DocumentNumber,
    BirthDate,
    ExpiryDate,
    /// TD3 personal number (optional data).
    PersonalNumber,
    Composite,
}

/// The outcome of one check digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckDigit {
    pub field: CheckField,
    /// The digit printed in the zone.
    pub found: char,
    /// The digit computed from the field.
    pub computed: char,
    pub valid: bool,
}

/// A parsed machine-readable zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mrz {
    pub format: MrzFormat,
    /// The lines after repair, exactly as they should be printed.
    pub lines: Vec<String>,
    pub document_type: String,
    pub issuing_country: String,
    pub surname: String,
    pub given_names: String,
    pub document_number: String,
    pub nationality: String,
    /// `YYMMDD` as printed.
    pub birth_date: String,
    /// `M`, `F` or `<` (unspecified).
    pub sex: char,
    /// `YYMMDD` as printed.
    pub expiry_date: String,
    /// TD3 personal number, TD2 optional data, TD1 line-1 optional data (fillers removed).
    pub optional_data: String,
    /// TD1 line-2 optional data (fillers removed); empty elsewhere.
    pub optional_data_2: String,
    pub checks: Vec<CheckDigit>,
    /// Characters changed by repair (class confusions, fillers, length fixes).
    pub corrections: usize,
    /// Rules beyond the check digits that the zone breaks (`document_code`,
    /// `document_code_filler`, `issuing_country`, `nationality`, `birth_date`, `expiry_date`,
    /// `names`, `document_number`); empty when plausible.
    pub doubts: Vec<&'static str>,
}

impl Mrz {
    /// True when every check digit holds.
    pub fn all_checks_valid(&self) -> bool {
        self.checks.iter().all(|c| c.valid)
    }

    /// Every check digit holds and no other rule is broken.
    pub fn trustworthy(&self) -> bool {
        self.all_checks_valid() && self.doubts.is_empty()
    }

    /// How good a reading is: valid check digits, then plausibility, then fewer repairs.
    pub fn quality(&self) -> (usize, bool, std::cmp::Reverse<usize>) {
        let valid = self.checks.iter().filter(|c| c.valid).count();
        (
            valid,
            self.doubts.is_empty(),
            std::cmp::Reverse(self.corrections),
        )
    }
}

/// Why a text could not be parsed as a machine-readable zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    #[error("an MRZ has 2 or 3 lines, got {0}")]
    LineCount(usize),
    #[error("line lengths {0:?} match no MRZ format")]
    Layout(Vec<usize>),
}

impl From<MrzError> for crate::VisionError {
    fn from(e: MrzError) -> Self {
        crate::VisionError::InvalidDocument(e.to_string())
    }
}

/// ICAO 9303 check digit (weights 7, 3, 1; `<` counts 0) of `field`.
pub fn check_digit(field: &str) -> char {
    let sum: u32 = field
        .chars()
        .zip([7u32, 3, 1].iter().cycle())
        .map(|(c, w)| char_value(c) * w)
        .sum();
    char::from_digit(sum % 10, 10).unwrap_or('0')
}

fn char_value(c: char) -> u32 {
    match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A'..='Z' => c as u32 - 'A' as u32 + 10,
        _ => 0,
    }
}

/// Parses (and repairs) the lines of a machine-readable zone as read by OCR.
pub fn parse_mrz(lines: &[&str]) -> Result<Mrz, MrzError> {
    let clean: Vec<String> = lines
        .iter()
        .map(|l| normalise(l))
        .filter(|l| !l.is_empty())
        .collect();
    let format = detect_format(&clean)?;
    let mut best: Option<Mrz> = None;
    for candidate in length_candidates(&clean, format) {
        for (lines, fixes) in code_filler_variants(candidate) {
            let mrz = repair_and_parse(format, &lines, fixes);
            if best.as_ref().is_none_or(|b| mrz.quality() > b.quality()) {
                best = Some(mrz);
            }
        }
    }
    best.ok_or_else(|| MrzError::Layout(clean.iter().map(String::len).collect()))
}

/// The lines as read, and, when a passport's document code `P` is followed by a letter OCR
/// gives for a filler (`PK`, `PA`...), the same with the filler: line 1 has no check digit, so
/// plausibility picks between them (no State issues those type letters).
fn code_filler_variants((lines, fixes): (Vec<String>, usize)) -> Vec<(Vec<String>, usize)> {
    let first: Vec<char> = lines
        .first()
        .map(|l| l.chars().take(2).collect())
        .unwrap_or_default();
    let mut out = vec![(lines.clone(), fixes)];
    if let ['P', c] = first[..] {
        if filler_lookalike(c) {
            let mut alt = lines;
            alt[0].replace_range(1..2, "<");
            out.push((alt, fixes + 1));
        }
    }
    out
}

/// The format from the line count and the longest line (the data line is the most reliably
/// complete; a names line may lose its trailing fillers).
fn detect_format(lines: &[String]) -> Result<MrzFormat, MrzError> {
    let lens: Vec<usize> = lines.iter().map(String::len).collect();
    let longest = lens.iter().copied().max().unwrap_or(0) as f32;
    let format = match lines.len() {
        3 => MrzFormat::Td1,
        2 if longest >= 40.0 => MrzFormat::Td3,
        2 => MrzFormat::Td2,
        n => return Err(MrzError::LineCount(n)),
    };
    let width = format.width() as f32;
    if (longest - width).abs() > width * 0.2 {
        return Err(MrzError::Layout(lens));
    }
    Ok(format)
}

fn repair_and_parse(format: MrzFormat, lines: &[String], length_fixes: usize) -> Mrz {
    let template = format.template();
    let mut fixed = length_fixes;
    let mut rep = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate().take(format.lines()) {
        let countries: &[usize] = match (format, i) {
            (_, 0) => &[2],
            (MrzFormat::Td1, 1) => &[15],
            (MrzFormat::Td1, _) => &[],
            (_, _) => &[10],
        };
        let (l, f) = repair_line(line, template[i], countries);
        fixed += f;
        rep.push(l);
    }
    let mut mrz = fields(format, rep);
    mrz.corrections = fixed;
    fix_by_check_digit(&mut mrz);
    mrz.doubts = implausible(&mrz);
    mrz
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD3: [&str; 2] = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];
    const TD1: [&str; 3] = [
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ];

    #[test]
    fn icao_td3_example() {
        let m = parse_mrz(&TD3).expect("parse");
        assert_eq!(m.format, MrzFormat::Td3);
        assert_eq!(
            (m.document_type.as_str(), m.issuing_country.as_str()),
            ("P", "UTO")
        );
        assert_eq!(
            (m.surname.as_str(), m.given_names.as_str()),
            ("ERIKSSON", "ANNA MARIA")
        );
        assert_eq!(m.document_number, "L898902C3");
        assert_eq!(
            (m.birth_date.as_str(), m.sex, m.expiry_date.as_str()),
            ("740812", 'F', "120415")
        );
        assert_eq!(m.optional_data, "ZE184226B");
        assert_eq!(m.checks.len(), 5);
        assert!(m.all_checks_valid());
        assert_eq!((m.lines.join("\n"), m.corrections), (TD3.join("\n"), 0));
    }

    #[test]
    fn icao_td1_and_td2_examples() {
        let m = parse_mrz(&TD1).expect("parse");
        assert_eq!(
            (m.format, m.document_number.as_str()),
            (MrzFormat::Td1, "D23145890")
        );
        assert_eq!(
            (m.nationality.as_str(), m.surname.as_str()),
            ("UTO", "ERIKSSON")
        );
        assert!(m.all_checks_valid());
        let td2 = [
            "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
            "D231458907UTO7408122F1204159<<<<<<<6",
        ];
        let m = parse_mrz(&td2).expect("parse");
        assert_eq!(
            (m.format, m.given_names.as_str()),
            (MrzFormat::Td2, "ANNA MARIA")
        );
        assert!(m.all_checks_valid() && m.checks.len() == 4);
    }

    #[test]
    fn check_digits() {
        assert_eq!(check_digit("L898902C3"), '6');
        assert_eq!(check_digit("740812"), '2');
        assert_eq!(check_digit("<<<<<<"), '0');
    }

    #[test]
    fn repairs_look_alikes_fillers_and_lengths() {
        let noisy = [
            "P<UT0ER1KSSON<<ANNA<MAR1A<<<<<<K<<<<<<<<<<",
            "L898902C36UTO74O8122F12O4l59ZE184226B<<<K<<10",
        ];
        let m = parse_mrz(&noisy).expect("parse");
        assert_eq!(m.lines, TD3.to_vec());
        assert!(m.all_checks_valid() && m.corrections > 0);
    }

    #[test]
    fn names_line_that_lost_its_fillers_is_padded() {
        let m = parse_mrz(&["P<UTOERIKSSON<<ANNA<MARIA<<<", TD3[1]]).expect("parse");
        assert_eq!((m.format, m.lines[0].as_str()), (MrzFormat::Td3, TD3[0]));
    }

    #[test]
    fn swaps_document_number_look_alike_by_check_digit() {
        let l2 = "L8989O2C36UTO7408122F1204159ZE184226B<<<<<10";
        let m = parse_mrz(&[TD3[0], l2]).expect("parse");
        assert_eq!(m.document_number, "L898902C3");
        assert!(m.all_checks_valid());
    }

    #[test]
    fn reports_failed_checks_and_rejects_garbage() {
        let l2 = "L898902C37UTO7408122F1204159ZE184226B<<<<<10";
        let m = parse_mrz(&[TD3[0], l2]).expect("parse");
        let bad: Vec<_> = m
            .checks
            .iter()
            .filter(|c| !c.valid)
            .map(|c| c.field)
            .collect();
        assert!(bad.contains(&CheckField::DocumentNumber), "{bad:?}");
        assert!(parse_mrz(&["HELLO"]).is_err());
        assert!(parse_mrz(&["SHORT", "LINES"]).is_err());
    }

    #[test]
    fn digit_only_nationality_is_kept() {
        let l = [
            "IDROUSAVA<<SUPERMAN<<<<<<<<<<<<<<<<<",
            "HD198025<51328505095M130509012049941",
        ];
        let m = parse_mrz(&l).expect("parse");
        assert_eq!(
            (m.nationality.as_str(), m.document_number.as_str()),
            ("132", "HD198025")
        );
        assert!(m.all_checks_valid());
    }
}
