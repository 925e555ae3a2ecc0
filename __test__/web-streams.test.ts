// Web streams inside the isolate (https://streams.spec.whatwg.org/), checked against the spec's
// observable behaviour: class shapes, errors, backpressure, BYOB, tee, pipes, iteration, from;
// plus TextEncoderStream/TextDecoderStream.
import { describe, expect, it } from 'vitest'
import { CHECK, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function run(code: string) {
  const { calls, customFunctions } = reporter()
  const r = await createRuntime({ customFunctions })
  await r.eval(CHECK + code)
  return calls
}

describe('class shapes', () => {
  it('exposes every interface as a non-enumerable global with WebIDL-shaped prototypes', async () => {
    const calls = await run(`
      const names = ['ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest',
        'ReadableStreamDefaultController', 'ReadableByteStreamController', 'WritableStream', 'WritableStreamDefaultWriter',
        'WritableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController', 'ByteLengthQueuingStrategy',
        'CountQueuingStrategy', 'TextEncoderStream', 'TextDecoderStream', 'CompressionStream', 'DecompressionStream']
      for (const n of names) {
        const d = Object.getOwnPropertyDescriptor(globalThis, n)
        check(d && !d.enumerable && d.writable && d.configurable, n + ' descriptor')
        check(d.value.name === n, n + ' name')
        check(Object.prototype.toString.call(d.value.prototype) === '[object ' + n + ']', n + ' toStringTag')
      }
      report(Object.keys(globalThis).filter((k) => names.includes(k)))
      const rs = new ReadableStream()
      report(Object.keys(rs), JSON.stringify(rs))
      const protoKeys = []
      for (const k in rs) protoKeys.push(k)
      report(protoKeys.sort())
      report([ReadableStream.length, rs.cancel.length, rs.getReader.length, rs.pipeTo.length, rs.pipeThrough.length, rs.tee.length, rs.values.length, ReadableStream.from.length])
      report(ReadableStream.prototype[Symbol.asyncIterator] === ReadableStream.prototype.values)
      report([WritableStream.length, TransformStream.length, CountQueuingStrategy.length, TextDecoderStream.length, CompressionStream.length])
      const ws = new WritableStream()
      const wkeys = []; for (const k in ws.getWriter()) wkeys.push(k)
      report(wkeys.sort())
      report(rs.constructor === ReadableStream && rs instanceof ReadableStream)
      check(Object.getOwnPropertyDescriptor(ReadableStream.prototype, 'locked').get.name === 'get locked', 'getter name')
    `)
    expect(calls[0]).toEqual([])
    expect(calls[1]).toEqual([[], '{}'])
    expect(calls[2]).toEqual(['cancel', 'getReader', 'locked', 'pipeThrough', 'pipeTo', 'tee', 'values'])
    expect(calls[3]).toEqual([0, 0, 0, 1, 1, 0, 0, 1])
    expect(calls[4]).toBe(true)
    expect(calls[5]).toEqual([0, 0, 1, 0, 1])
    expect(calls[6]).toEqual(['abort', 'close', 'closed', 'desiredSize', 'ready', 'releaseLock', 'write'])
    expect(calls[7]).toBe(true)
  })

  it('constructors refuse to be called without new, and controllers/readers/requests cannot be made directly', async () => {
    const calls = await run(`
      const errs = []
      for (const f of [() => ReadableStream(), () => new ReadableStreamDefaultController(), () => new ReadableByteStreamController(),
        () => new ReadableStreamBYOBRequest(), () => new WritableStreamDefaultController(), () => new TransformStreamDefaultController(),
        () => new ReadableStreamDefaultReader({}), () => new WritableStreamDefaultWriter({})]) {
        try { f(); errs.push('none') } catch (e) { errs.push(e.constructor.name) }
      }
      report(errs)
      try { ReadableStream.prototype.getReader.call({}) } catch (e) { report(e instanceof TypeError) }
    `)
    expect(calls[0]).toEqual(Array(8).fill('TypeError'))
    expect(calls[1]).toBe(true)
  })
})

describe('ReadableStream', () => {
  it('reads queued chunks, then closes; locks with a reader; TypeError for a second reader', async () => {
    const calls = await run(`
      const rs = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close() } })
      const r = rs.getReader()
      report(rs.locked, r instanceof ReadableStreamDefaultReader)
      try { rs.getReader() } catch (e) { report(e.name) }
      try { rs.tee() } catch (e) { report(e.name) }
      report(await rs.cancel().catch((e) => e.name))
      report(await r.read(), await r.read(), await r.read())
      await r.closed
      r.releaseLock()
      report(rs.locked)
    `)
    expect(calls).toEqual([
      [true, true], 'TypeError', 'TypeError', 'TypeError',
      [{ value: 1, done: false }, { value: 2, done: false }, { value: undefined, done: true }],
      false,
    ])
  })

  it('RangeError for a bad highWaterMark, TypeError for a bad type or size', async () => {
    const calls = await run(`
      const names = []
      for (const f of [
        () => new ReadableStream({}, { highWaterMark: -1 }),
        () => new ReadableStream({}, { highWaterMark: NaN }),
        () => new WritableStream({}, { highWaterMark: -1 }),
        () => new ReadableStream({ type: 'nope' }),
        () => new ReadableStream({}, { size: 5 }),
        () => new ReadableStream({ type: 'bytes' }, { size() { return 1 } }),
        () => new ReadableStream({ type: 'bytes' }, { highWaterMark: -1 }),
      ]) { try { f(); names.push('none') } catch (e) { names.push(e.constructor.name) } }
      report(names)
    `)
    expect(calls[0]).toEqual(['RangeError', 'RangeError', 'RangeError', 'TypeError', 'TypeError', 'RangeError', 'RangeError'])
  })

  it('releasing a reader with pending reads rejects them with a TypeError (current spec)', async () => {
    const calls = await run(`
      const rs = new ReadableStream()
      const r = rs.getReader()
      const p = r.read()
      r.releaseLock()
      report(await p.catch((e) => e.constructor.name), rs.locked)
      report(await r.closed.catch((e) => e.constructor.name))
      report(await r.read().catch((e) => e.constructor.name))
    `)
    expect(calls).toEqual([['TypeError', false], 'TypeError', 'TypeError'])
  })

  it('backpressure: desiredSize follows the strategy; pull is called when there is room', async () => {
    const calls = await run(`
      let ctrl, pulls = 0
      const rs = new ReadableStream({ start(c) { ctrl = c }, pull() { pulls++ } },
        new ByteLengthQueuingStrategy({ highWaterMark: 10 }))
      await 0; await 0
      report(ctrl.desiredSize, pulls)
      ctrl.enqueue(new Uint8Array(4))
      ctrl.enqueue(new Uint8Array(8))
      report(ctrl.desiredSize)
      const r = rs.getReader()
      await r.read(); await r.read()
      await new Promise((res) => setTimeout(res, 0))
      report(ctrl.desiredSize, pulls > 1)
      const cq = new CountQueuingStrategy({ highWaterMark: 3 })
      report(cq.highWaterMark, cq.size(), cq.size.length, new ByteLengthQueuingStrategy({ highWaterMark: 2 }).size(new Uint8Array(7)))
      ctrl.close()
      try { ctrl.enqueue(1) } catch (e) { report(e.constructor.name) }
    `)
    expect(calls).toEqual([[10, 1], -2, [10, true], [3, 1, 0, 7], 'TypeError'])
  })

  it('errors reject reads and closed with the stored error', async () => {
    const calls = await run(`
      const boom = new Error('boom')
      const rs = new ReadableStream({ pull(c) { c.error(boom) } })
      const r = rs.getReader()
      report(await r.read().catch((e) => e === boom), await r.closed.catch((e) => e === boom))
      try { new ReadableStream({ start() { throw new RangeError('s') } }) } catch (e) { report(e.name) }
      const rs3 = new ReadableStream({ start() { return Promise.reject(new SyntaxError('s')) } })
      report(await rs3.getReader().read().catch((e) => e.name))
    `)
    expect(calls).toEqual([[true, true], 'RangeError', 'SyntaxError'])
  })

  it('cancel reaches the source with the reason', async () => {
    const calls = await run(`
      const rs = new ReadableStream({ cancel(reason) { report('cancel', reason) } })
      report(await rs.cancel('why'))
    `)
    expect(calls).toEqual([['cancel', 'why'], undefined])
  })
})

// ReadableStream type "owning" (https://github.com/whatwg/streams/pull/1271).
describe('owning streams', () => {
  it('enqueue(chunk, { transfer }) enqueues a clone and detaches the transferred buffers; tee clones for the second branch', async () => {
    const calls = await run(`
      const buffer = new Uint8Array([1, 2, 3]).buffer
      buffer.extra = 1
      const obj = { buffer, n: 5 }
      let ctrl
      const rs = new ReadableStream({ type: 'owning', start(c) { ctrl = c; c.enqueue(obj, { transfer: [buffer] }) } })
      report(ctrl instanceof ReadableStreamDefaultController, buffer.byteLength, ctrl.enqueue.length)
      const { value } = await rs.getReader().read()
      report(value !== obj, value.n, Array.from(new Uint8Array(value.buffer)), value.buffer.extra)
      // tee: branch 2 gets its own copy of each chunk, branch 1 the enqueued one.
      const src = new ReadableStream({ type: 'owning', start(c) { c.enqueue({ a: [1] }); c.close() } })
      const [b1, b2] = src.tee()
      const [c1, c2] = await Promise.all([b1.getReader().read(), b2.getReader().read()])
      report(c1.value !== c2.value, c2.value.a[0])
      // A chunk that cannot be cloned is refused by enqueue(); the stream stays usable. The transfer
      // list is checked: a detached buffer is a DataCloneError, a non-sequence a TypeError.
      new ReadableStream({ type: 'owning', start(c) {
        try { c.enqueue({ f() {} }) } catch (e) { report(e.name, c.desiredSize) }
        try { c.enqueue(buffer, { transfer: [buffer] }) } catch (e) { report(e.name) }
        try { c.enqueue(1, { transfer: 5 }) } catch (e) { report(e.name) }
      } })
    `)
    expect(calls).toEqual([
      [true, 0, 0],
      [true, 5, [1, 2, 3], undefined],
      [true, 1],
      ['DataCloneError', 1],
      'DataCloneError',
      'TypeError',
    ])
  })

  it('other streams take a transfer option but refuse a non-empty list, and read the option before the state', async () => {
    const calls = await run(`
      const buffer = new ArrayBuffer(4)
      new ReadableStream({ start(c) {
        c.enqueue('a', { transfer: [] })
        c.enqueue('b', undefined)
        try { c.enqueue('c', { transfer: [buffer] }) } catch (e) { report(e.name, buffer.byteLength) }
        c.close()
        try { c.enqueue('d', { get transfer() { throw new RangeError('getter') } }) } catch (e) { report(e.name) }
        try { c.enqueue('e', 7) } catch (e) { report(e.name) }
      } })
      try { new ReadableStream({ type: 'owned' }) } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([['TypeError', 4], 'RangeError', 'TypeError', 'TypeError'])
  })
})

describe('byte streams', () => {
  it('BYOB reads fill the caller buffer (transferred), respecting min', async () => {
    const calls = await run(`
      const rs = new ReadableStream({
        type: 'bytes',
        pull(c) {
          const req = c.byobRequest
          check(req instanceof ReadableStreamBYOBRequest, 'byobRequest')
          const v = req.view
          v[0] = 7; v[1] = 8
          req.respond(2)
        },
        autoAllocateChunkSize: 16,
      })
      const r = rs.getReader({ mode: 'byob' })
      report(r instanceof ReadableStreamBYOBReader, r.constructor.name)
      const buf = new Uint8Array(4)
      const { value, done } = await r.read(buf)
      report(buf.byteLength, buf.buffer.detached, value instanceof Uint8Array, Array.from(value), done)
      const m = await r.read(new Uint8Array(6), { min: 6 })
      report(Array.from(m.value))
      try { await r.read(new Uint8Array(0)) } catch (e) { report(e.constructor.name) }
      r.releaseLock()
      const d = rs.getReader()
      const auto = await d.read()
      report(auto.value.byteLength, auto.value.buffer.byteLength)
      try { new ReadableStream().getReader({ mode: 'byob' }) } catch (e) { report(e.constructor.name) }
      try { rs.getReader({ mode: 'bad' }) } catch (e) { report(e.constructor.name) }
    `)
    expect(calls).toEqual([
      [true, 'ReadableStreamBYOBReader'],
      [0, true, true, [7, 8], false],
      [7, 8, 7, 8, 7, 8],
      'TypeError',
      [2, 16],
      'TypeError',
      'TypeError',
    ])
  })

  it('enqueued chunks fill a BYOB read across chunk boundaries; respondWithNewView works', async () => {
    const calls = await run(`
      let ctrl
      const rs = new ReadableStream({ type: 'bytes', start(c) { ctrl = c } })
      ctrl.enqueue(new Uint8Array([1, 2, 3]))
      ctrl.enqueue(new Uint8Array([4, 5]))
      report(ctrl instanceof ReadableByteStreamController, ctrl.desiredSize)
      const r = rs.getReader({ mode: 'byob' })
      report(Array.from((await r.read(new Uint8Array(4))).value))
      const p2 = r.read(new Uint8Array(3))
      report(Array.from((await p2).value))
      const p3 = r.read(new Uint8Array(3))
      const req = ctrl.byobRequest
      const nv = new Uint8Array(req.view.buffer, req.view.byteOffset, 1)
      nv[0] = 42
      req.respondWithNewView(nv)
      report(Array.from((await p3).value))
      ctrl.close()
      report((await r.read(new Uint8Array(2))).done)
    `)
    expect(calls).toEqual([[true, -5], [1, 2, 3, 4], [5], [42], true])
  })

  it('tee of a byte stream gives two byte streams with independent copies', async () => {
    const calls = await run(`
      const rs = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(new Uint8Array([1, 2, 3])); c.close() } })
      const [a, b] = rs.tee()
      report(rs.locked)
      const ra = a.getReader({ mode: 'byob' })
      const rb = b.getReader()
      const x = await ra.read(new Uint8Array(8))
      const y = await rb.read()
      y.value[0] = 99
      report(Array.from(x.value), Array.from(y.value), x.value.buffer !== y.value.buffer)
      report((await ra.read(new Uint8Array(1))).done, (await rb.read()).done)
    `)
    expect(calls).toEqual([true, [[1, 2, 3], [99, 2, 3], true], [true, true]])
  })

  it('tee of a default stream: both branches see everything; cancel reaches the source only after both', async () => {
    const calls = await run(`
      const rs = new ReadableStream({
        start(c) { c.enqueue('x'); c.enqueue('y') },
        cancel(r) { report('cancelled', r) },
      })
      const [a, b] = rs.tee()
      const ra = a.getReader()
      report((await ra.read()).value, (await ra.read()).value)
      const pa = ra.cancel('A')
      report('after a')
      const pb = b.cancel('B')
      await Promise.all([pa, pb])
    `)
    expect(calls).toEqual([['x', 'y'], 'after a', ['cancelled', ['A', 'B']]])
  })
})

describe('WritableStream', () => {
  it('writes in order, backpressure via desiredSize and ready, close and abort', async () => {
    const calls = await run(`
      const seen = []
      let release
      const ws = new WritableStream({
        write(chunk, c) {
          check(c instanceof WritableStreamDefaultController, 'controller')
          check(c.signal instanceof AbortSignal, 'signal')
          seen.push(chunk)
          return new Promise((r) => { release = r })
        },
        close() { seen.push('closed') },
      }, new CountQueuingStrategy({ highWaterMark: 2 }))
      const w = ws.getWriter()
      report(w.desiredSize, ws.locked)
      const p1 = w.write('a'); const p2 = w.write('b'); const p3 = w.write('c')
      report(w.desiredSize)
      let readyResolved = false
      w.ready.then(() => { readyResolved = true })
      await 0; await 0
      report(readyResolved)
      release(); await p1
      release(); await p2
      release(); await p3
      await w.ready
      report(w.desiredSize)
      await w.close()
      report(seen)
      try { ws.getWriter() } catch (e) { report(e.constructor.name) }
      report(await w.write('late').catch((e) => e.constructor.name))
    `)
    expect(calls).toEqual([[2, true], -1, false, 2, ['a', 'b', 'c', 'closed'], 'TypeError', 'TypeError'])
  })

  it('abort signals the controller signal with the reason and errors the stream', async () => {
    const calls = await run(`
      let signal
      const ws = new WritableStream({
        start(c) { signal = c.signal; signal.addEventListener('abort', () => report('abort event', signal.reason)) },
        abort(reason) { report('sink abort', reason) },
      })
      await ws.abort('stop')
      report(signal.aborted)
      report(await ws.getWriter().closed.catch((e) => e))
    `)
    expect(calls).toEqual([['abort event', 'stop'], ['sink abort', 'stop'], true, 'stop'])
  })
})

describe('TransformStream', () => {
  it('transforms, flushes, and pipeThrough returns the readable side', async () => {
    const calls = await run(`
      const upper = new TransformStream({
        transform(chunk, c) {
          check(c instanceof TransformStreamDefaultController, 'controller')
          c.enqueue(chunk.toUpperCase())
        },
        flush(c) { c.enqueue('!') },
      })
      const rs = ReadableStream.from(['a', 'b'])
      const out = rs.pipeThrough(upper)
      report(out === upper.readable)
      const got = []
      for await (const x of out) got.push(x)
      report(got)
      const id = new TransformStream()
      const w = id.writable.getWriter(); w.write(1); w.close()
      report((await id.readable.getReader().read()).value)
      try { new TransformStream({ readableType: 'bytes' }) } catch (e) { report(e.constructor.name) }
      try { ReadableStream.from([]).pipeThrough({ readable: 1, writable: 2 }) } catch (e) { report(e.constructor.name) }
    `)
    expect(calls).toEqual([true, ['A', 'B', '!'], 1, 'RangeError', 'TypeError'])
  })

  it('terminate closes the readable and errors the writable; error errors both', async () => {
    const calls = await run(`
      const t = new TransformStream({ start(c) { c.enqueue(1); c.terminate() } })
      const r = t.readable.getReader()
      report((await r.read()).value, (await r.read()).done)
      report(await t.writable.getWriter().write(2).catch((e) => e.constructor.name))
      const t2 = new TransformStream({ transform() { throw new RangeError('x') } })
      const w2 = t2.writable.getWriter()
      report(await Promise.all([w2.write(1).catch((e) => e.name), t2.readable.getReader().read().catch((e) => e.name)]))
    `)
    expect(calls).toEqual([[1, true], 'TypeError', ['RangeError', 'RangeError']])
  })
})

describe('pipeTo', () => {
  async function pipeCase(opts: string, srcError: boolean) {
    return run(`
      const log = []
      const src = new ReadableStream({
        start(c) { c.enqueue(1); ${srcError ? "c.error('E')" : 'c.close()'} },
        cancel(r) { log.push('cancel:' + r) },
      })
      const dst = new WritableStream({
        write(x) { log.push('write:' + x) },
        close() { log.push('close') },
        abort(r) { log.push('abort:' + r) },
      })
      const res = await src.pipeTo(dst, ${opts}).then(() => 'ok', (e) => 'rejected:' + e)
      report(res, log, dst.locked, src.locked)
    `)
  }

  it('closes the destination when the source ends, unless preventClose', async () => {
    expect((await pipeCase('{}', false))[0]).toEqual(['ok', ['write:1', 'close'], false, false])
    expect((await pipeCase('{ preventClose: true }', false))[0]).toEqual(['ok', ['write:1'], false, false])
  })

  it('aborts the destination when the source errors, unless preventAbort', async () => {
    expect((await pipeCase('{}', true))[0]).toEqual(['rejected:E', ['abort:E'], false, false])
    expect((await pipeCase('{ preventAbort: true }', true))[0]).toEqual(['rejected:E', [], false, false])
  })

  it('cancels the source when the destination errors, unless preventCancel', async () => {
    const calls = await run(`
      for (const preventCancel of [false, true]) {
        const log = []
        const src = new ReadableStream({ pull(c) { c.enqueue(1) }, cancel(r) { log.push('cancel:' + r.message) } })
        const dst = new WritableStream({ write() { throw new Error('W') } })
        const res = await src.pipeTo(dst, { preventCancel }).catch((e) => e.message)
        report(res, log, src.locked)
      }
    `)
    expect(calls).toEqual([['W', ['cancel:W'], false], ['W', [], false]])
  })

  it('an AbortSignal stops the pipe with its reason, aborting and cancelling both ends', async () => {
    const calls = await run(`
      const log = []
      const src = new ReadableStream({ pull(c) { return new Promise((r) => setTimeout(() => { c.enqueue('tick'); r() }, 5)) }, cancel(r) { log.push('cancel ' + r.name) } })
      const dst = new WritableStream({ write() {}, abort(r) { log.push('abort ' + r.name) } })
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 30)
      const err = await src.pipeTo(dst, { signal: ac.signal }).catch((e) => e)
      report(err instanceof DOMException, err.name, log.sort())
      const ac2 = new AbortController(); ac2.abort('early')
      report(await ReadableStream.from([1]).pipeTo(new WritableStream(), { signal: ac2.signal }).catch((e) => e))
      report(await ReadableStream.from([1]).pipeTo(new WritableStream(), { signal: 'nope' }).catch((e) => e.constructor.name))
      const locked = new ReadableStream(); locked.getReader()
      report(await locked.pipeTo(new WritableStream()).catch((e) => e.constructor.name))
    `)
    expect(calls).toEqual([[true, 'AbortError', ['abort AbortError', 'cancel AbortError']], 'early', 'TypeError', 'TypeError'])
  })
})

describe('pipeTo write timing', () => {
  it("enqueue() does not run the destination's write synchronously, and a chunk read before an abort is still written", async () => {
    const calls = await run(`
      let con
      let synchronous = false
      const log = []
      new ReadableStream({ start(c) { con = c } }, { highWaterMark: 0 }).pipeTo(new WritableStream({ write(x) { synchronous = true; log.push('write:' + x) } }))
      await Promise.resolve()
      con.enqueue('a')
      report(synchronous)
      await new Promise((r) => setTimeout(r, 5))
      report(synchronous, log)
      // The read is fulfilled, then the pipe is aborted in the same task: the chunk is written first.
      let con2
      const log2 = []
      const ac = new AbortController()
      const piped = new ReadableStream({ start(c) { con2 = c }, cancel() { log2.push('cancel') } }, { highWaterMark: 0 })
        .pipeTo(new WritableStream({ write(x) { log2.push('write:' + x) }, abort(r) { log2.push('abort:' + r.name) } }), { signal: ac.signal })
      await new Promise((r) => setTimeout(r, 5))
      con2.enqueue('b')
      ac.abort()
      report(await piped.catch((e) => e.name), log2)
    `)
    expect(calls).toEqual([false, [true, ['write:a']], ['AbortError', ['write:b', 'abort:AbortError', 'cancel']]])
  })
})

describe('async iteration and ReadableStream.from', () => {
  it('breaking out of for await cancels the stream, unless preventCancel', async () => {
    const calls = await run(`
      for (const preventCancel of [false, true]) {
        let cancelled = false
        let i = 0
        const rs = new ReadableStream({ pull(c) { c.enqueue(i++) }, cancel() { cancelled = true } })
        for await (const x of rs.values({ preventCancel })) { if (x === 2) break }
        report(cancelled, rs.locked)
      }
      const it = new ReadableStream({ start(c) { c.close() } })[Symbol.asyncIterator]()
      report(Object.prototype.toString.call(it), await it.next(), await it.return('r'))
      const asyncProto = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype)
      report(Object.getPrototypeOf(Object.getPrototypeOf(it)) === asyncProto)
    `)
    expect(calls).toEqual([
      [true, false], [false, false],
      ['[object ReadableStream AsyncIterator]', { value: undefined, done: true }, { value: 'r', done: true }],
      true,
    ])
  })

  // https://webidl.spec.whatwg.org/#es-asynchronous-iterator-prototype-object: return() becomes the
  // ongoing promise, so next() and return() called right after it settle after it, in call order.
  it('next() and return() called before a return() settled wait for it', async () => {
    const calls = await run(`
      let resolveCancel
      const rs = new ReadableStream({ cancel: () => new Promise((r) => { resolveCancel = r }) })
      const it = rs.values()
      const order = []
      const all = Promise.all([
        it.return('r1').then((v) => { order.push(['return 1', v.value, v.done]) }),
        it.next().then((v) => { order.push(['next', v.value, v.done]) }),
        it.return('r2').then((v) => { order.push(['return 2', v.value, v.done]) }),
      ])
      await new Promise((r) => setTimeout(r, 5))
      report(order.length)
      resolveCancel()
      await all
      report(order)
    `)
    expect(calls).toEqual([0, [['return 1', 'r1', true], ['next', undefined, true], ['return 2', 'r2', true]]])
  })

  it('ReadableStream.from takes async and sync iterables, and rejects non-iterables with TypeError', async () => {
    const calls = await run(`
      async function* gen() { yield 1; yield 2 }
      const out = []
      for await (const x of ReadableStream.from(gen())) out.push(x)
      for await (const x of ReadableStream.from(new Set(['s']))) out.push(x)
      for await (const x of ReadableStream.from([Promise.resolve('p')])) out.push(x)
      report(out)
      try { ReadableStream.from(5) } catch (e) { report(e.constructor.name) }
      let returned = false
      const src = { [Symbol.asyncIterator]() { return { next: async () => ({ value: 1, done: false }), return: async () => { returned = true; return { done: true } } } } }
      await ReadableStream.from(src).cancel('x')
      report(returned)
    `)
    expect(calls).toEqual([[1, 2, 's', 'p'], 'TypeError', true])
  })
})

describe('TextEncoderStream and TextDecoderStream', () => {
  it('decodes multi-byte characters split across chunks, and a split surrogate pair encodes whole', async () => {
    const calls = await run(`
      const bytes = new TextEncoder().encode('h€llo 😀!')
      const pieces = []
      for (let i = 0; i < bytes.length; i++) pieces.push(bytes.slice(i, i + 1))
      let text = ''
      for await (const s of ReadableStream.from(pieces).pipeThrough(new TextDecoderStream())) text += s
      report(text)
      const enc = ReadableStream.from(['a\\uD83D', '\\uDE00b', '\\uD83D']).pipeThrough(new TextEncoderStream())
      const out = []
      for await (const c of enc) { check(c instanceof Uint8Array, 'Uint8Array'); out.push(...c) }
      report(new TextDecoder().decode(new Uint8Array(out)))
      const tes = new TextEncoderStream()
      report(tes.encoding, tes.readable instanceof ReadableStream, tes.writable instanceof WritableStream)
      const tds = new TextDecoderStream('utf-16le', { fatal: true, ignoreBOM: true })
      report(tds.encoding, tds.fatal, tds.ignoreBOM)
      try { new TextDecoderStream('no-such') } catch (e) { report(e.constructor.name) }
      try { Object.getOwnPropertyDescriptor(TextDecoderStream.prototype, 'encoding').get.call({}) } catch (e) { report(e.constructor.name) }
      const fatal = ReadableStream.from([new Uint8Array([0xff])]).pipeThrough(new TextDecoderStream('utf-8', { fatal: true }))
      report(await fatal.getReader().read().catch((e) => e.constructor.name))
      const trunc = ReadableStream.from([new Uint8Array([0xe2, 0x82])]).pipeThrough(new TextDecoderStream())
      report((await trunc.getReader().read()).value)
      const notBuf = ReadableStream.from(['str']).pipeThrough(new TextDecoderStream())
      report(await notBuf.getReader().read().catch((e) => e.constructor.name))
    `)
    expect(calls).toEqual([
      'h€llo 😀!',
      'a😀b\uFFFD',
      ['utf-8', true, true],
      ['utf-16le', true, true],
      'RangeError',
      'TypeError',
      'TypeError',
      '\uFFFD',
      'TypeError',
    ])
  })

  // https://encoding.spec.whatwg.org/#decode-and-enqueue-a-chunk: the chunk is converted to a
  // BufferSource, so undefined errors the stream (TextDecoder.decode() alone would accept it).
  it('a TextDecoderStream errors on an undefined chunk: the write and a pending read reject with TypeError', async () => {
    const calls = await run(`
      const tds = new TextDecoderStream()
      const reader = tds.readable.getReader()
      const writer = tds.writable.getWriter()
      const write = writer.write(undefined)
      const read = reader.read()
      report(await write.then(() => 'written', (e) => e.constructor.name))
      report(await read.then(() => 'read', (e) => e.constructor.name))
      report(await writer.closed.then(() => 'closed', (e) => e.constructor.name))
    `)
    expect(calls).toEqual(['TypeError', 'TypeError', 'TypeError'])
  })
})

describe('snapshot and user tampering', () => {
  it('streams work in a fresh runtime after another used them, and ignore a replaced global or polluted Object.prototype', async () => {
    await run(`await ReadableStream.from([1]).pipeTo(new WritableStream())`)
    const calls = await run(`
      Object.prototype.start = () => { throw new Error('polluted') }
      Object.prototype.highWaterMark = -5
      globalThis.AbortController = undefined
      const t = new TextEncoderStream()
      const w = t.writable.getWriter(); w.write('x'); w.close()
      report(Array.from((await t.readable.getReader().read()).value))
      delete Object.prototype.start; delete Object.prototype.highWaterMark
      const ws = new WritableStream({ start(c) { report(c.signal instanceof AbortSignal) } })
    `)
    expect(calls).toEqual([[120], true])
  })
})
