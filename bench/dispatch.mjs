// Dispatch throughput: a hello-world serve() handler reached through runtime.fetch.dispatchRequest
// (Node's Request in, Node's Response out, body read), on 1 runtime and on 4 (round-robin), side
// by side in one process with the same handler source called directly in Node. Then WebSocket
// echo round trips: dispatchWebSocketMessage → ws.send inside → onWebSocketCommand.
// Every phase runs for a fixed time with a fixed number of operations in flight.
// Run with: node bench/dispatch.mjs [--json]
import { performance } from 'node:perf_hooks'
import { fmt, loadOurs, percentile, table } from './lib.mjs'

const MS = Number(process.env.BENCH_DISPATCH_MS ?? 2000) // per phase and engine, split over 2 rounds
const WARMUP_MS = Number(process.env.BENCH_DISPATCH_WARMUP_MS ?? 500)
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32)
const WS_CONNECTIONS = 8
const WS_IN_FLIGHT = 4 // per connection
const URL_ = 'http://localhost/hello'

// One source, two places: evaluated in Node for the baseline, given to serve() in the isolate.
const HANDLER = `(request) => new Response('Hello, world!', { headers: { 'content-type': 'text/plain' } })`

/**
 * Runs `once()` with `inFlight` calls outstanding until `ms` have passed.
 * Returns the completed count, the elapsed ms and each call's latency in ms.
 */
async function load(once, ms, inFlight) {
  const latencies = []
  const end = performance.now() + ms
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now()
      await once()
      latencies.push(performance.now() - t0)
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: inFlight }, worker))
  return { n: latencies.length, ms: performance.now() - t0, latencies }
}

const ours = await loadOurs()
if (!ours) {
  console.error('edge-isolate is not built: run `npm run build` first')
  process.exit(1)
}

const direct = (0, eval)(HANDLER)
const runtimes = await Promise.all([0, 1, 2, 3].map(() => ours.createRuntime({ memoryLimitMB: 128 })))
for (const rt of runtimes) await rt.eval(`serve({ fetch: ${HANDLER} })`, 'app.js')

let next = 0
const engines = {
  direct: async () => {
    const res = await direct(new Request(URL_))
    await res.text()
  },
  one: async () => {
    const res = await runtimes[0].fetch.dispatchRequest(new Request(URL_))
    await res.text()
  },
  four: async () => {
    const res = await runtimes[next++ % 4].fetch.dispatchRequest(new Request(URL_))
    await res.text()
  },
}
const check = await (await runtimes[0].fetch.dispatchRequest(new Request(URL_))).text()
if (check !== (await (await direct(new Request(URL_))).text())) throw new Error(`unexpected body ${check}`)

const names = Object.keys(engines)
for (const n of names) await load(engines[n], WARMUP_MS, IN_FLIGHT)
const http = Object.fromEntries(names.map((n) => [n, { n: 0, ms: 0, latencies: [] }]))
// Two rounds in opposite orders, so neither engine always runs first or last.
for (const order of [names, [...names].reverse()]) {
  for (const n of order) {
    const r = await load(engines[n], MS / 2, IN_FLIGHT)
    http[n].n += r.n
    http[n].ms += r.ms
    http[n].latencies.push(...r.latencies)
  }
}
const result = { inFlight: IN_FLIGHT, ms: MS, http: {} }
for (const n of names) {
  const h = http[n]
  result.http[n] = { rps: (h.n * 1000) / h.ms, p50Ms: percentile(h.latencies, 50), p99Ms: percentile(h.latencies, 99), requests: h.n }
}
result.http.ratioOne = result.http.one.rps / result.http.direct.rps
result.http.ratioFour = result.http.four.rps / result.http.direct.rps

// WebSocket echo: WS_CONNECTIONS connections on one runtime, WS_IN_FLIGHT messages outstanding on each.
async function wsEcho(payload, ms) {
  const rt = runtimes[0]
  await rt.eval(`serve({ fetch(request, server) { server.upgrade(request); return new Response(null, { status: 101 }) }, websocket: { message(ws, m) { ws.send(m) } } })`)
  const ids = []
  for (let i = 0; i < WS_CONNECTIONS; i++) {
    await rt.fetch.dispatchRequest(new Request(URL_, { headers: { upgrade: 'websocket' } }))
    const { connectionId } = await rt.fetch.getUpgradeRequest()
    await rt.fetch.dispatchWebSocketOpen(connectionId)
    ids.push(connectionId)
  }
  let done = 0
  let outstanding = 0
  let stop = false
  let drained
  const allBack = new Promise((r) => (drained = r))
  const send = (id) => {
    outstanding++
    rt.fetch.dispatchWebSocketMessage(id, payload).catch((e) => {
      console.error(e)
      process.exit(1)
    })
  }
  const off = rt.fetch.onWebSocketCommand((cmd) => {
    if (cmd.type !== 'message') return
    outstanding--
    done++
    if (!stop) send(cmd.connectionId)
    else if (outstanding === 0) drained()
  })
  const t0 = performance.now()
  for (const id of ids) for (let k = 0; k < WS_IN_FLIGHT; k++) send(id)
  await new Promise((r) => setTimeout(r, ms))
  const n = done
  const elapsed = performance.now() - t0
  stop = true
  await allBack
  off()
  for (const id of ids) await rt.fetch.dispatchWebSocketClose(id, 1000, '')
  return (n * 1000) / elapsed
}
await wsEcho('ping', WARMUP_MS)
result.ws = {
  connections: WS_CONNECTIONS,
  inFlight: WS_CONNECTIONS * WS_IN_FLIGHT,
  textMps: await wsEcho('ping', MS),
  binaryMps: await wsEcho(new Uint8Array(1024).fill(1), MS),
}

await Promise.all(runtimes.map((rt) => rt.dispose()))

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(result))
} else {
  const h = result.http
  const row = (label, k) => [label, fmt(h.direct[k]), fmt(h.one[k]), fmt(h.four[k])]
  console.log(`dispatchRequest, hello world, ${IN_FLIGHT} in flight, ${MS} ms per engine\n`)
  console.log(table(['', 'handler called in Node', '1 runtime', '4 runtimes'], [
    row('requests/s', 'rps'),
    row('p50 latency (ms)', 'p50Ms'),
    row('p99 latency (ms)', 'p99Ms'),
    ['req/s vs direct', '1.00x', `${fmt(h.ratioOne)}x`, `${fmt(h.ratioFour)}x`],
  ]))
  console.log(`\nWebSocket echo (dispatchWebSocketMessage → ws.send → onWebSocketCommand), ${result.ws.connections} connections, ` +
    `${result.ws.inFlight} in flight: ${fmt(result.ws.textMps, 0)} msg/s text, ${fmt(result.ws.binaryMps, 0)} msg/s 1 KiB binary`)
}
