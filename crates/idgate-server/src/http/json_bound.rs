//! A bound on how many JSON values a body may hold, checked on the raw bytes before parsing:
//! a parsed value costs far more than its text (`[0,0,…]` is ~16 bytes of tree per 2 bytes of
//! body), so a body of many tiny values could take 20× its size. Counting is one pass, no
//! allocation; object keys count as values (they are allocated too).

/// Most values a request body may hold (120 liveness frames or two document sides are a few
/// dozen; a session's settings a few hundred).
pub const MAX_JSON_VALUES: usize = 20_000;

/// Whether `bytes` holds at most `max` JSON values (strings, numbers, literals, arrays,
/// objects). Not a validator: malformed JSON is left to the parser.
pub fn within(bytes: &[u8], max: usize) -> bool {
    let (mut n, mut in_str, mut esc, mut in_scalar) = (0usize, false, false, false);
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_str = true;
                in_scalar = false;
                n += 1;
            }
            b'{' | b'[' => {
                in_scalar = false;
                n += 1;
            }
            b',' | b':' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' => in_scalar = false,
            _ if !in_scalar => {
                in_scalar = true;
                n += 1;
            }
            _ => {}
        }
        if n > max {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn counts_values_not_bytes() {
        let cases: &[(&str, usize)] = &[
            (r#"{}"#, 1),
            (r#"{"a":1}"#, 3),
            (r#"{"a":"x,y:[{]}","b":[true,null,-1.5e3]}"#, 8),
            (r#"["\"",  12  ,"\\"]"#, 4),
        ];
        for (json, n) in cases {
            assert!(within(json.as_bytes(), *n), "{json} has {n}");
            assert!(
                !within(json.as_bytes(), n - 1),
                "{json} has more than {}",
                n - 1
            );
        }
        // a long string is one value
        let big = format!(r#"{{"image":"{}"}}"#, "A".repeat(1_000_000));
        assert!(within(big.as_bytes(), 3));
        // many tiny values are refused early
        let zeros = format!("[{}0]", "0,".repeat(100_000));
        assert!(!within(zeros.as_bytes(), 20_000));
    }
}
