//! AES modes of https://w3c.github.io/webcrypto/: CBC (PKCS#7 padding), CTR (with the spec's
//! counter `length`), GCM (any IV length, tags of 32 to 128 bits), KW (RFC 3394).
//!
//! ring does GCM where it can (96-bit IV, 128-bit tag, 128/256-bit key: one fast pass); the rest
//! is RustCrypto's `aes`, `cbc`, `ctr`, `ghash` and `aes-kw`. GCM is assembled here from `ctr`
//! and `ghash` (NIST SP 800-38D §7) because `aes-gcm` fixes the IV length at compile time and
//! refuses tags under 96 bits, which WebCrypto allows.

use super::{op_err, Cancel, Res, SLICE};
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit, StreamCipher};
use ghash::universal_hash::UniversalHash;

/// Runs `$body` with `$A` the AES type of a key of `$key`'s length.
macro_rules! with_aes {
  ($key:expr, $A:ident => $body:expr) => {
    match $key.len() {
      16 => {
        type $A = aes::Aes128;
        $body
      }
      24 => {
        type $A = aes::Aes192;
        $body
      }
      32 => {
        type $A = aes::Aes256;
        $body
      }
      _ => Err(op_err("AES keys are 128, 192 or 256 bits")),
    }
  };
}

/// AES-CBC with PKCS#7 padding (https://w3c.github.io/webcrypto/#aes-cbc-operations).
pub fn cbc(key: &[u8], encrypt: bool, iv: &[u8], data: &[u8]) -> Res<Vec<u8>> {
  use aes::cipher::block_padding::Pkcs7;
  if iv.len() != 16 {
    return Err(op_err("The AES-CBC iv must be 16 bytes"));
  }
  with_aes!(key, A => {
    if encrypt {
      let e = cbc::Encryptor::<A>::new_from_slices(key, iv).map_err(|_| op_err("bad AES key"))?;
      Ok(e.encrypt_padded_vec::<Pkcs7>(data))
    } else {
      let d = cbc::Decryptor::<A>::new_from_slices(key, iv).map_err(|_| op_err("bad AES key"))?;
      d.decrypt_padded_vec::<Pkcs7>(data).map_err(|_| op_err("The data is not a padded AES-CBC ciphertext of this key"))
    }
  })
}

/// AES-CTR (https://w3c.github.io/webcrypto/#aes-ctr-operations): the rightmost `length` bits of
/// the counter block are the counter, and wrap around within those bits.
pub fn ctr(key: &[u8], counter: &[u8], length: u32, data: &[u8], cancel: &Cancel) -> Res<Vec<u8>> {
  let counter: [u8; 16] = counter.try_into().map_err(|_| op_err("The AES-CTR counter must be 16 bytes"))?;
  if length == 0 || length > 128 {
    return Err(op_err("The AES-CTR length must be between 1 and 128"));
  }
  let blocks = data.len().div_ceil(16) as u128;
  let c = u128::from_be_bytes(counter);
  let mask = if length == 128 { u128::MAX } else { (1u128 << length) - 1 };
  if length < 128 && blocks > 1u128 << length {
    return Err(op_err("The data is longer than the AES-CTR counter can count"));
  }
  // Blocks before the counter bits wrap; after that the counter restarts at zero.
  let until_wrap = if length == 128 { u128::MAX } else { (1u128 << length) - (c & mask) };
  let split = usize::try_from(until_wrap.saturating_mul(16)).unwrap_or(usize::MAX).min(data.len());
  let mut out = data.to_vec();
  let (first, second) = out.split_at_mut(split);
  with_aes!(key, A => {
    let run = |start: u128, buf: &mut [u8]| -> Res<()> {
      let mut s = ctr::Ctr128BE::<A>::new_from_slices(key, &start.to_be_bytes()).map_err(|_| op_err("bad AES key"))?;
      for slice in buf.chunks_mut(SLICE) {
        cancel.check()?;
        s.apply_keystream(slice);
      }
      Ok(())
    };
    run(c, first)?;
    run(c & !mask, second)
  })?;
  Ok(out)
}

/// AES-GCM (https://w3c.github.io/webcrypto/#aes-gcm-operations): ciphertext || tag on
/// encryption; on decryption `data` ends with the tag of `tag_len` bytes.
pub fn gcm(key: &[u8], encrypt: bool, iv: &[u8], aad: &[u8], tag_len: usize, data: &[u8], cancel: &Cancel) -> Res<Vec<u8>> {
  if !(4..=16).contains(&tag_len) {
    return Err(op_err("Invalid AES-GCM tag length"));
  }
  if iv.is_empty() {
    return Err(op_err("The AES-GCM iv must not be empty"));
  }
  if iv.len() == 12 && tag_len == 16 && key.len() != 24 {
    return gcm_ring(key, encrypt, iv, aad, data);
  }
  with_aes!(key, A => gcm_generic::<A>(key, encrypt, iv, aad, tag_len, data, cancel))
}

fn gcm_ring(key: &[u8], encrypt: bool, iv: &[u8], aad: &[u8], data: &[u8]) -> Res<Vec<u8>> {
  use ring::aead;
  let alg = if key.len() == 16 { &aead::AES_128_GCM } else { &aead::AES_256_GCM };
  let nonce = aead::Nonce::try_assume_unique_for_key(iv).map_err(|_| op_err("bad AES-GCM iv"))?;
  let key = aead::LessSafeKey::new(aead::UnboundKey::new(alg, key).map_err(|_| op_err("bad AES key"))?);
  let mut buf = data.to_vec();
  if encrypt {
    key.seal_in_place_append_tag(nonce, aead::Aad::from(aad), &mut buf).map_err(|_| op_err("The data is too large for AES-GCM"))?;
    Ok(buf)
  } else {
    if buf.len() < 16 {
      return Err(op_err("The data is shorter than the AES-GCM tag"));
    }
    let len = key.open_in_place(nonce, aead::Aad::from(aad), &mut buf).map_err(|_| op_err("The AES-GCM tag does not match the data"))?.len();
    buf.truncate(len);
    Ok(buf)
  }
}

fn gcm_generic<A>(key: &[u8], encrypt: bool, iv: &[u8], aad: &[u8], tag_len: usize, data: &[u8], cancel: &Cancel) -> Res<Vec<u8>>
where
  A: KeyInit + aes::cipher::BlockCipherEncrypt + aes::cipher::BlockSizeUser<BlockSize = aes::cipher::consts::U16> + Clone,
{
  let cipher = A::new_from_slice(key).map_err(|_| op_err("bad AES key"))?;
  // H = E(K, 0^128)
  let mut h = aes::Block::default();
  cipher.encrypt_block(&mut h);
  let ghash_key = ghash::Key::from(h);
  // J0: IV || 0^31 || 1 for 96-bit IVs, else GHASH(IV || pad || 0^64 || [len(IV)]64).
  let j0: [u8; 16] = if iv.len() == 12 {
    let mut j = [0u8; 16];
    j[..12].copy_from_slice(iv);
    j[15] = 1;
    j
  } else {
    let mut g = ghash::GHash::new(&ghash_key);
    g.update_padded(iv);
    let mut lens = [0u8; 16];
    lens[8..].copy_from_slice(&((iv.len() as u64).wrapping_mul(8)).to_be_bytes());
    g.update_padded(&lens);
    g.finalize().into()
  };
  let (ct_in, tag_in) = if encrypt {
    (data, &[][..])
  } else {
    if data.len() < tag_len {
      return Err(op_err("The data is shorter than the AES-GCM tag"));
    }
    data.split_at(data.len() - tag_len)
  };
  // Plaintexts are limited to 2^39 - 256 bits.
  if ct_in.len() as u64 > (1u64 << 36) - 32 {
    return Err(op_err("The data is too large for AES-GCM"));
  }
  let tag_of = |ct: &[u8]| -> Res<[u8; 16]> {
    let mut g = ghash::GHash::new(&ghash_key);
    g.update_padded(aad);
    for slice in ct.chunks(SLICE) {
      cancel.check()?;
      g.update_padded(slice);
    }
    let mut lens = [0u8; 16];
    lens[..8].copy_from_slice(&((aad.len() as u64).wrapping_mul(8)).to_be_bytes());
    lens[8..].copy_from_slice(&((ct.len() as u64).wrapping_mul(8)).to_be_bytes());
    g.update_padded(&lens);
    let s: [u8; 16] = g.finalize().into();
    let mut ek = aes::Block::from(j0);
    cipher.encrypt_block(&mut ek);
    let mut t = [0u8; 16];
    for (i, b) in t.iter_mut().enumerate() {
      *b = s[i] ^ ek[i];
    }
    Ok(t)
  };
  // CTR from inc32(J0), the counter in the low 32 bits.
  let keystream = |buf: &mut [u8]| -> Res<()> {
    let mut start = j0;
    let low = u32::from_be_bytes([j0[12], j0[13], j0[14], j0[15]]).wrapping_add(1);
    start[12..].copy_from_slice(&low.to_be_bytes());
    let mut s = ctr::Ctr32BE::<A>::new_from_slices(key, &start).map_err(|_| op_err("bad AES key"))?;
    for slice in buf.chunks_mut(SLICE) {
      cancel.check()?;
      s.apply_keystream(slice);
    }
    Ok(())
  };
  if encrypt {
    let mut out = data.to_vec();
    keystream(&mut out)?;
    let tag = tag_of(&out)?;
    out.extend_from_slice(&tag[..tag_len]);
    Ok(out)
  } else {
    use subtle::ConstantTimeEq;
    let tag = tag_of(ct_in)?;
    if !bool::from(tag[..tag_len].ct_eq(tag_in)) {
      return Err(op_err("The AES-GCM tag does not match the data"));
    }
    let mut out = ct_in.to_vec();
    keystream(&mut out)?;
    Ok(out)
  }
}

/// AES-KW (RFC 3394), https://w3c.github.io/webcrypto/#aes-kw-operations.
pub fn kw(key: &[u8], wrap: bool, data: &[u8]) -> Res<Vec<u8>> {
  if data.len() % 8 != 0 || data.len() < if wrap { 16 } else { 24 } {
    return Err(op_err("AES-KW works on at least 16 bytes, a multiple of 8"));
  }
  with_aes!(key, A => {
    let kw = aes_kw::AesKw::<A>::new_from_slice(key).map_err(|_| op_err("bad AES key"))?;
    if wrap {
      let mut out = vec![0u8; data.len() + 8];
      kw.wrap_key(data, &mut out).map_err(|_| op_err("AES-KW failed"))?;
      Ok(out)
    } else {
      let mut out = vec![0u8; data.len() - 8];
      kw.unwrap_key(data, &mut out).map_err(|_| op_err("The data is not wrapped with this AES-KW key"))?;
      Ok(out)
    }
  })
}
