// Streams (https://streams.spec.whatwg.org/): ReadableStream (default and byte streams, BYOB
// readers, tee, pipes, async iteration, from), WritableStream, TransformStream, the queuing
// strategies; TextEncoderStream/TextDecoderStream (https://encoding.spec.whatwg.org/) and
// CompressionStream/DecompressionStream (https://compression.spec.whatwg.org/, zlib in Rust).
//
// The stream algorithms are the vendored web-streams-polyfill 3.3.3 (web-streams-polyfill.js, see
// vendor.mjs), which passes the Web Platform Tests; mod.rs hands it to this file as
// `webStreamsPolyfill`. Internal slots are symbol-keyed, so streams show no own string keys.
//
// What other areas get on `internals` (fetch/blob bodies). All take and return real streams;
// none of them can be reached or replaced by user code:
//   ReadableStream, WritableStream, TransformStream   the constructors, as installed
//   readableStreamFromBytes(u8) -> ReadableStream       a byte stream of those bytes; takes
//                                                      ownership (u8's buffer is transferred)
//   readableStreamFromIterable(iterable) -> ReadableStream    ReadableStream.from, sync or async
//   readAllBytes(stream) -> Promise<Uint8Array>         locks and reads to the end; chunks must be
//                                                      Uint8Arrays (else TypeError, stream cancelled);
//                                                      one copy per chunk (at the end), never per byte
//   isReadableStream(v), isReadableStreamLocked(s), isReadableStreamDisturbed(s) (alias isDisturbed)
//   readableStreamState(s) -> 'readable' | 'closed' | 'errored'
//   readableStreamCancel(s, reason) -> Promise<void>    cancels (marks disturbed), even if locked
//   readableStreamError(s, e)                          errors through its controller, if readable
//   readableStreamTee(s) -> [ReadableStream, ReadableStream]  byte streams tee as byte streams
//   readableStreamGetReader(s) -> reader; readableStreamReaderRead(reader, onChunk, onClose,
//   onError); readableStreamReaderRelease(reader)        reads that answer through callbacks
//   byteStreamEnqueueOwned(controller, u8)              enqueue() of a chunk only native code made
//                                                      (a waiting read gets it, no transfer)
//   readableByteStream(pull, cancel) -> { stream, controller }   a byte stream whose pull answers
//                                                      at once (no promise per read)
(function (global, natives, internals) {
  'use strict'
  const { define } = internals
  // Captured intrinsics (primordials.js): user code patching built-ins changes nothing here.
  const primordials = internals.primordials
  const {
    ArrayPrototypePush, ObjectAssign, ObjectDefineProperties, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor,
    ObjectGetPrototypeOf, Promise: PromiseCtor, PromisePrototypeMarkHandled: markHandled, SafeArrayIterator, String,
    StringPrototypeCharCodeAt, StringPrototypeSlice, SymbolToStringTag, TypeError, TypedArrayPrototypeGetByteLength,
    TypedArrayPrototypeGetSymbolToStringTag, TypedArrayPrototypeSet, Uint8Array, FunctionPrototypeCall,
    TypedArrayPrototypeGetBuffer, PromisePrototypeThen, ArrayBufferIsView, TypedArrayPrototypeGetByteOffset,
    DataViewPrototypeGetBuffer, DataViewPrototypeGetByteOffset, DataViewPrototypeGetByteLength,
    ArrayBufferPrototypeGetByteLength, ArrayBufferPrototypeGetDetached,
  } = primordials
  const isUint8Array = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) === 'Uint8Array'

  // AbortSignal and AbortController as the streams drive them (pipeTo's signal, a
  // WritableStreamDefaultController's signal): events.js's internal hooks and captured accessors,
  // never the signal's own patchable methods.
  const signalGetter = (name) => ObjectGetOwnPropertyDescriptor(global.AbortSignal.prototype, name).get
  const controllerSignal = ObjectGetOwnPropertyDescriptor(global.AbortController.prototype, 'signal').get
  const signalReason = signalGetter('reason')
  const signalAborted = signalGetter('aborted')
  const abortHooks = {
    __proto__: null,
    isAbortSignal: internals.isAbortSignal,
    aborted: (s) => FunctionPrototypeCall(signalAborted, s),
    reason: (s) => FunctionPrototypeCall(signalReason, s),
    addAlgorithm: internals.addAbortAlgorithm,
    controllerSignal: (c) => FunctionPrototypeCall(controllerSignal, c),
    controllerAbort: (c, reason) => internals.signalAbort(FunctionPrototypeCall(controllerSignal, c), reason),
  }

  // Globals read once, now: user code replacing them later changes nothing here.
  const P = { __proto__: null }
  webStreamsPolyfill(P, global, global.queueMicrotask, global.AbortController, global.structuredClone, primordials, abortHooks)
  const A = P.abstract
  const { ReadableStream, WritableStream, TransformStream } = P
  const classes = [
    'ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest',
    'ReadableStreamDefaultController', 'ReadableByteStreamController', 'WritableStream',
    'WritableStreamDefaultWriter', 'WritableStreamDefaultController', 'TransformStream',
    'TransformStreamDefaultController', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy',
  ]
  for (const name of classes) define(global, name, P[name])
  // https://webidl.spec.whatwg.org/#es-asynchronous-iterator-prototype-object: class string.
  ObjectDefineProperty(ObjectGetPrototypeOf(new ReadableStream().values()), SymbolToStringTag, {
    __proto__: null,
    value: 'ReadableStream AsyncIterator',
    configurable: true,
  })

  // WebIDL: attributes and operations are enumerable own properties of the prototype.
  function webidlClass(C, members) {
    const props = { __proto__: null }
    for (const m of new SafeArrayIterator(members)) props[m] = { __proto__: null, enumerable: true }
    ObjectDefineProperties(C.prototype, props)
    ObjectDefineProperty(C.prototype, SymbolToStringTag, { __proto__: null, value: C.name, configurable: true })
  }

  // Controllers' methods as installed (user code may patch the prototypes later).
  const { enqueue: transformEnqueue, error: transformErrorFn } = P.TransformStreamDefaultController.prototype
  const { enqueue: byteEnqueueFn, close: byteCloseFn } = P.ReadableByteStreamController.prototype
  const enqueue = (controller, chunk) => FunctionPrototypeCall(transformEnqueue, controller, chunk)
  const transformError = (controller, e) => FunctionPrototypeCall(transformErrorFn, controller, e)
  const byteEnqueue = (controller, chunk) => FunctionPrototypeCall(byteEnqueueFn, controller, chunk)
  const byteClose = (controller) => FunctionPrototypeCall(byteCloseFn, controller)

  // A transformer and strategies with null prototypes, so Object.prototype can't add callbacks.
  const transformStream = (transform, flush, cancel) =>
    new TransformStream({ __proto__: null, transform, flush, cancel }, { __proto__: null, highWaterMark: 1 }, { __proto__: null, highWaterMark: 0 })

  // https://encoding.spec.whatwg.org/#interface-textencoderstream
  const TextEncoder = global.TextEncoder
  const TextDecoder = global.TextDecoder
  const encode = TextEncoder && TextEncoder.prototype.encode
  const decode = TextDecoder && TextDecoder.prototype.decode
  const decoderGetter = (name) => TextDecoder && ObjectGetOwnPropertyDescriptor(TextDecoder.prototype, name)?.get
  const decoderEncoding = decoderGetter('encoding')
  const decoderFatal = decoderGetter('fatal')
  const decoderIgnoreBOM = decoderGetter('ignoreBOM')

  class TextEncoderStream {
    #stream
    constructor() {
      if (!TextEncoder) throw new TypeError('TextEncoder is not available')
      const encoder = new TextEncoder()
      // A high surrogate ending a chunk waits for the next one (#encode-and-enqueue-a-chunk).
      let pending = ''
      this.#stream = transformStream(
        (chunk, controller) => {
          let s = pending + String(chunk)
          pending = ''
          const last = StringPrototypeCharCodeAt(s, s.length - 1)
          if (last >= 0xd800 && last <= 0xdbff) {
            pending = s[s.length - 1]
            s = StringPrototypeSlice(s, 0, -1)
          }
          if (s.length > 0) enqueue(controller, FunctionPrototypeCall(encode, encoder, s))
        },
        (controller) => {
          if (pending !== '') enqueue(controller, new Uint8Array([0xef, 0xbf, 0xbd]))
        },
      )
    }
    get encoding() { this.#stream; return 'utf-8' }
    get readable() { return this.#stream.readable }
    get writable() { return this.#stream.writable }
  }
  webidlClass(TextEncoderStream, ['encoding', 'readable', 'writable'])
  define(global, 'TextEncoderStream', TextEncoderStream)

  // https://encoding.spec.whatwg.org/#interface-textdecoderstream
  class TextDecoderStream {
    #decoder
    #stream
    constructor(label = 'utf-8', options = {}) {
      if (!TextDecoder) throw new TypeError('TextDecoder is not available')
      const decoder = new TextDecoder(label, options)
      this.#decoder = decoder
      const streamOption = { __proto__: null, stream: true }
      this.#stream = transformStream(
        (chunk, controller) => {
          // https://encoding.spec.whatwg.org/#decode-and-enqueue-a-chunk converts the chunk to a
          // BufferSource: undefined is a TypeError there (decode() alone would take it as empty).
          if (chunk === undefined) throw new TypeError("Failed to execute 'write' on 'TextDecoderStream': The chunk must be an ArrayBuffer or an ArrayBufferView, not undefined.")
          const s = FunctionPrototypeCall(decode, decoder, chunk, streamOption)
          if (s !== '') enqueue(controller, s)
        },
        (controller) => {
          const s = FunctionPrototypeCall(decode, decoder)
          if (s !== '') enqueue(controller, s)
        },
      )
    }
    get encoding() { return FunctionPrototypeCall(decoderEncoding, this.#decoder) }
    get fatal() { return FunctionPrototypeCall(decoderFatal, this.#decoder) }
    get ignoreBOM() { return FunctionPrototypeCall(decoderIgnoreBOM, this.#decoder) }
    get readable() { return this.#stream.readable }
    get writable() { return this.#stream.writable }
  }
  webidlClass(TextDecoderStream, ['encoding', 'fatal', 'ignoreBOM', 'readable', 'writable'])
  define(global, 'TextDecoderStream', TextDecoderStream)

  // https://compression.spec.whatwg.org/ -- the codec is Rust's (mod.rs); output goes into buffers
  // allocated here, so it counts against the isolate's memory limit.
  const FORMATS = { __proto__: null, gzip: 0, deflate: 1, 'deflate-raw': 2 }
  const OUT_SIZE = 65536

  // https://webidl.spec.whatwg.org/#BufferSource: an ArrayBuffer or a view on one, never a
  // SharedArrayBuffer (nor a view on one). Brand check: SharedArrayBuffers fail it.
  const isArrayBuffer = (v) => {
    if (typeof v !== 'object' || v === null) return false
    try {
      ArrayBufferPrototypeGetByteLength(v)
      return true
    } catch {
      return false
    }
  }
  // The bytes of a BufferSource chunk, as a Uint8Array on the same memory (empty when detached:
  // https://webidl.spec.whatwg.org/#dfn-get-buffer-source-copy), or undefined if it is none.
  const chunkBytes = (chunk) => {
    let buffer = chunk
    let view = null
    if (ArrayBufferIsView(chunk)) {
      view = TypedArrayPrototypeGetSymbolToStringTag(chunk) !== undefined
      buffer = view ? TypedArrayPrototypeGetBuffer(chunk) : DataViewPrototypeGetBuffer(chunk)
    }
    if (!isArrayBuffer(buffer)) return undefined
    if (ArrayBufferPrototypeGetDetached(buffer)) return new Uint8Array(0)
    if (view === null) return new Uint8Array(buffer)
    return view
      ? new Uint8Array(buffer, TypedArrayPrototypeGetByteOffset(chunk), TypedArrayPrototypeGetByteLength(chunk))
      : new Uint8Array(buffer, DataViewPrototypeGetByteOffset(chunk), DataViewPrototypeGetByteLength(chunk))
  }
  const copyBytes = (bytes) => {
    const out = new Uint8Array(TypedArrayPrototypeGetByteLength(bytes))
    TypedArrayPrototypeSet(out, bytes)
    return out
  }

  function codecStream(kind) {
    const handle = natives.codecNew(kind)
    let scratch = null
    // Set once the codec is freed (close, cancel, abort, error): output still pending is dropped.
    let stopped = false
    // While a chunk's output is still being made after its write settled: a promise that settles
    // when the chunk is used up (rejects if its data was bad), else null.
    let busy = null
    const free = () => {
      stopped = true
      busy = null
      natives.codecFree(handle)
    }
    // Each codecRead does a bounded slice of the chunk (-1: no output yet, call again), so the
    // isolate can be stopped between two calls however large the chunk is. Decompressed output is
    // made as the readable side is read: once a piece waits unread (backpressure), the rest of the
    // chunk waits for the next pull, so a small chunk that inflates to gigabytes is handed out
    // piece by piece instead of being queued whole. Compressed output is queued whole, as the spec
    // does: deflate's is never much larger than its input, which the writer holds anyway, and that
    // spares a copy of a large chunk. Returns undefined when the chunk is used up, else a promise
    // of that. `owned`: `bytes` is this stream's own copy, not the writer's buffer.
    const lazy = kind >= 3
    const drain = (controller, bytes, finishing, owned) => {
      for (;;) {
        if (stopped) return undefined
        if (scratch === null) scratch = new Uint8Array(OUT_SIZE)
        const n = natives.codecRead(handle, bytes, scratch, finishing)
        if (n === 0) return undefined
        if (n < 0) continue
        if (n === OUT_SIZE) {
          enqueue(controller, scratch)
          scratch = null
        } else {
          const out = new Uint8Array(n)
          TypedArrayPrototypeSet(out, new Uint8Array(TypedArrayPrototypeGetBuffer(scratch), 0, n))
          enqueue(controller, out)
        }
        const relieved = lazy ? A.transformBackpressure(controller) : undefined
        if (relieved !== undefined) {
          // The rest is read after the write settled, when the writer may reuse its buffer: the
          // spec's transform works on a copy taken at write time. Same bytes, so the codec's
          // position in them holds.
          if (!owned && bytes !== undefined) bytes = copyBytes(bytes)
          return PromisePrototypeThen(relieved, () => {
            // Woken because the readable side was cancelled (or errored) during the flush: nobody
            // reads the rest, so the codec is freed and the flush ends.
            if (A.transformReadableState(controller) !== 'readable') {
              if (!stopped) free()
              return undefined
            }
            return drain(controller, bytes, finishing, true)
          })
        }
      }
    }
    // https://compression.spec.whatwg.org/#decompress-and-enqueue-a-chunk: the transform takes
    // the chunk, and its write settles, once the first piece of output is queued (or the chunk is
    // used up); the rest is made in the background as the readable side is read. Waiting for the
    // whole output instead would leave the write unsettled until someone read it all, which no
    // TransformStream does (https://streams.spec.whatwg.org/#transform-stream-default-sink-write-algorithm:
    // a write waits only for room on the readable side). A later chunk, and the flush, wait for
    // this one's output first (busy), so at most one piece is queued unread.
    const take = (controller, bytes, owned) => {
      natives.codecPush(handle, bytes)
      const rest = drain(controller, bytes, false, owned)
      if (rest === undefined) return
      const current = PromisePrototypeThen(
        rest,
        () => {
          if (busy === current) busy = null
        },
        (e) => {
          // Bad data found after the write settled errors both sides, as the transform would.
          if (!stopped) {
            free()
            transformError(controller, e)
          }
          throw e
        },
      )
      markHandled(current)
      busy = current
    }
    return transformStream(
      (chunk, controller) => {
        const bytes = chunkBytes(chunk)
        if (bytes === undefined) {
          free()
          throw new TypeError('The chunk must be an ArrayBuffer or an ArrayBufferView, not backed by a SharedArrayBuffer')
        }
        if (busy === null) return take(controller, bytes, false)
        // Read once the previous chunk is done, while this write is still pending: what the
        // spec's transform would read then, as it runs only once the readable side has room.
        return PromisePrototypeThen(busy, () => (stopped ? undefined : take(controller, bytes, false)))
      },
      (controller) => {
        const finish = () => {
          const done = stopped ? undefined : drain(controller, undefined, true, true)
          if (done === undefined) return free()
          return PromisePrototypeThen(done, free)
        }
        return busy === null ? finish() : PromisePrototypeThen(busy, finish)
      },
      free,
    )
  }

  class CompressionStream {
    #stream
    constructor(format) {
      if (arguments.length < 1) throw new TypeError("Failed to construct 'CompressionStream': 1 argument required, but only 0 present.")
      const kind = FORMATS[String(format)]
      if (kind === undefined) throw new TypeError(`Unsupported compression format: '${String(format)}'`)
      this.#stream = codecStream(kind)
    }
    get readable() { return this.#stream.readable }
    get writable() { return this.#stream.writable }
  }
  webidlClass(CompressionStream, ['readable', 'writable'])
  define(global, 'CompressionStream', CompressionStream)

  class DecompressionStream {
    #stream
    constructor(format) {
      if (arguments.length < 1) throw new TypeError("Failed to construct 'DecompressionStream': 1 argument required, but only 0 present.")
      const kind = FORMATS[String(format)]
      if (kind === undefined) throw new TypeError(`Unsupported compression format: '${String(format)}'`)
      this.#stream = codecStream(kind + 3)
    }
    get readable() { return this.#stream.readable }
    get writable() { return this.#stream.writable }
  }
  webidlClass(DecompressionStream, ['readable', 'writable'])
  define(global, 'DecompressionStream', DecompressionStream)

  // --- internals (documented at the top) ---

  function readableStreamFromBytes(bytes) {
    return new ReadableStream({
      __proto__: null,
      type: 'bytes',
      start(controller) {
        if (TypedArrayPrototypeGetByteLength(bytes) > 0) byteEnqueue(controller, bytes)
        byteClose(controller)
      },
    })
  }

  // https://fetch.spec.whatwg.org/#body-fully-read, without a promise per chunk: the read request
  // is answered synchronously while chunks are queued, so this loops instead of recursing.
  function readAllBytes(stream) {
    return new PromiseCtor((resolve, reject) => {
      const reader = A.AcquireReadableStreamDefaultReader(stream)
      const chunks = []
      let total = 0
      let pumping = false
      let again = false
      const request = A.readRequest(
        (chunk) => {
          if (!isUint8Array(chunk)) {
            const e = new TypeError('The stream produced a chunk that is not a Uint8Array')
            markHandled(A.ReadableStreamCancel(stream, e))
            reject(e)
            return
          }
          ArrayPrototypePush(chunks, chunk)
          total += TypedArrayPrototypeGetByteLength(chunk)
          if (pumping) again = true
          else pump()
        },
        () => {
          const out = new Uint8Array(total)
          let offset = 0
          for (let i = 0; i < chunks.length; i++) {
            TypedArrayPrototypeSet(out, chunks[i], offset)
            offset += TypedArrayPrototypeGetByteLength(chunks[i])
          }
          resolve(out)
        },
        reject,
      )
      function pump() {
        pumping = true
        do {
          again = false
          A.ReadableStreamDefaultReaderRead(reader, request)
        } while (again)
        pumping = false
      }
      pump()
    })
  }

  function readableStreamError(stream, e) {
    if (A.stateOf(stream) !== 'readable') return
    const controller = A.controllerOf(stream)
    if (A.IsReadableByteStreamController(controller)) A.ReadableByteStreamControllerError(controller, e)
    else A.ReadableStreamDefaultControllerError(controller, e)
  }

  ObjectAssign(internals, {
    ReadableStream,
    WritableStream,
    TransformStream,
    readableStreamFromBytes,
    readableStreamFromIterable: (iterable) => A.ReadableStreamFrom(iterable),
    readAllBytes,
    isReadableStream: (v) => A.IsReadableStream(v),
    isReadableStreamLocked: (s) => A.IsReadableStreamLocked(s),
    isReadableStreamDisturbed: (s) => A.isDisturbed(s),
    isDisturbed: (s) => A.isDisturbed(s),
    readableStreamState: (s) => A.stateOf(s),
    readableStreamCancel: (s, reason) => A.ReadableStreamCancel(s, reason),
    readableStreamError,
    readableStreamTee: (s) => A.ReadableStreamTee(s, false),
    // A default reader read through callbacks: no public method user code can replace, and no
    // promise resolved with a { value, done } object (a `then` getter on Object.prototype would
    // see every chunk). onChunk(chunk), onClose() or onError(e) is called once per read.
    readableStreamGetReader: (s) => A.AcquireReadableStreamDefaultReader(s),
    readableStreamReaderRead: (reader, onChunk, onClose, onError) =>
      A.ReadableStreamDefaultReaderRead(reader, A.readRequest(onChunk, onClose, onError)),
    readableStreamReaderRelease: (reader) => A.ReadableStreamDefaultReaderRelease(reader),
    // enqueue() of a byte stream's controller for a Uint8Array over a whole buffer made by native
    // code, that nothing else references: a waiting read gets it without a transfer.
    byteStreamEnqueueOwned: (controller, chunk) => A.ReadableByteStreamControllerEnqueueOwned(controller, chunk),
    // A byte stream (highWaterMark 0) of a native source: pull(controller) returns nothing and
    // answers the read (or notes that one waits) at once; cancel(reason) returns a promise.
    readableByteStream: (pull, cancel) => {
      let controller
      const stream = A.CreateReadableByteStream(() => undefined, () => {
        // A throw errors the stream, as a rejected pull promise would.
        try {
          pull(controller)
        } catch (e) {
          A.ReadableByteStreamControllerError(controller, e)
        }
      }, cancel)
      controller = A.controllerOf(stream)
      return { __proto__: null, stream, controller }
    },
  })
})
