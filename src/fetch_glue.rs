//! `runtime.fetch`: the host glue (src/host/glue.js) given two natives, `call` and `state`.

use crate::errors::ErrorInfo;
use crate::host::bridge::{check, Deferred, HostBridge, Settle};
use crate::host::{func, value};
use crate::runtime::{Msg, RuntimeHandle};
use napi::sys;
use std::ptr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

const GLUE: &str = include_str!("host/glue.js");

/// Returns `(api, hooks)` of a new glue instance for this runtime.
pub unsafe fn create(env: sys::napi_env, handle: &Arc<RuntimeHandle>, bridge: &Arc<HostBridge>) -> napi::Result<(sys::napi_value, sys::napi_value)> {
  unsafe {
    let factory = {
      let src = value::str_value(env, GLUE)?;
      let mut f = ptr::null_mut();
      check(sys::napi_run_script(env, src, &mut f))?;
      f
    };
    let native = {
      let mut obj = ptr::null_mut();
      check(sys::napi_create_object(env, &mut obj))?;
      let h = handle.clone();
      let b = bridge.clone();
      let call = func::function(env, "call", move |env, args| call(env, &h, &b, args))?;
      let h = handle.clone();
      let state = func::function(env, "state", move |env, _| state(env, &h))?;
      check(sys::napi_set_named_property(env, obj, c"call".as_ptr(), call))?;
      check(sys::napi_set_named_property(env, obj, c"state".as_ptr(), state))?;
      let h = handle.clone();
      let ws_event = func::function(env, "wsEvent", move |env, args| ws_event(env, &h, args))?;
      check(sys::napi_set_named_property(env, obj, c"wsEvent".as_ptr(), ws_event))?;
      obj
    };
    let mut undefined = ptr::null_mut();
    sys::napi_get_undefined(env, &mut undefined);
    let mut made = ptr::null_mut();
    check(sys::napi_call_function(env, undefined, factory, 1, &native, &mut made))?;
    let api = value::get_named(env, made, "api").map_err(napi::Error::from_reason)?;
    let hooks = value::get_named(env, made, "hooks").map_err(napi::Error::from_reason)?;
    Ok((api, hooks))
  }
}

/// `native.call(op, args) → Promise`: runs an isolate-side operation.
unsafe fn call(env: sys::napi_env, handle: &Arc<RuntimeHandle>, bridge: &Arc<HostBridge>, args: &[sys::napi_value]) -> napi::Result<sys::napi_value> {
  unsafe {
    let (deferred, promise) = Deferred::new(env, bridge)?;
    if !handle.shared.is_alive() {
      deferred.reject(ErrorInfo::new("Error", handle.shared.dead_message()));
      return Ok(promise);
    }
    let op = args.first().map(|a| value::string(env, *a)).transpose().map_err(napi::Error::from_reason)?.unwrap_or_default();
    let call_args = match args.get(1).map(|a| value::from_host(env, *a)) {
      Some(Ok(crate::value::Value::Array(items))) => items,
      Some(Err(m)) => {
        deferred.reject(ErrorInfo::new("DataCloneError", m));
        return Ok(promise);
      }
      _ => Vec::new(),
    };
    let done: crate::runtime::Reply = Box::new(move |r| match r {
      Ok(v) => deferred.settle(move |env| Ok(Settle::Resolve(value::to_host(env, &v)?))),
      Err(e) => deferred.reject(e),
    });
    let _ = handle.send(Msg::Call { op, args: call_args, done });
    Ok(promise)
  }
}

/// `native.state() → [hasServeHandler, activeConnections, pendingUpgradeId | null]`; throws once
/// the runtime is gone.
unsafe fn state(env: sys::napi_env, handle: &Arc<RuntimeHandle>) -> napi::Result<sys::napi_value> {
  if !handle.shared.is_alive() {
    return Err(napi::Error::from_reason(handle.shared.dead_message()));
  }
  let serve = &handle.shared.serve;
  let upgrade = serve.upgrade.lock().ok().and_then(|u| u.clone());
  let v = crate::value::Value::Array(vec![
    crate::value::Value::Bool(serve.registered.load(Ordering::Acquire)),
    crate::value::Value::Number(serve.connections.load(Ordering::Acquire) as f64),
    upgrade.map(crate::value::Value::String).unwrap_or(crate::value::Value::Null),
  ]);
  unsafe { value::to_host(env, &v) }
}

/// `native.wsEvent(id, kind, ...args)`: an event of a bridged host WebSocket for the isolate's
/// WebSocket `id` ('open' protocol extensions | 'text' string | 'binary' ArrayBuffer | 'sent' n |
/// 'close' code reason wasClean failed).
unsafe fn ws_event(env: sys::napi_env, handle: &Arc<RuntimeHandle>, args: &[sys::napi_value]) -> napi::Result<sys::napi_value> {
  use crate::value::Value;
  use crate::web::websocket::Event;
  unsafe {
    let mut undefined = ptr::null_mut();
    sys::napi_get_undefined(env, &mut undefined);
    let values: Vec<Value> = args.iter().map(|a| value::from_host(env, *a).unwrap_or(Value::Undefined)).collect();
    let num = |i: usize| match values.get(i) {
      Some(Value::Number(n)) => *n,
      _ => 0.0,
    };
    let text = |i: usize| match values.get(i) {
      Some(Value::String(s)) => s.clone(),
      Some(Value::Utf16(u)) => String::from_utf16_lossy(u),
      _ => String::new(),
    };
    let flag = |i: usize| matches!(values.get(i), Some(Value::Bool(true)));
    let id = num(0).max(0.0) as u64;
    let event = match text(1).as_str() {
      "open" => Event::Open { protocol: text(2), extensions: text(3) },
      "text" => Event::Text(text(2)),
      "binary" => match values.get(2) {
        Some(Value::ArrayBuffer(b)) => Event::Binary(b.clone()),
        Some(Value::View { bytes, .. }) => Event::Binary(bytes.clone()),
        _ => return Ok(undefined),
      },
      "sent" => Event::Sent(num(2).max(0.0) as u64),
      "close" => {
        let code = num(2);
        let code = if (0.0..=65535.0).contains(&code) { code as u16 } else { 1006 };
        Event::Close { code, reason: text(3), clean: flag(4), failed: flag(5) }
      }
      _ => return Ok(undefined),
    };
    let _ = handle.send(Msg::WebSocket { id, event });
    Ok(undefined)
  }
}
