// The File System Access API (https://fs.spec.whatwg.org/): FileSystemHandle,
// FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemWritableFileStream, and the
// `getDirectory(path)` global of @ricsam/isolate-fs, defined only when the runtime has the `fs`
// option. Nothing here touches a disk: every operation is one async host call to the runtime's
// handler (src/web/fs/host.js on Node's side), which decides what exists.
//
// A handle is (root, path): `root` is the normalized path given to getDirectory(), `path` the
// entry's path below it ('/' for the root itself). Names are checked as the spec's "valid file
// name" (TypeError). A writable hands each chunk to the handler as it is written (no swap file:
// see newWritable).
(function (global, natives, internals) {
  'use strict'
  const { define, webidl, DOMException } = internals
  const {
    ArrayBufferIsView, ArrayPrototypeJoin, ArrayPrototypePop, ArrayPrototypePush, ArrayIsArray,
    DataViewPrototypeGetBuffer, DataViewPrototypeGetByteLength, DataViewPrototypeGetByteOffset,
    Error, MathTrunc, Number, NumberIsFinite, ObjectCreate, ObjectDefineProperty, PromiseReject,
    PromiseResolve, RangeError, SafeArrayIterator, SafeWeakMap, String, StringPrototypeIncludes, StringPrototypeSlice, StringPrototypeSplit,
    StringPrototypeToWellFormed, SymbolAsyncIterator, TypeError, TypedArrayPrototypeGetBuffer,
    TypedArrayPrototypeGetByteLength, TypedArrayPrototypeGetByteOffset, TypedArrayPrototypeGetLength, TypedArrayPrototypeGetSymbolToStringTag,
    Uint8Array, uncurryThis,
  } = internals.primordials
  const { isAnyArrayBuffer, isBlob, blobBytes, bodyUtf8Encode, fileFromBytes, WritableStream } = internals
  // Captured before any user code runs (this script runs into the startup snapshot).
  const getWriter = uncurryThis(WritableStream.prototype.getWriter)
  const WriterProto = global.WritableStreamDefaultWriter.prototype
  const writerWrite = uncurryThis(WriterProto.write)
  const writerRelease = uncurryThis(WriterProto.releaseLock)

  // Paths and names cross to the host; bounded so a script cannot make the host build huge ones.
  const MAX_PATH = 4096
  const MAX_NAME = 255

  let fsIndex = -1 // the runtime's fs host function (src/host/options.rs), -1 without the option
  let limit = 0 // the runtime's memory limit in bytes: no writable grows past it
  internals.perRuntime.push((options) => {
    if (typeof options.fs !== 'number') return
    fsIndex = options.fs
    limit = options.memoryLimitBytes
    define(global, 'getDirectory', getDirectory)
  })

  const KNOWN = {
    __proto__: null,
    NotFoundError: 1, TypeMismatchError: 1, InvalidModificationError: 1, NotAllowedError: 1, InvalidStateError: 1,
    NoModificationAllowedError: 1, QuotaExceededError: 1, NotReadableError: 1, AbortError: 1, SecurityError: 1,
    SyntaxError: 1,
  }
  // The host answers [0, value] or [1, name, message] (src/web/fs/host.js).
  async function call(op, root, path, a, b) {
    const r = await internals.hostAsync(0, fsIndex, [op, root, path, a, b])
    if (!ArrayIsArray(r)) throw new TypeError(`${op}: the host's fs handler answered something that is not an answer`)
    if (r[0] === 0) return r[1]
    const name = String(r[1])
    const message = String(r[2])
    if (KNOWN[name] === 1) throw new DOMException(message, name)
    if (name === 'TypeError') throw new TypeError(message)
    if (name === 'RangeError') throw new RangeError(message)
    throw new Error(message)
  }

  // https://fs.spec.whatwg.org/#valid-file-name (NUL too: no host file system takes it)
  function validName(name, what) {
    name = StringPrototypeToWellFormed(`${name}`)
    if (name === '' || name === '.' || name === '..' || StringPrototypeIncludes(name, '/') ||
        StringPrototypeIncludes(name, '\\') || StringPrototypeIncludes(name, '\0')) {
      throw new TypeError(`${what}: '${name.length > 64 ? StringPrototypeSlice(name, 0, 64) + '…' : name}' is not a valid file name (it must not be empty, '.', '..', or contain '/', '\\' or NUL)`)
    }
    if (name.length > MAX_NAME) throw new TypeError(`${what}: a file name must be at most ${MAX_NAME} characters long (got ${name.length})`)
    return name
  }
  const childPath = (slot, name, what) => {
    const p = slot.path === '/' ? '/' + name : slot.path + '/' + name
    if (p.length + slot.root.length > MAX_PATH) throw new TypeError(`${what}: the path would pass ${MAX_PATH} characters; nest less deeply`)
    return p
  }
  // A WebIDL dictionary member read once (options may be a hostile object with getters).
  const flag = (options, key, what) => {
    if (options === undefined || options === null) return false
    if (typeof options !== 'object' && typeof options !== 'function') throw new TypeError(`${what}: options must be an object`)
    return !!options[key]
  }

  const slots = new SafeWeakMap()
  const slotOf = (h, what) => {
    const s = slots.get(h)
    if (s === undefined) throw new TypeError(`${what}: 'this' is not a FileSystemHandle`)
    return s
  }
  const make = (proto, kind, root, path, name) => {
    const h = ObjectCreate(proto)
    slots.set(h, { __proto__: null, kind, root, path, name })
    return h
  }
  const lengthOf = TypedArrayPrototypeGetLength
  const illegal = () => new TypeError('Illegal constructor')
  // An async method whose synchronous part may throw: the spec rejects instead.
  const rejecting = (f) => function (...args) {
    try {
      return f(this, ...new SafeArrayIterator(args))
    } catch (e) {
      return PromiseReject(e)
    }
  }

  // { data: Uint8Array, type, lastModified } as src/web/fs/host.js makes it.
  async function readFile(s) {
    const r = await call('readFile', s.root, s.path)
    if (r === null || typeof r !== 'object' || !ArrayBufferIsView(r.data) || TypedArrayPrototypeGetSymbolToStringTag(r.data) !== 'Uint8Array') {
      throw new TypeError("getFile: the host's fs handler gave no file data")
    }
    return r
  }

  // https://fs.spec.whatwg.org/#api-filesystemhandle
  class FileSystemHandle {
    constructor() { throw illegal() }
    get kind() { return slotOf(this, 'kind').kind }
    get name() { return slotOf(this, 'name').name }
    isSameEntry(other) {
      try {
        const a = slotOf(this, 'isSameEntry')
        const b = slots.get(other)
        return PromiseResolve(b !== undefined && a.kind === b.kind && a.root === b.root && a.path === b.path)
      } catch (e) {
        return PromiseReject(e)
      }
    }
  }

  // https://fs.spec.whatwg.org/#api-filesystemfilehandle
  class FileSystemFileHandle extends FileSystemHandle {
    constructor() { throw illegal() }
  }
  define(FileSystemFileHandle.prototype, 'getFile', rejecting(async (self) => {
    const s = slotOf(self, 'getFile')
    const r = await readFile(s)
    return fileFromBytes(r.data, r.type, s.name, r.lastModified)
  }))
  define(FileSystemFileHandle.prototype, 'createWritable', rejecting(async (self, options) => {
    const s = slotOf(self, 'createWritable')
    // Without keepExistingData the file starts empty (truncated now, as @ricsam/isolate-fs does:
    // there is no swap file); with it, writes land over the existing bytes.
    const keep = flag(options, 'keepExistingData', 'createWritable')
    await call('getFileHandle', s.root, s.path, false)
    if (!keep) await call('truncateFile', s.root, s.path, 0)
    return newWritable(s)
  }))

  // https://fs.spec.whatwg.org/#api-filesystemdirectoryhandle
  class FileSystemDirectoryHandle extends FileSystemHandle {
    constructor() { throw illegal() }
  }
  const D = FileSystemDirectoryHandle.prototype
  define(D, 'getFileHandle', rejecting(async (self, name, options) => {
    const s = slotOf(self, 'getFileHandle')
    name = validName(name, 'getFileHandle')
    const create = flag(options, 'create', 'getFileHandle')
    const path = childPath(s, name, 'getFileHandle')
    await call('getFileHandle', s.root, path, create)
    return make(FileSystemFileHandle.prototype, 'file', s.root, path, name)
  }))
  define(D, 'getDirectoryHandle', rejecting(async (self, name, options) => {
    const s = slotOf(self, 'getDirectoryHandle')
    name = validName(name, 'getDirectoryHandle')
    const create = flag(options, 'create', 'getDirectoryHandle')
    const path = childPath(s, name, 'getDirectoryHandle')
    await call('getDirectoryHandle', s.root, path, create)
    return make(D, 'directory', s.root, path, name)
  }))
  define(D, 'removeEntry', rejecting(async (self, name, options) => {
    const s = slotOf(self, 'removeEntry')
    name = validName(name, 'removeEntry')
    const recursive = flag(options, 'recursive', 'removeEntry')
    await call('removeEntry', s.root, childPath(s, name, 'removeEntry'), recursive)
  }))
  // https://fs.spec.whatwg.org/#api-filesystemdirectoryhandle-resolve
  define(D, 'resolve', rejecting(async (self, other) => {
    const s = slotOf(self, 'resolve')
    const o = slots.get(other)
    if (o === undefined) throw new TypeError("resolve: the argument is not a FileSystemHandle")
    if (o.root !== s.root) return null
    if (o.path === s.path) return []
    const base = s.path === '/' ? '/' : s.path + '/'
    if (o.path.length <= base.length || StringPrototypeSlice(o.path, 0, base.length) !== base) return null
    return StringPrototypeSplit(StringPrototypeSlice(o.path, base.length), '/')
  }))
  // The directory's entries as the handler lists them when iteration starts (the spec leaves
  // entries added or removed during iteration unspecified).
  async function* iterate(self, what, mode) {
    const s = slotOf(self, what)
    const list = await call('readDirectory', s.root, s.path)
    if (!ArrayIsArray(list)) return
    for (let i = 0; i < list.length; i++) {
      // [name, kind] pairs; the host's handler is the host's code, but a name that could not be
      // a file name here is skipped rather than trusted.
      const e = list[i]
      if (!ArrayIsArray(e) || typeof e[0] !== 'string' || (e[1] !== 'file' && e[1] !== 'directory')) continue
      try {
        validName(e[0], what)
      } catch {
        continue
      }
      const path = s.path === '/' ? '/' + e[0] : s.path + '/' + e[0]
      const h = make(e[1] === 'directory' ? D : FileSystemFileHandle.prototype, e[1], s.root, path, e[0])
      yield mode === 0 ? [e[0], h] : mode === 1 ? e[0] : h
    }
  }
  define(D, 'entries', function entries() { return iterate(this, 'entries', 0) })
  define(D, 'keys', function keys() { return iterate(this, 'keys', 1) })
  define(D, 'values', function values() { return iterate(this, 'values', 2) })
  ObjectDefineProperty(D, SymbolAsyncIterator, { __proto__: null, value: D.entries, writable: true, configurable: true })

  // https://fs.spec.whatwg.org/#api-filesystemwritablefilestream
  const KEY = {}
  const wstate = new SafeWeakMap()
  class FileSystemWritableFileStream extends WritableStream {
    constructor(key, sink) {
      if (key !== KEY) throw illegal()
      super(sink, { __proto__: null, highWaterMark: 1, size: () => 1 })
    }
  }
  const viaWriter = (stream, chunk) => {
    const w = getWriter(stream)
    const p = writerWrite(w, chunk)
    writerRelease(w)
    return p
  }
  const W = FileSystemWritableFileStream.prototype
  define(W, 'write', function write(data) {
    try {
      if (wstate.get(this) === undefined) throw new TypeError("write: 'this' is not a FileSystemWritableFileStream")
      return viaWriter(this, data)
    } catch (e) {
      return PromiseReject(e)
    }
  })
  define(W, 'seek', function seek(position) {
    try {
      if (wstate.get(this) === undefined) throw new TypeError("seek: 'this' is not a FileSystemWritableFileStream")
      return viaWriter(this, { __proto__: null, type: 'seek', position })
    } catch (e) {
      return PromiseReject(e)
    }
  })
  define(W, 'truncate', function truncate(size) {
    try {
      if (wstate.get(this) === undefined) throw new TypeError("truncate: 'this' is not a FileSystemWritableFileStream")
      return viaWriter(this, { __proto__: null, type: 'truncate', size })
    } catch (e) {
      return PromiseReject(e)
    }
  })

  // unsigned long long, as WriteParams reads it; past 2^53 no buffer could hold it anyway.
  const offset = (v, what) => {
    const n = MathTrunc(Number(v))
    if (!NumberIsFinite(n) || n < 0) throw new TypeError(`${what} must be a non-negative number (got ${String(v)})`)
    return n
  }
  // Bytes of a write's data (copied when they cross to the host).
  function bytesOf(data) {
    if (typeof data === 'string') return bodyUtf8Encode(data)
    if (isAnyArrayBuffer(data)) return new Uint8Array(data)
    if (ArrayBufferIsView(data)) {
      if (TypedArrayPrototypeGetSymbolToStringTag(data) !== undefined) {
        return new Uint8Array(TypedArrayPrototypeGetBuffer(data), TypedArrayPrototypeGetByteOffset(data), TypedArrayPrototypeGetByteLength(data))
      }
      return new Uint8Array(DataViewPrototypeGetBuffer(data), DataViewPrototypeGetByteOffset(data), DataViewPrototypeGetByteLength(data))
    }
    if (isBlob(data)) return blobBytes(data)
    return bodyUtf8Encode(StringPrototypeToWellFormed(`${data}`))
  }

  // Each chunk goes to the handler as it is written (writeFile(path, bytes, position)), as
  // @ricsam/isolate-fs does, so a file larger than the memory limit can be written in chunks. The
  // one deviation from https://fs.spec.whatwg.org/#api-filesystemwritablefilestream: there is no
  // swap file, so abort() cannot undo what was already written. The stream's highWaterMark of 1
  // keeps one chunk in flight per writable; its bytes stay referenced here (so charged to the
  // runtime's memory limit) until the handler has written them.
  function newWritable(slot) {
    const st = { __proto__: null, pos: 0 }
    const writeAt = async (bytes) => {
      const n = lengthOf(bytes)
      if (n > limit) {
        throw new DOMException(`write: a chunk of ${n} bytes is more than this runtime's memory limit (${limit} bytes); write it in smaller chunks`, 'QuotaExceededError')
      }
      await call('writeFile', slot.root, slot.path, bytes, st.pos)
      st.pos += n
    }
    // https://fs.spec.whatwg.org/#write-a-chunk
    const sink = {
      __proto__: null,
      write(chunk) {
        const isParams = chunk !== null && typeof chunk === 'object' && !ArrayBufferIsView(chunk) && !isAnyArrayBuffer(chunk) && !isBlob(chunk)
        if (!isParams) return writeAt(bytesOf(chunk))
        const type = chunk.type
        if (type === 'write') {
          const position = chunk.position
          const data = chunk.data
          if (data === undefined || data === null) throw new DOMException('write: WriteParams of type "write" need data', 'SyntaxError')
          const bytes = bytesOf(data)
          if (position !== undefined && position !== null) st.pos = offset(position, 'write: position')
          return writeAt(bytes)
        }
        if (type === 'seek') {
          const position = chunk.position
          if (position === undefined || position === null) throw new DOMException('seek: WriteParams of type "seek" need a position', 'SyntaxError')
          st.pos = offset(position, 'seek: position')
          return
        }
        if (type === 'truncate') {
          const size = chunk.size
          if (size === undefined || size === null) throw new DOMException('truncate: WriteParams of type "truncate" need a size', 'SyntaxError')
          const n = offset(size, 'truncate: size')
          return (async () => {
            await call('truncateFile', slot.root, slot.path, n)
            if (st.pos > n) st.pos = n
          })()
        }
        // Not WriteParams: written as text, as WebIDL's union conversion would.
        return writeAt(bytesOf(chunk))
      },
      // The stream calls close() only after every queued write has settled.
      close() {},
      abort() {},
    }
    const stream = new FileSystemWritableFileStream(KEY, sink)
    wstate.set(stream, st)
    return stream
  }

  // https://github.com/ricsam/isolate (isolate-fs): getDirectory(path) asks the host for the
  // directory `path` (normalized as an absolute POSIX path; '..' stops at '/').
  function getDirectory(path) {
    try {
      path = `${path}`
      if (StringPrototypeIncludes(path, '\0')) throw new TypeError('getDirectory: the path must not contain NUL')
      if (path.length > MAX_PATH) throw new TypeError(`getDirectory: the path must be at most ${MAX_PATH} characters long`)
      const parts = []
      const split = StringPrototypeSplit(StringPrototypeToWellFormed(path), '/')
      for (let i = 0; i < split.length; i++) {
        const p = split[i]
        if (p === '' || p === '.') continue
        if (p === '..') ArrayPrototypePop(parts)
        else ArrayPrototypePush(parts, p)
      }
      const root = '/' + ArrayPrototypeJoin(parts, '/')
      const name = parts.length === 0 ? '' : parts[parts.length - 1]
      return (async () => {
        await call('getDirectory', root, '/')
        return make(D, 'directory', root, '/', name)
      })()
    } catch (e) {
      return PromiseReject(e)
    }
  }

  for (const [cls, name] of new SafeArrayIterator([
    [FileSystemHandle, 'FileSystemHandle'], [FileSystemFileHandle, 'FileSystemFileHandle'],
    [FileSystemDirectoryHandle, 'FileSystemDirectoryHandle'], [FileSystemWritableFileStream, 'FileSystemWritableFileStream'],
  ])) {
    webidl(cls, name)
    define(global, name, cls)
  }
})
