import { createRequire } from 'node:module'
import { expect, it } from 'vitest'
import * as edge from 'edge-isolate'

const { scenario } = createRequire(import.meta.url)('../scenario.cjs')

it('creates a runtime, evals and disposes in a vitest worker (b)', async () => {
  const where = await scenario(edge, 'b')
  const pool = process.env.EDGE_RUNNER_POOL
  if (pool === 'threads') expect(where.isMainThread).toBe(false)
  else if (pool === 'forks') expect([where.isMainThread, typeof process.send]).toEqual([true, 'function'])
  else throw new Error('EDGE_RUNNER_POOL must be threads or forks')
})
