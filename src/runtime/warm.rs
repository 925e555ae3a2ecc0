//! Warm runtimes (`configurePool({ warmRuntimes })`): isolates and contexts made ahead of time
//! from the snapshot, on a background thread, so that `createRuntime` skips their making (most
//! of a cold start). Each is used once, by one runtime, and never returned: a warm runtime starts
//! from the same fresh isolate and context a cold one makes, and the runtime's own state and
//! options (customFunctions, cwd, location, fs, testEnvironment, …) are applied on its first
//! turn as for a cold one. Only the isolate's creation parameter, its heap limit, is fixed ahead:
//! a runtime asking for another `memoryLimitMB` than the warm ones' starts cold.

use super::core::Core;
use super::Shared;
use crate::errors::ErrorInfo;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// The most warm runtimes a process may keep (each holds ~2 MB).
pub const MAX: usize = 256;

/// An isolate and its context, made from the snapshot, with nothing of a runtime attached yet.
pub struct Parts {
  pub isolate: v8::SharedIsolate,
  pub context: v8::Global<v8::Context>,
  /// The isolate as V8's platform knows it.
  pub raw: usize,
}

/// A warm runtime: its core (held: V8's tasks for the isolate wait in its inbox) and its parts.
pub struct Warm {
  core: Arc<Core>,
  parts: Parts,
}

impl Warm {
  pub fn into_parts(self) -> (Arc<Core>, Parts) {
    (self.core, self.parts)
  }

  /// Frees a warm runtime nobody took.
  fn discard(self) {
    let Warm { core, parts } = self;
    crate::platform::unregister(parts.raw as *mut std::ffi::c_void);
    drop(parts);
    core.finish();
  }
}

struct Queue {
  /// How many to keep ready, and their memory limit.
  target: usize,
  memory_limit_mb: f64,
  ready: VecDeque<Warm>,
  /// Ready ones no longer wanted, freed by the thread (not by the caller: Node's thread has its
  /// own isolate entered).
  stale: Vec<Warm>,
  /// The last attempt failed (no room for another isolate): wait before the next.
  failed: bool,
}

struct Warmer {
  queue: Mutex<Queue>,
  refill: Condvar,
}

fn warmer() -> &'static Warmer {
  static WARMER: OnceLock<Warmer> = OnceLock::new();
  WARMER.get_or_init(|| Warmer {
    queue: Mutex::new(Queue { target: 0, memory_limit_mb: 128.0, ready: VecDeque::new(), stale: Vec::new(), failed: false }),
    refill: Condvar::new(),
  })
}

/// Keeps `count` runtimes of `memory_limit_mb` ready from now on (0: none; those ready are freed).
pub fn configure(count: usize, memory_limit_mb: f64) -> Result<(), String> {
  if count > MAX {
    return Err(format!("warmRuntimes must be an integer from 0 to {MAX} (got {count})"));
  }
  let w = warmer();
  {
    let mut q = w.queue.lock().map_err(|_| "the warm pool failed".to_string())?;
    q.target = count;
    q.failed = false;
    // Runtimes of another memory limit are of no use now.
    let keep = if q.memory_limit_mb == memory_limit_mb { count } else { 0 };
    q.memory_limit_mb = memory_limit_mb;
    let n = q.ready.len().saturating_sub(keep);
    let stale: Vec<Warm> = q.ready.drain(..n).collect();
    q.stale.extend(stale);
    if count > 0 || !q.stale.is_empty() {
      start_thread();
    }
  }
  w.refill.notify_all();
  Ok(())
}

/// Runtimes started from a warm one since the process started.
pub fn starts() -> u64 {
  STARTS.load(std::sync::atomic::Ordering::Relaxed)
}

static STARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Warm runtimes ready now.
pub fn ready() -> usize {
  warmer().queue.lock().map(|q| q.ready.len()).unwrap_or(0)
}

/// A warm runtime for a runtime of `memory_limit_mb`, if one is ready (the thread makes another).
pub fn take(memory_limit_mb: f64) -> Option<Warm> {
  let w = warmer();
  let taken = {
    let mut q = w.queue.lock().ok()?;
    if q.target == 0 || q.memory_limit_mb != memory_limit_mb {
      return None;
    }
    q.ready.pop_front()
  };
  if taken.is_some() {
    STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
  }
  w.refill.notify_one();
  taken
}

fn start_thread() {
  static STARTED: OnceLock<()> = OnceLock::new();
  STARTED.get_or_init(|| {
    let _ = std::thread::Builder::new().name("edge-isolate-warm".into()).spawn(refill_loop);
  });
}

/// Makes warm runtimes while fewer than the target are ready, at the lowest priority (nice 19):
/// it makes what is not needed yet, so it yields to what is, yet still gets a little CPU on a
/// busy machine (SCHED_IDLE would get none there, and the pool would never refill).
fn refill_loop() {
  crate::platform::init();
  // SAFETY: on Linux, PRIO_PROCESS with id 0 sets the priority of the calling thread only.
  unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
  let w = warmer();
  loop {
    let limit = {
      let Ok(mut q) = w.queue.lock() else { return };
      loop {
        if !q.stale.is_empty() {
          let stale = std::mem::take(&mut q.stale);
          drop(q);
          for s in stale {
            s.discard();
          }
          q = match w.queue.lock() {
            Ok(q) => q,
            Err(_) => return,
          };
          continue;
        }
        if q.ready.len() < q.target && !q.failed {
          break;
        }
        let wait = if q.failed { Duration::from_secs(1) } else { Duration::from_secs(3600) };
        q = match w.refill.wait_timeout(q, wait) {
          Ok((g, timeout)) => {
            let mut g = g;
            if timeout.timed_out() {
              g.failed = false;
            }
            g
          }
          Err(_) => return,
        };
      }
      q.memory_limit_mb
    };
    let made = make(limit);
    let Ok(mut q) = w.queue.lock() else { return };
    match made {
      // Configured again meanwhile (another limit, or fewer): not wanted.
      Ok(warm) if q.memory_limit_mb != limit || q.ready.len() >= q.target => {
        drop(q);
        warm.discard();
      }
      Ok(warm) => q.ready.push_back(warm),
      Err(_) => q.failed = true,
    }
  }
}

fn make(memory_limit_mb: f64) -> Result<Warm, ErrorInfo> {
  let blob = super::snapshot::blob()?;
  super::room::check().map_err(ErrorInfo::range_error)?;
  let core = Core::new_held(Arc::new(Shared::new(memory_limit_mb)));
  match super::event_loop::make_isolate(&core, blob) {
    Ok(parts) => Ok(Warm { core, parts }),
    Err(e) => {
      core.finish();
      Err(e)
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn refuses_more_than_max_and_takes_nothing_while_none_are_wanted() {
    assert!(configure(MAX + 1, 128.0).is_err());
    // Nothing configured: no runtime is served warm, whatever its limit.
    assert!(take(128.0).is_none());
    assert_eq!(ready(), 0);
  }
}
