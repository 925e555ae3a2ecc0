// Event, EventTarget, the Event subclasses, AbortController/AbortSignal, reportError and navigator
// inside the isolate (https://dom.spec.whatwg.org/, HTML's "report an exception").
import { describe, expect, it } from 'vitest'
import { CHECK, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

async function run(code: string) {
  const { calls, customFunctions } = reporter()
  const logs: any[] = []
  const r = await createRuntime({ customFunctions, console: { onEntry: (e: any) => logs.push(e) } })
  await r.eval(CHECK + code)
  // Console entries ride along, out of the way of toEqual on the calls.
  return Object.defineProperty(calls, 'logs', { value: logs, enumerable: false }) as any[] & { logs: any[] }
}

describe('Event', () => {
  it('has the defaults, init members and constants of the standard', async () => {
    const calls = await run(`
      const e = new Event('ping')
      report([e.type, e.bubbles, e.cancelable, e.composed, e.defaultPrevented, e.isTrusted, e.target, e.currentTarget,
        e.srcElement, e.eventPhase, e.returnValue, e.cancelBubble, e.composedPath()])
      const f = new Event('pong', { bubbles: true, cancelable: 1, composed: 'yes' })
      report([f.bubbles, f.cancelable, f.composed])
      report([Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE, e.AT_TARGET])
      report(typeof e.timeStamp === 'number' && e.timeStamp >= 0 && e.timeStamp <= performance.now())
      const d = Object.getOwnPropertyDescriptor(e, 'isTrusted')
      report([typeof d.get, d.enumerable, d.configurable, d.get === Object.getOwnPropertyDescriptor(f, 'isTrusted').get])
      report(new Event(undefined).type)
      try { new Event() } catch (err) { report(err.name) }
      try { new Event('x', 5) } catch (err) { report(err.name) }
      try { Event('x') } catch (err) { report(err.name) }
    `)
    expect(calls).toEqual([
      ['ping', false, false, false, false, false, null, null, null, 0, true, false, []],
      [true, true, true],
      [0, 1, 2, 3, 2],
      true,
      ['function', true, false, true],
      'undefined',
      'TypeError',
      'TypeError',
      'TypeError',
    ])
  })

  it('preventDefault works only on cancelable events and outside passive listeners', async () => {
    const calls = await run(`
      const t = new EventTarget()
      const a = new Event('x')
      a.preventDefault()
      report([a.defaultPrevented, t.dispatchEvent(a)])
      const b = new Event('x', { cancelable: true })
      t.addEventListener('x', (e) => e.preventDefault())
      report([t.dispatchEvent(b), b.defaultPrevented, b.returnValue])
      const c = new Event('y', { cancelable: true })
      t.addEventListener('y', (e) => { e.preventDefault(); report(e.defaultPrevented) }, { passive: true })
      report(t.dispatchEvent(c))
      const d = new Event('z', { cancelable: true })
      d.returnValue = false
      report([d.defaultPrevented, d.returnValue])
    `)
    expect(calls).toEqual([[false, true], [false, true, false], false, true, [true, false]])
  })

  it('reports phase, target and composedPath during dispatch only', async () => {
    const calls = await run(`
      const t = new EventTarget()
      const e = new Event('x')
      t.addEventListener('x', (ev) => report([ev.eventPhase, ev.target === t, ev.currentTarget === t, ev.srcElement === t, ev.composedPath().length, ev.composedPath()[0] === t]))
      t.dispatchEvent(e)
      report([e.eventPhase, e.target === t, e.currentTarget, e.composedPath()])
    `)
    expect(calls).toEqual([[2, true, true, true, 1, true], [0, true, null, []]])
  })

  it('refuses to dispatch an event twice at once, and anything that is not an Event', async () => {
    const calls = await run(`
      const t = new EventTarget()
      t.addEventListener('x', (e) => {
        try { t.dispatchEvent(e) } catch (err) { report([err instanceof DOMException, err.name]) }
      })
      t.dispatchEvent(new Event('x'))
      for (const bad of [{ type: 'x' }, null, 'x']) {
        try { t.dispatchEvent(bad) } catch (err) { report(err.name) }
      }
      try { t.dispatchEvent() } catch (err) { report(err.name) }
      const again = new Event('y')
      report([t.dispatchEvent(again), t.dispatchEvent(again)])
    `)
    expect(calls).toEqual([[true, 'InvalidStateError'], 'TypeError', 'TypeError', 'TypeError', 'TypeError', [true, true]])
  })

  it('stopPropagation, stopImmediatePropagation, cancelBubble and initEvent', async () => {
    const calls = await run(`
      const t = new EventTarget()
      const order = []
      t.addEventListener('x', () => order.push('capture'), true)
      t.addEventListener('x', (e) => { order.push('a'); e.stopImmediatePropagation() })
      t.addEventListener('x', () => order.push('b'))
      t.dispatchEvent(new Event('x'))
      report(order)
      const seen = []
      t.addEventListener('y', (e) => { seen.push(1); e.stopPropagation() }, { capture: true })
      t.addEventListener('y', () => seen.push(2))
      t.dispatchEvent(new Event('y'))
      report(seen)
      const e = new Event('z')
      e.cancelBubble = true
      report(e.cancelBubble)
      e.cancelBubble = false
      report(e.cancelBubble)
      e.initEvent('w', true, true)
      report([e.type, e.bubbles, e.cancelable, e.cancelBubble])
    `)
    expect(calls).toEqual([['capture', 'a'], [1], true, true, ['w', true, true, false]])
  })
})

describe('EventTarget', () => {
  it('calls listeners in order, capture ones first, each (callback, capture) once', async () => {
    const calls = await run(`
      const t = new EventTarget()
      const order = []
      const f = () => order.push('f')
      t.addEventListener('x', () => order.push('bubble1'))
      t.addEventListener('x', f)
      t.addEventListener('x', f)
      t.addEventListener('x', f, { capture: false })
      t.addEventListener('x', f, true)
      t.addEventListener('x', () => order.push('capture'), { capture: true })
      t.addEventListener('x', null)
      t.dispatchEvent(new Event('x'))
      report(order)
      t.removeEventListener('x', f, true)
      order.length = 0
      t.dispatchEvent(new Event('x'))
      report(order)
      t.removeEventListener('x', f, { capture: false })
      order.length = 0
      t.dispatchEvent(new Event('x'))
      report(order)
    `)
    expect(calls).toEqual([
      ['f', 'capture', 'bubble1', 'f'],
      ['capture', 'bubble1', 'f'],
      ['capture', 'bubble1'],
    ])
  })

  it('once, signal and removal during dispatch', async () => {
    const calls = await run(`
      const t = new EventTarget()
      let n = 0
      t.addEventListener('x', () => n++, { once: true })
      t.dispatchEvent(new Event('x'))
      t.dispatchEvent(new Event('x'))
      report(n)
      const c = new AbortController()
      let m = 0
      t.addEventListener('y', () => m++, { signal: c.signal })
      t.dispatchEvent(new Event('y'))
      c.abort()
      t.dispatchEvent(new Event('y'))
      t.addEventListener('y', () => m++, { signal: c.signal })
      t.dispatchEvent(new Event('y'))
      report(m)
      const order = []
      const later = () => order.push('later')
      t.addEventListener('z', () => { order.push('first'); t.removeEventListener('z', later); t.addEventListener('z', () => order.push('added')) })
      t.addEventListener('z', later)
      t.dispatchEvent(new Event('z'))
      report(order)
      try { t.addEventListener('q', () => {}, { signal: {} }) } catch (e) { report(e.name) }
      try { t.addEventListener('q', 5) } catch (e) { report(e.name) }
      try { t.addEventListener('q') } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([1, 1, ['first'], 'TypeError', 'TypeError', 'TypeError'])
  })

  it('calls handleEvent on listener objects, looked up at each call', async () => {
    const calls = await run(`
      const t = new EventTarget()
      const obj = { handleEvent(e) { report([this === obj, e.type]) } }
      t.addEventListener('x', obj)
      t.dispatchEvent(new Event('x'))
      obj.handleEvent = function () { report('replaced') }
      t.dispatchEvent(new Event('x'))
      const fn = function (e) { report(this === t) }
      fn.handleEvent = () => report('not used')
      t.addEventListener('y', fn)
      t.dispatchEvent(new Event('y'))
    `)
    expect(calls).toEqual([[true, 'x'], 'replaced', true])
  })

  it('reports listener exceptions instead of throwing, and goes on with the others', async () => {
    const calls = await run(`
      const t = new EventTarget()
      t.addEventListener('x', () => { throw new Error('boom') })
      t.addEventListener('x', { handleEvent: 42 })
      t.addEventListener('x', () => report('after'))
      report(t.dispatchEvent(new Event('x')))
    `)
    expect(calls).toEqual(['after', true])
    const errors = calls.logs.filter((e) => e.level === 'error').map((e) => e.stdout)
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatch(/^Uncaught Error: boom/)
    expect(errors[1]).toMatch(/^Uncaught TypeError: .*handleEvent/)
  })

  it('can be subclassed, and checks its receiver', async () => {
    const calls = await run(`
      class Emitter extends EventTarget { ping() { return this.dispatchEvent(new CustomEvent('ping', { detail: 7 })) } }
      const em = new Emitter()
      em.addEventListener('ping', (e) => report(e.detail))
      report(em.ping())
      report(em instanceof EventTarget)
      try { EventTarget.prototype.addEventListener.call({}, 'x', () => {}) } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([7, true, true, 'TypeError'])
  })

  it('makes the global object an event target', async () => {
    const calls = await run(`
      const seen = []
      addEventListener('custom', (e) => seen.push(['bare', e.currentTarget === globalThis]))
      globalThis.addEventListener('custom', () => seen.push('global'))
      self.dispatchEvent(new Event('custom'))
      dispatchEvent(new Event('custom'))
      report(seen)
      report(globalThis.addEventListener === EventTarget.prototype.addEventListener)
      const d = Object.getOwnPropertyDescriptor(globalThis, 'addEventListener')
      report([d.enumerable, d.writable, d.configurable])
    `)
    expect(calls).toEqual([[['bare', true], 'global', ['bare', true], 'global'], true, [false, true, true]])
  })
})

describe('CustomEvent, ErrorEvent, MessageEvent, CloseEvent', () => {
  it('carry their init members', async () => {
    const calls = await run(`
      const c = new CustomEvent('c', { detail: { a: 1 }, bubbles: true })
      report([c.detail, c.bubbles, new CustomEvent('c').detail, c instanceof Event])
      c.initCustomEvent('d', false, true, 'x')
      report([c.type, c.detail, c.cancelable])
      const err = new Error('bad')
      const e = new ErrorEvent('error', { message: 'm', filename: 'f.js', lineno: 3, colno: 4, error: err })
      report([e.message, e.filename, e.lineno, e.colno, e.error === err])
      const e0 = new ErrorEvent('error')
      report([e0.message, e0.filename, e0.lineno, e0.colno, e0.error])
      const m = new MessageEvent('message', { data: { x: 1 }, origin: 'https://o', lastEventId: '5', ports: [] })
      report([m.data, m.origin, m.lastEventId, m.source, m.ports, Object.isFrozen(m.ports)])
      const m0 = new MessageEvent('message')
      report([m0.data, m0.origin, m0.lastEventId, m0.source, m0.ports])
      const cl = new CloseEvent('close', { code: 1000, reason: 'bye', wasClean: true })
      report([cl.code, cl.reason, cl.wasClean])
      const cl0 = new CloseEvent('close')
      report([cl0.code, cl0.reason, cl0.wasClean, new CloseEvent('close', { code: 65537 }).code])
      for (const C of [CustomEvent, ErrorEvent, MessageEvent, CloseEvent]) {
        report([C.name, C.length, new C('t') instanceof Event, Object.prototype.toString.call(new C('t')), Object.getPrototypeOf(C) === Event])
      }
    `)
    expect(calls).toEqual([
      [{ a: 1 }, true, null, true],
      ['d', 'x', true],
      ['m', 'f.js', 3, 4, true],
      ['', '', 0, 0, undefined],
      [{ x: 1 }, 'https://o', '5', null, [], true],
      [null, '', '', null, []],
      [1000, 'bye', true],
      [0, '', false, 1],
      ['CustomEvent', 1, true, '[object CustomEvent]', true],
      ['ErrorEvent', 1, true, '[object ErrorEvent]', true],
      ['MessageEvent', 1, true, '[object MessageEvent]', true],
      ['CloseEvent', 1, true, '[object CloseEvent]', true],
    ])
  })
})

describe('AbortController and AbortSignal', () => {
  it('abort() fires one trusted abort event with an AbortError reason by default', async () => {
    const calls = await run(`
      const c = new AbortController()
      const s = c.signal
      report([s.aborted, s.reason, c.signal === s])
      s.throwIfAborted()
      let events = 0
      s.addEventListener('abort', (e) => { events++; report([e.isTrusted, e.type, e.target === s, s.aborted]) })
      s.onabort = () => events++
      c.abort()
      c.abort('again')
      report([events, s.aborted, s.reason instanceof DOMException, s.reason.name, s.reason.code])
      try { s.throwIfAborted() } catch (e) { report(e === s.reason) }
      const c2 = new AbortController()
      c2.abort('why')
      report(c2.signal.reason)
      const c3 = new AbortController()
      c3.abort(undefined)
      report(c3.signal.reason.name)
    `)
    expect(calls).toEqual([
      [false, undefined, true],
      [true, 'abort', true, true],
      [2, true, true, 'AbortError', 20],
      true,
      'why',
      'AbortError',
    ])
  })

  it('AbortSignal.abort, AbortSignal.timeout and the illegal constructor', async () => {
    const calls = await run(`
      const a = AbortSignal.abort()
      report([a.aborted, a.reason.name])
      report(AbortSignal.abort(42).reason)
      const t = AbortSignal.timeout(20)
      report(t.aborted)
      const started = Date.now()
      const e = await new Promise((r) => t.addEventListener('abort', r))
      report([t.aborted, t.reason instanceof DOMException, t.reason.name, t.reason.code, e.isTrusted, Date.now() - started >= 15])
      for (const bad of [-1, NaN, Infinity, 'x']) {
        try { AbortSignal.timeout(bad); report('no error') } catch (err) { report(err.name) }
      }
      try { new AbortSignal() } catch (err) { report(err.name) }
      report(AbortSignal.timeout(0) instanceof AbortSignal)
    `)
    expect(calls).toEqual([
      [true, 'AbortError'],
      42,
      false,
      [true, true, 'TimeoutError', 23, true, true],
      'TypeError',
      'TypeError',
      'TypeError',
      'TypeError',
      'TypeError',
      true,
    ])
  })

  it('AbortSignal.any follows its sources, flattening dependent ones', async () => {
    const calls = await run(`
      const a = new AbortController(), b = new AbortController()
      const any = AbortSignal.any([a.signal, b.signal])
      const nested = AbortSignal.any([any])
      report([any.aborted, nested.aborted])
      const order = []
      any.onabort = () => order.push('any')
      nested.onabort = () => order.push('nested')
      b.signal.onabort = () => order.push('b')
      b.abort('b-reason')
      a.abort('a-reason')
      report([any.aborted, any.reason, nested.reason, order])
      const pre = AbortSignal.any([new AbortController().signal, AbortSignal.abort('first'), AbortSignal.abort('second')])
      report([pre.aborted, pre.reason])
      report(AbortSignal.any([]).aborted)
      try { AbortSignal.any([{}]) } catch (e) { report(e.name) }
      try { AbortSignal.any() } catch (e) { report(e.name) }
      // Listener signals on any(): removing via the dependent signal.
      const c = new AbortController()
      const t = new EventTarget()
      let n = 0
      t.addEventListener('x', () => n++, { signal: AbortSignal.any([c.signal]) })
      c.abort()
      t.dispatchEvent(new Event('x'))
      report(n)
    `)
    expect(calls).toEqual([
      [false, false],
      [true, 'b-reason', 'b-reason', ['b', 'any', 'nested']],
      [true, 'first'],
      false,
      'TypeError',
      'TypeError',
      0,
    ])
  })

  it('a dependent signal with a listener is kept alive by its source', async () => {
    const calls = await run(`
      const c = new AbortController()
      let fired = false
      AbortSignal.any([c.signal]).addEventListener('abort', () => { fired = true })
      // Give the GC a chance to drop it, if it wrongly could.
      for (let i = 0; i < 50; i++) new Array(100000).fill(i)
      await new Promise((r) => setTimeout(r, 10))
      c.abort()
      report(fired)
    `)
    expect(calls).toEqual([true])
  })
})

describe('reportError and the global error event', () => {
  it('dispatches a trusted, cancelable ErrorEvent at the global object', async () => {
    const calls = await run(`
      const err = new TypeError('bad thing')
      addEventListener('error', (e) => {
        report([e instanceof ErrorEvent, e.isTrusted, e.cancelable, e.error === err, e.message])
        e.preventDefault()
      }, { once: true })
      reportError(err)
      try { reportError() } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([[true, true, true, true, 'Uncaught TypeError: bad thing'], 'TypeError'])
    expect(calls.logs).toEqual([])
  })

  it('logs an unhandled error like an uncaught one', async () => {
    const calls = await run(`
      addEventListener('error', (e) => report('seen'))
      reportError(new Error('loud'))
      reportError('just a string')
    `)
    expect(calls).toEqual(['seen', 'seen'])
    const errors = calls.logs.filter((e) => e.level === 'error').map((e) => e.stdout)
    expect(errors[0]).toMatch(/^Uncaught Error: loud\n\s+at /)
    expect(errors[1]).toBe('Uncaught just a string')
  })

  it('onerror gets (message, filename, lineno, colno, error) and cancels by returning true', async () => {
    const calls = await run(`
      const err = new Error('x')
      onerror = (message, filename, lineno, colno, error) => { report([message, filename, lineno, colno, error === err]); return true }
      reportError(err)
      report(typeof onerror)
      onerror = null
      report(onerror)
      onerror = 5
      report(onerror)
    `)
    expect(calls).toEqual([['Uncaught Error: x', '', 0, 0, true], 'function', null, null])
    expect(calls.logs).toEqual([])
  })

  it('an error thrown by an error listener is logged, not looped', async () => {
    const calls = await run(`
      addEventListener('error', () => { throw new Error('inner') })
      reportError(new Error('outer'))
      report('done')
    `)
    expect(calls).toEqual(['done'])
    const errors = calls.logs.filter((e) => e.level === 'error').map((e) => e.stdout.split('\n')[0])
    expect(errors).toEqual(['Uncaught Error: inner', 'Uncaught Error: outer'])
  })
})

describe('IDL shape', () => {
  it('prototypes, lengths, names and tags follow WebIDL', async () => {
    const calls = await run(`
      report(Object.keys(EventTarget.prototype))
      report(Object.keys(AbortSignal.prototype))
      report(Object.keys(AbortSignal))
      report(Object.keys(AbortController.prototype))
      report([EventTarget.prototype.addEventListener.length, EventTarget.prototype.removeEventListener.length,
        EventTarget.prototype.dispatchEvent.length, Event.length, EventTarget.length, AbortController.length,
        AbortSignal.any.length, AbortSignal.timeout.length, AbortSignal.abort.length, reportError.length, Event.prototype.initEvent.length])
      const tags = [new Event('x'), new EventTarget(), new AbortController(), new AbortController().signal, navigator]
      report(tags.map((o) => Object.prototype.toString.call(o)))
      report([new AbortController().signal instanceof EventTarget, Object.getPrototypeOf(AbortSignal) === EventTarget])
      const names = ['Event', 'EventTarget', 'CustomEvent', 'ErrorEvent', 'MessageEvent', 'CloseEvent', 'AbortController', 'AbortSignal', 'reportError', 'navigator']
      report(names.map((n) => { const d = Object.getOwnPropertyDescriptor(globalThis, n); return [n, d.enumerable, d.writable, d.configurable] }))
      report([navigator.userAgent, typeof Navigator])
      try { new Navigator() } catch (e) { report(e.name) }
      try { Object.getOwnPropertyDescriptor(Event.prototype, 'type').get.call({}) } catch (e) { report(e.name) }
    `)
    expect(calls).toEqual([
      ['addEventListener', 'removeEventListener', 'dispatchEvent'],
      ['aborted', 'reason', 'throwIfAborted', 'onabort'],
      ['abort', 'timeout', 'any'],
      ['signal', 'abort'],
      [2, 2, 1, 1, 0, 0, 1, 1, 0, 1, 1],
      ['[object Event]', '[object EventTarget]', '[object AbortController]', '[object AbortSignal]', '[object Navigator]'],
      [true, true],
      ['Event', 'EventTarget', 'CustomEvent', 'ErrorEvent', 'MessageEvent', 'CloseEvent', 'AbortController', 'AbortSignal', 'reportError', 'navigator'].map((n) => [n, false, true, true]),
      ['edge-isolate/0.1', 'function'],
      'TypeError',
      'TypeError',
    ])
  })
})

// https://html.spec.whatwg.org/multipage/webappapis.html#unhandled-promise-rejections
describe('unhandledrejection and rejectionhandled', () => {
  const errors = (logs: any[]) => logs.filter((e) => e.level === 'error').map((e) => String(e.stdout).split('\n')[0])

  it('a rejection still unhandled after the microtasks fires unhandledrejection on the global; preventDefault() keeps it off the console', async () => {
    const calls = await run(`
      let seen = []
      const p1 = Promise.reject(new Error('one'))
      addEventListener('unhandledrejection', (e) => {
        seen.push([e.constructor.name, e.type, e.reason.message, e.promise === p1, e.cancelable, e.isTrusted, e.target === globalThis])
        e.preventDefault()
      })
      await new Promise((r) => setTimeout(r, 5))
      report(seen)
    `)
    expect(calls[0]).toEqual([['PromiseRejectionEvent', 'unhandledrejection', 'one', true, true, true, true]])
    expect(errors(calls.logs)).toEqual([])
  })

  it('not cancelled, it is logged as "Uncaught (in promise)"; onunhandledrejection works too', async () => {
    const calls = await run(`
      let n = 0
      onunhandledrejection = (e) => { n++ }
      Promise.reject(new Error('logged'))
      await new Promise((r) => setTimeout(r, 5))
      report(n)
    `)
    expect(calls[0]).toBe(1)
    expect(errors(calls.logs)).toEqual([expect.stringMatching(/^Uncaught \(in promise\) Error: logged/)])
  })

  it('a handler added in the same task means no event; one added after the report fires rejectionhandled in a later task', async () => {
    const calls = await run(`
      const events = []
      addEventListener('unhandledrejection', (e) => { events.push('unhandled ' + e.reason); e.preventDefault() })
      addEventListener('rejectionhandled', (e) => events.push('handled ' + e.reason + ' ' + e.cancelable))
      Promise.reject('early').catch(() => {})
      const late = Promise.reject('late')
      await new Promise((r) => setTimeout(r, 5))
      late.catch(() => {})
      events.push('handler added')
      await new Promise((r) => setTimeout(r, 5))
      report(events)
    `)
    expect(calls[0]).toEqual(['unhandled late', 'handler added', 'handled late false'])
  })

  it('PromiseRejectionEvent: promise is a required object member', async () => {
    const calls = await run(`
      const p = Promise.resolve()
      const e = new PromiseRejectionEvent('x', { promise: p, reason: 7, cancelable: true })
      report([e.promise === p, e.reason, e.cancelable, e.isTrusted])
      for (const init of [undefined, {}, { promise: 1 }]) {
        try { new PromiseRejectionEvent('x', init); report('no error') } catch (err) { report(err.name) }
      }
      try { new PromiseRejectionEvent('x') } catch (err) { report(err.name) }
    `)
    expect(calls).toEqual([[true, 7, true, false], 'TypeError', 'TypeError', 'TypeError', 'TypeError'])
  })

  it('hostile: a listener that throws is reported and the runtime goes on; one that rejects again in every event keeps the loop busy, not stuck', async () => {
    const calls = await run(`
      addEventListener('unhandledrejection', (e) => { e.preventDefault(); throw new Error('from listener') })
      addEventListener('error', (e) => { report('error event: ' + e.error.message); e.preventDefault() })
      Promise.reject(1)
      await new Promise((r) => setTimeout(r, 5))
      report('alive')
    `)
    expect(calls).toEqual(['error event: from listener', 'alive'])
    // Each event is its own task, as in a browser: other work still gets its turn, and dispose ends it.
    const { calls: seen, customFunctions } = reporter()
    const rt = await createRuntime({ executionTimeout: 200, customFunctions })
    await rt.eval(`globalThis.n = 0; addEventListener('unhandledrejection', (e) => { e.preventDefault(); n++; Promise.reject(2) }); Promise.reject(1)`)
    await new Promise((r) => setTimeout(r, 50))
    await rt.eval('report(n > 1)')
    expect(seen).toEqual([true])
    await rt.dispose()
  }, 20_000)
})

describe('the global object', () => {
  // https://html.spec.whatwg.org/multipage/workers.html#dedicatedworkerglobalscope: a worker's global.
  it('is a DedicatedWorkerGlobalScope, a WorkerGlobalScope and an EventTarget', async () => {
    const calls = await run(`
      const chain = []
      for (let p = Object.getPrototypeOf(globalThis); p !== null; p = Object.getPrototypeOf(p)) chain.push(p.constructor.name)
      report(chain)
      report([self instanceof DedicatedWorkerGlobalScope, self instanceof WorkerGlobalScope, self instanceof EventTarget,
        Object.prototype.toString.call(globalThis), String(self)])
      report([Object.getPrototypeOf(DedicatedWorkerGlobalScope) === WorkerGlobalScope, Object.getPrototypeOf(WorkerGlobalScope) === EventTarget])
      for (const C of [WorkerGlobalScope, DedicatedWorkerGlobalScope]) {
        try { new C(); report('constructed') } catch (e) { report([e.name, e.message]) }
        const d = Object.getOwnPropertyDescriptor(globalThis, C.name)
        report([d.enumerable, d.writable, d.configurable])
      }
      // The inherited EventTarget methods act on the global, as its own ones do.
      let got = 0
      EventTarget.prototype.addEventListener.call(self, 'ping', () => got++)
      dispatchEvent(new Event('ping'))
      WorkerGlobalScope.prototype.dispatchEvent.call(self, new Event('ping'))
      report(got)
    `)
    expect(calls).toEqual([
      ['DedicatedWorkerGlobalScope', 'WorkerGlobalScope', 'EventTarget', 'Object'],
      [true, true, true, '[object DedicatedWorkerGlobalScope]', '[object DedicatedWorkerGlobalScope]'],
      [true, true],
      ['TypeError', 'Illegal constructor'],
      [false, true, true],
      ['TypeError', 'Illegal constructor'],
      [false, true, true],
      2,
    ])
  })
})
