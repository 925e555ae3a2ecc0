//! edge-isolate: sandboxed V8 isolates for Node.js, each on its own Rust thread.

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod console;
mod errors;
mod host;
mod limits;
mod net;
mod platform;
mod runtime;
mod value;
mod web;
mod fetch_glue;
mod testenv;
mod server;
mod compat;
mod typescript;

use errors::ErrorInfo;
use host::bridge::{Deferred, HostBridge, Settle};
use host::{options, NodeHost};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use runtime::{Msg, RuntimeHandle};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A sandbox: one V8 isolate with its own heap, running on its own thread.
#[napi]
pub struct Runtime {
  handle: Arc<RuntimeHandle>,
  bridge: Arc<HostBridge>,
  id: String,
  glue: host::GlueSlot,
  /// The `runtime.fetch` object, made on first use.
  fetch_api: std::sync::Mutex<Option<host::Ref>>,
  /// The `runtime.testEnvironment` object, made on first use.
  test_api: std::sync::Mutex<Option<host::Ref>>,
  /// Whether the runtime has the test environment, and its executionTimeout (a run's deadline).
  test_env: (bool, Option<u64>),
  /// The `runtime.timers` and `runtime.console` objects, made on first use.
  compat_api: std::sync::Mutex<[Option<host::Ref>; 2]>,
}

/// Resource use of a runtime, sampled without stopping it.
#[napi(object)]
pub struct RuntimeStats {
  /// Bytes used by the JS heap (sampled at the end of each eval).
  pub heap_used_bytes: f64,
  /// The JS heap limit in bytes (from `memoryLimitMB`).
  pub heap_limit_bytes: f64,
  /// Bytes of ArrayBuffer memory currently allocated.
  pub external_bytes: f64,
  /// CPU time used by the runtime's thread, in milliseconds.
  pub cpu_time_ms: f64,
}

fn promise<'a>(env: &'a Env, raw: sys::napi_value) -> PromiseRaw<'a, ()> {
  PromiseRaw::new(env.raw(), raw)
}

fn to_napi_error(e: ErrorInfo) -> napi::Error {
  napi::Error::new(napi::Status::GenericFailure, e.message)
}

/// Adds the error classes (`IsolateError`, `MemoryLimitError`, …) to this realm's exports; each
/// realm (the main thread, every worker) gets its own, kept in its N-API instance data.
#[napi(module_exports)]
pub fn module_exports(exports: Object, env: Env) -> Result<()> {
  let env = unsafe { host::napi::Env::from_raw(env.raw()) };
  errors::classes::install(env, exports.raw())?;
  Ok(())
}

/// Creates a runtime. The first of a process resolves once its isolate is ready (it makes the
/// snapshot); later ones resolve at once, their isolate made (or taken warm) on the pool while
/// the first eval waits for it.
#[napi(catch_unwind, ts_args_type = "options?: RuntimeOptions", ts_return_type = "Promise<Runtime>")]
pub fn create_runtime<'a>(env: &'a Env, options: Option<Unknown<'a>>) -> Result<PromiseRaw<'a, ()>> {
  let raw = env.raw();
  let bridge = HostBridge::new(raw)?;
  let (deferred, promise_value) = Deferred::new(raw, &bridge)?;
  let parsed = unsafe { options::parse_runtime_options(raw, options.map(|o| o.raw())) };
  let (config, mut callbacks) = match parsed {
    Ok(p) => p,
    Err(e) => {
      deferred.reject(e);
      return Ok(promise(env, promise_value));
    }
  };
  // The glue's hooks (src/host/glue.js) call the host's onFetch, webSocket and onConnect
  // callbacks: they must exist before any eval runs, as must an onWebSocketCommand listener.
  // Other runtimes make them on first use of `runtime.fetch`.
  let ws_command = callbacks.on_web_socket_command.take();
  // customFunctions move Request and Response bodies through the glue too.
  let needs_glue = config.has_web_socket || config.has_on_fetch || config.has_on_connect || ws_command.is_some() || !config.functions.is_empty();
  let test_env = (config.test_environment.is_some(), config.execution_timeout_ms);
  let host = Arc::new(NodeHost::new(bridge.clone(), callbacks));
  let glue = host.glue.clone();
  let parts = RuntimeParts { bridge: bridge.clone(), glue, test_env, needs_glue, ws_command };
  // Once the process's snapshot exists, the runtime is handed out at once: its first eval queues
  // behind the making of its isolate, on the pool, instead of waiting for the pool to say it is
  // ready (a hand-off to the pool and back per createRuntime).
  let (config, host) = match RuntimeHandle::start(config, host) {
    runtime::Started::Now(handle) => {
      register_cleanup(raw, &handle);
      return match parts.into_runtime(raw, handle) {
        Ok(rt) => {
          deferred.resolve_now(raw, rt);
          Ok(promise(env, promise_value))
        }
        Err(e) => {
          deferred.reject(ErrorInfo::new("Error", e.reason.clone()));
          Ok(promise(env, promise_value))
        }
      };
    }
    runtime::Started::Refused(e) => {
      parts.forget(raw);
      deferred.reject(e);
      return Ok(promise(env, promise_value));
    }
    runtime::Started::NotYet(config, host) => (config, host),
  };
  let slot: Arc<OnceLock<Arc<RuntimeHandle>>> = Arc::new(OnceLock::new());
  let ready = {
    let slot = slot.clone();
    Box::new(move |r: std::result::Result<(), ErrorInfo>| match r {
      Ok(()) => deferred.settle(move |env| {
        let handle = slot.get().cloned().ok_or_else(|| napi::Error::from_reason("runtime failed to start"))?;
        Ok(Settle::Resolve(parts.into_runtime(env, handle)?))
      }),
      Err(e) => deferred.settle(move |env| {
        parts.forget(env);
        Ok(Settle::Reject(e.to_host(unsafe { host::napi::Env::from_raw(env) })))
      }),
    })
  };
  let handle = RuntimeHandle::spawn(config, host, ready).map_err(to_napi_error)?;
  let _ = slot.set(handle.clone());
  register_cleanup(raw, &handle);
  Ok(promise(env, promise_value))
}

/// What a `Runtime` object is made of besides its handle.
struct RuntimeParts {
  bridge: Arc<HostBridge>,
  glue: host::GlueSlot,
  test_env: (bool, Option<u64>),
  needs_glue: bool,
  ws_command: Option<host::Ref>,
}

impl RuntimeParts {
  /// The host's `Runtime` object. Main thread only.
  fn into_runtime(self, env: sys::napi_env, handle: Arc<RuntimeHandle>) -> Result<sys::napi_value> {
    let rt = Runtime {
      handle,
      bridge: self.bridge,
      id: uuid::Uuid::new_v4().to_string(),
      glue: self.glue,
      fetch_api: std::sync::Mutex::new(None),
      test_api: std::sync::Mutex::new(None),
      test_env: self.test_env,
      compat_api: std::sync::Mutex::new([None, None]),
    };
    if self.needs_glue {
      let api = rt.glue_api(env)?;
      if let Some(listener) = self.ws_command {
        let e = unsafe { host::napi::Env::from_raw(env) };
        let callback = unsafe { listener.get(env) };
        unsafe { listener.delete(env) };
        let subscribe = e.get_named(api, "onWebSocketCommand")?;
        e.call(api, subscribe, &[callback])?;
      }
    }
    unsafe { Runtime::to_napi_value(env, rt) }
  }

  /// The runtime did not start: lets go of what the host held for it. Main thread only.
  fn forget(self, env: sys::napi_env) {
    if let Some(listener) = self.ws_command {
      unsafe { listener.delete(env) };
    }
  }
}

/// Process-wide figures of the runtime pool.
#[napi(object)]
pub struct ProcessStats {
  /// Runtimes created and not yet torn down.
  pub runtimes: u32,
  /// Event-loop threads of the pool (runtimes do not own threads).
  pub pool_threads: u32,
  /// Runtimes contained after a fatal out-of-memory V8 could not recover from.
  pub contained_runtimes: u32,
  /// Heap bytes those runtimes still hold (they cannot be freed while the process lives).
  pub contained_bytes: f64,
  /// Warm runtimes ready for `createRuntime` (see `configurePool({ warmRuntimes })`).
  pub warm_runtimes: u32,
  /// Runtimes started from a warm one since the process started.
  pub warm_starts: f64,
}

/// Figures of the process's runtime pool.
#[napi(catch_unwind)]
pub fn process_stats() -> ProcessStats {
  use std::sync::atomic::Ordering;
  let pool = runtime::pool::Pool::global();
  ProcessStats {
    runtimes: pool.live() as u32,
    pool_threads: pool.threads() as u32,
    contained_runtimes: pool.contained.load(Ordering::Acquire) as u32,
    contained_bytes: pool.contained_bytes.load(Ordering::Acquire) as f64,
    warm_runtimes: runtime::warm::ready() as u32,
    warm_starts: runtime::warm::starts() as f64,
  }
}

/// Options of the process-wide runtime pool.
#[napi(object)]
pub struct PoolOptions {
  /// Event-loop threads that run every runtime (1–256; default: the number of cores). Set once,
  /// before the first `createRuntime()`.
  pub threads: Option<u32>,
  /// Runtimes kept made ahead of time (0–256, default 0), refilled in the background: a
  /// `createRuntime()` whose `memoryLimitMB` is `warmMemoryLimitMB` takes one instead of making
  /// its isolate. Each holds ~2 MB while it waits. May be changed at any time; 0 frees them.
  pub warm_runtimes: Option<u32>,
  /// The `memoryLimitMB` of the warm runtimes (default 128).
  #[napi(js_name = "warmMemoryLimitMB")]
  pub warm_memory_limit_mb: Option<f64>,
}

/// Sets the size of the runtime pool (once per process, before the first `createRuntime()`)
/// and how many warm runtimes it keeps (at any time).
#[napi(catch_unwind, ts_args_type = "options: PoolOptions")]
pub fn configure_pool(env: Env, options: Unknown) -> Result<()> {
  let fail = |type_error: bool, msg: String| -> Result<()> {
    if type_error { env.throw_type_error(&msg, None)? } else { env.throw_range_error(&msg, None)? }
    Err(napi::Error::new(napi::Status::PendingException, msg))
  };
  if options.get_type()? != ValueType::Object {
    return fail(true, "configurePool(options): options must be an object such as { threads: 4 }".into());
  }
  // SAFETY: checked to be an object just above.
  let obj: Object = unsafe { options.cast() }?;
  let threads: Unknown = obj.get_named_property("threads")?;
  let warm: Unknown = obj.get_named_property("warmRuntimes")?;
  let warm_limit: Unknown = obj.get_named_property("warmMemoryLimitMB")?;
  let given = |v: &Unknown| v.get_type().map(|t| t != ValueType::Undefined);
  let threads = if given(&threads)? || !given(&warm)? {
    if threads.get_type()? != ValueType::Number {
      return fail(true, "configurePool(options): threads must be a number of threads from 1 to 256".into());
    }
    let n: f64 = unsafe { threads.cast() }?;
    if n.fract() != 0.0 || !(1.0..=256.0).contains(&n) {
      return fail(false, format!("configurePool(options): threads must be an integer from 1 to 256 (got {n})"));
    }
    Some(n as usize)
  } else {
    None
  };
  let warm = if given(&warm)? {
    if warm.get_type()? != ValueType::Number {
      return fail(true, format!("configurePool(options): warmRuntimes must be a number of runtimes from 0 to {}", runtime::warm::MAX));
    }
    let n: f64 = unsafe { warm.cast() }?;
    if n.fract() != 0.0 || !(0.0..=runtime::warm::MAX as f64).contains(&n) {
      return fail(false, format!("configurePool(options): warmRuntimes must be an integer from 0 to {} (got {n})", runtime::warm::MAX));
    }
    let mb = if given(&warm_limit)? {
      let mb = match warm_limit.get_type()? {
        ValueType::Number => unsafe { warm_limit.cast::<f64>() }?,
        _ => return fail(true, "configurePool(options): warmMemoryLimitMB must be a number of MB from 8 to 16384".into()),
      };
      // The range createRuntime's memoryLimitMB takes (src/host/options.rs).
      if !(8.0..=16384.0).contains(&mb) {
        return fail(false, format!("configurePool(options): warmMemoryLimitMB must be from 8 to 16384 (got {mb})"));
      }
      mb
    } else {
      128.0
    };
    Some((n as usize, mb))
  } else {
    None
  };
  if let Some(n) = threads {
    runtime::pool::configure(n).map_err(|m| napi::Error::new(napi::Status::GenericFailure, format!("configurePool(options): {m}")))?;
  }
  if let Some((n, mb)) = warm {
    runtime::warm::configure(n, mb).map_err(|m| napi::Error::new(napi::Status::GenericFailure, format!("configurePool(options): {m}")))?;
  }
  Ok(())
}

/// When Node's environment (the main thread or a worker) shuts down, its runtimes stop too.
fn register_cleanup(env: sys::napi_env, handle: &Arc<RuntimeHandle>) {
  unsafe extern "C" fn cleanup(data: *mut std::ffi::c_void) {
    if data.is_null() {
      return;
    }
    let weak = unsafe { Box::from_raw(data as *mut std::sync::Weak<RuntimeHandle>) };
    // A panic must never unwind into Node.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
      if let Some(h) = weak.upgrade() {
        h.stop_and_wait(Duration::from_secs(2));
      }
    }));
  }
  let data = Box::into_raw(Box::new(Arc::downgrade(handle))) as *mut std::ffi::c_void;
  let env = unsafe { host::napi::Env::from_raw(env) };
  if env.add_cleanup_hook(cleanup, data).is_err() {
    drop(unsafe { Box::from_raw(data as *mut std::sync::Weak<RuntimeHandle>) });
  }
}

#[napi]
impl Runtime {
  /// A UUID identifying this runtime.
  #[napi(getter)]
  pub fn id(&self) -> String {
    self.id.clone()
  }

  /// Runs `code` as an ES module (top-level await allowed). Evals run one after another; globals
  /// persist across them.
  #[napi(catch_unwind, ts_args_type = "code: string, options?: string | EvalOptions", ts_return_type = "Promise<void>")]
  pub fn eval<'a>(&self, env: &'a Env, code: Unknown<'a>, options: Option<Unknown<'a>>) -> Result<PromiseRaw<'a, ()>> {
    let raw = env.raw();
    let (deferred, promise_value) = Deferred::new(raw, &self.bridge)?;
    if !self.handle.shared.is_alive() {
      deferred.reject(self.handle.shared.later_error());
      return Ok(promise(env, promise_value));
    }
    let args = match unsafe { options::parse_eval(raw, code.raw(), options.map(|o| o.raw())) } {
      Ok(a) => a,
      Err(e) => {
        deferred.reject(e);
        return Ok(promise(env, promise_value));
      }
    };
    let done: runtime::Completion = Box::new(move |r| match r {
      Ok(()) => deferred.resolve_undefined(),
      Err(e) => deferred.reject(e),
    });
    // If the runtime is gone, the message and its completion are dropped, which rejects.
    let _ = self.handle.send(Msg::Eval { code: args.code, filename: args.filename, timeout_ms: args.timeout_ms, typescript: args.typescript, done });
    Ok(promise(env, promise_value))
  }

  /// Forgets the modules imported so far (as @ricsam/isolate-runtime's `clearModuleCache()`):
  /// later imports call the moduleLoader again. Ordered with evals: one started after this call
  /// sees the empty cache. Throws RuntimeDisposedError once the runtime is gone.
  #[napi(catch_unwind)]
  pub fn clear_module_cache(&self, env: &Env) -> Result<()> {
    if !self.handle.shared.is_alive() {
      let e = self.handle.shared.later_error().to_host(unsafe { host::napi::Env::from_raw(env.raw()) });
      return Err(napi::Error::from(unsafe { Unknown::from_raw_unchecked(env.raw(), e) }));
    }
    let _ = self.handle.send(Msg::Task(Box::new(|scope| {
      if let Some(state) = runtime::State::get(scope) {
        if let Ok(mut s) = state.try_borrow_mut() {
          s.modules.clear_cache();
        }
      }
    })));
    Ok(())
  }

  /// Stops the runtime and frees its isolate. Idempotent; pending calls reject with
  /// "Runtime has been disposed".
  #[napi(catch_unwind, ts_return_type = "Promise<void>")]
  pub fn dispose<'a>(&self, env: &'a Env) -> Result<PromiseRaw<'a, ()>> {
    let raw = env.raw();
    let (mut deferred, promise_value) = Deferred::new(raw, &self.bridge)?;
    deferred.resolve_on_drop();
    // Told by the teardown once the runtime is unreachable, before V8 frees the isolate.
    let done: runtime::Completion = Box::new(move |_| {
      deferred.settle(move |env| Ok(Settle::Resolve(unsafe { host::napi::Env::from_raw(env) }.undefined()?)))
    });
    if let Err(done) = self.handle.dispose(done) {
      // Already stopped: nothing left to free but the thread.
      self.handle.join();
      done(Ok(()));
    }
    Ok(promise(env, promise_value))
  }

  /// The host side of the isolate's `serve()`: dispatch requests and WebSocket events to it.
  #[napi(getter, catch_unwind, ts_return_type = "RuntimeFetch")]
  pub fn fetch<'a>(&self, env: &'a Env) -> Result<Unknown<'a>> {
    let raw = env.raw();
    let api = self.glue_api(raw)?;
    Ok(unsafe { Unknown::from_raw_unchecked(raw, api) })
  }

  /// The glue's `api` object (`runtime.fetch`), creating the glue (and its hooks) on first use.
  fn glue_api(&self, raw: sys::napi_env) -> Result<sys::napi_value> {
    let existing = self.fetch_api.lock().ok().and_then(|g| g.as_ref().map(|r| unsafe { r.get(raw) }));
    let api = match existing {
      Some(api) => api,
      None => {
        let (api, hooks) = unsafe { fetch_glue::create(raw, &self.handle, &self.bridge) }?;
        if let Ok(mut g) = self.glue.lock() {
          *g = Some(unsafe { host::Ref::new(raw, hooks) }?);
        }
        if let Ok(mut g) = self.fetch_api.lock() {
          *g = Some(unsafe { host::Ref::new(raw, api) }?);
        }
        api
      }
    };
    Ok(api)
  }

  /// The host side of the isolate's test environment (`createRuntime({ testEnvironment })`):
  /// run the tests the isolate declared and read their results.
  #[napi(getter, catch_unwind, ts_return_type = "RuntimeTestEnvironment")]
  pub fn test_environment<'a>(&self, env: &'a Env) -> Result<Unknown<'a>> {
    let raw = env.raw();
    let existing = self.test_api.lock().ok().and_then(|g| g.as_ref().map(|r| unsafe { r.get(raw) }));
    let api = match existing {
      Some(api) => api,
      None => {
        let api = unsafe { testenv::create(raw, &self.handle, &self.bridge, self.test_env.0, self.test_env.1) }?;
        if let Ok(mut g) = self.test_api.lock() {
          *g = Some(unsafe { host::Ref::new(raw, api) }?);
        }
        api
      }
    };
    Ok(unsafe { Unknown::from_raw_unchecked(raw, api) })
  }

  /// Serves the runtime's handler over HTTP and WebSocket from a native server (src/server/).
  #[napi(catch_unwind, ts_args_type = "options?: ListenOptions", ts_return_type = "Promise<Server>")]
  pub fn listen<'a>(&self, env: &'a Env, options: Option<Unknown<'a>>) -> Result<PromiseRaw<'a, ()>> {
    server::host::listen(env, &self.handle, &self.bridge, options)
  }

  /// `{ clearAll() }`: clears every pending timer and interval of the runtime, synchronously.
  #[napi(getter, catch_unwind, ts_return_type = "RuntimeTimers")]
  pub fn timers<'a>(&self, env: &'a Env) -> Result<Unknown<'a>> {
    self.compat(env, 0, |e, h| unsafe { compat::timers(e, h) })
  }

  /// `{ getCounters(), getTimers(), getGroupDepth(), reset() }`: the isolate's console state,
  /// read and reset synchronously.
  #[napi(getter, catch_unwind, ts_return_type = "RuntimeConsole")]
  pub fn console<'a>(&self, env: &'a Env) -> Result<Unknown<'a>> {
    self.compat(env, 1, |e, h| unsafe { compat::console(e, h) })
  }

  fn compat<'a>(&self, env: &'a Env, i: usize, make: impl FnOnce(host::napi::Env, &Arc<RuntimeHandle>) -> host::napi::NResult<sys::napi_value>) -> Result<Unknown<'a>> {
    let raw = env.raw();
    let existing = self.compat_api.lock().ok().and_then(|g| g.get(i).and_then(|r| r.as_ref()).map(|r| unsafe { r.get(raw) }));
    let api = match existing {
      Some(api) => api,
      None => {
        let api = make(unsafe { host::napi::Env::from_raw(raw) }, &self.handle)?;
        if let Ok(mut g) = self.compat_api.lock() {
          if let Some(slot) = g.get_mut(i) {
            *slot = Some(unsafe { host::Ref::new(raw, api) }?);
          }
        }
        api
      }
    };
    Ok(unsafe { Unknown::from_raw_unchecked(raw, api) })
  }

  /// Heap and CPU use of this runtime.
  #[napi(catch_unwind)]
  pub fn stats(&self) -> RuntimeStats {
    let s = &self.handle.shared;
    RuntimeStats {
      heap_used_bytes: s.heap_used.load(std::sync::atomic::Ordering::Relaxed) as f64,
      heap_limit_bytes: s.heap_limit.load(std::sync::atomic::Ordering::Relaxed) as f64,
      external_bytes: s.budget.array_buffer_bytes.load(std::sync::atomic::Ordering::Relaxed) as f64,
      cpu_time_ms: s.cpu_time_ms(),
    }
  }
}
