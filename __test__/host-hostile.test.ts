// Hostile input on the host side of the addon: value conversion, host callbacks that throw or
// misbehave, queues toward the host. Cases that used to end the Node process run in a child
// process, which must exit with code 0 and print the contained outcome.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { INDEX_PATH, rejectionOf, reporter, sleep, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

/** Runs `body` (an async function body with `m` = the addon) in a fresh Node; returns its output. */
function child(body: string, timeout = 30_000) {
  const code = `
    const m = require(${JSON.stringify(INDEX_PATH)})
    ;(async () => { ${body} })().catch((e) => { console.log('FAILED', e && e.stack || e); process.exitCode = 3 })
  `
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout })
  return { stdout: r.stdout.trim(), stderr: r.stderr, status: r.status, signal: r.signal }
}

describe('values from the isolate', () => {
  it('an array whose length is 2**32 - 1 is a DataCloneError, not an abort', () => {
    const r = child(`
      const rt = await m.createRuntime({ customFunctions: {
        take: { type: 'sync', fn: () => 'taken' },
        takeAsync: { type: 'async', fn: async () => 'taken' },
        report: { type: 'sync', fn: (v) => console.log(v) },
      } })
      await rt.eval(\`
        const a = []; a.length = 2 ** 32 - 1
        try { take(a); report('no error') } catch (e) { report(e.name) }
        try { await takeAsync(a); report('no error') } catch (e) { report(e.name) }
      \`)
      await rt.dispose()
    `)
    expect(r.stdout).toBe('DataCloneError\nDataCloneError')
    expect(r.signal).toBeNull()
    expect(r.status).toBe(0)
  })

  it('an argument larger than memoryLimitMB fails fast with a DataCloneError naming the limit', async () => {
    let calls = 0
    const { calls: seen, customFunctions } = reporter()
    const rt = await createRuntime({
      memoryLimitMB: 32,
      customFunctions: { ...customFunctions, take: { type: 'sync', fn: () => void calls++ } },
    })
    const started = Date.now()
    await rt.eval(`
      const mb = 'x'.repeat(1 << 20)
      try { take(Array(1000).fill(mb)) } catch (e) { report([e.name, e.message]) }
      try { await Promise.resolve().then(() => take(new Map(Array.from({ length: 40 }, (_, i) => [i, mb])))) } catch (e) { report(e.name) }
    `)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(calls).toBe(0)
    expect(seen[0][0]).toBe('DataCloneError')
    expect(seen[0][1]).toMatch(/larger than the runtime's memoryLimitMB \(32 MB\)/)
    expect(seen[1]).toBe('DataCloneError')
    // The runtime goes on.
    await rt.eval(`take('small')`)
    expect(calls).toBe(1)
  })

  it('RegExp source and flags come from the RegExp itself, never from a script getter', async () => {
    const got: RegExp[] = []
    const rt = await createRuntime({ customFunctions: { take: { type: 'sync', fn: (r: RegExp) => void got.push(r) } } })
    await rt.eval(`
      const r = /a.b/gi
      Object.defineProperty(r, 'flags', { get() { throw new Error('no') } })
      take(r)
      Object.defineProperty(RegExp.prototype, 'flags', { get() { return 'zz' }, configurable: true })
      Object.defineProperty(RegExp.prototype, 'source', { get() { return '(' }, configurable: true })
      take(/x/y)
    `)
    expect(got[0]).toBeInstanceOf(RegExp)
    expect([got[0].source, got[0].flags]).toEqual(['a.b', 'gi'])
    expect([got[1].source, got[1].flags]).toEqual(['x', 'y'])
  })

  it('objects reach the host with own data properties: no prototype change, no host setter', async () => {
    const got: any[] = []
    let setterRan = 0
    Object.defineProperty(Object.prototype, 'hostSetter', {
      set() {
        setterRan++
      },
      configurable: true,
    })
    try {
      const rt = await createRuntime({ customFunctions: { take: { type: 'async', fn: async (v: any) => void got.push(v) } } })
      await rt.eval(`
        await take(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "hostSetter": 5}'))
        await take([JSON.parse('{"__proto__": null}')])
      `)
    } finally {
      delete (Object.prototype as any).hostSetter
    }
    const [v, [w]] = got
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(Object.hasOwn(v, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')!.value).toEqual({ polluted: true })
    expect(v.polluted).toBeUndefined()
    expect(({} as any).polluted).toBeUndefined()
    expect(Object.hasOwn(v, 'hostSetter')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(v, 'hostSetter')!.value).toBe(5)
    expect(v.constructor).toEqual({ prototype: { x: 1 } })
    expect(setterRan).toBe(0)
    expect(Object.getPrototypeOf(w)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(w, '__proto__')!.value).toBeNull()
  })

  it('objects from the host reach the isolate with own data properties too', async () => {
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({
      customFunctions: { ...customFunctions, give: { type: 'sync', fn: () => JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') } },
    })
    await rt.eval(`
      let ran = false
      Object.defineProperty(Object.prototype, 'k', { set() { ran = true }, configurable: true })
      const v = give()
      report([Object.getPrototypeOf(v) === Object.prototype, Object.hasOwn(v, '__proto__'), v.polluted, Object.getOwnPropertyDescriptor(v, 'k').value, ran])
    `)
    expect(calls[0]).toEqual([true, true, undefined, 1, false])
  })

  it('getters that throw, proxies, revoked proxies, deep nesting, detached buffers and views on them: a clean DataCloneError; cycles cross', async () => {
    const got: any[] = []
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({ customFunctions: { ...customFunctions, take: { type: 'sync', fn: (v: any) => void got.push(v) } } })
    await rt.eval(`
      const cases = [
        { get x() { throw new Error('boom') } },
        new Proxy({}, {}),
        (() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy })(),
        (() => { let v = 0; for (let i = 0; i < 1000; i++) v = [v]; return v })(),
        Object.defineProperty([1, 2], 0, { get() { throw 1 } }),
        // HTML StructuredSerialize: a detached buffer, or a view on one, is a DataCloneError.
        (() => { const b = new ArrayBuffer(8); b.transfer(); return b })(),
        (() => { const u = new Uint8Array(8); u.buffer.transfer(); return u })(),
      ]
      for (const c of cases) {
        try { take(c); report('passed') } catch (e) { report([e.name, e instanceof DOMException]) }
      }
      const cyc = { n: 1 }; cyc.self = cyc
      take([cyc])
    `)
    expect(calls).toEqual(Array(7).fill(['DataCloneError', true]))
    const [cyc] = got[0]
    expect(cyc.self).toBe(cyc)
  })
})

describe('values from the host', () => {
  it('a host array whose length is 2**32 - 1 is a DataCloneError inside, and the process lives', () => {
    const r = child(`
      const huge = []; huge.length = 2 ** 32 - 1
      const rt = await m.createRuntime({ memoryLimitMB: 16, customFunctions: {
        give: { type: 'sync', fn: () => huge },
        giveAsync: { type: 'async', fn: async () => huge },
      } })
      await rt.eval(\`
        const out = []
        try { give() } catch (e) { out.push(e.name) }
        try { await giveAsync() } catch (e) { out.push(e.name) }
        if (out.join() !== 'DataCloneError,DataCloneError') throw new Error(out.join())
      \`)
      console.log('contained')
      await rt.dispose()
    `)
    expect(r.stdout).toBe('contained')
    expect(r.status).toBe(0)
  })

  it('a result with a throwing getter is a DataCloneError inside, with no exception left pending on the host', () => {
    const r = child(`
      const bad = { ok: 1, get x() { throw new Error('getter boom') } }
      const rt = await m.createRuntime({ customFunctions: {
        sync: { type: 'sync', fn: () => bad },
        async: { type: 'async', fn: async () => bad },
        proxy: { type: 'sync', fn: () => new Proxy({}, { ownKeys() { throw new Error('trap') } }) },
      } })
      await rt.eval(\`
        const out = []
        for (const f of [sync, proxy]) try { f() } catch (e) { out.push(e.name + ': ' + e.message) }
        try { await async() } catch (e) { out.push(e.name + ': ' + e.message) }
        globalThis.out = out
      \`)
      const rt2 = await m.createRuntime({ customFunctions: { report: { type: 'sync', fn: (v) => console.log(v.join('|')) } } })
      await rt.eval('1')
      await rt2.eval('report(["still", "alive"])')
      await rt.dispose(); await rt2.dispose()
      await new Promise((r) => setTimeout(r, 50))
      console.log('done')
    `)
    expect(r.stdout).toBe('still|alive\ndone')
    expect(r.status).toBe(0)
  })

  it('the messages say what threw', async () => {
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({
      customFunctions: {
        ...customFunctions,
        bad: { type: 'sync', fn: () => ({ get x() { throw new Error('getter boom') } }) },
      },
    })
    await rt.eval(`try { bad() } catch (e) { report([e.name, e.message]) }`)
    expect(calls[0][0]).toBe('DataCloneError')
    expect(calls[0][1]).toMatch(/getter boom/)
  })

  it('a sync customFunction returning a rejecting promise gives a TypeError, and no unhandled rejection on the host', () => {
    const r = child(`
      const rt = await m.createRuntime({ customFunctions: { f: { type: 'sync', fn: () => Promise.reject(new Error('late')) } } })
      await rt.eval("try { f() } catch (e) { if (e.name !== 'TypeError') throw e }")
      await new Promise((r) => setTimeout(r, 50))
      await rt.dispose()
      console.log('ok')
    `)
    expect(r.stdout).toBe('ok')
    expect(r.stderr).not.toMatch(/Unhandled|late/)
    expect(r.status).toBe(0)
  })
})

describe('host callbacks that throw or misbehave', () => {
  it('createRuntime options with throwing getters reject with a TypeError naming the option', async () => {
    const boom = () => {
      throw new Error('nope')
    }
    const cases: [any, RegExp][] = [
      [{ get customFunctions() { return boom() } }, /^createRuntime\(options\): customFunctions could not be read: Error: nope/],
      [{ customFunctions: { get f() { return boom() } } }, /^createRuntime\(options\): customFunctions\.f could not be read/],
      [{ customFunctions: { f: { type: 'sync', get fn() { return boom() } } } }, /^createRuntime\(options\): customFunctions\.f\.fn could not be read/],
      [{ customFunctions: { f: { get type() { return boom() }, fn() {} } } }, /^createRuntime\(options\): customFunctions\.f\.type could not be read/],
      [{ console: { get onEntry() { return boom() } } }, /^createRuntime\(options\): console\.onEntry could not be read/],
      [{ get memoryLimitMB() { return boom() } }, /^createRuntime\(options\): memoryLimitMB could not be read/],
      [{ network: { get allowedHosts() { return boom() } } }, /^createRuntime\(options\): network\.allowedHosts could not be read/],
      [new Proxy({}, { get: boom }), /could not be read: Error: nope/],
      [{ customFunctions: new Proxy({}, { ownKeys: boom }) }, /^createRuntime\(options\): customFunctions could not be read/],
    ]
    for (const [options, message] of cases) {
      const err = await rejectionOf(() => createRuntime(options))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.message).toMatch(message)
      expect(err.cause?.message).toBe('nope')
    }
    // eval's options too.
    const rt = await createRuntime()
    const err = await rejectionOf(() => rt.eval('1', { get filename(): string { return boom() } } as any))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toMatch(/^eval\(code, options\): options\.filename could not be read/)
  })

  it('none of them leaves an exception pending or ends the process', () => {
    const r = child(`
      const boom = () => { throw new Error('nope') }
      const out = []
      for (const o of [{ get customFunctions() { boom() } }, new Proxy({}, { get: boom }), { customFunctions: { f: { get fn() { boom() }, type: 'sync' } } }]) {
        const p = m.createRuntime(o)
        out.push(await p.then(() => 'created', (e) => e.constructor.name))
      }
      console.log(out.join(','))
    `)
    expect(r.stdout).toBe('TypeError,TypeError,TypeError')
    expect(r.status).toBe(0)
  })

  it('a throwing or rejecting console.onEntry is contained', () => {
    const r = child(`
      let n = 0
      const rt = await m.createRuntime({ console: { onEntry(e) { n++; if (n % 2) throw new Error('sync'); return Promise.reject(new Error('async')) } } })
      await rt.eval("for (let i = 0; i < 10; i++) console.log(i)")
      await new Promise((r) => setTimeout(r, 50))
      const rt2 = await m.createRuntime({ console: { async onEntry() { throw new Error('async fn') } } })
      await rt2.eval("console.log('x')")
      await new Promise((r) => setTimeout(r, 50))
      await rt.dispose(); await rt2.dispose()
      console.log('entries', n)
    `)
    expect(r.stdout).toBe('entries 10')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('onFetch, webSocket and moduleLoader returning thenables that throw, or weird values, are contained', () => {
    const r = child(`
      const evil = { then() { throw new Error('then threw') } }
      const getterBomb = { get code() { throw new Error('code getter') }, filename: 'x.js' }
      const out = []
      const report = { type: 'sync', fn: (v) => void out.push(v) }
      const rt = await m.createRuntime({
        onFetch: () => evil,
        webSocket: () => evil,
        moduleLoader: (s) => (s === 'a' ? evil : s === 'b' ? getterBomb : s === 'c' ? 42 : Promise.reject('str')),
        customFunctions: { report },
      })
      await rt.eval(\`
        try { await fetch('http://x/') ; report('fetched') } catch (e) { report('fetch: ' + e.name) }
        const ws = new WebSocket('ws://x/')
        await new Promise((r) => { ws.onclose = (e) => { report('ws: ' + e.code); r() } })
        for (const s of ['a', 'b', 'c', 'd']) {
          try { await import(s); report('imported') } catch (e) { report('import ' + s + ': ' + e.name) }
        }
      \`)
      await rt.dispose()
      await new Promise((r) => setTimeout(r, 50))
      console.log(out.join('|'))
    `)
    expect(r.stdout).toBe('fetch: TypeError|ws: 1006|import a: Error|import b: DataCloneError|import c: TypeError|import d: Error')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('an async customFunction whose promise never settles only times out its eval', () => {
    const r = child(`
      const rt = await m.createRuntime({ executionTimeout: 100, customFunctions: { hang: { type: 'async', fn: () => new Promise(() => {}) } } })
      const e = await rt.eval('await hang()').catch((e) => e)
      console.log(e.constructor.name, e.message)
      await rt.dispose()
    `)
    expect(r.stdout).toBe('TimeoutError Execution timed out after 100ms')
    expect(r.status).toBe(0)
  })
})

describe('queues toward the host are bounded', () => {
  it('console output past the cap is dropped while the host is busy, then one error entry counts it', async () => {
    const entries: any[] = []
    const rt = await createRuntime({
      memoryLimitMB: 32,
      console: {
        onEntry(e: any) {
          entries.push(e)
          // A busy host: each entry keeps Node's main thread for 5 ms.
          const until = Date.now() + 5
          while (Date.now() < until) {}
        },
      },
    })
    await rt.eval(`const mb = 'x'.repeat(1 << 20); for (let i = 0; i < 300; i++) console.log(mb)`)
    const output = entries.filter((e) => e.level === 'log')
    const notices = entries.filter((e) => e.level === 'error')
    expect(output.length).toBeLessThan(300)
    expect(output.length).toBeGreaterThan(0)
    expect(notices).toHaveLength(1)
    const m = /^\[edge-isolate\] (\d+) console entries were dropped: more than 16 MiB of console output was waiting for console\.onEntry/.exec(notices[0].stdout)
    expect(m).not.toBeNull()
    expect(Number(m![1]) + output.length).toBe(300)
    expect(notices[0]).toMatchObject({ type: 'output', level: 'error', groupDepth: 0 })
    // Once the host caught up, output flows again.
    entries.length = 0
    await rt.eval(`console.log('after')`)
    expect(entries.map((e) => e.stdout)).toEqual(['after'])
  })

  it('async host calls in flight are charged against memoryLimitMB: past it a call rejects with a RangeError, and the runtime goes on', async () => {
    const { calls, customFunctions } = reporter()
    let started = 0
    const rt = await createRuntime({
      memoryLimitMB: 16,
      customFunctions: { ...customFunctions, hang: { type: 'async', fn: () => { started++; return new Promise(() => {}) } } },
    })
    await rt.eval(`
      let rejected = 0, first
      for (let i = 0; i < 20000; i++) hang().catch((e) => { rejected++; first ??= e })
      await new Promise((r) => setTimeout(r, 100))
      report([rejected, first?.name, first?.message])
    `)
    const [rejected, name, message] = calls[0]
    // 16 MB at 1 KiB per call: at most 16384 calls wait for the host.
    expect(started).toBeLessThanOrEqual(16384)
    expect(started).toBeGreaterThan(8000)
    expect(rejected).toBe(20000 - started)
    expect(name).toBe('RangeError')
    expect(message).toMatch(/host calls in flight.*memoryLimitMB \(16 MB\)/)
    await rt.eval(`report('alive')`)
    expect(calls[1]).toBe('alive')
  })

  it('async host calls whose host promises are collected unsettled stay charged: the script cannot start more by making them garbage', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const { calls, customFunctions } = reporter()
    let started = 0
    const rt = await createRuntime({
      memoryLimitMB: 16,
      customFunctions: { ...customFunctions, hang: { type: 'async', fn: () => { started++; return new Promise(() => {}) } } },
    })
    const burst = (n: number) => `
      let rejected = 0
      for (let i = 0; i < ${n}; i++) hang().catch(() => { rejected++ })
      await new Promise((r) => setTimeout(r, 100))
      report(rejected)
    `
    await rt.eval(burst(20000))
    const first = started
    // The host's promises (and the callbacks awaiting them) are garbage now.
    for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 10)) }
    await rt.eval(burst(5000))
    expect(first).toBeLessThanOrEqual(16384)
    expect(started).toBe(first)
    expect(calls[1]).toBe(5000)
  })

  it('a synchronous loop of async host calls that never yields ends with MemoryLimitError: their replies are counted until the isolate takes them', { timeout: 30_000 }, async () => {
    let started = 0
    const rt = await createRuntime({ memoryLimitMB: 16, customFunctions: { ping: { type: 'async', fn: (i: number) => (started++, i) } } })
    const err = await rt.eval(`for (let i = 0; i < 1e6; i++) ping(i)`).then(() => null, (e) => e)
    expect(err?.name).toBe('MemoryLimitError')
    // 16 MB at 1 KiB per call: the host ran at most that many before the replies were taken.
    expect(started).toBeLessThanOrEqual(16384)
  })

  it('a WebSocket message that cannot be made inside a runtime past its memory limit rejects the dispatch with MemoryLimitError', async () => {
    const rt = await createRuntime({ memoryLimitMB: 16 })
    await rt.eval(`serve({ fetch(req, server) { server.upgrade(req); return new Response(null, { status: 101 }) }, websocket: { message(ws, m) { (globalThis.keep ??= []).push(m) } } })`)
    await rt.fetch.dispatchRequest(new Request('http://x/ws', { headers: { upgrade: 'websocket' } }))
    const up = await rt.fetch.getUpgradeRequest()
    await rt.fetch.dispatchWebSocketOpen(up!.connectionId)
    const chunk = new Uint8Array(1 << 20)
    let err: any = null
    for (let i = 0; i < 100 && !err; i++) err = await rt.fetch.dispatchWebSocketMessage(up!.connectionId, chunk).then(() => null, (e) => e)
    expect(err?.name).toBe('MemoryLimitError')
  })

  it('WebSocket commands a script keeps sending past -1 are dropped beyond memoryLimitMB, and counted', async () => {
    const entries: any[] = []
    const rt = await createRuntime({ memoryLimitMB: 16, console: { onEntry: (e: any) => void entries.push(e) } })
    await rt.eval(`serve({
      fetch(request, server) { server.upgrade(request); return new Response(null, { status: 101 }) },
      websocket: { message(ws) { const chunk = new Uint8Array(1 << 20); for (let i = 0; i < 40; i++) ws.send(chunk) } },
    })`)
    const fetch = rt.fetch
    await fetch.dispatchRequest(new Request('http://localhost/ws', { headers: { Upgrade: 'websocket' } }))
    const { connectionId } = (await fetch.getUpgradeRequest())!
    await fetch.dispatchWebSocketOpen(connectionId)
    let received = 0
    fetch.onWebSocketCommand(() => {
      received++
      // A busy host: each command keeps Node's main thread for 10 ms.
      const until = Date.now() + 10
      while (Date.now() < until) {}
    })
    await fetch.dispatchWebSocketMessage(connectionId, 'go')
    const end = Date.now() + 5_000
    while (!entries.some((e) => e.level === 'error') && Date.now() < end) await sleep(10)
    const notice = entries.find((e) => e.level === 'error')
    const m = /^\[edge-isolate\] (\d+) WebSocket commands were dropped: more than the runtime's memoryLimitMB \(16 MB\)/.exec(notice?.stdout)
    expect(m).not.toBeNull()
    await sleep(100)
    const dropped = entries.filter((e) => e.level === 'error').reduce((n, e) => n + Number(/\] (\d+) WebSocket/.exec(e.stdout)![1]), 0)
    expect(received).toBeLessThan(40)
    expect(received + dropped).toBe(40)
  })

  it('a call that settles frees its charge', async () => {
    const { calls, customFunctions } = reporter()
    const rt = await createRuntime({
      memoryLimitMB: 16,
      customFunctions: { ...customFunctions, echo: { type: 'async', fn: async (x: number) => x } },
    })
    await rt.eval(`
      let sum = 0
      for (let round = 0; round < 5; round++) {
        const all = []
        for (let i = 0; i < 8000; i++) all.push(echo(1))
        for (const v of await Promise.all(all)) sum += v
      }
      report(sum)
    `)
    // 5 × 8000 calls at 1 KiB each: more than 16 MB in all, so each round must free its charge.
    expect(calls[0]).toBe(40000)
    await sleep(0)
  })
})

