// Globals inside the isolate: timers, microtasks, structuredClone, atob/btoa, performance, self;
// and that nothing of the host (Node) is reachable from isolate code.
import { describe, expect, it } from 'vitest'
import { CHECK, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function withReport(code: string, extra: Record<string, any> = {}) {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({ customFunctions: { ...customFunctions, ...extra } })
  await r.eval(CHECK + code)
  return calls
}

describe('timers', () => {
  it('setTimeout waits real time', async () => {
    const t0 = Date.now()
    const calls = await withReport(`
      const start = Date.now()
      const p0 = performance.now()
      await new Promise((r) => setTimeout(r, 50))
      report(Date.now() - start)
      report(performance.now() - p0)
    `)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45)
    expect(calls[0]).toBeGreaterThanOrEqual(45)
    expect(calls[1]).toBeGreaterThanOrEqual(45)
    expect(calls[0]).toBeLessThan(2000)
  })

  it('timers fire in order of their deadlines', async () => {
    const calls = await withReport(`
      const order = []
      await new Promise((done) => {
        setTimeout(() => order.push(30), 30)
        setTimeout(() => order.push(10), 10)
        setTimeout(() => order.push(0), 0)
        setTimeout(() => order.push('0b'), 0)
        setTimeout(() => { order.push(50); done() }, 50)
      })
      report(order)
    `)
    expect(calls).toEqual([[0, '0b', 10, 30, 50]])
  })

  it('setTimeout passes extra arguments to the callback', async () => {
    const calls = await withReport(`
      await new Promise((done) => setTimeout((a, b, c) => { report([a, b, c]); done() }, 5, 'x', 2, { k: 'v' }))
    `)
    expect(calls).toEqual([['x', 2, { k: 'v' }]])
  })

  it('setInterval repeats with its arguments until clearInterval', async () => {
    const calls = await withReport(`
      let n = 0
      await new Promise((done) => {
        const id = setInterval((step) => {
          n += step
          if (n === 3) { clearInterval(id); done() }
        }, 5, 1)
      })
      await new Promise((r) => setTimeout(r, 40))
      report(n)
    `)
    expect(calls).toEqual([3])
  })

  it('clearTimeout cancels a pending timer; clearing unknown ids is harmless', async () => {
    const calls = await withReport(`
      const id = setTimeout(() => report('should not fire'), 10)
      clearTimeout(id)
      clearTimeout(undefined)
      clearTimeout(123456)
      clearInterval(null)
      const id2 = setInterval(() => report('interval should not fire'), 10)
      clearTimeout(id2) // ids are shared between setTimeout and setInterval, as in browsers
      await new Promise((r) => setTimeout(r, 60))
      report('end')
    `)
    expect(calls).toEqual(['end'])
  })

  it('timer ids are distinct', async () => {
    const calls = await withReport(`
      const ids = [setTimeout(() => {}, 1), setTimeout(() => {}, 1), setInterval(() => {}, 1000)]
      clearInterval(ids[2])
      report(new Set(ids).size)
    `)
    expect(calls).toEqual([3])
  })

  it('a timer can be cleared from a later eval', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval(`globalThis.t = setTimeout(() => report('fired'), 60)`)
    await r.eval(`clearTimeout(globalThis.t)`)
    await r.eval(`await new Promise((res) => setTimeout(res, 100)); report('done')`)
    expect(calls).toEqual(['done'])
  })

  it('a timer set in one eval fires after that eval resolved', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval(`setTimeout(() => report('late timer'), 20)`)
    expect(calls).toEqual([])
    await r.eval(`await new Promise((res) => setTimeout(res, 80))`)
    expect(calls).toEqual(['late timer'])
  })
})

describe('microtasks', () => {
  it('queueMicrotask interleaves with promise jobs in FIFO order, before timers', async () => {
    const calls = await withReport(`
      const log = []
      setTimeout(() => log.push('timeout'), 0)
      Promise.resolve().then(() => log.push('p1'))
      queueMicrotask(() => log.push('m1'))
      Promise.resolve().then(() => log.push('p2'))
      queueMicrotask(() => { log.push('m2'); queueMicrotask(() => log.push('m3')) })
      log.push('sync')
      await new Promise((r) => setTimeout(r, 10))
      report(log)
    `)
    expect(calls).toEqual([['sync', 'p1', 'm1', 'p2', 'm2', 'm3', 'timeout']])
  })

  it('microtasks queued in a timer callback run before the next timer', async () => {
    const calls = await withReport(`
      const log = []
      setTimeout(() => { log.push('t1'); queueMicrotask(() => log.push('m after t1')) }, 0)
      setTimeout(() => log.push('t2'), 0)
      await new Promise((r) => setTimeout(r, 20))
      report(log)
    `)
    expect(calls).toEqual([['t1', 'm after t1', 't2']])
  })

  it('an exception in a timer callback is reported as an error event, then logged as uncaught; later timers still run', async () => {
    const entries: any[] = []
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions, console: { onEntry: (e: any) => entries.push(e) } })
    await r.eval(`
      const seen = []
      addEventListener('error', (e) => { seen.push(e.message); if (e.error.message === 'handled') e.preventDefault() })
      setTimeout(() => { throw new Error('handled') }, 0)
      setTimeout(() => { throw new TypeError('loud') }, 0)
      await new Promise((r) => setTimeout(r, 20))
      report(seen)
    `)
    expect(calls).toEqual([['Uncaught Error: handled', 'Uncaught TypeError: loud']])
    const errors = entries.filter((e) => e.level === 'error').map((e) => e.stdout)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^Uncaught TypeError: loud\n\s+at /)
  })

  it('a rejection nobody handles is logged as "Uncaught (in promise)"; handled ones and failed evals are not', async () => {
    const entries: any[] = []
    const modules: Record<string, string> = {
      throws: "throw new RangeError('at load')",
      awaits: "await null; throw new TypeError('after await')",
    }
    const r = await createRuntime({
      console: { onEntry: (e: any) => entries.push(e) },
      moduleLoader: (specifier: string) => ({ code: modules[specifier], filename: `/${specifier}.js` }),
    })
    await r.eval(`
      Promise.reject(new Error('lost'))
      Promise.reject(42)
      Promise.reject(new Error('handled')).catch(() => {})
      const late = Promise.reject(new Error('handled in the same task'))
      await null
      late.catch(() => {})
      try { await import('throws') } catch {}
    `)
    await expect(r.eval('await Promise.reject(new Error("the eval itself"))')).rejects.toThrow('the eval itself')
    await expect(r.eval("import 'throws'")).rejects.toThrow('at load')
    await expect(r.eval("import 'awaits'")).rejects.toThrow('after await')
    await r.eval('await new Promise((resolve) => setTimeout(resolve, 10))')
    const errors = entries.filter((e) => e.level === 'error').map((e) => e.stdout)
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatch(/^Uncaught \(in promise\) Error: lost\n\s+at /)
    expect(errors[1]).toBe('Uncaught (in promise) 42')
  })

  it('queueMicrotask requires a function', async () => {
    const calls = await withReport(`
      try { queueMicrotask(42); report('no throw') } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual(['TypeError'])
  })
})

describe('structuredClone', () => {
  it('clones Maps, Dates, nested values and cycles', async () => {
    const calls = await withReport(`
      const o = { m: new Map([[1, { d: new Date(5) }]]), s: new Set([1]), list: [1, [2]] }
      o.self = o
      const c = structuredClone(o)
      check(c !== o, 'new object')
      check(c.self === c, 'cycle preserved')
      check(c.m instanceof Map && c.m !== o.m, 'Map cloned')
      check(c.m.get(1).d instanceof Date && c.m.get(1).d.getTime() === 5, 'Date cloned')
      check(c.m.get(1) !== o.m.get(1), 'deep')
      check(c.s instanceof Set && c.s.has(1), 'Set cloned')
      check(c.list[1][0] === 2 && c.list[1] !== o.list[1], 'arrays cloned')
      const bytes = new Uint8Array([1, 2, 3])
      const bc = structuredClone(bytes)
      check(bc instanceof Uint8Array && bc.join() === '1,2,3' && bc.buffer !== bytes.buffer, 'typed array')
      report('ok')
    `)
    expect(calls).toEqual(['ok'])
  })

  it('throws DataCloneError for functions and symbols', async () => {
    const calls = await withReport(`
      try { structuredClone(() => 1); report('no throw') } catch (e) { report(e.name) }
      try { structuredClone({ f() {} }); report('no throw') } catch (e) { report(e.name) }
      try { structuredClone(Symbol('s')); report('no throw') } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual(['DataCloneError', 'DataCloneError', 'DataCloneError'])
  })
})

// https://html.spec.whatwg.org/multipage/workers.html#dedicatedworkerglobalscope
describe('the global is a DedicatedWorkerGlobalScope', () => {
  it('has the interfaces of a dedicated worker in its prototype chain', async () => {
    const calls = await withReport(`
      const name = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      report([
        self instanceof DedicatedWorkerGlobalScope, self instanceof WorkerGlobalScope, self instanceof EventTarget,
        Object.getPrototypeOf(globalThis) === DedicatedWorkerGlobalScope.prototype,
        Object.getPrototypeOf(DedicatedWorkerGlobalScope.prototype) === WorkerGlobalScope.prototype,
        Object.prototype.toString.call(self),
        name(() => new WorkerGlobalScope()), name(() => new DedicatedWorkerGlobalScope()),
      ])
    `)
    expect(calls).toEqual([[true, true, true, true, true, '[object DedicatedWorkerGlobalScope]', 'TypeError', 'TypeError']])
  })

  it('postMessage() clones and transfers, then drops the message: the runtime has no owner', async () => {
    const calls = await withReport(`
      const name = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      const buf = new ArrayBuffer(8)
      let heard = 0
      self.onmessage = () => heard++
      postMessage({ buf }, [buf])
      await new Promise((r) => setTimeout(r, 10))
      report([buf.byteLength, heard, name(() => postMessage(() => {})), name(() => postMessage()), name(() => DedicatedWorkerGlobalScope.prototype.postMessage.call({}, 1))])
    `)
    expect(calls).toEqual([[0, 0, 'DataCloneError', 'TypeError', 'TypeError']])
  })
})

describe('atob / btoa', () => {
  it('encode and decode base64', async () => {
    const calls = await withReport(`
      report(btoa('hello'))
      report(atob('aGVsbG8='))
      report(btoa(''))
      report(atob(btoa('\\x00\\x01\\xfe\\xff')) === '\\x00\\x01\\xfe\\xff')
      report(atob('aGVsbG8'))
    `)
    expect(calls).toEqual(['aGVsbG8=', 'hello', '', true, 'hello'])
  })

  it('throw InvalidCharacterError for bad input', async () => {
    const calls = await withReport(`
      for (const f of [() => btoa('\\u0100'), () => btoa('☃'), () => atob('@@@@'), () => atob('a'), () => atob('aGVsbG8=x')]) {
        try { f(); report('no throw') } catch (e) { report(e.name) }
      }
    `)
    expect(calls).toEqual(Array(5).fill('InvalidCharacterError'))
  })
})

describe('performance, self, globalThis', () => {
  it('performance.now() is a number that increases', async () => {
    const calls = await withReport(`
      const a = performance.now()
      const until = Date.now() + 5
      while (Date.now() < until) {}
      const b = performance.now()
      await new Promise((r) => setTimeout(r, 20))
      const c = performance.now()
      report([typeof a, a >= 0, b > a, c - b >= 15])
    `)
    expect(calls).toEqual([['number', true, true, true]])
  })

  it('globalThis === self', async () => {
    const calls = await withReport(`report(globalThis === self); report(typeof self)`)
    expect(calls).toEqual([true, 'object'])
  })
})

describe('host isolation', () => {
  it('Node globals are not visible', async () => {
    const calls = await withReport(`
      report([typeof require, typeof process, typeof Buffer, typeof module, typeof __dirname, typeof __filename, typeof exports])
    `)
    expect(calls).toEqual([Array(7).fill('undefined')])
  })

  it("V8's gc() is out of reach (the runtime runs its own young-generation GCs with it)", async () => {
    const calls = await withReport(`
      const before = [typeof gc, typeof globalThis.gc, typeof Function('return this')().gc]
      let called = 'no'
      try { gc() } catch (e) { called = e.constructor.name }
      // A script may still define its own gc global.
      globalThis.gc = () => 'mine'
      report([...before, called, gc()])
    `)
    expect(calls).toEqual([['undefined', 'undefined', 'undefined', 'TypeError', 'mine']])
  })

  it('errors thrown by host functions do not lead back to the host realm', async () => {
    const calls = await withReport(
      `
      const results = []
      try { hostThrows() } catch (err) {
        results.push(err.constructor.constructor('return typeof process')())
        results.push(err.constructor.constructor === Function)
        let p = err
        while (p) {
          results.push(p.constructor ? p.constructor.constructor('return typeof require + typeof process')() : 'no ctor')
          p = Object.getPrototypeOf(p)
        }
        results.push(Object.getPrototypeOf(Object.getPrototypeOf(err)) === Error.prototype || Object.getPrototypeOf(err) === Error.prototype)
      }
      try { await hostRejects() } catch (err) {
        results.push(err.constructor.constructor('return typeof process')())
      }
      report(results)
    `,
      {
        hostThrows: {
          type: 'sync',
          fn: () => {
            throw new RangeError('host')
          },
        },
        hostRejects: {
          type: 'async',
          fn: async () => {
            throw new TypeError('host async')
          },
        },
      },
    )
    const results = calls[0]
    expect(results[0]).toBe('undefined')
    expect(results[1]).toBe(true)
    const chain = results.slice(2, -2)
    expect(chain.length).toBeGreaterThanOrEqual(3) // err, RangeError.prototype/Error.prototype, Object.prototype
    for (const c of chain) expect(c).toBe('undefinedundefined')
    expect(results.at(-2)).toBe(true)
    expect(results.at(-1)).toBe('undefined')
  })

  it('values, functions and iterators from the host do not lead back to the host realm', async () => {
    const calls = await withReport(
      `
      // Climb x.constructor.constructor... to the realm's Function constructor (for an async generator
      // object the first .constructor is an object, the next AsyncGeneratorFunction, then Function),
      // and use it to ask for \`process\`. A host object would lead to the host's Function.
      const probe = (x) => {
        let F = x.constructor
        for (let i = 0; i < 5 && F !== F.constructor; i++) F = F.constructor
        return F === Function ? F('return typeof process')() : 'a foreign Function: ' + F('return typeof process')()
      }
      const v = give()
      const it = gen()
      report([
        probe(give),
        probe(v),
        probe(v.date),
        probe(v.map),
        probe(v.bytes),
        probe(v.err),
        probe(it),
        probe(await it.next()),
        probe(ask()),
        Object.getPrototypeOf(v) === Object.prototype,
        v.map instanceof Map,
      ])
    `,
      {
        give: {
          type: 'sync',
          fn: () => ({ date: new Date(), map: new Map(), bytes: new Uint8Array(2), err: new Error('e') }),
        },
        gen: {
          type: 'asyncIterator',
          fn: async function* () {
            yield {}
          },
        },
        ask: { type: 'async', fn: async () => ({}) },
      },
    )
    expect(calls).toEqual([[...Array(9).fill('undefined'), true, true]])
  })

  it('eval and Function work inside the isolate but only see isolate globals', async () => {
    const calls = await withReport(`
      report(new Function('return typeof process')())
      report((0, eval)('typeof require'))
      report(new Function('return this')() === globalThis)
    `)
    expect(calls).toEqual(['undefined', 'undefined', true])
  })
})
