// Exceptions nobody caught in microtasks (queueMicrotask callbacks) are reported as HTML's
// "report the exception" says: an error event on the global, else a console error — never text on
// the host process's own stdout.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { INDEX_PATH, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

describe('uncaught exceptions in microtasks', () => {
  it('reach console.onEntry as "Uncaught …" errors', async () => {
    const entries: any[] = []
    const r = await createRuntime({ console: { onEntry: (e) => entries.push(e) } })
    await r.eval(`queueMicrotask(() => { throw new TypeError('boom') }); await null`)
    const errors = entries.filter((e) => e.level === 'error').map((e) => e.stdout.split('\n')[0])
    expect(errors).toEqual(['Uncaught TypeError: boom'])
  })

  it('fire an error event on the global first; preventDefault() keeps them off the console', async () => {
    const entries: any[] = []
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ console: { onEntry: (e) => entries.push(e) }, customFunctions })
    await r.eval(`
      addEventListener('error', (e) => { report([e.message, e.error instanceof RangeError]); e.preventDefault() })
      queueMicrotask(() => { throw new RangeError('caught by the listener') })
      await null`)
    expect(calls).toEqual([['Uncaught RangeError: caught by the listener', true]])
    expect(entries.filter((e) => e.level === 'error')).toEqual([])
  })

  it('never print to the host process', () => {
    const script = `const { createRuntime } = require(${JSON.stringify(INDEX_PATH)});
      (async () => { const r = await createRuntime(); await r.eval("queueMicrotask(() => { throw new Error('script-chosen text') }); await null"); await r.dispose() })()`
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 })
    expect(res.status).toBe(0)
    expect(res.stdout).toBe('')
    expect(res.stderr).toBe('')
  })
})

describe('an Error.prepareStackTrace whose result throws', () => {
  // Reading a stack that throws a fresh error (whose own stack throws again, and so on) must not
  // turn into an endless chain of errors to describe: the stack is dropped, the error kept.
  it('rejects the eval with the error itself, and the runtime stays usable', async () => {
    const r = await createRuntime({ executionTimeout: 2000 })
    const error = await r.eval(`Error.prepareStackTrace = () => ({ toString() { throw new Error('junk') } }); throw new Error('boom')`).then(
      () => null,
      (e) => e,
    )
    expect([error?.name, error?.message]).toEqual(['Error', 'boom'])
    const started = Date.now()
    await r.eval(`Error.prepareStackTrace = () => { throw new RangeError('again') }; queueMicrotask(() => { throw new Error('late') }); await null`)
    await r.eval(`globalThis.ok = 1`)
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
