//! The egress policy of a runtime (`createRuntime({ network })`), as given by the host, and the
//! checks every outgoing connection (fetch, WebSocket, `connect()` sockets) goes through: the URL
//! (or a socket's host and port) against `allowedHosts`, then every resolved address against
//! `allowPrivateNetworks`. Connections go only to addresses that were checked, so a name that
//! resolves to a private address later (DNS rebinding) gains nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Default of `network.maxConnections`: open sockets, WebSockets and fetches in flight together.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Default of `network.socketIdleTimeout` (ms): a `connect()` socket with no bytes moving either
/// way for this long is closed with an error.
pub const DEFAULT_SOCKET_IDLE_MS: u64 = 5 * 60 * 1000;

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkOptions {
  /// Origins or host patterns: 'https://api.example.com', 'http://127.0.0.1:8080', '*.example.com'.
  /// Empty: every public host is allowed.
  pub allowed_hosts: Vec<String>,
  /// Loopback, RFC 1918, link-local, ULA and their IPv4-mapped forms; default false.
  pub allow_private_networks: bool,
  pub max_concurrent_requests: usize,
  pub max_response_bytes: Option<u64>,
  /// Per request, in ms.
  pub timeout_ms: Option<u64>,
  /// Extra trusted CA certificates, PEM.
  pub ca_certificates: Vec<String>,
  /// Open `connect()` sockets, WebSockets and fetch() requests in flight, together.
  pub max_connections: usize,
  /// A `connect()` socket idle (no bytes either way) for this long is closed, in ms.
  pub socket_idle_timeout_ms: u64,
  /// The connections open now, shared by every clone of these options (one runtime's fetch,
  /// WebSocket and socket areas all clone the runtime's options).
  pub connections: Arc<OpenConnections>,
}

/// Counts a runtime's open connections against `maxConnections`.
#[derive(Debug, Default)]
pub struct OpenConnections {
  open: AtomicUsize,
}

/// State, not configuration: two counters are equal whatever they count.
impl PartialEq for OpenConnections {
  fn eq(&self, _: &Self) -> bool {
    true
  }
}

/// One open connection; dropping it frees its place.
#[derive(Debug)]
pub struct ConnectionSlot(Arc<OpenConnections>);

impl Drop for ConnectionSlot {
  fn drop(&mut self) {
    self.0.open.fetch_sub(1, Ordering::AcqRel);
  }
}

impl NetworkOptions {
  /// A place for one more connection, or the refusal to show when `maxConnections` are open.
  pub fn connection_slot(&self) -> Result<ConnectionSlot, String> {
    let max = self.max_connections;
    let counter = &self.connections.open;
    match counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1)) {
      Ok(_) => Ok(ConnectionSlot(self.connections.clone())),
      Err(_) => Err(format!("too many connections: network.maxConnections ({max}) sockets, WebSockets and fetches are open; close some first")),
    }
  }

  /// Connections open now.
  #[cfg(test)]
  pub fn open_connections(&self) -> usize {
    self.connections.open.load(Ordering::Acquire)
  }
}

impl Default for NetworkOptions {
  fn default() -> Self {
    Self {
      allowed_hosts: Vec::new(),
      allow_private_networks: false,
      max_concurrent_requests: 64,
      max_response_bytes: None,
      timeout_ms: None,
      ca_certificates: Vec::new(),
      max_connections: DEFAULT_MAX_CONNECTIONS,
      socket_idle_timeout_ms: DEFAULT_SOCKET_IDLE_MS,
      connections: Arc::new(OpenConnections::default()),
    }
  }
}

/// The message of every refusal starts with this, so callers can tell a refusal from a failure.
pub const REFUSED: &str = "refused by policy";

/// Checks a `connect()` socket's destination before any connection: `host` (canonical, as
/// `url::Host` prints it) and `port` against `allowedHosts` (only `tcp://` and scheme-less
/// entries allow sockets), and an IP-literal host against `allowPrivateNetworks`. Names are
/// checked again once resolved (`resolve_checked`).
pub fn check_socket(host: &str, port: u16, opts: &NetworkOptions) -> Result<(), String> {
  if host.is_empty() {
    return Err(format!("{REFUSED}: the address has no host"));
  }
  if !opts.allowed_hosts.is_empty() && !opts.allowed_hosts.iter().any(|p| socket_pattern_matches(p, host, port)) {
    return Err(format!("{REFUSED}: {host}:{port} is not in network.allowedHosts (a socket needs an entry such as 'tcp://{host}:{port}')"));
  }
  if let Some(ip) = ip_literal(host) {
    check_ip(host, ip, opts)?;
  }
  Ok(())
}

/// Checks a URL (http, https, ws, wss) against the policy before any connection: the scheme, the
/// host against `allowedHosts`, and an IP-literal host against `allowPrivateNetworks`. Names are
/// checked again once resolved (`resolve_checked`).
pub fn check_url(url: &url::Url, opts: &NetworkOptions) -> Result<(), String> {
  let scheme = url.scheme();
  if !matches!(scheme, "http" | "https" | "ws" | "wss") {
    return Err(format!("{REFUSED}: the scheme '{scheme}:' is not allowed"));
  }
  let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
    return Err(format!("{REFUSED}: the URL has no host"));
  };
  let port = url.port_or_known_default().unwrap_or(0);
  if !opts.allowed_hosts.is_empty() && !opts.allowed_hosts.iter().any(|p| pattern_matches(p, scheme, host, port)) {
    return Err(format!("{REFUSED}: {} is not in network.allowedHosts", origin(scheme, host, port)));
  }
  if let Some(ip) = ip_literal(host) {
    check_ip(host, ip, opts)?;
  }
  Ok(())
}

/// Resolves `host` (a name, an IPv4 literal or a bracketed or bare IPv6 literal) and checks every
/// address; connect only to the addresses returned. Refuses if any address is refused, so that
/// which one a client happens to try first changes nothing.
pub async fn resolve_checked(host: &str, port: u16, opts: &NetworkOptions) -> Result<Vec<SocketAddr>, String> {
  if let Some(ip) = ip_literal(host) {
    check_ip(host, ip, opts)?;
    return Ok(vec![SocketAddr::new(ip, port)]);
  }
  let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
    .await
    .map_err(|e| format!("DNS lookup of {host} failed: {e}"))?
    .collect();
  if addrs.is_empty() {
    return Err(format!("DNS lookup of {host} failed: no addresses"));
  }
  for a in &addrs {
    check_ip(host, a.ip(), opts)?;
  }
  Ok(addrs)
}

fn check_ip(host: &str, ip: IpAddr, opts: &NetworkOptions) -> Result<(), String> {
  if !opts.allow_private_networks && is_private(ip) {
    let what = if ip_literal(host) == Some(ip) { format!("{ip}") } else { format!("{host} (resolved to {ip})") };
    return Err(format!("{REFUSED}: {what} is a private address (set network.allowPrivateNetworks to allow it)"));
  }
  Ok(())
}

fn ip_literal(host: &str) -> Option<IpAddr> {
  let h = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
  h.parse().ok()
}

fn origin(scheme: &str, host: &str, port: u16) -> String {
  format!("{scheme}://{host}:{port}")
}

/// Not publicly routable: loopback, unspecified, RFC 1918, CGNAT (RFC 6598), link-local,
/// benchmarking, reserved, broadcast, multicast; IPv6 loopback, ULA, link- and site-local,
/// multicast; and every IPv6 form that embeds an IPv4 address (mapped, compatible, NAT64, 6to4),
/// judged by that address.
pub fn is_private(ip: IpAddr) -> bool {
  match ip {
    IpAddr::V4(v4) => v4_private(v4),
    IpAddr::V6(v6) => v6_private(v6),
  }
}

fn v4_private(ip: Ipv4Addr) -> bool {
  let o = ip.octets();
  ip.is_unspecified()
    || ip.is_loopback()
    || ip.is_private()
    || ip.is_link_local()
    || ip.is_broadcast()
    || ip.is_multicast()
    || o[0] == 0
    || (o[0] == 100 && (o[1] & 0xc0) == 64)
    || (o[0] == 192 && o[1] == 0 && o[2] == 0)
    || (o[0] == 198 && (o[1] & 0xfe) == 18)
    || o[0] >= 240
}

fn v6_private(ip: Ipv6Addr) -> bool {
  if let Some(v4) = embedded_v4(ip) {
    return v4_private(v4);
  }
  let s = ip.segments();
  ip.is_unspecified()
    || ip.is_loopback()
    || (s[0] & 0xfe00) == 0xfc00
    || (s[0] & 0xffc0) == 0xfe80
    || (s[0] & 0xffc0) == 0xfec0
    || (s[0] & 0xff00) == 0xff00
}

/// The IPv4 address inside an IPv6 one, for the forms that reach it: ::ffff:a.b.c.d (mapped),
/// ::a.b.c.d (compatible, deprecated), ::ffff:0:a.b.c.d (SIIT), 64:ff9b::/96 and 64:ff9b:1::/48
/// (NAT64), 2002::/16 (6to4).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
  let s = ip.segments();
  let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
  if s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff {
    return Some(tail);
  }
  if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
    return Some(tail);
  }
  if s[..4] == [0, 0, 0, 0] && s[4] == 0xffff && s[5] == 0 {
    return Some(tail);
  }
  if s[0] == 0x64 && s[1] == 0xff9b && (s[2..6] == [0, 0, 0, 0] || s[2] == 1) {
    return Some(tail);
  }
  if s[0] == 0x2002 {
    return Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
  }
  None
}

/// A parsed `allowedHosts` entry.
#[derive(Debug, PartialEq)]
struct Pattern {
  /// 'http' or 'https' (ws and wss match them too), 'tcp' (sockets only); None: any.
  scheme: Option<String>,
  /// Canonical host (as `url::Url::host_str` gives it), or the suffix after '*.'.
  host: String,
  wildcard: bool,
  /// None: any port when no scheme is given, else the scheme's default port.
  port: Option<u16>,
}

/// Checks that an `allowedHosts` entry is one this module understands.
pub fn validate_pattern(p: &str) -> Result<(), String> {
  parse_pattern(p).map(|_| ()).ok_or_else(|| {
    format!("network.allowedHosts: '{p}' is not an origin ('https://api.example.com', 'http://127.0.0.1:8080'), a socket address ('tcp://db.example.com:5432') or a host pattern ('api.example.com', '*.example.com', '*.cache.example.com:6379')")
  })
}

fn parse_pattern(p: &str) -> Option<Pattern> {
  let p = p.trim().to_ascii_lowercase();
  let (scheme, rest) = match p.split_once("://") {
    Some((s, r)) => (Some(s.to_string()), r),
    None => (None, p.as_str()),
  };
  let default_port = match scheme.as_deref() {
    None => None,
    Some("http" | "ws") => Some(80),
    Some("https" | "wss") => Some(443),
    // A raw socket has no default port: 'tcp://' entries name theirs (checked below).
    Some("tcp") => None,
    Some(_) => return None,
  };
  let scheme = scheme.map(|s| if s == "ws" { "http".into() } else if s == "wss" { "https".into() } else { s });
  let rest = rest.strip_suffix('/').unwrap_or(rest);
  if rest.contains('/') || rest.contains('@') || rest.is_empty() {
    return None;
  }
  // host[:port], the host maybe [v6].
  let (host, port) = if rest.starts_with('[') {
    let end = rest.find(']')?;
    let port = &rest[end + 1..];
    (&rest[..=end], if port.is_empty() { None } else { Some(port.strip_prefix(':')?) })
  } else {
    match rest.rsplit_once(':') {
      Some((h, port)) => (h, Some(port)),
      None => (rest, None),
    }
  };
  let port = match port {
    Some(n) => Some(n.parse::<u16>().ok().filter(|n| *n != 0)?),
    None => default_port,
  };
  if scheme.as_deref() == Some("tcp") && port.is_none() {
    return None;
  }
  if host == "*" {
    return Some(Pattern { scheme, host: String::new(), wildcard: true, port });
  }
  let (wildcard, name) = match host.strip_prefix("*.") {
    Some(n) => (true, n),
    None => (false, host),
  };
  // The canonical form the URL parser gives (IPv4 shorthand, IDN, IPv6 compression).
  let parsed = url::Url::parse(&format!("http://{name}/")).ok()?;
  let canonical = parsed.host_str()?.to_string();
  if wildcard && canonical.starts_with('[') {
    return None;
  }
  Some(Pattern { scheme, host: canonical, wildcard, port })
}

fn pattern_matches(p: &str, scheme: &str, host: &str, port: u16) -> bool {
  let Some(p) = parse_pattern(p) else { return false };
  let scheme = match scheme {
    "ws" => "http",
    "wss" => "https",
    s => s,
  };
  if p.scheme.as_deref().is_some_and(|s| s != scheme) || p.port.is_some_and(|n| n != port) {
    return false;
  }
  host_matches(&p, host)
}

/// A socket to `host:port` is allowed by `tcp://host:port` and by scheme-less entries; an origin
/// ('https://…') allows that protocol only, never a raw socket to its port.
fn socket_pattern_matches(p: &str, host: &str, port: u16) -> bool {
  let Some(p) = parse_pattern(p) else { return false };
  if p.scheme.as_deref().is_some_and(|s| s != "tcp") || p.port.is_some_and(|n| n != port) {
    return false;
  }
  host_matches(&p, host)
}

fn host_matches(p: &Pattern, host: &str) -> bool {
  let host = host.strip_suffix('.').unwrap_or(host);
  if !p.wildcard {
    return host == p.host;
  }
  // '*.example.com' is every subdomain of example.com, not example.com itself; '*' any host.
  p.host.is_empty() || host.strip_suffix(p.host.as_str()).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
}

#[cfg(test)]
mod tests {
  #![allow(clippy::unwrap_used)]
  use super::*;

  fn private(s: &str) -> bool {
    is_private(s.parse().unwrap_or_else(|_| panic!("bad ip {s}")))
  }

  #[test]
  fn classifies_addresses() {
    for ip in [
      "127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
      "100.64.0.1", "255.255.255.255", "224.0.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1",
      "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::127.0.0.1", "::ffff:0:192.168.0.1",
      "64:ff9b::7f00:1", "2002:7f00:1::", "2002:c0a8:101::1",
    ] {
      assert!(private(ip), "{ip} should be private");
    }
    for ip in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
      assert!(!private(ip), "{ip} should be public");
    }
  }

  fn url(s: &str) -> url::Url {
    url::Url::parse(s).unwrap_or_else(|_| panic!("bad url {s}"))
  }

  fn opts(hosts: &[&str], private: bool) -> NetworkOptions {
    NetworkOptions { allowed_hosts: hosts.iter().map(|s| s.to_string()).collect(), allow_private_networks: private, ..Default::default() }
  }

  #[test]
  fn matches_patterns() {
    let o = opts(&["https://api.example.com", "http://127.0.0.1:8080", "*.example.org", "plain.example.net", "http://[::1]:9000"], true);
    assert!(check_url(&url("https://api.example.com/x"), &o).is_ok());
    assert!(check_url(&url("https://API.example.com:443/x"), &o).is_ok());
    assert!(check_url(&url("wss://api.example.com/x"), &o).is_ok());
    assert!(check_url(&url("http://api.example.com/x"), &o).is_err());
    assert!(check_url(&url("https://api.example.com:8443/x"), &o).is_err());
    assert!(check_url(&url("https://x.api.example.com/"), &o).is_err());
    assert!(check_url(&url("http://127.0.0.1:8080/"), &o).is_ok());
    assert!(check_url(&url("http://127.1:8080/"), &o).is_ok());
    assert!(check_url(&url("http://127.0.0.1:8081/"), &o).is_err());
    assert!(check_url(&url("https://a.example.org:9/"), &o).is_ok());
    assert!(check_url(&url("http://a.b.example.org/"), &o).is_ok());
    assert!(check_url(&url("https://example.org/"), &o).is_err());
    assert!(check_url(&url("https://evilexample.org/"), &o).is_err());
    assert!(check_url(&url("http://plain.example.net:1234/"), &o).is_ok());
    assert!(check_url(&url("http://[::1]:9000/"), &o).is_ok());
    assert!(check_url(&url("http://[0:0::1]:9000/"), &o).is_ok());
    assert!(check_url(&url("ftp://api.example.com/"), &o).is_err());
    assert!(check_url(&url("https://anything.test/"), &opts(&[], false)).is_ok());
    assert!(check_url(&url("https://anything.test/"), &opts(&["*"], false)).is_ok());
    assert!(validate_pattern("https://api.example.com").is_ok());
    assert!(validate_pattern("ftp://x").is_err());
    assert!(validate_pattern("https://x/path").is_err());
    assert!(validate_pattern("https://x:99999").is_err());
  }

  #[test]
  fn socket_patterns_need_their_port_and_never_follow_origins() {
    let o = opts(&["tcp://db.example.com:5432", "*.cache.example.com:6379", "https://api.example.com", "any.example.net", "tcp://[::1]:7000"], true);
    assert!(check_socket("db.example.com", 5432, &o).is_ok());
    assert!(check_socket("db.example.com", 5433, &o).is_err());
    assert!(check_socket("a.cache.example.com", 6379, &o).is_ok());
    assert!(check_socket("cache.example.com", 6379, &o).is_err());
    assert!(check_socket("a.cache.example.com", 6380, &o).is_err());
    // An https origin allows fetch to it, not a raw socket to its port.
    assert!(check_socket("api.example.com", 443, &o).is_err());
    assert!(check_socket("any.example.net", 22, &o).is_ok());
    assert!(check_socket("[::1]", 7000, &o).is_ok());
    let e = check_socket("other.example.com", 5432, &o).unwrap_err();
    assert!(e.starts_with(REFUSED) && e.contains("tcp://other.example.com:5432"), "{e}");
    // tcp:// entries do not let fetch or WebSockets through.
    assert!(check_url(&url("http://db.example.com:5432/"), &o).is_err());
    assert!(validate_pattern("tcp://db.example.com:5432").is_ok());
    assert!(validate_pattern("TCP://DB.example.com:5432").is_ok());
    assert!(validate_pattern("tcp://db.example.com").is_err());
    assert!(validate_pattern("tcp://db.example.com:0").is_err());
    assert!(validate_pattern("tcp://db.example.com:65536").is_err());
    assert!(validate_pattern("udp://db.example.com:53").is_err());
    // With no allowedHosts, any public host, and private ones only when allowed.
    assert!(check_socket("db.example.com", 1, &opts(&[], false)).is_ok());
    assert!(check_socket("127.0.0.1", 5432, &opts(&[], false)).unwrap_err().contains("private address"));
    assert!(check_socket("10.1.2.3", 5432, &opts(&["tcp://10.1.2.3:5432"], false)).is_err());
    assert!(check_socket("127.0.0.1", 5432, &opts(&[], true)).is_ok());
  }

  #[test]
  fn connection_slots_are_shared_by_clones_and_given_back() {
    let o = NetworkOptions { max_connections: 2, ..Default::default() };
    let copy = o.clone();
    let a = o.connection_slot().unwrap();
    let b = copy.connection_slot().unwrap();
    assert!(o.connection_slot().unwrap_err().contains("maxConnections (2)"));
    drop(a);
    assert_eq!(copy.open_connections(), 1);
    let c = o.connection_slot().unwrap();
    drop((b, c));
    assert_eq!(o.open_connections(), 0);
  }

  #[test]
  fn refuses_private_literals() {
    let o = opts(&[], false);
    for u in ["http://127.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://10.0.0.1/", "http://0x7f.1/", "http://169.254.169.254/"] {
      let e = check_url(&url(u), &o).expect_err(u);
      assert!(e.starts_with(REFUSED), "{e}");
    }
    assert!(check_url(&url("http://127.0.0.1/"), &opts(&[], true)).is_ok());
  }

  #[test]
  fn resolves_and_checks_every_address() {
    let Some(rt) = crate::net::tokio() else { return };
    rt.block_on(async {
      let e = resolve_checked("localhost", 80, &opts(&[], false)).await.expect_err("localhost is private");
      assert!(e.contains("localhost (resolved to"), "{e}");
      let ok = resolve_checked("localhost", 81, &opts(&[], true)).await.unwrap_or_default();
      assert!(!ok.is_empty() && ok.iter().all(|a| a.port() == 81));
      assert!(resolve_checked("[::1]", 80, &opts(&[], false)).await.is_err());
      assert!(resolve_checked("name.invalid", 80, &opts(&[], true)).await.is_err());
    });
  }
}
