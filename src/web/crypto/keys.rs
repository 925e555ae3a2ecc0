//! Key material and its encodings: generation, import and export in the formats of
//! https://w3c.github.io/webcrypto/ (raw, SPKI, PKCS#8, JWK members) and of the Secure Curves
//! draft (https://wicg.github.io/webcrypto-secure-curves/) for Ed25519, X25519, Ed448 and X448.
//!
//! JWK members arrive and leave as bytes (crypto.js does the base64url and the JSON checks).

use super::{data_err, not_supported, op_err, Cancel, Error, Res};
use crypto_bigint::{BitOps, BoxedUint, Integer};
use pkcs8::der::asn1::{BitStringRef, OctetStringRef};
use pkcs8::der::{Decode, Encode};
use pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::pkcs1;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};

/// The named curves (and OKP "curves") of the spec's EC and Secure Curves algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
  P256,
  P384,
  P521,
  Ed25519,
  X25519,
  Ed448,
  X448,
}

impl Curve {
  pub fn parse(s: &str) -> Res<Curve> {
    Ok(match s {
      "P-256" => Curve::P256,
      "P-384" => Curve::P384,
      "P-521" => Curve::P521,
      "Ed25519" => Curve::Ed25519,
      "X25519" => Curve::X25519,
      "Ed448" => Curve::Ed448,
      "X448" => Curve::X448,
      _ => return Err(not_supported("Unsupported named curve")),
    })
  }

  /// RFC 8410 algorithm identifiers of the OKP curves.
  fn oid(self) -> pkcs8::ObjectIdentifier {
    match self {
      Curve::X25519 => pkcs8::ObjectIdentifier::new_unwrap("1.3.101.110"),
      Curve::X448 => pkcs8::ObjectIdentifier::new_unwrap("1.3.101.111"),
      Curve::Ed25519 => pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112"),
      _ => pkcs8::ObjectIdentifier::new_unwrap("1.3.101.113"),
    }
  }

  /// Bytes of an OKP public key (and of its private key, the same except Ed448's 57/57).
  pub fn okp_len(self) -> usize {
    match self {
      Curve::Ed25519 | Curve::X25519 => 32,
      Curve::X448 => 56,
      Curve::Ed448 => 57,
      Curve::P256 => 32,
      Curve::P384 => 48,
      Curve::P521 => 66,
    }
  }

  fn is_ec(self) -> bool {
    matches!(self, Curve::P256 | Curve::P384 | Curve::P521)
  }
}

/// An EC key on one of the NIST curves.
pub enum Ec {
  P256Private(p256::SecretKey),
  P256Public(p256::PublicKey),
  P384Private(p384::SecretKey),
  P384Public(p384::PublicKey),
  P521Private(p521::SecretKey),
  P521Public(p521::PublicKey),
}

pub enum Key {
  /// HMAC, AES, PBKDF2 and HKDF keys.
  Secret(Vec<u8>),
  RsaPrivate(Box<rsa::PrivateKey>),
  RsaPublic(Box<rsa::PublicKey>),
  Ec(Ec),
  /// Ed25519, X25519, Ed448, X448: the private key as RFC 8410 encodes it, and the public key.
  OkpPrivate { curve: Curve, private: Vec<u8>, public: Vec<u8> },
  OkpPublic { curve: Curve, public: Vec<u8> },
}

impl Key {
  /// Bytes the key holds, for the memory budget (an estimate for the big-number types: an RSA
  /// private key keeps n, d, two primes and their CRT values, about 4.5 moduli). A private key
  /// is charged for ring's form of it too, made when it first signs (`asym::sign_fast`: the
  /// same numbers again and their Montgomery constants, about 6 moduli for RSA).
  pub fn size(&self) -> usize {
    let material = match self {
      Key::Secret(b) => b.capacity(),
      Key::RsaPrivate(k) => k.size() * 11,
      Key::RsaPublic(k) => k.size() + 16,
      Key::Ec(_) if self.is_private() => 768,
      Key::Ec(_) => 256,
      Key::OkpPrivate { private, public, .. } => private.capacity() + public.capacity(),
      Key::OkpPublic { public, .. } => public.capacity(),
    };
    std::mem::size_of::<Key>() + material
  }

  pub fn is_private(&self) -> bool {
    match self {
      Key::RsaPrivate(_) | Key::OkpPrivate { .. } => true,
      Key::Ec(e) => matches!(e, Ec::P256Private(_) | Ec::P384Private(_) | Ec::P521Private(_)),
      _ => false,
    }
  }

  /// The RSA public part: modulus length in bits and public exponent (big-endian, no leading 0s).
  pub fn rsa_info(&self) -> Option<(usize, Vec<u8>)> {
    let p: &rsa::PublicKey = match self {
      Key::RsaPrivate(k) => k.as_public_key(),
      Key::RsaPublic(k) => k,
      _ => return None,
    };
    Some((p.n().bit_width() as usize, unsigned(&p.e().to_be_bytes())))
  }

  pub fn curve(&self) -> Option<Curve> {
    match self {
      Key::Ec(Ec::P256Private(_) | Ec::P256Public(_)) => Some(Curve::P256),
      Key::Ec(Ec::P384Private(_) | Ec::P384Public(_)) => Some(Curve::P384),
      Key::Ec(Ec::P521Private(_) | Ec::P521Public(_)) => Some(Curve::P521),
      Key::OkpPrivate { curve, .. } | Key::OkpPublic { curve, .. } => Some(*curve),
      _ => None,
    }
  }
}

/// `b` without its leading zero bytes (JWK and WebCrypto BigIntegers are minimal).
fn unsigned(b: &[u8]) -> Vec<u8> {
  let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
  match b.get(start..) {
    Some(s) if !s.is_empty() => s.to_vec(),
    _ => vec![0],
  }
}

/// Encoding a valid key does not fail; if it did, an OperationError.
fn enc_err<E>(_: E) -> Error {
  op_err("The key could not be encoded")
}

// ---------------------------------------------------------------------------------------------
// EC (P-256, P-384, P-521): the same code for the three curves' crates.

macro_rules! ec_curve {
  ($m:ident, $krate:ident, $private:ident, $public:ident, $len:expr) => {
    pub mod $m {
      use super::*;
      use $krate::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
      use $krate::elliptic_curve::sec1::ToSec1Point;

      pub const LEN: usize = $len;

      pub fn public_raw(b: &[u8]) -> Res<Ec> {
        $krate::PublicKey::from_sec1_bytes(b).map(Ec::$public).map_err(|_| data_err("Invalid EC public key"))
      }
      pub fn spki(b: &[u8]) -> Res<Ec> {
        $krate::PublicKey::from_public_key_der(b).map(Ec::$public).map_err(|_| data_err("Invalid SPKI for this named curve"))
      }
      pub fn pkcs8(b: &[u8]) -> Res<Ec> {
        $krate::SecretKey::from_pkcs8_der(b).map(Ec::$private).map_err(|_| data_err("Invalid PKCS#8 for this named curve"))
      }
      pub fn jwk(x: &[u8], y: &[u8], d: Option<&[u8]>) -> Res<Ec> {
        if x.len() != LEN || y.len() != LEN {
          return Err(data_err("The JWK's x and y do not have the named curve's length"));
        }
        let mut point = Vec::with_capacity(1 + 2 * LEN);
        point.push(4u8);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let public = $krate::PublicKey::from_sec1_bytes(&point).map_err(|_| data_err("The JWK's x and y are not a point of the curve"))?;
        match d {
          None => Ok(Ec::$public(public)),
          Some(d) => {
            if d.len() != LEN {
              return Err(data_err("The JWK's d does not have the named curve's length"));
            }
            let secret = $krate::SecretKey::from_slice(d).map_err(|_| data_err("Invalid JWK d"))?;
            if secret.public_key() != public {
              return Err(data_err("The JWK's d does not match its x and y"));
            }
            Ok(Ec::$private(secret))
          }
        }
      }
      pub fn point(p: &$krate::PublicKey) -> Vec<u8> {
        p.to_sec1_point(false).as_bytes().to_vec()
      }
      pub fn export(k: &Ec, format: &str) -> Res<Vec<u8>> {
                match (k, format) {
          (Ec::$public(p), "raw") => Ok(point(p)),
          (Ec::$public(p), "spki") => Ok(p.to_public_key_der().map_err(enc_err)?.as_bytes().to_vec()),
          (Ec::$private(s), "pkcs8") => Ok(s.to_pkcs8_der().map_err(enc_err)?.as_bytes().to_vec()),
          _ => Err(Error::Dom("InvalidAccessError", "The key cannot be exported in this format".into())),
        }
      }
      /// [x, y, d] ("" for d of a public key).
      pub fn jwk_parts(k: &Ec) -> Res<Vec<Vec<u8>>> {
        let (p, d) = match k {
          Ec::$public(p) => (*p, Vec::new()),
          Ec::$private(s) => (s.public_key(), s.to_bytes().to_vec()),
          _ => return Err(op_err("not a key of this curve")),
        };
        let pt = point(&p);
        match (pt.get(1..1 + LEN), pt.get(1 + LEN..1 + 2 * LEN)) {
          (Some(x), Some(y)) => Ok(vec![x.to_vec(), y.to_vec(), d]),
          _ => Err(op_err("The key could not be encoded")),
        }
      }
      pub fn generate() -> Res<(Ec, Ec)> {
        // A random scalar; values past the order (rare) are drawn again.
        for _ in 0..64 {
          let mut b = super::super::random_bytes(LEN)?;
          // P-521's order has 521 bits: the bits above them are always zero.
          if let (66, Some(first)) = (LEN, b.first_mut()) {
            *first &= 1;
          }
          if let Ok(s) = $krate::SecretKey::from_slice(&b) {
            let p = s.public_key();
            return Ok((Ec::$private(s), Ec::$public(p)));
          }
        }
        Err(op_err("key generation failed"))
      }
      /// ECDSA over a digest: r || s, each of the curve's length.
      pub fn sign(k: &Ec, prehash: &[u8]) -> Res<Vec<u8>> {
        let Ec::$private(s) = k else { return Err(op_err("not a private key")) };
        let sk = $krate::ecdsa::SigningKey::from(s);
        let sig: $krate::ecdsa::Signature = sk.sign_prehash(prehash).map_err(|_| op_err("signing failed"))?;
        Ok(sig.to_bytes().to_vec())
      }
      pub fn verify(k: &Ec, prehash: &[u8], sig: &[u8]) -> Res<bool> {
        let Ec::$public(p) = k else { return Err(op_err("not a public key")) };
        // https://w3c.github.io/webcrypto/#ecdsa-operations: a signature of the wrong size is false.
        let Ok(sig) = $krate::ecdsa::Signature::from_slice(sig) else { return Ok(false) };
        Ok($krate::ecdsa::VerifyingKey::from(p).verify_prehash(prehash, &sig).is_ok())
      }
      /// ECDH: the x-coordinate of the shared point.
      pub fn derive(private: &Ec, public: &Ec) -> Res<Vec<u8>> {
        match (private, public) {
          (Ec::$private(s), Ec::$public(p)) => Ok(s.diffie_hellman(p).raw_secret_bytes().to_vec()),
          _ => Err(Error::Dom("InvalidAccessError", "The public key is not on the same named curve".into())),
        }
      }
    }
  };
}

ec_curve!(ec256, p256, P256Private, P256Public, 32);
ec_curve!(ec384, p384, P384Private, P384Public, 48);
ec_curve!(ec521, p521, P521Private, P521Public, 66);

impl Ec {
  fn curve(&self) -> Curve {
    match self {
      Ec::P256Private(_) | Ec::P256Public(_) => Curve::P256,
      Ec::P384Private(_) | Ec::P384Public(_) => Curve::P384,
      Ec::P521Private(_) | Ec::P521Public(_) => Curve::P521,
    }
  }
}

/// Calls `$f` of the curve module of `$curve`.
macro_rules! on_curve {
  ($curve:expr, $f:ident ( $($arg:expr),* )) => {
    match $curve {
      Curve::P256 => ec256::$f($($arg),*),
      Curve::P384 => ec384::$f($($arg),*),
      _ => ec521::$f($($arg),*),
    }
  };
}

pub fn ec_sign(k: &Ec, prehash: &[u8]) -> Res<Vec<u8>> {
  on_curve!(k.curve(), sign(k, prehash))
}

pub fn ec_verify(k: &Ec, prehash: &[u8], sig: &[u8]) -> Res<bool> {
  on_curve!(k.curve(), verify(k, prehash, sig))
}

pub fn ec_derive(private: &Ec, public: &Ec) -> Res<Vec<u8>> {
  on_curve!(private.curve(), derive(private, public))
}

// ---------------------------------------------------------------------------------------------
// OKP (RFC 8410 encodings; dalek and RustCrypto's ed448-goldilocks / x448 do the arithmetic)

/// The public key of an OKP private key. Ed448's and X448's scalars are as RFC 8032 / 7748 take
/// them; Ed25519's is a seed.
fn okp_public_of(curve: Curve, private: &[u8]) -> Res<Vec<u8>> {
  let bad = || data_err("Invalid private key");
  match curve {
    Curve::Ed25519 => {
      let seed: [u8; 32] = private.try_into().map_err(|_| bad())?;
      Ok(ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes().to_vec())
    }
    Curve::X25519 => {
      let k: [u8; 32] = private.try_into().map_err(|_| bad())?;
      Ok(x25519_dalek::x25519(k, x25519_dalek::X25519_BASEPOINT_BYTES).to_vec())
    }
    Curve::Ed448 => {
      let seed = ed448_goldilocks::SecretKey::try_from(private).map_err(|_| bad())?;
      Ok(ed448_goldilocks::SigningKey::from(&seed).verifying_key().to_bytes().to_vec())
    }
    Curve::X448 => {
      let k: [u8; 56] = private.try_into().map_err(|_| bad())?;
      x448::x448(k, ed448_goldilocks::MontgomeryPoint::GENERATOR.0).map(|p| p.to_vec()).ok_or_else(bad)
    }
    _ => Err(not_supported("not an OKP curve")),
  }
}

fn okp_private(curve: Curve, private: Vec<u8>) -> Res<Key> {
  if private.len() != curve.okp_len() {
    return Err(data_err("The private key does not have the curve's length"));
  }
  let public = okp_public_of(curve, &private)?;
  Ok(Key::OkpPrivate { curve, private, public })
}

fn okp_public(curve: Curve, public: &[u8]) -> Res<Key> {
  if public.len() != curve.okp_len() {
    return Err(data_err("The public key does not have the curve's length"));
  }
  Ok(Key::OkpPublic { curve, public: public.to_vec() })
}

fn okp_spki(curve: Curve, b: &[u8]) -> Res<Key> {
  let spki = pkcs8::spki::SubjectPublicKeyInfoRef::from_der(b).map_err(|_| data_err("Invalid SPKI"))?;
  if spki.algorithm.oid != curve.oid() || spki.algorithm.parameters.is_some() {
    return Err(data_err("The SPKI is not of a key of this algorithm"));
  }
  let pk = spki.subject_public_key.as_bytes().ok_or_else(|| data_err("Invalid SPKI"))?;
  okp_public(curve, pk)
}

fn okp_pkcs8(curve: Curve, b: &[u8]) -> Res<Key> {
  let info = pkcs8::PrivateKeyInfoRef::from_der(b).map_err(|_| data_err("Invalid PKCS#8"))?;
  if info.algorithm.oid != curve.oid() || info.algorithm.parameters.is_some() {
    return Err(data_err("The PKCS#8 is not of a key of this algorithm"));
  }
  // RFC 8410 §7: privateKey holds a CurvePrivateKey, itself an OCTET STRING.
  let inner = <&OctetStringRef>::from_der(info.private_key.as_bytes()).map_err(|_| data_err("Invalid private key"))?;
  let key = okp_private(curve, inner.as_bytes().to_vec())?;
  if let (Some(pk), Key::OkpPrivate { public, .. }) = (&info.public_key, &key) {
    if pk.as_bytes() != Some(public.as_slice()) {
      return Err(data_err("The PKCS#8 public key does not match its private key"));
    }
  }
  Ok(key)
}

fn okp_export(curve: Curve, key: &Key, format: &str) -> Res<Vec<u8>> {
    match (key, format) {
    (Key::OkpPublic { public, .. }, "raw") => Ok(public.clone()),
    (Key::OkpPublic { public, .. }, "spki") => {
      let spki = pkcs8::spki::SubjectPublicKeyInfoRef {
        algorithm: pkcs8::spki::AlgorithmIdentifierRef { oid: curve.oid(), parameters: None },
        subject_public_key: BitStringRef::from_bytes(public).map_err(enc_err)?,
      };
      spki.to_der().map_err(enc_err)
    }
    (Key::OkpPrivate { private, .. }, "pkcs8") => {
      let inner = OctetStringRef::new(private).and_then(|o| o.to_der()).map_err(enc_err)?;
      let inner = OctetStringRef::new(&inner).map_err(enc_err)?;
      let info = pkcs8::PrivateKeyInfoRef::new(pkcs8::AlgorithmIdentifierRef { oid: curve.oid(), parameters: None }, inner);
      info.to_der().map_err(enc_err)
    }
    _ => Err(Error::Dom("InvalidAccessError", "The key cannot be exported in this format".into())),
  }
}

// ---------------------------------------------------------------------------------------------
// RSA

/// Modulus lengths this runtime generates and imports (rsa::PublicKey's own bounds: larger keys
/// make every private operation slower than a sandbox should allow).
pub const RSA_MIN_BITS: usize = 1024;
pub const RSA_MAX_BITS: usize = 8192;

fn big(b: &[u8]) -> BoxedUint {
  BoxedUint::from_be_slice_vartime(b)
}

/// Refuses RSA components longer than the largest modulus before any big number is made of them
/// (their size is the script's).
fn rsa_sizes(parts: &[&[u8]]) -> Res<()> {
  for p in parts {
    let start = p.iter().position(|&x| x != 0).unwrap_or(p.len());
    if p.len() - start > RSA_MAX_BITS / 8 {
      return Err(data_err("RSA keys of 1024 to 8192 bits are supported"));
    }
  }
  Ok(())
}

fn rsa_check_size(bits: usize) -> Res<()> {
  if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
    return Err(data_err("RSA keys of 1024 to 8192 bits are supported"));
  }
  Ok(())
}

fn rsa_public(n: &[u8], e: &[u8]) -> Res<rsa::PublicKey> {
  rsa_sizes(&[n, e])?;
  let n = big(n);
  rsa_check_size(n.bit_width() as usize)?;
  rsa::PublicKey::new_with_size_limits(n, big(e), RSA_MIN_BITS..=RSA_MAX_BITS).map_err(|_| data_err("Invalid RSA public key"))
}

fn rsa_spki(b: &[u8]) -> Res<Key> {
  let spki = pkcs8::spki::SubjectPublicKeyInfoRef::from_der(b).map_err(|_| data_err("Invalid SPKI"))?;
  if spki.algorithm.oid != pkcs1::ALGORITHM_OID {
    return Err(data_err("The SPKI is not of an RSA key"));
  }
  let bits = spki.subject_public_key.as_bytes().ok_or_else(|| data_err("Invalid SPKI"))?;
  let k = pkcs1::RsaPublicKey::<pkcs1::UintRef>::from_der(bits).map_err(|_| data_err("Invalid RSA public key"))?;
  Ok(Key::RsaPublic(Box::new(rsa_public(k.modulus.as_bytes(), k.public_exponent.as_bytes())?)))
}

fn rsa_pkcs8(b: &[u8]) -> Res<Key> {
  let info = pkcs8::PrivateKeyInfoRef::from_der(b).map_err(|_| data_err("Invalid PKCS#8"))?;
  if info.algorithm.oid != pkcs1::ALGORITHM_OID {
    return Err(data_err("The PKCS#8 is not of an RSA key"));
  }
  let k = pkcs1::RsaPrivateKey::<pkcs1::UintRef>::from_der(info.private_key.as_bytes()).map_err(|_| data_err("Invalid RSA private key"))?;
  if k.other_prime_infos.is_some() {
    return Err(not_supported("Multi-prime RSA keys are not supported"));
  }
  rsa_private(
    k.modulus.as_bytes(),
    k.public_exponent.as_bytes(),
    k.private_exponent.as_bytes(),
    Some([k.prime1.as_bytes(), k.prime2.as_bytes()]),
  )
}

/// A private key from its components, checked (the primes multiply to n, d inverts e).
fn rsa_private(n: &[u8], e: &[u8], d: &[u8], primes: Option<[&[u8]; 2]>) -> Res<Key> {
  rsa_sizes(&[n, e, d])?;
  if let Some(pq) = primes {
    rsa_sizes(&pq)?;
  }
  let n = big(n);
  rsa_check_size(n.bit_width() as usize)?;
  let primes = primes.map(|[p, q]| vec![big(p), big(q)]).unwrap_or_default();
  let k = rsa::PrivateKey::from_components(n, big(e), big(d), primes).map_err(|_| data_err("Invalid RSA private key"))?;
  Ok(Key::RsaPrivate(Box::new(k)))
}

fn rsa_export(key: &Key, format: &str) -> Res<Vec<u8>> {
    match (key, format) {
    (Key::RsaPublic(k), "spki") => Ok(k.to_public_key_der().map_err(enc_err)?.as_bytes().to_vec()),
    (Key::RsaPrivate(k), "pkcs8") => Ok(k.to_pkcs8_der().map_err(enc_err)?.as_bytes().to_vec()),
    _ => Err(Error::Dom("InvalidAccessError", "The key cannot be exported in this format".into())),
  }
}

/// RSA key generation, stopping when `cancel` says so: primes drawn as rsa's own generator does
/// (two top bits set, small-factor sieve, crypto-primes' test), with a check between candidates.
pub fn rsa_generate(bits: usize, e: &[u8], cancel: &Cancel) -> Res<(Key, Key)> {
  if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
    return Err(op_err("The modulusLength must be between 1024 and 8192"));
  }
  let exp = big(e);
  // An even exponent or one below 3 has no inverse modulo λ(n); 2^33 is rsa's bound.
  if e.len() > 5 || !exp.is_odd().to_bool() || exp < BoxedUint::from(3u64) || exp > BoxedUint::from((1u64 << 33) - 1) {
    return Err(op_err("The publicExponent must be odd, at least 3 and below 2^33"));
  }
  let p_bits = (bits / 2) as u32;
  let q_bits = (bits - bits / 2) as u32;
  loop {
    let p = random_prime(p_bits, cancel)?;
    let q = random_prime(q_bits, cancel)?;
    if p == q {
      continue;
    }
    // gcd(e, λ(n)) ≠ 1 fails here: draw again.
    if let Ok(k) = rsa::PrivateKey::from_p_q(p, q, exp.clone()) {
      if k.n().bit_width() as usize == bits {
        let public = k.to_public_key();
        return Ok((Key::RsaPrivate(Box::new(k)), Key::RsaPublic(Box::new(public))));
      }
    }
  }
}

fn random_prime(bits: u32, cancel: &Cancel) -> Res<BoxedUint> {
  use crypto_bigint::RandomBits;
  use crypto_primes::{hazmat::SmallFactorsSieve, is_prime, Flavor};
  let width = std::num::NonZeroU32::new(bits).ok_or_else(|| op_err("bad prime size"))?;
  loop {
    cancel.check()?;
    let mut start = BoxedUint::try_random_bits(&mut getrandom::SysRng, bits).map_err(|_| op_err("the system random generator failed"))?;
    start.set_bit_vartime(0, true);
    start.set_bit_vartime(bits - 1, true);
    start.set_bit_vartime(bits - 2, true);
    let Ok(sieve) = SmallFactorsSieve::new(start, width, false) else { continue };
    for candidate in sieve {
      cancel.check()?;
      if is_prime(Flavor::Any, &candidate) {
        return Ok(candidate);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/// Imports `bytes` in `format` ("raw", "spki", "pkcs8") for `kind`: "RSA" or a curve name.
pub fn import(kind: &str, format: &str, bytes: &[u8]) -> Res<Key> {
  if kind == "RSA" {
    return match format {
      "spki" => rsa_spki(bytes),
      "pkcs8" => rsa_pkcs8(bytes),
      _ => Err(not_supported("RSA keys cannot be imported in this format")),
    };
  }
  let curve = Curve::parse(kind)?;
  if curve.is_ec() {
    let ec = match format {
      "raw" => on_curve!(curve, public_raw(bytes)),
      "spki" => on_curve!(curve, spki(bytes)),
      "pkcs8" => on_curve!(curve, pkcs8(bytes)),
      _ => return Err(not_supported("Unsupported key format")),
    }?;
    return Ok(Key::Ec(ec));
  }
  match format {
    "raw" => okp_public(curve, bytes),
    "spki" => okp_spki(curve, bytes),
    "pkcs8" => okp_pkcs8(curve, bytes),
    _ => Err(not_supported("Unsupported key format")),
  }
}

/// Imports JWK members (decoded): RSA [n, e, d, p, q, dp, dq, qi], EC [x, y, d], OKP [x, d];
/// None for an absent member.
pub fn import_jwk(kind: &str, m: &[Option<Vec<u8>>]) -> Res<Key> {
  let get = |i: usize| m.get(i).and_then(|v| v.as_deref());
  let need = |i: usize, name: &str| get(i).ok_or_else(|| data_err(&format!("The JWK member '{name}' is missing")));
  if kind == "RSA" {
    let (n, e) = (need(0, "n")?, need(1, "e")?);
    let Some(d) = get(2) else {
      return Ok(Key::RsaPublic(Box::new(rsa_public(n, e)?)));
    };
    // With d, either all of p, q, dp, dq, qi or none (RFC 7518 §6.3.2); the CRT values are
    // recomputed from p and q, and must match.
    let crt: Vec<Option<&[u8]>> = (3..8).map(get).collect();
    let key = if crt.iter().all(|c| c.is_some()) {
      let key = rsa_private(n, e, d, Some([need(3, "p")?, need(4, "q")?]))?;
      if let Key::RsaPrivate(k) = &key {
        rsa_sizes(&[need(5, "dp")?, need(6, "dq")?, need(7, "qi")?])?;
        let [dp, dq, qi] = rsa_crt(k)?;
        if big(need(5, "dp")?) != big(&dp) || big(need(6, "dq")?) != big(&dq) || big(need(7, "qi")?) != big(&qi) {
          return Err(data_err("The JWK's dp, dq or qi do not match its primes"));
        }
      }
      key
    } else if crt.iter().all(|c| c.is_none()) {
      rsa_private(n, e, d, None)?
    } else {
      return Err(data_err("The JWK has some but not all of p, q, dp, dq and qi"));
    };
    return Ok(key);
  }
  let curve = Curve::parse(kind)?;
  if curve.is_ec() {
    let (x, y) = (need(0, "x")?, need(1, "y")?);
    return Ok(Key::Ec(on_curve!(curve, jwk(x, y, get(2)))?));
  }
  let x = need(0, "x")?;
  match get(1) {
    None => okp_public(curve, x),
    Some(d) => {
      let key = okp_private(curve, d.to_vec())?;
      if let Key::OkpPrivate { public, .. } = &key {
        if public.as_slice() != x {
          return Err(data_err("The JWK's d does not match its x"));
        }
      }
      Ok(key)
    }
  }
}

fn rsa_crt(k: &rsa::PrivateKey) -> Res<[Vec<u8>; 3]> {
  let bad = || op_err("The key could not be encoded");
  let (dp, dq) = (k.dp().ok_or_else(bad)?, k.dq().ok_or_else(bad)?);
  let qi = k.crt_coefficient().ok_or_else(bad)?;
  Ok([unsigned(&dp.to_be_bytes()), unsigned(&dq.to_be_bytes()), unsigned(&qi.to_be_bytes())])
}

pub fn export(key: &Key, format: &str) -> Res<Vec<u8>> {
  match key {
    Key::RsaPrivate(_) | Key::RsaPublic(_) => rsa_export(key, format),
    Key::Ec(ec) => on_curve!(ec.curve(), export(ec, format)),
    Key::OkpPrivate { curve, .. } | Key::OkpPublic { curve, .. } => okp_export(*curve, key, format),
    Key::Secret(_) => Err(op_err("not an asymmetric key")),
  }
}

/// JWK members in the order `import_jwk` takes them (empty for absent ones).
pub fn jwk_parts(key: &Key) -> Res<Vec<Vec<u8>>> {
  match key {
    Key::RsaPublic(k) => Ok(vec![unsigned(&k.n().to_be_bytes()), unsigned(&k.e().to_be_bytes())]),
    Key::RsaPrivate(k) => {
      let primes = k.primes();
      let (Some(p), Some(q)) = (primes.first(), primes.get(1)) else { return Err(op_err("The key could not be encoded")) };
      let [dp, dq, qi] = rsa_crt(k)?;
      Ok(vec![
        unsigned(&k.n().to_be_bytes()),
        unsigned(&k.e().to_be_bytes()),
        unsigned(&k.d().to_be_bytes()),
        unsigned(&p.to_be_bytes()),
        unsigned(&q.to_be_bytes()),
        dp,
        dq,
        qi,
      ])
    }
    Key::Ec(ec) => on_curve!(ec.curve(), jwk_parts(ec)),
    Key::OkpPublic { public, .. } => Ok(vec![public.clone()]),
    Key::OkpPrivate { private, public, .. } => Ok(vec![public.clone(), private.clone()]),
    Key::Secret(_) => Err(op_err("not an asymmetric key")),
  }
}

/// A key pair of a curve (RSA goes through `rsa_generate`).
pub fn generate(kind: &str) -> Res<(Key, Key)> {
  let curve = Curve::parse(kind)?;
  if curve.is_ec() {
    let (a, b) = on_curve!(curve, generate())?;
    return Ok((Key::Ec(a), Key::Ec(b)));
  }
  let private = super::random_bytes(curve.okp_len())?;
  let public = okp_public_of(curve, &private).map_err(|_| op_err("key generation failed"))?;
  Ok((Key::OkpPrivate { curve, private, public: public.clone() }, Key::OkpPublic { curve, public }))
}
