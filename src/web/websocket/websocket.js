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

  const sockets = new SafeMap() // id -> WebSocket, while not closed: its events must reach it
  let deliver // set in the class's static block

  class WebSocket extends EventTarget {
    #id = 0
    #url
    #origin
    #state = CONNECTING
    #protocol = ''
    #extensions = ''
    #binaryType = 'blob'
    #buffered = 0

    constructor(url, protocols = []) {
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'WebSocket': 1 argument required, but only 0 present.")
      }
      super()
      // https://websockets.spec.whatwg.org/#dom-websocket-websocket
      const input = usv(url)
      // Parsed with the API base URL (the runtime's `location` option), as the spec's step 2 says.
      let href = parseAPIURL(input)
      if (href === null) throw new DOMException(`Failed to construct 'WebSocket': The URL '${input}' is invalid.${noBaseHint(input)}`, 'SyntaxError')
      const scheme = StringPrototypeSlice(href, 0, StringPrototypeIndexOf(href, ':'))
      if (scheme === 'http') href = 'ws' + StringPrototypeSlice(href, 4)
      else if (scheme === 'https') href = 'wss' + StringPrototypeSlice(href, 5)
      else if (scheme !== 'ws' && scheme !== 'wss') {
        throw new DOMException(
          `Failed to construct 'WebSocket': The URL's scheme must be either 'http', 'https', 'ws', or 'wss'. '${scheme}' is not allowed.`,
          'SyntaxError',
        )
      }
      // After parsing, '#' only ever starts the fragment (an empty one too).
      const hash = StringPrototypeIndexOf(href, '#')
      if (hash !== -1) {
        throw new DOMException(
          `Failed to construct 'WebSocket': The URL contains a fragment identifier ('${StringPrototypeSlice(href, hash + 1)}'). Fragment identifiers are not allowed in WebSocket URLs.`,
          'SyntaxError',
        )
      }
      // (DOMString or sequence<DOMString>)
      // (The sequence is read with its own iterator, as WebIDL says.)
      let list
      if (isObject(protocols)) {
        if (typeof protocols[SymbolIterator] !== 'function') {
          throw new TypeError("Failed to construct 'WebSocket': The provided value cannot be converted to a sequence.")
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
        if (typeof p !== 'string' || !isToken(p)) throw new DOMException(`Failed to construct 'WebSocket': The subprotocol '${p}' is invalid.`, 'SyntaxError')
        const key = StringPrototypeToLowerCase(p)
        if (seen.has(key)) throw new DOMException(`Failed to construct 'WebSocket': The subprotocol '${p}' is duplicated.`, 'SyntaxError')
        seen.add(key)
        ArrayPrototypePush(offered, p)
      }
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
      deliver = (id, kind, a, b, c) => {
        const ws = sockets.get(id)
        if (ws === undefined) return
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
})
