// The `location` option: the runtime's URL, as a worker's location
// (https://html.spec.whatwg.org/multipage/workers.html#worker-locations), and the API base URL
// that Request, fetch(), Response.redirect() and WebSocket parse relative URLs against.
import { describe, expect, it } from 'vitest'
import { errorOf, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

const LOCATION = 'https://example.com/app/page.js?v=1#top'

/** Runs `code` in a runtime with `options`; returns what it passed to report(). */
async function run(code: string, options: Record<string, unknown> = {}) {
  const { calls, customFunctions } = reporter()
  const rt = await createRuntime({ customFunctions, ...options } as any)
  await rt.eval(code, 'test.js')
  return calls
}

describe('location option', () => {
  it('defines a read-only WorkerLocation and the global origin', async () => {
    const calls = await run(
      `const l = location
      report([l.href, l.origin, l.protocol, l.host, l.hostname, l.port, l.pathname, l.search, l.hash, String(l), \`\${l}\`])
      report([self.origin, globalThis.origin, l instanceof WorkerLocation, Object.prototype.toString.call(l), self.location === l])
      let ctor; try { new WorkerLocation() } catch (e) { ctor = e.name }
      let assign; try { (() => { 'use strict'; location = 'https://evil.test/' })() } catch (e) { assign = e.name }
      let getter; try { Object.getOwnPropertyDescriptor(WorkerLocation.prototype, 'href').get.call({}) } catch (e) { getter = e.name }
      report([ctor, assign, getter, location.href])`,
      { location: LOCATION },
    )
    expect(calls).toEqual([
      [LOCATION, 'https://example.com', 'https:', 'example.com', 'example.com', '', '/app/page.js', '?v=1', '#top', LOCATION, LOCATION],
      ['https://example.com', 'https://example.com', true, '[object WorkerLocation]', true],
      ['TypeError', 'TypeError', 'TypeError', LOCATION],
    ])
  })

  it('is serialized, with a port and an opaque origin kept as the URL standard says', async () => {
    const calls = await run(`report([location.href, location.host, location.port, location.origin])`, { location: 'HTTP://Example.COM:8080/a/../b' })
    expect(calls).toEqual([['http://example.com:8080/b', 'example.com:8080', '8080', 'http://example.com:8080']])
    const opaque = await run(`report([location.href, location.origin, self.origin])`, { location: 'file:///srv/app/' })
    expect(opaque).toEqual([['file:///srv/app/', 'null', 'null']])
  })

  it('resolves relative URLs in Request, Response.redirect and fetch() against it', async () => {
    const seen: string[] = []
    const calls = await run(
      `report(new Request('api/items?x=1').url)
      report(new Request('/root').url)
      report(new Request('//cdn.test/lib.js').url)
      report(new Request('https://other.test/abs').url)
      report(new Request('x', { referrer: 'ref' }).referrer)
      report(Response.redirect('../moved', 301).headers.get('location'))
      const r = await fetch('data.json?q=2')
      report([r.status, await r.text()])`,
      {
        location: LOCATION,
        onFetch: (url: string) => {
          seen.push(url)
          return new Response('ok')
        },
      },
    )
    expect(calls).toEqual([
      'https://example.com/app/api/items?x=1',
      'https://example.com/root',
      'https://cdn.test/lib.js',
      'https://other.test/abs',
      'https://example.com/app/ref',
      'https://example.com/moved',
      [200, 'ok'],
    ])
    expect(seen).toEqual(['https://example.com/app/data.json?q=2'])
  })

  it('resolves relative URLs in new WebSocket() against it, http(s) becoming ws(s)', async () => {
    const asked: string[] = []
    const calls = await run(
      `const a = new WebSocket('socket?room=1')
      const b = new WebSocket('/live')
      report([a.url, b.url])
      await new Promise((resolve) => { b.onclose = resolve })`,
      {
        location: LOCATION,
        webSocket: (url: string) => {
          asked.push(url)
          return false
        },
      },
    )
    expect(calls).toEqual([['wss://example.com/app/socket?room=1', 'wss://example.com/live']])
    expect(asked.sort()).toEqual(['wss://example.com/app/socket?room=1', 'wss://example.com/live'])
  })

  it("turns a Request referrer of another origin into about:client, as the Fetch standard's constructor does", async () => {
    const calls = await run(
      `const ref = (r) => new Request('x', { referrer: r }).referrer
      report([ref('/from/here'), ref('https://example.com:443/p'), ref('https://other.test/p'), ref('http://example.com/p'), ref('about:client'), ref('')])`,
      { location: LOCATION },
    )
    expect(calls).toEqual([['https://example.com/from/here', 'https://example.com/p', 'about:client', 'about:client', 'about:client', '']])
    // An opaque origin (file:) is the same as no other: every referrer becomes about:client.
    const opaque = await run(`report(new Request('x', { referrer: 'file:///srv/app/y' }).referrer)`, { location: 'file:///srv/app/' })
    expect(opaque).toEqual(['about:client'])
  })

  it('names blob: URLs after its origin', async () => {
    const calls = await run(`report(URL.createObjectURL(new Blob(['x'])).startsWith('blob:https://example.com/'))`, { location: LOCATION })
    expect(calls).toEqual([true])
  })

  it('leaves new URL() and URL.revokeObjectURL without a base, as everywhere', async () => {
    const calls = await run(
      `let e; try { new URL('/relative') } catch (x) { e = x.name }
      report([e, URL.canParse('/relative'), new URL('/r', location).href])`,
      { location: LOCATION },
    )
    expect(calls).toEqual([['TypeError', false, 'https://example.com/r']])
  })

  it('is validated: an absolute URL string, else a TypeError saying so', async () => {
    for (const bad of ['/app/', 'example.com', '', 'http://exa mple.com/', 'https://[::1/']) {
      const e = await errorOf(() => createRuntime({ location: bad } as any))
      expect(e).toBeInstanceOf(TypeError)
      expect(e.message).toMatch(/^createRuntime\(options\): location must be an absolute URL such as 'https:\/\/example.com\/' \(got /)
    }
    for (const bad of [42, true, {}, new URL('https://example.com/'), null]) {
      const e = await errorOf(() => createRuntime({ location: bad } as any))
      expect(e).toBeInstanceOf(TypeError)
      expect(e.message).toMatch(/^createRuntime\(options\): location must be an absolute URL string/)
    }
    const huge = await errorOf(() => createRuntime({ location: `https://example.com/${'a'.repeat(20_000)}` }))
    expect(huge).toBeInstanceOf(RangeError)
    expect(huge.message).toBe('createRuntime(options): location must be at most 16384 bytes long')
    const throwing = await errorOf(() =>
      createRuntime({
        get location(): string {
          throw new Error('boom')
        },
      } as any),
    )
    expect(throwing).toBeInstanceOf(TypeError)
    expect(throwing.message).toMatch(/^createRuntime\(options\): location could not be read/)
  })
})

describe('without the location option', () => {
  it('has no location or origin, and relative URLs are errors that say to pass location', async () => {
    const calls = await run(
      `report([typeof location, 'location' in globalThis, typeof origin, typeof WorkerLocation])
      const err = (f) => { try { f(); return 'no error' } catch (e) { return [e.name, e.message] } }
      report(err(() => new Request('/api')))
      report(err(() => Response.redirect('next')))
      report(err(() => new WebSocket('/socket')))
      let f; try { await fetch('/x') } catch (e) { f = [e.name, e.message] }
      report(f)
      report(err(() => new Request('http://a b/')))
      report(new Request('https://example.com/ok').url)`,
      { onFetch: () => new Response('unreachable') },
    )
    const hint = /relative URL and the runtime has no base URL to resolve it against: give the runtime one with createRuntime\(\{ location: 'https:\/\/example.com\/' \}\)/
    expect(calls[0]).toEqual(['undefined', false, 'undefined', 'undefined'])
    expect(calls[1][0]).toBe('TypeError')
    expect(calls[1][1]).toMatch(/^Failed to construct 'Request': Failed to parse URL from \/api\. /)
    expect(calls[1][1]).toMatch(hint)
    expect(calls[2][0]).toBe('TypeError')
    expect(calls[2][1]).toMatch(hint)
    expect(calls[3][0]).toBe('SyntaxError')
    expect(calls[3][1]).toMatch(hint)
    expect(calls[4][0]).toBe('TypeError')
    expect(calls[4][1]).toMatch(hint)
    // An invalid absolute URL is not a relative one: no hint about location.
    expect(calls[5]).toEqual(['TypeError', "Failed to construct 'Request': Failed to parse URL from http://a b/"])
    expect(calls[6]).toBe('https://example.com/ok')
  })

  it('keeps a location the script defines itself out of URL parsing', async () => {
    const calls = await run(
      `globalThis.location = { href: 'https://mine.test/' }
      let e; try { new Request('/x') } catch (x) { e = x.name }
      report([location.href, e])`,
    )
    expect(calls).toEqual([['https://mine.test/', 'TypeError']])
  })
})
