// Request (https://fetch.spec.whatwg.org/#request-class), the body mixin on requests, and
// fetch()'s argument handling; compared with Node's own where it follows the spec.
import { describe, expect, it } from 'vitest'
import { useRuntimes } from './helpers'
import { expectSameAsNode, inIsolate } from './fetch-helpers'

const createRuntime = useRuntimes()

const ATTRS = `const attrs = (r) => [r.method, r.url, r.mode, r.credentials, r.cache, r.redirect, r.referrer, r.referrerPolicy, r.integrity, r.keepalive, r.destination, r.isReloadNavigation, r.isHistoryNavigation, r.duplex, r.bodyUsed, r.body === null]\n`

describe('Request', () => {
  it('behaves like the spec (compared with Node)', async () => {
    const c = (body: string) => ATTRS + body
    await expectSameAsNode(createRuntime, {
      'defaults': c(`return attrs(new Request('https://example.com'))`),
      'url is serialized': c(`return new Request('HTTPS://EXAMPLE.com:443/a/../b?x#frag').url`),
      'URL object input': c(`return new Request(new URL('https://a.test/p')).url`),
      'relative URL throws': `new Request('/relative')`,
      'invalid URL throws': `new Request('http://')`,
      'credentials in URL throw': `new Request('https://user:pass@a.test/')`,
      'methods normalized': `return ['get', 'post', 'put', 'delete', 'head', 'options', 'patch', 'Custom'].map((m) => new Request('https://a.test/', { method: m }).method)`,
      'forbidden method CONNECT': `new Request('https://a.test/', { method: 'CONNECT' })`,
      'forbidden method trace': `new Request('https://a.test/', { method: 'trace' })`,
      'forbidden method track': `new Request('https://a.test/', { method: 'TrAcK' })`,
      'invalid method': `new Request('https://a.test/', { method: 'a b' })`,
      'init members': c(`return attrs(new Request('https://a.test/', { method: 'POST', mode: 'same-origin', credentials: 'include', cache: 'no-store', redirect: 'manual', referrer: '', referrerPolicy: 'no-referrer', integrity: 'sha256-x', keepalive: true, body: 'x' }))`),
      'referrer URL': `return new Request('https://a.test/', { referrer: 'https://ref.test/x' }).referrer`,
      'referrer about:client': `return new Request('https://a.test/', { referrer: 'about:client' }).referrer`,
      'invalid referrer': `new Request('https://a.test/', { referrer: 'no base' })`,
      'mode navigate throws': `new Request('https://a.test/', { mode: 'navigate' })`,
      'bad enum mode': `new Request('https://a.test/', { mode: 'nope' })`,
      'bad enum redirect': `new Request('https://a.test/', { redirect: 'nope' })`,
      'bad enum cache': `new Request('https://a.test/', { cache: 'nope' })`,
      'bad enum credentials': `new Request('https://a.test/', { credentials: 'nope' })`,
      'bad enum referrerPolicy': `new Request('https://a.test/', { referrerPolicy: 'nope' })`,
      'only-if-cached needs same-origin': `new Request('https://a.test/', { cache: 'only-if-cached' })`,
      'only-if-cached same-origin ok': `return new Request('https://a.test/', { cache: 'only-if-cached', mode: 'same-origin' }).cache`,
      'no-cors needs a simple method': `new Request('https://a.test/', { mode: 'no-cors', method: 'PUT' })`,
      'window must be null': `new Request('https://a.test/', { window: {} })`,
      'window null ok': `return new Request('https://a.test/', { window: null }).url`,
      'GET with body throws': `new Request('https://a.test/', { body: 'x' })`,
      'HEAD with body throws': `new Request('https://a.test/', { method: 'HEAD', body: '' })`,
      'GET with null body ok': `return new Request('https://a.test/', { body: null }).body`,
      'string body': `const r = new Request('https://a.test/', { method: 'POST', body: 'héllo' }); return [r.headers.get('content-type'), await r.text(), r.bodyUsed]`,
      'ArrayBuffer body': `const r = new Request('https://a.test/', { method: 'POST', body: new Uint8Array([1, 2]).buffer }); return [r.headers.get('content-type'), Array.from(new Uint8Array(await r.arrayBuffer()))]`,
      'typed array view body': `const r = new Request('https://a.test/', { method: 'POST', body: new Uint8Array([1, 2, 3, 4]).subarray(1, 3) }); return Array.from(new Uint8Array(await r.arrayBuffer()))`,
      'DataView body': `const r = new Request('https://a.test/', { method: 'POST', body: new DataView(new Uint8Array([5, 6, 7]).buffer, 1) }); return Array.from(new Uint8Array(await r.arrayBuffer()))`,
      'Blob body': `const r = new Request('https://a.test/', { method: 'POST', body: new Blob(['b'], { type: 'image/png' }) }); return [r.headers.get('content-type'), await r.text()]`,
      'Blob body without type': `const r = new Request('https://a.test/', { method: 'POST', body: new Blob(['b']) }); return r.headers.get('content-type')`,
      'URLSearchParams body': `const r = new Request('https://a.test/', { method: 'POST', body: new URLSearchParams('a=1&b=2 3') }); return [r.headers.get('content-type'), await r.text()]`,
      'explicit content-type wins': `const r = new Request('https://a.test/', { method: 'POST', body: 'x', headers: { 'Content-Type': 'application/custom' } }); return r.headers.get('content-type')`,
      'json body': `return await new Request('https://a.test/', { method: 'POST', body: '{"a":[1,2]}' }).json()`,
      'bad json rejects SyntaxError': `await new Request('https://a.test/', { method: 'POST', body: '{' }).json()`,
      'body used twice rejects': `const r = new Request('https://a.test/', { method: 'POST', body: 'x' }); await r.text(); await r.text()`,
      'blob() type': `const b = await new Request('https://a.test/', { method: 'POST', body: 'x', headers: { 'content-type': 'Text/Plain' } }).blob(); return [b.type, b.size]`,
      'no body': `const r = new Request('https://a.test/'); return [r.body, r.bodyUsed, await r.text(), r.bodyUsed, Array.from(new Uint8Array(await r.arrayBuffer()))]`,
      'headers init': `return [...new Request('https://a.test/', { headers: [['X-A', '1'], ['x-b', '2']] }).headers]`,
      'copy from Request': c(`
        const a = new Request('https://a.test/x', { method: 'PUT', headers: { 'x-a': '1' }, body: 'abc', redirect: 'manual', cache: 'no-cache', integrity: 'i', keepalive: false, referrerPolicy: 'origin' })
        const b = new Request(a)
        return [attrs(b), [...b.headers], a.bodyUsed, await b.text()]`),
      'copy from Request with init': c(`
        const a = new Request('https://a.test/x', { method: 'POST', headers: { 'x-a': '1' }, body: 'abc', redirect: 'manual' })
        const b = new Request(a, { method: 'PATCH', headers: { 'x-b': '2' } })
        return [attrs(b), [...b.headers], await b.text()]`),
      'copy from Request with init resets referrer': `const a = new Request('https://a.test/', { referrer: 'https://r.test/', referrerPolicy: 'origin' }); const b = new Request(a, { method: 'GET' }); return [new Request(a).referrer, b.referrer, b.referrerPolicy]`,
      'copy from used Request throws': `const a = new Request('https://a.test/', { method: 'POST', body: 'x' }); await a.text(); new Request(a)`,
      'copy GET from POST with body throws': `const a = new Request('https://a.test/', { method: 'POST', body: 'x' }); new Request(a, { method: 'GET' })`,
      'copy with new body leaves input': `const a = new Request('https://a.test/', { method: 'POST', body: 'x' }); const b = new Request(a, { body: 'y' }); return [a.bodyUsed, await a.text(), await b.text()]`,
      'clone': c(`
        const a = new Request('https://a.test/', { method: 'POST', body: 'data', headers: { 'x-a': '1' } })
        const b = a.clone()
        b.headers.set('x-a', '2')
        return [attrs(b), a.headers.get('x-a'), await a.text(), await b.text()]`),
      'clone after use throws': `const a = new Request('https://a.test/', { method: 'POST', body: 'x' }); await a.text(); a.clone()`,
      'stream body needs duplex': `new Request('https://a.test/', { method: 'POST', body: new ReadableStream() })`,
      'stream body with duplex': `const r = new Request('https://a.test/', { method: 'POST', duplex: 'half', body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('st')); c.enqueue(new TextEncoder().encode('ream')); c.close() } }) }); return [r.headers.get('content-type'), await r.text()]`,
      'bad duplex': `new Request('https://a.test/', { method: 'POST', body: 'x', duplex: 'full' })`,
      'keepalive with stream body throws': `new Request('https://a.test/', { method: 'POST', keepalive: true, duplex: 'half', body: new ReadableStream() })`,
      'locked stream body throws': `const s = new ReadableStream(); s.getReader(); new Request('https://a.test/', { method: 'POST', duplex: 'half', body: s })`,
      'signal defaults': `const r = new Request('https://a.test/'); return [r.signal instanceof AbortSignal, r.signal.aborted, r.signal === r.signal]`,
      'signal follows init.signal': `const c = new AbortController(); const r = new Request('https://a.test/', { signal: c.signal }); const before = r.signal.aborted; c.abort('why'); return [before, r.signal.aborted, r.signal.reason, r.signal !== c.signal]`,
      'signal already aborted': `const r = new Request('https://a.test/', { signal: AbortSignal.abort('r') }); return [r.signal.aborted, r.signal.reason]`,
      'signal follows input request': `const c = new AbortController(); const a = new Request('https://a.test/', { signal: c.signal }); const b = new Request(a); const d = a.clone(); c.abort(); return [b.signal.aborted, d.signal.aborted]`,
      'signal null in init drops input signal': `const c = new AbortController(); const a = new Request('https://a.test/', { signal: c.signal }); const b = new Request(a, { signal: null }); c.abort(); return b.signal.aborted`,
      'signal must be an AbortSignal': `new Request('https://a.test/', { signal: {} })`,
      'no arguments': `new Request()`,
      'init must be an object': `new Request('https://a.test/', 5)`,
      'toStringTag and names': `return [Object.prototype.toString.call(new Request('https://a.test/')), Request.name, new Request('https://a.test/').constructor.name, Request.length]`,
    })
  })

  it('keeps bodies lazy and reads large bodies fast', async () => {
    const calls = await inIsolate(createRuntime, `
      const big = 'x'.repeat(1 << 20) + 'é'
      const t0 = performance.now()
      for (let i = 0; i < 20; i++) {
        const r = new Request('https://a.test/', { method: 'POST', body: new TextEncoder().encode(big) })
        check((await r.text()).length === big.length, 'length')
      }
      report('ms per MB', (performance.now() - t0) / 20)
      const r = new Request('https://a.test/', { method: 'POST', body: big })
      const s = r.body
      report('stream', [s instanceof ReadableStream, r.body === s, r.bodyUsed])
      report('text via stream', (await r.text()) === big)
      report('used', r.bodyUsed)
      const u = new Request('https://a.test/', { method: 'POST', body: 'abc' })
      await u.text()
      report('body after use', [u.body instanceof ReadableStream, u.body.locked, u.bodyUsed])
      const bytes = await new Request('https://a.test/', { method: 'POST', body: 'hé' }).bytes()
      report('bytes', [bytes instanceof Uint8Array, Array.from(bytes)])
    `)
    const got = Object.fromEntries(calls)
    expect(got['ms per MB']).toBeLessThan(50)
    expect(got).toMatchObject({
      stream: [true, true, false],
      'text via stream': true,
      used: true,
      'body after use': [true, true, true],
      bytes: [true, [104, 195, 169]],
    })
  })

  it('has the WebIDL shape and brand checks', async () => {
    const calls = await inIsolate(createRuntime, `
      const err = (f) => { try { f(); return 'none' } catch (e) { return e.constructor.name } }
      report('proto', Object.getOwnPropertyNames(Request.prototype).sort())
      report('getter brand', err(() => Object.getOwnPropertyDescriptor(Request.prototype, 'url').get.call({})))
      report('text brand', await Request.prototype.text.call(new Response('x')).then((t) => t, (e) => e.constructor.name))
      report('clone brand', err(() => Request.prototype.clone.call(new Response('x'))))
      class MyRequest extends Request { get path() { return new URL(this.url).pathname } }
      const m = new MyRequest('https://a.test/p/q', { method: 'POST', body: 'z' })
      report('subclass', [m.path, m instanceof Request, await m.text()])
      report('global', Object.getOwnPropertyDescriptor(globalThis, 'Request').enumerable)
    `)
    expect(Object.fromEntries(calls)).toEqual({
      proto: ['arrayBuffer', 'blob', 'body', 'bodyUsed', 'bytes', 'cache', 'clone', 'constructor', 'credentials', 'destination', 'duplex',
        'formData', 'headers', 'integrity', 'isHistoryNavigation', 'isReloadNavigation', 'json', 'keepalive', 'method', 'mode',
        'redirect', 'referrer', 'referrerPolicy', 'signal', 'text', 'url'],
      'getter brand': 'TypeError',
      'text brand': 'x',
      'clone brand': 'TypeError',
      subclass: ['/p/q', true, 'z'],
      global: false,
    })
  })
})

describe('fetch()', () => {
  it('builds the Request, then rejects: networking is off', async () => {
    const calls = await inIsolate(createRuntime, `
      const outcome = (p) => p.then(() => 'resolved', (e) => [e.constructor.name, e.message])
      const p = fetch('/relative')
      report('returns a promise', p instanceof Promise)
      report('bad url', await outcome(p))
      report('bad method', await outcome(fetch('https://a.test/', { method: 'CONNECT' })))
      report('GET with body', await outcome(fetch('https://a.test/', { body: 'x' })))
      report('no args', await outcome(fetch()))
      report('aborted', await outcome(fetch('https://a.test/', { signal: AbortSignal.abort(new TypeError('stop')) })))
      report('disabled', await outcome(fetch('https://a.test/')))
      report('request input', await outcome(fetch(new Request('https://a.test/'))))
      report('shape', [fetch.name, fetch.length, Object.getOwnPropertyDescriptor(globalThis, 'fetch').enumerable])
    `)
    const disabled = ['TypeError', 'network access is disabled: pass onFetch or network to createRuntime']
    expect(Object.fromEntries(calls)).toEqual({
      'returns a promise': true,
      'bad url': ['TypeError', expect.stringContaining('/relative')],
      'bad method': ['TypeError', expect.any(String)],
      'GET with body': ['TypeError', expect.any(String)],
      'no args': ['TypeError', expect.any(String)],
      aborted: ['TypeError', 'stop'],
      disabled,
      'request input': disabled,
      shape: ['fetch', 1, false],
    })
  })
})
