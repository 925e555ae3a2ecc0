// Raw TCP from the sandbox: `connect()` of `cloudflare:sockets` (alias `edge-isolate:sockets`),
// https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/, under host control: the
// `network` policy (tcp:// entries, private addresses, maxConnections, socketIdleTimeout) or the
// host's `onConnect` (native, refused, or bridged to a host duplex). Every server here listens
// on 127.0.0.1, port 0.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { reporter, sleep, useRuntimes, within } from './helpers'

const createRuntime = useRuntimes()
const LOOPBACK = { allowPrivateNetworks: true }
const TLS = {
  ca: readFileSync(new URL('./fixtures/tls/ca.pem', import.meta.url), 'utf8'),
  cert: readFileSync(new URL('./fixtures/tls/server.pem', import.meta.url)),
  key: readFileSync(new URL('./fixtures/tls/server-key.pem', import.meta.url)),
}

const servers: (net.Server | tls.Server)[] = []
const open = new Set<net.Socket>()
afterEach(async () => {
  for (const s of open) s.destroy()
  open.clear()
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))))
})

async function listen(server: net.Server | tls.Server): Promise<number> {
  server.on('connection', (s: net.Socket) => {
    open.add(s)
    s.on('close', () => open.delete(s))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  servers.push(server)
  return (server.address() as AddressInfo).port
}

/** Echoes every byte; ends its side once the client ended its own. */
const echoServer = () => listen(net.createServer((s) => s.pipe(s)))

/** A TLS echo server with the test certificate (127.0.0.1, ::1, localhost). */
const tlsEchoServer = () => listen(tls.createServer({ cert: TLS.cert, key: TLS.key }, (s) => s.pipe(s)))

// Isolate-side helpers, prepended to test code.
const PRELUDE = `
import { connect, SocketError } from 'cloudflare:sockets'
const enc = new TextEncoder()
const dec = new TextDecoder()
async function readText(readable) {
  const r = readable.getReader()
  let out = ''
  for (;;) {
    const { done, value } = await r.read()
    if (done) return out
    out += dec.decode(value, { stream: true })
  }
}
async function errorOf(p) {
  try { await p; return null } catch (e) { return { name: e.name, message: e.message, code: e.code, isSocketError: e instanceof SocketError } }
}
function thrown(f) {
  try { f(); return null } catch (e) { return { name: e.name, message: e.message } }
}
`

/** Evals `code` (after PRELUDE) in a runtime made with `options`; returns what it `report`ed. */
async function run(code: string, options: Record<string, any> = {}) {
  const { calls, customFunctions } = reporter()
  const rt = await createRuntime({ ...options, customFunctions: { ...customFunctions, ...(options.customFunctions ?? {}) } })
  await within(rt.eval(PRELUDE + code), 20_000, 'the eval')
  return calls
}

describe('connect() over the native client', () => {
  it('echoes through a local TCP server, opened tells the addresses, closed resolves after both sides end', async () => {
    const port = await echoServer()
    const [r] = await run(
      `
      const s = connect('127.0.0.1:${port}')
      const info = await s.opened
      const w = s.writable.getWriter()
      await w.write(enc.encode('hello '))
      await w.write('wörld')
      await w.write(enc.encode('!').buffer)
      await w.close()
      const text = await readText(s.readable)
      await s.closed
      report({ info, text, secure: s.secureTransport, upgraded: s.upgraded, tag: Object.prototype.toString.call(s) })
    `,
      { network: LOOPBACK },
    )
    expect(r.text).toBe('hello wörld!')
    expect(r.info.remoteAddress).toBe(`127.0.0.1:${port}`)
    expect(r.info.localAddress).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(r).toMatchObject({ secure: 'off', upgraded: false, tag: '[object Socket]' })
  })

  it('is importable as edge-isolate:sockets and cloudflare:sockets (one module), statically and dynamically, without a moduleLoader', async () => {
    const [r] = await run(
      `
      const a = await import('edge-isolate:sockets')
      const b = await import('cloudflare:sockets')
      report({ same: a.connect === b.connect && a.connect === connect, names: Object.keys(a).sort(), error: new a.SocketError('x', 'ERR_X') instanceof Error, defaultOk: a.default.connect === connect })
    `,
      { network: LOOPBACK },
    )
    expect(r).toEqual({ same: true, names: ['SocketError', 'connect', 'default'], error: true, defaultOk: true })
  })

  it('takes { hostname, port } and IPv6 literals', async () => {
    const port = await echoServer()
    const [r] = await run(
      `
      const s = connect({ hostname: 'localhost', port: ${port} })
      const w = s.writable.getWriter()
      await w.write(enc.encode('obj'))
      await w.close()
      report(await readText(s.readable))
    `,
      { network: LOOPBACK },
    )
    expect(r).toBe('obj')
  })

  it('TLS with secureTransport "on": verified against network.caCertificates, refused without them', async () => {
    const port = await tlsEchoServer()
    const code = `
      const s = connect('127.0.0.1:${port}', { secureTransport: 'on' })
      const e = await errorOf(s.opened)
      if (e) { report({ e, closed: await errorOf(s.closed) }) } else {
        const w = s.writable.getWriter()
        await w.write(enc.encode('over tls'))
        await w.close()
        report({ text: await readText(s.readable), secure: s.secureTransport })
      }
    `
    const [trusted] = await run(code, { network: { ...LOOPBACK, caCertificates: [TLS.ca] } })
    expect(trusted).toEqual({ text: 'over tls', secure: 'on' })
    const [untrusted] = await run(code, { network: LOOPBACK })
    expect(untrusted.e).toMatchObject({ name: 'SocketError', code: 'ERR_TLS', isSocketError: true })
    expect(untrusted.e.message).toMatch(/TLS handshake with 127\.0\.0\.1 failed/)
    expect(untrusted.closed.code).toBe('ERR_TLS')
  })

  it('STARTTLS against an SMTP-style server: plain greeting, then startTls() on the same connection', async () => {
    const seen: string[] = []
    const port = await listen(
      net.createServer((raw) => {
        raw.write('220 ready\r\n')
        raw.once('data', (d) => {
          seen.push(d.toString())
          if (d.toString() !== 'STARTTLS\r\n') return raw.end('500 expected STARTTLS\r\n')
          raw.write('220 go ahead\r\n', () => {
            const secure = new tls.TLSSocket(raw, { isServer: true, cert: TLS.cert, key: TLS.key })
            secure.on('data', (line) => secure.write('250 ' + line.toString()))
            secure.on('end', () => secure.end())
            secure.on('error', () => {})
          })
        })
      }),
    )
    const code = (expected: string) => `
      const s = connect('127.0.0.1:${port}', { secureTransport: 'starttls' })
      const r = s.readable.getReader()
      const w = s.writable.getWriter()
      const greeting = dec.decode((await r.read()).value)
      await w.write(enc.encode('STARTTLS\\r\\n'))
      const goAhead = dec.decode((await r.read()).value)
      r.releaseLock()
      w.releaseLock()
      const t = s.startTls(${expected})
      const again = thrown(() => s.startTls())
      await s.closed
      const opened = await errorOf(t.opened)
      let reply = null
      if (!opened) {
        const tw = t.writable.getWriter()
        await tw.write(enc.encode('EHLO sandbox\\r\\n'))
        await tw.close()
        reply = await readText(t.readable)
      }
      report({ greeting, goAhead, upgraded: s.upgraded, tSecure: t.secureTransport, tUpgraded: t.upgraded, again, opened, reply, onTls: thrown(() => t.startTls()) })
    `
    const [ok] = await run(code("{ expectedServerHostname: 'localhost' }"), { network: { ...LOOPBACK, caCertificates: [TLS.ca] } })
    expect(ok).toEqual({
      greeting: '220 ready\r\n',
      goAhead: '220 go ahead\r\n',
      upgraded: true,
      tSecure: 'on',
      tUpgraded: false,
      again: { name: 'TypeError', message: 'startTls can only be called once.' },
      opened: null,
      reply: '250 EHLO sandbox\r\n',
      onTls: { name: 'TypeError', message: 'Cannot startTls on a TLS socket.' },
    })
    expect(seen).toEqual(['STARTTLS\r\n'])
    // The certificate is for 127.0.0.1, ::1 and localhost: another expected name fails the handshake.
    const [wrong] = await run(code("{ expectedServerHostname: 'db.example.com' }"), { network: { ...LOOPBACK, caCertificates: [TLS.ca] } })
    expect(wrong.opened).toMatchObject({ code: 'ERR_TLS', name: 'SocketError' })
    expect(wrong.opened.message).toMatch(/db\.example\.com/)
  })

  it('startTls() needs secureTransport "starttls"', async () => {
    const port = await echoServer()
    const [r] = await run(
      `
      const s = connect('127.0.0.1:${port}')
      report(thrown(() => s.startTls()))
      await s.close()
    `,
      { network: LOOPBACK },
    )
    expect(r).toEqual({ name: 'TypeError', message: "The `secureTransport` socket option must be set to 'starttls' for startTls to be used." })
  })
})

describe('policy', () => {
  it('refuses private addresses unless allowPrivateNetworks, checked on the resolved address', async () => {
    const port = await echoServer()
    const [r] = await run(
      `
      const a = connect('127.0.0.1:${port}')
      const b = connect({ hostname: 'localhost', port: ${port} })
      report({ a: await errorOf(a.opened), aClosed: await errorOf(a.closed), b: await errorOf(b.opened) })
    `,
      { network: {} },
    )
    expect(r.a).toMatchObject({ name: 'SocketError', code: 'ERR_POLICY', isSocketError: true })
    expect(r.a.message).toMatch(/^proxy request failed, cannot connect to the specified address \(refused by policy: 127\.0\.0\.1 is a private address/)
    expect(r.aClosed.code).toBe('ERR_POLICY')
    expect(r.b.code).toBe('ERR_POLICY')
    expect(r.b.message).toMatch(/localhost \(resolved to/)
  })

  it('allowedHosts with ports: only listed host:port pairs connect; an https origin is not a socket entry', async () => {
    const port = await echoServer()
    const other = await echoServer()
    const [r] = await run(
      `
      const ok = connect('127.0.0.1:${port}')
      const w = ok.writable.getWriter()
      await w.write(enc.encode('listed'))
      await w.close()
      const text = await readText(ok.readable)
      const unlisted = connect('127.0.0.1:${other}')
      const origin = connect('localhost:${other}')
      report({ text, unlisted: await errorOf(unlisted.opened), origin: await errorOf(origin.opened) })
    `,
      { network: { ...LOOPBACK, allowedHosts: [`tcp://127.0.0.1:${port}`, `https://localhost:${other}`] } },
    )
    expect(r.text).toBe('listed')
    expect(r.unlisted.code).toBe('ERR_POLICY')
    expect(r.unlisted.message).toContain(`127.0.0.1:${other} is not in network.allowedHosts`)
    expect(r.origin.code).toBe('ERR_POLICY')
  })

  it('validates tcp:// entries and the new limits at createRuntime', async () => {
    const bad = async (network: object) => {
      try {
        await createRuntime({ network } as any)
      } catch (e: any) {
        return { name: e.name, message: e.message }
      }
      return null
    }
    expect(await bad({ allowedHosts: ['tcp://db.example.com'] })).toMatchObject({ name: 'TypeError' })
    expect((await bad({ allowedHosts: ['tcp://db.example.com'] }))!.message).toContain("'tcp://db.example.com:5432'")
    expect(await bad({ allowedHosts: ['tcp://db.example.com:0'] })).toMatchObject({ name: 'TypeError' })
    expect(await bad({ allowedHosts: ['udp://db.example.com:53'] })).toMatchObject({ name: 'TypeError' })
    expect(await bad({ maxConnections: 0 })).toMatchObject({ name: 'RangeError', message: 'createRuntime(options): network.maxConnections must be an integer from 1 to 65536 (got 0)' })
    expect(await bad({ socketIdleTimeout: -1 })).toMatchObject({ name: 'RangeError' })
    expect(await bad({ allowedHosts: ['tcp://db.example.com:5432', '*.cache.example.com:6379', 'https://api.example.com'] })).toBeNull()
  })

  it('without onConnect or network there are no sockets', async () => {
    const [r] = await run(`report(thrown(() => connect('example.com:80')))`)
    expect(r).toEqual({ name: 'TypeError', message: 'network access is disabled: pass onConnect or network to createRuntime' })
  })

  it('maxConnections counts sockets and fetches together; a closed socket frees its place', async () => {
    const port = await echoServer()
    const [r] = await run(
      `
      const a = connect('127.0.0.1:${port}')
      const b = connect('127.0.0.1:${port}')
      await a.opened
      await b.opened
      const c = connect('127.0.0.1:${port}')
      const third = await errorOf(c.opened)
      const fetchCause = await fetch('http://127.0.0.1:${port}/').then(() => 'ok', (e) => e.cause && e.cause.code)
      await a.close()
      const d = connect('127.0.0.1:${port}')
      const again = await errorOf(d.opened)
      report({ third, fetchCause, again })
      await b.close()
      await d.close()
    `,
      { network: { ...LOOPBACK, maxConnections: 2 } },
    )
    expect(r.third).toMatchObject({ code: 'ERR_LIMIT', name: 'SocketError' })
    expect(r.third.message).toContain('network.maxConnections (2)')
    expect(r.fetchCause).toBe('ERR_LIMIT')
    expect(r.again).toBeNull()
  })

  it('closes an idle socket after network.socketIdleTimeout with ERR_TIMEOUT', async () => {
    const port = await listen(net.createServer(() => {}))
    const [r] = await run(
      `
      const s = connect('127.0.0.1:${port}')
      await s.opened
      const t0 = Date.now()
      const e = await errorOf(s.closed)
      report({ e, ms: Date.now() - t0 })
    `,
      { network: { ...LOOPBACK, socketIdleTimeout: 150 } },
    )
    expect(r.e).toMatchObject({ code: 'ERR_TIMEOUT', name: 'SocketError' })
    expect(r.e.message).toContain('150 ms (network.socketIdleTimeout)')
    expect(r.ms).toBeGreaterThanOrEqual(100)
    expect(r.ms).toBeLessThan(5000)
  })

  it('a refused connection (nothing listening) rejects with ERR_CONNECT', async () => {
    const port = await listen(net.createServer())
    servers.pop()!.close()
    await sleep(20)
    const [r] = await run(`report(await errorOf(connect('127.0.0.1:${port}').opened))`, { network: LOOPBACK })
    expect(r).toMatchObject({ code: 'ERR_CONNECT', name: 'SocketError' })
  })
})

describe('onConnect', () => {
  const useCode = (port: number) => `
    const s = connect('127.0.0.1:${port}', { secureTransport: 'off' })
    const opened = await errorOf(s.opened)
    let text = null
    if (!opened) {
      const w = s.writable.getWriter()
      await w.write(enc.encode('via host'))
      await w.close()
      text = await readText(s.readable)
      await s.closed
    }
    report({ opened, text })
  `

  it('gets (address, { secureTransport }); true connects natively under network', async () => {
    const port = await echoServer()
    const asked: any[] = []
    const [r] = await run(useCode(port), {
      network: LOOPBACK,
      onConnect: (address: string, options: any) => {
        asked.push([address, options])
        return true
      },
    })
    expect(asked).toEqual([[`127.0.0.1:${port}`, { secureTransport: 'off' }]])
    expect(r).toEqual({ opened: null, text: 'via host' })
  })

  it('true without network uses the default policy (private addresses refused)', async () => {
    const port = await echoServer()
    const [r] = await run(useCode(port), { onConnect: async () => true })
    expect(r.opened).toMatchObject({ code: 'ERR_POLICY' })
    expect(r.opened.message).toContain('private address')
  })

  it('false, null and a throw refuse with a clear error', async () => {
    const port = await echoServer()
    for (const onConnect of [() => false, () => null, () => { throw new Error('secret host detail') }, async () => Promise.reject(new Error('no'))]) {
      const [r] = await run(useCode(port), { network: LOOPBACK, onConnect })
      expect(r.opened).toMatchObject({ code: 'ERR_POLICY', name: 'SocketError' })
      expect(r.opened.message).toBe("proxy request failed, cannot connect to the specified address (refused by the host's onConnect)")
    }
  })

  it('bridges to a host net.Socket', async () => {
    const port = await echoServer()
    let hostSocket: net.Socket | undefined
    const [r] = await run(
      `
      const s = connect('db.internal:5432')
      const info = await s.opened
      const w = s.writable.getWriter()
      await w.write(enc.encode('bridged'))
      await w.write(new Uint8Array(200_000).fill(7))
      await w.close()
      const text = await readText(s.readable)
      await s.closed
      report({ info, length: text.length, head: text.slice(0, 7) })
    `,
      {
        onConnect: (address: string) => {
          expect(address).toBe('db.internal:5432')
          hostSocket = net.connect(port, '127.0.0.1')
          return hostSocket
        },
      },
    )
    expect(r.info.remoteAddress).toBe(`127.0.0.1:${port}`)
    expect(r).toMatchObject({ length: 7 + 200_000, head: 'bridged' })
    expect(hostSocket!.destroyed || hostSocket!.readableEnded).toBe(true)
  })

  it('bridges to host { readable, writable } Web streams', async () => {
    const [r] = await run(
      `
      const s = connect('anything.example:1')
      const info = await s.opened
      const w = s.writable.getWriter()
      const reader = s.readable.getReader()
      // A TransformStream takes a write once its readable side is read: read first.
      const reading = reader.read()
      await w.write(enc.encode('ping'))
      const { value } = await reading
      await w.close()
      const end = await reader.read()
      report({ info, echoed: dec.decode(value), done: end.done })
    `,
      {
        onConnect: () => {
          const t = new TransformStream()
          return { readable: t.readable, writable: t.writable }
        },
      },
    )
    expect(r).toEqual({ info: { remoteAddress: null, localAddress: null }, echoed: 'ping', done: true })
  })

  it('bridges to a host tls.TLSSocket, used as is for secureTransport "on"', async () => {
    const port = await tlsEchoServer()
    const asked: any[] = []
    const [r] = await run(
      `
      const s = connect('db.internal:6543', { secureTransport: 'on' })
      await s.opened
      const w = s.writable.getWriter()
      await w.write(enc.encode('secret'))
      await w.close()
      report({ text: await readText(s.readable), secure: s.secureTransport })
    `,
      {
        onConnect: (address: string, options: any) => {
          asked.push([address, options])
          return tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: TLS.ca })
        },
      },
    )
    expect(asked).toEqual([['db.internal:6543', { secureTransport: 'on' }]])
    expect(r).toEqual({ text: 'secret', secure: 'on' })
  })

  it('startTls() on a bridged net.Socket runs Node\'s TLS, which checks the certificate against Node\'s CAs', async () => {
    const port = await listen(
      net.createServer((raw) => {
        raw.on('error', () => {})
        raw.write('220 ready\r\n')
        raw.once('data', () => {
          raw.write('220 go ahead\r\n', () => {
            const secure = new tls.TLSSocket(raw, { isServer: true, cert: TLS.cert, key: TLS.key })
            secure.on('error', () => {})
          })
        })
      }),
    )
    const [r] = await run(
      `
      const s = connect('mail.internal:25', { secureTransport: 'starttls' })
      const reader = s.readable.getReader()
      const w = s.writable.getWriter()
      const greeting = dec.decode((await reader.read()).value)
      await w.write(enc.encode('STARTTLS\\r\\n'))
      const goAhead = dec.decode((await reader.read()).value)
      reader.releaseLock()
      w.releaseLock()
      const t = s.startTls({ expectedServerHostname: 'localhost' })
      report({ greeting, goAhead, opened: await errorOf(t.opened), upgraded: (await s.closed, s.upgraded) })
    `,
      { onConnect: () => net.connect(port, '127.0.0.1') },
    )
    expect(r).toMatchObject({ greeting: '220 ready\r\n', goAhead: '220 go ahead\r\n', upgraded: true })
    // The test CA is not one of Node's: the handshake fails, and says so.
    expect(r.opened).toMatchObject({ name: 'SocketError', code: 'ERR_TLS' })
    expect(r.opened.message).toMatch(/^TLS handshake with localhost failed: /)
  })

  it('a host socket that cannot connect fails the script socket with ERR_CONNECT', async () => {
    const port = await listen(net.createServer())
    servers.pop()!.close()
    await sleep(20)
    const [r] = await run(`report(await errorOf(connect('x.example:1').opened))`, { onConnect: () => net.connect(port, '127.0.0.1') })
    expect(r).toMatchObject({ code: 'ERR_CONNECT', name: 'SocketError' })
  })

  it('host sockets are closed when the runtime is disposed', async () => {
    const port = await echoServer()
    let hostSocket: net.Socket | undefined
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({
      customFunctions,
      onConnect: () => (hostSocket = net.connect(port, '127.0.0.1')),
    })
    await rt.eval(PRELUDE + `const s = connect('x.example:1'); await s.opened; report('open')`)
    expect(calls).toEqual(['open'])
    await rt.dispose()
    await within(
      (async () => {
        while (!hostSocket!.destroyed) await sleep(5)
      })(),
      3000,
      'the host socket closing',
    )
  })
})

describe('streams', () => {
  it('allowHalfOpen false: the peer ending closes our side (the server sees our end)', async () => {
    const received: string[] = []
    const serve = () =>
      listen(
        net.createServer({ allowHalfOpen: true }, (s) => {
          const got: Buffer[] = []
          s.on('data', (d) => got.push(d))
          s.on('end', () => {
            received.push(Buffer.concat(got).toString())
            s.destroy()
          })
          s.end('x')
        }),
      )
    const code = (port: number, allowHalfOpen: boolean) => `
      const s = connect('127.0.0.1:${port}', { allowHalfOpen: ${allowHalfOpen} })
      const w = s.writable.getWriter()
      const text = await readText(s.readable)
      const late = await errorOf(w.write(enc.encode('late')))
      if (!late) await w.close()
      await s.closed
      report({ text, late })
    `
    const [closedForUs] = await run(code(await serve(), false), { network: LOOPBACK })
    expect(closedForUs.text).toBe('x')
    expect(closedForUs.late).toMatchObject({ name: 'TypeError' })
    expect(closedForUs.late.message).toContain('allowHalfOpen is false')
    const [halfOpen] = await run(code(await serve(), true), { network: LOOPBACK })
    expect(halfOpen).toEqual({ text: 'x', late: null })
    await within(
      (async () => {
        while (received.length < 2) await sleep(5)
      })(),
      3000,
      'both server sockets ending',
    )
    expect(received).toEqual(['', 'late'])
  })

  it('backpressure: a peer sending 100 MB to a slow reader is held back by TCP, host memory stays bounded', async () => {
    const TOTAL = 100 * 1024 * 1024
    let sent = 0
    const port = await listen(
      net.createServer(async (s) => {
        const chunk = Buffer.alloc(64 * 1024, 1)
        s.on('error', () => {})
        while (sent < TOTAL && !s.destroyed) {
          sent += chunk.length
          if (!s.write(chunk)) await once(s, 'drain').catch(() => {})
        }
        s.end()
      }),
    )
    let go!: () => void
    const resumed = new Promise<void>((r) => (go = r))
    let paused = false
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({
      memoryLimitMB: 64,
      network: LOOPBACK,
      customFunctions: {
        ...customFunctions,
        pause: { type: 'async', fn: async () => ((paused = true), await resumed) },
      },
    })
    const rss0 = process.memoryUsage().rss
    const evaluating = rt.eval(
      PRELUDE +
        `
      const s = connect('127.0.0.1:${port}')
      const r = s.readable.getReader()
      let got = 0
      while (got < 2 * 1024 * 1024) got += (await r.read()).value.byteLength
      await pause()
      let n = 0
      for (;;) {
        const { done, value } = await r.read()
        if (done) break
        got += value.byteLength
        if (++n % 64 === 0) await new Promise((res) => setTimeout(res, 1))
      }
      report(got)
    `,
    )
    await within(
      (async () => {
        while (!paused) await sleep(5)
      })(),
      10_000,
      'the isolate pausing',
    )
    // While the script does not read, the server stalls: what it sent is what the script read
    // plus the window and the kernel's socket buffers.
    await sleep(300)
    const stalled = sent
    await sleep(300)
    expect(sent).toBe(stalled)
    expect(stalled).toBeLessThan(40 * 1024 * 1024)
    const rssPaused = process.memoryUsage().rss
    go()
    await within(evaluating, 60_000, 'reading 100 MB')
    expect(calls).toEqual([TOTAL])
    expect(rssPaused - rss0).toBeLessThan(64 * 1024 * 1024)
    expect(process.memoryUsage().rss - rss0).toBeLessThan(160 * 1024 * 1024)
  }, 90_000)

  it('many small chunks arrive whole and in order, each as a Uint8Array of its own size', async () => {
    // 3000 numbered lines, each written on its own (no Nagle): the reads see them in any grouping,
    // never reordered, never with bytes missing, and no chunk is a view into a larger buffer.
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i}\n`)
    const port = await listen(
      net.createServer(async (s) => {
        s.setNoDelay(true)
        for (let i = 0; i < lines.length; i++) {
          if (!s.write(lines[i])) await once(s, 'drain')
          if (i % 100 === 0) await sleep(1)
        }
        s.end()
      }),
    )
    const [r] = await run(
      `
      const s = connect('127.0.0.1:${port}')
      const rd = s.readable.getReader()
      let text = '', chunks = 0, oversized = 0, notUint8 = 0
      for (;;) {
        const { done, value } = await rd.read()
        if (done) break
        chunks++
        if (!(value instanceof Uint8Array)) notUint8++
        if (value.byteOffset !== 0 || value.buffer.byteLength !== value.byteLength) oversized++
        text += dec.decode(value, { stream: true })
      }
      report({ text, chunks, oversized, notUint8 })
    `,
      { network: LOOPBACK },
    )
    expect(r.text).toBe(lines.join(''))
    expect(r.chunks).toBeGreaterThan(1)
    expect(r).toMatchObject({ oversized: 0, notUint8: 0 })
  })

  it('a chunk read is the script\'s own (transferable, not detached by later reads); BYOB reads and writes of a reused Uint8Array keep their bytes', async () => {
    const port = await echoServer()
    const [r] = await run(
      `
      const s = connect('127.0.0.1:${port}')
      const w = s.writable.getWriter()
      const rd = s.readable.getReader()
      const msg = enc.encode('ping')
      await w.write(msg)
      // The same array, changed after the write was taken: what was sent stays what it was.
      msg.set(enc.encode('pong'))
      await w.write(msg)
      let text = ''
      const kept = []
      while (text.length < 8) {
        const { value } = await rd.read()
        kept.push(value)
        text += dec.decode(value)
      }
      const first = kept[0]
      const stillThere = first.byteLength > 0 && first.buffer.byteLength === first.byteLength
      // Transferring the chunk's buffer works and leaves it detached, as for any buffer of its own.
      const moved = structuredClone(first.buffer, { transfer: [first.buffer] })
      const transferred = moved.byteLength > 0 && first.buffer.byteLength === 0
      rd.releaseLock()
      // A BYOB reader on the same stream: the bytes land in the script's buffer.
      const byob = s.readable.getReader({ mode: 'byob' })
      await w.write(enc.encode('byob!'))
      let got = ''
      let buf = new ArrayBuffer(16)
      while (got.length < 5) {
        const { value } = await byob.read(new Uint8Array(buf, 0, 16))
        got += dec.decode(value)
        buf = value.buffer
      }
      await s.close()
      report({ text, stillThere, transferred, got })
    `,
      { network: LOOPBACK },
    )
    expect(r).toEqual({ text: 'pingpong', stillThere: true, transferred: true, got: 'byob!' })
  })

  it('a write far larger than a read buffer arrives intact, in chunks of at most 256 KiB', async () => {
    const TOTAL = 5 * 1024 * 1024 + 12345
    const data = Buffer.alloc(TOTAL)
    for (let i = 0; i < TOTAL; i++) data[i] = (i * 7 + (i >> 13)) & 255
    const port = await listen(net.createServer((s) => s.end(data)))
    const [r] = await run(
      `
      const s = connect('127.0.0.1:${port}')
      const rd = s.readable.getReader()
      let got = 0, largest = 0, bad = -1
      for (;;) {
        const { done, value } = await rd.read()
        if (done) break
        if (value.byteLength > largest) largest = value.byteLength
        for (let j = 0; j < value.length && bad < 0; j++) {
          const i = got + j
          if (value[j] !== ((i * 7 + (i >> 13)) & 255)) bad = i
        }
        got += value.byteLength
      }
      report({ got, largest, bad })
    `,
      { network: LOOPBACK },
    )
    expect(r).toMatchObject({ got: TOTAL, bad: -1 })
    expect(r.largest).toBeLessThanOrEqual(256 * 1024)
  })

  it('bytes read but not yet consumed count against the runtime memory, bounded by the window', async () => {
    // The script opens a socket to a server that sends 64 MB, and reads nothing: what the runtime
    // holds for it (externalBytes) grows to the socket's window and stops there; once the script
    // reads, every byte arrives and the memory goes back down.
    const TOTAL = 64 * 1024 * 1024
    const port = await listen(
      net.createServer(async (s) => {
        const chunk = Buffer.alloc(256 * 1024, 3)
        s.on('error', () => {})
        for (let sent = 0; sent < TOTAL && !s.destroyed; sent += chunk.length) {
          if (!s.write(chunk)) await once(s, 'drain').catch(() => {})
        }
        s.end()
      }),
    )
    const { calls, customFunctions } = reporter()
    let go!: () => void
    const resumed = new Promise<void>((r) => (go = r))
    const rt = await createRuntime({
      memoryLimitMB: 32,
      network: LOOPBACK,
      customFunctions: { ...customFunctions, pause: { type: 'async', fn: () => resumed } },
    })
    const base = rt.stats().externalBytes
    const evaluating = rt.eval(
      PRELUDE +
        `
      const s = connect('127.0.0.1:${port}')
      await s.opened
      await pause()
      const rd = s.readable.getReader()
      let got = 0
      for (;;) {
        const { done, value } = await rd.read()
        if (done) break
        got += value.byteLength
      }
      report(got)
    `,
    )
    let held = 0
    for (let i = 0; i < 40; i++) {
      await sleep(25)
      held = Math.max(held, rt.stats().externalBytes - base)
    }
    // The window (4 MiB of bytes, in buffers at most twice their size) and the kept read
    // buffers (1 MiB); never the 64 MB on the way.
    expect(held).toBeGreaterThan(1024 * 1024)
    expect(held).toBeLessThan(10 * 1024 * 1024)
    go()
    await within(evaluating, 30_000, 'reading 64 MB')
    expect(calls).toEqual([TOTAL])
  }, 60_000)

  it('writes settle ahead of the network only up to a bound: a peer that does not read stalls the writer, memory stays bounded', async () => {
    // The server reads nothing until told to. The script writes 64 KiB chunks as fast as its
    // writes settle: past the kernel's buffers and the socket's write-ahead (1 MiB), they wait;
    // what the runtime holds for the socket stays bounded. Then every byte arrives, in order,
    // as it was when written.
    const CHUNKS = 1024
    let serverSide: net.Socket | undefined
    const received: Buffer[] = []
    const port = await listen(
      net.createServer((s) => {
        serverSide = s
        s.pause()
        s.on('data', (d) => received.push(d))
      }),
    )
    const { calls, customFunctions } = reporter()
    let writes = 0
    const rt = await createRuntime({
      memoryLimitMB: 64,
      network: LOOPBACK,
      customFunctions: { ...customFunctions, wrote: { type: 'sync', fn: (n: number) => (writes = n) } },
    })
    const base = rt.stats().externalBytes
    const evaluating = rt.eval(
      PRELUDE +
        `
      const s = connect('127.0.0.1:${port}')
      const w = s.writable.getWriter()
      // One buffer, refilled after each write: what was written must not change with it.
      const chunk = new Uint8Array(64 * 1024)
      for (let i = 0; i < ${CHUNKS}; i++) {
        await w.write(chunk.fill(i & 255))
        wrote(i + 1)
      }
      await w.close()
      report('done')
    `,
    )
    await within(
      (async () => {
        while (writes === 0) await sleep(5)
      })(),
      5000,
      'the first write',
    )
    await sleep(400)
    const stalled = writes
    let held = 0
    for (let i = 0; i < 10; i++) {
      await sleep(20)
      held = Math.max(held, rt.stats().externalBytes - base)
    }
    expect(writes).toBe(stalled)
    expect(stalled).toBeLessThan(CHUNKS)
    // The write-ahead (1 MiB) and the chunk waiting on it, not the 64 MB the script wants to send.
    expect(held).toBeLessThan(3 * 1024 * 1024)
    serverSide!.resume()
    await within(evaluating, 30_000, 'writing 64 MB')
    expect(calls).toEqual(['done'])
    await within(
      (async () => {
        while (received.reduce((n, b) => n + b.length, 0) < CHUNKS * 64 * 1024) await sleep(10)
      })(),
      10_000,
      'the server receiving every byte',
    )
    const all = Buffer.concat(received)
    let bad = -1
    for (let i = 0; i < CHUNKS && bad < 0; i++) {
      const at = i * 64 * 1024
      if (all[at] !== (i & 255) || all[at + 64 * 1024 - 1] !== (i & 255)) bad = i
    }
    expect(bad).toBe(-1)
  }, 60_000)

  it('disposing a runtime closes its sockets (the server sees the close)', async () => {
    let serverSide: net.Socket | undefined
    const port = await listen(net.createServer((s) => (serverSide = s)))
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({ network: LOOPBACK, customFunctions })
    await rt.eval(PRELUDE + `globalThis.s = connect('127.0.0.1:${port}'); await s.opened; report('open')`)
    expect(calls).toEqual(['open'])
    await within(
      (async () => {
        while (!serverSide) await sleep(5)
      })(),
      3000,
      'the server accepting',
    )
    const ended = once(serverSide!, 'close')
    serverSide!.resume()
    await rt.dispose()
    await within(ended, 3000, 'the server seeing the close')
  })

  it('close() flushes queued writes, then closes both streams; writes after it fail', async () => {
    const received: Buffer[] = []
    const port = await listen(
      net.createServer((s) => {
        s.on('data', (d) => received.push(d))
      }),
    )
    const [r] = await run(
      `
      const s = connect('127.0.0.1:${port}')
      const w = s.writable.getWriter()
      w.write(enc.encode('one '))
      w.write(enc.encode('two'))
      const closing = s.close()
      await closing
      const after = await errorOf(w.write(enc.encode('three')))
      const read = await s.readable.getReader().read()
      report({ after: after && after.name, readDone: read.done, closed: await errorOf(s.closed), again: await errorOf(s.close()) })
    `,
      { network: LOOPBACK },
    )
    expect(r).toEqual({ after: 'TypeError', readDone: true, closed: null, again: null })
    await within(
      (async () => {
        while (Buffer.concat(received).toString() !== 'one two') await sleep(5)
      })(),
      3000,
      'the server receiving the flushed writes',
    )
  })
})

describe('hostile input', () => {
  it('bad addresses and ports throw TypeError/RangeError with workerd-like messages', async () => {
    const [r] = await run(
      `
      const cases = ['', 'no-port', ':80', 'host:', 'a b:80', '[::1', '[::1]x80', 'h:0', 'h:65536', 'h:x', 'h:-1', 'h:1.5', '${'a'.repeat(300)}:80', 'bad/host:80']
      const objects = [{ hostname: 'h', port: 0 }, { hostname: 'h', port: 65536 }, { hostname: 'h', port: 'x' }, { hostname: 'h', port: 1.5 }, { hostname: '', port: 80 }, { hostname: Symbol('x'), port: 80 }, { port: 80 }]
      report({
        strings: cases.map((c) => thrown(() => connect(c))),
        objects: objects.map((c) => thrown(() => connect(c))),
        none: thrown(() => connect()),
        nullAddress: thrown(() => connect(null)),
        secure: thrown(() => connect('h:1', { secureTransport: 'bogus' })),
      })
    `,
      { network: LOOPBACK },
    )
    const [empty, noPort, noHost, emptyPort, space, openBracket, bracketJunk, zero, big, x, neg, frac, long, slash] = r.strings
    expect(empty).toEqual({ name: 'TypeError', message: 'Specified address is missing port.' })
    expect(noPort).toEqual({ name: 'TypeError', message: 'Specified address is missing port.' })
    expect(noHost).toEqual({ name: 'TypeError', message: 'Specified address is missing hostname.' })
    expect(emptyPort).toEqual({ name: 'TypeError', message: 'Specified address is missing port.' })
    for (const e of [space, long, slash]) {
      expect(e).toEqual({ name: 'TypeError', message: 'Specified address is empty string, contains unsupported characters or is too long.' })
    }
    for (const e of [openBracket, bracketJunk]) expect(e).toEqual({ name: 'TypeError', message: 'Specified address could not be parsed.' })
    for (const e of [zero, big, x, neg, frac]) {
      expect(e.name).toBe('RangeError')
      expect(e.message).toMatch(/^Specified address has an invalid port: .* \(a port is an integer from 1 to 65535\)$/)
    }
    const [oZero, oBig, oX, oFrac, oEmpty, oSymbol, oMissing] = r.objects
    for (const e of [oZero, oBig, oX, oFrac]) expect(e.name).toBe('RangeError')
    expect(oX.message).toContain("'x'")
    for (const e of [oEmpty, oMissing]) expect(e).toEqual({ name: 'TypeError', message: 'Specified address is missing hostname.' })
    expect(oSymbol).toEqual({ name: 'TypeError', message: 'Specified address could not be parsed.' })
    expect(r.none).toEqual({ name: 'TypeError', message: 'connect(address): 1 argument required, but only 0 present.' })
    expect(r.nullAddress.name).toBe('TypeError')
    expect(r.secure).toEqual({ name: 'TypeError', message: 'Unsupported value in secureTransport socket option: bogus' })
  })

  it('a huge write goes out in slices within the memory limit; a chunk that is not bytes or a string is a TypeError', async () => {
    let count = 0
    const port = await listen(
      net.createServer((s) => {
        s.on('data', (d) => (count += d.length))
        s.on('end', () => s.end())
      }),
    )
    const [r] = await run(
      `
      const s = connect('127.0.0.1:${port}')
      const w = s.writable.getWriter()
      await w.write(new Uint8Array(48 * 1024 * 1024))
      const bad = await errorOf(w.write(42))
      report({ bad })
      await s.close()
    `,
      { network: LOOPBACK, memoryLimitMB: 128 },
    )
    expect(r.bad).toMatchObject({ name: 'TypeError' })
    expect(r.bad.message).toContain('accepts Uint8Array')
    await within(
      (async () => {
        while (count < 48 * 1024 * 1024) await sleep(10)
      })(),
      10_000,
      'the server receiving 48 MB',
    )
    expect(count).toBe(48 * 1024 * 1024)
  })

  it('the Socket class cannot be constructed by scripts, and patched built-ins change nothing', async () => {
    const port = await echoServer()
    const [r] = await run(
      `
      const s0 = connect('127.0.0.1:${port}')
      const Socket = s0.constructor
      const illegal = thrown(() => new Socket())
      await s0.close()
      // Awaits do not look up then(); the platform must not either.
      Promise.prototype.then = function () { throw new Error('patched then') }
      Uint8Array.prototype.subarray = () => { throw new Error('patched subarray') }
      TextEncoder.prototype.encode = () => { throw new Error('patched encode') }
      ReadableByteStreamController.prototype.enqueue = () => { throw new Error('patched enqueue') }
      WritableStreamDefaultController.prototype.error = () => { throw new Error('patched error') }
      Object.defineProperty(Object.prototype, 'remoteAddress', { set() { throw new Error('setter') }, configurable: true })
      Array.prototype[Symbol.iterator] = function* () { throw new Error('patched iterator') }
      const s = connect('127.0.0.1:${port}')
      const info = await s.opened
      const w = s.writable.getWriter()
      await w.write('tamper ')
      await w.write(Uint8Array.of(112, 114, 111, 111, 102))
      await w.close()
      const text = await readText(s.readable)
      await s.closed
      report({ illegal, text, remote: info.remoteAddress })
    `,
      { network: LOOPBACK },
    )
    expect(r.illegal).toEqual({ name: 'TypeError', message: 'Illegal constructor: use connect() of cloudflare:sockets' })
    expect(r.text).toBe('tamper proof')
    expect(r.remote).toBe(`127.0.0.1:${port}`)
  })
})

// A real database driver: postgres.js (the `postgres` npm package), its workerd build bundled by
// fixtures/build.mjs, against a PostgreSQL server this test starts on a loopback port in a
// temporary data directory (Debian's `postgresql` package; .ci/run installs it). PostgreSQL
// refuses to run as root: as root, its binaries run as the `postgres` user.
describe('PostgreSQL through postgres.js', () => {
  const PASSWORD = 'sandbox-secret'
  let pg: { port: number; dir: string; run: (cmd: string, args: string[]) => void } | undefined

  beforeAll(async () => {
    const root = '/usr/lib/postgresql'
    const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
    const bin = versions.map((v) => join(root, v, 'bin')).find((b) => existsSync(join(b, 'initdb')) && existsSync(join(b, 'pg_ctl')))
    if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql (initdb and pg_ctl in /usr/lib/postgresql/*/bin)')
    const asRoot = process.getuid?.() === 0
    const dir = mkdtempSync(join(tmpdir(), 'edge-isolate-pg-'))
    const pwfile = join(dir, 'pw')
    writeFileSync(pwfile, PASSWORD + '\n')
    if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir])
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, LC_ALL: 'C' }
    const run = (cmd: string, args: string[]) => {
      const file = join(bin, cmd)
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { env, stdio: 'pipe', timeout: 60_000 })
      else execFileSync(file, args, { env, stdio: 'pipe', timeout: 60_000 })
    }
    const data = join(dir, 'data')
    run('initdb', ['-D', data, '--auth=scram-sha-256', '--username=app', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8'])
    // A free loopback port (the server binds it a moment later).
    const probe = net.createServer().listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'])
    pg = { port, dir, run }
  }, 120_000)

  afterAll(() => {
    if (!pg) return
    try {
      pg.run('pg_ctl', ['-D', join(pg.dir, 'data'), '-m', 'immediate', '-w', 'stop'])
    } finally {
      rmSync(pg.dir, { recursive: true, force: true })
    }
  })

  const client = readFileSync(new URL('./fixtures/postgres-client.bundle.mjs', import.meta.url), 'utf8')
  const withPostgres = (code: string, network: object) =>
    run(`import postgres from 'postgres'\n` + code, {
      network,
      moduleLoader: (specifier: string) => {
        if (specifier !== 'postgres') throw new Error(`unknown module ${specifier}`)
        return { code: client, filename: 'postgres-client.bundle.mjs' }
      },
    })

  it('select 1, a parameterised insert and select, a transaction and a rollback', async () => {
    const port = pg!.port
    const [r] = await withPostgres(
      `
      const sql = postgres({ host: '127.0.0.1', port: ${port}, user: 'app', password: '${PASSWORD}', database: 'postgres', max: 1, ssl: false })
      const [one] = await sql\`select 1 as one\`
      await sql\`create table items (id serial primary key, name text not null, qty int not null)\`
      await sql\`insert into items (name, qty) values (\${'apple'}, \${3}), (\${"o'reilly"}, \${-1})\`
      const apple = await sql\`select name, qty from items where name = \${'apple'}\`
      const quoted = await sql\`select qty from items where name = \${"o'reilly"}\`
      const committed = await sql.begin(async (tx) => {
        await tx\`insert into items (name, qty) values (\${'pear'}, \${5})\`
        const [{ n }] = await tx\`select count(*)::int as n from items\`
        return n
      })
      const rolledBack = await sql.begin(async (tx) => {
        await tx\`insert into items (name, qty) values (\${'kiwi'}, \${1})\`
        throw new Error('roll it back')
      }).then(() => null, (e) => e.message)
      const names = (await sql\`select name from items order by id\`).map((row) => row.name)
      const bad = await sql\`select * from no_such_table\`.then(() => null, (e) => ({ name: e.name, code: e.code }))
      await sql.end()
      report({ one: one.one, apple: [...apple], quoted: quoted[0].qty, committed, rolledBack, names, bad })
    `,
      { allowPrivateNetworks: true, allowedHosts: [`tcp://127.0.0.1:${port}`] },
    )
    expect(r).toEqual({
      one: 1,
      apple: [{ name: 'apple', qty: 3 }],
      quoted: -1,
      committed: 3,
      rolledBack: 'roll it back',
      names: ['apple', "o'reilly", 'pear'],
      bad: { name: 'PostgresError', code: '42P01' },
    })
  }, 60_000)

  it('a policy that does not list the port refuses the connection', async () => {
    const port = pg!.port
    const [r] = await withPostgres(
      `
      const sql = postgres({ host: '127.0.0.1', port: ${port}, user: 'app', password: '${PASSWORD}', database: 'postgres', max: 1, connect_timeout: 5 })
      const e = await sql\`select 1\`.then(() => null, (e) => ({ name: e.name, code: e.code, message: e.message }))
      await sql.end({ timeout: 1 })
      report(e)
    `,
      { allowPrivateNetworks: true, allowedHosts: [`tcp://127.0.0.1:${port + 1}`] },
    )
    expect(r).toMatchObject({ name: 'SocketError', code: 'ERR_POLICY' })
    expect(r.message).toContain(`127.0.0.1:${port} is not in network.allowedHosts`)
  }, 60_000)
})
