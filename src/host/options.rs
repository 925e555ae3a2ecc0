//! Validation of `createRuntime(options)` and `eval(code, options)` arguments, with typed errors
//! that say what to pass instead. Reading an option runs host code (getters, proxies): a throw is
//! reported as a TypeError naming the option, with the thrown error as its `cause`.

use super::napi::{Env, Fail, Val};
use super::value::{describe, error_info};
use super::{Callbacks, Ref};
use crate::errors::ErrorInfo;
use crate::net::policy::NetworkOptions;
use crate::runtime::{Config, FnKind};
use napi::sys;

pub const MIN_MEMORY_MB: f64 = 8.0;
pub const MAX_MEMORY_MB: f64 = 16384.0;

type R<T> = Result<T, ErrorInfo>;

pub(crate) fn kind_name(t: sys::napi_valuetype) -> &'static str {
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

/// A failure while reading option `what`, as a TypeError naming it.
pub(crate) fn unreadable(env: Env, what: &str, f: Fail) -> ErrorInfo {
  match f {
    Fail::Threw(e) => {
      let cause = error_info(env, e);
      ErrorInfo::type_error(format!("{what} could not be read: {}", describe(env, e))).with_cause(cause)
    }
    Fail::Status(_, call) => ErrorInfo::type_error(format!("{what} could not be read ({call} failed)")),
  }
}

pub(crate) fn type_of(env: Env, v: Val, what: &str) -> R<sys::napi_valuetype> {
  env.type_of(v).map_err(|f| unreadable(env, what, f))
}

/// `obj[key]`, None when undefined.
pub(crate) fn field(env: Env, obj: Val, key: &str, what: &str) -> R<Option<Val>> {
  let v = env.get_named(obj, key).map_err(|f| unreadable(env, what, f))?;
  Ok((type_of(env, v, what)? != sys::ValueType::napi_undefined).then_some(v))
}

fn string(env: Env, v: Val, what: &str) -> R<String> {
  env.get_string(v).map_err(|f| unreadable(env, what, f))
}

pub(crate) fn number(env: Env, v: Val, what: &str) -> R<f64> {
  let t = type_of(env, v, what)?;
  if t != sys::ValueType::napi_number {
    return Err(ErrorInfo::type_error(format!("{what} must be a number (got {})", kind_name(t))));
  }
  env.get_double(v).map_err(|f| unreadable(env, what, f))
}

/// A positive timeout in whole milliseconds.
pub fn timeout(env: Env, v: Val, what: &str) -> R<u64> {
  let n = number(env, v, what)?;
  if !n.is_finite() || n <= 0.0 || n > 2_147_483_647.0 {
    return Err(ErrorInfo::range_error(format!("{what} must be a positive number of milliseconds (got {n})")));
  }
  Ok(n.ceil() as u64)
}

pub(crate) fn function(env: Env, v: Option<Val>, what: &str) -> R<Option<Ref>> {
  let Some(v) = v else { return Ok(None) };
  let t = type_of(env, v, what)?;
  if t != sys::ValueType::napi_function {
    return Err(ErrorInfo::type_error(format!("{what} must be a function (got {})", kind_name(t))));
  }
  unsafe { Ref::new(env.raw(), v) }.map(Some).map_err(|e| ErrorInfo::new("Error", e.reason))
}

/// A boolean option (no truthiness: `typescript: 'yes'` is a mistake worth saying).
fn boolean(env: Env, v: Val, what: &str) -> R<bool> {
  let t = type_of(env, v, what)?;
  if t != sys::ValueType::napi_boolean {
    return Err(ErrorInfo::type_error(format!("{what} must be a boolean (got {})", kind_name(t))));
  }
  env.get_bool(v).map_err(|f| unreadable(env, what, f))
}

fn is_object(t: sys::napi_valuetype) -> bool {
  t == sys::ValueType::napi_object
}

/// Longest `location` accepted: it is copied into every runtime's isolate.
const MAX_LOCATION_BYTES: usize = 16 * 1024;

/// `location`: the runtime's base URL (a worker's location), serialized. It must be absolute:
/// it is what relative URLs resolve against.
fn location_href(s: &str) -> R<String> {
  if s.len() > MAX_LOCATION_BYTES {
    return Err(ErrorInfo::range_error(format!("location must be at most {MAX_LOCATION_BYTES} bytes long")));
  }
  match url::Url::parse(s) {
    Ok(u) => Ok(u.into()),
    Err(e) => Err(ErrorInfo::type_error(format!("location must be an absolute URL such as 'https://example.com/' (got {s:?}: {e})"))),
  }
}

/// # Safety
/// On the main thread, with the env of the current call.
pub unsafe fn parse_runtime_options(env: sys::napi_env, options: Option<sys::napi_value>) -> R<(Config, Callbacks)> {
  // Every message names the call it is about.
  unsafe { runtime_options(env, options) }.map_err(|e| named(e, "createRuntime(options): "))
}

/// `prefix` + the error's message, unless the message names the call already.
pub(crate) fn named(mut e: ErrorInfo, prefix: &str) -> ErrorInfo {
  let call = prefix.split('(').next().unwrap_or(prefix);
  if !e.message.starts_with(call) {
    e.message = format!("{prefix}{}", e.message);
  }
  e
}

unsafe fn runtime_options(env: sys::napi_env, options: Option<sys::napi_value>) -> R<(Config, Callbacks)> {
  let env = unsafe { Env::from_raw(env) };
  let mut config = Config::default();
  let mut callbacks = Callbacks {
    on_entry: None,
    module_loader: None,
    functions: Vec::new(),
    on_fetch: None,
    web_socket: None,
    on_test_event: None,
    on_connect: None,
    on_web_socket_command: None,
    limit_bytes: 0,
  };
  let o = match options {
    Some(o) => o,
    None => {
      callbacks.limit_bytes = limit_bytes(config.memory_limit_mb);
      return Ok((config, callbacks));
    }
  };
  let t = type_of(env, o, "createRuntime(options): options")?;
  if matches!(t, sys::ValueType::napi_undefined | sys::ValueType::napi_null) {
    callbacks.limit_bytes = limit_bytes(config.memory_limit_mb);
    return Ok((config, callbacks));
  }
  if !is_object(t) {
    return Err(ErrorInfo::type_error(format!("createRuntime(options): options must be an object (got {})", kind_name(t))));
  }
  if let Some(v) = field(env, o, "memoryLimitMB", "memoryLimitMB")? {
    let mb = number(env, v, "memoryLimitMB")?;
    if !(MIN_MEMORY_MB..=MAX_MEMORY_MB).contains(&mb) {
      return Err(ErrorInfo::range_error(format!(
        "memoryLimitMB must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB} megabytes (got {mb})"
      )));
    }
    config.memory_limit_mb = mb;
  }
  callbacks.limit_bytes = limit_bytes(config.memory_limit_mb);
  if let Some(v) = field(env, o, "executionTimeout", "executionTimeout")? {
    config.execution_timeout_ms = Some(timeout(env, v, "executionTimeout")?);
  }
  if let Some(v) = field(env, o, "cpuTimeLimit", "cpuTimeLimit")? {
    config.cpu_time_limit_ms = Some(timeout(env, v, "cpuTimeLimit")?);
  }
  if let Some(c) = field(env, o, "console", "console")? {
    if !is_object(type_of(env, c, "console")?) {
      return Err(ErrorInfo::type_error("console must be an object such as { onEntry(entry) {} }"));
    }
    callbacks.on_entry = function(env, field(env, c, "onEntry", "console.onEntry")?, "console.onEntry")?;
    config.has_console = callbacks.on_entry.is_some();
  }
  callbacks.module_loader = function(env, field(env, o, "moduleLoader", "moduleLoader")?, "moduleLoader")?;
  config.has_module_loader = callbacks.module_loader.is_some();
  // `fetch` is accepted as an alias of `onFetch`, as in @ricsam/isolate-runtime.
  let on_fetch = match field(env, o, "onFetch", "onFetch")? {
    Some(f) => Some(f),
    None => field(env, o, "fetch", "fetch")?,
  };
  callbacks.on_fetch = function(env, on_fetch, "onFetch")?;
  config.has_on_fetch = callbacks.on_fetch.is_some();
  callbacks.web_socket = function(env, field(env, o, "webSocket", "webSocket")?, "webSocket")?;
  config.has_web_socket = callbacks.web_socket.is_some();
  callbacks.on_connect = function(env, field(env, o, "onConnect", "onConnect")?, "onConnect")?;
  config.has_on_connect = callbacks.on_connect.is_some();
  // As in @ricsam/isolate-runtime: the listener `runtime.fetch.onWebSocketCommand` would add,
  // registered before any eval so no command is missed.
  callbacks.on_web_socket_command = function(env, field(env, o, "onWebSocketCommand", "onWebSocketCommand")?, "onWebSocketCommand")?;
  if let Some(n) = field(env, o, "network", "network")? {
    config.network = Some(network(env, n)?);
  }
  if let Some(c) = field(env, o, "cwd", "cwd")? {
    let t = type_of(env, c, "cwd")?;
    if t != sys::ValueType::napi_string {
      return Err(ErrorInfo::type_error(format!("cwd must be an absolute POSIX path such as '/app' (got {})", kind_name(t))));
    }
    let cwd = string(env, c, "cwd")?;
    // The path global's resolve() starts from it: it must be absolute, as process.cwd() is.
    if !cwd.starts_with('/') {
      return Err(ErrorInfo::type_error(format!("cwd must be an absolute POSIX path such as '/app' (got {cwd:?})")));
    }
    // Bounded like any path: it is copied into the isolate.
    if cwd.len() > 4096 {
      return Err(ErrorInfo::range_error("cwd must be at most 4096 bytes long"));
    }
    config.cwd = Some(cwd);
  }
  if let Some(v) = field(env, o, "location", "location")? {
    let t = type_of(env, v, "location")?;
    if t != sys::ValueType::napi_string {
      return Err(ErrorInfo::type_error(format!("location must be an absolute URL string such as 'https://example.com/' (got {})", kind_name(t))));
    }
    config.location = Some(location_href(&string(env, v, "location")?)?);
  }
  if let Some(v) = field(env, o, "typescript", "typescript")? {
    config.typescript = boolean(env, v, "typescript")?;
  }
  if let Some(t) = field(env, o, "testEnvironment", "testEnvironment")? {
    let (options, on_event) = test_environment(env, t)?;
    config.test_environment = options;
    callbacks.on_test_event = on_event;
  }
  if let Some(fns) = field(env, o, "customFunctions", "customFunctions")? {
    if !is_object(type_of(env, fns, "customFunctions")?) {
      return Err(ErrorInfo::type_error("customFunctions must be an object mapping names to { type, fn }"));
    }
    let names = env.own_keys(fns).map_err(|f| unreadable(env, "customFunctions", f))?;
    let len = env.array_length(names).map_err(|f| unreadable(env, "customFunctions", f))?;
    for i in 0..len {
      let k = env.get_element(names, i).map_err(|f| unreadable(env, "customFunctions", f))?;
      let name = string(env, k, "customFunctions")?;
      let what = format!("customFunctions.{name}");
      let shape = || ErrorInfo::type_error(format!("{what} must be {{ type: 'sync' | 'async' | 'asyncIterator', fn: Function }}"));
      let def = env.get(fns, k).map_err(|f| unreadable(env, &what, f))?;
      if !is_object(type_of(env, def, &what)?) {
        return Err(shape());
      }
      let type_what = format!("{what}.type");
      let kind = match field(env, def, "type", &type_what)? {
        Some(t) if type_of(env, t, &type_what)? == sys::ValueType::napi_string => match string(env, t, &type_what)?.as_str() {
          "sync" => FnKind::Sync,
          "async" => FnKind::Async,
          "asyncIterator" => FnKind::AsyncIterator,
          _ => return Err(shape()),
        },
        _ => return Err(shape()),
      };
      let f = match field(env, def, "fn", &format!("{what}.fn"))? {
        Some(f) if type_of(env, f, &what)? == sys::ValueType::napi_function => f,
        _ => return Err(shape()),
      };
      let r = unsafe { Ref::new(env.raw(), f) }.map_err(|e| ErrorInfo::new("Error", e.reason))?;
      config.functions.push((name.clone(), kind));
      callbacks.functions.push((name, kind, r));
    }
  }
  // `fs`: a host function after the customFunctions, not defined as a global (config.functions
  // does not list it); the isolate's fs area calls it by index (src/web/fs/).
  if let Some(f) = field(env, o, "fs", "fs")? {
    let t = type_of(env, f, "fs")?;
    if !matches!(t, sys::ValueType::napi_undefined | sys::ValueType::napi_null) {
      if !is_object(t) {
        return Err(ErrorInfo::type_error(format!(
          "fs must be {{ getDirectory(path) }} returning a directory handler, or a directory handler such as createNodeDirectoryHandler(rootDir) (got {})",
          kind_name(t)
        )));
      }
      let call = crate::web::fs::host_function(env, f, callbacks.limit_bytes)?;
      let r = unsafe { Ref::new(env.raw(), call) }.map_err(|e| ErrorInfo::new("Error", e.reason))?;
      config.fs = Some(callbacks.functions.len());
      callbacks.functions.push(("fs".into(), FnKind::Async, r));
    }
  }
  Ok((config, callbacks))
}

/// `testEnvironment: true | false | { onEvent, testTimeout }`.
fn test_environment(env: Env, t: Val) -> R<(Option<crate::testenv::Options>, Option<Ref>)> {
  let shape = || ErrorInfo::type_error("testEnvironment must be true or an object such as { onEvent(event) {}, testTimeout: 5000 }");
  match type_of(env, t, "testEnvironment")? {
    sys::ValueType::napi_boolean => {
      let on = env.get_bool(t).map_err(|f| unreadable(env, "testEnvironment", f))?;
      Ok((on.then(crate::testenv::Options::default), None))
    }
    sys::ValueType::napi_object => {
      let mut options = crate::testenv::Options::default();
      if let Some(v) = field(env, t, "testTimeout", "testEnvironment.testTimeout")? {
        options.test_timeout_ms = timeout(env, v, "testEnvironment.testTimeout")? as f64;
      }
      let on_event = function(env, field(env, t, "onEvent", "testEnvironment.onEvent")?, "testEnvironment.onEvent")?;
      options.has_on_event = on_event.is_some();
      Ok((Some(options), on_event))
    }
    _ => Err(shape()),
  }
}

fn limit_bytes(mb: f64) -> usize {
  (mb * 1024.0 * 1024.0) as usize
}

/// `network: { allowedHosts, allowPrivateNetworks, maxConcurrentRequests, maxConnections,
/// maxResponseBytes, timeout, socketIdleTimeout, caCertificates }`.
fn network(env: Env, n: Val) -> R<NetworkOptions> {
  let mut opts = NetworkOptions::default();
  if !is_object(type_of(env, n, "network")?) {
    return Err(ErrorInfo::type_error("network must be an object such as { allowedHosts: ['https://api.example.com'] }"));
  }
  let strings = |key: &str| -> R<Vec<String>> {
    let what = format!("network.{key}");
    let Some(v) = field(env, n, key, &what)? else { return Ok(Vec::new()) };
    let bad = || ErrorInfo::type_error(format!("{what} must be an array of strings"));
    if !env.is_array(v).map_err(|f| unreadable(env, &what, f))? {
      return Err(bad());
    }
    let len = env.array_length(v).map_err(|f| unreadable(env, &what, f))?;
    // Never sized by `length`: each element is read (and checked) as it comes.
    let mut out = Vec::new();
    for i in 0..len {
      let e = env.get_element(v, i).map_err(|f| unreadable(env, &what, f))?;
      if type_of(env, e, &what)? != sys::ValueType::napi_string {
        return Err(bad());
      }
      out.push(string(env, e, &what)?);
    }
    Ok(out)
  };
  opts.allowed_hosts = strings("allowedHosts")?;
  for pattern in &opts.allowed_hosts {
    crate::net::policy::validate_pattern(pattern).map_err(ErrorInfo::type_error)?;
  }
  opts.ca_certificates = strings("caCertificates")?;
  // Checked now, not at the first TLS connection: a bad certificate is the caller's mistake.
  if !opts.ca_certificates.is_empty() {
    crate::net::tls::client_config(&opts.ca_certificates).map_err(ErrorInfo::type_error)?;
  }
  if let Some(v) = field(env, n, "allowPrivateNetworks", "network.allowPrivateNetworks")? {
    let t = type_of(env, v, "network.allowPrivateNetworks")?;
    if t != sys::ValueType::napi_boolean {
      return Err(ErrorInfo::type_error(format!("network.allowPrivateNetworks must be a boolean (got {})", kind_name(t))));
    }
    opts.allow_private_networks = env.get_bool(v).map_err(|f| unreadable(env, "network.allowPrivateNetworks", f))?;
  }
  if let Some(v) = field(env, n, "maxConcurrentRequests", "network.maxConcurrentRequests")? {
    let m = number(env, v, "network.maxConcurrentRequests")?;
    if !((1.0..=65536.0).contains(&m) && m.fract() == 0.0) {
      return Err(ErrorInfo::range_error(format!("network.maxConcurrentRequests must be an integer from 1 to 65536 (got {m})")));
    }
    opts.max_concurrent_requests = m as usize;
  }
  if let Some(v) = field(env, n, "maxResponseBytes", "network.maxResponseBytes")? {
    let m = number(env, v, "network.maxResponseBytes")?;
    if !(m >= 0.0 && m.is_finite()) {
      return Err(ErrorInfo::range_error(format!("network.maxResponseBytes must be a non-negative number of bytes (got {m})")));
    }
    opts.max_response_bytes = Some(m as u64);
  }
  if let Some(v) = field(env, n, "timeout", "network.timeout")? {
    opts.timeout_ms = Some(timeout(env, v, "network.timeout")?);
  }
  if let Some(v) = field(env, n, "maxConnections", "network.maxConnections")? {
    let m = number(env, v, "network.maxConnections")?;
    if !((1.0..=65536.0).contains(&m) && m.fract() == 0.0) {
      return Err(ErrorInfo::range_error(format!("network.maxConnections must be an integer from 1 to 65536 (got {m})")));
    }
    opts.max_connections = m as usize;
  }
  if let Some(v) = field(env, n, "socketIdleTimeout", "network.socketIdleTimeout")? {
    opts.socket_idle_timeout_ms = timeout(env, v, "network.socketIdleTimeout")?;
  }
  Ok(opts)
}

pub struct EvalArgs {
  pub code: String,
  pub filename: String,
  pub timeout_ms: Option<u64>,
  /// `typescript`: strip types (true) or not (false) whatever the filename.
  pub typescript: Option<bool>,
}

/// # Safety
/// On the main thread, with the env of the current call.
pub unsafe fn parse_eval(env: sys::napi_env, code: sys::napi_value, options: Option<sys::napi_value>) -> R<EvalArgs> {
  unsafe { eval_args(env, code, options) }.map_err(|e| named(e, "eval(code, options): "))
}

unsafe fn eval_args(env: sys::napi_env, code: sys::napi_value, options: Option<sys::napi_value>) -> R<EvalArgs> {
  let env = unsafe { Env::from_raw(env) };
  let t = type_of(env, code, "eval(code): code")?;
  if t != sys::ValueType::napi_string {
    return Err(ErrorInfo::type_error(format!("eval(code): code must be a string of JavaScript (got {})", kind_name(t))));
  }
  let code = string(env, code, "eval(code): code")?;
  let mut args = EvalArgs { code, filename: "main.js".into(), timeout_ms: None, typescript: None };
  let Some(o) = options else { return Ok(args) };
  match type_of(env, o, "options")? {
    sys::ValueType::napi_undefined | sys::ValueType::napi_null => {}
    sys::ValueType::napi_string => args.filename = string(env, o, "filename")?,
    sys::ValueType::napi_object => {
      if let Some(f) = field(env, o, "filename", "options.filename")? {
        let ft = type_of(env, f, "options.filename")?;
        if ft != sys::ValueType::napi_string {
          return Err(ErrorInfo::type_error(format!("options.filename must be a string (got {})", kind_name(ft))));
        }
        args.filename = string(env, f, "options.filename")?;
      }
      if let Some(v) = field(env, o, "executionTimeout", "options.executionTimeout")? {
        args.timeout_ms = Some(timeout(env, v, "options.executionTimeout")?);
      }
      if let Some(v) = field(env, o, "typescript", "options.typescript")? {
        args.typescript = Some(boolean(env, v, "options.typescript")?);
      }
    }
    other => {
      return Err(ErrorInfo::type_error(format!(
        "eval(code, options): options must be a filename string or {{ filename, executionTimeout, typescript }} (got {})",
        kind_name(other)
      )))
    }
  }
  Ok(args)
}

#[cfg(test)]
mod tests {
  use super::location_href;

  #[test]
  fn location_is_an_absolute_url_serialized() {
    assert_eq!(location_href("https://example.com").ok().as_deref(), Some("https://example.com/"));
    assert_eq!(location_href("HTTP://Example.COM:80/a/../b?q#h").ok().as_deref(), Some("http://example.com/b?q#h"));
    assert_eq!(location_href("file:///srv/app/").ok().as_deref(), Some("file:///srv/app/"));
  }

  #[test]
  fn location_rejects_relative_and_oversized_urls() {
    for bad in ["", "/path", "example.com", "//example.com/", "http://exa mple.com/", "https://[::1/"] {
      let e = location_href(bad).err();
      assert_eq!(e.as_ref().map(|e| e.name.as_str()), Some("TypeError"), "{bad:?}");
      assert!(e.is_some_and(|e| e.message.starts_with("location must be an absolute URL")), "{bad:?}");
    }
    let long = format!("https://example.com/{}", "a".repeat(16 * 1024));
    assert_eq!(location_href(&long).err().map(|e| e.name), Some("RangeError".to_string()));
  }
}
