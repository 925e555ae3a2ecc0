// Resource limits: memoryLimitMB (heap + ArrayBuffers) and executionTimeout (wall clock per eval),
// what happens to the runtime afterwards, stress runs, and validation of the limit options.
import { describe, expect, it } from 'vitest'
import { createRuntime as rawCreateRuntime } from '../index.js'
import { errorOf, reporter, timeoutMessage, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

const HEAP_BOMB = 'const a = []; while (true) a.push(new Array(100000).fill(1))'
const BUFFER_BOMB = 'const k = []; while (true) k.push(new ArrayBuffer(8 << 20))'
const CREATE_NEW = /createRuntime/

async function expectHealthy() {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({ customFunctions })
  await r.eval('report([1, 2, 3].map((x) => x * 2))')
  expect(calls).toEqual([[2, 4, 6]])
}

describe('memoryLimitMB', () => {
  it('a heap bomb rejects with MemoryLimitError naming the limit', async () => {
    const r = await createRuntime({ memoryLimitMB: 32 })
    const err = await errorOf(() => r.eval(HEAP_BOMB))
    expect(err.name).toBe('MemoryLimitError')
    expect(err.message).toContain('32')
    await expectHealthy()
  })

  it('an ArrayBuffer bomb rejects with MemoryLimitError naming the limit', async () => {
    const r = await createRuntime({ memoryLimitMB: 32 })
    const err = await errorOf(() => r.eval(BUFFER_BOMB))
    expect(err.name).toBe('MemoryLimitError')
    expect(err.message).toContain('32')
    await expectHealthy()
  })

  it('a typed-array bomb after an await is caught too', async () => {
    const r = await createRuntime({ memoryLimitMB: 24 })
    const err = await errorOf(() =>
      r.eval('await null; const k = []; while (true) k.push(new Float64Array(1 << 20).fill(1))'),
    )
    expect(err.name).toBe('MemoryLimitError')
    expect(err.message).toContain('24')
  })

  it('isolate code cannot catch and survive the memory limit', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 32, customFunctions })
    const err = await errorOf(() => r.eval(`try { ${HEAP_BOMB} } catch (e) { report('caught ' + e) }\nreport('escaped')`))
    expect(err.name).toBe('MemoryLimitError')
    expect(calls).toEqual([])
  })

  it('after the limit, the runtime is disposed: later and queued calls reject telling to create a new runtime', async () => {
    const r = await createRuntime({ memoryLimitMB: 32 })
    const bomb = r.eval(HEAP_BOMB)
    const queued = r.eval('globalThis.x = 1')
    await expect(bomb).rejects.toMatchObject({ name: 'MemoryLimitError' })
    await expect(queued).rejects.toThrow()
    const later = await errorOf(() => r.eval('1'))
    expect(later.message).toMatch(CREATE_NEW)
    await expect(r.dispose()).resolves.toBeUndefined()
  })

  it('allocations under the limit work', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 64, customFunctions })
    await r.eval(`
      const keep = []
      for (let i = 0; i < 4; i++) keep.push(new ArrayBuffer(4 << 20))
      const arr = new Array(500000).fill(1)
      report(keep.length + arr.length)
    `)
    expect(calls).toEqual([500004])
  })

  it('garbage does not count against the limit', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 32, customFunctions })
    // Allocates ~400 MB in total, never more than ~8 MB alive at once.
    await r.eval(`
      let last
      for (let i = 0; i < 50; i++) { last = new ArrayBuffer(8 << 20); new Array(100000).fill(i) }
      report(last.byteLength)
    `)
    expect(calls).toEqual([8 << 20])
  })

  it('one runtime hitting its limit does not affect another runtime', async () => {
    const { calls, customFunctions } = reporter()
    const healthy = await createRuntime({ customFunctions })
    await healthy.eval('globalThis.keep = "still here"')
    const bomber = await createRuntime({ memoryLimitMB: 32 })
    await expect(bomber.eval(HEAP_BOMB)).rejects.toMatchObject({ name: 'MemoryLimitError' })
    await healthy.eval('report(keep)')
    expect(calls).toEqual(['still here'])
  })
})

describe('executionTimeout', () => {
  it('an infinite loop rejects with TimeoutError "Execution timed out after N ms"', async () => {
    const r = await createRuntime({ executionTimeout: 100 })
    const t0 = Date.now()
    const err = await errorOf(() => r.eval('while (true) {}'))
    const elapsed = Date.now() - t0
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(100))
    expect(elapsed).toBeGreaterThanOrEqual(90)
    expect(elapsed).toBeLessThan(3000)
  })

  it('a loop after an await times out too', async () => {
    const r = await createRuntime({ executionTimeout: 80 })
    const err = await errorOf(() => r.eval('await null; while (true) {}'))
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(80))
  })

  it('a loop in a timer callback times out the eval waiting for it', async () => {
    const r = await createRuntime({ executionTimeout: 100 })
    const err = await errorOf(() =>
      r.eval('await new Promise((res) => setTimeout(() => { while (true) {} ; res() }, 10))'),
    )
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(100))
  })

  it('isolate code cannot catch the timeout', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ executionTimeout: 60, customFunctions })
    const err = await errorOf(() =>
      r.eval(`
        for (;;) { try { while (true) {} } catch (e) { report('caught') } finally { report('finally') } }
      `),
    )
    expect(err.name).toBe('TimeoutError')
    expect(calls).toEqual([])
  })

  it('counts wall-clock time: awaiting a never-resolving promise times out', async () => {
    const r = await createRuntime({ executionTimeout: 100 })
    const t0 = Date.now()
    const err = await errorOf(() => r.eval('await new Promise(() => {})'))
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(100))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90)
    expect(Date.now() - t0).toBeLessThan(3000)
  })

  it('counts wall-clock time: a long setTimeout times out', async () => {
    const r = await createRuntime({ executionTimeout: 120 })
    const t0 = Date.now()
    const err = await errorOf(() => r.eval('await new Promise((r) => setTimeout(r, 10000))'))
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(120))
    expect(Date.now() - t0).toBeLessThan(3000)
  })

  it('counts wall-clock time: awaiting a host function that never settles times out', async () => {
    const r = await createRuntime({
      executionTimeout: 100,
      customFunctions: { hang: { type: 'async', fn: () => new Promise(() => {}) } },
    })
    const err = await errorOf(() => r.eval('await hang()'))
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(100))
  })

  it('evals that finish in time are not affected', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ executionTimeout: 1000, customFunctions })
    for (let i = 0; i < 3; i++) await r.eval(`await new Promise((r) => setTimeout(r, 20)); report(${i})`)
    expect(calls).toEqual([0, 1, 2])
  })

  it('the timeout applies per eval, not to the runtime’s lifetime', async () => {
    const r = await createRuntime({ executionTimeout: 150 })
    // Three evals of ~100 ms each: 300 ms in total, each under its own 150 ms budget.
    for (let i = 0; i < 3; i++) await r.eval('await new Promise((r) => setTimeout(r, 100))')
  })

  it('the per-eval option overrides the runtime’s, both ways', async () => {
    const r = await createRuntime({ executionTimeout: 10000 })
    const err = await errorOf(() => r.eval('while (true) {}', { executionTimeout: 80 }))
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(80))

    const r2 = await createRuntime({ executionTimeout: 50 })
    await expect(
      r2.eval('await new Promise((r) => setTimeout(r, 150))', { filename: 'long.js', executionTimeout: 2000 }),
    ).resolves.toBeUndefined()
    // ...and the runtime's own timeout still applies to evals without the option.
    const err2 = await errorOf(() => r2.eval('await new Promise((r) => setTimeout(r, 1000))'))
    expect(err2.message).toBe(timeoutMessage(50))
  })

  it('the per-eval option works on a runtime with no timeout of its own', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('while (true) {}', { executionTimeout: 70 }))
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(70))
  })

  it('after a timeout, later and queued calls reject telling to create a new runtime', async () => {
    const r = await createRuntime({ executionTimeout: 60 })
    const first = r.eval('while (true) {}')
    const queued = r.eval('globalThis.y = 1')
    await expect(first).rejects.toMatchObject({ name: 'TimeoutError' })
    await expect(queued).rejects.toThrow()
    const later = await errorOf(() => r.eval('1'))
    expect(later.message).toMatch(CREATE_NEW)
    await expect(r.dispose()).resolves.toBeUndefined()
    await expectHealthy()
  })
})

describe('stress', () => {
  it('100 memory bombs in a row leave the process healthy', { timeout: 180_000 }, async () => {
    for (let i = 0; i < 100; i++) {
      const r = await rawCreateRuntime({ memoryLimitMB: 16 })
      try {
        const err = await errorOf(() => r.eval(i % 2 ? HEAP_BOMB : BUFFER_BOMB))
        expect(err.name, `bomb #${i}`).toBe('MemoryLimitError')
      } finally {
        await r.dispose()
      }
    }
    await expectHealthy()
    expect(process.memoryUsage().rss).toBeLessThan(1.5 * 1024 ** 3)
  })

  it('100 infinite loops in a row leave the process healthy', { timeout: 180_000 }, async () => {
    for (let i = 0; i < 100; i++) {
      const r = await rawCreateRuntime({ executionTimeout: 20 })
      try {
        const err = await errorOf(() => r.eval(i % 2 ? 'while (true) {}' : 'await null; for (;;) {}'))
        expect(err.name, `loop #${i}`).toBe('TimeoutError')
        expect(err.message).toBe(timeoutMessage(20))
      } finally {
        await r.dispose()
      }
    }
    await expectHealthy()
    expect(process.memoryUsage().rss).toBeLessThan(1.5 * 1024 ** 3)
  })
})

describe('limit options validation', () => {
  it.each([[-1], [0], [Number.NaN]])('memoryLimitMB: %s → RangeError/TypeError naming the option', async (v) => {
    const err = await errorOf(() => rawCreateRuntime({ memoryLimitMB: v }))
    expect(['RangeError', 'TypeError']).toContain(err.name)
    expect(err.message).toMatch(/memoryLimitMB/)
  })

  it("memoryLimitMB: 'abc' → TypeError naming the option", async () => {
    const err = await errorOf(() => rawCreateRuntime({ memoryLimitMB: 'abc' } as any))
    expect(['TypeError', 'RangeError']).toContain(err.name)
    expect(err.message).toMatch(/memoryLimitMB/)
  })

  it.each([[0], [-5]])('executionTimeout: %s → RangeError naming the option', async (v) => {
    const err = await errorOf(() => rawCreateRuntime({ executionTimeout: v }))
    expect(err.name).toBe('RangeError')
    expect(err.message).toMatch(/executionTimeout/)
  })

  it.each([[0], [-5]])('per-eval executionTimeout: %s → RangeError naming the option', async (v) => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('1', { executionTimeout: v }))
    expect(err.name).toBe('RangeError')
    expect(err.message).toMatch(/executionTimeout/)
    // The runtime is still usable after rejecting bad options.
    await expect(r.eval('1')).resolves.toBeUndefined()
  })
})
