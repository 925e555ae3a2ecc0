// serve() inside the isolate and runtime.fetch.dispatchRequest outside: Node's own Request in,
// Node's own Response out, bodies streamed both ways, aborts, errors, concurrency, lifecycle.
import { describe, expect, it } from 'vitest'
import { CHECK, errorOf, reporter, sleep, useRuntimes, within } from './helpers'
import { RuntimeDisposedError } from '../index.js'

const createRuntime = useRuntimes()

/** A host-controlled gate: the isolate calls `await gate(name)`; the test calls `open(name)`. */
function gates() {
  const waiting = new Map<string, { promise: Promise<void>; resolve: () => void }>()
  const get = (name: string) => {
    let g = waiting.get(name)
    if (!g) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      g = { promise, resolve }
      waiting.set(name, g)
    }
    return g
  }
  return {
    customFunctions: { gate: { type: 'async' as const, fn: (name: string) => get(name).promise } },
    open: (name: string) => get(name).resolve(),
  }
}

/** A runtime running `code` (a module body with `check`, `report` and `gate`). */
async function app(code: string, filename = 'app.js') {
  const r = reporter()
  const g = gates()
  const rt = await createRuntime({ customFunctions: { ...r.customFunctions, ...g.customFunctions } })
  await rt.eval(CHECK + code, filename)
  return { rt, fetch: rt.fetch, calls: r.calls, open: g.open }
}

/** Polls until `cond()` is true (or fails the test after `ms`). */
async function until(cond: () => boolean, what: string, ms = 5_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

const dec = new TextDecoder()

describe('dispatchRequest basics', () => {
  it('returns a Node Response built from the handler’s Response, and passes method, url, headers and body in', async () => {
    const { fetch } = await app(`
      serve({
        async fetch(request, server) {
          check(request instanceof Request, 'a Request')
          check(typeof server.upgrade === 'function', 'server.upgrade')
          const body = await request.text()
          return Response.json(
            { method: request.method, url: request.url, ua: request.headers.get('x-test'), body },
            { status: 201, statusText: 'Made', headers: { 'x-out': 'yes' } },
          )
        },
      })
    `)
    const res = await fetch.dispatchRequest(
      new Request('http://localhost/a/b?c=1', { method: 'PUT', headers: { 'X-Test': 'hi' }, body: 'héllo' }),
    )
    expect(res).toBeInstanceOf(Response)
    expect(res.status).toBe(201)
    expect(res.statusText).toBe('Made')
    expect(res.headers.get('x-out')).toBe('yes')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ method: 'PUT', url: 'http://localhost/a/b?c=1', ua: 'hi', body: 'héllo' })
  })

  it('accepts a synchronous handler, and text, bytes and empty bodies', async () => {
    const { fetch } = await app(`
      serve({
        fetch(request) {
          const p = new URL(request.url).pathname
          if (p === '/text') return new Response('plain')
          if (p === '/bytes') return new Response(new Uint8Array([0, 1, 255]))
          if (p === '/blob') return new Response(new Blob(['bl', 'ob'], { type: 'x/y' }))
          return new Response()
        },
      })
    `)
    const text = await fetch.dispatchRequest(new Request('http://h/text'))
    expect(await text.text()).toBe('plain')
    expect(text.headers.get('content-type')).toBe('text/plain;charset=UTF-8')
    const bytes = await fetch.dispatchRequest(new Request('http://h/bytes'))
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([0, 1, 255])
    const blob = await fetch.dispatchRequest(new Request('http://h/blob'))
    expect(blob.headers.get('content-type')).toBe('x/y')
    expect(await blob.text()).toBe('blob')
    const empty = await fetch.dispatchRequest(new Request('http://h/empty'))
    expect(empty.status).toBe(200)
    expect(await empty.text()).toBe('')
  })

  it('gives a string body its UTF-8 bytes and the handler’s headers: no Content-Type added, lone surrogates as U+FFFD, large ones whole', async () => {
    const { fetch } = await app(`
      serve({
        fetch(request) {
          const p = new URL(request.url).pathname
          if (p === '/bare') {
            const res = new Response('héllo')
            res.headers.delete('content-type')
            return res
          }
          if (p === '/typed') return new Response('{"a":1}', { headers: { 'Content-Type': 'application/json' } })
          if (p === '/surrogate') return new Response('a\uD800b')
          return new Response('é'.repeat(100_000))
        },
      })
    `)
    const bare = await fetch.dispatchRequest(new Request('http://h/bare'))
    expect(bare.headers.get('content-type')).toBe(null)
    expect([...new Uint8Array(await bare.arrayBuffer())]).toEqual([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f])
    const typed = await fetch.dispatchRequest(new Request('http://h/typed'))
    expect(typed.headers.get('content-type')).toBe('application/json')
    expect(await typed.json()).toEqual({ a: 1 })
    const lone = await fetch.dispatchRequest(new Request('http://h/surrogate'))
    expect([...new Uint8Array(await lone.arrayBuffer())]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62])
    const large = await fetch.dispatchRequest(new Request('http://h/large'))
    const text = await large.text()
    expect(text.length).toBe(100_000)
    expect(text === 'é'.repeat(100_000)).toBe(true)
  })

  it('sends request headers in, and multiple set-cookie headers out as separate values', async () => {
    const { fetch, calls } = await app(`
      serve({
        fetch(request) {
          report([...request.headers])
          const h = new Headers({ 'content-type': 'text/html' })
          h.append('Set-Cookie', 'a=1; Path=/')
          h.append('Set-Cookie', 'b=2; HttpOnly')
          h.append('x-multi', 'one')
          h.append('x-multi', 'two')
          return new Response('<p>', { headers: h })
        },
      })
    `)
    const headers = new Headers([
      ['accept', 'text/html'],
      ['x-dup', '1'],
      ['x-dup', '2'],
      ['cookie', 'c=3'],
    ])
    const res = await fetch.dispatchRequest(new Request('http://h/', { headers }))
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly'])
    expect(res.headers.get('x-multi')).toBe('one, two')
    expect(res.headers.get('content-type')).toBe('text/html')
    expect(calls[0]).toEqual([
      ['accept', 'text/html'],
      ['cookie', 'c=3'],
      ['x-dup', '1, 2'],
    ])
  })

  it('honours null-body statuses: 204, 205 and 304 give body === null on the host', async () => {
    const { fetch } = await app(`
      serve({ fetch(request) { return new Response(null, { status: Number(new URL(request.url).searchParams.get('s')), headers: { etag: '"e"' } }) } })
    `)
    for (const s of [204, 205, 304]) {
      const res = await fetch.dispatchRequest(new Request(`http://h/?s=${s}`))
      expect(res.status).toBe(s)
      expect(res.body).toBe(null)
      expect(res.headers.get('etag')).toBe('"e"')
    }
  })

  it('rejects when no serve() handler is registered, and hasServeHandler() says so', async () => {
    const rt = await createRuntime()
    expect(await rt.fetch.hasServeHandler()).toBe(false)
    const e = await errorOf(() => rt.fetch.dispatchRequest(new Request('http://h/')))
    expect(e.message).toBe('No serve() handler registered')
    await rt.eval(`serve({ fetch: () => new Response('ok') })`)
    expect(await rt.fetch.hasServeHandler()).toBe(true)
    expect(await (await rt.fetch.dispatchRequest(new Request('http://h/'))).text()).toBe('ok')
  })

  it('a second serve() replaces the first', async () => {
    const { rt, fetch } = await app(`serve({ fetch: () => new Response('first') })`)
    expect(await (await fetch.dispatchRequest(new Request('http://h/'))).text()).toBe('first')
    await rt.eval(`serve({ async fetch() { return new Response('second') } })`)
    expect(await (await fetch.dispatchRequest(new Request('http://h/'))).text()).toBe('second')
  })

  it('returns the server object from serve(), and the handler gets it as its second argument', async () => {
    const { fetch, calls } = await app(`
      const s = serve({ fetch(request, server) { report(server === s); return new Response('') } })
    `)
    await fetch.dispatchRequest(new Request('http://h/'))
    expect(calls).toEqual([true])
  })

  it('is the same object on every access of runtime.fetch', async () => {
    const rt = await createRuntime()
    expect(rt.fetch).toBe(rt.fetch)
  })
})

describe('handler errors', () => {
  it('rejects with the thrown error’s name, message and a stack naming the user’s file', async () => {
    const { fetch } = await app(
      `class TeapotError extends Error { name = 'TeapotError' }
serve({
  async fetch(request) {
    await null
    throw new TeapotError('short and stout')
  },
})`,
      'handlers/teapot.js',
    )
    const e = await errorOf(() => fetch.dispatchRequest(new Request('http://h/')))
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('TeapotError')
    expect(e.message).toBe('short and stout')
    // CHECK is one line above the code: the throw is on line 6.
    expect(e.stack).toContain('handlers/teapot.js:6:')
    expect(e.stack).toContain('TeapotError: short and stout')
  })

  it('rejects with a TypeError when the handler returns anything but a Response', async () => {
    const { fetch } = await app(`
      serve({
        async fetch(request) {
          const what = new URL(request.url).pathname.slice(1)
          if (what === 'undefined') return undefined
          if (what === 'string') return 'hello'
          if (what === 'object') return { status: 200 }
          if (what === 'null') return null
          return new Map()
        },
      })
    `)
    const got: Record<string, string> = {}
    for (const what of ['undefined', 'string', 'object', 'null', 'map']) {
      const e = await errorOf(() => fetch.dispatchRequest(new Request(`http://h/${what}`)))
      expect(e.name).toBe('TypeError')
      expect(e.message).toMatch(/^fetch handler did not return a Response object \(got .+\)$/)
      got[what] = e.message
    }
    expect(got.undefined).toContain('(got undefined)')
    expect(got.string).toContain('(got string)')
    expect(got.null).toContain('(got null)')
    expect(got.map).toContain('Map')
  })

  it('rejects when serve() was called without a fetch handler', async () => {
    const { fetch } = await app(`serve({ websocket: { message() {} } })`)
    expect(await fetch.hasServeHandler()).toBe(true)
    const e = await errorOf(() => fetch.dispatchRequest(new Request('http://h/')))
    expect(e.name).toBe('TypeError')
    expect(e.message).toMatch(/without a fetch handler/)
  })

  it('serve() throws a TypeError for bad options', async () => {
    const { calls } = await app(`
      for (const bad of [undefined, null, 1, 'x']) { try { serve(bad) } catch (e) { report([e.name, e.message]) } }
      try { serve({ fetch: 1 }) } catch (e) { report([e.name, e.message]) }
      try { serve({ fetch() {}, websocket: 1 }) } catch (e) { report([e.name, e.message]) }
    `)
    expect(calls).toHaveLength(6)
    for (const [name, message] of calls) {
      expect(name).toBe('TypeError')
      expect(message).toMatch(/^serve\(options\): /)
    }
  })

  it('an error after the response head errors the host’s body stream', async () => {
    const { fetch } = await app(`
      serve({
        fetch() {
          let n = 0
          return new Response(new ReadableStream({
            pull(c) { if (n++ === 0) c.enqueue(new TextEncoder().encode('ok')); else c.error(new RangeError('stream broke')) },
          }))
        },
      })
    `)
    const res = await fetch.dispatchRequest(new Request('http://h/'))
    const reader = res.body!.getReader()
    expect(dec.decode((await reader.read()).value)).toBe('ok')
    const e = await errorOf(() => reader.read())
    expect(e.name).toBe('RangeError')
    expect(e.message).toBe('stream broke')
  })

  it('a response stream chunk that is not bytes errors the host’s body with a TypeError', async () => {
    const { fetch } = await app(`
      serve({ fetch() { return new Response(new ReadableStream({ start(c) { c.enqueue('text is not bytes') } })) } })
    `)
    const res = await fetch.dispatchRequest(new Request('http://h/'))
    const e = await errorOf(() => res.text())
    expect(e.name).toBe('TypeError')
  })
})

describe('streaming', () => {
  it('reads the request body chunk by chunk inside, pulling from the host only as the handler reads', async () => {
    const { fetch, calls, open } = await app(`
      serve({
        async fetch(request) {
          const reader = request.body.getReader()
          const seen = []
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            check(value instanceof Uint8Array, 'chunks are Uint8Array')
            seen.push(new TextDecoder().decode(value))
            report(['read', seen.length])
            await gate('next' + seen.length)
          }
          return new Response(seen.join('|'))
        },
      })
    `)
    let pulls = 0
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          pulls++
          if (pulls <= 5) c.enqueue(new TextEncoder().encode(`chunk${pulls}`))
          else c.close()
        },
      },
      { highWaterMark: 0 },
    )
    const done = fetch.dispatchRequest(new Request('http://h/', { method: 'POST', body, duplex: 'half' } as any))
    await until(() => calls.length === 1, 'the first chunk to be read')
    await sleep(50)
    // The handler holds the first chunk and waits: the host stream must not be drained ahead.
    expect(pulls).toBeLessThanOrEqual(2)
    for (let i = 1; i <= 5; i++) {
      await until(() => calls.length === i, `chunk ${i}`)
      expect(pulls).toBeLessThanOrEqual(i + 1)
      open('next' + i)
    }
    const res = await within(done, 5_000, 'dispatch')
    expect(await res.text()).toBe('chunk1|chunk2|chunk3|chunk4|chunk5')
  })

  it('a request body the handler never reads is not pulled at all', async () => {
    const { fetch } = await app(`serve({ fetch() { return new Response('ignored it') } })`)
    let pulls = 0
    const body = new ReadableStream({ pull(c) { pulls++; c.enqueue(new Uint8Array(1024)) } }, { highWaterMark: 0 })
    const res = await fetch.dispatchRequest(new Request('http://h/', { method: 'POST', body, duplex: 'half' } as any))
    expect(await res.text()).toBe('ignored it')
    expect(pulls).toBe(0)
  })

  it('a request body the handler never reads is released once the answer is complete', async () => {
    const { fetch } = await app(`
      serve({
        fetch(request) {
          if (new URL(request.url).pathname === '/stream') return new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close() } }))
          return new Response('ignored it')
        },
      })
    `)
    for (const path of ['/text', '/stream']) {
      let cancelled = false
      let pulls = 0
      const body = new ReadableStream({ pull(c) { pulls++; c.enqueue(new Uint8Array(8)) }, cancel() { cancelled = true } }, { highWaterMark: 0 })
      const res = await fetch.dispatchRequest(new Request('http://h' + path, { method: 'POST', body, duplex: 'half' } as any))
      await res.arrayBuffer()
      // Otherwise the host would hold every unread request body for good.
      await until(() => cancelled, `the unread body of ${path} to be cancelled`)
      expect(pulls).toBe(0)
    }
  })

  it('a request body being read is not cut off when the response ends first', async () => {
    const { fetch, calls } = await app(`
      serve({
        fetch(request) {
          // Reads on after answering: the body must arrive whole.
          request.text().then((t) => report(t))
          return new Response('accepted')
        },
      })
    `)
    const res = await fetch.dispatchRequest(new Request('http://h/', { method: 'POST', body: 'all of it' }))
    expect(await res.text()).toBe('accepted')
    await until(() => calls.length === 1, 'the body to be read')
    expect(calls).toEqual(['all of it'])
  })

  it('cancelling the request body inside cancels the host’s stream with the reason', async () => {
    const { fetch } = await app(`
      serve({ async fetch(request) { const r = request.body.getReader(); await r.read(); await r.cancel('enough'); return new Response('done') } })
    `)
    let reason: unknown = 'not cancelled'
    const body = new ReadableStream({
      pull(c) { c.enqueue(new Uint8Array([1])) },
      cancel(r) { reason = r },
    })
    const res = await fetch.dispatchRequest(new Request('http://h/', { method: 'POST', body, duplex: 'half' } as any))
    expect(await res.text()).toBe('done')
    expect(reason).toBe('enough')
  })

  it('a large request body arrives intact', async () => {
    const { fetch } = await app(`
      serve({ async fetch(request) { const b = new Uint8Array(await request.arrayBuffer()); let sum = 0; for (const x of b) sum = (sum + x) % 65521; return Response.json({ n: b.length, sum }) } })
    `)
    const bytes = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 255)
    let sum = 0
    for (const x of bytes) sum = (sum + x) % 65521
    const res = await fetch.dispatchRequest(new Request('http://h/', { method: 'POST', body: bytes }))
    expect(await res.json()).toEqual({ n: bytes.length, sum })
  })

  it('an SSE response’s first event reaches the host before the handler’s stream finishes', async () => {
    const { fetch, calls, open } = await app(`
      serve({
        fetch() {
          const enc = new TextEncoder()
          return new Response(new ReadableStream({
            async start(c) {
              c.enqueue(enc.encode('data: one\\n\\n'))
              await gate('second')
              c.enqueue(enc.encode('data: two\\n\\n'))
              c.close()
              report('closed')
            },
          }), { headers: { 'content-type': 'text/event-stream' } })
        },
      })
    `)
    const res = await fetch.dispatchRequest(new Request('http://h/events'))
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const first = await within(reader.read(), 5_000, 'the first event')
    expect(dec.decode(first.value)).toBe('data: one\n\n')
    expect(calls).toEqual([]) // the stream inside is still open
    open('second')
    expect(dec.decode((await reader.read()).value)).toBe('data: two\n\n')
    expect((await reader.read()).done).toBe(true)
    expect(calls).toEqual(['closed'])
  })

  it('pulls the response stream only as fast as the host reads', async () => {
    const { fetch, calls } = await app(`
      serve({
        fetch() {
          let n = 0
          return new Response(new ReadableStream({
            pull(c) { n++; report(n); c.enqueue(new Uint8Array([n])); if (n === 100) c.close() },
          }, { highWaterMark: 0 }))
        },
      })
    `)
    const res = await fetch.dispatchRequest(new Request('http://h/'))
    const reader = res.body!.getReader()
    await reader.read()
    await reader.read()
    await sleep(50)
    // Nothing reads ahead by more than a chunk or two: not all 100.
    expect(calls.length).toBeLessThanOrEqual(4)
    await reader.cancel()
  })

  it('cancelling the host’s reader runs the isolate stream’s cancel callback with the reason', async () => {
    const { fetch, calls } = await app(`
      serve({
        fetch() {
          return new Response(new ReadableStream({
            pull(c) { c.enqueue(new TextEncoder().encode('tick')) },
            cancel(reason) { report(['cancelled', reason]) },
          }))
        },
      })
    `)
    const res = await fetch.dispatchRequest(new Request('http://h/'))
    const reader = res.body!.getReader()
    expect(dec.decode((await reader.read()).value)).toBe('tick')
    await reader.cancel('client went away')
    await until(() => calls.length > 0, 'the cancel callback')
    expect(calls).toEqual([['cancelled', 'client went away']])
  })

  it('a streamed response keeps request.signal alive until the body ends', async () => {
    const { fetch, calls } = await app(`
      serve({
        fetch(request) {
          return new Response(new ReadableStream({
            start(c) { c.enqueue(new Uint8Array([1])); request.signal.addEventListener('abort', () => { report(request.signal.reason.name); c.close() }) },
          }))
        },
      })
    `)
    const ac = new AbortController()
    const res = await fetch.dispatchRequest(new Request('http://h/'), { signal: ac.signal })
    const reader = res.body!.getReader()
    await reader.read()
    ac.abort()
    await until(() => calls.length > 0, 'abort inside')
    expect(calls).toEqual(['AbortError'])
    expect((await reader.read()).done).toBe(true)
  })
})

describe('abort', () => {
  const ABORTABLE = `
    serve({
      async fetch(request) {
        report(['started', request.signal.aborted])
        if (!request.signal.aborted) await new Promise((resolve) => request.signal.addEventListener('abort', resolve))
        const r = request.signal.reason
        report(['aborted', r instanceof DOMException, r.name, request.signal.aborted])
        return new Response('saw the abort')
      },
    })
  `

  it('aborting the host signal option aborts request.signal inside with an AbortError', async () => {
    const { fetch, calls } = await app(ABORTABLE)
    const ac = new AbortController()
    const done = fetch.dispatchRequest(new Request('http://h/'), { signal: ac.signal })
    await until(() => calls.length === 1, 'the handler to start')
    ac.abort()
    await within(done, 5_000, 'dispatch')
    expect(calls).toEqual([['started', false], ['aborted', true, 'AbortError', true]])
  })

  it('aborting the Request’s own signal aborts request.signal inside', async () => {
    const { fetch, calls } = await app(ABORTABLE)
    const ac = new AbortController()
    const done = fetch.dispatchRequest(new Request('http://h/', { signal: ac.signal }))
    await until(() => calls.length === 1, 'the handler to start')
    ac.abort(new Error('user left'))
    await within(done, 5_000, 'dispatch')
    expect(calls[1]).toEqual(['aborted', true, 'AbortError', true])
  })

  it('a signal aborted before dispatch gives an already aborted request.signal', async () => {
    for (const where of ['option', 'request']) {
      const { fetch, calls } = await app(ABORTABLE)
      const signal = AbortSignal.abort()
      const request = where === 'request' ? new Request('http://h/', { signal }) : new Request('http://h/')
      const res = await fetch.dispatchRequest(request, where === 'option' ? { signal } : undefined)
      expect(await res.text()).toBe('saw the abort')
      expect(calls).toEqual([['started', true], ['aborted', true, 'AbortError', true]])
    }
  })

  it('an abort after the response has completed changes nothing', async () => {
    const { fetch } = await app(`serve({ fetch: () => new Response('fine') })`)
    const ac = new AbortController()
    const res = await fetch.dispatchRequest(new Request('http://h/'), { signal: ac.signal })
    ac.abort()
    expect(await res.text()).toBe('fine')
    expect(await (await fetch.dispatchRequest(new Request('http://h/'))).text()).toBe('fine')
  })
})

describe('concurrency', () => {
  it('runs 50 dispatches at once, interleaving while handlers await', async () => {
    const { fetch } = await app(`
      let arrived = 0
      let release
      const all = new Promise((r) => (release = r))
      serve({
        async fetch(request) {
          const n = Number(new URL(request.url).searchParams.get('n'))
          // Every handler waits until all 50 have started: serialized dispatch would hang here.
          if (++arrived === 50) release()
          await all
          await new Promise((r) => setTimeout(r, (n * 7) % 11))
          return new Response(String(n * 2), { headers: { 'x-n': String(n) } })
        },
      })
    `)
    const results = await within(
      Promise.all(
        Array.from({ length: 50 }, async (_, n) => {
          const res = await fetch.dispatchRequest(new Request(`http://h/?n=${n}`))
          return [res.headers.get('x-n'), await res.text()]
        }),
      ),
      10_000,
      '50 concurrent dispatches',
    )
    expect(results).toEqual(Array.from({ length: 50 }, (_, n) => [String(n), String(n * 2)]))
  })

  it('streams several responses at once, each to its own reader', async () => {
    const { fetch } = await app(`
      serve({
        fetch(request) {
          const id = new URL(request.url).pathname.slice(1)
          let i = 0
          return new Response(new ReadableStream({
            async pull(c) { await new Promise((r) => setTimeout(r, 1)); if (i === 5) c.close(); else c.enqueue(new TextEncoder().encode(id + i++)) },
          }))
        },
      })
    `)
    const texts = await Promise.all(['a', 'b', 'c', 'd'].map(async (id) => (await fetch.dispatchRequest(new Request(`http://h/${id}`))).text()))
    expect(texts).toEqual(['a0a1a2a3a4', 'b0b1b2b3b4', 'c0c1c2c3c4', 'd0d1d2d3d4'])
  })
})

describe('lifecycle', () => {
  it('dispose() rejects every dispatch in flight with "Runtime has been disposed"', async () => {
    const { rt, fetch, calls } = await app(`serve({ async fetch() { report('in'); await new Promise(() => {}) } })`)
    const pending = Array.from({ length: 5 }, () => fetch.dispatchRequest(new Request('http://h/')).then(() => 'resolved', (e) => e.message))
    await until(() => calls.length === 5, 'all handlers to start')
    await rt.dispose()
    expect(await within(Promise.all(pending), 5_000, 'the dispatches')).toEqual(Array(5).fill('Runtime has been disposed'))
  })

  it('dispose() errors a response body being streamed', async () => {
    const { rt, fetch } = await app(`
      serve({ fetch() { return new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])) } })) } })
    `)
    const res = await fetch.dispatchRequest(new Request('http://h/'))
    const reader = res.body!.getReader()
    await reader.read()
    const next = reader.read().then(() => 'resolved', (e) => e.message)
    await rt.dispose()
    expect(await within(next, 5_000, 'the read')).toBe('Runtime has been disposed')
  })

  it('every promise-returning method rejects with "Runtime has been disposed" after dispose(); the synchronous state readers throw it', async () => {
    const { rt } = await app(`serve({ fetch: () => new Response('x') })`)
    const fetch = rt.fetch
    await rt.dispose()
    // Synchronous since issue #14 (as @ricsam/isolate-runtime has them): they throw, and an
    // `await`ing caller sees the same error.
    for (const call of [() => fetch.hasServeHandler(), () => fetch.hasActiveConnections(), () => fetch.getUpgradeRequest()]) {
      expect(call).toThrow(RuntimeDisposedError)
      expect(call).toThrow('Runtime has been disposed')
    }
    const calls: Array<[string, () => unknown]> = [
      ['dispatchRequest', () => fetch.dispatchRequest(new Request('http://h/'))],
      ['dispatchWebSocketOpen', () => fetch.dispatchWebSocketOpen('c')],
      ['dispatchWebSocketMessage', () => fetch.dispatchWebSocketMessage('c', 'x')],
      ['dispatchWebSocketClose', () => fetch.dispatchWebSocketClose('c', 1000, '')],
      ['dispatchWebSocketError', () => fetch.dispatchWebSocketError('c', new Error('x'))],
    ]
    for (const [name, call] of calls) {
      const p = call()
      expect(p, name).toBeInstanceOf(Promise)
      const e = await errorOf(() => p)
      expect(e.message, name).toBe('Runtime has been disposed')
    }
    // The same object stays reachable after dispose.
    expect(rt.fetch).toBe(fetch)
  })

  it('dispatchRequest returns a promise; the state readers return plain values (issue #14)', async () => {
    const { fetch } = await app(`serve({ fetch: () => new Response('x') })`)
    const p = fetch.dispatchRequest(new Request('http://h/'))
    expect(p).toBeInstanceOf(Promise)
    await p
    expect(fetch.hasServeHandler()).toBe(true)
    expect(fetch.hasActiveConnections()).toBe(false)
    expect(fetch.getUpgradeRequest()).toBe(null)
  })

  it('a runtime used only through dispatchRequest does not keep Node alive when idle', async () => {
    // A serve()d runtime with no request in flight holds no handle: the fork exits on its own.
    const { execFileSync } = await import('node:child_process')
    const { INDEX_PATH } = await import('./helpers')
    const script = `
      const { createRuntime } = require(${JSON.stringify(INDEX_PATH)})
      ;(async () => {
        const rt = await createRuntime()
        await rt.eval("serve({ fetch: () => new Response('ok') })")
        const res = await rt.fetch.dispatchRequest(new Request('http://h/'))
        console.log(await res.text())
      })()`
    const out = execFileSync(process.execPath, ['-e', script], { timeout: 10_000 }).toString()
    expect(out.trim()).toBe('ok')
  })
})

describe('bad arguments', () => {
  it('dispatchRequest rejects a non-Request with a TypeError', async () => {
    const { fetch } = await app(`serve({ fetch: () => new Response('x') })`)
    for (const bad of [undefined, 'http://h/', { url: 'http://h/' }, new URL('http://h/')]) {
      const e = await errorOf(() => fetch.dispatchRequest(bad as any))
      expect(e.name).toBe('TypeError')
      expect(e.message).toBe('dispatchRequest(request): request must be a Request')
    }
  })

  it('dispatchRequest rejects a signal option that is not an AbortSignal, and leaves the body unread', async () => {
    const { fetch } = await app(`serve({ fetch: () => new Response('x') })`)
    const request = new Request('http://h/', { method: 'POST', body: 'still here' })
    const e = await errorOf(() => fetch.dispatchRequest(request, { signal: {} as any }))
    expect(e.name).toBe('TypeError')
    expect(e.message).toMatch(/signal must be an AbortSignal/)
    expect(await request.text()).toBe('still here')
  })

  it('dispatchRequest rejects a Request whose body was already used', async () => {
    const { fetch } = await app(`serve({ fetch: () => new Response('x') })`)
    const request = new Request('http://h/', { method: 'POST', body: 'once' })
    await request.text()
    const e = await errorOf(() => fetch.dispatchRequest(request))
    expect(e.name).toBe('TypeError')
  })
})
