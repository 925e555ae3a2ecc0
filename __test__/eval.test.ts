// eval(): ES-module semantics, top-level await, serial execution, persistent globals, error reporting.
import { describe, expect, it } from 'vitest'
import { CHECK, errorOf, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

describe('eval basics', () => {
  it('resolves to undefined', async () => {
    const r = await createRuntime()
    await expect(r.eval('1 + 1')).resolves.toBeUndefined()
    await expect(r.eval('export const a = 1; a', 'with-export.js')).resolves.toBeUndefined()
  })

  it('runs the code (side effects are observable)', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval('report(6 * 7)')
    expect(calls).toEqual([42])
  })

  it('supports top-level await and waits for it before resolving', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval(`
      const v = await Promise.resolve(20)
      const w = await new Promise((res) => setTimeout(() => res(22), 20))
      report(v + w)
    `)
    expect(calls).toEqual([42])
  })

  it('runs as an ES module: strict mode, `this` is undefined, import.meta exists', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval(`
      report(this === undefined)
      report(typeof import.meta)
      let threw = 'no'
      try { undeclaredVariable = 1 } catch (e) { threw = e.name }
      report(threw)
    `)
    expect(calls).toEqual([true, 'object', 'ReferenceError'])
  })

  it('accepts a filename as a string or in an options object', async () => {
    const r = await createRuntime()
    await expect(r.eval('globalThis.a = 1', 'a.js')).resolves.toBeUndefined()
    await expect(r.eval('globalThis.b = 2', { filename: 'b.js' })).resolves.toBeUndefined()
    await expect(r.eval('globalThis.c = 3', {})).resolves.toBeUndefined()
  })

  it('evals on one runtime run one after another, in call order', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    // The first eval waits longest; if evals overlapped, the order of 'end' would be reversed.
    const ps = [0, 1, 2, 3].map((i) =>
      r.eval(`
        report('start ${i}')
        await new Promise((res) => setTimeout(res, ${40 - i * 10}))
        report('end ${i}')
      `),
    )
    await Promise.all(ps)
    expect(calls).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3'])
  })

  it("an eval's .then runs before the host calls made by the evals queued after it", async () => {
    // Each eval ends, then the next one calls the host at once: both reach Node's thread close
    // together, and the first eval's promise callbacks must still run first, as for two
    // separate Node callbacks.
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    const n = 200
    const ps = Array.from({ length: n }, (_, i) => r.eval(`report('call ${i}')`).then(() => calls.push(`then ${i}`)))
    await Promise.all(ps)
    expect(calls).toEqual(Array.from({ length: n }, (_, i) => [`call ${i}`, `then ${i}`]).flat())
  })

  it('a failing eval does not stop the evals queued after it', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    const p1 = r.eval(`await null; throw new Error('first fails')`)
    const p2 = r.eval(`report('second ran')`)
    await expect(p1).rejects.toMatchObject({ message: 'first fails' })
    await expect(p2).resolves.toBeUndefined()
    expect(calls).toEqual(['second ran'])
  })

  it('globals set on globalThis persist across evals; module-scope bindings do not leak', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval(`globalThis.x = 1; const y = 2; let z = 3; function f() {}; class K {}`)
    await r.eval(`report([globalThis.x, x, typeof y, typeof z, typeof f, typeof K])`)
    expect(calls).toEqual([[1, 1, 'undefined', 'undefined', 'undefined', 'undefined']])
  })

  it('separate runtimes do not share globals', async () => {
    const { calls, customFunctions } = reporter()
    const a = await createRuntime({ customFunctions })
    const b = await createRuntime({ customFunctions })
    await a.eval('globalThis.shared = "from a"')
    await b.eval('report(typeof globalThis.shared)')
    await a.eval('report(globalThis.shared)')
    expect(calls).toEqual(['undefined', 'from a'])
  })

  it('a busy runtime blocks neither other runtimes nor the Node main thread', async () => {
    const { calls, customFunctions } = reporter()
    const busy = await createRuntime()
    const other = await createRuntime({ customFunctions })
    const t0 = Date.now()
    // A long spin, so that the bounds below hold on a loaded machine too.
    const spinning = busy.eval('const end = Date.now() + 2000; while (Date.now() < end) {}')
    // The Node main thread keeps running its own timers while the isolate spins.
    await new Promise((r) => setTimeout(r, 20))
    expect(Date.now() - t0).toBeLessThan(1000)
    // Another runtime (its isolate made now, on the pool) evaluates while the first is still spinning.
    await other.eval('report("other ran")')
    expect(calls).toEqual(['other ran'])
    expect(Date.now() - t0).toBeLessThan(1500)
    await spinning
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1990)
  })

  it('two runtimes given work at the same moment both start at once, whatever the first one does', async () => {
    // Both evals reach the thread pool within microseconds, while its threads sleep: each needs a
    // worker of its own, or the second waits for the first one's spin (it did, one round in four).
    for (let round = 0; round < 10; round++) {
      const { calls, customFunctions } = reporter()
      const busy = await createRuntime()
      const other = await createRuntime({ customFunctions })
      // Time for the pool's threads to go idle.
      await new Promise((r) => setTimeout(r, 50))
      const t0 = Date.now()
      const spinning = busy.eval('const end = Date.now() + 3000; while (Date.now() < end) {}')
      await other.eval('report("other ran")')
      expect(calls).toEqual(['other ran'])
      expect(Date.now() - t0).toBeLessThan(1500)
      // dispose() ends the spin (and rejects its eval).
      const ended = expect(spinning).rejects.toThrow()
      await busy.dispose()
      await ended
      await other.dispose()
    }
  })

  it('busy runtimes run in parallel (each on its own thread)', async () => {
    const { calls, customFunctions } = reporter()
    const a = await createRuntime({ customFunctions })
    const b = await createRuntime({ customFunctions })
    // Loops that end at a wall-clock deadline, each reporting when it ran: in parallel the two
    // spans overlap almost whole; one after the other they would not overlap at all. (Overlap,
    // not the total time, so that a machine busy with other work cannot fail it.)
    const spin = 'const start = Date.now(); while (Date.now() < start + 300) {} report([start, Date.now()])'
    await Promise.all([a.eval(spin), b.eval(spin)])
    expect(calls).toHaveLength(2)
    const [[s1, e1], [s2, e2]] = calls as [number, number][]
    expect(Math.min(e1, e2) - Math.max(s1, s2)).toBeGreaterThan(150)
  })
})

describe('eval errors', () => {
  it('rejects with name, message and a stack naming filename, line and column', async () => {
    const r = await createRuntime()
    const code = ['// line 1', 'const x = 1', "throw new TypeError('boom')"].join('\n')
    const err = await errorOf(() => r.eval(code, 'main.js'))
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('TypeError')
    expect(err.message).toBe('boom')
    expect(typeof err.stack).toBe('string')
    expect(err.stack).toContain('main.js:3:7')
    expect(err.stack).toContain('boom')
  })

  it('uses the filename from the options object too', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval("\n\n\n  throw new RangeError('opt')", { filename: 'opts/file.js' }))
    expect(err.name).toBe('RangeError')
    expect(err.message).toBe('opt')
    expect(err.stack).toContain('opts/file.js:4:9')
  })

  it('the stack names the functions the error went through', async () => {
    const r = await createRuntime()
    const code = [
      'function inner() {',
      "  throw new Error('deep')",
      '}',
      'function outer() { inner() }',
      'outer()',
    ].join('\n')
    const err = await errorOf(() => r.eval(code, 'calls.js'))
    expect(err.message).toBe('deep')
    expect(err.stack).toMatch(/inner[^\n]*calls\.js:2:9/)
    expect(err.stack).toMatch(/outer[^\n]*calls\.js:4:20/)
  })

  it('custom error classes keep their name', async () => {
    const r = await createRuntime()
    const err = await errorOf(() =>
      r.eval(
        `class ValidationError extends Error {
           constructor(m) { super(m); this.name = 'ValidationError' }
         }
         throw new ValidationError('bad input')`,
        'custom.js',
      ),
    )
    expect(err.name).toBe('ValidationError')
    expect(err.message).toBe('bad input')
    expect(err.stack).toContain('custom.js:4:')
  })

  it('thrown non-Errors reject with something naming the value', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('throw 42'))
    expect(err).toBeDefined()
    expect(String(err?.message)).toContain('42')

    const err2 = await errorOf(() => r.eval("throw 'a plain string'"))
    expect(String(err2?.message)).toContain('a plain string')
  })

  it('syntax errors reject with SyntaxError naming the filename and line', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('const a = 1\nconst = 2\n', 'bad.js'))
    expect(err.name).toBe('SyntaxError')
    expect(`${err.message}\n${err.stack}`).toContain('bad.js:2')
  })

  it('a syntax error leaves the runtime usable', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await expect(r.eval('(((', 'broken.js')).rejects.toMatchObject({ name: 'SyntaxError' })
    await r.eval('report("still fine")')
    expect(calls).toEqual(['still fine'])
  })

  it('a runtime error leaves the runtime and its globals usable', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval('globalThis.kept = "yes"')
    await expect(r.eval('null.x')).rejects.toMatchObject({ name: 'TypeError' })
    await r.eval('report(kept)')
    expect(calls).toEqual(['yes'])
  })

  it('a rejected top-level await rejects the eval', async () => {
    const r = await createRuntime()
    await expect(r.eval("await Promise.reject(new Error('later'))")).rejects.toMatchObject({
      name: 'Error',
      message: 'later',
    })
    const err = await errorOf(() =>
      r.eval(
        "await new Promise((_, reject) => setTimeout(() => reject(new RangeError('after a timer')), 20))",
        'tla.js',
      ),
    )
    expect(err.name).toBe('RangeError')
    expect(err.message).toBe('after a timer')
    expect(err.stack).toContain('tla.js:1:')
  })

  it('an error thrown after an await carries its own position', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval("await null\n\nthrow new SyntaxError('not really')", 'after-await.js'))
    // An error created at runtime keeps its own class name; here that name happens to be SyntaxError.
    expect(err.name).toBe('SyntaxError')
    expect(err.message).toBe('not really')
    expect(err.stack).toContain('after-await.js:3:7')
  })

  it('errors from isolate code can be caught inside the isolate and do not reject', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval(CHECK + `
      try { JSON.parse('{') } catch (e) { report(e instanceof SyntaxError) }
    `)
    expect(calls).toEqual([true])
  })
})
