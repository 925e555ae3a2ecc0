//! The native TCP client of `connect()`: one task per socket, polled on the runtime's own loop
//! (`Local`, see mod.rs). The destination is checked by the runtime's `network` policy
//! (src/net/policy.rs) before and after resolution; connecting runs on tokio, then the plain stream
//! is the pool's reactor's (src/net/stream.rs), read and written by the worker running the
//! runtime. TLS is rustls (src/net/tls.rs), at once (`secureTransport: 'on'`) or on `startTls()`
//! over the same TCP stream. Reading and writing run concurrently (a peer that only reads once we
//! read must not deadlock our writes); reads take credit from the socket's window, which the
//! isolate gives back as its script consumes the bytes, so a peer is read only as fast as the
//! script reads.

use super::buffers::{Buffers, Chunk, READ_CHUNK};
use super::{Cmd, Event, Failure, Secure};
use bytes::BufMut;
use crate::limits::{MemoryBudget, Pool};
use crate::net::policy::{self, NetworkOptions};
use std::net::SocketAddr;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{ready, Context, Poll};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use crate::net::stream::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;

/// Default bound of connecting (TCP and TLS) when `network.timeout` is not set.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A socket's read buffer starts at READ_START and doubles each time a read fills it, up to
/// READ_CHUNK: idle and chatty sockets stay small, bulk transfers move in few large chunks.
const READ_START: usize = 16 * 1024;
/// How long a read waits before trying again when the runtime's memory limit has no room for it.
const MEMORY_RETRY: Duration = Duration::from_millis(20);
/// Retries between two requests to collect garbage while the memory has no room for a read.
const COLLECT_EVERY: u32 = 10;
/// Retries after which a read still without room, whose script consumed every byte it was given,
/// ends the runtime (two collections, the last 200 ms before).
const GIVE_UP_AFTER: u32 = 2 * COLLECT_EVERY;

pub struct Conn {
  pub id: u64,
  /// Canonical host (an IPv6 literal in brackets) and port.
  pub host: String,
  pub port: u16,
  pub secure: Secure,
  pub policy: NetworkOptions,
  /// Hands an event of socket `id` to the isolate (`super::emit` through the runtime's mailbox).
  pub emit: Box<dyn Fn(u64, Event) + Send + Sync>,
  /// The incoming window: taken per byte read, given back as the script consumes them.
  pub credit: Arc<Semaphore>,
  /// The window's size: `credit` holds all of it when the script consumed every byte read.
  pub window: usize,
  pub budget: Arc<MemoryBudget>,
  /// The runtime's kept read buffers.
  pub buffers: Arc<Buffers>,
  /// Bytes the isolate queued for writing, not written yet (the task counts them down).
  pub queued: Arc<AtomicUsize>,
}

impl Conn {
  fn emit(&self, id: u64, event: Event) {
    (self.emit)(id, event);
  }
}

/// When bytes last moved either way (the task's reader and writer, and the isolate's direct
/// writes, share it).
pub struct Activity {
  start: Instant,
  ms: AtomicU64,
}

impl Activity {
  fn new() -> Self {
    Self { start: Instant::now(), ms: AtomicU64::new(0) }
  }

  pub fn touch(&self) {
    self.ms.store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
  }

  fn last(&self) -> Instant {
    self.start + Duration::from_millis(self.ms.load(Ordering::Relaxed))
  }
}

/// A flag shared by the reader and writer of one task.
struct Flag(AtomicBool);

impl Flag {
  fn get(&self) -> bool {
    self.0.load(Ordering::Relaxed)
  }

  fn set(&self, v: bool) {
    self.0.store(v, Ordering::Relaxed)
  }
}

/// What a plain-TCP socket's task shares with the isolate: the stream, so that a write whose
/// bytes the kernel takes at once is made right on the isolate's thread (no hop to the network
/// thread and back, no promise), and the count of writes queued to the task: while any is, a new
/// write queues behind it, so bytes go out in the script's order.
pub struct Direct {
  pub stream: Arc<TcpStream>,
  pub queued: AtomicUsize,
  pub activity: Arc<Activity>,
}

/// A shared TCP stream as AsyncRead/AsyncWrite, by readiness (so the isolate's direct writes and
/// the task's reads and writes can use it at once).
struct SharedTcp(Arc<TcpStream>);

impl AsyncRead for SharedTcp {
  fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
    let mut bytes = Vec::with_capacity(buf.remaining());
    let n = ready!(self.0.poll_read_vec(cx, &mut bytes, buf.remaining()))?;
    buf.put_slice(bytes.get(..n).unwrap_or_default());
    Poll::Ready(Ok(()))
  }
}

impl AsyncWrite for SharedTcp {
  fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
    self.0.poll_write_ref(cx, buf)
  }

  fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    Poll::Ready(Ok(()))
  }

  fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    Poll::Ready(self.0.shutdown_write())
  }
}

enum Stream {
  Plain(TcpStream),
  Tls(Box<TlsStream<TcpStream>>),
}

/// Runs one socket until it is closed, fails, or the runtime goes away (its command sender is
/// dropped, which ends every wait below).
pub async fn run(mut conn: Conn, mut cmds: UnboundedReceiver<Cmd>) {
  let limit = conn.policy.timeout_ms.map(Duration::from_millis).unwrap_or(CONNECT_TIMEOUT);
  let connected = {
    let connecting = tokio::time::timeout(limit, connect(&conn));
    tokio::pin!(connecting);
    // Commands that come before the connection is up wait for it, in order; a close ends it.
    let mut early = Vec::new();
    let connected = loop {
      tokio::select! {
        r = &mut connecting => break r.unwrap_or_else(|_| Err(Failure::new("ERR_TIMEOUT", format!("connection attempt timed out after {} ms", limit.as_millis())))),
        cmd = cmds.recv() => match cmd {
          Some(Cmd::Close) | None => return,
          Some(c) => early.push(c),
        },
      }
    };
    (connected, early)
  };
  let (connected, early) = connected;
  let (mut stream, remote, local) = match connected {
    Ok(c) => c,
    Err(f) => {
      fail_early(early, &f);
      return conn.emit(conn.id, Event::Error(f));
    }
  };
  let idle = Duration::from_millis(conn.policy.socket_idle_timeout_ms.max(1));
  let activity = Arc::new(Activity::new());
  let mut id = conn.id;
  let mut early = Some(early);
  loop {
    let end = match stream {
      Stream::Plain(tcp) => {
        let tcp = Arc::new(tcp);
        let direct = Arc::new(Direct { stream: tcp.clone(), queued: AtomicUsize::new(0), activity: activity.clone() });
        conn.emit(id, Event::Opened { remote: remote.to_string(), local: local.to_string(), direct: Some(direct.clone()) });
        let (mut rd, mut wr) = (SharedTcp(tcp.clone()), SharedTcp(tcp.clone()));
        let end = pump(&conn, id, &mut rd, &mut wr, early.take().unwrap_or_default(), &mut cmds, idle, &activity, Some(&direct), Some(&*tcp)).await;
        drop((rd, wr, direct));
        match end {
          // The isolate dropped its handle before asking: the stream is ours alone again.
          PumpEnd::StartTls { .. } => match Arc::try_unwrap(tcp) {
            Ok(tcp) => (end, Some(tcp)),
            Err(_) => (end, None),
          },
          PumpEnd::Done => return,
        }
      }
      Stream::Tls(tls) => {
        conn.emit(id, Event::Opened { remote: remote.to_string(), local: local.to_string(), direct: None });
        let (mut rd, mut wr) = tokio::io::split(*tls);
        let end = pump(&conn, id, &mut rd, &mut wr, early.take().unwrap_or_default(), &mut cmds, idle, &activity, None, None).await;
        (end, None)
      }
    };
    let (PumpEnd::StartTls { id: next, hostname, credit }, plain) = end else { return };
    conn.credit = credit;
    id = next;
    let Some(tcp) = plain else {
      return conn.emit(id, Event::Error(Failure::new("ERR_TLS", "startTls() needs a plain-text socket")));
    };
    match tokio::time::timeout(limit, tls(&conn, &hostname, tcp)).await {
      Ok(Ok(s)) => stream = Stream::Tls(Box::new(s)),
      Ok(Err(f)) => return conn.emit(id, Event::Error(f)),
      Err(_) => return conn.emit(id, Event::Error(Failure::new("ERR_TIMEOUT", "the TLS handshake of startTls() timed out"))),
    }
  }
}

/// Rejects the writes a script made before a connection that never came up.
fn fail_early(early: Vec<Cmd>, f: &Failure) {
  for cmd in early {
    match cmd {
      Cmd::Write(_, _, Some(later)) | Cmd::Shutdown(later) => later.reject(f.value()),
      Cmd::Write(_, _, None) => {}
      Cmd::StartTls { .. } | Cmd::Close => {}
    }
  }
}

async fn connect(conn: &Conn) -> Result<(Stream, SocketAddr, SocketAddr), Failure> {
  policy::check_socket(&conn.host, conn.port, &conn.policy).map_err(Failure::refused)?;
  let addrs = policy::resolve_checked(&conn.host, conn.port, &conn.policy).await.map_err(|e| {
    if e.starts_with(policy::REFUSED) {
      Failure::refused(e)
    } else {
      Failure::new("ERR_DNS", e)
    }
  })?;
  let mut last = Failure::new("ERR_CONNECT", "connection attempt failed: no address");
  let mut tcp = None;
  for addr in addrs {
    match tokio::net::TcpStream::connect(addr).await {
      Ok(s) => {
        tcp = Some(s);
        break;
      }
      Err(e) => last = Failure::new("ERR_CONNECT", format!("connection attempt failed: {addr}: {e}")),
    }
  }
  let tcp = tcp.ok_or(last)?;
  let _ = tcp.set_nodelay(true);
  let remote = tcp.peer_addr().map_err(|e| Failure::new("ERR_CONNECT", format!("connection attempt failed: {e}")))?;
  let local = tcp.local_addr().map_err(|e| Failure::new("ERR_CONNECT", format!("connection attempt failed: {e}")))?;
  // Connected: from now on the socket's readiness comes from the pool's reactor, so the worker
  // running the runtime reads and writes it, with no tokio I/O thread in between.
  let tcp = tcp
    .into_std()
    .and_then(|s| TcpStream::new(mio::net::TcpStream::from_std(s)))
    .map_err(|e| Failure::new("ERR_CONNECT", format!("connection attempt failed: {e}")))?;
  let stream = match conn.secure {
    Secure::On => Stream::Tls(Box::new(tls(conn, &conn.host, tcp).await?)),
    Secure::Off | Secure::StartTls => Stream::Plain(tcp),
  };
  Ok((stream, remote, local))
}

/// The TLS handshake over `tcp`, verifying the server's certificate for `hostname` (webpki roots
/// and `network.caCertificates`), which is also the SNI.
async fn tls(conn: &Conn, hostname: &str, tcp: TcpStream) -> Result<TlsStream<TcpStream>, Failure> {
  let config = crate::net::tls::client_config(&conn.policy.ca_certificates).map_err(|e| Failure::new("ERR_TLS", e))?;
  // An IPv6 literal is named without its brackets.
  let bare = hostname.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(hostname);
  let name = ServerName::try_from(bare.to_string()).map_err(|e| Failure::new("ERR_TLS", format!("'{hostname}' cannot be a TLS server name: {e}")))?;
  tokio_rustls::TlsConnector::from(config)
    .connect(name, tcp)
    .await
    .map_err(|e| Failure::new("ERR_TLS", format!("TLS handshake with {hostname} failed: {e}")))
}

/// How pumping a stream ended.
enum PumpEnd {
  Done,
  /// `startTls()`: the new socket's id and window.
  StartTls { id: u64, hostname: String, credit: Arc<Semaphore> },
}

/// How the writer stopped.
enum WriterEnd {
  /// The runtime went away, or the script closed the socket.
  Gone,
  /// Our side is shut down and the peer's has ended: the socket is closed.
  BothDone,
  Failed(Failure),
  StartTls {
    id: u64,
    hostname: String,
    credit: Arc<Semaphore>,
  },
}

#[allow(clippy::too_many_arguments)]
async fn pump<R, W>(
  conn: &Conn,
  id: u64,
  rd: &mut R,
  wr: &mut W,
  early: Vec<Cmd>,
  cmds: &mut UnboundedReceiver<Cmd>,
  idle: Duration,
  last: &Activity,
  direct: Option<&Direct>,
  tcp: Option<&TcpStream>,
) -> PumpEnd
where
  R: AsyncRead + Unpin,
  W: AsyncWrite + Unpin,
{
  let read_done = Flag(AtomicBool::new(false));
  let write_done = Flag(AtomicBool::new(false));
  let end = {
    let reader = read_loop(conn, id, rd, tcp, last);
    let writer = write_loop(early, cmds, wr, last, &read_done, &write_done, direct, &conn.queued);
    let idler = async {
      loop {
        let due = last.last() + idle;
        tokio::time::sleep_until(due).await;
        if last.last() + idle <= Instant::now() {
          return;
        }
      }
    };
    tokio::pin!(reader, writer, idler);
    let mut reader_on = true;
    loop {
      tokio::select! {
        r = &mut reader, if reader_on => match r {
          Ok(()) => {
            read_done.set(true);
            conn.emit(id, Event::Eof);
            if write_done.get() {
              break Ok(None);
            }
            reader_on = false;
          }
          Err(f) => break Err(f),
        },
        w = &mut writer => match w {
          WriterEnd::Gone | WriterEnd::BothDone => break Ok(None),
          WriterEnd::Failed(f) => break Err(f),
          WriterEnd::StartTls { id, hostname, credit } => break Ok(Some((id, hostname, credit))),
        },
        () = &mut idler => break Err(Failure::new("ERR_TIMEOUT", format!("the socket was idle for {} ms (network.socketIdleTimeout)", idle.as_millis()))),
      }
      if read_done.get() && write_done.get() {
        break Ok(None);
      }
    }
  };
  match end {
    Ok(None) => {
      if read_done.get() && write_done.get() {
        conn.emit(id, Event::Closed);
      }
      PumpEnd::Done
    }
    Ok(Some((next, hostname, credit))) => PumpEnd::StartTls { id: next, hostname, credit },
    Err(f) => {
      conn.emit(id, Event::Error(f));
      PumpEnd::Done
    }
  }
}

/// Reads until the peer ends its side (Ok) or the connection fails, each chunk once the window
/// and the runtime's memory limit have room for it. `tcp`: the plain stream `rd` reads, read
/// from directly into the buffer's spare capacity (AsyncRead would zero it first, every read).
/// Reads go on, without waiting for the script, until the socket has nothing more or the window
/// is used up: a burst of chunks reaches the isolate in one message (the outbox).
async fn read_loop<R: AsyncRead + Unpin>(conn: &Conn, id: u64, rd: &mut R, tcp: Option<&TcpStream>, last: &Activity) -> Result<(), Failure> {
  let mut size = READ_START;
  // The buffer of the last short read (its bytes went out as a copy of their size): read into
  // again rather than allocated anew.
  let mut spare: Option<Chunk> = None;
  loop {
    let room = loop {
      let n = conn.credit.available_permits();
      if n > 0 {
        break n.min(size);
      }
      // Wait for the script to consume; the permit goes straight back.
      match conn.credit.acquire().await {
        Ok(p) => drop(p),
        Err(_) => return Ok(()),
      }
    };
    // The buffer, charged to the runtime's memory before anything is read into it: while the
    // limit has no room, the peer waits (TCP pushes back).
    let mut tries = 0;
    let mut buf = loop {
      let got = match spare.take() {
        Some(b) if b.bytes.capacity() >= size => Some(b),
        _ if size >= READ_CHUNK => conn.buffers.take(&conn.budget),
        _ => conn.budget.charge(Pool::ArrayBuffers, size).map(|c| Chunk::new(Vec::with_capacity(size), c)),
      };
      match got {
        Some(b) => break b,
        None => wait_for_memory(conn, id, &mut tries).await?,
      }
    };
    let read = match tcp {
      Some(tcp) => std::future::poll_fn(|cx| read_plain(tcp, cx, &mut buf.bytes, room)).await,
      None => rd.read_buf(&mut (&mut buf.bytes).limit(room)).await,
    };
    let n = match read {
      Ok(0) => return Ok(()),
      Ok(n) => n,
      Err(e) => return Err(Failure::new("ERR_RESET", format!("network connection lost: {e}"))),
    };
    last.touch();
    if n >= room && size < READ_CHUNK {
      size *= 2;
    }
    if let Ok(p) = conn.credit.try_acquire_many(n as u32) {
      p.forget();
    }
    if n.saturating_mul(2) >= buf.bytes.capacity() {
      // The buffer becomes the script's chunk as it is.
      conn.emit(id, Event::Data(buf));
      continue;
    }
    // A short read does not hand a large buffer to the script: its bytes move to one of their size.
    let copy = buf.bytes.get(..n).map(<[u8]>::to_vec).unwrap_or_default();
    buf.bytes.clear();
    spare = Some(buf);
    let charge = loop {
      if let Some(c) = conn.budget.charge(Pool::ArrayBuffers, copy.capacity()) {
        break c;
      }
      wait_for_memory(conn, id, &mut tries).await?;
    };
    conn.emit(id, Event::Data(Chunk::new(copy, charge)));
  }
}

/// Reads at most `room` bytes of a plain TCP stream into the spare capacity of `bytes` (no
/// zeroing) once it is readable. A short read emptied the socket's queue: the reactor stream
/// clears its readiness at once, so the next read waits for more data rather than asking the
/// kernel again for nothing.
fn read_plain(tcp: &TcpStream, cx: &mut Context<'_>, bytes: &mut Vec<u8>, room: usize) -> Poll<io::Result<usize>> {
  tcp.poll_read_vec(cx, bytes, room)
}

/// The runtime's memory has no room for a read: waits a little. The script's chunks it no longer
/// holds are garbage that V8 may not collect soon (a script that only waits for data allocates
/// little), so the isolate is asked to collect, at the first try and every COLLECT_EVERY after.
/// A script that consumed every byte it was given and still leaves no room after two collections
/// holds its whole limit: the limit trips, as an allocation of its own would (waiting could only
/// end at the execution timeout, if one is set). One that has not consumed its bytes yet is
/// waited for.
async fn wait_for_memory(conn: &Conn, id: u64, tries: &mut u32) -> Result<(), Failure> {
  if *tries >= GIVE_UP_AFTER && conn.credit.available_permits() >= conn.window {
    conn.budget.trip();
    return Err(Failure::new("ERR_MEMORY", "the runtime's memory limit has no room for the data read"));
  }
  if tries.is_multiple_of(COLLECT_EVERY) {
    conn.emit(id, Event::Collect);
  }
  *tries = tries.wrapping_add(1);
  tokio::time::sleep(MEMORY_RETRY).await;
  Ok(())
}

/// Serves the script's commands in order. After a shutdown it keeps serving them (a write then
/// fails, a close ends it) until the peer's side ends too.
#[allow(clippy::too_many_arguments)]
async fn write_loop<W: AsyncWrite + Unpin>(
  early: Vec<Cmd>,
  cmds: &mut UnboundedReceiver<Cmd>,
  wr: &mut W,
  last: &Activity,
  read_done: &Flag,
  write_done: &Flag,
  direct: Option<&Direct>,
  queued: &AtomicUsize,
) -> WriterEnd {
  // A queued write (or shutdown) is done: the isolate may write directly again once none is.
  let dequeue = || {
    if let Some(d) = direct {
      d.queued.fetch_sub(1, Ordering::AcqRel);
    }
  };
  let mut early = early.into_iter();
  loop {
    let cmd = match early.next() {
      Some(c) => c,
      None => match cmds.recv().await {
        Some(c) => c,
        None => return WriterEnd::Gone,
      },
    };
    match cmd {
      Cmd::Write(bytes, charge, later) => {
        if write_done.get() {
          queued.fetch_sub(bytes.len(), Ordering::AcqRel);
          dequeue();
          if let Some(later) = later {
            later.reject(Failure::closed().value());
          }
          continue;
        }
        let r = async {
          wr.write_all(&bytes).await?;
          wr.flush().await
        }
        .await;
        last.touch();
        queued.fetch_sub(bytes.len(), Ordering::AcqRel);
        drop(charge);
        dequeue();
        match r {
          Ok(()) => {
            if let Some(later) = later {
              later.resolve(crate::value::Value::Undefined);
            }
          }
          Err(e) => {
            // A write settled ahead fails the socket (the error event) rather than its promise.
            let f = Failure::new("ERR_RESET", format!("network connection lost: {e}"));
            if let Some(later) = later {
              later.reject(f.value());
            }
            return WriterEnd::Failed(f);
          }
        }
      }
      Cmd::Shutdown(later) => {
        if !write_done.get() {
          let _ = wr.shutdown().await;
          write_done.set(true);
        }
        dequeue();
        later.resolve(crate::value::Value::Undefined);
        if read_done.get() {
          return WriterEnd::BothDone;
        }
      }
      Cmd::StartTls { id, hostname, credit } => return WriterEnd::StartTls { id, hostname, credit },
      Cmd::Close => return WriterEnd::Gone,
    }
  }
}

#[cfg(test)]
mod tests {
  #![allow(clippy::unwrap_used)]
  use super::*;
  use std::sync::mpsc::{channel, Receiver};

  /// A Conn to 127.0.0.1:`port` whose events land in the returned receiver, with a window of
  /// `window` bytes.
  fn conn(port: u16, policy: NetworkOptions, window: usize) -> (Conn, Receiver<(u64, Event)>) {
    let (tx, rx) = channel();
    let emit: Box<dyn Fn(u64, Event) + Send + Sync> = Box::new(move |id, e| {
      let _ = tx.send((id, e));
    });
    let c = Conn {
      id: 1,
      host: "127.0.0.1".into(),
      port,
      secure: Secure::Off,
      policy,
      emit,
      credit: Arc::new(Semaphore::new(window)),
      window,
      budget: MemoryBudget::new(64 << 20),
      buffers: Arc::new(Buffers::default()),
      queued: Arc::new(AtomicUsize::new(0)),
    };
    (c, rx)
  }

  fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
  }

  #[test]
  fn the_policy_refuses_before_any_connection() {
    rt().block_on(async {
      let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
      let port = listener.local_addr().unwrap().port();
      let (c, rx) = conn(port, NetworkOptions::default(), 1024);
      let (_keep, cmds) = tokio::sync::mpsc::unbounded_channel();
      run(c, cmds).await;
      let events: Vec<_> = rx.try_iter().collect();
      assert_eq!(events.len(), 1);
      match &events[0].1 {
        Event::Error(f) => {
          assert_eq!(f.code, "ERR_POLICY");
          assert!(f.message.starts_with("proxy request failed, cannot connect to the specified address (refused by policy: 127.0.0.1 is a private address"), "{}", f.message);
        }
        _ => panic!("expected a policy error"),
      }
      // Nothing connected.
      assert!(tokio::time::timeout(Duration::from_millis(50), listener.accept()).await.is_err());
    });
  }

  /// Polls the pool's reactor (where the plain stream's readiness comes from), as an idle worker
  /// does, until dropped; between waits it lets other tests take the driver.
  struct Driver(Arc<AtomicBool>);

  impl Drop for Driver {
    fn drop(&mut self) {
      self.0.store(true, Ordering::Release);
    }
  }

  fn drive() -> Driver {
    let stop = Arc::new(AtomicBool::new(false));
    let done = stop.clone();
    std::thread::spawn(move || {
      let Some(r) = crate::runtime::reactor::Reactor::global() else { return };
      while !done.load(Ordering::Acquire) {
        if let Some(mut d) = r.try_driver() {
          r.wait(&mut d, Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(1));
      }
    });
    Driver(stop)
  }

  /// A loopback peer that sends `data` (then ends its side if `end`) and keeps the socket until
  /// the client is done; its port.
  async fn peer(data: Vec<u8>, end: bool) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
      let (mut s, _) = listener.accept().await.unwrap();
      s.write_all(&data).await.unwrap();
      if end {
        s.shutdown().await.unwrap();
      }
      let mut sink = Vec::new();
      let _ = s.read_to_end(&mut sink).await;
    });
    (port, server)
  }

  /// Runs a socket to a peer that sends 64 KiB, with the runtime's memory all held by the script;
  /// `consumed`: whether the script consumed every byte it was given. The events, and whether the
  /// memory limit tripped.
  fn read_without_room(consumed: bool) -> (Vec<Event>, bool) {
    let _driver = drive();
    rt().block_on(async {
      let (port, server) = peer(vec![7u8; 64 * 1024], false).await;
      let open = NetworkOptions { allow_private_networks: true, ..Default::default() };
      let (mut c, rx) = conn(port, open, 100_000);
      c.budget = MemoryBudget::new(1 << 20);
      let _held = c.budget.charge_anyway(Pool::ArrayBuffers, 1 << 20);
      if !consumed {
        c.credit.try_acquire_many(10).unwrap().forget();
      }
      let budget = c.budget.clone();
      let (cmds_tx, cmds) = tokio::sync::mpsc::unbounded_channel();
      let task = tokio::spawn(run(c, cmds));
      // Past GIVE_UP_AFTER retries (400 ms), with room to spare.
      tokio::time::sleep(Duration::from_millis(1000)).await;
      drop(cmds_tx);
      task.await.unwrap();
      server.abort();
      (rx.try_iter().map(|(_, e)| e).collect(), budget.exceeded.load(Ordering::SeqCst))
    })
  }

  #[test]
  fn a_read_without_room_trips_the_limit_once_the_script_consumed_all_it_got() {
    let (events, tripped) = read_without_room(true);
    assert!(tripped);
    assert!(events.iter().any(|e| matches!(e, Event::Error(f) if f.code == "ERR_MEMORY")));
    assert!(!events.iter().any(|e| matches!(e, Event::Data(_))));
    // Bytes given but not consumed yet: the script may still free memory by consuming them.
    let (events, tripped) = read_without_room(false);
    assert!(!tripped);
    assert!(!events.iter().any(|e| matches!(e, Event::Error(_) | Event::Data(_))));
  }

  #[test]
  fn reads_only_as_far_as_the_window_then_on_as_it_grows_back() {
    let _driver = drive();
    rt().block_on(async {
      let (port, server) = peer(vec![7u8; 256 * 1024], true).await;
      let open = NetworkOptions { allow_private_networks: true, ..Default::default() };
      let (c, rx) = conn(port, open, 10_000);
      let credit = c.credit.clone();
      let (cmds_tx, cmds) = tokio::sync::mpsc::unbounded_channel();
      let task = tokio::spawn(run(c, cmds));
      let received = |rx: &Receiver<(u64, Event)>, got: &mut usize, eof: &mut bool| {
        for (_, e) in rx.try_iter() {
          match e {
            Event::Data(c) => {
              assert!(c.charged() >= c.bytes.capacity());
              *got += c.bytes.len();
            }
            Event::Eof => *eof = true,
            _ => {}
          }
        }
      };
      let (mut got, mut eof) = (0, false);
      tokio::time::sleep(Duration::from_millis(200)).await;
      received(&rx, &mut got, &mut eof);
      // The peer sent 256 KiB; the task took only the window.
      assert_eq!(got, 10_000);
      assert!(!eof);
      for _ in 0..500 {
        credit.add_permits(10_000 - credit.available_permits());
        tokio::time::sleep(Duration::from_millis(2)).await;
        received(&rx, &mut got, &mut eof);
        if eof {
          break;
        }
      }
      assert_eq!(got, 256 * 1024);
      assert!(eof);
      drop(cmds_tx);
      task.await.unwrap();
      server.await.unwrap();
    });
  }
}
