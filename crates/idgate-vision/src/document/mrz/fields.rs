//! MRZ field extraction: fixed positions per format into `Mrz` fields, the check digits they
//! carry, and the one look-alike swap a failing alphanumeric document number may need.

use super::{check_digit, CheckDigit, CheckField, Mrz, MrzFormat};

fn sub(s: &str, from: usize, to: usize) -> String {
    s.get(from..to).unwrap_or("").to_string()
}

fn at(s: &str, i: usize) -> char {
    s.as_bytes().get(i).map_or('<', |&b| b as char)
}

fn check(field: CheckField, data: &str, found: char) -> CheckDigit {
    let computed = check_digit(data);
    // An empty optional field may carry `<` instead of 0.
    let empty_ok =
        field == CheckField::PersonalNumber && found == '<' && data.chars().all(|c| c == '<');
    CheckDigit {
        field,
        found,
        computed,
        valid: found == computed || empty_ok,
    }
}

pub(super) fn fields(format: MrzFormat, lines: Vec<String>) -> Mrz {
    let l0 = lines.first().cloned().unwrap_or_default();
    let l1 = lines.get(1).cloned().unwrap_or_default();
    let (names_line, names_from) = match format {
        MrzFormat::Td1 => (lines.get(2).cloned().unwrap_or_default(), 0),
        _ => (l0.clone(), 5),
    };
    let (surname, given_names) = split_names(names_line.get(names_from..).unwrap_or(""));
    let mut mrz = Mrz {
        format,
        document_type: trim_fill(&sub(&l0, 0, 2)),
        issuing_country: trim_fill(&sub(&l0, 2, 5)),
        surname,
        given_names,
        document_number: String::new(),
        nationality: String::new(),
        birth_date: String::new(),
        sex: '<',
        expiry_date: String::new(),
        optional_data: String::new(),
        optional_data_2: String::new(),
        checks: Vec::new(),
        corrections: 0,
        doubts: Vec::new(),
        lines: Vec::new(),
    };
    if format == MrzFormat::Td1 {
        td1_fields(&mut mrz, &l0, &l1);
    } else {
        let w = format.width();
        let opt_end = w - if format == MrzFormat::Td3 { 2 } else { 1 };
        mrz.document_number = trim_fill(&sub(&l1, 0, 9));
        mrz.nationality = trim_fill(&sub(&l1, 10, 13));
        mrz.birth_date = sub(&l1, 13, 19);
        mrz.sex = at(&l1, 20);
        mrz.expiry_date = sub(&l1, 21, 27);
        mrz.optional_data = trim_fill(&sub(&l1, 28, opt_end));
        mrz.checks.push(check(
            CheckField::DocumentNumber,
            &sub(&l1, 0, 9),
            at(&l1, 9),
        ));
        mrz.checks
            .push(check(CheckField::BirthDate, &mrz.birth_date, at(&l1, 19)));
        mrz.checks
            .push(check(CheckField::ExpiryDate, &mrz.expiry_date, at(&l1, 27)));
        if format == MrzFormat::Td3 {
            let pn = sub(&l1, 28, 42);
            mrz.checks
                .push(check(CheckField::PersonalNumber, &pn, at(&l1, 42)));
        }
        let composite = format!(
            "{}{}{}",
            sub(&l1, 0, 10),
            sub(&l1, 13, 20),
            sub(&l1, 21, w - 1)
        );
        mrz.checks
            .push(check(CheckField::Composite, &composite, at(&l1, w - 1)));
    }
    mrz.lines = lines;
    mrz
}

fn td1_fields(mrz: &mut Mrz, l0: &str, l1: &str) {
    let mut number = sub(l0, 5, 14);
    let mut number_check = (sub(l0, 5, 14), at(l0, 14));
    let mut optional = sub(l0, 15, 30);
    if at(l0, 14) == '<' {
        // Long document number: it continues in the optional data, then its check digit.
        let tail: String = optional.chars().take_while(|&c| c != '<').collect();
        if let Some(last) = tail.chars().last() {
            let rest = &tail[..tail.len() - 1];
            number = format!("{}{}", sub(l0, 5, 14), rest);
            number_check = (number.clone(), last);
            optional = optional.get(tail.len()..).unwrap_or("").to_string();
        }
    }
    mrz.document_number = trim_fill(&number);
    mrz.optional_data = trim_fill(&optional);
    mrz.birth_date = sub(l1, 0, 6);
    mrz.sex = at(l1, 7);
    mrz.expiry_date = sub(l1, 8, 14);
    mrz.nationality = trim_fill(&sub(l1, 15, 18));
    mrz.optional_data_2 = trim_fill(&sub(l1, 18, 29));
    let composite = format!(
        "{}{}{}{}",
        sub(l0, 5, 30),
        sub(l1, 0, 7),
        sub(l1, 8, 15),
        sub(l1, 18, 29)
    );
    mrz.checks = vec![
        check(CheckField::DocumentNumber, &number_check.0, number_check.1),
        check(CheckField::BirthDate, &mrz.birth_date, at(l1, 6)),
        check(CheckField::ExpiryDate, &mrz.expiry_date, at(l1, 14)),
        check(CheckField::Composite, &composite, at(l1, 29)),
    ];
}

/// Alphanumeric document numbers cannot be corrected by class; when their check fails, try
/// one look-alike swap that makes both the number and the composite check hold.
pub(super) fn fix_by_check_digit(mrz: &mut Mrz) {
    let failing = mrz
        .checks
        .iter()
        .any(|c| c.field == CheckField::DocumentNumber && !c.valid);
    if !failing {
        return;
    }
    let (line, from, to) = match mrz.format {
        MrzFormat::Td1 => (0, 5, 14),
        _ => (1, 0, 9),
    };
    let pairs = [
        ('0', 'O'),
        ('1', 'I'),
        ('5', 'S'),
        ('8', 'B'),
        ('2', 'Z'),
        ('6', 'G'),
    ];
    for i in from..to {
        let Some(orig) = mrz.lines.get(line).map(|l| at(l, i)) else {
            return;
        };
        for &(d, a) in &pairs {
            let swap = if orig == d {
                a
            } else if orig == a {
                d
            } else {
                continue;
            };
            let mut lines = mrz.lines.clone();
            lines[line].replace_range(i..i + 1, &swap.to_string());
            let candidate = fields(mrz.format, lines);
            if candidate.all_checks_valid() {
                let corrections = mrz.corrections + 1;
                *mrz = Mrz {
                    corrections,
                    ..candidate
                };
                return;
            }
        }
    }
}

fn trim_fill(s: &str) -> String {
    s.trim_end_matches('<').replace('<', " ").trim().to_string()
}

fn split_names(field: &str) -> (String, String) {
    let field = field.trim_end_matches('<');
    let (surname, given) = field.split_once("<<").unwrap_or((field, ""));
    let clean = |s: &str| {
        s.split('<')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    (clean(surname), clean(given))
}
