//! The native HTTP client behind the isolates' fetch() when the host passes `network` and no
//! `onFetch`: hyper 1 over hyper-util's pooled client (HTTP/1.1, and HTTP/2 by ALPN), rustls
//! (src/net/tls.rs), redirects per https://fetch.spec.whatwg.org/#http-redirect-fetch, gzip,
//! deflate and br decoding. Every hop is checked against the policy (src/net/policy.rs), and
//! connections go only to resolved addresses that passed it.
//!
//! One `Client` per runtime: its pool, its concurrency cap, its policy.

use crate::net::policy::{self, NetworkOptions, REFUSED};
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyDataStream, BodyExt, Empty, Full};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::error::Error as StdError;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::io::StreamReader;

pub type BoxError = Box<dyn StdError + Send + Sync>;
type ReqBody = BoxBody<Bytes, BoxError>;

/// Why a request failed: becomes the `cause` of the isolate's TypeError("fetch failed").
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
  /// 'policy', 'dns', 'tls', 'connect', 'network', 'timeout', 'too-large', 'redirect', 'decode',
  /// 'invalid', 'aborted', 'limit' (network.maxConnections).
  pub kind: &'static str,
  pub message: String,
}

impl Failure {
  pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
    Self { kind, message: message.into() }
  }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Redirect {
  Follow,
  Manual,
  Error,
}

pub enum RequestBody {
  Empty,
  Bytes(Bytes),
  /// Chunks as the isolate's ReadableStream gives them.
  Stream(mpsc::Receiver<Upload>),
}

/// One step of a streamed request body. The sender going away without `End` fails the request,
/// so an aborted upload never looks complete to the server.
pub enum Upload {
  /// A chunk, with its charge of the runtime's memory budget: held until hyper asks for the
  /// next frame (it holds the last one it took until that is written).
  Data(Bytes, Option<crate::limits::Charge>),
  End,
  Fail(String),
}

pub struct Request {
  pub method: String,
  pub url: String,
  pub headers: Vec<(String, String)>,
  pub body: RequestBody,
  pub redirect: Redirect,
}

pub struct Response {
  pub status: u16,
  pub status_text: String,
  pub headers: Vec<(String, String)>,
  pub url: String,
  pub redirected: bool,
  /// https://fetch.spec.whatwg.org/#null-body-status, or a HEAD request: the body is null.
  pub null_body: bool,
  pub body: Body,
}

/// Resolves names for the connector through the policy: every address checked, only checked
/// ones returned (IP literals never reach a resolver: `policy::check_url` checks those).
#[derive(Clone)]
struct Resolver(Arc<NetworkOptions>);

#[derive(Debug)]
struct ResolveError(String);

impl std::fmt::Display for ResolveError {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(&self.0)
  }
}

impl StdError for ResolveError {}

impl tower_service::Service<Name> for Resolver {
  type Response = std::vec::IntoIter<SocketAddr>;
  type Error = ResolveError;
  type Future = Pin<Box<dyn Future<Output = Result<Self::Response, ResolveError>> + Send>>;

  fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ResolveError>> {
    Poll::Ready(Ok(()))
  }

  fn call(&mut self, name: Name) -> Self::Future {
    let opts = self.0.clone();
    let host = name.as_str().to_string();
    // Port 0: the connector puts the URL's port on every address.
    Box::pin(async move { policy::resolve_checked(&host, 0, &opts).await.map(|a| a.into_iter()).map_err(ResolveError) })
  }
}

/// A request body fed chunk by chunk from the isolate: the channel, whether it ended, and the
/// charge of the chunk hyper took last.
struct ChannelBody(mpsc::Receiver<Upload>, bool, Option<crate::limits::Charge>);

impl hyper::body::Body for ChannelBody {
  type Data = Bytes;
  type Error = BoxError;

  fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
    if self.1 {
      return Poll::Ready(None);
    }
    match self.0.poll_recv(cx) {
      Poll::Ready(Some(Upload::Data(b, charge))) => {
        self.2 = charge;
        Poll::Ready(Some(Ok(Frame::data(b))))
      }
      Poll::Ready(Some(Upload::End)) => {
        self.1 = true;
        self.2 = None;
        Poll::Ready(None)
      }
      Poll::Ready(Some(Upload::Fail(m))) => Poll::Ready(Some(Err(m.into()))),
      Poll::Ready(None) => Poll::Ready(Some(Err("the request body was cancelled".into()))),
      Poll::Pending => Poll::Pending,
    }
  }
}

pub struct Client {
  opts: Arc<NetworkOptions>,
  http: hyper_util::client::legacy::Client<HttpsConnector<HttpConnector<Resolver>>, ReqBody>,
  permits: Arc<Semaphore>,
}

const MAX_REDIRECTS: u32 = 20;

impl Client {
  pub fn new(opts: NetworkOptions) -> Result<Self, Failure> {
    let tls = crate::net::tls::client_config(&opts.ca_certificates).map_err(|m| Failure::new("tls", m))?;
    let opts = Arc::new(opts);
    let mut connector = HttpConnector::new_with_resolver(Resolver(opts.clone()));
    connector.enforce_http(false);
    connector.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
      .with_tls_config((*tls).clone())
      .https_or_http()
      .enable_all_versions()
      .wrap_connector(connector);
    let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
      .pool_timer(TokioTimer::new())
      .timer(TokioTimer::new())
      .pool_idle_timeout(Duration::from_secs(30))
      .build(https);
    let permits = Arc::new(Semaphore::new(opts.max_concurrent_requests.max(1)));
    Ok(Self { opts, http, permits })
  }

  /// Sends the request, following redirects as asked. Waits for a permit first (at most
  /// `maxConcurrentRequests` in flight, bodies included); `network.timeout` starts then and covers
  /// the whole exchange, body included.
  pub async fn fetch(&self, req: Request) -> Result<Response, Failure> {
    let permit = self.permits.clone().acquire_owned().await.map_err(|_| Failure::new("aborted", "the runtime is shutting down"))?;
    // A request in flight (its body included) holds one of the runtime's maxConnections.
    let slot = self.opts.connection_slot().map_err(|m| Failure::new("limit", m))?;
    let deadline = self.opts.timeout_ms.map(|ms| Instant::now() + Duration::from_millis(ms));
    let timeout_ms = self.opts.timeout_ms.unwrap_or(0);
    let mut url = url::Url::parse(&req.url).map_err(|e| Failure::new("invalid", format!("invalid URL '{}': {e}", req.url)))?;
    let mut method = Method::from_bytes(req.method.as_bytes()).map_err(|_| Failure::new("invalid", format!("invalid method '{}'", req.method)))?;
    let mut headers = request_headers(&req.headers)?;
    let mut body = req.body;
    let mut redirects = 0;
    loop {
      policy::check_url(&url, &self.opts).map_err(|m| Failure::new("policy", m))?;
      if !matches!(url.scheme(), "http" | "https") {
        return Err(Failure::new("invalid", format!("fetch() supports http: and https: URLs, not {}", url.scheme())));
      }
      // A stream can be sent once: a redirect that must resend it fails below.
      let (this_body, streamed): (ReqBody, bool) = match std::mem::replace(&mut body, RequestBody::Empty) {
        RequestBody::Empty => (Empty::new().map_err(|e| match e {}).boxed(), false),
        RequestBody::Bytes(b) => {
          let full = Full::new(b.clone()).map_err(|e| match e {}).boxed();
          body = RequestBody::Bytes(b);
          (full, false)
        }
        RequestBody::Stream(rx) => (ChannelBody(rx, false, None).boxed(), true),
      };
      let mut request = hyper::Request::new(this_body);
      *request.method_mut() = method.clone();
      *request.uri_mut() = uri_of(&url)?;
      *request.headers_mut() = headers.clone();
      let res = match with_deadline(deadline, timeout_ms, self.http.request(request)).await? {
        Ok(r) => r,
        Err(e) => return Err(classify(&e, e.is_connect())),
      };
      let status = res.status().as_u16();
      let location = matches!(status, 301 | 302 | 303 | 307 | 308).then(|| res.headers().get(hyper::header::LOCATION)).flatten();
      if let (Some(location), false) = (location, req.redirect == Redirect::Manual) {
        if req.redirect == Redirect::Error {
          return Err(Failure::new("redirect", format!("{url} redirected (status {status}) and the request's redirect mode is 'error'")));
        }
        let location: String = location.as_bytes().iter().map(|&b| b as char).collect();
        let next = url.join(&location).map_err(|e| Failure::new("redirect", format!("invalid Location '{location}': {e}")))?;
        redirects += 1;
        if redirects > MAX_REDIRECTS {
          return Err(Failure::new("redirect", format!("too many redirects (more than {MAX_REDIRECTS})")));
        }
        if !matches!(next.scheme(), "http" | "https") {
          return Err(Failure::new("redirect", format!("redirect to a non-HTTP(S) URL: {next}")));
        }
        // https://fetch.spec.whatwg.org/#http-redirect-fetch steps 11-13.
        if (matches!(status, 301 | 302) && method == Method::POST) || (status == 303 && method != Method::GET && method != Method::HEAD) {
          method = Method::GET;
          body = RequestBody::Empty;
          for h in ["content-encoding", "content-language", "content-location", "content-type", "content-length"] {
            headers.remove(h);
          }
        } else if streamed {
          return Err(Failure::new("redirect", "cannot follow a redirect that resends a ReadableStream request body"));
        }
        if next.origin() != url.origin() {
          for h in ["authorization", "proxy-authorization", "cookie"] {
            headers.remove(h);
          }
        }
        url = next;
        continue;
      }
      let status_text = match res.extensions().get::<hyper::ext::ReasonPhrase>() {
        Some(r) => r.as_bytes().iter().map(|&b| b as char).collect(),
        None => res.status().canonical_reason().unwrap_or("").to_string(),
      };
      let head_only = method == Method::HEAD || matches!(status, 204 | 304);
      let response_headers = header_list(res.headers());
      let encoding = res.headers().get(hyper::header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_ascii_lowercase());
      let incoming = res.into_body();
      let inner = if head_only || hyper::body::Body::is_end_stream(&incoming) {
        Inner::Empty
      } else {
        decoder(incoming, encoding.as_deref())
      };
      // https://fetch.spec.whatwg.org/#dom-response-url: serialized without its fragment.
      url.set_fragment(None);
      return Ok(Response {
        status,
        status_text,
        headers: response_headers,
        url: url.to_string(),
        redirected: redirects > 0,
        null_body: method == Method::HEAD || matches!(status, 101 | 103 | 204 | 205 | 304),
        body: Body { inner, limit: self.opts.max_response_bytes, seen: 0, deadline, timeout_ms, _permit: (permit, slot) },
      });
    }
  }
}

enum Inner {
  Empty,
  Plain(Incoming),
  Decoded(Pin<Box<dyn AsyncRead + Send>>),
}

/// https://fetch.spec.whatwg.org/#http-network-fetch step 16: decode a single known coding; an
/// unknown or stacked coding passes through as sent.
fn decoder(incoming: Incoming, encoding: Option<&str>) -> Inner {
  use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder};
  if !matches!(encoding, Some("gzip" | "x-gzip" | "deflate" | "br")) {
    return Inner::Plain(incoming);
  }
  let reader = || StreamReader::new(BodyDataStream::new(incoming.map_err(std::io::Error::other as fn(hyper::Error) -> std::io::Error)));
  match encoding {
    Some("gzip" | "x-gzip") => Inner::Decoded(Box::pin(GzipDecoder::new(reader()))),
    Some("deflate") => Inner::Decoded(Box::pin(ZlibDecoder::new(reader()))),
    _ => Inner::Decoded(Box::pin(BrotliDecoder::new(reader()))),
  }
}

/// A response body: decoded chunks, at most `maxResponseBytes` in all, before the deadline. Holds
/// the request's concurrency permit until dropped.
pub struct Body {
  inner: Inner,
  limit: Option<u64>,
  seen: u64,
  deadline: Option<Instant>,
  timeout_ms: u64,
  _permit: (OwnedSemaphorePermit, policy::ConnectionSlot),
}

const READ_SIZE: usize = 64 * 1024;

impl Body {
  /// The body's exact size when it is sent undecoded and known (Content-Length or already ended).
  pub fn exact_len(&self) -> Option<u64> {
    match &self.inner {
      Inner::Empty => Some(0),
      Inner::Plain(b) => hyper::body::Body::size_hint(b).exact(),
      Inner::Decoded(_) => None,
    }
  }

  /// `maxResponseBytes`.
  pub fn limit(&self) -> Option<u64> {
    self.limit
  }

  /// The next chunk; None at the end. After an error, the body is over.
  pub async fn next(&mut self) -> Option<Result<Bytes, Failure>> {
    let item = loop {
      match &mut self.inner {
        Inner::Empty => return None,
        Inner::Plain(incoming) => match with_deadline(self.deadline, self.timeout_ms, incoming.frame()).await {
          Err(f) => break Some(Err(f)),
          Ok(None) => break None,
          Ok(Some(Err(e))) => break Some(Err(classify(&e, false))),
          Ok(Some(Ok(frame))) => match frame.into_data() {
            Ok(d) if !d.is_empty() => break Some(Ok(d)),
            _ => continue,
          },
        },
        Inner::Decoded(r) => {
          let mut buf = vec![0u8; READ_SIZE];
          match with_deadline(self.deadline, self.timeout_ms, r.read(&mut buf)).await {
            Err(f) => break Some(Err(f)),
            Ok(Ok(0)) => break None,
            Ok(Ok(n)) => {
              buf.truncate(n);
              break Some(Ok(Bytes::from(buf)));
            }
            Ok(Err(e)) => break Some(Err(Failure::new("decode", format!("could not decode the response body: {e}")))),
          }
        }
      }
    };
    match item {
      Some(Ok(b)) => {
        self.seen += b.len() as u64;
        match self.limit {
          Some(limit) if self.seen > limit => {
            self.inner = Inner::Empty;
            Some(Err(Failure::new("too-large", format!("response too large: more than {limit} bytes (network.maxResponseBytes)"))))
          }
          _ => Some(Ok(b)),
        }
      }
      other => {
        self.inner = Inner::Empty;
        other
      }
    }
  }
}

async fn with_deadline<F: Future>(deadline: Option<Instant>, ms: u64, f: F) -> Result<F::Output, Failure> {
  match deadline {
    None => Ok(f.await),
    Some(d) => tokio::time::timeout_at(d, f).await.map_err(|_| Failure::new("timeout", format!("request timed out after {ms} ms (network.timeout)"))),
  }
}

fn uri_of(url: &url::Url) -> Result<Uri, Failure> {
  let mut u = url.clone();
  u.set_fragment(None);
  u.as_str().parse::<Uri>().map_err(|e| Failure::new("invalid", format!("invalid URL '{u}': {e}")))
}

/// The isolate's header list (ByteString values), less what the connection owns, plus the
/// defaults of https://fetch.spec.whatwg.org/#http-network-or-cache-fetch.
fn request_headers(list: &[(String, String)]) -> Result<HeaderMap, Failure> {
  let mut map = HeaderMap::new();
  for (k, v) in list {
    let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| Failure::new("invalid", format!("invalid header name '{k}'")))?;
    if matches!(
      name.as_str(),
      "host" | "connection" | "keep-alive" | "proxy-connection" | "transfer-encoding" | "upgrade" | "te" | "trailer" | "content-length"
    ) {
      continue;
    }
    let bytes: Vec<u8> = v.chars().map(|c| c as u32).map(|c| if c <= 0xff { c as u8 } else { b'?' }).collect();
    let value = HeaderValue::from_bytes(&bytes).map_err(|_| Failure::new("invalid", format!("invalid value for header '{k}'")))?;
    map.append(name, value);
  }
  for (k, v) in [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"), ("user-agent", "edge-isolate/0.1")] {
    if !map.contains_key(k) {
      map.insert(k, HeaderValue::from_static(v));
    }
  }
  Ok(map)
}

/// A header map as the isolate's header list: names lowercase, values as ByteStrings (one char
/// per byte, https://webidl.spec.whatwg.org/#idl-ByteString), in the map's order.
fn header_list(map: &HeaderMap) -> Vec<(String, String)> {
  map.iter().map(|(k, v)| (k.as_str().to_string(), v.as_bytes().iter().map(|&b| b as char).collect())).collect()
}

/// Says why a request failed, from the error chain: the policy or DNS (our resolver), TLS
/// (rustls), a timeout, or the connection.
fn classify(e: &(dyn StdError + 'static), connect: bool) -> Failure {
  let mut messages: Vec<String> = Vec::new();
  let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
  while let Some(c) = cur {
    if let Some(r) = c.downcast_ref::<ResolveError>() {
      return Failure::new(if r.0.starts_with(REFUSED) { "policy" } else { "dns" }, r.0.clone());
    }
    if let Some(t) = c.downcast_ref::<rustls::Error>() {
      return Failure::new("tls", format!("TLS handshake failed: {t}"));
    }
    let m = c.to_string();
    if !messages.iter().any(|p| p.contains(&m)) {
      messages.push(m);
    }
    // io::Error's source() skips the error it wraps (which may be another io::Error): go into it.
    cur = match c.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
      Some(inner) => Some(inner as &(dyn StdError + 'static)),
      None => c.source(),
    };
  }
  Failure::new(if connect { "connect" } else { "network" }, messages.join(": "))
}

#[cfg(test)]
mod tests {
  use super::*;
  use proptest::prelude::*;

  /// Hop-by-hop and framing headers: the connection owns them.
  const DROPPED: [&str; 9] = ["host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "content-length"];

  /// https://fetch.spec.whatwg.org/#header-name (RFC 9110 token).
  fn name() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}".prop_filter("a dropped name", |n| !DROPPED.contains(&n.to_ascii_lowercase().as_str()))
  }

  /// A ByteString value the wire can carry: HTAB, visible ASCII, space, obs-text.
  fn value() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just(0x09u8), 0x20u8..0x7f, 0x80u8..=0xff], 0..24).prop_map(|b| b.into_iter().map(char::from).collect())
  }

  /// A value with at least one of CR, LF, NUL somewhere in it.
  fn bad_value() -> impl Strategy<Value = String> {
    (value(), prop::sample::select(vec!['\r', '\n', '\0']), value()).prop_map(|(a, c, b)| format!("{a}{c}{b}"))
  }

  /// The values of `name` (lowercase) in a header list, in order.
  fn values_of<'a>(list: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    list.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
  }

  proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_headers_reach_the_wire_unchanged(list in proptest::collection::vec((name(), value()), 0..10)) {
      let map = request_headers(&list).map_err(|f| TestCaseError::fail(f.message))?;
      let back = header_list(&map);
      for (k, _) in &list {
        let lower = k.to_ascii_lowercase();
        prop_assert_eq!(values_of(&back, &lower), values_of(&list, &lower), "{}", lower);
        prop_assert!(back.iter().any(|(n, _)| *n == lower));
      }
      // The defaults fill only what the script did not set.
      for (k, v) in [("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"), ("user-agent", "edge-isolate/0.1")] {
        if values_of(&list, k).is_empty() {
          prop_assert_eq!(values_of(&back, k), vec![v]);
        }
      }
      prop_assert_eq!(back.len(), list.len() + 3 - ["accept", "accept-encoding", "user-agent"].iter().filter(|k| !values_of(&list, k).is_empty()).count());
    }

    #[test]
    fn cr_lf_and_nul_in_a_value_are_refused(list in proptest::collection::vec((name(), value()), 0..4), bad in (name(), bad_value()), at in any::<usize>()) {
      let mut list = list;
      let at = at % (list.len() + 1);
      list.insert(at, bad.clone());
      let err = request_headers(&list).err().ok_or_else(|| TestCaseError::fail("accepted"))?;
      prop_assert_eq!(err.kind, "invalid");
      prop_assert!(err.message.contains(&bad.0), "{}", err.message);
    }

    #[test]
    fn invalid_names_are_refused(prefix in name(), junk in prop::sample::select(vec![' ', ':', '\r', '\n', '\0', '(', '"', '/', 'é', '\u{100}']), v in value()) {
      let err = request_headers(&[(format!("{prefix}{junk}"), v)]).err().ok_or_else(|| TestCaseError::fail("accepted"))?;
      prop_assert_eq!(err.kind, "invalid");
    }

    #[test]
    fn arbitrary_headers_never_panic(list in proptest::collection::vec((".{0,12}", ".{0,12}"), 0..6)) {
      if let Err(e) = request_headers(&list) {
        prop_assert_eq!(e.kind, "invalid");
      }
    }

    #[test]
    fn headers_the_connection_owns_are_dropped(i in 0..DROPPED.len(), upper in any::<bool>(), v in value()) {
      let k = if upper { DROPPED[i].to_ascii_uppercase() } else { DROPPED[i].to_string() };
      let map = request_headers(&[(k, v)]).map_err(|f| TestCaseError::fail(f.message))?;
      prop_assert!(!map.contains_key(DROPPED[i]));
    }
  }

  #[test]
  fn an_empty_name_is_refused() {
    assert!(request_headers(&[(String::new(), "v".into())]).is_err());
  }
}
