//! CPF (individual taxpayer number): parsing, check digits, normalisation and masking.

/// A CPF that passed format and check-digit validation, stored as its 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpf(String);

/// Why a CPF was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpfError {
    /// Not `ddd.ddd.ddd-dd` nor 11 bare digits.
    Format,
    /// Check digits do not match.
    CheckDigits,
    /// All digits equal (e.g. `111.111.111-11`): valid digits, but never issued.
    RepeatedDigits,
}

impl Cpf {
    /// Parses `ddd.ddd.ddd-dd` or 11 bare digits. Repeated-digit CPFs are returned as
    /// `Err(RepeatedDigits)` only when `allow_repeated` is false.
    pub fn parse(input: &str, allow_repeated: bool) -> Result<Self, CpfError> {
        let digits = normalise(input).ok_or(CpfError::Format)?;
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if !allow_repeated && d.iter().all(|&x| x == d[0]) {
            return Err(CpfError::RepeatedDigits);
        }
        if check_digit(&d[..9]) != d[9] || check_digit(&d[..10]) != d[10] {
            return Err(CpfError::CheckDigits);
        }
        Ok(Self(digits))
    }

    /// The 11 digits.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `ddd.ddd.ddd-dd`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!("{}.{}.{}-{}", &s[..3], &s[3..6], &s[6..9], &s[9..])
    }

    /// `***.ddd.ddd-**`, the form that may appear in logs.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!("***.{}.{}-**", &s[3..6], &s[6..9])
    }
}

/// Accepts exactly `ddd.ddd.ddd-dd` or 11 digits and returns the digits.
fn normalise(input: &str) -> Option<String> {
    let b = input.as_bytes();
    let digits: String = match b.len() {
        11 if b.iter().all(u8::is_ascii_digit) => input.to_owned(),
        14 if b[3] == b'.' && b[7] == b'.' && b[11] == b'-' => {
            let d: String = input.chars().filter(|c| !matches!(c, '.' | '-')).collect();
            if d.len() == 11 && d.bytes().all(|c| c.is_ascii_digit()) {
                d
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(digits)
}

/// Modulo-11 check digit over `d` with weights `len+1 .. 2`.
fn check_digit(d: &[u32]) -> u32 {
    let n = d.len() as u32 + 1;
    let sum: u32 = d.iter().enumerate().map(|(i, v)| v * (n - i as u32)).sum();
    let r = (sum * 10) % 11;
    if r == 10 {
        0
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("529.982.247-25", false, Ok("52998224725")),
            ("52998224725", false, Ok("52998224725")),
            ("529.982.247-24", false, Err(CpfError::CheckDigits)),
            ("111.111.111-11", false, Err(CpfError::RepeatedDigits)),
            ("111.111.111-11", true, Ok("11111111111")),
            ("000.000.000-00", true, Ok("00000000000")),
            ("529982247-25", false, Err(CpfError::Format)),
            ("529.982.24a-25", false, Err(CpfError::Format)),
            ("", false, Err(CpfError::Format)),
            ("5299822472", false, Err(CpfError::Format)),
            ("529.982.247.25", false, Err(CpfError::Format)),
        ];
        for (input, allow, want) in cases {
            let got = Cpf::parse(input, allow);
            assert_eq!(
                got.as_ref().map(Cpf::digits).map_err(|e| *e),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn formats_and_masks() {
        let c = Cpf::parse("52998224725", false).unwrap();
        assert_eq!(c.formatted(), "529.982.247-25");
        assert_eq!(c.masked(), "***.982.247-**");
    }
}
