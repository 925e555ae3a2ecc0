//! crypto.getRandomValues, crypto.randomUUID, crypto.subtle (https://w3c.github.io/webcrypto/)
//!
//! crypto.js does the WebIDL and algorithm checks; the natives here do the cryptography: ring for
//! hashes, HMAC, PBKDF2, HKDF and the common AES-GCM case; RustCrypto and dalek for the rest
//! (`keys.rs`: key generation and encodings; `ciphers.rs`: AES modes; `asym.rs`: signatures,
//! RSA-OAEP, ECDH/X25519/X448).
//! Key material never enters the JS heap: a CryptoKey holds (in a private field) an owner buffer
//! whose backing store holds the key (`util::owner`), so the key is dropped when the CryptoKey is
//! garbage collected; no table, no weak handles.

mod asym;
mod ciphers;
mod keys;

use self::asym::SignParams;
use self::keys::Key;
use super::util::{charge_or_trip, owned, owner};
use super::util::{copy_bytes, throw_dom_exception, throw_type_error, with_bytes};
use super::{Area, Natives};
use crate::limits::{Charge, Pool};
use crate::runtime::{Later, Shared, State};
use crate::value::Value;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use v8::MapFnTo;

pub const AREA: Area = Area { name: "crypto", js: include_str!("crypto.js"), natives };

fn natives() -> Natives {
  vec![
    ("getRandomValues", get_random_values.map_fn_to()),
    ("randomUUID", random_uuid.map_fn_to()),
    ("digest", digest.map_fn_to()),
    ("b64uEncode", b64u_encode.map_fn_to()),
    ("b64uDecode", b64u_decode.map_fn_to()),
    ("utf8Encode", utf8_encode.map_fn_to()),
    ("copyBytes", copy_bytes_native.map_fn_to()),
    ("utf8Decode", utf8_decode.map_fn_to()),
    ("secretImport", secret_import.map_fn_to()),
    ("secretGenerate", secret_generate.map_fn_to()),
    ("secretExport", secret_export.map_fn_to()),
    ("hmacSign", hmac_sign.map_fn_to()),
    ("hmacVerify", hmac_verify.map_fn_to()),
    ("aesGcm", aes_gcm.map_fn_to()),
    ("aesCbc", aes_cbc.map_fn_to()),
    ("aesCtr", aes_ctr.map_fn_to()),
    ("aesKw", aes_kw.map_fn_to()),
    ("pbkdf2", pbkdf2.map_fn_to()),
    ("hkdf", hkdf.map_fn_to()),
    ("asymGenerate", asym_generate.map_fn_to()),
    ("rsaGenerate", rsa_generate.map_fn_to()),
    ("takeKeys", take_keys.map_fn_to()),
    ("asymImport", asym_import.map_fn_to()),
    ("asymImportJwk", asym_import_jwk.map_fn_to()),
    ("asymExport", asym_export.map_fn_to()),
    ("asymJwk", asym_jwk.map_fn_to()),
    ("keyInfo", key_info.map_fn_to()),
    ("asymSign", asym_sign.map_fn_to()),
    ("asymVerify", asym_verify.map_fn_to()),
    ("rsaOaep", rsa_oaep.map_fn_to()),
    ("deriveBits", derive_bits.map_fn_to()),
  ]
}

// ---------------------------------------------------------------------------------------------
// Errors

#[derive(Debug, PartialEq)]
enum Error {
  /// A DOMException: (name, message).
  Dom(&'static str, String),
  Type(String),
  /// The runtime went away while the work ran: nobody waits for the result.
  Cancelled,
}

type Res<T> = Result<T, Error>;

fn data_err(m: &str) -> Error {
  Error::Dom("DataError", m.into())
}
fn op_err(m: &str) -> Error {
  Error::Dom("OperationError", m.into())
}
fn not_supported(m: &str) -> Error {
  Error::Dom("NotSupportedError", m.into())
}
fn access_err(m: &str) -> Error {
  Error::Dom("InvalidAccessError", m.into())
}

fn throw(scope: &mut v8::PinScope, e: Error) {
  match e {
    Error::Dom(name, m) => throw_dom_exception(scope, &m, name),
    Error::Type(m) => throw_type_error(scope, &m),
    Error::Cancelled => {}
  }
}

/// An error as the value an offloaded operation's promise rejects with; crypto.js turns it back
/// into a DOMException or a TypeError.
fn error_value(e: Error) -> Value {
  let (name, message) = match e {
    Error::Dom(name, m) => (name.to_string(), m),
    Error::Type(m) => ("TypeError".to_string(), m),
    Error::Cancelled => ("OperationError".to_string(), "The operation was cancelled".to_string()),
  };
  Value::Object(vec![("name".into(), Value::String(name)), ("message".into(), Value::String(message))])
}

// ---------------------------------------------------------------------------------------------
// Keys

/// What a key handle owns: the key, and its charge to the runtime's ArrayBuffer limit.
struct KeyCell {
  key: Arc<Key>,
  /// ring's form of a private key, made when it first signs (see `asym::sign_fast`).
  fast: Arc<asym::FastCell>,
  _charge: Charge,
}

/// A new handle (the object a CryptoKey keeps in a private field) owning `key`: an owner buffer
/// (`util::owner`) whose backing store holds the key, so the key is dropped when the CryptoKey is
/// garbage collected. The key material is charged to the ArrayBuffer limit while it lives; past
/// the limit the runtime ends with MemoryLimitError, as for any allocation.
fn new_handle<'s>(scope: &mut v8::PinScope<'s, '_>, key: Key) -> Res<v8::Local<'s, v8::ArrayBuffer>> {
  let Some(charge) = charge_or_trip(scope, Pool::ArrayBuffers, key.size()) else {
    return Err(op_err("the key does not fit in memoryLimitMB"));
  };
  Ok(owner(scope, KeyCell { key: Arc::new(key), fast: Arc::default(), _charge: charge }))
}

fn key_of(_scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> Res<Arc<Key>> {
  owned::<KeyCell>(v).map(|c| c.key.clone()).ok_or_else(|| Error::Type("not a CryptoKey".into()))
}

// ---------------------------------------------------------------------------------------------
// Plain functions on bytes (unit-tested below)

#[derive(Clone, Copy, Debug, PartialEq)]
enum Hash {
  Sha1,
  Sha256,
  Sha384,
  Sha512,
}

impl Hash {
  fn parse(name: &str) -> Res<Hash> {
    match name {
      "SHA-1" => Ok(Hash::Sha1),
      "SHA-256" => Ok(Hash::Sha256),
      "SHA-384" => Ok(Hash::Sha384),
      "SHA-512" => Ok(Hash::Sha512),
      _ => Err(not_supported("Unrecognized hash algorithm")),
    }
  }
  fn digest_alg(self) -> &'static ring::digest::Algorithm {
    match self {
      Hash::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
      Hash::Sha256 => &ring::digest::SHA256,
      Hash::Sha384 => &ring::digest::SHA384,
      Hash::Sha512 => &ring::digest::SHA512,
    }
  }
  fn hmac_alg(self) -> ring::hmac::Algorithm {
    match self {
      Hash::Sha1 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
      Hash::Sha256 => ring::hmac::HMAC_SHA256,
      Hash::Sha384 => ring::hmac::HMAC_SHA384,
      Hash::Sha512 => ring::hmac::HMAC_SHA512,
    }
  }
  #[cfg(test)]
  fn pbkdf2_alg(self) -> ring::pbkdf2::Algorithm {
    match self {
      Hash::Sha1 => ring::pbkdf2::PBKDF2_HMAC_SHA1,
      Hash::Sha256 => ring::pbkdf2::PBKDF2_HMAC_SHA256,
      Hash::Sha384 => ring::pbkdf2::PBKDF2_HMAC_SHA384,
      Hash::Sha512 => ring::pbkdf2::PBKDF2_HMAC_SHA512,
    }
  }
  fn hkdf_alg(self) -> ring::hkdf::Algorithm {
    match self {
      Hash::Sha1 => ring::hkdf::HKDF_SHA1_FOR_LEGACY_USE_ONLY,
      Hash::Sha256 => ring::hkdf::HKDF_SHA256,
      Hash::Sha384 => ring::hkdf::HKDF_SHA384,
      Hash::Sha512 => ring::hkdf::HKDF_SHA512,
    }
  }
  fn digest(self, data: &[u8]) -> Vec<u8> {
    ring::digest::digest(self.digest_alg(), data).as_ref().to_vec()
  }
}

fn random_bytes(n: usize) -> Res<Vec<u8>> {
  let mut v = vec![0u8; n];
  SystemRandom::new().fill(&mut v).map_err(|_| op_err("the system random generator failed"))?;
  Ok(v)
}

/// https://www.rfc-editor.org/rfc/rfc9562#section-5.4
fn uuid_v4(mut b: [u8; 16]) -> String {
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
  format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// PBKDF2 (RFC 8018 §5.2) with HMAC as the PRF, our own loop over ring's HMAC so that it can
/// stop: `cancel` is checked every `PBKDF2_CHECK` iterations. Bit-identical to ring::pbkdf2
/// (tested below against RFC 6070's vectors and ring itself).
fn pbkdf2_run(hash: Hash, password: &[u8], salt: &[u8], iterations: u32, bytes: usize, cancel: &Cancel) -> Res<Vec<u8>> {
  if iterations == 0 {
    return Err(op_err("iterations must not be zero"));
  }
  let key = ring::hmac::Key::new(hash.hmac_alg(), password);
  let mut out = vec![0u8; bytes];
  let h_len = hash.digest_alg().output_len();
  for (i, block) in out.chunks_mut(h_len).enumerate() {
    // T_i = U_1 ^ U_2 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i)), U_j = PRF(P, U_{j-1}).
    let index = u32::try_from(i + 1).map_err(|_| op_err("The requested length is too large for PBKDF2"))?;
    let mut ctx = ring::hmac::Context::with_key(&key);
    ctx.update(salt);
    ctx.update(&index.to_be_bytes());
    let mut u = ctx.sign();
    let mut t = u.as_ref().to_vec();
    for j in 1..iterations {
      if j % PBKDF2_CHECK == 0 {
        cancel.check()?;
      }
      u = ring::hmac::sign(&key, u.as_ref());
      for (a, b) in t.iter_mut().zip(u.as_ref()) {
        *a ^= b;
      }
    }
    block.copy_from_slice(&t[..block.len()]);
  }
  Ok(out)
}

/// A digest of `data`, a `SLICE` at a time, checking `cancel` between slices.
fn digest_run(hash: Hash, data: &[u8], cancel: &Cancel) -> Res<Vec<u8>> {
  let mut ctx = ring::digest::Context::new(hash.digest_alg());
  for slice in data.chunks(SLICE) {
    cancel.check()?;
    ctx.update(slice);
  }
  Ok(ctx.finish().as_ref().to_vec())
}

/// HMAC of `data` with `key`, a `SLICE` at a time.
fn hmac_run(hash: Hash, key: &[u8], data: &[u8], cancel: &Cancel) -> Res<Vec<u8>> {
  let key = ring::hmac::Key::new(hash.hmac_alg(), key);
  let mut ctx = ring::hmac::Context::with_key(&key);
  for slice in data.chunks(SLICE) {
    cancel.check()?;
    ctx.update(slice);
  }
  Ok(ctx.sign().as_ref().to_vec())
}

/// Whether `sig` is the HMAC of `data`, compared in constant time.
fn hmac_verify_run(hash: Hash, key: &[u8], sig: &[u8], data: &[u8], cancel: &Cancel) -> Res<bool> {
  use subtle::ConstantTimeEq;
  let tag = hmac_run(hash, key, data, cancel)?;
  Ok(tag.len() == sig.len() && bool::from(tag.ct_eq(sig)))
}

struct Len(usize);
impl ring::hkdf::KeyType for Len {
  fn len(&self) -> usize {
    self.0
  }
}

fn hkdf_run(hash: Hash, ikm: &[u8], salt: &[u8], info: &[u8], bytes: usize) -> Res<Vec<u8>> {
  let mut out = vec![0u8; bytes];
  if bytes == 0 {
    return Ok(out);
  }
  let prk = ring::hkdf::Salt::new(hash.hkdf_alg(), salt).extract(ikm);
  let info = [info];
  let okm = prk.expand(&info, Len(bytes)).map_err(|_| op_err("The requested length is too large for HKDF"))?;
  okm.fill(&mut out).map_err(|_| op_err("HKDF failed"))?;
  Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Work off the isolate thread
//
// PBKDF2 always, and digests, HMAC, AES-GCM, signatures and HKDF over more than `INLINE_MAX`
// bytes, run on tokio's blocking threads (the process's one tokio runtime, src/net/) so the isolate
// never sits in native code for long; the result settles a promise on the runtime's loop
// (`Later`). The work checks `Cancel` between slices and stops within milliseconds once its
// runtime is disposed or ends by a limit (an execution timeout too: that disposes the runtime).
// One job per runtime at a time, and at most one per CPU in the process: a script cannot take
// more than its share of the machine. Key generation (P-256, Ed25519, at most 1 MiB of random
// bytes for a secret) is quick and stays inline.

/// Input size past which an operation runs off the isolate thread.
const INLINE_MAX: usize = 64 * 1024;
/// Bytes a sliced operation processes between two checks of its cancellation.
const SLICE: usize = 64 * 1024;
/// PBKDF2 iterations between two checks (a few milliseconds of work).
const PBKDF2_CHECK: u32 = 4096;

/// Tells offloaded work to stop: its runtime is gone (disposed, or ended by a limit).
enum Cancel {
  Never,
  Runtime(Arc<Shared>),
  #[cfg(test)]
  Flag(Arc<std::sync::atomic::AtomicBool>),
}

impl Cancel {
  fn never() -> Self {
    Cancel::Never
  }

  fn check(&self) -> Res<()> {
    let stop = match self {
      Cancel::Never => false,
      Cancel::Runtime(s) => !s.is_alive() || s.budget.exceeded.load(Ordering::Acquire),
      #[cfg(test)]
      Cancel::Flag(f) => f.load(Ordering::Acquire),
    };
    if stop {
      Err(Error::Cancelled)
    } else {
      Ok(())
    }
  }
}

/// What an operation produces.
enum Out {
  Bytes(Vec<u8>),
  Bool(bool),
  /// A generated key pair (private, public): kept in the runtime's `Inbox` until `takeKeys`
  /// makes handles of it on the isolate thread; the promise resolves with its ticket.
  Keys(Box<(Key, Key)>),
}

/// Key pairs generated off the isolate thread, waiting for their CryptoKeys.
#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Waiting>>);

/// The last ticket given, and the pairs waiting by ticket.
#[derive(Default)]
struct Waiting(u64, HashMap<u64, (Key, Key)>);

/// A runtime's queue of offloaded jobs (an isolate slot): one at a time.
struct Jobs(Arc<tokio::sync::Semaphore>);

/// Jobs running in the process at once: one per CPU.
fn cpus() -> Arc<tokio::sync::Semaphore> {
  static CPUS: OnceLock<Arc<tokio::sync::Semaphore>> = OnceLock::new();
  CPUS.get_or_init(|| Arc::new(tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))).clone()
}

/// Runs `job` on a blocking thread; returns the promise of its result.
fn offload<'s>(scope: &mut v8::PinScope<'s, '_>, job: impl FnOnce(&Cancel) -> Res<Out> + Send + 'static) -> Option<v8::Local<'s, v8::Promise>> {
  let shared = State::get(scope)?.try_borrow().ok()?.shared.clone();
  let jobs = match scope.get_slot::<Jobs>() {
    Some(j) => j.0.clone(),
    None => {
      let j = Arc::new(tokio::sync::Semaphore::new(1));
      scope.set_slot(Jobs(j.clone()));
      j
    }
  };
  let inbox = match scope.get_slot::<Inbox>() {
    Some(i) => i.clone(),
    None => {
      let i = Inbox::default();
      scope.set_slot(i.clone());
      i
    }
  };
  let (promise, later) = Later::new(scope)?;
  let Some(rt) = crate::net::tokio() else {
    later.reject(error_value(op_err("the worker threads could not start")));
    return Some(promise);
  };
  rt.spawn(async move {
    let cancel = Cancel::Runtime(shared);
    let (Ok(_turn), Ok(_cpu)) = (jobs.acquire_owned().await, cpus().acquire_owned().await) else { return };
    if cancel.check().is_err() {
      return;
    }
    match tokio::task::spawn_blocking(move || job(&cancel)).await {
      Ok(Ok(Out::Bytes(b))) => later.resolve(Value::ArrayBuffer(b)),
      Ok(Ok(Out::Bool(v))) => later.resolve(Value::Bool(v)),
      Ok(Ok(Out::Keys(pair))) => {
        let ticket = match inbox.0.lock() {
          Ok(mut g) => {
            g.0 += 1;
            let t = g.0;
            g.1.insert(t, *pair);
            t
          }
          Err(_) => return later.reject(error_value(op_err("The operation failed"))),
        };
        later.resolve(Value::Number(ticket as f64))
      }
      // The runtime is gone: nobody waits for the promise.
      Ok(Err(Error::Cancelled)) => {}
      Ok(Err(e)) => later.reject(error_value(e)),
      Err(_) => later.reject(error_value(op_err("The operation failed"))),
    }
  });
  Some(promise)
}

/// Runs `job` over the bytes of `data`: at once when they are few and `always` is false (the
/// result, or a thrown error), else off the isolate thread on a copy of them, charged to the
/// ArrayBuffer limit while the job holds it (a promise).
fn run_job<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  mut rv: v8::ReturnValue<'s>,
  data: v8::Local<'s, v8::Value>,
  always: bool,
  job: impl FnOnce(&[u8], &Cancel) -> Res<Out> + Send + 'static,
) {
  let Some(len) = with_bytes(data, |b| b.len()) else { return throw(scope, Error::Type("Expected a BufferSource".into())) };
  if !always && len <= INLINE_MAX {
    let r = with_bytes(data, |b| job(b, &Cancel::never())).unwrap_or_else(|| Err(Error::Type("Expected a BufferSource".into())));
    return match r {
      Ok(Out::Bytes(b)) => set_buffer(scope, &mut rv, b),
      Ok(Out::Bool(v)) => rv.set_bool(v),
      Ok(Out::Keys(_)) => throw(scope, op_err("keys are generated off the isolate thread")),
      Err(e) => throw(scope, e),
    };
  }
  let Some(charge) = charge_or_trip(scope, Pool::ArrayBuffers, len) else { return };
  let copy = copy_bytes(data).unwrap_or_default();
  let promise = offload(scope, move |cancel| {
    let r = job(&copy, cancel);
    drop((copy, charge));
    r
  });
  if let Some(p) = promise {
    rv.set(p.into());
  }
}

// ---------------------------------------------------------------------------------------------
// Natives

type Args<'s> = v8::FunctionCallbackArguments<'s>;

fn string_arg(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> String {
  if v.is_string() {
    v.to_rust_string_lossy(scope)
  } else {
    String::new()
  }
}

fn hash_arg(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> Res<Hash> {
  let s = string_arg(scope, v);
  Hash::parse(&s)
}

fn bytes_arg(v: v8::Local<v8::Value>) -> Res<Vec<u8>> {
  copy_bytes(v).ok_or_else(|| Error::Type("Expected a BufferSource".into()))
}

fn u32_arg(v: v8::Local<v8::Value>) -> u32 {
  v8::Local::<v8::Uint32>::try_from(v).map(|n| n.value()).unwrap_or(0)
}

fn set_buffer<'s>(scope: &mut v8::PinScope<'s, '_>, rv: &mut v8::ReturnValue<'s>, bytes: Vec<u8>) {
  if let Some(ab) = super::util::array_buffer(scope, bytes) {
    rv.set(ab.into());
  }
}

/// Runs `f`; an Ok ArrayBuffer result is returned, an error thrown.
fn buffer_result<'s>(scope: &mut v8::PinScope<'s, '_>, mut rv: v8::ReturnValue<'s>, r: Res<Vec<u8>>) {
  match r {
    Ok(b) => set_buffer(scope, &mut rv, b),
    Err(e) => throw(scope, e),
  }
}

fn handle_result<'s>(scope: &mut v8::PinScope<'s, '_>, mut rv: v8::ReturnValue<'s>, r: Res<Key>) {
  match r.and_then(|k| new_handle(scope, k)) {
    Ok(h) => rv.set(h.into()),
    Err(e) => throw(scope, e),
  }
}

/// https://w3c.github.io/webcrypto/#Crypto-method-getRandomValues
fn get_random_values<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let v = args.get(0);
  let Ok(view) = v8::Local::<v8::ArrayBufferView>::try_from(v) else {
    return throw_type_error(scope, "Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'.");
  };
  let integer = v.is_int8_array()
    || v.is_uint8_array()
    || v.is_uint8_clamped_array()
    || v.is_int16_array()
    || v.is_uint16_array()
    || v.is_int32_array()
    || v.is_uint32_array()
    || v.is_big_int64_array()
    || v.is_big_uint64_array();
  if !integer {
    return throw_dom_exception(scope, "The data is not of an integer typed array type.", "TypeMismatchError");
  }
  // WebIDL: an ArrayBufferView argument without [AllowResizable] may not view a resizable buffer.
  if view.buffer(scope).is_some_and(|b| b.get_backing_store().is_resizable_by_user_javascript()) {
    return throw_type_error(scope, "Failed to execute 'getRandomValues' on 'Crypto': the view's buffer is resizable; pass a view of a fixed-length ArrayBuffer.");
  }
  let len = view.byte_length();
  if len > 65536 {
    let m = format!("The ArrayBufferView's byte length ({len}) exceeds the number of bytes of entropy available via this API (65536).");
    return throw_dom_exception(scope, &m, "QuotaExceededError");
  }
  if len > 0 {
    let Some(data) = view.get_backing_store().and_then(|s| s.data()) else {
      return throw_type_error(scope, "The array's buffer is detached.");
    };
    // SAFETY: offset+len lie within the backing store, kept alive by `view` for this call; no JS
    // runs while the slice exists.
    let bytes = unsafe { std::slice::from_raw_parts_mut((data.as_ptr() as *mut u8).add(view.byte_offset()), len) };
    if SystemRandom::new().fill(bytes).is_err() {
      return throw_dom_exception(scope, "The system random generator failed.", "OperationError");
    }
  }
  rv.set(v);
}

fn random_uuid<'s>(scope: &mut v8::PinScope<'s, '_>, _args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let mut b = [0u8; 16];
  if SystemRandom::new().fill(&mut b).is_err() {
    return throw_dom_exception(scope, "The system random generator failed.", "OperationError");
  }
  if let Some(s) = v8::String::new(scope, &uuid_v4(b)) {
    rv.set(s.into());
  }
}

fn digest<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let h = match hash_arg(scope, args.get(0)) {
    Ok(h) => h,
    Err(e) => return throw(scope, e),
  };
  run_job(scope, rv, args.get(1), false, move |b, c| digest_run(h, b, c).map(Out::Bytes))
}

fn b64u_encode<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let s = with_bytes(args.get(0), |b| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)).unwrap_or_default();
  if let Some(s) = v8::String::new(scope, &s) {
    rv.set(s.into());
  }
}

/// base64url without padding (RFC 7515 §2); undefined if `s` is not that.
fn b64u_decode<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  // The Rust copy is charged before it is made (a JWK member may be a huge string).
  let Some(_held) = crate::web::util::hold_strings(scope, &[args.get(0)]) else { return };
  let s = string_arg(scope, args.get(0));
  if let Ok(b) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')) {
    set_buffer(scope, &mut rv, b);
  }
}

/// copyBytes(bufferSource) → a new ArrayBuffer with its bytes (the spec copies every buffer it
/// is given, before anything else can change it), charged like every ArrayBuffer.
fn copy_bytes_native<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let v = args.get(0);
  let Some(len) = with_bytes(v, |b| b.len()) else { return throw_type_error(scope, "Expected a BufferSource") };
  let Some(charge) = charge_or_trip(scope, Pool::ArrayBuffers, len) else { return };
  let copy = copy_bytes(v).unwrap_or_default();
  drop(charge);
  set_buffer(scope, &mut rv, copy);
}

/// For wrapKey/unwrapKey of JWKs (JSON text as UTF-8).
fn utf8_encode<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  if crate::web::util::hold_strings(scope, &[args.get(0)]).is_none() {
    return;
  }
  let s = string_arg(scope, args.get(0));
  set_buffer(scope, &mut rv, s.into_bytes());
}

fn utf8_decode<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let s = with_bytes(args.get(0), |b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
  if let Some(s) = v8::String::new(scope, &s) {
    rv.set(s.into());
  }
}

fn secret_import<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = bytes_arg(args.get(0)).map(Key::Secret);
  handle_result(scope, rv, r)
}

fn secret_generate<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = random_bytes(u32_arg(args.get(0)) as usize).map(Key::Secret);
  handle_result(scope, rv, r)
}

fn secret_of(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> Res<Arc<Key>> {
  let k = key_of(scope, v)?;
  match *k {
    Key::Secret(_) => Ok(k),
    _ => Err(access_err("not a secret key")),
  }
}

fn secret_bytes(k: &Key) -> &[u8] {
  match k {
    Key::Secret(b) => b,
    _ => &[],
  }
}

fn secret_export<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = secret_of(scope, args.get(0)).map(|k| secret_bytes(&k).to_vec());
  buffer_result(scope, rv, r)
}

fn hmac_sign<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = secret_of(scope, args.get(0)).and_then(|k| Ok((k, hash_arg(scope, args.get(1))?)));
  match r {
    Ok((k, h)) => run_job(scope, rv, args.get(2), false, move |b, c| hmac_run(h, secret_bytes(&k), b, c).map(Out::Bytes)),
    Err(e) => throw(scope, e),
  }
}

fn hmac_verify<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let k = secret_of(scope, args.get(0))?;
    let h = hash_arg(scope, args.get(1))?;
    Ok((k, h, bytes_arg(args.get(2))?))
  })();
  match r {
    Ok((k, h, sig)) => run_job(scope, rv, args.get(3), false, move |b, c| hmac_verify_run(h, secret_bytes(&k), &sig, b, c).map(Out::Bool)),
    Err(e) => throw(scope, e),
  }
}

/// aesGcm(key, encrypt, iv, additionalData | undefined, tagLengthInBits, data)
fn aes_gcm<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let k = secret_of(scope, args.get(0))?;
    let iv = bytes_arg(args.get(2))?;
    let aad = if args.get(3).is_undefined() { Vec::new() } else { bytes_arg(args.get(3))? };
    Ok((k, iv, aad))
  })();
  let encrypt = args.get(1).is_true();
  let tag = (u32_arg(args.get(4)) / 8) as usize;
  match r {
    Ok((k, iv, aad)) => run_job(scope, rv, args.get(5), false, move |b, c| ciphers::gcm(secret_bytes(&k), encrypt, &iv, &aad, tag, b, c).map(Out::Bytes)),
    Err(e) => throw(scope, e),
  }
}

/// aesCbc(key, encrypt, iv, data)
fn aes_cbc<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| Ok((secret_of(scope, args.get(0))?, bytes_arg(args.get(2))?)))();
  let encrypt = args.get(1).is_true();
  match r {
    Ok((k, iv)) => run_job(scope, rv, args.get(3), false, move |b, c| {
      c.check()?;
      ciphers::cbc(secret_bytes(&k), encrypt, &iv, b).map(Out::Bytes)
    }),
    Err(e) => throw(scope, e),
  }
}

/// aesCtr(key, counter, lengthInBits, data)
fn aes_ctr<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| Ok((secret_of(scope, args.get(0))?, bytes_arg(args.get(1))?)))();
  let length = u32_arg(args.get(2));
  match r {
    Ok((k, counter)) => run_job(scope, rv, args.get(3), false, move |b, c| ciphers::ctr(secret_bytes(&k), &counter, length, b, c).map(Out::Bytes)),
    Err(e) => throw(scope, e),
  }
}

/// aesKw(key, wrap, data)
fn aes_kw<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let wrap = args.get(1).is_true();
  match secret_of(scope, args.get(0)) {
    Ok(k) => run_job(scope, rv, args.get(2), false, move |b, c| {
      c.check()?;
      ciphers::kw(secret_bytes(&k), wrap, b).map(Out::Bytes)
    }),
    Err(e) => throw(scope, e),
  }
}

/// pbkdf2(key, hash, salt, iterations, lengthInBits)
fn pbkdf2<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let k = secret_of(scope, args.get(0))?;
    Ok((k, hash_arg(scope, args.get(1))?))
  })();
  let (iterations, bytes) = (u32_arg(args.get(3)), (u32_arg(args.get(4)) / 8) as usize);
  match r {
    // Always off the isolate thread: its cost is the iterations', not the input's.
    Ok((k, h)) => run_job(scope, rv, args.get(2), true, move |salt, c| pbkdf2_run(h, secret_bytes(&k), salt, iterations, bytes, c).map(Out::Bytes)),
    Err(e) => throw(scope, e),
  }
}

/// hkdf(key, hash, salt, info, lengthInBits)
fn hkdf<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let k = secret_of(scope, args.get(0))?;
    let h = hash_arg(scope, args.get(1))?;
    Ok((k, h, bytes_arg(args.get(3))?))
  })();
  let bytes = (u32_arg(args.get(4)) / 8) as usize;
  match r {
    Ok((k, h, info)) => {
      // Its cost is reading the key (extract), the salt and the info (expand, up to 255 times).
      let big = secret_bytes(&k).len().saturating_add(info.len().saturating_mul(255)) > INLINE_MAX;
      run_job(scope, rv, args.get(2), big, move |salt, c| {
        c.check()?;
        hkdf_run(h, secret_bytes(&k), salt, &info, bytes).map(Out::Bytes)
      })
    }
    Err(e) => throw(scope, e),
  }
}

/// An array of handles [private, public].
fn pair_result<'s>(scope: &mut v8::PinScope<'s, '_>, mut rv: v8::ReturnValue<'s>, r: Res<(Key, Key)>) {
  let r = r.and_then(|(private, public)| {
    let a = new_handle(scope, private)?;
    let b = new_handle(scope, public)?;
    Ok(v8::Array::new_with_elements(scope, &[a.into(), b.into()]))
  });
  match r {
    Ok(a) => rv.set(a.into()),
    Err(e) => throw(scope, e),
  }
}

/// asymGenerate(curve) → [privateHandle, publicHandle] (EC and OKP keys: quick, inline)
fn asym_generate<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let kind = string_arg(scope, args.get(0));
  let r = keys::generate(&kind);
  pair_result(scope, rv, r)
}

/// rsaGenerate(modulusLength, publicExponent) → a promise of a ticket for `takeKeys`: RSA key
/// generation runs off the isolate thread and stops with the runtime.
fn rsa_generate<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let bits = u32_arg(args.get(0)) as usize;
  let e = match bytes_arg(args.get(1)) {
    Ok(e) => e,
    Err(e) => return throw(scope, e),
  };
  if let Some(p) = offload(scope, move |c| keys::rsa_generate(bits, &e, c).map(|pair| Out::Keys(Box::new(pair)))) {
    rv.set(p.into());
  }
}

/// takeKeys(ticket) → [privateHandle, publicHandle]
fn take_keys<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let ticket = args.get(0).number_value(scope).unwrap_or(0.0) as u64;
  let pair = scope.get_slot::<Inbox>().and_then(|i| i.0.lock().ok().and_then(|mut g| g.1.remove(&ticket)));
  let r = pair.ok_or_else(|| op_err("The generated key is gone"));
  pair_result(scope, rv, r)
}

/// asymImport(kind, format, bytes): kind is 'RSA' or a curve name.
fn asym_import<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let kind = string_arg(scope, args.get(0));
  let format = string_arg(scope, args.get(1));
  let r = bytes_arg(args.get(2)).and_then(|b| keys::import(&kind, &format, &b));
  handle_result(scope, rv, r)
}

/// asymImportJwk(kind, members): members an array of ArrayBuffers or undefined, in the order
/// of `keys::import_jwk`.
fn asym_import_jwk<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let kind = string_arg(scope, args.get(0));
  let mut members = Vec::new();
  if let Ok(a) = v8::Local::<v8::Array>::try_from(args.get(1)) {
    for i in 0..a.length().min(8) {
      let v = a.get_index(scope, i);
      members.push(v.and_then(copy_bytes));
    }
  }
  let r = keys::import_jwk(&kind, &members);
  handle_result(scope, rv, r)
}

fn asym_export<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let format = string_arg(scope, args.get(1));
  let r = key_of(scope, args.get(0)).and_then(|k| keys::export(&k, &format));
  buffer_result(scope, rv, r)
}

/// asymJwk(handle) → the JWK members as base64url strings ("" when absent).
fn asym_jwk<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let r = key_of(scope, args.get(0)).and_then(|k| keys::jwk_parts(&k));
  match r {
    Ok(parts) => {
      let mut out = Vec::with_capacity(parts.len());
      for p in parts {
        let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(p);
        let Some(s) = v8::String::new(scope, &s) else { return };
        out.push(s.into());
      }
      rv.set(v8::Array::new_with_elements(scope, &out).into());
    }
    Err(e) => throw(scope, e),
  }
}

/// keyInfo(handle) → [isPrivate, curve name | 'RSA', modulusLength, publicExponent]
fn key_info<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let k = match key_of(scope, args.get(0)) {
    Ok(k) => k,
    Err(e) => return throw(scope, e),
  };
  let private = v8::Boolean::new(scope, k.is_private()).into();
  let mut out: Vec<v8::Local<v8::Value>> = vec![private];
  if let Some((bits, e)) = k.rsa_info() {
    let (Some(kind), Some(e)) = (v8::String::new(scope, "RSA"), super::util::array_buffer(scope, e)) else { return };
    out.push(kind.into());
    out.push(v8::Number::new(scope, bits as f64).into());
    out.push(e.into());
  } else if let Some(c) = k.curve() {
    let name = match c {
      keys::Curve::P256 => "P-256",
      keys::Curve::P384 => "P-384",
      keys::Curve::P521 => "P-521",
      keys::Curve::Ed25519 => "Ed25519",
      keys::Curve::X25519 => "X25519",
      keys::Curve::Ed448 => "Ed448",
      keys::Curve::X448 => "X448",
    };
    let Some(name) = v8::String::new(scope, name) else { return };
    out.push(name.into());
  }
  rv.set(v8::Array::new_with_elements(scope, &out).into());
}

/// The parameters of asymSign/asymVerify: (scheme, hash | undefined, saltLength | context).
fn sign_params(scope: &mut v8::PinScope, scheme: v8::Local<v8::Value>, hash: v8::Local<v8::Value>, param: v8::Local<v8::Value>) -> Res<SignParams> {
  let scheme = string_arg(scope, scheme);
  Ok(match scheme.as_str() {
    "RSASSA-PKCS1-v1_5" => SignParams::Pkcs1(hash_arg(scope, hash)?),
    "RSA-PSS" => SignParams::Pss(hash_arg(scope, hash)?, u32_arg(param) as usize),
    "ECDSA" => SignParams::Ecdsa(hash_arg(scope, hash)?),
    "Ed25519" => SignParams::Ed25519,
    "Ed448" => SignParams::Ed448(if param.is_undefined() { Vec::new() } else { bytes_arg(param)? }),
    _ => return Err(not_supported("Unsupported signature algorithm")),
  })
}

/// RSA private-key operations always run off the isolate thread (milliseconds to tens of them).
fn is_rsa_private(k: &Key) -> bool {
  matches!(k, Key::RsaPrivate(_))
}

/// asymSign(handle, scheme, hash | undefined, saltLength | context | undefined, data)
fn asym_sign<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let fast = owned::<KeyCell>(args.get(0)).map(|c| c.fast.clone());
    Ok((key_of(scope, args.get(0))?, fast.unwrap_or_default(), sign_params(scope, args.get(1), args.get(2), args.get(3))?))
  })();
  match r {
    Ok((k, fast, p)) => {
      let always = is_rsa_private(&k);
      run_job(scope, rv, args.get(4), always, move |b, c| {
        c.check()?;
        asym::sign_fast(&k, &fast, &p, b).map(Out::Bytes)
      })
    }
    Err(e) => throw(scope, e),
  }
}

/// asymVerify(handle, scheme, hash | undefined, saltLength | context | undefined, signature, data)
fn asym_verify<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| Ok((key_of(scope, args.get(0))?, sign_params(scope, args.get(1), args.get(2), args.get(3))?, bytes_arg(args.get(4))?)))();
  match r {
    Ok((k, p, sig)) => run_job(scope, rv, args.get(5), false, move |b, c| {
      c.check()?;
      asym::verify(&k, &p, &sig, b).map(Out::Bool)
    }),
    Err(e) => throw(scope, e),
  }
}

/// rsaOaep(handle, encrypt, hash, label | undefined, data)
fn rsa_oaep<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let k = key_of(scope, args.get(0))?;
    let h = hash_arg(scope, args.get(2))?;
    let label = if args.get(3).is_undefined() { Vec::new() } else { bytes_arg(args.get(3))? };
    Ok((k, h, label))
  })();
  let encrypt = args.get(1).is_true();
  match r {
    Ok((k, h, label)) => {
      let always = is_rsa_private(&k);
      run_job(scope, rv, args.get(4), always, move |b, c| {
        c.check()?;
        asym::rsa_oaep(&k, encrypt, h, &label, b).map(Out::Bytes)
      })
    }
    Err(e) => throw(scope, e),
  }
}

/// deriveBits(privateHandle, publicHandle, lengthInBits | null) for ECDH, X25519 and X448.
fn derive_bits<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let length = if args.get(2).is_null_or_undefined() { None } else { Some(u32_arg(args.get(2)) as usize) };
  let r = (|| {
    let a = key_of(scope, args.get(0))?;
    let b = key_of(scope, args.get(1))?;
    asym::derive(&a, &b, length)
  })();
  buffer_result(scope, rv, r)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
  }

  #[test]
  fn uuid_is_version_4() {
    let u = uuid_v4([0xff; 16]);
    assert_eq!(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    let u = uuid_v4([0; 16]);
    assert_eq!(u, "00000000-0000-4000-8000-000000000000");
  }

  #[test]
  fn digests_match_known_values() {
    assert_eq!(Hash::Sha256.digest(b"abc"), hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    assert_eq!(Hash::Sha1.digest(b"abc"), hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
    assert!(Hash::parse("sha-256").is_err());
  }

  #[test]
  fn hkdf_matches_rfc5869_case_1() {
    let okm = hkdf_run(Hash::Sha256, &hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), &hex("000102030405060708090a0b0c"), &hex("f0f1f2f3f4f5f6f7f8f9"), 42).unwrap();
    assert_eq!(okm, hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"));
    assert!(matches!(hkdf_run(Hash::Sha256, b"k", b"", b"", 255 * 32 + 1), Err(Error::Dom("OperationError", _))));
  }

  #[test]
  fn pbkdf2_matches_rfc6070_and_ring() {
    let never = Cancel::never();
    // RFC 6070 §2 (PBKDF2-HMAC-SHA1).
    let vectors: [(&[u8], &[u8], u32, usize, &str); 5] = [
      (b"password", b"salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
      (b"password", b"salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
      (b"password", b"salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"),
      (b"passwordPASSWORDpassword", b"saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"),
      (b"pass\0word", b"sa\0lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"),
    ];
    for (p, salt, c, len, expected) in vectors {
      assert_eq!(pbkdf2_run(Hash::Sha1, p, salt, c, len, &never).unwrap(), hex(expected), "{c} {len}");
    }
    // Bit-identical to ring's PBKDF2 for every hash, over lengths of one, several and partial blocks.
    for h in [Hash::Sha1, Hash::Sha256, Hash::Sha384, Hash::Sha512] {
      for len in [0usize, 1, 20, 33, 64, 100, 129] {
        let mut theirs = vec![0u8; len];
        if len > 0 {
          ring::pbkdf2::derive(h.pbkdf2_alg(), std::num::NonZeroU32::new(1000).unwrap(), b"NaCl", b"secret", &mut theirs);
        }
        assert_eq!(pbkdf2_run(h, b"secret", b"NaCl", 1000, len, &never).unwrap(), theirs, "{h:?} {len}");
      }
    }
    assert!(pbkdf2_run(Hash::Sha1, b"p", b"s", 0, 20, &never).is_err());
  }

  #[test]
  fn pbkdf2_stops_within_a_few_thousand_iterations_once_cancelled() {
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cancel = Cancel::Flag(flag.clone());
    let stopper = std::thread::spawn(move || {
      std::thread::sleep(std::time::Duration::from_millis(50));
      flag.store(true, Ordering::Release);
      std::time::Instant::now()
    });
    // 2^25 iterations take tens of seconds.
    let r = pbkdf2_run(Hash::Sha256, b"p", b"s", 1 << 25, 32, &cancel);
    let stopped = stopper.join().unwrap();
    assert!(matches!(r, Err(Error::Cancelled)));
    assert!(stopped.elapsed() < std::time::Duration::from_millis(100), "{:?}", stopped.elapsed());
  }

  #[test]
  fn sliced_digest_and_hmac_match_one_shot_and_stop_when_cancelled() {
    let data: Vec<u8> = (0..(3 * SLICE + 17)).map(|i| i as u8).collect();
    let never = Cancel::never();
    for h in [Hash::Sha1, Hash::Sha256, Hash::Sha384, Hash::Sha512] {
      assert_eq!(digest_run(h, &data, &never).unwrap(), h.digest(&data));
      let key = ring::hmac::Key::new(h.hmac_alg(), b"k");
      let tag = ring::hmac::sign(&key, &data);
      assert_eq!(hmac_run(h, b"k", &data, &never).unwrap(), tag.as_ref());
      assert!(hmac_verify_run(h, b"k", tag.as_ref(), &data, &never).unwrap());
      assert!(!hmac_verify_run(h, b"k", &tag.as_ref()[1..], &data, &never).unwrap());
      assert!(!hmac_verify_run(h, b"x", tag.as_ref(), &data, &never).unwrap());
    }
    let stopped = Cancel::Flag(Arc::new(std::sync::atomic::AtomicBool::new(true)));
    assert!(matches!(digest_run(Hash::Sha256, &data, &stopped), Err(Error::Cancelled)));
  }
}
