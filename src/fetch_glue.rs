//! `runtime.fetch`: the host glue (src/host/glue.js) given three natives, `call`, `state` and
//! `wsEvent`. What they are passed comes from host code and from the isolate (through the glue):
//! every argument is checked, never trusted.

use crate::errors::ErrorInfo;
use crate::host::bridge::{Deferred, HostBridge, Settle};
use crate::host::call::failed;
use crate::host::napi::{Env, Val};
use crate::host::{func, value};
use crate::runtime::{Msg, RuntimeHandle};
use crate::value::Value;
use napi::sys;
use std::sync::atomic::Ordering;
use std::sync::Arc;

const GLUE: &str = include_str!("host/glue.js");

/// Returns `(api, hooks)` of a new glue instance for this runtime.
///
/// # Safety
/// On the main thread, with the env of the current call.
pub unsafe fn create(env: sys::napi_env, handle: &Arc<RuntimeHandle>, bridge: &Arc<HostBridge>) -> napi::Result<(sys::napi_value, sys::napi_value)> {
  let env = unsafe { Env::from_raw(env) };
  let factory = env.run_script(GLUE)?;
  let native = env.object()?;
  let h = handle.clone();
  let b = bridge.clone();
  let call = func::function(env, "call", move |env, args| call(env, &h, &b, args))?;
  let (h, b) = (handle.clone(), bridge.clone());
  let invoke = func::function(env, "invoke", move |env, args| invoke(env, &h, &b, args))?;
  let h = handle.clone();
  let state = func::function(env, "state", move |env, _| state(env, &h))?;
  let h = handle.clone();
  let ws_event = func::function(env, "wsEvent", move |env, args| ws_event(env, &h, args))?;
  env.define_data(native, &[(env.string("call")?, call), (env.string("state")?, state), (env.string("wsEvent")?, ws_event), (env.string("invoke")?, invoke)])?;
  let made = env.call(env.undefined()?, factory, &[native])?;
  let api = env.get_named(made, "api")?;
  let hooks = env.get_named(made, "hooks")?;
  Ok((api, hooks))
}

fn limit_of(handle: &RuntimeHandle) -> usize {
  handle.shared.budget.limit_bytes
}

/// `native.call(op, args) → Promise`: runs an isolate-side operation.
fn call(env: Env, handle: &Arc<RuntimeHandle>, bridge: &Arc<HostBridge>, args: &[Val]) -> Result<Val, Val> {
  let limit = limit_of(handle);
  let call_args = match args.get(1).map(|a| value::from_host(env, *a, limit)) {
    Some(Ok(Value::Array(items))) => Ok(items),
    Some(Err(m)) => Err(m),
    _ => Ok(Vec::new()),
  };
  start(env, handle, bridge, args.first().copied(), call_args)
}

/// `native.invoke(op, ...args) → Promise`: `call` with the arguments passed as they are (at most
/// 7), so the hot paths (dispatchRequest, dispatchWebSocketMessage) build no array for them and
/// Rust reads each one directly instead of walking an array.
fn invoke(env: Env, handle: &Arc<RuntimeHandle>, bridge: &Arc<HostBridge>, args: &[Val]) -> Result<Val, Val> {
  let limit = limit_of(handle);
  // One budget for all of them, as for one array.
  let mut left = limit;
  let mut items = Vec::with_capacity(args.len().saturating_sub(1));
  let mut failed_with = None;
  for a in args.iter().skip(1) {
    match value::from_host(env, *a, left) {
      Ok(v) => {
        left = left.saturating_sub(v.cost());
        items.push(v);
      }
      Err(m) => {
        failed_with = Some(m);
        break;
      }
    }
  }
  start(env, handle, bridge, args.first().copied(), failed_with.map_or(Ok(items), Err))
}

/// Sends operation `op` with `call_args` (or the reason they could not be read) to the isolate;
/// returns the promise of its outcome.
fn start(env: Env, handle: &Arc<RuntimeHandle>, bridge: &Arc<HostBridge>, op: Option<Val>, call_args: Result<Vec<Value>, String>) -> Result<Val, Val> {
  let (deferred, promise) = Deferred::new(env.raw(), bridge).map_err(|e| crate::errors::host_error(env, "Error", &e.reason, None))?;
  if !handle.shared.is_alive() {
    deferred.reject(handle.shared.later_error());
    return Ok(promise);
  }
  let limit = limit_of(handle);
  let op = match op {
    Some(a) if env.type_of(a).ok() == Some(sys::ValueType::napi_string) => env.get_string(a).map_err(|f| failed(env, f))?,
    _ => {
      deferred.reject(ErrorInfo::type_error("native.call(op, args): op must be a string"));
      return Ok(promise);
    }
  };
  let call_args = match call_args {
    Ok(items) => items,
    Err(m) => {
      deferred.reject(ErrorInfo::new("DataCloneError", m));
      return Ok(promise);
    }
  };
  let shared = handle.shared.clone();
  let done: crate::runtime::Reply = Box::new(move |r| match r {
    // A call that failed because its runtime just passed its memory limit (the arguments could
    // not be made inside it, the handler was terminated) fails with the limit's error, not with
    // whatever the interrupted work left.
    Err(e) if e.kind == crate::errors::ErrorKind::Script && shared.budget.exceeded.load(Ordering::Acquire) => {
      deferred.reject(ErrorInfo::memory_limit(shared.memory_limit_mb))
    }
    Ok(v) => deferred.settle(move |raw| {
      let env = unsafe { Env::from_raw(raw) };
      match value::to_host(env, &v, limit) {
        Ok(v) => Ok(Settle::Resolve(v)),
        Err(m) => Ok(Settle::Reject(ErrorInfo::new("DataCloneError", m).to_host(env))),
      }
    }),
    Err(e) => deferred.reject(e),
  });
  let _ = handle.send(Msg::Call { op: op.into(), args: call_args, done });
  Ok(promise)
}

/// `native.state() → [hasServeHandler, activeConnections, pendingUpgradeId | null]`; throws once
/// the runtime is gone.
fn state(env: Env, handle: &Arc<RuntimeHandle>) -> Result<Val, Val> {
  if !handle.shared.is_alive() {
    return Err(handle.shared.later_error().to_host(env));
  }
  let serve = handle.shared.ext.get::<crate::web::serve::ServeState>();
  let upgrade = serve.upgrade.lock().ok().and_then(|u| u.clone());
  let v = Value::Array(vec![
    Value::Bool(serve.registered.load(Ordering::Acquire)),
    Value::Number(serve.connections.load(Ordering::Acquire) as f64),
    upgrade.map(Value::String).unwrap_or(Value::Null),
  ]);
  value::to_host(env, &v, limit_of(handle)).map_err(|m| ErrorInfo::new("DataCloneError", m).to_host(env))
}

/// `native.wsEvent(id, kind, ...args)`: an event of a bridged host WebSocket for the isolate's
/// WebSocket `id` ('open' protocol extensions | 'text' string | 'binary' ArrayBuffer | 'sent' n |
/// 'close' code reason wasClean failed). Values of the wrong type or range are ignored or clamped:
/// a host socket (or an object posing as one) decides them.
fn ws_event(env: Env, handle: &Arc<RuntimeHandle>, args: &[Val]) -> Result<Val, Val> {
  use crate::web::websocket::Event;
  let undefined = env.undefined().map_err(|f| failed(env, f))?;
  let limit = limit_of(handle);
  let values: Vec<Value> = args.iter().map(|a| value::from_host(env, *a, limit).unwrap_or(Value::Undefined)).collect();
  let num = |i: usize| match values.get(i) {
    Some(Value::Number(n)) if n.is_finite() => Some(*n),
    _ => None,
  };
  let text = |i: usize| match values.get(i) {
    Some(Value::String(s)) => s.clone(),
    Some(Value::Utf16(u)) => String::from_utf16_lossy(u),
    _ => String::new(),
  };
  let flag = |i: usize| matches!(values.get(i), Some(Value::Bool(true)));
  let Some(id) = num(0).filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= u64::MAX as f64) else {
    return Ok(undefined);
  };
  let id = id as u64;
  let event = match text(1).as_str() {
    "open" => Event::Open { protocol: text(2), extensions: text(3) },
    "text" => Event::Text(text(2)),
    "binary" => match values.get(2) {
      Some(Value::ArrayBuffer(b)) => Event::Binary(b.clone()),
      Some(Value::View { bytes, .. }) => Event::Binary(bytes.clone()),
      _ => return Ok(undefined),
    },
    "sent" => Event::Sent(num(2).filter(|n| *n >= 0.0).map_or(0, |n| n as u64)),
    "close" => {
      // https://websockets.spec.whatwg.org/#feedback-from-the-protocol: a code the peer may not
      // send (or none) reads as 1006.
      let code = num(2).filter(|c| c.fract() == 0.0 && (1000.0..=4999.0).contains(c)).map_or(1006, |c| c as u16);
      Event::Close { code, reason: text(3), clean: flag(4), failed: flag(5) }
    }
    _ => return Ok(undefined),
  };
  let _ = handle.send(crate::web::websocket::message(id, event));
  Ok(undefined)
}
