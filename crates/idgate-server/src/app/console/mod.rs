//! The operator console's use cases: operators (invited by the CLI with a one-time link,
//! listed, removed), their sign-ins (a random cookie stored hashed, with a CSRF token, an idle
//! timeout and an absolute lifetime), passkey ceremonies ([`passkeys`]) and what the screens
//! show and do ([`screens`]). No HTML here: `http::console` renders.

pub mod config;
pub mod passkeys;
pub mod screens;

use idgate_core::crypto::{ct_eq, hash_secret, random_token};
use idgate_core::Code;
use idgate_store::{ConsoleSessionRow, OperatorRow, Store, StoreError};
use serde::Serialize;

use super::tenant::Tenant;
use crate::config::Config;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Random bytes of an invite token, a console cookie and a CSRF token (256 bits).
const SECRET_BYTES: usize = 32;

/// What an operator may do: a reviewer reviews; an admin also manages credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Reviewer,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

/// A signed-in operator: who, of which tenant, and the sign-in's CSRF token.
#[derive(Debug, Clone)]
pub struct Operator {
    pub row: OperatorRow,
    pub tenant: Tenant,
    pub role: Role,
    pub csrf: String,
}

impl Operator {
    /// How the operator is named on decisions and audit rows.
    pub fn actor(&self) -> String {
        format!("operator:{}", self.row.email)
    }

    /// `403 forbidden` unless an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::new(Code::Forbidden, "admins only"))
        }
    }

    /// Whether `token` is this sign-in's CSRF token (constant time).
    pub fn csrf_ok(&self, token: &str) -> bool {
        ct_eq(&self.csrf, token)
    }
}

/// An invite as the CLI prints it.
#[derive(Debug, Serialize)]
pub struct Invite {
    pub operator_id: String,
    pub tenant_id: String,
    pub email: String,
    pub role: Role,
    /// The one-time link (shown once; only its hash is stored).
    pub invite_url: String,
    pub expires_at: i64,
}

fn bad_email(e: &str) -> bool {
    let e = e.trim();
    e.len() > 254
        || e.split_once('@')
            .is_none_or(|(u, d)| u.is_empty() || !d.contains('.'))
}

/// `idgate operator invite`: makes `email` an operator of the tenant with `role` and returns
/// a link that registers one passkey, once, within `console.invite_ttl_secs`.
pub async fn invite(
    store: &Store,
    cfg: &Config,
    now: i64,
    tenant_id: &str,
    email: &str,
    role: Role,
) -> Result<Invite, String> {
    if bad_email(email) {
        return Err(format!("{email:?} is not an email address"));
    }
    let token = random_token(&mut rand::rngs::OsRng, SECRET_BYTES);
    let expires_at = now + cfg.console.invite_ttl_secs * 1000;
    let op = OperatorRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant_id.to_owned(),
        email: email.trim().to_lowercase(),
        role: role.as_str().into(),
        user_handle: uuid::Uuid::new_v4().to_string(),
        created_at: now,
        removed_at: None,
    };
    let op = store
        .invite_operator(&op, &hash_secret(&token), expires_at)
        .await
        .map_err(|e| e.to_string())?;
    let origin = cfg.console.origin(&cfg.public_base(None));
    Ok(Invite {
        operator_id: op.id,
        tenant_id: op.tenant_id,
        email: op.email,
        role,
        invite_url: format!("{origin}/console/invite/{token}"),
        expires_at,
    })
}

/// The operator a live invite token was made for; an unknown, used or expired one is
/// `410 gone` (the same answer, so the page reveals nothing).
pub async fn invited(st: &AppState, token: &str) -> Result<OperatorRow, ApiError> {
    st.store
        .invited_operator(&hash_secret(token), st.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ApiError::new(Code::Gone, "this invite link is used, expired or unknown")
            }
            other => other.into(),
        })
}

/// Starts a sign-in of `op`: the cookie token (shown once; stored hashed).
pub async fn sign_in(st: &AppState, op: &OperatorRow) -> Result<String, ApiError> {
    let token = random_token(&mut rand::rngs::OsRng, SECRET_BYTES);
    let now = st.now();
    let c = &st.cfg.console;
    let row = ConsoleSessionRow {
        token_hash: hash_secret(&token),
        tenant_id: op.tenant_id.clone(),
        operator_id: op.id.clone(),
        csrf: random_token(&mut rand::rngs::OsRng, SECRET_BYTES),
        created_at: now,
        last_seen_at: now,
        expires_at: now + c.session_lifetime_secs * 1000,
    };
    st.store.insert_console_session(&row).await?;
    Ok(token)
}

/// The operator a cookie token signs in, if the sign-in is alive (it is then marked seen).
pub async fn signed_in(st: &AppState, token: &str) -> Result<Operator, ApiError> {
    let unauth = || ApiError::new(Code::Unauthenticated, "sign in to the console");
    let idle = st.cfg.console.idle_timeout_secs * 1000;
    let s = match st
        .store
        .console_session(&hash_secret(token), st.now(), idle)
        .await
    {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Err(unauth()),
        Err(e) => return Err(e.into()),
    };
    let row = match st.store.operator(&s.tenant_id, &s.operator_id).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Err(unauth()),
        Err(e) => return Err(e.into()),
    };
    let tenant = st.store.tenant_by_id(&s.tenant_id).await?;
    let tenant = Tenant::from_row(tenant).map_err(|_| ApiError::internal())?;
    Ok(Operator {
        role: Role::parse(&row.role).unwrap_or(Role::Reviewer),
        row,
        tenant,
        csrf: s.csrf,
    })
}

/// Signs out: the cookie no longer works.
pub async fn sign_out(st: &AppState, token: &str) -> Result<(), ApiError> {
    Ok(st.store.end_console_session(&hash_secret(token)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_roles_parse() {
        assert!(!bad_email("ana@example.com"));
        assert!(bad_email("ana"));
        assert!(bad_email("@example.com"));
        assert!(bad_email("ana@localhost"));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
