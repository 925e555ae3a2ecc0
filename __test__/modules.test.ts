// import: static and dynamic imports resolved through moduleLoader, caching, async loaders, loader errors.
import { describe, expect, it } from 'vitest'
import { RuntimeDisposedError } from '../index.js'
import { errorOf, reporter, sleep, useRuntimes } from './helpers'

const make = useRuntimes()
// A hang in module loading fails the test after 5 s with a TimeoutError instead of at the test timeout.
const createRuntime = (options: Parameters<typeof make>[0] = {}) => make({ executionTimeout: 5000, ...options })

type Loaded = { code: string; filename: string }

/** A moduleLoader over a fixed table keyed by specifier; records every call as [specifier, importer.path]. */
function tableLoader(table: Record<string, Loaded>) {
  const calls: Array<[string, string]> = []
  const moduleLoader = (specifier: string, importer: { path: string }) => {
    calls.push([specifier, importer.path])
    const m = table[specifier]
    if (!m) throw new Error(`no module ${specifier}`)
    return m
  }
  return { calls, moduleLoader }
}

describe('static imports', () => {
  it('resolves a static import through moduleLoader(specifier, { path: importer })', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { calls, moduleLoader } = tableLoader({
      './greet.js': { code: 'export const greet = (n) => `hello ${n}`; export default 7', filename: '/lib/greet.js' },
    })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import seven, { greet } from './greet.js'\nreport(greet('world')); report(seven)`, 'main.js')
    expect(reported).toEqual(['hello world', 7])
    // importer.path is absolute and normalized, as in @ricsam/isolate-runtime: eval 'main.js' is '/main.js'.
    expect(calls).toEqual([['./greet.js', '/main.js']])
  })

  it('resolves nested imports with the importing module’s filename as importer', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { calls, moduleLoader } = tableLoader({
      './a.js': { code: "import { b } from './b.js'\nexport const a = 'A' + b", filename: '/mods/a.js' },
      './b.js': { code: "import { c } from 'pkg-c'\nexport const b = 'B' + c", filename: '/mods/b.js' },
      'pkg-c': { code: "export const c = 'C'", filename: '/node_modules/pkg-c/index.js' },
    })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import { a } from './a.js'\nreport(a)`, 'entry.js')
    expect(reported).toEqual(['ABC'])
    expect(calls).toEqual([
      ['./a.js', '/entry.js'],
      ['./b.js', '/mods/a.js'],
      ['pkg-c', '/mods/b.js'],
    ])
  })

  it('evaluates imported modules before the importer, in import order', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { moduleLoader } = tableLoader({
      one: { code: "report('one')", filename: '/one.js' },
      two: { code: "import 'three'\nreport('two')", filename: '/two.js' },
      three: { code: "report('three')", filename: '/three.js' },
    })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import 'one'\nimport 'two'\nreport('main')`, 'main.js')
    expect(reported).toEqual(['one', 'three', 'two', 'main'])
  })

  it('supports top-level await inside an imported module', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { moduleLoader } = tableLoader({
      slow: {
        code: 'export const v = await new Promise((r) => setTimeout(() => r(99), 20))',
        filename: '/slow.js',
      },
    })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import { v } from 'slow'\nreport(v)`, 'main.js')
    expect(reported).toEqual([99])
  })

  it('loads each module once per runtime, across evals, and shares its state', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { calls, moduleLoader } = tableLoader({
      counter: {
        code: "report('counter evaluated')\nlet n = 0\nexport function inc() { return ++n }",
        filename: '/counter.js',
      },
    })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import { inc } from 'counter'\nreport(inc())`, 'main.js')
    await r.eval(`import { inc } from 'counter'\nreport(inc())`, 'main.js')
    await r.eval(`const { inc } = await import('counter')\nreport(inc())`, 'main.js')
    expect(reported).toEqual(['counter evaluated', 1, 2, 3])
    expect(calls.filter(([s]) => s === 'counter')).toHaveLength(1)
  })

  it('a module imported from two modules is evaluated once (diamond)', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { moduleLoader } = tableLoader({
      left: { code: "import { id } from 'shared'\nexport const l = id", filename: '/left.js' },
      right: { code: "import { id } from 'shared'\nexport const r = id", filename: '/right.js' },
      shared: { code: "report('shared evaluated')\nexport const id = {}", filename: '/shared.js' },
    })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import { l } from 'left'\nimport { r } from 'right'\nreport(l === r)`, 'main.js')
    expect(reported).toEqual(['shared evaluated', true])
  })

  it('separate runtimes load modules separately', async () => {
    const { calls, moduleLoader } = tableLoader({ m: { code: 'export default 1', filename: '/m.js' } })
    const a = await createRuntime({ moduleLoader })
    const b = await createRuntime({ moduleLoader })
    await a.eval("import 'm'", 'main.js')
    await b.eval("import 'm'", 'main.js')
    expect(calls).toHaveLength(2)
  })

  it('accepts an async loader (returns a Promise)', async () => {
    const { calls: reported, customFunctions } = reporter()
    const seen: string[] = []
    const moduleLoader = async (specifier: string, importer: { path: string }) => {
      seen.push(`${specifier} <- ${importer.path}`)
      await sleep(10)
      if (specifier === 'outer') return { code: "export { inner as value } from 'inner'", filename: '/outer.js' }
      return { code: "export const inner = 'async ok'", filename: '/inner.js' }
    }
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import { value } from 'outer'\nreport(value)`, 'main.js')
    expect(reported).toEqual(['async ok'])
    expect(seen).toEqual(['outer <- /main.js', 'inner <- /outer.js'])
  })

  it('a loader that throws rejects the eval with that message', async () => {
    const r = await createRuntime({
      moduleLoader: (specifier: string) => {
        throw new Error(`nope: ${specifier}`)
      },
    })
    const err = await errorOf(() => r.eval("import './missing.js'", 'main.js'))
    expect(err.message).toContain('nope: ./missing.js')
  })

  it('a loader whose promise rejects rejects the eval with that message', async () => {
    const r = await createRuntime({
      moduleLoader: async (specifier: string) => {
        await sleep(5)
        throw new Error(`async nope: ${specifier}`)
      },
    })
    const err = await errorOf(() => r.eval("import 'x'", 'main.js'))
    expect(err.message).toContain('async nope: x')
  })

  it('after a failed load the runtime stays usable for other modules', async () => {
    const { calls: reported, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions,
      moduleLoader: (specifier: string) => {
        if (specifier === 'bad') throw new Error('temporarily unavailable')
        return { code: 'export default "good module"', filename: '/good.js' }
      },
    })
    await expect(r.eval("import v from 'bad'\nreport(v)", 'main.js')).rejects.toMatchObject({
      message: expect.stringContaining('temporarily unavailable'),
    })
    await r.eval("import v from 'good'\nreport(v)", 'main.js')
    expect(reported).toEqual(['good module'])
  })

  it('without a moduleLoader, an import rejects with an error that mentions moduleLoader', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval("import { x } from './x.js'", 'main.js'))
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toMatch(/moduleLoader/)
    const err2 = await errorOf(() => r.eval("await import('./y.js')", 'main.js'))
    expect(err2.message).toMatch(/moduleLoader/)
  })

  it("without a moduleLoader, the message starts with @ricsam/isolate-runtime's 'No module loader registered' and keeps the advice", async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval("import { x } from './x.js'", 'src/main.js'))
    expect(err.message).toBe("No module loader registered. Cannot import './x.js' from '/src/main.js': pass a moduleLoader option to createRuntime()")
    const err2 = await errorOf(() => r.eval("await import('pkg')", 'main.js'))
    expect(err2.message).toContain('No module loader registered')
  })

  it('a syntax error in a loaded module names the module’s filename', async () => {
    const { moduleLoader } = tableLoader({
      broken: { code: 'export const ok = 1\nexport const = 2', filename: '/mods/broken.js' },
    })
    const r = await createRuntime({ moduleLoader })
    const err = await errorOf(() => r.eval("import 'broken'", 'main.js'))
    expect(err.name).toBe('SyntaxError')
    expect(`${err.message}\n${err.stack}`).toContain('/mods/broken.js:2')
  })

  it('a runtime error in a loaded module has that module’s filename and line in its stack', async () => {
    const { moduleLoader } = tableLoader({
      thrower: { code: "const a = 1\nthrow new TypeError('module threw')", filename: '/mods/thrower.js' },
    })
    const r = await createRuntime({ moduleLoader })
    const err = await errorOf(() => r.eval("import 'thrower'", 'main.js'))
    expect(err.name).toBe('TypeError')
    expect(err.message).toBe('module threw')
    expect(err.stack).toContain('/mods/thrower.js:2:7')
  })

  it('a missing export is a SyntaxError', async () => {
    const { moduleLoader } = tableLoader({ m: { code: 'export const a = 1', filename: '/m.js' } })
    const r = await createRuntime({ moduleLoader })
    await expect(r.eval("import { nope } from 'm'", 'main.js')).rejects.toMatchObject({ name: 'SyntaxError' })
  })
})

describe('dynamic import()', () => {
  it('resolves through moduleLoader with the importer’s filename', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { calls, moduleLoader } = tableLoader({
      './dyn.js': { code: "export const value = 'dynamic'\nexport default 5", filename: '/dyn/dyn.js' },
      './nested.js': { code: "export const n = 'nested dynamic'", filename: '/dyn/nested.js' },
      './lazy-importer.js': {
        code: "export async function load() { return (await import('./nested.js')).n }",
        filename: '/dyn/lazy-importer.js',
      },
    })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(
      `const m = await import('./dyn.js')
       report(m.value); report(m.default)
       const li = await import('./lazy-importer.js')
       report(await li.load())`,
      'dynamic-main.js',
    )
    expect(reported).toEqual(['dynamic', 5, 'nested dynamic'])
    expect(calls).toEqual([
      ['./dyn.js', '/dynamic-main.js'],
      ['./lazy-importer.js', '/dynamic-main.js'],
      ['./nested.js', '/dyn/lazy-importer.js'],
    ])
  })

  it('works from inside a timer callback', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { moduleLoader } = tableLoader({ later: { code: 'export default "later"', filename: '/later.js' } })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(
      `await new Promise((res, rej) => setTimeout(() => import('later').then((m) => { report(m.default); res() }, rej), 5))`,
      'main.js',
    )
    expect(reported).toEqual(['later'])
  })

  it('a failing dynamic import can be caught inside the isolate', async () => {
    const { calls: reported, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions,
      moduleLoader: (s: string) => {
        throw new Error(`cannot load ${s}`)
      },
    })
    await r.eval(
      `try { await import('ghost') ; report('no error') } catch (e) { report(e instanceof Error); report(e.message) }`,
      'main.js',
    )
    expect(reported[0]).toBe(true)
    expect(reported[1]).toContain('cannot load ghost')
  })

  it('the same module instance is returned by static and dynamic import', async () => {
    const { calls: reported, customFunctions } = reporter()
    const { calls, moduleLoader } = tableLoader({ obj: { code: 'export const o = {}', filename: '/obj.js' } })
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import { o } from 'obj'\nconst m = await import('obj')\nreport(m.o === o)`, 'main.js')
    expect(reported).toEqual([true])
    expect(calls).toHaveLength(1)
  })
})

describe('importer and resolveDir (@ricsam/isolate-runtime shapes)', () => {
  it('the loader gets importer.path absolute and normalized, and importer.resolveDir its directory', async () => {
    const seen: Array<[string, { path: string; resolveDir: string }]> = []
    const moduleLoader = (specifier: string, importer: { path: string; resolveDir: string }) => {
      seen.push([specifier, { ...importer }])
      if (specifier === './lib/a.js') return { code: "import './b.js'", filename: '/app/lib/a.js' }
      return { code: 'export default 1', filename: '/app/lib/b.js' }
    }
    const r = await createRuntime({ moduleLoader })
    await r.eval(`import './lib/a.js'`, 'app/./x/../entry.js')
    expect(seen).toEqual([
      ['./lib/a.js', { path: '/app/entry.js', resolveDir: '/app' }],
      ['./b.js', { path: '/app/lib/a.js', resolveDir: '/app/lib' }],
    ])
  })

  it('an eval named entry.js imports with importer { path: "/entry.js", resolveDir: "/" }', async () => {
    const seen: unknown[] = []
    const r = await createRuntime({
      moduleLoader: (s: string, importer: unknown) => (seen.push(importer), { code: 'export default 1', filename: '/m.js' }),
    })
    await r.eval(`import 'm'`, 'entry.js')
    expect(seen).toEqual([{ path: '/entry.js', resolveDir: '/' }])
  })

  it('a loader may return { code, resolveDir }: the module is named <resolveDir>/<basename of the specifier> and its relative imports resolve there', async () => {
    const { calls: reported, customFunctions } = reporter()
    const seen: Array<[string, string, string]> = []
    const moduleLoader = (specifier: string, importer: { path: string; resolveDir: string }) => {
      seen.push([specifier, importer.path, importer.resolveDir])
      if (specifier === './utils/math.js') return { code: "export { two } from './two.js'", resolveDir: '/src/utils' }
      if (specifier === './two.js') return { code: 'export const two = 2', resolveDir: importer.resolveDir }
      throw new Error('unexpected ' + specifier)
    }
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import { two } from './utils/math.js'\nreport(two)`, 'main.js')
    expect(reported).toEqual([2])
    expect(seen).toEqual([
      ['./utils/math.js', '/main.js', '/'],
      ['./two.js', '/src/utils/math.js', '/src/utils'],
    ])
  })

  it('a loader may return { code, filename, resolveDir } with a bare filename: the module is <resolveDir>/<filename>', async () => {
    const { calls: reported, customFunctions } = reporter()
    const seen: Array<[string, string, string]> = []
    const moduleLoader = (specifier: string, importer: { path: string; resolveDir: string }) => {
      seen.push([specifier, importer.path, importer.resolveDir])
      if (specifier === '@/a') return { code: "import { b } from '@/b'\nexport const a = b + 1", filename: 'moduleA', resolveDir: '/modules' }
      if (specifier === '@/b') return { code: "export const b = 10\nexport function boom() { throw new Error('boom') }", filename: 'b.js', resolveDir: 'lib/./x/' }
      throw new Error('unexpected ' + specifier)
    }
    const r = await createRuntime({ customFunctions, moduleLoader })
    await r.eval(`import { a } from '@/a'\nreport(a)`, 'main.js')
    expect(reported).toEqual([11])
    expect(seen).toEqual([
      ['@/a', '/main.js', '/'],
      ['@/b', '/modules/moduleA', '/modules'],
    ])
    const err = await errorOf(() => r.eval(`import { boom } from '@/b'\nboom()`, 'other.js'))
    expect(err.stack).toContain('/lib/x/b.js:2')
  })

  it('a module returned with { code, resolveDir } has that path in its stack traces', async () => {
    const r = await createRuntime({
      moduleLoader: () => ({ code: "export function boom() { throw new Error('boom') }", resolveDir: '/pkg/lib' }),
    })
    const err = await errorOf(() => r.eval(`import { boom } from './x/thrower.js'\nboom()`, 'main.js'))
    expect(err.stack).toContain('/pkg/lib/thrower.js:1')
  })

  it('without filename or resolveDir, a relative specifier resolves against the importer’s directory: same file, one module', async () => {
    const { calls: reported, customFunctions } = reporter()
    let loads = 0
    const moduleLoader = (specifier: string) => {
      if (specifier === './dir/a.js') return { code: "import { n } from '../shared.js'\nexport const a = n", filename: '/dir/a.js' }
      loads++
      return { code: "report('shared evaluated')\nexport const n = {}" }
    }
    const r = await createRuntime({ customFunctions, moduleLoader })
    // '/shared.js' reached as './shared.js' from /main.js and as '../shared.js' from /dir/a.js.
    await r.eval(`import { a } from './dir/a.js'\nimport { n } from './shared.js'\nreport(a === n)`, 'main.js')
    expect(reported).toEqual(['shared evaluated', true])
    expect(loads).toBe(2) // called once per importer and specifier, compiled once per path
  })
})

describe('runtime.clearModuleCache() (@ricsam/isolate-runtime)', () => {
  it('later imports call the loader again and evaluate the new code; earlier evals are unaffected', async () => {
    const { calls: reported, customFunctions } = reporter()
    let loads = 0
    const r = await createRuntime({
      customFunctions,
      moduleLoader: () => ({ code: `report('evaluated ${++loads}')\nexport const n = ${loads}`, filename: '/counter.js' }),
    })
    await r.eval(`import { n } from '@/counter'\nreport(n)`)
    await r.eval(`import { n } from '@/counter'\nreport(n)`)
    expect(loads).toBe(1)
    expect(r.clearModuleCache()).toBeUndefined()
    await r.eval(`import { n } from '@/counter'\nreport(n)`)
    expect(loads).toBe(2)
    expect(reported).toEqual(['evaluated 1', 1, 1, 'evaluated 2', 2])
  })

  it('throws RuntimeDisposedError after dispose()', async () => {
    const r = await createRuntime()
    await r.dispose()
    expect(() => r.clearModuleCache()).toThrow(RuntimeDisposedError)
  })
})
