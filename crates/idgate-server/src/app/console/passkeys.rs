//! Passkey ceremonies of the console (webauthn-rs): registering an operator's passkey through
//! an invite link, and signing in with a discoverable passkey. A ceremony's server state is
//! kept in the store between its start and finish (5 minutes, used once), so any node can
//! finish what another began. Passwords exist nowhere.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use idgate_core::crypto::{ct_eq, hash_secret};
use idgate_core::Code;
use idgate_store::{AuditEventRow, PasskeyRow, StoreError};
use serde_json::{json, Value};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid,
};
use webauthn_rs::Webauthn;

use super::invited;
use crate::http::error::ApiError;
use crate::state::AppState;

/// How long a started ceremony can be finished.
const CEREMONY_MS: i64 = 5 * 60 * 1000;

fn relying_party(st: &AppState) -> Result<Webauthn, ApiError> {
    st.cfg.console.webauthn(&st.public_base).map_err(|e| {
        tracing::error!(error = %e, "console relying party");
        ApiError::internal()
    })
}

fn failed(what: &str) -> ApiError {
    ApiError::new(Code::InvalidToken, format!("the passkey {what} failed"))
}

fn state_json<T: serde::Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|_| ApiError::internal())
}

async fn take(st: &AppState, id: &str, kind: &str) -> Result<(String, String), ApiError> {
    match st.store.take_ceremony(id, kind, st.now()).await {
        Ok(v) => Ok(v),
        Err(StoreError::NotFound) => Err(failed("ceremony expired or")),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn audit(
    tenant: &str,
    kind: &str,
    subject: &str,
    detail: Value,
    now: i64,
) -> AuditEventRow {
    AuditEventRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.to_owned(),
        kind: kind.into(),
        subject: subject.to_owned(),
        detail: detail.to_string(),
        created_at: now,
    }
}

/// Starts registering a passkey for the invite `token`: `{ceremony, publicKey}` for
/// `navigator.credentials.create`. The passkey must be discoverable (resident).
pub async fn register_begin(st: &AppState, token: &str) -> Result<Value, ApiError> {
    let op = invited(st, token).await?;
    let handle = Uuid::parse_str(&op.user_handle).map_err(|_| ApiError::internal())?;
    let (ccr, reg) = relying_party(st)?
        .start_passkey_registration(handle, &op.email, &op.email, None)
        .map_err(|_| ApiError::internal())?;
    // discoverable, so that sign-in needs no user name
    let mut public_key = serde_json::to_value(&ccr.public_key).map_err(|_| ApiError::internal())?;
    public_key["authenticatorSelection"]["residentKey"] = json!("required");
    public_key["authenticatorSelection"]["requireResidentKey"] = json!(true);
    let id = uuid::Uuid::new_v4().to_string();
    let now = st.now();
    st.store
        .put_ceremony(
            &id,
            "register",
            &hash_secret(token),
            &state_json(&reg)?,
            now + CEREMONY_MS,
        )
        .await?;
    Ok(json!({"ceremony": id, "publicKey": public_key, "email": op.email}))
}

/// Finishes a registration: verifies the authenticator's answer, stores the passkey and uses
/// the invite up, in one transaction.
pub async fn register_finish(
    st: &AppState,
    token: &str,
    ceremony: &str,
    credential: Value,
) -> Result<(), ApiError> {
    let (subject, state) = take(st, ceremony, "register").await?;
    if !ct_eq(&subject, &hash_secret(token)) {
        return Err(failed("registration"));
    }
    let op = invited(st, token).await?;
    let reg: PasskeyRegistration =
        serde_json::from_str(&state).map_err(|_| ApiError::internal())?;
    let cred: RegisterPublicKeyCredential =
        serde_json::from_value(credential).map_err(|_| failed("registration"))?;
    let passkey = relying_party(st)?
        .finish_passkey_registration(&cred, &reg)
        .map_err(|e| {
            tracing::info!(error = %e, "passkey registration refused");
            failed("registration")
        })?;
    let now = st.now();
    let row = PasskeyRow {
        credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref()),
        tenant_id: op.tenant_id.clone(),
        operator_id: op.id.clone(),
        passkey: state_json(&passkey)?,
        created_at: now,
        last_used_at: None,
    };
    match st.store.redeem_invite(&hash_secret(token), &row, now).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => {
            return Err(ApiError::new(
                Code::Gone,
                "this invite link is used or expired",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let a = audit(
        &op.tenant_id,
        "operator.passkey_registered",
        &op.id,
        json!({"email": op.email}),
        now,
    );
    st.store.insert_audit_event(&a).await?;
    Ok(())
}

/// Starts a sign-in: `{ceremony, publicKey}` for `navigator.credentials.get` with no allowed
/// credentials (the authenticator offers the passkeys it holds for this relying party).
pub async fn login_begin(st: &AppState) -> Result<Value, ApiError> {
    let (rcr, auth) = relying_party(st)?
        .start_discoverable_authentication()
        .map_err(|_| ApiError::internal())?;
    let id = uuid::Uuid::new_v4().to_string();
    st.store
        .put_ceremony(
            &id,
            "login",
            "",
            &state_json(&auth)?,
            st.now() + CEREMONY_MS,
        )
        .await?;
    Ok(json!({"ceremony": id, "publicKey": rcr.public_key}))
}

/// Finishes a sign-in: the passkey's operator (live), its counter updated, and a new console
/// sign-in's cookie token.
pub async fn login_finish(
    st: &AppState,
    ceremony: &str,
    credential: Value,
) -> Result<String, ApiError> {
    let (_, state) = take(st, ceremony, "login").await?;
    let auth: DiscoverableAuthentication =
        serde_json::from_str(&state).map_err(|_| ApiError::internal())?;
    let cred: PublicKeyCredential =
        serde_json::from_value(credential).map_err(|_| failed("sign-in"))?;
    let rp = relying_party(st)?;
    let (handle, cred_id) = rp
        .identify_discoverable_authentication(&cred)
        .map_err(|_| failed("sign-in"))?;
    let (row, op) = match st.store.passkey(&URL_SAFE_NO_PAD.encode(cred_id)).await {
        Ok(v) => v,
        Err(StoreError::NotFound) => return Err(failed("sign-in")),
        Err(e) => return Err(e.into()),
    };
    if handle.to_string() != op.user_handle {
        return Err(failed("sign-in"));
    }
    let mut passkey: Passkey =
        serde_json::from_str(&row.passkey).map_err(|_| ApiError::internal())?;
    let key: DiscoverableKey = (&passkey).into();
    let res = rp
        .finish_discoverable_authentication(&cred, auth, &[key])
        .map_err(|e| {
            tracing::info!(error = %e, "passkey sign-in refused");
            failed("sign-in")
        })?;
    let now = st.now();
    if passkey.update_credential(&res).is_some() {
        st.store
            .update_passkey(&row.credential_id, &state_json(&passkey)?, now)
            .await?;
    }
    let token = super::sign_in(st, &op).await?;
    let a = audit(
        &op.tenant_id,
        "operator.signed_in",
        &op.id,
        json!({"email": op.email}),
        now,
    );
    st.store.insert_audit_event(&a).await?;
    Ok(token)
}
