//! Running work on Node's main thread from any thread.
//!
//! One raw N-API threadsafe function per runtime carries boxed closures to the main thread. It is
//! unref'd while nothing is pending, so an idle runtime never keeps Node's event loop alive; every
//! host promise we hand out (a [`Deferred`]) holds a ref until it settles.

use napi::sys;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

pub type Job = Box<dyn FnOnce(sys::napi_env) + Send>;

/// A `napi_deferred` carried to the main thread, the only place it is used.
struct RawDeferred(sys::napi_deferred);
unsafe impl Send for RawDeferred {}

impl RawDeferred {
  // A method (not `.0`) so closures capture the whole Send wrapper.
  fn get(self) -> sys::napi_deferred {
    self.0
  }
}

pub struct HostBridge {
  tsfn: sys::napi_threadsafe_function,
  /// Promises pending on this bridge; only touched on the main thread.
  pending: AtomicUsize,
  /// True once we released the TSFN or Node finalized it (at environment teardown Node frees it
  /// whatever we hold). Every use of `tsfn` happens under this lock.
  gone: Arc<RwLock<bool>>,
}

unsafe extern "C" fn finalized(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  let gone = unsafe { Arc::from_raw(data as *const RwLock<bool>) };
  if let Ok(mut g) = gone.write() {
    *g = true;
  };
}

// SAFETY: napi_call_threadsafe_function is documented as callable from any thread; every other use
// of `tsfn` happens on the main thread (ref/unref in hold/release).
unsafe impl Send for HostBridge {}
unsafe impl Sync for HostBridge {}

unsafe extern "C" fn call_js(env: sys::napi_env, _cb: sys::napi_value, _ctx: *mut c_void, data: *mut c_void) {
  if data.is_null() {
    return;
  }
  let job = unsafe { Box::from_raw(data as *mut Job) };
  if env.is_null() {
    // The environment is being torn down: drop the job (its Drop impls may reject nothing anymore).
    return;
  }
  // A panic must never unwind into Node.
  let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || job(env)));
}

impl HostBridge {
  pub fn new(env: sys::napi_env) -> napi::Result<Arc<Self>> {
    let mut name = ptr::null_mut();
    let mut tsfn = ptr::null_mut();
    let gone = Arc::new(RwLock::new(false));
    let finalize_data = Arc::into_raw(gone.clone()) as *mut c_void;
    unsafe {
      check(sys::napi_create_string_utf8(env, c"edge-isolate".as_ptr(), 12, &mut name))?;
      check(sys::napi_create_threadsafe_function(
        env,
        ptr::null_mut(),
        ptr::null_mut(),
        name,
        0,
        1,
        finalize_data,
        Some(finalized),
        ptr::null_mut(),
        Some(call_js),
        &mut tsfn,
      ))
      .inspect_err(|_| drop(Arc::from_raw(finalize_data as *const RwLock<bool>)))?;
      check(sys::napi_unref_threadsafe_function(env, tsfn))?;
    }
    Ok(Arc::new(Self { tsfn, pending: AtomicUsize::new(0), gone }))
  }

  /// Queues `job` for Node's main thread. Returns false when Node no longer accepts work (the
  /// environment is shutting down); the job is then dropped.
  pub fn post(&self, job: impl FnOnce(sys::napi_env) + Send + 'static) -> bool {
    let Ok(gone) = self.gone.read() else { return false };
    if *gone {
      return false;
    }
    let boxed: Box<Job> = Box::new(Box::new(job));
    let raw = Box::into_raw(boxed) as *mut c_void;
    let status = unsafe { sys::napi_call_threadsafe_function(self.tsfn, raw, sys::ThreadsafeFunctionCallMode::nonblocking) };
    if status != sys::Status::napi_ok {
      drop(unsafe { Box::from_raw(raw as *mut Job) });
      return false;
    }
    true
  }

  /// Keeps Node alive while a promise is pending. Main thread only.
  pub fn hold(&self, env: sys::napi_env) {
    if self.pending.fetch_add(1, Ordering::AcqRel) == 0 && self.gone.read().is_ok_and(|g| !*g) {
      unsafe { sys::napi_ref_threadsafe_function(env, self.tsfn) };
    }
  }

  /// Main thread only.
  pub fn unhold(&self, env: sys::napi_env) {
    if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 && self.gone.read().is_ok_and(|g| !*g) {
      unsafe { sys::napi_unref_threadsafe_function(env, self.tsfn) };
    }
  }
}

impl Drop for HostBridge {
  fn drop(&mut self) {
    if let Ok(mut gone) = self.gone.write() {
      if !*gone {
        *gone = true;
        unsafe { sys::napi_release_threadsafe_function(self.tsfn, sys::ThreadsafeFunctionReleaseMode::release) };
      }
    }
  }
}

pub fn check(status: sys::napi_status) -> napi::Result<()> {
  if status == sys::Status::napi_ok {
    Ok(())
  } else {
    Err(napi::Error::new(napi::Status::from(status), "N-API call failed"))
  }
}

/// How a promise settles, decided on the main thread.
pub enum Settle {
  Resolve(sys::napi_value),
  Reject(sys::napi_value),
}

/// A host promise that can be settled from any thread. If it is dropped unsettled (its runtime
/// died), it rejects with "Runtime has been disposed", so no caller ever waits forever.
pub struct Deferred {
  raw: sys::napi_deferred,
  bridge: Arc<HostBridge>,
  /// What happens if this is dropped unsettled: reject with this message, or resolve if None.
  dropped_message: Option<String>,
  settled: bool,
}

unsafe impl Send for Deferred {}

impl Deferred {
  /// Main thread only. Returns the deferred and its promise.
  pub fn new(env: sys::napi_env, bridge: &Arc<HostBridge>) -> napi::Result<(Self, sys::napi_value)> {
    let mut raw = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check(unsafe { sys::napi_create_promise(env, &mut raw, &mut promise) })?;
    bridge.hold(env);
    Ok((Self { raw, bridge: bridge.clone(), dropped_message: Some(crate::errors::DISPOSED.to_string()), settled: false }, promise))
  }

  /// Makes a drop without settling resolve (for operations, like dispose, that cannot fail).
  pub fn resolve_on_drop(&mut self) {
    self.dropped_message = None;
  }

  /// Settles on the main thread with whatever `f` decides; an `Err` from `f` rejects with it.
  pub fn settle(mut self, f: impl FnOnce(sys::napi_env) -> napi::Result<Settle> + Send + 'static) {
    self.settled = true;
    let raw = RawDeferred(std::mem::replace(&mut self.raw, ptr::null_mut()));
    let bridge = self.bridge.clone();
    self.bridge.post(move |env| {
      let raw = raw.get();
      let outcome = f(env).unwrap_or_else(|e| {
        Settle::Reject(crate::errors::host_error(env, "Error", &e.reason, None))
      });
      unsafe {
        match outcome {
          Settle::Resolve(v) => sys::napi_resolve_deferred(env, raw, v),
          Settle::Reject(v) => sys::napi_reject_deferred(env, raw, v),
        };
      }
      bridge.unhold(env);
    });
  }

  pub fn resolve_undefined(self) {
    self.settle(|env| {
      let mut v = ptr::null_mut();
      unsafe { sys::napi_get_undefined(env, &mut v) };
      Ok(Settle::Resolve(v))
    })
  }

  pub fn reject(self, error: crate::errors::ErrorInfo) {
    self.settle(move |env| Ok(Settle::Reject(error.to_host(env))))
  }
}

impl Drop for Deferred {
  fn drop(&mut self) {
    if self.settled || self.raw.is_null() {
      return;
    }
    let message = self.dropped_message.take();
    let raw = RawDeferred(std::mem::replace(&mut self.raw, ptr::null_mut()));
    let bridge = self.bridge.clone();
    self.bridge.post(move |env| {
      let raw = raw.get();
      unsafe {
        match message {
          Some(m) => sys::napi_reject_deferred(env, raw, crate::errors::host_error(env, "Error", &m, None)),
          None => sys::napi_resolve_deferred(env, raw, crate::host::call::undefined(env)),
        };
      }
      bridge.unhold(env);
    });
  }
}
