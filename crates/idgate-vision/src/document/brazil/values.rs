//! Normalising and checking one extracted value: OCR digit fixes, ISO dates, CPF/CNH/RG digits,
//! names, CNH categories and state codes.

use idgate_core::validate::{cnh::Cnh, cpf::Cpf, rg};
use serde::Serialize;

/// The outcome of checking a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Check {
    /// The value passed its check (check digits, calendar date, known code).
    Valid,
    /// The value was read but fails its check; the reason is a stable snake_case word.
    Invalid(String),
    /// There is no rule for this value (names of places, free text).
    Unchecked,
}

/// A normalised value, whether OCR look-alike characters had to be fixed, and its check.
pub(crate) struct Normalised {
    pub value: String,
    pub corrected: bool,
    pub check: Check,
}

fn invalid(reason: &str) -> Check {
    Check::Invalid(reason.to_owned())
}

/// Fixes letters an OCR engine confuses with digits in a token that should be digits.
pub(crate) fn fix_digits(s: &str) -> (String, bool) {
    let mut changed = false;
    let out = s
        .chars()
        .map(|c| {
            let d = match c {
                'O' | 'o' | 'Q' | 'D' => '0',
                'I' | 'l' | '|' | '!' | 'i' | 'L' => '1',
                'Z' | 'z' => '2',
                'S' | 's' => '5',
                'G' | 'b' => '6',
                'B' => '8',
                'T' => '7',
                _ => return c,
            };
            changed = true;
            d
        })
        .collect();
    (out, changed)
}

/// `dd/mm/yyyy` (also `.` or `-`, or 8 bare digits) → `yyyy-mm-dd`, checked as a calendar date
/// between 1900 and 2100.
pub(crate) fn date(raw: &str) -> Option<Normalised> {
    let (fixed, corrected) = fix_digits(raw.trim());
    let digits: String = fixed.chars().filter(char::is_ascii_digit).collect();
    let shape_ok = fixed
        .chars()
        .all(|c| c.is_ascii_digit() || "/.- ".contains(c));
    if digits.len() != 8 || !shape_ok {
        return None;
    }
    let (d, m, y) = (&digits[..2], &digits[2..4], &digits[4..]);
    let value = format!("{y}-{m}-{d}");
    let (dn, mn, yn): (u32, u32, u32) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
    let check = if !(1900..=2100).contains(&yn) {
        invalid("implausible_year")
    } else if mn == 0 || mn > 12 || dn == 0 || dn > days_in_month(yn, mn) {
        invalid("not_a_date")
    } else {
        Check::Valid
    };
    Some(Normalised {
        value,
        corrected,
        check,
    })
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Finds the first date-looking token sequence in `text`.
pub(crate) fn find_date(text: &str) -> Option<Normalised> {
    text.split_whitespace()
        .filter_map(date)
        .find(|n| n.check == Check::Valid)
        .or_else(|| text.split_whitespace().find_map(date))
}

/// CPF as 11 digits, checked.
pub(crate) fn cpf(raw: &str) -> Option<Normalised> {
    let token = raw
        .split_whitespace()
        .find(|t| t.chars().filter(char::is_ascii_digit).count() >= 9)?;
    let (fixed, corrected) = fix_digits(token);
    let digits: String = fixed.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 11 {
        return Some(Normalised {
            value: digits,
            corrected,
            check: invalid("format"),
        });
    }
    let check = match Cpf::parse(&digits, false) {
        Ok(_) => Check::Valid,
        Err(e) => invalid(&snake(&format!("{e:?}"))),
    };
    Some(Normalised {
        value: digits,
        corrected,
        check,
    })
}

/// CNH registration number (11 digits), checked.
pub(crate) fn cnh_number(raw: &str) -> Option<Normalised> {
    let (fixed, corrected) = fix_digits(raw.trim());
    let digits: String = fixed.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 9 {
        return None;
    }
    let check = match Cnh::parse(&digits) {
        Ok(_) => Check::Valid,
        Err(e) => invalid(&snake(&format!("{e:?}"))),
    };
    Some(Normalised {
        value: digits,
        corrected,
        check,
    })
}

/// The RG part of a value such as `12.345.678-9 SSP SP`: number, issuing body, state.
pub(crate) struct RgParts {
    pub number: Normalised,
    pub body: Option<String>,
    pub state: Option<String>,
}

pub(crate) fn rg_parts(raw: &str) -> Option<RgParts> {
    let up = raw.to_uppercase().replace('/', " ");
    let mut tokens = up.split_whitespace().peekable();
    let mut number = String::new();
    let mut corrected = false;
    while let Some(t) = tokens.peek() {
        let looks_numeric = t.chars().filter(char::is_ascii_digit).count() * 2 >= t.len();
        let check_letter = number.len() >= 7 && *t == "X";
        if !(looks_numeric || check_letter) {
            break;
        }
        let (f, c) = fix_digits(t.trim_end_matches('X'));
        corrected |= c;
        number.push_str(&f);
        if t.ends_with('X') {
            number.push('X');
        }
        tokens.next();
    }
    let number: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'X')
        .collect();
    if number.len() < 5 {
        return None;
    }
    let rest: Vec<&str> = tokens.collect();
    let state = rest.last().filter(|s| is_state(s)).map(|s| (*s).to_owned());
    let body_end = rest.len() - usize::from(state.is_some());
    let body = (body_end > 0).then(|| rest[..body_end].join(" "));
    let check = match rg::validate_rg(&number, state.as_deref()) {
        Ok((_, rg::RgRule::SaoPaulo)) => Check::Valid,
        Ok((_, rg::RgRule::FormatOnly)) => Check::Unchecked,
        Err(e) => invalid(&snake(&format!("{e:?}"))),
    };
    Some(RgParts {
        number: Normalised {
            value: number,
            corrected,
            check,
        },
        body,
        state,
    })
}

/// A person's name as printed, upper-case, with stray punctuation and digits removed.
pub(crate) fn name(raw: &str) -> Option<Normalised> {
    let kept: String = raw
        .to_uppercase()
        .chars()
        .map(|c| {
            if c.is_alphabetic() || c == '\'' || c == '-' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let value = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    let corrected = raw.chars().any(|c| c.is_ascii_digit());
    if value.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    let check = if value.split(' ').count() >= 2 {
        Check::Valid
    } else {
        invalid("single_word")
    };
    Some(Normalised {
        value,
        corrected,
        check,
    })
}

/// CNH category: A, B, C, D, E, AB, AC, AD, AE (ACC as issued to mopeds).
pub(crate) fn category(raw: &str) -> Option<Normalised> {
    let value: String = raw
        .to_uppercase()
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    if value.is_empty() || value.len() > 3 {
        return None;
    }
    let known = ["A", "B", "C", "D", "E", "AB", "AC", "AD", "AE", "ACC"];
    let check = if known.contains(&value.as_str()) {
        Check::Valid
    } else {
        invalid("unknown_category")
    };
    Some(Normalised {
        value,
        corrected: false,
        check,
    })
}

/// Two-letter state code.
pub(crate) fn state(raw: &str) -> Option<Normalised> {
    let value: String = raw.trim().to_uppercase();
    let check = if is_state(&value) {
        Check::Valid
    } else {
        invalid("unknown_state")
    };
    (value.len() == 2).then_some(Normalised {
        value,
        corrected: false,
        check,
    })
}

/// Free text kept as printed (place names, issuing bodies).
pub(crate) fn text(raw: &str) -> Option<Normalised> {
    let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!value.is_empty()).then_some(Normalised {
        value,
        corrected: false,
        check: Check::Unchecked,
    })
}

/// A place as printed, its separators spaced one way (`SAO PAULO,SP` and `SAO PAULO, SP`;
/// `CAMPINAS-SP` and `CAMPINAS - SP`): a comma is followed by one space, a dash before a final
/// state code has one space on each side (a dash inside a town's name is kept as it is).
pub(crate) fn place(raw: &str) -> Option<Normalised> {
    let spaced = raw.split(',').map(str::trim).collect::<Vec<_>>().join(", ");
    let mut words: Vec<&str> = spaced.split_whitespace().collect();
    let last = words.last().copied().unwrap_or_default();
    let mut tail = None;
    if let Some(uf) = last.strip_prefix('-').filter(|u| is_state(u)) {
        // `CAMPINAS -SP`
        words.pop();
        tail = Some(uf.to_owned());
    } else if let Some((town, uf)) = last
        .rsplit_once('-')
        .filter(|(t, u)| !t.is_empty() && is_state(u))
    {
        // `CAMPINAS-SP`
        words.pop();
        words.push(town);
        tail = Some(uf.to_owned());
    } else if words.len() >= 2 && is_state(last) {
        let before = words[words.len() - 2];
        if let Some(town) = before.strip_suffix('-').filter(|t| !t.is_empty()) {
            // `CAMPINAS- SP`
            words.truncate(words.len() - 2);
            words.push(town);
            tail = Some(last.to_owned());
        }
    }
    let mut value = words.join(" ");
    if let Some(uf) = tail {
        value = format!("{value} - {uf}");
    }
    text(&value)
}

pub(crate) fn is_state(s: &str) -> bool {
    const UF: [&str; 27] = [
        "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB",
        "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
    ];
    UF.contains(&s)
}

/// `CheckDigits` → `check_digits`.
fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_spaced_one_way() {
        let v = |raw: &str| place(raw).map(|n| n.value);
        for raw in [
            "CAMPINAS - SP",
            "CAMPINAS-SP",
            "CAMPINAS- SP",
            "CAMPINAS -SP",
        ] {
            assert_eq!(v(raw).as_deref(), Some("CAMPINAS - SP"), "{raw}");
        }
        for raw in ["SAO PAULO, SP", "SAO PAULO,SP", "SAO PAULO ,SP"] {
            assert_eq!(v(raw).as_deref(), Some("SAO PAULO, SP"), "{raw}");
        }
        // a dash inside a town's name, or before something that is no state, stays
        assert_eq!(v("EMBU-GUACU").as_deref(), Some("EMBU-GUACU"));
        assert_eq!(v("EMBU-GUACU - SP").as_deref(), Some("EMBU-GUACU - SP"));
        assert_eq!(v("CAMPINAS/SP").as_deref(), Some("CAMPINAS/SP"));
        assert_eq!(v("  "), None);
    }

    #[test]
    fn dates() {
        let d = date("07/03/1985").unwrap();
        assert_eq!(
            (d.value.as_str(), d.corrected, d.check),
            ("1985-03-07", false, Check::Valid)
        );
        let d = date("2O/O1/2OO4").unwrap();
        assert_eq!((d.value.as_str(), d.corrected), ("2004-01-20", true));
        assert_eq!(date("31/02/2000").unwrap().check, invalid("not_a_date"));
        assert_eq!(
            date("01/01/1850").unwrap().check,
            invalid("implausible_year")
        );
        assert!(date("SAURO").is_none());
    }

    #[test]
    fn numbers() {
        assert_eq!(cpf("529.982.247-25").unwrap().check, Check::Valid);
        assert_eq!(
            cpf("529.982.247-24").unwrap().check,
            invalid("check_digits")
        );
        assert_eq!(cnh_number("O9770304734").unwrap().value, "09770304734");
        assert_eq!(
            cnh_number("01234567890").unwrap().check,
            invalid("check_digits")
        );
        let rg = rg_parts("12.345.678-9 SSP SP").unwrap();
        assert_eq!(rg.number.value, "123456789");
        assert_eq!(rg.body.as_deref(), Some("SSP"));
        assert_eq!(rg.state.as_deref(), Some("SP"));
        assert_eq!(rg.number.check, invalid("check_digits"));
        let rg = rg_parts("31.203.131-2 SSP/SP").unwrap();
        assert_eq!(rg.number.check, Check::Valid);
        let rg = rg_parts("MG 12.345.678").map(|r| r.number.value);
        assert_eq!(rg, None);
    }
}
