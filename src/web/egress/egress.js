// fetch() over the network (https://fetch.spec.whatwg.org/#fetching): replaces
// internals.fetchHandler (src/web/fetch/fetch.js). The host picks the way out per runtime:
//   onFetch   the host's callback gets (url, { method, headers, body, signal, redirect }) on
//             Node's main thread (the `onFetch` hook of src/host/glue.js); its Response comes
//             back, the body pulled one chunk per read (`readBody`/`cancelBody` hooks). A stream
//             request body goes to the host the same way, pulled by the host (op `egressBody`).
//   network   the native client (src/net/http.rs) through the natives of mod.rs.
//   neither   fetch() rejects (the default handler).
// Failures reject with TypeError('fetch failed') whose `cause` says why (cause.code:
// ERR_POLICY, ERR_DNS, ERR_TLS, ERR_TIMEOUT, ERR_TOO_LARGE, ERR_REDIRECT, ERR_CONNECT, ...).
// Aborting rejects with the signal's reason, or errors the response body with it once the
// response is out (https://fetch.spec.whatwg.org/#abort-fetch).
(function (global, natives, internals) {
  'use strict'
  const {
    hostAsync, requestParts, responseFromParts, ReadableStream, isReadableStream, readableStreamError,
    addAbortAlgorithm, bodyUtf8Encode, DOMException: DOMExceptionCtor,
  } = internals
  const OP_GLUE = 5
  const { apply } = Reflect
  const promiseThen = Promise.prototype.then
  const then = (p, ok, fail) => apply(promiseThen, p, [ok, fail])
  const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get
  const isUint8Array = (v) => apply(typedArrayTag, v, []) === 'Uint8Array'
  const TypeErrorCtor = TypeError
  const ErrorCtor = Error
  const REDIRECT = { __proto__: null, follow: 0, manual: 1, error: 2 }

  // Failure { kind, message } from Rust, or a host Error (onFetch threw) → TypeError('fetch failed').
  function fetchFailed(failure) {
    let cause = failure
    if (failure !== null && typeof failure === 'object' && typeof failure.kind === 'string' && !(failure instanceof ErrorCtor)) {
      cause = new ErrorCtor(failure.message)
      cause.code = 'ERR_' + failure.kind.toUpperCase().replace('-', '_')
    }
    return new TypeErrorCtor('fetch failed', { cause })
  }
  const isAborted = (failure) => failure !== null && typeof failure === 'object' && failure.kind === 'aborted'

  const previous = internals.fetchHandler
  internals.fetchHandler = function fetchHandler(request) {
    const mode = natives.egressMode()
    if (mode === 0) return previous(request)
    const signal = request.signal
    if (signal.aborted) return Promise.reject(signal.reason)
    const parts = requestParts(request)
    if (typeof parts.body === 'string') parts.body = bodyUtf8Encode(parts.body)
    return mode === 1 ? viaHost(parts, signal) : viaNative(parts, signal)
  }

  // One fetch in flight: settles its promise once, and after the response errors its body on abort.
  function flight(signal, resolve, reject, onAbort) {
    const f = { stream: null, settled: false, done: null }
    const remove = addAbortAlgorithm(signal, () => {
      const reason = signal.reason
      onAbort(reason)
      if (!f.settled) {
        f.settled = true
        reject(reason)
      } else if (f.stream !== null) {
        readableStreamError(f.stream, reason)
      }
      f.finish()
    })
    f.finish = () => {
      remove()
    }
    f.resolve = (v) => {
      if (f.settled) return false
      f.settled = true
      resolve(v)
      return true
    }
    f.fail = (e) => {
      if (f.settled) return
      f.settled = true
      f.finish()
      reject(e)
    }
    return f
  }

  // A response body pulled one chunk per read from `pull()`; `release()` once it is over.
  function pulledBody(f, pull, cancel, release) {
    let over = false
    const end = () => {
      if (over) return false
      over = true
      f.finish()
      release()
      return true
    }
    const stream = new ReadableStream(
      {
        __proto__: null,
        type: 'bytes',
        pull(controller) {
          return then(
            pull(),
            (chunk) => {
              if (over) return
              if (chunk === null) {
                end()
                controller.close()
                // A pending BYOB read settles (done) only once its request is answered.
                controller.byobRequest?.respond(0)
              } else if (chunk.byteLength > 0) {
                controller.enqueue(chunk)
              }
            },
            (failure) => {
              if (!end()) return
              controller.error(isAborted(failure) ? new DOMExceptionCtor('The operation was aborted.', 'AbortError') : fetchFailed(failure))
            },
          )
        },
        cancel(reason) {
          if (end()) return cancel(reason)
        },
      },
      { __proto__: null, highWaterMark: 0 },
    )
    f.stream = stream
    return stream
  }

  function respond(f, head, body) {
    const [status, statusText, headers, url, redirected] = head
    f.resolve(responseFromParts({ status, statusText, headers, body, url, redirected }))
  }

  // --- the native client ----------------------------------------------------------------------

  function viaNative(parts, signal) {
    return new Promise((resolve, reject) => {
      const streamed = isReadableStream(parts.body)
      const [id, head] = natives.egressFetch(parts.method, parts.url, parts.headers, streamed ? true : parts.body, REDIRECT[parts.redirect] ?? 0)
      const f = flight(signal, resolve, reject, () => natives.egressCancel(id))
      if (streamed) upload(id, parts.body)
      then(
        head,
        (h) => {
          if (f.settled) return
          const kind = h[5]
          if (kind === 2) {
            const body = pulledBody(f, () => natives.egressPull(id), () => natives.egressCancel(id), () => natives.egressCancel(id))
            respond(f, h, body)
          } else {
            f.finish()
            natives.egressCancel(id)
            respond(f, h, kind === 1 ? h[6] : null)
          }
        },
        (failure) => {
          natives.egressCancel(id)
          f.fail(fetchFailed(failure))
        },
      )
    })
  }

  // Sends a ReadableStream request body chunk by chunk, each write waiting for the client to take
  // the previous one (https://fetch.spec.whatwg.org/#concept-request-transmit-body).
  async function upload(id, stream) {
    const reader = stream.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return natives.egressWrite(id, null)
        if (!isUint8Array(value)) throw new TypeErrorCtor('fetch(): request body chunks must be Uint8Array')
        if (value.byteLength === 0) continue
        if (!(await natives.egressWrite(id, value))) {
          reader.cancel().catch(() => {})
          return
        }
      }
    } catch (error) {
      natives.egressWrite(id, false)
      reader.cancel(error).catch(() => {})
    }
  }

  // --- the host's onFetch ------------------------------------------------------------------------

  let nextHostFetch = 1
  const hostBodies = new Map() // request body stream id → reader, pulled by the host

  const glue = (name, args) => hostAsync(OP_GLUE, 0, [name, ...args])

  function viaHost(parts, signal) {
    return new Promise((resolve, reject) => {
      const id = nextHostFetch++
      let body = parts.body
      if (isReadableStream(body)) {
        hostBodies.set(id, body.getReader())
        body = id
      }
      const dropBody = () => {
        const reader = hostBodies.get(id)
        hostBodies.delete(id)
        if (reader) reader.cancel().catch(() => {})
      }
      const f = flight(signal, resolve, reject, (reason) => {
        dropBody()
        then(glue('abortFetch', [id, reason instanceof ErrorCtor || reason instanceof DOMExceptionCtor ? reason.message : String(reason)]), undefined, () => {})
      })
      then(
        glue('onFetch', [id, parts.url, parts.method, parts.headers, body, parts.redirect]),
        (h) => {
          if (f.settled) {
            if (h[5] === 2) then(glue('cancelBody', [h[6], 'aborted']), undefined, () => {})
            return
          }
          const kind = h[5]
          if (kind === 2) {
            const bid = h[6]
            const stream = pulledBody(
              f,
              () => glue('readBody', [bid]),
              (reason) => glue('cancelBody', [bid, reason === undefined ? '' : String(reason)]),
              () => then(glue('fetchDone', [id]), undefined, () => {}),
            )
            respond(f, h, stream)
          } else {
            f.finish()
            respond(f, h, kind === 1 ? h[6] : null)
          }
        },
        (error) => {
          dropBody()
          f.fail(fetchFailed(error))
        },
      )
    })
  }

  // The host pulls a stream request body: one chunk per call, null at its end.
  async function egressBody(id) {
    const reader = hostBodies.get(id)
    if (!reader) return null
    const { done, value } = await reader.read()
    if (done) {
      hostBodies.delete(id)
      return null
    }
    if (!isUint8Array(value)) {
      hostBodies.delete(id)
      reader.cancel().catch(() => {})
      throw new TypeErrorCtor('fetch(): request body chunks must be Uint8Array')
    }
    return value
  }
  async function egressBodyCancel(id, reason) {
    const reader = hostBodies.get(id)
    hostBodies.delete(id)
    if (reader) await reader.cancel(reason)
  }

  // Host-initiated operations (native.call in the glue) of this area; others go to the serve area.
  const ops = { __proto__: null, egressBody, egressBodyCancel }
  const next = internals.host
  internals.host = function host(op, id, args) {
    const f = ops[op]
    if (f === undefined) return next(op, id, args)
    let result
    try {
      result = f(...args)
    } catch (error) {
      result = Promise.reject(error)
    }
    then(
      Promise.resolve(result),
      (value) => internals.settled(id, true, value === undefined ? null : value),
      (error) => internals.settled(id, false, error),
    )
  }
})
