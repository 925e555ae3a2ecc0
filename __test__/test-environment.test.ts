// The test environment (createRuntime({ testEnvironment })): Jest/Vitest-style globals inside the
// isolate and runtime.testEnvironment on the host, through the public API. Matcher messages are
// Vitest's wording (its chai-based expect); each is checked exactly, passing and failing.
import { describe, expect, it } from 'vitest'
import { CpuLimitError, RuntimeDisposedError, TimeoutError } from '../index.js'
import { rejectionOf, useRuntimes } from './helpers'

/** What `fn` threw synchronously; fails the test when it did not throw. */
function thrownBy(fn: () => unknown): any {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a synchronous throw')
}

const createRuntime = useRuntimes()

type Results = Awaited<ReturnType<Awaited<ReturnType<typeof createRuntime>>['testEnvironment']['runTests']>>

/** Declares `code` in a runtime with the test environment, runs it, returns the results. */
async function run(code: string, options: Record<string, unknown> = {}): Promise<Results> {
  const rt = await createRuntime({ testEnvironment: true, ...options } as any)
  await rt.eval(code, 'tests.js')
  return rt.testEnvironment.runTests()
}

/** A runtime whose `log(x)` records what the isolate passes it. */
async function logging(options: Record<string, unknown> = {}) {
  const log: unknown[] = []
  const rt = await createRuntime({
    testEnvironment: true,
    customFunctions: { log: { type: 'sync', fn: (x: unknown) => void log.push(x) } },
    ...options,
  } as any)
  return { rt, log }
}

// [test body, expected failure message (null: the test passes)].
const MATCHERS: Array<[string, string | null]> = [
  ["expect(1).toBe(1); expect(1).not.toBe(2)", null],
  ["expect(2).toBe(3)", "expected 2 to be 3 // Object.is equality"],
  ["expect(2).not.toBe(2)", "expected 2 not to be 2 // Object.is equality"],
  ["expect({ a: 1 }).toBe({ a: 1 })", "expected { a: 1 } to be { a: 1 } // Object.is equality\n\nIf it should pass with deep equality, replace \"toBe\" with \"toStrictEqual\"\n\nExpected: {\n  \"a\": 1,\n}\nReceived: serializes to the same string"],
  ["expect([1, 2]).toBe([1, 3])", "expected [ 1, 2 ] to be [ 1, 3 ] // Object.is equality\n\n- Expected\n+ Received\n\n  [\n    1,\n-   3,\n+   2,\n  ]"],
  ["expect('a'.repeat(50)).toBe('b')", "expected 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u2026' to be 'b' // Object.is equality"],
  ["expect({ a: 1, b: { c: [1, 2] } }).toEqual({ a: 1, b: { c: [1, 2] } }); expect({ a: 1, b: undefined }).toEqual({ a: 1 })", null],
  ["expect({ a: 1 }).toEqual({ a: 2 })", "expected { a: 1 } to deeply equal { a: 2 }\n\n- Expected\n+ Received\n\n  {\n-   \"a\": 2,\n+   \"a\": 1,\n  }"],
  ["expect([1]).not.toEqual([1])", "expected [ 1 ] to not deeply equal [ 1 ]"],
  ["expect({ a: 1, b: undefined }).toStrictEqual({ a: 1 })", "expected { a: 1, b: undefined } to strictly equal { a: 1 }\n\n- Expected\n+ Received\n\n  {\n    \"a\": 1,\n+   \"b\": undefined,\n  }"],
  ["expect([, 1]).toStrictEqual([undefined, 1])", "expected [ <empty>, 1 ] to strictly equal [ undefined, 1 ]\n\n- Expected\n+ Received\n\n  [\n-   undefined,\n+   <empty>,\n    1,\n  ]"],
  ["class A { constructor() { this.x = 1 } }; expect(new A()).toStrictEqual({ x: 1 })", "expected A{ x: 1 } to strictly equal { x: 1 }\n\n- Expected\n+ Received\n\n- {\n+ A {\n    \"x\": 1,\n  }"],
  ["expect({ x: 1 }).toStrictEqual({ x: 1 }); expect(new Map([[1, { a: 1 }]])).toEqual(new Map([[1, { a: 1 }]])); expect(new Set([1, 2])).toEqual(new Set([2, 1])); expect(new Date(5)).toEqual(new Date(5)); expect(/a/g).toEqual(/a/g); expect(new Uint8Array([1, 2])).toEqual(new Uint8Array([1, 2])); expect(NaN).toEqual(NaN)", null],
  ["expect(new Map([[1, 'a']])).toEqual(new Map([[1, 'b']]))", "expected Map{ 1 => 'a' } to deeply equal Map{ 1 => 'b' }\n\n- Expected\n+ Received\n\n  Map {\n-   1 => \"b\",\n+   1 => \"a\",\n  }"],
  ["expect(0).toEqual(-0)", "expected 0 to deeply equal -0"],
  ["expect(0).toBeTruthy()", "expected 0 to be truthy"],
  ["expect(1).not.toBeTruthy()", "expected 1 to not be truthy"],
  ["expect(1).toBeFalsy()", "expected 1 to be falsy"],
  ["expect('').not.toBeFalsy()", "expected '' to not be falsy"],
  ["expect(1).toBeNull()", "expected 1 to be null"],
  ["expect(null).not.toBeNull()", "expected null not to be null"],
  ["expect(1).toBeUndefined()", "expected 1 to be undefined"],
  ["expect(undefined).not.toBeUndefined()", "expected undefined not to be undefined"],
  ["expect(undefined).toBeDefined()", "expected undefined not to be undefined"],
  ["expect(1).not.toBeDefined()", "expected 1 to be undefined"],
  ["expect(1).toBeNaN()", "expected 1 to be NaN"],
  ["expect(NaN).not.toBeNaN()", "expected NaN not to be NaN"],
  ["expect([1, 2, 3]).toContain(4)", "expected [ 1, 2, 3 ] to include 4"],
  ["expect('hello').toContain('z')", "expected 'hello' to include 'z'"],
  ["expect([1]).not.toContain(1)", "expected [ 1 ] to not include 1"],
  ["expect([{ a: 1 }]).toContainEqual({ a: 2 })", "expected [ { a: 1 } ] to deep equally contain { a: 2 }"],
  ["expect([{ a: 1 }]).not.toContainEqual({ a: 1 })", "expected [ { a: 1 } ] to not deep equally contain { a: 1 }"],
  ["expect(() => { throw new Error('boom') }).toThrow('boom'); expect(() => { throw new TypeError('x') }).toThrow(TypeError); expect(() => { throw new Error('abc') }).toThrow(/b/)", null],
  ["expect(() => {}).toThrow()", "expected function to throw an error, but it didn't"],
  ["expect(() => { throw new Error('boom') }).not.toThrow()", "expected function to not throw an error but Error: boom was thrown"],
  ["expect(() => { throw new Error('boom') }).toThrow('bam')", "expected [Function] to throw error including 'bam' but got 'boom'"],
  ["expect(() => { throw new Error('boom') }).toThrow(/bam/)", "expected [Function] to throw error matching /bam/ but got 'boom'"],
  ["expect(() => { throw new Error('boom') }).toThrow(TypeError)", "expected error to be instance of TypeError"],
  ["function named() {}; expect(named).toThrow('x')", "expected [Function named] to throw an error"],
  ["expect([]).toBeInstanceOf(Map)", "expected [] to be an instance of Map"],
  ["expect(new Map()).not.toBeInstanceOf(Map)", "expected Map{} to not be an instance of Map"],
  ["expect([1, 2]).toHaveLength(3)", "expected [ 1, 2 ] to have a length of 3 but got 2"],
  ["expect('abc').not.toHaveLength(3)", "expected 'abc' to not have a length of 3"],
  ["expect('hello').toMatch(/z/)", "expected 'hello' to match /z/"],
  ["expect('hello').not.toMatch('ell')", "expected 'hello' not to match 'ell'"],
  ["expect({ a: 1, b: 2 }).toMatchObject({ a: 2 })", "expected { a: 1, b: 2 } to match object { a: 2 }\n\n- Expected\n+ Received\n\n  {\n-   \"a\": 2,\n+   \"a\": 1,\n  }"],
  ["expect({ a: 1, b: 2 }).not.toMatchObject({ a: 1 })", "expected { a: 1, b: 2 } to not match object { a: 1 }"],
  ["expect({ a: { b: 1 } }).toHaveProperty('a.c')", "expected { a: { b: 1 } } to have property \"a.c\""],
  ["expect({ a: { b: 1 } }).toHaveProperty('a.b', 2)", "expected { a: { b: 1 } } to have property \"a.b\" with value 2"],
  ["expect({ a: [{ b: 1 }] }).toHaveProperty('a[0].b', 1); expect({ a: 1 }).toHaveProperty(['a'])", null],
  ["expect({ a: 1 }).not.toHaveProperty('a')", "expected { a: 1 } to not have property \"a\""],
  ["expect(1).toBeGreaterThan(2)", "expected 1 to be greater than 2"],
  ["expect(3).not.toBeGreaterThan(2)", "expected 3 to be not greater than 2"],
  ["expect(1).toBeGreaterThanOrEqual(2)", "expected 1 to be greater than or equal to 2"],
  ["expect(3).toBeLessThan(2)", "expected 3 to be less than 2"],
  ["expect(3).toBeLessThanOrEqual(2)", "expected 3 to be less than or equal to 2"],
  ["expect('1').toBeGreaterThan(0)", "actual value must be number or bigint, received \"string\""],
  ["expect(0.3).toBeCloseTo(0.31)", "expected 0.3 to be close to 0.31, received difference is 0.010000000000000009, but expected 0.005"],
  ["expect(0.1 + 0.2).toBeCloseTo(0.3); expect(0.1 + 0.2).not.toBeCloseTo(0.3)", "expected 0.30000000000000004 to not be close to 0.3, received difference is 5.551115123125783e-17, but expected 0.005"],
  ["expect(1).toBeTypeOf('string')", "expected 1 to be type of 'string'"],
  ["expect('a').not.toBeTypeOf('string')", "expected 'a' not to be type of 'string'"],
  ["expect({ a: 1 }).toEqual({ a: expect.any(String) })", "expected { a: 1 } to deeply equal { a: Any<String> }\n\n- Expected\n+ Received\n\n  {\n-   \"a\": Any<String>,\n+   \"a\": 1,\n  }"],
  ["expect({ a: 'x', b: 0, c: [1, 2, 3], d: 'hello world' }).toEqual({ a: expect.any(String), b: expect.anything(), c: expect.arrayContaining([3, 1]), d: expect.stringContaining('lo w') }); expect({ e: 'abc', f: { g: 1, h: 2 } }).toEqual({ e: expect.stringMatching(/^a/), f: expect.objectContaining({ g: 1 }) })", null],
  ["expect(null).toEqual(expect.anything())", "expected null to deeply equal Anything"],
  ["expect([1, 2]).toEqual(expect.arrayContaining([3]))", "expected [ 1, 2 ] to deeply equal ArrayContaining [ 3 ]\n\n- Expected\n+ Received\n\n- ArrayContaining [\n-   3,\n+ [\n+   1,\n+   2,\n  ]"],
  ["expect('abc').toEqual(expect.not.stringContaining('b'))", "expected 'abc' to deeply equal StringNotContaining 'b'"],
  ["expect({ a: 1 }).toEqual(expect.objectContaining({ b: 1 }))", "expected { a: 1 } to deeply equal ObjectContaining { b: 1 }\n\n- Expected\n+ Received\n\n- ObjectContaining {\n-   \"b\": 1,\n+ {\n+   \"a\": 1,\n  }"],
  ["expect('abc').toEqual(expect.stringMatching(/z/))", "expected 'abc' to deeply equal StringMatching /z/"],
  ["await expect(Promise.resolve(1)).resolves.toBe(1); await expect(Promise.reject(new Error('x'))).rejects.toThrow('x')", null],
  ["await expect(Promise.resolve(1)).resolves.toBe(2)", "expected 1 to be 2 // Object.is equality"],
  ["await expect(Promise.reject(new Error('no'))).resolves.toBe(2)", "promise rejected \"Error: no\" instead of resolving"],
  ["await expect(Promise.resolve(1)).rejects.toBe(2)", "promise resolved \"1\" instead of rejecting"],
  ["await expect(1).resolves.toBe(1)", "You must provide a Promise to expect() when using .resolves, not 'number'."],
  ["const f = jest.fn(); expect(f).toHaveBeenCalled()", "expected \"jest.fn()\" to be called at least once"],
  ["const f = jest.fn(); f(1); expect(f).not.toHaveBeenCalled()", "expected \"jest.fn()\" to not be called at all, but actually been called 1 times\n\nReceived:\n\n  1st jest.fn() call:\n\n    [\n      1,\n    ]\n\n\nNumber of calls: 1\n"],
  ["const f = vi.fn(); f(); expect(f).toHaveBeenCalledTimes(2)", "expected \"vi.fn()\" to be called 2 times, but got 1 times"],
  ["const f = mock.fn(); f(); expect(f).not.toHaveBeenCalledTimes(1)", "expected \"mock.fn()\" to not be called 1 times"],
  ["const f = jest.fn(); expect(f).toHaveBeenCalledWith(1)", "expected \"jest.fn()\" to be called with arguments: [ 1 ]\n\nNumber of calls: 0\n"],
  ["const f = jest.fn(); f(1); f(2); expect(f).toHaveBeenLastCalledWith(1)", "expected last \"jest.fn()\" call to have been called with [ 1 ]\n\n- Expected\n+ Received\n\n  [\n-   1,\n+   2,\n  ]"],
  ["const f = jest.fn(); f(1); f(2); expect(f).toHaveBeenNthCalledWith(1, 2)", "expected 1st \"jest.fn()\" call to have been called with [ 2 ]\n\n- Expected\n+ Received\n\n  [\n-   2,\n+   1,\n  ]"],
  ["const f = jest.fn(); f(1); expect(f).toHaveBeenNthCalledWith(2, 1)", "expected 2nd \"jest.fn()\" call to have been called with [ 1 ]\n\nNumber of calls: 1\n"],
  ["const f = jest.fn(() => { throw new Error('x') }); try { f() } catch {}; expect(f).toHaveReturned()", "expected \"jest.fn()\" to be successfully called at least once"],
  ["const f = jest.fn(() => 1); f(); expect(f).not.toHaveReturned()", "expected \"jest.fn()\" to not be successfully called"],
  ["const f = jest.fn(() => 1); f(); expect(f).toHaveReturnedTimes(2)", "expected \"jest.fn()\" to be successfully called 2 times, but got 1 times"],
  ["const f = jest.fn(() => 1); f(); expect(f).toHaveReturnedWith(2)", "expected \"jest.fn()\" to return with: 2 at least once"],
  ["const f = jest.fn(() => 1); f(); expect(f).not.toHaveReturnedWith(1)", "expected \"jest.fn()\" to not return with: 1"],
  ["const f = jest.fn((x) => x); f(1); f(2); expect(f).toHaveLastReturnedWith(1)", "expected last \"jest.fn()\" call to return 1"],
  ["const f = jest.fn((x) => x); f(1); f(2); expect(f).toHaveNthReturnedWith(1, 2)", "expected 1st \"jest.fn()\" call to return 2"],
  ["const f = jest.fn((x) => x); f(1); f(2); expect(f).toHaveBeenCalled(); expect(f).toHaveBeenCalledTimes(2); expect(f).toHaveBeenCalledWith(2); expect(f).toHaveBeenLastCalledWith(2); expect(f).toHaveBeenNthCalledWith(1, 1); expect(f).toHaveReturned(); expect(f).toHaveReturnedTimes(2); expect(f).toHaveReturnedWith(1); expect(f).toHaveLastReturnedWith(2); expect(f).toHaveNthReturnedWith(2, 2)", null],
  ["expect(() => 1).toHaveBeenCalled()", "[Function] is not a spy or a call to a spy!"],
  ["expect({ a: 'x', b: 2, c: 3 }).toEqual({ a: expect.any(String), b: 3, c: 3 })", "expected { a: 'x', b: 2, c: 3 } to deeply equal { a: Any<String>, b: 3, c: 3 }\n\n- Expected\n+ Received\n\n  {\n    \"a\": \"x\",\n-   \"b\": 3,\n+   \"b\": 2,\n    \"c\": 3,\n  }"],
  ["expect([, 1]).toStrictEqual([undefined, 1])", "expected [ <empty>, 1 ] to strictly equal [ undefined, 1 ]\n\n- Expected\n+ Received\n\n  [\n-   undefined,\n+   <empty>,\n    1,\n  ]"],
  ["expect(() => { throw new Error('boom') }).not.toThrow()", "expected function to not throw an error but Error: boom was thrown"],
  ["await expect(Promise.reject(new Error('no'))).resolves.toBe(2)", "promise rejected \"Error: no\" instead of resolving"],

]

describe('expect matchers', () => {
  it('pass and fail with Vitest\'s messages', async () => {
    const r = await run(MATCHERS.map(([body], i) => `test(${JSON.stringify(String(i))}, async () => { ${body} })`).join('\n'))
    expect(r.total).toBe(MATCHERS.length)
    const got = r.tests.map((t, i) => [MATCHERS[i][0], t.status === 'pass' ? null : t.error!.message])
    expect(got).toEqual(MATCHERS)
  })

  it('fill expected, actual and matcherName with the formatted values', async () => {
    const r = await run(`
      test('toBe', () => expect(2).toBe(3))
      test('toEqual', () => expect({ b: [1, 'x'], a: 1 }).toEqual({ a: 1, b: [1, 'y'] }))
      test('thrown', () => { throw new TypeError('bad') })
    `)
    expect(r.tests[0].error).toMatchObject({ expected: '3', actual: '2', matcherName: 'toBe' })
    // Keys sorted, strings double-quoted, trailing commas: the format the diff is made of.
    expect(r.tests[1].error).toMatchObject({
      expected: '{\n  "a": 1,\n  "b": [\n    1,\n    "y",\n  ],\n}',
      actual: '{\n  "a": 1,\n  "b": [\n    1,\n    "x",\n  ],\n}',
      matcherName: 'toEqual',
    })
    expect(r.tests[1].error!.message).toBe(
      `expected { b: [ 1, 'x' ], a: 1 } to deeply equal { a: 1, b: [ 1, 'y' ] }\n\n- Expected\n+ Received\n\n  {\n    "a": 1,\n    "b": [\n      1,\n-     "y",\n+     "x",\n    ],\n  }`,
    )
    expect(r.tests[2].error).toEqual({ message: 'bad', name: 'TypeError', stack: expect.stringMatching(/^TypeError: bad\n    at .*tests\.js:4:/) })
    // The stack names the test's own line, and none of the framework's frames.
    expect(r.tests[0].error!.stack).toMatch(/^AssertionError: expected 2 to be 3 \/\/ Object.is equality\n    at .*tests\.js:2:\d+\)?$/)
  })

  it('compare deeply as Jest does: cycles, classes, typed arrays, errors, Map/Set order', async () => {
    const r = await run(`
      test('cycles', () => { const a = { n: 1 }; a.self = a; const b = { n: 1 }; b.self = b; expect(a).toEqual(b) })
      test('class vs plain for toEqual', () => { class P { constructor() { this.x = 1 } }; expect(new P()).toEqual({ x: 1 }) })
      test('typed arrays differ', () => expect(new Uint8Array([1, 2])).toEqual(new Uint8Array([1, 3])))
      test('kinds differ', () => expect(new Uint8Array([1])).toEqual(new Int8Array([1])))
      test('buffers', () => { expect(new Uint8Array([1, 2]).buffer).toEqual(new Uint8Array([1, 2]).buffer); expect(new ArrayBuffer(2)).not.toEqual(new ArrayBuffer(3)) })
      test('errors', () => { expect(new Error('a')).toEqual(new Error('a')); expect(new Error('a')).not.toEqual(new Error('b')); expect(new TypeError('a')).not.toEqual(new Error('a')) })
      test('sets and maps ignore order', () => { expect(new Set([{ a: 1 }, 2])).toEqual(new Set([2, { a: 1 }])); expect(new Map([['x', 1], ['y', 2]])).toEqual(new Map([['y', 2], ['x', 1]])) })
      test('dates', () => expect(new Date(1)).toEqual(new Date(2)))
      test('regexps', () => expect(/a/g).toEqual(/a/i))
      test('boxed', () => { expect(new Number(1)).toEqual(new Number(1)); expect(new String('a')).not.toEqual('a') })
      test('undefined props', () => { expect({ a: undefined, b: 1 }).toEqual({ b: 1 }); expect({ a: undefined, b: 1 }).not.toStrictEqual({ b: 1 }) })
      test('null prototype', () => { expect(Object.assign(Object.create(null), { a: 1 })).toEqual({ a: 1 }); expect(Object.assign(Object.create(null), { a: 1 })).not.toStrictEqual({ a: 1 }) })
    `)
    expect(r.tests.map((t) => t.status)).toEqual(['pass', 'pass', 'fail', 'fail', 'pass', 'pass', 'pass', 'fail', 'fail', 'pass', 'pass', 'pass'])
    expect(r.tests[2].error!.message).toBe('expected Uint8Array[ 1, 2 ] to deeply equal Uint8Array[ 1, 3 ]\n\n- Expected\n+ Received\n\n  Uint8Array [\n    1,\n-   3,\n+   2,\n  ]')
    expect(r.tests[7].error!.message).toBe('expected 1970-01-01T00:00:00.001Z to deeply equal 1970-01-01T00:00:00.002Z\n\n- Expected\n+ Received\n\n- 1970-01-01T00:00:00.002Z\n+ 1970-01-01T00:00:00.001Z')
    expect(r.tests[8].error!.message).toBe('expected /a/g to deeply equal /a/i\n\n- Expected\n+ Received\n\n- /a/i\n+ /a/g')
  })

  it('truncate long values in headlines like Vitest (…(n) items left out)', async () => {
    const r = await run(`
      test('array', () => expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]).toEqual([]))
      test('object', () => expect({ alpha: 1, beta: 2, gamma: 3, delta: 4, epsilon: 5 }).toBe(1))
    `)
    expect(r.tests[0].error!.message.split('\n')[0]).toBe('expected [ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …(8) ] to deeply equal []')
    expect(r.tests[1].error!.message).toBe('expected { alpha: 1, beta: 2, gamma: 3, …(2) } to be 1 // Object.is equality')
  })

  it('expect.assertions and expect.hasAssertions count the assertions of a test', async () => {
    const r = await run(`
      test('a', () => { expect.assertions(2); expect(1).toBe(1) })
      test('b', async () => { expect.assertions(1); await Promise.resolve(); expect(1).toBe(1) })
      test('c', () => { expect.hasAssertions() })
    `)
    expect(r.tests.map((t) => [t.status, t.error?.message])).toEqual([
      ['fail', 'expected number of assertions to be 2, but got 1'],
      ['pass', undefined],
      ['fail', 'expected any number of assertion, but got none'],
    ])
  })

  it('expect.extend adds matchers', async () => {
    const r = await run(`
      expect.extend({ toBeEven(n) { return { pass: n % 2 === 0, message: () => 'expected ' + n + (this.isNot ? ' not' : '') + ' to be even' } } })
      test('a', () => { expect(2).toBeEven(); expect(3).not.toBeEven() })
      test('b', () => expect(3).toBeEven())
      test('c', () => expect(2).not.toBeEven())
    `)
    expect(r.tests.map((t) => t.error?.message)).toEqual([undefined, 'expected 3 to be even', 'expected 2 not to be even'])
  })

  it('reject matcher misuse with a TypeError that says what to pass', async () => {
    const r = await run(`
      test('a', () => expect('x').toHaveLength(-1))
      test('b', () => expect(1).toMatch(/x/))
      test('c', () => expect(1).toBeInstanceOf(1))
      test('d', () => expect(1).toBeTypeOf('strnig'))
      test('e', () => expect(1).toContain(1))
    `)
    expect(r.tests.map((t) => [t.error?.name, t.error?.message])).toEqual([
      ['TypeError', 'toHaveLength() expects a non-negative integer (got -1)'],
      ['TypeError', '.toMatch() expects to receive a string, but got number'],
      ['TypeError', 'toBeInstanceOf() expects a class or constructor function (got 1)'],
      ['TypeError', "toBeTypeOf() expects a valid type: bigint, boolean, function, number, object, string, symbol, undefined (got 'strnig')"],
      ['TypeError', 'toContain() expects an array, a string or a Set (got 1)'],
    ])
  })
})

describe('mock functions', () => {
  it('record calls, results, instances and honour the mock* methods', async () => {
    const { rt, log } = await logging()
    await rt.eval(`
      test('mocks', async () => {
        const f = jest.fn((a, b) => a + b)
        f(1, 2)
        const self = { f }
        self.f(3, 4)
        f.mockReturnValueOnce('once').mockReturnValue('always')
        log([f(), f(), f.mock.calls, f.mock.results, f.mock.instances[1] === self, f.mock.contexts[0], f.mock.lastCall])
        const g = vi.fn().mockResolvedValueOnce(1).mockResolvedValue(2).mockRejectedValueOnce(new Error('no'))
        log([await g(), await g().catch((e) => e.message), await g()])
        const h = mock.fn().mockImplementationOnce(() => 'a').mockImplementation(() => 'b')
        log([h(), h(), h.getMockName(), h.mockName('named').getMockName(), jest.isMockFunction(h), jest.isMockFunction(() => {})])
        const t = jest.fn().mockReturnThis(); const o = { t }
        log([o.t() === o])
        const c = jest.fn(function () { this.made = true }); const made = new c()
        log([made.made, c.mock.instances[0] === made])
        const r = jest.fn().mockRejectedValue('r')
        log([await r().catch((e) => e)])
        f.mockClear(); log([f.mock.calls.length, f()])
        f.mockReset(); log([f(7, 8)])
        const thrower = jest.fn(() => { throw new Error('x') }); try { thrower() } catch {}
        log([thrower.mock.results[0].type, thrower.mock.results[0].value.message])
      })
    `)
    const r = await rt.testEnvironment.runTests()
    expect(r.tests[0].error).toBeUndefined()
    expect(log).toEqual([
      ['once', 'always', [[1, 2], [3, 4], [], []], [{ type: 'return', value: 3 }, { type: 'return', value: 7 }, { type: 'return', value: 'once' }, { type: 'return', value: 'always' }], true, undefined, []],
      [1, 'no', 2],
      ['a', 'b', 'mock.fn()', 'named', true, false],
      [true],
      [true, true],
      ['r'],
      [0, 'always'],
      [15],
      ['throw', 'x'],
    ])
  })

  it('spyOn wraps a method, records calls, and mockRestore puts the original back', async () => {
    const { rt, log } = await logging()
    await rt.eval(`
      test('spy', () => {
        const calc = { base: 10, add(n) { return this.base + n } }
        const original = calc.add
        const spy = jest.spyOn(calc, 'add')
        log([calc.add(1), spy.mock.calls, calc.add === spy, spy.getMockName()])
        spy.mockReturnValue(0)
        log([calc.add(1)])
        spy.mockRestore()
        log([calc.add === original, calc.add(2)])
        class K { hi() { return 'hi' } }
        const k = new K()
        const s2 = vi.spyOn(k, 'hi').mockImplementation(() => 'mocked')
        log([k.hi(), Object.hasOwn(k, 'hi')])
        vi.restoreAllMocks()
        log([k.hi(), Object.hasOwn(k, 'hi')])
        const obj = { get v() { return 1 } }
        const g = jest.spyOn(obj, 'v', 'get').mockReturnValue(5)
        log([obj.v, g.mock.calls.length])
        let err = []
        try { jest.spyOn(obj, 'nope') } catch (e) { err.push(e.name + ': ' + e.message) }
        try { jest.spyOn({ x: 1 }, 'x') } catch (e) { err.push(e.name + ': ' + e.message) }
        try { jest.spyOn(null, 'x') } catch (e) { err.push(e.name + ': ' + e.message) }
        log(err)
      })
    `)
    const r = await rt.testEnvironment.runTests()
    expect(r.tests[0].error).toBeUndefined()
    expect(log).toEqual([
      [11, [[1]], true, 'add'],
      [0],
      [true, 12],
      ['mocked', true],
      ['hi', false],
      [5, 1],
      [
        'TypeError: spyOn: nope does not exist on { v: 5 }',
        'TypeError: spyOn: cannot spy on x because it is not a function; number given instead',
        'TypeError: spyOn could not find an object to spy upon for \'x\': null is not an object',
      ],
    ])
  })
})

describe('declaring and running tests', () => {
  it('run suites and tests in declaration order, with names, paths and counts', async () => {
    const r = await run(`
      test('top', () => {})
      describe('outer', () => {
        it('first', () => {})
        describe('inner', () => {
          it('deep', () => { throw new Error('x') })
        })
        it('last', () => {})
      })
    `)
    expect(r.tests.map((t) => [t.fullName, t.suitePath, t.name, t.status])).toEqual([
      ['top', [], 'top', 'pass'],
      ['outer > first', ['outer'], 'first', 'pass'],
      ['outer > inner > deep', ['outer', 'inner'], 'deep', 'fail'],
      ['outer > last', ['outer'], 'last', 'pass'],
    ])
    expect(r.suites.map(({ duration, ...s }) => s)).toEqual([
      { name: 'outer', path: [], fullName: 'outer', depth: 0, passed: 2, failed: 1, skipped: 0, todo: 0 },
      { name: 'inner', path: ['outer'], fullName: 'outer > inner', depth: 1, passed: 0, failed: 1, skipped: 0, todo: 0 },
    ])
    expect(r).toMatchObject({ passed: 3, failed: 1, skipped: 0, todo: 0, total: 4, success: false })
    expect(typeof r.duration).toBe('number')
  })

  it('run hooks in Vitest\'s order: beforeEach outer→inner, afterEach and afterAll in reverse', async () => {
    const { rt, log } = await logging()
    await rt.eval(`
      beforeAll(() => log('beforeAll'))
      afterAll(() => log('afterAll'))
      beforeEach(() => log('beforeEach'))
      afterEach(() => log('afterEach'))
      test('a', () => log('test a'))
      describe('s', () => {
        beforeAll(() => log('s beforeAll'))
        beforeAll(() => { log('s beforeAll 2'); return () => log('s beforeAll 2 cleanup') })
        afterAll(() => log('s afterAll 1'))
        afterAll(() => log('s afterAll 2'))
        beforeEach(() => { log('s beforeEach'); return () => log('s beforeEach cleanup') })
        afterEach(() => log('s afterEach 1'))
        afterEach(() => log('s afterEach 2'))
        test('b', () => log('test b'))
      })
    `)
    const r = await rt.testEnvironment.runTests()
    expect(r.success).toBe(true)
    expect(log).toEqual([
      'beforeAll',
      'beforeEach', 'test a', 'afterEach',
      's beforeAll', 's beforeAll 2',
      'beforeEach', 's beforeEach', 'test b', 's afterEach 2', 's afterEach 1', 'afterEach', 's beforeEach cleanup',
      's afterAll 2', 's afterAll 1', 's beforeAll 2 cleanup',
      'afterAll',
    ])
  })

  it('fail the tests of a suite whose beforeAll throws, the test whose beforeEach or afterEach throws, and report afterAll errors', async () => {
    const { rt, log } = await logging()
    await rt.eval(`
      describe('broken setup', () => {
        beforeAll(() => { throw new Error('setup failed') })
        afterAll(() => log('afterAll still runs'))
        test('a', () => log('never'))
        describe('nested', () => { test('b', () => log('never')) })
      })
      describe('each', () => {
        beforeEach(() => { throw new Error('beforeEach failed') })
        afterEach(() => log('afterEach still runs'))
        test('c', () => log('never'))
      })
      describe('after', () => {
        afterEach(() => { throw new Error('afterEach failed') })
        afterAll(() => { throw new Error('teardown failed') })
        test('d', () => log('d ran'))
      })
    `)
    const r = await rt.testEnvironment.runTests()
    expect(r.tests.map((t) => [t.fullName, t.status, t.error?.message])).toEqual([
      ['broken setup > a', 'fail', 'setup failed'],
      ['broken setup > nested > b', 'fail', 'setup failed'],
      ['each > c', 'fail', 'beforeEach failed'],
      ['after > d', 'fail', 'afterEach failed'],
    ])
    expect(log).toEqual(['afterAll still runs', 'afterEach still runs', 'd ran'])
    expect(r.success).toBe(false)
    expect(r.errors).toEqual([expect.objectContaining({ message: 'teardown failed', hook: 'afterAll', suitePath: ['after'] })])
  })

  it('honour .only, .skip and .todo as Vitest does', async () => {
    const r = await run(`
      test('plain', () => {})
      test.only('focused', () => {})
      test.skip('skipped', () => {})
      test.todo('todo')
      test('no body')
      describe.only('focused suite', () => {
        test('runs', () => {})
        test.skip('still skipped', () => {})
      })
      describe.skip('skipped suite', () => { test.only('only inside skip', () => {}) })
      describe('other', () => { it('not focused', () => {}); it.only('focused inside', () => {}) })
    `)
    expect(r.tests.map((t) => [t.fullName, t.status])).toEqual([
      ['plain', 'skip'],
      ['focused', 'pass'],
      ['skipped', 'skip'],
      ['todo', 'todo'],
      ['no body', 'todo'],
      ['focused suite > runs', 'pass'],
      ['focused suite > still skipped', 'skip'],
      ['skipped suite > only inside skip', 'skip'],
      ['other > not focused', 'skip'],
      ['other > focused inside', 'pass'],
    ])
    expect(r).toMatchObject({ passed: 3, failed: 0, skipped: 5, todo: 2, total: 10, success: true })
    expect(r.tests.filter((t) => t.status !== 'pass').every((t) => t.duration === 0)).toBe(true)
  })

  it('run a suite without .only normally, and skipIf/runIf/context.skip()', async () => {
    const r = await run(`
      test.skipIf(true)('skip if', () => {})
      test.runIf(false)('run if', () => {})
      test.skipIf(false)('not skipped', () => {})
      test('dynamic skip', (ctx) => { ctx.skip(); throw new Error('unreachable') })
      test('context', ({ expect, task }) => { expect(task.name).toBe('context') })
    `)
    expect(r.tests.map((t) => t.status)).toEqual(['skip', 'skip', 'pass', 'skip', 'pass'])
    // A parameter named done is Jest's callback (which is also the context).
    const d = await run(`test('done', (done) => { setTimeout(done, 5) }); test('ctx named', (context) => { context.expect(1).toBe(1) })`, {
      testEnvironment: { testTimeout: 2000 },
    })
    expect(d.tests.map((t) => [t.status, t.duration >= 4])).toEqual([['pass', true], ['pass', false]])
  })

  it('expand .each tables: arrays, objects, tagged templates, printf and $name titles', async () => {
    const { rt, log } = await logging()
    await rt.eval(`
      test.each([[1, 1, 2], [2, 3, 5]])('add(%i, %i) -> %i', (a, b, sum) => { log([a, b, sum]); expect(a + b).toBe(sum) })
      test.each([1, 'two'])('value %s #%# %$ %%', (v) => log(v))
      test.each([{ a: 1, b: { c: 'x' } }])('object $a $b.c %o', (row) => log(row))
      test.each\`
        a    | b    | expected
        \${1} | \${1} | \${2}
        \${2} | \${'x'} | \${'2x'}
      \`('returns $expected for $a + $b', ({ a, b, expected }) => expect(a + b).toBe(expected))
      describe.each([['A'], ['B']])('suite %s', (name) => { test('in ' + name, () => log(name)) })
      test.only.each([[9]])('only each %d', (n) => log(n))
      test.skip.each([[0]])('skip each %d', () => log('never'))
    `)
    const r = await rt.testEnvironment.runTests()
    expect(r.tests.map((t) => [t.fullName, t.status])).toEqual([
      ['add(1, 1) -> 2', 'skip'],
      ['add(2, 3) -> 5', 'skip'],
      ['value 1 #0 1 %', 'skip'],
      ['value two #1 2 %', 'skip'],
      ["object 1 'x' { a: 1, b: { c: 'x' } }", 'skip'],
      ['returns 2 for 1 + 1', 'skip'],
      ["returns '2x' for 2 + 'x'", 'skip'],
      ['suite A > in A', 'skip'],
      ['suite B > in B', 'skip'],
      ['only each 9', 'pass'],
      ['skip each 0', 'skip'],
    ])
    expect(log).toEqual([9])
    await rt.eval(`expect.assertions`) // the runtime goes on after a run
  })

  it('run .each rows with their values when nothing is focused', async () => {
    const { rt, log } = await logging()
    await rt.eval(`
      test.each([[1, 1, 2], [2, 3, 6]])('add(%i, %i) -> %i', (a, b, sum) => { log([a, b, sum]); expect(a + b).toBe(sum) })
      test.each\`
        a    | b      | expected
        \${1} | \${1}   | \${2}
        \${2} | \${'x'} | \${'2x'}
      \`('returns $expected for $a + $b', ({ a, b, expected }) => expect(a + b).toBe(expected))
    `)
    const r = await rt.testEnvironment.runTests()
    expect(r.tests.map((t) => [t.name, t.status, t.error?.message])).toEqual([
      ['add(1, 1) -> 2', 'pass', undefined],
      ['add(2, 3) -> 6', 'fail', 'expected 5 to be 6 // Object.is equality'],
      ['returns 2 for 1 + 1', 'pass', undefined],
      ["returns '2x' for 2 + 'x'", 'pass', undefined],
    ])
    expect(log).toEqual([[1, 1, 2], [2, 3, 6]])
  })

  it('reject malformed declarations with errors that say what to pass', async () => {
    const rt = await createRuntime({ testEnvironment: true })
    const messages = []
    for (const code of [
      `test('x', 5)`,
      `describe('x', async () => {})`,
      'test.each`a | b\n${1}`("t", () => {})',
      `test.each(5)('t', () => {})`,
      `beforeEach('nope')`,
      `test('x', () => {}, -5)`,
    ]) {
      messages.push(await rt.eval(code).then(() => 'no error', (e) => `${e.name}: ${e.message}`))
    }
    expect(messages).toEqual([
      'TypeError: test("x", fn): fn must be a function (got 5)',
      'Error: describe("x"): returning a Promise from describe() is not supported; tests must be declared synchronously',
      'TypeError: each`…`: the table has 1 values for 2 columns; each row needs one value per column',
      'TypeError: .each(table): table must be an array of rows or a tagged template (got 5)',
      "TypeError: beforeEach(fn): fn must be a function (got 'nope')",
      'RangeError: test(): the timeout must be a positive number of milliseconds (got -5)',
    ])
  })

  it('forbid declaring tests while tests run', async () => {
    const r = await run(`test('nested', () => { test('inner', () => {}) })`)
    expect(r.tests[0].error!.message).toBe('test() cannot be called while tests are running (inside a test or hook): declare tests at the top level or inside describe()')
    expect(r.total).toBe(1)
  })
})

describe('async tests and timeouts', () => {
  it('wait for promises, thenables and done callbacks', async () => {
    const r = await run(`
      test('async', async () => { await new Promise((r) => setTimeout(r, 20)); expect(1).toBe(1) })
      test('async fails', async () => { await null; expect(1).toBe(2) })
      test('rejects with a non-error', () => Promise.reject(42))
      test('thenable', () => ({ then(ok) { setTimeout(ok, 5) } }))
      test('done', (done) => { setTimeout(() => done(), 5) })
      test('done with error', (done) => { setTimeout(() => done(new Error('via done')), 5) })
    `)
    expect(r.tests.map((t) => [t.name, t.status, t.error?.message])).toEqual([
      ['async', 'pass', undefined],
      ['async fails', 'fail', 'expected 1 to be 2 // Object.is equality'],
      ['rejects with a non-error', 'fail', 'thrown: 42'],
      ['thenable', 'pass', undefined],
      ['done', 'pass', undefined],
      ['done with error', 'fail', 'via done'],
    ])
    expect(r.tests[0].duration).toBeGreaterThanOrEqual(15)
  })

  it('fail a test past its timeout (its own, then testTimeout, default 5000) and go on', async () => {
    const r = await run(
      `
      test('own timeout', () => new Promise(() => {}), 30)
      test('options timeout', { timeout: 40 }, () => new Promise(() => {}))
      test('default', () => new Promise(() => {}))
      test('done never called', (done) => {})
      test('after', () => {})
      describe('hooks', () => { beforeEach(() => new Promise(() => {})); test('x', () => {}) })
    `,
      { testEnvironment: { testTimeout: 60 } },
    )
    const msg = (ms: number, what = 'test') =>
      `${what === 'test' ? 'Test' : 'Hook'} timed out in ${ms}ms.\nIf this is a long-running ${what}, pass a timeout value as the last argument or configure it globally with "testTimeout".`
    expect(r.tests.map((t) => [t.name, t.status, t.error?.message])).toEqual([
      ['own timeout', 'fail', msg(30)],
      ['options timeout', 'fail', msg(40)],
      ['default', 'fail', msg(60)],
      ['done never called', 'fail', msg(60)],
      ['after', 'pass', undefined],
      ['x', 'fail', msg(60, 'hook')],
    ])
    expect(r.tests[0].duration).toBeGreaterThanOrEqual(29)
    expect(r.tests[0].duration).toBeLessThan(1000)
  })

  it('end a test that loops forever with the runtime\'s TimeoutError; events before it were delivered', async () => {
    const events: any[] = []
    const rt = await createRuntime({ executionTimeout: 300, testEnvironment: { onEvent: (e) => events.push(e) } })
    await rt.eval(`test('ok', () => {}); test('spins', () => { for (;;) {} }); test('never', () => {})`)
    const e = await rejectionOf(() => rt.testEnvironment.runTests())
    expect(e).toBeInstanceOf(TimeoutError)
    // The run's deadline says "Test timed out" (as @ricsam/isolate-runtime does); the spinning task's
    // own executionTimeout, due at about the same time, may end it first.
    expect(e.message).toMatch(/^(Test|Execution) timed out after 300ms$/)
    expect(events.map((e) => e.type + ':' + (e.test?.name ?? ''))).toEqual(['runStart:', 'testStart:ok', 'testEnd:ok', 'testStart:spins'])
    const later = thrownBy(() => rt.testEnvironment.hasTests())
    expect(later).toBeInstanceOf(RuntimeDisposedError)
    expect(later.message).toMatch(/^Runtime has been disposed/)
  })

  it('end a run past cpuTimeLimit with CpuLimitError', async () => {
    const rt = await createRuntime({ cpuTimeLimit: 100, testEnvironment: true })
    await rt.eval(`test('spins', () => { for (;;) {} })`)
    expect(await rejectionOf(() => rt.testEnvironment.runTests())).toBeInstanceOf(CpuLimitError)
  })

  it('bound the whole run with runTests(timeout), awaiting included', async () => {
    const rt = await createRuntime({ testEnvironment: { testTimeout: 60_000 } })
    await rt.eval(`test('waits', () => new Promise(() => {}))`)
    const started = Date.now()
    const e = await rejectionOf(() => rt.testEnvironment.runTests(150))
    expect(e).toBeInstanceOf(TimeoutError)
    expect(e.message).toBe('Test timed out after 150ms')
    expect(Date.now() - started).toBeLessThan(5000)
    const rt2 = await createRuntime({ testEnvironment: true })
    expect((await rejectionOf(() => rt2.testEnvironment.runTests(-1))).message).toBe('runTests(timeout): timeout must be a positive number of milliseconds (got -1)')
  })
})

describe('runtime.testEnvironment', () => {
  it('report events in order, on Node\'s main thread, as tests run', async () => {
    const events: any[] = []
    const rt = await createRuntime({ testEnvironment: { onEvent: (e) => events.push(e) } })
    await rt.eval(`
      test('a', () => {})
      describe('s', () => { test('b', () => { throw new Error('no') }); test.skip('c', () => {}) })
    `)
    const r = await rt.testEnvironment.runTests()
    expect(events.map((e) => [e.type, e.test?.fullName ?? e.suite?.fullName ?? ''])).toEqual([
      ['runStart', ''],
      ['testStart', 'a'],
      ['testEnd', 'a'],
      ['suiteStart', 's'],
      ['testStart', 's > b'],
      ['testEnd', 's > b'],
      ['testStart', 's > c'],
      ['testEnd', 's > c'],
      ['suiteEnd', 's'],
      ['runEnd', ''],
    ])
    expect(events[0]).toEqual({ type: 'runStart', testCount: 3, suiteCount: 1 })
    expect(events[1]).toEqual({ type: 'testStart', test: { name: 'a', suitePath: [], fullName: 'a' } })
    expect(events[3]).toEqual({ type: 'suiteStart', suite: { name: 's', path: [], fullName: 's', depth: 0 } })
    expect(events[5].test).toMatchObject({ status: 'fail', error: { message: 'no' } })
    expect(events[8].suite).toMatchObject({ name: 's', passed: 0, failed: 1, skipped: 1, todo: 0 })
    expect(events[9].results).toEqual(r)
  })

  it('go on when onEvent throws', async () => {
    const rt = await createRuntime({ testEnvironment: { onEvent: () => { throw new Error('listener') } } })
    await rt.eval(`test('a', () => {})`)
    expect((await rt.testEnvironment.runTests()).passed).toBe(1)
  })

  it('count, reset and run again', async () => {
    const rt = await createRuntime({ testEnvironment: true })
    const te = rt.testEnvironment
    expect(rt.testEnvironment).toBe(te)
    // Plain values, synchronously, as the family's in-process runtime gives them.
    expect(te.hasTests()).toBe(false)
    expect(te.getTestCount()).toBe(0)
    await rt.eval(`test('a', () => {}); describe('s', () => { test('b', () => {}); test.todo('c') })`)
    expect(te.hasTests()).toBe(true)
    expect(te.getTestCount()).toBe(3)
    // Code written for the daemon client awaits them: that keeps working.
    expect(await te.hasTests()).toBe(true)
    expect(await te.getTestCount()).toBe(3)
    expect((await te.runTests()).total).toBe(3)
    expect((await te.runTests()).total).toBe(3)
    expect(te.getTestCount()).toBe(3)
    expect(te.reset()).toBeUndefined()
    expect(te.getTestCount()).toBe(0)
    expect(te.hasTests()).toBe(false)
    expect(await te.reset()).toBeUndefined()
    await rt.eval(`test('new', () => expect(1).toBe(2))`)
    expect(te.getTestCount()).toBe(1)
    const r = await te.runTests()
    expect(r.tests.map((t) => t.name)).toEqual(['new'])
    expect(r.success).toBe(false)
  })

  it('give counts current the moment an eval settles, and reset before the next eval runs', async () => {
    const rt = await createRuntime({ testEnvironment: true })
    const te = rt.testEnvironment
    // Declared after an await inside the eval: still counted when the eval settles.
    await rt.eval(`test('a', () => {}); await new Promise((r) => setTimeout(r, 20)); describe('s', () => { test('b', () => {}) })`)
    expect(te.getTestCount()).toBe(2)
    // A describe whose body throws keeps what it declared, as the run would see it.
    await rt.eval(`try { describe('t', () => { test('c', () => {}); throw new Error('x') }) } catch {}`)
    expect(te.getTestCount()).toBe(3)
    // reset() without awaiting anything, then an eval: the eval sees no earlier tests.
    te.reset()
    await rt.eval(`test('only', () => {})`)
    expect(te.getTestCount()).toBe(1)
    expect((await te.runTests()).tests.map((t) => t.name)).toEqual(['only'])
    // A test declared while tests run is refused, so the count stays.
    await rt.eval(`test('declares', () => { try { test('late', () => {}) } catch {} })`)
    expect(te.getTestCount()).toBe(2)
    await te.runTests()
    expect(te.getTestCount()).toBe(2)
    await rt.dispose()
    for (const call of [() => te.hasTests(), () => te.getTestCount(), () => te.reset()]) {
      expect(thrownBy(call)).toBeInstanceOf(RuntimeDisposedError)
    }
  })

  it('refuse a second run while one is in progress', async () => {
    const rt = await createRuntime({ testEnvironment: true })
    await rt.eval(`test('slow', () => new Promise((r) => setTimeout(r, 50)))`)
    const first = rt.testEnvironment.runTests()
    const second = await rejectionOf(() => rt.testEnvironment.runTests())
    expect(second.message).toBe('runTests(): a test run is already in progress in this runtime')
    const reset = thrownBy(() => rt.testEnvironment.reset())
    expect(reset.message).toBe('reset(): a test run is in progress; wait for runTests() to settle first')
    // Refused at once, even before the isolate has started the run.
    const again = rt.testEnvironment.runTests()
    again.catch(() => {}) // awaited below, after the first run
    expect(thrownBy(() => rt.testEnvironment.reset()).message).toBe('reset(): a test run is in progress; wait for runTests() to settle first')
    expect((await first).passed).toBe(1)
    expect((await rejectionOf(() => again)).message).toBe('runTests(): a test run is already in progress in this runtime')
    expect(rt.testEnvironment.getTestCount()).toBe(1)
  })

  it('has no test globals and rejects with a TypeError without the option', async () => {
    const seen: unknown[] = []
    const rt = await createRuntime({ customFunctions: { report: { type: 'sync', fn: (x: unknown) => void seen.push(x) } } })
    await rt.eval(`report([typeof describe, typeof it, typeof test, typeof expect, typeof jest, typeof vi, typeof mock, typeof beforeEach])`)
    expect(seen).toEqual([['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined']])
    const message = 'testEnvironment is not enabled for this runtime: pass { testEnvironment: true } (or { testEnvironment: { onEvent, testTimeout } }) to createRuntime'
    const e = await rejectionOf(() => rt.testEnvironment.runTests())
    expect(e).toBeInstanceOf(TypeError)
    expect(e.message).toBe(message)
    for (const call of [() => rt.testEnvironment.hasTests(), () => rt.testEnvironment.getTestCount(), () => rt.testEnvironment.reset()]) {
      const e = thrownBy(call)
      expect(e).toBeInstanceOf(TypeError)
      expect(e.message).toBe(message)
    }
    const off = await createRuntime({ testEnvironment: false })
    expect((await rejectionOf(() => off.testEnvironment.runTests())).message).toBe(message)
  })

  it('validate the option', async () => {
    expect((await rejectionOf(() => createRuntime({ testEnvironment: 5 as any }))).message).toBe(
      'createRuntime(options): testEnvironment must be true or an object such as { onEvent(event) {}, testTimeout: 5000 }',
    )
    const e = await rejectionOf(() => createRuntime({ testEnvironment: { testTimeout: 0 } }))
    expect(e).toBeInstanceOf(RangeError)
    expect(e.message).toBe('createRuntime(options): testEnvironment.testTimeout must be a positive number of milliseconds (got 0)')
    expect((await rejectionOf(() => createRuntime({ testEnvironment: { onEvent: 1 as any } }))).message).toBe('createRuntime(options): testEnvironment.onEvent must be a function (got number)')
  })

  it('reject after dispose', async () => {
    const rt = await createRuntime({ testEnvironment: true })
    await rt.dispose()
    expect((await rejectionOf(() => rt.testEnvironment.runTests())).message).toMatch(/^Runtime has been disposed/)
  })
})

describe('hostile test code', () => {
  it('report correctly after a test poisons Object.prototype, Array.prototype and other built-ins', async () => {
    const r = await run(`
      test('poisons', () => {
        const E = Error
        const bad = function () { throw new E('poisoned') }
        const def = Object.defineProperty
        // Index loops only: the test poisons what for…of and Object.* would use.
        const each = (obj, keys, desc) => { for (let i = 0; i < keys.length; i++) def(obj, keys[i], typeof desc === 'function' ? desc(keys[i]) : desc) }
        const value = { __proto__: null, value: bad, configurable: true, writable: true }
        const accessor = (k) => ({ __proto__: null, get() { throw new E('getter ' + k) }, set(v) { throw new E('setter ' + k) }, configurable: true })
        each(Array.prototype, ['push', 'pop', 'map', 'filter', 'join', 'slice', 'includes', 'indexOf', 'forEach', 'some', 'every', 'concat', 'sort', 'splice', 'reverse', Symbol.iterator], value)
        each(String.prototype, ['slice', 'split', 'includes', 'indexOf', 'trim', 'repeat', 'replace', 'startsWith'], value)
        each(Object.prototype, ['toString', 'hasOwnProperty'], value)
        Object.prototype.polluted = 'yes'
        each(Object.prototype, ['then', 'message', 'stack', 'name', 'value', 'done', 'status', 'error', 'get', 'set', 'enumerable', 'configurable', 'writable', '0', 'length', 'type', 'test', 'suite', 'results', 'expected', 'actual'], accessor)
        each(Array.prototype, ['0', '1', '2', '3'], accessor)
        each(Object, ['keys', 'entries', 'values', 'assign', 'getPrototypeOf', 'getOwnPropertyNames', 'is', 'freeze', 'create', 'defineProperty'], value)
        Promise.prototype.then = bad
        Function.prototype.call = bad
        Function.prototype.apply = bad
        Function.prototype.bind = bad
        RegExp.prototype.exec = bad
        JSON.stringify = bad
        Map.prototype.get = bad
        Set.prototype.has = bad
        WeakMap.prototype.get = bad
        Symbol.prototype.toString = bad
        globalThis.setTimeout = bad
        globalThis.Promise = bad
        Error.prepareStackTrace = bad
        def(Error, Symbol.hasInstance, { __proto__: null, value: bad, configurable: true })
      })
      test('toBe after poisoning', () => expect(2).toBe(3))
      test('toEqual after poisoning', () => { expect({ k: [1, 2] }).toEqual({ k: [1, 3] }) })
      test('mocks after poisoning', () => { const f = jest.fn(); f(1); expect(f).toHaveBeenCalledTimes(2) })
      test('passes after poisoning', async () => { expect([1, 2, 3]).toHaveLength(3); expect('abc').toMatch(/b/) })
      const P = Promise
      test('times out after poisoning', () => new P(() => {}), 20)
      describe('suite', () => { test('nested', () => {}) })
    `)
    expect(r.tests.map((t) => [t.fullName, t.status, t.error?.message])).toEqual([
      ['poisons', 'pass', undefined],
      ['toBe after poisoning', 'fail', 'expected 2 to be 3 // Object.is equality'],
      ['toEqual after poisoning', 'fail', 'expected { k: [ 1, 2 ] } to deeply equal { k: [ 1, 3 ] }\n\n- Expected\n+ Received\n\n  {\n    "k": [\n      1,\n-     3,\n+     2,\n    ],\n  }'],
      ['mocks after poisoning', 'fail', 'expected "jest.fn()" to be called 2 times, but got 1 times'],
      ['passes after poisoning', 'pass', undefined],
      ['times out after poisoning', 'fail', 'Test timed out in 20ms.\nIf this is a long-running test, pass a timeout value as the last argument or configure it globally with "testTimeout".'],
      ['suite > nested', 'pass', undefined],
    ])
    expect(r.suites.map((s) => s.fullName)).toEqual(['suite'])
    expect(r).toMatchObject({ passed: 3, failed: 4, total: 7 })
    expect(Object.keys(r).sort()).toEqual(['duration', 'failed', 'passed', 'skipped', 'success', 'suites', 'tests', 'todo', 'total'])
  })

  it('report whatever a test throws: non-Errors, throwing getters, proxies, huge messages', async () => {
    const r = await run(`
      test('string', () => { throw 'plain string' })
      test('number', () => { throw 42 })
      test('undefined', () => { throw undefined })
      test('null', () => { throw null })
      test('object', () => { throw { code: 7 } })
      test('symbol', () => { throw Symbol('s') })
      test('getters throw', () => { throw Object.defineProperties(new Error('x'), { message: { get() { throw new Error('m') } }, stack: { get() { throw new Error('s') } } }) })
      test('revoked proxy', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); throw proxy })
      test('huge message', () => { throw new Error('x'.repeat(200000)) })
      test('object with message', () => { throw { message: 'like an error' } })
      test('deep value', () => { let v = []; for (let i = 0; i < 5000; i++) v = [v]; expect(v).toEqual([]) })
    `)
    expect(r.tests.map((t) => t.error!.message.split('\n')[0].slice(0, 60))).toEqual([
      'plain string',
      'thrown: 42',
      'thrown: undefined',
      'thrown: null',
      'thrown: { code: 7 }',
      'thrown: Symbol(s)',
      'Error',
      'thrown: [unprintable]',
      'x'.repeat(60),
      'like an error',
      'expected [ [ [ [Array] ] ] ] to deeply equal []',
    ])
    expect(r.tests[8].error!.message.length).toBe(65537)
    expect(r.failed).toBe(11)
  })

  it('run 10,000 tests', async () => {
    const events: string[] = []
    const rt = await createRuntime({ testEnvironment: { onEvent: (e) => events.push(e.type) } })
    await rt.eval(`
      for (let s = 0; s < 100; s++) describe('suite ' + s, () => {
        beforeEach(() => {})
        for (let t = 0; t < 100; t++) test('t' + t, () => { expect(s * 100 + t).toBe(s === 99 && t === 99 ? -1 : s * 100 + t) })
      })
    `)
    expect(rt.testEnvironment.getTestCount()).toBe(10_000)
    const started = Date.now()
    const r = await rt.testEnvironment.runTests()
    const elapsed = Date.now() - started
    expect(r).toMatchObject({ total: 10_000, passed: 9_999, failed: 1, success: false })
    expect(r.tests[9_999]).toMatchObject({ fullName: 'suite 99 > t99', error: { message: 'expected 9999 to be -1 // Object.is equality' } })
    expect(r.suites).toHaveLength(100)
    // runStart + 100 × (suiteStart + suiteEnd) + 10,000 × (testStart + testEnd) + runEnd
    expect(events.length).toBe(2 + 200 + 20_000)
    expect(events.at(-1)).toBe('runEnd')
    expect(elapsed).toBeLessThan(20_000)
  })
})
