// Runtime lifecycle: id, dispose(), stats(), not holding Node's event loop open, and input validation of eval().
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { createRuntime as rawCreateRuntime } from '../index.js'
import { INDEX_PATH, errorOf, reporter, sleep, useRuntimes, within } from './helpers'

const createRuntime = useRuntimes()

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
const DISPOSED = /Runtime has been disposed/

describe('runtime.id', () => {
  it('is a UUID v4, stable, and distinct per runtime', async () => {
    const rs = await Promise.all([1, 2, 3, 4, 5].map(() => createRuntime()))
    for (const r of rs) {
      expect(typeof r.id).toBe('string')
      expect(r.id).toMatch(UUID_V4)
      expect(r.id).toBe(r.id)
    }
    expect(new Set(rs.map((r) => r.id)).size).toBe(5)
  })

  it('stays readable after dispose', async () => {
    const r = await createRuntime()
    const id = r.id
    await r.dispose()
    expect(r.id).toBe(id)
  })
})

describe('dispose()', () => {
  it('resolves, and a second call resolves too', async () => {
    const r = await createRuntime()
    await r.eval('globalThis.x = 1')
    await expect(r.dispose()).resolves.toBeUndefined()
    await expect(r.dispose()).resolves.toBeUndefined()
  })

  it('concurrent dispose calls all resolve', async () => {
    const r = await createRuntime()
    await expect(Promise.all([r.dispose(), r.dispose(), r.dispose()])).resolves.toHaveLength(3)
  })

  it('calls racing dispose() from the host all settle: resolved, or rejected as disposed', async () => {
    // Each round lands the calls at another point of the runtime's life (its isolate being made,
    // idle, an eval queued, an eval a host turn in); a call left in a finished runtime's inbox
    // would never settle.
    for (let round = 0; round < 60; round++) {
      const r = await createRuntime()
      const calls: Promise<unknown>[] = []
      const at = round % 4
      if (at >= 1) await r.eval('serve({ fetch: () => new Response("ok") })')
      if (at >= 2) calls.push(r.eval('for (let i = 0; i < 1e5; i++);'))
      if (at === 3) await new Promise((res) => setImmediate(res))
      calls.push(r.dispose())
      calls.push(r.eval('1'))
      calls.push(r.fetch.dispatchRequest(new Request('http://h/')))
      calls.push(r.dispose())
      const settled = await within(Promise.allSettled(calls), 5_000, `round ${round}: the calls racing dispose()`)
      for (const s of settled) {
        if (s.status === 'rejected') expect(String((s.reason as Error)?.message)).toMatch(DISPOSED)
      }
      // Both disposes resolve.
      expect(settled[settled.length - 4].status).toBe('fulfilled')
      expect(settled[settled.length - 1].status).toBe('fulfilled')
    }
  })

  it('calls after dispose reject with "Runtime has been disposed"', async () => {
    const r = await createRuntime()
    await r.dispose()
    const err = await errorOf(() => r.eval('1'))
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toMatch(DISPOSED)
  })

  it('an eval awaiting a long timer rejects with "Runtime has been disposed", promptly', async () => {
    const r = await createRuntime()
    const pending = r.eval('await new Promise((res) => setTimeout(res, 10000))')
    const settled = pending.then(
      () => 'resolved',
      (e: any) => e,
    )
    await sleep(50)
    const t0 = Date.now()
    await r.dispose()
    const err = await settled
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toMatch(DISPOSED)
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  it('evals queued behind a pending one reject too', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    const first = r.eval('await new Promise((res) => setTimeout(res, 10000))')
    const second = r.eval('report("second ran")')
    const third = r.eval('report("third ran")')
    const all = Promise.allSettled([first, second, third])
    await sleep(30)
    await r.dispose()
    const results = await all
    for (const res of results) {
      expect(res.status).toBe('rejected')
      expect((res as PromiseRejectedResult).reason.message).toMatch(DISPOSED)
    }
    expect(calls).toEqual([])
  })

  it('stops an eval stuck in a synchronous infinite loop (no executionTimeout)', async () => {
    const r = await createRuntime()
    const settled = r.eval('while (true) {}').then(
      () => 'resolved',
      (e: any) => e,
    )
    await sleep(50)
    const t0 = Date.now()
    await within(r.dispose(), 3000, 'dispose() of a runtime spinning in a loop')
    const err = await within(settled, 3000, 'the spinning eval')
    expect(err.message).toMatch(DISPOSED)
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  it('rejects an eval waiting on a host function that never settles', async () => {
    const r = await createRuntime({
      customFunctions: { hang: { type: 'async', fn: () => new Promise(() => {}) } },
    })
    const settled = r.eval('await hang()').then(
      () => 'resolved',
      (e: any) => e,
    )
    await sleep(30)
    await r.dispose()
    expect((await settled).message).toMatch(DISPOSED)
  })

  it('timers of a disposed runtime never fire', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval(`setTimeout(() => report('fired'), 30); setInterval(() => report('tick'), 10)`)
    await r.dispose()
    await sleep(100)
    expect(calls).toEqual([])
  })

  it('does not affect other runtimes', async () => {
    const { calls, customFunctions } = reporter()
    const a = await createRuntime({ customFunctions })
    const b = await createRuntime({ customFunctions })
    const pendingB = b.eval('await new Promise((r) => setTimeout(r, 100)); report("b done")')
    await a.dispose()
    await pendingB
    await b.eval('report("b again")')
    expect(calls).toEqual(['b done', 'b again'])
  })
})

describe('stats()', () => {
  it('returns numbers describing the isolate', async () => {
    const r = await createRuntime({ memoryLimitMB: 64 })
    await r.eval('globalThis.x = 1')
    const s = r.stats()
    for (const k of ['heapUsedBytes', 'heapLimitBytes', 'externalBytes', 'cpuTimeMs'] as const) {
      expect(typeof s[k], k).toBe('number')
      expect(Number.isFinite(s[k]), k).toBe(true)
      expect(s[k], k).toBeGreaterThanOrEqual(0)
    }
    expect(s.heapUsedBytes).toBeGreaterThan(0)
    expect(s.heapUsedBytes).toBeLessThan(s.heapLimitBytes)
  })

  it('heapLimitBytes follows memoryLimitMB (default 128)', async () => {
    const ratio = (bytes: number, mb: number) => bytes / (mb * 2 ** 20)
    const r64 = await createRuntime({ memoryLimitMB: 64 })
    const r256 = await createRuntime({ memoryLimitMB: 256 })
    const rDefault = await createRuntime()
    for (const [r, mb] of [
      [r64, 64],
      [r256, 256],
      [rDefault, 128],
    ] as const) {
      const q = ratio(r.stats().heapLimitBytes, mb)
      expect(q, `${mb} MB`).toBeGreaterThan(0.25)
      expect(q, `${mb} MB`).toBeLessThan(4)
    }
    expect(r256.stats().heapLimitBytes).toBeGreaterThan(r64.stats().heapLimitBytes)
  })

  it('heapUsedBytes grows when the isolate retains objects', async () => {
    const r = await createRuntime()
    const before = r.stats().heapUsedBytes
    await r.eval('globalThis.big = Array.from({ length: 300000 }, (_, i) => ({ i }))')
    const after = r.stats().heapUsedBytes
    expect(after - before).toBeGreaterThan(2 * 2 ** 20)
  })

  it('externalBytes grows when the isolate retains ArrayBuffers', async () => {
    const r = await createRuntime()
    const before = r.stats().externalBytes
    await r.eval('globalThis.buf = new ArrayBuffer(8 << 20)')
    const after = r.stats().externalBytes
    expect(after - before).toBeGreaterThanOrEqual(4 * 2 ** 20)
  })

  it('cpuTimeMs grows after a busy eval, and not while idle-waiting', async () => {
    const r = await createRuntime()
    const before = r.stats().cpuTimeMs
    // A fixed amount of work (~300 ms of CPU on the 2-core CI machine), not a wall-clock spin: a
    // spin gets little CPU when other processes share the cores.
    await r.eval('let x = 0; for (let i = 0; i < 1e8; i++) x = (x + i * 7) % 1000003; globalThis.sink = x')
    const afterBusy = r.stats().cpuTimeMs
    expect(afterBusy - before).toBeGreaterThanOrEqual(50)
    await r.eval('await new Promise((res) => setTimeout(res, 300))')
    const afterIdle = r.stats().cpuTimeMs
    expect(afterIdle).toBeGreaterThanOrEqual(afterBusy)
    expect(afterIdle - afterBusy).toBeLessThan(150)
  })
})

describe('Node event loop', () => {
  function runNode(script: string) {
    const t0 = Date.now()
    const res = spawnSync(process.execPath, ['-e', script], { timeout: 10_000, encoding: 'utf8' })
    return { ...res, elapsed: Date.now() - t0 }
  }
  const header = `const { createRuntime } = require(${JSON.stringify(INDEX_PATH)});\n`

  it('an idle, never-disposed runtime does not keep the process alive', () => {
    const res = runNode(
      header +
        `(async () => {
          const r = await createRuntime({
            customFunctions: { f: { type: 'sync', fn: () => 1 }, g: { type: 'async', fn: async () => 2 } },
            moduleLoader: () => ({ code: 'export default 1', filename: '/m.js' }),
            console: { onEntry() {} },
          })
          await r.eval("import v from 'm'\\nglobalThis.x = f() + (await g()) + v; console.log('inside')", 'main.js')
          console.log('evaluated')
        })().catch((e) => { console.error(e); process.exitCode = 1 })`,
    )
    expect(res.error).toBeUndefined()
    expect(res.stdout, res.stderr).toContain('evaluated')
    expect(res.signal).toBeNull()
    expect(res.status).toBe(0)
    expect(res.elapsed).toBeLessThan(5000)
  })

  it('a timer still pending inside the isolate after the eval resolved does not keep the process alive', () => {
    const res = runNode(
      header +
        `(async () => {
          const r = await createRuntime()
          await r.eval('setTimeout(() => {}, 60000); setInterval(() => {}, 1000)')
          console.log('evaluated')
        })().catch((e) => { console.error(e); process.exitCode = 1 })`,
    )
    expect(res.error).toBeUndefined()
    expect(res.stdout, res.stderr).toContain('evaluated')
    expect(res.signal).toBeNull()
    expect(res.status).toBe(0)
    expect(res.elapsed).toBeLessThan(5000)
  })

  it('a pending eval keeps the process alive until it settles', () => {
    const res = runNode(
      header +
        `createRuntime()
          .then((r) => r.eval('await new Promise((res) => setTimeout(res, 300))'))
          .then(() => console.log('resolved'), (e) => { console.log('rejected: ' + e); process.exitCode = 1 })`,
    )
    expect(res.error).toBeUndefined()
    expect(res.stdout, res.stderr).toContain('resolved')
    expect(res.status).toBe(0)
  })

  it('a pending async host call keeps the process alive until the eval settles', () => {
    const res = runNode(
      header +
        `createRuntime({ customFunctions: { later: { type: 'async', fn: () => new Promise((r) => setTimeout(() => r(7), 200)) } } })
          .then(async (r) => { await r.eval('globalThis.v = await later()'); console.log('resolved') })
          .catch((e) => { console.log('rejected: ' + e); process.exitCode = 1 })`,
    )
    expect(res.error).toBeUndefined()
    expect(res.stdout, res.stderr).toContain('resolved')
    expect(res.status).toBe(0)
  })
})

describe('eval() input validation', () => {
  it.each([
    ['a number', [123]],
    ['nothing', []],
    ['an object', [{ code: '1' }]],
    ['null', [null]],
  ])('eval(%s) → TypeError', async (_label, args) => {
    const r = await createRuntime()
    const err = await errorOf(() => (r.eval as any)(...args))
    expect(err).toBeInstanceOf(TypeError)
    // The runtime stays usable.
    await expect(r.eval('1')).resolves.toBeUndefined()
  })

  it('createRuntime() with no options uses the defaults', async () => {
    const r = await rawCreateRuntime()
    try {
      await expect(r.eval('globalThis.ok = true')).resolves.toBeUndefined()
    } finally {
      await r.dispose()
    }
  })
})
