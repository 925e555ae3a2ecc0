// WebAssembly memory limits (https://webassembly.github.io/spec/js-api/)
//
// Every entry point that takes wasm bytes or makes a memory is wrapped: module bytes go through
// natives.clampModule (each memory the module defines gets a maximum within memoryLimitMB), and
// each Memory / Instance is charged to the runtime's memory budget at its clamped maximum until it
// is garbage collected. The constructors become Proxies of V8's own, so `instanceof`, `prototype`
// and subclassing stay V8's. A module can only be made through these wrappers, so `moduleBytes`
// knows every module.
//
// V8 installs `WebAssembly` when it makes each context, after the snapshot: the wrapping runs per
// runtime (internals.perRuntime).
(function (global, natives, internals) {
  'use strict'
  const { define } = internals
  internals.perRuntime.push(() => install(global.WebAssembly))
  function install(WA) {
  if (typeof WA !== 'object' || WA === null) return
  const { Module, Instance, Memory, CompileError } = WA
  const originalCompile = WA.compile
  const originalInstantiate = WA.instantiate
  const { apply: ReflectApply, construct: ReflectConstruct } = Reflect
  const uncurry = (fn) => (self, ...args) => ReflectApply(fn, self, args)
  const WeakMapGet = uncurry(WeakMap.prototype.get)
  const WeakMapSet = uncurry(WeakMap.prototype.set)
  const WeakMapHas = uncurry(WeakMap.prototype.has)
  const PromiseThen = uncurry(Promise.prototype.then)
  const PromiseReject = Promise.reject.bind(Promise)
  const ObjectValues = Object.values
  const instanceExports = uncurry(Object.getOwnPropertyDescriptor(Instance.prototype, 'exports').get)
  const memoryBuffer = uncurry(Object.getOwnPropertyDescriptor(Memory.prototype, 'buffer').get)
  const PAGE = 65536

  const moduleBytes = new WeakMap() // Module -> clamped maximum bytes of the memories it defines
  const isMemory = (v) => {
    try {
      memoryBuffer(v)
      return true
    } catch {
      return false
    }
  }

  // object -> the token holding its charge (natives.charge): the charge lasts as long as the object.
  const charges = new WeakMap()
  const charge = (object, bytes) => {
    const token = natives.charge(bytes)
    if (token === false) throw new RangeError('WebAssembly memory exceeds memoryLimitMB')
    const held = WeakMapGet(charges, object)
    WeakMapSet(charges, object, held === undefined ? token : [held, token])
    return object
  }

  // An instance's memories live at least as long as its exported Memory objects and the instance
  // itself: charge the exported memory when there is one (it may outlive the instance).
  const chargeInstance = (instance, module) => {
    const bytes = WeakMapGet(moduleBytes, module) ?? 0
    if (bytes === 0) return instance
    const values = ObjectValues(instanceExports(instance))
    for (let i = 0; i < values.length; i++) {
      if (isMemory(values[i])) return (charge(values[i], bytes), instance)
    }
    return charge(instance, bytes)
  }

  // Bytes -> [clamped bytes, memory bytes], or undefined when they are not a module we can parse.
  const clamp = (bytes) => natives.clampModule(bytes, natives.limitPages())
  const unchecked = () => new CompileError('WebAssembly module could not be checked against memoryLimitMB')
  const withBytes = (args, bytes) => {
    const copy = [bytes]
    for (let i = 1; i < args.length; i++) copy[i] = args[i]
    return copy
  }

  // https://webassembly.github.io/spec/js-api/#dom-module-module
  const ModuleProxy = new Proxy(Module, {
    construct(target, args, newTarget) {
      const c = clamp(args[0])
      const module = ReflectConstruct(target, c === undefined ? args : withBytes(args, c[0]), newTarget)
      // V8 accepted what we could not parse: its memories were not clamped.
      if (c === undefined) throw unchecked()
      WeakMapSet(moduleBytes, module, c[1])
      return module
    },
  })

  // https://webassembly.github.io/spec/js-api/#dom-instance-instance
  const InstanceProxy = new Proxy(Instance, {
    construct(target, args, newTarget) {
      return chargeInstance(ReflectConstruct(target, args, newTarget), args[0])
    },
  })

  const MEMORY_KEYS = ['address', 'index', 'initial', 'minimum', 'maximum', 'shared']
  const toPages = (v) => (typeof v === 'bigint' ? v : +v)
  // https://webassembly.github.io/spec/js-api/#dom-memory-memory
  const MemoryProxy = new Proxy(Memory, {
    construct(target, args, newTarget) {
      const given = args[0]
      if ((typeof given !== 'object' && typeof given !== 'function') || given === null) return ReflectConstruct(target, args, newTarget)
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
  for (const [original, proxy] of [[Module, ModuleProxy], [Instance, InstanceProxy], [Memory, MemoryProxy]]) {
    define(original.prototype, 'constructor', proxy)
  }
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
    return PromiseThen(compiled, (module) => {
      if (c === undefined) throw unchecked()
      WeakMapSet(moduleBytes, module, c[1])
      return module
    })
  }

  // Response -> its body's bytes (https://webassembly.github.io/spec/web-api/#compile-a-potential-webassembly-response).
  const responseBytes = async (source) => {
    const response = await source
    if (!(response instanceof global.Response)) throw new TypeError('WebAssembly: the argument must be a Response or a promise of one')
    const type = response.headers.get('content-type')
    if (type === null || type.split(';')[0].trim().toLowerCase() !== 'application/wasm') {
      throw new TypeError("WebAssembly: the Response's Content-Type must be application/wasm")
    }
    if (!response.ok) throw new TypeError(`WebAssembly: the Response's status is ${response.status}`)
    return response.arrayBuffer()
  }

  const api = {
    // https://webassembly.github.io/spec/js-api/#dom-webassembly-compile
    compile(bytes) {
      return compileBytes(arguments)
    },
    // https://webassembly.github.io/spec/js-api/#dom-webassembly-instantiate
    instantiate(source) {
      if (WeakMapHas(moduleBytes, source)) {
        return PromiseThen(ReflectApply(originalInstantiate, WA, arguments), (instance) => chargeInstance(instance, source))
      }
      const args = arguments
      return PromiseThen(compileBytes(args), (module) => {
        const rest = [module]
        for (let i = 1; i < args.length; i++) rest[i] = args[i]
        return PromiseThen(ReflectApply(originalInstantiate, WA, rest), (instance) => ({
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
  for (const name of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) define(WA, name, api[name])
}
})
