// A server for bench/server.mjs, in its own Node process: `node server/node.mjs MODE`.
// Prints {"port":N} on stdout once listening; exits on SIGTERM or when stdin closes.
//   listen      runtime.listen serving serve({ fetch: () => new Response('Hello') })
//   http        node:http calling the same fetch handler, unsandboxed, through a Request/Response adapter
//   http-plain  node:http answering res.end('Hello'): Node's HTTP stack with no Request/Response
//   dispatch    node:http + runtime.fetch.dispatchRequest, through the same adapter as `http`
//   listen-ws   runtime.listen: WebSocket echo, and any other request's body echoed back
//   ws          node:http + the `ws` package: the same WebSocket echo and body echo
import http from 'node:http'
import { Readable } from 'node:stream'
import { WebSocketServer } from 'ws'

const mode = process.argv[2]
const HELLO = `serve({ fetch: () => new Response('Hello') })`
const ECHO = `serve({
  fetch(request, server) {
    if (server.upgrade(request)) return
    return new Response(request.body)
  },
  websocket: { message(ws, m) { ws.send(m) } },
})`

// node:http request → fetch Request, fetch Response → node:http response: what an adapter such as
// @hono/node-server does, kept minimal. (b) and (e) share it, so their difference is the sandbox.
const toRequest = (req) =>
  new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
    method: req.method,
    headers: req.headers,
    ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: Readable.toWeb(req), duplex: 'half' }),
  })
async function writeResponse(res, response) {
  const headers = {}
  for (const [k, v] of response.headers) headers[k] = v
  res.writeHead(response.status, headers)
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined)
}
const fail = (res) => (e) => {
  console.error(e)
  res.writeHead(500).end()
}

let server
if (mode === 'listen' || mode === 'listen-ws') {
  const { createRuntime } = await import('../../index.js')
  const rt = await createRuntime({ memoryLimitMB: 128 })
  await rt.eval(mode === 'listen' ? HELLO : ECHO, 'app.js')
  server = await rt.listen({ port: 0 })
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`)
} else {
  let handler
  if (mode === 'http') {
    const fetchHandler = () => new Response('Hello')
    handler = (req, res) => writeResponse(res, fetchHandler(toRequest(req))).catch(fail(res))
  } else if (mode === 'http-plain') {
    handler = (req, res) => res.end('Hello')
  } else if (mode === 'dispatch') {
    const { createRuntime } = await import('../../index.js')
    const rt = await createRuntime({ memoryLimitMB: 128 })
    await rt.eval(HELLO, 'app.js')
    handler = (req, res) => rt.fetch.dispatchRequest(toRequest(req)).then((r) => writeResponse(res, r)).catch(fail(res))
  } else if (mode === 'ws') {
    handler = (req, res) => req.pipe(res)
  } else {
    console.error(`unknown mode ${mode}`)
    process.exit(2)
  }
  server = http.createServer(handler)
  if (mode === 'ws') {
    const wss = new WebSocketServer({ server })
    wss.on('connection', (s) => s.on('message', (m, binary) => s.send(binary ? m : m.toString())))
  }
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`))
}
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
