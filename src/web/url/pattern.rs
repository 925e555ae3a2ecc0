//! URLPattern (https://urlpattern.spec.whatwg.org/): the `urlpattern` crate (the one Deno uses)
//! parses and canonicalizes a pattern into one regular expression per component; url.js compiles
//! those with the isolate's own RegExp (ECMAScript syntax, as the standard says) and matches in JS,
//! so a slow expression is stopped by the runtime's time limits like any other RegExp.
//!
//! Natives:
//!   patternParse(input, baseURL?, ignoreCase) -> [hasRegExpGroups, (pattern, regexp, names[]) x 8]
//!   patternMatchInput(input, baseURL?) -> [protocol, ..., hash] to match, or null (no match)
//! `input` is a string or an array of the URLPatternInit members (INIT_MEMBERS order, each a string
//! or undefined), already converted by Web IDL in url.js.

use super::super::util::{hold_strings, throw_type_error};
use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use urlpattern::quirks::{self, EcmaRegexp, StringOrInit, UrlPatternInit};
use urlpattern::{RegexSyntax, UrlPatternOptions};

/// The init members in the order url.js passes them.
const INIT_MEMBERS: usize = 9; // protocol, username, password, hostname, port, pathname, search, hash, baseURL

/// The strings of `input` and `base` (to charge their Rust copies before making them).
fn strings_of<'s>(scope: &mut v8::PinScope<'s, '_>, input: v8::Local<'s, v8::Value>, base: v8::Local<'s, v8::Value>) -> Vec<v8::Local<'s, v8::Value>> {
  let mut all = vec![input, base];
  if let Ok(arr) = v8::Local::<v8::Array>::try_from(input) {
    for i in 0..arr.length().min(INIT_MEMBERS as u32) {
      if let Some(x) = arr.get_index(scope, i) {
        all.push(x);
      }
    }
  }
  all
}

fn read_input<'a>(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> Option<StringOrInit<'a>> {
  if v.is_string() {
    return Some(StringOrInit::String(Cow::Owned(v.to_rust_string_lossy(scope))));
  }
  let arr = v8::Local::<v8::Array>::try_from(v).ok()?;
  if arr.length() as usize != INIT_MEMBERS {
    return None;
  }
  let mut m: [Option<String>; INIT_MEMBERS] = Default::default();
  for (i, slot) in m.iter_mut().enumerate() {
    let x = arr.get_index(scope, i as u32)?;
    if !x.is_undefined() {
      *slot = Some(x.to_rust_string_lossy(scope));
    }
  }
  let [protocol, username, password, hostname, port, pathname, search, hash, base_url] = m;
  Some(StringOrInit::Init(UrlPatternInit { protocol, username, password, hostname, port, pathname, search, hash, base_url }))
}

fn optional_string(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> Option<String> {
  if v.is_undefined() {
    None
  } else {
    Some(v.to_rust_string_lossy(scope))
  }
}

/// The crate is third-party code given hostile strings (and unwraps inside): a panic in it
/// becomes a TypeError here rather than unwinding into V8.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
  catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err("the pattern could not be parsed".to_owned()))
}

/// The most regular-expression groups times pattern characters a pattern may have. The crate
/// validates the whole component expression once per group (with the `regex` crate), so its
/// time grows with their product, in native code the runtime's time limits cannot interrupt:
/// 2^20 keeps one construction under ~0.3 s; a real pattern is far below it.
const MAX_GROUP_CHARS: usize = 1 << 20;

/// Refuses patterns past `MAX_GROUP_CHARS`, counting every `(` as a group (an upper bound).
fn check_complexity(input: &StringOrInit) -> Result<(), String> {
  let parts: Vec<&str> = match input {
    StringOrInit::String(s) => vec![s],
    StringOrInit::Init(i) => [&i.protocol, &i.username, &i.password, &i.hostname, &i.port, &i.pathname, &i.search, &i.hash]
      .into_iter()
      .filter_map(|m| m.as_deref())
      .collect(),
  };
  let len: usize = parts.iter().map(|s| s.len()).sum();
  let groups: usize = parts.iter().map(|s| s.bytes().filter(|&b| b == b'(').count()).sum();
  if groups.saturating_mul(len) > MAX_GROUP_CHARS {
    return Err(format!(
      "the pattern is too complex ({groups} groups in {len} characters; at most {MAX_GROUP_CHARS} groups × characters): split it into several URLPatterns"
    ));
  }
  Ok(())
}

fn parse(input: StringOrInit, base: Option<&str>, ignore_case: bool) -> Result<quirks::UrlPattern, String> {
  check_complexity(&input)?;
  guarded(|| {
    let init = quirks::process_construct_pattern_input(input, base).map_err(|e| e.to_string())?;
    let options = UrlPatternOptions { ignore_case, regex_syntax: RegexSyntax::EcmaScript };
    quirks::parse_pattern::<EcmaRegexp>(init, options).map_err(|e| e.to_string())
  })
}

pub fn pattern_parse<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let held = strings_of(scope, args.get(0), args.get(1));
  let Some(_held) = hold_strings(scope, &held) else { return };
  let Some(input) = read_input(scope, args.get(0)) else {
    return throw_type_error(scope, "Failed to construct 'URLPattern': invalid input");
  };
  let base = optional_string(scope, args.get(1));
  let p = match parse(input, base.as_deref(), args.get(2).is_true()) {
    Ok(p) => p,
    Err(e) => return throw_type_error(scope, &format!("Failed to construct 'URLPattern': {e}")),
  };
  let mut out: Vec<v8::Local<v8::Value>> = Vec::with_capacity(25);
  out.push(v8::Boolean::new(scope, p.has_regexp_groups).into());
  for c in [&p.protocol, &p.username, &p.password, &p.hostname, &p.port, &p.pathname, &p.search, &p.hash] {
    let (Some(ps), Some(rs)) = (v8::String::new(scope, &c.pattern_string), v8::String::new(scope, &c.regexp_string)) else { return };
    let mut names = Vec::with_capacity(c.group_name_list.len());
    for n in &c.group_name_list {
      let Some(n) = v8::String::new(scope, n) else { return };
      names.push(n.into());
    }
    out.push(ps.into());
    out.push(rs.into());
    out.push(v8::Array::new_with_elements(scope, &names).into());
  }
  rv.set(v8::Array::new_with_elements(scope, &out).into());
}

fn match_input(input: StringOrInit, base: Option<&str>) -> Result<Option<quirks::MatchInput>, String> {
  guarded(|| {
    let Some((processed, _)) = quirks::process_match_input(input, base).map_err(|e| e.to_string())? else {
      return Ok(None);
    };
    Ok(quirks::parse_match_input(processed))
  })
}

pub fn pattern_match_input<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  rv.set_null();
  let held = strings_of(scope, args.get(0), args.get(1));
  let Some(_held) = hold_strings(scope, &held) else { return };
  let Some(input) = read_input(scope, args.get(0)) else {
    return throw_type_error(scope, "URLPattern: invalid input");
  };
  let base = optional_string(scope, args.get(1));
  let values = match match_input(input, base.as_deref()) {
    Ok(Some(v)) => v,
    Ok(None) => return,
    Err(e) => return throw_type_error(scope, &format!("URLPattern: {e}")),
  };
  let mut out: Vec<v8::Local<v8::Value>> = Vec::with_capacity(8);
  for s in [&values.protocol, &values.username, &values.password, &values.hostname, &values.port, &values.pathname, &values.search, &values.hash] {
    let Some(s) = v8::String::new(scope, s) else { return };
    out.push(s.into());
  }
  rv.set(v8::Array::new_with_elements(scope, &out).into());
}

#[cfg(test)]
mod tests {
  use super::*;

  fn parse_str(input: &str, base: Option<&str>) -> Result<quirks::UrlPattern, String> {
    parse(StringOrInit::String(Cow::Borrowed(input)), base, false)
  }

  #[test]
  fn pattern_components_and_regexps() {
    let p = parse_str("https://example.com/books/:id", None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.protocol.pattern_string, "https");
    assert_eq!(p.hostname.pattern_string, "example.com");
    assert_eq!(p.pathname.pattern_string, "/books/:id");
    assert_eq!(p.pathname.group_name_list, vec!["id".to_owned()]);
    assert!(!p.has_regexp_groups);
    let p = parse_str("/a/(\\d+)", Some("https://h/")).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.has_regexp_groups);
    assert_eq!(p.hostname.pattern_string, "h");
  }

  #[test]
  fn bad_patterns_are_errors_not_panics() {
    assert!(parse_str("/books/:id", None).is_err()); // relative without a base
    assert!(parse_str("https://h/(", None).is_err());
    assert!(parse_str("https://h/:", None).is_err());
    assert!(parse_str(&"(".repeat(10_000), Some("https://h/")).is_err());
    assert!(parse_str(&"{".repeat(10_000), Some("https://h/")).is_err());
  }

  #[test]
  fn complexity_is_bounded() {
    // 2000 groups over 8000 characters took seconds in the crate: refused before parsing.
    let e = parse_str(&format!("/{}", "(a)/".repeat(2000)), Some("https://h/")).err().unwrap_or_default();
    assert!(e.contains("too complex"), "{e}");
    assert!(parse_str(&format!("/{}", "(a)/".repeat(200)), Some("https://h/")).is_ok());
  }

  #[test]
  fn match_input_components() {
    let m = match_input(StringOrInit::String(Cow::Borrowed("https://u:p@h:8080/a?q#f")), None).unwrap_or_else(|e| panic!("{e}"));
    let m = m.unwrap_or_else(|| panic!("no match input"));
    assert_eq!(
      [m.protocol, m.username, m.password, m.hostname, m.port, m.pathname, m.search, m.hash],
      ["https", "u", "p", "h", "8080", "/a", "q", "f"].map(String::from)
    );
    assert!(match_input(StringOrInit::String(Cow::Borrowed("/relative")), None).unwrap_or_else(|e| panic!("{e}")).is_none());
  }
}
