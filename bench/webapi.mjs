// Web API throughput: the same JS (function bodies below) runs inside an edge-isolate runtime and
// in Node itself (its global Headers/Request/Response are undici's), interleaved round by round in
// this one process. Inside the isolate, time is taken with performance.now() and handed out
// through a customFunction, so the eval round trip is not counted.
// Run with: node webapi.mjs [--json]
import { performance } from 'node:perf_hooks'
import { MEMORY_LIMIT_MB, fmt, loadOurs, ratio, table } from './lib.mjs'

const ROUNDS = Number(process.env.BENCH_WEBAPI_ROUNDS ?? 5)
const SCALE = Number(process.env.BENCH_WEBAPI_SCALE ?? 1)

// Shared by every case; runs once per engine.
const SETUP = `
  const MB = 1 << 20
  // 1 MB of JSON-like ASCII text, and its UTF-8 bytes.
  let big = ''
  for (let i = 0; big.length < MB; i++) big += '{"id":' + i + ',"name":"item ' + i + '","ok":true},'
  big = big.slice(0, MB)
  const bigBytes = new TextEncoder().encode(big)
  const headerInit = {}
  for (let i = 0; i < 10; i++) headerInit['x-header-' + i] = 'value ' + i
  const payload = JSON.stringify({ user: 'ada', items: [1, 2, 3], nested: { a: 'b' } })
`
// name → [iterations per round, async function body over `n`; returns something to keep results alive]
const CASES = {
  'new Headers (10 entries)': [20000, `
    let h
    for (let i = 0; i < n; i++) h = new Headers(headerInit)
    return h.get('x-header-9')`],
  'new Request (URL, POST, headers, JSON body)': [10000, `
    let r
    for (let i = 0; i < n; i++) {
      r = new Request('https://example.com/api/items?page=' + i, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer abc' }, body: payload,
      })
    }
    return r.method`],
  'new Response (string body, headers)': [20000, `
    let r
    for (let i = 0; i < n; i++) r = new Response('hello world ' + i, { headers: { 'content-type': 'text/plain', 'x-id': 'a' } })
    return r.status`],
  'await new Response(1 MB string).text()': [100, `
    let len = 0
    for (let i = 0; i < n; i++) len += (await new Response(big).text()).length
    return len`],
  'await new Response(1 MB Uint8Array).text()': [100, `
    let len = 0
    for (let i = 0; i < n; i++) len += (await new Response(bigBytes).text()).length
    return len`],
  'await new Response(1 MB Uint8Array).arrayBuffer()': [100, `
    let len = 0
    for (let i = 0; i < n; i++) len += (await new Response(bigBytes).arrayBuffer()).byteLength
    return len`],
  // JWT signing: one key (made on the first call, outside the timed loop's later rounds), many
  // signatures, as a handler signing tokens does.
  'crypto.subtle.sign ES256 (P-256, SHA-256)': [300, `
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
    const key = (globalThis.__es256 ??= (await crypto.subtle.generateKey(alg, false, ['sign'])).privateKey)
    let sig
    for (let i = 0; i < n; i++) sig = await crypto.subtle.sign(alg, key, bigBytes.subarray(0, 200))
    return sig.byteLength`],
  'crypto.subtle.sign RS256 (RSA-2048, PKCS#1 v1.5)': [50, `
    const alg = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    const key = (globalThis.__rs256 ??= (await crypto.subtle.generateKey(alg, false, ['sign'])).privateKey)
    let sig
    for (let i = 0; i < n; i++) sig = await crypto.subtle.sign(alg, key, bigBytes.subarray(0, 200))
    return sig.byteLength`],
}
const iterations = (name) => Math.max(1, Math.round(CASES[name][0] * SCALE))

// Both engines evaluate this: `bench(name, n)` runs a case n times and returns the elapsed ms.
const PROGRAM = `${SETUP}
  const cases = {
    ${Object.entries(CASES).map(([name, [, body]]) => `${JSON.stringify(name)}: async (n) => {${body}\n}`).join(',\n')}
  }
  const bench = async (name, n) => {
    const t0 = performance.now()
    const kept = await cases[name](n)
    const ms = performance.now() - t0
    if (kept === undefined || kept === null) throw new Error(name + ': no result')
    return ms
  }
`

// Node: the program as a function, with Node's own globals.
const nodeBench = new Function(`${PROGRAM}\nreturn bench`)()

// edge-isolate: one runtime; each measurement is one eval that reports its own timing.
const ours = await loadOurs()
let oursBench = null
let rt = null
if (ours) {
  let reported
  rt = await ours.createRuntime({
    memoryLimitMB: MEMORY_LIMIT_MB,
    customFunctions: { report: { type: 'sync', fn: (ms) => { reported = ms } } },
  })
  await rt.eval(`${PROGRAM}\nglobalThis.bench = bench`, 'webapi-setup.js')
  oursBench = async (name, n) => {
    reported = undefined
    await rt.eval(`report(await bench(${JSON.stringify(name)}, ${n}))`, 'webapi.js')
    return reported
  }
}

const engines = { ours: oursBench, node: nodeBench }
const names = Object.keys(engines).filter((e) => engines[e])
const result = { rounds: ROUNDS, undici: process.versions.undici, cases: {} }
for (const name of Object.keys(CASES)) {
  const n = iterations(name)
  const best = {}
  // One warm-up round (JIT), then the best of ROUNDS, alternating which engine goes first.
  for (let round = -1; round < ROUNDS; round++) {
    for (const e of round % 2 ? [...names].reverse() : names) {
      const ms = await engines[e](name, n)
      if (round >= 0) best[e] = Math.min(best[e] ?? Infinity, ms)
    }
  }
  result.cases[name] = Object.fromEntries(names.map((e) => [e, { opsPerSec: (n / best[e]) * 1000 }]))
}
await rt?.dispose()

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(result))
} else {
  console.log(`Web API: ops/s, best of ${ROUNDS} rounds${ours ? '' : ' (edge-isolate not built)'}; Node ${process.version} (undici ${result.undici})\n`)
  console.log(table(['ops/s', 'edge-isolate', 'Node (undici)', 'ours / Node'], Object.entries(result.cases).map(([name, r]) =>
    [name, fmt(r.ours?.opsPerSec, 0), fmt(r.node.opsPerSec, 0), ratio(r.ours?.opsPerSec, r.node.opsPerSec)])))
}
