//! Raw TCP sockets: `connect()` of the `cloudflare:sockets` API
//! (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/), importable as
//! `edge-isolate:sockets` or `cloudflare:sockets`. The JS `Socket` is in sockets.js; each
//! connection is one of:
//! - native: a tokio task (client.rs) under the runtime's `network` policy;
//! - bridged: a duplex the host's `onConnect` returned (a `net.Socket`, a `tls.TLSSocket` or
//!   `{ readable, writable }`), driven by the host glue (src/host/glue.js) through glue calls
//!   sockets.js makes itself: this module only holds its place under `maxConnections`.
//!
//! A native socket's task is polled on the runtime's own loop (`Local`, the executor of the
//! native server, src/net/local.rs), not on tokio's threads, and a connected plain stream's
//! readiness comes from the pool's reactor: the read, the write and the delivery to the script
//! happen on the worker running the runtime, with no hop between threads per chunk. Events reach the isolate
//! through the runtime's `Outbox`: one `Msg::Task` for every event queued meanwhile, which calls
//! the JS `dispatch` given to `sockOpen` once per event. Per-isolate state lives in an isolate
//! slot, made on first use and touched only under the isolate's lock; dropping it (the isolate's
//! end) drops every command sender, which ends every socket's task (then polled by tokio).

mod buffers;
mod client;

use super::{util, Area, Natives};
use crate::limits::{Charge, Pool};
use crate::net::policy::ConnectionSlot;
use crate::runtime::{Later, Mailbox, Msg, State};
use crate::net::local::Local;
use crate::value::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Semaphore;
use v8::MapFnTo;

pub const AREA: Area = Area { name: "sockets", js: include_str!("sockets.js"), natives };

fn natives() -> Natives {
  vec![
    ("sockExports", exports.map_fn_to()),
    ("sockOpen", open.map_fn_to()),
    ("sockDecide", decide.map_fn_to()),
    ("sockWrite", write.map_fn_to()),
    ("sockShutdown", shutdown.map_fn_to()),
    ("sockClose", close.map_fn_to()),
    ("sockAck", ack.map_fn_to()),
    ("sockStartTls", start_tls.map_fn_to()),
    ("sockForget", forget.map_fn_to()),
  ]
}

/// The built-in module specifiers of this area, resolved before the host's `moduleLoader`; both
/// name one module (registered under the first).
pub const MODULE_NAMES: [&str; 2] = ["edge-isolate:sockets", "cloudflare:sockets"];
/// What the module exports (sockets.js hands them to `sockExports`).
const EXPORTS: [&str; 3] = ["connect", "SocketError", "default"];
/// The global's private key of the exports object.
const EXPORTS_KEY: &str = "edge-isolate:sockets exports";

/// Bytes read from a native socket that may be on their way to the script (in the mailbox or
/// waiting in the JS socket for a read); past it the socket stops reading (TCP pushes back on
/// the peer) until the script consumes.
const INCOMING_WINDOW: usize = 4 << 20;
/// Bytes a socket may have queued for writing (copied, charged to the runtime's memory) while
/// the script's writes still settle at once, as Node's `socket.write()` accepts while the kernel
/// is busy: the script runs ahead instead of waiting for the network, per chunk, to take each
/// one. Past it, a write's promise settles once its bytes are handed to the socket.
const WRITE_AHEAD: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Secure {
  Off,
  On,
  StartTls,
}

/// Why a socket failed: `code` for the script's SocketError, and a message saying why.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
  pub code: &'static str,
  pub message: String,
}

impl Failure {
  pub fn new(code: &'static str, message: impl Into<String>) -> Self {
    Self { code, message: message.into() }
  }

  /// The policy refused the destination; the message starts as workerd's does.
  pub fn refused(reason: String) -> Self {
    Self::new("ERR_POLICY", format!("proxy request failed, cannot connect to the specified address ({reason})"))
  }

  pub fn closed() -> Self {
    Self::new("ERR_CLOSED", "the socket is closed")
  }

  /// `[code, message]`, as the JS side turns it into a SocketError.
  pub fn value(&self) -> Value {
    Value::Array(vec![Value::String(self.code.into()), Value::String(self.message.clone())])
  }
}

/// What happened to a socket, in order.
pub enum Event {
  /// `direct`: a plain-TCP socket's stream, for writes made on the isolate's thread.
  Opened { remote: String, local: String, direct: Option<Arc<client::Direct>> },
  /// Bytes read, charged to the runtime's memory until the script's ArrayBuffer over them is
  /// collected.
  Data(buffers::Chunk),
  /// The peer ended its side.
  Eof,
  /// Both sides are done.
  Closed,
  Error(Failure),
  /// A read waits for memory: the isolate collects garbage (chunks the script dropped).
  Collect,
}

/// What the isolate asks of a native socket, in order.
pub enum Cmd {
  /// Bytes to write, charged until written; the promise the script waits on, if it waits (a
  /// write within WRITE_AHEAD was settled at once).
  Write(Vec<u8>, Charge, Option<Later>),
  /// Ends our side (TCP FIN; a TLS close_notify first) once the writes before it are out.
  Shutdown(Later),
  /// Switches the connection to TLS; from then on its events carry `id`.
  StartTls {
    id: u64,
    hostname: String,
    credit: Arc<Semaphore>,
  },
  Close,
}

enum Link {
  /// The host's `onConnect` has not decided yet.
  Pending {
    host: String,
    port: u16,
    secure: Secure,
    slot: Option<ConnectionSlot>,
  },
  /// Holds the socket's place under maxConnections until it is closed (or forgotten with the
  /// isolate), so a script that awaited close() can connect again at once.
  Native {
    cmds: UnboundedSender<Cmd>,
    credit: Arc<Semaphore>,
    direct: Option<Arc<client::Direct>>,
    /// Bytes queued to the task and not written yet.
    queued: Arc<AtomicUsize>,
    _slot: Option<ConnectionSlot>,
  },
  /// A host duplex (sockets.js drives it through the glue) or a socket that failed at once.
  Other {
    _slot: Option<ConnectionSlot>,
  },
}

#[derive(Default)]
struct Sockets {
  dispatch: Option<v8::Global<v8::Function>>,
  /// Polls the native sockets' tasks on the runtime's loop; made with the first one.
  local: Option<Arc<Local>>,
  outbox: Option<Arc<Outbox>>,
  buffers: Arc<buffers::Buffers>,
  links: HashMap<u64, Link>,
  next: u64,
  /// Without `network` (only `onConnect`), sockets still count against the default
  /// maxConnections, here.
  fallback: crate::net::policy::NetworkOptions,
}

type SocketsRef = Rc<RefCell<Sockets>>;

fn sockets(scope: &mut v8::PinScope) -> SocketsRef {
  if let Some(s) = scope.get_slot::<SocketsRef>() {
    return s.clone();
  }
  let s: SocketsRef = Rc::new(RefCell::new(Sockets { next: 1, ..Default::default() }));
  scope.set_slot(s.clone());
  s
}

/// Hands an event of socket `id` to the isolate, as a task on its loop.
pub fn emit(mailbox: &Mailbox, id: u64, event: Event) {
  let _ = mailbox.send(Msg::Task(Box::new(move |scope| deliver(scope, id, event))));
}

/// The native sockets' events on their way to the isolate, in order. What the sockets' tasks
/// emit while the runtime's loop polls them is delivered right after that poll, in the same
/// message (`Local`'s hook); otherwise the first event queued posts one task that delivers
/// every event queued by the time it runs: a burst of chunks costs one message, not one each.
pub struct Outbox {
  mailbox: Mailbox,
  queue: Mutex<Vec<(u64, Event)>>,
  /// The loop is polling the tasks: what they emit waits for the hook.
  held: std::sync::atomic::AtomicBool,
}

impl Outbox {
  fn new(mailbox: Mailbox) -> Arc<Self> {
    Arc::new(Self { mailbox, queue: Mutex::new(Vec::new()), held: Default::default() })
  }

  /// The hook of the sockets' `Local`: runs the tasks, then delivers what they emitted.
  fn hook(self: &Arc<Self>) -> crate::net::local::Hook {
    let me = self.clone();
    Box::new(move |scope, run| {
      me.held.store(true, Ordering::Release);
      run();
      me.held.store(false, Ordering::Release);
      me.deliver_all(scope);
    })
  }

  pub fn emit(self: &Arc<Self>, id: u64, event: Event) {
    let first = match self.queue.lock() {
      Ok(mut q) => {
        q.push((id, event));
        q.len() == 1 && !self.held.load(Ordering::Acquire)
      }
      Err(_) => return,
    };
    if first {
      let me = self.clone();
      // Refused (the runtime is gone): the events stay queued and go with the outbox.
      let _ = self.mailbox.send(Msg::Task(Box::new(move |scope| me.deliver_all(scope))));
    }
  }

  fn deliver_all(&self, scope: &mut v8::PinScope) {
    let events = match self.queue.lock() {
      Ok(mut q) => std::mem::take(&mut *q),
      Err(_) => return,
    };
    for (id, event) in events {
      deliver(scope, id, event);
    }
  }
}

/// Runs the JS dispatch for one event: `dispatch(id, kind, a, b)` with kind 0 opened (remote,
/// local), 1 data (Uint8Array), 2 end of input, 3 closed, 4 error (code, message).
fn deliver(scope: &mut v8::PinScope, id: u64, event: Event) {
  if let Event::Collect = event {
    return scope.low_memory_notification();
  }
  let socks = sockets(scope);
  // A Local made from the Global where it is kept (a clone would make and free a global handle
  // per event).
  let dispatch = {
    let mut s = socks.borrow_mut();
    if matches!(event, Event::Closed | Event::Error(_)) {
      s.links.remove(&id);
    }
    if let (Event::Opened { direct: d @ Some(_), .. }, Some(Link::Native { direct, .. })) = (&event, s.links.get_mut(&id)) {
      *direct = d.clone();
    }
    s.dispatch.as_ref().map(|g| v8::Local::new(scope, g))
  };
  let Some(dispatch) = dispatch else { return };
  v8::tc_scope!(let tc, scope);
  let undefined: v8::Local<v8::Value> = v8::undefined(tc).into();
  let (kind, a, b) = match event {
    Event::Opened { remote, local, .. } => (0, str(tc, &remote), str(tc, &local)),
    Event::Data(chunk) => (1, buffers::uint8_array(tc, chunk).map(Into::into), Some(undefined)),
    Event::Eof => (2, Some(undefined), Some(undefined)),
    Event::Closed => (3, Some(undefined), Some(undefined)),
    Event::Error(f) => (4, str(tc, f.code), str(tc, &f.message)),
    Event::Collect => return,
  };
  let (Some(a), Some(b)) = (a, b) else { return };
  let argv = [v8::Number::new(tc, id as f64).into(), v8::Integer::new(tc, kind).into(), a, b];
  // The JS side handles its own errors; what still throws here is termination.
  let _ = dispatch.call(tc, undefined, &argv);
}

fn str<'s>(scope: &mut v8::PinScope<'s, '_>, s: &str) -> Option<v8::Local<'s, v8::Value>> {
  v8::String::new(scope, s).map(Into::into)
}

fn id_arg(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> u64 {
  v.integer_value(scope).unwrap_or(0).max(0) as u64
}

/// `sockExports(exports)`: at install (into the snapshot), keeps the module's exports where the
/// synthetic module's evaluation finds them and scripts cannot: a private key of the global.
fn exports<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let Ok(obj) = v8::Local::<v8::Object>::try_from(args.get(0)) else {
    return;
  };
  let context = scope.get_current_context();
  let global = context.global(scope);
  let Some(name) = v8::String::new(scope, EXPORTS_KEY) else {
    return;
  };
  let key = v8::Private::for_api(scope, Some(name));
  let _ = global.set_private(scope, key, obj.into());
}

/// The module of `specifier` if it is one of ours: a synthetic module exporting `connect`,
/// `SocketError` and `default` (an object with both).
pub const MODULE: super::BuiltinModule = super::BuiltinModule { names: &MODULE_NAMES, make: builtin_module };

fn builtin_module<'s>(scope: &mut v8::PinScope<'s, '_>) -> Option<v8::Local<'s, v8::Module>> {
  let name = v8::String::new(scope, MODULE_NAMES[0])?;
  let mut names = Vec::new();
  for e in EXPORTS {
    names.push(v8::String::new(scope, e)?);
  }
  Some(v8::Module::create_synthetic_module(scope, name, &names, evaluate_module))
}

fn evaluate_module<'s>(context: v8::Local<'s, v8::Context>, module: v8::Local<'s, v8::Module>) -> Option<v8::Local<'s, v8::Value>> {
  v8::callback_scope!(unsafe scope, context);
  let global = context.global(scope);
  let name = v8::String::new(scope, EXPORTS_KEY)?;
  let key = v8::Private::for_api(scope, Some(name));
  let obj = global.get_private(scope, key).and_then(|v| v8::Local::<v8::Object>::try_from(v).ok())?;
  for e in EXPORTS {
    let k = v8::String::new(scope, e)?;
    let v = obj.get(scope, k.into())?;
    module.set_synthetic_module_export(scope, k, v)?;
  }
  Some(v8::undefined(scope).into())
}

/// A host as the script gave it → its canonical form (IDNA, IPv4 shorthand, IPv6 compression;
/// an IPv6 literal in brackets), or None. Follows workerd's check first: at most 255 characters
/// of letters, digits, '-', '.', '_', and ':', '[', ']' for IPv6.
fn canonical_host(host: &str) -> Option<String> {
  let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '[' | ']');
  if host.is_empty() || host.len() > 255 || !host.chars().all(ok) {
    return None;
  }
  // A bare IPv6 literal ({ hostname: '::1' }).
  let bracketed;
  let host = if host.contains(':') && !host.starts_with('[') {
    bracketed = format!("[{host}]");
    &bracketed
  } else {
    host
  };
  let parsed = url::Host::parse(host).ok()?;
  Some(parsed.to_string())
}

/// `sockOpen(hostname, port, secure, dispatch) → [id, askHost]`: registers a socket. `secure`:
/// 0 off, 1 on, 2 starttls. With the host's `onConnect` (askHost true) the script's side asks it
/// and answers with `sockDecide`; else the native client starts now, under `network`. Throws a
/// TypeError for a host or port that is not one, or when the runtime has no way out.
fn open<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else {
    return;
  };
  let raw_host = args.get(0).to_rust_string_lossy(scope);
  let Some(host) = canonical_host(&raw_host) else {
    return util::throw_type_error(scope, "Specified address is empty string, contains unsupported characters or is too long.");
  };
  let port = args.get(1).number_value(scope).unwrap_or(f64::NAN);
  if !(1.0..=65535.0).contains(&port) || port.fract() != 0.0 {
    return util::throw_range_error(scope, &format!("Specified address has an invalid port: {port} (a port is an integer from 1 to 65535)"));
  }
  let port = port as u16;
  let secure = match args.get(2).int32_value(scope) {
    Some(1) => Secure::On,
    Some(2) => Secure::StartTls,
    _ => Secure::Off,
  };
  let Ok(dispatch) = v8::Local::<v8::Function>::try_from(args.get(3)) else {
    return util::throw_type_error(scope, "sockOpen needs a dispatch function");
  };
  let (ask_host, network, mailbox) = {
    let s = state.borrow();
    (s.config.has_on_connect, s.config.network.clone(), s.tx.clone())
  };
  if !ask_host && network.is_none() {
    return util::throw_type_error(scope, "network access is disabled: pass onConnect or network to createRuntime");
  }
  let socks = sockets(scope);
  let id = {
    let mut s = socks.borrow_mut();
    if s.dispatch.is_none() {
      s.dispatch = Some(v8::Global::new(scope, dispatch));
    }
    let id = s.next;
    s.next += 1;
    id
  };
  let slot = match &network {
    Some(n) => n.connection_slot(),
    None => socks.borrow().fallback.connection_slot(),
  }
  .map(Some);
  match slot {
    Err(e) => {
      socks.borrow_mut().links.insert(id, Link::Other { _slot: None });
      emit(&mailbox, id, Event::Error(Failure::new("ERR_LIMIT", e)));
    }
    Ok(slot) if ask_host => {
      socks.borrow_mut().links.insert(id, Link::Pending { host: host.clone(), port, secure, slot });
    }
    Ok(slot) => start_native(scope, &socks, id, host.clone(), port, secure, slot),
  }
  let result = [
    v8::Number::new(scope, id as f64).into(),
    v8::Boolean::new(scope, ask_host).into(),
    v8::String::new(scope, &host).map(Into::into).unwrap_or_else(|| v8::undefined(scope).into()),
  ];
  rv.set(v8::Array::new_with_elements(scope, &result).into());
}

fn start_native(scope: &mut v8::PinScope, socks: &SocketsRef, id: u64, host: String, port: u16, secure: Secure, slot: Option<ConnectionSlot>) {
  let Some(state) = State::get(scope) else {
    return;
  };
  let (policy, mailbox, budget) = {
    let s = state.borrow();
    (s.config.network.clone().unwrap_or_default(), s.tx.clone(), s.shared.budget.clone())
  };
  if crate::net::tokio().is_none() {
    socks.borrow_mut().links.insert(id, Link::Other { _slot: None });
    return emit(&mailbox, id, Event::Error(Failure::new("ERR_CONNECT", "the network runtime could not start")));
  }
  let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
  let credit = Arc::new(Semaphore::new(INCOMING_WINDOW));
  let queued = Arc::new(AtomicUsize::new(0));
  let (local, outbox, buffers) = {
    let mut s = socks.borrow_mut();
    s.links.insert(id, Link::Native { cmds: tx, credit: credit.clone(), direct: None, queued: queued.clone(), _slot: slot });
    let outbox = s.outbox.get_or_insert_with(|| Outbox::new(mailbox.clone())).clone();
    let local = s.local.get_or_insert_with(|| Local::with_hook(mailbox, outbox.hook())).clone();
    (local, outbox, s.buffers.clone())
  };
  let emit: Box<dyn Fn(u64, Event) + Send + Sync> = Box::new(move |id, event| outbox.emit(id, event));
  let conn = client::Conn { id, host, port, secure, policy, emit, credit, window: INCOMING_WINDOW, budget, buffers, queued };
  // The task keeps the executor alive until it ends: once the isolate is gone (its command
  // sender dropped) tokio polls it to its end, which closes the socket.
  let keep = local.clone();
  local.spawn(async move {
    client::run(conn, rx).await;
    drop(keep);
  });
}

/// `sockDecide(id, verdict)`: the host's `onConnect` answered: 'native' (connect under
/// `network`), 'bridged' (its duplex is driven by the glue), anything else refuses.
fn decide<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let verdict = args.get(1).to_rust_string_lossy(scope);
  let socks = sockets(scope);
  let Some(Link::Pending { host, port, secure, slot }) = socks.borrow_mut().links.remove(&id) else {
    return;
  };
  match verdict.as_str() {
    "native" => start_native(scope, &socks, id, host, port, secure, slot),
    "bridged" => {
      socks.borrow_mut().links.insert(id, Link::Other { _slot: slot });
    }
    _ => {}
  }
}

/// A native socket's command sender, direct stream and count of bytes queued.
type NativeLink = (UnboundedSender<Cmd>, Option<Arc<client::Direct>>, Arc<AtomicUsize>);

/// The native socket `id`, or None.
fn native(scope: &mut v8::PinScope, id: u64) -> Option<NativeLink> {
  match sockets(scope).borrow().links.get(&id) {
    Some(Link::Native { cmds, direct, queued, .. }) => Some((cmds.clone(), direct.clone(), queued.clone())),
    _ => None,
  }
}

/// `sockWrite(id, bytes) → undefined | Promise`: undefined when the kernel took every byte at
/// once (a plain-TCP socket with no write queued: written right here, no copy), or when what is
/// left fits within WRITE_AHEAD of queued bytes; else a promise that settles once the rest is
/// handed to the socket (rejects with [code, message]). Bytes that wait are copied and charged to
/// the runtime's memory until written; a queued write that fails fails the socket.
fn write<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let data = args.get(1);
  let socks = sockets(scope);
  // The bytes go out at once if the kernel takes them all: then nothing is cloned or queued.
  let direct = match socks.borrow().links.get(&id) {
    Some(Link::Native { direct: Some(d), .. }) if d.queued.load(Ordering::Acquire) == 0 => {
      // On WouldBlock the task waits for room; another error, the task meets it too and says so.
      util::with_bytes(data, |b| match d.stream.try_write(b) {
        Ok(n) => {
          d.activity.touch();
          (b.len(), n, true)
        }
        Err(_) => (b.len(), 0, false),
      })
    }
    _ => util::with_bytes(data, |b| (b.len(), 0, false)),
  };
  let Some((len, offset, wrote)) = direct else { return util::throw_type_error(scope, "sockWrite: data must be bytes") };
  if wrote && offset >= len {
    return rv.set_undefined();
  }
  let link = native(scope, id);
  let rest = len - offset;
  let charge = util::charge_or_collect(scope, Pool::ArrayBuffers, rest);
  let Some(bytes) = util::with_bytes(data, |b| b.get(offset..).map(<[u8]>::to_vec)).flatten() else { return };
  let reject = |scope: &mut v8::PinScope<'s, '_>, rv: &mut v8::ReturnValue<'s>, f: Failure| {
    if let Some((promise, later)) = Later::new(scope) {
      rv.set(promise.into());
      later.reject(f.value());
    }
  };
  let Some(charge) = charge else {
    let mb = crate::errors::fmt_mb(len as f64 / (1024.0 * 1024.0));
    return reject(scope, &mut rv, Failure::new("ERR_MEMORY", format!("a write of {mb} MB does not fit in the runtime's memoryLimitMB")));
  };
  let Some((tx, direct, queued)) = link else { return reject(scope, &mut rv, Failure::closed()) };
  let before = queued.fetch_add(rest, Ordering::AcqRel);
  let later = if before + rest <= WRITE_AHEAD {
    rv.set_undefined();
    None
  } else {
    let Some((promise, later)) = Later::new(scope) else {
      queued.fetch_sub(rest, Ordering::AcqRel);
      return;
    };
    rv.set(promise.into());
    Some(later)
  };
  if let Some(d) = &direct {
    d.queued.fetch_add(1, Ordering::AcqRel);
  }
  if let Err(e) = tx.send(Cmd::Write(bytes, charge, later)) {
    queued.fetch_sub(rest, Ordering::AcqRel);
    if let Some(d) = &direct {
      d.queued.fetch_sub(1, Ordering::AcqRel);
    }
    match e.0 {
      Cmd::Write(_, _, Some(later)) => later.reject(Failure::closed().value()),
      _ => reject(scope, &mut rv, Failure::closed()),
    }
  }
}

/// `sockShutdown(id) → Promise`: ends our side once the writes before it are out.
fn shutdown<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  // No direct write may pass the shutdown: the task alone writes from now on (and refuses).
  let cmds = match sockets(scope).borrow_mut().links.get_mut(&id) {
    Some(Link::Native { cmds, direct, .. }) => {
      if let Some(d) = direct.take() {
        d.queued.fetch_add(1, Ordering::AcqRel);
      }
      Some(cmds.clone())
    }
    _ => None,
  };
  let Some((promise, later)) = Later::new(scope) else { return };
  rv.set(promise.into());
  match cmds {
    Some(tx) => {
      if let Err(e) = tx.send(Cmd::Shutdown(later)) {
        if let Cmd::Shutdown(later) = e.0 {
          later.resolve(Value::Undefined);
        }
      }
    }
    None => later.resolve(Value::Undefined),
  }
}

/// `sockClose(id)`: closes the socket at once and forgets it.
fn close<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  if let Some(Link::Native { cmds, .. }) = sockets(scope).borrow_mut().links.remove(&id) {
    let _ = cmds.send(Cmd::Close);
  }
}

/// `sockForget(id)`: a bridged socket is over; its place under maxConnections is free.
fn forget<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let socks = sockets(scope);
  let mut s = socks.borrow_mut();
  if matches!(s.links.get(&id), Some(Link::Other { .. } | Link::Pending { .. })) {
    s.links.remove(&id);
  }
}

/// `sockAck(id, bytes)`: the script consumed this many bytes: the window grows back.
fn ack<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let n = args.get(1).integer_value(scope).unwrap_or(0).clamp(0, INCOMING_WINDOW as i64) as usize;
  if let Some(Link::Native { credit, .. }) = sockets(scope).borrow().links.get(&id) {
    // Never more than the window: a script cannot grow it by acknowledging twice.
    let room = INCOMING_WINDOW.saturating_sub(credit.available_permits());
    credit.add_permits(n.min(room));
  }
}

/// `sockStartTls(id, hostname) → newId`: the connection of native socket `id` goes on as TLS
/// (server name and SNI `hostname`) under the new id; 0 if `id` is not a native socket.
fn start_tls<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let raw = args.get(1).to_rust_string_lossy(scope);
  let Some(hostname) = canonical_host(&raw) else {
    return util::throw_type_error(scope, "startTls(): expectedServerHostname is empty, contains unsupported characters or is too long.");
  };
  let socks = sockets(scope);
  let mut s = socks.borrow_mut();
  // The isolate's handle of the plain stream goes now, before the task needs it back.
  let Some(Link::Native { cmds, queued, _slot, .. }) = s.links.remove(&id) else {
    rv.set(v8::Number::new(scope, 0.0).into());
    return;
  };
  let next = s.next;
  s.next += 1;
  let credit = Arc::new(Semaphore::new(INCOMING_WINDOW));
  let _ = cmds.send(Cmd::StartTls { id: next, hostname, credit: credit.clone() });
  s.links.insert(next, Link::Native { cmds, credit, direct: None, queued, _slot });
  rv.set(v8::Number::new(scope, next as f64).into());
}

#[cfg(test)]
mod tests {
  use super::canonical_host;

  #[test]
  fn hosts_are_checked_and_canonical() {
    assert_eq!(canonical_host("Example.COM").as_deref(), Some("example.com"));
    assert_eq!(canonical_host("127.1").as_deref(), Some("127.0.0.1"));
    assert_eq!(canonical_host("::1").as_deref(), Some("[::1]"));
    assert_eq!(canonical_host("[0:0::1]").as_deref(), Some("[::1]"));
    for bad in ["", "a b", "a/b", "a@b", "x\u{0}", "[::1", "exa%mple.com", &"a".repeat(256), "a:b"] {
      assert_eq!(canonical_host(bad), None, "{bad:?}");
    }
  }
}
