//! The runtime thread: isolate setup, the event loop, and teardown.
//!
//! Each turn takes one macrotask (a message, a due timer or a V8 task), then runs a microtask
//! checkpoint, as HTML's event loop does (https://html.spec.whatwg.org/multipage/webappapis.html#event-loop-processing-model).

use super::state::{CurrentEval, EvalPhase, EvalRequest, Pending, State, StateRef};
use super::{bindings, modules, Config, Host, Msg, Shared};
use crate::errors::ErrorInfo;
use crate::limits::{gc_prologue, near_heap_limit, Watchdog};
use crate::value::isolate::{error_info, to_v8};
use crate::value::Value;
use std::cell::RefCell;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Ready = Box<dyn FnOnce(Result<(), ErrorInfo>) + Send>;

/// Why the loop stopped taking work.
enum Exit {
  Disposed,
  Limit(ErrorInfo, String),
}

pub fn run(config: Config, host: Arc<dyn Host>, shared: Arc<Shared>, tx: Sender<Msg>, rx: Receiver<Msg>, ready: Ready) {
  let blob = match super::snapshot::blob() {
    Ok(b) => b,
    Err(e) => {
      shared.mark_dead(Some("it could not start"));
      return ready(Err(e));
    }
  };
  let params = v8::CreateParams::default()
    .heap_limits(0, shared.budget.limit_bytes)
    .array_buffer_allocator(shared.budget.allocator())
    .snapshot_blob(v8::StartupData::from(blob))
    .external_references(super::snapshot::external_references());
  let mut isolate = v8::Isolate::new(params);
  let handle = isolate.thread_safe_handle();
  let _ = shared.budget.handle.set(handle.clone());
  let _ = shared.isolate.set(handle);
  isolate.add_near_heap_limit_callback(near_heap_limit, Arc::as_ptr(&shared.budget) as *mut c_void);
  isolate.add_gc_prologue_callback(gc_prologue, Arc::as_ptr(&shared.budget) as *mut c_void, v8::GCType::kGCTypeMarkSweepCompact);
  isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
  isolate.set_host_import_module_dynamically_callback(modules::dynamic_import);
  isolate.set_promise_reject_callback(super::rejections::on_reject);
  // SAFETY: UnsafeRawIsolatePtr is a transparent wrapper of the isolate pointer V8's platform sees.
  let raw: *mut c_void = unsafe { std::mem::transmute(isolate.as_raw_isolate_ptr()) };
  crate::platform::register(raw, tx.clone());

  let state: StateRef = Rc::new(RefCell::new(State::new(config, host.clone(), shared.clone(), tx)));
  isolate.set_slot(state.clone());

  let setup = {
    v8::scope!(let scope, &mut isolate);
    let context = v8::Context::new(scope, Default::default());
    let scope = &mut v8::ContextScope::new(scope, context);
    bindings::install_runtime(scope, &state).map(|_| v8::Global::new(scope, context))
  };
  let mut exit = match setup {
    Ok(context) => {
      state.borrow_mut().context = Some(context);
      update_heap_stats(&mut isolate, &shared);
      ready(Ok(()));
      turns(&mut isolate, &state, &rx)
    }
    Err(e) => {
      ready(Err(e));
      (Exit::Disposed, None)
    }
  };
  if let Some(e) = limit_tripped(&mut isolate, &state) {
    exit.0 = e;
  }
  teardown(isolate, state, &shared, &host, rx, raw, exit);
}

/// Runs turns until the runtime is disposed or hits a limit.
fn turns(isolate: &mut v8::OwnedIsolate, state: &StateRef, rx: &Receiver<Msg>) -> (Exit, Option<super::Completion>) {
  loop {
    let next = state.borrow().next_due();
    let msg = match next {
      None => match rx.recv() {
        Ok(m) => Some(m),
        Err(_) => return (Exit::Disposed, None),
      },
      Some(at) => {
        let now = Instant::now();
        if at <= now {
          None
        } else {
          match rx.recv_timeout(at - now) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return (Exit::Disposed, None),
          }
        }
      }
    };
    if let Some(msg) = msg {
      if let Msg::Dispose { done } = msg {
        return (Exit::Disposed, done);
      }
      handle(isolate, state, msg);
      if let Some(e) = limit_tripped(isolate, state) {
        return (e, None);
      }
    }
    run_due(isolate, state);
    if let Some(e) = limit_tripped(isolate, state) {
      return (e, None);
    }
  }
}

macro_rules! in_context {
  ($isolate:expr, $state:expr, |$scope:ident| $body:expr) => {{
    let ctx = $state.borrow().context.clone();
    if let Some(ctx) = ctx {
      v8::scope!(let hs, $isolate);
      let local = v8::Local::new(hs, &ctx);
      let $scope = &mut v8::ContextScope::new(hs, local);
      $body
    }
  }};
}

fn handle(isolate: &mut v8::OwnedIsolate, state: &StateRef, msg: Msg) {
  match msg {
    Msg::Eval { code, filename, timeout_ms, done } => {
      state.borrow_mut().evals.push_back(EvalRequest { code, filename, timeout_ms, done });
      in_context!(isolate, state, |scope| {
        start_next_eval(scope, state);
        settle(scope, state);
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
        settle(scope, state);
      });
    }
    Msg::Call { op, args, done } => {
      let (entry, id) = {
        let mut s = state.borrow_mut();
        let id = s.next_id();
        s.calls.insert(id, done);
        (s.host_entry.clone(), id)
      };
      in_context!(isolate, state, |scope| {
        if let Some(entry) = entry {
          let thrown = {
            v8::tc_scope!(let tc, scope);
            let f = v8::Local::new(tc, &entry);
            let argv = [
              v8::String::new(tc, &op).map(Into::into),
              Some(v8::Number::new(tc, id as f64).into()),
              to_v8(tc, &Value::Array(args)),
            ];
            let recv = v8::undefined(tc).into();
            match argv {
              [Some(a), Some(b), Some(c)] if f.call(tc, recv, &[a, b, c]).is_some() => None,
              _ if tc.has_terminated() => None,
              _ => Some(super::modules::exception_info(tc)),
            }
          };
          if let Some(info) = thrown {
            let done = state.borrow_mut().calls.remove(&id);
            if let Some(done) = done {
              done(Err(info));
            }
          }
        }
        settle(scope, state);
      });
    }
    Msg::V8Task(task, delay) => {
      if delay > 0.0 {
        let at = Instant::now() + Duration::from_secs_f64(delay.min(1e9));
        state.borrow_mut().v8_delayed.push((at, task));
      } else {
        task.run();
        in_context!(isolate, state, |scope| settle(scope, state));
      }
    }
    Msg::WebSocket { id, event } => in_context!(isolate, state, |scope| {
      crate::web::websocket::deliver(scope, id, event);
      settle(scope, state);
    }),
    Msg::Wake | Msg::Dispose { .. } => {}
  }
}

/// Fires due timers and delayed V8 tasks, each followed by a microtask checkpoint.
fn run_due(isolate: &mut v8::OwnedIsolate, state: &StateRef) {
  let now = Instant::now();
  let tasks = state.borrow_mut().take_due_v8_tasks(now);
  for t in tasks {
    t.run();
  }
  loop {
    let id = state.borrow_mut().pop_due_timer(now);
    let Some(id) = id else { break };
    let mut stop = false;
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
        settle(scope, state);
      }
    });
    if stop || limit_tripped_quick(state) {
      break;
    }
  }
}

fn limit_tripped_quick(state: &StateRef) -> bool {
  let s = state.borrow();
  s.shared.budget.exceeded.load(Ordering::SeqCst) || s.shared.timeout_gen.load(Ordering::SeqCst) != 0
}

/// Reports an exception nobody caught (in a timer callback) as a console error, as browsers do.
pub fn report_uncaught<'s>(scope: &mut v8::PinScope<'s, '_>, state: &StateRef, exc: v8::Local<'s, v8::Value>, prefix: &str) {
  // An error shows its stack; any other thrown value shows as itself (`Uncaught 42`).
  let text = if exc.is_native_error() || exc.is_object() {
    let info = error_info(scope, exc);
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
fn settle(scope: &mut v8::PinScope, state: &StateRef) {
  loop {
    scope.perform_microtask_checkpoint();
    if scope.is_execution_terminating() || limit_tripped_quick(state) {
      return;
    }
    let a = poll_eval(scope, state);
    let b = modules::poll_imports(scope, state);
    if !a && !b {
      return super::rejections::report(scope, state);
    }
  }
}

fn start_next_eval(scope: &mut v8::PinScope, state: &StateRef) {
  loop {
    let (req, generation, timeout, shared, tx) = {
      let mut s = state.borrow_mut();
      if s.current.is_some() {
        return;
      }
      let Some(req) = s.evals.pop_front() else { return };
      s.generation += 1;
      let timeout = req.timeout_ms.or(s.config.execution_timeout_ms);
      (req, s.generation, timeout, s.shared.clone(), s.tx.clone())
    };
    let watchdog = timeout.map(|ms| {
      let deadline = Instant::now() + Duration::from_millis(ms);
      Watchdog::global().arm(deadline, move || {
        shared.timeout_ms.store(ms, Ordering::SeqCst);
        shared.timeout_gen.store(generation, Ordering::SeqCst);
        if let Some(h) = shared.isolate.get() {
          h.terminate_execution();
        }
        let _ = tx.send(Msg::Wake);
      })
    });
    match modules::compile(scope, state, &req.code, &req.filename) {
      Ok(module) => {
        let load = modules::new_eval_load(state, module.clone());
        state.borrow_mut().current = Some(CurrentEval { done: req.done, watchdog, phase: EvalPhase::Loading(load), generation });
        modules::start_eval_load(scope, state, load, module, &req.filename);
        return;
      }
      Err(info) => {
        if let Some(w) = watchdog {
          Watchdog::global().disarm(w);
        }
        if scope.is_execution_terminating() {
          // A limit hit while compiling: the loop reports it.
          state.borrow_mut().current = Some(CurrentEval { done: req.done, watchdog: None, phase: EvalPhase::Loading(u64::MAX), generation });
          return;
        }
        (req.done)(Err(info));
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
  if let Some(cur) = cur {
    complete(cur, result);
  }
}

fn complete(cur: CurrentEval, result: Result<(), ErrorInfo>) {
  if let Some(w) = cur.watchdog {
    Watchdog::global().disarm(w);
  }
  (cur.done)(result);
}

/// Finishes the current eval if its evaluation promise settled; starts the next one.
fn poll_eval(scope: &mut v8::PinScope, state: &StateRef) -> bool {
  let promise = match state.borrow().current.as_ref().map(|c| &c.phase) {
    Some(EvalPhase::Evaluating(p)) => p.clone(),
    None => {
      let queued = !state.borrow().evals.is_empty();
      if queued {
        start_next_eval(scope, state);
        return true;
      }
      return false;
    }
    _ => return false,
  };
  let promise = v8::Local::new(scope, &promise);
  let result = match promise.state() {
    v8::PromiseState::Pending => return false,
    v8::PromiseState::Fulfilled => Ok(()),
    v8::PromiseState::Rejected => {
      super::rejections::forget(scope, state, promise);
      let e = promise.result(scope);
      Err(error_info(scope, e))
    }
  };
  // Stats first: the host may read them as soon as the eval settles.
  let stats_shared = state.borrow().shared.clone();
  update_heap_stats(scope, &stats_shared);
  let cur = state.borrow_mut().current.take();
  if let Some(cur) = cur {
    complete(cur, result);
  }
  start_next_eval(scope, state);
  true
}

fn update_heap_stats(isolate: &mut v8::Isolate, shared: &Shared) {
  let s = isolate.get_heap_statistics();
  shared.heap_used.store(s.used_heap_size() as u64, Ordering::Relaxed);
  shared.heap_limit.store(s.heap_size_limit() as u64, Ordering::Relaxed);
}

/// Checks the memory and time limits; a tripped limit ends the runtime.
fn limit_tripped(isolate: &mut v8::OwnedIsolate, state: &StateRef) -> Option<Exit> {
  let shared = state.borrow().shared.clone();
  if shared.budget.exceeded.load(Ordering::SeqCst) {
    let mb = crate::errors::fmt_mb(shared.memory_limit_mb);
    return Some(Exit::Limit(ErrorInfo::memory_limit(shared.memory_limit_mb), format!("it exceeded its memory limit of {mb} MB")));
  }
  let generation = shared.timeout_gen.load(Ordering::SeqCst);
  if generation != 0 {
    let current = state.borrow().current.as_ref().map(|c| c.generation);
    if current == Some(generation) {
      let ms = shared.timeout_ms.load(Ordering::SeqCst);
      return Some(Exit::Limit(ErrorInfo::timeout(ms), format!("an eval timed out after {ms} ms")));
    }
    // The deadline fired just after its eval finished: nothing to stop.
    shared.timeout_gen.store(0, Ordering::SeqCst);
    isolate.cancel_terminate_execution();
  }
  None
}

fn teardown(
  mut isolate: v8::OwnedIsolate,
  state: StateRef,
  shared: &Arc<Shared>,
  host: &Arc<dyn Host>,
  rx: Receiver<Msg>,
  raw: *mut c_void,
  exit: (Exit, Option<super::Completion>),
) {
  let (exit, dispose_done) = exit;
  let (error, reason) = match exit {
    Exit::Disposed => (None, None),
    Exit::Limit(e, r) => (Some(e), Some(r)),
  };
  shared.mark_dead(reason.as_deref());
  let dead = ErrorInfo::new("Error", shared.dead_message());
  let (current, queued) = {
    let mut s = state.borrow_mut();
    (s.current.take(), std::mem::take(&mut s.evals))
  };
  if let Some(cur) = current {
    complete(cur, Err(error.unwrap_or_else(|| dead.clone())));
  }
  for q in queued {
    (q.done)(Err(dead.clone()));
  }
  let mut more_dispose = Vec::new();
  while let Ok(msg) = rx.try_recv() {
    match msg {
      Msg::Eval { done, .. } => done(Err(dead.clone())),
      Msg::Dispose { done: Some(d) } => more_dispose.push(d),
      _ => {}
    }
  }
  crate::platform::unregister(raw);
  // Globals must be released while the isolate is fully alive.
  let _ = isolate.remove_slot::<StateRef>();
  drop(state);
  update_heap_stats(&mut isolate, shared);
  let _ = shared.cpu_time_ms();
  drop(isolate);
  host.shutdown();
  drop(rx);
  if let Some(d) = dispose_done {
    d(Ok(()));
  }
  for d in more_dispose {
    d(Ok(()));
  }
}
