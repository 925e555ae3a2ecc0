// Raw TCP through connect() (cloudflare:sockets) inside a runtime, against Node's own `net` in the
// same run, both talking to the same echo server (node:net in a child process, so it never shares
// a thread with a client):
//   throughput   MB/s of an echo: the client writes TOTAL_MB in 64 KiB chunks while it reads the
//                echo back, until every byte has come back
//   round trips  sequential 64-byte request/echo pairs per second (write, then wait for the echo)
//   read / write one direction only: MB/s of reading TOTAL_MB a server sends, and of writing
//                TOTAL_MB to a server that discards it (until the server has seen our end)
// Rounds interleave Node and the isolate; the best round of each is reported. Beside each MB/s, the
// process's CPU time (all its threads, user + system) per MB moved in that best round: steadier
// than MB/s on a shared machine, where the echo server in the child competes for the same cores.
// Run with: node sockets.mjs [--json]
import { spawn } from 'node:child_process'
import net from 'node:net'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { fmt, loadOurs, ratio, table } from './lib.mjs'

/** This process's CPU time so far (ms, every thread, user + system). */
const cpuMs = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}
/** Runs `f` (which resolves with MB/s over `mb` MB) and adds the CPU µs per MB it took. */
async function withCpu(mb, f) {
  const c0 = cpuMs()
  const mbps = await f()
  return { mbps, cpu: ((cpuMs() - c0) * 1000) / mb }
}

const ROUNDS = Number(process.env.BENCH_SOCKETS_ROUNDS ?? 3)
const TOTAL_MB = Number(process.env.BENCH_SOCKETS_MB ?? 256)
const ROUND_TRIPS = Number(process.env.BENCH_SOCKETS_RT ?? 5000)
const CHUNK = 64 * 1024
const json = process.argv.includes('--json')

const SERVER = `
  const net = require('node:net')
  const total = ${TOTAL_MB} * 1024 * 1024
  const listen = (server) => new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)))
  const echo = net.createServer((s) => { s.setNoDelay(true); s.pipe(s) })
  const source = net.createServer((s) => {
    const chunk = Buffer.alloc(1 << 20, 1)
    let sent = 0
    const go = () => { while (sent < total) { sent += chunk.length; if (!s.write(chunk)) return s.once('drain', go) } s.end() }
    s.on('error', () => {})
    go()
  })
  const sink = net.createServer((s) => { s.resume(); s.on('end', () => s.end()) })
  Promise.all([listen(echo), listen(source), listen(sink)]).then((ports) => process.send(ports))
`

async function nodeThroughput(port) {
  const s = net.connect(port, '127.0.0.1')
  s.setNoDelay(true)
  await new Promise((r) => s.once('connect', r))
  const total = TOTAL_MB * 1024 * 1024
  const chunk = Buffer.alloc(CHUNK, 1)
  const t0 = performance.now()
  let got = 0
  const done = new Promise((resolve) => {
    s.on('data', (d) => {
      got += d.length
      if (got >= total) resolve()
    })
  })
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r))
  }
  await done
  const ms = performance.now() - t0
  s.destroy()
  return (total / (1024 * 1024)) / (ms / 1000)
}

async function nodeRead(port) {
  const s = net.connect(port, '127.0.0.1')
  await new Promise((r) => s.once('connect', r))
  const t0 = performance.now()
  let got = 0
  s.on('data', (d) => (got += d.length))
  await new Promise((r) => s.once('end', r))
  const ms = performance.now() - t0
  s.destroy()
  return (got / (1024 * 1024)) / (ms / 1000)
}

async function nodeWrite(port) {
  const s = net.connect(port, '127.0.0.1')
  await new Promise((r) => s.once('connect', r))
  const total = TOTAL_MB * 1024 * 1024
  const chunk = Buffer.alloc(CHUNK, 1)
  const t0 = performance.now()
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r))
  }
  s.end()
  await new Promise((r) => s.once('close', r))
  return TOTAL_MB / ((performance.now() - t0) / 1000)
}

async function nodeRoundTrips(port) {
  const s = net.connect(port, '127.0.0.1')
  s.setNoDelay(true)
  await new Promise((r) => s.once('connect', r))
  const msg = Buffer.alloc(64, 2)
  let pending = null
  let got = 0
  s.on('data', (d) => {
    got += d.length
    if (got >= 64 && pending) {
      got -= 64
      const p = pending
      pending = null
      p()
    }
  })
  const t0 = performance.now()
  for (let i = 0; i < ROUND_TRIPS; i++) {
    await new Promise((r) => {
      pending = r
      s.write(msg)
    })
  }
  const ms = performance.now() - t0
  s.destroy()
  return ROUND_TRIPS / (ms / 1000)
}

// The isolate side: the same two loops with connect() and Web streams.
const ISOLATE = ([port, source, sink]) => `
import { connect } from 'cloudflare:sockets'
async function read() {
  const s = connect('127.0.0.1:${source}')
  await s.opened
  const r = s.readable.getReader()
  const t0 = performance.now()
  const c0 = cpuMs()
  let got = 0
  for (;;) {
    const { done, value } = await r.read()
    if (done) break
    got += value.byteLength
  }
  const ms = performance.now() - t0
  const cpu = cpuMs() - c0
  await s.close()
  return { mbps: (got / (1024 * 1024)) / (ms / 1000), cpu: (cpu * 1000) / (got / (1024 * 1024)) }
}
async function write() {
  const s = connect('127.0.0.1:${sink}')
  await s.opened
  const chunk = new Uint8Array(${CHUNK}).fill(1)
  const w = s.writable.getWriter()
  const t0 = performance.now()
  const c0 = cpuMs()
  for (let sent = 0; sent < ${TOTAL_MB} * 1024 * 1024; sent += chunk.byteLength) {
    await w.ready
    w.write(chunk)
  }
  await w.close()
  await s.closed
  const cpu = cpuMs() - c0
  return { mbps: ${TOTAL_MB} / ((performance.now() - t0) / 1000), cpu: (cpu * 1000) / ${TOTAL_MB} }
}
async function throughput() {
  const s = connect('127.0.0.1:${port}')
  await s.opened
  const total = ${TOTAL_MB} * 1024 * 1024
  const chunk = new Uint8Array(${CHUNK}).fill(1)
  const w = s.writable.getWriter()
  const r = s.readable.getReader()
  const t0 = performance.now()
  const c0 = cpuMs()
  const reading = (async () => {
    let got = 0
    while (got < total) got += (await r.read()).value.byteLength
  })()
  for (let sent = 0; sent < total; sent += chunk.byteLength) {
    await w.ready
    w.write(chunk)
  }
  await reading
  const ms = performance.now() - t0
  const cpu = cpuMs() - c0
  await s.close()
  return { mbps: (total / (1024 * 1024)) / (ms / 1000), cpu: (cpu * 1000) / (2 * ${TOTAL_MB}) }
}
async function roundTrips() {
  const s = connect('127.0.0.1:${port}')
  await s.opened
  const msg = new Uint8Array(64).fill(2)
  const w = s.writable.getWriter()
  const r = s.readable.getReader()
  const t0 = performance.now()
  for (let i = 0; i < ${ROUND_TRIPS}; i++) {
    w.write(msg)
    let got = 0
    while (got < 64) got += (await r.read()).value.byteLength
  }
  const ms = performance.now() - t0
  await s.close()
  return ${ROUND_TRIPS} / (ms / 1000)
}
report(await throughput(), await roundTrips(), await read(), await write())
`

async function main() {
  const ours = await loadOurs()
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ports = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('error', reject)
  })
  const [port, source, sink] = ports
  // Per side: the best round of each figure, with the CPU per MB of that round.
  const zero = () => ({ echo: { mbps: 0, cpu: 0 }, read: { mbps: 0, cpu: 0 }, write: { mbps: 0, cpu: 0 }, rtps: 0 })
  const best = { node: zero(), isolate: zero() }
  const keep = (side, echo, read, write, rtps) => {
    const b = best[side]
    for (const [k, r] of [['echo', echo], ['read', read], ['write', write]]) if (r.mbps > b[k].mbps) b[k] = r
    b.rtps = Math.max(b.rtps, rtps)
  }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const [echo, rtps, read, write] = [await withCpu(TOTAL_MB * 2, () => nodeThroughput(port)), await nodeRoundTrips(port), await withCpu(TOTAL_MB, () => nodeRead(source)), await withCpu(TOTAL_MB, () => nodeWrite(sink))]
      keep('node', echo, read, write, rtps)
      if (!ours) continue
      let out = null
      const rt = await ours.createRuntime({
        memoryLimitMB: 128,
        network: { allowPrivateNetworks: true, allowedHosts: ports.map((p) => `tcp://127.0.0.1:${p}`) },
        customFunctions: {
          report: { type: 'sync', fn: (echo, rtps, read, write) => (out = { echo, rtps, read, write }) },
          cpuMs: { type: 'sync', fn: cpuMs },
        },
      })
      try {
        await rt.eval(ISOLATE(ports), 'bench.js')
      } finally {
        await rt.dispose()
      }
      keep('isolate', out.echo, out.read, out.write, out.rtps)
    }
  } finally {
    child.kill()
  }
  const result = { rounds: ROUNDS, totalMB: TOTAL_MB, roundTrips: ROUND_TRIPS, node: best.node, isolate: ours ? best.isolate : null }
  if (json) {
    console.log(JSON.stringify(result))
    return
  }
  console.log(render(result))
}

/** The table of a result of this bench (`node sockets.mjs --json`); run.mjs prints the same. */
export function render(r) {
  const n = r.node
  const i = r.isolate
  const mbRow = (label, k) => [label, fmt(n[k].mbps, 0), fmt(i?.[k].mbps, 0), ratio(i?.[k].mbps, n[k].mbps)]
  const cpuRow = (label, k) => [`${label}: CPU µs per MB (lower is better)`, fmt(n[k].cpu, 0), fmt(i?.[k].cpu, 0), ratio(i?.[k].cpu, n[k].cpu)]
  return table(['connect()', "Node's net", 'isolate connect()', 'isolate / Node'], [
    mbRow(`echo throughput (MB/s, ${r.totalMB} MB)`, 'echo'),
    cpuRow('echo (both ways)', 'echo'),
    ['sequential round trips/s (64 B)', fmt(n.rtps, 0), fmt(i?.rtps, 0), ratio(i?.rtps, n.rtps)],
    mbRow(`read only (MB/s, ${r.totalMB} MB)`, 'read'),
    cpuRow('read only', 'read'),
    mbRow(`write only (MB/s, ${r.totalMB} MB)`, 'write'),
    cpuRow('write only', 'write'),
  ])
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
