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
    (Key::Ec(ec), SignParams::Ecdsa(h)) => ec_verify(ec, &h.digest(data), sig),
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
