// TextEncoder, TextDecoder (https://encoding.spec.whatwg.org/)
(function (global, natives, internals) {
  'use strict'
})
