// Runtimes on the process's thread pool: no thread per runtime, no starvation by a busy runtime,
// deadlines on every run of isolate code (not only evals), the CPU-time limit, forgotten runtimes
// freed, and a fatal out-of-memory contained to its runtime.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { processStats } from '../index.js'
import { errorOf, INDEX_PATH, timeoutMessage, useRuntimes, within } from './helpers'

const createRuntime = useRuntimes()

const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1])

/** Runs `body` in a fresh Node process (a crash fails the case, not the runner); returns its stdout lines. */
function child(body: string, args: string[] = []) {
  const script = `const m = require(${JSON.stringify(INDEX_PATH)});\n(async () => {\n${body}\n})().catch((e) => { console.log('FAILED', e && e.stack); process.exitCode = 3 })`
  const res = spawnSync(process.execPath, [...args, '-e', script], { encoding: 'utf8', timeout: 60_000 })
  return { status: res.status, signal: res.signal, out: res.stdout.trim().split('\n'), err: res.stderr }
}

describe('thread pool', () => {
  it('200 live runtimes add no thread per runtime', async () => {
    const before = threads()
    const rts = await Promise.all(Array.from({ length: 200 }, () => createRuntime()))
    await Promise.all(rts.map((r, i) => r.eval(`globalThis.n = ${i}`)))
    const during = threads()
    expect(during - before).toBeLessThan(20)
    expect(processStats().runtimes).toBeGreaterThanOrEqual(200)
    expect(processStats().poolThreads).toBeLessThan(40)
  })

  it('a runtime looping forever without limits does not starve the others', async () => {
    const busy = await createRuntime()
    const looping = busy.eval('for (;;) {}').catch((e) => e)
    // More runtimes than pool threads, each must still get its turns.
    const others = await Promise.all(Array.from({ length: 4 }, () => createRuntime()))
    const t0 = Date.now()
    await within(Promise.all(others.map((r) => r.eval('await new Promise((res) => setTimeout(res, 20)); 1 + 1'))), 5_000, 'evals beside a busy runtime')
    expect(Date.now() - t0).toBeLessThan(2_000)
    await busy.dispose()
    const err = await looping
    expect(err.message).toContain('Runtime has been disposed')
  })

  it('runtimes run their tasks one at a time and in order', async () => {
    const { customFunctions, seen } = (() => {
      const seen: number[] = []
      return { seen, customFunctions: { push: { type: 'sync' as const, fn: (n: number) => void seen.push(n) } } }
    })()
    const r = await createRuntime({ customFunctions })
    await Promise.all(Array.from({ length: 50 }, (_, i) => r.eval(`push(${i})`)))
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('configurePool after the pool started is an error that says when to call it', () => {
    const res = child(`await m.createRuntime(); try { m.configurePool({ threads: 4 }); console.log('no error') } catch (e) { console.log(e.message) }`)
    expect(res.status).toBe(0)
    expect(res.out).toEqual(['configurePool(options): the pool is already running; set its size before the first createRuntime()'])
  })

  it('configurePool sets the number of threads before the first runtime', () => {
    const res = child(
      `m.configurePool({ threads: 1 }); const rts = await Promise.all(Array.from({ length: 5 }, () => m.createRuntime()));
       await Promise.all(rts.map((r) => r.eval('1')));
       console.log(m.processStats().poolThreads); for (const r of rts) await r.dispose()`,
    )
    expect(res.status).toBe(0)
    expect(res.out).toEqual(['1'])
  })

  it('configurePool refuses what is not 1..256 threads with a typed error naming the argument', () => {
    const res = child(`for (const a of [{ threads: 0 }, { threads: 257 }, { threads: 1.5 }, { threads: '2' }, 5, {}]) {
      try { m.configurePool(a); console.log('no error') } catch (e) { console.log(e.constructor.name + ': ' + e.message) } }`)
    expect(res.out).toEqual([
      'RangeError: configurePool(options): threads must be an integer from 1 to 256 (got 0)',
      'RangeError: configurePool(options): threads must be an integer from 1 to 256 (got 257)',
      'RangeError: configurePool(options): threads must be an integer from 1 to 256 (got 1.5)',
      'TypeError: configurePool(options): threads must be a number of threads from 1 to 256',
      'TypeError: configurePool(options): options must be an object such as { threads: 4 }',
      'TypeError: configurePool(options): threads must be a number of threads from 1 to 256',
    ])
  })
})

describe('deadlines outside eval', () => {
  it('executionTimeout bounds a dispatched request whose handler never returns', async () => {
    const r = await createRuntime({ executionTimeout: 200 })
    await r.eval('serve({ fetch() { for (;;) {} } })')
    const t0 = Date.now()
    const err = await errorOf(() => r.fetch.dispatchRequest(new Request('http://localhost/')))
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toBe(timeoutMessage(200))
    expect(Date.now() - t0).toBeLessThan(1_500)
  })

  it('executionTimeout bounds a handler awaiting forever (wall clock, awaiting included)', async () => {
    const r = await createRuntime({ executionTimeout: 200 })
    await r.eval('serve({ fetch: () => new Promise(() => {}) })')
    const err = await errorOf(() => r.fetch.dispatchRequest(new Request('http://localhost/')))
    expect(err.name).toBe('TimeoutError')
  })

  it('a timer looping forever after its eval resolved ends the runtime; later calls say why', async () => {
    const r = await createRuntime({ executionTimeout: 200 })
    await r.eval('setTimeout(() => { for (;;) {} }, 10)')
    await new Promise((res) => setTimeout(res, 600))
    const err = await errorOf(() => r.eval('1'))
    expect(err.message).toMatch(/^Runtime has been disposed: runtime execution timed out after 200ms \(a task ran longer than its executionTimeout\)\. Create a new runtime/)
  })

  it('a loop in microtasks after a host reply is stopped', async () => {
    const r = await createRuntime({
      executionTimeout: 200,
      customFunctions: { later: { type: 'async', fn: async () => 1 } },
    })
    await r.eval('later().then(() => { for (;;) {} })')
    await new Promise((res) => setTimeout(res, 600))
    await expect(r.eval('1')).rejects.toThrow(/runtime execution timed out after 200ms \(a task ran longer than its executionTimeout\)/)
  })

  it('a getter looping forever on a value the runtime reports is stopped', async () => {
    const r = await createRuntime({ executionTimeout: 200, console: { onEntry() {} } })
    await r.eval(`Promise.reject({ get stack() { for (;;) {} } })`).catch(() => {})
    await new Promise((res) => setTimeout(res, 600))
    await expect(r.eval('1')).rejects.toThrow(/Runtime has been disposed/)
  })
})

describe('cpuTimeLimit', () => {
  it('a busy loop rejects with CpuLimitError after about the limit', async () => {
    const r = await createRuntime({ cpuTimeLimit: 100 })
    const t0 = Date.now()
    const err = await errorOf(() => r.eval('for (;;) {}'))
    expect(err.name).toBe('CpuLimitError')
    expect(err.code).toBe('ERR_ISOLATE_CPU_LIMIT')
    expect(err.message).toBe('CPU time limit of 100ms exceeded')
    expect(Date.now() - t0).toBeLessThan(1_000)
  })

  it('time spent waiting does not count', async () => {
    const r = await createRuntime({ cpuTimeLimit: 50 })
    await r.eval('await new Promise((res) => setTimeout(res, 300))')
    await r.eval('await new Promise((res) => setTimeout(res, 100)); let x = 0; for (let i = 0; i < 1e5; i++) x += i')
  })

  it('each task has its own budget', async () => {
    const r = await createRuntime({ cpuTimeLimit: 150 })
    // Three bursts of ~60 ms, in separate tasks: 180 ms in all, but none over the limit.
    await r.eval(`for (let k = 0; k < 3; k++) {
      await new Promise((res) => setTimeout(res, 5))
      const end = Date.now() + 60; while (Date.now() < end) {}
    }`)
  })

  it('bounds a request handler too', async () => {
    const r = await createRuntime({ cpuTimeLimit: 100 })
    await r.eval('serve({ fetch() { for (;;) {} } })')
    const err = await errorOf(() => r.fetch.dispatchRequest(new Request('http://localhost/')))
    expect(err.name).toBe('CpuLimitError')
  })

  it('invalid values are RangeErrors naming the option', async () => {
    for (const v of [0, -1, Infinity]) {
      const err = await errorOf(() => createRuntime({ cpuTimeLimit: v }))
      expect(err).toBeInstanceOf(RangeError)
      expect(err.message).toContain('cpuTimeLimit')
    }
    const err = await errorOf(() => createRuntime({ cpuTimeLimit: '10' as any }))
    expect(err).toBeInstanceOf(TypeError)
  })
})

describe('forgotten runtimes', () => {
  it('runtimes dropped without dispose() are freed once garbage-collected', () => {
    const res = child(
      `const make = async () => { const r = await m.createRuntime(); await r.eval('setInterval(() => {}, 1000); globalThis.big = new Array(1e5).fill(1)') }
       for (let i = 0; i < 50; i++) await make()
       const before = m.processStats().runtimes
       for (let i = 0; i < 20 && m.processStats().runtimes > 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)) }
       console.log(before, m.processStats().runtimes)`,
      ['--expose-gc'],
    )
    expect(res.status).toBe(0)
    expect(res.out).toEqual(['50 0'])
  })
})

describe('fatal out-of-memory', () => {
  it('is contained: the runtime rejects with MemoryLimitError, the process and other runtimes live on', () => {
    const res = child(
      `const other = await m.createRuntime(); await other.eval('globalThis.k = 41')
       const r = await m.createRuntime({ memoryLimitMB: 16 })
       const err = await r.eval('new Array(1e8).fill(0)').then(() => null, (e) => e)
       console.log(err && err.name)
       const later = await r.eval('1').then(() => null, (e) => e)
       console.log(later && later.message.startsWith('Runtime has been disposed'))
       await r.dispose()
       const s = m.processStats()
       console.log(s.containedRuntimes, s.containedBytes > 0)
       const check = await m.createRuntime({ customFunctions: { out: { type: 'sync', fn: (v) => console.log(v) } } })
       await other.eval('k++'); await check.eval('out(2 + 2)')
       await other.dispose(); await check.dispose()`,
    )
    expect(res.signal).toBe(null)
    expect(res.status).toBe(0)
    expect(res.out).toEqual(['MemoryLimitError', 'true', '1 true', '4'])
  })
})
