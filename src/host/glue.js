// Host-side glue of `runtime.fetch`, run in Node's own context (napi_run_script). It turns Node's
// Request/Response/ReadableStream objects into plain parts and back; the Rust side only moves
// structured-clone values. `native.call(op, args)` runs an isolate-side operation (see
// src/web/serve/serve.js) and resolves with what it settled with; `native.state()` reads
// [hasServeHandler, activeConnections, pendingUpgradeId] without waiting for the isolate.
// `native.wsEvent(id, kind, ...)` hands an event of a bridged host WebSocket to the isolate's
// WebSocket `id` (src/web/websocket/). The socket hooks (`onConnect`, `socketRead`, ...) drive a
// duplex the host's `onConnect` returned for an isolate `connect()` (src/web/sockets/): the
// isolate pulls one chunk per read and each write settles once the host socket took it.
(function () {
  'use strict'
  // https://fetch.spec.whatwg.org/#null-body-status
  const nullBody = (status) => status === 101 || status === 103 || status === 204 || status === 205 || status === 304

  const bytesOf = (data, what) => {
    if (typeof data === 'string' || data instanceof ArrayBuffer) return data
    if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
    throw new TypeError(`${what}: data must be a string, an ArrayBuffer or a typed array`)
  }
  const connectionId = (id, what) => {
    if (typeof id !== 'string' || id === '') throw new TypeError(`${what}: connectionId must be a non-empty string`)
    return id
  }
  // Runs `f` (async) and returns its promise, marked handled: a caller that does not await it
  // gets no unhandled rejection; one that does still gets the error.
  const ONCE = { once: true }
  const toUndefined = () => undefined
  const ignore = () => {}
  const handled = (f) => {
    const p = f()
    p.catch(() => {})
    return p
  }

  // Headers cross as one string, 'name\nvalue\nname\nvalue': header names are tokens and values
  // cannot hold CR, LF or NUL (https://fetch.spec.whatwg.org/#header-value), and one string is
  // far cheaper to move than an array of pairs.
  const joinHeaders = (headers) => {
    let out = ''
    for (const [name, value] of headers) out += out === '' ? `${name}\n${value}` : `\n${name}\n${value}`
    return out
  }
  const hasContentType = (pairs) => {
    for (let i = 0; i < pairs.length; i++) if (pairs[i][0].length === 12 && pairs[i][0].toLowerCase() === 'content-type') return true
    return false
  }
  const splitHeaders = (joined) => {
    const parts = joined === '' ? [] : joined.split('\n')
    const pairs = []
    for (let i = 0; i + 1 < parts.length; i += 2) pairs.push([parts[i], parts[i + 1]])
    return pairs
  }

  return function createFetchApi(native) {
    const bodies = new Map() // request bodies being read by the isolate, by stream id
    const fetches = new Map() // isolate fetch() id → AbortController of the host's onFetch call
    const fetchBodies = new Map() // isolate fetch() id → its response body's id in `bodies`
    const listeners = new Set()
    let nextId = 1
    const bridged = new Map() // isolate WebSocket id → { socket, detach }
    const duplexes = new Map() // isolate connect() socket id → a bridged duplex (below)

    const isNodeDuplex = (v) =>
      v !== null && typeof v === 'object' && typeof v.on === 'function' && typeof v.read === 'function' &&
      typeof v.write === 'function' && typeof v.end === 'function' && typeof v.destroy === 'function'
    const isWebDuplex = (v) =>
      v !== null && typeof v === 'object' && v.readable instanceof ReadableStream && v.writable instanceof WritableStream
    const asBytes = (chunk) => {
      if (chunk instanceof Uint8Array) return chunk
      if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk)
      if (typeof chunk === 'string') return new TextEncoder().encode(chunk)
      throw new TypeError('the host duplex produced a chunk that is not bytes')
    }

    // A net.Socket or tls.TLSSocket (any Node duplex stream), read in paused mode: one read()
    // per isolate read, so Node buffers at most its highWaterMark and TCP pushes back on the peer.
    function nodeDuplex(sock) {
      const d = { sock, ended: false, error: null, waiter: null, listeners: [] }
      const wake = () => {
        const w = d.waiter
        d.waiter = null
        if (w) w()
      }
      const on = (event, fn) => {
        sock.on(event, fn)
        d.listeners.push([event, fn])
      }
      on('readable', wake)
      on('end', () => {
        d.ended = true
        wake()
      })
      on('error', (e) => {
        d.error ??= e
        wake()
      })
      on('close', () => {
        if (!d.ended) d.error ??= new Error('the host socket was closed')
        wake()
      })
      d.detach = () => {
        for (const [event, fn] of d.listeners) sock.removeListener(event, fn)
        d.listeners = []
      }
      d.read = async () => {
        for (;;) {
          const chunk = sock.read()
          if (chunk !== null) return asBytes(chunk)
          if (d.ended) return null
          if (d.error) throw d.error
          await new Promise((resolve) => {
            d.waiter = resolve
          })
        }
      }
      d.write = (bytes) =>
        new Promise((resolve, reject) => {
          if (d.error) return reject(d.error)
          sock.write(bytes, (e) => (e ? reject(e) : resolve()))
        })
      d.end = () => new Promise((resolve) => sock.end(() => resolve()))
      d.close = () => {
        d.detach()
        sock.on('error', () => {})
        sock.destroy()
      }
      return d
    }

    // { readable, writable } Web streams.
    function webDuplex(pair) {
      const reader = pair.readable.getReader()
      const writer = pair.writable.getWriter()
      return {
        async read() {
          const { done, value } = await reader.read()
          return done ? null : asBytes(value)
        },
        write: (bytes) => writer.write(bytes),
        end: () => writer.close(),
        close() {
          reader.cancel().catch(() => {})
          writer.abort().catch(() => {})
        },
      }
    }

    // Waits until a Node socket the host returned is connected (and its TLS is up).
    function whenConnected(sock) {
      const tlsPending = sock.encrypted === true && sock._secureEstablished === false
      const event = tlsPending ? 'secureConnect' : sock.connecting ? 'connect' : null
      if (event === null) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const ok = () => {
          sock.removeListener('error', fail)
          resolve()
        }
        const fail = (e) => {
          sock.removeListener(event, ok)
          reject(e)
        }
        sock.once(event, ok)
        sock.once('error', fail)
      })
    }
    const addressOf = (sock, remote) => {
      const host = remote ? sock.remoteAddress : sock.localAddress
      const port = remote ? sock.remotePort : sock.localPort
      if (typeof host !== 'string' || typeof port !== 'number') return null
      return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
    }
    const duplexOf = (id) => {
      const d = duplexes.get(id)
      if (!d) throw new Error('the socket is closed')
      return d
    }

    // Forwards a host WebSocket (Node's global one or the `ws` package's) to isolate socket `id`.
    function bridge(id, socket) {
      // Binary stays binary, and arrives in order (a Blob would need an await).
      try {
        socket.binaryType = 'arraybuffer'
      } catch {}
      let failed = false
      const handlers = {
        open: () => native.wsEvent(id, 'open', String(socket.protocol ?? ''), String(socket.extensions ?? '')),
        message: (event) => {
          const data = event.data
          if (typeof data === 'string') native.wsEvent(id, 'text', data)
          else if (data instanceof ArrayBuffer) native.wsEvent(id, 'binary', data)
          else if (ArrayBuffer.isView(data)) native.wsEvent(id, 'binary', new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer)
        },
        error: () => {
          failed = true
        },
        close: (event) => {
          detach()
          const code = Number.isInteger(event.code) ? event.code : 1006
          native.wsEvent(id, 'close', code, String(event.reason ?? ''), event.wasClean === true, failed)
        },
      }
      const detach = () => {
        bridged.delete(id)
        for (const [type, fn] of Object.entries(handlers)) socket.removeEventListener(type, fn)
      }
      for (const [type, fn] of Object.entries(handlers)) socket.addEventListener(type, fn)
      bridged.set(id, { socket, detach })
      // Already open (the callback awaited it; the peer may be closing it already) or already
      // closed: say so now.
      if (socket.readyState === 1 || socket.readyState === 2) handlers.open()
      else if (socket.readyState === 3) handlers.close({ code: 1006, reason: '', wasClean: false })
    }

    // Bytes a bridged host socket may hold unsent (src/web/websocket/mod.rs's SEND_QUEUE).
    const SEND_QUEUE = 16 * 1024 * 1024

    function socketCommand(cmd) {
      const entry = bridged.get(cmd.webSocket)
      if (!entry) return
      const { socket } = entry
      if (cmd.type === 'send') {
        // What the host socket holds unsent counts too: past SEND_QUEUE (a peer that does not
        // read) the isolate's socket is flagged full and fails, as a native one does
        // (https://websockets.spec.whatwg.org/#dom-websocket-send), instead of the host's buffer
        // growing with every send.
        if (!(Number(socket.bufferedAmount) <= SEND_QUEUE)) {
          entry.detach()
          native.wsEvent(cmd.webSocket, 'close', 1006, '', false, true)
          socket.addEventListener('error', () => {})
          if (typeof socket.terminate === 'function') socket.terminate()
          else socket.close()
          return
        }
        socket.send(cmd.data)
        native.wsEvent(cmd.webSocket, 'sent', typeof cmd.data === 'string' ? Buffer.byteLength(cmd.data) : cmd.data.byteLength)
      } else if (cmd.type === 'close') {
        if (cmd.code === undefined) socket.close()
        else socket.close(cmd.code, cmd.reason)
      } else if (cmd.type === 'abort') {
        // close() while the isolate saw CONNECTING fails its socket, open or not underneath.
        entry.detach()
        native.wsEvent(cmd.webSocket, 'close', 1006, '', false, true)
        socket.addEventListener('error', () => {}) // a `ws` socket closed while connecting emits one
        socket.close()
      }
    }

    // A body stream of a Request or Response from the isolate (a customFunctions value), pulled
    // one chunk per read.
    const wireStream = (id) =>
      new ReadableStream(
        {
          async pull(c) {
            const chunk = await native.call('wirePull', [id])
            if (chunk === null) c.close()
            else c.enqueue(chunk)
          },
          cancel(reason) {
            return native.call('wireCancel', [id, reason === undefined ? '' : String(reason)])
          },
        },
        { highWaterMark: 0 },
      )
    const wireBody = (body) => (typeof body === 'number' ? wireStream(body) : body)
    // A host body stream for the isolate, which reads it with readBody(id).
    const keepBody = (body) => {
      if (body === null) return null
      const id = nextId++
      bodies.set(id, body.getReader())
      return id
    }

    const hooks = {
      // customFunctions values (src/host/value.rs): Node's Request and Response as parts, with
      // the body kept here for the isolate to pull, and back.
      wireRequestParts: (r) => [r.method, r.url, [...r.headers], keepBody(r.body), r.redirect],
      wireResponseParts: (r) => [r.status, r.statusText, [...r.headers], keepBody(r.body), r.url],
      makeWireRequest([method, url, headers, body, redirect]) {
        const init = { method, headers, redirect }
        if (body !== null) {
          init.body = wireBody(body)
          init.duplex = 'half'
        }
        return new Request(url, init)
      },
      makeWireResponse([status, statusText, headers, body]) {
        return new Response(nullBody(status) ? null : wireBody(body), { status, statusText, headers })
      },
      async readBody(id) {
        const reader = bodies.get(id)
        if (!reader) return null
        const { done, value } = await reader.read()
        if (done) {
          bodies.delete(id)
          return null
        }
        if (value instanceof Uint8Array) return value
        if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
        if (value instanceof ArrayBuffer) return new Uint8Array(value)
        if (typeof value === 'string') return new TextEncoder().encode(value)
        throw new TypeError('request body chunks must be bytes')
      },
      async cancelBody(id, reason) {
        const reader = bodies.get(id)
        bodies.delete(id)
        if (reader) await reader.cancel(reason).catch(() => {})
      },
      // An isolate fetch() for the host's onFetch (passed first by NodeHost). Answers [status,
      // statusText, headers, url, redirected, kind, payload]: kind 0 no body, 1 bytes, 2 a body
      // the isolate pulls with readBody(payload). A stream request body (a number) is pulled from
      // the isolate one chunk at a time.
      async onFetch(callback, id, url, method, headers, body, redirect) {
        const controller = new AbortController()
        fetches.set(id, controller)
        let bodied = false
        try {
          const init = { method, headers, body: null, signal: controller.signal, redirect }
          if (typeof body === 'number') {
            init.body = new ReadableStream(
              {
                async pull(c) {
                  const chunk = await native.call('egressBody', [body])
                  if (chunk === null) c.close()
                  else c.enqueue(chunk)
                },
                cancel(reason) {
                  return native.call('egressBodyCancel', [body, reason === undefined ? '' : String(reason)])
                },
              },
              { highWaterMark: 0 },
            )
            init.duplex = 'half'
          } else if (body instanceof Uint8Array) {
            init.body = body
          }
          // @ricsam/isolate-runtime's init also has rawBody, the body's bytes (it buffers every
          // body). A body the isolate streams stays a stream: reading rawBody then throws rather
          // than giving null for a body that exists. Not enumerable: `{ ...init }` skips it.
          Object.defineProperty(init, 'rawBody', typeof body === 'number'
            ? { get() { throw new TypeError('onFetch init.rawBody: this request body is a stream; read init.body (a ReadableStream) instead') } }
            : { value: init.body })
          const response = responseLike(await callback(url, init))
          const head = [response.status, response.statusText, response.headers, response.url || url, response.redirected]
          // https://fetch.spec.whatwg.org/#null-body-status: a body given with 204/304 (a
          // Response-like object can have one) is let go, never waited for.
          if (nullBody(response.status) && response.body !== null) {
            response.body.cancel().catch(() => {})
            return [...head, 0, null]
          }
          if (response.body === null) return [...head, 0, null]
          // A small body of known length crosses at once.
          if (response.arrayBuffer !== null) return [...head, 1, new Uint8Array(await response.arrayBuffer())]
          const bid = nextId++
          bodies.set(bid, response.body.getReader())
          fetchBodies.set(id, bid)
          bodied = true
          return [...head, 2, bid]
        } finally {
          if (!bodied) fetches.delete(id)
        }
      },
      fetchDone(id) {
        fetches.delete(id)
        fetchBodies.delete(id)
      },
      abortFetch(id, reason) {
        const controller = fetches.get(id)
        fetches.delete(id)
        const bid = fetchBodies.get(id)
        fetchBodies.delete(id)
        const error = new DOMException(reason || 'This operation was aborted', 'AbortError')
        controller?.abort(error)
        const reader = bid === undefined ? undefined : bodies.get(bid)
        if (reader) {
          bodies.delete(bid)
          reader.cancel(error).catch(() => {})
        }
      },
      // The user's `webSocket(url, protocols)` callback decides an isolate WebSocket.
      async openWebSocket(callback, id, url, protocols) {
        let verdict
        try {
          verdict = await callback(url, protocols)
        } catch {
          return 'blocked'
        }
        if (verdict === true) return 'native'
        const isSocket = typeof verdict === 'object' && verdict !== null && typeof verdict.send === 'function' &&
          typeof verdict.close === 'function' && typeof verdict.addEventListener === 'function'
        if (!isSocket) return 'blocked'
        bridge(id, verdict)
        return 'bridged'
      },
      // The user's `onConnect(address, { secureTransport })` decides an isolate connect():
      // 'native', ['bridged', remoteAddress, localAddress], ['failed', message] or 'refused'.
      async onConnect(callback, id, address, secureTransport) {
        let verdict
        try {
          verdict = await callback(address, { secureTransport })
        } catch {
          return 'refused'
        }
        if (verdict === true) return 'native'
        if (isNodeDuplex(verdict)) {
          if (verdict.destroyed) return ['failed', 'the host socket is already closed']
          try {
            await whenConnected(verdict)
          } catch (e) {
            verdict.destroy()
            return ['failed', String(e?.message ?? e)]
          }
          duplexes.set(id, nodeDuplex(verdict))
          return ['bridged', addressOf(verdict, true), addressOf(verdict, false)]
        }
        if (isWebDuplex(verdict)) {
          duplexes.set(id, webDuplex(verdict))
          return ['bridged', null, null]
        }
        return 'refused'
      },
      socketRead: (id) => duplexOf(id).read(),
      socketWrite: (id, bytes) => duplexOf(id).write(bytes),
      socketEnd: (id) => duplexOf(id).end(),
      socketClose(id) {
        const d = duplexes.get(id)
        duplexes.delete(id)
        if (d) d.close()
      },
      // startTls() of a bridged Node socket: Node's TLS over it (Node's trusted CAs), SNI
      // `hostname` (not for an IP address). Answers [remoteAddress, localAddress].
      async socketStartTls(id, hostname) {
        const d = duplexOf(id)
        const tls = typeof process === 'object' && typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('tls') : null
        if (!d.sock || !tls) throw new Error('startTls() needs a bridged net.Socket (and Node 20.16 or later)')
        d.detach()
        const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
        const isIp = /^[0-9.]+$/.test(bare) || bare.includes(':')
        const secure = tls.connect({ socket: d.sock, servername: isIp ? undefined : bare, host: bare })
        duplexes.set(id, nodeDuplex(secure))
        try {
          await new Promise((resolve, reject) => {
            secure.once('secureConnect', resolve)
            secure.once('error', reject)
          })
        } catch (e) {
          // [code, message]: the isolate's SocketError code.
          throw ['ERR_TLS', `TLS handshake with ${hostname} failed: ${e?.message ?? e}`]
        }
        return [addressOf(secure, true), addressOf(secure, false)]
      },
      closeSockets() {
        for (const d of [...duplexes.values()]) {
          try {
            d.close()
          } catch {}
        }
        duplexes.clear()
      },
      closeWebSockets() {
        // Listeners stay: a `ws` socket closed while connecting emits 'error', which must have one.
        for (const { socket } of [...bridged.values()]) {
          try {
            socket.close(1001)
          } catch {
            // Node's WebSocket only accepts 1000 and 3000–4999.
            try {
              socket.close()
            } catch {}
          }
        }
      },
      command(cmd) {
        if (cmd.webSocket !== undefined) {
          try {
            socketCommand(cmd)
          } catch {
            // A host socket that refuses (e.g. it closed meanwhile) reports through its events.
          }
          return
        }
        for (const listener of [...listeners]) {
          try {
            listener(cmd)
          } catch (error) {
            // A throwing listener must not stop the others, nor be swallowed silently.
            queueMicrotask(() => {
              throw error
            })
          }
        }
      },
    }

    // What onFetch returned, as { status, statusText, headers: [name, value][], url, redirected,
    // body: ReadableStream | null, arrayBuffer: (() => Promise<ArrayBuffer>) | null } (arrayBuffer
    // set for a small body of known length, which crosses at once). A Response, or a Response-like
    // object as @ricsam/isolate-runtime accepts: { status, statusText?, headers?, body? } with
    // headers a Headers, pairs or a record, and body a ReadableStream, string, bytes or Blob.
    function responseLike(response) {
      if (typeof Response === 'function' && response instanceof Response) {
        const length = Number(response.headers.get('content-length'))
        const small = response.body !== null && response.headers.get('content-length') !== null && length <= 65536
        return {
          status: response.status, statusText: response.statusText, headers: [...response.headers], url: response.url,
          redirected: response.redirected, body: response.body, arrayBuffer: small ? () => response.arrayBuffer() : null,
        }
      }
      if (response === null || typeof response !== 'object' || !Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
        throw new TypeError('onFetch must return a Response, or an object such as { status: 200, headers, body } with status from 200 to 599 (or a Promise of one)')
      }
      const status = response.status
      const statusText = response.statusText === undefined ? '' : String(response.statusText)
      const headers = [...new Headers(response.headers ?? undefined)]
      let body = response.body ?? null
      if (body !== null && !(body instanceof ReadableStream)) {
        // Strings, bytes and Blobs: read as a Response would read them (also checks the type).
        body = new Response(body).body
      }
      const url = typeof response.url === 'string' ? response.url : ''
      return { status, statusText, headers, url, redirected: response.redirected === true, body, arrayBuffer: null }
    }

    // `finished` runs once the body has ended, errored or been cancelled.
    function responseBody(payload, finished) {
      // Pulled one chunk at a time: the isolate produces only as fast as the host reads.
      return new ReadableStream(
        {
          async pull(controller) {
            let chunk
            try {
              chunk = await native.call('pull', [payload])
            } catch (error) {
              finished()
              throw error
            }
            if (chunk === null) {
              finished()
              controller.close()
            } else controller.enqueue(chunk)
          },
          cancel(reason) {
            finished()
            return native.call('cancel', [payload, reason === undefined ? '' : String(reason)])
          },
        },
        { highWaterMark: 0 },
      )
    }

    const api = {
      async dispatchRequest(request, options = undefined) {
        if (typeof Request !== 'function' || !(request instanceof Request)) {
          throw new TypeError('dispatchRequest(request): request must be a Request')
        }
        if (options !== undefined && (options === null || typeof options !== 'object')) {
          throw new TypeError('dispatchRequest(request, options): options must be an object such as { signal }')
        }
        const outer = options?.signal ?? null
        if (outer !== null && !(outer instanceof AbortSignal)) {
          throw new TypeError('dispatchRequest(request, { signal }): signal must be an AbortSignal')
        }
        // Node's main thread is the limit here: no arrays or closures per signal, one listener
        // for both, and the arguments passed as they are (native.invoke).
        const inner = request.signal ?? null
        const id = nextId++
        const requestBody = request.body
        let body = 0
        if (requestBody !== null) {
          body = id
          bodies.set(id, requestBody.getReader())
        }
        const aborted = (inner !== null && inner.aborted) || (outer !== null && outer.aborted)
        let onAbort = null
        if (!aborted) {
          onAbort = (event) => {
            const reason = event.target.reason
            native.invoke('abort', id, reason instanceof Error ? reason.message : String(reason)).catch(() => {})
          }
          inner?.addEventListener('abort', onAbort, ONCE)
          outer?.addEventListener('abort', onAbort, ONCE)
        }
        const finished = () => {
          if (onAbort === null) return
          inner?.removeEventListener('abort', onAbort)
          outer?.removeEventListener('abort', onAbort)
          onAbort = null
        }
        let streaming = false
        try {
          const head = await native.invoke('dispatch', id, request.method, request.url, joinHeaders(request.headers), body, aborted)
          const status = head[0]
          const kind = head[3]
          const payload = head[4]
          const headers = splitHeaders(head[2])
          const init = { status: status === 101 ? 200 : status, statusText: head[1], headers }
          // A streamed body keeps forwarding aborts to request.signal inside until it ends.
          streaming = kind === 2 && !nullBody(status)
          if (kind === 2 && !streaming) native.invoke('cancel', payload, '').catch(() => {})
          let out = null
          if (streaming) out = responseBody(payload, finished)
          else if (kind === 1 && !nullBody(status)) out = payload
          else if (kind === 3 && !nullBody(status)) {
            // A string body (kind 3) stays a string, as the handler gave it; Node's Response would
            // add a text/plain Content-Type the handler's answer did not have, so without one it
            // is encoded here.
            out = hasContentType(headers) ? payload : new TextEncoder().encode(payload)
          }
          const response = new Response(out, init)
          // Node's Response cannot be made with 101; the upgrade answer keeps its real status.
          if (status === 101) Object.defineProperty(response, 'status', { value: 101, configurable: true })
          return response
        } catch (error) {
          streaming = false
          const reader = bodies.get(id)
          bodies.delete(id)
          if (reader) reader.cancel(error).catch(() => {})
          throw error
        } finally {
          if (!streaming) finished()
        }
      },
      // Synchronous, as @ricsam/isolate-runtime's in-process runtime has them (awaiting a value
      // yields it, so code written for its daemon client works too). native.state() reads what
      // the isolate recorded before the eval or dispatch that changed it settled; it throws
      // RuntimeDisposedError once the runtime is gone.
      hasServeHandler() {
        return native.state()[0]
      },
      hasActiveConnections() {
        return native.state()[1] > 0
      },
      getUpgradeRequest() {
        const id = native.state()[2]
        return id === null ? null : { requested: true, connectionId: id }
      },
      // Code written for @ricsam/isolate-runtime calls these without awaiting (its return
      // nothing): their rejections (a handler that threw, an unknown connection, a disposed
      // runtime) are marked handled, so they never end the Node process as unhandled
      // rejections; awaiting one still gets its error.
      dispatchWebSocketOpen(id) {
        return handled(async () => {
          await native.invoke('wsOpen', connectionId(id, 'dispatchWebSocketOpen'))
        })
      },
      dispatchWebSocketMessage(id, data) {
        // The hot path of a bridged socket: no async function or closure per message.
        let p
        try {
          p = native.invoke('wsMessage', connectionId(id, 'dispatchWebSocketMessage'), bytesOf(data, 'dispatchWebSocketMessage')).then(toUndefined)
        } catch (error) {
          p = Promise.reject(error)
        }
        p.catch(ignore)
        return p
      },
      dispatchWebSocketClose(id, code = 1005, reason = '') {
        return handled(async () => {
          if (!Number.isInteger(code) || code < 1000 || code > 4999) {
            throw new RangeError(`dispatchWebSocketClose: code must be an integer from 1000 to 4999 (got ${code})`)
          }
          await native.call('wsClose', [connectionId(id, 'dispatchWebSocketClose'), code, String(reason)])
        })
      },
      dispatchWebSocketError(id, error) {
        return handled(async () => {
          const e = error instanceof Error ? error : new Error(String(error))
          await native.call('wsError', [connectionId(id, 'dispatchWebSocketError'), e])
        })
      },
      onWebSocketCommand(callback) {
        if (typeof callback !== 'function') throw new TypeError('onWebSocketCommand(callback): callback must be a function')
        native.state() // throws once the runtime is gone
        listeners.add(callback)
        return () => {
          listeners.delete(callback)
        }
      },
    }
    return { api, hooks }
  }
})()
