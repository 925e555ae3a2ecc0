// console: entry shapes follow @ricsam/isolate-console; the text in them is what Node 20's console
// prints. Expected strings were computed with node:util / node:console on the same values and
// recorded (./recorded.ts), so they are real Node output, not hand-typed, and the same whichever
// Node runs the suite.
import { describe, expect, it } from 'vitest'
import { Console } from 'node:console'
import { Writable } from 'node:stream'
import { format, inspect } from 'node:util'
import { useRuntimes } from './helpers'
import { recorded } from './recorded'

const createRuntime = useRuntimes()

type Entry = Record<string, any>

/** Runs `code` as an ES module in a fresh runtime and returns every console entry it produced. */
async function collect(code: string): Promise<Entry[]> {
  const entries: Entry[] = []
  const r = await createRuntime({
    console: {
      onEntry(entry: Entry) {
        entries.push(entry)
      },
    },
  })
  await r.eval(code, 'main.js')
  return entries
}

/** Like `collect`, but returns only the `stdout` of each entry. */
async function stdouts(code: string): Promise<string[]> {
  return (await collect(code)).map((e) => e.stdout)
}

/** Evaluates a JS expression on the host, in strict mode like the isolate's modules. */
const hostValue = (src: string): any => new Function(`'use strict'; return (${src})`)()

/** What Node's own console.table prints for these arguments (without the final newline). */
function nodeTable(data: unknown, properties?: readonly string[]): string {
  let out = ''
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += chunk
      cb()
    },
  })
  new Console({ stdout: sink, stderr: sink }).table(data, properties)
  return out.replace(/\n$/, '')
}

// Expressions whose console.log output must equal Node's. Errors, promises and iterators have
// their own tests below (their text depends on the isolate's stack traces or on engine hooks).
const VALUES: string[] = [
  // strings and other primitives
  String.raw`'hello'`, String.raw`''`, String.raw`"it's"`, String.raw`'a\nb'`, String.raw`'tab\there'`,
  String.raw`'q"\'x'`, String.raw`'q"\'` + '`' + String.raw`x'`, String.raw`'\u0001\u007f\u0085'`,
  String.raw`'emoji 😀'`, String.raw`'%s %d'`, `'x'.repeat(100)`, `'a'.repeat(20000)`,
  `1`, `-0`, `0`, `1.5`, `-1e21`, `NaN`, `Infinity`, `-Infinity`, `2**53`, `1n`, `-12345678901234567890n`,
  `true`, `false`, `undefined`, `null`, `Symbol('s')`, `Symbol()`, `Symbol.iterator`, `Symbol.for('x y')`,
  // functions and classes
  `function f() {}`, `function () {}`, `() => {}`, `async function af() {}`, `async () => {}`,
  `function* g() {}`, `async function* ag() {}`, `class A {}`, `class {}`, `(class B extends Array {})`,
  `class S { static x = 1 }`, `(() => { class P {} class C extends P {} return C })()`,
  `Object.assign(function named() {}, { prop: 1 })`, `Math.max`, `[].map`, `({ method() {} }).method`,
  `(() => { const f = function () {}; Object.defineProperty(f, 'name', { value: '' }); return f })()`,
  `Object.setPrototypeOf(function nf() {}, null)`,
  // accessors
  `({ get x() { return 1 } })`, `({ set x(v) {} })`, `({ get x() { return 1 }, set x(v) {} })`,
  // arrays and objects
  `[]`, `[1, 2, 3]`, `['a', 'b']`, `[1, 'a', null, undefined, true]`, `[[1, [2, [3, [4]]]]]`, `{}`, `({ a: 1 })`,
  `({ a: 1, b: { c: [1, 2] } })`, `({ a: { b: { c: { d: 1 } } } })`, `({ a: [{ b: [{ c: 1 }] }] })`,
  String.raw`({ 'a-b': 1, 'c d': 2, e_f: 3, $g: 4, '0': 5, '01': 6, 'ü': 7, "it's": 8, '': 9 })`,
  String.raw`({ 'key\nwith newline': 1 })`, String.raw`({ 'a\u0000b': 1, [Symbol('s\nym')]: 2 })`,
  `({ [Symbol('k')]: 1, [Symbol()]: 2, [Symbol.iterator]: 3 })`, `({ __proto__: { inherited: 1 }, own: 2 })`,
  `Object.defineProperty({}, 'hidden', { value: 1, enumerable: false })`, `Object.freeze({ frozen: true })`,
  `({ a: undefined, b: null, c: NaN })`, `({ f() {}, g: function () {}, h: () => {}, k: class {} })`,
  `({ a: 1, b: 'two', c: [3], d: { e: 4 }, f: null, g: undefined, h: true, i: 1n, j: Symbol('j') })`,
  `[function foo() {}, class Bar {}]`, `{ fn: Object.assign(() => {}, { a: 1 }) }`,
  `(function () { return arguments })(1, 'a')`, `globalThis.Math`, `JSON`, `(function* () {})()`,
  // class instances, tags, null prototypes
  `(() => { class Foo { constructor() { this.x = 1 } } return new Foo() })()`,
  `(() => { class Foo {} return new Foo() })()`,
  `(() => { class Foo { get [Symbol.toStringTag]() { return 'Tag' } } return new Foo() })()`,
  `({ [Symbol.toStringTag]: 'Own' })`,
  `(() => { const o = {}; Object.defineProperty(o, Symbol.toStringTag, { value: 'Hidden' }); return o })()`,
  `Object.create(null)`, `Object.assign(Object.create(null), { a: 1 })`, `Object.create(Object.create(null))`,
  `Object.assign(Object.create(null), { [Symbol.toStringTag]: 'X' })`, `Object.create({})`,
  `Object.create(Array.prototype)`, `Object.setPrototypeOf([1, 2], null)`,
  `Object.setPrototypeOf(new Map([[1, 2]]), null)`, `Object.setPrototypeOf(new Uint8Array(2), null)`,
  // collections
  `new Map()`, `new Map([['a', 1], ['b', 2]])`, `new Map([[{ k: 1 }, [1, 2]]])`, `new Set()`, `new Set([1])`,
  `new Set(['a', { b: 2 }])`, `new Map([[new Map([[1, 2]]), new Set([new Set([1])])]])`,
  `new Set(Array.from({ length: 120 }, (_, i) => i))`, `new Map(Array.from({ length: 102 }, (_, i) => [i, i]))`,
  `new Map([['x'.repeat(40), 'y'.repeat(40)]])`, `new (class extends Map {})([[1, 2]])`,
  `new (class Sub extends Set {})([1])`, `new (class MyArr extends Array {})(3).fill(0)`,
  `new WeakMap()`, `new WeakSet()`,
  // dates, regexps, boxed primitives
  `new Date(0)`, `new Date(NaN)`, `Object.assign(new Date(0), { x: 1 })`,
  `/ab+c/gi`, `new RegExp('a/b')`, `Object.assign(/x/, { y: 1 })`,
  `new Number(3)`, `new String('abc')`, `new Boolean(false)`, `Object(1n)`, `Object(Symbol('b'))`,
  `Object.assign(new String('ab'), { x: 1 })`,
  // cycles
  `(() => { const o = { name: 'o' }; o.self = o; return o })()`,
  `(() => { const a = [1]; a.push(a); return a })()`,
  `(() => { const o = { a: {} }; o.a.b = o.a; o.c = o; return o })()`,
  `(() => { const m = new Map(); m.set('me', m); return m })()`,
  `(() => { const s = new Set(); s.add(s); return s })()`,
  `(() => { const a = {}; const b = { a }; a.b = b; return [a, b] })()`,
  `(() => { const a = { x: 1 }; return { p: a, q: a } })()`,
  // binary data
  `new Uint8Array([1, 2, 3])`, `new Uint8Array(0)`, `new Float64Array([1.5, -0, NaN])`,
  `new BigInt64Array([1n, -2n])`, `new Int16Array(200)`, `new Uint8Array(300)`, `new Float32Array([0.1, 0.2])`,
  `new Int8Array([-1, 2, -3, 4, -5, 6, -7, 8])`,
  `new ArrayBuffer(0)`, `new Uint8Array([1, 2]).buffer`, `new Uint8Array(120).buffer`,
  `new DataView(new ArrayBuffer(4), 1)`,
  // sparse and long arrays, grouping into columns, line breaking
  `[1, , 3]`, `[, , ]`, `new Array(5)`, `(() => { const a = [1, 2]; a[10] = 3; return a })()`,
  `(() => { const a = [1, 2]; a.extra = 'x'; return a })()`,
  `Object.defineProperty([1], 'hid', { value: 2, enumerable: false })`,
  `Array.from({ length: 101 }, (_, i) => i)`, `Array.from({ length: 150 }, (_, i) => 'item' + i)`,
  `Array.from({ length: 7 }, (_, i) => i)`, `Array.from({ length: 26 }, (_, i) => i * 1000)`,
  `Array.from({ length: 30 }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat(i % 5 + 1))`,
  `Array.from({ length: 10 }, (_, i) => ({ i }))`, `Array.from({ length: 8 }, (_, i) => [i, i])`,
  `[1.5, -2, 300000, 4, 5, 6, 7, 8.25]`, `[1n, 2n, 3n, 4n, 5n, 6n, 7n]`,
  `[true, false, true, false, true, false, true]`, `new Array(200).fill('ab')`,
  `Array.from({ length: 12 }, (_, i) => 'x'.repeat(i))`, `Array.from({ length: 7 }, (_, i) => -i * 1.5)`,
  `[['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5], ['f', 6], ['g', 7]]`,
  `[undefined, null, undefined, null, undefined, null, undefined]`,
  `Array.from({ length: 120 }, (_, i) => i % 2 ? 'odd' : 'even')`,
  `Array.from({ length: 9 }, (_, i) => '日本'.repeat(i % 3 + 1))`,
  `Array.from({ length: 20 }, (_, i) => ({ id: i, name: 'n' + i }))`,
  `Array.from({ length: 64 }, (_, i) => i % 3 ? i : 'x')`,
  `Array.from({ length: 16 }, (_, i) => i === 5 ? undefined : i)`,
  `Array.from({ length: 110 }, (_, i) => i).concat(['end'])`,
  String.raw`[1, 2, 3, 4, 5, 6, 'a\nb']`,
  `[['a', 'b', 'c', 'd', 'e', 'f', 'g'], ['a', 'b', 'c', 'd', 'e', 'f', 'g']]`,
  `{ arr: Array.from({ length: 50 }, (_, i) => i * 7) }`,
  `({ aaaaaaaaaa: 'bbbbbbbbbbbbbbbbbbbb', cccccccccc: 'dddddddddddddddddddd', eeeeeeeeee: 'ffffffffffffffffffff' })`,
  `({ aVeryLongPropertyNameNumberOne: 1, aVeryLongPropertyNameNumberTwo: 2, aVeryLongPropertyNameNumberThree: 3 })`,
  `[{ aVeryLongPropertyNameNumberOne: 1, aVeryLongPropertyNameNumberTwo: 2, three: 3 }]`,
  `({ a: 'x'.repeat(100) })`, `['a'.repeat(20000)]`,
  String.raw`['line1\nline2\nline3 which is a fairly long line to force splitting of the string ok']`,
  String.raw`({ s: 'line1\nline2\nline3 which is a fairly long line to force splitting of the string ok\n' })`,
  `({ nested: { arr: Array.from({ length: 30 }, (_, i) => i), obj: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12 } } })`,
  `Array.from({ length: 3 }, () => ({ name: 'someone', age: 42, tags: ['a', 'b', 'c'], nested: { x: 1 } }))`,
  // depth limit (2) for every kind of object
  `[{ a: 1, b: 2 }, { a: 3, b: 4 }]`, `[[1, 2], [3, 4]]`, `[[[[1]]]]`, `{ a: [[[[1]]]] }`,
  `({ a: { b: { c: {} } } })`, `({ a: { b: { c: [] } } })`, `({ a: { b: { c: [1] } } })`,
  `({ a: { b: { c: new Map([[1, 2]]) } } })`, `({ a: { b: { c: new Set() } } })`,
  `({ a: { b: { c: function x() {} } } })`, `({ a: { b: { c: /re/ } } })`, `({ a: { b: { c: new Date(0) } } })`,
  `({ a: { b: { c: Object.create(null) } } })`, `({ a: { b: { c: new (class Q { constructor() { this.z = 1 } })() } } })`,
  `({ a: { b: { c: new Uint8Array(3) } } })`, `({ a: { b: { c: new Number(1) } } })`,
  // util.inspect.custom
  `({ toString() { return 'custom' } })`,
  `({ [Symbol.for('nodejs.util.inspect.custom')]() { return 'CUSTOM' } })`,
  `({ [Symbol.for('nodejs.util.inspect.custom')](d, o, i) { return { replaced: d } } })`,
  String.raw`({ x: { [Symbol.for('nodejs.util.inspect.custom')](d, o, i) { return 'multi\nline' } } })`,
  // proxies show their target
  `new Proxy({ a: 1 }, {})`, `new Proxy([1, 2], {})`, `new Proxy(function pf() {}, {})`,
  `(() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy })()`,
]

// Argument lists for console.log: printf-style placeholders and plain argument joining.
const CALLS: string[] = [
  `'hi', 1`, `'%s is %d years', 'Bob', 42`, `'%i', 42.9`, `'%f', '3.5abc'`, `'%j', { a: [1, 'b'] }`,
  `'%j', (() => { const o = {}; o.o = o; return o })()`, `'%o', { a: 1 }`, `'%o', [1, 2]`,
  `'%O', { a: { b: { c: { d: 1 } } } }`, `'%o', function f() {}`, `'%c styled', 'color: red'`,
  `'100%% sure', 1`, `'%s', { a: 1 }`, `'%s', [1, [2, [3]]]`, `'%s', 12345678901234567890n`, `'%s', -0`,
  `'%s', Symbol('x')`, `'%s', null`, `'%s', undefined`, `'%s', { toString() { return 'TS' } }`,
  `'%s', new (class K { toString() { return 'K!' } })()`, `'%s', new Date(0)`, `'%d', '42'`, `'%d', {}`,
  `'%d', 5n`, `'%i', '0x10'`, `'%f', 'abc'`, `'%x', 1`, `'%s'`, `'%s %s', 'only one'`, `'a', 'b', 'c'`,
  `1, 2, 3`, `'a', { b: 1 }, [2]`, `{ a: 1 }, 'str'`, `'%', 1`, `'%%'`, `'%%', 1`, `'trailing %'`,
  `'%s%s', 'a', 'b', 'c'`, `'%d%%', 50`, `'no placeholders', { x: 1 }`, ``, `undefined`, `null, null`,
]

// console.dir(value, options): options are inspect options.
const DIRS: Array<[string, string]> = [
  [`{ a: { b: { c: { d: { e: 1 } } } } }`, `{ depth: 0 }`],
  [`{ a: { b: { c: { d: { e: 1 } } } } }`, `{ depth: 4 }`],
  [`{ a: { b: { c: { d: { e: 1 } } } } }`, `{ depth: null }`],
  [`{ a: { b: { c: { d: { e: 1 } } } } }`, `undefined`],
  [`'str'`, `undefined`],
  [`[1, 2, 3]`, `{ showHidden: true }`],
  [`({ [Symbol.for('nodejs.util.inspect.custom')]() { return 'CUSTOM' } })`, `undefined`],
  [`Array.from({ length: 200 }, (_, i) => i)`, `{ maxArrayLength: 5 }`],
  [`{ a: 1, b: { c: 2 } }`, `{ compact: false }`],
  [`{ a: 1, b: { c: 2 } }`, `{ compact: true }`],
  [`{ a: 'long'.repeat(30), b: { c: 2 } }`, `{ compact: true, breakLength: 40 }`],
  [`{ b: 1, a: 2 }`, `{ sorted: true }`],
  [`{ get g() { return 5 }, get o() { return { x: 1 } } }`, `{ getters: true }`],
  [`1234567.891`, `{ numericSeparator: true }`],
  [`'x'.repeat(50)`, `{ maxStringLength: 10 }`],
  [`{ a: [1, { b: 2 }] }`, `{ colors: true }`],
  [`function f() {}`, `{ showHidden: true }`],
  [`new Uint8Array(2)`, `{ showHidden: true }`],
  [`(() => { class A { constructor() { this.x = 1 } get y() { return 2 } } return new A() })()`, `{ showHidden: true }`],
]

// console.table(data, properties)
const TABLES: Array<[string, string?]> = [
  [`[1, 2, 3]`], [`[{ a: 1, b: 'xyz' }, { a: 22, c: true }]`], [`{ r1: { c: 1 }, r2: { c: 2, d: [1, 2, 3, 4] } }`],
  [`[{ a: 1, b: 2 }, { a: 3 }]`, `['a']`], [`new Map([['k', { x: 1 }], ['k2', 2]])`], [`new Set(['a', 'b'])`],
  [`'not tabular'`], [`42`], [`null`], [`[[1, 2], [3, 4, 5]]`], [`[{ name: '日本語', v: 1 }, { name: 'ascii', v: 22 }]`],
  [`{ a: 1, b: 'two', c: { deep: { deeper: 1 } } }`], [`[{ o: { a: 1, b: 2, c: 3 } }]`], [`[]`], [`{}`],
  [`new Uint8Array([5, 6])`], [`[1, 'a', { b: 2 }]`], [`[{ f() {} }]`], [`[{ a: 1 }, 'str']`, `['a']`],
]

// Errors: the isolate's stack traces differ from the host's, so each host error gets the isolate's
// stack strings before Node formats it.
const ERRORS: string[] = [
  `new Error('boom')`, `new TypeError('bad type')`, `new RangeError('')`,
  `Object.assign(new Error('with props'), { code: 'E_CODE', extra: { deep: [1] } })`,
  `new Error('outer', { cause: new Error('inner') })`, `new Error('outer', { cause: 'str' })`,
  `(() => { function mk() { return new Error('deep') } return new Error('wrap', { cause: mk() }) })()`,
  `(() => { class MyError extends Error {} return new MyError('mine') })()`,
  `(() => { class MyError extends Error { constructor(m) { super(m); this.name = 'MyError' } } return new MyError('named') })()`,
  `new (class Foo extends Error {})('sub')`,
  `(() => { const e = new Error('no stack'); e.stack = undefined; return e })()`,
  `(() => { const e = new Error('custom'); e.stack = 'custom stack'; return e })()`,
  `(() => { const e = new Error('x'); e.name = 'Renamed'; return e })()`,
  `(() => { const e = new TypeError('t'); Object.setPrototypeOf(e, null); return e })()`,
  String.raw`({ __proto__: Error.prototype, message: 'fake', stack: 'Error: fake\n    at x (y:1:1)' })`,
  `new AggregateError([new Error('a')], 'agg')`,
]

describe('console.log formatting matches Node', () => {
  it('formats values as util.inspect does (top level, nested and in arrays)', async () => {
    // `[x][0]` keeps anonymous functions anonymous (a plain `const v = x` would name them 'v').
    const code = VALUES.map((src) => `{ const v = [${src}][0]; console.log(v); console.log({ nested: { v } }, [v]) }`).join('\n')
    const got = await stdouts(code)
    const actual = VALUES.map((src, i) => [src, got[2 * i], got[2 * i + 1]])
    const expected = await recorded(() =>
      VALUES.map((src) => {
        const v = hostValue(src)
        return [src, format(v), format({ nested: { v } }, [v])]
      }),
    )
    expect(actual).toEqual(expected)
  })

  it('keeps lone surrogates: raw at top level, escaped inside objects', async () => {
    const got = await stdouts(String.raw`console.log('\ud800x', ['\udc00'], 'a\ud83d')`)
    expect(got).toEqual(await recorded(() => [format('\ud800x', ['\udc00'], 'a\ud83d')]))
  })

  it('applies printf-style placeholders as util.format does', async () => {
    const got = await stdouts(CALLS.map((args) => `console.log(${args})`).join('\n'))
    const actual = CALLS.map((args, i) => [args, got[i]])
    const expected = await recorded(() => CALLS.map((args) => [args, format(...hostValue(`[${args}]`))]))
    expect(actual).toEqual(expected)
  })

  it('formats errors with their stack, extra properties, [cause] and [errors]', async () => {
    const code = ERRORS.map(
      (src) => `{
        const e = (${src})
        const stackOf = (x) => (x !== null && typeof x === 'object' && typeof x.stack === 'string' ? x.stack : null)
        console.log(JSON.stringify({
          stack: stackOf(e),
          cause: stackOf(e.cause),
          errors: Array.isArray(e.errors) ? e.errors.map(stackOf) : null,
        }))
        console.log(e)
        console.log({ err: e }, [e])
      }`,
    ).join('\n')
    const got = await stdouts(code)
    const actual = ERRORS.map((src, i) => [src, got[3 * i], got[3 * i + 1], got[3 * i + 2]])
    // Recorded: the isolate's stack strings, and Node's formatting of host errors given those stacks.
    const expected = await recorded(() =>
      ERRORS.map((src, i) => {
        const stacks = JSON.parse(got[3 * i])
        const e = hostValue(src)
        if (stacks.stack !== null) e.stack = stacks.stack
        if (stacks.cause !== null) e.cause.stack = stacks.cause
        if (stacks.errors !== null) stacks.errors.forEach((s: string | null, k: number) => s !== null && (e.errors[k].stack = s))
        return [src, got[3 * i], format(e), format({ err: e }, [e])]
      }),
    )
    expect(actual).toEqual(expected)
  })

  it('shows promise state, iterator entries and proxies as Node does (native hooks)', async () => {
    const srcs = [
      `Promise.resolve(1)`,
      `new Promise(() => {})`,
      `(() => { const p = Promise.reject(3); p.catch(() => {}); return p })()`,
      `new Map([[1, 2]]).entries()`,
      `new Set([1]).values()`,
      `new Proxy({ a: 1 }, { get() { throw new Error('a trap ran') } })`,
      `{ p: Promise.resolve({ x: [1, 2] }) }`,
    ]
    const got = await stdouts(srcs.map((src) => `console.log(${src})`).join('\n'))
    const node = await recorded(() => srcs.map((src) => format(hostValue(src))))
    // Pure JS cannot see a promise's state, peek into an iterator or read a proxy without running
    // its traps: the natives in src/console/mod.rs do, as Node's util.inspect does.
    expect(got).toEqual(node)
  })

  it('console.dir honours inspect options and ignores util.inspect.custom', async () => {
    const got = await stdouts(DIRS.map(([v, o]) => `console.dir(${v}, ${o})`).join('\n'))
    const actual = DIRS.map(([v, o], i) => [v, o, got[i]])
    const expected = await recorded(() =>
      DIRS.map(([v, o]) => [v, o, inspect(hostValue(v), { customInspect: false, ...hostValue(o) })]),
    )
    expect(actual).toEqual(expected)
  })

  it('console.table draws the same box table as Node', async () => {
    const got = await stdouts(TABLES.map(([d, p]) => `console.table(${d}${p ? `, ${p}` : ''})`).join('\n'))
    const actual = TABLES.map(([d, p], i) => [d, p, got[i]])
    const expected = await recorded(() => TABLES.map(([d, p]) => [d, p, nodeTable(hostValue(d), p ? hostValue(p) : undefined)]))
    expect(actual).toEqual(expected)
  })

  it('console.table rejects properties that are not an array, as Node does', async () => {
    const got = await stdouts(`try { console.table([{ a: 1 }], 'a') } catch (e) { console.log(e.name, e.code, e.message) }`)
    const message = await recorded(() => {
      try {
        new Console({ stdout: process.stdout }).table([{ a: 1 }], 'a' as any)
      } catch (e: any) {
        return e.message
      }
      return 'no error'
    })
    expect(got).toEqual([`TypeError ERR_INVALID_ARG_TYPE ${message}`])
  })

  it('is not affected by user code patching built-ins', async () => {
    const got = await stdouts(`
      Array.prototype.join = () => 'hacked'
      Array.prototype.push = () => 0
      Array.prototype.map = () => []
      String.prototype.slice = () => 'hacked'
      String.prototype.repeat = () => 'hacked'
      Object.keys = () => []
      Object.getOwnPropertyNames = () => []
      RegExp.prototype.exec = () => null
      JSON.stringify = () => 'hacked'
      Map.prototype.entries = function* () {}
      console.log({ a: [1, 2], b: 'x', m: new Map([[1, 2]]) }, '%j', { j: 1 })
      console.log(Array.from({ length: 30 }, (_, i) => i))
    `)
    expect(got).toEqual(
      await recorded(() => [
        format({ a: [1, 2], b: 'x', m: new Map([[1, 2]]) }, '%j', { j: 1 }),
        format(Array.from({ length: 30 }, (_, i) => i)),
      ]),
    )
  })
})

describe('console with accessors at array indices', () => {
  // A script's accessor on Array.prototype or Object.prototype at an index that the console's
  // formatting adds to its own arrays: the entry still comes out, as Node formats it.
  it('formats arrays, objects, typed arrays, maps and errors as without them', async () => {
    const got = await stdouts(`
      Object.defineProperty(Array.prototype, 0, { get() { throw 1 } })
      Object.defineProperty(Object.prototype, 1, { get() { throw 2 }, set() { throw 3 } })
      console.log([1, 2, 3], { a: [4] }, new Uint8Array([5, 6]), new Map([[7, 8]]))
      const e = new Error('boom')
      e.stack = 'Error: boom\\n    at f (main.js:1:1)\\n    at g (main.js:2:2)'
      console.error(e)
    `)
    expect(got).toEqual(['[ 1, 2, 3 ] { a: [ 4 ] } Uint8Array(2) [ 5, 6 ] Map(1) { 7 => 8 }', 'Error: boom\n    at f (main.js:1:1)\n    at g (main.js:2:2)'])
  })
})

describe('console entries', () => {
  it('log, info, debug, warn, error and dirxml give output entries', async () => {
    const entries = await collect(`
      console.log('hi', 1)
      console.info('info %s', 'x')
      console.debug({ d: 1 })
      console.warn('warn')
      console.error(new Map([[1, 2]]))
      console.dirxml('xml', [1])
      console.log()
    `)
    expect(entries).toEqual([
      { type: 'output', level: 'log', stdout: 'hi 1', groupDepth: 0 },
      { type: 'output', level: 'info', stdout: 'info x', groupDepth: 0 },
      { type: 'output', level: 'debug', stdout: '{ d: 1 }', groupDepth: 0 },
      { type: 'output', level: 'warn', stdout: 'warn', groupDepth: 0 },
      { type: 'output', level: 'error', stdout: 'Map(1) { 1 => 2 }', groupDepth: 0 },
      { type: 'output', level: 'log', stdout: "xml [ 1 ]", groupDepth: 0 },
      { type: 'output', level: 'log', stdout: '', groupDepth: 0 },
    ])
  })

  it('dir and table entries', async () => {
    const entries = await collect(`
      console.dir('s')
      console.dir({ a: { b: { c: { d: 1 } } } }, { depth: 0 })
      console.table([{ a: 1 }])
    `)
    expect(entries).toEqual([
      { type: 'dir', stdout: "'s'", groupDepth: 0 },
      { type: 'dir', stdout: '{ a: [Object] }', groupDepth: 0 },
      { type: 'table', stdout: await recorded(() => nodeTable([{ a: 1 }])), groupDepth: 0 },
    ])
  })

  it('time, timeLog and timeEnd report durations in milliseconds', async () => {
    const entries = await collect(`
      console.time('t')
      await new Promise((r) => setTimeout(r, 30))
      console.timeLog('t', 'checkpoint', { n: 1 }, '%s')
      console.timeLog('t')
      console.timeEnd('t')
      console.time()
      console.timeEnd()
    `)
    expect(entries).toEqual([
      { type: 'timeLog', label: 't', duration: expect.any(Number), stdout: "checkpoint { n: 1 } %s", groupDepth: 0 },
      { type: 'timeLog', label: 't', duration: expect.any(Number), stdout: '', groupDepth: 0 },
      { type: 'time', label: 't', duration: expect.any(Number), groupDepth: 0 },
      { type: 'time', label: 'default', duration: expect.any(Number), groupDepth: 0 },
    ])
    const [a, b, c, d] = entries.map((e) => e.duration)
    expect(a).toBeGreaterThanOrEqual(25)
    expect(a).toBeLessThan(5_000)
    expect(b).toBeGreaterThanOrEqual(a)
    expect(c).toBeGreaterThanOrEqual(b)
    expect(d).toBeGreaterThanOrEqual(0)
    expect(d).toBeLessThan(c)
  })

  it('timer misuse gives the warnings Node prints', async () => {
    const entries = await collect(`
      console.time('x')
      console.time('x')
      console.timeEnd('x')
      console.timeEnd('x')
      console.timeLog('nope')
    `)
    expect(entries).toEqual([
      { type: 'output', level: 'warn', stdout: "Warning: Label 'x' already exists for console.time()", groupDepth: 0 },
      { type: 'time', label: 'x', duration: expect.any(Number), groupDepth: 0 },
      { type: 'output', level: 'warn', stdout: "Warning: No such label 'x' for console.timeEnd()", groupDepth: 0 },
      { type: 'output', level: 'warn', stdout: "Warning: No such label 'nope' for console.timeLog()", groupDepth: 0 },
    ])
  })

  it('count and countReset', async () => {
    const entries = await collect(`
      console.count()
      console.count()
      console.count('x')
      console.count(1)
      console.countReset()
      console.count()
      console.countReset('never')
    `)
    expect(entries).toEqual([
      { type: 'count', label: 'default', count: 1, groupDepth: 0 },
      { type: 'count', label: 'default', count: 2, groupDepth: 0 },
      { type: 'count', label: 'x', count: 1, groupDepth: 0 },
      { type: 'count', label: '1', count: 1, groupDepth: 0 },
      { type: 'countReset', label: 'default', groupDepth: 0 },
      { type: 'count', label: 'default', count: 1, groupDepth: 0 },
      { type: 'output', level: 'warn', stdout: "Warning: Count for 'never' does not exist", groupDepth: 0 },
      { type: 'countReset', label: 'never', groupDepth: 0 },
    ])
  })

  // Node 20's text. The Console Standard (https://console.spec.whatwg.org/#assert), and Node ≥ 22,
  // prepend "Assertion failed" as its own argument when the first one is not a string
  // ("Assertion failed { a: 1 }"); Node 20 and the isolate print "Assertion failed: [object Object]".
  it('assert reports only failures, with the text Node prints', async () => {
    const entries = await collect(`
      console.assert(true, 'not shown')
      console.assert(1)
      console.assert(false)
      console.assert(0, 'x %s', 'y', 2)
      console.assert(null, { a: 1 })
      console.assert()
    `)
    // Node's console.assert writes these lines to stderr.
    const lines = await recorded(() => {
      let out = ''
      const sink = new Writable({
        write(chunk, _enc, cb) {
          out += chunk
          cb()
        },
      })
      const c = new Console({ stdout: sink, stderr: sink })
      c.assert(false)
      c.assert(0, 'x %s', 'y', 2)
      c.assert(null, { a: 1 })
      c.assert(undefined)
      return out.split('\n').slice(0, -1)
    })
    expect(entries).toEqual(lines.map((stdout) => ({ type: 'assert', stdout, groupDepth: 0 })))
  })

  it('group, groupCollapsed and groupEnd track groupDepth; stdout is not indented', async () => {
    const entries = await collect(`
      console.group()
      console.log('in 1')
      console.group('label %d', 2)
      console.groupCollapsed({ a: 1 })
      console.info('multi\\nline')
      console.count('c')
      console.groupEnd()
      console.groupEnd()
      console.groupEnd()
      console.groupEnd()
      console.warn('out')
    `)
    expect(entries).toEqual([
      { type: 'group', label: 'default', collapsed: false, groupDepth: 0 },
      { type: 'output', level: 'log', stdout: 'in 1', groupDepth: 1 },
      { type: 'group', label: 'label 2', collapsed: false, groupDepth: 1 },
      { type: 'group', label: '{ a: 1 }', collapsed: true, groupDepth: 2 },
      { type: 'output', level: 'info', stdout: 'multi\nline', groupDepth: 3 },
      { type: 'count', label: 'c', count: 1, groupDepth: 3 },
      { type: 'groupEnd', groupDepth: 2 },
      { type: 'groupEnd', groupDepth: 1 },
      { type: 'groupEnd', groupDepth: 0 },
      { type: 'groupEnd', groupDepth: 0 },
      { type: 'output', level: 'warn', stdout: 'out', groupDepth: 0 },
    ])
  })

  it('clear', async () => {
    expect(await collect(`console.clear()`)).toEqual([{ type: 'clear' }])
  })

  it('trace gives the formatted message and a stack that starts as Node prints it', async () => {
    const entries = await collect(`
      function inner() { console.trace('msg %d', 5, { x: 1 }) }
      inner()
      console.trace()
    `)
    expect(entries).toEqual([
      { type: 'trace', stdout: 'msg 5 { x: 1 }', stack: expect.any(String), groupDepth: 0 },
      { type: 'trace', stdout: '', stack: expect.any(String), groupDepth: 0 },
    ])
    const [first, second] = entries.map((e) => e.stack.split('\n'))
    expect(first[0]).toBe('Trace: msg 5 { x: 1 }')
    expect(first[1]).toMatch(/^ {4}at inner \(.*main\.js:2:\d+\)$/)
    expect(second[0]).toBe('Trace')
    expect(second[1]).toMatch(/^ {4}at .*main\.js:4:\d+/)
    // The console's own frames are not in the trace.
    expect(entries.map((e) => e.stack).join('\n')).not.toMatch(/console/)
  })

  it('entries hold only plain data', async () => {
    const entries = await collect(`
      console.log({ a: 1 }, [2], 3n, Symbol('s'))
      console.dir(new Map())
      console.table([[1]])
      console.time(); console.timeLog(); console.timeEnd()
      console.count(); console.countReset()
      console.assert(false)
      console.group(); console.groupEnd()
      console.clear()
      console.trace()
    `)
    expect(entries).toHaveLength(12)
    expect(JSON.parse(JSON.stringify(entries))).toEqual(entries)
    for (const e of entries) {
      expect(Object.getPrototypeOf(e)).toBe(Object.prototype)
    }
  })

  it('entries from timers and microtasks arrive before eval resolves', async () => {
    const entries = await collect(`
      queueMicrotask(() => console.log('microtask'))
      await new Promise((r) => setTimeout(() => { console.log('timer'); r() }, 10))
      console.log('end')
    `)
    expect(entries.map((e) => e.stdout)).toEqual(['microtask', 'timer', 'end'])
  })
})

describe('the console global', () => {
  it('is a WebIDL namespace: non-enumerable global, enumerable methods, @@toStringTag console', async () => {
    const got = await stdouts(`
      const d = Object.getOwnPropertyDescriptor(globalThis, 'console')
      console.log(JSON.stringify([d.writable, d.enumerable, d.configurable]))
      console.log(Object.keys(console).sort().join())
      const m = Object.getOwnPropertyDescriptor(console, 'log')
      console.log(JSON.stringify([m.writable, m.enumerable, m.configurable, console.log.length, console.log.name]))
      console.log(Object.prototype.toString.call(console))
      console.log(Object.getPrototypeOf(Object.getPrototypeOf(console)) === Object.prototype)
    `)
    expect(got).toEqual([
      '[true,false,true]',
      'assert,clear,count,countReset,debug,dir,dirxml,error,group,groupCollapsed,groupEnd,info,log,table,time,timeEnd,timeLog,trace,warn',
      '[true,true,true,0,"log"]',
      '[object console]',
      'true',
    ])
  })

  it('methods work detached from the console object', async () => {
    const entries = await collect(`
      const { log, count, group, groupEnd } = console
      group('g')
      log('detached')
      count()
      groupEnd()
    `)
    expect(entries).toEqual([
      { type: 'group', label: 'g', collapsed: false, groupDepth: 0 },
      { type: 'output', level: 'log', stdout: 'detached', groupDepth: 1 },
      { type: 'count', label: 'default', count: 1, groupDepth: 1 },
      { type: 'groupEnd', groupDepth: 0 },
    ])
  })

  it('user code may replace console', async () => {
    const entries = await collect(`
      const original = console
      console = { log() {} }
      console.log('swallowed')
      globalThis.console = original
      console.log('back')
    `)
    expect(entries).toEqual([{ type: 'output', level: 'log', stdout: 'back', groupDepth: 0 }])
  })
})
