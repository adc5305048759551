//! JOSE for idgate: ES256 keys (generation, PKCS#8/scalar import and export, JWK/JWKS),
//! compact JWT signing and verification, and authenticator-device signature checks.
//! Pure: keys and time come in as arguments, randomness as an injected RNG.

mod jwt;
mod keys;

pub(crate) use jwt::sign_with_header;
pub use jwt::{
    sign_jwt, verify_jwt, verify_jwt_with, Claims, Expect, KeySet, LEEWAY_SECONDS, MAX_TOKEN_LEN,
};
pub use keys::{verify_device_signature, DeviceKey, Jwk, Jwks, PublicKey, SigningKey};

use crate::error::Code;

/// Why a key or token was refused. Deliberately coarse: the client learns no more than
/// "the token is not valid"; the variant goes to the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    #[error("token is not a well-formed compact JWS")]
    Malformed,
    #[error("only ES256 is accepted")]
    UnsupportedAlgorithm,
    #[error("no key with this kid")]
    UnknownKey,
    #[error("signature does not verify")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token is for another audience")]
    WrongAudience,
    #[error("token is of another type")]
    WrongType,
    #[error("claim {0} is missing or malformed")]
    InvalidClaim(&'static str),
    #[error("key is malformed or not a P-256 key")]
    InvalidKey,
}

impl JoseError {
    /// `invalid_token` for anything wrong with a presented token; `invalid_request` for a
    /// malformed key (a device enrolment with a bad key, for instance).
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidKey => Code::InvalidRequest,
            _ => Code::InvalidToken,
        }
    }
}
