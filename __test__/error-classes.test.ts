// The errors the runtime itself raises are instances of classes the package exports, with codes a
// script cannot forge.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  CpuLimitError,
  IsolateError,
  MemoryLimitError,
  RuntimeDisposedError,
  TimeoutError,
} from '../index.js'
import { INDEX_PATH, errorOf, useRuntimes } from './helpers'

const createRuntime = useRuntimes()
const ROOT = fileURLToPath(new URL('..', import.meta.url))

describe('limit errors', () => {
  it('a timeout is a TimeoutError with code ERR_ISOLATE_TIMEOUT, and later calls a RuntimeDisposedError caused by it', async () => {
    const r = await createRuntime({ executionTimeout: 100 })
    const err = await errorOf(() => r.eval('for (;;) {}'))
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err).toBeInstanceOf(IsolateError)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('TimeoutError')
    expect(err.code).toBe('ERR_ISOLATE_TIMEOUT')
    expect(err.message).toBe('Execution timed out after 100ms')
    const later = await errorOf(() => r.eval('1'))
    expect(later).toBeInstanceOf(RuntimeDisposedError)
    expect(later.code).toBe('ERR_ISOLATE_DISPOSED')
    expect(later.message).toMatch(/^Runtime has been disposed: .*Create a new runtime with createRuntime\(\) to continue$/)
    expect(later.cause).toBeInstanceOf(TimeoutError)
    expect(later.cause.message).toBe('Execution timed out after 100ms')
  })

  it('running out of memory is a MemoryLimitError with code ERR_ISOLATE_MEMORY_LIMIT', async () => {
    const r = await createRuntime({ memoryLimitMB: 16 })
    const err = await errorOf(() => r.eval('const keep = []; for (;;) keep.push(new Array(100000).fill(1))'))
    expect(err).toBeInstanceOf(MemoryLimitError)
    expect(err).toBeInstanceOf(IsolateError)
    expect(err.code).toBe('ERR_ISOLATE_MEMORY_LIMIT')
    expect(err.message).toBe('Memory limit of 16 MB exceeded')
    const later = await errorOf(() => r.fetch.dispatchRequest(new Request('http://localhost/')))
    expect(later).toBeInstanceOf(RuntimeDisposedError)
    expect(later.cause).toBeInstanceOf(MemoryLimitError)
  })

  it('a busy loop past cpuTimeLimit is a CpuLimitError with code ERR_ISOLATE_CPU_LIMIT', async () => {
    const r = await createRuntime({ cpuTimeLimit: 50 })
    const err = await errorOf(() => r.eval('for (;;) {}'))
    expect(err).toBeInstanceOf(CpuLimitError)
    expect(err).toBeInstanceOf(IsolateError)
    expect(err.code).toBe('ERR_ISOLATE_CPU_LIMIT')
    expect(err.message).toBe('CPU time limit of 50ms exceeded')
    const later = await errorOf(() => r.eval('1'))
    expect(later).toBeInstanceOf(RuntimeDisposedError)
    expect(later.cause).toBeInstanceOf(CpuLimitError)
  })

  it('a disposed runtime rejects with RuntimeDisposedError without a cause', async () => {
    const r = await createRuntime()
    await r.dispose()
    const err = await errorOf(() => r.eval('1'))
    expect(err).toBeInstanceOf(RuntimeDisposedError)
    expect(err.code).toBe('ERR_ISOLATE_DISPOSED')
    expect(err.message).toMatch(/^Runtime has been disposed/)
    expect(err.cause).toBeUndefined()
    const state = await errorOf(() => r.fetch.hasServeHandler())
    expect(state).toBeInstanceOf(RuntimeDisposedError)
  })

  it('calls pending when the runtime is disposed reject with RuntimeDisposedError', async () => {
    const r = await createRuntime()
    const pending = errorOf(() => r.eval('await new Promise(() => {})'))
    await new Promise((res) => setTimeout(res, 20))
    await r.dispose()
    const err = await pending
    expect(err).toBeInstanceOf(RuntimeDisposedError)
  })

  it('every class can be made on the host, with its code and name', () => {
    const cases = [
      [MemoryLimitError, 'ERR_ISOLATE_MEMORY_LIMIT'],
      [TimeoutError, 'ERR_ISOLATE_TIMEOUT'],
      [CpuLimitError, 'ERR_ISOLATE_CPU_LIMIT'],
      [RuntimeDisposedError, 'ERR_ISOLATE_DISPOSED'],
    ] as const
    for (const [C, code] of cases) {
      const e = new C('m', { cause: 1 }) as any
      expect(e).toBeInstanceOf(IsolateError)
      expect(e.code).toBe(code)
      expect(e.name).toBe(C.name)
      expect(e.message).toBe('m')
      expect(e.cause).toBe(1)
      expect(String(e.stack)).toMatch(new RegExp(`^${C.name}: m`))
    }
  })
})

describe('user errors cannot pass for limit errors', () => {
  it('an error a script throws keeps its name and message, but never the class or the code', async () => {
    const r = await createRuntime()
    for (const name of ['MemoryLimitError', 'TimeoutError', 'CpuLimitError', 'RuntimeDisposedError', 'IsolateError']) {
      const err = await errorOf(() =>
        r.eval(`const e = new Error('Memory limit of 32 MB exceeded'); e.name = '${name}'; e.code = 'ERR_ISOLATE_MEMORY_LIMIT'; throw e`),
      )
      expect(err).not.toBeInstanceOf(IsolateError)
      expect(Object.getPrototypeOf(err)).toBe(Error.prototype)
      expect(err.name).toBe(name)
      expect(err.message).toBe('Memory limit of 32 MB exceeded')
      expect(err.code).toBeUndefined()
    }
  })

  it('nor can a thrown plain object, or a rejection of a host call', async () => {
    const r = await createRuntime({
      customFunctions: { fail: { type: 'async', fn: async () => Promise.reject(new TimeoutError('Execution timed out after 1ms')) } },
    })
    const thrown = await errorOf(() => r.eval(`throw { name: 'TimeoutError', code: 'ERR_ISOLATE_TIMEOUT', message: 'x' }`))
    expect(thrown).not.toBeInstanceOf(IsolateError)
    expect(thrown.code).toBeUndefined()
    // A host's own TimeoutError crossing into the isolate and back is a script error by then.
    const back = await errorOf(() => r.eval(`await fail()`))
    expect(back).not.toBeInstanceOf(IsolateError)
    expect(back.name).toBe('TimeoutError')
    expect(back.code).toBeUndefined()
  })
})

describe('exports', () => {
  const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })

  it('ES modules import the classes by name, from the package and from index.mjs', () => {
    const code = `
      import { createRuntime, IsolateError, MemoryLimitError, TimeoutError, CpuLimitError, RuntimeDisposedError } from 'edge-isolate'
      import * as direct from './index.mjs'
      const rt = await createRuntime({ executionTimeout: 50 })
      const e = await rt.eval('for (;;) {}').catch((e) => e)
      console.log([e instanceof TimeoutError, e instanceof IsolateError, direct.TimeoutError === TimeoutError,
        typeof MemoryLimitError, typeof CpuLimitError, typeof RuntimeDisposedError].join(','))
    `
    const r = run(['--input-type=module', '-e', code])
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('true,true,true,function,function,function')
    expect(r.status).toBe(0)
  })

  it('index.mjs names every export of the CommonJS binding', () => {
    const code = `
      import * as esm from './index.mjs'
      import { createRequire } from 'node:module'
      const cjs = createRequire(import.meta.url)('./index.js')
      const missing = Object.keys(cjs).filter((k) => !k.startsWith('__') && esm[k] !== cjs[k])
      console.log(JSON.stringify(missing))
    `
    const r = run(['--input-type=module', '-e', code])
    expect(r.stdout.trim()).toBe('[]')
    expect(r.status).toBe(0)
  })

  it('CommonJS requires them by name', () => {
    const code = `
      const { IsolateError, MemoryLimitError, TimeoutError, CpuLimitError, RuntimeDisposedError } = require(${JSON.stringify(INDEX_PATH)})
      const pkg = require('edge-isolate')
      console.log([IsolateError, MemoryLimitError, TimeoutError, CpuLimitError, RuntimeDisposedError].every((c) => typeof c === 'function'),
        pkg.TimeoutError === TimeoutError)
    `
    const r = run(['-e', code])
    expect(r.stdout.trim()).toBe('true true')
    expect(r.status).toBe(0)
  })

  it('each worker thread gets its own classes, and its runtimes use them', () => {
    const code = `
      const { Worker } = require('node:worker_threads')
      const main = require(${JSON.stringify(INDEX_PATH)})
      const w = new Worker(\`
        const { parentPort } = require('node:worker_threads')
        const m = require(${JSON.stringify(INDEX_PATH)})
        m.createRuntime({ executionTimeout: 50 }).then((rt) => rt.eval('for (;;) {}')).catch((e) => {
          parentPort.postMessage([e instanceof m.TimeoutError, e.code])
        })
      \`, { eval: true })
      w.on('message', async ([ok, code]) => {
        const rt = await main.createRuntime({ executionTimeout: 50 })
        const e = await rt.eval('for (;;) {}').catch((e) => e)
        console.log(ok, code, e instanceof main.TimeoutError)
        await w.terminate()
      })
    `
    const r = run(['-e', code])
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('true ERR_ISOLATE_TIMEOUT true')
    expect(r.status).toBe(0)
  })
})
