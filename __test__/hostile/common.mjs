// Building blocks of the hostile cases (cases/*.mjs). A case is data:
//   { id, class, why, options, script | run(ctx), expect, ...bounds }
// - options: createRuntime options of the attacked runtime (`ctx.rt`) as data (the limits the
//   verdict reads), or null for cases that make their own runtimes; host(ctx) may add the
//   function-valued options (customFunctions, console, onFetch, webSocket, moduleLoader, network).
//   A sync `report(...)` host function is added (its calls land in ctx.reported) unless `report: false`.
// - script: the attack, evaluated in ctx.rt; or run(ctx): an async attack whose settlement is the outcome.
// - expect: an outcome, or an array of acceptable ones (only where the platform's specs allow
//   more than one, said in `why`):
//     { resolve: true, value?, reported? }
//     { error: 'MemoryLimitError' | 'TimeoutError' | 'CpuLimitError' }        the package's, runtime ended
//     { error: 'RuntimeDisposedError', cause: 'TimeoutError' | … | null }        the package's
//     { error: 'TypeError' | …, message? }                                       a script / Web error, runtime alive
//     { error: 'MemoryLimitError', forged: true }                                a script's error of that name
// - withinMs, peakMB, settleMB, wasm: bounds (defaults in expect.mjs).
// ctx: { rt, create(options), pkg, report, reported, sleep, wsServer(), tcpServer(onSocket), cleanup(fn), status, collect }

export const MEM = { error: 'MemoryLimitError' }
export const TIMEOUT = { error: 'TimeoutError' }
export const CPU = { error: 'CpuLimitError' }
export const DISPOSED = { error: 'RuntimeDisposedError', cause: null }
export const OK = { resolve: true }
export const ENDED_BY = (cause) => ({ error: 'RuntimeDisposedError', cause })

/** Options of a kill case: a small heap, and a wall-clock backstop far past the memory bound. */
export const KILL = { memoryLimitMB: 16, executionTimeout: 12_000 }
/** Options of a swell case. */
export const SWELL = { memoryLimitMB: 32, executionTimeout: 12_000 }

/**
 * Bounds of a case whose script makes one string of `mb` MB in a single step (`'x'.repeat(2 ** 28)`).
 * V8 cannot refuse one allocation without its fatal error: after its last-resort GC it grants
 * it, and the memory limit trips right after (the runtime ends in MemoryLimitError, the memory
 * is given back: the settle bound still holds). The transient peak is that string, plus the
 * `copies` a native (encoder, URL parser, body reader, key import) made of it before the
 * termination took effect, on top of the usual 4 × limit + 150 MB. README: Limits.
 */
export const granted = (mb, copies = 0, limitMB = KILL.memoryLimitMB) => ({ peakMB: 4 * limitMB + 150 + mb * (1 + copies) })

/**
 * Bounds of a case that ends in V8's own out-of-memory path, where the runtime is contained
 * rather than unwound (README: Limits): its worker parks for good with the isolate's heap, at
 * most the limit plus its unwinding headroom (limit + max(3 × limit, 64 MB), plus two 32 MB
 * raises), counted in processStats().containedBytes. So one thread and that heap stay after
 * dispose. `v8Report`: V8 prints its "Last few GCs" report to stderr before calling the
 * embedder's handler on paths that bypass the near-heap-limit callback (no API turns it off
 * without changing the engine's semantics); the verdict then ignores those report lines only.
 */
export const contained = (limitMB, { v8Report = false, extraMB = 0 } = {}) => ({
  fatal: true,
  v8Report,
  settleMB: limitMB + Math.min(Math.max(3 * limitMB, 64), 1024) + 64 + 64 + extraMB,
})

export function define(cls, list) {
  return list.map((c) => {
    if (!c.id || !c.expect) throw new Error(`hostile case without id/expect in ${cls}: ${JSON.stringify(c)}`)
    if (!c.script && !c.run) throw new Error(`hostile case ${c.id} has neither script nor run`)
    if (typeof c.options === 'function') throw new Error(`hostile case ${c.id}: options are data; functions go in host(ctx)`)
    return { ...c, id: `${cls}/${c.id}`, class: cls }
  })
}

/** Calls f; a synchronous throw becomes a rejection named SynchronousThrow (the API must reject instead). */
export function asPromise(f) {
  try {
    return Promise.resolve(f())
  } catch (e) {
    const err = new Error(`threw synchronously instead of rejecting: ${e?.name}: ${e?.message}`)
    err.name = 'SynchronousThrow'
    return Promise.reject(err)
  }
}

/** createRuntime(options) for option-validation cases: a runtime it makes anyway is disposed. */
export async function createAndDispose(ctx, options) {
  const rt = await asPromise(() => ctx.pkg.createRuntime(options))
  try {
    await rt.eval('1')
    return 'created'
  } finally {
    await rt.dispose()
  }
}

/** Evaluates `script`; then, once the runtime had `waitMs` to run what the script left behind,
 * probes it with eval('1') — whose outcome is the case's outcome. */
export const thenProbe = (script, waitMs) => async (ctx) => {
  await ctx.rt.eval(script, 'attack.js')
  await ctx.sleep(waitMs)
  return ctx.rt.eval('1', 'probe.js')
}

/** Registers `handler` (a JS expression for serve()'s options) and dispatches one request. */
export const dispatch = (serveOptions, { url = 'http://attack/', init, read = 'text' } = {}) => async (ctx) => {
  await ctx.rt.eval(`serve(${serveOptions})`, 'attack.js')
  const res = await ctx.rt.fetch.dispatchRequest(new Request(url, init))
  return read ? await res[read]() : res.status
}

/** Opens a server WebSocket into the isolate's serve() handler; returns { id, commands }. */
export async function openWebSocket(ctx, websocket, { listen = true, open = true } = {}) {
  await ctx.rt.eval(
    `serve({ fetch(req, server) { server.upgrade(req, { data: {} }); return new Response(null, { status: 101 }) }, websocket: ${websocket} })`,
    'attack.js',
  )
  const commands = []
  if (listen) ctx.rt.fetch.onWebSocketCommand((c) => commands.push(c))
  await ctx.rt.fetch.dispatchRequest(new Request('http://attack/ws', { headers: { upgrade: 'websocket' } }))
  const up = await ctx.rt.fetch.getUpgradeRequest()
  if (!up) throw new Error('no upgrade request')
  if (open) await ctx.rt.fetch.dispatchWebSocketOpen(up.connectionId)
  return { id: up.connectionId, commands }
}

/** JS source of `wasmModule(bodyOps, tag)`: bytes of a module exporting `f: () => i32` whose body
 * repeats `i32.const 1; drop` bodyOps times; `tag` goes into a custom section so that each module's
 * bytes differ (V8 would otherwise share one compiled module). */
export const WASM_BUILDER = `
function leb(n) { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b) } while (n); return out }
function section(id, bytes) { return [id, ...leb(bytes.length), ...bytes] }
function wasmModule(bodyOps, tag) {
  const body = [0x00]
  for (let i = 0; i < bodyOps; i++) body.push(0x41, 0x01, 0x1a)
  body.push(0x41, 0x00, 0x0b)
  const name = [...new TextEncoder().encode('t' + tag)]
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(0, [...leb(name.length), ...name]),
    ...section(1, [0x01, 0x60, 0x00, 0x01, 0x7f]),
    ...section(3, [0x01, 0x00]),
    ...section(7, [0x01, 0x01, 0x66, 0x00, 0x00]),
    ...section(10, [0x01, ...leb(body.length), ...body])]
  return new Uint8Array(bytes)
}
`

/**
 * host(ctx) of a case whose script uses connect(): a loopback TCP server whose connections go to
 * `onSocket`, the network policy that lets the runtime reach it (and nothing else), and a sync
 * `port()` the script calls for its port.
 */
export const socketPeer = (onSocket) => async (ctx) => {
  const port = await ctx.tcpServer(onSocket)
  return {
    network: { allowPrivateNetworks: true, allowedHosts: [`tcp://127.0.0.1:${port}`] },
    customFunctions: { port: { type: 'sync', fn: () => port } },
  }
}

/** A peer that sends 64 KiB chunks for as long as the socket takes them (it honours backpressure). */
export const floodingPeer = (s) => {
  const chunk = Buffer.alloc(64 * 1024, 7)
  const go = () => {
    while (!s.destroyed && s.write(chunk)) {}
  }
  s.on('drain', go)
  go()
}
