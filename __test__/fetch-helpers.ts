// Helpers for the blob/fetch tests: run the same scenario in the isolate and in Node (whose
// undici-based Headers/Request/Response/FormData/Blob follow the same specs), and compare with
// Node 20's results, recorded (./recorded.ts) so every Node runs the same expectations.
import { expect } from 'vitest'
import { CHECK, reporter, type Runtime, type RuntimeOptions } from './helpers'
import { recorded } from './recorded'

/** Shared by both sides: turns results into plain, comparable data. */
const NORMALIZE = `
const __norm = (v) => {
  if (v instanceof ArrayBuffer) return { arrayBuffer: Array.from(new Uint8Array(v)) }
  if (v instanceof Uint8Array) return { uint8: Array.from(v) }
  if (Array.isArray(v)) return v.map(__norm)
  if (v === undefined) return { undefined: true }
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, __norm(x)]))
  return v
}
const __run = async (f) => {
  try { return { ok: __norm(await f()) } } catch (e) { return { threw: e?.constructor?.name ?? String(e), message: String(e?.message) } }
}
`

type Create = (options?: RuntimeOptions) => Promise<Runtime>

/** Runs `code` (a module body with `check` and `report`) in a fresh runtime; returns the reports. */
export async function inIsolate(createRuntime: Create, code: string): Promise<any[]> {
  const { calls, customFunctions } = reporter()
  const rt = await createRuntime({ customFunctions })
  await rt.eval(CHECK + code, 'test.js')
  return calls
}

/**
 * Each case is an async function body. It runs in the isolate, and its results (or the error's
 * constructor name) must match what the same body gave on Node 20 (recorded). Error messages are
 * not compared.
 */
export async function expectSameAsNode(createRuntime: Create, cases: Record<string, string>) {
  const names = Object.keys(cases)
  const isolateCode =
    NORMALIZE +
    names.map((n) => `report(${JSON.stringify(n)}, await __run(async () => {\n${cases[n]}\n}))`).join('\n')
  const calls = await inIsolate(createRuntime, isolateCode)
  const got = Object.fromEntries(calls.map(([n, r]: [string, any]) => [n, stripMessage(r)]))
  const want = await recorded(async () => {
    const out: Record<string, any> = {}
    for (const n of names) {
      const fn = new Function(`${NORMALIZE}\nreturn __run(async () => {\n${cases[n]}\n})`)
      out[n] = stripMessage(await fn())
    }
    return out
  })
  expect(got).toEqual(want)
}

function stripMessage(r: any) {
  if (r && 'threw' in r) return { threw: r.threw }
  return r
}
