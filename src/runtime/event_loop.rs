//! A runtime's turns on the pool: isolate setup, running its tasks, and teardown.
//!
//! A task is one message, a due timer or a V8 task, followed by a microtask checkpoint, as
//! HTML's event loop runs them (https://html.spec.whatwg.org/multipage/webappapis.html#event-loop-processing-model).
//! A turn runs tasks for at most a time slice, then the runtime yields its worker. Each task runs
//! under the per-task limits the pool's monitor enforces; evals and dispatched calls have their
//! own wall-clock deadline on the clock (the watchdog thread).

use super::core::{Core, Engine, Waiter};
use super::state::{CurrentEval, EvalPhase, EvalRequest, Pending, State, StateRef};
use super::{bindings, modules, pool, Msg, Shared};
use crate::errors::ErrorInfo;
use crate::limits::{gc_epilogue, gc_prologue, near_heap_limit, Watchdog};
use crate::value::isolate::to_v8;
use crate::value::Value;
use std::cell::RefCell;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Host-initiated operations that run user code to completion (a request handler, a WebSocket
/// handler): each has `executionTimeout` as its deadline, awaiting included. Body pulls, aborts
/// and cancels do not (a stream may wait for data for as long as it likes).
const INVOCATIONS: &[&str] = &["dispatch", "wsOpen", "wsMessage", "wsClose", "wsError", "wsDrain"];

/// Why the runtime stops.
enum Exit {
  Disposed(Option<super::Completion>),
  Limit,
}

/// Runs one turn of `core` on this worker. Returns true if the runtime has more work now.
pub fn run_turn(core: &Arc<Core>, slice: Duration) -> bool {
  let mut clock_fresh = CLOCK_FRESH.replace(false);
  core.begin_turn();
  if core.is_done() {
    return false;
  }
  let engine = core.engine.lock().ok().and_then(|mut e| e.take());
  let engine = match engine {
    Some(e) => e,
    // Disposed before its isolate was made (createRuntime hands a runtime out at once): the
    // evals queued before the dispose never run, as a dispose interrupts those of a live runtime.
    None if core.dispose_queued() => {
      abandon(core);
      return false;
    }
    None => {
      clock_fresh = false;
      match init(core) {
        Some(e) => e,
        None => return false,
      }
    }
  };
  // Reading the thread's CPU clock is a system call: a worker going straight from one turn to
  // the next starts the count where the last turn's ended.
  if !clock_fresh {
    TURN_CPU.set(pool::thread_cpu_time());
  }
  let (exit, next_due) = {
    let mut locker = engine.isolate.lock();
    let exit = turn(&mut locker, core, &engine.state, slice);
    let next_due = engine.state.borrow().next_due();
    (exit, next_due)
  };
  flush_cpu(core);
  match exit {
    Some(exit) => {
      teardown(engine, core, exit);
      false
    }
    None => {
      let due_now = next_due.is_some_and(|at| at <= Instant::now());
      arm_timer(core, next_due);
      if let Ok(mut e) = core.engine.lock() {
        *e = Some(engine);
      }
      CLOCK_FRESH.set(true);
      core.end_turn(due_now)
    }
  }
}

thread_local! {
  /// CPU time of this worker when the CPU use of the running turn was last counted.
  static TURN_CPU: std::cell::Cell<Duration> = const { std::cell::Cell::new(Duration::ZERO) };
  /// `TURN_CPU` is this worker's CPU time now, give or take a few µs: the last turn ended it, and
  /// the worker has done nothing since (see `cpu_clock_stale`).
  static CLOCK_FRESH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
  /// When `flush_cpu_soon` last read the thread's CPU clock.
  static FLUSHED_AT: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// Counts the CPU time used by the running turn so far (before the host hears of a result, so
/// `stats()` read then includes it).
fn flush_cpu(core: &Core) {
  let now = pool::thread_cpu_time();
  let start = TURN_CPU.with(|c| c.replace(now));
  core.shared.add_cpu(now.saturating_sub(start));
}

/// The worker did work of its own since the last turn (spinning, polling, deferred socket I/O):
/// the next turn reads the CPU clock afresh, so that work is counted to no runtime.
pub fn cpu_clock_stale() {
  CLOCK_FRESH.set(false);
}

/// `flush_cpu`, at most once a millisecond: reading a thread's CPU clock is a system call, and a
/// server answers a call per request. What is not counted yet is at most that millisecond, and
/// the end of the turn counts it.
fn flush_cpu_soon(core: &Core) {
  let now = Instant::now();
  if FLUSHED_AT.get().is_some_and(|at| now.saturating_duration_since(at) < Duration::from_millis(1)) {
    return;
  }
  FLUSHED_AT.set(Some(now));
  flush_cpu(core);
}

/// Keeps one wake-up on the clock for the runtime's earliest timer.
fn arm_timer(core: &Arc<Core>, next: Option<Instant>) {
  let Ok(mut armed) = core.timer.lock() else { return };
  let current = armed.map(|(at, _)| at);
  if current == next {
    return;
  }
  if let Some((_, id)) = armed.take() {
    Watchdog::global().disarm(id);
  }
  if let Some(at) = next.filter(|at| *at > Instant::now()) {
    let weak = Arc::downgrade(core);
    let id = Watchdog::global().arm(at, move || {
      if let Some(core) = weak.upgrade() {
        if let Ok(mut armed) = core.timer.lock() {
          *armed = None;
        }
        core.wake();
      }
    });
    *armed = Some((at, id));
  }
}

/// Ends a runtime whose isolate was never made: every host promise settles ("disposed").
fn abandon(core: &Arc<Core>) {
  let init = core.init.lock().ok().and_then(|mut i| i.take());
  core.shared.mark_dead(None);
  pool::Pool::global().runtime_ended();
  core.fail_everything();
  if let Some(init) = init {
    if let Some(parts) = init.warm {
      crate::platform::unregister(parts.raw as *mut c_void);
      drop(parts);
    }
    init.host.shutdown();
    (init.ready)(Err(core.shared.later_error()));
  }
  core.finish();
}

/// Sets up the runtime on this worker: its isolate and context (taken warm, or made from the
/// snapshot now), then its own state and options.
fn init(core: &Arc<Core>) -> Option<Engine> {
  let super::Init { config, host, ready, warm, room_checked } = core.init.lock().ok()?.take()?;
  let shared = core.shared.clone();
  let fail = |e: ErrorInfo, ready: Box<dyn FnOnce(Result<(), ErrorInfo>) + Send>| {
    // Interrupted by a dispose while it was being set up: plainly disposed.
    let why = format!("it could not start ({})", e.message);
    shared.mark_dead(if core.dispose_queued() { None } else { Some(&why) });
    pool::Pool::global().runtime_ended();
    core.finish();
    ready(Err(e));
    None
  };
  let parts = match warm {
    Some(parts) => parts,
    None => {
      let blob = match super::snapshot::blob() {
        Ok(b) => b,
        Err(e) => return fail(e, ready),
      };
      if !room_checked {
        if let Err(why) = super::room::check() {
          return fail(ErrorInfo::range_error(format!("createRuntime(): {why}")), ready);
        }
      }
      match make_isolate(core, blob) {
        Ok(parts) => parts,
        Err(e) => return fail(e, ready),
      }
    }
  };
  let super::warm::Parts { isolate, context, raw } = parts;
  let state: StateRef = Rc::new(RefCell::new(State::new(config, host, shared.clone(), core.mailbox())));
  let setup = {
    let mut locker = isolate.lock();
    locker.set_slot(state.clone());
    let installed = {
      v8::scope!(let scope, &mut *locker);
      let local = v8::Local::new(scope, &context);
      let scope = &mut v8::ContextScope::new(scope, local);
      bindings::install_runtime(scope, &state)
    };
    match installed {
      Ok(()) => {
        state.borrow_mut().context = Some(context);
        update_heap_stats(&mut locker, &shared);
        Ok(())
      }
      Err(e) => {
        crate::platform::unregister(raw as *mut c_void);
        let _ = locker.remove_slot::<StateRef>();
        drop(context);
        Err(e)
      }
    }
  };
  if let Err(e) = setup {
    drop(state);
    drop(isolate);
    return fail(e, ready);
  }
  ready(Ok(()));
  Some(Engine { isolate, state, raw })
}

/// Makes an isolate and its context from the snapshot, on this thread, routed to `core`: what
/// every runtime starts from, made either by its first turn or ahead of time (warm.rs).
pub(super) fn make_isolate(core: &Arc<Core>, blob: &'static [u8]) -> Result<super::warm::Parts, ErrorInfo> {
  let shared = &core.shared;
  super::snapshot::anchor(blob);
  let params = crate::limits::heap_limits(v8::CreateParams::default(), shared.budget.limit_bytes)
    .array_buffer_allocator(shared.budget.allocator())
    .snapshot_blob(v8::StartupData::from(blob))
    .external_references(super::snapshot::external_references());
  let mut isolate = v8::Isolate::new(params);
  let handle = isolate.thread_safe_handle();
  let _ = shared.budget.handle.set(handle.clone());
  let _ = shared.isolate.set(handle);
  let budget = Arc::as_ptr(&shared.budget) as *mut c_void;
  isolate.add_near_heap_limit_callback(near_heap_limit, budget);
  isolate.add_gc_prologue_callback(gc_prologue, budget, v8::GCType::kGCTypeAll);
  isolate.add_gc_epilogue_callback(gc_epilogue, budget, v8::GCType::kGCTypeMarkSweepCompact);
  isolate.set_oom_error_handler(pool::on_oom);
  isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
  isolate.set_host_import_module_dynamically_callback(modules::dynamic_import);
  isolate.set_promise_reject_callback(super::rejections::on_reject);
  isolate.add_message_listener(super::rejections::on_message);
  // Errors keep where they were made, so the host gets a code frame of the user's line.
  isolate.set_capture_stack_trace_for_uncaught_exceptions(true, 8);
  // SAFETY: UnsafeRawIsolatePtr is a transparent wrapper of the isolate pointer V8's platform sees.
  let raw: *mut c_void = unsafe { std::mem::transmute(isolate.as_raw_isolate_ptr()) };
  shared.budget.isolate.store(raw, std::sync::atomic::Ordering::Release);
  crate::platform::register(raw, core.mailbox());
  let context = {
    v8::scope!(let scope, &mut isolate);
    let context = v8::Context::new(scope, Default::default());
    let scope = &mut v8::ContextScope::new(scope, context);
    super::snapshot::empty_gc_global(scope, context);
    v8::Global::new(scope, context)
  };
  // SAFETY: every value attached to the isolate (callbacks' data, the allocator) is Send or only
  // used under the isolate's lock; see `Engine`.
  match unsafe { isolate.try_into_shared() } {
    Ok(isolate) => Ok(super::warm::Parts { isolate, context, raw: raw as usize }),
    Err(e) => {
      let reason = e.to_string();
      let isolate = e.into_isolate();
      crate::platform::unregister(raw);
      drop(context);
      drop(isolate);
      Err(ErrorInfo::new("Error", format!("could not set up the runtime: {reason}")))
    }
  }
}

/// Per-task limits from the runtime's options.
fn task_limits(state: &StateRef) -> (Option<Duration>, Option<Duration>) {
  let s = state.borrow();
  (s.config.execution_timeout_ms.map(Duration::from_millis), s.config.cpu_time_limit_ms.map(Duration::from_millis))
}

/// Runs tasks for at most `slice`. Returns why the runtime must stop, if it must.
fn turn(isolate: &mut v8::Isolate, core: &Arc<Core>, state: &StateRef, slice: Duration) -> Option<Exit> {
  let until = Instant::now() + slice;
  let (wall, cpu) = task_limits(state);
  if let Some(e) = limit_tripped(core) {
    return Some(e);
  }
  loop {
    loop {
      // A dispose ends the runtime before what was queued ahead of it runs (that may have come
      // before the isolate existed, when no script could be interrupted).
      if core.disposing() {
        if let Some(done) = core.take_dispose() {
          return Some(Exit::Disposed(done));
        }
      }
      let Some(msg) = core.next_msg() else { break };
      if let Msg::Dispose { done } = msg {
        return Some(Exit::Disposed(done));
      }
      let began = Instant::now();
      pool::begin_task(core, wall, cpu);
      handle(isolate, core, state, msg);
      pool::end_task();
      let now = Instant::now();
      check_heap_after(isolate, core, state, now.saturating_duration_since(began));
      if let Some(e) = limit_tripped(core) {
        return Some(e);
      }
      if now >= until {
        // Yield; the messages left keep the runtime scheduled.
        return None;
      }
    }
    // The inbox ran dry: what its tasks put off runs now (in a batch), then sockets that became
    // ready meanwhile (this runtime's, or others') are handled, so this runtime's go on in this
    // same turn, on this thread.
    pool::run_deferred();
    if core.has_messages() {
      continue;
    }
    if !(pool::poll_io() && core.has_messages()) {
      break;
    }
  }
  run_due(isolate, core, state, until, wall, cpu);
  limit_tripped(core)
}

// The context as a Local made from the Global where it is kept (a clone would make and free a
// global handle per task).
macro_rules! in_context {
  ($isolate:expr, $state:expr, |$scope:ident| $body:expr) => {{
    v8::scope!(let hs, $isolate);
    let local = $state.borrow().context.as_ref().map(|ctx| v8::Local::new(hs, ctx));
    if let Some(local) = local {
      let $scope = &mut v8::ContextScope::new(hs, local);
      $body
    }
  }};
}

fn handle(isolate: &mut v8::Isolate, core: &Arc<Core>, state: &StateRef, msg: Msg) {
  match msg {
    Msg::Eval { code, filename, timeout_ms, typescript, done } => {
      let id = core.next_id();
      core.add_waiter(id, Waiter::Eval(done));
      state.borrow_mut().evals.push_back(EvalRequest { id, code, filename, timeout_ms, typescript });
      in_context!(isolate, state, |scope| {
        start_next_eval(scope, core, state);
        settle(scope, core, state);
      });
    }
    Msg::Reply { id, outcome } => {
      let pending = state.borrow_mut().pending.remove(&id);
      in_context!(isolate, state, |scope| {
        match pending {
          Some(Pending::Resolver(r)) => {
            let resolver = v8::Local::new(scope, &r);
            match outcome {
              Ok(v) => match to_v8(scope, &v) {
                Some(v) => resolver.resolve(scope, v),
                None => None,
              },
              Err(e) => match to_v8(scope, &e) {
                Some(e) => resolver.reject(scope, e),
                None => None,
              },
            };
          }
          Some(Pending::Load { key }) => modules::on_loaded(scope, state, key, outcome),
          None => {}
        }
        settle(scope, core, state);
      });
    }
    Msg::Call { op, args, done } => {
      let id = core.next_id();
      core.add_waiter(id, Waiter::Call(done));
      let timeout = state.borrow().config.execution_timeout_ms.filter(|_| INVOCATIONS.contains(&op.as_ref()));
      if let Some(ms) = timeout {
        let watch = arm_deadline(core, id, ms, "a request or WebSocket handler");
        state.borrow_mut().call_deadlines.insert(id, watch);
      }
      in_context!(isolate, state, |scope| {
        // A Local made from the Global where it is kept (a clone would make and free a global
        // handle per call).
        let entry = state.borrow().host_entry.as_ref().map(|g| v8::Local::new(scope, g));
        if let Some(f) = entry {
          let thrown = {
            v8::tc_scope!(let tc, scope);
            let argv = [
              // Internalized: found in V8's string table (no new string per call), and ready as
              // the key serve.js looks the op up by.
              v8::String::new_from_utf8(tc, op.as_bytes(), v8::NewStringType::Internalized).map(Into::into),
              Some(v8::Number::new(tc, id as f64).into()),
              to_v8(tc, &Value::Array(args)),
            ];
            let recv = v8::undefined(tc).into();
            match argv {
              [Some(a), Some(b), Some(c)] if f.call(tc, recv, &[a, b, c]).is_some() => None,
              // Terminated, or failed because the memory limit just tripped: the limit's error
              // settles the call (not the plain error of the interrupted allocation).
              _ if tc.has_terminated() || core.shared.budget.exceeded.load(std::sync::atomic::Ordering::Acquire) => None,
              _ => Some(super::modules::exception_info(tc)),
            }
          };
          if let Some(info) = thrown {
            complete_call(core, state, id, Err(info));
          }
        }
        settle(scope, core, state);
      });
    }
    Msg::V8Task(task, delay) => {
      if delay > 0.0 {
        let at = Instant::now() + Duration::from_secs_f64(delay.min(1e9));
        state.borrow_mut().v8_delayed.push((at, task));
      } else {
        task.run();
        in_context!(isolate, state, |scope| settle(scope, core, state));
      }
    }
    Msg::Task(task) => in_context!(isolate, state, |scope| {
      task(scope);
      settle(scope, core, state);
    }),
    Msg::Wake | Msg::Dispose { .. } => {}
  }
}

/// A host call the isolate is answering (`settled`, serve.js's `serveAnswer`): found by the id a
/// script passed, and only while the call still waits (a script can pass any number).
pub(crate) struct WaitingCall {
  state: StateRef,
  core: Arc<Core>,
  id: u64,
}

impl WaitingCall {
  pub(crate) fn find(scope: &mut v8::PinScope, id: v8::Local<v8::Value>) -> Option<Self> {
    let state = State::get(scope)?;
    let id = id.integer_value(scope).unwrap_or(0).max(0) as u64;
    let core = state.borrow().tx.core()?;
    core.has_waiter(id).then_some(WaitingCall { state, core, id })
  }

  pub(crate) fn complete(self, result: Result<Value, ErrorInfo>) {
    complete_call(&self.core, &self.state, self.id, result);
  }
}

/// Settles a host-initiated operation (from the `settled` native, or when it threw at once).
fn complete_call(core: &Core, state: &StateRef, id: u64, result: Result<Value, ErrorInfo>) {
  if let Some(watch) = state.borrow_mut().call_deadlines.remove(&id) {
    Watchdog::global().disarm(watch);
  }
  if let Some(Waiter::Call(done)) = core.take_waiter(id) {
    flush_cpu_soon(core);
    done(result);
  }
}

/// A wall-clock deadline for waiter `id`: if it is still waiting then, the runtime ends with a
/// TimeoutError.
fn arm_deadline(core: &Arc<Core>, id: u64, ms: u64, what: &'static str) -> u64 {
  let weak = Arc::downgrade(core);
  Watchdog::global().arm(Instant::now() + Duration::from_millis(ms), move || {
    let Some(core) = weak.upgrade() else { return };
    if core.has_waiter(id) {
      core.shared.trip(ErrorInfo::timeout(ms), crate::errors::runtime_timed_out(ms, what));
      core.wake();
    }
  })
}

/// Fires due timers and delayed V8 tasks, each a task followed by a microtask checkpoint.
fn run_due(isolate: &mut v8::Isolate, core: &Arc<Core>, state: &StateRef, until: Instant, wall: Option<Duration>, cpu: Option<Duration>) {
  let now = Instant::now();
  let tasks = state.borrow_mut().take_due_v8_tasks(now);
  for t in tasks {
    t.run();
  }
  loop {
    let id = state.borrow_mut().pop_due_timer(now);
    let Some(id) = id else { break };
    // The host's clearAll() (from its own thread) came after the pop: the timer does not run.
    if state.borrow_mut().timer_cleared_since_pop() {
      continue;
    }
    let mut stop = false;
    let began = Instant::now();
    pool::begin_task(core, wall, cpu);
    in_context!(isolate, state, |scope| {
      let fire = state.borrow().fire_timer.clone();
      if let Some(fire) = fire {
        v8::tc_scope!(let tc, scope);
        let f = v8::Local::new(tc, &fire);
        let arg = v8::Integer::new_from_unsigned(tc, id).into();
        let recv = v8::undefined(tc).into();
        if f.call(tc, recv, &[arg]).is_none() {
          if tc.has_terminated() || tc.is_execution_terminating() {
            stop = true;
          } else if let Some(exc) = tc.exception() {
            report_uncaught(tc, state, exc, "Uncaught");
          }
        }
      }
      if !stop {
        settle(scope, core, state);
      }
    });
    pool::end_task();
    let now = Instant::now();
    check_heap_after(isolate, core, state, now.saturating_duration_since(began));
    if stop || limit_tripped_quick(core) || now >= until {
      break;
    }
  }
}

/// After a task of `took`: runs a young-generation GC if enough ArrayBuffer memory was made since
/// the last GC (`limits::collect_young_if_due`), and measures the heap (tripping the limit if it
/// is over) once it may have passed the limit since it was last measured.
fn check_heap_after(isolate: &mut v8::Isolate, core: &Core, state: &StateRef, took: Duration) {
  crate::limits::collect_young_if_due(isolate, &core.shared.budget);
  let due = {
    let mut s = state.borrow_mut();
    s.heap_unchecked = s.heap_unchecked.saturating_add(took);
    crate::limits::heap_may_exceed(s.heap_used, s.heap_unchecked, core.shared.budget.limit_bytes)
  };
  if due {
    let used = crate::limits::check_heap(isolate, &core.shared.budget);
    let mut s = state.borrow_mut();
    s.heap_used = Some(used);
    s.heap_unchecked = Duration::ZERO;
  }
}

fn limit_tripped_quick(core: &Core) -> bool {
  core.shared.budget.exceeded.load(std::sync::atomic::Ordering::SeqCst) || core.shared.is_tripped()
}

/// Reports an exception nobody caught (in a timer callback) as a console error, as browsers do.
pub fn report_uncaught<'s>(scope: &mut v8::PinScope<'s, '_>, state: &StateRef, exc: v8::Local<'s, v8::Value>, prefix: &str) {
  // An error shows its stack; any other thrown value shows as itself (`Uncaught 42`).
  let text = if exc.is_native_error() || exc.is_object() {
    let info = super::modules::rejection_info(scope, exc);
    info.stack.unwrap_or_else(|| if info.message.is_empty() { info.name } else { format!("{}: {}", info.name, info.message) })
  } else {
    exc.to_rust_string_lossy(scope)
  };
  let entry = Value::Object(vec![
    ("type".into(), Value::String("output".into())),
    ("level".into(), Value::String("error".into())),
    ("stdout".into(), Value::String(format!("{prefix} {text}"))),
    ("groupDepth".into(), Value::Number(0.0)),
  ]);
  let host = state.borrow().host.clone();
  host.console_entry(entry);
}

/// Microtask checkpoint, then completes evals and dynamic imports that settled, until quiet.
fn settle(scope: &mut v8::PinScope, core: &Arc<Core>, state: &StateRef) {
  loop {
    scope.perform_microtask_checkpoint();
    if scope.is_execution_terminating() || limit_tripped_quick(core) {
      return;
    }
    if !state.borrow().uncaught.is_empty() {
      super::rejections::report_uncaught(scope, state);
      continue;
    }
    let a = poll_eval(scope, core, state);
    let b = modules::poll_imports(scope, state);
    if !a && !b {
      if super::rejections::report(scope, state) {
        // Listeners ran: their microtasks now; what they settle or reject is for a next task
        // (a listener that rejects again each time keeps the loop busy, not stuck in one task).
        scope.perform_microtask_checkpoint();
        let tx = state.borrow().tx.clone();
        let _ = tx.send(Msg::Task(Box::new(|_| {})));
      }
      return;
    }
  }
}

fn start_next_eval(scope: &mut v8::PinScope, core: &Arc<Core>, state: &StateRef) {
  loop {
    let (req, timeout) = {
      let mut s = state.borrow_mut();
      if s.current.is_some() {
        return;
      }
      let Some(req) = s.evals.pop_front() else { return };
      let timeout = req.timeout_ms.or(s.config.execution_timeout_ms);
      (req, timeout)
    };
    let deadline = timeout.map(|ms| arm_deadline(core, req.id, ms, "an eval"));
    let typescript = req.typescript.unwrap_or_else(|| state.borrow().config.typescript || crate::typescript::is_typescript(&req.filename));
    match modules::compile(scope, state, &req.code, &req.filename, typescript) {
      Ok(module) => {
        let load = modules::new_eval_load(state, module.clone());
        state.borrow_mut().current = Some(CurrentEval { id: req.id, deadline, phase: EvalPhase::Loading(load) });
        modules::start_eval_load(scope, state, load, module, &req.filename);
        return;
      }
      Err(info) => {
        if scope.is_execution_terminating() {
          // A limit hit while compiling: the turn ends the runtime, settling this eval.
          state.borrow_mut().current = Some(CurrentEval { id: req.id, deadline, phase: EvalPhase::Loading(u64::MAX) });
          return;
        }
        complete(core, CurrentEval { id: req.id, deadline, phase: EvalPhase::Loading(u64::MAX) }, Err(info));
      }
    }
  }
}

/// Completes the current eval if its module graph failed to load.
pub fn finish_eval_if_loading(state: &StateRef, load: u64, result: Result<(), ErrorInfo>) {
  let cur = {
    let mut s = state.borrow_mut();
    let matches = matches!(s.current.as_ref().map(|c| &c.phase), Some(EvalPhase::Loading(id)) if *id == load);
    if !matches {
      return;
    }
    s.current.take()
  };
  let core = state.borrow().tx.core();
  if let (Some(cur), Some(core)) = (cur, core) {
    complete(&core, cur, result);
  }
}

fn complete(core: &Core, cur: CurrentEval, result: Result<(), ErrorInfo>) {
  if let Some(w) = cur.deadline {
    Watchdog::global().disarm(w);
  }
  if let Some(Waiter::Eval(done)) = core.take_waiter(cur.id) {
    flush_cpu(core);
    done(result);
  }
}

/// Finishes the current eval if its evaluation promise settled; starts the next one.
fn poll_eval(scope: &mut v8::PinScope, core: &Arc<Core>, state: &StateRef) -> bool {
  let (promise, module) = match state.borrow().current.as_ref().map(|c| &c.phase) {
    Some(EvalPhase::Evaluating(p, m)) => (p.clone(), m.clone()),
    None => {
      let queued = !state.borrow().evals.is_empty();
      if queued {
        start_next_eval(scope, core, state);
        return true;
      }
      return false;
    }
    _ => return false,
  };
  let promise = v8::Local::new(scope, &promise);
  let result = match promise.state() {
    v8::PromiseState::Pending => return false,
    v8::PromiseState::Fulfilled => module_evaluated(scope, state, &module),
    v8::PromiseState::Rejected => {
      let _ = super::rejections::forget(scope, state, promise);
      let e = promise.result(scope);
      Err(super::modules::rejection_info(scope, e))
    }
  };
  // An eval that ends over the memory limit fails with it (the turn then ends the runtime).
  crate::limits::check_heap(scope, &core.shared.budget);
  if limit_tripped_quick(core) {
    return false;
  }
  // Rejections nobody handled are reported first: every console entry of an eval reaches the
  // host before the eval settles.
  let _ = super::rejections::report(scope, state);
  // Stats first: the host may read them as soon as the eval settles.
  update_heap_stats(scope, &core.shared);
  let cur = state.borrow_mut().current.take();
  if let Some(cur) = cur {
    complete(core, cur, result);
  }
  start_next_eval(scope, core, state);
  true
}

/// Hands an evaluated eval's module namespace to the platform (`internals.evalModuleEvaluated`);
/// its exception, if it throws, fails the eval.
fn module_evaluated(scope: &mut v8::PinScope, state: &StateRef, module: &v8::Global<v8::Module>) -> Result<(), ErrorInfo> {
  let Some(hook) = state.borrow().module_evaluated.clone() else { return Ok(()) };
  v8::tc_scope!(let tc, scope);
  let namespace = v8::Local::new(tc, module).get_module_namespace();
  let hook = v8::Local::new(tc, &hook);
  let recv = v8::undefined(tc).into();
  match hook.call(tc, recv, &[namespace]) {
    Some(_) => Ok(()),
    None if tc.has_terminated() => Ok(()),
    None => Err(super::modules::exception_info(tc)),
  }
}

fn update_heap_stats(isolate: &mut v8::Isolate, shared: &Shared) {
  let s = isolate.get_heap_statistics();
  shared.heap_used.store(s.used_heap_size() as u64, std::sync::atomic::Ordering::Relaxed);
  shared.heap_limit.store(s.heap_size_limit() as u64, std::sync::atomic::Ordering::Relaxed);
}

/// Checks the limits; a tripped limit ends the runtime.
fn limit_tripped(core: &Core) -> Option<Exit> {
  if core.shared.budget.exceeded.load(std::sync::atomic::Ordering::SeqCst) {
    core.shared.trip_memory();
  }
  core.shared.is_tripped().then_some(Exit::Limit)
}

/// Frees the isolate and settles everything still waiting on the runtime.
fn teardown(engine: Engine, core: &Arc<Core>, exit: Exit) {
  let shared = &core.shared;
  let dispose_done = match exit {
    Exit::Disposed(done) => done,
    Exit::Limit => None,
  };
  shared.mark_dead(None);
  crate::platform::unregister(engine.raw as *mut c_void);
  let Engine { isolate, state, .. } = engine;
  let host = state.borrow().host.clone();
  if let Ok(mut armed) = core.timer.lock() {
    if let Some((_, id)) = armed.take() {
      Watchdog::global().disarm(id);
    }
  }
  {
    let mut locker = isolate.lock();
    {
      let mut s = state.borrow_mut();
      if let Some(w) = s.current.take().and_then(|c| c.deadline) {
        Watchdog::global().disarm(w);
      }
      for (_, w) in s.call_deadlines.drain() {
        Watchdog::global().disarm(w);
      }
    }
    // Globals must be released while the isolate is fully alive.
    let _ = locker.remove_slot::<StateRef>();
    drop(state);
    update_heap_stats(&mut locker, shared);
  }
  // A runtime written off as stuck was already counted out (and its promises settled).
  if !core.is_contained() {
    pool::Pool::global().runtime_ended();
  }
  core.fail_everything();
  host.shutdown();
  // The host's dispose() resolves before the isolate is freed (a few hundred µs of V8 teardown
  // nothing waits for): the runtime is already unreachable, and this worker frees it meanwhile.
  // What waits for the teardown itself (a Node environment shutting down) waits for `finish`.
  if let Some(d) = dispose_done {
    d(Ok(()));
  }
  drop(isolate);
  crate::limits::release_after_teardown();
  core.finish();
}
