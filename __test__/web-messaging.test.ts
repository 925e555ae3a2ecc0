// MessageChannel, MessagePort and BroadcastChannel inside the isolate
// (https://html.spec.whatwg.org/multipage/web-messaging.html). Expected values are the standard's.
import { describe, expect, it } from 'vitest'
import { reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function run(code: string) {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({ customFunctions, executionTimeout: 5000 })
  await r.eval(code)
  return calls
}

describe('MessageChannel', () => {
  it('delivers structured clones, in order, one task each, after start()', async () => {
    const calls = await run(`
      const { port1, port2 } = new MessageChannel()
      const msg = { a: [1, 2], d: new Date(0), m: new Map([[1, 'x']]) }
      port1.postMessage(msg)
      port1.postMessage('second')
      const got = []
      port2.addEventListener('message', (e) => {
        got.push(e.data)
        // A microtask queued by one delivery runs before the next delivery (a task each).
        Promise.resolve().then(() => got.push('micro'))
      })
      await new Promise((r) => setTimeout(r, 20))
      report(got.length) // addEventListener does not start the port
      port2.start()
      await new Promise((r) => setTimeout(r, 20))
      report([got[0] !== msg, got[0].a, got[0].d instanceof Date, got[0].m.get(1), got[1], got[2], got[3]])
    `)
    expect(calls).toEqual([0, [true, [1, 2], true, 'x', 'micro', 'second', 'micro']])
  })

  it('setting onmessage starts the port; events are trusted MessageEvents', async () => {
    const calls = await run(`
      const c = new MessageChannel()
      await new Promise((resolve) => {
        c.port2.onmessage = (e) => {
          report([e instanceof MessageEvent, e.isTrusted, e.type, e.data, e.origin, e.source, e.ports.length, Object.isFrozen(e.ports), e.target === c.port2])
          resolve()
        }
        c.port1.postMessage('hi')
      })
    `)
    expect(calls).toEqual([[true, true, 'message', 'hi', '', null, 0, true, true]])
  })

  it('transfers ArrayBuffers (detached at the sender) and MessagePorts', async () => {
    const calls = await run(`
      const { port1, port2 } = new MessageChannel()
      const other = new MessageChannel()
      const buf = new Uint8Array([1, 2, 3]).buffer
      port1.postMessage({ buf }, { transfer: [buf, other.port2] })
      report([buf.byteLength, buf.detached])
      const e = await new Promise((r) => { port2.onmessage = r })
      report([Array.from(new Uint8Array(e.data.buf)), e.ports.length, e.ports[0] instanceof MessagePort, e.ports[0] === other.port2])
      // The transferred port is still entangled with other.port1.
      const echoed = new Promise((r) => { other.port1.onmessage = (m) => r(m.data) })
      e.ports[0].postMessage('through the moved port')
      report(await echoed)
      // The old object is detached: transferring it again is a DataCloneError.
      try { port1.postMessage(null, [other.port2]) } catch (x) { report([x.name, x instanceof DOMException]) }
    `)
    expect(calls).toEqual([[0, true], [[1, 2, 3], 1, true, false], 'through the moved port', ['DataCloneError', true]])
  })

  it('refuses what cannot be cloned or transferred with DataCloneError', async () => {
    const calls = await run(`
      const { port1 } = new MessageChannel()
      const names = []
      const attempt = (f) => { try { f(); names.push('ok') } catch (e) { names.push(e.name) } }
      attempt(() => port1.postMessage(() => 1))                      // a function
      attempt(() => port1.postMessage(null, [port1]))                // the source port
      const b = new ArrayBuffer(1)
      attempt(() => port1.postMessage(null, [b, b]))                 // twice
      attempt(() => port1.postMessage(null, [{}]))                   // not transferable
      attempt(() => port1.postMessage(null, 5))                      // not a sequence or dictionary
      attempt(() => port1.postMessage())                             // no message
      attempt(() => new MessagePort())
      report(names)
      report(b.byteLength) // nothing was transferred by the failed calls
    `)
    expect(calls).toEqual([['DataCloneError', 'DataCloneError', 'DataCloneError', 'DataCloneError', 'TypeError', 'TypeError', 'TypeError'], 1])
  })

  it('close(): later messages are dropped both ways, queued ones still arrive, both sides get close', async () => {
    const calls = await run(`
      const { port1, port2 } = new MessageChannel()
      const got = []
      port2.onmessage = (e) => got.push(e.data)
      port1.postMessage('before')
      port1.close()
      port1.postMessage('after close')
      port2.postMessage('to a closed port')
      const closes = []
      port1.onclose = () => closes.push('port1')
      port2.onclose = () => closes.push('port2')
      await new Promise((r) => setTimeout(r, 30))
      report(got)
      report(closes.sort())
    `)
    expect(calls).toEqual([['before'], ['port1', 'port2']])
  })
})

describe('BroadcastChannel', () => {
  it('delivers to the other open channels of the same name, in creation order', async () => {
    const calls = await run(`
      const a = new BroadcastChannel('room'), b = new BroadcastChannel('room'), c = new BroadcastChannel('room')
      const other = new BroadcastChannel('elsewhere')
      const events = []
      for (const [n, ch] of [['a', a], ['b', b], ['c', c], ['other', other]]) ch.onmessage = (e) => events.push(n + ':' + e.data + ':' + e.isTrusted)
      a.postMessage('1')
      c.postMessage('2')
      b.close()
      await new Promise((r) => setTimeout(r, 30))
      report(events)
      report([a.name, b.name])
      try { b.postMessage('x') } catch (e) { report(e.name) }
      try { new BroadcastChannel() } catch (e) { report(e.name) }
    `)
    // b closed before the tasks ran: its deliveries are dropped.
    expect(calls).toEqual([['c:1:true', 'a:2:true'], ['room', 'room'], 'InvalidStateError', 'TypeError'])
  })
})

describe('messaging limits', () => {
  it('a port queue filled in a loop ends in MemoryLimitError; the host lives on', async () => {
    const r = await createRuntime({ memoryLimitMB: 16, executionTimeout: 10_000 })
    await expect(r.eval(`const { port1 } = new MessageChannel(); const s = 'x'.repeat(1000); for (let i = 0; ; i++) port1.postMessage({ s: s + i })`)).rejects.toMatchObject({
      name: 'MemoryLimitError',
    })
    const ok = await run(`const c = new MessageChannel(); c.port1.postMessage(1); report(await new Promise((r) => { c.port2.onmessage = (e) => r(e.data) }))`)
    expect(ok).toEqual([1])
  })
})

describe('structuredClone with transfer', () => {
  it('detaches transferred ArrayBuffers; the clone owns their bytes', async () => {
    const calls = await run(`
      const buf = new Uint8Array([1, 2, 3, 4]).buffer
      const out = structuredClone({ b: buf, same: buf }, { transfer: [buf] })
      report([buf.byteLength, buf.detached, out.b.byteLength, [...new Uint8Array(out.b)], out.b === out.same])
      const plain = new ArrayBuffer(2)
      structuredClone(plain)
      structuredClone(plain, {})
      structuredClone(plain, { transfer: [] })
      report(plain.byteLength)
    `)
    expect(calls).toEqual([[0, true, 4, [1, 2, 3, 4], true], 2])
  })

  it('refuses bad transfer lists with the standard errors', async () => {
    const calls = await run(`
      const name = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      const buf = new ArrayBuffer(1)
      const detached = new ArrayBuffer(1); structuredClone(detached, { transfer: [detached] })
      report([
        name(() => structuredClone(1, { transfer: [buf, buf] })),
        name(() => structuredClone(1, { transfer: [{}] })),
        name(() => structuredClone(1, { transfer: [detached] })),
        name(() => structuredClone(1, { transfer: 5 })),
        name(() => structuredClone(1, { transfer: [1] })),
        name(() => structuredClone(1, 5)),
        name(() => structuredClone()),
        buf.byteLength,
      ])
    `)
    expect(calls).toEqual([['DataCloneError', 'DataCloneError', 'DataCloneError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 1]])
  })
})

// https://html.spec.whatwg.org/multipage/structured-data.html#serializable-objects
describe('structuredClone of platform objects', () => {
  it('clones Blob and File with their bytes, type, name and lastModified, keeping identity inside the value', async () => {
    const calls = await run(`
      const blob = new Blob(['h\\u00e9', new Uint8Array([0, 255])], { type: 'Text/Plain' })
      class MyFile extends File {}
      const file = new MyFile(['abc'], 'a.txt', { type: 'text/x', lastModified: 42 })
      const out = structuredClone({ blob, again: blob, file, list: [blob] })
      report([
        out.blob instanceof Blob, out.blob !== blob, out.blob === out.again, out.list[0] === out.blob,
        out.blob.type, out.blob.size, [...new Uint8Array(await out.blob.arrayBuffer())],
        Object.getPrototypeOf(out.file) === File.prototype, out.file.name, out.file.type, out.file.lastModified, await out.file.text(),
      ])
      // An ordinary object made from Blob.prototype is no Blob: it clones as a plain object.
      const fake = structuredClone(Object.create(Blob.prototype))
      report([Object.getPrototypeOf(fake) === Object.prototype])
      // The interface deleted from the global: the clone is still a Blob.
      const B = globalThis.Blob
      delete globalThis.Blob
      const c = structuredClone(new B(['x']))
      globalThis.Blob = B
      report([c instanceof B, await c.text()])
    `)
    expect(calls).toEqual([
      [true, true, true, true, 'text/plain', 5, [0x68, 0xc3, 0xa9, 0, 255], true, 'a.txt', 'text/x', 42, 'abc'],
      [true],
      [true, 'x'],
    ])
  })

  it('posts a Blob through a MessagePort as a Blob', async () => {
    const calls = await run(`
      const { port1, port2 } = new MessageChannel()
      port1.postMessage(new Blob(['ping'], { type: 'a/b' }))
      const e = await new Promise((r) => { port2.onmessage = r })
      report([e.data instanceof Blob, e.data.type, await e.data.text()])
    `)
    expect(calls).toEqual([[true, 'a/b', 'ping']])
  })

  it('clones a CryptoKey that still works', async () => {
    const calls = await run(`
      const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
      const copy = structuredClone(key)
      const data = new Uint8Array([1, 2, 3])
      const sig = await crypto.subtle.sign('HMAC', key, data)
      report([copy instanceof CryptoKey, copy !== key, copy.type, copy.extractable, copy.algorithm.name, copy.usages.join(), await crypto.subtle.verify('HMAC', copy, sig, data)])
    `)
    expect(calls).toEqual([[true, true, 'secret', false, 'HMAC', 'sign,verify', true]])
  })

  it('throws DataCloneError for platform objects that are not serializable', async () => {
    const calls = await run(`
      const name = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      report([
        name(() => structuredClone(new Response('x'))),
        name(() => structuredClone({ r: new Request('http://a.test/') })),
        name(() => structuredClone([new Headers()])),
        name(() => structuredClone(new EventTarget())),
        name(() => structuredClone(new Event('x'))),
        name(() => structuredClone(new MessageChannel().port1)),
        name(() => new MessageChannel().port1.postMessage(new Response(''))),
        name(() => structuredClone(new Blob(), { transfer: [new Blob()] })),
      ])
    `)
    expect(calls).toEqual([['DataCloneError', 'DataCloneError', 'DataCloneError', 'DataCloneError', 'DataCloneError', 'DataCloneError', 'DataCloneError', 'DataCloneError']])
  })

  it('transfers MessagePorts with structuredClone and inside posted values', async () => {
    const calls = await run(`
      const name = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      const { port1, port2 } = new MessageChannel()
      const moved = structuredClone({ p: port2 }, { transfer: [port2] }).p
      const got = new Promise((r) => { port1.onmessage = (e) => r(e.data) })
      moved.postMessage('via the new port')
      report([moved instanceof MessagePort, moved !== port2, await got, name(() => structuredClone(port2, { transfer: [port2] }))])
      // A port inside a posted value arrives as the same object as in event.ports.
      const a = new MessageChannel(), b = new MessageChannel()
      a.port1.postMessage({ port: b.port2 }, [b.port2])
      const e = await new Promise((r) => { a.port2.onmessage = r })
      const echo = new Promise((r) => { b.port1.onmessage = (m) => r(m.data) })
      e.data.port.postMessage('hello')
      report([e.data.port === e.ports[0], await echo])
    `)
    expect(calls).toEqual([[true, true, 'via the new port', 'DataCloneError'], [true, 'hello']])
  })
})
