// Tamper-proof platform JS: user code that patches built-ins (Promise.prototype.then, Array
// methods and iterators, Function.prototype.call/apply/bind, Object statics, accessors on
// Object.prototype, RegExp/String/Map/Set methods, JSON, replaced globals…) changes nothing in
// what the platform does. Each scenario runs twice, clean and after the POISON prelude, and both
// runs must give the same fixed expected values. The prelude also logs every call of a poisoned
// built-in; a run must end with an empty log (platform code touched none of them). The one lookup
// the language makes for every promise resolved with an object (`then`, here a logging accessor on
// Object.prototype) is counted apart: each scenario states how many its user-facing results cause
// (read() results, async iteration steps, arrayBuffer()…), so one more made internally fails it.
//
// The scripts themselves, after poisoning, use only what the prelude captured (`G.URL`, …), index
// loops, `+` and `await` of platform promises; sequences they pass to WebIDL are `seq(...)`
// iterables with their own iterator, since WebIDL reads an array's @@iterator by spec.
import { describe, expect, it } from 'vitest'
import { reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

// Defines `G` (the originals), `seq(...items)`, `poison()` and `poisonHits()`.
const PRELUDE = String.raw`
const G = {}
{
  const names = ['Object', 'Array', 'Promise', 'Map', 'Set', 'WeakMap', 'Symbol', 'Error', 'TypeError',
    'RangeError', 'Uint8Array', 'ArrayBuffer', 'DataView', 'JSON', 'Reflect', 'String', 'Number', 'Math',
    'TextEncoder', 'TextDecoder', 'TextEncoderStream', 'TextDecoderStream', 'URL', 'URLSearchParams',
    'Blob', 'File', 'FormData', 'Response', 'Request', 'Headers', 'ReadableStream', 'WritableStream',
    'TransformStream', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'CompressionStream',
    'DecompressionStream', 'Event', 'EventTarget', 'CustomEvent', 'AbortController', 'AbortSignal',
    'DOMException', 'queueMicrotask', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval',
    'structuredClone', 'atob', 'btoa', 'performance', 'console', 'report', 'Date', 'RegExp', 'Function']
  for (let i = 0; i < names.length; i++) G[names[i]] = globalThis[names[i]]
  // G.call(f, self, ...args): Function.prototype.call as it was, for the scripts' own calls of
  // methods that a test poisons.
  G.call = Function.prototype.call.bind(Function.prototype.call)
  // G.len(typedArray): its length through the getter as it was.
  const lengthGetter = Reflect.getOwnPropertyDescriptor(Reflect.getPrototypeOf(G.Uint8Array.prototype), 'length').get
  G.len = (ta) => G.call(lengthGetter, ta)
}
function u8(...items) {
  const out = new G.Uint8Array(items.length)
  for (let i = 0; i < items.length; i++) out[i] = items[i]
  return out
}
function seq(...items) {
  return { [G.Symbol.iterator]: function* () { for (let i = 0; i < items.length; i++) yield items[i] } }
}
const { poison, poisonHits } = (() => {
  const R = Reflect
  const defineProperty = R.defineProperty, getOwnPropertyDescriptor = R.getOwnPropertyDescriptor
  const getPrototypeOf = R.getPrototypeOf, ownKeys = R.ownKeys
  const log = { __proto__: null }
  let n = 0
  let thenLookups = 0
  const hit = (name) => {
    // A promise resolved with an object looks up its then: by spec for what the platform hands
    // to user code, counted apart and checked against the number the spec gives.
    if (name === 'get then') return void thenLookups++
    if (n < 50) log[n] = name
    n++
  }
  // Replaces a method with one that logs and then misbehaves: fake(...) returns a wrong value,
  // or, without fake, it throws.
  const method = (obj, key, name, fake) => {
    const d = getOwnPropertyDescriptor(obj, key)
    if (d === undefined) return
    const f = function () {
      hit(name)
      if (fake === undefined) throw new G.Error('poisoned ' + name)
      return fake
    }
    defineProperty(obj, key, { __proto__: null, value: f, writable: true, configurable: true })
  }
  const methods = (obj, prefix, keys, fake) => {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      method(obj, k, prefix + (typeof k === 'symbol' ? '[' + k.description + ']' : k), fake)
    }
  }
  // Poisons one member of a platform prototype: a method, or an accessor's getter and setter.
  const member = (obj, key, name) => {
    const d = getOwnPropertyDescriptor(obj, key)
    if (d === undefined) throw new G.Error('nothing to poison at ' + name)
    if (d.get === undefined) return method(obj, key, name)
    defineProperty(obj, key, {
      __proto__: null, configurable: true,
      get() { hit('get ' + name); throw new G.Error('poisoned get ' + name) },
      set(v) { hit('set ' + name) },
    })
  }
  const getter = (obj, key, name, value) => {
    defineProperty(obj, key, {
      __proto__: null, configurable: true,
      get() { hit('get ' + name); return value },
      set(v) { hit('set ' + name) },
    })
  }
  // extra: [prototype, key, name] triples, members of platform classes the script itself does not
  // call after poisoning.
  // options.constructors false: leave the prototypes' constructor alone (console output shows
  // constructor names, so there a script's change is meant to show, as in Node).
  const poison = (extra = [], options = {}) => {
    for (let i = 0; i < extra.length; i++) member(extra[i][0], extra[i][1], extra[i][2])
    const S = G.Symbol
    const ArrayIteratorPrototype = getPrototypeOf([][S.iterator]())
    const MapIteratorPrototype = getPrototypeOf(new G.Map()[S.iterator]())
    const SetIteratorPrototype = getPrototypeOf(new G.Set()[S.iterator]())
    const StringIteratorPrototype = getPrototypeOf(''[S.iterator]())
    const TypedArrayPrototype = getPrototypeOf(G.Uint8Array.prototype)
    methods(G.Promise.prototype, 'Promise.prototype.', ['then', 'catch', 'finally'])
    methods(G.Promise, 'Promise.', ['resolve', 'reject', 'all', 'allSettled', 'race', 'any', 'withResolvers'])
    methods(G.Array.prototype, 'Array.prototype.', ['push', 'pop', 'shift', 'unshift', 'map', 'forEach', 'filter',
      'slice', 'splice', 'concat', 'indexOf', 'includes', 'find', 'findIndex', 'some', 'every', 'reduce', 'sort',
      'flat', 'fill', 'keys', 'values', 'entries', 'at', 'reverse', 'lastIndexOf', 'flatMap', S.iterator])
    method(G.Array.prototype, 'join', 'Array.prototype.join', 'x')
    methods(G.Array, 'Array.', ['isArray', 'from', 'of'])
    method(ArrayIteratorPrototype, 'next', '%ArrayIteratorPrototype%.next', { done: true, value: undefined })
    method(MapIteratorPrototype, 'next', '%MapIteratorPrototype%.next', { done: true, value: undefined })
    method(SetIteratorPrototype, 'next', '%SetIteratorPrototype%.next', { done: true, value: undefined })
    method(StringIteratorPrototype, 'next', '%StringIteratorPrototype%.next', { done: true, value: undefined })
    methods(G.Object, 'Object.', ['keys', 'values', 'entries', 'getOwnPropertyNames', 'getOwnPropertySymbols'], [])
    methods(G.Object, 'Object.', ['defineProperty', 'defineProperties', 'assign', 'getPrototypeOf', 'setPrototypeOf',
      'create', 'freeze', 'isFrozen', 'getOwnPropertyDescriptor', 'getOwnPropertyDescriptors', 'fromEntries', 'is', 'hasOwn'])
    methods(G.Object.prototype, 'Object.prototype.', ['hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toString'])
    methods(G.Reflect, 'Reflect.', ['apply', 'construct', 'defineProperty', 'getPrototypeOf', 'setPrototypeOf',
      'get', 'set', 'has', 'getOwnPropertyDescriptor'])
    method(G.Reflect, 'ownKeys', 'Reflect.ownKeys', [])
    method(G.JSON, 'parse', 'JSON.parse', { poisoned: true })
    method(G.JSON, 'stringify', 'JSON.stringify', '"poisoned"')
    methods(G.String.prototype, 'String.prototype.', ['replace', 'replaceAll', 'split', 'slice', 'substring',
      'substr', 'indexOf', 'lastIndexOf', 'includes', 'startsWith', 'endsWith', 'charCodeAt', 'codePointAt',
      'charAt', 'padStart', 'padEnd', 'repeat', 'match', 'matchAll', 'search', 'trim', 'trimStart', 'trimEnd',
      'toWellFormed', 'isWellFormed', 'at', 'normalize', 'concat', 'localeCompare', S.iterator])
    methods(G.String.prototype, 'String.prototype.', ['toLowerCase', 'toUpperCase'], 'X')
    methods(G.String, 'String.', ['fromCharCode', 'fromCodePoint', 'raw'])
    methods(G.RegExp.prototype, 'RegExp.prototype.', ['exec', 'test', S.replace, S.split, S.match, S.matchAll, S.search])
    for (let c = 0; c < 4; c++) {
      const C = [G.Map, G.Set, G.WeakMap, WeakSet][c]
      methods(C.prototype, C.name + '.prototype.', ['get', 'set', 'has', 'delete', 'add', 'clear', 'forEach',
        'keys', 'values', 'entries', S.iterator])
    }
    methods(TypedArrayPrototype, '%TypedArray%.prototype.', ['set', 'subarray', 'slice', 'fill', 'map', 'forEach',
      'join', 'indexOf', 'includes', 'at', 'reverse', 'keys', 'values', 'entries', S.iterator])
    methods(G.ArrayBuffer.prototype, 'ArrayBuffer.prototype.', ['slice', 'transfer', 'resize'])
    methods(G.ArrayBuffer, 'ArrayBuffer.', ['isView'])
    methods(G.Number, 'Number.', ['isNaN', 'isFinite', 'isInteger', 'isSafeInteger', 'parseInt', 'parseFloat'])
    methods(G.Number.prototype, 'Number.prototype.', ['toString', 'toFixed', 'toLocaleString'], '9')
    methods(G.Math, 'Math.', ['min', 'max', 'floor', 'ceil', 'trunc', 'abs', 'round', 'random', 'pow'], 7)
    methods(G.Symbol.prototype, 'Symbol.prototype.', ['toString'], 'Symbol(x)')
    methods(G.Error.prototype, 'Error.prototype.', ['toString'], 'poisoned')
    methods(G.Date.prototype, 'Date.prototype.', ['toISOString', 'toString', 'getTime', 'valueOf'], 'poisoned')
    method(G.Error, 'captureStackTrace', 'Error.captureStackTrace')
    // Accessors on Object.prototype: reads of a missing own property, and writes to one.
    getter(G.Object.prototype, 'then', 'then', undefined)
    getter(G.Object.prototype, 'value', 'value', 'poisoned')
    getter(G.Object.prototype, 'done', 'done', true)
    getter(G.Object.prototype, 'get', 'get', function () { return 'poisoned' })
    getter(G.Object.prototype, 'set', 'set', function () {})
    getter(G.Object.prototype, 'writable', 'writable', false)
    getter(G.Object.prototype, 'enumerable', 'enumerable', true)
    getter(G.Object.prototype, 'configurable', 'configurable', false)
    // @@species lookups (slice, subarray, map, splice…) go through constructor.
    if (options.constructors !== false) {
      getter(G.Uint8Array.prototype, 'constructor', 'Uint8Array.prototype.constructor', undefined)
      getter(G.ArrayBuffer.prototype, 'constructor', 'ArrayBuffer.prototype.constructor', undefined)
      getter(G.Array.prototype, 'constructor', 'Array.prototype.constructor', undefined)
    }
    // The accessors of views and buffers (the platform reads their internal slots).
    const views = ['buffer', 'byteLength', 'byteOffset', 'length']
    for (let i = 0; i < views.length; i++) getter(TypedArrayPrototype, views[i], '%TypedArray%.prototype.' + views[i], 0)
    for (let i = 0; i < 3; i++) getter(G.DataView.prototype, views[i], 'DataView.prototype.' + views[i], 0)
    getter(G.ArrayBuffer.prototype, 'byteLength', 'ArrayBuffer.prototype.byteLength', 0)
    // instanceof asks a constructor's Symbol.hasInstance, which scripts may define.
    const branded = [G.ArrayBuffer, G.Error, G.Uint8Array, G.Object, G.Promise, G.Function, G.ReadableStream,
      ReadableByteStreamController, ReadableStreamDefaultReader, G.WritableStream, G.TransformStream, G.Blob,
      G.AbortSignal, G.Event, G.EventTarget, G.URLSearchParams]
    for (let i = 0; i < branded.length; i++) {
      const name = branded[i].name
      defineProperty(branded[i], S.hasInstance, { __proto__: null, configurable: true, value: function () { hit(name + '[Symbol.hasInstance]'); return false } })
    }
    // Globals replaced: the platform must have captured its own.
    const globals = ['Object', 'Array', 'Promise', 'Map', 'Set', 'WeakMap', 'Symbol', 'Error', 'TypeError', 'RangeError',
      'Uint8Array', 'ArrayBuffer', 'DataView', 'JSON', 'Reflect', 'String', 'Number', 'Math', 'TextEncoder',
      'TextDecoder', 'URL', 'URLSearchParams', 'Blob', 'File', 'Response', 'Request', 'Headers', 'ReadableStream',
      'WritableStream', 'TransformStream', 'Event', 'EventTarget', 'AbortController', 'AbortSignal',
      'DOMException', 'queueMicrotask', 'setTimeout', 'structuredClone', 'performance', 'Date', 'RegExp', 'Function']
    for (let i = 0; i < globals.length; i++) {
      const name = globals[i]
      defineProperty(globalThis, name, { __proto__: null, value: function () { hit('global ' + name); throw new G.Error('poisoned global ' + name) }, writable: true, configurable: true })
    }
    // Last: the prelude itself needs these until here.
    const FP = G.Function.prototype
    method(FP, 'bind', 'Function.prototype.bind')
    method(FP, 'apply', 'Function.prototype.apply')
    method(FP, 'call', 'Function.prototype.call')
  }
  const poisonHits = () => {
    let s = ''
    for (let i = 0; i < n && i < 50; i++) s += (i ? ', ' : '') + log[i]
    return (n > 50 ? s + ' … (' + n + ')' : s) + ' | then lookups: ' + thenLookups
  }
  return { poison, poisonHits }
})()
`

/**
 * Runs `body` twice in fresh runtimes: clean, and with `poison()` called first (or where the body
 * calls `POISON()`). Returns both runs' reports and console entries; the poisoned run's last report
 * is its hit log, checked empty here.
 */
async function both(body: string, options: { timeout?: number; thenLookups?: number } = {}) {
  const out: { calls: any[]; logs: string[] }[] = []
  for (const poisoned of [false, true]) {
    const { calls, customFunctions } = reporter()
    const logs: string[] = []
    const r = await createRuntime({
      customFunctions,
      executionTimeout: options.timeout ?? 5000,
      console: { onEntry: (e: any) => logs.push(e.stdout ?? JSON.stringify(e)) },
    })
    const code = PRELUDE + `const POISON = (extra, options) => { if (${poisoned}) poison(extra, options) }\n` + body + `\nif (${poisoned}) G.report('hits: ' + poisonHits())\n`
    await r.eval(code, 'tamper.js')
    // Unhandled rejections and timer errors are reported after the eval's last task.
    await new Promise((res) => setTimeout(res, 20))
    if (poisoned) {
      const hits = calls.pop()
      expect(hits).toBe('hits:  | then lookups: ' + (options.thenLookups ?? 0))
    }
    out.push({ calls, logs })
  }
  expect(out[1]).toEqual(out[0])
  return out[1]
}

describe('tamper-proof platform: events', () => {
  it('dispatch, listeners, once, passive, stopImmediatePropagation, handleEvent objects', async () => {
    const { calls, logs } = await both(`
      const { EventTarget, Event, CustomEvent, report } = G
      POISON([[Performance.prototype, 'now', 'Performance.prototype.now']])
      const t = new EventTarget()
      let order = ''
      const listener = { handleEvent(e) { order += 'H' + e.type } }
      t.addEventListener('x', (e) => { order += 'a' + e.eventPhase })
      t.addEventListener('x', listener)
      t.addEventListener('x', () => { order += 'o' }, { once: true })
      t.addEventListener('x', (e) => { e.preventDefault(); order += 'p' + e.defaultPrevented }, { passive: true })
      t.addEventListener('y', (e) => { order += 's'; e.stopImmediatePropagation() })
      t.addEventListener('y', () => { order += 'never' })
      report(t.dispatchEvent(new Event('x', { cancelable: true })))
      report(t.dispatchEvent(new Event('x')))
      t.removeEventListener('x', listener)
      report(t.dispatchEvent(new CustomEvent('x', { detail: 5 })))
      report(t.dispatchEvent(new Event('y')))
      report(order)
      const ev = new CustomEvent('z', { detail: { a: 1 }, bubbles: true })
      report(ev.detail.a + ':' + ev.bubbles + ':' + ev.composedPath().length + ':' + (ev.timeStamp > 0))
      t.addEventListener('z', (e) => { report(e.composedPath().length + ':' + (e.target === t) + ':' + (e.currentTarget === t)) })
      t.dispatchEvent(ev)
      globalThis.addEventListener('custom', (e) => report('global ' + e.type))
      globalThis.dispatchEvent(new Event('custom'))
    `)
    expect(calls).toEqual([true, true, true, true, 'a2Hxopfalsea2Hxpfalsea2pfalses', '1:true:0:true', '1:true:true', 'global custom'])
    expect(logs).toEqual([])
  })

  it('AbortController, AbortSignal.abort/any/timeout, reasons and abort events', async () => {
    const { calls } = await both(`
      const { AbortController, AbortSignal, DOMException, report } = G
      POISON([[EventTarget.prototype, 'dispatchEvent', 'EventTarget.prototype.dispatchEvent']])
      const c = new AbortController()
      const s = c.signal
      let events = ''
      s.addEventListener('abort', () => { events += 'l' })
      s.onabort = () => { events += 'h' }
      const any = AbortSignal.any(seq(s, new AbortController().signal))
      any.addEventListener('abort', () => { events += 'A' })
      c.abort('why')
      report(s.aborted + ':' + s.reason + ':' + any.aborted + ':' + any.reason + ':' + events)
      const pre = AbortSignal.abort()
      report(typeof pre.reason, pre.reason.name)
      try { pre.throwIfAborted(); report('no throw') } catch (e) { report('threw ' + e.name) }
      const t = AbortSignal.timeout(5)
      await new G.Promise((resolve) => t.addEventListener('abort', () => resolve()))
      report(t.reason.name + ':' + t.reason.message)
      const nested = AbortSignal.any(seq(AbortSignal.any(seq(t))))
      report(nested.aborted + ':' + nested.reason.name)
    `)
    expect(calls).toEqual([
      'true:why:true:why:lhA',
      ['object', 'AbortError'],
      'threw AbortError',
      'TimeoutError:signal timed out',
      'true:TimeoutError',
    ])
  })

  it('an error thrown in a listener is reported, not lost', async () => {
    const { calls, logs } = await both(`
      const { EventTarget, Event, Error, report } = G
      POISON()
      const t = new EventTarget()
      t.addEventListener('x', () => { throw new Error('boom') })
      t.addEventListener('x', () => report('second ran'))
      report(t.dispatchEvent(new Event('x')))
    `)
    expect(calls).toEqual(['second ran', true])
    expect(logs.length).toBe(1)
    expect(logs[0]).toMatch(/^Uncaught Error: boom/)
  })
})

describe('tamper-proof platform: encoding', () => {
  it('TextEncoder/TextDecoder, streaming decode, encodeInto, fatal', async () => {
    const { calls } = await both(`
      const { TextEncoder, TextDecoder, Uint8Array, report } = G
      POISON()
      const bytes = new TextEncoder().encode('héllo €')
      let s = ''
      for (let i = 0; i < G.len(bytes); i++) s += bytes[i] + ' '
      report(s)
      const into = new Uint8Array(4)
      const r = new TextEncoder().encodeInto('añb', into)
      report(r.read + ':' + r.written + ':' + into[0] + ',' + into[1] + ',' + into[2] + ',' + into[3])
      const d = new TextDecoder('utf-8', { fatal: false })
      report(d.decode(u8(0xe2, 0x82), { stream: true }) + '|' + d.decode(u8(0xac), { stream: true }) + '|' + d.decode())
      report(new TextDecoder('windows-1252').decode(u8(0x80, 0x41)))
      try { new TextDecoder('utf-8', { fatal: true }).decode(u8(0xff)); report('no') } catch (e) { report(e.name) }
      const ld = new TextDecoder('UTF-16LE', { ignoreBOM: true })
      report(ld.encoding + ':' + ld.fatal + ':' + ld.ignoreBOM)
    `)
    expect(calls).toEqual([
      '104 195 169 108 108 111 32 226 130 172 ',
      '3:4:97,195,177,98',
      '|€|',
      '€A',
      'TypeError',
      'utf-16le:false:true',
    ])
  })

  it('TextEncoderStream and TextDecoderStream through pipeThrough', async () => {
    const { calls } = await both(`
      const { TextEncoderStream, TextDecoderStream, ReadableStream, Uint8Array, report } = G
      POISON([
        [TextEncoder.prototype, 'encode', 'TextEncoder.prototype.encode'],
        [TextDecoder.prototype, 'decode', 'TextDecoder.prototype.decode'],
        [TextDecoder.prototype, 'encoding', 'TextDecoder.prototype.encoding'],
        [TransformStreamDefaultController.prototype, 'enqueue', 'TransformStreamDefaultController.prototype.enqueue'],
        [ReadableStream.prototype, 'pipeTo', 'ReadableStream.prototype.pipeTo'],
        [WritableStream.prototype, 'getWriter', 'WritableStream.prototype.getWriter'],
        [WritableStreamDefaultWriter.prototype, 'write', 'WritableStreamDefaultWriter.prototype.write'],
      ])
      const rs = new ReadableStream({ start(c) { c.enqueue('a\\uD83D'); c.enqueue('\\uDE00b'); c.enqueue('ü'); c.close() } })
      const bytes = rs.pipeThrough(new TextEncoderStream())
      const out = bytes.pipeThrough(new TextDecoderStream('utf-8'))
      let text = ''
      const reader = out.getReader()
      for (;;) {
        const r = await reader.read()
        if (r.done) break
        text += r.value + '|'
      }
      report(text)
    `, { thenLookups: 4 })
    expect(calls).toEqual(['a|😀b|ü|'])
  })
})

describe('tamper-proof platform: URL', () => {
  it('URL parsing, setters, searchParams, URLSearchParams methods and iteration', async () => {
    const { calls } = await both(`
      const { URL, URLSearchParams, report } = G
      POISON()
      const u = new URL('HTTPS://user:pw@Example.COM:8080/a/../b/c?x=1&y=2&x=3#frag')
      report(u.href + ' ' + u.origin + ' ' + u.host + ' ' + u.pathname + ' ' + u.search + ' ' + u.hash)
      u.pathname = '/p q'
      u.searchParams.append('z', 'a b&c')
      u.searchParams.set('x', '9')
      u.searchParams.delete('y')
      report(u.href)
      report(u.searchParams.get('x') + ':' + u.searchParams.getAll('x').length + ':' + u.searchParams.has('z') + ':' + u.searchParams.size)
      const p = new URLSearchParams('b=2&a=1&c=3&a=0')
      p.sort()
      report(p.toString())
      let s = ''
      p.forEach((v, k) => { s += k + '=' + v + ';' })
      const it = p.entries()
      for (let e = it.next(); !e.done; e = it.next()) s += e.value[0] + e.value[1]
      const ks = p.keys()
      for (let e = ks.next(); !e.done; e = ks.next()) s += e.value
      report(s)
      report(new URLSearchParams(seq(seq('k', 'v'), seq('k2', 'v2'))).toString())
      report(new URLSearchParams({ __proto__: null, r: '1', s: 'two' }).toString())
      report(URL.canParse('nope') + ':' + URL.canParse('/x', 'http://h') + ':' + URL.parse('http://[::1]:80/').href)
      report(u.toJSON() === u.href)
    `)
    expect(calls).toEqual([
      'https://user:pw@example.com:8080/b/c?x=1&y=2&x=3#frag https://example.com:8080 example.com:8080 /b/c ?x=1&y=2&x=3 #frag',
      'https://user:pw@example.com:8080/p%20q?x=9&z=a+b%26c#frag',
      '9:1:true:2',
      'a=1&a=0&b=2&c=3',
      'a=1;a=0;b=2;c=3;a1a0b2c3aabc',
      'k=v&k2=v2',
      'r=1&s=two',
      'false:true:http://[::1]/',
      true,
    ])
  })
})

describe('tamper-proof platform: Blob, File, FormData', () => {
  it('text, arrayBuffer, bytes, slice, stream, File, FormData', async () => {
    const { calls } = await both(`
      const { Blob, File, FormData, Uint8Array, report } = G
      const bin = new Uint8Array([104, 105, 0xe2, 0x82, 0xac])
      const binBuffer = bin.buffer
      POISON([
        [ReadableByteStreamController.prototype, 'enqueue', 'ReadableByteStreamController.prototype.enqueue'],
        [ReadableByteStreamController.prototype, 'close', 'ReadableByteStreamController.prototype.close'],
        [ReadableStreamDefaultController.prototype, 'enqueue', 'ReadableStreamDefaultController.prototype.enqueue'],
        [TextDecoder.prototype, 'decode', 'TextDecoder.prototype.decode'],
        [TextEncoder.prototype, 'encode', 'TextEncoder.prototype.encode'],
      ])
      const b = new Blob(seq("ab", bin, new Blob(seq("cd")), binBuffer), { type: 'Text/Plain' })
      report(b.size + ':' + b.type)
      report(await b.text())
      const ab = await b.arrayBuffer()
      const view = new Uint8Array(ab)
      let s = ''
      for (let i = 0; i < G.len(view); i++) s += view[i] + ','
      report(s)
      report(await b.slice(1, -3, 'x/y').text() + ':' + b.slice(-2).size + ':' + b.slice(1, -3, 'x/y').type)
      const reader = b.stream().getReader()
      let n = 0, chunks = 0
      for (;;) {
        const r = await reader.read()
        if (r.done) break
        n += G.len(r.value)
        chunks++
      }
      report(n + ' bytes')
      const bytes = await b.bytes()
      report(G.len(bytes) + ':' + bytes[0])
      const f = new File(seq('file body'), 'a.txt', { type: 'text/plain', lastModified: 42 })
      report(f.name + ':' + f.lastModified + ':' + f.size + ':' + (await f.text()))
      const fd = new FormData()
      fd.append('a', '1')
      fd.append('f', f)
      fd.append('a', '2')
      fd.set('b', new Blob(seq('blob')), 'b.bin')
      report(fd.getAll('a').length + ':' + fd.get('a') + ':' + fd.has('f') + ':' + fd.get('b').name + ':' + fd.get('f').name)
      let keys = ''
      const it = fd.entries()
      for (let e = it.next(); !e.done; e = it.next()) keys += e.value[0]
      fd.forEach((v, k) => { keys += k })
      report(keys)
      fd.delete('a')
      report(fd.has('a'))
    `, { thenLookups: 4 })
    expect(calls).toEqual([
      '14:text/plain',
      'abhi€cdhi€',
      '97,98,104,105,226,130,172,99,100,104,105,226,130,172,',
      'bhi€cdhi:2:x/y',
      '14 bytes',
      '14:97',
      'a.txt:42:9:file body',
      '2:1:true:b.bin:a.txt',
      'afabafab',
      false,
    ])
  })
})

describe('tamper-proof platform: streams', () => {
  it('read loops, byte streams with BYOB readers, tee, async iteration', async () => {
    const { calls } = await both(`
      const { ReadableStream, Uint8Array, report } = G
      POISON([
        [ReadableStream.prototype, 'values', 'ReadableStream.prototype.values'],
        [ReadableStream.prototype, 'pipeTo', 'ReadableStream.prototype.pipeTo'],
        [WritableStream.prototype, 'getWriter', 'WritableStream.prototype.getWriter'],
      ])
      const rs = new ReadableStream({
        start(c) { c.enqueue('a'); c.enqueue('b') },
        pull(c) { c.enqueue('c'); c.close() },
      }, { highWaterMark: 2 })
      const t = rs.tee()
      const r1 = t[0].getReader()
      let s = ''
      for (;;) { const r = await r1.read(); if (r.done) break; s += r.value }
      for await (const chunk of t[1]) s += chunk.toUpperCase === undefined ? '?' : chunk
      report(s)
      const bytes = new ReadableStream({
        type: 'bytes',
        pull(c) {
          const req = c.byobRequest
          if (req) { req.view[0] = 7; req.view[1] = 8; req.respond(2) } else c.enqueue(u8(1, 2, 3))
          if (++this.n === 2) c.close()
        },
        n: 0,
      })
      const br = bytes.getReader({ mode: 'byob' })
      const first = await br.read(new Uint8Array(4))
      report(G.len(first.value) + ':' + first.value[0] + ':' + first.value[1])
      const second = await br.read(new Uint8Array(4))
      report(second.done + ':' + G.len(second.value))
      const bt = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(u8(5, 6)); c.close() } }).tee()
      const x = await bt[0].getReader().read()
      const y = await bt[1].getReader().read()
      report(x.value[1] + ':' + y.value[1] + ':' + (x.value !== y.value))
    `, { thenLookups: 16 })
    expect(calls).toEqual(['abcabc', '2:7:8', 'false:2', '6:6:true'])
  })

  it('pipeTo, pipeThrough, writers, backpressure, ReadableStream.from, strategies', async () => {
    const { calls } = await both(`
      const { ReadableStream, WritableStream, TransformStream, CountQueuingStrategy, ByteLengthQueuingStrategy, Uint8Array, report } = G
      POISON([
        [EventTarget.prototype, 'addEventListener', 'EventTarget.prototype.addEventListener'],
        [EventTarget.prototype, 'removeEventListener', 'EventTarget.prototype.removeEventListener'],
        [AbortSignal.prototype, 'aborted', 'AbortSignal.prototype.aborted'],
        [AbortSignal.prototype, 'reason', 'AbortSignal.prototype.reason'],
        [ReadableStream.prototype, 'getReader', 'ReadableStream.prototype.getReader'],
        [ReadableStreamDefaultReader.prototype, 'read', 'ReadableStreamDefaultReader.prototype.read'],
        [ReadableStreamDefaultReader.prototype, 'releaseLock', 'ReadableStreamDefaultReader.prototype.releaseLock'],
        [ReadableStream.prototype, 'values', 'ReadableStream.prototype.values'],
      ])
      let written = ''
      const ws = new WritableStream({ write(chunk) { written += chunk + ',' }, close() { written += 'closed' } }, new CountQueuingStrategy({ highWaterMark: 2 }))
      const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk + chunk) }, flush(c) { c.enqueue('end') } })
      const src = ReadableStream.from(seq('a', 'b', 'c'))
      report(await src.pipeThrough(upper).pipeTo(ws))
      report(written)
      const ac = new G.AbortController()
      const abort = G.AbortController.prototype.abort
      const slow = new WritableStream({ write() { return new G.Promise((resolve) => G.setTimeout(resolve, 10)) } })
      const never = new ReadableStream({ start(c) { c.enqueue(1) } })
      const piped = never.pipeTo(slow, { signal: ac.signal })
      G.call(abort, ac, 'stop')
      try { await piped } catch (e) { report('pipe aborted: ' + e) }
      const w = new WritableStream({}, new ByteLengthQueuingStrategy({ highWaterMark: 4 })).getWriter()
      report(w.desiredSize)
      w.write({ byteLength: 3 }) // the strategy's size reads byteLength, by spec
      report(w.desiredSize)
      await w.close()
      const gen = ReadableStream.from((async function* () { yield 1; yield 2 })())
      let sum = 0
      for await (const v of gen) sum += v
      report(sum)
      const errored = new ReadableStream({ start(c) { c.error(new G.TypeError('bad')) } })
      try { await errored.pipeTo(new WritableStream()) } catch (e) { report(e.name + ':' + e.message) }
      const cancelled = new ReadableStream({ cancel(r) { report('cancel ' + r) } })
      await cancelled.cancel('why')
    `, { thenLookups: 28 })
    expect(calls).toEqual([undefined, 'aa,bb,cc,end,closed', 'pipe aborted: stop', 4, 1, 3, 'TypeError:bad', 'cancel why'])
  })

  it('CompressionStream and DecompressionStream round trip through pipeThrough', async () => {
    const { calls } = await both(`
      const { ReadableStream, CompressionStream, DecompressionStream, report } = G
      const pipeThrough = ReadableStream.prototype.pipeThrough
      POISON([
        [ReadableStream.prototype, 'getReader', 'ReadableStream.prototype.getReader'],
        [ReadableStream.prototype, 'tee', 'ReadableStream.prototype.tee'],
        [ReadableStream.prototype, 'pipeThrough', 'ReadableStream.prototype.pipeThrough'],
        [ReadableStream.prototype, 'pipeTo', 'ReadableStream.prototype.pipeTo'],
        [ReadableStreamDefaultReader.prototype, 'read', 'ReadableStreamDefaultReader.prototype.read'],
        [TransformStreamDefaultController.prototype, 'enqueue', 'TransformStreamDefaultController.prototype.enqueue'],
        [WritableStreamDefaultWriter.prototype, 'write', 'WritableStreamDefaultWriter.prototype.write'],
      ])
      const src = new ReadableStream({ start(c) { c.enqueue(u8(122, 105, 112)); c.enqueue(u8(32, 109, 101)); c.close() } })
      const gz = G.call(pipeThrough, src, new CompressionStream('gzip'))
      const out = G.call(pipeThrough, gz, new DecompressionStream('gzip'))
      let s = ''
      for await (const chunk of out) for (let i = 0; i < G.len(chunk); i++) s += chunk[i] + ','
      report(s)
      const bad = G.call(pipeThrough, new ReadableStream({ start(c) { c.enqueue(u8(1, 2, 3)); c.close() } }), new DecompressionStream('deflate'))
      try { for await (const chunk of bad) report('chunk') } catch (e) { report(e.name) }
    `, { thenLookups: 2 })
    expect(calls).toEqual(['122,105,112,32,109,101,', 'TypeError'])
  })
})

describe('tamper-proof platform: bootstrap', () => {
  it('timers, queueMicrotask, structuredClone, atob/btoa, performance, DOMException', async () => {
    const { calls } = await both(`
      const { setTimeout, clearTimeout, setInterval, clearInterval, queueMicrotask, structuredClone, atob, btoa, performance, DOMException, Map, report } = G
      const m = new Map(); m.set('k', { deep: [1, 2] })
      POISON()
      let order = ''
      queueMicrotask(() => { order += 'm' })
      await new G.Promise((resolve) => {
        const cancelled = setTimeout(() => { order += 'never' }, 1)
        clearTimeout(cancelled)
        let ticks = 0
        const iv = setInterval((a, b) => { order += a + b; if (++ticks === 2) { clearInterval(iv); resolve() } }, 1, 'i', 'v')
        setTimeout((x) => { order += x }, 0, 't')
      })
      report(order)
      const copy = structuredClone(m)
      report((copy !== m) + ':' + copy.size + ':' + (copy.get === undefined))
      report(btoa('hi\\u00ff') + ':' + atob('aGn/') .length)
      try { atob('***') } catch (e) { report(e.name + ':' + e.code) }
      const t0 = performance.now()
      report(typeof t0 + ':' + (t0 >= 0) + ':' + (performance.timeOrigin > 0) + ':' + typeof performance.toJSON().timeOrigin)
      const e = new DOMException('msg', 'NotFoundError')
      report(e.name + ':' + e.message + ':' + e.code + ':' + typeof e.stack)
      const e2 = new DOMException('m2', { name: 'DataCloneError', cause: 1 })
      report(e2.name + ':' + e2.code + ':' + e2.cause)
    `)
    expect(calls).toEqual([
      'mtiviv',
      'true:1:false',
      'aGn/:3',
      'InvalidCharacterError:5',
      'number:true:true:number',
      'NotFoundError:msg:8:string',
      'DataCloneError:25:1',
    ])
  })
})

describe('tamper-proof platform: console', () => {
  it('formats user objects the same after builtins are patched', async () => {
    const { logs } = await both(`
      const { console, Map, Set, Symbol, Error } = G
      const values = [
        { a: 1, b: 'two', c: [1, 2, 3], d: { e: null, f: undefined } },
        new Map([['k', 1], [{ o: 1 }, [2]]]),
        new Set(['x', 3]),
        [1, , 'three', { four: 4 }],
        new Uint8Array([1, 2, 3]),
        Symbol('sym'),
        /re+/gi,
        new Date(0),
        function named() {},
        class K { static s = 1 },
        Object.assign(Object.create(null), { nul: true }),
        new (class Point { constructor() { this.x = 1; this.y = 2 } })(),
        'str',
        12.5,
        -0,
        10n,
      ]
      const err = new Error('boom')
      err.stack = 'Error: boom\\n    at here (tamper.js:1:1)'
      POISON([], { constructors: false })
      for (let i = 0; i < values.length; i++) console.log(values[i])
      console.log('%s=%d %o %j', 'n', 42, { x: [1] }, 1)
      console.log(err)
      console.error('many', 1, true, null, undefined)
      console.table([{ a: 1, b: 2 }, { a: 3 }])
      console.dir({ nested: { deeper: { deepest: { x: 1 } } } }, { depth: 0 })
      console.group('g')
      console.info('in group')
      console.groupEnd()
      console.count()
      console.count()
      console.assert(false, 'assertion %s', 'msg')
    `)
    expect(logs).toEqual([
      "{ a: 1, b: 'two', c: [ 1, 2, 3 ], d: { e: null, f: undefined } }",
      "Map(2) { 'k' => 1, { o: 1 } => [ 2 ] }",
      "Set(2) { 'x', 3 }",
      "[ 1, <1 empty item>, 'three', { four: 4 } ]",
      'Uint8Array(3) [ 1, 2, 3 ]',
      'Symbol(sym)',
      '/re+/gi',
      '1970-01-01T00:00:00.000Z',
      '[Function: named]',
      '[class K] { s: 1 }',
      '[Object: null prototype] { nul: true }',
      'Point { x: 1, y: 2 }',
      'str',
      '12.5',
      '-0',
      '10n',
      "n=42 { x: [ 1, [length]: 1 ] } 1",
      'Error: boom\n    at here (tamper.js:1:1)',
      'many 1 true null undefined',
      "┌─────────┬───┬───┐\n│ (index) │ a │ b │\n├─────────┼───┼───┤\n│ 0       │ 1 │ 2 │\n│ 1       │ 3 │   │\n└─────────┴───┴───┘",
      '{ nested: [Object] }',
      '{"type":"group","label":"g","collapsed":false,"groupDepth":0}',
      'in group',
      '{"type":"groupEnd","groupDepth":0}',
      '{"type":"count","label":"default","count":1,"groupDepth":0}',
      '{"type":"count","label":"default","count":2,"groupDepth":0}',
      'Assertion failed: assertion msg',
    ])
  })

  it('a poisoned Symbol.iterator or a throwing getter does not make console.log throw', async () => {
    const { logs, calls } = await both(`
      const { console, report, Symbol } = G
      const arr = [1, 2]
      const weird = { get boom() { throw new Error('getter') }, ok: 1 }
      POISON([], { constructors: false })
      console.log(arr, weird)
      report('after')
    `)
    expect(calls).toEqual(['after'])
    expect(logs).toEqual(['[ 1, 2 ] { boom: [Getter], ok: 1 }'])
  })
})
