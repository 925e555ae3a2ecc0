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
//
// Tamper-proof (see src/runtime/primordials.js): intrinsics and stream methods captured at
// install; what goes to a native or the host is made here from checked strings, numbers and
// Uint8Arrays; what comes back is checked before it is used. No `await`.
(function (global, natives, internals) {
  'use strict'
  const {
    ArrayIsArray, Error, ErrorIsError, NumberIsInteger, ObjectDefineProperty, Promise, PromiseReject, ReflectApply,
    SafeMap, SafePromisePrototypeThen, String, StringPrototypeIndexOf, StringPrototypeSlice, StringPrototypeToUpperCase,
    TypeError, TypedArrayPrototypeGetByteLength, TypedArrayPrototypeGetSymbolToStringTag, uncurryThis, ObjectGetOwnPropertyDescriptor,
  } = internals.primordials
  const {
    hostAsync, requestParts, requestSignal, responseFromParts, ReadableStream, isReadableStream, readableStreamError,
    readableStreamCancel, readableStreamGetReader, readableStreamReaderRead, addAbortAlgorithm, bodyUtf8Encode,
    DOMException: DOMExceptionCtor,
  } = internals
  const OP_GLUE = 5
  const isUint8Array = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) === 'Uint8Array'
  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function'
  const getter = (proto, name) => uncurryThis(ObjectGetOwnPropertyDescriptor(proto, name).get)
  const signalAborted = getter(global.AbortSignal.prototype, 'aborted')
  const signalReason = getter(global.AbortSignal.prototype, 'reason')
  const byteController = global.ReadableByteStreamController.prototype
  const { enqueue: byteEnqueue, close: byteClose, error: byteError } = byteController
  const byobRequestOf = getter(byteController, 'byobRequest')
  const byobRespond = global.ReadableStreamBYOBRequest.prototype.respond
  const REDIRECT = { __proto__: null, follow: 0, manual: 1, error: 2 }
  const ignore = () => {}

  // `${v}` that never throws (a Symbol, a throwing toString).
  const toText = (v) => {
    try {
      return typeof v === 'symbol' ? 'Symbol()' : `${v}`
    } catch {
      return ''
    }
  }
  // A property of an object from a native or the host, read once; undefined if reading throws.
  const read = (o, key) => {
    try {
      return o[key]
    } catch {
      return undefined
    }
  }

  // Failure { kind, message } from Rust, or a host Error (onFetch threw) -> TypeError('fetch failed').
  function fetchFailed(failure) {
    let cause = failure
    const kind = isObject(failure) && !(ErrorIsError !== undefined && ErrorIsError(failure)) ? read(failure, 'kind') : undefined
    if (typeof kind === 'string') {
      const message = read(failure, 'message')
      cause = new Error(typeof message === 'string' ? message : '')
      // 'too-large' -> 'ERR_TOO_LARGE' (the first '-', as the kinds have at most one).
      const upper = StringPrototypeToUpperCase(kind)
      const dash = StringPrototypeIndexOf(upper, '-')
      const code = dash === -1 ? upper : `${StringPrototypeSlice(upper, 0, dash)}_${StringPrototypeSlice(upper, dash + 1)}`
      ObjectDefineProperty(cause, 'code', { __proto__: null, value: `ERR_${code}`, writable: true, enumerable: true, configurable: true })
    }
    return new TypeError('fetch failed', { __proto__: null, cause })
  }
  const isAborted = (failure) => isObject(failure) && read(failure, 'kind') === 'aborted'

  // A response head from the native client or the host: [status, statusText, headers, url,
  // redirected, kind, payload], checked field by field (kind 0 no body, 1 bytes, 2 pulled).
  function checkHead(h) {
    if (!ArrayIsArray(h)) return null
    const status = h[0]
    const statusText = h[1]
    const list = h[2]
    const url = h[3]
    const redirected = h[4]
    const kind = h[5]
    const payload = h[6]
    if (!NumberIsInteger(status) || status < 0 || status > 999 || typeof statusText !== 'string' || typeof url !== 'string' ||
      typeof redirected !== 'boolean' || !ArrayIsArray(list)) return null
    // A pulled body's payload is the host's body id (the native client pulls by request id).
    if (!((kind === 0) || (kind === 1 && isUint8Array(payload)) || (kind === 2 && (payload === null || NumberIsInteger(payload))))) return null
    const headers = []
    for (let i = 0; i < list.length; i++) {
      const pair = list[i]
      if (!ArrayIsArray(pair)) return null
      const name = pair[0]
      const value = pair[1]
      if (typeof name !== 'string' || typeof value !== 'string') return null
      headers[i] = [name, value]
    }
    return { __proto__: null, status, statusText, headers, url, redirected, kind, payload }
  }
  const badHead = () => fetchFailed({ __proto__: null, kind: 'network', message: 'the response could not be read' })

  // The request as it crosses: strings, [[name, value], ...] of strings, and the body.
  function checkedHeaders(list) {
    const out = []
    for (let i = 0; i < list.length; i++) {
      const pair = list[i]
      const name = pair[0]
      const value = pair[1]
      if (typeof name !== 'string' || typeof value !== 'string') throw new TypeError('fetch(): a request header is not a string')
      out[i] = [name, value]
    }
    return out
  }

  const previous = internals.fetchHandler
  internals.fetchHandler = function fetchHandler(request) {
    const mode = natives.egressMode()
    if (mode === 0) return previous(request)
    const signal = requestSignal(request)
    if (signalAborted(signal)) return PromiseReject(signalReason(signal))
    const parts = requestParts(request)
    let body = parts.body
    if (typeof body === 'string') body = bodyUtf8Encode(body)
    const out = {
      __proto__: null,
      method: String(parts.method),
      url: String(parts.url),
      headers: checkedHeaders(parts.headers),
      body: body === null || isUint8Array(body) || isReadableStream(body) ? body : null,
      redirect: REDIRECT[parts.redirect] === undefined ? 'follow' : parts.redirect,
    }
    return mode === 1 ? viaHost(out, signal) : viaNative(out, signal)
  }

  // One fetch in flight: settles its promise once, and after the response errors its body on abort.
  function flight(signal, resolve, reject, onAbort) {
    const f = { __proto__: null, stream: null, settled: false, finish: null, resolve: null, fail: null }
    const remove = addAbortAlgorithm(signal, () => {
      const reason = signalReason(signal)
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
          return SafePromisePrototypeThen(
            pull(),
            (chunk) => {
              if (over) return
              if (chunk === null) {
                end()
                ReflectApply(byteClose, controller, [])
                // A pending BYOB read settles (done) only once its request is answered.
                const byob = byobRequestOf(controller)
                if (byob !== null && byob !== undefined) ReflectApply(byobRespond, byob, [0])
              } else if (!isUint8Array(chunk)) {
                end()
                ReflectApply(byteError, controller, [badHead()])
              } else if (TypedArrayPrototypeGetByteLength(chunk) > 0) {
                ReflectApply(byteEnqueue, controller, [chunk])
              }
            },
            (failure) => {
              if (!end()) return
              ReflectApply(byteError, controller, [isAborted(failure) ? new DOMExceptionCtor('The operation was aborted.', 'AbortError') : fetchFailed(failure)])
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
    f.resolve(responseFromParts({
      __proto__: null, status: head.status, statusText: head.statusText, headers: head.headers, body, url: head.url, redirected: head.redirected,
    }))
  }

  // --- the native client ----------------------------------------------------------------------

  function viaNative(parts, signal) {
    return new Promise((resolve, reject) => {
      const streamed = isReadableStream(parts.body)
      const pair = natives.egressFetch(parts.method, parts.url, parts.headers, streamed ? true : parts.body, REDIRECT[parts.redirect])
      const id = pair[0]
      const head = pair[1]
      if (!NumberIsInteger(id)) throw new TypeError('fetch(): the network client did not start')
      const f = flight(signal, resolve, reject, () => natives.egressCancel(id))
      if (streamed) upload(id, parts.body)
      SafePromisePrototypeThen(
        head,
        (raw) => {
          if (f.settled) return
          const h = checkHead(raw)
          if (h === null) {
            natives.egressCancel(id)
            return f.fail(badHead())
          }
          if (h.kind === 2) {
            const body = pulledBody(f, () => natives.egressPull(id), () => natives.egressCancel(id), () => natives.egressCancel(id))
            respond(f, h, body)
          } else {
            f.finish()
            natives.egressCancel(id)
            respond(f, h, h.kind === 1 ? h.payload : null)
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
  // the previous one (https://fetch.spec.whatwg.org/#concept-request-transmit-body). A read of a
  // queued chunk answers at once: loop instead of recursing.
  function upload(id, stream) {
    const reader = readableStreamGetReader(stream)
    let pumping = false
    let again = false
    const failed = (error) => {
      natives.egressWrite(id, false)
      SafePromisePrototypeThen(readableStreamCancel(stream, error), undefined, ignore)
    }
    const onChunk = (value) => {
      if (!isUint8Array(value)) return failed(new TypeError('fetch(): request body chunks must be Uint8Array'))
      if (TypedArrayPrototypeGetByteLength(value) === 0) {
        if (pumping) again = true
        else pump()
        return
      }
      SafePromisePrototypeThen(
        natives.egressWrite(id, value),
        (taken) => {
          if (taken === true) pump()
          else SafePromisePrototypeThen(readableStreamCancel(stream, undefined), undefined, ignore)
        },
        failed,
      )
    }
    const onClose = () => natives.egressWrite(id, null)
    function pump() {
      pumping = true
      do {
        again = false
        readableStreamReaderRead(reader, onChunk, onClose, failed)
      } while (again)
      pumping = false
    }
    pump()
  }

  // --- the host's onFetch ------------------------------------------------------------------------

  let nextHostFetch = 1
  const hostBodies = new SafeMap() // request body stream id -> { reader, stream }, pulled by the host

  // An intrinsic promise of the host glue's answer (args made here: strings, numbers, bytes).
  const glue = (args) => hostAsync(OP_GLUE, 0, args)
  const glueIgnored = (args) => SafePromisePrototypeThen(glue(args), undefined, ignore)

  // The message of an abort reason, for the host's AbortSignal.
  const reasonMessage = (reason) => {
    if (isObject(reason) && ErrorIsError !== undefined && ErrorIsError(reason)) {
      const message = read(reason, 'message')
      return typeof message === 'string' ? message : ''
    }
    return toText(reason)
  }

  function viaHost(parts, signal) {
    return new Promise((resolve, reject) => {
      const id = nextHostFetch++
      let body = parts.body
      if (isReadableStream(body)) {
        hostBodies.set(id, { __proto__: null, reader: readableStreamGetReader(body), stream: body })
        body = id
      }
      const dropBody = () => {
        const entry = hostBodies.get(id)
        hostBodies.delete(id)
        if (entry !== undefined) SafePromisePrototypeThen(readableStreamCancel(entry.stream, undefined), undefined, ignore)
      }
      const f = flight(signal, resolve, reject, (reason) => {
        dropBody()
        glueIgnored(['abortFetch', id, reasonMessage(reason)])
      })
      SafePromisePrototypeThen(
        glue(['onFetch', id, parts.url, parts.method, parts.headers, body, parts.redirect]),
        (raw) => {
          const h = checkHead(raw)
          if (f.settled) {
            if (h !== null && h.kind === 2) glueIgnored(['cancelBody', h.payload, 'aborted'])
            return
          }
          if (h === null) {
            dropBody()
            return f.fail(badHead())
          }
          if (h.kind === 2) {
            const bid = h.payload
            if (!NumberIsInteger(bid)) {
              dropBody()
              return f.fail(badHead())
            }
            const stream = pulledBody(
              f,
              () => glue(['readBody', bid]),
              (reason) => glue(['cancelBody', bid, reason === undefined ? '' : toText(reason)]),
              () => glueIgnored(['fetchDone', id]),
            )
            respond(f, h, stream)
          } else {
            f.finish()
            respond(f, h, h.kind === 1 ? h.payload : null)
          }
        },
        (error) => {
          dropBody()
          f.fail(fetchFailed(error))
        },
      )
    })
  }

  // --- host-initiated operations (native.call in the glue) ---------------------------------------

  // Answers to the host, as serve.js makes them (fresh values only).
  const { hostReply: reply, hostFail: fail } = internals

  // A body stream the host pulls (a request body here; a customFunctions body in src/wire.js),
  // from `bodies` (id -> { reader, stream }): one chunk per call, null at its end. `what` names
  // the body in the TypeError of a chunk that is not bytes.
  function bodyOps(bodies, what) {
    function pull(id, args) {
      const bid = args[0]
      const entry = bodies.get(bid)
      if (entry === undefined) return reply(id, null)
      readableStreamReaderRead(
        entry.reader,
        (value) => {
          if (isUint8Array(value)) return reply(id, value)
          bodies.delete(bid)
          SafePromisePrototypeThen(readableStreamCancel(entry.stream, undefined), undefined, ignore)
          fail(id, new TypeError(`${what} chunks must be Uint8Array`))
        },
        () => {
          bodies.delete(bid)
          reply(id, null)
        },
        (error) => {
          bodies.delete(bid)
          fail(id, error)
        },
      )
    }
    function cancel(id, args) {
      const bid = args[0]
      const entry = bodies.get(bid)
      bodies.delete(bid)
      if (entry === undefined) return reply(id, null)
      SafePromisePrototypeThen(readableStreamCancel(entry.stream, args[1]), () => reply(id, null), (error) => fail(id, error))
    }
    return { __proto__: null, pull, cancel }
  }
  internals.bodyOps = bodyOps
  const requestBodies = bodyOps(hostBodies, 'fetch(): request body')

  internals.addHostOps({ __proto__: null, egressBody: requestBodies.pull, egressBodyCancel: requestBodies.cancel })
})
