// performance.mark / measure and the Performance Timeline's buffer (https://w3c.github.io/user-timing/),
// and navigator's hardwareConcurrency / language(s).
import { describe, expect, it } from 'vitest'
import { reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function run(code: string) {
  const { calls, customFunctions } = reporter()
  const rt = await createRuntime({ customFunctions })
  await rt.eval(code)
  return calls
}

describe('User Timing', () => {
  it('mark() records a PerformanceMark with its startTime and a cloned detail; getEntries* list them by startTime', async () => {
    const [r] = await run(`
      const detail = { n: 1 }
      // Later than now: so the mark taken at now() sorts first.
      const base = performance.now()
      const a = performance.mark('a', { startTime: base + 2000, detail })
      const b = performance.mark('b', { startTime: base + 1000 })
      const t0 = performance.now()
      const c = performance.mark('a')
      detail.n = 2
      report({
        kinds: [a instanceof PerformanceMark, a instanceof PerformanceEntry, Object.prototype.toString.call(a)],
        a: [a.name, a.entryType, Math.round(a.startTime - base), a.duration, a.detail, a.detail === detail],
        bDetail: b.detail,
        cNow: c.startTime >= t0 && c.startTime <= performance.now(),
        all: performance.getEntries().map((e) => e.name + '@' + (e === c ? 'now' : Math.round(e.startTime - base))),
        byName: performance.getEntriesByName('a').length,
        byNameType: performance.getEntriesByName('a', 'measure').length,
        byType: performance.getEntriesByType('mark').length,
        json: { ...b.toJSON(), startTime: Math.round(b.toJSON().startTime - base) },
      })
    `)
    expect(r).toEqual({
      kinds: [true, true, '[object PerformanceMark]'],
      a: ['a', 'mark', 2000, 0, { n: 1 }, false],
      bDetail: null,
      cNow: true,
      all: ['a@now', 'b@1000', 'a@2000'],
      byName: 2,
      byNameType: 0,
      byType: 3,
      json: { name: 'b', entryType: 'mark', startTime: 1000, duration: 0 },
    })
  })

  it('measure() between marks, from options (start/end/duration/detail), and from 0 to now', async () => {
    const [r] = await run(`
      performance.mark('s', { startTime: 5 })
      performance.mark('e', { startTime: 12 })
      performance.mark('e', { startTime: 15 }) // the latest mark of a name counts
      const m = (...args) => { const x = performance.measure(...args); return [x.name, x.entryType, x.startTime, x.duration, x.detail] }
      const toNow = performance.measure('toNow')
      report({
        between: m('between', 's', 'e'),
        options: m('opts', { start: 's', duration: 4, detail: [1] }),
        endDuration: m('endDuration', { end: 20, duration: 5 }),
        startOnly: m('startOnly', { start: 2, end: 'e' }),
        toNow: [toNow.startTime, toNow.duration > 0, toNow instanceof PerformanceMeasure],
        measures: performance.getEntriesByType('measure').map((e) => e.name),
      })
    `)
    expect(r).toEqual({
      between: ['between', 'measure', 5, 10, null],
      options: ['opts', 'measure', 5, 4, [1]],
      endDuration: ['endDuration', 'measure', 15, 5, null],
      startOnly: ['startOnly', 'measure', 2, 13, null],
      toNow: [0, true, true],
      measures: ['toNow', 'startOnly', 'between', 'opts', 'endDuration'],
    })
  })

  it('clearMarks / clearMeasures remove by name or all', async () => {
    const [r] = await run(`
      performance.mark('a'); performance.mark('b'); performance.mark('a')
      performance.measure('m1'); performance.measure('m2')
      performance.clearMarks('a')
      const afterOne = performance.getEntries().map((e) => e.name)
      performance.clearMeasures()
      const afterMeasures = performance.getEntries().map((e) => e.name)
      performance.clearMarks()
      report([afterOne, afterMeasures, performance.getEntries().length])
    `)
    expect(r).toEqual([['m1', 'm2', 'b'].sort(), ['b'], 0].map((x, i) => (i === 0 ? expect.arrayContaining(x as string[]) : x)))
  })

  it('bad input: the Web platform errors (TypeError, SyntaxError DOMException), nothing recorded', async () => {
    const [r] = await run(`
      const err = (f) => { try { f(); return 'no error' } catch (e) { return e.name + ': ' + e.message } }
      performance.mark('end', { startTime: 3 })
      report([
        err(() => performance.mark('x', { startTime: -1 })),
        err(() => performance.mark('x', 5)),
        err(() => performance.mark()),
        err(() => performance.measure('m', 'missing')),
        err(() => performance.measure('m', { start: 1 }, 'end')),
        err(() => performance.measure('m', { duration: 1 })),
        err(() => performance.measure('m', { start: 1, duration: 1, end: 3 })),
        err(() => performance.measure('m', { start: -1, end: 2 })),
        err(() => performance.mark('x', { detail: () => {} })),
        err(() => new PerformanceEntry()),
        err(() => new PerformanceMeasure()),
        err(() => Performance.prototype.mark.call({}, 'x')),
        err(() => Object.getOwnPropertyDescriptor(PerformanceEntry.prototype, 'name').get.call({})),
        performance.getEntries().length,
      ])
    `)
    expect(r).toEqual([
      expect.stringMatching(/^TypeError: .*negative/),
      expect.stringMatching(/^TypeError: .*markOptions must be an object/),
      expect.stringMatching(/^TypeError: .*1 argument required/),
      expect.stringMatching(/^SyntaxError: .*The mark 'missing' does not exist/),
      expect.stringMatching(/^TypeError: .*endMark cannot be given/),
      expect.stringMatching(/^TypeError: .*needs start or end/),
      expect.stringMatching(/^TypeError: .*start, duration and end all at once/),
      expect.stringMatching(/^TypeError: .*negative/),
      expect.stringMatching(/^DataCloneError: /),
      'TypeError: Illegal constructor',
      'TypeError: Illegal constructor',
      expect.stringMatching(/^TypeError: Illegal invocation/),
      expect.stringMatching(/^TypeError: Illegal invocation/),
      1,
    ])
  })

  it('the new PerformanceMark constructor works without recording; marks in a loop are bounded by memoryLimitMB', async () => {
    const [r] = await run(`
      const m = new PerformanceMark('solo', { startTime: 1 })
      report([m.name, m.startTime, performance.getEntries().length])
    `)
    expect(r).toEqual(['solo', 1, 0])
    const rt = await createRuntime({ memoryLimitMB: 16 })
    const e = await rt.eval(`for (let i = 0; ; i++) performance.mark('m' + i, { detail: { i } })`).then(() => null, (x) => x)
    expect(e?.name).toBe('MemoryLimitError')
  }, 30_000)
})

describe('navigator', () => {
  it('hardwareConcurrency is 1 and language(s) are fixed, so the host is not described', async () => {
    const [r] = await run(`report([navigator.hardwareConcurrency, navigator.language, navigator.languages, navigator.languages === navigator.languages, Object.isFrozen(navigator.languages)])`)
    expect(r).toEqual([1, 'en-US', ['en-US'], true, true])
  })
})
