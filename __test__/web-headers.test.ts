// Headers (https://fetch.spec.whatwg.org/#headers-class), compared with Node's own where it
// follows the spec, plus what Node cannot show (guards, brand checks).
import { describe, expect, it } from 'vitest'
import { useRuntimes } from './helpers'
import { expectSameAsNode, inIsolate } from './fetch-helpers'

const createRuntime = useRuntimes()

describe('Headers', () => {
  it('behaves like the spec (compared with Node)', async () => {
    await expectSameAsNode(createRuntime, {
      'case-insensitive get/has': `const h = new Headers({ 'Content-Type': 'a/b' }); return [h.get('content-type'), h.get('CONTENT-TYPE'), h.has('Content-type'), h.has('x')]`,
      'missing → null': `return new Headers().get('x')`,
      'append combines': `const h = new Headers(); h.append('X-A', '1'); h.append('x-a', '2'); return h.get('x-a')`,
      'set replaces': `const h = new Headers([['a', '1'], ['a', '2']]); h.set('A', '3'); return [...h]`,
      'delete': `const h = new Headers({ a: '1', b: '2' }); h.delete('A'); return [...h]`,
      'values are normalized': `const h = new Headers(); h.append('a', ' \\t x y \\r\\n'); return h.get('a')`,
      'sorted lowercase iteration': `return [...new Headers([['Zeta', '1'], ['alpha', '2'], ['Beta', '3'], ['alpha', '4']])]`,
      'keys and values': `const h = new Headers({ B: '1', a: '2' }); return [[...h.keys()], [...h.values()], [...h.entries()]]`,
      'set-cookie kept separate': `const h = new Headers(); h.append('Set-Cookie', 'a=1'); h.append('set-cookie', 'b=2, c=3'); h.append('x', 'y'); return [[...h], h.get('set-cookie'), h.getSetCookie()]`,
      'getSetCookie empty': `return new Headers({ a: 'b' }).getSetCookie()`,
      'forEach': `const out = []; new Headers({ b: '2', a: '1' }).forEach(function (v, k, h) { out.push([k, v, h instanceof Headers]) }); return out`,
      'from Headers': `const a = new Headers({ x: '1' }); a.append('set-cookie', 'p'); a.append('set-cookie', 'q'); const b = new Headers(a); a.set('x', '2'); return [...b]`,
      'record with a symbol key throws': `new Headers({ a: '1', [Symbol('s')]: 'x' })`,
      'from iterable of iterables': `return [...new Headers(new Map([['a', '1'], ['b', '2']]))]`,
      'invalid name throws': `new Headers().append('bad name', 'x')`,
      'empty name throws': `new Headers().append('', 'x')`,
      'non-token name throws': `new Headers({ 'a:b': 'x' })`,
      'invalid value throws (LF inside)': `new Headers().set('a', 'x\\ny')`,
      'invalid value throws (NUL)': `new Headers().set('a', 'x\\0y')`,
      'non-ByteString value throws': `new Headers().set('a', '€')`,
      'latin1 value ok': `return new Headers({ a: 'café' }).get('a')`,
      'pair of wrong length throws': `new Headers([['a', 'b', 'c']])`,
      'non-pair item throws': `new Headers(['ab'])`,
      'primitive init throws': `new Headers('a')`,
      'null init throws': `new Headers(null)`,
      'get of invalid name throws': `new Headers().get('a b')`,
      'numbers converted': `return [...new Headers([[1, 2]])]`,
      'iterator is live': `const h = new Headers({ a: '1' }); const it = h.keys(); h.append('b', '2'); return [...it]`,
      'mutation during iteration': `const h = new Headers({ a: '1', c: '3' }); const seen = []; for (const [k] of h) { seen.push(k); if (k === 'a') h.append('b', '2') } return seen`,
      'toStringTag': `return [Object.prototype.toString.call(new Headers()), Object.prototype.toString.call(new Headers().entries())]`,
      'constructor.name': `return [Headers.name, new Headers().constructor.name, Headers.length]`,
      'no forbidden-header filtering in Request': `return [...new Request('https://a.test/', { headers: { host: 'x', cookie: 'c', 'content-length': '3', connection: 'close' } }).headers]`,
      'missing argument': `new Headers().append('a')`,
    })
  })

  it('guards, brand checks and prototype shape', async () => {
    const calls = await inIsolate(createRuntime, `
      const err = (f) => { try { f(); return 'none' } catch (e) { return e.constructor.name } }
      const imm = Response.error().headers
      report('immutable', [err(() => imm.set('a', 'b')), err(() => imm.append('a', 'b')), err(() => imm.delete('a')), imm.get('a')])
      const r = Response.redirect('https://a.test/', 301)
      report('redirect immutable', [r.headers.get('location'), err(() => r.headers.set('x', 'y'))])
      report('mutable response headers', err(() => new Response('x').headers.set('a', 'b')))
      report('brand', [err(() => Headers.prototype.get.call({}, 'a')), err(() => Headers.prototype.entries.call([]))])
      const proto = Object.getOwnPropertyNames(Headers.prototype).sort()
      report('proto', proto)
      report('enumerable', Object.getOwnPropertyDescriptor(Headers.prototype, 'get').enumerable)
      report('iterator', Headers.prototype[Symbol.iterator] === Headers.prototype.entries)
      report('iter proto', Object.getPrototypeOf(Object.getPrototypeOf(new Headers().keys())) === Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())))
      report('global', Object.getOwnPropertyDescriptor(globalThis, 'Headers').enumerable)
      class MyHeaders extends Headers { x() { return this.get('a') } }
      // WebIDL records skip non-enumerable keys before converting them (Node throws here).
      const o = { a: '1' }
      Object.defineProperty(o, Symbol('s'), { value: 'h', enumerable: false })
      Object.defineProperty(o, 'hidden', { value: 'h', enumerable: false })
      report('non-enumerable symbol', [...new Headers(o)])
      report('subclass', new MyHeaders({ a: '1' }).x())
    `)
    expect(Object.fromEntries(calls)).toEqual({
      immutable: ['TypeError', 'TypeError', 'TypeError', null],
      'redirect immutable': ['https://a.test/', 'TypeError'],
      'mutable response headers': 'none',
      brand: ['TypeError', 'TypeError'],
      proto: ['append', 'constructor', 'delete', 'entries', 'forEach', 'get', 'getSetCookie', 'has', 'keys', 'set', 'values'],
      enumerable: true,
      iterator: true,
      'iter proto': true,
      global: false,
      subclass: '1',
      'non-enumerable symbol': [['a', '1']],
    })
  })
})
