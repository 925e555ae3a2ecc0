// Headers, Request, Response and the body mixin (https://fetch.spec.whatwg.org/)
(function (global, natives, internals) {
  'use strict'
})
