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
  const { PromiseReject, SafeWeakMap, TypeError, uncurryThis } = internals.primordials
  const { urlHref, isHeaders, headersList, headersFromList, isBlob, isFile, blobBytes, blobType, fileName, fileLastModified } = internals
  const { blobFromBytes, fileFromBytes, formDataEntries, isFormData, hostAsync } = internals
  const URLClass = global.URL
  const FormDataClass = global.FormData
  const formDataAppend = uncurryThis(FormDataClass.prototype.append)
  const ObjectPrototype = Object.prototype
  const OP_ITER_NEXT = 2, OP_ITER_RETURN = 3, OP_GLUE = 5
  const TAG_URL = 0, TAG_HEADERS = 1, TAG_BLOB = 2, TAG_FILE = 3, TAG_FORM_DATA = 4, TAG_FUNCTION = 7, TAG_PROMISE = 8, TAG_ASYNC_ITERATOR = 9

  const owners = new SafeWeakMap() // stand-in -> owner

  function out(x) {
    const href = urlHref(x)
    if (href !== undefined) return [TAG_URL, href]
    if (isHeaders(x)) return [TAG_HEADERS, headersList(x)]
    if (isFile(x)) return [TAG_FILE, [blobType(x), blobBytes(x), fileName(x), fileLastModified(x)]]
    if (isBlob(x)) return [TAG_BLOB, [blobType(x), blobBytes(x)]]
    if (isFormData(x)) return [TAG_FORM_DATA, formDataEntries(x)]
    return undefined
  }

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
    const it = (async function* hostAsyncIterator() {
      let finished = false
      try {
        while (true) {
          const step = await hostAsync(OP_ITER_NEXT, id, [])
          if (step.done) {
            finished = true
            return step.value
          }
          yield step.value
        }
      } catch (e) {
        finished = true
        throw e
      } finally {
        if (!finished) await hostAsync(OP_ITER_RETURN, id, [])
      }
    })()
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
      case TAG_FUNCTION:
        return hostFunction(payload, owner)
      case TAG_PROMISE:
        return hostAsync(OP_GLUE, 0, ['wireAwait', payload])
      case TAG_ASYNC_ITERATOR:
        return hostIterator(payload, owner)
    }
    throw new TypeError('edge-isolate: unknown kind of host value')
  }

  internals.perRuntime[internals.perRuntime.length] = () => natives.wireInstall(out, into, ObjectPrototype)
})
