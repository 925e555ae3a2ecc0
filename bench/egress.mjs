// Egress throughput: requests/s of fetch() to a local node:http server (in a child process, so
// it never shares a thread with a client), side by side in one run:
//   node fetch       Node's global fetch (undici), in this process
//   isolate native   fetch() inside an edge-isolate runtime, through the native client (network)
//   isolate onFetch  fetch() inside a runtime whose onFetch is Node's fetch
// Each client keeps CONCURRENCY requests in flight and reads every body. Rounds interleave.
// Run with: node egress.mjs [--json]
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fmt, loadOurs, ratio, table } from './lib.mjs'

const ROUNDS = Number(process.env.BENCH_EGRESS_ROUNDS ?? 3)
const REQUESTS = Number(process.env.BENCH_EGRESS_REQUESTS ?? 5000)
const CONCURRENCY = Number(process.env.BENCH_EGRESS_CONCURRENCY ?? 32)
const json = process.argv.includes('--json')

const SERVER = `
  const http = require('node:http')
  const small = Buffer.from('{"ok":true,"items":[1,2,3],"name":"edge-isolate egress bench"}')
  const big = Buffer.alloc(64 * 1024, 97)
  const server = http.createServer({ keepAliveTimeout: 60000 }, (req, res) => {
    const body = req.url === '/64k' ? big : small
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  })
  server.listen(0, '127.0.0.1', () => process.send(server.address().port))
`

// The client loop, the same text for Node and the isolate.
const LOOP = `async function loop(url, total, concurrency) {
  let next = 0, bytes = 0
  const worker = async () => {
    while (next++ < total) {
      const res = await fetch(url)
      bytes += (await res.arrayBuffer()).byteLength
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return [performance.now() - t0, bytes]
}`

async function main() {
  const ours = await loadOurs()
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('error', reject)
  })
  const nodeLoop = new Function(`return (${LOOP})`)()
  const results = {}
  const record = (name, path, ms, bytes, n) => {
    const key = `${name} ${path}`
    ;(results[key] ??= []).push({ rps: (n / ms) * 1000, bytes })
  }
  const isolate = async (options) => {
    if (!ours) return null
    let out = null
    const rt = await ours.createRuntime({
      ...options,
      customFunctions: { done: { type: 'sync', fn: (r) => { out = r } } },
    })
    await rt.eval(`${LOOP}; globalThis.loop = loop`)
    return {
      async run(url, n) {
        await rt.eval(`done(await loop(${JSON.stringify(url)}, ${n}, ${CONCURRENCY}))`)
        return out
      },
      dispose: () => rt.dispose(),
    }
  }
  const native = await isolate({ network: { allowPrivateNetworks: true, maxConcurrentRequests: 256 } })
  const viaHost = await isolate({ onFetch: (url, init) => fetch(url, init) })
  const clients = [
    ['node fetch', { run: (url, n) => nodeLoop(url, n, CONCURRENCY) }],
    ['isolate native', native],
    ['isolate onFetch', viaHost],
  ].filter(([, c]) => c)
  for (const path of ['/small', '/64k']) {
    const url = `http://127.0.0.1:${port}${path}`
    const n = path === '/64k' ? Math.ceil(REQUESTS / 4) : REQUESTS
    // Warm-up: connections, JIT.
    for (const [, c] of clients) await c.run(url, Math.min(500, n)).catch(() => {})
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, c] of clients) {
        if (c.failed) continue
        try {
          const [ms, bytes] = await c.run(url, n)
          record(name, path, ms, bytes, n)
        } catch (e) {
          c.failed = true
          console.error(`${name}: ${e.message}`)
        }
      }
    }
  }
  await native?.dispose()
  await viaHost?.dispose()
  child.kill()
  const best = (k) => (results[k]?.length ? Math.max(...results[k].map((r) => r.rps)) : null)
  const summary = {}
  for (const path of ['/small', '/64k']) {
    summary[path] = {
      node: best(`node fetch ${path}`),
      native: best(`isolate native ${path}`),
      onFetch: best(`isolate onFetch ${path}`),
    }
  }
  if (json) {
    console.log(JSON.stringify({ requests: REQUESTS, concurrency: CONCURRENCY, rounds: ROUNDS, summary }))
    return
  }
  console.log(`\nEgress: requests/s (best of ${ROUNDS} rounds), ${CONCURRENCY} in flight, body read; server in a child process\n`)
  const rows = Object.entries(summary).map(([path, s]) => [
    path === '/small' ? 'GET 60 B JSON' : 'GET 64 KiB',
    fmt(s.node, 0),
    fmt(s.native, 0),
    ratio(s.native, s.node),
    fmt(s.onFetch, 0),
    ratio(s.onFetch, s.node),
  ])
  console.log(table(['request', 'node fetch', 'isolate native', 'native / node', 'isolate onFetch', 'onFetch / node'], rows))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
