// Shared helpers for the edge-isolate test suite.
import { afterEach } from 'vitest'
import { fileURLToPath } from 'node:url'
import { createRuntime } from '../index.js'

/** Absolute path of the generated CommonJS loader, for child processes and worker threads. */
export const INDEX_PATH = fileURLToPath(new URL('../index.js', import.meta.url))

export type Runtime = Awaited<ReturnType<typeof createRuntime>>
export type RuntimeOptions = NonNullable<Parameters<typeof createRuntime>[0]>

/**
 * Call at the top of a test file. Returns a `createRuntime` that remembers every runtime it made;
 * they are all disposed after each test, whatever happened in it.
 */
export function useRuntimes(): (options?: RuntimeOptions) => Promise<Runtime> {
  const live: Runtime[] = []
  afterEach(async () => {
    const all = live.splice(0)
    const disposing = Promise.all(all.map((r) => Promise.resolve().then(() => r.dispose()).catch(() => {})))
    await within(disposing, 5_000, 'dispose() of the runtimes this test created')
  })
  return async (options?: RuntimeOptions) => {
    const r = await createRuntime(options as any)
    live.push(r)
    return r
  }
}

/**
 * Runs `fn` and returns what it threw or rejected with; fails the test if it neither throws nor rejects.
 * Accepts both a synchronous throw and a rejected promise.
 */
export async function errorOf(fn: () => unknown): Promise<any> {
  let value: unknown
  try {
    value = await fn()
  } catch (e) {
    return e
  }
  // An unexpectedly created runtime must not outlive the test.
  if (value && typeof (value as any).dispose === 'function') await (value as any).dispose()
  throw new Error(`expected an error, but the call succeeded with ${String(value)}`)
}

/** Like errorOf, but requires the error to arrive as a rejection of the returned promise (no synchronous throw). */
export async function rejectionOf(fn: () => unknown): Promise<any> {
  let p: unknown
  try {
    p = fn()
  } catch (e) {
    throw new Error(`expected a rejected promise, but the call threw synchronously: ${String(e)}`)
  }
  if (!p || typeof (p as any).then !== 'function') throw new Error('expected a promise')
  return errorOf(() => p)
}

/**
 * A `report` custom function (sync) that records what the isolate passes it.
 * `report(x)` records x; `report(a, b)` records [a, b].
 */
export function reporter() {
  const calls: any[] = []
  const customFunctions = {
    report: {
      type: 'sync' as const,
      fn: (...args: any[]) => {
        calls.push(args.length === 1 ? args[0] : args)
      },
    },
  }
  return { calls, customFunctions }
}

/** Prepended to isolate code that wants `check(cond, what)`; throws an Error naming `what` when cond is falsy. */
export const CHECK = "function check(c, what) { if (!c) throw new Error('check failed: ' + what) }\n"

/** Resolves/rejects like `p`, or rejects after `ms` saying that `what` did not settle: a hang fails fast and clearly. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([p, limit]).finally(() => clearTimeout(timer))
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A timeout error's message, exactly as @ricsam/isolate-runtime words it (no space before "ms"). */
export const timeoutMessage = (ms: number) => `Execution timed out after ${ms}ms`
