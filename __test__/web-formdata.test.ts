// FormData (https://xhr.spec.whatwg.org/#interface-formdata), its multipart/form-data
// serialization (https://html.spec.whatwg.org/#multipart-form-data) and parsing by Request and
// Response formData() (https://fetch.spec.whatwg.org/#dom-body-formdata).
import { describe, expect, it } from 'vitest'
import { useRuntimes } from './helpers'
import { expectSameAsNode, inIsolate } from './fetch-helpers'

const createRuntime = useRuntimes()

// Lists a FormData's entries as plain data, files as [name, type, text].
const DUMP = `
const dump = async (fd) => {
  const out = []
  for (const [k, v] of fd) out.push([k, typeof v === 'string' ? v : ['file', v.name, v.type, await v.text(), v instanceof File]])
  return out
}
`

describe('FormData', () => {
  it('behaves like the spec (compared with Node)', async () => {
    const c = (body: string) => DUMP + body
    await expectSameAsNode(createRuntime, {
      'append/get/getAll/has': c(`const f = new FormData(); f.append('a', '1'); f.append('b', 2); f.append('a', '3'); return [f.get('a'), f.getAll('a'), f.has('b'), f.has('z'), f.get('z'), f.getAll('z'), await dump(f)]`),
      'set replaces first, removes rest, keeps position': c(`const f = new FormData(); f.append('a', '1'); f.append('b', '2'); f.append('a', '3'); f.set('a', '4'); f.set('c', '5'); return await dump(f)`),
      'delete': c(`const f = new FormData(); f.append('a', '1'); f.append('b', '2'); f.append('a', '3'); f.delete('a'); return await dump(f)`),
      'Blob becomes File named blob': c(`const f = new FormData(); f.append('x', new Blob(['hi'], { type: 'text/plain' })); return await dump(f)`),
      'filename argument': c(`const f = new FormData(); f.append('x', new Blob(['hi']), 'h.txt'); f.append('y', new File(['a'], 'orig.txt'), 'renamed.txt'); f.append('z', new File(['a'], 'keep.txt')); return await dump(f)`),
      'File without filename keeps its object': `const file = new File(['a'], 'a.txt'); const f = new FormData(); f.append('x', file); return f.get('x') === file`,
      'filename with a string value throws': `new FormData().append('a', 'b', 'c.txt')`,
      'set filename with string throws': `new FormData().set('a', 'b', 'c.txt')`,
      'values are USVStrings': `const f = new FormData(); f.append('\\ud800', '\\udc00'); return [...f]`,
      'keys/values/entries/forEach': `const f = new FormData(); f.append('a', '1'); f.append('b', '2'); const seen = []; f.forEach(function (v, k, o) { seen.push([k, v, o === f]) }); return [[...f.keys()], [...f.values()], [...f.entries()], seen]`,
      'iterator is live': `const f = new FormData(); f.append('a', '1'); const it = f.keys(); f.append('b', '2'); return [...it]`,
      'constructor argument must be a form': `new FormData({})`,
      'missing arguments': `new FormData().append('a')`,
      'toStringTag and names': `return [Object.prototype.toString.call(new FormData()), Object.prototype.toString.call(new FormData().entries()), FormData.name, new FormData().constructor.name]`,
      'round trip through a Response': c(`
        const f = new FormData()
        f.append('text', 'héllo\\nworld')
        f.append('file', new File(['file body\\r\\n--not-a-boundary'], 'a.txt', { type: 'text/plain' }))
        f.append('bin', new Blob([new Uint8Array([0, 255, 13, 10])]), 'b.bin')
        f.append('empty', '')
        const r = new Response(f)
        return [r.headers.get('content-type').startsWith('multipart/form-data; boundary='), await dump(await r.formData())]`),
      'round trip through a Request': c(`
        const f = new FormData(); f.append('a', '1'); f.append('a', '2')
        const r = new Request('https://x.test/', { method: 'POST', body: f })
        return await dump(await r.formData())`),
      'line breaks in values are normalized to CRLF': c(`
        const f = new FormData(); f.append('a\\nb', 'x\\ry\\nz')
        return await dump(await new Response(f).formData())`),
      'urlencoded': c(`return await dump(await new Response('a=1&b=%C3%A9+x&a=&c', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }).formData())`),
      'urlencoded from URLSearchParams': c(`return await dump(await new Response(new URLSearchParams([['q', 'a b'], ['r', '&']])).formData())`),
      'multipart from bytes': c(`
        const body = '--XX\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n--XX\\r\\nContent-Disposition: form-data; name="f"; filename="f.txt"\\r\\nContent-Type: text/csv\\r\\n\\r\\nx,y\\r\\n--XX--\\r\\n'
        return await dump(await new Response(body, { headers: { 'content-type': 'multipart/form-data; boundary=XX' } }).formData())`),
      'multipart with quoted boundary': c(`
        const body = '--a b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n--a b--'
        return await dump(await new Response(body, { headers: { 'content-type': 'multipart/form-data; boundary="a b"' } }).formData())`),
      'malformed multipart rejects': `await new Response('garbage', { headers: { 'content-type': 'multipart/form-data; boundary=XX' } }).formData()`,
      'multipart without boundary rejects': `await new Response('--XX--', { headers: { 'content-type': 'multipart/form-data' } }).formData()`,
      'other content types reject': `await new Response('a=1', { headers: { 'content-type': 'text/plain' } }).formData()`,
      'no content type rejects': `await new Response(new Uint8Array([97])).formData()`,
    })
  })

  it('serializes per the HTML multipart/form-data encoding', async () => {
    const calls = await inIsolate(createRuntime, `
      const f = new FormData()
      f.append('a"b\\r\\nc', 'v')
      f.append('f', new File(['x'], 'q"\\n.txt'))
      f.append('t', new File(['y'], 'typed.json', { type: 'application/json' }))
      const r = new Response(f)
      const type = r.headers.get('content-type')
      const boundary = type.slice(type.indexOf('boundary=') + 9)
      const text = await r.text()
      report(text.split(boundary).join('BOUNDARY'))
      report(/^[0-9A-Za-z'()+_,\\-.\\/:=?]{1,70}$/.test(boundary.replace(/^-+/, '')))
    `)
    expect(calls[0]).toBe(
      '--BOUNDARY\r\nContent-Disposition: form-data; name="a%22b%0D%0Ac"\r\n\r\nv\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="q%22%0A.txt"\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="t"; filename="typed.json"\r\nContent-Type: application/json\r\n\r\ny\r\n' +
        '--BOUNDARY--\r\n',
    )
    expect(calls[1]).toBe(true)
  })

  it('parses what Node serializes, and Node parses what we serialize', async () => {
    // Node's multipart body as input to the isolate.
    const f = new FormData()
    f.append('name', 'Ada')
    f.append('doc', new File(['%PDF-1.7 ü'], 'doc.pdf', { type: 'application/pdf' }))
    const nodeResponse = new Response(f)
    const type = nodeResponse.headers.get('content-type')!
    const bytes = Array.from(new Uint8Array(await nodeResponse.arrayBuffer()))
    const calls = await inIsolate(createRuntime, `
      const fd = await new Response(new Uint8Array(${JSON.stringify(bytes)}), { headers: { 'content-type': ${JSON.stringify(type)} } }).formData()
      const doc = fd.get('doc')
      report([fd.get('name'), doc.name, doc.type, await doc.text()])
      const out = new FormData()
      out.append('x', 'y')
      out.append('file', new File(['ü'], 'u.txt', { type: 'text/plain' }))
      const r = new Response(out)
      report([r.headers.get('content-type'), Array.from(await r.bytes())])
    `)
    expect(calls[0]).toEqual(['Ada', 'doc.pdf', 'application/pdf', '%PDF-1.7 ü'])
    const [ct, body] = calls[1]
    const parsed = await new Response(new Uint8Array(body), { headers: { 'content-type': ct } }).formData()
    expect(parsed.get('x')).toBe('y')
    const file = parsed.get('file') as File
    expect([file.name, file.type, await file.text()]).toEqual(['u.txt', 'text/plain', 'ü'])
  })

  it('brand checks and shape', async () => {
    const calls = await inIsolate(createRuntime, `
      const err = (f) => { try { f(); return 'none' } catch (e) { return e.constructor.name } }
      report([err(() => FormData.prototype.append.call({}, 'a', 'b')), err(() => FormData.prototype.entries.call({})), err(() => new FormData().entries().next.call({}))])
      report(Object.getOwnPropertyNames(FormData.prototype).sort())
      report(FormData.prototype[Symbol.iterator] === FormData.prototype.entries)
    `)
    expect(calls).toEqual([
      ['TypeError', 'TypeError', 'TypeError'],
      ['append', 'constructor', 'delete', 'entries', 'forEach', 'get', 'getAll', 'has', 'keys', 'set', 'values'],
      true,
    ])
  })
})
