// The `path` global: node:path/posix (https://nodejs.org/api/path.html), so code written for Node
// or for @ricsam/isolate-runtime's path module runs unchanged. `resolve()` starts from the
// runtime's `cwd` option (default '/'), where Node would use process.cwd(). The algorithms follow
// Node's lib/path.js (read, not copied) so that results match it exactly, edge cases included.
(function (global, natives, internals) {
  'use strict'
  const { define } = internals
  const { ObjectGetPrototypeOf, ObjectPrototypeHasOwnProperty, String, StringPrototypeCharCodeAt, StringPrototypeLastIndexOf, StringPrototypeSlice, TypeError } =
    internals.primordials

  const SLASH = 47 // '/'
  const DOT = 46 // '.'
  let cwd = '/'
  internals.perRuntime.push((options) => {
    if (typeof options.cwd === 'string') cwd = options.cwd
  })

  // Node's ERR_INVALID_ARG_TYPE: what the value was, in its wording.
  const received = (value) => {
    if (value === null || value === undefined) return ` Received ${value}`
    if (typeof value === 'function') {
      let name = ''
      try {
        name = String(value.name)
      } catch {}
      return ` Received function ${name}`
    }
    if (typeof value === 'object') {
      let name = ''
      try {
        const proto = ObjectGetPrototypeOf(value)
        const d = proto !== null && ObjectPrototypeHasOwnProperty(proto, 'constructor') ? proto.constructor : undefined
        if (typeof d === 'function' && typeof d.name === 'string') name = d.name
      } catch {}
      return name === '' ? ' Received an instance of Object' : ` Received an instance of ${name}`
    }
    let shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'symbol' ? 'Symbol()' : String(value)
    if (typeof value === 'string') shown = `'${value}'`
    if (shown.length > 28) shown = `${StringPrototypeSlice(shown, 0, 25)}...`
    return ` Received type ${typeof value} (${shown})`
  }
  const invalidArg = (name, expected, value) => {
    const e = new TypeError(`The "${name}" argument must be of type ${expected}.${received(value)}`)
    define(e, 'code', 'ERR_INVALID_ARG_TYPE')
    return e
  }
  const validateString = (value, name) => {
    if (typeof value !== 'string') throw invalidArg(name, 'string', value)
  }

  // Resolves '.' and '..' segments; `allowAboveRoot` keeps leading '..' of a relative path.
  function normalizeString(path, allowAboveRoot) {
    let res = ''
    let lastSegmentLength = 0
    let lastSlash = -1
    let dots = 0
    let code = 0
    for (let i = 0; i <= path.length; ++i) {
      if (i < path.length) code = StringPrototypeCharCodeAt(path, i)
      else if (code === SLASH) break
      else code = SLASH
      if (code === SLASH) {
        if (lastSlash === i - 1 || dots === 1) {
          // An empty segment or '.': nothing to add.
        } else if (dots === 2) {
          if (res.length < 2 || lastSegmentLength !== 2 || StringPrototypeCharCodeAt(res, res.length - 1) !== DOT || StringPrototypeCharCodeAt(res, res.length - 2) !== DOT) {
            if (res.length > 2) {
              const lastSlashIndex = StringPrototypeLastIndexOf(res, '/')
              if (lastSlashIndex === -1) {
                res = ''
                lastSegmentLength = 0
              } else {
                res = StringPrototypeSlice(res, 0, lastSlashIndex)
                lastSegmentLength = res.length - 1 - StringPrototypeLastIndexOf(res, '/')
              }
              lastSlash = i
              dots = 0
              continue
            } else if (res.length !== 0) {
              res = ''
              lastSegmentLength = 0
              lastSlash = i
              dots = 0
              continue
            }
          }
          if (allowAboveRoot) {
            res += res.length > 0 ? '/..' : '..'
            lastSegmentLength = 2
          }
        } else {
          if (res.length > 0) res += `/${StringPrototypeSlice(path, lastSlash + 1, i)}`
          else res = StringPrototypeSlice(path, lastSlash + 1, i)
          lastSegmentLength = i - lastSlash - 1
        }
        lastSlash = i
        dots = 0
      } else if (code === DOT && dots !== -1) {
        ++dots
      } else {
        dots = -1
      }
    }
    return res
  }

  function resolve(...args) {
    let resolvedPath = ''
    let resolvedAbsolute = false
    for (let i = args.length - 1; i >= -1 && !resolvedAbsolute; i--) {
      const path = i >= 0 ? args[i] : cwd
      validateString(path, `paths[${i}]`)
      if (path.length === 0) continue
      resolvedPath = `${path}/${resolvedPath}`
      resolvedAbsolute = StringPrototypeCharCodeAt(path, 0) === SLASH
    }
    resolvedPath = normalizeString(resolvedPath, !resolvedAbsolute)
    if (resolvedAbsolute) return `/${resolvedPath}`
    return resolvedPath.length > 0 ? resolvedPath : '.'
  }

  function normalize(path) {
    validateString(path, 'path')
    if (path.length === 0) return '.'
    const isAbsolute = StringPrototypeCharCodeAt(path, 0) === SLASH
    const trailingSeparator = StringPrototypeCharCodeAt(path, path.length - 1) === SLASH
    path = normalizeString(path, !isAbsolute)
    if (path.length === 0) {
      if (isAbsolute) return '/'
      return trailingSeparator ? './' : '.'
    }
    if (trailingSeparator) path += '/'
    return isAbsolute ? `/${path}` : path
  }

  function isAbsolute(path) {
    validateString(path, 'path')
    return path.length > 0 && StringPrototypeCharCodeAt(path, 0) === SLASH
  }

  function join(...args) {
    if (args.length === 0) return '.'
    let joined
    for (let i = 0; i < args.length; ++i) {
      const arg = args[i]
      validateString(arg, 'path')
      if (arg.length > 0) {
        if (joined === undefined) joined = arg
        else joined += `/${arg}`
      }
    }
    if (joined === undefined) return '.'
    return normalize(joined)
  }

  function relative(from, to) {
    validateString(from, 'from')
    validateString(to, 'to')
    if (from === to) return ''
    from = resolve(from)
    to = resolve(to)
    if (from === to) return ''
    const fromStart = 1
    const fromEnd = from.length
    const fromLen = fromEnd - fromStart
    const toStart = 1
    const toLen = to.length - toStart
    const length = fromLen < toLen ? fromLen : toLen
    let lastCommonSep = -1
    let i = 0
    for (; i < length; i++) {
      const fromCode = StringPrototypeCharCodeAt(from, fromStart + i)
      if (fromCode !== StringPrototypeCharCodeAt(to, toStart + i)) break
      else if (fromCode === SLASH) lastCommonSep = i
    }
    if (i === length) {
      if (toLen > length) {
        // `from` is `to`'s ancestor ('/foo' -> '/foo/bar'), or the root ('/' -> '/foo').
        if (StringPrototypeCharCodeAt(to, toStart + i) === SLASH) return StringPrototypeSlice(to, toStart + i + 1)
        if (i === 0) return StringPrototypeSlice(to, toStart + i)
      } else if (fromLen > length) {
        // `to` is `from`'s ancestor ('/foo/bar' -> '/foo'), or the root ('/foo' -> '/').
        if (StringPrototypeCharCodeAt(from, fromStart + i) === SLASH) lastCommonSep = i
        else if (i === 0) lastCommonSep = 0
      }
    }
    let out = ''
    for (i = fromStart + lastCommonSep + 1; i <= fromEnd; ++i) {
      if (i === fromEnd || StringPrototypeCharCodeAt(from, i) === SLASH) out += out.length === 0 ? '..' : '/..'
    }
    return `${out}${StringPrototypeSlice(to, toStart + lastCommonSep)}`
  }

  function toNamespacedPath(path) {
    return path
  }

  function dirname(path) {
    validateString(path, 'path')
    if (path.length === 0) return '.'
    const hasRoot = StringPrototypeCharCodeAt(path, 0) === SLASH
    let end = -1
    let matchedSlash = true
    for (let i = path.length - 1; i >= 1; --i) {
      if (StringPrototypeCharCodeAt(path, i) === SLASH) {
        if (!matchedSlash) {
          end = i
          break
        }
      } else {
        matchedSlash = false
      }
    }
    if (end === -1) return hasRoot ? '/' : '.'
    if (hasRoot && end === 1) return '//'
    return StringPrototypeSlice(path, 0, end)
  }

  function basename(path, suffix = undefined) {
    if (suffix !== undefined) validateString(suffix, 'suffix')
    validateString(path, 'path')
    let start = 0
    let end = -1
    let matchedSlash = true
    if (suffix !== undefined && suffix.length > 0 && suffix.length <= path.length) {
      if (suffix === path) return ''
      let extIdx = suffix.length - 1
      let firstNonSlashEnd = -1
      for (let i = path.length - 1; i >= 0; --i) {
        const code = StringPrototypeCharCodeAt(path, i)
        if (code === SLASH) {
          if (!matchedSlash) {
            start = i + 1
            break
          }
        } else {
          if (firstNonSlashEnd === -1) {
            matchedSlash = false
            firstNonSlashEnd = i + 1
          }
          if (extIdx >= 0) {
            if (code === StringPrototypeCharCodeAt(suffix, extIdx)) {
              if (--extIdx === -1) end = i
            } else {
              extIdx = -1
              end = firstNonSlashEnd
            }
          }
        }
      }
      if (start === end) end = firstNonSlashEnd
      else if (end === -1) end = path.length
      return StringPrototypeSlice(path, start, end)
    }
    for (let i = path.length - 1; i >= 0; --i) {
      if (StringPrototypeCharCodeAt(path, i) === SLASH) {
        if (!matchedSlash) {
          start = i + 1
          break
        }
      } else if (end === -1) {
        matchedSlash = false
        end = i + 1
      }
    }
    if (end === -1) return ''
    return StringPrototypeSlice(path, start, end)
  }

  // [startPart, startDot, end, preDotState] of the last segment at or after `start`.
  function lastSegment(path, start) {
    let startDot = -1
    let startPart = 0
    let end = -1
    let matchedSlash = true
    // 0: no dot yet; 1: a dot seen before the last one; -1: a non-dot before the last dot.
    let preDotState = 0
    for (let i = path.length - 1; i >= start; --i) {
      const code = StringPrototypeCharCodeAt(path, i)
      if (code === SLASH) {
        if (!matchedSlash) {
          startPart = i + 1
          break
        }
        continue
      }
      if (end === -1) {
        matchedSlash = false
        end = i + 1
      }
      if (code === DOT) {
        if (startDot === -1) startDot = i
        else if (preDotState !== 1) preDotState = 1
      } else if (startDot !== -1) {
        preDotState = -1
      }
    }
    return [startPart, startDot, end, preDotState]
  }
  // No extension: no dot, a leading dot ('.profile'), or '..'.
  const noExtension = (startPart, startDot, end, preDotState) =>
    startDot === -1 || preDotState === 0 || (preDotState === 1 && startDot === end - 1 && startDot === startPart + 1)

  function extname(path) {
    validateString(path, 'path')
    const seg = lastSegment(path, 0)
    const startPart = seg[0]
    const startDot = seg[1]
    const end = seg[2]
    if (end === -1 || noExtension(startPart, startDot, end, seg[3])) return ''
    return StringPrototypeSlice(path, startDot, end)
  }

  function format(pathObject) {
    if (pathObject === null || typeof pathObject !== 'object') throw invalidArg('pathObject', 'object', pathObject)
    const dir = pathObject.dir || pathObject.root
    const ext = pathObject.ext
    const base = pathObject.base || `${pathObject.name || ''}${ext ? `${ext[0] === '.' ? '' : '.'}${ext}` : ''}`
    if (!dir) return base
    return dir === pathObject.root ? `${dir}${base}` : `${dir}/${base}`
  }

  function parse(path) {
    validateString(path, 'path')
    const ret = { root: '', dir: '', base: '', ext: '', name: '' }
    if (path.length === 0) return ret
    const absolute = StringPrototypeCharCodeAt(path, 0) === SLASH
    if (absolute) ret.root = '/'
    const seg = lastSegment(path, absolute ? 1 : 0)
    const startPart = seg[0]
    const startDot = seg[1]
    const end = seg[2]
    if (end !== -1) {
      const start = startPart === 0 && absolute ? 1 : startPart
      if (noExtension(startPart, startDot, end, seg[3])) {
        ret.base = ret.name = StringPrototypeSlice(path, start, end)
      } else {
        ret.name = StringPrototypeSlice(path, start, startDot)
        ret.base = StringPrototypeSlice(path, start, end)
        ret.ext = StringPrototypeSlice(path, startDot, end)
      }
    }
    if (startPart > 0) ret.dir = StringPrototypeSlice(path, 0, startPart - 1)
    else if (absolute) ret.dir = '/'
    return ret
  }

  const path = {
    resolve, normalize, isAbsolute, join, relative, toNamespacedPath, dirname, basename, extname, format, parse,
    sep: '/',
    delimiter: ':',
    win32: null,
    posix: null,
  }
  // As node:path/posix: `posix` is the object itself; there is no win32 flavour inside.
  path.posix = path
  delete path.win32
  define(global, 'path', path)
})
