//! QR-code and push login (the Soluti-style `/oauth/start` → callback JWT → `/oauth/token`
//! flow), as pure building blocks: the request state machine, tokens and number matching,
//! request validation, the device's signed decision, anti push-bombing policy, token claims.
//! No storage, no HTTP, no clock: the server wires these together.

pub mod approval;
pub mod claims;
pub mod policy;
pub mod request;
pub mod start;
#[cfg(test)]
mod tests;
pub mod tokens;

pub use approval::{approval_message, verify_approval, ApprovalFields, Decision, DEFAULT_MAX_SKEW};
pub use claims::{
    new_jti, AccessTokenClaims, CallbackClaims, TokenResponse, ACCESS_TOKEN_TYP,
    CALLBACK_JWT_MAX_TTL, CALLBACK_JWT_TYP,
};
pub use policy::{check_push, PushCounts, PushDecision, PushPolicy, RefuseReason};
pub use request::{DenyReason, LoginAction, LoginEvent, LoginRequest, LoginStatus, Transition};
pub use start::{
    parse_notify, parse_start, ClientRules, NotifyLogin, StartLogin, Username, MAX_LIFETIME_PF,
    MAX_LIFETIME_PJ,
};
pub use tokens::{
    challenge, decoys, hash_token, qr_code_text, short_token, short_token_from_qr, ws_token,
};

use crate::error::Code;

/// Why an action on a login request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("the login was already approved")]
    AlreadyApproved,
    #[error("the login was denied")]
    Denied,
    #[error("the login has expired")]
    Expired,
    #[error("the login was already opened on a device")]
    AlreadyScanned,
    #[error("another device holds this login")]
    WrongDevice,
    #[error("the login has not reached its expiry")]
    NotYetExpired,
    #[error("the device signature does not verify")]
    BadSignature,
    #[error("the device clock is too far from the server's")]
    StaleApproval,
}

impl LoginError {
    pub fn code(self) -> Code {
        match self {
            Self::AlreadyApproved | Self::AlreadyScanned | Self::NotYetExpired => {
                Code::InvalidTransition
            }
            Self::Denied => Code::LoginDenied,
            Self::Expired => Code::LoginExpired,
            Self::WrongDevice => Code::Forbidden,
            Self::BadSignature | Self::StaleApproval => Code::InvalidSignature,
        }
    }
}
