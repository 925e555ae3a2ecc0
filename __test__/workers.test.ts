// The addon in worker_threads: several workers with their own runtimes at once, alongside the main thread,
// and workers that end while their runtimes are still alive.
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { INDEX_PATH, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

/** Runs `code` (CommonJS) in a worker; resolves with the first message it posts and its exit code. */
function runWorker(code: string, workerData: unknown): { worker: Worker; message: Promise<any>; exit: Promise<number> } {
  const worker = new Worker(code, { eval: true, workerData })
  const message = new Promise<any>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (c) => reject(new Error(`worker exited (code ${c}) before posting a message`)))
  })
  const exit = new Promise<number>((resolve, reject) => {
    worker.once('exit', resolve)
    worker.once('error', reject)
  })
  message.catch(() => {}) // observed by the caller; avoid unhandled-rejection noise when exit wins
  return { worker, message, exit }
}

const EVAL_IN_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { createRuntime } = require(workerData.indexPath)
;(async () => {
  const got = []
  const r = await createRuntime({
    memoryLimitMB: 32,
    customFunctions: { report: { type: 'sync', fn: (v) => { got.push(v) } } },
  })
  await r.eval(
    'await new Promise((res) => setTimeout(res, 30));' +
    'report({ value: ' + workerData.n + ' * 10 + 1, map: new Map([["n", ' + workerData.n + ']]) })',
    'worker-' + workerData.n + '.js',
  )
  const id = r.id
  await r.dispose()
  parentPort.postMessage({ n: workerData.n, value: got[0].value, fromMap: got[0].map.get('n'), id })
})().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }))
`

describe('worker_threads', () => {
  it('three workers and the main thread use runtimes at the same time', async () => {
    const workers = [1, 2, 3].map((n) => runWorker(EVAL_IN_WORKER, { indexPath: INDEX_PATH, n }))

    const { calls, customFunctions } = reporter()
    const main = await createRuntime({ customFunctions })
    await main.eval('await new Promise((res) => setTimeout(res, 30)); report("main done")')

    const messages = await Promise.all(workers.map((w) => w.message))
    const codes = await Promise.all(workers.map((w) => w.exit))

    expect(calls).toEqual(['main done'])
    for (const m of messages) expect(m.error).toBeUndefined()
    expect(messages.map((m) => [m.n, m.value, m.fromMap])).toEqual([
      [1, 11, 1],
      [2, 21, 2],
      [3, 31, 3],
    ])
    expect(new Set(messages.map((m) => m.id)).size).toBe(3)
    expect(codes).toEqual([0, 0, 0])
  })

  it('terminating a worker whose runtime is alive (idle or busy) leaves the process healthy', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const { createRuntime } = require(workerData.indexPath)
      ;(async () => {
        const r = await createRuntime()
        await r.eval('globalThis.x = 1')
        if (workerData.busy) r.eval('while (true) {}').catch(() => {})
        parentPort.postMessage('ready')
      })().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }))
    `
    const idle = runWorker(code, { indexPath: INDEX_PATH, busy: false })
    const busy = runWorker(code, { indexPath: INDEX_PATH, busy: true })
    expect(await idle.message).toBe('ready')
    expect(await busy.message).toBe('ready')

    const bounded = (p: Promise<unknown>) =>
      Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('worker did not terminate in 10 s')), 10_000))])
    await bounded(idle.worker.terminate())
    await bounded(busy.worker.terminate())
    await bounded(Promise.all([idle.exit, busy.exit]))

    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ customFunctions })
    await r.eval('report("main still fine")')
    expect(calls).toEqual(['main still fine'])
  })

  it('a worker that finishes without disposing its runtime exits by itself', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const { createRuntime } = require(workerData.indexPath)
      ;(async () => {
        const r = await createRuntime({ customFunctions: { f: { type: 'sync', fn: () => 5 } } })
        await r.eval('globalThis.v = f(); setTimeout(() => {}, 60000)')
        parentPort.postMessage('done')
      })().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }))
    `
    const w = runWorker(code, { indexPath: INDEX_PATH })
    expect(await w.message).toBe('done')
    const code_ = await Promise.race([
      w.exit,
      new Promise<string>((res) => setTimeout(() => res('still running after 8 s'), 8000)),
    ])
    if (code_ !== 0) await w.worker.terminate()
    expect(code_).toBe(0)
  })
})
