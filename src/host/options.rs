//! Validation of `createRuntime(options)` and `eval(code, options)` arguments, with typed errors
//! that say what to pass instead.

use super::value::{get_named, string, type_of};
use super::{Callbacks, Ref};
use crate::errors::ErrorInfo;
use crate::net::policy::NetworkOptions;
use crate::runtime::{Config, FnKind};
use napi::sys;
use std::ptr;

pub const MIN_MEMORY_MB: f64 = 8.0;
pub const MAX_MEMORY_MB: f64 = 16384.0;

fn kind_name(t: sys::napi_valuetype) -> &'static str {
  match t {
    sys::ValueType::napi_undefined => "undefined",
    sys::ValueType::napi_null => "null",
    sys::ValueType::napi_boolean => "boolean",
    sys::ValueType::napi_number => "number",
    sys::ValueType::napi_string => "string",
    sys::ValueType::napi_symbol => "symbol",
    sys::ValueType::napi_function => "function",
    sys::ValueType::napi_bigint => "bigint",
    _ => "object",
  }
}

unsafe fn field(env: sys::napi_env, obj: sys::napi_value, key: &str) -> Option<sys::napi_value> {
  let v = unsafe { get_named(env, obj, key) }.ok()?;
  (unsafe { type_of(env, v) } != sys::ValueType::napi_undefined).then_some(v)
}

unsafe fn number(env: sys::napi_env, v: sys::napi_value, what: &str) -> Result<f64, ErrorInfo> {
  let t = unsafe { type_of(env, v) };
  if t != sys::ValueType::napi_number {
    return Err(ErrorInfo::type_error(format!("{what} must be a number (got {})", kind_name(t))));
  }
  let mut n = 0f64;
  unsafe { sys::napi_get_value_double(env, v, &mut n) };
  Ok(n)
}

/// A positive timeout in whole milliseconds.
pub unsafe fn timeout(env: sys::napi_env, v: sys::napi_value, what: &str) -> Result<u64, ErrorInfo> {
  let n = unsafe { number(env, v, what) }?;
  if !n.is_finite() || n <= 0.0 || n > 2_147_483_647.0 {
    return Err(ErrorInfo::range_error(format!("{what} must be a positive number of milliseconds (got {n})")));
  }
  Ok(n.ceil() as u64)
}

unsafe fn function(env: sys::napi_env, v: Option<sys::napi_value>, what: &str) -> Result<Option<Ref>, ErrorInfo> {
  let Some(v) = v else { return Ok(None) };
  let t = unsafe { type_of(env, v) };
  if t != sys::ValueType::napi_function {
    return Err(ErrorInfo::type_error(format!("{what} must be a function (got {})", kind_name(t))));
  }
  unsafe { Ref::new(env, v) }.map(Some).map_err(|e| ErrorInfo::new("Error", e.reason))
}

fn is_object(t: sys::napi_valuetype) -> bool {
  t == sys::ValueType::napi_object
}

pub unsafe fn parse_runtime_options(env: sys::napi_env, options: Option<sys::napi_value>) -> Result<(Config, Callbacks), ErrorInfo> {
  let mut config = Config::default();
  let mut callbacks = Callbacks { on_entry: None, module_loader: None, functions: Vec::new(), on_fetch: None, web_socket: None };
  let Some(o) = options.filter(|o| !matches!(unsafe { type_of(env, *o) }, sys::ValueType::napi_undefined | sys::ValueType::napi_null)) else {
    return Ok((config, callbacks));
  };
  unsafe {
    let t = type_of(env, o);
    if !is_object(t) {
      return Err(ErrorInfo::type_error(format!("createRuntime(options): options must be an object (got {})", kind_name(t))));
    }
    if let Some(v) = field(env, o, "memoryLimitMB") {
      let mb = number(env, v, "memoryLimitMB")?;
      if !(MIN_MEMORY_MB..=MAX_MEMORY_MB).contains(&mb) {
        return Err(ErrorInfo::range_error(format!(
          "memoryLimitMB must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB} megabytes (got {mb})"
        )));
      }
      config.memory_limit_mb = mb;
    }
    if let Some(v) = field(env, o, "executionTimeout") {
      config.execution_timeout_ms = Some(timeout(env, v, "executionTimeout")?);
    }
    if let Some(v) = field(env, o, "cpuTimeLimit") {
      config.cpu_time_limit_ms = Some(timeout(env, v, "cpuTimeLimit")?);
    }
    if let Some(c) = field(env, o, "console") {
      if !is_object(type_of(env, c)) {
        return Err(ErrorInfo::type_error("console must be an object such as { onEntry(entry) {} }"));
      }
      callbacks.on_entry = function(env, field(env, c, "onEntry"), "console.onEntry")?;
      config.has_console = callbacks.on_entry.is_some();
    }
    callbacks.module_loader = function(env, field(env, o, "moduleLoader"), "moduleLoader")?;
    config.has_module_loader = callbacks.module_loader.is_some();
    // `fetch` is accepted as an alias of `onFetch`, as in @ricsam/isolate-runtime.
    let on_fetch = field(env, o, "onFetch").or_else(|| field(env, o, "fetch"));
    callbacks.on_fetch = function(env, on_fetch, "onFetch")?;
    config.has_on_fetch = callbacks.on_fetch.is_some();
    callbacks.web_socket = function(env, field(env, o, "webSocket"), "webSocket")?;
    config.has_web_socket = callbacks.web_socket.is_some();
    if let Some(n) = field(env, o, "network") {
      config.network = Some(network(env, n)?);
    }
    if let Some(fns) = field(env, o, "customFunctions") {
      if !is_object(type_of(env, fns)) {
        return Err(ErrorInfo::type_error("customFunctions must be an object mapping names to { type, fn }"));
      }
      let mut names = ptr::null_mut();
      sys::napi_get_all_property_names(
        env,
        fns,
        sys::KeyCollectionMode::own_only,
        sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
        sys::KeyConversion::numbers_to_strings,
        &mut names,
      );
      let mut len = 0u32;
      sys::napi_get_array_length(env, names, &mut len);
      for i in 0..len {
        let mut k = ptr::null_mut();
        sys::napi_get_element(env, names, i, &mut k);
        let name = string(env, k).unwrap_or_default();
        let shape = || {
          ErrorInfo::type_error(format!(
            "customFunctions.{name} must be {{ type: 'sync' | 'async' | 'asyncIterator', fn: Function }}"
          ))
        };
        let mut def = ptr::null_mut();
        sys::napi_get_property(env, fns, k, &mut def);
        if !is_object(type_of(env, def)) {
          return Err(shape());
        }
        let kind = match field(env, def, "type").map(|t| string(env, t)) {
          Some(Ok(t)) if t == "sync" => FnKind::Sync,
          Some(Ok(t)) if t == "async" => FnKind::Async,
          Some(Ok(t)) if t == "asyncIterator" => FnKind::AsyncIterator,
          _ => return Err(shape()),
        };
        let f = match field(env, def, "fn") {
          Some(f) if type_of(env, f) == sys::ValueType::napi_function => f,
          _ => return Err(shape()),
        };
        let r = Ref::new(env, f).map_err(|e| ErrorInfo::new("Error", e.reason))?;
        config.functions.push((name.clone(), kind));
        callbacks.functions.push((name, kind, r));
      }
    }
  }
  Ok((config, callbacks))
}

/// `network: { allowedHosts, allowPrivateNetworks, maxConcurrentRequests, maxResponseBytes, timeout, caCertificates }`.
unsafe fn network(env: sys::napi_env, n: sys::napi_value) -> Result<NetworkOptions, ErrorInfo> {
  let mut opts = NetworkOptions::default();
  unsafe {
    if !is_object(type_of(env, n)) {
      return Err(ErrorInfo::type_error("network must be an object such as { allowedHosts: ['https://api.example.com'] }"));
    }
    let strings = |key: &str| -> Result<Vec<String>, ErrorInfo> {
      let Some(v) = field(env, n, key) else { return Ok(Vec::new()) };
      let mut is_array = false;
      sys::napi_is_array(env, v, &mut is_array);
      let bad = || ErrorInfo::type_error(format!("network.{key} must be an array of strings"));
      if !is_array {
        return Err(bad());
      }
      let mut len = 0u32;
      sys::napi_get_array_length(env, v, &mut len);
      (0..len)
        .map(|i| {
          let mut e = ptr::null_mut();
          sys::napi_get_element(env, v, i, &mut e);
          if type_of(env, e) != sys::ValueType::napi_string {
            return Err(bad());
          }
          string(env, e).map_err(|_| bad())
        })
        .collect()
    };
    opts.allowed_hosts = strings("allowedHosts")?;
    for pattern in &opts.allowed_hosts {
      crate::net::policy::validate_pattern(pattern).map_err(ErrorInfo::type_error)?;
    }
    opts.ca_certificates = strings("caCertificates")?;
    if let Some(v) = field(env, n, "allowPrivateNetworks") {
      let t = type_of(env, v);
      if t != sys::ValueType::napi_boolean {
        return Err(ErrorInfo::type_error(format!("network.allowPrivateNetworks must be a boolean (got {})", kind_name(t))));
      }
      sys::napi_get_value_bool(env, v, &mut opts.allow_private_networks);
    }
    if let Some(v) = field(env, n, "maxConcurrentRequests") {
      let m = number(env, v, "network.maxConcurrentRequests")?;
      if !(m >= 1.0 && m <= 65536.0 && m.fract() == 0.0) {
        return Err(ErrorInfo::range_error(format!("network.maxConcurrentRequests must be an integer from 1 to 65536 (got {m})")));
      }
      opts.max_concurrent_requests = m as usize;
    }
    if let Some(v) = field(env, n, "maxResponseBytes") {
      let m = number(env, v, "network.maxResponseBytes")?;
      if !(m >= 0.0 && m.is_finite()) {
        return Err(ErrorInfo::range_error(format!("network.maxResponseBytes must be a non-negative number of bytes (got {m})")));
      }
      opts.max_response_bytes = Some(m as u64);
    }
    if let Some(v) = field(env, n, "timeout") {
      opts.timeout_ms = Some(timeout(env, v, "network.timeout")?);
    }
  }
  Ok(opts)
}

pub struct EvalArgs {
  pub code: String,
  pub filename: String,
  pub timeout_ms: Option<u64>,
}

pub unsafe fn parse_eval(env: sys::napi_env, code: sys::napi_value, options: Option<sys::napi_value>) -> Result<EvalArgs, ErrorInfo> {
  unsafe {
    let t = type_of(env, code);
    if t != sys::ValueType::napi_string {
      return Err(ErrorInfo::type_error(format!("eval(code): code must be a string of JavaScript (got {})", kind_name(t))));
    }
    let code = string(env, code).map_err(ErrorInfo::type_error)?;
    let mut args = EvalArgs { code, filename: "main.js".into(), timeout_ms: None };
    let Some(o) = options else { return Ok(args) };
    match type_of(env, o) {
      sys::ValueType::napi_undefined | sys::ValueType::napi_null => {}
      sys::ValueType::napi_string => args.filename = string(env, o).map_err(ErrorInfo::type_error)?,
      sys::ValueType::napi_object => {
        if let Some(f) = field(env, o, "filename") {
          let ft = type_of(env, f);
          if ft != sys::ValueType::napi_string {
            return Err(ErrorInfo::type_error(format!("eval options.filename must be a string (got {})", kind_name(ft))));
          }
          args.filename = string(env, f).map_err(ErrorInfo::type_error)?;
        }
        if let Some(v) = field(env, o, "executionTimeout") {
          args.timeout_ms = Some(timeout(env, v, "executionTimeout")?);
        }
      }
      other => {
        return Err(ErrorInfo::type_error(format!(
          "eval(code, options): options must be a filename string or {{ filename, executionTimeout }} (got {})",
          kind_name(other)
        )))
      }
    }
    Ok(args)
  }
}
