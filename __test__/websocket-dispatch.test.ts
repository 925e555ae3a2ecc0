// serve({ websocket }) inside and the host's WebSocket dispatch outside: upgrade, open, messages
// both ways (text stays text, binary stays binary), close codes, errors, several connections.
import { describe, expect, it } from 'vitest'
import { CHECK, errorOf, reporter, sleep, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

type Command = { type: 'message'; connectionId: string; data: string | ArrayBuffer } | { type: 'close'; connectionId: string; code: number; reason: string }

/** A runtime whose serve() upgrades every request with `Upgrade: websocket`, with `websocket` handlers. */
async function wsApp(websocket: string, extra = '') {
  const r = reporter()
  const rt = await createRuntime({ customFunctions: r.customFunctions })
  await rt.eval(
    CHECK +
      extra +
      `
serve({
  fetch(request, server) {
    const url = new URL(request.url)
    const data = { path: url.pathname, user: url.searchParams.get('user') }
    if (server.upgrade(request, { data, headers: { 'x-upgraded': 'yes' } })) return new Response(null, { status: 101 })
    return new Response('not a websocket request', { status: 400 })
  },
  websocket: ${websocket},
})`,
    'ws-app.js',
  )
  const commands: Command[] = []
  const unsubscribe = rt.fetch.onWebSocketCommand((c) => commands.push(c as Command))
  return { rt, fetch: rt.fetch, calls: r.calls, commands, unsubscribe }
}

/** The seed's flow: dispatch the upgrade request, read the connection id, open it. */
async function connect(fetch: any, path = '/ws?user=ada') {
  const res = await fetch.dispatchRequest(new Request(`http://localhost${path}`, { headers: { Upgrade: 'websocket' } }))
  expect(res.status).toBe(101)
  const upgrade = await fetch.getUpgradeRequest()
  expect(upgrade).toEqual({ requested: true, connectionId: expect.any(String) })
  await fetch.dispatchWebSocketOpen(upgrade.connectionId)
  return upgrade.connectionId as string
}

async function until(cond: () => boolean, what: string, ms = 5_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

const ECHO = `{
  open(ws) { report(['open', ws.data, ws.readyState]); ws.send('welcome ' + ws.data.user) },
  message(ws, message) {
    const binary = message instanceof ArrayBuffer
    report(['message', binary ? Array.from(new Uint8Array(message)) : message, binary])
    ws.send(message)
  },
  close(ws, code, reason) { report(['close', code, reason, ws.readyState]) },
  error(ws, error) { report(['error', error instanceof Error, error.name, error.message]) },
}`

describe('upgrade', () => {
  it('server.upgrade() marks the request; the host gets a 101 with no body, the upgrade headers, and the connection id', async () => {
    const { fetch, calls } = await wsApp(ECHO)
    expect(await fetch.getUpgradeRequest()).toBe(null)
    expect(await fetch.hasActiveConnections()).toBe(false)
    const res = await fetch.dispatchRequest(new Request('http://localhost/ws?user=ada', { headers: { Upgrade: 'websocket' } }))
    expect(res.status).toBe(101)
    expect(res.body).toBe(null)
    expect(res.headers.get('x-upgraded')).toBe('yes')
    const upgrade = await fetch.getUpgradeRequest()
    expect(upgrade).toEqual({ requested: true, connectionId: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    // Still pending until opened: reading it twice gives the same id.
    expect(await fetch.getUpgradeRequest()).toEqual(upgrade)
    expect(await fetch.hasActiveConnections()).toBe(false)
    await fetch.dispatchWebSocketOpen(upgrade!.connectionId)
    expect(await fetch.getUpgradeRequest()).toBe(null)
    expect(await fetch.hasActiveConnections()).toBe(true)
    expect(calls).toEqual([['open', { path: '/ws', user: 'ada' }, 1]])
  })

  it('server.upgrade() of a dispatched request returns true with Upgrade: websocket or no Upgrade header, false for another protocol', async () => {
    const r = reporter()
    const rt = await createRuntime({ customFunctions: r.customFunctions })
    await rt.eval(`serve({ fetch(request, server) { report(server.upgrade(request)); return new Response('') } })`)
    await rt.fetch.dispatchRequest(new Request('http://h/', { headers: { Upgrade: 'WebSocket' } }))
    // Was false before issue #14: the host owns a dispatched request's socket, so (as in
    // @ricsam/isolate-fetch) no header is needed.
    await rt.fetch.dispatchRequest(new Request('http://h/'))
    await rt.fetch.dispatchRequest(new Request('http://h/', { headers: { Upgrade: 'h2c' } }))
    expect(r.calls).toEqual([true, true, false])
  })

  it('server.upgrade() throws a TypeError for something that is not a Request', async () => {
    const r = reporter()
    const rt = await createRuntime({ customFunctions: r.customFunctions })
    await rt.eval(`serve({ fetch(request, server) { try { server.upgrade({ headers: new Headers({ upgrade: 'websocket' }) }) } catch (e) { report([e.name, e.message]) } return new Response('') } })`)
    await rt.fetch.dispatchRequest(new Request('http://h/'))
    expect(r.calls).toEqual([['TypeError', expect.stringMatching(/server\.upgrade\(request\)/)]])
  })

  it('a request with another Upgrade protocol to the same app is not an upgrade', async () => {
    const { fetch } = await wsApp(ECHO)
    const res = await fetch.dispatchRequest(new Request('http://localhost/ws', { headers: { Upgrade: 'h2c' } }))
    expect(res.status).toBe(400)
    expect(await res.text()).toBe('not a websocket request')
    expect(await fetch.getUpgradeRequest()).toBe(null)
  })
})

describe('messages', () => {
  it('the open handler’s send reaches the host before dispatchWebSocketOpen resolves', async () => {
    const { fetch, commands } = await wsApp(ECHO)
    const id = await connect(fetch)
    expect(commands).toEqual([{ type: 'message', connectionId: id, data: 'welcome ada' }])
  })

  it('sends from a timer, with no dispatch in flight, reach the host in order, and each message’s send arrives before its dispatch resolves', async () => {
    const { fetch, commands } = await wsApp(`{
      open(ws) { let n = 0; const t = setInterval(() => { ws.send('tick ' + ++n); if (n === 3) clearInterval(t) }, 5) },
      message(ws, m) { ws.send('echo ' + m) },
    }`)
    const id = await connect(fetch)
    await until(() => commands.length === 3, 'the three timer sends')
    expect(commands.map((c) => c.data)).toEqual(['tick 1', 'tick 2', 'tick 3'])
    for (let i = 0; i < 20; i++) {
      await fetch.dispatchWebSocketMessage(id, 'm' + i)
      expect(commands.at(-1)).toEqual({ type: 'message', connectionId: id, data: 'echo m' + i })
    }
    expect(commands.length).toBe(23)
  })

  it('text stays text and binary stays binary, both ways', async () => {
    const { fetch, calls, commands } = await wsApp(ECHO)
    const id = await connect(fetch)
    commands.length = 0
    await fetch.dispatchWebSocketMessage(id, 'héllo ✓')
    await fetch.dispatchWebSocketMessage(id, new Uint8Array([1, 2, 3]).buffer)
    // A view onto part of a larger buffer sends exactly the viewed bytes.
    await fetch.dispatchWebSocketMessage(id, new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 3))
    await fetch.dispatchWebSocketMessage(id, new DataView(new Uint8Array([0, 255]).buffer))
    await fetch.dispatchWebSocketMessage(id, '')
    await fetch.dispatchWebSocketMessage(id, new ArrayBuffer(0))
    expect(calls.slice(1)).toEqual([
      ['message', 'héllo ✓', false],
      ['message', [1, 2, 3], true],
      ['message', [8, 7], true],
      ['message', [0, 255], true],
      ['message', '', false],
      ['message', [], true],
    ])
    await until(() => commands.length === 6, 'six echoes')
    expect(commands.map((c) => c.type)).toEqual(Array(6).fill('message'))
    expect(commands.every((c) => c.connectionId === id)).toBe(true)
    const data = commands.map((c) => (c as any).data)
    expect(data[0]).toBe('héllo ✓')
    expect(data[4]).toBe('')
    for (const [i, bytes] of [[1, [1, 2, 3]], [2, [8, 7]], [3, [0, 255]], [5, []]] as const) {
      expect(data[i]).toBeInstanceOf(ArrayBuffer)
      expect([...new Uint8Array(data[i])]).toEqual(bytes)
    }
  })

  it('ws.send accepts strings, ArrayBuffers and every typed array, returns the bytes sent, and sends only the viewed bytes', async () => {
    const { fetch, calls, commands } = await wsApp(`{
      open(ws) {
        const big = new Uint8Array([10, 11, 12, 13, 14, 15, 16, 17])
        report([
          ws.send('abc'),
          ws.send('é✓'),
          ws.send(new Uint8Array([1, 2]).buffer),
          ws.send(big.subarray(2, 5)),
          ws.send(new Uint16Array([0x0102, 0x0304])),
          ws.send(new DataView(big.buffer, 6, 2)),
          ws.send(new Float64Array([1.5])),
        ])
      },
    }`)
    const id = await connect(fetch)
    expect(calls).toEqual([[3, 5, 2, 3, 4, 2, 8]])
    const data = commands.map((c) => (c as any).data)
    expect(data.slice(0, 2)).toEqual(['abc', 'é✓'])
    const bytes = data.slice(2).map((d: ArrayBuffer) => {
      expect(d).toBeInstanceOf(ArrayBuffer)
      return [...new Uint8Array(d)]
    })
    expect(bytes).toEqual([[1, 2], [12, 13, 14], [...new Uint8Array(new Uint16Array([0x0102, 0x0304]).buffer)], [16, 17], [...new Uint8Array(new Float64Array([1.5]).buffer)]])
    expect(commands.every((c) => c.connectionId === id)).toBe(true)
  })

  it('handlers may be async; messages are handled in order', async () => {
    const { fetch, calls } = await wsApp(`{
      async message(ws, m) { await new Promise((r) => setTimeout(r, m === 'first' ? 20 : 0)); report(m) },
    }`)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'first')
    await fetch.dispatchWebSocketMessage(id, 'second')
    expect(calls).toEqual(['first', 'second'])
  })

  it('an error thrown by a websocket handler rejects the dispatch with its name and message', async () => {
    const { fetch } = await wsApp(`{ message(ws, m) { throw new SyntaxError('bad frame: ' + m) } }`)
    const id = await connect(fetch)
    const e = await errorOf(() => fetch.dispatchWebSocketMessage(id, 'x'))
    expect(e.name).toBe('SyntaxError')
    expect(e.message).toBe('bad frame: x')
    expect(e.stack).toContain('ws-app.js')
  })

  it('all websocket handlers are optional', async () => {
    const { fetch, commands } = await wsApp(`{}`)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'nobody listens')
    await fetch.dispatchWebSocketError(id, new Error('x'))
    await fetch.dispatchWebSocketClose(id, 1000, '')
    expect(commands).toEqual([])
  })

  it('serve() without a websocket object still upgrades and opens', async () => {
    const rt = await createRuntime()
    await rt.eval(`serve({ fetch(req, server) { server.upgrade(req); return new Response(null, { status: 101 }) } })`)
    const id = await connect(rt.fetch)
    await rt.fetch.dispatchWebSocketMessage(id, 'hi')
    expect(await rt.fetch.hasActiveConnections()).toBe(true)
  })

  it('a second serve() replaces the websocket handlers of open connections too', async () => {
    const { rt, fetch, commands } = await wsApp(`{ message(ws, m) { ws.send('old:' + m) } }`)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'a')
    await rt.eval(`serve({ fetch: () => new Response(''), websocket: { message(ws, m) { ws.send('new:' + m) } } })`)
    await fetch.dispatchWebSocketMessage(id, 'b')
    await until(() => commands.length === 2, 'two replies')
    expect(commands.map((c) => (c as any).data)).toEqual(['old:a', 'new:b'])
  })

  it('onWebSocketCommand returns an unsubscribe function; every listener gets every command', async () => {
    const { fetch, commands, unsubscribe } = await wsApp(`{ message(ws, m) { ws.send(m) } }`)
    const second: Command[] = []
    const off = fetch.onWebSocketCommand((c) => second.push(c as Command))
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'one')
    await until(() => commands.length === 1 && second.length === 1, 'both listeners')
    unsubscribe()
    await fetch.dispatchWebSocketMessage(id, 'two')
    await until(() => second.length === 2, 'the second listener')
    await sleep(20)
    expect(commands.map((c) => (c as any).data)).toEqual(['one'])
    expect(second.map((c) => (c as any).data)).toEqual(['one', 'two'])
    off()
    off() // idempotent
  })
})

describe('backpressure', () => {
  it('ws.send returns -1 once 16 MiB wait for the host, still delivers everything, then drain runs', async () => {
    const { fetch, calls, commands } = await wsApp(`{
      message(ws) {
        const chunk = new Uint8Array(1 << 20)
        const sent = []
        for (let i = 0; i < 24; i++) sent.push(ws.send(chunk))
        report(['sent', sent])
      },
      drain(ws) { report('drain'); ws.send('after drain') },
    }`)
    const id = await connect(fetch)
    // A slow host: each command keeps Node's main thread busy, so the isolate's sends pile up.
    fetch.onWebSocketCommand(() => {
      const until = Date.now() + 20
      while (Date.now() < until) {}
    })
    await fetch.dispatchWebSocketMessage(id, 'go')
    const sent: number[] = calls.find((c: any) => c[0] === 'sent')[1]
    expect(sent.slice(0, 15)).toEqual(Array(15).fill(1 << 20))
    expect(sent.at(-1)).toBe(-1)
    expect(sent.every((n) => n === 1 << 20 || n === -1)).toBe(true)
    await until(() => calls.includes('drain') && commands.some((c) => c.type === 'message' && c.data === 'after drain'), 'drain')
    // Backpressure never drops: every chunk reached the host, in order, before the drain's message.
    const binary = commands.filter((c) => c.type === 'message' && c.data instanceof ArrayBuffer)
    expect(binary).toHaveLength(24)
    expect(commands.at(-1)).toEqual({ type: 'message', connectionId: id, data: 'after drain' })
    expect(calls.filter((c: any) => c === 'drain')).toHaveLength(1)
  })

  it('a socket that never hit the limit gets no drain', async () => {
    const { fetch, calls } = await wsApp(`{
      message(ws) { report(['sent', ws.send('small')]) },
      drain() { report('drain') },
    }`)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'go')
    await sleep(50)
    expect(calls).toEqual([['sent', 5]])
  })
})

describe('close and error', () => {
  it('ws.close(code, reason) inside sends a close command and moves readyState to 2, then 3 once the host closes', async () => {
    const { fetch, calls, commands } = await wsApp(`{
      message(ws, m) {
        if (m === 'bye') { ws.close(4001, 'custom reason'); report(['after close', ws.readyState, ws.send('late')]) }
      },
      close(ws, code, reason) { report(['close', code, reason, ws.readyState, ws.send('too late')]) },
    }`)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'bye')
    await until(() => commands.length === 1, 'the close command')
    expect(commands).toEqual([{ type: 'close', connectionId: id, code: 4001, reason: 'custom reason' }])
    // After close, send is dropped (returns 0) and sends nothing.
    expect(calls).toEqual([['after close', 2, 0]])
    expect(await fetch.hasActiveConnections()).toBe(true)
    await fetch.dispatchWebSocketClose(id, 4001, 'custom reason')
    expect(calls[1]).toEqual(['close', 4001, 'custom reason', 3, 0])
    expect(await fetch.hasActiveConnections()).toBe(false)
    await sleep(20)
    expect(commands).toHaveLength(1)
  })

  it('ws.close() without arguments closes with 1000 and an empty reason; a second close sends nothing', async () => {
    const { fetch, commands } = await wsApp(`{ message(ws) { ws.close(); ws.close(1001, 'again') } }`)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'x')
    await until(() => commands.length >= 1, 'the close command')
    await sleep(20)
    expect(commands).toEqual([{ type: 'close', connectionId: id, code: 1000, reason: '' }])
  })

  it('ws.close() with an invalid code or an over-long reason throws inside and sends nothing', async () => {
    const { fetch, calls, commands } = await wsApp(`{
      message(ws) {
        for (const [code, reason] of [[999, ''], [1005, ''], [1006, ''], [5000, ''], ['abc', ''], [1000, 'x'.repeat(124)]]) {
          try { ws.close(code, reason); report('closed') } catch (e) { report([e.name, ws.readyState]) }
        }
      },
    }`)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'x')
    expect(calls).toEqual(Array(6).fill(['RangeError', 1]))
    await sleep(20)
    expect(commands).toEqual([])
  })

  it('ws.terminate() closes without a handshake: the host gets code 1006', async () => {
    const { fetch, calls, commands } = await wsApp(`{ message(ws) { ws.terminate(); report(ws.readyState) } }`)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketMessage(id, 'x')
    await until(() => commands.length === 1, 'the close command')
    expect(commands).toEqual([{ type: 'close', connectionId: id, code: 1006, reason: '' }])
    expect(calls).toEqual([2])
  })

  it('the host closing runs the close handler with its code and reason, readyState 3', async () => {
    const { fetch, calls } = await wsApp(ECHO)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketClose(id, 1001, 'going away')
    expect(calls[1]).toEqual(['close', 1001, 'going away', 3])
    expect(await fetch.hasActiveConnections()).toBe(false)
    // Closed: the id is unknown from now on.
    const e = await errorOf(() => fetch.dispatchWebSocketMessage(id, 'x'))
    expect(e.message).toMatch(/No open WebSocket connection/)
    expect((await errorOf(() => fetch.dispatchWebSocketClose(id, 1000, ''))).message).toMatch(/No open WebSocket connection/)
  })

  it('dispatchWebSocketClose defaults to code 1005 and an empty reason', async () => {
    const { fetch, calls } = await wsApp(ECHO)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketClose(id)
    expect(calls[1]).toEqual(['close', 1005, '', 3])
  })

  it('dispatchWebSocketError passes an Error to the error handler', async () => {
    const { fetch, calls } = await wsApp(ECHO)
    const id = await connect(fetch)
    await fetch.dispatchWebSocketError(id, new TypeError('socket hang up'))
    await fetch.dispatchWebSocketError(id, 'just a string')
    expect(calls.slice(1)).toEqual([
      ['error', true, 'TypeError', 'socket hang up'],
      ['error', true, 'Error', 'just a string'],
    ])
    // An error does not close the connection.
    expect(await fetch.hasActiveConnections()).toBe(true)
  })
})

describe('connection ids', () => {
  it('unknown connection ids reject with a clear error', async () => {
    const { fetch } = await wsApp(ECHO)
    expect((await errorOf(() => fetch.dispatchWebSocketOpen('nope'))).message).toMatch(/No pending WebSocket upgrade 'nope'/)
    expect((await errorOf(() => fetch.dispatchWebSocketMessage('nope', 'x'))).message).toBe("No open WebSocket connection 'nope': open it with dispatchWebSocketOpen first (or it has closed)")
    expect((await errorOf(() => fetch.dispatchWebSocketClose('nope', 1000, ''))).message).toBe("No open WebSocket connection 'nope': open it with dispatchWebSocketOpen first (or it has closed)")
    expect((await errorOf(() => fetch.dispatchWebSocketError('nope', new Error('x')))).message).toBe("No open WebSocket connection 'nope': open it with dispatchWebSocketOpen first (or it has closed)")
  })

  it('a connection cannot be opened twice', async () => {
    const { fetch } = await wsApp(ECHO)
    const id = await connect(fetch)
    expect((await errorOf(() => fetch.dispatchWebSocketOpen(id))).message).toMatch(/No pending WebSocket upgrade/)
  })

  it('several connections at once, each with its own data, routed by id', async () => {
    const { fetch, calls, commands } = await wsApp(`{
      message(ws, m) { ws.send(ws.data.user + ':' + m) },
      close(ws, code) { report(['closed', ws.data.user, code]) },
    }`)
    const users = ['ada', 'bob', 'cy', 'dee', 'eve']
    const ids: string[] = []
    for (const u of users) ids.push(await connect(fetch, `/chat?user=${u}`))
    expect(new Set(ids).size).toBe(5)
    commands.length = 0
    await Promise.all(ids.flatMap((id, i) => [1, 2, 3].map((n) => fetch.dispatchWebSocketMessage(id, `m${n}-${i}`))))
    await until(() => commands.length === 15, '15 replies')
    for (const [i, id] of ids.entries()) {
      const mine = commands.filter((c) => c.connectionId === id).map((c) => (c as any).data)
      expect(mine).toEqual([1, 2, 3].map((n) => `${users[i]}:m${n}-${i}`))
    }
    await fetch.dispatchWebSocketClose(ids[1], 1000, '')
    expect(await fetch.hasActiveConnections()).toBe(true)
    for (const id of [ids[0], ...ids.slice(2)]) await fetch.dispatchWebSocketClose(id, 1001, '')
    expect(await fetch.hasActiveConnections()).toBe(false)
    expect(calls.map((c: any) => c[1])).toEqual(['bob', 'ada', 'cy', 'dee', 'eve'])
  })

  it('messages of several connections interleave while handlers await', async () => {
    const { fetch } = await wsApp(`{
      async message(ws, m) {
        globalThis.waiting = (globalThis.waiting ?? 0) + 1
        // Both connections must be inside the handler at once, or this never resolves.
        while (globalThis.waiting < 2) await new Promise((r) => setTimeout(r, 1))
        ws.send('done ' + m)
      },
    }`)
    const a = await connect(fetch, '/?user=a')
    const b = await connect(fetch, '/?user=b')
    await Promise.all([fetch.dispatchWebSocketMessage(a, 'a'), fetch.dispatchWebSocketMessage(b, 'b')])
  })
})

describe('bad arguments and lifecycle', () => {
  it('TypeErrors with clear messages', async () => {
    const { fetch } = await wsApp(ECHO)
    const id = await connect(fetch)
    const cases: Array<[() => unknown, RegExp]> = [
      [() => fetch.dispatchWebSocketOpen(undefined as any), /dispatchWebSocketOpen: connectionId must be a non-empty string/],
      [() => fetch.dispatchWebSocketOpen(''), /dispatchWebSocketOpen: connectionId must be a non-empty string/],
      [() => fetch.dispatchWebSocketMessage(42 as any, 'x'), /dispatchWebSocketMessage: connectionId must be a non-empty string/],
      [() => fetch.dispatchWebSocketMessage(id, 42 as any), /dispatchWebSocketMessage: data must be a string, an ArrayBuffer or a typed array/],
      [() => fetch.dispatchWebSocketMessage(id, { text: 'x' } as any), /dispatchWebSocketMessage: data must be/],
      [() => fetch.dispatchWebSocketClose(null as any, 1000, ''), /dispatchWebSocketClose: connectionId must be a non-empty string/],
      [() => fetch.dispatchWebSocketError({} as any, new Error('x')), /dispatchWebSocketError: connectionId must be a non-empty string/],
    ]
    for (const [call, message] of cases) {
      const e = await errorOf(call)
      expect(e.name).toBe('TypeError')
      expect(e.message).toMatch(message)
    }
    const bad = await errorOf(() => fetch.onWebSocketCommand('nope' as any))
    expect(bad.name).toBe('TypeError')
    expect(bad.message).toBe('onWebSocketCommand(callback): callback must be a function')
    // The connection is untouched by all of that.
    await fetch.dispatchWebSocketMessage(id, 'still open')
  })

  it('an out-of-range close code from the host is a RangeError', async () => {
    const { fetch, calls } = await wsApp(ECHO)
    const id = await connect(fetch)
    for (const code of [999, 5000, 1000.5, NaN]) {
      const e = await errorOf(() => fetch.dispatchWebSocketClose(id, code, ''))
      expect(e.name).toBe('RangeError')
      expect(e.message).toMatch(/dispatchWebSocketClose: code must be an integer from 1000 to 4999/)
    }
    expect(calls).toHaveLength(1) // only 'open'
  })

  it('dispose() rejects websocket dispatches in flight, and later ones, with "Runtime has been disposed"', async () => {
    const { rt, fetch, calls } = await wsApp(`{ async message(ws, m) { report('in'); await new Promise(() => {}) } }`)
    const id = await connect(fetch)
    const pending = fetch.dispatchWebSocketMessage(id, 'x').then(() => 'resolved', (e: Error) => e.message)
    await until(() => calls.length === 1, 'the handler to start')
    await rt.dispose()
    expect(await pending).toBe('Runtime has been disposed')
    expect((await errorOf(() => fetch.dispatchWebSocketMessage(id, 'y'))).message).toBe('Runtime has been disposed')
    expect((await errorOf(() => fetch.getUpgradeRequest())).message).toBe('Runtime has been disposed')
    expect((await errorOf(() => fetch.hasActiveConnections())).message).toBe('Runtime has been disposed')
    expect((await errorOf(() => fetch.onWebSocketCommand(() => {}))).message).toBe('Runtime has been disposed')
  })

  it('a throwing command listener does not stop the others', async () => {
    const { fetch, commands } = await wsApp(`{ message(ws, m) { ws.send(m) } }`)
    const thrown: unknown[] = []
    const onError = (e: unknown) => thrown.push(e)
    process.on('uncaughtException', onError)
    try {
      fetch.onWebSocketCommand(() => {
        throw new Error('listener bug')
      })
      const after: Command[] = []
      fetch.onWebSocketCommand((c) => after.push(c as Command))
      const id = await connect(fetch)
      await fetch.dispatchWebSocketMessage(id, 'hi')
      await until(() => after.length === 1 && commands.length === 1, 'the other listeners')
      await until(() => thrown.length === 1, 'the listener error to be reported')
      expect((thrown[0] as Error).message).toBe('listener bug')
    } finally {
      process.off('uncaughtException', onError)
    }
  })
})
