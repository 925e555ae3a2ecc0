//! Bun-compatible `serve({ fetch, websocket })` and the isolate side of `runtime.fetch`.

use super::{Area, Natives};
use crate::runtime::State;
use std::sync::atomic::Ordering;
use v8::MapFnTo;

pub const AREA: Area = Area { name: "serve", js: include_str!("serve.js"), natives };

fn natives() -> Natives {
  vec![("serveState", serve_state.map_fn_to()), ("command", command.map_fn_to())]
}

/// `serveState(kind, arg)`: what the host reads synchronously. 0: serve() was called;
/// 1: `arg` is a new pending upgrade; 2: `arg` connections are open; 3: upgrade `arg` was opened.
fn serve_state<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let shared = state.borrow().shared.clone();
  let serve = &shared.serve;
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
  let Some(state) = State::get(scope) else { return };
  let (host, tx, shared) = {
    let s = state.borrow();
    (s.host.clone(), s.tx.clone(), s.shared.clone())
  };
  // Checked before the message is copied out of the isolate.
  let size = data_size(scope, args.get(0)).unwrap_or(0);
  if size > 0 && shared.serve.pending_bytes.load(Ordering::Acquire).saturating_add(size) > DROP_LIMIT {
    return rv.set_int32(0);
  }
  let Ok(cmd) = crate::value::isolate::from_v8(scope, args.get(0)) else {
    return super::util::throw_type_error(scope, "WebSocket data must be a string or bytes");
  };
  let before = shared.serve.pending_bytes.fetch_add(size, Ordering::AcqRel);
  let backpressured = before + size > BACKPRESSURE_LIMIT;
  if backpressured {
    shared.serve.drain_wanted.store(true, Ordering::Release);
  }
  let delivered = Box::new(move || {
    let left = shared.serve.pending_bytes.fetch_sub(size, Ordering::AcqRel).saturating_sub(size);
    if left <= BACKPRESSURE_LIMIT / 2 && shared.serve.drain_wanted.swap(false, Ordering::AcqRel) {
      let _ = tx.send(crate::runtime::Msg::Call { op: "wsDrain".into(), args: Vec::new(), done: Box::new(|_| {}) });
    }
  });
  host.command_then(cmd, delivered);
  rv.set(v8::Number::new(scope, if backpressured { -1.0 } else { size as f64 }).into());
}
