// tamper: the script patches or deletes intrinsics and platform prototypes before using serve(),
// fetch(), streams, WebSockets, console and host functions, aiming at a crash or at sending junk
// to the host. The platform's JS captures what it needs before user code runs (primordials), so
// the host must see exactly what an untampered runtime sends. Where a patch changes what the
// specs themselves observe (accessors on Object.prototype), a clean rejection is also contained
// — wrong data reaching the host never is.
import { define, TIMEOUT, OK, MEM, openWebSocket, contained } from '../common.mjs'

const TT = { memoryLimitMB: 32, executionTimeout: 2000 }

// The handler captures the constructors it uses, so that deleting or replacing globals afterwards
// only tests the platform.
const APP = `
const { Response: R, Headers: H } = globalThis
serve({
  async fetch(req) {
    const body = await req.text()
    const h = new H({ 'x-a': '1' })
    h.append('x-b', req.headers.get('x-in'))
    return new R(body + ':' + req.url, { status: 201, headers: h })
  },
})
`
const EXPECTED = [201, [['content-type', 'text/plain;charset=UTF-8'], ['x-a', '1'], ['x-b', 'v']], 'in:http://t/p?q=1']

async function request(ctx) {
  const res = await ctx.rt.fetch.dispatchRequest(new Request('http://t/p?q=1', { method: 'POST', headers: { 'x-in': 'v' }, body: 'in' }))
  const headers = [...res.headers].filter(([k]) => k.startsWith('x-') || k === 'content-type').sort()
  return [res.status, headers, await res.text()]
}

/** Registers APP, runs `tamper`, dispatches a request: the host must see EXPECTED. */
const serveAfter = (id, code, { graceful = false, why } = {}) => ({
  id: `serve/${id}`,
  why,
  options: TT,
  run: async (ctx) => {
    await ctx.rt.eval(APP, 'app.js')
    await ctx.rt.eval(tamper(code), 'tamper.js')
    const first = await request(ctx)
    const second = await request(ctx)
    return JSON.stringify(first) === JSON.stringify(second) ? first : { first, second }
  },
  expect: graceful ? [{ resolve: true, value: EXPECTED }, { error: '*' }, TIMEOUT] : { resolve: true, value: EXPECTED },
})

/** Runs `scenario` (a module body that reports, over values `setup` made before any tamper)
 * untampered, then after `code`: the same reports. */
const same = (id, code, setup, scenario, host) => ({
  id,
  options: TT,
  host,
  run: async (ctx) => {
    await ctx.rt.eval(`${setup}; globalThis.__scenario = async () => { ${scenario} }`, 'scenario.js')
    await ctx.rt.eval('await __scenario()', 'before.js')
    const before = ctx.reported.splice(0)
    await ctx.rt.eval(tamper(code), 'tamper.js')
    await ctx.rt.eval('await __scenario()', 'after.js')
    const after = ctx.reported.splice(0)
    return JSON.stringify(before) === JSON.stringify(after) && before.length > 0 ? 'same' : { before, after }
  },
  expect: { resolve: true, value: 'same' },
})

/** Run before every tamper: what the tamper scripts themselves need, captured before they
 * break it (for-of over a fresh iterator object, not Array.prototype[Symbol.iterator]). */
const PRELUDE = `const __I = { gp: Object.getPrototypeOf, dp: Object.defineProperty, arrIt: Object.getPrototypeOf([][Symbol.iterator]()), mapIt: Object.getPrototypeOf(new Map().entries()) }
const __it = (list) => { let i = 0; const n = list.length; return { [Symbol.iterator]() { return this }, next() { return i < n ? { value: list[i++], done: false } : { value: undefined, done: true } } } }
`
const tamper = (...chunks) => (chunks[0]?.startsWith(PRELUDE) ? '' : PRELUDE) + chunks.join('\n')

const ARRAY_METHODS = `for (const k of __it(['push', 'pop', 'shift', 'unshift', 'splice', 'slice', 'map', 'filter', 'forEach', 'join', 'concat', 'indexOf', 'includes', 'reduce', 'find', 'findIndex', 'some', 'every', 'flat', 'flatMap', 'at', 'entries', 'keys', 'values', 'sort', 'reverse', 'fill', 'copyWithin', 'lastIndexOf'])) Array.prototype[k] = function () { throw new Error('tampered Array.prototype.' + k) }
Array.prototype[Symbol.iterator] = function* () { yield ['x-junk', 'junk'] }
Array.isArray = () => false; Array.from = () => ['junk']; Array.of = () => ['junk']`
const FUNCTION_PROTO = `Function.prototype.call = function () { throw new Error('tampered call') }
Function.prototype.apply = function () { throw new Error('tampered apply') }
Function.prototype.bind = function () { throw new Error('tampered bind') }
Reflect.apply = () => { throw new Error('tampered Reflect.apply') }
Reflect.construct = () => { throw new Error('tampered Reflect.construct') }`
const OBJECT_STATICS = `Object.defineProperty = () => { throw new Error('tampered defineProperty') }
Object.defineProperties = () => { throw new Error('tampered defineProperties') }
Reflect.defineProperty = () => false
Object.create = () => ({ junk: true }); Object.assign = () => { throw new Error('tampered assign') }
Object.keys = Object.values = Object.entries = () => ['junk']; Object.getOwnPropertyNames = () => []; Reflect.ownKeys = () => ['junk']
Object.freeze = Object.seal = (x) => { throw new Error('tampered freeze') }; Object.getPrototypeOf = () => null; Object.setPrototypeOf = () => { throw new Error('tampered setPrototypeOf') }
Object.fromEntries = () => ({ junk: 1 }); Object.hasOwn = () => true; Object.is = () => false`
const PROMISE_THEN = `Promise.prototype.then = function () { throw new Error('tampered then') }
Promise.prototype.catch = function () { throw new Error('tampered catch') }
Promise.prototype.finally = function () { throw new Error('tampered finally') }
Promise.resolve = Promise.reject = Promise.all = Promise.race = Promise.allSettled = Promise.any = () => { throw new Error('tampered Promise static') }
Promise.withResolvers = () => ({ promise: 'junk' })`
const SPECIES = `const junkCtor = function () { return ['junk'] }
for (const C of __it([Array, ArrayBuffer, Promise, Uint8Array, __I.gp(Uint8Array), Map, Set, RegExp, SharedArrayBuffer])) __I.dp(C, Symbol.species, { get() { return junkCtor }, configurable: true })
// Not Promise.prototype.constructor: every await of user code would observe that (PromiseResolve).
for (const C of __it([Array, ArrayBuffer, Uint8Array, Map, Set, RegExp])) C.prototype.constructor = junkCtor`
const ITERATORS = `const junkIter = function* () { yield ['x-junk', 'junk'] }
for (const P of __it([Array.prototype, Map.prototype, Set.prototype, String.prototype, __I.gp(Uint8Array.prototype), URLSearchParams.prototype, FormData.prototype])) { P[Symbol.iterator] = junkIter; if (P.entries) P.entries = junkIter; if (P.values) P.values = junkIter; if (P.keys) P.keys = junkIter; if (P.forEach) P.forEach = function (f) { f('junk', 'x-junk', this) } }
__I.arrIt.next = () => ({ done: false, value: ['x-junk', 'junk'] })
__I.mapIt.next = () => ({ done: true })
Headers.prototype.getSetCookie = () => ['junk=1']`
// A Headers' own iteration: `new Response(body, { headers })` observes it by spec (below).
const HEADERS_ITERATOR = `Headers.prototype[Symbol.iterator] = Headers.prototype.entries = Headers.prototype.values = Headers.prototype.keys = junkIter; Headers.prototype.forEach = function (f) { f('junk', 'x-junk', this) }`
const STRINGS = `for (const k of __it(['toLowerCase', 'toUpperCase', 'trim', 'trimStart', 'trimEnd', 'split', 'replace', 'replaceAll', 'indexOf', 'lastIndexOf', 'slice', 'substring', 'substr', 'startsWith', 'endsWith', 'includes', 'charCodeAt', 'codePointAt', 'charAt', 'padStart', 'padEnd', 'repeat', 'normalize', 'toWellFormed', 'isWellFormed', 'localeCompare', 'match', 'matchAll', 'search', 'concat', 'at'])) String.prototype[k] = function () { return 'junk' }
String.fromCharCode = String.fromCodePoint = () => 'junk'
RegExp.prototype.exec = () => null; RegExp.prototype.test = () => false
RegExp.prototype[Symbol.replace] = () => 'junk'; RegExp.prototype[Symbol.split] = () => ['junk']; RegExp.prototype[Symbol.match] = () => ['junk']`
const COLLECTIONS = `Map.prototype.get = () => 'junk'; Map.prototype.set = function () { return this }; Map.prototype.has = () => true; Map.prototype.delete = () => false; Map.prototype.clear = () => {}
Set.prototype.has = () => true; Set.prototype.add = function () { return this }; Set.prototype.delete = () => false
WeakMap.prototype.get = () => undefined; WeakMap.prototype.set = function () { return this }; WeakMap.prototype.has = () => false
WeakSet.prototype.has = () => false; WeakSet.prototype.add = function () { return this }
WeakRef.prototype.deref = () => undefined; FinalizationRegistry.prototype.register = () => {}`
const TYPED = `const TA = __I.gp(Uint8Array.prototype)
for (const k of __it(['set', 'subarray', 'slice', 'fill', 'map', 'values', 'copyWithin', 'indexOf', 'join'])) TA[k] = function () { throw new Error('tampered TypedArray.' + k) }
for (const k of __it(['length', 'byteLength', 'byteOffset', 'buffer'])) __I.dp(TA, k, { get() { return k === 'buffer' ? new ArrayBuffer(1) : 1 }, configurable: true })
for (const k of __it(['byteLength', 'maxByteLength', 'resizable', 'detached'])) __I.dp(ArrayBuffer.prototype, k, { get() { return k === 'byteLength' ? 1 : true }, configurable: true })
ArrayBuffer.prototype.slice = () => new ArrayBuffer(1); ArrayBuffer.prototype.transfer = () => new ArrayBuffer(1); ArrayBuffer.isView = () => false
DataView.prototype.getUint8 = () => 106; DataView.prototype.setUint8 = () => {}`

export default define('tamper', [
  serveAfter('promise-then-throws', PROMISE_THEN),
  serveAfter('promise-then-junk', `Promise.prototype.then = function (f) { try { f?.('junk') } catch {} return this }`),
  serveAfter('promise-replaced', `globalThis.Promise = function () { throw new Error('tampered Promise') }`),
  serveAfter('array-methods', ARRAY_METHODS),
  serveAfter('array-index-accessors', `for (let i = 0; i < 4; i++) Object.defineProperty(Array.prototype, i, { set() { throw new Error('tampered index ' + i) }, get() { return 'junk' }, configurable: true })`, {
    graceful: true,
    why: 'an accessor on Array.prototype[0] is seen by every [[Set]] on a fresh array, the builtins’ included',
  }),
  serveAfter('function-prototype', FUNCTION_PROTO),
  serveAfter('object-statics', OBJECT_STATICS),
  serveAfter('species', SPECIES),
  serveAfter('iterators', ITERATORS),
  serveAfter('iterators-headers', [ITERATORS, HEADERS_ITERATOR].join('\n'), {
    graceful: true,
    why: 'HeadersInit is a WebIDL sequence or record: a Headers passed as init is iterated through its (patched) @@iterator, whose pairs are sequences read through the patched Array iterator (https://fetch.spec.whatwg.org/#concept-headers-fill)',
  }),
  serveAfter('strings-and-regexps', STRINGS),
  serveAfter('collections', COLLECTIONS),
  serveAfter('typed-arrays', TYPED),
  serveAfter('json', `JSON.stringify = () => 'junk'; JSON.parse = () => ({ junk: true })`),
  serveAfter('math-and-dates', `Date.now = () => NaN; performance.now = () => -1; Math.random = () => 2; Math.min = Math.max = Math.floor = Math.ceil = Math.trunc = () => NaN; Number.isFinite = Number.isInteger = Number.isSafeInteger = () => false`),
  serveAfter('symbol-descriptions', `Symbol.prototype.toString = () => 'junk'; Object.defineProperty(Symbol.prototype, 'description', { get() { return 'junk' } }); Symbol.for = () => Symbol('junk')`),
  serveAfter('event-target', `EventTarget.prototype.addEventListener = EventTarget.prototype.removeEventListener = EventTarget.prototype.dispatchEvent = () => { throw new Error('tampered EventTarget') }; AbortSignal.prototype.throwIfAborted = () => { throw new Error('tampered') }; Object.defineProperty(AbortSignal.prototype, 'aborted', { get() { return true } }); AbortController.prototype.abort = () => { throw new Error('tampered abort') }`),
  serveAfter('streams', `ReadableStream.prototype.getReader = () => { throw new Error('tampered getReader') }; ReadableStream.prototype[Symbol.asyncIterator] = async function* () { yield 'junk' }; ReadableStream.prototype.pipeTo = ReadableStream.prototype.pipeThrough = ReadableStream.prototype.tee = () => { throw new Error('tampered pipe') }; if (globalThis.ReadableStreamDefaultReader) ReadableStreamDefaultReader.prototype.read = async () => ({ done: true }); WritableStream.prototype.getWriter = () => { throw new Error('tampered getWriter') }`),
  serveAfter('response-prototype', `for (const k of __it(['status', 'statusText', 'headers', 'body', 'ok', 'type', 'url', 'redirected', 'bodyUsed'])) Object.defineProperty(Response.prototype, k, { get() { return k === 'headers' ? new Headers({ 'x-junk': 'junk' }) : k === 'status' ? 599 : 'junk' }, configurable: true })
for (const k of __it(['text', 'arrayBuffer', 'json', 'blob', 'bytes', 'formData', 'clone'])) Response.prototype[k] = async () => 'junk'`),
  serveAfter('encoding', `TextEncoder.prototype.encode = () => new Uint8Array([106]); TextEncoder.prototype.encodeInto = () => ({ read: 0, written: 0 }); TextDecoder.prototype.decode = () => 'junk'`),
  serveAfter('url', `for (const k of __it(['href', 'pathname', 'search', 'host', 'origin', 'protocol'])) Object.defineProperty(URL.prototype, k, { get() { return 'junk' }, configurable: true }); URL.prototype.toString = () => 'junk'; URLSearchParams.prototype.toString = () => 'junk'`),
  serveAfter('freeze-everything', `for (const k of Object.getOwnPropertyNames(globalThis)) { try { const v = globalThis[k]; if (v && (typeof v === 'object' || typeof v === 'function')) { Object.freeze(v); if (v.prototype) Object.freeze(v.prototype) } } catch {} }
Object.freeze(Object.prototype); Object.freeze(Array.prototype); Object.freeze(Function.prototype); Object.freeze(globalThis)`),
  serveAfter('delete-globals', `for (const k of __it(['Promise', 'Array', 'Object', 'Reflect', 'Symbol', 'JSON', 'Uint8Array', 'ArrayBuffer', 'Map', 'Set', 'WeakMap', 'String', 'Number', 'Error', 'TypeError', 'RangeError', 'Function', 'Proxy', 'Math', 'Date', 'TextEncoder', 'TextDecoder', 'Headers', 'Request', 'Response', 'URL', 'URLSearchParams', 'ReadableStream', 'WritableStream', 'TransformStream', 'Blob', 'FormData', 'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'DOMException', 'queueMicrotask', 'setTimeout', 'clearTimeout', 'structuredClone', 'console', 'serve', 'crypto'])) delete globalThis[k]`),
  serveAfter('globals-looping-getters', `for (const k of __it(['TextEncoder', 'TextDecoder', 'Headers', 'Response', 'Request', 'URL', 'ReadableStream', 'Blob', 'DOMException', 'AbortSignal', 'AbortController', 'Promise', 'Array', 'Object', 'Uint8Array', 'ArrayBuffer', 'Symbol', 'Error', 'TypeError', 'JSON', 'Reflect', 'Map', 'Set', 'String'])) __I.dp(globalThis, k, { get() { for (;;) {} }, configurable: true })`, {
    why: 'the platform must not look globals up at call time (the tamper defines with the captured defineProperty: `Object` itself loops once replaced)',
  }),
  serveAfter('everything-at-once', [PROMISE_THEN, ARRAY_METHODS, FUNCTION_PROTO, OBJECT_STATICS, SPECIES, ITERATORS, STRINGS, COLLECTIONS, TYPED].join('\n')),
  serveAfter('object-prototype-setters', `for (const k of __it(['status', 'headers', 'body', 'value', 'done', 'name', 'message', 'type', 'data', 'url', 'method', '0', '1', 'id', 'code', 'reason', 'chunk', 'kind', 'op', 'args', 'signal', 'statusText', 'stack', 'cause'])) Object.defineProperty(Object.prototype, k, { set(v) { throw new Error('tampered setter ' + k) }, get() { return undefined }, configurable: true })`, {
    graceful: true,
    why: 'accessors on Object.prototype are seen by every [[Set]] of a missing own key',
  }),
  serveAfter('object-prototype-then-counts', `Object.defineProperty(Object.prototype, 'then', { get() { globalThis.thenReads = (globalThis.thenReads || 0) + 1; return undefined }, configurable: true })`),
  serveAfter('object-prototype-then-junk', `Object.prototype.then = function (res) { res('junk') }`, {
    graceful: true,
    why: 'a thenable Object.prototype changes what promises resolve to in the Streams and Fetch specs themselves',
  }),

  // ---- the other ways out ----
  {
    id: 'ws-send',
    options: TT,
    run: async (ctx) => {
      await ctx.rt.eval('globalThis.__bytes = new Uint8Array([1, 2, 3])')
      const { id, commands } = await openWebSocket(ctx, `{ message(ws, m) { ws.send(m); ws.send(__bytes) } }`)
      await ctx.rt.eval(tamper(ARRAY_METHODS, FUNCTION_PROTO, OBJECT_STATICS, TYPED, `JSON.stringify = () => 'junk'; TextEncoder.prototype.encode = () => new Uint8Array([106])`))
      await ctx.rt.fetch.dispatchWebSocketMessage(id, 'hi')
      for (let i = 0; i < 100 && commands.length < 2; i++) await ctx.sleep(10)
      return commands.map((c) => [c.type, typeof c.data === 'string' ? c.data : [...new Uint8Array(c.data)]])
    },
    expect: { resolve: true, value: [['message', 'hi'], ['message', [1, 2, 3]]] },
  },
  {
    id: 'fetch-to-host',
    options: TT,
    host: (ctx) => ({
      onFetch: async (url, init) => {
        const body = init.body ? Buffer.from(await new Response(init.body).arrayBuffer()).toString() : null
        ctx.report([init.method, url, init.headers.filter(([k]) => k.startsWith('x-')), body])
        return new Response('back', { headers: { 'x-r': '1' } })
      },
    }),
    script: `${tamper(PROMISE_THEN, ARRAY_METHODS, FUNCTION_PROTO, OBJECT_STATICS, ITERATORS, STRINGS, TYPED)}
      const res = await fetch('http://host/p?q=1', { method: 'PUT', headers: { 'x-a': '1' }, body: 'abc' })`,
    expect: { resolve: true, reported: [['PUT', 'http://host/p?q=1', [['x-a', '1']], 'abc']] },
  },
  same('console', tamper(ARRAY_METHODS, FUNCTION_PROTO, OBJECT_STATICS, ITERATORS, STRINGS, `Object.prototype.toString = () => 'junk'; JSON.stringify = () => 'junk'`), `const V = ['a', 1, { b: [2, 'c'] }, new Map([[1, 2]]), [3, 4], new Error('e')]`, `console.log(V[0], V[1], V[2], V[3], V[4]); console.error(V[5].message)`, (ctx) => ({
    console: { onEntry: (e) => ctx.report([e.type, e.level, e.stdout]) },
  })),
  same('customFunction-args', tamper(ARRAY_METHODS, FUNCTION_PROTO, OBJECT_STATICS, ITERATORS, COLLECTIONS, TYPED), `const V = { a: [1, 2], m: new Map([[1, 2]]), s: new Set(['x']), u: new Uint8Array([5, 6]), d: new Date(0), r: /x/g }`, `take(V)`, (ctx) => ({
    customFunctions: { take: { type: 'sync', fn: (v) => void ctx.report([v.a, [...v.m], [...v.s], [...v.u], v.d.getTime(), String(v.r)]) } },
  })),
  // No Array iterator patch here: WebIDL sequences (Blob parts) observe it by spec.
  same('streams-and-bodies', tamper(PROMISE_THEN, FUNCTION_PROTO, SPECIES, TYPED), `const enc = new TextEncoder(); const parts = ['x', new Uint8Array([121])]; const bytes = new Uint8Array([1, 2, 3]); const ab = enc.encode('ab'); const c = enc.encode('c')`, `
    report(await new Response(new ReadableStream({ start(ctl) { ctl.enqueue(ab); ctl.enqueue(c); ctl.close() } })).text())
    report(await new Blob(parts).text())
    report(Array.from(new Uint8Array(await new Response(bytes).arrayBuffer()), String).join())
  `),
  {
    id: 'structured-clone-hole-and-proto-getter',
    why: 'structured clone copies own properties only: a hole stays a hole',
    options: TT,
    host: (ctx) => ({ customFunctions: { take: { type: 'sync', fn: (v) => void ctx.report([v.length, 1 in v, v[0], v[2]]) } } }),
    script: `Object.defineProperty(Array.prototype, 1, { get() { return 'junk' }, configurable: true }); take([0, , 2])`,
    expect: { resolve: true, reported: [[3, false, 0, 2]] },
  },
  {
    id: 'structured-clone-getter-truncates',
    options: TT,
    host: () => ({ customFunctions: { take: { type: 'sync', fn: () => {} } } }),
    script: `const a = [1, 2, 3]; Object.defineProperty(a, 0, { get() { a.length = 0; return 1 }, enumerable: true, configurable: true }); take(a); take({ get x() { a.length = 0; return 1 }, y: a })`,
    expect: OK,
  },
  {
    id: 'structured-clone-getter-grows',
    why: 'the getter turns the elements into a dictionary and grows it by one ~48 MB allocation past the heap\'s hard limit: V8 fails it without calling the near-heap-limit callback (the heap was under the limit), so its out-of-memory path contains the runtime (README: Limits)',
    options: TT,
    ...contained(32, { v8Report: true }),
    host: () => ({ customFunctions: { take: { type: 'sync', fn: () => {} } } }),
    script: `const a = [1, 2, 3]; Object.defineProperty(a, 0, { get() { for (let i = 0; i < 1e6; i++) a.push(i); return 1 }, enumerable: true, configurable: true }); take(a)`,
    expect: [OK, MEM],
  },
  {
    id: 'structured-clone-getter-reenters-host',
    options: TT,
    host: (ctx) => ({ customFunctions: { take: { type: 'sync', fn: (v) => void ctx.report(v) }, two: { type: 'sync', fn: () => 'two' } } }),
    script: `take({ get a() { return two() }, b: 1 })`,
    expect: { resolve: true, reported: [{ a: 'two', b: 1 }] },
  },
  {
    id: 'structured-clone-getter-reenters-console',
    options: TT,
    host: (ctx) => ({ console: { onEntry: (e) => ctx.report(e.stdout) }, customFunctions: { take: { type: 'sync', fn: (v) => void ctx.report(v) } } }),
    script: `take({ get a() { console.log('inner'); return 1 } })`,
    expect: { resolve: true, reported: ['inner', { a: 1 }] },
  },
  {
    id: 'structured-clone-getter-reenters-clone',
    options: TT,
    host: (ctx) => ({ customFunctions: { take: { type: 'sync', fn: (v) => void ctx.report(v) } } }),
    script: `structuredClone({ get a() { return structuredClone({ get b() { return take(1) } }) } })`,
    expect: { resolve: true, reported: [1] },
  },
  {
    id: 'structured-clone-getter-throws',
    why: 'HTML lets the getter’s error through; the README refuses throwing getters with a DataCloneError: both typed',
    options: TT,
    host: () => ({ customFunctions: { take: { type: 'sync', fn: () => {} } } }),
    script: `take({ get a() { throw new RangeError('from getter') } })`,
    expect: [{ error: 'RangeError', message: 'from getter' }, { error: 'DataCloneError' }],
  },
  {
    id: 'prepareStackTrace-loops',
    why: 'V8 formats a stack with Error.prepareStackTrace when it is read: the read loops, or the host skips the stack',
    options: { memoryLimitMB: 32, executionTimeout: 300 },
    script: `Error.prepareStackTrace = () => { for (;;) {} }; throw new Error('boom')`,
    expect: [TIMEOUT, { error: 'Error', message: 'boom' }],
  },
  { id: 'prepareStackTrace-junk', options: TT, script: `Error.prepareStackTrace = () => ({ toString() { throw new Error('junk') } }); throw new Error('boom')`, expect: { error: 'Error', message: 'boom' } },
  { id: 'captureStackTrace-patched', options: TT, run: async (ctx) => { await ctx.rt.eval(`Error.captureStackTrace = () => { throw new Error('tampered') }; serve({ fetch() { throw new TypeError('handler') } })`); return ctx.rt.fetch.dispatchRequest(new Request('http://x/')) }, expect: { error: 'TypeError', message: 'handler' } },
  { id: 'error-name-symbol', options: TT, script: `const e = new Error('m'); e.name = Symbol('s'); throw e`, expect: { error: '*', message: 'm' } },
  { id: 'error-message-object', options: TT, script: `const e = new Error('m'); Object.defineProperty(e, 'message', { value: { toString() { throw new Error('x') } } }); throw e`, expect: { error: '*' } },

  // ---- junk into every platform entry point ----
  {
    id: 'fuzz/globals-junk-args',
    why: 'every platform global function and constructor, called with junk: typed exceptions only',
    options: { memoryLimitMB: 64, executionTimeout: 20_000 },
    withinMs: 20_000,
    host: () => ({ customFunctions: { take: { type: 'sync', fn: () => {} }, takeAsync: { type: 'async', fn: async () => {} } } }),
    script: fuzzScript('fuzz/globals-junk-args'),
    expect: { resolve: true, reported: ['done'] },
  },
  {
    id: 'fuzz/prototype-methods-fake-receivers',
    why: 'every method and accessor of every platform class, on foreign receivers and with junk: typed exceptions only',
    options: { memoryLimitMB: 64, executionTimeout: 20_000 },
    withinMs: 20_000,
    script: fuzzScript('fuzz/prototype-methods-fake-receivers'),
    expect: { resolve: true, reported: ['done'] },
  },
])

function fuzzScript(id) {
  const common = `
const ES = new Set(['Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined', 'Boolean', 'String', 'Symbol', 'Date', 'Promise', 'RegExp', 'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'SuppressedError', 'globalThis', 'JSON', 'Math', 'Intl', 'ArrayBuffer', 'Atomics', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float16Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray', 'BigUint64Array', 'BigInt64Array', 'DataView', 'Map', 'BigInt', 'Set', 'WeakMap', 'WeakSet', 'Proxy', 'Reflect', 'FinalizationRegistry', 'WeakRef', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape', 'eval', 'isFinite', 'isNaN', 'SharedArrayBuffer', 'Iterator', 'DisposableStack', 'AsyncDisposableStack', 'report', 'setInterval', 'self', 'window'])
const detached = new ArrayBuffer(8); detached.transfer()
const rab = new ArrayBuffer(16, { maxByteLength: 32 }); const oob = new Uint8Array(rab, 8, 8); rab.resize(4)
const JUNK = [undefined, null, 0, -1, 2 ** 53, NaN, -0, '', 'x', 'http://x/', 'x'.repeat(70000), Symbol('s'), 1n, {}, [], () => {}, new Proxy({}, {}),
  Object.create(null), new Uint8Array(4), new ArrayBuffer(0), detached, oob, new SharedArrayBuffer(8), new DataView(new ArrayBuffer(8)),
  { toString() { throw new Error('ts') } }, { valueOf() { return 3 } }, new Date(NaN), /x/g, new Error('e'), Promise.resolve(1), new Map(), new Set(), globalThis,
  { get name() { throw new Error('getter') } }, [['a', 'b']], { a: 'b' }, -(2 ** 31), 2 ** 32, 1e308]
const quiet = (v) => { if (v && typeof v.then === 'function') Promise.prototype.then.call(v, undefined, () => {}); return v }
function poke(f, self, args) {
  try { quiet(Reflect.apply(f, self, args)) } catch {}
}
function* argLists() {
  yield []
  for (const j of JUNK) { yield [j]; yield [j, j]; yield ['http://x/', j]; yield [j, {}, j] }
}
const platform = Object.getOwnPropertyNames(globalThis).filter((k) => !ES.has(k))
`
  if (id === 'fuzz/globals-junk-args') {
    return `${common}
for (const name of platform) {
  const f = globalThis[name]
  const targets = typeof f === 'function' ? [[f, globalThis]] : f && typeof f === 'object' ? Object.getOwnPropertyNames(f).map((k) => { try { return [f[k], f] } catch { return [] } }).filter(([g]) => typeof g === 'function') : []
  if (typeof f === 'function') for (const k of Object.getOwnPropertyNames(f)) { try { if (typeof f[k] === 'function' && k !== 'prototype') targets.push([f[k], f]) } catch {} }
  if (f === globalThis.crypto) for (const k of Object.getOwnPropertyNames(Object.getPrototypeOf(crypto.subtle))) { if (typeof crypto.subtle[k] === 'function') targets.push([crypto.subtle[k], crypto.subtle]) }
  for (const [g, self] of targets) for (const args of argLists()) {
    poke(g, self, args)
    try { quiet(Reflect.construct(g, args)) } catch {}
  }
}
await new Promise((r) => setTimeout(r, 50))
report('done')`
  }
  return `${common}
const receivers = (C) => { const out = [Object.create(C.prototype), {}, Object.create(null), new Headers(), new Uint8Array(1), globalThis]; for (const a of [[], ['http://x/'], ['x'], [[]]]) { try { out.push(new C(...a)); break } catch {} } return out }
for (const name of platform) {
  const C = globalThis[name]
  if (typeof C !== 'function' || !C.prototype) continue
  let proto = C.prototype
  for (let depth = 0; proto && proto !== Object.prototype && depth < 3; depth++, proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto)) {
      if (key === 'constructor') continue
      const d = Object.getOwnPropertyDescriptor(proto, key)
      for (const self of receivers(C)) {
        if (d.get) poke(d.get, self, [])
        if (d.set) for (const j of JUNK) poke(d.set, self, [j])
        if (typeof d.value === 'function') for (const args of argLists()) if (args.length < 3) poke(d.value, self, args)
      }
    }
  }
}
await new Promise((r) => setTimeout(r, 50))
report('done')`
}
