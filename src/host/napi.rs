//! Every raw N-API call of the addon, as small wrappers that check each status.
//!
//! When a call fails with a JS exception pending (a getter threw, a proxy trap threw, a host
//! function threw), the wrapper takes the exception and returns it as [`Fail::Threw`]: an exception
//! is never left pending for Node to find later. Everything outside this module calls these
//! wrappers; napi-rs's own typed API is used only by the `#[napi]` items of lib.rs.

use napi::sys;
use std::ffi::c_void;
use std::ptr;

pub type Val = sys::napi_value;
pub type ValueType = sys::napi_valuetype;

/// Why an N-API call failed.
#[derive(Clone, Copy, Debug)]
pub enum Fail {
  /// JavaScript threw; the exception was taken (it is no longer pending).
  Threw(Val),
  /// The call failed without an exception; `what` names the call.
  Status(sys::napi_status, &'static str),
}

pub type NResult<T> = Result<T, Fail>;

impl From<Fail> for napi::Error {
  fn from(f: Fail) -> Self {
    match f {
      Fail::Threw(_) => napi::Error::from_reason("a host function threw"),
      Fail::Status(s, what) => napi::Error::new(napi::Status::from(s), format!("N-API call {what} failed")),
    }
  }
}

/// Node's main-thread environment, as N-API hands it to callbacks. Only made from an env that
/// N-API gave us on the thread that runs it.
#[derive(Clone, Copy, Debug)]
pub struct Env(sys::napi_env);

/// A typed array's or DataView's element type and byte view.
pub struct ViewInfo {
  pub kind: sys::napi_typedarray_type,
  pub length: usize,
  pub data: *const u8,
}

const OK: sys::napi_status = sys::Status::napi_ok;

impl Env {
  /// # Safety
  /// `env` must be the environment of the current callback, on its thread.
  pub unsafe fn from_raw(env: sys::napi_env) -> Self {
    Self(env)
  }

  pub fn raw(self) -> sys::napi_env {
    self.0
  }

  /// Maps a status to a result, taking the pending exception if the call left one.
  pub fn check(self, status: sys::napi_status, what: &'static str) -> NResult<()> {
    if status == OK {
      return Ok(());
    }
    match self.take_exception() {
      Some(e) => Err(Fail::Threw(e)),
      None => Err(Fail::Status(status, what)),
    }
  }

  /// Takes the pending exception, if there is one.
  pub fn take_exception(self) -> Option<Val> {
    let mut pending = false;
    let mut e = ptr::null_mut();
    unsafe {
      if sys::napi_is_exception_pending(self.0, &mut pending) != OK || !pending {
        return None;
      }
      if sys::napi_get_and_clear_last_exception(self.0, &mut e) != OK || e.is_null() {
        return None;
      }
    }
    Some(e)
  }

  fn out<T>(self, what: &'static str, f: impl FnOnce(*mut T) -> sys::napi_status, init: T) -> NResult<T> {
    let mut v = init;
    let status = f(&mut v);
    self.check(status, what)?;
    Ok(v)
  }

  fn val(self, what: &'static str, f: impl FnOnce(*mut Val) -> sys::napi_status) -> NResult<Val> {
    let v = self.out(what, f, ptr::null_mut())?;
    if v.is_null() {
      return Err(Fail::Status(sys::Status::napi_generic_failure, what));
    }
    Ok(v)
  }

  // --- primitives -------------------------------------------------------------------------------

  pub fn undefined(self) -> NResult<Val> {
    self.val("napi_get_undefined", |v| unsafe { sys::napi_get_undefined(self.0, v) })
  }

  pub fn null(self) -> NResult<Val> {
    self.val("napi_get_null", |v| unsafe { sys::napi_get_null(self.0, v) })
  }

  pub fn boolean(self, b: bool) -> NResult<Val> {
    self.val("napi_get_boolean", |v| unsafe { sys::napi_get_boolean(self.0, b, v) })
  }

  pub fn double(self, n: f64) -> NResult<Val> {
    self.val("napi_create_double", |v| unsafe { sys::napi_create_double(self.0, n, v) })
  }

  pub fn string(self, s: &str) -> NResult<Val> {
    let len = isize::try_from(s.len()).map_err(|_| Fail::Status(sys::Status::napi_invalid_arg, "napi_create_string_utf8"))?;
    self.val("napi_create_string_utf8", |v| unsafe { sys::napi_create_string_utf8(self.0, s.as_ptr().cast(), len, v) })
  }

  pub fn string_utf16(self, s: &[u16]) -> NResult<Val> {
    let len = isize::try_from(s.len()).map_err(|_| Fail::Status(sys::Status::napi_invalid_arg, "napi_create_string_utf16"))?;
    self.val("napi_create_string_utf16", |v| unsafe { sys::napi_create_string_utf16(self.0, s.as_ptr(), len, v) })
  }

  pub fn bigint(self, negative: bool, words: &[u64]) -> NResult<Val> {
    self.val("napi_create_bigint_words", |v| unsafe {
      sys::napi_create_bigint_words(self.0, negative as i32, words.len(), words.as_ptr(), v)
    })
  }

  pub fn type_of(self, v: Val) -> NResult<ValueType> {
    self.out("napi_typeof", |t| unsafe { sys::napi_typeof(self.0, v, t) }, sys::ValueType::napi_undefined)
  }

  pub fn get_bool(self, v: Val) -> NResult<bool> {
    self.out("napi_get_value_bool", |b| unsafe { sys::napi_get_value_bool(self.0, v, b) }, false)
  }

  pub fn get_double(self, v: Val) -> NResult<f64> {
    self.out("napi_get_value_double", |n| unsafe { sys::napi_get_value_double(self.0, v, n) }, 0.0)
  }

  pub fn get_u32(self, v: Val) -> NResult<u32> {
    self.out("napi_get_value_uint32", |n| unsafe { sys::napi_get_value_uint32(self.0, v, n) }, 0)
  }

  /// The length in UTF-16 code units of a string (no copy).
  pub fn string_length(self, v: Val) -> NResult<usize> {
    self.out("napi_get_value_string_utf16", |n| unsafe { sys::napi_get_value_string_utf16(self.0, v, ptr::null_mut(), 0, n) }, 0)
  }

  /// A string's value as UTF-8 (lone surrogates become U+FFFD).
  pub fn get_string(self, v: Val) -> NResult<String> {
    let len = self.out("napi_get_value_string_utf8", |n| unsafe { sys::napi_get_value_string_utf8(self.0, v, ptr::null_mut(), 0, n) }, 0usize)?;
    let mut buf = vec![0u8; len.saturating_add(1)];
    let written = self.out(
      "napi_get_value_string_utf8",
      |n| unsafe { sys::napi_get_value_string_utf8(self.0, v, buf.as_mut_ptr().cast(), buf.len(), n) },
      0usize,
    )?;
    buf.truncate(written.min(len));
    Ok(String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
  }

  pub fn get_string_utf16(self, v: Val) -> NResult<Vec<u16>> {
    let len = self.string_length(v)?;
    let mut buf = vec![0u16; len.saturating_add(1)];
    let written = self.out(
      "napi_get_value_string_utf16",
      |n| unsafe { sys::napi_get_value_string_utf16(self.0, v, buf.as_mut_ptr(), buf.len(), n) },
      0usize,
    )?;
    buf.truncate(written.min(len));
    Ok(buf)
  }

  /// The number of 64-bit words of a BigInt (no copy).
  pub fn bigint_word_count(self, v: Val) -> NResult<usize> {
    // With both `sign_bit` and `words` null, N-API only reports the word count.
    self.out(
      "napi_get_value_bigint_words",
      |n| unsafe { sys::napi_get_value_bigint_words(self.0, v, ptr::null_mut(), n, ptr::null_mut()) },
      0usize,
    )
  }

  pub fn get_bigint(self, v: Val) -> NResult<(bool, Vec<u64>)> {
    let count = self.bigint_word_count(v)?;
    let mut words = vec![0u64; count];
    let mut sign = 0i32;
    let mut n = count;
    self.check(unsafe { sys::napi_get_value_bigint_words(self.0, v, &mut sign, &mut n, words.as_mut_ptr()) }, "napi_get_value_bigint_words")?;
    words.truncate(n.min(count));
    Ok((sign != 0, words))
  }

  pub fn coerce_string(self, v: Val) -> NResult<Val> {
    self.val("napi_coerce_to_string", |o| unsafe { sys::napi_coerce_to_string(self.0, v, o) })
  }

  pub fn coerce_bool(self, v: Val) -> NResult<bool> {
    let b = self.val("napi_coerce_to_bool", |o| unsafe { sys::napi_coerce_to_bool(self.0, v, o) })?;
    self.get_bool(b)
  }

  pub fn strict_equals(self, a: Val, b: Val) -> NResult<bool> {
    self.out("napi_strict_equals", |r| unsafe { sys::napi_strict_equals(self.0, a, b, r) }, false)
  }

  // --- objects ----------------------------------------------------------------------------------

  pub fn object(self) -> NResult<Val> {
    self.val("napi_create_object", |v| unsafe { sys::napi_create_object(self.0, v) })
  }

  /// An array of `len` holes (its `length` is `len`, no element exists yet).
  pub fn array_with_length(self, len: usize) -> NResult<Val> {
    self.val("napi_create_array_with_length", |v| unsafe { sys::napi_create_array_with_length(self.0, len, v) })
  }

  pub fn date(self, t: f64) -> NResult<Val> {
    self.val("napi_create_date", |v| unsafe { sys::napi_create_date(self.0, t, v) })
  }

  pub fn get_date(self, v: Val) -> NResult<f64> {
    self.out("napi_get_date_value", |t| unsafe { sys::napi_get_date_value(self.0, v, t) }, 0.0)
  }

  /// A new ArrayBuffer holding a copy of `bytes`.
  pub fn arraybuffer(self, bytes: &[u8]) -> NResult<Val> {
    let mut data = ptr::null_mut();
    let v = self.val("napi_create_arraybuffer", |v| unsafe { sys::napi_create_arraybuffer(self.0, bytes.len(), &mut data, v) })?;
    if !bytes.is_empty() {
      if data.is_null() {
        return Err(Fail::Status(sys::Status::napi_generic_failure, "napi_create_arraybuffer"));
      }
      // SAFETY: N-API just allocated `bytes.len()` bytes at `data`.
      unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data as *mut u8, bytes.len()) };
    }
    Ok(v)
  }

  pub fn typedarray(self, kind: sys::napi_typedarray_type, length: usize, buffer: Val) -> NResult<Val> {
    self.val("napi_create_typedarray", |v| unsafe { sys::napi_create_typedarray(self.0, kind, length, buffer, 0, v) })
  }

  pub fn dataview(self, length: usize, buffer: Val) -> NResult<Val> {
    self.val("napi_create_dataview", |v| unsafe { sys::napi_create_dataview(self.0, length, buffer, 0, v) })
  }

  /// The bytes of an ArrayBuffer (empty when detached).
  pub fn arraybuffer_info(self, v: Val) -> NResult<(*const u8, usize)> {
    let mut data = ptr::null_mut();
    let len = self.out("napi_get_arraybuffer_info", |n| unsafe { sys::napi_get_arraybuffer_info(self.0, v, &mut data, n) }, 0usize)?;
    Ok((data as *const u8, if data.is_null() { 0 } else { len }))
  }

  /// A typed array's kind, element count and first byte.
  pub fn typedarray_info(self, v: Val) -> NResult<ViewInfo> {
    let (mut kind, mut length, mut data, mut ab, mut offset) = (0, 0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
    self.check(
      unsafe { sys::napi_get_typedarray_info(self.0, v, &mut kind, &mut length, &mut data, &mut ab, &mut offset) },
      "napi_get_typedarray_info",
    )?;
    Ok(ViewInfo { kind, length: if data.is_null() { 0 } else { length }, data: data as *const u8 })
  }

  pub fn dataview_info(self, v: Val) -> NResult<(*const u8, usize)> {
    let (mut length, mut data, mut ab, mut offset) = (0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
    self.check(unsafe { sys::napi_get_dataview_info(self.0, v, &mut length, &mut data, &mut ab, &mut offset) }, "napi_get_dataview_info")?;
    Ok((data as *const u8, if data.is_null() { 0 } else { length }))
  }

  pub fn is_array(self, v: Val) -> NResult<bool> {
    self.out("napi_is_array", |b| unsafe { sys::napi_is_array(self.0, v, b) }, false)
  }

  pub fn is_arraybuffer(self, v: Val) -> NResult<bool> {
    self.out("napi_is_arraybuffer", |b| unsafe { sys::napi_is_arraybuffer(self.0, v, b) }, false)
  }

  pub fn is_typedarray(self, v: Val) -> NResult<bool> {
    self.out("napi_is_typedarray", |b| unsafe { sys::napi_is_typedarray(self.0, v, b) }, false)
  }

  pub fn is_dataview(self, v: Val) -> NResult<bool> {
    self.out("napi_is_dataview", |b| unsafe { sys::napi_is_dataview(self.0, v, b) }, false)
  }

  pub fn is_date(self, v: Val) -> NResult<bool> {
    self.out("napi_is_date", |b| unsafe { sys::napi_is_date(self.0, v, b) }, false)
  }

  pub fn is_error(self, v: Val) -> NResult<bool> {
    self.out("napi_is_error", |b| unsafe { sys::napi_is_error(self.0, v, b) }, false)
  }

  pub fn is_promise(self, v: Val) -> NResult<bool> {
    self.out("napi_is_promise", |b| unsafe { sys::napi_is_promise(self.0, v, b) }, false)
  }

  pub fn instance_of(self, v: Val, ctor: Val) -> NResult<bool> {
    self.out("napi_instanceof", |b| unsafe { sys::napi_instanceof(self.0, v, ctor, b) }, false)
  }

  /// `obj[key]` (runs getters and proxy traps; a throw comes back as `Fail::Threw`).
  pub fn get(self, obj: Val, key: Val) -> NResult<Val> {
    self.val("napi_get_property", |v| unsafe { sys::napi_get_property(self.0, obj, key, v) })
  }

  pub fn get_named(self, obj: Val, key: &str) -> NResult<Val> {
    let k = self.string(key)?;
    self.get(obj, k)
  }

  pub fn get_element(self, arr: Val, i: u32) -> NResult<Val> {
    self.val("napi_get_element", |v| unsafe { sys::napi_get_element(self.0, arr, i, v) })
  }

  /// `i in arr` (own or inherited).
  pub fn has_element(self, arr: Val, i: u32) -> NResult<bool> {
    self.out("napi_has_element", |b| unsafe { sys::napi_has_element(self.0, arr, i, b) }, false)
  }

  pub fn array_length(self, arr: Val) -> NResult<u32> {
    self.out("napi_get_array_length", |n| unsafe { sys::napi_get_array_length(self.0, arr, n) }, 0)
  }

  /// The own enumerable string keys of an object, as a host array.
  pub fn own_keys(self, obj: Val) -> NResult<Val> {
    self.val("napi_get_all_property_names", |v| unsafe {
      sys::napi_get_all_property_names(
        self.0,
        obj,
        sys::KeyCollectionMode::own_only,
        sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
        sys::KeyConversion::numbers_to_strings,
        v,
      )
    })
  }

  /// Defines own data properties (writable, enumerable, configurable), as object literals and
  /// structured clone do: no setter (on the object or its prototypes) runs, and a key named
  /// `__proto__` is an ordinary own property. Keys must be strings.
  pub fn define_data(self, obj: Val, props: &[(Val, Val)]) -> NResult<()> {
    self.define(obj, props, sys::PropertyAttributes::writable | sys::PropertyAttributes::enumerable | sys::PropertyAttributes::configurable)
  }

  /// Defines own non-enumerable data properties (like an Error's `name` and `stack`).
  pub fn define_hidden(self, obj: Val, props: &[(Val, Val)]) -> NResult<()> {
    self.define(obj, props, sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable)
  }

  fn define(self, obj: Val, props: &[(Val, Val)], attributes: sys::napi_property_attributes) -> NResult<()> {
    if props.is_empty() {
      return Ok(());
    }
    let descs: Vec<sys::napi_property_descriptor> = props
      .iter()
      .map(|(k, v)| sys::napi_property_descriptor {
        utf8name: ptr::null(),
        name: *k,
        method: None,
        getter: None,
        setter: None,
        value: *v,
        attributes,
        data: ptr::null_mut(),
      })
      .collect();
    self.check(unsafe { sys::napi_define_properties(self.0, obj, descs.len(), descs.as_ptr()) }, "napi_define_properties")
  }

  pub fn global(self) -> NResult<Val> {
    self.val("napi_get_global", |v| unsafe { sys::napi_get_global(self.0, v) })
  }

  // --- functions --------------------------------------------------------------------------------

  pub fn call(self, this: Val, f: Val, args: &[Val]) -> NResult<Val> {
    self.val("napi_call_function", |v| unsafe { sys::napi_call_function(self.0, this, f, args.len(), args.as_ptr(), v) })
  }

  pub fn new_instance(self, ctor: Val, args: &[Val]) -> NResult<Val> {
    self.val("napi_new_instance", |v| unsafe { sys::napi_new_instance(self.0, ctor, args.len(), args.as_ptr(), v) })
  }

  /// A JS function calling `cb` with `data`.
  pub fn function(self, name: &str, cb: sys::napi_callback, data: *mut c_void) -> NResult<Val> {
    let len = isize::try_from(name.len()).map_err(|_| Fail::Status(sys::Status::napi_invalid_arg, "napi_create_function"))?;
    self.val("napi_create_function", |v| unsafe { sys::napi_create_function(self.0, name.as_ptr().cast(), len, cb, data, v) })
  }

  pub fn add_finalizer(self, obj: Val, data: *mut c_void, cb: sys::napi_finalize) -> NResult<()> {
    self.check(unsafe { sys::napi_add_finalizer(self.0, obj, data, cb, ptr::null_mut(), ptr::null_mut()) }, "napi_add_finalizer")
  }

  /// Fills `argv` with the call's arguments; returns how many were passed (maybe more than
  /// `argv.len()`) and the function's data.
  pub fn cb_info(self, info: sys::napi_callback_info, argv: &mut [Val]) -> NResult<(usize, *mut c_void)> {
    let mut argc = argv.len();
    let mut data = ptr::null_mut();
    self.check(unsafe { sys::napi_get_cb_info(self.0, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data) }, "napi_get_cb_info")?;
    Ok((argc, data))
  }

  pub fn throw(self, error: Val) -> NResult<()> {
    self.check(unsafe { sys::napi_throw(self.0, error) }, "napi_throw")
  }

  /// Runs trusted source (our own glue) in Node's context.
  pub fn run_script(self, source: &str) -> NResult<Val> {
    let src = self.string(source)?;
    self.val("napi_run_script", |v| unsafe { sys::napi_run_script(self.0, src, v) })
  }

  // --- errors -----------------------------------------------------------------------------------

  pub fn error(self, msg: Val) -> NResult<Val> {
    self.val("napi_create_error", |v| unsafe { sys::napi_create_error(self.0, ptr::null_mut(), msg, v) })
  }

  pub fn type_error(self, msg: Val) -> NResult<Val> {
    self.val("napi_create_type_error", |v| unsafe { sys::napi_create_type_error(self.0, ptr::null_mut(), msg, v) })
  }

  pub fn range_error(self, msg: Val) -> NResult<Val> {
    self.val("napi_create_range_error", |v| unsafe { sys::napi_create_range_error(self.0, ptr::null_mut(), msg, v) })
  }

  // --- references, promises ---------------------------------------------------------------------

  pub fn reference(self, v: Val) -> NResult<sys::napi_ref> {
    self.out("napi_create_reference", |r| unsafe { sys::napi_create_reference(self.0, v, 1, r) }, ptr::null_mut())
  }

  pub fn reference_value(self, r: sys::napi_ref) -> NResult<Val> {
    self.val("napi_get_reference_value", |v| unsafe { sys::napi_get_reference_value(self.0, r, v) })
  }

  pub fn delete_reference(self, r: sys::napi_ref) -> NResult<()> {
    self.check(unsafe { sys::napi_delete_reference(self.0, r) }, "napi_delete_reference")
  }

  pub fn promise(self) -> NResult<(sys::napi_deferred, Val)> {
    let mut deferred = ptr::null_mut();
    let p = self.val("napi_create_promise", |v| unsafe { sys::napi_create_promise(self.0, &mut deferred, v) })?;
    Ok((deferred, p))
  }

  pub fn resolve(self, deferred: sys::napi_deferred, v: Val) -> NResult<()> {
    self.check(unsafe { sys::napi_resolve_deferred(self.0, deferred, v) }, "napi_resolve_deferred")
  }

  pub fn reject(self, deferred: sys::napi_deferred, v: Val) -> NResult<()> {
    self.check(unsafe { sys::napi_reject_deferred(self.0, deferred, v) }, "napi_reject_deferred")
  }

  // --- environment ------------------------------------------------------------------------------

  /// # Safety
  /// `data` must be what `finalize` expects; it owns it from now on (also on failure).
  pub unsafe fn set_instance_data(self, data: *mut c_void, finalize: sys::napi_finalize) -> NResult<()> {
    self.check(unsafe { sys::napi_set_instance_data(self.0, data, finalize, ptr::null_mut()) }, "napi_set_instance_data")
  }

  pub fn instance_data(self) -> NResult<*mut c_void> {
    self.out("napi_get_instance_data", |d| unsafe { sys::napi_get_instance_data(self.0, d) }, ptr::null_mut())
  }

  pub fn add_cleanup_hook(self, hook: unsafe extern "C" fn(*mut c_void), data: *mut c_void) -> NResult<()> {
    self.check(unsafe { sys::napi_add_env_cleanup_hook(self.0, Some(hook), data) }, "napi_add_env_cleanup_hook")
  }

  // --- threadsafe functions ---------------------------------------------------------------------

  /// # Safety
  /// `finalize` must own `finalize_data`; `call_js` must own what is queued.
  pub unsafe fn threadsafe_function(
    self,
    name: &str,
    finalize_data: *mut c_void,
    finalize: sys::napi_finalize,
    call_js: sys::napi_threadsafe_function_call_js,
  ) -> NResult<sys::napi_threadsafe_function> {
    let name = self.string(name)?;
    self.out(
      "napi_create_threadsafe_function",
      |t| unsafe {
        sys::napi_create_threadsafe_function(self.0, ptr::null_mut(), ptr::null_mut(), name, 0, 1, finalize_data, finalize, ptr::null_mut(), call_js, t)
      },
      ptr::null_mut(),
    )
  }

  pub fn ref_tsfn(self, tsfn: sys::napi_threadsafe_function) -> NResult<()> {
    self.check(unsafe { sys::napi_ref_threadsafe_function(self.0, tsfn) }, "napi_ref_threadsafe_function")
  }

  pub fn unref_tsfn(self, tsfn: sys::napi_threadsafe_function) -> NResult<()> {
    self.check(unsafe { sys::napi_unref_threadsafe_function(self.0, tsfn) }, "napi_unref_threadsafe_function")
  }
}

/// Queues `data` on a threadsafe function, from any thread; false if Node refused it.
///
/// # Safety
/// `tsfn` must not have been released.
pub unsafe fn call_tsfn(tsfn: sys::napi_threadsafe_function, data: *mut c_void) -> bool {
  unsafe { sys::napi_call_threadsafe_function(tsfn, data, sys::ThreadsafeFunctionCallMode::nonblocking) == OK }
}

/// # Safety
/// `tsfn` must not have been released before.
pub unsafe fn release_tsfn(tsfn: sys::napi_threadsafe_function) {
  unsafe { sys::napi_release_threadsafe_function(tsfn, sys::ThreadsafeFunctionReleaseMode::release) };
}
