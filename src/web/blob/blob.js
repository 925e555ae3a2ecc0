// Blob, File, FormData (https://w3c.github.io/FileAPI/, https://xhr.spec.whatwg.org/#interface-formdata)
(function (global, natives, internals) {
  'use strict'
})
