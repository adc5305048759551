//! Verification-session use cases: create (idempotent by `id`), read with expiry enforced,
//! list, cancel, token renewal, the hosted-page entry point and the expiry sweep. Every status
//! change goes through the core state machine and is stored with its event.

use idgate_core::crypto::{ct_eq, hash_secret, uuid_from_mac};
use idgate_core::session::{parse_create, EventType, OpenMode, Settings, Status, Strictness};
use idgate_core::Code;
use idgate_store::{Created, Expected, ListFilter, NewEvent, SessionRow, StoreError};
use rand::Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::render::{fmt_time, SessionView};
use super::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::{AppState, Metrics};

const HASH_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HASH_LEN: usize = 7;

/// Whether a create made a new session or found the identical one.
pub enum Outcome {
    Created(SessionView),
    Existing(SessionView),
}

pub async fn create(
    st: &AppState,
    t: &Tenant,
    body: &Value,
    strict: Strictness,
) -> Result<Outcome, ApiError> {
    let req = parse_create(body, &t.defaults, t.sandbox, strict)?;
    let fingerprint = hex::encode(Sha256::digest(body.to_string().as_bytes()));
    let cpf = req.document_number.digits().to_owned();
    create_parsed(st, t, req.id, cpf, req.settings, fingerprint).await
}

/// Stores a new session of validated parts (`document_number` digits may be empty: a session
/// made by a door that has no CPF, whose decision then compares none).
pub async fn create_parsed(
    st: &AppState,
    t: &Tenant,
    id: String,
    document_number: String,
    settings: Settings,
    fingerprint: String,
) -> Result<Outcome, ApiError> {
    let now = st.now();
    let s = &settings;
    let expires_at = now + i64::from(s.session_expiration_time_in_minutes) * 60_000;
    let mut row = SessionRow {
        tenant_id: t.id.clone(),
        id: id.clone(),
        hash: String::new(),
        token_hash: String::new(),
        token_gen: 0,
        document_number,
        settings: serde_json::to_string(s).map_err(|_| ApiError::internal())?,
        fingerprint,
        status: Status::Pending.as_str().into(),
        step: s.steps.first().map(|c| c.step.as_str().to_owned()),
        step_data: "{}".into(),
        decision: None,
        expires_at,
        token_expires_at: (now + i64::from(s.token_expiration_seconds) * 1000).min(expires_at),
        created_at: now,
        updated_at: now,
        biometrics_purged_at: None,
        documents_purged_at: None,
    };
    let token = derive_token(st, &row, 0);
    row.token_hash = hash_secret(&token);
    for _ in 0..5 {
        row.hash = new_hash(now);
        // The view of what is being stored, built from the values at hand (no re-parse).
        let view = SessionView {
            url: format!("{}/s/{}/t/{}", st.public_base, row.hash, token),
            token: token.clone(),
            row: row.clone(),
            status: Status::Pending,
            settings: settings.clone(),
            offset: t.offset,
        };
        let event = new_event(st, &view, EventType::Created, None, None);
        match st.store.create_session(row.clone(), event).await? {
            Created::Inserted => {
                Metrics::inc(&st.metrics.sessions_created);
                return Ok(Outcome::Created(view));
            }
            Created::Exists(existing) if existing.fingerprint == row.fingerprint => {
                let v = read_fresh(st, t, *existing).await?;
                return Ok(Outcome::Existing(v));
            }
            Created::Exists(_) => {
                return Err(ApiError::new(
                    Code::Conflict,
                    format!("a session with id {id} exists with a different body"),
                ))
            }
            Created::HashTaken => continue,
        }
    }
    Err(ApiError::internal())
}

/// Reads a session, expiring it first if its time has passed (expiry is enforced on read).
pub async fn get(st: &AppState, t: &Tenant, id: &str) -> Result<SessionView, ApiError> {
    let row = st.store.session(&t.id, id).await.map_err(not_found)?;
    read_fresh(st, t, row).await
}

pub async fn list(
    st: &AppState,
    t: &Tenant,
    status: Option<Status>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<(Vec<SessionView>, Option<String>), ApiError> {
    let after = cursor.map(decode_cursor).transpose()?;
    let filter = ListFilter {
        status: status.map(|s| s.as_str().to_owned()),
        after,
        limit: limit + 1,
    };
    let mut rows = st.store.list_sessions(&t.id, &filter).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|r| encode_cursor(r.created_at, &r.id))
    } else {
        None
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(read_fresh(st, t, r).await?);
    }
    Ok((out, next))
}

pub async fn cancel(st: &AppState, t: &Tenant, id: &str) -> Result<SessionView, ApiError> {
    let v = get(st, t, id).await?;
    transition(st, t, v, Status::Canceled).await
}

/// Issues a new URL token; the previous one stops working at once.
pub async fn renew_token(st: &AppState, t: &Tenant, id: &str) -> Result<SessionView, ApiError> {
    let v = get(st, t, id).await?;
    if v.status.is_final() {
        return Err(ApiError::new(
            Code::InvalidTransition,
            format!("the session is {}", v.status.as_str()),
        ));
    }
    let now = st.now();
    let mut row = v.row.clone();
    row.token_gen += 1;
    row.token_hash = hash_secret(&derive_token(st, &row, row.token_gen));
    row.token_expires_at =
        (now + i64::from(v.settings.token_expiration_seconds) * 1000).min(row.expires_at);
    save(st, t, &v, row, &[(EventType::TokenRenewed, None, None)]).await
}

/// What the hosted page of an open session needs from its tenant.
pub struct PageCtx {
    /// The origins that may frame it (an `iframe` session: the tenant's `frame_origins`; a
    /// `link` session: none).
    pub framers: Vec<String>,
    /// A `link` session: where to send the person when done (the tenant's `redirect_url`).
    pub redirect_url: Option<String>,
}

/// Result of opening the hosted page.
pub enum Entry {
    Open(Box<SessionView>, PageCtx),
    Expired,
    Closed(Status),
    NotFound,
}

/// The session a hosted-flow URL names, with its tenant and the expiry rule applied; `None` when
/// the hash or the token is wrong (the token is checked in constant time; an unknown hash costs
/// the same hashing).
pub(crate) async fn by_url(
    st: &AppState,
    hash: &str,
    token: &str,
) -> Result<Option<(Tenant, SessionView)>, ApiError> {
    let row = match st.store.session_by_hash(hash).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => {
            let _ = ct_eq(&hash_secret(token), &hash_secret("idgate-dummy"));
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if !ct_eq(&row.token_hash, &hash_secret(token)) {
        return Ok(None);
    }
    let tenant = st.store.tenant_by_id(&row.tenant_id).await?;
    let t = Tenant::from_row(tenant).map_err(|_| ApiError::internal())?;
    let v = read_fresh(st, &t, row).await?;
    Ok(Some((t, v)))
}

/// `GET /s/{hash}/t/{token}`: checks the token and its two clocks; a pending session moves to
/// `in_progress`.
pub async fn open_entry(st: &AppState, hash: &str, token: &str) -> Result<Entry, ApiError> {
    let Some((t, v)) = by_url(st, hash, token).await? else {
        return Ok(Entry::NotFound);
    };
    if v.status == Status::Expired || v.row.token_expires_at <= st.now() {
        return Ok(Entry::Expired);
    }
    let ctx = match v.settings.open_mode {
        OpenMode::Iframe => PageCtx {
            framers: t.frame_origins.clone(),
            redirect_url: None,
        },
        OpenMode::Link => PageCtx {
            framers: Vec::new(),
            redirect_url: t.redirect_url.clone(),
        },
    };
    match v.status {
        Status::Pending => Ok(Entry::Open(
            Box::new(transition(st, &t, v, Status::InProgress).await?),
            ctx,
        )),
        Status::InProgress => Ok(Entry::Open(Box::new(v), ctx)),
        other => Ok(Entry::Closed(other)),
    }
}

/// Expires up to `limit` overdue sessions; returns how many.
pub async fn expire_due(st: &AppState, limit: i64) -> Result<usize, ApiError> {
    let rows = st.store.sessions_due_to_expire(st.now(), limit).await?;
    let mut n = 0;
    for row in rows {
        let id = row.id.clone();
        // a row that fails is reported and skipped: it must not stop the rest of the pass
        match expire_one(st, row).await {
            Ok(true) => n += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(session = %id, code = e.code.as_str(), "could not expire session; skipped")
            }
        }
    }
    Ok(n)
}

async fn expire_one(st: &AppState, row: SessionRow) -> Result<bool, ApiError> {
    let tenant = st.store.tenant_by_id(&row.tenant_id).await?;
    let t = Tenant::from_row(tenant).map_err(|e| {
        tracing::error!(error = %e, "tenant row unreadable");
        ApiError::internal()
    })?;
    Ok(read_fresh(st, &t, row).await?.status == Status::Expired)
}

/// Applies the expiry rule to a row just read.
async fn read_fresh(st: &AppState, t: &Tenant, row: SessionRow) -> Result<SessionView, ApiError> {
    let v = view(st, t, row)?;
    // a `processing` session already has every step; only its decision is due (the sweeper
    // makes it if the request could not), so it never expires
    if !v.status.is_final() && v.status != Status::Processing && v.row.expires_at <= st.now() {
        let id = v.row.id.clone();
        return match transition(st, t, v, Status::Expired).await {
            Ok(v) => {
                Metrics::inc(&st.metrics.sessions_expired);
                Ok(v)
            }
            // someone else moved it first: read again
            Err(e) if e.code == Code::Conflict => view(st, t, st.store.session(&t.id, &id).await?),
            Err(e) => Err(e),
        };
    }
    Ok(v)
}

pub(crate) async fn transition(
    st: &AppState,
    t: &Tenant,
    v: SessionView,
    to: Status,
) -> Result<SessionView, ApiError> {
    let from = v.status;
    from.transition(to)?;
    let mut row = v.row.clone();
    row.status = to.as_str().into();
    save(st, t, &v, row, &[(to.event_type(), Some(from), None)]).await
}

/// One event to record with a change: its type, the status left (if it changed) and the step
/// it concerns (`session.step_completed`).
pub(crate) type Change<'a> = (EventType, Option<Status>, Option<&'a str>);

/// Stores `row` (a changed copy of `old`'s) with its events, if the stored session is still
/// what `old` read; `conflict` otherwise.
pub(crate) async fn save(
    st: &AppState,
    t: &Tenant,
    old: &SessionView,
    row: SessionRow,
    changes: &[Change<'_>],
) -> Result<SessionView, ApiError> {
    save_audited(st, t, old, row, changes, None).await
}

/// [`save`], with an `audit` row written in the same transaction.
pub(crate) async fn save_audited(
    st: &AppState,
    t: &Tenant,
    old: &SessionView,
    mut row: SessionRow,
    changes: &[Change<'_>],
    audit: Option<&idgate_store::AuditEventRow>,
) -> Result<SessionView, ApiError> {
    row.updated_at = st.now();
    let nv = view(st, t, row)?;
    let events: Vec<NewEvent> = changes
        .iter()
        .map(|(kind, from, step)| new_event(st, &nv, *kind, *from, *step))
        .collect();
    st.store
        .update_session_audited(&nv.row, Expected::of(&old.row), &events, audit)
        .await
        .map_err(changed_meanwhile)?;
    crate::app::uqudo::hub::changed(st, &nv.row.id, Some(&nv.row)).await;
    Ok(nv)
}

/// A store error of a conditional session update: `conflict` when the row moved on.
pub(crate) fn changed_meanwhile(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => {
            ApiError::new(Code::Conflict, "the session changed meanwhile; retry")
        }
        other => other.into(),
    }
}

pub(crate) fn view(st: &AppState, t: &Tenant, row: SessionRow) -> Result<SessionView, ApiError> {
    let status = Status::parse(&row.status).ok_or_else(ApiError::internal)?;
    let settings: Settings =
        serde_json::from_str(&row.settings).map_err(|_| ApiError::internal())?;
    let token = current_token(st, &row);
    let url = format!("{}/s/{}/t/{}", st.public_base, row.hash, token);
    Ok(SessionView {
        row,
        status,
        settings,
        token,
        url,
        offset: t.offset,
    })
}

/// The URL token of generation `gen`: a keyed MAC of the session's identity, so it is never
/// stored (only its hash is) yet can be shown again to the tenant.
fn derive_token(st: &AppState, row: &SessionRow, gen: i64) -> String {
    derive_with(st.keys.active(), row, gen)
}

fn derive_with(key: &idgate_core::crypto::Key, row: &SessionRow, gen: i64) -> String {
    let msg = format!("{}\n{}\n{}", row.tenant_id, row.id, gen);
    uuid_from_mac(key.mac("session-token", msg.as_bytes())).to_string()
}

/// The token whose hash is stored, trying every key of the ring (rotation keeps links working).
fn current_token(st: &AppState, row: &SessionRow) -> String {
    st.keys
        .all()
        .map(|k| derive_with(k, row, row.token_gen))
        .find(|t| ct_eq(&hash_secret(t), &row.token_hash))
        .unwrap_or_default()
}

/// A new `auth_session_hash`: 7 characters of `[0-9A-Za-z]`, like the vendor's. The first two
/// name the minute of creation (modulo 62², a 2.7-day cycle) and the other five are random
/// (62⁵ ≈ 9·10⁸ per minute; a taken hash is retried). New hashes therefore land together in the
/// hash index instead of on a random page each, which cuts what every group commit writes to
/// the WAL by about 40 %. The hash is a public handle; the session's secret is its token.
fn new_hash(now_ms: i64) -> String {
    let a = HASH_ALPHABET;
    let minute = (now_ms.max(0) / 60_000) as usize % (a.len() * a.len());
    let mut rng = rand::thread_rng();
    let mut h = String::with_capacity(HASH_LEN);
    h.push(a[minute / a.len()] as char);
    h.push(a[minute % a.len()] as char);
    for _ in 2..HASH_LEN {
        h.push(a[rng.gen_range(0..a.len())] as char);
    }
    h
}

/// What events and webhooks carry of a session: [`SessionView::event_data`] (no CPF) with the
/// CPF's keyed hash, `document_number_hash` (the integrator has the session id and its CPF).
pub(crate) fn event_snapshot(st: &AppState, v: &SessionView) -> Value {
    let mut d = v.event_data();
    let hash = super::personal::cpf_hash(&st.keys, &v.row.tenant_id, &v.row.document_number);
    d["document_number_hash"] = json!(hash);
    d
}

pub(crate) fn new_event(
    st: &AppState,
    v: &SessionView,
    kind: EventType,
    from: Option<Status>,
    step: Option<&str>,
) -> NewEvent {
    // Time-ordered (UUIDv7): new events append to the id index instead of dirtying a random
    // page of it per insert. Row ids are not secrets.
    let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
    let now = st.now();
    let mut payload = json!({
        "id": id,
        "type": kind.as_str(),
        "created_at": fmt_time(now, v.offset),
        "data": { "previous_status": from.map(Status::as_str), "session": event_snapshot(st, v) },
    });
    if let Some(step) = step {
        payload["data"]["step"] = json!(step);
    }
    NewEvent {
        id,
        tenant_id: v.row.tenant_id.clone(),
        session_id: v.row.id.clone(),
        kind: kind.as_str().into(),
        from_status: from.map(|s| s.as_str().to_owned()),
        to_status: Some(v.status.as_str().into()),
        payload: payload.to_string(),
        created_at: now,
    }
}

fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("session"),
        other => other.into(),
    }
}

fn encode_cursor(at: i64, id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at}:{id}"))
}

fn decode_cursor(c: &str) -> Result<(i64, String), ApiError> {
    use base64::Engine;
    let bad = || {
        ApiError::invalid_field(
            "cursor",
            "invalid_cursor",
            "is not a cursor this API returned",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = s.split_once(':').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_share_their_minute_prefix_and_differ_after_it() {
        let t = 1_765_463_835_120;
        let (a, b) = (new_hash(t), new_hash(t + 1_000));
        assert_eq!((a.len(), &a[..2]), (HASH_LEN, &b[..2]));
        assert_ne!(a, b, "five random characters");
        assert_ne!(&new_hash(t + 60_000)[..2], &a[..2]);
        assert!(a.bytes().all(|c| HASH_ALPHABET.contains(&c)));
    }
}
