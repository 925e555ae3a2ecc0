//! One runtime as the pool sees it: an inbox of [`Msg`]s, a run state, and the isolate itself
//! (an [`Engine`]) while no worker holds it.
//!
//! Scheduling follows tokio's task states: a message pushed into an idle runtime's inbox queues
//! the runtime on the pool; a runtime is run by one worker at a time; after a turn it goes back
//! to the pool only if work is left. Host promises waiting on the runtime (evals, host-initiated
//! calls) live in `waiters`, outside the isolate, so that a runtime whose isolate can no longer
//! run (a fatal out-of-memory, see `contain`) still settles every one of them.

use super::state::StateRef;
use super::{Completion, Msg, Reply, Shared};
use crate::errors::ErrorInfo;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Instant;

const IDLE: u8 = 0;
/// In the pool's queue or being run by a worker.
const SCHEDULED: u8 = 1;
/// Torn down (or contained): never scheduled again.
const DONE: u8 = 2;

/// The isolate and its state while no worker runs them.
pub struct Engine {
  pub isolate: v8::SharedIsolate,
  pub state: StateRef,
  /// The isolate as V8's platform knows it, for routing its foreground tasks.
  pub raw: usize,
}

// SAFETY: an Engine moves between pool threads but is only ever used by the one worker that holds
// the runtime's run token (state SCHEDULED, taken out of `Core::engine`), and only under the
// isolate's `v8::Locker`, which orders all access. `StateRef` is an `Rc`: no clone of it escapes
// that worker's turn (natives reach it through the isolate slot, under the same lock).
unsafe impl Send for Engine {}

/// A host promise waiting on the runtime.
pub enum Waiter {
  Eval(Completion),
  Call(Reply),
}

impl Waiter {
  pub fn fail(self, error: ErrorInfo) {
    match self {
      Waiter::Eval(done) => done(Err(error)),
      Waiter::Call(done) => done(Err(error)),
    }
  }
}

pub struct Core {
  pub shared: Arc<Shared>,
  inbox: Mutex<VecDeque<Msg>>,
  run: AtomicU8,
  /// A wake without a message (a due timer, a tripped limit, the first turn) came while a worker
  /// was running this runtime. Messages need no flag: `end_turn` sees them in the inbox, and a
  /// flag set by one that the same turn handled would cost an empty turn.
  notified: AtomicBool,
  pub engine: Mutex<Option<Engine>>,
  /// What the first turn needs to create the isolate.
  pub init: Mutex<Option<super::Init>>,
  waiters: Mutex<HashMap<u64, Waiter>>,
  next_id: AtomicU64,
  /// The wake-up armed on the clock for the next timer: (when, clock id).
  pub timer: Mutex<Option<(Instant, u64)>>,
  /// Set once teardown finished (or the runtime was contained).
  finished: (Mutex<bool>, Condvar),
  /// The runtime was contained (see `contain`): its isolate is never touched or freed by the pool.
  contained: AtomicBool,
  /// A dispose is in the inbox: what is queued before it does not run (see `take_dispose`).
  disposing: AtomicBool,
}

impl Core {
  pub fn new(shared: Arc<Shared>, init: super::Init) -> Arc<Self> {
    Self::make(shared, Some(init), IDLE)
  }

  /// A runtime made ahead of time (see warm.rs): its inbox takes messages (V8's tasks for its
  /// isolate) but it is not run until `release` gives it what its first turn needs. It counts as
  /// scheduled, so that a message does not queue it on the pool.
  pub fn new_held(shared: Arc<Shared>) -> Arc<Self> {
    Self::make(shared, None, SCHEDULED)
  }

  fn make(shared: Arc<Shared>, init: Option<super::Init>, run: u8) -> Arc<Self> {
    Arc::new(Self {
      shared,
      inbox: Mutex::new(VecDeque::new()),
      run: AtomicU8::new(run),
      notified: AtomicBool::new(false),
      engine: Mutex::new(None),
      init: Mutex::new(init),
      waiters: Mutex::new(HashMap::new()),
      next_id: AtomicU64::new(1),
      timer: Mutex::new(None),
      finished: (Mutex::new(false), Condvar::new()),
      contained: AtomicBool::new(false),
      disposing: AtomicBool::new(false),
    })
  }

  /// Hands a held runtime its first turn's `init` and lets the pool run it.
  pub fn release(self: &Arc<Self>, init: super::Init) {
    if let Ok(mut i) = self.init.lock() {
      *i = Some(init);
    }
    if self.run.compare_exchange(SCHEDULED, IDLE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
      self.wake();
    }
  }

  pub fn mailbox(self: &Arc<Self>) -> Mailbox {
    Mailbox(Arc::downgrade(self))
  }

  /// Queues a message; the runtime runs it on the pool. Gives it back once the runtime is done.
  pub fn send(self: &Arc<Self>, msg: Msg) -> Result<(), Msg> {
    // DONE is read under the inbox's lock, which `finish` holds while it sets it: a message
    // pushed after `finish` drained the inbox would wait there forever (a concurrent dispose()
    // that never resolved, CI).
    match self.inbox.lock() {
      Ok(mut q) if self.run.load(Ordering::Acquire) != DONE => q.push_back(msg),
      _ => return Err(msg),
    }
    self.schedule();
    Ok(())
  }

  /// Makes sure the runtime gets a turn soon, for something other than a message (a timer is
  /// due, a limit tripped).
  pub fn wake(self: &Arc<Self>) {
    self.notified.store(true, Ordering::Release);
    self.schedule();
  }

  fn schedule(self: &Arc<Self>) {
    if self.run.compare_exchange(IDLE, SCHEDULED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
      super::pool::Pool::global().schedule(self.clone());
    }
  }

  pub fn next_msg(&self) -> Option<Msg> {
    self.inbox.lock().ok()?.pop_front()
  }

  /// Whether a dispose waits in the inbox.
  pub fn dispose_queued(&self) -> bool {
    self.inbox.lock().map(|q| q.iter().any(|m| matches!(m, Msg::Dispose { .. }))).unwrap_or(false)
  }

  /// Queues a dispose: the runtime's next turn ends it before anything queued earlier runs (a
  /// script running now is interrupted by the caller).
  pub fn send_dispose(self: &Arc<Self>, done: Option<super::Completion>) -> Result<(), Msg> {
    self.send(Msg::Dispose { done })?;
    self.disposing.store(true, Ordering::Release);
    Ok(())
  }

  pub fn disposing(&self) -> bool {
    self.disposing.load(Ordering::Acquire)
  }

  /// Takes the first dispose out of the inbox, if one waits there: its completion.
  pub fn take_dispose(&self) -> Option<Option<super::Completion>> {
    let mut q = self.inbox.lock().ok()?;
    let i = q.iter().position(|m| matches!(m, Msg::Dispose { .. }))?;
    match q.remove(i) {
      Some(Msg::Dispose { done }) => Some(done),
      _ => None,
    }
  }

  pub fn has_messages(&self) -> bool {
    self.inbox.lock().map(|q| !q.is_empty()).unwrap_or(false)
  }

  /// Called by the worker at the start of a turn.
  pub fn begin_turn(&self) {
    self.notified.store(false, Ordering::Release);
  }

  /// Called by the worker after a turn: true if the runtime must run again (the worker requeues
  /// it), false if it went idle.
  pub fn end_turn(&self, more: bool) -> bool {
    if more || self.has_messages() {
      return true;
    }
    if self.run.compare_exchange(SCHEDULED, IDLE, Ordering::AcqRel, Ordering::Acquire).is_err() {
      return false; // DONE
    }
    // A message may have arrived between the check and going idle: take the token back.
    if (self.notified.load(Ordering::Acquire) || self.has_messages())
      && self.run.compare_exchange(IDLE, SCHEDULED, Ordering::AcqRel, Ordering::Acquire).is_ok()
    {
      return true;
    }
    false
  }

  pub fn is_done(&self) -> bool {
    self.run.load(Ordering::Acquire) == DONE
  }

  pub fn next_id(&self) -> u64 {
    self.next_id.fetch_add(1, Ordering::Relaxed)
  }

  pub fn add_waiter(&self, id: u64, waiter: Waiter) {
    match self.waiters.lock() {
      Ok(mut w) => {
        w.insert(id, waiter);
      }
      Err(_) => waiter.fail(ErrorInfo::disposed(crate::errors::DISPOSED)),
    }
  }

  pub fn take_waiter(&self, id: u64) -> Option<Waiter> {
    self.waiters.lock().ok()?.remove(&id)
  }

  pub fn has_waiter(&self, id: u64) -> bool {
    self.waiters.lock().map(|w| w.contains_key(&id)).unwrap_or(false)
  }

  /// Settles every host promise still waiting: with the limit error when a limit ended the
  /// runtime, else "Runtime has been disposed". Dispose requests resolve.
  pub fn fail_everything(&self) {
    let error = self.shared.end_error();
    let waiters: Vec<Waiter> = self.waiters.lock().map(|mut w| w.drain().map(|(_, v)| v).collect()).unwrap_or_default();
    for w in waiters {
      w.fail(error.clone());
    }
    let queued: Vec<Msg> = self.inbox.lock().map(|mut q| q.drain(..).collect()).unwrap_or_default();
    let later = self.shared.later_error();
    for msg in queued {
      match msg {
        Msg::Eval { done, .. } => done(Err(later.clone())),
        Msg::Call { done, .. } => done(Err(later.clone())),
        Msg::Dispose { done: Some(d) } => d(Ok(())),
        _ => {}
      }
    }
  }

  /// The runtime is over: nothing will run it again.
  pub fn finish(&self) {
    // Under the inbox's lock (poisoned or not), so that `send` sees DONE or pushes before the drain.
    let inbox = self.inbox.lock();
    self.run.store(DONE, Ordering::Release);
    drop(inbox);
    self.fail_everything();
    if let Ok(mut f) = self.finished.0.lock() {
      *f = true;
    }
    self.finished.1.notify_all();
  }

  /// Waits until the runtime is torn down, at most `timeout`.
  pub fn wait_finished(&self, timeout: std::time::Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let Ok(mut f) = self.finished.0.lock() else { return false };
    while !*f {
      let now = Instant::now();
      if now >= deadline {
        return false;
      }
      f = match self.finished.1.wait_timeout(f, deadline - now) {
        Ok((g, _)) => g,
        Err(_) => return false,
      };
    }
    true
  }

  /// The isolate hit a fatal out-of-memory that V8 cannot unwind (V8 aborts the process if its
  /// OOM handler returns). Called on the worker running it, which then never returns: the
  /// isolate and its heap stay allocated, unreachable, for the life of the process. Every host
  /// promise settles with MemoryLimitError; the runtime is reported as contained.
  /// Returns false if the runtime was already contained.
  pub fn contain(&self) -> bool {
    if self.contained.swap(true, Ordering::AcqRel) {
      return false;
    }
    let mb = self.shared.memory_limit_mb;
    let error = ErrorInfo::memory_limit(mb);
    let reason = format!(
      "it exceeded its memory limit of {} MB in a way V8 could not recover from; its memory stays allocated",
      crate::errors::fmt_mb(mb)
    );
    self.shared.trip(error, reason);
    self.shared.mark_dead(None);
    self.finish();
    true
  }

  /// A limit tripped, but the script never stopped: a native builtin that checks for termination
  /// nowhere (`Array.prototype.flat` over a 2^40-leaf graph). Every host promise settles with the
  /// limit's error now; the worker stuck in it is written off. Returns false if already contained.
  pub fn contain_stuck(&self) -> bool {
    if self.contained.swap(true, Ordering::AcqRel) {
      return false;
    }
    // The heap limit is what tripped when no other limit did (the budget flags it before the
    // near-heap-limit callback ends the task): the host's promises get MemoryLimitError.
    if !self.shared.is_tripped() {
      self.shared.trip_memory();
    }
    self.shared.mark_dead(None);
    self.finish();
    true
  }

  pub fn is_contained(&self) -> bool {
    self.contained.load(Ordering::Acquire)
  }
}

/// Sends messages to a runtime from any thread (a weak reference: a dropped runtime's mailbox
/// refuses, handing the message back).
#[derive(Clone)]
pub struct Mailbox(Weak<Core>);

impl Mailbox {
  pub fn send(&self, msg: Msg) -> Result<(), Msg> {
    match self.0.upgrade() {
      Some(core) => core.send(msg),
      None => Err(msg),
    }
  }

  pub fn core(&self) -> Option<Arc<Core>> {
    self.0.upgrade()
  }
}

#[cfg(test)]
mod tests {
  #![allow(clippy::unwrap_used)]
  use super::*;
  use crate::runtime::{Config, Host, HostOp, Init, Mailbox, Outcome};

  struct NoHost;

  impl Host for NoHost {
    fn console_entry(&self, _entry: crate::value::Value) {}
    fn call_sync(&self, _index: usize, _args: Vec<crate::value::Value>) -> Outcome {
      Ok(crate::value::Value::Undefined)
    }
    fn call_async(&self, _op: HostOp, _id: u64, _reply: Mailbox) {}
    fn command(&self, _command: crate::value::Value) {}
    fn shutdown(&self) {}
  }

  /// A core as a worker sees it in a turn (SCHEDULED), never handed to the pool.
  fn running_core() -> Arc<Core> {
    let init = Init { config: Config::default(), host: Arc::new(NoHost), ready: Box::new(|_| {}), warm: None, room_checked: false };
    let core = Core::new(Arc::new(Shared::new(128.0)), init);
    core.run.store(SCHEDULED, Ordering::Release);
    core.begin_turn();
    core
  }

  #[test]
  fn a_held_core_keeps_messages_without_being_scheduled_until_released() {
    let core = Core::new_held(Arc::new(Shared::new(128.0)));
    assert!(core.send(Msg::Wake).is_ok());
    core.wake();
    // Still held: nothing queued it on the pool (a scheduled core is never queued twice).
    assert_eq!(core.run.load(Ordering::Acquire), SCHEDULED);
    assert!(core.has_messages());
    // A warm runtime nobody took is finished: its queued messages go with it.
    core.finish();
    assert!(core.is_done());
    assert!(!core.has_messages());
    // And it takes no more: a message pushed after the last drain would never be answered.
    assert!(core.send(Msg::Wake).is_err());
    assert!(!core.has_messages());
  }

  #[test]
  fn a_message_handled_in_the_turn_that_got_it_costs_no_extra_turn() {
    let core = running_core();
    assert!(core.send(Msg::Wake).is_ok());
    assert!(core.next_msg().is_some());
    assert!(!core.end_turn(false), "the runtime goes idle: nothing is left");
    assert_eq!(core.run.load(Ordering::Acquire), IDLE);
  }

  #[test]
  fn a_message_left_or_a_wake_during_the_turn_keeps_the_runtime_scheduled() {
    let core = running_core();
    assert!(core.send(Msg::Wake).is_ok());
    assert!(core.end_turn(false), "a message is still queued");
    assert!(core.next_msg().is_some());
    core.begin_turn();
    core.wake();
    assert!(core.end_turn(false), "a timer woke the runtime during its turn");
    assert_eq!(core.run.load(Ordering::Acquire), SCHEDULED);
  }
}
