//! The runtime without Node: a fake host answers host calls from Rust.
#![allow(clippy::unwrap_used)]

use super::*;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

#[derive(Default)]
struct FakeHost {
  entries: Mutex<Vec<Value>>,
}

impl Host for FakeHost {
  fn console_entry(&self, entry: Value) {
    self.entries.lock().unwrap().push(entry);
  }
  fn call_sync(&self, _index: usize, args: Vec<Value>) -> Outcome {
    match args.first() {
      Some(Value::String(s)) if s == "throw" => Err(Value::Error(ErrorInfo::range_error("no"))),
      _ => Ok(Value::Array(args)),
    }
  }
  fn call_async(&self, op: HostOp, id: u64, reply: Mailbox) {
    let outcome = match op {
      HostOp::Call { args, .. } => Ok(Value::Array(args)),
      HostOp::Load { specifier, .. } => Ok(Value::Object(vec![
        ("code".into(), Value::String(format!("export const name = {specifier:?};"))),
        ("filename".into(), Value::String(specifier)),
      ])),
      _ => Err(Value::String("unsupported".into())),
    };
    // Answer from another thread, as Node would.
    std::thread::spawn(move || {
      let _ = reply.send(Msg::Reply { id, outcome });
    });
  }
  fn command(&self, command: Value) {
    self.entries.lock().unwrap().push(command);
  }
  fn shutdown(&self) {}
}

fn start(config: Config) -> (Arc<RuntimeHandle>, Arc<FakeHost>) {
  let host = Arc::new(FakeHost::default());
  let (tx, rx) = mpsc::channel();
  let rt = RuntimeHandle::spawn(config, host.clone(), Box::new(move |r| tx.send(r).unwrap())).unwrap();
  rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
  (rt, host)
}

fn eval_async(rt: &RuntimeHandle, code: &str, timeout_ms: Option<u64>) -> Receiver<Result<(), ErrorInfo>> {
  let (tx, rx) = mpsc::channel();
  rt.send(Msg::Eval {
    code: code.into(),
    filename: "test.js".into(),
    timeout_ms,
    typescript: None,
    done: Box::new(move |r| {
      let _ = tx.send(r);
    }),
  });
  rx
}

fn eval(rt: &RuntimeHandle, code: &str) -> Result<(), ErrorInfo> {
  eval_async(rt, code, None).recv_timeout(Duration::from_secs(10)).unwrap()
}

fn logs(host: &FakeHost) -> Vec<String> {
  host.entries.lock().unwrap().iter().filter_map(|e| e.get("stdout").and_then(Value::as_str).map(String::from)).collect()
}

fn dispose(rt: &RuntimeHandle) {
  let (tx, rx) = mpsc::channel();
  rt.send(Msg::Dispose { done: Some(Box::new(move |_| tx.send(()).unwrap())) });
  rx.recv_timeout(Duration::from_secs(10)).unwrap();
  rt.join();
}

fn config() -> Config {
  Config { has_console: true, ..Config::default() }
}

#[test]
fn evals_run_in_order_and_share_globals() {
  let (rt, host) = start(config());
  let first = eval_async(&rt, "await new Promise(r => setTimeout(r, 30)); globalThis.x = 1; console.log('first')", None);
  let second = eval_async(&rt, "console.log('second', x)", None);
  first.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
  second.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
  assert_eq!(logs(&host), vec!["first", "second 1"]);
  dispose(&rt);
}

#[test]
fn errors_carry_name_message_and_location() {
  let (rt, _host) = start(config());
  let e = eval(&rt, "\n  throw new RangeError('bad')").unwrap_err();
  assert_eq!((e.name.as_str(), e.message.as_str()), ("RangeError", "bad"));
  assert!(e.stack.unwrap().contains("test.js:2:9"));
  let e = eval(&rt, "let = ;").unwrap_err();
  assert_eq!(e.name, "SyntaxError");
  assert!(e.stack.unwrap().contains("test.js:1:"));
  dispose(&rt);
}

#[test]
fn host_functions_sync_and_async() {
  let config = Config {
    functions: vec![("echo".into(), FnKind::Sync), ("later".into(), FnKind::Async)],
    ..config()
  };
  let (rt, host) = start(config);
  eval(&rt, "console.log(echo(1, 'a').join(), (await later(new Map([[1, 2]])))[0].get(1))").unwrap();
  eval(&rt, "try { echo('throw') } catch (e) { console.log(e instanceof RangeError, e.message) }").unwrap();
  assert_eq!(logs(&host), vec!["1,a 2", "true no"]);
  dispose(&rt);
}

#[test]
fn imports_go_through_the_loader_once() {
  let (rt, host) = start(Config { has_module_loader: true, ..config() });
  eval(&rt, "import { name } from 'dep-a'; const m = await import('dep-b'); console.log(name, m.name)").unwrap();
  assert_eq!(logs(&host), vec!["dep-a dep-b"]);
  let (rt2, _h) = start(config());
  let e = eval(&rt2, "import 'x'").unwrap_err();
  assert!(e.message.contains("moduleLoader"), "{}", e.message);
  dispose(&rt);
  dispose(&rt2);
}

#[test]
fn a_timeout_stops_a_runaway_script_and_the_runtime() {
  let (rt, _host) = start(config());
  let started = Instant::now();
  let e = eval_async(&rt, "while (true) {}", Some(50)).recv_timeout(Duration::from_secs(5)).unwrap().unwrap_err();
  assert_eq!((e.name.as_str(), e.message.as_str()), ("TimeoutError", "Execution timed out after 50ms"));
  assert_eq!(e.kind, crate::errors::ErrorKind::Timeout);
  assert!(started.elapsed() < Duration::from_secs(2));
  rt.join();
  assert!(!rt.shared.is_alive());
  assert!(rt.shared.dead_message().contains("createRuntime()"));
}

#[test]
fn memory_bombs_end_with_a_memory_limit_error() {
  for code in ["const a = []; while (true) a.push(new Array(10000).fill(1))", "const k = []; while (true) k.push(new ArrayBuffer(1 << 20))"] {
    let (rt, _host) = start(Config { memory_limit_mb: 16.0, ..config() });
    let e = eval(&rt, code).unwrap_err();
    assert_eq!(e.name, "MemoryLimitError");
    assert!(e.message.contains("16 MB"));
    rt.join();
  }
}

#[test]
fn dispose_rejects_pending_evals() {
  let (rt, _host) = start(config());
  let pending = eval_async(&rt, "await new Promise(() => {})", None);
  dispose(&rt);
  let e = pending.recv_timeout(Duration::from_secs(5)).unwrap().unwrap_err();
  assert_eq!(e.message, crate::errors::DISPOSED);
  assert!(!rt.send(Msg::Wake));
}



#[test]
fn tasks_from_other_threads_run_on_the_loop_in_order() {
  let (rt, host) = start(config());
  let mailbox = rt.mailbox();
  let sender = std::thread::spawn(move || {
    for i in 0..3 {
      let task: IsolateTask = Box::new(move |scope| {
        let code = v8::String::new(scope, &format!("console.log('task {i}')")).unwrap();
        v8::Script::compile(scope, code, None).unwrap().run(scope).unwrap();
      });
      assert!(mailbox.send(Msg::Task(task)).is_ok());
    }
  });
  sender.join().unwrap();
  eval(&rt, "console.log('eval')").unwrap();
  assert_eq!(logs(&host), vec!["task 0", "task 1", "task 2", "eval"]);
  dispose(&rt);
  assert!(rt.mailbox().send(Msg::Wake).is_err());
}
