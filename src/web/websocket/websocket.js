// WebSocket (https://websockets.spec.whatwg.org/#the-websocket-interface)
//
// The connection lives in Rust (src/web/websocket/): natives.wsOpen registers it and asks the
// host's `webSocket` callback (or the `network` option) whether and how to connect; every event
// comes back as a task calling `deliver(id, kind, a, b, c)`.
//
// Tamper-proof (see src/runtime/primordials.js): intrinsics captured at install; the natives get
// strings, numbers and buffers checked here; event inits have no prototype.
(function (global, natives, internals) {
  'use strict'
  const {
    ArrayBufferIsView, ArrayBufferPrototypeGetByteLength, ArrayFrom, DataViewPrototypeGetByteLength, MathFloor, MathMax, MathMin,
    Number, NumberIsInteger, NumberIsNaN, SafeMap, SafePromisePrototypeThen, SafeSet,
    SharedArrayBuffer, StringPrototypeCharCodeAt, StringPrototypeIndexOf, StringPrototypeSlice, StringPrototypeToWellFormed,
    SymbolIterator, TypeError, TypedArrayPrototypeGetByteLength, TypedArrayPrototypeGetSymbolToStringTag, Uint8Array,
    uncurryThis, ObjectGetOwnPropertyDescriptor, StringPrototypeToLowerCase, ArrayPrototypePush,
    ReflectApply, NumberIsFinite, MathTrunc, SafeArrayCopy, Promise,
  } = internals.primordials
  const { DOMException, dispatch, defineEventHandler, blobFromBytes, blobBytes, isBlob, parseAPIURL, noBaseHint, define, webidl } = internals
  const EventTarget = global.EventTarget
  const Event = global.Event
  const MessageEvent = global.MessageEvent
  const CloseEvent = global.CloseEvent
  const URL = global.URL
  const urlOrigin = uncurryThis(ObjectGetOwnPropertyDescriptor(URL.prototype, 'origin').get)
  const sharedByteLength = SharedArrayBuffer === undefined ? undefined : uncurryThis(ObjectGetOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength').get)
  const { wsOpen, wsDecide, wsSend, wsClose } = natives

  const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3
  const usv = (v) => {
    if (typeof v === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string')
    return StringPrototypeToWellFormed(`${v}`)
  }
  const domString = (v) => {
    if (typeof v === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string')
    return `${v}`
  }
  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function'
  const utf8Length = (s) => {
    let n = 0
    for (let i = 0; i < s.length; i++) {
      const c = StringPrototypeCharCodeAt(s, i)
      if (c < 0x80) n += 1
      else if (c < 0x800) n += 2
      else if (c >= 0xd800 && c <= 0xdbff) (n += 4), i++ // a pair (the string is well-formed)
      else n += 3
    }
    return n
  }
  // https://httpwg.org/specs/rfc9110.html#tokens
  const TOKEN_CHARS = new Uint8Array(128)
  for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1
  const isToken = (s) => {
    if (s.length === 0) return false
    for (let i = 0; i < s.length; i++) {
      const c = StringPrototypeCharCodeAt(s, i)
      if (c >= 128 || TOKEN_CHARS[c] === 0) return false
    }
    return true
  }
  // The byte length of what send() may be given (ArrayBuffer, SharedArrayBuffer or a view), or -1.
  const byteLengthOf = (v) => {
    if (typeof v !== 'object' || v === null) return -1
    if (TypedArrayPrototypeGetSymbolToStringTag(v) !== undefined) return TypedArrayPrototypeGetByteLength(v)
    if (ArrayBufferIsView(v)) return DataViewPrototypeGetByteLength(v)
    try {
      return ArrayBufferPrototypeGetByteLength(v)
    } catch {}
    if (sharedByteLength !== undefined) {
      try {
        return sharedByteLength(v)
      } catch {}
    }
    return -1
  }
  // WebIDL [Clamp] unsigned short.
  const clampUint16 = (v) => {
    let x = Number(v)
    if (NumberIsNaN(x)) return 0
    x = MathMin(MathMax(x, 0), 65535)
    const f = MathFloor(x)
    const r = x - f
    return r > 0.5 || (r === 0.5 && f % 2 === 1) ? f + 1 : f
  }

  // https://websockets.spec.whatwg.org/#dom-websocket-websocket steps 1-8, shared with
  // WebSocketStream: the URL (with the API base URL) and the subprotocols -> [href, offered].
  const checkArguments = (url, protocols, what) => {
    const input = usv(url)
    // Parsed with the API base URL (the runtime's `location` option), as the spec's step 2 says.
    let href = parseAPIURL(input)
    if (href === null) throw new DOMException(`Failed to ${what}: The URL '${input}' is invalid.${noBaseHint(input)}`, 'SyntaxError')
    const scheme = StringPrototypeSlice(href, 0, StringPrototypeIndexOf(href, ':'))
    if (scheme === 'http') href = 'ws' + StringPrototypeSlice(href, 4)
    else if (scheme === 'https') href = 'wss' + StringPrototypeSlice(href, 5)
    else if (scheme !== 'ws' && scheme !== 'wss') {
      throw new DOMException(
        `Failed to ${what}: The URL's scheme must be either 'http', 'https', 'ws', or 'wss'. '${scheme}' is not allowed.`,
        'SyntaxError',
      )
    }
    // After parsing, '#' only ever starts the fragment (an empty one too).
    const hash = StringPrototypeIndexOf(href, '#')
    if (hash !== -1) {
      throw new DOMException(
        `Failed to ${what}: The URL contains a fragment identifier ('${StringPrototypeSlice(href, hash + 1)}'). Fragment identifiers are not allowed in WebSocket URLs.`,
        'SyntaxError',
      )
    }
    // (DOMString or sequence<DOMString>)
    // (The sequence is read with its own iterator, as WebIDL says.)
    let list
    if (isObject(protocols)) {
      if (typeof protocols[SymbolIterator] !== 'function') {
        throw new TypeError(`Failed to ${what}: The provided value cannot be converted to a sequence.`)
      }
      list = ArrayFrom(protocols, domString)
    } else {
      list = [domString(protocols)]
    }
    // Subprotocols are ASCII tokens, compared ASCII case-insensitively (RFC 6455 §4.1 via
    // https://websockets.spec.whatwg.org/#dom-websocket-websocket step 8).
    const seen = new SafeSet()
    const offered = []
    for (let i = 0; i < list.length; i++) {
      const p = list[i]
      if (typeof p !== 'string' || !isToken(p)) throw new DOMException(`Failed to ${what}: The subprotocol '${p}' is invalid.`, 'SyntaxError')
      const key = StringPrototypeToLowerCase(p)
      if (seen.has(key)) throw new DOMException(`Failed to ${what}: The subprotocol '${p}' is duplicated.`, 'SyntaxError')
      seen.add(key)
      ArrayPrototypePush(offered, p)
    }
    return [href, offered]
  }

  const sockets = new SafeMap() // id -> WebSocket, while not closed: its events must reach it
  let deliver // set in the class's static block
  let observe, sendCounted // for WebSocketStream: set in the class's static block

  class WebSocket extends EventTarget {
    #id = 0
    #url
    #origin
    #state = CONNECTING
    #protocol = ''
    #extensions = ''
    #binaryType = 'blob'
    #buffered = 0
    #observer = null // a WebSocketStream's: gets (kind, a, b, c) instead of events being fired

    constructor(url, protocols = []) {
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'WebSocket': 1 argument required, but only 0 present.")
      }
      super()
      // https://websockets.spec.whatwg.org/#dom-websocket-websocket
      const { 0: href, 1: offered } = checkArguments(url, protocols, "construct 'WebSocket'")
      this.#url = href
      this.#origin = urlOrigin(new URL(href))
      // The native reads a fresh array of checked strings.
      // The handshake's Origin: the runtime's (its `location` option), when it has one.
      const opened = wsOpen(href, offered, deliver, internals.locationOrigin?.() ?? null)
      const id = opened[0]
      const decision = opened[1]
      if (!NumberIsInteger(id)) throw new TypeError("Failed to construct 'WebSocket': the connection could not be registered.")
      this.#id = id
      sockets.set(id, this)
      // The host's verdict; a callback that throws or rejects blocks the connection.
      if (decision !== undefined) {
        SafePromisePrototypeThen(decision, (d) => wsDecide(id, typeof d === 'string' ? d : 'blocked'), () => wsDecide(id, 'blocked'))
      }
    }

    get url() { return this.#url }
    get readyState() { return this.#state }
    get bufferedAmount() { return this.#buffered }
    get extensions() { return this.#extensions }
    get protocol() { return this.#protocol }
    get binaryType() { return this.#binaryType }
    set binaryType(v) {
      this.#binaryType // brand check
      v = domString(v)
      // An enumerated attribute: other values are ignored.
      if (v === 'blob' || v === 'arraybuffer') this.#binaryType = v
    }

    // https://websockets.spec.whatwg.org/#dom-websocket-close
    close(code = undefined, reason = undefined) {
      this.#state // brand check
      if (code !== undefined) {
        code = clampUint16(code)
        if (code !== 1000 && !(code >= 3000 && code <= 4999)) {
          throw new DOMException(
            `Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`,
            'InvalidAccessError',
          )
        }
      }
      if (reason !== undefined) {
        reason = usv(reason)
        if (utf8Length(reason) > 123) {
          throw new DOMException("Failed to execute 'close' on 'WebSocket': The close reason must not be greater than 123 UTF-8 bytes.", 'SyntaxError')
        }
      }
      if (this.#state === CLOSING || this.#state === CLOSED) return
      // Not yet open (as this script sees it, even if the network already is): the connection
      // fails (error, then close 1006); else the closing handshake starts.
      const abort = this.#state === CONNECTING
      this.#state = CLOSING
      wsClose(this.#id, abort ? -2 : code === undefined ? -1 : code, reason ?? '')
    }

    // https://websockets.spec.whatwg.org/#dom-websocket-send
    send(data) {
      if (arguments.length < 1) {
        throw new TypeError("Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.")
      }
      if (this.#state === CONNECTING) {
        throw new DOMException("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", 'InvalidStateError')
      }
      let payload
      let size = byteLengthOf(data)
      if (size !== -1) payload = data
      else if (isBlob(data)) {
        payload = blobBytes(data)
        size = TypedArrayPrototypeGetByteLength(payload)
      } else {
        payload = usv(data)
        size = -1
      }
      if (this.#state !== OPEN) {
        // Closing or closed: not sent, but counted (the spec's way to show it was not).
        this.#buffered += size === -1 ? utf8Length(payload) : size
        return
      }
      // A string, or a buffer or view checked above (the native copies its bytes).
      const sent = wsSend(this.#id, payload)
      this.#buffered += typeof sent === 'number' ? sent : 0
    }

    static {
      observe = (ws, fn) => {
        ws.#observer = fn
        ws.#binaryType = 'arraybuffer'
      }
      // send() that returns the bytes queued (what "bytes written" events later count down).
      sendCounted = (ws, payload) => {
        const before = ws.#buffered
        ReflectApply(send, ws, [payload])
        return ws.#buffered - before
      }
      deliver = (id, kind, a, b, c) => {
        const ws = sockets.get(id)
        if (ws === undefined) return
        const observer = ws.#observer
        if (observer !== null) {
          if (kind === 0 && ws.#state !== CONNECTING) return
          if ((kind === 1 || kind === 2) && ws.#state !== OPEN) return
          if (kind === 0) (ws.#state = OPEN), (ws.#protocol = a), (ws.#extensions = b)
          else if (kind === 3) ws.#buffered = MathMax(0, ws.#buffered - a)
          else if (kind === 4 && ws.#state === OPEN) ws.#state = CLOSING
          else if (kind === 5) sockets.delete(id), (ws.#state = CLOSED)
          observer(kind, a, b, c)
          return
        }
        switch (kind) {
          case 0: // open
            if (ws.#state !== CONNECTING) return
            ws.#state = OPEN
            ws.#protocol = a
            ws.#extensions = b
            dispatch(ws, new Event('open'))
            return
          case 1: // text
          case 2: { // binary (an ArrayBuffer)
            if (ws.#state !== OPEN) return
            let data = a
            if (kind === 2 && ws.#binaryType === 'blob') data = blobFromBytes(new Uint8Array(a), '')
            dispatch(ws, new MessageEvent('message', { __proto__: null, data, origin: ws.#origin }))
            return
          }
          case 3: // bytes written
            ws.#buffered = MathMax(0, ws.#buffered - a)
            return
          case 4: // the peer started the closing handshake
            if (ws.#state === OPEN) ws.#state = CLOSING
            return
          case 5: { // closed; c: 1 clean, 2 failed
            sockets.delete(id)
            ws.#state = CLOSED
            if (c & 2) dispatch(ws, new Event('error'))
            dispatch(ws, new CloseEvent('close', { __proto__: null, wasClean: (c & 1) !== 0, code: a, reason: b }))
            return
          }
        }
      }
    }
  }

  const send = WebSocket.prototype.send
  const close = WebSocket.prototype.close
  webidl(WebSocket, 'WebSocket')
  for (const name of ['onopen', 'onerror', 'onclose', 'onmessage']) defineEventHandler(WebSocket.prototype, name)
  // WebIDL constants: read-only, on the interface object and the prototype.
  const constants = { CONNECTING, OPEN, CLOSING, CLOSED }
  for (const target of [WebSocket, WebSocket.prototype]) {
    for (const [name, value] of Object.entries(constants)) {
      Object.defineProperty(target, name, { value, writable: false, enumerable: true, configurable: false })
    }
  }
  define(global, 'WebSocket', WebSocket)

  // --- WebSocketStream and WebSocketError (tentative): https://websockets.spec.whatwg.org/#the-websocketstream-interface
  // A WebSocket the script never sees carries the connection; its events come here (observe)
  // instead of being fired, and become the streams' chunks, errors and the two promises.
  const ReadableStream = global.ReadableStream
  const WritableStream = global.WritableStream
  const { isAbortSignal, addAbortAlgorithm } = internals
  const abortReason = uncurryThis(ObjectGetOwnPropertyDescriptor(global.AbortSignal.prototype, 'reason').get)
  const abortAborted = uncurryThis(ObjectGetOwnPropertyDescriptor(global.AbortSignal.prototype, 'aborted').get)
  const noop = () => {}
  const deferred = () => {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    // Nobody need listen: a rejection here is no unhandled one.
    SafePromisePrototypeThen(promise, undefined, noop)
    return { promise, resolve, reject }
  }
  // Web IDL WebSocketCloseInfo ({ [EnforceRange] unsigned short closeCode; USVString reason = "" }),
  // then the checks of https://websockets.spec.whatwg.org/#validate-close-code-and-reason.
  const closeInfoOf = (v, what) => {
    if (v !== undefined && v !== null && !isObject(v)) throw new TypeError(`Failed to ${what}: The provided value is not of type 'WebSocketCloseInfo'.`)
    let code = v === undefined || v === null ? undefined : v.closeCode
    const r = v === undefined || v === null ? undefined : v.reason
    if (code !== undefined) {
      const n = Number(code)
      if (!NumberIsFinite(n) || MathTrunc(n) < 0 || MathTrunc(n) > 65535) {
        throw new TypeError(`Failed to ${what}: Value is outside the 'unsigned short' value range.`)
      }
      code = MathTrunc(n)
    }
    const reason = r === undefined ? '' : usv(r)
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(`Failed to ${what}: The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError')
    }
    if (utf8Length(reason) > 123) throw new DOMException(`Failed to ${what}: The close reason must not be greater than 123 UTF-8 bytes.`, 'SyntaxError')
    return { code: code === undefined ? (reason === '' ? null : 1000) : code, reason }
  }

  let errorInfo, newWebSocketError
  class WebSocketError extends DOMException {
    #closeCode
    #reason
    constructor(message = '', init = undefined) {
      message = domString(message)
      const info = closeInfoOf(init, "construct 'WebSocketError'")
      super(message, 'WebSocketError')
      this.#closeCode = info.code
      this.#reason = info.reason
    }
    get closeCode() { return this.#closeCode }
    get reason() { return this.#reason }
    static {
      errorInfo = (e) => (isObject(e) && #closeCode in e ? { code: e.#closeCode, reason: e.#reason } : null)
      // Made by the platform: the code is what the connection closed with (1006 too).
      newWebSocketError = (message, code, reason) => {
        const e = new WebSocketError(message)
        e.#closeCode = code
        e.#reason = reason
        return e
      }
    }
  }
  webidl(WebSocketError, 'WebSocketError')

  class WebSocketStream {
    #url
    #opened = deferred()
    #closed = deferred()
    #ws = null
    #readable = null // its controller
    #writable = null // its controller
    #closing = null // the writable's close(): resolved when the connection is closed
    #writes = [] // [bytes queued before it and by it, resolve, reject] of sends not written yet
    #written = 0
    #queued = 0
    constructor(url, options = undefined) {
      const what = "construct 'WebSocketStream'"
      if (arguments.length < 1) throw new TypeError(`Failed to ${what}: 1 argument required, but only 0 present.`)
      // WebSocketStreamOptions { sequence<USVString> protocols; AbortSignal signal; }
      if (options !== undefined && options !== null && !isObject(options)) {
        throw new TypeError(`Failed to ${what}: The provided value is not of type 'WebSocketStreamOptions'.`)
      }
      let protocols = options === undefined || options === null ? undefined : options.protocols
      const signal = options === undefined || options === null ? undefined : options.signal
      if (protocols !== undefined && !(isObject(protocols) && typeof protocols[SymbolIterator] === 'function')) {
        throw new TypeError(`Failed to ${what}: The provided value cannot be converted to a sequence.`)
      }
      if (signal !== undefined && !isAbortSignal(signal)) throw new TypeError(`Failed to ${what}: member signal is not of type 'AbortSignal'.`)
      const { 0: href, 1: offered } = checkArguments(url, protocols === undefined ? [] : protocols, what)
      this.#url = href
      if (signal !== undefined && abortAborted(signal)) {
        const reason = abortReason(signal)
        this.#opened.reject(reason)
        this.#closed.reject(reason)
        return
      }
      const ws = new WebSocket(href, offered)
      this.#ws = ws
      observe(ws, (kind, a, b, c) => this.#event(kind, a, b, c))
      if (signal !== undefined) {
        addAbortAlgorithm(signal, () => {
          // Only the handshake can be aborted; an open connection stays as it is.
          if (this.#readable !== null || this.#ws === null) return
          const reason = abortReason(signal)
          this.#opened.reject(reason)
          this.#closed.reject(reason)
          ReflectApply(close, ws, [])
        })
      }
    }
    get url() { return this.#url }
    get opened() { return this.#opened.promise }
    get closed() { return this.#closed.promise }
    close(closeInfo = undefined) {
      const info = closeInfoOf(closeInfo, "execute 'close' on 'WebSocketStream'")
      this.#close(info.code, info.reason)
    }
    #close(code, reason) {
      if (this.#ws === null) return
      ReflectApply(close, this.#ws, code === null ? [] : [code, reason])
    }
    // abort(reason) / cancel(reason): a WebSocketError's code and reason, else none.
    #closeWith(e) {
      const info = errorInfo(e)
      this.#close(info === null ? null : info.code, info === null ? '' : info.reason)
    }
    #write(chunk) {
      let payload
      if (typeof chunk === 'string') payload = chunk
      else if (byteLengthOf(chunk) !== -1) payload = chunk
      else throw new TypeError("Failed to write to the WebSocketStream: the chunk is neither a string nor a BufferSource.")
      const n = sendCounted(this.#ws, payload)
      if (n <= 0) return undefined
      // Settles once the connection wrote it: backpressure for the writer.
      this.#queued += n
      const d = deferred()
      ArrayPrototypePush(this.#writes, [this.#queued, d.resolve, d.reject])
      return d.promise
    }
    #event(kind, a, b, c) {
      switch (kind) {
        case 0: { // open: a protocol, b extensions
          const readable = new ReadableStream({
            __proto__: null,
            start: (controller) => { this.#readable = controller },
            cancel: (reason) => this.#closeWith(reason),
          })
          const writable = new WritableStream({
            __proto__: null,
            start: (controller) => { this.#writable = controller },
            write: (chunk) => this.#write(chunk),
            close: () => {
              this.#closing = deferred()
              this.#close(null, '')
              return this.#closing.promise
            },
            abort: (reason) => this.#closeWith(reason),
          })
          this.#opened.resolve({ readable, writable, extensions: b, protocol: a })
          return
        }
        case 1: // text
        case 2: // binary: an ArrayBuffer
          try { this.#readable.enqueue(kind === 1 ? a : new Uint8Array(a)) } catch {}
          return
        case 3: { // bytes written
          this.#written += a
          const writes = this.#writes
          let i = 0
          while (i < writes.length && writes[i][0] <= this.#written) writes[i++][1]()
          if (i > 0) this.#writes = SafeArrayCopy(writes, i)
          return
        }
        case 5: { // closed: a code, b reason, c: 1 clean, 2 failed
          this.#ws = null
          const clean = (c & 1) !== 0
          if (clean) {
            const info = { closeCode: a, reason: b }
            this.#closed.resolve(info)
            try { this.#readable?.close() } catch {}
            const e = new DOMException('The WebSocket connection is closed.', 'InvalidStateError')
            try { this.#writable?.error(e) } catch {}
            for (let i = 0; i < this.#writes.length; i++) this.#writes[i][2](e)
            this.#closing?.resolve()
          } else {
            const e = newWebSocketError('The WebSocket connection was closed uncleanly.', a === 1005 ? 1006 : a, b)
            this.#opened.reject(e)
            this.#closed.reject(e)
            try { this.#readable?.error(e) } catch {}
            try { this.#writable?.error(e) } catch {}
            for (let i = 0; i < this.#writes.length; i++) this.#writes[i][2](e)
            this.#closing?.reject(e)
          }
          this.#writes = []
        }
      }
    }
  }
  webidl(WebSocketStream, 'WebSocketStream')
  define(global, 'WebSocketStream', WebSocketStream)
  define(global, 'WebSocketError', WebSocketError)
})
