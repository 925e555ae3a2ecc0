// Memory that V8 takes from its page allocator rather than from the runtime's ArrayBuffer
// allocator, so that memoryLimitMB counts it (src/web/wasm/mod.rs):
//
// - WebAssembly (https://webassembly.github.io/spec/js-api/): every entry point that takes wasm
//   bytes or makes a memory is wrapped. Module bytes go through natives.clampModule (each memory
//   the module defines gets a maximum within memoryLimitMB, and the module itself is charged a
//   multiple of its size: V8 keeps a copy and compiled code); each Memory / Instance is charged
//   at its clamped maximum. The constructors become Proxies of V8's own, so `instanceof`,
//   `prototype` and subclassing stay V8's. V8 installs `WebAssembly` when it makes each context,
//   after the snapshot: that wrapping runs per runtime (internals.perRuntime).
// - Resizable ArrayBuffers and growable SharedArrayBuffers
//   (https://tc39.es/ecma262/#sec-arraybuffer-constructor): charged at their maxByteLength when
//   made, a RangeError past the limit; `transfer()` hands the charge to the new buffer. ArrayBuffer
//   is wrapped here, in the snapshot; SharedArrayBuffer per runtime (V8 adds it to each context).
//
// A charge is held by a token (an ArrayBuffer that owns it, see util::owner) kept in a WeakMap
// keyed by the charged object: it is given back when that object is garbage collected.
(function (global, natives, internals) {
  'use strict'
  const { define } = internals
  const {
    ArrayBuffer, BigInt, Number,
    MathTrunc, ObjectGetOwnPropertyDescriptor, ObjectValues, PromisePrototypeThen, PromiseReject, Proxy,
    RangeError, ReflectApply, ReflectConstruct, SafeWeakMap, String, StringPrototypeSplit,
    StringPrototypeToLowerCase, StringPrototypeTrim, TypeError, WeakMapPrototypeGet, WeakMapPrototypeHas,
    WeakMapPrototypeSet, uncurryThis,
  } = internals.primordials

  // object -> the token (or tokens) holding its charges.
  const charges = new SafeWeakMap()
  const hold = (object, token) => {
    const held = WeakMapPrototypeGet(charges, object)
    WeakMapPrototypeSet(charges, object, held === undefined ? token : [held, token])
    return object
  }
  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function'

  // https://tc39.es/ecma262/#sec-toindex
  const toIndex = (value) => {
    const n = +value // a TypeError for Symbols and BigInts, as ToNumber
    const integer = n !== n ? 0 : MathTrunc(n)
    if (integer < 0 || integer > 2 ** 53 - 1) throw new RangeError('Invalid array buffer length')
    return integer === 0 ? 0 : integer
  }

  // --- Resizable ArrayBuffer, growable SharedArrayBuffer ------------------------------------------

  // https://tc39.es/ecma262/#sec-arraybuffer-length and #sec-sharedarraybuffer-length: the length
  // and the options are converted once, here, in the spec's order; V8 gets plain numbers.
  const growable = (Target, kind) =>
    new Proxy(Target, {
      __proto__: null,
      construct(target, args, newTarget) {
        const length = toIndex(args[0])
        const options = args[1]
        if (!isObject(options)) return ReflectConstruct(target, [length], newTarget)
        const max = options.maxByteLength
        if (max === undefined) return ReflectConstruct(target, [length], newTarget)
        const maxByteLength = toIndex(max)
        // V8 throws its RangeError (length past the maximum, or past what it can reserve).
        if (length > maxByteLength) return ReflectConstruct(target, [length, { __proto__: null, maxByteLength }], newTarget)
        const token = natives.chargeBuffer(maxByteLength)
        if (token === undefined) {
          throw new RangeError(`${kind} maxByteLength of ${maxByteLength} bytes exceeds memoryLimitMB (${natives.limitMB()} MB)`)
        }
        const buffer = ReflectConstruct(target, [length, { __proto__: null, maxByteLength }], newTarget)
        return hold(buffer, token)
      },
    })
  const ArrayBufferProxy = growable(ArrayBuffer, 'ArrayBuffer')

  // https://tc39.es/ecma262/#sec-arraybuffer.prototype.transfer: the new buffer takes the old one's
  // memory (V8 moves a resizable buffer's reservation), so it takes its charge too.
  const moveCharge = (from, to) => {
    const token = WeakMapPrototypeGet(charges, from)
    if (token !== undefined) hold(to, token)
    return to
  }
  const { transfer, transferToFixedLength } = ArrayBuffer.prototype
  const transfers = {
    transfer() {
      return moveCharge(this, ReflectApply(transfer, this, arguments))
    },
    transferToFixedLength() {
      return moveCharge(this, ReflectApply(transferToFixedLength, this, arguments))
    },
  }
  define(ArrayBuffer.prototype, 'transfer', transfers.transfer)
  define(ArrayBuffer.prototype, 'transferToFixedLength', transfers.transferToFixedLength)
  define(ArrayBuffer.prototype, 'constructor', ArrayBufferProxy)
  define(global, 'ArrayBuffer', ArrayBufferProxy)
  // V8 installs SharedArrayBuffer when it makes each context, after the snapshot.
  internals.perRuntime.push((options) => {
    if (options.warming === true) return
    const SharedArrayBuffer = global.SharedArrayBuffer
    if (typeof SharedArrayBuffer !== 'function') return
    const SharedArrayBufferProxy = growable(SharedArrayBuffer, 'SharedArrayBuffer')
    define(SharedArrayBuffer.prototype, 'constructor', SharedArrayBufferProxy)
    define(global, 'SharedArrayBuffer', SharedArrayBufferProxy)
  })

  // --- WebAssembly --------------------------------------------------------------------------------

  const { Response } = global
  const ResponsePrototypeArrayBuffer = uncurryThis(Response.prototype.arrayBuffer)
  const getter = (proto, name) => uncurryThis(ObjectGetOwnPropertyDescriptor(proto, name).get)
  const ResponsePrototypeGetHeaders = getter(Response.prototype, 'headers')
  const ResponsePrototypeGetOk = getter(Response.prototype, 'ok')
  const ResponsePrototypeGetStatus = getter(Response.prototype, 'status')
  const HeadersPrototypeGet = uncurryThis(global.Headers.prototype.get)

  // Warming compiles install (it returns at once without WebAssembly).
  internals.perRuntime.push((options) => install(options.warming === true ? undefined : global.WebAssembly))
  function install(WA) {
    if (typeof WA !== 'object' || WA === null) return
    const { Module, Instance, Memory, CompileError } = WA
    const originalCompile = WA.compile
    const originalInstantiate = WA.instantiate
    const instanceExports = getter(Instance.prototype, 'exports')
    const memoryBuffer = getter(Memory.prototype, 'buffer')
    const PAGE = 65536

    const moduleBytes = new SafeWeakMap() // Module -> clamped maximum bytes of the memories it defines
    const isMemory = (v) => {
      try {
        memoryBuffer(v)
        return true
      } catch {
        return false
      }
    }

    const charge = (object, bytes) => {
      const token = natives.charge(bytes)
      if (token === false) throw new RangeError('WebAssembly memory exceeds memoryLimitMB')
      return hold(object, token)
    }

    // An instance's memories live at least as long as its exported Memory objects and the
    // instance itself: charge the exported memory when there is one (it may outlive the instance).
    const chargeInstance = (instance, module) => {
      const bytes = WeakMapPrototypeGet(moduleBytes, module) ?? 0
      if (bytes === 0) return instance
      const values = ObjectValues(instanceExports(instance))
      for (let i = 0; i < values.length; i++) {
        if (isMemory(values[i])) return (charge(values[i], bytes), instance)
      }
      return charge(instance, bytes)
    }

    // Bytes -> [clamped bytes, memory bytes, token holding the module's own charge], or undefined
    // when they are not a module we can parse. A module too large for the limit is a RangeError.
    const clamp = (bytes) => natives.clampModule(bytes, natives.limitPages())
    const unchecked = () => new CompileError('WebAssembly module could not be checked against memoryLimitMB')
    const withBytes = (args, bytes) => {
      const copy = [bytes]
      for (let i = 1; i < args.length; i++) copy[i] = args[i]
      return copy
    }
    const known = (module, c) => {
      WeakMapPrototypeSet(moduleBytes, module, c[1])
      return hold(module, c[2])
    }

    // https://webassembly.github.io/spec/js-api/#dom-module-module
    const ModuleProxy = new Proxy(Module, {
      __proto__: null,
      construct(target, args, newTarget) {
        const c = clamp(args[0])
        const module = ReflectConstruct(target, c === undefined ? args : withBytes(args, c[0]), newTarget)
        // V8 accepted what we could not parse: its memories were not clamped.
        if (c === undefined) throw unchecked()
        return known(module, c)
      },
    })

    // https://webassembly.github.io/spec/js-api/#dom-instance-instance
    const InstanceProxy = new Proxy(Instance, {
      __proto__: null,
      construct(target, args, newTarget) {
        return chargeInstance(ReflectConstruct(target, args, newTarget), args[0])
      },
    })

    const MEMORY_KEYS = ['address', 'index', 'initial', 'minimum', 'maximum', 'shared']
    const toPages = (v) => (typeof v === 'bigint' ? v : +v)
    // https://webassembly.github.io/spec/js-api/#dom-memory-memory
    const MemoryProxy = new Proxy(Memory, {
      __proto__: null,
      construct(target, args, newTarget) {
        const given = args[0]
        if (!isObject(given)) return ReflectConstruct(target, args, newTarget)
        // Each member is read once, then handed to V8 already converted.
        const descriptor = { __proto__: null }
        for (let i = 0; i < MEMORY_KEYS.length; i++) {
          const key = MEMORY_KEYS[i]
          const v = given[key]
          if (v !== undefined) descriptor[key] = key === 'initial' || key === 'minimum' || key === 'maximum' ? toPages(v) : v
        }
        const limit = natives.limitPages()
        const big = typeof (descriptor.initial ?? descriptor.minimum) === 'bigint'
        const initial = Number(descriptor.initial ?? descriptor.minimum)
        if (initial > limit) natives.tooLarge(initial)
        const max = descriptor.maximum
        if (max === undefined || Number(max) > limit) descriptor.maximum = big ? BigInt(limit) : limit
        const memory = ReflectConstruct(target, withBytes(args, descriptor), newTarget)
        return charge(memory, Number(descriptor.maximum) * PAGE)
      },
    })

    // .constructor of the prototypes names the wrapper too.
    const wrapped = [[Module, ModuleProxy], [Instance, InstanceProxy], [Memory, MemoryProxy]]
    for (let i = 0; i < wrapped.length; i++) define(wrapped[i][0].prototype, 'constructor', wrapped[i][1])
    define(WA, 'Module', ModuleProxy)
    define(WA, 'Instance', InstanceProxy)
    define(WA, 'Memory', MemoryProxy)

    const compileBytes = (args) => {
      let c
      try {
        c = clamp(args[0])
      } catch (e) {
        return PromiseReject(e)
      }
      const compiled = ReflectApply(originalCompile, WA, c === undefined ? args : withBytes(args, c[0]))
      return PromisePrototypeThen(compiled, (module) => {
        if (c === undefined) throw unchecked()
        return known(module, c)
      })
    }

    // Response -> its body's bytes (https://webassembly.github.io/spec/web-api/#compile-a-potential-webassembly-response).
    // The brand check is the captured `ok` getter's own (it throws for anything but a Response).
    const responseBytes = async (source) => {
      const response = await source
      let ok
      try {
        ok = ResponsePrototypeGetOk(response)
      } catch {
        throw new TypeError('WebAssembly: the argument must be a Response or a promise of one')
      }
      const type = HeadersPrototypeGet(ResponsePrototypeGetHeaders(response), 'content-type')
      if (type === null || StringPrototypeToLowerCase(StringPrototypeTrim(StringPrototypeSplit(type, ';')[0])) !== 'application/wasm') {
        throw new TypeError("WebAssembly: the Response's Content-Type must be application/wasm")
      }
      if (!ok) throw new TypeError(`WebAssembly: the Response's status is ${String(ResponsePrototypeGetStatus(response))}`)
      return ResponsePrototypeArrayBuffer(response)
    }

    const api = {
      // https://webassembly.github.io/spec/js-api/#dom-webassembly-compile
      compile(bytes) {
        return compileBytes(arguments)
      },
      // https://webassembly.github.io/spec/js-api/#dom-webassembly-instantiate
      instantiate(source) {
        if (WeakMapPrototypeHas(moduleBytes, source)) {
          return PromisePrototypeThen(ReflectApply(originalInstantiate, WA, arguments), (instance) => chargeInstance(instance, source))
        }
        const args = arguments
        return PromisePrototypeThen(compileBytes(args), (module) => {
          const rest = [module]
          for (let i = 1; i < args.length; i++) rest[i] = args[i]
          return PromisePrototypeThen(ReflectApply(originalInstantiate, WA, rest), (instance) => ({
            module,
            instance: chargeInstance(instance, module),
          }))
        })
      },
      async compileStreaming(source) {
        return compileBytes([await responseBytes(source)])
      },
      async instantiateStreaming(source) {
        const importObject = arguments[1]
        return api.instantiate(await responseBytes(source), importObject)
      },
    }
    const names = ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']
    for (let i = 0; i < names.length; i++) define(WA, names[i], api[names[i]])
  }
})
