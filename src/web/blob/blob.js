// Blob, File, FileReader, ProgressEvent, FormData (https://w3c.github.io/FileAPI/, https://xhr.spec.whatwg.org/#interface-formdata)
//
// A Blob holds one immutable Uint8Array (parts are concatenated once, at construction; `slice`
// shares it). Offered on `internals` for fetch.js:
//   internals.bodyUtf8Encode(string) -> Uint8Array, internals.bodyUtf8Decode(bytes) -> string
//     (Rust, whole buffer at once; decode strips a BOM)
//   internals.blobBytes(blob) -> Uint8Array (shared, never hand it to user code without copying)
//   internals.blobType(blob) -> its type; internals.resolveBlobURL(href) -> the Blob of a blob: URL, or undefined
//   internals.isBlob(x), internals.isFormData(x), internals.formDataEntries(fd) -> [[name, value], ...]
//   internals.serializeFormData(fd) -> { bytes, type } (multipart/form-data with a fresh boundary)
//   internals.parseFormData(bytes, contentType) -> FormData; throws TypeError for other types or
//     malformed bodies
//   internals.bytesStream(bytes) -> ReadableStream of a copy of those bytes
//   internals.blobFromBytes(bytes, type) -> Blob over bytes (taken, not copied)
(function (global, natives, internals) {
  'use strict'
  const { define, tag } = internals
  // Captured intrinsics (primordials.js): user code patching built-ins changes nothing here.
  const {
    ArrayBufferIsView, ObjectAssign, DataViewPrototypeGetBuffer, DataViewPrototypeGetByteLength,
    DataViewPrototypeGetByteOffset, TypedArrayPrototypeGetSymbolToStringTag, ArrayPrototypePush, DateNow, MathFloor, MathMax,
    MathMin, MathRandom, MathTrunc, Number, NumberIsFinite, NumberPrototypeToString, ObjectCreate,
    ObjectDefineProperty, PromiseReject, PromiseResolve, ReflectApply, SafeMap,
    RegExpPrototypeExec, RegExpPrototypeSymbolReplace, SafeArrayIterator, SafeRegExp, SafeWeakMap,
    String, StringPrototypeIndexOf, StringPrototypePadStart, StringPrototypeSlice,
    StringPrototypeStartsWith, StringPrototypeToLowerCase, StringPrototypeToWellFormed, StringPrototypeTrim,
    SymbolIterator, SymbolToStringTag, TypeError, TypedArrayPrototypeGetBuffer, TypedArrayPrototypeGetByteLength,
    TypedArrayPrototypeGetByteOffset, TypedArrayPrototypeGetLength, TypedArrayPrototypeSet,
    Uint8Array, StringFromCharCode,
  } = internals.primordials
  const { DOMException } = internals
  const { isAnyArrayBuffer } = internals
  const { utf8Encode, utf8Decode, parseMultipart, parseUrlencoded } = natives
  const empty = new Uint8Array(0)
  const lengthOf = TypedArrayPrototypeGetLength
  // Copies and views made directly, not with slice/subarray (they look up a user-patchable
  // `constructor` for @@species).
  const copyBytes = (u8) => {
    const out = new Uint8Array(lengthOf(u8))
    TypedArrayPrototypeSet(out, u8)
    return out
  }
  const subBytes = (u8, from, to) =>
    new Uint8Array(TypedArrayPrototypeGetBuffer(u8), TypedArrayPrototypeGetByteOffset(u8) + from, to - from)
  // replaceAll with a captured SafeRegExp and a replacement function (no `$` patterns).
  const replace = (s, re, to) => RegExpPrototypeSymbolReplace(re, s, () => to)

  // https://webidl.spec.whatwg.org/#idl-USVString
  const usv = (v) => StringPrototypeToWellFormed(String(v))
  const requireArgs = (n, have, what) => {
    if (have < n) throw new TypeError(`Failed to execute '${what}': ${n} argument${n > 1 ? 's' : ''} required, but only ${have} present.`)
  }

  // A copy of the bytes of a BufferSource, or undefined if `v` is none.
  function bufferSourceBytes(v) {
    if (ArrayBufferIsView(v)) {
      const view = TypedArrayPrototypeGetSymbolToStringTag(v) !== undefined
        ? new Uint8Array(TypedArrayPrototypeGetBuffer(v), TypedArrayPrototypeGetByteOffset(v), TypedArrayPrototypeGetByteLength(v))
        : new Uint8Array(DataViewPrototypeGetBuffer(v), DataViewPrototypeGetByteOffset(v), DataViewPrototypeGetByteLength(v))
      return copyBytes(view)
    }
    if (isAnyArrayBuffer(v)) {
      return copyBytes(new Uint8Array(v))
    }
    return undefined
  }

  function concat(chunks, total) {
    if (chunks.length === 1) return chunks[0]
    const out = new Uint8Array(total)
    let at = 0
    for (let i = 0; i < chunks.length; i++) {
      TypedArrayPrototypeSet(out, chunks[i], at)
      at += lengthOf(chunks[i])
    }
    return out
  }

  // https://w3c.github.io/FileAPI/#convert-line-endings-to-native (native is LF here)
  const newlines = new SafeRegExp('\r\n?', 'g')
  const nativeEndings = (s) => replace(s, newlines, '\n')

  // A ReadableStream over `bytes` (shared, so the stream gets a copy).
  const bytesStream = (bytes) => internals.readableStreamFromBytes(copyBytes(bytes))

  let blobBytes, blobType, setBlobBytes, isBlob
  class Blob {
    #bytes
    #type
    static {
      blobBytes = (b) => b.#bytes
      blobType = (b) => b.#type
      setBlobBytes = (b, bytes) => { b.#bytes = bytes }
      isBlob = (x) => x !== null && typeof x === 'object' && #bytes in x
    }
    constructor(blobParts = undefined, options = undefined) {
      // Web IDL converts the arguments left to right: sequence<BlobPart> (each element as it is
      // iterated, with the iterator method read once), then the BlobPropertyBag.
      const parts = [] // bytes (Uint8Array) or a string still to be encoded
      if (blobParts !== undefined && blobParts !== null) {
        const method = typeof blobParts === 'object' || typeof blobParts === 'function' ? blobParts[SymbolIterator] : undefined
        if (typeof method !== 'function') {
          throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.")
        }
        const it = ReflectApply(method, blobParts, [])
        if (it === null || (typeof it !== 'object' && typeof it !== 'function')) throw new TypeError("Failed to construct 'Blob': the iterator is not an object.")
        const next = it.next
        for (;;) {
          const r = ReflectApply(next, it, [])
          if (r === null || (typeof r !== 'object' && typeof r !== 'function')) throw new TypeError("Failed to construct 'Blob': the iterator result is not an object.")
          if (r.done) break
          const part = r.value
          let bytes
          if (isBlob(part)) bytes = part.#bytes
          else if ((bytes = bufferSourceBytes(part)) === undefined) bytes = usv(part)
          ArrayPrototypePush(parts, bytes)
        }
      } else if (blobParts === null) {
        throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.")
      }
      if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') {
        throw new TypeError("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.")
      }
      // https://webidl.spec.whatwg.org/#es-dictionary: each member read once, in lexicographic order.
      const rawEndings = options === undefined || options === null ? undefined : options.endings
      const endings = rawEndings === undefined ? 'transparent' : String(rawEndings)
      const rawType = options === undefined || options === null ? undefined : options.type
      const type = rawType === undefined ? '' : String(rawType)
      if (endings !== 'transparent' && endings !== 'native') {
        throw new TypeError(`Failed to construct 'Blob': The provided value '${endings}' is not a valid enum value of type EndingType.`)
      }
      const chunks = []
      let total = 0
      for (let i = 0; i < parts.length; i++) {
        let bytes = parts[i]
        if (typeof bytes === 'string') bytes = utf8Encode(endings === 'native' ? nativeEndings(bytes) : bytes)
        if (lengthOf(bytes)) {
          ArrayPrototypePush(chunks, bytes)
          total += lengthOf(bytes)
        }
      }
      this.#bytes = chunks.length ? concat(chunks, total) : empty
      this.#type = normalizeType(type)
    }
    get size() { return lengthOf(this.#bytes) }
    get type() { return this.#type }
    // https://w3c.github.io/FileAPI/#dfn-slice
    slice(start = undefined, end = undefined, contentType = undefined) {
      const size = lengthOf(this.#bytes)
      const rel = (v, dflt) => {
        if (v === undefined) return dflt
        const n = MathTrunc(Number(v)) || 0
        return n < 0 ? MathMax(size + n, 0) : MathMin(n, size)
      }
      const from = rel(start, 0)
      const to = rel(end, size)
      const blob = new Blob()
      blob.#bytes = subBytes(this.#bytes, from, MathMax(from, to))
      blob.#type = contentType === undefined ? '' : normalizeType(String(contentType))
      return blob
    }
    stream() { return bytesStream(this.#bytes) }
    text() {
      try { return PromiseResolve(utf8Decode(this.#bytes)) } catch (e) { return PromiseReject(e) }
    }
    arrayBuffer() {
      try {
        return PromiseResolve(TypedArrayPrototypeGetBuffer(copyBytes(this.#bytes)))
      } catch (e) { return PromiseReject(e) }
    }
    bytes() {
      try { return PromiseResolve(copyBytes(this.#bytes)) } catch (e) { return PromiseReject(e) }
    }
  }
  // https://w3c.github.io/FileAPI/#dfn-type: non-printable-ASCII types become "".
  // exec called directly reads nothing a script can patch (Symbol.replace/split would: SafeRegExp).
  const printable = /^[\x20-\x7e]*$/
  function normalizeType(t) {
    return RegExpPrototypeExec(printable, t) !== null ? StringPrototypeToLowerCase(t) : ''
  }
  tag(Blob, 'Blob')
  for (const k of new SafeArrayIterator(['size', 'type', 'slice', 'stream', 'text', 'arrayBuffer', 'bytes'])) {
    ObjectDefineProperty(Blob.prototype, k, { __proto__: null, enumerable: true })
  }

  let isFile, fileName, fileLastModified
  // A File with no parts (bytes set by the caller), the File constructor's other steps as they are.
  const noParts = { __proto__: null, [SymbolIterator]: function* () {} }
  const newFile = (name, options) => new File(noParts, name, options)
  class File extends Blob {
    #name
    #lastModified
    static {
      isFile = (x) => x !== null && typeof x === 'object' && #name in x
      fileName = (f) => f.#name
      fileLastModified = (f) => f.#lastModified
    }
    constructor(fileBits, fileName, options = undefined) {
      requireArgs(2, arguments.length, "construct 'File'")
      super(fileBits, options)
      this.#name = usv(fileName)
      const lm = options?.lastModified
      this.#lastModified = lm === undefined ? DateNow() : toLongLong(lm)
    }
    get name() { return this.#name }
    get lastModified() { return this.#lastModified }
    get webkitRelativePath() { return '' }
  }
  // https://webidl.spec.whatwg.org/#es-long-long
  function toLongLong(v) {
    const n = Number(v)
    if (!NumberIsFinite(n)) return 0
    return MathTrunc(n) || 0
  }
  tag(File, 'File')
  // https://w3c.github.io/FileAPI/#blob-section (Serializable): a clone shares the original's
  // immutable bytes, so cloning copies nothing.
  internals.serializable(Blob, (b) => {
    if (!isBlob(b)) return undefined
    const c = new Blob(undefined, { __proto__: null, type: blobType(b) })
    setBlobBytes(c, blobBytes(b))
    return c
  })
  internals.serializable(File, (f) => {
    if (!isFile(f)) return undefined
    const c = newFile(fileName(f), { __proto__: null, type: blobType(f), lastModified: fileLastModified(f) })
    setBlobBytes(c, blobBytes(f))
    return c
  })
  for (const k of new SafeArrayIterator(['name', 'lastModified'])) ObjectDefineProperty(File.prototype, k, { __proto__: null, enumerable: true })

  // https://xhr.spec.whatwg.org/#create-an-entry
  function makeEntry(name, value, filename, nargs, what) {
    name = usv(name)
    if (isBlob(value)) {
      if (!isFile(value) || filename !== undefined) {
        // A File over the same bytes, made without iterating an array.
        const file = newFile(filename !== undefined ? usv(filename) : isFile(value) ? fileName(value) : 'blob', {
          __proto__: null,
          type: blobType(value),
          lastModified: isFile(value) ? fileLastModified(value) : undefined,
        })
        setBlobBytes(file, blobBytes(value))
        value = file
      }
    } else {
      if (nargs > 2) {
        throw new TypeError(`Failed to execute '${what}' on 'FormData': parameter 2 is not of type 'Blob'.`)
      }
      value = usv(value)
    }
    return [name, value]
  }
  // Entries are [name, value] pairs; matching ones, by index (no array methods: those are user code's).
  const filterEntries = (list, keep) => {
    const out = []
    for (let i = 0; i < list.length; i++) if (keep(list[i], i)) ArrayPrototypePush(out, list[i])
    return out
  }
  const findEntry = (list, name) => {
    for (let i = 0; i < list.length; i++) if (list[i][0] === name) return i
    return -1
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
      ArrayPrototypePush(this.#entries, makeEntry(name, value, filename, arguments.length, 'append'))
    }
    delete(name) {
      requireArgs(1, arguments.length, 'delete')
      name = usv(name)
      this.#entries = filterEntries(this.#entries, (e) => e[0] !== name)
    }
    get(name) {
      requireArgs(1, arguments.length, 'get')
      name = usv(name)
      const i = findEntry(this.#entries, name)
      return i === -1 ? null : this.#entries[i][1]
    }
    getAll(name) {
      requireArgs(1, arguments.length, 'getAll')
      name = usv(name)
      const list = this.#entries
      const out = []
      for (let i = 0; i < list.length; i++) if (list[i][0] === name) ArrayPrototypePush(out, list[i][1])
      return out
    }
    has(name) {
      requireArgs(1, arguments.length, 'has')
      name = usv(name)
      return findEntry(this.#entries, name) !== -1
    }
    // https://xhr.spec.whatwg.org/#dom-formdata-set: replaces the first, removes the rest.
    set(name, value, filename = undefined) {
      requireArgs(2, arguments.length, 'set')
      const entry = makeEntry(name, value, filename, arguments.length, 'set')
      const i = findEntry(this.#entries, entry[0])
      if (i === -1) {
        ArrayPrototypePush(this.#entries, entry)
        return
      }
      this.#entries = filterEntries(this.#entries, (e, j) => j <= i || e[0] !== entry[0])
      this.#entries[i] = entry
    }
    forEach(callback, thisArg = undefined) {
      requireArgs(1, arguments.length, 'forEach')
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'FormData': The callback provided as parameter 1 is not a function.")
      }
      for (let i = 0; i < this.#entries.length; i++) {
        const e = this.#entries[i]
        ReflectApply(callback, thisArg, [e[1], e[0], this])
      }
    }
    entries() { return makeIterator(this, (fd) => fd.#entries, 'key+value') }
    keys() { return makeIterator(this, (fd) => fd.#entries, 'key') }
    values() { return makeIterator(this, (fd) => fd.#entries, 'value') }
  }
  tag(FormData, 'FormData')
  define(FormData.prototype, SymbolIterator, FormData.prototype.entries)

  // https://webidl.spec.whatwg.org/#es-iterator-prototype-object: a live iterator over a list.
  const FormDataIteratorPrototype = ObjectCreate(internals.primordials.IteratorPrototype)
  const iterState = new SafeWeakMap()
  define(FormDataIteratorPrototype, 'next', function next() {
    const s = iterState.get(this)
    if (s === undefined) throw new TypeError("'next' called on an object that is not a FormData Iterator.")
    const list = s.list(s.target)
    if (s.index >= list.length) return { value: undefined, done: true }
    const e = list[s.index++]
    return { value: s.kind === 'key' ? e[0] : s.kind === 'value' ? e[1] : [e[0], e[1]], done: false }
  })
  ObjectDefineProperty(FormDataIteratorPrototype, SymbolToStringTag, { __proto__: null, value: 'FormData Iterator', configurable: true })
  function makeIterator(target, list, kind) {
    list(target) // brand check
    const it = ObjectCreate(FormDataIteratorPrototype)
    iterState.set(it, { target, list, kind, index: 0 })
    return it
  }

  // https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart-form-data
  const LF = new SafeRegExp('\n', 'g'), CR = new SafeRegExp('\r', 'g'), QUOTE = new SafeRegExp('"', 'g')
  const NEWLINE = new SafeRegExp('\r\n|\r(?!\n)|\n', 'g')
  const escapeName = (s) => replace(replace(replace(s, LF, '%0A'), CR, '%0D'), QUOTE, '%22')
  const crlf = (s) => replace(s, NEWLINE, '\r\n')
  function serializeFormData(fd) {
    const hex = () => StringPrototypePadStart(NumberPrototypeToString(MathFloor(MathRandom() * 0x100000000), 16), 8, '0')
    const boundary = `----formdata-edge-isolate-${hex()}${hex()}${hex()}`
    const chunks = []
    let total = 0
    const push = (b) => {
      ArrayPrototypePush(chunks, b)
      total += lengthOf(b)
    }
    let text = ''
    const entries = formDataEntries(fd)
    for (let i = 0; i < entries.length; i++) {
      const name = entries[i][0], value = entries[i][1]
      text += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(crlf(name))}"`
      if (typeof value === 'string') {
        text += `\r\n\r\n${crlf(value)}\r\n`
      } else {
        text += `; filename="${escapeName(fileName(value))}"\r\nContent-Type: ${blobType(value) || 'application/octet-stream'}\r\n\r\n`
        push(utf8Encode(text))
        push(blobBytes(value))
        text = '\r\n'
      }
    }
    text += `--${boundary}--\r\n`
    push(utf8Encode(text))
    return { __proto__: null, bytes: concat(chunks, total), type: `multipart/form-data; boundary=${boundary}` }
  }

  // https://fetch.spec.whatwg.org/#dom-body-formdata, given the Content-Type header value.
  function parseFormData(bytes, contentType) {
    const ct = contentType ?? ''
    const semi = StringPrototypeIndexOf(ct, ';')
    const essence = StringPrototypeToLowerCase(StringPrototypeTrim(semi === -1 ? ct : StringPrototypeSlice(ct, 0, semi)))
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
          value = newFile(flat[i + 2], { __proto__: null, type: flat[i + 3] })
          setBlobBytes(value, flat[i + 1])
        }
        ArrayPrototypePush(entries, [flat[i], value])
      }
      return fd
    }
    if (essence === 'application/x-www-form-urlencoded') {
      const flat = parseUrlencoded(bytes)
      for (let i = 0; i < flat.length; i += 2) ArrayPrototypePush(entries, [flat[i], flat[i + 1]])
      return fd
    }
    throw new TypeError(`Failed to parse body as FormData: unsupported Content-Type '${contentType ?? ''}'.`)
  }
  // One parameter of a MIME type (https://mimesniff.spec.whatwg.org/#parsing-a-mime-type, enough
  // for `boundary`: quoted or token values).
  const PARAM = ';\\s*([^=;\\s]+)\\s*=\\s*("(?:[^"\\\\]|\\\\.)*"|[^;]*)'
  const QUOTED_PAIR = new SafeRegExp('\\\\(.)', 'g')
  function mimeParam(type, name) {
    const re = new SafeRegExp(PARAM, 'g')
    let m
    while ((m = RegExpPrototypeExec(re, type)) !== null) {
      if (StringPrototypeToLowerCase(m[1]) !== name) continue
      let v = m[2]
      if (StringPrototypeStartsWith(v, '"')) v = RegExpPrototypeSymbolReplace(QUOTED_PAIR, StringPrototypeSlice(v, 1, -1), (_, c) => c)
      else v = StringPrototypeTrim(v)
      return v
    }
    return undefined
  }


  // --- ProgressEvent: https://xhr.spec.whatwg.org/#interface-progressevent
  const Event = global.Event
  const EventTarget = global.EventTarget
  class ProgressEvent extends Event {
    #lengthComputable
    #loaded
    #total
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) super()
      else super(type, eventInitDict)
      const init = eventInitDict ?? {}
      this.#lengthComputable = !!init.lengthComputable
      this.#loaded = init.loaded === undefined ? 0 : unsignedLongLong(init.loaded)
      this.#total = init.total === undefined ? 0 : unsignedLongLong(init.total)
    }
    get lengthComputable() { return this.#lengthComputable }
    get loaded() { return this.#loaded }
    get total() { return this.#total }
  }
  // Web IDL unsigned long long (not [EnforceRange]): modulo 2^64, which a double keeps as is up to 2^53.
  function unsignedLongLong(v) {
    const n = Number(v)
    if (!NumberIsFinite(n)) return 0
    const t = MathTrunc(n)
    return t < 0 ? 0 : t
  }
  internals.webidl(ProgressEvent, 'ProgressEvent')

  // --- FileReader: https://w3c.github.io/FileAPI/#APIASynch
  // A Blob's bytes are in memory, so a read needs no stream: its events are tasks (timer tasks)
  // queued in the spec's order, loadstart, progress (non-empty blobs), then load or error, loadend.
  const EMPTY_STATE = 0, LOADING = 1, DONE = 2
  const AS_BUFFER = 0, AS_BINARY = 1, AS_TEXT = 2, AS_DATA_URL = 3
  const setTimeout = global.setTimeout
  const queueMicrotask = global.queueMicrotask
  const TextDecoder = global.TextDecoder
  const btoa = global.btoa
  // https://w3c.github.io/FileAPI/#blob-package-data
  const binaryString = (bytes) => {
    let s = ''
    const n = lengthOf(bytes)
    for (let i = 0; i < n; i += 8192) s += ReflectApply(StringFromCharCode, null, new Uint8Array(TypedArrayPrototypeGetBuffer(bytes), TypedArrayPrototypeGetByteOffset(bytes) + i, MathMin(8192, n - i)))
    return s
  }
  const decodeText = (bytes, label, type) => {
    // https://encoding.spec.whatwg.org/#decode: a BOM decides; else the label, the blob type's
    // charset, UTF-8.
    let encoding
    let start = 0
    if (lengthOf(bytes) >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) (encoding = 'utf-8'), (start = 3)
    else if (lengthOf(bytes) >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) (encoding = 'utf-16be'), (start = 2)
    else if (lengthOf(bytes) >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) (encoding = 'utf-16le'), (start = 2)
    const candidates = encoding !== undefined ? [encoding] : [label, mimeParam(type, 'charset'), 'utf-8']
    for (let i = 0; i < candidates.length; i++) {
      if (candidates[i] === undefined) continue
      let d
      try {
        d = new TextDecoder(candidates[i], { __proto__: null, ignoreBOM: true })
      } catch {
        continue
      }
      const rest = new Uint8Array(TypedArrayPrototypeGetBuffer(bytes), TypedArrayPrototypeGetByteOffset(bytes) + start, lengthOf(bytes) - start)
      return d.decode(rest)
    }
    return ''
  }
  const packageData = (bytes, kind, type, label) => {
    if (kind === AS_BUFFER) return TypedArrayPrototypeGetBuffer(copyBytes(bytes))
    if (kind === AS_BINARY) return binaryString(bytes)
    if (kind === AS_TEXT) return decodeText(bytes, label, type)
    return `data:${type === '' ? 'application/octet-stream' : type};base64,${btoa(binaryString(bytes))}`
  }
  let fireProgress
  class FileReader extends EventTarget {
    #state = EMPTY_STATE
    #result = null
    #error = null
    #generation = 0 // a read's tasks do nothing once abort() or a new read moved it on
    static {
      fireProgress = (reader, type, loaded, total) => {
        internals.dispatch(reader, new ProgressEvent(type, { __proto__: null, lengthComputable: true, loaded, total }))
      }
    }
    #read(blob, kind, label, what) {
      if (!(#state in this)) throw new TypeError('Illegal invocation')
      if (!isBlob(blob)) throw new TypeError(`Failed to execute '${what}' on 'FileReader': parameter 1 is not of type 'Blob'.`)
      if (this.#state === LOADING) throw new DOMException(`Failed to execute '${what}' on 'FileReader': The object is already busy reading Blobs.`, 'InvalidStateError')
      this.#state = LOADING
      this.#result = null
      this.#error = null
      const gen = ++this.#generation
      const bytes = blobBytes(blob)
      const type = blobType(blob)
      const total = lengthOf(bytes)
      const live = () => this.#generation === gen
      setTimeout(() => {
        if (!live()) return
        fireProgress(this, 'loadstart', 0, total)
        setTimeout(() => {
          if (!live()) return
          if (total > 0) fireProgress(this, 'progress', total, total)
          setTimeout(() => {
            if (!live()) return
            this.#state = DONE
            let ok = true
            try {
              this.#result = packageData(bytes, kind, type, label)
            } catch (e) {
              ok = false
              this.#error = e
            }
            fireProgress(this, ok ? 'load' : 'error', total, total)
            // loadend belongs to the same task; a browser runs microtasks after each listener
            // called from its event loop, so what a `load` listener's promises do comes first.
            if (this.#state !== LOADING) queueMicrotask(() => fireProgress(this, 'loadend', total, total))
          }, 0)
        }, 0)
      }, 0)
    }
    readAsArrayBuffer(blob) {
      required(arguments.length, "readAsArrayBuffer")
      this.#read(blob, AS_BUFFER, undefined, 'readAsArrayBuffer')
    }
    readAsBinaryString(blob) {
      required(arguments.length, "readAsBinaryString")
      this.#read(blob, AS_BINARY, undefined, 'readAsBinaryString')
    }
    readAsText(blob, encoding = undefined) {
      required(arguments.length, "readAsText")
      this.#read(blob, AS_TEXT, encoding === undefined ? undefined : String(encoding), 'readAsText')
    }
    readAsDataURL(blob) {
      required(arguments.length, "readAsDataURL")
      this.#read(blob, AS_DATA_URL, undefined, 'readAsDataURL')
    }
    abort() {
      if (!(#state in this)) throw new TypeError('Illegal invocation')
      if (this.#state === EMPTY_STATE || this.#state === DONE) {
        this.#result = null
        return
      }
      this.#state = DONE
      this.#result = null
      this.#generation++
      fireProgress(this, 'abort', 0, 0)
      if (this.#state !== LOADING) fireProgress(this, 'loadend', 0, 0)
    }
    get readyState() { return this.#state }
    get result() { return this.#result }
    get error() { return this.#error }
  }
  const required = (n, what) => {
    if (n < 1) throw new TypeError(`Failed to execute '${what}' on 'FileReader': 1 argument required, but only 0 present.`)
  }
  for (const [name, value] of new SafeArrayIterator([['EMPTY', EMPTY_STATE], ['LOADING', LOADING], ['DONE', DONE]])) {
    ObjectDefineProperty(FileReader, name, { __proto__: null, value, enumerable: true })
    ObjectDefineProperty(FileReader.prototype, name, { __proto__: null, value, enumerable: true })
  }
  for (const name of new SafeArrayIterator(['onloadstart', 'onprogress', 'onload', 'onabort', 'onerror', 'onloadend'])) {
    internals.defineEventHandler(FileReader.prototype, name)
  }
  internals.webidl(FileReader, 'FileReader')

  // --- FileReaderSync: https://w3c.github.io/FileAPI/#FileReaderSync (exposed in dedicated
  // workers, which the runtime's global is): the same packaging, returned at once.
  const syncRead = (reader, blob, kind, label, what, n) => {
    if (!isSyncReader(reader)) throw new TypeError('Illegal invocation')
    if (n < 1) throw new TypeError(`Failed to execute '${what}' on 'FileReaderSync': 1 argument required, but only 0 present.`)
    if (!isBlob(blob)) throw new TypeError(`Failed to execute '${what}' on 'FileReaderSync': parameter 1 is not of type 'Blob'.`)
    return packageData(blobBytes(blob), kind, blobType(blob), label)
  }
  let isSyncReader
  class FileReaderSync {
    #brand = true
    static { isSyncReader = (x) => x !== null && typeof x === 'object' && #brand in x }
    readAsArrayBuffer(blob) { return syncRead(this, blob, AS_BUFFER, undefined, 'readAsArrayBuffer', arguments.length) }
    readAsBinaryString(blob) { return syncRead(this, blob, AS_BINARY, undefined, 'readAsBinaryString', arguments.length) }
    readAsText(blob, encoding = undefined) {
      return syncRead(this, blob, AS_TEXT, encoding === undefined ? undefined : String(encoding), 'readAsText', arguments.length)
    }
    readAsDataURL(blob) { return syncRead(this, blob, AS_DATA_URL, undefined, 'readAsDataURL', arguments.length) }
  }
  internals.webidl(FileReaderSync, 'FileReaderSync')
  define(global, 'ProgressEvent', ProgressEvent)
  define(global, 'FileReader', FileReader)
  define(global, 'FileReaderSync', FileReaderSync)

  // --- blob: URLs: https://w3c.github.io/FileAPI/#url
  // The isolate's blob URL store: URL (without fragment) -> Blob, until revoked (or the runtime
  // ends). Entries live on the heap with their blobs: a script that never revokes is bounded by
  // the memory limit. fetch() resolves them (src/web/fetch/fetch.js, internals.resolveBlobURL).
  const blobURLs = new SafeMap()
  const hex = (n) => StringPrototypePadStart(NumberPrototypeToString(MathFloor(MathRandom() * 2 ** (n * 4)), 16), n, '0')
  // A v4 UUID. Only this isolate can resolve the URL, so it need not be unguessable: MathRandom.
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${NumberPrototypeToString(8 + MathFloor(MathRandom() * 4), 16)}${hex(3)}-${hex(6)}${hex(6)}`
  const withoutFragment = (url) => {
    const i = StringPrototypeIndexOf(url, '#')
    return i === -1 ? url : StringPrototypeSlice(url, 0, i)
  }
  const URL = global.URL
  ObjectDefineProperty(URL, 'createObjectURL', {
    __proto__: null, writable: true, enumerable: true, configurable: true,
    value: function createObjectURL(obj) {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'createObjectURL' on 'URL': 1 argument required, but only 0 present.")
      if (!isBlob(obj)) throw new TypeError("Failed to execute 'createObjectURL' on 'URL': parameter 1 is not of type 'Blob'.")
      // https://w3c.github.io/FileAPI/#unicodeBlobURL: the settings object's origin (opaque,
      // "null", unless the host gave the global a location).
      const url = `blob:${internals.settingsOrigin()}/${uuid()}`
      blobURLs.set(url, obj)
      return url
    },
  })
  ObjectDefineProperty(URL, 'revokeObjectURL', {
    __proto__: null, writable: true, enumerable: true, configurable: true,
    value: function revokeObjectURL(url) {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'revokeObjectURL' on 'URL': 1 argument required, but only 0 present.")
      // Only the exact URL revokes (a fragment or query makes another string).
      const href = internals.parseURL(usv(url))
      if (href !== null) blobURLs.delete(href)
    },
  })
  // https://w3c.github.io/FileAPI/#blob-url-resolve: the Blob of a serialized blob: URL, or undefined.
  internals.resolveBlobURL = (href) => blobURLs.get(withoutFragment(href))
  define(global, 'Blob', Blob)
  define(global, 'File', File)
  define(global, 'FormData', FormData)

  ObjectAssign(internals, {
    bodyUtf8Encode: utf8Encode,
    bodyUtf8Decode: utf8Decode,
    blobBytes,
    blobType,
    isBlob,
    // A Blob over `bytes` (taken, not copied) with `type` normalized as the constructor does.
    blobFromBytes(bytes, type) {
      const b = new Blob(undefined, { __proto__: null, type })
      setBlobBytes(b, bytes)
      return b
    },
    isFile,
    // For customFunctions values (src/wire.js): a Blob's type, a File's name and lastModified,
    // and a File over `bytes` (taken, not copied; also getFile() of src/web/fs/).
    blobType,
    fileName,
    fileLastModified,
    fileFromBytes(bytes, type, name, lastModified) {
      const f = new File(undefined, name, { __proto__: null, type, lastModified })
      setBlobBytes(f, bytes)
      return f
    },
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
