//! The egress policy of a runtime (`createRuntime({ network })`), as given by the host.

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
    }
  }
}
