// customFunctions: sync / async / asyncIterator host functions, structured-clone values both ways,
// host errors surfacing in the isolate, and validation of the option's shape.
import { describe, expect, it } from 'vitest'
import { createRuntime as rawCreateRuntime } from '../index.js'
import { CHECK, rejectionOf, reporter, sleep, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

type CloneCase = {
  name: string
  /** JS expression evaluated in the isolate and passed to the host. */
  isolateExpr: string
  /** Checks, on the host, what the isolate passed. */
  hostCheck: (v: any) => void
  /** Builds the value the host returns to the isolate. */
  hostValue: () => any
  /** JS boolean expression over `v`, evaluated in the isolate on what the host returned. */
  isolateCheck: string
}

const cloneCases: CloneCase[] = [
  {
    name: 'number',
    isolateExpr: '1.5',
    hostCheck: (v) => expect(v).toBe(1.5),
    hostValue: () => -2.75,
    isolateCheck: 'v === -2.75',
  },
  {
    name: 'special numbers (-0, NaN, Infinity)',
    isolateExpr: '[-0, NaN, -Infinity]',
    hostCheck: (v) => {
      expect(Object.is(v[0], -0)).toBe(true)
      expect(Number.isNaN(v[1])).toBe(true)
      expect(v[2]).toBe(-Infinity)
    },
    hostValue: () => [-0, NaN, Infinity],
    isolateCheck: 'Object.is(v[0], -0) && Number.isNaN(v[1]) && v[2] === Infinity',
  },
  {
    name: 'string (non-ASCII)',
    isolateExpr: "'héllo ☃ 😀'",
    hostCheck: (v) => expect(v).toBe('héllo ☃ 😀'),
    hostValue: () => 'ünïcödé ✓ 🚀',
    isolateCheck: "v === 'ünïcödé ✓ 🚀' && v.length === 12",
  },
  {
    // HTML StructuredSerializeInternal copies own properties only: a hole is not undefined.
    name: 'sparse array (holes stay holes, trailing ones included)',
    isolateExpr: '[0, , 2, , ]',
    hostCheck: (v) => {
      expect(v).toHaveLength(4)
      expect([0 in v, 1 in v, 2 in v, 3 in v]).toEqual([true, false, true, false])
      expect([v[0], v[2]]).toEqual([0, 2])
    },
    hostValue: () => [, 'a', , undefined, ,],
    isolateCheck: "v.length === 5 && !(0 in v) && v[1] === 'a' && !(2 in v) && (3 in v) && v[3] === undefined && !(4 in v)",
  },
  {
    name: 'booleans, null and undefined',
    isolateExpr: '[true, false, null, undefined]',
    hostCheck: (v) => {
      expect(v).toHaveLength(4)
      expect(v[0]).toBe(true)
      expect(v[1]).toBe(false)
      expect(v[2]).toBe(null)
      expect(v[3]).toBe(undefined)
    },
    hostValue: () => [false, true, undefined, null],
    isolateCheck: 'v.length === 4 && v[0] === false && v[1] === true && v[2] === undefined && v[3] === null',
  },
  {
    name: 'bigint',
    isolateExpr: '12345678901234567890123n',
    hostCheck: (v) => expect(v).toBe(12345678901234567890123n),
    hostValue: () => -98765432109876543210n,
    isolateCheck: "typeof v === 'bigint' && v === -98765432109876543210n",
  },
  {
    name: 'nested plain objects and arrays',
    isolateExpr: "({ a: { b: [1, { c: 'd' }, [2, [3]]], e: null }, f: 'g', empty: {}, list: [] })",
    hostCheck: (v) => {
      expect(v).toEqual({ a: { b: [1, { c: 'd' }, [2, [3]]], e: null }, f: 'g', empty: {}, list: [] })
      expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
      expect(Array.isArray(v.a.b)).toBe(true)
    },
    hostValue: () => ({ x: [1, 'two', { three: [3, { four: 4 }] }], y: { z: true } }),
    isolateCheck:
      "Object.getPrototypeOf(v) === Object.prototype && Array.isArray(v.x) && v.x[0] === 1 && v.x[1] === 'two' && " +
      'v.x[2].three[0] === 3 && v.x[2].three[1].four === 4 && v.y.z === true && Object.keys(v).join() === "x,y"',
  },
  {
    name: 'Date',
    isolateExpr: 'new Date(1700000000123)',
    hostCheck: (v) => {
      expect(v).toBeInstanceOf(Date)
      expect(v.getTime()).toBe(1700000000123)
    },
    hostValue: () => new Date(Date.UTC(2020, 1, 29, 12, 34, 56, 789)),
    isolateCheck: "v instanceof Date && v.toISOString() === '2020-02-29T12:34:56.789Z'",
  },
  {
    name: 'RegExp',
    isolateExpr: '/ab+c/gi',
    hostCheck: (v) => {
      expect(v).toBeInstanceOf(RegExp)
      expect(v.source).toBe('ab+c')
      expect(v.flags).toBe('gi')
    },
    hostValue: () => /^x\d{2}$/m,
    isolateCheck: "v instanceof RegExp && v.source === '^x\\\\d{2}$' && v.flags === 'm' && v.test('x42')",
  },
  {
    name: 'Map',
    isolateExpr: "new Map([[1, 'a'], ['k', { x: 1 }], [true, [1, 2]]])",
    hostCheck: (v) => {
      expect(v).toBeInstanceOf(Map)
      expect(v.size).toBe(3)
      expect(v.get(1)).toBe('a')
      expect(v.get('k')).toEqual({ x: 1 })
      expect(v.get(true)).toEqual([1, 2])
    },
    hostValue: () => new Map<any, any>([['name', 'host'], [2, new Map([['inner', 1]])]]),
    isolateCheck:
      "v instanceof Map && v.size === 2 && v.get('name') === 'host' && v.get(2) instanceof Map && v.get(2).get('inner') === 1",
  },
  {
    name: 'Set',
    isolateExpr: "new Set([1, 'a', 3])",
    hostCheck: (v) => {
      expect(v).toBeInstanceOf(Set)
      expect([...v]).toEqual([1, 'a', 3])
    },
    hostValue: () => new Set(['x', 2, 'y']),
    isolateCheck: "v instanceof Set && [...v].join() === 'x,2,y'",
  },
  {
    name: 'ArrayBuffer',
    isolateExpr: 'new Uint8Array([1, 2, 3, 255]).buffer',
    hostCheck: (v) => {
      expect(v).toBeInstanceOf(ArrayBuffer)
      expect(v.byteLength).toBe(4)
      expect([...new Uint8Array(v)]).toEqual([1, 2, 3, 255])
    },
    hostValue: () => new Uint8Array([9, 8, 7, 0, 200]).buffer,
    isolateCheck: "v instanceof ArrayBuffer && v.byteLength === 5 && new Uint8Array(v).join() === '9,8,7,0,200'",
  },
  {
    name: 'Uint8Array',
    isolateExpr: 'new Uint8Array([0, 1, 128, 255])',
    hostCheck: (v) => {
      expect(v).toBeInstanceOf(Uint8Array)
      expect([...v]).toEqual([0, 1, 128, 255])
    },
    hostValue: () => new Uint8Array([10, 20, 30]),
    isolateCheck: "v instanceof Uint8Array && v.length === 3 && v.join() === '10,20,30'",
  },
  {
    name: 'Float64Array',
    isolateExpr: 'new Float64Array([1.5, -2.25, 1e300])',
    hostCheck: (v) => {
      expect(v).toBeInstanceOf(Float64Array)
      expect([...v]).toEqual([1.5, -2.25, 1e300])
    },
    hostValue: () => new Float64Array([Math.PI, -0.5]),
    isolateCheck: 'v instanceof Float64Array && v.length === 2 && v[0] === Math.PI && v[1] === -0.5',
  },
  {
    name: 'Int32Array and a view with an offset',
    isolateExpr: '[new Int32Array([-1, 2147483647]), new Uint8Array(new Uint8Array([5, 6, 7, 8]).buffer, 1, 2)]',
    hostCheck: (v) => {
      expect(v[0]).toBeInstanceOf(Int32Array)
      expect([...v[0]]).toEqual([-1, 2147483647])
      expect(v[1]).toBeInstanceOf(Uint8Array)
      expect([...v[1]]).toEqual([6, 7])
    },
    hostValue: () => [new Int32Array([-5, 7]), new Uint16Array([65535])],
    isolateCheck:
      "v[0] instanceof Int32Array && v[0].join() === '-5,7' && v[1] instanceof Uint16Array && v[1][0] === 65535",
  },
  {
    name: 'Error',
    isolateExpr: "new TypeError('bad thing')",
    hostCheck: (v) => {
      expect(v).toBeInstanceOf(Error)
      expect(v.name).toBe('TypeError')
      expect(v.message).toBe('bad thing')
    },
    hostValue: () => new RangeError('from host'),
    isolateCheck: "v instanceof Error && v.name === 'RangeError' && v.message === 'from host'",
  },
  {
    name: 'a mix of types nested in an object',
    isolateExpr:
      "({ when: new Date(5), tags: new Set(['t']), m: new Map([['b', new Uint8Array([1])]]), list: [new RegExp('x', 'g'), new Error('inner')] })",
    hostCheck: (v) => {
      expect(v.when).toBeInstanceOf(Date)
      expect(v.when.getTime()).toBe(5)
      expect(v.tags).toBeInstanceOf(Set)
      expect(v.tags.has('t')).toBe(true)
      expect(v.m.get('b')).toBeInstanceOf(Uint8Array)
      expect([...v.m.get('b')]).toEqual([1])
      expect(v.list[0]).toBeInstanceOf(RegExp)
      expect(v.list[1]).toBeInstanceOf(Error)
      expect(v.list[1].message).toBe('inner')
    },
    hostValue: () => ({ d: new Date(6), list: [new Set([1]), new Map([[1, new Float64Array([0.5])]])] }),
    isolateCheck:
      'v.d instanceof Date && v.d.getTime() === 6 && v.list[0] instanceof Set && v.list[0].has(1) && ' +
      'v.list[1] instanceof Map && v.list[1].get(1) instanceof Float64Array && v.list[1].get(1)[0] === 0.5',
  },
  {
    name: 'the same object referenced twice (identity kept, as structured clone does)',
    isolateExpr: "(() => { const when = new Date(5); const o = { x: 1 }; return { when, again: when, o, list: [o] } })()",
    hostCheck: (v) => {
      expect(v.when.getTime()).toBe(5)
      expect(v.again).toBe(v.when)
      expect(v.list[0]).toBe(v.o)
    },
    hostValue: () => {
      const d = new Date(6)
      const o = { y: 2 }
      return { d, d2: d, o, list: [o] }
    },
    isolateCheck: 'v.d.getTime() === 6 && v.d2 === v.d && v.list[0] === v.o && v.o.y === 2',
  },
  {
    name: 'a cyclic object (structured clone keeps cycles)',
    isolateExpr: "(() => { const o = { name: 'root', children: [] }; o.self = o; o.children.push({ parent: o }); return o })()",
    hostCheck: (v) => {
      expect(v.name).toBe('root')
      expect(v.self).toBe(v)
      expect(v.children[0].parent).toBe(v)
    },
    hostValue: () => {
      const o: any = { name: 'host root', list: [] }
      o.me = o
      o.list.push(o)
      return o
    },
    isolateCheck: "v.name === 'host root' && v.me === v && v.list[0] === v",
  },
]

describe('structured-clone values', () => {
  describe.each(cloneCases)('$name', (c) => {
    it('isolate → host (as an argument)', async () => {
      const got: any[][] = []
      const r = await createRuntime({
        customFunctions: { take: { type: 'sync', fn: (...args: any[]) => void got.push(args) } },
      })
      await r.eval(`take(${c.isolateExpr})`)
      expect(got).toHaveLength(1)
      expect(got[0]).toHaveLength(1)
      c.hostCheck(got[0][0])
    })

    it('host → isolate (as a sync result)', async () => {
      const r = await createRuntime({ customFunctions: { give: { type: 'sync', fn: () => c.hostValue() } } })
      await r.eval(CHECK + `const v = give(); check(${c.isolateCheck}, ${JSON.stringify(c.name)})`)
    })

    it('host → isolate (as an async result)', async () => {
      const r = await createRuntime({
        customFunctions: {
          giveLater: {
            type: 'async',
            fn: async () => {
              await sleep(1)
              return c.hostValue()
            },
          },
        },
      })
      await r.eval(CHECK + `const v = await giveLater(); check(${c.isolateCheck}, ${JSON.stringify(c.name)})`)
    })
  })

  it('an array hole is not read through the prototype: a script getter on Array.prototype is not copied', async () => {
    const got: any[] = []
    const r = await createRuntime({ customFunctions: { take: { type: 'sync', fn: (v: any) => void got.push(v) } } })
    await r.eval(`Object.defineProperty(Array.prototype, 1, { get() { return 'junk' }, configurable: true }); take([0, , 2])`)
    expect(got).toHaveLength(1)
    expect(got[0]).toHaveLength(3)
    expect(1 in got[0]).toBe(false)
    expect([got[0][0], got[0][2]]).toEqual([0, 2])
  })

  it('passes every argument, in order, including trailing undefined', async () => {
    const got: any[][] = []
    const r = await createRuntime({
      customFunctions: { take: { type: 'sync', fn: (...args: any[]) => void got.push(args) } },
    })
    await r.eval(`take(); take(1, 'two', { three: 3 }); take(undefined)`)
    expect(got).toEqual([[], [1, 'two', { three: 3 }], [undefined]])
    expect(got[2]).toHaveLength(1)
  })

  it('arguments are copies: later changes in the isolate do not affect what the host got', async () => {
    const got: any[] = []
    const r = await createRuntime({ customFunctions: { take: { type: 'sync', fn: (v: any) => void got.push(v) } } })
    await r.eval(`const o = { n: 1, list: [1] }; take(o); o.n = 2; o.list.push(2); take(o)`)
    expect(got).toEqual([
      { n: 1, list: [1] },
      { n: 2, list: [1, 2] },
    ])
    expect(got[0]).not.toBe(got[1])
  })

  it('arguments to async and asyncIterator functions are structured clones too', async () => {
    const got: any[] = []
    const r = await createRuntime({
      customFunctions: {
        takeAsync: { type: 'async', fn: async (v: any) => void got.push(v) },
        takeIter: {
          type: 'asyncIterator',
          fn: async function* (v: any) {
            got.push(v)
            yield 1
          },
        },
      },
    })
    await r.eval(`
      await takeAsync(new Map([['a', new Date(1)]]))
      for await (const _ of takeIter(new Set([new Uint8Array([4])]))) {}
    `)
    expect(got[0]).toBeInstanceOf(Map)
    expect(got[0].get('a')).toBeInstanceOf(Date)
    expect(got[1]).toBeInstanceOf(Set)
    expect([...got[1]][0]).toBeInstanceOf(Uint8Array)
  })
})

describe('sync functions', () => {
  it('return their value synchronously in the isolate', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: { ...customFunctions, add: { type: 'sync', fn: (a: number, b: number) => a + b } },
    })
    await r.eval(`
      const v = add(2, 3)
      report(v)
      report(typeof v)
      report(typeof add)
      report(typeof globalThis.add)
    `)
    expect(calls).toEqual([5, 'number', 'function', 'function'])
  })

  it('a function returning nothing gives undefined', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions: { ...customFunctions, noop: { type: 'sync', fn: () => {} } } })
    await r.eval(`report(noop() === undefined)`)
    expect(calls).toEqual([true])
  })

  it('can be called many times in a loop', async () => {
    let n = 0
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: { ...customFunctions, next: { type: 'sync', fn: () => ++n } },
    })
    await r.eval(`let s = 0; for (let i = 0; i < 2000; i++) s += next(); report(s)`)
    expect(calls).toEqual([(2000 * 2001) / 2])
  })

  it('a host throw surfaces in the isolate with the same name and message', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        boom: {
          type: 'sync',
          fn: () => {
            throw new RangeError('no')
          },
        },
      },
    })
    await r.eval(`
      try { boom(); report('did not throw') }
      catch (e) { report([e instanceof Error, e.name, e.message]) }
    `)
    expect(calls).toEqual([[true, 'RangeError', 'no']])
  })

  it('an uncaught host throw rejects the eval with the same name and message', async () => {
    const r = await createRuntime({
      customFunctions: {
        boom: {
          type: 'sync',
          fn: () => {
            throw new TypeError('host says no')
          },
        },
      },
    })
    await expect(r.eval('boom()')).rejects.toMatchObject({ name: 'TypeError', message: 'host says no' })
  })
})

describe('async functions', () => {
  it('return a Promise in the isolate that resolves to the host result', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        double: {
          type: 'async',
          fn: async (x: number) => {
            await sleep(10)
            return x * 2
          },
        },
        plain: { type: 'async', fn: (x: number) => x + 1 }, // not async on the host: still a Promise inside
      },
    })
    await r.eval(`
      const p = double(21)
      report(p instanceof Promise)
      report(await p)
      const q = plain(1)
      report(q instanceof Promise)
      report(await q)
    `)
    expect(calls).toEqual([true, 42, true, 2])
  })

  it('do not block the isolate while the host works', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        slow: {
          type: 'async',
          fn: async () => {
            await sleep(150)
            return 'slow done'
          },
        },
      },
    })
    await r.eval(`
      let ticks = 0
      const t = setInterval(() => ticks++, 10)
      const v = await slow()
      clearInterval(t)
      report(v)
      report(ticks >= 3)
    `)
    expect(calls).toEqual(['slow done', true])
  })

  it('several calls run concurrently and each resolves to its own result', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        wait: {
          type: 'async',
          fn: async (ms: number, tag: string) => {
            await sleep(ms)
            return tag
          },
        },
      },
    })
    const t0 = Date.now()
    await r.eval(`report(await Promise.all([wait(200, 'a'), wait(100, 'b'), wait(150, 'c')]))`)
    expect(calls).toEqual([['a', 'b', 'c']])
    expect(Date.now() - t0).toBeLessThan(420) // serially it would take 450 ms
  })

  it('a host rejection rejects in the isolate with the same name and message', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        fails: {
          type: 'async',
          fn: async () => {
            await sleep(5)
            throw new RangeError('no')
          },
        },
        throwsAtOnce: {
          type: 'async',
          fn: () => {
            throw new TypeError('at once')
          },
        },
      },
    })
    await r.eval(`
      try { await fails(); report('resolved') } catch (e) { report([e instanceof Error, e.name, e.message]) }
      try { await throwsAtOnce(); report('resolved') } catch (e) { report([e instanceof Error, e.name, e.message]) }
    `)
    expect(calls).toEqual([
      [true, 'RangeError', 'no'],
      [true, 'TypeError', 'at once'],
    ])
  })

  it('an unhandled host rejection rejects the eval', async () => {
    const r = await createRuntime({
      customFunctions: {
        fails: {
          type: 'async',
          fn: async () => {
            throw new SyntaxError('host rejected')
          },
        },
      },
    })
    await expect(r.eval('await fails()')).rejects.toMatchObject({ name: 'SyntaxError', message: 'host rejected' })
  })
})

describe('asyncIterator functions', () => {
  it('drive a host async generator with for await', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        count: {
          type: 'asyncIterator',
          fn: async function* (n: number) {
            for (let i = 0; i < n; i++) {
              await sleep(1)
              yield i
            }
          },
        },
      },
    })
    await r.eval(`
      const out = []
      for await (const v of count(4)) out.push(v)
      report(out)
      const empty = []
      for await (const v of count(0)) empty.push(v)
      report(empty)
    `)
    expect(calls).toEqual([[0, 1, 2, 3], []])
  })

  it('expose the async-iterator protocol (next / done)', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        two: {
          type: 'asyncIterator',
          fn: async function* () {
            yield 'a'
            yield 'b'
          },
        },
      },
    })
    await r.eval(`
      const it = two()
      report(typeof it[Symbol.asyncIterator])
      const r1 = await it.next()
      const r2 = await it.next()
      const r3 = await it.next()
      report([r1.value, r1.done, r2.value, r2.done, r3.value, r3.done])
    `)
    expect(calls).toEqual(['function', ['a', false, 'b', false, undefined, true]])
  })

  it('yield structured-clone values', async () => {
    const r = await createRuntime({
      customFunctions: {
        things: {
          type: 'asyncIterator',
          fn: async function* () {
            yield new Map([['k', 1]])
            yield new Date(42)
            yield new Uint8Array([1, 2])
            yield { nested: [new Set(['s'])] }
          },
        },
      },
    })
    await r.eval(
      CHECK +
        `
      const got = []
      for await (const v of things()) got.push(v)
      check(got.length === 4, 'four items')
      check(got[0] instanceof Map && got[0].get('k') === 1, 'Map')
      check(got[1] instanceof Date && got[1].getTime() === 42, 'Date')
      check(got[2] instanceof Uint8Array && got[2].join() === '1,2', 'Uint8Array')
      check(got[3].nested[0] instanceof Set && got[3].nested[0].has('s'), 'nested Set')
    `,
    )
  })

  it('an early break calls the host generator’s return (its finally runs) and stops pulling', async () => {
    let produced = 0
    let cleanedUp = 0
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        many: {
          type: 'asyncIterator',
          fn: async function* () {
            try {
              for (let i = 0; i < 1000; i++) {
                produced++
                await sleep(1)
                yield i
              }
            } finally {
              cleanedUp++
            }
          },
        },
      },
    })
    await r.eval(`
      for await (const v of many()) { if (v === 1) break }
      report('after break')
    `)
    expect(calls).toEqual(['after break'])
    expect(cleanedUp).toBe(1)
    await sleep(50)
    expect(produced).toBeLessThan(10)

    // A throw out of the loop body also closes the host generator.
    await r.eval(`
      try { for await (const v of many()) { throw new Error('body threw') } } catch (e) { report(e.message) }
    `)
    expect(calls).toEqual(['after break', 'body threw'])
    expect(cleanedUp).toBe(2)
  })

  it('a host generator that throws mid-way rejects the loop with the same name and message', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions: {
        ...customFunctions,
        flaky: {
          type: 'asyncIterator',
          fn: async function* () {
            yield 1
            await sleep(2)
            yield 2
            throw new RangeError('gen broke')
          },
        },
      },
    })
    await r.eval(`
      const got = []
      try {
        for await (const v of flaky()) got.push(v)
        report('completed')
      } catch (e) {
        report([got, e instanceof Error, e.name, e.message])
      }
    `)
    expect(calls).toEqual([[[1, 2], true, 'RangeError', 'gen broke']])
  })

  it('an uncaught generator error rejects the eval', async () => {
    const r = await createRuntime({
      customFunctions: {
        bad: {
          type: 'asyncIterator',
          fn: async function* () {
            yield 1
            throw new TypeError('stream failed')
          },
        },
      },
    })
    await expect(r.eval('for await (const _ of bad()) {}')).rejects.toMatchObject({
      name: 'TypeError',
      message: 'stream failed',
    })
  })
})

describe('customFunctions validation', () => {
  const noop = () => 1

  it('an unknown type rejects createRuntime with a TypeError naming the accepted types', async () => {
    const err = await rejectionOf(() => rawCreateRuntime({ customFunctions: { bad: { type: 'weird', fn: noop } } } as any))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toMatch(/\bsync\b/)
    expect(err.message).toMatch(/\basync\b/)
    expect(err.message).toMatch(/\basyncIterator\b/)
  })

  it.each([
    ['fn missing', { type: 'sync' }],
    ['fn not a function', { type: 'async', fn: 42 }],
    ['type missing', { fn: noop }],
    ['a bare function instead of { type, fn }', noop],
    ['null', null],
  ])('%s → createRuntime rejects with a TypeError', async (_label, def) => {
    const err = await rejectionOf(() => rawCreateRuntime({ customFunctions: { bad: def } } as any))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message.length).toBeGreaterThan(10)
  })
})

// URL, Headers, Blob, File, FormData, Request, Response cross as the other side's own classes;
// host functions, promises and async iterables in results become stand-ins inside.
describe('platform objects', () => {
  /** A runtime whose `take(...args)` records its arguments on the host. */
  async function taker(options: Record<string, any> = {}) {
    const got: any[][] = []
    const r = await createRuntime({ ...options, customFunctions: { ...options.customFunctions, take: { type: 'sync', fn: (...args: any[]) => void got.push(args) } } })
    return { r, got }
  }

  it('URL and Headers: isolate → host as Node\'s own URL and Headers', async () => {
    const { r, got } = await taker()
    await r.eval(`take(new URL('/p?q=1#h', 'https://a.example'), new Headers([['X-A', '1'], ['x-a', '2'], ['Set-Cookie', 'a=b'], ['Set-Cookie', 'c=d']]))`)
    const [u, h] = got[0]
    expect(u).toBeInstanceOf(URL)
    expect(u.href).toBe('https://a.example/p?q=1#h')
    expect(h).toBeInstanceOf(Headers)
    expect(h.get('x-a')).toBe('1, 2')
    expect(h.getSetCookie()).toEqual(['a=b', 'c=d'])
  })

  it('URL and Headers: host → isolate as the isolate\'s URL and Headers, sync and async', async () => {
    const value = () => ({ u: new URL('https://b.example/x?y=2'), h: new Headers({ 'x-b': '3', 'set-cookie': 'k=v' }) })
    const r = await createRuntime({ customFunctions: { give: { type: 'sync', fn: value }, giveLater: { type: 'async', fn: async () => value() } } })
    await r.eval(CHECK + `
      for (const v of [give(), await giveLater()]) {
        check(v.u instanceof URL && v.u.href === 'https://b.example/x?y=2' && v.u.searchParams.get('y') === '2', 'URL')
        check(v.h instanceof Headers && v.h.get('x-b') === '3' && v.h.getSetCookie().join() === 'k=v', 'Headers')
        v.h.append('x-c', '4') // a Headers of its own, not a read-only copy
        check(v.h.get('x-c') === '4', 'mutable')
      }
    `)
  })

  it('Blob, File and FormData: isolate → host with their bytes, type, name and lastModified', async () => {
    const { r, got } = await taker()
    await r.eval(`
      const fd = new FormData()
      fd.append('name', 'Ada')
      fd.append('upload', new Blob([new Uint8Array([1, 2, 3])], { type: 'application/x-bin' }), 'data.bin')
      take(new Blob(['hé', new Uint8Array([0xff])], { type: 'text/plain' }), new File(['file body'], 'notes.txt', { type: 'text/markdown', lastModified: 1234 }), fd)
    `)
    const [b, f, fd] = got[0]
    expect(b).toBeInstanceOf(Blob)
    expect(b.type).toBe('text/plain')
    expect([...new Uint8Array(await b.arrayBuffer())]).toEqual([0x68, 0xc3, 0xa9, 0xff])
    expect(f).toBeInstanceOf(File)
    expect([f.name, f.type, f.lastModified, await f.text()]).toEqual(['notes.txt', 'text/markdown', 1234, 'file body'])
    expect(fd).toBeInstanceOf(FormData)
    expect(fd.get('name')).toBe('Ada')
    const upload = fd.get('upload') as File
    expect(upload).toBeInstanceOf(File)
    expect([upload.name, upload.type, [...new Uint8Array(await upload.arrayBuffer())]]).toEqual(['data.bin', 'application/x-bin', [1, 2, 3]])
  })

  it('Blob, File and FormData: host → isolate, bytes awaited on the host, sync and async', async () => {
    const value = () => {
      const fd = new FormData()
      fd.append('k', 'v')
      fd.append('f', new File(['zz'], 'z.txt', { type: 'text/plain', lastModified: 99 }))
      return { b: new Blob(['blob ', 'text'], { type: 'text/x' }), f: new File([new Uint8Array([9, 8])], 'f.bin', { lastModified: 7 }), fd }
    }
    const r = await createRuntime({ customFunctions: { give: { type: 'sync', fn: value }, giveLater: { type: 'async', fn: async () => value() } } })
    await r.eval(CHECK + `
      for (const v of [give(), await giveLater()]) {
        check(v.b instanceof Blob && v.b.type === 'text/x' && (await v.b.text()) === 'blob text', 'Blob')
        check(v.f instanceof File && v.f.name === 'f.bin' && v.f.lastModified === 7 && (await v.f.bytes()).join() === '9,8', 'File')
        check(v.fd instanceof FormData && v.fd.get('k') === 'v', 'FormData string')
        const f = v.fd.get('f')
        check(f instanceof File && f.name === 'z.txt' && f.lastModified === 99 && (await f.text()) === 'zz', 'FormData file')
      }
    `)
  })

  it('Request and Response: isolate → host as Node\'s own, the body streamed', async () => {
    const seen: any[] = []
    const r = await createRuntime({
      customFunctions: {
        send: {
          type: 'async',
          fn: async (x: Request | Response) => {
            if (x instanceof Request) seen.push(['Request', x.method, x.url, x.headers.get('x-a'), await x.text()])
            else seen.push(['Response', x.status, x.statusText, x.headers.get('content-type'), await x.text()])
          },
        },
      },
    })
    await r.eval(`
      await send(new Request('https://a.example/up', { method: 'POST', headers: { 'x-a': '1' }, body: 'string body' }))
      const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('chunk 1, ')); c.enqueue(new TextEncoder().encode('chunk 2')); c.close() } })
      await send(new Response(stream, { status: 201, statusText: 'Made', headers: { 'content-type': 'text/x' } }))
      await send(new Request('https://a.example/get'))
    `)
    expect(seen).toEqual([
      ['Request', 'POST', 'https://a.example/up', '1', 'string body'],
      ['Response', 201, 'Made', 'text/x', 'chunk 1, chunk 2'],
      ['Request', 'GET', 'https://a.example/get', null, ''],
    ])
  })

  it('Request and Response: host → isolate as the isolate\'s own, the body streamed', async () => {
    const r = await createRuntime({
      customFunctions: {
        give: {
          type: 'async',
          fn: async () => ({
            req: new Request('https://h.example/p', { method: 'PUT', headers: { 'x-h': '1' }, body: 'host request' }),
            res: new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('one ')); c.enqueue(new TextEncoder().encode('two')); c.close() } }), { status: 202, headers: { 'x-r': '2' } }),
            empty: new Response(null, { status: 204 }),
          }),
        },
      },
    })
    await r.eval(CHECK + `
      const { req, res, empty } = await give()
      check(req instanceof Request && req.method === 'PUT' && req.url === 'https://h.example/p' && req.headers.get('x-h') === '1', 'Request head')
      check((await req.text()) === 'host request', 'Request body')
      check(res instanceof Response && res.status === 202 && res.headers.get('x-r') === '2', 'Response head')
      check((await res.text()) === 'one two', 'Response body')
      check(empty.status === 204 && empty.body === null, 'null body')
    `)
  })

  it('a body larger than memoryLimitMB streams through in chunks, both ways', async () => {
    const MB = 1 << 20
    const r = await createRuntime({
      memoryLimitMB: 16,
      customFunctions: {
        // 48 MiB, one 1 MiB chunk per pull: the isolate reads it as it comes.
        download: { type: 'async', fn: async () => { let i = 0; return new Response(new ReadableStream({ pull(c) { if (i++ === 48) c.close(); else c.enqueue(new Uint8Array(MB).fill(i)) } })) } },
        upload: { type: 'async', fn: async (res: Response) => { let total = 0, chunks = 0; for await (const c of res.body as any) { total += c.byteLength; chunks++ } return [total, chunks > 1] } },
      },
    })
    const out = await r.eval(CHECK + `
      const res = await download()
      let total = 0, last = 0
      for await (const c of res.body) { total += c.byteLength; last = c[0] }
      check(total === 48 * ${MB} && last === 48, 'downloaded ' + total)
      let n = 0
      const body = new ReadableStream({ pull(c) { if (n++ === 48) c.close(); else c.enqueue(new Uint8Array(${MB})) } })
      const [sent, chunked] = await upload(new Response(body))
      check(sent === 48 * ${MB} && chunked, 'uploaded ' + sent)
    `)
    expect(out).toBeUndefined()
  })

  it('a host body the isolate drops unread is cancelled on the host once the isolate collects it', async () => {
    let cancelled = 0
    const r = await createRuntime({
      memoryLimitMB: 32,
      customFunctions: {
        give: { type: 'sync', fn: () => new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(16)) }, cancel() { cancelled++ } })) },
      },
    })
    // The streams' start steps run as microtasks: yield once, then make garbage for a GC.
    await r.eval(`
      for (let i = 0; i < 2000; i++) give()
      await new Promise((r) => setTimeout(r, 10))
      let g = []; for (let i = 0; i < 300000; i++) g.push({ i }); g = null
      await new Promise((r) => setTimeout(r, 50))
    `)
    for (let i = 0; i < 50 && cancelled < 2000; i++) await sleep(20)
    expect(cancelled).toBe(2000)
  })

  it('a host function in a result is callable inside: each call a host round trip returning a promise', async () => {
    const calls: any[] = []
    const r = await createRuntime({
      customFunctions: {
        api: {
          type: 'async',
          fn: async () => ({
            add: (a: number, b: number) => { calls.push([a, b]); return a + b },
            later: async (u: URL) => ({ host: u.host, next: (n: number) => n + 1 }),
            fail: () => { throw new RangeError('host says no') },
          }),
        },
      },
    })
    await r.eval(CHECK + `
      const api_ = await api()
      const p = api_.add(2, 3)
      check(p instanceof Promise && (await p) === 5, 'add')
      const nested = await api_.later(new URL('https://n.example/'))
      check(nested.host === 'n.example' && (await nested.next(41)) === 42, 'nested')
      const e = await api_.fail().catch((e) => e)
      check(e instanceof RangeError && e.message === 'host says no', 'typed rejection')
    `)
    expect(calls).toEqual([[2, 3]])
  })

  it('host functions are let go once the isolate drops them: 100,000 calls, sync and async, in an 8 MB runtime', async () => {
    const r = await createRuntime({
      memoryLimitMB: 8,
      customFunctions: {
        make: { type: 'async', fn: async (i: number) => ({ f: (x: number) => x + i }) },
        makeSync: { type: 'sync', fn: (i: number) => (x: number) => x + i },
      },
    })
    // Held at once, they would be refused past memoryLimitMB / 256 B = 32768.
    await r.eval(CHECK + `
      let sum = 0
      for (let i = 0; i < 100000; i++) { const { f } = await make(i); if (i % 10000 === 0) sum += await f(1) }
      for (let i = 0; i < 100000; i++) makeSync(i)
      check(sum === 450010, 'sum ' + sum)
    `)
  }, 60_000)

  it('a promise in a result resolves inside to the host promise\'s value; a rejection keeps its name and message', async () => {
    let rejectLater!: (e: Error) => void
    const r = await createRuntime({
      customFunctions: {
        give: {
          type: 'sync',
          fn: () => ({
            soon: new Promise((resolve) => setTimeout(() => resolve({ n: 1, at: new URL('https://p.example/') }), 20)),
            // Rejected before the isolate looks at it: no unhandled rejection on the host.
            early: Promise.reject(new TypeError('early no')),
            late: new Promise((_, reject) => { rejectLater = reject }),
          }),
        },
      },
    })
    const run = r.eval(CHECK + `
      const v = give()
      check(v.soon instanceof Promise, 'a promise')
      const soon = await v.soon
      check(soon.n === 1 && soon.at instanceof URL, 'value')
      const early = await v.early.catch((e) => e)
      check(early instanceof TypeError && early.message === 'early no', 'early rejection')
      const late = await v.late.catch((e) => e)
      check(late.name === 'SyntaxError' && late.message === 'late no', 'late rejection')
    `)
    await sleep(50)
    rejectLater(new SyntaxError('late no'))
    await run
  })

  it('an async iterator in a result is pulled one next() at a time; break calls the host iterator\'s return()', async () => {
    const log: string[] = []
    const r = await createRuntime({
      customFunctions: {
        feed: {
          type: 'async',
          fn: async () => ({
            items: (async function* () {
              try {
                for (let i = 0; ; i++) {
                  log.push('produce ' + i)
                  yield { i, blob: new Blob([String(i)]) }
                }
              } finally {
                log.push('finally')
              }
            })(),
          }),
        },
      },
    })
    await r.eval(CHECK + `
      const { items } = await feed()
      check(typeof items[Symbol.asyncIterator] === 'function', 'async iterable')
      const first = await items.next()
      check(first.done === false && first.value.i === 0 && (await first.value.blob.text()) === '0', 'first')
      for await (const x of items) { if (x.i === 2) break }
    `)
    expect(log).toEqual(['produce 0', 'produce 1', 'produce 2', 'finally'])
  })

  it('what still cannot cross is a DataCloneError that says so', async () => {
    const r = await createRuntime({ customFunctions: { take: { type: 'sync', fn: () => 1 }, takeAsync: { type: 'async', fn: async () => 1 } } })
    await r.eval(CHECK + `
      const msg = (f) => { try { f(); return 'no error' } catch (e) { return e.name + ': ' + e.message } }
      check(msg(() => take(() => 1)) === 'DataCloneError: a function cannot be cloned', msg(() => take(() => 1)))
      check(msg(() => take(new ReadableStream())) === 'DataCloneError: a ReadableStream cannot be passed to the host on its own; pass new Response(stream) to stream it', 'stream')
      const used = new Response('x'); await used.text()
      check(/^DataCloneError: TypeError: .*(used|read)/i.test(msg(() => take(used))), msg(() => take(used)))
      const e = await takeAsync(Promise.resolve(1)).catch((e) => e)
      check(e.name === 'DataCloneError' && e.message === 'a Promise cannot be cloned; await it first', 'promise argument')
    `)
  })
})
