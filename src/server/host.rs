//! The host side of the native server: `runtime.listen(options)` and the `Server` class.

use super::options::{self, Callbacks};
use super::registry::{self, WsCmd};
use super::Core;
use crate::errors::ErrorInfo;
use crate::host::bridge::{Deferred, HostBridge, Settle};
use crate::host::napi::{Env as HEnv, Val};
use crate::host::value;
use crate::runtime::{Msg, RuntimeHandle};
use crate::value::Value;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::{CancellationToken, DropGuard};

/// What keeps Node's process alive: a listening server that is ref'd (like net.Server).
#[derive(Default)]
struct Hold {
  refd: bool,
  held: bool,
  stopped: bool,
}

/// A native HTTP/WebSocket server in front of a runtime's handler.
#[napi]
pub struct Server {
  core: Arc<Core>,
  bridge: Arc<HostBridge>,
  hold: Arc<Mutex<Hold>>,
}

/// Guards stored in the isolate: dropped with it, they tell its servers the runtime is gone.
struct Guards(#[allow(dead_code)] Vec<DropGuard>);

fn promise_of<'a>(env: &'a Env, raw: sys::napi_value) -> PromiseRaw<'a, ()> {
  PromiseRaw::new(env.raw(), raw)
}

/// A promise settled now, on the main thread.
fn settled<'a>(env: &'a Env, outcome: std::result::Result<Val, ErrorInfo>) -> Result<PromiseRaw<'a, ()>> {
  let h = unsafe { HEnv::from_raw(env.raw()) };
  let (deferred, promise) = h.promise()?;
  match outcome {
    Ok(v) => h.resolve(deferred, v)?,
    Err(e) => h.reject(deferred, e.to_host(h))?,
  }
  Ok(promise_of(env, promise))
}

/// `runtime.listen(options) → Promise<Server>`.
pub fn listen<'a>(env: &'a Env, handle: &Arc<RuntimeHandle>, rt_bridge: &Arc<HostBridge>, options: Option<Unknown<'a>>) -> Result<PromiseRaw<'a, ()>> {
  let raw = env.raw();
  let (deferred, promise) = Deferred::new(raw, rt_bridge)?;
  if !handle.shared.is_alive() {
    deferred.reject(handle.shared.later_error());
    return Ok(promise_of(env, promise));
  }
  let (opts, cbs) = match unsafe { options::parse(raw, options.map(|o| o.raw())) } {
    Ok(p) => p,
    Err(e) => {
      deferred.reject(e);
      return Ok(promise_of(env, promise));
    }
  };
  let Some(rt) = crate::net::tokio() else {
    deferred.reject(ErrorInfo::new("Error", "listen(options): the network runtime could not start"));
    return Ok(promise_of(env, promise));
  };
  let bridge = HostBridge::new(raw)?;
  let events = connection_events(&bridge, cbs, handle.shared.budget.limit_bytes);
  // The isolate keeps a guard: when it is dropped (dispose, a limit), the server closes.
  let gone = CancellationToken::new();
  let guard = gone.clone().drop_guard();
  let task: crate::runtime::IsolateTask = Box::new(move |scope| {
    if let Some(g) = scope.get_slot_mut::<Guards>() {
      g.0.push(guard);
      return;
    }
    scope.set_slot(Guards(vec![guard]));
  });
  if !handle.send(Msg::Task(task)) {
    deferred.reject(handle.shared.later_error());
    return Ok(promise_of(env, promise));
  }
  let mailbox = handle.mailbox();
  let shared = handle.shared.clone();
  // A listening server keeps its runtime alive, as a listening net.Server keeps its handler: the
  // host may drop every reference to the Runtime (a forgotten one is disposed when collected).
  let keep = handle.clone();
  rt.spawn(async move {
    match super::start(opts, mailbox, shared, gone, events).await {
      Err(e) => deferred.reject(e),
      Ok(core) => {
        let hold = Arc::new(Mutex::new(Hold { refd: true, ..Default::default() }));
        // Once the server stops accepting (close() or the runtime's end), Node may exit.
        {
          let (core, bridge, hold) = (core.clone(), bridge.clone(), hold.clone());
          tokio::spawn(async move {
            core.stopped().await;
            drop(keep);
            let b = bridge.clone();
            bridge.post(move |env| {
              if let Ok(mut h) = hold.lock() {
                h.stopped = true;
                if h.held {
                  h.held = false;
                  b.unhold(env);
                }
              }
            });
          });
        }
        let server = Server { core: core.clone(), bridge, hold };
        deferred.settle(move |env| {
          server.update_hold(env);
          Ok(Settle::Resolve(unsafe { Server::to_napi_value(env, server) }?))
        });
      }
    }
  });
  Ok(promise_of(env, promise))
}

/// `onConnection(info)` / `onDisconnection(info)`, called on Node's main thread; what they throw
/// is ignored (it must not reach the server).
fn connection_events(bridge: &Arc<HostBridge>, cbs: Callbacks, limit: usize) -> Option<super::ConnEvents> {
  if cbs.on_connection.is_none() && cbs.on_disconnection.is_none() {
    return None;
  }
  let cbs = Arc::new(cbs);
  let bridge = bridge.clone();
  Some(Arc::new(move |info: Value, opened: bool| {
    let cbs = cbs.clone();
    bridge.post(move |raw| {
      let env = unsafe { HEnv::from_raw(raw) };
      let f = if opened { &cbs.on_connection } else { &cbs.on_disconnection };
      let Some(f) = f.as_ref().map(|r| unsafe { r.get(raw) }) else { return };
      let (Ok(this), Ok(arg)) = (env.undefined(), value::to_host(env, &info, limit)) else { return };
      crate::host::call::call_and_await(env, this, f, &[arg], |_, _| {});
    });
  }))
}

fn type_error(msg: impl Into<String>) -> ErrorInfo {
  ErrorInfo::type_error(msg)
}

/// A connection id argument.
fn id_arg(env: HEnv, v: Option<Val>, what: &str) -> std::result::Result<String, ErrorInfo> {
  let Some(v) = v else { return Err(type_error(format!("{what}: id must be a connection id string"))) };
  if env.type_of(v).ok() != Some(sys::ValueType::napi_string) {
    return Err(type_error(format!("{what}: id must be a connection id string (from onConnection or connections())")));
  }
  env.get_string(v).map_err(|_| type_error(format!("{what}: id could not be read")))
}

#[napi]
impl Server {
  /// Holds Node's event loop while listening and ref'd. Main thread only.
  fn update_hold(&self, env: sys::napi_env) {
    let Ok(mut h) = self.hold.lock() else { return };
    let want = h.refd && !h.stopped;
    if want && !h.held {
      h.held = true;
      self.bridge.hold(env);
    } else if !want && h.held {
      h.held = false;
      self.bridge.unhold(env);
    }
  }

  /// `http://127.0.0.1:8787/` (https with `tls`).
  #[napi(getter)]
  pub fn url(&self) -> String {
    self.core.url.clone()
  }

  /// The port listened on (the one picked when `port` was 0).
  #[napi(getter)]
  pub fn port(&self) -> u32 {
    self.core.local.port() as u32
  }

  /// The address listened on.
  #[napi(getter)]
  pub fn hostname(&self) -> String {
    self.core.local.ip().to_string()
  }

  /// The open WebSocket connections: `[{ id, remoteAddress, protocol, openedAt, bufferedAmount }]`.
  #[napi(catch_unwind, ts_return_type = "Promise<ServerConnection[]>")]
  pub fn connections<'a>(&self, env: &'a Env) -> Result<PromiseRaw<'a, ()>> {
    let list: Vec<Value> = registry::server_conns(self.core.id)
      .into_iter()
      .map(|(id, c)| {
        Value::Object(vec![
          ("id".into(), Value::String(id)),
          ("remoteAddress".into(), Value::String(c.remote_address.clone())),
          ("protocol".into(), Value::String(c.protocol.clone())),
          ("openedAt".into(), Value::Number(c.opened_at)),
          ("bufferedAmount".into(), Value::Number(c.buffered.load(std::sync::atomic::Ordering::Acquire) as f64)),
        ])
      })
      .collect();
    let h = unsafe { HEnv::from_raw(env.raw()) };
    let v = value::to_host(h, &Value::Array(list), usize::MAX).map_err(|m| ErrorInfo::new("Error", m));
    settled(env, v)
  }

  /// Sends `data` (a string: a text frame; bytes: a binary frame) to connection `id`. Resolves
  /// as Bun's `ws.send` returns: the bytes queued, -1 under backpressure, 0 when dropped.
  #[napi(catch_unwind, ts_args_type = "id: string, data: string | ArrayBuffer | ArrayBufferView", ts_return_type = "Promise<number>")]
  pub fn send<'a>(&self, env: &'a Env, id: Option<Unknown<'a>>, data: Option<Unknown<'a>>) -> Result<PromiseRaw<'a, ()>> {
    let h = unsafe { HEnv::from_raw(env.raw()) };
    let what = "server.send(id, data)";
    let outcome = (|| {
      let id = id_arg(h, id.map(|v| v.raw()), what)?;
      let bad = || type_error(format!("{what}: data must be a string, an ArrayBuffer or a typed array"));
      let data = data.ok_or_else(bad)?;
      let cmd = match value::from_host(h, data.raw(), self.core.opts.ws_backpressure_limit.saturating_mul(4)) {
        Ok(Value::String(s)) => WsCmd::Text(s, None),
        Ok(Value::Utf16(u)) => WsCmd::Text(String::from_utf16_lossy(&u), None),
        Ok(Value::ArrayBuffer(b)) | Ok(Value::View { bytes: b, .. }) => WsCmd::Binary(b, None),
        Ok(_) => return Err(bad()),
        Err(m) => return Err(ErrorInfo::range_error(format!("{what}: data could not be sent: {m}"))),
      };
      let conn = registry::server_conn(self.core.id, &id).ok_or_else(|| ErrorInfo::new("Error", format!("{what}: no open WebSocket connection '{id}'")))?;
      let size = match &cmd {
        WsCmd::Text(t, _) => t.len(),
        WsCmd::Binary(b, _) => b.len(),
        _ => 0,
      };
      h.double(conn.send(cmd, size) as f64).map_err(|_| ErrorInfo::new("Error", format!("{what}: internal error")))
    })();
    settled(env, outcome)
  }

  /// Closes connection `id` with `code` (default 1000) and `reason`.
  #[napi(catch_unwind, js_name = "closeConnection", ts_args_type = "id: string, code?: number, reason?: string", ts_return_type = "Promise<void>")]
  pub fn close_connection<'a>(&self, env: &'a Env, id: Option<Unknown<'a>>, code: Option<Unknown<'a>>, reason: Option<Unknown<'a>>) -> Result<PromiseRaw<'a, ()>> {
    let h = unsafe { HEnv::from_raw(env.raw()) };
    let what = "server.closeConnection(id, code, reason)";
    let outcome = (|| {
      let id = id_arg(h, id.map(|v| v.raw()), what)?;
      let code = match code.map(|c| c.raw()).filter(|c| h.type_of(*c).ok() != Some(sys::ValueType::napi_undefined)) {
        None => 1000,
        Some(c) => {
          if h.type_of(c).ok() != Some(sys::ValueType::napi_number) {
            return Err(type_error(format!("{what}: code must be a number")));
          }
          let n = h.get_double(c).unwrap_or(f64::NAN);
          // RFC 6455 §7.4: what an endpoint may send.
          let ok = n.fract() == 0.0 && ((1000.0..=1014.0).contains(&n) && !(1004.0..=1006.0).contains(&n) || (3000.0..=4999.0).contains(&n));
          if !ok {
            return Err(ErrorInfo::range_error(format!("{what}: code must be 1000, 1001-1003, 1007-1014 or 3000-4999 (got {n})")));
          }
          n as u16
        }
      };
      let reason = match reason.map(|r| r.raw()).filter(|r| h.type_of(*r).ok() != Some(sys::ValueType::napi_undefined)) {
        None => String::new(),
        Some(r) => {
          if h.type_of(r).ok() != Some(sys::ValueType::napi_string) {
            return Err(type_error(format!("{what}: reason must be a string")));
          }
          h.get_string(r).unwrap_or_default()
        }
      };
      if reason.len() > 123 {
        return Err(ErrorInfo::range_error(format!("{what}: reason must be at most 123 bytes of UTF-8")));
      }
      let conn = registry::server_conn(self.core.id, &id).ok_or_else(|| ErrorInfo::new("Error", format!("{what}: no open WebSocket connection '{id}'")))?;
      let _ = conn.tx.send(WsCmd::Close(code, reason));
      h.undefined().map_err(|_| ErrorInfo::new("Error", format!("{what}: internal error")))
    })();
    settled(env, outcome)
  }

  /// Stops accepting connections, lets requests in flight finish (WebSockets get a 1001 close),
  /// then closes what is left after `timeout` ms (default 10000).
  #[napi(catch_unwind, ts_args_type = "options?: { timeout?: number }", ts_return_type = "Promise<void>")]
  pub fn close<'a>(&self, env: &'a Env, options: Option<Unknown<'a>>) -> Result<PromiseRaw<'a, ()>> {
    let h = unsafe { HEnv::from_raw(env.raw()) };
    let what = "server.close(options)";
    let mut timeout = Duration::from_secs(10);
    if let Some(o) = options.map(|o| o.raw()) {
      match h.type_of(o).ok() {
        Some(sys::ValueType::napi_undefined | sys::ValueType::napi_null) => {}
        Some(sys::ValueType::napi_object) => {
          let t = h.get_named(o, "timeout").map_err(|_| napi::Error::from_reason(format!("{what}: timeout could not be read")));
          if let Ok(t) = t {
            match h.type_of(t).ok() {
              Some(sys::ValueType::napi_undefined) => {}
              Some(sys::ValueType::napi_number) => {
                let n = h.get_double(t).unwrap_or(f64::NAN);
                if !(n.is_finite() && (0.0..=2_147_483_647.0).contains(&n)) {
                  return settled(env, Err(ErrorInfo::range_error(format!("{what}: timeout must be a number of milliseconds from 0 to 2147483647 (got {n})"))));
                }
                timeout = Duration::from_millis(n as u64);
              }
              _ => return settled(env, Err(type_error(format!("{what}: timeout must be a number of milliseconds")))),
            }
          }
        }
        _ => return settled(env, Err(type_error(format!("{what}: options must be an object such as {{ timeout: 5000 }}")))),
      }
    }
    let (mut deferred, promise) = Deferred::new(env.raw(), &self.bridge)?;
    deferred.resolve_on_drop();
    let Some(rt) = crate::net::tokio() else {
      deferred.resolve_undefined();
      return Ok(promise_of(env, promise));
    };
    let core = self.core.clone();
    rt.spawn(async move {
      core.close(timeout).await;
      deferred.resolve_undefined();
    });
    Ok(promise_of(env, promise))
  }

  /// A listening server keeps Node's process alive (the default), like net.Server.
  #[napi(js_name = "ref")]
  pub fn ref_(&self, env: &Env) {
    if let Ok(mut h) = self.hold.lock() {
      h.refd = true;
    }
    self.update_hold(env.raw());
  }

  /// Lets Node's process exit while the server listens.
  #[napi]
  pub fn unref(&self, env: &Env) {
    if let Ok(mut h) = self.hold.lock() {
      h.refd = false;
    }
    self.update_hold(env.raw());
  }

  /// True once the server stopped accepting (close(), or its runtime ended).
  #[napi(getter)]
  pub fn closed(&self) -> bool {
    self.core.is_closed()
  }
}
