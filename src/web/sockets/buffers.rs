//! The read buffers of one runtime's native sockets. A bulk read fills a buffer of READ_CHUNK
//! bytes that becomes the script's chunk as it is (no copy); when the script's chunk is
//! collected, its buffer comes back here to be read into again. Without this, each large read
//! was a fresh allocation above malloc's mmap threshold: the kernel mapped and zeroed its pages
//! at every read and unmapped them at every collection, a fifth of the runtime's time in a bulk
//! read (perf). A short read is copied out to a chunk of its size and its buffer read into again.

use crate::limits::{Charge, MemoryBudget, Pool};
use std::ffi::c_void;
use std::sync::{Arc, Mutex};

/// The most one read takes from the socket (and one chunk carries).
pub const READ_CHUNK: usize = 256 * 1024;
/// Buffers kept for reuse per runtime (still charged to its memory while kept).
const KEEP: usize = 4;

#[derive(Default)]
pub struct Buffers {
  free: Mutex<Vec<Chunk>>,
}

/// Bytes read, charged to the runtime's memory (their capacity) until they are freed or kept.
pub struct Chunk {
  pub bytes: Vec<u8>,
  /// Some until a drop hands it over with a kept buffer.
  charge: Option<Charge>,
  /// Where a READ_CHUNK buffer goes back to once the script is done with it.
  home: Option<Arc<Buffers>>,
}

impl Chunk {
  /// `bytes` with the charge of their capacity (`charge.len() >= bytes.capacity()`).
  pub fn new(bytes: Vec<u8>, charge: Charge) -> Self {
    Self { bytes, charge: Some(charge), home: None }
  }

  #[cfg(test)]
  pub fn charged(&self) -> usize {
    self.charge.as_ref().map_or(0, Charge::len)
  }
}

impl Drop for Chunk {
  fn drop(&mut self) {
    let Some(home) = self.home.take() else { return };
    if self.bytes.capacity() != READ_CHUNK {
      return;
    }
    let Ok(mut free) = home.free.lock() else { return };
    if free.len() < KEEP {
      let mut bytes = std::mem::take(&mut self.bytes);
      bytes.clear();
      // The charge stays with the buffer while it is kept.
      free.push(Chunk { bytes, charge: self.charge.take(), home: None });
    }
  }
}

impl Buffers {
  /// An empty buffer of READ_CHUNK bytes, a kept one if any, else a new one when the runtime's
  /// memory has room for it (None: it has not).
  pub fn take(self: &Arc<Self>, budget: &Arc<MemoryBudget>) -> Option<Chunk> {
    let kept = self.free.lock().ok().and_then(|mut f| f.pop());
    let mut chunk = match kept {
      Some(c) => c,
      None => {
        let charge = budget.charge(Pool::ArrayBuffers, READ_CHUNK)?;
        Chunk::new(Vec::with_capacity(READ_CHUNK), charge)
      }
    };
    chunk.home = Some(self.clone());
    Some(chunk)
  }
}

/// Held only to be dropped with the backing store.
struct Owned {
  _chunk: Chunk,
}

unsafe extern "C" fn drop_owned(_data: *mut c_void, _len: usize, owned: *mut c_void) {
  // SAFETY: `owned` is the Box<Owned> leaked in `uint8_array`; V8 calls this once, when the last
  // ArrayBuffer on the store is gone (possibly on a GC thread: Chunk is Send).
  drop(unsafe { Box::from_raw(owned as *mut Owned) });
}

/// The chunk as a Uint8Array over its bytes (no copy), still charged; its buffer goes home when
/// the script's ArrayBuffer is collected.
pub fn uint8_array<'s>(scope: &mut v8::PinScope<'s, '_>, mut chunk: Chunk) -> Option<v8::Local<'s, v8::Uint8Array>> {
  let (ptr, len) = (chunk.bytes.as_mut_ptr(), chunk.bytes.len());
  if let Some(charge) = &chunk.charge {
    charge.backs_array_buffer();
  }
  // Moving the chunk into the box leaves its heap buffer (and `ptr`) where it is.
  let owned = Box::into_raw(Box::new(Owned { _chunk: chunk }));
  // SAFETY: `ptr` is valid for `len` bytes until drop_owned frees or keeps the buffer; nothing
  // else touches it meanwhile (a kept buffer is only taken again once V8 gave it back).
  let store = unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(ptr as *mut c_void, len, drop_owned, owned as *mut c_void) };
  let ab = v8::ArrayBuffer::with_backing_store(scope, &store.make_shared());
  v8::Uint8Array::new(scope, ab, 0, len)
}

#[cfg(test)]
mod tests {
  #![allow(clippy::unwrap_used)]
  use super::*;

  #[test]
  fn buffers_come_back_charged_and_at_most_keep_of_them() {
    let budget = MemoryBudget::new(64 << 20);
    let buffers = Arc::new(Buffers::default());
    let taken: Vec<Chunk> = (0..KEEP + 2).map(|_| buffers.take(&budget).unwrap()).collect();
    let ptrs: Vec<*const u8> = taken.iter().map(|c| c.bytes.as_ptr()).collect();
    assert_eq!(budget.used(Pool::ArrayBuffers), (KEEP + 2) * READ_CHUNK);
    drop(taken);
    // KEEP buffers are kept, still charged; the others are freed with their charge.
    assert_eq!(buffers.free.lock().unwrap().len(), KEEP);
    assert_eq!(budget.used(Pool::ArrayBuffers), KEEP * READ_CHUNK);
    let again = buffers.take(&budget).unwrap();
    assert!(ptrs.contains(&again.bytes.as_ptr()));
    assert!(again.bytes.is_empty() && again.bytes.capacity() == READ_CHUNK);
    drop(again);
    drop(buffers);
  }

  #[test]
  fn a_full_runtime_gets_no_buffer() {
    let budget = MemoryBudget::new(READ_CHUNK + READ_CHUNK / 2);
    let buffers = Arc::new(Buffers::default());
    let a = buffers.take(&budget).unwrap();
    assert!(buffers.take(&budget).is_none());
    drop(a);
    // Back from the kept ones, without a new charge.
    assert!(buffers.take(&budget).is_some());
  }
}
