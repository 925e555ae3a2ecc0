// TextEncoder and TextDecoder inside the isolate (https://encoding.spec.whatwg.org/). Expected
// decodings of legacy encodings were computed with Node 20's own TextDecoder (full ICU) and recorded.
import { describe, expect, it } from 'vitest'
import { CHECK, reporter, useRuntimes } from './helpers'
import { recorded } from './recorded'

const createRuntime = useRuntimes()

async function run(code: string) {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({ customFunctions })
  await r.eval(CHECK + code)
  return calls
}

const bytes = (u: Uint8Array) => Array.from(u)

describe('TextEncoder', () => {
  it('encodes UTF-8, with lone surrogates as U+FFFD', async () => {
    const inputs = ['', 'hello', 'héllo €', '😀', '\uD800', 'a\uDC00b', '\uD83D\uDE00\uD83D', '\0x']
    const calls = await run(`
      const e = new TextEncoder()
      report(e.encoding)
      for (const s of ${JSON.stringify(inputs)}) report(Array.from(e.encode(s)))
      report(Array.from(e.encode()))
      report(Array.from(e.encode(undefined)))
      report(Array.from(e.encode(123)))
      const out = e.encode('x')
      report([out instanceof Uint8Array, out.byteOffset, out.buffer.byteLength])
    `)
    const e = new TextEncoder()
    expect(calls).toEqual(['utf-8', ...inputs.map((s) => bytes(e.encode(s))), [], [], [0x31, 0x32, 0x33], [true, 0, 1]])
  })

  it('encodeInto writes into the destination and reports read (UTF-16 units) and written', async () => {
    const cases: [string, number][] = [
      ['hello', 10],
      ['hello', 3],
      ['a€', 2],
      ['a€', 4],
      ['😀', 3],
      ['😀', 4],
      ['a😀b', 5],
      ['\uD800x', 4],
      ['', 0],
      ['x', 0],
    ]
    const calls = await run(`
      const e = new TextEncoder()
      for (const [s, n] of ${JSON.stringify(cases)}) {
        const buf = new Uint8Array(n).fill(0xaa)
        const r = e.encodeInto(s, buf)
        report([r.read, r.written, Array.from(buf)])
      }
    `)
    const e = new TextEncoder()
    expect(calls).toEqual(
      cases.map(([s, n]) => {
        const buf = new Uint8Array(n).fill(0xaa)
        const r = e.encodeInto(s, buf)
        return [r.read, r.written, bytes(buf)]
      }),
    )
  })

  it('encodeInto respects the view offset and length, and works on a SharedArrayBuffer', async () => {
    const calls = await run(`
      const e = new TextEncoder()
      const backing = new Uint8Array(8)
      const view = backing.subarray(2, 5)
      report(e.encodeInto('abcdef', view))
      report(Array.from(backing))
      const shared = new Uint8Array(new SharedArrayBuffer(4))
      report(e.encodeInto('€', shared))
      report(Array.from(shared))
      const r = e.encodeInto('x', new Uint8Array(1))
      report([Object.getPrototypeOf(r) === Object.prototype, Object.keys(r)])
    `)
    expect(calls).toEqual([
      { read: 3, written: 3 },
      [0, 0, 97, 98, 99, 0, 0, 0],
      { read: 1, written: 3 },
      [0xe2, 0x82, 0xac, 0],
      [true, ['read', 'written']],
    ])
  })

  it('encodeInto refuses a destination that is not a Uint8Array', async () => {
    const calls = await run(`
      const e = new TextEncoder()
      for (const d of [new Uint16Array(4), new ArrayBuffer(4), [], null]) {
        try { e.encodeInto('x', d); report('no error') } catch (err) { report(err.name) }
      }
      try { e.encodeInto('x') } catch (err) { report(err.name) }
    `)
    expect(calls).toEqual(Array(5).fill('TypeError'))
  })
})

describe('TextDecoder', () => {
  it('maps labels to encodings per the spec table', async () => {
    const labels = ['utf-8', 'UTF8', ' unicode-1-1-utf-8 ', 'latin1', 'ascii', 'iso-8859-1', 'windows-1252', 'utf-16',
      'utf-16le', 'UTF-16BE', 'sjis', 'shift_jis', 'euc-jp', 'gbk', 'gb2312', 'gb18030', 'big5', 'euc-kr', 'koi8-r',
      'iso-8859-2', 'l2', 'cp1251', 'x-mac-cyrillic', 'iso-2022-jp', 'x-user-defined']
    const calls = await run(`
      for (const l of ${JSON.stringify(labels)}) report(new TextDecoder(l).encoding)
      report(new TextDecoder().encoding)
      report(new TextDecoder(undefined).encoding)
      for (const bad of ['nope', 'replacement', 'iso-2022-kr', 'utf-7', '', null]) {
        try { new TextDecoder(bad); report('no error') } catch (e) { report(e.name) }
      }
    `)
    expect(calls).toEqual([
      'utf-8', 'utf-8', 'utf-8', 'windows-1252', 'windows-1252', 'windows-1252', 'windows-1252', 'utf-16le',
      'utf-16le', 'utf-16be', 'shift_jis', 'shift_jis', 'euc-jp', 'gbk', 'gbk', 'gb18030', 'big5', 'euc-kr', 'koi8-r',
      'iso-8859-2', 'iso-8859-2', 'windows-1251', 'x-mac-cyrillic', 'iso-2022-jp', 'x-user-defined',
      'utf-8', 'utf-8',
      'RangeError', 'RangeError', 'RangeError', 'RangeError', 'RangeError', 'RangeError',
    ])
  })

  it('decodes legacy encodings like Node does', async () => {
    const samples: [string, number[]][] = [
      ['iso-8859-2', [0xa1, 0xb1, 0xe8]],
      ['koi8-r', [0xc1, 0xc2, 0xd7]],
      ['shift_jis', [0x82, 0xa0, 0x93, 0xfa, 0x96, 0x7b]],
      ['euc-kr', [0xc7, 0xd1, 0xb1, 0xdb]],
      ['gbk', [0xc4, 0xe3, 0xba, 0xc3]],
      ['big5', [0xa4, 0xa4, 0xa4, 0xe5]],
      ['utf-16le', [0x3d, 0xd8, 0x00, 0xde, 0x41, 0x00]],
      ['utf-16be', [0xd8, 0x3d, 0xde, 0x00, 0x00, 0x41]],
      ['utf-8', [0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]],
    ]
    const calls = await run(`
      for (const [enc, b] of ${JSON.stringify(samples)}) report(new TextDecoder(enc).decode(new Uint8Array(b)))
    `)
    expect(calls).toEqual(await recorded(() => samples.map(([enc, b]) => new TextDecoder(enc).decode(new Uint8Array(b)))))
  })

  it('decodes windows-1252 (also "latin1") per its index, not as ISO-8859-1', async () => {
    // Node 20 gets this one wrong, so the expectation is typed from the spec's index.
    const calls = await run(`report(new TextDecoder('latin1').decode(new Uint8Array([0x80, 0x9f, 0xe9, 0x41, 0x81])))`)
    expect(calls).toEqual(['\u20ac\u0178\u00e9A\u0081'])
  })

  it('replaces invalid input with U+FFFD, or throws a TypeError when fatal', async () => {
    const bad = [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0x61, 0x80, 0x62], [0xf0, 0x9f, 0x98]]
    const calls = await run(`
      const loose = new TextDecoder()
      const fatal = new TextDecoder('utf-8', { fatal: true })
      report([loose.fatal, fatal.fatal, fatal.ignoreBOM])
      for (const b of ${JSON.stringify(bad)}) {
        const out = loose.decode(new Uint8Array(b))
        let err
        try { fatal.decode(new Uint8Array(b)) } catch (e) { err = e }
        report([out, err instanceof TypeError])
      }
      report(fatal.decode(new Uint8Array([0x68, 0x69])))
      try { new TextDecoder('utf-16le', { fatal: true }).decode(new Uint8Array([0x00, 0xd8])) } catch (e) { report(e.name) }
    `)
    const loose = await recorded(() => bad.map((b) => new TextDecoder().decode(new Uint8Array(b))))
    expect(calls).toEqual([
      [false, true, false],
      ...loose.map((out) => [out, true]),
      'hi',
      'TypeError',
    ])
  })

  it('skips the BOM of its own encoding unless ignoreBOM', async () => {
    const calls = await run(`
      const u8 = new Uint8Array([0xef, 0xbb, 0xbf, 0x61])
      report(new TextDecoder().decode(u8))
      report(new TextDecoder('utf-8', { ignoreBOM: true }).decode(u8))
      report(new TextDecoder('utf-8', { ignoreBOM: true }).ignoreBOM)
      report(new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x61, 0x00])))
      report(new TextDecoder('utf-16be').decode(new Uint8Array([0xfe, 0xff, 0x00, 0x61])))
      // A UTF-16 BOM does not switch a UTF-8 decoder.
      report(new TextDecoder().decode(new Uint8Array([0xff, 0xfe, 0x61, 0x00])))
      // The BOM is skipped once per stream, not per call.
      const d = new TextDecoder()
      report(d.decode(new Uint8Array([0xef, 0xbb]), { stream: true }) + '|' + d.decode(new Uint8Array([0xbf, 0xef, 0xbb, 0xbf])))
      report(d.decode(u8))
    `)
    expect(calls).toEqual(['a', '\uFEFFa', true, 'a', 'a', new TextDecoder().decode(new Uint8Array([0xff, 0xfe, 0x61, 0x00])), '|\uFEFF', 'a'])
  })

  it('streams: keeps a character split across chunks', async () => {
    const calls = await run(`
      const d = new TextDecoder()
      const b = new TextEncoder().encode('a€😀z')
      // One byte at a time.
      let out = ''
      for (let i = 0; i < b.length; i++) out += d.decode(b.subarray(i, i + 1), { stream: true })
      out += d.decode()
      report(out)
      // An unfinished character at the end of the stream is U+FFFD...
      report(d.decode(b.subarray(0, 3), { stream: true }) + '|' + d.decode())
      // ...or a TypeError when fatal, after which the decoder starts afresh.
      const f = new TextDecoder('utf-8', { fatal: true })
      report(f.decode(b.subarray(0, 3), { stream: true }))
      try { f.decode(); report('no error') } catch (e) { report(e.name) }
      report(f.decode(b))
      // UTF-16 with a code unit split across chunks.
      const u16 = new TextDecoder('utf-16le')
      report(u16.decode(new Uint8Array([0x3d, 0xd8, 0x00]), { stream: true }) + u16.decode(new Uint8Array([0xde])))
      // Stateful encodings keep their mode across calls.
      const jis = new TextDecoder('iso-2022-jp')
      const esc = [0x1b, 0x24, 0x42]
      report(jis.decode(new Uint8Array(esc), { stream: true }) + jis.decode(new Uint8Array([0x24, 0x22]), { stream: true }) + jis.decode())
    `)
    expect(calls).toEqual([
      'a€😀z',
      'a|\uFFFD',
      'a',
      'TypeError',
      'a€😀z',
      '😀',
      new TextDecoder('iso-2022-jp').decode(new Uint8Array([0x1b, 0x24, 0x42, 0x24, 0x22])),
    ])
  })

  it('accepts every BufferSource and refuses anything else', async () => {
    const calls = await run(`
      const d = new TextDecoder()
      const b = new TextEncoder().encode('hello world')
      report(d.decode(b.buffer))
      report(d.decode(new DataView(b.buffer, 6, 5)))
      report(d.decode(b.subarray(2, 4)))
      report(new TextDecoder('utf-16le').decode(new Uint16Array([0x68, 0x69])))
      const sab = new Uint8Array(new SharedArrayBuffer(2)); sab.set([0x6f, 0x6b])
      report(d.decode(sab))
      report(d.decode())
      report(d.decode(undefined))
      report(d.decode(new Uint8Array(0)))
      for (const bad of ['str', [1, 2], {}, null, 5]) {
        try { d.decode(bad); report('no error') } catch (e) { report(e.name) }
      }
    `)
    expect(calls).toEqual(['hello world', 'world', 'll', 'hi', 'ok', '', '', '', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError'])
  })

  it('decodes large inputs', async () => {
    const calls = await run(`
      const s = 'añ€😀'.repeat(250000)
      const b = new TextEncoder().encode(s)
      report(b.length)
      report(new TextDecoder().decode(b) === s)
      const w = new TextDecoder('windows-1252').decode(new Uint8Array(1 << 20).fill(0x80))
      report([w.length, w[0]])
    `)
    expect(calls).toEqual([250000 * 10, true, [1 << 20, '€']])
  })

  it('survives many abandoned streaming decoders', async () => {
    const calls = await run(`
      for (let i = 0; i < 20000; i++) new TextDecoder().decode(new Uint8Array([0xe2]), { stream: true })
      report('ok')
    `)
    expect(calls).toEqual(['ok'])
  })
})

describe('TextDecoder memory', () => {
  it('abandoned streaming decoders are collected during a synchronous loop (16 MB runtime)', { timeout: 30_000 }, async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 16, customFunctions })
    await r.eval(`
      for (let i = 0; i < 6e5; i++) new TextDecoder('utf-8').decode(new Uint8Array([0xe2]), { stream: true })
      report('ok')
    `)
    expect(calls).toEqual(['ok'])
  })

  it('streaming decoders a script keeps are charged: the runtime ends with MemoryLimitError', { timeout: 30_000 }, async () => {
    const r = await createRuntime({ memoryLimitMB: 16 })
    const err = await r
      .eval(`const keep = []; for (;;) { const d = new TextDecoder(); d.decode(new Uint8Array([0xe2]), { stream: true }); keep.push(d) }`)
      .then(() => null, (e) => e)
    expect(err?.name).toBe('MemoryLimitError')
  })
})

describe('IDL shape', () => {
  it('matches the WebIDL of TextEncoder and TextDecoder', async () => {
    const calls = await run(`
      report(Object.keys(TextEncoder.prototype))
      report(Object.keys(TextDecoder.prototype))
      report([TextEncoder.length, TextDecoder.length, TextEncoder.prototype.encode.length, TextEncoder.prototype.encodeInto.length, TextDecoder.prototype.decode.length])
      report([Object.prototype.toString.call(new TextEncoder()), Object.prototype.toString.call(new TextDecoder())])
      report([new TextDecoder().constructor.name, new TextEncoder() instanceof TextEncoder])
      const d = Object.getOwnPropertyDescriptor(globalThis, 'TextDecoder')
      report([d.enumerable, d.writable, d.configurable])
      try { TextEncoder.prototype.encode.call({}, 'x') } catch (e) { report(e.name) }
      try { Object.getOwnPropertyDescriptor(TextDecoder.prototype, 'encoding').get.call({}) } catch (e) { report(e.name) }
      try { TextDecoder() } catch (e) { report(e.name) }
      try { new TextDecoder('utf-8', 5) } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([
      ['encoding', 'encode', 'encodeInto'],
      ['encoding', 'fatal', 'ignoreBOM', 'decode'],
      [0, 0, 0, 2, 0],
      ['[object TextEncoder]', '[object TextDecoder]'],
      ['TextDecoder', true],
      [false, true, true],
      'TypeError',
      'TypeError',
      'TypeError',
      'TypeError',
    ])
  })
})
