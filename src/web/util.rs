//! Small helpers for the natives of the Web areas.

use crate::limits::{Charge, MemoryBudget, Pool};
use std::any::TypeId;
use std::ffi::c_void;
use std::mem::size_of;
use std::sync::Arc;

/// Throws a TypeError with `message`.
pub fn throw_type_error(scope: &mut v8::PinScope, message: &str) {
  if let Some(m) = v8::String::new(scope, message) {
    let e = v8::Exception::type_error(scope, m);
    scope.throw_exception(e);
  }
}

/// Throws a RangeError with `message`.
pub fn throw_range_error(scope: &mut v8::PinScope, message: &str) {
  if let Some(m) = v8::String::new(scope, message) {
    let e = v8::Exception::range_error(scope, m);
    scope.throw_exception(e);
  }
}

/// Throws `new DOMException(message, name)`.
pub fn throw_dom_exception(scope: &mut v8::PinScope, message: &str, name: &str) {
  crate::runtime::throw_dom_exception(scope, message, name)
}

/// Copies the bytes of an ArrayBuffer, a view (typed array or DataView) or a SharedArrayBuffer.
/// None if `value` is none of those.
pub fn copy_bytes(value: v8::Local<v8::Value>) -> Option<Vec<u8>> {
  with_bytes(value, |b| b.to_vec())
}

/// Runs `f` on the bytes of an ArrayBuffer or view without copying them. `f` must not call into
/// JS (which could detach or resize the buffer).
pub fn with_bytes<R>(value: v8::Local<v8::Value>, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
  let (store, offset, len) = if let Ok(view) = v8::Local::<v8::ArrayBufferView>::try_from(value) {
    (view.get_backing_store()?, view.byte_offset(), view.byte_length())
  } else if let Ok(ab) = v8::Local::<v8::ArrayBuffer>::try_from(value) {
    (ab.get_backing_store(), 0, ab.byte_length())
  } else if let Ok(sab) = v8::Local::<v8::SharedArrayBuffer>::try_from(value) {
    (sab.get_backing_store(), 0, sab.byte_length())
  } else {
    return None;
  };
  if len == 0 {
    return Some(f(&[]));
  }
  let data = store.data()?;
  // SAFETY: offset+len lie within the store, which `store` keeps alive while `f` runs, and no JS
  // runs meanwhile.
  let bytes = unsafe { std::slice::from_raw_parts((data.as_ptr() as *const u8).add(offset), len) };
  Some(f(bytes))
}

/// The runtime's memory budget.
pub fn budget(scope: &mut v8::PinScope) -> Option<Arc<MemoryBudget>> {
  let state = crate::runtime::State::get(scope)?;
  let s = state.try_borrow().ok()?;
  Some(s.shared.budget.clone())
}

/// Charges `len` bytes to `pool`; when they do not fit, collects all garbage once (dead buffers
/// and charge tokens give their bytes back during that GC) and tries again. None: still over
/// the limit, nothing charged, nothing tripped (the caller throws, e.g. a RangeError).
pub fn charge_or_collect(scope: &mut v8::PinScope, pool: Pool, len: usize) -> Option<Charge> {
  let budget = budget(scope)?;
  if let Some(c) = budget.charge(pool, len) {
    return Some(c);
  }
  scope.low_memory_notification();
  budget.charge(pool, len)
}

/// Like `charge_or_collect`, but a refusal trips the limit, as V8's ArrayBuffer allocator does:
/// the isolate is terminated and the runtime ends with MemoryLimitError.
pub fn charge_or_trip(scope: &mut v8::PinScope, pool: Pool, len: usize) -> Option<Charge> {
  let c = charge_or_collect(scope, pool, len);
  if c.is_none() {
    if let Some(b) = budget(scope) {
      b.trip();
    }
  }
  c
}

/// Charges what a native's Rust copy of the script's strings costs (`values`: each string's
/// length in UTF-8, 3 bytes per UTF-16 unit at worst), for as
/// long as the native holds the returned guard. Past the limit the runtime ends with
/// MemoryLimitError and None is returned: the caller returns without copying anything (V8 may
/// have granted the string itself past the limit; its copies need not follow it).
pub fn hold_strings(scope: &mut v8::PinScope, values: &[v8::Local<v8::Value>]) -> Option<Charge> {
  let mut len = 0usize;
  for v in values {
    if let Ok(s) = v8::Local::<v8::String>::try_from(*v) {
      let bytes = if s.contains_only_onebyte() { s.length() } else { s.length().saturating_mul(3) };
      len = len.saturating_add(bytes);
    }
  }
  charge_or_trip(scope, Pool::ArrayBuffers, len)
}

/// What a Rust-made backing store owns: the bytes and their charge, freed together.
struct Owned {
  _bytes: Vec<u8>,
  _charge: Charge,
}

unsafe extern "C" fn drop_owned(_data: *mut c_void, _len: usize, owned: *mut c_void) {
  // SAFETY: `owned` is the Box<Owned> leaked in `counted_store`; V8 calls this once, when the
  // last ArrayBuffer on the store is gone (possibly on a GC thread: Owned is Send).
  drop(unsafe { Box::from_raw(owned as *mut Owned) });
}

/// A backing store over `bytes` (no copy) that stays charged to the ArrayBuffer limit until V8
/// frees it. Past the limit: trips (see `charge_or_trip`) and returns None.
fn counted_store(scope: &mut v8::PinScope, mut bytes: Vec<u8>) -> Option<v8::SharedRef<v8::BackingStore>> {
  let charge = charge_or_trip(scope, Pool::ArrayBuffers, bytes.capacity())?;
  let (ptr, len) = (bytes.as_mut_ptr(), bytes.len());
  // Moving the Vec into the box leaves its heap buffer (and `ptr`) where it is.
  charge.backs_array_buffer();
  let owned = Box::into_raw(Box::new(Owned { _bytes: bytes, _charge: charge }));
  // SAFETY: `ptr` is valid for `len` bytes until drop_owned frees the Vec; nothing else touches it.
  let store = unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(ptr as *mut c_void, len, drop_owned, owned as *mut c_void) };
  Some(store.make_shared())
}

/// A Uint8Array over `bytes`, without copying them. The bytes count against the runtime's
/// ArrayBuffer limit for as long as the isolate keeps them; past it the limit trips (the runtime
/// ends with MemoryLimitError, as for an ArrayBuffer V8 allocates) and None is returned.
pub fn uint8_array<'s>(scope: &mut v8::PinScope<'s, '_>, bytes: Vec<u8>) -> Option<v8::Local<'s, v8::Uint8Array>> {
  let len = bytes.len();
  let ab = array_buffer(scope, bytes)?;
  v8::Uint8Array::new(scope, ab, 0, len)
}

/// An ArrayBuffer over `bytes`, without copying them, counted like `uint8_array`.
pub fn array_buffer<'s>(scope: &mut v8::PinScope<'s, '_>, bytes: Vec<u8>) -> Option<v8::Local<'s, v8::ArrayBuffer>> {
  let store = counted_store(scope, bytes)?;
  Some(v8::ArrayBuffer::with_backing_store(scope, &store))
}

/// An ArrayBuffer holding a copy of `bytes`, counted like `uint8_array`. (Never
/// `v8::ArrayBuffer::new` for a size a script chooses: V8 aborts the process when that
/// allocation fails.)
pub fn array_buffer_from_slice<'s>(scope: &mut v8::PinScope<'s, '_>, bytes: &[u8]) -> Option<v8::Local<'s, v8::ArrayBuffer>> {
  // Charged before the copy is made.
  let charge = charge_or_trip(scope, Pool::ArrayBuffers, bytes.len())?;
  let mut copy = bytes.to_vec();
  let (ptr, len) = (copy.as_mut_ptr(), copy.len());
  let extra = copy.capacity() - bytes.len();
  let charge = if extra == 0 { charge } else { merge(scope, charge, extra)? };
  charge.backs_array_buffer();
  let owned = Box::into_raw(Box::new(Owned { _bytes: copy, _charge: charge }));
  // SAFETY: as in counted_store.
  let store = unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(ptr as *mut c_void, len, drop_owned, owned as *mut c_void) };
  Some(v8::ArrayBuffer::with_backing_store(scope, &store.make_shared()))
}

/// `charge` plus `extra` more bytes, as one charge.
fn merge(scope: &mut v8::PinScope, charge: Charge, extra: usize) -> Option<Charge> {
  let total = charge_or_trip(scope, Pool::ArrayBuffers, charge.len() + extra)?;
  drop(charge);
  Some(total)
}

/// What an owner buffer's backing store holds: a type tag, then the value.
#[repr(C)]
struct Cell<T> {
  tag: TypeId,
  value: T,
}

unsafe extern "C" fn drop_cell<T>(data: *mut c_void, _len: usize, _deleter_data: *mut c_void) {
  // SAFETY: `data` is the Box<Cell<T>> leaked in `owner`; V8 calls this once, when the buffer
  // is gone (possibly on a GC thread: T is Send).
  drop(unsafe { Box::from_raw(data as *mut Cell<T>) });
}

/// An ArrayBuffer whose backing store owns `value`: `value` is dropped when the GC collects the
/// buffer (or when the isolate goes away). This is how the areas tie Rust data (a CryptoKey's
/// material, a charge of the budget) to a JS object's lifetime without weak handles: platform
/// JS keeps the buffer where only it can reach it (a private field, a WeakMap keyed by the
/// object). V8 frees dead backing stores during the GC that finds them dead, synchronously when
/// it collects for memory pressure (`low_memory_notification`, the allocator's last-resort GC),
/// so a refused charge that collects garbage gets the bytes of dead owners back at once — a
/// FinalizationRegistry callback would run only as a later task.
pub fn owner<'s, T: Send + 'static>(scope: &mut v8::PinScope<'s, '_>, value: T) -> v8::Local<'s, v8::ArrayBuffer> {
  let cell = Box::into_raw(Box::new(Cell { tag: TypeId::of::<T>(), value }));
  // SAFETY: the pointer is valid for size_of::<Cell<T>>() bytes until drop_cell::<T> frees it.
  let store = unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(cell as *mut c_void, size_of::<Cell<T>>(), drop_cell::<T>, std::ptr::null_mut()) };
  v8::ArrayBuffer::with_backing_store(scope, &store.make_shared())
}

/// The value in an owner buffer made by `owner::<T>`, or None for anything else.
///
/// Only the isolate's thread calls this, with the buffer alive (a Local) for the borrow; the
/// platform JS never hands the same owner to two arguments of one native.
pub fn owned<'a, T: 'static>(value: v8::Local<v8::Value>) -> Option<&'a mut T> {
  let ab = v8::Local::<v8::ArrayBuffer>::try_from(value).ok()?;
  if ab.byte_length() != size_of::<Cell<T>>() || size_of::<Cell<T>>() < size_of::<TypeId>() {
    return None;
  }
  let data = ab.get_backing_store().data()?;
  // SAFETY: the buffer holds at least a TypeId; reading it is a plain read of initialized bytes
  // (every ArrayBuffer's bytes are). Only a matching tag — written by `owner::<T>` alone, and
  // never reachable by scripts — lets the cast below happen.
  let tag = unsafe { std::ptr::read_unaligned(data.as_ptr() as *const TypeId) };
  if tag != TypeId::of::<T>() {
    return None;
  }
  // SAFETY: the store is the Box<Cell<T>> `owner` made (tag and size match), alive while `ab` is.
  Some(unsafe { &mut (*(data.as_ptr() as *mut Cell<T>)).value })
}
