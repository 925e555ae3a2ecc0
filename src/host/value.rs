//! Host-side (Node main thread) conversions between N-API values and [`Value`].
//!
//! Reading a host value runs host code (getters, proxies): every failure, thrown or not, becomes
//! a DataCloneError message and no exception is left pending. Writing a value for the host makes
//! own data properties only (as structured clone does), so a key such as `__proto__` or one with a
//! setter on the host's `Object.prototype` never changes a prototype or runs host code.

use super::napi::{Env, Fail, NResult, Val};
use crate::errors::ErrorInfo;
use crate::value::{too_deep, too_large, Budget, CloneError, Tag, Value, ViewKind, KEY_BYTES, MAX_DEPTH, NODE_BYTES};
use napi::sys;

type R<T> = Result<T, CloneError>;

/// A failed read as a DataCloneError message (a thrown exception's own message when it has one).
fn read_failed(env: Env, f: Fail) -> CloneError {
  match f {
    Fail::Threw(e) => format!("reading the value threw: {}", describe(env, e)),
    Fail::Status(_, what) => format!("the value could not be read ({what} failed)"),
  }
}

trait OrClone<T> {
  fn or_clone(self, env: Env) -> R<T>;
}

impl<T> OrClone<T> for NResult<T> {
  fn or_clone(self, env: Env) -> R<T> {
    self.map_err(|f| read_failed(env, f))
  }
}

/// `String(e)` of a thrown value for a message, never throwing itself; at most 200 characters.
pub fn describe(env: Env, e: Val) -> String {
  let text = match env.is_error(e) {
    Ok(true) => {
      let info = error_info(env, e);
      format!("{}: {}", info.name, info.message)
    }
    _ => coerce_string(env, e),
  };
  match text.char_indices().nth(200) {
    Some((i, _)) => format!("{}…", &text[..i]),
    None => text,
  }
}

/// `String(v)` on the host; a throwing `toString` gives "[value]".
pub fn coerce_string(env: Env, v: Val) -> String {
  env.coerce_string(v).and_then(|s| env.get_string(s)).unwrap_or_else(|_| "[value]".into())
}

/// Whether `v` is truthy; a value that cannot be read is falsy.
pub fn truthy(env: Env, v: Val) -> bool {
  env.coerce_bool(v).unwrap_or(false)
}

/// A host string's value; lone surrogates are kept (as UTF-16) rather than replaced.
fn string_value(env: Env, v: Val, budget: &mut Budget) -> R<Value> {
  // Charged before any copy: a host string may be as long as V8 allows.
  let units = env.string_length(v).or_clone(env)?;
  budget.charge(units)?;
  let text = env.get_string(v).or_clone(env)?;
  if !text.contains('\u{FFFD}') {
    budget.charge(text.len().saturating_sub(units))?;
    return Ok(Value::String(text));
  }
  // U+FFFD may stand for a lone surrogate that UTF-8 could not carry: look at the UTF-16.
  let units16 = env.get_string_utf16(v).or_clone(env)?;
  let value = match String::from_utf16(&units16) {
    Ok(_) => Value::String(text),
    Err(_) => Value::Utf16(units16),
  };
  budget.charge(value.own_bytes().saturating_sub(units))?;
  Ok(value)
}

/// A constructor of Node's global object (e.g. `Map`).
fn global_ctor(env: Env, name: &str) -> NResult<Val> {
  let global = env.global()?;
  env.get_named(global, name)
}

/// A RegExp's flags from its internal slots: each of `RegExp.prototype`'s own flag getters
/// called on it, as `RegExp.prototype.flags` does (an own `flags` or `global` property of the
/// value is not what `new RegExp` would get).
fn regexp_flags(env: Env, re: Val) -> NResult<String> {
  const FLAGS: [(&str, char); 8] = [
    ("hasIndices", 'd'),
    ("global", 'g'),
    ("ignoreCase", 'i'),
    ("multiline", 'm'),
    ("dotAll", 's'),
    ("unicode", 'u'),
    ("unicodeSets", 'v'),
    ("sticky", 'y'),
  ];
  let proto = env.get_named(global_ctor(env, "RegExp")?, "prototype")?;
  let object = global_ctor(env, "Object")?;
  let describe = env.get_named(object, "getOwnPropertyDescriptor")?;
  let mut flags = String::new();
  for (name, letter) in FLAGS {
    let desc = env.call(object, describe, &[proto, env.string(name)?])?;
    // Node 18 has no `unicodeSets`.
    if env.type_of(desc)? != sys::ValueType::napi_object {
      continue;
    }
    let getter = env.get_named(desc, "get")?;
    if env.type_of(getter)? != sys::ValueType::napi_function {
      continue;
    }
    let on = env.call(re, getter, &[])?;
    if env.coerce_bool(on)? {
      flags.push(letter);
    }
  }
  Ok(flags)
}

fn instance_of(env: Env, v: Val, ctor: &str) -> bool {
  global_ctor(env, ctor).and_then(|c| env.instance_of(v, c)).unwrap_or(false)
}

/// The elements of a host array, read one at a time within `budget` (never sized by `length`).
fn elements(env: Env, arr: Val, budget: &mut Budget) -> R<Vec<Val>> {
  let len = env.array_length(arr).or_clone(env)?;
  let mut out = Vec::new();
  for i in 0..len {
    budget.charge(NODE_BYTES)?;
    out.push(env.get_element(arr, i).or_clone(env)?);
  }
  Ok(out)
}

/// `Array.from(iterable)` on the host (a Map's entries, a Set's values), within `budget`.
fn array_from(env: Env, v: Val, budget: &mut Budget) -> R<Vec<Val>> {
  let array = global_ctor(env, "Array").or_clone(env)?;
  let from = env.get_named(array, "from").or_clone(env)?;
  let arr = env.call(array, from, &[v]).or_clone(env)?;
  // The elements are charged again as they are read; this bounds the Vec of handles.
  let mut scratch = *budget;
  elements(env, arr, &mut scratch)
}

/// `new globalThis[ctor](...args)` on the host.
fn construct(env: Env, ctor: &str, args: &[Val]) -> NResult<Val> {
  env.new_instance(global_ctor(env, ctor)?, args)
}

/// An object of the host's own class for a tagged value from the isolate.
fn write_tagged(env: Env, tag: Tag, payload: &Value, hooks: Option<Val>) -> NResult<Val> {
  let bad = || Fail::Status(sys::Status::napi_invalid_arg, "a tagged value");
  let items = match payload {
    Value::Array(items) => items.as_slice(),
    _ => &[],
  };
  let item = |i: usize| items.get(i).ok_or_else(bad);
  let one = |v: &Value| write(env, v, &mut Vec::new(), hooks);
  let options = |props: &[(&str, Val)]| -> NResult<Val> {
    let o = env.object()?;
    let defs = props.iter().map(|(k, v)| Ok((env.string(k)?, *v))).collect::<NResult<Vec<_>>>()?;
    env.define_data(o, &defs)?;
    Ok(o)
  };
  let blob_parts = |bytes: &Value| -> NResult<Val> {
    let arr = env.array_with_length(1)?;
    env.define_data(arr, &[(env.string("0")?, one(bytes)?)])?;
    Ok(arr)
  };
  match tag {
    Tag::Url => construct(env, "URL", &[one(payload)?]),
    Tag::Headers => construct(env, "Headers", &[one(payload)?]),
    Tag::Blob => {
      let o = options(&[("type", one(item(0)?)?)])?;
      construct(env, "Blob", &[blob_parts(item(1)?)?, o])
    }
    Tag::File => {
      let o = options(&[("type", one(item(0)?)?), ("lastModified", one(item(3)?)?)])?;
      construct(env, "File", &[blob_parts(item(1)?)?, one(item(2)?)?, o])
    }
    Tag::FormData => {
      let fd = construct(env, "FormData", &[])?;
      let append = env.get_named(fd, "append")?;
      for entry in items {
        let Value::Array(kv) = entry else { continue };
        let (Some(k), Some(v)) = (kv.first(), kv.get(1)) else { continue };
        env.call(fd, append, &[one(k)?, one(v)?])?;
      }
      Ok(fd)
    }
    Tag::Request | Tag::Response => {
      let hooks = hooks.ok_or(Fail::Status(sys::Status::napi_invalid_arg, "a Request or Response cannot be passed here"))?;
      let make = env.get_named(hooks, if tag == Tag::Request { "makeWireRequest" } else { "makeWireResponse" })?;
      env.call(hooks, make, &[one(payload)?])
    }
    // What stays on the host never comes back from the isolate.
    _ => Err(bad()),
  }
}

/// The name and message of a host error (never its stack: it would show host paths to
/// sandboxed code). A getter that throws gives the default.
pub fn error_info(env: Env, v: Val) -> ErrorInfo {
  if !env.is_error(v).unwrap_or(false) {
    return ErrorInfo::new("Error", coerce_string(env, v));
  }
  let field = |k: &str| -> Option<String> {
    let f = env.get_named(v, k).ok()?;
    match env.type_of(f) {
      Ok(sys::ValueType::napi_undefined) | Err(_) => None,
      Ok(_) => Some(coerce_string(env, f)),
    }
  };
  ErrorInfo::new(&field("name").unwrap_or_else(|| "Error".into()), field("message").unwrap_or_default())
}

/// Objects already met while reading a host value. Most values hold a few objects: those are
/// compared one by one; past `SMALL`, a host `Map` from object to index takes over.
struct Seen {
  small: Vec<Val>,
  map: Option<(Val, Val, Val)>,
  count: usize,
}

const SMALL: usize = 4;

impl Seen {
  fn new() -> Self {
    Self { small: Vec::new(), map: None, count: 0 }
  }

  /// The index of `v` if it was met before; else records it and returns None.
  fn check(&mut self, env: Env, v: Val) -> NResult<Option<usize>> {
    if self.map.is_none() {
      for (i, o) in self.small.iter().enumerate() {
        if env.strict_equals(*o, v)? {
          return Ok(Some(i));
        }
      }
      if self.small.len() < SMALL {
        self.small.push(v);
        self.count += 1;
        return Ok(None);
      }
      let map = env.new_instance(global_ctor(env, "Map")?, &[])?;
      let (get, set) = (env.get_named(map, "get")?, env.get_named(map, "set")?);
      self.map = Some((map, get, set));
      for (i, o) in std::mem::take(&mut self.small).into_iter().enumerate() {
        self.map_set(env, o, i)?;
      }
    }
    let Some((map, get, _)) = self.map else { return Ok(None) };
    let found = env.call(map, get, &[v])?;
    if env.type_of(found)? == sys::ValueType::napi_number {
      return Ok(Some(env.get_u32(found)? as usize));
    }
    self.map_set(env, v, self.count)?;
    self.count += 1;
    Ok(None)
  }

  fn map_set(&self, env: Env, v: Val, index: usize) -> NResult<()> {
    let Some((map, _, set)) = self.map else { return Ok(()) };
    let i = env.double(index as f64)?;
    env.call(map, set, &[v, i]).map(|_| ())
  }
}

/// Keeps a host function, promise or async iterable on the host for the isolate, which gets a
/// stand-in that calls back: returns the id the stand-in names it by.
pub type Keep<'a> = &'a dyn Fn(Env, Tag, Val) -> R<u64>;

/// What reading a host value for the isolate needs besides the value: where functions, promises
/// and async iterables are kept (None: they are refused), and the Blobs met, whose bytes are
/// read afterwards (Node's Blob has no synchronous read; see [`fill_blobs`]).
pub struct Reading<'a> {
  keep: Option<Keep<'a>>,
  /// A host array of `blob.arrayBuffer()` promises, in the order of the placeholders.
  pub blobs: Option<Val>,
  /// The host glue's hooks (src/host/glue.js), which keep Request and Response bodies for the
  /// isolate to pull (None: Requests and Responses are refused).
  pub hooks: Option<Val>,
}

impl<'a> Reading<'a> {
  pub fn new(keep: Option<Keep<'a>>) -> Self {
    Self { keep, blobs: None, hooks: None }
  }
}

/// Reads a host value, within `limit` bytes (the runtime's memory limit). Blobs, functions,
/// promises and async iterables are refused.
pub fn from_host(env: Env, v: Val, limit: usize) -> R<Value> {
  let mut reading = Reading::new(None);
  let value = read(env, v, 0, &mut Seen::new(), &mut Budget::new(limit), &mut reading)?;
  if reading.blobs.is_some() {
    return Err("a Blob cannot be passed here".into());
  }
  Ok(value)
}

/// Reads a host value for the isolate, within `limit` bytes. When `reading.blobs` is set after,
/// the value holds placeholders for their bytes: await them and call [`fill_blobs`].
pub fn from_host_reading(env: Env, v: Val, limit: usize, reading: &mut Reading) -> R<Value> {
  read(env, v, 0, &mut Seen::new(), &mut Budget::new(limit), reading)
}

/// Puts the bytes of the Blobs `from_host_reading` met into their placeholders (in order).
pub fn fill_blobs(value: &mut Value, bytes: &mut [Option<Vec<u8>>]) -> R<()> {
  let mut stack = vec![value];
  while let Some(v) = stack.pop() {
    match v {
      Value::Tagged(Tag::Blob | Tag::File, payload) => {
        if let Value::Array(items) = payload.as_mut() {
          if let Some(slot) = items.get_mut(1) {
            if let Value::Number(i) = slot {
              let b = bytes.get_mut(*i as usize).and_then(Option::take).ok_or("a Blob's bytes could not be read")?;
              *slot = Value::View { kind: ViewKind::Uint8, bytes: b };
            }
          }
        }
      }
      Value::Tagged(_, payload) => stack.push(payload),
      Value::Array(items) | Value::Set(items) => stack.extend(items.iter_mut()),
      Value::Object(props) => stack.extend(props.iter_mut().map(|(_, v)| v)),
      Value::Map(entries) => {
        for (k, v) in entries.iter_mut() {
          stack.push(k);
          stack.push(v);
        }
      }
      _ => {}
    }
  }
  Ok(())
}

/// `v[name]` as a string (the host's own objects: its getters are its own code).
fn string_field(env: Env, v: Val, name: &str, budget: &mut Budget) -> R<String> {
  let f = env.get_named(v, name).or_clone(env)?;
  let s = env.coerce_string(f).or_clone(env)?;
  match string_value(env, s, budget)? {
    Value::String(s) => Ok(s),
    Value::Utf16(u) => Ok(String::from_utf16_lossy(&u)),
    _ => Ok(String::new()),
  }
}

/// A host Blob or File: `[type, placeholder]` or `[type, placeholder, name, lastModified]`; its
/// bytes (charged now, by `size`) are read later.
fn blob(env: Env, v: Val, file: bool, budget: &mut Budget, reading: &mut Reading) -> R<Value> {
  let size = env.get_named(v, "size").and_then(|n| env.get_double(n)).or_clone(env)?;
  if !(size >= 0.0 && size.is_finite()) {
    return Err("a Blob's size could not be read".into());
  }
  budget.charge(size as usize)?;
  let ty = string_field(env, v, "type", budget)?;
  let read_bytes = env.get_named(v, "arrayBuffer").or_clone(env)?;
  let promise = env.call(v, read_bytes, &[]).or_clone(env)?;
  let blobs = match reading.blobs {
    Some(a) => a,
    None => {
      let a = env.array_with_length(0).or_clone(env)?;
      reading.blobs = Some(a);
      a
    }
  };
  let index = env.array_length(blobs).or_clone(env)?;
  let push = env.get_named(blobs, "push").or_clone(env)?;
  env.call(blobs, push, &[promise]).or_clone(env)?;
  let mut items = vec![Value::String(ty), Value::Number(index as f64)];
  if file {
    let name = string_field(env, v, "name", budget)?;
    let modified = env.get_named(v, "lastModified").and_then(|n| env.get_double(n)).unwrap_or(0.0);
    items.push(Value::String(name));
    items.push(Value::Number(modified));
  }
  Ok(Value::Tagged(if file { Tag::File } else { Tag::Blob }, Box::new(Value::Array(items))))
}

/// The `[name, value]` pairs of a host Headers (or FormData, whose values are strings or Files).
fn pairs(env: Env, v: Val, budget: &mut Budget, reading: &mut Reading) -> R<Value> {
  let mut out = Vec::new();
  for pair in array_from(env, v, budget)? {
    let kv = elements(env, pair, &mut Budget::new(2 * NODE_BYTES))?;
    let [k, val] = kv[..] else { continue };
    budget.charge(2 * NODE_BYTES)?;
    let name = string_value(env, env.coerce_string(k).or_clone(env)?, budget)?;
    let value = if env.type_of(val).or_clone(env)? == sys::ValueType::napi_string {
      string_value(env, val, budget)?
    } else if instance_of(env, val, "File") {
      blob(env, val, true, budget, reading)?
    } else if instance_of(env, val, "Blob") {
      blob(env, val, false, budget, reading)?
    } else {
      return Err("a FormData value must be a string or a File".into());
    };
    out.push(Value::Array(vec![name, value]));
  }
  Ok(Value::Array(out))
}

/// A host object that crosses by kind (Node's URL, Headers, Blob, File, FormData), or None.
fn tagged(env: Env, v: Val, budget: &mut Budget, reading: &mut Reading) -> R<Option<Value>> {
  if instance_of(env, v, "URL") {
    let href = string_field(env, v, "href", budget)?;
    return Ok(Some(Value::Tagged(Tag::Url, Box::new(Value::String(href)))));
  }
  if instance_of(env, v, "Headers") {
    return Ok(Some(Value::Tagged(Tag::Headers, Box::new(pairs(env, v, budget, reading)?))));
  }
  if instance_of(env, v, "File") {
    return blob(env, v, true, budget, reading).map(Some);
  }
  if instance_of(env, v, "Blob") {
    return blob(env, v, false, budget, reading).map(Some);
  }
  if instance_of(env, v, "FormData") {
    return Ok(Some(Value::Tagged(Tag::FormData, Box::new(pairs(env, v, budget, reading)?))));
  }
  for (ctor, tag, parts) in [("Request", Tag::Request, "wireRequestParts"), ("Response", Tag::Response, "wireResponseParts")] {
    if instance_of(env, v, ctor) {
      let Some(hooks) = reading.hooks else { return Err(format!("a {ctor} cannot be passed here")) };
      // [method, url, headers, body, redirect] / [status, statusText, headers, body, url], the
      // body a stream id the glue keeps for the isolate to pull.
      let f = env.get_named(hooks, parts).or_clone(env)?;
      let p = env.call(hooks, f, &[v]).or_clone(env)?;
      let payload = read(env, p, 1, &mut Seen::new(), budget, &mut Reading::new(None))?;
      return Ok(Some(Value::Tagged(tag, Box::new(payload))));
    }
  }
  Ok(None)
}

/// Whether `v` has a `[Symbol.asyncIterator]` method.
fn is_async_iterable(env: Env, v: Val) -> bool {
  let method = env
    .global()
    .and_then(|g| env.get_named(g, "Symbol"))
    .and_then(|s| env.get_named(s, "asyncIterator"))
    .and_then(|sym| env.get(v, sym));
  matches!(method.and_then(|m| env.type_of(m)), Ok(sys::ValueType::napi_function))
}

fn read(env: Env, v: Val, depth: usize, seen: &mut Seen, budget: &mut Budget, reading: &mut Reading) -> R<Value> {
  if depth > MAX_DEPTH {
    return Err(too_deep());
  }
  budget.charge(NODE_BYTES)?;
  match env.type_of(v).or_clone(env)? {
    sys::ValueType::napi_undefined => return Ok(Value::Undefined),
    sys::ValueType::napi_null => return Ok(Value::Null),
    sys::ValueType::napi_boolean => return Ok(Value::Bool(env.get_bool(v).or_clone(env)?)),
    sys::ValueType::napi_number => return Ok(Value::Number(env.get_double(v).or_clone(env)?)),
    sys::ValueType::napi_string => return string_value(env, v, budget),
    sys::ValueType::napi_bigint => {
      budget.charge(env.bigint_word_count(v).or_clone(env)?.saturating_mul(8))?;
      let (negative, words) = env.get_bigint(v).or_clone(env)?;
      return Ok(Value::BigInt { negative, words });
    }
    sys::ValueType::napi_symbol => return Err("a Symbol cannot be cloned".into()),
    sys::ValueType::napi_function => {
      if reading.keep.is_none() {
        return Err("a function cannot be cloned".into());
      }
    }
    sys::ValueType::napi_object => {}
    _ => return Err("this host value cannot be cloned".into()),
  }
  if let Some(i) = seen.check(env, v).or_clone(env)? {
    return Ok(Value::Ref(i));
  }
  if env.type_of(v).or_clone(env)? == sys::ValueType::napi_function {
    if let Some(keep) = reading.keep {
      // Kept on the host (once per value, like any object); the isolate gets a function that
      // calls it.
      return Ok(Value::Tagged(Tag::Function, Box::new(Value::Number(keep(env, Tag::Function, v)? as f64))));
    }
  }
  if env.is_date(v).or_clone(env)? {
    return Ok(Value::Date(env.get_date(v).or_clone(env)?));
  }
  if env.is_arraybuffer(v).or_clone(env)? {
    let (data, len) = env.arraybuffer_info(v).or_clone(env)?;
    budget.charge(len)?;
    return Ok(Value::ArrayBuffer(copy(data, len)));
  }
  if env.is_typedarray(v).or_clone(env)? {
    let info = env.typedarray_info(v).or_clone(env)?;
    let (kind, size) = match info.kind {
      sys::TypedarrayType::int8_array => (ViewKind::Int8, 1),
      sys::TypedarrayType::uint8_array => (ViewKind::Uint8, 1),
      sys::TypedarrayType::uint8_clamped_array => (ViewKind::Uint8Clamped, 1),
      sys::TypedarrayType::int16_array => (ViewKind::Int16, 2),
      sys::TypedarrayType::uint16_array => (ViewKind::Uint16, 2),
      sys::TypedarrayType::int32_array => (ViewKind::Int32, 4),
      sys::TypedarrayType::uint32_array => (ViewKind::Uint32, 4),
      sys::TypedarrayType::float32_array => (ViewKind::Float32, 4),
      sys::TypedarrayType::float64_array => (ViewKind::Float64, 8),
      sys::TypedarrayType::bigint64_array => (ViewKind::BigInt64, 8),
      sys::TypedarrayType::biguint64_array => (ViewKind::BigUint64, 8),
      _ => return Err("this typed array kind cannot be cloned".into()),
    };
    let len = info.length.checked_mul(size).ok_or_else(|| too_large(usize::MAX))?;
    budget.charge(len)?;
    return Ok(Value::View { kind, bytes: copy(info.data, len) });
  }
  if env.is_dataview(v).or_clone(env)? {
    let (data, len) = env.dataview_info(v).or_clone(env)?;
    budget.charge(len)?;
    return Ok(Value::View { kind: ViewKind::DataView, bytes: copy(data, len) });
  }
  if env.is_error(v).or_clone(env)? {
    let info = error_info(env, v);
    budget.charge(info.name.len() + info.message.len())?;
    return Ok(Value::Error(info));
  }
  if env.is_array(v).or_clone(env)? {
    let mut items = Vec::new();
    let len = env.array_length(v).or_clone(env)?;
    for i in 0..len {
      // A hole stays a hole. (`in` sees the prototype too: the host's own arrays, whose
      // prototypes are the host's, need no own-property check.)
      if !env.has_element(v, i).or_clone(env)? {
        budget.charge(NODE_BYTES)?;
        items.push(Value::Hole);
        continue;
      }
      let e = env.get_element(v, i).or_clone(env)?;
      items.push(read(env, e, depth + 1, seen, budget, reading)?);
    }
    return Ok(Value::Array(items));
  }
  if env.is_promise(v).or_clone(env)? {
    // Kept on the host; the isolate gets a promise of its value.
    let Some(keep) = reading.keep else { return Err("a Promise cannot be cloned; await it first".into()) };
    return Ok(Value::Tagged(Tag::Promise, Box::new(Value::Number(keep(env, Tag::Promise, v)? as f64))));
  }
  if let Some(t) = tagged(env, v, budget, reading)? {
    return Ok(t);
  }
  if instance_of(env, v, "RegExp") {
    // The host's own values: its getters are its own code.
    let source = coerce_string(env, env.get_named(v, "source").or_clone(env)?);
    let flags = regexp_flags(env, v).or_clone(env)?;
    budget.charge(source.len() + flags.len())?;
    return Ok(Value::RegExp { source, flags });
  }
  if instance_of(env, v, "Map") {
    let mut entries = Vec::new();
    for pair in array_from(env, v, budget)? {
      let kv = elements(env, pair, &mut Budget::new(2 * NODE_BYTES))?;
      if let [k, val] = kv[..] {
        entries.push((read(env, k, depth + 1, seen, budget, reading)?, read(env, val, depth + 1, seen, budget, reading)?));
      }
    }
    return Ok(Value::Map(entries));
  }
  if instance_of(env, v, "Set") {
    let mut items = Vec::new();
    for e in array_from(env, v, budget)? {
      items.push(read(env, e, depth + 1, seen, budget, reading)?);
    }
    return Ok(Value::Set(items));
  }
  if let Some(keep) = reading.keep {
    if is_async_iterable(env, v) {
      // Kept on the host; the isolate gets an async iterator that pulls from it.
      return Ok(Value::Tagged(Tag::AsyncIterator, Box::new(Value::Number(keep(env, Tag::AsyncIterator, v)? as f64))));
    }
  }
  let names = env.own_keys(v).or_clone(env)?;
  let mut props = Vec::new();
  let mut scratch = *budget;
  for k in elements(env, names, &mut scratch)? {
    let Value::String(key) = string_value(env, k, budget)? else {
      return Err("a property name could not be read".into());
    };
    budget.charge(KEY_BYTES)?;
    let pv = env.get(v, k).or_clone(env)?;
    props.push((key, read(env, pv, depth + 1, seen, budget, reading)?));
  }
  Ok(Value::Object(props))
}

fn copy(data: *const u8, len: usize) -> Vec<u8> {
  if data.is_null() || len == 0 {
    return Vec::new();
  }
  // SAFETY: N-API reported `len` readable bytes at `data`, alive while we run on this thread.
  unsafe { std::slice::from_raw_parts(data, len) }.to_vec()
}

/// Writes a value for the host. `limit` bounds what the conversion makes (see [`Budget`]).
pub fn to_host(env: Env, value: &Value, limit: usize) -> R<Val> {
  to_host_glue(env, value, limit, None)
}

/// Like [`to_host`]; with the glue's `hooks`, Requests and Responses from the isolate are made
/// too (their bodies pulled from the isolate).
pub fn to_host_glue(env: Env, value: &Value, limit: usize, hooks: Option<Val>) -> R<Val> {
  value.check(limit)?;
  write(env, value, &mut Vec::new(), hooks).map_err(|f| match f {
    Fail::Threw(e) => format!("the value could not be made on the host: {}", describe(env, e)),
    Fail::Status(_, what) => format!("the value could not be made on the host ({what} failed)"),
  })
}

/// A string key for a property descriptor.
fn key(env: Env, k: &str) -> NResult<Val> {
  env.string(k)
}

/// `made` holds the objects created so far, in the pre-order `Value::Ref` counts in.
fn write(env: Env, value: &Value, made: &mut Vec<Val>, hooks: Option<Val>) -> NResult<Val> {
  // Primitives and references: nothing to record.
  match value {
    Value::Ref(i) => return made.get(*i).copied().ok_or(Fail::Status(sys::Status::napi_invalid_arg, "a reference in a cloned value")),
    Value::Undefined | Value::Hole => return env.undefined(),
    Value::Null => return env.null(),
    Value::Bool(b) => return env.boolean(*b),
    Value::Number(n) => return env.double(*n),
    Value::BigInt { negative, words } => return env.bigint(*negative, words),
    Value::String(s) => return env.string(s),
    Value::Utf16(u) => return env.string_utf16(u),
    _ => {}
  }
  // Containers are recorded before their children, so a child can refer back to them.
  let out = match value {
    Value::Array(items) => {
      // Made with its length: holes stay holes, trailing ones included.
      let out = env.array_with_length(items.len())?;
      made.push(out);
      let mut props = Vec::with_capacity(items.len());
      for (i, item) in items.iter().enumerate() {
        if matches!(item, Value::Hole) {
          continue;
        }
        props.push((key(env, &i.to_string())?, write(env, item, made, hooks)?));
      }
      env.define_data(out, &props)?;
      return Ok(out);
    }
    Value::Object(props) => {
      let out = env.object()?;
      made.push(out);
      let mut defs = Vec::with_capacity(props.len());
      for (k, item) in props {
        defs.push((key(env, k)?, write(env, item, made, hooks)?));
      }
      env.define_data(out, &defs)?;
      return Ok(out);
    }
    Value::Map(entries) => {
      let out = env.new_instance(global_ctor(env, "Map")?, &[])?;
      made.push(out);
      let set = env.get_named(out, "set")?;
      for (k, v) in entries {
        let args = [write(env, k, made, hooks)?, write(env, v, made, hooks)?];
        env.call(out, set, &args)?;
      }
      return Ok(out);
    }
    Value::Set(items) => {
      let out = env.new_instance(global_ctor(env, "Set")?, &[])?;
      made.push(out);
      let add = env.get_named(out, "add")?;
      for item in items {
        let arg = write(env, item, made, hooks)?;
        env.call(out, add, &[arg])?;
      }
      return Ok(out);
    }
    // Objects without children.
    Value::Date(t) => env.date(*t)?,
    Value::RegExp { source, flags } => {
      // Flags a script forged (or that this Node does not know) fail here, as a DataCloneError.
      env.new_instance(global_ctor(env, "RegExp")?, &[env.string(source)?, env.string(flags)?])?
    }
    Value::ArrayBuffer(bytes) => env.arraybuffer(bytes)?,
    Value::View { kind, bytes } => {
      let ab = env.arraybuffer(bytes)?;
      let typed = match kind {
        ViewKind::Int8 => Some((sys::TypedarrayType::int8_array, 1)),
        ViewKind::Uint8 => Some((sys::TypedarrayType::uint8_array, 1)),
        ViewKind::Uint8Clamped => Some((sys::TypedarrayType::uint8_clamped_array, 1)),
        ViewKind::Int16 => Some((sys::TypedarrayType::int16_array, 2)),
        ViewKind::Uint16 => Some((sys::TypedarrayType::uint16_array, 2)),
        ViewKind::Int32 => Some((sys::TypedarrayType::int32_array, 4)),
        ViewKind::Uint32 => Some((sys::TypedarrayType::uint32_array, 4)),
        ViewKind::Float32 => Some((sys::TypedarrayType::float32_array, 4)),
        ViewKind::Float64 => Some((sys::TypedarrayType::float64_array, 8)),
        ViewKind::BigInt64 => Some((sys::TypedarrayType::bigint64_array, 8)),
        ViewKind::BigUint64 => Some((sys::TypedarrayType::biguint64_array, 8)),
        ViewKind::DataView => None,
      };
      match typed {
        Some((t, size)) => env.typedarray(t, bytes.len() / size, ab)?,
        None => env.dataview(bytes.len(), ab)?,
      }
    }
    Value::Error(info) => info.to_host(env),
    Value::Tagged(tag, payload) => {
      // Numbered before its payload, whose objects are its own.
      let index = made.len();
      made.push(env.undefined()?);
      let out = write_tagged(env, *tag, payload, hooks)?;
      if let Some(slot) = made.get_mut(index) {
        *slot = out;
      }
      return Ok(out);
    }
    _ => env.undefined()?,
  };
  made.push(out);
  Ok(out)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn blob_placeholder(tag: Tag, i: f64) -> Value {
    Value::Tagged(tag, Box::new(Value::Array(vec![Value::String(String::new()), Value::Number(i)])))
  }

  #[test]
  fn blob_bytes_fill_their_placeholders_in_order_wherever_they_are() {
    let mut v = Value::Object(vec![
      ("a".into(), blob_placeholder(Tag::Blob, 0.0)),
      ("m".into(), Value::Map(vec![(Value::Null, blob_placeholder(Tag::File, 1.0))])),
      ("fd".into(), Value::Tagged(Tag::FormData, Box::new(Value::Array(vec![Value::Array(vec![Value::String("f".into()), blob_placeholder(Tag::File, 2.0)])])))),
    ]);
    let mut bytes = vec![Some(vec![1]), Some(vec![2, 2]), Some(vec![3])];
    assert_eq!(fill_blobs(&mut v, &mut bytes), Ok(()));
    let bytes_at = |v: &Value| match v {
      Value::Tagged(_, p) => match p.as_ref() {
        Value::Array(items) => items.get(1).cloned(),
        _ => None,
      },
      _ => None,
    };
    assert_eq!(bytes_at(v.get("a").unwrap_or(&Value::Null)), Some(Value::View { kind: ViewKind::Uint8, bytes: vec![1] }));
    assert!(bytes.iter().all(Option::is_none));
  }

  #[test]
  fn a_missing_blob_read_is_an_error_not_a_panic() {
    let mut v = blob_placeholder(Tag::Blob, 5.0);
    assert!(fill_blobs(&mut v, &mut vec![None]).is_err());
    let mut v = blob_placeholder(Tag::Blob, 0.0);
    assert!(fill_blobs(&mut v, &mut vec![None]).is_err());
  }
}
