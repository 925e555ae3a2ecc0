// fetch() from inside the isolate: the native client (network) and the host's onFetch, against
// real servers on 127.0.0.1 started here on port 0.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import http from 'node:http'
import https from 'node:https'
import http2 from 'node:http2'
import zlib from 'node:zlib'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { useRuntimes, reporter, CHECK, errorOf, within, sleep } from './helpers'

const createRuntime = useRuntimes()
const fixture = (name: string) => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url), 'utf8')
const CA = fixture('ca.pem')
const TLS = { cert: fixture('server.pem'), key: fixture('server-key.pem') }

// --- the test server ----------------------------------------------------------------------------

let server: http.Server
let base = ''
let port = 0
const seen: { url: string; method: string; headers: http.IncomingHttpHeaders }[] = []
const waiters = new Map<string, () => void>() // /wait?key= holds until /release?key=
let inFlight = 0
let maxInFlight = 0
let closedConnections = 0
let bigWritten = 0

function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

const TEXT = 'hello from the server '.repeat(50)

async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://x')
  const q = (k: string) => url.searchParams.get(k)
  seen.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers })
  res.on('close', () => {
    if (!res.writableFinished) closedConnections++
  })
  switch (url.pathname) {
    case '/text':
      res.writeHead(200, 'Fine', { 'content-type': 'text/plain', 'x-one': '1' })
      return res.end('hello')
    case '/echo': {
      const body = await readAll(req)
      const chunks = Number(req.headers['x-expect-chunks'] ?? 0)
      void chunks
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ method: req.method, headers: req.headers, body: body.toString('latin1'), url: req.url }))
    }
    case '/upload-stream': {
      // Answers once the first chunk arrived, before the request body ends: proves streaming out.
      req.once('data', (c) => {
        res.writeHead(200)
        res.write(`first:${c.toString()};`)
        readAll(req).then((rest) => res.end(`rest:${rest.toString()}`))
      })
      return
    }
    case '/wait': {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('part1;')
      waiters.set(q('key') ?? '', () => res.end('part2'))
      return
    }
    case '/release':
      waiters.get(q('key') ?? '')?.()
      waiters.delete(q('key') ?? '')
      return res.end('released')
    case '/hang':
      return // never answers
    case '/hang-body':
      res.writeHead(200)
      res.write('start;')
      return
    case '/hold': {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await sleep(Number(q('ms') ?? 100))
      inFlight--
      return res.end('held')
    }
    case '/slow':
      await sleep(Number(q('ms') ?? 1000))
      return res.end('slow')
    case '/big': {
      const size = Number(q('size') ?? 1000)
      const chunk = Buffer.alloc(64 * 1024, 120)
      if (q('length')) res.setHeader('content-length', size)
      bigWritten = 0
      let left = size
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length)
          left -= n
          bigWritten += n
          if (!res.write(chunk.subarray(0, n))) return res.once('drain', pump)
        }
        res.end()
      }
      return pump()
    }
    case '/gzip':
    case '/deflate':
    case '/br': {
      const enc = url.pathname.slice(1)
      const data = Buffer.from(TEXT)
      const body = enc === 'gzip' ? zlib.gzipSync(data) : enc === 'deflate' ? zlib.deflateSync(data) : zlib.brotliCompressSync(data)
      res.writeHead(200, { 'content-encoding': enc, 'content-type': 'text/plain' })
      return res.end(body)
    }
    case '/redirect': {
      res.writeHead(Number(q('status') ?? 302), { location: q('to') ?? '/text' })
      return res.end('moved')
    }
    case '/loop':
      res.writeHead(302, { location: '/loop' })
      return res.end()
    default:
      res.writeHead(404)
      return res.end('not found')
  }
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    handle(req, res).catch((e) => res.destroy(e))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const NET = { network: { allowPrivateNetworks: true } }

/** Runs `code` in a runtime with `options`; returns what it reported. */
async function run(code: string, options: any = NET): Promise<any[]> {
  const { calls, customFunctions } = reporter()
  const rt = await createRuntime({ ...options, customFunctions: { ...customFunctions, ...options.customFunctions } })
  await within(rt.eval(CHECK + `const BASE = ${JSON.stringify(base)}\n` + code), 10_000, 'the eval')
  return calls
}

// --- the native client --------------------------------------------------------------------------

describe('fetch() through the native client', () => {
  it('gets a response: status, statusText, headers, url, body', async () => {
    const [r] = await run(`
      const res = await fetch(BASE + '/text#frag')
      report({ status: res.status, statusText: res.statusText, ok: res.ok, type: res.type, url: res.url, redirected: res.redirected,
        ct: res.headers.get('content-type'), one: res.headers.get('x-one'), text: await res.text(), isResponse: res instanceof Response })
    `)
    expect(r).toEqual({ status: 200, statusText: 'Fine', ok: true, type: 'basic', url: `${base}/text`, redirected: false,
      ct: 'text/plain', one: '1', text: 'hello', isResponse: true })
  })

  it('sends the method, headers and every kind of body', async () => {
    const [r] = await run(`
      const out = {}
      const echo = async (init) => (await fetch(BASE + '/echo', { method: 'POST', ...init })).json()
      out.string = await echo({ body: 'héllo' })
      out.bytes = await echo({ body: new Uint8Array([1, 2, 255]) })
      out.buffer = await echo({ body: new Uint8Array([7, 8]).buffer })
      out.params = await echo({ body: new URLSearchParams({ a: '1', b: 'x y' }) })
      out.blob = await echo({ body: new Blob(['blob!'], { type: 'text/x-blob' }) })
      const fd = new FormData(); fd.append('k', 'v')
      out.form = await echo({ body: fd })
      out.stream = await echo({ body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('st')); c.enqueue(new TextEncoder().encode('ream')); c.close() } }), duplex: 'half' })
      out.req = await (await fetch(new Request(BASE + '/echo', { method: 'PUT', body: 'from a Request', headers: { 'x-custom': 'yes' } }))).json()
      out.get = await (await fetch(BASE + '/echo', { headers: [['x-a', '1'], ['x-a', '2']] })).json()
      report(out)
    `)
    expect(r.string.body).toBe(Buffer.from('héllo').toString('latin1'))
    expect(r.string.headers['content-type']).toBe('text/plain;charset=UTF-8')
    expect(r.bytes.body).toBe('\x01\x02\xff')
    expect(r.buffer.body).toBe('\x07\x08')
    expect(r.params.body).toBe('a=1&b=x+y')
    expect(r.params.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(r.blob.body).toBe('blob!')
    expect(r.blob.headers['content-type']).toBe('text/x-blob')
    expect(r.form.body).toContain('name="k"')
    expect(r.form.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    expect(r.stream.body).toBe('stream')
    expect(r.stream.headers['transfer-encoding']).toBe('chunked')
    expect(r.req).toMatchObject({ method: 'PUT', body: 'from a Request' })
    expect(r.req.headers['x-custom']).toBe('yes')
    expect(r.get.method).toBe('GET')
    expect(r.get.headers['x-a']).toBe('1, 2')
    expect(r.get.headers['accept']).toBe('*/*')
    expect(r.get.headers['accept-encoding']).toBe('gzip, deflate, br')
  })

  it('streams a request body out before it ends', async () => {
    const [r] = await run(`
      let controller
      const body = new ReadableStream({ start(c) { controller = c } })
      controller.enqueue(new TextEncoder().encode('one'))
      const res = await fetch(BASE + '/upload-stream', { method: 'POST', body, duplex: 'half' })
      const reader = res.body.getReader()
      const first = new TextDecoder().decode((await reader.read()).value)
      controller.enqueue(new TextEncoder().encode('two'))
      controller.close()
      let rest = ''
      for (;;) { const { done, value } = await reader.read(); if (done) break; rest += new TextDecoder().decode(value) }
      report(first + rest)
    `)
    expect(r).toBe('first:one;rest:two')
  })

  it('streams a response body in as it arrives', async () => {
    const [r] = await run(`
      const res = await fetch(BASE + '/wait?key=s1')
      const reader = res.body.getReader()
      const first = new TextDecoder().decode((await reader.read()).value)
      await (await fetch(BASE + '/release?key=s1')).text()
      let rest = ''
      for (;;) { const { done, value } = await reader.read(); if (done) break; rest += new TextDecoder().decode(value) }
      report([first, rest])
    `)
    expect(r).toEqual(['part1;', 'part2'])
  })

  it('reads a response body with backpressure', async () => {
    const size = 64 * 1024 * 1024
    const r = await run(`
      const res = await fetch(BASE + '/big?size=${size}')
      const reader = res.body.getReader()
      const { value } = await reader.read()
      await new Promise((r) => setTimeout(r, 300))
      report(written())
      let total = value.byteLength
      for (;;) { const { done, value } = await reader.read(); if (done) break; total += value.byteLength }
      report(total)
    `, { ...NET, customFunctions: { written: { type: 'sync', fn: () => bigWritten } } })
    expect(r[1]).toBe(size)
    // Kernel socket buffers hold some; the rest waits for the isolate to read.
    expect(r[0]).toBeLessThan(size / 2)
  })

  it('decodes gzip, deflate and br', async () => {
    const [r] = await run(`
      const out = []
      for (const enc of ['gzip', 'deflate', 'br']) {
        const res = await fetch(BASE + '/' + enc)
        out.push([res.headers.get('content-encoding'), await res.text()])
      }
      report(out)
    `)
    expect(r).toEqual([['gzip', TEXT], ['deflate', TEXT], ['br', TEXT]])
  })

  it('answers HEAD and null-body statuses with a null body', async () => {
    const [r] = await run(`
      const res = await fetch(BASE + '/text', { method: 'HEAD' })
      report([res.status, res.body, await res.text()])
    `)
    expect(r).toEqual([200, null, ''])
  })

  it('follows redirects (method rewrite per spec), or not, as asked', async () => {
    const [r] = await run(`
      const out = {}
      let res = await fetch(BASE + '/redirect?to=/text')
      out.follow = [res.status, res.redirected, res.url, await res.text()]
      res = await fetch(BASE + '/redirect?status=303&to=/echo', { method: 'POST', body: 'x' })
      const see = await res.json()
      out.see = [see.method, see.body, see.headers['content-type'] ?? null]
      res = await fetch(BASE + '/redirect?status=307&to=/echo', { method: 'POST', body: 'kept' })
      const tmp = await res.json()
      out.temp = [tmp.method, tmp.body]
      res = await fetch(BASE + '/redirect?status=301&to=/echo', { method: 'POST', body: 'dropped' })
      const moved = await res.json()
      out.moved = [moved.method, moved.body]
      res = await fetch(BASE + '/redirect?to=/text', { redirect: 'manual' })
      out.manual = [res.status, res.headers.get('location'), res.redirected]
      const e = await fetch(BASE + '/redirect?to=/text', { redirect: 'error' }).catch((e) => e)
      out.error = [e.name, e.message, e.cause?.code]
      const loop = await fetch(BASE + '/loop').catch((e) => e)
      out.loop = [loop.message, loop.cause?.code, loop.cause?.message]
      const st = await fetch(BASE + '/redirect?status=307&to=/echo', { method: 'POST', body: new ReadableStream({ pull(c) { c.enqueue(new Uint8Array([1])); c.close() } }), duplex: 'half' }).catch((e) => e)
      out.stream = [st.message, st.cause?.code]
      report(out)
    `)
    expect(r.follow).toEqual([200, true, `${base}/text`, 'hello'])
    expect(r.see).toEqual(['GET', '', null])
    expect(r.temp).toEqual(['POST', 'kept'])
    expect(r.moved).toEqual(['GET', ''])
    expect(r.manual).toEqual([302, '/text', false])
    expect(r.error).toEqual(['TypeError', 'fetch failed', 'ERR_REDIRECT'])
    expect(r.loop[0]).toBe('fetch failed')
    expect(r.loop[1]).toBe('ERR_REDIRECT')
    expect(r.loop[2]).toMatch(/too many redirects/)
    expect(r.stream).toEqual(['fetch failed', 'ERR_REDIRECT'])
  })

  it('aborts before the response and in the middle of the body', async () => {
    const closedBefore = closedConnections
    const [r] = await run(`
      const out = {}
      const c1 = new AbortController()
      const p = fetch(BASE + '/hang', { signal: c1.signal })
      setTimeout(() => c1.abort(), 50)
      const e1 = await p.catch((e) => e)
      out.before = [e1.name, e1 instanceof DOMException]
      const c2 = new AbortController()
      const res = await fetch(BASE + '/hang-body', { signal: c2.signal })
      const reader = res.body.getReader()
      const first = new TextDecoder().decode((await reader.read()).value)
      const pending = reader.read()
      c2.abort()
      const e2 = await pending.catch((e) => e)
      out.mid = [first, e2.name]
      const c3 = new AbortController()
      c3.abort(new Error('my reason'))
      const e3 = await fetch(BASE + '/text', { signal: c3.signal }).catch((e) => e)
      out.already = e3.message
      report(out)
    `)
    expect(r).toEqual({ before: ['AbortError', true], mid: ['start;', 'AbortError'], already: 'my reason' })
    // The server sees both connections go away.
    for (let i = 0; i < 100 && closedConnections < closedBefore + 2; i++) await sleep(20)
    expect(closedConnections).toBeGreaterThanOrEqual(closedBefore + 2)
  })

  it('caps concurrent requests at maxConcurrentRequests', async () => {
    maxInFlight = 0
    const [r] = await run(`
      const texts = await Promise.all(Array.from({ length: 6 }, () => fetch(BASE + '/hold?ms=100').then((r) => r.text())))
      report(texts.every((t) => t === 'held'))
    `, { network: { allowPrivateNetworks: true, maxConcurrentRequests: 2 } })
    expect(r).toBe(true)
    expect(maxInFlight).toBe(2)
  })

  it('times out per request (network.timeout), before and during the body', async () => {
    const [r] = await run(`
      const e = await fetch(BASE + '/slow?ms=3000').catch((e) => e)
      const res = await fetch(BASE + '/hang-body')
      const e2 = await res.text().catch((e) => e)
      report([e.name, e.message, e.cause?.code, e.cause?.message, e2.message, e2.cause?.code])
    `, { network: { allowPrivateNetworks: true, timeout: 300 } })
    expect(r.slice(0, 3)).toEqual(['TypeError', 'fetch failed', 'ERR_TIMEOUT'])
    expect(r[3]).toMatch(/timed out after 300 ms/)
    expect(r.slice(4)).toEqual(['fetch failed', 'ERR_TIMEOUT'])
  })

  it('enforces maxResponseBytes while streaming', async () => {
    const [r] = await run(`
      const out = []
      for (const q of ['size=5000', 'size=5000&length=1', 'size=900&length=1']) {
        const res = await fetch(BASE + '/big?' + q)
        const e = await res.arrayBuffer().then((b) => b.byteLength, (e) => [e.message, e.cause?.code, e.cause?.message])
        out.push(e)
      }
      report(out)
    `, { network: { allowPrivateNetworks: true, maxResponseBytes: 1000 } })
    expect(r[0].slice(0, 2)).toEqual(['fetch failed', 'ERR_TOO_LARGE'])
    expect(r[0][2]).toMatch(/response too large/)
    expect(r[1].slice(0, 2)).toEqual(['fetch failed', 'ERR_TOO_LARGE'])
    expect(r[2]).toBe(900)
  })
})

describe('the egress policy', () => {
  it('has no egress by default', async () => {
    const [r] = await run(`
      const e = await fetch(BASE + '/text').catch((e) => e)
      report([e.name, e.message])
    `, {})
    expect(r).toEqual(['TypeError', 'network access is disabled: pass onFetch or network to createRuntime'])
  })

  it('rejects invalid network options at createRuntime with typed errors', async () => {
    const bad = await errorOf(() => createRuntime({ network: { allowedHosts: ['https://'] } }))
    expect(bad).toBeInstanceOf(TypeError)
    expect(bad.message).toMatch(/network\.allowedHosts: 'https:\/\/' is not an origin/)
    expect(await errorOf(() => createRuntime({ network: { allowedHosts: 'x' as any } }))).toBeInstanceOf(TypeError)
    expect(await errorOf(() => createRuntime({ network: { maxConcurrentRequests: 0 } }))).toBeInstanceOf(RangeError)
    expect(await errorOf(() => createRuntime({ network: { timeout: -1 } }))).toBeInstanceOf(RangeError)
    expect(await errorOf(() => createRuntime({ network: { allowPrivateNetworks: 'yes' as any } }))).toBeInstanceOf(TypeError)
  })

  it('refuses private addresses, by literal or by resolved name, before connecting', async () => {
    const before = seen.length
    const [r] = await run(`
      const out = []
      for (const u of [BASE + '/text', 'http://localhost:${port}/text', 'http://[::ffff:127.0.0.1]:${port}/text', 'http://[::1]:${port}/', 'http://169.254.169.254/', 'http://10.0.0.1/']) {
        const e = await fetch(u).then(() => null, (e) => [e.message, e.cause?.code, e.cause?.message])
        out.push(e)
      }
      report(out)
    `, { network: {} })
    for (const e of r) expect(e.slice(0, 2)).toEqual(['fetch failed', 'ERR_POLICY'])
    expect(r[0][2]).toMatch(/127\.0\.0\.1 is a private address/)
    expect(r[1][2]).toMatch(/localhost \(resolved to .*\) is a private address/)
    expect(seen.length).toBe(before)
  })

  it('allows only allowedHosts, on every redirect hop', async () => {
    const before = seen.length
    const [r] = await run(`
      const out = []
      out.push((await fetch(BASE + '/text')).status)
      const e = await fetch('http://localhost:${port}/text').catch((e) => [e.message, e.cause?.code, e.cause?.message])
      out.push(e)
      const e2 = await fetch(BASE + '/redirect?to=' + encodeURIComponent('http://localhost:${port}/text')).catch((e) => [e.message, e.cause?.code, e.cause?.message])
      out.push(e2)
      report(out)
    `, { network: { allowPrivateNetworks: true, allowedHosts: [`http://127.0.0.1:${port}`] } })
    expect(r[0]).toBe(200)
    expect(r[1].slice(0, 2)).toEqual(['fetch failed', 'ERR_POLICY'])
    expect(r[1][2]).toMatch(/not in network.allowedHosts/)
    expect(r[2].slice(0, 2)).toEqual(['fetch failed', 'ERR_POLICY'])
    // /text and /redirect reached the server; the refused hops did not.
    expect(seen.slice(before).map((s) => s.url)).toEqual(['/text', '/redirect?to=' + encodeURIComponent(`http://localhost:${port}/text`)])
  })

  it('says why a connection failed: refused, DNS', async () => {
    const closed = http.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    const [r] = await run(`
      const a = await fetch('http://127.0.0.1:${deadPort}/').catch((e) => [e.message, e.cause?.code])
      const b = await fetch('http://no-such-host.invalid/').catch((e) => [e.message, e.cause?.code])
      report([a, b])
    `)
    expect(r).toEqual([['fetch failed', 'ERR_CONNECT'], ['fetch failed', 'ERR_DNS']])
  })
})

describe('TLS', () => {
  let tls: https.Server
  let h2: http2.Http2SecureServer
  let tlsPort = 0
  let h2Port = 0
  beforeAll(async () => {
    tls = https.createServer(TLS, (req, res) => res.end(`secure ${req.httpVersion}`))
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r))
    tlsPort = (tls.address() as AddressInfo).port
    h2 = http2.createSecureServer({ ...TLS, allowHTTP1: false }, (req, res) => res.end(`h2 ${req.httpVersion}`))
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r))
    h2Port = (h2.address() as AddressInfo).port
  })
  afterAll(async () => {
    tls.closeAllConnections()
    await new Promise((r) => tls.close(r))
    await new Promise((r) => h2.close(r))
  })

  it('trusts network.caCertificates, and only then', async () => {
    const code = `
      const out = []
      for (const u of ['https://127.0.0.1:${tlsPort}/', 'https://localhost:${tlsPort}/', 'https://127.0.0.1:${h2Port}/']) {
        out.push(await fetch(u).then((r) => r.text(), (e) => [e.message, e.cause?.code, e.cause?.message]))
      }
      report(out)
    `
    const [trusted] = await run(code, { network: { allowPrivateNetworks: true, caCertificates: [CA] } })
    expect(trusted).toEqual(['secure 1.1', 'secure 1.1', 'h2 2.0'])
    const [untrusted] = await run(code, NET)
    for (const e of untrusted) {
      expect(e.slice(0, 2)).toEqual(['fetch failed', 'ERR_TLS'])
      expect(e[2]).toMatch(/certificate/i)
    }
  })

  it('refuses a bad caCertificates entry at createRuntime, naming the entry', async () => {
    for (const bad of ['not a certificate', '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n']) {
      const err = await createRuntime({ network: { allowPrivateNetworks: true, caCertificates: [bad] } }).then(
        () => null,
        (e) => e,
      )
      expect(err).toBeInstanceOf(TypeError)
      expect(err.message).toMatch(/^createRuntime\(options\): network\.caCertificates\[0\] (holds no PEM certificate|is not valid PEM|is not a usable CA certificate)/)
    }
  })
})

describe('dispose', () => {
  it('cancels requests in flight', async () => {
    const before = closedConnections
    const rt = await createRuntime(NET)
    void rt.eval(`globalThis.p = fetch(${JSON.stringify(base)} + '/hang-body').then((r) => r.text())`).catch(() => {})
    for (let i = 0; i < 100 && !seen.some((s) => s.url === '/hang-body'); i++) await sleep(10)
    await sleep(50)
    await rt.dispose()
    for (let i = 0; i < 100 && closedConnections === before; i++) await sleep(20)
    expect(closedConnections).toBeGreaterThan(before)
  })
})

describe('fetch() through the host onFetch', () => {
  it('gives onFetch (url, { method, headers, body, signal }) and streams its Response back', async () => {
    const calls: any[] = []
    const { calls: reports, customFunctions } = reporter()
    const rt = await createRuntime({
      customFunctions,
      onFetch: async (url: string, init: any) => {
        const body = init.body === null ? null : Buffer.from(await new Response(init.body).arrayBuffer()).toString()
        calls.push({ url, method: init.method, headers: init.headers, body, signal: init.signal instanceof AbortSignal, stream: init.body instanceof ReadableStream })
        if (url.endsWith('/stream')) {
          let n = 0
          const stream = new ReadableStream({ pull(c) { if (n++ < 3) c.enqueue(new TextEncoder().encode(`c${n};`)); else c.close() } })
          return new Response(stream, { status: 201, statusText: 'Made', headers: { 'x-h': 'v' } })
        }
        return Response.json({ echoed: body })
      },
    })
    await within(rt.eval(CHECK + `
      const a = await fetch('https://api.example.com/json', { method: 'POST', body: 'hi', headers: { 'x-k': '1' } })
      report(await a.json())
      const b = await fetch('https://api.example.com/stream', { method: 'PUT', body: new ReadableStream({ start(c) { c.enqueue(new Uint8Array([65, 66])); c.close() } }), duplex: 'half' })
      report([b.status, b.statusText, b.headers.get('x-h'), await b.text()])
    `), 10_000, 'eval')
    expect(reports).toEqual([{ echoed: 'hi' }, [201, 'Made', 'v', 'c1;c2;c3;']])
    expect(calls[0]).toMatchObject({ url: 'https://api.example.com/json', method: 'POST', body: 'hi', signal: true, stream: false })
    expect(calls[0].headers).toContainEqual(['x-k', '1'])
    expect(calls[1]).toMatchObject({ method: 'PUT', body: 'AB', stream: true })
  })

  it('accepts `fetch` as an alias, wraps host errors, and aborts the host signal', async () => {
    let aborted: any = null
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({
      customFunctions,
      fetch: async (url: string, init: any) => {
        if (url.endsWith('/fail')) throw new Error('host says no')
        return new Promise((_, reject) => init.signal.addEventListener('abort', () => { aborted = init.signal.reason; reject(init.signal.reason) }))
      },
    })
    await within(rt.eval(`
      const e = await fetch('https://x.test/fail').catch((e) => e)
      report([e.name, e.message, e.cause?.message])
      const c = new AbortController()
      const p = fetch('https://x.test/hang', { signal: c.signal })
      setTimeout(() => c.abort(), 20)
      const e2 = await p.catch((e) => e)
      report(e2.name)
    `), 10_000, 'eval')
    expect(calls).toEqual([['TypeError', 'fetch failed', 'host says no'], 'AbortError'])
    for (let i = 0; i < 50 && aborted === null; i++) await sleep(10)
    expect(aborted?.name).toBe('AbortError')
  })

  it('can hand the request to Node fetch against a real server', async () => {
    const [r] = await run(`
      const res = await fetch(BASE + '/gzip')
      report([res.status, (await res.text()).length])
    `, { onFetch: (url: string, init: any) => fetch(url, init) })
    expect(r).toEqual([200, TEXT.length])
  })
})
