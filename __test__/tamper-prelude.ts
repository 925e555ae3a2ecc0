// A hostile script's first lines, for the tamper tests: it takes its own copies of what it needs
// (`T`), then replaces the built-ins the platform JS could use. Each replacement, called on
// anything the script did not mark as its own with `T.own(x)`, records a hit in `T.hits` and
// misbehaves (returns an array of length 2**32-1 instead of doing its job); on the script's own
// values it does what the original does, so what the specs let user code see (the iterator of
// a Headers init array, the getters of an init dictionary) stays as without the poison.
// The platform must never reach any of it: after a scenario, `T.hits` must be empty and the
// results the same as without the poison.
//
// The scenario's code uses only `T.*` (T.Response, T.stringify, T.check, …), never globals, no
// array destructuring or spread, and awaits promises instead of returning them from async
// functions (both would call the poisoned functions in the script's own code).
export const PRELUDE = String.raw`
const T = (() => {
  const apply = Reflect.apply
  const uncurry = Function.prototype.bind.bind(Function.prototype.call)
  const push = uncurry(Array.prototype.push)
  const defineProperty = Object.defineProperty
  const getPrototypeOf = Object.getPrototypeOf
  const weakHas = uncurry(WeakSet.prototype.has)
  const weakAdd = uncurry(WeakSet.prototype.add)
  const promiseThen = uncurry(Promise.prototype.then)
  const stringify = JSON.stringify
  const ErrorCtor = Error
  const SymbolCtor = Symbol
  const fromCharCode = String.fromCharCode
  const isArray = Array.isArray
  const hits = []
  const own = new WeakSet()
  const fed = new WeakSet() // what the \`then\` poison resolved with (not asked again)
  const huge = () => {
    const a = []
    a.length = 2 ** 32 - 1
    return a
  }
  const hit = (name) => {
    if (hits.length < 100) push(hits, name)
  }
  const T = {
    __proto__: null,
    hits,
    huge,
    stringify,
    parse: JSON.parse,
    isArray,
    report: globalThis.report,
    defineProperty,
    // Whether the \`then\` getter answers for arrays. Off for fetch() and WebSocket: their natives
    // resolve promises with arrays (see the egress test that turns it on).
    thenArrays: true,
    // Marks x as the script's own: the poison passes its calls through.
    own(x) {
      weakAdd(own, x)
      return x
    },
    check(cond, what) {
      if (!cond) throw new ErrorCtor('check failed: ' + what)
    },
    bytes: (u8) => {
      const out = []
      for (let i = 0; i < u8.length; i++) push(out, u8[i])
      return out
    },
    text: (u8) => {
      let s = ''
      for (let i = 0; i < u8.length; i++) s += fromCharCode(u8[i])
      return s
    },
    join: (strings) => {
      let s = ''
      for (let i = 0; i < strings.length; i++) s += strings[i]
      return s
    },
    // Reads a stream to the end with its reader, as a script would; resolves with the chunks
    // as strings (an array of the script's own, so the \`then\` poison lets it through).
    async readAll(stream) {
      const reader = stream.getReader()
      const chunks = []
      weakAdd(own, chunks)
      for (;;) {
        const r = await reader.read()
        if (r.done) return chunks
        push(chunks, T.text(r.value))
      }
    },
  }
  const captured = ['Headers', 'Request', 'Response', 'ReadableStream', 'TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'Blob',
    'FormData', 'WebSocket', 'AbortController', 'fetch', 'Uint8Array', 'ArrayBuffer', 'Promise', 'Error', 'TypeError', 'String', 'Number',
    'Array', 'Object', 'Symbol', 'Map', 'Set', 'serve', 'Proxy', 'DataView']
  for (let i = 0; i < captured.length; i++) T[captured[i]] = globalThis[captured[i]]

  // Replaces obj[key]: the script's own values pass through, anything else hits.
  const poisonMethod = (obj, key, name, markResult = false) => {
    const original = obj[key]
    defineProperty(obj, key, {
      __proto__: null, configurable: true, writable: true, enumerable: false,
      value: function (...args) {
        if ((typeof this === 'object' || typeof this === 'function') && this !== null && weakHas(own, this)) {
          const result = apply(original, this, args)
          if (markResult) weakAdd(own, result)
          return result
        }
        hit(name)
        return huge()
      },
    })
  }
  const poisonAll = (obj, keys, prefix) => {
    for (let i = 0; i < keys.length; i++) poisonMethod(obj, keys[i], prefix + String(keys[i]))
  }
  T.poison = () => {
    const ArrayIteratorPrototype = getPrototypeOf([][Symbol.iterator]())
    const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype)
    poisonAll(Array.prototype, ['push', 'pop', 'shift', 'unshift', 'map', 'forEach', 'join', 'slice', 'splice', 'concat', 'indexOf',
      'includes', 'filter', 'sort', 'at'], 'Array.prototype.')
    poisonMethod(Array.prototype, Symbol.iterator, 'Array.prototype[Symbol.iterator]', true)
    poisonMethod(ArrayIteratorPrototype, 'next', '%ArrayIteratorPrototype%.next')
    // The class an array method makes its result with.
    defineProperty(Array.prototype, 'constructor', { __proto__: null, configurable: true, writable: true, value: function () { hit('Array.prototype.constructor'); return huge() } })
    poisonAll(TypedArrayPrototype, ['set', 'subarray', 'slice'], '%TypedArray%.prototype.')
    defineProperty(Uint8Array.prototype, 'constructor', { __proto__: null, configurable: true, writable: true, value: function () { hit('Uint8Array.prototype.constructor'); return huge() } })
    poisonAll(ArrayBuffer.prototype, ['slice'], 'ArrayBuffer.prototype.')
    poisonAll(Function.prototype, ['call', 'apply', 'bind'], 'Function.prototype.')
    poisonAll(String.prototype, ['replace', 'replaceAll', 'split', 'slice', 'toLowerCase', 'toUpperCase', 'trim', 'indexOf', 'charCodeAt',
      'toWellFormed', 'startsWith', 'includes', Symbol.iterator], 'String.prototype.')
    poisonAll(RegExp.prototype, ['exec', 'test', Symbol.replace, Symbol.split, Symbol.match], 'RegExp.prototype.')
    poisonAll(Map.prototype, ['get', 'set', 'has', 'delete', 'clear', 'forEach', 'keys', 'values', 'entries', Symbol.iterator], 'Map.prototype.')
    poisonAll(Set.prototype, ['add', 'has', 'delete', 'clear', 'forEach', 'keys', 'values', 'entries', Symbol.iterator], 'Set.prototype.')
    poisonAll(WeakMap.prototype, ['get', 'set', 'has', 'delete'], 'WeakMap.prototype.')
    // then/catch/finally hand 2**32-1-length arrays to the callbacks.
    const promiseMethods = ['then', 'catch', 'finally']
    for (let i = 0; i < promiseMethods.length; i++) {
      const key = promiseMethods[i]
      defineProperty(Promise.prototype, key, {
        __proto__: null, configurable: true, writable: true,
        value: function (onFulfilled, onRejected) {
          hit('Promise.prototype.' + key)
          return promiseThen(this, (v) => typeof onFulfilled === 'function' ? onFulfilled(huge()) : huge(), (e) => typeof onRejected === 'function' ? onRejected(huge()) : huge())
        },
      })
    }
    // Getters and setters on Object.prototype: seen by every read of a missing property and
    // every write of a new one on an ordinary object. \`then\` answers for arrays (which no
    // platform promise resolves with for the script): its function resolves with a huge array.
    // (The members of stream sources and strategies are the streams area's, tested in tamper-a.)
    const accessors = ['then', 'value', 'done', 'get', 'set', 'status', 'statusText', 'headers', 'body', 'type', 'data', 'kind',
      'message', 'method', 'url', 'signal', 'source', 'stream', 'used', 'code', 'reason', 'writable', 'readable', 'duplex', 'redirect']
    for (let i = 0; i < accessors.length; i++) {
      const key = accessors[i]
      defineProperty(Object.prototype, key, {
        __proto__: null, configurable: true,
        get() {
          if (weakHas(own, this)) return undefined
          if (key === 'then') {
            if (!T.thenArrays || !isArray(this) || weakHas(fed, this)) return undefined
            hit('Object.prototype.then (an array)')
            return (resolve) => {
              const a = huge()
              weakAdd(fed, a)
              resolve(a)
            }
          }
          hit('get Object.prototype.' + key)
          return huge()
        },
        set(v) {
          if (weakHas(own, this)) defineProperty(this, key, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true })
          else hit('set Object.prototype.' + key)
        },
      })
    }
    poisonAll(Object, ['defineProperty', 'defineProperties', 'keys', 'entries', 'values', 'assign', 'fromEntries', 'getPrototypeOf',
      'setPrototypeOf', 'getOwnPropertyDescriptor', 'create', 'freeze'], 'Object.')
    poisonAll(Reflect, ['apply', 'construct', 'ownKeys', 'get', 'set', 'getOwnPropertyDescriptor', 'defineProperty'], 'Reflect.')
    poisonAll(JSON, ['parse', 'stringify'], 'JSON.')
    poisonAll(Array, ['from', 'isArray', 'of'], 'Array.')
    poisonAll(Promise, ['resolve', 'reject', 'all', 'race'], 'Promise.')
    poisonAll(ArrayBuffer, ['isView'], 'ArrayBuffer.')
    poisonAll(Number, ['isInteger', 'isFinite', 'isNaN'], 'Number.')
    poisonAll(Math, ['min', 'max', 'floor', 'trunc'], 'Math.')
    // Globals the platform might look up when called, replaced after it was installed.
    const fakeSymbol = { __proto__: null }
    const wellKnown = ['iterator', 'asyncIterator', 'toStringTag', 'hasInstance', 'species', 'toPrimitive']
    for (let i = 0; i < wellKnown.length; i++) {
      const key = wellKnown[i]
      defineProperty(fakeSymbol, key, { __proto__: null, get() { hit('global Symbol.' + key); return SymbolCtor('fake') } })
    }
    globalThis.Symbol = fakeSymbol
    const replaced = ['Headers', 'Request', 'Response', 'ReadableStream', 'WritableStream', 'TransformStream', 'TextEncoder', 'TextDecoder',
      'URL', 'URLSearchParams', 'Blob', 'File', 'FormData', 'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'MessageEvent',
      'CloseEvent', 'DOMException', 'WebSocket', 'Promise', 'Error', 'TypeError', 'RangeError', 'String', 'Number', 'Boolean', 'Array',
      'Object', 'Map', 'Set', 'WeakMap', 'Uint8Array', 'ArrayBuffer', 'DataView', 'Proxy', 'queueMicrotask', 'setTimeout', 'structuredClone',
      'fetch']
    for (let i = 0; i < replaced.length; i++) {
      const name = replaced[i]
      globalThis[name] = function () {
        hit('global ' + name)
        return huge()
      }
    }
    globalThis.crypto = { randomUUID() { hit('crypto.randomUUID'); return huge() }, getRandomValues() { hit('crypto.getRandomValues'); return huge() } }
    globalThis.JSON = { parse() { hit('global JSON.parse'); return huge() }, stringify() { hit('global JSON.stringify'); return huge() } }
    globalThis.Reflect = { apply() { hit('global Reflect.apply'); return huge() } }
  }
  return T
})()
Object.defineProperty(globalThis, '__T', { value: T, configurable: true })
`
