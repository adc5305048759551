//! CNH (driver licence) registration number validation: 11 digits, two DENATRAN check digits.
//!
//! The rule, as published by public validator libraries: over the first nine digits,
//! DV1 = `(Σ dᵢ·wᵢ) mod 11` with weights 9..1 (10 → 0, and then "DSC" = 2), and
//! DV2 = `(Σ dᵢ·wᵢ) mod 11` with weights 1..9, minus DSC (10 → 0).
//! When the first remainder is 10 the libraries disagree on DV2 (some subtract 2 after folding
//! 10 to 0, some compute `11 - (Σ dᵢ·(i+3) + 2·DV1) mod 11`). That case is about 1 in 11
//! numbers; since a wrong refusal blocks a real person and the check digits only catch typing
//! and OCR errors, either published DV2 is accepted there. Everywhere else all agree.

/// A CNH registration number that passed format and check-digit validation (11 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cnh(String);

/// Why a CNH registration number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CnhError {
    /// Not 11 digits (spaces, dots and dashes between them are tolerated).
    Format,
    /// Check digits do not match.
    CheckDigits,
    /// All digits equal (e.g. `11111111111`).
    RepeatedDigits,
}

impl Cnh {
    /// Parses 11 digits, optionally separated by spaces, dots or dashes
    /// (`097703047-34`, `097 703 047 34`).
    pub fn parse(input: &str) -> Result<Self, CnhError> {
        let digits = normalise(input).ok_or(CnhError::Format)?;
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if d.iter().all(|&x| x == d[0]) {
            return Err(CnhError::RepeatedDigits);
        }
        let (dv1, dv2) = check_digits(&d[..9]);
        if dv1 != d[9] || !dv2.contains(&Some(d[10])) {
            return Err(CnhError::CheckDigits);
        }
        Ok(Self(digits))
    }

    /// The 11 digits.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

/// Validates a CNH registration number and returns its 11 digits.
pub fn validate_cnh(input: &str) -> Result<String, CnhError> {
    Cnh::parse(input).map(|c| c.0)
}

fn normalise(input: &str) -> Option<String> {
    let trimmed = input.trim();
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-'))
    {
        return None;
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == 11).then_some(digits)
}

/// The check digit DV1 and the DV2 values accepted for the nine-digit base.
fn check_digits(base: &[u32]) -> (u32, [Option<u32>; 2]) {
    let r1 = base
        .iter()
        .zip((1..=9).rev())
        .map(|(d, w)| d * w)
        .sum::<u32>()
        % 11;
    let x = base.iter().zip(1..).map(|(d, w)| d * w).sum::<u32>() % 11;
    if r1 < 10 {
        return (r1, [Some(if x >= 10 { 0 } else { x }), None]);
    }
    // DSC form: 10 → 0, else subtract 2 (undefined, hence refused, when negative).
    let dsc = if x >= 10 { Some(0) } else { x.checked_sub(2) };
    // Modular form: the same subtraction taken mod 11, then 10 → 0.
    let modular = match (x + 9) % 11 {
        10 => 0,
        v => v,
    };
    (0, [dsc, Some(modular)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        // Valid numbers are the known-valid examples in public validator libraries' tests.
        let cases = [
            ("09770304734", Ok("09770304734")),
            ("097703047-34", Ok("09770304734")),
            ("097 703 047 34", Ok("09770304734")),
            ("097.703.047.34", Ok("09770304734")),
            ("73918433737", Ok("73918433737")),
            ("58316794534", Ok("58316794534")),
            ("73918433738", Err(CnhError::CheckDigits)),
            // first remainder 10: both published DV2 values are accepted, others refused
            ("00057808700", Ok("00057808700")),
            ("00057808708", Ok("00057808708")),
            ("00057808701", Err(CnhError::CheckDigits)),
            ("12345678901", Err(CnhError::CheckDigits)),
            ("09770304744", Err(CnhError::CheckDigits)),
            ("22222222222", Err(CnhError::RepeatedDigits)),
            ("00000000000", Err(CnhError::RepeatedDigits)),
            ("ABC70304734", Err(CnhError::Format)),
            ("0977O304734", Err(CnhError::Format)),
            ("6619558737912", Err(CnhError::Format)),
            ("1234567890", Err(CnhError::Format)),
            ("", Err(CnhError::Format)),
            ("---", Err(CnhError::Format)),
        ];
        for (input, want) in cases {
            assert_eq!(
                validate_cnh(input).as_deref().map_err(|e| *e),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn modular_form_agrees_with_sum_to_dv_form() {
        // `11 - (Σ dᵢ·(i+2)) mod 11` and `11 - (Σ dᵢ·(i+3) + 2·DV1) mod 11` (10, 11 → 0):
        // the other published formulation must always be among the accepted values.
        let fold = |sum: u32| match 11 - sum % 11 {
            10 | 11 => 0,
            v => v,
        };
        for n in (0u32..1_000_000_000).step_by(7_919) {
            let base: Vec<u32> = format!("{n:09}")
                .bytes()
                .map(|b| u32::from(b - b'0'))
                .collect();
            let dv1 = fold(base.iter().zip(2..).map(|(d, w)| d * w).sum());
            let dv2 = fold(base.iter().zip(3..).map(|(d, w)| d * w).sum::<u32>() + 2 * dv1);
            let (ours1, ours2) = check_digits(&base);
            assert_eq!(ours1, dv1, "{n:09}");
            assert!(ours2.contains(&Some(dv2)), "{n:09}");
        }
    }
}
