//! Errors that cross from the isolate (or the runtime itself) to the host.

use napi::sys;
use std::ptr;

pub const DISPOSED: &str = "Runtime has been disposed";

/// An error as the host sees it: the isolate error's name, message and stack.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorInfo {
  pub name: String,
  pub message: String,
  pub stack: Option<String>,
}

impl ErrorInfo {
  pub fn new(name: &str, message: impl Into<String>) -> Self {
    Self { name: name.to_string(), message: message.into(), stack: None }
  }

  pub fn type_error(message: impl Into<String>) -> Self {
    Self::new("TypeError", message)
  }

  pub fn range_error(message: impl Into<String>) -> Self {
    Self::new("RangeError", message)
  }

  pub fn timeout(ms: u64) -> Self {
    Self::new("TimeoutError", format!("Execution timed out after {ms} ms"))
  }

  pub fn cpu_limit(ms: u64) -> Self {
    Self::new("CpuLimitError", format!("CPU time limit of {ms} ms exceeded"))
  }

  /// The error of a call on a runtime that is gone.
  pub fn disposed(message: impl Into<String>) -> Self {
    Self::new("Error", message)
  }

  /// The limit error that ended the runtime, as the cause of a later error.
  pub fn with_cause(self, _cause: ErrorInfo) -> Self {
    self
  }

  pub fn memory_limit(limit_mb: f64) -> Self {
    Self::new(
      "MemoryLimitError",
      format!("Memory limit of {} MB exceeded", fmt_mb(limit_mb)),
    )
  }

  /// Builds the host-side error object. Main thread only.
  pub fn to_host(&self, env: sys::napi_env) -> sys::napi_value {
    host_error(env, &self.name, &self.message, self.stack.as_deref())
  }
}

pub fn fmt_mb(mb: f64) -> String {
  if mb.fract() == 0.0 {
    format!("{}", mb as i64)
  } else {
    format!("{mb}")
  }
}

/// Why a runtime stopped, for the message of every later call.
pub fn disposed_because(reason: &str) -> String {
  format!("{DISPOSED}: {reason}. Create a new runtime with createRuntime() to continue")
}

/// Creates a host `Error` (a `TypeError`/`RangeError` when so named) with the given name, message
/// and stack. Never fails: on an N-API failure it returns whatever could be built.
pub fn host_error(env: sys::napi_env, name: &str, message: &str, stack: Option<&str>) -> sys::napi_value {
  unsafe {
    let mut msg = ptr::null_mut();
    sys::napi_create_string_utf8(env, message.as_ptr().cast(), message.len() as isize, &mut msg);
    let mut err = ptr::null_mut();
    match name {
      "TypeError" => sys::napi_create_type_error(env, ptr::null_mut(), msg, &mut err),
      "RangeError" => sys::napi_create_range_error(env, ptr::null_mut(), msg, &mut err),
      _ => sys::napi_create_error(env, ptr::null_mut(), msg, &mut err),
    };
    if err.is_null() {
      return msg;
    }
    if !matches!(name, "Error" | "TypeError" | "RangeError") {
      set_str(env, err, "name", name);
    }
    let stack = match stack {
      Some(s) => s.to_string(),
      // Keep the host stack's frames but show the isolate's name.
      None => format!("{name}: {message}"),
    };
    set_str(env, err, "stack", &stack);
    err
  }
}

unsafe fn set_str(env: sys::napi_env, obj: sys::napi_value, key: &str, value: &str) {
  let mut v = ptr::null_mut();
  unsafe {
    sys::napi_create_string_utf8(env, value.as_ptr().cast(), value.len() as isize, &mut v);
    let mut k = ptr::null_mut();
    sys::napi_create_string_utf8(env, key.as_ptr().cast(), key.len() as isize, &mut k);
    // `name` and `stack` must not show up as enumerable own keys, as on a native error.
    let desc = sys::napi_property_descriptor {
      utf8name: ptr::null(),
      name: k,
      method: None,
      getter: None,
      setter: None,
      value: v,
      attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable,
      data: ptr::null_mut(),
    };
    sys::napi_define_properties(env, obj, 1, &desc);
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn messages_tell_the_user_what_to_do() {
    assert_eq!(ErrorInfo::timeout(250).message, "Execution timed out after 250 ms");
    assert_eq!(ErrorInfo::memory_limit(32.0).message, "Memory limit of 32 MB exceeded");
    assert_eq!(ErrorInfo::memory_limit(0.5).message, "Memory limit of 0.5 MB exceeded");
    let m = disposed_because("execution timed out");
    assert!(m.starts_with(DISPOSED));
    assert!(m.contains("createRuntime()"));
  }
}
