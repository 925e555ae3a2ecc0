//! Small helpers for the natives of the Web areas.

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

/// A Uint8Array over `bytes`, without copying them (the isolate takes ownership of the Vec).
pub fn uint8_array<'s>(scope: &mut v8::PinScope<'s, '_>, bytes: Vec<u8>) -> Option<v8::Local<'s, v8::Uint8Array>> {
  let len = bytes.len();
  let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared();
  let ab = v8::ArrayBuffer::with_backing_store(scope, &store);
  v8::Uint8Array::new(scope, ab, 0, len)
}

/// An ArrayBuffer over `bytes`, without copying them.
pub fn array_buffer<'s>(scope: &mut v8::PinScope<'s, '_>, bytes: Vec<u8>) -> v8::Local<'s, v8::ArrayBuffer> {
  let store = v8::ArrayBuffer::new_backing_store_from_vec(bytes).make_shared();
  v8::ArrayBuffer::with_backing_store(scope, &store)
}
