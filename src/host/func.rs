//! JS functions backed by Rust closures, on Node's main thread.

use super::napi::{Env, Fail, NResult, Val};
use napi::sys;
use std::ffi::c_void;
use std::ptr;

/// A closure behind a host function: returns its result, or the value to throw.
type Body = Box<dyn Fn(Env, &[Val]) -> Result<Val, Val>>;

unsafe extern "C" fn trampoline(raw: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  // A panic must never unwind into Node.
  std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    let env = unsafe { Env::from_raw(raw) };
    let mut argv = [ptr::null_mut(); 8];
    let (argc, data) = match env.cb_info(info, &mut argv) {
      Ok(x) => x,
      Err(_) => return ptr::null_mut(),
    };
    if data.is_null() {
      return ptr::null_mut();
    }
    // SAFETY: `data` is the Body that `function` boxed, alive until the function's finalizer.
    let body = unsafe { &*(data as *const Body) };
    let args = &argv[..argc.min(argv.len())];
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(env, args))) {
      Ok(Ok(v)) => v,
      Ok(Err(e)) => {
        let _ = env.throw(e);
        ptr::null_mut()
      }
      Err(_) => {
        let _ = env.throw(crate::errors::host_error(env, "Error", "edge-isolate: internal error", None));
        ptr::null_mut()
      }
    }
  }))
  .unwrap_or(ptr::null_mut())
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  if !data.is_null() {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(unsafe { Box::from_raw(data as *mut Body) })));
  }
}

/// A JS function that runs `f` (at most 8 arguments are passed).
pub fn function(env: Env, name: &str, f: impl Fn(Env, &[Val]) -> Result<Val, Val> + 'static) -> NResult<Val> {
  let data = Box::into_raw(Box::new(Box::new(f) as Body)) as *mut c_void;
  let out = match env.function(name, Some(trampoline), data) {
    Ok(v) => v,
    Err(e) => {
      // SAFETY: not handed to N-API.
      drop(unsafe { Box::from_raw(data as *mut Body) });
      return Err(e);
    }
  };
  // On failure the Body leaks (it may still be called): better than a dangling pointer.
  env.add_finalizer(out, data, Some(finalize))?;
  Ok(out)
}

/// The host value to throw for a failed N-API call.
pub fn thrown(env: Env, f: Fail) -> Val {
  match f {
    Fail::Threw(e) => e,
    Fail::Status(_, what) => crate::errors::host_error(env, "Error", &format!("edge-isolate: N-API call {what} failed"), None),
  }
}
