// ReadableStream, WritableStream, TransformStream, queuing strategies, TextEncoderStream/TextDecoderStream, CompressionStream/DecompressionStream (https://streams.spec.whatwg.org/)
(function (global, natives, internals) {
  'use strict'
})
