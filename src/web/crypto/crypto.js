// crypto.getRandomValues, crypto.randomUUID, crypto.subtle (https://w3c.github.io/webcrypto/)
//
// This file checks arguments and algorithms the way the spec and WebIDL say; the natives do the
// cryptography. Key material stays in Rust: a CryptoKey holds an opaque handle in a private field.
// Runs once, into the startup snapshot: nothing here may call a native or keep per-runtime state
// outside a method. Everything that runs after user code uses captured intrinsics
// (internals.primordials): user code patching Array.prototype, Promise, JSON… changes nothing here.
(function (global, natives, internals) {
  'use strict'
  const { define, tag } = internals
  const {
    ArrayBufferIsView, ArrayBufferPrototypeGetByteLength, ArrayFrom, ArrayIsArray, ArrayPrototypeFilter, ArrayPrototypeFind,
    ArrayPrototypeIncludes, ArrayPrototypePush, ArrayPrototypeSlice, DataViewPrototypeGetByteLength, JSONParse,
    JSONStringify, MathCeil, MathTrunc, NumberIsFinite, ObjectCreate, ObjectDefineProperty,
    ObjectGetOwnPropertyDescriptor, ObjectGetOwnPropertyNames, ObjectKeys, PromisePrototypeThen, PromiseReject,
    PromiseResolve, SafeSet, SetPrototypeAdd, SetPrototypeGetSize, String, StringPrototypeToUpperCase, SymbolIterator, TypeError,
    TypedArrayPrototypeGetByteLength, TypedArrayPrototypeGetSymbolToStringTag,
  } = internals.primordials
  const DOMException = internals.DOMException
  // WebIDL: operations and attributes are enumerable on the prototype.
  const enumerable = (cls) => {
    const keys = ObjectGetOwnPropertyNames(cls.prototype)
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 'constructor') continue
      const d = ObjectGetOwnPropertyDescriptor(cls.prototype, keys[i])
      ObjectDefineProperty(cls.prototype, keys[i], { __proto__: null, ...d, enumerable: true })
    }
  }
  const isArrayBuffer = (v) => {
    try {
      ArrayBufferPrototypeGetByteLength(v)
      return true
    } catch {
      return false
    }
  }
  const isBufferSource = (v) => ArrayBufferIsView(v) || isArrayBuffer(v)
  const dom = (message, name) => new DOMException(message, name)
  // Through the intrinsic getters: a view's own `byteLength` may be anything.
  const viewByteLength = (v) =>
    TypedArrayPrototypeGetSymbolToStringTag(v) === undefined ? DataViewPrototypeGetByteLength(v) : TypedArrayPrototypeGetByteLength(v)
  const byteLength = (b) => (ArrayBufferIsView(b) ? viewByteLength(b) : ArrayBufferPrototypeGetByteLength(b))

  // --- Crypto (https://w3c.github.io/webcrypto/#crypto-interface) ---------------------------------

  class Crypto {
    constructor() {
      throw new TypeError('Illegal constructor')
    }
    getRandomValues(array) {
      if (this !== crypto) throw new TypeError('Illegal invocation')
      if (arguments.length < 1) {
        throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present.")
      }
      return natives.getRandomValues(array)
    }
    randomUUID() {
      if (this !== crypto) throw new TypeError('Illegal invocation')
      return natives.randomUUID()
    }
    get subtle() {
      if (this !== crypto) throw new TypeError('Illegal invocation')
      return subtle
    }
  }
  tag(Crypto, 'Crypto')
  enumerable(Crypto)

  // --- CryptoKey (https://w3c.github.io/webcrypto/#cryptokey-interface) ---------------------------

  const TOKEN = Symbol('CryptoKey')
  let slots // (key) => the key's internal slots, or undefined for anything else
  class CryptoKey {
    #type
    #extractable
    #algorithm
    #usages
    #handle
    #algorithmCached
    #usagesCached
    constructor(token, type, extractable, algorithm, usages, handle) {
      if (token !== TOKEN) throw new TypeError('Illegal constructor')
      this.#type = type
      this.#extractable = extractable
      this.#algorithm = algorithm
      this.#usages = usages
      this.#handle = handle
    }
    static {
      slots = (k) =>
        k !== null && typeof k === 'object' && #handle in k
          ? { type: k.#type, extractable: k.#extractable, algorithm: k.#algorithm, usages: k.#usages, handle: k.#handle }
          : undefined
    }
    get type() {
      if (!slots(this)) throw new TypeError('Illegal invocation')
      return this.#type
    }
    get extractable() {
      if (!slots(this)) throw new TypeError('Illegal invocation')
      return this.#extractable
    }
    // The same object every time ([[algorithm_cached]] in the spec), a copy of the internal slot
    // so that changing it cannot change what the key does.
    get algorithm() {
      if (!slots(this)) throw new TypeError('Illegal invocation')
      const a = this.#algorithm
      this.#algorithmCached ??= a.hash ? { ...a, hash: { ...a.hash } } : { ...a }
      return this.#algorithmCached
    }
    get usages() {
      if (!slots(this)) throw new TypeError('Illegal invocation')
      this.#usagesCached ??= ArrayPrototypeSlice(this.#usages)
      return this.#usagesCached
    }
  }
  tag(CryptoKey, 'CryptoKey')
  enumerable(CryptoKey)

  const newKey = (type, extractable, algorithm, usages, handle) =>
    new CryptoKey(TOKEN, type, extractable, algorithm, usages, handle)

  // --- WebIDL conversions ----------------------------------------------------------------------

  // https://w3c.github.io/webcrypto/#dfn-RecognizedKeyUsage, in the spec's order.
  const USAGES = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey']
  const FORMATS = ['raw', 'spki', 'pkcs8', 'jwk']

  function toUsages(v) {
    if (v === null || typeof v !== 'object' || typeof v[SymbolIterator] !== 'function') {
      throw new TypeError('keyUsages: not a sequence')
    }
    // WebIDL sequence<KeyUsage>: the value's own iterator, as the spec says.
    const out = []
    for (const u of v) {
      const s = String(u)
      if (!ArrayPrototypeIncludes(USAGES, s)) throw new TypeError(`keyUsages: '${s}' is not a valid KeyUsage`)
      ArrayPrototypePush(out, s)
    }
    return out
  }
  // The usage intersection, in the recognized order.
  const intersect = (usages, allowed) =>
    ArrayPrototypeFilter(USAGES, (u) => ArrayPrototypeIncludes(usages, u) && ArrayPrototypeIncludes(allowed, u))
  function checkUsages(usages, allowed) {
    for (let i = 0; i < usages.length; i++) {
      if (!ArrayPrototypeIncludes(allowed, usages[i])) throw dom(`Unsupported key usage for this algorithm: ${usages[i]}`, 'SyntaxError')
    }
  }
  function toFormat(v) {
    const s = String(v)
    if (!ArrayPrototypeIncludes(FORMATS, s)) throw new TypeError(`format: '${s}' is not a valid KeyFormat`)
    return s
  }
  function toKey(v, what) {
    const s = slots(v)
    if (!s) throw new TypeError(`${what} is not of type 'CryptoKey'`)
    return s
  }
  function toBuffer(v, what) {
    if (!isBufferSource(v)) throw new TypeError(`${what} is not of type 'BufferSource'`)
    return v
  }
  // [EnforceRange] integer types.
  function toInteger(v, max, what) {
    const n = Number(v)
    if (!NumberIsFinite(n)) throw new TypeError(`${what} is not a finite number`)
    const i = MathTrunc(n)
    if (i < 0 || i > max) throw new TypeError(`${what} is outside the accepted range`)
    return i
  }

  // --- Algorithm normalization (https://w3c.github.io/webcrypto/#algorithm-normalization-normalize-an-algorithm)

  // Dictionary members: [name, type, required].
  const DICTS = {
    __proto__: null,
    HmacKeyGenParams: [['hash', 'hash', true], ['length', 'ulong', false]],
    HmacImportParams: [['hash', 'hash', true], ['length', 'ulong', false]],
    AesKeyGenParams: [['length', 'ushort', true]],
    AesDerivedKeyParams: [['length', 'ushort', true]],
    EcKeyGenParams: [['namedCurve', 'string', true]],
    EcKeyImportParams: [['namedCurve', 'string', true]],
    EcdsaParams: [['hash', 'hash', true]],
    AesGcmParams: [['additionalData', 'buffer', false], ['iv', 'buffer', true], ['tagLength', 'octet', false]],
    Pbkdf2Params: [['hash', 'hash', true], ['iterations', 'ulong', true], ['salt', 'buffer', true]],
    HkdfParams: [['hash', 'hash', true], ['info', 'buffer', true], ['salt', 'buffer', true]],
  }
  const SIGN = { __proto__: null, HMAC: null, ECDSA: 'EcdsaParams', Ed25519: null }
  const AES = { __proto__: null, 'AES-GCM': 'AesGcmParams' }
  const OPS = {
    __proto__: null,
    digest: { __proto__: null, 'SHA-1': null, 'SHA-256': null, 'SHA-384': null, 'SHA-512': null },
    generateKey: { __proto__: null, HMAC: 'HmacKeyGenParams', 'AES-GCM': 'AesKeyGenParams', ECDSA: 'EcKeyGenParams', Ed25519: null },
    importKey: { __proto__: null, HMAC: 'HmacImportParams', 'AES-GCM': null, PBKDF2: null, HKDF: null, ECDSA: 'EcKeyImportParams', Ed25519: null },
    sign: SIGN,
    verify: SIGN,
    encrypt: AES,
    decrypt: AES,
    deriveBits: { __proto__: null, PBKDF2: 'Pbkdf2Params', HKDF: 'HkdfParams' },
    'get key length': { __proto__: null, 'AES-GCM': 'AesDerivedKeyParams', HMAC: 'HmacImportParams', PBKDF2: null, HKDF: null },
  }

  function normalize(alg, op) {
    // WebIDL (object or DOMString): anything but an object is converted to a string.
    if (alg === null || (typeof alg !== 'object' && typeof alg !== 'function')) return normalize({ name: `${alg}` }, op)
    if (alg.name === undefined) throw new TypeError("Algorithm: required member 'name' is undefined")
    const name = String(alg.name)
    const table = OPS[op]
    const upper = StringPrototypeToUpperCase(name)
    const registered = ArrayPrototypeFind(ObjectKeys(table), (k) => StringPrototypeToUpperCase(k) === upper)
    if (registered === undefined) throw dom(`Unrecognized algorithm name: ${name}`, 'NotSupportedError')
    const out = { name: registered }
    const members = table[registered] === null ? [] : DICTS[table[registered]]
    for (let i = 0; i < members.length; i++) {
      const member = members[i][0], type = members[i][1], required = members[i][2]
      const v = alg[member]
      if (v === undefined) {
        if (required) throw new TypeError(`${registered}: required member '${member}' is undefined`)
        continue
      }
      switch (type) {
        case 'hash': out[member] = normalize(v, 'digest'); break
        case 'buffer': out[member] = toBuffer(v, `${registered}: member '${member}'`); break
        case 'ulong': out[member] = toInteger(v, 0xffffffff, `${registered}: member '${member}'`); break
        case 'ushort': out[member] = toInteger(v, 0xffff, `${registered}: member '${member}'`); break
        case 'octet': out[member] = toInteger(v, 0xff, `${registered}: member '${member}'`); break
        default: out[member] = String(v)
      }
    }
    return out
  }

  // --- Helpers for the algorithms --------------------------------------------------------------

  // Bound on derived and generated key sizes (not the spec's: a sandbox's).
  const MAX_BITS = 8 << 20
  // Natives over large inputs (and PBKDF2 always) answer with a promise of the result, computed
  // off the isolate thread; its rejection is a { name, message } to turn back into the error.
  const rethrow = (e) => {
    throw e !== null && typeof e === 'object' && e.name === 'TypeError' ? new TypeError(e.message) : dom(e?.message, e?.name)
  }
  const offloaded = (r) => (r !== null && typeof r === 'object' && !isArrayBuffer(r) ? PromisePrototypeThen(r, undefined, rethrow) : r)
  // Block sizes in bits (https://w3c.github.io/webcrypto/#hmac-operations).
  const blockSize = (hash) => (hash === 'SHA-384' || hash === 'SHA-512' ? 1024 : 512)
  const HMAC_JWK_ALG = { __proto__: null, 'SHA-1': 'HS1', 'SHA-256': 'HS256', 'SHA-384': 'HS384', 'SHA-512': 'HS512' }
  const ASYM = { __proto__: null, ECDSA: 'EC', Ed25519: 'Ed' }
  const b64uDecode = (s, member) => {
    if (typeof s !== 'string') throw dom(`The JWK member '${member}' is missing or not a string`, 'DataError')
    const b = natives.b64uDecode(s)
    if (b === undefined) throw dom(`The JWK member '${member}' is not base64url`, 'DataError')
    return b
  }

  // JsonWebKey dictionary conversion (https://w3c.github.io/webcrypto/#JsonWebKey-dictionary).
  const JWK_STRINGS = ['alg', 'crv', 'd', 'dp', 'dq', 'e', 'k', 'kty', 'n', 'p', 'q', 'qi', 'use', 'x', 'y']
  // `parsed`: v is our own JSONParse result (unwrapKey), whose arrays are read by index.
  function toJwk(v, parsed = false) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) throw new TypeError('keyData is not a JsonWebKey')
    const out = {}
    for (let i = 0; i < JWK_STRINGS.length; i++) {
      const m = JWK_STRINGS[i]
      if (v[m] !== undefined) out[m] = String(v[m])
    }
    if (v.ext !== undefined) out.ext = Boolean(v.ext)
    if (v.key_ops !== undefined) out.key_ops = toStrings(v.key_ops, parsed)
    return out
  }
  function toStrings(v, parsed) {
    if (parsed && ArrayIsArray(v)) {
      const out = []
      for (let i = 0; i < v.length; i++) out[i] = String(v[i])
      return out
    }
    if (v === null || typeof v !== 'object' || typeof v[SymbolIterator] !== 'function') {
      throw new TypeError('JsonWebKey: key_ops is not a sequence')
    }
    // WebIDL sequence<DOMString>: the value's own iterator, as the spec says.
    return ArrayFrom(v, String)
  }
  // The checks every JWK import shares.
  function checkJwk(jwk, kty, use, extractable, usages) {
    if (jwk.kty !== kty) throw dom(`The JWK's kty must be '${kty}'`, 'DataError')
    if (usages.length > 0 && jwk.use !== undefined && jwk.use !== use) {
      throw dom(`The JWK's use must be '${use}'`, 'DataError')
    }
    if (jwk.key_ops !== undefined) {
      const seen = new SafeSet()
      for (let i = 0; i < jwk.key_ops.length; i++) SetPrototypeAdd(seen, jwk.key_ops[i])
      if (SetPrototypeGetSize(seen) !== jwk.key_ops.length) throw dom('The JWK key_ops has duplicates', 'DataError')
      for (let i = 0; i < usages.length; i++) {
        if (!ArrayPrototypeIncludes(jwk.key_ops, usages[i])) throw dom(`The JWK key_ops does not allow '${usages[i]}'`, 'DataError')
      }
    }
    if (jwk.ext === false && extractable) throw dom('The JWK is not extractable', 'DataError')
  }

  // --- Import -----------------------------------------------------------------------------------

  function importKey(format, keyData, alg, extractable, usages) {
    let key
    switch (alg.name) {
      case 'HMAC': {
        checkUsages(usages, ['sign', 'verify'])
        let data
        if (format === 'raw') data = keyData
        else if (format === 'jwk') {
          checkJwk(keyData, 'oct', 'sig', extractable, usages)
          data = b64uDecode(keyData.k, 'k')
          if (keyData.alg !== undefined && keyData.alg !== HMAC_JWK_ALG[alg.hash.name]) {
            throw dom('The JWK alg does not match the hash', 'DataError')
          }
        } else throw dom(`HMAC keys cannot be imported as ${format}`, 'NotSupportedError')
        let length = byteLength(data) * 8
        if (length === 0) throw dom('The key is empty', 'DataError')
        if (alg.length !== undefined) {
          if (alg.length > length || alg.length <= length - 8) throw dom('The length does not match the key data', 'DataError')
          length = alg.length
        }
        const algorithm = { name: 'HMAC', hash: { name: alg.hash.name }, length }
        key = newKey('secret', extractable, algorithm, usages, natives.secretImport(data))
        break
      }
      case 'AES-GCM': {
        checkUsages(usages, ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'])
        let data
        if (format === 'raw') data = keyData
        else if (format === 'jwk') {
          checkJwk(keyData, 'oct', 'enc', extractable, usages)
          data = b64uDecode(keyData.k, 'k')
        } else throw dom(`AES keys cannot be imported as ${format}`, 'NotSupportedError')
        const length = byteLength(data) * 8
        if (length !== 128 && length !== 192 && length !== 256) throw dom('AES keys are 128, 192 or 256 bits', 'DataError')
        if (format === 'jwk' && keyData.alg !== undefined && keyData.alg !== `A${length}GCM`) {
          throw dom('The JWK alg does not match the key length', 'DataError')
        }
        key = newKey('secret', extractable, { name: 'AES-GCM', length }, usages, natives.secretImport(data))
        break
      }
      case 'PBKDF2':
      case 'HKDF': {
        if (format !== 'raw') throw dom(`${alg.name} keys can only be imported as raw`, 'NotSupportedError')
        checkUsages(usages, ['deriveKey', 'deriveBits'])
        if (extractable) throw dom(`${alg.name} keys cannot be extractable`, 'SyntaxError')
        key = newKey('secret', false, { name: alg.name }, usages, natives.secretImport(keyData))
        break
      }
      case 'ECDSA':
      case 'Ed25519': {
        const kind = ASYM[alg.name]
        let algorithm = { name: 'Ed25519' }
        if (kind === 'EC') {
          if (alg.namedCurve !== 'P-256') throw dom(`Unsupported named curve: ${alg.namedCurve}`, 'NotSupportedError')
          algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
        }
        let isPrivate = format === 'pkcs8'
        if (format === 'jwk') isPrivate = keyData.d !== undefined
        checkUsages(usages, isPrivate ? ['sign'] : ['verify'])
        let handle
        if (format === 'jwk') {
          if (kind === 'EC') {
            checkJwk(keyData, 'EC', 'sig', extractable, usages)
            if (keyData.crv !== 'P-256') throw dom("The JWK's crv does not match the named curve", 'DataError')
            if (keyData.alg !== undefined && keyData.alg !== 'ES256') throw dom('The JWK alg is not ES256', 'DataError')
          } else {
            checkJwk(keyData, 'OKP', 'sig', extractable, usages)
            if (keyData.crv !== 'Ed25519') throw dom("The JWK's crv must be 'Ed25519'", 'DataError')
            if (keyData.alg !== undefined && keyData.alg !== 'Ed25519' && keyData.alg !== 'EdDSA') {
              throw dom('The JWK alg is not Ed25519', 'DataError')
            }
          }
          const d = isPrivate ? b64uDecode(keyData.d, 'd') : undefined
          const y = kind === 'EC' ? b64uDecode(keyData.y, 'y') : undefined
          handle = natives.asymImportJwk(kind, d, b64uDecode(keyData.x, 'x'), y)
        } else {
          handle = natives.asymImport(kind, format, keyData)
        }
        key = newKey(isPrivate ? 'private' : 'public', extractable, algorithm, usages, handle)
        break
      }
    }
    if ((key.type === 'secret' || key.type === 'private') && usages.length === 0) {
      throw dom('Usages cannot be empty when creating a key.', 'SyntaxError')
    }
    return key
  }

  // --- Export -----------------------------------------------------------------------------------

  function exportKey(format, k) {
    const name = k.algorithm.name
    if (name !== 'HMAC' && name !== 'AES-GCM' && name !== 'ECDSA' && name !== 'Ed25519') {
      throw dom(`${name} keys cannot be exported`, 'NotSupportedError')
    }
    if (!k.extractable) throw dom('key is not extractable', 'InvalidAccessError')
    if (k.type === 'secret') {
      if (format === 'raw') return natives.secretExport(k.handle)
      if (format !== 'jwk') throw dom(`Secret keys cannot be exported as ${format}`, 'NotSupportedError')
      const jwk = { kty: 'oct', k: natives.b64uEncode(natives.secretExport(k.handle)) }
      jwk.alg = name === 'HMAC' ? HMAC_JWK_ALG[k.algorithm.hash.name] : `A${k.algorithm.length}GCM`
      jwk.key_ops = ArrayPrototypeSlice(k.usages)
      jwk.ext = k.extractable
      return jwk
    }
    if (format === 'jwk') {
      const parts = natives.asymJwk(k.handle)
      const x = parts[0], y = parts[1], d = parts[2]
      const jwk = name === 'ECDSA' ? { kty: 'EC', crv: 'P-256', x, y } : { kty: 'OKP', crv: 'Ed25519', x }
      if (k.type === 'private') jwk.d = d
      jwk.key_ops = ArrayPrototypeSlice(k.usages)
      jwk.ext = k.extractable
      return jwk
    }
    const ok = k.type === 'private' ? format === 'pkcs8' : format === 'spki' || format === 'raw'
    if (!ok) throw dom(`A ${k.type} key cannot be exported as ${format}`, 'InvalidAccessError')
    return natives.asymExport(k.handle, format)
  }

  // --- Derivation -------------------------------------------------------------------------------

  function deriveBits(alg, k, length) {
    if (length === null) throw dom(`${alg.name} needs a length`, 'OperationError')
    if (length % 8 !== 0) throw dom('The length must be a multiple of 8', 'OperationError')
    if (alg.name === 'PBKDF2') {
      if (alg.iterations === 0) throw dom('iterations must not be zero', 'OperationError')
      if (length > MAX_BITS) throw dom('PBKDF2 with this many bits is not supported', 'NotSupportedError')
      // Runs off the isolate thread and stops with the runtime (execution timeout, dispose).
      return offloaded(natives.pbkdf2(k.handle, alg.hash.name, alg.salt, alg.iterations, length))
    }
    return offloaded(natives.hkdf(k.handle, alg.hash.name, alg.salt, alg.info, length))
  }

  // https://w3c.github.io/webcrypto/#dfn-get-key-length
  function keyLength(alg) {
    switch (alg.name) {
      case 'AES-GCM':
        if (alg.length !== 128 && alg.length !== 192 && alg.length !== 256) {
          throw dom('AES keys are 128, 192 or 256 bits', 'OperationError')
        }
        return alg.length
      case 'HMAC':
        if (alg.length === undefined) return blockSize(alg.hash.name)
        if (alg.length === 0) throw new TypeError('HMAC: length must not be zero')
        return alg.length
      default:
        return null
    }
  }

  // --- SubtleCrypto (https://w3c.github.io/webcrypto/#subtlecrypto-interface) -------------------

  // Each method returns a promise; every error (argument conversion included) rejects it.
  function run(self, fn) {
    try {
      if (self !== subtle) throw new TypeError('Illegal invocation')
      return PromiseResolve(fn())
    } catch (e) {
      return PromiseReject(e)
    }
  }
  function needArgs(n, have, method) {
    if (have < n) {
      throw new TypeError(`Failed to execute '${method}' on 'SubtleCrypto': ${n} arguments required, but only ${have} present.`)
    }
  }
  function checkKeyFor(alg, k, usage) {
    if (alg.name !== k.algorithm.name) throw dom('The key is not of the requested algorithm', 'InvalidAccessError')
    if (!ArrayPrototypeIncludes(k.usages, usage)) throw dom(`The key does not allow '${usage}'`, 'InvalidAccessError')
  }

  const TAG_LENGTHS = [32, 64, 96, 104, 112, 120, 128]
  function aesGcm(alg, k, data, encrypt) {
    const tagLength = alg.tagLength ?? 128
    if (!ArrayPrototypeIncludes(TAG_LENGTHS, tagLength)) throw dom('Invalid AES-GCM tagLength', 'OperationError')
    if (tagLength !== 128) throw dom('Only a 128-bit AES-GCM tag is supported', 'NotSupportedError')
    if (!encrypt && byteLength(data) < tagLength / 8) throw dom('The data is shorter than the tag', 'OperationError')
    return offloaded(natives.aesGcm(k.handle, encrypt, alg.iv, alg.additionalData, data))
  }

  function signOrVerify(k, alg, signature, data) {
    if (k.algorithm.name === 'HMAC') {
      return offloaded(
        signature === undefined
          ? natives.hmacSign(k.handle, k.algorithm.hash.name, data)
          : natives.hmacVerify(k.handle, k.algorithm.hash.name, signature, data),
      )
    }
    const type = signature === undefined ? 'private' : 'public'
    if (k.type !== type) throw dom(`The key is not a ${type} key`, 'InvalidAccessError')
    const hash = alg.hash?.name
    return offloaded(signature === undefined ? natives.asymSign(k.handle, hash, data) : natives.asymVerify(k.handle, hash, signature, data))
  }

  const utf8 = (s) => natives.utf8Encode(s)

  class SubtleCrypto {
    constructor() {
      throw new TypeError('Illegal constructor')
    }
    encrypt(algorithm, key, data) {
      return run(this, () => {
        needArgs(3, arguments.length, 'encrypt')
        const alg = normalize(algorithm, 'encrypt')
        const k = toKey(key, 'key')
        toBuffer(data, 'data')
        checkKeyFor(alg, k, 'encrypt')
        return aesGcm(alg, k, data, true)
      })
    }
    decrypt(algorithm, key, data) {
      return run(this, () => {
        needArgs(3, arguments.length, 'decrypt')
        const alg = normalize(algorithm, 'decrypt')
        const k = toKey(key, 'key')
        toBuffer(data, 'data')
        checkKeyFor(alg, k, 'decrypt')
        return aesGcm(alg, k, data, false)
      })
    }
    sign(algorithm, key, data) {
      return run(this, () => {
        needArgs(3, arguments.length, 'sign')
        const alg = normalize(algorithm, 'sign')
        const k = toKey(key, 'key')
        toBuffer(data, 'data')
        checkKeyFor(alg, k, 'sign')
        return signOrVerify(k, alg, undefined, data)
      })
    }
    verify(algorithm, key, signature, data) {
      return run(this, () => {
        needArgs(4, arguments.length, 'verify')
        const alg = normalize(algorithm, 'verify')
        const k = toKey(key, 'key')
        toBuffer(signature, 'signature')
        toBuffer(data, 'data')
        checkKeyFor(alg, k, 'verify')
        return signOrVerify(k, alg, signature, data)
      })
    }
    digest(algorithm, data) {
      return run(this, () => {
        needArgs(2, arguments.length, 'digest')
        const alg = normalize(algorithm, 'digest')
        toBuffer(data, 'data')
        return offloaded(natives.digest(alg.name, data))
      })
    }
    generateKey(algorithm, extractable, keyUsages) {
      return run(this, () => {
        needArgs(3, arguments.length, 'generateKey')
        const alg = normalize(algorithm, 'generateKey')
        extractable = Boolean(extractable)
        const usages = toUsages(keyUsages)
        switch (alg.name) {
          case 'HMAC': {
            checkUsages(usages, ['sign', 'verify'])
            const length = alg.length ?? blockSize(alg.hash.name)
            if (length === 0 || length > MAX_BITS) throw dom('HMAC: unsupported key length', 'OperationError')
            if (usages.length === 0) throw dom('Usages cannot be empty when creating a key.', 'SyntaxError')
            const algorithm = { name: 'HMAC', hash: { name: alg.hash.name }, length }
            return newKey('secret', extractable, algorithm, intersect(usages, USAGES), natives.secretGenerate(MathCeil(length / 8)))
          }
          case 'AES-GCM': {
            checkUsages(usages, ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'])
            if (alg.length !== 128 && alg.length !== 192 && alg.length !== 256) {
              throw dom('AES keys are 128, 192 or 256 bits', 'OperationError')
            }
            if (usages.length === 0) throw dom('Usages cannot be empty when creating a key.', 'SyntaxError')
            const handle = natives.secretGenerate(alg.length / 8)
            return newKey('secret', extractable, { name: 'AES-GCM', length: alg.length }, intersect(usages, USAGES), handle)
          }
          default: {
            checkUsages(usages, ['sign', 'verify'])
            let algorithm = { name: 'Ed25519' }
            if (alg.name === 'ECDSA') {
              if (alg.namedCurve !== 'P-256') throw dom(`Unsupported named curve: ${alg.namedCurve}`, 'NotSupportedError')
              algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
            }
            const privateUsages = intersect(usages, ['sign'])
            if (privateUsages.length === 0) throw dom('Usages cannot be empty when creating a key.', 'SyntaxError')
            const pair = natives.asymGenerate(ASYM[alg.name])
            const priv = pair[0], pub = pair[1]
            return {
              publicKey: newKey('public', true, algorithm, intersect(usages, ['verify']), pub),
              privateKey: newKey('private', extractable, { ...algorithm }, privateUsages, priv),
            }
          }
        }
      })
    }
    deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
      return run(this, () => {
        needArgs(5, arguments.length, 'deriveKey')
        const alg = normalize(algorithm, 'deriveBits')
        const k = toKey(baseKey, 'baseKey')
        const importAlg = normalize(derivedKeyType, 'importKey')
        const lengthAlg = normalize(derivedKeyType, 'get key length')
        extractable = Boolean(extractable)
        const usages = toUsages(keyUsages)
        checkKeyFor(alg, k, 'deriveKey')
        const bits = deriveBits(alg, k, keyLength(lengthAlg))
        return PromisePrototypeThen(PromiseResolve(bits), (b) => importKey('raw', b, importAlg, extractable, intersect(usages, USAGES)))
      })
    }
    deriveBits(algorithm, baseKey, length = null) {
      return run(this, () => {
        needArgs(2, arguments.length, 'deriveBits')
        const alg = normalize(algorithm, 'deriveBits')
        const k = toKey(baseKey, 'baseKey')
        // unsigned long? (no [EnforceRange]): ToNumber, then modulo 2^32.
        const n = length === null || length === undefined ? null : Number(length)
        const len = n === null ? null : NumberIsFinite(n) ? MathTrunc(n) >>> 0 : 0
        checkKeyFor(alg, k, 'deriveBits')
        return deriveBits(alg, k, len)
      })
    }
    importKey(format, keyData, algorithm, extractable, keyUsages) {
      return run(this, () => {
        needArgs(5, arguments.length, 'importKey')
        format = toFormat(format)
        keyData = format === 'jwk' ? toJwk(keyData) : toBuffer(keyData, 'keyData')
        const alg = normalize(algorithm, 'importKey')
        extractable = Boolean(extractable)
        const usages = intersect(toUsages(keyUsages), USAGES)
        return importKey(format, keyData, alg, extractable, usages)
      })
    }
    exportKey(format, key) {
      return run(this, () => {
        needArgs(2, arguments.length, 'exportKey')
        format = toFormat(format)
        return exportKey(format, toKey(key, 'key'))
      })
    }
    // https://w3c.github.io/webcrypto/#SubtleCrypto-method-wrapKey, with AES-GCM as the wrapping
    // algorithm (through its encrypt operation, as the spec allows).
    wrapKey(format, key, wrappingKey, wrapAlgorithm) {
      return run(this, () => {
        needArgs(4, arguments.length, 'wrapKey')
        format = toFormat(format)
        const k = toKey(key, 'key')
        const wk = toKey(wrappingKey, 'wrappingKey')
        const alg = normalize(wrapAlgorithm, 'encrypt')
        checkKeyFor(alg, wk, 'wrapKey')
        const exported = exportKey(format, k)
        const bytes = format === 'jwk' ? utf8(JSONStringify(exported)) : exported
        return aesGcm(alg, wk, bytes, true)
      })
    }
    unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
      return run(this, () => {
        needArgs(7, arguments.length, 'unwrapKey')
        format = toFormat(format)
        toBuffer(wrappedKey, 'wrappedKey')
        const uk = toKey(unwrappingKey, 'unwrappingKey')
        const alg = normalize(unwrapAlgorithm, 'decrypt')
        const importAlg = normalize(unwrappedKeyAlgorithm, 'importKey')
        extractable = Boolean(extractable)
        const usages = intersect(toUsages(keyUsages), USAGES)
        checkKeyFor(alg, uk, 'unwrapKey')
        return PromisePrototypeThen(PromiseResolve(aesGcm(alg, uk, wrappedKey, false)), (bytes) => {
          let keyData = bytes
          if (format === 'jwk') {
            let parsed
            try {
              parsed = JSONParse(natives.utf8Decode(bytes))
            } catch {
              throw dom('The unwrapped key is not a JWK', 'DataError')
            }
            keyData = toJwk(parsed, true)
          }
          return importKey(format, keyData, importAlg, extractable, usages)
        })
      })
    }
  }
  tag(SubtleCrypto, 'SubtleCrypto')
  enumerable(SubtleCrypto)

  const subtle = ObjectCreate(SubtleCrypto.prototype)
  const crypto = ObjectCreate(Crypto.prototype)
  define(global, 'Crypto', Crypto)
  define(global, 'SubtleCrypto', SubtleCrypto)
  define(global, 'CryptoKey', CryptoKey)
  // WebIDL: `crypto` is a readonly attribute of the global, replaceable like other engines'.
  define(global, 'crypto', crypto)
})
