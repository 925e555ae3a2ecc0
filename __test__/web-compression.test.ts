// CompressionStream / DecompressionStream (https://compression.spec.whatwg.org/): round trips in
// the isolate, errors for bad or trailing data, and interop with node:zlib on the host.
import { describe, expect, it } from 'vitest'
import { gunzipSync, gzipSync, deflateSync, inflateRawSync, deflateRawSync, inflateSync } from 'node:zlib'
import { CHECK, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function run(code: string, extra: Record<string, any> = {}) {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({ customFunctions: { ...customFunctions, ...extra } })
  await r.eval(CHECK + PIPE + code)
  return calls
}

// Isolate helpers: push bytes through a transform in uneven pieces, collect the output bytes.
const PIPE = `
  async function through(ts, bytes, piece = 1000) {
    const pieces = []
    for (let i = 0; i < bytes.length; i += piece) pieces.push(bytes.slice(i, i + piece))
    const out = []
    let total = 0
    for await (const c of ReadableStream.from(pieces).pipeThrough(ts)) {
      check(c instanceof Uint8Array, 'chunks are Uint8Array')
      out.push(c); total += c.length
    }
    const all = new Uint8Array(total)
    let o = 0
    for (const c of out) { all.set(c, o); o += c.length }
    return all
  }
  const sample = new TextEncoder().encode(Array.from({ length: 20000 }, (_, i) => 'line ' + i + ' ' + (i % 7)).join('\\n'))
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])
`

describe('CompressionStream / DecompressionStream', () => {
  it('round-trips gzip, deflate and deflate-raw, in pieces of any size', async () => {
    const calls = await run(`
      for (const format of ['gzip', 'deflate', 'deflate-raw']) {
        const packed = await through(new CompressionStream(format), sample, 777)
        const back = await through(new DecompressionStream(format), packed, 3)
        report(format, packed.length < sample.length / 3, same(back, sample))
      }
      const empty = await through(new CompressionStream('gzip'), new Uint8Array(0))
      report(empty.length > 0, (await through(new DecompressionStream('gzip'), empty)).length)
    `)
    expect(calls).toEqual([['gzip', true, true], ['deflate', true, true], ['deflate-raw', true, true], [true, 0]])
  })

  it('has the WebIDL shape and validates format and chunks with TypeError', async () => {
    const calls = await run(`
      const cs = new CompressionStream('deflate')
      report(cs.readable instanceof ReadableStream, cs.writable instanceof WritableStream, Object.keys(cs).length)
      report(Object.prototype.toString.call(cs), Object.prototype.toString.call(new DecompressionStream('gzip')))
      const errs = []
      for (const f of [() => new CompressionStream('br'), () => new CompressionStream(), () => new DecompressionStream('GZIP'), () => CompressionStream('gzip')]) {
        try { f(); errs.push('none') } catch (e) { errs.push(e.constructor.name) }
      }
      report(errs)
      const w = new CompressionStream('gzip')
      const writer = w.writable.getWriter()
      const r = w.readable.getReader()
      report(await Promise.all([writer.write('not bytes').catch((e) => e.constructor.name), r.read().catch((e) => e.constructor.name)]))
      // ArrayBuffer and DataView chunks are BufferSources too.
      const ab = await through(new CompressionStream('deflate'), new Uint8Array([1, 2, 3]))
      const viaAb = new DecompressionStream('deflate')
      const vw = viaAb.writable.getWriter()
      vw.write(new DataView(ab.buffer, 0, 2)); vw.write(ab.buffer.slice(2)); vw.close()
      report(Array.from((await viaAb.readable.getReader().read()).value))
    `)
    expect(calls).toEqual([
      [true, true, 0],
      ['[object CompressionStream]', '[object DecompressionStream]'],
      ['TypeError', 'TypeError', 'TypeError', 'TypeError'],
      ['TypeError', 'TypeError'],
      [1, 2, 3],
    ])
  })

  it('errors the stream with a TypeError for invalid, truncated and trailing data', async () => {
    const calls = await run(`
      const gz = await through(new CompressionStream('gzip'), sample)
      const cases = {
        invalid: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
        truncated: gz.slice(0, gz.length - 4),
        trailing: new Uint8Array([...gz, 0]),
        badCrc: gz.map((b, i) => (i === gz.length - 6 ? b ^ 1 : b)),
      }
      for (const [name, bytes] of Object.entries(cases)) {
        report(name, await through(new DecompressionStream('gzip'), bytes, 4096).then(() => 'ok', (e) => e.constructor.name))
      }
      const raw = await through(new CompressionStream('deflate-raw'), sample)
      report(await through(new DecompressionStream('deflate'), raw).then(() => 'ok', (e) => e.constructor.name))
    `)
    expect(calls).toEqual([
      ['invalid', 'TypeError'], ['truncated', 'TypeError'], ['trailing', 'TypeError'], ['badCrc', 'TypeError'], 'TypeError',
    ])
  })

  // Issue #10: a write must settle as a TransformStream's does (once the transform took the chunk
  // and the readable side has room), not only once all of its output is read.
  it('a write settles once its chunk is taken, without its whole output read (WPT decompression-uint8array-output)', async () => {
    const calls = await run(`
      const settled = (p) => Promise.race([p.then(() => 'fulfilled', (e) => e.constructor.name), new Promise((r) => setTimeout(() => r('pending'), 200))])
      for (const format of ['gzip', 'deflate', 'deflate-raw']) {
        // About 190 KB of output: several pieces, of which one is read before the write is awaited.
        const packed = await through(new CompressionStream(format), sample)
        const ds = new DecompressionStream(format)
        const writer = ds.writable.getWriter()
        const reader = ds.readable.getReader()
        const write = writer.write(packed)
        // Nothing read: the readable side has no room (highWaterMark 0), so the write waits.
        const before = await settled(write)
        const first = await reader.read()
        report(format, before, first.value.constructor === Uint8Array, await settled(write))
      }
      // The same for compression: a chunk whose output is not read settles once taken.
      const cs = new CompressionStream('gzip')
      const cw = cs.writable.getWriter()
      const cr = cs.readable.getReader()
      const w1 = cw.write(sample)
      await cr.read()
      report(await settled(w1))
    `)
    expect(calls).toEqual([
      ['gzip', 'pending', true, 'fulfilled'],
      ['deflate', 'pending', true, 'fulfilled'],
      ['deflate-raw', 'pending', true, 'fulfilled'],
      'fulfilled',
    ])
  })

  it('output made after a write settled comes from the bytes written then, not from the reused buffer', async () => {
    const calls = await run(`
      const packed = await through(new CompressionStream('deflate'), sample)
      const ds = new DecompressionStream('deflate')
      const writer = ds.writable.getWriter()
      const reader = ds.readable.getReader()
      // A writer that reuses its buffer once a write settled (as a file or socket reader does).
      const buf = new Uint8Array(packed.length + 8)
      buf.set(packed)
      const view = new DataView(buf.buffer, 0, packed.length)
      const write = writer.write(view)
      const chunks = [(await reader.read()).value]
      await write
      buf.fill(0xff)
      const close = writer.close()
      for (;;) { const { value, done } = await reader.read(); if (done) break; chunks.push(value) }
      await close
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
      let o = 0
      for (const c of chunks) { all.set(c, o); o += c.length }
      report(chunks.length > 1, same(all, sample))
    `)
    expect(calls).toEqual([[true, true]])
  })

  it('bad data found after a write settled errors both sides with a TypeError', async () => {
    const calls = await run(`
      const gz = await through(new CompressionStream('gzip'), sample)
      // The CRC is checked at the end, long after the first piece settled the write.
      gz[gz.length - 6] ^= 1
      const ds = new DecompressionStream('gzip')
      const writer = ds.writable.getWriter()
      const reader = ds.readable.getReader()
      const write = writer.write(gz)
      await reader.read()
      await write
      let err
      try { for (;;) { if ((await reader.read()).done) break } } catch (e) { err = e }
      report(err?.constructor.name, await writer.close().then(() => 'ok', (e) => e.constructor.name))
    `)
    expect(calls).toEqual([['TypeError', 'TypeError']])
  })

  it('later chunks wait for the output of earlier ones: a bomb in two writes is read in bounded memory', { timeout: 60_000 }, async () => {
    const bomb = deflateRawSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 })
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      memoryLimitMB: 16,
      customFunctions: { ...customFunctions, bomb: { type: 'sync', fn: () => new Uint8Array(bomb) } },
    })
    await r.eval(`
      const b = bomb()
      const half = b.length >> 1
      const ds = new DecompressionStream('deflate-raw')
      const w = ds.writable.getWriter()
      const reader = ds.readable.getReader()
      const first = w.write(b.subarray(0, half))
      let n = (await reader.read()).value.byteLength
      await first
      const second = w.write(b.subarray(half))
      const close = w.close()
      let largest = 0
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        n += value.byteLength
        largest = Math.max(largest, value.byteLength)
      }
      await second
      await close
      report([n, largest])
    `)
    expect(calls).toEqual([[256 * 1024 * 1024, 65536]])
  })

  it('chunks that are no BufferSource error the stream with a TypeError (WPT compression-bad-chunks)', async () => {
    const calls = await run(`
      const shared = () => new WebAssembly.Memory({ shared: true, initial: 1, maximum: 1 }).buffer
      const bad = { undefined: undefined, null: null, number: 3.14, object: {}, array: [65], string: 'abc',
        SharedArrayBuffer: shared(), 'shared Uint8Array': new Uint8Array(shared()), 'shared DataView': new DataView(shared()) }
      for (const [name, chunk] of Object.entries(bad)) {
        const out = []
        for (const s of [new CompressionStream('gzip'), new DecompressionStream('deflate')]) {
          const writer = s.writable.getWriter()
          const reader = s.readable.getReader()
          const r = await Promise.all([writer.write(chunk), reader.read()].map((p) => p.then(() => 'ok', (e) => e.constructor.name)))
          out.push(...r)
        }
        report(name, out)
      }
      // A detached ArrayBuffer holds no bytes (WebIDL "get a copy of the buffer source"): it is empty input.
      const detached = new ArrayBuffer(8)
      const views = [new Uint8Array(detached, 2), new DataView(detached, 1)]
      detached.transfer()
      const packed = await through(new CompressionStream('gzip'), new Uint8Array(0))
      const cs = new CompressionStream('gzip')
      const cw = cs.writable.getWriter()
      cw.write(detached); cw.write(views[0]); cw.write(views[1]); cw.close()
      const chunks = []
      for await (const c of cs.readable) chunks.push(...c)
      report('detached', same(new Uint8Array(chunks), packed))
    `)
    const both = ['TypeError', 'TypeError', 'TypeError', 'TypeError']
    expect(calls).toEqual([
      ['undefined', both], ['null', both], ['number', both], ['object', both], ['array', both], ['string', both],
      ['SharedArrayBuffer', both], ['shared Uint8Array', both], ['shared DataView', both],
      ['detached', true],
    ])
  })

  it('cancelling the readable side while output is still pending frees the stream and errors later writes', async () => {
    const calls = await run(`
      const packed = await through(new CompressionStream('gzip'), sample)
      const ds = new DecompressionStream('gzip')
      const writer = ds.writable.getWriter()
      const reader = ds.readable.getReader()
      const write = writer.write(packed)
      await reader.read()
      await write
      await reader.cancel(new RangeError('enough'))
      report(await writer.write(packed).then(() => 'ok', (e) => e.constructor.name))
    `)
    expect(calls).toEqual(['RangeError'])
  })

  it('cancelling the readable side while close() is still handing out output ends both, instead of hanging', async () => {
    const calls = await run(`
      // 4 MB of zeros: a few KB that inflate to many 64 KB pieces, most of them made by the flush.
      const packed = await through(new CompressionStream('deflate'), new Uint8Array(4_000_000), 1 << 20)
      const ds = new DecompressionStream('deflate')
      const writer = ds.writable.getWriter()
      const reader = ds.readable.getReader()
      writer.write(packed)
      const closed = writer.close().then(() => 'closed', (e) => 'close rejected: ' + e)
      await reader.read()
      await new Promise((r) => setTimeout(r, 10))
      const timeout = new Promise((r) => setTimeout(() => r('hung'), 2000))
      report(await Promise.race([reader.cancel('enough').then(() => 'cancelled'), timeout]))
      report(await Promise.race([closed, timeout]))
      report(await reader.closed.then(() => 'reader closed'))
    `)
    expect(calls).toEqual(['cancelled', 'closed', 'reader closed'])
  })

  it('interoperates with node:zlib on the host, both ways', async () => {
    const text = 'héllo from the host '.repeat(500)
    const fromHost = {
      gzip: gzipSync(text), deflate: deflateSync(text), 'deflate-raw': deflateRawSync(text),
    }
    const received: Record<string, Uint8Array> = {}
    const calls = await run(`
      for (const format of ['gzip', 'deflate', 'deflate-raw']) {
        const packed = await through(new CompressionStream(format), new TextEncoder().encode(${JSON.stringify(text)}))
        send(format, packed)
        const hostBytes = hostData(format)
        const back = await through(new DecompressionStream(format), hostBytes, 50)
        report(format, new TextDecoder().decode(back) === ${JSON.stringify(text)})
      }
    `, {
      send: { type: 'sync', fn: (format: string, bytes: Uint8Array) => { received[format] = bytes } },
      hostData: { type: 'sync', fn: (format: string) => new Uint8Array(fromHost[format as keyof typeof fromHost]) },
    })
    expect(calls).toEqual([['gzip', true], ['deflate', true], ['deflate-raw', true]])
    expect(gunzipSync(received.gzip).toString()).toBe(text)
    expect(inflateSync(received.deflate).toString()).toBe(text)
    expect(inflateRawSync(received['deflate-raw']).toString()).toBe(text)
  })

  it('decompressed output is made as it is read: a 512 MB bomb read and dropped piece by piece fits a 16 MB runtime', { timeout: 60_000 }, async () => {
    const bomb = gzipSync(Buffer.alloc(512 * 1024 * 1024), { level: 9 })
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      memoryLimitMB: 16,
      customFunctions: { ...customFunctions, bomb: { type: 'sync', fn: () => new Uint8Array(bomb) } },
    })
    await r.eval(`
      const ds = new DecompressionStream('gzip')
      const w = ds.writable.getWriter()
      w.write(bomb())
      w.close()
      let n = 0, largest = 0
      for await (const c of ds.readable) { n += c.byteLength; largest = Math.max(largest, c.byteLength) }
      report([n, largest])
    `)
    expect(calls).toEqual([[512 * 1024 * 1024, 65536]])
  })

  it('compression streams are charged their native state: 200 kept ones (about 64 MB of zlib state, little heap) end a 16 MB runtime with MemoryLimitError', async () => {
    const r = await createRuntime({ memoryLimitMB: 16 })
    const err = await r
      .eval(`const keep = []; for (let i = 0; i < 200; i++) keep.push(new CompressionStream('gzip'))`)
      .then(() => null, (e) => e)
    expect(err?.name).toBe('MemoryLimitError')
    // Dropped ones give their charge back: 200 made one after another fit.
    const r2 = await createRuntime({ memoryLimitMB: 16 })
    await r2.eval(`for (let i = 0; i < 200; i++) { const cs = new CompressionStream('deflate'); await new Response(new Blob(['x']).stream().pipeThrough(cs)).arrayBuffer() }`)
  })

  it('a decompression bomb ends in an error inside the isolate, not in unbounded host memory', async () => {
    const bomb = gzipSync(Buffer.alloc(512 * 1024 * 1024))
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({
      memoryLimitMB: 64,
      customFunctions: { ...customFunctions, bomb: { type: 'sync', fn: () => new Uint8Array(bomb) } },
    })
    const err = await r.eval(`
      const ds = new DecompressionStream('gzip')
      const w = ds.writable.getWriter()
      w.write(bomb()).catch(() => {})
      const reader = ds.readable.getReader()
      await reader.read()
      report('read one')
    `).then(() => null, (e) => e)
    // Either the isolate's RangeError or the runtime's MemoryLimitError: never a host crash.
    expect(err === null ? calls : err.name).toBeDefined()
    if (err) expect(['RangeError', 'MemoryLimitError']).toContain(err.name)
  })
})
