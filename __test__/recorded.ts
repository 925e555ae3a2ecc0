// Expected values recorded once from Node 20, so that the suite asserts the same thing on every
// Node it runs on (CI runs it on 20, 22, 24 and 26). Where a test compares the isolate with what
// Node prints or parses (util.inspect, console, URL, undici's Request/Response…), the expectation
// lives in __test__/fixtures/node20/<test file>.json, keyed by test name; the code that computed
// it stays in the test, so it is clear where each value came from.
//
// To (re)record after adding or changing such a test, on Node 20:
//   npm run test:record-node20 -- __test__/console.test.ts
import { expect } from 'vitest'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const DIR = fileURLToPath(new URL('./fixtures/node20/', import.meta.url))
const RECORDING = process.env.RECORD_NODE20 === '1'
const TAG = '$node20'

/**
 * The value `compute()` gave on Node 20, as recorded in the fixture of this test file under this
 * test's name (plus `key`, when a test records more than one value). `compute` runs only while
 * recording (RECORD_NODE20=1 on Node 20).
 */
export async function recorded<T>(compute: () => T | Promise<T>, key?: string): Promise<T> {
  const { currentTestName, testPath } = expect.getState()
  if (!currentTestName || !testPath) throw new Error('recorded() must be called inside a test')
  const name = key === undefined ? currentTestName : `${currentTestName} › ${key}`
  const file = join(DIR, basename(testPath).replace(/\.test\.ts$/, '') + '.json')
  const all: Record<string, unknown> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
  if (RECORDING) {
    if (!process.version.startsWith('v20.')) {
      throw new Error(`recording needs Node 20 (the expectations are Node 20's output); this is ${process.version}`)
    }
    const value = await compute()
    all[name] = encode(value)
    mkdirSync(DIR, { recursive: true })
    const sorted = Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]))
    writeFileSync(file, JSON.stringify(sorted, null, 1) + '\n')
    return value
  }
  if (!(name in all)) {
    throw new Error(
      `no value recorded from Node 20 for "${name}" in ${basename(file)}: ` +
        `run \`npm run test:record-node20 -- ${basename(testPath)}\` on Node 20`,
    )
  }
  return decode(all[name]) as T
}

/** JSON with the values JSON cannot hold (undefined, NaN, ±Infinity, -0, bigint) tagged. */
function encode(v: unknown): unknown {
  if (v === undefined) return { [TAG]: 'undefined' }
  if (typeof v === 'bigint') return { [TAG]: 'bigint', value: v.toString() }
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { [TAG]: Object.is(v, -0) ? '-0' : String(v) }
  if (Array.isArray(v)) return Array.from(v, encode)
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) throw new TypeError(`cannot record a ${proto?.constructor?.name} (plain data only)`)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]))
  }
  if (typeof v === 'function' || typeof v === 'symbol') throw new TypeError(`cannot record a ${typeof v}`)
  return v
}

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode)
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (TAG in o) {
      const t = o[TAG]
      if (t === 'undefined') return undefined
      if (t === 'bigint') return BigInt(o.value as string)
      if (t === '-0') return -0
      return Number(t) // NaN, Infinity, -Infinity
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]))
  }
  return v
}
