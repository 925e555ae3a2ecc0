//! Calling host functions on Node's main thread and awaiting what they return.

use super::bridge::check;
use super::value::{error_info, from_host, type_of};
use crate::value::Value;
use napi::sys;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex};

/// What a host call produced: a value, or the thrown/rejected value.
pub type Outcome = Result<Value, Value>;

type Done = Box<dyn FnOnce(sys::napi_env, Result<sys::napi_value, sys::napi_value>) + Send>;

struct Settler(Mutex<Option<Done>>);

struct Half {
  settler: Arc<Settler>,
  fulfilled: bool,
}

unsafe extern "C" fn on_settled(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let mut argc = 1usize;
  let mut argv = [ptr::null_mut(); 1];
  let mut data = ptr::null_mut();
  unsafe {
    sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data);
    if data.is_null() {
      return ptr::null_mut();
    }
    let half = &*(data as *const Half);
    let arg = if argc > 0 { argv[0] } else { undefined(env) };
    let done = half.settler.0.lock().ok().and_then(|mut g| g.take());
    if let Some(done) = done {
      let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        done(env, if half.fulfilled { Ok(arg) } else { Err(arg) })
      }));
    }
  }
  ptr::null_mut()
}

unsafe extern "C" fn finalize_half(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  if !data.is_null() {
    drop(unsafe { Box::from_raw(data as *mut Half) });
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
    for (i, fulfilled) in [true, false].into_iter().enumerate() {
      let half = Box::into_raw(Box::new(Half { settler: settler.clone(), fulfilled })) as *mut c_void;
      let mut f = ptr::null_mut();
      if check(sys::napi_create_function(env, ptr::null(), 0, Some(on_settled), half, &mut f)).is_err() {
        drop(Box::from_raw(half as *mut Half));
        return fail(env, &settler, "could not await the host promise");
      }
      sys::napi_add_finalizer(env, f, half, Some(finalize_half), ptr::null_mut(), ptr::null_mut());
      fns[i] = f;
    }
    let mut ignored = ptr::null_mut();
    if sys::napi_call_function(env, value, then, 2, fns.as_ptr(), &mut ignored) != sys::Status::napi_ok {
      let exc = take_exception(env);
      let done = settler.0.lock().ok().and_then(|mut g| g.take());
      if let Some(done) = done {
        done(env, Err(exc));
      }
    }
  }
}

unsafe fn fail(env: sys::napi_env, settler: &Arc<Settler>, message: &str) {
  let done = settler.0.lock().ok().and_then(|mut g| g.take());
  if let Some(done) = done {
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
