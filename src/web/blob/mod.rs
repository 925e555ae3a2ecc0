//! Blob, File, FormData (https://w3c.github.io/FileAPI/, https://xhr.spec.whatwg.org/#interface-formdata)
//!
//! The natives do the byte work for blob.js and fetch.js: whole-buffer UTF-8 encode/decode, and
//! parsing multipart/form-data and application/x-www-form-urlencoded bodies.

mod multipart;

use super::util::{throw_type_error, uint8_array, with_bytes};
use super::{Area, Natives};
use v8::MapFnTo;

pub const AREA: Area = Area { name: "blob", js: include_str!("blob.js"), natives };

fn natives() -> Natives {
  vec![
    ("utf8Encode", utf8_encode.map_fn_to()),
    ("utf8Decode", utf8_decode.map_fn_to()),
    ("parseMultipart", parse_multipart.map_fn_to()),
    ("parseUrlencoded", parse_urlencoded.map_fn_to()),
  ]
}

/// utf8Encode(string) → Uint8Array. Lone surrogates become U+FFFD
/// (https://encoding.spec.whatwg.org/#utf-8-encode of a USVString).
fn utf8_encode<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(s) = args.get(0).to_string(scope) else { return };
  // Checked before the copy is made (uint8_array counts it once it exists).
  if crate::web::util::hold_strings(scope, &[s.into()]).is_none() {
    return;
  }
  let bytes = s.to_rust_string_lossy(scope).into_bytes();
  if let Some(a) = uint8_array(scope, bytes) {
    rv.set(a.into());
  }
}

/// utf8Decode(bytes) → string: https://encoding.spec.whatwg.org/#utf-8-decode (BOM stripped,
/// invalid sequences replaced by U+FFFD).
fn utf8_decode<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let s = with_bytes(args.get(0), |b| {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    match std::str::from_utf8(b) {
      Ok(_) => v8::String::new_from_utf8(scope, b, v8::NewStringType::Normal),
      Err(_) => v8::String::new(scope, &String::from_utf8_lossy(b)),
    }
  });
  match s {
    Some(Some(s)) => rv.set(s.into()),
    Some(None) => super::util::throw_range_error(scope, "the body is too large to decode into a string"),
    None => throw_type_error(scope, "expected bytes"),
  }
}

fn string<'s>(scope: &mut v8::PinScope<'s, '_>, s: &str) -> v8::Local<'s, v8::Value> {
  match v8::String::new(scope, s) {
    Some(s) => s.into(),
    None => v8::undefined(scope).into(),
  }
}

/// parseMultipart(bytes, boundary) → [name, value, filename, type, ...] with value a string for
/// fields (filename undefined) or a Uint8Array for files; undefined if the body is malformed.
/// Part bodies are copied once, straight into counted buffers (`util::uint8_array`).
fn parse_multipart<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let boundary = args.get(1).to_rust_string_lossy(scope);
  // No JS runs while the input is borrowed (a GC may, which never moves or frees it).
  let parsed = with_bytes(args.get(0), |b| {
    let Ok(parts) = multipart::parse(b, boundary.as_bytes()) else { return Some(None) };
    let mut out: Vec<v8::Local<v8::Value>> = Vec::with_capacity(parts.len().saturating_mul(4));
    for p in parts {
      out.push(string(scope, &p.name));
      match p.filename {
        Some(filename) => {
          let bytes = uint8_array(scope, p.body.to_vec())?;
          out.push(bytes.into());
          out.push(string(scope, &filename));
          out.push(string(scope, &p.content_type.unwrap_or_else(|| "text/plain".into())));
        }
        None => {
          let text = String::from_utf8_lossy(p.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(p.body)).into_owned();
          out.push(string(scope, &text));
          out.push(v8::undefined(scope).into());
          out.push(v8::undefined(scope).into());
        }
      }
    }
    Some(Some(out))
  });
  match parsed {
    None => throw_type_error(scope, "expected bytes"),
    // Malformed, or over the memory limit (which ends the runtime).
    Some(None) | Some(Some(None)) => {}
    Some(Some(Some(out))) => rv.set(v8::Array::new_with_elements(scope, &out).into()),
  }
}

/// parseUrlencoded(bytes) → [name, value, ...]
/// (https://url.spec.whatwg.org/#concept-urlencoded-parser).
fn parse_urlencoded<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(pairs) = with_bytes(args.get(0), |b| {
    url::form_urlencoded::parse(b).map(|(k, v)| (k.into_owned(), v.into_owned())).collect::<Vec<_>>()
  }) else {
    return throw_type_error(scope, "expected bytes");
  };
  let mut out: Vec<v8::Local<v8::Value>> = Vec::with_capacity(pairs.len() * 2);
  for (k, v) in pairs {
    out.push(string(scope, &k));
    out.push(string(scope, &v));
  }
  rv.set(v8::Array::new_with_elements(scope, &out).into());
}
