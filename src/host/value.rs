//! Host-side (Node main thread) conversions between N-API values and [`Value`].

use super::bridge::check;
use crate::errors::ErrorInfo;
use crate::value::{too_deep, CloneError, Value, ViewKind, MAX_DEPTH};
use napi::sys;
use std::ptr;

type R<T> = Result<T, CloneError>;

fn ok(status: sys::napi_status) -> R<()> {
  check(status).map_err(|_| "a host value could not be read".to_string())
}

pub unsafe fn get_named(env: sys::napi_env, obj: sys::napi_value, key: &str) -> R<sys::napi_value> {
  let mut k = ptr::null_mut();
  let mut v = ptr::null_mut();
  unsafe {
    ok(sys::napi_create_string_utf8(env, key.as_ptr().cast(), key.len() as isize, &mut k))?;
    ok(sys::napi_get_property(env, obj, k, &mut v))?;
  }
  Ok(v)
}

pub unsafe fn type_of(env: sys::napi_env, v: sys::napi_value) -> sys::napi_valuetype {
  let mut t = 0;
  unsafe { sys::napi_typeof(env, v, &mut t) };
  t
}

pub unsafe fn truthy(env: sys::napi_env, v: sys::napi_value) -> bool {
  let mut b = ptr::null_mut();
  let mut out = false;
  unsafe {
    sys::napi_coerce_to_bool(env, v, &mut b);
    sys::napi_get_value_bool(env, b, &mut out);
  }
  out
}

pub unsafe fn string(env: sys::napi_env, v: sys::napi_value) -> R<String> {
  let mut len = 0usize;
  unsafe {
    ok(sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len))?;
    let mut buf = vec![0u8; len + 1];
    ok(sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), len + 1, &mut len))?;
    buf.truncate(len);
    Ok(String::from_utf8(buf).unwrap_or_default())
  }
}

/// A host string's value; lone surrogates are kept (as UTF-16) rather than replaced.
unsafe fn string_value(env: sys::napi_env, v: sys::napi_value) -> R<Value> {
  let text = unsafe { string(env, v) }?;
  if !text.contains('\u{FFFD}') {
    return Ok(Value::String(text));
  }
  // U+FFFD may stand for a lone surrogate that UTF-8 could not carry: look at the UTF-16.
  let mut len = 0usize;
  unsafe {
    ok(sys::napi_get_value_string_utf16(env, v, ptr::null_mut(), 0, &mut len))?;
    let mut units = vec![0u16; len + 1];
    ok(sys::napi_get_value_string_utf16(env, v, units.as_mut_ptr(), len + 1, &mut len))?;
    units.truncate(len);
    Ok(match String::from_utf16(&units) {
      Ok(_) => Value::String(text),
      Err(_) => Value::Utf16(units),
    })
  }
}

/// `String(v)` on the host.
pub unsafe fn coerce_string(env: sys::napi_env, v: sys::napi_value) -> String {
  let mut s = ptr::null_mut();
  unsafe {
    if sys::napi_coerce_to_string(env, v, &mut s) != sys::Status::napi_ok {
      let mut exc = ptr::null_mut();
      sys::napi_get_and_clear_last_exception(env, &mut exc);
      return "[value]".into();
    }
    string(env, s).unwrap_or_default()
  }
}

unsafe fn global_ctor(env: sys::napi_env, name: &str) -> R<sys::napi_value> {
  let mut global = ptr::null_mut();
  unsafe {
    ok(sys::napi_get_global(env, &mut global))?;
    get_named(env, global, name)
  }
}

unsafe fn instance_of(env: sys::napi_env, v: sys::napi_value, ctor: &str) -> bool {
  let mut res = false;
  unsafe {
    let Ok(c) = global_ctor(env, ctor) else { return false };
    if sys::napi_instanceof(env, v, c, &mut res) != sys::Status::napi_ok {
      let mut exc = ptr::null_mut();
      sys::napi_get_and_clear_last_exception(env, &mut exc);
      return false;
    }
  }
  res
}

/// `Array.from(iterable)` on the host, as a Vec of elements.
unsafe fn array_from(env: sys::napi_env, v: sys::napi_value) -> R<Vec<sys::napi_value>> {
  unsafe {
    let array = global_ctor(env, "Array")?;
    let from = get_named(env, array, "from")?;
    let mut arr = ptr::null_mut();
    ok(sys::napi_call_function(env, array, from, 1, &v, &mut arr))?;
    elements(env, arr)
  }
}

unsafe fn elements(env: sys::napi_env, arr: sys::napi_value) -> R<Vec<sys::napi_value>> {
  let mut len = 0u32;
  unsafe {
    ok(sys::napi_get_array_length(env, arr, &mut len))?;
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
      let mut e = ptr::null_mut();
      ok(sys::napi_get_element(env, arr, i, &mut e))?;
      out.push(e);
    }
    Ok(out)
  }
}

pub unsafe fn error_info(env: sys::napi_env, v: sys::napi_value) -> ErrorInfo {
  unsafe {
    let mut is_error = false;
    sys::napi_is_error(env, v, &mut is_error);
    if !is_error {
      return ErrorInfo::new("Error", coerce_string(env, v));
    }
    let field = |k: &str| -> Option<String> {
      let f = get_named(env, v, k).ok()?;
      if type_of(env, f) == sys::ValueType::napi_undefined {
        None
      } else {
        Some(coerce_string(env, f))
      }
    };
    ErrorInfo {
      name: field("name").unwrap_or_else(|| "Error".into()),
      message: field("message").unwrap_or_default(),
      // The host's stack would show host paths to sandboxed code; it stays on the host.
      stack: None,
    }
  }
}

/// Objects already met while reading a host value. Most values hold a few objects: those are
/// compared one by one; past `SMALL`, a host `Map` from object to index takes over.
struct Seen {
  small: Vec<sys::napi_value>,
  map: Option<(sys::napi_value, sys::napi_value, sys::napi_value)>,
  count: usize,
}

const SMALL: usize = 4;

impl Seen {
  fn new() -> Self {
    Self { small: Vec::new(), map: None, count: 0 }
  }

  /// The index of `v` if it was met before; else records it and returns None.
  unsafe fn check(&mut self, env: sys::napi_env, v: sys::napi_value) -> R<Option<usize>> {
    unsafe {
      if self.map.is_none() {
        for (i, o) in self.small.iter().enumerate() {
          let mut same = false;
          ok(sys::napi_strict_equals(env, *o, v, &mut same))?;
          if same {
            return Ok(Some(i));
          }
        }
        if self.small.len() < SMALL {
          self.small.push(v);
          self.count += 1;
          return Ok(None);
        }
        let map = new_from_ctor(env, "Map", &[]).map_err(|e| e.reason)?;
        let (get, set) = (get_named(env, map, "get")?, get_named(env, map, "set")?);
        self.map = Some((map, get, set));
        for (i, o) in std::mem::take(&mut self.small).into_iter().enumerate() {
          self.map_set(env, o, i)?;
        }
      }
      let Some((map, get, _)) = self.map else { return Ok(None) };
      let mut found = ptr::null_mut();
      ok(sys::napi_call_function(env, map, get, 1, &v, &mut found))?;
      if type_of(env, found) == sys::ValueType::napi_number {
        let mut i = 0u32;
        ok(sys::napi_get_value_uint32(env, found, &mut i))?;
        return Ok(Some(i as usize));
      }
      self.map_set(env, v, self.count)?;
      self.count += 1;
      Ok(None)
    }
  }

  unsafe fn map_set(&self, env: sys::napi_env, v: sys::napi_value, index: usize) -> R<()> {
    let Some((map, _, set)) = self.map else { return Ok(()) };
    unsafe {
      let mut i = ptr::null_mut();
      ok(sys::napi_create_uint32(env, index as u32, &mut i))?;
      let mut ignored = ptr::null_mut();
      ok(sys::napi_call_function(env, map, set, 2, [v, i].as_ptr(), &mut ignored))
    }
  }
}

pub unsafe fn from_host(env: sys::napi_env, v: sys::napi_value) -> R<Value> {
  unsafe { read(env, v, 0, &mut Seen::new()) }
}

unsafe fn read(env: sys::napi_env, v: sys::napi_value, depth: usize, seen: &mut Seen) -> R<Value> {
  if depth > MAX_DEPTH {
    return Err(too_deep());
  }
  unsafe {
    match type_of(env, v) {
      sys::ValueType::napi_undefined => return Ok(Value::Undefined),
      sys::ValueType::napi_null => return Ok(Value::Null),
      sys::ValueType::napi_boolean => {
        let mut b = false;
        ok(sys::napi_get_value_bool(env, v, &mut b))?;
        return Ok(Value::Bool(b));
      }
      sys::ValueType::napi_number => {
        let mut n = 0f64;
        ok(sys::napi_get_value_double(env, v, &mut n))?;
        return Ok(Value::Number(n));
      }
      sys::ValueType::napi_string => return string_value(env, v),
      sys::ValueType::napi_bigint => {
        let mut sign = 0i32;
        let mut count = 0usize;
        // With both `sign_bit` and `words` null, N-API only reports the word count.
        ok(sys::napi_get_value_bigint_words(env, v, ptr::null_mut(), &mut count, ptr::null_mut()))?;
        let mut words = vec![0u64; count];
        ok(sys::napi_get_value_bigint_words(env, v, &mut sign, &mut count, words.as_mut_ptr()))?;
        return Ok(Value::BigInt { negative: sign != 0, words });
      }
      sys::ValueType::napi_symbol => return Err("a Symbol cannot be cloned".into()),
      sys::ValueType::napi_function => return Err("a function cannot be cloned".into()),
      _ => {}
    }
    if let Some(i) = seen.check(env, v)? {
      return Ok(Value::Ref(i));
    }
    let mut flag = false;
    ok(sys::napi_is_date(env, v, &mut flag))?;
    if flag {
      let mut t = 0f64;
      ok(sys::napi_get_date_value(env, v, &mut t))?;
      return Ok(Value::Date(t));
    }
    ok(sys::napi_is_arraybuffer(env, v, &mut flag))?;
    if flag {
      let mut data = ptr::null_mut();
      let mut len = 0usize;
      ok(sys::napi_get_arraybuffer_info(env, v, &mut data, &mut len))?;
      return Ok(Value::ArrayBuffer(copy(data, len)));
    }
    ok(sys::napi_is_typedarray(env, v, &mut flag))?;
    if flag {
      let mut t = 0;
      let mut len = 0usize;
      let mut data = ptr::null_mut();
      let mut ab = ptr::null_mut();
      let mut offset = 0usize;
      ok(sys::napi_get_typedarray_info(env, v, &mut t, &mut len, &mut data, &mut ab, &mut offset))?;
      let (kind, size) = match t {
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
      return Ok(Value::View { kind, bytes: copy(data, len * size) });
    }
    ok(sys::napi_is_dataview(env, v, &mut flag))?;
    if flag {
      let mut len = 0usize;
      let mut data = ptr::null_mut();
      let mut ab = ptr::null_mut();
      let mut offset = 0usize;
      ok(sys::napi_get_dataview_info(env, v, &mut len, &mut data, &mut ab, &mut offset))?;
      return Ok(Value::View { kind: ViewKind::DataView, bytes: copy(data, len) });
    }
    ok(sys::napi_is_error(env, v, &mut flag))?;
    if flag {
      return Ok(Value::Error(error_info(env, v)));
    }
    ok(sys::napi_is_array(env, v, &mut flag))?;
    if flag {
      let mut items = Vec::new();
      for e in elements(env, v)? {
        items.push(read(env, e, depth + 1, seen)?);
      }
      return Ok(Value::Array(items));
    }
    ok(sys::napi_is_promise(env, v, &mut flag))?;
    if flag {
      return Err("a Promise cannot be cloned; await it first".into());
    }
    if instance_of(env, v, "RegExp") {
      let source = string(env, get_named(env, v, "source")?)?;
      let flags = string(env, get_named(env, v, "flags")?)?;
      return Ok(Value::RegExp { source, flags });
    }
    if instance_of(env, v, "Map") {
      let mut entries = Vec::new();
      for pair in array_from(env, v)? {
        let kv = elements(env, pair)?;
        if let [k, val] = kv[..] {
          entries.push((read(env, k, depth + 1, seen)?, read(env, val, depth + 1, seen)?));
        }
      }
      return Ok(Value::Map(entries));
    }
    if instance_of(env, v, "Set") {
      let mut items = Vec::new();
      for e in array_from(env, v)? {
        items.push(read(env, e, depth + 1, seen)?);
      }
      return Ok(Value::Set(items));
    }
    let mut names = ptr::null_mut();
    ok(sys::napi_get_all_property_names(
      env,
      v,
      sys::KeyCollectionMode::own_only,
      sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
      sys::KeyConversion::numbers_to_strings,
      &mut names,
    ))?;
    let mut props = Vec::new();
    for k in elements(env, names)? {
      let mut pv = ptr::null_mut();
      ok(sys::napi_get_property(env, v, k, &mut pv))?;
      props.push((string(env, k)?, read(env, pv, depth + 1, seen)?));
    }
    Ok(Value::Object(props))
  }
}

unsafe fn copy(data: *mut std::ffi::c_void, len: usize) -> Vec<u8> {
  if data.is_null() || len == 0 {
    return Vec::new();
  }
  unsafe { std::slice::from_raw_parts(data as *const u8, len) }.to_vec()
}

pub unsafe fn str_value(env: sys::napi_env, s: &str) -> napi::Result<sys::napi_value> {
  let mut v = ptr::null_mut();
  check(unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v) })?;
  Ok(v)
}

unsafe fn new_from_ctor(env: sys::napi_env, ctor: &str, args: &[sys::napi_value]) -> napi::Result<sys::napi_value> {
  unsafe {
    let c = global_ctor(env, ctor).map_err(napi::Error::from_reason)?;
    let mut out = ptr::null_mut();
    check(sys::napi_new_instance(env, c, args.len(), args.as_ptr(), &mut out))?;
    Ok(out)
  }
}

pub unsafe fn to_host(env: sys::napi_env, value: &Value) -> napi::Result<sys::napi_value> {
  unsafe { write(env, value, &mut Vec::new()) }
}

/// `made` holds the objects created so far, in the pre-order `Value::Ref` counts in.
unsafe fn write(env: sys::napi_env, value: &Value, made: &mut Vec<sys::napi_value>) -> napi::Result<sys::napi_value> {
  let mut out = ptr::null_mut();
  unsafe {
    // Primitives and references: nothing to record.
    match value {
      Value::Ref(i) => return made.get(*i).copied().ok_or_else(|| napi::Error::from_reason("invalid reference in a cloned value")),
      Value::Undefined => return check(sys::napi_get_undefined(env, &mut out)).map(|_| out),
      Value::Null => return check(sys::napi_get_null(env, &mut out)).map(|_| out),
      Value::Bool(b) => return check(sys::napi_get_boolean(env, *b, &mut out)).map(|_| out),
      Value::Number(n) => return check(sys::napi_create_double(env, *n, &mut out)).map(|_| out),
      Value::BigInt { negative, words } => {
        return check(sys::napi_create_bigint_words(env, *negative as i32, words.len(), words.as_ptr(), &mut out)).map(|_| out)
      }
      Value::String(s) => return str_value(env, s),
      Value::Utf16(u) => return check(sys::napi_create_string_utf16(env, u.as_ptr(), u.len() as isize, &mut out)).map(|_| out),
      _ => {}
    }
    // Containers are recorded before their children, so a child can refer back to them.
    match value {
      Value::Array(items) => {
        check(sys::napi_create_array_with_length(env, items.len(), &mut out))?;
        made.push(out);
        for (i, item) in items.iter().enumerate() {
          check(sys::napi_set_element(env, out, i as u32, write(env, item, made)?))?;
        }
      }
      Value::Object(props) => {
        check(sys::napi_create_object(env, &mut out))?;
        made.push(out);
        for (k, item) in props {
          check(sys::napi_set_property(env, out, str_value(env, k)?, write(env, item, made)?))?;
        }
      }
      Value::Map(entries) => {
        out = new_from_ctor(env, "Map", &[])?;
        made.push(out);
        let set = get_named(env, out, "set").map_err(napi::Error::from_reason)?;
        for (k, v) in entries {
          let args = [write(env, k, made)?, write(env, v, made)?];
          let mut ignored = ptr::null_mut();
          check(sys::napi_call_function(env, out, set, 2, args.as_ptr(), &mut ignored))?;
        }
      }
      Value::Set(items) => {
        out = new_from_ctor(env, "Set", &[])?;
        made.push(out);
        let add = get_named(env, out, "add").map_err(napi::Error::from_reason)?;
        for item in items {
          let arg = write(env, item, made)?;
          let mut ignored = ptr::null_mut();
          check(sys::napi_call_function(env, out, add, 1, &arg, &mut ignored))?;
        }
      }
      // Objects without children.
      Value::Date(t) => {
        check(sys::napi_create_date(env, *t, &mut out))?;
        made.push(out);
      }
      Value::RegExp { source, flags } => {
        out = new_from_ctor(env, "RegExp", &[str_value(env, source)?, str_value(env, flags)?])?;
        made.push(out);
      }
      Value::ArrayBuffer(bytes) => {
        out = array_buffer(env, bytes)?;
        made.push(out);
      }
      Value::View { kind, bytes } => {
        let ab = array_buffer(env, bytes)?;
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
          Some((t, size)) => check(sys::napi_create_typedarray(env, t, bytes.len() / size, ab, 0, &mut out))?,
          None => check(sys::napi_create_dataview(env, bytes.len(), ab, 0, &mut out))?,
        }
        made.push(out);
      }
      Value::Error(info) => {
        out = info.to_host(env);
        made.push(out);
      }
      _ => {}
    }
  }
  Ok(out)
}

pub unsafe fn array_buffer(env: sys::napi_env, bytes: &[u8]) -> napi::Result<sys::napi_value> {
  let mut out = ptr::null_mut();
  let mut data = ptr::null_mut();
  unsafe {
    check(sys::napi_create_arraybuffer(env, bytes.len(), &mut data, &mut out))?;
    if !bytes.is_empty() && !data.is_null() {
      ptr::copy_nonoverlapping(bytes.as_ptr(), data as *mut u8, bytes.len());
    }
  }
  Ok(out)
}
