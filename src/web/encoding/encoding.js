// TextEncoder, TextDecoder (https://encoding.spec.whatwg.org/)
//
// Offers on `internals`:
//   internals.utf8Encode(string) -> Uint8Array        (UTF-8, lone surrogates as U+FFFD)
//   internals.utf8Decode(bufferSource) -> string      (UTF-8 decode, BOM skipped, U+FFFD on errors)
//   internals.isBufferSource(value) -> boolean
//   internals.isAnyArrayBuffer(value) -> boolean     ArrayBuffer or SharedArrayBuffer (brand check)
(function (global, natives, internals) {
  'use strict'
  const { define, webidl } = internals
  // Captured intrinsics (primordials.js): user code patching built-ins changes nothing here.
  const {
    ArrayBufferIsView, ArrayBufferPrototypeGetByteLength, FunctionPrototypeCall, ObjectFreeze, ObjectGetOwnPropertyDescriptor, ObjectSetPrototypeOf,
    RangeError, TypeError,
  } = internals.primordials
  // V8 adds SharedArrayBuffer to each context it makes, not to the one the snapshot is made in:
  // taken once per runtime, before user code.
  let sharedByteLength = null
  internals.perRuntime.push((options) => {
    if (options.warming === true) return
    const SAB = global.SharedArrayBuffer
    if (typeof SAB === 'function') sharedByteLength = ObjectGetOwnPropertyDescriptor(SAB.prototype, 'byteLength').get
  })
  // Brand checks (the byteLength getters throw for anything else), not instanceof: a
  // constructor's Symbol.hasInstance is user code's to define.
  const isArrayBuffer = (v) => {
    if (typeof v !== 'object' || v === null) return false // (a throw costs a stack trace)
    try {
      ArrayBufferPrototypeGetByteLength(v)
      return true
    } catch {
      return false
    }
  }
  const isSharedArrayBuffer = (v) => {
    if (sharedByteLength === null || typeof v !== 'object' || v === null) return false
    try {
      FunctionPrototypeCall(sharedByteLength, v)
      return true
    } catch {
      return false
    }
  }
  const isBufferSource = (v) => ArrayBufferIsView(v) || isArrayBuffer(v) || isSharedArrayBuffer(v)
  // A dictionary with no members: a fast object whose prototype chain ends without Object.prototype.
  const EMPTY = ObjectFreeze(new (class { static { ObjectSetPrototypeOf(this.prototype, null) } })())
  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function'
  const dictionary = (v, what) => {
    if (v === undefined || v === null) return EMPTY
    if (!isObject(v)) throw new TypeError(`Failed to ${what}: The provided value is not of type 'Object'.`)
    return v
  }

  // https://encoding.spec.whatwg.org/#interface-textencoder
  class TextEncoder {
    #brand = true
    get encoding() {
      this.#brand
      return 'utf-8'
    }
    encode(input = '') {
      this.#brand
      return natives.encode(`${input}`)
    }
    encodeInto(source, destination) {
      this.#brand
      if (arguments.length < 2) {
        throw new TypeError(`Failed to execute 'encodeInto' on 'TextEncoder': 2 arguments required, but only ${arguments.length} present.`)
      }
      return natives.encodeInto(`${source}`, destination)
    }
  }
  webidl(TextEncoder, 'TextEncoder')

  // https://encoding.spec.whatwg.org/#interface-textdecoder
  class TextDecoder {
    #encoding
    #fatal
    #ignoreBOM
    // The Rust decoder kept between stream: true calls (mod.rs), freed by the GC with this object;
    // 0 when no stream is under way.
    #handle = 0
    constructor(label = 'utf-8', options = undefined) {
      const opts = dictionary(options, "construct 'TextDecoder'")
      const fatal = !!opts.fatal
      const ignoreBOM = !!opts.ignoreBOM
      const name = natives.lookup(`${label}`)
      if (name === undefined) {
        throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`)
      }
      this.#encoding = name
      this.#fatal = fatal
      this.#ignoreBOM = ignoreBOM
    }
    get encoding() { return this.#encoding }
    get fatal() { return this.#fatal }
    get ignoreBOM() { return this.#ignoreBOM }
    decode(input = undefined, options = undefined) {
      const enc = this.#encoding
      if (input !== undefined && !isBufferSource(input)) {
        throw new TypeError("Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.")
      }
      const stream = !!dictionary(options, "execute 'decode' on 'TextDecoder'").stream
      let handle = this.#handle
      if (stream && handle === 0) handle = this.#handle = natives.decoderNew()
      // The stream ends here: the handle's decoder is used once more, then dropped with it.
      if (!stream) this.#handle = 0
      return natives.decode(input, enc, this.#ignoreBOM, this.#fatal, handle, stream)
    }
  }
  webidl(TextDecoder, 'TextDecoder')

  define(global, 'TextEncoder', TextEncoder)
  define(global, 'TextDecoder', TextDecoder)

  internals.utf8Encode = (s) => natives.encode(`${s}`)
  internals.utf8Decode = (bytes) => natives.decode(bytes, 'utf-8', false, false, 0, false)
  internals.isBufferSource = isBufferSource
  internals.isAnyArrayBuffer = (v) => isArrayBuffer(v) || isSharedArrayBuffer(v)
})
