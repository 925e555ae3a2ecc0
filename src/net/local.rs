//! Runs futures on a runtime's own loop, as Deno drives hyper on the isolate's thread: a native
//! server's connections (hyper's parsing and writing, a WebSocket's framing) and `connect()`
//! sockets are polled by a task of the runtime (`Msg::Task`), on whichever pool worker runs the
//! runtime's turn.
//!
//! Why not tokio's workers: there a request crossed threads twice (network thread → pool
//! worker for the handler, pool worker → network thread for the answer), each crossing a
//! wake-up of a sleeping thread, which cost more than the request itself (perf: over half of
//! the time in the scheduler). Here the handler's answer wakes its connection on the same thread,
//! and the connection is polled when the runtime's inbox runs dry (`pool::defer`), so a batch of
//! answers is written back to back. The sockets are the pool's own (src/runtime/reactor.rs): the
//! worker running the runtime polls them too, so readiness needs no other thread either.
//!
//! Timers stay tokio's (a poll here enters tokio's context so that hyper's timers and spawns find
//! them). tokio's runtime takes over the polling once the runtime can no longer run tasks
//! (disposed, or ended by a limit): the connections then finish as they did before (503 for what
//! is in flight, then closed).
//! A small executor of our own, because tokio's `LocalSet` cannot move between threads and the
//! runtime's turns run on any pool worker.

use crate::runtime::{Mailbox, Msg};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Wake, Waker};

type Fut = Pin<Box<dyn Future<Output = ()> + Send>>;

/// No poll asked for.
const IDLE: u8 = 0;
/// A `run` is queued (on the runtime's inbox, or on tokio).
const SCHEDULED: u8 = 1;
/// A `run` is polling.
const RUNNING: u8 = 2;
/// A `run` is polling and a task was woken meanwhile.
const NOTIFIED: u8 = 3;
/// A task was woken by a handler's answer on the runtime's thread: `run_inline` polls it there.
const INLINE: u8 = 4;

std::thread_local! {
  /// Set while `answer` wakes a connection from inside the runtime's turn.
  static ANSWERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Polls per `run`: past it the runtime's other messages (the handlers' calls) get their turn.
const BUDGET: usize = 128;

/// Wraps each run the runtime's loop makes, with its scope: `hook(scope, run)` calls `run` once
/// (the sockets deliver what their tasks read during the run, in the same message).
pub type Hook = Box<dyn for<'s, 'i> Fn(&mut v8::PinScope<'s, 'i>, &dyn Fn()) + Send + Sync>;

/// The connections of one server.
pub struct Local {
  /// None: never on a runtime (tests).
  mailbox: Option<Mailbox>,
  ready: Mutex<VecDeque<Arc<Task>>>,
  state: AtomicU8,
  /// Set once the runtime refused a poll: tokio polls from then on.
  detached: AtomicBool,
  hook: Option<Hook>,
  me: Weak<Local>,
}

struct Task {
  fut: Mutex<Option<Fut>>,
  queued: AtomicBool,
  local: Weak<Local>,
}

impl Wake for Task {
  fn wake(self: Arc<Self>) {
    self.wake_by_ref()
  }
  fn wake_by_ref(self: &Arc<Self>) {
    if self.queued.swap(true, Ordering::AcqRel) {
      return;
    }
    match self.local.upgrade() {
      Some(local) => local.push(self.clone()),
      // The server is gone: the task is dropped with its last waker.
      None => self.queued.store(false, Ordering::Release),
    }
  }
}

impl Local {
  pub fn new(mailbox: Mailbox) -> Arc<Local> {
    Self::make(Some(mailbox), None)
  }

  /// Like `new`, with `hook` around the runs made on the runtime's loop.
  pub fn with_hook(mailbox: Mailbox, hook: Hook) -> Arc<Local> {
    Self::make(Some(mailbox), Some(hook))
  }

  fn make(mailbox: Option<Mailbox>, hook: Option<Hook>) -> Arc<Local> {
    let detached = AtomicBool::new(mailbox.is_none());
    Arc::new_cyclic(|me| Local { mailbox, ready: Mutex::new(VecDeque::new()), state: AtomicU8::new(IDLE), detached, hook, me: me.clone() })
  }

  /// Runs `fut` on the runtime's loop.
  pub fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
    let task = Arc::new(Task { fut: Mutex::new(Some(Box::pin(fut))), queued: AtomicBool::new(true), local: self.me.clone() });
    self.push(task);
  }

  fn push(&self, task: Arc<Task>) {
    match self.ready.lock() {
      Ok(mut q) => q.push_back(task),
      Err(_) => return,
    }
    self.schedule();
  }

  /// Makes sure a `run` comes.
  fn schedule(&self) {
    let mut s = self.state.load(Ordering::Acquire);
    loop {
      let next = match s {
        IDLE if ANSWERING.get() => INLINE,
        IDLE => SCHEDULED,
        RUNNING => NOTIFIED,
        _ => return,
      };
      match self.state.compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) if next == SCHEDULED => return self.post(),
        Ok(_) => return,
        Err(now) => s = now,
      }
    }
  }

  /// Queues a `run` on the runtime's loop; on tokio once the runtime refuses it.
  fn post(&self) {
    let Some(me) = self.me.upgrade() else { return };
    let Some(mailbox) = self.mailbox.as_ref().filter(|_| !self.detached.load(Ordering::Acquire)) else {
      return detach(me);
    };
    let posted = Posted(Some(me));
    let task: crate::runtime::IsolateTask = Box::new(move |scope| posted.run(Some(scope)));
    // A refused message is dropped here, and `Posted` hands the run to tokio.
    let _ = mailbox.send(Msg::Task(task));
  }

  /// Runs `wake` (a handler's answer reaching its connection, on the runtime's thread, inside its
  /// turn), then polls the connection on this thread once the runtime's inbox runs dry
  /// (`pool::defer`): hyper writes the answer without another message through the runtime's
  /// inbox. Only for wakes on the runtime's own thread while it runs.
  pub fn answer(&self, wake: impl FnOnce()) {
    ANSWERING.set(true);
    wake();
    ANSWERING.set(false);
    if self.state.compare_exchange(INLINE, SCHEDULED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
      if self.hook.is_some() {
        // The hook needs a scope, which only a message of the runtime's gives.
        return self.post();
      }
      // Polled once the runtime's inbox runs dry: the answers of a batch of requests are then
      // written back to back.
      let Some(me) = self.me.upgrade() else { return };
      let posted = Posted(Some(me));
      if let Err(run) = crate::runtime::pool::defer(Box::new(move || posted.run(None))) {
        run();
      }
    }
  }

  /// Polls the woken tasks, at most BUDGET of them.
  fn run(&self) {
    let _context = crate::net::tokio().map(|rt| rt.enter());
    self.state.store(RUNNING, Ordering::Release);
    let mut polls = 0;
    loop {
      while polls < BUDGET {
        let next = self.ready.lock().ok().and_then(|mut q| q.pop_front());
        let Some(task) = next else { break };
        polls += 1;
        task.queued.store(false, Ordering::Release);
        let waker = Waker::from(task.clone());
        let mut cx = Context::from_waker(&waker);
        let Ok(mut slot) = task.fut.lock() else { continue };
        // A connection whose poll panics (a bug in a library) is dropped alone, as a tokio task
        // would be: no panic leaves here (this may run inside a V8 callback, see `answer`).
        let done = match slot.as_mut() {
          Some(fut) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(&mut cx).is_ready())).unwrap_or(true),
          None => false,
        };
        if done {
          *slot = None;
        }
      }
      if polls >= BUDGET {
        // More may be ready: another run, after the messages queued meanwhile.
        self.state.store(SCHEDULED, Ordering::Release);
        return self.post();
      }
      if self.state.compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        return;
      }
      // Woken while polling: go on.
      self.state.store(RUNNING, Ordering::Release);
    }
  }
}

/// A queued run: if its message is dropped unrun (the runtime is gone), tokio runs it instead.
struct Posted(Option<Arc<Local>>);

impl Posted {
  /// Polls the woken tasks, inside the hook when there is one (and a scope for it).
  fn run(mut self, scope: Option<&mut v8::PinScope>) {
    let Some(local) = self.0.take() else { return };
    match (&local.hook, scope) {
      (Some(hook), Some(scope)) => hook(scope, &|| local.run()),
      _ => local.run(),
    }
  }
}

impl Drop for Posted {
  fn drop(&mut self) {
    if let Some(local) = self.0.take() {
      local.detached.store(true, Ordering::Release);
      detach(local);
    }
  }
}

fn detach(local: Arc<Local>) {
  match crate::net::tokio() {
    Some(rt) => {
      rt.spawn(async move { local.run() });
    }
    // No tokio: nothing can poll the sockets either; the tasks are dropped (closing them).
    None => {
      if let Ok(mut q) = local.ready.lock() {
        q.clear();
      }
      local.state.store(IDLE, Ordering::Release);
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  // Off a runtime (no mailbox to take the runs), tasks run on tokio, woken as often as needed.
  #[test]
  fn runs_on_tokio_when_the_runtime_refuses() {
    let Some(rt) = crate::net::tokio() else { return };
    let local = Local::make(None, None);
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..300u32 {
      let tx = tx.clone();
      local.spawn(async move {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        let _ = tx.send(i);
      });
    }
    drop(tx);
    let got: Vec<u32> = rt.block_on(async { tokio::task::spawn_blocking(move || rx.iter().collect()).await.unwrap_or_default() });
    assert_eq!(got.len(), 300);
  }

  // A task that panics is dropped alone; the others still run.
  #[test]
  fn a_panicking_task_is_dropped_alone() {
    let Some(rt) = crate::net::tokio() else { return };
    let local = Local::make(None, None);
    let (tx, rx) = std::sync::mpsc::channel();
    local.spawn(async { panic!("a bug in a connection") });
    let t = tx.clone();
    local.spawn(async move {
      tokio::task::yield_now().await;
      let _ = t.send(1u32);
    });
    drop(tx);
    let got: Vec<u32> = rt.block_on(async { tokio::task::spawn_blocking(move || rx.iter().collect()).await.unwrap_or_default() });
    assert_eq!(got, vec![1]);
  }
}
