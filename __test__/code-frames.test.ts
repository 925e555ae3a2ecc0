// Errors from user code come with a code frame of the user's file (the line and a caret under the
// column), in error.stack on the host and in the "Uncaught …" console entries.
import { describe, expect, it } from 'vitest'
import { errorOf, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

describe('code frames', () => {
  it('a thrown error: the line of the throw', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval("const x = 1\nthrow new Error('boom')", 'user.js'))
    expect(err.stack).toBe("Error: boom\n    at user.js:2:7\n\n user.js:2:7\n > 2 | throw new Error('boom')\n     |       ^")
  })

  it('a SyntaxError: where the parser stopped', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('const a = 1\nconst b = ;', 'bad.js'))
    expect(err.name).toBe('SyntaxError')
    expect(err.stack.endsWith('\n\n bad.js:2:11\n > 2 | const b = ;\n     |           ^')).toBe(true)
  })

  it('a runtime TypeError after an await', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('await null\nnull.f()', 'a.js'))
    expect(err.stack.endsWith(' a.js:2:6\n > 2 | null.f()\n     |      ^')).toBe(true)
  })

  it('in a module the user loaded: that module\'s file and line', async () => {
    const r = await createRuntime({
      moduleLoader: async () => ({ code: 'export function f() {\n  return undefined.x\n}', filename: 'lib.js' }),
    })
    const err = await errorOf(() => r.eval("import { f } from './lib.js'\nf()", 'main.js'))
    expect(err.stack).toContain('\n\n lib.js:2:20\n > 2 |   return undefined.x\n     |                    ^')
  })

  it('an unhandled rejection reported to the console', async () => {
    const entries: string[] = []
    const r = await createRuntime({ console: { onEntry: (e: any) => entries.push(e.stdout) } })
    await r.eval("Promise.reject(new TypeError('late'))", 'late.js')
    expect(entries).toEqual(["Uncaught (in promise) TypeError: late\n    at late.js:1:16\n\n late.js:1:16\n > 1 | Promise.reject(new TypeError('late'))\n     |                ^"])
  })

  it('a minified line shows a window around the column', async () => {
    const r = await createRuntime()
    const code = 'var a=' + '1+'.repeat(5000) + "(()=>{throw new Error('deep')})()"
    const err = await errorOf(() => r.eval(code, 'min.js'))
    const frame = err.stack.split('\n\n')[1].split('\n')
    expect(frame[1].length).toBeLessThan(140)
    expect(frame[1]).toContain("throw new Error('deep')")
    expect(frame[1].startsWith(' > 1 | ...')).toBe(true)
  })

  it('values that are not errors get no frame', async () => {
    const r = await createRuntime()
    const err = await errorOf(() => r.eval('throw 42'))
    expect(err.message).toBe('42')
    expect(String(err.stack)).not.toContain(' > ')
  })
})
