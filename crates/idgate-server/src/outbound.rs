//! Outbound HTTP that cannot be turned inward (webhooks, login callbacks, Web Push): only
//! globally routable addresses (the `ip_network` crate's classification plus the ranges it
//! leaves out: multicast, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo
//! `2001::/32`, discard `100::/64`, and IPv4 embedded in IPv6 checked as IPv4); `https` unless
//! private receivers are allowed. The client resolves each name once, through
//! [`GuardedResolver`], and connects only to the addresses that passed the check, so a name
//! cannot resolve to a public address for the check and a private one for the connection
//! (DNS rebinding). Redirects are not followed.

use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ip_network::{Ipv4Network, Ipv6Network};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `ip` is a public, globally routable unicast address.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            !v.is_multicast()
                && Ipv4Network::new(v, 32)
                    .map(|n| n.is_global())
                    .unwrap_or(false)
        }
        IpAddr::V6(v) => {
            if let Some(v4) = embedded_v4(v) {
                return is_global(IpAddr::V4(v4));
            }
            let s = v.segments();
            let nat64 = s[0] == 0x64 && s[1] == 0xff9b;
            let six_to_four = s[0] == 0x2002;
            let teredo = s[0] == 0x2001 && s[1] == 0;
            let discard = s[0] == 0x100 && s[1..4] == [0, 0, 0];
            !(v.is_multicast() || nat64 || six_to_four || teredo || discard)
                && Ipv6Network::new(v, 128)
                    .map(|n| n.is_unicast_global())
                    .unwrap_or(false)
        }
    }
}

/// The IPv4 address of an IPv4-mapped (`::ffff:a.b.c.d`) or -compatible (`::a.b.c.d`) address.
fn embedded_v4(v: Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    if let Some(m) = v.to_ipv4_mapped() {
        return Some(m);
    }
    let s = v.segments();
    (s[..6] == [0; 6] && !v.is_loopback() && !v.is_unspecified()).then(|| {
        let o = v.octets();
        std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15])
    })
}

/// Checks a receiver URL: `https` (or `http` when `allow_private`), a host, and no literal
/// address outside the global range unless `allow_private`.
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, String> {
    check_url_with(raw, allow_private, false)
}

/// The form in which a URL is stored and compared (the parser's serialisation).
pub fn normal_url(raw: &str) -> Result<String, String> {
    url::Url::parse(raw)
        .map(|u| u.to_string())
        .map_err(|e| format!("invalid URL {raw}: {e}"))
}

/// [`check_url`], where `http_allowed` (the tenant allowed this URL over `http`) also admits
/// plain `http`; the address rules are unchanged by it.
pub fn check_url_with(
    raw: &str,
    allow_private: bool,
    http_allowed: bool,
) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("invalid URL {raw}: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private || http_allowed => {}
        "http" => return Err(format!("{raw}: only https URLs are allowed")),
        _ => return Err(format!("{raw}: only https URLs are allowed")),
    }
    let host = url.host_str().ok_or_else(|| format!("{raw}: no host"))?;
    if !allow_private {
        let h = host.trim_start_matches('[').trim_end_matches(']');
        let local_name = h.eq_ignore_ascii_case("localhost") || h.ends_with(".localhost");
        if local_name
            || h.parse::<IpAddr>()
                .map(|ip| !is_global(ip))
                .unwrap_or(false)
        {
            return Err(format!(
                "{raw}: private, loopback and reserved addresses are refused"
            ));
        }
    }
    Ok(url)
}

/// A name lookup (the system resolver in production; a scripted one in tests).
pub trait Lookup: Send + Sync + 'static {
    fn lookup(
        &self,
        host: String,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;
}

/// The system resolver.
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(
        &self,
        host: String,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
    }
}

/// Resolves a name and refuses it when any of its addresses is not global (unless private
/// receivers are allowed); the HTTP client connects only to what this returned.
pub struct GuardedResolver {
    pub allow_private: bool,
    pub lookup: Arc<dyn Lookup>,
}

impl GuardedResolver {
    /// The checked addresses of `host`.
    pub async fn resolve_checked(&self, host: String) -> Result<Vec<SocketAddr>, String> {
        let addrs = self
            .lookup
            .lookup(host.clone())
            .await
            .map_err(|e| format!("resolve {host}: {e}"))?;
        if addrs.is_empty() {
            return Err(format!("{host} has no address"));
        }
        if !self.allow_private && addrs.iter().any(|a| !is_global(a.ip())) {
            return Err(format!("{host} resolves to a private or reserved address"));
        }
        Ok(addrs)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let me = GuardedResolver {
            allow_private: self.allow_private,
            lookup: self.lookup.clone(),
        };
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = me.resolve_checked(host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client for outbound calls: checked resolution, no redirects, a timeout.
pub fn client(
    timeout: Duration,
    allow_private: bool,
    user_agent: &str,
) -> Result<reqwest::Client, String> {
    let resolver = GuardedResolver {
        allow_private,
        lookup: Arc::new(SystemLookup),
    };
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(resolver))
        .user_agent(user_agent)
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn only_global_addresses_pass() {
        for bad in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "198.18.0.1",
            "198.19.255.1",
            "240.0.0.1",
            "224.0.0.1",
            "239.1.1.1",
            "192.0.2.1",
            "192.0.0.8",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2001::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "100::1",
        ] {
            assert!(!is_global(bad.parse().unwrap()), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:93.184.216.34",
        ] {
            assert!(is_global(good.parse().unwrap()), "{good}");
        }
    }

    #[test]
    fn urls_must_be_https_and_public() {
        assert!(check_url("https://example.com/hook", false).is_ok());
        for bad in [
            "http://example.com/hook",
            "http://10.0.0.1/",
            "https://10.0.0.1/",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://[64:ff9b::a00:1]/",
            "https://localhost/",
            "https://198.18.0.1/",
            "ftp://example.com/",
            "nonsense",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
    }

    /// Answers a public address on the first lookup and 127.0.0.1 afterwards (a rebinding name).
    struct Rebinding(AtomicUsize);

    impl Lookup for Rebinding {
        fn lookup(
            &self,
            _host: String,
        ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            let ip = if n == 0 { "93.184.216.34" } else { "127.0.0.1" };
            Box::pin(async move { Ok(vec![SocketAddr::new(ip.parse().unwrap(), 0)]) })
        }
    }

    #[tokio::test]
    async fn a_name_rebound_to_loopback_is_refused_at_the_lookup_that_connects() {
        let r = GuardedResolver {
            allow_private: false,
            lookup: Arc::new(Rebinding(AtomicUsize::new(0))),
        };
        let first = r.resolve_checked("rebind.example".into()).await.unwrap();
        assert_eq!(first[0].ip().to_string(), "93.184.216.34");
        // the lookup the connection uses is checked too: 127.0.0.1 never reaches connect
        let second = r.resolve_checked("rebind.example".into()).await;
        assert!(second.unwrap_err().contains("private"));
    }

    #[tokio::test]
    async fn the_client_never_connects_to_a_refused_name() {
        // a receiver on loopback, and a name that resolves to it
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let resolver = GuardedResolver {
            allow_private: false,
            lookup: Arc::new(Rebinding(AtomicUsize::new(1))),
        };
        let c = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .build()
            .unwrap();
        let err = c
            .post(format!("http://rebind.example:{port}/hook"))
            .send()
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains("private"), "{err:?}");
    }
}
