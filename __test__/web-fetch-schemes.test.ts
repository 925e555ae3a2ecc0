// fetch() of data: URLs (https://fetch.spec.whatwg.org/#data-url-processor) and Headers' Web IDL
// details (record conversion order, iterator shape). Expected values are the standards'.
import { describe, expect, it } from 'vitest'
import { reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function run(code: string) {
  const { calls, customFunctions } = reporter()
  // No onFetch and no network: data: URLs need neither.
  const r = await createRuntime({ customFunctions })
  await r.eval(code)
  return calls
}

describe('fetch() of data: URLs', () => {
  it('decodes percent-encoded and base64 bodies with their MIME type', async () => {
    const calls = await run(`
      const show = async (url, init) => { const r = await fetch(url, init); return [r.status, r.statusText, r.headers.get('content-type'), await r.text()] }
      report(await show("data:,response%27s%20body"))
      report(await show('data:text/plain;base64,cmVzcG9uc2UncyBib2R5'))
      report(await show('data:Text/HTML;charset=utf-8,%3Cb%3E#frag'))
      report(await show('data:;charset=utf-8,x'))
      report(await show('data:image/png ; BASE64,AAEC'))
      report(await show('data:,x', { method: 'HEAD' }))
      report(Array.from(new Uint8Array(await (await fetch('data:application/octet-stream;base64,AAEC/w==')).arrayBuffer())))
      const fails = async (u) => { try { await fetch(u); return 'ok' } catch (e) { return e.name } }
      report([await fails('data:text/plain'), await fails('data:;base64,%%%')])
    `)
    expect(calls).toEqual([
      [200, 'OK', 'text/plain;charset=US-ASCII', "response's body"],
      [200, 'OK', 'text/plain', "response's body"],
      [200, 'OK', 'text/html;charset=utf-8', '<b>'],
      [200, 'OK', 'text/plain;charset=utf-8', 'x'],
      [200, 'OK', 'image/png', '\u0000\u0001\u0002'],
      [200, 'OK', 'text/plain;charset=US-ASCII', ''],
      [0, 1, 2, 255],
      ['TypeError', 'TypeError'],
    ])
  })
})

describe('Headers (Web IDL details)', () => {
  it('converts a record key and value to ByteStrings as it reads them, stopping at the first bad one', async () => {
    const calls = await run(`
      const log = []
      const record = { a: 'b', '\\uFFFF': 'c', d: 'e' }
      const proxy = new Proxy(record, {
        get(t, k, r) { log.push('get ' + String(k)); return Reflect.get(t, k, r) },
        getOwnPropertyDescriptor(t, k) { log.push('gOPD ' + String(k)); return Reflect.getOwnPropertyDescriptor(t, k) },
      })
      try { new Headers(proxy) } catch (e) { log.push(e.name) }
      report(log)
      try { new Headers({ a: '\\u0100' }) } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([['get Symbol(Symbol.iterator)', 'gOPD a', 'get a', 'gOPD \uffff', 'TypeError'], 'TypeError'])
  })

  it('its iterator prototype has an enumerable next()', async () => {
    const calls = await run(`
      const proto = Object.getPrototypeOf(new Headers().keys())
      const d = Object.getOwnPropertyDescriptor(proto, 'next')
      report([d.enumerable, d.writable, d.configurable, Object.prototype.toString.call(new Headers().entries())])
    `)
    expect(calls).toEqual([[true, true, true, '[object Headers Iterator]']])
  })
})
