// Runs the hostile cases outside vitest and prints what happened to each:
//   node __test__/hostile/report.mjs [id regexp] [--json out.json]
// (HOSTILE_CONCURRENCY, default 2). Exit code 1 if any case broke containment.
import fs from 'node:fs'
import { cases } from './cases.mjs'
import { runAll, selectCases } from './harness.mjs'
import { verdict, summary } from './expect.mjs'

const args = process.argv.slice(2)
const jsonAt = args.indexOf('--json')
const jsonOut = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : null
const selected = selectCases(cases, args[0] ?? process.env.HOSTILE_CASES)
const started = Date.now()
const rows = []
const runs = runAll(selected, Number(process.env.HOSTILE_CONCURRENCY ?? 2), (c, run) => {
  const problems = verdict(c, run)
  rows.push({ id: c.id, class: c.class, pass: problems.length === 0, summary: summary(run), problems, wallMs: run.wallMs, result: run.result })
  process.stdout.write(`${problems.length ? 'FAIL' : 'pass'} ${c.id} — ${summary(run)} [${run.wallMs} ms]\n`)
  for (const p of problems) process.stdout.write(`     · ${p.replace(/\n/g, '\n       ')}\n`)
})
await Promise.all(runs.values())
const byClass = {}
for (const r of rows) {
  const k = (byClass[r.class] ??= { pass: 0, fail: 0 })
  r.pass ? k.pass++ : k.fail++
}
const failed = rows.filter((r) => !r.pass).length
process.stdout.write(`\n${rows.length - failed}/${rows.length} contained in ${Math.round((Date.now() - started) / 1000)} s\n`)
for (const [k, v] of Object.entries(byClass)) process.stdout.write(`  ${k.padEnd(9)} ${v.pass} pass, ${v.fail} fail\n`)
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(rows, null, 1))
process.exitCode = failed ? 1 : 0
