// The hostile suite: the acceptance test of the project's promise — whatever a script does, the
// Node process lives on, other runtimes are unaffected, and the script ends in a typed error
// within its limits. Each case (cases/*.mjs) runs in its own child process (runner.mjs), two at a
// time; expect.mjs says what a contained run looks like. HOSTILE_CASES=<regexp> selects cases by id.
import { describe, expect, it } from 'vitest'
import { cases } from './cases.mjs'
import { runAll, selectCases } from './harness.mjs'
import { verdict, summary } from './expect.mjs'

const selected = selectCases(cases)
// Started at once, in order, two children at a time; each test awaits its own case.
const runs = runAll(selected, Number(process.env.HOSTILE_CONCURRENCY ?? 2))

describe.each(['kill', 'hang', 'swell', 'boundary', 'tamper'])('%s', (cls) => {
  for (const c of selected.filter((x: any) => x.class === cls)) {
    // Its own run plus, at worst, the cases ahead of it still running: generous, the child is killed on a hang anyway.
    it(c.id, { timeout: 600_000 }, async () => {
      const run = await runs.get(c.id)
      const problems = verdict(c, run)
      expect(problems, `${c.id}${c.why ? ` (${c.why})` : ''}: ${summary(run)}`).toEqual([])
    })
  }
})
