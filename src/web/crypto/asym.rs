//! Signatures, RSA-OAEP and key agreement on the keys of `keys.rs`
//! (https://w3c.github.io/webcrypto/#algorithm-overview).

use super::keys::{ec_derive, ec_sign, ec_verify, Curve, Key};
use super::{access_err, op_err, Error, Hash, Res};
use getrandom::SysRng;

/// Runs `$body` with `$D` the RustCrypto digest type of `$hash`.
macro_rules! with_digest {
  ($hash:expr, $D:ident => $body:expr) => {
    match $hash {
      Hash::Sha1 => {
        type $D = sha1::Sha1;
        $body
      }
      Hash::Sha256 => {
        type $D = sha2::Sha256;
        $body
      }
      Hash::Sha384 => {
        type $D = sha2::Sha384;
        $body
      }
      Hash::Sha512 => {
        type $D = sha2::Sha512;
        $body
      }
    }
  };
}

/// What a signature scheme takes besides the key and the data.
pub enum SignParams {
  Pkcs1(Hash),
  Pss(Hash, usize),
  Ecdsa(Hash),
  Ed25519,
  /// Ed448 with its context (at most 255 bytes).
  Ed448(Vec<u8>),
}

fn wrong_key() -> Error {
  access_err("The key does not fit the algorithm")
}

pub fn sign(key: &Key, params: &SignParams, data: &[u8]) -> Res<Vec<u8>> {
  match (key, params) {
    (Key::RsaPrivate(k), SignParams::Pkcs1(h)) => {
      let digest = h.digest(data);
      with_digest!(h, D => k.sign_with_rng(&mut SysRng, rsa::pkcs1v15::Pkcs1v15Sign::new::<D>(), &digest))
        .map_err(|_| op_err("RSASSA-PKCS1-v1_5 signing failed"))
    }
    (Key::RsaPrivate(k), SignParams::Pss(h, salt)) => {
      let digest = h.digest(data);
      with_digest!(h, D => k.sign_with_rng(&mut SysRng, rsa::pss::Pss::<D>::new_with_salt(*salt), &digest))
        .map_err(|_| op_err("RSA-PSS signing failed: the saltLength is too large for this key and hash"))
    }
    (Key::Ec(ec), SignParams::Ecdsa(h)) => ec_sign(ec, &h.digest(data)),
    (Key::OkpPrivate { curve: Curve::Ed25519, private, .. }, SignParams::Ed25519) => {
      use ed25519_dalek::Signer;
      let seed: [u8; 32] = private.as_slice().try_into().map_err(|_| op_err("bad Ed25519 key"))?;
      Ok(ed25519_dalek::SigningKey::from_bytes(&seed).sign(data).to_bytes().to_vec())
    }
    (Key::OkpPrivate { curve: Curve::Ed448, private, .. }, SignParams::Ed448(context)) => {
      let seed = ed448_goldilocks::SecretKey::try_from(private.as_slice()).map_err(|_| op_err("bad Ed448 key"))?;
      let sig = ed448_goldilocks::SigningKey::from(&seed).sign_ctx(context, data).map_err(|_| op_err("Ed448 signing failed (context longer than 255 bytes?)"))?;
      Ok(sig.to_bytes().to_vec())
    }
    _ => Err(wrong_key()),
  }
}

/// ring's signing key for a private key, made on the key's first signature and kept with it
/// (`FastCell`, beside the key in its handle): ring signs ECDSA on P-256 and P-384 and RSA
/// several times faster than RustCrypto's generic arithmetic (ES256: ~400 -> ~40 µs, RS256 with
/// 2048 bits: ~2 -> ~0.6 ms here), and JWT code signs many times with one imported key. None: a
/// key ring does not take (RSA outside 2048-8192 bits, say), which RustCrypto signs.
pub enum Fast {
  Ecdsa(ring::signature::EcdsaKeyPair),
  Rsa(ring::signature::RsaKeyPair),
}

pub type FastCell = std::sync::OnceLock<Option<Fast>>;

fn fast_key(key: &Key) -> Option<Fast> {
  use super::keys::Ec;
  use ring::signature as rs;
  let rng = ring::rand::SystemRandom::new();
  match key {
    Key::Ec(Ec::P256Private(s)) => {
      use p256::elliptic_curve::sec1::ToSec1Point;
      let public = s.public_key().to_sec1_point(false);
      rs::EcdsaKeyPair::from_private_key_and_public_key(&rs::ECDSA_P256_SHA256_FIXED_SIGNING, &s.to_bytes(), public.as_bytes(), &rng).ok().map(Fast::Ecdsa)
    }
    Key::Ec(Ec::P384Private(s)) => {
      use p384::elliptic_curve::sec1::ToSec1Point;
      let public = s.public_key().to_sec1_point(false);
      rs::EcdsaKeyPair::from_private_key_and_public_key(&rs::ECDSA_P384_SHA384_FIXED_SIGNING, &s.to_bytes(), public.as_bytes(), &rng).ok().map(Fast::Ecdsa)
    }
    Key::RsaPrivate(k) => {
      use pkcs8::EncodePrivateKey;
      let der = k.to_pkcs8_der().ok()?;
      rs::RsaKeyPair::from_pkcs8(der.as_bytes()).ok().map(Fast::Rsa)
    }
    _ => None,
  }
}

/// Signs with ring when the key and scheme are among ring's (the ECDSA pairs of ES256/ES384,
/// RSASSA-PKCS1-v1_5 and RSA-PSS with a salt as long as the hash, SHA-256 to SHA-512), else as
/// [`sign`] does.
pub fn sign_fast(key: &Key, cell: &FastCell, params: &SignParams, data: &[u8]) -> Res<Vec<u8>> {
  use super::keys::Ec;
  use ring::signature as rs;
  let rsa: Option<&'static dyn rs::RsaEncoding> = match params {
    SignParams::Pkcs1(Hash::Sha256) => Some(&rs::RSA_PKCS1_SHA256),
    SignParams::Pkcs1(Hash::Sha384) => Some(&rs::RSA_PKCS1_SHA384),
    SignParams::Pkcs1(Hash::Sha512) => Some(&rs::RSA_PKCS1_SHA512),
    SignParams::Pss(Hash::Sha256, 32) => Some(&rs::RSA_PSS_SHA256),
    SignParams::Pss(Hash::Sha384, 48) => Some(&rs::RSA_PSS_SHA384),
    SignParams::Pss(Hash::Sha512, 64) => Some(&rs::RSA_PSS_SHA512),
    _ => None,
  };
  let ours = match (key, params) {
    (Key::Ec(Ec::P256Private(_)), SignParams::Ecdsa(Hash::Sha256)) | (Key::Ec(Ec::P384Private(_)), SignParams::Ecdsa(Hash::Sha384)) => true,
    (Key::RsaPrivate(_), _) => rsa.is_some(),
    _ => false,
  };
  if !ours {
    return sign(key, params, data);
  }
  let rng = ring::rand::SystemRandom::new();
  match (cell.get_or_init(|| fast_key(key)), rsa) {
    (Some(Fast::Ecdsa(pair)), None) => pair.sign(&rng, data).map(|s| s.as_ref().to_vec()).map_err(|_| op_err("ECDSA signing failed")),
    (Some(Fast::Rsa(pair)), Some(encoding)) => {
      let mut sig = vec![0u8; pair.public().modulus_len()];
      pair.sign(encoding, &rng, data, &mut sig).map_err(|_| op_err("RSA signing failed"))?;
      Ok(sig)
    }
    _ => sign(key, params, data),
  }
}

/// ECDSA verification by ring for the pairs it has with fixed-size signatures (P-256 with SHA-256,
/// P-384 with SHA-384: the ES256 and ES384 of JWTs): several times faster than RustCrypto's
/// generic field arithmetic (~300 µs per P-256 verification here), which checks the other
/// pairs. None: not one of ring's pairs.
fn ring_ecdsa_verify(ec: &super::keys::Ec, h: Hash, sig: &[u8], data: &[u8]) -> Option<bool> {
  use super::keys::Ec;
  use ring::signature as rs;
  let (alg, point): (&'static rs::EcdsaVerificationAlgorithm, Vec<u8>) = match (ec, h) {
    (Ec::P256Public(p), Hash::Sha256) => {
      use p256::elliptic_curve::sec1::ToSec1Point;
      (&rs::ECDSA_P256_SHA256_FIXED, p.to_sec1_point(false).as_bytes().to_vec())
    }
    (Ec::P384Public(p), Hash::Sha384) => {
      use p384::elliptic_curve::sec1::ToSec1Point;
      (&rs::ECDSA_P384_SHA384_FIXED, p.to_sec1_point(false).as_bytes().to_vec())
    }
    _ => return None,
  };
  Some(rs::UnparsedPublicKey::new(alg, point).verify(data, sig).is_ok())
}

/// Whether `sig` is a signature of `data`; a malformed signature (or public key) is `false`.
pub fn verify(key: &Key, params: &SignParams, sig: &[u8], data: &[u8]) -> Res<bool> {
  match (key, params) {
    (Key::RsaPublic(k), SignParams::Pkcs1(h)) => {
      let digest = h.digest(data);
      Ok(with_digest!(h, D => k.verify(rsa::pkcs1v15::Pkcs1v15Sign::new::<D>(), &digest, sig)).is_ok())
    }
    (Key::RsaPublic(k), SignParams::Pss(h, salt)) => {
      let digest = h.digest(data);
      Ok(with_digest!(h, D => k.verify(rsa::pss::Pss::<D>::new_with_salt(*salt), &digest, sig)).is_ok())
    }
    (Key::Ec(ec), SignParams::Ecdsa(h)) => match ring_ecdsa_verify(ec, *h, sig, data) {
      Some(ok) => Ok(ok),
      None => ec_verify(ec, &h.digest(data), sig),
    },
    (Key::OkpPublic { curve: Curve::Ed25519, public }, SignParams::Ed25519) => {
      // Strict verification: small-order public keys and R points are refused, and the
      // equation is checked without the cofactor (as WPT's eddsa_small_order_points expects).
      let (Ok(pk), Ok(sig)) = (<[u8; 32]>::try_from(public.as_slice()), ed25519_dalek::Signature::from_slice(sig)) else { return Ok(false) };
      let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(&pk) else { return Ok(false) };
      Ok(vk.verify_strict(data, &sig).is_ok())
    }
    (Key::OkpPublic { curve: Curve::Ed448, public }, SignParams::Ed448(context)) => {
      let Ok(pk) = <[u8; 57]>::try_from(public.as_slice()) else { return Ok(false) };
      let (Ok(vk), Ok(sig)) = (ed448_goldilocks::VerifyingKey::from_bytes(&pk), ed448_goldilocks::Signature::try_from(sig)) else { return Ok(false) };
      Ok(vk.verify_ctx(&sig, context, data).is_ok())
    }
    _ => Err(wrong_key()),
  }
}

/// RSA-OAEP (https://w3c.github.io/webcrypto/#rsa-oaep-operations).
pub fn rsa_oaep(key: &Key, encrypt: bool, hash: Hash, label: &[u8], data: &[u8]) -> Res<Vec<u8>> {
  let label = label.to_vec().into_boxed_slice();
  match (key, encrypt) {
    (Key::RsaPublic(k), true) => with_digest!(hash, D => k.encrypt(&mut SysRng, rsa::Oaep::<D>::new_with_label(label), data))
      .map_err(|_| op_err("The data is too long for RSA-OAEP with this key and hash")),
    (Key::RsaPrivate(k), false) => with_digest!(hash, D => k.decrypt_blinded(&mut SysRng, rsa::Oaep::<D>::new_with_label(label), data))
      .map_err(|_| op_err("The data is not an RSA-OAEP ciphertext of this key, hash and label")),
    _ => Err(wrong_key()),
  }
}

/// ECDH, X25519 and X448: the shared secret, cut to `length` bits (all of it when None).
/// https://w3c.github.io/webcrypto/#ecdh-operations, https://wicg.github.io/webcrypto-secure-curves/
pub fn derive(private: &Key, public: &Key, length: Option<usize>) -> Res<Vec<u8>> {
  let secret = match (private, public) {
    (Key::Ec(a), Key::Ec(b)) => ec_derive(a, b)?,
    (Key::OkpPrivate { curve: Curve::X25519, private, .. }, Key::OkpPublic { curve: Curve::X25519, public }) => {
      let (Ok(k), Ok(u)) = (<[u8; 32]>::try_from(private.as_slice()), <[u8; 32]>::try_from(public.as_slice())) else { return Err(wrong_key()) };
      let s = x25519_dalek::x25519(k, u);
      // RFC 7748 §6.1: an all-zero result means a small-order public key.
      if s.iter().all(|&b| b == 0) {
        return Err(op_err("The X25519 public key is of small order"));
      }
      s.to_vec()
    }
    (Key::OkpPrivate { curve: Curve::X448, private, .. }, Key::OkpPublic { curve: Curve::X448, public }) => {
      let (Ok(k), Ok(u)) = (<[u8; 56]>::try_from(private.as_slice()), <[u8; 56]>::try_from(public.as_slice())) else { return Err(wrong_key()) };
      // RFC 7748 §6.2: an all-zero result means a small-order public key (whatever its
      // encoding: non-canonical ones included, which x448's own check misses).
      let s = x448::x448_unchecked(k, u);
      if s.iter().all(|&b| b == 0) {
        return Err(op_err("The X448 public key is of small order"));
      }
      s.to_vec()
    }
    _ => return Err(access_err("The public key is not of the base key's algorithm and curve")),
  };
  truncate_bits(secret, length)
}

/// The first `length` bits of `bytes`, the bits past them in the last byte zeroed.
pub fn truncate_bits(mut bytes: Vec<u8>, length: Option<usize>) -> Res<Vec<u8>> {
  let Some(bits) = length else { return Ok(bytes) };
  if bits > bytes.len() * 8 {
    return Err(op_err("The length is larger than the derived secret"));
  }
  bytes.truncate(bits.div_ceil(8));
  if bits % 8 != 0 {
    if let Some(last) = bytes.last_mut() {
      *last &= 0xffu8 << (8 - bits % 8);
    }
  }
  Ok(bytes)
}

#[cfg(test)]
mod tests {
  use super::super::keys::{self, Key};
  use super::super::Cancel;
  use super::*;

  fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
  }

  #[test]
  fn rsa_keys_sign_encrypt_and_round_trip_through_every_format() {
    let (private, public) = keys::rsa_generate(1024, &[1, 0, 1], &Cancel::never()).unwrap();
    assert_eq!(private.rsa_info().unwrap(), (1024, vec![1, 0, 1]));
    let pkcs8 = keys::export(&private, "pkcs8").unwrap();
    let spki = keys::export(&public, "spki").unwrap();
    let private2 = keys::import("RSA", "pkcs8", &pkcs8).unwrap();
    let public2 = keys::import("RSA", "spki", &spki).unwrap();
    let parts: Vec<Option<Vec<u8>>> = keys::jwk_parts(&private2).unwrap().into_iter().map(Some).collect();
    let private3 = keys::import_jwk("RSA", &parts).unwrap();
    // n, e, d without the CRT values: the primes are recovered.
    let private4 = keys::import_jwk("RSA", &parts[..3]).unwrap();
    for (p, params) in [(&private3, SignParams::Pkcs1(Hash::Sha256)), (&private4, SignParams::Pss(Hash::Sha384, 20))] {
      let sig = sign(p, &params, b"msg").unwrap();
      assert!(verify(&public2, &params, &sig, b"msg").unwrap());
      assert!(!verify(&public2, &params, &sig, b"msh").unwrap());
      assert!(!verify(&public2, &params, &sig[1..], b"msg").unwrap());
    }
    // PKCS#1 v1.5 signatures are deterministic.
    assert_eq!(sign(&private, &SignParams::Pkcs1(Hash::Sha1), b"m").unwrap(), sign(&private3, &SignParams::Pkcs1(Hash::Sha1), b"m").unwrap());
    // A PSS salt too long for a 1024-bit key and SHA-512.
    assert!(matches!(sign(&private, &SignParams::Pss(Hash::Sha512, 100), b"m"), Err(Error::Dom("OperationError", _))));
    let ct = rsa_oaep(&public, true, Hash::Sha256, b"label", b"secret").unwrap();
    assert_eq!(rsa_oaep(&private2, false, Hash::Sha256, b"label", &ct).unwrap(), b"secret");
    assert!(rsa_oaep(&private2, false, Hash::Sha256, b"other", &ct).is_err());
    assert!(rsa_oaep(&public, true, Hash::Sha512, b"", &[0u8; 100]).is_err());
    assert!(matches!(rsa_oaep(&private, true, Hash::Sha256, b"", b"x"), Err(Error::Dom("InvalidAccessError", _))));
    // Mismatched JWK CRT values, a broken modulus, sizes outside the bounds.
    let mut bad = parts.clone();
    bad[5] = Some(vec![1]);
    assert!(keys::import_jwk("RSA", &bad).is_err());
    assert!(keys::import_jwk("RSA", &parts[..4]).is_err());
    assert!(keys::import("RSA", "spki", &spki[..spki.len() - 1]).is_err());
    assert!(keys::import("RSA", "pkcs8", b"junk").is_err());
    // Components past the largest modulus are refused before any number is made of them.
    let mut huge = parts.clone();
    huge[0] = Some(vec![0xff; 1 << 20]);
    assert!(matches!(keys::import_jwk("RSA", &huge[..2]), Err(Error::Dom("DataError", _))));
    huge[0] = parts[0].clone();
    huge[2] = Some(vec![0xff; 1025]);
    assert!(matches!(keys::import_jwk("RSA", &huge), Err(Error::Dom("DataError", _))));
    assert!(keys::rsa_generate(512, &[1, 0, 1], &Cancel::never()).is_err());
    assert!(keys::rsa_generate(2048, &[1, 0, 0], &Cancel::never()).is_err());
    assert!(keys::rsa_generate(2048, &[1], &Cancel::never()).is_err());
  }

  #[test]
  fn ring_signatures_verify_as_rustcrypto_ones_do_and_pkcs1_ones_are_the_same() {
    let (rsa, rsa_pub) = keys::rsa_generate(2048, &[1, 0, 1], &Cancel::never()).unwrap();
    let cell = FastCell::default();
    for params in [SignParams::Pkcs1(Hash::Sha256), SignParams::Pkcs1(Hash::Sha512), SignParams::Pss(Hash::Sha256, 32), SignParams::Pss(Hash::Sha384, 48)] {
      let sig = sign_fast(&rsa, &cell, &params, b"msg").unwrap();
      assert!(verify(&rsa_pub, &params, &sig, b"msg").unwrap());
      assert!(!verify(&rsa_pub, &params, &sig, b"msh").unwrap());
    }
    assert!(matches!(cell.get(), Some(Some(Fast::Rsa(_)))), "ring took the key");
    // PKCS#1 v1.5 is deterministic: ring and RustCrypto give the same bytes.
    let p = SignParams::Pkcs1(Hash::Sha384);
    assert_eq!(sign_fast(&rsa, &cell, &p, b"m").unwrap(), sign(&rsa, &p, b"m").unwrap());
    // Not ring's: SHA-1, another PSS salt; RustCrypto signs them.
    for params in [SignParams::Pkcs1(Hash::Sha1), SignParams::Pss(Hash::Sha256, 20)] {
      let sig = sign_fast(&rsa, &cell, &params, b"msg").unwrap();
      assert!(verify(&rsa_pub, &params, &sig, b"msg").unwrap());
    }
    // A key ring refuses (1024 bits) is signed by RustCrypto.
    let (small, small_pub) = keys::rsa_generate(1024, &[1, 0, 1], &Cancel::never()).unwrap();
    let small_cell = FastCell::default();
    let sig = sign_fast(&small, &small_cell, &SignParams::Pkcs1(Hash::Sha256), b"msg").unwrap();
    assert!(verify(&small_pub, &SignParams::Pkcs1(Hash::Sha256), &sig, b"msg").unwrap());
    assert!(matches!(small_cell.get(), Some(None)));
    for curve in ["P-256", "P-384", "P-521"] {
      let (ec, ec_pub) = keys::generate(curve).unwrap();
      let Key::Ec(ref public) = ec_pub else { panic!() };
      let cell = FastCell::default();
      for h in [Hash::Sha256, Hash::Sha384, Hash::Sha512] {
        let params = SignParams::Ecdsa(h);
        let sig = sign_fast(&ec, &cell, &params, b"data").unwrap();
        // RustCrypto's verification, not ring's, so that each checks the other.
        assert!(keys::ec_verify(public, &h.digest(b"data"), &sig).unwrap(), "{curve} {h:?}");
        assert!(!keys::ec_verify(public, &h.digest(b"datb"), &sig).unwrap());
      }
    }
  }

  #[test]
  fn rsa_generation_stops_when_cancelled() {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let start = std::time::Instant::now();
    let r = keys::rsa_generate(8192, &[1, 0, 1], &Cancel::Flag(flag));
    assert!(matches!(r, Err(Error::Cancelled)));
    assert!(start.elapsed() < std::time::Duration::from_millis(200));
  }

  #[test]
  fn ec_keys_sign_and_agree_on_every_curve() {
    for curve in ["P-256", "P-384", "P-521"] {
      let (a, a_pub) = keys::generate(curve).unwrap();
      let (b, b_pub) = keys::generate(curve).unwrap();
      let Key::Ec(ref ec) = a else { panic!() };
      for h in [Hash::Sha1, Hash::Sha256, Hash::Sha384, Hash::Sha512] {
        let sig = sign(&a, &SignParams::Ecdsa(h), b"data").unwrap();
        assert!(verify(&a_pub, &SignParams::Ecdsa(h), &sig, b"data").unwrap(), "{curve} {h:?}");
        assert!(!verify(&b_pub, &SignParams::Ecdsa(h), &sig, b"data").unwrap());
      }
      assert!(keys::ec_sign(ec, b"").is_ok());
      // ring's pairs and RustCrypto's agree on bad signatures: truncated, zero, flipped bits.
      let Key::Ec(ref ec_pub) = a_pub else { panic!() };
      for h in [Hash::Sha256, Hash::Sha384] {
        let good = sign(&a, &SignParams::Ecdsa(h), b"data").unwrap();
        let mut flipped = good.clone();
        flipped[3] ^= 1;
        let zeros = vec![0u8; good.len()];
        for bad in [&good[..good.len() - 1], &zeros[..], &flipped[..], &[][..]] {
          let ring_has = matches!((curve, h), ("P-256", Hash::Sha256) | ("P-384", Hash::Sha384));
          assert_eq!(ring_ecdsa_verify(ec_pub, h, bad, b"data"), ring_has.then_some(false), "{curve} {h:?}");
          assert!(!ec_verify(ec_pub, &h.digest(b"data"), bad).unwrap());
        }
        let ring_has = matches!((curve, h), ("P-256", Hash::Sha256) | ("P-384", Hash::Sha384));
        assert_eq!(ring_ecdsa_verify(ec_pub, h, &good, b"data"), ring_has.then_some(true));
        assert!(ec_verify(ec_pub, &h.digest(b"data"), &good).unwrap());
      }
      let s1 = derive(&a, &b_pub, None).unwrap();
      assert_eq!(s1, derive(&b, &a_pub, None).unwrap());
      assert_eq!(derive(&a, &b_pub, Some(12)).unwrap(), vec![s1[0], s1[1] & 0xf0]);
      assert_eq!(derive(&a, &b_pub, Some(0)).unwrap(), Vec::<u8>::new());
      assert!(derive(&a, &b_pub, Some(s1.len() * 8 + 8)).is_err());
      // Every format round-trips.
      let parts: Vec<Option<Vec<u8>>> = keys::jwk_parts(&a).unwrap().into_iter().map(Some).collect();
      assert!(keys::import_jwk(curve, &parts).unwrap().is_private());
      assert!(keys::import(curve, "pkcs8", &keys::export(&a, "pkcs8").unwrap()).unwrap().is_private());
      assert!(!keys::import(curve, "spki", &keys::export(&a_pub, "spki").unwrap()).unwrap().is_private());
      assert!(!keys::import(curve, "raw", &keys::export(&a_pub, "raw").unwrap()).unwrap().is_private());
      assert!(keys::export(&a, "raw").is_err());
      // A key of another curve: refused.
      let other = if curve == "P-256" { "P-384" } else { "P-256" };
      let (_, c_pub) = keys::generate(other).unwrap();
      assert!(derive(&a, &c_pub, None).is_err());
      assert!(keys::import(other, "spki", &keys::export(&a_pub, "spki").unwrap()).is_err());
      // x and y swapped is not a point of the curve; d of another key does not match.
      let swapped = vec![parts[1].clone(), parts[0].clone(), None];
      assert!(keys::import_jwk(curve, &swapped).is_err());
      let b_parts: Vec<Option<Vec<u8>>> = keys::jwk_parts(&b).unwrap().into_iter().map(Some).collect();
      assert!(keys::import_jwk(curve, &[parts[0].clone(), parts[1].clone(), b_parts[2].clone()]).is_err());
    }
  }

  #[test]
  fn x25519_matches_rfc7748_and_refuses_small_order_points() {
    let alice = keys::import_jwk("X25519", &[Some(hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")), Some(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))]).unwrap();
    let bob = keys::import("X25519", "raw", &hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")).unwrap();
    assert_eq!(derive(&alice, &bob, None).unwrap(), hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
    let zero = keys::import("X25519", "raw", &[0u8; 32]).unwrap();
    assert!(matches!(derive(&alice, &zero, None), Err(Error::Dom("OperationError", _))));
    // A wrong public key for the private one: refused on import.
    assert!(keys::import_jwk("X25519", &[Some(vec![9u8; 32]), Some(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))]).is_err());
  }

  #[test]
  fn okp_keys_round_trip_and_sign() {
    for curve in ["Ed25519", "Ed448", "X25519", "X448"] {
      let (private, public) = keys::generate(curve).unwrap();
      let pkcs8 = keys::export(&private, "pkcs8").unwrap();
      let spki = keys::export(&public, "spki").unwrap();
      let raw = keys::export(&public, "raw").unwrap();
      assert!(keys::import(curve, "pkcs8", &pkcs8).unwrap().is_private());
      assert_eq!(keys::export(&keys::import(curve, "spki", &spki).unwrap(), "raw").unwrap(), raw);
      assert!(keys::import(curve, "raw", &raw[1..]).is_err());
      let other = if curve == "Ed25519" { "X25519" } else { "Ed25519" };
      assert!(keys::import(other, "spki", &spki).is_err());
      match curve {
        "Ed25519" | "Ed448" => {
          let params = if curve == "Ed25519" { SignParams::Ed25519 } else { SignParams::Ed448(b"ctx".to_vec()) };
          let sig = sign(&private, &params, b"m").unwrap();
          assert!(verify(&public, &params, &sig, b"m").unwrap());
          assert!(!verify(&public, &params, &sig, b"n").unwrap());
          assert!(!verify(&public, &params, &sig[1..], b"m").unwrap());
        }
        _ => {
          let (p2, pub2) = keys::generate(curve).unwrap();
          assert_eq!(derive(&private, &pub2, None).unwrap(), derive(&p2, &public, None).unwrap());
        }
      }
    }
    // RFC 8032 §7.1 test 1.
    let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let public = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    let key = keys::import_jwk("Ed25519", &[Some(public.clone()), Some(seed)]).unwrap();
    let sig = sign(&key, &SignParams::Ed25519, b"").unwrap();
    assert_eq!(sig, hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
    // A small-order public key (the identity) never verifies.
    let mut identity = vec![0u8; 32];
    identity[0] = 1;
    let weak = keys::import("Ed25519", "raw", &identity).unwrap();
    assert!(!verify(&weak, &SignParams::Ed25519, &sig, b"").unwrap());
  }
}
