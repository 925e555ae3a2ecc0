//! The pool of event-loop threads that runs every runtime of the process.
//!
//! Runtimes are multiplexed over a fixed number of workers (default: the number of cores), each
//! runtime entered with its `v8::Locker` only while it has work, as workerd and isolated-vm do;
//! an idle runtime holds no thread. A runtime runs its queued tasks for a bounded slice, then
//! yields to the others. Workers that cannot run others' work — parked in a sync host call, or
//! stuck in a long task — are made up for by extra threads, within a cap (as tokio's
//! `block_in_place` does), so one runtime cannot starve the rest.
//!
//! A monitor thread watches the task each worker runs: it enforces the per-task deadlines
//! (`executionTimeout` wall clock, `cpuTimeLimit` CPU time of the worker's thread) and notices
//! long tasks for the make-up above.

use super::core::Core;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long a runtime may keep a worker before yielding to others.
const SLICE: Duration = Duration::from_millis(5);
/// A task running longer than this no longer counts as an available worker.
const LONG_TASK: Duration = Duration::from_millis(50);
/// How often the monitor has a long task check its heap (see `limits::check_heap`).
const HEAP_CHECK: Duration = Duration::from_millis(20);
/// How long a script may go on after its runtime's limit tripped before it counts as stuck.
const STUCK: Duration = Duration::from_secs(2);
/// Extra threads beyond `size` the pool may start to make up for blocked workers.
const MAX_EXTRA: usize = 128;
/// A surplus worker idle this long exits.
const IDLE_EXIT: Duration = Duration::from_secs(5);
/// The monitor's period while some task runs under a limit.
const TICK: Duration = Duration::from_millis(2);
/// How long an idle worker spins for new work before sleeping: a runtime answering a host that
/// answers back at once (ping/pong) then never waits for a thread to wake up.
const SPIN: Duration = Duration::from_micros(200);
/// How often a sleeping worker looks at the sockets while no worker waits in the reactor.
const IO_CHECK: Duration = Duration::from_millis(2);

fn reactor() -> Option<&'static super::reactor::Reactor> {
  super::reactor::Reactor::global()
}

static POOL_SIZE: OnceLock<usize> = OnceLock::new();

/// Sets the number of workers, once, before the first runtime is created.
pub fn configure(threads: usize) -> Result<(), String> {
  if !(1..=256).contains(&threads) {
    return Err(format!("threads must be an integer from 1 to 256 (got {threads})"));
  }
  POOL_SIZE.set(threads).map_err(|_| "the pool is already running; set its size before the first createRuntime()".to_string())
}

/// What the monitor knows of the task a worker is running.
struct Task {
  core: Arc<Core>,
  started: Instant,
  cpu_start: Duration,
  wall_limit: Option<Duration>,
  cpu_limit: Option<Duration>,
  /// Counted in `Pool::blocked` (long, or in a sync host call).
  blocked: bool,
  /// When the monitor last asked the task to check its heap.
  heap_checked: Instant,
  /// When the monitor first saw the runtime's limit tripped while this task ran.
  tripped_seen: Option<Instant>,
  in_host_call: bool,
}

struct Worker {
  task: Mutex<Option<Task>>,
  /// Where this worker sleeps when idle (with the queue's lock), woken by whoever claims it.
  wake: Condvar,
  clock: libc::clockid_t,
  /// The thread's id, to lower its priority if it gets stuck.
  tid: libc::pid_t,
}

struct Queue {
  runnable: VecDeque<Arc<Core>>,
  /// Workers asleep that nobody has woken yet. Whoever wakes one takes it off this list, so two
  /// runtimes scheduled back to back wake two workers: counting sleepers instead lost the second
  /// wake-up (the first sleeper still counted until it ran), and a runtime then waited for
  /// another's long task.
  sleepers: Vec<&'static Worker>,
}

pub struct Pool {
  queue: Mutex<Queue>,
  size: usize,
  threads: AtomicUsize,
  /// Workers spinning for work (they need no wake-up).
  spinning: AtomicUsize,
  /// Workers running a turn.
  running: AtomicUsize,
  /// Runtimes in the queue (read without the lock by spinning workers).
  queued: AtomicUsize,
  /// Workers that cannot take work now (in a sync host call or a long task, or lost).
  blocked: AtomicUsize,
  /// Runtimes alive (created and not yet torn down): the monitor sleeps while there are none.
  live: AtomicUsize,
  monitor: (Mutex<()>, Condvar),
  /// Runtimes contained after a fatal out-of-memory, and their heap bytes left allocated.
  pub contained: AtomicUsize,
  pub contained_bytes: AtomicUsize,
}

thread_local! {
  /// The worker slot of this thread (None off the pool).
  static WORKER: Cell<Option<&'static Worker>> = const { Cell::new(None) };
  /// The runtime this worker is running now, for the out-of-memory handler.
  static CURRENT: Cell<*const Core> = const { Cell::new(std::ptr::null()) };
  /// Set while this worker looks for work (`next`): work it schedules meanwhile (sockets it found
  /// ready) it takes itself, without waking another thread.
  static LOOKING: Cell<bool> = const { Cell::new(false) };
  /// Work put off until the running runtime's inbox runs dry (see `defer`); open during a turn.
  static DEFERRED: PutOff = const { PutOff::new() };
  /// Work put off until the task running on this worker ends (see `after_task`); open between
  /// `begin_task` and `end_task`.
  static AFTER_TASK: PutOff = const { PutOff::new() };
}

/// Work this thread puts off until a point of the worker's loop. While the point is ahead
/// (`open`) work is queued; otherwise it is given back to run at once.
struct PutOff {
  open: Cell<bool>,
  queue: std::cell::RefCell<Vec<Box<dyn FnOnce()>>>,
}

impl PutOff {
  const fn new() -> Self {
    Self { open: Cell::new(false), queue: std::cell::RefCell::new(Vec::new()) }
  }

  fn push(&self, f: Box<dyn FnOnce()>) -> Result<(), Box<dyn FnOnce()>> {
    if !self.open.get() {
      return Err(f);
    }
    match self.queue.try_borrow_mut() {
      Ok(mut q) => {
        q.push(f);
        Ok(())
      }
      Err(_) => Err(f),
    }
  }

  /// Runs what was queued, including what that queues in turn; true if anything ran.
  fn run(&self) -> bool {
    let mut ran = false;
    loop {
      let batch = self.queue.try_borrow_mut().map(|mut q| std::mem::take(&mut *q)).unwrap_or_default();
      if batch.is_empty() {
        return ran;
      }
      ran = true;
      for f in batch {
        // A panic in one (a bug) must not skip the others or leave this worker.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
      }
    }
  }
}

/// Runs `f` when the task running on this worker ends, or at once when no task runs here. The
/// host bridge uses it to send what one task produced for Node's main thread (a WebSocket
/// command, then the handler's answer) as one batch: one wake-up of Node's loop, not one each.
pub fn after_task(f: Box<dyn FnOnce()>) {
  if let Err(f) = AFTER_TASK.with(|a| a.push(f)) {
    f();
  }
}

fn run_after_task() {
  AFTER_TASK.with(|a| {
    a.open.set(false);
    a.run();
  });
}

impl Pool {
  pub fn global() -> &'static Pool {
    static POOL: OnceLock<&'static Pool> = OnceLock::new();
    POOL.get_or_init(|| {
      // Threads that lock isolates must start after V8 is initialized.
      crate::platform::init();
      let size = *POOL_SIZE.get_or_init(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
      let pool: &'static Pool = Box::leak(Box::new(Pool {
        queue: Mutex::new(Queue { runnable: VecDeque::new(), sleepers: Vec::new() }),
        size,
        threads: AtomicUsize::new(0),
        spinning: AtomicUsize::new(0),
        running: AtomicUsize::new(0),
        queued: AtomicUsize::new(0),
        blocked: AtomicUsize::new(0),
        live: AtomicUsize::new(0),
        monitor: (Mutex::new(()), Condvar::new()),
        contained: AtomicUsize::new(0),
        contained_bytes: AtomicUsize::new(0),
      }));
      for _ in 0..size {
        pool.spawn_worker();
      }
      let _ = std::thread::Builder::new().name("edge-isolate-monitor".into()).spawn(move || pool.monitor_loop());
      pool
    })
  }

  pub fn threads(&self) -> usize {
    self.threads.load(Ordering::Acquire)
  }

  pub fn runtime_started(&self) {
    if self.live.fetch_add(1, Ordering::AcqRel) == 0 {
      self.monitor.1.notify_all();
    }
  }

  pub fn runtime_ended(&self) {
    self.live.fetch_sub(1, Ordering::AcqRel);
  }

  pub fn live(&self) -> usize {
    self.live.load(Ordering::Acquire)
  }

  fn spawn_worker(&'static self) -> bool {
    self.threads.fetch_add(1, Ordering::AcqRel);
    let spawned = std::thread::Builder::new()
      .name("edge-isolate".into())
      // V8 limits the JS stack to ~1 MB; the rest is room for native frames.
      .stack_size(8 << 20)
      .spawn(move || self.worker_main());
    if spawned.is_err() {
      self.threads.fetch_sub(1, Ordering::AcqRel);
      return false;
    }
    true
  }

  /// Queues a runtime that has work.
  pub fn schedule(&'static self, core: Arc<Core>) {
    // A spinning worker takes it without a wake-up (it re-checks the queue under the lock
    // before it sleeps, so none is lost); so does the worker scheduling it from `next`, or
    // requeueing the runtime it just ran.
    let taker = usize::from(LOOKING.get());
    let Ok(mut q) = self.queue.lock() else { return };
    q.runnable.push_back(core);
    let queued = self.queued.fetch_add(1, Ordering::SeqCst) + 1;
    if queued > self.spinning.load(Ordering::SeqCst) + taker {
      self.wake_one(q);
    }
  }

  /// Gets a worker to the queue: one asleep or in the reactor that nobody claimed yet, else a
  /// new thread when every worker is busy or blocked, within the cap.
  fn make_up(&'static self) {
    let Ok(q) = self.queue.lock() else { return };
    if self.queued.load(Ordering::SeqCst) > self.spinning.load(Ordering::SeqCst) {
      self.wake_one(q);
    }
  }

  fn wake_one(&'static self, mut q: MutexGuard<'_, Queue>) {
    if let Some(w) = q.sleepers.pop() {
      // Under the lock: it looks at the queue once it has the lock back.
      w.wake.notify_one();
      return;
    }
    if let Some(r) = reactor().filter(|r| r.is_parked()) {
      // Claimed: the next runtime scheduled before that thread runs looks elsewhere.
      r.set_parked(false);
      drop(q);
      r.unpark();
      return;
    }
    drop(q);
    let threads = self.threads.load(Ordering::Acquire);
    let blocked = self.blocked.load(Ordering::Acquire);
    if threads.saturating_sub(blocked) < self.size && threads < self.size + MAX_EXTRA {
      self.spawn_worker();
    }
  }

  /// Spins up to SPIN until work is queued or `poll` says something is ready (it is asked
  /// between looks at the queue). A spinning worker needs no wake-up: an answer that comes
  /// within microseconds (a host's reply, a socket's round trip) is taken by a running thread,
  /// where a blocked one's wake-up is most of a loopback round trip on a VM (sequential round
  /// trips through connect() on a 2-core VM: a median of 9.7k/s while an idle worker blocked in
  /// the reactor at once, 19.2k/s spinning there first).
  fn spin(&self, mut poll: impl FnMut() -> bool) {
    // One spinner is enough to catch the next task; more would take cores from the host. It
    // counts as one, so work scheduled meanwhile wakes nobody: the loop below sees it, and the
    // caller looks at the queue again after the count drops.
    if self.spinning.fetch_add(1, Ordering::SeqCst) > 0 {
      self.spinning.fetch_sub(1, Ordering::SeqCst);
      return;
    }
    let until = Instant::now() + SPIN;
    while Instant::now() < until {
      if self.queued.load(Ordering::SeqCst) > 0 || poll() {
        break;
      }
      // Yield rather than burn: on few cores the thread we wait for may need this one.
      std::thread::yield_now();
    }
    self.spinning.fetch_sub(1, Ordering::SeqCst);
  }

  fn worker_main(&'static self) {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: plain libc calls on this thread's own handle.
    if unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) } != 0 {
      clock = libc::CLOCK_THREAD_CPUTIME_ID;
    }
    // One small allocation per thread ever started; the monitor reads it without owning it.
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    let worker: &'static Worker = Box::leak(Box::new(Worker { task: Mutex::new(None), wake: Condvar::new(), clock, tid }));
    WORKER.with(|w| w.set(Some(worker)));
    self.register(worker);
    loop {
      let Some(core) = self.next(worker) else { break };
      CURRENT.with(|c| c.set(Arc::as_ptr(&core)));
      self.running.fetch_add(1, Ordering::AcqRel);
      DEFERRED.with(|d| d.open.set(true));
      let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| super::event_loop::run_turn(&core, SLICE)));
      DEFERRED.with(|d| d.open.set(false));
      // What the turn put off and did not get to (it ended on its slice, or the runtime ended).
      if run_deferred() {
        super::event_loop::cpu_clock_stale();
      }
      self.running.fetch_sub(1, Ordering::AcqRel);
      CURRENT.with(|c| c.set(std::ptr::null()));
      if core.is_contained() {
        // Written off while stuck (the pool made up for it): this thread leaves.
        break;
      }
      match again {
        Ok(true) => {
          // This worker looks at the queue next: it takes the runtime back (after any queued
          // before it) without waking another, so a busy runtime stays on one thread. Woken
          // instead, the other worker took every other turn of a socket echo (perf).
          LOOKING.set(true);
          self.schedule(core);
          LOOKING.set(false);
        }
        Ok(false) => {}
        Err(_) => {
          // A bug in a turn: the runtime cannot be trusted to run again.
          core.shared.mark_dead(Some("its event loop failed unexpectedly"));
          core.finish();
        }
      }
    }
    self.unregister(worker);
    self.threads.fetch_sub(1, Ordering::AcqRel);
  }

  /// Waits for a runnable runtime; None when this surplus worker should exit.
  fn next(&self, worker: &'static Worker) -> Option<Arc<Core>> {
    LOOKING.set(true);
    let found = self.look(worker);
    LOOKING.set(false);
    found
  }

  /// Where an idle worker waits: while no other worker runs a turn, in the reactor, so that a
  /// socket's readiness wakes the thread that will run its runtime; otherwise on the condition
  /// variable, and the running worker polls the sockets when its runtime's inbox runs dry (a
  /// thread blocked in the reactor would be woken by each readiness meanwhile: a thread switch
  /// per request under load). While sockets exist and nobody waits in the reactor, a sleeper
  /// looks at them every IO_CHECK, so a long task elsewhere delays them at most that much.
  fn look(&self, worker: &'static Worker) -> Option<Arc<Core>> {
    let mut q = self.queue.lock().ok()?;
    let mut spun = false;
    loop {
      if let Some(core) = q.runnable.pop_front() {
        self.queued.fetch_sub(1, Ordering::SeqCst);
        return Some(core);
      }
      let reactor = reactor();
      // With sockets to watch and nobody else running, the reactor is where the next work comes
      // from: spin there (polling it, yielding to a peer on this core), then wait there.
      let io_next = reactor.is_some_and(|r| r.has_sources()) && self.running.load(Ordering::Acquire) == 0;
      if !spun && !io_next {
        spun = true;
        drop(q);
        super::event_loop::cpu_clock_stale();
        self.spin(|| false);
        q = self.queue.lock().ok()?;
        continue;
      }
      spun = false;
      let driver = reactor.filter(|_| self.running.load(Ordering::Acquire) == 0).and_then(|r| r.try_driver());
      if let (Some(r), Some(mut driver)) = (reactor, driver) {
        r.set_parked(true);
        drop(q);
        super::event_loop::cpu_clock_stale();
        // Polled without blocking while spinning, then blocked on.
        let mut ready = 0;
        self.spin(|| {
          ready = r.wait(&mut driver, Duration::ZERO);
          ready > 0
        });
        if ready == 0 && self.queued.load(Ordering::SeqCst) == 0 {
          ready = r.wait(&mut driver, IDLE_EXIT);
        }
        r.set_parked(false);
        drop(driver);
        q = self.queue.lock().ok()?;
        if ready == 0 && q.runnable.is_empty() && self.surplus() {
          return None;
        }
        continue;
      }
      let watch = reactor.is_some_and(|r| r.has_sources() && !r.is_parked());
      q.sleepers.push(worker);
      super::event_loop::cpu_clock_stale();
      let waited = worker.wake.wait_timeout(q, if watch { IO_CHECK } else { IDLE_EXIT });
      let (g, timeout) = waited.ok()?;
      q = g;
      // Still listed: nobody woke it (a timeout, or a spurious wake-up).
      q.sleepers.retain(|w| !std::ptr::eq(*w, worker));
      if timeout.timed_out() && q.runnable.is_empty() {
        if watch {
          drop(q);
          if let Some(r) = reactor {
            r.poll_now();
          }
          q = self.queue.lock().ok()?;
          spun = true;
          continue;
        }
        if self.surplus() {
          return None;
        }
      }
    }
  }

  /// More workers than the pool's size can run work now: this idle one may go.
  fn surplus(&self) -> bool {
    let threads = self.threads.load(Ordering::Acquire);
    let blocked = self.blocked.load(Ordering::Acquire);
    threads.saturating_sub(blocked) > self.size
  }

  fn register(&self, worker: &'static Worker) {
    if let Ok(mut all) = registry().lock() {
      all.push(worker);
    }
  }

  fn unregister(&self, worker: &'static Worker) {
    if let Ok(mut all) = registry().lock() {
      all.retain(|w| !std::ptr::eq(*w, worker));
    }
  }

  /// The monitor: per-task deadlines and long-task make-up.
  fn monitor_loop(&'static self) {
    loop {
      if self.live.load(Ordering::Acquire) == 0 {
        let Ok(g) = self.monitor.0.lock() else { return };
        let _ = self.monitor.1.wait_timeout(g, Duration::from_secs(1));
        continue;
      }
      std::thread::sleep(TICK);
      let workers: Vec<&'static Worker> = registry().lock().map(|w| w.clone()).unwrap_or_default();
      let now = Instant::now();
      for w in workers {
        let Ok(mut task) = w.task.lock() else { continue };
        let Some(t) = task.as_mut() else { continue };
        let elapsed = now.saturating_duration_since(t.started);
        if !t.blocked && elapsed >= LONG_TASK {
          t.blocked = true;
          self.blocked.fetch_add(1, Ordering::AcqRel);
          self.make_up();
        }
        // A tripped limit stops a script within milliseconds; one still running after STUCK is
        // inside a builtin that never checks: write the worker off, settle the runtime's promises.
        let tripped = t.core.shared.is_tripped() || t.core.shared.budget.exceeded.load(Ordering::Acquire);
        if tripped {
          let seen = *t.tripped_seen.get_or_insert(now);
          if now.saturating_duration_since(seen) >= STUCK && t.core.contain_stuck() {
            self.contained.fetch_add(1, Ordering::AcqRel);
            // What its heap may hold (the heap cannot be read while the stuck thread is in it).
            self.contained_bytes.fetch_add(t.core.shared.heap_limit.load(Ordering::Relaxed) as usize, Ordering::AcqRel);
            self.runtime_ended();
            // SAFETY: lowers the priority of one of our own threads.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, w.tid as libc::id_t, 19) };
            if !t.blocked {
              t.blocked = true;
              self.blocked.fetch_add(1, Ordering::AcqRel);
            }
            self.make_up();
            continue;
          }
        }
        if now.saturating_duration_since(t.heap_checked) >= HEAP_CHECK {
          t.heap_checked = now;
          if let Some(h) = t.core.shared.isolate.get() {
            let budget = Arc::as_ptr(&t.core.shared.budget) as *mut std::ffi::c_void;
            h.request_interrupt(crate::limits::check_heap_interrupt, budget);
          }
        }
        if let Some(limit) = t.wall_limit {
          if elapsed >= limit {
            let ms = limit.as_millis() as u64;
            t.core.shared.trip_task_timeout(ms);
            continue;
          }
        }
        if let Some(limit) = t.cpu_limit {
          // CPU time never runs ahead of wall time: no need to read the clock before that.
          if elapsed >= limit && cpu_time(w.clock).saturating_sub(t.cpu_start) >= limit {
            t.core.shared.trip_cpu(limit.as_millis() as u64);
          }
        }
      }
    }
  }
}

fn registry() -> &'static Mutex<Vec<&'static Worker>> {
  static ALL: OnceLock<Mutex<Vec<&'static Worker>>> = OnceLock::new();
  ALL.get_or_init(|| Mutex::new(Vec::new()))
}

/// CPU time consumed by the thread with this clock.
pub fn cpu_time(clock: libc::clockid_t) -> Duration {
  let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
  // SAFETY: reads a clock into a local.
  if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
    return Duration::ZERO;
  }
  Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// CPU time of the calling thread.
pub fn thread_cpu_time() -> Duration {
  cpu_time(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// Puts `f` off until the running runtime's inbox runs dry (or its turn ends), on this worker:
/// for work a task triggers that costs less in a batch, such as writing the answers of several
/// requests back to back (a peer waiting for them is then woken once, not once per answer).
/// Off a turn, `f` is given back to run now.
pub fn defer(f: Box<dyn FnOnce()>) -> Result<(), Box<dyn FnOnce()>> {
  DEFERRED.with(|d| d.push(f))
}

/// Runs what was put off, including what that puts off in turn; true if anything ran.
pub fn run_deferred() -> bool {
  DEFERRED.with(PutOff::run)
}

/// Handles the sockets that are ready now, if any are registered and no other thread is polling
/// them; true if some were.
pub fn poll_io() -> bool {
  reactor().is_some_and(|r| r.has_sources() && r.poll_now())
}

/// Marks the start of a task of `core` on this worker, under its limits.
pub fn begin_task(core: &Arc<Core>, wall_limit: Option<Duration>, cpu_limit: Option<Duration>) {
  WORKER.with(|w| {
    let Some(w) = w.get() else { return };
    AFTER_TASK.with(|a| a.open.set(true));
    let now = Instant::now();
    // The thread's CPU clock is a system call: read only when a CPU limit needs it.
    let cpu_start = if cpu_limit.is_some() { cpu_time(w.clock) } else { Duration::ZERO };
    if let Ok(mut t) = w.task.lock() {
      *t = Some(Task { core: core.clone(), started: now, cpu_start, wall_limit, cpu_limit, blocked: false, in_host_call: false, heap_checked: now, tripped_seen: None });
    }
  })
}

/// Marks the end of this worker's task.
pub fn end_task() {
  run_after_task();
  WORKER.with(|w| {
    let Some(w) = w.get() else { return };
    let ended = w.task.lock().ok().and_then(|mut t| t.take());
    if let Some(t) = ended {
      if t.blocked {
        Pool::global().blocked.fetch_sub(1, Ordering::AcqRel);
      }
    }
  })
}

/// Runs `f`, which blocks this worker (a sync host call): the pool starts another thread if
/// runtimes are waiting meanwhile.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
  let pool = Pool::global();
  let marked = WORKER.with(|w| {
    let Some(w) = w.get() else { return false };
    let Ok(mut t) = w.task.lock() else { return false };
    match t.as_mut() {
      Some(t) if !t.blocked => {
        t.blocked = true;
        t.in_host_call = true;
        true
      }
      _ => false,
    }
  });
  if marked {
    pool.blocked.fetch_add(1, Ordering::AcqRel);
    pool.make_up();
  }
  let r = f();
  if marked {
    WORKER.with(|w| {
      let Some(w) = w.get() else { return };
      if let Ok(mut t) = w.task.lock() {
        if let Some(t) = t.as_mut() {
          t.blocked = false;
          t.in_host_call = false;
        }
      }
    });
    pool.blocked.fetch_sub(1, Ordering::AcqRel);
  }
  r
}

/// V8's out-of-memory handler. V8 aborts the process if it returns, so on a pool worker the
/// runtime being run is contained (see `contain_and_park`). Elsewhere (no runtime to blame)
/// there is nothing to contain and V8 aborts.
pub unsafe extern "C" fn on_oom(_location: *const std::os::raw::c_char, _details: &v8::OomDetails) {
  contain_and_park();
}

/// Ends the runtime this worker is running for good: every host promise settles with
/// MemoryLimitError, the pool replaces this thread, and this thread parks forever, keeping the
/// isolate's memory (counted in `processStats().containedBytes`). Used when V8 can neither go on
/// nor unwind: its out-of-memory handler, and a heap still growing long after the limit tripped
/// (inside a builtin that never checks for termination), where parking before V8's fatal error
/// keeps the heap smaller and V8's report off stderr. Returns only off the pool.
pub fn contain_and_park() {
  let core = CURRENT.with(|c| c.get());
  if core.is_null() {
    return;
  }
  // What the task sent the host before it went wrong still goes.
  run_after_task();
  // SAFETY: the worker keeps its Arc<Core> alive for the whole turn, and this thread never leaves
  // the turn.
  let core = unsafe { &*core };
  let pool = Pool::global();
  // What the isolate holds now (it stays allocated): read from the heap itself when possible.
  let raw = core.shared.budget.isolate.load(Ordering::Acquire);
  let heap = if raw.is_null() {
    core.shared.heap_limit.load(Ordering::Relaxed) as usize
  } else {
    // SAFETY: this thread is the isolate's, inside V8's heap (GC or out-of-memory handling);
    // reading the heap's figures touches no JS.
    let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr_unchecked(std::mem::transmute::<*mut std::ffi::c_void, v8::UnsafeRawIsolatePtr>(raw)) };
    isolate.get_heap_statistics().total_physical_size()
  };
  // A worker the monitor already wrote off as stuck was counted and made up for then.
  if core.contain() {
    pool.contained_bytes.fetch_add(heap, Ordering::AcqRel);
    pool.contained.fetch_add(1, Ordering::AcqRel);
    WORKER.with(|w| {
      if let Some(w) = w.get() {
        if let Ok(mut t) = w.task.lock() {
          if let Some(t) = t.take() {
            if t.blocked {
              pool.blocked.fetch_sub(1, Ordering::AcqRel);
            }
          }
        }
        pool.unregister(w);
      }
    });
    pool.runtime_ended();
    // This thread is lost to the pool: replace it.
    pool.threads.fetch_sub(1, Ordering::AcqRel);
    pool.spawn_worker();
  }
  loop {
    std::thread::park();
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::rc::Rc;

  #[test]
  fn after_task_runs_at_once_outside_a_task_and_at_the_end_of_one_in_order() {
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    let push = |n: u32| {
      let log = log.clone();
      Box::new(move || log.borrow_mut().push(n)) as Box<dyn FnOnce()>
    };
    after_task(push(1));
    assert_eq!(*log.borrow(), vec![1]);
    AFTER_TASK.with(|a| a.open.set(true));
    after_task(push(2));
    after_task(push(3));
    assert_eq!(*log.borrow(), vec![1]);
    run_after_task();
    assert_eq!(*log.borrow(), vec![1, 2, 3]);
    // The task is over: the next one runs at once again.
    after_task(push(4));
    assert_eq!(*log.borrow(), vec![1, 2, 3, 4]);
  }

  #[test]
  fn put_off_work_survives_a_panic_and_runs_what_it_puts_off_in_the_same_drain() {
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    // Off a turn, work is given back.
    assert!(defer(Box::new(|| {})).is_err());
    DEFERRED.with(|d| d.open.set(true));
    assert!(defer(Box::new(|| panic!("a bug in put-off work"))).is_ok());
    let l = log.clone();
    let later = Box::new(move || {
      l.borrow_mut().push(1);
      let l2 = l.clone();
      assert!(defer(Box::new(move || l2.borrow_mut().push(2))).is_ok());
    });
    assert!(defer(later).is_ok());
    assert!(run_deferred());
    assert_eq!(*log.borrow(), vec![1, 2]);
    assert!(!run_deferred());
    DEFERRED.with(|d| d.open.set(false));
  }
}
