// Isolate-side basics: DOMException, timers, queueMicrotask, structuredClone, atob/btoa,
// performance, self, and the customFunctions globals. Evaluated once per context; `natives` are
// Rust functions that user code never sees. Returns what Rust calls back into.
(function bootstrap(global, natives, internals) {
  'use strict'
  // Captured intrinsics (primordials.js, run just before): user code patching built-ins or
  // replacing globals changes nothing here.
  const {
    Error, Number, NumberIsFinite, ObjectCreate, ObjectDefineProperty, ObjectEntries, ObjectGetOwnPropertyDescriptor,
    ObjectGetOwnPropertyNames, PromiseReject, ReflectApply, SafeArrayIterator, SafeMap, String, StringPrototypeSlice,
    StringPrototypeStartsWith, SymbolToStringTag, TypeError,
  } = internals.primordials
  const define = (obj, name, value) =>
    ObjectDefineProperty(obj, name, { __proto__: null, value, writable: true, configurable: true, enumerable: false })

  // https://webidl.spec.whatwg.org/#idl-DOMException (legacy codes from the error names table)
  const codes = {
    __proto__: null,
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  }
  class DOMException extends Error {
    #name
    #message
    constructor(message = '', options = 'Error') {
      super()
      this.#message = String(message)
      if (options !== null && typeof options === 'object') {
        this.#name = 'name' in options ? String(options.name) : 'Error'
        if ('cause' in options) define(this, 'cause', options.cause)
      } else {
        this.#name = String(options)
      }
      // Own stack, as engines give errors; its first line uses the real name.
      const stack = new Error(this.#message).stack
      define(this, 'stack', typeof stack !== 'string' ? undefined : StringPrototypeStartsWith(stack, 'Error') ? this.#name + StringPrototypeSlice(stack, 5) : stack)
    }
    get name() { return this.#name }
    get message() { return this.#message }
    get code() { return codes[this.#name] ?? 0 }
  }
  for (const { 0: name, 1: code } of new SafeArrayIterator(ObjectEntries(codes))) {
    const key = name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase().replace(/_ERROR$/, '_ERR')
    ObjectDefineProperty(DOMException, key, { __proto__: null, value: code, enumerable: true })
    ObjectDefineProperty(DOMException.prototype, key, { __proto__: null, value: code, enumerable: true })
  }
  ObjectDefineProperty(DOMException.prototype, SymbolToStringTag, { __proto__: null, value: 'DOMException', configurable: true })
  define(global, 'DOMException', DOMException)

  // Timers: https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers
  const timers = new SafeMap()
  let nextTimerId = 1
  const toDelay = (ms) => {
    const n = Number(ms)
    return NumberIsFinite(n) && n > 0 ? n : 0
  }
  // timerStart answers TIMER_KEPT, or (once after the host's runtime.timers.clearAll() dropped
  // timers) that every timer known here before this one is forgotten: it will never fire. For an
  // interval's next round, TIMER_DROPPED: the clearAll() came after its tick was taken, and the
  // interval goes with the others.
  const TIMER_KEPT = 0
  const TIMER_DROPPED = 2
  function schedule(handler, ms, args, repeat) {
    const id = nextTimerId++
    const entry = { handler, args, repeat, ms: toDelay(ms) }
    if (natives.timerStart(id, entry.ms) !== TIMER_KEPT) timers.clear()
    timers.set(id, entry)
    return id
  }
  function clear(id) {
    const key = Number(id)
    if (timers.delete(key)) natives.timerClear(key)
  }
  define(global, 'setTimeout', function setTimeout(handler, timeout = 0, ...args) {
    return schedule(handler, timeout, args, false)
  })
  define(global, 'setInterval', function setInterval(handler, timeout = 0, ...args) {
    return schedule(handler, timeout, args, true)
  })
  define(global, 'clearTimeout', function clearTimeout(id = 0) { clear(id) })
  define(global, 'clearInterval', function clearInterval(id = 0) { clear(id) })
  function fireTimer(id) {
    const t = timers.get(id)
    if (!t) return
    if (t.repeat) {
      const started = natives.timerStart(id, t.ms)
      if (started !== TIMER_KEPT) {
        timers.clear()
        if (started === TIMER_DROPPED) return
        // The only timer that survived a clearAll() being reported now.
        timers.set(id, t)
      }
    } else timers.delete(id)
    if (typeof t.handler !== 'function') return
    try {
      ReflectApply(t.handler, global, t.args)
    } catch (error) {
      // https://html.spec.whatwg.org/multipage/webappapis.html#report-the-exception: an error
      // event on the global (addEventListener('error'), onerror), else logged as uncaught.
      if (typeof internals.reportException !== 'function') throw error
      internals.reportException(error)
    }
  }

  define(global, 'queueMicrotask', function queueMicrotask(callback) {
    if (typeof callback !== 'function') {
      throw new TypeError("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.")
    }
    natives.enqueueMicrotask(callback)
  })

  define(global, 'structuredClone', function structuredClone(value, options = undefined) {
    if (arguments.length === 0) {
      throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.")
    }
    // internals.cloneHost (events.js): platform objects cloned per their interface, or DataCloneError.
    return natives.structuredClone(value, internals.cloneHost)
  })

  // https://html.spec.whatwg.org/multipage/webappapis.html#atob
  define(global, 'btoa', function btoa(data) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.")
    const out = natives.btoa(String(data))
    if (out === undefined) {
      throw new DOMException('The string to be encoded contains characters outside of the Latin1 range.', 'InvalidCharacterError')
    }
    return out
  })
  define(global, 'atob', function atob(data) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required, but only 0 present.")
    const out = natives.atob(String(data))
    if (out === undefined) {
      throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError')
    }
    return out
  })

  // https://w3c.github.io/hr-time/ (per runtime: this script runs once, into the snapshot)
  class Performance {
    constructor() { throw new TypeError('Illegal constructor') }
    get timeOrigin() { return natives.timeOrigin() }
    now() { return natives.now() }
    toJSON() { return { timeOrigin: natives.timeOrigin() } }
  }
  ObjectDefineProperty(Performance.prototype, SymbolToStringTag, { __proto__: null, value: 'Performance', configurable: true })
  const performance = ObjectCreate(Performance.prototype)
  define(global, 'Performance', Performance)
  define(global, 'performance', performance)
  ObjectDefineProperty(global, 'self', { __proto__: null, value: global, writable: true, configurable: true, enumerable: true })
  // For areas that time things (Event.timeStamp) without going through the patchable global.
  internals.now = natives.now

  // customFunctions: globals that call the host.
  const OP_CALL = 0, OP_ITER_OPEN = 1, OP_ITER_NEXT = 2, OP_ITER_RETURN = 3
  const makeFunction = (name, kind, index) => {
    switch (kind) {
      case 'sync':
        return { [name](...args) { return natives.hostSync(index, args) } }[name]
      case 'async':
        // Not an async function: returning the host's promise from one would look up its
        // (user-patchable) `then`.
        return {
          [name](...args) {
            try {
              return natives.hostAsync(OP_CALL, index, args)
            } catch (e) {
              return PromiseReject(e)
            }
          },
        }[name]
      default:
        // An async generator, so `for await`, `break` and `return()` behave as users expect.
        return {
          async *[name](...args) {
            return yield* pullHostIterator(await natives.hostAsync(OP_ITER_OPEN, index, args))
          },
        }[name]
    }
  }
  // Host iterator `id` (an asyncIterator customFunction's, or one nested in a result, see
  // src/wire.js), pulled one host round trip per next(); return() (a `break` out of `for await`)
  // is passed on to the host's iterator.
  async function* pullHostIterator(id) {
    let finished = false
    try {
      while (true) {
        const step = await natives.hostAsync(OP_ITER_NEXT, id, [])
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
      if (!finished) await natives.hostAsync(OP_ITER_RETURN, id, [])
    }
  }
  internals.pullHostIterator = pullHostIterator
  // Setup that cannot live in the snapshot: V8 installs some globals (WebAssembly) only when it
  // makes each context, and some depend on the runtime's options (`options.testEnvironment`).
  // Areas push functions here; they run once per runtime, before user code, given the options.
  const perRuntime = []
  // A hook must do nothing when options.warming is true: each is called so once in the snapshot
  // maker, only so that its bytecode is compiled there and kept in the snapshot; otherwise every
  // runtime would compile every hook from source again (about a third of a runtime's JS setup).
  function installFunctions(functions, options) {
    for (let i = 0; i < perRuntime.length; i++) perRuntime[i](options)
    for (let i = 0; i < functions.length; i++) define(global, functions[i][0], makeFunction(functions[i][0], functions[i][1], i))
  }
  const warmPerRuntime = () => installFunctions([], { __proto__: null, warming: true })
  internals.perRuntime = perRuntime

  internals.DOMException = DOMException
  // WebIDL shaping shared by every area: https://webidl.spec.whatwg.org/#es-interfaces --
  // operations and attributes are enumerable, the @@toStringTag is not.
  internals.define = define
  internals.tag = (cls, name) =>
    ObjectDefineProperty(cls.prototype, SymbolToStringTag, { __proto__: null, value: name, configurable: true })
  internals.webidl = (cls, name) => {
    for (const target of new SafeArrayIterator([cls.prototype, cls])) {
      for (const key of new SafeArrayIterator(ObjectGetOwnPropertyNames(target))) {
        if (key === 'constructor' || key === 'prototype' || key === 'length' || key === 'name') continue
        if (ObjectGetOwnPropertyDescriptor(target, key).configurable) ObjectDefineProperty(target, key, { __proto__: null, enumerable: true })
      }
    }
    internals.tag(cls, name)
  }
  // Host RPC for other areas: isolate -> host calls, and answers to host-initiated operations.
  // Told of each eval's module namespace once it evaluated; areas (serve) replace it to pick up
  // what a module exports.
  internals.evalModuleEvaluated = (namespace) => {}
  internals.hostAsync = natives.hostAsync
  internals.settled = natives.settled
  return { fireTimer, installFunctions, warmPerRuntime }
})
