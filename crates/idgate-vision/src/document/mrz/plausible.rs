//! MRZ plausibility beyond check digits (ICAO 9303): the document code for the format, the
//! filler rules of each field, country codes from the ICAO list, dates that exist. Line 1 of a
//! TD2/TD3 zone and line 3 of a TD1 carry no check digit, so only these rules can tell a
//! misread there; the reader prefers, among the recogniser's alternatives, the reading that
//! keeps them, and reports what it found.

use super::{Mrz, MrzFormat};

/// ISO 3166-1 alpha-3 (Debian `iso-codes` 4.15) and the codes ICAO Doc 9303 Part 3 adds
/// (`D` for Germany, `UTO` for its specimens, the `XX*` and `GB*` codes, organisations).
const COUNTRIES: [&str; 276] = [
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "D", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "EUE", "FIN", "FJI", "FLK", "FRA", "FRO",
    "FSM", "GAB", "GBD", "GBN", "GBO", "GBP", "GBR", "GBS", "GEO", "GGY", "GHA", "GIB", "GIN",
    "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD", "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD",
    "HND", "HRV", "HTI", "HUN", "IDN", "IMN", "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR",
    "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ", "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT",
    "LAO", "LBN", "LBR", "LBY", "LCA", "LIE", "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF",
    "MAR", "MCO", "MDA", "MDG", "MDV", "MEX", "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG",
    "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS", "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK",
    "NGA", "NIC", "NIU", "NLD", "NOR", "NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER",
    "PHL", "PLW", "PNG", "POL", "PRI", "PRK", "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "RKS",
    "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP", "SGS", "SHN", "SJM", "SLB", "SLE", "SLV",
    "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR", "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC",
    "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL", "TKM", "TLS", "TON", "TTO", "TUN", "TUR",
    "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "UNA", "UNK", "UNO", "URY", "USA", "UTO", "UZB",
    "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "XBA", "XCC", "XCE", "XCO",
    "XDC", "XEC", "XES", "XIM", "XMP", "XOM", "XPO", "XXA", "XXB", "XXC", "XXX", "YEM", "ZAF",
    "ZMB", "ZWE",
];

/// Whether `code` (fillers trimmed) is a country or organisation code ICAO lists.
pub fn known_country(code: &str) -> bool {
    COUNTRIES.binary_search(&code).is_ok()
}

/// `YYMMDD` that names a day of the calendar (29 February in any year: the century is unknown).
fn real_date(s: &str) -> bool {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (month, day) = (n(2..4), n(4..6));
    let days = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    };
    (1..=days).contains(&day)
}

/// The document codes each format carries: passports (and MRV-A visas) in TD3, ID cards and
/// travel documents in TD1/TD2 (and MRV-B visas in TD2's width).
fn code_fits(format: MrzFormat, first: char) -> bool {
    match format {
        MrzFormat::Td3 => matches!(first, 'P' | 'V'),
        MrzFormat::Td2 => matches!(first, 'I' | 'A' | 'C' | 'V'),
        MrzFormat::Td1 => matches!(first, 'I' | 'A' | 'C'),
    }
}

/// Letters OCR gives for a `<` (the filler's two strokes).
pub(super) fn filler_lookalike(c: char) -> bool {
    matches!(c, 'K' | 'C' | 'A' | 'E' | 'L' | 'X')
}

/// A name field (`SURNAME<<GIVEN<NAMES<<<...`): once a `<<` follows the given names, only
/// fillers; and no run of four equal letters or of filler look-alikes (fillers misread).
fn names_ok(field: &str) -> bool {
    let chars: Vec<char> = field.chars().collect();
    let Some(sep) = field.find("<<") else {
        return true;
    };
    let after_given = field[sep + 2..].find("<<").map(|i| sep + 2 + i);
    if after_given.is_some_and(|end| chars[end..].iter().any(|&c| c != '<')) {
        return false;
    }
    let mut run = 1;
    for w in chars.windows(2) {
        run = if w[0] == w[1] && w[0] != '<' {
            run + 1
        } else {
            1
        };
        if run >= 4 {
            return false;
        }
    }
    true
}

/// A fixed-width alphanumeric field (document number) is left-aligned: fillers only at its end.
fn left_aligned(field: &str) -> bool {
    let trimmed = field.trim_end_matches('<');
    !trimmed.contains('<')
}

/// What in `m` breaks the rules, as short snake_case notes (empty: plausible).
pub fn implausible(m: &Mrz) -> Vec<&'static str> {
    let mut out = Vec::new();
    let l0 = m.lines.first().map(String::as_str).unwrap_or("");
    let mut code = l0.chars();
    let (first, second) = (code.next().unwrap_or('<'), code.next().unwrap_or('<'));
    if !code_fits(m.format, first) {
        out.push("document_code");
    }
    if second.is_ascii_digit() || (first == 'P' && second != '<' && filler_lookalike(second)) {
        out.push("document_code_filler");
    }
    if !known_country(&m.issuing_country) {
        out.push("issuing_country");
    }
    if !known_country(&m.nationality) {
        out.push("nationality");
    }
    if !real_date(&m.birth_date) {
        out.push("birth_date");
    }
    if !real_date(&m.expiry_date) {
        out.push("expiry_date");
    }
    let (names, number) = match m.format {
        MrzFormat::Td1 => (m.lines.get(2).map(String::as_str).unwrap_or(""), None),
        _ => (
            l0.get(5..).unwrap_or(""),
            m.lines.get(1).and_then(|l| l.get(0..9)),
        ),
    };
    if !names_ok(names) {
        out.push("names");
    }
    if number.is_some_and(|n| !left_aligned(n)) {
        out.push("document_number");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::mrz::parse_mrz;

    #[test]
    fn the_country_list_is_sorted_and_has_icao_codes() {
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        for c in ["UTO", "D", "BRA", "XXA", "GBD"] {
            assert!(known_country(c), "{c}");
        }
        assert!(!known_country("ZZZ"));
    }

    #[test]
    fn rules_beyond_check_digits() {
        let good = parse_mrz(&[
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ])
        .unwrap();
        assert!(implausible(&good).is_empty(), "{:?}", implausible(&good));
        let cases = [
            ("P<UTOERIKSSON<<ANNA<MARIAAAAAAAA<<<<<<<<<<<<", "names"),
            ("P<UTOERIKSSON<<ANNA<MARIA<<KKK<<<<<<<<<<<<<<", "names"),
            (
                "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                "document_code",
            ),
            (
                "P<QQQERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                "issuing_country",
            ),
        ];
        for (line, want) in cases {
            let m = parse_mrz(&[line, "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]).unwrap();
            assert!(
                implausible(&m).contains(&want),
                "{line}: {:?}",
                implausible(&m)
            );
        }
        // `PK`: parsing prefers the filler the rules ask for, and counts the repair
        let m = parse_mrz(&[
            "PKUTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ])
        .unwrap();
        assert!(m.lines[0].starts_with("P<UTO") && m.corrections == good.corrections + 1);
        // check digits hold for both, but 31 April is no date
        assert!(!real_date("740431") && real_date("740430") && real_date("000229"));
        assert!(!left_aligned("0000<0000") && left_aligned("00000000<"));
    }
}
