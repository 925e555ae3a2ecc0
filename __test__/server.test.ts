// runtime.listen(): a native HTTP server in front of the isolate's handler, exercised with real
// clients over loopback (fetch, node:http with keep-alive and pipelining, raw sockets).
import http from 'node:http'
import net from 'node:net'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { errorOf, sleep, useRuntimes, within } from './helpers'
import { raw, statusOf, useServers } from './server-helpers'

const serveApp = useServers()
const createRuntime = useRuntimes()

const HELLO = `serve({ fetch(request) { return new Response('Hello, world!') } })`

describe('runtime.listen: HTTP', () => {
  it('answers with the handler\'s response, Date and Content-Length as Node sets them', async () => {
    const { server } = await serveApp(HELLO)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`)
    expect(server.port).toBeGreaterThan(0)
    const res = await fetch(server.url)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('Hello, world!')
    expect(res.headers.get('content-length')).toBe('13')
    expect(res.headers.get('content-type')).toBe('text/plain;charset=UTF-8')
    // IMF-fixdate (RFC 9110 5.6.7), within a few seconds of now.
    const date = res.headers.get('date')!
    expect(date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/)
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(5000)
  })

  it('sends a string body as UTF-8, a lone surrogate as U+FFFD (as TextEncoder encodes it)', async () => {
    const { server } = await serveApp(`serve({ fetch: () => new Response('é\\uD800€' + 'x'.repeat(70000)) })`)
    const res = await fetch(server.url)
    const bytes = Buffer.from(await res.arrayBuffer())
    expect([...bytes.subarray(0, 8)]).toEqual([0xc3, 0xa9, 0xef, 0xbf, 0xbd, 0xe2, 0x82, 0xac])
    expect(bytes.length).toBe(8 + 70000)
    expect(res.headers.get('content-length')).toBe(String(8 + 70000))
  })

  it('gives the handler the URL, method, headers and the client address (server.requestIP)', async () => {
    const { server } = await serveApp(`
      serve({ fetch(request, server) {
        const u = new URL(request.url)
        return Response.json({ url: request.url, path: u.pathname, q: u.searchParams.get('q'), method: request.method,
          custom: request.headers.get('x-custom'), ip: server.requestIP(request) })
      } })`)
    const res = await fetch(`${server.url}a/b?q=1`, { method: 'PUT', headers: { 'x-custom': 'yes' }, body: '' })
    const body = await res.json()
    expect(body.url).toBe(`http://127.0.0.1:${server.port}/a/b?q=1`)
    expect(body).toMatchObject({ path: '/a/b', q: '1', method: 'PUT', custom: 'yes' })
    expect(body.ip.address).toBe('127.0.0.1')
    expect(body.ip.family).toBe('IPv4')
    expect(body.ip.port).toBeGreaterThan(0)
  })

  it('serializes request URLs as the URL parser does, whatever form the client sent', async () => {
    const { server } = await serveApp(`serve({ fetch(request) { return new Response(request.url) } })`)
    const p = server.port
    const url = async (target: string, host = `127.0.0.1:${p}`) => {
      const { text } = await raw(p, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
      return text.slice(text.indexOf('\r\n\r\n') + 4)
    }
    // Already in serialized form: as sent.
    expect(await url('/a/b-c_d~e/f.txt?q=1&r=a.b%2e')).toBe(`http://127.0.0.1:${p}/a/b-c_d~e/f.txt?q=1&r=a.b%2e`)
    expect(await url('/', `example.com:${p}`)).toBe(`http://example.com:${p}/`)
    // Not: dot segments, percent-encoding, host case and default port, IPv4 forms, punycode.
    expect(await url('/a/./b/../c')).toBe(`http://127.0.0.1:${p}/a/c`)
    expect(await url('/a/%2e%2E/b')).toBe(`http://127.0.0.1:${p}/b`)
    expect(await url("/p'q?x='y'")).toBe(`http://127.0.0.1:${p}/p'q?x=%27y%27`)
    expect(await url('/{x}?a b'.replace(' ', '%20'))).toBe(`http://127.0.0.1:${p}/%7Bx%7D?a%20b`)
    expect(await url('/', 'EXAMPLE.com:80')).toBe('http://example.com/')
    expect(await url('/', `127.1:${p}`)).toBe(`http://127.0.0.1:${p}/`)
    expect(await url('/', `0x7f.0.0.1:${p}`)).toBe(`http://127.0.0.1:${p}/`)
    expect(await url('/', `xn--nxasmq6b.com:${p}`)).toBe(`http://xn--nxasmq6b.com:${p}/`)
  })

  it('gives the handler the request headers as a Headers would keep them, made only when read', async () => {
    const { server } = await serveApp(`
      serve({ fetch(request) {
        const copy = request.clone()
        const h = request.headers
        return Response.json({ same: h === request.headers, list: [...h], copy: [...copy.headers], cookie: h.get('x-multi'),
          guard: (() => { try { h.set('x-new', '1'); return 'mutable' } catch (e) { return e.name } })(),
          rebuilt: [...new Request(request).headers].length })
      } })`)
    const { text } = await raw(server.port,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Zeta: \t z  \t\r\nX-Multi: 1\r\nx-multi: 2\r\nAccept: */*\r\nConnection: close\r\n\r\n`)
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))
    const list = [['accept', '*/*'], ['connection', 'close'], ['host', '127.0.0.1'], ['x-multi', '1, 2'], ['x-zeta', 'z']]
    expect(body.same).toBe(true)
    expect(body.list).toEqual(list)
    expect(body.copy).toEqual(list)
    expect(body.cookie).toBe('1, 2')
    // https://fetch.spec.whatwg.org/#concept-headers-guard: a request's headers stay mutable here
    // (guard "request" forbids nothing without the browser's forbidden names).
    expect(body.guard).toBe('mutable')
    // new Request(request) copies them, with the header the handler set.
    expect(body.rebuilt).toBe(6)
  })

  it('answers a Response returned as is, and one a handler resolves later, the same way', async () => {
    const { server } = await serveApp(`
      serve({ fetch(request) {
        const r = new Response('x', { headers: { 'x-at': 'return' } })
        if (new URL(request.url).pathname === '/later') return Promise.resolve(r)
        if (new URL(request.url).pathname === '/thenable') return { then(f) { f(new Response('t')) } }
        return r
      } })`)
    for (const [path, body] of [['/', 'x'], ['/later', 'x'], ['/thenable', 't']]) {
      const res = await fetch(`${server.url.slice(0, -1)}${path}`)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe(body)
    }
    // A `then` a script put on Response.prototype is asked, as `await` would ask it.
    const { server: s2 } = await serveApp(`
      Response.prototype.then = function (f) { delete Response.prototype.then; f(new Response('from then')) }
      serve({ fetch() { return new Response('plain') } })`)
    expect(await (await fetch(s2.url)).text()).toBe('from then')
  })


  it('answers from a Response\'s own state whatever a script patched or overrode, and a clean 500 for what is not one', async () => {
    // The answer crosses to Rust as its parts (serveAnswer): globals, prototypes and accessors a
    // script changed, a Response subclass's getters change nothing. (Accessors on array indices
    // are the hostile suite's graceful case tamper/array-index-accessors.)
    const { server, entries } = await serveApp(`
      // (Object.prototype's status, headers... are rightly read by the ResponseInit dictionary.)
      for (const [proto, keys] of [[Array.prototype, ['status', 'statusText', 'headers', 'body', 'kind', 'payload', 'upgrade']], [Object.prototype, ['kind', 'payload', 'upgrade']]])
        for (const k of keys) Object.defineProperty(proto, k, { get() { throw new Error('getter ' + k) }, set() { throw new Error('setter ' + k) }, configurable: true })
      Number.isInteger = () => false
      String.prototype.toString = () => 'patched'
      Function.prototype.call = Function.prototype.apply = () => { throw new Error('patched call') }
      Object.defineProperty(Uint8Array.prototype, Symbol.toStringTag, { get() { return 'Nope' } })
      class Sub extends Response {
        get status() { throw new Error('status getter') }
        get headers() { throw new Error('headers getter') }
        get body() { throw new Error('body getter') }
      }
      const routes = {
        '/sub': () => new Sub('sub', { status: 201, headers: { 'x-sub': 'yes' } }),
        '/bytes': () => new Response(new Uint8Array([104, 105]), { status: 202 }),
        '/empty': () => new Response(null, { status: 204, headers: { 'x-empty': '1' } }),
        '/stream': () => new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([115])); c.close() } })),
        '/proxy': () => new Proxy(new Response('proxied'), {}),
        '/revoked': () => { const p = Proxy.revocable(new Response('r'), {}); p.revoke(); return p.proxy },
        '/then-throws': () => { const r = new Response('t'); Object.defineProperty(r, 'then', { get() { throw new Error('then getter') } }); return r },
      }
      serve({ fetch: (request) => routes[new URL(request.url).pathname]() })`)
    const get = async (path: string) => {
      const res = await fetch(`${server.url.slice(0, -1)}${path}`)
      return { status: res.status, text: await res.text(), headers: res.headers }
    }
    const sub = await get('/sub')
    expect([sub.status, sub.text, sub.headers.get('x-sub')]).toEqual([201, 'sub', 'yes'])
    const bytes = await get('/bytes')
    expect([bytes.status, bytes.text, bytes.headers.get('content-length')]).toEqual([202, 'hi', '2'])
    const empty = await get('/empty')
    expect([empty.status, empty.text, empty.headers.get('x-empty')]).toEqual([204, '', '1'])
    expect(await get('/stream')).toMatchObject({ status: 200, text: 's' })
    for (const path of ['/proxy', '/revoked', '/then-throws']) expect(await get(path)).toMatchObject({ status: 500, text: 'Internal Server Error' })
    // The server still answers after all of them.
    expect(await get('/sub')).toMatchObject({ status: 201, text: 'sub' })
    expect(entries.join('\n')).toContain('then getter')
  })
  it('streams request bodies into the isolate and response bodies out, both ways at once', async () => {
    const { server } = await serveApp(`serve({ fetch(request) { return new Response(request.body, { headers: { 'x-echo': '1' } }) } })`)
    const size = 5 * 1024 * 1024
    const data = Buffer.alloc(size)
    for (let i = 0; i < size; i++) data[i] = (i * 31) & 255
    const res = await new Promise<{ status: number; hash: string; length: number; chunked: boolean }>((resolve, reject) => {
      const req = http.request(server.url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (r) => {
        const h = createHash('sha256')
        let length = 0
        r.on('data', (c) => {
          h.update(c)
          length += c.length
        })
        r.on('end', () => resolve({ status: r.statusCode!, hash: h.digest('hex'), length, chunked: r.headers['transfer-encoding'] === 'chunked' }))
        r.on('error', reject)
      })
      req.on('error', reject)
      // Chunked upload, written in pieces.
      for (let i = 0; i < size; i += 65536) req.write(data.subarray(i, i + 65536))
      req.end()
    })
    expect(res.status).toBe(200)
    expect(res.length).toBe(size)
    expect(res.chunked).toBe(true)
    expect(res.hash).toBe(createHash('sha256').update(data).digest('hex'))
  })

  it('sends a streamed response as it is written (the first chunk before the stream ends)', async () => {
    const { server } = await serveApp(`
      serve({ fetch() {
        let n = 0
        const enc = new TextEncoder()
        const body = new ReadableStream({ async pull(c) {
          if (n === 3) return c.close()
          if (n > 0) await new Promise((r) => setTimeout(r, 150))
          c.enqueue(enc.encode('data: ' + n++ + '\\n\\n'))
        } })
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
      } })`)
    const started = Date.now()
    const res = await fetch(server.url)
    const reader = res.body!.getReader()
    const first = await reader.read()
    const firstAt = Date.now() - started
    expect(new TextDecoder().decode(first.value)).toBe('data: 0\n\n')
    let rest = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      rest += new TextDecoder().decode(value)
    }
    expect(rest).toBe('data: 1\n\ndata: 2\n\n')
    expect(firstAt).toBeLessThan(Date.now() - started - 200)
  })

  it('answers HEAD without a body and with the body\'s length; null-body statuses carry none', async () => {
    const { server } = await serveApp(`
      serve({ fetch(request) {
        const p = new URL(request.url).pathname
        if (p === '/204') return new Response(null, { status: 204 })
        if (p === '/304') return new Response(null, { status: 304 })
        return new Response('twelve bytes')
      } })`)
    const head = await raw(server.port, `HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    expect(statusOf(head.text)).toBe(200)
    expect(head.text).toMatch(/content-length: 12\r\n/i)
    expect(head.text.endsWith('\r\n\r\n')).toBe(true)
    for (const status of [204, 304]) {
      const r = await raw(server.port, `GET /${status} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      expect(statusOf(r.text)).toBe(status)
      expect(r.text).not.toMatch(/transfer-encoding/i)
      expect(r.text.endsWith('\r\n\r\n')).toBe(true)
    }
  })

  it('keeps connections alive and answers pipelined requests in order', async () => {
    const { server } = await serveApp(`serve({ fetch(request) { return new Response(new URL(request.url).pathname) } })`)
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const reused: boolean[] = []
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.get(`${server.url}k${i}`, { agent }, (r) => {
          let s = ''
          r.on('data', (c) => (s += c))
          r.on('end', () => resolve(s))
        })
        req.on('error', reject)
        req.on('socket', () => reused.push(req.reusedSocket))
      })
      expect(body).toBe(`/k${i}`)
    }
    agent.destroy()
    expect(reused).toEqual([false, true, true])
    // Three requests in one write; three answers, in order, on the same connection.
    const r = await raw(server.port, ['/p1', '/p2', '/p3'].map((p, i) => `GET ${p} HTTP/1.1\r\nHost: x\r\n${i === 2 ? 'Connection: close\r\n' : ''}\r\n`).join(''))
    const bodies = r.text.split('HTTP/1.1 200 OK').slice(1).map((part) => part.split('\r\n\r\n')[1])
    expect(bodies).toEqual(['/p1', '/p2', '/p3'])
  })

  it('refuses malformed requests with a 4xx before the handler sees them', async () => {
    const { server, rt } = await serveApp(`
      let calls = 0
      serve({ fetch() { calls++; return new Response('ok') } })
      globalThis.callCount = () => calls`, { maxHeaderBytes: 4096 })
    const cases: [string, string, number[]][] = [
      ['missing Host', 'GET / HTTP/1.1\r\n\r\n', [400]],
      ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', [400]],
      ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n', [400]],
      ['bad version', 'GET / HTTP/1.7\r\nHost: x\r\n\r\n', [400, 505]],
      ['not HTTP', 'HELLO\r\n\r\n', [400]],
      ['oversized headers', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(6000)}\r\n\r\n`, [431]],
      ['bad Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n', [400]],
    ]
    for (const [what, request, statuses] of cases) {
      const r = await raw(server.port, request)
      expect(statuses, `${what}: ${r.text.slice(0, 80)}`).toContain(statusOf(r.text))
    }
    // A well-formed request still works, and is the only one the handler saw.
    expect(await (await fetch(server.url)).text()).toBe('ok')
    await rt.eval(`if (callCount() !== 1) throw new Error('handler saw ' + callCount())`)
  })

  it('never lets Content-Length with Transfer-Encoding smuggle a second request', async () => {
    // RFC 9112 6.3: Transfer-Encoding wins and the connection closes after the answer.
    const { server, rt } = await serveApp(`
      const seen = []
      serve({ async fetch(request) { seen.push(new URL(request.url).pathname + ':' + (await request.text()).length); return new Response('ok') } })
      globalThis.seen = () => seen.join(',')`)
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'
    const r = await raw(server.port, `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 + smuggled.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`)
    expect([200, 400]).toContain(statusOf(r.text))
    expect(r.text.split('HTTP/1.1 ').length - 1).toBe(1)
    expect(r.closed).toBe(true)
    await rt.eval(`if (seen().includes('smuggled')) throw new Error(seen())`)
  })

  it('closes a connection that sends its head too slowly (headersTimeout)', async () => {
    const { server } = await serveApp(HELLO, { headersTimeout: 300 })
    const started = Date.now()
    const socket = net.connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    await new Promise((r) => socket.on('connect', r))
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n')
    const dribble = setInterval(() => socket.write('X-Slow: 1\r\n'), 100)
    await within(new Promise((r) => socket.on('close', r)), 3000, 'the slow connection to close')
    clearInterval(dribble)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('closes a keep-alive connection silent for idleTimeout, never one whose request is still in flight', async () => {
    const { server } = await serveApp(`
      serve({ fetch: (request) => new URL(request.url).pathname === '/slow'
        ? new Promise((resolve) => setTimeout(() => resolve(new Response('slow')), 900))
        : new Response('quick') })`, { idleTimeout: 300 })
    const open = async () => {
      const socket = net.connect(server.port, '127.0.0.1')
      socket.on('error', () => {})
      await new Promise((r) => socket.on('connect', r))
      let text = ''
      socket.on('data', (d) => (text += d.toString('latin1')))
      const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now())))
      return { socket, closed, text: () => text }
    }
    // Silent after its answer: closed once idleTimeout has passed, not before.
    const quiet = await open()
    quiet.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await within((async () => { while (!quiet.text().includes('quick')) await sleep(5) })(), 3000, 'the answer')
    const answered = Date.now()
    const closedAt = await within(quiet.closed, 3000, 'the idle connection to close')
    expect(closedAt - answered).toBeGreaterThanOrEqual(280)
    expect(closedAt - answered).toBeLessThan(1500)
    // A request taking three idleTimeouts is answered on its connection.
    const busy = await open()
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
    await within((async () => { while (!busy.text().includes('slow')) await sleep(5) })(), 3000, 'the slow answer')
    expect(statusOf(busy.text())).toBe(200)
    busy.socket.destroy()
  })

  it('answers 500 without internals when the handler throws, and reports the error to the console', async () => {
    const { server, entries } = await serveApp(`serve({ fetch() { throw new Error('database password is hunter2') } })`)
    const res = await fetch(server.url)
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).toBe('Internal Server Error')
    await sleep(50)
    expect(entries.some((e) => e.startsWith('error: Uncaught Error: database password is hunter2'))).toBe(true)
  })

  it('reports a handler\'s error to the console after a script put accessors at array indices', async () => {
    // Platform JS building arrays (the console's formatting of the error) must not reach them.
    const { server, entries } = await serveApp(`
      Object.defineProperty(Array.prototype, 0, { get() { throw 1 } })
      Object.defineProperty(Object.prototype, 1, { get() { throw 2 }, set() { throw 3 } })
      serve({ fetch() { throw new Error('database password is hunter2') } })`)
    const res = await fetch(server.url)
    expect([res.status, await res.text()]).toEqual([500, 'Internal Server Error'])
    await within((async () => { while (entries.length === 0) await sleep(5) })(), 3000, 'the console entry')
    expect(entries[0]).toMatch(/^error: Uncaught Error: database password is hunter2\n {4}at Object\.fetch \(app\.js:4:31\)\n/)
  })

  it('answers 500 when the handler returns something that is not a Response', async () => {
    const { server, entries } = await serveApp(`serve({ fetch() { return 'plain string' } })`)
    const res = await fetch(server.url)
    expect(res.status).toBe(500)
    await sleep(50)
    expect(entries.join('\n')).toContain('fetch handler did not return a Response object (got string)')
  })

  it('refuses bodies larger than maxRequestBodyBytes: 413 when announced, a failed read when streamed', async () => {
    const { server } = await serveApp(`
      serve({ async fetch(request) {
        try { return new Response('read ' + (await request.arrayBuffer()).byteLength) }
        catch (e) { return new Response(e.name + ': ' + e.message, { status: 422 }) }
      } })`, { maxRequestBodyBytes: 1000 })
    const announced = await raw(server.port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n`)
    expect(statusOf(announced.text)).toBe(413)
    const ok = await fetch(server.url, { method: 'POST', body: 'a'.repeat(1000) })
    expect(await ok.text()).toBe('read 1000')
    const chunked = await raw(server.port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n7d0\r\n${'b'.repeat(2000)}\r\n0\r\n\r\n`)
    expect(statusOf(chunked.text)).toBe(422)
    expect(chunked.text).toContain('larger than maxRequestBodyBytes')
  })

  it('aborts request.signal inside when the client goes away mid-request', async () => {
    let seen: string | null = null
    const { server } = await serveApp(`
      serve({ fetch(request) {
        request.signal.addEventListener('abort', () => aborted(request.signal.reason.name))
        return new Promise(() => {})
      } })`, {}, { customFunctions: { aborted: { type: 'sync', fn: (name: string) => void (seen = name) } } })
    const socket = net.connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    await new Promise((r) => socket.on('connect', r))
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await sleep(100)
    expect(seen).toBe(null)
    socket.destroy()
    for (let i = 0; i < 100 && seen === null; i++) await sleep(20)
    expect(seen).toBe('AbortError')
  })

  it('a request.signal first read after the client went away is already aborted', async () => {
    let seen: unknown = null
    const { server } = await serveApp(`
      serve({ async fetch(request) {
        await new Promise((r) => setTimeout(r, 300))
        seen([request.signal.aborted, request.signal.reason && request.signal.reason.name])
        return new Response('late')
      } })`, {}, { customFunctions: { seen: { type: 'sync', fn: (v: unknown) => void (seen = v) } } })
    const socket = net.connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    await new Promise((r) => socket.on('connect', r))
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await sleep(50)
    socket.destroy()
    for (let i = 0; i < 100 && seen === null; i++) await sleep(20)
    expect(seen).toEqual([true, 'AbortError'])
  })

  it('serves HTTP/2 with prior knowledge on cleartext', async () => {
    const http2 = await import('node:http2')
    const { server } = await serveApp(`serve({ fetch(request) { return new Response('h2 ' + request.method + ' ' + new URL(request.url).pathname) } })`)
    const client = http2.connect(server.url)
    const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = client.request({ ':path': '/two', ':method': 'GET' })
      let status = 0
      let text = ''
      req.on('response', (h) => (status = Number(h[':status'])))
      req.on('data', (c) => (text += c))
      req.on('end', () => resolve({ status, text }))
      req.on('error', reject)
      req.end()
    })
    client.close()
    expect(body).toEqual({ status: 200, text: 'h2 GET /two' })
  })
})

describe('runtime.listen: the three handler forms', () => {
  const forms: [string, string][] = [
    ['Bun serve({ fetch })', `serve({ fetch(request, server) { return new Response('bun ' + (server.requestIP(request)?.address ?? 'none')) } })`],
    [
      'module export default { fetch(request, env, ctx) }',
      `export default { fetch(request, env, ctx) {
         if (typeof ctx.waitUntil !== 'function' || typeof ctx.passThroughOnException !== 'function') throw new Error('ctx')
         if (Object.keys(env).length !== 0) throw new Error('env is not empty')
         return new Response('module ' + (env.requestIP(request)?.address ?? 'none'))
       } }`,
    ],
    [
      "Service Worker addEventListener('fetch')",
      `addEventListener('fetch', (event) => {
         if (!(event instanceof FetchEvent)) throw new Error('not a FetchEvent')
         event.respondWith(Promise.resolve(new Response('sw ' + new URL(event.request.url).pathname)))
       })`,
    ],
  ]
  for (const [name, code] of forms) {
    it(`${name}: over the native server and through dispatchRequest`, async () => {
      const { server, rt } = await serveApp(code)
      const native = await (await fetch(`${server.url}p`)).text()
      const dispatched = await (await rt.fetch.dispatchRequest(new Request('http://localhost/p'))).text()
      const prefix = name.split(' ')[0].toLowerCase()
      if (prefix === 'service') {
        expect(native).toBe('sw /p')
        expect(dispatched).toBe('sw /p')
      } else {
        expect(native).toBe(`${prefix} 127.0.0.1`)
        // The host's dispatches have no client address.
        expect(dispatched).toBe(`${prefix} none`)
      }
    })
  }

  it('a runtime with no handler answers 500 and says why on the console', async () => {
    const { server, entries } = await serveApp(`1`)
    expect((await fetch(server.url)).status).toBe(500)
    await sleep(50)
    expect(entries.join('\n')).toContain('No serve() handler registered')
  })
})

describe('runtime.listen: limits and lifecycle', () => {
  it('executionTimeout applies to each request: a hung handler ends the runtime with TimeoutError', async () => {
    const { server, rt } = await serveApp(`serve({ fetch(request) { return new URL(request.url).pathname === '/hang' ? new Promise(() => {}) : new Response('ok') } })`, {}, { executionTimeout: 300 })
    expect(await (await fetch(server.url)).text()).toBe('ok')
    const res = await fetch(`${server.url}hang`)
    expect([500, 503]).toContain(res.status)
    const e = await errorOf(() => rt.eval('1'))
    expect(e.name).toBe('RuntimeDisposedError')
    expect(e.cause?.name).toBe('TimeoutError')
    // The runtime's end closed its server.
    for (let i = 0; i < 50 && !server.closed; i++) await sleep(20)
    expect(server.closed).toBe(true)
  })

  it('cpuTimeLimit applies to each request', async () => {
    const { server, rt } = await serveApp(`serve({ fetch() { for (;;) {} } })`, {}, { cpuTimeLimit: 100 })
    const res = await fetch(server.url)
    expect([500, 503]).toContain(res.status)
    const e = await errorOf(() => rt.eval('1'))
    expect(e.cause?.name).toBe('CpuLimitError')
  })

  it('close() stops accepting, lets a request in flight finish, then resolves', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const { server } = await serveApp(`serve({ async fetch() { await gate(); return new Response('finished') } })`, {}, {
      customFunctions: { gate: { type: 'async', fn: () => gate } },
    })
    const inflight = fetch(server.url).then((r) => r.text())
    await sleep(100)
    let closed = false
    const closing = server.close({ timeout: 5000 }).then(() => (closed = true))
    await sleep(100)
    expect(closed).toBe(false)
    // New connections are refused.
    expect((await errorOf(() => fetch(server.url))).message).toBe('fetch failed')
    release()
    expect(await inflight).toBe('finished')
    await within(closing, 3000, 'close()')
    expect(server.closed).toBe(true)
  })

  it('close({ timeout }) drops what did not finish in time', async () => {
    const { server } = await serveApp(`serve({ fetch() { return new Promise(() => {}) } })`)
    const inflight = fetch(server.url).then((r) => r.status, (e) => e.message)
    await sleep(100)
    const started = Date.now()
    await server.close({ timeout: 200 })
    expect(Date.now() - started).toBeLessThan(2000)
    expect(await inflight).toBe('fetch failed')
  })

  it('disposing the runtime closes its server and its idle keep-alive connections', async () => {
    const { server, rt } = await serveApp(HELLO)
    // A kept-alive connection, idle when the runtime goes.
    const socket = net.connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    let text = ''
    socket.on('data', (c) => (text += c.toString('latin1')))
    const closed = new Promise<boolean>((r) => socket.on('close', () => r(true)))
    await new Promise((r) => socket.on('connect', r))
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    for (let i = 0; i < 100 && !text.endsWith('Hello, world!'); i++) await sleep(10)
    expect(statusOf(text)).toBe(200)
    await rt.dispose()
    for (let i = 0; i < 50 && !server.closed; i++) await sleep(20)
    expect(server.closed).toBe(true)
    // The server closes it (not the client): a pooled connection cannot reach a runtime that is gone.
    expect(await Promise.race([closed, sleep(2000).then(() => false)])).toBe(true)
    socket.destroy()
    // A new connection is refused.
    expect((await errorOf(() => fetch(server.url))).message).toBe('fetch failed')
  })

  it('maxConnections bounds open connections', async () => {
    const { server } = await serveApp(HELLO, { maxConnections: 1 })
    const first = net.connect(server.port, '127.0.0.1')
    await new Promise((r) => first.on('connect', r))
    await sleep(50)
    const second = await raw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 1000)
    expect(second.closed).toBe(true)
    expect(second.text).toBe('')
    first.destroy()
    await sleep(50)
    expect((await fetch(server.url)).status).toBe(200)
  })

  it('refuses requests past the runtime\'s memory limit with 503 instead of queueing them', async () => {
    // The handler holds all but ~4 KiB of the runtime's 32 MB of ArrayBuffers, so a request's own
    // charge (its head, 8 KiB here, and 1 KiB) no longer fits. (At 8 MB, V8's old generation is
    // ~2 MB: a GC during the fill could end the runtime on its heap limit instead.)
    const { server, rt } = await serveApp(`
      const hold = []
      serve({ fetch(request) {
        const u = new URL(request.url)
        if (u.pathname === '/fill') { hold.push(new Uint8Array(Number(u.searchParams.get('n')))); return new Response('filled') }
        return new Response('ok')
      } })`, {}, { memoryLimitMB: 32 })
    expect(await (await fetch(server.url)).text()).toBe('ok')
    const free = 32 * 1024 * 1024 - rt.stats().externalBytes
    const filled = await fetch(`${server.url}fill?n=${free - 4096}`)
    expect(await filled.text()).toBe('filled')
    const refused = await fetch(`${server.url}x`, { headers: { 'x-pad': 'p'.repeat(8000) } })
    expect(refused.status).toBe(503)
  })

  it('answers 500 for a response body larger than the runtime\'s memory limit, and serves one within it', async () => {
    // 'é' is one byte in V8's string and two in UTF-8: 9 Mi of them are 18 MiB to send, past 16 MB.
    const { server } = await serveApp(`
      const big = 'é'.repeat(9 << 20), fits = 'é'.repeat(6 << 20)
      serve({ fetch: (request) => new Response(new URL(request.url).pathname === '/big' ? big : fits) })`, {}, { memoryLimitMB: 16 })
    const big = await fetch(`${server.url}big`)
    expect([big.status, await big.text()]).toEqual([500, 'Internal Server Error'])
    const fits = await fetch(server.url)
    expect(fits.status).toBe(200)
    expect((await fits.arrayBuffer()).byteLength).toBe(12 << 20)
  })

  it('validates its options with errors that name them', async () => {
    const rt = await createRuntime()
    const cases: [unknown, string, string][] = [
      [{ port: -1 }, 'RangeError', 'listen(options): port must be an integer from 0 to 65535 (got -1)'],
      [{ port: '80' }, 'TypeError', 'listen(options): port must be a number (got string)'],
      [{ hostname: 5 }, 'TypeError', 'listen(options): hostname must be a string'],
      [{ tls: { cert: 'x' } }, 'TypeError', 'listen(options): tls.key is required'],
      [{ tls: { key: 'x', cert: 'y' } }, 'TypeError', 'listen(options): tls.cert holds no PEM certificate'],
      [{ maxHeaderBytes: 10 }, 'RangeError', 'listen(options): maxHeaderBytes must be an integer from 1024'],
      [{ headersTimeout: 0 }, 'RangeError', 'listen(options): headersTimeout must be an integer from 1'],
      [{ websocket: { maxPayloadLength: 1.5 } }, 'RangeError', 'listen(options): websocket.maxPayloadLength'],
      [{ websocket: { perMessageDeflate: true } }, 'RangeError', 'perMessageDeflate: true is not supported'],
      [{ onConnection: 1 }, 'TypeError', 'listen(options): onConnection must be a function'],
      ['8080', 'TypeError', 'listen(options): options must be an object'],
      [{ get port() { throw new Error('boom') } }, 'TypeError', 'listen(options): port could not be read: Error: boom'],
    ]
    for (const [i, [options, name, message]] of cases.entries()) {
      const e = await errorOf(() => rt.listen(options as any))
      expect(e.name, `case ${i}: ${e.message}`).toBe(name)
      expect(e.message).toContain(message)
    }
  })

  it('reports a port in use', async () => {
    const { server } = await serveApp(HELLO)
    const rt = await createRuntime()
    await rt.eval(HELLO)
    const e = await errorOf(() => rt.listen({ port: server.port }))
    expect(e.message).toContain('EADDRINUSE')
  })

  it('a listening server keeps Node alive until closed; unref() lets it exit', async () => {
    const { spawnSync } = await import('node:child_process')
    const { INDEX_PATH } = await import('./helpers')
    const script = (unref: boolean) => `
      const { createRuntime } = require(${JSON.stringify(INDEX_PATH)})
      createRuntime().then(async (rt) => {
        await rt.eval("serve({ fetch() { return new Response('x') } })")
        const server = await rt.listen({ port: 0 })
        ${unref ? 'server.unref()' : 'setTimeout(() => { console.log("still alive"); server.close().then(() => rt.dispose()) }, 300)'}
      })`
    const exited = spawnSync(process.execPath, ['-e', script(true)], { timeout: 10_000, encoding: 'utf8' })
    expect(exited.status).toBe(0)
    const kept = spawnSync(process.execPath, ['-e', script(false)], { timeout: 10_000, encoding: 'utf8' })
    expect(kept.stdout).toContain('still alive')
    expect(kept.status).toBe(0)
  })

  it('keeps serving after the host dropped every reference to the runtime and GC ran', async () => {
    const { spawnSync } = await import('node:child_process')
    const { INDEX_PATH } = await import('./helpers')
    const script = `
      const { createRuntime } = require(${JSON.stringify(INDEX_PATH)})
      ;(async () => {
        let rt = await createRuntime()
        await rt.eval("serve({ fetch() { return new Response('still here') } })")
        const server = await rt.listen({ port: 0, hostname: '127.0.0.1' })
        rt = null
        for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 100)) }
        console.log(await (await fetch(server.url)).text())
        await server.close()
      })().catch((e) => { console.log('FAILED', e.message, e.cause && e.cause.code); process.exitCode = 3 })`
    const res = spawnSync(process.execPath, ['--expose-gc', '-e', script], { timeout: 20_000, encoding: 'utf8' })
    expect(res.stdout.trim()).toBe('still here')
    expect(res.status).toBe(0)
  })
})
