//! The test environment: Jest/Vitest-style globals inside the isolate (testenv.js, an area of the
//! snapshot whose globals are defined only in runtimes created with `testEnvironment`), and the
//! host's `runtime.testEnvironment` (glue.js, run in Node's context, and the `call` native here).
//!
//! Events for the host's `onEvent` cross one by one as structured-clone values. Bytes of events
//! not yet handled on Node's main thread are counted: past [`event_cap`] the isolate's `emitEvent`
//! returns a promise that settles once the host has caught up, and the run waits for it, so a
//! busy host slows the run down instead of letting events pile up.

use crate::errors::ErrorInfo;
use crate::host::bridge::{Deferred, HostBridge, Settle};
use crate::host::call::failed;
use crate::host::napi::{Env, Val};
use crate::host::{func, value};
use crate::limits::Watchdog;
use crate::runtime::{Later, Msg, RuntimeHandle, State};
use crate::value::isolate::from_v8;
use crate::value::Value;
use crate::web::{Area, Natives};
use napi::sys;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use v8::MapFnTo;

pub const AREA: Area = Area { name: "testenv", js: include_str!("testenv.js"), natives };

const GLUE: &str = include_str!("glue.js");

/// `createRuntime({ testEnvironment })`, as the runtime keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
  /// Default timeout of each test and hook, in ms.
  pub test_timeout_ms: f64,
  /// The host passed `onEvent`: the isolate emits events.
  pub has_on_event: bool,
}

impl Default for Options {
  fn default() -> Self {
    Self { test_timeout_ms: 5000.0, has_on_event: false }
  }
}

impl Options {
  /// What the isolate's per-runtime setup is given (`options.testEnvironment`).
  pub fn to_value(&self) -> Value {
    Value::Object(vec![("testTimeout".into(), Value::Number(self.test_timeout_ms)), ("events".into(), Value::Bool(self.has_on_event))])
  }
}

fn natives() -> Natives {
  vec![("emitEvent", emit_event.map_fn_to()), ("testCount", test_count.map_fn_to())]
}

/// `testCount(n)`: the number of declared tests, recorded where the host reads it synchronously
/// (`hasTests()`, `getTestCount()`), before the eval that declared them settles.
fn test_count<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let shared = state.borrow().shared.clone();
  let n = args.get(0).number_value(scope).filter(|n| n.is_finite() && *n >= 0.0).unwrap_or(0.0);
  shared.test_count.store(n as u64, Ordering::Release);
}

/// Bytes of events that may wait for the host before the run waits: an eighth of the memory
/// limit, within 64 KiB–1 MiB.
pub fn event_cap(limit_bytes: usize) -> usize {
  (limit_bytes / 8).clamp(64 << 10, 1 << 20)
}

/// Bytes of this runtime's events posted to the host and not yet handled (an isolate slot).
#[derive(Clone)]
struct EventsPending(Arc<AtomicUsize>);

/// `emitEvent(event) → undefined | Promise`: posts a test event for the host's `onEvent`.
fn emit_event<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let (host, limit) = {
    let s = state.borrow();
    (s.host.clone(), s.shared.budget.limit_bytes)
  };
  let event = match from_v8(scope, args.get(0)) {
    Ok(v) => v,
    Err(m) => return crate::runtime::throw_dom_exception(scope, &m, "DataCloneError"),
  };
  let pending = match scope.get_slot::<EventsPending>() {
    Some(p) => p.0.clone(),
    None => {
      let p = Arc::new(AtomicUsize::new(0));
      scope.set_slot(EventsPending(p.clone()));
      p
    }
  };
  let cost = event.cost();
  let before = pending.fetch_add(cost, Ordering::AcqRel);
  let mut later = None;
  if before.saturating_add(cost) > event_cap(limit) {
    if let Some((promise, l)) = Later::new(scope) {
      rv.set(promise.into());
      later = Some(l);
    }
  }
  host.test_event(
    event,
    Box::new(move || {
      let _ = pending.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(cost)));
      if let Some(l) = later {
        l.resolve(Value::Undefined);
      }
    }),
  );
}

/// The isolate-side operations the glue may ask for.
const OPS: &[&str] = &["testRun", "testReset"];

/// Makes the `runtime.testEnvironment` object. `enabled`: the runtime was created with
/// `testEnvironment`; `run_timeout_ms`: the runtime's executionTimeout, the default deadline of a
/// whole test run.
///
/// # Safety
/// On the main thread, with the env of the current call.
pub unsafe fn create(env: sys::napi_env, handle: &Arc<RuntimeHandle>, bridge: &Arc<HostBridge>, enabled: bool, run_timeout_ms: Option<u64>) -> napi::Result<sys::napi_value> {
  let env = unsafe { Env::from_raw(env) };
  let factory = env.run_script(GLUE)?;
  let native = env.object()?;
  let h = handle.clone();
  let b = bridge.clone();
  let call = func::function(env, "call", move |env, args| call(env, &h, &b, run_timeout_ms, args))?;
  let h = handle.clone();
  let count = func::function(env, "count", move |env, _| {
    alive(env, &h)?;
    env.double(h.shared.test_count.load(Ordering::Acquire) as f64).map_err(|f| failed(env, f))
  })?;
  let h = handle.clone();
  let reset = func::function(env, "reset", move |env, _| reset(env, &h))?;
  env.define_data(native, &[(env.string("call")?, call), (env.string("count")?, count), (env.string("reset")?, reset)])?;
  Ok(env.call(env.undefined()?, factory, &[native, env.boolean(enabled)?])?)
}

/// Throws RuntimeDisposedError once the runtime is gone.
fn alive(env: Env, handle: &RuntimeHandle) -> Result<(), Val> {
  if handle.shared.is_alive() {
    Ok(())
  } else {
    Err(handle.shared.later_error().to_host(env))
  }
}

/// `native.reset()`: forgets the declared tests now (as the host sees them) and inside before
/// any later eval or run (the runtime's mailbox keeps order). The glue refuses it during a run.
fn reset(env: Env, handle: &Arc<RuntimeHandle>) -> Result<Val, Val> {
  alive(env, handle)?;
  handle.shared.test_count.store(0, Ordering::Release);
  let _ = handle.send(Msg::Call { op: "testReset".into(), args: Vec::new(), done: Box::new(|_| {}) });
  env.undefined().map_err(|f| failed(env, f))
}

/// `native.call(op, timeoutMs?) → Promise`: runs an isolate-side operation; a test run gets a
/// wall-clock deadline (`timeoutMs`, else the runtime's executionTimeout) past which the runtime
/// ends with a TimeoutError, as an eval does.
fn call(env: Env, handle: &Arc<RuntimeHandle>, bridge: &Arc<HostBridge>, run_timeout_ms: Option<u64>, args: &[Val]) -> Result<Val, Val> {
  let (deferred, promise) = Deferred::new(env.raw(), bridge).map_err(|e| crate::errors::host_error(env, "Error", &e.reason, None))?;
  if !handle.shared.is_alive() {
    deferred.reject(handle.shared.later_error());
    return Ok(promise);
  }
  let op = match args.first() {
    Some(a) if env.type_of(*a).ok() == Some(sys::ValueType::napi_string) => env.get_string(*a).map_err(|f| failed(env, f))?,
    _ => String::new(),
  };
  if !OPS.contains(&op.as_str()) {
    deferred.reject(ErrorInfo::type_error(format!("testEnvironment: unknown operation '{op}'")));
    return Ok(promise);
  }
  let timeout = match args.get(1) {
    Some(a) if env.type_of(*a).ok() == Some(sys::ValueType::napi_number) => {
      let n = env.get_double(*a).map_err(|f| failed(env, f))?;
      (n.is_finite() && n > 0.0).then(|| n.ceil().min(2_147_483_647.0) as u64)
    }
    _ => None,
  }
  .or(run_timeout_ms)
  .filter(|_| op == "testRun");
  let limit = handle.shared.budget.limit_bytes;
  let finished = Arc::new(AtomicBool::new(false));
  let watch = Arc::new(AtomicU64::new(0));
  let done: crate::runtime::Reply = {
    let finished = finished.clone();
    let watch = watch.clone();
    Box::new(move |r| {
      finished.store(true, Ordering::Release);
      let id = watch.load(Ordering::Acquire);
      if id != 0 {
        Watchdog::global().disarm(id);
      }
      match r {
        Ok(v) => deferred.settle(move |raw| {
          let env = unsafe { Env::from_raw(raw) };
          match value::to_host(env, &v, limit) {
            Ok(v) => Ok(Settle::Resolve(v)),
            Err(m) => Ok(Settle::Reject(ErrorInfo::new("DataCloneError", m).to_host(env))),
          }
        }),
        Err(e) => deferred.reject(e),
      }
    })
  };
  if let Some(ms) = timeout {
    let shared = handle.shared.clone();
    let mailbox = handle.mailbox();
    let flag = finished.clone();
    let id = Watchdog::global().arm(Instant::now() + Duration::from_millis(ms), move || {
      if !flag.load(Ordering::Acquire) {
        shared.trip(ErrorInfo::timeout_of("Test", ms), crate::errors::runtime_timed_out(ms, "a test run"));
        // The runtime may be idle (a test waiting on a promise): make it look at its limits.
        let _ = mailbox.send(Msg::Wake);
      }
    });
    watch.store(id, Ordering::Release);
    if finished.load(Ordering::Acquire) {
      Watchdog::global().disarm(id);
    }
  }
  let _ = handle.send(Msg::Call { op: op.into(), args: Vec::new(), done });
  Ok(promise)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn event_cap_is_an_eighth_of_the_limit_within_bounds() {
    assert_eq!(event_cap(8 << 20), 1 << 20);
    assert_eq!(event_cap(128 << 20), 1 << 20);
    assert_eq!(event_cap(1 << 20), 128 << 10);
    assert_eq!(event_cap(0), 64 << 10);
  }

  #[test]
  fn options_reach_the_isolate_as_a_plain_object() {
    let o = Options { test_timeout_ms: 250.0, has_on_event: true };
    assert_eq!(o.to_value().get("testTimeout"), Some(&Value::Number(250.0)));
    assert_eq!(o.to_value().get("events"), Some(&Value::Bool(true)));
    assert_eq!(Options::default().test_timeout_ms, 5000.0);
  }
}
