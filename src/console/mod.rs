//! Native hooks that let console.js see what pure JS cannot, as Node's util.inspect does:
//! promise state, proxy internals, and Map/Set iterator entries.

use crate::web::Natives;
use v8::MapFnTo;

pub const JS: &str = include_str!("console.js");

pub fn hooks() -> Natives {
  vec![
    ("promiseDetails", promise_details.map_fn_to()),
    ("proxyDetails", proxy_details.map_fn_to()),
    ("previewEntries", preview_entries.map_fn_to()),
    ("consoleCount", console_count.map_fn_to()),
    ("consoleCountReset", console_count_reset.map_fn_to()),
    ("consoleTime", console_time.map_fn_to()),
    ("consoleTimer", console_timer.map_fn_to()),
    ("consoleGroup", console_group.map_fn_to()),
  ]
}

/// `[state, result]`: 0 pending, 1 fulfilled, 2 rejected.
fn promise_details<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Ok(p) = v8::Local::<v8::Promise>::try_from(args.get(0)) else { return };
  let (state, result) = match p.state() {
    v8::PromiseState::Pending => (0, None),
    v8::PromiseState::Fulfilled => (1, Some(p.result(scope))),
    v8::PromiseState::Rejected => (2, Some(p.result(scope))),
  };
  let state = v8::Integer::new(scope, state).into();
  let result = result.unwrap_or_else(|| v8::undefined(scope).into());
  rv.set(v8::Array::new_with_elements(scope, &[state, result]).into());
}

/// `[target, handler]` of a proxy (target null when revoked), undefined otherwise. Reading them
/// runs no trap, unlike anything JS could do.
fn proxy_details<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Ok(p) = v8::Local::<v8::Proxy>::try_from(args.get(0)) else { return };
  let (target, handler) = if p.is_revoked() {
    (v8::null(scope).into(), v8::null(scope).into())
  } else {
    (p.get_target(scope), p.get_handler(scope))
  };
  rv.set(v8::Array::new_with_elements(scope, &[target, handler]).into());
}

/// `[entries, isKeyValue]` of a Map/Set iterator (or weak collection), without advancing it.
fn preview_entries<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Ok(obj) = v8::Local::<v8::Object>::try_from(args.get(0)) else { return };
  let (entries, key_value) = obj.preview_entries(scope);
  let entries: v8::Local<v8::Value> = match entries {
    Some(e) => e.into(),
    None => v8::Array::new(scope, 0).into(),
  };
  let key_value = v8::Boolean::new(scope, key_value).into();
  rv.set(v8::Array::new_with_elements(scope, &[entries, key_value]).into());
}

/// The console's counters, timers and group depth (`console.count`, `console.time`,
/// `console.group`), kept here rather than in the isolate so the host reads and resets them
/// synchronously (`runtime.console.getCounters()`, `reset()`, as @ricsam/isolate-console keeps
/// them host-side), whatever the isolate is doing at that moment.
#[derive(Default)]
pub struct ConsoleState(std::sync::Mutex<Labels>);

#[derive(Default)]
struct Labels {
  counters: std::collections::HashMap<String, Slot>,
  timers: std::collections::HashMap<String, Slot>,
  group_depth: u32,
  /// Insertion order of the maps (a JS Map's iteration order for the host).
  seq: u64,
}

/// A label's value; `_charge` keeps the label's bytes counted against memoryLimitMB while the
/// label is held; `at`, when a timer started (the host reads its start on its own clock).
struct Slot {
  seq: u64,
  value: f64,
  at: Option<std::time::Instant>,
  _charge: Option<crate::limits::Charge>,
}

impl ConsoleState {
  fn with<R>(&self, f: impl FnOnce(&mut Labels) -> R) -> Option<R> {
    self.0.lock().ok().map(|mut l| f(&mut l))
  }

  /// Entries in insertion order.
  fn ordered(map: &std::collections::HashMap<String, Slot>) -> Vec<(String, f64)> {
    let mut v: Vec<(u64, String, f64)> = map.iter().map(|(k, s)| (s.seq, k.clone(), s.value)).collect();
    v.sort_by_key(|e| e.0);
    v.into_iter().map(|(_, k, n)| (k, n)).collect()
  }

  pub fn counters(&self) -> Vec<(String, f64)> {
    self.with(|l| Self::ordered(&l.counters)).unwrap_or_default()
  }

  #[cfg(test)]
  fn timers(&self) -> Vec<(String, f64)> {
    self.with(|l| Self::ordered(&l.timers)).unwrap_or_default()
  }

  /// How long each running timer has run, in ms, in insertion order: the host turns this into a
  /// start on its own `performance.now()` clock, as @ricsam/isolate-console's getTimers() gives.
  pub fn timer_ages(&self) -> Vec<(String, f64)> {
    let now = std::time::Instant::now();
    let ages = |l: &mut Labels| {
      let mut v: Vec<(u64, String, f64)> = l
        .timers
        .iter()
        .map(|(k, s)| (s.seq, k.clone(), s.at.map_or(0.0, |at| now.saturating_duration_since(at).as_secs_f64() * 1000.0)))
        .collect();
      v.sort_by_key(|e| e.0);
      v.into_iter().map(|(_, k, a)| (k, a)).collect()
    };
    self.with(ages).unwrap_or_default()
  }

  pub fn group_depth(&self) -> u32 {
    self.with(|l| l.group_depth).unwrap_or(0)
  }

  /// Forgets every counter and timer and returns to group depth 0.
  pub fn reset(&self) {
    self.with(|l| {
      l.counters.clear();
      l.timers.clear();
      l.group_depth = 0;
    });
  }

  /// Adds one to `label`'s count; returns the new count.
  fn count(&self, label: String, charge: Option<crate::limits::Charge>) -> f64 {
    self
      .with(|l| {
        l.seq += 1;
        let seq = l.seq;
        let slot = l.counters.entry(label).or_insert(Slot { seq, value: 0.0, at: None, _charge: charge });
        slot.value += 1.0;
        slot.value
      })
      .unwrap_or(1.0)
  }

  fn count_reset(&self, label: &str) -> bool {
    self.with(|l| l.counters.remove(label).is_some()).unwrap_or(false)
  }

  /// Starts timer `label` at `start`; false when it already runs.
  fn time(&self, label: String, start: f64, charge: Option<crate::limits::Charge>) -> bool {
    self
      .with(|l| {
        if l.timers.contains_key(&label) {
          return false;
        }
        l.seq += 1;
        let seq = l.seq;
        l.timers.insert(label, Slot { seq, value: start, at: Some(std::time::Instant::now()), _charge: charge });
        true
      })
      .unwrap_or(false)
  }

  /// The start of timer `label`, removing it when `end`.
  fn timer(&self, label: &str, end: bool) -> Option<f64> {
    self.with(|l| if end { l.timers.remove(label).map(|s| s.value) } else { l.timers.get(label).map(|s| s.value) }).flatten()
  }

  /// Moves the group depth by `delta` (never below 0); returns the new depth.
  fn group(&self, delta: i32) -> u32 {
    self
      .with(|l| {
        l.group_depth = if delta < 0 { l.group_depth.saturating_sub(1) } else if delta > 0 { l.group_depth.saturating_add(1) } else { l.group_depth };
        l.group_depth
      })
      .unwrap_or(0)
  }
}

/// The runtime's console state and the label argument as a Rust string, charged to the runtime's
/// memory budget (None: past the limit, which has tripped, or not a runtime's isolate).
fn label_arg<'s>(scope: &mut v8::PinScope<'s, '_>, args: &v8::FunctionCallbackArguments<'s>) -> Option<(std::sync::Arc<crate::runtime::Shared>, String, crate::limits::Charge)> {
  let state = crate::runtime::State::get(scope)?;
  let shared = state.try_borrow().ok()?.shared.clone();
  let v = args.get(0);
  if !v.is_string() {
    return None;
  }
  let charge = crate::web::util::hold_strings(scope, &[v])?;
  Some((shared, v.to_rust_string_lossy(scope), charge))
}

/// `consoleCount(label) -> count`.
fn console_count<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some((shared, label, charge)) = label_arg(scope, &args) else { return };
  rv.set_double(shared.console.count(label, Some(charge)));
}

/// `consoleCountReset(label) -> existed`.
fn console_count_reset<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some((shared, label, _charge)) = label_arg(scope, &args) else { return };
  rv.set_bool(shared.console.count_reset(&label));
}

/// `consoleTime(label, start) -> started` (false: the label already runs).
fn console_time<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let start = args.get(1).number_value(scope).unwrap_or(0.0);
  let Some((shared, label, charge)) = label_arg(scope, &args) else { return };
  rv.set_bool(shared.console.time(label, start, Some(charge)));
}

/// `consoleTimer(label, end) -> start | undefined`; `end` removes the timer.
fn console_timer<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let end = args.get(1).is_true();
  let Some((shared, label, _charge)) = label_arg(scope, &args) else { return };
  if let Some(start) = shared.console.timer(&label, end) {
    rv.set_double(start);
  }
}

/// `consoleGroup(delta) -> depth`: +1 group, -1 groupEnd, 0 reads.
fn console_group<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = crate::runtime::State::get(scope) else { return rv.set_uint32(0) };
  let Some(shared) = state.try_borrow().ok().map(|s| s.shared.clone()) else { return rv.set_uint32(0) };
  let delta = args.get(0).int32_value(scope).unwrap_or(0);
  rv.set_uint32(shared.console.group(delta));
}

#[cfg(test)]
mod state_tests {
  use super::ConsoleState;

  #[test]
  fn counters_keep_insertion_order_and_reset_clears_everything() {
    let c = ConsoleState::default();
    assert_eq!(c.count("b".into(), None), 1.0);
    assert_eq!(c.count("a".into(), None), 1.0);
    assert_eq!(c.count("b".into(), None), 2.0);
    assert_eq!(c.counters(), vec![("b".to_string(), 2.0), ("a".to_string(), 1.0)]);
    assert!(c.count_reset("b"));
    assert!(!c.count_reset("b"));
    assert_eq!(c.count("b".into(), None), 1.0);
    assert_eq!(c.counters(), vec![("a".to_string(), 1.0), ("b".to_string(), 1.0)]);
    assert!(c.time("t".into(), 5.0, None));
    assert!(!c.time("t".into(), 9.0, None));
    assert_eq!(c.timer("t", false), Some(5.0));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let ages = c.timer_ages();
    assert_eq!(ages.len(), 1);
    assert_eq!(ages[0].0, "t");
    assert!(ages[0].1 >= 20.0 && ages[0].1 < 10_000.0, "age {}", ages[0].1);
    assert_eq!(c.group(1), 1);
    assert_eq!(c.group(-1), 0);
    assert_eq!(c.group(-1), 0);
    c.group(1);
    c.reset();
    assert!(c.counters().is_empty() && c.timers().is_empty());
    assert_eq!(c.group_depth(), 0);
    assert_eq!(c.timer("t", true), None);
  }
}
