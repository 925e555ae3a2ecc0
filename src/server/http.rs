//! One HTTP connection: hyper-util's auto builder (HTTP/1.1 or HTTP/2), each request handed to
//! the isolate as a `dispatch` call, its response streamed back.
//!
//! hyper answers malformed requests itself (400, 414, 431, 505; bad versions, obs-fold, invalid
//! header bytes) and they never reach the isolate; what hyper lets through and RFC 9112 forbids
//! (a missing Host, Content-Length with Transfer-Encoding) is refused here, as are heads larger
//! than maxHeaderBytes and bodies announced larger than maxRequestBodyBytes.

use super::{call, notify, registry, Core, Options};
use crate::errors::ErrorInfo;
use crate::limits::{Charge, Pool};
use crate::value::{Value, ViewKind};
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What a request in flight is charged against the runtime's memory limit besides its head: the
/// dispatch message, the isolate's Request object, the reply.
const REQUEST_OVERHEAD: usize = 1024;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub fn builder(opts: &Options) -> hyper_util::server::conn::auto::Builder<TokioExecutor> {
  let mut b = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
  b.http1()
    .timer(TokioTimer::new())
    .header_read_timeout(opts.headers_timeout)
    // The hard bound of a head hyper buffers (maxHeaderBytes itself is checked per request, with
    // a 431, below); also the most of a body read at once.
    .max_buf_size(opts.max_header_bytes.saturating_mul(2).max(64 << 10))
    .keep_alive(true)
    // A response's head and body copied into one buffer and sent with one write(2), not queued
    // and sent as a writev(2) of two: less CPU per small response (hello world: ~0.4 us of 10.5),
    // one copy more of a large body (a memcpy, cheap beside the syscalls that send it).
    .writev(false);
  b.http2()
    .timer(TokioTimer::new())
    .max_header_list_size(opts.max_header_bytes.min(u32::MAX as usize) as u32)
    .max_concurrent_streams(256);
  b
}

/// Whether a connection moved bytes since its idle check last looked, and how many of its
/// requests are in flight. No clock is read per read or write: the check (a few times per
/// idleTimeout) reads one.
#[derive(Default)]
pub struct Activity {
  moved: AtomicBool,
  active: AtomicUsize,
}

impl Activity {
  fn touch(&self) {
    if !self.moved.load(Ordering::Relaxed) {
      self.moved.store(true, Ordering::Relaxed);
    }
  }
}

/// A stream that records activity on every read and write.
struct Tracked<S> {
  inner: S,
  activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
  fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
    let r = Pin::new(&mut self.inner).poll_read(cx, buf);
    if r.is_ready() {
      self.activity.touch();
    }
    r
  }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
  fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
    let r = Pin::new(&mut self.inner).poll_write(cx, buf);
    if r.is_ready() {
      self.activity.touch();
    }
    r
  }
  fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
    let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
    if r.is_ready() {
      self.activity.touch();
    }
    r
  }
  fn is_write_vectored(&self) -> bool {
    self.inner.is_write_vectored()
  }
  fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
    Pin::new(&mut self.inner).poll_flush(cx)
  }
  fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
    Pin::new(&mut self.inner).poll_shutdown(cx)
  }
}

/// What every request of a connection shares.
pub struct ConnCtx {
  pub core: Arc<Core>,
  pub peer: SocketAddr,
  pub tls: bool,
  /// The peer's address as text, made once per connection.
  ip: String,
  activity: Arc<Activity>,
}

/// Serves one connection until it closes, the server closes it, or the runtime is gone.
pub async fn serve<S>(core: Arc<Core>, io: S, peer: SocketAddr, tls: bool)
where
  S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
  let activity = Arc::new(Activity::default());
  let io = Tracked { inner: io, activity: activity.clone() };
  let ctx = Arc::new(ConnCtx { core: core.clone(), peer, tls, ip: peer.ip().to_string(), activity: activity.clone() });
  let svc = hyper::service::service_fn(move |req| {
    let ctx = ctx.clone();
    async move { Ok::<_, Infallible>(handle(ctx, req).await) }
  });
  let conn = core.builder.serve_connection_with_upgrades(TokioIo::new(io), svc);
  tokio::pin!(conn);
  let idle = core.opts.idle_timeout;
  // Activity is seen at the first check after it: the connection closes between idleTimeout and
  // idleTimeout plus two periods after it last moved.
  let period = (idle / 8).clamp(Duration::from_millis(10), Duration::from_secs(1));
  let mut tick = tokio::time::interval(period);
  tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
  let mut last = tokio::time::Instant::now();
  let mut shutting = false;
  loop {
    tokio::select! {
      _ = conn.as_mut() => break,
      _ = core.graceful.cancelled(), if !shutting => {
        conn.as_mut().graceful_shutdown();
        shutting = true;
      }
      _ = core.kill.cancelled() => break,
      now = tick.tick(), if !shutting => {
        // A keep-alive connection with nothing in flight, silent for idleTimeout, is closed.
        if activity.moved.swap(false, Ordering::Relaxed) || activity.active.load(Ordering::Acquire) > 0 {
          last = now;
        } else if now.saturating_duration_since(last) >= idle {
          conn.as_mut().graceful_shutdown();
          shutting = true;
        }
      }
    }
  }
}

/// A response body: none, bytes, or a stream the isolate produces chunk by chunk. It keeps the
/// request's charge and its place among the connection's requests in flight until it is done.
pub struct RespBody {
  kind: Kind,
  _keep: Option<Keep>,
}

enum Kind {
  Empty,
  Full(Option<Bytes>, Option<Charge>),
  Stream(Pulled),
}

/// What lives as long as a request: its charge, its activity count.
struct Keep {
  _charge: Option<Charge>,
  _active: ActiveGuard,
  _body: Option<registry::BodyGuard>,
}

struct ActiveGuard(Arc<Activity>);

impl ActiveGuard {
  fn new(a: &Arc<Activity>) -> Self {
    a.active.fetch_add(1, Ordering::AcqRel);
    ActiveGuard(a.clone())
  }
}

impl Drop for ActiveGuard {
  fn drop(&mut self) {
    self.0.active.fetch_sub(1, Ordering::AcqRel);
    self.0.touch();
  }
}

type CallFuture = Pin<Box<dyn Future<Output = Result<Value, ErrorInfo>> + Send>>;

/// A response body pulled from the isolate one chunk per frame hyper asks for (backpressure:
/// the isolate's stream is read only as fast as the client takes it).
struct Pulled {
  core: Arc<Core>,
  rid: f64,
  dispatch: f64,
  pending: Option<CallFuture>,
  /// The last chunk handed to hyper, charged until hyper asks for the next one.
  held: Option<Charge>,
  done: bool,
}

impl Drop for Pulled {
  fn drop(&mut self) {
    if !self.done {
      // The client went away (or hyper gave up on the body): the handler learns of it.
      notify(&self.core.mailbox, "abort", vec![Value::Number(self.dispatch), Value::String("The client closed the connection".into())]);
      notify(&self.core.mailbox, "cancel", vec![Value::Number(self.rid), Value::String("The client closed the connection".into())]);
    }
  }
}

impl Body for RespBody {
  type Data = Bytes;
  type Error = BoxError;

  fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
    match &mut self.kind {
      Kind::Empty => Poll::Ready(None),
      Kind::Full(bytes, charge) => {
        let out = bytes.take().map(|b| Ok(Frame::data(b)));
        if out.is_none() {
          charge.take();
        }
        Poll::Ready(out)
      }
      Kind::Stream(p) => {
        p.held = None;
        if p.done {
          return Poll::Ready(None);
        }
        let fut = p.pending.get_or_insert_with(|| {
          let mailbox = p.core.mailbox.clone();
          let rid = p.rid;
          Box::pin(async move { call(&mailbox, "pull", vec![Value::Number(rid)]).await })
        });
        let r = match fut.as_mut().poll(cx) {
          Poll::Pending => return Poll::Pending,
          Poll::Ready(r) => r,
        };
        p.pending = None;
        match r {
          Ok(Value::View { bytes, .. }) | Ok(Value::ArrayBuffer(bytes)) => {
            p.held = Some(p.core.shared.budget.charge_anyway(Pool::ArrayBuffers, bytes.len()));
            Poll::Ready(Some(Ok(Frame::data(Bytes::from(bytes)))))
          }
          Ok(_) => {
            p.done = true;
            Poll::Ready(None)
          }
          Err(e) => {
            // The stream errored: the response is cut short (no final chunk), as Node does.
            p.done = true;
            Poll::Ready(Some(Err(Box::new(std::io::Error::other(format!("{}: {}", e.name, e.message))))))
          }
        }
      }
    }
  }

  fn is_end_stream(&self) -> bool {
    match &self.kind {
      Kind::Empty => true,
      Kind::Full(b, _) => b.is_none(),
      Kind::Stream(p) => p.done,
    }
  }

  fn size_hint(&self) -> SizeHint {
    match &self.kind {
      Kind::Empty => SizeHint::with_exact(0),
      Kind::Full(Some(b), _) => SizeHint::with_exact(b.len() as u64),
      Kind::Full(None, _) => SizeHint::with_exact(0),
      Kind::Stream(_) => SizeHint::default(),
    }
  }
}

impl RespBody {
  pub fn empty() -> Self {
    RespBody { kind: Kind::Empty, _keep: None }
  }
}

fn plain(status: StatusCode, text: &'static str) -> Response<RespBody> {
  let mut r = Response::new(RespBody { kind: Kind::Full(Some(Bytes::from_static(text.as_bytes())), None), _keep: None });
  *r.status_mut() = status;
  r.headers_mut().insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static("text/plain;charset=utf-8"));
  r
}

/// A refusal that also ends the connection (the request's framing cannot be trusted).
fn refuse(status: StatusCode, text: &'static str) -> Response<RespBody> {
  let mut r = plain(status, text);
  r.headers_mut().insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
  r
}

/// A header value as the isolate's Headers take it: bytes as Latin-1 (a ByteString).
fn push_latin1(out: &mut String, bytes: &[u8]) {
  match std::str::from_utf8(bytes) {
    Ok(s) if s.is_ascii() => out.push_str(s),
    _ => out.extend(bytes.iter().map(|b| *b as char)),
  }
}

/// https://fetch.spec.whatwg.org/#concept-header-value-normalize: the isolate takes the values
/// as they come (hyper's hold no CR, LF or NUL), so the whitespace its Headers would strip goes here.
fn trim_whitespace(mut b: &[u8]) -> &[u8] {
  let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
  while let Some((first, rest)) = b.split_first() {
    if !ws(first) {
      break;
    }
    b = rest;
  }
  while let Some((last, rest)) = b.split_last() {
    if !ws(last) {
      break;
    }
    b = rest;
  }
  b
}

/// The length of `uri`'s serialization (what `to_string` would make), without making it.
fn uri_len(uri: &hyper::Uri) -> usize {
  uri.scheme_str().map_or(0, |s| s.len() + 3) + uri.authority().map_or(0, |a| a.as_str().len()) + uri.path().len() + uri.query().map_or(0, |q| q.len() + 1)
}

/// The request's URL: scheme, the authority (h2's :authority or the Host header) and the target.
fn request_url(req: &Request<Incoming>, tls: bool) -> Option<String> {
  let scheme = if tls { "https://" } else { "http://" };
  let uri = req.uri();
  let authority = match uri.authority() {
    Some(a) => a.as_str(),
    None => req.headers().get(HOST)?.to_str().ok()?,
  };
  // The authority must be one (no path, userinfo or whitespace smuggled in through Host).
  if authority.is_empty() || authority.bytes().any(|b| matches!(b, b'/' | b'?' | b'#' | b'@' | b'\\') || b <= b' ' || b >= 0x7f) {
    return None;
  }
  let target = match uri.path_and_query() {
    Some(pq) if pq.as_str().starts_with('/') => pq.as_str(),
    // `OPTIONS *` and empty targets read as the root.
    _ => "/",
  };
  let mut href = String::with_capacity(scheme.len() + authority.len() + target.len());
  href.push_str(scheme);
  href.push_str(authority);
  href.push_str(target);
  if serialized_as_is(authority, target, tls) {
    return Some(href);
  }
  let url = url::Url::parse(&href).ok()?;
  Some(url.into())
}

/// Whether the URL parser (https://url.spec.whatwg.org/#concept-basic-url-parser) would give
/// `scheme://authority target` back unchanged, so that parsing it (IDNA, percent-encoding, dot
/// segments: a tenth of a hello-world request's CPU) can be skipped. Conservative: a lowercase
/// registered name whose last label is not numeric, or a dotted-decimal IPv4 address in its
/// canonical form; a port that is not the scheme's default; a target of characters that no
/// percent-encode set takes, with no dot segment, backslash or fragment. Anything else is parsed.
fn serialized_as_is(authority: &str, target: &str, tls: bool) -> bool {
  let (host, port) = match authority.rsplit_once(':') {
    Some((h, p)) => (h, Some(p)),
    None => (authority, None),
  };
  if let Some(p) = port {
    let default = if tls { "443" } else { "80" };
    if p.is_empty() || p.len() > 5 || p.starts_with('0') || p == default || !p.bytes().all(|b| b.is_ascii_digit()) || !p.parse::<u32>().is_ok_and(|n| n <= 65535) {
      return false;
    }
  }
  if host.is_empty() || host.len() > 253 {
    return false;
  }
  let mut last = "";
  let mut numeric = 0;
  let mut count = 0;
  for label in host.split('.') {
    // An empty label (a leading, doubled or trailing dot) and punycode go to the parser.
    if label.is_empty() || label.len() > 63 || label.starts_with("xn--") || !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
      return false;
    }
    if label.bytes().all(|b| b.is_ascii_digit()) {
      // Canonical decimal: no leading zero, at most 255.
      if (label.len() > 1 && label.starts_with('0')) || !label.parse::<u32>().is_ok_and(|n| n <= 255) {
        return false;
      }
      numeric += 1;
    }
    last = label;
    count += 1;
  }
  // https://url.spec.whatwg.org/#ends-in-a-number-checker: a host ending in a number is an IPv4
  // address, kept as is only in its canonical four-part form.
  let ends_in_number = last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x");
  if ends_in_number && !(count == 4 && numeric == 4) {
    return false;
  }
  let bytes = target.as_bytes();
  if bytes.first() != Some(&b'/') {
    return false;
  }
  let mut in_query = false;
  for (i, &b) in bytes.iter().enumerate() {
    match b {
      b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'~' | b'!' | b'$' | b'&' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@' | b'/' => {}
      b'?' => in_query = true,
      // '%2e' and '.' can make a dot segment in the path; in the query they are kept.
      b'.' | b'%' if in_query => {}
      b'.' => {
        if i > 0 && bytes.get(i - 1) == Some(&b'/') {
          return false;
        }
      }
      b'%' => {
        if bytes.get(i + 1) == Some(&b'2') && matches!(bytes.get(i + 2), Some(b'e') | Some(b'E')) {
          return false;
        }
      }
      _ => return false,
    }
  }
  true
}

/// `Sec-WebSocket-Key` of an HTTP/1.1 WebSocket upgrade request (RFC 6455 §4.2.1), if it is one.
fn websocket_key(req: &Request<Incoming>) -> Option<String> {
  if req.method() != Method::GET || req.version() != Version::HTTP_11 {
    return None;
  }
  let h = req.headers();
  // Most requests: no Upgrade header, and no header name parsed from a string below.
  if !h.contains_key(hyper::header::UPGRADE) {
    return None;
  }
  let has = |name: &str, token: &str| {
    h.get_all(name).iter().any(|v| v.to_str().is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
  };
  if !has("upgrade", "websocket") || !has("connection", "upgrade") || !has("sec-websocket-version", "13") {
    return None;
  }
  h.get("sec-websocket-key").and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn family(addr: &SocketAddr) -> &'static str {
  if addr.is_ipv4() {
    "IPv4"
  } else {
    "IPv6"
  }
}

async fn handle(ctx: Arc<ConnCtx>, mut req: Request<Incoming>) -> Response<RespBody> {
  let active = ActiveGuard::new(&ctx.activity);
  let core = &ctx.core;
  let opts = &core.opts;
  let headers = req.headers();
  // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host is a 400.
  if req.version() == Version::HTTP_11 && headers.get_all(HOST).iter().count() != 1 {
    return refuse(StatusCode::BAD_REQUEST, "Bad Request: a Host header is required");
  }
  // RFC 9112 §6.1: Content-Length with Transfer-Encoding is a smuggling attempt; refuse it.
  if headers.contains_key(TRANSFER_ENCODING) && headers.contains_key(CONTENT_LENGTH) {
    return refuse(StatusCode::BAD_REQUEST, "Bad Request: Content-Length and Transfer-Encoding together");
  }
  let mut head_bytes = uri_len(req.uri()) + req.method().as_str().len();
  for (name, value) in headers.iter() {
    head_bytes += name.as_str().len() + value.len() + 4;
  }
  if head_bytes > opts.max_header_bytes {
    return refuse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large");
  }
  let length = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|s| s.trim().parse::<u64>().ok());
  if length.is_some_and(|n| n > opts.max_request_body_bytes) {
    return refuse(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large");
  }
  let Some(url) = request_url(&req, ctx.tls) else {
    return refuse(StatusCode::BAD_REQUEST, "Bad Request: the request target or Host is not a valid URL");
  };
  if !core.shared.is_alive() {
    return plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
  }
  // Charged while the request is in flight: past the runtime's memory limit, requests wait
  // nowhere, they are refused.
  let Some(charge) = core.shared.budget.charge(Pool::ArrayBuffers, head_bytes + REQUEST_OVERHEAD) else {
    return plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable: the runtime's memory limit is reached");
  };
  let mut joined = String::with_capacity(head_bytes);
  for (name, value) in req.headers().iter() {
    if !joined.is_empty() {
      joined.push('\n');
    }
    joined.push_str(name.as_str());
    joined.push('\n');
    push_latin1(&mut joined, trim_whitespace(value.as_bytes()));
  }
  let ws_key = websocket_key(&req);
  let on_upgrade = ws_key.as_ref().map(|_| hyper::upgrade::on(&mut req));
  let offered_protocol = ws_key.as_ref().and_then(|_| {
    req
      .headers()
      .get(hyper::header::SEC_WEBSOCKET_PROTOCOL)
      .and_then(|v| v.to_str().ok())
      .and_then(|s| s.split(',').map(str::trim).find(|p| !p.is_empty()))
      .map(str::to_string)
  });
  let method = req.method().clone();
  let is_head = method == Method::HEAD;
  // The head goes now: its header values share hyper's read buffer, which hyper then reuses for
  // the connection's next request instead of allocating another (and freeing this one later).
  let body = req.into_body();
  let body_guard = (!body.is_end_stream()).then(|| registry::add_body(core.owner, body, opts.max_request_body_bytes));
  let did = registry::next_id() as f64;
  // The client's address, family, port and whether it may upgrade follow the host's six
  // arguments (serve.js's dispatch), flat: no array made per request.
  let args = vec![
    Value::Number(did),
    Value::String(method.as_str().into()),
    Value::String(url),
    Value::String(joined),
    Value::Number(body_guard.as_ref().map_or(0.0, |g| g.0 as f64)),
    Value::Bool(false),
    Value::String(ctx.ip.clone()),
    Value::String(family(&ctx.peer).into()),
    Value::Number(ctx.peer.port() as f64),
    Value::Bool(ws_key.is_some()),
  ];
  // If the client goes away before the answer, the handler's request.signal aborts.
  let mut abort = AbortOnDrop { core: core.clone(), dispatch: did, armed: true };
  let result = dispatch(core, args).await;
  abort.armed = false;
  let reply = match result {
    Ok(Value::Array(items)) => items,
    Ok(_) | Err(_) if !core.shared.is_alive() => return plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
    // The handler threw (serve.js reported it to the console): no internals in the answer.
    _ => return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
  };
  let mut items = reply.into_iter();
  let status = match items.next() {
    Some(Value::Number(n)) => n,
    _ => return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
  };
  let _status_text = items.next();
  let resp_headers = match items.next() {
    Some(Value::String(s)) => s,
    _ => String::new(),
  };
  let kind = match items.next() {
    Some(Value::Number(n)) => n,
    _ => 0.0,
  };
  let payload = items.next().unwrap_or(Value::Null);
  let upgrade = match items.next() {
    Some(Value::String(cid)) => Some(cid),
    _ => None,
  };
  // A streamed response may still read the request body (`new Response(request.body)`): its
  // registration lives as long as the response; otherwise the answer ends it.
  let body_guard = if kind == 2.0 { body_guard } else { None };
  let keep = Keep { _charge: Some(charge), _active: active, _body: body_guard };

  if let (Some(cid), Some(key), Some(on_upgrade)) = (upgrade, ws_key, on_upgrade) {
    return super::ws::accept(core.clone(), ctx.peer, ctx.tls, cid, &key, &resp_headers, offered_protocol, on_upgrade);
  }
  let Some(status) = (status.fract() == 0.0 && (200.0..=999.0).contains(&status)).then_some(status as u16).and_then(|s| StatusCode::from_u16(s).ok())
  else {
    if kind == 2.0 {
      notify(&core.mailbox, "cancel", vec![payload, Value::String(String::new())]);
    }
    return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
  };
  // https://fetch.spec.whatwg.org/#null-body-status and HEAD: no body goes out.
  let null_body = matches!(status.as_u16(), 204 | 205 | 304);
  let body = match (kind as u8, payload) {
    (1, Value::View { kind: ViewKind::Uint8, bytes }) if !null_body => {
      let charge = core.shared.budget.charge_anyway(Pool::ArrayBuffers, bytes.len());
      Kind::Full(Some(Bytes::from(bytes)), Some(charge))
    }
    (3, Value::String(text)) if !null_body => {
      let charge = core.shared.budget.charge_anyway(Pool::ArrayBuffers, text.len());
      Kind::Full(Some(Bytes::from(text.into_bytes())), Some(charge))
    }
    (2, Value::Number(rid)) if !null_body && !is_head => Kind::Stream(Pulled { core: core.clone(), rid, dispatch: did, pending: None, held: None, done: false }),
    (2, rid) => {
      notify(&core.mailbox, "cancel", vec![rid, Value::String(String::new())]);
      Kind::Empty
    }
    _ => Kind::Empty,
  };
  let mut response = Response::new(RespBody { kind: body, _keep: Some(keep) });
  *response.status_mut() = status;
  let map = response.headers_mut();
  let mut parts = resp_headers.split('\n');
  while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
    // ASCII (the usual case) is its own Latin-1: no copy made before the header value's own.
    let value = if value.is_ascii() { HeaderValue::from_bytes(value.as_bytes()) } else { HeaderValue::from_bytes(&latin1_bytes(value)) };
    let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), value) else { continue };
    // hyper frames the body itself; connection headers are its business too (and h2 forbids them).
    if name == TRANSFER_ENCODING || name == hyper::header::CONNECTION || name.as_str() == "keep-alive" {
      continue;
    }
    if name == CONTENT_LENGTH && null_body {
      continue;
    }
    map.append(name, value);
  }
  response
}

/// Values crossed as strings of Latin-1 code points (ByteStrings): back to bytes.
fn latin1_bytes(s: &str) -> Vec<u8> {
  s.chars().map(|c| u32::from(c).min(255) as u8).collect()
}

/// Like `call(…, "dispatch", …)`, except that the answer is written at once: the handler answers
/// on the runtime's thread, inside its turn, and the connection is polled right there (see
/// `Local::answer`).
async fn dispatch(core: &Arc<Core>, args: Vec<Value>) -> Result<Value, ErrorInfo> {
  let (tx, rx) = tokio::sync::oneshot::channel();
  let conns = core.conns.clone();
  let shared = core.shared.clone();
  let done: crate::runtime::Reply = Box::new(move |r| {
    // A runtime that is ending settles its calls from wherever it ends: no polling there.
    if shared.is_alive() {
      conns.answer(|| {
        let _ = tx.send(r);
      });
    } else {
      let _ = tx.send(r);
    }
  });
  let _ = core.mailbox.send(crate::runtime::Msg::Call { op: "dispatch".into(), args, done });
  rx.await.unwrap_or_else(|_| Err(ErrorInfo::disposed(crate::errors::DISPOSED)))
}

struct AbortOnDrop {
  core: Arc<Core>,
  dispatch: f64,
  armed: bool,
}

impl Drop for AbortOnDrop {
  fn drop(&mut self) {
    if self.armed {
      notify(&self.core.mailbox, "abort", vec![Value::Number(self.dispatch), Value::String("The client closed the connection".into())]);
    }
  }
}

#[cfg(test)]
mod tests {
  use super::serialized_as_is;
  use proptest::prelude::*;

  fn parsed(authority: &str, target: &str, tls: bool) -> Option<String> {
    let scheme = if tls { "https" } else { "http" };
    url::Url::parse(&format!("{scheme}://{authority}{target}")).ok().map(String::from)
  }

  #[test]
  fn the_common_forms_skip_the_parser_and_the_others_do_not() {
    assert!(serialized_as_is("127.0.0.1:8787", "/", false));
    assert!(serialized_as_is("example.com", "/a/b.txt?q=1&r=.%2e", false));
    assert!(serialized_as_is("api-1.example.com:443", "/", false));
    for (authority, target, tls) in [
      ("example.com:80", "/", false),
      ("example.com:443", "/", true),
      ("Example.com", "/", false),
      ("127.1", "/", false),
      ("127.0.0.01", "/", false),
      ("0x7f.0.0.1", "/", false),
      ("1.2.3.256", "/", false),
      ("example.123", "/", false),
      ("xn--nxasmq6b.com", "/", false),
      ("a..b", "/", false),
      ("[::1]:80", "/", false),
      ("h:08080", "/", false),
      ("h", "/a/./b", false),
      ("h", "/a/%2E%2e/b", false),
      ("h", "/a b", false),
      ("h", "/a?x='y'", false),
      ("h", "/a\\b", false),
      ("h", "/{}", false),
      ("h", "/#f", false),
    ] {
      assert!(!serialized_as_is(authority, target, tls), "{authority}{target}");
    }
  }

  proptest! {
    // Whatever the fast path keeps as is, the URL parser gives back unchanged.
    #[test]
    fn what_skips_the_parser_is_what_the_parser_gives_back(
      host in "[a-z0-9.x-]{1,20}",
      port in proptest::option::of("[0-9]{1,6}"),
      target in "/[a-zA-Z0-9./%2eE?&=:@!$()*+,;~_'{}-]{0,24}",
      tls in any::<bool>(),
    ) {
      let authority = match port { Some(p) => format!("{host}:{p}"), None => host };
      if serialized_as_is(&authority, &target, tls) {
        let scheme = if tls { "https" } else { "http" };
        prop_assert_eq!(parsed(&authority, &target, tls), Some(format!("{scheme}://{authority}{target}")));
      }
    }
  }
}
