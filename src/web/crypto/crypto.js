// crypto.getRandomValues, crypto.randomUUID, crypto.subtle (https://w3c.github.io/webcrypto/)
//
// This file checks arguments and algorithms the way the spec and WebIDL say; the natives do the
// cryptography. Key material stays in Rust: a CryptoKey holds an opaque handle in a private field.
// Runs once, into the startup snapshot: nothing here may call a native or keep per-runtime state
// outside a method. Everything that runs after user code uses captured intrinsics
// (internals.primordials): user code patching Array.prototype, Promise, JSON... changes nothing here.
(function (global, natives, internals) {
  'use strict'
  const { define, tag } = internals
  const {
    ArrayBufferIsView, ArrayBufferPrototypeGetByteLength, ArrayFrom, ArrayIsArray, ArrayPrototypeFilter,
    ArrayPrototypeIncludes, ArrayPrototypePush, ArrayPrototypeSlice, DataViewPrototypeGetByteLength, JSONParse,
    JSONStringify, MathCeil, MathTrunc, Number, NumberIsFinite, ObjectCreate, ObjectDefineProperty,
    ObjectGetOwnPropertyDescriptor, ObjectGetOwnPropertyNames, ObjectKeys, PromisePrototypeThen, PromiseReject,
    PromiseResolve, SafeSet, SetPrototypeAdd, SetPrototypeGetSize, String, StringPrototypeToUpperCase, SymbolIterator,
    TypeError, TypedArrayPrototypeGetByteLength, TypedArrayPrototypeGetSymbolToStringTag, TypedArrayPrototypeSlice,
    Uint8Array,
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
    // Defaults keep CryptoKey.length 0: WebIDL's for an interface with no constructor.
    constructor(token = undefined, type = undefined, extractable = undefined, algorithm = undefined, usages = undefined, handle = undefined) {
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
      if (this.#algorithmCached === undefined) {
        const c = { ...a }
        if (a.hash) c.hash = { ...a.hash }
        if (a.publicExponent) c.publicExponent = TypedArrayPrototypeSlice(a.publicExponent)
        this.#algorithmCached = c
      }
      return this.#algorithmCached
    }
    get usages() {
      if (!slots(this)) throw new TypeError('Illegal invocation')
      this.#usagesCached ??= ArrayPrototypeSlice(this.#usages)
      return this.#usagesCached
    }
  }
  tag(CryptoKey, 'CryptoKey')
  // https://w3c.github.io/webcrypto/#cryptokey-interface-clone: same slots, the key material
  // (an immutable handle) shared.
  internals.serializable(CryptoKey, (k) => {
    const s = slots(k)
    return s === undefined ? undefined : new CryptoKey(TOKEN, s.type, s.extractable, s.algorithm, s.usages, s.handle)
  })
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
  // The usage intersection, in the recognized order (duplicates gone).
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
  // A copy of a BufferSource's bytes (the spec copies every buffer it is given). Data arguments
  // are not copied: the natives read them within the call, and a copy would double what a large
  // input costs against memoryLimitMB (the one difference: an algorithm member's getter that
  // changes the data runs before it is read).
  const copy = (b) => natives.copyBytes(b)

  // --- Algorithm normalization (https://w3c.github.io/webcrypto/#algorithm-normalization-normalize-an-algorithm)

  // Dictionary members, inherited dictionaries' first, each in lexicographic order:
  // [name, type, required].
  const HASH = ['hash', 'hash', true]
  const DICTS = {
    __proto__: null,
    HmacKeyGenParams: [HASH, ['length', 'ulong', false]],
    HmacImportParams: [HASH, ['length', 'ulong', false]],
    AesKeyGenParams: [['length', 'ushort', true]],
    AesDerivedKeyParams: [['length', 'ushort', true]],
    AesGcmParams: [['additionalData', 'buffer', false], ['iv', 'buffer', true], ['tagLength', 'octet', false]],
    AesCbcParams: [['iv', 'buffer', true]],
    AesCtrParams: [['counter', 'buffer', true], ['length', 'octet', true]],
    EcKeyGenParams: [['namedCurve', 'string', true]],
    EcKeyImportParams: [['namedCurve', 'string', true]],
    EcdsaParams: [HASH],
    EcdhKeyDeriveParams: [['public', 'key', true]],
    Ed448Params: [['context', 'buffer', false]],
    Pbkdf2Params: [HASH, ['iterations', 'ulong', true], ['salt', 'buffer', true]],
    HkdfParams: [HASH, ['info', 'buffer', true], ['salt', 'buffer', true]],
    RsaHashedKeyGenParams: [['modulusLength', 'ulong', true], ['publicExponent', 'bigint', true], HASH],
    RsaHashedImportParams: [HASH],
    RsaPssParams: [['saltLength', 'ulong', true]],
    RsaOaepParams: [['label', 'buffer', false]],
  }
  const RSA = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP']
  const AES = ['AES-CTR', 'AES-CBC', 'AES-GCM', 'AES-KW']
  const OKP = ['Ed25519', 'X25519', 'Ed448', 'X448']
  const CURVES = ['P-256', 'P-384', 'P-521']
  const table = (names, dict, extra) => {
    const t = { __proto__: null, ...extra }
    for (let i = 0; i < names.length; i++) t[names[i]] = dict
    return t
  }
  const OPS = {
    __proto__: null,
    digest: { __proto__: null, 'SHA-1': null, 'SHA-256': null, 'SHA-384': null, 'SHA-512': null },
    generateKey: table(RSA, 'RsaHashedKeyGenParams', {
      ECDSA: 'EcKeyGenParams', ECDH: 'EcKeyGenParams', HMAC: 'HmacKeyGenParams',
      'AES-CTR': 'AesKeyGenParams', 'AES-CBC': 'AesKeyGenParams', 'AES-GCM': 'AesKeyGenParams', 'AES-KW': 'AesKeyGenParams',
      Ed25519: null, X25519: null, Ed448: null, X448: null,
    }),
    importKey: table(RSA, 'RsaHashedImportParams', {
      ECDSA: 'EcKeyImportParams', ECDH: 'EcKeyImportParams', HMAC: 'HmacImportParams',
      'AES-CTR': null, 'AES-CBC': null, 'AES-GCM': null, 'AES-KW': null, PBKDF2: null, HKDF: null,
      Ed25519: null, X25519: null, Ed448: null, X448: null,
    }),
    sign: { __proto__: null, 'RSASSA-PKCS1-v1_5': null, 'RSA-PSS': 'RsaPssParams', ECDSA: 'EcdsaParams', HMAC: null, Ed25519: null, Ed448: 'Ed448Params' },
    encrypt: { __proto__: null, 'RSA-OAEP': 'RsaOaepParams', 'AES-CTR': 'AesCtrParams', 'AES-CBC': 'AesCbcParams', 'AES-GCM': 'AesGcmParams' },
    wrapKey: { __proto__: null, 'AES-KW': null },
    deriveBits: { __proto__: null, ECDH: 'EcdhKeyDeriveParams', X25519: 'EcdhKeyDeriveParams', X448: 'EcdhKeyDeriveParams', HKDF: 'HkdfParams', PBKDF2: 'Pbkdf2Params' },
    'get key length': {
      __proto__: null, 'AES-CTR': 'AesDerivedKeyParams', 'AES-CBC': 'AesDerivedKeyParams', 'AES-GCM': 'AesDerivedKeyParams',
      'AES-KW': 'AesDerivedKeyParams', HMAC: 'HmacImportParams', PBKDF2: null, HKDF: null,
    },
  }
  OPS.verify = OPS.sign
  OPS.decrypt = OPS.encrypt
  OPS.unwrapKey = OPS.wrapKey

  function normalize(alg, op) {
    // WebIDL (object or DOMString): anything but an object is converted to a string.
    if (alg === null || (typeof alg !== 'object' && typeof alg !== 'function')) return normalize({ name: `${alg}` }, op)
    if (alg.name === undefined) throw new TypeError("Algorithm: required member 'name' is undefined")
    const name = String(alg.name)
    const names = ObjectKeys(OPS[op])
    const upper = StringPrototypeToUpperCase(name)
    let registered
    for (let i = 0; i < names.length; i++) {
      if (StringPrototypeToUpperCase(names[i]) === upper) registered = names[i]
    }
    if (registered === undefined) throw dom(`Unrecognized algorithm name: ${name}`, 'NotSupportedError')
    const out = { name: registered }
    const dict = OPS[op][registered]
    const members = dict === null ? [] : DICTS[dict]
    for (let i = 0; i < members.length; i++) {
      const member = members[i][0], type = members[i][1], required = members[i][2]
      const v = alg[member]
      if (v === undefined) {
        if (required) throw new TypeError(`${registered}: required member '${member}' is undefined`)
        continue
      }
      const what = `${registered}: member '${member}'`
      switch (type) {
        case 'hash': out[member] = normalize(v, 'digest'); break
        case 'buffer': out[member] = copy(toBuffer(v, what)); break
        case 'ulong': out[member] = toInteger(v, 0xffffffff, what); break
        case 'ushort': out[member] = toInteger(v, 0xffff, what); break
        case 'octet': out[member] = toInteger(v, 0xff, what); break
        case 'key': out[member] = toKey(v, what); break
        case 'bigint':
          if (!ArrayBufferIsView(v) || TypedArrayPrototypeGetSymbolToStringTag(v) !== 'Uint8Array') {
            throw new TypeError(`${what} is not a Uint8Array`)
          }
          out[member] = TypedArrayPrototypeSlice(v)
          break
        default: out[member] = String(v)
      }
    }
    return out
  }
  // wrapKey/unwrapKey: the wrap operation's algorithms, else the encrypt operation's.
  function normalizeWrap(alg, op, fallback) {
    try {
      return normalize(alg, op)
    } catch {
      return normalize(alg, fallback)
    }
  }

  // --- Helpers for the algorithms --------------------------------------------------------------

  // Bound on derived and generated secret key sizes (not the spec's: a sandbox's).
  const MAX_BITS = 8 << 20
  // Natives over large inputs (PBKDF2 and RSA private-key work always) answer with a promise of
  // the result, computed off the isolate thread; its rejection is a { name, message } to turn
  // back into the error.
  const rethrow = (e) => {
    throw e !== null && typeof e === 'object' && e.name === 'TypeError' ? new TypeError(e.message) : dom(e?.message, e?.name)
  }
  const offloaded = (r) => (r !== null && typeof r === 'object' && !isArrayBuffer(r) ? PromisePrototypeThen(r, undefined, rethrow) : r)
  // `f` of the result of an operation that may have been offloaded (a promise) or not.
  const then = (v, f) => (v !== null && typeof v === 'object' && !isArrayBuffer(v) ? PromisePrototypeThen(v, f) : f(v))
  // Block sizes in bits (https://w3c.github.io/webcrypto/#hmac-operations).
  const blockSize = (hash) => (hash === 'SHA-384' || hash === 'SHA-512' ? 1024 : 512)
  const HASH_SUFFIX = { __proto__: null, 'SHA-1': '1', 'SHA-256': '256', 'SHA-384': '384', 'SHA-512': '512' }
  const OAEP_JWK_ALG = { __proto__: null, 'SHA-1': 'RSA-OAEP', 'SHA-256': 'RSA-OAEP-256', 'SHA-384': 'RSA-OAEP-384', 'SHA-512': 'RSA-OAEP-512' }
  const rsaJwkAlg = (name, hash) =>
    name === 'RSA-OAEP' ? OAEP_JWK_ALG[hash] : (name === 'RSA-PSS' ? 'PS' : 'RS') + HASH_SUFFIX[hash]
  const EC_JWK_ALG = { __proto__: null, 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }
  const b64uDecode = (s, member) => {
    if (typeof s !== 'string') throw dom(`The JWK member '${member}' is missing or not a string`, 'DataError')
    const b = natives.b64uDecode(s)
    if (b === undefined) throw dom(`The JWK member '${member}' is not base64url`, 'DataError')
    return b
  }
  const optB64u = (s, member) => (s === undefined ? undefined : b64uDecode(s, member))

  // Usages per algorithm: [secret or private key's, public key's].
  const KEY_USAGES = {
    __proto__: null,
    'RSASSA-PKCS1-v1_5': [['sign'], ['verify']],
    'RSA-PSS': [['sign'], ['verify']],
    'RSA-OAEP': [['decrypt', 'unwrapKey'], ['encrypt', 'wrapKey']],
    ECDSA: [['sign'], ['verify']],
    Ed25519: [['sign'], ['verify']],
    Ed448: [['sign'], ['verify']],
    ECDH: [['deriveKey', 'deriveBits'], []],
    X25519: [['deriveKey', 'deriveBits'], []],
    X448: [['deriveKey', 'deriveBits'], []],
    HMAC: [['sign', 'verify']],
    'AES-CTR': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
    'AES-CBC': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
    'AES-GCM': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
    'AES-KW': [['wrapKey', 'unwrapKey']],
    PBKDF2: [['deriveKey', 'deriveBits']],
    HKDF: [['deriveKey', 'deriveBits']],
  }
  // The JWK `use` of an algorithm's keys.
  const jwkUse = (name) => (KEY_USAGES[name][0][0] === 'sign' || name === 'HMAC' ? 'sig' : 'enc')

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
    if (v.ext !== undefined) out.ext = !!v.ext
    if (v.key_ops !== undefined) out.key_ops = toStrings(v.key_ops, parsed)
    if (v.oth !== undefined) out.oth = true
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
  function checkKty(jwk, kty) {
    if (jwk.kty !== kty) throw dom(`The JWK's kty must be '${kty}'`, 'DataError')
  }
  // The checks of `use`, `key_ops` and `ext` every JWK import shares.
  function checkJwkUse(jwk, use, extractable, usages) {
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

  // --- Import (https://w3c.github.io/webcrypto/#SubtleCrypto-method-importKey) ----------------

  function importSecret(format, keyData, alg, extractable, usages) {
    const name = alg.name
    checkUsages(usages, KEY_USAGES[name][0])
    let data
    if (format === 'raw') data = keyData
    else if (format === 'jwk') {
      checkKty(keyData, 'oct')
      data = b64uDecode(keyData.k, 'k')
    } else throw dom(`${name} keys cannot be imported as ${format}`, 'NotSupportedError')
    const bits = byteLength(data) * 8
    let algorithm
    if (name === 'HMAC') {
      const hash = alg.hash.name
      if (format === 'jwk' && keyData.alg !== undefined && keyData.alg !== 'HS' + HASH_SUFFIX[hash]) {
        throw dom('The JWK alg does not match the hash', 'DataError')
      }
      if (format === 'jwk') checkJwkUse(keyData, 'sig', extractable, usages)
      if (bits === 0) throw dom('The key is empty', 'DataError')
      let length = bits
      if (alg.length !== undefined) {
        if (alg.length > bits || alg.length <= bits - 8) throw dom('The length does not match the key data', 'DataError')
        length = alg.length
      }
      algorithm = { name, hash: { name: hash }, length }
    } else {
      if (bits !== 128 && bits !== 192 && bits !== 256) throw dom('AES keys are 128, 192 or 256 bits', 'DataError')
      if (format === 'jwk' && keyData.alg !== undefined && keyData.alg !== `A${bits}${name.slice(4)}`) {
        throw dom('The JWK alg does not match the key', 'DataError')
      }
      algorithm = { name, length: bits }
      if (format === 'jwk') checkJwkUse(keyData, 'enc', extractable, usages)
    }
    return newKey('secret', extractable, algorithm, usages, natives.secretImport(data))
  }

  // Which usages a key in `format` may have: the private key's or the public key's.
  const isPrivateFormat = (format, keyData) => format === 'pkcs8' || (format === 'jwk' && keyData.d !== undefined)

  function importAsymmetric(format, keyData, alg, extractable, usages) {
    const name = alg.name
    const isPrivate = isPrivateFormat(format, keyData)
    if (format === 'raw' && ArrayPrototypeIncludes(RSA, name)) {
      throw dom(`${name} keys cannot be imported as raw`, 'NotSupportedError')
    }
    checkUsages(usages, KEY_USAGES[name][isPrivate ? 0 : 1])
    let kind, algorithm
    if (ArrayPrototypeIncludes(RSA, name)) {
      kind = 'RSA'
    } else if (name === 'ECDSA' || name === 'ECDH') {
      if (!ArrayPrototypeIncludes(CURVES, alg.namedCurve)) throw dom(`Unsupported named curve: ${alg.namedCurve}`, 'NotSupportedError')
      kind = alg.namedCurve
      algorithm = { name, namedCurve: kind }
    } else {
      kind = name
      algorithm = { name }
    }
    let handle
    if (format === 'jwk') {
      const jwk = keyData
      checkKty(jwk, kind === 'RSA' ? 'RSA' : algorithm.namedCurve ? 'EC' : 'OKP')
      checkJwkUse(jwk, jwkUse(name), extractable, usages)
      let members
      if (kind === 'RSA') {
        if (jwk.alg !== undefined && jwk.alg !== rsaJwkAlg(name, alg.hash.name)) {
          throw dom('The JWK alg does not match the algorithm and hash', 'DataError')
        }
        if (jwk.oth !== undefined) throw dom('Multi-prime RSA keys are not supported', 'NotSupportedError')
        members = [b64uDecode(jwk.n, 'n'), b64uDecode(jwk.e, 'e'), optB64u(jwk.d, 'd'), optB64u(jwk.p, 'p'),
          optB64u(jwk.q, 'q'), optB64u(jwk.dp, 'dp'), optB64u(jwk.dq, 'dq'), optB64u(jwk.qi, 'qi')]
      } else if (algorithm.namedCurve) {
        if (jwk.crv !== kind) throw dom("The JWK's crv does not match the named curve", 'DataError')
        if (name === 'ECDSA' && jwk.alg !== undefined && jwk.alg !== EC_JWK_ALG[kind]) {
          throw dom('The JWK alg does not match the named curve', 'DataError')
        }
        members = [b64uDecode(jwk.x, 'x'), b64uDecode(jwk.y, 'y'), optB64u(jwk.d, 'd')]
      } else {
        // The Secure Curves draft: `alg` is ignored for these keys.
        if (jwk.crv !== kind) throw dom(`The JWK's crv must be '${kind}'`, 'DataError')
        members = [b64uDecode(jwk.x, 'x'), optB64u(jwk.d, 'd')]
      }
      handle = natives.asymImportJwk(kind, members)
    } else {
      handle = natives.asymImport(kind, format, keyData)
    }
    const info = natives.keyInfo(handle)
    if (kind === 'RSA') {
      algorithm = { name, modulusLength: info[2], publicExponent: new Uint8Array(info[3]), hash: { name: alg.hash.name } }
    }
    return newKey(info[0] ? 'private' : 'public', extractable, algorithm, usages, handle)
  }

  function importKey(format, keyData, alg, extractable, usages) {
    const name = alg.name
    let key
    if (name === 'HMAC' || ArrayPrototypeIncludes(AES, name)) key = importSecret(format, keyData, alg, extractable, usages)
    else if (name === 'PBKDF2' || name === 'HKDF') {
      if (format !== 'raw') throw dom(`${name} keys can only be imported as raw`, 'NotSupportedError')
      checkUsages(usages, KEY_USAGES[name][0])
      if (extractable) throw dom(`${name} keys cannot be extractable`, 'SyntaxError')
      key = newKey('secret', false, { name }, usages, natives.secretImport(keyData))
    } else key = importAsymmetric(format, keyData, alg, extractable, usages)
    const s = slots(key)
    if ((s.type === 'secret' || s.type === 'private') && usages.length === 0) {
      throw dom('Usages cannot be empty when creating a key.', 'SyntaxError')
    }
    return key
  }

  // --- Export (https://w3c.github.io/webcrypto/#SubtleCrypto-method-exportKey) ----------------

  function exportKey(format, k) {
    const name = k.algorithm.name
    if (name === 'PBKDF2' || name === 'HKDF') throw dom(`${name} keys cannot be exported`, 'NotSupportedError')
    if (!k.extractable) throw dom('The key is not extractable', 'InvalidAccessError')
    if (k.type === 'secret') {
      if (format === 'raw') return natives.secretExport(k.handle)
      if (format !== 'jwk') throw dom(`Secret keys cannot be exported as ${format}`, 'NotSupportedError')
      const jwk = { kty: 'oct', k: natives.b64uEncode(natives.secretExport(k.handle)) }
      jwk.alg = name === 'HMAC' ? 'HS' + HASH_SUFFIX[k.algorithm.hash.name] : `A${k.algorithm.length}${name.slice(4)}`
      jwk.key_ops = ArrayPrototypeSlice(k.usages)
      jwk.ext = k.extractable
      return jwk
    }
    const rsa = ArrayPrototypeIncludes(RSA, name)
    if (format === 'jwk') {
      const p = natives.asymJwk(k.handle)
      let jwk
      if (rsa) {
        jwk = { kty: 'RSA', n: p[0], e: p[1] }
        if (k.type === 'private') {
          jwk.d = p[2]; jwk.p = p[3]; jwk.q = p[4]; jwk.dp = p[5]; jwk.dq = p[6]; jwk.qi = p[7]
        }
        jwk.alg = rsaJwkAlg(name, k.algorithm.hash.name)
      } else if (k.algorithm.namedCurve) {
        jwk = { kty: 'EC', crv: k.algorithm.namedCurve, x: p[0], y: p[1] }
        if (k.type === 'private') jwk.d = p[2]
      } else {
        jwk = { kty: 'OKP', crv: name, x: p[0] }
        if (k.type === 'private') jwk.d = p[1]
      }
      jwk.key_ops = ArrayPrototypeSlice(k.usages)
      jwk.ext = k.extractable
      return jwk
    }
    if (format === 'raw' && rsa) throw dom('RSA keys cannot be exported as raw', 'NotSupportedError')
    const ok = k.type === 'private' ? format === 'pkcs8' : format === 'spki' || format === 'raw'
    if (!ok) throw dom(`A ${k.type} key cannot be exported as ${format}`, 'InvalidAccessError')
    return natives.asymExport(k.handle, format)
  }

  // --- Key generation (https://w3c.github.io/webcrypto/#SubtleCrypto-method-generateKey) ------

  function generateKey(alg, extractable, usages) {
    const name = alg.name
    const allowed = KEY_USAGES[name]
    const all = ArrayPrototypeSlice(allowed[0])
    if (allowed.length > 1) for (let i = 0; i < allowed[1].length; i++) ArrayPrototypePush(all, allowed[1][i])
    checkUsages(usages, all)
    const empty = () => dom('Usages cannot be empty when creating a key.', 'SyntaxError')
    if (allowed.length === 1) {
      let algorithm, bits
      if (name === 'HMAC') {
        bits = alg.length === undefined ? blockSize(alg.hash.name) : alg.length
        if (bits === 0 || bits > MAX_BITS) throw dom('HMAC: unsupported key length', 'OperationError')
        algorithm = { name, hash: { name: alg.hash.name }, length: bits }
      } else {
        bits = alg.length
        if (bits !== 128 && bits !== 192 && bits !== 256) throw dom('AES keys are 128, 192 or 256 bits', 'OperationError')
        algorithm = { name, length: bits }
      }
      if (usages.length === 0) throw empty()
      return newKey('secret', extractable, algorithm, intersect(usages, USAGES), natives.secretGenerate(MathCeil(bits / 8)))
    }
    const pair = (handles, algorithm) => ({
      publicKey: newKey('public', true, algorithm, intersect(usages, allowed[1]), handles[1]),
      privateKey: newKey('private', extractable, { ...algorithm }, intersect(usages, allowed[0]), handles[0]),
    })
    if (ArrayPrototypeIncludes(RSA, name)) {
      const e = alg.publicExponent
      // Checked here, before the work starts (the spec's OperationError comes before the usages').
      if (alg.modulusLength < 1024 || alg.modulusLength > 8192) {
        throw dom('This runtime generates RSA keys of 1024 to 8192 bits', 'OperationError')
      }
      let exponentOk = e.length > 0 && e.length <= 5 && (e[e.length - 1] & 1) === 1
      if (exponentOk && e.length === 1 && e[0] < 3) exponentOk = false
      if (!exponentOk) throw dom('The publicExponent must be odd, at least 3 and below 2^33', 'OperationError')
      if (intersect(usages, allowed[0]).length === 0) throw empty()
      const algorithm = { name, modulusLength: alg.modulusLength, publicExponent: e, hash: { name: alg.hash.name } }
      // Off the isolate thread; stops with the runtime (execution timeout, dispose).
      return then(offloaded(natives.rsaGenerate(alg.modulusLength, e)), (ticket) => pair(natives.takeKeys(ticket), algorithm))
    }
    let kind = name
    let algorithm = { name }
    if (name === 'ECDSA' || name === 'ECDH') {
      if (!ArrayPrototypeIncludes(CURVES, alg.namedCurve)) throw dom(`Unsupported named curve: ${alg.namedCurve}`, 'NotSupportedError')
      kind = alg.namedCurve
      algorithm = { name, namedCurve: kind }
    }
    if (intersect(usages, allowed[0]).length === 0) throw empty()
    return pair(natives.asymGenerate(kind), algorithm)
  }

  // --- Derivation -------------------------------------------------------------------------------

  function deriveBits(alg, k, length) {
    const name = alg.name
    if (name === 'PBKDF2' || name === 'HKDF') {
      if (length === null || length === 0) throw dom(`${name} needs a non-zero length`, 'OperationError')
      if (length % 8 !== 0) throw dom('The length must be a multiple of 8', 'OperationError')
      if (length > MAX_BITS) throw dom(`${name} with this many bits is not supported`, 'OperationError')
      if (name === 'HKDF') return offloaded(natives.hkdf(k.handle, alg.hash.name, alg.salt, alg.info, length))
      if (alg.iterations === 0) throw dom('iterations must not be zero', 'OperationError')
      // Runs off the isolate thread and stops with the runtime (execution timeout, dispose).
      return offloaded(natives.pbkdf2(k.handle, alg.hash.name, alg.salt, alg.iterations, length))
    }
    // ECDH, X25519, X448 (https://w3c.github.io/webcrypto/#ecdh-operations).
    if (k.type !== 'private') throw dom('The base key is not a private key', 'InvalidAccessError')
    const pub = alg.public
    if (pub.type !== 'public') throw dom('The public key is not a public key', 'InvalidAccessError')
    if (pub.algorithm.name !== name) throw dom('The public key is not of the same algorithm', 'InvalidAccessError')
    if (pub.algorithm.namedCurve !== k.algorithm.namedCurve) throw dom('The public key is not on the same named curve', 'InvalidAccessError')
    return natives.deriveBits(k.handle, pub.handle, length)
  }

  // https://w3c.github.io/webcrypto/#dfn-get-key-length
  function keyLength(alg) {
    switch (alg.name) {
      case 'HMAC':
        if (alg.length === undefined) return blockSize(alg.hash.name)
        if (alg.length === 0) throw new TypeError('HMAC: length must not be zero')
        return alg.length
      case 'PBKDF2':
      case 'HKDF':
        return null
      default:
        if (alg.length !== 128 && alg.length !== 192 && alg.length !== 256) {
          throw dom('AES keys are 128, 192 or 256 bits', 'OperationError')
        }
        return alg.length
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
  // encrypt/decrypt of every cipher (https://w3c.github.io/webcrypto/#SubtleCrypto-method-encrypt).
  function cipher(alg, k, data, encrypt) {
    switch (alg.name) {
      case 'AES-GCM': {
        const tagLength = alg.tagLength ?? 128
        if (!ArrayPrototypeIncludes(TAG_LENGTHS, tagLength)) throw dom('Invalid AES-GCM tagLength', 'OperationError')
        if (!encrypt && byteLength(data) < tagLength / 8) throw dom('The data is shorter than the tag', 'OperationError')
        return offloaded(natives.aesGcm(k.handle, encrypt, alg.iv, alg.additionalData, tagLength, data))
      }
      case 'AES-CBC':
        if (byteLength(alg.iv) !== 16) throw dom('The AES-CBC iv must be 16 bytes', 'OperationError')
        return offloaded(natives.aesCbc(k.handle, encrypt, alg.iv, data))
      case 'AES-CTR':
        if (byteLength(alg.counter) !== 16) throw dom('The AES-CTR counter must be 16 bytes', 'OperationError')
        if (alg.length === 0 || alg.length > 128) throw dom('The AES-CTR length must be between 1 and 128', 'OperationError')
        return offloaded(natives.aesCtr(k.handle, alg.counter, alg.length, data))
      case 'AES-KW':
        return offloaded(natives.aesKw(k.handle, encrypt, data))
      default: {
        const type = encrypt ? 'public' : 'private'
        if (k.type !== type) throw dom(`The key is not a ${type} key`, 'InvalidAccessError')
        return offloaded(natives.rsaOaep(k.handle, encrypt, k.algorithm.hash.name, alg.label, data))
      }
    }
  }

  function signOrVerify(k, alg, signature, data) {
    const name = k.algorithm.name
    if (name === 'HMAC') {
      return offloaded(
        signature === undefined
          ? natives.hmacSign(k.handle, k.algorithm.hash.name, data)
          : natives.hmacVerify(k.handle, k.algorithm.hash.name, signature, data),
      )
    }
    const type = signature === undefined ? 'private' : 'public'
    if (k.type !== type) throw dom(`The key is not a ${type} key`, 'InvalidAccessError')
    const hash = name === 'ECDSA' ? alg.hash.name : k.algorithm.hash?.name
    const param = name === 'RSA-PSS' ? alg.saltLength : alg.context
    return offloaded(
      signature === undefined
        ? natives.asymSign(k.handle, name, hash, param, data)
        : natives.asymVerify(k.handle, name, hash, param, signature, data),
    )
  }

  const utf8 = (s) => natives.utf8Encode(s)

  class SubtleCrypto {
    constructor() {
      throw new TypeError('Illegal constructor')
    }
    encrypt(algorithm, key, data) {
      return run(this, () => {
        needArgs(3, arguments.length, 'encrypt')
        const k = toKey(key, 'key')
        toBuffer(data, 'data')
        const alg = normalize(algorithm, 'encrypt')
        checkKeyFor(alg, k, 'encrypt')
        return cipher(alg, k, data, true)
      })
    }
    decrypt(algorithm, key, data) {
      return run(this, () => {
        needArgs(3, arguments.length, 'decrypt')
        const k = toKey(key, 'key')
        toBuffer(data, 'data')
        const alg = normalize(algorithm, 'decrypt')
        checkKeyFor(alg, k, 'decrypt')
        return cipher(alg, k, data, false)
      })
    }
    sign(algorithm, key, data) {
      return run(this, () => {
        needArgs(3, arguments.length, 'sign')
        const k = toKey(key, 'key')
        toBuffer(data, 'data')
        const alg = normalize(algorithm, 'sign')
        checkKeyFor(alg, k, 'sign')
        return signOrVerify(k, alg, undefined, data)
      })
    }
    verify(algorithm, key, signature, data) {
      return run(this, () => {
        needArgs(4, arguments.length, 'verify')
        const k = toKey(key, 'key')
        toBuffer(signature, 'signature')
        toBuffer(data, 'data')
        const alg = normalize(algorithm, 'verify')
        checkKeyFor(alg, k, 'verify')
        return signOrVerify(k, alg, signature, data)
      })
    }
    digest(algorithm, data) {
      return run(this, () => {
        needArgs(2, arguments.length, 'digest')
        toBuffer(data, 'data')
        const alg = normalize(algorithm, 'digest')
        return offloaded(natives.digest(alg.name, data))
      })
    }
    generateKey(algorithm, extractable, keyUsages) {
      return run(this, () => {
        needArgs(3, arguments.length, 'generateKey')
        extractable = !!extractable
        const usages = toUsages(keyUsages)
        const alg = normalize(algorithm, 'generateKey')
        return generateKey(alg, extractable, usages)
      })
    }
    deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
      return run(this, () => {
        needArgs(5, arguments.length, 'deriveKey')
        const k = toKey(baseKey, 'baseKey')
        extractable = !!extractable
        const usages = toUsages(keyUsages)
        const alg = normalize(algorithm, 'deriveBits')
        const importAlg = normalize(derivedKeyType, 'importKey')
        const lengthAlg = normalize(derivedKeyType, 'get key length')
        checkKeyFor(alg, k, 'deriveKey')
        const length = keyLength(lengthAlg)
        return then(deriveBits(alg, k, length), (b) => importKey('raw', b, importAlg, extractable, intersect(usages, USAGES)))
      })
    }
    deriveBits(algorithm, baseKey, length = null) {
      return run(this, () => {
        needArgs(2, arguments.length, 'deriveBits')
        const k = toKey(baseKey, 'baseKey')
        // unsigned long? (no [EnforceRange]): ToNumber, then modulo 2^32.
        const n = length === null || length === undefined ? null : Number(length)
        const len = n === null ? null : NumberIsFinite(n) ? MathTrunc(n) >>> 0 : 0
        const alg = normalize(algorithm, 'deriveBits')
        checkKeyFor(alg, k, 'deriveBits')
        return deriveBits(alg, k, len)
      })
    }
    importKey(format, keyData, algorithm, extractable, keyUsages) {
      return run(this, () => {
        needArgs(5, arguments.length, 'importKey')
        format = toFormat(format)
        extractable = !!extractable
        const usages = intersect(toUsages(keyUsages), USAGES)
        if (format === 'jwk') {
          if (isBufferSource(keyData)) throw new TypeError("keyData is not a JsonWebKey, as the 'jwk' format needs")
          keyData = toJwk(keyData)
        }
        else keyData = copy(toBuffer(keyData, 'keyData'))
        const alg = normalize(algorithm, 'importKey')
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
    // https://w3c.github.io/webcrypto/#SubtleCrypto-method-wrapKey
    wrapKey(format, key, wrappingKey, wrapAlgorithm) {
      return run(this, () => {
        needArgs(4, arguments.length, 'wrapKey')
        format = toFormat(format)
        const k = toKey(key, 'key')
        const wk = toKey(wrappingKey, 'wrappingKey')
        const alg = normalizeWrap(wrapAlgorithm, 'wrapKey', 'encrypt')
        checkKeyFor(alg, wk, 'wrapKey')
        const exported = exportKey(format, k)
        const bytes = format === 'jwk' ? utf8(JSONStringify(exported)) : exported
        return cipher(alg, wk, bytes, true)
      })
    }
    unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
      return run(this, () => {
        needArgs(7, arguments.length, 'unwrapKey')
        format = toFormat(format)
        toBuffer(wrappedKey, 'wrappedKey')
        const uk = toKey(unwrappingKey, 'unwrappingKey')
        extractable = !!extractable
        const usages = intersect(toUsages(keyUsages), USAGES)
        const alg = normalizeWrap(unwrapAlgorithm, 'unwrapKey', 'decrypt')
        const importAlg = normalize(unwrappedKeyAlgorithm, 'importKey')
        checkKeyFor(alg, uk, 'unwrapKey')
        return then(cipher(alg, uk, wrappedKey, false), (bytes) => {
          let keyData = bytes
          if (format === 'jwk') {
            let parsed
            try {
              parsed = JSONParse(natives.utf8Decode(bytes))
            } catch {
              throw dom('The unwrapped key is not a JWK', 'DataError')
            }
            if (parsed === null || typeof parsed !== 'object') throw dom('The unwrapped key is not a JWK', 'DataError')
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
  // https://html.spec.whatwg.org/#dom-issecurecontext: the runtime's code does not come from the
  // network, so it is a secure context, where crypto.subtle is exposed.
  ObjectDefineProperty(global, 'isSecureContext', { __proto__: null, get: function isSecureContext() { return true }, enumerable: true, configurable: true })
})
