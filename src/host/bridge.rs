//! Running work on Node's main thread from any thread.
//!
//! One raw N-API threadsafe function per runtime carries boxed closures to the main thread. It is
//! unref'd while nothing is pending, so an idle runtime never keeps Node's event loop alive; every
//! host promise we hand out (a [`Deferred`]) holds a ref until it settles.
//!
//! Jobs are batched on the way in: they wait in the bridge's own queue, and only the job that
//! finds it empty calls the threadsafe function, so the threads posting them make one N-API call
//! (and at most one wake-up of Node's loop) per batch instead of one per job. On the main thread
//! each job still runs in its own dispatch, under its own callback scope: the promise callbacks
//! and `nextTick`s one job queues run before the next job starts, as they would for two separate
//! Node callbacks (an eval's `.then` runs before a sync customFunction call that came after it).

use super::napi::{self as n, Env};
use crate::errors::{ErrorInfo, DISPOSED};
use napi::sys;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

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

#[derive(Default)]
struct Jobs {
  jobs: VecDeque<Job>,
  /// Jobs wait for no call yet: [`HostBridge::post_later`] left the call to the end of the task
  /// (or to the next [`HostBridge::post`]).
  parked: bool,
}

/// The way to the main thread: jobs posted and not yet run, and the threadsafe function that
/// runs them. Each call of the threadsafe function carries one reference to it
/// (`Arc::into_raw`), given back by `call_js`; while jobs wait, exactly one call is on its way
/// (or, when `parked`, none until the task ends).
struct Line {
  jobs: Mutex<Jobs>,
  tsfn: sys::napi_threadsafe_function,
  /// True once we released the TSFN or Node finalized it (at environment teardown Node frees it
  /// whatever we hold). Every use of `tsfn` happens under this lock.
  gone: Arc<RwLock<bool>>,
}

// SAFETY: napi_call_threadsafe_function is documented as callable from any thread, and every use
// of `tsfn` happens under `gone`'s read lock while it is false; ref/unref happen on the main thread.
unsafe impl Send for Line {}
unsafe impl Sync for Line {}

impl Line {
  /// Calls the threadsafe function for what the queue holds. `gone` is this line's read lock,
  /// held (and false) so that the function is not released meanwhile.
  fn call_now(self: &Arc<Self>, gone: RwLockReadGuard<'_, bool>) -> bool {
    let raw = Arc::into_raw(self.clone()) as *mut c_void;
    // SAFETY: not released while `gone` is false, and the caller holds its read lock.
    if unsafe { n::call_tsfn(self.tsfn, raw) } {
      return true;
    }
    drop(unsafe { Arc::from_raw(raw as *const Line) });
    // Node refused (its environment is going away): nothing will run what is queued.
    let jobs = self.jobs.lock().map(|mut q| std::mem::take(&mut q.jobs)).unwrap_or_default();
    drop(gone);
    drop(jobs);
    false
  }

  /// The read lock on `gone`, if the threadsafe function is still there.
  fn live(&self) -> Option<RwLockReadGuard<'_, bool>> {
    self.gone.read().ok().filter(|g| !**g)
  }
}

pub struct HostBridge {
  line: Arc<Line>,
  /// Promises pending on this bridge; only touched on the main thread.
  pending: AtomicUsize,
}

unsafe extern "C" fn finalized(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  if data.is_null() {
    return;
  }
  let gone = unsafe { Arc::from_raw(data as *const RwLock<bool>) };
  let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    if let Ok(mut g) = gone.write() {
      *g = true;
    }
  }));
}

unsafe extern "C" fn call_js(env: sys::napi_env, _cb: sys::napi_value, _ctx: *mut c_void, data: *mut c_void) {
  if data.is_null() {
    return;
  }
  let line = unsafe { Arc::from_raw(data as *const Line) };
  if env.is_null() {
    // The environment is being torn down: drop the jobs (their Drop impls may reject nothing anymore).
    let jobs = line.jobs.lock().map(|mut q| std::mem::take(&mut q.jobs)).unwrap_or_default();
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(jobs)));
    return;
  }
  // One job per call; the rest get another call, which Node dispatches right after this one has
  // closed its callback scope (and so run the microtasks this job queued).
  let (job, more) = line.jobs.lock().map(|mut q| (q.jobs.pop_front(), !q.jobs.is_empty())).unwrap_or((None, false));
  if more {
    if let Some(gone) = line.live() {
      line.call_now(gone);
    }
  }
  drop(line);
  if let Some(job) = job {
    // A panic must never unwind into Node.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || job(env)));
    // Every job handles its own exceptions; one left over would surface in unrelated host code.
    let _ = unsafe { Env::from_raw(env) }.take_exception();
  }
}

impl HostBridge {
  pub fn new(env: sys::napi_env) -> napi::Result<Arc<Self>> {
    let env = unsafe { Env::from_raw(env) };
    let gone = Arc::new(RwLock::new(false));
    let finalize_data = Arc::into_raw(gone.clone()) as *mut c_void;
    // SAFETY: `finalized` owns the Arc; `call_js` owns each call's reference to the line.
    let tsfn = unsafe { env.threadsafe_function("edge-isolate", finalize_data, Some(finalized), Some(call_js)) }
      .inspect_err(|_| drop(unsafe { Arc::from_raw(finalize_data as *const RwLock<bool>) }))?;
    let line = Arc::new(Line { jobs: Mutex::new(Jobs::default()), tsfn, gone });
    let bridge = Arc::new(Self { line, pending: AtomicUsize::new(0) });
    // Dropping the bridge releases the TSFN.
    env.unref_tsfn(tsfn)?;
    Ok(bridge)
  }

  /// Queues `job` for Node's main thread. Returns false when Node no longer accepts work (the
  /// environment is shutting down); the job is then dropped.
  pub fn post(&self, job: impl FnOnce(sys::napi_env) + Send + 'static) -> bool {
    let Some(gone) = self.line.live() else { return false };
    let call = match self.line.jobs.lock() {
      Ok(mut q) => {
        q.jobs.push_back(Box::new(job));
        // The first job calls; so does one behind parked jobs (they go now, with it).
        let call = q.jobs.len() == 1 || q.parked;
        q.parked = false;
        call
      }
      Err(_) => return false,
    };
    if !call {
      // A call already on its way to the main thread takes this job too.
      return true;
    }
    self.line.call_now(gone)
  }

  /// Like [`post`](Self::post), for a job nobody waits for on this thread (a WebSocket command):
  /// on a pool worker running a task, the call is left to the end of that task, so that what
  /// the task sends after it (the handler's answer) reaches the main thread in the same batch.
  pub fn post_later(&self, job: impl FnOnce(sys::napi_env) + Send + 'static) -> bool {
    if self.line.live().is_none() {
      return false;
    }
    let park = match self.line.jobs.lock() {
      Ok(mut q) => {
        q.jobs.push_back(Box::new(job));
        let first = q.jobs.len() == 1;
        q.parked |= first;
        first
      }
      Err(_) => return false,
    };
    if !park {
      return true;
    }
    let line = self.line.clone();
    crate::runtime::pool::after_task(Box::new(move || {
      let Some(gone) = line.live() else { return };
      let call = line.jobs.lock().map(|mut q| std::mem::replace(&mut q.parked, false)).unwrap_or(false);
      if call {
        line.call_now(gone);
      }
    }));
    true
  }

  /// Keeps Node alive while a promise is pending. Main thread only.
  pub fn hold(&self, env: sys::napi_env) {
    if self.pending.fetch_add(1, Ordering::AcqRel) == 0 && self.line.live().is_some() {
      let _ = unsafe { Env::from_raw(env) }.ref_tsfn(self.line.tsfn);
    }
  }

  /// Main thread only.
  pub fn unhold(&self, env: sys::napi_env) {
    if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 && self.line.live().is_some() {
      let _ = unsafe { Env::from_raw(env) }.unref_tsfn(self.line.tsfn);
    }
  }
}

impl Drop for HostBridge {
  fn drop(&mut self) {
    if let Ok(mut gone) = self.line.gone.write() {
      if !*gone {
        *gone = true;
        unsafe { n::release_tsfn(self.line.tsfn) };
      }
    }
  }
}

/// How a promise settles, decided on the main thread.
pub enum Settle {
  Resolve(sys::napi_value),
  Reject(sys::napi_value),
}

/// A host promise that can be settled from any thread. If it is dropped unsettled (its runtime
/// died), it rejects with a `RuntimeDisposedError`, so no caller ever waits forever.
pub struct Deferred {
  raw: sys::napi_deferred,
  bridge: Arc<HostBridge>,
  /// What happens if this is dropped unsettled: reject with this error, or resolve if None.
  dropped_error: Option<ErrorInfo>,
  settled: bool,
}

unsafe impl Send for Deferred {}

impl Deferred {
  /// Main thread only. Returns the deferred and its promise.
  pub fn new(env: sys::napi_env, bridge: &Arc<HostBridge>) -> napi::Result<(Self, sys::napi_value)> {
    let (raw, promise) = unsafe { Env::from_raw(env) }.promise()?;
    bridge.hold(env);
    Ok((Self { raw, bridge: bridge.clone(), dropped_error: Some(ErrorInfo::disposed(DISPOSED)), settled: false }, promise))
  }

  /// Makes a drop without settling resolve (for operations, like dispose, that cannot fail).
  pub fn resolve_on_drop(&mut self) {
    self.dropped_error = None;
  }

  /// Settles on the main thread with whatever `f` decides; an `Err` from `f` rejects with it.
  pub fn settle(mut self, f: impl FnOnce(sys::napi_env) -> napi::Result<Settle> + Send + 'static) {
    self.settled = true;
    let raw = RawDeferred(std::mem::replace(&mut self.raw, ptr::null_mut()));
    let bridge = self.bridge.clone();
    self.bridge.post(move |raw_env| {
      let raw = raw.get();
      let env = unsafe { Env::from_raw(raw_env) };
      let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(raw_env))) {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => Settle::Reject(crate::errors::host_error(env, "Error", &e.reason, None)),
        Err(_) => Settle::Reject(crate::errors::host_error(env, "Error", "edge-isolate: internal error", None)),
      };
      settle_raw(env, raw, outcome);
      bridge.unhold(raw_env);
    });
  }

  /// Resolves with `value` now, on the main thread (where `env` is).
  pub fn resolve_now(mut self, env: sys::napi_env, value: sys::napi_value) {
    self.settled = true;
    let raw = std::mem::replace(&mut self.raw, ptr::null_mut());
    settle_raw(unsafe { Env::from_raw(env) }, raw, Settle::Resolve(value));
    self.bridge.unhold(env);
  }

  pub fn resolve_undefined(self) {
    self.settle(|env| Ok(Settle::Resolve(unsafe { Env::from_raw(env) }.undefined()?)))
  }

  pub fn reject(self, error: ErrorInfo) {
    self.settle(move |env| Ok(Settle::Reject(error.to_host(unsafe { Env::from_raw(env) }))))
  }
}

/// Settles a promise; if N-API cannot (the value is not usable), rejects with a plain Error so
/// the promise never stays pending.
fn settle_raw(env: Env, raw: sys::napi_deferred, outcome: Settle) {
  let r = match outcome {
    Settle::Resolve(v) => env.resolve(raw, v),
    Settle::Reject(v) => env.reject(raw, v),
  };
  if r.is_err() {
    let _ = env.reject(raw, crate::errors::host_error(env, "Error", "edge-isolate: the result could not be delivered", None));
  }
}

impl Drop for Deferred {
  fn drop(&mut self) {
    if self.settled || self.raw.is_null() {
      return;
    }
    let error = self.dropped_error.take();
    let raw = RawDeferred(std::mem::replace(&mut self.raw, ptr::null_mut()));
    let bridge = self.bridge.clone();
    self.bridge.post(move |raw_env| {
      let raw = raw.get();
      let env = unsafe { Env::from_raw(raw_env) };
      let outcome = match error {
        Some(e) => Settle::Reject(e.to_host(env)),
        None => match env.undefined() {
          Ok(u) => Settle::Resolve(u),
          Err(_) => Settle::Reject(crate::errors::host_error(env, "Error", DISPOSED, None)),
        },
      };
      settle_raw(env, raw, outcome);
      bridge.unhold(raw_env);
    });
  }
}
