//! `/oauth/start` and `/oauth/notify`: a login request for an authenticated client, and the
//! push to the person's enrolled devices under the anti push-bombing policy (counts read in the
//! transaction that writes the push, serialised per person; each refusal an audit event).

use idgate_core::crypto::hash_secret;
use idgate_core::login::{
    challenge, check_push, decoys, hash_token, parse_notify, parse_start, qr_code_text,
    short_token, ClientRules, LoginRequest, LoginStatus, PushCounts, PushDecision,
};
use idgate_core::session::Strictness;
use idgate_core::{Code, FieldError};
use idgate_store::{LoginJobRow, LoginRow, PushKey, PushPlan};
use rand::rngs::OsRng;
use serde::Serialize;
use serde_json::{json, Value};

use super::{
    announce, authenticate_client, body_credentials, event, expire, login_error, oauth_validation,
    request_of, ws_token_of, Client,
};
use crate::http::error::ApiError;
use crate::jobs::login::{deliver_now, push_job};
use crate::state::AppState;

/// The answer of `/oauth/start` (and `/oauth/notify`, which adds `callback_url`).
#[derive(Debug, Clone, Serialize)]
pub struct LoginView {
    pub challenge: String,
    pub client_name: String,
    pub short_token: String,
    pub ws_token: Option<String>,
    pub can_notify: bool,
    pub notified: bool,
    pub qr_code: String,
    pub environment: String,
    pub auth_ttl: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

fn view(st: &AppState, c: &Client, row: &LoginRow, short: &str, notified: bool) -> LoginView {
    LoginView {
        challenge: row.challenge.to_string(),
        client_name: c.row.name.clone(),
        short_token: short.to_owned(),
        ws_token: c.websocket().then(|| ws_token_of(st, &row.id)),
        can_notify: c.can_notify(),
        notified,
        qr_code: qr_code_text(&st.public_base, short),
        environment: st.cfg.login.environment.clone(),
        auth_ttl: c.row.auth_ttl,
        callback_url: None,
    }
}

pub async fn start(st: &AppState, body: &Value) -> Result<LoginView, ApiError> {
    let (id, secret) = body_credentials(body);
    let c = authenticate_client(st, &id, &secret).await?;
    let rules = ClientRules {
        scopes: &c.scopes,
        callback_urls: &c.callback_urls,
    };
    let req = parse_start(body, &rules, c.tenant.sandbox, Strictness::Lenient)
        .map_err(oauth_validation)?;
    let mut rng = OsRng;
    let short = short_token(&mut rng);
    let number = challenge(&mut rng);
    let choices = decoys(number, &mut rng).map(|n| n.to_string()).join(",");
    let now = st.now();
    let login_id = format!("lg_{}", uuid::Uuid::now_v7().simple());
    let r = LoginRequest::new(number, now, c.row.auth_ttl.saturating_mul(1000));
    let mut row = LoginRow {
        ws_token_hash: c
            .websocket()
            .then(|| hash_secret(&ws_token_of(st, &login_id))),
        id: login_id,
        tenant_id: c.row.tenant_id.clone(),
        client_id: c.row.client_id.clone(),
        short_token_hash: hash_token(&short),
        username: req.username.as_ref().map(|u| u.as_str().to_owned()),
        subject: None,
        scope: req.scope_string(),
        lifetime: i64::from(req.lifetime),
        callback_url: req.callback_url.clone(),
        challenge: i64::from(number),
        choices,
        status: LoginStatus::Pending.as_str().into(),
        device_id: None,
        deny_reason: None,
        pushed_at: None,
        scanned_at: None,
        jti: None,
        exchanged_at: None,
        created_at: now,
        expires_at: r.expires_at,
        finished_at: None,
        updated_at: now,
        version: 0,
    };
    let events = vec![event(
        &row,
        "login.created",
        json!({"client_id": c.row.client_id, "scope": row.scope}),
        now,
    )];
    st.store.insert_login(&row, &events, &[]).await?;
    let mut notified = false;
    if let (Some(u), true) = (&req.username, c.can_notify()) {
        // A refused push does not fail the start: the QR code still works.
        if let Ok((pushed, jobs)) =
            guarded_push(st, &c, row.clone(), u.as_str(), &short, now).await?
        {
            row = pushed;
            announce(st, &row, &short).await;
            notified = deliver_now(st, &jobs).await;
        }
    }
    Ok(view(st, &c, &row, &short, notified))
}

pub async fn notify(st: &AppState, body: &Value) -> Result<LoginView, ApiError> {
    let (id, secret) = body_credentials(body);
    let c = authenticate_client(st, &id, &secret).await?;
    if !c.can_notify() {
        return Err(ApiError::new(
            Code::Forbidden,
            "this client may not send push notifications",
        ));
    }
    let n = parse_notify(body, c.tenant.sandbox, Strictness::Lenient).map_err(oauth_validation)?;
    let mut row = match st
        .store
        .login_by_short_token(&hash_token(&n.short_token))
        .await
    {
        Ok(r) if r.client_id == c.row.client_id => r,
        Ok(_) | Err(idgate_store::StoreError::NotFound) => {
            return Err(ApiError::not_found("login for this short_token and client"))
        }
        Err(e) => return Err(e.into()),
    };
    let now = st.now();
    let r = request_of(&row);
    match r.status_at(now) {
        LoginStatus::Pending => {}
        LoginStatus::Expired => {
            if let Ok(t) = r.apply(&idgate_core::login::LoginAction::Expire, now) {
                expire(st, &row, &t, now).await;
            }
            return Err(login_error(idgate_core::login::LoginError::Expired));
        }
        LoginStatus::Scanned => {
            return Err(login_error(idgate_core::login::LoginError::AlreadyScanned))
        }
        LoginStatus::Approved => {
            return Err(login_error(idgate_core::login::LoginError::AlreadyApproved))
        }
        LoginStatus::Denied => return Err(login_error(idgate_core::login::LoginError::Denied)),
    }
    let username = n.username.as_str();
    if row.username.as_deref().is_some_and(|u| u != username) {
        let mut e = ApiError::new(
            Code::InvalidRequest,
            "the login was started for another username",
        );
        e.details.push(FieldError::new(
            "username",
            "mismatch",
            "differs from the username given at start",
        ));
        return Err(e);
    }
    row.username = Some(username.to_owned());
    let short = n.short_token.as_str();
    let (row, jobs) = guarded_push(st, &c, row, username, short, now).await??;
    announce(st, &row, short).await;
    let notified = deliver_now(st, &jobs).await;
    let mut v = view(st, &c, &row, short, notified);
    v.callback_url = Some(row.callback_url.clone());
    Ok(v)
}

/// The push of `row` to `username`'s devices, decided under the anti push-bombing policy in
/// one transaction with its counts (see [`plan_push`]). The outer error is a storage failure;
/// the inner one the policy's refusal (429), already recorded as an event.
async fn guarded_push(
    st: &AppState,
    c: &Client,
    row: LoginRow,
    username: &str,
    short: &str,
    now: i64,
) -> Result<Result<(LoginRow, Vec<LoginJobRow>), ApiError>, ApiError> {
    let devices = st.store.push_devices(&row.tenant_id, username).await?;
    let policy = st.cfg.login.push_policy();
    let now_s = now / 1000;
    let (tenant_id, client_id) = (row.tenant_id.clone(), c.row.client_id.clone());
    let key = PushKey {
        tenant_id: &tenant_id,
        client_id: &client_id,
        username,
        now,
        rate_since: policy.rate_window_start(now_s).saturating_mul(1000),
        denial_since: policy.denial_window_start(now_s).saturating_mul(1000),
    };
    let mut refusal = None;
    let plan = st
        .store
        .push_guarded(key, |counts| {
            plan_push(st, &policy, row, &devices, short, counts, now, &mut refusal)
        })
        .await?;
    Ok(match plan {
        PushPlan::Apply(row, _, jobs) => Ok((*row, jobs)),
        PushPlan::Refuse(_) => Err(refusal.unwrap_or_else(ApiError::internal)),
    })
}

/// Applies the push policy to the counts (read in the same transaction as the write, see
/// [`idgate_store::Store::push_guarded`]): a refusal (429, kept in `refusal`) records only
/// its event; otherwise the login is marked pushed, with one push job per enrolled device that
/// has a subscription.
#[allow(clippy::too_many_arguments)]
fn plan_push(
    st: &AppState,
    policy: &idgate_core::login::PushPolicy,
    mut row: LoginRow,
    devices: &[idgate_store::DeviceRow],
    short: &str,
    n: idgate_store::PushCountRow,
    now: i64,
    refusal: &mut Option<ApiError>,
) -> PushPlan {
    let now_s = now / 1000;
    let counts = PushCounts {
        pending_for_user: u32::try_from(n.pending_for_user).unwrap_or(u32::MAX),
        sent_in_window: u32::try_from(n.sent_in_window).unwrap_or(u32::MAX),
        oldest_sent_in_window: n.oldest_sent_in_window.map(|t| t / 1000),
        denials_in_window: u32::try_from(n.denials_in_window).unwrap_or(u32::MAX),
        last_denial_at: n.last_denial_at.map(|t| t / 1000),
    };
    if let PushDecision::Refuse {
        reason,
        retry_after,
    } = check_push(policy, &counts, now_s)
    {
        let ev = event(
            &row,
            "login.push_refused",
            json!({"reason": reason.as_str()}),
            now,
        );
        tracing::info!(login = %row.id, reason = reason.as_str(), "push refused");
        let mut e = ApiError::new(reason.code(), format!("push refused: {}", reason.as_str()));
        e.details.push(FieldError::new(
            "username",
            reason.as_str(),
            "anti push-bombing limit reached",
        ));
        e.retry_after = retry_after.map(|s| s.max(1) as u64);
        *refusal = Some(e);
        return PushPlan::Refuse(vec![ev]);
    }
    let (mut events, mut jobs) = (Vec::new(), Vec::new());
    row.updated_at = now;
    row.version += 1;
    if devices.is_empty() {
        events.push(event(
            &row,
            "login.push_skipped",
            json!({"reason": "no_enrolled_device"}),
            now,
        ));
        return PushPlan::Apply(Box::new(row), events, jobs);
    }
    row.pushed_at = Some(now);
    for d in devices {
        jobs.push(push_job(st, &row, &d.id, short, now));
    }
    events.push(event(
        &row,
        "login.push_sent",
        json!({"devices": devices.len()}),
        now,
    ));
    PushPlan::Apply(Box::new(row), events, jobs)
}
