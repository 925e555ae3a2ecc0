// Bun-compatible serve() (https://bun.sh/docs/api/http#bun-serve) and the isolate side of the host's
// runtime.fetch: `internals.host(op, id, args)` runs a host-initiated operation and answers with
// `internals.settled(id, ok, value)`.
(function (global, natives, internals) {
  'use strict'
  const { define } = internals
  const { hostAsync, settled, DOMException } = internals
  const OP_GLUE = 5

  let options = null // what serve() was given
  const dispatches = new Map() // dispatch id → AbortController of its Request
  const responses = new Map() // response body id → { reader, dispatch }
  let nextResponse = 1
  const upgrades = new Map() // connection id → { data } until the host opens it
  const upgradeHeaders = new WeakMap() // upgraded Request → Headers for its 101 response
  const sockets = new Map() // connection id → ServerWebSocket
  const draining = new Set() // sockets whose send returned -1, waiting for `drain`

  const describe = (v) => {
    if (v === null) return 'null'
    if (typeof v !== 'object') return typeof v
    const name = v.constructor && typeof v.constructor.name === 'string' ? v.constructor.name : ''
    return name ? `an instance of ${name}` : 'an object'
  }

  // https://bun.sh/docs/api/websockets: readyState 1 OPEN, 2 CLOSING, 3 CLOSED.
  class ServerWebSocket {
    #id
    #state = 1
    constructor(id, data) {
      this.#id = id
      this.data = data
    }
    get readyState() {
      return this.#state
    }
    get remoteAddress() {
      return ''
    }
    // Returns the bytes handed to the host, or 0 when the socket is no longer open.
    send(message) {
      if (this.#state !== 1) return 0
      let data
      if (typeof message === 'string') data = message
      else if (message instanceof ArrayBuffer) data = message.slice(0)
      else if (ArrayBuffer.isView(message)) data = message.buffer.slice(message.byteOffset, message.byteOffset + message.byteLength)
      else data = String(message)
      const sent = natives.command({ type: 'message', connectionId: this.#id, data })
      // -1: queued, but the host is behind; `drain` runs once it catches up.
      if (sent === -1) draining.add(this)
      return sent
    }
    sendText(message) {
      return this.send(String(message))
    }
    sendBinary(message) {
      return this.send(typeof message === 'string' ? new TextEncoder().encode(message) : message)
    }
    close(code = 1000, reason = '') {
      if (this.#state !== 1) return
      code = Number(code)
      reason = String(reason)
      // What a WebSocket close frame may carry (RFC 6455 7.4); 1005 and 1006 are never sent.
      if (!Number.isInteger(code) || !((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))) {
        throw new RangeError(`ws.close(code, reason): invalid close code ${code}`)
      }
      if (new TextEncoder().encode(reason).length > 123) throw new RangeError('ws.close(code, reason): reason must be at most 123 bytes of UTF-8')
      this.#state = 2
      natives.command({ type: 'close', connectionId: this.#id, code, reason })
    }
    // Closes without a handshake: the host sees code 1006 (abnormal closure).
    terminate() {
      if (this.#state !== 1) return
      this.#state = 2
      natives.command({ type: 'close', connectionId: this.#id, code: 1006, reason: '' })
    }
    static closed(ws) {
      ws.#state = 3
    }
  }
  Object.defineProperty(ServerWebSocket.prototype, Symbol.toStringTag, { value: 'ServerWebSocket', configurable: true })
  const closed = ServerWebSocket.closed
  delete ServerWebSocket.closed

  const server = Object.freeze({
    // Marks the request for a WebSocket upgrade; the host then opens it with
    // dispatchWebSocketOpen(getUpgradeRequest().connectionId).
    upgrade(request, init = undefined) {
      if (!(request instanceof Request)) throw new TypeError('server.upgrade(request): request must be the Request passed to fetch')
      const upgrade = request.headers.get('upgrade')
      if (upgrade === null || upgrade.toLowerCase() !== 'websocket') return false
      const headers = init?.headers === undefined ? null : new Headers(init.headers)
      const id = crypto.randomUUID()
      if (headers !== null) upgradeHeaders.set(request, headers)
      upgrades.set(id, { data: init?.data })
      natives.serveState(1, id)
      return true
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

  // A request body read from the host one chunk per pull, so the host sends no faster than the
  // handler reads.
  function requestBody(id) {
    return new ReadableStream(
      {
        async pull(controller) {
          const chunk = await hostAsync(OP_GLUE, 0, ['readBody', id])
          if (chunk === null) controller.close()
          else controller.enqueue(chunk)
        },
        cancel(reason) {
          return hostAsync(OP_GLUE, 0, ['cancelBody', id, reason === undefined ? '' : String(reason)])
        },
      },
      { highWaterMark: 0 },
    )
  }

  // Headers cross as one string 'name\nvalue\n…' (see joinHeaders in src/host/glue.js).
  const joinHeaders = (pairs) => {
    let out = ''
    for (const [name, value] of pairs) out += out === '' ? `${name}\n${value}` : `\n${name}\n${value}`
    return out
  }
  const splitHeaders = (joined) => {
    const parts = joined === '' ? [] : joined.split('\n')
    const pairs = []
    for (let i = 0; i + 1 < parts.length; i += 2) pairs.push([parts[i], parts[i + 1]])
    return pairs
  }

  async function dispatch(id, method, url, headers, body, aborted) {
    if (options === null) throw new Error('No serve() handler registered')
    if (typeof options.fetch !== 'function') throw new TypeError('serve() was called without a fetch handler')
    const controller = new AbortController()
    if (aborted) controller.abort(new DOMException('The request was aborted by the host', 'AbortError'))
    dispatches.set(id, controller)
    let streaming = false
    let request = null
    try {
      const init = { method, headers: splitHeaders(headers), signal: controller.signal }
      if (body !== 0) {
        init.body = requestBody(body)
        init.duplex = 'half'
      }
      request = new Request(url, init)
      const response = await options.fetch.call(options, request, server)
      if (!(response instanceof Response)) {
        throw new TypeError(`fetch handler did not return a Response object (got ${describe(response)})`)
      }
      // Bodies made from a string or bytes cross at once; only streams are pulled chunk by chunk.
      const parts = internals.responseParts(response)
      // server.upgrade(request, { headers }) adds to the 101 answer, as Bun's does.
      const extra = upgradeHeaders.get(request)
      if (extra !== undefined && parts.status === 101) for (const pair of extra) parts.headers.push(pair)
      const head = [parts.status, parts.statusText, joinHeaders(parts.headers)]
      const out = parts.body
      if (out === null) return [...head, 0, null]
      if (typeof out === 'string') return [...head, 1, internals.bodyUtf8Encode(out)]
      if (out instanceof Uint8Array) return [...head, 1, out]
      const rid = nextResponse++
      responses.set(rid, { reader: out.getReader(), dispatch: id, request })
      streaming = true
      return [...head, 2, rid]
    } finally {
      // A streamed response keeps its request's signal until the body ends.
      if (!streaming) {
        dispatches.delete(id)
        releaseBody(request)
      }
    }
  }

  // Once the answer is complete, a request body nobody started reading is cancelled, so the
  // host lets go of its stream instead of keeping it for a read that will not come.
  function releaseBody(request) {
    const body = request?.body
    if (body && !body.locked && !request.bodyUsed) body.cancel('the response was sent without reading the request body').catch(() => {})
  }

  function finishResponse(rid) {
    const entry = responses.get(rid)
    responses.delete(rid)
    if (entry) {
      dispatches.delete(entry.dispatch)
      releaseBody(entry.request)
    }
    return entry
  }

  async function pull(rid) {
    const entry = responses.get(rid)
    if (!entry) return null
    let chunk
    try {
      chunk = await entry.reader.read()
    } catch (error) {
      finishResponse(rid)
      throw error
    }
    if (chunk.done) {
      finishResponse(rid)
      return null
    }
    const value = chunk.value
    if (value instanceof Uint8Array) return value
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    if (value instanceof ArrayBuffer) return new Uint8Array(value)
    finishResponse(rid)
    entry.reader.cancel().catch(() => {})
    throw new TypeError(`response body chunks must be Uint8Array (got ${describe(value)})`)
  }

  async function cancel(rid, reason) {
    const entry = finishResponse(rid)
    if (entry) await entry.reader.cancel(reason)
  }

  function abort(id, reason) {
    const controller = dispatches.get(id)
    if (controller) controller.abort(new DOMException(reason || 'The request was aborted by the host', 'AbortError'))
  }

  const handlers = () => options?.websocket ?? {}
  const socket = (id) => {
    const ws = sockets.get(id)
    if (!ws) throw new Error(`No open WebSocket connection '${id}'`)
    return ws
  }

  async function wsOpen(id) {
    const pending = upgrades.get(id)
    if (!pending) throw new Error(`No pending WebSocket upgrade '${id}': call server.upgrade(request) in the fetch handler first`)
    upgrades.delete(id)
    natives.serveState(3, id)
    const ws = new ServerWebSocket(id, pending.data)
    sockets.set(id, ws)
    natives.serveState(2, sockets.size)
    await handlers().open?.(ws)
  }

  async function wsMessage(id, data) {
    await handlers().message?.(socket(id), data)
  }

  async function wsClose(id, code, reason) {
    const ws = socket(id)
    sockets.delete(id)
    natives.serveState(2, sockets.size)
    closed(ws)
    await handlers().close?.(ws, code, reason)
  }

  async function wsError(id, error) {
    await handlers().error?.(socket(id), error)
  }

  // The host caught up with the commands: Bun's `drain(ws)` for each socket that saw -1.
  function wsDrain() {
    const waiting = [...draining]
    draining.clear()
    for (const ws of waiting) {
      if (ws.readyState !== 1) continue
      try {
        handlers().drain?.(ws)
      } catch (error) {
        internals.reportException(error)
      }
    }
  }

  const ops = { dispatch, pull, cancel, abort, wsOpen, wsMessage, wsClose, wsError, wsDrain }
  internals.host = function host(op, id, args) {
    let result
    try {
      const f = ops[op]
      if (typeof f !== 'function') throw new TypeError(`unknown host operation ${op}`)
      result = f(...args)
    } catch (error) {
      result = Promise.reject(error)
    }
    Promise.resolve(result).then(
      (value) => settled(id, true, value === undefined ? null : value),
      (error) => settled(id, false, error),
    )
  }
})
