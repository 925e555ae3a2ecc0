//! Calling host functions on Node's main thread and awaiting what they return.

use super::value::{error_info, from_host, type_of};
use crate::runtime::Outcome;
use crate::value::Value;
use napi::sys;
use std::ptr;
use std::sync::{Arc, Mutex};

type Done = Box<dyn FnOnce(sys::napi_env, Result<sys::napi_value, sys::napi_value>) + Send>;

/// The continuation of an awaited thenable; whichever of its two callbacks runs first takes it.
struct Settler(Mutex<Option<Done>>);

impl Settler {
  fn take(&self) -> Option<Done> {
    self.0.lock().ok().and_then(|mut g| g.take())
  }
}

pub unsafe fn undefined(env: sys::napi_env) -> sys::napi_value {
  let mut v = ptr::null_mut();
  unsafe { sys::napi_get_undefined(env, &mut v) };
  v
}

/// Takes the pending JS exception (there must be one after a failed call), or a generic error.
pub unsafe fn take_exception(env: sys::napi_env) -> sys::napi_value {
  let mut exc = ptr::null_mut();
  unsafe {
    let mut pending = false;
    sys::napi_is_exception_pending(env, &mut pending);
    if pending {
      sys::napi_get_and_clear_last_exception(env, &mut exc);
      return exc;
    }
  }
  crate::errors::host_error(env, "Error", "host call failed", None)
}

/// Calls `func(this, ...args)`; if the result is a thenable, waits for it. `done` runs on the main
/// thread with the settled value (or the thrown/rejected one).
pub unsafe fn call_and_await(
  env: sys::napi_env,
  this: sys::napi_value,
  func: sys::napi_value,
  args: &[sys::napi_value],
  done: impl FnOnce(sys::napi_env, Result<sys::napi_value, sys::napi_value>) + Send + 'static,
) {
  unsafe {
    let mut result = ptr::null_mut();
    if sys::napi_call_function(env, this, func, args.len(), args.as_ptr(), &mut result) != sys::Status::napi_ok {
      let exc = take_exception(env);
      return done(env, Err(exc));
    }
    await_value(env, result, done)
  }
}

/// Waits for `value` if it is a thenable, else passes it on at once.
pub unsafe fn await_value(
  env: sys::napi_env,
  value: sys::napi_value,
  done: impl FnOnce(sys::napi_env, Result<sys::napi_value, sys::napi_value>) + Send + 'static,
) {
  unsafe {
    let then = if type_of(env, value) == sys::ValueType::napi_object {
      super::value::get_named(env, value, "then").ok()
    } else {
      None
    };
    let Some(then) = then.filter(|t| type_of(env, *t) == sys::ValueType::napi_function) else {
      return done(env, Ok(value));
    };
    let settler = Arc::new(Settler(Mutex::new(Some(Box::new(done)))));
    let mut fns = [ptr::null_mut(); 2];
    for (slot, fulfilled) in fns.iter_mut().zip([true, false]) {
      let settler_for_fn = settler.clone();
      let on_settled = super::func::function(env, "", move |env, args| {
        let arg = args.first().copied().unwrap_or_else(|| undefined(env));
        if let Some(done) = settler_for_fn.take() {
          done(env, if fulfilled { Ok(arg) } else { Err(arg) });
        }
        Ok(undefined(env))
      });
      match on_settled {
        Ok(f) => *slot = f,
        Err(_) => return fail(env, &settler, "could not await the host promise"),
      }
    }
    let mut ignored = ptr::null_mut();
    if sys::napi_call_function(env, value, then, 2, fns.as_ptr(), &mut ignored) != sys::Status::napi_ok {
      let exc = take_exception(env);
      if let Some(done) = settler.take() {
        done(env, Err(exc));
      }
    }
  }
}

unsafe fn fail(env: sys::napi_env, settler: &Arc<Settler>, message: &str) {
  if let Some(done) = settler.take() {
    done(env, Err(crate::errors::host_error(env, "Error", message, None)));
  }
}

/// Converts a settled host value for the isolate; a value that cannot be cloned becomes a
/// DataCloneError.
pub unsafe fn outcome(env: sys::napi_env, settled: Result<sys::napi_value, sys::napi_value>) -> Outcome {
  unsafe {
    match settled {
      Ok(v) => from_host(env, v).map_err(data_clone_error),
      Err(e) => {
        let mut is_error = false;
        sys::napi_is_error(env, e, &mut is_error);
        if is_error {
          Err(Value::Error(error_info(env, e)))
        } else {
          Err(from_host(env, e).unwrap_or_else(data_clone_error))
        }
      }
    }
  }
}

pub fn data_clone_error(message: String) -> Value {
  Value::Error(crate::errors::ErrorInfo::new("DataCloneError", message))
}
