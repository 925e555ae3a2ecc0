// Bun-compatible serve() (https://bun.sh/docs/api/http#bun-serve) and the isolate side of the host's
// runtime.fetch and of the native server (runtime.listen, src/server/): `internals.host(op, id, args)`
// runs a host-initiated operation and answers with `internals.settled(id, ok, value)`.
//
// A request handler is, in this order: what serve() was given; a module's `export default { fetch }`
// (the Workers/Deno/Bun module form: fetch(request, env, ctx)); `addEventListener('fetch', (e) =>
// e.respondWith(...))` (the Service Worker form). Requests of the native server carry their client
// address and whether they may be upgraded; their bodies are pulled from Rust (natives.serveBodyPull)
// instead of the host, and their errors are reported as uncaught before Rust answers 500.
//
// Tamper-proof (see src/runtime/primordials.js): everything here uses intrinsics captured before
// user code ran, and what reaches `settled` or a native is built here from checked primitives and
// Uint8Arrays, never a value a script handed over (a script can patch `then`, make a Response
// subclass with getters, return a Proxy...). No `await`: it would call a patched `then` when
// Promise.prototype.constructor is replaced.
(function (global, natives, internals) {
  'use strict'
  const {
    ArrayBufferIsView, ArrayBufferPrototypeGetByteLength, ArrayIsArray, Symbol, ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf,
    ObjectPrototypeHasOwnProperty, DataViewPrototypeGetBuffer, DataViewPrototypeGetByteLength,
    DataViewPrototypeGetByteOffset, Error, ErrorIsError, Number, NumberIsInteger, ObjectDefineProperty, ObjectFreeze,
    PromiseResolve, RangeError, ReflectApply, ObjectCreate, SafeMap, SafePromisePrototypeThen, SafeSet, SafeWeakMap, String,
    StringPrototypeCharCodeAt, StringPrototypeIndexOf, StringPrototypeSlice, StringPrototypeToLowerCase, SymbolToStringTag,
    TypeError, TypedArrayPrototypeGetBuffer, TypedArrayPrototypeGetByteLength, TypedArrayPrototypeGetByteOffset,
    TypedArrayPrototypeGetSymbolToStringTag, TypedArrayPrototypeSet, Uint8Array, PromisePrototypeThen,
  } = internals.primordials
  const {
    define, hostAsync, settled, DOMException, ReadableStream, createAbortSignal, signalAbort, requestFromParts, requestFromServer,
    requestServerInfo, responseParts,
    isRequest, isResponse, requestHeader, cancelUnreadBody, bodyUtf8Encode, readableStreamGetReader, readableStreamReaderRead,
    readableStreamCancel, reportException,
  } = internals
  // Read now: user code may replace these globals later.
  const Headers = global.Headers
  const cryptoObject = global.crypto
  const randomUUID = cryptoObject.randomUUID
  const EventCtor = global.Event
  const controllerPrototype = global.ReadableStreamDefaultController.prototype
  const { enqueue: controllerEnqueue, close: controllerClose } = controllerPrototype
  const OP_GLUE = 5

  let options = null // what serve() was given
  const dispatches = new SafeMap() // dispatch id -> { signal, reason }: the AbortSignal its Request follows, made on first use
  const responses = new SafeMap() // response body id -> { reader, stream, dispatch, request }
  let nextResponse = 1
  const upgrades = new SafeMap() // connection id -> { data } until the host opens it
  const upgradeHeaders = new SafeWeakMap() // upgraded Request -> Headers for its 101 response
  // Requests the host dispatched (runtime.fetch.dispatchRequest): the host owns their socket, so
  // server.upgrade() needs no `Upgrade: websocket` header on them (as in @ricsam/isolate-fetch).
  const dispatched = new SafeWeakMap()
  const sockets = new SafeMap() // connection id -> ServerWebSocket
  const draining = new SafeSet() // sockets whose send returned -1, waiting for `drain`
  const topics = new SafeMap() // pub/sub topic -> SafeSet of ServerWebSocket
  let moduleHandler = null // a module's default export with a fetch method

  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function'
  // The value of an own data property, or undefined (an accessor is not called).
  const ownValue = (o, key) => {
    const d = ObjectGetOwnPropertyDescriptor(o, key)
    return d !== undefined && ObjectPrototypeHasOwnProperty(d, 'value') ? d.value : undefined
  }
  const isUint8Array = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) === 'Uint8Array'
  const isArrayBuffer = (v) => {
    if (!isObject(v)) return false
    try {
      ArrayBufferPrototypeGetByteLength(v)
      return true
    } catch {
      return false
    }
  }
  // `${v}` for what the host reads as a message: never throws (a Symbol, a throwing toString).
  const toText = (v) => {
    try {
      return typeof v === 'symbol' ? 'Symbol()' : `${v}`
    } catch {
      return ''
    }
  }
  // What a value is, for error messages: 'null', its typeof, or its class's name, read from
  // own data properties only (no getter, and no `constructor` a script replaced on Array.prototype).
  const describe = (v) => {
    if (v === null) return 'null'
    if (typeof v !== 'object') return typeof v
    let name = ''
    try {
      if (ArrayIsArray(v)) name = 'Array'
      else {
        const proto = ObjectGetPrototypeOf(v)
        const ctor = proto === null ? undefined : ownValue(proto, 'constructor')
        const n = typeof ctor === 'function' ? ownValue(ctor, 'name') : undefined
        if (typeof n === 'string') name = n
      }
    } catch {}
    return name ? `an instance of ${name}` : 'an object'
  }
  // Uint8Array over the bytes of a typed array, DataView or ArrayBuffer; undefined for others.
  const bytesOf = (v) => {
    if (isUint8Array(v)) return v
    if (TypedArrayPrototypeGetSymbolToStringTag(v) !== undefined) {
      return new Uint8Array(TypedArrayPrototypeGetBuffer(v), TypedArrayPrototypeGetByteOffset(v), TypedArrayPrototypeGetByteLength(v))
    }
    if (ArrayBufferIsView(v)) return new Uint8Array(DataViewPrototypeGetBuffer(v), DataViewPrototypeGetByteOffset(v), DataViewPrototypeGetByteLength(v))
    if (isArrayBuffer(v)) return new Uint8Array(v)
    return undefined
  }
  // A copy of the bytes, as an ArrayBuffer of their own (for a command the host keeps).
  const ownBuffer = (bytes) => {
    const copy = new Uint8Array(TypedArrayPrototypeGetByteLength(bytes))
    TypedArrayPrototypeSet(copy, bytes)
    return TypedArrayPrototypeGetBuffer(copy)
  }

  // --- answers to the host ------------------------------------------------------------------------

  const reply = (id, value) => settled(id, true, value)
  // What the host learns of an error: a fresh Error with its name, message and stack as strings,
  // read here once (as src/value.rs's error_info would), so Rust never reads a script's object.
  function errorValue(e) {
    if (!isObject(e)) return toText(e)
    let name, message, stack
    try {
      name = e.name
    } catch {}
    try {
      message = e.message
    } catch {}
    try {
      stack = e.stack
    } catch {}
    const native = ErrorIsError !== undefined ? ErrorIsError(e) : false
    // Not an error: what its string conversion says (the script's own toString, as for `${e}`).
    if (!native && stack === undefined) return toText(e)
    // Fields that are not strings are left out rather than converted (no script code runs).
    const out = new Error(typeof message === 'string' ? message : '')
    ObjectDefineProperty(out, 'name', { __proto__: null, value: typeof name === 'string' ? name : 'Error', writable: true, configurable: true })
    ObjectDefineProperty(out, 'stack', { __proto__: null, value: typeof stack === 'string' ? stack : undefined, writable: true, configurable: true })
    return out
  }
  const fail = (id, error) => settled(id, false, errorValue(error))
  // Answers `id` once `result` (anything a handler returned) settles: null, or the error.
  const replyWhenDone = (id, result) => {
    try {
      adopt(result, () => reply(id, null), (error) => fail(id, error))
    } catch (error) {
      fail(id, error)
    }
  }
  // Runs onFulfilled or onRejected once `value` settles, adopting it as `await` would (a script's
  // promise or thenable is asked, as the spec says; nothing else a script changed is).
  function adopt(value, onFulfilled, onRejected) {
    const promise = PromiseResolve(value)
    // A promise made here (not the script's own) can be chained without asking its class.
    if (promise === value) PromisePrototypeThen(promise, onFulfilled, onRejected)
    else SafePromisePrototypeThen(promise, onFulfilled, onRejected)
  }

  // --- ServerWebSocket: https://bun.sh/docs/api/websockets ------------------------------------------

  // UTF-8 length of a string (lone surrogates count as U+FFFD, 3 bytes).
  const utf8Length = (s) => {
    let n = 0
    for (let i = 0; i < s.length; i++) {
      const c = StringPrototypeCharCodeAt(s, i)
      if (c < 0x80) n += 1
      else if (c < 0x800) n += 2
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = StringPrototypeCharCodeAt(s, i + 1)
        if (d >= 0xdc00 && d <= 0xdfff) {
          n += 4
          i++
        } else n += 3
      } else n += 3
    }
    return n
  }
  const command = (cmd) => natives.command(cmd)

  // readyState 1 OPEN, 2 CLOSING, 3 CLOSED. Made only here (ws.constructor is reachable, and its
  // id goes into every command): `new ws.constructor(...)` is a TypeError.
  const CONSTRUCT = Symbol('ServerWebSocket')
  class ServerWebSocket {
    #id
    #state = 1
    // A field, so that it is defined on the socket (no setter on Object.prototype sees it).
    #address
    #protocol
    #topics = new SafeSet()
    data = undefined
    constructor(key, id, data, address, protocol) {
      if (key !== CONSTRUCT || typeof id !== 'string') throw new TypeError('Illegal constructor')
      this.#id = id
      this.data = data
      this.#address = typeof address === 'string' ? address : ''
      this.#protocol = typeof protocol === 'string' ? protocol : ''
    }
    get readyState() {
      return this.#state
    }
    // The client's IP address on the native server; '' for connections the host dispatches.
    get remoteAddress() {
      return this.#address
    }
    get protocol() {
      return this.#protocol
    }
    // https://bun.sh/docs/api/websockets#pub-sub
    subscribe(topic) {
      topic = String(topic)
      if (this.#state !== 1 || this.#topics.has(topic)) return
      this.#topics.add(topic)
      let set = topics.get(topic)
      if (set === undefined) topics.set(topic, (set = new SafeSet()))
      set.add(this)
    }
    unsubscribe(topic) {
      topic = String(topic)
      if (!this.#topics.delete(topic)) return
      const set = topics.get(topic)
      if (set === undefined) return
      set.delete(this)
      if (set.size === 0) topics.delete(topic)
    }
    isSubscribed(topic) {
      return this.#topics.has(String(topic))
    }
    get subscriptions() {
      return [...this.#topics]
    }
    // To every other subscriber of `topic` (not this socket, as in Bun).
    publish(topic, message) {
      if (this.#state !== 1) return 0
      return publish(String(topic), message, this)
    }
    getBufferedAmount() {
      const n = natives.serveBuffered(this.#id)
      return n < 0 ? 0 : n
    }
    // Bun batches the sends of `callback`; ours go out as they are made.
    cork(callback) {
      return callback(this)
    }
    ping(data = undefined) {
      if (this.#state !== 1) return 0
      return command({ __proto__: null, type: 'ping', connectionId: this.#id, data: controlData(data) })
    }
    pong(data = undefined) {
      if (this.#state !== 1) return 0
      return command({ __proto__: null, type: 'pong', connectionId: this.#id, data: controlData(data) })
    }
    // Returns the bytes handed to the host, or 0 when the socket is no longer open.
    send(message) {
      return this.#send(message)
    }
    #send(message) {
      if (this.#state !== 1) return 0
      let data
      if (typeof message === 'string') data = message
      else {
        const bytes = bytesOf(message)
        data = bytes === undefined ? String(message) : bytes
      }
      // A native server's connection copies the message itself; the host's takes a command made
      // here from a string or a fresh ArrayBuffer.
      let sent = natives.serveSend(this.#id, data)
      if (sent === undefined) {
        sent = command({ __proto__: null, type: 'message', connectionId: this.#id, data: typeof data === 'string' ? data : ownBuffer(data) })
      }
      // -1: queued, but the host is behind; `drain` runs once it catches up.
      if (sent === -1) draining.add(this)
      return sent
    }
    sendText(message) {
      return this.#send(String(message))
    }
    sendBinary(message) {
      return this.#send(typeof message === 'string' ? bodyUtf8Encode(message) : message)
    }
    close(code = 1000, reason = '') {
      if (this.#state !== 1) return
      code = Number(code)
      reason = String(reason)
      // What a WebSocket close frame may carry (RFC 6455 7.4); 1005 and 1006 are never sent.
      if (!NumberIsInteger(code) || !((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))) {
        throw new RangeError(`ws.close(code, reason): invalid close code ${code}`)
      }
      if (utf8Length(reason) > 123) throw new RangeError('ws.close(code, reason): reason must be at most 123 bytes of UTF-8')
      this.#state = 2
      command({ __proto__: null, type: 'close', connectionId: this.#id, code, reason })
    }
    // Closes without a handshake: the host sees code 1006 (abnormal closure).
    terminate() {
      if (this.#state !== 1) return
      this.#state = 2
      command({ __proto__: null, type: 'close', connectionId: this.#id, code: 1006, reason: '' })
    }
    static closed(ws) {
      ws.#state = 3
      const list = [...ws.#topics]
      for (let i = 0; i < list.length; i++) ws.unsubscribe(list[i])
    }
    static idOf(ws) {
      return ws.#id
    }
    static isOpen(ws) {
      return ws.#state === 1
    }
  }
  ObjectDefineProperty(ServerWebSocket.prototype, SymbolToStringTag, { __proto__: null, value: 'ServerWebSocket', configurable: true })
  const closed = ServerWebSocket.closed
  const isOpen = ServerWebSocket.isOpen
  const socketId = ServerWebSocket.idOf
  delete ServerWebSocket.closed
  delete ServerWebSocket.isOpen
  delete ServerWebSocket.idOf

  // Ping and pong payloads as a fresh ArrayBuffer (Rust keeps at most 125 bytes, RFC 6455 5.5).
  const controlData = (data) => {
    if (data === undefined) return ownBuffer(new Uint8Array(0))
    const bytes = typeof data === 'string' ? bodyUtf8Encode(data) : bytesOf(data)
    return ownBuffer(bytes === undefined ? bodyUtf8Encode(toText(data)) : bytes)
  }

  // Sends to the subscribers of `topic` but `except`: the bytes sent to one, 0 when none, -1 if
  // any is backpressured.
  function publish(topic, message, except) {
    const set = topics.get(topic)
    if (set === undefined) return 0
    const list = [...set]
    let result = 0
    for (let i = 0; i < list.length; i++) {
      const ws = list[i]
      if (ws === except) continue
      const sent = ws.send(message)
      if (sent === -1) result = -1
      else if (result !== -1 && sent > 0) result = sent
    }
    return result
  }

  const server = ObjectFreeze({
    // Marks the request for a WebSocket upgrade. Native server: the 101 answer goes out once the
    // handler returns, whatever it returns (as in Bun). runtime.fetch: the host opens it with
    // dispatchWebSocketOpen(getUpgradeRequest().connectionId).
    upgrade(request, init = undefined) {
      if (!isRequest(request)) throw new TypeError('server.upgrade(request): request must be the Request passed to fetch')
      // Bun's check; a dispatched request may also come without the header, but not with
      // another protocol's (`Upgrade: h2c`).
      const upgrade = requestHeader(request, 'upgrade')
      const header = upgrade === null ? null : StringPrototypeToLowerCase(upgrade)
      if (header !== 'websocket' && !(header === null && dispatched.get(request) === true)) return false
      // A native request that is no valid HTTP/1.1 WebSocket handshake (or was upgraded already)
      // cannot be upgraded.
      const info = requestServerInfo(request)
      const native = info !== null
      if (native && info.upgrade !== true) return false
      const extra = init === undefined || init === null ? undefined : init.headers
      const headers = extra === undefined ? null : new Headers(extra)
      const data = init === undefined || init === null ? undefined : init.data
      const id = ReflectApply(randomUUID, cryptoObject, [])
      if (typeof id !== 'string') throw new TypeError('server.upgrade(request): could not make a connection id')
      if (headers !== null) upgradeHeaders.set(request, headers)
      upgrades.set(id, { __proto__: null, data })
      if (native) info.upgrade = id
      else natives.serveState(1, id)
      return true
    },
    // https://bun.sh/docs/api/websockets#pub-sub: to every subscriber of `topic`.
    publish(topic, message) {
      return publish(String(topic), message, null)
    },
    subscriberCount(topic) {
      const set = topics.get(String(topic))
      return set === undefined ? 0 : set.size
    },
    // The client's address, as Bun's server.requestIP(request); null when it is not known
    // (requests the host dispatches).
    requestIP(request) {
      const a = isRequest(request) ? requestServerInfo(request) : null
      return a === null ? null : { address: a.address, family: a.family, port: a.port }
    },
  })

  function serve(init) {
    if (init === null || typeof init !== 'object') {
      throw new TypeError('serve(options): options must be an object such as { fetch(request, server) { return new Response("hi") } }')
    }
    if (init.fetch !== undefined && typeof init.fetch !== 'function') throw new TypeError('serve(options): fetch must be a function')
    if (init.websocket !== undefined && (init.websocket === null || typeof init.websocket !== 'object')) {
      throw new TypeError('serve(options): websocket must be an object of handlers { open, message, close, error, drain }')
    }
    options = init
    natives.serveState(0)
    return server
  }
  define(global, 'serve', serve)

  // The module form: `export default { fetch(request, env, ctx), websocket }`.
  const previousModuleHook = internals.evalModuleEvaluated
  internals.evalModuleEvaluated = (namespace) => {
    previousModuleHook(namespace)
    let d
    try {
      d = namespace.default
    } catch {
      return
    }
    if (d !== null && typeof d === 'object' && typeof d.fetch === 'function') {
      moduleHandler = d
      natives.serveState(0)
    }
  }

  // The Service Worker form (https://w3c.github.io/ServiceWorker/#fetchevent-interface), as Workers
  // and Valor-style plug-ins use it.
  class FetchEvent extends EventCtor {
    #request
    #response = undefined
    #responded = false
    constructor(type, init) {
      super(type, init)
      const request = init === null || typeof init !== 'object' ? undefined : init.request
      if (!isRequest(request)) throw new TypeError("Failed to construct 'FetchEvent': init.request must be a Request")
      this.#request = request
    }
    get request() {
      return this.#request
    }
    respondWith(response) {
      if (this.#responded) throw new DOMException('respondWith() was already called', 'InvalidStateError')
      this.#responded = true
      this.#response = response
    }
    waitUntil(promise) {
      adopt(promise, () => {}, (error) => reportException(error))
    }
    passThroughOnException() {}
    static responseOf(event) {
      return event.#responded ? { __proto__: null, value: event.#response } : null
    }
  }
  const responseOf = FetchEvent.responseOf
  delete FetchEvent.responseOf
  internals.webidl(FetchEvent, 'FetchEvent')
  define(global, 'FetchEvent', FetchEvent)

  // Workers' `ctx`.
  const executionContext = ObjectFreeze({
    waitUntil(promise) {
      adopt(promise, () => {}, (error) => reportException(error))
    },
    passThroughOnException() {},
  })

  // Runs the handler, in order of precedence: serve(), a module's default export, the 'fetch'
  // event. Returns what it returned (a Response or a promise of one).
  function runHandler(request, remote) {
    if (options !== null) {
      const handler = options.fetch
      if (typeof handler !== 'function') throw new TypeError('serve() was called without a fetch handler')
      return ReflectApply(handler, options, [request, server])
    }
    if (moduleHandler !== null) {
      const handler = moduleHandler.fetch
      if (typeof handler !== 'function') throw new TypeError('the default export has no fetch handler')
      // Workers' `env` (no bindings here) whose prototype is Bun's `server` (upgrade, publish,
      // requestIP), so one file runs under either; Deno's `info.remoteAddr` too, not enumerable.
      const env = ObjectCreate(server)
      if (remote !== null) {
        ObjectDefineProperty(env, 'remoteAddr', { __proto__: null, value: { transport: 'tcp', hostname: remote.address, port: remote.port } })
      }
      return ReflectApply(handler, moduleHandler, [request, env, executionContext])
    }
    const event = new FetchEvent('fetch', { __proto__: null, request, cancelable: true })
    internals.dispatch(global, event)
    const response = responseOf(event)
    if (response === null) throw new Error('No serve() handler registered')
    return response.value
  }

  // --- dispatch ------------------------------------------------------------------------------------

  // A request body read from the host one chunk per pull, so the host sends no faster than the
  // handler reads.
  function requestBody(id) {
    return new ReadableStream(
      {
        __proto__: null,
        pull(controller) {
          return SafePromisePrototypeThen(hostAsync(OP_GLUE, 0, ['readBody', id]), (chunk) => {
            if (chunk === null) ReflectApply(controllerClose, controller, [])
            else if (isUint8Array(chunk)) ReflectApply(controllerEnqueue, controller, [chunk])
            else throw new TypeError('the host sent a request body chunk that is not bytes')
          })
        },
        cancel(reason) {
          return hostAsync(OP_GLUE, 0, ['cancelBody', id, reason === undefined ? '' : String(reason)])
        },
      },
      { __proto__: null, highWaterMark: 0 },
    )
  }

  // A native request's body, pulled from hyper (src/server/registry.rs) one chunk per read.
  function nativeBody(id) {
    return new ReadableStream(
      {
        __proto__: null,
        pull(controller) {
          return SafePromisePrototypeThen(natives.serveBodyPull(id), (chunk) => {
            if (chunk === null) ReflectApply(controllerClose, controller, [])
            else if (isUint8Array(chunk)) ReflectApply(controllerEnqueue, controller, [chunk])
            else throw new TypeError('a request body chunk is not bytes')
          })
        },
        cancel() {
          natives.serveBodyCancel(id)
        },
      },
      { __proto__: null, highWaterMark: 0 },
    )
  }

  // Headers cross as one string 'name\nvalue\n...' (see joinHeaders in src/host/glue.js): names are
  // tokens and values hold no CR, LF or NUL (the Headers class checked them).
  const joinHeaders = (list, out) => {
    for (let i = 0; i < list.length; i++) {
      const pair = list[i]
      const name = pair[0]
      const value = pair[1]
      if (typeof name !== 'string' || typeof value !== 'string') throw new TypeError('a response header is not a string')
      out = out === '' ? `${name}\n${value}` : `${out}\n${name}\n${value}`
    }
    return out
  }
  const splitHeaders = (joined) => {
    const pairs = []
    if (joined === '') return pairs
    let at = 0
    for (;;) {
      const a = StringPrototypeIndexOf(joined, '\n', at)
      if (a === -1) break
      const b = StringPrototypeIndexOf(joined, '\n', a + 1)
      const name = StringPrototypeSlice(joined, at, a)
      const value = b === -1 ? StringPrototypeSlice(joined, a + 1) : StringPrototypeSlice(joined, a + 1, b)
      pairs[pairs.length] = [name, value]
      if (b === -1) break
      at = b + 1
    }
    return pairs
  }

  // What the host gets for a response: [status, statusText, headers, kind, payload]; kind 0 no
  // body, 1 the bytes (payload), 2 a body to pull (payload: its id), 3 (native server only) a
  // string to send as UTF-8. Checked once more here, right before it crosses. The native server
  // (`native`: its request's ServerInfo was found) takes them as arguments of a native of its own,
  // src/web/serve/mod.rs (no array, no generic value conversion); `upgrade` is the connection id
  // of an upgraded request.
  function answerWith(id, native, status, statusText, headers, kind, payload, upgrade) {
    if (!NumberIsInteger(status) || status < 0 || status > 999) throw new TypeError('invalid response status')
    if (typeof statusText !== 'string' || typeof headers !== 'string') throw new TypeError('invalid response head')
    if (!((kind === 0 && payload === null) || (kind === 1 && isUint8Array(payload)) || (kind === 2 && NumberIsInteger(payload)) || (kind === 3 && typeof payload === 'string'))) {
      throw new TypeError('invalid response body')
    }
    if (native) natives.serveAnswer(id, status, headers, kind, payload, upgrade)
    else reply(id, [status, statusText, headers, kind, payload])
  }

  // The request's AbortSignal is made when first asked for (most handlers never look at it); an
  // abort before that is kept for it. A class, not a `{ __proto__: null }` literal (a
  // dictionary-mode object, slow to make on every request); its fields are own, so no accessor
  // on Object.prototype sees them.
  class AbortState {
    signal = null
    reason = undefined
  }
  // What the native server knows of a request's client (internals.requestServerInfo): its address,
  // and whether it may be upgraded (true), or was (its connection id).
  class ServerInfo {
    address = ''
    family = ''
    port = 0
    upgrade = false
  }

  function dispatch(id, args) {
    const did = args[0]
    const method = args[1]
    const url = args[2]
    const headers = args[3]
    const body = args[4]
    const aborted = args[5]
    // Native server: then address, family, port, upgradable.
    const native = typeof args[6] === 'string'
    if (typeof method !== 'string' || typeof url !== 'string' || typeof headers !== 'string' || !NumberIsInteger(body)) {
      throw new TypeError('dispatch: invalid request parts')
    }
    const abortState = new AbortState()
    if (aborted === true) abortState.reason = new DOMException('The request was aborted by the host', 'AbortError')
    // Registered for `abort` only while the answer is pending (no abort can come while the handler
    // runs): a request answered at once never touches the map, whose add and delete of one entry
    // reallocated its table every time (Runtime_MapShrink).
    let request = null
    const done = () => {
      dispatches.delete(did)
      if (request !== null) releaseBody(request)
    }
    // A native request's error goes to the console (the client gets a bare 500).
    const failed = (error) => {
      if (native) reportException(error)
      fail(id, error)
    }
    // True when the response's body is streamed: it keeps its request's signal until it ends.
    const answer = (response) => {
      let streaming = false
      try {
        streaming = respond(id, did, request, response)
      } catch (error) {
        failed(error)
      } finally {
        if (!streaming) done()
      }
      return streaming
    }
    let result
    try {
      const stream = body === 0 ? null : native ? nativeBody(body) : requestBody(body)
      const signal = () => dispatchSignal(abortState)
      let info = null
      if (native) {
        info = new ServerInfo()
        info.address = args[6]
        info.family = String(args[7])
        info.port = Number(args[8])
        info.upgrade = args[9] === true
        // Rust made the URL (serialized by the URL parser) and the header list (src/server/http.rs).
        request = requestFromServer(method, url, headers, stream, signal, info)
      } else {
        request = requestFromParts({ __proto__: null, method, url, headers: splitHeaders(headers), body: stream, signal })
        dispatched.set(request, true)
      }
      result = runHandler(request, info)
      // The native server answers a Response returned as is (no `then` of its own or inherited:
      // what `await` would look for, read once) to a request without a body now, as Deno.serve
      // does. Anything else is adopted as `await` would (a thenable's `then` is the handler's
      // own): a body the handler reads in a microtask it queued is not cancelled before, and the
      // host's dispatchRequest keeps its order (the answer after the handler's microtasks).
      if (native && body === 0 && isResponse(result)) {
        const then = result.then
        if (typeof then !== 'function') {
          if (answer(result)) dispatches.set(did, abortState)
          return
        }
        const response = result
        result = { __proto__: null, then: (onFulfilled, onRejected) => ReflectApply(then, response, [onFulfilled, onRejected]) }
      }
    } catch (error) {
      done()
      return failed(error)
    }
    dispatches.set(did, abortState)
    try {
      adopt(result, answer, (error) => {
        done()
        failed(error)
      })
    } catch (error) {
      done()
      failed(error)
    }
  }

  // String bodies up to this many UTF-16 units cross to Node as strings (dispatchRequest).
  const HOST_STRING_BODY = 64 * 1024
  // Answers dispatch `id` with `response`; true when its body is streamed (pulled later).
  function respond(id, did, request, response) {
    // Native server, upgraded: the 101 goes out whatever the handler returned (Bun ignores it).
    const info = requestServerInfo(request)
    const native = info !== null
    const upgraded = info === null ? undefined : info.upgrade
    if (typeof upgraded === 'string') {
      const extra = upgradeHeaders.get(request)
      answerWith(id, true, 101, 'Switching Protocols', extra === undefined ? '' : joinHeaders(internals.headersList(extra), ''), 0, null, upgraded)
      return false
    }
    if (!isResponse(response)) {
      throw new TypeError(`fetch handler did not return a Response object (got ${describe(response)})`)
    }
    // The Response's own state, not its (overridable) accessors. Marks the body used.
    const parts = responseParts(response)
    let joined = joinHeaders(parts.headers, '')
    // server.upgrade(request, { headers }) adds to the 101 answer, as Bun's does.
    const extra = upgradeHeaders.get(request)
    if (extra !== undefined && parts.status === 101) joined = joinHeaders(internals.headersList(extra), joined)
    const out = parts.body
    if (out === null) {
      answerWith(id, native, parts.status, parts.statusText, joined, 0, null)
      return false
    }
    if (typeof out === 'string') {
      // The string itself crosses (the native server's Rust, or Node's Response, encodes it as
      // UTF-8, lone surrogates as U+FFFD, as TextEncoder does): no Uint8Array made and copied.
      // A large one for the host is encoded here, where its copy is charged to the runtime's
      // memory limit before it is made.
      if (native || out.length <= HOST_STRING_BODY) answerWith(id, native, parts.status, parts.statusText, joined, 3, out)
      else answerWith(id, native, parts.status, parts.statusText, joined, 1, bodyUtf8Encode(out))
      return false
    }
    if (isUint8Array(out)) {
      answerWith(id, native, parts.status, parts.statusText, joined, 1, out)
      return false
    }
    // Only streams are pulled chunk by chunk (string and bytes bodies cross at once).
    const reader = readableStreamGetReader(out)
    const rid = nextResponse++
    responses.set(rid, { __proto__: null, reader, stream: out, dispatch: did, request })
    answerWith(id, native, parts.status, parts.statusText, joined, 2, rid)
    return true
  }

  // Once the answer is complete, a request body nobody started reading is cancelled, so the
  // host lets go of its stream instead of keeping it for a read that will not come.
  const releaseBody = (request) => cancelUnreadBody(request, 'the response was sent without reading the request body')

  function finishResponse(rid) {
    const entry = responses.get(rid)
    if (entry === undefined) return undefined
    responses.delete(rid)
    dispatches.delete(entry.dispatch)
    releaseBody(entry.request)
    return entry
  }

  function pull(id, args) {
    const rid = args[0]
    const entry = responses.get(rid)
    if (entry === undefined) return reply(id, null)
    readableStreamReaderRead(
      entry.reader,
      (chunk) => {
        const bytes = bytesOf(chunk)
        if (bytes !== undefined) return reply(id, bytes)
        finishResponse(rid)
        PromisePrototypeThen(readableStreamCancel(entry.stream, undefined), undefined, () => {})
        fail(id, new TypeError(`response body chunks must be Uint8Array (got ${describe(chunk)})`))
      },
      () => {
        finishResponse(rid)
        reply(id, null)
      },
      (error) => {
        finishResponse(rid)
        fail(id, error)
      },
    )
  }

  function cancel(id, args) {
    const entry = finishResponse(args[0])
    if (entry === undefined) return reply(id, null)
    SafePromisePrototypeThen(readableStreamCancel(entry.stream, args[1]), () => reply(id, null), (error) => fail(id, error))
  }

  function abort(id, args) {
    const state = dispatches.get(args[0])
    const reason = args[1]
    if (state !== undefined) {
      const error = new DOMException(typeof reason === 'string' && reason !== '' ? reason : 'The request was aborted by the host', 'AbortError')
      if (state.signal !== null) signalAbort(state.signal, error)
      else if (state.reason === undefined) state.reason = error
    }
    reply(id, null)
  }

  function dispatchSignal(state) {
    if (state.signal === null) {
      state.signal = createAbortSignal()
      if (state.reason !== undefined) signalAbort(state.signal, state.reason)
    }
    return state.signal
  }

  // --- WebSocket events --------------------------------------------------------------------------

  // Calls the serve() `websocket` handler `name` (as `handlers.name(...args)`), if there is one.
  const callHandler = (name, args) => {
    const handlers = options !== null ? options.websocket : moduleHandler !== null ? moduleHandler.websocket : undefined
    if (handlers === undefined || handlers === null) return undefined
    const f = handlers[name]
    if (f === undefined || f === null) return undefined
    return ReflectApply(f, handlers, args)
  }
  const connectionId = (cid) => {
    if (typeof cid !== 'string') throw new TypeError('invalid WebSocket connection id')
    return cid
  }
  const socket = (cid) => {
    const ws = sockets.get(connectionId(cid))
    // The id is the host's: a long one is cut so the message stays readable.
    if (ws === undefined) {
      const shown = cid.length > 64 ? StringPrototypeSlice(cid, 0, 64) + '...' : cid
      throw new Error(`No open WebSocket connection '${shown}': open it with dispatchWebSocketOpen first (or it has closed)`)
    }
    return ws
  }

  function wsOpen(id, args) {
    const cid = connectionId(args[0])
    const pending = upgrades.get(cid)
    if (pending === undefined) {
      throw new Error(`No pending WebSocket upgrade '${toText(cid)}': call server.upgrade(request) in the fetch handler first`)
    }
    upgrades.delete(cid)
    natives.serveState(3, cid)
    // The native server adds the client's address and the negotiated subprotocol.
    const ws = new ServerWebSocket(CONSTRUCT, cid, pending.data, args[1], args[2])
    sockets.set(cid, ws)
    natives.serveState(2, sockets.size)
    replyWhenDone(id, callHandler('open', [ws]))
  }

  function wsMessage(id, args) {
    const data = args[1]
    if (typeof data !== 'string' && !isArrayBuffer(data)) throw new TypeError('dispatchWebSocketMessage: data must be a string or bytes')
    replyWhenDone(id, callHandler('message', [socket(args[0]), data]))
  }

  function wsClose(id, args) {
    const cid = connectionId(args[0])
    const ws = socket(cid)
    sockets.delete(cid)
    natives.serveState(2, sockets.size)
    closed(ws)
    replyWhenDone(id, callHandler('close', [ws, args[1], args[2]]))
  }

  // The native server could not complete an upgrade: forget it.
  function wsCancel(id, args) {
    upgrades.delete(connectionId(args[0]))
    reply(id, null)
  }

  function wsPing(id, args) {
    replyWhenDone(id, callHandler('ping', [socket(args[0]), args[1]]))
  }

  function wsPong(id, args) {
    replyWhenDone(id, callHandler('pong', [socket(args[0]), args[1]]))
  }

  function wsError(id, args) {
    replyWhenDone(id, callHandler('error', [socket(args[0]), args[1]]))
  }

  // The host (or, with a connection id, a native connection) caught up with the commands: Bun's
  // `drain(ws)` for each socket that saw -1.
  function wsDrain(id, args) {
    const cid = args === undefined ? undefined : args[0]
    const all = [...draining]
    const waiting = []
    for (let i = 0; i < all.length; i++) {
      const ws = all[i]
      const native = natives.serveBuffered(socketId(ws)) >= 0
      if (cid === undefined ? !native : socketId(ws) === cid) {
        draining.delete(ws)
        waiting[waiting.length] = ws
      }
    }
    for (let i = 0; i < waiting.length; i++) {
      const ws = waiting[i]
      if (!isOpen(ws)) continue
      try {
        callHandler('drain', [ws])
      } catch (error) {
        reportException(error)
      }
    }
    reply(id, null)
  }

  // For the areas after this one (egress.js, src/wire.js) that answer host operations too: they
  // add them to this table, which the one `internals.host` below dispatches.
  internals.hostReply = reply
  internals.hostFail = fail

  const ops = { __proto__: null, dispatch, pull, cancel, abort, wsOpen, wsMessage, wsClose, wsError, wsDrain, wsCancel, wsPing, wsPong }
  internals.addHostOps = (more) => {
    for (const name in more) ops[name] = more[name]
  }
  internals.host = function host(op, id, args) {
    const f = ops[op]
    try {
      if (f === undefined) throw new TypeError(`unknown host operation ${toText(op)}`)
      f(id, args)
    } catch (error) {
      fail(id, error)
    }
  }
})
