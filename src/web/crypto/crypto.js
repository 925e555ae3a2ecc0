// crypto.getRandomValues, crypto.randomUUID, crypto.subtle (https://w3c.github.io/webcrypto/)
(function (global, natives, internals) {
  'use strict'
})
