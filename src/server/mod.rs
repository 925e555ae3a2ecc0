//! A native HTTP and WebSocket server for a runtime (`runtime.listen()`): hyper 1 (HTTP/1.1 with
//! keep-alive and pipelining, HTTP/2 by ALPN over TLS or prior knowledge on cleartext) and
//! tokio-tungstenite on the process's one tokio runtime, rustls (ring) for HTTPS/WSS.
//!
//! Requests go from the socket to the isolate's handler without Node: each one is a
//! `Msg::Call { op: "dispatch" }` on the runtime's mailbox (src/web/serve/serve.js answers it),
//! its body pulled by the isolate from Rust (registry.rs), its response streamed back by `pull`
//! calls. Node's main thread hears only of WebSocket opens and closes, and only when the host
//! asked to (`onConnection`/`onDisconnection`). The listening and connected sockets are the pool's
//! (src/net/stream.rs, src/runtime/reactor.rs): a task on tokio accepts, and each connection is
//! then polled on the runtime's own loop (src/net/local.rs), so neither its readiness nor the handler's
//! answer crosses threads.

pub mod host;
mod http;
mod options;
pub mod registry;
mod ws;

use crate::errors::ErrorInfo;
use crate::runtime::{Mailbox, Msg, Shared};
use crate::value::Value;
pub use options::Options;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use crate::net::stream::TcpListener;
use tokio_util::sync::CancellationToken;

/// A WebSocket opened or closed: (connection info, opened).
pub type ConnEvents = Arc<dyn Fn(Value, bool) + Send + Sync>;

/// One listening server.
pub struct Core {
  pub id: u64,
  pub opts: Options,
  pub mailbox: Mailbox,
  pub shared: Arc<Shared>,
  pub owner: usize,
  pub local: SocketAddr,
  pub url: String,
  builder: hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
  /// close(): stop accepting.
  stop: CancellationToken,
  /// close(): connections finish what they are doing, then close.
  graceful: CancellationToken,
  /// Every connection ends now (close()'s timeout passed, or the runtime is gone).
  kill: CancellationToken,
  /// TCP connections open.
  open: AtomicUsize,
  all_closed: tokio::sync::Notify,
  pub events: Option<ConnEvents>,
  /// Polls the connections on the runtime's own loop.
  pub(crate) conns: Arc<crate::net::local::Local>,
}

static NEXT_SERVER: AtomicU64 = AtomicU64::new(1);

/// Runs an isolate-side operation (serve.js `internals.host(op, …)`) and waits for its answer.
pub async fn call(mailbox: &Mailbox, op: &'static str, args: Vec<Value>) -> Result<Value, ErrorInfo> {
  let (tx, rx) = tokio::sync::oneshot::channel();
  let done: crate::runtime::Reply = Box::new(move |r| {
    let _ = tx.send(r);
  });
  // A runtime that is gone drops the message, and with it `done`.
  let _ = mailbox.send(Msg::Call { op: op.into(), args, done });
  rx.await.unwrap_or_else(|_| Err(ErrorInfo::disposed(crate::errors::DISPOSED)))
}

/// Like `call`, without waiting for the answer.
pub fn notify(mailbox: &Mailbox, op: &'static str, args: Vec<Value>) {
  let _ = mailbox.send(Msg::Call { op: op.into(), args, done: Box::new(|_| {}) });
}

/// Binds and starts serving. `gone` fires when the runtime ends (its isolate drops a guard).
pub async fn start(opts: Options, mailbox: Mailbox, shared: Arc<Shared>, gone: CancellationToken, events: Option<ConnEvents>) -> Result<Arc<Core>, ErrorInfo> {
  let addr = format!("{}:{}", bracket(&opts.hostname), opts.port);
  let mut addrs = tokio::net::lookup_host(&addr)
    .await
    .map_err(|e| ErrorInfo::new("Error", format!("listen(options): hostname '{}' could not be resolved: {e}", opts.hostname)))?;
  let first = addrs.next().ok_or_else(|| ErrorInfo::new("Error", format!("listen(options): hostname '{}' has no address", opts.hostname)))?;
  let listener = TcpListener::bind(first).map_err(|e| {
    let code = match e.kind() {
      std::io::ErrorKind::AddrInUse => "EADDRINUSE",
      std::io::ErrorKind::PermissionDenied => "EACCES",
      std::io::ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
      _ => "ELISTEN",
    };
    ErrorInfo::new("Error", format!("listen(options): could not listen on {addr}: {e} ({code})"))
  })?;
  let local = listener.local_addr().map_err(|e| ErrorInfo::new("Error", format!("listen(options): {e}")))?;
  let scheme = if opts.tls.is_some() { "https" } else { "http" };
  let url = format!("{scheme}://{}:{}/", bracket(&local.ip().to_string()), local.port());
  let builder = http::builder(&opts);
  let mailbox_for_local = mailbox.clone();
  let core = Arc::new(Core {
    id: NEXT_SERVER.fetch_add(1, Ordering::Relaxed),
    owner: registry::owner_of(&shared),
    opts,
    mailbox,
    shared,
    local,
    url,
    builder,
    stop: CancellationToken::new(),
    graceful: CancellationToken::new(),
    kill: CancellationToken::new(),
    open: AtomicUsize::new(0),
    all_closed: tokio::sync::Notify::new(),
    events,
    conns: crate::net::local::Local::new(mailbox_for_local),
  });
  let c = core.clone();
  tokio::spawn(async move {
    tokio::select! {
      _ = gone.cancelled() => {}
      _ = c.kill.cancelled() => return,
    }
    // The runtime is gone: nothing can answer anymore. Requests in flight get their 503, then
    // whatever is left is dropped.
    c.stop.cancel();
    c.graceful.cancel();
    tokio::select! {
      _ = tokio::time::sleep(Duration::from_secs(1)) => {}
      _ = c.kill.cancelled() => {}
    }
    c.kill.cancel();
  });
  tokio::spawn(accept_loop(core.clone(), listener));
  Ok(core)
}

fn bracket(host: &str) -> String {
  if host.contains(':') && !host.starts_with('[') {
    format!("[{host}]")
  } else {
    host.to_string()
  }
}

async fn accept_loop(core: Arc<Core>, listener: TcpListener) {
  let tls = core.opts.tls.clone().map(tokio_rustls::TlsAcceptor::from);
  loop {
    let accepted = tokio::select! {
      _ = core.stop.cancelled() => break,
      r = listener.accept() => r,
    };
    let (tcp, peer) = match accepted {
      Ok(a) => a,
      Err(_) => {
        // Out of file descriptors or a connection reset before accept: wait a little.
        tokio::time::sleep(Duration::from_millis(10)).await;
        continue;
      }
    };
    if !core.shared.is_alive() {
      break;
    }
    // Past maxConnections a connection is closed at once (the client sees a reset).
    if core.open.load(Ordering::Acquire) >= core.opts.max_connections {
      drop(tcp);
      continue;
    }
    core.open.fetch_add(1, Ordering::AcqRel);
    let _ = tcp.set_nodelay(true);
    let c = core.clone();
    let tls = tls.clone();
    // On the runtime's loop: the handler's answer is written without crossing threads.
    core.conns.spawn(async move {
      let guard = OpenGuard(c.clone());
      match tls {
        None => http::serve(c, tcp, peer, false).await,
        Some(acceptor) => {
          // A client gets headersTimeout to finish its TLS handshake too.
          let hs = tokio::select! {
            _ = c.kill.cancelled() => None,
            r = tokio::time::timeout(c.opts.headers_timeout, acceptor.accept(tcp)) => r.ok().and_then(|r| r.ok()),
          };
          if let Some(stream) = hs {
            http::serve(c, stream, peer, true).await
          }
        }
      }
      drop(guard);
    });
  }
  drop(listener);
}

/// Counts a connection while it is open.
struct OpenGuard(Arc<Core>);

impl Drop for OpenGuard {
  fn drop(&mut self) {
    if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
      self.0.all_closed.notify_waiters();
    }
  }
}

impl Core {
  /// Stops accepting; connections finish their requests (WebSockets are closed with 1001) and
  /// close; after `timeout` whatever is left is dropped.
  pub async fn close(self: &Arc<Self>, timeout: Duration) {
    self.stop.cancel();
    self.graceful.cancel();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
      let notified = self.all_closed.notified();
      if self.open.load(Ordering::Acquire) == 0 {
        break;
      }
      if tokio::time::timeout_at(deadline, notified).await.is_err() {
        break;
      }
    }
    self.kill.cancel();
    // Dropped connections go within a moment.
    let until = tokio::time::Instant::now() + Duration::from_millis(500);
    while self.open.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < until {
      tokio::time::sleep(Duration::from_millis(5)).await;
    }
  }

  pub fn is_closed(&self) -> bool {
    self.stop.is_cancelled()
  }

  /// Fires once the server stopped accepting (close() or the runtime's end).
  pub async fn stopped(&self) {
    self.stop.cancelled().await
  }

}
