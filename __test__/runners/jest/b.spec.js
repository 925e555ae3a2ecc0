const edge = require('edge-isolate')
const { scenario } = require('../scenario.cjs')

test('creates a runtime, evals and disposes in a jest worker (b)', async () => {
  const where = await scenario(edge, 'b')
  // A jest worker is a child process that talks to jest over IPC.
  expect(typeof process.send).toBe('function')
  expect(process.env.JEST_WORKER_ID).toMatch(/^[12]$/)
  expect(where.pid).toBe(process.pid)
})
