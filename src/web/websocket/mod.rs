//! WHATWG `WebSocket` (https://websockets.spec.whatwg.org/). The JS class is in websocket.js; each
//! connection is one of:
//! - native: a tokio task (client.rs) under the runtime's `network` policy;
//! - bridged: a host WebSocket the host's `webSocket` callback returned, driven by the host glue
//!   (src/host/glue.js) through `Host::command` one way and `message()` tasks the other;
//! - blocked: it fails at once.
//!
//! Everything that happens to a connection reaches the isolate as a `message()` task on the
//! runtime's loop, which calls the JS `dispatch` function given to `wsOpen`.

mod client;

use super::{util, Area, Natives};
use crate::limits::{Charge, Pool};
use crate::runtime::{HostOp, Later, Msg, State};
use crate::value::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// Bytes of received messages a runtime's native connections may have on their way to the
/// isolate, all connections together (at most half the memory limit): past it they stop reading
/// (TCP pushes back on the peers) until the isolate catches up. Once delivered, a message is an
/// ArrayBuffer or string counted by the isolate's own limits.
const INCOMING_WINDOW: usize = 16 << 20;

/// Bytes one connection may have queued for sending (what `bufferedAmount` counts): at most
/// `SEND_QUEUE` and at most half the runtime's memory limit. A `send()` past it flags the WebSocket as
/// full and closes the connection, as https://websockets.spec.whatwg.org/#dom-websocket-send
/// says ("if the data cannot be sent, e.g. because it would need to be buffered but the buffer
/// is full, the user agent must flag the WebSocket as full and then close the WebSocket
/// connection"); the script sees `error`, then `close` with code 1006. Queued bytes are also
/// charged to the ArrayBuffer limit (all connections together), with the same outcome when they
/// do not fit.
const SEND_QUEUE: usize = 16 << 20;

/// What `bytes` of received data take of a window of `window` bytes (a larger message takes all of it).
fn credit_of(bytes: usize, window: usize) -> u32 {
  bytes.min(window).min(u32::MAX as usize) as u32
}

/// What the isolate asks of a connection. Data holds its charge of the memory budget (None in
/// tests) until it is written.
#[derive(Debug)]
pub enum Cmd {
  Text(String, Option<Charge>),
  Binary(Vec<u8>, Option<Charge>),
  /// Start the closing handshake.
  Close(Option<u16>, String),
  /// close() while the script saw CONNECTING: fail the connection, whatever its state.
  Abort,
}

enum Route {
  /// The host has not decided yet; what the isolate asks meanwhile waits.
  Pending { url: String, protocols: Vec<String>, origin: Option<String>, queued: Vec<Cmd> },
  Native { tx: tokio::sync::mpsc::UnboundedSender<Cmd>, full: tokio_util::sync::CancellationToken },
  Host,
}

struct Link {
  route: Route,
  /// Bytes sent and not yet written (native) or seen by the host's bridge (bridged).
  unsent: Arc<AtomicUsize>,
  /// The send queue was full: the connection is being closed and takes no more data.
  full: bool,
}

impl Link {
  fn new(route: Route) -> Self {
    Link { route, unsent: Arc::new(AtomicUsize::new(0)), full: false }
  }
}

/// The connections of one runtime (in its `State`). Dropping it drops the senders, which ends
/// every network task: disposing a runtime closes its sockets.
#[derive(Default)]
pub struct Sockets {
  dispatch: Option<v8::Global<v8::Function>>,
  links: HashMap<u64, Link>,
  next: u64,
  /// The incoming window of all native connections (made with the first one).
  credit: Option<(Arc<Semaphore>, usize)>,
}

/// Runs the JS dispatch for one event (a task of the runtime's loop).
/// The loop message that hands `event` of WebSocket `id` to the isolate, as a task.
pub fn message(id: u64, event: Event) -> Msg {
  Msg::Task(Box::new(move |scope| deliver(scope, id, event)))
}

pub fn deliver(scope: &mut v8::PinScope, id: u64, event: Event) {
  let Some(state) = State::get(scope) else { return };
  let dispatch = {
    let mut s = state.borrow_mut();
    let received = match &event {
      Event::Text(t) => t.len(),
      Event::Binary(b) => b.len(),
      _ => 0,
    };
    let native = matches!(s.ext.get_mut::<Sockets>().links.get(&id), Some(Link { route: Route::Native { .. }, .. }));
    if let (true, true, Some((credit, window))) = (native, received > 0, &s.ext.get_mut::<Sockets>().credit) {
      credit.add_permits(credit_of(received, *window) as usize);
    }
    if matches!(event, Event::Close { .. }) {
      s.ext.get_mut::<Sockets>().links.remove(&id);
    }
    s.ext.get_mut::<Sockets>().dispatch.clone()
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
  // The runtime's origin (its `location`), for the handshake's Origin header.
  let origin = args.get(3).is_string().then(|| args.get(3).to_rust_string_lossy(scope));
  let (id, ask_host, host) = {
    let mut s = state.borrow_mut();
    if s.ext.get_mut::<Sockets>().dispatch.is_none() {
      s.ext.get_mut::<Sockets>().dispatch = Some(v8::Global::new(scope, dispatch));
    }
    s.ext.get_mut::<Sockets>().next += 1;
    let id = s.ext.get_mut::<Sockets>().next;
    s.ext.get_mut::<Sockets>().links.insert(id, Link::new(Route::Pending { url: url.clone(), protocols: protocols.clone(), origin, queued: Vec::new() }));
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
  let Some(Link { route: Route::Pending { url, protocols, origin, queued }, unsent, full }) = s.ext.get_mut::<Sockets>().links.remove(&id) else { return };
  let tx = s.tx.clone();
  let emit = |event: Event| {
    let _ = tx.send(message(id, event));
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
      // An open WebSocket holds one of the runtime's maxConnections until its task ends.
      let Ok(slot) = policy.connection_slot() else { return emit(Event::failed("")) };
      // A message larger than the runtime's memory could never be delivered.
      let max_message = s.shared.budget.limit_bytes;
      let (credit, window) = s.ext.get_mut::<Sockets>().credit.get_or_insert_with(|| {
        let window = INCOMING_WINDOW.min(max_message / 2).max(1);
        (Arc::new(Semaphore::new(window)), window)
      });
      let cancel = tokio_util::sync::CancellationToken::new();
      if full {
        cancel.cancel();
      }
      let tx: Box<dyn Fn(u64, Event) + Send + Sync> = Box::new(move |id, event| {
        let _ = tx.send(message(id, event));
      });
      let conn = client::Conn { id, url, protocols, origin, policy, tx, credit: credit.clone(), window: *window, max_message, unsent: unsent.clone(), full: cancel.clone() };
      s.ext.get_mut::<Sockets>().links.insert(id, Link { route: Route::Native { tx: cmd_tx, full: cancel }, unsent, full });
      rt.spawn(async move {
        client::run(conn, cmd_rx).await;
        drop(slot);
      });
    }
    "bridged" => {
      s.ext.get_mut::<Sockets>().links.insert(id, Link { route: Route::Host, unsent: unsent.clone(), full });
      let host = s.host.clone();
      drop(s);
      for c in queued {
        to_host(&*host, id, c, &unsent);
      }
    }
    _ => emit(Event::failed(BLOCKED)),
  }
}

/// Hands `cmd` to the host glue's bridge of socket `id`; sent data stays counted in `unsent`
/// (and charged) until the host's bridge has taken it.
fn to_host(host: &dyn crate::runtime::Host, id: u64, cmd: Cmd, unsent: &Arc<AtomicUsize>) {
  let (value, size, charge) = host_command(id, cmd);
  if size == 0 && charge.is_none() {
    return host.command(value);
  }
  let unsent = unsent.clone();
  host.command_then(
    value,
    Box::new(move || {
      let _ = unsent.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| Some(v.saturating_sub(size)));
      drop(charge);
    }),
  );
}

/// A command for the host glue's bridge of socket `id`, the bytes of data it sends, and their charge.
fn host_command(id: u64, cmd: Cmd) -> (Value, usize, Option<Charge>) {
  let mut fields = vec![("webSocket".to_string(), Value::Number(id as f64))];
  let mut sent = (0, None);
  match cmd {
    Cmd::Text(t, charge) => {
      sent = (t.len(), charge);
      fields.extend([("type".into(), Value::String("send".into())), ("data".into(), Value::String(t))])
    }
    Cmd::Binary(b, charge) => {
      sent = (b.len(), charge);
      fields.extend([("type".into(), Value::String("send".into())), ("data".into(), Value::ArrayBuffer(b))])
    }
    Cmd::Abort => fields.push(("type".into(), Value::String("abort".into()))),
    Cmd::Close(code, reason) => {
      fields.push(("type".into(), Value::String("close".into())));
      if let Some(code) = code {
        fields.push(("code".into(), Value::Number(code as f64)));
      }
      fields.push(("reason".into(), Value::String(reason)));
    }
  }
  (Value::Object(fields), sent.0, sent.1)
}

fn route(state: &StateRef, id: u64, cmd: Cmd) {
  let mut s = state.borrow_mut();
  let Some(link) = s.ext.get_mut::<Sockets>().links.get_mut(&id) else { return };
  match &mut link.route {
    Route::Pending { queued, .. } => queued.push(cmd),
    // A task that ended already reported its close.
    Route::Native { tx, .. } => {
      let _ = tx.send(cmd);
    }
    Route::Host => {
      let unsent = link.unsent.clone();
      let host = s.host.clone();
      drop(s);
      to_host(&*host, id, cmd, &unsent);
    }
  }
}

/// `wsSend(id, data) → bytes`: data is a string (a text frame) or bytes (a binary frame).
/// Returns the data's size in bytes (UTF-8 for strings), which the script adds to
/// `bufferedAmount` whether or not the data could be queued (see `SEND_QUEUE`).
fn ws_send<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let id = id_arg(scope, args.get(0));
  let data = args.get(1);
  // The size first: data that cannot be queued is never copied.
  let size = if let Ok(text) = v8::Local::<v8::String>::try_from(data) {
    text.utf8_length(scope)
  } else if let Some(n) = util::with_bytes(data, |b| b.len()) {
    n
  } else {
    return util::throw_type_error(scope, "WebSocket data must be a string or bytes");
  };
  rv.set(v8::Number::new(scope, size as f64).into());
  let (unsent, full, cap) = {
    let s = state.borrow();
    let Some(link) = s.ext.get::<Sockets>().and_then(|w| w.links.get(&id)) else { return };
    (link.unsent.clone(), link.full, SEND_QUEUE.min(s.shared.budget.limit_bytes / 2))
  };
  if full {
    return;
  }
  let fits = unsent.load(Ordering::Acquire).saturating_add(size) <= cap;
  let charge = if fits { util::charge_or_collect(scope, Pool::ArrayBuffers, size) } else { None };
  let Some(charge) = charge else {
    // Full: the connection fails (error, then close 1006) and takes no more data. A native
    // connection is failed at once (its writer may be stuck on a peer that does not read); the
    // others get an abort after what they have queued.
    let mut s = state.borrow_mut();
    let Some(link) = s.ext.get_mut::<Sockets>().links.get_mut(&id) else { return };
    link.full = true;
    if let Route::Native { full, .. } = &link.route {
      return full.cancel();
    }
    drop(s);
    return route(&state, id, Cmd::Abort);
  };
  let cmd = if data.is_string() {
    Cmd::Text(data.to_rust_string_lossy(scope), Some(charge))
  } else {
    Cmd::Binary(util::copy_bytes(data).unwrap_or_default(), Some(charge))
  };
  unsent.fetch_add(size, Ordering::AcqRel);
  route(&state, id, cmd);
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
