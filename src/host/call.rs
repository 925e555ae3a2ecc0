//! Calling host functions on Node's main thread and awaiting what they return.

use super::napi::{Env, Fail, Val};
use super::value::{error_info, fill_blobs, from_host, from_host_reading, Keep, Reading};
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

/// Like [`outcome`], for a value the isolate gets from a customFunction (its result, an
/// iterator's step, a host function's result): functions, promises and async iterables in it
/// are kept on the host with `keep`, and the bytes of Blobs in it are awaited before `done`
/// runs (on the main thread, exactly once unless a Blob's read never settles).
pub fn outcome_then(env: Env, settled: Settled, limit: usize, keep: Keep, hooks: Option<Val>, done: impl FnOnce(Env, Outcome) + Send + 'static) {
  let v = match settled {
    Ok(v) => v,
    Err(e) => return done(env, outcome(env, Err(e), limit)),
  };
  let mut reading = Reading::new(Some(keep));
  reading.hooks = hooks;
  let mut value = match from_host_reading(env, v, limit, &mut reading) {
    Ok(value) => value,
    Err(m) => return done(env, Err(data_clone_error(m))),
  };
  let Some(blobs) = reading.blobs else { return done(env, Ok(value)) };
  let all = env
    .global()
    .and_then(|g| env.get_named(g, "Promise"))
    .and_then(|p| env.get_named(p, "all").and_then(|all| env.call(p, all, &[blobs])));
  let all = match all {
    Ok(a) => a,
    Err(f) => return done(env, Err(data_clone_error(format!("a Blob could not be read: {}", super::value::describe(env, failed(env, f)))))),
  };
  await_value(env, all, move |env, settled| {
    let buffers = match settled {
      Ok(b) => b,
      Err(e) => return done(env, Err(data_clone_error(format!("a Blob could not be read: {}", super::value::describe(env, e))))),
    };
    let n = env.array_length(buffers).unwrap_or(0);
    let mut bytes = Vec::new();
    for i in 0..n {
      // Each was charged (by the Blob's size) when the Blob was read.
      let b = env.get_element(buffers, i).and_then(|b| env.arraybuffer_info(b)).ok();
      bytes.push(b.map(|(data, len)| copy_bytes(data, len)));
    }
    let filled = fill_blobs(&mut value, &mut bytes).map(|_| value).map_err(data_clone_error);
    done(env, filled)
  });
}

fn copy_bytes(data: *const u8, len: usize) -> Vec<u8> {
  if data.is_null() || len == 0 {
    return Vec::new();
  }
  // SAFETY: N-API reported `len` readable bytes at `data`, alive while we run on this thread.
  unsafe { std::slice::from_raw_parts(data, len) }.to_vec()
}

pub fn data_clone_error(message: String) -> Value {
  Value::Error(crate::errors::ErrorInfo::new("DataCloneError", message))
}
