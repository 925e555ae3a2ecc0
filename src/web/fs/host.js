// Node's side of the isolate's File System Access API (src/web/fs/fs.js), run in Node's own context
// (napi_run_script) once per runtime with an `fs` option. It turns the isolate's calls
// (op, root, path, a, b) into calls of the host's handler, in the handler interface of
// @ricsam/isolate-fs (getFileHandle, getDirectoryHandle, removeEntry, readDirectory, readFile,
// writeFile, truncateFile, getFileMetadata), and answers [0, value] or [1, errorName, message].
// What the isolate sends is checked again here: the isolate is hostile.
(function () {
  'use strict'
  // The methods required. truncateFile is optional: without it createWritable() empties a file
  // with writeFile(path, empty) and truncate(n) to another size fails. getFileMetadata is optional:
  // when present it lets getFile() refuse a file too large before reading it.
  const METHODS = ['getFileHandle', 'getDirectoryHandle', 'removeEntry', 'readDirectory', 'readFile', 'writeFile']
  const NAMES = new Set([
    'NotFoundError', 'TypeMismatchError', 'InvalidModificationError', 'NotAllowedError', 'InvalidStateError',
    'NoModificationAllowedError', 'QuotaExceededError', 'NotReadableError', 'AbortError', 'SecurityError',
    'TypeError', 'RangeError', 'SyntaxError',
  ])
  const isHandler = (h) => h !== null && (typeof h === 'object' || typeof h === 'function') && METHODS.every((m) => typeof h[m] === 'function')
  const MAX_PATH = 4096
  const MAX_MESSAGE = 1024

  // Errors of handlers name themselves as @ricsam/isolate-fs's do, '[NotFoundError]message', or
  // by their `name` (a DOMException, a TypeError); anything else arrives as a plain Error.
  const answerError = (e) => {
    let name = 'Error'
    let message = 'the fs handler failed'
    try {
      if (e !== null && typeof e === 'object') {
        message = String(e.message)
        if (typeof e.name === 'string' && NAMES.has(e.name)) name = e.name
      } else {
        message = String(e)
      }
    } catch {}
    const m = /^\[([A-Za-z]+)\]\s*/.exec(message)
    if (m !== null) {
      message = message.slice(m[0].length)
      name = NAMES.has(m[1]) ? m[1] : 'Error'
    }
    if (message.length > MAX_MESSAGE) message = message.slice(0, MAX_MESSAGE) + '…'
    return [1, name, message]
  }
  const fail = (name, message) => Object.assign(new Error(message), { name })

  // A path the isolate sent: absolute, normalized, no '.', '..', empty segment or NUL.
  const checkPath = (p) => {
    if (typeof p !== 'string' || p.length > MAX_PATH || p[0] !== '/' || p.includes('\0') || p.includes('\\')) throw fail('TypeError', 'invalid path')
    if (p === '/') return p
    for (const seg of p.slice(1).split('/')) {
      if (seg === '' || seg === '.' || seg === '..') throw fail('TypeError', 'invalid path')
    }
    return p
  }
  const join = (base, p) => (base === '/' ? p : p === '/' ? base : base + p)

  const bytes = (data, what) => {
    if (data instanceof Uint8Array) return data
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    if (data instanceof ArrayBuffer) return new Uint8Array(data)
    if (typeof data === 'string') return new TextEncoder().encode(data)
    throw fail('TypeError', `${what}: the fs handler's readFile returned no data (give { data: Uint8Array, ... })`)
  }
  const mb = (n) => `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`

  // `fs` is { getDirectory(path) } returning a handler (as in @ricsam/isolate-runtime), or a
  // handler itself, whose directory `path` getDirectory(path) opens. `limit`: the runtime's memory
  // limit in bytes; no file larger than it is read.
  return function createFsHost(fs, limit) {
    let open
    if (fs !== null && typeof fs === 'object' && typeof fs.getDirectory === 'function') {
      // The user's getDirectory decides each root once; a few are kept (an evicted one is asked for
      // again), so a script opening many roots cannot grow this without bound.
      const cache = new Map()
      open = async (root) => {
        let h = cache.get(root)
        if (h === undefined) {
          h = Promise.resolve(fs.getDirectory(root))
          cache.set(root, h)
          if (cache.size > 64) cache.delete(cache.keys().next().value)
          h.catch(() => cache.delete(root))
        }
        const handler = await h
        if (!isHandler(handler)) {
          cache.delete(root)
          throw fail('TypeError', `the fs option's getDirectory('${root}') did not return a handler with ${METHODS.join(', ')}`)
        }
        return { handler, base: '/' }
      }
    } else if (isHandler(fs)) {
      open = async (root) => ({ handler: fs, base: root })
    } else {
      return `fs must be { getDirectory(path) } returning a directory handler, or a directory handler such as createNodeDirectoryHandler(rootDir) (with ${METHODS.join(', ')})`
    }

    return async function fsCall(op, root, path, a, b) {
      try {
        root = checkPath(root)
        path = checkPath(path)
        const { handler, base } = await open(root)
        const at = join(base, path)
        switch (op) {
          case 'getDirectory':
            if (base !== '/') await handler.getDirectoryHandle(at, { create: false })
            return [0, null]
          case 'getFileHandle':
            await handler.getFileHandle(at, { create: a === true })
            return [0, null]
          case 'getDirectoryHandle':
            await handler.getDirectoryHandle(at, { create: a === true })
            return [0, null]
          case 'removeEntry':
            await handler.removeEntry(at, { recursive: a === true })
            return [0, null]
          case 'readDirectory': {
            const list = await handler.readDirectory(at)
            const out = []
            for (const e of list) {
              const kind = e?.kind === 'directory' ? 'directory' : 'file'
              if (typeof e?.name === 'string') out.push([e.name, kind])
            }
            return [0, out]
          }
          case 'readFile': {
            const name = path.slice(path.lastIndexOf('/') + 1)
            // Refused before it is read when the handler can tell its size: copying a file larger
            // than the runtime's memory limit into it could only fail, after holding it here.
            const meta = typeof handler.getFileMetadata === 'function' ? await handler.getFileMetadata(at) : undefined
            const tooBig = (size) =>
              fail('RangeError', `getFile: '${name}' is ${size} bytes, more than this runtime's memory limit (${mb(limit)}) can hold; raise memoryLimitMB or read a smaller file`)
            if (typeof meta?.size === 'number' && meta.size > limit) throw tooBig(meta.size)
            const r = await handler.readFile(at, { maxBytes: limit })
            const data = bytes(r?.data, 'getFile')
            if (data.byteLength > limit) throw tooBig(data.byteLength)
            const type = typeof r.type === 'string' ? r.type : ''
            const lastModified = typeof r.lastModified === 'number' && Number.isFinite(r.lastModified) ? r.lastModified : Date.now()
            return [0, { data, type, lastModified }]
          }
          // One chunk of a writable, at its position (src/web/fs/fs.js keeps one in flight).
          case 'writeFile': {
            if (!(a instanceof Uint8Array)) throw fail('TypeError', 'writeFile: data must be bytes')
            if (!Number.isSafeInteger(b) || b < 0 || b + a.byteLength > Number.MAX_SAFE_INTEGER) {
              throw fail('QuotaExceededError', 'write: the position is past the largest file size this API can address')
            }
            await handler.writeFile(at, a, b)
            return [0, null]
          }
          case 'truncateFile': {
            if (!Number.isSafeInteger(a) || a < 0) throw fail('QuotaExceededError', 'truncate: the size is past the largest file size this API can address')
            if (typeof handler.truncateFile === 'function') await handler.truncateFile(at, a)
            else if (a === 0) await handler.writeFile(at, new Uint8Array(0))
            else throw fail('NotAllowedError', "truncate: the fs handler has no truncateFile method; give it one to truncate files")
            return [0, null]
          }
          default:
            throw fail('TypeError', `unknown fs operation '${String(op).slice(0, 32)}'`)
        }
      } catch (e) {
        return answerError(e)
      }
    }
  }
})
