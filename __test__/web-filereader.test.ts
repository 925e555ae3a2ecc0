// FileReader and ProgressEvent inside the isolate (https://w3c.github.io/FileAPI/#APIASynch,
// https://xhr.spec.whatwg.org/#interface-progressevent). Expected values are the standard's.
import { describe, expect, it } from 'vitest'
import { reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function run(code: string) {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({ customFunctions, executionTimeout: 5000 })
  await r.eval(code)
  return calls
}

const READ = `
  const read = (blob, how, ...args) => new Promise((resolve) => {
    const fr = new FileReader()
    const events = []
    for (const t of ['loadstart', 'progress', 'load', 'error', 'abort', 'loadend']) {
      fr.addEventListener(t, (e) => events.push(t + ':' + e.loaded + '/' + e.total + ':' + fr.readyState))
    }
    fr.onloadend = () => resolve({ result: fr.result, error: fr.error, events })
    fr[how](blob, ...args)
    events.push('sync:' + fr.readyState + ':' + fr.result)
  })
`

describe('FileReader', () => {
  it('reads as text, ArrayBuffer, binary string and data: URL, with events in order', async () => {
    const calls = await run(`${READ}
      const b = new Blob(['h\\u00e9'], { type: 'text/plain' })
      const t = await read(b, 'readAsText')
      report([t.result, t.events])
      const ab = await read(b, 'readAsArrayBuffer')
      report([ab.result instanceof ArrayBuffer, Array.from(new Uint8Array(ab.result))])
      report((await read(b, 'readAsBinaryString')).result)
      report((await read(b, 'readAsDataURL')).result)
      report((await read(new Blob([]), 'readAsDataURL')).result)
      report((await read(new Blob([]), 'readAsText')).events)
    `)
    expect(calls).toEqual([
      ['hé', ['sync:1:null', 'loadstart:0/3:1', 'progress:3/3:1', 'load:3/3:2', 'loadend:3/3:2']],
      [true, [0x68, 0xc3, 0xa9]],
      'h\u00c3\u00a9',
      'data:text/plain;base64,aMOp',
      'data:application/octet-stream;base64,',
      ['sync:1:null', 'loadstart:0/0:1', 'load:0/0:2', 'loadend:0/0:2'],
    ])
  })

  it('readAsText: a BOM decides, then the label, then the blob type charset, then UTF-8', async () => {
    const calls = await run(`${READ}
      const latin = new Uint8Array([0x63, 0x61, 0x66, 0xe9])
      report((await read(new Blob([latin]), 'readAsText', 'windows-1252')).result)
      report((await read(new Blob([latin], { type: 'text/plain;charset=latin1' }), 'readAsText')).result)
      report((await read(new Blob([latin], { type: 'text/plain;charset=latin1' }), 'readAsText', 'no-such-label')).result)
      report((await read(new Blob([new Uint8Array([0xff, 0xfe, 0x41, 0x00])]), 'readAsText', 'utf-8')).result)
      report((await read(new Blob([latin]), 'readAsText')).result)
    `)
    expect(calls).toEqual(['café', 'café', 'café', 'A', 'caf\ufffd'])
  })

  it('a second read while loading is an InvalidStateError; abort() stops the read', async () => {
    const calls = await run(`
      const fr = new FileReader()
      fr.readAsText(new Blob(['x']))
      try { fr.readAsText(new Blob(['y'])) } catch (e) { report([e.name, e instanceof DOMException]) }
      const events = []
      for (const t of ['loadstart', 'progress', 'load', 'abort', 'loadend']) fr.addEventListener(t, () => events.push(t))
      fr.abort()
      report([fr.readyState, fr.result, events])
      await new Promise((r) => setTimeout(r, 30))
      report(events) // nothing of the aborted read arrives later
      fr.abort() // DONE: nothing happens
      report(events.length)
    `)
    expect(calls).toEqual([['InvalidStateError', true], [2, null, ['abort', 'loadend']], ['abort', 'loadend'], 2])
  })

  it('has the Web IDL shape: constants, handlers, argument checks', async () => {
    const calls = await run(`
      report([FileReader.EMPTY, FileReader.LOADING, FileReader.DONE, FileReader.prototype.DONE, new FileReader().readyState])
      report(['onload', 'onloadstart', 'onprogress', 'onabort', 'onerror', 'onloadend'].every((k) => k in FileReader.prototype))
      const errs = []
      for (const f of [() => new FileReader().readAsText('not a blob'), () => new FileReader().readAsArrayBuffer(), () => FileReader.prototype.abort.call({})]) {
        try { f(); errs.push('ok') } catch (e) { errs.push(e.name) }
      }
      report(errs)
      const p = new ProgressEvent('progress', { lengthComputable: true, loaded: 5, total: 10 })
      report([p instanceof Event, p.type, p.lengthComputable, p.loaded, p.total, new ProgressEvent('x').loaded])
    `)
    expect(calls).toEqual([[0, 1, 2, 2, 0], true, ['TypeError', 'TypeError', 'TypeError'], [true, 'progress', true, 5, 10, 0]])
  })
})

describe('blob: URLs', () => {
  it('createObjectURL makes a unique blob: URL that fetch() resolves until it is revoked', async () => {
    const calls = await run(`
      const b = new Blob(['hello'], { type: 'text/plain;charset=utf-8' })
      const u1 = URL.createObjectURL(b), u2 = URL.createObjectURL(b)
      report([u1 !== u2, /^blob:null\\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u1), new URL(u1).protocol])
      const r = await fetch(u1)
      report([r.status, r.statusText, r.url === u1, r.type, r.headers.get('content-type'), r.headers.get('content-length'), await r.text()])
      report(await (await fetch(u1 + '#fragment')).text())
      const fails = async (p) => { try { await p; return 'ok' } catch (e) { return e.name } }
      report([await fails(fetch(u1 + '?query')), await fails(fetch(u1, { method: 'POST' })), await fails(fetch('blob:null/nothing'))])
      URL.revokeObjectURL(u1 + '#fragment') // not the exact URL: nothing revoked
      report(await fails(fetch(u1)))
      URL.revokeObjectURL(u1)
      report([await fails(fetch(u1)), await fails(fetch(u2))])
      report((await fetch(URL.createObjectURL(new Blob([], { type: 'invalid' })))).headers.get('content-type'))
      try { URL.createObjectURL('not a blob') } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([
      [true, true, 'blob:'],
      [200, 'OK', true, 'basic', 'text/plain;charset=utf-8', '5', 'hello'],
      'hello',
      ['TypeError', 'TypeError', 'TypeError'],
      'ok',
      ['TypeError', 'ok'],
      '',
      'TypeError',
    ])
  })
})

// https://w3c.github.io/FileAPI/#FileReaderSync: the runtime's global is a dedicated worker's.
describe('FileReaderSync', () => {
  it('reads a Blob at once in each of the four ways', async () => {
    const calls = await run(`
      const r = new FileReaderSync()
      const b = new Blob(['h\\u00e9'], { type: 'text/plain;charset=utf-8' })
      report([
        r instanceof FileReaderSync,
        r.readAsText(b), r.readAsText(new Blob([new Uint8Array([0xe9])]), 'latin1'), r.readAsText(new Blob()),
        [...new Uint8Array(r.readAsArrayBuffer(b))], r.readAsArrayBuffer(new Blob()).byteLength,
        r.readAsBinaryString(b).length, r.readAsDataURL(b), r.readAsDataURL(new Blob()),
      ])
      const name = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      report([name(() => r.readAsText('x')), name(() => r.readAsText()), name(() => FileReaderSync.prototype.readAsText.call({}, b))])
    `)
    expect(calls).toEqual([
      [true, 'hé', 'é', '', [0x68, 0xc3, 0xa9], 0, 3, 'data:text/plain;charset=utf-8;base64,aMOp', 'data:application/octet-stream;base64,'],
      ['TypeError', 'TypeError', 'TypeError'],
    ])
  })

  it('event handler attributes check their receiver (WebIDL): TypeError on the prototype', async () => {
    const calls = await run(`
      const name = (f) => { try { f(); return 'no error' } catch (e) { return e.name } }
      const d = Object.getOwnPropertyDescriptor(FileReader.prototype, 'onload')
      report([name(() => FileReader.prototype.onload), name(() => d.set.call({}, null)), new FileReader().onload])
    `)
    expect(calls).toEqual([['TypeError', 'TypeError', null]])
  })
})
