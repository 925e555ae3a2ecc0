//! `runtime.listen(options)`: the options, their defaults and their validation. Every error
//! names the option (`listen(options): port must be …`); reading an option runs host code
//! (getters), and a throw is reported as a TypeError naming it.

use crate::errors::ErrorInfo;
use crate::host::napi::{Env, Val};
// The option readers createRuntime uses; `named` puts "listen(options): " before their messages.
use crate::host::options::{field, function, kind_name, named, number, type_of, unreadable};
use crate::host::Ref;
use napi::sys;
use std::sync::Arc;
use std::time::Duration;

type R<T> = Result<T, ErrorInfo>;

/// Defaults (documented in the README and src/types.d.ts).
pub const DEFAULT_MAX_BODY: u64 = 128 << 20;
pub const DEFAULT_MAX_HEADER: usize = 16 << 10;
pub const DEFAULT_HEADERS_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
pub const DEFAULT_WS_MAX_PAYLOAD: usize = 16 << 20;
pub const DEFAULT_WS_IDLE: Duration = Duration::from_secs(120);
pub const DEFAULT_WS_BACKPRESSURE: usize = 16 << 20;

#[derive(Clone)]
pub struct Options {
  pub port: u16,
  pub hostname: String,
  pub tls: Option<Arc<rustls::ServerConfig>>,
  pub max_request_body_bytes: u64,
  pub max_header_bytes: usize,
  pub headers_timeout: Duration,
  pub idle_timeout: Duration,
  pub max_connections: usize,
  pub ws_max_payload: usize,
  pub ws_idle_timeout: Duration,
  pub ws_backpressure_limit: usize,
}

impl Default for Options {
  fn default() -> Self {
    Self {
      port: 0,
      hostname: "127.0.0.1".into(),
      tls: None,
      max_request_body_bytes: DEFAULT_MAX_BODY,
      max_header_bytes: DEFAULT_MAX_HEADER,
      headers_timeout: DEFAULT_HEADERS_TIMEOUT,
      idle_timeout: DEFAULT_IDLE_TIMEOUT,
      max_connections: DEFAULT_MAX_CONNECTIONS,
      ws_max_payload: DEFAULT_WS_MAX_PAYLOAD,
      ws_idle_timeout: DEFAULT_WS_IDLE,
      ws_backpressure_limit: DEFAULT_WS_BACKPRESSURE,
    }
  }
}

/// The host callbacks of a server.
#[derive(Default)]
pub struct Callbacks {
  pub on_connection: Option<Ref>,
  pub on_disconnection: Option<Ref>,
}

/// An integer in `min..=max`.
fn integer(env: Env, v: Val, what: &str, min: f64, max: f64, unit: &str) -> R<f64> {
  let n = number(env, v, what)?;
  if !(n.fract() == 0.0 && n >= min && n <= max) {
    return Err(ErrorInfo::range_error(format!("listen(options): {what} must be an integer from {min} to {max}{unit} (got {n})")));
  }
  Ok(n)
}

fn millis(env: Env, v: Val, what: &str) -> R<Duration> {
  Ok(Duration::from_millis(integer(env, v, what, 1.0, 2_147_483_647.0, " milliseconds")? as u64))
}

/// A PEM string, Buffer or Uint8Array.
fn pem(env: Env, v: Val, what: &str) -> R<Vec<u8>> {
  let t = type_of(env, v, what)?;
  if t == sys::ValueType::napi_string {
    return env.get_string(v).map(String::into_bytes).map_err(|f| unreadable(env, what, f));
  }
  if t == sys::ValueType::napi_object && env.is_typedarray(v).unwrap_or(false) {
    let info = env.typedarray_info(v).map_err(|f| unreadable(env, what, f))?;
    if info.kind == sys::TypedarrayType::uint8_array && !info.data.is_null() {
      // SAFETY: N-API gives the view's data pointer and element count; nothing runs meanwhile.
      return Ok(unsafe { std::slice::from_raw_parts(info.data, info.length) }.to_vec());
    }
    if info.kind == sys::TypedarrayType::uint8_array {
      return Ok(Vec::new());
    }
  }
  Err(ErrorInfo::type_error(format!("listen(options): {what} must be a PEM string or a Buffer (got {})", kind_name(t))))
}

/// rustls server config from PEM key and certificate chain; ALPN h2 and http/1.1.
pub fn tls_config(key: &[u8], cert: &[u8]) -> R<Arc<rustls::ServerConfig>> {
  use rustls::pki_types::pem::PemObject;
  use rustls::pki_types::{CertificateDer, PrivateKeyDer};
  let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
    .collect::<Result<_, _>>()
    .map_err(|e| ErrorInfo::type_error(format!("listen(options): tls.cert is not valid PEM: {e}")))?;
  if certs.is_empty() {
    return Err(ErrorInfo::type_error("listen(options): tls.cert holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
  }
  let key = PrivateKeyDer::from_pem_slice(key)
    .map_err(|e| ErrorInfo::type_error(format!("listen(options): tls.key holds no usable PEM private key: {e}")))?;
  let provider = Arc::new(rustls::crypto::ring::default_provider());
  let mut config = rustls::ServerConfig::builder_with_provider(provider)
    .with_safe_default_protocol_versions()
    .map_err(|e| ErrorInfo::new("Error", format!("listen(options): TLS setup failed: {e}")))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| ErrorInfo::type_error(format!("listen(options): tls.key does not fit tls.cert: {e}")))?;
  config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
  Ok(Arc::new(config))
}

/// # Safety
/// On the main thread, with the env of the current call.
pub unsafe fn parse(env: sys::napi_env, options: Option<Val>) -> R<(Options, Callbacks)> {
  unsafe { listen_options(env, options) }.map_err(|e| named(e, "listen(options): "))
}

unsafe fn listen_options(env: sys::napi_env, options: Option<Val>) -> R<(Options, Callbacks)> {
  let env = unsafe { Env::from_raw(env) };
  let mut opts = Options::default();
  let mut cbs = Callbacks::default();
  let Some(o) = options else { return Ok((opts, cbs)) };
  let t = type_of(env, o, "options")?;
  if matches!(t, sys::ValueType::napi_undefined | sys::ValueType::napi_null) {
    return Ok((opts, cbs));
  }
  if t != sys::ValueType::napi_object {
    return Err(ErrorInfo::type_error(format!("listen(options): options must be an object such as {{ port: 8787 }} (got {})", kind_name(t))));
  }
  if let Some(v) = field(env, o, "port", "port")? {
    opts.port = integer(env, v, "port", 0.0, 65535.0, "")? as u16;
  }
  if let Some(v) = field(env, o, "hostname", "hostname")? {
    let t = type_of(env, v, "hostname")?;
    if t != sys::ValueType::napi_string {
      return Err(ErrorInfo::type_error(format!("listen(options): hostname must be a string such as '127.0.0.1' (got {})", kind_name(t))));
    }
    let h = env.get_string(v).map_err(|f| unreadable(env, "hostname", f))?;
    let h = h.trim_start_matches('[').trim_end_matches(']').to_string();
    if h.is_empty() || h.len() > 253 || h.chars().any(|c| c.is_whitespace() || c == '/' || c == '\0') {
      return Err(ErrorInfo::type_error(format!("listen(options): hostname must be a host name or an IP address (got '{h}')")));
    }
    opts.hostname = h;
  }
  if let Some(tls) = field(env, o, "tls", "tls")? {
    if type_of(env, tls, "tls")? != sys::ValueType::napi_object {
      return Err(ErrorInfo::type_error("listen(options): tls must be an object { key, cert } of PEM strings or Buffers"));
    }
    let key = field(env, tls, "key", "tls.key")?.ok_or_else(|| ErrorInfo::type_error("listen(options): tls.key is required (a PEM private key)"))?;
    let cert = field(env, tls, "cert", "tls.cert")?.ok_or_else(|| ErrorInfo::type_error("listen(options): tls.cert is required (a PEM certificate chain)"))?;
    let key = pem(env, key, "tls.key")?;
    let cert = pem(env, cert, "tls.cert")?;
    opts.tls = Some(tls_config(&key, &cert)?);
  }
  if let Some(v) = field(env, o, "maxRequestBodyBytes", "maxRequestBodyBytes")? {
    opts.max_request_body_bytes = integer(env, v, "maxRequestBodyBytes", 0.0, 9_007_199_254_740_991.0, " bytes")? as u64;
  }
  if let Some(v) = field(env, o, "maxHeaderBytes", "maxHeaderBytes")? {
    opts.max_header_bytes = integer(env, v, "maxHeaderBytes", 1024.0, 1_048_576.0, " bytes")? as usize;
  }
  if let Some(v) = field(env, o, "headersTimeout", "headersTimeout")? {
    opts.headers_timeout = millis(env, v, "headersTimeout")?;
  }
  if let Some(v) = field(env, o, "idleTimeout", "idleTimeout")? {
    opts.idle_timeout = millis(env, v, "idleTimeout")?;
  }
  if let Some(v) = field(env, o, "maxConnections", "maxConnections")? {
    opts.max_connections = integer(env, v, "maxConnections", 1.0, 1_000_000.0, "")? as usize;
  }
  if let Some(ws) = field(env, o, "websocket", "websocket")? {
    if type_of(env, ws, "websocket")? != sys::ValueType::napi_object {
      return Err(ErrorInfo::type_error("listen(options): websocket must be an object such as { maxPayloadLength: 1048576 }"));
    }
    if let Some(v) = field(env, ws, "maxPayloadLength", "websocket.maxPayloadLength")? {
      opts.ws_max_payload = integer(env, v, "websocket.maxPayloadLength", 1.0, 1_073_741_824.0, " bytes")? as usize;
    }
    if let Some(v) = field(env, ws, "idleTimeout", "websocket.idleTimeout")? {
      opts.ws_idle_timeout = millis(env, v, "websocket.idleTimeout")?;
    }
    if let Some(v) = field(env, ws, "backpressureLimit", "websocket.backpressureLimit")? {
      opts.ws_backpressure_limit = integer(env, v, "websocket.backpressureLimit", 1.0, 1_073_741_824.0, " bytes")? as usize;
    }
    if let Some(v) = field(env, ws, "perMessageDeflate", "websocket.perMessageDeflate")? {
      let t = type_of(env, v, "websocket.perMessageDeflate")?;
      if t != sys::ValueType::napi_boolean {
        return Err(ErrorInfo::type_error(format!("listen(options): websocket.perMessageDeflate must be a boolean (got {})", kind_name(t))));
      }
      // tungstenite has no permessage-deflate: an offer is declined (RFC 7692 §5 lets a server
      // decline), so `true` cannot be honoured.
      if env.get_bool(v).unwrap_or(false) {
        return Err(ErrorInfo::range_error(
          "listen(options): websocket.perMessageDeflate: true is not supported (messages are sent uncompressed); leave it out or pass false",
        ));
      }
    }
  }
  cbs.on_connection = function(env, field(env, o, "onConnection", "onConnection")?, "onConnection")?;
  cbs.on_disconnection = function(env, field(env, o, "onDisconnection", "onDisconnection")?, "onDisconnection")?;
  Ok((opts, cbs))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn tls_config_rejects_garbage_and_mismatches() {
    assert!(tls_config(b"nope", b"nope").is_err());
    let cert = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(tls_config(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", cert).is_err());
  }
}
