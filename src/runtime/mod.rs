//! A runtime: one isolate and one context, run by the process's pool of event-loop threads.
//!
//! Everything reaches a runtime as a [`Msg`] in its inbox: host commands, replies of async host
//! work, V8's own foreground tasks, network events. Any Rust code (a native server or network
//! client) can feed a runtime through its [`Mailbox`] without passing through Node. The pool
//! (pool.rs) runs a runtime's turns one at a time, on whichever worker is free.

mod bindings;
pub mod core;
mod event_loop;
pub(crate) mod modules;
pub mod pool;
pub mod reactor;
mod rejections;
mod room;
mod snapshot;
mod state;
mod timers;
pub mod warm;
#[cfg(test)]
mod tests;

pub use self::core::Mailbox;
pub use bindings::throw_dom_exception;
pub(crate) use event_loop::WaitingCall;
pub use state::State;
pub(crate) use snapshot::release_pooled_pages;
use self::core::Core;
use crate::errors::{disposed_because, ErrorInfo, DISPOSED};
use crate::limits::MemoryBudget;
use crate::value::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FnKind {
  Sync,
  Async,
  AsyncIterator,
}

#[derive(Clone, Debug)]
pub struct Config {
  pub memory_limit_mb: f64,
  /// Wall-clock limit in ms of each eval and dispatch (awaiting included) and of each task.
  pub execution_timeout_ms: Option<u64>,
  /// CPU time limit in ms of each task (I/O waits not counted).
  pub cpu_time_limit_ms: Option<u64>,
  /// Custom host functions, by index.
  pub functions: Vec<(String, FnKind)>,
  pub has_module_loader: bool,
  pub has_console: bool,
  /// The host's `onFetch` (alias `fetch`) callback takes every isolate fetch().
  pub has_on_fetch: bool,
  /// The host's `webSocket` callback decides every isolate WebSocket.
  pub has_web_socket: bool,
  /// The host's `onConnect` callback decides every `connect()` socket (src/web/sockets/).
  pub has_on_connect: bool,
  /// Without onFetch, the native client does requests under this policy; None: no egress.
  pub network: Option<crate::net::policy::NetworkOptions>,
  /// `testEnvironment`: the test globals are defined, with these options (src/testenv/).
  pub test_environment: Option<crate::testenv::Options>,
  /// `cwd`: where the `path` global's resolve() starts (absolute; default "/").
  pub cwd: Option<String>,
  /// `location`: the global's location and the base URL of relative URLs (src/web/url/), an
  /// absolute URL, serialized.
  pub location: Option<String>,
  /// `fs`: the index of the hidden host function behind the isolate's getDirectory() (src/web/fs/).
  pub fs: Option<usize>,
  /// `typescript`: evals and loaded modules are TypeScript whatever their names (src/typescript.rs).
  pub typescript: bool,
}

impl Default for Config {
  fn default() -> Self {
    Self {
      memory_limit_mb: 128.0,
      execution_timeout_ms: None,
      cpu_time_limit_ms: None,
      functions: Vec::new(),
      has_module_loader: false,
      has_console: false,
      has_on_fetch: false,
      has_web_socket: false,
      has_on_connect: false,
      network: None,
      test_environment: None,
      cwd: None,
      location: None,
      fs: None,
      typescript: false,
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
  fn call_async(&self, op: HostOp, id: u64, reply: Mailbox);
  /// A command from the isolate for the host (e.g. a server WebSocket's send or close).
  fn command(&self, command: Value);
  /// Like `command`, then runs `delivered` once the host's listeners have seen it.
  fn command_then(&self, command: Value, delivered: Box<dyn FnOnce() + Send>) {
    self.command(command);
    delivered();
  }
  /// A test-environment event for the host's `testEnvironment.onEvent`; `delivered` runs once the
  /// host has handled it (or will never be able to).
  fn test_event(&self, event: Value, delivered: Box<dyn FnOnce() + Send>) {
    drop(event);
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
  tx: Mailbox,
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

/// What the first turn of a runtime needs to create its isolate.
pub struct Init {
  pub config: Config,
  pub host: Arc<dyn Host>,
  pub ready: Box<dyn FnOnce(Result<(), ErrorInfo>) + Send>,
  /// The isolate and context made ahead of time (`configurePool({ warmRuntimes })`); None: the
  /// first turn makes them.
  pub warm: Option<warm::Parts>,
  /// `room::check()` already counted this isolate (it was made warm, or the host checked).
  pub room_checked: bool,
}

pub enum Msg {
  /// `typescript`: the eval's own option; None: by its filename or the runtime's default.
  Eval { code: String, filename: String, timeout_ms: Option<u64>, typescript: Option<bool>, done: Completion },
  /// Runs an isolate-side operation of the host API (`internals.host(op, id, args)`, e.g. a
  /// request dispatch); it answers through the `settled` native.
  /// The op's name is static for the native server's calls (no allocation per request).
  Call { op: std::borrow::Cow<'static, str>, args: Vec<Value>, done: Reply },
  Reply { id: u64, outcome: Outcome },
  V8Task(v8::Task, f64),
  /// Something outside the loop (a deadline, a timer) wants the runtime to look at its state.
  Wake,
  /// Runs a closure of a Web area on the isolate's loop, as a task (followed by a microtask
  /// checkpoint): how Rust code outside the loop (a network task) hands events to the isolate.
  Task(IsolateTask),
  Dispose { done: Option<Completion> },
}

/// A closure run as a task on a runtime's loop, in its context.
pub type IsolateTask = Box<dyn for<'s, 'i> FnOnce(&mut v8::PinScope<'s, 'i>) + Send>;

/// The limit that ended a runtime: the error its pending work gets, and the reason later calls
/// are told.
struct Trip {
  error: ErrorInfo,
  reason: String,
}

/// State shared between the runtime's turns and its handles.
pub struct Shared {
  pub budget: Arc<MemoryBudget>,
  pub memory_limit_mb: f64,
  pub isolate: OnceLock<v8::IsolateHandle>,
  pub heap_used: AtomicU64,
  pub heap_limit: AtomicU64,
  /// CPU time the runtime's turns used, in ns.
  cpu_ns: AtomicU64,
  /// State of the Web areas that the host reads or writes from other threads (e.g. what
  /// `runtime.fetch` reads without waiting for the isolate), one value per type.
  pub ext: SharedExtensions,
  /// console.count/time/group state, which the host reads and resets synchronously.
  pub console: crate::console::ConsoleState,
  /// Bumped by the host's `runtime.timers.clearAll()`: timers started before it never fire.
  pub timer_epoch: AtomicU64,
  /// Tests declared in the test environment, which `runtime.testEnvironment` reads synchronously.
  pub test_count: AtomicU64,
  tripped: Mutex<Option<Trip>>,
  /// `tripped` is set: read several times per message, without the lock.
  tripped_flag: AtomicBool,
  /// Set once the runtime stops taking work; the reason is given to every later call.
  dead: Mutex<Option<String>>,
  alive: AtomicBool,
}

impl Shared {
  pub(crate) fn new(memory_limit_mb: f64) -> Self {
    let limit_bytes = (memory_limit_mb * 1024.0 * 1024.0) as usize;
    Self {
      budget: MemoryBudget::new(limit_bytes),
      memory_limit_mb,
      isolate: OnceLock::new(),
      heap_used: AtomicU64::new(0),
      heap_limit: AtomicU64::new(limit_bytes as u64),
      cpu_ns: AtomicU64::new(0),
      ext: SharedExtensions::default(),
      console: Default::default(),
      timer_epoch: AtomicU64::new(0),
      test_count: AtomicU64::new(0),
      tripped: Mutex::new(None),
      tripped_flag: AtomicBool::new(false),
      dead: Mutex::new(None),
      alive: AtomicBool::new(true),
    }
  }

  pub fn is_alive(&self) -> bool {
    self.alive.load(Ordering::Acquire)
  }

  /// The message every call gets once the runtime is gone.
  pub fn dead_message(&self) -> String {
    self.dead.lock().ok().and_then(|d| d.clone()).unwrap_or_else(|| DISPOSED.to_string())
  }

  pub fn mark_dead(&self, reason: Option<&str>) {
    let tripped = self.tripped.lock().ok().and_then(|t| t.as_ref().map(|t| t.reason.clone()));
    if let Ok(mut d) = self.dead.lock() {
      if d.is_none() {
        *d = Some(match reason.map(str::to_string).or(tripped) {
          Some(r) => disposed_because(&r),
          None => DISPOSED.to_string(),
        });
      }
    }
    self.alive.store(false, Ordering::Release);
  }

  /// A limit ends the runtime: the first trip wins; the running script is terminated.
  pub fn trip(&self, error: ErrorInfo, reason: String) {
    if let Ok(mut t) = self.tripped.lock() {
      if t.is_none() {
        *t = Some(Trip { error, reason });
      }
    }
    self.tripped_flag.store(true, Ordering::Release);
    if let Some(h) = self.isolate.get() {
      h.terminate_execution();
    }
  }

  pub fn is_tripped(&self) -> bool {
    self.tripped_flag.load(Ordering::Acquire) || self.tripped.is_poisoned()
  }

  /// A task ran past `executionTimeout`.
  pub fn trip_task_timeout(&self, ms: u64) {
    self.trip(ErrorInfo::timeout(ms), crate::errors::runtime_timed_out(ms, "a task ran longer than its executionTimeout"))
  }

  /// A task used more than `cpuTimeLimit` of CPU.
  pub fn trip_cpu(&self, ms: u64) {
    self.trip(ErrorInfo::cpu_limit(ms), format!("a task used more than its cpuTimeLimit of {ms} ms of CPU time"))
  }

  pub fn trip_memory(&self) {
    let mb = crate::errors::fmt_mb(self.memory_limit_mb);
    self.trip(ErrorInfo::memory_limit(self.memory_limit_mb), format!("it exceeded its memory limit of {mb} MB"))
  }

  /// The error of work pending when the runtime ended: the limit's, or "disposed".
  pub fn end_error(&self) -> ErrorInfo {
    match self.tripped.lock().ok().and_then(|t| t.as_ref().map(|t| t.error.clone())) {
      Some(e) => e,
      None => ErrorInfo::disposed(self.dead_message()),
    }
  }

  /// The error of calls made after the runtime ended.
  pub fn later_error(&self) -> ErrorInfo {
    let cause = self.tripped.lock().ok().and_then(|t| t.as_ref().map(|t| t.error.clone()));
    let mut e = ErrorInfo::disposed(self.dead_message());
    if let Some(cause) = cause {
      e = e.with_cause(cause);
    }
    e
  }

  pub fn add_cpu(&self, d: Duration) {
    self.cpu_ns.fetch_add(d.as_nanos().min(u64::MAX as u128) as u64, Ordering::Relaxed);
  }

  /// CPU time used by the runtime's turns, in ms.
  pub fn cpu_time_ms(&self) -> f64 {
    self.cpu_ns.load(Ordering::Relaxed) as f64 / 1e6
  }
}

/// Like `state::Extensions`, for state shared across threads: one `Arc<T>` per type, made on
/// first use; the runtime core holds it without knowing what it is.
#[derive(Default)]
pub struct SharedExtensions(Mutex<std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>);

impl SharedExtensions {
  pub fn get<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
    let mut map = match self.0.lock() {
      Ok(m) => m,
      Err(poisoned) => poisoned.into_inner(),
    };
    let slot = map.entry(std::any::TypeId::of::<T>()).or_insert_with(|| Arc::new(T::default()));
    match slot.clone().downcast::<T>() {
      Ok(t) => t,
      // The entry for T's TypeId only ever holds a T; replace it anyway rather than fail.
      Err(_) => {
        let t = Arc::new(T::default());
        *slot = t.clone();
        t
      }
    }
  }
}

/// What `RuntimeHandle::start` did.
pub enum Started {
  /// The runtime exists; its isolate is being made (or taken warm).
  Now(Arc<RuntimeHandle>),
  /// No room for another isolate in this process.
  Refused(ErrorInfo),
  /// The snapshot is not made yet: start it with `spawn`, which reports how that went.
  NotYet(Config, Arc<dyn Host>),
}

/// The host's handle of a runtime. Dropping the last one (the host forgot the runtime without
/// `dispose()`) disposes it.
pub struct RuntimeHandle {
  core: Arc<Core>,
  pub shared: Arc<Shared>,
}

impl RuntimeHandle {
  /// Creates the runtime; its isolate is made on the pool, then `ready` is told (or why not).
  pub fn spawn(config: Config, host: Arc<dyn Host>, ready: Box<dyn FnOnce(Result<(), ErrorInfo>) + Send>) -> Result<Arc<Self>, ErrorInfo> {
    let pool = pool::Pool::global();
    let shared = Arc::new(Shared::new(config.memory_limit_mb));
    let core = Core::new(shared.clone(), Init { config, host, ready, warm: None, room_checked: false });
    pool.runtime_started();
    core.wake();
    Ok(Arc::new(Self { core, shared }))
  }

  /// Creates a runtime the host may use at once, without waiting for its isolate: evals queue
  /// behind its first turn, which takes a warm isolate's setup further or makes one (saving the
  /// host a hand-off to the pool and back). None until the process's snapshot exists (the first
  /// runtime makes it, and reports its failure): then `spawn`. A runtime that fails to start
  /// later (a bug in the platform JS) ends, and its calls reject saying why.
  pub fn start(config: Config, host: Arc<dyn Host>) -> Started {
    if !snapshot::made() {
      return Started::NotYet(config, host);
    }
    let pool = pool::Pool::global();
    let ready: Box<dyn FnOnce(Result<(), ErrorInfo>) + Send> = Box::new(|_| {});
    if let Some(w) = warm::take(config.memory_limit_mb) {
      let (core, parts) = w.into_parts();
      let shared = core.shared.clone();
      pool.runtime_started();
      core.release(Init { config, host, ready, warm: Some(parts), room_checked: true });
      return Started::Now(Arc::new(Self { core, shared }));
    }
    if let Err(why) = room::check() {
      return Started::Refused(ErrorInfo::range_error(format!("createRuntime(): {why}")));
    }
    let shared = Arc::new(Shared::new(config.memory_limit_mb));
    let core = Core::new(shared.clone(), Init { config, host, ready, warm: None, room_checked: true });
    pool.runtime_started();
    core.wake();
    Started::Now(Arc::new(Self { core, shared }))
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
    self.core.send(msg)
  }

  pub fn mailbox(&self) -> Mailbox {
    self.core.mailbox()
  }

  /// Asks the loop to stop, interrupting any script that is running now.
  pub fn dispose(&self, done: Completion) -> Result<(), Completion> {
    if let Some(h) = self.shared.isolate.get() {
      h.terminate_execution();
    }
    match self.core.send_dispose(Some(done)) {
      Ok(()) => Ok(()),
      Err(Msg::Dispose { done: Some(done) }) => Err(done),
      Err(_) => Ok(()),
    }
  }

  /// Stops the runtime (even mid-script) and waits up to `timeout` for its teardown.
  pub fn stop_and_wait(&self, timeout: Duration) {
    if let Some(h) = self.shared.isolate.get() {
      h.terminate_execution();
    }
    let _ = self.core.send_dispose(None);
    self.core.wait_finished(timeout);
  }

  /// Waits (briefly) for the runtime's teardown after a Dispose.
  pub fn join(&self) {
    self.core.wait_finished(Duration::from_secs(10));
  }
}

impl Drop for RuntimeHandle {
  fn drop(&mut self) {
    if !self.core.is_done() {
      if let Some(h) = self.shared.isolate.get() {
        h.terminate_execution();
      }
      let _ = self.core.send_dispose(None);
    }
  }
}
