//! Values that cross between the host and the isolate, with structured-clone semantics
//! (https://html.spec.whatwg.org/multipage/structured-data.html#safe-passing-of-structured-data):
//! primitives, plain objects, arrays, Date, RegExp, Map, Set, ArrayBuffer and views, Error.
//! Each side converts its own values to and from this tree; no object is ever shared.

use crate::errors::ErrorInfo;

/// Depth past which a value is refused (a cycle, or nesting no host API needs).
pub const MAX_DEPTH: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
  Int8,
  Uint8,
  Uint8Clamped,
  Int16,
  Uint16,
  Int32,
  Uint32,
  Float32,
  Float64,
  BigInt64,
  BigUint64,
  DataView,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
  Undefined,
  Null,
  Bool(bool),
  Number(f64),
  BigInt { negative: bool, words: Vec<u64> },
  String(String),
  /// A string that is not valid UTF-16 (it has lone surrogates), kept exactly.
  Utf16(Vec<u16>),
  /// An array's elements; a missing one (a hole, `[0, , 2]`) is [`Value::Hole`].
  Array(Vec<Value>),
  /// A missing element of an [`Value::Array`]: structured clone copies own properties only, so a
  /// hole stays a hole (whatever a prototype has at that index). Anywhere else it reads as
  /// undefined.
  Hole,
  Object(Vec<(String, Value)>),
  Date(f64),
  RegExp { source: String, flags: String },
  Map(Vec<(Value, Value)>),
  Set(Vec<Value>),
  ArrayBuffer(Vec<u8>),
  View { kind: ViewKind, bytes: Vec<u8> },
  Error(ErrorInfo),
  /// The same object as the n-th object (in depth-first pre-order) of this value: shared
  /// references and cycles survive the crossing, as structured clone requires.
  Ref(usize),
  /// A platform object that crosses by kind (a URL, Headers, a Blob, …) or a handle to something
  /// that stays on the host (a function, a promise, an async iterator). Made only by the
  /// conversions after a brand check of the object itself (internal slots inside, the host's own
  /// classes outside), never from a plain object's fields; `payload` is plain data the kind's
  /// maker on the other side reads (see [`Tag`]). Counts as one object for [`Value::Ref`],
  /// numbered before its payload.
  Tagged(Tag, Box<Value>),
}

/// What a [`Value::Tagged`] is, and its payload:
/// - `Url`: the href string.
/// - `Headers`: an array of `[name, value]` arrays.
/// - `Blob`: `[type, bytes]` (bytes a Uint8Array view).
/// - `File`: `[type, bytes, name, lastModified]`.
/// - `FormData`: an array of `[name, string | File]` arrays.
/// - `Request`: `[method, url, headers, body, redirect]`; `Response`: `[status, statusText,
///   headers, body, url]`; `body` null, or the id of a stream the receiver pulls (see
///   src/host/glue.js and src/host/wire.js).
/// - `Function`, `Promise`, `AsyncIterator`: the id of the host's value, which stays on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
  Url = 0,
  Headers = 1,
  Blob = 2,
  File = 3,
  FormData = 4,
  Request = 5,
  Response = 6,
  Function = 7,
  Promise = 8,
  AsyncIterator = 9,
}

impl Tag {
  pub fn from_number(n: f64) -> Option<Tag> {
    Some(match n as i64 {
      _ if n.fract() != 0.0 => return None,
      0 => Tag::Url,
      1 => Tag::Headers,
      2 => Tag::Blob,
      3 => Tag::File,
      4 => Tag::FormData,
      5 => Tag::Request,
      6 => Tag::Response,
      7 => Tag::Function,
      8 => Tag::Promise,
      9 => Tag::AsyncIterator,
      _ => return None,
    })
  }
}

impl Value {
  pub fn get(&self, key: &str) -> Option<&Value> {
    match self {
      Value::Object(props) => props.iter().find(|(k, _)| k == key).map(|(_, v)| v),
      _ => None,
    }
  }

  pub fn as_str(&self) -> Option<&str> {
    match self {
      Value::String(s) => Some(s),
      _ => None,
    }
  }
}

/// The isolate side of customFunctions values that cross by kind (see [`Tag`]).
pub const WIRE_JS: &str = include_str!("wire.js");

/// A value that cannot be cloned: the message of the DataCloneError to throw.
pub type CloneError = String;

pub fn too_deep() -> CloneError {
  format!("value is nested more than {MAX_DEPTH} levels deep, which cannot be passed between the host and the isolate")
}

/// What one element of a value tree costs in Rust memory, whatever it holds.
pub const NODE_BYTES: usize = std::mem::size_of::<Value>();
/// What one key of an object costs besides its text.
pub const KEY_BYTES: usize = std::mem::size_of::<(String, Value)>() - NODE_BYTES;

/// Bytes one conversion may still produce. A conversion (isolate → Value, host → Value, or
/// Value → host) may make at most the runtime's memory limit: past it the value is refused with a
/// DataCloneError, so a script cannot make the host copy more than its own memory limit
/// (e.g. one 1 MB string passed a thousand times).
#[derive(Clone, Copy, Debug)]
pub struct Budget {
  left: usize,
  limit: usize,
}

impl Budget {
  pub fn new(limit_bytes: usize) -> Self {
    Self { left: limit_bytes, limit: limit_bytes }
  }

  /// Takes `bytes` from the budget, or refuses the value.
  pub fn charge(&mut self, bytes: usize) -> Result<(), CloneError> {
    match self.left.checked_sub(bytes) {
      Some(left) => {
        self.left = left;
        Ok(())
      }
      None => {
        self.left = 0;
        Err(too_large(self.limit))
      }
    }
  }
}

pub fn too_large(limit_bytes: usize) -> CloneError {
  let mb = crate::errors::fmt_mb(limit_bytes as f64 / (1024.0 * 1024.0));
  format!(
    "value is larger than the runtime's memoryLimitMB ({mb} MB), which cannot be passed between the host and the isolate; pass less at a time"
  )
}

impl Value {
  /// Bytes this value accounts for in a [`Budget`] (the same sums the conversions charge).
  pub fn cost(&self) -> usize {
    let mut total = 0usize;
    let mut stack = vec![self];
    while let Some(v) = stack.pop() {
      total = total.saturating_add(NODE_BYTES + v.own_bytes());
      match v {
        Value::Array(items) | Value::Set(items) => stack.extend(items),
        Value::Tagged(_, payload) => stack.push(payload),
        Value::Object(props) => {
          for (k, item) in props {
            total = total.saturating_add(KEY_BYTES + k.len());
            stack.push(item);
          }
        }
        Value::Map(entries) => {
          for (k, item) in entries {
            stack.push(k);
            stack.push(item);
          }
        }
        _ => {}
      }
    }
    total
  }

  /// Bytes held by this node itself (text, bytes, words), not counting children.
  pub fn own_bytes(&self) -> usize {
    match self {
      Value::String(s) => s.len(),
      Value::Utf16(u) => u.len() * 2,
      Value::BigInt { words, .. } => words.len() * 8,
      Value::RegExp { source, flags } => source.len() + flags.len(),
      Value::ArrayBuffer(b) | Value::View { bytes: b, .. } => b.len(),
      Value::Error(e) => error_bytes(e),
      _ => 0,
    }
  }

  /// Nesting depth: 0 for a leaf, 1 + the deepest child for a container.
  pub fn depth(&self) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(self, 0usize)];
    while let Some((v, d)) = stack.pop() {
      deepest = deepest.max(d);
      match v {
        Value::Array(items) | Value::Set(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
        Value::Tagged(_, payload) => stack.push((payload, d + 1)),
        Value::Object(props) => stack.extend(props.iter().map(|(_, i)| (i, d + 1))),
        Value::Map(entries) => {
          for (k, i) in entries {
            stack.push((k, d + 1));
            stack.push((i, d + 1));
          }
        }
        _ => {}
      }
    }
    deepest
  }

  /// Whether this value may cross as it is: no deeper than [`MAX_DEPTH`] and within `limit_bytes`.
  pub fn check(&self, limit_bytes: usize) -> Result<(), CloneError> {
    if self.depth() > MAX_DEPTH {
      return Err(too_deep());
    }
    Budget::new(limit_bytes).charge(self.cost())
  }
}

fn error_bytes(e: &ErrorInfo) -> usize {
  e.name.len() + e.message.len() + e.stack.as_ref().map_or(0, |s| s.len()) + e.cause.as_ref().map_or(0, |c| error_bytes(c))
}

pub mod isolate {
  //! Conversions on the isolate thread.
  use super::*;

  /// Objects already met while reading a value, by identity hash.
  struct Reader<'s> {
    by_hash: std::collections::HashMap<i32, Vec<(v8::Local<'s, v8::Object>, usize)>>,
    count: usize,
    budget: Budget,
    /// src/wire.js's `out` and the context's `Object.prototype` (None without a runtime).
    wire: Option<(v8::Local<'s, v8::Function>, v8::Local<'s, v8::Value>)>,
  }

  /// The platform's customFunctions value makers (src/wire.js), kept per isolate.
  struct Wire {
    out: v8::Global<v8::Function>,
    into: v8::Global<v8::Function>,
    object_prototype: v8::Global<v8::Value>,
  }

  /// The natives of src/wire.js.
  pub fn wire_natives() -> crate::web::Natives {
    use v8::MapFnTo;
    vec![("wireInstall", wire_install.map_fn_to())]
  }

  /// `wireInstall(out, into, Object.prototype)`: run once per runtime, before user code.
  fn wire_install<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
    let (Ok(out), Ok(into)) = (v8::Local::<v8::Function>::try_from(args.get(0)), v8::Local::<v8::Function>::try_from(args.get(1))) else { return };
    let wire = Wire { out: v8::Global::new(scope, out), into: v8::Global::new(scope, into), object_prototype: v8::Global::new(scope, args.get(2)) };
    scope.set_slot(wire);
  }

  fn wire_out<'s>(scope: &mut v8::PinScope<'s, '_>) -> Option<(v8::Local<'s, v8::Function>, v8::Local<'s, v8::Value>)> {
    // Locals straight from the slot's Globals: cloning them made and released two global handles
    // on every conversion (every host call's reply reads a value).
    let w = scope.get_slot::<Wire>()?;
    Some((v8::Local::new(scope, &w.out), v8::Local::new(scope, &w.object_prototype)))
  }

  /// Reads what `out(obj)` of src/wire.js says `obj` is: None when it is not a platform object
  /// that crosses by kind. The payload is read as a value of its own (its objects are fresh,
  /// never referred to from outside), within what is left of `r`'s budget.
  fn tagged<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    out: v8::Local<'s, v8::Function>,
    obj: v8::Local<'s, v8::Object>,
    depth: usize,
    r: &mut Reader<'s>,
  ) -> Result<Option<Value>, CloneError> {
    v8::tc_scope!(let tc, scope);
    let recv = v8::undefined(tc).into();
    let Some(result) = out.call(tc, recv, &[obj.into()]) else {
      // E.g. a Request whose body was already used.
      let message = tc.exception().map(|e| error_info(tc, e)).map(|i| format!("{}: {}", i.name, i.message));
      return Err(message.unwrap_or_else(|| "the object could not be read".into()));
    };
    let Ok(pair) = v8::Local::<v8::Array>::try_from(result) else { return Ok(None) };
    let (Some(tag), Some(payload)) = (pair.get_index(tc, 0), pair.get_index(tc, 1)) else { return Ok(None) };
    let tag = tag.number_value(tc).unwrap_or(f64::NAN);
    if tag == -1.0 {
      // A platform object that cannot cross: `payload` says why.
      return Err(payload.to_rust_string_lossy(tc));
    }
    let Some(tag) = super::Tag::from_number(tag) else { return Ok(None) };
    let mut sub = Reader { by_hash: Default::default(), count: 0, budget: r.budget, wire: None };
    sub.wire = wire_out(tc);
    let payload = read(tc, payload, depth + 1, &mut sub);
    r.budget = sub.budget;
    Ok(Some(Value::Tagged(tag, Box::new(payload?))))
  }

  /// The runtime's memory limit, which bounds one conversion.
  pub fn limit_bytes(isolate: &v8::Isolate) -> usize {
    crate::runtime::State::get(isolate).map(|s| s.borrow().shared.budget.limit_bytes).unwrap_or(DEFAULT_LIMIT)
  }

  /// Without a runtime state (unit tests), the default memoryLimitMB.
  const DEFAULT_LIMIT: usize = 128 << 20;

  /// Reads an isolate value, within the runtime's memory limit.
  pub fn from_v8<'s>(scope: &mut v8::PinScope<'s, '_>, value: v8::Local<'s, v8::Value>) -> Result<Value, CloneError> {
    let limit = limit_bytes(scope);
    from_v8_within(scope, value, limit)
  }

  /// Reads an isolate value; it may account for at most `limit` bytes (see [`Budget`]).
  pub fn from_v8_within<'s>(scope: &mut v8::PinScope<'s, '_>, value: v8::Local<'s, v8::Value>, limit: usize) -> Result<Value, CloneError> {
    let wire = wire_out(scope);
    let mut reader = Reader { by_hash: Default::default(), count: 0, budget: Budget::new(limit), wire };
    read(scope, value, 0, &mut reader)
  }

  fn read<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
    depth: usize,
    r: &mut Reader<'s>,
  ) -> Result<Value, CloneError> {
    if depth > MAX_DEPTH {
      return Err(too_deep());
    }
    r.budget.charge(NODE_BYTES)?;
    if value.is_undefined() {
      return Ok(Value::Undefined);
    }
    if value.is_null() {
      return Ok(Value::Null);
    }
    if value.is_boolean() {
      return Ok(Value::Bool(value.is_true()));
    }
    if let Ok(n) = v8::Local::<v8::Number>::try_from(value) {
      return Ok(Value::Number(n.value()));
    }
    if let Ok(s) = v8::Local::<v8::String>::try_from(value) {
      return string_within(scope, s, &mut r.budget);
    }
    if let Ok(b) = v8::Local::<v8::BigInt>::try_from(value) {
      // Charged before the words are allocated: a BigInt may have millions of them.
      r.budget.charge(b.word_count().saturating_mul(8))?;
      let mut words = vec![0u64; b.word_count()];
      let (negative, w) = b.to_words_array(&mut words);
      let words = w.to_vec();
      return Ok(Value::BigInt { negative, words });
    }
    if value.is_symbol() {
      return Err("a Symbol cannot be cloned".into());
    }
    if value.is_function() {
      return Err("a function cannot be cloned".into());
    }
    // Before anything reads it: a proxy's traps are script code, and revoked ones throw.
    if value.is_proxy() {
      return Err("a Proxy cannot be cloned".into());
    }
    if value.is_promise() {
      return Err("a Promise cannot be cloned; await it first".into());
    }
    if value.is_shared_array_buffer() {
      return Err("a SharedArrayBuffer cannot be cloned between the host and the isolate".into());
    }
    let Ok(obj) = v8::Local::<v8::Object>::try_from(value) else {
      return Err("value cannot be cloned".into());
    };
    let hash = obj.get_identity_hash().get();
    if let Some(i) = r.by_hash.get(&hash).and_then(|l| l.iter().find(|(o, _)| *o == obj)).map(|(_, i)| *i) {
      return Ok(Value::Ref(i));
    }
    r.by_hash.entry(hash).or_default().push((obj, r.count));
    r.count += 1;
    if let Ok(d) = v8::Local::<v8::Date>::try_from(value) {
      return Ok(Value::Date(d.value_of()));
    }
    if let Ok(re) = v8::Local::<v8::RegExp>::try_from(value) {
      // Both from V8's internal slots: a script may redefine `flags` or `source` getters.
      let source = re.get_source(scope).to_rust_string_lossy(scope);
      let flags = regexp_flags_of(&re);
      r.budget.charge(source.len() + flags.len())?;
      return Ok(Value::RegExp { source, flags });
    }
    if let Ok(ab) = v8::Local::<v8::ArrayBuffer>::try_from(value) {
      // HTML StructuredSerialize: a detached buffer is a DataCloneError.
      if ab.was_detached() {
        return Err("An ArrayBuffer is detached and cannot be cloned.".to_string());
      }
      let len = ab.byte_length();
      r.budget.charge(len)?;
      let store = ab.get_backing_store();
      return Ok(Value::ArrayBuffer(copy_store(&store, len)));
    }
    if let Ok(view) = v8::Local::<v8::ArrayBufferView>::try_from(value) {
      // HTML StructuredSerialize: a view on a detached buffer, or out of a shrunk resizable
      // buffer's bounds, is a DataCloneError (V8 reports such a view as 0 bytes long).
      if let Some(buffer) = view.buffer(scope) {
        if buffer.was_detached() {
          return Err("An ArrayBufferView's buffer is detached and cannot be cloned.".to_string());
        }
        // V8's API reports an out-of-bounds view as 0 bytes at offset 0; so is a 0-byte view at
        // offset 0 of a non-empty resizable buffer, refused too (it carries no data).
        let resizable = buffer.get_backing_store().is_resizable_by_user_javascript();
        if resizable && view.byte_length() == 0 && view.byte_offset() == 0 && buffer.byte_length() > 0 {
          return Err("An ArrayBufferView is out of bounds of its resized buffer and cannot be cloned.".to_string());
        }
      }
      let len = view.byte_length();
      r.budget.charge(len)?;
      let mut bytes = vec![0u8; len];
      let n = view.copy_contents(&mut bytes);
      bytes.truncate(n);
      return Ok(Value::View { kind: view_kind(value), bytes });
    }
    if let Ok(map) = v8::Local::<v8::Map>::try_from(value) {
      // Refused before `as_array` copies the entries into a new array in the isolate's heap.
      if map.size().saturating_mul(2 * NODE_BYTES) > r.budget_left() {
        return Err(too_large(r.budget_limit()));
      }
      let flat = map.as_array(scope);
      let mut entries = Vec::new();
      let mut i = 0;
      while i + 1 < flat.length() {
        let k = element(scope, flat, i)?;
        let v = element(scope, flat, i + 1)?;
        entries.push((read(scope, k, depth + 1, r)?, read(scope, v, depth + 1, r)?));
        i += 2;
      }
      return Ok(Value::Map(entries));
    }
    if let Ok(set) = v8::Local::<v8::Set>::try_from(value) {
      if set.size().saturating_mul(NODE_BYTES) > r.budget_left() {
        return Err(too_large(r.budget_limit()));
      }
      let flat = set.as_array(scope);
      let mut items = Vec::new();
      for i in 0..flat.length() {
        let v = element(scope, flat, i)?;
        items.push(read(scope, v, depth + 1, r)?);
      }
      return Ok(Value::Set(items));
    }
    if value.is_native_error() {
      let info = error_info(scope, value);
      r.budget.charge(error_bytes(&info))?;
      return Ok(Value::Error(info));
    }
    if let Ok(arr) = v8::Local::<v8::Array>::try_from(value) {
      // `length` is the script's choice (up to 2^32 - 1, holes included): never sized by it;
      // each element is charged as it is read, so a huge sparse array fails fast.
      // Own elements only (https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializeinternal):
      // a hole is not read through the prototype chain, where a script's getter may sit.
      let mut items = Vec::new();
      for i in 0..arr.length() {
        if !has_own_element(scope, arr, i)? {
          r.budget.charge(NODE_BYTES)?;
          items.push(Value::Hole);
          continue;
        }
        let v = element(scope, arr, i)?;
        items.push(read(scope, v, depth + 1, r)?);
      }
      return Ok(Value::Array(items));
    }
    if value.is_module_namespace_object() || value.is_wasm_module_object() || value.is_wasm_memory_object() {
      return Err("this object cannot be cloned".into());
    }
    // A platform object (URL, Headers, Blob, File, FormData) crosses by kind. Plain objects, the
    // common case, are not asked about: their prototype is Object.prototype or null.
    if let Some((out, object_prototype)) = r.wire {
      let plain = match obj.get_prototype(scope) {
        Some(p) => p.is_null() || p.strict_equals(object_prototype),
        None => true,
      };
      if !plain {
        if let Some(v) = tagged(scope, out, obj, depth, r)? {
          return Ok(v);
        }
      }
    }
    let args = v8::GetPropertyNamesArgs {
      mode: v8::KeyCollectionMode::OwnOnly,
      property_filter: v8::PropertyFilter::ONLY_ENUMERABLE | v8::PropertyFilter::SKIP_SYMBOLS,
      index_filter: v8::IndexFilter::IncludeIndices,
      key_conversion: v8::KeyConversionMode::ConvertToString,
    };
    let Some(names) = obj.get_own_property_names(scope, args) else {
      return Err("could not read the object's properties".into());
    };
    let mut props = Vec::new();
    for i in 0..names.length() {
      let k = element(scope, names, i)?;
      let key = match string_within(scope, k.to_string(scope).ok_or("a property name could not be read")?, &mut r.budget)? {
        Value::String(s) => s,
        Value::Utf16(u) => String::from_utf16_lossy(&u),
        _ => String::new(),
      };
      r.budget.charge(KEY_BYTES)?;
      // A getter may throw or run arbitrary code; structured clone calls getters too.
      let Some(v) = obj.get(scope, k) else {
        return Err(format!("reading property '{}' threw", truncate(&key, 64)));
      };
      props.push((key, read(scope, v, depth + 1, r)?));
    }
    Ok(Value::Object(props))
  }

  impl Reader<'_> {
    fn budget_left(&self) -> usize {
      self.budget.left
    }
    fn budget_limit(&self) -> usize {
      self.budget.limit
    }
  }

  fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
      Some((i, _)) => &s[..i],
      None => s,
    }
  }

  /// Whether `arr` has an own element at `i` (data or accessor). The key string lives in a
  /// scope of its own: a long array does not pile up one handle per index.
  fn has_own_element(scope: &mut v8::PinScope, arr: v8::Local<v8::Array>, i: u32) -> Result<bool, CloneError> {
    v8::scope!(let inner, scope);
    let key = v8::Integer::new_from_unsigned(inner, i).to_string(inner).ok_or("an array index could not be read")?;
    arr.has_own_property(inner, key.into()).ok_or_else(|| format!("reading element {i} threw"))
  }

  /// `arr[i]`; a throwing getter (an accessor on an index) refuses the value.
  fn element<'s>(scope: &mut v8::PinScope<'s, '_>, arr: v8::Local<'s, v8::Array>, i: u32) -> Result<v8::Local<'s, v8::Value>, CloneError> {
    arr.get_index(scope, i).ok_or_else(|| format!("reading element {i} threw"))
  }

  /// A string's value within `budget`: its length is charged before any copy is made.
  fn string_within(scope: &mut v8::PinScope, s: v8::Local<v8::String>, budget: &mut Budget) -> Result<Value, CloneError> {
    let units = s.length();
    budget.charge(units)?;
    let v = string_value(scope, s);
    // What the copy really holds (UTF-8 may be up to 3 bytes per unit).
    budget.charge(v.own_bytes().saturating_sub(units))?;
    Ok(v)
  }

  /// A string's value; lone surrogates are kept (as UTF-16) rather than replaced.
  pub fn string_value(scope: &mut v8::PinScope, s: v8::Local<v8::String>) -> Value {
    if s.contains_only_onebyte() {
      return Value::String(s.to_rust_string_lossy(scope));
    }
    let mut units = vec![0u16; s.length()];
    s.write_v2(scope, 0, &mut units, v8::WriteFlags::empty());
    match String::from_utf16(&units) {
      Ok(text) => Value::String(text),
      Err(_) => Value::Utf16(units),
    }
  }

  fn copy_store(store: &v8::SharedRef<v8::BackingStore>, len: usize) -> Vec<u8> {
    let Some(data) = store.data() else { return Vec::new() };
    // A resizable buffer's store may be shorter than a stale length; never read past it.
    let len = len.min(store.byte_length());
    let base = data.as_ptr() as *const u8;
    // SAFETY: len lies within the store, which the isolate keeps alive while we copy.
    unsafe { std::slice::from_raw_parts(base, len) }.to_vec()
  }

  unsafe extern "C" {
    /// `v8::RegExp::GetFlags() const` (v8-regexp.h), which rusty_v8 does not bind: the flags
    /// from the RegExp's internal slot, where `re.flags` would run a script's getters.
    #[link_name = "_ZNK2v86RegExp8GetFlagsEv"]
    fn v8_regexp_get_flags(this: *const v8::RegExp) -> std::ffi::c_int;
  }

  /// The flags of a RegExp, in the order `RegExp.prototype.flags` gives them.
  fn regexp_flags_of(re: &v8::Local<v8::RegExp>) -> String {
    // SAFETY: a Local<RegExp> dereferences to the handle V8's C++ API calls `this`.
    let bits = unsafe { v8_regexp_get_flags(&**re as *const v8::RegExp) };
    let f = v8::RegExpCreationFlags::from_bits_truncate(bits);
    let mut out = String::new();
    for (flag, c) in [
      (v8::RegExpCreationFlags::HAS_INDICES, 'd'),
      (v8::RegExpCreationFlags::GLOBAL, 'g'),
      (v8::RegExpCreationFlags::IGNORE_CASE, 'i'),
      (v8::RegExpCreationFlags::MULTILINE, 'm'),
      (v8::RegExpCreationFlags::DOT_ALL, 's'),
      (v8::RegExpCreationFlags::UNICODE, 'u'),
      (v8::RegExpCreationFlags::UNICODE_SETS, 'v'),
      (v8::RegExpCreationFlags::STICKY, 'y'),
    ] {
      if f.contains(flag) {
        out.push(c);
      }
    }
    out
  }

  fn view_kind(v: v8::Local<v8::Value>) -> ViewKind {
    if v.is_uint8_array() {
      ViewKind::Uint8
    } else if v.is_uint8_clamped_array() {
      ViewKind::Uint8Clamped
    } else if v.is_int8_array() {
      ViewKind::Int8
    } else if v.is_int16_array() {
      ViewKind::Int16
    } else if v.is_uint16_array() {
      ViewKind::Uint16
    } else if v.is_int32_array() {
      ViewKind::Int32
    } else if v.is_uint32_array() {
      ViewKind::Uint32
    } else if v.is_float32_array() {
      ViewKind::Float32
    } else if v.is_float64_array() {
      ViewKind::Float64
    } else if v.is_big_int64_array() {
      ViewKind::BigInt64
    } else if v.is_big_uint64_array() {
      ViewKind::BigUint64
    } else if v.is_data_view() {
      ViewKind::DataView
    } else {
      ViewKind::Uint8
    }
  }

  /// `obj[key]` as a string; None when it is undefined, or when reading or converting it throws.
  /// Read under its own TryCatch: what the read throws (a getter, an `Error.prepareStackTrace`
  /// whose result's toString throws a fresh error, whose stack throws again...) is dropped here,
  /// never left pending nor reported as an uncaught exception to be described in turn.
  pub fn get_string<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    obj: v8::Local<'s, v8::Value>,
    key: &str,
  ) -> Option<String> {
    v8::tc_scope!(let tc, scope);
    let obj = obj.to_object(tc)?;
    let k = v8::String::new(tc, key)?;
    let v = obj.get(tc, k.into())?;
    if v.is_undefined() {
      return None;
    }
    let s = v.to_string(tc)?;
    Some(s.to_rust_string_lossy(tc))
  }

  /// ToString of a thrown non-error, under its own TryCatch (a Symbol, or an object whose
  /// toString throws, shows as a placeholder).
  fn describe_thrown<'s>(scope: &mut v8::PinScope<'s, '_>, value: v8::Local<'s, v8::Value>) -> String {
    v8::tc_scope!(let tc, scope);
    match value.to_string(tc) {
      Some(s) => s.to_rust_string_lossy(tc),
      None => format!("[{} that cannot be converted to a string]", value.type_of(tc).to_rust_string_lossy(tc)),
    }
  }

  /// The name, message and stack of a thrown value (an Error or anything else).
  pub fn error_info<'s>(scope: &mut v8::PinScope<'s, '_>, exception: v8::Local<'s, v8::Value>) -> ErrorInfo {
    if exception.is_object() {
      let name = get_string(scope, exception, "name").unwrap_or_else(|| "Error".into());
      let message = get_string(scope, exception, "message").unwrap_or_default();
      let stack = get_string(scope, exception, "stack");
      if exception.is_native_error() || stack.is_some() {
        return ErrorInfo { name, message, stack, ..ErrorInfo::default() };
      }
    }
    ErrorInfo::new("Error", describe_thrown(scope, exception))
  }

  pub fn to_v8<'s>(scope: &mut v8::PinScope<'s, '_>, value: &Value) -> Option<v8::Local<'s, v8::Value>> {
    write(scope, value, &mut Vec::new())
  }

  /// `made` holds the objects created so far, in the pre-order `Value::Ref` counts in.
  fn write<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: &Value,
    made: &mut Vec<v8::Local<'s, v8::Value>>,
  ) -> Option<v8::Local<'s, v8::Value>> {
    let made_now: v8::Local<'s, v8::Value> = match value {
      Value::Ref(i) => return made.get(*i).copied(),
      Value::Undefined | Value::Hole => return Some(v8::undefined(scope).into()),
      Value::Null => return Some(v8::null(scope).into()),
      Value::Bool(b) => return Some(v8::Boolean::new(scope, *b).into()),
      Value::Number(n) => return Some(v8::Number::new(scope, *n).into()),
      Value::BigInt { negative, words } => return Some(v8::BigInt::new_from_words(scope, *negative, words)?.into()),
      Value::String(s) => return Some(v8::String::new(scope, s)?.into()),
      Value::Utf16(u) => return Some(v8::String::new_from_two_byte(scope, u, v8::NewStringType::Normal)?.into()),
      Value::Array(items) if !items.iter().any(|v| matches!(v, Value::Hole)) && !items.iter().any(|v| refers_to(v, made.len())) => {
        // A packed array (every call into the isolate passes one) made from its elements at
        // once: per-index CreateDataProperty was a runtime slow path per element. Its number in
        // `made` is taken first (pre-order); nothing inside refers back to it.
        let index = made.len();
        made.push(v8::undefined(scope).into());
        let mut elements = Vec::with_capacity(items.len());
        for item in items {
          elements.push(write(scope, item, made)?);
        }
        let arr: v8::Local<v8::Value> = v8::Array::new_with_elements(scope, &elements).into();
        if let Some(slot) = made.get_mut(index) {
          *slot = arr;
        }
        return Some(arr);
      }
      Value::Array(items) => {
        // Made with its length: trailing holes count too.
        let arr = v8::Array::new(scope, i32::try_from(items.len()).ok()?);
        made.push(arr.into());
        for (i, item) in items.iter().enumerate() {
          if matches!(item, Value::Hole) {
            continue;
          }
          let v = write(scope, item, made)?;
          let k = v8::String::new(scope, &i.to_string())?;
          // Own data properties, as structured clone makes them: no setter of a prototype runs.
          arr.create_data_property(scope, k.into(), v)?;
        }
        return Some(arr.into());
      }
      Value::Object(props) => {
        let obj = v8::Object::new(scope);
        made.push(obj.into());
        for (k, item) in props {
          let key = v8::String::new(scope, k)?;
          let v = write(scope, item, made)?;
          // `__proto__` or a key with a setter on Object.prototype stays an own data property.
          obj.create_data_property(scope, key.into(), v)?;
        }
        return Some(obj.into());
      }
      Value::Date(t) => v8::Date::new(scope, *t)?.into(),
      Value::RegExp { source, flags } => {
        let pattern = v8::String::new(scope, source)?;
        v8::RegExp::new(scope, pattern, regexp_flags(flags))?.into()
      }
      Value::Map(entries) => {
        let map = v8::Map::new(scope);
        made.push(map.into());
        for (k, v) in entries {
          let k = write(scope, k, made)?;
          let v = write(scope, v, made)?;
          map.set(scope, k, v)?;
        }
        return Some(map.into());
      }
      Value::Set(items) => {
        let set = v8::Set::new(scope);
        made.push(set.into());
        for item in items {
          let v = write(scope, item, made)?;
          set.add(scope, v)?;
        }
        return Some(set.into());
      }
      Value::ArrayBuffer(bytes) => array_buffer(scope, bytes)?.into(),
      Value::View { kind, bytes } => {
        let buf = array_buffer(scope, bytes)?;
        let n = bytes.len();
        let size = match kind {
          ViewKind::Int16 | ViewKind::Uint16 => 2,
          ViewKind::Int32 | ViewKind::Uint32 | ViewKind::Float32 => 4,
          ViewKind::Float64 | ViewKind::BigInt64 | ViewKind::BigUint64 => 8,
          _ => 1,
        };
        let len = n / size;
        match kind {
          ViewKind::Int8 => v8::Int8Array::new(scope, buf, 0, len)?.into(),
          ViewKind::Uint8 => v8::Uint8Array::new(scope, buf, 0, len)?.into(),
          ViewKind::Uint8Clamped => v8::Uint8ClampedArray::new(scope, buf, 0, len)?.into(),
          ViewKind::Int16 => v8::Int16Array::new(scope, buf, 0, len)?.into(),
          ViewKind::Uint16 => v8::Uint16Array::new(scope, buf, 0, len)?.into(),
          ViewKind::Int32 => v8::Int32Array::new(scope, buf, 0, len)?.into(),
          ViewKind::Uint32 => v8::Uint32Array::new(scope, buf, 0, len)?.into(),
          ViewKind::Float32 => v8::Float32Array::new(scope, buf, 0, len)?.into(),
          ViewKind::Float64 => v8::Float64Array::new(scope, buf, 0, len)?.into(),
          ViewKind::BigInt64 => v8::BigInt64Array::new(scope, buf, 0, len)?.into(),
          ViewKind::BigUint64 => v8::BigUint64Array::new(scope, buf, 0, len)?.into(),
          ViewKind::DataView => v8::DataView::new(scope, buf, 0, n).into(),
        }
      }
      Value::Error(info) => make_error(scope, info)?,
      Value::Tagged(tag, payload) => {
        // Numbered before its payload, whose objects are its own (see `tagged`).
        let index = made.len();
        made.push(v8::undefined(scope).into());
        let obj = make_tagged(scope, *tag, payload)?;
        if let Some(slot) = made.get_mut(index) {
          *slot = obj;
        }
        return Some(obj);
      }
    };
    made.push(made_now);
    Some(made_now)
  }

  /// Whether `value` holds a `Value::Ref` to object number `index`.
  fn refers_to(value: &Value, index: usize) -> bool {
    match value {
      Value::Ref(i) => *i == index,
      Value::Array(items) | Value::Set(items) => items.iter().any(|v| refers_to(v, index)),
      Value::Object(props) => props.iter().any(|(_, v)| refers_to(v, index)),
      Value::Map(entries) => entries.iter().any(|(k, v)| refers_to(k, index) || refers_to(v, index)),
      Value::Tagged(_, payload) => refers_to(payload, index),
      _ => false,
    }
  }

  /// Tells the host to let go of value `id` (a function or async iterator it handed over) once
  /// the isolate's stand-in for it is collected, or the isolate goes away.
  struct Release {
    host: std::sync::Arc<dyn crate::runtime::Host>,
    tx: crate::runtime::Mailbox,
    /// `wireRelease` (a kept value) or `wireBodyRelease` (a body stream the glue keeps).
    op: &'static str,
    id: f64,
  }

  impl Drop for Release {
    fn drop(&mut self) {
      let op = crate::runtime::HostOp::Glue { name: self.op.into(), args: vec![Value::Number(self.id)] };
      // Waiter 0 is never a pending call: the reply is dropped.
      self.host.call_async(op, 0, self.tx.clone());
    }
  }

  /// A platform object, or a stand-in for a host value, made by src/wire.js's `into`.
  fn make_tagged<'s>(scope: &mut v8::PinScope<'s, '_>, tag: super::Tag, payload: &Value) -> Option<v8::Local<'s, v8::Value>> {
    use super::Tag;
    let into = scope.get_slot::<Wire>().map(|w| w.into.clone())?;
    let into = v8::Local::new(scope, &into);
    let payload_v = write(scope, payload, &mut Vec::new())?;
    let released = match (tag, payload) {
      (Tag::Function | Tag::AsyncIterator, Value::Number(id)) => Some(("wireRelease", *id)),
      // A Request's or Response's body stream, kept by the glue until read, cancelled or let go.
      (Tag::Request | Tag::Response, Value::Array(items)) => match items.get(3) {
        Some(Value::Number(id)) => Some(("wireBodyRelease", *id)),
        _ => None,
      },
      _ => None,
    };
    let owner: v8::Local<v8::Value> = match released {
      Some((op, id)) => {
        let state = crate::runtime::State::get(scope)?;
        let (host, tx) = {
          let s = state.borrow();
          (s.host.clone(), s.tx.clone())
        };
        crate::web::util::owner(scope, Release { host, tx, op, id }).into()
      }
      None => v8::undefined(scope).into(),
    };
    let tag_v = v8::Number::new(scope, tag as u8 as f64).into();
    // Under a TryCatch of its own (what `into` throws is dropped: the value is not made), then
    // handed out of it through a Global.
    let made = {
      v8::tc_scope!(let tc, scope);
      let recv = v8::undefined(tc).into();
      into.call(tc, recv, &[tag_v, payload_v, owner]).map(|m| v8::Global::new(tc, m))
    }?;
    Some(v8::Local::new(scope, &made))
  }

  /// A copy of `bytes`, counted against the runtime's ArrayBuffer limit like every buffer made
  /// in Rust (past it the runtime ends with MemoryLimitError and None is returned).
  pub fn array_buffer<'s>(scope: &mut v8::PinScope<'s, '_>, bytes: &[u8]) -> Option<v8::Local<'s, v8::ArrayBuffer>> {
    crate::web::util::array_buffer_from_slice(scope, bytes)
  }

  fn regexp_flags(flags: &str) -> v8::RegExpCreationFlags {
    let mut f = v8::RegExpCreationFlags::empty();
    for c in flags.chars() {
      f |= match c {
        'g' => v8::RegExpCreationFlags::GLOBAL,
        'i' => v8::RegExpCreationFlags::IGNORE_CASE,
        'm' => v8::RegExpCreationFlags::MULTILINE,
        'y' => v8::RegExpCreationFlags::STICKY,
        'u' => v8::RegExpCreationFlags::UNICODE,
        's' => v8::RegExpCreationFlags::DOT_ALL,
        'd' => v8::RegExpCreationFlags::HAS_INDICES,
        'v' => v8::RegExpCreationFlags::UNICODE_SETS,
        _ => v8::RegExpCreationFlags::empty(),
      };
    }
    f
  }

  /// An isolate error of the standard class when the name is one, else an Error with that name.
  pub fn make_error<'s>(scope: &mut v8::PinScope<'s, '_>, info: &ErrorInfo) -> Option<v8::Local<'s, v8::Value>> {
    let msg = v8::String::new(scope, &info.message)?;
    let err = match info.name.as_str() {
      "TypeError" => v8::Exception::type_error(scope, msg),
      "RangeError" => v8::Exception::range_error(scope, msg),
      "SyntaxError" => v8::Exception::syntax_error(scope, msg),
      "ReferenceError" => v8::Exception::reference_error(scope, msg),
      _ => v8::Exception::error(scope, msg),
    };
    let obj = err.to_object(scope)?;
    if !matches!(info.name.as_str(), "Error" | "TypeError" | "RangeError" | "SyntaxError" | "ReferenceError") {
      let k = v8::String::new(scope, "name")?;
      let v = v8::String::new(scope, &info.name)?;
      obj.define_own_property(scope, k.into(), v.into(), v8::PropertyAttribute::DONT_ENUM)?;
    }
    if let Some(stack) = &info.stack {
      let k = v8::String::new(scope, "stack")?;
      let v = v8::String::new(scope, stack)?;
      obj.define_own_property(scope, k.into(), v.into(), v8::PropertyAttribute::DONT_ENUM)?;
    }
    Some(err)
  }
}

#[cfg(test)]
mod tests {
  #![allow(clippy::unwrap_used)]
  use super::*;
  use proptest::prelude::*;

  fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
      Just(Value::Undefined),
      Just(Value::Null),
      any::<bool>().prop_map(Value::Bool),
      any::<f64>().prop_map(Value::Number),
      ".{0,40}".prop_map(Value::String),
      proptest::collection::vec(any::<u16>(), 0..20).prop_map(Value::Utf16),
      proptest::collection::vec(any::<u64>(), 0..4).prop_map(|words| Value::BigInt { negative: false, words }),
      proptest::collection::vec(any::<u8>(), 0..64).prop_map(Value::ArrayBuffer),
      (".{0,10}", "[dgimsuvy]{0,3}").prop_map(|(source, flags)| Value::RegExp { source, flags }),
      any::<usize>().prop_map(|i| Value::Ref(i % 8)),
    ]
  }

  fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 200, 8, |inner| {
      prop_oneof![
        proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
        proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Set),
        proptest::collection::vec((".{0,12}", inner.clone()), 0..8).prop_map(Value::Object),
        proptest::collection::vec((inner.clone(), inner), 0..4).prop_map(Value::Map),
      ]
    })
  }

  fn children(v: &Value) -> Vec<&Value> {
    match v {
      Value::Array(items) | Value::Set(items) => items.iter().collect(),
      Value::Tagged(_, payload) => vec![payload],
      Value::Object(props) => props.iter().map(|(_, v)| v).collect(),
      Value::Map(entries) => entries.iter().flat_map(|(k, v)| [k, v]).collect(),
      _ => Vec::new(),
    }
  }

  fn nested(depth: usize) -> Value {
    let mut v = Value::Null;
    for _ in 0..depth {
      v = Value::Array(vec![v]);
    }
    v
  }

  proptest! {
    #[test]
    fn a_container_costs_more_than_all_its_children(v in tree()) {
      let kids: usize = children(&v).iter().map(|c| c.cost()).sum();
      prop_assert!(v.cost() >= NODE_BYTES + kids);
      prop_assert!(v.cost() >= NODE_BYTES + v.own_bytes());
    }

    #[test]
    fn check_accepts_exactly_the_values_within_the_limit(v in tree(), slack in 0usize..64) {
      let cost = v.cost();
      prop_assert!(v.check(cost + slack).is_ok());
      if cost > 0 {
        let err = v.check(cost - 1).unwrap_err();
        prop_assert!(err.contains("memoryLimitMB"), "{}", err);
      }
    }

    #[test]
    fn depth_is_one_more_than_the_deepest_child(v in tree()) {
      let deepest = children(&v).iter().map(|c| c.depth() + 1).max().unwrap_or(0);
      prop_assert_eq!(v.depth(), deepest);
    }

    #[test]
    fn a_budget_refuses_once_charges_pass_its_limit(limit in 0usize..10_000, charges in proptest::collection::vec(0usize..2_000, 0..20)) {
      let mut b = Budget::new(limit);
      let mut total = 0usize;
      for c in charges {
        total += c;
        let r = b.charge(c);
        prop_assert_eq!(r.is_ok(), total <= limit);
        if r.is_err() {
          break;
        }
      }
    }
  }

  #[test]
  fn values_nested_past_the_limit_are_refused_without_recursion() {
    assert!(nested(MAX_DEPTH).check(usize::MAX).is_ok());
    assert_eq!(nested(MAX_DEPTH + 1).check(usize::MAX).unwrap_err(), too_deep());
    // depth() and cost() walk with their own stack: a very deep tree does not overflow ours.
    let deep = nested(200_000);
    assert_eq!(deep.depth(), 200_000);
    assert_eq!(deep.cost(), 200_001 * NODE_BYTES);
    // Dropping it recursively would: take it apart level by level.
    let mut v = deep;
    while let Value::Array(mut items) = v {
      v = items.pop().unwrap_or(Value::Null);
    }
  }

  #[test]
  fn tags_are_read_only_from_their_numbers() {
    for t in [Tag::Url, Tag::Headers, Tag::Blob, Tag::File, Tag::FormData, Tag::Request, Tag::Response, Tag::Function, Tag::Promise, Tag::AsyncIterator] {
      assert_eq!(Tag::from_number(t as u8 as f64), Some(t));
    }
    for n in [-1.0, 0.5, 10.0, f64::NAN, f64::INFINITY, 1e300] {
      assert_eq!(Tag::from_number(n), None, "{n}");
    }
  }

  #[test]
  fn a_tagged_value_counts_its_payload_in_cost_and_depth() {
    let payload = Value::Array(vec![Value::String("text/plain".into()), Value::View { kind: ViewKind::Uint8, bytes: vec![0; 1000] }]);
    let tagged = Value::Tagged(Tag::Blob, Box::new(payload.clone()));
    assert_eq!(tagged.cost(), NODE_BYTES + payload.cost());
    assert_eq!(tagged.depth(), payload.depth() + 1);
    assert!(tagged.check(NODE_BYTES + 1000).is_err());
    let mut deep = Value::Null;
    for _ in 0..=MAX_DEPTH {
      deep = Value::Tagged(Tag::Url, Box::new(deep));
    }
    assert_eq!(deep.check(usize::MAX), Err(too_deep()));
  }

  #[test]
  fn the_too_large_message_names_the_limit() {
    assert_eq!(
      too_large(32 << 20),
      "value is larger than the runtime's memoryLimitMB (32 MB), which cannot be passed between the host and the isolate; pass less at a time"
    );
  }

  struct NoHost;

  impl crate::runtime::Host for NoHost {
    fn console_entry(&self, _entry: Value) {}
    fn call_sync(&self, _index: usize, _args: Vec<Value>) -> crate::runtime::Outcome {
      Ok(Value::Undefined)
    }
    fn call_async(&self, _op: crate::runtime::HostOp, _id: u64, _reply: crate::runtime::Mailbox) {}
    fn command(&self, _command: Value) {}
    fn shutdown(&self) {}
  }

  /// Runs `f` as a task of a fresh runtime and returns what it returns (a panic in `f` is
  /// re-raised here). A runtime, not a bare isolate: its isolate has the State that ArrayBuffers
  /// are charged to, and every isolate of the process then comes from the same startup snapshot
  /// (a bare isolate from V8's built-in snapshot, alive while a runtime's isolate is being
  /// created, made V8 abort in the shared read-only heap: "vector[] index out of bounds" in
  /// SharedHeapDeserializer::DeserializeStringTable).
  fn in_runtime<T: Send + 'static>(f: impl for<'s, 'i> FnOnce(&mut v8::PinScope<'s, 'i>) -> T + Send + 'static) -> T {
    use crate::runtime::{Msg, RuntimeHandle};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;
    let (ready_tx, ready_rx) = mpsc::channel();
    let rt = RuntimeHandle::spawn(Default::default(), Arc::new(NoHost), Box::new(move |r| ready_tx.send(r).unwrap())).unwrap();
    ready_rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    let (tx, rx) = mpsc::channel();
    assert!(rt.send(Msg::Task(Box::new(move |scope| {
      let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(scope))));
    }))));
    let out = rx.recv_timeout(Duration::from_secs(120)).unwrap();
    rt.stop_and_wait(Duration::from_secs(10));
    out.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
  }

  /// Runs `f` in a fresh runtime's context.
  fn with_context(f: impl for<'s, 'i> FnOnce(&mut v8::PinScope<'s, 'i>) + Send + 'static) {
    in_runtime(f)
  }

  fn run<'s>(scope: &mut v8::PinScope<'s, '_>, code: &str) -> v8::Local<'s, v8::Value> {
    let src = v8::String::new(scope, code).unwrap();
    let script = v8::Script::compile(scope, src, None).unwrap();
    script.run(scope).unwrap()
  }

  #[test]
  fn isolate_values_are_read_within_the_budget() {
    with_context(|scope| {
      // A script-chosen length never sizes an allocation: this fails fast instead of aborting.
      let huge = run(scope, "const a = []; a.length = 2 ** 32 - 1; a");
      let err = isolate::from_v8_within(scope, huge, 1 << 20).unwrap_err();
      assert!(err.contains("memoryLimitMB (1 MB)"), "{err}");
      // One string passed many times counts each time.
      let amplified = run(scope, "Array(64).fill('x'.repeat(1 << 16))");
      assert!(isolate::from_v8_within(scope, amplified, 1 << 20).is_err());
      assert!(isolate::from_v8_within(scope, amplified, 8 << 20).is_ok());
      let big_map = run(scope, "new Map(Array.from({ length: 100000 }, (_, i) => [i, i]))");
      assert!(isolate::from_v8_within(scope, big_map, 1 << 20).unwrap_err().contains("memoryLimitMB"));
      let bigint = run(scope, "2n ** 100000n");
      assert!(isolate::from_v8_within(scope, bigint, 1 << 10).is_err());
    });
  }

  #[test]
  fn isolate_regexp_flags_come_from_v8_not_from_getters() {
    with_context(|scope| {
      let re = run(
        scope,
        "const r = /a.b/gsu; Object.defineProperty(r, 'flags', { get() { throw new Error('no') } });\
         Object.defineProperty(RegExp.prototype, 'source', { get() { return 'forged' } }); r",
      );
      let v = isolate::from_v8_within(scope, re, 1 << 20).unwrap();
      assert_eq!(v, Value::RegExp { source: "a.b".into(), flags: "gsu".into() });
      let all = run(scope, "/x/dgimsy");
      assert_eq!(isolate::from_v8_within(scope, all, 1 << 20).unwrap(), Value::RegExp { source: "x".into(), flags: "dgimsy".into() });
    });
  }

  #[test]
  fn isolate_hostile_objects_are_refused_cleanly() {
    with_context(|scope| {
      for (code, want) in [
        ("({ get x() { throw new Error('boom') } })", "reading property 'x' threw"),
        ("new Proxy({}, {})", "Proxy"),
        ("(() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy })()", "Proxy"),
        ("(() => { let v = 0; for (let i = 0; i < 600; i++) v = [v]; return v })()", "nested"),
        ("[Symbol()]", "Symbol"),
        ("({ f() {} })", "function"),
      ] {
        let v = run(scope, code);
        let err = isolate::from_v8_within(scope, v, 1 << 20).unwrap_err();
        assert!(err.contains(want), "{code}: {err}");
      }
      // HTML StructuredSerialize: a detached buffer, or a view on one, is a DataCloneError.
      let detached = run(scope, "const b = new ArrayBuffer(8); const u = new Uint8Array(b); b.transfer(); [b, u]");
      assert!(isolate::from_v8_within(scope, detached, 1 << 20).unwrap_err().contains("detached"));
      let view = run(scope, "u");
      assert!(isolate::from_v8_within(scope, view, 1 << 20).unwrap_err().contains("detached"));
      let cycle = run(scope, "const c = { n: 1 }; c.self = c; c");
      assert_eq!(
        isolate::from_v8_within(scope, cycle, 1 << 20).unwrap(),
        Value::Object(vec![("n".into(), Value::Number(1.0)), ("self".into(), Value::Ref(0))])
      );
    });
  }

  #[test]
  fn isolate_objects_are_written_with_own_data_properties() {
    with_context(|scope| {
      run(scope, "globalThis.ran = false; Object.defineProperty(Object.prototype, 'k', { set() { globalThis.ran = true }, configurable: true })");
      let v = Value::Object(vec![
        ("__proto__".into(), Value::Object(vec![("polluted".into(), Value::Bool(true))])),
        ("k".into(), Value::Number(1.0)),
      ]);
      let made = isolate::to_v8(scope, &v).unwrap();
      let global = scope.get_current_context().global(scope);
      let name = v8::String::new(scope, "made").unwrap();
      global.set(scope, name.into(), made).unwrap();
      let checks = run(
        scope,
        "[Object.getPrototypeOf(made) === Object.prototype, Object.hasOwn(made, '__proto__'), made.polluted === undefined, \
          Object.getOwnPropertyDescriptor(made, 'k').value === 1, ran === false].every(Boolean)",
      );
      assert!(checks.is_true());
    });
  }

  #[test]
  fn isolate_array_holes_stay_holes_whatever_the_prototype_has() {
    with_context(|scope| {
      let v = run(scope, "Object.defineProperty(Array.prototype, 1, { get() { return 'junk' }, configurable: true }); [0, , 2, , ]");
      let read = isolate::from_v8_within(scope, v, 1 << 20).unwrap();
      assert_eq!(read, Value::Array(vec![Value::Number(0.0), Value::Hole, Value::Number(2.0), Value::Hole]));
      let made = isolate::to_v8(scope, &read).unwrap();
      let global = scope.get_current_context().global(scope);
      let name = v8::String::new(scope, "made").unwrap();
      global.set(scope, name.into(), made).unwrap();
      let checks = run(scope, "made.length === 4 && !Object.hasOwn(made, 1) && !Object.hasOwn(made, 3) && made[0] === 0 && made[2] === 2");
      assert!(checks.is_true());
      // An own accessor is an element: its getter is read, as structured clone does.
      let own = run(scope, "const a = [1, 2]; Object.defineProperty(a, 1, { get() { return 'own' }, enumerable: true }); a");
      assert_eq!(isolate::from_v8_within(scope, own, 1 << 20).unwrap(), Value::Array(vec![Value::Number(1.0), Value::String("own".into())]));
      // Holes are charged too: a huge sparse array fails fast.
      let sparse = run(scope, "const s = []; s.length = 2 ** 32 - 1; s[5] = 1; s");
      assert!(isolate::from_v8_within(scope, sparse, 1 << 16).unwrap_err().contains("memoryLimitMB"));
    });
  }

  #[test]
  fn isolate_error_info_drops_what_formatting_the_stack_throws() {
    with_context(|scope| {
      v8::tc_scope!(let tc, scope);
      let e = run(tc, "Error.prepareStackTrace = () => ({ toString() { throw new Error('junk') } }); new Error('boom')");
      let info = isolate::error_info(tc, e);
      assert_eq!((info.name.as_str(), info.message.as_str(), info.stack), ("Error", "boom", None));
      assert!(!tc.has_caught(), "the stack's exception must not be left pending");
      let sym = run(tc, "Symbol('s')");
      assert!(isolate::error_info(tc, sym).message.contains("symbol"));
      assert!(!tc.has_caught());
    });
  }

  /// Random values written into a runtime's isolate and read back (the path of every host call
  /// and of structured clone's host side). The generators make canonical values, as JS has them
  /// (an object's index keys first, no duplicate Map keys or Set items, a Date's time clipped),
  /// so what comes back must be the very same tree.
  mod round_trip {
    use super::super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use std::collections::HashSet;

    fn number() -> impl Strategy<Value = f64> {
      prop_oneof![
        1 => any::<f64>(),
        1 => (-1e6f64..1e6).prop_map(f64::trunc),
        2 => prop::sample::select(vec![f64::NAN, -0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN, 5e-324, 2f64.powi(53), 8.64e15, -8.64e15, 8.64e15 + 1.0]),
      ]
    }

    /// ECMA-262 TimeClip: what a Date holds.
    fn time_clip(t: f64) -> f64 {
      if !t.is_finite() || t.abs() > 8.64e15 {
        f64::NAN
      } else {
        t.trunc() + 0.0
      }
    }

    /// UTF-16 with lone surrogates mixed in; valid text is a String (as the reader makes it).
    fn utf16() -> impl Strategy<Value = Value> {
      proptest::collection::vec(prop_oneof![0xd800u16..0xe000, 0x20u16..0x80, any::<u16>()], 0..12).prop_map(|units| match String::from_utf16(&units) {
        Ok(s) => Value::String(s),
        Err(_) => Value::Utf16(units),
      })
    }

    fn bigint() -> impl Strategy<Value = Value> {
      (any::<bool>(), proptest::collection::vec(prop_oneof![any::<u64>(), Just(0u64)], 0..4)).prop_map(|(negative, mut words)| {
        while words.last() == Some(&0) {
          words.pop();
        }
        Value::BigInt { negative: negative && !words.is_empty(), words }
      })
    }

    fn view() -> impl Strategy<Value = Value> {
      use ViewKind::*;
      let kinds = vec![Int8, Uint8, Uint8Clamped, Int16, Uint16, Int32, Uint32, Float32, Float64, BigInt64, BigUint64, DataView];
      (prop::sample::select(kinds), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(kind, mut bytes)| {
        let size = match kind {
          Int16 | Uint16 => 2,
          Int32 | Uint32 | Float32 => 4,
          Float64 | BigInt64 | BigUint64 => 8,
          _ => 1,
        };
        bytes.truncate(bytes.len() / size * size);
        Value::View { kind, bytes }
      })
    }

    fn error() -> impl Strategy<Value = Value> {
      let names = vec!["Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "AbortError", "", "名前"];
      (prop::sample::select(names), ".{0,12}", ".{0,24}").prop_map(|(name, message, stack)| {
        Value::Error(ErrorInfo { name: name.into(), message, stack: Some(stack), ..ErrorInfo::default() })
      })
    }

    fn leaf() -> impl Strategy<Value = Value> {
      prop_oneof![
        Just(Value::Undefined),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number().prop_map(Value::Number),
        ".{0,16}".prop_map(Value::String),
        "[\u{0}-\u{ff}]{0,16}".prop_map(Value::String),
        utf16(),
        bigint(),
        number().prop_map(|t| Value::Date(time_clip(t))),
        // Valid patterns only (an invalid one is refused), and none V8 re-escapes (`/`, newlines).
        (prop_oneof!["[a-z.]{1,6}", prop::sample::select(vec!["a*b+", "(x|y)?", "[^\\d]", "\\u{1F600}", "^$"]).prop_map(String::from)], prop::sample::select(vec!["", "g", "dgimsuy", "i", "my", "v", "gv"]))
          .prop_map(|(source, flags)| Value::RegExp { source, flags: flags.into() }),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::ArrayBuffer),
        view(),
        error(),
        // Resolved (or replaced) by `fix_refs` once the tree is made.
        any::<usize>().prop_map(Value::Ref),
      ]
    }

    fn key() -> impl Strategy<Value = String> {
      prop_oneof![".{0,8}", "[0-9]{1,3}", prop::sample::select(vec!["__proto__", "constructor", "toString", "length", "4294967295", "4294967294", "-0", "01"]).prop_map(String::from)]
    }

    /// An array index (ECMA-262 §6.1.7): such keys come first, ascending, in any object.
    fn index(k: &str) -> Option<u32> {
      k.parse::<u32>().ok().filter(|i| *i != u32::MAX && i.to_string() == k)
    }

    /// Identity for SameValueZero of primitives (Map keys, Set items); None for objects.
    fn same_value_zero_key(v: &Value) -> Option<String> {
      Some(match v {
        Value::Undefined | Value::Hole => "u".into(),
        Value::Null => "n".into(),
        Value::Bool(b) => format!("b{b}"),
        Value::Number(n) if n.is_nan() => "nan".into(),
        Value::Number(n) => format!("n{}", n + 0.0),
        Value::String(s) => format!("s{s}"),
        Value::Utf16(u) => format!("w{u:?}"),
        Value::BigInt { negative, words } => format!("i{negative}{words:?}"),
        _ => return None,
      })
    }

    /// Map and Set turn -0 into +0 (ECMA-262 Map.prototype.set, Set.prototype.add).
    fn plus_zero(v: Value) -> Value {
      match v {
        Value::Number(n) => Value::Number(n + 0.0),
        v => v,
      }
    }

    fn tree() -> impl Strategy<Value = Value> {
      leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
          proptest::collection::vec(prop_oneof![4 => inner.clone(), 1 => Just(Value::Hole)], 0..6).prop_map(Value::Array),
          proptest::collection::vec((key(), inner.clone()), 0..6).prop_map(|props| {
            let mut seen = HashSet::new();
            let mut props: Vec<_> = props.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect();
            // Stable: named keys keep their order after the indices.
            props.sort_by_key(|(k, _)| index(k).map_or((1, 0), |i| (0, i)));
            Value::Object(props)
          }),
          proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(|entries| {
            let mut seen = HashSet::new();
            Value::Map(
              entries
                .into_iter()
                .map(|(k, v)| (plus_zero(k), v))
                .filter(|(k, _)| same_value_zero_key(k).is_none_or(|id| seen.insert(id)))
                .collect(),
            )
          }),
          proptest::collection::vec(inner, 0..5).prop_map(|items| {
            let mut seen = HashSet::new();
            Value::Set(items.into_iter().map(plus_zero).filter(|v| same_value_zero_key(v).is_none_or(|id| seen.insert(id))).collect())
          }),
        ]
      })
      .prop_map(|mut v| {
        fix_refs(&mut v, &mut 0, false);
        v
      })
    }

    /// Points each Ref at an object made before it (depth-first pre-order, as the conversions
    /// count); a Ref that is a Map key or Set item becomes a fresh object instead (the same
    /// object twice would be one key), as does one with nothing before it.
    fn fix_refs(v: &mut Value, count: &mut usize, identity: bool) {
      match v {
        Value::Ref(i) if *count > 0 && !identity => *i %= *count,
        Value::Ref(_) => {
          *v = Value::Object(Vec::new());
          *count += 1;
        }
        Value::Array(items) => {
          *count += 1;
          items.iter_mut().for_each(|i| fix_refs(i, count, false));
        }
        Value::Set(items) => {
          *count += 1;
          items.iter_mut().for_each(|i| fix_refs(i, count, true));
        }
        Value::Object(props) => {
          *count += 1;
          props.iter_mut().for_each(|(_, i)| fix_refs(i, count, false));
        }
        Value::Map(entries) => {
          *count += 1;
          for (k, i) in entries {
            fix_refs(k, count, true);
            fix_refs(i, count, false);
          }
        }
        Value::Date(_) | Value::RegExp { .. } | Value::ArrayBuffer(_) | Value::View { .. } | Value::Error(_) => *count += 1,
        _ => {}
      }
    }

    /// Equal trees; numbers as Object.is compares them (NaN is NaN, -0 is not 0).
    fn same(a: &Value, b: &Value) -> bool {
      let num = |x: &f64, y: &f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
      let all = |x: &[Value], y: &[Value]| x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y));
      match (a, b) {
        (Value::Number(x), Value::Number(y)) | (Value::Date(x), Value::Date(y)) => num(x, y),
        (Value::Array(x), Value::Array(y)) | (Value::Set(x), Value::Set(y)) => all(x, y),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().zip(y).all(|((kx, x), (ky, y))| kx == ky && same(x, y)),
        (Value::Map(x), Value::Map(y)) => x.len() == y.len() && x.iter().zip(y).all(|((kx, x), (ky, y))| same(kx, ky) && same(x, y)),
        (Value::Error(x), Value::Error(y)) => (&x.name, &x.message, &x.stack) == (&y.name, &y.message, &y.stack),
        _ => a == b,
      }
    }

    #[test]
    fn random_values_survive_the_isolate_both_ways() {
      let failure = super::in_runtime(|scope| {
        let scope = std::cell::RefCell::new(scope);
        let mut runner = TestRunner::new(Config { cases: 256, failure_persistence: None, ..Config::default() });
        runner
          .run(&tree(), |v| {
            let mut guard = scope.borrow_mut();
            let scope: &mut v8::PinScope = &mut guard;
            v8::scope!(let hs, scope);
            let made = isolate::to_v8(hs, &v).ok_or_else(|| TestCaseError::fail("to_v8 refused the value"))?;
            let back = isolate::from_v8_within(hs, made, 16 << 20).map_err(TestCaseError::fail)?;
            prop_assert!(same(&back, &v), "came back as {:?}", back);
            Ok(())
          })
          .err()
          .map(|e| e.to_string())
      });
      assert_eq!(failure, None);
    }
  }
}
