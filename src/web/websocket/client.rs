//! The native WebSocket client: one tokio task per connection. The address is checked by the
//! runtime's `network` policy (src/net/policy.rs) after resolution, the TCP (and TLS, src/net/tls.rs)
//! stream is ours, and tungstenite does only the handshake and the framing.

use super::{credit_of, Cmd, Event, BLOCKED};
use crate::net::policy::{self, NetworkOptions};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{http, Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

/// How long to wait for the peer's answer to our close frame before dropping the connection.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// Default bound of connecting (TCP, TLS and handshake) when `network.timeout` is not set.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Conn {
  pub id: u64,
  pub url: String,
  pub protocols: Vec<String>,
  /// The Origin header's value (the runtime's `location` origin), if it has one.
  pub origin: Option<String>,
  pub policy: NetworkOptions,
  /// Hands a message to the runtime's loop.
  /// Hands an event of connection `id` to the isolate (see `super::message`).
  pub tx: Box<dyn Fn(u64, Event) + Send + Sync>,
  /// The runtime's incoming window (`window` bytes): taken per received message, given back as
  /// the isolate handles it.
  pub credit: std::sync::Arc<tokio::sync::Semaphore>,
  pub window: usize,
  pub max_message: usize,
  /// Bytes the isolate sent that are not written yet (the send queue's fill, see `SEND_QUEUE`).
  pub unsent: std::sync::Arc<std::sync::atomic::AtomicUsize>,
  /// Cancelled when the send queue is full: the connection fails at once, whatever it is
  /// waiting for (a write the peer does not read, most likely).
  pub full: tokio_util::sync::CancellationToken,
}

impl Conn {
  fn emit(&self, event: Event) {
    (self.tx)(self.id, event);
  }
}

/// Why connecting failed: refused by the policy, or anything else (which the isolate is not told
/// in detail, as browsers do not tell, so that scripts cannot probe the network).
#[derive(Debug, PartialEq)]
enum Failure {
  Refused(String),
  Failed(String),
}

/// Runs one connection until it is closed, the isolate aborts it, or the runtime goes away (its
/// command sender is dropped).
pub async fn run(conn: Conn, mut cmds: UnboundedReceiver<Cmd>) {
  let limit = conn.policy.timeout_ms.map(Duration::from_millis).unwrap_or(CONNECT_TIMEOUT);
  let connecting = tokio::time::timeout(limit, connect(&conn));
  tokio::pin!(connecting);
  // Data sent before the open is kept for it; an abort (or a close) ends it, and so does the
  // runtime going away (None).
  let mut early = Vec::new();
  let connected = loop {
    tokio::select! {
      r = &mut connecting => break r.unwrap_or_else(|_| Err(Failure::Failed("timed out".into()))),
      _ = conn.full.cancelled() => return conn.emit(Event::failed("")),
      cmd = cmds.recv() => match cmd {
        Some(Cmd::Close(..) | Cmd::Abort) => return conn.emit(Event::failed("")),
        Some(data) => early.push(data),
        None => return,
      },
    }
  };
  match connected {
    Ok(Stream::Plain(ws, protocol)) => pump(&conn, ws, protocol, early, cmds).await,
    Ok(Stream::Tls(ws, protocol)) => pump(&conn, ws, protocol, early, cmds).await,
    Err(Failure::Refused(_)) => conn.emit(Event::failed(BLOCKED)),
    Err(Failure::Failed(_)) => conn.emit(Event::failed("")),
  }
}

// One per connection, moved once into its pump: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Stream {
  Plain(WebSocketStream<TcpStream>, String),
  Tls(WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>, String),
}

async fn connect(conn: &Conn) -> Result<Stream, Failure> {
  let failed = |e: &dyn std::fmt::Display| Failure::Failed(e.to_string());
  let url = url::Url::parse(&conn.url).map_err(|e| failed(&e))?;
  policy::check_url(&url, &conn.policy).map_err(Failure::Refused)?;
  let host = match url.host() {
    Some(url::Host::Domain(d)) => d.to_string(),
    Some(url::Host::Ipv4(ip)) => ip.to_string(),
    Some(url::Host::Ipv6(ip)) => ip.to_string(),
    None => return Err(Failure::Failed("no host".into())),
  };
  let port = url.port_or_known_default().ok_or_else(|| Failure::Failed("no port".into()))?;
  let addrs = policy::resolve_checked(&host, port, &conn.policy).await.map_err(|e| {
    if e.starts_with(policy::REFUSED) {
      Failure::Refused(e)
    } else {
      Failure::Failed(e)
    }
  })?;
  let mut tcp = Err(Failure::Failed("no address".into()));
  for addr in addrs {
    match TcpStream::connect(addr).await {
      Ok(s) => {
        tcp = Ok(s);
        break;
      }
      Err(e) => tcp = Err(failed(&e)),
    }
  }
  let tcp = tcp?;
  let _ = tcp.set_nodelay(true);

  let mut request = conn.url.as_str().into_client_request().map_err(|e| failed(&e))?;
  if !conn.protocols.is_empty() {
    let value = http::HeaderValue::from_str(&conn.protocols.join(", ")).map_err(|e| failed(&e))?;
    request.headers_mut().insert("sec-websocket-protocol", value);
  }
  // https://websockets.spec.whatwg.org/#concept-websocket-establish: the request's origin (the
  // client's) and, as fetch does for a URL with credentials, Basic authorization from them.
  if let Some(origin) = conn.origin.as_deref().filter(|o| *o != "null") {
    let value = http::HeaderValue::from_str(origin).map_err(|e| failed(&e))?;
    request.headers_mut().insert("origin", value);
  }
  if let Some(value) = basic_authorization(&url) {
    let value = http::HeaderValue::from_str(&value).map_err(|e| failed(&e))?;
    request.headers_mut().insert("authorization", value);
  }
  // tungstenite's own limits (64 MiB messages, 16 MiB frames), lowered to the runtime's memory.
  let config = WebSocketConfig::default()
    .max_message_size(Some(conn.max_message.min(64 << 20)))
    .max_frame_size(Some(conn.max_message.min(16 << 20)));
  let protocol_of = |r: &tokio_tungstenite::tungstenite::handshake::client::Response| {
    r.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
  };
  if url.scheme() == "wss" {
    let tls = crate::net::tls::client_config(&conn.policy.ca_certificates).map_err(Failure::Failed)?;
    // No ALPN: a WebSocket handshake is HTTP/1.1 (RFC 6455 §4.1).
    let mut tls = (*tls).clone();
    tls.alpn_protocols.clear();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host).map_err(|e| failed(&e))?;
    let stream = tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls)).connect(name, tcp).await.map_err(|e| failed(&e))?;
    let (ws, response) = tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await.map_err(|e| failed(&e))?;
    Ok(Stream::Tls(ws, protocol_of(&response)))
  } else {
    let (ws, response) = tokio_tungstenite::client_async_with_config(request, tcp, Some(config)).await.map_err(|e| failed(&e))?;
    Ok(Stream::Plain(ws, protocol_of(&response)))
  }
}

/// `Basic base64(username:password)` of a URL's credentials (percent-decoded), or None without
/// them (https://fetch.spec.whatwg.org/#http-network-or-cache-fetch, step "authorization value").
fn basic_authorization(url: &url::Url) -> Option<String> {
  use base64::Engine as _;
  if url.username().is_empty() && url.password().is_none() {
    return None;
  }
  // Percent-decoding (https://url.spec.whatwg.org/#percent-decode): a bad escape stays as it is.
  let decode = |s: &str| {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
      match (b[i], b.get(i + 1).and_then(|c| hex(*c)), b.get(i + 2).and_then(|c| hex(*c))) {
        (b'%', Some(h), Some(l)) => {
          out.push((h * 16 + l) as u8);
          i += 3;
        }
        (c, ..) => {
          out.push(c);
          i += 1;
        }
      }
    }
    out
  };
  let mut pair = decode(url.username());
  pair.push(b':');
  pair.extend(decode(url.password().unwrap_or("")));
  Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
}

/// How the writer stopped.
enum WriterEnd {
  /// We sent a close frame: wait (bounded) for the peer's.
  CloseSent,
  /// Writing failed: the connection is broken.
  Broken,
  /// The isolate failed the connection: it is closed already as far as it is concerned.
  Aborted,
  /// The runtime is gone.
  Gone,
}

async fn pump<S>(conn: &Conn, ws: WebSocketStream<S>, protocol: String, early: Vec<Cmd>, mut cmds: UnboundedReceiver<Cmd>)
where
  S: AsyncRead + AsyncWrite + Unpin,
{
  conn.emit(Event::Open { protocol, extensions: String::new() });
  let (mut sink, mut stream) = ws.split();
  let writer = async {
    let mut early = early.into_iter();
    while let Some(cmd) = match early.next() {
      Some(cmd) => Some(cmd),
      None => cmds.recv().await,
    } {
      // The charge is given back once the message is written.
      let (message, size, _charge) = match cmd {
        Cmd::Text(t, charge) => {
          let n = t.len();
          (Message::text(t), n, charge)
        }
        Cmd::Binary(b, charge) => {
          let n = b.len();
          (Message::binary(b), n, charge)
        }
        Cmd::Abort => {
          let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
          return WriterEnd::Aborted;
        }
        Cmd::Close(code, reason) => {
          let frame = code.map(|c| CloseFrame { code: CloseCode::from(c), reason: reason.into() });
          return match sink.send(Message::Close(frame)).await {
            Ok(()) => WriterEnd::CloseSent,
            Err(_) => WriterEnd::Broken,
          };
        }
      };
      if sink.send(message).await.is_err() {
        return WriterEnd::Broken;
      }
      let _ = conn.unsent.fetch_update(std::sync::atomic::Ordering::AcqRel, std::sync::atomic::Ordering::Acquire, |v| Some(v.saturating_sub(size)));
      conn.emit(Event::Sent(size as u64));
    }
    // Going away (RFC 6455 §7.4.1): tell the peer, without waiting long for it.
    let frame = CloseFrame { code: CloseCode::Away, reason: "".into() };
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(Some(frame)))).await;
    WriterEnd::Gone
  };
  let reader = async {
    // The first close frame received (https://websockets.spec.whatwg.org/#feedback-from-the-protocol).
    let mut received: Option<(u16, String)> = None;
    loop {
      match stream.next().await {
        Some(Ok(Message::Text(t))) => {
          take_credit(conn, t.len()).await;
          conn.emit(Event::Text(t.as_str().to_owned()))
        }
        Some(Ok(Message::Binary(b))) => {
          take_credit(conn, b.len()).await;
          conn.emit(Event::Binary(b.to_vec()))
        }
        Some(Ok(Message::Close(frame))) => {
          if received.is_none() {
            received = Some(match frame {
              Some(f) => (u16::from(f.code), f.reason.as_str().to_owned()),
              None => (1005, String::new()),
            });
            conn.emit(Event::Closing);
          }
        }
        Some(Ok(_)) => {}
        Some(Err(WsError::ConnectionClosed)) | None => {
          return match received {
            Some((code, reason)) => Event::Close { code, reason, clean: true, failed: false },
            None => Event::failed(""),
          };
        }
        Some(Err(_)) => {
          return match received {
            // The peer closed properly, then dropped the connection without waiting for ours.
            Some((code, reason)) => Event::Close { code, reason, clean: false, failed: false },
            None => Event::failed(""),
          };
        }
      }
    }
  };
  tokio::pin!(writer, reader);
  let end = tokio::select! {
    // https://websockets.spec.whatwg.org/#dom-websocket-send: flagged full, the connection closes.
    _ = conn.full.cancelled() => Event::failed(""),
    end = &mut reader => end,
    w = &mut writer => match w {
      WriterEnd::Gone => return,
      WriterEnd::Aborted => Event::failed(""),
      WriterEnd::CloseSent | WriterEnd::Broken => match tokio::time::timeout(CLOSE_WAIT, &mut reader).await {
        Ok(end) => end,
        Err(_) => Event::Close { code: 1006, reason: String::new(), clean: false, failed: false },
      },
    },
  };
  conn.emit(end);
}

/// Waits until the isolate has handled enough of what it was sent before.
async fn take_credit(conn: &Conn, bytes: usize) {
  if bytes == 0 {
    return;
  }
  if let Ok(permits) = conn.credit.acquire_many(credit_of(bytes, conn.window)).await {
    permits.forget();
  }
}

#[cfg(test)]
mod tests {
  #![allow(clippy::unwrap_used)]
  use super::*;

  fn conn(url: &str, policy: NetworkOptions) -> (Conn, std::sync::mpsc::Receiver<Event>) {
    let (sender, rx) = std::sync::mpsc::channel();
    let tx: Box<dyn Fn(u64, Event) + Send + Sync> = Box::new(move |_, event| {
      let _ = sender.send(event);
    });
    let window = super::super::INCOMING_WINDOW;
    let credit = std::sync::Arc::new(tokio::sync::Semaphore::new(window));
    let unsent = Default::default();
    let full = Default::default();
    (Conn { id: 7, url: url.into(), protocols: Vec::new(), origin: None, policy, tx, credit, window, max_message: 1 << 20, unsent, full }, rx)
  }

  fn events(rx: &std::sync::mpsc::Receiver<Event>) -> Vec<Event> {
    rx.try_iter().collect()
  }

  #[test]
  fn basic_authorization_comes_from_url_credentials() {
    let auth = |u: &str| basic_authorization(&url::Url::parse(u).expect("test URL"));
    assert_eq!(auth("wss://foo:bar@example.com/").as_deref(), Some("Basic Zm9vOmJhcg=="));
    // Percent-decoded first: "a b" and "p:%" (a bad escape is kept).
    assert_eq!(auth("ws://a%20b:p%3A%zz@example.com/").as_deref(), Some("Basic YSBiOnA6JXp6"));
    assert_eq!(auth("ws://user@example.com/").as_deref(), Some("Basic dXNlcjo="));
    assert_eq!(auth("ws://example.com/"), None);
  }

  #[test]
  fn policy_refusal_is_blocked_and_connection_errors_are_plain_failures() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
      let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
      let port = listener.local_addr().unwrap().port();
      drop(listener);
      let url = format!("ws://127.0.0.1:{port}/");
      let (c, _rx) = conn(&url, NetworkOptions::default());
      assert!(matches!(connect(&c).await, Err(Failure::Refused(_))));
      let open = NetworkOptions { allow_private_networks: true, ..Default::default() };
      let (c, rx) = conn(&url, open);
      let (_keep, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
      run(c, cmd_rx).await;
      assert_eq!(events(&rx), vec![Event::failed("")]);
    });
  }

  #[test]
  fn echoes_and_closes_against_a_loopback_server() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
      let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
      let port = listener.local_addr().unwrap().port();
      let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(m)) = ws.next().await {
          if m.is_text() || m.is_binary() {
            ws.send(m).await.unwrap();
          }
        }
      });
      let open = NetworkOptions { allow_private_networks: true, ..Default::default() };
      let (c, rx) = conn(&format!("ws://127.0.0.1:{port}/x"), open);
      let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
      cmd_tx.send(Cmd::Text("héllo".into(), None)).unwrap();
      cmd_tx.send(Cmd::Binary(vec![1, 2, 3], None)).unwrap();
      let task = tokio::spawn(run(c, cmd_rx));
      // Data sent before the open goes out once open; close after both echoes arrived.
      let mut got = Vec::new();
      for _ in 0..500 {
        got.extend(events(&rx));
        if got.iter().filter(|e| matches!(e, Event::Text(_) | Event::Binary(_))).count() == 2 {
          break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
      }
      cmd_tx.send(Cmd::Close(Some(3001), "bye".into())).unwrap();
      task.await.unwrap();
      server.await.unwrap();
      got.extend(events(&rx));
      // Writes and reads interleave; open comes first and the close last.
      assert_eq!(got.len(), 7, "{got:?}");
      assert_eq!(got[0], Event::Open { protocol: String::new(), extensions: String::new() });
      for e in [Event::Sent(6), Event::Sent(3), Event::Text("héllo".into()), Event::Binary(vec![1, 2, 3]), Event::Closing] {
        assert!(got.contains(&e), "{e:?} in {got:?}");
      }
      assert_eq!(got[6], Event::Close { code: 3001, reason: "bye".into(), clean: true, failed: false });
    });
  }
}
