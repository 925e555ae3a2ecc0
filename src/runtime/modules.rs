//! ES modules: evals are modules; `import` (static and dynamic) goes through the host's
//! `moduleLoader`, which may be async. V8 resolves imports synchronously during instantiation, so
//! each module graph is loaded first (the loader called once per importer and specifier, each
//! module compiled once per filename), then instantiated and evaluated.

use super::state::{EvalPhase, Pending, State, StateRef};
use super::{HostOp, Outcome};
use crate::errors::ErrorInfo;
use crate::value::isolate::{error_info, make_error};
use crate::value::Value;
use std::collections::{HashMap, HashSet};

pub enum Purpose {
  Eval,
  Import(v8::Global<v8::PromiseResolver>),
}

pub struct Load {
  pending: usize,
  root: Option<v8::Global<v8::Module>>,
  visited: HashSet<String>,
  purpose: Purpose,
}

#[derive(Default)]
pub struct Registry {
  by_name: HashMap<String, v8::Global<v8::Module>>,
  names: HashMap<i32, Vec<(v8::Global<v8::Module>, String)>>,
  /// (importer filename, specifier) → filename the loader returned.
  resolved: HashMap<(String, String), String>,
  /// Loader calls in flight, with the loads waiting on each.
  inflight: HashMap<(String, String), Vec<u64>>,
  loads: HashMap<u64, Load>,
  next_load: u64,
}

impl Registry {
  fn register(&mut self, scope: &mut v8::PinScope, module: v8::Local<v8::Module>, filename: &str) -> v8::Global<v8::Module> {
    let g = v8::Global::new(scope, module);
    self.by_name.insert(filename.to_string(), g.clone());
    self.names.entry(module.get_identity_hash().get()).or_default().push((g.clone(), filename.to_string()));
    g
  }

  /// `runtime.clearModuleCache()`: later imports call the loader again and compile afresh.
  /// Modules already linked keep their imports; `names` stays, so they are still named.
  pub fn clear_cache(&mut self) {
    self.by_name.clear();
    self.resolved.clear();
  }

  fn filename_of(&self, scope: &mut v8::PinScope, module: v8::Local<v8::Module>) -> Option<String> {
    let list = self.names.get(&module.get_identity_hash().get())?;
    list.iter().find(|(g, _)| v8::Local::new(scope, g) == module).map(|(_, n)| n.clone())
  }
}

/// Adds frames to errors that have none (parser errors), from V8's message location.
pub fn exception_info(scope: &mut v8::PinnedRef<'_, v8::TryCatch<v8::HandleScope>>) -> ErrorInfo {
  let Some(exc) = scope.exception() else {
    return ErrorInfo::new("Error", "execution was terminated");
  };
  let mut info = error_info(scope, exc);
  if let Some(msg) = scope.message() {
    let file = msg.get_script_resource_name(scope).map(|n| n.to_rust_string_lossy(scope)).unwrap_or_default();
    let line = msg.get_line_number(scope).unwrap_or(0);
    let col = msg.get_start_column() + 1;
    let located = format!("{file}:{line}:");
    if !file.is_empty() && !info.stack.as_deref().unwrap_or("").contains(&located) {
      let head = info.stack.clone().unwrap_or_else(|| format!("{}: {}", info.name, info.message));
      info.stack = Some(format!("{head}\n    at {file}:{line}:{col}"));
    }
    add_code_frame(scope, msg, &mut info);
  }
  info
}

/// The error info of a value an eval rejected with, with a code frame of where it was thrown.
pub fn rejection_info<'s>(scope: &mut v8::PinScope<'s, '_>, exception: v8::Local<'s, v8::Value>) -> ErrorInfo {
  let mut info = error_info(scope, exception);
  if !exception.is_native_error() {
    return info;
  }
  // Where the error was made: its first frame in a user's file (errors capture a detailed stack
  // trace, see the event loop's setup).
  let Some(trace) = v8::Exception::get_stack_trace(scope, exception) else { return info };
  for i in 0..trace.get_frame_count().min(8) {
    let Some(frame) = trace.get_frame(scope, i) else { continue };
    let file = frame.get_script_name(scope).map(|n| n.to_rust_string_lossy(scope)).unwrap_or_default();
    if file.is_empty() || file.starts_with("edge-isolate:") {
      continue;
    }
    let (line_no, col) = (frame.get_line_number(), frame.get_column().saturating_sub(1));
    let Some(source) = frame.get_script_source(scope) else { break };
    // Only the line itself is copied out of the (possibly large) source.
    let source = source.to_rust_string_lossy(scope);
    if let Some(line) = source.lines().nth(line_no.saturating_sub(1)) {
      if let Some(frame) = code_frame(&file, line_no, col, line) {
        info.stack.get_or_insert_with(|| format!("{}: {}", info.name, info.message)).push_str(&frame);
      }
    }
    break;
  }
  info
}

/// Longest source excerpt shown in a code frame (minified bundles have megabyte lines).
const FRAME_WIDTH: usize = 120;

/// Appends to `info.stack` a code frame of the user's source where the error arose, as test
/// runners print them:
///
/// ```text
///  main.js:3:7
///    2 | const x = 1
///  > 3 | throw new Error('boom')
///      |       ^
/// ```
/// Only for the runtime's own modules and scripts (a file the user named); platform frames
/// (`edge-isolate:…`) are not shown.
fn add_code_frame(scope: &mut v8::PinScope, msg: v8::Local<v8::Message>, info: &mut ErrorInfo) {
  let file = msg.get_script_resource_name(scope).map(|n| n.to_rust_string_lossy(scope)).unwrap_or_default();
  if file.is_empty() || file.starts_with("edge-isolate:") {
    return;
  }
  let Some(line_no) = msg.get_line_number(scope) else { return };
  let Some(source) = msg.get_source_line(scope) else { return };
  let source = source.to_rust_string_lossy(scope);
  let col = msg.get_start_column();
  let Some(frame) = code_frame(&file, line_no, col, &source) else { return };
  let stack = info.stack.get_or_insert_with(|| format!("{}: {}", info.name, info.message));
  stack.push_str(&frame);
}

/// The text of a code frame (see `add_code_frame`), or None when there is nothing to show.
pub fn code_frame(file: &str, line_no: usize, col: usize, source: &str) -> Option<String> {
  let chars: Vec<char> = source.chars().collect();
  if chars.iter().all(|c| c.is_whitespace()) {
    return None;
  }
  // A window of FRAME_WIDTH characters around the column.
  let start = col.saturating_sub(FRAME_WIDTH / 2).min(chars.len());
  let end = (start + FRAME_WIDTH).min(chars.len());
  let mut excerpt: String = chars.get(start..end)?.iter().collect();
  let mut caret = col.saturating_sub(start);
  if start > 0 {
    excerpt.insert_str(0, "...");
    caret += 3;
  }
  if end < chars.len() {
    excerpt.push_str("...");
  }
  let excerpt = excerpt.trim_end();
  let gutter = line_no.to_string();
  let pad = " ".repeat(gutter.len());
  Some(format!("\n\n {file}:{line_no}:{}\n > {gutter} | {excerpt}\n   {pad} | {}^", col + 1, " ".repeat(caret)))
}

/// Compiles a module; `typescript`: its types are stripped first (src/typescript.rs).
pub fn compile(scope: &mut v8::PinScope, state: &StateRef, code: &str, filename: &str, typescript: bool) -> Result<v8::Global<v8::Module>, ErrorInfo> {
  // The source lives in the heap: one larger than the whole limit could only end the runtime.
  let (limit, limit_mb) = {
    let s = state.borrow();
    (s.shared.budget.limit_bytes, s.shared.memory_limit_mb)
  };
  if code.len() > limit {
    return Err(ErrorInfo::range_error(format!(
      "the source of {filename} ({:.1} MB) is larger than the runtime's memoryLimitMB ({} MB): raise memoryLimitMB or load less code",
      code.len() as f64 / 1048576.0,
      crate::errors::fmt_mb(limit_mb)
    )));
  }
  let stripped;
  let code = if typescript {
    let budget = state.borrow().shared.budget.clone();
    stripped = crate::typescript::strip(code, filename, &budget)?;
    stripped.as_str()
  } else {
    code
  };
  v8::tc_scope!(let tc, scope);
  let (Some(source), Some(name)) = (v8::String::new(tc, code), v8::String::new(tc, filename)) else {
    return Err(ErrorInfo::range_error(format!("the source of {filename} is too large")));
  };
  let origin = v8::ScriptOrigin::new(tc, name.into(), 0, 0, false, 0, None, false, false, true, None);
  let mut src = v8::script_compiler::Source::new(source, Some(&origin));
  match v8::script_compiler::compile_module(tc, &mut src) {
    Some(m) => Ok(state.borrow_mut().modules.register(tc, m, filename)),
    None => Err(exception_info(tc)),
  }
}

/// Registers the load of an eval's module graph; `start_eval_load` then runs it.
pub fn new_eval_load(state: &StateRef, root: v8::Global<v8::Module>) -> u64 {
  new_load(state, Purpose::Eval, Some(root))
}

pub fn start_eval_load(scope: &mut v8::PinScope, state: &StateRef, load: u64, root: v8::Global<v8::Module>, filename: &str) {
  visit(scope, state, load, root, filename);
  maybe_finish(scope, state, load);
}

fn new_load(state: &StateRef, purpose: Purpose, root: Option<v8::Global<v8::Module>>) -> u64 {
  let mut s = state.borrow_mut();
  s.modules.next_load += 1;
  let id = s.modules.next_load;
  s.modules.loads.insert(id, Load { pending: 0, root, visited: HashSet::new(), purpose });
  id
}

fn visit(scope: &mut v8::PinScope, state: &StateRef, load: u64, module: v8::Global<v8::Module>, filename: &str) {
  {
    let mut s = state.borrow_mut();
    let Some(l) = s.modules.loads.get_mut(&load) else { return };
    if !l.visited.insert(filename.to_string()) {
      return;
    }
  }
  let m = v8::Local::new(scope, &module);
  let requests = m.get_module_requests();
  for i in 0..requests.length() {
    let Some(req) = requests.get(scope, i).and_then(|d| v8::Local::<v8::ModuleRequest>::try_from(d).ok()) else { continue };
    let specifier = req.get_specifier().to_rust_string_lossy(scope);
    request(scope, state, load, (filename.to_string(), specifier));
  }
}

/// Makes sure the module for (importer, specifier) is (being) loaded for `load`.
fn request(scope: &mut v8::PinScope, state: &StateRef, load: u64, key: (String, String)) {
  builtin(scope, state, &key);
  let known = {
    let s = state.borrow();
    s.modules.resolved.get(&key).and_then(|f| s.modules.by_name.get(f).map(|m| (m.clone(), f.clone())))
  };
  if let Some((module, filename)) = known {
    // A dynamic import's root can be a module that is already loaded.
    if let Some(l) = state.borrow_mut().modules.loads.get_mut(&load) {
      if l.root.is_none() {
        l.root = Some(module.clone());
      }
    }
    return visit(scope, state, load, module, &filename);
  }
  let mut s = state.borrow_mut();
  if !s.config.has_module_loader {
    drop(s);
    // The first words are @ricsam/isolate-runtime's, which code migrating from it matches on.
    let err = ErrorInfo::type_error(format!(
      "No module loader registered. Cannot import '{}' from '{}': pass a moduleLoader option to createRuntime()",
      key.1,
      absolute(&key.0)
    ));
    return fail(scope, state, load, err);
  }
  if let Some(l) = s.modules.loads.get_mut(&load) {
    l.pending += 1;
  }
  if let Some(waiters) = s.modules.inflight.get_mut(&key) {
    waiters.push(load);
    return;
  }
  s.modules.inflight.insert(key.clone(), vec![load]);
  let id = s.next_id();
  s.pending.insert(id, Pending::Load { key: key.clone() });
  let (host, tx) = (s.host.clone(), s.tx.clone());
  drop(s);
  host.call_async(HostOp::Load { specifier: key.1, importer: absolute(&key.0) }, id, tx);
}

/// `name` as an absolute, normalized POSIX path, as the loader's `importer.path` (an eval's
/// `entry.js` is `/entry.js`, as @ricsam/isolate-runtime names it): `.` and empty segments
/// dropped, `..` taken back (never above `/`).
pub fn absolute(name: &str) -> String {
  let mut parts: Vec<&str> = Vec::new();
  for seg in name.split('/') {
    match seg {
      "" | "." => {}
      ".." => {
        parts.pop();
      }
      s => parts.push(s),
    }
  }
  format!("/{}", parts.join("/"))
}

/// The directory of an absolute path (`/` for a top-level file): the importer's `resolveDir`.
pub fn dir_of(path: &str) -> String {
  match path.rfind('/') {
    Some(0) | None => "/".to_string(),
    Some(i) => path.get(..i).unwrap_or("/").to_string(),
  }
}

/// What a module the loader returned is named (in stack traces, and as the importer of its
/// own imports): a bare `filename` (no `/`) with `resolveDir` is that file in that directory,
/// as @ricsam/isolate-runtime joins them; any other `filename` as given; else, with
/// `resolveDir`, the specifier's last segment in that directory (as the family does); else a
/// relative specifier resolved against the importer's directory, or the specifier itself.
fn module_name(importer: &str, specifier: &str, filename: Option<&Value>, resolve_dir: Option<&Value>) -> String {
  let dir = match resolve_dir {
    Some(Value::String(dir)) => Some(dir),
    _ => None,
  };
  if let Some(Value::String(f)) = filename {
    return match dir {
      Some(dir) if !f.contains('/') => absolute(&format!("{}/{f}", absolute(dir))),
      _ => f.clone(),
    };
  }
  let base = specifier.rsplit('/').next().unwrap_or(specifier);
  if let Some(dir) = dir {
    return absolute(&format!("{}/{base}", absolute(dir)));
  }
  if specifier.starts_with("./") || specifier.starts_with("../") {
    return absolute(&format!("{}/{specifier}", dir_of(&absolute(importer))));
  }
  specifier.to_string()
}

/// A loader reply arrived for (importer, specifier).
pub fn on_loaded(scope: &mut v8::PinScope, state: &StateRef, key: (String, String), outcome: Outcome) {
  let waiters = state.borrow_mut().modules.inflight.remove(&key).unwrap_or_default();
  let loaded = match outcome {
    Ok(v) => match v.get("code").and_then(Value::as_str) {
      Some(code) => {
        let filename = module_name(&key.0, &key.1, v.get("filename"), v.get("resolveDir"));
        let existing = state.borrow().modules.by_name.get(&filename).cloned();
        match existing {
          Some(m) => Ok((m, filename)),
          None => {
            // TypeScript by the loader's word, else by its name or the specifier's, else the runtime's default.
            let typescript = match v.get("typescript") {
              Some(Value::Bool(b)) => *b,
              _ => state.borrow().config.typescript || crate::typescript::is_typescript(&filename) || crate::typescript::is_typescript(&key.1),
            };
            compile(scope, state, code, &filename, typescript).map(|m| (m, filename))
          }
        }
      }
      _ => Err(ErrorInfo::type_error(format!(
        "moduleLoader must return {{ code: string, filename: string }} or {{ code: string, resolveDir: string }} for '{}' imported from '{}'",
        key.1, key.0
      ))),
    },
    Err(e) => {
      let mut info = match e {
        Value::Error(info) => info,
        Value::String(s) => ErrorInfo::new("Error", s),
        other => ErrorInfo::new("Error", format!("{other:?}")),
      };
      info.message = format!("Failed to load '{}' imported from '{}': {}", key.1, key.0, info.message);
      info.stack = None;
      Err(info)
    }
  };
  match loaded {
    Ok((module, filename)) => {
      state.borrow_mut().modules.resolved.insert(key, filename.clone());
      for load in waiters {
        {
          let mut s = state.borrow_mut();
          let Some(l) = s.modules.loads.get_mut(&load) else { continue };
          l.pending -= 1;
          if l.root.is_none() {
            l.root = Some(module.clone());
          }
        }
        visit(scope, state, load, module.clone(), &filename);
        maybe_finish(scope, state, load);
      }
    }
    Err(info) => {
      for load in waiters {
        fail(scope, state, load, info.clone());
      }
    }
  }
}

/// Built-in modules of the Web areas (`crate::web::BUILTIN_MODULES`) resolve before the host's
/// moduleLoader: registered on first import, under their first name.
fn builtin(scope: &mut v8::PinScope, state: &StateRef, key: &(String, String)) {
  let Some(module) = crate::web::BUILTIN_MODULES.iter().find(|m| m.names.contains(&key.1.as_str())) else { return };
  let Some(name) = module.names.first() else { return };
  if !state.borrow().modules.by_name.contains_key(*name) {
    let Some(m) = (module.make)(scope) else { return };
    state.borrow_mut().modules.register(scope, m, name);
  }
  state.borrow_mut().modules.resolved.insert(key.clone(), name.to_string());
}

fn fail(scope: &mut v8::PinScope, state: &StateRef, load: u64, info: ErrorInfo) {
  let Some(l) = state.borrow_mut().modules.loads.remove(&load) else { return };
  reject_purpose(scope, state, load, l.purpose, info)
}

fn maybe_finish(scope: &mut v8::PinScope, state: &StateRef, load: u64) {
  let ready = state.borrow().modules.loads.get(&load).map(|l| l.pending == 0 && l.root.is_some()).unwrap_or(false);
  if !ready {
    return;
  }
  let Some(l) = state.borrow_mut().modules.loads.remove(&load) else { return };
  let Some(root) = l.root else { return };
  v8::tc_scope!(let tc, scope);
  let m = v8::Local::new(tc, &root);
  if m.get_status() == v8::ModuleStatus::Uninstantiated && m.instantiate_module(tc, resolve) != Some(true) {
    if tc.has_terminated() {
      return;
    }
    let info = exception_info(tc);
    return reject_purpose(tc, state, load, l.purpose, info);
  }
  let Some(result) = m.evaluate(tc) else {
    if tc.has_terminated() {
      return;
    }
    let info = exception_info(tc);
    return reject_purpose(tc, state, load, l.purpose, info);
  };
  let Ok(promise) = v8::Local::<v8::Promise>::try_from(result) else { return };
  let promise = v8::Global::new(tc, promise);
  match l.purpose {
    Purpose::Eval => {
      let mut s = state.borrow_mut();
      if let Some(cur) = s.current.as_mut() {
        if matches!(cur.phase, EvalPhase::Loading(id) if id == load) {
          cur.phase = EvalPhase::Evaluating(promise, root);
        }
      }
    }
    Purpose::Import(resolver) => state.borrow_mut().imports.push((promise, root, resolver)),
  }
}

/// Fails what a load was for: the eval waiting on it, or a dynamic import's promise.
fn reject_purpose(scope: &mut v8::PinScope, state: &StateRef, load: u64, purpose: Purpose, info: ErrorInfo) {
  match purpose {
    Purpose::Eval => super::event_loop::finish_eval_if_loading(state, load, Err(info)),
    Purpose::Import(resolver) => {
      let r = v8::Local::new(scope, &resolver);
      if let Some(e) = make_error(scope, &info) {
        r.reject(scope, e);
      }
    }
  }
}

fn resolve<'s>(
  context: v8::Local<'s, v8::Context>,
  specifier: v8::Local<'s, v8::String>,
  _attributes: v8::Local<'s, v8::FixedArray>,
  referrer: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Module>> {
  v8::callback_scope!(unsafe scope, context);
  let state = State::get(scope)?;
  let spec = specifier.to_rust_string_lossy(scope);
  let found = {
    let s = state.borrow();
    let importer = s.modules.filename_of(scope, referrer);
    importer
      .and_then(|i| s.modules.resolved.get(&(i, spec.clone())))
      .and_then(|f| s.modules.by_name.get(f))
      .cloned()
  };
  match found {
    Some(g) => Some(v8::Local::new(scope, &g)),
    None => {
      let msg = v8::String::new(scope, &format!("Cannot resolve module '{spec}'"))?;
      let e = v8::Exception::error(scope, msg);
      scope.throw_exception(e);
      None
    }
  }
}

pub fn dynamic_import<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  _options: v8::Local<'s, v8::Data>,
  resource_name: v8::Local<'s, v8::Value>,
  specifier: v8::Local<'s, v8::String>,
  _attributes: v8::Local<'s, v8::FixedArray>,
) -> Option<v8::Local<'s, v8::Promise>> {
  let resolver = v8::PromiseResolver::new(scope)?;
  let promise = resolver.get_promise(scope);
  let state = State::get(scope)?;
  let importer = if resource_name.is_string() { resource_name.to_rust_string_lossy(scope) } else { String::new() };
  let spec = specifier.to_rust_string_lossy(scope);
  let id = new_load(&state, Purpose::Import(v8::Global::new(scope, resolver)), None);
  request(scope, &state, id, (importer, spec));
  maybe_finish(scope, &state, id);
  Some(promise)
}

/// Settles dynamic imports whose module finished evaluating. Returns true if any did.
pub fn poll_imports(scope: &mut v8::PinScope, state: &StateRef) -> bool {
  let imports = std::mem::take(&mut state.borrow_mut().imports);
  let mut progressed = false;
  let mut still = Vec::new();
  for (p, m, r) in imports {
    let promise = v8::Local::new(scope, &p);
    let resolver = v8::Local::new(scope, &r);
    match promise.state() {
      v8::PromiseState::Pending => still.push((p, m, r)),
      v8::PromiseState::Fulfilled => {
        progressed = true;
        let ns = v8::Local::new(scope, &m).get_module_namespace();
        resolver.resolve(scope, ns);
      }
      v8::PromiseState::Rejected => {
        progressed = true;
        let _ = super::rejections::forget(scope, state, promise);
        let e = promise.result(scope);
        resolver.reject(scope, e);
      }
    }
  }
  state.borrow_mut().imports.extend(still);
  progressed
}

#[cfg(test)]
mod tests {
  use super::code_frame;

  #[test]
  fn code_frames_point_at_the_column() {
    assert_eq!(
      code_frame("main.js", 3, 6, "throw new Error('boom')").unwrap(),
      "\n\n main.js:3:7\n > 3 | throw new Error('boom')\n     |       ^"
    );
    assert_eq!(code_frame("a.js", 12, 0, "   "), None);
  }

  #[test]
  fn long_lines_show_a_window_around_the_column() {
    let line = format!("{}BAD{}", "x".repeat(5000), "y".repeat(5000));
    let frame = code_frame("bundle.js", 1, 5000, &line).unwrap();
    let lines: Vec<&str> = frame.lines().collect();
    assert!(lines[3].len() < 140, "{}", lines[3]);
    assert!(lines[3].contains("...") && lines[3].contains("BAD"));
    // The caret sits under the B of BAD.
    let at = lines[3].find("BAD").unwrap();
    assert_eq!(lines[4].find('^').unwrap(), at);
  }

  #[test]
  fn multibyte_characters_count_as_one_column() {
    let frame = code_frame("m.js", 1, 4, "é = ü + 1").unwrap();
    assert!(frame.ends_with("|     ^"), "{frame}");
  }
}

#[cfg(test)]
mod path_tests {
  use super::{absolute, dir_of, module_name};
  use crate::value::Value;

  #[test]
  fn importer_paths_are_absolute_and_normalized() {
    assert_eq!(absolute("entry.js"), "/entry.js");
    assert_eq!(absolute("/a//b/./c/../d.js"), "/a/b/d.js");
    assert_eq!(absolute("../../x.js"), "/x.js");
    assert_eq!(absolute(""), "/");
    assert_eq!(dir_of("/entry.js"), "/");
    assert_eq!(dir_of("/src/lib/a.js"), "/src/lib");
    assert_eq!(dir_of("/"), "/");
  }

  #[test]
  fn module_names_follow_filename_then_resolve_dir_then_the_importer() {
    let s = |v: &str| Value::String(v.to_string());
    assert_eq!(module_name("main.js", "./a.js", Some(&s("lib/a.js")), Some(&s("/x"))), "lib/a.js");
    // A bare filename with resolveDir: joined, as @ricsam/isolate-runtime names it.
    assert_eq!(module_name("/main.js", "@/moduleA", Some(&s("moduleA")), Some(&s("/modules"))), "/modules/moduleA");
    assert_eq!(module_name("/main.js", "x", Some(&s("x.js")), Some(&s("modules/./a/"))), "/modules/a/x.js");
    assert_eq!(module_name("/main.js", "x", Some(&s("x.js")), None), "x.js");
    assert_eq!(module_name("main.js", "./lib/util.js", None, Some(&s("/src/lib/"))), "/src/lib/util.js");
    assert_eq!(module_name("/src/app/main.js", "../util.js", None, None), "/src/util.js");
    assert_eq!(module_name("main.js", "pkg", None, None), "pkg");
    assert_eq!(module_name("main.js", "pkg", Some(&Value::Number(1.0)), None), "pkg");
  }
}
