//! Native functions behind the isolate's globals, and context setup.

use super::state::{Pending, State, StateRef};
use super::{FnKind, HostOp};
use crate::errors::ErrorInfo;
use crate::value::isolate::{from_v8, make_error, to_v8};
use crate::value::Value;
use crate::web::Natives;
use base64::Engine as _;
use v8::{MapFnTo, ValueDeserializerHelper, ValueSerializerHelper};

const PRIMORDIALS: &str = include_str!("primordials.js");
const BOOTSTRAP: &str = include_str!("bootstrap.js");

/// The core natives (the Web areas add their own).
pub fn natives() -> Natives {
  vec![
    ("hostSync", host_sync.map_fn_to()),
    ("hostAsync", host_async.map_fn_to()),
    ("timerStart", timer_start.map_fn_to()),
    ("timerClear", timer_clear.map_fn_to()),
    ("now", now.map_fn_to()),
    ("timeOrigin", time_origin.map_fn_to()),
    ("emit", emit.map_fn_to()),
    ("structuredClone", structured_clone.map_fn_to()),
    ("atob", atob.map_fn_to()),
    ("btoa", btoa.map_fn_to()),
    ("enqueueMicrotask", enqueue_microtask.map_fn_to()),
    ("settled", settled.map_fn_to()),
  ]
}

/// The core's own platform sources (the areas and the console have theirs).
pub fn core_sources() -> Vec<&'static str> {
  vec![PRIMORDIALS, BOOTSTRAP]
}

/// Every native function, for the snapshot's external references.
pub fn all_natives() -> Vec<v8::FunctionCallback> {
  natives()
    .into_iter()
    .chain(crate::console::hooks())
    .chain(crate::value::isolate::wire_natives())
    .chain(crate::web::AREAS.iter().flat_map(|a| (a.natives)()))
    .map(|(_, f)| f)
    .collect()
}

fn natives_object<'s>(scope: &mut v8::PinScope<'s, '_>, list: Natives) -> Result<v8::Local<'s, v8::Object>, ErrorInfo> {
  let obj = v8::Object::new(scope);
  for (name, cb) in list {
    let f = v8::Function::builder_raw(cb).build(scope).ok_or_else(setup_failed)?;
    set(scope, obj, name, f.into())?;
  }
  Ok(obj)
}

/// What the runtime calls back into, kept as snapshot context data in this order.
pub const FIRE_TIMER: usize = 0;
pub const INSTALL_FUNCTIONS: usize = 1;
pub const DOM_EXCEPTION: usize = 2;
pub const HOST_ENTRY: usize = 3;
pub const REPORT_EXCEPTION: usize = 4;
pub const MODULE_EVALUATED: usize = 5;
pub const REPORT_REJECTION: usize = 6;
pub const REJECTION_HANDLED: usize = 7;

/// Installs everything that is the same for every runtime into the current context: the core
/// globals, the Web platform and the console. This is what the startup snapshot holds.
pub fn install_platform<'s>(scope: &mut v8::PinScope<'s, '_>) -> Result<[v8::Local<'s, v8::Value>; 8], ErrorInfo> {
  let global = scope.get_current_context().global(scope);
  let natives = natives_object(scope, natives())?;
  let internals = v8::Object::new(scope);
  // First, before any other platform JS: the intrinsics every area uses (primordials.js).
  run_setup(scope, PRIMORDIALS, "edge-isolate:primordials", &[global.into(), natives.into(), internals.into()])?;
  let core = run_setup(scope, BOOTSTRAP, "edge-isolate:bootstrap", &[global.into(), natives.into(), internals.into()])?;
  let core = core.to_object(scope).ok_or_else(setup_failed)?;
  let get = |scope: &mut v8::PinScope<'s, '_>, obj: v8::Local<'s, v8::Object>, key: &str| -> Result<v8::Local<'s, v8::Value>, ErrorInfo> {
    let k = v8::String::new(scope, key).ok_or_else(setup_failed)?;
    obj.get(scope, k.into()).filter(|v| v.is_function()).ok_or_else(setup_failed)
  };
  let fire = get(scope, core, "fireTimer")?;
  let install_functions = get(scope, core, "installFunctions")?;
  let dom = get(scope, global, "DOMException")?;
  for area in crate::web::AREAS {
    let natives = natives_object(scope, (area.natives)())?;
    let name = format!("edge-isolate:web/{}", area.name);
    run_setup(scope, area.js, &name, &[global.into(), natives.into(), internals.into()])?;
  }
  // customFunctions values that cross by kind (src/value.rs `Tag`): after the areas it uses.
  let wire_natives = natives_object(scope, crate::value::isolate::wire_natives())?;
  run_setup(scope, crate::value::WIRE_JS, "edge-isolate:wire", &[global.into(), wire_natives.into(), internals.into()])?;
  let host_entry = get(scope, internals, "host")?;
  let report_exception = get(scope, internals, "reportException")?;
  let module_evaluated = get(scope, internals, "evalModuleEvaluated")?;
  let report_rejection = get(scope, internals, "reportRejection")?;
  let rejection_handled = get(scope, internals, "rejectionHandled")?;
  let emit_fn = get(scope, natives, "emit")?;
  let hooks = natives_object(scope, crate::console::hooks())?;
  run_setup(scope, crate::console::JS, "edge-isolate:console", &[global.into(), emit_fn, hooks.into()])?;
  let warm = get(scope, core, "warmPerRuntime")?;
  let recv = v8::undefined(scope).into();
  v8::tc_scope!(let tc, scope);
  if warm.cast::<v8::Function>().call(tc, recv, &[]).is_none() {
    return Err(super::modules::exception_info(tc));
  }
  Ok([fire, install_functions, dom, host_entry, report_exception, module_evaluated, report_rejection, rejection_handled])
}

/// Per-runtime setup of a context made from the snapshot: keeps the handles the loop needs and
/// defines the customFunctions globals.
pub fn install_runtime(scope: &mut v8::PinScope, state: &StateRef) -> Result<(), ErrorInfo> {
  let fire = scope.get_context_data_from_snapshot_once::<v8::Function>(FIRE_TIMER).map_err(|_| setup_failed())?;
  let install = scope.get_context_data_from_snapshot_once::<v8::Function>(INSTALL_FUNCTIONS).map_err(|_| setup_failed())?;
  let dom = scope.get_context_data_from_snapshot_once::<v8::Function>(DOM_EXCEPTION).map_err(|_| setup_failed())?;
  let host_entry = scope.get_context_data_from_snapshot_once::<v8::Function>(HOST_ENTRY).map_err(|_| setup_failed())?;
  let report = scope.get_context_data_from_snapshot_once::<v8::Function>(REPORT_EXCEPTION).map_err(|_| setup_failed())?;
  let module_evaluated = scope.get_context_data_from_snapshot_once::<v8::Function>(MODULE_EVALUATED).map_err(|_| setup_failed())?;
  let report_rejection = scope.get_context_data_from_snapshot_once::<v8::Function>(REPORT_REJECTION).map_err(|_| setup_failed())?;
  let rejection_handled = scope.get_context_data_from_snapshot_once::<v8::Function>(REJECTION_HANDLED).map_err(|_| setup_failed())?;
  let functions = {
    let s = state.borrow();
    Value::Array(
      s.config
        .functions
        .iter()
        .map(|(name, kind)| {
          let kind = match kind {
            FnKind::Sync => "sync",
            FnKind::Async => "async",
            FnKind::AsyncIterator => "asyncIterator",
          };
          Value::Array(vec![Value::String(name.clone()), Value::String(kind.into())])
        })
        .collect(),
    )
  };
  {
    let mut s = state.borrow_mut();
    s.fire_timer = Some(v8::Global::new(scope, fire));
    s.dom_exception = Some(v8::Global::new(scope, dom));
    s.host_entry = Some(v8::Global::new(scope, host_entry));
    s.report_exception = Some(v8::Global::new(scope, report));
    s.module_evaluated = Some(v8::Global::new(scope, module_evaluated));
    s.report_rejection = Some(v8::Global::new(scope, report_rejection));
    s.rejection_handled = Some(v8::Global::new(scope, rejection_handled));
  }
  // Per-runtime options of the areas' setup (`internals.perRuntime`).
  let options = {
    let s = state.borrow();
    Value::Object(vec![
      ("testEnvironment".into(), s.config.test_environment.as_ref().map_or(Value::Undefined, |t| t.to_value())),
      ("cwd".into(), s.config.cwd.clone().map_or(Value::Undefined, Value::String)),
      ("location".into(), s.config.location.clone().map_or(Value::Undefined, Value::String)),
      ("fs".into(), s.config.fs.map_or(Value::Undefined, |i| Value::Number(i as f64))),
      ("memoryLimitBytes".into(), Value::Number(s.config.memory_limit_mb * 1024.0 * 1024.0)),
    ])
  };
  let functions = to_v8(scope, &functions).ok_or_else(setup_failed)?;
  let options = to_v8(scope, &options).ok_or_else(setup_failed)?;
  v8::tc_scope!(let tc, scope);
  let recv = v8::undefined(tc).into();
  if install.call(tc, recv, &[functions, options]).is_none() {
    return Err(super::modules::exception_info(tc));
  }
  Ok(())
}

fn setup_failed() -> ErrorInfo {
  ErrorInfo::new("Error", "could not set up the runtime's context")
}

fn set(scope: &mut v8::PinScope, obj: v8::Local<v8::Object>, key: &str, value: v8::Local<v8::Value>) -> Result<(), ErrorInfo> {
  let k = v8::String::new(scope, key).ok_or_else(setup_failed)?;
  obj.set(scope, k.into(), value).ok_or_else(setup_failed)?;
  Ok(())
}

/// Runs a setup script whose completion value is a function, and calls it with `args`.
fn run_setup<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  source: &'static str,
  name: &str,
  args: &[v8::Local<'s, v8::Value>],
) -> Result<v8::Local<'s, v8::Value>, ErrorInfo> {
  v8::tc_scope!(let tc, scope);
  let code = super::snapshot::source_string(tc, source).ok_or_else(setup_failed)?;
  let name = v8::String::new(tc, name).ok_or_else(setup_failed)?;
  let origin = v8::ScriptOrigin::new(tc, name.into(), 0, 0, false, 0, None, false, false, false, None);
  let result = v8::Script::compile(tc, code, Some(&origin))
    .and_then(|s| s.run(tc))
    .and_then(|f| v8::Local::<v8::Function>::try_from(f).ok())
    .and_then(|f| {
      let recv = v8::undefined(tc).into();
      f.call(tc, recv, args)
    });
  match result {
    Some(v) => Ok(v),
    None => Err(super::modules::exception_info(tc)),
  }
}

/// Throws `new DOMException(message, name)` in the isolate.
pub fn throw_dom_exception(scope: &mut v8::PinScope, message: &str, name: &str) {
  let ctor = State::get(scope).and_then(|s| s.borrow().dom_exception.clone());
  let (Some(m), Some(n)) = (v8::String::new(scope, message), v8::String::new(scope, name)) else { return };
  let exc = match ctor {
    Some(c) => {
      let c = v8::Local::new(scope, &c);
      c.new_instance(scope, &[m.into(), n.into()]).map(Into::into)
    }
    None => None,
  };
  let exc = exc.unwrap_or_else(|| v8::Exception::error(scope, m));
  scope.throw_exception(exc);
}

fn throw_type_error(scope: &mut v8::PinScope, message: &str) {
  if let Some(m) = v8::String::new(scope, message) {
    let e = v8::Exception::type_error(scope, m);
    scope.throw_exception(e);
  }
}

/// Reads the JS array of arguments a wrapper passed.
/// Reads the JS array of arguments a wrapper passed, as one value so that an object passed twice
/// stays one object on the host.
fn args_of<'s>(scope: &mut v8::PinScope<'s, '_>, v: v8::Local<'s, v8::Value>) -> Result<Vec<Value>, String> {
  if !v.is_array() {
    return Ok(Vec::new());
  }
  match from_v8(scope, v)? {
    Value::Array(items) => Ok(items),
    _ => Ok(Vec::new()),
  }
}

fn host_sync<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let index = args.get(0).uint32_value(scope).unwrap_or(0) as usize;
  let call_args = match args_of(scope, args.get(1)) {
    Ok(a) => a,
    Err(m) => return throw_dom_exception(scope, &m, "DataCloneError"),
  };
  let host = state.borrow().host.clone();
  // Blocks this pool worker until Node's main thread answers: the pool makes up for it.
  match super::pool::blocking(|| host.call_sync(index, call_args)) {
    Ok(v) => {
      if let Some(v) = to_v8(scope, &v) {
        rv.set(v);
      }
    }
    Err(e) => {
      if let Some(e) = to_v8(scope, &e) {
        scope.throw_exception(e);
      }
    }
  }
}

fn host_async<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let Some(resolver) = v8::PromiseResolver::new(scope) else { return };
  rv.set(resolver.get_promise(scope).into());
  let op = args.get(0).uint32_value(scope).unwrap_or(u32::MAX);
  let target = args.get(1).integer_value(scope).unwrap_or(0).max(0) as u64;
  let call_args = match args_of(scope, args.get(2)) {
    Ok(a) => a,
    Err(m) => {
      let info = ErrorInfo::new("DataCloneError", m);
      if let Some(e) = make_error(scope, &info) {
        resolver.reject(scope, e);
      }
      return;
    }
  };
  let first = || call_args.first().cloned().unwrap_or(Value::Undefined);
  let op = match op {
    0 => HostOp::Call { index: target as usize, args: call_args.clone() },
    1 => HostOp::IterOpen { index: target as usize, args: call_args.clone() },
    2 => HostOp::IterNext { iter: target, arg: first() },
    3 => HostOp::IterReturn { iter: target, arg: first() },
    4 => HostOp::IterThrow { iter: target, arg: first() },
    // Glue: args are [name, ...rest].
    _ => {
      let mut args = call_args.clone();
      let name = match args.first() {
        Some(Value::String(n)) => n.clone(),
        _ => String::new(),
      };
      if !args.is_empty() {
        args.remove(0);
      }
      HostOp::Glue { name, args }
    }
  };
  let (host, tx, id) = {
    let mut s = state.borrow_mut();
    let id = s.next_id();
    s.pending.insert(id, Pending::Resolver(v8::Global::new(scope, resolver)));
    (s.host.clone(), s.tx.clone(), id)
  };
  host.call_async(op, id, tx);
}

/// `settled(id, ok, value)`: the isolate finished a host-initiated operation.
fn settled<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(call) = super::event_loop::WaitingCall::find(scope, args.get(0)) else { return };
  let value = args.get(2);
  let result = if args.get(1).is_true() {
    from_v8(scope, value).map_err(|m| ErrorInfo::new("DataCloneError", m))
  } else {
    Err(crate::value::isolate::error_info(scope, value))
  };
  call.complete(result);
}

/// `timerStart(id, delay) -> 0 | 1 | 2`: kept, kept after the host's `timers.clearAll()` dropped
/// the timers started before it (the bootstrap forgets those), or dropped with them (an
/// interval's next round, its tick taken before that clearAll()); see `timers::Start`.
fn timer_start<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let id = args.get(0).uint32_value(scope).unwrap_or(0);
  let delay = args.get(1).number_value(scope).unwrap_or(0.0);
  let started = state.borrow_mut().start_timer(id, delay);
  rv.set_uint32(started as u32);
}

fn timer_clear<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let id = args.get(0).uint32_value(scope).unwrap_or(0);
  state.borrow_mut().clear_timer(id);
}

fn time_origin<'s>(scope: &mut v8::PinScope<'s, '_>, _args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let ms = state.borrow().time_origin_ms;
  rv.set(v8::Number::new(scope, ms).into());
}

fn now<'s>(scope: &mut v8::PinScope<'s, '_>, _args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let ms = state.borrow().started.elapsed().as_secs_f64() * 1000.0;
  rv.set(v8::Number::new(scope, ms).into());
}

fn emit<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let (has_console, host) = {
    let s = state.borrow();
    (s.config.has_console, s.host.clone())
  };
  if !has_console {
    return;
  }
  if let Ok(entry) = from_v8(scope, args.get(0)) {
    host.console_entry(entry);
  }
}

/// The serializer's delegate. With a `host` hook (platform JS: `(object) => clone | undefined`,
/// which may throw DataCloneError), every object is offered to it first: platform objects come
/// back already cloned per their interface (a Blob shares its immutable bytes, so nothing is
/// copied onto Rust's heap) and travel as an index into `clones`; the rest V8 serializes itself.
/// https://html.spec.whatwg.org/multipage/structured-data.html#serializable-objects
struct CloneDelegate {
  host: Option<v8::Global<v8::Function>>,
  clones: std::rc::Rc<std::cell::RefCell<Vec<v8::Global<v8::Object>>>>,
}

impl v8::ValueSerializerImpl for CloneDelegate {
  fn throw_data_clone_error<'s>(&self, scope: &mut v8::PinScope<'s, '_>, message: v8::Local<'s, v8::String>) {
    let m = message.to_rust_string_lossy(scope);
    throw_dom_exception(scope, &m, "DataCloneError");
  }

  fn has_custom_host_object(&self, _isolate: &v8::Isolate) -> bool {
    self.host.is_some()
  }

  fn is_host_object<'s>(&self, scope: &mut v8::PinScope<'s, '_>, object: v8::Local<'s, v8::Object>) -> Option<bool> {
    let Some(host) = &self.host else { return Some(false) };
    let f = v8::Local::new(scope, host);
    let recv = v8::undefined(scope);
    let clone = f.call(scope, recv.into(), &[object.into()])?;
    match v8::Local::<v8::Object>::try_from(clone) {
      Ok(c) => {
        self.clones.borrow_mut().push(v8::Global::new(scope, c));
        Some(true)
      }
      Err(_) => Some(false),
    }
  }

  // Called right after is_host_object said yes for the same object: its clone is the last one.
  fn write_host_object<'s>(&self, scope: &mut v8::PinScope<'s, '_>, _object: v8::Local<'s, v8::Object>, ser: &dyn v8::ValueSerializerHelper) -> Option<bool> {
    let n = self.clones.borrow().len();
    let Some(i) = n.checked_sub(1).and_then(|i| u32::try_from(i).ok()) else {
      throw_dom_exception(scope, "could not clone a platform object", "DataCloneError");
      return None;
    };
    ser.write_uint32(i);
    Some(true)
  }
}

impl v8::ValueDeserializerImpl for CloneDelegate {
  fn read_host_object<'s>(&self, scope: &mut v8::PinScope<'s, '_>, de: &dyn v8::ValueDeserializerHelper) -> Option<v8::Local<'s, v8::Object>> {
    let mut i = 0u32;
    let clone = if de.read_uint32(&mut i) { self.clones.borrow().get(i as usize).cloned() } else { None };
    match clone {
      Some(c) => Some(v8::Local::new(scope, c)),
      None => {
        throw_dom_exception(scope, "could not clone a platform object", "DataCloneError");
        None
      }
    }
  }
}

/// https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone, with V8's own
/// serializer (the format browsers use for postMessage). Argument 1: the platform's host-object
/// hook (see CloneDelegate).
fn structured_clone<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let context = scope.get_current_context();
  let value = args.get(0);
  let host = v8::Local::<v8::Function>::try_from(args.get(1)).ok().map(|f| v8::Global::new(scope, f));
  let clones = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
  // The serializer's buffer may grow only to what is left of the ArrayBuffer limit (past it:
  // DataCloneError); strings repeated in the value are written out each time.
  let ceiling = State::get(scope).and_then(|s| s.try_borrow().ok().map(|s| s.shared.budget.ceiling()));
  let bytes = {
    let ser = v8::ValueSerializer::new(scope, Box::new(CloneDelegate { host, clones: clones.clone() }));
    ser.write_header();
    if ser.write_value(context, value) != Some(true) {
      return;
    }
    ser.release()
  };
  drop(ceiling);
  let de = v8::ValueDeserializer::new(scope, Box::new(CloneDelegate { host: None, clones }), &bytes);
  if de.read_header(context) != Some(true) {
    return throw_dom_exception(scope, "could not clone the value", "DataCloneError");
  }
  if let Some(v) = de.read_value(context) {
    rv.set(v);
  }
}

/// Refuses (RangeError) to work on a string whose copies would outgrow the runtime's memory
/// limit: natives copy strings into Rust memory, which the heap limit does not see.
fn within_limit(scope: &mut v8::PinScope, v: v8::Local<v8::Value>, what: &str) -> bool {
  let Some(state) = State::get(scope) else { return false };
  let limit = state.borrow().shared.budget.limit_bytes;
  let len = v8::Local::<v8::String>::try_from(v).map(|s| s.length()).unwrap_or(0);
  if len.saturating_mul(2) <= limit {
    return true;
  }
  crate::web::util::throw_range_error(scope, &format!("{what}: the string is too large for the runtime's memory limit"));
  false
}

fn btoa<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  if !within_limit(scope, args.get(0), "btoa") {
    return;
  }
  let s = args.get(0).to_rust_string_lossy(scope);
  let Some(bytes) = latin1(&s) else { return };
  let out = base64::engine::general_purpose::STANDARD.encode(bytes);
  if let Some(v) = v8::String::new(scope, &out) {
    rv.set(v.into());
  }
}

fn atob<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  if !within_limit(scope, args.get(0), "atob") {
    return;
  }
  let s = args.get(0).to_rust_string_lossy(scope);
  let Some(bytes) = forgiving_base64_decode(&s) else { return };
  if let Some(v) = v8::String::new_from_one_byte(scope, &bytes, v8::NewStringType::Normal) {
    rv.set(v.into());
  }
}

fn enqueue_microtask<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  match v8::Local::<v8::Function>::try_from(args.get(0)) {
    Ok(f) => scope.enqueue_microtask(f),
    Err(_) => throw_type_error(scope, "queueMicrotask needs a function"),
  }
}

/// Latin-1 bytes of a string, or None if a character is outside U+0000..U+00FF.
fn latin1(s: &str) -> Option<Vec<u8>> {
  s.chars().map(|c| u8::try_from(c as u32).ok()).collect()
}

/// https://infra.spec.whatwg.org/#forgiving-base64-decode
pub fn forgiving_base64_decode(input: &str) -> Option<Vec<u8>> {
  use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
  let mut data: Vec<u8> = input.bytes().filter(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')).collect();
  if data.len().is_multiple_of(4) {
    if data.ends_with(b"==") {
      data.truncate(data.len() - 2);
    } else if data.ends_with(b"=") {
      data.truncate(data.len() - 1);
    }
  }
  if data.len() % 4 == 1 || !data.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/') {
    return None;
  }
  let engine = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true).with_decode_padding_mode(DecodePaddingMode::RequireNone),
  );
  engine.decode(&data).ok()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn forgiving_base64_follows_infra() {
    assert_eq!(forgiving_base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
    assert_eq!(forgiving_base64_decode(" aGVs\nbG8 ").as_deref(), Some(&b"hello"[..]));
    assert_eq!(forgiving_base64_decode("aGVsbG8").as_deref(), Some(&b"hello"[..]));
    assert_eq!(forgiving_base64_decode("").as_deref(), Some(&b""[..]));
    // Non-zero trailing bits are allowed by the spec.
    assert_eq!(forgiving_base64_decode("YR").as_deref(), Some(&b"a"[..]));
    assert_eq!(forgiving_base64_decode("a"), None);
    assert_eq!(forgiving_base64_decode("a==="), None);
    assert_eq!(forgiving_base64_decode("aGVsbG8=="), None);
    assert_eq!(forgiving_base64_decode("ab*c"), None);
    assert_eq!(forgiving_base64_decode("é"), None);
  }

  #[test]
  fn latin1_refuses_wide_characters() {
    assert_eq!(latin1("ÿa"), Some(vec![0xff, b'a']));
    assert_eq!(latin1("€"), None);
  }
}
