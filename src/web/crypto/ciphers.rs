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
  if !data.len().is_multiple_of(8) || data.len() < if wrap { 16 } else { 24 } {
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

#[cfg(test)]
mod tests {
  use super::*;
  use aes::cipher::BlockCipherEncrypt;

  fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
  }

  #[test]
  fn gcm_from_ctr_and_ghash_matches_ring_and_truncates_tags() {
    let never = Cancel::never();
    let (iv, aad) = (hex("cafebabefacedbaddecaf888"), b"header".to_vec());
    for key in [vec![7u8; 16], vec![9u8; 32]] {
      for len in [0usize, 1, 15, 16, 17, 100] {
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let ours = gcm_generic::<aes::Aes128>(&key[..16], true, &iv, &aad, 16, &data, &never).unwrap();
        let theirs = gcm_ring(&key[..16], true, &iv, &aad, &data).unwrap();
        assert_eq!(ours, theirs, "{len}");
        for tag in [4usize, 8, 12, 13, 14, 15, 16] {
          let short = gcm(&key, true, &iv, &aad, tag, &data, &never).unwrap();
          assert_eq!(short.len(), len + tag);
          assert_eq!(gcm(&key, false, &iv, &aad, tag, &short, &never).unwrap(), data);
          let mut bad = short.clone();
          if let Some(b) = bad.last_mut() {
            *b ^= 1;
          }
          assert!(gcm(&key, false, &iv, &aad, tag, &bad, &never).is_err());
        }
      }
    }
    // Any IV length round-trips; 192-bit keys too.
    for iv_len in [1usize, 8, 16, 60, 256] {
      let iv = vec![3u8; iv_len];
      let ct = gcm(&[1u8; 24], true, &iv, b"", 16, b"secret", &never).unwrap();
      assert_eq!(gcm(&[1u8; 24], false, &iv, b"", 16, &ct, &never).unwrap(), b"secret");
    }
    assert!(gcm(&[1u8; 16], true, &[], b"", 16, b"x", &never).is_err());
    assert!(gcm(&[1u8; 16], false, &iv, b"", 16, &[0; 15], &never).is_err());
  }

  #[test]
  fn ctr_counter_wraps_within_its_length() {
    let never = Cancel::never();
    let key = [5u8; 16];
    let aes = aes::Aes128::new_from_slice(&key).unwrap();
    let block = |c: [u8; 16]| {
      let mut b = aes::Block::from(c);
      aes.encrypt_block(&mut b);
      b.to_vec()
    };
    // 8 counter bits starting at 0xff: the second block's counter is 0x00, the rest unchanged.
    let mut counter = [0xaa; 16];
    counter[15] = 0xff;
    let ks = ctr(&key, &counter, 8, &[0u8; 32], &never).unwrap();
    let mut wrapped = counter;
    wrapped[15] = 0;
    assert_eq!(ks[..16], block(counter)[..]);
    assert_eq!(ks[16..], block(wrapped)[..]);
    // With 128 counter bits it carries into the next byte instead.
    let ks = ctr(&key, &counter, 128, &[0u8; 32], &never).unwrap();
    let mut carried = counter;
    carried[15] = 0;
    carried[14] = 0xab;
    assert_eq!(ks[16..], block(carried)[..]);
    // More blocks than the counter can count: an error, never a repeated keystream.
    assert!(ctr(&key, &counter, 1, &[0u8; 48], &never).is_err());
    assert_eq!(ctr(&key, &counter, 1, &[0u8; 32], &never).unwrap().len(), 32);
    let data = b"attack at dawn, or maybe at noon".to_vec();
    assert_eq!(ctr(&key, &counter, 64, &ctr(&key, &counter, 64, &data, &never).unwrap(), &never).unwrap(), data);
  }

  #[test]
  fn cbc_round_trips_and_refuses_bad_padding() {
    let (key, iv) = ([2u8; 32], [4u8; 16]);
    for len in [0usize, 1, 15, 16, 33] {
      let data = vec![0x5a; len];
      let ct = cbc(&key, true, &iv, &data).unwrap();
      assert_eq!(ct.len(), (len / 16 + 1) * 16);
      assert_eq!(cbc(&key, false, &iv, &ct).unwrap(), data);
    }
    assert!(cbc(&key, false, &iv, &[0u8; 16]).is_err());
    assert!(cbc(&key, false, &iv, &[0u8; 15]).is_err());
    assert!(cbc(&key, true, &iv[..8], b"x").is_err());
  }

  #[test]
  fn kw_matches_rfc3394_4_1() {
    let kek = hex("000102030405060708090A0B0C0D0E0F");
    let wrapped = kw(&kek, true, &hex("00112233445566778899AABBCCDDEEFF")).unwrap();
    assert_eq!(wrapped, hex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"));
    assert_eq!(kw(&kek, false, &wrapped).unwrap(), hex("00112233445566778899AABBCCDDEEFF"));
    let mut bad = wrapped.clone();
    bad[0] ^= 1;
    assert!(kw(&kek, false, &bad).is_err());
    assert!(kw(&kek, true, &[0u8; 12]).is_err());
    assert!(kw(&kek, true, &[0u8; 8]).is_err());
  }
}
