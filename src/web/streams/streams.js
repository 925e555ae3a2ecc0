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
//   readableStreamFromBytes(u8) → ReadableStream       a byte stream of those bytes; takes
//                                                      ownership (u8's buffer is transferred)
//   readableStreamFromIterable(iterable) → ReadableStream    ReadableStream.from, sync or async
//   readAllBytes(stream) → Promise<Uint8Array>         locks and reads to the end; chunks must be
//                                                      Uint8Arrays (else TypeError, stream cancelled);
//                                                      one copy per chunk (at the end), never per byte
//   isReadableStream(v), isReadableStreamLocked(s), isReadableStreamDisturbed(s) (alias isDisturbed)
//   readableStreamState(s) → 'readable' | 'closed' | 'errored'
//   readableStreamCancel(s, reason) → Promise<void>    cancels (marks disturbed), even if locked
//   readableStreamError(s, e)                          errors through its controller, if readable
//   readableStreamTee(s) → [ReadableStream, ReadableStream]  byte streams tee as byte streams
(function (global, natives, internals) {
  'use strict'
  const { define } = internals
  const { apply } = Reflect
  const { defineProperty, defineProperties, getOwnPropertyDescriptor, getPrototypeOf } = Object
  const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype)
  const typedArrayTag = getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get
  const typedArraySet = TypedArrayPrototype.set
  const isUint8Array = (v) => apply(typedArrayTag, v, []) === 'Uint8Array'
  const PromiseCtor = Promise
  const promiseThen = Promise.prototype.then
  const markHandled = (p) => apply(promiseThen, p, [undefined, () => {}])

  // Globals read once, now: user code replacing them later changes nothing here.
  const P = {}
  webStreamsPolyfill(P, global, global.queueMicrotask, global.AbortController, global.structuredClone)
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
  defineProperty(getPrototypeOf(new ReadableStream().values()), Symbol.toStringTag, {
    value: 'ReadableStream AsyncIterator',
    configurable: true,
  })

  // WebIDL: attributes and operations are enumerable own properties of the prototype.
  function webidlClass(C, members) {
    const props = {}
    for (const m of members) props[m] = { enumerable: true }
    defineProperties(C.prototype, props)
    defineProperty(C.prototype, Symbol.toStringTag, { value: C.name, configurable: true })
  }

  // A transformer and strategies with null prototypes, so Object.prototype can't add callbacks.
  const transformStream = (transform, flush, cancel) =>
    new TransformStream({ __proto__: null, transform, flush, cancel }, { __proto__: null, highWaterMark: 1 }, { __proto__: null, highWaterMark: 0 })

  // https://encoding.spec.whatwg.org/#interface-textencoderstream
  const TextEncoder = global.TextEncoder
  const TextDecoder = global.TextDecoder
  const encode = TextEncoder && TextEncoder.prototype.encode
  const decode = TextDecoder && TextDecoder.prototype.decode
  const decoderGetter = (name) => TextDecoder && getOwnPropertyDescriptor(TextDecoder.prototype, name)?.get
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
          const last = s.charCodeAt(s.length - 1)
          if (last >= 0xd800 && last <= 0xdbff) {
            pending = s[s.length - 1]
            s = s.slice(0, -1)
          }
          if (s.length > 0) controller.enqueue(apply(encode, encoder, [s]))
        },
        (controller) => {
          if (pending !== '') controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]))
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
      const streamOption = { stream: true }
      this.#stream = transformStream(
        (chunk, controller) => {
          const s = apply(decode, decoder, [chunk, streamOption])
          if (s !== '') controller.enqueue(s)
        },
        (controller) => {
          const s = apply(decode, decoder, [])
          if (s !== '') controller.enqueue(s)
        },
      )
    }
    get encoding() { return apply(decoderEncoding, this.#decoder, []) }
    get fatal() { return apply(decoderFatal, this.#decoder, []) }
    get ignoreBOM() { return apply(decoderIgnoreBOM, this.#decoder, []) }
    get readable() { return this.#stream.readable }
    get writable() { return this.#stream.writable }
  }
  webidlClass(TextDecoderStream, ['encoding', 'fatal', 'ignoreBOM', 'readable', 'writable'])
  define(global, 'TextDecoderStream', TextDecoderStream)

  // https://compression.spec.whatwg.org/ — the codec is Rust's (mod.rs); output goes into buffers
  // allocated here, so it counts against the isolate's memory limit.
  const FORMATS = { __proto__: null, gzip: 0, deflate: 1, 'deflate-raw': 2 }
  const OUT_SIZE = 65536

  function codecStream(kind) {
    const handle = natives.codecNew(kind)
    let scratch = null
    // Each codecRead does a bounded slice of the chunk (-1: no output yet, call again), so the
    // isolate can be stopped between two calls however large the chunk is.
    const drain = (controller, chunk, finishing) => {
      for (;;) {
        if (scratch === null) scratch = new Uint8Array(OUT_SIZE)
        const n = natives.codecRead(handle, chunk, scratch, finishing)
        if (n === 0) return
        if (n < 0) continue
        if (n === OUT_SIZE) {
          controller.enqueue(scratch)
          scratch = null
        } else {
          const out = new Uint8Array(n)
          apply(typedArraySet, out, [new Uint8Array(scratch.buffer, 0, n)])
          controller.enqueue(out)
        }
      }
    }
    return transformStream(
      (chunk, controller) => {
        if (!natives.codecPush(handle, chunk)) {
          natives.codecFree(handle)
          throw new TypeError('The chunk must be an ArrayBuffer or an ArrayBufferView')
        }
        drain(controller, chunk, false)
      },
      (controller) => {
        drain(controller, undefined, true)
        natives.codecFree(handle)
      },
      () => natives.codecFree(handle),
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
        if (bytes.byteLength > 0) controller.enqueue(bytes)
        controller.close()
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
          chunks.push(chunk)
          total += chunk.byteLength
          if (pumping) again = true
          else pump()
        },
        () => {
          const out = new Uint8Array(total)
          let offset = 0
          for (const c of chunks) {
            apply(typedArraySet, out, [c, offset])
            offset += c.byteLength
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
    if (controller instanceof P.ReadableByteStreamController) A.ReadableByteStreamControllerError(controller, e)
    else A.ReadableStreamDefaultControllerError(controller, e)
  }

  Object.assign(internals, {
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
  })
})
