// Drop-in behaviours of @ricsam/isolate-runtime's fetch handle (issue #14): onWebSocketCommand as
// a createRuntime option, synchronous state readers, upgrades of dispatched requests without an
// Upgrade header, Response-like objects from onFetch.
import { describe, expect, it } from 'vitest'
import { errorOf, reporter, useRuntimes, within } from './helpers'

const createRuntime = useRuntimes()

describe('onWebSocketCommand option', () => {
  it('receives the commands of ws.send/ws.close without calling runtime.fetch.onWebSocketCommand', async () => {
    const commands: any[] = []
    const rt = await createRuntime({ onWebSocketCommand: (cmd) => void commands.push(cmd) })
    await rt.eval(`serve({
      fetch(request, server) { server.upgrade(request, { data: 7 }); return new Response(null, { status: 101 }) },
      websocket: { open(ws) { ws.send('hi ' + ws.data) }, message(ws, m) { ws.close(4000, 'bye ' + m) } },
    })`)
    await rt.fetch.dispatchRequest(new Request('http://h/ws', { headers: { Upgrade: 'websocket' } }))
    const { connectionId } = rt.fetch.getUpgradeRequest()!
    await rt.fetch.dispatchWebSocketOpen(connectionId)
    await rt.fetch.dispatchWebSocketMessage(connectionId, 'x')
    expect(commands).toEqual([
      { type: 'message', connectionId, data: 'hi 7' },
      { type: 'close', connectionId, code: 4000, reason: 'bye x' },
    ])
  })

  it('is registered before the first eval: a command sent while that eval still runs reaches it', async () => {
    const commands: string[] = []
    let rt!: Awaited<ReturnType<typeof createRuntime>>
    // The host opens the socket while the eval awaits it; the open handler sends at once.
    const openFromHost = async () => {
      await rt.fetch.dispatchRequest(new Request('http://h/'))
      await rt.fetch.dispatchWebSocketOpen(rt.fetch.getUpgradeRequest()!.connectionId)
      return commands.slice()
    }
    rt = await createRuntime({
      onWebSocketCommand: (cmd: any) => void commands.push(cmd.data),
      customFunctions: { openFromHost: { type: 'async', fn: openFromHost } },
    })
    await rt.eval(`serve({
      fetch(request, server) { server.upgrade(request); return new Response(null, { status: 101 }) },
      websocket: { open(ws) { ws.send('first') } },
    })
    const seen = await openFromHost()
    if (seen.length !== 1 || seen[0] !== 'first') throw new Error('the host saw ' + JSON.stringify(seen))`)
    expect(commands).toEqual(['first'])
  })

  it('works alongside listeners added later, each getting every command', async () => {
    const a: string[] = []
    const b: string[] = []
    const rt = await createRuntime({ onWebSocketCommand: (cmd) => void a.push(cmd.type) })
    rt.fetch.onWebSocketCommand((cmd) => void b.push(cmd.type))
    await rt.eval(`serve({ fetch(r, s) { s.upgrade(r); return new Response(null, { status: 101 }) }, websocket: { open(ws) { ws.send('x') } } })`)
    await rt.fetch.dispatchRequest(new Request('http://h/'))
    await rt.fetch.dispatchWebSocketOpen(rt.fetch.getUpgradeRequest()!.connectionId)
    expect(a).toEqual(['message'])
    expect(b).toEqual(['message'])
  })

  it('must be a function', async () => {
    const e = await errorOf(() => createRuntime({ onWebSocketCommand: 5 as any }))
    expect(e).toBeInstanceOf(TypeError)
    expect(e.message).toBe('createRuntime(options): onWebSocketCommand must be a function (got number)')
  })
})

describe('synchronous fetch state', () => {
  it('hasServeHandler(), hasActiveConnections(), getUpgradeRequest() are plain values, false/null right after createRuntime', async () => {
    const rt = await createRuntime()
    expect(rt.fetch.hasServeHandler()).toBe(false)
    expect(rt.fetch.hasActiveConnections()).toBe(false)
    expect(rt.fetch.getUpgradeRequest()).toBe(null)
  })

  it('are current the moment the eval or dispatch that changed them settles', async () => {
    const rt = await createRuntime()
    await rt.eval(`serve({ fetch(r, s) { s.upgrade(r, { data: 1 }); return new Response(null, { status: 101 }) }, websocket: {} })`)
    expect(rt.fetch.hasServeHandler()).toBe(true)
    await rt.fetch.dispatchRequest(new Request('http://h/'))
    const up = rt.fetch.getUpgradeRequest()
    expect(up).toEqual({ requested: true, connectionId: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    expect(rt.fetch.hasActiveConnections()).toBe(false)
    await rt.fetch.dispatchWebSocketOpen(up!.connectionId)
    expect(rt.fetch.hasActiveConnections()).toBe(true)
    expect(rt.fetch.getUpgradeRequest()).toBe(null)
    await rt.fetch.dispatchWebSocketClose(up!.connectionId, 1000, '')
    expect(rt.fetch.hasActiveConnections()).toBe(false)
  })

  it('code written for the daemon client, which awaits them, keeps working', async () => {
    const rt = await createRuntime()
    await rt.eval(`serve({ fetch: () => new Response('ok') })`)
    expect(await rt.fetch.hasServeHandler()).toBe(true)
    expect(await rt.fetch.getUpgradeRequest()).toBe(null)
  })
})

describe('server.upgrade() of dispatched requests', () => {
  it('succeeds without an Upgrade header (the host owns the socket), with the data passed to open', async () => {
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({ customFunctions })
    await rt.eval(`serve({
      fetch(request, server) { report(server.upgrade(request, { data: { user: 'ada' } })); return new Response(null, { status: 101 }) },
      websocket: { open(ws) { report(ws.data.user) } },
    })`)
    const res = await rt.fetch.dispatchRequest(new Request('http://h/ws'))
    expect(res.status).toBe(101)
    const up = rt.fetch.getUpgradeRequest()
    expect(up?.requested).toBe(true)
    await rt.fetch.dispatchWebSocketOpen(up!.connectionId)
    expect(calls).toEqual([true, 'ada'])
  })

  it('a Request made inside the isolate (not dispatched) still needs Upgrade: websocket, as in Bun', async () => {
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({ customFunctions })
    await rt.eval(`serve({ fetch(request, server) {
      report(server.upgrade(new Request('http://h/')))
      report(server.upgrade(new Request('http://h/', { headers: { upgrade: 'websocket' } })))
      return new Response('')
    } })`)
    await rt.fetch.dispatchRequest(new Request('http://h/'))
    expect(calls).toEqual([false, true])
  })
})

describe('onFetch returning a Response-like object', () => {
  it('{ status, statusText, headers, body: ReadableStream } streams in as a Response', async () => {
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({
      customFunctions,
      onFetch: () => ({
        status: 201,
        statusText: 'Made',
        headers: { 'content-type': 'text/plain', 'x-a': '1' },
        body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('he')); c.enqueue(new TextEncoder().encode('llo')); c.close() } }),
      }),
    })
    await rt.eval(`const r = await fetch('https://example.com/')
      report([r.status, r.statusText, r.headers.get('content-type'), r.headers.get('x-a'), await r.text(), r.url])`)
    expect(calls).toEqual([[201, 'Made', 'text/plain', '1', 'hello', 'https://example.com/']])
  })

  it('accepts string and bytes bodies, and headers as pairs or a Headers', async () => {
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({
      customFunctions,
      onFetch: (url) => (url.endsWith('/s') ? { status: 200, headers: [['x-k', 'v']], body: 'text' } : { status: 200, headers: new Headers({ 'x-k': 'w' }), body: new Uint8Array([104, 105]) }),
    })
    await rt.eval(`for (const p of ['/s', '/b']) { const r = await fetch('https://example.com' + p); report([r.headers.get('x-k'), await r.text()]) }`)
    expect(calls).toEqual([['v', 'text'], ['w', 'hi']])
  })

  it('a 204 or 304 with a body does not hang: the body is ignored and cancelled', async () => {
    const { calls, customFunctions } = reporter()
    let cancelled = 0
    const rt = await createRuntime({
      customFunctions,
      executionTimeout: 5000,
      onFetch: (url) => ({
        status: url.endsWith('/304') ? 304 : 204,
        body: url.endsWith('/s') ? 'ignored' : new ReadableStream({ pull() { /* never produces */ }, cancel() { cancelled++ } }),
      }),
    })
    await within(
      rt.eval(`for (const p of ['/204', '/304', '/204/s']) { const r = await fetch('https://example.com' + p); report([r.status, r.body, await r.text()]) }`),
      3000,
      'fetch of a 204/304 with a body',
    )
    expect(calls).toEqual([[204, null, ''], [304, null, ''], [204, null, '']])
    expect(cancelled).toBe(2)
  })

  it('anything else is a TypeError inside that says what to return', async () => {
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({ customFunctions, onFetch: (url) => (url.endsWith('/a') ? ({ status: 42 } as any) : ('nope' as any)) })
    await rt.eval(`for (const p of ['/a', '/b']) { try { await fetch('https://example.com' + p) } catch (e) { report([e.name, e.message, String(e.cause?.message)]) } }`)
    for (const c of calls as any[]) {
      expect(c[0]).toBe('TypeError')
      expect(c[2]).toContain('onFetch must return a Response, or an object such as { status: 200, headers, body }')
    }
    expect(calls).toHaveLength(2)
  })
})

describe('onFetch init.rawBody', () => {
  it('is the body bytes (null without a body), as the family gives it; spreading init leaves it out', async () => {
    const seen: any[] = []
    const rt = await createRuntime({
      onFetch: (url, init) => {
        seen.push([init.method, init.rawBody === null ? null : Array.from(init.rawBody), init.rawBody === init.body, 'rawBody' in { ...init }])
        return new Response('ok')
      },
    })
    await rt.eval(`await fetch('https://example.com/a'); await fetch('https://example.com/b', { method: 'POST', body: 'hi' })`)
    expect(seen).toEqual([['GET', null, true, false], ['POST', [104, 105], true, false]])
  })

  it('throws a TypeError naming init.body when the isolate streams the body, which still arrives whole', async () => {
    const seen: any[] = []
    const rt = await createRuntime({
      onFetch: async (url, init) => {
        const e = errorOfSync(() => init.rawBody)
        seen.push([e?.name, e?.message, await new Response(init.body as ReadableStream).text()])
        return new Response('ok')
      },
    })
    await rt.eval(`await fetch('https://example.com/', { method: 'PUT', duplex: 'half',
      body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('st')); c.enqueue(new TextEncoder().encode('ream')); c.close() } }) })`)
    expect(seen).toEqual([['TypeError', 'onFetch init.rawBody: this request body is a stream; read init.body (a ReadableStream) instead', 'stream']])
  })
})

function errorOfSync(f: () => unknown): Error | undefined {
  try {
    f()
  } catch (e) {
    return e as Error
  }
  return undefined
}

describe('dispatchWebSocket* not awaited (the family returns nothing)', () => {
  it('a handler that throws, an unknown connection or a disposed runtime is no unhandled rejection; awaiting still gets the error', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown) => void unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      const rt = await createRuntime()
      await rt.eval(`serve({ fetch(r, s) { s.upgrade(r); return new Response(null, { status: 101 }) },
        websocket: { message(ws, m) { throw new Error('handler boom ' + m) }, close() { throw new Error('close boom') } } })`)
      await rt.fetch.dispatchRequest(new Request('http://h/'))
      const id = rt.fetch.getUpgradeRequest()!.connectionId
      void rt.fetch.dispatchWebSocketOpen(id)
      void rt.fetch.dispatchWebSocketMessage(id, 'x')
      void rt.fetch.dispatchWebSocketMessage('nope', 'y')
      void rt.fetch.dispatchWebSocketClose(id, 42)
      await expect(rt.fetch.dispatchWebSocketMessage(id, 'z')).rejects.toThrow('handler boom z')
      await expect(rt.fetch.dispatchWebSocketMessage('nope', 'y')).rejects.toThrow(/No open WebSocket connection 'nope'/)
      await expect(rt.fetch.dispatchWebSocketClose(id, 42)).rejects.toThrow(RangeError)
      await rt.dispose()
      void rt.fetch.dispatchWebSocketMessage(id, 'after')
      void rt.fetch.dispatchWebSocketError(id, new Error('e'))
      await expect(rt.fetch.dispatchWebSocketOpen(id)).rejects.toThrow(/Runtime has been disposed/)
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
  })
})
