//! Where a device seems to be: the country of an IP address (DB-IP's free country database,
//! CC BY 4.0, installed by `scripts/setup.d/35-geo.sh`) and the countries an IANA time zone is
//! used in (the tz database's `zone.tab` and its links, public domain, embedded).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;

/// The IP-country database, when one is installed.
pub struct GeoIp {
    reader: Option<maxminddb::Reader<Vec<u8>>>,
}

#[derive(serde::Deserialize)]
struct Record<'a> {
    country_code: Option<&'a str>,
}

impl GeoIp {
    /// Opens the database at `path`; a missing or unreadable file means no IP countries (logged).
    pub fn open(path: &Path) -> Self {
        let reader = match maxminddb::Reader::open_readfile(path) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e,
                    "no IP-country database: device scans get no timezone_ip_mismatch signal");
                None
            }
        };
        Self { reader }
    }

    /// No database: every lookup answers `None`.
    pub fn none() -> Self {
        Self { reader: None }
    }

    pub fn loaded(&self) -> bool {
        self.reader.is_some()
    }

    /// The ISO 3166 alpha-2 country of a public address (`None` for private ranges, unknown
    /// addresses or without a database).
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let r = self.reader.as_ref()?;
        let rec: Record = r.lookup(ip).ok()?;
        rec.country_code
            .filter(|c| c.len() == 2)
            .map(str::to_ascii_uppercase)
    }
}

/// The default database path: `<models>/geo/dbip-country.mmdb`.
pub fn default_db() -> std::path::PathBuf {
    idgate_vision::face::models_dir().join("geo/dbip-country.mmdb")
}

fn zones() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static Z: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    Z.get_or_init(|| {
        let mut m: HashMap<&str, Vec<&str>> = HashMap::new();
        for line in include_str!("../../data/tz/zone.tab").lines() {
            if let Some((cc, zone)) = line.split_once('\t') {
                m.entry(zone).or_default().push(cc);
            }
        }
        for line in include_str!("../../data/tz/links.tab").lines() {
            if let Some((alias, target)) = line.split_once('\t') {
                if let Some(cc) = m.get(target).cloned() {
                    m.entry(alias).or_insert(cc);
                }
            }
        }
        m
    })
}

/// The countries that use time zone `tz` (empty when the zone is unknown or not a country's,
/// such as `UTC`).
pub fn zone_countries(tz: &str) -> &'static [&'static str] {
    zones().get(tz).map(Vec::as_slice).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_map_to_their_countries_including_old_names() {
        assert_eq!(zone_countries("America/Sao_Paulo"), ["BR"]);
        assert_eq!(zone_countries("America/Manaus"), ["BR"]);
        assert_eq!(zone_countries("Asia/Calcutta"), ["IN"]);
        assert_eq!(zone_countries("Europe/Lisbon"), ["PT"]);
        assert!(zone_countries("UTC").is_empty());
        assert!(zone_countries("Mars/Olympus").is_empty());
    }

    #[test]
    fn without_a_database_there_is_no_country() {
        let g = GeoIp::open(Path::new("/nonexistent/geo.mmdb"));
        assert!(!g.loaded());
        assert_eq!(g.country("8.8.8.8".parse().unwrap()), None);
    }
}
