// The platform JS of fetch, serve(), the egress path and WebSocket is tamper-proof: a script that
// replaces built-ins (Promise.prototype.then, Array.prototype methods and iterators,
// Function.prototype.call, Object.defineProperty, getters and setters on Object.prototype,
// RegExp, String, Map and Set methods, JSON, the globals themselves…) changes nothing in what
// they do, and nothing it hands back reaches Rust except as checked parts.
//
// Each scenario runs twice, without and with the poison of tamper-prelude.ts; both runs must
// give the same, fixed results, and the poison must never have been called by the platform
// (`hits` stays empty).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, WebSocket as WsSocket } from 'ws'
import { PRELUDE } from './tamper-prelude'
import { errorOf, reporter, sleep, useRuntimes, within, type RuntimeOptions } from './helpers'

const createRuntime = useRuntimes()

/** A runtime that ran the prelude, the poison (or not) and `code`; `hits()` reads the hits log. */
async function scenario(code: string, poisoned: boolean, options: RuntimeOptions = {}) {
  const r = reporter()
  const rt = await createRuntime({ ...options, customFunctions: { ...r.customFunctions, ...(options.customFunctions ?? {}) } } as RuntimeOptions)
  await within(rt.eval(`${PRELUDE}\n${poisoned ? 'T.poison()' : ''}\n${code}`, 'tamper.js'), 10_000, 'the eval')
  const hits = async () => {
    const before = r.calls.length
    await rt.eval('__T.report(["hits", __T.hits])')
    const last = r.calls[before]
    return last[1] as string[]
  }
  return { rt, calls: r.calls, hits }
}

/** Runs an isolate-only scenario both ways; each run must report exactly `expected` and no hits. */
async function bothWays(code: string, expected: unknown[], options: RuntimeOptions = {}) {
  for (const poisoned of [false, true]) {
    const { calls, hits } = await scenario(code, poisoned, options)
    expect({ poisoned, calls }).toEqual({ poisoned, calls: expected })
    expect({ poisoned, hits: await hits() }).toEqual({ poisoned, hits: [] })
  }
}

async function until(cond: () => boolean, what: string, ms = 5_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

// --- Headers, Request, Response inside ----------------------------------------------------------

describe('Headers, Request and Response under a poisoned realm', () => {
  it('Headers: construct, append, set, get, has, delete, iterate, forEach, getSetCookie, errors', async () => {
    await bothWays(
      `
      const out = []
      const put = (x) => { out[out.length] = x }
      const H = T.Headers
      const h = new H(T.own({ 'Content-Type': 'text/plain', 'X-B': ' two\t' }))
      h.append('x-a', 'one')
      h.append('X-A', 'uno')
      h.append('Set-Cookie', 'a=1')
      h.append('set-cookie', 'b=2')
      h.set('x-c', '3')
      put(h.get('x-a'))
      put(h.get('X-B'))
      put(h.get('missing'))
      put(h.has('X-C'))
      h.delete('x-c')
      put(h.has('x-c'))
      put(h.getSetCookie())
      const entries = []
      for (const pair of h) entries[entries.length] = pair[0] + '=' + pair[1]
      put(entries)
      const keys = []
      for (const k of h.keys()) keys[keys.length] = k
      put(keys)
      const values = []
      h.forEach((v, k, self) => { values[values.length] = k + ':' + v + ':' + (self === h) })
      put(values)
      // A Headers from the script's own array of pairs (their iterators are asked, as WebIDL says),
      // and one from another Headers.
      const h2 = new H(T.own([T.own(['a', '1']), T.own(['b', '2']), T.own(['A', '3'])]))
      put(h2.get('a'))
      const h3 = new H(h2)
      h3.append('c', '4')
      const copy = []
      for (const pair of h3.entries()) copy[copy.length] = pair[0] + '=' + pair[1]
      put(copy)
      put(h2.has('c'))
      const bad = [['bad name', 'x'], ['x', 'a\\nb'], ['x', 'é€']]
      for (let i = 0; i < bad.length; i++) {
        try {
          h.append(bad[i][0], bad[i][1])
          put('no error')
        } catch (e) {
          put(e.name + ': ' + e.message)
        }
      }
      try {
        T.Response.redirect('https://example.com/').headers.append('x', 'y')
      } catch (e) {
        put(e.name + ': ' + e.message)
      }
      T.report(out)
    `,
      [[
        'one, uno',
        'two',
        null,
        true,
        false,
        ['a=1', 'b=2'],
        ['content-type=text/plain', 'set-cookie=a=1', 'set-cookie=b=2', 'x-a=one, uno', 'x-b=two'],
        ['content-type', 'set-cookie', 'set-cookie', 'x-a', 'x-b'],
        ['content-type:text/plain:true', 'set-cookie:a=1:true', 'set-cookie:b=2:true', 'x-a:one, uno:true', 'x-b:two:true'],
        '1, 3',
        ['a=1, 3', 'b=2', 'c=4'],
        false,
        "TypeError: Headers: 'bad name' is not a valid header name.",
        "TypeError: Headers: 'a\nb' is not a valid value for header 'x'.",
        "TypeError: Headers: the value of 'x' is not a valid ByteString.",
        'TypeError: Headers are immutable.',
      ]],
    )
  })

  it('Response and Request: construct, clone, text/json/arrayBuffer/bytes/blob/formData, body streams', async () => {
    await bothWays(
      `
      const out = []
      const put = (x) => { out[out.length] = x }
      const Res = T.Response
      const Req = T.Request
      const enc = new T.TextEncoder()
      const a = new Res('héllo', T.own({ status: 201, statusText: 'Made', headers: T.own({ 'x-r': '1' }) }))
      put([a.status, a.statusText, a.ok, a.type, a.headers.get('content-type'), a.headers.get('x-r')])
      const c = a.clone()
      put(await a.text())
      put(await c.text())
      put(a.bodyUsed)
      try {
        await a.text()
      } catch (e) {
        put(e.name + ': ' + e.message)
      }
      const j = await Res.json(T.own({ x: 1, y: 'two' }), T.own({ headers: T.own({ 'x-j': 'j' }) }))
      put(j.headers.get('content-type') + ' ' + j.headers.get('x-j'))
      const parsed = await j.json()
      put(parsed.x + ' ' + parsed.y)
      put(T.bytes(new T.Uint8Array(await new Res(new T.Uint8Array(T.own([1, 2, 255]))).arrayBuffer())))
      put(T.bytes(await new Res('abc').bytes()))
      const blob = await new Res('blobby', T.own({ headers: T.own({ 'content-type': 'text/x-b' }) })).blob()
      put(blob.type + ' ' + blob.size + ' ' + (await blob.text()))
      const form = await new Res('a=1&b=two+words', T.own({ headers: T.own({ 'content-type': 'application/x-www-form-urlencoded' }) })).formData()
      put(form.get('a') + ' ' + form.get('b'))
      const fd = new T.FormData()
      fd.append('field', 'value')
      const multipart = await new Req('https://example.com/', T.own({ method: 'POST', body: fd })).formData()
      put(multipart.get('field'))
      put(await T.readAll(new Res('streamed').body))
      const userStream = new T.ReadableStream(T.own({
        start(controller) {
          controller.enqueue(enc.encode('us'))
          controller.enqueue(enc.encode('er'))
          controller.close()
        },
      }))
      const fromStream = new Res(userStream)
      const teed = fromStream.clone()
      put(await fromStream.text())
      put(await T.readAll(teed.body))
      const q = new Req('https://example.com/p?q=1', T.own({ method: 'post', headers: T.own({ 'X-Q': 'v' }), body: 'payload' }))
      put([q.method, q.url, q.headers.get('x-q'), q.headers.get('content-type'), q.redirect, q.mode, q.signal.aborted])
      const q2 = new Req(q)
      put([q.bodyUsed, await q2.text()])
      const streamed = new Req('https://example.com/s', T.own({
        method: 'PUT',
        duplex: 'half',
        body: new T.ReadableStream(T.own({ start(controller) { controller.enqueue(enc.encode('s1')); controller.enqueue(enc.encode('s2')); controller.close() } })),
      }))
      const moved = new Req(streamed, T.own({ headers: T.own({ 'x-moved': 'yes' }) }))
      put([streamed.bodyUsed, moved.headers.get('x-moved'), await moved.text()])
      const r = Res.redirect('https://example.com/next', 307)
      put([r.status, r.headers.get('location')])
      put([Res.error().type, Res.error().status])
      const bad = [() => new Res('x', T.own({ status: 99 })), () => new Req('https://u:p@example.com/'), () => new Req('https://e/', T.own({ method: 'CONNECT' }))]
      for (let i = 0; i < bad.length; i++) {
        try {
          bad[i]()
          put('no error')
        } catch (e) {
          put(e.name + ': ' + e.message)
        }
      }
      T.report(out)
    `,
      [[
        [201, 'Made', true, 'default', 'text/plain;charset=UTF-8', '1'],
        'héllo',
        'héllo',
        true,
        'TypeError: Body is unusable: the body has already been read or is locked.',
        'application/json j',
        '1 two',
        [1, 2, 255],
        [97, 98, 99],
        'text/x-b 6 blobby',
        '1 two words',
        'value',
        ['streamed'],
        'user',
        ['us', 'er'],
        ['POST', 'https://example.com/p?q=1', 'v', 'text/plain;charset=UTF-8', 'follow', 'cors', false],
        [true, 'payload'],
        [true, 'yes', 's1s2'],
        [307, 'https://example.com/next'],
        ['error', 0],
        "RangeError: Failed to construct 'Response': The status provided (99) is outside the range [200, 599].",
        "TypeError: Failed to construct 'Request': Request cannot be constructed from a URL that includes credentials: https://u:p@example.com/",
        "TypeError: Failed to construct 'Request': 'CONNECT' HTTP method is unsupported.",
      ]],
    )
  })
})

// --- serve() and runtime.fetch ------------------------------------------------------------------

const APP = `
const enc = new T.TextEncoder()
T.serve(T.own({
  async fetch(request, server) {
    const path = new T.URL(request.url).pathname
    if (path === '/json') {
      const body = await request.json()
      return T.Response.json(T.own({ got: body.n, method: request.method, h: request.headers.get('x-in') }),
        T.own({ status: 202, statusText: 'Accepted', headers: T.own({ 'x-out': 'yes', 'set-cookie': 'k=v' }) }))
    }
    if (path === '/echo-stream') {
      const chunks = await T.readAll(request.body)
      return new T.Response(T.join(chunks), T.own({ headers: T.own({ 'x-chunks': '' + chunks.length }) }))
    }
    if (path === '/echo-text') return new T.Response('text:' + (await request.text()))
    if (path === '/stream-out') {
      let i = 0
      return new T.Response(new T.ReadableStream(T.own({
        pull(controller) {
          i++
          if (i > 3) controller.close()
          else controller.enqueue(enc.encode('part' + i + ';'))
        },
      })), T.own({ headers: T.own({ 'content-type': 'text/x-parts' }) }))
    }
    if (path === '/ws' && server.upgrade(request, T.own({ data: T.own({ user: 'ada' }), headers: T.own({ 'x-up': '1' }) }))) {
      return new T.Response(null, T.own({ status: 101 }))
    }
    return new T.Response('not found', T.own({ status: 404 }))
  },
  websocket: T.own({
    open(ws) {
      // A socket of the script's own making would put its id into commands.
      try {
        new ws.constructor(T.huge(), T.huge())
        T.report('constructed')
      } catch (e) {
        T.report(e.name + ': ' + e.message)
      }
      ws.send('hi ' + ws.data.user)
    },
    message(ws, message) {
      if (message === 'close me') return ws.close(4001, 'asked')
      if (typeof message === 'string') ws.send('echo:' + message)
      else ws.send(new T.Uint8Array(message))
    },
    close(ws, code, reason) { T.report(['closed', code, reason, ws.readyState]) },
  }),
}))
`

describe('serve() and dispatchRequest under a poisoned realm', () => {
  it('JSON in and out, status, statusText, headers, streamed bodies both ways', async () => {
    for (const poisoned of [false, true]) {
      const { rt, hits } = await scenario(APP, poisoned)
      const json = await rt.fetch.dispatchRequest(new Request('http://h/json', { method: 'POST', headers: { 'x-in': 'v' }, body: '{"n":5}' }))
      expect([json.status, json.statusText, json.headers.get('x-out'), json.headers.getSetCookie(), json.headers.get('content-type')])
        .toEqual([202, 'Accepted', 'yes', ['k=v'], 'application/json'])
      expect(await json.json()).toEqual({ got: 5, method: 'POST', h: 'v' })

      const chunks = ['one', 'two', 'three']
      const body = new ReadableStream({
        pull(c) {
          const next = chunks.shift()
          if (next === undefined) c.close()
          else c.enqueue(new TextEncoder().encode(next))
        },
      })
      const up = await rt.fetch.dispatchRequest(new Request('http://h/echo-stream', { method: 'POST', body, duplex: 'half' } as RequestInit))
      expect(await up.text()).toBe('onetwothree')
      expect(Number(up.headers.get('x-chunks'))).toBeGreaterThanOrEqual(1)
      const text = await rt.fetch.dispatchRequest(new Request('http://h/echo-text', { method: 'PUT', body: 'héllo' }))
      expect(await text.text()).toBe('text:héllo')

      const down = await rt.fetch.dispatchRequest(new Request('http://h/stream-out'))
      expect(down.headers.get('content-type')).toBe('text/x-parts')
      const reader = down.body!.getReader()
      const got: string[] = []
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        got.push(new TextDecoder().decode(value))
      }
      expect(got.join('')).toBe('part1;part2;part3;')
      const missing = await rt.fetch.dispatchRequest(new Request('http://h/nope'))
      expect([missing.status, await missing.text()]).toEqual([404, 'not found'])
      expect({ poisoned, hits: await hits() }).toEqual({ poisoned, hits: [] })
    }
  })

  it('upgrade, then WebSocket dispatch: open, text and binary messages, ws.send and ws.close commands, close', async () => {
    for (const poisoned of [false, true]) {
      const { rt, calls, hits } = await scenario(APP, poisoned)
      const commands: any[] = []
      rt.fetch.onWebSocketCommand((c) => commands.push(c))
      const res = await rt.fetch.dispatchRequest(new Request('http://h/ws', { headers: { upgrade: 'websocket' } }))
      expect([res.status, res.headers.get('x-up')]).toEqual([101, '1'])
      const upgrade = await rt.fetch.getUpgradeRequest()
      expect(upgrade).toEqual({ requested: true, connectionId: expect.stringMatching(/^[0-9a-f-]{36}$/) })
      const id = upgrade!.connectionId
      await rt.fetch.dispatchWebSocketOpen(id)
      await rt.fetch.dispatchWebSocketMessage(id, 'ping')
      await rt.fetch.dispatchWebSocketMessage(id, new Uint8Array([1, 2, 3]))
      await rt.fetch.dispatchWebSocketMessage(id, 'close me')
      await until(() => commands.length === 4, 'four commands')
      expect(commands.map((c) => (c.data instanceof ArrayBuffer ? { ...c, data: [...new Uint8Array(c.data)] } : c))).toEqual([
        { type: 'message', connectionId: id, data: 'hi ada' },
        { type: 'message', connectionId: id, data: 'echo:ping' },
        { type: 'message', connectionId: id, data: [1, 2, 3] },
        { type: 'close', connectionId: id, code: 4001, reason: 'asked' },
      ])
      await rt.fetch.dispatchWebSocketClose(id, 4001, 'asked')
      expect(calls).toEqual(['TypeError: Illegal constructor', ['closed', 4001, 'asked', 3]])
      expect({ poisoned, hits: await hits() }).toEqual({ poisoned, hits: [] })
    }
  })
})

// --- the exploit: values from a hostile handler never reach Rust -----------------------------------

const HOSTILE = `
// The script's own huge arrays: what the specs let it hook on them (their \`then\`, when a
// handler returns one) passes the poison.
const huge = () => T.own(T.huge())
class Sneaky extends T.Response {
  get status() { return huge() }
  get statusText() { return huge() }
  get headers() { return huge() }
  get body() { return huge() }
}
T.serve(T.own({
  fetch(request) {
    const what = new T.URL(request.url).pathname
    if (what === '/ok') return new T.Response('fine', T.own({ status: 200, headers: T.own({ 'x-ok': '1' }) }))
    if (what === '/async-ok') return (async () => new T.Response('async fine'))()
    if (what === '/huge') return huge()
    if (what === '/thenable') return T.own({ then(resolve) { resolve(huge()) } })
    if (what === '/thenable-response') return T.own({ then(resolve) { resolve(new T.Response('from a thenable')) } })
    if (what === '/proxy') return new T.Proxy(new T.Response('x'), T.own({}))
    if (what === '/plain') return T.own({ status: 200, headers: huge(), body: huge() })
    if (what === '/sneaky') return new Sneaky('the real body', T.own({ status: 203, headers: T.own({ 'x-real': 'yes' }) }))
    if (what === '/replaced-headers') {
      const r = new T.Response('body', T.own({ headers: T.own({ 'x-real': 'yes' }) }))
      T.defineProperty(r, 'headers', { __proto__: null, value: huge() })
      T.defineProperty(r, 'status', { __proto__: null, value: huge() })
      return r
    }
    if (what === '/bad-chunk') {
      return new T.Response(new T.ReadableStream(T.own({ pull(controller) { controller.enqueue(huge()) } })))
    }
    if (what === '/patched-reader') {
      const stream = new T.ReadableStream(T.own({ start(controller) { controller.enqueue(new T.Uint8Array(T.own([104, 105]))); controller.close() } }))
      // Whatever the stream's own methods now say, the platform reads it with its own reader.
      const fake = { read() { return huge() }, cancel() { return huge() }, releaseLock() {} }
      stream.getReader = () => fake
      T.ReadableStream.prototype.getReader = () => fake
      return new T.Response(stream)
    }
    if (what === '/throws') throw T.own(new T.Proxy(T.own({}), T.own({ get() { return huge() } })))
    return new T.Response('?')
  },
}))
`

describe('a hostile script cannot feed values into the reply path', () => {
  it('the known exploit: Promise.prototype.then swapping in a 2**32-1 array changes nothing, and the process lives', async () => {
    const rt = await createRuntime({ memoryLimitMB: 64 })
    await rt.eval(`
      const then = Promise.prototype.then
      const call = Function.prototype.call
      globalThis.huge = () => { const a = []; a.length = 2 ** 32 - 1; return a }
      Promise.prototype.then = function (ok, fail) {
        return call.call(then, this, (v) => ok(Array.isArray(v) ? huge() : v), fail)
      }
      serve({ fetch() { return new Response('still fine', { status: 201 }) } })
    `)
    for (let i = 0; i < 3; i++) {
      const res = await rt.fetch.dispatchRequest(new Request('http://h/'))
      expect([res.status, await res.text()]).toEqual([201, 'still fine'])
    }
    // The same through a then getter on arrays, which every resolve() with an array asks.
    await rt.eval(`
      const fed = new WeakSet()
      Object.defineProperty(Array.prototype, 'then', {
        get() {
          if (fed.has(this)) return undefined
          return (resolve) => { const a = huge(); fed.add(a); resolve(a) }
        },
        configurable: true,
      })
    `)
    const res = await rt.fetch.dispatchRequest(new Request('http://h/'))
    expect([res.status, await res.text()]).toEqual([201, 'still fine'])
    // The process (this test's) lives on, and so do other runtimes.
    const other = await createRuntime()
    await other.eval(`serve({ fetch: () => new Response('other') })`)
    expect(await (await other.fetch.dispatchRequest(new Request('http://h/'))).text()).toBe('other')
  })

  it('answers every hostile handler value with the documented TypeError, or per spec from the real Response', async () => {
    for (const poisoned of [false, true]) {
      const { rt, hits } = await scenario(HOSTILE, poisoned)
      const dispatch = (path: string) => rt.fetch.dispatchRequest(new Request(`http://h${path}`))
      const ok = await dispatch('/ok')
      expect([ok.status, ok.headers.get('x-ok'), await ok.text()]).toEqual([200, '1', 'fine'])
      expect(await (await dispatch('/async-ok')).text()).toBe('async fine')
      expect(await (await dispatch('/thenable-response')).text()).toBe('from a thenable')
      for (const [path, got] of [
        ['/huge', 'an instance of Array'],
        ['/thenable', 'an instance of Array'],
        ['/proxy', 'an instance of Response'],
        ['/plain', 'an instance of Object'],
      ]) {
        const e = await errorOf(() => dispatch(path))
        expect({ path, name: e.name, message: e.message }).toEqual({
          path, name: 'TypeError', message: `fetch handler did not return a Response object (got ${got})`,
        })
      }
      // A Response subclass with hostile getters, and one with replaced own properties: the
      // Response's real state is what the host gets.
      const sneaky = await dispatch('/sneaky')
      expect([sneaky.status, sneaky.headers.get('x-real'), await sneaky.text()]).toEqual([203, 'yes', 'the real body'])
      const replaced = await dispatch('/replaced-headers')
      expect([replaced.status, replaced.headers.get('x-real'), await replaced.text()]).toEqual([200, 'yes', 'body'])
      const patched = await dispatch('/patched-reader')
      expect(await patched.text()).toBe('hi')
      const bad = await dispatch('/bad-chunk')
      const e = await errorOf(() => bad.text())
      expect(String(e.cause?.message ?? e.message)).toContain('response body chunks must be Uint8Array (got an instance of Array)')
      const thrown = await errorOf(() => dispatch('/throws'))
      expect(thrown).toBeInstanceOf(Error)
      expect({ poisoned, hits: await hits() }).toEqual({ poisoned, hits: [] })
    }
    // Still here: a fresh runtime works.
    const next = await createRuntime()
    await next.eval(`serve({ fetch: () => new Response('alive') })`)
    expect(await (await next.fetch.dispatchRequest(new Request('http://h/'))).text()).toBe('alive')
  })
})

// --- Promise.prototype.constructor and Promise[Symbol.species] --------------------------------------

// \`then\` asks a promise's constructor, and its @@species, for the class of its result; \`await\`
// and Promise.resolve ask the constructor too. A script that replaces them must not be asked by
// the platform. (The script itself cannot await while they are replaced: it chains with the
// original then inside quiet(), which the poison lets through.)
const SPECIES = `
const RealPromise = T.Promise
const then = Function.prototype.call.bind(RealPromise.prototype.then)
let quietly = false
const quiet = (f) => { quietly = true; try { return f() } finally { quietly = false } }
const hit = (what) => { T.hits[T.hits.length] = what + (T.stacks ? new T.Error().stack : '') }
class Evil extends RealPromise {
  constructor(executor) {
    if (!quietly) hit('new Evil')
    super(executor)
  }
}
T.defineProperty(RealPromise.prototype, 'constructor', { __proto__: null, configurable: true, get() {
  if (quietly) return RealPromise
  hit('Promise.prototype.constructor')
  return Evil
} })
T.defineProperty(RealPromise, Symbol.species, { __proto__: null, configurable: true, get() {
  if (quietly) return RealPromise
  hit('Promise[Symbol.species]')
  return Evil
} })
T.serve(T.own({ fetch(request) { return new T.Response('ok:' + request.method, T.own({ headers: T.own({ 'x-h': 'y' }) })) } }))
// (Each callback returns nothing: a promise returned from one would be adopted through its then.)
globalThis.fetchText = (url) => quiet(() => {
  then(T.fetch(url), (res) => quiet(() => {
    then(res.text(), (text) => { T.report([res.status, text]) })
  }))
})
`

describe('a replaced Promise constructor or species', () => {
  it('is never asked by serve(), dispatch or fetch()', async () => {
    const { rt, calls, hits } = await scenario(SPECIES, false, {
      onFetch: async () => new Response('from the host', { headers: { 'content-length': '13' } }),
    })
    for (let i = 0; i < 2; i++) {
      const res = await rt.fetch.dispatchRequest(new Request('http://h/', { method: 'DELETE' }))
      expect([res.status, res.headers.get('x-h'), await res.text()]).toEqual([200, 'y', 'ok:DELETE'])
    }
    await rt.eval(`fetchText('http://api.test/')`)
    await until(() => calls.length === 1, 'the fetch')
    expect(calls).toEqual([[200, 'from the host']])
    expect(await hits()).toEqual([])
  })
})

// The same realm, with bodies that are streams: the stream algorithms chain their own promises
// (start, pull, reads, the body's pipe to the host) and must ask neither.
const SPECIES_STREAMS = SPECIES.replace(
  /^T\.serve\(.*$/m,
  `T.serve(T.own({ fetch(request) {
  if (request.method === 'POST') return new T.Response(request.body)
  const enc = new T.TextEncoder()
  return new T.Response(new T.ReadableStream(T.own({ start(c) { c.enqueue(enc.encode('s:')); c.enqueue(enc.encode(request.method)); c.close() } })))
} }))`,
)

describe('a replaced Promise constructor or species, with stream bodies', () => {
  it('is never asked by a streamed response or an echoed request body', async () => {
    const { rt, hits } = await scenario(SPECIES_STREAMS, false)
    expect(SPECIES_STREAMS).not.toEqual(SPECIES)
    for (let i = 0; i < 2; i++) {
      const res = await rt.fetch.dispatchRequest(new Request('http://h/', { method: 'PUT' }))
      expect([res.status, await res.text()]).toEqual([200, 's:PUT'])
      const echo = await rt.fetch.dispatchRequest(new Request('http://h/', { method: 'POST', body: 'up' }))
      expect([echo.status, await echo.text()]).toEqual([200, 'up'])
    }
    expect(await hits()).toEqual([])
  })
})

// --- fetch() out: through onFetch and through the native client -----------------------------------

let server: http.Server
let base = ''
let port = 0
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-from': 'server' })
        res.write('chunk1;')
        setTimeout(() => res.end('chunk2;'), 20)
        return
      }
      res.writeHead(200, 'Fine', { 'content-type': 'application/json', 'x-from': 'server' })
      res.end(JSON.stringify({ method: req.method, path: url.pathname, header: req.headers['x-a'] ?? null, body: Buffer.concat(chunks).toString() }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

// The isolate side of both egress tests: JSON, a streamed request body, a streamed response.
const OUTBOUND = (url: string) => `
T.thenArrays = false
const out = []
const put = (x) => { out[out.length] = x }
const enc = new T.TextEncoder()
const res = await T.fetch(${JSON.stringify(url + '/echo')}, T.own({ method: 'POST', headers: T.own({ 'x-a': '1' }), body: 'hello' }))
put([res.status, res.statusText, res.ok, res.headers.get('x-from'), res.headers.get('content-type')])
const echoed = await res.json()
put([echoed.method, echoed.path, echoed.header, echoed.body])
const body = new T.ReadableStream(T.own({
  start(controller) {
    controller.enqueue(enc.encode('up1;'))
    controller.enqueue(enc.encode('up2;'))
    controller.close()
  },
}))
const streamedUp = await T.fetch(${JSON.stringify(url + '/up')}, T.own({ method: 'PUT', body, duplex: 'half' }))
put((await streamedUp.json()).body)
const down = await T.fetch(new T.Request(${JSON.stringify(url + '/stream')}))
put([down.headers.get('x-from'), T.join(await T.readAll(down.body))])
const again = await T.fetch(${JSON.stringify(url + '/stream')})
put(await again.text())
T.report(out)
`
const OUTBOUND_EXPECTED = [[
  [200, 'Fine', true, 'server', 'application/json'],
  ['POST', '/echo', '1', 'hello'],
  'up1;up2;',
  ['server', 'chunk1;chunk2;'],
  'chunk1;chunk2;',
]]

describe('fetch() under a poisoned realm', () => {
  it('through the host onFetch (handing the request to Node fetch)', async () => {
    await bothWays(OUTBOUND('http://api.test'), OUTBOUND_EXPECTED, {
      onFetch: (url: string, init: any) => fetch(url.replace('http://api.test', base), init),
    })
  })

  it('through the native client under the network policy', async () => {
    await bothWays(OUTBOUND(base), OUTBOUND_EXPECTED, {
      network: { allowedHosts: [base], allowPrivateNetworks: true },
    })
  })

  // The natives resolve the response head's promise with an array, so a `then` getter on
  // Object.prototype sees it and can resolve it with anything: fetch() checks the head and
  // fails cleanly instead of making a Response of it.
  it('a then getter that swaps the response head for a 2**32-1 array: fetch fails cleanly', async () => {
    const code = (url: string) => `
      try {
        const res = await T.fetch(${JSON.stringify(url + '/echo')})
        T.report(['ok', res.status])
      } catch (e) {
        T.report([e.name, e.message, e.cause.code])
      }
    `
    const options: RuntimeOptions[] = [
      { onFetch: (url: string, init: any) => fetch(url.replace('http://api.test', base), init) },
      { network: { allowedHosts: [base], allowPrivateNetworks: true } },
    ]
    for (const opts of options) {
      const { calls, hits } = await scenario(code(opts.onFetch ? 'http://api.test' : base), true, opts)
      expect(calls).toEqual([['TypeError', 'fetch failed', 'ERR_NETWORK']])
      expect(await hits()).toEqual(['Object.prototype.then (an array)'])
    }
  })
})

// --- WebSocket out --------------------------------------------------------------------------------

describe('WebSocket under a poisoned realm', () => {
  let wss: WebSocketServer
  let wsUrl = ''
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) })
    await new Promise<void>((r) => wss.once('listening', () => r()))
    wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/echo`
    wss.on('connection', (socket) => {
      socket.on('message', (data: Buffer, isBinary) => {
        if (!isBinary && data.toString() === 'bye') socket.close(4002, 'server bye')
        else socket.send(data, { binary: isBinary })
      })
    })
  })
  afterAll(async () => {
    for (const c of wss.clients) c.terminate()
    await new Promise<void>((r) => wss.close(() => r()))
  })

  const CLIENT = (url: string) => `
T.thenArrays = false
const events = []
const put = (x) => { events[events.length] = x }
const ws = new T.WebSocket(${JSON.stringify(url)}, T.own(['chat']))
ws.binaryType = 'arraybuffer'
await new T.Promise((resolve) => {
  ws.addEventListener('open', () => {
    put(['open', ws.protocol, ws.readyState])
    ws.send('text')
    ws.send(new T.Uint8Array(T.own([7, 8, 9])))
  })
  ws.addEventListener('message', (event) => {
    put(['message', typeof event.data === 'string' ? event.data : T.bytes(new T.Uint8Array(event.data))])
    if (typeof event.data !== 'string') ws.send('bye')
  })
  ws.addEventListener('close', (event) => {
    put(['close', event.code, event.reason, event.wasClean, ws.readyState])
    resolve()
  })
})
T.report(events)
`
  const EXPECTED = [[
    ['open', 'chat', 1],
    ['message', 'text'],
    ['message', [7, 8, 9]],
    ['close', 4002, 'server bye', true, 3],
  ]]

  it('bridged to a host socket by the webSocket callback', async () => {
    await bothWays(CLIENT(wsUrl), EXPECTED, { webSocket: (url: string, protocols: string[]) => new WsSocket(url, protocols) })
  })

  it('through the native client the webSocket callback allows', async () => {
    await bothWays(CLIENT(wsUrl), EXPECTED, { webSocket: () => true, network: { allowPrivateNetworks: true } })
  })
})
