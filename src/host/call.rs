//! Calling host functions on Node's main thread and awaiting what they return.

use super::napi::{Env, Fail, Val};
use super::value::{error_info, from_host};
use crate::runtime::Outcome;
use crate::value::Value;
use napi::sys;
use std::sync::{Arc, Mutex};

/// How a host call ended: its value, or the thrown/rejected value.
pub type Settled = Result<Val, Val>;

type Done = Box<dyn FnOnce(Env, Settled) + Send>;

/// The continuation of an awaited thenable; whichever of its two callbacks runs first takes it.
struct Settler(Mutex<Option<Done>>);

impl Settler {
  fn take(&self) -> Option<Done> {
    self.0.lock().ok().and_then(|mut g| g.take())
  }
}

/// The value to settle with for a failed N-API call (its exception when it threw).
pub fn failed(env: Env, f: Fail) -> Val {
  super::func::thrown(env, f)
}

/// Calls `func(this, ...args)`; if the result is a thenable, waits for it. `done` runs on the main
/// thread with the settled value (or the thrown/rejected one), exactly once unless the thenable
/// never settles.
pub fn call_and_await(env: Env, this: Val, func: Val, args: &[Val], done: impl FnOnce(Env, Settled) + Send + 'static) {
  match env.call(this, func, args) {
    Ok(result) => await_value(env, result, done),
    Err(f) => done(env, Err(failed(env, f))),
  }
}

/// Waits for `value` if it is a thenable, else passes it on at once. A `then` getter or method
/// that throws settles with its exception.
pub fn await_value(env: Env, value: Val, done: impl FnOnce(Env, Settled) + Send + 'static) {
  let is_object = matches!(env.type_of(value), Ok(sys::ValueType::napi_object | sys::ValueType::napi_function));
  if !is_object {
    return done(env, Ok(value));
  }
  let then = match env.get_named(value, "then") {
    Ok(t) => t,
    Err(f) => return done(env, Err(failed(env, f))),
  };
  if !matches!(env.type_of(then), Ok(sys::ValueType::napi_function)) {
    return done(env, Ok(value));
  }
  let settler = Arc::new(Settler(Mutex::new(Some(Box::new(done)))));
  let mut fns = [std::ptr::null_mut(); 2];
  for (slot, fulfilled) in fns.iter_mut().zip([true, false]) {
    let settler_for_fn = settler.clone();
    let on_settled = super::func::function(env, "", move |env, args| {
      let arg = match args.first() {
        Some(a) => *a,
        None => env.undefined().map_err(|f| failed(env, f))?,
      };
      if let Some(done) = settler_for_fn.take() {
        done(env, if fulfilled { Ok(arg) } else { Err(arg) });
      }
      env.undefined().map_err(|f| failed(env, f))
    });
    match on_settled {
      Ok(f) => *slot = f,
      Err(f) => {
        if let Some(done) = settler.take() {
          done(env, Err(failed(env, f)));
        }
        return;
      }
    }
  }
  if let Err(f) = env.call(value, then, &fns) {
    // A `then` that throws after calling one of the callbacks has already settled.
    let exc = failed(env, f);
    if let Some(done) = settler.take() {
      done(env, Err(exc));
    }
  }
}

/// Converts a settled host value for the isolate, within `limit` bytes; a value that cannot be
/// cloned becomes a DataCloneError.
pub fn outcome(env: Env, settled: Settled, limit: usize) -> Outcome {
  match settled {
    Ok(v) => from_host(env, v, limit).map_err(data_clone_error),
    Err(e) => {
      if env.is_error(e).unwrap_or(false) {
        Err(Value::Error(error_info(env, e)))
      } else {
        Err(from_host(env, e, limit).unwrap_or_else(data_clone_error))
      }
    }
  }
}

pub fn data_clone_error(message: String) -> Value {
  Value::Error(crate::errors::ErrorInfo::new("DataCloneError", message))
}
