//! Login secrets and what is shown to people: `short_token`, `ws_token`, the number-matching
//! `challenge` with its decoys, the QR-code text, and the hashes that are all a store keeps.

use rand::seq::SliceRandom;
use rand::{CryptoRng, Rng, RngCore};

use crate::crypto;

/// Random bytes in a `short_token` (128 bits; 22 URL-safe characters, small enough for a QR code).
pub const SHORT_TOKEN_BYTES: usize = 16;
/// Random bytes in a `ws_token` (256 bits; 43 URL-safe characters).
pub const WS_TOKEN_BYTES: usize = 32;
/// Challenges are two-digit numbers, so the person compares two digits on two screens.
pub const CHALLENGE_RANGE: std::ops::RangeInclusive<u8> = 10..=99;

/// A fresh `short_token`: identifies the flow, is put in the QR code and the push.
pub fn short_token(rng: &mut (impl RngCore + CryptoRng)) -> String {
    crypto::random_token(rng, SHORT_TOKEN_BYTES)
}

/// A fresh `ws_token`: lets the integrating page subscribe to this flow's real-time channel.
pub fn ws_token(rng: &mut (impl RngCore + CryptoRng)) -> String {
    crypto::random_token(rng, WS_TOKEN_BYTES)
}

/// The SHA-256 hex a store keeps instead of a token; look-ups hash the presented token.
pub fn hash_token(token: &str) -> String {
    crypto::hash_secret(token)
}

/// A uniform two-digit challenge (NIST SP 800-63B number matching).
pub fn challenge(rng: &mut (impl RngCore + CryptoRng)) -> u8 {
    rng.gen_range(CHALLENGE_RANGE)
}

/// The three numbers the authenticator offers: the challenge and two distinct wrong ones,
/// in random order. Picking a wrong one denies the request.
pub fn decoys(challenge: u8, rng: &mut (impl RngCore + CryptoRng)) -> [u8; 3] {
    let mut out = [challenge, challenge, challenge];
    let mut filled = 1;
    while filled < 3 {
        let n = rng.gen_range(CHALLENGE_RANGE);
        if !out[..filled].contains(&n) {
            out[filled] = n;
            filled += 1;
        }
    }
    out.shuffle(rng);
    out
}

/// The text to encode in the QR code: the authenticator page on `public_base_url` with the
/// `short_token` in the fragment, so it never reaches server logs or `Referer` headers.
/// Phone cameras open it; the authenticator app reads the token from it.
pub fn qr_code_text(public_base_url: &str, short_token: &str) -> String {
    format!(
        "{}/authenticator#t={short_token}",
        public_base_url.trim_end_matches('/')
    )
}

/// The `short_token` inside a QR-code text made by [`qr_code_text`], or a bare token.
pub fn short_token_from_qr(text: &str) -> Option<&str> {
    let token = match text.split_once("#t=") {
        Some((_, t)) => t,
        None => text,
    };
    let ok = !token.is_empty()
        && token.len() <= 64
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn tokens_are_long_url_safe_and_distinct() {
        let mut rng = StdRng::seed_from_u64(1);
        let s = short_token(&mut rng);
        let w = ws_token(&mut rng);
        assert_eq!(s.len(), 22);
        assert_eq!(w.len(), 43);
        for t in [&s, &w] {
            assert!(t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
        assert_ne!(s, short_token(&mut rng));
        assert_eq!(hash_token(&s).len(), 64);
        assert_eq!(hash_token(&s), hash_token(&s.clone()));
        assert_ne!(hash_token(&s), s);
    }

    #[test]
    fn challenges_cover_10_to_99_and_decoys_hold_it_once() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut seen = [false; 100];
        let mut first = [0u32; 3];
        for _ in 0..5000 {
            let c = challenge(&mut rng);
            assert!(CHALLENGE_RANGE.contains(&c));
            seen[c as usize] = true;
            let d = decoys(c, &mut rng);
            assert_eq!(d.iter().filter(|&&x| x == c).count(), 1);
            assert!(d[0] != d[1] && d[1] != d[2] && d[0] != d[2]);
            assert!(d.iter().all(|x| CHALLENGE_RANGE.contains(x)));
            first[d.iter().position(|&x| x == c).unwrap_or(0)] += 1;
        }
        assert!(seen[10..=99].iter().all(|&s| s));
        assert!(
            first.iter().all(|&n| n > 1400),
            "challenge position is shuffled: {first:?}"
        );
        // Out-of-range challenges still terminate and appear once.
        assert_eq!(decoys(5, &mut rng).iter().filter(|&&x| x == 5).count(), 1);
    }

    #[test]
    fn qr_text_round_trips() {
        let q = qr_code_text("https://id.example/", "abc_DEF-1");
        assert_eq!(q, "https://id.example/authenticator#t=abc_DEF-1");
        assert_eq!(short_token_from_qr(&q), Some("abc_DEF-1"));
        assert_eq!(short_token_from_qr("abc_DEF-1"), Some("abc_DEF-1"));
        assert_eq!(short_token_from_qr("https://x/#t="), None);
        assert_eq!(short_token_from_qr("a b"), None);
    }
}
