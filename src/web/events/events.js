// Event, EventTarget, CustomEvent, ErrorEvent, MessageEvent, CloseEvent, AbortController, AbortSignal, reportError (https://dom.spec.whatwg.org/)
(function (global, natives, internals) {
  'use strict'
})
