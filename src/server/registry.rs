//! What the native server shares with the isolate's natives (src/web/serve/mod.rs): request
//! bodies the isolate pulls, and the WebSocket connections `ws.send`/`ws.close` go to.
//!
//! Entries are keyed by ids the server makes and carry the runtime they belong to (`owner`, the
//! address of its `Shared`): a script that guesses another runtime's id finds nothing.

use crate::limits::Charge;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc::UnboundedSender;

/// The runtime an entry belongs to.
pub fn owner_of(shared: &Arc<crate::runtime::Shared>) -> usize {
  Arc::as_ptr(shared) as usize
}

// --- request bodies ------------------------------------------------------------------------------

/// A request body as the isolate reads it: hyper's stream, the bytes read so far and the most
/// it may have.
pub struct Body {
  incoming: Option<Incoming>,
  read: u64,
  max: u64,
}

pub type BodySlot = Arc<tokio::sync::Mutex<Body>>;

struct BodyEntry {
  owner: usize,
  slot: BodySlot,
}

fn bodies() -> &'static Mutex<HashMap<u64, BodyEntry>> {
  static B: OnceLock<Mutex<HashMap<u64, BodyEntry>>> = OnceLock::new();
  B.get_or_init(Default::default)
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id for a body or a dispatch (never 0: serve.js reads 0 as "no body").
pub fn next_id() -> u64 {
  NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Registers a request body; it is forgotten when the returned guard drops (the request is over).
pub fn add_body(owner: usize, incoming: Incoming, max: u64) -> BodyGuard {
  let id = next_id();
  let slot = Arc::new(tokio::sync::Mutex::new(Body { incoming: Some(incoming), read: 0, max }));
  if let Ok(mut b) = bodies().lock() {
    b.insert(id, BodyEntry { owner, slot });
  }
  BodyGuard(id)
}

pub struct BodyGuard(pub u64);

impl Drop for BodyGuard {
  fn drop(&mut self) {
    if let Ok(mut b) = bodies().lock() {
      b.remove(&self.0);
    }
  }
}

pub fn body(owner: usize, id: u64) -> Option<BodySlot> {
  let b = bodies().lock().ok()?;
  b.get(&id).filter(|e| e.owner == owner).map(|e| e.slot.clone())
}

/// What reading the next chunk gave.
pub enum Chunk {
  Data(Bytes),
  End,
  /// The body is larger than maxRequestBodyBytes, or the client went away mid-body.
  Failed(String),
}

impl Body {
  /// The next chunk of data (trailers are skipped).
  pub async fn next(&mut self) -> Chunk {
    let Some(incoming) = self.incoming.as_mut() else { return Chunk::End };
    loop {
      match incoming.frame().await {
        None => {
          self.incoming = None;
          return Chunk::End;
        }
        Some(Err(e)) => {
          self.incoming = None;
          return Chunk::Failed(format!("the request body could not be read: {e}"));
        }
        Some(Ok(frame)) => {
          let Ok(data) = frame.into_data() else { continue };
          self.read = self.read.saturating_add(data.len() as u64);
          if self.read > self.max {
            self.incoming = None;
            return Chunk::Failed(format!("the request body is larger than maxRequestBodyBytes ({} bytes)", self.max));
          }
          if !data.is_empty() {
            return Chunk::Data(data);
          }
        }
      }
    }
  }

  /// The isolate cancelled the body: stop reading it.
  pub fn cancel(&mut self) {
    self.incoming = None;
  }
}

// --- WebSocket connections -----------------------------------------------------------------------

/// What the isolate (or the host's `server.send`) asks of a native WebSocket connection. Data
/// holds its charge of the runtime's memory budget until it is written.
#[derive(Debug)]
pub enum WsCmd {
  Text(String, Option<Charge>),
  Binary(Vec<u8>, Option<Charge>),
  Ping(Vec<u8>),
  Pong(Vec<u8>),
  Close(u16, String),
  /// Drop the connection without a closing handshake.
  Terminate,
}

/// One open native WebSocket, as the natives and the host see it.
pub struct Conn {
  pub owner: usize,
  pub server: u64,
  pub tx: UnboundedSender<WsCmd>,
  /// Bytes queued and not yet written (Bun's `getBufferedAmount()`).
  pub buffered: Arc<AtomicUsize>,
  /// A send returned -1: call `drain` once the queue is below the limit again.
  pub drain_wanted: Arc<AtomicBool>,
  pub backpressure_limit: usize,
  pub remote_address: String,
  pub protocol: String,
  pub opened_at: f64,
}

fn conns() -> &'static Mutex<HashMap<String, Arc<Conn>>> {
  static C: OnceLock<Mutex<HashMap<String, Arc<Conn>>>> = OnceLock::new();
  C.get_or_init(Default::default)
}

pub fn add_conn(id: String, conn: Arc<Conn>) {
  if let Ok(mut c) = conns().lock() {
    c.insert(id, conn);
  }
}

pub fn remove_conn(id: &str) {
  if let Ok(mut c) = conns().lock() {
    c.remove(id);
  }
}

/// The connection `id` of runtime `owner`.
pub fn conn(owner: usize, id: &str) -> Option<Arc<Conn>> {
  let c = conns().lock().ok()?;
  c.get(id).filter(|c| c.owner == owner).cloned()
}

/// The connection `id` of server `server`.
pub fn server_conn(server: u64, id: &str) -> Option<Arc<Conn>> {
  let c = conns().lock().ok()?;
  c.get(id).filter(|c| c.server == server).cloned()
}

/// The open connections of server `server`, oldest first.
pub fn server_conns(server: u64) -> Vec<(String, Arc<Conn>)> {
  let Ok(c) = conns().lock() else { return Vec::new() };
  let mut list: Vec<(String, Arc<Conn>)> = c.iter().filter(|(_, c)| c.server == server).map(|(k, v)| (k.clone(), v.clone())).collect();
  list.sort_by(|a, b| a.1.opened_at.total_cmp(&b.1.opened_at));
  list
}

/// What `send` did, as Bun's `ws.send` reports it.
pub const DROPPED: i32 = 0;
pub const BACKPRESSURE: i32 = -1;

impl Conn {
  /// Queues data. Returns the bytes queued, -1 when the queue is past the backpressure limit
  /// (queued all the same; `drain` follows), or 0 when dropped: the connection is closed, or the
  /// queue would pass 4× the limit (a script that ignores -1 cannot queue without bound).
  pub fn send(&self, cmd: WsCmd, size: usize) -> i32 {
    let before = self.buffered.load(Ordering::Acquire);
    if before.saturating_add(size) > self.backpressure_limit.saturating_mul(4) {
      return DROPPED;
    }
    self.buffered.fetch_add(size, Ordering::AcqRel);
    if self.tx.send(cmd).is_err() {
      self.buffered.fetch_sub(size, Ordering::AcqRel);
      return DROPPED;
    }
    if before + size > self.backpressure_limit {
      self.drain_wanted.store(true, Ordering::Release);
      return BACKPRESSURE;
    }
    size.min(i32::MAX as usize) as i32
  }
}

#[cfg(test)]
mod tests {
  #![allow(clippy::unwrap_used)]
  use super::*;

  fn conn(limit: usize) -> (Conn, tokio::sync::mpsc::UnboundedReceiver<WsCmd>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let c = Conn {
      owner: 1,
      server: 1,
      tx,
      buffered: Default::default(),
      drain_wanted: Default::default(),
      backpressure_limit: limit,
      remote_address: String::new(),
      protocol: String::new(),
      opened_at: 0.0,
    };
    (c, rx)
  }

  #[test]
  fn send_reports_bytes_then_backpressure_then_drops() {
    let (c, _rx) = conn(10);
    assert_eq!(c.send(WsCmd::Text("12345".into(), None), 5), 5);
    assert_eq!(c.send(WsCmd::Text("123456".into(), None), 6), BACKPRESSURE);
    assert!(c.drain_wanted.load(Ordering::Acquire));
    assert_eq!(c.send(WsCmd::Binary(vec![0; 30], None), 30), DROPPED);
    assert_eq!(c.buffered.load(Ordering::Acquire), 11);
  }

  #[test]
  fn send_to_a_closed_connection_is_dropped() {
    let (c, rx) = conn(10);
    drop(rx);
    assert_eq!(c.send(WsCmd::Text("x".into(), None), 1), DROPPED);
    assert_eq!(c.buffered.load(Ordering::Acquire), 0);
  }

  #[test]
  fn entries_are_only_found_by_their_owner() {
    let (c, _rx) = conn(10);
    add_conn("reg-test".into(), Arc::new(c));
    assert!(super::conn(1, "reg-test").is_some());
    assert!(super::conn(2, "reg-test").is_none());
    assert!(server_conn(1, "reg-test").is_some());
    remove_conn("reg-test");
    assert!(super::conn(1, "reg-test").is_none());
  }
}
