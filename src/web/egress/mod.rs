//! fetch() over the network (https://fetch.spec.whatwg.org/#fetching): the natives of egress.js
//! for the native client (src/net/http.rs). The `onFetch` path needs none: egress.js calls the
//! host glue (src/host/glue.js) directly.
//!
//! Per-runtime state lives in an isolate slot, made on first use (never at snapshot time): the
//! client (pool, policy, concurrency cap) and the requests in flight. Each request is one tokio
//! task; its response body reaches the isolate through a bounded channel pulled one chunk per
//! read (backpressure), its streamed request body through another. Dropping the isolate (the
//! runtime's end) cancels every task.

use super::util::{charge_or_trip, copy_bytes, throw_type_error, with_bytes};
use super::{Area, Natives};
use crate::limits::{Charge, MemoryBudget, Pool};
use crate::net::http::{Client, Failure, Redirect, Request, RequestBody, Upload};
use crate::runtime::{Later, State};
use crate::value::{Value, ViewKind};
use bytes::Bytes;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex as AsyncMutex};
use tokio_util::sync::{CancellationToken, DropGuard};
use v8::MapFnTo;

pub const AREA: Area = Area { name: "egress", js: include_str!("egress.js"), natives };

fn natives() -> Natives {
  vec![
    ("egressMode", mode.map_fn_to()),
    ("egressFetch", fetch.map_fn_to()),
    ("egressWrite", write.map_fn_to()),
    ("egressPull", pull.map_fn_to()),
    ("egressCancel", cancel.map_fn_to()),
  ]
}

/// Response bodies are sent whole with the head when their length is known and at most this.
const INLINE_MAX: u64 = 64 * 1024;
/// Chunks read ahead of the isolate, per response body.
const READ_AHEAD: usize = 4;

enum Chunk {
  /// Response bytes read ahead of the isolate, charged to its ArrayBuffer limit until pulled.
  Data(Bytes, Charge),
  End,
  Failed(Failure),
}

struct Flight {
  cancel: CancellationToken,
  upload: Option<mpsc::Sender<Upload>>,
  download: Arc<AsyncMutex<mpsc::Receiver<Chunk>>>,
}

struct Egress {
  client: Option<Arc<Client>>,
  flights: HashMap<u64, Flight>,
  next: u64,
  root: CancellationToken,
  _guard: DropGuard,
}

type EgressRef = Rc<RefCell<Egress>>;

fn egress(scope: &mut v8::PinScope) -> EgressRef {
  if let Some(e) = scope.get_slot::<EgressRef>() {
    return e.clone();
  }
  let root = CancellationToken::new();
  let e = Rc::new(RefCell::new(Egress { client: None, flights: HashMap::new(), next: 1, _guard: root.clone().drop_guard(), root }));
  scope.set_slot(e.clone());
  e
}

fn failure_value(f: &Failure) -> Value {
  Value::Object(vec![("kind".into(), Value::String(f.kind.into())), ("message".into(), Value::String(f.message.clone()))])
}

fn aborted() -> Value {
  failure_value(&Failure::new("aborted", "the request was aborted"))
}

fn id_arg(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> u64 {
  v.integer_value(scope).unwrap_or(0).max(0) as u64
}

/// `egressMode()`: 0 no egress, 1 the host's onFetch, 2 the native client.
fn mode<'s>(scope: &mut v8::PinScope<'s, '_>, _args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let s = state.borrow();
  rv.set_int32(if s.config.has_on_fetch { 1 } else if s.config.network.is_some() { 2 } else { 0 });
}

/// `egressFetch(method, url, headers, body, redirect) → [id, Promise<head>]`. body: null, bytes,
/// or true for a stream fed by `egressWrite`; redirect: 0 follow, 1 manual, 2 error. The head is
/// [status, statusText, headers, url, redirected, kind, payload]: kind 0 null body, 1 the whole
/// body (payload: Uint8Array), 2 a body to pull with `egressPull(id)`. Rejects with
/// { kind, message }.
fn fetch<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(state) = State::get(scope) else { return };
  let Some(opts) = state.borrow().config.network.clone() else {
    return throw_type_error(scope, "network access is disabled: pass onFetch or network to createRuntime");
  };
  let method = args.get(0).to_rust_string_lossy(scope);
  let url = args.get(1).to_rust_string_lossy(scope);
  let headers = match crate::value::isolate::from_v8(scope, args.get(2)) {
    Ok(Value::Array(items)) => items
      .into_iter()
      .filter_map(|p| match p {
        Value::Array(kv) => match (kv.first(), kv.get(1)) {
          (Some(Value::String(k)), Some(Value::String(v))) => Some((k.clone(), v.clone())),
          _ => None,
        },
        _ => None,
      })
      .collect(),
    _ => return throw_type_error(scope, "egressFetch: headers must be [name, value] pairs"),
  };
  let body_arg = args.get(3);
  let mut body_charge = None;
  let (body, upload) = if body_arg.is_true() {
    let (tx, rx) = mpsc::channel(1);
    (RequestBody::Stream(rx), Some(tx))
  } else if let Some(len) = with_bytes(body_arg, |b| b.len()) {
    // Charged while the request holds its copy (until the response head is in).
    let Some(charge) = charge_or_trip(scope, Pool::ArrayBuffers, len) else { return };
    body_charge = Some(charge);
    (RequestBody::Bytes(Bytes::from(copy_bytes(body_arg).unwrap_or_default())), None)
  } else {
    (RequestBody::Empty, None)
  };
  let redirect = match args.get(4).uint32_value(scope) {
    Some(1) => Redirect::Manual,
    Some(2) => Redirect::Error,
    _ => Redirect::Follow,
  };
  let eg = egress(scope);
  let client = {
    let mut e = eg.borrow_mut();
    match &e.client {
      Some(c) => Ok(c.clone()),
      None => Client::new(opts).map(|c| {
        let c = Arc::new(c);
        e.client = Some(c.clone());
        c
      }),
    }
  };
  let Some((promise, later)) = Later::new(scope) else { return };
  let (tx, rx) = mpsc::channel(READ_AHEAD);
  let (id, token) = {
    let mut e = eg.borrow_mut();
    let id = e.next;
    e.next += 1;
    let token = e.root.child_token();
    e.flights.insert(id, Flight { cancel: token.clone(), upload, download: Arc::new(AsyncMutex::new(rx)) });
    (id, token)
  };
  let pair = v8::Array::new(scope, 2);
  let idv = v8::Number::new(scope, id as f64);
  pair.set_index(scope, 0, idv.into());
  pair.set_index(scope, 1, promise.into());
  rv.set(pair.into());
  let client = match client {
    Ok(c) => c,
    Err(f) => return later.reject(failure_value(&f)),
  };
  let Some(rt) = crate::net::tokio() else {
    return later.reject(failure_value(&Failure::new("network", "the network runtime could not start")));
  };
  let req = Request { method, url, headers, body, redirect };
  let budget = state.borrow().shared.budget.clone();
  rt.spawn(run(client, req, later, token, tx, budget, body_charge));
}

async fn run(
  client: Arc<Client>,
  req: Request,
  head: Later,
  cancel: CancellationToken,
  tx: mpsc::Sender<Chunk>,
  budget: Arc<MemoryBudget>,
  body_charge: Option<Charge>,
) {
  let res = tokio::select! {
    _ = cancel.cancelled() => return head.reject(aborted()),
    r = client.fetch(req) => r,
  };
  drop(body_charge);
  let mut res = match res {
    Ok(r) => r,
    Err(f) => return head.reject(failure_value(&f)),
  };
  let head_value = |kind: f64, payload: Value, res: &crate::net::http::Response| {
    let headers = res.headers.iter().map(|(k, v)| Value::Array(vec![Value::String(k.clone()), Value::String(v.clone())])).collect();
    Value::Array(vec![
      Value::Number(res.status as f64),
      Value::String(res.status_text.clone()),
      Value::Array(headers),
      Value::String(res.url.clone()),
      Value::Bool(res.redirected),
      Value::Number(kind),
      payload,
    ])
  };
  if res.null_body {
    return head.resolve(head_value(0.0, Value::Null, &res));
  }
  // A small body of known size comes with the head: one crossing instead of three.
  let limit = client_limit(&res);
  if let Some(n) = res.body.exact_len().filter(|n| *n <= INLINE_MAX && limit.is_none_or(|l| *n <= l)) {
    let mut all = Vec::with_capacity(n as usize);
    loop {
      let item = tokio::select! {
        _ = cancel.cancelled() => return head.reject(aborted()),
        c = res.body.next() => c,
      };
      match item {
        None => break,
        Some(Ok(b)) => all.extend_from_slice(&b),
        Some(Err(f)) => return head.reject(failure_value(&f)),
      }
    }
    let v = head_value(1.0, Value::View { kind: ViewKind::Uint8, bytes: all }, &res);
    return head.resolve(v);
  }
  head.resolve(head_value(2.0, Value::Null, &res));
  loop {
    let item = tokio::select! {
      _ = cancel.cancelled() => return,
      c = res.body.next() => c,
    };
    let chunk = match item {
      None => Chunk::End,
      Some(Ok(b)) => {
        // Held already: charged whatever the budget says, so the isolate's next allocation sees it.
        let charge = budget.charge_anyway(Pool::ArrayBuffers, b.len());
        Chunk::Data(b, charge)
      }
      Some(Err(f)) => Chunk::Failed(f),
    };
    let last = !matches!(chunk, Chunk::Data(..));
    let sent = tokio::select! {
      _ = cancel.cancelled() => return,
      r = tx.send(chunk) => r.is_ok(),
    };
    if !sent || last {
      return;
    }
  }
}

fn client_limit(res: &crate::net::http::Response) -> Option<u64> {
  res.body.limit()
}

/// `egressWrite(id, chunk) → Promise<boolean>` (false: the request no longer takes a body);
/// `egressWrite(id, null)` ends the body, `egressWrite(id, false)` fails it.
fn write<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let eg = egress(scope);
  let v = args.get(1);
  let Some(rt) = crate::net::tokio() else { return };
  if v.is_null() || v.is_false() {
    let tx = eg.borrow_mut().flights.get_mut(&id).and_then(|f| f.upload.take());
    if let Some(tx) = tx {
      let last = if v.is_null() { Upload::End } else { Upload::Fail("the request body stream errored".into()) };
      rt.spawn(async move {
        let _ = tx.send(last).await;
      });
    }
    return;
  }
  let Some(len) = with_bytes(v, |b| b.len()) else {
    return throw_type_error(scope, "egressWrite: chunk must be bytes");
  };
  // The copy stays charged until the client has taken it (see `Upload::Data`).
  let Some(charge) = charge_or_trip(scope, Pool::ArrayBuffers, len) else { return };
  let bytes = copy_bytes(v).unwrap_or_default();
  let tx = eg.borrow().flights.get(&id).and_then(|f| f.upload.clone());
  let Some((promise, later)) = Later::new(scope) else { return };
  rv.set(promise.into());
  match tx {
    None => later.resolve(Value::Bool(false)),
    Some(tx) => {
      rt.spawn(async move {
        let ok = tx.send(Upload::Data(Bytes::from(bytes), Some(charge))).await.is_ok();
        later.resolve(Value::Bool(ok));
      });
    }
  }
}

/// `egressPull(id) → Promise<Uint8Array | null>`: the next chunk of a response body, null at its
/// end. Rejects with { kind, message }.
fn pull<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let eg = egress(scope);
  let rx = eg.borrow().flights.get(&id).map(|f| f.download.clone());
  let Some((promise, later)) = Later::new(scope) else { return };
  rv.set(promise.into());
  let (Some(rx), Some(rt)) = (rx, crate::net::tokio()) else {
    return later.reject(aborted());
  };
  rt.spawn(async move {
    let mut rx = rx.lock().await;
    match rx.recv().await {
      Some(Chunk::Data(b, charge)) => {
        let bytes = b.to_vec();
        drop((b, charge));
        later.resolve(Value::View { kind: ViewKind::Uint8, bytes })
      }
      Some(Chunk::End) => later.resolve(Value::Null),
      Some(Chunk::Failed(f)) => later.reject(failure_value(&f)),
      None => later.reject(aborted()),
    }
  });
}

/// `egressCancel(id)`: the isolate is done with request `id` (aborted, body cancelled or read to
/// its end): stop its task and forget it.
fn cancel<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let id = id_arg(scope, args.get(0));
  let eg = egress(scope);
  let flight = eg.borrow_mut().flights.remove(&id);
  if let Some(f) = flight {
    f.cancel.cancel();
  }
}
