//! `runtime.timers` and `runtime.console`: the host API of @ricsam/isolate-runtime's timer and
//! console handles. Both are synchronous, as that family's are: they read (or change) state the
//! runtime keeps outside the isolate (`Shared`), never waiting for the isolate's thread.

use crate::host::func::{self, thrown};
use crate::host::napi::{Env, NResult, Val};
use crate::runtime::RuntimeHandle;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Throws RuntimeDisposedError once the runtime is gone, as every other call does.
fn alive(env: Env, handle: &RuntimeHandle) -> Result<(), Val> {
  if handle.shared.is_alive() {
    Ok(())
  } else {
    Err(handle.shared.later_error().to_host(env))
  }
}

/// `{ clearAll() }`.
///
/// # Safety
/// On the main thread, with the env of the current call.
pub unsafe fn timers(env: Env, handle: &Arc<RuntimeHandle>) -> NResult<Val> {
  let h = handle.clone();
  let clear_all = func::function(env, "clearAll", move |env, _| {
    alive(env, &h)?;
    // Timers started before this never fire: the loop drops them before firing any timer or
    // starting a new one (src/runtime/state.rs), even mid-eval.
    h.shared.timer_epoch.fetch_add(1, Ordering::AcqRel);
    env.undefined().map_err(|f| thrown(env, f))
  })?;
  let obj = env.object()?;
  env.define_data(obj, &[(env.string("clearAll")?, clear_all)])?;
  Ok(obj)
}

/// A new `Map` of `entries` (Node's own Map).
fn map(env: Env, entries: Vec<(String, f64)>) -> NResult<Val> {
  let ctor = env.get_named(env.global()?, "Map")?;
  let m = env.new_instance(ctor, &[])?;
  let set = env.get_named(m, "set")?;
  for (k, v) in entries {
    env.call(m, set, &[env.string(&k)?, env.double(v)?])?;
  }
  Ok(m)
}

/// `{ getCounters(), getTimers(), getGroupDepth(), reset() }`.
///
/// # Safety
/// On the main thread, with the env of the current call.
pub unsafe fn console(env: Env, handle: &Arc<RuntimeHandle>) -> NResult<Val> {
  let h = handle.clone();
  let counters = func::function(env, "getCounters", move |env, _| {
    alive(env, &h)?;
    map(env, h.shared.console.counters()).map_err(|f| thrown(env, f))
  })?;
  let h = handle.clone();
  let timers = func::function(env, "getTimers", move |env, _| {
    alive(env, &h)?;
    // Starts on Node's performance.now() clock, as @ricsam/isolate-console's (the isolate's
    // clock starts with the runtime): `performance.now() - start` on the host is the time run.
    let starts = || -> NResult<Val> {
      let perf = env.get_named(env.global()?, "performance")?;
      let now = env.get_double(env.call(perf, env.get_named(perf, "now")?, &[])?)?;
      map(env, h.shared.console.timer_ages().into_iter().map(|(k, age)| (k, now - age)).collect())
    };
    starts().map_err(|f| thrown(env, f))
  })?;
  let h = handle.clone();
  let depth = func::function(env, "getGroupDepth", move |env, _| {
    alive(env, &h)?;
    env.double(h.shared.console.group_depth() as f64).map_err(|f| thrown(env, f))
  })?;
  let h = handle.clone();
  let reset = func::function(env, "reset", move |env, _| {
    alive(env, &h)?;
    h.shared.console.reset();
    env.undefined().map_err(|f| thrown(env, f))
  })?;
  let obj = env.object()?;
  env.define_data(
    obj,
    &[
      (env.string("getCounters")?, counters),
      (env.string("getTimers")?, timers),
      (env.string("getGroupDepth")?, depth),
      (env.string("reset")?, reset),
    ],
  )?;
  Ok(obj)
}
