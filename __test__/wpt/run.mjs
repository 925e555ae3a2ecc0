#!/usr/bin/env node
// `npm run test:wpt`: runs the Web Platform Tests in edge-isolate and compares every subtest with
// expectations.json. Exit code 1 when anything differs (a new failure, or an expected failure that
// now passes), with the closing line "N passed, N failed" counting files.
//
//   node __test__/wpt/run.mjs [filter…]      only tests whose id contains one of the filters
//   --update                                  rewrite expectations.json from this run (keeps reasons)
//   --reclassify                              the same, naming every failure from reasons.mjs again
//   --json FILE                               write every result to FILE
//   --jobs N                                  runtimes at once (default 6, or $WPT_JOBS)
import { createRequire } from 'node:module'
import { writeFileSync } from 'node:fs'
import { listTests, startServer, runEdge, runAll, checkResult, readExpectations, summarize, findRoot, slowFirst, EXPECTATIONS_PATH } from './runner.mjs'
import { updateExpectations } from './expectations.mjs'

const require = createRequire(import.meta.url)
const { createRuntime } = require('../../index.js')

const argv = process.argv.slice(2)
const opt = (name) => {
  const i = argv.indexOf(name)
  if (i === -1) return undefined
  const v = argv[i + 1]
  argv.splice(i, 2)
  return v
}
const flag = (name) => {
  const i = argv.indexOf(name)
  if (i !== -1) argv.splice(i, 1)
  return i !== -1
}
const reclassify = flag('--reclassify')
const update = flag('--update') || reclassify
const jsonOut = opt('--json')
const jobs = Number(opt('--jobs') ?? process.env.WPT_JOBS ?? 6)
const filters = argv

const root = findRoot()
if (!root) {
  console.error('No WPT files: run `node __test__/wpt/vendor.mjs` first (see __test__/wpt/README.md).')
  process.exit(1)
}
const expectations = readExpectations()
const all = listTests(root)
const tests = all.filter((t) => (filters.length === 0 || filters.some((f) => t.id.includes(f))) && !expectations[t.id]?.skip)
const server = await startServer(root)
const started = Date.now()
let failedFiles = 0
let passedFiles = 0
const results = await runAll(slowFirst(tests, expectations), (t) => runEdge(t, server, createRuntime), {
  jobs,
  onResult(t, r) {
    const problems = checkResult(r, expectations[t.id])
    const passed = r.subtests.filter((s) => s.status === 'PASS').length
    if (problems.length) {
      failedFiles++
      console.log(`FAIL ${t.id} (${passed}/${r.subtests.length}, ${r.ms} ms)`)
      for (const p of problems.slice(0, 20)) console.log(`     ${p.slice(0, 300)}`)
      if (problems.length > 20) console.log(`     … ${problems.length - 20} more`)
    } else {
      passedFiles++
      if (process.env.WPT_VERBOSE) console.log(`ok   ${t.id} (${passed}/${r.subtests.length}, ${r.ms} ms)`)
    }
  },
})
await server.close()
if (server.missing.size) console.log(`\nwptserve handlers without an emulation here (those tests fail for it): ${[...server.missing].sort().join(' ')}`)

const byArea = summarize(results, tests)
console.log('\narea                 files  subtests  passed')
let sub = 0
let pass = 0
for (const [area, s] of Object.entries(byArea)) {
  sub += s.subtests
  pass += s.passed
  console.log(`${area.padEnd(20)} ${String(s.files).padStart(5)} ${String(s.subtests).padStart(9)} ${String(s.passed).padStart(7)}`)
}
console.log(`${'all'.padEnd(20)} ${String(tests.length).padStart(5)} ${String(sub).padStart(9)} ${String(pass).padStart(7)}  (${((100 * pass) / Math.max(sub, 1)).toFixed(1)}%) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
if (jsonOut) writeFileSync(jsonOut, JSON.stringify([...results.values()], null, 1))
if (update) {
  updateExpectations(results, expectations, filters.length === 0, reclassify)
  console.log(`wrote ${EXPECTATIONS_PATH}`)
}
console.log(`\nWPT files: ${passedFiles} passed, ${failedFiles} failed`)
process.exit(failedFiles && !update ? 1 : 0)
