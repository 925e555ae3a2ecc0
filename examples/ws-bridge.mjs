// A real HTTP + WebSocket server whose app runs in an edge-isolate runtime: node:http and `ws`
// own the sockets, the isolate's serve({ fetch, websocket }) decides every answer. HTTP requests
// go through runtime.fetch.dispatchRequest with bodies streamed both ways; WebSockets follow the
// "WebSocket Flow" of @ricsam/isolate-fetch: dispatch the upgrade request, read
// getUpgradeRequest(), open, then bridge messages and closes both ways.
//
//   node examples/ws-bridge.mjs        # prints the URL; try `curl URL/events` or a ws client on URL/ws
import http from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import { WebSocketServer } from 'ws'
import { createRuntime } from 'edge-isolate'

/** The app: untrusted code as far as the host is concerned. */
export const APP = `
serve({
  async fetch(request, server) {
    const url = new URL(request.url)
    if (url.pathname === '/ws') {
      const data = { name: url.searchParams.get('name') ?? 'anonymous' }
      // A dispatched request may be upgraded without the header (the host owns the socket), so
      // the app checks it, as @ricsam/isolate-fetch's examples do.
      const wantsSocket = request.headers.get('upgrade')?.toLowerCase() === 'websocket'
      if (wantsSocket && server.upgrade(request, { data, headers: { 'x-served-by': 'edge-isolate' } })) return new Response(null, { status: 101 })
      return new Response('expected a WebSocket upgrade', { status: 426 })
    }
    if (url.pathname === '/echo' && request.method === 'POST') {
      // Streams the request body straight back out.
      return new Response(request.body, { headers: { 'content-type': request.headers.get('content-type') ?? 'application/octet-stream' } })
    }
    if (url.pathname === '/events') {
      const enc = new TextEncoder()
      let n = 0
      return new Response(new ReadableStream({
        async pull(controller) {
          if (n > 0) await new Promise((r) => setTimeout(r, 20))
          if (n === 3) return controller.close()
          controller.enqueue(enc.encode('data: tick ' + n++ + '\\n\\n'))
        },
      }, { highWaterMark: 0 }), { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
    }
    const headers = new Headers({ 'content-type': 'application/json' })
    headers.append('set-cookie', 'a=1; Path=/')
    headers.append('set-cookie', 'b=2; Path=/')
    return new Response(JSON.stringify({ hello: 'from the isolate', method: request.method, path: url.pathname }), { headers })
  },
  websocket: {
    open(ws) {
      ws.send('welcome ' + ws.data.name)
    },
    message(ws, message) {
      if (message === 'close me') return ws.close(4000, 'as you wish')
      ws.send(message) // text stays text, binary stays binary
    },
    close(ws, code, reason) {
      console.log('closed', ws.data.name, code, reason)
    },
  },
})
`

/** node:http's IncomingMessage as a Request; its body streams in as the app reads it. */
function toRequest(req, signal) {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`)
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1])
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  return new Request(url, { method: req.method, headers, signal, body: hasBody ? Readable.toWeb(req) : undefined, duplex: 'half' })
}

function nodeHeaders(headers) {
  const out = {}
  for (const [k, v] of headers) if (k !== 'set-cookie') out[k] = v
  const cookies = headers.getSetCookie()
  if (cookies.length > 0) out['set-cookie'] = cookies
  return out
}

/**
 * Starts the server on 127.0.0.1. Returns its `url`, the `runtime` running the app, and `close()`.
 * `onLog` receives the app's console output.
 */
export async function start({ port = 0, app = APP, onLog = (line) => console.log('[app]', line) } = {}) {
  const runtime = await createRuntime({
    memoryLimitMB: 64,
    console: { onEntry: (e) => e.type === 'output' && onLog(e.stdout) },
  })
  await runtime.eval(app, 'app.js')
  const api = runtime.fetch

  const sockets = new Map() // connection id → the real ws
  const unsubscribe = api.onWebSocketCommand((cmd) => {
    const ws = sockets.get(cmd.connectionId)
    if (!ws) return
    if (cmd.type === 'message') ws.send(cmd.data) // a string goes out as a text frame, an ArrayBuffer as binary
    else if (cmd.code === 1006) ws.terminate() // ws.terminate() inside: no closing handshake
    else ws.close(cmd.code, cmd.reason)
  })
  const report = (what) => (error) => console.error(`ws-bridge: ${what}:`, error?.message ?? error)

  const server = http.createServer(async (req, res) => {
    const aborter = new AbortController()
    // The client went away before the answer was complete: the app's request.signal aborts.
    res.on('close', () => res.writableFinished || aborter.abort())
    try {
      const response = await api.dispatchRequest(toRequest(req, aborter.signal))
      res.writeHead(response.status, response.statusText, nodeHeaders(response.headers))
      res.flushHeaders() // an event stream's head goes out before its first event
      if (response.body === null) res.end()
      // pipeline() waits for res's 'drain' (backpressure) and cancels the body if res closes early.
      else await pipeline(Readable.fromWeb(response.body), res)
    } catch (error) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`${error.name}: ${error.message}\n`)
      } else res.destroy()
    }
  })

  const wss = new WebSocketServer({ noServer: true })
  const handshakeHeaders = new WeakMap() // IncomingMessage → headers of the app's 101 answer
  wss.on('headers', (lines, req) => {
    for (const [k, v] of handshakeHeaders.get(req) ?? []) lines.push(`${k}: ${v}`)
  })

  // getUpgradeRequest() names the latest upgrade only, so upgrades are dispatched one at a time.
  let upgrades = Promise.resolve()
  server.on('upgrade', (req, socket, head) => {
    upgrades = upgrades.then(() => upgrade(req, socket, head)).catch(report('upgrade'))
  })

  async function upgrade(req, socket, head) {
    socket.on('error', () => {})
    let response
    try {
      response = await api.dispatchRequest(toRequest(req))
    } catch (error) {
      return refuse(socket, 500, `${error.name}: ${error.message}`)
    }
    const pending = response.status === 101 ? await api.getUpgradeRequest() : null
    if (pending === null) return refuse(socket, response.status, await response.text(), response.headers)
    const id = pending.connectionId
    handshakeHeaders.set(req, [...response.headers])
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(id, ws)
      ws.on('message', (data, isBinary) => {
        // ws gives a Buffer; binary frames go in as bytes, text frames as strings.
        api.dispatchWebSocketMessage(id, isBinary ? data : data.toString('utf8')).catch(report('message'))
      })
      ws.on('close', (code, reason) => {
        sockets.delete(id)
        api.dispatchWebSocketClose(id, code, reason.toString('utf8')).catch(report('close'))
      })
      ws.on('error', (error) => api.dispatchWebSocketError(id, error).catch(report('error')))
      api.dispatchWebSocketOpen(id).catch(report('open'))
    })
  }

  // An upgrade the app declined: its answer as a plain HTTP response on the raw socket.
  function refuse(socket, status, body, headers = new Headers()) {
    if (!socket.writable) return socket.destroy()
    const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`]
    for (const [k, v] of headers) if (k !== 'content-length' && k !== 'connection') lines.push(`${k}: ${v}`)
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`)
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const url = `http://127.0.0.1:${server.address().port}`

  async function close() {
    unsubscribe()
    for (const ws of wss.clients) ws.terminate()
    wss.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(() => resolve()))
    await runtime.dispose()
  }
  return { url, runtime, close }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, close } = await start({ port: Number(process.env.PORT ?? 0) })
  console.log(`listening on ${url}  (WebSocket: ${url.replace('http', 'ws')}/ws?name=you)`)
  process.once('SIGINT', () => close().then(() => process.exit(0)))
}
