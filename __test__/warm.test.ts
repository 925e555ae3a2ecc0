// Warm runtimes (configurePool({ warmRuntimes })): createRuntime served from isolates made ahead
// of time must behave as a cold runtime does, honour its own options, share nothing with another
// warm runtime, and fall back to a cold start when its memoryLimitMB is not the warm one.
// Test files run in their own processes (vitest.config.ts), so the warm pool is this file's.
import { afterAll, describe, expect, it } from 'vitest'
import { configurePool, processStats } from '../index.js'
import { errorOf, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

/** Waits until `n` warm runtimes are ready (the refill runs at the lowest priority). */
async function warmReady(n: number) {
  const until = Date.now() + 20_000
  while (processStats().warmRuntimes < n) {
    if (Date.now() > until) throw new Error(`only ${processStats().warmRuntimes} of ${n} warm runtimes became ready in 20 s`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Creates a runtime that must be served warm: one was ready, and createRuntime took it. */
async function warmRuntime(options: Parameters<typeof createRuntime>[0] = {}) {
  await warmReady(2)
  const before = processStats().warmStarts
  const p = createRuntime(options)
  expect(processStats().warmStarts).toBe(before + 1)
  return p
}

afterAll(() => configurePool({ warmRuntimes: 0 }))

describe('createRuntime hands the runtime out before its isolate is made', () => {
  it('evals queue behind the making of the isolate and run in order', async () => {
    await (await createRuntime()).eval('1')
    const seen: number[] = []
    const r = await createRuntime({ customFunctions: { push: { type: 'sync', fn: (n: number) => void seen.push(n) } } })
    await Promise.all([r.eval('push(1)'), r.eval('push(2)'), r.eval('globalThis.x = 3'), r.eval('push(x)')])
    expect(seen).toEqual([1, 2, 3])
    expect(r.stats().heapUsedBytes).toBeGreaterThan(0)
  })

  it('a dispose right after createRuntime stops the evals queued before it, though no isolate existed yet', async () => {
    await (await createRuntime()).eval('1')
    for (const warm of [false, true]) {
      configurePool({ warmRuntimes: warm ? 2 : 0 })
      if (warm) await warmReady(2)
      const r = await createRuntime()
      const looping = r.eval('const k = []; for (;;) k.push(new ArrayBuffer(1024))').catch((e) => e)
      const t0 = Date.now()
      await r.dispose()
      const err = await looping
      expect(err.message, `warm: ${warm}`).toContain('Runtime has been disposed')
      expect(Date.now() - t0, `warm: ${warm}`).toBeLessThan(2_000)
    }
    configurePool({ warmRuntimes: 0 })
  })
})

describe('configurePool({ warmRuntimes })', () => {
  it('keeps that many runtimes ready and refills them after createRuntime takes one', async () => {
    // A first runtime makes the snapshot; later ones are handed out at once.
    await (await createRuntime()).eval('1')
    configurePool({ warmRuntimes: 2 })
    await warmReady(2)
    const r = await warmRuntime()
    await r.eval('1')
    await warmReady(2)
    expect(processStats().warmRuntimes).toBe(2)
  })

  it('a warm runtime has the same globals as a cold one, and its clock starts when it is created', async () => {
    const names = 'Object.getOwnPropertyNames(globalThis).sort().join(",")'
    let coldNames = ''
    let warmNames = ''
    const cold = await createRuntime({
      memoryLimitMB: 64,
      customFunctions: { out: { type: 'sync', fn: (s: string) => void (coldNames = s) }, since: { type: 'sync', fn: () => {} } },
    })
    await cold.eval(`out(${names})`)
    // Ready for a while before it is taken: performance.now() still counts from createRuntime.
    await warmReady(2)
    await new Promise((r) => setTimeout(r, 300))
    let since = -1
    const warm = await warmRuntime({
      customFunctions: {
        out: { type: 'sync', fn: (s: string) => void (warmNames = s) },
        since: { type: 'sync', fn: (ms: number) => void (since = ms) },
      },
    })
    await warm.eval(`out(${names}); since(performance.now())`)
    expect(warmNames).toBe(coldNames)
    expect(warmNames).toContain('fetch')
    expect(since).toBeGreaterThanOrEqual(0)
    expect(since).toBeLessThan(250)
  })

  it('honours the options given to createRuntime', async () => {
    const seen: unknown[] = []
    const r = await warmRuntime({
      memoryLimitMB: 128,
      executionTimeout: 300,
      cwd: '/srv/app',
      location: 'https://example.com/app/',
      console: { onEntry: (e: any) => seen.push(e.stdout) },
      customFunctions: { double: { type: 'sync', fn: (n: number) => n * 2 } },
    })
    await r.eval('console.log(double(21), path.resolve("x"), location.href, self.origin)')
    expect(seen).toEqual(['42 /srv/app/x https://example.com/app/ https://example.com'])
    const q = r.stats().heapLimitBytes / (128 * 2 ** 20)
    expect(q).toBeGreaterThan(0.25)
    expect(q).toBeLessThan(4)
    const err = await errorOf(() => r.eval('for (;;) {}'))
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe('Execution timed out after 300ms')
  })

  it('enforces the memory limit of a warm runtime', async () => {
    const r = await warmRuntime({ memoryLimitMB: 128 })
    const err = await errorOf(() => r.eval('const a = []; for (;;) a.push(new Array(1e5).fill(1))'))
    expect(err.name).toBe('MemoryLimitError')
    expect(err.message).toBe('Memory limit of 128 MB exceeded')
  })

  it('starts cold when memoryLimitMB is not the warm runtimes\' one', async () => {
    await warmReady(2)
    const before = processStats().warmStarts
    const r = await createRuntime({ memoryLimitMB: 32 })
    expect(processStats().warmStarts).toBe(before)
    const err = await errorOf(() => r.eval('const a = []; for (;;) a.push(new Array(1e5).fill(1))'))
    expect(err.message).toBe('Memory limit of 32 MB exceeded')
  })

  it('shares nothing between two warm runtimes: globals, patched built-ins, timers, heap', async () => {
    const aSeen: string[] = []
    const bSeen: string[] = []
    const a = await warmRuntime({ console: { onEntry: (e: any) => aSeen.push(e.stdout) } })
    await a.eval(`
      globalThis.secret = 'a'
      Array.prototype.push = () => 0
      setInterval(() => console.log('a tick'), 5)
      globalThis.big = Array.from({ length: 200000 }, (_, i) => ({ i }))
    `)
    const b = await warmRuntime({ console: { onEntry: (e: any) => bSeen.push(e.stdout) } })
    await b.eval(`
      const xs = []
      xs.push(1)
      console.log(typeof secret, typeof big, xs.length)
      await new Promise((r) => setTimeout(r, 50))
    `)
    expect(bSeen).toEqual(['undefined undefined 1'])
    expect(aSeen.length).toBeGreaterThan(0)
    expect(a.stats().heapUsedBytes - b.stats().heapUsedBytes).toBeGreaterThan(4 * 2 ** 20)
  })

  it('warmRuntimes: 0 frees the ready ones; createRuntime then starts cold and works', async () => {
    configurePool({ warmRuntimes: 0 })
    expect(processStats().warmRuntimes).toBe(0)
    const before = processStats().warmStarts
    const r = await createRuntime()
    await r.eval('1')
    expect(processStats().warmRuntimes).toBe(0)
    expect(processStats().warmStarts).toBe(before)
  })

  it('refuses bad values with typed errors naming the option', () => {
    const messages = [{ warmRuntimes: -1 }, { warmRuntimes: 257 }, { warmRuntimes: 1.5 }, { warmRuntimes: '2' }, { warmRuntimes: 1, warmMemoryLimitMB: 4 }, { warmRuntimes: 1, warmMemoryLimitMB: '64' }].map((o) => {
      try {
        configurePool(o as any)
        return 'no error'
      } catch (e: any) {
        return `${e.constructor.name}: ${e.message}`
      }
    })
    expect(messages).toEqual([
      'RangeError: configurePool(options): warmRuntimes must be an integer from 0 to 256 (got -1)',
      'RangeError: configurePool(options): warmRuntimes must be an integer from 0 to 256 (got 257)',
      'RangeError: configurePool(options): warmRuntimes must be an integer from 0 to 256 (got 1.5)',
      'TypeError: configurePool(options): warmRuntimes must be a number of runtimes from 0 to 256',
      'RangeError: configurePool(options): warmMemoryLimitMB must be from 8 to 16384 (got 4)',
      'TypeError: configurePool(options): warmMemoryLimitMB must be a number of MB from 8 to 16384',
    ])
    expect(processStats().warmRuntimes).toBe(0)
  })
})
