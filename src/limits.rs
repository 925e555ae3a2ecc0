//! Resource limits: a counting ArrayBuffer allocator, the heap-limit callback, and one watchdog
//! thread per process that enforces wall-clock deadlines.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Instant;

/// All of a runtime's WebAssembly memories together may reserve this many times its limit
/// (each one alone at most the limit).
pub const WASM_FACTOR: usize = 4;

/// Memory accounting of one isolate. When a limit is hit, `exceeded` is set and the isolate is
/// terminated; the event loop then fails the pending work with a MemoryLimitError.
pub struct MemoryBudget {
  pub limit_bytes: usize,
  pub array_buffer_bytes: AtomicUsize,
  pub exceeded: AtomicBool,
  /// WebAssembly memories and modules charged (`Pool::Wasm`).
  pub wasm_bytes: AtomicUsize,
  /// A last-resort GC ran since the last successful ArrayBuffer allocation.
  last_resort_gc: AtomicBool,
  pub handle: OnceLock<v8::IsolateHandle>,
  /// The isolate (its raw pointer), for reading heap figures inside V8's heap-limit callback.
  pub isolate: std::sync::atomic::AtomicPtr<c_void>,
  /// Times the heap limit was raised after the budget tripped (see `near_heap_limit`).
  raises: std::sync::atomic::AtomicU32,
  /// When the heap limit first tripped (ms on `clock_ms`; 0: not yet).
  tripped_at: AtomicU64,
  /// Bytes of ArrayBuffer backing stores made since V8's last GC (see `young_gc_due`).
  external_since_gc: AtomicUsize,
}

/// Milliseconds since the first use, never 0.
fn clock_ms() -> u64 {
  static START: OnceLock<Instant> = OnceLock::new();
  START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

impl MemoryBudget {
  pub fn new(limit_bytes: usize) -> Arc<Self> {
    Arc::new(Self {
      limit_bytes,
      array_buffer_bytes: AtomicUsize::new(0),
      wasm_bytes: AtomicUsize::new(0),
      exceeded: AtomicBool::new(false),
      last_resort_gc: AtomicBool::new(false),
      handle: OnceLock::new(),
      isolate: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
      raises: std::sync::atomic::AtomicU32::new(0),
      tripped_at: AtomicU64::new(0),
      external_since_gc: AtomicUsize::new(0),
    })
  }

  /// Ends the runtime with MemoryLimitError: marks the budget exceeded and terminates the isolate.
  pub fn trip(&self) {
    self.exceeded.store(true, Ordering::SeqCst);
    if let Some(h) = self.handle.get() {
      h.terminate_execution();
    }
  }

  /// Reserves ArrayBuffer memory for V8's allocator. A refusal is final only after V8's
  /// last-resort GC: before that V8 collects garbage (freeing dead buffers) and asks again, so
  /// churn that stays under the limit never ends the runtime.
  fn reserve(&self, len: usize) -> bool {
    if add_within(&self.array_buffer_bytes, self.limit_bytes, len) {
      self.last_resort_gc.store(false, Ordering::Release);
      self.external_since_gc.fetch_add(len, Ordering::Relaxed);
      return true;
    }
    if self.last_resort_gc.swap(false, Ordering::AcqRel) {
      self.trip();
    }
    false
  }

  fn release(&self, len: usize) {
    self.array_buffer_bytes.fetch_sub(len, Ordering::AcqRel);
  }

  /// The most `pool` may hold.
  pub fn cap(&self, pool: Pool) -> usize {
    match pool {
      Pool::ArrayBuffers => self.limit_bytes,
      Pool::Wasm => self.limit_bytes.saturating_mul(WASM_FACTOR),
    }
  }

  fn counter(&self, pool: Pool) -> &AtomicUsize {
    match pool {
      Pool::ArrayBuffers => &self.array_buffer_bytes,
      Pool::Wasm => &self.wasm_bytes,
    }
  }

  /// Charges `len` bytes held outside V8's ArrayBuffer allocator (buffers made in Rust, data
  /// queued in Rust on the isolate's behalf, key material, wasm) to `pool`; ArrayBuffers share
  /// the allocator's counter, so both see the same limit. None past the pool's cap: nothing is
  /// charged and nothing trips (the caller collects garbage and retries, trips, or throws). The
  /// charge lasts until the returned guard is dropped, on any thread.
  pub fn charge(self: &Arc<Self>, pool: Pool, len: usize) -> Option<Charge> {
    add_within(self.counter(pool), self.cap(pool), len).then(|| Charge { budget: self.clone(), pool, len })
  }

  /// Like `charge`, but always succeeds (the counter may pass the cap): for bytes that are held
  /// already and must be accounted for, so that the isolate's next allocation sees them.
  pub fn charge_anyway(self: &Arc<Self>, pool: Pool, len: usize) -> Charge {
    self.counter(pool).fetch_add(len, Ordering::AcqRel);
    Charge { budget: self.clone(), pool, len }
  }

  /// Whether the ArrayBuffer memory made since V8's last GC calls for a young-generation GC now.
  /// A script that reads large chunks (a socket, a body) allocates next to nothing on V8's heap
  /// per chunk, so no scavenge comes to free the chunks it dropped: their backing stores, V8's
  /// external memory, pile up until they pass its global limit and start a full mark-compact, every
  /// ~64 MB read (`--trace-gc`: 14 per GB read). A scavenge frees dead young buffers for a fraction
  /// of that work: reading a socket took a quarter less CPU per MB (`bench/sockets.mjs`).
  pub fn young_gc_due(&self) -> bool {
    self.external_since_gc.load(Ordering::Relaxed) >= young_gc_every(self.limit_bytes)
  }

  /// Bytes charged to `pool` now (the allocator's reservations included for ArrayBuffers).
  pub fn used(&self, pool: Pool) -> usize {
    self.counter(pool).load(Ordering::Acquire)
  }

  /// An ArrayBuffer allocator that refuses (V8 then throws a RangeError) past the limit.
  pub fn allocator(self: &Arc<Self>) -> v8::SharedRef<v8::Allocator> {
    static VTABLE: v8::RustAllocatorVtable<MemoryBudget> = v8::RustAllocatorVtable {
      allocate,
      allocate_uninitialized,
      free,
      drop: drop_budget,
    };
    let raw = Arc::into_raw(self.clone());
    // SAFETY: `raw` stays valid until V8 calls `drop_budget`, which releases this reference.
    unsafe { v8::new_rust_allocator(raw, &VTABLE) }.make_shared()
  }
}

/// What an external charge counts against: the ArrayBuffer limit (`memoryLimitMB`), or the
/// WebAssembly bound (`WASM_FACTOR` × it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
  ArrayBuffers,
  Wasm,
}

/// Bytes charged to a `MemoryBudget`, given back when dropped (RAII): hold it as long as the
/// bytes it stands for are held. Send + Sync, so it travels with the data to other threads.
pub struct Charge {
  budget: Arc<MemoryBudget>,
  pool: Pool,
  len: usize,
}

impl Charge {
  pub fn len(&self) -> usize {
    self.len
  }

  /// Notes that these bytes now back an ArrayBuffer V8 holds (freed by its GC; see `young_gc_due`).
  pub fn backs_array_buffer(&self) {
    self.budget.external_since_gc.fetch_add(self.len, Ordering::Relaxed);
  }
}

/// ArrayBuffer bytes made between two young-generation GCs at most: 16 MB, or a quarter of a
/// smaller limit.
fn young_gc_every(limit_bytes: usize) -> usize {
  (limit_bytes / 4).clamp(1 << 20, 16 << 20)
}

impl Drop for Charge {
  fn drop(&mut self) {
    self.budget.counter(self.pool).fetch_sub(self.len, Ordering::AcqRel);
  }
}

impl std::fmt::Debug for Charge {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "Charge({:?}, {})", self.pool, self.len)
  }
}

/// Adds `len` to `counter` unless that would pass `cap`.
fn add_within(counter: &AtomicUsize, cap: usize, len: usize) -> bool {
  let mut cur = counter.load(Ordering::Relaxed);
  loop {
    let Some(next) = cur.checked_add(len).filter(|n| *n <= cap) else { return false };
    match counter.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed) {
      Ok(_) => return true,
      Err(actual) => cur = actual,
    }
  }
}

unsafe extern "C" fn allocate(budget: &MemoryBudget, len: usize) -> *mut c_void {
  if !budget.reserve(len) {
    return std::ptr::null_mut();
  }
  let p = unsafe { libc::calloc(len.max(1), 1) };
  if p.is_null() {
    budget.release(len);
  }
  p
}

unsafe extern "C" fn allocate_uninitialized(budget: &MemoryBudget, len: usize) -> *mut c_void {
  if !budget.reserve(len) {
    return std::ptr::null_mut();
  }
  let p = unsafe { libc::malloc(len.max(1)) };
  if p.is_null() {
    budget.release(len);
  }
  p
}

unsafe extern "C" fn free(budget: &MemoryBudget, data: *mut c_void, len: usize) {
  unsafe { libc::free(data) };
  budget.release(len);
}

unsafe extern "C" fn drop_budget(budget: *const MemoryBudget) {
  drop(unsafe { Arc::from_raw(budget) });
}

/// The addon's Rust allocator: the system's, plus a per-thread ceiling that a native sets around
/// V8 code that allocates through Rust with no limit of its own. V8's ValueSerializer (behind
/// `structuredClone`) grows its buffer through its delegate's ReallocateBufferMemory, which
/// rusty_v8 implements with `std::alloc::realloc` and offers no hook for; under a ceiling such a
/// reallocation fails (returns null), which V8 turns into a DataCloneError ("out of memory")
/// instead of growing without bound. Allocations of `ALWAYS_OK` bytes or less never fail (Rust
/// code aborts on a failed allocation; only the serializer's large buffer may fail), and the
/// fast path is one comparison.
pub struct Allocator;

/// Allocations this small never meet the ceiling.
const ALWAYS_OK: usize = 64 * 1024;

thread_local! {
  static CEILING: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

fn over_ceiling(size: usize) -> bool {
  size > ALWAYS_OK && CEILING.try_with(|c| size > c.get()).unwrap_or(false)
}

// SAFETY: every call goes to the system allocator unchanged, or fails with null (allowed).
unsafe impl std::alloc::GlobalAlloc for Allocator {
  unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
    if over_ceiling(layout.size()) {
      return std::ptr::null_mut();
    }
    unsafe { std::alloc::System.alloc(layout) }
  }

  unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
    if over_ceiling(layout.size()) {
      return std::ptr::null_mut();
    }
    unsafe { std::alloc::System.alloc_zeroed(layout) }
  }

  unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
    unsafe { std::alloc::System.dealloc(ptr, layout) }
  }

  unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
    if new_size > layout.size() && over_ceiling(new_size) {
      return std::ptr::null_mut();
    }
    unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
  }
}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// While alive, Rust allocations on this thread larger than its bytes (and than `ALWAYS_OK`) fail.
pub struct Ceiling(usize);

impl Ceiling {
  pub fn new(bytes: usize) -> Self {
    Ceiling(CEILING.with(|c| c.replace(bytes)))
  }
}

impl Drop for Ceiling {
  fn drop(&mut self) {
    let previous = self.0;
    let _ = CEILING.try_with(|c| c.set(previous));
  }
}

impl MemoryBudget {
  /// A ceiling for a buffer that V8 grows through Rust on the isolate's behalf (structuredClone's
  /// serializer): what is left of the ArrayBuffer limit now.
  pub fn ceiling(&self) -> Ceiling {
    Ceiling::new(self.limit_bytes.saturating_sub(self.used(Pool::ArrayBuffers)))
  }
}

/// Called by V8 when the heap reaches its limit. We stop the script (the runtime then ends with
/// MemoryLimitError) and give V8 room to unwind: refusing would make V8 abort the whole process.
/// The room is bounded by `ceiling`: growth that never unwinds (a native builtin filling a
/// 4-billion-element array checks for termination nowhere) then reaches V8's fatal
/// out-of-memory, which the pool contains (see `pool::on_oom`). A heap already past the ceiling
/// (V8 grants one huge allocation after its last-resort GC, whatever the limit) gets
/// `PAST_CEILING` small raises to unwind.
pub unsafe extern "C" fn near_heap_limit(data: *mut c_void, current: usize, _initial: usize) -> usize {
  if data.is_null() {
    return current;
  }
  let budget = unsafe { &*(data as *const MemoryBudget) };
  budget.trip();
  // A terminated script unwinds in milliseconds: still growing a second later, it is inside a
  // builtin that never checks (see above), and more room only makes the heap that stays larger.
  let _ = budget.tripped_at.compare_exchange(0, clock_ms(), Ordering::AcqRel, Ordering::Acquire);
  if clock_ms().saturating_sub(budget.tripped_at.load(Ordering::Acquire)) > UNWIND_MS {
    crate::runtime::pool::contain_and_park();
    return current;
  }
  let ceiling = budget.limit_bytes.saturating_add(overshoot(budget.limit_bytes));
  let raw = budget.isolate.load(Ordering::Acquire);
  let used = if raw.is_null() {
    current
  } else {
    // SAFETY: the pointer is the budget's own isolate, alive while V8 calls its callbacks; this
    // runs on its thread, inside its GC, where reading the heap's figures is allowed.
    let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr_unchecked(std::mem::transmute::<*mut c_void, v8::UnsafeRawIsolatePtr>(raw)) };
    isolate.get_heap_statistics().total_heap_size()
  };
  if used < ceiling {
    return current.max(used).saturating_add(32 << 20).min(ceiling).max(current);
  }
  if budget.raises.fetch_add(1, Ordering::AcqRel) < PAST_CEILING {
    return used.saturating_add(32 << 20);
  }
  crate::runtime::pool::contain_and_park();
  current
}

/// How long after its limit tripped a script's heap may still be raised.
const UNWIND_MS: u64 = 1000;

/// Raises of 32 MB a heap already past its ceiling gets to unwind.
const PAST_CEILING: u32 = 2;

/// How far past its limit a runtime's heap may grow while a terminated script unwinds:
/// 3x the limit, at least 64 MB, at most 1 GB.
pub fn overshoot(limit_bytes: usize) -> usize {
  limit_bytes.saturating_mul(3).clamp(64 << 20, 1 << 30)
}

/// GC epilogue: a heap still over the limit after a full GC (one huge allocation can land in
/// large-object space without reaching the near-heap-limit callback) ends the runtime.
pub unsafe extern "C" fn gc_epilogue(isolate: v8::UnsafeRawIsolatePtr, _type: v8::GCType, _flags: v8::GCCallbackFlags, data: *mut c_void) {
  if data.is_null() {
    return;
  }
  let budget = unsafe { &*(data as *const MemoryBudget) };
  if isolate.is_null() {
    return;
  }
  // SAFETY: V8 calls this on the isolate's own thread, inside its GC, with the isolate alive;
  // `Isolate` is a non-owning pointer wrapper.
  let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr_unchecked(isolate) };
  let used = isolate.get_heap_statistics().used_heap_size();
  if used > budget.limit_bytes {
    budget.trip();
  }
}


/// GC prologue, of every collection: the count of ArrayBuffer bytes made since the last GC starts
/// again (the collection frees what it finds dead; see `young_gc_due`), and V8's last-resort
/// collection (the one it runs before giving up on an allocation) is noted, after which a refused
/// ArrayBuffer allocation really is over the limit.
pub unsafe extern "C" fn gc_prologue(_isolate: v8::UnsafeRawIsolatePtr, _type: v8::GCType, flags: v8::GCCallbackFlags, data: *mut c_void) {
  const COLLECT_ALL_AVAILABLE: u32 = v8::GCCallbackFlags::kGCCallbackFlagCollectAllAvailableGarbage.0;
  const LAST_RESORT: u32 = v8::GCCallbackFlags::kGCCallbackFlagLastResort.0;
  if data.is_null() {
    return;
  }
  let budget = unsafe { &*(data as *const MemoryBudget) };
  budget.external_since_gc.store(0, Ordering::Relaxed);
  if flags.0 & (COLLECT_ALL_AVAILABLE | LAST_RESORT) != 0 {
    budget.last_resort_gc.store(true, Ordering::Release);
  }
}

/// Runs a young-generation GC when `MemoryBudget::young_gc_due`. V8 offers embedders no other
/// way to ask for one than its testing entry point, which needs `--expose-gc` (set in
/// `platform::init`; the `gc` global that flag adds is emptied in every context).
pub fn collect_young_if_due(isolate: &mut v8::Isolate, budget: &MemoryBudget) {
  if budget.young_gc_due() {
    isolate.request_garbage_collection_for_testing(v8::GarbageCollectionType::Minor);
  }
}

type Fire = Box<dyn FnOnce() + Send>;

struct WatchdogState {
  deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
  armed: HashMap<u64, Fire>,
}

/// One thread for all runtimes: it fires each armed deadline once unless it was disarmed first.
pub struct Watchdog {
  state: Mutex<WatchdogState>,
  wake: Condvar,
  next_id: AtomicU64,
}

impl Watchdog {
  pub fn global() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
      let w: &'static Watchdog = Box::leak(Box::new(Watchdog {
        state: Mutex::new(WatchdogState { deadlines: BinaryHeap::new(), armed: HashMap::new() }),
        wake: Condvar::new(),
        next_id: AtomicU64::new(1),
      }));
      let _ = std::thread::Builder::new().name("edge-isolate-watchdog".into()).spawn(move || w.run());
      w
    })
  }

  pub fn arm(&self, deadline: Instant, fire: impl FnOnce() + Send + 'static) -> u64 {
    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut s) = self.state.lock() {
      s.deadlines.push(Reverse((deadline, id)));
      s.armed.insert(id, Box::new(fire));
    }
    self.wake.notify_one();
    id
  }

  pub fn disarm(&self, id: u64) {
    if let Ok(mut s) = self.state.lock() {
      s.armed.remove(&id);
    }
  }

  fn run(&self) {
    let Ok(mut s) = self.state.lock() else { return };
    loop {
      let now = Instant::now();
      let mut due = Vec::new();
      while let Some(Reverse((at, id))) = s.deadlines.peek().copied() {
        if at > now {
          break;
        }
        s.deadlines.pop();
        if let Some(f) = s.armed.remove(&id) {
          due.push(f);
        }
      }
      if !due.is_empty() {
        drop(s);
        for f in due {
          f();
        }
        s = match self.state.lock() {
          Ok(s) => s,
          Err(_) => return,
        };
        continue;
      }
      // Drop deadlines that were disarmed so the heap does not grow without bound.
      while let Some(Reverse((_, id))) = s.deadlines.peek().copied() {
        if s.armed.contains_key(&id) {
          break;
        }
        s.deadlines.pop();
      }
      s = match s.deadlines.peek().copied() {
        Some(Reverse((at, _))) => match self.wake.wait_timeout(s, at.saturating_duration_since(now)) {
          Ok((g, _)) => g,
          Err(_) => return,
        },
        None => match self.wake.wait(s) {
          Ok(g) => g,
          Err(_) => return,
        },
      };
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::sync::mpsc;
  use std::time::Duration;

  #[test]
  fn watchdog_fires_armed_deadlines_in_order_and_skips_disarmed_ones() {
    let w = Watchdog::global();
    let (tx, rx) = mpsc::channel();
    let now = Instant::now();
    let t1 = tx.clone();
    w.arm(now + Duration::from_millis(40), move || t1.send(2).unwrap());
    let t2 = tx.clone();
    w.arm(now + Duration::from_millis(10), move || t2.send(1).unwrap());
    let t3 = tx.clone();
    let cancelled = w.arm(now + Duration::from_millis(20), move || t3.send(99).unwrap());
    w.disarm(cancelled);
    assert_eq!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), 1);
    assert_eq!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), 2);
    assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    assert!(now.elapsed() >= Duration::from_millis(40));
  }

  #[test]
  fn budget_refuses_past_the_limit_and_trips_only_after_a_last_resort_gc() {
    let b = MemoryBudget::new(1000);
    assert!(b.reserve(600));
    // V8 will collect garbage and ask again: not over the limit yet.
    assert!(!b.reserve(600));
    assert!(!b.exceeded.load(Ordering::SeqCst));
    unsafe {
      gc_prologue(
        v8::UnsafeRawIsolatePtr::null(),
        v8::GCType::kGCTypeMarkSweepCompact,
        v8::GCCallbackFlags::kGCCallbackFlagCollectAllAvailableGarbage,
        Arc::as_ptr(&b) as *mut c_void,
      )
    };
    assert!(!b.reserve(600));
    assert!(b.exceeded.load(Ordering::SeqCst));
    b.release(600);
    assert!(b.reserve(1000));
    assert_eq!(b.array_buffer_bytes.load(Ordering::SeqCst), 1000);
  }

  #[test]
  fn wasm_charges_have_their_own_bound() {
    let b = MemoryBudget::new(1000);
    // Wasm has its own bound of WASM_FACTOR x the limit, apart from ArrayBuffers.
    assert!(b.reserve(1000));
    let wasm = b.charge(Pool::Wasm, 4000).unwrap();
    assert!(b.charge(Pool::Wasm, 1).is_none());
    assert!(!b.exceeded.load(Ordering::SeqCst));
    drop(wasm);
    assert_eq!(b.used(Pool::Wasm), 0);
    assert!(b.charge(Pool::Wasm, 4000).is_some());
  }

  #[test]
  fn external_charges_share_the_allocator_limit_and_are_given_back_on_drop() {
    let b = MemoryBudget::new(1000);
    let held = b.charge(Pool::ArrayBuffers, 700).unwrap();
    assert_eq!(held.len(), 700);
    // The allocator sees the charge: 400 more does not fit, 300 does.
    assert!(!b.reserve(400));
    assert!(b.charge(Pool::ArrayBuffers, 301).is_none());
    assert!(b.reserve(300));
    assert_eq!(b.used(Pool::ArrayBuffers), 1000);
    // A refused charge changes nothing and never trips.
    assert!(b.charge(Pool::ArrayBuffers, usize::MAX).is_none());
    assert!(!b.exceeded.load(Ordering::SeqCst));
    b.release(300);
    // Dropped on another thread, like data handed to a network task.
    std::thread::spawn(move || drop(held)).join().unwrap();
    assert_eq!(b.used(Pool::ArrayBuffers), 0);
    // charge_anyway accounts for bytes already held, past the limit; the allocator then refuses.
    let over = b.charge_anyway(Pool::ArrayBuffers, 1500);
    assert!(!b.reserve(1));
    drop(over);
    assert!(b.reserve(1000));
  }

  #[test]
  fn a_young_gc_is_due_after_a_quarter_of_the_limit_in_buffers_at_most_16_mb() {
    let b = MemoryBudget::new(32 << 20);
    // The allocator's buffers and the natives' stores both count; a refused reservation does not.
    assert!(b.reserve(4 << 20));
    let c = b.charge(Pool::ArrayBuffers, 3 << 20).unwrap();
    c.backs_array_buffer();
    assert!(!b.reserve(64 << 20));
    assert!(!b.young_gc_due());
    // Freeing does not count down: the GC that frees them does (its prologue starts again).
    drop(c);
    assert!(b.reserve(1 << 20));
    assert!(b.young_gc_due());
    unsafe { gc_prologue(v8::UnsafeRawIsolatePtr::null(), v8::GCType::kGCTypeScavenge, v8::GCCallbackFlags::kNoGCCallbackFlags, Arc::as_ptr(&b) as *mut c_void) };
    assert!(!b.young_gc_due());
    // Large limits: every 16 MB.
    let big = MemoryBudget::new(1 << 30);
    assert!(big.reserve((16 << 20) - 1) && !big.young_gc_due());
    assert!(big.reserve(1) && big.young_gc_due());
  }

  #[test]
  fn a_ceiling_fails_large_allocations_on_its_thread_only_while_it_lives() {
    let b = MemoryBudget::new(1 << 20);
    let _held = b.charge(Pool::ArrayBuffers, 1 << 19).unwrap();
    let try_vec = |n: usize| {
      let mut v: Vec<u8> = Vec::new();
      v.try_reserve_exact(n).is_ok()
    };
    {
      let _c = b.ceiling();
      // Half the limit is left.
      assert!(try_vec(1 << 18));
      assert!(!try_vec((1 << 19) + 1));
      // Small allocations always succeed, and other threads are not affected.
      assert!(try_vec(ALWAYS_OK));
      assert!(std::thread::spawn(move || try_vec(8 << 20)).join().unwrap());
      let mut v = vec![0u8; 1 << 18];
      assert!(v.try_reserve_exact(1 << 20).is_err());
    }
    assert!(try_vec(8 << 20));
  }

  #[test]
  fn the_heap_is_measured_once_it_could_have_grown_past_the_limit() {
    let limit = 128 << 20;
    let us = Duration::from_micros;
    // Never measured: measure.
    assert!(heap_may_exceed(None, Duration::ZERO, limit));
    // 8 MB used: 120 MB of room take 1920 µs at MAX_HEAP_GROWTH_PER_US.
    assert!(!heap_may_exceed(Some(8 << 20), us(5), limit));
    assert!(!heap_may_exceed(Some(8 << 20), us(1900), limit));
    assert!(heap_may_exceed(Some(8 << 20), us(1920), limit));
    // At the limit already, or a clock gone wild: measure.
    assert!(heap_may_exceed(Some(limit), Duration::ZERO, limit));
    assert!(heap_may_exceed(Some(0), Duration::MAX, limit));
  }

  #[test]
  fn trip_marks_the_budget_exceeded() {
    let b = MemoryBudget::new(10);
    b.trip();
    assert!(b.exceeded.load(Ordering::SeqCst));
  }
}

/// A heap over the limit outside any GC: V8 grants a huge single allocation (a 256 MB string)
/// after its last-resort GC whatever the limit, and no GC may follow for a while. Collects
/// garbage first (a heap full of garbage is not over its limit), then trips. Returns the heap's
/// used bytes as measured.
pub fn check_heap(isolate: &mut v8::Isolate, budget: &MemoryBudget) -> usize {
  let used = isolate.get_heap_statistics().used_heap_size();
  if used <= budget.limit_bytes {
    return used;
  }
  // Twice the limit is not garbage worth a full GC to find out.
  if used > budget.limit_bytes.saturating_mul(2) {
    budget.trip();
    return used;
  }
  isolate.low_memory_notification();
  let used = isolate.get_heap_statistics().used_heap_size();
  if used > budget.limit_bytes {
    budget.trip();
  }
  used
}

/// Bytes a script can add to V8's heap per microsecond of task time, at most: nothing lands on
/// the heap without being written (V8 initialises every object it allocates, a hole-filled
/// array or a flat string alike), and no core writes memory this fast.
pub const MAX_HEAP_GROWTH_PER_US: usize = 64 * 1024;

/// Whether a heap measured at `used` bytes (None: never measured) may have passed `limit` after
/// `since` of task time: measuring it walks every space of the heap (`GetHeapStatistics`), which
/// cost a socket's round trip of one short task 8% of its CPU (perf), while a heap far below its
/// limit cannot reach it in a few short tasks.
pub fn heap_may_exceed(used: Option<usize>, since: std::time::Duration, limit: usize) -> bool {
  let Some(used) = used else { return true };
  let us = usize::try_from(since.as_micros()).unwrap_or(usize::MAX).saturating_add(1);
  used.saturating_add(us.saturating_mul(MAX_HEAP_GROWTH_PER_US)) > limit
}

/// `check_heap` as an interrupt, requested by the pool's monitor while a long task runs.
pub unsafe extern "C" fn check_heap_interrupt(isolate: v8::UnsafeRawIsolatePtr, data: *mut c_void) {
  if isolate.is_null() || data.is_null() {
    return;
  }
  // SAFETY: V8 runs interrupts on the isolate's thread with the isolate alive; `data` is the
  // runtime's budget, which outlives its isolate.
  let (mut isolate, budget) = unsafe { (v8::Isolate::from_raw_isolate_ptr_unchecked(isolate), &*(data as *const MemoryBudget)) };
  check_heap(&mut isolate, budget);
}

/// After a runtime's isolate is freed, hands the memory it used back to the system: V8's pool of
/// dead isolates' heap pages (see `release_pooled_pages`), and glibc's arenas, which keep freed
/// memory (a worker thread's arena holds what its isolates allocated, and another thread may
/// never reuse it). Without this a disposed runtime's peak stays in the host's RSS. Once, 100 ms
/// after a burst of teardowns: `malloc_trim` walks every arena, and a burst of short-lived
/// runtimes reuses the pooled pages meanwhile.
pub fn release_after_teardown() {
  static PENDING: AtomicBool = AtomicBool::new(false);
  if PENDING.swap(true, Ordering::AcqRel) {
    return;
  }
  Watchdog::global().arm(Instant::now() + std::time::Duration::from_millis(100), || {
    PENDING.store(false, Ordering::Release);
    crate::runtime::release_pooled_pages();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's arenas to the system.
    unsafe {
      libc::malloc_trim(0)
    };
  });
}

/// Heap limits for a runtime of `limit_bytes`. V8 splits a small limit badly for us: below
/// 16 MB it keeps 6 MB for the young generation (its minimum semi-spaces), so an 8 MB runtime
/// had 2 MB of old generation, of which the platform's snapshot takes 1.5 MB, and a loop making
/// nothing but garbage ended with MemoryLimitError. The young generation gets at most half the
/// limit (semi-spaces of at most a sixth), the old generation the rest; the sum stays the limit.
/// Larger limits keep V8's split: a smaller young generation there lets a heap that is filling
/// up run on at its last few percent in back-to-back full GCs (seconds, not milliseconds) before
/// V8 gives up.
pub fn heap_limits(params: v8::CreateParams, limit_bytes: usize) -> v8::CreateParams {
  let params = params.heap_limits(0, limit_bytes);
  let young = params.max_young_generation_size_in_bytes();
  // Two semi-spaces and a new large-object space of one semi-space each; V8 rounds a
  // semi-space up to a power of two, so the cap is one already.
  let semi = prev_power_of_two(limit_bytes / 6).max(MIN_SEMI_SPACE);
  let cap = 3 * semi;
  if young <= cap || cap > limit_bytes / 2 {
    return params;
  }
  params.set_max_young_generation_size_in_bytes(cap).set_max_old_generation_size_in_bytes(limit_bytes - cap)
}

/// One of V8's pages.
const MIN_SEMI_SPACE: usize = 256 << 10;

fn prev_power_of_two(n: usize) -> usize {
  if n == 0 {
    0
  } else {
    1 << (usize::BITS - 1 - n.leading_zeros())
  }
}

#[cfg(test)]
mod heap_limit_tests {
  use super::*;

  #[test]
  fn young_generation_is_at_most_half_of_a_small_limit() {
    for mb in [8usize, 12, 16, 24, 32, 128, 1024] {
      let limit = mb << 20;
      let p = heap_limits(v8::CreateParams::default(), limit);
      let (young, old) = (p.max_young_generation_size_in_bytes(), p.max_old_generation_size_in_bytes());
      assert!(young <= limit / 2, "{mb} MB: young {young}");
      assert!(young + old <= limit, "{mb} MB: young {young} + old {old}");
      assert!(old >= limit / 2, "{mb} MB: old {old}");
    }
    assert_eq!(prev_power_of_two(3 << 20), 2 << 20);
    assert_eq!(prev_power_of_two(1 << 20), 1 << 20);
    assert_eq!(prev_power_of_two(0), 0);
  }
}
