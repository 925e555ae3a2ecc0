//! Per-runtime state owned by the isolate thread, reachable from V8 callbacks via an isolate slot.

use super::modules::Registry;
use super::{Config, Host, Mailbox, Shared};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// An eval waiting for its turn; its host promise is the core's waiter `id`.
pub struct EvalRequest {
  pub id: u64,
  pub code: String,
  pub filename: String,
  pub timeout_ms: Option<u64>,
  pub typescript: Option<bool>,
}

pub enum EvalPhase {
  /// Waiting for the module graph: the load with this id.
  Loading(u64),
  /// Evaluating: the module's evaluation promise (top-level await), and the module.
  Evaluating(v8::Global<v8::Promise>, v8::Global<v8::Module>),
}

pub struct CurrentEval {
  /// The core's waiter of this eval.
  pub id: u64,
  /// Its deadline on the clock, disarmed when it finishes.
  pub deadline: Option<u64>,
  pub phase: EvalPhase,
}

/// What a pending host reply is for.
pub enum Pending {
  Resolver(v8::Global<v8::PromiseResolver>),
  Load { key: (String, String) },
}

pub struct State {
  /// The heap's used bytes when the loop last measured them (None: not yet), and the task time
  /// since (see `limits::heap_may_exceed`).
  pub heap_used: Option<usize>,
  pub heap_unchecked: std::time::Duration,
  pub config: Config,
  pub host: Arc<dyn Host>,
  pub shared: Arc<Shared>,
  pub tx: Mailbox,
  pub context: Option<v8::Global<v8::Context>>,
  pub started: Instant,
  /// Wall-clock time at `started`, in ms since the epoch (performance.timeOrigin).
  pub time_origin_ms: f64,
  /// Timers by due time (then insertion order), and each timer id's key.
  pub timers: super::timers::Timers,
  /// The bootstrap's `fireTimer(id)`.
  pub fire_timer: Option<v8::Global<v8::Function>>,
  /// V8's own delayed foreground tasks.
  pub v8_delayed: Vec<(Instant, v8::Task)>,
  pub next_id: u64,
  pub pending: HashMap<u64, Pending>,
  pub modules: Registry,
  pub evals: VecDeque<EvalRequest>,
  pub current: Option<CurrentEval>,
  /// Dynamic imports whose module is evaluating: (evaluation promise, module, resolver).
  pub imports: Vec<(v8::Global<v8::Promise>, v8::Global<v8::Module>, v8::Global<v8::PromiseResolver>)>,
  pub dom_exception: Option<v8::Global<v8::Function>>,
  /// `internals.host(op, id, args)`: entry of host-initiated operations.
  pub host_entry: Option<v8::Global<v8::Function>>,
  /// Deadlines on the clock of host-initiated operations in flight, by waiter id.
  pub call_deadlines: HashMap<u64, u64>,
  /// Per-runtime state of the Web areas (e.g. the WebSocket connections), dropped with the runtime.
  pub ext: Extensions,
  /// `internals.evalModuleEvaluated(namespace)`: told of each eval's module namespace once it
  /// evaluated (how a module's `export default { fetch }` becomes the request handler).
  pub module_evaluated: Option<v8::Global<v8::Function>>,
  /// The platform's `reportException` (an error event on the global, else logged).
  pub report_exception: Option<v8::Global<v8::Function>>,
  /// Exceptions nobody caught (in microtasks), to report after the checkpoint.
  pub uncaught: Vec<v8::Global<v8::Value>>,
  /// Rejected promises without a handler so far: (promise, reason).
  pub rejections: Vec<(v8::Global<v8::Promise>, v8::Global<v8::Value>)>,
  /// Rejected promises given a handler after their rejection was reported (or consumed).
  pub handled_later: Vec<v8::Global<v8::Promise>>,
  /// The platform's `reportRejection(promise, reason)` (unhandledrejection; true: still unhandled)
  /// and `rejectionHandled(promise)` (rejectionhandled).
  pub report_rejection: Option<v8::Global<v8::Function>>,
  pub rejection_handled: Option<v8::Global<v8::Function>>,
}

pub type StateRef = Rc<RefCell<State>>;

impl State {
  pub fn new(config: Config, host: Arc<dyn Host>, shared: Arc<Shared>, tx: Mailbox) -> Self {
    Self {
      heap_used: None,
      heap_unchecked: std::time::Duration::ZERO,
      config,
      host,
      shared,
      tx,
      context: None,
      started: Instant::now(),
      time_origin_ms: std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0),
      timers: super::timers::Timers::default(),
      fire_timer: None,
      v8_delayed: Vec::new(),
      next_id: 1,
      pending: HashMap::new(),
      modules: Registry::default(),
      evals: VecDeque::new(),
      current: None,
      imports: Vec::new(),
      dom_exception: None,
      host_entry: None,
      call_deadlines: HashMap::new(),
      rejections: Vec::new(),
      handled_later: Vec::new(),
      report_rejection: None,
      rejection_handled: None,
      report_exception: None,
      module_evaluated: None,
      uncaught: Vec::new(),
      ext: Extensions::default(),
    }
  }

  pub fn get(isolate: &v8::Isolate) -> Option<StateRef> {
    isolate.get_slot::<StateRef>().cloned()
  }

  pub fn next_id(&mut self) -> u64 {
    let id = self.next_id;
    self.next_id += 1;
    id
  }

  /// The host's `runtime.timers.clearAll()` count.
  fn timer_epoch(&self) -> u64 {
    self.shared.timer_epoch.load(std::sync::atomic::Ordering::Acquire)
  }

  pub fn start_timer(&mut self, id: u32, delay_ms: f64) -> super::timers::Start {
    let epoch = self.timer_epoch();
    self.timers.start(id, delay_ms, epoch, Instant::now())
  }

  pub fn clear_timer(&mut self, id: u32) {
    self.timers.clear(id);
  }

  /// Whether a clearAll() came since the timer `pop_due_timer` handed out was taken.
  pub fn timer_cleared_since_pop(&mut self) -> bool {
    let epoch = self.timer_epoch();
    self.timers.cleared_since_pop(epoch)
  }

  /// The earliest timer or delayed V8 task.
  pub fn next_due(&self) -> Option<Instant> {
    let t = self.timers.next_due();
    let v = self.v8_delayed.iter().map(|(at, _)| *at).min();
    match (t, v) {
      (Some(a), Some(b)) => Some(a.min(b)),
      (a, b) => a.or(b),
    }
  }

  /// Removes and returns the first timer that is due.
  pub fn pop_due_timer(&mut self, now: Instant) -> Option<u32> {
    let epoch = self.timer_epoch();
    self.timers.pop_due(now, epoch)
  }

  pub fn take_due_v8_tasks(&mut self, now: Instant) -> Vec<v8::Task> {
    let mut due = Vec::new();
    let mut i = 0;
    while i < self.v8_delayed.len() {
      if self.v8_delayed[i].0 <= now {
        due.push(self.v8_delayed.swap_remove(i).1);
      } else {
        i += 1;
      }
    }
    due
  }
}

/// State a Web area keeps per runtime, one value per type, made on first use: the runtime core
/// holds it without knowing what it is.
#[derive(Default)]
pub struct Extensions(HashMap<std::any::TypeId, Box<dyn std::any::Any>>);

impl Extensions {
  /// The area's state, made with `Default` the first time it is asked for.
  pub fn get_mut<T: Default + 'static>(&mut self) -> &mut T {
    let slot = self.0.entry(std::any::TypeId::of::<T>()).or_insert_with(|| Box::new(T::default()));
    // The entry for T's TypeId only ever holds a T.
    match slot.downcast_mut::<T>() {
      Some(t) => t,
      None => unreachable!("extension slot of another type"),
    }
  }

  /// The area's state, if it made any.
  pub fn get<T: 'static>(&self) -> Option<&T> {
    self.0.get(&std::any::TypeId::of::<T>()).and_then(|b| b.downcast_ref::<T>())
  }
}

#[cfg(test)]
mod ext_tests {
  use super::Extensions;

  #[test]
  fn each_type_gets_its_own_slot_made_on_first_use() {
    #[derive(Default)]
    struct A(u32);
    #[derive(Default)]
    struct B(String);
    let mut e = Extensions::default();
    assert!(e.get::<A>().is_none());
    e.get_mut::<A>().0 = 7;
    e.get_mut::<B>().0.push_str("x");
    assert_eq!(e.get::<A>().map(|a| a.0), Some(7));
    assert_eq!(e.get::<B>().map(|b| b.0.as_str()), Some("x"));
  }
}
