//! JS functions backed by Rust closures, on Node's main thread.

use super::bridge::check;
use napi::sys;
use std::ffi::c_void;
use std::ptr;

type Body = Box<dyn Fn(sys::napi_env, &[sys::napi_value]) -> napi::Result<sys::napi_value>>;

unsafe extern "C" fn trampoline(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let mut argc = 8usize;
  let mut argv = [ptr::null_mut(); 8];
  let mut data = ptr::null_mut();
  unsafe {
    sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data);
    if data.is_null() {
      return ptr::null_mut();
    }
    let body = &*(data as *const Body);
    let args = &argv[..argc.min(8)];
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(env, args))) {
      Ok(Ok(v)) => v,
      Ok(Err(e)) => {
        let err = crate::errors::host_error(env, "Error", &e.reason, None);
        sys::napi_throw(env, err);
        ptr::null_mut()
      }
      Err(_) => {
        let err = crate::errors::host_error(env, "Error", "edge-isolate: internal error", None);
        sys::napi_throw(env, err);
        ptr::null_mut()
      }
    }
  }
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  if !data.is_null() {
    drop(unsafe { Box::from_raw(data as *mut Body) });
  }
}

/// A JS function that runs `f` (at most 8 arguments are passed).
pub unsafe fn function(
  env: sys::napi_env,
  name: &str,
  f: impl Fn(sys::napi_env, &[sys::napi_value]) -> napi::Result<sys::napi_value> + 'static,
) -> napi::Result<sys::napi_value> {
  let data = Box::into_raw(Box::new(Box::new(f) as Body)) as *mut c_void;
  let mut out = ptr::null_mut();
  unsafe {
    if let Err(e) = check(sys::napi_create_function(env, name.as_ptr().cast(), name.len() as isize, Some(trampoline), data, &mut out)) {
      drop(Box::from_raw(data as *mut Body));
      return Err(e);
    }
    check(sys::napi_add_finalizer(env, out, data, Some(finalize), ptr::null_mut(), ptr::null_mut()))?;
  }
  Ok(out)
}
