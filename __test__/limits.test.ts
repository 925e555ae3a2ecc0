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

  it('the smallest limit (8 MB) runs loops of short-lived objects to the end, and still ends a heap bomb', async () => {
    // V8's own split of an 8 MB heap left 2 MB of old generation, most of it the platform's:
    // 3 million short-lived objects ended with MemoryLimitError.
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 8, customFunctions })
    await r.eval(`
      let kept = []
      for (let i = 0; i < 3e6; i++) { const o = { a: [i, String(i)] }; if (i % 1000 === 0) kept.push(o); if (kept.length > 100) kept = [] }
      const big = []
      for (let i = 0; i < 20000; i++) big.push({ i, s: 'x' + i })
      report(big.length + kept.length)
    `)
    expect(calls).toEqual([20000 + 71]) // 3000 kept, in runs of 101
    expect((await r.stats()).heapLimitBytes).toBe(8 << 20)
    await expect(r.eval(HEAP_BOMB)).rejects.toMatchObject({ name: 'MemoryLimitError' })
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
    const r = await createRuntime({ executionTimeout: 400 })
    // Three evals of ~150 ms each: 450 ms in total, each well under its own 400 ms budget (a 50 ms
    // margin failed now and then on a loaded 2-core machine).
    for (let i = 0; i < 3; i++) await r.eval('await new Promise((r) => setTimeout(r, 150))')
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

// WebAssembly memory is allocated by V8 outside the ArrayBuffer allocator: src/web/wasm/ clamps
// each memory's maximum to the limit and charges it to the budget at that maximum.
describe('WebAssembly memory', () => {
  const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
  const TYPE_VOID_TO_I32 = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f]
  const ONE_FUNC = [0x03, 0x02, 0x01, 0x00]
  // (memory 1) not exported, no maximum; export "grow": grows by 16 pages and writes to the new
  // ones until memory.grow returns -1, then returns memory.size.
  const INTERNAL_GROW = [
    ...HEADER, ...TYPE_VOID_TO_I32, ...ONE_FUNC,
    0x05, 0x03, 0x01, 0x00, 0x01,
    0x07, 0x08, 0x01, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00,
    0x0a, 0x25, 0x01, 0x23,
    0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x41, 0x10, 0x40, 0x00, 0x22, 0x00, 0x41, 0x7f, 0x46, 0x0d, 0x01,
    0x20, 0x00, 0x41, 0x10, 0x74, 0x41, 0x01, 0x3a, 0x00, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x3f, 0x00, 0x0b,
  ]
  // (memory (export "memory") 1 2); export "grow": memory.grow(1).
  const SMALL = [
    ...HEADER, ...TYPE_VOID_TO_I32, ...ONE_FUNC,
    0x05, 0x04, 0x01, 0x01, 0x01, 0x02,
    0x07, 0x11, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00,
    0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x01, 0x40, 0x00, 0x0b,
  ]
  const bytes = (b: number[]) => `new Uint8Array([${b.join(',')}])`

  async function expectContained(code: string) {
    const r = await createRuntime({ memoryLimitMB: 32 })
    const started = Date.now()
    const outcome = await r.eval(code).then(
      () => 'settled',
      (e: any) => e.name,
    )
    // A memory past the limit is refused (RangeError from grow) or trips the limit.
    expect(['MemoryLimitError', 'RangeError', 'settled']).toContain(outcome)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(process.memoryUsage().rss).toBeLessThan(600 << 20)
    return outcome
  }

  it('a WebAssembly.Memory grow bomb stays within the limit', async () => {
    const outcome = await expectContained(
      'const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); while (true) { m.grow(256); new Uint8Array(m.buffer).fill(1, m.buffer.byteLength - 16777216) }',
    )
    expect(outcome).not.toBe('settled')
  })

  it('a module growing its own unexported memory with memory.grow stays within the limit', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 32, customFunctions })
    const outcome = await r.eval(`report(new WebAssembly.Instance(new WebAssembly.Module(${bytes(INTERNAL_GROW)})).exports.grow())`).then(
      () => 'settled',
      (e: any) => e.name,
    )
    // Its memory is clamped to the limit (512 pages at 32 MB): growing 16 pages at a time from 1,
    // memory.grow returns -1 once the next step would pass 512.
    expect(outcome).toBe('settled')
    expect(calls).toEqual([497])
    expect(process.memoryUsage().rss).toBeLessThan(600 << 20)
    await expectContained(`WebAssembly.instantiate(${bytes(INTERNAL_GROW)}).then(({ instance }) => instance.exports.grow())`)
  })

  it('a module whose memory declares no maximum (as toolchains emit) leaves ArrayBuffers their room', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 32, customFunctions })
    await r.eval(`
      const kept = new Uint8Array(20 << 20)
      const instance = new WebAssembly.Instance(new WebAssembly.Module(${bytes(INTERNAL_GROW)}))
      const more = new Uint8Array(8 << 20)
      report([kept.length + more.length, instance instanceof WebAssembly.Instance])
    `)
    expect(calls).toEqual([[28 << 20, true]])
  })

  it('a module with a small exported memory works, through every entry point', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 32, customFunctions })
    await r.eval(`
      const b = ${bytes(SMALL)}
      const m = new WebAssembly.Module(b)
      const i = new WebAssembly.Instance(m, {})
      report([m instanceof WebAssembly.Module, i instanceof WebAssembly.Instance, i.exports.memory instanceof WebAssembly.Memory])
      report([i.exports.grow(), i.exports.grow(), i.exports.memory.buffer.byteLength])
      report([m.constructor === WebAssembly.Module, WebAssembly.validate(b), WebAssembly.Module.exports(m).length])
      const r1 = await WebAssembly.instantiate(b)
      report([r1.module instanceof WebAssembly.Module, r1.instance instanceof WebAssembly.Instance, r1.instance.exports.grow()])
      const i2 = await WebAssembly.instantiate(await WebAssembly.compile(b))
      report(i2 instanceof WebAssembly.Instance)
      const mem = new WebAssembly.Memory({ initial: 1, maximum: 4 })
      report([mem.grow(3), mem.buffer.byteLength])
      const r3 = await WebAssembly.instantiateStreaming(new Response(b, { headers: { 'content-type': 'application/wasm' } }))
      report(r3.instance.exports.grow())
      await WebAssembly.compile(new Uint8Array([1, 2, 3])).catch((e) => report(e instanceof WebAssembly.CompileError))
    `)
    expect(calls).toEqual([[true, true, true], [1, -1, 131072], [true, true, 2], [true, true, 1], true, [1, 262144], 1, true])
  })

  it('new WebAssembly.Memory past the limit is a RangeError', async () => {
    const r = await createRuntime({ memoryLimitMB: 32 })
    const err = await errorOf(() => r.eval('new WebAssembly.Memory({ initial: 32 * 16 + 1 })'))
    expect(err.name).toBe('RangeError')
    expect(err.message).toBe('WebAssembly memory of 513 pages exceeds memoryLimitMB (32 MB)')
  })

  it('instances and memories that are dropped give their budget back', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 16, customFunctions })
    // Wasm may reserve 4 x 16 MB. 600 x 128 KiB of maxima (75 MB) would not fit without release;
    // 400 x 4 MB neither.
    await r.eval(`
      const m = new WebAssembly.Module(${bytes(SMALL)})
      let n = 0
      for (let k = 0; k < 600; k++) n += new WebAssembly.Instance(m, {}).exports.grow() + 1
      for (let k = 0; k < 100; k++) n += (await WebAssembly.instantiate(m)).exports.grow() + 1
      for (let k = 0; k < 400; k++) n += new WebAssembly.Memory({ initial: 1, maximum: 64 }).grow(1)
      report(n)
    `)
    expect(calls).toEqual([1800])
  })
})
