//! One runtime's timer table: when each of the script's timers (ids the bootstrap's
//! `setTimeout`/`setInterval` hand out) is due, and the host's `runtime.timers.clearAll()`,
//! which drops every timer started before it.
//! https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// What `Timers::start` did, as `timerStart` tells the bootstrap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
  /// The timer is pending.
  Kept = 0,
  /// Pending, and a clearAll() dropped every timer started before it: the bootstrap forgets those.
  Purged = 1,
  /// The next round of an interval whose tick was taken before a clearAll() that came since: it
  /// is dropped with the others, and that tick does not run.
  Dropped = 2,
}

#[derive(Default)]
pub struct Timers {
  /// Pending timers by due time, then start order; and each id's key.
  due: BTreeMap<(Instant, u64), u32>,
  keys: HashMap<u32, (Instant, u64)>,
  seq: u64,
  /// The host's clearAll() count acted on, and whether the bootstrap still has to hear of it.
  epoch: u64,
  purged: bool,
  /// The timer `pop_due` last handed out, with the epoch it was taken in.
  firing: Option<(u32, u64)>,
}

impl Timers {
  /// Drops every timer started before the host's latest clearAll() (`epoch`: its count).
  fn sync(&mut self, epoch: u64) {
    if epoch != self.epoch {
      self.epoch = epoch;
      self.due.clear();
      self.keys.clear();
      self.purged = true;
    }
  }

  /// Starts timer `id` (or an interval's next round) to be due after `delay_ms`.
  pub fn start(&mut self, id: u32, delay_ms: f64, epoch: u64, now: Instant) -> Start {
    self.sync(epoch);
    self.clear(id);
    // An interval re-arms itself when its tick is taken; a clearAll() in between (the host runs
    // it from its own thread at any time) must drop it, not let it outlive the clear.
    if let Some((firing, taken_in)) = self.firing {
      if firing == id {
        self.firing = None;
        if taken_in != self.epoch {
          self.purged = false;
          return Start::Dropped;
        }
      }
    }
    let delay = if delay_ms.is_finite() && delay_ms > 0.0 { Duration::from_secs_f64(delay_ms.min(2_147_483_647.0) / 1000.0) } else { Duration::ZERO };
    self.seq += 1;
    let key = (now + delay, self.seq);
    self.due.insert(key, id);
    self.keys.insert(id, key);
    if std::mem::take(&mut self.purged) {
      Start::Purged
    } else {
      Start::Kept
    }
  }

  pub fn clear(&mut self, id: u32) {
    if let Some(key) = self.keys.remove(&id) {
      self.due.remove(&key);
    }
  }

  /// When the earliest timer is due.
  pub fn next_due(&self) -> Option<Instant> {
    self.due.keys().next().map(|(at, _)| *at)
  }

  /// Removes and returns the first timer due at `now`.
  pub fn pop_due(&mut self, now: Instant, epoch: u64) -> Option<u32> {
    self.sync(epoch);
    let (&key, &id) = self.due.iter().next()?;
    if key.0 > now {
      return None;
    }
    self.due.remove(&key);
    self.keys.remove(&id);
    self.firing = Some((id, self.epoch));
    Some(id)
  }

  /// Whether a clearAll() came since the timer `pop_due` handed out was taken: it is not run.
  pub fn cleared_since_pop(&mut self, epoch: u64) -> bool {
    let stale = self.firing.is_some_and(|(_, taken_in)| taken_in != epoch);
    if stale {
      self.firing = None;
      self.sync(epoch);
    }
    stale
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn timers_come_due_in_order_and_clear_all_drops_those_started_before_it() {
    let t0 = Instant::now();
    let mut t = Timers::default();
    assert_eq!(t.start(1, 20.0, 0, t0), Start::Kept);
    assert_eq!(t.start(2, 10.0, 0, t0), Start::Kept);
    assert_eq!(t.start(3, f64::NAN, 0, t0), Start::Kept);
    assert_eq!(t.next_due(), Some(t0));
    let later = t0 + Duration::from_millis(15);
    assert_eq!(t.pop_due(later, 0), Some(3));
    assert_eq!(t.pop_due(later, 0), Some(2));
    assert_eq!(t.pop_due(later, 0), None);
    // clearAll(): timer 1 never fires; the next start says so once.
    assert_eq!(t.pop_due(t0 + Duration::from_secs(1), 1), None);
    assert_eq!(t.start(4, 0.0, 1, t0), Start::Purged);
    assert_eq!(t.start(5, 0.0, 1, t0), Start::Kept);
  }

  #[test]
  fn an_interval_taken_before_a_clear_all_does_not_re_arm_after_it() {
    let t0 = Instant::now();
    let mut t = Timers::default();
    t.start(7, 5.0, 0, t0);
    let at = t0 + Duration::from_millis(5);
    assert_eq!(t.pop_due(at, 0), Some(7));
    // Not cleared: the interval's next round is pending.
    assert!(!t.cleared_since_pop(0));
    assert_eq!(t.start(7, 5.0, 0, at), Start::Kept);
    assert_eq!(t.pop_due(at + Duration::from_millis(5), 0), Some(7));
    // The host's clearAll() lands between the tick's pop and its re-arm.
    assert_eq!(t.start(7, 5.0, 1, at), Start::Dropped);
    assert_eq!(t.next_due(), None);
    // A timer started later is kept, and is not told of a purge again.
    assert_eq!(t.start(8, 1.0, 1, at), Start::Kept);
  }

  #[test]
  fn a_timer_taken_before_a_clear_all_is_not_run() {
    let t0 = Instant::now();
    let mut t = Timers::default();
    t.start(1, 0.0, 0, t0);
    t.start(2, 50.0, 0, t0);
    assert_eq!(t.pop_due(t0, 0), Some(1));
    assert!(t.cleared_since_pop(1));
    // Once only, and the clear took the others with it.
    assert!(!t.cleared_since_pop(1));
    assert_eq!(t.next_due(), None);
    assert_eq!(t.start(3, 0.0, 1, t0), Start::Purged);
  }
}
