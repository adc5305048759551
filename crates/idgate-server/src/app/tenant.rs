//! The authenticated tenant as handlers see it, and its time zone.

use idgate_core::session::decision::Policy;
use idgate_core::session::Settings;
use idgate_store::TenantRow;
use time::UtcOffset;

/// A tenant with its parsed configuration.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub sandbox: bool,
    pub offset: UtcOffset,
    pub defaults: Settings,
    /// How its sessions are decided.
    pub policy: Policy,
    /// Origins allowed to frame its `iframe` sessions.
    pub frame_origins: Vec<String>,
    /// Its own rate limit for API keys and OAuth clients (`idgate tenant limits`).
    pub rate: Option<governor::Quota>,
    /// Where a finished `link` session's page sends the person (with the session id).
    pub redirect_url: Option<String>,
}

/// A tenant's stored rate limit.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct RateLimit {
    pub requests_per_second: u32,
    pub burst: u32,
}

impl Tenant {
    pub fn from_row(row: TenantRow) -> Result<Self, String> {
        let offset = offset_for(&row.time_zone)
            .ok_or_else(|| format!("unknown time zone {}", row.time_zone))?;
        let defaults = match &row.default_settings {
            Some(s) => serde_json::from_str(s).map_err(|e| e.to_string())?,
            None => Settings::default(),
        };
        let rate = match &row.rate_limit {
            Some(s) => {
                let r: RateLimit = serde_json::from_str(s).map_err(|e| e.to_string())?;
                crate::http::guard::quota(r.requests_per_second, r.burst)
            }
            None => None,
        };
        let policy = match &row.decision_policy {
            Some(s) => serde_json::from_str(s).map_err(|e| e.to_string())?,
            None => Policy::default(),
        };
        Ok(Self {
            id: row.id,
            name: row.name,
            sandbox: row.mode == "sandbox",
            offset,
            defaults,
            policy,
            rate,
            frame_origins: row
                .frame_origins
                .as_deref()
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            redirect_url: row.redirect_url,
        })
    }
}

/// The UTC offset of a supported time zone: Brazil's IANA zones (no daylight saving since 2019),
/// `UTC`, or a fixed `±HH:MM`.
pub fn offset_for(tz: &str) -> Option<UtcOffset> {
    let hours = match tz {
        "UTC" | "Etc/UTC" => 0,
        "America/Noronha" => -2,
        "America/Sao_Paulo" | "America/Recife" | "America/Bahia" | "America/Fortaleza"
        | "America/Belem" | "America/Maceio" | "America/Araguaina" | "America/Santarem" => -3,
        "America/Manaus"
        | "America/Cuiaba"
        | "America/Campo_Grande"
        | "America/Porto_Velho"
        | "America/Boa_Vista" => -4,
        "America/Rio_Branco" | "America/Eirunepe" => -5,
        other => return parse_fixed(other),
    };
    UtcOffset::from_hms(hours, 0, 0).ok()
}

fn parse_fixed(s: &str) -> Option<UtcOffset> {
    let b = s.as_bytes();
    if b.len() != 6 || !matches!(b[0], b'+' | b'-') || b[3] != b':' {
        return None;
    }
    let h: i8 = s[1..3].parse().ok()?;
    let m: i8 = s[4..6].parse().ok()?;
    let sign = if b[0] == b'-' { -1 } else { 1 };
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::offset_for;

    #[test]
    fn offsets() {
        assert_eq!(offset_for("America/Sao_Paulo").unwrap().whole_hours(), -3);
        assert_eq!(offset_for("+05:30").unwrap().whole_minutes(), 330);
        assert_eq!(offset_for("-03:00").unwrap().whole_hours(), -3);
        assert!(offset_for("Mars/Olympus").is_none());
        assert!(offset_for("+5:30").is_none());
    }
}
