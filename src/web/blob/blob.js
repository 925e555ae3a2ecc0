// Blob, File, FormData (https://w3c.github.io/FileAPI/, https://xhr.spec.whatwg.org/#interface-formdata)
//
// A Blob holds one immutable Uint8Array (parts are concatenated once, at construction; `slice`
// shares it). Offered on `internals` for fetch.js:
//   internals.bodyUtf8Encode(string) → Uint8Array, internals.bodyUtf8Decode(bytes) → string
//     (Rust, whole buffer at once; decode strips a BOM)
//   internals.blobBytes(blob) → Uint8Array (shared, never hand it to user code without copying)
//   internals.isBlob(x), internals.isFormData(x), internals.formDataEntries(fd) → [[name, value], ...]
//   internals.serializeFormData(fd) → { bytes, type } (multipart/form-data with a fresh boundary)
//   internals.parseFormData(bytes, contentType) → FormData; throws TypeError for other types or
//     malformed bodies
//   internals.bytesStream(bytes) → ReadableStream of a copy of those bytes
//   internals.blobFromBytes(bytes, type) → Blob over bytes (taken, not copied)
(function (global, natives, internals) {
  'use strict'
  const { define, tag } = internals
  const { utf8Encode, utf8Decode, parseMultipart, parseUrlencoded } = natives
  const empty = new Uint8Array(0)

  // https://webidl.spec.whatwg.org/#idl-USVString
  const usv = (v) => String(v).toWellFormed()
  const requireArgs = (n, have, what) => {
    if (have < n) throw new TypeError(`Failed to execute '${what}': ${n} argument${n > 1 ? 's' : ''} required, but only ${have} present.`)
  }

  // A copy of the bytes of a BufferSource, or undefined if `v` is none.
  function bufferSourceBytes(v) {
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice()
    if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer)) {
      return new Uint8Array(v).slice()
    }
    return undefined
  }

  function concat(chunks, total) {
    if (chunks.length === 1) return chunks[0]
    const out = new Uint8Array(total)
    let at = 0
    for (const c of chunks) {
      out.set(c, at)
      at += c.length
    }
    return out
  }

  // https://w3c.github.io/FileAPI/#convert-line-endings-to-native (native is LF here)
  const nativeEndings = (s) => s.replace(/\r\n?/g, '\n')

  // A ReadableStream over `bytes` (shared, so the stream gets a copy).
  const bytesStream = (bytes) => internals.readableStreamFromBytes(bytes.slice())

  let blobBytes, setBlobBytes, isBlob
  class Blob {
    #bytes
    #type
    static {
      blobBytes = (b) => b.#bytes
      setBlobBytes = (b, bytes) => { b.#bytes = bytes }
      isBlob = (x) => x !== null && typeof x === 'object' && #bytes in x
    }
    constructor(blobParts = undefined, options = undefined) {
      if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') {
        throw new TypeError("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.")
      }
      // https://webidl.spec.whatwg.org/#es-dictionary: members in lexicographic order.
      const endings = options?.endings === undefined ? 'transparent' : String(options.endings)
      const type = options?.type === undefined ? '' : String(options.type)
      if (endings !== 'transparent' && endings !== 'native') {
        throw new TypeError(`Failed to construct 'Blob': The provided value '${endings}' is not a valid enum value of type EndingType.`)
      }
      const chunks = []
      let total = 0
      if (blobParts !== undefined && blobParts !== null) {
        if (typeof blobParts !== 'object' && typeof blobParts !== 'function' || typeof blobParts[Symbol.iterator] !== 'function') {
          throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.")
        }
        for (const part of blobParts) {
          let bytes
          if (isBlob(part)) bytes = part.#bytes
          else if ((bytes = bufferSourceBytes(part)) === undefined) {
            let s = usv(part)
            if (endings === 'native') s = nativeEndings(s)
            bytes = utf8Encode(s)
          }
          if (bytes.length) {
            chunks.push(bytes)
            total += bytes.length
          }
        }
      } else if (blobParts === null) {
        throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.")
      }
      this.#bytes = chunks.length ? concat(chunks, total) : empty
      this.#type = normalizeType(type)
    }
    get size() { return this.#bytes.length }
    get type() { return this.#type }
    // https://w3c.github.io/FileAPI/#dfn-slice
    slice(start = undefined, end = undefined, contentType = undefined) {
      const size = this.#bytes.length
      const rel = (v, dflt) => {
        if (v === undefined) return dflt
        const n = Math.trunc(Number(v)) || 0
        return n < 0 ? Math.max(size + n, 0) : Math.min(n, size)
      }
      const from = rel(start, 0)
      const to = rel(end, size)
      const blob = new Blob()
      blob.#bytes = this.#bytes.subarray(from, Math.max(from, to))
      blob.#type = contentType === undefined ? '' : normalizeType(String(contentType))
      return blob
    }
    stream() { return bytesStream(this.#bytes) }
    text() {
      try { return Promise.resolve(utf8Decode(this.#bytes)) } catch (e) { return Promise.reject(e) }
    }
    arrayBuffer() {
      try {
        const b = this.#bytes
        return Promise.resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))
      } catch (e) { return Promise.reject(e) }
    }
    bytes() {
      try { return Promise.resolve(this.#bytes.slice()) } catch (e) { return Promise.reject(e) }
    }
  }
  // https://w3c.github.io/FileAPI/#dfn-type: non-printable-ASCII types become "".
  function normalizeType(t) {
    return /^[\x20-\x7e]*$/.test(t) ? t.toLowerCase() : ''
  }
  tag(Blob, 'Blob')
  for (const k of ['size', 'type', 'slice', 'stream', 'text', 'arrayBuffer', 'bytes']) {
    Object.defineProperty(Blob.prototype, k, { enumerable: true })
  }

  let isFile
  class File extends Blob {
    #name
    #lastModified
    static {
      isFile = (x) => x !== null && typeof x === 'object' && #name in x
    }
    constructor(fileBits, fileName, options = undefined) {
      requireArgs(2, arguments.length, "construct 'File'")
      super(fileBits, options)
      this.#name = usv(fileName)
      const lm = options?.lastModified
      this.#lastModified = lm === undefined ? Date.now() : toLongLong(lm)
    }
    get name() { return this.#name }
    get lastModified() { return this.#lastModified }
    get webkitRelativePath() { return '' }
  }
  // https://webidl.spec.whatwg.org/#es-long-long
  function toLongLong(v) {
    const n = Number(v)
    if (!Number.isFinite(n)) return 0
    return Math.trunc(n) || 0
  }
  tag(File, 'File')
  for (const k of ['name', 'lastModified']) Object.defineProperty(File.prototype, k, { enumerable: true })

  // https://xhr.spec.whatwg.org/#create-an-entry
  function makeEntry(name, value, filename, nargs, what) {
    name = usv(name)
    if (isBlob(value)) {
      if (!isFile(value) || filename !== undefined) {
        value = new File([value], filename !== undefined ? usv(filename) : isFile(value) ? value.name : 'blob', {
          type: value.type,
          lastModified: isFile(value) ? value.lastModified : undefined,
        })
      }
    } else {
      if (nargs > 2) {
        throw new TypeError(`Failed to execute '${what}' on 'FormData': parameter 2 is not of type 'Blob'.`)
      }
      value = usv(value)
    }
    return [name, value]
  }

  let formDataEntries
  class FormData {
    #entries = []
    static {
      formDataEntries = (fd) => fd.#entries
    }
    constructor(form = undefined, submitter = undefined) {
      if (form !== undefined) {
        throw new TypeError("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.")
      }
    }
    append(name, value, filename = undefined) {
      requireArgs(2, arguments.length, 'append')
      this.#entries.push(makeEntry(name, value, filename, arguments.length, 'append'))
    }
    delete(name) {
      requireArgs(1, arguments.length, 'delete')
      name = usv(name)
      this.#entries = this.#entries.filter((e) => e[0] !== name)
    }
    get(name) {
      requireArgs(1, arguments.length, 'get')
      name = usv(name)
      const e = this.#entries.find((e) => e[0] === name)
      return e === undefined ? null : e[1]
    }
    getAll(name) {
      requireArgs(1, arguments.length, 'getAll')
      name = usv(name)
      return this.#entries.filter((e) => e[0] === name).map((e) => e[1])
    }
    has(name) {
      requireArgs(1, arguments.length, 'has')
      name = usv(name)
      return this.#entries.some((e) => e[0] === name)
    }
    // https://xhr.spec.whatwg.org/#dom-formdata-set: replaces the first, removes the rest.
    set(name, value, filename = undefined) {
      requireArgs(2, arguments.length, 'set')
      const entry = makeEntry(name, value, filename, arguments.length, 'set')
      const i = this.#entries.findIndex((e) => e[0] === entry[0])
      if (i === -1) {
        this.#entries.push(entry)
        return
      }
      this.#entries = this.#entries.filter((e, j) => j <= i || e[0] !== entry[0])
      this.#entries[i] = entry
    }
    forEach(callback, thisArg = undefined) {
      requireArgs(1, arguments.length, 'forEach')
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'FormData': The callback provided as parameter 1 is not a function.")
      }
      for (let i = 0; i < this.#entries.length; i++) {
        const [k, v] = this.#entries[i]
        Reflect.apply(callback, thisArg, [v, k, this])
      }
    }
    entries() { return makeIterator(this, (fd) => fd.#entries, 'key+value') }
    keys() { return makeIterator(this, (fd) => fd.#entries, 'key') }
    values() { return makeIterator(this, (fd) => fd.#entries, 'value') }
  }
  tag(FormData, 'FormData')
  define(FormData.prototype, Symbol.iterator, FormData.prototype.entries)

  // https://webidl.spec.whatwg.org/#es-iterator-prototype-object: a live iterator over a list.
  const FormDataIteratorPrototype = Object.create(Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())))
  const iterState = new WeakMap()
  define(FormDataIteratorPrototype, 'next', function next() {
    const s = iterState.get(this)
    if (s === undefined) throw new TypeError("'next' called on an object that is not a FormData Iterator.")
    const list = s.list(s.target)
    if (s.index >= list.length) return { value: undefined, done: true }
    const [k, v] = list[s.index++]
    return { value: s.kind === 'key' ? k : s.kind === 'value' ? v : [k, v], done: false }
  })
  Object.defineProperty(FormDataIteratorPrototype, Symbol.toStringTag, { value: 'FormData Iterator', configurable: true })
  function makeIterator(target, list, kind) {
    list(target) // brand check
    const it = Object.create(FormDataIteratorPrototype)
    iterState.set(it, { target, list, kind, index: 0 })
    return it
  }

  // https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart-form-data
  const escapeName = (s) => s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22')
  const crlf = (s) => s.replace(/\r\n|\r(?!\n)|\n/g, '\r\n')
  function serializeFormData(fd) {
    const hex = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')
    const boundary = `----formdata-edge-isolate-${hex()}${hex()}${hex()}`
    const chunks = []
    let total = 0
    const push = (b) => {
      chunks.push(b)
      total += b.length
    }
    let text = ''
    for (const [name, value] of formDataEntries(fd)) {
      text += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(crlf(name))}"`
      if (typeof value === 'string') {
        text += `\r\n\r\n${crlf(value)}\r\n`
      } else {
        text += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`
        push(utf8Encode(text))
        push(blobBytes(value))
        text = '\r\n'
      }
    }
    text += `--${boundary}--\r\n`
    push(utf8Encode(text))
    return { bytes: concat(chunks, total), type: `multipart/form-data; boundary=${boundary}` }
  }

  // https://fetch.spec.whatwg.org/#dom-body-formdata, given the Content-Type header value.
  function parseFormData(bytes, contentType) {
    const essence = (contentType ?? '').split(';')[0].trim().toLowerCase()
    const fd = new FormData()
    const entries = formDataEntries(fd)
    if (essence === 'multipart/form-data') {
      const boundary = mimeParam(contentType, 'boundary')
      const flat = boundary === undefined ? undefined : parseMultipart(bytes, boundary)
      if (flat === undefined) throw new TypeError('Failed to parse body as FormData.')
      for (let i = 0; i < flat.length; i += 4) {
        let value = flat[i + 1]
        if (flat[i + 2] !== undefined) {
          // The bytes came fresh from Rust: the File takes them without a copy.
          value = new File([], flat[i + 2], { type: flat[i + 3] })
          setBlobBytes(value, flat[i + 1])
        }
        entries.push([flat[i], value])
      }
      return fd
    }
    if (essence === 'application/x-www-form-urlencoded') {
      const flat = parseUrlencoded(bytes)
      for (let i = 0; i < flat.length; i += 2) entries.push([flat[i], flat[i + 1]])
      return fd
    }
    throw new TypeError(`Failed to parse body as FormData: unsupported Content-Type '${contentType ?? ''}'.`)
  }
  // One parameter of a MIME type (https://mimesniff.spec.whatwg.org/#parsing-a-mime-type, enough
  // for `boundary`: quoted or token values).
  function mimeParam(type, name) {
    const re = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g
    let m
    while ((m = re.exec(type)) !== null) {
      if (m[1].toLowerCase() !== name) continue
      let v = m[2]
      if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1')
      else v = v.trim()
      return v
    }
    return undefined
  }

  define(global, 'Blob', Blob)
  define(global, 'File', File)
  define(global, 'FormData', FormData)

  Object.assign(internals, {
    bodyUtf8Encode: utf8Encode,
    bodyUtf8Decode: utf8Decode,
    blobBytes,
    isBlob,
    // A Blob over `bytes` (taken, not copied) with `type` normalized as the constructor does.
    blobFromBytes(bytes, type) {
      const b = new Blob([], { type })
      setBlobBytes(b, bytes)
      return b
    },
    isFile,
    isFormData: (x) => {
      try {
        formDataEntries(x)
        return true
      } catch {
        return false
      }
    },
    formDataEntries,
    serializeFormData,
    parseFormData,
    bytesStream,
    mimeParam,
    bufferSourceBytes,
    concatBytes: concat,
  })
})
