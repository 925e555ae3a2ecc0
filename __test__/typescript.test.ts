// TypeScript in eval and in modules from moduleLoader: types are stripped (swc's strip-only mode),
// lines and columns kept; syntax with runtime semantics is refused with a SyntaxError.
import { describe, expect, it } from 'vitest'
import { errorOf, reporter, useRuntimes } from './helpers'

const make = useRuntimes()
const createRuntime = (options: Parameters<typeof make>[0] = {}) => make({ executionTimeout: 5000, ...options })

const TYPED = `
interface Point { x: number; y: number }
type Pair<T> = [T, T]
function sum<T extends Point>(points: readonly T[]): number {
  return points.reduce((acc: number, p: T) => acc + p.x + p.y, 0)
}
const pair: Pair<string> = ['a', 'b'] as Pair<string>
const config = { port: 8080 } satisfies Record<string, number>
let maybe: string | undefined = 'set'
class Box<T> {
  #value: T
  declare tag?: string
  constructor(value: T) { this.#value = value }
  get(): T { return this.#value }
}
report(sum([{ x: 1, y: 2 }, { x: 3, y: 4 }]), pair.join(''), config.port, maybe!.length, new Box<number>(5).get())
`

describe('eval of TypeScript', () => {
  it('a .ts filename strips interfaces, generics, `as`, `satisfies`, `!` and class field types', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval(TYPED, 'main.ts')
    expect(calls).toEqual([[10, 'ab', 8080, 3, 5]])
  })

  it('.mts, .cts and .tsx names are TypeScript too', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    for (const name of ['a.mts', 'b.cts', 'c.tsx', '/src/D.TS']) await r.eval(`const n: number = 1; report('${name}')`, name)
    expect(calls).toEqual(['a.mts', 'b.cts', 'c.tsx', '/src/D.TS'])
  })

  it('{ typescript: true } strips whatever the filename; { typescript: false } does not', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval('const n: number = 2; report(n)', { filename: 'main.js', typescript: true })
    await r.eval('const n: number = 3; report(n)', { typescript: true })
    expect(calls).toEqual([2, 3])
    const err = await errorOf(() => r.eval('const n: number = 4', { filename: 'main.ts', typescript: false }))
    expect(err.name).toBe('SyntaxError')
  })

  it('createRuntime({ typescript: true }) makes every eval TypeScript unless it says otherwise', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions, typescript: true })
    await r.eval('const n: number = 5; report(n)')
    await r.eval('report(6)', { typescript: false })
    expect(calls).toEqual([5, 6])
  })

  it('type-only imports and exports are elided (no loader call for them)', async () => {
    const { calls, customFunctions } = reporter()
    const loaded: string[] = []
    const r = await createRuntime({
      customFunctions,
      moduleLoader: (specifier: string) => {
        loaded.push(specifier)
        return { code: 'export const value = 7', filename: '/value.ts' }
      },
    })
    await r.eval(
      "import type { Options } from './types.ts'\nimport { type Other, value } from './value.ts'\nexport type { Options }\nconst o: Options | Other = value\nreport(o)",
      'main.ts',
    )
    expect(calls).toEqual([7])
    expect(loaded).toEqual(['./value.ts'])
  })

  it('plain JavaScript is not stripped: TypeScript syntax in a .js eval is a SyntaxError of V8', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('const a: number = 1', 'main.js'))
    expect(err.name).toBe('SyntaxError')
    expect(err.message).toBe('Missing initializer in const declaration')
  })

  it('bad option values are TypeErrors naming the option', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('1', { typescript: 'yes' as any }))
    expect(err.name).toBe('TypeError')
    expect(err.message).toBe('eval(code, options): options.typescript must be a boolean (got string)')
    const err2 = await errorOf(() => make({ typescript: 1 as any }))
    expect(err2.name).toBe('TypeError')
    expect(err2.message).toBe('createRuntime(options): typescript must be a boolean (got number)')
  })
})

describe('positions', () => {
  it("a runtime error's stack points at the .ts line and column as written", async () => {
    const r = await createRuntime()
    const code = [
      'interface User { name: string; age: number }',
      'function greet<T extends User>(user: T, greeting: string = "hi"): string {',
      '  const parts: Array<string> = [greeting, user.name]',
      '  return (parts as any).missing.call()',
      '}',
      'greet({ name: "a", age: 1 } as User)',
    ].join('\n')
    const err = await errorOf(() => r.eval(code, 'user.ts'))
    expect(err.name).toBe('TypeError')
    // Line 4, column 33: `call` of undefined, where it is in the TypeScript source.
    expect(err.stack).toContain('at greet (user.ts:4:33)')
    expect(err.stack).toContain('at user.ts:6:1')
    // The code frame shows the line V8 ran: the types blanked out, everything else in place.
    expect(err.stack).toContain('\n\n user.ts:4:33\n > 4 |   return (parts       ).missing.call()\n     |                                 ^')
  })

  it("a module's stack from moduleLoader points at its .ts line", async () => {
    const r = await createRuntime({
      moduleLoader: () => ({
        code: 'type Id = string\nexport function fail(id: Id): never {\n  throw new Error(`bad ${id as string}`)\n}',
        filename: '/lib/fail.ts',
      }),
    })
    const err = await errorOf(() => r.eval("import { fail } from './lib/fail.ts'\nconst x: string = 'x'\nfail(x)", 'main.ts'))
    expect(err.message).toBe('bad x')
    expect(err.stack).toContain('at fail (/lib/fail.ts:3:9)')
    expect(err.stack).toContain('at main.ts:3:1')
  })
})

describe('modules from moduleLoader', () => {
  it('a graph of .ts modules is stripped module by module', async () => {
    const { calls, customFunctions } = reporter()
    const table: Record<string, string> = {
      './math.ts': "import type { Shape } from './shape.ts'\nimport { square } from './util.ts'\nexport const area = (s: Shape): number => square(s.side)",
      './util.ts': 'export function square<N extends number>(n: N): number { return n * n }',
    }
    const r = await createRuntime({
      customFunctions,
      moduleLoader: (specifier: string) => ({ code: table[specifier], filename: `/src/${specifier.slice(2)}` }),
    })
    await r.eval("import { area } from './math.ts'\nreport(area({ side: 3 } as const))", 'main.ts')
    expect(calls).toEqual([9])
  })

  it('the loader decides: a .ts filename, a .ts specifier, or { typescript: true }', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions,
      moduleLoader: (specifier: string) => {
        if (specifier === 'by-filename') return { code: 'export const a: number = 1', filename: '/a.ts' }
        if (specifier === './b.ts') return { code: 'export const b: number = 2', filename: '/b' }
        if (specifier === 'by-flag') return { code: 'export const c: number = 3', filename: '/c.js', typescript: true }
        return { code: 'export const d: number = 4', filename: '/d.js' }
      },
    })
    await r.eval("import { a } from 'by-filename'\nimport { b } from './b.ts'\nimport { c } from 'by-flag'\nreport(a + b + c)", 'main.js')
    expect(calls).toEqual([6])
    // A .js module is JavaScript: its type annotation is V8's SyntaxError.
    const err = await errorOf(() => r.eval("await import('plain')"))
    expect(err.name).toBe('SyntaxError')
  })

  it('a dynamic import of a module with an enum rejects inside the isolate with a real SyntaxError', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      customFunctions,
      moduleLoader: () => ({ code: 'export const a = 1\nexport enum Color { Red, Green }', filename: '/colors.ts' }),
    })
    await r.eval("try { await import('./colors.ts') } catch (e) { report(e instanceof SyntaxError, e.message) }")
    expect(calls).toEqual([
      [
        true,
        'TypeScript `enum` is not supported at /colors.ts:2:8: types are only stripped, not compiled; use a const object instead of enum (`const Color = { Red: 0 } as const`), or compile it to JavaScript with a full TypeScript compiler (tsc, esbuild) first',
      ],
    ])
  })
})

describe('unsupported syntax', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['enum', 'const a = 1\nenum Color { Red }', /^TypeScript `enum` is not supported at bad\.ts:2:1: .*use a const object instead of enum/],
    ['const enum', 'const enum E { A }', /^TypeScript `enum` is not supported at bad\.ts:1:1: /],
    ['namespace with values', 'let x = 1\n\nnamespace N { export const v = 1 }', /^TypeScript `namespace` with values is not supported at bad\.ts:3:1: .*use an ES module or a plain object instead of namespace/],
    ['parameter property', 'class A {\n  constructor(private readonly x: number) {}\n}', /^TypeScript parameter property is not supported at bad\.ts:2:\d+: .*declare the field in the class body/],
    ['angle-bracket assertion', 'const v = <number>(1 as unknown)', /^TypeScript `<T>expr` type assertion is not supported at bad\.ts:1:11: .*write `expr as T` instead/],
    ['import = require', "import fs = require('fs')", /^TypeScript `import x = require\(\)` is not supported at bad\.ts:1:1: /],
    ['export =', 'export = 1', /^TypeScript `export =` is not supported at bad\.ts:1:1: .*use `export default` instead/],
  ]
  for (const [what, code, message] of cases) {
    it(`${what}: a SyntaxError naming it, its file:line:column and what to do`, async () => {
      const r = await createRuntime()
      const err = await errorOf(() => r.eval(code, 'bad.ts'))
      expect(err.name).toBe('SyntaxError')
      expect(err.message).toMatch(message)
      expect(err.stack).toMatch(/\n    at bad\.ts:\d+:\d+\n\n bad\.ts:\d+:\d+\n > \d+ \| /)
    })
  }

  it('type-only namespaces and declarations are stripped, not refused', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval('declare namespace Lib { const v: number }\nnamespace Types { export type A = 1 }\ndeclare const g: string\ndeclare enum Ambient { A }\nreport(1)', 'ok.ts')
    expect(calls).toEqual([1])
  })

  it('invalid TypeScript is a SyntaxError at its position', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('const a = 1\nconst b: = 2', 'broken.ts'))
    expect(err.name).toBe('SyntaxError')
    expect(err.message).toMatch(/ at broken\.ts:2:\d+$/)
  })

  it('the runtime stays usable after a refused source', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await expect(r.eval('enum E { A }', 'e.ts')).rejects.toMatchObject({ name: 'SyntaxError' })
    await r.eval('const ok: string = "still fine"; report(ok)', 'ok.ts')
    expect(calls).toEqual(['still fine'])
  })
})

describe('.tsx', () => {
  it('types in a .tsx file without JSX are stripped (generic arrows need `<T,>`)', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval('const id = <T,>(x: T): T => x\nreport(id<number>(4))', 'view.tsx')
    expect(calls).toEqual([4])
  })

  it('JSX is refused with a SyntaxError naming the file and line', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('const name: string = "a"\nexport const el = <div>{name}</div>', 'view.tsx'))
    expect(err.name).toBe('SyntaxError')
    expect(err.message).toBe(
      "JSX is not supported at view.tsx:2:19 (types are stripped, JSX is not compiled): compile the JSX to JavaScript first (e.g. esbuild's or tsc's jsx option)",
    )
  })
})

describe('limits', () => {
  it('nesting deeper than the bound is a RangeError before parsing; the runtime lives on', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    const err = await errorOf(() => r.eval(`const v: number = ${'('.repeat(20000)}1${')'.repeat(20000)}`, 'deep.ts'))
    expect(err.name).toBe('RangeError')
    expect(err.message).toBe('deep.ts:1:5017: TypeScript nested more than 5000 levels deep (5001 here) cannot be stripped: flatten it, or compile it to JavaScript first')
    await r.eval('report(1)')
    expect(calls).toEqual([1])
  })

  it("a source whose strip would not fit the memory limit is a RangeError saying so", async () => {
    const r = await createRuntime({ memoryLimitMB: 16 })
    const err = await errorOf(() => r.eval('let a: number = 0;\n' + 'a++;\n'.repeat(300_000), 'big.ts'))
    expect(err.name).toBe('RangeError')
    expect(err.message).toMatch(/^stripping the types of big\.ts \(1\.4 MB\) needs about \d+ MB, more than is left of the runtime's memoryLimitMB: raise memoryLimitMB, or compile it to JavaScript first$/)
    // The same source fits a larger runtime.
    const big = await createRuntime({ memoryLimitMB: 256 })
    await big.eval('let a: number = 0;\n' + 'a++;\n'.repeat(300_000), 'big.ts')
  })
})
