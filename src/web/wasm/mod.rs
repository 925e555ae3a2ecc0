//! Memory V8 takes from its own page allocator: WebAssembly (https://webassembly.github.io/spec/js-api/),
//! resizable ArrayBuffers and growable SharedArrayBuffers (charged at their maxByteLength, see
//! wasm.js), counted against memoryLimitMB.
//!
//! V8 allocates WebAssembly memory with its own page allocator, not through our ArrayBuffer
//! allocator, so `memoryLimitMB` would not cover it. wasm.js wraps every JS API entry point that
//! takes wasm bytes or makes a memory: the bytes go through `clampModule`, which gives each memory
//! the module defines a maximum within the limit, and each Memory or Instance is charged to the
//! runtime's MemoryBudget at its (clamped) **maximum** — reserving the most it may ever use is
//! what keeps the limit; the charge is released when the object is garbage collected (it is held
//! by a token buffer that wasm.js keys by the object in a WeakMap, see `util::owner`).

use super::util::{throw_range_error, with_bytes};
use super::{Area, Natives};
use crate::limits::{MemoryBudget, Pool};
use crate::runtime::State;
use std::sync::Arc;
use v8::MapFnTo;

pub const AREA: Area = Area { name: "wasm", js: include_str!("wasm.js"), natives };

fn natives() -> Natives {
  vec![
    ("clampModule", clamp_module_native.map_fn_to()),
    ("limitPages", limit_pages.map_fn_to()),
    ("tooLarge", too_large.map_fn_to()),
    ("charge", charge.map_fn_to()),
    ("chargeBuffer", charge_buffer.map_fn_to()),
    ("limitMB", limit_mb.map_fn_to()),
  ]
}

const PAGE: u64 = 65536;

/// A module is charged this many times its size for as long as it lives: V8 keeps a copy of the
/// bytes and the code it compiles from them (a few times their size).
const MODULE_FACTOR: usize = 4;

/// A module whose defined memories were clamped.
#[derive(Debug, PartialEq)]
pub struct Clamped {
  pub bytes: Vec<u8>,
  /// Sum of the defined memories' clamped maximum sizes, in bytes.
  pub memory_bytes: u64,
}

/// Rewrites the memory section of `input` so every defined memory has a maximum of at most
/// `max_pages` 64 KiB pages; every other section is copied unchanged. `Ok(None)`: not a module
/// we can parse (V8 will reject it itself). `Err(pages)`: a memory's initial size (in 64 KiB pages,
/// rounded up) is already over the limit.
pub fn clamp_module(input: &[u8], max_pages: u64) -> Result<Option<Clamped>, u64> {
  use wasmparser::{Encoding, Payload};
  let mut out = wasm_encoder::Module::new();
  let mut memory_bytes: u64 = 0;
  let mut ended = false;
  for payload in wasmparser::Parser::new(0).parse_all(input) {
    let Ok(payload) = payload else { return Ok(None) };
    match payload {
      Payload::Version { encoding: Encoding::Module, num: 1, .. } => {}
      Payload::Version { .. } => return Ok(None),
      Payload::MemorySection(reader) => {
        let mut section = wasm_encoder::MemorySection::new();
        for m in reader {
          let Ok(m) = m else { return Ok(None) };
          // Custom page sizes (https://github.com/WebAssembly/custom-page-sizes): 1 B or 64 KiB.
          let log2 = m.page_size_log2.unwrap_or(16);
          if log2 > 16 {
            return Ok(None);
          }
          let per_page = 1u64 << (16 - log2); // this memory's pages per 64 KiB page
          let limit = max_pages.saturating_mul(per_page);
          // The spec's largest memories: 4 GiB for wasm32, 2^48 64 KiB pages for memory64.
          let wasm_max = if m.memory64 { (1u64 << 48).saturating_mul(per_page) } else { 65536 * per_page };
          if m.initial > limit {
            return Err(m.initial.div_ceil(per_page));
          }
          let max = m.maximum.unwrap_or(wasm_max).min(wasm_max).min(limit);
          memory_bytes = memory_bytes.saturating_add(max.saturating_mul(PAGE) / per_page);
          section.memory(wasm_encoder::MemoryType {
            minimum: m.initial,
            maximum: Some(max),
            memory64: m.memory64,
            shared: m.shared,
            page_size_log2: m.page_size_log2,
          });
        }
        out.section(&section);
      }
      Payload::End(_) => ended = true,
      other => {
        if let Some((id, range)) = other.as_section() {
          let (Ok(start), Ok(end)) = (usize::try_from(range.start), usize::try_from(range.end)) else { return Ok(None) };
          let Some(data) = input.get(start..end) else { return Ok(None) };
          out.section(&wasm_encoder::RawSection { id, data });
        }
      }
    }
  }
  if !ended {
    return Ok(None);
  }
  Ok(Some(Clamped { bytes: out.finish(), memory_bytes }))
}

fn budget(scope: &mut v8::PinScope) -> Option<(Arc<MemoryBudget>, f64)> {
  let state = State::get(scope)?;
  let s = state.try_borrow().ok()?;
  Some((s.shared.budget.clone(), s.shared.memory_limit_mb))
}

fn throw_too_large(scope: &mut v8::PinScope, pages: u64) {
  let mb = budget(scope).map(|b| crate::errors::fmt_mb(b.1)).unwrap_or_default();
  throw_range_error(scope, &format!("WebAssembly memory of {pages} pages exceeds memoryLimitMB ({mb} MB)"));
}

/// limitPages() -> the runtime's memory limit in 64 KiB pages.
fn limit_pages<'s>(scope: &mut v8::PinScope<'s, '_>, _args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let pages = budget(scope).map_or(0, |b| b.0.limit_bytes as u64 / PAGE);
  rv.set_double(pages as f64);
}

/// tooLarge(pages): throws the RangeError of a memory whose initial size is over the limit.
fn too_large<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  let pages = args.get(0).number_value(scope).unwrap_or(0.0);
  throw_too_large(scope, if pages.is_finite() && pages > 0.0 { pages as u64 } else { 0 });
}

/// clampModule(bytes, maxPages) -> [Uint8Array, memoryBytes, token], or undefined when `bytes`
/// is not a BufferSource or not a module we can parse (the caller hands it to V8 unchanged). The
/// token holds the module's own charge (`MODULE_FACTOR` × its size, WebAssembly's share of the
/// budget) for wasm.js to tie to the Module; a module that does not fit is a RangeError.
fn clamp_module_native<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let max_pages = args.get(1).number_value(scope).unwrap_or(0.0);
  let max_pages = if max_pages.is_finite() && max_pages > 0.0 { max_pages as u64 } else { 0 };
  let Some(result) = with_bytes(args.get(0), |b| clamp_module(b, max_pages).map(|c| c.map(|c| (c, b.len())))) else { return };
  match result {
    Ok(Some((c, len))) => {
      let Some(charge) = super::util::charge_or_collect(scope, Pool::Wasm, len.saturating_mul(MODULE_FACTOR)) else {
        let mb = budget(scope).map(|b| crate::errors::fmt_mb(b.1)).unwrap_or_default();
        return throw_range_error(scope, &format!("WebAssembly module of {len} bytes exceeds memoryLimitMB ({mb} MB)"));
      };
      let token = super::util::owner(scope, charge);
      let Some(bytes) = super::util::uint8_array(scope, c.bytes) else { return };
      let n = v8::Number::new(scope, c.memory_bytes as f64);
      let triple = v8::Array::new_with_elements(scope, &[bytes.into(), n.into(), token.into()]);
      rv.set(triple.into());
    }
    Ok(None) => {}
    Err(pages) => throw_too_large(scope, pages),
  }
}

/// chargeBuffer(bytes) -> a token holding `bytes` of the ArrayBuffer limit, or undefined when
/// they do not fit even after collecting garbage (the caller throws a RangeError): for resizable
/// ArrayBuffers and growable SharedArrayBuffers, which V8 reserves outside our allocator.
fn charge_buffer<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let bytes = args.get(0).number_value(scope).unwrap_or(0.0);
  let bytes = if bytes.is_finite() && bytes > 0.0 { bytes.min(usize::MAX as f64) as usize } else { 0 };
  if let Some(c) = super::util::charge_or_collect(scope, Pool::ArrayBuffers, bytes) {
    rv.set(super::util::owner(scope, c).into());
  }
}

/// limitMB() -> memoryLimitMB, for messages.
fn limit_mb<'s>(scope: &mut v8::PinScope<'s, '_>, _args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let mb = budget(scope).map(|b| crate::errors::fmt_mb(b.1)).unwrap_or_default();
  if let Some(s) = v8::String::new(scope, &mb) {
    rv.set(s.into());
  }
}

/// charge(bytes) -> a token (an ArrayBuffer that holds the charge) or false: reserves `bytes` of
/// the WebAssembly budget until the token is collected; wasm.js keeps the token in a WeakMap
/// keyed by the charged object, so it lives exactly as long as that object (see
/// `util::owner`). A refusal first collects all garbage (which frees dead tokens at once), then
/// trips the limit: the isolate is terminated and the eval rejects with MemoryLimitError.
fn charge<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let bytes = args.get(0).number_value(scope).unwrap_or(0.0);
  let bytes = if bytes.is_finite() && bytes > 0.0 { bytes.min(usize::MAX as f64) as usize } else { 0 };
  match super::util::charge_or_trip(scope, Pool::Wasm, bytes) {
    Some(c) => rv.set(super::util::owner(scope, c).into()),
    None => rv.set_bool(false),
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use wasm_encoder::{CustomSection, ExportKind, ExportSection, MemorySection, MemoryType, Module, TypeSection};

  fn mem(minimum: u64, maximum: Option<u64>) -> MemoryType {
    MemoryType { minimum, maximum, memory64: false, shared: false, page_size_log2: None }
  }

  /// A module with a type section, the memories, an export and a custom section.
  fn module(memories: &[MemoryType]) -> Vec<u8> {
    let mut m = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], []);
    m.section(&types);
    let mut ms = MemorySection::new();
    for t in memories {
      ms.memory(*t);
    }
    m.section(&ms);
    let mut ex = ExportSection::new();
    ex.export("memory", ExportKind::Memory, 0);
    m.section(&ex);
    m.section(&CustomSection { name: "name".into(), data: b"\x00\x01x".as_slice().into() });
    m.finish()
  }

  fn memories(bytes: &[u8]) -> Vec<wasmparser::MemoryType> {
    let mut out = Vec::new();
    for p in wasmparser::Parser::new(0).parse_all(bytes) {
      if let wasmparser::Payload::MemorySection(r) = p.unwrap() {
        out.extend(r.into_iter().map(|m| m.unwrap()));
      }
    }
    out
  }

  #[test]
  fn a_lower_declared_maximum_is_kept() {
    let c = clamp_module(&module(&[mem(1, Some(4))]), 512).unwrap().unwrap();
    assert_eq!(memories(&c.bytes)[0].maximum, Some(4));
    assert_eq!(c.memory_bytes, 4 * PAGE);
  }

  #[test]
  fn a_higher_declared_maximum_is_clamped_and_no_maximum_gets_one() {
    let c = clamp_module(&module(&[mem(1, Some(65536)), mem(2, None)]), 512).unwrap().unwrap();
    let ms = memories(&c.bytes);
    assert_eq!((ms[0].initial, ms[0].maximum), (1, Some(512)));
    assert_eq!((ms[1].initial, ms[1].maximum), (2, Some(512)));
    assert_eq!(c.memory_bytes, 1024 * PAGE);
  }

  #[test]
  fn memory64_and_shared_memories_are_clamped_too() {
    let m64 = MemoryType { minimum: 1, maximum: None, memory64: true, shared: false, page_size_log2: None };
    let shared = MemoryType { minimum: 1, maximum: Some(1000), memory64: false, shared: true, page_size_log2: None };
    let c = clamp_module(&module(&[m64, shared]), 16).unwrap().unwrap();
    let ms = memories(&c.bytes);
    assert!(ms[0].memory64 && ms[1].shared);
    assert_eq!((ms[0].maximum, ms[1].maximum), (Some(16), Some(16)));
  }

  #[test]
  fn an_initial_size_over_the_limit_is_refused() {
    assert_eq!(clamp_module(&module(&[mem(513, None)]), 512), Err(513));
  }

  #[test]
  fn other_sections_are_byte_identical() {
    let input = module(&[mem(1, None)]);
    let c = clamp_module(&input, 512).unwrap().unwrap();
    let sections = |b: &[u8]| -> Vec<(u8, Vec<u8>)> {
      wasmparser::Parser::new(0)
        .parse_all(b)
        .filter_map(|p| p.unwrap().as_section().map(|(id, r)| (id, b[r.start as usize..r.end as usize].to_vec())))
        .collect()
    };
    let (a, b) = (sections(&input), sections(&c.bytes));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
      if x.0 != 5 {
        assert_eq!(x, y);
      } else {
        assert_ne!(x, y);
      }
    }
    // A module without memories comes back as it was.
    let mut plain = Module::new();
    plain.section(&CustomSection { name: "c".into(), data: b"123".as_slice().into() });
    let plain = plain.finish();
    assert_eq!(clamp_module(&plain, 1).unwrap().unwrap(), Clamped { bytes: plain.clone(), memory_bytes: 0 });
  }

  #[test]
  fn garbage_is_passed_through() {
    assert_eq!(clamp_module(b"not wasm at all", 512), Ok(None));
    assert_eq!(clamp_module(b"", 512), Ok(None));
    let mut truncated = module(&[mem(1, None)]);
    truncated.truncate(truncated.len() - 3);
    assert_eq!(clamp_module(&truncated, 512), Ok(None));
  }
}
