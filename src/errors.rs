//! Errors that cross from the isolate (or the runtime itself) to the host.
//!
//! A limit that ends a runtime (memory, time, CPU) or a disposed runtime reaches the host as an
//! instance of a class this package exports (`MemoryLimitError`, `TimeoutError`, `CpuLimitError`,
//! `RuntimeDisposedError`, all `IsolateError`s with a `code`). Only the constructors below make
//! those kinds: whatever an isolate throws is read as `ErrorKind::Script`, so a script cannot forge
//! one, whatever name or `code` it gives its error.

use crate::host::napi::{Env, NResult, Val};
use napi::sys;
use std::ffi::c_void;

pub const DISPOSED: &str = "Runtime has been disposed";

/// What made an error: a script (or a host callback), or the runtime itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ErrorKind {
  #[default]
  Script,
  MemoryLimit,
  Timeout,
  CpuLimit,
  Disposed,
}

impl ErrorKind {
  /// The exported class and `code` of a runtime-made kind.
  fn class(self) -> Option<(&'static str, &'static str)> {
    match self {
      ErrorKind::Script => None,
      ErrorKind::MemoryLimit => Some(("MemoryLimitError", "ERR_ISOLATE_MEMORY_LIMIT")),
      ErrorKind::Timeout => Some(("TimeoutError", "ERR_ISOLATE_TIMEOUT")),
      ErrorKind::CpuLimit => Some(("CpuLimitError", "ERR_ISOLATE_CPU_LIMIT")),
      ErrorKind::Disposed => Some(("RuntimeDisposedError", "ERR_ISOLATE_DISPOSED")),
    }
  }
}

/// An error as the host sees it: the isolate error's name, message and stack.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ErrorInfo {
  pub name: String,
  pub message: String,
  pub stack: Option<String>,
  pub kind: ErrorKind,
  /// Why this happened (the limit that ended a disposed runtime; what a host getter threw).
  pub cause: Option<Box<ErrorInfo>>,
}

impl ErrorInfo {
  /// An error of a script or of a host callback (never one of the runtime's own kinds).
  pub fn new(name: &str, message: impl Into<String>) -> Self {
    Self { name: name.to_string(), message: message.into(), ..Self::default() }
  }

  pub fn type_error(message: impl Into<String>) -> Self {
    Self::new("TypeError", message)
  }

  pub fn range_error(message: impl Into<String>) -> Self {
    Self::new("RangeError", message)
  }

  pub fn with_cause(mut self, cause: ErrorInfo) -> Self {
    self.cause = Some(Box::new(cause));
    self
  }

  fn of_kind(kind: ErrorKind, message: String) -> Self {
    let name = kind.class().map(|(n, _)| n).unwrap_or("Error");
    Self { name: name.to_string(), message, kind, ..Self::default() }
  }

  /// Wording as @ricsam/isolate-runtime's: "Execution timed out after 100ms".
  pub fn timeout(ms: u64) -> Self {
    Self::timeout_of("Execution", ms)
  }

  /// A TimeoutError "<what> timed out after <ms>ms" (a test run's is "Test timed out after
  /// 100ms", as @ricsam/isolate-runtime words it).
  pub fn timeout_of(what: &str, ms: u64) -> Self {
    Self::of_kind(ErrorKind::Timeout, format!("{what} timed out after {ms}ms"))
  }

  pub fn memory_limit(limit_mb: f64) -> Self {
    Self::of_kind(ErrorKind::MemoryLimit, format!("Memory limit of {} MB exceeded", fmt_mb(limit_mb)))
  }

  pub fn cpu_limit(ms: u64) -> Self {
    Self::of_kind(ErrorKind::CpuLimit, format!("CPU time limit of {ms}ms exceeded"))
  }

  /// The runtime is gone; `message` starts with "Runtime has been disposed".
  pub fn disposed(message: impl Into<String>) -> Self {
    Self::of_kind(ErrorKind::Disposed, message.into())
  }

  /// The runtime was ended by `cause` (a limit): every later call gets this.
  #[allow(dead_code)] // Shared::later_error builds the same from its stored reason
  pub fn disposed_because(reason: &str, cause: ErrorInfo) -> Self {
    Self::disposed(disposed_because(reason)).with_cause(cause)
  }

  /// Builds the host-side error object. Main thread only. Never fails: if N-API cannot build
  /// the error, the message string is returned.
  pub fn to_host(&self, env: Env) -> Val {
    match self.build(env, 0) {
      Ok(v) => v,
      Err(_) => env.string(&self.message).or_else(|_| env.undefined()).unwrap_or(std::ptr::null_mut()),
    }
  }

  fn build(&self, env: Env, depth: usize) -> NResult<Val> {
    let msg = env.string(&self.message)?;
    let cause = match &self.cause {
      // A cause chain is built here (never from a script), but stays bounded anyway.
      Some(c) if depth < 8 => Some(c.build(env, depth + 1)?),
      _ => None,
    };
    if let Some((class, _)) = self.kind.class() {
      if let Some(ctor) = classes::get(env, class) {
        let mut args = vec![msg];
        if let Some(c) = cause {
          let options = env.object()?;
          env.define_data(options, &[(env.string("cause")?, c)])?;
          args.push(options);
        }
        return env.new_instance(ctor, &args);
      }
    }
    let err = match self.name.as_str() {
      "TypeError" => env.type_error(msg)?,
      "RangeError" => env.range_error(msg)?,
      _ => env.error(msg)?,
    };
    let mut hidden = Vec::with_capacity(3);
    if !matches!(self.name.as_str(), "Error" | "TypeError" | "RangeError") {
      hidden.push((env.string("name")?, env.string(&self.name)?));
    }
    // The host's stack would show Rust-side frames; keep the isolate's, or just name and message.
    let stack = match &self.stack {
      Some(s) => env.string(s)?,
      None => env.string(&format!("{}: {}", self.name, self.message))?,
    };
    hidden.push((env.string("stack")?, stack));
    if let Some(c) = cause {
      hidden.push((env.string("cause")?, c));
    }
    env.define_hidden(err, &hidden)?;
    Ok(err)
  }
}

pub fn fmt_mb(mb: f64) -> String {
  if mb.fract() == 0.0 {
    format!("{}", mb as i64)
  } else {
    format!("{mb}")
  }
}

/// The reason given when `executionTimeout` (or a test run's deadline) ends a runtime: later
/// calls then say "… runtime execution timed out after 100ms …", as @ricsam/isolate-runtime's do.
pub fn runtime_timed_out(ms: u64, what: &str) -> String {
  format!("runtime execution timed out after {ms}ms ({what})")
}

/// Why a runtime stopped, for the message of every later call.
pub fn disposed_because(reason: &str) -> String {
  format!("{DISPOSED}: {reason}. Create a new runtime with createRuntime() to continue")
}

/// Creates a host `Error` (a `TypeError`/`RangeError` when so named) with the given name, message
/// and stack. Never fails: on an N-API failure it returns whatever could be built.
pub fn host_error(env: Env, name: &str, message: &str, stack: Option<&str>) -> Val {
  let mut info = ErrorInfo::new(name, message);
  info.stack = stack.map(str::to_string);
  info.to_host(env)
}

/// The exported error classes, made once per Node realm (the main thread and each worker load the
/// addon separately) and kept in that realm's N-API instance data.
pub mod classes {
  use super::*;

  const SOURCE: &str = r#"(function () {
  'use strict'
  const define = (target, key, value) =>
    Object.defineProperty(target, key, { value, writable: true, enumerable: false, configurable: true })
  /** Base class of the errors the runtime itself raises (limits, disposal). */
  class IsolateError extends Error {
    constructor(message, options) {
      super(message, options)
    }
  }
  define(IsolateError.prototype, 'name', 'IsolateError')
  const make = (name, code) => {
    const C = {
      [name]: class extends IsolateError {
        constructor(message, options) {
          super(message, options)
          define(this, 'code', code)
        }
      },
    }[name]
    define(C.prototype, 'name', name)
    return C
  }
  // @ricsam/isolate-runtime's helper, so code that imports it from there works unchanged: console
  // options sending each entry's text to the callback of its level (assert to error; trace, dir,
  // table, time, timeLog and count to log; group, countReset and clear nowhere).
  const simpleConsoleHandler = (callbacks) => {
    if (callbacks === null || typeof callbacks !== 'object') {
      throw new TypeError('simpleConsoleHandler(callbacks): callbacks must be an object of { log, warn, error, info, debug } functions')
    }
    const call = (level, text) => {
      const f = callbacks[level]
      if (typeof f === 'function') f(text)
    }
    const ms = (e) => `${e.label}: ${Number(e.duration).toFixed(2)}ms`
    return {
      onEntry(e) {
        switch (e.type) {
          case 'output': return call(e.level, e.stdout)
          case 'assert': return call('error', e.stdout)
          case 'trace': return call('log', e.stack)
          case 'dir': case 'table': return call('log', e.stdout)
          case 'time': return call('log', ms(e))
          case 'timeLog': return call('log', e.stdout ? `${ms(e)} ${e.stdout}` : ms(e))
          case 'count': return call('log', `${e.label}: ${e.count}`)
        }
      },
    }
  }
  return {
    IsolateError,
    MemoryLimitError: make('MemoryLimitError', 'ERR_ISOLATE_MEMORY_LIMIT'),
    TimeoutError: make('TimeoutError', 'ERR_ISOLATE_TIMEOUT'),
    CpuLimitError: make('CpuLimitError', 'ERR_ISOLATE_CPU_LIMIT'),
    RuntimeDisposedError: make('RuntimeDisposedError', 'ERR_ISOLATE_DISPOSED'),
    simpleConsoleHandler,
  }
})()"#;

  /// The error classes, and `simpleConsoleHandler` (a host-side helper made in the same script).
  pub const NAMES: [&str; 6] = ["IsolateError", "MemoryLimitError", "TimeoutError", "CpuLimitError", "RuntimeDisposedError", "simpleConsoleHandler"];

  struct Classes {
    refs: Vec<(&'static str, sys::napi_ref)>,
  }

  unsafe extern "C" fn finalize(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    if data.is_null() {
      return;
    }
    let classes = unsafe { Box::from_raw(data as *mut Classes) };
    let env = unsafe { Env::from_raw(env) };
    for (_, r) in classes.refs {
      let _ = env.delete_reference(r);
    }
  }

  /// Makes the classes for this realm, keeps them in its instance data and adds them to `exports`.
  pub fn install(env: Env, exports: Val) -> NResult<()> {
    let made = env.run_script(SOURCE)?;
    let mut refs = Vec::with_capacity(NAMES.len());
    let mut props = Vec::with_capacity(NAMES.len());
    for name in NAMES {
      let ctor = env.get_named(made, name)?;
      props.push((env.string(name)?, ctor));
      refs.push((name, env.reference(ctor)?));
    }
    let data = Box::into_raw(Box::new(Classes { refs })) as *mut c_void;
    // SAFETY: `finalize` owns a `Box<Classes>`.
    unsafe { env.set_instance_data(data, Some(finalize)) }?;
    env.define_data(exports, &props)
  }

  /// The constructor of an exported class in this realm.
  pub fn get(env: Env, name: &str) -> Option<Val> {
    let data = env.instance_data().ok()?;
    if data.is_null() {
      return None;
    }
    // SAFETY: only `install` sets this realm's instance data, to a `Box<Classes>`.
    let classes = unsafe { &*(data as *const Classes) };
    let r = classes.refs.iter().find(|(n, _)| *n == name)?.1;
    env.reference_value(r).ok()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn messages_tell_the_user_what_to_do() {
    assert_eq!(ErrorInfo::timeout(250).message, "Execution timed out after 250ms");
    assert_eq!(ErrorInfo::timeout_of("Test", 100).message, "Test timed out after 100ms");
    assert_eq!(ErrorInfo::timeout_of("Test", 100).name, "TimeoutError");
    assert_eq!(ErrorInfo::memory_limit(32.0).message, "Memory limit of 32 MB exceeded");
    assert_eq!(ErrorInfo::memory_limit(0.5).message, "Memory limit of 0.5 MB exceeded");
    assert_eq!(ErrorInfo::cpu_limit(50).message, "CPU time limit of 50ms exceeded");
    let m = disposed_because(&runtime_timed_out(100, "an eval"));
    assert_eq!(m, "Runtime has been disposed: runtime execution timed out after 100ms (an eval). Create a new runtime with createRuntime() to continue");
    assert!(m.starts_with(DISPOSED));
    assert!(m.contains("createRuntime()"));
  }

  #[test]
  fn only_the_constructors_make_runtime_kinds() {
    assert_eq!(ErrorInfo::new("MemoryLimitError", "Memory limit of 32 MB exceeded").kind, ErrorKind::Script);
    assert_eq!(ErrorInfo::new("TimeoutError", "x").kind, ErrorKind::Script);
    assert_eq!(ErrorInfo::memory_limit(32.0).kind, ErrorKind::MemoryLimit);
    assert_eq!(ErrorInfo::timeout(1).kind, ErrorKind::Timeout);
    assert_eq!(ErrorInfo::cpu_limit(1).kind, ErrorKind::CpuLimit);
    let d = ErrorInfo::disposed_because("it exceeded its memory limit of 32 MB", ErrorInfo::memory_limit(32.0));
    assert_eq!(d.kind, ErrorKind::Disposed);
    assert_eq!(d.name, "RuntimeDisposedError");
    assert!(d.message.starts_with("Runtime has been disposed: it exceeded"));
    assert_eq!(d.cause.as_deref(), Some(&ErrorInfo::memory_limit(32.0)));
  }
}
