// The addon's own V8 must never bind to Node's: no V8 C++ symbol may be exported from, or
// imported by, the .node file (rusty_v8's own C-ABI helpers are fine).
import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const addons = readdirSync(root).filter((f) => f.endsWith('.node'))

describe('the .node binary', () => {
  it('is built', () => {
    expect(addons.length).toBeGreaterThan(0)
  })

  it.each(addons)('%s has no V8 C++ symbol in its dynamic symbol table', (file) => {
    const symbols = execFileSync('nm', ['-D', file], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })
    expect(symbols.split('\n').length).toBeGreaterThan(10)
    const v8 = symbols.split('\n').filter((line) => / _ZN2v8/.test(line))
    expect(v8).toEqual([])
  })
})
