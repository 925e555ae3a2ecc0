// URL, URLSearchParams (https://url.spec.whatwg.org/), backed by the `url` crate
(function (global, natives, internals) {
  'use strict'
})
