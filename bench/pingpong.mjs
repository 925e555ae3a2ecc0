// Hand-off latency: 10,000 sequential WebSocket round trips (one message out, wait for the echo,
// repeat), the ping/pong scenario of the @ricsam/isolate-runtime family, in one run:
//   ws          a plain `ws` server echoing, a `ws` client on loopback (the baseline)
//   bridged     the same client; the server hands each message to a runtime with
//               dispatchWebSocketMessage, the isolate's handler answers with ws.send, and
//               onWebSocketCommand writes it back to the socket
//   in-process  no sockets: dispatchWebSocketMessage → ws.send → onWebSocketCommand, awaited
// plus a 20 MB upload + download through dispatchRequest (the isolate streams the request body
// back) against node:http echoing the same body, in MB/s.
import http from 'node:http'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { WebSocket, WebSocketServer } from 'ws'
import { loadOurs, fmt, ratio, table } from './lib.mjs'

const ROUNDS = Number(process.env.BENCH_PINGPONG_ROUNDS ?? 10_000)
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 20)
const json = process.argv.includes('--json')

const APP = `serve({
  fetch(request, server) {
    if (request.headers.get('upgrade') === 'websocket') { server.upgrade(request); return new Response(null, { status: 101 }) }
    return new Response(request.body)
  },
  websocket: { message(ws, m) { ws.send(m) } },
})`

async function roundTrips(client) {
  const t0 = performance.now()
  for (let i = 0; i < ROUNDS; i++) {
    client.send('ping')
    await once(client, 'message')
  }
  return ROUNDS / ((performance.now() - t0) / 1000)
}

async function plainWs() {
  const wss = new WebSocketServer({ port: 0 })
  wss.on('connection', (s) => s.on('message', (m, binary) => s.send(binary ? m : m.toString())))
  await once(wss, 'listening')
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`)
  await once(client, 'open')
  await roundTrips(client) // warm-up
  const rate = await roundTrips(client)
  client.close()
  wss.close()
  return rate
}

async function openConnection(rt) {
  await rt.fetch.dispatchRequest(new Request('http://localhost/ws', { headers: { upgrade: 'websocket' } }))
  const { connectionId } = await rt.fetch.getUpgradeRequest()
  await rt.fetch.dispatchWebSocketOpen(connectionId)
  return connectionId
}

async function bridged(createRuntime) {
  const rt = await createRuntime()
  await rt.eval(APP)
  const wss = new WebSocketServer({ port: 0 })
  const sockets = new Map()
  rt.fetch.onWebSocketCommand((cmd) => {
    if (cmd.type === 'message') sockets.get(cmd.connectionId)?.send(cmd.data)
  })
  wss.on('connection', async (s) => {
    const id = await openConnection(rt)
    sockets.set(id, s)
    s.on('message', (m, binary) => rt.fetch.dispatchWebSocketMessage(id, binary ? m : m.toString()).catch(() => {}))
    s.send('ready')
  })
  await once(wss, 'listening')
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`)
  await once(client, 'message') // ready
  await roundTrips(client)
  const rate = await roundTrips(client)
  client.close()
  wss.close()
  await rt.dispose()
  return rate
}

async function inProcess(createRuntime) {
  const rt = await createRuntime()
  await rt.eval(APP)
  const id = await openConnection(rt)
  let answer
  rt.fetch.onWebSocketCommand((cmd) => {
    if (cmd.type === 'message') answer?.()
  })
  const run = async () => {
    const t0 = performance.now()
    for (let i = 0; i < ROUNDS; i++) {
      const got = new Promise((r) => (answer = r))
      const sent = rt.fetch.dispatchWebSocketMessage(id, 'ping')
      await got
      await sent
    }
    return ROUNDS / ((performance.now() - t0) / 1000)
  }
  await run()
  const rate = await run()
  await rt.dispose()
  return rate
}

const body = () => {
  const chunk = new Uint8Array(64 * 1024).fill(120)
  let left = UPLOAD_MB * 1024 * 1024
  return new ReadableStream({
    pull(c) {
      if (left <= 0) return c.close()
      c.enqueue(chunk.slice(0, Math.min(chunk.length, left)))
      left -= chunk.length
    },
  })
}

async function drain(stream) {
  let n = 0
  for await (const c of stream) n += c.byteLength
  return n
}

async function uploadDownload(send) {
  const t0 = performance.now()
  const n = await send()
  const s = (performance.now() - t0) / 1000
  if (n !== UPLOAD_MB * 1024 * 1024) throw new Error(`echoed ${n} bytes`)
  return (2 * UPLOAD_MB) / s
}

async function nodeHttpEcho() {
  const server = http.createServer((req, res) => req.pipe(res))
  server.listen(0)
  await once(server, 'listening')
  const url = `http://127.0.0.1:${server.address().port}/`
  const send = async () => drain((await fetch(url, { method: 'POST', body: body(), duplex: 'half' })).body)
  await uploadDownload(send)
  const rate = await uploadDownload(send)
  server.close()
  return rate
}

async function dispatchEcho(createRuntime) {
  const rt = await createRuntime()
  await rt.eval(APP)
  const send = async () => drain((await rt.fetch.dispatchRequest(new Request('http://localhost/', { method: 'POST', body: body(), duplex: 'half' }))).body)
  await uploadDownload(send)
  const rate = await uploadDownload(send)
  await rt.dispose()
  return rate
}

const ours = await loadOurs()
const results = {
  ws: await plainWs(),
  bridged: ours ? await bridged(ours.createRuntime) : NaN,
  inProcess: ours ? await inProcess(ours.createRuntime) : NaN,
  nodeHttp: await nodeHttpEcho(),
  dispatch: ours ? await dispatchEcho(ours.createRuntime) : NaN,
}
if (json) {
  console.log(JSON.stringify(results))
} else {
  console.log(`Ping/pong: ${ROUNDS} sequential round trips (round trips/s; goal ≥ 0.9× ws)\n`)
  console.log(
    table(
      ['', 'ws server', 'runtime behind ws', 'runtime, in process'],
      [
        ['round trips/s', fmt(results.ws, 0), fmt(results.bridged, 0), fmt(results.inProcess, 0)],
        ['vs ws', '1.00x', ratio(results.bridged, results.ws), ratio(results.inProcess, results.ws)],
      ],
    ),
  )
  console.log(`\n${UPLOAD_MB} MB upload + download (MB/s moved)\n`)
  console.log(table(['', 'node:http echo', 'dispatchRequest echo'], [['MB/s', fmt(results.nodeHttp, 0), fmt(results.dispatch, 0)], ['vs node:http', '1.00x', ratio(results.dispatch, results.nodeHttp)]]))
}
