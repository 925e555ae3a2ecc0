// Every hostile case, in the order they run. See common.mjs for a case's shape and expect.mjs
// for what "contained" means.
import kill from './cases/kill.mjs'
import hang from './cases/hang.mjs'
import swell from './cases/swell.mjs'
import boundary from './cases/boundary.mjs'
import tamper from './cases/tamper.mjs'

export const cases = [...kill, ...hang, ...swell, ...boundary, ...tamper]

const seen = new Set()
for (const c of cases) {
  if (seen.has(c.id)) throw new Error(`duplicate hostile case id ${c.id}`)
  seen.add(c.id)
}
