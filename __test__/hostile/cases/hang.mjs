// hang: scripts that never give the thread back — loops in every place the platform runs user
// code (evals, serve() handlers, timers, microtasks, getters the host or the platform reads,
// module graphs, WebSocket handlers, streams, hooks), and native work. Contained: TimeoutError
// (executionTimeout, wall clock) or CpuLimitError (cpuTimeLimit, isolate CPU) within the limit
// + 1.5 s, the runtime ended; work left behind after an eval ends the runtime, so the next call
// rejects with RuntimeDisposedError whose cause is the limit error.
import { define, TIMEOUT, MEM, OK, ENDED_BY, DISPOSED, dispatch, openWebSocket, thenProbe } from '../common.mjs'

const T = { memoryLimitMB: 32, executionTimeout: 200 }
const C = { memoryLimitMB: 32, cpuTimeLimit: 200 }
/** Time a probe waits before asking a runtime that has work left behind. */
const WAIT = 1200
const later = (limit) => ({ ...ENDED_BY(limit), extraMs: WAIT })

/** The same attack under executionTimeout and under cpuTimeLimit. */
function both(id, def) {
  return [
    { ...def, id: `${id}/timeout`, options: { ...T, ...def.options }, expect: def.expectFor('TimeoutError') },
    { ...def, id: `${id}/cpu`, options: { ...C, ...def.options }, expect: def.expectFor('CpuLimitError') },
  ]
}
const limitError = (name) => ({ error: name })

const hostAsync = () => ({
  customFunctions: {
    later: { type: 'async', fn: () => new Promise((r) => setTimeout(() => r(1), 20)) },
  },
})

export default define('hang', [
  ...both('eval-loop', { script: 'for (;;) {}', expectFor: limitError }),
  ...both('eval-loop-after-await', { script: 'await null; while (true) {}', expectFor: limitError }),
  ...both('serve-handler-loop', { run: dispatch('{ fetch() { for (;;) {} } }'), expectFor: limitError }),
  ...both('serve-async-handler-loop', { run: dispatch('{ async fetch(req) { await req.text(); for (;;) {} } }', { init: { method: 'POST', body: 'x' } }), expectFor: limitError }),
  ...both('timer-after-eval', { run: thenProbe('setTimeout(() => { for (;;) {} }, 10)', WAIT), expectFor: later }),
  ...both('interval-after-eval', { run: thenProbe('let n = 0; setInterval(() => { if (++n === 3) for (;;) {} }, 5)', WAIT), expectFor: later }),
  ...both('microtask-after-host-reply', { host: hostAsync, run: thenProbe('later().then(() => { for (;;) {} })', WAIT), expectFor: later }),
  ...both('error-listener-loop', {
    run: thenProbe(`addEventListener('error', (e) => { e.preventDefault(); for (;;) {} }); setTimeout(() => { throw new Error('x') }, 5)`, WAIT),
    expectFor: later,
  }),
  ...both('regexp-catastrophic', { script: `/(a+)+$/.test('a'.repeat(40) + 'b')`, expectFor: limitError }),
  ...both('urlpattern-catastrophic', {
    why: 'a URLPattern group runs on V8\'s backtracking RegExp (ECMAScript syntax, as the standard says), which checks for termination while it backtracks',
    script: `new URLPattern({ pathname: '/((?:a|a)+)' }).test('https://h/' + 'a'.repeat(40) + 'b')`,
    expectFor: limitError,
  }),
  {
    id: 'messageport-ping-pong',
    why: 'two ports answering each other for ever: every delivery is a short task of its own, so executionTimeout (wall clock) ends it',
    options: T,
    script: `const { port1, port2 } = new MessageChannel(); port1.onmessage = () => port2.postMessage(0); port2.onmessage = () => port1.postMessage(0); port1.postMessage(0); await new Promise(() => {})`,
    expect: TIMEOUT,
  },
  ...both('microtask-storm', { script: `(function f() { Promise.resolve().then(f) })(); await new Promise((r) => setTimeout(r, 10))`, expectFor: limitError }),
  ...both('queueMicrotask-storm-after-eval', { run: thenProbe(`setTimeout(() => { (function f() { queueMicrotask(f) })() }, 5)`, WAIT), expectFor: later }),
  ...both('platform-calls-toString', { script: `new URL({ toString() { for (;;) {} } })`, expectFor: limitError }),
  ...both('ws-message-handler-loop', {
    run: async (ctx) => {
      const { id } = await openWebSocket(ctx, '{ message() { for (;;) {} } }')
      return ctx.rt.fetch.dispatchWebSocketMessage(id, 'hi')
    },
    expectFor: limitError,
  }),
  ...both('readable-pull-loop', {
    why: 'the host reads the body; the isolate’s pull() never returns: the read fails with the limit error',
    run: dispatch('{ fetch: () => new Response(new ReadableStream({ pull() { for (;;) {} } })) }'),
    expectFor: limitError,
  }),

  // ---- getters and hooks the host or the platform reads (spec-mandated reads) ----
  {
    id: 'getter-on-thrown-error-message',
    why: 'the host reads the rejection without running its getters (an Error), or is stopped by the deadline',
    options: T,
    script: `const e = new Error('x'); Object.defineProperty(e, 'message', { get() { for (;;) {} } }); throw e`,
    expect: [TIMEOUT, { error: 'Error' }],
  },
  {
    id: 'getter-on-thrown-error-stack',
    options: T,
    script: `const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { for (;;) {} } }); throw e`,
    expect: [TIMEOUT, { error: 'Error' }],
  },
  {
    id: 'getter-on-thrown-error-name',
    options: T,
    script: `const e = new Error('x'); Object.defineProperty(e, 'name', { get() { for (;;) {} } }); throw e`,
    expect: [TIMEOUT, { error: 'Error' }],
  },
  {
    id: 'thrown-proxy-traps',
    why: 'a thrown Proxy whose traps never return: the host may not read it at all (a plain Error), or is stopped',
    options: T,
    script: `throw new Proxy({}, { get() { for (;;) {} }, getPrototypeOf() { for (;;) {} }, has() { for (;;) {} }, ownKeys() { for (;;) {} }, getOwnPropertyDescriptor() { for (;;) {} } })`,
    expect: [TIMEOUT, { error: 'Error' }],
  },
  {
    id: 'unhandled-rejection-getters',
    why: 'a rejection nobody handles is reported to console.onEntry after the task: reading it loops',
    options: T,
    host: () => ({ console: { onEntry() {} } }),
    run: async (ctx) => {
      const first = await ctx.rt.eval(`Promise.reject({ get message() { for (;;) {} }, get stack() { for (;;) {} }, get name() { for (;;) {} } })`).then(
        () => null,
        (e) => e,
      )
      if (first) throw first
      await ctx.sleep(WAIT)
      return ctx.rt.eval('1')
    },
    expect: [TIMEOUT, later('TimeoutError')],
  },
  {
    id: 'uncaught-timer-error-getters',
    options: T,
    host: () => ({ console: { onEntry() {} } }),
    run: thenProbe(`setTimeout(() => { const e = new Error('t'); Object.defineProperty(e, 'stack', { get() { for (;;) {} } }); throw e }, 5)`, WAIT),
    expect: later('TimeoutError'),
  },
  { id: 'setTimeout-delay-valueOf', options: T, script: `setTimeout(() => {}, { valueOf() { for (;;) {} } })`, expect: TIMEOUT },
  { id: 'textdecoder-label-toPrimitive', options: T, script: `new TextDecoder({ [Symbol.toPrimitive]() { for (;;) {} } })`, expect: TIMEOUT },
  { id: 'headers-iterator-getter', options: T, script: `new Headers({ get [Symbol.iterator]() { for (;;) {} } })`, expect: TIMEOUT },
  { id: 'response-init-status-getter', options: T, script: `new Response('x', { get status() { for (;;) {} } })`, expect: TIMEOUT },
  { id: 'btoa-toString', options: T, script: `btoa({ toString() { for (;;) {} } })`, expect: TIMEOUT },
  { id: 'blob-part-toString', options: T, script: `new Blob([{ toString() { for (;;) {} } }])`, expect: TIMEOUT },
  { id: 'structuredClone-getter', options: T, script: `structuredClone({ get a() { for (;;) {} } })`, expect: TIMEOUT },
  { id: 'abortsignal-timeout-valueOf', options: T, script: `AbortSignal.timeout({ valueOf() { for (;;) {} } })`, expect: TIMEOUT },
  { id: 'subtle-algorithm-name-getter', options: T, script: `await crypto.subtle.digest({ get name() { for (;;) {} } }, new Uint8Array(1))`, expect: TIMEOUT },
  { id: 'customFunction-arg-getter', options: T, script: `report({ get a() { for (;;) {} } })`, expect: TIMEOUT },
  {
    id: 'console-proxy-traps',
    why: 'console may not touch the Proxy’s traps (resolve) or is stopped while in them',
    options: T,
    host: () => ({ console: { onEntry() {} } }),
    script: `console.log(new Proxy({}, { ownKeys() { for (;;) {} }, get() { for (;;) {} }, getPrototypeOf() { for (;;) {} }, getOwnPropertyDescriptor() { for (;;) {} } }))`,
    expect: [OK, TIMEOUT],
  },
  {
    id: 'console-looping-getter',
    why: 'console shows accessors without calling them (resolve), or is stopped',
    options: T,
    host: () => ({ console: { onEntry() {} } }),
    script: `console.log({ get x() { for (;;) {} } })`,
    expect: [OK, TIMEOUT],
  },
  {
    id: 'console-format-toString',
    options: T,
    host: () => ({ console: { onEntry() {} } }),
    script: `console.log('%s', { toString() { for (;;) {} } }, { [Symbol.toPrimitive]() { for (;;) {} } })`,
    expect: [OK, TIMEOUT],
  },

  // ---- module graphs ----
  {
    id: 'module-evaluation-loop',
    options: T,
    host: () => ({ moduleLoader: (spec) => ({ code: 'for (;;) {}', filename: spec }) }),
    script: `import './loop.js'`,
    expect: TIMEOUT,
  },
  {
    id: 'module-graph-infinite',
    why: 'every module imports a new one: the deadline or the memory limit ends it. The specifiers grow by one character per module, so the sources the host hands over add up quadratically (tens of MB through the allocators of Node and the pool); 55-69 MB of RSS stayed after dispose until teardown trimmed the allocators (limits::release_after_teardown): 10-16 MB since, under the 64 MB default',
    options: T,
    host: () => ({ moduleLoader: (spec) => ({ code: `import './${spec.replace(/\W/g, '')}x.js'`, filename: spec + 'x' }) }),
    script: `import './m.js'`,
    expect: [TIMEOUT, MEM],
  },
  {
    id: 'module-loader-never-resolves',
    options: T,
    host: () => ({ moduleLoader: () => new Promise(() => {}) }),
    script: `import './never.js'`,
    expect: TIMEOUT,
  },
  {
    id: 'dynamic-import-loop',
    options: T,
    host: () => ({ moduleLoader: (spec) => ({ code: 'export default 1', filename: spec }) }),
    script: `for (let i = 0; ; i++) await import('./m' + i + '.js')`,
    expect: TIMEOUT,
  },
  {
    id: 'module-top-level-await-forever',
    options: T,
    host: () => ({ moduleLoader: (spec) => ({ code: 'await new Promise(() => {})', filename: spec }) }),
    script: `await import('./tla.js')`,
    expect: TIMEOUT,
  },

  // ---- serve(), streams and host waits ----
  { id: 'serve-handler-never-responds', options: T, run: dispatch('{ fetch: () => new Promise(() => {}) }'), expect: TIMEOUT },
  {
    id: 'serve-request-body-never-ends',
    options: T,
    run: async (ctx) => {
      await ctx.rt.eval(`serve({ async fetch(req) { return new Response(await req.text()) } })`)
      const body = new ReadableStream({ pull() { return new Promise(() => {}) } })
      return ctx.rt.fetch.dispatchRequest(new Request('http://attack/', { method: 'POST', body, duplex: 'half' }))
    },
    expect: TIMEOUT,
  },
  { id: 'onFetch-never-settles', options: T, host: () => ({ onFetch: () => new Promise(() => {}) }), script: `await fetch('http://host/')`, expect: TIMEOUT },
  {
    id: 'asyncIterator-never-yields',
    options: T,
    host: () => ({ customFunctions: { ticks: { type: 'asyncIterator', fn: async function* () { await new Promise(() => {}) } } } }),
    script: `for await (const x of ticks()) {}`,
    expect: TIMEOUT,
  },
  { id: 'customFunction-never-settles', options: T, host: () => ({ customFunctions: { hang: { type: 'async', fn: () => new Promise(() => {}) } } }), script: `await hang()`, expect: TIMEOUT },
  {
    id: 'endless-pipe',
    why: 'legitimate endless streaming under backpressure: bounded memory until the timeout',
    options: { memoryLimitMB: 32, executionTimeout: 500 },
    script: `await new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1024)) } }).pipeTo(new WritableStream({ write() {} }))`,
    expect: TIMEOUT,
  },
  {
    id: 'eval-awaits-nested-eval',
    why: 'an async host function awaits a second eval that queues behind the first: the timeout breaks the deadlock',
    options: T,
    host: (ctx) => ({ customFunctions: { nested: { type: 'async', fn: () => ctx.rt.eval('1') } } }),
    script: `await nested()`,
    expect: TIMEOUT,
  },

  // ---- native work ----
  {
    id: 'pbkdf2-2^25-iterations',
    why: 'native key derivation must not outlive the 500 ms deadline',
    options: { memoryLimitMB: 32, executionTimeout: 500 },
    script: `const k = await crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false, ['deriveBits']); await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: new Uint8Array(16), iterations: 2 ** 25 }, k, 512)`,
    expect: TIMEOUT,
  },
  {
    id: 'pbkdf2-parallel',
    options: { memoryLimitMB: 32, executionTimeout: 500 },
    script: `const k = await crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false, ['deriveBits']); await Promise.all(Array.from({ length: 8 }, () => crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: 2 ** 24 }, k, 256)))`,
    expect: TIMEOUT,
  },
  { id: 'digest-16MB-loop', options: { memoryLimitMB: 64, executionTimeout: 500 }, script: `const d = new Uint8Array(16 << 20); for (;;) await crypto.subtle.digest('SHA-512', d)`, expect: TIMEOUT },
  { id: 'bigint-pow-toString', options: { memoryLimitMB: 64, executionTimeout: 300 }, script: `(3n ** 10000000n).toString()`, expect: TIMEOUT },
  { id: 'atomics-wait-infinity', options: T, script: `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Infinity)`, expect: TIMEOUT },
  {
    id: 'atomics-wait-then-dispose',
    why: 'under a CPU limit only, a blocked thread uses no CPU: dispose() must still stop it at once',
    options: C,
    withinMs: 3000,
    run: async (ctx) => {
      const p = ctx.rt.eval(`Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Infinity)`)
      p.catch(() => {}) // returned below, after dispose
      await ctx.sleep(300)
      await ctx.rt.dispose()
      return p
    },
    expect: DISPOSED,
  },
  {
    id: 'compression-cpu-bomb',
    why: 'compressing 4 GB of zeros in one write is native work past the deadline',
    options: { memoryLimitMB: 32, executionTimeout: 500 },
    script: `const cs = new CompressionStream('gzip'); const w = cs.writable.getWriter(); const z = new Uint8Array(16 << 20); (async () => { for (const r = cs.readable.getReader(); !(await r.read()).done;); })(); for (let i = 0; i < 256; i++) await w.write(z)`,
    expect: TIMEOUT,
  },
])
