//! TLS client configuration shared by fetch() and WebSocket (wss): rustls with the ring provider,
//! the Mozilla roots of webpki-roots, plus the host's `network.caCertificates`.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use std::sync::{Arc, OnceLock};

/// A client config trusting the webpki roots and every certificate in `extra_pem` (PEM text, one
/// or more certificates each). No ALPN is set: callers set theirs on a clone (`h2`/`http/1.1`
/// for HTTP, none for WebSocket). Configs without extra CAs are built once per process.
pub fn client_config(extra_pem: &[String]) -> Result<Arc<ClientConfig>, String> {
  static DEFAULT: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
  if extra_pem.is_empty() {
    return DEFAULT.get_or_init(|| build(&[])).clone();
  }
  build(extra_pem)
}

fn build(extra_pem: &[String]) -> Result<Arc<ClientConfig>, String> {
  let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
  for (i, pem) in extra_pem.iter().enumerate() {
    let mut found = 0;
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
      let cert = cert.map_err(|e| format!("network.caCertificates[{i}] is not valid PEM: {e}"))?;
      roots.add(cert).map_err(|e| format!("network.caCertificates[{i}] is not a usable CA certificate: {e}"))?;
      found += 1;
    }
    if found == 0 {
      return Err(format!("network.caCertificates[{i}] holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
  }
  let provider = Arc::new(rustls::crypto::ring::default_provider());
  let config = ClientConfig::builder_with_provider(provider)
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup failed: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
  Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn builds_default_and_rejects_bad_pem() {
    assert!(client_config(&[]).is_ok());
    assert!(client_config(&["not a pem".into()]).is_err());
    let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_string();
    assert!(client_config(&[garbage]).is_err());
  }
}
