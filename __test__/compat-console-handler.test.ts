// simpleConsoleHandler: @ricsam/isolate-runtime's helper turning level callbacks into console
// options (issue #14), exported here so code importing it works after changing the import.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { simpleConsoleHandler } from '../index.js'
import * as esm from '../index.mjs'
import { useRuntimes } from './helpers'

const createRuntime = useRuntimes()

const collect = () => {
  const got: Record<string, string[]> = { log: [], warn: [], error: [], info: [], debug: [] }
  const callbacks = Object.fromEntries(Object.keys(got).map((k) => [k, (m: string) => void got[k].push(m)]))
  return { got, callbacks }
}

describe('simpleConsoleHandler', () => {
  it('is exported by require and import', () => {
    const cjs = createRequire(import.meta.url)('../index.js')
    expect(typeof cjs.simpleConsoleHandler).toBe('function')
    expect(esm.simpleConsoleHandler).toBe(cjs.simpleConsoleHandler)
  })

  it('routes output to the callback of its level, with the entry text', async () => {
    const { got, callbacks } = collect()
    const rt = await createRuntime({ console: simpleConsoleHandler(callbacks) })
    await rt.eval(`
      console.log('log message', 1)
      console.warn('warn message', 2)
      console.error('error message', 3)
      console.info({ a: 1 })
      console.debug('d')
    `)
    expect(got).toEqual({ log: ['log message 1'], warn: ['warn message 2'], error: ['error message 3'], info: ['{ a: 1 }'], debug: ['d'] })
  })

  it('sends assert to error; count, time, timeLog, dir, table and trace to log; groups, countReset and clear nowhere', async () => {
    const { got, callbacks } = collect()
    const rt = await createRuntime({ console: simpleConsoleHandler(callbacks) })
    await rt.eval(`
      console.assert(false, 'nope')
      console.count('c'); console.count('c'); console.countReset('c')
      console.group('g'); console.groupEnd(); console.clear()
      console.time('t'); console.timeLog('t', 'mid'); console.timeEnd('t')
      console.dir({ x: 1 })
      console.trace('here')
    `)
    expect(got.error).toEqual(['Assertion failed: nope'])
    expect(got.log.slice(0, 2)).toEqual(['c: 1', 'c: 2'])
    expect(got.log[2]).toMatch(/^t: \d+\.\d\dms mid$/)
    expect(got.log[3]).toMatch(/^t: \d+\.\d\dms$/)
    expect(got.log[4]).toBe('{ x: 1 }')
    expect(got.log[5]).toMatch(/^Trace: here\n\s+at /)
    expect(got.log.length).toBe(6)
    expect(got.warn).toEqual([])
  })

  it('levels without a callback are dropped; a non-object is a TypeError', async () => {
    const logs: string[] = []
    const rt = await createRuntime({ console: simpleConsoleHandler({ log: (m) => void logs.push(m) }) })
    await rt.eval(`console.warn('w'); console.error('e'); console.log('l')`)
    expect(logs).toEqual(['l'])
    expect(() => simpleConsoleHandler(null as any)).toThrow(TypeError)
  })
})
