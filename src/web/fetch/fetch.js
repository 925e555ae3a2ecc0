// Headers, Request, Response, the body mixin and fetch() (https://fetch.spec.whatwg.org/)
//
// Bodies stay lazy: a body made from a string, bytes, a Blob or FormData keeps that `source` and
// only becomes a ReadableStream when `.body` is read (or the body is tee'd for a stream).
// `text()` of a string body returns the string; of bytes, one UTF-8 decode in Rust.
//
// Offered on `internals` for serve()/dispatch and the network client:
//   internals.requestFromParts({ method, url, headers: [[k, v], ...], body, signal }) -> Request
//     body: null | string | Uint8Array (taken, not copied) | ReadableStream (of Uint8Array);
//     the method is taken as given (no forbidden-method check: it came from the network, not
//     from user code); `signal` (optional) is what request.signal follows, e.g. one made with
//     internals.createAbortSignal() and aborted on client disconnect, or a function that makes it
//     when the request's signal is first asked for.
//   internals.requestFromServer(method, href, joined, body, signal, server) -> Request: the native
//     server's, from parts Rust checked (see the function); its Headers are made on first use.
//   internals.requestServerInfo(request) -> the `server` it was made with, or null
//   internals.responseParts(response) -> { status, statusText, headers: [[k, v], ...], body }
//     body: null | string | Uint8Array | ReadableStream. A Uint8Array may be shared with a Blob
//     or a clone: read it, never write or transfer it. `headers` is the Headers' own sorted
//     list: read it, never change it. Marks the response's body used, so call it once, when
//     handing the response out. Throws TypeError if the body was used or locked.
//   internals.responseFromParts({ status, statusText, headers, body, url, redirected }) -> Response
//   internals.requestParts(request) -> { method, url, headers, body, redirect } for the network;
//     body: null | string | Uint8Array | ReadableStream; marks the request's body used;
//     `headers` as for responseParts.
//   internals.extractBody(init) -> { source, stream, type } (https://fetch.spec.whatwg.org/#concept-bodyinit-extract)
//   internals.consumeBytes(requestOrResponse) -> Promise<Uint8Array> (marks it used)
//   internals.headersList(headers) -> [[lowercase name, value], ...] sorted and combined (read only)
//   internals.requestHeader(request, name) -> the value of lowercase header `name`, or null
//   internals.requestSignal(request) -> its AbortSignal (what the `signal` getter returns)
//   internals.cancelUnreadBody(requestOrResponse, reason): cancels a body stream nobody locked
//   internals.isRequest(x), internals.isResponse(x): brand checks
//   internals.fetchHandler(request) -> Promise<Response>: what fetch() calls once the Request is
//     built; replace it to enable outbound networking.
//
// Tamper-proof (see src/runtime/primordials.js): what runs after user code uses intrinsics and
// methods captured at install, brand checks instead of `instanceof`, null-prototype dictionaries
// and descriptors, and index loops; the state records below always hold all their fields, so a
// getter or setter on Object.prototype never sees them. A script's hooks are called only where
// the specs call them (the iterator of a Headers init, the getters of an init dictionary, ...).
(function (global, natives, internals) {
  'use strict'
  const {
    ArrayBufferPrototypeGetByteLength, ArrayPrototypeIncludes, ArrayPrototypeJoin, ArrayPrototypePush, ArrayPrototypeSort, JSONParse, JSONStringify, MathTrunc,
    Number, NumberIsFinite, ObjectCreate, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, ObjectKeys,
    ObjectPrototypeHasOwnProperty, ObjectPrototypePropertyIsEnumerable, Promise, PromiseReject, PromiseResolve, RangeError, ReflectApply,
    ReflectOwnKeys, SafeMap, SafePromisePrototypeThen, SafeSet, SafeWeakMap, String, StringPrototypeCharCodeAt,
    StringFromCharCode, StringPrototypeIndexOf, StringPrototypeSlice, StringPrototypeStartsWith, StringPrototypeToLowerCase, StringPrototypeToUpperCase, StringPrototypeToWellFormed, Symbol,
    SymbolIterator, SymbolToStringTag, TypeError, TypedArrayPrototypeGetBuffer, TypedArrayPrototypeGetByteLength,
    TypedArrayPrototypeGetByteOffset, TypedArrayPrototypeGetSymbolToStringTag, TypedArrayPrototypeSet, Uint8Array,
    uncurryThis,
  } = internals.primordials
  const define = (obj, name, value) =>
    ObjectDefineProperty(obj, name, { __proto__: null, value, writable: true, configurable: true, enumerable: false })
  const tag = (cls, name) =>
    ObjectDefineProperty(cls.prototype, SymbolToStringTag, { __proto__: null, value: name, configurable: true })
  const enumerable = (cls, keys) => {
    for (let i = 0; i < keys.length; i++) ObjectDefineProperty(cls.prototype, keys[i], { __proto__: null, enumerable: true })
  }
  const { bodyUtf8Encode: utf8Encode, bodyUtf8Decode: utf8Decode, blobBytes, isBlob, isFormData, serializeFormData, parseFormData, bufferSourceBytes } = internals
  const empty = new Uint8Array(0)
  const usv = (v) => StringPrototypeToWellFormed(String(v))
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function')
  const isUint8Array = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) === 'Uint8Array'
  const requireArgs = (n, have, what) => {
    if (have < n) throw new TypeError(`Failed to execute '${what}': ${n} argument${n > 1 ? 's' : ''} required, but only ${have} present.`)
  }
  // An own copy of a Uint8Array: the constructor copies a typed array without asking anything
  // (TypedArray.prototype.slice would ask the array's constructor for the class).
  const copyBytes = (bytes) => new Uint8Array(bytes)
  // An accessor's getter, read now (user code may redefine it later).
  const getter = (proto, name) => uncurryThis(ObjectGetOwnPropertyDescriptor(proto, name).get)

  // From earlier areas (see the top comments of streams.js, events.js, url.js): internal
  // versions that user code cannot replace or reach.
  const {
    parseURL: urlHref, parseAPIURL, noBaseHint, locationOrigin, sameOriginAsLocation, isAbortSignal, createAbortSignal, createDependentSignal,
    isReadableStream, isReadableStreamDisturbed: isDisturbed, isReadableStreamLocked: isLocked,
    readableStreamFromBytes, readableStreamTee, readAllBytes, readableStreamCancel, readableStreamGetReader, readableStreamReaderRead,
    ReadableStream,
  } = internals
  const blobType = getter(global.Blob.prototype, 'type')
  const signalAborted = getter(global.AbortSignal.prototype, 'aborted')
  const signalReason = getter(global.AbortSignal.prototype, 'reason')
  const urlSearchParamsToString = uncurryThis(global.URLSearchParams.prototype.toString)
  const { enqueue: controllerEnqueue, close: controllerClose, error: controllerError } = global.ReadableStreamDefaultController.prototype

  // --- Headers: https://fetch.spec.whatwg.org/#headers-class ------------------------------------

  // https://fetch.spec.whatwg.org/#header-name: a token (https://httpwg.org/specs/rfc9110.html#tokens).
  // Loops over char codes instead of regular expressions: nothing to look up, nothing allocated.
  const TOKEN_CHARS = new Uint8Array(128)
  for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1
  const isToken = (s) => {
    const n = s.length
    if (n === 0) return false
    for (let i = 0; i < n; i++) {
      const c = StringPrototypeCharCodeAt(s, i)
      if (c >= 128 || TOKEN_CHARS[c] === 0) return false
    }
    return true
  }
  // https://fetch.spec.whatwg.org/#http-whitespace
  const isHttpWhitespace = (c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d

  function checkName(name) {
    name = String(name)
    if (!isToken(name)) throw new TypeError(`Headers: '${name}' is not a valid header name.`)
    return StringPrototypeToLowerCase(name)
  }
  // A ByteString (https://webidl.spec.whatwg.org/#es-ByteString), normalized
  // (https://fetch.spec.whatwg.org/#concept-header-value-normalize) and checked
  // (https://fetch.spec.whatwg.org/#header-value: no NUL, CR or LF).
  function checkValue(value, name) {
    value = String(value)
    const n = value.length
    let bad = false
    for (let i = 0; i < n; i++) {
      const c = StringPrototypeCharCodeAt(value, i)
      if (c > 0xff) throw new TypeError(`Headers: the value of '${name}' is not a valid ByteString.`)
      if (c === 0 || c === 0x0a || c === 0x0d) bad = true
    }
    let start = 0
    let end = n
    while (start < end && isHttpWhitespace(StringPrototypeCharCodeAt(value, start))) start++
    while (end > start && isHttpWhitespace(StringPrototypeCharCodeAt(value, end - 1))) end--
    if (start !== 0 || end !== n) value = StringPrototypeSlice(value, start, end)
    if (bad) {
      // CR and LF may only have been leading or trailing whitespace.
      for (let i = 0; i < value.length; i++) {
        const c = StringPrototypeCharCodeAt(value, i)
        if (c === 0 || c === 0x0a || c === 0x0d) throw new TypeError(`Headers: '${value}' is not a valid value for header '${name}'.`)
      }
    }
    return value
  }
  const combine = (values) => (values.length === 1 ? values[0] : ArrayPrototypeJoin(values, ', '))

  let headersOf, newHeaders, isHeaders
  class Headers {
    // lowercase name -> values in insertion order. Iteration sorts names, so the order between
    // names is not observable and a Map is all the spec's header list needs here.
    #map = new SafeMap()
    #guard = 'none'
    #sorted = null
    static {
      headersOf = (h) => h.#map
      isHeaders = (x) => isObject(x) && #map in x
      // A Headers with `guard` filled from [[name, value], ...] (already valid, lowercased names).
      newHeaders = (list, guard) => {
        const h = new Headers()
        const map = h.#map
        for (let i = 0; i < list.length; i++) {
          const pair = list[i]
          const k = pair[0]
          const values = map.get(k)
          if (values) ArrayPrototypePush(values, pair[1])
          else map.set(k, [pair[1]])
        }
        h.#guard = guard
        return h
      }
    }
    constructor(init = undefined) {
      if (init !== undefined) fillHeaders(this, init)
    }
    #mutable() {
      if (this.#guard === 'immutable') throw new TypeError('Headers are immutable.')
      this.#sorted = null
    }
    append(name, value) {
      requireArgs(2, arguments.length, 'append')
      appendHeader(this, name, value)
    }
    delete(name) {
      requireArgs(1, arguments.length, 'delete')
      const k = checkName(name)
      this.#mutable()
      this.#map.delete(k)
    }
    get(name) {
      requireArgs(1, arguments.length, 'get')
      const values = this.#map.get(checkName(name))
      return values === undefined ? null : combine(values)
    }
    getSetCookie() {
      const values = this.#map.get('set-cookie')
      const out = []
      if (values !== undefined) for (let i = 0; i < values.length; i++) ArrayPrototypePush(out, values[i])
      return out
    }
    has(name) {
      requireArgs(1, arguments.length, 'has')
      return this.#map.has(checkName(name))
    }
    set(name, value) {
      requireArgs(2, arguments.length, 'set')
      const k = checkName(name)
      const v = checkValue(value, name)
      this.#mutable()
      this.#map.set(k, [v])
    }
    forEach(callback, thisArg = undefined) {
      requireArgs(1, arguments.length, 'forEach')
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'Headers': The callback provided as parameter 1 is not a function.")
      }
      // Like a WebIDL pair iterator: re-read the list each step, so edits in the callback show.
      for (let i = 0; ; i++) {
        const list = this.#list()
        if (i >= list.length) break
        const pair = list[i]
        ReflectApply(callback, thisArg, [pair[1], pair[0], this])
      }
    }
    // https://fetch.spec.whatwg.org/#concept-header-list-sort-and-combine
    #list() {
      if (this.#sorted) return this.#sorted
      const names = [...this.#map.keys()]
      ArrayPrototypeSort(names)
      const out = []
      for (let i = 0; i < names.length; i++) {
        const k = names[i]
        const values = this.#map.get(k)
        if (k === 'set-cookie') for (let j = 0; j < values.length; j++) ArrayPrototypePush(out, [k, values[j]])
        else ArrayPrototypePush(out, [k, combine(values)])
      }
      return (this.#sorted = out)
    }
    entries() { return headersIterator(this, 'key+value') }
    keys() { return headersIterator(this, 'key') }
    values() { return headersIterator(this, 'value') }
    static {
      // https://fetch.spec.whatwg.org/#concept-headers-append, also what filling uses (not the
      // public append, which user code can replace).
      appendHeader = (h, name, value) => {
        const k = checkName(name)
        const v = checkValue(value, name)
        h.#mutable()
        const values = h.#map.get(k)
        if (values) ArrayPrototypePush(values, v)
        else h.#map.set(k, [v])
      }
      // The combined value of lowercase header `name`, or null.
      headerValue = (h, name) => {
        const values = h.#map.get(name)
        return values === undefined ? null : combine(values)
      }
      sortedList = (h) => h.#list()
      // A Headers with guard "request" from 'name\nvalue\n...' as the native server joins them:
      // lowercase token names, values that need no normalizing (see requestFromServer).
      headersFromJoined = (joined) => {
        const h = new Headers()
        const map = h.#map
        let at = 0
        while (at < joined.length) {
          const a = StringPrototypeIndexOf(joined, '\n', at)
          if (a === -1) break
          let b = StringPrototypeIndexOf(joined, '\n', a + 1)
          if (b === -1) b = joined.length
          const k = StringPrototypeSlice(joined, at, a)
          const v = StringPrototypeSlice(joined, a + 1, b)
          const values = map.get(k)
          if (values) ArrayPrototypePush(values, v)
          else map.set(k, [v])
          at = b + 1
        }
        h.#guard = 'request'
        return h
      }
      guardOf = (h) => h.#guard
      setGuard = (h, guard) => { h.#guard = guard }
    }
  }
  var sortedList, guardOf, setGuard, appendHeader, headerValue, headersFromJoined
  tag(Headers, 'Headers')
  enumerable(Headers, ['append', 'delete', 'get', 'getSetCookie', 'has', 'set', 'forEach', 'entries', 'keys', 'values'])
  define(Headers.prototype, SymbolIterator, Headers.prototype.entries)

  // https://webidl.spec.whatwg.org/#es-iterator-prototype-object
  const iteratorProto = internals.primordials.IteratorPrototype
  const HeadersIteratorPrototype = ObjectCreate(iteratorProto)
  const iterState = new SafeWeakMap()
  const headersEntries = Headers.prototype.entries
  const headersNext = function next() {
    const s = iterState.get(this)
    if (s === undefined) throw new TypeError("'next' called on an object that is not a Headers Iterator.")
    const list = sortedList(s.target)
    if (s.index >= list.length) return { value: undefined, done: true }
    const pair = list[s.index++]
    const k = pair[0]
    const v = pair[1]
    return { value: s.kind === 'key' ? k : s.kind === 'value' ? v : [k, v], done: false }
  }
  // https://webidl.spec.whatwg.org/#es-iterator-prototype-object: `next` is enumerable, as operations are.
  ObjectDefineProperty(HeadersIteratorPrototype, 'next', { __proto__: null, value: headersNext, writable: true, enumerable: true, configurable: true })
  ObjectDefineProperty(HeadersIteratorPrototype, SymbolToStringTag, { __proto__: null, value: 'Headers Iterator', configurable: true })
  function headersIterator(target, kind) {
    sortedList(target) // brand check
    const it = ObjectCreate(HeadersIteratorPrototype)
    iterState.set(it, { target, kind, index: 0 })
    return it
  }

  // https://webidl.spec.whatwg.org/#es-ByteString: no code unit above 0xFF.
  const byteString = (s, what) => {
    for (let i = 0; i < s.length; i++) {
      if (StringPrototypeCharCodeAt(s, i) > 0xff) throw new TypeError(`Failed to construct 'Headers': ${what} has a character above U+00FF, which a ByteString cannot hold.`)
    }
    return s
  }
  // https://fetch.spec.whatwg.org/#concept-headers-fill: sequence<sequence<ByteString>> or
  // record<ByteString, ByteString>. The init's own iterators and getters are used, as WebIDL says.
  function fillHeaders(headers, init) {
    if (!isObject(init)) {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.")
    }
    const method = init[SymbolIterator]
    // A Headers whose iteration is still ours is copied from its list: the same pairs its
    // iterator would give, without making them. (One with its own iterator is iterated, as
    // WebIDL says.)
    if (method === headersEntries && isHeaders(init) && HeadersIteratorPrototype.next === headersNext) {
      const list = sortedList(init)
      for (let i = 0; i < list.length; i++) appendHeader(headers, list[i][0], list[i][1])
      return
    }
    if (method !== undefined && method !== null) {
      if (typeof method !== 'function') throw new TypeError('Headers: init is not iterable.')
      const pairs = []
      for (const pair of { __proto__: null, [SymbolIterator]: () => ReflectApply(method, init, []) }) {
        if (!isObject(pair) || typeof pair[SymbolIterator] !== 'function') {
          throw new TypeError('Headers: each header must be a [name, value] pair.')
        }
        const p = [...pair]
        if (p.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair of length 2.')
        ArrayPrototypePush(pairs, String(p[0]))
        ArrayPrototypePush(pairs, String(p[1]))
      }
      for (let i = 0; i < pairs.length; i += 2) appendHeader(headers, pairs[i], pairs[i + 1])
      return
    }
    // https://webidl.spec.whatwg.org/#es-record
    const pairs = []
    const keys = ReflectOwnKeys(init)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      // [[GetOwnProperty]] once, as getOwnPropertyDescriptor, without making a descriptor object.
      if (!ObjectPrototypePropertyIsEnumerable(init, key)) continue
      // A symbol key cannot become a ByteString.
      if (typeof key === 'symbol') throw new TypeError('Headers: a record key is a Symbol.')
      // Each key and value becomes a ByteString as it is read (Web IDL order), before the next.
      ArrayPrototypePush(pairs, byteString(key, 'a header name'))
      ArrayPrototypePush(pairs, byteString(String(init[key]), 'a header value'))
    }
    for (let i = 0; i < pairs.length; i += 2) appendHeader(headers, pairs[i], pairs[i + 1])
  }

  // --- Bodies: https://fetch.spec.whatwg.org/#bodies ---------------------------------------------

  // A body is { source, stream, used }: `source` is a string or Uint8Array (immutable, shared by
  // clones) until a stream is needed; `used` marks a source-only body as consumed.
  const sourceBytes = (source) => (typeof source === 'string' ? utf8Encode(source) : source)

  // The stream of a body, made on first use. A used source-only body gets one that was read to
  // the end and stays locked, as https://fetch.spec.whatwg.org/#body-fully-read leaves it.
  function bodyStream(body) {
    if (body.stream === null) {
      if (body.used) {
        body.stream = readableStreamFromBytes(new Uint8Array(0))
        readAllBytes(body.stream)
      } else {
        // The source is shared with clones; the stream takes its own bytes.
        body.stream = readableStreamFromBytes(typeof body.source === 'string' ? utf8Encode(body.source) : copyBytes(body.source))
      }
    }
    return body.stream
  }
  const bodyUsed = (body) => body !== null && (body.used || (body.stream !== null && isDisturbed(body.stream)))
  const bodyUnusable = (body) => body !== null && (bodyUsed(body) || (body.stream !== null && isLocked(body.stream)))

  // A URLSearchParams's serialization, or undefined for anything else (its brand check).
  const searchParamsString = (object) => {
    try {
      return urlSearchParamsToString(object)
    } catch {
      return undefined
    }
  }

  // https://fetch.spec.whatwg.org/#concept-bodyinit-extract
  function extractBody(object, keepalive = false) {
    // The common case first: a string is none of the objects below.
    if (typeof object === 'string') return { source: StringPrototypeToWellFormed(object), stream: null, type: 'text/plain;charset=UTF-8' }
    if (isReadableStream(object)) {
      if (keepalive) throw new TypeError('Failed to construct: a keepalive request cannot have a ReadableStream body.')
      if (isDisturbed(object) || isLocked(object)) throw new TypeError('Failed to construct: the ReadableStream body is locked or disturbed.')
      return { source: null, stream: object, type: null }
    }
    if (isBlob(object)) return { source: blobBytes(object), stream: null, type: blobType(object) || null }
    const bytes = bufferSourceBytes(object)
    if (bytes !== undefined) return { source: bytes, stream: null, type: null }
    if (isObject(object)) {
      if (isFormData(object)) {
        const form = serializeFormData(object)
        return { source: form.bytes, stream: null, type: form.type }
      }
      const query = searchParamsString(object)
      if (query !== undefined) return { source: query, stream: null, type: 'application/x-www-form-urlencoded;charset=UTF-8' }
    }
    return { source: usv(object), stream: null, type: 'text/plain;charset=UTF-8' }
  }
  const newBody = (extracted) => ({ source: extracted.source, stream: extracted.stream, used: false })

  const unusable = () => new TypeError('Body is unusable: the body has already been read or is locked.')

  // Body mixin methods, shared by Request and Response; `bodyState(this)` brand-checks.
  let bodyState
  const ownCopy = (b) => (typeof b === 'string' ? utf8Encode(b) : copyBytes(b))
  const bodyMixin = {
    __proto__: null,
    get body() {
      const b = bodyState(this)
      return b === null ? null : bodyStream(b)
    },
    get bodyUsed() { return bodyUsed(bodyState(this)) },
    arrayBuffer() {
      return tryConsume(this, (b) => {
        const c = ownCopy(b)
        const buffer = TypedArrayPrototypeGetBuffer(c)
        if (TypedArrayPrototypeGetByteOffset(c) === 0 && TypedArrayPrototypeGetByteLength(c) === ArrayBufferPrototypeGetByteLength(buffer)) return buffer
        return TypedArrayPrototypeGetBuffer(copyBytes(c))
      })
    },
    bytes() { return tryConsume(this, ownCopy) },
    blob() {
      return tryConsume(this, (b, s) => internals.blobFromBytes(ownCopy(b), headerValue(stateHeaders(s), 'content-type') ?? ''))
    },
    formData() {
      return tryConsume(this, (b, s) => parseFormData(sourceBytes(b), headerValue(stateHeaders(s), 'content-type')))
    },
    json() { return tryConsume(this, (b) => JSONParse(decode(b))) },
    text() { return tryConsume(this, decode) },
  }
  // https://encoding.spec.whatwg.org/#utf-8-decode: a string source is what encoding then
  // decoding would give, without doing either (only the BOM goes).
  const decode = (b) => (typeof b !== 'string' ? utf8Decode(b) : StringPrototypeCharCodeAt(b, 0) === 0xfeff ? StringPrototypeSlice(b, 1) : b)
  // https://fetch.spec.whatwg.org/#concept-body-consume-body: `then(bytesOrString, state)` makes
  // the result from whatever is cheapest to get from the source (string or shared Uint8Array).
  // The promise is resolved with that result only: internal values never resolve a promise (a
  // `then` getter on Object.prototype would see them).
  function tryConsume(self, then) {
    let state
    try {
      state = stateOf(self)
    } catch (e) {
      return PromiseReject(e)
    }
    const body = state.body
    if (body === null) return SafePromisePrototypeThen(PromiseResolve(undefined), () => then(empty, state))
    if (body.stream === null) {
      if (body.used) return PromiseReject(unusable())
      body.used = true
      const source = body.source
      return SafePromisePrototypeThen(PromiseResolve(undefined), () => then(source, state))
    }
    if (bodyUnusable(body)) return PromiseReject(unusable())
    // We disturb it now; remember that even if the stream cannot tell us later.
    body.used = true
    const stream = body.stream
    // Resolved with the result only: a then getter on Object.prototype never sees the bytes
    // (https://github.com/web-platform-tests/wpt/blob/master/fetch/api/response/response-stream-with-broken-then.any.js).
    return new Promise((resolve, reject) => {
      // The result is made in a later microtask, as for a source body (making a large one in the
      // turn that read the last chunk measured twice as slow).
      const settle = (b) => {
        let result
        try {
          result = then(b, state)
        } catch (e) {
          return reject(e)
        }
        resolve(result)
      }
      readStreamBytes(stream, (b) => {
        SafePromisePrototypeThen(PromiseResolve(undefined), () => settle(b))
      }, reject)
    })
  }
  // https://fetch.spec.whatwg.org/#body-fully-read with the internal reader: chunks come through
  // callbacks (no promise per chunk, none resolved with a chunk); a queued chunk answers at once,
  // so this loops instead of recursing. onDone(bytes) or onError(e), once.
  function readStreamBytes(stream, onDone, onError) {
    const reader = readableStreamGetReader(stream)
    const chunks = []
    let total = 0
    let pumping = false
    let again = false
    const onChunk = (chunk) => {
      if (!isUint8Array(chunk)) {
        const e = new TypeError('The stream produced a chunk that is not a Uint8Array')
        SafePromisePrototypeThen(readableStreamCancel(stream, e), undefined, ignore)
        return onError(e)
      }
      ArrayPrototypePush(chunks, chunk)
      total += TypedArrayPrototypeGetByteLength(chunk)
      if (pumping) again = true
      else pump()
    }
    const onClose = () => {
      if (chunks.length === 1) return onDone(chunks[0])
      const out = new Uint8Array(total)
      let at = 0
      for (let i = 0; i < chunks.length; i++) {
        TypedArrayPrototypeSet(out, chunks[i], at)
        at += TypedArrayPrototypeGetByteLength(chunks[i])
      }
      onDone(out)
    }
    function pump() {
      pumping = true
      do {
        again = false
        readableStreamReaderRead(reader, onChunk, onClose, onError)
      } while (again)
      pumping = false
    }
    pump()
  }
  const ignore = () => {}
  function installBody(cls) {
    const keys = ObjectKeys(bodyMixin)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      const desc = ObjectGetOwnPropertyDescriptor(bodyMixin, key)
      if (desc.get) ObjectDefineProperty(cls.prototype, key, { __proto__: null, get: desc.get, enumerable: true, configurable: true })
      else ObjectDefineProperty(cls.prototype, key, { __proto__: null, value: desc.value, writable: true, enumerable: true, configurable: true })
    }
  }

  // Clones a body: a source is shared; a stream is tee'd (https://fetch.spec.whatwg.org/#concept-body-clone).
  function cloneBody(body) {
    if (body === null) return null
    if (body.stream === null) return { source: body.source, stream: null, used: body.used }
    const branches = readableStreamTee(body.stream)
    body.stream = branches[0]
    return { source: null, stream: branches[1], used: false }
  }

  // --- Request: https://fetch.spec.whatwg.org/#request-class ------------------------------------

  // The serialized URL, parsed with the API base URL (the runtime's `location` option) as the
  // spec's "parse a URL" does: https://html.spec.whatwg.org/multipage/urls-and-fetching.html#encoding-parsing-a-url
  // TypeError if it does not parse (a relative URL without a location included).
  function parseURL(input, what) {
    const href = parseAPIURL(input)
    if (href === null) {
      const hint = noBaseHint(input)
      throw new TypeError(`${what}: Failed to parse URL from ${input}${hint === '' ? '' : `.${hint}`}`)
    }
    return href
  }
  // https://url.spec.whatwg.org/#include-credentials, on a serialized URL: an '@' in the
  // authority (after '//', before the first '/', '?' or '#').
  const hasCredentials = (href) => {
    let i = 0
    const n = href.length
    while (i < n) {
      const c = StringPrototypeCharCodeAt(href, i)
      if (c === 0x3a) break // ':'
      if (c === 0x2f || c === 0x3f || c === 0x23) return false
      i++
    }
    if (i === 0 || StringPrototypeCharCodeAt(href, i + 1) !== 0x2f || StringPrototypeCharCodeAt(href, i + 2) !== 0x2f) return false
    for (i += 3; i < n; i++) {
      const c = StringPrototypeCharCodeAt(href, i)
      if (c === 0x40) return true // '@'
      if (c === 0x2f || c === 0x3f || c === 0x23) return false
    }
    return false
  }

  const enums = {
    __proto__: null,
    mode: ['same-origin', 'no-cors', 'cors', 'navigate', 'websocket'],
    credentials: ['omit', 'same-origin', 'include'],
    cache: ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'],
    redirect: ['follow', 'error', 'manual'],
    referrerPolicy: ['', 'no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin', 'strict-origin',
      'origin-when-cross-origin', 'strict-origin-when-cross-origin', 'unsafe-url'],
    duplex: ['half'],
    priority: ['high', 'low', 'auto'],
  }
  function enumValue(v, name, what) {
    const s = String(v)
    if (!ArrayPrototypeIncludes(enums[name], s)) {
      const type = StringPrototypeToUpperCase(StringPrototypeSlice(name, 0, 1)) + StringPrototypeSlice(name, 1)
      throw new TypeError(`${what}: The provided value '${s}' is not a valid enum value of type Request${type}.`)
    }
    return s
  }
  // https://fetch.spec.whatwg.org/#forbidden-method and #concept-method-normalize (on a token,
  // so ASCII: toLowerCase maps nothing else).
  const FORBIDDEN_METHODS = { __proto__: null, connect: true, trace: true, track: true }
  const NORMALIZED_METHODS = { __proto__: null, delete: 'DELETE', get: 'GET', head: 'HEAD', options: 'OPTIONS', post: 'POST', put: 'PUT' }
  const normalizeMethod = (m) => NORMALIZED_METHODS[StringPrototypeToLowerCase(m)] ?? m

  // https://webidl.spec.whatwg.org/#es-dictionary: members are read in lexicographic order; an
  // undefined member is not present. The result is a record with every member as an own field
  // (undefined when absent) and the number present: no getter on Object.prototype can answer for
  // a missing member, and the record keeps one fast shape.
  const REQUEST_INIT_KEYS = ['body', 'cache', 'credentials', 'duplex', 'headers', 'integrity', 'keepalive', 'method',
    'mode', 'priority', 'redirect', 'referrer', 'referrerPolicy', 'signal', 'window']
  class RequestInitRecord {
    body = undefined
    cache = undefined
    credentials = undefined
    duplex = undefined
    headers = undefined
    integrity = undefined
    keepalive = undefined
    method = undefined
    mode = undefined
    priority = undefined
    redirect = undefined
    referrer = undefined
    referrerPolicy = undefined
    signal = undefined
    window = undefined
    present = 0
  }
  const RESPONSE_INIT_KEYS = ['headers', 'status', 'statusText']
  class ResponseInitRecord {
    headers = undefined
    status = undefined
    statusText = undefined
    present = 0
  }
  function readDict(init, keys, record, what) {
    if (init === undefined || init === null) return record
    if (!isObject(init)) throw new TypeError(`${what}: The provided value is not of type 'RequestInit'.`)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      const v = init[k]
      if (v !== undefined) {
        record[k] = v
        record.present++
      }
    }
    return record
  }

  // Passed as the first constructor argument to build an instance from a ready state: private
  // fields can only be added by the constructor. User code never sees this symbol.
  const FROM_STATE = Symbol('fromState')
  const fromState = (cls, s) => new cls(FROM_STATE, s)

  // https://fetch.spec.whatwg.org/#dom-request-signal: made on first use (most requests never
  // look at their signal).
  function signalOf(s) {
    if (s.signal === null) {
      // https://dom.spec.whatwg.org/#create-a-dependent-abort-signal
      // A host's parent signal may come as a function that makes it (see requestFromParts).
      if (typeof s.parentSignal === 'function') s.parentSignal = s.parentSignal()
      s.signal = s.parentSignal !== null ? createDependentSignal([s.parentSignal]) : createAbortSignal()
    }
    return s.signal
  }

  let requestState, isRequest
  const REQUEST_CTOR = "Failed to construct 'Request'"
  class Request {
    #s
    static {
      requestState = (r) => r.#s
      isRequest = (x) => isObject(x) && #s in x
    }
    constructor(input, init = undefined) {
      if (input === FROM_STATE) {
        this.#s = init
        return
      }
      requireArgs(1, arguments.length, "construct 'Request'")
      const what = REQUEST_CTOR
      let base = null
      let url
      if (isObject(input) && #s in input) {
        base = input.#s
        url = base.url
      } else {
        url = parseURL(usv(input), what)
        if (hasCredentials(url)) {
          throw new TypeError(`${what}: Request cannot be constructed from a URL that includes credentials: ${input}`)
        }
      }
      const o = readDict(init, REQUEST_INIT_KEYS, new RequestInitRecord(), what)
      // Every field, always (see the top of the file).
      const s = {
        method: base !== null ? base.method : 'GET',
        url,
        headers: null,
        body: null,
        mode: base !== null ? base.mode : 'cors',
        credentials: base !== null ? base.credentials : 'same-origin',
        cache: base !== null ? base.cache : 'default',
        redirect: base !== null ? base.redirect : 'follow',
        referrer: base !== null ? base.referrer : 'about:client',
        referrerPolicy: base !== null ? base.referrerPolicy : '',
        integrity: base !== null ? base.integrity : '',
        keepalive: base !== null ? base.keepalive : false,
        duplex: 'half',
        signal: null,
        parentSignal: base !== null ? signalOf(base) : null,
      }
      if (o.window !== undefined && o.window !== null) throw new TypeError(`${what}: 'window' must be null.`)
      // https://fetch.spec.whatwg.org/#dom-request (step 13): any init member resets these.
      if (o.present > 0) {
        if (s.mode === 'navigate') s.mode = 'same-origin'
        s.referrer = 'about:client'
        s.referrerPolicy = ''
      }
      if (o.referrer !== undefined) {
        const r = usv(o.referrer)
        if (r === '') s.referrer = 'no-referrer'
        else {
          s.referrer = parseURL(r, what)
          // https://fetch.spec.whatwg.org/#dom-request (step 15.3.3): a referrer of another origin
          // than the global's becomes "client". Only with a location: without one the runtime has
          // no origin to compare with, and referrers stay as given (as Node's do).
          if (locationOrigin() !== null && (s.referrer === 'about:client' || !sameOriginAsLocation(s.referrer))) s.referrer = 'about:client'
        }
      }
      if (o.referrerPolicy !== undefined) s.referrerPolicy = enumValue(o.referrerPolicy, 'referrerPolicy', what)
      if (o.mode !== undefined) {
        const mode = enumValue(o.mode, 'mode', what)
        if (mode === 'navigate') throw new TypeError(`${what}: Cannot construct a Request with a RequestInit whose mode member is set as 'navigate'.`)
        s.mode = mode
      }
      if (o.credentials !== undefined) s.credentials = enumValue(o.credentials, 'credentials', what)
      if (o.cache !== undefined) s.cache = enumValue(o.cache, 'cache', what)
      if (s.cache === 'only-if-cached' && s.mode !== 'same-origin') {
        throw new TypeError(`${what}: 'only-if-cached' can be set only with 'same-origin' mode.`)
      }
      if (o.redirect !== undefined) s.redirect = enumValue(o.redirect, 'redirect', what)
      if (o.integrity !== undefined) s.integrity = String(o.integrity)
      if (o.keepalive !== undefined) s.keepalive = !!o.keepalive
      if (o.priority !== undefined) enumValue(o.priority, 'priority', what)
      if (o.duplex !== undefined) enumValue(o.duplex, 'duplex', what)
      if (o.method !== undefined) {
        const m = String(o.method)
        if (!isToken(m)) throw new TypeError(`${what}: '${m}' is not a valid HTTP method.`)
        if (FORBIDDEN_METHODS[StringPrototypeToLowerCase(m)] === true) throw new TypeError(`${what}: '${m}' HTTP method is unsupported.`)
        s.method = normalizeMethod(m)
      }
      if (o.signal !== undefined) {
        const sig = o.signal
        if (sig !== null && !isAbortSignal(sig)) {
          throw new TypeError(`${what}: member signal is not of type AbortSignal.`)
        }
        s.parentSignal = sig
      }
      if (s.mode === 'no-cors' && s.method !== 'GET' && s.method !== 'HEAD' && s.method !== 'POST') {
        throw new TypeError(`${what}: '${s.method}' is unsupported in no-cors mode.`)
      }
      // Headers: the init's, else a copy of the input's (guard "request"; no browser filtering).
      if (o.headers !== undefined) {
        s.headers = new Headers(o.headers)
      } else {
        s.headers = newHeaders(base !== null ? sortedList(stateHeaders(base)) : [], 'request')
      }
      setGuard(s.headers, 'request')
      const inputBody = base !== null ? base.body : null
      const hasInitBody = o.body !== undefined && o.body !== null
      if ((hasInitBody || inputBody !== null) && (s.method === 'GET' || s.method === 'HEAD')) {
        throw new TypeError(`${what}: Request with GET/HEAD method cannot have body.`)
      }
      let initBody = null
      if (hasInitBody) {
        const ex = extractBody(o.body, s.keepalive)
        initBody = newBody(ex)
        if (ex.type !== null && headerValue(s.headers, 'content-type') === null) appendHeader(s.headers, 'content-type', ex.type)
        if (ex.stream !== null && o.duplex === undefined) {
          throw new TypeError(`${what}: The duplex member must be specified for a request with a streaming body.`)
        }
      }
      if (initBody !== null) s.body = initBody
      else if (inputBody !== null) {
        if (bodyUnusable(inputBody)) throw new TypeError(`${what}: Cannot construct a Request with a Request object that has already been used.`)
        s.body = takeBody(inputBody)
      }
      this.#s = s
    }
    get method() { return this.#s.method }
    get url() { return this.#s.url }
    get headers() { return stateHeaders(this.#s) }
    get destination() { this.#s; return '' }
    // https://fetch.spec.whatwg.org/#dom-request-referrer
    get referrer() {
      const r = this.#s.referrer
      return r === 'no-referrer' ? '' : r
    }
    get referrerPolicy() { return this.#s.referrerPolicy }
    get mode() { return this.#s.mode }
    get credentials() { return this.#s.credentials }
    get cache() { return this.#s.cache }
    get redirect() { return this.#s.redirect }
    get integrity() { return this.#s.integrity }
    get keepalive() { return this.#s.keepalive }
    get isReloadNavigation() { this.#s; return false }
    get isHistoryNavigation() { this.#s; return false }
    get signal() { return signalOf(this.#s) }
    get duplex() { return this.#s.duplex }
    clone() {
      const s = this.#s
      if (bodyUnusable(s.body)) throw new TypeError("Failed to execute 'clone' on 'Request': Request body is already used.")
      const headers = stateHeaders(s)
      return fromState(Request, { ...s, headers: newHeaders(sortedList(headers), guardOf(headers)), body: cloneBody(s.body), signal: null, parentSignal: signalOf(s), server: null })
    }
  }
  tag(Request, 'Request')
  enumerable(Request, ['method', 'url', 'headers', 'destination', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache',
    'redirect', 'integrity', 'keepalive', 'isReloadNavigation', 'isHistoryNavigation', 'signal', 'duplex', 'clone'])
  installBody(Request)

  // A new Request takes the input's body; the input is left used
  // (https://fetch.spec.whatwg.org/#dom-request, the proxy step). The proxy of a stream is a new
  // stream fed from the input's, read through the internal reader (locked now, as a pipe would
  // leave it): no pipe machinery, no promise a script could reach.
  function takeBody(body) {
    if (body.stream === null) {
      body.used = true
      return { source: body.source, stream: null, used: false }
    }
    const taken = proxyStream(body.stream)
    body.used = true
    return { source: null, stream: taken, used: false }
  }
  function proxyStream(input) {
    const reader = readableStreamGetReader(input)
    return new ReadableStream(
      {
        __proto__: null,
        pull(controller) {
          readableStreamReaderRead(
            reader,
            (chunk) => ReflectApply(controllerEnqueue, controller, [chunk]),
            () => ReflectApply(controllerClose, controller, []),
            (e) => ReflectApply(controllerError, controller, [e]),
          )
        },
        cancel(reason) {
          return readableStreamCancel(input, reason)
        },
      },
      { __proto__: null, highWaterMark: 0 },
    )
  }

  // --- Response: https://fetch.spec.whatwg.org/#response-class ----------------------------------

  const NULL_BODY_STATUS = new SafeSet([101, 103, 204, 205, 304])
  const REDIRECT_STATUS = new SafeSet([301, 302, 303, 307, 308])
  // https://fetch.spec.whatwg.org/#concept-status-message: the reason-phrase token production.
  const isReasonPhrase = (s) => {
    for (let i = 0; i < s.length; i++) {
      const c = StringPrototypeCharCodeAt(s, i)
      if (!(c === 0x09 || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff))) return false
    }
    return true
  }
  let responseState, isResponse
  class Response {
    #s
    static {
      responseState = (r) => r.#s
      isResponse = (x) => isObject(x) && #s in x
    }
    constructor(body = null, init = undefined) {
      if (body === FROM_STATE) {
        this.#s = init
        return
      }
      const o = readDict(init, RESPONSE_INIT_KEYS, new ResponseInitRecord(), "Failed to construct 'Response'")
      const s = { type: 'default', status: 200, statusText: '', url: null, redirected: false, headers: newHeaders([], 'response'), body: null }
      this.#s = s
      const ex = body === null || body === undefined ? null : extractBody(body)
      initializeResponse(s, o, ex)
    }
    static error() {
      return fromState(Response, { type: 'error', status: 0, statusText: '', url: null, redirected: false, headers: newHeaders([], 'immutable'), body: null })
    }
    // https://fetch.spec.whatwg.org/#dom-response-redirect
    static redirect(url, status = 302) {
      requireArgs(1, arguments.length, "execute 'redirect' on 'Response'")
      const href = parseURL(usv(url), "Failed to execute 'redirect' on 'Response'")
      status = toUnsignedShort(status)
      if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`)
      return fromState(Response, { type: 'default', status, statusText: '', url: null, redirected: false, headers: newHeaders([['location', href]], 'immutable'), body: null })
    }
    // https://fetch.spec.whatwg.org/#dom-response-json
    static json(data, init = undefined) {
      requireArgs(1, arguments.length, "execute 'json' on 'Response'")
      const text = JSONStringify(data)
      if (text === undefined) throw new TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable.")
      const o = readDict(init, RESPONSE_INIT_KEYS, new ResponseInitRecord(), "Failed to execute 'json' on 'Response'")
      const s = { type: 'default', status: 200, statusText: '', url: null, redirected: false, headers: newHeaders([], 'response'), body: null }
      initializeResponse(s, o, { source: text, stream: null, type: 'application/json' })
      return fromState(Response, s)
    }
    get type() { return this.#s.type }
    get url() { return this.#s.url ?? '' }
    get redirected() { return this.#s.redirected }
    get status() { return this.#s.status }
    get ok() { return this.#s.status >= 200 && this.#s.status <= 299 }
    get statusText() { return this.#s.statusText }
    get headers() { return this.#s.headers }
    clone() {
      const s = this.#s
      if (bodyUnusable(s.body)) throw new TypeError("Failed to execute 'clone' on 'Response': Response body is already used.")
      return fromState(Response, { ...s, headers: newHeaders(sortedList(s.headers), guardOf(s.headers)), body: cloneBody(s.body) })
    }
  }
  tag(Response, 'Response')
  // Not serializable (https://html.spec.whatwg.org/multipage/structured-data.html#serializable-objects):
  // structuredClone and postMessage throw DataCloneError.
  internals.notSerializable(Headers, (x) => isHeaders(x))
  internals.notSerializable(Request, (x) => isRequest(x))
  internals.notSerializable(Response, (x) => isResponse(x))
  enumerable(Response, ['type', 'url', 'redirected', 'status', 'ok', 'statusText', 'headers', 'clone'])
  installBody(Response)
  for (const k of ['error', 'redirect', 'json']) ObjectDefineProperty(Response, k, { __proto__: null, enumerable: true })

  // https://webidl.spec.whatwg.org/#es-unsigned-short
  function toUnsignedShort(v) {
    const n = Number(v)
    if (!NumberIsFinite(n)) return 0
    const m = MathTrunc(n) % 65536
    return m < 0 ? m + 65536 : m
  }

  // https://fetch.spec.whatwg.org/#initialize-a-response
  function initializeResponse(s, o, ex) {
    const what = "Failed to construct 'Response'"
    const status = o.status !== undefined ? toUnsignedShort(o.status) : 200
    // 101 is allowed beyond the spec's 200..599: serve() handlers answer an upgrade with
    // `new Response(null, { status: 101 })`, as @ricsam/isolate-fetch and Bun code does.
    if ((status < 200 && status !== 101) || status > 599) throw new RangeError(`${what}: The status provided (${status}) is outside the range [200, 599].`)
    const statusText = o.statusText !== undefined ? String(o.statusText) : ''
    if (!isReasonPhrase(statusText)) throw new TypeError(`${what}: Invalid statusText`)
    s.status = status
    s.statusText = statusText
    if (o.headers !== undefined) {
      s.headers = new Headers(o.headers)
      setGuard(s.headers, 'response')
    }
    if (ex !== null) {
      if (NULL_BODY_STATUS.has(status)) throw new TypeError(`${what}: Response with null body status cannot have body`)
      s.body = newBody(ex)
      if (ex.type !== null && headerValue(s.headers, 'content-type') === null) appendHeader(s.headers, 'content-type', ex.type)
    }
  }

  // One brand check for both classes: a private name is per class, so look it up per class.
  var stateOf = (x) => {
    if (isRequest(x)) return requestState(x)
    if (isResponse(x)) return responseState(x)
    throw new TypeError('Illegal invocation')
  }
  bodyState = (x) => stateOf(x).body
  // A request or response's Headers; a native server's request makes them on first use.
  var stateHeaders = (s) => (s.headers !== null ? s.headers : (s.headers = headersFromJoined(s.rawHeaders)))

  // --- fetch(): https://fetch.spec.whatwg.org/#fetch-method ---------------------------------------

  internals.fetchHandler = function fetchHandler(request) {
    return PromiseReject(new TypeError('network access is disabled: pass onFetch or network to createRuntime'))
  }
  // https://fetch.spec.whatwg.org/#scheme-fetch "blob": the isolate's own blob URLs, resolved when
  // fetch() is called (a revoked or unknown URL, or a method other than GET, is a network error).
  // https://fetch.spec.whatwg.org/#data-url-processor: { type, bytes } of a serialized data: URL,
  // or null (failure).
  const globalAtob = global.atob
  const trimHttpWhitespace = (t) => {
    let a = 0, b = t.length
    while (a < b && isHttpWhitespace(StringPrototypeCharCodeAt(t, a))) a++
    while (b > a && isHttpWhitespace(StringPrototypeCharCodeAt(t, b - 1))) b--
    return StringPrototypeSlice(t, a, b)
  }
  const hexValue = (c) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1)
  function processDataURL(href) {
    let input = StringPrototypeSlice(href, 5) // after "data:"
    let i = 0
    while (i < input.length && input[i] !== '#') i++
    input = StringPrototypeSlice(input, 0, i) // without the fragment
    let comma = 0
    while (comma < input.length && input[comma] !== ',') comma++
    if (comma === input.length) return null
    let type = trimHttpWhitespace(StringPrototypeSlice(input, 0, comma))
    // Percent-decode the body into bytes (the serialized URL is ASCII).
    const body = StringPrototypeSlice(input, comma + 1)
    const out = new Uint8Array(body.length)
    let n = 0
    for (let j = 0; j < body.length; j++) {
      const c = StringPrototypeCharCodeAt(body, j)
      if (c === 0x25 && j + 2 < body.length && hexValue(StringPrototypeCharCodeAt(body, j + 1)) >= 0 && hexValue(StringPrototypeCharCodeAt(body, j + 2)) >= 0) {
        out[n++] = hexValue(StringPrototypeCharCodeAt(body, j + 1)) * 16 + hexValue(StringPrototypeCharCodeAt(body, j + 2))
        j += 2
      } else {
        out[n++] = c & 0xff
      }
    }
    let bytes = new Uint8Array(TypedArrayPrototypeGetBuffer(out), 0, n)
    // ";base64" at the end of the type (spaces allowed before it), ASCII case-insensitive.
    let k = type.length
    const lower = StringPrototypeToLowerCase(type)
    if (k >= 6 && StringPrototypeSlice(lower, k - 6) === 'base64') {
      let m = k - 6
      while (m > 0 && type[m - 1] === ' ') m--
      if (m > 0 && type[m - 1] === ';') {
        type = StringPrototypeSlice(type, 0, m - 1)
        let binary = ''
        for (let j = 0; j < n; j++) binary += StringFromCharCode(bytes[j])
        let decoded
        try {
          decoded = globalAtob(binary)
        } catch {
          return null
        }
        bytes = new Uint8Array(decoded.length)
        for (let j = 0; j < decoded.length; j++) bytes[j] = StringPrototypeCharCodeAt(decoded, j)
      }
    }
    if (type[0] === ';') type = 'text/plain' + type
    const essenceEnd = (() => { let e = 0; while (e < type.length && type[e] !== ';') e++; return e })()
    const essence = trimHttpWhitespace(StringPrototypeSlice(type, 0, essenceEnd))
    if (mimeOrEmpty(essence) === '') return { type: 'text/plain;charset=US-ASCII', bytes }
    return { type: StringPrototypeToLowerCase(essence) + StringPrototypeSlice(type, essenceEnd), bytes }
  }
  function fetchDataURL(s) {
    const data = processDataURL(s.url)
    if (data === null) throw new TypeError(`Failed to fetch: ${StringPrototypeSlice(s.url, 0, 64)} is not a valid data: URL`)
    return internals.responseFromParts({
      __proto__: null, status: 200, statusText: 'OK', url: s.url,
      headers: [['content-type', data.type]], body: s.method === 'HEAD' ? null : data.bytes,
    })
  }
  // A blob's type if it is a MIME type (type/subtype, then parameters), else '' (as browsers do).
  const mimeOrEmpty = (t) => {
    let end = 0
    while (end < t.length && t[end] !== ';') end++
    const essence = StringPrototypeSlice(t, 0, end)
    let slash = 0
    while (slash < essence.length && essence[slash] !== '/') slash++
    const top = StringPrototypeSlice(essence, 0, slash), sub = StringPrototypeSlice(essence, slash + 1)
    return slash < essence.length && top !== '' && sub !== '' && isToken(top) && isToken(sub) ? t : ''
  }
  function fetchBlobURL(s) {
    const blob = internals.resolveBlobURL(s.url)
    if (s.method !== 'GET' || blob === undefined) throw new TypeError(`Failed to fetch: ${s.method !== 'GET' ? 'only GET can fetch' : 'no Blob for'} ${s.url}`)
    return internals.responseFromParts({
      __proto__: null, status: 200, statusText: 'OK', url: s.url,
      headers: [['content-length', `${TypedArrayPrototypeGetByteLength(internals.blobBytes(blob))}`], ['content-type', mimeOrEmpty(internals.blobType(blob))]], body: blob,
    })
  }
  // Not an async function: its promise would adopt the handler's by calling its `then`.
  function fetch(input, init = undefined) {
    try {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'fetch': 1 argument required, but only 0 present.")
      const request = new Request(input, init)
      const signal = signalOf(requestState(request))
      if (signalAborted(signal)) throw signalReason(signal)
      if (StringPrototypeStartsWith(requestState(request).url, 'blob:')) return PromiseResolve(fetchBlobURL(requestState(request)))
      if (StringPrototypeStartsWith(requestState(request).url, 'data:')) return PromiseResolve(fetchDataURL(requestState(request)))
      return internals.fetchHandler(request)
    } catch (e) {
      return PromiseReject(e)
    }
  }

  // --- internals for serve()/dispatch ----------------------------------------------------------

  // Fills `h` from [[name, value], ...] made by the platform (checked as append checks them).
  function appendPairs(h, pairs) {
    if (pairs === undefined || pairs === null) return
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]
      appendHeader(h, pair[0], pair[1])
    }
  }
  function partsBody(body) {
    if (body === null || body === undefined) return null
    if (typeof body === 'string' || isUint8Array(body)) return { source: body, stream: null, used: false }
    if (isReadableStream(body)) return { source: null, stream: body, used: false }
    return newBody(extractBody(body))
  }
  // The host's request URLs are absolute: no base URL applies.
  const absoluteURL = (input) => {
    const href = urlHref(input)
    if (href === null) throw new TypeError(`requestFromParts: Failed to parse URL from ${input}`)
    return href
  }
  internals.requestFromParts = function requestFromParts(parts) {
    const h = new Headers()
    appendPairs(h, parts.headers)
    setGuard(h, 'request')
    const m = parts.method === undefined ? 'GET' : String(parts.method)
    return fromState(Request, {
      method: isToken(m) ? normalizeMethod(m) : m,
      url: absoluteURL(String(parts.url)),
      headers: h, body: partsBody(parts.body), mode: 'cors', credentials: 'same-origin', cache: 'default', redirect: 'follow',
      referrer: 'about:client', referrerPolicy: '', integrity: '', keepalive: false, duplex: 'half',
      signal: null, parentSignal: parts.signal ?? null,
    })
  }
  // For the native server (src/web/serve/serve.js), from parts Rust made and checked
  // (src/server/http.rs): `href` is what the URL parser serialized (parsing it again gives it
  // back); `joined` is the header list as 'name\nvalue\n...', lowercase token names and values
  // with no CR, LF or NUL and no leading or trailing whitespace, made into Headers only when
  // first asked for (most handlers read a header or two, if any); `method` a token; `signal` as
  // for requestFromParts; `server` what internals.requestServerInfo gives back (not a clone's).
  internals.requestFromServer = function requestFromServer(method, href, joined, body, signal, server) {
    return fromState(Request, {
      method: method === 'GET' || method === 'POST' ? method : normalizeMethod(method),
      url: href,
      headers: null, body: body === null ? null : { source: null, stream: body, used: false }, mode: 'cors', credentials: 'same-origin', cache: 'default',
      redirect: 'follow', referrer: 'about:client', referrerPolicy: '', integrity: '', keepalive: false, duplex: 'half',
      signal: null, parentSignal: signal, rawHeaders: joined, server,
    })
  }
  internals.requestServerInfo = (request) => {
    const s = requestState(request)
    return ObjectPrototypeHasOwnProperty(s, 'server') ? s.server : null
  }
  internals.responseFromParts = function responseFromParts(parts) {
    const h = new Headers()
    appendPairs(h, parts.headers)
    setGuard(h, 'immutable')
    return fromState(Response, {
      type: 'basic', status: parts.status ?? 200, statusText: parts.statusText ?? '', url: parts.url ?? null,
      redirected: parts.redirected ?? false, headers: h, body: partsBody(parts.body),
    })
  }
  // The body for the network or the host: its stream if it has one, else its source.
  function takeParts(s) {
    if (bodyUnusable(s.body)) throw unusable()
    if (s.body === null) return null
    s.body.used = true
    return s.body.stream ?? s.body.source
  }
  internals.responseParts = function responseParts(response) {
    const s = responseState(response)
    const body = takeParts(s)
    // A literal of own fields (a getter on Object.prototype is never asked for them), not a
    // null-prototype one: those are dictionary-mode objects, slow to make on every response.
    return { status: s.status, statusText: s.statusText, headers: sortedList(s.headers), body }
  }
  internals.extractBody = extractBody
  // For the network (src/web/egress/egress.js): what fetch() sends. Marks the body used, as
  // https://fetch.spec.whatwg.org/#fetch-method does by taking it.
  internals.requestParts = function requestParts(request) {
    const s = requestState(request)
    const body = takeParts(s)
    return { __proto__: null, method: s.method, url: s.url, headers: sortedList(stateHeaders(s)), body, redirect: s.redirect }
  }
  internals.consumeBytes = (x) => tryConsume(x, sourceBytes)
  internals.headersList = (h) => sortedList(h)
  // For customFunctions values (src/wire.js): a brand check, and a Headers from valid pairs.
  internals.isHeaders = isHeaders
  internals.headersFromList = (list) => newHeaders(list, 'none')
  internals.requestHeader = (request, name) => headerValue(stateHeaders(requestState(request)), name)
  internals.requestSignal = (request) => signalOf(requestState(request))
  internals.cancelUnreadBody = (x, reason) => {
    const body = stateOf(x).body
    if (body === null || body.stream === null || bodyUsed(body) || isLocked(body.stream)) return
    SafePromisePrototypeThen(readableStreamCancel(body.stream, reason), undefined, () => {})
  }
  internals.isRequest = isRequest
  internals.isResponse = isResponse

  define(global, 'Headers', Headers)
  define(global, 'Request', Request)
  define(global, 'Response', Response)
  define(global, 'fetch', fetch)
})
