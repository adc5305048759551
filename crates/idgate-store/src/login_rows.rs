//! Row types of the QR-code and push login tables. Times are unix milliseconds.

/// A login request as stored (`logins`). Tokens are kept as hashes only.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LoginRow {
    pub id: String,
    pub tenant_id: String,
    /// The OAuth client's public `client_id`.
    pub client_id: String,
    pub short_token_hash: String,
    pub ws_token_hash: Option<String>,
    /// The username named at start or notify (normalised CPF/CNPJ), if any.
    pub username: Option<String>,
    /// Who approved: the approving device's username (equals `username` when one was named).
    pub subject: Option<String>,
    pub scope: String,
    /// Seconds the access token will live.
    pub lifetime: i64,
    pub callback_url: String,
    pub challenge: i64,
    /// The three numbers offered, comma-separated.
    pub choices: String,
    pub status: String,
    pub device_id: Option<String>,
    pub deny_reason: Option<String>,
    pub pushed_at: Option<i64>,
    pub scanned_at: Option<i64>,
    /// `jti` of the callback JWT, set on approval.
    pub jti: Option<String>,
    pub exchanged_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
    /// Bumped by every update; updates are conditional on it (optimistic concurrency).
    pub version: i64,
}

/// An audit event of a login (`login.created`, `login.push_refused`, ...).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LoginEventRow {
    pub id: String,
    pub tenant_id: String,
    pub login_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    /// JSON object.
    pub detail: String,
    pub created_at: i64,
}

/// What the anti push-bombing policy needs, counted in one place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushCountRow {
    pub pending_for_user: i64,
    pub sent_in_window: i64,
    pub oldest_sent_in_window: Option<i64>,
    pub denials_in_window: i64,
    pub last_denial_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EnrollmentRow {
    pub id: String,
    pub tenant_id: String,
    pub username: String,
    pub token_hash: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub created_at: i64,
}

/// An enrolled authenticator.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub tenant_id: String,
    pub username: String,
    /// The device's public key as a JWK (JSON text).
    pub public_key: String,
    pub push_endpoint: Option<String>,
    pub push_p256dh: Option<String>,
    pub push_auth: Option<String>,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// An issued access token (for introspection and revocation).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AccessTokenRow {
    pub jti: String,
    pub tenant_id: String,
    pub client_id: String,
    pub login_id: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

/// A durable login job: `callback` (POST to the client) or `push` (Web Push to a device).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LoginJobRow {
    pub id: String,
    pub tenant_id: String,
    pub login_id: String,
    pub kind: String,
    /// The device id for `push`; empty for `callback`.
    pub target: String,
    /// Sealed with the key ring (holds the short_token).
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

/// A signing key sealed with the master key ring (`purpose` = `jwt` or `vapid`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LoginKeyRow {
    pub kid: String,
    pub purpose: String,
    pub sealed: String,
    pub created_at: i64,
}
