// runtime.timers and runtime.console: the synchronous host handles of @ricsam/isolate-runtime
// (issue #14), read and changed without waiting for the isolate.
import { describe, expect, it } from 'vitest'
import { RuntimeDisposedError } from '../index.js'
import { errorOf, useRuntimes } from './helpers'

const createRuntime = useRuntimes()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('runtime.timers.clearAll()', () => {
  it('clears pending timeouts and intervals: none of them fires afterwards', async () => {
    const fired: string[] = []
    const rt = await createRuntime({ customFunctions: { report: { type: 'sync', fn: (s: string) => void fired.push(s) } } })
    await rt.eval(`
      setTimeout(() => report('timeout'), 150)
      setInterval(() => report('interval'), 10)
    `)
    // Until the interval has fired once (on a loaded machine that may take longer than 10 ms).
    for (let i = 0; i < 200 && !fired.includes('interval') && !fired.includes('timeout'); i++) await sleep(5)
    expect(fired).toContain('interval')
    const result = rt.timers.clearAll()
    expect(result).toBeUndefined()
    // A tick already running when clearAll() was called may still be waiting for this thread to
    // take its sync report(): at most that one arrives after the clear (CI on Node 22 saw it).
    const seen = fired.length
    await sleep(40)
    const after = fired.length
    expect(after - seen).toBeLessThanOrEqual(1)
    await sleep(160)
    expect(fired.length).toBe(after)
    expect(fired).not.toContain('timeout')
  })

  it('timers started after clearAll() run, and clearTimeout of a cleared id is harmless', async () => {
    const fired: string[] = []
    const rt = await createRuntime({ customFunctions: { report: { type: 'sync', fn: (s: string) => void fired.push(s) } } })
    await rt.eval(`globalThis.old = setTimeout(() => report('old'), 20)`)
    rt.timers.clearAll()
    await rt.eval(`
      clearTimeout(old)
      await new Promise((resolve) => setTimeout(() => { report('new'); resolve() }, 5))
    `)
    await sleep(40)
    expect(fired).toEqual(['new'])
  })

  it('an interval that is cleared while an eval awaits it stops; the eval can still end by its other timers', async () => {
    const fired: string[] = []
    const rt = await createRuntime({ customFunctions: { report: { type: 'sync', fn: (s: string) => void fired.push(s) } } })
    await rt.eval(`setInterval(() => report('tick'), 5)`)
    await sleep(30)
    rt.timers.clearAll()
    // A tick already running when clearAll() was called may still be waiting for this thread to
    // take its sync report(): at most that one arrives after the clear.
    const n = fired.length
    // A timer made after the clear is kept (and drops the bootstrap's stale entries).
    await rt.eval(`await new Promise((r) => setTimeout(r, 20))`)
    const after = fired.length
    expect(after - n).toBeLessThanOrEqual(1)
    await sleep(50)
    expect(fired.length).toBe(after)
  })

  it('throws RuntimeDisposedError after dispose()', async () => {
    const rt = await createRuntime()
    const timers = rt.timers
    expect(rt.timers).toBe(timers)
    await rt.dispose()
    expect(() => timers.clearAll()).toThrow(RuntimeDisposedError)
  })
})

describe('runtime.console state', () => {
  it('getCounters() is a Map of console.count labels to counts, in first-count order', async () => {
    const rt = await createRuntime()
    expect(rt.console.getCounters()).toEqual(new Map())
    await rt.eval(`console.count(); console.count('b'); console.count(); console.count('a')`)
    const counters = rt.console.getCounters()
    expect(counters).toBeInstanceOf(Map)
    expect([...counters]).toEqual([['default', 2], ['b', 1], ['a', 1]])
    await rt.eval(`console.countReset('b')`)
    expect([...rt.console.getCounters()]).toEqual([['default', 2], ['a', 1]])
  })

  it('getTimers() maps running console.time labels to their start on the host\'s performance.now() clock, as the family does', async () => {
    const rt = await createRuntime()
    // The runtime's own clock starts at 0 with the runtime; the host's has run since Node started.
    await sleep(30)
    const before = performance.now()
    await rt.eval(`console.time('load'); console.time()`)
    const after = performance.now()
    const timers = rt.console.getTimers()
    expect([...timers.keys()]).toEqual(['load', 'default'])
    const start = timers.get('load')!
    expect(typeof start).toBe('number')
    // 1 ms of slack: the two clocks are read by different threads and rounded differently.
    expect(start).toBeGreaterThanOrEqual(before - 1)
    expect(start).toBeLessThanOrEqual(after + 1)
    await sleep(40)
    // Read again later: the same start (not a moving value).
    expect(Math.abs(rt.console.getTimers().get('load')! - start)).toBeLessThan(2)
    await rt.eval(`console.timeEnd('load')`)
    expect([...rt.console.getTimers().keys()]).toEqual(['default'])
  })

  it('getGroupDepth() follows console.group/groupEnd, and never goes below 0', async () => {
    const rt = await createRuntime()
    expect(rt.console.getGroupDepth()).toBe(0)
    await rt.eval(`console.group('a'); console.groupCollapsed('b')`)
    expect(rt.console.getGroupDepth()).toBe(2)
    await rt.eval(`console.groupEnd(); console.groupEnd(); console.groupEnd()`)
    expect(rt.console.getGroupDepth()).toBe(0)
  })

  it('reset() clears counters, timers and depth, inside too: counting starts again at 1', async () => {
    const entries: any[] = []
    const rt = await createRuntime({ console: { onEntry: (e) => void entries.push(e) } })
    await rt.eval(`console.count('x'); console.count('x'); console.time('t'); console.group('g')`)
    rt.console.reset()
    expect(rt.console.getCounters().size).toBe(0)
    expect(rt.console.getTimers().size).toBe(0)
    expect(rt.console.getGroupDepth()).toBe(0)
    entries.length = 0
    await rt.eval(`console.count('x'); console.log('top'); console.timeEnd('t')`)
    expect(entries[0]).toEqual({ type: 'count', label: 'x', count: 1, groupDepth: 0 })
    expect(entries[1]).toMatchObject({ type: 'output', level: 'log', stdout: 'top', groupDepth: 0 })
    // The timer is gone inside as well: Node's warning for an unknown label.
    expect(entries[2]).toMatchObject({ type: 'output', level: 'warn', stdout: "Warning: No such label 't' for console.timeEnd()" })
  })

  it('is current while an eval is still running', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const rt = await createRuntime({ customFunctions: { wait: { type: 'async', fn: () => gate } } })
    const running = rt.eval(`console.count('mid'); console.group(); await wait(); console.count('mid')`)
    // The isolate runs count() then group() on its own thread: wait for the later one, or a read
    // between the two sees the count without the group.
    for (let i = 0; i < 200 && rt.console.getGroupDepth() !== 1; i++) await sleep(5)
    expect(rt.console.getCounters().get('mid')).toBe(1)
    expect(rt.console.getGroupDepth()).toBe(1)
    release()
    await running
    expect(rt.console.getCounters().get('mid')).toBe(2)
  })

  it('labels held for the host count against memoryLimitMB: endless distinct large labels end in MemoryLimitError', async () => {
    const rt = await createRuntime({ memoryLimitMB: 16 })
    const e = await errorOf(() => rt.eval(`
      const big = 'x'.repeat(1 << 20)
      for (let i = 0; i < 1000; i++) console.count(big + i)
    `))
    expect(e.name).toBe('MemoryLimitError')
  })

  it('every method throws RuntimeDisposedError after dispose()', async () => {
    const rt = await createRuntime()
    const c = rt.console
    await rt.dispose()
    for (const call of [() => c.getCounters(), () => c.getTimers(), () => c.getGroupDepth(), () => c.reset()]) {
      expect(call).toThrow(RuntimeDisposedError)
    }
  })
})
