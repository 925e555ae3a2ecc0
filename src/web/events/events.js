// Event, EventTarget, CustomEvent, ErrorEvent, MessageEvent, CloseEvent, AbortController,
// AbortSignal, reportError, navigator, MessageChannel, MessagePort, BroadcastChannel (https://dom.spec.whatwg.org/,
// https://html.spec.whatwg.org/multipage/webappapis.html#runtime-script-errors)
//
// The global object is an EventTarget the way a worker's is: addEventListener, removeEventListener
// and dispatchEvent are on it (the same functions as EventTarget.prototype's), and `onerror`.
//
// Offers on `internals`:
//   internals.dispatch(target, event) -> boolean   fire `event` at `target` as the platform does
//                                                  (isTrusted true); false if it was canceled
//   internals.isEvent(v), internals.isEventTarget(v), internals.isAbortSignal(v) -> boolean
//   internals.defineEventHandler(proto, name)      an `on<type>` attribute on proto (name: 'onfoo')
//   internals.reportException(error)               as reportError(error)
//   internals.settingsOrigin() -> string           the global's origin: its location's (the runtime's location option, url.js), else 'null'
//   internals.createAbortSignal() -> AbortSignal   a fresh, non-aborted signal
//   internals.signalAbort(signal, reason)          abort it (reason undefined: an AbortError)
//   internals.addAbortAlgorithm(signal, fn) -> remove()  fn() runs once when the signal aborts,
//                                                  before its abort event; not if already aborted
//   internals.followSignal(following, parent)      https://dom.spec.whatwg.org/#abortsignal-follow
//   internals.createDependentSignal(signals) -> AbortSignal   as AbortSignal.any(signals)
(function (global, natives, internals) {
  'use strict'
  const { define, webidl } = internals
  // Captured intrinsics (primordials.js): user code patching built-ins changes nothing here.
  const {
    ArrayBufferPrototypeGetByteLength, ArrayBufferPrototypeGetDetached, ArrayBufferPrototypeTransfer,
    ArrayPrototypeIncludes, ArrayPrototypeIndexOf, ArrayPrototypePush, ArrayPrototypeSplice, ObjectGetPrototypeOf, SafeArrayCopy,
    Error, FunctionPrototypeSymbolHasInstance, MathTrunc, Number, NumberIsFinite, NumberMAX_SAFE_INTEGER, ObjectDefineProperty, ObjectEntries,
    ObjectFreeze, ObjectGetOwnPropertyDescriptor, ObjectSetPrototypeOf, ReflectApply, SafeArrayIterator, SafeMap, SafeSet, SafeWeakMap,
    SafeWeakRef, String, StringPrototypeSlice, Symbol, SymbolIterator, TypeError,
  } = internals.primordials
  const DOMException = internals.DOMException
  const now = internals.now
  const setTimeout = global.setTimeout
  const required = (n, count, what) => {
    if (n < count) {
      throw new TypeError(`Failed to ${what}: ${count} argument${count > 1 ? 's' : ''} required, but only ${n} present.`)
    }
  }
  // Internal records below are plain objects whose every field is an own property (an accessor a
  // script puts on Object.prototype only sees reads of missing ones); dictionaries that may lack
  // members are null-prototype. A missing dictionary is EMPTY: a fast object (`{ __proto__: null }`
  // literals are slow dictionaries) whose prototype chain ends without Object.prototype.
  const EMPTY = ObjectFreeze(new (class { static { ObjectSetPrototypeOf(this.prototype, null) } })())
  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function'
  const dictionary = (v, what) => {
    if (v === undefined || v === null) return EMPTY
    if (!isObject(v)) throw new TypeError(`Failed to ${what}: The provided value is not of type 'Object'.`)
    return v
  }
  const domString = (v) => {
    if (typeof v === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string')
    return `${v}`
  }
  const illegal = () => { throw new TypeError('Illegal constructor') }
  const SECRET = Symbol('internal')

  // ---------------------------------------------------------------------------------------------
  // Event: https://dom.spec.whatwg.org/#interface-event
  const NONE = 0, CAPTURING_PHASE = 1, AT_TARGET = 2, BUBBLING_PHASE = 3
  let isEvent, setTrusted, dispatchEvent_, checkDispatchable, isTrustedGetter, isTrustedDescriptor, preventDefault, initialize // set in Event's static block
  class Event {
    #type
    #bubbles
    #cancelable
    #composed
    #target = null
    #currentTarget = null
    #phase = NONE
    #stop = false
    #stopImmediate = false
    #canceled = false
    #inPassive = false
    #dispatching = false
    #initialized = true
    #trusted = false
    #timeStamp
    #path = []
    constructor(type, eventInitDict = undefined) {
      required(arguments.length, 1, `construct '${new.target.name}'`)
      this.#type = domString(type)
      const init = dictionary(eventInitDict, `construct '${new.target.name}'`)
      this.#bubbles = !!init.bubbles
      this.#cancelable = !!init.cancelable
      this.#composed = !!init.composed
      this.#timeStamp = now()
      // [LegacyUnforgeable]: an own property of every instance.
      ObjectDefineProperty(this, 'isTrusted', isTrustedDescriptor)
    }
    get type() { return this.#type }
    get target() { return this.#target }
    get srcElement() { return this.#target }
    get currentTarget() { return this.#currentTarget }
    composedPath() { return SafeArrayCopy(this.#path) }
    get eventPhase() { return this.#phase }
    stopPropagation() { this.#stop = true }
    get cancelBubble() { return this.#stop }
    set cancelBubble(value) { if (value) this.#stop = true }
    stopImmediatePropagation() {
      this.#stop = true
      this.#stopImmediate = true
    }
    get bubbles() { return this.#bubbles }
    get cancelable() { return this.#cancelable }
    get returnValue() { return !this.#canceled }
    set returnValue(value) { if (!value) this.#cancel() }
    preventDefault() { this.#cancel() }
    #cancel() {
      if (this.#cancelable && !this.#inPassive) this.#canceled = true
    }
    get defaultPrevented() { return this.#canceled }
    get composed() { return this.#composed }
    get timeStamp() { return this.#timeStamp }
    initEvent(type, bubbles = false, cancelable = false) {
      required(arguments.length, 1, "execute 'initEvent' on 'Event'")
      initialize(this, type, bubbles, cancelable)
    }
    static {
      isEvent = (v) => isObject(v) && #type in v
      setTrusted = (e) => { e.#trusted = true }
      preventDefault = (e) => { e.#cancel() }
      // https://dom.spec.whatwg.org/#concept-event-initialize (initEvent and the legacy init*Event)
      initialize = (e, type, bubbles, cancelable) => {
        if (e.#dispatching) return
        e.#initialized = true
        e.#stop = e.#stopImmediate = e.#canceled = false
        e.#trusted = false
        e.#target = null
        e.#type = domString(type)
        e.#bubbles = !!bubbles
        e.#cancelable = !!cancelable
      }
      isTrustedGetter = ObjectGetOwnPropertyDescriptor({ get isTrusted() { return this.#trusted } }, 'isTrusted').get
      isTrustedDescriptor = ObjectFreeze({ __proto__: null, get: isTrustedGetter, enumerable: true, configurable: false })
      // https://dom.spec.whatwg.org/#concept-event-dispatch, for targets without a parent: the
      // path is [target]; capture listeners run before the others, both at AT_TARGET.
      dispatchEvent_ = (target, event) => {
        event.#dispatching = true
        event.#target = target
        event.#path = [target]
        event.#phase = AT_TARGET
        event.#currentTarget = target
        try {
          invoke(target, event, true)
          invoke(target, event, false)
        } finally {
          event.#phase = NONE
          event.#currentTarget = null
          event.#path = []
          event.#dispatching = false
          event.#stop = false
          event.#stopImmediate = false
        }
        return !event.#canceled
      }
      // https://dom.spec.whatwg.org/#concept-event-listener-inner-invoke
      const invoke = (target, event, capture) => {
        if (event.#stop) return
        const list = listenersOf(target).get(event.#type)
        if (list === undefined) return
        // The listeners as dispatch began: lists only grow in place (removal makes a new list), so
        // the first `n` entries are that clone without copying it.
        const n = list.length
        for (let i = 0; i < n; i++) {
          const l = list[i]
          if (l.removed || l.capture !== capture) continue
          if (l.once) removeListener(target, l)
          if (l.passive) event.#inPassive = true
          try {
            const cb = l.callback
            if (typeof cb === 'function') {
              ReflectApply(cb, event.#currentTarget, [event])
            } else {
              const handle = cb.handleEvent
              if (typeof handle !== 'function') throw new TypeError("'handleEvent' property of the event listener is not a function")
              ReflectApply(handle, cb, [event])
            }
          } catch (e) {
            reportException(e)
          }
          event.#inPassive = false
          if (event.#stopImmediate) break
        }
      }
      checkDispatchable = (event) => {
        if (event.#dispatching || !event.#initialized) {
          throw new DOMException("Failed to execute 'dispatchEvent' on 'EventTarget': The event is already being dispatched.", 'InvalidStateError')
        }
        event.#trusted = false
      }
    }
  }
  for (const { 0: k, 1: v } of new SafeArrayIterator(ObjectEntries({ NONE, CAPTURING_PHASE, AT_TARGET, BUBBLING_PHASE }))) {
    ObjectDefineProperty(Event, k, { __proto__: null, value: v, enumerable: true })
    ObjectDefineProperty(Event.prototype, k, { __proto__: null, value: v, enumerable: true })
  }
  webidl(Event, 'Event')

  // ---------------------------------------------------------------------------------------------
  // EventTarget: https://dom.spec.whatwg.org/#interface-eventtarget
  // Listener lists by target (and by type); a WeakMap so the global object can be a target too.
  // The global object's own entries are kept aside: it is not a reliable WeakMap key across the
  // startup snapshot (a runtime's global proxy is a new object that only compares === to `global`).
  const targets = new SafeWeakMap()
  const globalListeners = new SafeMap()
  const listenersOf = (target) => {
    // WebIDL: an operation called with an undefined or null `this` acts on the global object.
    if (target === undefined || target === null || target === global) return globalListeners
    const map = targets.get(target)
    if (map === undefined) throw new TypeError('Illegal invocation')
    return map
  }
  const thisTarget = (t) => (t === undefined || t === null ? global : t)
  // https://dom.spec.whatwg.org/#concept-flatten-options
  const flatten = (options, what) => {
    if (!isObject(options)) return { capture: !!options, once: false, passive: false, signal: null }
    const capture = !!options.capture
    const once = !!options.once
    const passive = !!options.passive
    let signal = options.signal
    if (signal === undefined) signal = null
    else if (!isAbortSignal(signal)) {
      throw new TypeError(`Failed to execute '${what}' on 'EventTarget': Failed to read the 'signal' property from 'AddEventListenerOptions': Failed to convert value to 'AbortSignal'.`)
    }
    return { capture, once, passive, signal }
  }
  const checkCallback = (callback, what) => {
    if (callback !== null && callback !== undefined && !isObject(callback)) {
      throw new TypeError(`Failed to execute '${what}' on 'EventTarget': The callback provided as parameter 2 is not an object.`)
    }
  }
  // https://dom.spec.whatwg.org/#add-an-event-listener
  const addListener = (target, type, callback, { capture, once, passive, signal }) => {
    const map = listenersOf(target)
    if (signal !== null && signalAborted(signal)) return
    if (callback === null || callback === undefined) return
    let list = map.get(type)
    if (list === undefined) map.set(type, (list = []))
    for (let i = 0; i < list.length; i++) {
      if (list[i].callback === callback && list[i].capture === capture) return
    }
    const l = { type, callback, capture, once, passive, removed: false }
    ArrayPrototypePush(list, l)
    if (signal !== null) addAbortAlgorithm(signal, () => removeListener(target, l))
    if (type === 'abort' && isAbortSignal(target)) keepDependentAlive(target)
    return l
  }
  const removeListener = (target, l) => {
    l.removed = true
    const map = listenersOf(target)
    const list = map.get(l.type)
    if (list === undefined) return
    const i = ArrayPrototypeIndexOf(list, l)
    if (i === -1) return
    if (list.length === 1) return map.delete(l.type)
    // A new list: a dispatch under way keeps iterating the one it started with.
    const rest = SafeArrayCopy(list, 0, i)
    for (let j = i + 1; j < list.length; j++) ArrayPrototypePush(rest, list[j])
    map.set(l.type, rest)
  }
  class EventTarget {
    constructor() {
      targets.set(this, new SafeMap())
    }
    addEventListener(type, callback, options = undefined) {
      required(arguments.length, 2, "execute 'addEventListener' on 'EventTarget'")
      const target = thisTarget(this)
      listenersOf(target)
      type = domString(type)
      checkCallback(callback, 'addEventListener')
      addListener(target, type, callback, flatten(options, 'addEventListener'))
    }
    removeEventListener(type, callback, options = undefined) {
      required(arguments.length, 2, "execute 'removeEventListener' on 'EventTarget'")
      const target = thisTarget(this)
      const map = listenersOf(target)
      type = domString(type)
      checkCallback(callback, 'removeEventListener')
      const capture = isObject(options) ? !!options.capture : !!options
      const list = map.get(type)
      if (list === undefined) return
      for (let i = 0; i < list.length; i++) {
        const l = list[i]
        if (l.callback === callback && l.capture === capture) return removeListener(target, l)
      }
    }
    dispatchEvent(event) {
      required(arguments.length, 1, "execute 'dispatchEvent' on 'EventTarget'")
      const target = thisTarget(this)
      listenersOf(target)
      if (!isEvent(event)) {
        throw new TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.")
      }
      checkDispatchable(event)
      return dispatchEvent_(target, event)
    }
  }
  webidl(EventTarget, 'EventTarget')
  const isEventTarget = (v) => isObject(v) && (v === global || targets.has(v))

  // https://html.spec.whatwg.org/multipage/webappapis.html#event-handler-attributes
  const handlers = new SafeWeakMap() // target -> Map(name -> { value, listener })
  const globalHandlers = new SafeMap()
  const handlersOf = (target, create) => {
    if (target === global) return globalHandlers
    let map = handlers.get(target)
    if (map === undefined && create) handlers.set(target, (map = new SafeMap()))
    return map
  }
  const makeHandlerCallback = (target, name) => function (event) {
    const h = handlersOf(target, false)?.get(name)?.value
    if (typeof h !== 'function') return
    // https://html.spec.whatwg.org/multipage/webappapis.html#the-event-handler-processing-algorithm
    if (name === 'onerror' && target === global && isErrorEvent(event)) {
      const ret = ReflectApply(h, this, [event.message, event.filename, event.lineno, event.colno, event.error])
      if (ret === true) preventDefault(event)
      return
    }
    const ret = ReflectApply(h, this, [event])
    if (ret === false) preventDefault(event)
  }
  const handlerGet = (target, name) => handlersOf(target, false)?.get(name)?.value ?? null
  const handlerSet = (target, name, value) => {
    listenersOf(target)
    // [LegacyTreatNonObjectAsNull]
    if (!isObject(value)) value = null
    const map = handlersOf(target, true)
    let entry = map.get(name)
    if (entry === undefined) map.set(name, (entry = { value: null, listener: null }))
    entry.value = value
    if (value === null) {
      if (entry.listener !== null) removeListener(target, entry.listener)
      entry.listener = null
    } else if (entry.listener === null) {
      const opts = { capture: false, once: false, passive: false, signal: null }
      entry.listener = addListener(target, StringPrototypeSlice(name, 2), makeHandlerCallback(target, name), opts)
    }
  }
  const defineEventHandler = (proto, name) => {
    const get = { [`get ${name}`]() { return handlerGet(thisTarget(this), name) } }[`get ${name}`]
    const set = { [`set ${name}`](v) { handlerSet(thisTarget(this), name, v) } }[`set ${name}`]
    ObjectDefineProperty(proto, name, { __proto__: null, get, set, enumerable: true, configurable: true })
  }

  // ---------------------------------------------------------------------------------------------
  // CustomEvent, ErrorEvent, MessageEvent, CloseEvent
  class CustomEvent extends Event {
    #detail
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) super()
      else super(type, eventInitDict)
      const init = eventInitDict ?? EMPTY
      this.#detail = init.detail === undefined ? null : init.detail
    }
    get detail() { return this.#detail }
    initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
      required(arguments.length, 1, "execute 'initCustomEvent' on 'CustomEvent'")
      initialize(this, type, bubbles, cancelable)
      this.#detail = detail
    }
  }
  webidl(CustomEvent, 'CustomEvent')

  // https://html.spec.whatwg.org/multipage/webappapis.html#errorevent
  let isErrorEvent
  class ErrorEvent extends Event {
    #message
    #filename
    #lineno
    #colno
    #error
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) super()
      else super(type, eventInitDict)
      const init = eventInitDict ?? EMPTY
      // Members in the order WebIDL reads them (sorted).
      this.#colno = init.colno === undefined ? 0 : init.colno >>> 0
      this.#error = init.error
      this.#filename = init.filename === undefined ? '' : domString(init.filename)
      this.#lineno = init.lineno === undefined ? 0 : init.lineno >>> 0
      this.#message = init.message === undefined ? '' : domString(init.message)
    }
    get message() { return this.#message }
    get filename() { return this.#filename }
    get lineno() { return this.#lineno }
    get colno() { return this.#colno }
    get error() { return this.#error }
    static { isErrorEvent = (v) => isObject(v) && #message in v }
  }
  webidl(ErrorEvent, 'ErrorEvent')

  // https://html.spec.whatwg.org/multipage/comms.html#messageevent
  class MessageEvent extends Event {
    #data
    #origin
    #lastEventId
    #source
    #ports
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) super()
      else super(type, eventInitDict)
      const init = eventInitDict ?? EMPTY
      this.#data = init.data === undefined ? null : init.data
      this.#lastEventId = init.lastEventId === undefined ? '' : domString(init.lastEventId)
      this.#origin = init.origin === undefined ? '' : domString(init.origin)
      this.#ports = ObjectFreeze(portList(init.ports))
      this.#source = init.source === undefined ? null : init.source
    }
    get data() { return this.#data }
    get origin() { return this.#origin }
    get lastEventId() { return this.#lastEventId }
    get source() { return this.#source }
    get ports() { return this.#ports }
    initMessageEvent(type, bubbles = false, cancelable = false, data = null, origin = '', lastEventId = '', source = null, ports = []) {
      required(arguments.length, 1, "execute 'initMessageEvent' on 'MessageEvent'")
      initialize(this, type, bubbles, cancelable)
      this.#data = data
      this.#origin = domString(origin)
      this.#lastEventId = domString(lastEventId)
      this.#source = source
      this.#ports = ObjectFreeze(portList(ports))
    }
  }
  const portList = (ports) => {
    if (ports === undefined) return []
    if (!isObject(ports) || typeof ports[SymbolIterator] !== 'function') {
      throw new TypeError("Failed to construct 'MessageEvent': The provided value cannot be converted to a sequence.")
    }
    return [...ports]
  }
  webidl(MessageEvent, 'MessageEvent')

  // https://websockets.spec.whatwg.org/#the-closeevent-interface
  class CloseEvent extends Event {
    #wasClean
    #code
    #reason
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) super()
      else super(type, eventInitDict)
      const init = eventInitDict ?? EMPTY
      this.#code = init.code === undefined ? 0 : (init.code >>> 0) & 0xffff
      this.#reason = init.reason === undefined ? '' : domString(init.reason)
      this.#wasClean = !!init.wasClean
    }
    get wasClean() { return this.#wasClean }
    get code() { return this.#code }
    get reason() { return this.#reason }
  }
  webidl(CloseEvent, 'CloseEvent')

  // ---------------------------------------------------------------------------------------------
  // AbortSignal, AbortController: https://dom.spec.whatwg.org/#interface-AbortSignal
  let isAbortSignal, signalAborted, signalAbort, addAbortAlgorithm, keepDependentAlive, createSignal, createDependent
  class AbortSignal extends EventTarget {
    #aborted = false
    #reason = undefined
    #algorithms = new SafeSet()
    #dependent = false
    #sources = [] // source signals (never aborted, never dependent)
    #dependents = new SafeSet() // WeakRefs to dependent signals
    #keep = new SafeSet() // dependents kept alive while they have abort listeners or algorithms
    #ref = null // a WeakRef to this signal, once it is a dependent
    constructor(key = undefined) {
      if (key !== SECRET) illegal()
      super()
    }
    static abort(reason = undefined) {
      const s = createSignal()
      s.#aborted = true
      s.#reason = reason === undefined ? abortError() : reason
      return s
    }
    static timeout(milliseconds) {
      required(arguments.length, 1, "execute 'timeout' on 'AbortSignal'")
      const ms = enforceRange(milliseconds, "execute 'timeout' on 'AbortSignal'")
      const s = createSignal()
      // The timer holds the signal until it fires; nothing else does.
      setTimeout(() => signalAbort(s, new DOMException('signal timed out', 'TimeoutError')), ms)
      return s
    }
    static any(signals) {
      required(arguments.length, 1, "execute 'any' on 'AbortSignal'")
      if (!isObject(signals) || typeof signals[SymbolIterator] !== 'function') {
        throw new TypeError("Failed to execute 'any' on 'AbortSignal': The provided value cannot be converted to a sequence.")
      }
      // WebIDL sequence<AbortSignal>: the caller's own iterator, by spec.
      const list = [...signals]
      for (let i = 0; i < list.length; i++) {
        const s = list[i]
        if (!isAbortSignal(s)) throw new TypeError("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'.")
      }
      return createDependent(list)
    }
    get aborted() { return this.#aborted }
    get reason() { return this.#reason }
    throwIfAborted() {
      if (this.#aborted) throw this.#reason
    }
    static {
      isAbortSignal = (v) => isObject(v) && #aborted in v
      signalAborted = (s) => s.#aborted
      createSignal = () => new AbortSignal(SECRET)
      // https://dom.spec.whatwg.org/#create-a-dependent-abort-signal
      createDependent = (signals) => {
        const result = createSignal()
        result.#dependent = true
        for (let i = 0; i < signals.length; i++) {
          const s = signals[i]
          if (s.#aborted) {
            result.#aborted = true
            result.#reason = s.#reason
            return result
          }
        }
        result.#ref = new SafeWeakRef(result)
        const link = (source) => {
          if (ArrayPrototypeIncludes(result.#sources, source)) return
          ArrayPrototypePush(result.#sources, source)
          source.#dependents.add(result.#ref)
        }
        for (let i = 0; i < signals.length; i++) {
          const s = signals[i]
          if (!s.#dependent) link(s)
          else for (let j = 0; j < s.#sources.length; j++) link(s.#sources[j])
        }
        return result
      }
      keepDependentAlive = (s) => {
        if (!s.#dependent || s.#aborted) return
        for (let i = 0; i < s.#sources.length; i++) s.#sources[i].#keep.add(s)
      }
      addAbortAlgorithm = (s, fn) => {
        if (s.#aborted) return () => {}
        const entry = () => fn()
        s.#algorithms.add(entry)
        keepDependentAlive(s)
        return () => { s.#algorithms.delete(entry) }
      }
      // https://dom.spec.whatwg.org/#abortsignal-signal-abort
      signalAbort = (s, reason) => {
        if (s.#aborted) return
        s.#aborted = true
        s.#reason = reason === undefined ? abortError() : reason
        const dependents = []
        for (const ref of s.#dependents) {
          const d = ref.deref()
          if (d !== undefined && !d.#aborted) {
            d.#aborted = true
            d.#reason = s.#reason
            ArrayPrototypePush(dependents, d)
          }
        }
        s.#dependents.clear()
        s.#keep.clear()
        abortSteps(s)
        for (let i = 0; i < dependents.length; i++) abortSteps(dependents[i])
      }
      const abortSteps = (s) => {
        // A dependent no longer needs its sources, nor they it.
        for (let i = 0; i < s.#sources.length; i++) {
          const source = s.#sources[i]
          source.#keep.delete(s)
          if (s.#ref !== null) source.#dependents.delete(s.#ref)
        }
        s.#sources = []
        const algorithms = [...s.#algorithms]
        s.#algorithms.clear()
        for (let i = 0; i < algorithms.length; i++) {
          const fn = algorithms[i]
          try {
            fn()
          } catch (e) {
            reportException(e)
          }
        }
        const event = new Event('abort')
        setTrusted(event)
        dispatchEvent_(s, event)
      }
    }
  }
  defineEventHandler(AbortSignal.prototype, 'onabort')
  webidl(AbortSignal, 'AbortSignal')
  const abortError = () => new DOMException('signal is aborted without reason', 'AbortError')
  // WebIDL [EnforceRange] unsigned long long
  const enforceRange = (v, what) => {
    const n = Number(v)
    if (!NumberIsFinite(n)) throw new TypeError(`Failed to ${what}: Value is not of type 'unsigned long long'.`)
    const t = MathTrunc(n)
    if (t < 0 || t > NumberMAX_SAFE_INTEGER) {
      throw new TypeError(`Failed to ${what}: Value is outside the 'unsigned long long' value range.`)
    }
    return t
  }

  class AbortController {
    #signal = createSignal()
    get signal() { return this.#signal }
    abort(reason = undefined) { signalAbort(this.#signal, reason) }
  }
  webidl(AbortController, 'AbortController')

  // ---------------------------------------------------------------------------------------------
  // reportError: https://html.spec.whatwg.org/multipage/webappapis.html#report-an-exception
  let reporting = false
  const logUncaught = (error) => {
    if (consoleError !== null) ReflectApply(consoleError, consoleObject, ['Uncaught', error])
  }
  // The console is installed after this area; taken once per runtime, before user code.
  let consoleObject = null, consoleError = null
  internals.perRuntime.push(() => {
    const c = global.console
    if (isObject(c) && typeof c.error === 'function') {
      consoleObject = c
      consoleError = c.error
    }
  })
  const describe = (error) => {
    try {
      return `Uncaught ${FunctionPrototypeSymbolHasInstance(Error, error) ? `${error.name}: ${error.message}` : String(error)}`
    } catch {
      return 'Uncaught exception'
    }
  }
  function reportException(error) {
    // An error thrown while an error is being reported only goes to the console.
    if (reporting) return logUncaught(error)
    reporting = true
    try {
      const event = new ErrorEvent('error', { __proto__: null, cancelable: true, message: describe(error), error })
      setTrusted(event)
      if (dispatchEvent_(global, event)) logUncaught(error)
    } finally {
      reporting = false
    }
  }
  define(global, 'reportError', function reportError(e) {
    required(arguments.length, 1, "execute 'reportError'")
    reportException(e)
  })

  // ---------------------------------------------------------------------------------------------
  // https://html.spec.whatwg.org/multipage/system-state.html#the-navigator-object
  class Navigator {
    constructor(key = undefined) {
      if (key !== SECRET) illegal()
    }
    get userAgent() {
      if (this !== navigator) throw new TypeError('Illegal invocation')
      return 'edge-isolate/0.1'
    }
    // https://html.spec.whatwg.org/multipage/workers.html#navigator.hardwareconcurrency
    // A script runs on one thread and can start no workers: 1, as Cloudflare Workers report
    // (the host's core count is not the sandbox's to know).
    get hardwareConcurrency() {
      if (this !== navigator) throw new TypeError('Illegal invocation')
      return 1
    }
    // https://html.spec.whatwg.org/multipage/system-state.html#language-preferences: fixed, so a
    // script learns nothing of the host's locale settings.
    get language() {
      if (this !== navigator) throw new TypeError('Illegal invocation')
      return 'en-US'
    }
    get languages() {
      if (this !== navigator) throw new TypeError('Illegal invocation')
      return languages
    }
  }
  const languages = ObjectFreeze(['en-US'])
  webidl(Navigator, 'Navigator')
  const navigator = new Navigator(SECRET)

  // ---------------------------------------------------------------------------------------------
  // MessageChannel, MessagePort, BroadcastChannel within the isolate:
  // https://html.spec.whatwg.org/multipage/web-messaging.html
  // A message is structured-cloned when it is posted (so `messageerror` never fires: a value that
  // cannot be cloned throws DataCloneError at postMessage), its transferred ArrayBuffers are
  // detached and its transferred ports handed over; each delivery is a task of its own (a timer
  // task), one message per task. Queues live on the JS heap: a script that posts without end fills
  // it and the runtime ends with MemoryLimitError. MessagePorts reach the receiver through
  // `event.ports` (a port inside the message's value arrives as a plain object).
  const structuredClone = global.structuredClone
  const tasks = [] // [fn], run one per timer task, first in first out
  let taskHead = 0
  let pumping = false
  const pump = () => {
    const fn = tasks[taskHead]
    tasks[taskHead++] = undefined
    if (taskHead === tasks.length) {
      tasks.length = 0
      taskHead = 0
      pumping = false
    } else {
      setTimeout(pump, 0)
    }
    fn()
  }
  const queueTask = (fn) => {
    ArrayPrototypePush(tasks, fn)
    if (!pumping) {
      pumping = true
      setTimeout(pump, 0)
    }
  }
  const fire = (target, type, init) => {
    const event = type === 'message' ? new MessageEvent(type, init) : new Event(type)
    setTrusted(event)
    dispatchEvent_(target, event)
  }
  const dataCloneError = (message) => new DOMException(message, 'DataCloneError')
  const isArrayBuffer = (v) => {
    try {
      ArrayBufferPrototypeGetByteLength(v) // throws for anything but a (non-shared) ArrayBuffer
      return true
    } catch {
      return false
    }
  }
  // sequence<object> transfer, or StructuredSerializeOptions { transfer }
  const transferList = (v, what) => {
    let list = v
    if (!(isObject(v) && typeof v[SymbolIterator] === 'function')) {
      list = dictionary(v, what).transfer
      if (list === undefined) return []
      if (!isObject(list) || typeof list[SymbolIterator] !== 'function') {
        throw new TypeError(`Failed to ${what}: The provided value cannot be converted to a sequence.`)
      }
    }
    const out = []
    for (const item of list) {
      if (!isObject(item)) throw new TypeError(`Failed to ${what}: Value is not of type 'object'.`)
      ArrayPrototypePush(out, item)
    }
    return out
  }
  let portState // (port) -> its record; set in MessagePort's static block
  let newPort
  // https://html.spec.whatwg.org/multipage/structured-data.html#structuredserializewithtransfer,
  // then the transfer: returns { data, ports } for the receiving side.
  const serializeWithTransfer = (message, transfer, source) => {
    const seen = new SafeSet()
    for (let i = 0; i < transfer.length; i++) {
      const t = transfer[i]
      if (t === source) throw dataCloneError('Failed to execute \'postMessage\' on \'MessagePort\': Port at index ' + i + ' contains the source port.')
      if (portState(t) === undefined && !isArrayBuffer(t)) throw dataCloneError(`Value at index ${i} of the transfer list is not transferable (only ArrayBuffers and MessagePorts are).`)
      if (seen.has(t)) throw dataCloneError(`Value at index ${i} of the transfer list is a duplicate.`)
      seen.add(t)
    }
    const data = structuredClone(message)
    for (let i = 0; i < transfer.length; i++) {
      const t = transfer[i]
      const s = portState(t)
      if (s !== undefined ? s.detached : ArrayBufferPrototypeGetDetached(t)) {
        throw dataCloneError(`Value at index ${i} of the transfer list is detached (closed or already transferred).`)
      }
    }
    const ports = []
    for (let i = 0; i < transfer.length; i++) {
      const t = transfer[i]
      if (portState(t) === undefined) ArrayBufferPrototypeTransfer(t) // detaches it; `data` holds a copy
      else ArrayPrototypePush(ports, newPort(t))
    }
    return { data, ports }
  }

  class MessagePort extends EventTarget {
    #s
    constructor(key = undefined) {
      if (key !== SECRET) illegal()
      super()
      // other: the entangled port; queue: messages waiting for start(); enabled: start() called
      this.#s = { other: null, queue: [], head: 0, enabled: false, detached: false }
    }
    static {
      portState = (v) => (isObject(v) && #s in v ? v.#s : undefined)
      // The transfer steps: a new port takes over `port`'s entanglement and queue.
      newPort = (port) => {
        const from = port.#s
        const p = new MessagePort(SECRET)
        const s = p.#s
        s.queue = SafeArrayCopy(from.queue, from.head)
        s.other = from.other
        if (s.other !== null) s.other.#s.other = p
        from.other = null
        from.queue = []
        from.head = 0
        from.detached = true
        return p
      }
    }
    #deliver() {
      const s = this.#s
      if (s.head >= s.queue.length) return
      const m = s.queue[s.head]
      s.queue[s.head++] = undefined
      if (s.head === s.queue.length) {
        s.queue = []
        s.head = 0
      }
      fire(this, 'message', { data: m.data, ports: m.ports })
    }
    postMessage(message, transfer = undefined) {
      const what = "execute 'postMessage' on 'MessagePort'"
      if (!(#s in this)) throw new TypeError('Illegal invocation')
      required(arguments.length, 1, what)
      const list = transferList(transfer, what)
      const m = serializeWithTransfer(message, list, this)
      const target = this.#s.other
      if (target === null) return // not entangled (closed, or the other side closed): dropped
      const t = target.#s
      ArrayPrototypePush(t.queue, m)
      if (t.enabled) queueTask(() => target.#deliver())
    }
    start() {
      if (!(#s in this)) throw new TypeError('Illegal invocation')
      const s = this.#s
      if (s.enabled || s.detached) return
      s.enabled = true
      for (let i = s.head; i < s.queue.length; i++) queueTask(() => this.#deliver())
    }
    close() {
      if (!(#s in this)) throw new TypeError('Illegal invocation')
      const s = this.#s
      s.detached = true
      const other = s.other
      if (other === null) return
      // https://html.spec.whatwg.org/multipage/web-messaging.html#disentangle: both sides get `close`.
      s.other = null
      other.#s.other = null
      queueTask(() => fire(other, 'close'))
      queueTask(() => fire(this, 'close'))
    }
  }
  defineEventHandler(MessagePort.prototype, 'onmessage')
  defineEventHandler(MessagePort.prototype, 'onmessageerror')
  defineEventHandler(MessagePort.prototype, 'onclose')
  {
    // Setting onmessage starts the port (https://html.spec.whatwg.org/multipage/web-messaging.html#dom-messageport-onmessage).
    const d = ObjectGetOwnPropertyDescriptor(MessagePort.prototype, 'onmessage')
    const set = d.set
    const start = MessagePort.prototype.start
    ObjectDefineProperty(MessagePort.prototype, 'onmessage', { __proto__: null, set: { 'set onmessage'(v) {
      ReflectApply(set, this, [v])
      ReflectApply(start, this, [])
    } }['set onmessage'] })
  }
  webidl(MessagePort, 'MessagePort')

  class MessageChannel {
    #port1
    #port2
    constructor() {
      const a = new MessagePort(SECRET)
      const b = new MessagePort(SECRET)
      portState(a).other = b
      portState(b).other = a
      this.#port1 = a
      this.#port2 = b
    }
    get port1() { return this.#port1 }
    get port2() { return this.#port2 }
  }
  webidl(MessageChannel, 'MessageChannel')

  // https://html.spec.whatwg.org/multipage/web-messaging.html#broadcasting-to-other-browsing-contexts:
  // every channel of the isolate with the same name, in creation order.
  const channels = new SafeMap() // name -> [BroadcastChannel], open ones only
  const originOf = () => {
    // The runtime's `location` option (url.js) gives it its origin; else a location the host
    // defined on the global does; else it has an opaque one: 'null'.
    const own = internals.locationOrigin?.() ?? null
    if (own !== null) return own
    const d = ObjectGetOwnPropertyDescriptor(global, 'location')
    const l = d !== undefined && 'value' in d ? d.value : undefined
    const o = isObject(l) ? ObjectGetOwnPropertyDescriptor(l, 'origin') ?? ObjectGetOwnPropertyDescriptor(ObjectGetPrototypeOf(l) ?? EMPTY, 'origin') : undefined
    if (o === undefined) return 'null'
    const v = 'value' in o ? o.value : typeof o.get === 'function' ? ReflectApply(o.get, l, []) : undefined
    return typeof v === 'string' ? v : 'null'
  }
  class BroadcastChannel extends EventTarget {
    #name
    #closed = false
    constructor(name) {
      required(arguments.length, 1, "construct 'BroadcastChannel'")
      super()
      this.#name = domString(name)
      let list = channels.get(this.#name)
      if (list === undefined) channels.set(this.#name, (list = []))
      ArrayPrototypePush(list, this)
    }
    get name() { return this.#name }
    postMessage(message) {
      const what = "execute 'postMessage' on 'BroadcastChannel'"
      if (!(#closed in this)) throw new TypeError('Illegal invocation')
      required(arguments.length, 1, what)
      if (this.#closed) throw new DOMException(`Failed to ${what}: Channel is closed`, 'InvalidStateError')
      const data = structuredClone(message)
      const origin = originOf()
      const list = channels.get(this.#name)
      for (let i = 0; i < list.length; i++) {
        const dest = list[i]
        if (dest === this) continue
        // Each destination gets its own copy, cloned now (its delivery is a task of its own).
        const copy = structuredClone(data)
        queueTask(() => { if (!dest.#closed) fire(dest, 'message', { data: copy, origin }) })
      }
    }
    close() {
      if (!(#closed in this)) throw new TypeError('Illegal invocation')
      if (this.#closed) return
      this.#closed = true
      const list = channels.get(this.#name)
      const i = ArrayPrototypeIndexOf(list, this)
      if (i >= 0) ArrayPrototypeSplice(list, i, 1)
      if (list.length === 0) channels.delete(this.#name)
    }
  }
  defineEventHandler(BroadcastChannel.prototype, 'onmessage')
  defineEventHandler(BroadcastChannel.prototype, 'onmessageerror')
  webidl(BroadcastChannel, 'BroadcastChannel')

  for (const cls of new SafeArrayIterator([Event, EventTarget, CustomEvent, ErrorEvent, MessageEvent, CloseEvent, AbortSignal, AbortController, Navigator, MessageChannel, MessagePort, BroadcastChannel])) {
    define(global, cls.name, cls)
  }
  define(global, 'navigator', navigator)
  // https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone: with
  // `{ transfer }`, transferred ArrayBuffers are detached and the clone owns their bytes.
  define(global, 'structuredClone', {
    structuredClone(value, options = undefined) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.")
      }
      const what = "execute 'structuredClone' on 'Window'"
      // A dictionary, never the sequence overload postMessage also has.
      const transfer = transferList({ __proto__: null, transfer: dictionary(options, what).transfer }, what)
      if (transfer.length === 0) return structuredClone(value)
      for (let i = 0; i < transfer.length; i++) {
        if (portState(transfer[i]) !== undefined) throw dataCloneError(`Value at index ${i} of the transfer list is a MessagePort: structuredClone transfers ArrayBuffers only here; post ports with postMessage.`)
      }
      return serializeWithTransfer(value, transfer, undefined).data
    },
  }.structuredClone)
  for (const name of new SafeArrayIterator(['addEventListener', 'removeEventListener', 'dispatchEvent'])) {
    define(global, name, EventTarget.prototype[name])
  }
  // https://html.spec.whatwg.org/multipage/workers.html#dedicated-workers-and-the-dedicatedworkerglobalscope-interface:
  // the global is a dedicated worker's (its `location` is a WorkerLocation), so its prototype chain
  // is DedicatedWorkerGlobalScope.prototype -> WorkerGlobalScope.prototype -> EventTarget.prototype
  // and `self instanceof WorkerGlobalScope` holds, as feature detection (and WebIDL's [Exposed]
  // checks) expect of a worker. Neither interface can be constructed.
  class WorkerGlobalScope extends EventTarget {
    constructor() {
      illegal()
    }
  }
  webidl(WorkerGlobalScope, 'WorkerGlobalScope')
  class DedicatedWorkerGlobalScope extends WorkerGlobalScope {
    constructor() {
      illegal()
    }
  }
  webidl(DedicatedWorkerGlobalScope, 'DedicatedWorkerGlobalScope')
  define(global, 'WorkerGlobalScope', WorkerGlobalScope)
  define(global, 'DedicatedWorkerGlobalScope', DedicatedWorkerGlobalScope)
  ObjectSetPrototypeOf(global, DedicatedWorkerGlobalScope.prototype)
  defineEventHandler(global, 'onerror')
  ObjectDefineProperty(global, 'onerror', { __proto__: null, enumerable: false })

  internals.dispatch = (target, event) => {
    setTrusted(event)
    return dispatchEvent_(target, event)
  }
  internals.isEvent = isEvent
  internals.isEventTarget = isEventTarget
  internals.isAbortSignal = isAbortSignal
  internals.defineEventHandler = defineEventHandler
  internals.settingsOrigin = originOf
  internals.reportException = reportException
  internals.createAbortSignal = createSignal
  internals.signalAbort = signalAbort
  internals.addAbortAlgorithm = addAbortAlgorithm
  internals.followSignal = (following, parent) => {
    if (signalAborted(following)) return
    if (signalAborted(parent)) return signalAbort(following, parent.reason)
    addAbortAlgorithm(parent, () => signalAbort(following, parent.reason))
  }
  internals.createDependentSignal = (signals) => createDependent(SafeArrayCopy(signals))
})
