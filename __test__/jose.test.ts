// The `jose` package (JWS, JWE and JWT on WebCrypto) bundled into a runtime: every JWS and JWE
// algorithm it supports, with tokens made inside checked by jose in Node, and tokens made by
// Node checked inside, with keys generated on each side.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as jose from 'jose'
import { reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()
const bundle = readFileSync(fileURLToPath(new URL('./fixtures/jose-lib.bundle.mjs', import.meta.url)), 'utf8')

const JWS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'HS256', 'HS384', 'HS512']
// [alg, enc]: key management algorithms with a content encryption, and `dir` with each content
// encryption (AES-GCM and AES-CBC with HMAC).
const JWE: [string, string][] = [
  ['RSA-OAEP', 'A256GCM'],
  ['RSA-OAEP-256', 'A128CBC-HS256'],
  ['RSA-OAEP-384', 'A192GCM'],
  ['RSA-OAEP-512', 'A256CBC-HS512'],
  ['ECDH-ES', 'A128GCM'],
  ['ECDH-ES+A128KW', 'A192CBC-HS384'],
  ['ECDH-ES+A192KW', 'A256GCM'],
  ['ECDH-ES+A256KW', 'A128CBC-HS256'],
  ['A128KW', 'A128GCM'],
  ['A192KW', 'A256CBC-HS512'],
  ['A256KW', 'A192GCM'],
  ['A128GCMKW', 'A256GCM'],
  ['A192GCMKW', 'A128CBC-HS256'],
  ['A256GCMKW', 'A128GCM'],
  ['PBES2-HS256+A128KW', 'A128GCM'],
  ['PBES2-HS512+A256KW', 'A256CBC-HS512'],
  ['dir', 'A128GCM'],
  ['dir', 'A192GCM'],
  ['dir', 'A256GCM'],
  ['dir', 'A128CBC-HS256'],
  ['dir', 'A192CBC-HS384'],
  ['dir', 'A256CBC-HS512'],
]
const isSecret = (alg: string) => alg.startsWith('HS') || /^A\d+(GCM)?KW$/.test(alg) || alg === 'dir' || alg.startsWith('PBES2')
const PASSWORD = 'correct horse battery staple'

/** A key for `alg` (and `enc`, for `dir`), extractable, with its JWK(s): [private/secret, public/secret]. */
async function nodeKey(alg: string, enc?: string) {
  if (alg.startsWith('PBES2')) return { key: new TextEncoder().encode(PASSWORD), jwk: null }
  if (isSecret(alg)) {
    const key = await jose.generateSecret(alg === 'dir' ? enc! : alg, { extractable: true })
    return { key, jwk: await jose.exportJWK(key) }
  }
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, crv: alg.startsWith('ECDH') ? 'P-384' : undefined })
  return { key: privateKey, public: publicKey, jwk: await jose.exportJWK(publicKey) }
}

/** The isolate side: imports jose, then runs `body` with `input()` and `report`. Returns the
 * reports and the runtime (whose `eval` runs more code, `input()` then giving `next.input`). */
async function inIsolate(body: string, input: unknown) {
  const { calls, customFunctions } = reporter()
  const next = { input }
  const rt = await createRuntime({
    executionTimeout: 60_000,
    customFunctions: { ...customFunctions, input: { type: 'sync', fn: () => next.input } },
    moduleLoader: async (specifier: string) => {
      if (specifier !== 'jose') throw new Error(`unexpected import ${specifier}`)
      return { code: bundle, filename: 'jose-lib.bundle.mjs' }
    },
  })
  await rt.eval(`import * as jose from 'jose'\nconst PASSWORD = ${JSON.stringify(PASSWORD)}\n${body}`, 'jose-test.js')
  return { calls, rt, next }
}

describe('jose inside the runtime', () => {
  it('signs JWTs that jose in Node verifies, and verifies Node-signed JWTs, with every JWS algorithm', { timeout: 60_000 }, async () => {
    const node: Record<string, { key: any; jwk: any; token: string }> = {}
    for (const alg of JWS) {
      const { key, jwk } = await nodeKey(alg)
      const token = await new jose.SignJWT({ sub: 'node', alg }).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime('5m').sign(key)
      node[alg] = { key, jwk: { ...jwk, alg }, token }
    }
    const input = Object.fromEntries(JWS.map((alg) => [alg, { jwk: node[alg].jwk, token: node[alg].token }]))
    const { calls } = await inIsolate(
      `
      const out = {}
      for (const [alg, { jwk, token }] of Object.entries(input())) {
        // Node's token, checked with Node's public key (or shared secret).
        const theirs = await jose.importJWK(jwk, alg)
        const { payload, protectedHeader } = await jose.jwtVerify(token, theirs, { algorithms: [alg] })
        let tampered
        try { await jose.jwtVerify(token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA'), theirs); tampered = 'verified' } catch (e) { tampered = e.code }
        // A key generated here, a token signed here.
        const secret = ${JSON.stringify(JWS.filter((a) => a.startsWith('HS')))}.includes(alg)
        let mine, publicJwk
        if (secret) {
          mine = await jose.generateSecret(alg, { extractable: true })
          publicJwk = await jose.exportJWK(mine)
        } else {
          const pair = await jose.generateKeyPair(alg, { extractable: true })
          mine = pair.privateKey
          publicJwk = await jose.exportJWK(pair.publicKey)
        }
        const signed = await new jose.SignJWT({ sub: 'isolate', alg }).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime('5m').sign(mine)
        out[alg] = { verified: [payload.sub, payload.alg, protectedHeader.alg], tampered, signed, publicJwk }
      }
      report(out)
    `,
      input,
    )
    const out = calls[0] as any
    for (const alg of JWS) {
      const o = out[alg]
      expect(o.verified, alg).toEqual(['node', alg, alg])
      expect(o.tampered, alg).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
      const key = await jose.importJWK(o.publicJwk, alg)
      const { payload, protectedHeader } = await jose.jwtVerify(o.signed, key, { algorithms: [alg] })
      expect([payload.sub, payload.alg, protectedHeader.alg], alg).toEqual(['isolate', alg, alg])
      // The isolate's key does not verify Node's token, nor Node's the isolate's.
      await expect(jose.jwtVerify(node[alg].token, key)).rejects.toThrow()
    }
  })

  it('encrypts JWEs that jose in Node decrypts, and decrypts Node-made JWEs, with every JWE algorithm', { timeout: 120_000 }, async () => {
    const plaintext = 'a secret message: ' + 'x'.repeat(300)
    // Node's keys: the isolate encrypts to them; Node decrypts.
    const node: any[] = []
    for (const [alg, enc] of JWE) {
      const k = await nodeKey(alg, enc)
      node.push({ alg, enc, ...k })
    }
    const { calls: first, rt, next } = await inIsolate(
      `
      const out = []
      for (const { alg, enc, jwk } of input()) {
        const key = alg.startsWith('PBES2') ? new TextEncoder().encode(PASSWORD) : await jose.importJWK(jwk, alg === 'dir' ? enc : alg)
        const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(${JSON.stringify(plaintext)}))
          .setProtectedHeader({ alg, enc })
          .encrypt(key, alg.startsWith('PBES2') ? { p2c: 2048 } : undefined)
        // Keys generated here, for Node to encrypt to.
        let decryptKey, encryptJwk
        if (alg.startsWith('PBES2')) {
          decryptKey = new TextEncoder().encode(PASSWORD)
        } else if (${JSON.stringify(JWE.filter(([a]) => isSecret(a)).map(([a]) => a))}.includes(alg)) {
          decryptKey = await jose.generateSecret(alg === 'dir' ? enc : alg, { extractable: true })
          encryptJwk = await jose.exportJWK(decryptKey)
        } else {
          const pair = await jose.generateKeyPair(alg, { extractable: true, crv: alg.startsWith('ECDH') ? 'P-521' : undefined })
          decryptKey = pair.privateKey
          encryptJwk = await jose.exportJWK(pair.publicKey)
        }
        globalThis.keys ??= []
        globalThis.keys.push(decryptKey)
        out.push({ jwe, encryptJwk })
      }
      report(out)
      // Waits for Node's JWEs, made with the keys above, and decrypts them.
      globalThis.decryptAll = async (tokens) => {
        const results = []
        for (let i = 0; i < tokens.length; i++) {
          // PBES2 is allowed only when asked for (jose refuses it by default).
          const allowed = { keyManagementAlgorithms: [jose.decodeProtectedHeader(tokens[i]).alg] }
          const { plaintext, protectedHeader } = await jose.compactDecrypt(tokens[i], globalThis.keys[i], allowed)
          results.push([new TextDecoder().decode(plaintext), protectedHeader.alg, protectedHeader.enc])
        }
        return results
      }
    `,
      node.map(({ alg, enc, jwk }) => ({ alg, enc, jwk })),
    )
    const made = first[0] as any[]
    for (let i = 0; i < JWE.length; i++) {
      const [alg, enc] = JWE[i]
      const { plaintext: p, protectedHeader } = await jose.compactDecrypt(made[i].jwe, node[i].key, { keyManagementAlgorithms: [alg] })
      expect([new TextDecoder().decode(p), protectedHeader.alg, protectedHeader.enc], `${alg} ${enc}`).toEqual([plaintext, alg, enc])
    }
    // Node encrypts to the keys made inside; the isolate decrypts, in a second eval.
    const tokens: string[] = []
    for (let i = 0; i < JWE.length; i++) {
      const [alg, enc] = JWE[i]
      const key = alg.startsWith('PBES2') ? new TextEncoder().encode(PASSWORD) : await jose.importJWK(made[i].encryptJwk, alg === 'dir' ? enc : alg)
      tokens.push(
        await new jose.CompactEncrypt(new TextEncoder().encode(plaintext + i)).setProtectedHeader({ alg, enc }).encrypt(key, alg.startsWith('PBES2') ? { p2c: 2048 } : undefined),
      )
    }
    next.input = tokens
    await rt.eval(`report(await globalThis.decryptAll(input()))`, 'decrypt.js')
    const decrypted = first[1] as any[]
    expect(decrypted.map((d) => [d[1], d[2]])).toEqual(JWE)
    expect(decrypted.map((d) => d[0])).toEqual(JWE.map((_, i) => plaintext + i))
    // A tampered JWE does not decrypt inside.
    const [h, k, iv, ct, tag] = tokens[0].split('.')
    next.input = [[h, k, iv, ct, tag.slice(0, -2) + (tag.endsWith('AA') ? 'BA' : 'AA')].join('.')]
    await rt.eval(`try { await globalThis.decryptAll(input()); report('decrypted') } catch (e) { report(e.code) }`, 'tampered.js')
    expect(first[2]).toBe('ERR_JWE_DECRYPTION_FAILED')
  })
})
