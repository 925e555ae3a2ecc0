//! crypto.getRandomValues, crypto.randomUUID, crypto.subtle (https://w3c.github.io/webcrypto/)
//!
//! crypto.js does the WebIDL and algorithm checks; the natives here do the cryptography (ring for
//! hashes, HMAC, AES-GCM, PBKDF2, HKDF, Ed25519; p256 for ECDSA P-256 and its key encodings).
//! Key material never enters the JS heap: a CryptoKey holds (in a private field) an owner buffer
//! whose backing store holds the key (`util::owner`), so the key is dropped when the CryptoKey is
//! garbage collected; no table, no weak handles.

use super::util::{copy_bytes, throw_dom_exception, throw_type_error, with_bytes};
use super::{Area, Natives};
use base64::Engine as _;
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use pkcs8::der::asn1::{BitStringRef, OctetStringRef};
use pkcs8::der::{Decode, Encode};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::KeyPair as _;
use super::util::{charge_or_trip, owned, owner};
use crate::limits::{Charge, Pool};
use crate::runtime::{Later, Shared, State};
use crate::value::Value;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
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
    ("utf8Decode", utf8_decode.map_fn_to()),
    ("secretImport", secret_import.map_fn_to()),
    ("secretGenerate", secret_generate.map_fn_to()),
    ("secretExport", secret_export.map_fn_to()),
    ("hmacSign", hmac_sign.map_fn_to()),
    ("hmacVerify", hmac_verify.map_fn_to()),
    ("aesGcm", aes_gcm.map_fn_to()),
    ("pbkdf2", pbkdf2.map_fn_to()),
    ("hkdf", hkdf.map_fn_to()),
    ("asymGenerate", asym_generate.map_fn_to()),
    ("asymImport", asym_import.map_fn_to()),
    ("asymImportJwk", asym_import_jwk.map_fn_to()),
    ("asymExport", asym_export.map_fn_to()),
    ("asymJwk", asym_jwk.map_fn_to()),
    ("asymSign", asym_sign.map_fn_to()),
    ("asymVerify", asym_verify.map_fn_to()),
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

enum Key {
  /// HMAC, AES, PBKDF2 and HKDF keys.
  Secret(Vec<u8>),
  EcPrivate(p256::SecretKey),
  EcPublic(p256::PublicKey),
  EdPrivate { seed: [u8; 32], public: [u8; 32] },
  EdPublic([u8; 32]),
}

impl Key {
  /// Bytes the key holds, for the memory budget.
  fn size(&self) -> usize {
    let material = match self {
      Key::Secret(b) => b.capacity(),
      _ => 0,
    };
    std::mem::size_of::<Key>() + material
  }
}

/// What a key handle owns: the key, and its charge to the runtime's ArrayBuffer limit.
struct KeyCell {
  key: Arc<Key>,
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
  Ok(owner(scope, KeyCell { key: Arc::new(key), _charge: charge }))
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

/// AES-GCM with a 96-bit IV and 128-bit tag (what ring offers).
fn aes_gcm_run(key: &[u8], encrypt: bool, iv: &[u8], aad: &[u8], data: &[u8]) -> Res<Vec<u8>> {
  use ring::aead;
  let alg = match key.len() {
    16 => &aead::AES_128_GCM,
    32 => &aead::AES_256_GCM,
    _ => return Err(not_supported("AES-GCM with a 192-bit key is not supported")),
  };
  let nonce = aead::Nonce::try_assume_unique_for_key(iv).map_err(|_| not_supported("AES-GCM needs a 96-bit iv here"))?;
  let key = aead::LessSafeKey::new(aead::UnboundKey::new(alg, key).map_err(|_| op_err("bad AES key"))?);
  let mut buf = data.to_vec();
  if encrypt {
    key.seal_in_place_append_tag(nonce, aead::Aad::from(aad), &mut buf).map_err(|_| op_err("encryption failed"))?;
    Ok(buf)
  } else {
    if buf.len() < 16 {
      return Err(op_err("The provided data is too small."));
    }
    let len = key
      .open_in_place(nonce, aead::Aad::from(aad), &mut buf)
      .map_err(|_| op_err("The operation failed for an operation-specific reason"))?
      .len();
    buf.truncate(len);
    Ok(buf)
  }
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

const ED25519_OID: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112");

fn ed_public_of(seed: &[u8; 32]) -> Res<[u8; 32]> {
  let kp = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| data_err("Invalid Ed25519 key"))?;
  kp.public_key().as_ref().try_into().map_err(|_| data_err("Invalid Ed25519 key"))
}

fn to32(b: &[u8], what: &str) -> Res<[u8; 32]> {
  b.try_into().map_err(|_| data_err(what))
}

fn ec_public(b: &[u8]) -> Res<p256::PublicKey> {
  p256::PublicKey::from_sec1_bytes(b).map_err(|_| data_err("Invalid EC public key"))
}

fn ec_point(p: &p256::PublicKey) -> Vec<u8> {
  use p256::elliptic_curve::sec1::ToEncodedPoint;
  p.to_encoded_point(false).as_bytes().to_vec()
}

/// Imports `bytes` in `format` ("raw", "spki", "pkcs8") as an ECDSA ("EC") or Ed25519 ("Ed") key.
fn asym_import_bytes(kind: &str, format: &str, bytes: &[u8]) -> Res<Key> {
  match (kind, format) {
    ("EC", "raw") => Ok(Key::EcPublic(ec_public(bytes)?)),
    ("EC", "spki") => Ok(Key::EcPublic(p256::PublicKey::from_public_key_der(bytes).map_err(|_| data_err("Invalid SPKI for a P-256 key"))?)),
    ("EC", "pkcs8") => Ok(Key::EcPrivate(p256::SecretKey::from_pkcs8_der(bytes).map_err(|_| data_err("Invalid PKCS#8 for a P-256 key"))?)),
    ("Ed", "raw") => Ok(Key::EdPublic(to32(bytes, "An Ed25519 public key is 32 bytes")?)),
    ("Ed", "spki") => {
      let spki = pkcs8::spki::SubjectPublicKeyInfoRef::from_der(bytes).map_err(|_| data_err("Invalid SPKI"))?;
      if spki.algorithm.oid != ED25519_OID || spki.algorithm.parameters.is_some() {
        return Err(data_err("The SPKI is not of an Ed25519 key"));
      }
      let pk = spki.subject_public_key.as_bytes().ok_or_else(|| data_err("Invalid SPKI"))?;
      Ok(Key::EdPublic(to32(pk, "Invalid Ed25519 public key")?))
    }
    ("Ed", "pkcs8") => {
      let info = pkcs8::PrivateKeyInfo::from_der(bytes).map_err(|_| data_err("Invalid PKCS#8"))?;
      if info.algorithm.oid != ED25519_OID || info.algorithm.parameters.is_some() {
        return Err(data_err("The PKCS#8 is not of an Ed25519 key"));
      }
      // RFC 8410: privateKey holds a CurvePrivateKey, itself an OCTET STRING.
      let inner = OctetStringRef::from_der(info.private_key).map_err(|_| data_err("Invalid Ed25519 private key"))?;
      let seed = to32(inner.as_bytes(), "Invalid Ed25519 private key")?;
      let public = ed_public_of(&seed)?;
      if let Some(pk) = info.public_key {
        if pk != public {
          return Err(data_err("The PKCS#8 public key does not match its private key"));
        }
      }
      Ok(Key::EdPrivate { seed, public })
    }
    _ => Err(not_supported("Unsupported key format")),
  }
}

/// Keys from JWK members (already base64url-decoded).
fn asym_import_jwk_bytes(kind: &str, d: Option<&[u8]>, x: &[u8], y: Option<&[u8]>) -> Res<Key> {
  match kind {
    "EC" => {
      let (x, y) = (to32(x, "Invalid JWK x")?, to32(y.unwrap_or(&[]), "Invalid JWK y")?);
      let mut point = vec![4u8];
      point.extend_from_slice(&x);
      point.extend_from_slice(&y);
      let public = ec_public(&point)?;
      match d {
        None => Ok(Key::EcPublic(public)),
        Some(d) => {
          let secret = p256::SecretKey::from_slice(&to32(d, "Invalid JWK d")?).map_err(|_| data_err("Invalid JWK d"))?;
          if secret.public_key() != public {
            return Err(data_err("The JWK's d does not match its x and y"));
          }
          Ok(Key::EcPrivate(secret))
        }
      }
    }
    "Ed" => {
      let x = to32(x, "Invalid JWK x")?;
      match d {
        None => Ok(Key::EdPublic(x)),
        Some(d) => {
          let seed = to32(d, "Invalid JWK d")?;
          if ed_public_of(&seed)? != x {
            return Err(data_err("The JWK's d does not match its x"));
          }
          Ok(Key::EdPrivate { seed, public: x })
        }
      }
    }
    _ => Err(not_supported("Unsupported key type")),
  }
}

fn asym_export_bytes(key: &Key, format: &str) -> Res<Vec<u8>> {
  let wrong = || access_err("The key cannot be exported in this format");
  match (key, format) {
    (Key::EcPublic(p), "raw") => Ok(ec_point(p)),
    (Key::EcPublic(p), "spki") => Ok(p.to_public_key_der().map_err(|_| op_err("encoding failed"))?.as_bytes().to_vec()),
    (Key::EcPrivate(s), "pkcs8") => Ok(s.to_pkcs8_der().map_err(|_| op_err("encoding failed"))?.as_bytes().to_vec()),
    (Key::EdPublic(p), "raw") => Ok(p.to_vec()),
    (Key::EdPublic(p), "spki") => {
      let spki = pkcs8::spki::SubjectPublicKeyInfoRef {
        algorithm: pkcs8::spki::AlgorithmIdentifierRef { oid: ED25519_OID, parameters: None },
        subject_public_key: BitStringRef::from_bytes(p).map_err(|_| op_err("encoding failed"))?,
      };
      spki.to_der().map_err(|_| op_err("encoding failed"))
    }
    (Key::EdPrivate { seed, .. }, "pkcs8") => {
      let inner = OctetStringRef::new(seed).and_then(|o| o.to_der()).map_err(|_| op_err("encoding failed"))?;
      let info = pkcs8::PrivateKeyInfo::new(pkcs8::AlgorithmIdentifierRef { oid: ED25519_OID, parameters: None }, &inner);
      info.to_der().map_err(|_| op_err("encoding failed"))
    }
    _ => Err(wrong()),
  }
}

/// JWK members as bytes: [x, y (EC only), d (private only)], with "" for absent ones.
fn asym_jwk_parts(key: &Key) -> Res<[Vec<u8>; 3]> {
  let ec = |p: &p256::PublicKey, d: Vec<u8>| -> Res<[Vec<u8>; 3]> {
    let pt = ec_point(p);
    match (pt.get(1..33), pt.get(33..65)) {
      (Some(x), Some(y)) => Ok([x.to_vec(), y.to_vec(), d]),
      _ => Err(op_err("encoding failed")),
    }
  };
  match key {
    Key::EcPrivate(s) => ec(&s.public_key(), s.to_bytes().to_vec()),
    Key::EcPublic(p) => ec(p, Vec::new()),
    Key::EdPublic(p) => Ok([p.to_vec(), Vec::new(), Vec::new()]),
    Key::EdPrivate { seed, public } => Ok([public.to_vec(), Vec::new(), seed.to_vec()]),
    Key::Secret(_) => Err(access_err("not an asymmetric key")),
  }
}

fn asym_sign_bytes(key: &Key, hash: Option<Hash>, data: &[u8]) -> Res<Vec<u8>> {
  match key {
    Key::EcPrivate(s) => {
      let hash = hash.ok_or_else(|| Error::Type("ECDSA needs a hash".into()))?;
      let sk = p256::ecdsa::SigningKey::from(s);
      let sig: p256::ecdsa::Signature = sk.sign_prehash(&hash.digest(data)).map_err(|_| op_err("signing failed"))?;
      Ok(sig.to_bytes().to_vec())
    }
    Key::EdPrivate { seed, public } => {
      let kp = ring::signature::Ed25519KeyPair::from_seed_and_public_key(seed, public).map_err(|_| op_err("bad key"))?;
      Ok(kp.sign(data).as_ref().to_vec())
    }
    _ => Err(access_err("The key is not a private key")),
  }
}

fn asym_verify_bytes(key: &Key, hash: Option<Hash>, sig: &[u8], data: &[u8]) -> Res<bool> {
  match key {
    Key::EcPublic(p) => {
      let hash = hash.ok_or_else(|| Error::Type("ECDSA needs a hash".into()))?;
      // https://w3c.github.io/webcrypto/#ecdsa-operations: a signature of the wrong size is false.
      let Ok(sig) = p256::ecdsa::Signature::from_slice(sig) else { return Ok(false) };
      let vk = p256::ecdsa::VerifyingKey::from(p);
      Ok(vk.verify_prehash(&hash.digest(data), &sig).is_ok())
    }
    Key::EdPublic(p) => {
      let pk = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, p);
      Ok(pk.verify(data, sig).is_ok())
    }
    _ => Err(access_err("The key is not a public key")),
  }
}

fn asym_generate_keys(kind: &str) -> Res<(Key, Key)> {
  match kind {
    "EC" => {
      // A random scalar; out-of-range values (probability ~2^-32) are drawn again.
      for _ in 0..16 {
        if let Ok(s) = p256::SecretKey::from_slice(&random_bytes(32)?) {
          let p = s.public_key();
          return Ok((Key::EcPrivate(s), Key::EcPublic(p)));
        }
      }
      Err(op_err("key generation failed"))
    }
    "Ed" => {
      let seed = to32(&random_bytes(32)?, "")?;
      let public = ed_public_of(&seed)?;
      Ok((Key::EdPrivate { seed, public }, Key::EdPublic(public)))
    }
    _ => Err(not_supported("Unsupported key type")),
  }
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
}

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
  let s = string_arg(scope, args.get(0));
  if let Ok(b) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')) {
    set_buffer(scope, &mut rv, b);
  }
}

/// For wrapKey/unwrapKey of JWKs (JSON text as UTF-8).
fn utf8_encode<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
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

/// aesGcm(key, encrypt, iv, additionalData | undefined, data)
fn aes_gcm<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let k = secret_of(scope, args.get(0))?;
    let iv = bytes_arg(args.get(2))?;
    let aad = if args.get(3).is_undefined() { Vec::new() } else { bytes_arg(args.get(3))? };
    Ok((k, iv, aad))
  })();
  let encrypt = args.get(1).is_true();
  match r {
    // ring's AES-GCM is one pass (GB/s); off the isolate thread when large.
    Ok((k, iv, aad)) => run_job(scope, rv, args.get(4), false, move |b, _| aes_gcm_run(secret_bytes(&k), encrypt, &iv, &aad, b).map(Out::Bytes)),
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

/// asymGenerate(kind) → [privateHandle, publicHandle]
fn asym_generate<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let kind = string_arg(scope, args.get(0));
  let r = asym_generate_keys(&kind).and_then(|(private, public)| {
    let a = new_handle(scope, private)?;
    let b = new_handle(scope, public)?;
    Ok(v8::Array::new_with_elements(scope, &[a.into(), b.into()]))
  });
  match r {
    Ok(a) => rv.set(a.into()),
    Err(e) => throw(scope, e),
  }
}

/// asymImport(kind, format, bytes)
fn asym_import<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let kind = string_arg(scope, args.get(0));
  let format = string_arg(scope, args.get(1));
  let r = bytes_arg(args.get(2)).and_then(|b| asym_import_bytes(&kind, &format, &b));
  handle_result(scope, rv, r)
}

/// asymImportJwk(kind, d | undefined, x, y | undefined), members as ArrayBuffers.
fn asym_import_jwk<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let kind = string_arg(scope, args.get(0));
  let d = copy_bytes(args.get(1));
  let y = copy_bytes(args.get(3));
  let r = bytes_arg(args.get(2)).and_then(|x| asym_import_jwk_bytes(&kind, d.as_deref(), &x, y.as_deref()));
  handle_result(scope, rv, r)
}

fn asym_export<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let format = string_arg(scope, args.get(1));
  let r = key_of(scope, args.get(0)).and_then(|k| asym_export_bytes(&k, &format));
  buffer_result(scope, rv, r)
}

/// asymJwk(handle) → [x, y, d] as base64url strings ("" when absent).
fn asym_jwk<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, mut rv: v8::ReturnValue<'s>) {
  let r = key_of(scope, args.get(0)).and_then(|k| asym_jwk_parts(&k));
  match r {
    Ok(parts) => {
      let mut out = Vec::with_capacity(3);
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

fn opt_hash(scope: &mut v8::PinScope, v: v8::Local<v8::Value>) -> Res<Option<Hash>> {
  if v.is_undefined() {
    Ok(None)
  } else {
    hash_arg(scope, v).map(Some)
  }
}

/// asymSign(handle, hash | undefined, data)
fn asym_sign<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let k = key_of(scope, args.get(0))?;
    Ok((k, opt_hash(scope, args.get(1))?))
  })();
  match r {
    Ok((k, h)) => run_job(scope, rv, args.get(2), false, move |b, _| asym_sign_bytes(&k, h, b).map(Out::Bytes)),
    Err(e) => throw(scope, e),
  }
}

/// asymVerify(handle, hash | undefined, signature, data)
fn asym_verify<'s>(scope: &mut v8::PinScope<'s, '_>, args: Args<'s>, rv: v8::ReturnValue<'s>) {
  let r = (|| {
    let k = key_of(scope, args.get(0))?;
    let h = opt_hash(scope, args.get(1))?;
    Ok((k, h, bytes_arg(args.get(2))?))
  })();
  match r {
    Ok((k, h, sig)) => run_job(scope, rv, args.get(3), false, move |b, _| asym_verify_bytes(&k, h, &sig, b).map(Out::Bool)),
    Err(e) => throw(scope, e),
  }
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

  #[test]
  fn aes_gcm_round_trips_and_rejects_tampering() {
    let key = [7u8; 32];
    let iv = [1u8; 12];
    let ct = aes_gcm_run(&key, true, &iv, b"aad", b"hello").unwrap();
    assert_eq!(ct.len(), 5 + 16);
    assert_eq!(aes_gcm_run(&key, false, &iv, b"aad", &ct).unwrap(), b"hello");
    assert!(matches!(aes_gcm_run(&key, false, &iv, b"other", &ct), Err(Error::Dom("OperationError", _))));
    assert!(matches!(aes_gcm_run(&key, false, &iv, b"", &[0; 3]), Err(Error::Dom("OperationError", _))));
    assert!(matches!(aes_gcm_run(&[0; 24], true, &iv, b"", b""), Err(Error::Dom("NotSupportedError", _))));
  }

  #[test]
  fn ec_keys_round_trip_through_every_format() {
    let (private, public) = asym_generate_keys("EC").unwrap();
    let pkcs8 = asym_export_bytes(&private, "pkcs8").unwrap();
    let spki = asym_export_bytes(&public, "spki").unwrap();
    let raw = asym_export_bytes(&public, "raw").unwrap();
    assert_eq!(raw.len(), 65);
    let private2 = asym_import_bytes("EC", "pkcs8", &pkcs8).unwrap();
    let public2 = asym_import_bytes("EC", "spki", &spki).unwrap();
    let [x, y, d] = asym_jwk_parts(&private2).unwrap();
    let private3 = asym_import_jwk_bytes("EC", Some(&d), &x, Some(&y)).unwrap();
    let sig = asym_sign_bytes(&private3, Some(Hash::Sha256), b"msg").unwrap();
    assert_eq!(sig.len(), 64);
    assert!(asym_verify_bytes(&public2, Some(Hash::Sha256), &sig, b"msg").unwrap());
    assert!(!asym_verify_bytes(&public2, Some(Hash::Sha256), &sig, b"other").unwrap());
    assert!(!asym_verify_bytes(&public2, Some(Hash::Sha256), &sig[..63], b"msg").unwrap());
    assert!(asym_export_bytes(&private, "raw").is_err());
    assert!(asym_import_bytes("EC", "pkcs8", b"junk").is_err());
    let wrong_d = vec![1u8; 32];
    assert!(asym_import_jwk_bytes("EC", Some(&wrong_d), &x, Some(&y)).is_err());
  }

  #[test]
  fn ed25519_matches_rfc8032_test_1_and_round_trips() {
    let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let public = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    let key = asym_import_jwk_bytes("Ed", Some(&seed), &public, None).unwrap();
    let sig = asym_sign_bytes(&key, None, b"").unwrap();
    assert_eq!(sig, hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
    let pkcs8 = asym_export_bytes(&key, "pkcs8").unwrap();
    assert_eq!(pkcs8[..16], hex("302e020100300506032b657004220420")[..]);
    assert!(matches!(asym_import_bytes("Ed", "pkcs8", &pkcs8).unwrap(), Key::EdPrivate { .. }));
    let pubkey = asym_import_bytes("Ed", "raw", &public).unwrap();
    let spki = asym_export_bytes(&pubkey, "spki").unwrap();
    assert_eq!(spki[..12], hex("302a300506032b6570032100")[..]);
    let pubkey2 = asym_import_bytes("Ed", "spki", &spki).unwrap();
    assert!(asym_verify_bytes(&pubkey2, None, &sig, b"").unwrap());
    assert!(!asym_verify_bytes(&pubkey2, None, &sig, b"x").unwrap());
    assert!(asym_import_bytes("Ed", "raw", &public[..31]).is_err());
  }
}
