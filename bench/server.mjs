// The native server (runtime.listen) against unsandboxed peers, in one run over loopback:
//   hello world  requests/s and p50/p99 latency with wrk (1 thread, 32 connections) against
//                (a) runtime.listen serving serve({ fetch: () => new Response('Hello') })
//                (b) node:http calling the same handler, unsandboxed, through a Request/Response adapter
//                (c) Deno.serve and (d) Bun.serve, the binaries of their npm packages
//                (e) node:http + runtime.fetch.dispatchRequest, through the same adapter as (b)
//                and node:http answering res.end('Hello'): Node's HTTP stack without Request/Response
//   WebSocket    echo messages/s, text and 1 KiB binary, `ws` clients (N connections, M in flight
//                each) against runtime.listen, a `ws` server on Node, Deno and Bun
//   upload       20 MB POSTed and echoed back (MB moved per second, both directions) through
//                runtime.listen, node:http, Deno and Bun
// Every server runs in its own child process (bench/server/*), so the load generator never shares a
// thread with it. A column whose tool is missing (wrk, Deno, Bun, the built addon) is reported as
// n/a with the reason; the rest still runs. Run with: node bench/server.mjs [--json]
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { WebSocket } from 'ws'
import { fmt, oursBuilt, ratio, table } from './lib.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const SECONDS = Number(process.env.BENCH_SERVER_S ?? 3) // per wrk round; two rounds, the better one counts
const CONNECTIONS = 32
const WS_CONNECTIONS = Number(process.env.BENCH_WS_CONNECTIONS ?? 8)
const WS_IN_FLIGHT = Number(process.env.BENCH_WS_IN_FLIGHT ?? 4) // per connection
const WS_MS = Number(process.env.BENCH_WS_MS ?? 2000) // per round; two rounds, the better one counts
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 20)
const START_TIMEOUT_MS = 30_000

const na = (why) => ({ na: why })
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// --- the tools -------------------------------------------------------------------------------------

function probe(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 })
  if (r.error) return { error: r.error.code === 'ENOENT' ? 'not installed' : r.error.message }
  return { out: `${r.stdout}${r.stderr}`, status: r.status, signal: r.signal }
}

function findWrk() {
  const p = probe('wrk', ['-v']) // prints its version and usage, exits 1
  if (p.error) return na(`wrk ${p.error}: apt-get install wrk, or node bench/setup.mjs as root`)
  const version = /^wrk (\S+)/m.exec(p.out)?.[1]
  return version ? { version } : na(`wrk -v printed no version`)
}

// The binary inside an npm package (an optional dependency of bench/, installed by setup.mjs).
function findBinary(pkg, rel, name) {
  let dir
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`))
  } catch {
    return na(`${name}: npm package ${pkg} not installed (node bench/setup.mjs; linux-x64 only)`)
  }
  const bin = join(dir, rel)
  if (!existsSync(bin)) return na(`${name}: ${bin} missing`)
  const p = probe(bin, ['--version'])
  if (p.error || p.status !== 0) return na(`${name} does not run here: ${p.error ?? p.signal ?? `exit ${p.status}`}`)
  return { bin, version: /\d+\.\d+\.\d+/.exec(p.out)?.[0] ?? '?' }
}

// --- servers in child processes ------------------------------------------------------------------

/** Spawns a server that prints {"port":N} on its first stdout line; resolves { port, stop }. */
function start(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: BENCH, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(`no port within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS)
    const fail = (why) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${why}${err.trim() ? `: ${err.trim().split('\n').slice(-3).join(' / ')}` : ''}`))
    }
    child.on('error', (e) => fail(e.message))
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`))
    child.stderr.on('data', (d) => (err = (err + d).slice(-4096)))
    child.stdout.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl < 0) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.stdout.removeAllListeners('data')
      child.stdout.resume()
      const port = JSON.parse(out.slice(0, nl)).port
      const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = once(child, 'exit')
        child.stdin.end()
        child.kill('SIGTERM')
        const t = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(t)
      }
      // What a failed measurement reports: whether the server died, and its last stderr lines.
      const state = () => {
        const dead = child.exitCode !== null || child.signalCode !== null
        const tail = err.trim().split('\n').slice(-3).join(' / ')
        return `${dead ? `server exited (${child.signalCode ?? child.exitCode})` : 'server still running'}${tail ? `: ${tail}` : ''}`
      }
      resolve({ port, stop, state })
    })
  })
}

const nodeServer = (mode) => () => start(process.execPath, [join(BENCH, 'server', 'node.mjs'), mode])

// --- clients -------------------------------------------------------------------------------------

function request(port, method = 'GET', body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: '/', agent: false }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')))
    req.end(body)
  })
}

const UNIT_MS = { us: 1e-3, ms: 1, s: 1000, m: 60_000 }
function wrk(port, seconds) {
  const r = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  })
  if (r.status !== 0) return na(`wrk failed: ${r.error?.message ?? r.stderr.trim()}`)
  const out = r.stdout
  const latency = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out)
    return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN
  }
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])
  const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = bad + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0)
  if (!Number.isFinite(rps)) return na(`wrk printed no Requests/sec`)
  if (rps === 0) return na(`no request answered (${errors} errors)`)
  return { rps, p50Ms: latency(50), p99Ms: latency(99), errors }
}

async function openClients(port, n) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false })
      await once(ws, 'open', { signal: AbortSignal.timeout(10_000) })
      return ws
    }),
  )
}

// One message out, the same back, text staying text and binary staying bytes.
async function checkEcho(port) {
  const [ws] = await openClients(port, 1)
  for (const [payload, binary] of [['ping', false], [Buffer.alloc(1024, 1), true]]) {
    ws.send(payload)
    const [m, isBinary] = await once(ws, 'message', { signal: AbortSignal.timeout(10_000) }).catch((e) => {
      ws.terminate()
      throw e
    })
    if (isBinary !== binary || Buffer.compare(Buffer.from(m), Buffer.from(payload)) !== 0) {
      ws.terminate()
      throw new Error(`echo of a ${binary ? 'binary' : 'text'} message came back wrong`)
    }
  }
  ws.close()
}

/** Messages echoed per second with WS_IN_FLIGHT outstanding on each of WS_CONNECTIONS connections. */
async function wsEcho(port, payload, ms) {
  const clients = await openClients(port, WS_CONNECTIONS)
  let done = 0
  let stop = false
  for (const ws of clients) {
    ws.on('message', () => {
      done++
      if (!stop) ws.send(payload)
    })
  }
  const t0 = performance.now()
  for (const ws of clients) for (let k = 0; k < WS_IN_FLIGHT; k++) ws.send(payload)
  await sleep(ms)
  const rate = (done * 1000) / (performance.now() - t0)
  stop = true
  await Promise.all(clients.map((ws) => (ws.close(), Promise.race([once(ws, 'close'), sleep(2000)]))))
  for (const ws of clients) ws.terminate()
  return rate
}

/** POSTs UPLOAD_MB in 64 KiB chunks (with backpressure) while reading the echo; MB moved per second. */
function uploadDownload(port) {
  const total = UPLOAD_MB * 1024 * 1024
  const chunk = Buffer.alloc(64 * 1024, 120)
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'content-length': total, 'content-type': 'application/octet-stream' } },
      (res) => {
        let n = 0
        res.on('data', (c) => (n += c.length))
        res.on('error', reject)
        res.on('end', () => {
          if (res.statusCode !== 200 || n !== total) return reject(new Error(`echoed ${n} of ${total} bytes (status ${res.statusCode})`))
          resolve((2 * UPLOAD_MB) / ((performance.now() - t0) / 1000))
        })
      },
    )
    req.on('error', reject)
    req.setTimeout(60_000, () => req.destroy(new Error('stalled for 60 s')))
    let left = total
    const pump = () => {
      while (left > 0) {
        const n = Math.min(chunk.length, left)
        left -= n
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

// --- the run -------------------------------------------------------------------------------------

const why = (e) => String(e?.message ?? e).slice(0, 300)

/** Starts each column's server; a column that cannot start is n/a with the reason. */
async function startAll(columns) {
  const live = {}
  const results = {}
  for (const c of columns) {
    if (c.na) {
      results[c.key] = c.na
      continue
    }
    try {
      const s = await c.start()
      live[c.key] = s
      await c.check?.(s.port)
    } catch (e) {
      results[c.key] = na(`${c.label}: ${why(e)}`)
      await live[c.key]?.stop()
      delete live[c.key]
    }
  }
  return { live, results }
}

/** Two rounds in opposite orders (neither column always first or last), the better one kept. */
async function rounds(live, results, measure, better = (a, b) => a > b) {
  const keys = Object.keys(live)
  for (const order of [keys, [...keys].reverse()]) {
    for (const k of order) {
      if (results[k]?.na) continue
      try {
        const r = await measure(live[k].port)
        if (r?.na) results[k] = na(`${r.na}; ${live[k].state()}`)
        else if (results[k] === undefined || better(r, results[k])) results[k] = r
      } catch (e) {
        results[k] = na(`${why(e)}; ${live[k].state()}`)
      }
    }
  }
}

export async function run() {
  const built = oursBuilt() ? null : na('edge-isolate is not built (npm run build)')
  const wrkTool = findWrk()
  const deno = findBinary('@deno/linux-x64-glibc', 'deno', 'Deno')
  const bun = findBinary('@oven/bun-linux-x64', 'bin/bun', 'Bun')
  const denoStart = (mode) => () =>
    start(deno.bin, ['run', '--allow-net', join('server', 'deno.js'), mode], { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' })
  const bunStart = (mode) => () => start(bun.bin, [join('server', 'bun.js'), mode])

  const result = {
    node: process.version,
    deno: deno.version ?? null, // null: not there (the columns say why)
    bun: bun.version ?? null,
    wrk: wrkTool.version ?? null,
    cpus: `${cpus().length}x ${cpus()[0]?.model.trim()}`,
    seconds: SECONDS,
    connections: CONNECTIONS,
  }

  // Hello world under wrk.
  const checkHello = async (port) => {
    const r = await request(port)
    if (r.status !== 200 || r.body !== 'Hello') throw new Error(`GET / answered ${r.status} ${JSON.stringify(r.body.slice(0, 80))}`)
  }
  const helloColumns = [
    { key: 'listen', label: 'runtime.listen', na: built, start: nodeServer('listen') },
    { key: 'nodeHttp', label: 'node:http + handler', start: nodeServer('http') },
    { key: 'deno', label: 'Deno.serve', na: deno.na && deno, start: denoStart('hello') },
    { key: 'bun', label: 'Bun.serve', na: bun.na && bun, start: bunStart('hello') },
    { key: 'dispatch', label: 'node:http + dispatchRequest', na: built, start: nodeServer('dispatch') },
    { key: 'nodePlain', label: 'node:http res.end', start: nodeServer('http-plain') },
  ].map((c) => ({ ...c, na: c.na || (wrkTool.na ? wrkTool : null), check: checkHello }))
  {
    const { live, results } = await startAll(helloColumns)
    for (const s of Object.values(live)) wrk(s.port, 1) // warm-up
    await rounds(live, results, async (port) => wrk(port, SECONDS), (a, b) => a.rps > b.rps)
    for (const s of Object.values(live)) await s.stop()
    result.hello = results
  }

  // WebSocket echo and upload + download, one echo server per engine.
  const echoColumns = [
    { key: 'listen', label: 'runtime.listen', na: built, start: nodeServer('listen-ws') },
    { key: 'node', label: 'ws / node:http', start: nodeServer('ws') },
    { key: 'deno', label: 'Deno.serve', na: deno.na && deno, start: denoStart('ws') },
    { key: 'bun', label: 'Bun.serve', na: bun.na && bun, start: bunStart('ws') },
  ].map((c) => ({ ...c, check: checkEcho }))
  {
    const { live, results } = await startAll(echoColumns)
    const text = { ...results }
    const binary = { ...results }
    const upload = { ...results }
    for (const s of Object.values(live)) await wsEcho(s.port, 'ping', WS_MS / 4).catch(() => {}) // warm-up
    await rounds(live, text, (port) => wsEcho(port, 'ping', WS_MS))
    await rounds(live, binary, (port) => wsEcho(port, Buffer.alloc(1024, 1), WS_MS))
    for (const s of Object.values(live)) await uploadDownload(s.port).catch(() => {}) // warm-up
    await rounds(live, upload, uploadDownload)
    for (const s of Object.values(live)) await s.stop()
    result.ws = { connections: WS_CONNECTIONS, inFlight: WS_CONNECTIONS * WS_IN_FLIGHT, ms: WS_MS, text, binary }
    result.upload = { mb: UPLOAD_MB, ...upload }
  }
  return result
}

// --- the tables (run.mjs prints the same) --------------------------------------------------------

const cell = (v, digits = 0) => (typeof v === 'number' ? fmt(v, digits) : v?.na ? `n/a (${v.na})` : 'n/a')

export function render(r) {
  const h = r.hello
  const deno = h.deno?.rps
  const rows = [
    ['(a) runtime.listen', 'listen'],
    ['(b) node:http + the same handler (Request/Response adapter)', 'nodeHttp'],
    [`(c) Deno.serve${r.deno ? ` (Deno ${r.deno})` : ''}`, 'deno'],
    [`(d) Bun.serve${r.bun ? ` (Bun ${r.bun})` : ''}`, 'bun'],
    ['(e) node:http + dispatchRequest (same adapter)', 'dispatch'],
    ["node:http, res.end('Hello') (no Request/Response)", 'nodePlain'],
  ].map(([label, k]) => {
    const x = h[k]
    if (x?.na) return [label, cell(x), '', '', '']
    return [label, cell(x?.rps), fmt(x?.p50Ms), fmt(x?.p99Ms), ratio(x?.rps, deno)]
  })
  const lines = [
    `Hello world, wrk${r.wrk ? ` ${r.wrk}` : ''} (1 thread, ${r.connections} connections, best of 2 × ${r.seconds} s), loopback; goal: (a) ≥ Deno.serve\n`,
    table(['server', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'vs Deno.serve (goal (a) ≥ 1.00x)'], rows),
  ]
  const errs = Object.entries(h).filter(([, x]) => x?.errors > 0)
  if (errs.length) lines.push(`\nwrk counted errors or non-2xx answers: ${errs.map(([k, x]) => `${k} ${x.errors}`).join(', ')}`)
  const w = r.ws
  const erow = (label, o) => [label, cell(o.listen), cell(o.node), cell(o.deno), cell(o.bun), ratio(o.listen, o.deno)]
  lines.push(
    `\nWebSocket echo (${w.connections} ws clients, ${w.inFlight} messages in flight, best of 2 × ${w.ms} ms) and ` +
      `${r.upload.mb} MB upload + download (MB moved per second); goal: runtime.listen ≥ Deno\n`,
    table(['', 'runtime.listen', 'Node (ws / node:http)', 'Deno.serve', 'Bun.serve', 'listen / Deno (goal ≥ 1.00x)'], [
      erow('echo msg/s, text', w.text),
      erow('echo msg/s, 1 KiB binary', w.binary),
      erow(`${r.upload.mb} MB up + down, MB/s`, r.upload),
    ]),
    `\nNode ${r.node}, ${r.cpus}. Every server runs in its own child process; the clients (wrk; ws and node:http in the bench's process) share the machine with them.`,
  )
  return lines.join('\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run()
  if (process.argv.includes('--json')) console.log(JSON.stringify(result))
  else console.log(render(result))
}
