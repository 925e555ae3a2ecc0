// URLPattern inside the isolate (https://urlpattern.spec.whatwg.org/). Expected values are the
// standard's (its examples and the algorithms' results), not read from the host.
import { describe, expect, it } from 'vitest'
import { reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function run(code: string, options: Record<string, unknown> = {}) {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({ customFunctions, ...options })
  await r.eval(code)
  return calls
}

describe('URLPattern', () => {
  it('compiles a constructor string into component patterns', async () => {
    const calls = await run(`
      const p = new URLPattern('https://example.com/books/:id')
      report([p.protocol, p.username, p.password, p.hostname, p.port, p.pathname, p.search, p.hash, p.hasRegExpGroups])
      const q = new URLPattern('/books/:id(\\\\d+)', 'https://example.com')
      report([q.protocol, q.hostname, q.pathname, q.search, q.hash, q.hasRegExpGroups])
      const r = new URLPattern({ pathname: '/a/*' })
      report([r.protocol, r.hostname, r.pathname])
      report(Object.prototype.toString.call(r))
    `)
    expect(calls).toEqual([
      ['https', '*', '*', 'example.com', '', '/books/:id', '*', '*', false],
      // A relative string takes the base URL's protocol, host and port; components after the
      // pathname it gives are not inherited and are wildcards.
      ['https', 'example.com', '/books/:id(\\d+)', '*', '*', true],
      ['*', '*', '/a/*'],
      '[object URLPattern]',
    ])
  })

  it('test() and exec() match URLs and return named and numbered groups', async () => {
    const calls = await run(`
      const p = new URLPattern({ pathname: '/books/:id' })
      report(p.test('https://example.com/books/123'))
      report(p.test('https://example.com/books/123/x'))
      const m = p.exec('https://example.com/books/123?x#y')
      report([m.inputs, m.protocol, m.hostname, m.pathname, m.search, m.hash])
      report(p.exec('https://example.com/other'))
      const w = new URLPattern({ pathname: '/files/*', hostname: '{:sub.}?example.com' })
      const r = w.exec({ hostname: 'example.com', pathname: '/files/a/b.txt' })
      report([r.inputs, r.hostname.groups, r.pathname.groups])
      const o = new URLPattern({ pathname: '/foo/:bar?' })
      const g = o.exec({ pathname: '/foo' }).pathname.groups
      report(['bar' in g, g.bar === undefined])
    `)
    expect(calls).toEqual([
      true,
      false,
      [
        ['https://example.com/books/123?x#y'],
        { input: 'https', groups: { 0: 'https' } },
        { input: 'example.com', groups: { 0: 'example.com' } },
        { input: '/books/123', groups: { id: '123' } },
        { input: 'x', groups: { 0: 'x' } },
        { input: 'y', groups: { 0: 'y' } },
      ],
      null,
      [[{ hostname: 'example.com', pathname: '/files/a/b.txt' }], { sub: undefined }, { 0: 'a/b.txt' }],
      [true, true],
    ])
  })

  it('matches relative inputs against a base URL and ignores case when asked', async () => {
    const calls = await run(`
      const p = new URLPattern({ protocol: 'https', hostname: 'example.com', pathname: '/Books/:id' })
      report(p.test('/Books/1', 'https://example.com'))
      report(p.exec('/Books/1', 'https://example.com').inputs)
      report(p.test('/books/1', 'https://example.com'))
      const i = new URLPattern({ pathname: '/Books/:id' }, { ignoreCase: true })
      report(i.test('https://example.com/bOOks/1'))
      const s = new URLPattern('https://example.com/Books/*', 'https://base/', { ignoreCase: true })
      report(s.test('https://EXAMPLE.com/books/x'))
      report(p.test('not a url'))
    `)
    expect(calls).toEqual([true, ['/Books/1', 'https://example.com'], false, true, true, false])
  })

  it('uses ECMAScript regular expressions with the v flag', async () => {
    const calls = await run(`
      const p = new URLPattern({ pathname: '/(\\\\p{Lu}+)/:n(\\\\d{2,3})' })
      report(p.exec({ pathname: '/AB/123' }).pathname.groups)
      report(p.test({ pathname: '/ÄB/123' })) // percent-encoded before matching
      report(p.test({ pathname: '/ab/123' }))
      const v = new URLPattern({ pathname: '/([[a-z]--a])' })
      report([v.test({ pathname: '/b' }), v.test({ pathname: '/a' })])
    `)
    expect(calls).toEqual([{ 0: 'AB', n: '123' }, false, false, [true, false]])
  })

  it('invalid patterns and arguments throw TypeErrors', async () => {
    const calls = await run(`
      const tries = [
        () => new URLPattern('/books/:id'),                                  // relative, no base
        () => new URLPattern({ pathname: '/(' }),                             // unclosed group
        () => new URLPattern({ pathname: '/:a/:a' }),                         // duplicate name
        () => new URLPattern({ pathname: '/([a-z)' }),                        // bad RegExp
        () => new URLPattern({ pathname: '/x' }, 'https://h/'),               // base with a dictionary
        () => new URLPattern({ pathname: '/x' }).test({ pathname: '/x' }, 'https://h/'),
        () => new URLPattern('https://h/', 'https://b/', 5),                  // options not a dictionary
        () => new URLPattern({ pathname: '/' + '(a)/'.repeat(5000) }),        // too complex
      ]
      for (const t of tries) { try { t(); report('no error') } catch (e) { report(e.constructor === TypeError) } }
      try { new URLPattern({ pathname: '/' + '(a)/'.repeat(5000) }) } catch (e) { report(/too complex/.test(e.message)) }
    `)
    expect(calls).toEqual([true, true, true, true, true, true, true, true, true])
  })

  it('converts its arguments as Web IDL says: dictionary members in order, once each', async () => {
    const calls = await run(`
      const seen = []
      const init = {}
      for (const k of ['username', 'protocol', 'pathname', 'baseURL', 'hash']) {
        Object.defineProperty(init, k, { get() { seen.push(k); return k === 'baseURL' ? 'https://h/' : k === 'pathname' ? '/p' : undefined } })
      }
      new URLPattern(init)
      report(seen)
      report(new URLPattern().pathname)
      report(new URLPattern(undefined, { ignoreCase: true }).test('https://x/'))
      report(Object.keys(URLPattern.prototype).sort())
    `)
    expect(calls).toEqual([
      ['baseURL', 'hash', 'pathname', 'protocol', 'username'],
      '*',
      true,
      ['exec', 'hasRegExpGroups', 'hash', 'hostname', 'password', 'pathname', 'port', 'protocol', 'search', 'test', 'username'],
    ])
  })

  it('a backtracking group is stopped by the time limit; the host lives on', async () => {
    const r = await createRuntime({ executionTimeout: 300 })
    await expect(r.eval(`new URLPattern({ pathname: '/((?:a|a)+)' }).test('https://h/' + 'a'.repeat(40) + 'b')`)).rejects.toMatchObject({ name: 'TimeoutError' })
    const ok = await run(`report(new URLPattern({ pathname: '/x' }).test('https://h/x'))`)
    expect(ok).toEqual([true])
  })
})

// https://urlpattern.spec.whatwg.org/#dom-urlpattern-comparecomponent (tentative): fixed text
// before named groups before wildcards; required before repeated before optional.
describe('URLPattern.compareComponent', () => {
  it('orders patterns from the most to the least specific', async () => {
    const calls = await run(`
      const c = (component, a, b) => URLPattern.compareComponent(component, new URLPattern(a), new URLPattern(b))
      report([
        c('pathname', { pathname: '/foo/a' }, { pathname: '/foo/b' }),
        c('pathname', { pathname: '/foo/bar' }, { pathname: '/foo/:bar' }),
        c('pathname', { pathname: '/foo/' }, { pathname: '/foo/:bar' }),
        c('pathname', { pathname: '/foo/:bar' }, { pathname: '/foo/*' }),
        c('pathname', { pathname: '/foo/*' }, { pathname: '/foo/:bar' }),
        c('pathname', { pathname: '/foo/{bar}' }, { pathname: '/foo/(bar)' }),
        c('pathname', { pathname: '/foo/{bar}+' }, { pathname: '/foo/{bar}?' }),
        c('pathname', { pathname: '/foo/:b' }, { pathname: '/foo/:a' }),
        c('pathname', { pathname: '*/foo' }, { pathname: '*' }),
        c('pathname', { pathname: 'foo/:bar?/baz' }, { pathname: 'foo{/:bar}?/baz' }),
        c('pathname', { pathname: '/foo/{bar}/baz' }, { pathname: '/foo/bar/baz' }),
        c('port', { port: '9' }, { port: '100' }),
        c('hostname', 'https://a.example.com/', 'https://:sub.example.com/'),
      ])
      const sorted = ['/*', '/books/:id', '/books/new', '/books/*', '/books/:id?']
        .map((p) => new URLPattern({ pathname: p }))
        .sort((a, b) => URLPattern.compareComponent('pathname', b, a))
        .map((p) => p.pathname)
      report(sorted)
      const name = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      const p = new URLPattern({})
      report([name(() => URLPattern.compareComponent('path', p, p)), name(() => URLPattern.compareComponent('hash', p, {})), name(() => URLPattern.compareComponent('hash', p))])
    `)
    expect(calls).toEqual([
      [-1, 1, 1, 1, -1, 1, 1, 0, 1, 0, 0, 1, 1],
      ['/books/new', '/books/:id', '/books/:id?', '/books/*', '/*'],
      ['TypeError', 'TypeError', 'TypeError'],
    ])
  })
})

// https://urlpattern.spec.whatwg.org/#canonicalize-a-hostname
describe('URLPattern hostname patterns', () => {
  it('refuse the code points the hostname parser would strip or stop at', async () => {
    const calls = await run(`
      const err = (h) => { try { return new URLPattern({ hostname: h }).hostname } catch (e) { return e.name } }
      report(['bad#host', 'bad/host', 'bad\\\\\\\\host', 'bad\\nhost', 'bad\\rhost', 'bad\\thost', '{a/}?b', 'ok.example', ':sub.example', '*.example', 'a(\\\\d/)'].map(err))
    `)
    expect(calls).toEqual([['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'ok.example', ':sub.example', '*.example', 'a(\\d/)']])
  })
})
