// Every byte a script can make the process hold is counted against memoryLimitMB (or a
// documented per-runtime cap), and long native work stops with the runtime. Each hostile case
// tries to hold far more than the limit and must end in the documented error while the host's
// RSS stays bounded.
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { INDEX_PATH, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'settled',
    (e: any) => e.name as string,
  )

type Hostile = { outcome: string; message: string; reports: unknown[][]; growthMB: number; ms: number; cpuAfterMs: number }

/**
 * Runs `code` in a runtime with `options` in a child Node process, and reports how the eval ended,
 * what it passed to `report(...)`, how far the process's peak RSS (VmHWM) rose above its RSS just
 * before the eval, how long the eval took, and the CPU time the process used in the 500 ms from
 * 300 ms after the runtime was disposed (native work still running after the runtime stopped
 * shows there).
 * `setup` runs in the child first (servers); it may set `vars` (given to the isolate as `VARS`)
 * and `hostOptions` (merged into the runtime's options), `afterCreate(rt)` (before the
 * measurement) and `during(rt)` (run after the eval, measured too).
 */
function hostile(code: string, options: Record<string, unknown> = {}, setup = ''): Promise<Hostile> {
  const script = `
    const { createRuntime } = require(${JSON.stringify(INDEX_PATH)})
    const fs = require('node:fs')
    const kb = (key) => Number(/\\d+/.exec(fs.readFileSync('/proc/self/status', 'utf8').split('\\n').find((l) => l.startsWith(key)))[0]) * 1024
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
    let vars = {}, hostOptions = {}, afterCreate = async () => {}, during = async () => {}
    const reports = []
    ;(async () => {
      ${setup}
      const rt = await createRuntime({ ...${JSON.stringify(options)}, ...hostOptions,
        customFunctions: { report: { type: 'sync', fn: (...a) => { reports.push(a) } } } })
      await rt.eval('1')
      await afterCreate(rt)
      const before = kb('VmRSS:')
      const started = Date.now()
      let outcome = 'settled', message = ''
      try { await rt.eval('const VARS = ' + JSON.stringify(vars) + ';\\n' + ${JSON.stringify(code)}); await during(rt) } catch (e) { outcome = e.name; message = String(e.message) }
      const ms = Date.now() - started
      await rt.dispose().catch(() => {})
      // The window starts once the teardown's own work (the memory release 100 ms after it) is over.
      await new Promise((r) => setTimeout(r, 300))
      const cpu0 = cpu()
      await new Promise((r) => setTimeout(r, 500))
      const cpuAfterMs = cpu() - cpu0
      console.log(JSON.stringify({ outcome, message, reports, growthMB: (kb('VmHWM:') - before) / 1048576, ms, cpuAfterMs }))
      process.exit(0)
    })().catch((e) => { console.error(e); process.exit(1) })
  `
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: 90_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`child failed: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split('\n').pop()!))
    })
  })
}

// Peak RSS growth allowed for a runtime with memoryLimitMB 32: the heap and ArrayBuffers may each
// reach the limit, wasm 4x it, plus V8's own overhead. Each case below reached 0.7-2.5 GB before
// its fix.
const LIMIT_MB = 32
const BOUND_MB = 4 * LIMIT_MB + 100

describe('crypto keys', () => {
  it('key material is charged while the key lives and given back when it is collected', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 16, customFunctions })
    // 200 keys of 1 MiB made and dropped one after another: 200 MiB in all, never more than a few alive.
    await r.eval(`
      const raw = new Uint8Array(1 << 20)
      let n = 0
      for (let i = 0; i < 200; i++) {
        const k = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
        n += k.algorithm.length === 8 << 20 ? 1 : 0
      }
      report(n)
    `)
    expect(calls).toEqual([200])
    // Kept alive, 1 MiB keys pass a 16 MB limit long before 64 of them.
    const kept = await createRuntime({ memoryLimitMB: 16 })
    const result = await outcome(
      kept.eval(`
        const raw = new Uint8Array(1 << 20)
        const keys = []
        for (let i = 0; i < 64; i++) keys.push(await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']))
      `),
    )
    expect(result).toBe('MemoryLimitError')
  })
})

describe('buffers made in Rust are counted', () => {
  it('TextEncoder.encode results kept past the limit end in MemoryLimitError', { timeout: 60_000 }, async () => {
    const r = await hostile(`const s = 'x'.repeat(1 << 20); const keep = []; for (let i = 0; i < 1024; i++) keep.push(new TextEncoder().encode(s))`, {
      memoryLimitMB: LIMIT_MB,
    })
    expect(r.outcome).toBe('MemoryLimitError')
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })

  it('fetch response chunks kept past the limit end in MemoryLimitError', { timeout: 60_000 }, async () => {
    // A server streaming 1 GiB in 256 KiB chunks, as fast as it is read.
    const setup = `
      const http = require('node:http')
      const chunk = Buffer.alloc(256 << 10, 7)
      const server = http.createServer((req, res) => {
        let left = 4096
        const pump = () => { while (left > 0) { left--; if (!res.write(chunk)) return res.once('drain', pump) } res.end() }
        pump()
      })
      await new Promise((r) => server.listen(0, '127.0.0.1', r))
      server.unref()
      vars = { url: 'http://127.0.0.1:' + server.address().port + '/' }
    `
    const r = await hostile(
      `const res = await fetch(VARS.url); const reader = res.body.getReader(); const keep = []
       for (;;) { const { done, value } = await reader.read(); if (done) break; keep.push(value) }
       report(keep.length)`,
      { memoryLimitMB: LIMIT_MB, network: { allowPrivateNetworks: true } },
      setup,
    )
    expect(r.outcome).toBe('MemoryLimitError')
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })
})

describe('structuredClone', () => {
  it("a value whose serialization is far larger than the limit is a DataCloneError, not GBs of host memory", { timeout: 60_000 }, async () => {
    // One 1 MiB string referenced 2048 times: 2 GiB once serialized (strings are written out each time).
    const r = await hostile(
      `const s = 'x'.repeat(1 << 20)
       try { structuredClone(new Array(2048).fill(s)); report('cloned') } catch (e) { report(e.name, e.message) }
       report(structuredClone(new Array(4).fill(s)).length)`,
      { memoryLimitMB: LIMIT_MB },
    )
    expect(r.outcome).toBe('settled')
    expect(r.reports).toEqual([['DataCloneError', 'Data cannot be cloned, out of memory.'], [4]])
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })
})

describe('WebSocket queues', () => {
  // A ws server that floods 1 MiB binary messages at '/flood' and never reads what it is sent at
  // '/deaf' (its TCP window fills, so everything the client sends stays queued in the client).
  const WS_SERVER = `
    const { WebSocketServer } = require('ws')
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((r) => wss.once('listening', r))
    const big = Buffer.alloc(1 << 20, 1)
    wss.on('connection', (socket, request) => {
      if (request.url === '/deaf') return socket._socket.pause()
      const pump = () => { for (let i = 0; i < 8 && socket.readyState === 1; i++) socket.send(big); if (socket.readyState === 1) setTimeout(pump, 1) }
      pump()
    })
    vars = { url: 'ws://127.0.0.1:' + wss.address().port }
  `

  it('received messages kept past the limit end in MemoryLimitError', { timeout: 60_000 }, async () => {
    const r = await hostile(
      `const ws = new WebSocket(VARS.url + '/flood'); ws.binaryType = 'arraybuffer'
       const keep = []; ws.onmessage = (e) => keep.push(e.data)
       await new Promise((r) => setTimeout(r, 20000))`,
      { memoryLimitMB: LIMIT_MB, network: { allowPrivateNetworks: true } },
      WS_SERVER,
    )
    expect(r.outcome).toBe('MemoryLimitError')
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })

  it('send() past the queue cap flags the socket full and closes it (error, then close 1006)', { timeout: 60_000 }, async () => {
    const r = await hostile(
      `const ws = new WebSocket(VARS.url + '/deaf')
       await new Promise((r) => (ws.onopen = r))
       const events = []
       ws.onerror = () => events.push('error')
       const closed = new Promise((r) => (ws.onclose = (e) => { events.push('close ' + e.code + ' ' + e.wasClean); r() }))
       const chunk = new Uint8Array(1 << 20)
       for (let i = 0; i < 1024 && events.length === 0; i++) {
         ws.send(chunk)
         if (i % 8 === 7) await new Promise((r) => setTimeout(r, 1))
       }
       await Promise.race([closed, new Promise((r) => setTimeout(r, 10000))])
       report(events, ws.readyState, ws.bufferedAmount > 16 << 20)`,
      { memoryLimitMB: LIMIT_MB, network: { allowPrivateNetworks: true } },
      WS_SERVER,
    )
    expect(r.outcome).toBe('settled')
    expect(r.reports).toEqual([[['error', 'close 1006 false'], 3, true]])
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })

  it("serve()'s ws.send past the hard cap drops the message and returns 0", { timeout: 60_000 }, async () => {
    // The host's listener takes 50 ms per message, so the isolate's sends pile up.
    const setup = `
      afterCreate = async (rt) => {
        await rt.eval(\`
          serve({
            fetch(req, server) { server.upgrade(req); return new Response(null, { status: 101 }) },
            websocket: {
              open(ws) {
                const chunk = new Uint8Array(1 << 20)
                const counts = { sent: 0, backpressure: 0, dropped: 0 }
                for (let i = 0; i < 1024; i++) {
                  const n = ws.send(chunk)
                  if (n > 0) counts.sent++
                  else if (n === -1) counts.backpressure++
                  else counts.dropped++
                }
                report(counts)
              },
            },
          })
        \`)
        rt.fetch.onWebSocketCommand(() => { const t = Date.now(); while (Date.now() - t < 50) {} })
        await rt.fetch.dispatchRequest(new Request('http://localhost/ws', { headers: { upgrade: 'websocket' } }))
      }
      during = async (rt) => {
        const { connectionId } = await rt.fetch.getUpgradeRequest()
        await rt.fetch.dispatchWebSocketOpen(connectionId)
        while (reports.length === 0) await new Promise((r) => setTimeout(r, 10))
      }
    `
    // A limit above the 64 MiB cap: below it, the host's own bound (memoryLimitMB) comes first.
    const r = await hostile('', { memoryLimitMB: 128 }, setup)
    expect(r.outcome + ': ' + r.message).toBe('settled: ')
    const counts = r.reports.find((x) => typeof x[0] === 'object')?.[0] as any
    // 16 MiB go out at once, up to the 64 MiB cap with backpressure, and the rest (less what the
    // host took meanwhile) is dropped.
    expect(counts.sent).toBeGreaterThanOrEqual(15)
    expect(counts.backpressure).toBeGreaterThan(0)
    expect(counts.sent + counts.backpressure).toBeLessThan(200)
    expect(counts.dropped).toBeGreaterThan(800)
    expect(r.growthMB).toBeLessThan(4 * 128 + 100)
  })
})

describe('long native work stops with the runtime', () => {
  it('PBKDF2 with 2^25 iterations ends at the execution timeout and stops its thread', { timeout: 60_000 }, async () => {
    const r = await hostile(
      `const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false, ['deriveBits'])
       await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: 2 ** 25 }, key, 256)`,
      { executionTimeout: 500 },
    )
    expect(r.outcome).toBe('TimeoutError')
    // Measured from the start of the eval: the deadline, plus well under a second.
    expect(r.ms).toBeLessThan(1500)
    // The blocking thread stopped: almost no CPU in the half second after.
    expect(r.cpuAfterMs).toBeLessThan(100)
  })

  it('a digest of a large buffer runs off the isolate thread and stops with the runtime', { timeout: 60_000 }, async () => {
    // Digests of 24 MiB, one after another, for longer than the timeout.
    const r = await hostile(
      `const data = new Uint8Array(24 << 20)
       for (;;) await crypto.subtle.digest('SHA-512', data)`,
      { executionTimeout: 300, memoryLimitMB: 64 },
    )
    expect(r.outcome).toBe('TimeoutError')
    expect(r.ms).toBeLessThan(1300)
    expect(r.cpuAfterMs).toBeLessThan(100)
  })

  it('compressing one giant chunk stops at the execution timeout', { timeout: 60_000 }, async () => {
    // 96 MiB of random bytes (incompressible: deflate's slowest case) in one chunk: seconds of work.
    const r = await hostile(
      `const data = new Uint8Array(96 << 20)
       for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536))
       const started = Date.now()
       const cs = new CompressionStream('gzip')
       const w = cs.writable.getWriter()
       w.write(data).catch(() => {})
       const r = cs.readable.getReader()
       for (;;) { const { done } = await r.read(); if (done) break }`,
      { executionTimeout: 1500, memoryLimitMB: 256 },
    )
    expect(r.outcome).toBe('TimeoutError')
    expect(r.ms).toBeLessThan(2300)
    expect(r.cpuAfterMs).toBeLessThan(100)
  })
})

describe('memory V8 reserves outside the ArrayBuffer allocator', () => {
  it('resizable ArrayBuffers are charged at maxByteLength: a RangeError past the limit', { timeout: 60_000 }, async () => {
    const r = await hostile(
      `const keep = []
       try {
         for (let i = 0; i < 1024; i++) { const b = new ArrayBuffer(0, { maxByteLength: 1 << 20 }); b.resize(1 << 20); new Uint8Array(b).fill(1); keep.push(b) }
       } catch (e) { report(e.name, e.message, keep.length) }`,
      { memoryLimitMB: LIMIT_MB },
    )
    expect(r.outcome).toBe('settled')
    expect(r.reports[0][0]).toBe('RangeError')
    expect(r.reports[0][1]).toBe('ArrayBuffer maxByteLength of 1048576 bytes exceeds memoryLimitMB (32 MB)')
    expect(r.reports[0][2]).toBeLessThanOrEqual(LIMIT_MB)
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })

  it('growable SharedArrayBuffers too', { timeout: 60_000 }, async () => {
    const r = await hostile(
      `const keep = []
       try {
         for (let i = 0; i < 1024; i++) { const b = new SharedArrayBuffer(0, { maxByteLength: 1 << 20 }); b.grow(1 << 20); new Uint8Array(b).fill(1); keep.push(b) }
       } catch (e) { report(e.name, keep.length) }`,
      { memoryLimitMB: LIMIT_MB },
    )
    expect(r.reports).toEqual([['RangeError', expect.any(Number)]])
    expect(r.reports[0][1]).toBeLessThanOrEqual(LIMIT_MB)
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })

  it('transfer() hands the charge to the new buffer; dropped buffers give theirs back', { timeout: 60_000 }, async () => {
    const r = await hostile(
      `let b = new ArrayBuffer(0, { maxByteLength: 8 << 20 })
       for (let i = 0; i < 200; i++) b = b.transfer()
       report(b.resizable, b.maxByteLength)
       for (let i = 0; i < 200; i++) new ArrayBuffer(0, { maxByteLength: 8 << 20 })
       const keep = []
       try {
         for (let i = 0; i < 1024; i++) { const t = new ArrayBuffer(0, { maxByteLength: 1 << 20 }).transfer(); t.resize(1 << 20); new Uint8Array(t).fill(1); keep.push(t) }
       } catch (e) { report(e.name, keep.length) }`,
      { memoryLimitMB: LIMIT_MB },
    )
    expect(r.reports[0]).toEqual([true, 8 << 20])
    expect(r.reports[1][0]).toBe('RangeError')
    expect(r.reports[1][1]).toBeLessThanOrEqual(LIMIT_MB)
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })

  it('WebAssembly modules are charged for their bytes while they live', { timeout: 60_000 }, async () => {
    // A valid module that is one 1 MiB custom section; V8 keeps its own copy of each.
    const r = await hostile(
      `const size = 1 << 20
       const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b) } while (n); return out }
       const total = 2 + size
       const head = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, ...leb(total), 1, 0x78]
       const bytes = new Uint8Array(head.length + size)
       bytes.set(head)
       const keep = []
       try { for (let i = 0; i < 1024; i++) keep.push(new WebAssembly.Module(bytes)) } catch (e) { report(e.name, e.message, keep.length) }
       // Dropped modules give their charge back.
       keep.length = 0
       for (let i = 0; i < 64; i++) await WebAssembly.compile(bytes)
       report('compiled')`,
      { memoryLimitMB: LIMIT_MB },
    )
    expect(r.outcome).toBe('settled')
    expect(r.reports[0][0]).toBe('RangeError')
    expect(r.reports[0][1]).toBe('WebAssembly module of 1048590 bytes exceeds memoryLimitMB (32 MB)')
    // 4 x 32 MB of WebAssembly budget, 4 x 1 MiB per module.
    expect(r.reports[0][2]).toBeLessThanOrEqual(32)
    expect(r.reports[1]).toEqual(['compiled'])
    expect(r.growthMB).toBeLessThan(BOUND_MB)
  })
})
