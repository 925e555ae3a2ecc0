//! The Node side of a runtime: the host functions a runtime may call, run on Node's main thread.
//!
//! What the isolate sends toward the host is bounded while Node's main thread is busy
//! ([`Inflight`]): console entries past [`console_cap`] bytes waiting are dropped (and counted in
//! one console error entry once the host catches up), async host calls in flight are charged
//! against the runtime's memory limit (past it a call rejects with a RangeError), and so are
//! WebSocket commands waiting for the host (past it they are dropped and counted the same way).

pub mod bridge;
pub mod call;
pub mod func;
pub mod napi;
pub mod options;
pub mod value;

use crate::runtime::{FnKind, Host, HostOp, Mailbox, Msg, Outcome};
use crate::value::Value;
use bridge::HostBridge;
use call::{call_and_await, data_clone_error, failed, outcome_then, Settled};
use crate::value::Tag;
use self::napi::{Env, Val};
use ::napi::sys;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A persistent reference to a host value. Only dereferenced on the main thread.
pub struct Ref(sys::napi_ref);
unsafe impl Send for Ref {}
unsafe impl Sync for Ref {}

impl Ref {
  /// # Safety
  /// On the main thread, with the env of the current callback.
  pub unsafe fn new(env: sys::napi_env, v: sys::napi_value) -> ::napi::Result<Self> {
    Ok(Self(unsafe { Env::from_raw(env) }.reference(v)?))
  }

  /// The referenced value (undefined if N-API cannot give it).
  ///
  /// # Safety
  /// On the main thread, with the env of the current callback.
  pub unsafe fn get(&self, env: sys::napi_env) -> sys::napi_value {
    let env = unsafe { Env::from_raw(env) };
    env.reference_value(self.0).or_else(|_| env.undefined()).unwrap_or(std::ptr::null_mut())
  }

  fn value(&self, env: Env) -> Option<Val> {
    env.reference_value(self.0).ok()
  }

  /// # Safety
  /// On the main thread, with the env of the current callback.
  pub unsafe fn delete(self, env: sys::napi_env) {
    let _ = unsafe { Env::from_raw(env) }.delete_reference(self.0);
  }
}

/// Host callbacks given to createRuntime.
pub struct Callbacks {
  pub on_entry: Option<Ref>,
  pub module_loader: Option<Ref>,
  pub functions: Vec<(String, FnKind, Ref)>,
  /// `onFetch(url, init)` (alias `fetch`): takes every isolate fetch().
  pub on_fetch: Option<Ref>,
  /// `webSocket(url, protocols)`: decides every isolate WebSocket.
  pub web_socket: Option<Ref>,
  /// `testEnvironment.onEvent(event)`: test run events.
  pub on_test_event: Option<Ref>,
  /// `onConnect(address, { secureTransport })`: decides every isolate `connect()` socket.
  pub on_connect: Option<Ref>,
  /// `onWebSocketCommand(cmd)`: subscribed to `runtime.fetch.onWebSocketCommand` before any eval
  /// (taken out by createRuntime; never kept here).
  pub on_web_socket_command: Option<Ref>,
  /// The runtime's memory limit in bytes: bounds each conversion and what waits for the host.
  pub limit_bytes: usize,
}

/// The glue's `hooks` object (src/host/glue.js), once `runtime.fetch` was first used.
pub type GlueSlot = Arc<Mutex<Option<Ref>>>;

/// What one async host call in flight is charged besides its arguments: the queued job, the
/// pending promise's callbacks on the host, the reply.
pub const HOST_CALL_BYTES: usize = 1024;

/// Bytes of console output that may wait for the host: min(16 MiB, memoryLimitMB).
pub fn console_cap(limit_bytes: usize) -> usize {
  limit_bytes.min(16 << 20)
}

/// Bytes sent toward Node's main thread and not yet handled there.
pub struct Inflight {
  limit: usize,
  console: AtomicUsize,
  /// Async host calls awaiting their reply (until the isolate takes it), open host iterators,
  /// commands not yet delivered.
  calls: AtomicUsize,
  /// Refusals of async host calls the isolate has not taken yet (`REFUSAL_BYTES` each).
  refused: AtomicUsize,
  dropped_entries: AtomicU64,
  dropped_commands: AtomicU64,
}

impl Inflight {
  fn new(limit: usize) -> Arc<Self> {
    Arc::new(Self { limit, console: AtomicUsize::new(0), calls: AtomicUsize::new(0), refused: AtomicUsize::new(0), dropped_entries: AtomicU64::new(0), dropped_commands: AtomicU64::new(0) })
  }

  /// Adds `bytes` to `counter` unless that would pass `cap`.
  fn try_charge(counter: &AtomicUsize, bytes: usize, cap: usize) -> bool {
    counter
      .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| used.checked_add(bytes).filter(|n| *n <= cap))
      .is_ok()
  }

  fn release(counter: &AtomicUsize, bytes: usize) {
    let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| Some(used.saturating_sub(bytes)));
  }

  fn charge_call(&self, bytes: usize) -> bool {
    Self::try_charge(&self.calls, bytes, self.limit)
  }

  fn release_call(&self, bytes: usize) {
    Self::release(&self.calls, bytes)
  }
}

/// What a refused async host call's reply is charged until the isolate takes it. A script that
/// never yields (a synchronous loop of calls) never takes replies: past `memoryLimitMB / 2` of
/// them its runtime ends with MemoryLimitError instead of queueing refusals without bound.
const REFUSAL_BYTES: usize = 512;

/// Bytes of `Inflight::calls` (or `refused`) held until dropped: moved with a reply to the
/// isolate, so they are given back when the isolate takes the reply, or when the reply is dropped
/// with the runtime.
struct Held {
  inflight: Arc<Inflight>,
  refusal: bool,
  bytes: usize,
}

impl Held {
  /// Lets go without giving the bytes back: for a call whose host promise was collected unsettled.
  /// The script's promise still waits for it, so it stays a call in flight (until dispose);
  /// otherwise a script could start calls without bound by making the host's promises garbage.
  fn orphan(mut self) {
    self.bytes = 0;
  }
}

/// The charge of an async call until the host answers; dropped unanswered (the host's promise
/// never settled and was collected with the callbacks holding this), it stays charged.
struct Unanswered(Option<Held>);

impl Drop for Unanswered {
  fn drop(&mut self) {
    if let Some(held) = self.0.take() {
      held.orphan();
    }
  }
}

impl Drop for Held {
  fn drop(&mut self) {
    let counter = if self.refusal { &self.inflight.refused } else { &self.inflight.calls };
    Inflight::release(counter, self.bytes);
  }
}

/// Sends `outcome` of async call `id` to the isolate, with `held` given back only when the
/// isolate takes it (a task on its loop that passes the reply on), not when the host is done:
/// replies a busy isolate has not taken yet stay counted.
fn reply_held(reply: &Mailbox, id: u64, outcome: Outcome, held: Held) {
  let again = reply.clone();
  let task: crate::runtime::IsolateTask = Box::new(move |_scope| {
    drop(held);
    let _ = again.send(Msg::Reply { id, outcome });
  });
  let _ = reply.send(Msg::Task(task));
}

/// What one host function or promise kept for the isolate is charged against the memory limit
/// while kept (an async iterable is charged like an open iterator, [`HOST_CALL_BYTES`]).
pub const KEPT_BYTES: usize = 256;

/// Host values the isolate holds stand-ins for: functions and promises (`kept`), async
/// iterators (`iterators`, shared with `asyncIterator` customFunctions). Each is charged against
/// the memory limit while kept, and let go when the isolate's stand-in is collected
/// (`wireRelease`), when a promise is awaited, when an iterator finishes, or at dispose.
#[derive(Clone)]
struct Keeper {
  glue: GlueSlot,
  kept: Arc<Mutex<HashMap<u64, Ref>>>,
  iterators: Arc<Mutex<HashMap<u64, Ref>>>,
  next_iter: Arc<AtomicU64>,
  inflight: Arc<Inflight>,
}

impl Keeper {
  fn keep(&self, env: Env, tag: Tag, v: Val) -> Result<u64, String> {
    let full = || {
      let mb = crate::errors::fmt_mb(self.inflight.limit as f64 / (1024.0 * 1024.0));
      format!("too many host functions, promises and iterators are held by the isolate (more than the runtime's memoryLimitMB, {mb} MB, of them); let some go")
    };
    let (value, bytes, map) = match tag {
      Tag::AsyncIterator => {
        let it = match async_iterator_of(env, v) {
          Ok(Some(it)) => it,
          Ok(None) => return Err("an async iterable's [Symbol.asyncIterator]() did not return an iterator".into()),
          Err(e) => return Err(format!("[Symbol.asyncIterator]() threw: {}", value::describe(env, e))),
        };
        (it, HOST_CALL_BYTES, &self.iterators)
      }
      Tag::Promise => {
        // Handled now: a rejection before the isolate awaits it is not an unhandled one.
        call::await_value(env, v, |_, _| {});
        (v, KEPT_BYTES, &self.kept)
      }
      _ => (v, KEPT_BYTES, &self.kept),
    };
    if !self.inflight.charge_call(bytes) {
      return Err(full());
    }
    let r = match unsafe { Ref::new(env.raw(), value) } {
      Ok(r) => r,
      Err(e) => {
        self.inflight.release_call(bytes);
        return Err(e.reason);
      }
    };
    let id = self.next_iter.fetch_add(1, Ordering::Relaxed);
    match map.lock() {
      Ok(mut m) => {
        m.insert(id, r);
        Ok(id)
      }
      Err(_) => {
        self.inflight.release_call(bytes);
        unsafe { r.delete(env.raw()) };
        Err("the runtime is shutting down".into())
      }
    }
  }

  /// Takes kept value `id` out (its charge given back); the caller deletes the Ref.
  fn take(&self, id: u64) -> Option<Ref> {
    let r = self.kept.lock().ok().and_then(|mut m| m.remove(&id));
    if r.is_some() {
      self.inflight.release_call(KEPT_BYTES);
    }
    r
  }

  /// Lets go of value `id` (the isolate's stand-in was collected).
  fn release(&self, env: Env, id: u64) {
    if let Some(r) = self.take(id) {
      unsafe { r.delete(env.raw()) };
    }
    if let Some(r) = self.iterators.lock().ok().and_then(|mut m| m.remove(&id)) {
      unsafe { r.delete(env.raw()) };
      self.inflight.release_call(HOST_CALL_BYTES);
    }
  }

  /// Converts a settled host value for the isolate (see [`outcome_then`]).
  fn outcome(&self, env: Env, settled: Settled, limit: usize, done: impl FnOnce(Env, Outcome) + Send + 'static) {
    let keeper = self.clone();
    let keep = move |env: Env, tag: Tag, v: Val| keeper.keep(env, tag, v);
    outcome_then(env, settled, limit, &keep, self.hooks(env), done)
  }

  /// The glue's hooks, which move Request and Response bodies.
  fn hooks(&self, env: Env) -> Option<Val> {
    hooks_of(env, &self.glue)
  }
}

pub struct NodeHost {
  bridge: Arc<HostBridge>,
  callbacks: Arc<Mutex<Option<Callbacks>>>,
  pub glue: GlueSlot,
  iterators: Arc<Mutex<HashMap<u64, Ref>>>,
  next_iter: Arc<AtomicU64>,
  kept: Arc<Mutex<HashMap<u64, Ref>>>,
  limit: usize,
  pub inflight: Arc<Inflight>,
}

impl NodeHost {
  pub fn new(bridge: Arc<HostBridge>, callbacks: Callbacks) -> Self {
    let limit = callbacks.limit_bytes;
    Self {
      bridge,
      callbacks: Arc::new(Mutex::new(Some(callbacks))),
      glue: Arc::new(Mutex::new(None)),
      iterators: Arc::new(Mutex::new(HashMap::new())),
      next_iter: Arc::new(AtomicU64::new(1)),
      kept: Arc::new(Mutex::new(HashMap::new())),
      limit,
      inflight: Inflight::new(limit),
    }
  }

  /// After a drop, posts one notice that runs once the host has handled what was queued before.
  fn note_dropped(&self, counter: &AtomicU64) {
    if counter.fetch_add(1, Ordering::AcqRel) != 0 {
      // A notice is already queued; it will count this one too.
      return;
    }
    let cbs = self.callbacks.clone();
    let inflight = self.inflight.clone();
    let limit = self.limit;
    self.bridge.post(move |raw| {
      let env = unsafe { Env::from_raw(raw) };
      let mib = |b: usize| crate::errors::fmt_mb(b as f64 / (1024.0 * 1024.0));
      let mut lines = Vec::new();
      let entries = inflight.dropped_entries.swap(0, Ordering::AcqRel);
      if entries > 0 {
        lines.push(format!(
          "{entries} console entries were dropped: more than {} MiB of console output was waiting for console.onEntry (the host's main thread was busy)",
          mib(console_cap(limit))
        ));
      }
      let commands = inflight.dropped_commands.swap(0, Ordering::AcqRel);
      if commands > 0 {
        lines.push(format!(
          "{commands} WebSocket commands were dropped: more than the runtime's memoryLimitMB ({} MB) of host calls and commands was waiting for the host",
          mib(limit)
        ));
      }
      for line in lines {
        deliver_entry(env, &cbs, &notice(line), limit);
      }
    });
  }
}

/// A console entry the runtime itself writes, in the shape of the isolate's `console.error`.
fn notice(text: String) -> Value {
  Value::Object(vec![
    ("type".into(), Value::String("output".into())),
    ("level".into(), Value::String("error".into())),
    ("stdout".into(), Value::String(format!("[edge-isolate] {text}"))),
    ("groupDepth".into(), Value::Number(0.0)),
  ])
}

/// Calls `console.onEntry(entry)`. A throwing onEntry (or one whose promise rejects) must not take
/// down the host: its error is dropped.
fn deliver_entry(env: Env, cbs: &Mutex<Option<Callbacks>>, entry: &Value, limit: usize) {
  let Some(f) = with_callbacks(cbs, |c| c.on_entry.as_ref().and_then(|r| r.value(env))).flatten() else { return };
  let (Ok(this), Ok(arg)) = (env.undefined(), value::to_host(env, entry, limit)) else { return };
  call_and_await(env, this, f, &[arg], |_, _| {});
}

fn gone() -> Value {
  Value::Error(crate::errors::ErrorInfo::new("Error", "the host is no longer available (its Node.js thread is shutting down)"))
}

/// Runs `f` with the callbacks on the main thread (None once the runtime shut down).
fn with_callbacks<R>(cbs: &Mutex<Option<Callbacks>>, f: impl FnOnce(&Callbacks) -> R) -> Option<R> {
  let guard = cbs.lock().ok()?;
  guard.as_ref().map(f)
}

/// The name and function of customFunctions entry `index` (None once the runtime shut down).
fn custom_function(cbs: &Mutex<Option<Callbacks>>, env: Env, index: usize) -> Option<(String, Val)> {
  with_callbacks(cbs, |c| c.functions.get(index).and_then(|(n, _, r)| r.value(env).map(|f| (n.clone(), f)))).flatten()
}

fn hooks_of(env: Env, glue: &GlueSlot) -> Option<Val> {
  glue.lock().ok().and_then(|g| g.as_ref().and_then(|r| r.value(env)))
}

/// Converts call arguments as one array, so references between them are kept.
fn args_to_host(env: Env, args: &[Value], limit: usize) -> Result<Vec<Val>, String> {
  args_to_host_glue(env, args, limit, None)
}

/// Like [`args_to_host`], for a customFunction: Requests and Responses are made too (with the
/// glue's `hooks`).
fn args_to_host_glue(env: Env, args: &[Value], limit: usize, hooks: Option<Val>) -> Result<Vec<Val>, String> {
  let arr = value::to_host_glue(env, &Value::Array(args.to_vec()), limit, hooks)?;
  (0..args.len())
    .map(|i| {
      let i = u32::try_from(i).map_err(|_| "too many arguments".to_string())?;
      env.get_element(arr, i).map_err(|_| "the arguments could not be made on the host".to_string())
    })
    .collect()
}

/// Bytes an operation's arguments account for.
fn op_cost(op: &HostOp) -> usize {
  let values: usize = match op {
    HostOp::Call { args, .. } | HostOp::IterOpen { args, .. } | HostOp::Glue { args, .. } => args.iter().map(Value::cost).sum(),
    HostOp::IterNext { arg, .. } | HostOp::IterReturn { arg, .. } | HostOp::IterThrow { arg, .. } => arg.cost(),
    HostOp::Load { specifier, importer } => specifier.len() + importer.len(),
    HostOp::WebSocket { url, protocols, .. } => url.len() + protocols.iter().map(String::len).sum::<usize>(),
  };
  HOST_CALL_BYTES.saturating_add(values)
}

impl Host for NodeHost {
  fn console_entry(&self, entry: Value) {
    let size = entry.cost();
    if !Inflight::try_charge(&self.inflight.console, size, console_cap(self.limit)) {
      return self.note_dropped(&self.inflight.dropped_entries);
    }
    let cbs = self.callbacks.clone();
    let inflight = self.inflight.clone();
    let limit = self.limit;
    let posted = self.bridge.post(move |raw| {
      let env = unsafe { Env::from_raw(raw) };
      Inflight::release(&inflight.console, size);
      deliver_entry(env, &cbs, &entry, limit);
    });
    if !posted {
      Inflight::release(&self.inflight.console, size);
    }
  }

  fn call_sync(&self, index: usize, args: Vec<Value>) -> Outcome {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Outcome>(1);
    let cbs = self.callbacks.clone();
    let limit = self.limit;
    let keeper = self.keeper();
    let posted = self.bridge.post(move |raw| {
      let env = unsafe { Env::from_raw(raw) };
      let Some((name, f)) = custom_function(&cbs, env, index) else {
        let _ = tx.send(Err(gone()));
        return;
      };
      let argv = match args_to_host_glue(env, &args, limit, keeper.hooks(env)) {
        Ok(a) => a,
        Err(e) => {
          let _ = tx.send(Err(data_clone_error(e)));
          return;
        }
      };
      let settled = match env.undefined().and_then(|this| env.call(this, f, &argv)) {
        Ok(result) => {
          if env.is_promise(result).unwrap_or(false) {
            // Its rejection is the host's own, but must not go unhandled in the host.
            call::await_value(env, result, |_, _| {});
            let _ = tx.send(Err(Value::Error(crate::errors::ErrorInfo::type_error(format!(
              "customFunctions.{name} is declared {{ type: 'sync' }} but returned a Promise; declare it {{ type: 'async' }}"
            )))));
            return;
          }
          Ok(result)
        }
        Err(f) => Err(failed(env, f)),
      };
      keeper.outcome(env, settled, limit, move |_, o| {
        let _ = tx.send(o);
      });
    });
    if !posted {
      return Err(gone());
    }
    rx.recv().unwrap_or_else(|_| Err(gone()))
  }

  fn call_async(&self, op: HostOp, id: u64, reply: Mailbox) {
    if let HostOp::Glue { name, args } = &op {
      if name == "wireRelease" || name == "wireBodyRelease" {
        // The isolate let go of a stand-in (from its GC, maybe while a script loops without
        // yielding): no reply, and nothing charged — one post per kept value or body.
        if let Some(Value::Number(n)) = args.first() {
          let (keeper, n, body) = (self.keeper(), *n, name == "wireBodyRelease");
          let limit = self.limit;
          self.bridge.post(move |raw| {
            let env = unsafe { Env::from_raw(raw) };
            if body {
              // A body nobody can read any more: the host's stream is cancelled (a no-op once read).
              call_glue(env, &keeper.glue, "cancelBody", &[Value::Number(n), Value::String(String::new())], limit, |_, _| {});
            } else {
              keeper.release(env, n as u64);
            }
          });
        }
        return;
      }
    }
    let cost = op_cost(&op);
    if !self.inflight.charge_call(cost) {
      if !Inflight::try_charge(&self.inflight.refused, REFUSAL_BYTES, self.limit / 2) {
        // Refusals the script does not take either: it hoards calls without ever yielding. The
        // call's promise goes with the runtime.
        if let Some(core) = reply.core() {
          core.shared.budget.trip();
        }
        return;
      }
      let held = Held { inflight: self.inflight.clone(), refusal: true, bytes: REFUSAL_BYTES };
      let mb = crate::errors::fmt_mb(self.limit as f64 / (1024.0 * 1024.0));
      let message = format!(
        "too many host calls in flight: their arguments and pending results would take more than the runtime's memoryLimitMB ({mb} MB); await some before starting more"
      );
      return reply_held(&reply, id, Err(Value::Error(crate::errors::ErrorInfo::range_error(message))), held);
    }
    let cbs = self.callbacks.clone();
    let iterators = self.iterators.clone();
    let next_iter = self.next_iter.clone();
    let glue = self.glue.clone();
    let fail_tx = reply.clone();
    let inflight = self.inflight.clone();
    let limit = self.limit;
    let keeper = self.keeper();
    let posted = self.bridge.post(move |raw| {
      let env = unsafe { Env::from_raw(raw) };
      let ctx = OpCtx { cbs, glue, iterators, next_iter, inflight: inflight.clone(), limit, keeper: keeper.clone() };
      let mut unanswered = Unanswered(Some(Held { inflight: inflight.clone(), refusal: false, bytes: cost }));
      let done = move |env: Env, settled: Settled| {
        if let Some(held) = unanswered.0.take() {
          keeper.outcome(env, settled, limit, move |_, o| reply_held(&reply, id, o, held));
        }
      };
      run_op(env, &ctx, op, done);
    });
    if !posted {
      self.inflight.release_call(cost);
      let _ = fail_tx.send(Msg::Reply { id, outcome: Err(gone()) });
    }
  }

  fn command(&self, command: Value) {
    self.command_then(command, Box::new(|| {}))
  }

  fn command_then(&self, command: Value, delivered: Box<dyn FnOnce() + Send>) {
    let cost = command.cost();
    if !self.inflight.charge_call(cost) {
      delivered();
      return self.note_dropped(&self.inflight.dropped_commands);
    }
    let glue = self.glue.clone();
    let inflight = self.inflight.clone();
    let limit = self.limit;
    // Left to the end of the task: the handler's answer, if it comes in the same task, goes in
    // the same batch (one wake-up of Node's loop per message, not two).
    let posted = self.bridge.post_later(move |raw| {
      let env = unsafe { Env::from_raw(raw) };
      // Nobody can listen before `runtime.fetch` was used: then the command has no audience.
      // The hot path of WebSocket echo: the command is made as it is (no argument array) and
      // `hooks.command`, which returns nothing, is not awaited.
      if let Some((hooks, f)) = glue_fn(env, &glue, "command") {
        if let Ok(arg) = value::to_host(env, &command, limit) {
          let _ = env.call(hooks, f, &[arg]);
        }
      }
      inflight.release_call(cost);
      delivered();
    });
    if !posted {
      self.inflight.release_call(cost);
    }
  }

  fn test_event(&self, event: Value, delivered: Box<dyn FnOnce() + Send>) {
    // Runs `delivered` when the job runs, or when it is dropped unrun (the host is going away).
    struct OnDrop(Option<Box<dyn FnOnce() + Send>>);
    impl Drop for OnDrop {
      fn drop(&mut self) {
        if let Some(f) = self.0.take() {
          f();
        }
      }
    }
    let guard = OnDrop(Some(delivered));
    let cbs = self.callbacks.clone();
    let limit = self.limit;
    self.bridge.post(move |raw| {
      let _guard = guard;
      let env = unsafe { Env::from_raw(raw) };
      let Some(f) = with_callbacks(&cbs, |c| c.on_test_event.as_ref().and_then(|r| r.value(env))).flatten() else { return };
      let (Ok(this), Ok(arg)) = (env.undefined(), value::to_host(env, &event, limit)) else { return };
      // A throwing (or rejecting) onEvent must not take down the host: its error is dropped.
      call_and_await(env, this, f, &[arg], |_, _| {});
    });
  }

  fn shutdown(&self) {
    let cbs = self.callbacks.clone();
    let iterators = self.iterators.clone();
    let kept = self.kept.clone();
    let glue = self.glue.clone();
    let limit = self.limit;
    self.bridge.post(move |raw| {
      let env = unsafe { Env::from_raw(raw) };
      // Host sockets bridged to the isolate's WebSockets close with it.
      call_glue(env, &glue, "closeWebSockets", &[], limit, |_, _| {});
      call_glue(env, &glue, "closeSockets", &[], limit, |_, _| {});
      if let Some(r) = glue.lock().ok().and_then(|mut g| g.take()) {
        unsafe { r.delete(raw) };
      }
      if let Some(c) = cbs.lock().ok().and_then(|mut g| g.take()) {
        for r in c.on_entry.into_iter().chain(c.module_loader).chain(c.on_fetch).chain(c.web_socket).chain(c.on_test_event).chain(c.on_connect) {
          unsafe { r.delete(raw) };
        }
        for (_, _, r) in c.functions {
          unsafe { r.delete(raw) };
        }
      }
      if let Ok(mut its) = iterators.lock() {
        for (_, r) in its.drain() {
          unsafe { r.delete(raw) };
        }
      }
      if let Ok(mut k) = kept.lock() {
        for (_, r) in k.drain() {
          unsafe { r.delete(raw) };
        }
      }
    });
  }
}

impl NodeHost {
  fn keeper(&self) -> Keeper {
    Keeper { glue: self.glue.clone(), kept: self.kept.clone(), iterators: self.iterators.clone(), next_iter: self.next_iter.clone(), inflight: self.inflight.clone() }
  }
}

/// What an async host operation needs on the main thread.
struct OpCtx {
  cbs: Arc<Mutex<Option<Callbacks>>>,
  glue: GlueSlot,
  iterators: Arc<Mutex<HashMap<u64, Ref>>>,
  next_iter: Arc<AtomicU64>,
  inflight: Arc<Inflight>,
  limit: usize,
  keeper: Keeper,
}

fn error_value(env: Env, name: &str, message: &str) -> Val {
  crate::errors::host_error(env, name, message, None)
}

/// `hooks[name]` of the glue, with `hooks`.
fn glue_fn(env: Env, glue: &GlueSlot, name: &str) -> Option<(Val, Val)> {
  let hooks = glue.lock().ok().and_then(|g| g.as_ref().and_then(|r| r.value(env)))?;
  let f = env.get_named(hooks, name).ok()?;
  (env.type_of(f).ok()? == sys::ValueType::napi_function).then_some((hooks, f))
}

/// Calls `hooks[name](...argv)` of the glue with host values and waits for its result.
fn call_glue_raw(env: Env, glue: &GlueSlot, name: &str, argv: &[Val], done: impl FnOnce(Env, Settled) + Send + 'static) {
  match glue_fn(env, glue, name) {
    Some((hooks, f)) => call_and_await(env, hooks, f, argv, done),
    None => done(env, Err(error_value(env, "Error", &format!("the host glue has no '{name}'")))),
  }
}

/// Calls `hooks[name](...args)` of the glue and waits for its result.
fn call_glue(env: Env, glue: &GlueSlot, name: &str, args: &[Value], limit: usize, done: impl FnOnce(Env, Settled) + Send + 'static) {
  let Some((hooks, f)) = glue_fn(env, glue, name) else {
    return done(env, Err(error_value(env, "Error", &format!("the host glue has no '{name}'"))));
  };
  match args_to_host(env, args, limit) {
    Ok(argv) => call_and_await(env, hooks, f, &argv, done),
    Err(e) => done(env, Err(error_value(env, "DataCloneError", &e))),
  }
}

/// Runs one async host operation on the main thread; `done` gets its settled value.
fn run_op(env: Env, ctx: &OpCtx, op: HostOp, done: impl FnOnce(Env, Settled) + Send + 'static) {
  let limit = ctx.limit;
  let function = |index: usize| custom_function(&ctx.cbs, env, index);
  let this = match env.undefined() {
    Ok(u) => u,
    Err(f) => return done(env, Err(failed(env, f))),
  };
  match op {
    HostOp::Call { index, args } => {
      let Some((_, f)) = function(index) else {
        return done(env, Err(error_value(env, "Error", "the runtime was disposed")));
      };
      match args_to_host_glue(env, &args, limit, ctx.keeper.hooks(env)) {
        Ok(argv) => call_and_await(env, this, f, &argv, done),
        Err(e) => done(env, Err(error_value(env, "DataCloneError", &e))),
      }
    }
    HostOp::IterOpen { index, args } => {
      let Some((name, f)) = function(index) else {
        return done(env, Err(error_value(env, "Error", "the runtime was disposed")));
      };
      let argv = match args_to_host_glue(env, &args, limit, ctx.keeper.hooks(env)) {
        Ok(a) => a,
        Err(e) => return done(env, Err(error_value(env, "DataCloneError", &e))),
      };
      let result = match env.call(this, f, &argv) {
        Ok(r) => r,
        Err(f) => return done(env, Err(failed(env, f))),
      };
      let it = match async_iterator_of(env, result) {
        Ok(Some(it)) => it,
        Ok(None) => {
          let msg = format!(
            "customFunctions.{name} is declared {{ type: 'asyncIterator' }} but did not return an async iterable; use an async generator function"
          );
          return done(env, Err(error_value(env, "TypeError", &msg)));
        }
        Err(e) => return done(env, Err(e)),
      };
      // An open iterator holds host memory until it finishes: it is charged like a call.
      if !ctx.inflight.charge_call(HOST_CALL_BYTES) {
        return done(env, Err(error_value(env, "RangeError", "too many host iterators open: finish some before opening more")));
      }
      match unsafe { Ref::new(env.raw(), it) } {
        Ok(r) => {
          let id = ctx.next_iter.fetch_add(1, Ordering::Relaxed);
          if let Ok(mut its) = ctx.iterators.lock() {
            its.insert(id, r);
          }
          match env.double(id as f64) {
            Ok(n) => done(env, Ok(n)),
            Err(f) => done(env, Err(failed(env, f))),
          }
        }
        Err(e) => {
          ctx.inflight.release_call(HOST_CALL_BYTES);
          done(env, Err(error_value(env, "Error", &e.reason)))
        }
      }
    }
    HostOp::Glue { name, args } if name == "wireCall" => {
      // A host function the isolate holds a stand-in for: [id, args].
      let f = match args.first() {
        Some(Value::Number(id)) => ctx.keeper.kept.lock().ok().and_then(|m| m.get(&(*id as u64)).and_then(|r| r.value(env))),
        _ => None,
      };
      let Some(f) = f else {
        return done(env, Err(error_value(env, "Error", "the host function is no longer available")));
      };
      let call_args = match args.get(1) {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
      };
      match args_to_host_glue(env, &call_args, limit, ctx.keeper.hooks(env)) {
        Ok(argv) => call_and_await(env, this, f, &argv, done),
        Err(e) => done(env, Err(error_value(env, "DataCloneError", &e))),
      }
    }
    HostOp::Glue { name, args } if name == "wireAwait" => {
      // A host promise the isolate awaits (once: it is let go now).
      let p = match args.first() {
        Some(Value::Number(id)) => ctx.keeper.take(*id as u64),
        _ => None,
      };
      let Some(p) = p else {
        return done(env, Err(error_value(env, "Error", "the host promise is no longer available")));
      };
      let v = p.value(env);
      unsafe { p.delete(env.raw()) };
      match v {
        Some(v) => call::await_value(env, v, done),
        None => done(env, Err(error_value(env, "Error", "the host promise is no longer available"))),
      }
    }
    HostOp::Glue { name, args } if name == "onFetch" => call_on_fetch(env, ctx, &args, done),
    HostOp::Glue { name, args } if name == "onConnect" => call_on_connect(env, ctx, &args, done),
    HostOp::Glue { name, args } => call_glue(env, &ctx.glue, &name, &args, limit, done),
    HostOp::WebSocket { id, url, protocols } => {
      // hooks.openWebSocket(callback, id, url, protocols) → 'native' | 'blocked' | 'bridged'
      let Some(Some(callback)) = with_callbacks(&ctx.cbs, |c| c.web_socket.as_ref().and_then(|r| r.value(env))) else {
        return done(env, Err(error_value(env, "Error", "no webSocket callback was passed to createRuntime")));
      };
      let protocols = Value::Array(protocols.into_iter().map(Value::String).collect());
      match args_to_host(env, &[Value::Number(id as f64), Value::String(url), protocols], limit) {
        Ok(mut argv) => {
          argv.insert(0, callback);
          call_glue_raw(env, &ctx.glue, "openWebSocket", &argv, done)
        }
        Err(e) => done(env, Err(error_value(env, "DataCloneError", &e))),
      }
    }
    HostOp::IterNext { iter, arg } => iterator_step(env, ctx, iter, "next", arg, done),
    HostOp::IterReturn { iter, arg } => iterator_step(env, ctx, iter, "return", arg, done),
    HostOp::IterThrow { iter, arg } => iterator_step(env, ctx, iter, "throw", arg, done),
    HostOp::Load { specifier, importer } => {
      let Some(Some(f)) = with_callbacks(&ctx.cbs, |c| c.module_loader.as_ref().and_then(|r| r.value(env))) else {
        return done(env, Err(error_value(env, "Error", "no moduleLoader was passed to createRuntime")));
      };
      // `importer` is absolute and normalized (src/runtime/modules.rs); resolveDir is its directory.
      let resolve_dir = crate::runtime::modules::dir_of(&importer);
      let importer = Value::Object(vec![("path".into(), Value::String(importer)), ("resolveDir".into(), Value::String(resolve_dir))]);
      match args_to_host(env, &[Value::String(specifier), importer], limit) {
        Ok(argv) => call_and_await(env, this, f, &argv, done),
        Err(e) => done(env, Err(error_value(env, "Error", &e))),
      }
    }
  }
}

/// `hooks.onFetch(callback, ...args)`: an isolate fetch() for the host's `onFetch`, which goes
/// along as a host value (it never crosses into the isolate).
fn call_on_fetch(env: Env, ctx: &OpCtx, args: &[Value], done: impl FnOnce(Env, Settled) + Send + 'static) {
  let Some(Some(callback)) = with_callbacks(&ctx.cbs, |c| c.on_fetch.as_ref().and_then(|r| r.value(env))) else {
    return done(env, Err(error_value(env, "Error", "no onFetch callback was passed to createRuntime")));
  };
  let Some((hooks, f)) = glue_fn(env, &ctx.glue, "onFetch") else {
    return done(env, Err(error_value(env, "Error", "the host glue has no 'onFetch'")));
  };
  match args_to_host(env, args, ctx.limit) {
    Ok(mut argv) => {
      argv.insert(0, callback);
      call_and_await(env, hooks, f, &argv, done)
    }
    Err(e) => done(env, Err(error_value(env, "DataCloneError", &e))),
  }
}

/// `hooks.onConnect(callback, id, address, secureTransport)`: an isolate `connect()` for the host's
/// `onConnect`, which goes along as a host value (it never crosses into the isolate).
fn call_on_connect(env: Env, ctx: &OpCtx, args: &[Value], done: impl FnOnce(Env, Settled) + Send + 'static) {
  let Some(Some(callback)) = with_callbacks(&ctx.cbs, |c| c.on_connect.as_ref().and_then(|r| r.value(env))) else {
    return done(env, Err(error_value(env, "Error", "no onConnect callback was passed to createRuntime")));
  };
  let Some((hooks, f)) = glue_fn(env, &ctx.glue, "onConnect") else {
    return done(env, Err(error_value(env, "Error", "the host glue has no 'onConnect'")));
  };
  match args_to_host(env, args, ctx.limit) {
    Ok(mut argv) => {
      argv.insert(0, callback);
      call_and_await(env, hooks, f, &argv, done)
    }
    Err(e) => done(env, Err(error_value(env, "DataCloneError", &e))),
  }
}

/// `iterable[Symbol.asyncIterator]()`, or the value itself if it has a `next` method; Ok(None)
/// when it is neither, Err with the exception when reading it threw.
fn async_iterator_of(env: Env, v: Val) -> Result<Option<Val>, Val> {
  if env.type_of(v).map_err(|f| failed(env, f))? != sys::ValueType::napi_object {
    return Ok(None);
  }
  let symbol = env.global().and_then(|g| env.get_named(g, "Symbol")).and_then(|s| env.get_named(s, "asyncIterator")).map_err(|f| failed(env, f))?;
  let method = env.get(v, symbol).map_err(|f| failed(env, f))?;
  if env.type_of(method).map_err(|f| failed(env, f))? == sys::ValueType::napi_function {
    return env.call(v, method, &[]).map(Some).map_err(|f| failed(env, f));
  }
  let next = env.get_named(v, "next").map_err(|f| failed(env, f))?;
  Ok((env.type_of(next).map_err(|f| failed(env, f))? == sys::ValueType::napi_function).then_some(v))
}

/// Calls `next`/`return`/`throw` on a host iterator; a finished iterator is forgotten.
fn iterator_step(env: Env, ctx: &OpCtx, iter: u64, method: &'static str, arg: Value, done: impl FnOnce(Env, Settled) + Send + 'static) {
  let limit = ctx.limit;
  let finished = move |env: Env, value: &Value| -> Settled {
    value::to_host(env, &Value::Object(vec![("done".into(), Value::Bool(true)), ("value".into(), value.clone())]), limit)
      .map_err(|e| error_value(env, "DataCloneError", &e))
  };
  let rethrow = move |env: Env, arg: &Value| -> Val { value::to_host(env, arg, limit).unwrap_or_else(|e| error_value(env, "DataCloneError", &e)) };
  let it = ctx.iterators.lock().ok().and_then(|its| its.get(&iter).and_then(|r| r.value(env)));
  let Some(it) = it else {
    // Already finished (or never opened): behave like a completed generator.
    return match method {
      "throw" => done(env, Err(rethrow(env, &arg))),
      _ => {
        let r = finished(env, &Value::Undefined);
        done(env, r)
      }
    };
  };
  let forget = {
    let iterators = ctx.iterators.clone();
    let inflight = ctx.inflight.clone();
    move |env: Env| {
      if let Some(r) = iterators.lock().ok().and_then(|mut its| its.remove(&iter)) {
        unsafe { r.delete(env.raw()) };
        inflight.release_call(HOST_CALL_BYTES);
      }
    }
  };
  let m = match env.get_named(it, method) {
    Ok(m) => m,
    Err(f) => {
      forget(env);
      return done(env, Err(failed(env, f)));
    }
  };
  if !matches!(env.type_of(m), Ok(sys::ValueType::napi_function)) {
    forget(env);
    return match method {
      "throw" => done(env, Err(rethrow(env, &arg))),
      _ => {
        let r = finished(env, &arg);
        done(env, r)
      }
    };
  }
  let argv = match value::to_host(env, &arg, limit) {
    Ok(a) => a,
    Err(e) => return done(env, Err(error_value(env, "DataCloneError", &e))),
  };
  call_and_await(env, it, m, &[argv], move |env, settled| {
    let is_done = match settled {
      Ok(r) => env.get_named(r, "done").map(|d| value::truthy(env, d)).unwrap_or(true),
      Err(_) => true,
    };
    if is_done || method != "next" {
      forget(env);
    }
    done(env, settled)
  });
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_call_dropped_unanswered_stays_charged_and_an_answered_one_is_given_back() {
    let inflight = Inflight::new(4096);
    assert!(inflight.charge_call(1024));
    assert!(inflight.charge_call(1024));
    let answered = Unanswered(Some(Held { inflight: inflight.clone(), refusal: false, bytes: 1024 }));
    let orphaned = Unanswered(Some(Held { inflight: inflight.clone(), refusal: false, bytes: 1024 }));
    drop(orphaned);
    assert_eq!(inflight.calls.load(Ordering::Acquire), 2048);
    let mut answered = answered;
    drop(answered.0.take());
    assert_eq!(inflight.calls.load(Ordering::Acquire), 1024);
  }
}
