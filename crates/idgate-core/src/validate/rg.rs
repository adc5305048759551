//! RG (state identity card) number validation where the issuing state publishes its rule.
//!
//! Only São Paulo's rule is public and stable: 8 digits and a check digit (`0`-`9` or `X`),
//! `11 - (Σ dᵢ·wᵢ) mod 11` with weights 2..9 from the left (10 → `X`, 11 → `0`). Every other
//! state, or an unknown state, gets a format check only (5 to 14 digits, optionally a final
//! `X`), and the result says so.

/// Which rule accepted the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RgRule {
    /// São Paulo's check digit matched.
    SaoPaulo,
    /// The state has no public rule: only the shape was checked.
    FormatOnly,
}

/// An RG number that passed validation: its characters (digits, maybe a final `X`) and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rg {
    number: String,
    rule: RgRule,
}

/// Why an RG number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RgError {
    Format,
    CheckDigits,
    RepeatedDigits,
}

impl Rg {
    /// Parses an RG number as printed (`12.345.678-X`, `MG-12.345.678`, `12345678X`).
    /// `state` is the issuing state's two-letter code when known (e.g. from `SSP SP`).
    pub fn parse(input: &str, state: Option<&str>) -> Result<Self, RgError> {
        let number = normalise(input).ok_or(RgError::Format)?;
        let b = number.as_bytes();
        if b.iter().all(|&c| c == b[0]) {
            return Err(RgError::RepeatedDigits);
        }
        let is_sp = state.is_some_and(|s| s.trim().eq_ignore_ascii_case("SP"));
        if !is_sp {
            return Ok(Self {
                number,
                rule: RgRule::FormatOnly,
            });
        }
        if b.len() != 9 || !b[..8].iter().all(u8::is_ascii_digit) {
            return Err(RgError::Format);
        }
        if sp_check_digit(&b[..8]) != b[8] {
            return Err(RgError::CheckDigits);
        }
        Ok(Self {
            number,
            rule: RgRule::SaoPaulo,
        })
    }

    /// Digits (and a final `X` when present).
    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn rule(&self) -> RgRule {
        self.rule
    }
}

/// Validates an RG number and returns its normalised characters and the rule that accepted it.
pub fn validate_rg(input: &str, state: Option<&str>) -> Result<(String, RgRule), RgError> {
    Rg::parse(input, state).map(|r| (r.number, r.rule))
}

/// Strips separators and a leading state prefix (`MG-`); upper-cases a final `x`.
fn normalise(input: &str) -> Option<String> {
    let up = input.trim().to_ascii_uppercase();
    let body = match up.split_once('-') {
        Some((pre, rest)) if pre.len() == 2 && pre.bytes().all(|c| c.is_ascii_uppercase()) => rest,
        _ => up.as_str(),
    };
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | ' ' | '/' | 'X'))
    {
        return None;
    }
    let chars: String = body.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let (head, last) = chars.split_at(chars.len().checked_sub(1)?);
    let ok = (5..=14).contains(&chars.len())
        && head.bytes().all(|c| c.is_ascii_digit())
        && (last == "X" || last.bytes().all(|c| c.is_ascii_digit()));
    ok.then_some(chars)
}

/// São Paulo's check digit for the 8 base digits (ASCII).
fn sp_check_digit(base: &[u8]) -> u8 {
    let sum: u32 = base
        .iter()
        .zip(2..)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        v => b'0' + v as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sao_paulo_table() {
        let sp = Some("SP");
        let cases = [
            // the worked example in public RG-SP validator documentation
            ("31.203.131-2", Ok("312031312")),
            ("312031312", Ok("312031312")),
            ("31.203.131-3", Err(RgError::CheckDigits)),
            ("12.345.678-2", Ok("123456782")),
            ("12.345.678-9", Err(RgError::CheckDigits)),
            ("1234567-2", Err(RgError::Format)),
            ("11.111.111-1", Err(RgError::RepeatedDigits)),
            ("12.3A5.678-2", Err(RgError::Format)),
        ];
        for (input, want) in cases {
            let got = validate_rg(input, sp);
            assert_eq!(
                got.as_ref().map(|r| r.0.as_str()).map_err(|e| *e),
                want,
                "{input}"
            );
            if let Ok((_, rule)) = got {
                assert_eq!(rule, RgRule::SaoPaulo);
            }
        }
    }

    #[test]
    fn x_check_digit() {
        // find a base whose digit is X and check both cases are accepted
        let base = (10_000_000u32..10_000_100)
            .map(|n| n.to_string())
            .find(|s| sp_check_digit(s.as_bytes()) == b'X')
            .expect("an X base in range");
        let lower = format!("{base}x");
        assert_eq!(
            validate_rg(&lower, Some("sp")),
            Ok((format!("{base}X"), RgRule::SaoPaulo))
        );
    }

    #[test]
    fn other_states_format_only() {
        assert_eq!(
            validate_rg("MG-12.345.678", Some("MG")),
            Ok(("12345678".into(), RgRule::FormatOnly))
        );
        assert_eq!(
            validate_rg("12.345.678-9", None),
            Ok(("123456789".into(), RgRule::FormatOnly))
        );
        assert_eq!(validate_rg("1234", None), Err(RgError::Format));
        assert_eq!(validate_rg("12X45678", None), Err(RgError::Format));
    }
}
