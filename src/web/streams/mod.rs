//! ReadableStream, WritableStream, TransformStream, queuing strategies (https://streams.spec.whatwg.org/),
//! TextEncoderStream/TextDecoderStream (https://encoding.spec.whatwg.org/#interface-mixin-generictransformstream)
//! and CompressionStream/DecompressionStream (https://compression.spec.whatwg.org/).
//!
//! The stream algorithms are the vendored web-streams-polyfill (web-streams-polyfill.js, made by
//! vendor.mjs); streams.js wraps it into the area function. The Rust side is the (de)compression.
//!
//! A codec lives in the backing store of an ArrayBuffer that only streams.js holds, so it is freed
//! with that object by the GC (or earlier by `codecFree`) without any per-runtime table. Output is
//! written into a Uint8Array that JS allocates, so it counts against the isolate's memory limit and
//! a decompression bomb ends in a RangeError, not in unbounded Rust allocations.

use super::util::{throw_type_error, with_bytes};
use super::{Area, Natives};
use flate2::{Compress, Compression, Crc, Decompress, FlushCompress, FlushDecompress, Status};
use std::ffi::c_void;
use v8::MapFnTo;

/// The vendored polyfill is a function expression that streams.js calls as `webStreamsPolyfill`;
/// the prefix has no newline, so line numbers in streams.js stay right.
const JS: &str = concat!(
  "(function (webStreamsPolyfill) { return (",
  include_str!("streams.js"),
  ") })(",
  include_str!("web-streams-polyfill.js"),
  ")\n"
);

pub const AREA: Area = Area { name: "streams", js: JS, natives };

fn natives() -> Natives {
  vec![
    ("codecNew", codec_new.map_fn_to()),
    ("codecPush", codec_push.map_fn_to()),
    ("codecRead", codec_read.map_fn_to()),
    ("codecFree", codec_free.map_fn_to()),
  ]
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Format {
  Gzip,
  Deflate,
  DeflateRaw,
}

#[derive(PartialEq, Debug)]
enum Phase {
  /// Decompressing gzip: waiting for the whole member header.
  Header,
  Body,
  /// Decompressing gzip: waiting for CRC32 and ISIZE.
  Trailer,
  Done,
}

enum Engine {
  Compress(Compress),
  Decompress(Decompress),
}

/// One compressor or decompressor: input is pushed, output is read into caller buffers.
pub struct Codec {
  engine: Engine,
  format: Format,
  phase: Phase,
  input: Vec<u8>,
  pos: usize,
  /// Compressing: bytes to emit before anything else (gzip header, then trailer).
  pending: Vec<u8>,
  crc: Crc,
}

const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

impl Codec {
  pub fn new(format: Format, compress: bool) -> Self {
    let zlib = format == Format::Deflate;
    let (engine, phase, pending) = if compress {
      let pending = if format == Format::Gzip { GZIP_HEADER.to_vec() } else { Vec::new() };
      (Engine::Compress(Compress::new(Compression::default(), zlib)), Phase::Body, pending)
    } else {
      let phase = if format == Format::Gzip { Phase::Header } else { Phase::Body };
      (Engine::Decompress(Decompress::new(zlib)), phase, Vec::new())
    };
    Codec { engine, format, phase, input: Vec::new(), pos: 0, pending, crc: Crc::new() }
  }

  pub fn push(&mut self, bytes: &[u8]) {
    if self.pos > 0 {
      self.input.drain(..self.pos);
      self.pos = 0;
    }
    self.input.extend_from_slice(bytes);
  }

  /// Writes as much output as is available into `out`. With `finishing`, the input is complete:
  /// 0 then means the stream is fully done. Errors are the TypeError messages of the spec's steps.
  pub fn read(&mut self, out: &mut [u8], finishing: bool) -> Result<usize, &'static str> {
    let mut n = 0;
    while n < out.len() {
      let (written, progress) = match self.engine {
        Engine::Compress(_) => self.compress_step(&mut out[n..], finishing),
        Engine::Decompress(_) => self.decompress_step(&mut out[n..])?,
      };
      n += written;
      if !progress {
        break;
      }
    }
    if self.phase == Phase::Done && self.pos < self.input.len() && matches!(self.engine, Engine::Decompress(_)) {
      // https://compression.spec.whatwg.org/#decompress-and-enqueue-a-chunk
      return Err("Junk found after the end of the compressed data.");
    }
    if finishing && n == 0 && self.phase != Phase::Done {
      return Err("The compressed data ended unexpectedly.");
    }
    Ok(n)
  }

  fn compress_step(&mut self, out: &mut [u8], finishing: bool) -> (usize, bool) {
    if !self.pending.is_empty() {
      let k = self.pending.len().min(out.len());
      out[..k].copy_from_slice(&self.pending[..k]);
      self.pending.drain(..k);
      return (k, k > 0);
    }
    let Engine::Compress(z) = &mut self.engine else { return (0, false) };
    if self.phase == Phase::Done || (!finishing && self.pos == self.input.len()) {
      return (0, false);
    }
    let (in0, out0) = (z.total_in(), z.total_out());
    let flush = if finishing { FlushCompress::Finish } else { FlushCompress::None };
    let status = z.compress(&self.input[self.pos..], out, flush);
    let consumed = (z.total_in() - in0) as usize;
    let written = (z.total_out() - out0) as usize;
    if self.format == Format::Gzip {
      self.crc.update(&self.input[self.pos..self.pos + consumed]);
    }
    self.pos += consumed;
    let ended = matches!(status, Ok(Status::StreamEnd));
    if ended {
      self.phase = Phase::Done;
      if self.format == Format::Gzip {
        self.pending.extend_from_slice(&self.crc.sum().to_le_bytes());
        self.pending.extend_from_slice(&self.crc.amount().to_le_bytes());
      }
    }
    (written, written > 0 || consumed > 0 || ended)
  }

  fn decompress_step(&mut self, out: &mut [u8]) -> Result<(usize, bool), &'static str> {
    let avail = &self.input[self.pos..];
    match self.phase {
      Phase::Header => match gzip_header_len(avail)? {
        Some(len) => {
          self.pos += len;
          self.phase = Phase::Body;
          Ok((0, true))
        }
        None => Ok((0, false)),
      },
      Phase::Body => {
        let Engine::Decompress(z) = &mut self.engine else { return Ok((0, false)) };
        let (in0, out0) = (z.total_in(), z.total_out());
        let status = z.decompress(avail, out, FlushDecompress::None).map_err(|_| "The compressed data is invalid.")?;
        let consumed = (z.total_in() - in0) as usize;
        let written = (z.total_out() - out0) as usize;
        self.pos += consumed;
        if self.format == Format::Gzip {
          self.crc.update(&out[..written]);
        }
        let ended = status == Status::StreamEnd;
        if ended {
          self.phase = if self.format == Format::Gzip { Phase::Trailer } else { Phase::Done };
        }
        Ok((written, written > 0 || consumed > 0 || ended))
      }
      Phase::Trailer => {
        if avail.len() < 8 {
          return Ok((0, false));
        }
        let crc = u32::from_le_bytes([avail[0], avail[1], avail[2], avail[3]]);
        let size = u32::from_le_bytes([avail[4], avail[5], avail[6], avail[7]]);
        if crc != self.crc.sum() || size != self.crc.amount() {
          return Err("The gzip data fails its checksum.");
        }
        self.pos += 8;
        self.phase = Phase::Done;
        Ok((0, true))
      }
      Phase::Done => Ok((0, false)),
    }
  }
}

/// The length of a complete gzip member header (RFC 1952 §2.3) at the start of `b`, None if more
/// bytes are needed.
fn gzip_header_len(b: &[u8]) -> Result<Option<usize>, &'static str> {
  const BAD: &str = "The compressed data is not in gzip format.";
  if b.first().is_some_and(|&x| x != 0x1f) || b.get(1).is_some_and(|&x| x != 0x8b) || b.get(2).is_some_and(|&x| x != 8) {
    return Err(BAD);
  }
  if b.len() < 10 {
    return Ok(None);
  }
  let flags = b[3];
  if flags & 0xe0 != 0 {
    return Err(BAD);
  }
  let mut i = 10;
  if flags & 4 != 0 {
    let Some(x) = b.get(i..i + 2) else { return Ok(None) };
    i += 2 + u16::from_le_bytes([x[0], x[1]]) as usize;
  }
  for bit in [8u8, 16] {
    if flags & bit != 0 {
      match b.get(i..).and_then(|rest| rest.iter().position(|&c| c == 0)) {
        Some(z) => i += z + 1,
        None => return Ok(None),
      }
    }
  }
  if flags & 2 != 0 {
    i += 2;
  }
  Ok(if b.len() >= i { Some(i) } else { None })
}

/// What the handle ArrayBuffer's backing store holds. `magic` guards against a wrong buffer.
struct Cell {
  magic: u64,
  codec: Option<Codec>,
}

const MAGIC: u64 = 0x6564_6765_7a6c_6962;

unsafe extern "C" fn drop_cell(data: *mut c_void, _len: usize, _deleter_data: *mut c_void) {
  // SAFETY: `data` is the Box<Cell> leaked in codec_new; V8 calls this once, when the buffer dies.
  drop(unsafe { Box::from_raw(data as *mut Cell) });
}

/// The codec in a handle made by codec_new, if it is one and still alive.
fn cell<'a>(value: v8::Local<v8::Value>) -> Option<&'a mut Cell> {
  let ab = v8::Local::<v8::ArrayBuffer>::try_from(value).ok()?;
  if ab.byte_length() != std::mem::size_of::<Cell>() {
    return None;
  }
  let data = ab.get_backing_store().data()?;
  // SAFETY: only codec_new's buffers reach here from streams.js (user code never sees the natives
  // or the handles); the size and magic checks catch a mistake there. The isolate thread is the
  // only one touching a live cell, and each native borrows it for its own duration only.
  let cell = unsafe { &mut *(data.as_ptr() as *mut Cell) };
  (cell.magic == MAGIC).then_some(cell)
}

/// codecNew(kind) → handle: kind 0..2 compress gzip/deflate/deflate-raw, 3..5 decompress them.
fn codec_new<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let kind = args.get(0).uint32_value(scope).unwrap_or(u32::MAX);
  let format = match kind % 3 {
    0 => Format::Gzip,
    1 => Format::Deflate,
    _ => Format::DeflateRaw,
  };
  if kind > 5 {
    return throw_type_error(scope, "Unsupported compression format");
  }
  let boxed = Box::new(Cell { magic: MAGIC, codec: Some(Codec::new(format, kind < 3)) });
  let len = std::mem::size_of::<Cell>();
  // SAFETY: the pointer is valid for `len` bytes until drop_cell frees it.
  let store = unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(Box::into_raw(boxed) as *mut c_void, len, drop_cell, std::ptr::null_mut()) };
  let ab = v8::ArrayBuffer::with_backing_store(scope, &store.make_shared());
  rv.set(ab.into());
}

/// codecPush(handle, bufferSource) → false if the chunk is not a BufferSource.
fn codec_push<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(Cell { codec: Some(codec), .. }) = cell(args.get(0)) else {
    return throw_type_error(scope, "The stream is closed");
  };
  let ok = with_bytes(args.get(1), |b| codec.push(b)).is_some();
  rv.set(v8::Boolean::new(scope, ok).into());
}

/// codecRead(handle, out: Uint8Array, finishing) → bytes written into `out`; throws a TypeError
/// (and frees the codec) on bad data.
fn codec_read<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(cell) = cell(args.get(0)) else { return throw_type_error(scope, "The stream is closed") };
  let Some(codec) = cell.codec.as_mut() else { return throw_type_error(scope, "The stream is closed") };
  let finishing = args.get(2).is_true();
  let Ok(view) = v8::Local::<v8::Uint8Array>::try_from(args.get(1)) else { return throw_type_error(scope, "bad output buffer") };
  let (offset, len) = (view.byte_offset(), view.byte_length());
  let result = match view.buffer(scope).and_then(|b| b.get_backing_store().data()) {
    // SAFETY: offset+len lie within the buffer, kept alive by `view`; no JS runs meanwhile.
    Some(data) => codec.read(unsafe { std::slice::from_raw_parts_mut((data.as_ptr() as *mut u8).add(offset), len) }, finishing),
    None if len == 0 => Ok(0),
    None => return throw_type_error(scope, "bad output buffer"),
  };
  match result {
    Ok(n) => rv.set(v8::Number::new(scope, n as f64).into()),
    Err(message) => {
      cell.codec = None;
      throw_type_error(scope, message)
    }
  }
}

/// codecFree(handle): drops the codec now rather than at GC (close, error, cancel).
fn codec_free<'s>(_scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s>) {
  if let Some(cell) = cell(args.get(0)) {
    cell.codec = None;
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::io::{Read, Write};

  fn run(codec: &mut Codec, chunks: &[&[u8]], out_size: usize) -> Result<Vec<u8>, &'static str> {
    let mut all = Vec::new();
    let mut buf = vec![0u8; out_size];
    for c in chunks {
      codec.push(c);
      loop {
        let n = codec.read(&mut buf, false)?;
        if n == 0 {
          break;
        }
        all.extend_from_slice(&buf[..n]);
      }
    }
    loop {
      let n = codec.read(&mut buf, true)?;
      if n == 0 {
        break;
      }
      all.extend_from_slice(&buf[..n]);
    }
    Ok(all)
  }

  fn sample() -> Vec<u8> {
    (0..200_000u32).flat_map(|i| format!("line {} {}\n", i, i % 7).into_bytes()).collect()
  }

  #[test]
  fn round_trips_every_format_in_small_pieces() {
    let data = sample();
    for format in [Format::Gzip, Format::Deflate, Format::DeflateRaw] {
      let chunks: Vec<&[u8]> = data.chunks(10_007).collect();
      let packed = run(&mut Codec::new(format, true), &chunks, 4096).unwrap();
      assert!(packed.len() < data.len() / 3);
      let pieces: Vec<&[u8]> = packed.chunks(1).collect();
      let unpacked = run(&mut Codec::new(format, false), &pieces, 1000).unwrap();
      assert_eq!(unpacked, data, "{format:?}");
    }
  }

  #[test]
  fn interoperates_with_flate2_readers_and_writers() {
    let data = sample();
    let gz = run(&mut Codec::new(Format::Gzip, true), &[&data], 65536).unwrap();
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap();
    assert_eq!(back, data);

    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&data).unwrap();
    let z = enc.finish().unwrap();
    assert_eq!(run(&mut Codec::new(Format::Deflate, false), &[&z], 65536).unwrap(), data);

    // A gzip header with FEXTRA, FNAME, FCOMMENT and FHCRC.
    let mut enc = flate2::GzBuilder::new().filename("a.txt").comment("hi").extra(vec![1, 2, 3]).write(Vec::new(), Compression::fast());
    enc.write_all(b"hello").unwrap();
    let mut g = enc.finish().unwrap();
    g[3] |= 2;
    let hcrc_at = 10 + 2 + 3 + 6 + 3;
    g.splice(hcrc_at..hcrc_at, [0u8, 0]);
    let pieces: Vec<&[u8]> = g.chunks(3).collect();
    assert_eq!(run(&mut Codec::new(Format::Gzip, false), &pieces, 7).unwrap(), b"hello");
  }

  #[test]
  fn rejects_bad_truncated_and_trailing_data() {
    let gz = run(&mut Codec::new(Format::Gzip, true), &[b"hello world"], 100).unwrap();
    assert!(run(&mut Codec::new(Format::Gzip, false), &[b"not gzip at all"], 100).is_err());
    assert!(run(&mut Codec::new(Format::Gzip, false), &[&gz[..gz.len() - 1]], 100).is_err());
    assert!(run(&mut Codec::new(Format::Gzip, false), &[&gz[..5]], 100).is_err());
    assert!(run(&mut Codec::new(Format::Gzip, false), &[&gz, b"x"], 100).is_err());
    let mut bad_crc = gz.clone();
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 1;
    assert!(run(&mut Codec::new(Format::Gzip, false), &[&bad_crc], 100).is_err());
    let z = run(&mut Codec::new(Format::Deflate, true), &[b"abc"], 100).unwrap();
    assert!(run(&mut Codec::new(Format::Deflate, false), &[&z[..z.len() - 2]], 100).is_err());
    assert!(run(&mut Codec::new(Format::Deflate, false), &[&z, &[0]], 100).is_err());
    assert!(run(&mut Codec::new(Format::DeflateRaw, false), &[&[0xff, 0xff, 0xff]], 100).is_err());
    assert!(run(&mut Codec::new(Format::DeflateRaw, false), &[], 100).is_err());
    assert_eq!(run(&mut Codec::new(Format::Deflate, false), &[&z], 100).unwrap(), b"abc");
  }

  #[test]
  fn empty_input_compresses_to_a_valid_stream() {
    for format in [Format::Gzip, Format::Deflate, Format::DeflateRaw] {
      let packed = run(&mut Codec::new(format, true), &[], 3).unwrap();
      assert!(!packed.is_empty());
      assert_eq!(run(&mut Codec::new(format, false), &[&packed], 3).unwrap(), b"");
    }
  }
}
