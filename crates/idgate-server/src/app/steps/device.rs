//! The `device_scan` step: the signals the page collected (`{session_id?, signals?}`) plus what
//! the server sees (IP, `User-Agent`, `Accept-Language`) become a tenant-scoped device
//! fingerprint and risk signals, stored in `step_data.device_scan`. Risk signals:
//! `automation` (`navigator.webdriver`, a headless user agent), `user_agent_mismatch` (the
//! script's and the header's user agents differ), `timezone_language_mismatch` (a pt-BR browser
//! outside Brazil's time zones), `timezone_offset_mismatch` (a Brazilian zone name with another
//! clock offset), `timezone_ip_mismatch` (the browser's time zone is not used in the country of
//! its IP address, per [`crate::app::geo`]), `language_header_mismatch`, and `device_many_cpfs`
//! (the fingerprint verified more than the policy's `max_cpfs_per_device` CPFs for the tenant in
//! 24 h). The IP is kept as seen by this server (after trusted proxies), with its country.

use idgate_core::FieldError;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::super::faces::input::Fields;
use super::super::geo;
use super::super::render::SessionView;
use super::super::tenant::{offset_for, Tenant};
use crate::http::error::ApiError;
use crate::state::AppState;
use idgate_store::NewDeviceUse;

/// The window in which one device's distinct CPFs are counted.
const WINDOW_MS: i64 = 24 * 3600 * 1000;
/// Longest string kept from a signal.
const MAX_STR: usize = 512;

/// What the server sees of the person's request.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    /// The IP's country (ISO 3166 alpha-2), when the IP-country database knows it.
    pub ip_country: Option<String>,
    pub user_agent: Option<String>,
    pub accept_language: Option<String>,
}

/// The page's signals that identify a device (the rest describe it but change too easily).
const STABLE: [&str; 11] = [
    "user_agent",
    "platform",
    "screen",
    "time_zone",
    "languages",
    "hardware_concurrency",
    "device_memory",
    "touch_points",
    "webgl_vendor",
    "webgl_renderer",
    "canvas_hash",
];
/// Every signal kept (unknown ones are dropped).
const KEPT: [&str; 5] = [
    "client_hints",
    "time_zone_offset_min",
    "webdriver",
    "storage",
    "screen",
];

/// Runs the step: answers the `step_data.device_scan` entry (without `event_date`).
pub(super) async fn device_scan(
    st: &AppState,
    t: &Tenant,
    v: &SessionView,
    body: &Value,
    client: &ClientInfo,
) -> Result<Map<String, Value>, ApiError> {
    let mut f = Fields::new(body, &["session_id", "signals"], true)?;
    let id = f.opt_str("session_id");
    if id
        .as_deref()
        .is_some_and(|id| uuid::Uuid::parse_str(id).is_err())
    {
        f.push(FieldError::new(
            "session_id",
            "invalid_format",
            "must be a UUID",
        ));
    }
    let signals = match body.get("signals") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(keep(o)),
        Some(_) => {
            f.push(FieldError::new(
                "signals",
                "invalid_type",
                "must be an object",
            ));
            None
        }
    };
    f.finish()?;
    let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let fingerprint = fingerprint(&t.id, signals.as_ref(), client);
    let mut risks = risk_signals(signals.as_ref(), client);
    let now = st.now();
    let cpfs = st
        .store
        .record_device_use(
            &NewDeviceUse {
                tenant_id: t.id.clone(),
                fingerprint: fingerprint.clone(),
                cpf_hash: crate::app::personal::cpf_hash(&st.keys, &t.id, &v.row.document_number)
                    .unwrap_or_default(),
                session_id: v.row.id.clone(),
                created_at: now,
            },
            now - WINDOW_MS,
        )
        .await?;
    if cpfs > i64::from(t.policy.max_cpfs_per_device) {
        risks.push("device_many_cpfs");
    }
    Ok(Map::from_iter([
        ("session_id".into(), json!(id.to_lowercase())),
        ("fingerprint".into(), json!(fingerprint)),
        ("risk_signals".into(), json!(risks)),
        ("cpfs_on_device_24h".into(), json!(cpfs)),
        (
            "signals".into(),
            signals.map(Value::Object).unwrap_or(Value::Null),
        ),
        (
            "network".into(),
            json!({"ip": client.ip, "ip_country": client.ip_country, "user_agent": client.user_agent, "accept_language": client.accept_language}),
        ),
    ]))
}

/// The risk signals a stored `step_data` holds (for the decision).
pub(super) fn risks(step_data: &Value) -> Vec<String> {
    step_data["device_scan"]["risk_signals"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The known signals, strings cut to [`MAX_STR`], arrays to 16 items.
fn keep(o: &Map<String, Value>) -> Map<String, Value> {
    fn bound(v: &Value, depth: u8) -> Value {
        match v {
            Value::String(s) => json!(s.chars().take(MAX_STR).collect::<String>()),
            Value::Array(a) if depth < 2 => {
                Value::Array(a.iter().take(16).map(|x| bound(x, depth + 1)).collect())
            }
            Value::Object(m) if depth < 2 => Value::Object(
                m.iter()
                    .take(16)
                    .map(|(k, x)| (k.chars().take(64).collect(), bound(x, depth + 1)))
                    .collect(),
            ),
            Value::Array(_) | Value::Object(_) => Value::Null,
            other => other.clone(),
        }
    }
    o.iter()
        .filter(|(k, _)| STABLE.contains(&k.as_str()) || KEPT.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), bound(v, 0)))
        .collect()
}

/// A hash of the stable signals (the headers when the page sent none), scoped to the tenant so
/// that two tenants cannot join their users by it.
fn fingerprint(tenant: &str, signals: Option<&Map<String, Value>>, c: &ClientInfo) -> String {
    let basis = match signals {
        Some(s) => Value::Array(
            STABLE
                .iter()
                .map(|k| s.get(*k).cloned().unwrap_or(Value::Null))
                .collect(),
        ),
        None => json!([c.user_agent, c.accept_language]),
    };
    let mut h = Sha256::new();
    h.update(b"idgate-device\0");
    h.update(tenant.as_bytes());
    h.update(b"\0");
    h.update(basis.to_string().as_bytes());
    hex::encode(&h.finalize()[..16])
}

fn primary_lang(tag: &str) -> String {
    tag.split(['-', '_', ';', ','])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Brazil's IANA time zones (those [`offset_for`] knows by name).
fn brazilian_zone(tz: &str) -> bool {
    tz.starts_with("America/") && offset_for(tz).is_some()
}

fn risk_signals(s: Option<&Map<String, Value>>, c: &ClientInfo) -> Vec<&'static str> {
    let mut out = Vec::new();
    let str_of = |k: &str| s.and_then(|s| s.get(k)).and_then(Value::as_str);
    let header_ua = c.user_agent.as_deref().unwrap_or_default();
    let page_ua = str_of("user_agent");
    let webdriver = s.and_then(|s| s.get("webdriver")) == Some(&Value::Bool(true));
    let headless = [header_ua, page_ua.unwrap_or_default()]
        .iter()
        .any(|ua| ua.contains("HeadlessChrome") || ua.contains("PhantomJS"));
    if webdriver || headless {
        out.push("automation");
    }
    if page_ua.is_some_and(|ua| !header_ua.is_empty() && ua != header_ua) {
        out.push("user_agent_mismatch");
    }
    let first_lang = s
        .and_then(|s| s.get("languages"))
        .and_then(|l| l.get(0))
        .and_then(Value::as_str);
    let tz = str_of("time_zone");
    if let (Some(lang), Some(tz)) = (first_lang, tz) {
        if lang.eq_ignore_ascii_case("pt-BR") && !brazilian_zone(tz) {
            out.push("timezone_language_mismatch");
        }
    }
    let offset = s
        .and_then(|s| s.get("time_zone_offset_min"))
        .and_then(Value::as_i64);
    if let (Some(tz), Some(min)) = (tz.filter(|tz| brazilian_zone(tz)), offset) {
        let want = offset_for(tz).map(|o| i64::from(o.whole_minutes()));
        if want != Some(min) {
            out.push("timezone_offset_mismatch");
        }
    }
    if let (Some(tz), Some(cc)) = (tz, c.ip_country.as_deref()) {
        let used_in = geo::zone_countries(tz);
        if !used_in.is_empty() && !used_in.contains(&cc) {
            out.push("timezone_ip_mismatch");
        }
    }
    if let (Some(lang), Some(header)) = (first_lang, c.accept_language.as_deref()) {
        if !header.is_empty() && primary_lang(lang) != primary_lang(header) {
            out.push("language_header_mismatch");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    const UA: &str = "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36";

    fn client() -> ClientInfo {
        ClientInfo {
            ip: Some("203.0.113.9".into()),
            ip_country: Some("BR".into()),
            user_agent: Some(UA.into()),
            accept_language: Some("pt-BR,pt;q=0.9".into()),
        }
    }

    fn phone() -> Value {
        json!({"user_agent": UA, "languages": ["pt-BR", "pt"], "time_zone": "America/Sao_Paulo",
               "time_zone_offset_min": -180, "webdriver": false, "canvas_hash": "abc"})
    }

    #[test]
    fn a_consistent_phone_raises_nothing() {
        assert_eq!(
            risk_signals(Some(&sig(phone())), &client()),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn each_inconsistency_raises_its_signal() {
        let with = |k: &str, v: Value| {
            let mut s = sig(phone());
            s.insert(k.into(), v);
            risk_signals(Some(&s), &client())
        };
        assert_eq!(with("webdriver", json!(true)), ["automation"]);
        assert_eq!(
            with("user_agent", json!("Mozilla/5.0 HeadlessChrome/131")),
            ["automation", "user_agent_mismatch"]
        );
        // Moscow is neither a pt-BR zone nor one used in Brazil, where the IP is
        assert_eq!(
            with("time_zone", json!("Europe/Moscow")),
            ["timezone_language_mismatch", "timezone_ip_mismatch"]
        );
        assert_eq!(
            with("time_zone_offset_min", json!(180)),
            ["timezone_offset_mismatch"]
        );
        assert_eq!(
            with("languages", json!(["en-US"])),
            ["language_header_mismatch"]
        );
        let mut abroad = client();
        abroad.ip_country = Some("PT".into());
        assert_eq!(
            risk_signals(Some(&sig(phone())), &abroad),
            ["timezone_ip_mismatch"]
        );
        // an unknown country or zone says nothing
        abroad.ip_country = None;
        assert!(risk_signals(Some(&sig(phone())), &abroad).is_empty());
        // a Manaus clock is right for Manaus
        let mut s = sig(phone());
        s.insert("time_zone".into(), json!("America/Manaus"));
        s.insert("time_zone_offset_min".into(), json!(-240));
        assert!(risk_signals(Some(&s), &client()).is_empty());
    }

    #[test]
    fn the_fingerprint_is_stable_per_device_and_scoped_per_tenant() {
        let a = sig(phone());
        let mut b = a.clone();
        // a signal that is not part of the identity does not change it
        b.insert("webdriver".into(), json!(true));
        assert_eq!(
            fingerprint("t1", Some(&a), &client()),
            fingerprint("t1", Some(&b), &client())
        );
        b.insert("canvas_hash".into(), json!("other"));
        assert_ne!(
            fingerprint("t1", Some(&a), &client()),
            fingerprint("t1", Some(&b), &client())
        );
        assert_ne!(
            fingerprint("t1", Some(&a), &client()),
            fingerprint("t2", Some(&a), &client())
        );
        assert_eq!(fingerprint("t1", Some(&a), &client()).len(), 32);
    }

    #[test]
    fn unknown_signals_are_dropped_and_long_ones_cut() {
        let kept = keep(&sig(json!({"user_agent": "x".repeat(5000), "evil": "y",
            "languages": (0..100).map(|i| i.to_string()).collect::<Vec<_>>()})));
        assert!(!kept.contains_key("evil"));
        assert_eq!(kept["user_agent"].as_str().unwrap().len(), MAX_STR);
        assert_eq!(kept["languages"].as_array().unwrap().len(), 16);
    }
}
