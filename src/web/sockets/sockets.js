// Raw TCP sockets: `connect()` of the `cloudflare:sockets` API
// (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/), the module
// `edge-isolate:sockets` (alias `cloudflare:sockets`) exporting `connect` and `SocketError`.
//
// A socket is one of (src/web/sockets/mod.rs):
//   native   a tokio task under the `network` policy; its events come as `dispatch(id, kind, a, b)`
//            tasks; bytes read wait in `#pending` until the script reads them, and each read
//            gives their bytes back to the task's window (`sockAck`): the peer is read only as
//            fast as the script consumes.
//   bridged  a duplex the host's `onConnect` returned, driven through the host glue
//            (src/host/glue.js): reads pull one chunk per read, writes settle once the host
//            socket took the bytes.
// Errors are SocketErrors with a `code` (ERR_POLICY, ERR_DNS, ERR_CONNECT, ERR_TLS, ERR_TIMEOUT,
// ERR_RESET, ERR_LIMIT, ERR_CLOSED, ERR_MEMORY); they reject `opened` and `closed` and error both
// streams. Input errors are TypeErrors/RangeErrors thrown by connect() with workerd's messages.
//
// Tamper-proof (see src/runtime/primordials.js): intrinsics and stream controller methods
// captured at install; option bags and strategies have no prototype.
(function (global, natives, internals) {
  'use strict'
  const {
    ArrayBufferIsView, ArrayBufferPrototypeGetByteLength, ArrayIsArray, DataViewPrototypeGetBuffer, DataViewPrototypeGetByteLength,
    DataViewPrototypeGetByteOffset, Error, NumberIsInteger, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, Promise, PromisePrototypeThen,
    PromiseReject, PromiseResolve, PromisePrototypeMarkHandled, RangeError, ReflectDeleteProperty, SafeMap, String, StringPrototypeCharCodeAt, StringPrototypeIndexOf,
    StringPrototypeLastIndexOf, StringPrototypeSlice, TypeError, TypedArrayPrototypeGetBuffer, TypedArrayPrototypeGetByteLength,
    TypedArrayPrototypeGetByteOffset, TypedArrayPrototypeGetSymbolToStringTag, Uint8Array, uncurryThis,
  } = internals.primordials
  const { WritableStream, hostAsync, byteStreamEnqueueOwned, readableByteStream } = internals
  const { sockExports, sockOpen, sockDecide, sockWrite, sockShutdown, sockClose, sockAck, sockStartTls, sockForget } = natives
  const OP_GLUE = 5
  // The most one write hands to the socket at a time: a huge chunk goes in slices, so that no
  // more than this is ever copied out of the script's memory at once.
  const WRITE_SLICE = 1 << 20

  const method = (C, name) => uncurryThis(ObjectGetOwnPropertyDescriptor(C.prototype, name).value)
  const getter = (C, name) => uncurryThis(ObjectGetOwnPropertyDescriptor(C.prototype, name).get)
  const byteController = global.ReadableByteStreamController
  const rcEnqueue = method(byteController, 'enqueue')
  const rcClose = method(byteController, 'close')
  const rcError = method(byteController, 'error')
  const rcByobRequest = getter(byteController, 'byobRequest')
  const byobRespond = method(global.ReadableStreamBYOBRequest, 'respond')
  const wcError = method(global.WritableStreamDefaultController, 'error')
  const encoder = new global.TextEncoder()
  const encode = method(global.TextEncoder, 'encode')

  const then = (p, ok, fail) => PromisePrototypeThen(p, ok, fail)
  const ignore = () => {}
  const glue = (name, args) => {
    const all = [name]
    for (let i = 0; i < args.length; i++) all[i + 1] = args[i]
    return hostAsync(OP_GLUE, 0, all)
  }
  const deferred = () => {
    let resolve, reject
    const promise = new Promise((res, rej) => {
      resolve = res
      reject = rej
    })
    PromisePrototypeMarkHandled(promise)
    return { promise, resolve, reject, settled: false }
  }
  const settle = (d, ok, value) => {
    if (d.settled) return
    d.settled = true
    if (ok) d.resolve(value)
    else d.reject(value)
  }

  class SocketError extends Error {
    constructor(message = '', code = 'ERR_SOCKET') {
      super(message)
      ObjectDefineProperty(this, 'code', { __proto__: null, value: `${code}`, writable: true, configurable: true })
    }
  }
  ObjectDefineProperty(SocketError.prototype, 'name', { __proto__: null, value: 'SocketError', writable: true, configurable: true })
  // [code, message] from Rust or the glue, or an Error the host threw.
  const socketError = (failure) => {
    if (ArrayIsArray(failure) && failure.length === 2) return new SocketError(`${failure[1]}`, `${failure[0]}`)
    if (failure instanceof SocketError) return failure
    const message = failure !== null && typeof failure === 'object' && typeof failure.message === 'string' ? failure.message : `${failure}`
    return new SocketError(message, 'ERR_RESET')
  }
  const refused = (why) => new SocketError(`proxy request failed, cannot connect to the specified address (${why})`, 'ERR_POLICY')

  // Any chunk the writable accepts, as a Uint8Array over the same bytes (strings: UTF-8).
  function bytesOf(chunk) {
    if (typeof chunk === 'string') return encode(encoder, chunk)
    if (typeof chunk === 'object' && chunk !== null) {
      const tag = TypedArrayPrototypeGetSymbolToStringTag(chunk)
      // Already what the natives take: no new view per write.
      if (tag === 'Uint8Array') return chunk
      if (tag !== undefined) {
        return new Uint8Array(TypedArrayPrototypeGetBuffer(chunk), TypedArrayPrototypeGetByteOffset(chunk), TypedArrayPrototypeGetByteLength(chunk))
      }
      if (ArrayBufferIsView(chunk)) {
        return new Uint8Array(DataViewPrototypeGetBuffer(chunk), DataViewPrototypeGetByteOffset(chunk), DataViewPrototypeGetByteLength(chunk))
      }
      let n = -1
      try {
        n = ArrayBufferPrototypeGetByteLength(chunk)
      } catch {}
      if (n >= 0) return new Uint8Array(chunk, 0, n)
    }
    throw new TypeError("The socket's writable stream accepts Uint8Array (or other views), ArrayBuffer and string chunks")
  }

  const isDigits = (s) => {
    if (s.length === 0 || s.length > 5) return false
    for (let i = 0; i < s.length; i++) {
      const c = StringPrototypeCharCodeAt(s, i)
      if (c < 48 || c > 57) return false
    }
    return true
  }
  const describe = (v) => (typeof v === 'string' ? `'${v}'` : typeof v === 'symbol' ? 'a symbol' : `${v}`)
  const checkPort = (port, raw) => {
    if (!NumberIsInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`Specified address has an invalid port: ${describe(raw)} (a port is an integer from 1 to 65535)`)
    }
    return port
  }

  // 'host:port' (IPv6 as '[::1]:5432') or { hostname, port } -> [hostname, port].
  function parseAddress(address) {
    if (typeof address === 'string') {
      let host, portText
      if (address.length > 0 && StringPrototypeCharCodeAt(address, 0) === 91 /* [ */) {
        const end = StringPrototypeIndexOf(address, ']')
        if (end < 0) throw new TypeError('Specified address could not be parsed.')
        host = StringPrototypeSlice(address, 0, end + 1)
        const rest = StringPrototypeSlice(address, end + 1)
        if (rest.length > 0 && StringPrototypeCharCodeAt(rest, 0) !== 58 /* : */) throw new TypeError('Specified address could not be parsed.')
        portText = StringPrototypeSlice(rest, 1)
      } else {
        const colon = StringPrototypeLastIndexOf(address, ':')
        if (colon < 0) throw new TypeError('Specified address is missing port.')
        host = StringPrototypeSlice(address, 0, colon)
        portText = StringPrototypeSlice(address, colon + 1)
      }
      if (host.length === 0) throw new TypeError('Specified address is missing hostname.')
      if (portText.length === 0) throw new TypeError('Specified address is missing port.')
      if (!isDigits(portText)) throw new RangeError(`Specified address has an invalid port: ${describe(portText)} (a port is an integer from 1 to 65535)`)
      return [host, checkPort(+portText, portText)]
    }
    if (typeof address !== 'object' || address === null) {
      throw new TypeError("connect(address): address must be a 'host:port' string or an object { hostname, port }")
    }
    const hostname = address.hostname
    if (typeof hostname === 'symbol') throw new TypeError('Specified address could not be parsed.')
    if (hostname === undefined || hostname === null || hostname === '') throw new TypeError('Specified address is missing hostname.')
    const raw = address.port
    let port = NaN
    if (typeof raw === 'number') port = raw
    else if (typeof raw === 'string' && isDigits(raw)) port = +raw
    return [`${hostname}`, checkPort(port, raw)]
  }

  const SECURE = { __proto__: null, off: 0, on: 1, starttls: 2 }
  const INTERNAL = {} // only this file can make a Socket

  const sockets = new SafeMap() // id -> Socket, while its events must reach it
  let dispatch // set in the class's static block

  class Socket {
    #id = 0
    #bridged = false
    #secure
    #allowHalfOpen
    #hostname
    #address
    #opened = deferred()
    #closed = deferred()
    #upgraded = false
    #startTlsCalled = false
    #closing = false
    #failed = false
    // Read side.
    #readable
    #rc = null
    #pending = []
    #head = 0
    #wanted = false // a read waits for bytes
    #hostReading = false
    #eof = false
    #readDone = false
    // Write side.
    #writable
    #wc = null
    #queued = 0
    #written = 0
    #writeOpen = true
    #writeEnded = false // our side's end was handed to the socket
    #flushes = []

    constructor(key, secure, allowHalfOpen, hostname, address) {
      if (key !== INTERNAL) throw new TypeError('Illegal constructor: use connect() of cloudflare:sockets')
      this.#secure = secure
      this.#allowHalfOpen = allowHalfOpen
      this.#hostname = hostname
      this.#address = address
      // A byte stream with highWaterMark 0 whose pull answers at once: no promise per read.
      const made = readableByteStream(
        (c) => this.#pull(c),
        () => {
          try {
            return PromiseResolve(this.#cancelRead())
          } catch (error) {
            return PromiseReject(error)
          }
        },
      )
      this.#readable = made.stream
      this.#rc = made.controller
      this.#writable = new WritableStream(
        {
          __proto__: null,
          // Writes wait for the connection; one that never comes errors the stream.
          start: (c) => {
            this.#wc = c
            return then(this.#opened.promise, ignore)
          },
          write: (chunk) => this.#write(chunk),
          close: () => this.#closeWrite(),
          abort: () => this.#closeWrite(),
        },
        {
          __proto__: null,
          highWaterMark: 1,
          // Called once per write() as it is queued: what startTls() and close() wait to flush.
          size: () => {
            this.#queued++
            return 1
          },
        },
      )
    }

    get readable() { return this.#readable }
    get writable() { return this.#writable }
    get opened() { return this.#opened.promise }
    get closed() { return this.#closed.promise }
    get upgraded() { return this.#upgraded }
    get secureTransport() { return this.#secure }

    // --- wiring -------------------------------------------------------------------------------

    #attach(id, bridged) {
      this.#id = id
      this.#bridged = bridged
      if (!bridged) sockets.set(id, this)
      else if (this.#wanted) {
        // A read came before the host's answer: it reads from the host duplex now.
        this.#wanted = false
        this.#pullHost()
      }
    }

    #onOpened(remoteAddress, localAddress) {
      settle(this.#opened, true, { remoteAddress: remoteAddress ?? null, localAddress: localAddress ?? null })
    }

    // The connection failed or broke: everything the script holds rejects with `error`.
    #fail(error) {
      if (this.#failed) return
      this.#failed = true
      sockets.delete(this.#id)
      this.#pending = []
      this.#head = 0
      settle(this.#opened, false, error)
      settle(this.#closed, false, error)
      if (!this.#readDone) {
        this.#readDone = true
        try {
          rcError(this.#rc, error)
        } catch {}
        this.#wanted = false
      }
      this.#endWrite(error)
      if (this.#bridged) this.#releaseHost()
    }

    // A bridged socket is over: the glue drops (and destroys) the host duplex, and its place
    // under maxConnections is free.
    #releaseHost() {
      then(glue('socketClose', [this.#id]), ignore, ignore)
      sockForget(this.#id)
    }

    // Both sides are over (or the socket was closed or upgraded): `closed` resolves.
    #finish() {
      sockets.delete(this.#id)
      if (this.#bridged && !this.#failed) this.#releaseHost()
      settle(this.#opened, false, new SocketError('the socket was closed before it opened', 'ERR_CLOSED'))
      settle(this.#closed, true, undefined)
    }

    // --- reading ------------------------------------------------------------------------------

    // Called for a read the queue cannot answer. Never returns a promise (no then() of ours
    // for the stream to adopt): bytes that come later are enqueued, which answers the read.
    #pull(c) {
      if (this.#readDone) return
      if (this.#head < this.#pending.length) return this.#deliverPending(c)
      if (this.#eof) return this.#closeRead()
      if (this.#bridged) return this.#pullHost()
      this.#wanted = true
    }

    #deliverPending(c) {
      const chunk = this.#pending[this.#head]
      this.#pending[this.#head++] = undefined
      if (this.#head === this.#pending.length) {
        this.#pending = []
        this.#head = 0
      }
      const n = TypedArrayPrototypeGetByteLength(chunk)
      // The chunk's buffer is native-made and only ever reached the script through this stream.
      byteStreamEnqueueOwned(c, chunk)
      sockAck(this.#id, n)
      if (this.#eof && this.#head === this.#pending.length) this.#closeRead()
    }

    #onData(chunk) {
      if (this.#readDone) {
        // Nobody reads any more (cancelled): the bytes are dropped, the window stays open.
        sockAck(this.#id, TypedArrayPrototypeGetByteLength(chunk))
        return
      }
      this.#pending[this.#pending.length] = chunk
      if (this.#wanted) {
        this.#wanted = false
        this.#deliverPending(this.#rc)
      }
    }

    #onEof() {
      this.#eof = true
      if (!this.#readDone && this.#head === this.#pending.length) this.#closeRead()
      // https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/#socketoptions:
      // without allowHalfOpen our side closes once the peer's has (after the writes queued).
      if (!this.#allowHalfOpen) this.#autoClose()
    }

    #closeRead() {
      if (this.#readDone) return
      this.#readDone = true
      try {
        rcClose(this.#rc)
        const request = rcByobRequest(this.#rc)
        // A pending BYOB read settles (done) only once its request is answered.
        if (request !== null && request !== undefined) byobRespond(request, 0)
      } catch {}
    }

    // A bridged socket's read: one chunk from the host duplex, null at its end.
    // One read at a time from the host duplex; an empty chunk reads again.
    #pullHost() {
      if (this.#hostReading) return
      this.#hostReading = true
      then(
        glue('socketRead', [this.#id]),
        (chunk) => {
          this.#hostReading = false
          if (this.#readDone) return
          if (chunk === null) {
            this.#eof = true
            this.#closeRead()
            if (!this.#allowHalfOpen) this.#autoClose()
            else if (this.#writeEnded) this.#finish()
          } else if (TypedArrayPrototypeGetByteLength(chunk) > 0) {
            rcEnqueue(this.#rc, chunk)
          } else {
            this.#pullHost()
          }
        },
        (failure) => {
          this.#hostReading = false
          this.#fail(socketError(failure))
        },
      )
    }

    #cancelRead() {
      this.#readDone = true
      // Bytes still waiting go back to the window.
      let n = 0
      for (let i = this.#head; i < this.#pending.length; i++) n += TypedArrayPrototypeGetByteLength(this.#pending[i])
      this.#pending = []
      this.#head = 0
      if (n > 0 && !this.#bridged) sockAck(this.#id, n)
      if (!this.#writeOpen && !this.#closing) return this.close()
    }

    // --- writing ------------------------------------------------------------------------------

    #write(chunk) {
      let bytes
      try {
        bytes = bytesOf(chunk)
      } catch (error) {
        this.#written++
        this.#flushed()
        throw error
      }
      const done = () => {
        this.#written++
        this.#flushed()
      }
      const failed = (failure) => {
        done()
        const error = socketError(failure)
        if (error.code !== 'ERR_MEMORY' && error.code !== 'ERR_CLOSED') this.#fail(error)
        throw error
      }
      let sent
      try {
        sent = this.#writeAll(bytes)
      } catch (failure) {
        failed(failure)
      }
      // Written at once: no promise to wait for.
      if (sent === undefined) return done()
      return then(sent, done, failed)
    }

    // undefined when the bytes went out at once (sockWrite wrote them on this thread), else a
    // promise settled once they were handed to the socket.
    #send(bytes) {
      return this.#bridged ? glue('socketWrite', [this.#id, bytes]) : sockWrite(this.#id, bytes)
    }

    // Like #send for any size: a huge chunk goes one slice at a time.
    #writeAll(bytes) {
      const total = TypedArrayPrototypeGetByteLength(bytes)
      if (total <= WRITE_SLICE) return this.#send(bytes)
      const buffer = TypedArrayPrototypeGetBuffer(bytes)
      const start = TypedArrayPrototypeGetByteOffset(bytes)
      let d = null
      const step = (offset) => {
        while (offset < total) {
          if (!this.#writeOpen) {
            const error = ['ERR_CLOSED', 'the socket is closed for writing']
            if (d === null) throw error
            return d.reject(error)
          }
          const n = total - offset < WRITE_SLICE ? total - offset : WRITE_SLICE
          const sent = this.#send(new Uint8Array(buffer, start + offset, n))
          offset += n
          if (sent !== undefined) {
            d ??= deferred()
            const next = offset
            then(sent, () => step(next), d.reject)
            return
          }
        }
        if (d !== null) d.resolve(undefined)
      }
      step(0)
      return d === null ? undefined : d.promise
    }

    #flushed() {
      if (this.#queued > this.#written && this.#writeOpen) return
      const waiting = this.#flushes
      this.#flushes = []
      for (let i = 0; i < waiting.length; i++) waiting[i]()
    }

    // Resolves once every write queued so far was handed to the socket.
    #flush() {
      if (this.#queued <= this.#written || !this.#writeOpen) return PromiseResolve(undefined)
      return new Promise((resolve) => {
        this.#flushes[this.#flushes.length] = resolve
      })
    }

    #closeWrite() {
      if (!this.#writeOpen) return
      this.#writeOpen = false
      this.#flushed()
      const ended = this.#bridged ? glue('socketEnd', [this.#id]) : sockShutdown(this.#id)
      return then(
        ended,
        () => {
          this.#writeEnded = true
          if (this.#bridged && this.#eof) this.#finish()
        },
        (failure) => this.#fail(socketError(failure)),
      )
    }

    // Our side goes too, once the writes queued so far are out (at once if they are).
    #autoClose() {
      const close = () => {
        if (!this.#writeOpen) {
          if (this.#bridged && this.#writeEnded) this.#finish()
          return
        }
        try {
          wcError(this.#wc, new TypeError('The socket is closed: the peer ended the connection (allowHalfOpen is false)'))
        } catch {}
        this.#closeWrite()
      }
      if (this.#queued <= this.#written) close()
      else then(this.#flush(), close)
    }

    // The writable can take no more (failed, closed, upgraded).
    #endWrite(error) {
      if (this.#writeOpen) {
        this.#writeOpen = false
        try {
          wcError(this.#wc, error)
        } catch {}
      }
      this.#flushed()
    }

    // --- the API ------------------------------------------------------------------------------

    // https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/#close-tcp-connections:
    // once the connection is settled and the queued writes are out, both streams close.
    close() {
      const { promise, resolve } = deferred()
      const done = () => then(this.#closed.promise, resolve, resolve)
      if (this.#closing) {
        done()
        return promise
      }
      this.#closing = true
      const shut = () => {
        if (!this.#failed && !this.#upgraded) {
          this.#readDone = true
          this.#pending = []
          this.#head = 0
          try {
            rcClose(this.#rc)
          } catch {}
          this.#wanted = false
          this.#endWrite(new TypeError('The socket is closed'))
          if (!this.#bridged) sockClose(this.#id)
          this.#finish()
        }
        done()
      }
      const settled = () => {
        then(this.#flush(), shut)
      }
      then(this.#opened.promise, settled, settled)
      return promise
    }

    // https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/#opportunistic-tls-starttls
    startTls(options = undefined) {
      if (this.#secure === 'on') throw new TypeError('Cannot startTls on a TLS socket.')
      if (this.#startTlsCalled) throw new TypeError('startTls can only be called once.')
      if (this.#secure !== 'starttls') {
        throw new TypeError("The `secureTransport` socket option must be set to 'starttls' for startTls to be used.")
      }
      if (this.#closing || this.#failed) throw new TypeError('The connection was closed before startTls could be started.')
      let hostname = this.#hostname
      if (options !== undefined && options !== null) {
        const expected = options.expectedServerHostname
        if (expected !== undefined) {
          if (typeof expected === 'symbol') throw new TypeError('startTls(): expectedServerHostname must be a string')
          hostname = `${expected}`
        }
      }
      this.#startTlsCalled = true
      const next = new Socket(INTERNAL, 'on', this.#allowHalfOpen, hostname, this.#address)
      const upgrade = () => {
        if (this.#failed || this.#closing) return next.#fail(new SocketError('The connection was closed before startTls could be started.', 'ERR_CLOSED'))
        // This socket is done: its streams close, its `closed` resolves; the connection goes on
        // under `next`.
        this.#upgraded = true
        this.#readDone = true
        this.#pending = []
        this.#head = 0
        try {
          rcClose(this.#rc)
        } catch {}
        this.#wanted = false
        this.#endWrite(new TypeError('The socket was upgraded by startTls(): use the socket it returned'))
        sockets.delete(this.#id)
        if (this.#bridged) {
          const id = this.#id
          next.#attach(id, true)
          then(
            glue('socketStartTls', [id, hostname]),
            (info) => next.#onOpened(info[0], info[1]),
            (failure) => next.#fail(socketError(failure)),
          )
        } else {
          let id = 0
          try {
            id = sockStartTls(this.#id, hostname)
          } catch (error) {
            next.#fail(error)
          }
          if (id !== 0) next.#attach(id, false)
          else next.#fail(new SocketError('The connection was closed before startTls could be started.', 'ERR_CLOSED'))
        }
        settle(this.#closed, true, undefined)
      }
      then(
        this.#opened.promise,
        () => {
          then(this.#flush(), upgrade)
        },
        (error) => next.#fail(error),
      )
      return next
    }

    static {
      dispatch = (id, kind, a, b) => {
        const s = sockets.get(id)
        if (s === undefined) return
        switch (kind) {
          case 0: return s.#onOpened(a, b)
          case 1: return s.#onData(a)
          case 2: return s.#onEof()
          case 3: return s.#finish()
          case 4: return s.#fail(new SocketError(b, a))
        }
      }
    }

    // connect(): checks the input, registers the socket and starts it (or asks the host).
    static connect(address, options) {
      const parsed = parseAddress(address)
      const host = parsed[0]
      const port = parsed[1]
      let secure = 'off'
      let allowHalfOpen = false
      if (options !== undefined && options !== null) {
        if (typeof options !== 'object' && typeof options !== 'function') {
          throw new TypeError('connect(address, options): options must be an object such as { secureTransport: "on" }')
        }
        const st = options.secureTransport
        if (st !== undefined) {
          if (typeof st === 'symbol') throw new TypeError('Unsupported value in secureTransport socket option: a symbol')
          secure = `${st}`
          if (SECURE[secure] === undefined) throw new TypeError(`Unsupported value in secureTransport socket option: ${secure}`)
        }
        allowHalfOpen = !!options.allowHalfOpen
      }
      const opened = sockOpen(host, port, SECURE[secure], dispatch)
      const id = opened[0]
      const askHost = opened[1]
      const canonical = opened[2]
      const address_ = `${canonical}:${port}`
      const socket = new Socket(INTERNAL, secure, allowHalfOpen, canonical, address_)
      socket.#attach(id, false)
      if (askHost) {
        then(
          glue('onConnect', [id, address_, secure]),
          (verdict) => {
            if (verdict === 'native') return sockDecide(id, 'native')
            if (ArrayIsArray(verdict) && verdict[0] === 'bridged') {
              sockDecide(id, 'bridged')
              sockets.delete(id)
              socket.#attach(id, true)
              return socket.#onOpened(verdict[1], verdict[2])
            }
            sockDecide(id, 'refused')
            if (ArrayIsArray(verdict) && verdict[0] === 'failed') {
              return socket.#fail(new SocketError(`connection attempt failed: ${verdict[1]}`, 'ERR_CONNECT'))
            }
            socket.#fail(refused("refused by the host's onConnect"))
          },
          () => {
            sockDecide(id, 'refused')
            socket.#fail(refused("refused by the host's onConnect"))
          },
        )
      }
      return socket
    }
  }
  const socketConnect = Socket.connect
  ReflectDeleteProperty(Socket, 'connect')
  internals.webidl(Socket, 'Socket')

  // https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/#connect
  function connect(address, options = undefined) {
    if (arguments.length < 1) throw new TypeError('connect(address): 1 argument required, but only 0 present.')
    return socketConnect(address, options)
  }

  sockExports({ __proto__: null, connect, SocketError, default: { __proto__: null, connect, SocketError } })
})
