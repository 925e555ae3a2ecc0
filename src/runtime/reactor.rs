//! The pool's own I/O reactor (an epoll set, through mio): sockets registered here are polled by
//! the pool's workers themselves, as Deno's isolate thread polls its sockets, instead of by
//! tokio's I/O threads.
//!
//! Why: with tokio's driver, every batch of ready sockets woke a tokio thread, which then woke the
//! pool worker that runs the runtime: two thread switches, more than the request itself cost.
//! Here a worker running a runtime polls the reactor (without blocking) whenever the runtime's
//! inbox runs dry, and handles what became ready in the same turn; an idle worker blocks in the
//! reactor instead of on the pool's condition variable, so readiness wakes the thread that will
//! run the work. The pool decides who parks where (pool.rs).
//!
//! Readiness follows tokio's scheme: edge-triggered events set bits with a tick; a reader or
//! writer that sees `WouldBlock` clears its bit only if no event came since it looked (the tick
//! is unchanged), so no wake-up is lost.

use futures_util::task::AtomicWaker;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

pub const READABLE: usize = 1;
pub const WRITABLE: usize = 2;
pub const READ_CLOSED: usize = 4;
pub const WRITE_CLOSED: usize = 8;
pub const ERROR: usize = 16;
const BITS: usize = 0xff;
const TICK: usize = 0x100;

/// What a reader waits for, and what a writer waits for.
pub const READ_INTEREST: usize = READABLE | READ_CLOSED | ERROR;
pub const WRITE_INTEREST: usize = WRITABLE | WRITE_CLOSED | ERROR;

const WAKE_TOKEN: mio::Token = mio::Token(0);
/// Events handled per poll: more stay queued in the kernel for the next one.
const EVENTS: usize = 256;

/// The readiness of one registered source and who waits on it.
pub struct IoState {
  readiness: AtomicUsize,
  reader: AtomicWaker,
  writer: AtomicWaker,
}

impl IoState {
  /// Ready for `interest` (a snapshot to pass to `clear`), or Pending with the waker registered.
  pub fn poll_ready(&self, cx: &mut Context<'_>, interest: usize) -> Poll<usize> {
    let now = self.readiness.load(Ordering::Acquire);
    if now & interest != 0 {
      return Poll::Ready(now);
    }
    let waiter = if interest & READABLE != 0 { &self.reader } else { &self.writer };
    waiter.register(cx.waker());
    // An event may have come between the load and the registration.
    let now = self.readiness.load(Ordering::Acquire);
    if now & interest != 0 {
      Poll::Ready(now)
    } else {
      Poll::Pending
    }
  }

  /// The operation would block: forget `bits`, unless an event came since `snapshot`.
  pub fn clear(&self, snapshot: usize, bits: usize) {
    let _ = self.readiness.compare_exchange(snapshot, snapshot & !bits, Ordering::AcqRel, Ordering::Acquire);
  }

  fn set(&self, bits: usize) {
    let _ = self.readiness.fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
      Some((now & !BITS).wrapping_add(TICK) | (now & BITS) | bits)
    });
    if bits & READ_INTEREST != 0 {
      self.reader.wake();
    }
    if bits & WRITE_INTEREST != 0 {
      self.writer.wake();
    }
  }
}

pub struct Driver {
  poll: mio::Poll,
  events: mio::Events,
}

pub struct Reactor {
  /// Held by the thread polling: one at a time (others skip or park elsewhere).
  driver: Mutex<Driver>,
  registry: mio::Registry,
  waker: mio::Waker,
  sources: Mutex<HashMap<usize, Arc<IoState>>>,
  count: AtomicUsize,
  /// Tokens are never reused, so a late event for a source already gone finds nothing.
  next_token: AtomicUsize,
  /// A thread blocks in `park` (it needs `unpark` to notice other work).
  parked: AtomicBool,
}

impl Reactor {
  /// The process's reactor; None if the system refused an epoll set (the pool then parks on its
  /// condition variable only, and sockets cannot be made).
  pub fn global() -> Option<&'static Reactor> {
    static R: OnceLock<Option<Reactor>> = OnceLock::new();
    R.get_or_init(|| {
      let poll = mio::Poll::new().ok()?;
      let registry = poll.registry().try_clone().ok()?;
      let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN).ok()?;
      Some(Reactor {
        driver: Mutex::new(Driver { poll, events: mio::Events::with_capacity(EVENTS) }),
        registry,
        waker,
        sources: Mutex::new(HashMap::new()),
        count: AtomicUsize::new(0),
        next_token: AtomicUsize::new(1),
        parked: AtomicBool::new(false),
      })
    })
    .as_ref()
  }

  /// True while some source is registered (polling an empty set is a wasted system call).
  pub fn has_sources(&self) -> bool {
    self.count.load(Ordering::Acquire) > 0
  }

  /// Registers `source` for reading and writing; starts as ready both ways (the first read or
  /// write finds out), so data that came before the registration is not waited for.
  pub fn register(&self, source: &mut impl mio::event::Source) -> std::io::Result<(usize, Arc<IoState>)> {
    let token = self.next_token.fetch_add(1, Ordering::Relaxed);
    let state = Arc::new(IoState { readiness: AtomicUsize::new(READABLE | WRITABLE), reader: AtomicWaker::new(), writer: AtomicWaker::new() });
    self.sources.lock().map_err(|_| std::io::Error::other("reactor poisoned"))?.insert(token, state.clone());
    if let Err(e) = self.registry.register(source, mio::Token(token), mio::Interest::READABLE | mio::Interest::WRITABLE) {
      if let Ok(mut s) = self.sources.lock() {
        s.remove(&token);
      }
      return Err(e);
    }
    self.count.fetch_add(1, Ordering::AcqRel);
    Ok((token, state))
  }

  pub fn deregister(&self, token: usize, source: &mut impl mio::event::Source) {
    let _ = self.registry.deregister(source);
    if let Ok(mut s) = self.sources.lock() {
      if s.remove(&token).is_some() {
        self.count.fetch_sub(1, Ordering::AcqRel);
      }
    }
  }

  /// Handles what is ready now, without blocking. False if another thread is polling, or nothing
  /// was ready.
  pub fn poll_now(&self) -> bool {
    match self.driver.try_lock() {
      Ok(mut d) => self.turn(&mut d, Some(Duration::ZERO)) > 0,
      Err(_) => false,
    }
  }

  /// The right to poll, if no other thread has it now.
  pub fn try_driver(&self) -> Option<std::sync::MutexGuard<'_, Driver>> {
    self.driver.try_lock().ok()
  }

  /// Blocks up to `timeout` for readiness or `unpark`, handling what comes; the number of
  /// sources that became ready.
  pub fn wait(&self, driver: &mut Driver, timeout: Duration) -> usize {
    self.turn(driver, Some(timeout))
  }

  pub fn set_parked(&self, parked: bool) {
    self.parked.store(parked, Ordering::Release);
  }

  pub fn is_parked(&self) -> bool {
    self.parked.load(Ordering::Acquire)
  }

  /// Wakes the thread blocked in `park`.
  pub fn unpark(&self) {
    let _ = self.waker.wake();
  }

  fn turn(&self, d: &mut Driver, timeout: Option<Duration>) -> usize {
    let Driver { poll, events } = d;
    if let Err(e) = poll.poll(events, timeout) {
      // EINTR: the caller looks again. Anything else would repeat: don't spin on it.
      if e.kind() != std::io::ErrorKind::Interrupted {
        std::thread::sleep(Duration::from_millis(1));
      }
      return 0;
    }
    let mut n = 0;
    for ev in events.iter() {
      if ev.token() == WAKE_TOKEN {
        continue;
      }
      let state = self.sources.lock().ok().and_then(|s| s.get(&ev.token().0).cloned());
      let Some(state) = state else { continue };
      let mut bits = 0;
      if ev.is_readable() {
        bits |= READABLE;
      }
      if ev.is_writable() {
        bits |= WRITABLE;
      }
      if ev.is_read_closed() {
        bits |= READ_CLOSED;
      }
      if ev.is_write_closed() {
        bits |= WRITE_CLOSED;
      }
      if ev.is_error() {
        bits |= ERROR;
      }
      n += 1;
      state.set(bits);
    }
    n
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::sync::atomic::AtomicU32;
  use std::task::{Wake, Waker};

  struct Count(AtomicU32);
  impl Wake for Count {
    fn wake(self: Arc<Self>) {
      self.0.fetch_add(1, Ordering::SeqCst);
    }
  }

  fn state() -> IoState {
    IoState { readiness: AtomicUsize::new(0), reader: AtomicWaker::new(), writer: AtomicWaker::new() }
  }

  // An event between a reader's look and its clear keeps the bit: the reader tries again
  // instead of waiting for an event that already came.
  #[test]
  fn a_clear_loses_to_an_event_that_came_meanwhile() {
    let s = state();
    s.set(READABLE);
    let count = Arc::new(Count(AtomicU32::new(0)));
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let Poll::Ready(snapshot) = s.poll_ready(&mut cx, READ_INTEREST) else { panic!("readable") };
    s.set(READABLE); // the event, after the look
    s.clear(snapshot, READABLE);
    assert!(matches!(s.poll_ready(&mut cx, READ_INTEREST), Poll::Ready(_)));
    // Without an event in between, the clear holds and the waker waits.
    let Poll::Ready(snapshot) = s.poll_ready(&mut cx, READ_INTEREST) else { panic!("readable") };
    s.clear(snapshot, READABLE);
    assert!(s.poll_ready(&mut cx, READ_INTEREST).is_pending());
    s.set(READABLE);
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    // A writer's readiness does not wake a reader.
    let Poll::Ready(snapshot) = s.poll_ready(&mut cx, READ_INTEREST) else { panic!("readable") };
    s.clear(snapshot, READABLE);
    assert!(s.poll_ready(&mut cx, READ_INTEREST).is_pending());
    s.set(WRITABLE);
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    // A closed peer wakes a reader (the read then returns 0).
    s.set(READ_CLOSED);
    assert_eq!(count.0.load(Ordering::SeqCst), 2);
  }

  // `unpark` ends a wait at once (pool workers of other tests may hold the driver first: the
  // waiter times its own wait only, and unparks keep coming until it is done).
  #[test]
  fn unpark_wakes_the_parked_thread() {
    let Some(r) = Reactor::global() else { return };
    let done = Arc::new(AtomicBool::new(false));
    let d2 = done.clone();
    let unparker = std::thread::spawn(move || {
      while !d2.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(20));
        r.unpark();
      }
    });
    let waited = loop {
      if let Some(mut d) = r.try_driver() {
        let started = std::time::Instant::now();
        r.wait(&mut d, Duration::from_secs(30));
        break started.elapsed();
      }
      std::thread::sleep(Duration::from_millis(1));
    };
    done.store(true, Ordering::Release);
    let _ = unparker.join();
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
  }
}
