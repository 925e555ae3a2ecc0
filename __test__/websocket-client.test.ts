// The isolate's WebSocket client (https://websockets.spec.whatwg.org/) under host control: the
// `webSocket` callback blocks, lets the native client connect (under `network`), or bridges to a
// host socket. Every server is a `ws` WebSocketServer on 127.0.0.1, port 0.
import { afterEach, describe, expect, it } from 'vitest'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, WebSocket as WsSocket } from 'ws'
import { CHECK, errorOf, reporter, sleep, useRuntimes, within } from './helpers'

const createRuntime = useRuntimes()
const LOOPBACK = { allowPrivateNetworks: true }

type Seen = { path: string; text?: string; bytes?: number[]; close?: number; reason?: string; protocol?: string }

/** A `ws` server: '/echo' echoes every frame as it came, '/server-close' closes with 4001 at once,
 * Of the offered subprotocols it picks the first that is 'chat' or 'superchat';
 * '/no-protocol' picks none. `seen` records what it received. */
async function startServer(options: { https?: boolean } = {}) {
  const seen: Seen[] = []
  const handshakes: { origin?: string; authorization?: string; protocols?: string }[] = []
  let httpsServer: ReturnType<typeof createHttpsServer> | undefined
  if (options.https) {
    httpsServer = createHttpsServer({ cert: readFileSync(TLS.cert), key: readFileSync(TLS.key) })
    httpsServer.listen(0, '127.0.0.1')
    await once(httpsServer, 'listening')
  }
  const wss = new WebSocketServer({
    ...(httpsServer ? { server: httpsServer } : { host: '127.0.0.1', port: 0 }),
    handleProtocols: (protocols, request) => {
      if (request.url === '/no-protocol') return false
      for (const p of protocols) if (p === 'chat' || p === 'superchat') return p
      return false
    },
  })
  if (!httpsServer) await once(wss, 'listening')
  const port = ((httpsServer ?? wss).address() as AddressInfo).port
  wss.on('connection', (socket, request) => {
    const path = request.url ?? ''
    const h = request.headers
    handshakes.push({ origin: h.origin, authorization: h.authorization, protocols: h['sec-websocket-protocol'] })
    seen.push({ path, protocol: socket.protocol })
    socket.on('message', (data: Buffer, isBinary) => {
      seen.push(isBinary ? { path, bytes: [...data] } : { path, text: data.toString() })
      if (path === '/echo') socket.send(data, { binary: isBinary })
    })
    socket.on('close', (code, reason) => seen.push({ path, close: code, reason: reason.toString() }))
    if (path === '/server-close') socket.close(4001, 'server bye')
  })
  const server = {
    port,
    seen,
    handshakes,
    url: (path: string) => `${httpsServer ? 'wss' : 'ws'}://127.0.0.1:${port}${path}`,
    close: async () => {
      for (const c of wss.clients) c.terminate()
      await new Promise<void>((r) => wss.close(() => r()))
      if (httpsServer) await new Promise<void>((r) => httpsServer!.close(() => r()))
    },
  }
  servers.push(server)
  return server
}
const servers: { close: () => Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

/** Polls until `cond()` holds (or fails after `ms`). */
async function until(cond: () => boolean, what: string, ms = 5_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

// Isolate-side: `track(ws)` resolves with every event it saw once `close` fired.
const TRACK =
  CHECK +
  `
function track(ws) {
  const events = []
  return new Promise((resolve) => {
    ws.addEventListener('open', () => events.push(['open', ws.readyState, ws.protocol, ws.extensions]))
    ws.addEventListener('message', (e) => {
      const d = e.data
      events.push(['message', typeof d === 'string' ? d : d instanceof ArrayBuffer ? ['ab', ...new Uint8Array(d)] : d instanceof Blob ? ['blob', d.size] : String(d)])
    })
    ws.addEventListener('error', (e) => events.push(['error', e.constructor.name, ws.readyState]))
    ws.addEventListener('close', (e) => {
      events.push(['close', e.code, e.reason, e.wasClean, ws.readyState, e.constructor.name])
      resolve(events)
    })
  })
}
`

/** Runs `code` (with `track`, `check`, `report`) in a fresh runtime made with `options`. */
async function run(code: string, options: Record<string, unknown> = {}) {
  const r = reporter()
  const rt = await createRuntime({ executionTimeout: 15_000, ...options, customFunctions: r.customFunctions } as any)
  await rt.eval(TRACK + code, 'ws.js')
  return { rt, calls: r.calls }
}

const blockedEvents = [
  ['error', 'Event', 3],
  ['close', 1006, 'Connection blocked', false, 3, 'CloseEvent'],
]

describe('WebSocket interface', () => {
  it('validates the URL and protocols as the constructor steps say', async () => {
    const { calls } = await run(`
      const err = (f) => { try { f(); return 'no error' } catch (e) { return e.name + (e instanceof DOMException ? ':dom' : '') } }
      report([
        err(() => new WebSocket('not a url')),
        err(() => new WebSocket('/relative')),
        err(() => new WebSocket('ftp://example.com/')),
        err(() => new WebSocket('ws://example.com/#frag')),
        err(() => new WebSocket('ws://example.com/#')),
        err(() => new WebSocket('ws://example.com/', ['a', 'a'])),
        err(() => new WebSocket('ws://example.com/', ['Chat', 'chAT'])),
        err(() => new WebSocket('ws://example.com/', ['a b'])),
        err(() => new WebSocket('ws://example.com/', '')),
        err(() => new WebSocket('ws://example.com/', ['é'])),
        err(() => new WebSocket('ws://example.com/', {})),
        err(() => new WebSocket()),
      ])
      report([new WebSocket('http://example.com/a?b').url, new WebSocket('https://example.com:443/').url, new WebSocket('WSS://Example.COM/x').url])
    `)
    expect(calls[0]).toEqual([
      'SyntaxError:dom',
      'SyntaxError:dom',
      'SyntaxError:dom',
      'SyntaxError:dom',
      'SyntaxError:dom',
      'SyntaxError:dom',
      'SyntaxError:dom',
      'SyntaxError:dom',
      'SyntaxError:dom',
      'SyntaxError:dom',
      'TypeError',
      'TypeError',
    ])
    expect(calls[1]).toEqual(['ws://example.com/a?b', 'wss://example.com/', 'wss://example.com/x'])
  })

  it('has the constants on the class and the prototype, on* attributes, binaryType and the initial state', async () => {
    const { calls } = await run(`
      const names = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']
      report(names.map((n) => [WebSocket[n], WebSocket.prototype[n]]))
      const d = Object.getOwnPropertyDescriptor(WebSocket, 'OPEN')
      report([d.writable, d.enumerable, d.configurable])
      const ws = new WebSocket('ws://example.com/', 'chat')
      check(ws instanceof EventTarget, 'an EventTarget')
      check(Object.prototype.toString.call(ws) === '[object WebSocket]', 'toStringTag')
      report([ws.readyState, ws.bufferedAmount, ws.protocol, ws.extensions, ws.binaryType, ws.onopen, ws.onmessage, ws.onerror, ws.onclose])
      ws.binaryType = 'arraybuffer'
      ws.binaryType = 'nonsense'
      report(ws.binaryType)
      ws.binaryType = 'blob'
      report(ws.binaryType)
      const f = () => {}
      ws.onopen = f
      check(ws.onopen === f, 'onopen round-trips')
      report(Object.keys(WebSocket.prototype).filter((k) => k.startsWith('on')).sort())
      // WebIDL attributes check their receiver.
      const err = (f) => { try { f(); return 'ok' } catch (e) { return e.name } }
      const setter = (k) => Object.getOwnPropertyDescriptor(WebSocket.prototype, k).set
      report([err(() => WebSocket.prototype.onopen), err(() => setter('onmessage').call({}, null)), err(() => setter('binaryType').call({}, 'blob'))])
    `)
    expect(calls[0]).toEqual([[0, 0], [1, 1], [2, 2], [3, 3]])
    expect(calls[1]).toEqual([false, true, false])
    expect(calls[2]).toEqual([0, 0, '', '', 'blob', null, null, null, null])
    expect(calls[3]).toBe('arraybuffer')
    expect(calls[4]).toBe('blob')
    expect(calls[5]).toEqual(['onclose', 'onerror', 'onmessage', 'onopen'])
    expect(calls[6]).toEqual(['TypeError', 'TypeError', 'TypeError'])
  })

  it('the handshake carries the runtime origin, Basic credentials of the URL, and the protocols as given', async () => {
    const server = await startServer()
    const url = server.url('/echo')
    await run(
      `
      const ws = new WebSocket(${JSON.stringify(url.replace('ws://', 'ws://us%20er:p%40ss@'))}, ['Chat', 'x'])
      ws.onopen = () => ws.close()
      await track(ws)
    `,
      { network: LOOPBACK, location: 'https://app.example/page' },
    )
    await run(`const ws = new WebSocket(${JSON.stringify(url)}); ws.onopen = () => ws.close(); await track(ws)`, { network: LOOPBACK })
    expect(server.handshakes).toEqual([
      { origin: 'https://app.example', authorization: 'Basic ' + Buffer.from('us er:p@ss').toString('base64'), protocols: 'Chat, x' },
      { origin: undefined, authorization: undefined, protocols: undefined },
    ])
  })

  it('send while CONNECTING throws InvalidStateError; close validates code and reason', async () => {
    const { calls } = await run(`
      const err = (f) => { try { f(); return 'ok' } catch (e) { return e.name } }
      const ws = new WebSocket('ws://example.com/')
      report([
        err(() => ws.send('x')),
        err(() => ws.close(1001)),
        err(() => ws.close(2999)),
        err(() => ws.close(5000)),
        err(() => ws.close(0)),
        err(() => ws.close(1000, 'é'.repeat(62))),
        err(() => ws.close(1000, 'x'.repeat(124))),
        ws.readyState,
        err(() => ws.close(3000, 'é'.repeat(61) + 'x')),
        ws.readyState,
        err(() => ws.close(1001)),
      ])
    `)
    expect(calls[0]).toEqual([
      'InvalidStateError',
      'InvalidAccessError',
      'InvalidAccessError',
      'InvalidAccessError',
      'InvalidAccessError',
      'SyntaxError',
      'SyntaxError',
      0,
      'ok',
      2,
      // The code is still validated once closing.
      'InvalidAccessError',
    ])
  })
})

describe('host control', () => {
  it('without a webSocket callback and without network, every connection is blocked', async () => {
    const server = await startServer()
    const { calls } = await run(`
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      report(await track(ws))
    `)
    expect(calls[0]).toEqual(blockedEvents)
    expect(server.seen).toEqual([])
  })

  it.each([
    ['false', () => false],
    ['null', () => null],
    ['undefined', () => undefined],
    ['a throw', () => { throw new Error('no') }],
    ['a rejection', async () => { throw new Error('no') }],
    ['a string', () => 'yes'],
    ['Promise<false>', async () => false],
  ])('a callback answering %s blocks: error, then close 1006 "Connection blocked"', async (_, verdict) => {
    const server = await startServer()
    const { calls } = await run(
      `report(await track(new WebSocket(${JSON.stringify(server.url('/echo'))})))`,
      { webSocket: verdict, network: LOOPBACK },
    )
    expect(calls[0]).toEqual(blockedEvents)
    expect(server.seen).toEqual([])
  })

  it('the callback gets the URL (http mapped to ws) and the protocols; true lets the native client connect', async () => {
    const server = await startServer()
    const asked: unknown[] = []
    const { calls } = await run(
      `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo').replace('ws:', 'http:'))}, ['chat', 'x'])
      const done = track(ws)
      ws.onopen = () => { ws.send('hi'); }
      ws.onmessage = () => ws.close(1000, 'done')
      report(await done)
    `,
      {
        webSocket: async (url: string, protocols: string[]) => {
          asked.push([url, protocols])
          await sleep(20) // a promise is awaited
          return true
        },
        network: LOOPBACK,
      },
    )
    expect(asked).toEqual([[server.url('/echo'), ['chat', 'x']]])
    expect(calls[0]).toEqual([
      ['open', 1, 'chat', ''],
      ['message', 'hi'],
      ['close', 1000, 'done', true, 3, 'CloseEvent'],
    ])
    await until(() => server.seen.some((s) => s.close !== undefined), 'the server to see the close')
    expect(server.seen).toEqual([
      { path: '/echo', protocol: 'chat' },
      { path: '/echo', text: 'hi' },
      { path: '/echo', close: 1000, reason: 'done' },
    ])
  })

  it('true without a network option uses the default policy: loopback is refused', async () => {
    const server = await startServer()
    const { calls } = await run(`report(await track(new WebSocket(${JSON.stringify(server.url('/echo'))})))`, { webSocket: () => true })
    expect(calls[0]).toEqual(blockedEvents)
    expect(server.seen).toEqual([])
  })
})

describe('native client', () => {
  it('text and binary frames both ways, with binaryType blob and arraybuffer', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      const done = track(ws)
      const got = []
      ws.addEventListener('message', async (e) => {
        got.push(e.data instanceof Blob ? ['blob', [...new Uint8Array(await e.data.arrayBuffer())], e.data.type] : e.data)
        check(e instanceof MessageEvent, 'a MessageEvent')
        check(e.origin === ${JSON.stringify(`ws://127.0.0.1:${server.port}`)}, 'origin ' + e.origin)
        if (got.length === 2) ws.binaryType = 'arraybuffer'
        if (got.length === 6) ws.close()
      })
      ws.onopen = () => {
        ws.send('héllo')
        ws.send(new Uint8Array([1, 2, 3]).buffer)
        ws.send(new Uint16Array([0x0201, 0x0403]).subarray(1))
        ws.send(new DataView(new Uint8Array([9, 8, 7]).buffer, 1))
        ws.send(new Blob(['ab', new Uint8Array([0])]))
        ws.send(new Uint8Array(0))
      }
      report(await done)
      report(got.map((g) => g instanceof ArrayBuffer ? ['ab', ...new Uint8Array(g)] : g))
    `,
      { network: LOOPBACK },
    )
    expect(calls[0][0]).toEqual(['open', 1, '', ''])
    expect(calls[0].at(-1)).toEqual(['close', 1005, '', true, 3, 'CloseEvent'])
    expect(calls[1]).toEqual(['héllo', ['blob', [1, 2, 3], ''], ['ab', 3, 4], ['ab', 8, 7], ['ab', 97, 98, 0], ['ab']])
    await until(() => server.seen.some((s) => s.close !== undefined), 'the server to see the close')
    expect(server.seen.slice(1)).toEqual([
      { path: '/echo', text: 'héllo' },
      { path: '/echo', bytes: [1, 2, 3] },
      { path: '/echo', bytes: [3, 4] },
      { path: '/echo', bytes: [8, 7] },
      { path: '/echo', bytes: [97, 98, 0] },
      { path: '/echo', bytes: [] },
      { path: '/echo', close: 1005, reason: '' },
    ])
  })

  it('a large binary message round-trips', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      ws.binaryType = 'arraybuffer'
      const big = new Uint8Array(3 << 20).map((_, i) => i * 7)
      ws.onopen = () => ws.send(big)
      const data = await new Promise((r) => { ws.onmessage = (e) => r(e.data) })
      const back = new Uint8Array(data)
      report([back.length, back.every((b, i) => b === big[i])])
      ws.close(1000)
    `,
      { network: LOOPBACK, memoryLimitMB: 128 },
    )
    expect(calls[0]).toEqual([3 << 20, true])
  })

  it('close codes and reasons reach the server; the server’s answer is the close event', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      const done = track(ws)
      ws.onopen = () => { ws.close(4321, 'ünïcode reason'); report(ws.readyState); ws.close(1000); report(ws.readyState) }
      report(await done)
    `,
      { network: LOOPBACK },
    )
    expect(calls[0]).toBe(2)
    expect(calls[1]).toBe(2)
    expect(calls[2]).toEqual([
      ['open', 1, '', ''],
      ['close', 4321, 'ünïcode reason', true, 3, 'CloseEvent'],
    ])
    await until(() => server.seen.some((s) => s.close !== undefined), 'the server to see the close')
    expect(server.seen.at(-1)).toEqual({ path: '/echo', close: 4321, reason: 'ünïcode reason' })
  })

  it('a server-initiated close gives its code and reason, cleanly', async () => {
    const server = await startServer()
    const { calls } = await run(`report(await track(new WebSocket(${JSON.stringify(server.url('/server-close'))})))`, { network: LOOPBACK })
    expect(calls[0]).toEqual([
      ['open', 1, '', ''],
      ['close', 4001, 'server bye', true, 3, 'CloseEvent'],
    ])
  })

  it('close() while connecting fails the connection: error, then close 1006', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      const done = track(ws)
      ws.close()
      report(ws.readyState)
      report(await done)
    `,
      { network: LOOPBACK },
    )
    expect(calls[0]).toBe(2)
    expect(calls[1]).toEqual([
      ['error', 'Event', 3],
      ['close', 1006, '', false, 3, 'CloseEvent'],
    ])
  })

  it('a connection error (nothing listening) is an error, then close 1006 without a reason', async () => {
    const server = await startServer()
    const port = server.port
    await server.close()
    const { calls } = await run(`report(await track(new WebSocket('ws://127.0.0.1:${port}/')))`, { network: LOOPBACK })
    expect(calls[0]).toEqual([
      ['error', 'Event', 3],
      ['close', 1006, '', false, 3, 'CloseEvent'],
    ])
  })

  it('network.timeout bounds a handshake that never gets an answer', async () => {
    const net = await import('node:net')
    const sockets: import('node:net').Socket[] = []
    const mute = net.createServer((s) => sockets.push(s)) // accepts, never answers
    mute.listen(0, '127.0.0.1')
    await once(mute, 'listening')
    try {
      const port = (mute.address() as AddressInfo).port
      const started = Date.now()
      const { calls } = await run(`report(await track(new WebSocket('ws://127.0.0.1:${port}/')))`, { network: { ...LOOPBACK, timeout: 200 } })
      expect(calls[0]).toEqual([
        ['error', 'Event', 3],
        ['close', 1006, '', false, 3, 'CloseEvent'],
      ])
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      for (const s of sockets) s.destroy()
      mute.close()
    }
  })

  it('a server that is not a WebSocket server fails the connection', async () => {
    const http = await import('node:http')
    const plain = http.createServer((_, res) => res.end('not a websocket'))
    plain.listen(0, '127.0.0.1')
    await once(plain, 'listening')
    try {
      const port = (plain.address() as AddressInfo).port
      const { calls } = await run(`report(await track(new WebSocket('ws://127.0.0.1:${port}/')))`, { network: LOOPBACK })
      expect(calls[0]).toEqual([
        ['error', 'Event', 3],
        ['close', 1006, '', false, 3, 'CloseEvent'],
      ])
    } finally {
      plain.close()
    }
  })

  it('the network policy: a private address is refused without allowPrivateNetworks, and by allowedHosts', async () => {
    const server = await startServer()
    const code = `report(await track(new WebSocket(${JSON.stringify(server.url('/echo'))})))`
    expect((await run(code, { network: {} })).calls[0]).toEqual(blockedEvents)
    expect((await run(code, { network: { allowPrivateNetworks: true, allowedHosts: ['https://example.com'] } })).calls[0]).toEqual(blockedEvents)
    expect(server.seen).toEqual([])
    const allowed = await run(`const ws = new WebSocket(${JSON.stringify(server.url('/server-close'))}); report((await track(ws))[0])`, { network: LOOPBACK })
    expect(allowed.calls[0]).toEqual(['open', 1, '', ''])
  })

  it('bufferedAmount counts bytes queued and not yet written; after close, sends only count', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      await new Promise((r) => (ws.onopen = r))
      ws.send('héllo') // 6 bytes of UTF-8
      ws.send(new Uint8Array(10))
      report(ws.bufferedAmount)
      // Each write is reported back as a task of its own: poll, bounded.
      for (let i = 0; i < 200 && ws.bufferedAmount > 0; i++) await new Promise((r) => setTimeout(r, 10))
      report(ws.bufferedAmount)
      const done = track(ws)
      ws.close()
      ws.send('abc')
      ws.send(new Blob(['12345']))
      report(ws.bufferedAmount)
      await done
      report([ws.readyState, ws.bufferedAmount])
    `,
      { network: LOOPBACK },
    )
    expect(calls).toEqual([16, 0, 8, [3, 8]])
  })

  it('protocol negotiation: the server’s choice is ws.protocol; no choice fails the connection', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const a = new WebSocket(${JSON.stringify(server.url('/server-close'))}, ['superchat', 'chat'])
      report((await track(a))[0])
      report(await track(new WebSocket(${JSON.stringify(server.url('/no-protocol'))}, 'chat')))
    `,
      { network: LOOPBACK },
    )
    expect(calls[0]).toEqual(['open', 1, 'superchat', ''])
    expect(calls[1]).toEqual([
      ['error', 'Event', 3],
      ['close', 1006, '', false, 3, 'CloseEvent'],
    ])
  })

  it('a flooding peer is read only as fast as the isolate handles its messages', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(wss, 'listening')
    servers.push({ close: () => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()) }) })
    let peer: WsSocket | undefined
    wss.on('connection', (s) => {
      peer = s
      for (let i = 0; i < 48; i++) s.send(new Uint8Array(1 << 20).fill(i))
    })
    const r = reporter()
    const rt = await createRuntime({
      network: LOOPBACK,
      memoryLimitMB: 256,
      customFunctions: { ...r.customFunctions, peerBuffered: { type: 'sync', fn: () => peer?.bufferedAmount ?? -1 } },
    } as any)
    await rt.eval(`
      const ws = new WebSocket('ws://127.0.0.1:${(wss.address() as AddressInfo).port}/')
      ws.binaryType = 'arraybuffer'
      let count = 0, ordered = true
      ws.onmessage = (e) => { ordered &&= e.data.byteLength === 1 << 20 && new Uint8Array(e.data)[0] === count; count++ }
      await new Promise((r) => (ws.onopen = r))
      // Busy, without handling messages: the peer's unsent data piles up on its side.
      const end = Date.now() + 5000
      let piled = 0
      while (Date.now() < end && (piled = peerBuffered()) < 16 << 20) {}
      report(piled >= 16 << 20)
      for (let i = 0; i < 500 && count < 48; i++) await new Promise((r) => setTimeout(r, 10))
      report([count, ordered])
      ws.close()
    `)
    expect(r.calls).toEqual([true, [48, true]])
  })

  it('dispose closes the runtime’s connections', async () => {
    const server = await startServer()
    const rt = await createRuntime({ network: LOOPBACK })
    await rt.eval(`
      globalThis.ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      await new Promise((r) => (ws.onopen = r))
    `)
    await until(() => server.seen.length === 1, 'the connection')
    await rt.dispose()
    await until(() => server.seen.some((s) => s.close !== undefined), 'the server to see the close')
    expect(server.seen.at(-1)).toEqual({ path: '/echo', close: 1001, reason: '' })
  })

  it('listener errors are reported, and the socket keeps working', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      let errors = 0
      globalThis.addEventListener('error', (e) => { errors++; e.preventDefault() })
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      ws.onopen = () => { ws.send('a'); throw new Error('boom') }
      const done = track(ws)
      ws.onmessage = () => ws.close()
      await done
      report(errors)
    `,
      { network: LOOPBACK },
    )
    expect(calls[0]).toBe(1)
  })
})

// A CA and a server certificate for 127.0.0.1 and localhost, made by __test__/fixtures/tls/make.sh.
const TLS = {
  ca: new URL('./fixtures/tls/ca.pem', import.meta.url),
  cert: new URL('./fixtures/tls/server.pem', import.meta.url),
  key: new URL('./fixtures/tls/server-key.pem', import.meta.url),
}

describe('wss', () => {
  it('connects with the CA trusted through network.caCertificates, and fails without it', async () => {
    const server = await startServer({ https: true })
    const code = `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      const done = track(ws)
      ws.onopen = () => ws.send('over tls')
      ws.onmessage = () => ws.close(1000)
      report(await done)
    `
    const trusted = await run(code, { network: { ...LOOPBACK, caCertificates: [readFileSync(TLS.ca, 'utf8')] } })
    expect(trusted.calls[0]).toEqual([
      ['open', 1, '', ''],
      ['message', 'over tls'],
      ['close', 1000, '', true, 3, 'CloseEvent'],
    ])
    const untrusted = await run(code, { network: LOOPBACK })
    expect(untrusted.calls[0]).toEqual([
      ['error', 'Event', 3],
      ['close', 1006, '', false, 3, 'CloseEvent'],
    ])
  })
})

describe('host socket bridge', () => {
  const bridgeCode = (url: string) => `
      const ws = new WebSocket(${JSON.stringify(url)}, ['chat'])
      const done = track(ws)
      ws.binaryType = 'arraybuffer'
      ws.onopen = () => { ws.send('text'); ws.send(new Uint8Array([5, 6])) }
      let n = 0
      ws.onmessage = () => { if (++n === 2) ws.close(3003, 'bridged bye') }
      report(await done)
  `

  it('a ws package socket returned by the callback carries frames, closes and codes both ways', async () => {
    const server = await startServer()
    const hostSockets: WsSocket[] = []
    const { calls } = await run(bridgeCode(server.url('/echo')), {
      // No network option: the bridge does not need one.
      webSocket: (url: string, protocols: string[]) => {
        const s = new WsSocket(url, protocols)
        hostSockets.push(s)
        return s
      },
    })
    expect(calls[0]).toEqual([
      ['open', 1, 'chat', ''],
      ['message', 'text'],
      ['message', ['ab', 5, 6]],
      ['close', 3003, 'bridged bye', true, 3, 'CloseEvent'],
    ])
    await until(() => server.seen.some((s) => s.close !== undefined), 'the server to see the close')
    expect(server.seen).toEqual([
      { path: '/echo', protocol: 'chat' },
      { path: '/echo', text: 'text' },
      { path: '/echo', bytes: [5, 6] },
      { path: '/echo', close: 3003, reason: 'bridged bye' },
    ])
    expect(hostSockets[0].readyState).toBe(WsSocket.CLOSED)
  })

  it('an already open host socket (an async callback that awaited it) and a server-initiated close', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      const done = track(ws)
      ws.onopen = () => ws.send('first')
      ws.onmessage = () => ws.close()
      report(await done)
      report(await track(new WebSocket(${JSON.stringify(server.url('/server-close'))})))
    `,
      {
        webSocket: async (url: string) => {
          const s = new WsSocket(url)
          await once(s, 'open')
          return s
        },
      },
    )
    expect(calls[0]).toEqual([
      ['open', 1, '', ''],
      ['message', 'first'],
      ['close', 1005, '', true, 3, 'CloseEvent'],
    ])
    expect(calls[1]).toEqual([
      ['open', 1, '', ''],
      ['close', 4001, 'server bye', true, 3, 'CloseEvent'],
    ])
  })

  it('a host socket that cannot connect gives error, then close 1006', async () => {
    const server = await startServer()
    const port = server.port
    await server.close()
    const { calls } = await run(`report(await track(new WebSocket('ws://127.0.0.1:${port}/')))`, {
      webSocket: (url: string) => new WsSocket(url),
    })
    expect(calls[0]).toEqual([
      ['error', 'Event', 3],
      ['close', 1006, '', false, 3, 'CloseEvent'],
    ])
  })

  it('close() while the host socket is still connecting fails the connection', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      const done = track(ws)
      ws.close(1000)
      report(await done)
    `,
      { webSocket: (url: string) => new WsSocket(url) },
    )
    expect(calls[0]).toEqual([
      ['error', 'Event', 3],
      ['close', 1006, '', false, 3, 'CloseEvent'],
    ])
  })

  it('a bridged host socket whose peer does not read: past 16 MiB unsent on the host the socket is full and fails (error, close 1006)', { timeout: 30_000 }, async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(wss, 'listening')
    wss.on('connection', (socket: any) => socket._socket.pause())
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`
    let host: WsSocket | undefined
    try {
      const { calls } = await run(
        `
        const ws = new WebSocket('ws://bridged.example/')
        const done = track(ws)
        await new Promise((r) => ws.addEventListener('open', r))
        const mb = new Uint8Array(1 << 20)
        for (let i = 0; i < 200 && ws.readyState === 1; i++) { ws.send(mb); await new Promise((r) => setTimeout(r, 0)) }
        report((await done).slice(1))
      `,
        { webSocket: () => (host = new WsSocket(url)) },
      )
      expect(calls[0]).toEqual([
        ['error', 'Event', 3],
        ['close', 1006, '', false, 3, 'CloseEvent'],
      ])
      // The host socket was dropped with what it held: far less than the 200 MB sent.
      expect(host!.bufferedAmount).toBeLessThanOrEqual(17 << 20)
    } finally {
      for (const c of wss.clients) c.terminate()
      await new Promise((r) => wss.close(() => r(null)))
    }
  })

  it('dispose closes bridged host sockets', async () => {
    const server = await startServer()
    const hostSockets: WsSocket[] = []
    const rt = await createRuntime({
      webSocket: (url: string) => {
        const s = new WsSocket(url)
        hostSockets.push(s)
        return s
      },
    } as any)
    await rt.eval(`
      globalThis.ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
      await new Promise((r) => (ws.onopen = r))
    `)
    await rt.dispose()
    await until(() => server.seen.some((s) => s.close !== undefined), 'the server to see the close')
    expect(server.seen.at(-1)).toEqual({ path: '/echo', close: 1001, reason: '' })
  })

  it('Node’s global WebSocket works as the host socket', async () => {
    const server = await startServer()
    const { calls } = await run(bridgeCode(server.url('/echo')), {
      webSocket: (url: string, protocols: string[]) => new (globalThis as any).WebSocket(url, protocols),
    })
    expect(calls[0]).toEqual([
      ['open', 1, 'chat', ''],
      ['message', 'text'],
      ['message', ['ab', 5, 6]],
      ['close', 3003, 'bridged bye', true, 3, 'CloseEvent'],
    ])
  })
})

describe('misuse', () => {
  it('an invalid webSocket option is a TypeError naming it', async () => {
    const e = await errorOf(() => createRuntime({ webSocket: 5 } as any))
    expect(e).toBeInstanceOf(TypeError)
    expect(e.message).toMatch(/webSocket/)
  })

  it('many sockets at once, in bounded numbers, all open and close', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const all = Array.from({ length: 20 }, (_, i) => {
        const ws = new WebSocket(${JSON.stringify(server.url('/echo'))})
        ws.onopen = () => ws.send('n' + i)
        ws.onmessage = (e) => { check(e.data === 'n' + i, 'own echo'); ws.close(1000) }
        return track(ws)
      })
      const results = await Promise.all(all)
      report(results.every((r) => r.at(-1)[1] === 1000 && r.at(-1)[3] === true))
    `,
      { network: LOOPBACK },
    )
    expect(calls[0]).toBe(true)
  })
})

void within

// https://websockets.spec.whatwg.org/#the-websocketstream-interface (tentative)
describe('WebSocketStream and WebSocketError', () => {
  it('WebSocketError validates its close code and reason', async () => {
    const { calls } = await run(`
      const err = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      const d = new WebSocketError()
      const e = new WebSocketError('m', { closeCode: 3456, reason: 'r' })
      report([d instanceof DOMException, d.name, d.code, d.message, d.closeCode, d.reason, e.message, e.closeCode, e.reason])
      report([
        new WebSocketError('', { reason: 'x' }).closeCode,
        err(() => new WebSocketError('', { closeCode: 1001 })),
        err(() => new WebSocketError('', { closeCode: 70000 })),
        err(() => new WebSocketError('', { reason: '\\u{1F50C}'.repeat(31) })),
        err(() => new WebSocketError('', 5)),
      ])
    `)
    expect(calls).toEqual([
      [true, 'WebSocketError', 0, '', null, '', 'm', 3456, 'r'],
      [1000, 'InvalidAccessError', 'TypeError', 'SyntaxError', 'TypeError'],
    ])
  })

  it('opens streams over the connection, echoes, and closes with a code and reason', async () => {
    const server = await startServer()
    const { calls } = await run(
      `
      const wss = new WebSocketStream(${JSON.stringify(server.url('/echo'))}, { protocols: ['chat'] })
      const { readable, writable, protocol, extensions } = await wss.opened
      const writer = writable.getWriter()
      const reader = readable.getReader()
      await writer.write('hi')
      await writer.write(new Uint8Array([1, 2, 3]))
      const a = await reader.read()
      const b = await reader.read()
      wss.close({ closeCode: 3001, reason: 'bye' })
      const closed = await wss.closed
      const after = await reader.read()
      report([wss.url, protocol, extensions, a.value, b.value instanceof Uint8Array, [...b.value], closed.closeCode, closed.reason, after.done])
    `,
      { network: LOOPBACK },
    )
    expect(calls).toEqual([[server.url('/echo'), 'chat', '', 'hi', true, [1, 2, 3], 3001, 'bye', true]])
    await until(() => server.seen.some((s) => s.close !== undefined), 'the server to see the close')
    expect(server.seen.filter((s) => s.close !== undefined)).toEqual([{ path: '/echo', close: 3001, reason: 'bye' }])
  })

  it('rejects both promises with a WebSocketError when the connection fails, and with the abort reason when aborted first', async () => {
    const { calls } = await run(
      `
      const outcome = (p) => p.then(() => 'resolved', (e) => [e.constructor.name, e.closeCode ?? e.name])
      const failed = new WebSocketStream('ws://127.0.0.1:1/')
      report([await outcome(failed.opened), await outcome(failed.closed)])
      const ac = new AbortController()
      ac.abort()
      const aborted = new WebSocketStream('ws://127.0.0.1:1/', { signal: ac.signal })
      report([await outcome(aborted.opened), await outcome(aborted.closed)])
      const err = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      report([err(() => new WebSocketStream()), err(() => new WebSocketStream('ftp://x/')), err(() => new WebSocketStream('ws://x/', { protocols: 'a' })), err(() => new WebSocketStream('ws://x/', true))])
    `,
      { network: LOOPBACK },
    )
    expect(calls).toEqual([
      [['WebSocketError', 1006], ['WebSocketError', 1006]],
      [['DOMException', 'AbortError'], ['DOMException', 'AbortError']],
      ['TypeError', 'SyntaxError', 'TypeError', 'TypeError'],
    ])
  })
})
