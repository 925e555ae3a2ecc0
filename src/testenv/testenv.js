// The test environment: Jest/Vitest-style globals (describe/it/test, hooks, expect, mocks) and the
// runner behind the host's `runtime.testEnvironment`. Its code is in the snapshot for every
// runtime, but the globals are defined only in runtimes created with `testEnvironment`
// (`internals.perRuntime`, which gets the runtime's options).
//
// Test code runs in the same realm as the framework and may patch any built-in: everything here
// uses the captured primordials, internal records have no prototype, arrays the framework fills
// are filled with defineProperty (an index setter on Array.prototype sees nothing), and the runner
// is a generator driven with the captured `then` (no `await`, no `yield*`, no iteration protocol).
// What the framework reports crosses to the host as structured-clone values of own data
// properties. Messages follow Vitest's wording (its chai-based `expect`), values in headlines are
// shown inline and truncated like Vitest's, and deep-equality failures carry a
// `- Expected / + Received` line diff of the pretty-printed values.
(function testenv(global, natives, internals) {
  'use strict'
  const {
    ArrayBufferPrototypeGetByteLength, ArrayIsArray, ArrayPrototypeJoin, ArrayPrototypeSort, BigIntPrototypeValueOf,
    BooleanPrototypeValueOf, DataViewPrototypeGetBuffer, DataViewPrototypeGetByteLength, DataViewPrototypeGetUint8,
    DatePrototypeGetTime, DatePrototypeToISOString, Error, FunctionPrototypeToString, GeneratorPrototypeNext,
    GeneratorPrototypeThrow, Int32Array, MapIteratorPrototypeNext, MapPrototypeEntries, MapPrototypeGetSize, MathAbs,
    MathPow, MathRound, MathTrunc, NumberIsInteger, NumberIsNaN, NumberPrototypeValueOf, ObjectDefineProperty,
    ObjectGetOwnPropertyDescriptor, ObjectGetOwnPropertySymbols, ObjectGetPrototypeOf, ObjectIs, ObjectKeys,
    ObjectPrototypeHasOwnProperty, ObjectPrototypePropertyIsEnumerable, Promise, PromisePrototypeThen, PromiseReject,
    PromiseResolve, RangeError, ReflectApply, ReflectHas, RegExpPrototypeExec, RegExpPrototypeGetFlags,
    RegExpPrototypeGetSource, SafeMap, SafeSet, SafeWeakMap, SetIteratorPrototypeNext, SetPrototypeGetSize,
    SetPrototypeValues, String, StringPrototypeIncludes, StringPrototypeSlice, StringPrototypeSplit,
    StringPrototypeTrim, StringPrototypeValueOf, SymbolFor, SymbolPrototypeToString, TypeError,
    TypedArrayPrototypeGetLength, TypedArrayPrototypeGetSymbolToStringTag, Uint8Array,
  } = internals.primordials
  const RegExpPrototype = ObjectGetPrototypeOf(/a/)
  const ErrorPrototype = Error.prototype
  const PromisePrototype = Promise.prototype
  // The platform's timers, taken before user code can replace the globals.
  const setTimer = global.setTimeout
  const clearTimer = global.clearTimeout
  const now = internals.now

  // ---------------------------------------------------------------------------------------------
  // Small safe helpers.

  // Appends as a data property: no setter of Array.prototype or Object.prototype runs.
  const append = (arr, v) => {
    ObjectDefineProperty(arr, arr.length, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true })
  }
  // Defines a field of a record that crosses to the host.
  const put = (obj, key, v) => {
    ObjectDefineProperty(obj, key, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true })
  }
  const copy = (arr) => {
    const out = []
    for (let i = 0; i < arr.length; i++) append(out, arr[i])
    return out
  }
  const join = (arr, sep) => ArrayPrototypeJoin(copy(arr), sep)
  const define = (obj, name, value) =>
    ObjectDefineProperty(obj, name, { __proto__: null, value, writable: true, configurable: true, enumerable: false })
  const isObjectLike = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function'
  // An own data property's value, or undefined: reads no getter and nothing inherited.
  const ownValue = (obj, key) => {
    let d
    try {
      d = ObjectGetOwnPropertyDescriptor(obj, key)
    } catch {
      return undefined
    }
    return d !== undefined && ObjectPrototypeHasOwnProperty(d, 'value') ? d.value : undefined
  }
  // obj[key] for user values, which may run a getter or a proxy trap; a throw reads as `fallback`.
  const read = (obj, key, fallback) => {
    try {
      return obj[key]
    } catch {
      return fallback
    }
  }
  const brand = (getter) => (v) => {
    if (!isObjectLike(v)) return false
    try {
      getter(v)
      return true
    } catch {
      return false
    }
  }
  const isDate = brand(DatePrototypeGetTime)
  const isMap = brand(MapPrototypeGetSize)
  const isSet = brand(SetPrototypeGetSize)
  const isArrayBuffer = brand(ArrayBufferPrototypeGetByteLength)
  const isDataView = brand(DataViewPrototypeGetBuffer)
  const isRegExpBrand = brand(RegExpPrototypeGetSource)
  const isRegExp = (v) => v !== RegExpPrototype && isRegExpBrand(v)
  const isNumberObject = brand(NumberPrototypeValueOf)
  const isStringObject = brand(StringPrototypeValueOf)
  const isBooleanObject = brand(BooleanPrototypeValueOf)
  const isBigIntObject = brand(BigIntPrototypeValueOf)
  const typedArrayKind = (v) => (isObjectLike(v) ? TypedArrayPrototypeGetSymbolToStringTag(v) : undefined)
  const protoChainHas = (v, proto) => {
    let p = v
    for (let i = 0; i < 1000; i++) {
      try {
        p = ObjectGetPrototypeOf(p)
      } catch {
        return false
      }
      if (p === null) return false
      if (p === proto) return true
    }
    return false
  }
  const isError = (v) => isObjectLike(v) && protoChainHas(v, ErrorPrototype)
  const isIntrinsicPromise = (v) => {
    if (typeof v !== 'object' || v === null) return false
    try {
      return ObjectGetPrototypeOf(v) === PromisePrototype
    } catch {
      return false
    }
  }
  const functionName = (f) => {
    const n = ownValue(f, 'name')
    return typeof n === 'string' ? n : ''
  }
  // The constructor name of an instance, from its prototype's own `constructor` (no getter runs).
  const constructorName = (v) => {
    let proto
    try {
      proto = ObjectGetPrototypeOf(v)
    } catch {
      return ''
    }
    if (proto === null) return ''
    const ctor = ownValue(proto, 'constructor')
    return typeof ctor === 'function' ? functionName(ctor) : ''
  }
  // A string from a user value: strings as they are, anything else as `fallback`.
  const str = (v, fallback = '') => (typeof v === 'string' ? v : fallback)
  const MAX_TEXT = 65536
  const clip = (s) => (s.length > MAX_TEXT ? StringPrototypeSlice(s, 0, MAX_TEXT) + '\u2026' : s)
  const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/
  const isIdentifier = (s) => RegExpPrototypeExec(IDENT, s) !== null
  const ordinal = (n) => {
    const tens = n % 100
    const ones = n % 10
    if (tens >= 11 && tens <= 13) return n + 'th'
    return n + (ones === 1 ? 'st' : ones === 2 ? 'nd' : ones === 3 ? 'rd' : 'th')
  }
  const numberText = (n) => (ObjectIs(n, -0) ? '-0' : '' + n)
  const symbolText = (s) => {
    try {
      return SymbolPrototypeToString(s)
    } catch {
      return 'Symbol()'
    }
  }
  const sortStrings = (arr) => {
    const out = copy(arr)
    ArrayPrototypeSort(out, (a, b) => (a < b ? -1 : a > b ? 1 : 0))
    return out
  }
  // Own enumerable string keys (sorted for display when asked), then own enumerable symbols.
  const ownKeys = (v, sorted) => {
    let keys
    let symbols
    try {
      keys = ObjectKeys(v)
      symbols = ObjectGetOwnPropertySymbols(v)
    } catch {
      return []
    }
    const out = sorted ? sortStrings(keys) : copy(keys)
    for (let i = 0; i < symbols.length; i++) {
      let enumerable = false
      try {
        enumerable = ObjectPrototypePropertyIsEnumerable(v, symbols[i])
      } catch {}
      if (enumerable) append(out, symbols[i])
    }
    return out
  }
  const mapEntries = (m) => {
    const out = []
    const it = MapPrototypeEntries(m)
    for (let step = MapIteratorPrototypeNext(it); !step.done; step = MapIteratorPrototypeNext(it)) append(out, step.value)
    return out
  }
  const setValues = (s) => {
    const out = []
    const it = SetPrototypeValues(s)
    for (let step = SetIteratorPrototypeNext(it); !step.done; step = SetIteratorPrototypeNext(it)) append(out, step.value)
    return out
  }
  // The bytes of an ArrayBuffer or a DataView (a copy for the latter).
  const bytesOf = (v) => {
    if (isArrayBuffer(v)) return new Uint8Array(v)
    let n = 0
    try {
      n = DataViewPrototypeGetByteLength(v)
    } catch {}
    const view = new Uint8Array(n)
    for (let i = 0; i < n; i++) view[i] = DataViewPrototypeGetUint8(v, i)
    return view
  }

  // ---------------------------------------------------------------------------------------------
  // Asymmetric matchers: expect.any(Number), expect.objectContaining({...}), ...

  const asymmetric = new SafeWeakMap() // matcher object -> { kind, sample, inverse }
  class AsymmetricMatcher {
    constructor(kind, sample, inverse) {
      asymmetric.set(this, { __proto__: null, kind, sample, inverse })
    }
    asymmetricMatch(other) {
      const m = asymmetric.get(this)
      return m === undefined ? false : matchAsymmetric(m, other)
    }
    toString() {
      const m = asymmetric.get(this)
      return m === undefined ? 'AsymmetricMatcher' : asymmetricName(m)
    }
  }
  define(AsymmetricMatcher.prototype, '$$typeof', SymbolFor('jest.asymmetricMatcher'))
  const asymmetricName = (m) => {
    const not = m.inverse ? 'Not' : ''
    switch (m.kind) {
      case 'any':
        return 'Any'
      case 'anything':
        return 'Anything'
      case 'objectContaining':
        return 'Object' + not + 'Containing'
      case 'arrayContaining':
        return 'Array' + not + 'Containing'
      case 'stringContaining':
        return 'String' + not + 'Containing'
      case 'stringMatching':
        return 'String' + not + 'Matching'
      case 'closeTo':
        return 'Number' + not + 'CloseTo'
    }
    return 'AsymmetricMatcher'
  }
  const anyMatches = (ctor, other) => {
    if (ctor === String) return typeof other === 'string' || isStringObject(other)
    if (ctor === internals.primordials.Number) return typeof other === 'number' || isNumberObject(other)
    if (ctor === internals.primordials.Function) return typeof other === 'function'
    if (ctor === internals.primordials.Boolean) return typeof other === 'boolean' || isBooleanObject(other)
    if (ctor === internals.primordials.BigInt) return typeof other === 'bigint' || isBigIntObject(other)
    if (ctor === internals.primordials.Symbol) return typeof other === 'symbol'
    if (ctor === internals.primordials.Object) return typeof other === 'object' && other !== null
    if (!isObjectLike(other)) return false
    try {
      return other instanceof ctor
    } catch {
      return false
    }
  }
  function matchAsymmetric(m, other) {
    let pass
    switch (m.kind) {
      case 'any':
        return anyMatches(m.sample, other)
      case 'anything':
        return other !== null && other !== undefined
      case 'objectContaining': {
        if (!isObjectLike(other)) {
          pass = false
          break
        }
        pass = true
        const keys = ownKeys(m.sample, false)
        for (let i = 0; i < keys.length && pass; i++) {
          const k = keys[i]
          let has = false
          try {
            has = ReflectHas(other, k)
          } catch {}
          pass = has && equals(read(m.sample, k), read(other, k), false)
        }
        break
      }
      case 'arrayContaining': {
        const sample = m.sample
        if (sample.length === 0) {
          pass = true
          break
        }
        if (!ArrayIsArray(other)) {
          pass = false
          break
        }
        pass = true
        for (let i = 0; i < sample.length && pass; i++) {
          let found = false
          for (let j = 0; j < other.length && !found; j++) found = equals(sample[i], read(other, j), false)
          pass = found
        }
        break
      }
      case 'stringContaining':
        pass = typeof other === 'string' && StringPrototypeIncludes(other, m.sample)
        break
      case 'stringMatching':
        pass = typeof other === 'string' && regexpTest(m.sample, other)
        break
      case 'closeTo':
        pass = typeof other === 'number' && closeTo(other, m.sample[0], m.sample[1]).pass
        break
      default:
        pass = false
    }
    return m.inverse ? !pass : pass
  }
  const isAsymmetric = (v) => {
    if (!isObjectLike(v)) return false
    if (asymmetric.has(v)) return true
    // A user-made asymmetric matcher (Jest's protocol): an own or class method asymmetricMatch.
    const proto = (() => {
      try {
        return ObjectGetPrototypeOf(v)
      } catch {
        return null
      }
    })()
    const m = ownValue(v, 'asymmetricMatch') ?? (proto !== null && proto !== internals.primordials.Object.prototype ? ownValue(proto, 'asymmetricMatch') : undefined)
    return typeof m === 'function'
  }
  const asymmetricMatch = (matcher, other) => {
    const m = asymmetric.get(matcher)
    if (m !== undefined) return matchAsymmetric(m, other)
    return !!ReflectApply(read(matcher, 'asymmetricMatch'), matcher, [other])
  }
  const regexpTest = (re, s) => {
    const last = re.lastIndex
    try {
      re.lastIndex = 0
      return RegExpPrototypeExec(re, s) !== null
    } finally {
      re.lastIndex = last
    }
  }
  const closeTo = (received, expected, digits) => {
    const expectedDiff = MathPow(10, -digits) / 2
    if (received === Infinity && expected === Infinity) return { __proto__: null, pass: true, receivedDiff: 0, expectedDiff }
    if (received === -Infinity && expected === -Infinity) return { __proto__: null, pass: true, receivedDiff: 0, expectedDiff }
    const receivedDiff = MathAbs(expected - received)
    return { __proto__: null, pass: receivedDiff < expectedDiff, receivedDiff, expectedDiff }
  }

  // ---------------------------------------------------------------------------------------------
  // Deep equality, as Jest's `equals`: Object.is for primitives, recursion through own enumerable
  // keys (undefined-valued keys ignored unless strict), Map/Set/iterables by content, Date by
  // time, RegExp by source and flags, typed arrays and buffers by bytes, errors by name, message
  // and cause, asymmetric matchers on either side. `strict` (toStrictEqual) also compares
  // prototypes, undefined properties and array sparseness.

  function equals(a, b, strict) {
    return eq(a, b, strict, [], [])
  }

  function eq(a, b, strict, aStack, bStack) {
    const aAsym = isAsymmetric(a)
    const bAsym = isAsymmetric(b)
    if (aAsym && !bAsym) return asymmetricMatch(a, b)
    if (bAsym && !aAsym) return asymmetricMatch(b, a)
    if (ObjectIs(a, b)) return true
    if (!isObjectLike(a) || !isObjectLike(b)) {
      // A primitive and its wrapper object are not equal; two primitives already compared.
      return false
    }
    if (typeof a === 'function' || typeof b === 'function') return false
    // Boxed primitives compare by value.
    if (isNumberObject(a) || isNumberObject(b)) return isNumberObject(a) && isNumberObject(b) && ObjectIs(NumberPrototypeValueOf(a), NumberPrototypeValueOf(b))
    if (isStringObject(a) || isStringObject(b)) return isStringObject(a) && isStringObject(b) && StringPrototypeValueOf(a) === StringPrototypeValueOf(b)
    if (isBooleanObject(a) || isBooleanObject(b)) return isBooleanObject(a) && isBooleanObject(b) && BooleanPrototypeValueOf(a) === BooleanPrototypeValueOf(b)
    if (isDate(a) || isDate(b)) {
      if (!isDate(a) || !isDate(b)) return false
      const ta = DatePrototypeGetTime(a)
      const tb = DatePrototypeGetTime(b)
      return ta === tb || (NumberIsNaN(ta) && NumberIsNaN(tb))
    }
    if (isRegExp(a) || isRegExp(b)) {
      return isRegExp(a) && isRegExp(b) && RegExpPrototypeGetSource(a) === RegExpPrototypeGetSource(b) && RegExpPrototypeGetFlags(a) === RegExpPrototypeGetFlags(b)
    }
    if (strict) {
      let pa, pb
      try {
        pa = ObjectGetPrototypeOf(a)
        pb = ObjectGetPrototypeOf(b)
      } catch {
        return false
      }
      if (pa !== pb && !(ArrayIsArray(a) && ArrayIsArray(b))) return false
    }
    // Cycles: a pair already being compared is taken as equal (Jest does the same).
    for (let i = aStack.length - 1; i >= 0; i--) {
      if (aStack[i] === a) return bStack[i] === b
    }
    append(aStack, a)
    append(bStack, b)
    try {
      return eqObjects(a, b, strict, aStack, bStack)
    } finally {
      aStack.length--
      bStack.length--
    }
  }

  function eqObjects(a, b, strict, aStack, bStack) {
    if (isError(a) || isError(b)) {
      if (!isError(a) || !isError(b)) return false
      if (str(read(a, 'name')) !== str(read(b, 'name')) || str(read(a, 'message')) !== str(read(b, 'message'))) return false
      if (strict && ObjectGetPrototypeOf(a) !== ObjectGetPrototypeOf(b)) return false
      const ca = ownValue(a, 'cause')
      const cb = ownValue(b, 'cause')
      if ((ca !== undefined || cb !== undefined) && !eq(ca, cb, strict, aStack, bStack)) return false
      return eqKeys(a, b, strict, aStack, bStack)
    }
    const ka = typedArrayKind(a)
    const kb = typedArrayKind(b)
    if (ka !== undefined || kb !== undefined) {
      if (ka !== kb) return false
      const n = TypedArrayPrototypeGetLength(a)
      if (n !== TypedArrayPrototypeGetLength(b)) return false
      for (let i = 0; i < n; i++) if (!ObjectIs(a[i], b[i])) return false
      return true
    }
    if (isArrayBuffer(a) || isArrayBuffer(b) || isDataView(a) || isDataView(b)) {
      if (isArrayBuffer(a) !== isArrayBuffer(b) || isDataView(a) !== isDataView(b)) return false
      const x = bytesOf(a)
      const y = bytesOf(b)
      if (x.length !== y.length) return false
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
      return true
    }
    if (isMap(a) || isMap(b)) {
      if (!isMap(a) || !isMap(b)) return false
      if (MapPrototypeGetSize(a) !== MapPrototypeGetSize(b)) return false
      const ea = mapEntries(a)
      const eb = mapEntries(b)
      const used = []
      for (let i = 0; i < ea.length; i++) {
        let found = false
        for (let j = 0; j < eb.length && !found; j++) {
          if (used[j] === true) continue
          if (eq(ea[i][0], eb[j][0], strict, aStack, bStack) && eq(ea[i][1], eb[j][1], strict, aStack, bStack)) {
            found = true
            used[j] = true
          }
        }
        if (!found) return false
      }
      return true
    }
    if (isSet(a) || isSet(b)) {
      if (!isSet(a) || !isSet(b)) return false
      if (SetPrototypeGetSize(a) !== SetPrototypeGetSize(b)) return false
      const va = setValues(a)
      const vb = setValues(b)
      const used = []
      for (let i = 0; i < va.length; i++) {
        let found = false
        for (let j = 0; j < vb.length && !found; j++) {
          if (used[j] === true) continue
          if (eq(va[i], vb[j], strict, aStack, bStack)) {
            found = true
            used[j] = true
          }
        }
        if (!found) return false
      }
      return true
    }
    const arrA = ArrayIsArray(a)
    if (arrA !== ArrayIsArray(b)) return false
    if (arrA) {
      if (a.length !== b.length) return false
      for (let i = 0; i < a.length; i++) {
        if (strict) {
          const ha = ObjectPrototypeHasOwnProperty(a, i)
          if (ha !== ObjectPrototypeHasOwnProperty(b, i)) return false
        }
        if (!eq(read(a, i), read(b, i), strict, aStack, bStack)) return false
      }
      // Non-index own properties count too.
      return eqKeys(a, b, strict, aStack, bStack, true)
    }
    return eqKeys(a, b, strict, aStack, bStack)
  }

  // Own enumerable keys (and symbols): undefined-valued ones are ignored unless strict.
  function eqKeys(a, b, strict, aStack, bStack, skipIndices) {
    const keysOf = (v) => {
      const all = ownKeys(v, false)
      const out = []
      for (let i = 0; i < all.length; i++) {
        const k = all[i]
        if (skipIndices && typeof k === 'string' && isIndex(k)) continue
        if (!strict && read(v, k) === undefined) continue
        append(out, k)
      }
      return out
    }
    const ka = keysOf(a)
    const kb = keysOf(b)
    if (ka.length !== kb.length) return false
    for (let i = 0; i < ka.length; i++) {
      const k = ka[i]
      let has = false
      try {
        has = ObjectPrototypeHasOwnProperty(b, k)
      } catch {}
      if (!has) return false
      if (!eq(read(a, k), read(b, k), strict, aStack, bStack)) return false
    }
    return true
  }
  const INDEX = /^(?:0|[1-9][0-9]*)$/
  const isIndex = (k) => RegExpPrototypeExec(INDEX, k) !== null

  // toMatchObject: every own enumerable property of `expected` is in `actual` and matches,
  // recursively for objects, element-wise for arrays (same length).
  function matchObject(actual, expected, seen) {
    if (isAsymmetric(expected)) return asymmetricMatch(expected, actual)
    if (!isObjectLike(expected) || !isObjectLike(actual) || isDate(expected) || isRegExp(expected) || isMap(expected) || isSet(expected) || typedArrayKind(expected) !== undefined) {
      return equals(actual, expected, false)
    }
    if (ArrayIsArray(expected)) {
      if (!ArrayIsArray(actual) || actual.length !== expected.length) return false
      for (let i = 0; i < expected.length; i++) if (!matchObject(read(actual, i), expected[i], seen)) return false
      return true
    }
    if (seen.has(expected)) return true
    seen.add(expected)
    const keys = ownKeys(expected, false)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      let has = false
      try {
        has = ReflectHas(actual, k)
      } catch {}
      if (!has) return false
      if (!matchObject(read(actual, k), read(expected, k), seen)) return false
    }
    return true
  }
  // The part of `actual` toMatchObject looked at, so the diff shows only those properties.
  function subset(actual, expected, depth) {
    if (depth > 20 || !isObjectLike(actual) || !isObjectLike(expected) || isAsymmetric(expected)) return actual
    if (ArrayIsArray(expected) && ArrayIsArray(actual) && actual.length === expected.length) {
      const out = []
      for (let i = 0; i < actual.length; i++) append(out, subset(read(actual, i), expected[i], depth + 1))
      return out
    }
    if (ArrayIsArray(expected) || ArrayIsArray(actual) || isDate(actual) || isMap(actual) || isSet(actual) || typedArrayKind(actual) !== undefined) return actual
    const out = {}
    const keys = ownKeys(expected, false)
    let any = false
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      let has = false
      try {
        has = ReflectHas(actual, k)
      } catch {}
      if (has) {
        put(out, k, subset(read(actual, k), read(expected, k), depth + 1))
        any = true
      }
    }
    return any || keys.length === 0 ? out : actual
  }

  // ---------------------------------------------------------------------------------------------
  // Inline display, for message headlines (`expected [ 1, 2 ] to deeply equal [ 1, 3 ]`): strings
  // single-quoted, objects `{ a: 1 }`, arrays `[ 1, 2 ]`, collections `Map{ 'a' => 1 }`, at most
  // about 40 characters, the rest shown as `...(n)` (how many items were left out).

  const TRUNCATE = 40
  function inline(v, limit = TRUNCATE) {
    try {
      return show(v, limit, 0, [])
    } catch {
      return '[unprintable]'
    }
  }
  // 'text', cut to `limit` characters with its quotes (0: no limit).
  function quote(s, limit) {
    let body = ''
    for (let i = 0; i < s.length; i++) {
      const c = s[i]
      body += c === "'" ? "\\'" : c === '\n' ? '\\n' : c === '\\' ? '\\\\' : c
      if (body.length > MAX_TEXT || (limit > 0 && body.length > limit)) break
    }
    if (limit > 0 && body.length + 2 > limit) return "'" + StringPrototypeSlice(body, 0, limit > 4 ? limit - 3 : 1) + "\u2026'"
    return "'" + body + "'"
  }
  function show(v, limit, depth, seen) {
    switch (typeof v) {
      case 'string':
        return quote(v, limit)
      case 'number':
        return numberText(v)
      case 'bigint':
        return v + 'n'
      case 'boolean':
      case 'undefined':
        return '' + v
      case 'symbol':
        return symbolText(v)
      case 'function': {
        if (mocks.has(v)) return `[Function ${mocks.get(v).name}]`
        const name = functionName(v)
        return name === '' ? '[Function]' : `[Function ${name}]`
      }
    }
    if (v === null) return 'null'
    if (asymmetric.has(v)) return showAsymmetric(asymmetric.get(v), limit, depth, seen)
    for (let i = 0; i < seen.length; i++) if (seen[i] === v) return '[Circular]'
    if (isDate(v)) {
      const t = DatePrototypeGetTime(v)
      return NumberIsNaN(t) ? 'Invalid Date' : DatePrototypeToISOString(v)
    }
    if (isRegExp(v)) return `/${RegExpPrototypeGetSource(v)}/${RegExpPrototypeGetFlags(v)}`
    if (isError(v)) {
      const name = str(read(v, 'name'), 'Error')
      const message = str(read(v, 'message'))
      return message === '' ? name : `${name}: ${message}`
    }
    if (isNumberObject(v)) return `[Number: ${numberText(NumberPrototypeValueOf(v))}]`
    if (isStringObject(v)) return `[String: ${quote(StringPrototypeValueOf(v), 0)}]`
    if (isBooleanObject(v)) return `[Boolean: ${BooleanPrototypeValueOf(v)}]`
    if (isIntrinsicPromise(v)) return 'Promise{\u2026}'
    if (depth > 2) return ArrayIsArray(v) ? '[Array]' : '[Object]'
    append(seen, v)
    try {
      const kind = typedArrayKind(v)
      if (kind !== undefined) {
        const items = []
        const n = TypedArrayPrototypeGetLength(v)
        for (let i = 0; i < n && i < 1000; i++) append(items, numberOrBigInt(v[i]))
        return list(kind + '[', ']', items, n, limit)
      }
      if (isArrayBuffer(v)) return `ArrayBuffer{ byteLength: ${ArrayBufferPrototypeGetByteLength(v)} }`
      if (isMap(v)) {
        const entries = mapEntries(v)
        const items = []
        for (let i = 0; i < entries.length && i < 1000; i++) {
          append(items, () => show(entries[i][0], limit, depth + 1, seen) + ' => ' + show(entries[i][1], limit, depth + 1, seen))
        }
        return list('Map{', '}', items, entries.length, limit)
      }
      if (isSet(v)) {
        const values = setValues(v)
        const items = []
        for (let i = 0; i < values.length && i < 1000; i++) append(items, () => show(values[i], limit, depth + 1, seen))
        return list('Set{', '}', items, values.length, limit)
      }
      if (ArrayIsArray(v)) {
        const items = []
        for (let i = 0; i < v.length && i < 1000; i++) append(items, () => (hasIndex(v, i) ? show(read(v, i), limit, depth + 1, seen) : '<empty>'))
        return list('[', ']', items, v.length, limit)
      }
      const keys = ownKeys(v, false)
      const items = []
      for (let i = 0; i < keys.length && i < 1000; i++) {
        const k = keys[i]
        const key = typeof k === 'symbol' ? `[${symbolText(k)}]` : isIdentifier(k) ? k : quote(k, 0)
        append(items, () => key + ': ' + show(read(v, k, '[Getter threw]'), limit, depth + 1, seen))
      }
      const name = constructorName(v)
      return list(name === '' || name === 'Object' ? '{' : name + '{', '}', items, keys.length, limit)
    } finally {
      seen.length--
    }
  }
  const hasIndex = (arr, i) => {
    try {
      return ReflectHas(arr, i)
    } catch {
      return true
    }
  }
  const numberOrBigInt = (x) => (typeof x === 'bigint' ? x + 'n' : numberText(x))
  // `open item, item, ...(n) close`: items (strings, or functions making them) while they fit.
  function list(open, close, items, total, limit) {
    if (total === 0) return open + close
    let body = ''
    let shown = 0
    for (let i = 0; i < items.length; i++) {
      const item = typeof items[i] === 'function' ? items[i]() : items[i]
      const next = body === '' ? item : body + ', ' + item
      const rest = total - i - 1
      const tail = rest > 0 ? `, \u2026(${rest})` : ''
      if (shown > 0 && limit > 0 && (open + ' ' + next + tail + ' ' + close).length > limit) break
      body = next
      shown++
    }
    const left = total - shown
    if (left > 0) body += `, \u2026(${left})`
    return `${open} ${body} ${close}`
  }
  function showAsymmetric(m, limit, depth, seen, q = quote) {
    const name = asymmetricName(m)
    switch (m.kind) {
      case 'any':
        return `Any<${typeof m.sample === 'function' ? functionName(m.sample) : '?'}>`
      case 'anything':
        return 'Anything'
      case 'stringContaining':
        return `${name} ${q(m.sample, 0)}`
      case 'stringMatching':
        return `${name} ${show(m.sample, 0, depth, seen)}`
      case 'closeTo':
        return `${name} ${numberText(m.sample[0])} (${m.sample[1]} digits)`
    }
    return `${name} ${show(m.sample, limit, depth + 1, seen)}`
  }

  // ---------------------------------------------------------------------------------------------
  // Pretty printing, for expected/actual and diffs: one item per line, two-space indents,
  // trailing commas, double-quoted strings and keys, keys sorted (the format Vitest diffs).

  const MAX_PRETTY = 100000
  const MAX_DEPTH = 10
  function pretty(v) {
    const ctx = { __proto__: null, size: 0, cut: false }
    try {
      return pp(v, '', 0, [], ctx)
    } catch {
      return inline(v)
    }
  }
  // Double-quoted, unescaped (as Vitest prints strings in diffs).
  const dq = (s) => '"' + (s.length > MAX_TEXT ? StringPrototypeSlice(s, 0, MAX_TEXT) + '\u2026' : s) + '"'
  function pp(v, indent, depth, seen, ctx) {
    switch (typeof v) {
      case 'string':
        ctx.size += v.length
        return dq(v)
      case 'number':
        return numberText(v)
      case 'bigint':
        return v + 'n'
      case 'boolean':
      case 'undefined':
        return '' + v
      case 'symbol':
        return symbolText(v)
      case 'function': {
        if (mocks.has(v)) return `[MockFunction ${mocks.get(v).name}]`
        const name = functionName(v)
        return `[Function ${name === '' ? 'anonymous' : name}]`
      }
    }
    if (v === null) return 'null'
    if (asymmetric.has(v)) {
      const m = asymmetric.get(v)
      if (m.kind === 'objectContaining' || m.kind === 'arrayContaining') return asymmetricName(m) + ' ' + pp(m.sample, indent, depth + 1, seen, ctx)
      return showAsymmetric(m, 0, depth, seen, dq)
    }
    for (let i = 0; i < seen.length; i++) if (seen[i] === v) return '[Circular]'
    if (isDate(v)) {
      const t = DatePrototypeGetTime(v)
      return NumberIsNaN(t) ? 'Date { NaN }' : DatePrototypeToISOString(v)
    }
    if (isRegExp(v)) return `/${RegExpPrototypeGetSource(v)}/${RegExpPrototypeGetFlags(v)}`
    if (isError(v)) {
      const name = str(read(v, 'name'), 'Error')
      const message = str(read(v, 'message'))
      return `[${message === '' ? name : name + ': ' + message}]`
    }
    if (isNumberObject(v)) return `[Number: ${numberText(NumberPrototypeValueOf(v))}]`
    if (isStringObject(v)) return `[String: ${dq(StringPrototypeValueOf(v))}]`
    if (isBooleanObject(v)) return `[Boolean: ${BooleanPrototypeValueOf(v)}]`
    if (isIntrinsicPromise(v)) return 'Promise {}'
    const name = constructorName(v)
    if (depth >= MAX_DEPTH) return ArrayIsArray(v) ? '[Array]' : `[${name === '' ? 'Object' : name}]`
    const inner = indent + '  '
    const lines = []
    const add = (line) => {
      if (ctx.cut) return false
      ctx.size += line.length + inner.length
      if (ctx.size > MAX_PRETTY) {
        ctx.cut = true
        append(lines, inner + '\u2026')
        return false
      }
      append(lines, inner + line + ',')
      return true
    }
    const block = (open, close) => (lines.length === 0 ? open + close : open + '\n' + join(lines, '\n') + '\n' + indent + close)
    append(seen, v)
    try {
      const kind = typedArrayKind(v)
      if (kind !== undefined) {
        const n = TypedArrayPrototypeGetLength(v)
        for (let i = 0; i < n; i++) if (!add(numberOrBigInt(v[i]))) break
        return block(kind + ' [', ']')
      }
      if (isArrayBuffer(v) || isDataView(v)) {
        const bytes = bytesOf(v)
        for (let i = 0; i < bytes.length; i++) if (!add('' + bytes[i])) break
        return block((isArrayBuffer(v) ? 'ArrayBuffer' : 'DataView') + ' [', ']')
      }
      if (isMap(v)) {
        const entries = mapEntries(v)
        for (let i = 0; i < entries.length; i++) {
          if (!add(pp(entries[i][0], inner, depth + 1, seen, ctx) + ' => ' + pp(entries[i][1], inner, depth + 1, seen, ctx))) break
        }
        return block('Map {', '}')
      }
      if (isSet(v)) {
        const values = setValues(v)
        for (let i = 0; i < values.length; i++) if (!add(pp(values[i], inner, depth + 1, seen, ctx))) break
        return block('Set {', '}')
      }
      if (ArrayIsArray(v)) {
        for (let i = 0; i < v.length; i++) if (!add(hasIndex(v, i) ? pp(read(v, i), inner, depth + 1, seen, ctx) : '<empty>')) break
        const open = name === 'Array' || name === '' ? '[' : name + ' ['
        return block(open, ']')
      }
      const keys = ownKeys(v, true)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]
        const key = typeof k === 'symbol' ? symbolText(k) : dq(k)
        if (!add(key + ': ' + pp(read(v, k, '[Getter threw]'), inner, depth + 1, seen, ctx))) break
      }
      return block(name === '' || name === 'Object' ? '{' : name + ' {', '}')
    } finally {
      seen.length--
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Line diff of two pretty-printed values (longest common subsequence of lines; past a size
  // bound, the common head and tail are kept and the middle shown as replaced).

  const MAX_CELLS = 1000000
  function diffLines(expected, received, annotate) {
    const a = StringPrototypeSplit(expected, '\n')
    const b = StringPrototypeSplit(received, '\n')
    let start = 0
    while (start < a.length && start < b.length && a[start] === b[start]) start++
    let endA = a.length
    let endB = b.length
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
      endA--
      endB--
    }
    const out = []
    if (annotate) {
      append(out, '- Expected')
      append(out, '+ Received')
      append(out, '')
    }
    const common = (line) => append(out, line === '' ? '' : '  ' + line)
    for (let i = 0; i < start; i++) common(a[i])
    const n = endA - start
    const m = endB - start
    const minus = []
    const plus = []
    const flush = () => {
      for (let i = 0; i < minus.length; i++) append(out, '- ' + minus[i])
      for (let i = 0; i < plus.length; i++) append(out, '+ ' + plus[i])
      minus.length = 0
      plus.length = 0
    }
    if (n > 0 && m > 0 && (n + 1) * (m + 1) <= MAX_CELLS) {
      // lcs[i][j]: length of the LCS of a[start+i..endA) and b[start+j..endB).
      const w = m + 1
      const lcs = new Int32Array((n + 1) * w)
      for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
          lcs[i * w + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * w + j + 1] + 1 : lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] ? lcs[(i + 1) * w + j] : lcs[i * w + j + 1]
        }
      }
      let i = 0
      let j = 0
      while (i < n || j < m) {
        if (i < n && j < m && a[start + i] === b[start + j]) {
          flush()
          common(a[start + i])
          i++
          j++
        } else if (j >= m || (i < n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
          append(minus, a[start + i])
          i++
        } else {
          append(plus, b[start + j])
          j++
        }
      }
    } else {
      for (let i = start; i < endA; i++) append(minus, a[i])
      for (let j = start; j < endB; j++) append(plus, b[j])
    }
    flush()
    for (let i = endA; i < a.length; i++) common(a[i])
    return join(out, '\n')
  }
  // A diff is worth showing when the values are not both one-line primitives.
  const wantsDiff = (expected, actual) =>
    (isObjectLike(expected) && !asymmetricOnly(expected) && isObjectLike(actual)) || (typeof expected === 'string' && typeof actual === 'string' && (StringPrototypeIncludes(expected, '\n') || StringPrototypeIncludes(actual, '\n')))
  const asymmetricOnly = (v) => asymmetric.has(v) && !isObjectLike(asymmetric.get(v).sample)
  const prettyText = (v) => (typeof v === 'string' ? v : pretty(v))
  // The expected value as the diff shows it: asymmetric matchers that the received value
  // satisfies are shown as that value, so only real differences are marked.
  function shownExpected(expected, actual, depth) {
    if (depth > 20) return expected
    if (isAsymmetric(expected)) return asymmetricMatch(expected, actual) ? actual : expected
    if (!isObjectLike(expected) || !isObjectLike(actual) || typeof expected === 'function') return expected
    if (ArrayIsArray(expected)) {
      if (!ArrayIsArray(actual)) return expected
      const out = []
      for (let i = 0; i < expected.length; i++) append(out, i < actual.length ? shownExpected(expected[i], read(actual, i), depth + 1) : expected[i])
      return out
    }
    if (constructorName(expected) !== 'Object' && constructorName(expected) !== '') return expected
    const out = {}
    const keys = ownKeys(expected, false)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      put(out, k, shownExpected(read(expected, k), read(actual, k), depth + 1))
    }
    return out
  }
  const withDiff = (headline, expected, actual) =>
    wantsDiff(expected, actual) && typeof expected !== 'function'
      ? headline + '\n\n' + diffLines(prettyText(shownExpected(expected, actual, 0)), prettyText(actual), true)
      : headline

  // ---------------------------------------------------------------------------------------------
  // Mock functions.

  const mocks = new SafeWeakMap() // mock function -> state
  let allMocks = new SafeSet()
  let callOrder = 0

  function freshRecords(state) {
    state.mock = {
      calls: [],
      results: [],
      instances: [],
      contexts: [],
      invocationCallOrder: [],
      lastCall: undefined,
    }
  }

  function makeMock(impl, defaultName) {
    const state = {
      __proto__: null,
      name: defaultName,
      impl,
      once: [],
      mock: undefined,
      restore: undefined,
      original: undefined,
    }
    freshRecords(state)
    const mockFn = function (...args) {
      const records = state.mock
      append(records.calls, args)
      append(records.contexts, this)
      append(records.instances, this)
      append(records.invocationCallOrder, ++callOrder)
      records.lastCall = args
      const result = { type: 'incomplete', value: undefined }
      append(records.results, result)
      let f
      if (state.once.length > 0) {
        f = state.once[0]
        const rest = []
        for (let i = 1; i < state.once.length; i++) append(rest, state.once[i])
        state.once = rest
      } else f = state.impl
      try {
        const value = typeof f === 'function' ? (new.target === undefined ? ReflectApply(f, this, args) : constructWith(f, this, args)) : undefined
        result.type = 'return'
        result.value = value
        return value
      } catch (error) {
        result.type = 'throw'
        result.value = error
        throw error
      }
    }
    mocks.set(mockFn, state)
    allMocks.add(mockFn)
    const methods = {
      mockImplementation(f) {
        state.impl = f
        return mockFn
      },
      mockImplementationOnce(f) {
        append(state.once, f)
        return mockFn
      },
      mockReturnValue(v) {
        state.impl = () => v
        return mockFn
      },
      mockReturnValueOnce(v) {
        append(state.once, () => v)
        return mockFn
      },
      mockResolvedValue(v) {
        state.impl = () => PromiseResolve(v)
        return mockFn
      },
      mockResolvedValueOnce(v) {
        append(state.once, () => PromiseResolve(v))
        return mockFn
      },
      mockRejectedValue(e) {
        state.impl = () => PromiseReject(e)
        return mockFn
      },
      mockRejectedValueOnce(e) {
        append(state.once, () => PromiseReject(e))
        return mockFn
      },
      mockReturnThis() {
        state.impl = function () {
          return this
        }
        return mockFn
      },
      mockName(name) {
        state.name = '' + name
        return mockFn
      },
      getMockName() {
        return state.name
      },
      getMockImplementation() {
        return state.impl
      },
      mockClear() {
        freshRecords(state)
        return mockFn
      },
      mockReset() {
        freshRecords(state)
        state.once = []
        state.impl = state.original
        return mockFn
      },
      mockRestore() {
        freshRecords(state)
        state.once = []
        state.impl = state.original
        if (state.restore !== undefined) {
          const restore = state.restore
          state.restore = undefined
          restore()
        }
        return mockFn
      },
      withImplementation(f, callback) {
        const saved = state.impl
        state.impl = f
        let r
        try {
          r = callback()
        } catch (e) {
          state.impl = saved
          throw e
        }
        if (isObjectLike(r) && typeof read(r, 'then') === 'function') {
          return thenable(r, () => {
            state.impl = saved
          }, (e) => {
            state.impl = saved
            throw e
          })
        }
        state.impl = saved
        return r
      },
    }
    const names = ObjectKeys(methods)
    for (let i = 0; i < names.length; i++) define(mockFn, names[i], methods[names[i]])
    ObjectDefineProperty(mockFn, 'mock', { __proto__: null, get: () => state.mock, configurable: true, enumerable: false })
    define(mockFn, '_isMockFunction', true)
    return mockFn
  }
  const constructWith = (f, self, args) => {
    // `new mockFn()`: the implementation runs with the new object as `this`; an object it returns
    // replaces it, as for any constructor.
    const r = ReflectApply(f, self, args)
    return isObjectLike(r) ? r : self
  }
  // Runs `then(onOk, onFail)` of a user thenable, returning the captured-then promise.
  const thenable = (t, ok, fail) => {
    const p = new Promise((resolve, reject) => {
      try {
        ReflectApply(read(t, 'then'), t, [resolve, reject])
      } catch (e) {
        reject(e)
      }
    })
    return PromisePrototypeThen(p, ok, fail)
  }
  const fnFactory = (defaultName) => function fn(impl = undefined) {
    if (impl !== undefined && typeof impl !== 'function') throw new TypeError(`${defaultName}: the implementation must be a function (got ${inline(impl)})`)
    const m = makeMock(impl, defaultName)
    mocks.get(m).original = impl
    return m
  }
  function spyOn(object, key, accessType = undefined) {
    if (!isObjectLike(object)) throw new TypeError(`spyOn could not find an object to spy upon for ${inline(key)}: ${inline(object)} is not an object`)
    if (accessType !== undefined && accessType !== 'get' && accessType !== 'set') {
      throw new TypeError(`spyOn(object, ${inline(key)}, accessType): accessType must be 'get' or 'set'`)
    }
    // The property as the object has it, own or inherited.
    let holder = object
    let desc
    for (let i = 0; i < 1000 && holder !== null; i++) {
      desc = ObjectGetOwnPropertyDescriptor(holder, key)
      if (desc !== undefined) break
      holder = ObjectGetPrototypeOf(holder)
    }
    if (desc === undefined) throw new TypeError(`spyOn: ${typeof key === 'symbol' ? symbolText(key) : key} does not exist on ${inline(object)}`)
    const own = holder === object
    const name = typeof key === 'symbol' ? symbolText(key) : '' + key
    if (accessType !== undefined) {
      const f = ObjectPrototypeHasOwnProperty(desc, accessType) ? desc[accessType] : undefined
      if (typeof f !== 'function') throw new TypeError(`spyOn: ${name} has no ${accessType}ter to spy on`)
      const m = makeMock(f, name)
      mocks.get(m).original = f
      const replaced = { __proto__: null, configurable: true, enumerable: desc.enumerable }
      replaced.get = accessType === 'get' ? m : desc.get
      replaced.set = accessType === 'set' ? m : desc.set
      if (!desc.configurable) throw new TypeError(`spyOn: ${name} is not configurable`)
      ObjectDefineProperty(object, key, replaced)
      mocks.get(m).restore = restoreProperty(object, key, own, desc)
      return m
    }
    const original = ObjectPrototypeHasOwnProperty(desc, 'value') ? desc.value : undefined
    if (typeof original !== 'function') {
      throw new TypeError(`spyOn: cannot spy on ${name} because it is not a function; ${original === null ? 'null' : typeof original} given instead`)
    }
    if (mocks.has(original)) return original
    const m = makeMock(function (...args) {
      return new.target === undefined ? ReflectApply(original, this, args) : constructWith(original, this, args)
    }, name)
    mocks.get(m).original = mocks.get(m).impl
    if (own && !desc.configurable && !desc.writable) throw new TypeError(`spyOn: ${name} is not writable or configurable`)
    ObjectDefineProperty(object, key, { __proto__: null, value: m, writable: true, enumerable: own ? desc.enumerable : true, configurable: true })
    mocks.get(m).restore = restoreProperty(object, key, own, desc)
    return m
  }
  const restoreProperty = (object, key, own, desc) => () => {
    if (own) ObjectDefineProperty(object, key, { __proto__: null, ...desc })
    else {
      try {
        delete object[key]
      } catch {}
    }
  }
  const forEachMock = (method) => {
    const list = setValues(allMocks)
    for (let i = 0; i < list.length; i++) ReflectApply(ownValue(list[i], method), list[i], [])
  }
  const namespace = (defaultName) => {
    const ns = {
      fn: fnFactory(defaultName),
      spyOn,
      isMockFunction: (f) => typeof f === 'function' && mocks.has(f),
      clearAllMocks() {
        forEachMock('mockClear')
        return ns
      },
      resetAllMocks() {
        forEachMock('mockReset')
        return ns
      },
      restoreAllMocks() {
        forEachMock('mockRestore')
        return ns
      },
      mocked: (v) => v,
      setTimeout(ms) {
        setDefaultTimeout(ms)
        return ns
      },
    }
    return ns
  }

  // ---------------------------------------------------------------------------------------------
  // expect()

  // What a matcher's failure carries; kept apart from the error object, which user code can change.
  const failures = new SafeWeakMap()
  class AssertionError extends Error {
    constructor(message) {
      super(message)
      define(this, 'name', 'AssertionError')
    }
  }
  const fail = (matcherName, message, expected, actual, hasExpected) => {
    const e = new AssertionError(message)
    const info = { __proto__: null, matcherName, message, expected: undefined, actual: undefined }
    if (hasExpected) {
      info.expected = prettyText(expected)
      define(e, 'expected', info.expected)
    }
    if (actual !== NONE) {
      info.actual = prettyText(actual)
      define(e, 'actual', info.actual)
    }
    define(e, 'matcherName', matcherName)
    failures.set(e, info)
    return e
  }
  const NONE = { __proto__: null }

  // The running test's assertion counts (expect.assertions / expect.hasAssertions).
  let assertionCount = 0
  let assertionsExpected = -1
  let assertionsRequired = false

  const checks = new SafeWeakMap() // Assertion -> { actual, negate, promise }
  class Assertion {
    constructor(actual, negate, promise) {
      checks.set(this, { __proto__: null, actual, negate, promise })
    }
    get not() {
      const c = checkOf(this)
      return new Assertion(c.actual, !c.negate, c.promise)
    }
    get resolves() {
      const c = checkOf(this)
      return new Assertion(c.actual, c.negate, 'resolves')
    }
    get rejects() {
      const c = checkOf(this)
      return new Assertion(c.actual, c.negate, 'rejects')
    }
  }
  const checkOf = (a) => {
    const c = checks.get(a)
    if (c === undefined) throw new TypeError('expect(): a matcher was called on something that is not an expectation')
    return c
  }

  // Each matcher: (actual, negate, args) -> { pass, message(), expected?, actual? }; message() gets
  // the wording for the direction asked (negated or not).
  const matchers = { __proto__: null }
  const result = (pass, message, expected = NONE, actual = NONE) => ({ __proto__: null, pass, message, expected, actual })
  const X = (v) => inline(v)

  matchers.toBe = (actual, negate, args) => {
    const expected = args[0]
    const pass = ObjectIs(actual, expected)
    return result(pass, () => {
      if (negate) return `expected ${X(actual)} not to be ${X(expected)} // Object.is equality`
      const head = `expected ${X(actual)} to be ${X(expected)} // Object.is equality`
      const deep = equals(actual, expected, true) ? 'toStrictEqual' : equals(actual, expected, false) ? 'toEqual' : ''
      if (deep !== '') {
        return `${head}\n\nIf it should pass with deep equality, replace "toBe" with "${deep}"\n\nExpected: ${pretty(expected)}\nReceived: serializes to the same string`
      }
      return withDiff(head, expected, actual)
    }, expected, actual)
  }
  matchers.toEqual = (actual, negate, args) => {
    const expected = args[0]
    return result(equals(actual, expected, false), () =>
      negate ? `expected ${X(actual)} to not deeply equal ${X(expected)}` : withDiff(`expected ${X(actual)} to deeply equal ${X(expected)}`, expected, actual), expected, actual)
  }
  matchers.toStrictEqual = (actual, negate, args) => {
    const expected = args[0]
    return result(equals(actual, expected, true), () =>
      negate ? `expected ${X(actual)} to not strictly equal ${X(expected)}` : withDiff(`expected ${X(actual)} to strictly equal ${X(expected)}`, expected, actual), expected, actual)
  }
  const simple = (test, word) => (actual, negate) =>
    result(test(actual), () => `expected ${X(actual)} ${negate ? 'to not be' : 'to be'} ${word}`, NONE, actual)
  matchers.toBeTruthy = simple((v) => !!v, 'truthy')
  matchers.toBeFalsy = simple((v) => !v, 'falsy')
  const chaiLike = (test, word) => (actual, negate) =>
    result(test(actual), () => `expected ${X(actual)} ${negate ? 'not to be' : 'to be'} ${word}`, NONE, actual)
  matchers.toBeNull = chaiLike((v) => v === null, 'null')
  matchers.toBeUndefined = chaiLike((v) => v === undefined, 'undefined')
  matchers.toBeNaN = chaiLike((v) => typeof v === 'number' && NumberIsNaN(v), 'NaN')
  matchers.toBeDefined = (actual, negate) =>
    result(actual !== undefined, () => (negate ? `expected ${X(actual)} to be undefined` : `expected ${X(actual)} not to be undefined`), NONE, actual)
  matchers.toBeTypeOf = (actual, negate, args) => {
    const expected = args[0]
    const types = ['bigint', 'boolean', 'function', 'number', 'object', 'string', 'symbol', 'undefined']
    let known = false
    for (let i = 0; i < types.length; i++) if (types[i] === expected) known = true
    if (!known) throw new TypeError(`toBeTypeOf() expects a valid type: ${join(types, ', ')} (got ${X(expected)})`)
    const type = typeof actual
    return result(type === expected, () => `expected ${X(actual)} ${negate ? 'not to be' : 'to be'} type of ${X(expected)}`, expected, type)
  }
  matchers.toBeInstanceOf = (actual, negate, args) => {
    const ctor = args[0]
    if (typeof ctor !== 'function') throw new TypeError(`toBeInstanceOf() expects a class or constructor function (got ${X(ctor)})`)
    let pass = false
    if (isObjectLike(actual)) pass = actual instanceof ctor
    const name = functionName(ctor) || '[anonymous]'
    return result(pass, () => `expected ${X(actual)} ${negate ? 'to not be' : 'to be'} an instance of ${name}`, name, constructorName(actual) || X(actual))
  }
  matchers.toHaveLength = (actual, negate, args) => {
    const expected = args[0]
    if (typeof expected !== 'number' || !(expected >= 0) || !NumberIsInteger(expected)) {
      throw new TypeError(`toHaveLength() expects a non-negative integer (got ${X(expected)})`)
    }
    const length = actual === null || actual === undefined ? undefined : read(actual, 'length')
    if (typeof length !== 'number') throw new TypeError(`expected ${X(actual)} to have property "length" (toHaveLength needs an array, a string or an object with a length)`)
    return result(length === expected, () =>
      negate ? `expected ${X(actual)} to not have a length of ${length}` : `expected ${X(actual)} to have a length of ${expected} but got ${length}`, expected, length)
  }
  const containsItem = (actual, item, deep) => {
    if (typeof actual === 'string') {
      if (deep) return false
      if (typeof item !== 'string') throw new TypeError(`toContain() on a string expects a string (got ${X(item)})`)
      return StringPrototypeIncludes(actual, item)
    }
    if (isSet(actual) && !deep) {
      const values = setValues(actual)
      for (let i = 0; i < values.length; i++) if (ObjectIs(values[i], item) || (values[i] === item)) return true
      return false
    }
    const kind = typedArrayKind(actual)
    if (ArrayIsArray(actual) || kind !== undefined) {
      const n = kind !== undefined ? TypedArrayPrototypeGetLength(actual) : actual.length
      for (let i = 0; i < n; i++) {
        const v = read(actual, i)
        if (deep ? equals(v, item, false) : v === item || ObjectIs(v, item)) return true
      }
      return false
    }
    if (isSet(actual)) {
      const values = setValues(actual)
      for (let i = 0; i < values.length; i++) if (equals(values[i], item, false)) return true
      return false
    }
    throw new TypeError(`${deep ? 'toContainEqual' : 'toContain'}() expects an array${deep ? '' : ', a string'} or a Set (got ${X(actual)})`)
  }
  matchers.toContain = (actual, negate, args) => {
    const item = args[0]
    return result(containsItem(actual, item, false), () => `expected ${X(actual)} ${negate ? 'to not include' : 'to include'} ${X(item)}`, item, actual)
  }
  matchers.toContainEqual = (actual, negate, args) => {
    const item = args[0]
    return result(containsItem(actual, item, true), () => `expected ${X(actual)} ${negate ? 'to not deep equally contain' : 'to deep equally contain'} ${X(item)}`, item, actual)
  }
  matchers.toMatch = (actual, negate, args) => {
    const expected = args[0]
    if (typeof actual !== 'string') throw new TypeError(`.toMatch() expects to receive a string, but got ${typeof actual}`)
    let pass
    if (typeof expected === 'string') pass = StringPrototypeIncludes(actual, expected)
    else if (isRegExp(expected)) pass = regexpTest(expected, actual)
    else throw new TypeError(`.toMatch() expects a string or a RegExp (got ${X(expected)})`)
    return result(pass, () => `expected ${X(actual)} ${negate ? 'not to match' : 'to match'} ${X(expected)}`, expected, actual)
  }
  matchers.toMatchObject = (actual, negate, args) => {
    const expected = args[0]
    if (!isObjectLike(expected)) throw new TypeError(`toMatchObject() expects an object or an array (got ${X(expected)})`)
    if (!isObjectLike(actual)) throw new TypeError(`toMatchObject() expects to receive an object (got ${X(actual)})`)
    const pass = matchObject(actual, expected, new SafeSet())
    const shown = subset(actual, expected, 0)
    return result(pass, () =>
      negate ? `expected ${X(actual)} to not match object ${X(expected)}` : withDiff(`expected ${X(actual)} to match object ${X(expected)}`, expected, shown), expected, shown)
  }
  // 'a.b[0].c' -> ['a', 'b', '0', 'c']; an array path is taken as it is.
  const parsePath = (path) => {
    if (ArrayIsArray(path)) return copy(path)
    if (typeof path !== 'string') throw new TypeError(`toHaveProperty() expects a string or an array path (got ${X(path)})`)
    const out = []
    let cur = ''
    for (let i = 0; i < path.length; i++) {
      const c = path[i]
      if (c === '.' || c === '[' || c === ']') {
        if (cur !== '' || c === '.') append(out, cur)
        cur = ''
        if (c === ']' && path[i + 1] === '.') i++
      } else cur += c
    }
    if (cur !== '' || path === '') append(out, cur)
    return out
  }
  matchers.toHaveProperty = (actual, negate, args) => {
    const path = args[0]
    const hasValue = args.length > 1
    const value = args[1]
    const keys = parsePath(path)
    let cur = actual
    let exists = true
    for (let i = 0; i < keys.length; i++) {
      if (cur === null || cur === undefined) {
        exists = false
        break
      }
      let has = false
      if (isObjectLike(cur)) {
        try {
          has = ReflectHas(cur, keys[i])
        } catch {}
      } else {
        has = read(cur, keys[i]) !== undefined
      }
      if (!has) {
        exists = false
        break
      }
      cur = read(cur, keys[i])
    }
    const pass = exists && (!hasValue || equals(cur, value, false))
    const name = ArrayIsArray(path) ? join(path, ',') : path
    const valueText = hasValue ? ` with value ${X(value)}` : ''
    return result(pass, () => `expected ${X(actual)} ${negate ? 'to not have' : 'to have'} property "${name}"${valueText}`, hasValue ? value : NONE, exists ? cur : NONE)
  }
  const numeric = (v, what) => {
    if (typeof v !== 'number' && typeof v !== 'bigint') throw new TypeError(`${what} value must be number or bigint, received "${typeof v}"`)
  }
  const compare = (test, word) => (actual, negate, args) => {
    const expected = args[0]
    numeric(actual, 'actual')
    numeric(expected, 'expected')
    return result(test(actual, expected), () => `expected ${X(actual)} to be ${negate ? 'not ' : ''}${word} ${X(expected)}`, expected, actual)
  }
  matchers.toBeGreaterThan = compare((a, b) => a > b, 'greater than')
  matchers.toBeGreaterThanOrEqual = compare((a, b) => a >= b, 'greater than or equal to')
  matchers.toBeLessThan = compare((a, b) => a < b, 'less than')
  matchers.toBeLessThanOrEqual = compare((a, b) => a <= b, 'less than or equal to')
  matchers.toBeCloseTo = (actual, negate, args) => {
    const expected = args[0]
    const digits = args.length > 1 && args[1] !== undefined ? args[1] : 2
    if (typeof actual !== 'number' || typeof expected !== 'number') throw new TypeError(`toBeCloseTo() expects numbers (got ${X(actual)} and ${X(expected)})`)
    const r = closeTo(actual, expected, digits)
    return result(r.pass, () =>
      `expected ${X(actual)} ${negate ? 'to not be' : 'to be'} close to ${X(expected)}, received difference is ${numberText(r.receivedDiff)}, but expected ${numberText(r.expectedDiff)}`, expected, actual)
  }
  matchers.toThrow = (actual, negate, args, promise) => {
    const expected = args[0]
    let threw = false
    let thrown
    if (promise === 'rejects') {
      threw = true
      thrown = actual
    } else {
      if (typeof actual !== 'function') throw new TypeError(`expected ${X(actual)} to be a function (toThrow calls it; for a promise use expect(promise).rejects.toThrow())`)
      try {
        actual()
      } catch (e) {
        threw = true
        thrown = e
      }
    }
    const thrownMessage = isObjectLike(thrown) ? str(read(thrown, 'message'), isError(thrown) ? '' : undefined) : undefined
    const shownThrown = thrownMessage !== undefined ? thrownMessage : thrown
    if (expected === undefined) {
      return result(threw, () =>
        negate ? `expected function to not throw an error but ${X(thrown)} was thrown` : "expected function to throw an error, but it didn't", NONE, threw ? thrown : NONE)
    }
    if (typeof expected === 'string' || isRegExp(expected)) {
      const text = typeof thrown === 'string' ? thrown : thrownMessage
      const pass = threw && typeof text === 'string' && (typeof expected === 'string' ? StringPrototypeIncludes(text, expected) : regexpTest(expected, text))
      const how = typeof expected === 'string' ? 'including' : 'matching'
      const subject = promise === 'rejects' ? 'promise' : X(actual)
      return result(pass, () => {
        if (!threw) return `expected ${subject} to throw an error`
        return `expected ${subject} ${negate ? 'to not throw' : 'to throw'} error ${how} ${X(expected)} but got ${X(text === undefined ? thrown : text)}`
      }, expected, threw ? shownThrown : NONE)
    }
    if (typeof expected === 'function') {
      const name = functionName(expected) || '[anonymous]'
      let pass = false
      if (threw && isObjectLike(thrown)) {
        try {
          pass = thrown instanceof expected
        } catch {}
      }
      return result(pass, () => {
        if (!threw) return `expected function to throw an error, but it didn't`
        return `expected error ${negate ? 'not to be' : 'to be'} instance of ${name}`
      }, name, threw ? thrown : NONE)
    }
    if (isAsymmetric(expected)) {
      const pass = threw && asymmetricMatch(expected, thrown)
      return result(pass, () => `expected error ${negate ? 'not to match' : 'to match'} asymmetric matcher`, expected, threw ? thrown : NONE)
    }
    if (isError(expected) || isObjectLike(expected)) {
      // An error (or { message }): the thrown error's message must equal its message.
      const want = str(read(expected, 'message'))
      const pass = threw && thrownMessage === want
      return result(pass, () => `expected a thrown error ${negate ? 'not to be' : 'to be'} ${X(expected)}`, expected, threw ? thrown : NONE)
    }
    throw new TypeError(`toThrow() expects a string, a RegExp, an error class, an error or an asymmetric matcher (got ${X(expected)})`)
  }

  // Mock matchers.
  const mockOf = (actual) => {
    const m = typeof actual === 'function' ? mocks.get(actual) : undefined
    if (m === undefined) throw new TypeError(`${X(actual)} is not a spy or a call to a spy!`)
    return m
  }
  // Every call, each as a diff against `expected` args (or printed), and the count.
  const formatCalls = (m, message, expected) => {
    const calls = m.mock.calls
    let out = message
    if (calls.length > 0) {
      const parts = []
      for (let i = 0; i < calls.length && i < 50; i++) {
        let part = `  ${ordinal(i + 1)} ${m.name} call:\n\n`
        if (expected !== NONE) part += diffLines(pretty(expected), pretty(calls[i]), false)
        else part += indentLines(pretty(calls[i]), '    ')
        append(parts, part + '\n')
      }
      out += '\n\nReceived:\n\n' + join(parts, '\n')
    }
    return out + `\n\nNumber of calls: ${calls.length}\n`
  }
  const indentLines = (text, pad) => {
    const lines = StringPrototypeSplit(text, '\n')
    const out = []
    for (let i = 0; i < lines.length; i++) append(out, lines[i] === '' ? '' : pad + lines[i])
    return join(out, '\n')
  }
  const argsEqual = (call, args) => equals(call, args, false)
  matchers.toHaveBeenCalled = (actual, negate) => {
    const m = mockOf(actual)
    const n = m.mock.calls.length
    return result(n > 0, () =>
      negate ? formatCalls(m, `expected "${m.name}" to not be called at all, but actually been called ${n} times`, NONE) : `expected "${m.name}" to be called at least once`, NONE, m.mock.calls)
  }
  matchers.toHaveBeenCalledTimes = (actual, negate, args) => {
    const m = mockOf(actual)
    const times = args[0]
    if (typeof times !== 'number' || !NumberIsInteger(times) || times < 0) throw new TypeError(`toHaveBeenCalledTimes() expects a non-negative integer (got ${X(times)})`)
    const n = m.mock.calls.length
    return result(n === times, () =>
      negate ? `expected "${m.name}" to not be called ${times} times` : `expected "${m.name}" to be called ${times} times, but got ${n} times`, times, n)
  }
  matchers.toHaveBeenCalledWith = (actual, negate, args) => {
    const m = mockOf(actual)
    const calls = m.mock.calls
    let pass = false
    for (let i = 0; i < calls.length && !pass; i++) pass = argsEqual(calls[i], args)
    return result(pass, () =>
      formatCalls(m, `expected "${m.name}" ${negate ? 'to not be' : 'to be'} called with arguments: ${X(args)}`, negate ? NONE : args), args, calls)
  }
  matchers.toHaveBeenLastCalledWith = (actual, negate, args) => {
    const m = mockOf(actual)
    const calls = m.mock.calls
    const last = calls.length > 0 ? calls[calls.length - 1] : undefined
    const pass = last !== undefined && argsEqual(last, args)
    return result(pass, () => {
      const head = `expected last "${m.name}" call ${negate ? 'to not have' : 'to have'} been called with ${X(args)}`
      return negate || last === undefined ? head + (last === undefined ? `\n\nNumber of calls: 0\n` : '') : withDiff(head, args, last)
    }, args, last === undefined ? NONE : last)
  }
  matchers.toHaveBeenNthCalledWith = (actual, negate, args) => {
    const m = mockOf(actual)
    const nth = args[0]
    if (typeof nth !== 'number' || !NumberIsInteger(nth) || nth < 1) throw new TypeError(`toHaveBeenNthCalledWith() expects a positive integer as its first argument (got ${X(nth)})`)
    const want = []
    for (let i = 1; i < args.length; i++) append(want, args[i])
    const calls = m.mock.calls
    const call = nth <= calls.length ? calls[nth - 1] : undefined
    const pass = call !== undefined && argsEqual(call, want)
    return result(pass, () => {
      const head = `expected ${ordinal(nth)} "${m.name}" call ${negate ? 'to not have' : 'to have'} been called with ${X(want)}`
      if (call === undefined) return head + `\n\nNumber of calls: ${calls.length}\n`
      return negate ? head : withDiff(head, want, call)
    }, want, call === undefined ? NONE : call)
  }
  const returns = (m) => {
    const out = []
    const results = m.mock.results
    for (let i = 0; i < results.length; i++) if (results[i].type === 'return') append(out, results[i].value)
    return out
  }
  matchers.toHaveReturned = (actual, negate) => {
    const m = mockOf(actual)
    const n = returns(m).length
    return result(n > 0, () => (negate ? `expected "${m.name}" to not be successfully called` : `expected "${m.name}" to be successfully called at least once`), NONE, n)
  }
  matchers.toHaveReturnedTimes = (actual, negate, args) => {
    const m = mockOf(actual)
    const times = args[0]
    if (typeof times !== 'number' || !NumberIsInteger(times) || times < 0) throw new TypeError(`toHaveReturnedTimes() expects a non-negative integer (got ${X(times)})`)
    const n = returns(m).length
    return result(n === times, () => `expected "${m.name}" ${negate ? 'to not be' : 'to be'} successfully called ${times} times${negate ? '' : `, but got ${n} times`}`, times, n)
  }
  matchers.toHaveReturnedWith = (actual, negate, args) => {
    const m = mockOf(actual)
    const value = args[0]
    const values = returns(m)
    let pass = false
    for (let i = 0; i < values.length && !pass; i++) pass = equals(values[i], value, false)
    return result(pass, () => (negate ? `expected "${m.name}" to not return with: ${X(value)}` : `expected "${m.name}" to return with: ${X(value)} at least once`), value, values)
  }
  const nthResult = (m, n) => {
    const results = m.mock.results
    return n >= 1 && n <= results.length ? results[n - 1] : undefined
  }
  matchers.toHaveLastReturnedWith = (actual, negate, args) => {
    const m = mockOf(actual)
    const value = args[0]
    const r = nthResult(m, m.mock.results.length)
    const pass = r !== undefined && r.type === 'return' && equals(r.value, value, false)
    return result(pass, () => `expected last "${m.name}" call ${negate ? 'to not return' : 'to return'} ${X(value)}`, value, r === undefined ? NONE : r.value)
  }
  matchers.toHaveNthReturnedWith = (actual, negate, args) => {
    const m = mockOf(actual)
    const nth = args[0]
    if (typeof nth !== 'number' || !NumberIsInteger(nth) || nth < 1) throw new TypeError(`toHaveNthReturnedWith() expects a positive integer as its first argument (got ${X(nth)})`)
    const value = args[1]
    const r = nthResult(m, nth)
    const pass = r !== undefined && r.type === 'return' && equals(r.value, value, false)
    return result(pass, () => `expected ${ordinal(nth)} "${m.name}" call ${negate ? 'to not return' : 'to return'} ${X(value)}`, value, r === undefined ? NONE : r.value)
  }

  // Jest's and Vitest's other names for the same matchers.
  const aliases = {
    __proto__: null,
    toThrowError: 'toThrow',
    toBeCalled: 'toHaveBeenCalled',
    toBeCalledTimes: 'toHaveBeenCalledTimes',
    toBeCalledWith: 'toHaveBeenCalledWith',
    lastCalledWith: 'toHaveBeenLastCalledWith',
    nthCalledWith: 'toHaveBeenNthCalledWith',
    toReturn: 'toHaveReturned',
    toReturnTimes: 'toHaveReturnedTimes',
    toReturnWith: 'toHaveReturnedWith',
    lastReturnedWith: 'toHaveLastReturnedWith',
    nthReturnedWith: 'toHaveNthReturnedWith',
  }

  // Runs one matcher; throws its AssertionError when the expectation does not hold.
  function check(name, matcher, actual, negate, args, promise) {
    const r = matcher(actual, negate, args, promise)
    if (r.pass === negate) {
      const message = r.message()
      const hasExpected = r.expected !== NONE
      throw fail(name, message, r.expected, r.actual, hasExpected)
    }
  }
  function installMatcher(name, matcher) {
    define(Assertion.prototype, name, function (...args) {
      const c = checkOf(this)
      assertionCount++
      if (c.promise === undefined) {
        check(name, matcher, c.actual, c.negate, args, undefined)
        return undefined
      }
      return settlePromiseCheck(name, matcher, c, args)
    })
  }
  // expect(promise).resolves/.rejects.matcher(...): a promise of the check on the settled value.
  function settlePromiseCheck(name, matcher, c, args) {
    let subject = c.actual
    if (typeof subject === 'function') {
      try {
        subject = subject()
      } catch (e) {
        subject = PromiseReject(e)
      }
    }
    if (!isObjectLike(subject) || typeof read(subject, 'then') !== 'function') {
      const e = new TypeError(`You must provide a Promise to expect() when using .${c.promise}, not '${typeof subject}'.`)
      return PromiseReject(e)
    }
    const onValue = (value) => {
      if (c.promise === 'rejects') throw fail(name, `promise resolved "${X(value)}" instead of rejecting`, undefined, value, false)
      check(name, matcher, value, c.negate, args, 'resolves')
    }
    const onError = (error) => {
      if (c.promise === 'resolves') throw fail(name, `promise rejected "${X(error)}" instead of resolving`, undefined, error, false)
      check(name, matcher, error, c.negate, args, 'rejects')
    }
    return isIntrinsicPromise(subject) ? PromisePrototypeThen(subject, onValue, onError) : thenable(subject, onValue, onError)
  }

  const names = ObjectKeys(matchers)
  for (let i = 0; i < names.length; i++) installMatcher(names[i], matchers[names[i]])
  const aliasNames = ObjectKeys(aliases)
  for (let i = 0; i < aliasNames.length; i++) installMatcher(aliasNames[i], matchers[aliases[aliasNames[i]]])

  function expect(actual, message = undefined) {
    return new Assertion(actual, false, undefined)
  }
  const matcherFactory = (inverse) => ({
    objectContaining(sample) {
      if (!isObjectLike(sample)) throw new TypeError(`expect.${inverse ? 'not.' : ''}objectContaining() expects an object (got ${inline(sample)})`)
      return new AsymmetricMatcher('objectContaining', sample, inverse)
    },
    arrayContaining(sample) {
      if (!ArrayIsArray(sample)) throw new TypeError(`expect.${inverse ? 'not.' : ''}arrayContaining() expects an array (got ${inline(sample)})`)
      return new AsymmetricMatcher('arrayContaining', copy(sample), inverse)
    },
    stringContaining(sample) {
      if (typeof sample !== 'string') throw new TypeError(`expect.${inverse ? 'not.' : ''}stringContaining() expects a string (got ${inline(sample)})`)
      return new AsymmetricMatcher('stringContaining', sample, inverse)
    },
    stringMatching(sample) {
      if (typeof sample !== 'string' && !isRegExp(sample)) throw new TypeError(`expect.${inverse ? 'not.' : ''}stringMatching() expects a string or a RegExp (got ${inline(sample)})`)
      return new AsymmetricMatcher('stringMatching', typeof sample === 'string' ? new internals.primordials.RegExp(sample) : sample, inverse)
    },
    closeTo(n, digits = 2) {
      if (typeof n !== 'number' || typeof digits !== 'number') throw new TypeError(`expect.${inverse ? 'not.' : ''}closeTo() expects numbers`)
      return new AsymmetricMatcher('closeTo', [n, digits], inverse)
    },
  })
  const statics = matcherFactory(false)
  statics.any = (ctor) => {
    if (typeof ctor !== 'function') throw new TypeError(`expect.any() expects a constructor function such as Number or a class (got ${inline(ctor)})`)
    return new AsymmetricMatcher('any', ctor, false)
  }
  statics.anything = () => new AsymmetricMatcher('anything', undefined, false)
  statics.not = matcherFactory(true)
  statics.assertions = (n) => {
    if (typeof n !== 'number' || !NumberIsInteger(n) || n < 0) throw new TypeError(`expect.assertions() expects a non-negative integer (got ${inline(n)})`)
    assertionsExpected = n
  }
  statics.hasAssertions = () => {
    assertionsRequired = true
  }
  statics.extend = (custom) => {
    if (!isObjectLike(custom)) throw new TypeError('expect.extend() expects an object of matchers')
    const keys = ObjectKeys(custom)
    for (let i = 0; i < keys.length; i++) {
      const name = keys[i]
      const impl = custom[name]
      if (typeof impl !== 'function') throw new TypeError(`expect.extend(): ${name} must be a function`)
      // A custom matcher returns { pass, message }, as Jest's do; `this` has isNot, equals, utils.
      installMatcher(name, (actual, negate, args) => {
        const self = { isNot: negate, equals: (a, b) => equals(a, b, false), utils: { stringify: pretty, printReceived: inline, printExpected: inline, diff: (a, b) => diffLines(pretty(a), pretty(b), true) } }
        const r = ReflectApply(impl, self, [actual, ...new internals.primordials.SafeArrayIterator(args)])
        if (!isObjectLike(r) || isObjectLike(read(r, 'then'))) throw new TypeError(`expect.extend(): matcher ${name} must return { pass, message } (async matchers are not supported)`)
        const msg = read(r, 'message')
        return result(!!read(r, 'pass'), () => {
          let m = typeof msg === 'function' ? ReflectApply(msg, undefined, []) : msg
          return typeof m === 'string' ? m : `expected ${X(actual)} ${negate ? 'not ' : ''}to pass ${name}`
        }, NONE, actual)
      })
    }
  }
  const staticNames = ObjectKeys(statics)
  for (let i = 0; i < staticNames.length; i++) define(expect, staticNames[i], statics[staticNames[i]])

  // ---------------------------------------------------------------------------------------------
  // Registration: describe / it / test and hooks build a tree in declaration order.

  let defaultTimeout = 5000
  let runOptions = null // set once installed: { testTimeout, events }
  const setDefaultTimeout = (ms) => {
    if (typeof ms !== 'number' || !(ms > 0)) throw new TypeError(`setTimeout(ms): ms must be a positive number (got ${inline(ms)})`)
    defaultTimeout = ms
  }
  const newSuite = (name, mode, parent) => ({
    __proto__: null,
    kind: 'suite',
    name,
    mode, // 'run' | 'skip' | 'only' | 'todo'
    parent,
    entries: [],
    beforeAll: [],
    afterAll: [],
    beforeEach: [],
    afterEach: [],
  })
  let root = newSuite('', 'run', null)
  let current = root
  let running = false
  let testCount = 0

  const assertCollecting = (what) => {
    if (running) {
      throw new Error(`${what}() cannot be called while tests are running (inside a test or hook): declare tests at the top level or inside describe()`)
    }
  }
  // A title as Jest and Vitest make it: strings as they are, functions and classes by name.
  const titleOf = (name, what) => {
    if (typeof name === 'string') return name
    if (typeof name === 'function') return functionName(name) || '<anonymous>'
    if (typeof name === 'number' || typeof name === 'bigint' || typeof name === 'boolean') return '' + name
    if (name === undefined) throw new TypeError(`${what}() needs a name as its first argument`)
    return inline(name)
  }
  // it(name, fn, timeout) or it(name, { timeout }, fn) / it(name, fn, { timeout }).
  const timeoutOf = (opt, what) => {
    if (typeof opt === 'number') {
      if (!(opt > 0)) throw new RangeError(`${what}(): the timeout must be a positive number of milliseconds (got ${opt})`)
      return opt
    }
    if (isObjectLike(opt) && typeof opt !== 'function') {
      const t = read(opt, 'timeout')
      if (t !== undefined) return timeoutOf(t, what)
    }
    return undefined
  }
  function addTest(what, name, a, b, mode, eachArgs) {
    assertCollecting(what)
    const title = titleOf(name, what)
    let fn = a
    let timeout
    if (typeof a !== 'function' && typeof b === 'function') {
      fn = b
      timeout = timeoutOf(a, what)
    } else timeout = timeoutOf(b, what)
    if (mode !== 'todo' && typeof fn !== 'function') {
      if (fn === undefined) mode = 'todo'
      else throw new TypeError(`${what}("${title}", fn): fn must be a function (got ${inline(fn)})`)
    }
    if (mode === 'todo') fn = undefined
    append(current.entries, { __proto__: null, kind: 'test', name: title, fn, mode, timeout, eachArgs })
    testCount++
    natives.testCount(testCount)
  }
  function addSuite(what, name, fn, mode, eachArgs) {
    assertCollecting(what)
    const title = titleOf(name, what)
    if (fn !== undefined && typeof fn !== 'function') throw new TypeError(`${what}("${title}", fn): fn must be a function (got ${inline(fn)})`)
    const suite = newSuite(title, fn === undefined ? 'todo' : mode, current)
    append(current.entries, suite)
    if (fn === undefined) return
    const parent = current
    current = suite
    try {
      const r = eachArgs === undefined ? fn() : ReflectApply(fn, undefined, eachArgs)
      if (isObjectLike(r) && typeof read(r, 'then') === 'function') {
        throw new Error(`describe("${title}"): returning a Promise from describe() is not supported; tests must be declared synchronously`)
      }
    } finally {
      current = parent
    }
  }
  const addHook = (kind) => function hook(fn, timeout = undefined) {
    assertCollecting(kind)
    if (typeof fn !== 'function') throw new TypeError(`${kind}(fn): fn must be a function (got ${inline(fn)})`)
    append(current[kind], { __proto__: null, fn, timeout: timeoutOf(timeout, kind) })
  }

  // test.each(table)(name, fn) and test.each`a | b ${1} | ${2}`(name, fn).
  function eachRows(table, values) {
    if (ArrayIsArray(table) && ArrayIsArray(read(table, 'raw'))) {
      // Tagged template: the first line names the columns, then one row per line of values.
      const header = StringPrototypeSplit(StringPrototypeTrim(table[0]), '|')
      const heads = []
      for (let i = 0; i < header.length; i++) {
        const h = StringPrototypeTrim(header[i])
        if (h !== '') append(heads, h)
      }
      if (heads.length === 0) throw new TypeError('each`\u2026`: the table needs a header row naming its columns, such as `a | b | expected`')
      if (values.length % heads.length !== 0) {
        throw new TypeError(`each\`\u2026\`: the table has ${values.length} values for ${heads.length} columns; each row needs one value per column`)
      }
      const rows = []
      for (let r = 0; r < values.length / heads.length; r++) {
        const row = {}
        for (let c = 0; c < heads.length; c++) put(row, heads[c], values[r * heads.length + c])
        append(rows, { __proto__: null, args: [row], object: row })
      }
      return rows
    }
    if (!ArrayIsArray(table)) throw new TypeError(`.each(table): table must be an array of rows or a tagged template (got ${inline(table)})`)
    const rows = []
    for (let i = 0; i < table.length; i++) {
      const row = table[i]
      if (ArrayIsArray(row)) append(rows, { __proto__: null, args: copy(row), object: undefined })
      else append(rows, { __proto__: null, args: [row], object: isObjectLike(row) ? row : undefined })
    }
    return rows
  }
  // printf-style titles: %s %d %i %f %j %o %O %p %# %$ %%, and $name / $a.b for object rows.
  function eachTitle(title, row, index) {
    let out = ''
    let next = 0
    const args = row.args
    for (let i = 0; i < title.length; i++) {
      const c = title[i]
      if (c === '%' && i + 1 < title.length) {
        const f = title[i + 1]
        let text
        switch (f) {
          case '%':
            text = '%'
            break
          case '#':
            text = '' + index
            break
          case '$':
            text = '' + (index + 1)
            break
          case 's':
          case 'd':
          case 'i':
          case 'f':
          case 'j':
          case 'o':
          case 'O':
          case 'p': {
            if (next >= args.length) {
              text = '%' + f
              break
            }
            const v = args[next++]
            if (f === 's') text = typeof v === 'string' ? v : inline(v, 0)
            else if (f === 'd' || f === 'i') text = typeof v === 'number' ? numberText(f === 'i' ? MathTrunc(v) : v) : typeof v === 'bigint' ? v + 'n' : 'NaN'
            else if (f === 'f') text = typeof v === 'number' ? numberText(v) : 'NaN'
            else text = inline(v, 0)
            break
          }
          default:
            text = undefined
        }
        if (text !== undefined) {
          out += text
          i++
          continue
        }
      }
      if (c === '$' && row.object !== undefined) {
        let j = i + 1
        while (j < title.length && RegExpPrototypeExec(/[A-Za-z0-9_$.]/, title[j]) !== null) j++
        let path = StringPrototypeSlice(title, i + 1, j)
        while (path !== '' && path[path.length - 1] === '.') {
          path = StringPrototypeSlice(path, 0, path.length - 1)
          j--
        }
        if (path !== '') {
          const keys = StringPrototypeSplit(path, '.')
          let v = row.object
          for (let k = 0; k < keys.length; k++) v = isObjectLike(v) ? read(v, keys[k]) : undefined
          out += inline(v, 0)
          i = j - 1
          continue
        }
      }
      out += c
    }
    return out
  }
  const eachOf = (register) => function each(table, ...values) {
    const rows = eachRows(table, values)
    return function (name, a, b) {
      const title = titleOf(name, 'each')
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]
        let fn = a
        let opt = b
        if (typeof a !== 'function' && typeof b === 'function') {
          fn = b
          opt = a
        }
        register(eachTitle(title, row, i), fn, opt, row.args)
      }
    }
  }

  const makeTest = (what) => {
    const base = function (name, a, b) {
      addTest(what, name, a, b, 'run', undefined)
    }
    const variant = (mode) => {
      const f = function (name, a, b) {
        addTest(what, name, a, b, mode, undefined)
      }
      define(f, 'each', eachOf((title, fn, opt, args) => addTest(what, title, fn, opt, mode, args)))
      return f
    }
    define(base, 'each', eachOf((title, fn, opt, args) => addTest(what, title, fn, opt, 'run', args)))
    define(base, 'only', variant('only'))
    define(base, 'skip', variant('skip'))
    define(base, 'todo', function todo(name) {
      addTest(what, name, undefined, undefined, 'todo', undefined)
    })
    define(base, 'skipIf', (cond) => (cond ? ownValue(base, 'skip') : base))
    define(base, 'runIf', (cond) => (cond ? base : ownValue(base, 'skip')))
    define(base, 'concurrent', base)
    return base
  }
  const makeDescribe = () => {
    const base = function describe(name, fn) {
      addSuite('describe', name, fn, 'run', undefined)
    }
    const variant = (mode) => {
      const f = function (name, fn) {
        addSuite('describe', name, fn, mode, undefined)
      }
      define(f, 'each', eachOf((title, fn, opt, args) => addSuite('describe', title, fn, mode, args)))
      return f
    }
    define(base, 'each', eachOf((title, fn, opt, args) => addSuite('describe', title, fn, 'run', args)))
    define(base, 'only', variant('only'))
    define(base, 'skip', variant('skip'))
    define(base, 'todo', function todo(name) {
      addSuite('describe', name, undefined, 'todo', undefined)
    })
    define(base, 'skipIf', (cond) => (cond ? ownValue(base, 'skip') : base))
    define(base, 'runIf', (cond) => (cond ? base : ownValue(base, 'skip')))
    define(base, 'concurrent', base)
    return base
  }

  // ---------------------------------------------------------------------------------------------
  // The runner: a generator driven by the captured `then`. It yields promises to wait for, or
  // `sub(generator)` to run a nested step; each resumes with the result.

  const subs = new SafeWeakMap()
  const sub = (gen) => {
    const marker = { __proto__: null }
    subs.set(marker, gen)
    return marker
  }
  function drive(gen, done) {
    const stack = [gen]
    const resume = (ok, value) => {
      for (;;) {
        const top = stack[stack.length - 1]
        let step
        try {
          step = ok ? GeneratorPrototypeNext(top, value) : GeneratorPrototypeThrow(top, value)
        } catch (e) {
          stack.length--
          if (stack.length === 0) return done(false, e)
          ok = false
          value = e
          continue
        }
        if (step.done) {
          stack.length--
          if (stack.length === 0) return done(true, step.value)
          ok = true
          value = step.value
          continue
        }
        const y = step.value
        const nested = typeof y === 'object' && y !== null ? subs.get(y) : undefined
        if (nested !== undefined) {
          append(stack, nested)
          ok = true
          value = undefined
          continue
        }
        PromisePrototypeThen(y, (v) => resume(true, v), (e) => resume(false, e))
        return
      }
    }
    resume(true, undefined)
  }

  // Runs a test or hook function: settles (never rejects) with { ok, value } once its promise
  // settles, `done` is called, or `timeout` ms pass.
  const SKIP = { __proto__: null }
  function call(fn, args, timeout, kind, doneStyle) {
    return new Promise((resolve) => {
      let finished = false
      let timer = 0
      const finish = (ok, value) => {
        if (finished) return
        finished = true
        if (timer !== 0) clearTimer(timer)
        resolve({ __proto__: null, ok, value })
      }
      const wait = () => {
        if (timeout > 0) timer = setTimer(() => finish(false, timeoutError(kind, timeout)), timeout)
      }
      let callArgs = args
      if (doneStyle) {
        const done = function done(error = undefined) {
          if (error !== undefined && error !== null) finish(false, error)
          else finish(true, undefined)
        }
        define(done, 'fail', (message) => finish(false, new Error(message === undefined ? 'done.fail() was called' : '' + message)))
        // It is also the test context.
        const context = args[0]
        const keys = ObjectKeys(context)
        for (let i = 0; i < keys.length; i++) define(done, keys[i], context[keys[i]])
        callArgs = [done]
      }
      let r
      try {
        r = ReflectApply(fn, undefined, callArgs)
      } catch (e) {
        finish(false, e)
        return
      }
      if (isIntrinsicPromise(r)) {
        wait()
        PromisePrototypeThen(r, (v) => finish(true, v), (e) => finish(false, e))
      } else if (isObjectLike(r) && typeof read(r, 'then') === 'function') {
        wait()
        thenable(r, (v) => finish(true, v), (e) => finish(false, e))
      } else if (doneStyle) {
        wait()
      } else finish(true, r)
    })
  }
  const timeoutError = (kind, ms) => {
    const e = kind === 'test'
      ? new Error(`Test timed out in ${ms}ms.\nIf this is a long-running test, pass a timeout value as the last argument or configure it globally with "testTimeout".`)
      : new Error(`Hook timed out in ${ms}ms.\nIf this is a long-running hook, pass a timeout value as the last argument or configure it globally with "testTimeout".`)
    return e
  }
  // Jest's `done` callback style: the test's first parameter is named as Jest's docs name it
  // (`done`, `cb`, `callback`, `next`, `finish`, `end`). Any other first parameter is Vitest's
  // test context (`(ctx) => ctx.skip()`, `({ expect }) => ...`), which needs no call to finish.
  const DONE_PARAM = /^(?:async\s*)?(?:function\b[^(]*)?\(?\s*(?:done|cb|callback|next|finish|end)\s*(?:[,)=]|$)/
  const takesDone = (fn) => {
    const n = ownValue(fn, 'length')
    if (typeof n !== 'number' || n < 1) return false
    let source = ''
    try {
      source = FunctionPrototypeToString(fn)
    } catch {
      return false
    }
    return RegExpPrototypeExec(DONE_PARAM, StringPrototypeSlice(source, 0, 200)) !== null
  }

  // A thrown value as the report's error: { message, stack?, expected?, actual?, matcherName? }.
  // The frames below the test's own code (the runner's, the platform's) are left out.
  const FRAMEWORK_FRAME = /^\s+at (?:.*edge-isolate:.*|new Promise \(<anonymous>\)|run(?:Test|Suite|All)\.next \(<anonymous>\)|.*\(native\))$/
  const framesOf = (stack) => {
    const lines = StringPrototypeSplit(stack, '\n')
    let end = lines.length
    while (end > 1 && RegExpPrototypeExec(FRAMEWORK_FRAME, lines[end - 1]) !== null) end--
    const out = []
    for (let i = 0; i < end; i++) if (!StringPrototypeIncludes(lines[i], 'edge-isolate:web/testenv')) append(out, lines[i])
    return join(out, '\n')
  }
  function errorRecord(e) {
    const rec = {}
    const info = isObjectLike(e) ? failures.get(e) : undefined
    if (info !== undefined) {
      put(rec, 'message', clip(info.message))
      const stack = read(e, 'stack')
      if (typeof stack === 'string') put(rec, 'stack', clip(framesOf(stack)))
      if (info.expected !== undefined) put(rec, 'expected', clip(info.expected))
      if (info.actual !== undefined) put(rec, 'actual', clip(info.actual))
      put(rec, 'matcherName', info.matcherName)
      return rec
    }
    if (isObjectLike(e)) {
      let message = read(e, 'message')
      // An error whose message cannot be read shows as its name.
      if (typeof message !== 'string') message = isError(e) ? inline(e, 0) : undefined
      if (message === undefined) put(rec, 'message', clip('thrown: ' + inline(e, 0)))
      else {
        const name = isError(e) ? str(read(e, 'name'), 'Error') : ''
        put(rec, 'message', clip(message))
        if (name !== '' && name !== 'Error' && name !== 'AssertionError') put(rec, 'name', name)
      }
      const stack = read(e, 'stack')
      if (typeof stack === 'string') put(rec, 'stack', clip(framesOf(stack)))
      return rec
    }
    put(rec, 'message', clip(typeof e === 'string' ? e : 'thrown: ' + inline(e, 0)))
    return rec
  }

  // Modes as Vitest interprets them: with any .only, only focused tests (and everything inside a
  // focused describe) run; the rest are reported as skipped.
  function hasOnly(suite) {
    const entries = suite.entries
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]
      if (e.mode === 'only') return true
      if (e.kind === 'suite' && hasOnly(e)) return true
    }
    return false
  }
  // Each test's final status ('run' | 'skip' | 'todo'), and which suites have something to run.
  function interpret(suite, onlyMode, inOnly, skipped, plan) {
    let runs = 0
    const entries = suite.entries
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]
      if (e.kind === 'test') {
        let mode
        if (e.mode === 'todo') mode = 'todo'
        else if (skipped || e.mode === 'skip') mode = 'skip'
        else if (onlyMode && !inOnly && e.mode !== 'only') mode = 'skip'
        else mode = 'run'
        plan.set(e, mode)
        if (mode === 'run') runs++
      } else {
        const focused = inOnly || e.mode === 'only'
        const skip = skipped || e.mode === 'skip' || e.mode === 'todo' || (onlyMode && !focused && !hasOnly(e))
        const n = interpret(e, onlyMode, focused, skip, plan)
        plan.set(e, n)
        runs += n
      }
    }
    return runs
  }
  const countAll = (suite, counts) => {
    for (let i = 0; i < suite.entries.length; i++) {
      const e = suite.entries[i]
      if (e.kind === 'test') counts.tests++
      else {
        counts.suites++
        countAll(e, counts)
      }
    }
  }

  const emitting = () => runOptions !== null && runOptions.events
  // Hands an event to the host; a promise when the host is behind (the run waits for it).
  const emit = (event) => (emitting() ? natives.emitEvent(event) : undefined)
  // Durations in ms, to the microsecond.
  const ms = (t) => MathRound(t * 1000) / 1000

  function* runAll() {
    const started = now()
    const plan = new SafeMap()
    const onlyMode = hasOnly(root)
    interpret(root, onlyMode, false, false, plan)
    const counts = { __proto__: null, tests: 0, suites: 0 }
    countAll(root, counts)
    const run = { __proto__: null, plan, tests: [], suites: [], errors: [], passed: 0, failed: 0, skipped: 0, todo: 0 }
    let w = emit({ type: 'runStart', testCount: counts.tests, suiteCount: counts.suites })
    if (w !== undefined) yield w
    yield sub(runSuite(root, [], run, undefined, [], []))
    const results = {
      passed: run.passed,
      failed: run.failed,
      skipped: run.skipped,
      todo: run.todo,
      total: run.tests.length,
      duration: ms(now() - started),
      success: run.failed === 0 && run.errors.length === 0,
      suites: run.suites,
      tests: run.tests,
    }
    if (run.errors.length > 0) put(results, 'errors', run.errors)
    w = emit({ type: 'runEnd', results })
    if (w !== undefined) yield w
    return results
  }

  // `inherited`: an error of a beforeAll hook of an enclosing suite (its tests fail with it).
  function* runSuite(suite, path, run, inherited, beforeEach, afterEach) {
    const isRoot = suite === root
    const started = now()
    let info
    let slot = -1
    const tally = { __proto__: null, passed: 0, failed: 0, skipped: 0, todo: 0 }
    const myPath = isRoot ? path : copyWith(path, suite.name)
    if (!isRoot) {
      info = { name: suite.name, path: copy(path), fullName: join(myPath, ' > '), depth: path.length }
      slot = run.suites.length
      append(run.suites, null)
      const w = emit({ type: 'suiteStart', suite: info })
      if (w !== undefined) yield w
    }
    // beforeAll/afterAll run only around suites with tests to run (and no failed enclosing beforeAll).
    const active = (isRoot ? anyRunnable(root, run.plan) : run.plan.get(suite) > 0) && inherited === undefined
    let hookError = inherited
    const cleanups = []
    if (active) {
      for (let i = 0; i < suite.beforeAll.length; i++) {
        const h = suite.beforeAll[i]
        const r = yield call(h.fn, [], h.timeout ?? hookTimeout(), 'hook', false)
        if (!r.ok) {
          hookError = r.value
          break
        }
        if (typeof r.value === 'function') append(cleanups, r.value)
      }
    }
    const each = copyAll(beforeEach, suite.beforeEach)
    const after = copyAll(reverse(suite.afterEach), afterEach)
    const entries = suite.entries
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]
      if (e.kind === 'test') {
        const status = yield sub(runTest(e, myPath, run, hookError, each, after))
        tally[status]++
      } else {
        const t = yield sub(runSuite(e, myPath, run, hookError, each, after))
        tally.passed += t.passed
        tally.failed += t.failed
        tally.skipped += t.skipped
        tally.todo += t.todo
      }
    }
    if (active) {
      const hooks = copyAll(reverse(suite.afterAll), reverse(cleanups))
      for (let i = 0; i < hooks.length; i++) {
        const h = hooks[i]
        const fn = typeof h === 'function' ? h : h.fn
        const r = yield call(fn, [], (typeof h === 'function' ? undefined : h.timeout) ?? hookTimeout(), 'hook', false)
        if (!r.ok) {
          const rec = errorRecord(r.value)
          put(rec, 'hook', 'afterAll')
          put(rec, 'suitePath', copy(myPath))
          append(run.errors, rec)
        }
      }
    }
    if (!isRoot) {
      const done = {
        name: info.name,
        path: info.path,
        fullName: info.fullName,
        depth: info.depth,
        passed: tally.passed,
        failed: tally.failed,
        skipped: tally.skipped,
        todo: tally.todo,
        duration: ms(now() - started),
      }
      run.suites[slot] = done
      const w = emit({ type: 'suiteEnd', suite: done })
      if (w !== undefined) yield w
    }
    return tally
  }
  const anyRunnable = (suite, plan) => {
    for (let i = 0; i < suite.entries.length; i++) {
      const e = suite.entries[i]
      if (e.kind === 'test' ? plan.get(e) === 'run' : plan.get(e) > 0) return true
    }
    return false
  }
  const copyWith = (arr, v) => {
    const out = copy(arr)
    append(out, v)
    return out
  }
  const copyAll = (a, b) => {
    const out = copy(a)
    for (let i = 0; i < b.length; i++) append(out, b[i])
    return out
  }
  const reverse = (arr) => {
    const out = []
    for (let i = arr.length - 1; i >= 0; i--) append(out, arr[i])
    return out
  }
  const hookTimeout = () => defaultTimeout

  function* runTest(test, suitePath, run, hookError, beforeEach, afterEach) {
    const fullName = suitePath.length === 0 ? test.name : join(suitePath, ' > ') + ' > ' + test.name
    let w = emit({ type: 'testStart', test: { name: test.name, suitePath: copy(suitePath), fullName } })
    if (w !== undefined) yield w
    const mode = run.plan.get(test)
    const started = now()
    let status
    let error
    if (mode === 'skip' || mode === 'todo') status = mode
    else if (hookError !== undefined) {
      status = 'fail'
      error = hookError
    } else {
      assertionCount = 0
      assertionsExpected = -1
      assertionsRequired = false
      const cleanups = []
      let failed = false
      let skipped = false
      const record = (r) => {
        if (r.ok || failed) return
        if (r.value === SKIP) {
          skipped = true
          return
        }
        failed = true
        error = r.value
      }
      for (let i = 0; i < beforeEach.length && !failed && !skipped; i++) {
        const h = beforeEach[i]
        const r = yield call(h.fn, [testContext(test)], h.timeout ?? hookTimeout(), 'hook', false)
        record(r)
        if (r.ok && typeof r.value === 'function') append(cleanups, r.value)
      }
      if (!failed && !skipped) {
        const doneStyle = test.eachArgs === undefined && takesDone(test.fn)
        const args = test.eachArgs !== undefined ? test.eachArgs : [testContext(test)]
        record(yield call(test.fn, args, test.timeout ?? defaultTimeout, 'test', doneStyle))
        if (!failed && !skipped) {
          if (assertionsExpected >= 0 && assertionCount !== assertionsExpected) {
            failed = true
            error = new Error(`expected number of assertions to be ${assertionsExpected}, but got ${assertionCount}`)
          } else if (assertionsRequired && assertionCount === 0) {
            failed = true
            error = new Error('expected any number of assertion, but got none')
          }
        }
      }
      for (let i = 0; i < afterEach.length; i++) {
        const h = afterEach[i]
        record(yield call(h.fn, [testContext(test)], h.timeout ?? hookTimeout(), 'hook', false))
      }
      for (let i = cleanups.length - 1; i >= 0; i--) record(yield call(cleanups[i], [], hookTimeout(), 'hook', false))
      status = failed ? 'fail' : skipped ? 'skip' : 'pass'
    }
    const rec = { name: test.name, suitePath: copy(suitePath), fullName, status, duration: status === 'pass' || status === 'fail' ? ms(now() - started) : 0 }
    if (status === 'fail') put(rec, 'error', errorRecord(error))
    append(run.tests, rec)
    if (status === 'pass') run.passed++
    else if (status === 'fail') run.failed++
    else if (status === 'skip') run.skipped++
    else run.todo++
    w = emit({ type: 'testEnd', test: rec })
    if (w !== undefined) yield w
    return status === 'pass' ? 'passed' : status === 'fail' ? 'failed' : status === 'skip' ? 'skipped' : 'todo'
  }
  // Vitest's test context (what `({ expect, skip, task }) => ...` destructures).
  const testContext = (test) => ({
    task: { name: test.name },
    expect,
    skip() {
      throw SKIP
    },
  })

  function reset() {
    root = newSuite('', 'run', null)
    current = root
    testCount = 0
    natives.testCount(0)
  }
  // Host operations (native.call in src/testenv/glue.js); others go to the areas before this one.
  const ops = {
    __proto__: null,
    testRun(id) {
      if (runOptions === null) return internals.settled(id, false, new TypeError(notEnabled))
      if (running) return internals.settled(id, false, new Error('runTests(): a test run is already in progress in this runtime'))
      running = true
      drive(runAll(), (ok, value) => {
        running = false
        internals.settled(id, ok, value)
      })
    },
    testReset(id) {
      if (runOptions === null) return internals.settled(id, false, new TypeError(notEnabled))
      if (running) return internals.settled(id, false, new Error('reset(): a test run is in progress; wait for runTests() to settle first'))
      reset()
      internals.settled(id, true, null)
    },
  }
  const notEnabled = 'testEnvironment is not enabled for this runtime: pass { testEnvironment: true } (or { testEnvironment: { onEvent, testTimeout } }) to createRuntime'
  const next = internals.host
  internals.host = function host(op, id, args) {
    const f = ops[op]
    if (f === undefined) return next(op, id, args)
    try {
      f(id)
    } catch (e) {
      running = false
      internals.settled(id, false, e)
    }
  }

  // Per runtime, before user code: the globals, only when the runtime asked for them.
  internals.perRuntime[internals.perRuntime.length] = (options) => {
    const te = options === undefined || options === null ? undefined : options.testEnvironment
    if (te === undefined || te === null) return
    runOptions = { __proto__: null, events: te.events === true }
    if (typeof te.testTimeout === 'number' && te.testTimeout > 0) defaultTimeout = te.testTimeout
    const test = makeTest('test')
    const it = makeTest('it')
    const describe = makeDescribe()
    const jest = namespace('jest.fn()')
    const vi = namespace('vi.fn()')
    const mock = namespace('mock.fn()')
    const globals = {
      describe,
      suite: describe,
      it,
      test,
      expect,
      beforeAll: addHook('beforeAll'),
      afterAll: addHook('afterAll'),
      beforeEach: addHook('beforeEach'),
      afterEach: addHook('afterEach'),
      jest,
      vi,
      mock,
    }
    const keys = ObjectKeys(globals)
    for (let i = 0; i < keys.length; i++) define(global, keys[i], globals[keys[i]])
  }
})
