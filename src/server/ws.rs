//! A native WebSocket connection (RFC 6455) after `server.upgrade()`: hyper hands over the
//! upgraded connection, tokio-tungstenite does the framing, and every event reaches the isolate
//! as an `ws*` call of serve.js; `ws.send`/`ws.close` come back through the registry.

use super::registry::{self, WsCmd};
use super::{notify, Core};
use crate::limits::Pool;
use crate::value::Value;
use futures_util::{SinkExt, StreamExt};
use hyper::header::HeaderValue;
use hyper::upgrade::OnUpgrade;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

/// How long to wait for the peer's close frame after sending ours.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// What one read of a WebSocket connection takes at most.
const READ_BUFFER: usize = 16 << 10;
/// Bytes of queued messages written with one flush at most.
const WRITE_BATCH: usize = 256 << 10;

/// Bytes of received messages one connection may have on their way to the isolate: past it the
/// connection stops reading (TCP pushes back on the client) until the isolate catches up.
const INCOMING_WINDOW: usize = 16 << 20;

/// Answers the upgrade request with 101 and starts the connection once hyper hands it over.
#[allow(clippy::too_many_arguments)]
pub fn accept(
  core: Arc<Core>,
  peer: SocketAddr,
  tls: bool,
  cid: String,
  key: &str,
  extra_headers: &str,
  offered_protocol: Option<String>,
  on_upgrade: OnUpgrade,
) -> Response<super::http::RespBody> {
  let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
  let mut response = Response::new(super::http::RespBody::empty());
  *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
  let map = response.headers_mut();
  let mut protocol = None;
  let mut parts = extra_headers.split('\n');
  while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
    let lower = name.to_ascii_lowercase();
    if matches!(lower.as_str(), "upgrade" | "connection" | "sec-websocket-accept" | "content-length" | "transfer-encoding") {
      continue;
    }
    let (Ok(n), Ok(v)) = (hyper::header::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) else { continue };
    if lower == "sec-websocket-protocol" {
      protocol = Some(value.to_string());
    }
    map.append(n, v);
  }
  // The first subprotocol the client offered is echoed unless the handler chose one (as `ws`).
  if protocol.is_none() {
    if let Some(p) = offered_protocol.as_deref().and_then(|p| HeaderValue::from_str(p).ok()) {
      map.insert("sec-websocket-protocol", p);
      protocol = offered_protocol;
    }
  }
  map.insert(hyper::header::UPGRADE, HeaderValue::from_static("websocket"));
  map.insert(hyper::header::CONNECTION, HeaderValue::from_static("Upgrade"));
  if let Ok(v) = HeaderValue::from_str(&accept) {
    map.insert("sec-websocket-accept", v);
  }
  // On the runtime's loop, as its HTTP connection was: `ws.send` reaches the socket on the same
  // thread.
  // Counted open from now (not from the task's first poll): a close() that comes right after the
  // client saw the 101 waits for this connection and sends it 1001.
  core.open.fetch_add(1, Ordering::AcqRel);
  let open = super::OpenGuard(core.clone());
  let conns = core.conns.clone();
  conns.spawn(run(core, open, peer, tls, cid, protocol.unwrap_or_default(), on_upgrade));
  response
}

fn info(cid: &str, conn: &registry::Conn) -> Value {
  Value::Object(vec![
    ("id".into(), Value::String(cid.into())),
    ("remoteAddress".into(), Value::String(conn.remote_address.clone())),
    ("protocol".into(), Value::String(conn.protocol.clone())),
    ("openedAt".into(), Value::Number(conn.opened_at)),
  ])
}

/// How the connection ended, as the isolate's `close(ws, code, reason)` hears it.
struct End {
  code: u16,
  reason: String,
}

async fn run(core: Arc<Core>, _open: super::OpenGuard, peer: SocketAddr, _tls: bool, cid: String, protocol: String, on_upgrade: OnUpgrade) {
  let upgraded = tokio::select! {
    _ = core.kill.cancelled() => None,
    r = on_upgrade => r.ok(),
  };
  let Some(upgraded) = upgraded else {
    notify(&core.mailbox, "wsCancel", vec![Value::String(cid)]);
    return;
  };
  let max = core.opts.ws_max_payload;
  // tungstenite zero-fills its read buffer's free room before every read: at the default
  // 128 KiB that memset was an eighth of an echo server's CPU (perf). A large message takes
  // more reads instead.
  let config = WebSocketConfig::default().max_message_size(Some(max)).max_frame_size(Some(max)).read_buffer_size(READ_BUFFER);
  let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
  let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
  let opened_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as f64).unwrap_or(0.0);
  let conn = Arc::new(registry::Conn {
    owner: core.owner,
    server: core.id,
    tx,
    buffered: Arc::new(AtomicUsize::new(0)),
    drain_wanted: Default::default(),
    backpressure_limit: core.opts.ws_backpressure_limit,
    remote_address: peer.ip().to_string(),
    protocol,
    opened_at,
  });
  registry::add_conn(cid.clone(), conn.clone());
  let meta = info(&cid, &conn);
  if let Some(events) = &core.events {
    events(meta.clone(), true);
  }
  // Calls queue in order on the runtime's inbox: open runs before any message.
  notify(&core.mailbox, "wsOpen", vec![Value::String(cid.clone()), Value::String(peer.ip().to_string()), Value::String(conn.protocol.clone())]);
  let end = pump(&core, &cid, &conn, ws, rx).await;
  registry::remove_conn(&cid);
  notify(&core.mailbox, "wsClose", vec![Value::String(cid.clone()), Value::Number(end.code as f64), Value::String(end.reason)]);
  if let Some(events) = &core.events {
    events(meta, false);
  }
}

fn frame(code: u16, reason: &str) -> Message {
  Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: reason.to_string().into() }))
}

async fn pump<S>(core: &Arc<Core>, cid: &str, conn: &Arc<registry::Conn>, ws: WebSocketStream<S>, mut rx: tokio::sync::mpsc::UnboundedReceiver<WsCmd>) -> End
where
  S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
  let (mut sink, mut stream) = ws.split();
  let window = INCOMING_WINDOW.min(core.shared.budget.limit_bytes / 2).max(1);
  let credit = Arc::new(Semaphore::new(window));
  let idle = core.opts.ws_idle_timeout;
  let mut last_seen = Instant::now();
  let mut pinged = false;
  let mut tick = tokio::time::interval((idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(5)));
  tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
  // The close frame we sent (we wait for the peer's answer), and the one we received.
  let mut sent_close: Option<(u16, String, Instant)> = None;
  let mut received: Option<(u16, String)> = None;
  let mut graceful_done = false;
  // Made once: made in the loop, each message would register and drop two waiters (locks).
  let kill = core.kill.cancelled();
  let graceful = core.graceful.cancelled();
  tokio::pin!(kill, graceful);
  loop {
    if let Some((code, reason, at)) = &sent_close {
      if at.elapsed() > CLOSE_WAIT {
        return End { code: *code, reason: reason.clone() };
      }
    }
    tokio::select! {
      _ = &mut kill => return End { code: 1006, reason: String::new() },
      _ = &mut graceful, if !graceful_done => {
        graceful_done = true;
        if sent_close.is_none() {
          let _ = sink.send(frame(1001, "Server closing")).await;
          sent_close = Some((1001, "Server closing".into(), Instant::now()));
        }
      }
      _ = tick.tick() => {
        let quiet = last_seen.elapsed();
        if sent_close.is_none() && quiet >= idle {
          let _ = sink.send(frame(1001, "Idle timeout")).await;
          sent_close = Some((1001, "Idle timeout".into(), Instant::now()));
        } else if !pinged && quiet >= idle / 2 {
          // An idle peer is asked for a pong; one that answers stays open.
          pinged = true;
          let _ = sink.send(Message::Ping(Default::default())).await;
        }
      }
      cmd = rx.recv(), if sent_close.is_none() => {
        let Some(cmd) = cmd else { return End { code: 1006, reason: String::new() } };
        // The commands queued meanwhile (a handler's sends of one batch of messages) go out in
        // one flush, one write(2), instead of one each.
        let mut next = Some(cmd);
        let mut size = 0;
        let mut ok = true;
        let mut batched = 0;
        while let Some(cmd) = next.take() {
          let (message, n, _charge) = match cmd {
            WsCmd::Text(t, c) => { let n = t.len(); (Message::text(t), n, c) }
            WsCmd::Binary(b, c) => { let n = b.len(); (Message::binary(b), n, c) }
            WsCmd::Ping(d) => (Message::Ping(d.into()), 0, None),
            WsCmd::Pong(d) => (Message::Pong(d.into()), 0, None),
            WsCmd::Close(code, reason) => {
              let _ = sink.send(frame(code, &reason)).await;
              sent_close = Some((code, reason, Instant::now()));
              break;
            }
            WsCmd::Terminate => return End { code: 1006, reason: String::new() },
          };
          size += n;
          batched += n.max(1);
          if sink.feed(message).await.is_err() {
            ok = false;
            break;
          }
          // Bounded, so that a busy connection still reads and ticks between batches.
          if batched < WRITE_BATCH {
            next = rx.try_recv().ok();
          }
        }
        let ok = ok && sink.flush().await.is_ok();
        let left = conn.buffered.fetch_sub(size, Ordering::AcqRel).saturating_sub(size);
        if left <= conn.backpressure_limit && conn.drain_wanted.swap(false, Ordering::AcqRel) {
          notify(&core.mailbox, "wsDrain", vec![Value::String(cid.into())]);
        }
        if !ok {
          return End { code: 1006, reason: String::new() };
        }
      }
      msg = stream.next() => {
        last_seen = Instant::now();
        pinged = false;
        match msg {
          Some(Ok(Message::Text(t))) => {
            let bytes = t.len();
            deliver(core, &credit, window, cid, Value::String(t.as_str().to_owned()), bytes).await;
          }
          Some(Ok(Message::Binary(b))) => {
            let bytes = b.len();
            deliver(core, &credit, window, cid, Value::ArrayBuffer(b.to_vec()), bytes).await;
          }
          Some(Ok(Message::Ping(d))) => notify(&core.mailbox, "wsPing", vec![Value::String(cid.into()), Value::ArrayBuffer(d.to_vec())]),
          Some(Ok(Message::Pong(d))) => notify(&core.mailbox, "wsPong", vec![Value::String(cid.into()), Value::ArrayBuffer(d.to_vec())]),
          Some(Ok(Message::Close(f))) => {
            if received.is_none() {
              received = Some(match f {
                Some(f) => (u16::from(f.code), f.reason.as_str().to_owned()),
                None => (1005, String::new()),
              });
            }
            // tungstenite answers the close frame itself; the stream ends once it is flushed.
            let _ = sink.flush().await;
          }
          Some(Ok(Message::Frame(_))) => {}
          Some(Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))) => {
            // RFC 6455 §7.4.1: 1009, the message is too big to process.
            let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(frame(1009, "Message too big"))).await;
            // The peer is likely still sending that message: closing with its bytes unread makes
            // the kernel reset the connection, and the peer can lose our close frame to the reset
            // (it then reports 1006). So its bytes are read and dropped until it closes (§7.1.1).
            if let Ok(mut ws) = sink.reunite(stream) {
              tokio::select! {
                _ = core.kill.cancelled() => {}
                _ = discard_until_closed(ws.get_mut()) => {}
              }
            }
            return End { code: 1009, reason: "Message too big".into() };
          }
          Some(Err(WsError::ConnectionClosed)) | None => {
            return match (received.take(), sent_close.take()) {
              (Some((code, reason)), _) => End { code, reason },
              (None, Some((code, reason, _))) => End { code, reason },
              (None, None) => End { code: 1006, reason: String::new() },
            };
          }
          Some(Err(_)) => {
            return match received.take() {
              Some((code, reason)) => End { code, reason },
              None => End { code: 1006, reason: String::new() },
            };
          }
        }
      }
    }
  }
}

/// Reads and drops bytes until the peer closes its side, fails, or CLOSE_WAIT passes.
async fn discard_until_closed<S: tokio::io::AsyncRead + Unpin>(io: &mut S) {
  let mut buf = vec![0u8; 16 * 1024];
  let _ = tokio::time::timeout(CLOSE_WAIT, async {
    while let Ok(n) = io.read(&mut buf).await {
      if n == 0 {
        break;
      }
    }
  })
  .await;
}

/// Hands a message to the isolate once the window has room; the room comes back when its
/// handler is done. Its bytes are charged to the runtime while they wait.
async fn deliver(core: &Arc<Core>, credit: &Arc<Semaphore>, window: usize, cid: &str, data: Value, bytes: usize) {
  let permits = bytes.min(window).min(u32::MAX as usize) as u32;
  if permits > 0 {
    if let Ok(p) = credit.acquire_many(permits).await {
      p.forget();
    }
  }
  let charge = core.shared.budget.charge_anyway(Pool::ArrayBuffers, bytes);
  let credit = credit.clone();
  let done: crate::runtime::Reply = Box::new(move |_| {
    drop(charge);
    credit.add_permits(permits as usize);
  });
  let _ = core.mailbox.send(crate::runtime::Msg::Call { op: "wsMessage".into(), args: vec![Value::String(cid.into()), data], done });
}
