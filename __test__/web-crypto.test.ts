// Web Crypto inside the isolate (https://w3c.github.io/webcrypto/): crypto.getRandomValues,
// randomUUID, SubtleCrypto, CryptoKey. Results are cross-checked against Node's own WebCrypto.
import { describe, expect, it } from 'vitest'
import { webcrypto } from 'node:crypto'
import { CHECK, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()
const subtle = webcrypto.subtle as SubtleCrypto

/** Runs `code` in a fresh runtime with `report` and an `input()` that returns `input`. */
async function run(code: string, input: any = null) {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({
    customFunctions: { ...customFunctions, input: { type: 'sync', fn: () => input } },
  })
  await r.eval(CHECK + code)
  return calls
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)
const u8 = (b: ArrayBuffer | Uint8Array) => new Uint8Array(b instanceof Uint8Array ? b : b)
/** Isolate code: runs `expr` (a promise) and reports the error's name, or 'resolved'. */
const errName = (expr: string) =>
  `report(await (async () => { let p; try { p = ${expr} } catch (e) { return 'threw ' + e.name } ` +
  `try { await p; return 'resolved' } catch (e) { return e.name } })())`

describe('globals', () => {
  it('exposes crypto, Crypto, SubtleCrypto and CryptoKey like browsers do', async () => {
    const calls = await run(`
      report(Object.prototype.toString.call(crypto), Object.prototype.toString.call(crypto.subtle))
      check(crypto instanceof Crypto && crypto.subtle instanceof SubtleCrypto, 'instances')
      check(crypto.subtle === crypto.subtle, 'same subtle')
      for (const name of ['crypto', 'Crypto', 'SubtleCrypto', 'CryptoKey']) {
        const d = Object.getOwnPropertyDescriptor(globalThis, name)
        check(d && !d.enumerable && d.writable && d.configurable, name + ' descriptor')
      }
      for (const C of [Crypto, SubtleCrypto, CryptoKey]) {
        try { new C(); report('constructed') } catch (e) { report(e.name, e.message) }
      }
      report(Object.prototype.toString.call(CryptoKey.prototype))
      const g = crypto.getRandomValues
      try { g(new Uint8Array(1)); report('no brand check') } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([
      ['[object Crypto]', '[object SubtleCrypto]'],
      ['TypeError', 'Illegal constructor'],
      ['TypeError', 'Illegal constructor'],
      ['TypeError', 'Illegal constructor'],
      '[object CryptoKey]',
      'TypeError',
    ])
  })
})

describe('getRandomValues', () => {
  it('fills integer typed arrays in place and returns them', async () => {
    const calls = await run(`
      for (const T of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array]) {
        const a = new T(64)
        const r = crypto.getRandomValues(a)
        check(r === a, T.name + ' returned')
        check(a.some((x) => x != 0), T.name + ' filled')
      }
      // Only the view's own bytes are written.
      const buf = new Uint8Array(32)
      crypto.getRandomValues(new Uint8Array(buf.buffer, 8, 16))
      report(buf.slice(0, 8).every((x) => x === 0), buf.slice(24).every((x) => x === 0), buf.slice(8, 24).some((x) => x !== 0))
      report(crypto.getRandomValues(new Uint8Array(0)).length)
      report(crypto.getRandomValues(new Uint8Array(65536)).length)
    `)
    expect(calls).toEqual([[true, true, true], 0, 65536])
  })

  it('refuses float arrays, DataView, non-views and more than 65536 bytes', async () => {
    const calls = await run(`
      for (const v of [new Float32Array(4), new Float64Array(4), new DataView(new ArrayBuffer(4)), new ArrayBuffer(4), [1, 2], 'x', undefined]) {
        try { crypto.getRandomValues(v); report('ok') } catch (e) { report(e.name, e instanceof DOMException) }
      }
      try { crypto.getRandomValues(new Uint8Array(65537)) } catch (e) { report(e.name, e.code) }
      try { crypto.getRandomValues(new Uint32Array(16385)) } catch (e) { report(e.name) }
      try { crypto.getRandomValues() } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([
      ['TypeMismatchError', true],
      ['TypeMismatchError', true],
      ['TypeMismatchError', true],
      ['TypeError', false],
      ['TypeError', false],
      ['TypeError', false],
      ['TypeError', false],
      ['QuotaExceededError', 22],
      'QuotaExceededError',
      'TypeError',
    ])
  })

  it('differs between runtimes (nothing random is baked into the snapshot)', async () => {
    const code = `report(Array.from(crypto.getRandomValues(new Uint8Array(16))).join(','), crypto.randomUUID())`
    const [a] = await run(code)
    const [b] = await run(code)
    expect(a[0]).not.toBe(b[0])
    expect(a[1]).not.toBe(b[1])
  })
})

describe('randomUUID', () => {
  it('returns distinct version 4 UUIDs', async () => {
    const calls = await run(`
      const all = Array.from({ length: 2000 }, () => crypto.randomUUID())
      report(new Set(all).size)
      report(all.every((u) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u)))
    `)
    expect(calls).toEqual([2000, true])
  })
})

describe('CryptoKey', () => {
  it('has the spec attributes and no visible key material', async () => {
    const calls = await run(`
      const k = await crypto.subtle.generateKey({ name: 'hmac', hash: 'sha-256' }, false, ['verify', 'sign', 'verify'])
      report(k.type, k.extractable, k.algorithm, k.usages)
      report(k.algorithm === k.algorithm, k.usages === k.usages, k instanceof CryptoKey)
      report(Object.getOwnPropertyNames(k), Object.getOwnPropertySymbols(k).length, JSON.stringify(k))
      const d = Object.getOwnPropertyDescriptor(CryptoKey.prototype, 'type')
      report(typeof d.get, d.enumerable)
      try { Object.getOwnPropertyDescriptor(CryptoKey.prototype, 'type').get.call({}) } catch (e) { report(e.name) }
      // Changing what the getters return changes nothing the key does.
      const raw = new Uint8Array(16)
      const h = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, true, ['sign'])
      h.algorithm.hash.name = 'SHA-1'
      h.usages.push('verify')
      report((await crypto.subtle.sign('HMAC', h, raw)).byteLength, (await crypto.subtle.exportKey('jwk', h)).alg, h.algorithm.hash.name)
      ${errName(`crypto.subtle.verify('HMAC', h, new Uint8Array(32), raw)`)}
    `)
    expect(calls).toEqual([
      ['secret', false, { name: 'HMAC', hash: { name: 'SHA-256' }, length: 512 }, ['sign', 'verify']],
      [true, true, true],
      [[], 0, '{}'],
      ['function', true],
      'TypeError',
      [32, 'HS256', 'SHA-1'],
      'InvalidAccessError',
    ])
  })
})

describe('digest', () => {
  it('equals Node for every hash and input kind', async () => {
    const data = bytes(1000)
    const calls = await run(
      `
      const data = input()
      for (const h of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
        report(h, await crypto.subtle.digest(h, data))
      }
      report('view', await crypto.subtle.digest({ name: 'sha-256' }, new DataView(data.buffer, 10, 100)))
      report('ab', await crypto.subtle.digest('SHA-256', data.buffer))
      report('empty', await crypto.subtle.digest('SHA-256', new Uint8Array(0)))
    `,
      data,
    )
    for (const [h, out] of calls.slice(0, 4)) {
      expect(u8(out)).toEqual(u8(await subtle.digest(h, data)))
    }
    expect(u8(calls[4][1])).toEqual(u8(await subtle.digest('SHA-256', data.subarray(10, 110))))
    expect(u8(calls[5][1])).toEqual(u8(await subtle.digest('SHA-256', data)))
    expect(u8(calls[6][1])).toEqual(u8(await subtle.digest('SHA-256', new Uint8Array(0))))
  })

  it('rejects (never throws) with the spec errors', async () => {
    const calls = await run(`
      ${errName(`crypto.subtle.digest('MD5', new Uint8Array(1))`)}
      ${errName(`crypto.subtle.digest('SHA-256', 'text')`)}
      ${errName(`crypto.subtle.digest({}, new Uint8Array(1))`)}
      ${errName(`crypto.subtle.digest(42, new Uint8Array(1))`)}
      ${errName(`crypto.subtle.digest('SHA-256')`)}
      ${errName(`crypto.subtle.digest.call({}, 'SHA-256', new Uint8Array(1))`)}
    `)
    expect(calls).toEqual(['NotSupportedError', 'TypeError', 'TypeError', 'NotSupportedError', 'TypeError', 'TypeError'])
  })
})

describe('HMAC', () => {
  it('signatures verify both ways with Node', async () => {
    const raw = bytes(32, 7)
    const data = bytes(300, 3)
    const nodeKey = await subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-384' }, true, ['sign', 'verify'])
    const nodeSig = await subtle.sign('HMAC', nodeKey, data)
    const calls = await run(
      `
      const { raw, data, nodeSig } = input()
      const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-384' }, true, ['sign', 'verify'])
      report(key.algorithm)
      report(await crypto.subtle.sign('HMAC', key, data))
      report(await crypto.subtle.verify('HMAC', key, nodeSig, data))
      const bad = new Uint8Array(nodeSig); bad[0] ^= 1
      report(await crypto.subtle.verify('HMAC', key, bad, data))
      report(await crypto.subtle.verify('HMAC', key, nodeSig.slice(0, 10), data))
      const gen = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-512' }, true, ['sign'])
      report(gen.algorithm.length, (await crypto.subtle.exportKey('raw', gen)).byteLength)
      const jwk = await crypto.subtle.exportKey('jwk', gen)
      report(await crypto.subtle.sign('HMAC', gen, data), jwk)
    `,
      { raw, data, nodeSig },
    )
    expect(calls[0]).toEqual({ name: 'HMAC', hash: { name: 'SHA-384' }, length: 256 })
    expect(u8(calls[1])).toEqual(u8(nodeSig))
    expect(calls.slice(2, 5)).toEqual([true, false, false])
    expect(calls[5]).toEqual([1024, 128])
    const [sig, jwk] = calls[6]
    expect(jwk).toMatchObject({ kty: 'oct', alg: 'HS512', key_ops: ['sign'], ext: true })
    const k2 = await subtle.importKey('jwk', jwk, { name: 'HMAC', hash: 'SHA-512' }, false, ['sign'])
    expect(u8(await subtle.sign('HMAC', k2, data))).toEqual(u8(sig))
  })

  it('imports a JWK made by Node', async () => {
    const nodeKey = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify'])
    const jwk = await subtle.exportKey('jwk', nodeKey)
    const data = bytes(50)
    const sig = await subtle.sign('HMAC', nodeKey, data)
    const calls = await run(
      `
      const { jwk, sig, data } = input()
      const k = await crypto.subtle.importKey('jwk', jwk, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      report(await crypto.subtle.verify('HMAC', k, sig, data))
      ${errName(`crypto.subtle.importKey('jwk', { ...jwk, alg: 'HS512' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])`)}
      ${errName(`crypto.subtle.importKey('jwk', { ...jwk, kty: 'EC' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])`)}
      ${errName(`crypto.subtle.importKey('jwk', { ...jwk, key_ops: ['sign'] }, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])`)}
      ${errName(`crypto.subtle.importKey('jwk', { ...jwk, ext: false }, { name: 'HMAC', hash: 'SHA-256' }, true, ['verify'])`)}
      ${errName(`crypto.subtle.importKey('jwk', { ...jwk, k: '!!' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])`)}
    `,
      { jwk, sig, data },
    )
    expect(calls).toEqual([true, 'DataError', 'DataError', 'DataError', 'DataError', 'DataError'])
  })

  it('rejects wrong usages, algorithms and arguments', async () => {
    const calls = await run(`
      const s = crypto.subtle
      const k = await s.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      ${errName(`s.sign('HMAC', k, new Uint8Array(1))`)}
      ${errName(`s.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, [])`)}
      ${errName(`s.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, ['encrypt'])`)}
      ${errName(`s.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, ['bogus'])`)}
      ${errName(`s.importKey('raw', new Uint8Array(16), { name: 'HMAC' }, false, ['sign'])`)}
      ${errName(`s.importKey('raw', new Uint8Array(0), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])`)}
      ${errName(`s.importKey('spki', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])`)}
      ${errName(`s.importKey('nope', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])`)}
      ${errName(`s.exportKey('raw', k)`)}
      ${errName(`s.sign('HMAC', {}, new Uint8Array(1))`)}
      ${errName(`s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [])`)}
      ${errName(`s.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, new Uint8Array(1), new Uint8Array(1))`)}
    `)
    expect(calls).toEqual([
      'InvalidAccessError',
      'SyntaxError',
      'SyntaxError',
      'TypeError',
      'TypeError',
      'DataError',
      'NotSupportedError',
      'TypeError',
      'InvalidAccessError',
      'TypeError',
      'SyntaxError',
      'InvalidAccessError',
    ])
  })
})

describe('AES-GCM', () => {
  it('ciphertext decrypts in Node and vice versa', async () => {
    const raw = bytes(32, 9)
    const iv = bytes(12, 5)
    const aad = bytes(20, 4)
    const plain = bytes(1000, 2)
    const nodeKey = await subtle.importKey('raw', raw, 'AES-GCM', true, ['encrypt', 'decrypt'])
    const nodeCt = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, nodeKey, plain)
    const calls = await run(
      `
      const { raw, iv, aad, plain, nodeCt } = input()
      const key = await crypto.subtle.importKey('raw', raw, 'aes-gcm', true, ['encrypt', 'decrypt'])
      report(key.algorithm, key.usages)
      report(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plain))
      report(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, key, nodeCt))
      report(await crypto.subtle.exportKey('jwk', key))
      const bad = new Uint8Array(nodeCt); bad[5] ^= 1
      ${errName(`crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, bad)`)}
      ${errName(`crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, nodeCt)`)}
      ${errName(`crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, new Uint8Array(4))`)}
      // A 128-bit key made here, used by Node.
      const k128 = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, true, ['encrypt'])
      report(await crypto.subtle.exportKey('raw', k128), await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, k128, plain))
    `,
      { raw, iv, aad, plain, nodeCt },
    )
    expect(calls[0]).toEqual([{ name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt']])
    expect(u8(calls[1])).toEqual(u8(nodeCt))
    expect(u8(calls[2])).toEqual(plain)
    expect(calls[3]).toMatchObject({ kty: 'oct', alg: 'A256GCM', ext: true, key_ops: ['encrypt', 'decrypt'] })
    expect(calls.slice(4, 7)).toEqual(['OperationError', 'OperationError', 'OperationError'])
    const [raw128, ct128] = calls[7]
    const k = await subtle.importKey('raw', raw128, 'AES-GCM', false, ['decrypt'])
    expect(u8(await subtle.decrypt({ name: 'AES-GCM', iv }, k, ct128))).toEqual(plain)
  })

  it('rejects bad keys, parameters and usages', async () => {
    const calls = await run(`
      const s = crypto.subtle
      const iv = new Uint8Array(12)
      const k = await s.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt'])
      ${errName(`s.decrypt({ name: 'AES-GCM', iv }, k, new Uint8Array(32))`)}
      ${errName(`s.encrypt({ name: 'AES-GCM' }, k, new Uint8Array(1))`)}
      ${errName(`s.encrypt({ name: 'AES-GCM', iv, tagLength: 33 }, k, new Uint8Array(1))`)}
      ${errName(`s.encrypt({ name: 'AES-GCM', iv, tagLength: 96 }, k, new Uint8Array(1))`)}
      ${errName(`s.encrypt({ name: 'AES-CBC', iv }, k, new Uint8Array(1))`)}
      ${errName(`s.encrypt({ name: 'AES-GCM', iv: new Uint8Array(0) }, k, new Uint8Array(1))`)}
      ${errName(`s.importKey('raw', new Uint8Array(20), 'AES-GCM', false, ['encrypt'])`)}
      ${errName(`s.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['sign'])`)}
      ${errName(`s.generateKey({ name: 'AES-GCM', length: 100 }, false, ['encrypt'])`)}
      ${errName(`s.generateKey({ name: 'AES-GCM' }, false, ['encrypt'])`)}
      ${errName(`s.exportKey('raw', k)`)}
      const h = await s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      ${errName(`s.encrypt({ name: 'AES-GCM', iv }, h, new Uint8Array(1))`)}
    `)
    expect(calls).toEqual([
      'InvalidAccessError',
      'TypeError',
      'OperationError',
      'resolved',
      'InvalidAccessError',
      'OperationError',
      'DataError',
      'SyntaxError',
      'OperationError',
      'TypeError',
      'InvalidAccessError',
      'InvalidAccessError',
    ])
  })

  it('wraps and unwraps keys', async () => {
    const calls = await run(`
      const s = crypto.subtle
      const iv = new Uint8Array(12)
      const wk = await s.generateKey({ name: 'AES-GCM', length: 256 }, false, ['wrapKey', 'unwrapKey'])
      const k = await s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify'])
      for (const format of ['raw', 'jwk']) {
        const wrapped = await s.wrapKey(format, k, wk, { name: 'AES-GCM', iv })
        const k2 = await s.unwrapKey(format, wrapped, wk, { name: 'AES-GCM', iv }, { name: 'HMAC', hash: 'SHA-256' }, true, ['sign'])
        const a = new Uint8Array(await s.exportKey('raw', k)), b = new Uint8Array(await s.exportKey('raw', k2))
        report(format, a.join() === b.join())
      }
    `)
    expect(calls).toEqual([['raw', true], ['jwk', true]])
  })
})

describe('PBKDF2 and HKDF', () => {
  it('derive the same bits and keys as Node', async () => {
    const password = bytes(16, 1)
    const salt = bytes(16, 2)
    const info = bytes(10, 3)
    const pbkdf2 = { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }
    const hkdf = { name: 'HKDF', hash: 'SHA-512', salt, info }
    const calls = await run(
      `
      const { password, salt, info } = input()
      const s = crypto.subtle
      const pk = await s.importKey('raw', password, 'PBKDF2', false, ['deriveBits', 'deriveKey'])
      const hk = await s.importKey('raw', password, 'HKDF', false, ['deriveBits', 'deriveKey'])
      report(pk.algorithm, pk.extractable, pk.usages)
      const pbkdf2 = { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }
      const hkdf = { name: 'HKDF', hash: 'SHA-512', salt, info }
      report(await s.deriveBits(pbkdf2, pk, 256))
      report(await s.deriveBits(hkdf, hk, 336))
      const aes = await s.deriveKey(pbkdf2, pk, { name: 'AES-GCM', length: 128 }, true, ['encrypt'])
      report(aes.algorithm, await s.exportKey('raw', aes))
      const mac = await s.deriveKey(hkdf, hk, { name: 'HMAC', hash: 'SHA-256' }, true, ['sign'])
      report(mac.algorithm, await s.exportKey('raw', mac))
      // https://w3c.github.io/webcrypto/#pbkdf2-operations: a length of 0 is an OperationError.
      try { await s.deriveBits(pbkdf2, pk, 0); report('resolved') } catch (e) { report(e.name) }
    `,
      { password, salt, info },
    )
    // Usages come back in the spec's order (the usage intersection).
    expect(calls[0]).toEqual([{ name: 'PBKDF2' }, false, ['deriveKey', 'deriveBits']])
    const npk = await subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits'])
    const nhk = await subtle.importKey('raw', password, 'HKDF', false, ['deriveBits'])
    expect(u8(calls[1])).toEqual(u8(await subtle.deriveBits(pbkdf2, npk, 256)))
    expect(u8(calls[2])).toEqual(u8(await subtle.deriveBits(hkdf, nhk, 336)))
    expect(calls[3][0]).toEqual({ name: 'AES-GCM', length: 128 })
    expect(u8(calls[3][1])).toEqual(u8(await subtle.deriveBits(pbkdf2, npk, 128)))
    expect(calls[4][0]).toEqual({ name: 'HMAC', hash: { name: 'SHA-256' }, length: 512 })
    expect(u8(calls[4][1])).toEqual(u8(await subtle.deriveBits(hkdf, nhk, 512)))
    expect(calls[5]).toBe('OperationError')
  })

  it('rejects with the spec errors', async () => {
    const calls = await run(`
      const s = crypto.subtle
      const salt = new Uint8Array(8), info = new Uint8Array(0)
      const pk = await s.importKey('raw', new Uint8Array(8), 'PBKDF2', false, ['deriveBits'])
      const hk = await s.importKey('raw', new Uint8Array(8), 'HKDF', false, ['deriveKey'])
      ${errName(`s.importKey('raw', new Uint8Array(8), 'PBKDF2', true, ['deriveBits'])`)}
      ${errName(`s.importKey('jwk', { kty: 'oct', k: 'AA' }, 'PBKDF2', false, ['deriveBits'])`)}
      ${errName(`s.importKey('raw', new Uint8Array(8), 'HKDF', false, ['sign'])`)}
      ${errName(`s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 0 }, pk, 256)`)}
      ${errName(`s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1 }, pk, null)`)}
      ${errName(`s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1 }, pk, 12)`)}
      ${errName(`s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', iterations: 1 }, pk, 256)`)}
      ${errName(`s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, hk, 256)`)}
      ${errName(`s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, pk, 256)`)}
      ${errName(`s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info }, hk, { name: 'AES-GCM', length: 100 }, false, ['encrypt'])`)}
      ${errName(`s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info }, hk, { name: 'AES-GCM', length: 128 }, false, [])`)}
      ${errName(`s.exportKey('raw', pk)`)}
      const hb = await s.importKey('raw', new Uint8Array(8), 'HKDF', false, ['deriveBits'])
      ${errName(`s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, hb, 255 * 256 + 8)`)}
      // Sizes are bounded (any number of iterations is fine: PBKDF2 runs off the isolate thread
      // and stops with the runtime, see memory-accounting.test.ts).
      ${errName(`s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1 }, pk, 2 ** 32 - 8)`)}
      ${errName(`s.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 2 ** 32 - 8 }, false, ['sign'])`)}
    `)
    expect(calls).toEqual([
      'SyntaxError',
      'NotSupportedError',
      'SyntaxError',
      'OperationError',
      'OperationError',
      'OperationError',
      'TypeError',
      'InvalidAccessError',
      'InvalidAccessError',
      'OperationError',
      'SyntaxError',
      'NotSupportedError',
      'OperationError',
      'OperationError',
      'OperationError',
    ])
  })
})

describe('ECDSA P-256', () => {
  const alg = { name: 'ECDSA', namedCurve: 'P-256' }
  const sha = (hash: string) => ({ name: 'ECDSA', hash })

  it('signatures verify both ways with Node, through every key format', async () => {
    const data = bytes(500, 8)
    const node = (await subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair
    const nodeSig = await subtle.sign(sha('SHA-256'), node.privateKey, data)
    const nodeSig384 = await subtle.sign(sha('SHA-384'), node.privateKey, data)
    const input = {
      data,
      nodeSig,
      nodeSig384,
      spki: await subtle.exportKey('spki', node.publicKey),
      raw: await subtle.exportKey('raw', node.publicKey),
      jwkPub: await subtle.exportKey('jwk', node.publicKey),
      pkcs8: await subtle.exportKey('pkcs8', node.privateKey),
      jwkPriv: await subtle.exportKey('jwk', node.privateKey),
    }
    const calls = await run(
      `
      const i = input()
      const s = crypto.subtle
      const alg = { name: 'ECDSA', namedCurve: 'P-256' }
      const sha256 = { name: 'ECDSA', hash: 'SHA-256' }
      for (const [format, key] of [['spki', i.spki], ['raw', i.raw], ['jwk', i.jwkPub]]) {
        const k = await s.importKey(format, key, alg, true, ['verify'])
        report(format, k.type, await s.verify(sha256, k, i.nodeSig, i.data), await s.verify(sha256, k, i.nodeSig, new Uint8Array(3)))
      }
      const pub = await s.importKey('spki', i.spki, alg, true, ['verify'])
      report('sha384', await s.verify({ name: 'ECDSA', hash: 'SHA-384' }, pub, i.nodeSig384, i.data))
      report('short', await s.verify(sha256, pub, i.nodeSig.slice(0, 63), i.data))
      const fromPkcs8 = await s.importKey('pkcs8', i.pkcs8, alg, true, ['sign'])
      const fromJwk = await s.importKey('jwk', i.jwkPriv, alg, true, ['sign'])
      report(await s.sign(sha256, fromPkcs8, i.data), await s.sign(sha256, fromJwk, i.data))
      report((await s.exportKey('jwk', fromPkcs8)).d === i.jwkPriv.d)
      const mine = await s.generateKey(alg, true, ['sign', 'verify'])
      report(mine.publicKey.algorithm, mine.publicKey.usages, mine.privateKey.usages, mine.publicKey.extractable)
      report({
        sig: await s.sign(sha256, mine.privateKey, i.data),
        sig512: await s.sign({ name: 'ECDSA', hash: 'SHA-512' }, mine.privateKey, i.data),
        spki: await s.exportKey('spki', mine.publicKey),
        raw: await s.exportKey('raw', mine.publicKey),
        jwk: await s.exportKey('jwk', mine.publicKey),
        pkcs8: await s.exportKey('pkcs8', mine.privateKey),
        jwkPriv: await s.exportKey('jwk', mine.privateKey),
      })
    `,
      input,
    )
    expect(calls.slice(0, 3)).toEqual([
      ['spki', 'public', true, false],
      ['raw', 'public', true, false],
      ['jwk', 'public', true, false],
    ])
    expect(calls[3]).toEqual(['sha384', true])
    expect(calls[4]).toEqual(['short', false])
    const pubNode = node.publicKey
    for (const sig of calls[5]) {
      expect(u8(sig).length).toBe(64)
      expect(await subtle.verify(sha('SHA-256'), pubNode, sig, data)).toBe(true)
    }
    expect(calls[6]).toBe(true)
    expect(calls[7]).toEqual([alg, ['verify'], ['sign'], true])
    const out = calls[8]
    expect(out.jwk).toMatchObject({ kty: 'EC', crv: 'P-256', ext: true, key_ops: ['verify'] })
    expect(out.jwkPriv.d).toBeTypeOf('string')
    for (const [format, key] of [['spki', out.spki], ['raw', out.raw], ['jwk', out.jwk]] as const) {
      const k = await subtle.importKey(format as any, key, alg, false, ['verify'])
      expect(await subtle.verify(sha('SHA-256'), k, out.sig, data)).toBe(true)
      expect(await subtle.verify(sha('SHA-512'), k, out.sig512, data)).toBe(true)
    }
    // The private key exports import into Node and sign what our public key verifies.
    const priv = await subtle.importKey('pkcs8', out.pkcs8, alg, true, ['sign'])
    const priv2 = await subtle.importKey('jwk', out.jwkPriv, alg, true, ['sign'])
    expect((await subtle.exportKey('jwk', priv)).d).toBe(out.jwkPriv.d)
    const pub = await subtle.importKey('raw', out.raw, alg, false, ['verify'])
    expect(await subtle.verify(sha('SHA-256'), pub, await subtle.sign(sha('SHA-256'), priv2, data), data)).toBe(true)
  })

  it('rejects with the spec errors', async () => {
    const calls = await run(`
      const s = crypto.subtle
      const alg = { name: 'ECDSA', namedCurve: 'P-256' }
      const sha256 = { name: 'ECDSA', hash: 'SHA-256' }
      const { publicKey, privateKey } = await s.generateKey(alg, false, ['sign', 'verify'])
      ${errName(`s.generateKey({ name: 'ECDSA', namedCurve: 'P-192' }, false, ['sign'])`)}
      ${errName(`s.generateKey(alg, false, ['verify'])`)}
      ${errName(`s.generateKey(alg, false, ['encrypt'])`)}
      ${errName(`s.generateKey({ name: 'ECDSA' }, false, ['sign'])`)}
      ${errName(`s.sign(sha256, publicKey, new Uint8Array(1))`)}
      ${errName(`s.sign({ name: 'ECDSA' }, privateKey, new Uint8Array(1))`)}
      ${errName(`s.verify(sha256, privateKey, new Uint8Array(64), new Uint8Array(1))`)}
      ${errName(`s.exportKey('pkcs8', privateKey)`)}
      ${errName(`s.exportKey('raw', publicKey)`)}
      ${errName(`s.exportKey('spki', privateKey)`)}
      ${errName(`s.exportKey('pkcs8', publicKey)`)}
      ${errName(`s.importKey('spki', new Uint8Array(40), alg, true, ['verify'])`)}
      ${errName(`s.importKey('raw', new Uint8Array(65), alg, true, ['verify'])`)}
      ${errName(`s.importKey('pkcs8', new Uint8Array(40), alg, true, ['sign'])`)}
      ${errName(`s.importKey('spki', new Uint8Array(40), alg, true, ['sign'])`)}
      // A P-256-sized point for a P-384 key.
      ${errName(`s.importKey('raw', new Uint8Array(65), { name: 'ECDSA', namedCurve: 'P-384' }, true, ['verify'])`)}
      ${errName(`s.importKey('raw', new Uint8Array(65), { name: 'ECDSA', namedCurve: 'P-512' }, true, ['verify'])`)}
      const pub = await s.generateKey(alg, true, ['sign']).then((p) => s.exportKey('jwk', p.publicKey))
      ${errName(`s.importKey('jwk', { ...pub, crv: 'P-384' }, alg, true, ['verify'])`)}
      ${errName(`s.importKey('jwk', { ...pub, x: pub.y, y: pub.x }, alg, true, ['verify'])`)}
      ${errName(`s.importKey('jwk', { ...pub, d: pub.x }, alg, true, ['sign'])`)}
      ${errName(`s.importKey('jwk', { ...pub, alg: 'ES384' }, alg, true, ['verify'])`)}
    `)
    expect(calls).toEqual([
      'NotSupportedError',
      'SyntaxError',
      'SyntaxError',
      'TypeError',
      'InvalidAccessError',
      'TypeError',
      'InvalidAccessError',
      'InvalidAccessError',
      'resolved',
      'InvalidAccessError',
      'InvalidAccessError',
      'DataError',
      'DataError',
      'DataError',
      'SyntaxError',
      'DataError',
      'NotSupportedError',
      'DataError',
      'DataError',
      'DataError',
      'DataError',
    ])
  })
})

describe('Ed25519', () => {
  it('signatures verify both ways with Node, through every key format', async () => {
    const data = bytes(200, 6)
    const node = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair
    const input = {
      data,
      nodeSig: await subtle.sign('Ed25519', node.privateKey, data),
      spki: await subtle.exportKey('spki', node.publicKey),
      raw: await subtle.exportKey('raw', node.publicKey),
      jwkPub: await subtle.exportKey('jwk', node.publicKey),
      pkcs8: await subtle.exportKey('pkcs8', node.privateKey),
      jwkPriv: await subtle.exportKey('jwk', node.privateKey),
    }
    const calls = await run(
      `
      const i = input()
      const s = crypto.subtle
      for (const [format, key] of [['spki', i.spki], ['raw', i.raw], ['jwk', i.jwkPub]]) {
        const k = await s.importKey(format, key, 'Ed25519', true, ['verify'])
        report(format, k.algorithm, await s.verify('Ed25519', k, i.nodeSig, i.data), await s.verify({ name: 'ed25519' }, k, i.nodeSig, new Uint8Array(1)))
      }
      const a = await s.importKey('pkcs8', i.pkcs8, 'Ed25519', true, ['sign'])
      const b = await s.importKey('jwk', i.jwkPriv, 'Ed25519', true, ['sign'])
      report(await s.sign('Ed25519', a, i.data), await s.sign('Ed25519', b, i.data))
      const mine = await s.generateKey('Ed25519', true, ['sign', 'verify'])
      report({
        sig: await s.sign('Ed25519', mine.privateKey, i.data),
        spki: await s.exportKey('spki', mine.publicKey),
        raw: await s.exportKey('raw', mine.publicKey),
        jwk: await s.exportKey('jwk', mine.publicKey),
        pkcs8: await s.exportKey('pkcs8', mine.privateKey),
        jwkPriv: await s.exportKey('jwk', mine.privateKey),
      })
      ${errName(`s.importKey('raw', new Uint8Array(31), 'Ed25519', true, ['verify'])`)}
      ${errName(`s.importKey('raw', new Uint8Array(32), 'Ed25519', true, ['sign'])`)}
      ${errName(`s.importKey('pkcs8', i.spki, 'Ed25519', true, ['sign'])`)}
      ${errName(`s.importKey('jwk', { ...i.jwkPriv, x: i.jwkPub.x.replace(/^./, (c) => c === 'A' ? 'B' : 'A') }, 'Ed25519', true, ['sign'])`)}
      ${errName(`s.importKey('jwk', { ...i.jwkPub, crv: 'X25519' }, 'Ed25519', true, ['verify'])`)}
      ${errName(`s.sign('Ed25519', mine.publicKey, i.data)`)}
      ${errName(`s.exportKey('raw', mine.privateKey)`)}
      ${errName(`s.generateKey('Ed25519', true, ['verify'])`)}
    `,
      input,
    )
    expect(calls.slice(0, 3).map((c: any) => [c[0], c[1], c[2], c[3]])).toEqual([
      ['spki', { name: 'Ed25519' }, true, false],
      ['raw', { name: 'Ed25519' }, true, false],
      ['jwk', { name: 'Ed25519' }, true, false],
    ])
    // Ed25519 is deterministic: the same key signs the same bytes identically.
    expect(u8(calls[3][0])).toEqual(u8(input.nodeSig))
    expect(u8(calls[3][1])).toEqual(u8(input.nodeSig))
    const out = calls[4]
    expect(out.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', key_ops: ['verify'], ext: true })
    for (const [format, key] of [['spki', out.spki], ['raw', out.raw], ['jwk', out.jwk]] as const) {
      const k = await subtle.importKey(format as any, key, 'Ed25519', false, ['verify'])
      expect(await subtle.verify('Ed25519', k, out.sig, data)).toBe(true)
    }
    for (const [format, key] of [['pkcs8', out.pkcs8], ['jwk', out.jwkPriv]] as const) {
      const k = await subtle.importKey(format as any, key, 'Ed25519', true, ['sign'])
      expect(u8(await subtle.sign('Ed25519', k, data))).toEqual(u8(out.sig))
    }
    expect(calls.slice(5)).toEqual([
      'DataError',
      'SyntaxError',
      'DataError',
      'DataError',
      'DataError',
      'InvalidAccessError',
      'InvalidAccessError',
      'SyntaxError',
    ])
  })
})

describe('key lifetime', () => {
  it('many short-lived keys are collected without trouble', async () => {
    const calls = await run(`
      for (let i = 0; i < 3000; i++) {
        const k = await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
        if (i % 1000 === 0) await crypto.subtle.sign('HMAC', k, new Uint8Array(1))
      }
      report('done')
    `)
    expect(calls).toEqual(['done'])
  })
})

describe('large inputs (computed off the isolate thread)', () => {
  it('give the same results as Node, and errors keep their DOMException names', async () => {
    // 1 MiB: past the inline threshold, so every operation below runs on a worker thread.
    const data = bytes(1 << 20, 3)
    const raw = bytes(32, 9)
    const iv = bytes(12, 5)
    const calls = await run(
      `
      const { data, raw, iv } = input()
      const s = crypto.subtle
      report('digest', await s.digest('SHA-384', data))
      const hk = await s.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
      const mac = await s.sign('HMAC', hk, data)
      report('hmac', mac, await s.verify('HMAC', hk, mac, data), await s.verify('HMAC', hk, mac, data.subarray(1)))
      const ak = await s.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
      const ct = new Uint8Array(await s.encrypt({ name: 'AES-GCM', iv }, ak, data))
      report('aes', ct)
      ct[5] ^= 1
      try { await s.decrypt({ name: 'AES-GCM', iv }, ak, ct); report('decrypted') } catch (e) { report(e instanceof DOMException, e.name) }
      const { publicKey, privateKey } = await s.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
      const sig = await s.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, data)
      report('ecdsa', await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, sig, data), await s.exportKey('spki', publicKey), sig)
      const pk = await s.importKey('raw', raw, 'PBKDF2', false, ['deriveKey'])
      const derived = await s.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: iv, iterations: 1000 }, pk, { name: 'AES-GCM', length: 128 }, true, ['encrypt'])
      report('derived', await s.exportKey('raw', derived))
    `,
      { data, raw, iv },
    )
    expect(calls[0][0]).toBe('digest')
    expect(u8(calls[0][1])).toEqual(u8(await subtle.digest('SHA-384', data)))
    const nodeHmac = await subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    expect(u8(calls[1][1])).toEqual(u8(await subtle.sign('HMAC', nodeHmac, data)))
    expect(calls[1].slice(2)).toEqual([true, false])
    const nodeAes = await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt'])
    expect(u8(calls[2][1])).toEqual(u8(await subtle.encrypt({ name: 'AES-GCM', iv }, nodeAes, data)))
    expect(calls[3]).toEqual([true, 'OperationError'])
    const spki = await subtle.importKey('spki', calls[4][2], { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    expect(calls[4][1]).toBe(true)
    expect(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, spki, calls[4][3], data)).toBe(true)
    const nodePk = await subtle.importKey('raw', raw, 'PBKDF2', false, ['deriveBits'])
    const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: iv, iterations: 1000 }, nodePk, 128)
    expect(u8(calls[5][1])).toEqual(u8(bits))
  })
})

describe('primordials', () => {
  it('patched built-ins change nothing in crypto.subtle', async () => {
    const calls = await run(`
      const s = crypto.subtle
      const key = await s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify'])
      const jwk = await s.exportKey('jwk', key)
      const usages = { sign: new Set(['sign']), verify: new Set(['verify']), deriveKey: new Set(['deriveKey']), encrypt: new Set(['encrypt']), wrap: new Set(['wrapKey', 'unwrapKey']) }
      // (WebIDL converts a usages array with its own iterator, which the spec lets user code patch: Sets here.)
      jwk.key_ops = usages.sign
      // Everything a careless platform would call on user-reachable values.
      const boom = () => { throw new Error('patched built-in called') }
      Array.prototype.includes = boom
      Array.prototype.filter = boom
      Array.prototype.push = boom
      Array.prototype[Symbol.iterator] = boom
      Array.from = boom
      Object.keys = boom
      JSON.stringify = boom
      JSON.parse = boom
      Promise.prototype.then = function () { throw new Error('patched then') }
      Promise.resolve = boom
      Object.defineProperty(Uint8Array.prototype, 'byteLength', { get: boom })
      String.prototype.toUpperCase = boom
      const data = new Uint8Array(100)
      const p = s.sign('HMAC', key, data)
      report(p instanceof Promise)
      // await uses the intrinsic then, not the patched one.
      const sig = await p
      report(sig.byteLength === 32 || new Uint8Array(sig).length === 32)
      report(await s.verify('hmac', key, sig, data))
      const k2 = await s.importKey('jwk', jwk, { name: 'HMAC', hash: 'SHA-256' }, false, usages.sign)
      report(k2.usages.length)
      const ak = await s.generateKey({ name: 'AES-GCM', length: 128 }, true, usages.wrap)
      const iv = new Uint8Array(12)
      const wrapped = await s.wrapKey('jwk', key, ak, { name: 'AES-GCM', iv })
      const back = await s.unwrapKey('jwk', wrapped, ak, { name: 'AES-GCM', iv }, { name: 'HMAC', hash: 'SHA-256' }, true, usages.verify)
      report(back.algorithm.name, await s.verify('HMAC', back, sig, data))
      const pk = await s.importKey('raw', new Uint8Array(8), 'PBKDF2', false, usages.deriveKey)
      const dk = await s.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: iv, iterations: 10 }, pk, { name: 'AES-GCM', length: 128 }, false, usages.encrypt)
      report(dk.type)
    `)
    expect(calls).toEqual([true, true, true, 1, ['HMAC', true], 'secret'])
  })
})
