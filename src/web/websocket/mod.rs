//! WHATWG `WebSocket` (https://websockets.spec.whatwg.org/). The JS class is in websocket.js; each
//! connection is one of:
//! - native: a tokio task (client.rs) under the runtime's `network` policy;
//! - bridged: a host WebSocket the host's `webSocket` callback returned, driven by the host glue
//!   (src/host/glue.js) through `Host::command` one way and `Msg::WebSocket` the other;
//! - blocked: it fails at once.
//!
//! Everything that happens to a connection reaches the isolate as a `Msg::WebSocket` task on the
//! runtime's loop, which calls the JS `dispatch` function given to `wsOpen`.

mod client;

use super::{util, Area, Natives};
use crate::runtime::{HostOp, Later, Msg, State};
use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use v8::MapFnTo;

type StateRef = std::rc::Rc<std::cell::RefCell<State>>;

pub const AREA: Area = Area { name: "websocket", js: include_str!("websocket.js"), natives };

fn natives() -> Natives {
  vec![
    ("wsOpen", ws_open.map_fn_to()),
    ("wsDecide", ws_decide.map_fn_to()),
    ("wsSend", ws_send.map_fn_to()),
    ("wsClose", ws_close.map_fn_to()),
  ]
}

/// What happened to a connection, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
  Open { protocol: String, extensions: String },
  Text(String),
  Binary(Vec<u8>),
  /// This many bytes of queued data were written (bufferedAmount goes down).
  Sent(u64),
  /// The peer started the closing handshake.
  Closing,
  /// The connection is closed; `failed`: it was failed, so an `error` event comes first.
  Close { code: u16, reason: String, clean: bool, failed: bool },
}

impl Event {
  /// The close of a connection that failed (https://websockets.spec.whatwg.org/#fail-the-websocket-connection).
  pub fn failed(reason: &str) -> Self {
    Event::Close { code: 1006, reason: reason.into(), clean: false, failed: true }
  }
}

/// The reason of the close event of a connection the host or the policy refused.
pub const BLOCKED: &str = "Connection blocked";

/// Bytes of received messages a native connection may have on their way to the isolate; past
/// it the connection stops reading (TCP pushes back on the peer) until the isolate catches up.
const INCOMING_WINDOW: usize = 16 << 20;

/// What `bytes` of received data take of the window (a larger message takes all of it).
fn credit_of(bytes: usize) -> u32 {
  bytes.min(INCOMING_WINDOW) as u32
}

/// What the isolate asks of a connection.
#[derive(Debug)]
pub enum Cmd {
  Text(String),
  Binary(Vec<u8>),
  /// Start the closing handshake.
  Close(Option<u16>, String),
  /// close() while the script saw CONNECTING: fail the connection, whatever its state.
  Abort,
}

enum Link {
  /// The host has not decided yet; what the isolate asks meanwhile waits.
  Pending { url: String, protocols: Vec<String>, queued: Vec<Cmd> },
  Native { tx: tokio::sync::mpsc::UnboundedSender<Cmd>, credit: Arc<Semaphore> },
  Host,
}

/// The connections of one runtime (in its `State`). Dropping it drops the senders, which ends
/// every network task: disposing a runtime closes its sockets.
#[derive(Default)]
pub struct Sockets {
  dispatch: Option<v8::Global<v8::Function>>,
  links: HashMap<u64, Link>,
  next: u64,
}

/// Runs the JS dispatch for one event (a task of the runtime's loop).
pub fn deliver(scope: &mut v8::PinScope, id: u64, event: Event) {
  let Some(state) = State::get(scope) else { return };
  let dispatch = {
    let mut s = state.borrow_mut();
    let received = match &event {
      Event::Text(t) => t.len(),
      Event::Binary(b) => b.len(),
      _ => 0,
    };
    match s.web_sockets.links.get(&id) {
      Some(Link::Native { credit, .. }) if received > 0 => credit.add_permits(credit_of(received) as usize),
      _ => {}
    }
    if matches!(event, Event::Close { .. }) {
      s.web_sockets.links.remove(&id);
    }
    s.web_sockets.dispatch.clone()
  };
  let Some(dispatch) = dispatch else { return };
  v8::tc_scope!(let tc, scope);
  let undefined: v8::Local<v8::Value> = v8::undefined(tc).into();
  let (kind, a, b, c) = match event {
    Event::Open { protocol, extensions } => (0.0, string(tc, &protocol), string(tc, &extensions), Some(undefined)),
    Event::Text(t) => (1.0, string(tc, &t), Some(undefined), Some(undefined)),
    Event::Binary(bytes) => (2.0, util::array_buffer(tc, bytes).map(Into::into), Some(undefined), Some(undefined)),
    Event::Sent(n) => (3.0, Some(number(tc, n as f64)), Some(undefined), Some(undefined)),
    Event::Closing => (4.0, Some(undefined), Some(undefined), Some(undefined)),
    Event::Close { code, reason, clean, failed } => {
      let flags = (clean as u8 | (failed as u8) << 1) as f64;
      (5.0, Some(number(tc, code as f64)), string(tc, &reason), Some(number(tc, flags)))
    }
  };
  let (Some(a), Some(b), Some(c)) = (a, b, c) else { return };
  let f = v8::Local::new(tc, &dispatch);
  let argv = [number(tc, id as f64), number(tc, kind), a, b, c];
  // The JS side reports listener errors itself; what still throws here is termination.
  let _ = f.call(tc, undefined, &argv);
}

fn number<'s>(scope: &mut v8::PinScope<'s, '_>, n: f64) -> v8::Local<'s, v8::Value> {
  v8::Number::new(scope, n).into()
}

fn string<'s>(scope: &mut v8::PinScope<'s, '_>, s: &str) -> Option<v8::Local<'s, v8::Value>> {
  v8::String::new(scope, s).map(Into::into)
}

fn id_arg(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> u64 {
  v.integer_value(scope).unwrap_or(0).max(0) as u64
}

/// `wsOpen(url, protocols, dispatch) → [id, decision]`: registers a connection. `decision` is a
/// promise of the host callback's verdict for `wsDecide`, or undefined when there is no callback
/// (then the `network` option decides at once).
fn ws_open<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let url = args.get(0).to_rust_string_lossy(scope);
  let mut protocols = Vec::new();
  if let Ok(list) = v8::Local::<v8::Array>::try_from(args.get(1)) {
    for i in 0..list.length() {
      if let Some(p) = list.get_index(scope, i) {
        protocols.push(p.to_rust_string_lossy(scope));
      }
    }
  }
  let Ok(dispatch) = v8::Local::<v8::Function>::try_from(args.get(2)) else {
    return util::throw_type_error(scope, "wsOpen needs a dispatch function");
  };
  let (id, ask_host, host) = {
    let mut s = state.borrow_mut();
    if s.web_sockets.dispatch.is_none() {
      s.web_sockets.dispatch = Some(v8::Global::new(scope, dispatch));
    }
    s.web_sockets.next += 1;
    let id = s.web_sockets.next;
    s.web_sockets.links.insert(id, Link::Pending { url: url.clone(), protocols: protocols.clone(), queued: Vec::new() });
    (id, s.config.has_web_socket, s.host.clone())
  };
  let decision: v8::Local<v8::Value> = if ask_host {
    let Some((promise, later)) = Later::new(scope) else { return };
    later.call_host(&*host, HostOp::WebSocket { id, url, protocols });
    promise.into()
  } else {
    let native = state.borrow().config.network.is_some();
    decide(&state, id, if native { "native" } else { "blocked" });
    v8::undefined(scope).into()
  };
  let id = v8::Number::new(scope, id as f64).into();
  rv.set(v8::Array::new_with_elements(scope, &[id, decision]).into());
}

/// `wsDecide(id, 'native' | 'bridged' | anything else: blocked)`.
fn ws_decide<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let id = id_arg(scope, args.get(0));
  let decision = args.get(1).to_rust_string_lossy(scope);
  decide(&state, id, &decision);
}

fn decide(state: &StateRef, id: u64, decision: &str) {
  let mut s = state.borrow_mut();
  let Some(Link::Pending { url, protocols, queued }) = s.web_sockets.links.remove(&id) else { return };
  let tx = s.tx.clone();
  let emit = |event: Event| {
    let _ = tx.send(Msg::WebSocket { id, event });
  };
  let closed_early = queued.iter().any(|c| matches!(c, Cmd::Abort));
  match decision {
    "native" if closed_early => emit(Event::failed("")),
    "native" => {
      let Some(rt) = crate::net::tokio() else { return emit(Event::failed("")) };
      let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
      for c in queued {
        let _ = cmd_tx.send(c);
      }
      let policy = s.config.network.clone().unwrap_or_default();
      let credit = Arc::new(Semaphore::new(INCOMING_WINDOW));
      // A message larger than the runtime's memory could never be delivered.
      let max_message = (s.shared.memory_limit_mb * 1024.0 * 1024.0) as usize;
      s.web_sockets.links.insert(id, Link::Native { tx: cmd_tx, credit: credit.clone() });
      let tx: Box<dyn Fn(Msg) + Send + Sync> = Box::new(move |m| {
        let _ = tx.send(m);
      });
      rt.spawn(client::run(client::Conn { id, url, protocols, policy, tx, credit, max_message }, cmd_rx));
    }
    "bridged" => {
      s.web_sockets.links.insert(id, Link::Host);
      let host = s.host.clone();
      drop(s);
      for c in queued {
        host.command(host_command(id, c));
      }
    }
    _ => emit(Event::failed(BLOCKED)),
  }
}

/// A command for the host glue's bridge of socket `id`.
fn host_command(id: u64, cmd: Cmd) -> Value {
  let mut fields = vec![("webSocket".to_string(), Value::Number(id as f64))];
  match cmd {
    Cmd::Text(t) => fields.extend([("type".into(), Value::String("send".into())), ("data".into(), Value::String(t))]),
    Cmd::Binary(b) => fields.extend([("type".into(), Value::String("send".into())), ("data".into(), Value::ArrayBuffer(b))]),
    Cmd::Abort => fields.push(("type".into(), Value::String("abort".into()))),
    Cmd::Close(code, reason) => {
      fields.push(("type".into(), Value::String("close".into())));
      if let Some(code) = code {
        fields.push(("code".into(), Value::Number(code as f64)));
      }
      fields.push(("reason".into(), Value::String(reason)));
    }
  }
  Value::Object(fields)
}

fn route(state: &StateRef, id: u64, cmd: Cmd) {
  let mut s = state.borrow_mut();
  match s.web_sockets.links.get_mut(&id) {
    Some(Link::Pending { queued, .. }) => queued.push(cmd),
    // A task that ended already reported its close.
    Some(Link::Native { tx, .. }) => {
      let _ = tx.send(cmd);
    }
    Some(Link::Host) => {
      let host = s.host.clone();
      drop(s);
      host.command(host_command(id, cmd));
    }
    None => {}
  }
}

/// `wsSend(id, data) → bytes`: data is a string (a text frame) or bytes (a binary frame).
fn ws_send<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let id = id_arg(scope, args.get(0));
  let data = args.get(1);
  let cmd = if data.is_string() {
    Cmd::Text(data.to_rust_string_lossy(scope))
  } else if let Some(bytes) = util::copy_bytes(data) {
    Cmd::Binary(bytes)
  } else {
    return util::throw_type_error(scope, "WebSocket data must be a string or bytes");
  };
  let size = match &cmd {
    Cmd::Text(t) => t.len(),
    Cmd::Binary(b) => b.len(),
    Cmd::Close(..) | Cmd::Abort => 0,
  };
  route(&state, id, cmd);
  rv.set(v8::Number::new(scope, size as f64).into());
}

/// `wsClose(id, code, reason)`: code -1 for none (a close frame without a status code), -2 to
/// abort (close() while connecting).
fn ws_close<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let id = id_arg(scope, args.get(0));
  let code = args.get(1).integer_value(scope).unwrap_or(-1);
  let cmd = if code == -2 {
    Cmd::Abort
  } else {
    Cmd::Close(u16::try_from(code).ok(), args.get(2).to_rust_string_lossy(scope))
  };
  route(&state, id, cmd);
}
