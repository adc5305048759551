//! Row types (`*Row` read back, `New*` to insert). Times are unix milliseconds.

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub mode: String,
    pub time_zone: String,
    pub default_settings: Option<String>,
    /// JSON of the tenant's decision policy; `None`: the default.
    pub decision_policy: Option<String>,
    /// Space-separated origins allowed to frame its `iframe` sessions; `None`: none.
    pub frame_origins: Option<String>,
    /// Where a `link` session's page sends the person when done; `None`: nowhere.
    pub redirect_url: Option<String>,
    pub created_at: i64,
    /// JSON `{"requests_per_second", "burst"}`; `None`: the server default.
    pub rate_limit: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub tenant_id: String,
    pub prefix: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// Space-separated scopes; `None`: every scope.
    pub scopes: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub secret_hash: String,
    pub name: String,
    /// JSON array of strings.
    pub scopes: String,
    /// JSON array of strings.
    pub callback_urls: String,
    pub can_notify: i64,
    pub websocket: i64,
    pub auth_ttl: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The secret before the last rotation, accepted until `old_secret_until`.
    pub old_secret_hash: Option<String>,
    pub old_secret_until: Option<i64>,
}

/// A verification session as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SessionRow {
    pub tenant_id: String,
    pub id: String,
    pub hash: String,
    pub token_hash: String,
    pub token_gen: i64,
    pub document_number: String,
    /// JSON of `idgate_core::session::Settings`.
    pub settings: String,
    pub fingerprint: String,
    pub status: String,
    pub step: Option<String>,
    /// JSON object keyed by step name.
    pub step_data: String,
    /// JSON of the decision, once there is one.
    pub decision: Option<String>,
    pub expires_at: i64,
    pub token_expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the retention sweeper deleted the session's biometrics (never written by an update).
    #[sqlx(default)]
    pub biometrics_purged_at: Option<i64>,
    /// When the retention sweeper deleted the session's document reads.
    #[sqlx(default)]
    pub documents_purged_at: Option<i64>,
}

/// An event to record together with a state change; fanned out to the outbox of every enabled
/// webhook endpoint of the tenant subscribed to its type.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub tenant_id: String,
    pub session_id: String,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// The JSON body delivered to webhooks.
    pub payload: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub tenant_id: String,
    pub session_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub payload: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    pub secret_sealed: String,
    /// `*` or a comma-separated list of event types.
    pub events: String,
    pub enabled: i64,
    pub created_at: i64,
}

/// A webhook delivery claimed by a worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub tenant_id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}
