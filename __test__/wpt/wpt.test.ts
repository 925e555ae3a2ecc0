// The Web Platform Tests of the areas edge-isolate implements (see __test__/wpt/README.md): every
// file runs in a fresh runtime, and every subtest's result is compared with expectations.json.
// A failure that is not expected fails its file; so does an expected failure that now passes, so
// the expectations only ever shrink.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createRuntime } from '../../index.js'
import { listTests, startServer, runEdge, runAll, checkResult, readExpectations, findRoot, slowFirst } from './runner.mjs'

const root: string | null = findRoot()
const expectations: Record<string, any> = readExpectations()
const tests: any[] = listTests(root)
const toRun = slowFirst(tests.filter((t) => !expectations[t.id]?.skip), expectations)
// Most files wait on timers or the local server rather than compute: six runtimes at once on 2 cores.
const jobs = Number(process.env.WPT_JOBS ?? 6)

// vitest.config.ts leaves this file out where the WPT files are not found.
if (!root) throw new Error('WPT files not found: see __test__/wpt/README.md (node __test__/wpt/vendor.mjs)')

describe('Web Platform Tests', () => {
  let server: any
  let results: Map<string, any>

  beforeAll(async () => {
    server = await startServer(root)
    results = await runAll(toRun, (t: any) => runEdge(t, server, createRuntime), { jobs })
  }, 15 * 60_000)

  afterAll(async () => {
    await server?.close()
  })

  it('found the vendored files and runs every one of them', () => {
    expect(tests.length).toBeGreaterThan(500)
    for (const id of Object.keys(expectations)) expect(tests.some((t) => t.id === id), `expectations.json names ${id}, which is not a test`).toBe(true)
  })

  for (const t of tests) {
    const exp = expectations[t.id]
    if (exp?.skip) {
      it.skip(`${t.id} (skipped: ${exp.skip})`, () => {})
      continue
    }
    it(t.id, () => {
      const r = results.get(t.id)
      expect(r, 'no result').toBeTruthy()
      expect(checkResult(r, exp)).toEqual([])
    })
  }
})
