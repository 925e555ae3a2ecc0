//! URL, URLSearchParams (https://url.spec.whatwg.org/), backed by the `url` crate
//!
//! The JS side keeps each URL as its components (one array, see `COMPONENTS`); every parse or
//! setter crosses once and returns the whole array, so getters never call Rust. Its order (url.js
//! indexes it): href, origin, protocol, username, password, host, hostname, port, pathname, search,
//! hash.

use super::util::throw_type_error;
use super::{Area, Natives};
use url::{form_urlencoded, quirks, Url};
use v8::MapFnTo;

mod pattern;

pub const AREA: Area = Area { name: "url", js: include_str!("url.js"), natives };

fn natives() -> Natives {
  vec![
    ("parse", parse.map_fn_to()),
    ("set", set.map_fn_to()),
    ("parseQuery", parse_query.map_fn_to()),
    ("serializeQuery", serialize_query.map_fn_to()),
    ("domainToASCII", domain_to_ascii.map_fn_to()),
    ("patternParse", pattern::pattern_parse.map_fn_to()),
    ("patternMatchInput", pattern::pattern_match_input.map_fn_to()),
  ]
}


/// https://url.spec.whatwg.org/#api-url-parser
pub fn parse_url(input: &str, base: Option<&str>) -> Option<Url> {
  let base = match base {
    Some(b) => Some(Url::parse(b).ok()?),
    None => None,
  };
  Url::options().base_url(base.as_ref()).parse(input).ok()
}

pub fn components(url: &Url) -> [String; 11] {
  [
    quirks::href(url).to_owned(),
    quirks::origin(url),
    quirks::protocol(url).to_owned(),
    quirks::username(url).to_owned(),
    quirks::password(url).to_owned(),
    quirks::host(url).to_owned(),
    quirks::hostname(url).to_owned(),
    quirks::port(url).to_owned(),
    quirks::pathname(url).to_owned(),
    quirks::search(url).to_owned(),
    quirks::hash(url).to_owned(),
  ]
}

/// Setter ids of `set`, the index of the component they set where they have a setter; QUERY is what
/// URLSearchParams' update steps do (https://url.spec.whatwg.org/#concept-urlsearchparams-update).
const SET_PROTOCOL: u32 = 2;
const SET_USERNAME: u32 = 3;
const SET_PASSWORD: u32 = 4;
const SET_HOST: u32 = 5;
const SET_HOSTNAME: u32 = 6;
const SET_PORT: u32 = 7;
const SET_PATHNAME: u32 = 8;
const SET_SEARCH: u32 = 9;
const SET_HASH: u32 = 10;
const SET_QUERY: u32 = 11;

/// Applies a setter the way the URL standard's setters do: a value that does not parse leaves
/// the URL as it was.
pub fn apply_setter(url: &mut Url, which: u32, value: &str) {
  // A setter given a value it cannot use leaves the URL as it was (the spec's "return").
  let _ = match which {
    SET_PROTOCOL => quirks::set_protocol(url, value),
    SET_USERNAME => quirks::set_username(url, value),
    SET_PASSWORD => quirks::set_password(url, value),
    SET_HOST => quirks::set_host(url, value),
    SET_HOSTNAME => quirks::set_hostname(url, value),
    SET_PORT => quirks::set_port(url, value),
    SET_PATHNAME => {
      quirks::set_pathname(url, value);
      Ok(())
    }
    SET_SEARCH => {
      quirks::set_search(url, value);
      Ok(())
    }
    SET_HASH => {
      quirks::set_hash(url, value);
      Ok(())
    }
    SET_QUERY => {
      url.set_query(if value.is_empty() { None } else { Some(value) });
      Ok(())
    }
    _ => Ok(()),
  };
}

fn components_array<'s>(scope: &mut v8::PinScope<'s, '_>, url: &Url) -> Option<v8::Local<'s, v8::Array>> {
  let parts = components(url);
  let mut values: Vec<v8::Local<v8::Value>> = Vec::with_capacity(parts.len());
  for p in &parts {
    values.push(v8::String::new(scope, p)?.into());
  }
  Some(v8::Array::new_with_elements(scope, &values))
}

/// parse(input, base?) -> components, or undefined when it is not a valid URL.
fn parse<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(_held) = crate::web::util::hold_strings(scope, &[args.get(0), args.get(1)]) else { return };
  let input = args.get(0).to_rust_string_lossy(scope);
  let base = args.get(1);
  let base = if base.is_undefined() { None } else { Some(base.to_rust_string_lossy(scope)) };
  if let Some(url) = parse_url(&input, base.as_deref()) {
    if let Some(a) = components_array(scope, &url) {
      rv.set(a.into());
    }
  }
}

/// set(href, which, value) -> components after the setter.
fn set<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(_held) = crate::web::util::hold_strings(scope, &[args.get(0), args.get(2)]) else { return };
  let href = args.get(0).to_rust_string_lossy(scope);
  let which = args.get(1).uint32_value(scope).unwrap_or(0);
  let value = args.get(2).to_rust_string_lossy(scope);
  let Ok(mut url) = Url::parse(&href) else {
    return throw_type_error(scope, "Invalid URL");
  };
  apply_setter(&mut url, which, &value);
  if let Some(a) = components_array(scope, &url) {
    rv.set(a.into());
  }
}

/// parseQuery(string) -> [name, value, name, value, ...] per
/// https://url.spec.whatwg.org/#concept-urlencoded-parser
fn parse_query<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(_held) = crate::web::util::hold_strings(scope, &[args.get(0)]) else { return };
  let input = args.get(0).to_rust_string_lossy(scope);
  let mut values: Vec<v8::Local<v8::Value>> = Vec::new();
  for (k, v) in form_urlencoded::parse(input.as_bytes()) {
    let (Some(k), Some(v)) = (v8::String::new(scope, &k), v8::String::new(scope, &v)) else { return };
    values.push(k.into());
    values.push(v.into());
  }
  rv.set(v8::Array::new_with_elements(scope, &values).into());
}

/// serializeQuery([name, value, ...]) -> application/x-www-form-urlencoded string.
fn serialize_query<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Ok(list) = v8::Local::<v8::Array>::try_from(args.get(0)) else { return throw_type_error(scope, "expected an array") };
  let mut ser = form_urlencoded::Serializer::new(String::new());
  let n = list.length();
  let mut i = 0;
  while i + 1 < n {
    let (Some(k), Some(v)) = (list.get_index(scope, i), list.get_index(scope, i + 1)) else { return };
    let k = k.to_rust_string_lossy(scope);
    let v = v.to_rust_string_lossy(scope);
    ser.append_pair(&k, &v);
    i += 2;
  }
  if let Some(s) = v8::String::new(scope, &ser.finish()) {
    rv.set(s.into());
  }
}

/// domainToASCII(domain) -> the ASCII form, or '' if invalid (for other areas, e.g. cookies).
fn domain_to_ascii<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let d = args.get(0).to_rust_string_lossy(scope);
  if let Some(s) = v8::String::new(scope, &quirks::domain_to_ascii(&d)) {
    rv.set(s.into());
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn c(input: &str, base: Option<&str>) -> Option<[String; 11]> {
    parse_url(input, base).map(|u| components(&u))
  }

  #[test]
  fn components_are_in_the_js_order() {
    let p = c("https://user:pw@EXAMPLE.com:8080/a/../b?x=1#frag", None).unwrap();
    assert_eq!(
      p,
      [
        "https://user:pw@example.com:8080/b?x=1#frag",
        "https://example.com:8080",
        "https:",
        "user",
        "pw",
        "example.com:8080",
        "example.com",
        "8080",
        "/b",
        "?x=1",
        "#frag"
      ]
      .map(String::from)
    );
  }

  #[test]
  fn relative_resolution_and_failures() {
    assert_eq!(c("../c?q", Some("http://h/a/b/")).unwrap()[0], "http://h/a/c?q");
    assert!(c("/x", None).is_none());
    assert!(c("/x", Some("not a url")).is_none());
    assert!(c("http://[::1", None).is_none());
  }

  #[test]
  fn setters_ignore_invalid_values() {
    let mut u = Url::parse("http://h/p").unwrap();
    apply_setter(&mut u, SET_PORT, "99999");
    assert_eq!(u.as_str(), "http://h/p");
    apply_setter(&mut u, SET_PROTOCOL, "https");
    apply_setter(&mut u, SET_PORT, "443");
    assert_eq!(u.as_str(), "https://h/p");
    apply_setter(&mut u, SET_QUERY, "a=b+c");
    assert_eq!(u.as_str(), "https://h/p?a=b+c");
    apply_setter(&mut u, SET_QUERY, "");
    assert_eq!(u.as_str(), "https://h/p");
    apply_setter(&mut u, SET_HASH, "#x y");
    assert_eq!(u.as_str(), "https://h/p#x%20y");
  }
}
