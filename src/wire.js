// customFunctions values that cross by kind (`Tag` in src/value.rs), inside the isolate.
// `out(x)` says what a platform object is from its internal slots (brand checks: no getter of the
// object or of a prototype runs, so a look-alike with getters, or a real object with patched
// prototypes, is never taken for another) and gives its payload; `into(tag, payload, owner)`
// makes one from what the host sent. Functions, promises and async iterators stay on the host:
// their stand-ins here call it, one host round trip per call or next(). `owner` is an
// ArrayBuffer whose Rust value tells the host to let go of its value when the GC collects it;
// each stand-in keeps it (a WeakMap entry), so the host's value lives as long as the stand-in.
(function wire(global, natives, internals) {
  'use strict'
  const {
    PromiseReject, ReflectApply, SafeMap, SafePromisePrototypeThen, SafeWeakMap, String, TypeError, TypedArrayPrototypeGetByteLength,
    TypedArrayPrototypeGetSymbolToStringTag, uncurryThis,
  } = internals.primordials
  const { urlHref, isHeaders, headersList, headersFromList, isBlob, isFile, blobBytes, blobType, fileName, fileLastModified } = internals
  const { blobFromBytes, fileFromBytes, formDataEntries, isFormData, hostAsync, isRequest, isResponse, requestParts, responseParts } = internals
  const { requestFromParts, responseFromParts, ReadableStream, isReadableStream, readableStreamGetReader } = internals
  const { bodyUtf8Encode } = internals
  const isUint8Array = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) === 'Uint8Array'
  const byteController = global.ReadableByteStreamController.prototype
  const { enqueue: byteEnqueue, close: byteClose, error: byteError } = byteController
  const byobRequestOf = uncurryThis(Object.getOwnPropertyDescriptor(byteController, 'byobRequest').get)
  const byobRespond = global.ReadableStreamBYOBRequest.prototype.respond
  const ignore = () => {}
  const URLClass = global.URL
  const FormDataClass = global.FormData
  const formDataAppend = uncurryThis(FormDataClass.prototype.append)
  const ObjectPrototype = Object.prototype
  const OP_GLUE = 5
  const TAG_URL = 0, TAG_HEADERS = 1, TAG_BLOB = 2, TAG_FILE = 3, TAG_FORM_DATA = 4, TAG_REQUEST = 5, TAG_RESPONSE = 6
  const TAG_FUNCTION = 7, TAG_PROMISE = 8, TAG_ASYNC_ITERATOR = 9

  // Body streams of Requests and Responses sent to the host, which pulls them one chunk per read
  // (ops wirePull, wireCancel below): id -> { reader, stream }.
  const bodies = new SafeMap()
  let nextBody = 1
  // A Request's or Response's body for the host: null, bytes, or the id of a stream it pulls.
  function outBody(body) {
    if (body === null || body === undefined) return null
    if (typeof body === 'string') return bodyUtf8Encode(body)
    if (isUint8Array(body)) return body
    if (isReadableStream(body)) {
      const id = nextBody++
      bodies.set(id, { __proto__: null, reader: readableStreamGetReader(body), stream: body })
      return id
    }
    throw new TypeError('this body cannot be passed to the host')
  }

  const owners = new SafeWeakMap() // stand-in -> owner

  function out(x) {
    const href = urlHref(x)
    if (href !== undefined) return [TAG_URL, href]
    if (isHeaders(x)) return [TAG_HEADERS, headersList(x)]
    if (isFile(x)) return [TAG_FILE, [blobType(x), blobBytes(x), fileName(x), fileLastModified(x)]]
    if (isBlob(x)) return [TAG_BLOB, [blobType(x), blobBytes(x)]]
    if (isFormData(x)) return [TAG_FORM_DATA, formDataEntries(x)]
    // The body moves to the host, as fetch() takes it: the object's body is used afterwards.
    if (isRequest(x)) {
      const p = requestParts(x)
      return [TAG_REQUEST, [p.method, p.url, p.headers, outBody(p.body), p.redirect]]
    }
    if (isResponse(x)) {
      const p = responseParts(x)
      return [TAG_RESPONSE, [p.status, p.statusText, p.headers, outBody(p.body), '']]
    }
    // Refused (a DataCloneError with this message) rather than sent as an empty object.
    if (isReadableStream(x)) return [-1, 'a ReadableStream cannot be passed to the host on its own; pass new Response(stream) to stream it']
    return undefined
  }

  // A host body stream (id in the host glue's `bodies`), pulled one chunk per read; the host
  // cancels it when the stream is cancelled here or collected unread (`owner`).
  function hostBody(id, owner) {
    let over = false
    const stream = new ReadableStream(
      {
        __proto__: null,
        type: 'bytes',
        pull(controller) {
          return SafePromisePrototypeThen(
            hostAsync(OP_GLUE, 0, ['readBody', id]),
            (chunk) => {
              if (over) return
              if (chunk === null) {
                over = true
                ReflectApply(byteClose, controller, [])
                const byob = byobRequestOf(controller)
                if (byob !== null && byob !== undefined) ReflectApply(byobRespond, byob, [0])
              } else if (!isUint8Array(chunk)) {
                over = true
                ReflectApply(byteError, controller, [new TypeError('the host body produced a chunk that is not bytes')])
              } else if (TypedArrayPrototypeGetByteLength(chunk) > 0) {
                ReflectApply(byteEnqueue, controller, [chunk])
              }
            },
            (error) => {
              if (over) return
              over = true
              ReflectApply(byteError, controller, [error])
            },
          )
        },
        cancel(reason) {
          if (over) return
          over = true
          return SafePromisePrototypeThen(hostAsync(OP_GLUE, 0, ['cancelBody', id, reason === undefined ? '' : String(reason)]), undefined, ignore)
        },
      },
      { __proto__: null, highWaterMark: 0 },
    )
    if (owner !== undefined) owners.set(stream, owner)
    return stream
  }
  const inBody = (body, owner) => (typeof body === 'number' ? hostBody(body, owner) : body)

  // A host function: each call is a host round trip, and returns a promise.
  function hostFunction(id, owner) {
    const f = function (...args) {
      try {
        return hostAsync(OP_GLUE, 0, ['wireCall', id, args])
      } catch (e) {
        return PromiseReject(e)
      }
    }
    owners.set(f, owner)
    return f
  }

  // A host async iterator: pull-based, one host round trip per next(); return() (a `break` out of
  // `for await`) is passed on to the host's iterator.
  function hostIterator(id, owner) {
    const it = internals.pullHostIterator(id)
    owners.set(it, owner)
    return it
  }

  function into(tag, payload, owner) {
    switch (tag) {
      case TAG_URL:
        return new URLClass(payload)
      case TAG_HEADERS:
        return headersFromList(payload)
      case TAG_BLOB:
        return blobFromBytes(payload[1], payload[0])
      case TAG_FILE:
        return fileFromBytes(payload[1], payload[0], payload[2], payload[3])
      case TAG_FORM_DATA: {
        const fd = new FormDataClass()
        for (let i = 0; i < payload.length; i++) formDataAppend(fd, payload[i][0], payload[i][1])
        return fd
      }
      case TAG_REQUEST:
        return requestFromParts({ __proto__: null, method: payload[0], url: payload[1], headers: payload[2], body: inBody(payload[3], owner) })
      case TAG_RESPONSE:
        return responseFromParts({
          __proto__: null, status: payload[0], statusText: payload[1], headers: payload[2], body: inBody(payload[3], owner), url: payload[4] || null,
        })
      case TAG_FUNCTION:
        return hostFunction(payload, owner)
      case TAG_PROMISE:
        return hostAsync(OP_GLUE, 0, ['wireAwait', payload])
      case TAG_ASYNC_ITERATOR:
        return hostIterator(payload, owner)
    }
    throw new TypeError('edge-isolate: unknown kind of host value')
  }

  // The host pulls a body stream sent to it: one chunk per call, null at its end.
  const { pull: wirePull, cancel: wireCancel } = internals.bodyOps(bodies, 'body')
  internals.addHostOps({ __proto__: null, wirePull, wireCancel })

  internals.perRuntime[internals.perRuntime.length] = (options) => {
    if (options.warming !== true) natives.wireInstall(out, into, ObjectPrototype)
  }
})
