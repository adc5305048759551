//! CNPJ (company taxpayer number), numeric and the alphanumeric format (IN RFB 2.229/2024).

/// A CNPJ that passed format and check-digit validation, stored as its 14 characters
/// (upper-case letters or digits in the first 12, digits in the last 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cnpj(String);

/// Why a CNPJ was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CnpjError {
    Format,
    CheckDigits,
    RepeatedDigits,
}

impl Cnpj {
    /// Parses `XX.XXX.XXX/XXXX-DD` or 14 bare characters; letters are accepted upper- or
    /// lower-case in the first 12 positions and stored upper-case.
    pub fn parse(input: &str) -> Result<Self, CnpjError> {
        let raw = normalise(input).ok_or(CnpjError::Format)?;
        let b = raw.as_bytes();
        if b.iter().all(|&c| c == b[0]) {
            return Err(CnpjError::RepeatedDigits);
        }
        let vals: Vec<u32> = b.iter().map(|&c| u32::from(c) - 48).collect();
        if dv(&vals[..12]) != vals[12] || dv(&vals[..13]) != vals[13] {
            return Err(CnpjError::CheckDigits);
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `XX.XXX.XXX/XXXX-DD`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!(
            "{}.{}.{}/{}-{}",
            &s[..2],
            &s[2..5],
            &s[5..8],
            &s[8..12],
            &s[12..]
        )
    }
}

fn normalise(input: &str) -> Option<String> {
    let stripped: String = match input.len() {
        14 => input.to_owned(),
        18 => {
            let b = input.as_bytes();
            if b[2] != b'.' || b[6] != b'.' || b[10] != b'/' || b[15] != b'-' {
                return None;
            }
            input
                .chars()
                .filter(|c| !matches!(c, '.' | '/' | '-'))
                .collect()
        }
        _ => return None,
    };
    let up = stripped.to_ascii_uppercase();
    let b = up.as_bytes();
    let ok = b.len() == 14
        && b[..12]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && b[12..].iter().all(u8::is_ascii_digit);
    ok.then_some(up)
}

fn dv(vals: &[u32]) -> u32 {
    // weights run 2..9 from the right, repeating
    let sum: u32 = vals
        .iter()
        .rev()
        .enumerate()
        .map(|(i, v)| v * (2 + (i as u32 % 8)))
        .sum();
    let r = sum % 11;
    if r < 2 {
        0
    } else {
        11 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("11.222.333/0001-81", Ok("11222333000181")),
            ("11222333000181", Ok("11222333000181")),
            ("11.222.333/0001-80", Err(CnpjError::CheckDigits)),
            // alphanumeric example published by the Receita Federal
            ("12.ABC.345/01DE-35", Ok("12ABC34501DE35")),
            ("12abc34501de35", Ok("12ABC34501DE35")),
            ("12.ABC.345/01DE-36", Err(CnpjError::CheckDigits)),
            ("00.000.000/0000-00", Err(CnpjError::RepeatedDigits)),
            ("11.222.333/0001-8A", Err(CnpjError::Format)),
            ("11.222.333-0001/81", Err(CnpjError::Format)),
            ("1122233300018", Err(CnpjError::Format)),
        ];
        for (input, want) in cases {
            let got = Cnpj::parse(input);
            assert_eq!(
                got.as_ref().map(Cnpj::as_str).map_err(|e| *e),
                want,
                "{input}"
            );
        }
        assert_eq!(
            Cnpj::parse("12ABC34501DE35").unwrap().formatted(),
            "12.ABC.345/01DE-35"
        );
    }
}
