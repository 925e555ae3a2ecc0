// Headers, Request, Response, the body mixin and fetch() (https://fetch.spec.whatwg.org/)
//
// Bodies stay lazy: a body made from a string, bytes, a Blob or FormData keeps that `source` and
// only becomes a ReadableStream when `.body` is read (or the body is tee'd for a stream).
// `text()` of a string body returns the string; of bytes, one UTF-8 decode in Rust.
//
// Offered on `internals` for serve()/dispatch and the network client:
//   internals.requestFromParts({ method, url, headers: [[k, v], ...], body, signal }) → Request
//     body: null | string | Uint8Array (taken, not copied) | ReadableStream (of Uint8Array);
//     the method is taken as given (no forbidden-method check: it came from the network, not
//     from user code); `signal` (optional) is what request.signal follows, e.g. one made with
//     internals.createAbortSignal() and aborted on client disconnect.
//   internals.responseParts(response) → { status, statusText, headers: [[k, v], ...], body }
//     body: null | string | Uint8Array | ReadableStream. A Uint8Array may be shared with a Blob
//     or a clone: read it, never write or transfer it. Marks the response's body used, so call
//     it once, when handing the response out. Throws TypeError if the body was used or locked.
//   internals.responseFromParts({ status, statusText, headers, body, url, redirected }) → Response
//   internals.requestParts(request) → { method, url, headers, body, redirect } for the network;
//     body: null | string | Uint8Array | ReadableStream; marks the request's body used.
//   internals.extractBody(init) → { source, stream, type } (https://fetch.spec.whatwg.org/#concept-bodyinit-extract)
//   internals.consumeBytes(requestOrResponse) → Promise<Uint8Array> (marks it used)
//   internals.headersList(headers) → [[lowercase name, value], ...] sorted and combined
//   internals.fetchHandler(request) → Promise<Response>: what fetch() calls once the Request is
//     built; replace it to enable outbound networking.
(function (global, natives, internals) {
  'use strict'
  const define = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false })
  const tag = (cls, name) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true })
  const enumerable = (cls, keys) => {
    for (const k of keys) Object.defineProperty(cls.prototype, k, { enumerable: true })
  }
  const { bodyUtf8Encode: utf8Encode, bodyUtf8Decode: utf8Decode, blobBytes, isBlob, isFormData, serializeFormData, parseFormData, bufferSourceBytes, concatBytes } = internals
  const empty = new Uint8Array(0)
  const usv = (v) => String(v).toWellFormed()
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function')
  const requireArgs = (n, have, what) => {
    if (have < n) throw new TypeError(`Failed to execute '${what}': ${n} argument${n > 1 ? 's' : ''} required, but only ${have} present.`)
  }

  // From earlier areas (see the top comments of streams.js, events.js, url.js): internal
  // versions that user code cannot replace or reach.
  const {
    parseURL: urlHref, isAbortSignal, createAbortSignal, createDependentSignal,
    isReadableStream, isReadableStreamDisturbed: isDisturbed, isReadableStreamLocked: isLocked,
    readableStreamFromBytes, readableStreamTee, readAllBytes, TransformStream,
  } = internals
  const URLSearchParams = global.URLSearchParams

  // --- Headers: https://fetch.spec.whatwg.org/#headers-class ------------------------------------

  // https://fetch.spec.whatwg.org/#header-name (token) and #header-value
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
  const BYTESTRING = /^[\x00-\xff]*$/
  const INVALID_VALUE = /[\0\r\n]/
  // https://fetch.spec.whatwg.org/#concept-header-value-normalize
  const normalizeValue = (v) => v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '')
  // A value that is already a valid, normalized header value (the common case): one test instead
  // of the three passes below. Bytes only, no NUL/CR/LF, no leading or trailing tab or space.
  const PLAIN_VALUE = /^(?:[^\0\t\n\r \u0100-\uffff](?:[^\0\n\r\u0100-\uffff]*[^\0\t\n\r \u0100-\uffff])?)?$/

  function checkName(name) {
    name = String(name)
    if (!TOKEN.test(name)) throw new TypeError(`Headers: '${name}' is not a valid header name.`)
    return name.toLowerCase()
  }
  function checkValue(value, name) {
    value = String(value)
    if (PLAIN_VALUE.test(value)) return value
    if (!BYTESTRING.test(value)) throw new TypeError(`Headers: the value of '${name}' is not a valid ByteString.`)
    value = normalizeValue(value)
    if (INVALID_VALUE.test(value)) throw new TypeError(`Headers: '${value}' is not a valid value for header '${name}'.`)
    return value
  }

  let headersOf, newHeaders
  class Headers {
    // lowercase name → values in insertion order. Iteration sorts names, so the order between
    // names is not observable and a Map is all the spec's header list needs here.
    #map = new Map()
    #guard = 'none'
    #sorted = null
    static {
      headersOf = (h) => h.#map
      // A Headers with `guard` filled from [[name, value], ...] (already valid, lowercased names).
      newHeaders = (list, guard) => {
        const h = new Headers()
        for (const [k, v] of list) {
          const values = h.#map.get(k)
          if (values) values.push(v)
          else h.#map.set(k, [v])
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
      return values === undefined ? null : values.join(', ')
    }
    getSetCookie() {
      return (this.#map.get('set-cookie') ?? []).slice()
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
        Reflect.apply(callback, thisArg, [list[i][1], list[i][0], this])
      }
    }
    // https://fetch.spec.whatwg.org/#concept-header-list-sort-and-combine
    #list() {
      if (this.#sorted) return this.#sorted
      const out = []
      for (const k of [...this.#map.keys()].sort()) {
        const values = this.#map.get(k)
        if (k === 'set-cookie') for (const v of values) out.push([k, v])
        else out.push([k, values.join(', ')])
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
        if (values) values.push(v)
        else h.#map.set(k, [v])
      }
      sortedList = (h) => h.#list()
      guardOf = (h) => h.#guard
      setGuard = (h, guard) => { h.#guard = guard }
    }
  }
  var sortedList, guardOf, setGuard, appendHeader
  tag(Headers, 'Headers')
  enumerable(Headers, ['append', 'delete', 'get', 'getSetCookie', 'has', 'set', 'forEach', 'entries', 'keys', 'values'])
  define(Headers.prototype, Symbol.iterator, Headers.prototype.entries)

  const iteratorProto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))
  const HeadersIteratorPrototype = Object.create(iteratorProto)
  const iterState = new WeakMap()
  define(HeadersIteratorPrototype, 'next', function next() {
    const s = iterState.get(this)
    if (s === undefined) throw new TypeError("'next' called on an object that is not a Headers Iterator.")
    const list = sortedList(s.target)
    if (s.index >= list.length) return { value: undefined, done: true }
    const [k, v] = list[s.index++]
    return { value: s.kind === 'key' ? k : s.kind === 'value' ? v : [k, v], done: false }
  })
  Object.defineProperty(HeadersIteratorPrototype, Symbol.toStringTag, { value: 'Headers Iterator', configurable: true })
  function headersIterator(target, kind) {
    sortedList(target) // brand check
    const it = Object.create(HeadersIteratorPrototype)
    iterState.set(it, { target, kind, index: 0 })
    return it
  }

  const isEnumerable = Function.prototype.call.bind(Object.prototype.propertyIsEnumerable)

  // https://fetch.spec.whatwg.org/#concept-headers-fill: sequence<sequence<ByteString>> or
  // record<ByteString, ByteString>.
  function fillHeaders(headers, init) {
    if (!isObject(init)) {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.")
    }
    const method = init[Symbol.iterator]
    if (method !== undefined && method !== null) {
      if (typeof method !== 'function') throw new TypeError('Headers: init is not iterable.')
      const pairs = []
      for (const pair of Reflect.apply(method, init, [])) {
        if (!isObject(pair) || typeof pair[Symbol.iterator] !== 'function') {
          throw new TypeError('Headers: each header must be a [name, value] pair.')
        }
        const p = [...pair]
        if (p.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair of length 2.')
        pairs.push([String(p[0]), String(p[1])])
      }
      for (const [k, v] of pairs) appendHeader(headers, k, v)
      return
    }
    // https://webidl.spec.whatwg.org/#es-record
    const pairs = []
    for (const key of Reflect.ownKeys(init)) {
      // [[GetOwnProperty]] once, as getOwnPropertyDescriptor, without making a descriptor object.
      if (!isEnumerable(init, key)) continue
      // A symbol key cannot become a ByteString.
      if (typeof key === 'symbol') throw new TypeError('Headers: a record key is a Symbol.')
      pairs.push([key, String(init[key])])
    }
    for (const [k, v] of pairs) appendHeader(headers, k, v)
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
        body.stream = readableStreamFromBytes(typeof body.source === 'string' ? utf8Encode(body.source) : body.source.slice())
      }
    }
    return body.stream
  }
  const bodyUsed = (body) => body !== null && (body.used || (body.stream !== null && isDisturbed(body.stream)))
  const bodyUnusable = (body) => body !== null && (bodyUsed(body) || (body.stream !== null && isLocked(body.stream)))

  // https://fetch.spec.whatwg.org/#concept-bodyinit-extract
  function extractBody(object, keepalive = false) {
    if (isReadableStream(object)) {
      if (keepalive) throw new TypeError('Failed to construct: a keepalive request cannot have a ReadableStream body.')
      if (isDisturbed(object) || isLocked(object)) throw new TypeError('Failed to construct: the ReadableStream body is locked or disturbed.')
      return { source: null, stream: object, type: null }
    }
    if (isBlob(object)) return { source: blobBytes(object), stream: null, type: object.type || null }
    const bytes = bufferSourceBytes(object)
    if (bytes !== undefined) return { source: bytes, stream: null, type: null }
    if (isFormData(object)) {
      const { bytes, type } = serializeFormData(object)
      return { source: bytes, stream: null, type }
    }
    if (object instanceof URLSearchParams) {
      return { source: String(object), stream: null, type: 'application/x-www-form-urlencoded;charset=UTF-8' }
    }
    return { source: usv(object), stream: null, type: 'text/plain;charset=UTF-8' }
  }
  const newBody = (extracted) => ({ source: extracted.source, stream: extracted.stream, used: false })

  const unusable = () => new TypeError('Body is unusable: the body has already been read or is locked.')

  // https://fetch.spec.whatwg.org/#concept-body-consume-body: resolves to a string or Uint8Array
  // (shared: callers copy before exposing bytes) — whatever is cheapest from the source.
  function consume(body) {
    if (body === null) return Promise.resolve(empty)
    if (bodyUnusable(body)) return Promise.reject(unusable())
    if (body.stream === null) {
      body.used = true
      return Promise.resolve(body.source)
    }
    // We disturb it now; remember that even if the stream cannot tell us later.
    body.used = true
    return readAllBytes(body.stream)
  }

  // Body mixin methods, shared by Request and Response; `bodyState(this)` brand-checks.
  let bodyState
  const ownCopy = (b) => (typeof b === 'string' ? utf8Encode(b) : b.slice())
  const bodyMixin = {
    get body() {
      const b = bodyState(this)
      return b === null ? null : bodyStream(b)
    },
    get bodyUsed() { return bodyUsed(bodyState(this)) },
    arrayBuffer() {
      return tryConsume(this, (b) => {
        const c = ownCopy(b)
        return c.byteOffset === 0 && c.byteLength === c.buffer.byteLength ? c.buffer : c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength)
      })
    },
    bytes() { return tryConsume(this, ownCopy) },
    blob() {
      return tryConsume(this, (b, s) => internals.blobFromBytes(ownCopy(b), s.headers.get('content-type') ?? ''))
    },
    formData() {
      return tryConsume(this, (b, s) => parseFormData(sourceBytes(b), s.headers.get('content-type')))
    },
    json() { return tryConsume(this, (b) => JSON.parse(decode(b))) },
    text() { return tryConsume(this, decode) },
  }
  // https://encoding.spec.whatwg.org/#utf-8-decode: a string source is what encoding then
  // decoding would give, without doing either (only the BOM goes).
  const decode = (b) => (typeof b !== 'string' ? utf8Decode(b) : b.charCodeAt(0) === 0xfeff ? b.slice(1) : b)
  function tryConsume(self, then) {
    let state
    try {
      state = stateOf(self)
    } catch (e) {
      return Promise.reject(e)
    }
    return consume(state.body).then((b) => then(b, state))
  }
  function installBody(cls) {
    for (const key of Object.keys(bodyMixin)) {
      const desc = Object.getOwnPropertyDescriptor(bodyMixin, key)
      if (desc.get) Object.defineProperty(cls.prototype, key, { get: desc.get, enumerable: true, configurable: true })
      else Object.defineProperty(cls.prototype, key, { value: desc.value, writable: true, enumerable: true, configurable: true })
    }
  }

  // Clones a body: a source is shared; a stream is tee'd (https://fetch.spec.whatwg.org/#concept-body-clone).
  function cloneBody(body) {
    if (body === null) return null
    if (body.stream === null) return { source: body.source, stream: null, used: body.used }
    const [a, b] = readableStreamTee(body.stream)
    body.stream = a
    return { source: null, stream: b, used: false }
  }

  // --- Request: https://fetch.spec.whatwg.org/#request-class ------------------------------------

  // The serialized URL; TypeError if `input` is not an absolute URL (there is no base URL here).
  function parseURL(input, what) {
    const href = urlHref(input)
    if (href === null) throw new TypeError(`${what}: Failed to parse URL from ${input}`)
    return href
  }
  // https://url.spec.whatwg.org/#include-credentials, on a serialized URL.
  const hasCredentials = (href) => /^[^:/?#]+:\/\/[^/?#]*@/.test(href)

  const enums = {
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
    if (!enums[name].includes(s)) {
      throw new TypeError(`${what}: The provided value '${s}' is not a valid enum value of type Request${name[0].toUpperCase()}${name.slice(1)}.`)
    }
    return s
  }
  const FORBIDDEN_METHODS = /^(connect|trace|track)$/i
  const NORMALIZED_METHODS = /^(delete|get|head|options|post|put)$/i

  // https://webidl.spec.whatwg.org/#es-dictionary: members are read in lexicographic order.
  const REQUEST_INIT_KEYS = ['body', 'cache', 'credentials', 'duplex', 'headers', 'integrity', 'keepalive', 'method',
    'mode', 'priority', 'redirect', 'referrer', 'referrerPolicy', 'signal', 'window']
  function readDict(init, keys, what) {
    if (init === undefined || init === null) return {}
    if (!isObject(init)) throw new TypeError(`${what}: The provided value is not of type 'RequestInit'.`)
    const out = {}
    for (const k of keys) {
      const v = init[k]
      if (v !== undefined) out[k] = v
    }
    return out
  }

  // Passed as the first constructor argument to build an instance from a ready state: private
  // fields can only be added by the constructor. User code never sees this symbol.
  const FROM_STATE = Symbol('fromState')
  const fromState = (cls, s) => new cls(FROM_STATE, s)

  let requestState
  const REQUEST_CTOR = "Failed to construct 'Request'"
  class Request {
    #s
    static {
      requestState = (r) => r.#s
    }
    constructor(input, init = undefined) {
      if (input === FROM_STATE) {
        this.#s = init
        return
      }
      requireArgs(1, arguments.length, "construct 'Request'")
      const what = REQUEST_CTOR
      let base
      let inputReq = null
      if (isObject(input) && #s in input) {
        inputReq = input
        base = input.#s
      } else {
        const url = parseURL(usv(input), what)
        if (hasCredentials(url)) {
          throw new TypeError(`${what}: Request cannot be constructed from a URL that includes credentials: ${input}`)
        }
        base = null
      }
      const o = readDict(init, REQUEST_INIT_KEYS, what)
      const s = {
        method: base?.method ?? 'GET',
        url: base?.url ?? parseURL(usv(input), what),
        headers: null,
        body: null,
        mode: base?.mode ?? 'cors',
        credentials: base?.credentials ?? 'same-origin',
        cache: base?.cache ?? 'default',
        redirect: base?.redirect ?? 'follow',
        referrer: base?.referrer ?? 'about:client',
        referrerPolicy: base?.referrerPolicy ?? '',
        integrity: base?.integrity ?? '',
        keepalive: base?.keepalive ?? false,
        duplex: 'half',
        signal: null,
        parentSignal: inputReq !== null ? inputReq.signal : null,
      }
      if ('window' in o && o.window !== null) throw new TypeError(`${what}: 'window' must be null.`)
      // https://fetch.spec.whatwg.org/#dom-request (step 13): any init member resets these.
      if (Object.keys(o).length > 0) {
        if (s.mode === 'navigate') s.mode = 'same-origin'
        s.referrer = 'about:client'
        s.referrerPolicy = ''
      }
      if ('referrer' in o) {
        const r = usv(o.referrer)
        if (r === '') s.referrer = 'no-referrer'
        else {
          s.referrer = parseURL(r, what)
        }
      }
      if ('referrerPolicy' in o) s.referrerPolicy = enumValue(o.referrerPolicy, 'referrerPolicy', what)
      if ('mode' in o) {
        const mode = enumValue(o.mode, 'mode', what)
        if (mode === 'navigate') throw new TypeError(`${what}: Cannot construct a Request with a RequestInit whose mode member is set as 'navigate'.`)
        s.mode = mode
      }
      if ('credentials' in o) s.credentials = enumValue(o.credentials, 'credentials', what)
      if ('cache' in o) s.cache = enumValue(o.cache, 'cache', what)
      if (s.cache === 'only-if-cached' && s.mode !== 'same-origin') {
        throw new TypeError(`${what}: 'only-if-cached' can be set only with 'same-origin' mode.`)
      }
      if ('redirect' in o) s.redirect = enumValue(o.redirect, 'redirect', what)
      if ('integrity' in o) s.integrity = String(o.integrity)
      if ('keepalive' in o) s.keepalive = Boolean(o.keepalive)
      if ('priority' in o) enumValue(o.priority, 'priority', what)
      if ('duplex' in o) enumValue(o.duplex, 'duplex', what)
      if ('method' in o) {
        const m = String(o.method)
        if (!BYTESTRING.test(m) || !TOKEN.test(m)) throw new TypeError(`${what}: '${m}' is not a valid HTTP method.`)
        if (FORBIDDEN_METHODS.test(m)) throw new TypeError(`${what}: '${m}' HTTP method is unsupported.`)
        s.method = NORMALIZED_METHODS.test(m) ? m.toUpperCase() : m
      }
      if ('signal' in o) {
        const sig = o.signal
        if (sig !== null && !isAbortSignal(sig)) {
          throw new TypeError(`${what}: member signal is not of type AbortSignal.`)
        }
        s.parentSignal = sig
      }
      if (s.mode === 'no-cors' && !/^(GET|HEAD|POST)$/.test(s.method)) {
        throw new TypeError(`${what}: '${s.method}' is unsupported in no-cors mode.`)
      }
      // Headers: the init's, else a copy of the input's (guard "request"; no browser filtering).
      if ('headers' in o) {
        s.headers = new Headers(o.headers instanceof Headers ? sortedList(o.headers) : o.headers)
      } else {
        s.headers = newHeaders(base ? sortedList(base.headers) : [], 'request')
      }
      setGuard(s.headers, 'request')
      const inputBody = base?.body ?? null
      const hasInitBody = 'body' in o && o.body !== null
      if ((hasInitBody || inputBody !== null) && (s.method === 'GET' || s.method === 'HEAD')) {
        throw new TypeError(`${what}: Request with GET/HEAD method cannot have body.`)
      }
      let initBody = null
      if (hasInitBody) {
        const ex = extractBody(o.body, s.keepalive)
        initBody = newBody(ex)
        if (ex.type !== null && !s.headers.has('content-type')) s.headers.append('content-type', ex.type)
        if (ex.stream !== null && !('duplex' in o)) {
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
    get headers() { return this.#s.headers }
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
    // Made on first use: most requests never look at their signal.
    get signal() {
      const s = this.#s
      if (s.signal === null) {
        // https://dom.spec.whatwg.org/#create-a-dependent-abort-signal
        s.signal = s.parentSignal !== null ? createDependentSignal([s.parentSignal]) : createAbortSignal()
      }
      return s.signal
    }
    get duplex() { return this.#s.duplex }
    clone() {
      const s = this.#s
      if (bodyUnusable(s.body)) throw new TypeError("Failed to execute 'clone' on 'Request': Request body is already used.")
      return fromState(Request, { ...s, headers: newHeaders(sortedList(s.headers), guardOf(s.headers)), body: cloneBody(s.body), signal: null, parentSignal: this.signal })
    }
  }
  tag(Request, 'Request')
  enumerable(Request, ['method', 'url', 'headers', 'destination', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache',
    'redirect', 'integrity', 'keepalive', 'isReloadNavigation', 'isHistoryNavigation', 'signal', 'duplex', 'clone'])
  installBody(Request)

  // A new Request takes the input's body; the input is left used
  // (https://fetch.spec.whatwg.org/#dom-request, the proxy step).
  function takeBody(body) {
    if (body.stream === null) {
      body.used = true
      return { source: body.source, stream: null, used: false }
    }
    const taken = body.stream.pipeThrough(new TransformStream())
    body.used = true
    return { source: null, stream: taken, used: false }
  }

  // --- Response: https://fetch.spec.whatwg.org/#response-class ----------------------------------

  const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304])
  const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308])
  const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/
  const RESPONSE_INIT_KEYS = ['headers', 'status', 'statusText']

  let responseState
  class Response {
    #s
    static {
      responseState = (r) => r.#s
    }
    constructor(body = null, init = undefined) {
      if (body === FROM_STATE) {
        this.#s = init
        return
      }
      const o = readDict(init, RESPONSE_INIT_KEYS, "Failed to construct 'Response'")
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
      const text = JSON.stringify(data)
      if (text === undefined) throw new TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable.")
      const o = readDict(init, RESPONSE_INIT_KEYS, "Failed to execute 'json' on 'Response'")
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
  enumerable(Response, ['type', 'url', 'redirected', 'status', 'ok', 'statusText', 'headers', 'clone'])
  installBody(Response)
  for (const k of ['error', 'redirect', 'json']) Object.defineProperty(Response, k, { enumerable: true })

  // https://webidl.spec.whatwg.org/#es-unsigned-short
  function toUnsignedShort(v) {
    const n = Number(v)
    if (!Number.isFinite(n)) return 0
    const m = Math.trunc(n) % 65536
    return m < 0 ? m + 65536 : m
  }

  // https://fetch.spec.whatwg.org/#initialize-a-response
  function initializeResponse(s, o, ex) {
    const what = "Failed to construct 'Response'"
    const status = 'status' in o ? toUnsignedShort(o.status) : 200
    // 101 is allowed beyond the spec's 200..599: serve() handlers answer an upgrade with
    // `new Response(null, { status: 101 })`, as @ricsam/isolate-fetch and Bun code does.
    if ((status < 200 && status !== 101) || status > 599) throw new RangeError(`${what}: The status provided (${status}) is outside the range [200, 599].`)
    const statusText = 'statusText' in o ? String(o.statusText) : ''
    if (!REASON_PHRASE.test(statusText)) throw new TypeError(`${what}: Invalid statusText`)
    s.status = status
    s.statusText = statusText
    if ('headers' in o) {
      s.headers = new Headers(o.headers instanceof Headers ? sortedList(o.headers) : o.headers)
      setGuard(s.headers, 'response')
    }
    if (ex !== null) {
      if (NULL_BODY_STATUS.has(status)) throw new TypeError(`${what}: Response with null body status cannot have body`)
      s.body = newBody(ex)
      if (ex.type !== null && !s.headers.has('content-type')) s.headers.append('content-type', ex.type)
    }
  }

  // One brand check for both classes: a private name is per class, so look it up per class.
  var stateOf = (x) => {
    try {
      return requestState(x)
    } catch {
      try {
        return responseState(x)
      } catch {
        throw new TypeError('Illegal invocation')
      }
    }
  }
  bodyState = (x) => stateOf(x).body

  // --- fetch(): https://fetch.spec.whatwg.org/#fetch-method ---------------------------------------

  internals.fetchHandler = function fetchHandler(request) {
    return Promise.reject(new TypeError('network access is disabled: pass onFetch or network to createRuntime'))
  }
  async function fetch(input, init = undefined) {
    if (arguments.length < 1) throw new TypeError("Failed to execute 'fetch': 1 argument required, but only 0 present.")
    const request = new Request(input, init)
    const signal = request.signal
    if (signal.aborted) throw signal.reason
    return internals.fetchHandler(request)
  }

  // --- internals for serve()/dispatch ----------------------------------------------------------

  function headerPairs(headers) {
    if (headers === undefined || headers === null) return []
    return headers
  }
  function partsBody(body) {
    if (body === null || body === undefined) return null
    if (typeof body === 'string' || body instanceof Uint8Array) return { source: body, stream: null, used: false }
    if (isReadableStream(body)) return { source: null, stream: body, used: false }
    return newBody(extractBody(body))
  }
  internals.requestFromParts = function requestFromParts({ method = 'GET', url, headers, body = null, signal = null }) {
    const h = new Headers()
    for (const [k, v] of headerPairs(headers)) h.append(k, v)
    setGuard(h, 'request')
    const m = String(method)
    return fromState(Request, {
      method: NORMALIZED_METHODS.test(m) ? m.toUpperCase() : m,
      url: parseURL(String(url), 'requestFromParts'),
      headers: h, body: partsBody(body), mode: 'cors', credentials: 'same-origin', cache: 'default', redirect: 'follow',
      referrer: 'about:client', referrerPolicy: '', integrity: '', keepalive: false, duplex: 'half',
      signal: null, parentSignal: signal,
    })
  }
  internals.responseFromParts = function responseFromParts({ status = 200, statusText = '', headers, body = null, url = null, redirected = false }) {
    const h = new Headers()
    for (const [k, v] of headerPairs(headers)) h.append(k, v)
    setGuard(h, 'immutable')
    return fromState(Response, { type: 'basic', status, statusText, url, redirected, headers: h, body: partsBody(body) })
  }
  internals.responseParts = function responseParts(response) {
    const s = responseState(response)
    if (bodyUnusable(s.body)) throw unusable()
    let body = null
    if (s.body !== null) {
      body = s.body.stream ?? s.body.source
      s.body.used = true
    }
    return { status: s.status, statusText: s.statusText, headers: sortedList(s.headers).map((p) => p.slice()), body }
  }
  internals.extractBody = extractBody
  // For the network (src/web/egress/egress.js): what fetch() sends. Marks the body used, as
  // https://fetch.spec.whatwg.org/#fetch-method does by taking it.
  internals.requestParts = function requestParts(request) {
    const s = requestState(request)
    if (bodyUnusable(s.body)) throw unusable()
    let body = null
    if (s.body !== null) {
      body = s.body.stream ?? s.body.source
      s.body.used = true
    }
    return { method: s.method, url: s.url, headers: sortedList(s.headers).map((p) => p.slice()), body, redirect: s.redirect }
  }
  internals.consumeBytes = (x) => tryConsume(x, sourceBytes)
  internals.headersList = (h) => sortedList(h)
  internals.isRequest = (x) => { try { requestState(x); return true } catch { return false } }
  internals.isResponse = (x) => { try { responseState(x); return true } catch { return false } }

  define(global, 'Headers', Headers)
  define(global, 'Request', Request)
  define(global, 'Response', Response)
  define(global, 'fetch', fetch)
})
