//! TextEncoder, TextDecoder (https://encoding.spec.whatwg.org/)
//!
//! Encoding is V8's own UTF-8 writer, straight into the destination. Decoding is `encoding_rs`. A
//! TextDecoder in the middle of a stream (`decode(x, { stream: true })`) keeps its
//! `encoding_rs::Decoder` in the backing store of an ArrayBuffer that only the TextDecoder holds
//! (`util::owner`), charged to the ArrayBuffer limit: the GC frees it with the TextDecoder, during
//! the collection that finds it dead. (A FinalizationRegistry would keep a cell per decoder until
//! its cleanup task runs, which a synchronous loop never lets happen.)

use super::util::{charge_or_trip, owned, owner, throw_range_error, throw_type_error, uint8_array, with_bytes};
use super::{Area, Natives};
use crate::limits::{Charge, Pool};
use encoding_rs::{CoderResult, Decoder, DecoderResult, Encoding};
use v8::MapFnTo;

pub const AREA: Area = Area { name: "encoding", js: include_str!("encoding.js"), natives };

fn natives() -> Natives {
  vec![
    ("encode", encode.map_fn_to()),
    ("encodeInto", encode_into.map_fn_to()),
    ("lookup", lookup.map_fn_to()),
    ("decoderNew", decoder_new.map_fn_to()),
    ("decode", decode.map_fn_to()),
  ]
}

/// A streaming decoder between two `decode` calls (None: none started, or reset after an
/// error), with its charge of the budget.
struct Streaming {
  decoder: Option<Decoder>,
  _charge: Charge,
}

/// What a streaming decoder's handle is charged: the decoder, its cell and V8's backing store.
const STREAMING_BYTES: usize = 256;

/// https://encoding.spec.whatwg.org/#concept-encoding-get, minus "replacement" (which
/// TextDecoder refuses). Returns the encoding's name as TextDecoder's `encoding` reports it.
pub fn lookup_label(label: &str) -> Option<&'static Encoding> {
  let enc = Encoding::for_label(label.as_bytes())?;
  if enc == encoding_rs::REPLACEMENT {
    return None;
  }
  Some(enc)
}

fn encoding_by_name(name: &str) -> Option<&'static Encoding> {
  Encoding::for_label(name.as_bytes())
}

/// The spec's lowercase name (encoding_rs uses the spec's capitalisation, e.g. "Shift_JIS").
fn spec_name(enc: &'static Encoding) -> String {
  enc.name().to_ascii_lowercase()
}

fn new_decoder(enc: &'static Encoding, ignore_bom: bool) -> Decoder {
  // https://encoding.spec.whatwg.org/#dom-textdecoder-decode: a BOM of the decoder's own encoding
  // is skipped unless ignoreBOM; TextDecoder never sniffs another encoding.
  if ignore_bom {
    enc.new_decoder_without_bom_handling()
  } else {
    enc.new_decoder_with_bom_removal()
  }
}

/// Decodes `input` into UTF-16; None if `fatal` and the input is malformed.
fn run_decoder(decoder: &mut Decoder, input: &[u8], last: bool, fatal: bool) -> Option<Vec<u16>> {
  let cap = decoder.max_utf16_buffer_length(input.len()).unwrap_or(input.len().saturating_mul(2) + 16);
  let mut out = vec![0u16; cap];
  let mut read = 0;
  let mut written = 0;
  loop {
    if fatal {
      let (result, r, w) = decoder.decode_to_utf16_without_replacement(&input[read..], &mut out[written..], last);
      read += r;
      written += w;
      match result {
        DecoderResult::InputEmpty => break,
        DecoderResult::Malformed(_, _) => return None,
        DecoderResult::OutputFull => out.resize(out.len() * 2 + 16, 0),
      }
    } else {
      let (result, r, w, _) = decoder.decode_to_utf16(&input[read..], &mut out[written..], last);
      read += r;
      written += w;
      match result {
        CoderResult::InputEmpty => break,
        CoderResult::OutputFull => out.resize(out.len() * 2 + 16, 0),
      }
    }
  }
  out.truncate(written);
  Some(out)
}

fn string_arg(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> String {
  v.to_rust_string_lossy(scope)
}

/// lookup(label) -> the encoding's name, or undefined.
fn lookup<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let label = string_arg(scope, args.get(0));
  if let Some(enc) = lookup_label(&label) {
    if let Some(s) = v8::String::new(scope, &spec_name(enc)) {
      rv.set(s.into());
    }
  }
}

/// encode(string) -> Uint8Array of its UTF-8 (lone surrogates become U+FFFD).
fn encode<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(s) = args.get(0).to_string(scope) else { return };
  // Checked before the buffer is made (uint8_array counts it once it exists).
  if crate::web::util::hold_strings(scope, &[s.into()]).is_none() {
    return;
  }
  let len = s.utf8_length(scope);
  let mut bytes = vec![0u8; len];
  let written = s.write_utf8_v2(scope, &mut bytes, v8::WriteFlags::kReplaceInvalidUtf8, None);
  bytes.truncate(written);
  if let Some(a) = uint8_array(scope, bytes) {
    rv.set(a.into());
  }
}

/// encodeInto(string, uint8array) -> { read, written }, writing into the array's own memory.
/// https://encoding.spec.whatwg.org/#dom-textencoder-encodeinto
fn encode_into<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(s) = args.get(0).to_string(scope) else { return };
  let Ok(view) = v8::Local::<v8::Uint8Array>::try_from(args.get(1)) else {
    return throw_type_error(scope, "Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
  };
  let (offset, len) = (view.byte_offset(), view.byte_length());
  let mut read = 0usize;
  let mut written = 0usize;
  if len > 0 {
    if let Some(data) = view.get_backing_store().and_then(|store| store.data()) {
      // SAFETY: offset+len lie within the store, kept alive by the view on the stack; V8 writes
      // no more than `len` bytes and runs no JS meanwhile.
      let dest = unsafe { std::slice::from_raw_parts_mut((data.as_ptr() as *mut u8).add(offset), len) };
      written = s.write_utf8_v2(scope, dest, v8::WriteFlags::kReplaceInvalidUtf8, Some(&mut read));
    }
  }
  let obj = v8::Object::new(scope);
  for (k, n) in [("read", read), ("written", written)] {
    let (Some(k), v) = (v8::String::new(scope, k), v8::Number::new(scope, n as f64)) else { return };
    obj.set(scope, k.into(), v.into());
  }
  rv.set(obj.into());
}

/// decoderNew() -> a handle for a streaming decoder (made by the first `decode` with it). Past
/// the memory limit it trips (the runtime ends with MemoryLimitError) and returns undefined.
fn decoder_new<'s>(scope: &mut v8::PinScope<'s, '_>, _args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(charge) = charge_or_trip(scope, Pool::ArrayBuffers, STREAMING_BYTES) else { return };
  rv.set(owner(scope, Streaming { decoder: None, _charge: charge }).into());
}

/// decode(input, name, ignoreBOM, fatal, handle, stream) -> string, or undefined when `input` is
/// not a BufferSource. With no handle (0) it decodes in one shot; otherwise the handle's streaming
/// decoder is used, and kept only while `stream`. Throws a TypeError when `fatal` and the input is
/// malformed (the handle's decoder is then reset).
fn decode<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let input = args.get(0);
  let name = string_arg(scope, args.get(1));
  let ignore_bom = args.get(2).boolean_value(scope);
  let fatal = args.get(3).boolean_value(scope);
  let handle = args.get(4);
  let stream = args.get(5).boolean_value(scope);
  let Some(enc) = encoding_by_name(&name) else { return throw_range_error(scope, "unknown encoding") };
  let mut decoder = owned::<Streaming>(handle).and_then(|h| h.decoder.take()).unwrap_or_else(|| new_decoder(enc, ignore_bom));
  let out = if input.is_undefined() {
    Some(run_decoder(&mut decoder, &[], !stream, fatal))
  } else {
    with_bytes(input, |bytes| run_decoder(&mut decoder, bytes, !stream, fatal))
  };
  let Some(out) = out else { return };
  match out {
    None => {
      // The spec leaves the decoder unusable mid-stream after an error; we start afresh.
      throw_type_error(scope, &format!("The encoded data was not valid for encoding {}", spec_name(enc)))
    }
    Some(units) => {
      if stream {
        if let Some(h) = owned::<Streaming>(handle) {
          h.decoder = Some(decoder);
        }
      }
      if let Some(s) = v8::String::new_from_two_byte(scope, &units, v8::NewStringType::Normal) {
        rv.set(s.into());
      } else {
        throw_range_error(scope, "Invalid string length");
      }
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn labels_follow_the_spec_table() {
    assert_eq!(lookup_label("utf8").map(spec_name).as_deref(), Some("utf-8"));
    assert_eq!(lookup_label("  UTF-8\n").map(spec_name).as_deref(), Some("utf-8"));
    assert_eq!(lookup_label("unicode-1-1-utf-8").map(spec_name).as_deref(), Some("utf-8"));
    assert_eq!(lookup_label("latin1").map(spec_name).as_deref(), Some("windows-1252"));
    assert_eq!(lookup_label("ascii").map(spec_name).as_deref(), Some("windows-1252"));
    assert_eq!(lookup_label("utf-16").map(spec_name).as_deref(), Some("utf-16le"));
    assert_eq!(lookup_label("UTF-16BE").map(spec_name).as_deref(), Some("utf-16be"));
    assert_eq!(lookup_label("sjis").map(spec_name).as_deref(), Some("shift_jis"));
    assert_eq!(lookup_label("x-user-defined").map(spec_name).as_deref(), Some("x-user-defined"));
    assert_eq!(lookup_label("iso-2022-kr"), None, "replacement is refused");
    assert_eq!(lookup_label("utf-7"), None);
    assert_eq!(lookup_label(""), None);
  }

  #[test]
  fn streaming_keeps_a_split_character() {
    let mut d = new_decoder(encoding_rs::UTF_8, false);
    let euro = "€".as_bytes();
    assert_eq!(run_decoder(&mut d, &euro[..1], false, true), Some(vec![]));
    assert_eq!(run_decoder(&mut d, &euro[1..], false, true), Some(vec![0x20ac]));
    // An unfinished character at the end is an error when fatal, U+FFFD otherwise.
    let mut d = new_decoder(encoding_rs::UTF_8, false);
    assert_eq!(run_decoder(&mut d, &euro[..2], true, true), None);
    let mut d = new_decoder(encoding_rs::UTF_8, false);
    assert_eq!(run_decoder(&mut d, &euro[..2], true, false), Some(vec![0xfffd]));
  }

  #[test]
  fn bom_is_skipped_unless_ignored() {
    let bytes = [0xef, 0xbb, 0xbf, b'a'];
    let mut d = new_decoder(encoding_rs::UTF_8, false);
    assert_eq!(run_decoder(&mut d, &bytes, true, false), Some(vec![b'a' as u16]));
    let mut d = new_decoder(encoding_rs::UTF_8, true);
    assert_eq!(run_decoder(&mut d, &bytes, true, false), Some(vec![0xfeff, b'a' as u16]));
    // A UTF-16BE BOM does not switch a UTF-8 decoder.
    let mut d = new_decoder(encoding_rs::UTF_16LE, false);
    assert_eq!(run_decoder(&mut d, &[0xff, 0xfe, b'a', 0], true, false), Some(vec![b'a' as u16]));
  }

  #[test]
  fn output_growth_handles_expanding_encodings() {
    let mut d = new_decoder(encoding_rs::WINDOWS_1252, false);
    let input: Vec<u8> = (0x80..=0xff).collect();
    let out = run_decoder(&mut d, &input, true, false).unwrap();
    assert_eq!(out.len(), input.len());
    assert_eq!(out[0], 0x20ac);
  }
}
