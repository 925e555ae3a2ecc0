// Writing expectations.json from a run (`npm run test:wpt -- --update`). A failing subtest keeps the
// reason it already has; a new one gets the reason of the first rule in reasons.mjs that matches it,
// else "unclassified: <message>" for a person to replace with a real one.
import { writeFileSync } from 'node:fs'
import { EXPECTATIONS_PATH, expectedFailures } from './runner.mjs'
import { RULES, algorithmReason } from './reasons.mjs'

export function classify(id, name, message) {
  const m = String(message ?? '')
  for (const [idRe, textRe, reason] of RULES) {
    if (idRe && !idRe.test(id)) continue
    if (textRe && !textRe.test(`${name}\n${m}`)) continue
    return reason ?? algorithmReason(m)
  }
  return `unclassified: ${m.split('\n')[0].slice(0, 120)}`
}

/**
 * Rewrites expectations.json; `full`: the run covered every test, so files absent from it lose their
 * entries; `reclassify`: name every failure from reasons.mjs again instead of keeping its reason.
 */
export function updateExpectations(results, old, full, reclassify = false) {
  const out = {}
  for (const [id, exp] of Object.entries(old)) {
    if (exp.skip || (!full && !results.has(id))) out[id] = exp
  }
  for (const [id, r] of [...results.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const prev = expectedFailures(old[id])
    const fail = {}
    for (const t of r.subtests) {
      if (t.status === 'PASS') continue
      const kept = prev.get(t.name)
      const reason = kept && !reclassify && !kept.startsWith('unclassified:') ? kept : classify(id, t.name, t.message)
      ;(fail[reason] ??= []).push(t.name)
    }
    const entry = {}
    const keptHarness = old[id]?.harness
    if (r.status !== 'OK') entry.harness = keptHarness && !reclassify && !keptHarness.startsWith('unclassified:') ? keptHarness : classify(id, '', `${r.status}: ${r.message ?? ''}`)
    if (Object.keys(fail).length) entry.fail = fail
    if (Object.keys(entry).length) out[id] = entry
  }
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
  writeFileSync(EXPECTATIONS_PATH, JSON.stringify(sorted, null, 2) + '\n')
}
