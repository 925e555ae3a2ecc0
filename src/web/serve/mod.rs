//! Bun-compatible `serve({ fetch, websocket })` and the isolate side of `runtime.fetch`.

use super::{Area, Natives};
use crate::runtime::State;
use std::sync::atomic::{AtomicBool, Ordering};
use v8::MapFnTo;

pub const AREA: Area = Area { name: "serve", js: include_str!("serve.js"), natives };

fn natives() -> Natives {
  vec![
    ("serveState", serve_state.map_fn_to()),
    ("command", command.map_fn_to()),
    ("serveBodyPull", body_pull.map_fn_to()),
    ("serveBodyCancel", body_cancel.map_fn_to()),
    ("serveBuffered", buffered.map_fn_to()),
    ("serveAnswer", answer.map_fn_to()),
    ("serveSend", send.map_fn_to()),
  ]
}

// --- requests and WebSockets of the native server (src/server/) ------------------------------------

fn owner(scope: &mut v8::PinScope) -> Option<usize> {
  let state = State::get(scope)?;
  let s = state.try_borrow().ok()?;
  Some(crate::server::registry::owner_of(&s.shared))
}

fn id_arg(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> u64 {
  v.integer_value(scope).unwrap_or(0).max(0) as u64
}

/// `serveBodyPull(id) → Promise<Uint8Array | null>`: the next chunk of a native request's body,
/// read from hyper by a tokio task when the isolate asks (the client sends no faster than the
/// handler reads); null at its end. Rejects with a TypeError when the body failed (the client
/// went away, or it passed maxRequestBodyBytes).
fn body_pull<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let Some(owner) = owner(scope) else { return };
  let Some(budget) = super::util::budget(scope) else { return };
  let Some((promise, later)) = crate::runtime::Later::new(scope) else { return };
  rv.set(promise.into());
  let (Some(slot), Some(rt)) = (crate::server::registry::body(owner, id), crate::net::tokio()) else {
    return later.resolve(crate::value::Value::Null);
  };
  rt.spawn(async move {
    use crate::server::registry::Chunk;
    let chunk = slot.lock().await.next().await;
    match chunk {
      Chunk::Data(b) => {
        // Held until the isolate has it (the reply makes its own, counted, buffer).
        let charge = budget.charge_anyway(crate::limits::Pool::ArrayBuffers, b.len());
        let bytes = b.to_vec();
        drop((b, charge));
        later.resolve(crate::value::Value::View { kind: crate::value::ViewKind::Uint8, bytes })
      }
      Chunk::End => later.resolve(crate::value::Value::Null),
      Chunk::Failed(m) => later.reject(crate::value::Value::Error(crate::errors::ErrorInfo::type_error(m))),
    }
  });
}

/// `serveBodyCancel(id)`: the handler cancelled a native request's body: stop reading it.
fn body_cancel<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let Some(owner) = owner(scope) else { return };
  let (Some(slot), Some(rt)) = (crate::server::registry::body(owner, id), crate::net::tokio()) else { return };
  rt.spawn(async move { slot.lock().await.cancel() });
}

/// `serveBuffered(connectionId) → number`: bytes a native connection has queued and not yet
/// written (Bun's `ws.getBufferedAmount()`), -1 when it is not a native connection.
fn buffered<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let cid = args.get(0).to_rust_string_lossy(scope);
  let n = owner(scope).and_then(|o| crate::server::registry::conn(o, &cid)).map(|c| c.buffered.load(Ordering::Acquire) as f64);
  rv.set(v8::Number::new(scope, n.unwrap_or(-1.0)).into());
}

/// `serveAnswer(id, status, headers, kind, payload, upgrade)`: serve.js answers a native server
/// request (`head()` there checked the parts). The reply src/server/http.rs reads, built here
/// from the parts themselves rather than through the generic value reader (`settled` and
/// `from_v8`: a tenth of a hello-world request's user-space CPU, for an array of five
/// primitives). Parts of the wrong type answer with a TypeError (a 500).
fn answer<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(call) = crate::runtime::WaitingCall::find(scope, args.get(0)) else { return };
  let limit = crate::value::isolate::limit_bytes(scope);
  call.complete(answer_parts(scope, &args, limit));
}

fn answer_parts<'s>(scope: &mut v8::PinScope<'s, '_>, args: &v8::FunctionCallbackArguments<'s>, limit: usize) -> Result<crate::value::Value, crate::errors::ErrorInfo> {
  use crate::errors::ErrorInfo;
  use crate::value::{Value, ViewKind};
  let invalid = || ErrorInfo::type_error("invalid response parts");
  let status = args.get(1).number_value(scope).filter(|_| args.get(1).is_number()).ok_or_else(invalid)?;
  let headers = v8::Local::<v8::String>::try_from(args.get(2)).map_err(|_| invalid())?;
  let kind = args.get(3);
  let kind = if kind.is_int32() { kind.int32_value(scope).unwrap_or(-1) } else { -1 };
  let payload = args.get(4);
  // As the generic reader bounds a conversion: by the runtime's memory limit, checked before
  // anything is copied.
  let too_large = || ErrorInfo::new("DataCloneError", format!("the response is larger than the runtime's memory limit ({limit} bytes)"));
  // UTF-8 is at most 3 bytes per UTF-16 unit: counted only when that bound is past the limit.
  let bound = |s: v8::Local<v8::String>| s.length().saturating_mul(3);
  let exact = |scope: &mut v8::PinScope, s: v8::Local<v8::String>| s.utf8_length(scope);
  let payload = match kind {
    0 if payload.is_null() => Value::Null,
    1 if payload.is_uint8_array() => {
      let view = v8::Local::<v8::ArrayBufferView>::try_from(payload).map_err(|_| invalid())?;
      let len = view.byte_length();
      if len.saturating_add(bound(headers)) > limit && len.saturating_add(exact(scope, headers)) > limit {
        return Err(too_large());
      }
      let mut bytes = vec![0u8; len];
      let n = view.copy_contents(&mut bytes);
      bytes.truncate(n);
      Value::View { kind: ViewKind::Uint8, bytes }
    }
    2 if payload.is_number() => Value::Number(payload.number_value(scope).unwrap_or(0.0)),
    3 => {
      let text = v8::Local::<v8::String>::try_from(payload).map_err(|_| invalid())?;
      if bound(text).saturating_add(bound(headers)) > limit && exact(scope, text).saturating_add(exact(scope, headers)) > limit {
        return Err(too_large());
      }
      // Lone surrogates become U+FFFD, as TextEncoder makes them.
      Value::String(text.to_rust_string_lossy(scope))
    }
    _ => return Err(invalid()),
  };
  if bound(headers) > limit && exact(scope, headers) > limit {
    return Err(too_large());
  }
  let mut reply = vec![Value::Number(status), Value::Null, Value::String(headers.to_rust_string_lossy(scope)), Value::Number(kind as f64), payload];
  // The connection id of a WebSocket upgrade.
  if let Ok(cid) = v8::Local::<v8::String>::try_from(args.get(5)) {
    reply.push(Value::String(cid.to_rust_string_lossy(scope)));
  }
  Ok(Value::Array(reply))
}

fn get<'s>(scope: &mut v8::PinScope<'s, '_>, obj: v8::Local<'s, v8::Object>, key: &str) -> Option<v8::Local<'s, v8::Value>> {
  // Internalized: the key is found in V8's string table, not made anew per command.
  let k = v8::String::new_from_utf8(scope, key.as_bytes(), v8::NewStringType::Internalized)?;
  obj.get(scope, k.into())
}

/// Queues a message on a native connection; what `ws.send` returns.
fn send_message(scope: &mut v8::PinScope, conn: &crate::server::registry::Conn, data: v8::Local<v8::Value>) -> i32 {
  use crate::server::registry::WsCmd;
  let size = match v8::Local::<v8::String>::try_from(data) {
    Ok(s) => s.utf8_length(scope),
    Err(_) => super::util::with_bytes(data, |b| b.len()).unwrap_or(0),
  };
  // Queued bytes count against the runtime's memory until written; past it: dropped.
  let Some(charge) = super::util::charge_or_collect(scope, crate::limits::Pool::ArrayBuffers, size) else { return 0 };
  let cmd = if data.is_string() {
    WsCmd::Text(data.to_rust_string_lossy(scope), Some(charge))
  } else {
    WsCmd::Binary(super::util::copy_bytes(data).unwrap_or_default(), Some(charge))
  };
  conn.send(cmd, size)
}

/// `serveSend(connectionId, data) → number | undefined`: `ws.send(data)` on a native server's
/// connection (a string or an ArrayBuffer serve.js made), without a command object to read
/// back; undefined when `connectionId` is not one (the host's connections take `command`).
fn send<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let cid = args.get(0);
  if !cid.is_string() {
    return;
  }
  let cid = cid.to_rust_string_lossy(scope);
  let Some(conn) = owner(scope).and_then(|o| crate::server::registry::conn(o, &cid)) else { return };
  rv.set_int32(send_message(scope, &conn, args.get(1)));
}

/// A command for a native connection, handled in Rust; None when `cmd` is not for one (it goes
/// to the host). Returns what `ws.send` returns.
fn native_command<'s>(scope: &mut v8::PinScope<'s, '_>, cmd: v8::Local<'s, v8::Value>) -> Option<i32> {
  use crate::server::registry::WsCmd;
  let obj = v8::Local::<v8::Object>::try_from(cmd).ok()?;
  let cid = get(scope, obj, "connectionId")?;
  if !cid.is_string() {
    return None;
  }
  let cid = cid.to_rust_string_lossy(scope);
  let conn = crate::server::registry::conn(owner(scope)?, &cid)?;
  let kind = get(scope, obj, "type").map(|t| t.to_rust_string_lossy(scope)).unwrap_or_default();
  let data = get(scope, obj, "data");
  let bytes = |data: Option<v8::Local<v8::Value>>| data.and_then(super::util::copy_bytes).unwrap_or_default();
  Some(match kind.as_str() {
    "message" => match data {
      Some(data) => send_message(scope, &conn, data),
      None => 0,
    },
    "ping" | "pong" => {
      let mut b = bytes(data);
      // RFC 6455 §5.5: control frames carry at most 125 bytes.
      b.truncate(125);
      let n = b.len() as i32;
      let _ = conn.tx.send(if kind == "ping" { WsCmd::Ping(b) } else { WsCmd::Pong(b) });
      n
    }
    "close" => {
      let code = get(scope, obj, "code").and_then(|c| c.uint32_value(scope)).unwrap_or(1000);
      let reason = get(scope, obj, "reason").map(|r| r.to_rust_string_lossy(scope)).unwrap_or_default();
      let _ = conn.tx.send(if code == 1006 { WsCmd::Terminate } else { WsCmd::Close(code.min(4999) as u16, reason) });
      0
    }
    _ => 0,
  })
}

/// What the host's `runtime.fetch` reads without waiting for the isolate (kept in the runtime's
/// `Shared::ext`).
#[derive(Default)]
pub struct ServeState {
  pub registered: AtomicBool,
  /// Bytes of WebSocket commands posted to the host and not yet delivered to its listeners.
  pub pending_bytes: std::sync::atomic::AtomicUsize,
  /// A `ws.send` returned -1: call the isolate's `drain` once the host catches up.
  pub drain_wanted: AtomicBool,
  pub connections: std::sync::atomic::AtomicUsize,
  /// The connection id of the latest `server.upgrade()` not yet opened.
  pub upgrade: std::sync::Mutex<Option<String>>,
}

/// `serveState(kind, arg)`: what the host reads synchronously. 0: serve() was called;
/// 1: `arg` is a new pending upgrade; 2: `arg` connections are open; 3: upgrade `arg` was opened.
fn serve_state<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let shared = state.borrow().shared.clone();
  let serve = shared.ext.get::<ServeState>();
  match args.get(0).uint32_value(scope).unwrap_or(u32::MAX) {
    0 => serve.registered.store(true, Ordering::Release),
    1 => {
      let id = args.get(1).to_rust_string_lossy(scope);
      if let Ok(mut u) = serve.upgrade.lock() {
        *u = Some(id);
      }
    }
    2 => serve.connections.store(args.get(1).uint32_value(scope).unwrap_or(0) as usize, Ordering::Release),
    3 => {
      let id = args.get(1).to_rust_string_lossy(scope);
      if let Ok(mut u) = serve.upgrade.lock() {
        if u.as_deref() == Some(id.as_str()) {
          *u = None;
        }
      }
    }
    _ => {}
  }
}

/// Past this many bytes posted to the host and not yet delivered, `ws.send` reports backpressure
/// (Bun's default `backpressureLimit`).
const BACKPRESSURE_LIMIT: usize = 16 << 20;

/// Past this many bytes posted and not yet delivered, a message is dropped and `ws.send` returns
/// 0, as Bun's does for a message it drops. (The host also bounds what waits for it, at
/// memoryLimitMB with async calls in flight: under a smaller limit that bound comes first.)
const DROP_LIMIT: usize = 4 * BACKPRESSURE_LIMIT;

/// Bytes of the message in `data` (UTF-8 for strings): a string, or an ArrayBuffer / view.
fn data_size(scope: &mut v8::PinScope, cmd: v8::Local<v8::Value>) -> Option<usize> {
  let obj = v8::Local::<v8::Object>::try_from(cmd).ok()?;
  let key = v8::String::new(scope, "data")?;
  let data = obj.get(scope, key.into())?;
  if let Ok(s) = v8::Local::<v8::String>::try_from(data) {
    return Some(s.utf8_length(scope));
  }
  Some(super::util::with_bytes(data, |b| b.len()).unwrap_or(0))
}

/// `command(cmd)`: hands a plain-object command to the host's `onWebSocketCommand` listeners.
/// Returns the payload's size in bytes (UTF-8 for strings), or -1 when the host is more than
/// `BACKPRESSURE_LIMIT` behind (the command is still queued), as Bun's `ws.send` does; the
/// isolate's `drain` is then called once the host is down to half of that. Past `DROP_LIMIT` the
/// message is dropped and 0 is returned. Commands without data (close) are never dropped.
fn command<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  if let Some(n) = native_command(scope, args.get(0)) {
    return rv.set_int32(n);
  }
  let Some(state) = State::get(scope) else { return };
  let (host, tx, serve) = {
    let s = state.borrow();
    (s.host.clone(), s.tx.clone(), s.shared.ext.get::<ServeState>())
  };
  // Checked before the message is copied out of the isolate.
  let size = data_size(scope, args.get(0)).unwrap_or(0);
  if size > 0 && serve.pending_bytes.load(Ordering::Acquire).saturating_add(size) > DROP_LIMIT {
    return rv.set_int32(0);
  }
  let Ok(cmd) = crate::value::isolate::from_v8(scope, args.get(0)) else {
    return super::util::throw_type_error(scope, "WebSocket data must be a string or bytes");
  };
  let before = serve.pending_bytes.fetch_add(size, Ordering::AcqRel);
  let backpressured = before + size > BACKPRESSURE_LIMIT;
  if backpressured {
    serve.drain_wanted.store(true, Ordering::Release);
  }
  let delivered = Box::new(move || {
    let left = serve.pending_bytes.fetch_sub(size, Ordering::AcqRel).saturating_sub(size);
    if left <= BACKPRESSURE_LIMIT / 2 && serve.drain_wanted.swap(false, Ordering::AcqRel) {
      let _ = tx.send(crate::runtime::Msg::Call { op: "wsDrain".into(), args: Vec::new(), done: Box::new(|_| {}) });
    }
  });
  host.command_then(cmd, delivered);
  rv.set(v8::Number::new(scope, if backpressured { -1.0 } else { size as f64 }).into());
}
