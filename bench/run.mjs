// Runs both benches, each in its own node process with the flags it needs, and prints one markdown
// table for the README. Installs nothing: run `node setup.mjs` first (the "bench" npm script does).
import { cpus } from 'node:os'
import { IVM_VERSION, fmt, oursBuilt, ratio, runJson, table } from './lib.mjs'
import { render as renderServer } from './server.mjs'
import { render as renderSockets } from './sockets.mjs'

// isolated-vm 5 on Node >= 20 must run with --no-node-snapshot; our addon runs under the same flags.
const startup = runJson(['--no-node-snapshot'], './startup.mjs')
const density = runJson([], './density.mjs') // spawns one child per engine itself
const webapi = runJson([], './webapi.mjs')
const dispatch = oursBuilt() ? runJson([], './dispatch.mjs') : { error: 'dispatch.mjs: edge-isolate is not built' }
const egress = oursBuilt() ? runJson([], './egress.mjs') : { error: 'egress.mjs: edge-isolate is not built' }
const sockets = oursBuilt() ? runJson([], './sockets.mjs') : { error: 'sockets.mjs: edge-isolate is not built' }
const pingpong = oursBuilt() ? runJson([], './pingpong.mjs') : { error: 'pingpong.mjs: edge-isolate is not built' }
// Runs without the addon too: its columns then say n/a, like those of a missing wrk, Deno or Bun.
const server = runJson([], './server.mjs')

const failures = [startup, density, density.ours, density.ivm, density.ivmPoly, webapi, dispatch, egress, sockets, pingpong, server].filter((r) => r?.error)
for (const f of failures) console.error(`FAILED: ${f.error}`)

// Third engine: isolated-vm with polyfills for the Web classes ours has built in (build-polyfills.mjs).
const row = (label, r, key) => {
  const [o, i, p] = [r.ours?.[key], r.ivm?.[key], r.ivmPoly?.[key]]
  return [label, fmt(o), fmt(i), fmt(p), ratio(o, i), ratio(o, p)]
}
console.log(table(['', 'edge-isolate', `isolated-vm ${IVM_VERSION}`, 'isolated-vm + polyfills', 'ours / isolated-vm', 'ours / ivm+polyfills'], [
  row('startup median (ms)', startup, 'medianMs'),
  row('startup p99 (ms)', startup, 'p99Ms'),
  // Warm: served from runtimes made ahead (configurePool({ warmRuntimes })), its own phase.
  ['startup warm median (ms)', fmt(startup.oursWarm?.medianMs), fmt(startup.ivmWarmPhase?.medianMs), '', ratio(startup.oursWarm?.medianMs, startup.ivmWarmPhase?.medianMs), ''],
  row(`RSS per idle runtime (MB, N=${density.n ?? '?'})`, density, 'rssPerRuntimeMB'),
  row('V8 heap used per runtime (MB)', density, 'heapUsedPerRuntimeMB'),
  row('create + eval per runtime (ms)', density, 'createMsPerRuntime'),
  [`threads with N alive`, density.ours?.threads ?? 'n/a', density.ivm?.threads ?? 'n/a', density.ivmPoly?.threads ?? 'n/a', '', ''],
]))
console.log(
  `\nStartup = create + first eval('1') + dispose, ${startup.runs ?? '?'} runs; density = (RSS after − before) / N ` +
    `after GC. Node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length}× ${cpus()[0]?.model.trim()}.` +
    (oursBuilt() ? '' : '\nedge-isolate is not built yet: its column is empty.'),
)

// Web API throughput has Node (undici) as its baseline: the same JS run in Node.
if (!webapi.error) {
  console.log(`\n${table(['Web API, ops/s', 'edge-isolate', `Node ${process.version} (undici ${webapi.undici})`, 'ours / Node'],
    Object.entries(webapi.cases).map(([name, r]) => [name, fmt(r.ours?.opsPerSec, 0), fmt(r.node.opsPerSec, 0), ratio(r.ours?.opsPerSec, r.node.opsPerSec)]),
  )}`)
}

// runtime.fetch has no isolated-vm counterpart: its baseline is the same handler called in Node.
if (!dispatch.error) {
  const h = dispatch.http
  const drow = (label, k) => [label, fmt(h.direct[k]), fmt(h.one[k]), fmt(h.four[k])]
  console.log(`\n${table(['dispatchRequest, hello world', 'handler called in Node', '1 runtime', '4 runtimes'], [
    drow('requests/s', 'rps'),
    drow('p50 latency (ms)', 'p50Ms'),
    drow('p99 latency (ms)', 'p99Ms'),
    ['req/s vs direct', '1.00x', `${fmt(h.ratioOne)}x`, `${fmt(h.ratioFour)}x`],
  ])}`)
  console.log(
    `\n${dispatch.inFlight} requests in flight, ${dispatch.ms} ms per column. WebSocket echo through ` +
      `dispatchWebSocketMessage → onWebSocketCommand (${dispatch.ws.connections} connections, ${dispatch.ws.inFlight} in flight): ` +
      `${fmt(dispatch.ws.textMps, 0)} msg/s text, ${fmt(dispatch.ws.binaryMps, 0)} msg/s 1 KiB binary.`,
  )
}
// Egress: the isolate's fetch() against Node's own fetch on the same local server.
if (!egress.error) {
  const rows = Object.entries(egress.summary).map(([path, e]) => [
    path === '/small' ? 'GET 60 B JSON' : 'GET 64 KiB',
    fmt(e.node, 0),
    fmt(e.native, 0),
    ratio(e.native, e.node),
    fmt(e.onFetch, 0),
    ratio(e.onFetch, e.node),
  ])
  console.log(`\n${table(['fetch(), requests/s', 'Node fetch', 'isolate, native client', 'native / Node', 'isolate, onFetch', 'onFetch / Node'], rows)}`)
  console.log(`\nBest of ${egress.rounds} rounds, ${egress.concurrency} in flight, body read; the server runs in a child process.`)
}
// Raw TCP: connect() inside against Node's net on the same echo server.
if (!sockets.error) {
  console.log(`\n${renderSockets(sockets)}`)
  console.log(`\nBest of ${sockets.rounds} rounds; the echo server runs in a child process.`)
}
// Hand-off latency: the seed family's sequential WebSocket ping/pong, against a plain ws server.
if (!pingpong.error) {
  console.log(`\n${table(['ping/pong, round trips/s', 'ws server', 'runtime behind ws', 'runtime, in process'], [
    ['round trips/s', fmt(pingpong.ws, 0), fmt(pingpong.bridged, 0), fmt(pingpong.inProcess, 0)],
    ['vs ws (goal ≥ 0.9x)', '1.00x', ratio(pingpong.bridged, pingpong.ws), ratio(pingpong.inProcess, pingpong.ws)],
  ])}`)
  console.log(`\n20 MB upload + download: node:http echo ${fmt(pingpong.nodeHttp, 0)} MB/s, dispatchRequest echo ${fmt(pingpong.dispatch, 0)} MB/s (${ratio(pingpong.dispatch, pingpong.nodeHttp)}).`)
}
// The native server against unsandboxed peers: goal (a) runtime.listen ≥ Deno.serve.
if (!server.error) console.log(`\n${renderServer(server)}`)
if (failures.length) process.exitCode = 1
