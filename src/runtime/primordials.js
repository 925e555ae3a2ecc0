// Primordials: the intrinsics the platform JS uses, captured before any user code runs (this
// script runs first, into the startup snapshot), so that user code patching built-ins --
// `Promise.prototype.then`, `Array.prototype.push`, `Object.defineProperty`, `Symbol.iterator`,
// `Function.prototype.call`, a setter on `Object.prototype` -- changes nothing in the platform.
// The naming follows Node's and Deno's primordials (read, not copied):
//   Foo                       the constructor or namespace as it was    (Promise, Reflect, Math)
//   FooBar                    a static function, bound to Foo           (ArrayIsArray, PromiseResolve)
//   FooPrototypeBar(self, ...)  a prototype method, `this` as argument    (ArrayPrototypePush)
//   FooPrototypeGetBar(self)  an accessor's getter (and ...SetBar)         (TypedArrayPrototypeGetLength)
//   FooBaz                    a static value                           (SymbolIterator, NumberMAX_SAFE_INTEGER)
// Symbol-keyed members use the symbol's name: ArrayPrototypeSymbolIterator(arr).
// Plus iterator `next`s (ArrayIteratorPrototypeNext), and Safe* classes whose methods and
// iteration cannot be intercepted. Areas take what they use with
// `const { ArrayPrototypePush, SafeMap } = internals.primordials`.
// Rules for platform JS: no method calls on values user code can reach (`x.then(...)`,
// `arr.push(...)`), no `for...of`/spread/array destructuring over arrays that are not
// `SafeArrayIterator`s, descriptors and option bags made with `{ __proto__: null, ... }`.
(function primordials(global, natives, internals) {
  'use strict'
  const P = { __proto__: null }
  const { apply, bind, call } = Function.prototype
  // uncurryThis(fn)(self, ...args) === fn.call(self, ...args), with no lookups at call time.
  const uncurryThis = bind.bind(call)
  const applyBind = bind.bind(apply)
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, freeze, setPrototypeOf } = Object
  const { ownKeys } = Reflect
  P.uncurryThis = uncurryThis
  P.applyBind = applyBind

  // Symbol.iterator -> 'SymbolIterator'; 'max' -> 'Max'.
  const nameOf = (key) => {
    if (typeof key === 'symbol') {
      const d = key.description
      return 'Symbol' + d[7].toUpperCase() + d.slice(8) // 'Symbol.iterator'
    }
    return key[0].toUpperCase() + key.slice(1)
  }
  const wellKnown = (key) => typeof key !== 'symbol' || (key.description ?? '').startsWith('Symbol.')

  const copyStatics = (src, prefix) => {
    for (const key of ownKeys(src)) {
      if (!wellKnown(key) || key === 'prototype' || key === 'name' || key === 'length' || key === 'caller' || key === 'arguments') continue
      const desc = getOwnPropertyDescriptor(src, key)
      const name = prefix + nameOf(key)
      if ('value' in desc) {
        P[name] = typeof desc.value === 'function' ? apply.call(bind, desc.value, [src]) : desc.value
      } else {
        if (desc.get) P[prefix + 'Get' + nameOf(key)] = apply.call(bind, desc.get, [src])
        if (desc.set) P[prefix + 'Set' + nameOf(key)] = apply.call(bind, desc.set, [src])
      }
    }
  }
  const copyPrototype = (src, prefix) => {
    for (const key of ownKeys(src)) {
      if (!wellKnown(key) || key === 'constructor') continue
      const desc = getOwnPropertyDescriptor(src, key)
      if ('value' in desc) {
        if (typeof desc.value === 'function') P[prefix + nameOf(key)] = uncurryThis(desc.value)
      } else {
        if (desc.get) P[prefix + 'Get' + nameOf(key)] = uncurryThis(desc.get)
        if (desc.set) P[prefix + 'Set' + nameOf(key)] = uncurryThis(desc.set)
      }
    }
  }

  // Namespaces: static functions and values only.
  for (const name of ['JSON', 'Math', 'Reflect', 'Atomics']) {
    P[name] = global[name]
    copyStatics(global[name], name)
  }
  // Constructors: statics and prototype.
  const ctors = [
    'AggregateError', 'Array', 'ArrayBuffer', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean',
    'DataView', 'Date', 'Error', 'EvalError', 'FinalizationRegistry', 'Float32Array', 'Float64Array',
    'Function', 'Int16Array', 'Int32Array', 'Int8Array', 'Map', 'Number', 'Object', 'Promise', 'Proxy',
    'RangeError', 'ReferenceError', 'RegExp', 'Set', 'SharedArrayBuffer', 'String', 'Symbol',
    'SyntaxError', 'TypeError', 'URIError', 'Uint16Array', 'Uint32Array', 'Uint8Array',
    'Uint8ClampedArray', 'WeakMap', 'WeakRef', 'WeakSet',
  ]
  for (const name of ctors) {
    const ctor = global[name]
    if (typeof ctor !== 'function') continue
    P[name] = ctor
    copyStatics(ctor, name)
    if (ctor.prototype) copyPrototype(ctor.prototype, name + 'Prototype')
  }
  // %TypedArray%, and the prototypes reachable only through instances.
  const TypedArray = getPrototypeOf(Uint8Array)
  P.TypedArray = TypedArray
  copyStatics(TypedArray, 'TypedArray')
  copyPrototype(TypedArray.prototype, 'TypedArrayPrototype')
  const iteratorOf = (v) => getPrototypeOf(v[Symbol.iterator]())
  const prototypes = {
    ArrayIteratorPrototype: iteratorOf([]),
    MapIteratorPrototype: iteratorOf(new Map()),
    SetIteratorPrototype: iteratorOf(new Set()),
    StringIteratorPrototype: iteratorOf(''),
    RegExpStringIteratorPrototype: getPrototypeOf(/a/g[Symbol.matchAll]('')),
    IteratorPrototype: getPrototypeOf(iteratorOf([])),
    GeneratorPrototype: getPrototypeOf(function* () {}).prototype,
    AsyncIteratorPrototype: getPrototypeOf(getPrototypeOf(async function* () {}).prototype),
    AsyncGeneratorPrototype: getPrototypeOf(async function* () {}).prototype,
    AsyncFunctionPrototype: getPrototypeOf(async function () {}),
  }
  for (const [name, proto] of Object.entries(prototypes)) {
    P[name] = proto
    copyPrototype(proto, name)
  }
  P.globalThis = global
  P.encodeURIComponent = encodeURIComponent
  P.decodeURIComponent = decodeURIComponent
  P.encodeURI = encodeURI
  P.decodeURI = decodeURI
  P.isNaN = isNaN
  P.isFinite = isFinite
  P.parseInt = parseInt
  P.parseFloat = parseFloat
  P.escape = escape
  P.unescape = unescape

  const {
    ArrayIteratorPrototypeNext, MapIteratorPrototypeNext, SetIteratorPrototypeNext, ArrayPrototypeSymbolIterator,
    MapPrototypeEntries, MapPrototypeKeys, MapPrototypeValues, SetPrototypeValues, StringPrototypeSymbolIterator,
    StringIteratorPrototypeNext, ReflectApply, ObjectFreeze,
  } = P
  const rawThen = P.PromisePrototypeThen

  // `then` on a promise the platform made (a native's, or one made with the captured Promise),
  // whatever user code did to Promise.prototype.constructor or Promise[Symbol.species]:
  // Promise.prototype.then asks those for the class of its result (SpeciesConstructor,
  // https://tc39.es/ecma262/#sec-speciesconstructor), which lets user code run inside `then`, see
  // what the handlers return, or hand back a non-promise ("resolve or reject function is not
  // callable"). While both are as they were (checked without reading through an accessor), the
  // plain `then` asks only them. Otherwise, for the length of the call, the promise gets an own
  // `constructor` of undefined (SpeciesConstructor then takes %Promise%), put back as it was
  // before anything else runs. A promise that refuses (frozen, or a non-configurable own
  // `constructor`) gets the plain `then`.
  const {
    defineProperty: ReflectDefineProperty, deleteProperty: ReflectDeleteProperty,
    getOwnPropertyDescriptor: ReflectGetOwnPropertyDescriptor,
  } = Reflect
  const hasOwn = uncurryThis(Object.prototype.hasOwnProperty)
  // Own accessors only (checked with hasOwn first): nothing is looked up along a prototype chain.
  const lookupGetter = uncurryThis(Object.prototype.__lookupGetter__)
  const IntrinsicPromise = P.Promise
  const IntrinsicPromisePrototype = IntrinsicPromise.prototype
  const speciesGetter = getOwnPropertyDescriptor(IntrinsicPromise, Symbol.species).get
  const SymbolSpecies = Symbol.species
  const untampered = (promise) =>
    getPrototypeOf(promise) === IntrinsicPromisePrototype &&
    !hasOwn(promise, 'constructor') &&
    hasOwn(IntrinsicPromisePrototype, 'constructor') &&
    lookupGetter(IntrinsicPromisePrototype, 'constructor') === undefined &&
    IntrinsicPromisePrototype.constructor === IntrinsicPromise &&
    hasOwn(IntrinsicPromise, SymbolSpecies) &&
    lookupGetter(IntrinsicPromise, SymbolSpecies) === speciesGetter
  const NO_SPECIES = freeze({ __proto__: null, value: undefined, writable: true, enumerable: false, configurable: true })
  const safeThen = (promise, onFulfilled, onRejected) => {
    if (typeof promise !== 'object' || promise === null || untampered(promise)) return rawThen(promise, onFulfilled, onRejected)
    const own = ReflectGetOwnPropertyDescriptor(promise, 'constructor')
    if (own !== undefined) {
      // A descriptor inherits from Object.prototype: no user accessor may add `get`/`set` to it.
      setPrototypeOf(own, null)
      if (!own.configurable) return rawThen(promise, onFulfilled, onRejected)
    }
    if (!ReflectDefineProperty(promise, 'constructor', NO_SPECIES)) return rawThen(promise, onFulfilled, onRejected)
    try {
      return rawThen(promise, onFulfilled, onRejected)
    } finally {
      if (own === undefined) ReflectDeleteProperty(promise, 'constructor')
      else ReflectDefineProperty(promise, 'constructor', own)
    }
  }
  P.PromisePrototypeThen = safeThen
  P.SafePromisePrototypeThen = safeThen
  const PromisePrototypeThen = safeThen

  // An iterator over an iterator of `source` that ignores every user patch of `next`.
  const makeSafeIterator = (factory, next, name) => {
    class SafeIterator {
      #it
      constructor(iterable) {
        this.#it = factory(iterable)
      }
      next() {
        return next(this.#it)
      }
      [Symbol.iterator]() {
        return this
      }
    }
    freeze(setPrototypeOf(SafeIterator.prototype, null))
    defineProperty(SafeIterator, 'name', { __proto__: null, value: name })
    return freeze(SafeIterator)
  }
  // `for (const x of new SafeArrayIterator(arr))`, `[...new SafeArrayIterator(arr)]`,
  // `f(...new SafeArrayIterator(args))`.
  P.SafeArrayIterator = makeSafeIterator(ArrayPrototypeSymbolIterator, ArrayIteratorPrototypeNext, 'SafeArrayIterator')
  P.SafeStringIterator = makeSafeIterator(StringPrototypeSymbolIterator, StringIteratorPrototypeNext, 'SafeStringIterator')

  // Safe collections: their own copies of the methods (Map.prototype.set patched changes nothing),
  // iterators whose `next` is the captured one, and no inherited prototype (no user getters).
  const makeSafe = (unsafe, safe, iterators) => {
    for (const key of ownKeys(unsafe.prototype)) {
      if (key === 'constructor') continue
      if (!getOwnPropertyDescriptor(safe.prototype, key)) {
        defineProperty(safe.prototype, key, { __proto__: null, ...getOwnPropertyDescriptor(unsafe.prototype, key) })
      }
    }
    for (const [key, make, next] of iterators) {
      const Iter = makeSafeIterator(make, next, `Safe${unsafe.name}Iterator`)
      defineProperty(safe.prototype, key, { __proto__: null, value: function () { return new Iter(this) }, writable: true, configurable: true })
    }
    // Species lookups (RegExp's split, Promise's then) find the safe class itself.
    defineProperty(safe, Symbol.species, { __proto__: null, get() { return safe }, configurable: false })
    freeze(safe.prototype)
    return freeze(safe)
  }
  P.SafeMap = makeSafe(Map, class SafeMap extends Map {
    constructor(entries) {
      super(entries)
    }
  }, [
    [Symbol.iterator, MapPrototypeEntries, MapIteratorPrototypeNext],
    ['entries', MapPrototypeEntries, MapIteratorPrototypeNext],
    ['keys', MapPrototypeKeys, MapIteratorPrototypeNext],
    ['values', MapPrototypeValues, MapIteratorPrototypeNext],
  ])
  P.SafeSet = makeSafe(Set, class SafeSet extends Set {
    constructor(values) {
      super(values)
    }
  }, [
    [Symbol.iterator, SetPrototypeValues, SetIteratorPrototypeNext],
    ['values', SetPrototypeValues, SetIteratorPrototypeNext],
    ['keys', SetPrototypeValues, SetIteratorPrototypeNext],
  ])
  P.SafeWeakMap = makeSafe(WeakMap, class SafeWeakMap extends WeakMap {
    constructor(entries) {
      super(entries)
    }
  }, [])
  P.SafeWeakSet = makeSafe(WeakSet, class SafeWeakSet extends WeakSet {
    constructor(values) {
      super(values)
    }
  }, [])
  P.SafeWeakRef = makeSafe(WeakRef, class SafeWeakRef extends WeakRef {
    constructor(target) {
      super(target)
    }
  }, [])
  P.SafeFinalizationRegistry = makeSafe(FinalizationRegistry, class SafeFinalizationRegistry extends FinalizationRegistry {
    constructor(cleanup) {
      super(cleanup)
    }
  }, [])
  // RegExp methods look up `exec`, `flags`, `lastIndex`... on the regexp: a SafeRegExp carries its
  // own copies, so `RegExp.prototype.exec = ...` leaves `RegExpPrototypeSymbolReplace(re, s, r)` alone.
  P.SafeRegExp = makeSafe(RegExp, class SafeRegExp extends RegExp {
    constructor(pattern, flags) {
      super(pattern, flags)
    }
  }, [])

  // Array copies without @@species (slice/splice/map read a patchable `constructor`).
  const { ArrayPrototypePush: push } = P
  P.SafeArrayCopy = (array, start = 0, end = array.length) => {
    const out = []
    for (let i = start; i < end; i++) push(out, array[i])
    return out
  }

  // Promise helpers that never call a user-patchable `then` (promises made by the platform are
  // intrinsic; `PromiseResolve` adopts user thenables exactly as the spec says).
  const { Promise: PromiseCtor, PromiseReject } = P
  const PromisePrototype = PromiseCtor.prototype
  // Promise.resolve(p) reads p.constructor (patchable on Promise.prototype): our own promises are
  // taken as they are.
  const PromiseResolve = (v) =>
    typeof v === 'object' && v !== null && getPrototypeOf(v) === PromisePrototype ? v : P.PromiseResolve(v)
  P.SafePromiseAll = (values) =>
    new PromiseCtor((resolve, reject) => {
      const n = values.length
      const out = []
      if (n === 0) return resolve(out)
      let left = n
      for (let i = 0; i < n; i++) {
        PromisePrototypeThen(PromiseResolve(values[i]), (v) => {
          out[i] = v
          if (--left === 0) resolve(out)
        }, reject)
      }
    })
  // Waits for all, fulfils with undefined: no array is resolved into the promise, so no `then`
  // is looked up on it (an accessor on Object.prototype sees nothing).
  P.SafePromiseAllReturnVoid = (values) =>
    new PromiseCtor((resolve, reject) => {
      let left = values.length
      if (left === 0) return resolve()
      for (let i = 0; i < values.length; i++) {
        PromisePrototypeThen(PromiseResolve(values[i]), () => {
          if (--left === 0) resolve()
        }, reject)
      }
    })
  // Handlers here return nothing: a handler returning a promise would resolve the derived
  // promise with it, which looks up that promise's (patchable) then.
  P.SafePromisePrototypeFinally = (promise, onFinally) =>
    new PromiseCtor((resolve, reject) => {
      const after = (settle) => {
        let done
        try {
          done = PromiseResolve(onFinally())
        } catch (e) {
          return reject(e)
        }
        PromisePrototypeThen(done, settle, reject)
      }
      PromisePrototypeThen(promise, (v) => { after(() => resolve(v)) }, (e) => { after(() => reject(e)) })
    })
  // Marks a promise handled (no "Uncaught (in promise)" report).
  P.PromisePrototypeMarkHandled = (promise) => {
    PromisePrototypeThen(promise, undefined, () => {})
  }
  P.PromiseRejectHandled = (reason) => {
    const p = PromiseReject(reason)
    PromisePrototypeThen(p, undefined, () => {})
    return p
  }
  P.ReflectApply = ReflectApply

  internals.primordials = ObjectFreeze(P)
})
