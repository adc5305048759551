//! Settings of the server's edges (`[limits]`): body and JSON bounds per kind of route, web-socket
//! frame bounds, connection and in-flight caps, timeouts, rate limits, and which proxies may say
//! who the client is. Defaults suit one node facing the internet behind a TLS terminator.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Body limit of routes whose caller is not authenticated by a header or the path (OAuth
    /// client credentials in the body, the authenticator's signed requests) and of `device_scan`.
    pub small_body_bytes: usize,
    /// Body limit of the hosted `face_recognition` step (a selfie, or up to ~120 liveness frames).
    pub face_step_body_bytes: usize,
    /// Most JSON values (objects, arrays, strings, numbers, literals) one body may hold: memory
    /// per request stays near the body size however the JSON is shaped.
    pub max_json_values: usize,
    /// Largest web-socket message and frame a client may send.
    pub ws_max_message_bytes: usize,
    pub ws_max_frame_bytes: usize,
    /// A client must send a request's headers within this time (also the keep-alive idle time
    /// between requests).
    pub header_read_timeout_ms: u64,
    /// A request (body included) must be answered within this time, else `503`.
    pub request_timeout_ms: u64,
    /// Open TCP connections; past it new connections get `503` and are closed.
    pub max_connections: usize,
    /// Open TCP connections from one client address.
    pub max_connections_per_ip: usize,
    /// Requests being handled at once; past it `503 busy` with `Retry-After` (health checks exempt).
    pub max_in_flight: usize,
    /// Open web sockets from one client address, and per tenant.
    pub max_sockets_per_ip: usize,
    pub max_sockets_per_tenant: usize,
    /// Requests per second (and burst) one client address may make to the public routes
    /// (hosted pages and steps, the authenticator, `/oauth/*`).
    pub ip_requests_per_second: u32,
    pub ip_burst: u32,
    /// Requests per second (and burst) of one tenant's API keys or one OAuth client, unless the
    /// tenant has its own (`idgate tenant limits`).
    pub key_requests_per_second: u32,
    pub key_burst: u32,
    /// Peers (IPs or CIDRs) whose `X-Forwarded-For` names the client; empty: the peer is the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            small_body_bytes: 64 * 1024,
            face_step_body_bytes: 12 * 1024 * 1024,
            max_json_values: 20_000,
            ws_max_message_bytes: 64 * 1024,
            ws_max_frame_bytes: 16 * 1024,
            header_read_timeout_ms: 10_000,
            request_timeout_ms: 30_000,
            max_connections: 16_384,
            max_connections_per_ip: 256,
            max_in_flight: 512,
            max_sockets_per_ip: 32,
            max_sockets_per_tenant: 2_000,
            ip_requests_per_second: 20,
            ip_burst: 60,
            key_requests_per_second: 1_000,
            key_burst: 2_000,
            trusted_proxies: Vec::new(),
        }
    }
}
