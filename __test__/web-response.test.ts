// Response (https://fetch.spec.whatwg.org/#response-class) and the body mixin on responses;
// compared with Node's own where it follows the spec.
import { describe, expect, it } from 'vitest'
import { useRuntimes } from './helpers'
import { expectSameAsNode, inIsolate } from './fetch-helpers'

const createRuntime = useRuntimes()

const ATTRS = `const attrs = (r) => [r.type, r.url, r.redirected, r.status, r.ok, r.statusText, [...r.headers], r.bodyUsed, r.body === null]\n`

describe('Response', () => {
  it('behaves like the spec (compared with Node)', async () => {
    const c = (body: string) => ATTRS + body
    await expectSameAsNode(createRuntime, {
      'defaults': c(`return attrs(new Response())`),
      'null body': c(`const r = new Response(null); return [attrs(r), await r.text()]`),
      'string body': c(`const r = new Response('héllo'); return [attrs(r), await r.text(), r.bodyUsed]`),
      'init': c(`return attrs(new Response('x', { status: 201, statusText: 'Created', headers: { 'X-A': '1' } }))`),
      'ok range': `return [200, 299, 300, 404, 599].map((status) => new Response(null, { status }).ok)`,
      'status below 200': `new Response(null, { status: 199 })`,
      'status above 599': `new Response(null, { status: 600 })`,
      'status 0': `new Response(null, { status: 0 })`,
      'status is unsigned short': `return new Response(null, { status: 65736 }).status`,
      'statusText with CR': `new Response(null, { statusText: 'a\\rb' })`,
      'statusText non-latin1': `new Response(null, { statusText: '€' })`,
      'statusText latin1 ok': `return new Response(null, { statusText: 'Café\\t!' }).statusText`,
      'null body status 204 with body': `new Response('x', { status: 204 })`,
      'null body status 304 with body': `new Response('', { status: 304 })`,
      'null body status 205 with body': `new Response(new Uint8Array(0), { status: 205 })`,
      'null body status with null ok': `return [101, 103, 204, 205, 304].filter((s) => s >= 200).map((status) => new Response(null, { status }).status)`,
      'body kinds': `
        const kinds = [new Uint8Array([1, 2]), new Uint8Array([1, 2]).buffer, new DataView(new Uint8Array([3]).buffer), new Blob(['b'], { type: 'x/y' }), new URLSearchParams('a=b'), 'str', 42]
        const out = []
        for (const k of kinds) { const r = new Response(k); out.push([r.headers.get('content-type'), Array.from(new Uint8Array(await r.arrayBuffer()))]) }
        return out`,
      'json()': `return await new Response('{"a":1,"b":[true,null]}').json()`,
      'json() bad': `await new Response('nope').json()`,
      'json() empty': `await new Response('').json()`,
      'text() strips a BOM from a string body': `return await new Response('\\ufeffa\\ufeff').text()`,
      'json() strips BOM': `return await new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x31])).json()`,
      'text() decodes with replacement': `return await new Response(new Uint8Array([0x61, 0xc3, 0x28, 0xe2, 0x82])).text()`,
      'blob()': `const b = await new Response('abc', { headers: { 'content-type': 'Application/Foo' } }).blob(); return [b.type, b.size, await b.text(), b instanceof Blob]`,
      'blob() without type': `return (await new Response(new Uint8Array([1])).blob()).type`,
      'body used twice': `const r = new Response('x'); await r.arrayBuffer(); await r.blob()`,
      'body after read is locked and used': `const r = new Response('x'); await r.text(); return [r.body instanceof ReadableStream, r.body.locked, r.bodyUsed]`,
      'stream body after read': `const r = new Response(new Blob(['x']).stream()); await r.text(); return [r.body.locked, r.bodyUsed]`,
      'body handed to a new Response': `const a = new Response('abc'); const s = a.body; const b = new Response(s); return [a.bodyUsed, s.locked, await b.text(), a.bodyUsed]`,
      'bodyUsed after read': `const r = new Response('x'); await r.text(); return r.bodyUsed`,
      'Response.json': c(`const r = Response.json({ a: 1, s: 'é' }, { status: 202, headers: { 'x-a': '1' } }); return [attrs(r), await r.text()]`),
      'Response.json keeps content-type': `return Response.json(1, { headers: { 'content-type': 'application/vnd.x+json' } }).headers.get('content-type')`,
      'Response.json undefined': `Response.json(undefined)`,
      'Response.json symbol': `Response.json(Symbol())`,
      'Response.json BigInt': `Response.json(1n)`,
      'Response.json with 204': `Response.json({}, { status: 204 })`,
      'Response.redirect': c(`return attrs(Response.redirect('https://a.test/x?y', 307))`),
      'Response.redirect default 302': `return Response.redirect('https://a.test/').status`,
      'Response.redirect statuses': `return [301, 302, 303, 307, 308].map((s) => Response.redirect('https://a.test/', s).status)`,
      'Response.redirect bad status': `Response.redirect('https://a.test/', 200)`,
      'Response.redirect relative URL': `Response.redirect('/x')`,
      'Response.redirect serializes URL': `return Response.redirect('HTTPS://A.test/../b').headers.get('location')`,
      'Response.error': c(`return attrs(Response.error())`),
      'clone': c(`
        const a = new Response('data', { status: 201, headers: { 'x-a': '1' } })
        const b = a.clone()
        b.headers.set('x-a', '2')
        return [attrs(b), a.headers.get('x-a'), await a.text(), await b.text()]`),
      'clone of error': `return Response.error().clone().type`,
      'clone after use': `const r = new Response('x'); await r.text(); r.clone()`,
      'stream body': `const r = new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('a')); c.enqueue(new TextEncoder().encode('b')); c.close() } })); return [r.headers.get('content-type'), await r.text()]`,
      'stream body clone': `const r = new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('tee')); c.close() } })); const c2 = r.clone(); return [await r.text(), await c2.text()]`,
      'stream of non-bytes rejects': `await new Response(new ReadableStream({ start(c) { c.enqueue('str'); c.close() } })).text()`,
      'locked stream body': `const s = new ReadableStream(); s.getReader(); new Response(s)`,
      'body locked by reader': `const r = new Response('x'); r.body.getReader(); await r.text()`,
      'body locked: bodyUsed stays false': `const r = new Response('x'); r.body.getReader(); return r.bodyUsed`,
      'body read by reader': `const r = new Response('xy'); const rd = r.body.getReader(); const chunks = []; for (;;) { const { value, done } = await rd.read(); if (done) break; chunks.push(...value) } return [chunks, r.bodyUsed]`,
      'clone when locked': `const r = new Response('x'); r.body.getReader(); r.clone()`,
      'headers guard response: any header allowed': `const r = new Response(); r.headers.set('set-cookie', 'a=1'); r.headers.append('set-cookie', 'b=2'); return r.headers.getSetCookie()`,
      'init must be an object': `new Response('x', 5)`,
      'toStringTag and names': `return [Object.prototype.toString.call(new Response()), Response.name, new Response().constructor.name, Response.length]`,
    })
  })

  it('keeps bodies lazy, bytes(), large bodies', async () => {
    const calls = await inIsolate(createRuntime, `
      const big = 'é'.repeat(1 << 19)
      const t0 = performance.now()
      for (let i = 0; i < 20; i++) {
        const r = new Response(new Blob([big]))
        check((await r.text()) === big, 'text')
      }
      report('ms per MB', (performance.now() - t0) / 20)
      const r = new Response('abc')
      const bytes = await r.bytes()
      report('bytes', [bytes instanceof Uint8Array, Array.from(bytes), r.bodyUsed])
      const c = new Response('shared')
      const d = c.clone()
      const cb = await c.bytes()
      cb[0] = 0
      report('clone independent', await d.text())
      report('json roundtrip', await Response.json({ k: [1, 'x'] }).json())
      report('error body', [Response.error().body, await Response.error().text()])
    `)
    const got = Object.fromEntries(calls)
    expect(got['ms per MB']).toBeLessThan(50)
    expect(got).toMatchObject({
      bytes: [true, [97, 98, 99], true],
      'clone independent': 'shared',
      'json roundtrip': { k: [1, 'x'] },
      'error body': [null, ''],
    })
  })

  it('has the WebIDL shape and brand checks', async () => {
    const calls = await inIsolate(createRuntime, `
      const err = (f) => { try { f(); return 'none' } catch (e) { return e.constructor.name } }
      report('proto', Object.getOwnPropertyNames(Response.prototype).sort())
      report('statics', ['error', 'json', 'redirect'].map((k) => typeof Response[k]))
      report('getter brand', err(() => Object.getOwnPropertyDescriptor(Response.prototype, 'status').get.call({})))
      report('json brand', await Response.prototype.json.call({}).then(() => 'resolved', (e) => e.constructor.name))
      class MyResponse extends Response { get extra() { return this.status } }
      const m = new MyResponse('z', { status: 203 })
      report('subclass', [m.extra, m instanceof Response, await m.text(), m.constructor.name])
      report('global', Object.getOwnPropertyDescriptor(globalThis, 'Response').enumerable)
    `)
    expect(Object.fromEntries(calls)).toEqual({
      proto: ['arrayBuffer', 'blob', 'body', 'bodyUsed', 'bytes', 'clone', 'constructor', 'formData', 'headers', 'json', 'ok', 'redirected',
        'status', 'statusText', 'text', 'type', 'url'],
      statics: ['function', 'function', 'function'],
      'getter brand': 'TypeError',
      'json brand': 'TypeError',
      subclass: [203, true, 'z', 'MyResponse'],
      global: false,
    })
  })
})
