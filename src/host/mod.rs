//! The Node side of a runtime: the host functions a runtime may call, run on Node's main thread.

pub mod bridge;
pub mod call;
pub mod func;
pub mod options;
pub mod value;

use crate::runtime::{FnKind, Host, HostOp, Mailbox, Msg, Outcome};
use crate::value::Value;
use bridge::HostBridge;
use call::{call_and_await, data_clone_error, outcome, undefined};
use napi::sys;
use std::collections::HashMap;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A persistent reference to a host value. Only dereferenced on the main thread.
pub struct Ref(sys::napi_ref);
unsafe impl Send for Ref {}
unsafe impl Sync for Ref {}

impl Ref {
  pub unsafe fn new(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
    let mut r = ptr::null_mut();
    bridge::check(unsafe { sys::napi_create_reference(env, v, 1, &mut r) })?;
    Ok(Self(r))
  }

  pub unsafe fn get(&self, env: sys::napi_env) -> sys::napi_value {
    let mut v = ptr::null_mut();
    unsafe { sys::napi_get_reference_value(env, self.0, &mut v) };
    v
  }

  pub unsafe fn delete(self, env: sys::napi_env) {
    unsafe { sys::napi_delete_reference(env, self.0) };
  }
}

/// Host callbacks given to createRuntime.
pub struct Callbacks {
  pub on_entry: Option<Ref>,
  pub module_loader: Option<Ref>,
  pub functions: Vec<(String, FnKind, Ref)>,
  /// `onFetch(url, init)` (alias `fetch`): takes every isolate fetch().
  pub on_fetch: Option<Ref>,
  /// `webSocket(url, protocols)`: decides every isolate WebSocket.
  pub web_socket: Option<Ref>,
}

/// The glue's `hooks` object (src/host/glue.js), once `runtime.fetch` was first used.
pub type GlueSlot = Arc<Mutex<Option<Ref>>>;

pub struct NodeHost {
  bridge: Arc<HostBridge>,
  callbacks: Arc<Mutex<Option<Callbacks>>>,
  pub glue: GlueSlot,
  iterators: Arc<Mutex<HashMap<u64, Ref>>>,
  next_iter: Arc<AtomicU64>,
}

impl NodeHost {
  pub fn new(bridge: Arc<HostBridge>, callbacks: Callbacks) -> Self {
    Self {
      bridge,
      callbacks: Arc::new(Mutex::new(Some(callbacks))),
      glue: Arc::new(Mutex::new(None)),
      iterators: Arc::new(Mutex::new(HashMap::new())),
      next_iter: Arc::new(AtomicU64::new(1)),
    }
  }
}

fn gone() -> Value {
  Value::Error(crate::errors::ErrorInfo::new("Error", "the host is no longer available (its Node.js thread is shutting down)"))
}

/// Runs `f` with the callbacks on the main thread (None once the runtime shut down).
fn with_callbacks<R>(cbs: &Mutex<Option<Callbacks>>, f: impl FnOnce(&Callbacks) -> R) -> Option<R> {
  let guard = cbs.lock().ok()?;
  guard.as_ref().map(f)
}

/// Converts call arguments as one array, so references between them are kept.
/// The name and function of customFunctions entry `index` (None once the runtime shut down).
unsafe fn custom_function(cbs: &Mutex<Option<Callbacks>>, env: sys::napi_env, index: usize) -> Option<(String, sys::napi_value)> {
  with_callbacks(cbs, |c| c.functions.get(index).map(|(n, _, r)| (n.clone(), unsafe { r.get(env) }))).flatten()
}

unsafe fn args_to_host(env: sys::napi_env, args: &[Value]) -> napi::Result<Vec<sys::napi_value>> {
  unsafe {
    let arr = value::to_host(env, &Value::Array(args.to_vec()))?;
    (0..args.len() as u32)
      .map(|i| {
        let mut e = ptr::null_mut();
        bridge::check(sys::napi_get_element(env, arr, i, &mut e))?;
        Ok(e)
      })
      .collect()
  }
}

impl Host for NodeHost {
  fn console_entry(&self, entry: Value) {
    let cbs = self.callbacks.clone();
    self.bridge.post(move |env| unsafe {
      let f = with_callbacks(&cbs, |c| c.on_entry.as_ref().map(|r| r.get(env))).flatten();
      let (Some(f), Ok(arg)) = (f, value::to_host(env, &entry)) else { return };
      let mut ignored = ptr::null_mut();
      if sys::napi_call_function(env, undefined(env), f, 1, &arg, &mut ignored) != sys::Status::napi_ok {
        // A throwing onEntry must not take down the host: its error is dropped.
        call::take_exception(env);
      }
    });
  }

  fn call_sync(&self, index: usize, args: Vec<Value>) -> Outcome {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Outcome>(1);
    let cbs = self.callbacks.clone();
    let posted = self.bridge.post(move |env| unsafe {
      let Some((name, f)) = custom_function(&cbs, env, index) else {
        let _ = tx.send(Err(gone()));
        return;
      };
      let argv = match args_to_host(env, &args) {
        Ok(a) => a,
        Err(e) => {
          let _ = tx.send(Err(data_clone_error(e.reason)));
          return;
        }
      };
      let mut result = ptr::null_mut();
      let settled = if sys::napi_call_function(env, undefined(env), f, argv.len(), argv.as_ptr(), &mut result) == sys::Status::napi_ok {
        let mut is_promise = false;
        sys::napi_is_promise(env, result, &mut is_promise);
        if is_promise {
          let _ = tx.send(Err(Value::Error(crate::errors::ErrorInfo::type_error(format!(
            "customFunctions.{name} is declared {{ type: 'sync' }} but returned a Promise; declare it {{ type: 'async' }}"
          )))));
          return;
        }
        Ok(result)
      } else {
        Err(call::take_exception(env))
      };
      let _ = tx.send(outcome(env, settled));
    });
    if !posted {
      return Err(gone());
    }
    rx.recv().unwrap_or_else(|_| Err(gone()))
  }

  fn call_async(&self, op: HostOp, id: u64, reply: Mailbox) {
    let cbs = self.callbacks.clone();
    let iterators = self.iterators.clone();
    let next_iter = self.next_iter.clone();
    let glue = self.glue.clone();
    let fail_tx = reply.clone();
    let posted = self.bridge.post(move |env| unsafe {
      let done = move |env: sys::napi_env, settled: Result<sys::napi_value, sys::napi_value>| {
        let _ = reply.send(Msg::Reply { id, outcome: outcome(env, settled) });
      };
      run_op(env, &cbs, &glue, &iterators, &next_iter, op, done);
    });
    if !posted {
      let _ = fail_tx.send(Msg::Reply { id, outcome: Err(gone()) });
    }
  }

  fn command(&self, command: Value) {
    self.command_then(command, Box::new(|| {}))
  }

  fn command_then(&self, command: Value, delivered: Box<dyn FnOnce() + Send>) {
    let glue = self.glue.clone();
    self.bridge.post(move |env| unsafe {
      // Nobody can listen before `runtime.fetch` was used: then the command has no audience.
      call_glue(env, &glue, "command", &[command], |env, settled| {
        if settled.is_err() {
          call::take_exception(env);
        }
        delivered();
      });
    });
  }

  fn shutdown(&self) {
    let cbs = self.callbacks.clone();
    let iterators = self.iterators.clone();
    let glue = self.glue.clone();
    self.bridge.post(move |env| unsafe {
      // Host sockets bridged to the isolate's WebSockets close with it.
      call_glue(env, &glue, "closeWebSockets", &[], |_, _| {});
      if let Some(r) = glue.lock().ok().and_then(|mut g| g.take()) {
        r.delete(env);
      }
      if let Some(c) = cbs.lock().ok().and_then(|mut g| g.take()) {
        for r in c.on_entry.into_iter().chain(c.module_loader).chain(c.on_fetch).chain(c.web_socket) {
          r.delete(env);
        }
        for (_, _, r) in c.functions {
          r.delete(env);
        }
      }
      if let Ok(mut its) = iterators.lock() {
        for (_, r) in its.drain() {
          r.delete(env);
        }
      }
    });
  }
}

type Settled = Result<sys::napi_value, sys::napi_value>;

/// Calls `hooks[name](...argv)` of the glue with host values and waits for its result.
unsafe fn call_glue_raw(env: sys::napi_env, glue: &GlueSlot, name: &str, argv: &[sys::napi_value], done: impl FnOnce(sys::napi_env, Settled) + Send + 'static) {
  unsafe {
    let hooks = glue.lock().ok().and_then(|g| g.as_ref().map(|r| r.get(env)));
    let f = hooks.and_then(|h| value::get_named(env, h, name).ok().map(|f| (h, f)));
    match f.filter(|(_, f)| value::type_of(env, *f) == sys::ValueType::napi_function) {
      Some((hooks, f)) => call_and_await(env, hooks, f, argv, done),
      None => done(env, Err(error_value(env, "Error", &format!("the host glue has no '{name}'")))),
    }
  }
}

/// Calls `hooks[name](...args)` of the glue and waits for its result.
unsafe fn call_glue(env: sys::napi_env, glue: &GlueSlot, name: &str, args: &[Value], done: impl FnOnce(sys::napi_env, Settled) + Send + 'static) {
  unsafe {
    let hooks = glue.lock().ok().and_then(|g| g.as_ref().map(|r| r.get(env)));
    let f = hooks.and_then(|h| value::get_named(env, h, name).ok().map(|f| (h, f)));
    let Some((hooks, f)) = f.filter(|(_, f)| value::type_of(env, *f) == sys::ValueType::napi_function) else {
      return done(env, Err(error_value(env, "Error", &format!("the host glue has no '{name}'"))));
    };
    match args_to_host(env, args) {
      Ok(argv) => call_and_await(env, hooks, f, &argv, done),
      Err(e) => done(env, Err(error_value(env, "DataCloneError", &e.reason))),
    }
  }
}

unsafe fn error_value(env: sys::napi_env, name: &str, message: &str) -> sys::napi_value {
  crate::errors::host_error(env, name, message, None)
}

/// Runs one async host operation on the main thread; `done` gets its settled value.
unsafe fn run_op(
  env: sys::napi_env,
  cbs: &Mutex<Option<Callbacks>>,
  glue: &GlueSlot,
  iterators: &Arc<Mutex<HashMap<u64, Ref>>>,
  next_iter: &AtomicU64,
  op: HostOp,
  done: impl FnOnce(sys::napi_env, Settled) + Send + 'static,
) {
  unsafe {
    let function = |index: usize| custom_function(cbs, env, index);
    match op {
      HostOp::Call { index, args } => {
        let Some((_, f)) = function(index) else {
          return done(env, Err(error_value(env, "Error", "the runtime was disposed")));
        };
        match args_to_host(env, &args) {
          Ok(argv) => call_and_await(env, undefined(env), f, &argv, done),
          Err(e) => done(env, Err(error_value(env, "DataCloneError", &e.reason))),
        }
      }
      HostOp::IterOpen { index, args } => {
        let Some((name, f)) = function(index) else {
          return done(env, Err(error_value(env, "Error", "the runtime was disposed")));
        };
        let argv = match args_to_host(env, &args) {
          Ok(a) => a,
          Err(e) => return done(env, Err(error_value(env, "DataCloneError", &e.reason))),
        };
        let mut result = ptr::null_mut();
        if sys::napi_call_function(env, undefined(env), f, argv.len(), argv.as_ptr(), &mut result) != sys::Status::napi_ok {
          return done(env, Err(call::take_exception(env)));
        }
        let Some(it) = async_iterator_of(env, result) else {
          let msg = format!(
            "customFunctions.{name} is declared {{ type: 'asyncIterator' }} but did not return an async iterable; use an async generator function"
          );
          return done(env, Err(error_value(env, "TypeError", &msg)));
        };
        match Ref::new(env, it) {
          Ok(r) => {
            let id = next_iter.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut its) = iterators.lock() {
              its.insert(id, r);
            }
            let mut n = ptr::null_mut();
            sys::napi_create_double(env, id as f64, &mut n);
            done(env, Ok(n))
          }
          Err(e) => done(env, Err(error_value(env, "Error", &e.reason))),
        }
      }
      HostOp::Glue { name, args } if name == "onFetch" => call_on_fetch(env, cbs, glue, &args, done),
      HostOp::Glue { name, args } => call_glue(env, glue, &name, &args, done),
      HostOp::WebSocket { id, url, protocols } => {
        // hooks.openWebSocket(callback, id, url, protocols) → 'native' | 'blocked' | 'bridged'
        let Some(Some(callback)) = with_callbacks(cbs, |c| c.web_socket.as_ref().map(|r| r.get(env))) else {
          return done(env, Err(error_value(env, "Error", "no webSocket callback was passed to createRuntime")));
        };
        let protocols = Value::Array(protocols.into_iter().map(Value::String).collect());
        match args_to_host(env, &[Value::Number(id as f64), Value::String(url), protocols]) {
          Ok(mut argv) => {
            argv.insert(0, callback);
            call_glue_raw(env, glue, "openWebSocket", &argv, done)
          }
          Err(e) => done(env, Err(error_value(env, "DataCloneError", &e.reason))),
        }
      }
      HostOp::IterNext { iter, arg } => iterator_step(env, iterators, iter, "next", arg, done),
      HostOp::IterReturn { iter, arg } => iterator_step(env, iterators, iter, "return", arg, done),
      HostOp::IterThrow { iter, arg } => iterator_step(env, iterators, iter, "throw", arg, done),
      HostOp::Load { specifier, importer } => {
        let Some(Some(f)) = with_callbacks(cbs, |c| c.module_loader.as_ref().map(|r| r.get(env))) else {
          return done(env, Err(error_value(env, "Error", "no moduleLoader was passed to createRuntime")));
        };
        let argv = value::str_value(env, &specifier).and_then(|spec| {
          let importer = value::to_host(env, &Value::Object(vec![("path".into(), Value::String(importer))]))?;
          Ok([spec, importer])
        });
        match argv {
          Ok(argv) => call_and_await(env, undefined(env), f, &argv, done),
          Err(e) => done(env, Err(error_value(env, "Error", &e.reason))),
        }
      }
    }
  }
}

/// `hooks.onFetch(callback, ...args)`: an isolate fetch() for the host's `onFetch`, which goes
/// along as a host value (it never crosses into the isolate).
unsafe fn call_on_fetch(env: sys::napi_env, cbs: &Mutex<Option<Callbacks>>, glue: &GlueSlot, args: &[Value], done: impl FnOnce(sys::napi_env, Settled) + Send + 'static) {
  unsafe {
    let Some(Some(callback)) = with_callbacks(cbs, |c| c.on_fetch.as_ref().map(|r| r.get(env))) else {
      return done(env, Err(error_value(env, "Error", "no onFetch callback was passed to createRuntime")));
    };
    let hooks = glue.lock().ok().and_then(|g| g.as_ref().map(|r| r.get(env)));
    let f = hooks.and_then(|h| value::get_named(env, h, "onFetch").ok().map(|f| (h, f)));
    let Some((hooks, f)) = f.filter(|(_, f)| value::type_of(env, *f) == sys::ValueType::napi_function) else {
      return done(env, Err(error_value(env, "Error", "the host glue has no 'onFetch'")));
    };
    match args_to_host(env, args) {
      Ok(mut argv) => {
        argv.insert(0, callback);
        call_and_await(env, hooks, f, &argv, done)
      }
      Err(e) => done(env, Err(error_value(env, "DataCloneError", &e.reason))),
    }
  }
}

/// `iterable[Symbol.asyncIterator]()`, or the value itself if it has a `next` method.
unsafe fn async_iterator_of(env: sys::napi_env, v: sys::napi_value) -> Option<sys::napi_value> {
  unsafe {
    if value::type_of(env, v) != sys::ValueType::napi_object {
      return None;
    }
    let mut global = ptr::null_mut();
    sys::napi_get_global(env, &mut global);
    let symbol = value::get_named(env, global, "Symbol").ok()?;
    let key = value::get_named(env, symbol, "asyncIterator").ok()?;
    let mut method = ptr::null_mut();
    sys::napi_get_property(env, v, key, &mut method);
    if value::type_of(env, method) == sys::ValueType::napi_function {
      let mut it = ptr::null_mut();
      if sys::napi_call_function(env, v, method, 0, ptr::null(), &mut it) != sys::Status::napi_ok {
        call::take_exception(env);
        return None;
      }
      return Some(it);
    }
    let next = value::get_named(env, v, "next").ok()?;
    (value::type_of(env, next) == sys::ValueType::napi_function).then_some(v)
  }
}

/// Calls `next`/`return`/`throw` on a host iterator; a finished iterator is forgotten.
unsafe fn iterator_step(
  env: sys::napi_env,
  iterators: &Arc<Mutex<HashMap<u64, Ref>>>,
  iter: u64,
  method: &'static str,
  arg: Value,
  done: impl FnOnce(sys::napi_env, Settled) + Send + 'static,
) {
  unsafe {
    let finished = |env: sys::napi_env, value: &Value| -> Settled {
      value::to_host(env, &Value::Object(vec![("done".into(), Value::Bool(true)), ("value".into(), value.clone())]))
        .map_err(|e| error_value(env, "Error", &e.reason))
    };
    let it = iterators.lock().ok().and_then(|its| its.get(&iter).map(|r| r.get(env)));
    let Some(it) = it else {
      // Already finished (or never opened): behave like a completed generator.
      return match method {
        "throw" => done(env, Err(value::to_host(env, &arg).unwrap_or_else(|e| error_value(env, "Error", &e.reason)))),
        _ => {
          let r = finished(env, &Value::Undefined);
          done(env, r)
        }
      };
    };
    let forget = {
      let iterators = iterators.clone();
      move |env: sys::napi_env| {
        if let Some(r) = iterators.lock().ok().and_then(|mut its| its.remove(&iter)) {
          r.delete(env);
        }
      }
    };
    let m = value::get_named(env, it, method).ok().filter(|m| value::type_of(env, *m) == sys::ValueType::napi_function);
    let Some(m) = m else {
      forget(env);
      return match method {
        "throw" => done(env, Err(value::to_host(env, &arg).unwrap_or_else(|e| error_value(env, "Error", &e.reason)))),
        _ => {
          let r = finished(env, &arg);
          done(env, r)
        }
      };
    };
    let argv = match value::to_host(env, &arg) {
      Ok(a) => a,
      Err(e) => return done(env, Err(error_value(env, "DataCloneError", &e.reason))),
    };
    call_and_await(env, it, m, &[argv], move |env, settled| {
      let is_done = match settled {
        Ok(r) => value::get_named(env, r, "done").map(|d| value::truthy(env, d)).unwrap_or(true),
        Err(_) => true,
      };
      if is_done || method != "next" {
        forget(env);
      }
      done(env, settled)
    });
  }
}
