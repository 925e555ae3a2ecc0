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
//! a decompression bomb ends in a RangeError, not in unbounded Rust allocations. Input is read
//! from the chunk itself (never copied), at most `SLICE` bytes per native call, so a giant chunk
//! never keeps the isolate in native code for long: the execution timeout and dispose can stop
//! it between two calls.

use super::util::{charge_or_trip, throw_type_error, with_bytes};
use crate::limits::{Charge, Pool};
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

/// Input a codec consumes per `read` call at most, so that a giant chunk is processed in many
/// short native calls (the isolate can be terminated between them) instead of one long one.
pub const SLICE: usize = 64 * 1024;

/// Where a gzip member header (RFC 1952 §2.3) is, byte by byte: nothing of it is buffered, so a
/// hostile header (a name without its terminating zero) costs no memory.
#[derive(PartialEq, Debug, Clone, Copy)]
enum Header {
  /// The 10 fixed bytes: how many were seen, and the flags.
  Fixed(u8, u8),
  /// FEXTRA's 2-byte length: bytes seen, length so far, flags.
  ExtraLen(u8, u16, u8),
  /// FEXTRA's data: bytes left, flags.
  Extra(u16, u8),
  /// FNAME, then FCOMMENT: up to a zero byte.
  Name(u8),
  Comment(u8),
  /// FHCRC: bytes left.
  Crc(u8),
}

const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

impl Header {
  /// The first part of the header that `flags` enable, from the part `from` on; None: the
  /// header is complete.
  fn next(flags: u8, from: u8) -> Option<Header> {
    for bit in [FEXTRA, FNAME, FCOMMENT, FHCRC] {
      if order(bit) >= order(from) && flags & bit != 0 {
        return Some(match bit {
          FEXTRA => Header::ExtraLen(0, 0, flags),
          FNAME => Header::Name(flags),
          FCOMMENT => Header::Comment(flags),
          _ => Header::Crc(2),
        });
      }
    }
    None
  }
}

/// The order of the optional header parts.
fn order(bit: u8) -> u8 {
  match bit {
    FEXTRA => 0,
    FNAME => 1,
    FCOMMENT => 2,
    _ => 3,
  }
}

/// One compressor or decompressor. The caller hands each chunk to `read` until the chunk is used
/// up; only a gzip trailer's few bytes are ever kept across calls.
pub struct Codec {
  engine: Engine,
  format: Format,
  phase: Phase,
  header: Header,
  /// How much of the current chunk is consumed.
  pos: usize,
  /// Compressing: bytes to emit before anything else (gzip header, then trailer).
  pending: Vec<u8>,
  /// Decompressing gzip: the trailer's bytes so far.
  trailer: Vec<u8>,
  crc: Crc,
}

const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
const NOT_GZIP: &str = "The compressed data is not in gzip format.";

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
    Codec { engine, format, phase, header: Header::Fixed(0, 0), pos: 0, pending, trailer: Vec::new(), crc: Crc::new() }
  }

  /// A new chunk starts: the next `read`s consume it from its start.
  pub fn begin(&mut self) {
    self.pos = 0;
  }

  /// Writes output for `input` (the current chunk, the same one until it is used up) into `out`,
  /// consuming at most `SLICE` bytes of it. Returns the bytes written, and whether to call again
  /// even if that is 0 (the slice ran out before the work did). With `finishing`, the input is
  /// complete: (0, false) then means the stream is fully done. Errors are the TypeError messages
  /// of the spec's steps.
  pub fn read(&mut self, input: &[u8], out: &mut [u8], finishing: bool) -> Result<(usize, bool), &'static str> {
    let mut n = 0;
    let mut used = 0;
    let mut more = false;
    while n < out.len() {
      if used >= SLICE {
        more = true;
        break;
      }
      let end = input.len().min(self.pos.saturating_add(SLICE - used));
      let slice = input.get(self.pos..end).unwrap_or(&[]);
      let last = end >= input.len();
      let (written, consumed, progress) = match self.engine {
        Engine::Compress(_) => self.compress_step(slice, &mut out[n..], finishing && last),
        Engine::Decompress(_) => self.decompress_step(slice, &mut out[n..])?,
      };
      n += written;
      used += consumed;
      self.pos += consumed;
      if !progress {
        break;
      }
    }
    if self.phase == Phase::Done && self.pos < input.len() && matches!(self.engine, Engine::Decompress(_)) {
      // https://compression.spec.whatwg.org/#decompress-and-enqueue-a-chunk
      return Err("Junk found after the end of the compressed data.");
    }
    if finishing && n == 0 && !more && self.phase != Phase::Done {
      return Err("The compressed data ended unexpectedly.");
    }
    Ok((n, more))
  }

  /// (written, consumed, progress)
  fn compress_step(&mut self, input: &[u8], out: &mut [u8], finishing: bool) -> (usize, usize, bool) {
    if !self.pending.is_empty() {
      let k = self.pending.len().min(out.len());
      out[..k].copy_from_slice(&self.pending[..k]);
      self.pending.drain(..k);
      return (k, 0, k > 0);
    }
    let Engine::Compress(z) = &mut self.engine else { return (0, 0, false) };
    if self.phase == Phase::Done || (!finishing && input.is_empty()) {
      return (0, 0, false);
    }
    let (in0, out0) = (z.total_in(), z.total_out());
    let flush = if finishing { FlushCompress::Finish } else { FlushCompress::None };
    let status = z.compress(input, out, flush);
    let consumed = (z.total_in() - in0) as usize;
    let written = (z.total_out() - out0) as usize;
    if self.format == Format::Gzip {
      self.crc.update(&input[..consumed]);
    }
    let ended = matches!(status, Ok(Status::StreamEnd));
    if ended {
      self.phase = Phase::Done;
      if self.format == Format::Gzip {
        self.pending.extend_from_slice(&self.crc.sum().to_le_bytes());
        self.pending.extend_from_slice(&self.crc.amount().to_le_bytes());
      }
    }
    (written, consumed, written > 0 || consumed > 0 || ended)
  }

  /// (written, consumed, progress)
  fn decompress_step(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize, bool), &'static str> {
    match self.phase {
      Phase::Header => {
        let consumed = self.header_step(input)?;
        Ok((0, consumed, consumed > 0))
      }
      Phase::Body => {
        let Engine::Decompress(z) = &mut self.engine else { return Ok((0, 0, false)) };
        let (in0, out0) = (z.total_in(), z.total_out());
        let status = z.decompress(input, out, FlushDecompress::None).map_err(|_| "The compressed data is invalid.")?;
        let consumed = (z.total_in() - in0) as usize;
        let written = (z.total_out() - out0) as usize;
        if self.format == Format::Gzip {
          self.crc.update(&out[..written]);
        }
        let ended = status == Status::StreamEnd;
        if ended {
          self.phase = if self.format == Format::Gzip { Phase::Trailer } else { Phase::Done };
        }
        Ok((written, consumed, written > 0 || consumed > 0 || ended))
      }
      Phase::Trailer => {
        let take = (8 - self.trailer.len()).min(input.len());
        self.trailer.extend_from_slice(&input[..take]);
        if let [a, b, c, d, e, f, g, h] = self.trailer[..] {
          if u32::from_le_bytes([a, b, c, d]) != self.crc.sum() || u32::from_le_bytes([e, f, g, h]) != self.crc.amount() {
            return Err("The gzip data fails its checksum.");
          }
          self.phase = Phase::Done;
          return Ok((0, take, true));
        }
        Ok((0, take, take > 0))
      }
      Phase::Done => Ok((0, 0, false)),
    }
  }

  /// Consumes header bytes from `input`; moves to the body once the header is complete.
  fn header_step(&mut self, input: &[u8]) -> Result<usize, &'static str> {
    let mut i = 0;
    while let Some(&b) = input.get(i) {
      i += 1;
      let next = match self.header {
        Header::Fixed(seen, flags) => {
          let ok = match seen {
            0 => b == 0x1f,
            1 => b == 0x8b,
            2 => b == 8,
            3 => b & 0xe0 == 0,
            _ => true,
          };
          if !ok {
            return Err(NOT_GZIP);
          }
          let flags = if seen == 3 { b } else { flags };
          if seen < 9 {
            Some(Header::Fixed(seen + 1, flags))
          } else {
            Header::next(flags, FEXTRA)
          }
        }
        Header::ExtraLen(0, _, flags) => Some(Header::ExtraLen(1, b as u16, flags)),
        Header::ExtraLen(_, low, flags) => match low | (b as u16) << 8 {
          0 => Header::next(flags, FNAME),
          len => Some(Header::Extra(len, flags)),
        },
        Header::Extra(left, flags) => match left.saturating_sub(1) {
          0 => Header::next(flags, FNAME),
          left => Some(Header::Extra(left, flags)),
        },
        Header::Name(flags) if b == 0 => Header::next(flags, FCOMMENT),
        Header::Comment(flags) if b == 0 => Header::next(flags, FHCRC),
        Header::Name(_) | Header::Comment(_) => Some(self.header),
        Header::Crc(left) => (left > 1).then_some(Header::Crc(left - 1)),
      };
      match next {
        Some(h) => self.header = h,
        None => {
          self.phase = Phase::Body;
          return Ok(i);
        }
      }
    }
    Ok(i)
  }
}

/// What the handle ArrayBuffer's backing store holds. `magic` guards against a wrong buffer.
/// The charge stays until the cell is freed (by the GC with the stream, or when the isolate
/// goes), so codecs count against the memory limit even once `codecFree` dropped theirs.
struct Cell {
  magic: u64,
  codec: Option<Codec>,
  _charge: Charge,
}

/// What a codec is charged to the ArrayBuffer limit: about what zlib allocates for it (a
/// compressor's window, hash chains and pending buffer at the default level; a decompressor's
/// window and tables). The GC does not see this memory, so without the charge a loop of
/// abandoned streams would grow native memory far past the limit before any collection.
const COMPRESS_BYTES: usize = 320 << 10;
const DECOMPRESS_BYTES: usize = 48 << 10;

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
  let cost = if kind < 3 { COMPRESS_BYTES } else { DECOMPRESS_BYTES };
  // Past the limit (after collecting dead streams) the runtime ends with MemoryLimitError.
  let Some(charge) = charge_or_trip(scope, Pool::ArrayBuffers, cost) else { return };
  let boxed = Box::new(Cell { magic: MAGIC, codec: Some(Codec::new(format, kind < 3)), _charge: charge });
  let len = std::mem::size_of::<Cell>();
  // SAFETY: the pointer is valid for `len` bytes until drop_cell frees it.
  let store = unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(Box::into_raw(boxed) as *mut c_void, len, drop_cell, std::ptr::null_mut()) };
  let ab = v8::ArrayBuffer::with_backing_store(scope, &store.make_shared());
  rv.set(ab.into());
}

/// codecPush(handle, bufferSource) → false if the chunk is not a BufferSource. The chunk is not
/// copied: the caller passes it to every `codecRead` until that returns 0.
fn codec_push<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(Cell { codec: Some(codec), .. }) = cell(args.get(0)) else {
    return throw_type_error(scope, "The stream is closed");
  };
  codec.begin();
  let ok = with_bytes(args.get(1), |_| ()).is_some();
  rv.set(v8::Boolean::new(scope, ok).into());
}

/// codecRead(handle, chunk | undefined, out: Uint8Array, finishing) → bytes written into `out`,
/// or -1 when none were but the chunk is not used up yet (call again: each call does a bounded
/// slice of work, `SLICE`); throws a TypeError (and frees the codec) on bad data.
fn codec_read<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s>) {
  let Some(cell) = cell(args.get(0)) else { return throw_type_error(scope, "The stream is closed") };
  let Some(codec) = cell.codec.as_mut() else { return throw_type_error(scope, "The stream is closed") };
  let finishing = args.get(3).is_true();
  let Ok(view) = v8::Local::<v8::Uint8Array>::try_from(args.get(2)) else { return throw_type_error(scope, "bad output buffer") };
  let (offset, len) = (view.byte_offset(), view.byte_length());
  let Some(data) = view.buffer(scope).and_then(|b| b.get_backing_store().data()) else {
    return throw_type_error(scope, "bad output buffer");
  };
  // SAFETY: offset+len lie within the buffer, kept alive by `view`; no JS runs meanwhile. The
  // output buffer is streams.js's own scratch buffer, never the chunk.
  let out = unsafe { std::slice::from_raw_parts_mut((data.as_ptr() as *mut u8).add(offset), len) };
  let chunk = args.get(1);
  let result = if chunk.is_undefined() { Some(codec.read(&[], out, finishing)) } else { with_bytes(chunk, |input| codec.read(input, out, finishing)) };
  match result {
    Some(Ok((0, true))) => rv.set_int32(-1),
    Some(Ok((n, _))) => rv.set(v8::Number::new(scope, n as f64).into()),
    Some(Err(message)) => {
      cell.codec = None;
      throw_type_error(scope, message)
    }
    None => throw_type_error(scope, "The chunk must be an ArrayBuffer or an ArrayBufferView"),
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
      codec.begin();
      loop {
        let (n, more) = codec.read(c, &mut buf, false)?;
        if n == 0 && !more {
          break;
        }
        all.extend_from_slice(&buf[..n]);
      }
    }
    loop {
      let (n, more) = codec.read(&[], &mut buf, true)?;
      if n == 0 && !more {
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
  fn a_large_chunk_is_consumed_a_slice_per_call() {
    // Zeros compress about 1000:1, so without slicing one call would eat the whole chunk.
    let zeros = vec![0u8; 8 * SLICE + 5];
    let mut c = Codec::new(Format::Deflate, true);
    c.begin();
    let mut buf = vec![0u8; 65536];
    let mut calls = 0;
    let mut packed = Vec::new();
    loop {
      let before = c.pos;
      let (n, more) = c.read(&zeros, &mut buf, false).unwrap();
      assert!(c.pos - before <= SLICE, "one call consumed {} bytes", c.pos - before);
      packed.extend_from_slice(&buf[..n]);
      calls += 1;
      if n == 0 && !more {
        break;
      }
    }
    assert!(calls >= 9, "{calls} calls");
    assert_eq!(c.pos, zeros.len());
    loop {
      let (n, more) = c.read(&[], &mut buf, true).unwrap();
      packed.extend_from_slice(&buf[..n]);
      if n == 0 && !more {
        break;
      }
    }
    assert_eq!(run(&mut Codec::new(Format::Deflate, false), &[&packed], 4096).unwrap(), zeros);
    // Decompressing a bomb: each call writes at most the output buffer and reads at most a slice.
    let mut d = Codec::new(Format::Deflate, false);
    d.begin();
    let (n, _) = d.read(&packed, &mut buf, false).unwrap();
    assert!(n <= buf.len() && d.pos <= SLICE);
  }

  #[test]
  fn a_gzip_header_is_parsed_byte_by_byte_without_buffering() {
    // FNAME with 1 MB of name and no terminator yet: nothing is kept.
    let mut c = Codec::new(Format::Gzip, false);
    let mut head = vec![0x1f, 0x8b, 8, FNAME | FEXTRA, 0, 0, 0, 0, 0, 3, 2, 0, 9, 9];
    head.extend(std::iter::repeat_n(b'n', 1 << 20));
    let mut buf = [0u8; 16];
    c.begin();
    loop {
      let (n, more) = c.read(&head, &mut buf, false).unwrap();
      if n == 0 && !more {
        break;
      }
    }
    assert_eq!(c.pos, head.len());
    assert_eq!(c.phase, Phase::Header);
    assert!(c.trailer.is_empty() && c.pending.is_empty());
    assert_eq!(c.header, Header::Name(FNAME | FEXTRA));
    // The terminator, then a deflate body of "hi" and its trailer.
    let body = run(&mut Codec::new(Format::DeflateRaw, true), &[b"hi"], 64).unwrap();
    let mut rest = vec![0u8];
    rest.extend_from_slice(&body);
    let mut crc = Crc::new();
    crc.update(b"hi");
    rest.extend_from_slice(&crc.sum().to_le_bytes());
    rest.extend_from_slice(&2u32.to_le_bytes());
    assert_eq!(run(&mut c, &[&rest], 64).unwrap(), b"hi");
    // A bad first byte is refused at once.
    assert_eq!(run(&mut Codec::new(Format::Gzip, false), &[&[0x1f, 0x8c]], 8), Err(NOT_GZIP));
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

  mod props {
    use super::super::*;
    use proptest::prelude::*;

    /// How `run` ended when it did not end normally.
    #[derive(Debug, PartialEq)]
    enum Stop {
      Error(&'static str),
      /// More read calls than the work can take: a codec that never says it is done.
      Hang,
    }

    /// Feeds `chunks` as streams.js does, with an output buffer whose size cycles through
    /// `outs` (each >= 1), at most `max_calls` read calls in all. Checks that no call reports
    /// more output than its buffer holds.
    fn run(codec: &mut Codec, chunks: &[&[u8]], outs: &[usize], max_calls: usize) -> Result<Vec<u8>, Stop> {
      let mut all = Vec::new();
      let mut calls = 0usize;
      let mut step = |codec: &mut Codec, input: &[u8], finishing: bool, all: &mut Vec<u8>| -> Result<bool, Stop> {
        let size = outs[calls % outs.len()];
        calls += 1;
        if calls > max_calls {
          return Err(Stop::Hang);
        }
        let mut buf = vec![0u8; size];
        let (n, more) = codec.read(input, &mut buf, finishing).map_err(Stop::Error)?;
        assert!(n <= size, "{n} bytes reported written into a {size}-byte buffer");
        all.extend_from_slice(&buf[..n]);
        Ok(n > 0 || more)
      };
      for c in chunks {
        codec.begin();
        while step(codec, c, false, &mut all)? {}
      }
      while step(codec, &[], true, &mut all)? {}
      Ok(all)
    }

    fn split<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
      let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
      points.sort_unstable();
      let mut out = Vec::new();
      let mut from = 0;
      for p in points {
        out.push(&data[from..p]);
        from = p;
      }
      out.push(&data[from..]);
      out
    }

    fn format() -> impl Strategy<Value = Format> {
      prop_oneof![Just(Format::Gzip), Just(Format::Deflate), Just(Format::DeflateRaw)]
    }

    /// Random bytes, or text-like runs that compress well (long matches, many blocks).
    fn data() -> impl Strategy<Value = Vec<u8>> {
      prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..3000),
        proptest::collection::vec((any::<u8>(), 1usize..300), 0..40)
          .prop_map(|runs| runs.into_iter().flat_map(|(b, n)| std::iter::repeat_n(b % 4 + b'a', n)).collect()),
      ]
    }

    fn cuts() -> impl Strategy<Value = Vec<usize>> {
      proptest::collection::vec(any::<usize>(), 0..12)
    }

    fn outs() -> impl Strategy<Value = Vec<usize>> {
      proptest::collection::vec(1usize..80, 1..6)
    }

    /// Calls enough for any honest run: one byte of output or input per call at worst.
    fn budget(bytes: usize) -> usize {
      4 * bytes + 200
    }

    fn pack(format: Format, data: &[u8]) -> Vec<u8> {
      run(&mut Codec::new(format, true), &[data], &[4096], budget(data.len())).unwrap_or_default()
    }

    proptest! {
      #![proptest_config(ProptestConfig::with_cases(256))]

      #[test]
      fn data_round_trips_whatever_the_chunking_and_buffer_sizes(
        format in format(), data in data(), cuts_in in cuts(), outs_in in outs(), cuts_out in cuts(), outs_out in outs(),
      ) {
        let packed = run(&mut Codec::new(format, true), &split(&data, &cuts_in), &outs_in, budget(data.len() + 100));
        let packed = packed.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let unpacked = run(&mut Codec::new(format, false), &split(&packed, &cuts_out), &outs_out, budget(data.len() + packed.len()));
        prop_assert_eq!(unpacked, Ok(data));
      }

      #[test]
      fn arbitrary_bytes_end_in_output_or_an_error_never_a_panic_or_hang(
        format in format(), bytes in proptest::collection::vec(any::<u8>(), 0..600), cuts in cuts(), outs in outs(),
      ) {
        // Random bytes rarely get past a header: also try them after a valid one.
        let mut prefixed = match format {
          Format::Gzip => GZIP_HEADER.to_vec(),
          Format::Deflate => vec![0x78, 0x9c],
          Format::DeflateRaw => Vec::new(),
        };
        prefixed.extend_from_slice(&bytes);
        for input in [&bytes, &prefixed] {
          // A deflate stream expands at most ~1032:1, so its output bounds the calls.
          let r = run(&mut Codec::new(format, false), &split(input, &cuts), &outs, budget(input.len() * 1100));
          prop_assert!(r != Err(Stop::Hang), "{:?} did not end", format);
        }
      }

      #[test]
      fn a_truncated_stream_ends_in_an_error(
        format in format(), data in data(), cut in any::<usize>(), cuts in cuts(), outs in outs(),
      ) {
        let packed = pack(format, &data);
        let short = &packed[..cut % packed.len()];
        let r = run(&mut Codec::new(format, false), &split(short, &cuts), &outs, budget(data.len() + packed.len()));
        prop_assert!(matches!(r, Err(Stop::Error(_))), "{:?} cut to {} of {} bytes: {:?}", format, short.len(), packed.len(), r.map(|v| v.len()));
      }

      #[test]
      fn a_stream_with_trailing_bytes_is_refused(
        format in format(), data in data(), junk in proptest::collection::vec(any::<u8>(), 1..8), outs in outs(),
      ) {
        let mut packed = pack(format, &data);
        packed.extend_from_slice(&junk);
        let r = run(&mut Codec::new(format, false), &[&packed], &outs, budget(data.len() + packed.len()));
        prop_assert!(matches!(r, Err(Stop::Error(_))), "{:?}: {:?}", format, r.map(|v| v.len()));
      }
    }
  }
}
