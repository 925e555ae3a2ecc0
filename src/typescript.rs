//! TypeScript in `eval` and in modules from `moduleLoader`: types are stripped, not compiled.
//!
//! swc's strip-only mode (what Node's `module.stripTypeScriptTypes` uses) replaces every type
//! with whitespace of the same width, so each line and column of the JavaScript V8 runs is where
//! the user wrote it in the `.ts` file, and stacks point at the user's lines. Syntax with runtime
//! semantics (enums, namespaces with values, parameter properties, `<T>x` assertions) cannot be
//! stripped and is refused with a SyntaxError naming the construct and where it is.
//!
//! The parser is recursive and its input hostile: it runs on a thread of its own whose stack is
//! sized for the deepest nesting let through by a linear pre-scan (`nesting`), and its memory is
//! charged to the runtime's budget before it starts.

use crate::errors::ErrorInfo;
use std::fmt::Write as _;

/// File extensions whose source is TypeScript.
const EXTENSIONS: [&str; 4] = [".ts", ".mts", ".cts", ".tsx"];

/// Whether `filename` names a TypeScript file (`.ts`, `.mts`, `.cts`, `.tsx`; a `?query` or
/// `#hash` after the name is ignored).
pub fn is_typescript(filename: &str) -> bool {
  let name = filename.split(['?', '#']).next().unwrap_or(filename);
  EXTENSIONS.iter().any(|ext| name.len() > ext.len() && name.get(name.len() - ext.len()..).is_some_and(|e| e.eq_ignore_ascii_case(ext)))
}

fn is_tsx(filename: &str) -> bool {
  let name = filename.split(['?', '#']).next().unwrap_or(filename);
  name.len() > 4 && name.get(name.len() - 4..).is_some_and(|e| e.eq_ignore_ascii_case(".tsx"))
}

/// Deepest nesting (see `nesting`) a source may have: far beyond hand-written code, and what the
/// strip thread's stack (`STACK_BYTES`) holds with a wide margin.
pub const MAX_NESTING: usize = 5000;

/// Stack of the strip thread. Only the pages a parse touches are ever committed.
const STACK_BYTES: usize = 256 << 20;

/// Memory the strip holds (the copies of the source and the output, its tokens and syntax tree),
/// charged to the runtime's budget while it runs: per token and per byte of source. Measured peak
/// RSS: 75-131 bytes per token on token-dense sources (`[1,1,…]`, `a;a;…`, template literals,
/// typed functions), 60 MB for a 5.3 MB `.d.ts` of 355k tokens; this charges 1.3-2x that.
pub const BYTES_PER_TOKEN: usize = 160;
pub const BYTES_PER_SOURCE_BYTE: usize = 8;

/// Strips the types of `code` (a `.ts`/`.mts`/`.cts`/`.tsx` module named `filename`). The
/// result has the same lines and columns. Errors are SyntaxErrors (or a RangeError for input too
/// deep or too large) whose message says where and what to do.
pub fn strip(code: &str, filename: &str, budget: &std::sync::Arc<crate::limits::MemoryBudget>) -> Result<String, ErrorInfo> {
  let scanned = scan(code);
  if let Some((depth, offset)) = scanned.deepest {
    let (line, col) = line_col(code, offset);
    return Err(ErrorInfo::range_error(format!(
      "{filename}:{line}:{col}: TypeScript nested more than {MAX_NESTING} levels deep ({depth} here) cannot be stripped: flatten it, or compile it to JavaScript first"
    )));
  }
  let need = scanned.tokens.saturating_mul(BYTES_PER_TOKEN).saturating_add(code.len().saturating_mul(BYTES_PER_SOURCE_BYTE));
  let Some(_charge) = budget.charge(crate::limits::Pool::ArrayBuffers, need) else {
    return Err(ErrorInfo::range_error(format!(
      "stripping the types of {filename} ({:.1} MB) needs about {:.0} MB, more than is left of the runtime's memoryLimitMB: raise memoryLimitMB, or compile it to JavaScript first",
      code.len() as f64 / 1048576.0,
      need as f64 / 1048576.0
    )));
  };
  let (source, name) = (code.to_string(), filename.to_string());
  let worker = std::thread::Builder::new()
    .name("edge-isolate-ts".into())
    .stack_size(STACK_BYTES)
    .spawn(move || std::panic::catch_unwind(move || strip_here(source, &name)));
  let outcome = match worker {
    Ok(handle) => handle.join(),
    Err(e) => return Err(ErrorInfo::range_error(format!("could not start stripping the types of {filename}: {e}"))),
  };
  match outcome {
    Ok(Ok(result)) => result,
    // A panic inside the parser (a bug of its own) is this input's error, never the process's.
    _ => Err(ErrorInfo::new("SyntaxError", format!("{filename}: the TypeScript parser failed on this source: compile it to JavaScript first"))),
  }
}

/// One diagnostic swc reported: its message and where (byte offsets into the source).
struct Diagnostic {
  message: String,
  unsupported: bool,
  lo: Option<u32>,
}

/// Collects swc's diagnostics instead of printing them.
#[derive(Clone, Default)]
struct Collector(std::sync::Arc<std::sync::Mutex<Vec<Diagnostic>>>);

impl swc_common::errors::Emitter for Collector {
  fn emit(&mut self, db: &mut swc_common::errors::DiagnosticBuilder<'_>) {
    let unsupported = matches!(&db.code, Some(swc_common::errors::DiagnosticId::Error(c)) if c == "UnsupportedSyntax");
    let lo = db.span.primary_span().map(|s| s.lo.0);
    if let Ok(mut list) = self.0.lock() {
      // The first few are enough to report.
      if list.len() < 16 {
        list.push(Diagnostic { message: db.message(), unsupported, lo });
      }
    }
  }
}

/// The strip itself, on the strip thread.
fn strip_here(code: String, filename: &str) -> Result<String, ErrorInfo> {
  let tsx = is_tsx(filename);
  if tsx {
    if let Some(at) = find_jsx(&code) {
      let (line, col) = line_col(&code, at);
      return Err(syntax_error(
        filename,
        &code,
        at,
        &format!("JSX is not supported at {filename}:{line}:{col} (types are stripped, JSX is not compiled): compile the JSX to JavaScript first (e.g. esbuild's or tsc's jsx option)"),
      ));
    }
  }
  let collector = Collector::default();
  let handler = swc_common::errors::Handler::with_emitter(true, false, Box::new(collector.clone()));
  let cm: swc_common::sync::Lrc<swc_common::SourceMap> = Default::default();
  let options = swc_ts_fast_strip::Options {
    module: Some(true),
    filename: Some(filename.to_string()),
    parser: swc_ecma_parser::TsSyntax { tsx, decorators: true, ..Default::default() },
    mode: swc_ts_fast_strip::Mode::StripOnly,
    ..Default::default()
  };
  let source = code.clone();
  let result = swc_common::GLOBALS.set(&Default::default(), || {
    swc_common::errors::HANDLER.set(&handler, || swc_ts_fast_strip::operate(&cm, &handler, source, options))
  });
  match result {
    Ok(out) => Ok(out.code),
    Err(_) => {
      let diagnostics = std::mem::take(&mut *collector.0.lock().map_err(|_| ErrorInfo::new("SyntaxError", format!("{filename}: could not strip its types")))?);
      // swc's positions are 1-based byte positions into the one file of `cm`.
      let first = diagnostics.into_iter().next();
      let (message, unsupported, offset) = match first {
        Some(d) => (d.message, d.unsupported, d.lo.map(|lo| lo.saturating_sub(1) as usize)),
        None => ("invalid TypeScript".to_string(), false, None),
      };
      let offset = offset.unwrap_or(0).min(code.len());
      let (line, col) = line_col(&code, offset);
      let text = if unsupported {
        let (what, advice) = advice(&message);
        format!("{what} is not supported at {filename}:{line}:{col}: types are only stripped, not compiled; {advice}")
      } else {
        format!("{message} at {filename}:{line}:{col}")
      };
      Err(syntax_error(filename, &code, offset, &text))
    }
  }
}

/// The construct an UnsupportedSyntax diagnostic is about, and what to do instead.
fn advice(message: &str) -> (&'static str, &'static str) {
  const FULL: &str = "or compile it to JavaScript with a full TypeScript compiler (tsc, esbuild) first";
  if message.contains("enum") {
    ("TypeScript `enum`", "use a const object instead of enum (`const Color = { Red: 0 } as const`), or compile it to JavaScript with a full TypeScript compiler (tsc, esbuild) first")
  } else if message.contains("namespace") || message.contains("`module` keyword") {
    ("TypeScript `namespace` with values", "use an ES module or a plain object instead of namespace, or compile it to JavaScript with a full TypeScript compiler (tsc, esbuild) first")
  } else if message.contains("parameter property") {
    ("TypeScript parameter property", "declare the field in the class body and assign it in the constructor, or compile it to JavaScript with a full TypeScript compiler (tsc, esbuild) first")
  } else if message.contains("angle-bracket") {
    ("TypeScript `<T>expr` type assertion", "write `expr as T` instead")
  } else if message.contains("import equals") {
    ("TypeScript `import x = require()`", "use `import x from` instead")
  } else if message.contains("export assignment") {
    ("TypeScript `export =`", "use `export default` instead")
  } else {
    ("this TypeScript syntax", FULL)
  }
}

/// A SyntaxError with the runtime's usual shape: a stack line at the position and a code frame.
fn syntax_error(filename: &str, code: &str, offset: usize, message: &str) -> ErrorInfo {
  let (line, col) = line_col(code, offset);
  let mut info = ErrorInfo::new("SyntaxError", message);
  let mut stack = format!("SyntaxError: {message}\n    at {filename}:{line}:{col}");
  let source_line = code.get(line_start(code, offset)..).and_then(|rest| rest.lines().next()).unwrap_or("");
  if let Some(frame) = crate::runtime::modules::code_frame(filename, line, col.saturating_sub(1), source_line) {
    let _ = write!(stack, "{frame}");
  }
  info.stack = Some(stack);
  info
}

fn line_start(code: &str, offset: usize) -> usize {
  code.get(..offset).and_then(|before| before.rfind('\n').map(|i| i + 1)).unwrap_or(0)
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(code: &str, offset: usize) -> (usize, usize) {
  let mut offset = offset.min(code.len());
  while !code.is_char_boundary(offset) {
    offset -= 1;
  }
  let before = code.get(..offset).unwrap_or("");
  let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
  let col = before.get(line_start(code, offset)..).map(|s| s.chars().count()).unwrap_or(0) + 1;
  (line, col)
}

/// Where the first JSX element or fragment of a `.tsx` source is, if any.
fn find_jsx(code: &str) -> Option<usize> {
  use swc_ecma_visit::{Visit, VisitWith};
  struct Finder(Option<u32>);
  impl Visit for Finder {
    fn visit_jsx_element(&mut self, n: &swc_ecma_ast::JSXElement) {
      self.0 = Some(self.0.map_or(n.span.lo.0, |p| p.min(n.span.lo.0)));
    }
    fn visit_jsx_fragment(&mut self, n: &swc_ecma_ast::JSXFragment) {
      self.0 = Some(self.0.map_or(n.span.lo.0, |p| p.min(n.span.lo.0)));
    }
  }
  let cm: swc_common::sync::Lrc<swc_common::SourceMap> = Default::default();
  let fm = cm.new_source_file(swc_common::FileName::Anon.into(), code.to_string());
  let syntax = swc_ecma_parser::Syntax::Typescript(swc_ecma_parser::TsSyntax { tsx: true, decorators: true, ..Default::default() });
  let lexer = swc_ecma_parser::lexer::Lexer::new(syntax, swc_ecma_ast::EsVersion::latest(), swc_ecma_parser::StringInput::from(&*fm), None);
  let mut parser = swc_ecma_parser::Parser::new_from(lexer);
  // A source that does not parse is reported by the strip itself.
  let module = parser.parse_module().ok()?;
  let mut finder = Finder(None);
  module.visit_with(&mut finder);
  finder.0.map(|lo| (lo.saturating_sub(fm.start_pos.0)) as usize)
}

/// A linear pre-scan bounding how deep the parser (and the walks of its syntax tree) can recurse:
/// the depth of open brackets (`(`, `[`, `{`, `${`, and `<` where it may open type arguments),
/// plus, at each bracket level, the run of tokens that recurse without a bracket (prefix
/// operators, binary operators whose tree grows one level each, `?`, `=>`, `keyof`, `if`, `else`,
/// …) since the last `,` or `;` of that level. Strings, comments, template text and regular
/// expressions are skipped; where a token is ambiguous the figure can only be too high. Returns
/// (depth, byte offset) of the first place deeper than `MAX_NESTING`. Measured on the strip
/// thread: at most ~4 KB of stack per unit (see the tests).
#[cfg(test)]
fn nesting(code: &str) -> Option<(usize, usize)> {
  scan(code).deepest
}

/// What `scan` found: the first place nested too deep, and how many tokens the source has.
pub struct Scan {
  pub deepest: Option<(usize, usize)>,
  pub tokens: usize,
}

/// See `nesting`; also counts tokens (what the strip's memory grows with).
pub fn scan(code: &str) -> Scan {
  let b = code.as_bytes();
  let mut tokens = 0usize;
  // Per open bracket: its kind, and the run counted at the level outside it.
  let mut stack: Vec<(u8, usize)> = Vec::new();
  let mut run = 0usize;
  let mut outer_runs = 0usize;
  // The last token ends an operand (a name, literal, `)`, `]`, `}`): a `/` after it divides,
  // anywhere else it starts a regular expression.
  let mut operand = false;
  // The last token is a name with no space after it (`A<B>` opens type arguments).
  let mut word = false;
  // The last token is `if`, `for`, `while` or `with`: its `(…)` is a header, a statement follows.
  let mut header = false;
  // A line break since the last token.
  let mut newline = false;
  let mut i = 0;
  while let Some(&c) = b.get(i) {
    let at = i;
    tokens += 1;
    match c {
      b'/' if b.get(i + 1) == Some(&b'/') => {
        tokens -= 1;
        while b.get(i).is_some_and(|&c| c != b'\n') {
          i += 1;
        }
        continue;
      }
      b'/' if b.get(i + 1) == Some(&b'*') => {
        tokens -= 1;
        i += 2;
        while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
          i += 1;
        }
        i += 2;
        continue;
      }
      b'/' if !operand => {
        // A regular expression: to its closing `/` outside a `[class]` (or the line's end).
        i += 1;
        let mut class = false;
        while let Some(&r) = b.get(i) {
          i += 1;
          match r {
            b'\\' => i += 1,
            b'[' => class = true,
            b']' => class = false,
            b'/' if !class => break,
            b'\n' => break,
            _ => {}
          }
        }
        (operand, word, header, newline) = (true, false, false, false);
        continue;
      }
      b'\'' | b'"' => {
        i += 1;
        while let Some(&s) = b.get(i) {
          i += if s == b'\\' { 2 } else { 1 };
          if s == c || s == b'\n' {
            break;
          }
        }
        (operand, word, header, newline) = (true, false, false, false);
        continue;
      }
      b'`' => {
        i += 1;
        if template(b, &mut i) {
          outer_runs += run;
          stack.push((b'$', run));
          run = 0;
          operand = false;
        } else {
          operand = true;
        }
        word = false;
      }
      b'(' | b'[' | b'{' => {
        outer_runs += run;
        stack.push((if c == b'(' && header { b'h' } else { c }, run));
        run = 0;
        i += 1;
        (operand, word) = (false, false);
      }
      b'<' if word || b.get(i + 1).is_some_and(|&n| n.is_ascii_alphabetic() || matches!(n, b'_' | b'$' | b'(' | b'[' | b'{')) => {
        outer_runs += run;
        stack.push((c, run));
        run = 0;
        i += 1;
        (operand, word) = (false, false);
      }
      b')' | b']' | b'}' | b'>' => {
        // A `<` that was a comparison (`a<b`) is dropped when the bracket around it closes.
        while c != b'>' && stack.last().is_some_and(|(o, _)| *o == b'<') {
          let (_, outer) = stack.pop().unwrap_or((0, 0));
          outer_runs = outer_runs.saturating_sub(outer);
          run = outer;
        }
        let want = match c {
          b')' if stack.last().is_some_and(|(o, _)| *o == b'h') => b'h',
          b')' => b'(',
          b']' => b'[',
          b'}' => b'{',
          _ => b'<',
        };
        i += 1;
        match stack.last().copied() {
          // Only its own kind of bracket closes (`a > b`, `=>` and stray closers do not).
          Some((open, outer)) if open == want || (c == b'}' && open == b'$') => {
            stack.pop();
            outer_runs = outer_runs.saturating_sub(outer);
            run = outer;
            // A `}` that closes a `${` continues the template it was in.
            if open == b'$' && template(b, &mut i) {
              outer_runs += run;
              stack.push((b'$', run));
              run = 0;
            }
            // After `if (…)` a statement starts (a `/` there begins a regular expression).
            operand = c != b'>' && open != b'h';
          }
          _ => {
            run += 1;
            operand = false;
          }
        }
        word = false;
      }
      b';' | b',' => {
        // A statement's end also drops comparisons' `<`.
        while c == b';' && stack.last().is_some_and(|(o, _)| *o == b'<') {
          let (_, outer) = stack.pop().unwrap_or((0, 0));
          outer_runs = outer_runs.saturating_sub(outer);
        }
        run = 0;
        i += 1;
        (operand, word) = (false, false);
      }
      c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b'#' || c == b'@' || c >= 0x80 => {
        while b.get(i).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b'#' || c == b'@' || c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) || c >= 0x80) {
          i += 1;
        }
        let name = code.get(at..i).unwrap_or("");
        // Words after which an expression starts (a `/` there begins a regular expression), and
        // words the parser recurses on.
        let starts = matches!(
          name,
          "return" | "typeof" | "void" | "delete" | "await" | "new" | "yield" | "throw" | "case" | "do" | "else" | "in" | "of" | "instanceof"
            | "keyof" | "readonly" | "unique" | "infer" | "asserts" | "is" | "extends" | "if" | "for" | "while" | "with" | "async"
            | "abstract" | "declare" | "export" | "as" | "satisfies"
        );
        // A name on a new line after an operand starts a statement (automatic semicolon
        // insertion), unless it continues the expression or statement before it.
        let continues = matches!(name, "else" | "as" | "satisfies" | "in" | "of" | "instanceof" | "extends" | "implements" | "is" | "catch" | "finally");
        if newline && operand && !continues {
          run = 0;
        }
        if starts {
          run += 1;
        }
        (operand, word) = (!starts, true);
        header = matches!(name, "if" | "for" | "while" | "with");
        newline = false;
        let depth = stack.len() + outer_runs + run;
        if depth > MAX_NESTING {
          return Scan { deepest: Some((depth, at)), tokens };
        }
        continue;
      }
      c if c.is_ascii_whitespace() => {
        tokens -= 1;
        i += 1;
        word = false;
        newline |= c == b'\n';
        continue;
      }
      _ => {
        // Any other punctuator (an operator) may add a level.
        run += 1;
        i += 1;
        (operand, word) = (false, false);
      }
    }
    (header, newline) = (false, false);
    let depth = stack.len() + outer_runs + run;
    if depth > MAX_NESTING {
      return Scan { deepest: Some((depth, at)), tokens };
    }
  }
  Scan { deepest: None, tokens }
}

/// Skips template text from `*i` (just past a backtick or a `}`) to its end; true if it stopped
/// at a `${` (then `*i` is past it), false at the closing backtick or the end.
fn template(b: &[u8], i: &mut usize) -> bool {
  while let Some(&c) = b.get(*i) {
    match c {
      b'\\' => *i += 2,
      b'`' => {
        *i += 1;
        return false;
      }
      b'$' if b.get(*i + 1) == Some(&b'{') => {
        *i += 2;
        return true;
      }
      _ => *i += 1,
    }
  }
  false
}

#[cfg(test)]
mod tests {
  use super::*;

  /// The deepest input of each construct the pre-scan lets through parses with an eighth of the
  /// strip thread's stack (a thread overflowing its stack would end this test process).
  #[test]
  fn the_deepest_input_let_through_fits_an_eighth_of_the_stack() {
    let constructs = [
      ("(", ")"), ("[", "]"), ("{a:", "}"), ("A<", ">"), ("!", ""), ("-", ""), ("a?b:", "c"), ("typeof ", "x"), ("x=>", "x"),
      ("`${", "}`"), ("1+", ""), ("a.", "b"), ("x as ", "any"), ("new ", "X"), ("(a,", ")"), ("(x:", ")=>1"), ("f(", ")"),
      ("<T,>(x:T)=>", "x"), ("async ()=>", "1"), ("function f(){return ", "}"), ("()=>{", "}"), ("{m(){return ", "}}"),
      ("class A{m(){return ", "}}"), ("(a:{b:", "})=>1"), ("()=>{if(a)", "}"), ("()=>{if(a){}else ", "}"), ("()=>{for(;;)", "}"),
      ("()=>{l:", "}"), ("x=", "1"), ("a\n+", ""), ("[...", "]"),
    ];
    for (open, close) in constructs {
      let at = |n: usize| format!("let v: any = {}1{}", open.repeat(n), close.repeat(n));
      // The largest n the pre-scan lets through.
      let (mut lo, mut hi) = (1usize, MAX_NESTING + 1);
      while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if nesting(&at(mid)).is_none() { lo = mid } else { hi = mid }
      }
      let src = at(lo);
      let done = std::thread::Builder::new().stack_size(STACK_BYTES / 8).spawn(move || strip_here(src, "deep.ts").is_ok()).unwrap().join();
      assert!(done.is_ok(), "{open}");
    }
  }

  fn budget() -> std::sync::Arc<crate::limits::MemoryBudget> {
    crate::limits::MemoryBudget::new(128 << 20)
  }

  fn ok(code: &str) -> String {
    strip(code, "t.ts", &budget()).unwrap()
  }

  fn err(code: &str, name: &str) -> ErrorInfo {
    strip(code, name, &budget()).unwrap_err()
  }

  #[test]
  fn names_with_a_typescript_extension_are_typescript() {
    for n in ["a.ts", "/x/b.mts", "c.cts", "d.tsx", "E.TS", "f.ts?v=1", "g.ts#x"] {
      assert!(is_typescript(n), "{n}");
    }
    for n in ["a.js", "main.js", "ts", ".ts", "a.d.js", "types.ts.js", "a.mjs", ""] {
      assert!(!is_typescript(n), "{n}");
    }
  }

  #[test]
  fn types_become_whitespace_of_the_same_width() {
    let src = "interface P { x: number }\nconst a: number = (1 as number) satisfies number\nfunction f<T>(x: T): T { return x }\n";
    let out = ok(src);
    assert_eq!(out.len(), src.len());
    assert_eq!(out.lines().count(), src.lines().count());
    assert!(!out.contains("interface") && !out.contains("number"), "{out}");
    assert!(out.contains("const a") && out.contains("function f"));
    // Columns are kept: `return x` starts where it did.
    assert_eq!(out.find("return x"), src.find("return x"));
  }

  #[test]
  fn non_ascii_text_keeps_its_columns() {
    let src = "const s: 'é😀' = 'é😀'; type Ü = 1\nconst n: number = 1";
    let out = ok(src);
    let utf16 = |s: &str| s.encode_utf16().count();
    let (a, b): (Vec<&str>, Vec<&str>) = (src.lines().collect(), out.lines().collect());
    assert_eq!(utf16(a[0]), utf16(b[0]));
    assert_eq!(b[1].find("= 1"), a[1].find("= 1"));
  }

  #[test]
  fn type_only_imports_are_elided() {
    let out = ok("import type { A } from './a.ts'\nimport { type B, c } from './b.ts'\nexport type { A }\nc()");
    assert!(!out.contains("import type") && !out.contains("'./a.ts'"), "{out}");
    assert!(out.contains("import {") && out.contains("c }") && !out.contains("B"), "{out}");
  }

  #[test]
  fn unsupported_constructs_are_named_with_their_position() {
    let e = err("const a = 1\nenum Color { Red }", "colors.ts");
    assert_eq!(e.name, "SyntaxError");
    assert!(e.message.contains("`enum`") && e.message.contains("colors.ts:2:1") && e.message.contains("const object"), "{}", e.message);
    let e = err("namespace N { export const x = 1 }", "n.ts");
    assert!(e.message.contains("`namespace`") && e.message.contains("n.ts:1:1"), "{}", e.message);
    let e = err("class A {\n  constructor(private x: number) {}\n}", "p.ts");
    assert!(e.message.contains("parameter property") && e.message.contains("p.ts:2:"), "{}", e.message);
    let e = err("const x = <any>1", "c.ts");
    assert!(e.message.contains("as T"), "{}", e.message);
    // Type-only namespaces have no values: stripped.
    ok("declare namespace N { const x: number }\nnamespace T { export type A = 1 }\n");
  }

  #[test]
  fn invalid_typescript_is_a_syntax_error_with_its_position() {
    let e = err("const a = 1\nconst b: = 2", "bad.ts");
    assert_eq!(e.name, "SyntaxError");
    assert!(e.message.contains("bad.ts:2:"), "{}", e.message);
    assert!(e.stack.unwrap().contains("bad.ts:2:"));
  }

  #[test]
  fn jsx_in_tsx_is_refused_and_tsx_without_jsx_is_stripped() {
    let e = err("const a = 1\nconst el = <div>hi</div>", "view.tsx");
    assert_eq!(e.name, "SyntaxError");
    assert!(e.message.contains("JSX is not supported at view.tsx:2:12"), "{}", e.message);
    assert!(strip("const f = <T,>(x: T) => x", "a.tsx", &budget()).unwrap().contains("(x   ) => x"));
  }

  #[test]
  fn deep_nesting_is_refused_before_parsing() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{a:", "}"), ("A<", ">"), ("!", ""), ("-", ""), ("a?b:", "c"), ("typeof ", "x"), ("x=>", "x"), ("`${", "}`")] {
      let src = format!("type T = 1\nconst v = {}1{}", open.repeat(100_000), close.repeat(100_000));
      let e = err(&src, "deep.ts");
      assert_eq!(e.name, "RangeError", "{open}");
      assert!(e.message.contains("deep.ts:2:") && e.message.contains("nested more than"), "{open}: {}", e.message);
    }
    // Deep, but within the bound: parsed on the strip thread's stack.
    for (open, close) in [("(", ")"), ("[", "]"), ("{a:", "}"), ("A<", ">"), ("!", ""), ("a?b:", "c"), ("x=>", "x")] {
      let n = MAX_NESTING / 2 - 5;
      let src = format!("let v: any = {}1{}", open.repeat(n), close.repeat(n));
      let _ = strip(&src, "deep.ts", &budget());
    }
  }

  #[test]
  fn the_prescan_ignores_strings_comments_and_comparisons() {
    let strings = format!("const s = '{}'; const t = \"{}\"; // {}\n/* {} */ const u = `{}`", "(".repeat(5000), "[".repeat(5000), "{".repeat(5000), "(".repeat(5000), "(".repeat(5000));
    assert_eq!(nesting(&strings), None);
    let comparisons = "if (a<b) {}\n".repeat(5000) + &"x = a<b;\n".repeat(5000) + &"f(a<b, c<d)\n".repeat(5000);
    assert_eq!(nesting(&comparisons), None);
    let flat = "a = a + 1;\n".repeat(20_000) + &"x = [1, 2, 3].map((v) => v * 2)\n".repeat(5000);
    assert_eq!(nesting(&flat), None);
  }

  #[test]
  fn memory_is_charged_and_refused_past_the_limit() {
    let small = crate::limits::MemoryBudget::new(8 << 20);
    let src = "let a: number = 1;\n".repeat(40_000);
    let e = strip(&src, "big.ts", &small).unwrap_err();
    assert_eq!(e.name, "RangeError");
    assert!(e.message.contains("memoryLimitMB"), "{}", e.message);
    assert_eq!(small.used(crate::limits::Pool::ArrayBuffers), 0);
    // Released after a successful strip too.
    let b = budget();
    ok("let a: number = 1");
    strip(&src, "big.ts", &b).unwrap();
    assert_eq!(b.used(crate::limits::Pool::ArrayBuffers), 0);
  }
}
