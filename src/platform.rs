//! The V8 platform: initialised once per process, shared by every runtime in every Node thread.
//!
//! A custom platform routes V8's foreground tasks (GC finalisation, WebAssembly compilation,
//! Atomics.waitAsync, ...) into the owning runtime's event loop, so they run on the isolate's own
//! thread and wake it when it is idle.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Mutex, Once, OnceLock};

use crate::runtime::{Mailbox, Msg};

fn routes() -> &'static Mutex<HashMap<usize, Mailbox>> {
  static ROUTES: OnceLock<Mutex<HashMap<usize, Mailbox>>> = OnceLock::new();
  ROUTES.get_or_init(|| Mutex::new(HashMap::new()))
}

fn route(isolate: *mut c_void, task: v8::Task, delay_s: f64) {
  let tx = routes().lock().ok().and_then(|r| r.get(&(isolate as usize)).cloned());
  if let Some(tx) = tx {
    let _ = tx.send(Msg::V8Task(task, delay_s));
  }
  // No route: the isolate is gone and the task is dropped unrun, which V8 allows.
}

struct Platform;

impl v8::PlatformImpl for Platform {
  fn post_task(&self, isolate: *mut c_void, task: v8::Task) {
    route(isolate, task, 0.0)
  }
  fn post_non_nestable_task(&self, isolate: *mut c_void, task: v8::Task) {
    route(isolate, task, 0.0)
  }
  fn post_delayed_task(&self, isolate: *mut c_void, task: v8::Task, delay: f64) {
    route(isolate, task, delay)
  }
  fn post_non_nestable_delayed_task(&self, isolate: *mut c_void, task: v8::Task, delay: f64) {
    route(isolate, task, delay)
  }
  fn post_idle_task(&self, _isolate: *mut c_void, _task: v8::IdleTask) {
    // Idle-task support is off, so V8 does not post these.
  }
}

pub fn init() {
  static INIT: Once = Once::new();
  INIT.call_once(|| {
    // V8's WebAssembly trap handler stays off: it is only installed by
    // V8::EnableWebAssemblyTrapHandler, which we never call (its SIGSEGV handler would fight Node's).
    // Unprotected: isolates are created on many threads, so no per-thread memory protection keys.
    // The runtime asks for young-generation GCs itself (`limits::collect_young_if_due`), through
    // the one entry point V8 has for that, which this flag enables; the `gc` global it would
    // give scripts is emptied in every context (`snapshot::empty_gc_global`).
    v8::V8::set_flags_from_string("--expose-gc");
    let platform = v8::new_custom_platform(0, false, true, Platform).make_shared();
    v8::V8::initialize_platform(platform);
    v8::V8::initialize();
  });
}

pub fn register(isolate: *mut c_void, tx: Mailbox) {
  if let Ok(mut r) = routes().lock() {
    r.insert(isolate as usize, tx);
  }
}

pub fn unregister(isolate: *mut c_void) {
  if let Ok(mut r) = routes().lock() {
    r.remove(&(isolate as usize));
  }
}
