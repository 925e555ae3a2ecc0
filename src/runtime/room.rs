//! Is there room in this process for another isolate?
//!
//! V8 cannot fail to make an isolate gracefully: when it cannot map memory while deserializing
//! one, it takes its fatal out-of-memory path, which crashes (SIGSEGV in `Heap::RecordStats`)
//! before any handler of ours runs, because the isolate is half made. So a new runtime is
//! refused up front while the process is near one of the kernel's walls:
//! - `vm.max_map_count` (65530 by default): each runtime holds ~11 memory mappings, so the wall
//!   is near 5,900 runtimes;
//! - `RLIMIT_AS` (`ulimit -v`), when set: each runtime reserves ~390 MB of address space.

use std::sync::Mutex;

/// Mappings a new isolate may need while it is made (measured: ~11 once idle).
const MAPS_PER_ISOLATE: usize = 16;
/// Mappings kept free for the heaps of the runtimes already alive to grow into.
const MAPS_RESERVE: usize = 1024;
/// Address space a new isolate reserves (measured: ~386 MB), with a margin.
const AS_PER_ISOLATE: u64 = 512 << 20;

struct Maps {
  /// `vm.max_map_count`, read once (None: not Linux, or unreadable: no check).
  max: Option<usize>,
  /// The last count of this process's mappings, plus `MAPS_PER_ISOLATE` per isolate made since.
  estimate: usize,
}

fn maps() -> &'static Mutex<Maps> {
  static MAPS: std::sync::OnceLock<Mutex<Maps>> = std::sync::OnceLock::new();
  MAPS.get_or_init(|| {
    let max = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok().and_then(|s| s.trim().parse().ok());
    Mutex::new(Maps { max, estimate: count_maps().unwrap_or(0) })
  })
}

/// This process's memory mappings (lines of /proc/self/maps).
fn count_maps() -> Option<usize> {
  let bytes = std::fs::read("/proc/self/maps").ok()?;
  Some(bytes.iter().filter(|b| **b == b'\n').count())
}

/// Whether `current` mappings leave room for another isolate under `max`.
fn maps_fit(current: usize, max: usize) -> bool {
  max.checked_sub(current).is_some_and(|free| free >= MAPS_PER_ISOLATE + MAPS_RESERVE)
}

/// Whether `used` bytes of address space leave room for another isolate under `limit`.
fn address_space_fits(used: u64, limit: u64) -> bool {
  limit.checked_sub(used).is_some_and(|free| free >= AS_PER_ISOLATE)
}

fn address_space() -> Result<(), String> {
  let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
  // SAFETY: getrlimit writes into the struct we pass.
  if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut lim) } != 0 || lim.rlim_cur == libc::RLIM_INFINITY {
    return Ok(());
  }
  let used = std::fs::read_to_string("/proc/self/status")
    .ok()
    .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmSize:").and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())))
    .map(|kb| kb.saturating_mul(1024));
  match used {
    Some(used) if !address_space_fits(used, lim.rlim_cur) => Err(format!(
      "the process's address-space limit (ulimit -v, {} MB) leaves no room for another isolate ({} MB in use; each runtime reserves ~400 MB): dispose runtimes you no longer need, or raise the limit",
      lim.rlim_cur >> 20,
      used >> 20
    )),
    _ => Ok(()),
  }
}

/// Ok when another isolate can be made; else why not, for the RangeError createRuntime rejects with.
pub fn check() -> Result<(), String> {
  address_space()?;
  let mut m = match maps().lock() {
    Ok(m) => m,
    Err(p) => p.into_inner(),
  };
  let Some(max) = m.max else { return Ok(()) };
  // The estimate only grows between counts; count again when it says the wall is near.
  if !maps_fit(m.estimate, max) {
    m.estimate = count_maps().unwrap_or(m.estimate);
  }
  if !maps_fit(m.estimate, max) {
    return Err(format!(
      "the process is near the kernel's limit of memory mappings (vm.max_map_count = {max}; {} in use, ~11 per runtime): dispose runtimes you no longer need, or raise vm.max_map_count",
      m.estimate
    ));
  }
  m.estimate += MAPS_PER_ISOLATE;
  Ok(())
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn mappings_keep_a_reserve_for_the_heaps_alive() {
    assert!(maps_fit(1000, 65530));
    assert!(maps_fit(65530 - MAPS_RESERVE - MAPS_PER_ISOLATE, 65530));
    assert!(!maps_fit(65530 - MAPS_RESERVE, 65530));
    assert!(!maps_fit(usize::MAX, 65530));
  }

  #[test]
  fn address_space_needs_room_for_one_isolate() {
    assert!(address_space_fits(1 << 30, 4 << 30));
    assert!(!address_space_fits((4 << 30) - (100 << 20), 4 << 30));
    assert!(!address_space_fits(u64::MAX, u64::MAX));
  }

  #[test]
  fn this_process_has_room() {
    assert!(check().is_ok());
    assert!(count_maps().is_some_and(|n| n > 0));
  }
}
