// Runs ONE hostile case in this process and prints one result line (MARK + JSON) on stdout:
//   node --expose-gc __test__/hostile/runner.mjs <case id>
// A crash or a hang of the addon ends this process, not the test runner; harness.mjs reads the
// exit code, the signal and stderr. No 'unhandledRejection' / 'uncaughtException' handler is
// installed on purpose: Node's defaults (exit code 1, a message on stderr) are what the parent checks.
import fs from 'node:fs'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { cases } from './cases.mjs'
import { MARK, PACKAGE_CLASSES, RUNAWAY_MB, deadlineOf } from './expect.mjs'

const require = createRequire(import.meta.url)
const pkg = require('../../index.js')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// ---- /proc/self measurements -------------------------------------------------------------
const MB = 1024 * 1024
function status() {
  const s = fs.readFileSync('/proc/self/status', 'utf8')
  const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN)
  return { rssMB: (kb('VmRSS') * 1024) / MB, hwmMB: (kb('VmHWM') * 1024) / MB, threads: kb('Threads') }
}
const fdCount = () => fs.readdirSync('/proc/self/fd').length
/** Free space inside Node's own JS heap (MB): V8 gives it back to the OS lazily. */
const nodeHeapSlackMB = () => {
  const m = process.memoryUsage()
  return (m.heapTotal - m.heapUsed) / MB
}
/** Resets VmHWM to the current RSS (Linux >= 4.0), so the peak measures this attack only. */
const resetPeak = () => fs.writeFileSync('/proc/self/clear_refs', '5')
async function collect() {
  for (let i = 0; i < 6; i++) {
    globalThis.gc?.()
    await sleep(15)
  }
}

/** `p`'s outcome, or { kind: 'pending' } when it has not settled after `ms`. */
async function settle(p, ms) {
  let timer
  const pending = new Promise((r) => (timer = setTimeout(() => r({ kind: 'pending', afterMs: ms }), ms)))
  try {
    return await Promise.race([
      Promise.resolve(p).then(
        (value) => ({ kind: 'resolved', value: safe(value) }),
        (error) => ({ kind: 'rejected', error: describeError(error) }),
      ),
      pending,
    ])
  } finally {
    clearTimeout(timer)
  }
}

// ---- describing values and errors as JSON --------------------------------------------------
function tryGet(f) {
  try {
    return f()
  } catch (e) {
    return `<threw: ${tryString(e)}>`
  }
}
function tryString(v) {
  try {
    return String(v)
  } catch {
    return '<unprintable>'
  }
}

export function describeError(e, depth = 0) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
    return { isError: false, value: tryString(typeof e === 'bigint' ? `${e}n` : e) }
  }
  const d = {
    isError: e instanceof Error,
    name: tryGet(() => safe(e.name)),
    message: tryGet(() => safe(e.message)),
    code: tryGet(() => (e.code === undefined ? undefined : safe(e.code))),
    instanceOf: {},
  }
  // null: the package does not export that class (yet).
  for (const k of PACKAGE_CLASSES) d.instanceOf[k] = typeof pkg[k] === 'function' ? e instanceof pkg[k] : null
  const cause = tryGet(() => e.cause)
  if (cause !== undefined && depth < 2) d.cause = describeError(cause, depth + 1)
  const stack = tryGet(() => e.stack)
  if (typeof stack === 'string') d.stack = stack.slice(0, 600)
  return d
}

/** A JSON-safe copy of a value (bounded size), for results and reports. */
export function safe(v, depth = 0, seen = new Set()) {
  if (v === undefined) return { $undefined: true }
  if (v === null || typeof v === 'boolean' || typeof v === 'string') {
    return typeof v === 'string' && v.length > 2000 ? { $string: v.length, head: v.slice(0, 100) } : v
  }
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? { $number: '-0' } : v) : { $number: String(v) }
  if (typeof v === 'bigint') return { $bigint: v.toString().slice(0, 100) }
  if (typeof v === 'symbol' || typeof v === 'function') return { [`$${typeof v}`]: tryString(v.description ?? v.name) }
  if (depth > 6 || seen.has(v)) return { $ref: true }
  seen.add(v)
  try {
    if (ArrayBuffer.isView(v)) return { $view: v.constructor?.name, length: v.length ?? v.byteLength }
    if (v instanceof ArrayBuffer) return { $arrayBuffer: v.byteLength }
    if (v instanceof Error) return { $error: describeError(v) }
    if (v instanceof Map) return { $map: [...v].slice(0, 50).map((x) => safe(x, depth + 1, seen)) }
    if (v instanceof Set) return { $set: [...v].slice(0, 50).map((x) => safe(x, depth + 1, seen)) }
    if (Array.isArray(v)) return v.length > 200 ? { $array: v.length } : Array.from(v, (x) => safe(x, depth + 1, seen))
    const out = {}
    for (const k of Object.keys(v).slice(0, 50)) out[k] = tryGet(() => safe(v[k], depth + 1, seen))
    return out
  } finally {
    seen.delete(v)
  }
}

// ---- the innocent bystander -----------------------------------------------------------------
// Made before the attack, asked again after it: its globals, its serve() handler through Node's
// Request/Response, and its host function calls must all still work.
const INNOCENT = `
globalThis.k = 41
serve({ async fetch(req) { await null; return new Response(String(k + 1) + new URL(req.url).pathname) } })
`
async function innocentWorks(rt, seen) {
  const before = seen.length
  await rt.eval(`innocentReport([k, [1, 2, 3].map((x) => x * 2).join(), new TextEncoder().encode('é').length])`)
  const got = JSON.stringify(seen.slice(before))
  if (got !== JSON.stringify([[41, '2,4,6', 2]])) throw new Error(`innocent eval reported ${got}`)
  const res = await rt.fetch.dispatchRequest(new Request('http://innocent/ok'))
  const text = await res.text()
  if (text !== '42/ok') throw new Error(`innocent handler answered ${JSON.stringify(text)}`)
  return true
}

// ---- warm-up: one-time process costs (V8 platform, snapshot, glue, tokio) before the baseline ---
async function warmUp(c, ctx) {
  // With a timeout (the watchdog thread starts on first use), generous: a loaded CI machine may be slow.
  const rts = await Promise.all([0, 1, 2].map(() => pkg.createRuntime({ console: { onEntry() {} }, executionTimeout: 60_000 })))
  await Promise.all(
    rts.map((rt) =>
      rt.eval(`
        const end = Date.now() + 20; while (Date.now() < end) {}
        await crypto.subtle.digest('SHA-256', new TextEncoder().encode(new URL('http://a/b?c').href))
        // Off the isolate's thread: starts the process's network/worker threads (tokio) once.
        const pk = await crypto.subtle.importKey('raw', new Uint8Array(8), 'PBKDF2', false, ['deriveBits'])
        await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(8), iterations: 10 }, pk, 256)
        await new Response(new Blob(['x']).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer()
        structuredClone(new Map([[1, { a: [1] }]])); console.log('warm', { a: 1 })
        await new Promise((r) => setTimeout(r, 1))
        await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
        serve({ fetch: () => new Response('w') })
      `),
    ),
  )
  await (await rts[0].fetch.dispatchRequest(new Request('http://w/'))).text()
  await Promise.all(rts.map((rt) => rt.dispose()))
  if (c.warm) await c.warm(ctx)
}

// ---- servers a case may ask for -------------------------------------------------------------
async function wsServer(ctx, { onConnection } = {}) {
  const { WebSocketServer } = require('ws')
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  wss.on('connection', (socket, req) => onConnection?.(socket, req))
  ctx.cleanup(async () => {
    for (const s of wss.clients) s.terminate()
    await new Promise((r) => wss.close(() => r()))
  })
  return { url: `ws://127.0.0.1:${wss.address().port}`, wss }
}

/** A TCP server on loopback calling `onSocket(socket)` per connection; its port. */
async function tcpServer(ctx, onSocket) {
  const net = require('node:net')
  const sockets = new Set()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onSocket(s)
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  ctx.cleanup(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(() => r()))
  })
  return server.address().port
}

async function main() {
  const id = process.argv[2]
  const c = cases.find((x) => x.id === id)
  if (!c) throw new Error(`no hostile case ${id}`)

  const cleanups = []
  const tracked = []
  const reported = []
  const ctx = {
    pkg,
    indexPath: require.resolve('../../index.js'),
    sleep,
    reported,
    report: (...a) => void reported.push(safe(a.length === 1 ? a[0] : a)),
    cleanup: (f) => void cleanups.push(f),
    /** createRuntime whose runtimes the runner disposes afterwards (and checks that dispose works). */
    create: async (options) => {
      const rt = await pkg.createRuntime(options)
      tracked.push(rt)
      return rt
    },
    wsServer: (o) => wsServer(ctx, o),
    tcpServer: (onSocket) => tcpServer(ctx, onSocket),
    status,
    collect,
    rt: null,
  }
  const reportFn = { report: { type: 'sync', fn: ctx.report } }

  await warmUp(c, ctx)
  const innocentSeen = []
  const innocent = await pkg.createRuntime({
    memoryLimitMB: 64,
    customFunctions: { innocentReport: { type: 'sync', fn: (v) => void innocentSeen.push(v) } },
  })
  await innocent.eval(INNOCENT)
  await innocentWorks(innocent, innocentSeen)
  await collect()
  await sleep(50)
  const base = { ...status(), fds: fdCount(), nodeSlackMB: nodeHeapSlackMB() }
  resetPeak()

  // The attack.
  if (c.options !== null) {
    // Static options (the limits the verdict reads) plus what `host(ctx)` adds: host functions,
    // console, onFetch, webSocket, moduleLoader, network.
    const hostPart = c.host ? await c.host(ctx) : {}
    const options = { ...(c.options ?? {}), ...hostPart }
    const fns = { ...(c.options?.customFunctions ?? {}), ...(hostPart.customFunctions ?? {}) }
    if (c.report !== false) options.customFunctions = { ...reportFn, ...fns }
    ctx.rt = await ctx.create(options)
  }
  const deadline = deadlineOf(c)
  const t0 = performance.now()
  // A swell that escapes every limit would take the machine down with it: stop the case at
  // RUNAWAY_MB of RSS and report that (checked from Node's thread, which attacks do not block).
  const watch = setInterval(() => {
    const rssMB = status().rssMB
    if (rssMB < RUNAWAY_MB) return
    const outcome = { kind: 'runaway', rssMB: Math.round(rssMB), afterMs: Math.round(performance.now() - t0) }
    process.stdout.write(MARK + JSON.stringify({ id, outcome, elapsedMs: outcome.afterMs, reported: [], baseline: { rssMB: round(base.rssMB), threads: base.threads, fds: base.fds }, peakGrowthMB: round(status().hwmMB - base.rssMB) }) + '\n')
    process.exit(0)
  }, 20)
  watch.unref()
  const attack = c.run ? Promise.resolve().then(() => c.run(ctx)) : ctx.rt.eval(c.script, 'attack.js')
  const outcome = await settle(attack, deadline)
  const elapsedMs = Math.round(performance.now() - t0)

  // The attacked runtime afterwards: one more eval, and stats() must still answer.
  let after = null
  let stats = null
  if (ctx.rt && c.checkAfter !== false) {
    after = await settle(ctx.rt.eval('1', 'after.js'), 5000)
    stats = await settle(Promise.resolve().then(() => ctx.rt.stats()), 1000)
  }
  const innocentOutcome = await settle(innocentWorks(innocent, innocentSeen), 5000)

  // Cleanup: every runtime the case made through ctx.create, twice (dispose is idempotent).
  for (const f of cleanups.splice(0)) await settle(Promise.resolve().then(f), 5000)
  const disposeOutcomes = []
  for (const rt of tracked) {
    disposeOutcomes.push(await settle(Promise.resolve().then(() => rt.dispose()), 5000))
    disposeOutcomes.push(await settle(Promise.resolve().then(() => rt.dispose()), 2000))
  }
  ctx.rt = null
  tracked.length = 0
  await collect()

  // Threads and fds of the attack must be gone (polled: a thread may still be exiting).
  let now = { ...status(), fds: fdCount() }
  for (let i = 0; i < 40 && (now.threads > base.threads || now.fds > base.fds); i++) {
    await sleep(50)
    await collect()
    now = { ...status(), fds: fdCount() }
  }
  // Memory comes back lazily (the addon trims glibc's arenas 100 ms after a teardown): read the
  // RSS once it stops falling, within 2 s.
  for (let i = 0, prev = Infinity; i < 20 && prev - now.rssMB > 0.5; i++) {
    prev = now.rssMB
    await sleep(100)
    now = { ...now, rssMB: status().rssMB }
  }
  const peak = status().hwmMB
  const innocentDispose = await settle(innocent.dispose(), 5000)

  const result = {
    id,
    outcome,
    elapsedMs,
    after,
    stats: stats && stats.kind === 'resolved' ? 'ok' : stats,
    // What the attacked runtime reports about itself after the probe eval (MB).
    statsAfter: stats && stats.kind === 'resolved' && stats.value && typeof stats.value === 'object'
      ? { heapUsedMB: round(stats.value.heapUsedBytes / MB), heapLimitMB: round(stats.value.heapLimitBytes / MB), externalMB: round(stats.value.externalBytes / MB) }
      : null,
    reported,
    innocent: innocentOutcome,
    dispose: disposeOutcomes.filter((d) => d.kind !== 'resolved'),
    innocentDispose: innocentDispose.kind === 'resolved' ? 'ok' : innocentDispose,
    baseline: { rssMB: round(base.rssMB), threads: base.threads, fds: base.fds },
    peakGrowthMB: round(peak - base.rssMB),
    rssAfterMB: round(now.rssMB - base.rssMB),
    nodeHeapSlackGrowthMB: round(nodeHeapSlackMB() - base.nodeSlackMB),
    threadsAfter: now.threads,
    fdsAfter: now.fds,
  }
  clearInterval(watch)
  process.stdout.write(MARK + JSON.stringify(result) + '\n')
  // A case that did not settle may have left an isolate spinning: end the process rather than
  // wait for it (the result already says what happened). Otherwise exit on our own: nothing of
  // the addon may keep Node's event loop alive.
  if (outcome.kind === 'pending' || (after && after.kind === 'pending') || disposeOutcomes.some((d) => d.kind === 'pending')) {
    process.exit(0)
  }
}

const round = (x) => Math.round(x * 10) / 10

await main()
