// boundary: misuse of the host API and hostile values at the host/isolate border — invalid
// options, calls after and during dispose, host callbacks that throw / never settle / return
// hostile values, forged error names, runtimes that are dropped or whose worker_thread dies.
// Contained: a typed rejection (never a synchronous throw, a pending N-API exception or a crash),
// and nothing of a dropped runtime left behind once it is garbage-collected.
import { Worker } from 'node:worker_threads'
import { define, asPromise, createAndDispose, DISPOSED, OK, TIMEOUT, MEM, openWebSocket } from '../common.mjs'

const opt = (name) => new RegExp(name)
/** Option-validation case: createRuntime(options) must reject with one of `expect`. */
const badOptions = (id, options, expect, why) => ({ id: `options/${id}`, why, options: null, run: (ctx) => createAndDispose(ctx, typeof options === 'function' ? options() : options), expect })
const B = { memoryLimitMB: 32 }
const BT = { memoryLimitMB: 32, executionTimeout: 1000 }

/** A runtime (on ctx.rt) whose host function `f` does `fn`; the script calls it and reports what it caught. */
const hostThrows = (id, fn, check) => ({
  id: `customFunction-throws/${id}`,
  options: B,
  host: () => ({ customFunctions: { f: { type: 'sync', fn } } }),
  script: `try { f(); report('no throw') } catch (e) { report(${check}) }`,
  expect: { resolve: true, reported: [true] },
})

/** The script passes a value to the host and reports nothing; the host records what it saw. */
const toHost = (ctx, see) => ({ customFunctions: { take: { type: 'sync', fn: (v) => void ctx.report(see(v)) } } })

function runWorker(code, indexPath) {
  const w = new Worker(code, { eval: true, workerData: { indexPath } })
  const exit = new Promise((resolve, reject) => {
    w.once('exit', resolve)
    w.once('error', reject)
  })
  const message = new Promise((resolve) => w.once('message', resolve))
  return { w, exit, message }
}

export default define('boundary', [
  // ---- invalid options: a TypeError or RangeError naming the option, as a rejection ----
  badOptions('memoryLimitMB-1e308', { memoryLimitMB: 1e308 }, { error: 'RangeError', message: opt('memoryLimitMB') }),
  badOptions('memoryLimitMB-Infinity', { memoryLimitMB: Infinity }, { error: 'RangeError', message: opt('memoryLimitMB') }),
  badOptions('memoryLimitMB-NaN', { memoryLimitMB: NaN }, { error: 'RangeError', message: opt('memoryLimitMB') }),
  badOptions('memoryLimitMB-bigint', { memoryLimitMB: 16n }, { error: 'TypeError', message: opt('memoryLimitMB') }),
  badOptions('memoryLimitMB-valueOf-throws', { memoryLimitMB: { valueOf() { throw new Error('valueOf called') } } }, { error: 'TypeError', message: opt('memoryLimitMB') }),
  badOptions('executionTimeout-1e300', { executionTimeout: 1e300 }, { error: 'RangeError', message: opt('executionTimeout') }),
  badOptions('executionTimeout-2^53', { executionTimeout: 2 ** 53 }, { error: 'RangeError', message: opt('executionTimeout') }),
  badOptions('cpuTimeLimit-NaN', { cpuTimeLimit: NaN }, { error: 'RangeError', message: opt('cpuTimeLimit') }),
  badOptions('cpuTimeLimit-negative', { cpuTimeLimit: -1 }, { error: 'RangeError', message: opt('cpuTimeLimit') }),
  badOptions('cpuTimeLimit-string', { cpuTimeLimit: '100' }, { error: 'TypeError', message: opt('cpuTimeLimit') }),
  badOptions('not-an-object', 'options', { error: 'TypeError', message: /options/ }),
  badOptions('symbol', Symbol('o'), { error: 'TypeError', message: /options/ }),
  badOptions('console-onEntry-string', { console: { onEntry: 'log' } }, { error: 'TypeError', message: opt('onEntry') }),
  badOptions('customFunctions-bad-type', { customFunctions: { f: { type: 'weird', fn() {} } } }, { error: 'TypeError', message: /customFunctions|type/ }),
  badOptions('customFunctions-null-entry', { customFunctions: { f: null } }, { error: 'TypeError', message: /customFunctions|f/ }),
  badOptions('customFunctions-missing-fn', { customFunctions: { f: { type: 'sync' } } }, { error: 'TypeError', message: /fn|customFunctions/ }),
  badOptions('network-maxConcurrentRequests-negative', { network: { maxConcurrentRequests: -1 } }, { error: ['RangeError', 'TypeError'], message: opt('maxConcurrentRequests') }),
  badOptions('network-allowedHosts-toString-throws', { network: { allowedHosts: [{ toString() { throw new Error('toString called') } }] } }, [
    { error: 'TypeError', message: opt('allowedHosts') },
    { error: 'Error', message: 'toString called' },
  ]),
  badOptions('throwing-getter', () => ({ get memoryLimitMB() { throw new Error('boom') } }), [
    { error: 'Error', message: 'boom' },
    { error: 'TypeError', message: opt('memoryLimitMB') },
  ], 'the host’s own getter throws: its error, or a TypeError naming the option, as a rejection'),
  badOptions('proxy-throwing-traps', () => new Proxy({}, { get() { throw new RangeError('trap') }, has() { throw new RangeError('trap') }, ownKeys() { throw new RangeError('trap') }, getOwnPropertyDescriptor() { throw new RangeError('trap') } }), [
    { error: 'RangeError', message: 'trap' },
    { error: 'TypeError', message: /could not be read|options/ },
  ]),
  badOptions('customFunctions-getter-throws', () => ({ customFunctions: { get f() { throw new Error('cf getter') } } }), [
    { error: 'Error', message: 'cf getter' },
    { error: 'TypeError', message: /customFunctions/ },
  ]),
  {
    id: 'options/proxy-values',
    why: 'a Proxy is an object: its values are read through its traps',
    options: null,
    run: (ctx) => createAndDispose(ctx, new Proxy({}, { get: (t, k) => (k === 'memoryLimitMB' ? 16 : undefined) })),
    expect: { resolve: true, value: 'created' },
  },
  {
    id: 'options/customFunctions-own-__proto__',
    why: 'an own "__proto__" host function: exposed under that name, or refused with a TypeError; never a changed global prototype',
    options: null,
    run: async (ctx) => {
      const fns = {}
      Object.defineProperty(fns, '__proto__', { value: { type: 'sync', fn: () => 7 }, enumerable: true })
      Object.defineProperty(fns, 'probe', { value: { type: 'sync', fn: (v) => ctx.report(v) }, enumerable: true })
      const rt = await ctx.create({ customFunctions: fns })
      await rt.eval(`probe([Object.getPrototypeOf(globalThis) !== null && typeof Object.getPrototypeOf(globalThis) === 'object', typeof Object.prototype.hasOwnProperty])`)
      return ctx.reported
    },
    expect: [{ resolve: true, value: [[true, 'function']] }, { error: 'TypeError', message: /__proto__/ }],
  },
  {
    id: 'options/customFunctions-10000',
    options: null,
    run: async (ctx) => {
      const fns = {}
      for (let i = 0; i < 10000; i++) fns['f' + i] = { type: 'sync', fn: () => i }
      const rt = await ctx.create({ customFunctions: fns, memoryLimitMB: 32 })
      await rt.eval(`if (f9999() !== 9999) throw new Error('wrong')`)
      return 'ok'
    },
    expect: { resolve: true, value: 'ok' },
  },

  // ---- eval() arguments ----
  { id: 'eval/code-number', options: B, run: (ctx) => asPromise(() => ctx.rt.eval(123)), expect: { error: 'TypeError', message: /code/ } },
  { id: 'eval/code-toString-throws', options: B, run: (ctx) => asPromise(() => ctx.rt.eval({ toString() { throw new Error('ts') } })), expect: [{ error: 'TypeError', message: /code/ }, { error: 'Error', message: 'ts' }] },
  { id: 'eval/options-getter-throws', options: B, run: (ctx) => asPromise(() => ctx.rt.eval('1', { get filename() { throw new Error('fn getter') } })), expect: [{ error: 'Error', message: 'fn getter' }, { error: 'TypeError', message: /filename/ }] },
  { id: 'eval/timeout-NaN', options: B, run: (ctx) => asPromise(() => ctx.rt.eval('1', { executionTimeout: NaN })), expect: { error: 'RangeError', message: /executionTimeout/ } },
  { id: 'eval/filename-symbol', options: B, run: (ctx) => asPromise(() => ctx.rt.eval('1', Symbol('f'))), expect: { error: 'TypeError' } },

  // ---- after / during dispose ----
  { id: 'dispose/eval-after', options: B, run: async (ctx) => { await ctx.rt.dispose(); return asPromise(() => ctx.rt.eval('1')) }, expect: DISPOSED },
  { id: 'dispose/dispatch-after', options: B, run: async (ctx) => { await ctx.rt.eval(`serve({ fetch: () => new Response('x') })`); await ctx.rt.dispose(); return asPromise(() => ctx.rt.fetch.dispatchRequest(new Request('http://x/'))) }, expect: DISPOSED },
  { id: 'dispose/hasServeHandler-after', why: 'synchronous since issue #14: throws once the runtime is gone', options: B, run: async (ctx) => { await ctx.rt.dispose(); return ctx.rt.fetch.hasServeHandler() }, expect: DISPOSED },
  { id: 'dispose/ws-message-after', options: B, run: async (ctx) => { const { id } = await openWebSocket(ctx, '{}'); await ctx.rt.dispose(); return asPromise(() => ctx.rt.fetch.dispatchWebSocketMessage(id, 'x')) }, expect: DISPOSED },
  {
    id: 'dispose/onWebSocketCommand-after',
    why: 'documented to throw once the runtime is gone',
    options: B,
    run: async (ctx) => {
      await ctx.rt.dispose()
      ctx.rt.fetch.onWebSocketCommand(() => {})
    },
    expect: DISPOSED,
  },
  { id: 'dispose/stats-after', options: B, run: async (ctx) => { await ctx.rt.dispose(); return typeof ctx.rt.stats().heapLimitBytes }, expect: { resolve: true, value: 'number', after: 'disposed', cause: null } },
  { id: 'dispose/twice', options: B, run: async (ctx) => { await ctx.rt.dispose(); await ctx.rt.dispose(); return 'ok' }, expect: { resolve: true, value: 'ok', after: 'disposed', cause: null } },
  { id: 'dispose/concurrent', options: B, run: async (ctx) => { await Promise.all([ctx.rt.dispose(), ctx.rt.dispose(), ctx.rt.dispose()]); return 'ok' }, expect: { resolve: true, value: 'ok', after: 'disposed', cause: null } },
  {
    id: 'dispose/during-loop',
    options: B,
    withinMs: 2000,
    run: async (ctx) => {
      const p = ctx.rt.eval('for (;;) {}')
      p.catch(() => {}) // settled below, after dispose
      await ctx.sleep(50)
      await ctx.rt.dispose()
      return p
    },
    expect: DISPOSED,
  },
  {
    id: 'dispose/during-pbkdf2',
    why: 'dispose() must not wait for native work to finish',
    options: B,
    withinMs: 3000,
    run: async (ctx) => {
      const p = ctx.rt.eval(`const k = await crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false, ['deriveBits']); await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: new Uint8Array(16), iterations: 2 ** 25 }, k, 512)`)
      p.catch(() => {}) // returned below, after dispose
      await ctx.sleep(100)
      await ctx.rt.dispose()
      return p
    },
    expect: DISPOSED,
  },
  {
    id: 'dispose/during-memory-bomb',
    options: { memoryLimitMB: 64 },
    withinMs: 5000,
    run: async (ctx) => {
      const p = ctx.rt.eval(`const keep = []; for (;;) { keep.push(new Array(1e5).fill(1)); if (keep.length > 20) keep.length = 0 }`)
      p.catch(() => {}) // returned below, after dispose
      await ctx.sleep(100)
      await ctx.rt.dispose()
      return p
    },
    expect: DISPOSED,
  },
  {
    id: 'dispose/inside-sync-customFunction',
    options: B,
    host: (ctx) => ({ customFunctions: { quit: { type: 'sync', fn: () => { ctx.rt.dispose(); return 1 } } } }),
    script: `quit(); for (;;) {}`,
    expect: DISPOSED,
    withinMs: 3000,
  },
  {
    id: 'dispose/inside-async-customFunction',
    options: B,
    host: (ctx) => ({ customFunctions: { quit: { type: 'async', fn: async () => { await ctx.rt.dispose(); return 1 } } } }),
    script: `await quit()`,
    expect: DISPOSED,
  },
  {
    id: 'dispose/inside-console-onEntry',
    options: B,
    host: (ctx) => ({ console: { onEntry: () => void ctx.rt.dispose() } }),
    script: `console.log('bye'); await new Promise((r) => setTimeout(r, 200))`,
    expect: DISPOSED,
  },
  {
    id: 'dispose/inside-moduleLoader',
    options: B,
    host: (ctx) => ({ moduleLoader: async (spec) => { await ctx.rt.dispose(); return { code: 'export default 1', filename: spec } } }),
    script: `import './a.js'`,
    expect: DISPOSED,
  },
  {
    id: 'dispose/inside-onFetch',
    options: B,
    host: (ctx) => ({ onFetch: async () => { await ctx.rt.dispose(); return new Response('late') } }),
    script: `await fetch('http://host/')`,
    expect: DISPOSED,
  },
  {
    id: 'dispose/inside-webSocket-callback',
    options: B,
    host: (ctx) => ({ webSocket: () => { ctx.rt.dispose(); return false } }),
    script: `new WebSocket('ws://host/'); await new Promise((r) => setTimeout(r, 200))`,
    expect: DISPOSED,
  },
  {
    id: 'dispose/inside-onWebSocketCommand',
    why: 'the dispatch either finished before the dispose took effect, or rejects as disposed',
    options: B,
    run: async (ctx) => {
      await ctx.rt.eval(`serve({ fetch(req, server) { server.upgrade(req); return new Response(null, { status: 101 }) }, websocket: { open(ws) { for (let i = 0; i < 100; i++) ws.send('m' + i) } } })`)
      ctx.rt.fetch.onWebSocketCommand(() => void ctx.rt.dispose())
      await ctx.rt.fetch.dispatchRequest(new Request('http://x/', { headers: { upgrade: 'websocket' } }))
      const up = await ctx.rt.fetch.getUpgradeRequest()
      await ctx.rt.fetch.dispatchWebSocketOpen(up.connectionId)
      await ctx.sleep(100)
      return 'done'
    },
    expect: [{ resolve: true, value: 'done', after: 'disposed', cause: null }, DISPOSED],
  },
  {
    id: 'dispose/while-host-reads-body',
    why: 'the body stream ends with an error once the runtime is gone',
    options: B,
    run: async (ctx) => {
      await ctx.rt.eval(`serve({ fetch: () => new Response(new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 5)); c.enqueue(new Uint8Array(1024)) } })) })`)
      const res = await ctx.rt.fetch.dispatchRequest(new Request('http://x/'))
      const reader = res.body.getReader()
      await reader.read()
      await ctx.rt.dispose()
      for (;;) if ((await reader.read()).done) return 'ended without error'
    },
    expect: [DISPOSED, { error: 'TypeError' }],
  },

  // ---- host functions that throw, never settle, or return hostile values ----
  hostThrows('TypeError', () => { throw new TypeError('host says no') }, `e instanceof TypeError && e.message === 'host says no'`),
  hostThrows('symbol', () => { throw Symbol('s') }, `true`),
  hostThrows('undefined', () => { throw undefined }, `true`),
  hostThrows('throwing-getters', () => { throw { get name() { throw new Error('n') }, get message() { throw new Error('m') }, get stack() { throw new Error('s') } } }, `true`),
  hostThrows('revoked-proxy', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); throw proxy }, `true`),
  hostThrows('error-with-looping-cause', () => { const e = new Error('c'); e.cause = e; throw e }, `e.message === 'c'`),
  { id: 'customFunction/never-settles', options: { memoryLimitMB: 32, executionTimeout: 200 }, host: () => ({ customFunctions: { hang: { type: 'async', fn: () => new Promise(() => {}) } } }), script: `await hang()`, expect: TIMEOUT },
  { id: 'customFunction/sync-returns-promise', why: 'a Promise is not cloneable', options: B, host: () => ({ customFunctions: { f: { type: 'sync', fn: async () => 1 } } }), script: `f()`, expect: [{ error: 'DataCloneError' }, { error: 'TypeError' }] },
  { id: 'customFunction/returns-throwing-getter', why: 'the getter’s error, as structured clone propagates it', options: B, host: () => ({ customFunctions: { f: { type: 'sync', fn: () => ({ get a() { throw new Error('getter') } }) } } }), script: `f()`, expect: [{ error: 'Error', message: 'getter' }, { error: 'DataCloneError' }] },
  { id: 'customFunction/returns-proxy', options: B, host: () => ({ customFunctions: { f: { type: 'sync', fn: () => new Proxy({}, { ownKeys() { throw new RangeError('trap') } }) } } }), script: `f()`, expect: [{ error: 'DataCloneError' }, { error: 'RangeError', message: 'trap' }] },
  { id: 'customFunction/returns-function', why: 'a returned function stays on the host: inside, each call is a host round trip returning a promise', options: B, host: () => ({ customFunctions: { f: { type: 'sync', fn: () => () => 1 } } }), script: `const g = f(); report([typeof g, await g()])`, expect: { resolve: true, reported: [['function', 1]] } },
  { id: 'customFunction/returns-symbol', options: B, host: () => ({ customFunctions: { f: { type: 'sync', fn: () => Symbol('x') } } }), script: `f()`, expect: { error: 'DataCloneError' } },
  {
    id: 'customFunction/returns-sparse-2^32-1',
    options: B,
    host: () => ({ customFunctions: { f: { type: 'sync', fn: () => { const a = []; a.length = 2 ** 32 - 1; return a } } } }),
    script: `const a = f(); report(a.length)`,
    expect: [{ resolve: true, reported: [4294967295] }, { error: ['DataCloneError', 'RangeError', 'MemoryLimitError'] }],
  },
  {
    id: 'customFunction/returns-3e5-deep',
    why: 'refused past a depth (DataCloneError / RangeError), or passed whole; never a native stack overflow',
    options: { memoryLimitMB: 64 },
    host: () => ({ customFunctions: { f: { type: 'sync', fn: () => { let a = []; for (let i = 0; i < 3e5; i++) a = [a]; return a } } } }),
    script: `f()`,
    expect: [OK, { error: ['DataCloneError', 'RangeError'] }],
  },
  {
    id: 'customFunction/arg-3e5-deep',
    options: { memoryLimitMB: 64 },
    host: () => ({ customFunctions: { take: { type: 'sync', fn: () => {} } } }),
    script: `let a = []; for (let i = 0; i < 3e5; i++) a = [a]; take(a)`,
    expect: [OK, { error: ['DataCloneError', 'RangeError'] }],
  },
  {
    id: 'customFunction/arg-3e5-deep-json',
    options: { memoryLimitMB: 64 },
    host: () => ({ customFunctions: { take: { type: 'async', fn: async () => {} } } }),
    script: `await take(JSON.parse('['.repeat(3e5) + ']'.repeat(3e5)))`,
    expect: [OK, { error: ['DataCloneError', 'RangeError'] }],
  },
  {
    id: 'customFunction/arg-3e5-deep-map',
    options: { memoryLimitMB: 64 },
    host: () => ({ customFunctions: { take: { type: 'sync', fn: () => {} } } }),
    script: `let m = new Map(); for (let i = 0; i < 3e5; i++) m = new Map([[1, m]]); take(m)`,
    expect: [OK, { error: ['DataCloneError', 'RangeError'] }],
  },
  {
    id: 'structuredClone-3e5-deep',
    options: { memoryLimitMB: 64 },
    script: `let a = {}; for (let i = 0; i < 3e5; i++) a = { a }; structuredClone(a)`,
    expect: [OK, { error: ['DataCloneError', 'RangeError'] }],
  },
  { id: 'console-3e5-deep', options: { memoryLimitMB: 64 }, host: () => ({ console: { onEntry() {} } }), script: `let a = []; for (let i = 0; i < 3e5; i++) a = [a]; console.log(a)`, expect: OK },

  // ---- values with hostile shapes (structured clone rules: own data, internal slots) ----
  {
    id: 'value/regexp-forged-flags-to-host',
    host: (ctx) => toHost(ctx, (v) => [v instanceof RegExp, v.source, v.flags]),
    script: `const r = /a/g; Object.defineProperty(r, 'flags', { value: 'zzz' }); Object.defineProperty(r, 'source', { get() { for (;;) {} } }); take(r)`,
    expect: { resolve: true, reported: [[true, 'a', 'g']] },
    options: BT,
  },
  {
    id: 'value/regexp-forged-flags-from-host',
    options: BT,
    host: () => ({ customFunctions: { f: { type: 'sync', fn: () => { const r = /a/g; Object.defineProperty(r, 'flags', { value: 'x'.repeat(1e6) }); return r } } } }),
    script: `const v = f(); report([v.source, v.flags])`,
    expect: { resolve: true, reported: [['a', 'g']] },
  },
  {
    id: 'value/own-__proto__-self-to-host',
    options: B,
    host: (ctx) => toHost(ctx, (v) => [Object.hasOwn(v, '__proto__'), Object.getPrototypeOf(v) === Object.prototype, v['__proto__'] === v]),
    script: `const o = {}; Object.defineProperty(o, '__proto__', { value: o, enumerable: true, configurable: true, writable: true }); take(o)`,
    expect: { resolve: true, reported: [[true, true, true]] },
  },
  {
    id: 'value/json-__proto__-from-host',
    options: B,
    host: () => ({ customFunctions: { f: { type: 'sync', fn: () => JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}') } } }),
    script: `const v = f(); report([Object.hasOwn(v, '__proto__'), Object.getPrototypeOf(v) === Object.prototype, ({}).polluted === undefined, v.a])`,
    expect: { resolve: true, reported: [[true, true, true, 1]] },
  },
  {
    id: 'value/json-__proto__-to-host',
    options: B,
    host: (ctx) => toHost(ctx, (v) => [Object.hasOwn(v, '__proto__'), ({}).polluted === undefined, Object.getPrototypeOf(v) === Object.prototype]),
    script: `take(JSON.parse('{"__proto__": {"polluted": 1}}'))`,
    expect: { resolve: true, reported: [[true, true, true]] },
  },
  {
    id: 'value/json-__proto__-result-of-dispatch',
    options: B,
    run: async (ctx) => {
      await ctx.rt.eval(`serve({ fetch: () => Response.json(JSON.parse('{"__proto__": {"polluted": 1}}')) })`)
      const v = await (await ctx.rt.fetch.dispatchRequest(new Request('http://x/'))).json()
      return [Object.hasOwn(v, '__proto__'), ({}).polluted === undefined]
    },
    expect: { resolve: true, value: [true, true] },
  },

  // ---- platform objects crossing by kind (customFunctions): brand checks on internal slots ----
  {
    id: 'value/fake-Headers-to-host',
    why: 'an object with Headers.prototype and a patched iterator is not a Headers: it crosses as a plain object',
    options: BT,
    host: (ctx) => toHost(ctx, (v) => [v instanceof Headers, Object.keys(v)]),
    script: `Headers.prototype[Symbol.iterator] = function* () { for (;;) yield ['x', 'y'] }; take(Object.setPrototypeOf({ a: 1 }, Headers.prototype))`,
    expect: { resolve: true, reported: [[false, ['a']]] },
  },
  {
    id: 'value/patched-Headers-to-host',
    why: 'a real Headers crosses from its internal list: patched prototype methods and getters are not called',
    options: BT,
    host: (ctx) => toHost(ctx, (v) => [v instanceof Headers, [...v]]),
    script: `const h = new Headers({ a: '1' })
      for (const k of ['entries', 'forEach', 'get', 'keys', 'values', Symbol.iterator]) Headers.prototype[k] = function () { for (;;) {} }
      take(h)`,
    expect: { resolve: true, reported: [[true, [['a', '1']]]] },
  },
  {
    id: 'value/fake-Request-to-host',
    why: 'Request.prototype on a plain object does not make a Request: no body is pulled, nothing is fetched',
    options: BT,
    host: (ctx) => toHost(ctx, (v) => [v instanceof Request, v.url]),
    script: `take(Object.setPrototypeOf({ url: 'http://evil.example/', method: 'POST' }, Request.prototype))`,
    expect: { resolve: true, reported: [[false, 'http://evil.example/']] },
  },
  {
    id: 'value/patched-Request-getters-to-host',
    why: 'a real Request crosses from its internal state: getters that loop are not called',
    options: BT,
    host: (ctx) => toHost(ctx, (v) => [v instanceof Request, v.method, v.url, v.headers.get('x-a')]),
    script: `const r = new Request('https://a.example/p', { method: 'PUT', headers: { 'x-a': '1' } })
      for (const k of ['url', 'method', 'headers', 'body', 'bodyUsed', 'signal']) Object.defineProperty(Request.prototype, k, { get() { for (;;) {} } })
      take(r)`,
    expect: { resolve: true, reported: [[true, 'PUT', 'https://a.example/p', '1']] },
  },
  {
    id: 'value/blobs-past-the-limit-to-host',
    why: 'Blob bytes are charged against memoryLimitMB before the host copy is made',
    options: { memoryLimitMB: 16, executionTimeout: 5000 },
    host: (ctx) => toHost(ctx, () => 'received'),
    // Three Blobs over the same 6 MB: 18 MB to copy for the host, 6 MB held inside.
    script: `const a = new Blob([new Uint8Array(6 << 20)])
      try { take([a, new Blob([a]), new Blob([a])]) } catch (e) { report([e.name, /memoryLimitMB/.test(e.message)]) }`,
    expect: { resolve: true, reported: [['DataCloneError', true]] },
  },
  {
    id: 'value/kept-host-functions-flood',
    why: 'each host function the isolate holds costs its stand-in inside (and a charge on the host): holding a million ends the runtime at its memory limit; the host lets go of them all at dispose',
    options: { memoryLimitMB: 16, executionTimeout: 10000 },
    host: () => ({ customFunctions: { mk: { type: 'sync', fn: () => () => 1 } } }),
    script: `const keep = []; for (let i = 0; i < 1e6; i++) keep.push(mk())`,
    expect: MEM,
  },
  {
    id: 'value/identity-with-platform-objects-to-host',
    why: 'a platform object is one object among the others: shared references and cycles survive',
    options: B,
    host: (ctx) => toHost(ctx, (v) => [v.self === v, v.again === v.u, v.u instanceof URL, v.u.href]),
    script: `const o = { u: new URL('http://a.example/') }; o.self = o; o.again = o.u; take(o)`,
    expect: { resolve: true, reported: [[true, true, true, 'http://a.example/']] },
  },
  {
    id: 'value/request-body-not-bytes-to-host',
    why: 'a streamed body whose chunks are not bytes errors the host stream; the runtime goes on',
    options: BT,
    host: () => ({ customFunctions: { read: { type: 'async', fn: async (r) => { try { await r.text(); return 'read' } catch (e) { return 'failed: ' + e.name } } } } }),
    script: `const body = new ReadableStream({ pull(c) { c.enqueue('not bytes'); c.close() } })
      report(await read(new Request('https://a.example/', { method: 'POST', body, duplex: 'half' })))`,
    expect: { resolve: true, reported: ['failed: TypeError'] },
  },

  // ---- errors named like the package's: never the package's, never end the runtime ----
  { id: 'forged/MemoryLimitError-class', options: B, script: `class MemoryLimitError extends Error { constructor(m) { super(m); this.name = 'MemoryLimitError'; this.code = 'ERR_ISOLATE_MEMORY_LIMIT' } }; throw new MemoryLimitError('Memory limit of 32 MB exceeded')`, expect: { error: 'MemoryLimitError', forged: true } },
  { id: 'forged/TimeoutError-DOMException', options: B, script: `throw new DOMException('Execution timed out after 100 ms', 'TimeoutError')`, expect: { error: 'TimeoutError', forged: true } },
  { id: 'forged/AbortSignal-timeout', why: 'a DOMException TimeoutError from AbortSignal.timeout is the script’s, not the package’s', options: B, script: `await new Promise((r, j) => AbortSignal.timeout(1).addEventListener('abort', function () { j(this.reason) }))`, expect: { error: 'TimeoutError', forged: true } },
  { id: 'forged/RuntimeDisposedError', options: B, script: `throw Object.assign(new Error('Runtime has been disposed'), { name: 'RuntimeDisposedError', code: 'ERR_ISOLATE_DISPOSED' })`, expect: { error: 'RuntimeDisposedError', forged: true } },
  { id: 'forged/plain-object', options: B, script: `throw { name: 'MemoryLimitError', message: 'x', code: 'ERR_ISOLATE_MEMORY_LIMIT' }`, expect: { error: ['MemoryLimitError', 'Error'], forged: true } },
  {
    id: 'forged/from-host-function',
    options: B,
    host: () => ({ customFunctions: { f: { type: 'sync', fn: () => { throw Object.assign(new Error('Execution timed out after 1 ms'), { name: 'TimeoutError', code: 'ERR_ISOLATE_TIMEOUT' }) } } } }),
    script: `f()`,
    expect: { error: 'TimeoutError', forged: true },
  },
  {
    id: 'forged/in-dispatch',
    options: B,
    run: async (ctx) => {
      await ctx.rt.eval(`serve({ fetch() { throw Object.assign(new Error('cpu'), { name: 'CpuLimitError', code: 'ERR_ISOLATE_CPU_LIMIT' }) } })`)
      return ctx.rt.fetch.dispatchRequest(new Request('http://x/'))
    },
    expect: { error: 'CpuLimitError', forged: true },
  },

  // ---- runtimes dropped without dispose, and worker_threads that end ----
  {
    id: 'dropped/30-runtimes',
    why: 'runtimes never disposed are freed once garbage-collected: threads and RSS return',
    options: null,
    run: async (ctx) => {
      for (let i = 0; i < 30; i++) {
        const r = await ctx.pkg.createRuntime({ memoryLimitMB: 16 })
        await r.eval('globalThis.x = new Array(1e5).fill(1)')
      }
      return 'dropped'
    },
    expect: { resolve: true, value: 'dropped' },
  },
  {
    id: 'dropped/with-intervals-and-handler',
    options: null,
    run: async (ctx) => {
      for (let i = 0; i < 10; i++) {
        const r = await ctx.pkg.createRuntime({ memoryLimitMB: 16 })
        await r.eval(`setInterval(() => {}, 1); serve({ fetch: () => new Response('x') })`)
        await (await r.fetch.dispatchRequest(new Request('http://x/'))).text()
      }
      return 'dropped'
    },
    expect: { resolve: true, value: 'dropped' },
  },
  {
    id: 'worker/exits-mid-eval',
    options: null,
    run: async (ctx) => {
      const { exit, message } = runWorker(
        `const { parentPort, workerData } = require('node:worker_threads')
         const { createRuntime } = require(workerData.indexPath)
         createRuntime().then((rt) => { rt.eval('for (;;) {}').catch(() => {}); parentPort.postMessage('started'); setTimeout(() => process.exit(0), 50) })`,
        ctx.indexPath,
      )
      await message
      return exit
    },
    expect: { resolve: true, value: 0 },
  },
  {
    id: 'worker/terminated-mid-eval',
    options: null,
    run: async (ctx) => {
      const { w, exit, message } = runWorker(
        `const { parentPort, workerData } = require('node:worker_threads')
         const { createRuntime } = require(workerData.indexPath)
         createRuntime().then((rt) => { rt.eval('const k = []; for (;;) k.push(new ArrayBuffer(1024)); ').catch(() => {}); parentPort.postMessage('started') })`,
        ctx.indexPath,
      )
      await message
      await ctx.sleep(50)
      await w.terminate()
      await exit
      return 'terminated'
    },
    expect: { resolve: true, value: 'terminated' },
  },
  {
    id: 'worker/terminated-mid-dispatch',
    options: null,
    run: async (ctx) => {
      const { w, exit, message } = runWorker(
        `const { parentPort, workerData } = require('node:worker_threads')
         const { createRuntime } = require(workerData.indexPath)
         ;(async () => {
           const rt = await createRuntime({ customFunctions: { hang: { type: 'async', fn: () => new Promise(() => {}) } } })
           await rt.eval('serve({ async fetch() { await hang(); return new Response("x") } })')
           rt.fetch.dispatchRequest(new Request('http://x/')).catch(() => {})
           parentPort.postMessage('started')
         })()`,
        ctx.indexPath,
      )
      await message
      await ctx.sleep(50)
      await w.terminate()
      await exit
      return 'terminated'
    },
    expect: { resolve: true, value: 'terminated' },
  },

  // ---- odd but legal uses ----
  { id: 'dispatch/non-request', options: B, run: async (ctx) => { await ctx.rt.eval(`serve({ fetch: () => new Response('x') })`); return asPromise(() => ctx.rt.fetch.dispatchRequest({ url: 'http://x/' })) }, expect: { error: 'TypeError' } },
  { id: 'dispatch/unknown-ws-id', options: B, run: async (ctx) => { await openWebSocket(ctx, '{}'); return asPromise(() => ctx.rt.fetch.dispatchWebSocketMessage('x'.repeat(1 << 20), 'x')) }, expect: { error: 'Error', message: /^No open WebSocket connection/ } },
  {
    id: 'eval/reentrant-from-sync-customFunction',
    options: B,
    host: (ctx) => ({ customFunctions: { again: { type: 'sync', fn: () => void ctx.rt.eval('globalThis.z = 1').then(() => ctx.report('inner done')) } } }),
    run: async (ctx) => {
      await ctx.rt.eval('again()')
      await ctx.rt.eval('report(globalThis.z)')
      return ctx.reported
    },
    expect: { resolve: true, value: ['inner done', 1] },
  },
  {
    id: 'stats/during-memory-bomb',
    options: { memoryLimitMB: 16, executionTimeout: 12_000 },
    run: async (ctx) => {
      const p = ctx.rt.eval('const a = []; for (;;) a.push(new Array(1e5).fill(1))')
      let done = false
      p.catch(() => {}).finally(() => (done = true))
      while (!done) {
        ctx.rt.stats()
        await new Promise((r) => setImmediate(r))
      }
      return p
    },
    expect: MEM,
  },
  { id: 'crypto/getRandomValues-quota', options: B, script: `crypto.getRandomValues(new Uint8Array(65537))`, expect: { error: 'QuotaExceededError' } },
  { id: 'crypto/getRandomValues-resizable', why: 'WebIDL: a view on a resizable buffer is a TypeError', options: B, script: `const rab = new ArrayBuffer(16, { maxByteLength: 32 }); const v = new Uint8Array(rab, 8, 8); rab.resize(4); crypto.getRandomValues(v)`, expect: { error: 'TypeError' } },
  { id: 'crypto/digest-algorithm-getter-throws', options: B, script: `await crypto.subtle.digest({ get name() { throw new RangeError('from getter') } }, new Uint8Array(1))`, expect: { error: 'RangeError', message: 'from getter' } },
  {
    id: 'crypto/digest-algorithm-proxy',
    options: B,
    script: `const d = await crypto.subtle.digest(new Proxy({}, { get: (t, k) => (k === 'name' ? 'SHA-256' : undefined) }), new Uint8Array(1)); report(d.byteLength)`,
    expect: { resolve: true, reported: [32] },
  },
  { id: 'blob/slice-extremes', options: B, script: `const b = new Blob(['abc']); report([await b.slice(-(2 ** 53), 2 ** 53).text(), await b.slice(2 ** 53).text(), b.slice(1, -1, 'x/y').size, b.slice(NaN, Infinity).size])`, expect: { resolve: true, reported: [['abc', '', 1, 3]] } },
  // The File System Access API (src/web/fs/): every name and path a script gives is hostile.
  {
    id: 'fs/path-junk',
    why: 'names with NUL, "..", slashes, 1 MB, throwing toString; paths of 1 MB: TypeErrors, the host handler never sees them',
    options: B,
    host: (ctx) => {
      const mem = ctx.pkg.createInMemoryDirectoryHandler()
      ctx.seen = []
      const seen = (f) => async (...a) => (ctx.seen.push(a[0]), f(...a))
      return {
        customFunctions: { seen: { type: 'sync', fn: () => ctx.seen.filter((p) => p !== '/') } },
        fs: {
          getFileHandle: seen((p, o) => mem.getFileHandle(p, o)),
          getDirectoryHandle: seen((p, o) => mem.getDirectoryHandle(p, o)),
          removeEntry: seen((p, o) => mem.removeEntry(p, o)),
          readDirectory: seen((p) => mem.readDirectory(p)),
          readFile: seen((p, o) => mem.readFile(p, o)),
          writeFile: seen((p, d) => mem.writeFile(p, d)),
        },
      }
    },
    script: `
      const root = await getDirectory('/')
      const names = ['', '.', '..', 'a/b', 'a\\\\b', 'a\\0b', '../../etc/passwd', 'x'.repeat(1 << 20), { toString() { throw new TypeError('nope') } }, Symbol('s')]
      const out = []
      for (const n of names) {
        for (const op of ['getFileHandle', 'getDirectoryHandle', 'removeEntry']) {
          try { await root[op](n, { create: true, recursive: true }); out.push('accepted') } catch (e) { out.push(e.name) }
        }
      }
      for (const p of ['x'.repeat(1 << 20), 'a\\0b']) {
        try { await getDirectory(p); out.push('accepted') } catch (e) { out.push(e.name) }
      }
      report([...new Set(out)], seen())
    `,
    expect: { resolve: true, reported: [[['TypeError'], []]] },
  },
  {
    id: 'fs/deep-nesting',
    why: 'getDirectoryHandle({ create }) nested until the path passes 4096 characters: a TypeError, nothing deeper made',
    options: B,
    host: (ctx) => ({ fs: ctx.pkg.createInMemoryDirectoryHandler() }),
    script: `
      let d = await getDirectory('/')
      let depth = 0
      try { for (;;) { d = await d.getDirectoryHandle('d'.repeat(200), { create: true }); depth++ } } catch (e) { report([e.name, depth]) }
    `,
    expect: { resolve: true, reported: [['TypeError', 20]] },
  },
  {
    id: 'fs/many-handles-and-roots',
    why: '20,000 handles kept and 5,000 distinct getDirectory roots: handles are isolate objects, the host keeps a bounded cache of roots',
    options: { memoryLimitMB: 64, executionTimeout: 30_000 },
    withinMs: 30_000,
    host: (ctx) => {
      const mem = ctx.pkg.createInMemoryDirectoryHandler({ 'f.txt': 'x' })
      return { fs: { getDirectory: async () => mem } }
    },
    script: `
      const root = await getDirectory('/')
      const keep = []
      for (let i = 0; i < 20000; i++) keep.push(await root.getFileHandle('f.txt'))
      for (let i = 0; i < 5000; i++) keep.push(await getDirectory('/r' + i))
      report(keep.length)
    `,
    expect: { resolve: true, reported: [25000] },
  },
])
