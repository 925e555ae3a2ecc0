//! A runtime: one isolate and one context, owned by a dedicated thread running an event loop.
//!
//! Everything reaches the loop as a [`Msg`] on one channel: host commands, replies of async host
//! work, V8's own foreground tasks, watchdog wake-ups. Any Rust code (a native server or network
//! client later) can feed the same loop through a [`RuntimeHandle`] without passing through Node.

mod bindings;
mod event_loop;
mod modules;
mod rejections;
mod snapshot;
mod state;
#[cfg(test)]
mod tests;

pub use bindings::throw_dom_exception;
pub use state::State;
use crate::errors::{disposed_because, ErrorInfo, DISPOSED};
use crate::limits::MemoryBudget;
use crate::value::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FnKind {
  Sync,
  Async,
  AsyncIterator,
}

#[derive(Clone, Debug)]
pub struct Config {
  pub memory_limit_mb: f64,
  /// Per-eval wall-clock limit in ms.
  pub execution_timeout_ms: Option<u64>,
  /// Custom host functions, by index.
  pub functions: Vec<(String, FnKind)>,
  pub has_module_loader: bool,
  pub has_console: bool,
  /// The host's `onFetch` (alias `fetch`) callback takes every isolate fetch().
  pub has_on_fetch: bool,
  /// The host's `webSocket` callback decides every isolate WebSocket.
  pub has_web_socket: bool,
  /// Without onFetch, the native client does requests under this policy; None: no egress.
  pub network: Option<crate::net::policy::NetworkOptions>,
}

impl Default for Config {
  fn default() -> Self {
    Self {
      memory_limit_mb: 128.0,
      execution_timeout_ms: None,
      functions: Vec::new(),
      has_module_loader: false,
      has_console: false,
      has_on_fetch: false,
      has_web_socket: false,
      network: None,
    }
  }
}

/// Work the isolate asks of the host. Replies come back as [`Msg::Reply`] with the given id.
#[derive(Debug)]
pub enum HostOp {
  Call { index: usize, args: Vec<Value> },
  IterOpen { index: usize, args: Vec<Value> },
  IterNext { iter: u64, arg: Value },
  IterReturn { iter: u64, arg: Value },
  IterThrow { iter: u64, arg: Value },
  Load { specifier: String, importer: String },
  /// Calls a function of the host-side glue (src/host/glue.js), e.g. to read a request body.
  Glue { name: String, args: Vec<Value> },
  /// Asks the host's `webSocket(url, protocols)` callback about isolate WebSocket `id`; settles
  /// with 'native', 'blocked' or 'bridged' (src/web/websocket/).
  WebSocket { id: u64, url: String, protocols: Vec<String> },
}

/// What a host call produced: a value, or the thrown/rejected value.
pub type Outcome = Result<Value, Value>;

/// The host side of a runtime (Node, or a fake in Rust tests).
pub trait Host: Send + Sync + 'static {
  fn console_entry(&self, entry: Value);
  /// Runs a sync custom function; blocks the isolate thread until the host answers.
  fn call_sync(&self, index: usize, args: Vec<Value>) -> Outcome;
  /// Starts async host work; its outcome must come back as `Msg::Reply { id, .. }` on `reply`.
  fn call_async(&self, op: HostOp, id: u64, reply: Sender<Msg>);
  /// A command from the isolate for the host (e.g. a server WebSocket's send or close).
  fn command(&self, command: Value);
  /// Like `command`, then runs `delivered` once the host's listeners have seen it.
  fn command_then(&self, command: Value, delivered: Box<dyn FnOnce() + Send>) {
    self.command(command);
    delivered();
  }
  /// The runtime thread is exiting: release host references.
  fn shutdown(&self);
}

/// Settles a host promise. Dropping it unsettled must reject it ("Runtime has been disposed").
pub type Completion = Box<dyn FnOnce(Result<(), ErrorInfo>) + Send>;

/// A promise handed to isolate code by a native whose work finishes elsewhere (a tokio task, the
/// host): settle it from any thread; it settles on the isolate's loop. Dropped unsettled, the
/// promise stays pending (the runtime is going away).
pub struct Later {
  id: u64,
  tx: Sender<Msg>,
}

impl Later {
  /// Creates the promise (returned to the caller) and its settler.
  pub fn new<'s>(scope: &mut v8::PinScope<'s, '_>) -> Option<(v8::Local<'s, v8::Promise>, Later)> {
    let state = State::get(scope)?;
    let resolver = v8::PromiseResolver::new(scope)?;
    let promise = resolver.get_promise(scope);
    let mut s = state.borrow_mut();
    let id = s.next_id();
    s.pending.insert(id, state::Pending::Resolver(v8::Global::new(scope, resolver)));
    Some((promise, Later { id, tx: s.tx.clone() }))
  }

  pub fn settle(self, outcome: Outcome) {
    let _ = self.tx.send(Msg::Reply { id: self.id, outcome });
  }

  pub fn resolve(self, value: Value) {
    self.settle(Ok(value))
  }

  pub fn reject(self, error: Value) {
    self.settle(Err(error))
  }

  /// Hands the promise to async host work: the host's reply settles it.
  pub fn call_host(self, host: &dyn Host, op: HostOp) {
    host.call_async(op, self.id, self.tx)
  }
}

/// Gets the value (or error) an isolate-side operation settled with.
pub type Reply = Box<dyn FnOnce(Result<Value, ErrorInfo>) + Send>;

pub enum Msg {
  Eval { code: String, filename: String, timeout_ms: Option<u64>, done: Completion },
  /// Runs an isolate-side operation of the host API (`internals.host(op, id, args)`, e.g. a
  /// request dispatch); it answers through the `settled` native.
  Call { op: String, args: Vec<Value>, done: Reply },
  Reply { id: u64, outcome: Outcome },
  V8Task(v8::Task, f64),
  /// Something outside the loop (the watchdog) changed shared state; re-check it.
  Wake,
  /// Something happened to isolate WebSocket `id` (a network task or a bridged host socket).
  WebSocket { id: u64, event: crate::web::websocket::Event },
  Dispose { done: Option<Completion> },
}

/// State shared between the runtime thread and its handles.
pub struct Shared {
  pub budget: Arc<MemoryBudget>,
  pub memory_limit_mb: f64,
  /// Generation of the eval whose deadline fired (0: none), and that deadline in ms.
  pub timeout_gen: AtomicU64,
  pub timeout_ms: AtomicU64,
  pub isolate: OnceLock<v8::IsolateHandle>,
  pub heap_used: AtomicU64,
  pub heap_limit: AtomicU64,
  cpu_clock: OnceLock<libc::clockid_t>,
  cpu_last: AtomicU64,
  /// What the host's `runtime.fetch` reads without waiting for the isolate.
  pub serve: ServeState,
  /// Set once the loop stops taking work; the reason is given to every later call.
  dead: Mutex<Option<String>>,
  alive: AtomicBool,
}

impl Shared {
  pub fn is_alive(&self) -> bool {
    self.alive.load(Ordering::Acquire)
  }

  /// The message every call gets once the runtime is gone.
  pub fn dead_message(&self) -> String {
    self.dead.lock().ok().and_then(|d| d.clone()).unwrap_or_else(|| DISPOSED.to_string())
  }

  pub fn mark_dead(&self, reason: Option<&str>) {
    if let Ok(mut d) = self.dead.lock() {
      if d.is_none() {
        *d = Some(match reason {
          Some(r) => disposed_because(r),
          None => DISPOSED.to_string(),
        });
      }
    }
    self.alive.store(false, Ordering::Release);
  }

  /// CPU time used by the runtime's thread, in ms.
  pub fn cpu_time_ms(&self) -> f64 {
    let Some(clock) = self.cpu_clock.get() else { return 0.0 };
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // Reading a finished thread's clock fails; it then reports the last sample.
    if unsafe { libc::clock_gettime(*clock, &mut ts) } != 0 {
      return f64::from_bits(self.cpu_last.load(Ordering::Relaxed));
    }
    let ms = ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6;
    self.cpu_last.store(ms.to_bits(), Ordering::Relaxed);
    ms
  }
}

#[derive(Default)]
pub struct ServeState {
  pub registered: AtomicBool,
  /// Bytes of WebSocket commands posted to the host and not yet delivered to its listeners.
  pub pending_bytes: std::sync::atomic::AtomicUsize,
  /// A `ws.send` returned -1: call the isolate's `drain` once the host catches up.
  pub drain_wanted: AtomicBool,
  pub connections: std::sync::atomic::AtomicUsize,
  /// The connection id of the latest `server.upgrade()` not yet opened.
  pub upgrade: Mutex<Option<String>>,
}

pub struct RuntimeHandle {
  tx: Sender<Msg>,
  pub shared: Arc<Shared>,
  thread: Mutex<Option<JoinHandle<()>>>,
}

impl RuntimeHandle {
  /// Starts the runtime thread; `ready` is told once the isolate is set up (or why it failed).
  pub fn spawn(config: Config, host: Arc<dyn Host>, ready: Box<dyn FnOnce(Result<(), ErrorInfo>) + Send>) -> Result<Arc<Self>, ErrorInfo> {
    crate::platform::init();
    let limit_bytes = (config.memory_limit_mb * 1024.0 * 1024.0) as usize;
    let shared = Arc::new(Shared {
      budget: MemoryBudget::new(limit_bytes),
      memory_limit_mb: config.memory_limit_mb,
      timeout_gen: AtomicU64::new(0),
      timeout_ms: AtomicU64::new(0),
      isolate: OnceLock::new(),
      heap_used: AtomicU64::new(0),
      heap_limit: AtomicU64::new(limit_bytes as u64),
      cpu_clock: OnceLock::new(),
      cpu_last: AtomicU64::new(0),
      serve: ServeState::default(),
      dead: Mutex::new(None),
      alive: AtomicBool::new(true),
    });
    let (tx, rx) = mpsc::channel();
    let thread_shared = shared.clone();
    let thread_tx = tx.clone();
    let thread = std::thread::Builder::new()
      .name("edge-isolate".into())
      .stack_size(8 << 20)
      .spawn(move || {
        let mut clock: libc::clockid_t = 0;
        if unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) } == 0 {
          let _ = thread_shared.cpu_clock.set(clock);
        }
        let s = thread_shared.clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
          event_loop::run(config, host, thread_shared, thread_tx, rx, ready)
        }));
        if result.is_err() {
          s.mark_dead(Some("its thread failed unexpectedly"));
        }
      })
      .map_err(|e| ErrorInfo::new("Error", format!("could not start the runtime thread: {e}")))?;
    Ok(Arc::new(Self { tx, shared, thread: Mutex::new(Some(thread)) }))
  }

  /// Sends a message to the loop; if the loop is gone, the message (and any completion in it,
  /// which then rejects) is dropped and false is returned.
  pub fn send(&self, msg: Msg) -> bool {
    self.send_or_return(msg).is_ok()
  }

  /// Like `send`, but gives the message back when the loop is gone.
  pub fn send_or_return(&self, msg: Msg) -> Result<(), Msg> {
    if !self.shared.is_alive() {
      return Err(msg);
    }
    self.tx.send(msg).map_err(|e| e.0)
  }

  /// Asks the loop to stop, interrupting any script that is running now.
  pub fn dispose(&self, done: Completion) -> Result<(), Completion> {
    if let Some(h) = self.shared.isolate.get() {
      h.terminate_execution();
    }
    match self.send_or_return(Msg::Dispose { done: Some(done) }) {
      Ok(()) => Ok(()),
      Err(Msg::Dispose { done: Some(done) }) => Err(done),
      Err(_) => Ok(()),
    }
  }

  /// Stops the runtime (even mid-script) and waits up to `timeout` for its thread to finish.
  pub fn stop_and_wait(&self, timeout: std::time::Duration) {
    if let Some(h) = self.shared.isolate.get() {
      h.terminate_execution();
    }
    let _ = self.send_or_return(Msg::Dispose { done: None });
    let deadline = std::time::Instant::now() + timeout;
    loop {
      let finished = self.thread.lock().ok().map(|t| t.as_ref().is_none_or(|t| t.is_finished())).unwrap_or(true);
      if finished {
        return self.join();
      }
      if std::time::Instant::now() >= deadline {
        return;
      }
      std::thread::sleep(std::time::Duration::from_millis(2));
    }
  }

  /// Waits for the runtime thread to finish (after a Dispose).
  pub fn join(&self) {
    let t = self.thread.lock().ok().and_then(|mut t| t.take());
    if let Some(t) = t {
      if t.thread().id() != std::thread::current().id() {
        let _ = t.join();
      }
    }
  }
}
