// memoryLimitMB against what V8 grants past its heap limit: one huge allocation (V8 allocates it
// after its last-resort GC whatever the limit), sources larger than the limit, natives that copy
// script strings into Rust memory.
import { describe, expect, it } from 'vitest'
import { errorOf, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

describe('one huge allocation', () => {
  it('a 256 MB string in a 16 MB runtime ends it with MemoryLimitError', async () => {
    const r = await createRuntime({ memoryLimitMB: 16 })
    const err = await errorOf(() => r.eval(`const a = 'x'.repeat(2 ** 28); a.indexOf('y')`))
    expect(err.name).toBe('MemoryLimitError')
    expect(err.code).toBe('ERR_ISOLATE_MEMORY_LIMIT')
  })

  it('a 200 MB join ends it too', async () => {
    const r = await createRuntime({ memoryLimitMB: 16 })
    const err = await errorOf(() => r.eval(`globalThis.s = Array(200).fill('x'.repeat(1 << 20)).join('')`))
    expect(err.name).toBe('MemoryLimitError')
  })

  it('is noticed during a long task, not only after it', async () => {
    const r = await createRuntime({ memoryLimitMB: 16 })
    const t0 = Date.now()
    const err = await errorOf(() => r.eval(`const s = 'x'.repeat(2 ** 27); s.indexOf('y'); for (;;) {}`))
    expect(err.name).toBe('MemoryLimitError')
    expect(Date.now() - t0).toBeLessThan(2_000)
  })

  it('is noticed after a timer task too, when the eval that set it up has long resolved', async () => {
    const r = await createRuntime({ memoryLimitMB: 16 })
    await r.eval(`setTimeout(() => { globalThis.s = 'x'.repeat(2 ** 28); s.indexOf('y') }, 10)`)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    // The runtime ended on its limit: what comes later finds it gone, and says why.
    const err = await errorOf(() => r.eval('1'))
    expect(err.name).toBe('RuntimeDisposedError')
    expect(err.message).toMatch(/memory/i)
  })

  it('garbage from big allocations is not over the limit', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 16, customFunctions })
    await r.eval(`let n = 0; for (let i = 0; i < 40; i++) n += 'x'.repeat(2 ** 22).indexOf('y'); report(n)`)
    expect(calls).toEqual([-40])
    await r.eval('report(1 + 1)')
    expect(calls).toEqual([-40, 2])
  })
})

describe('sources and strings larger than the limit', () => {
  it('an eval source larger than memoryLimitMB is a RangeError; the runtime lives on', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 16, customFunctions })
    const err = await errorOf(() => r.eval('// ' + 'x'.repeat(17 * 1024 * 1024)))
    expect(err).toBeInstanceOf(RangeError)
    expect(err.message).toBe('the source of main.js (17.0 MB) is larger than the runtime\'s memoryLimitMB (16 MB): raise memoryLimitMB or load less code')
    await r.eval('report(2)')
    expect(calls).toEqual([2])
  })

  it('btoa and atob refuse strings whose copies would outgrow the limit', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 64, customFunctions })
    await r.eval(`
      const big = 'a'.repeat(2 ** 25 + 8)
      for (const f of [btoa, atob]) {
        try { f(big); report('no error') } catch (e) { report([e.name, e.message]) }
      }
      report(btoa('hi'))`)
    expect(calls).toEqual([
      ['RangeError', "btoa: the string is too large for the runtime's memory limit"],
      ['RangeError', "atob: the string is too large for the runtime's memory limit"],
      'aGk=',
    ])
  })
})
