import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import * as edge from 'edge-isolate'

const { scenario } = createRequire(import.meta.url)('../scenario.cjs')

test('creates a runtime, evals and disposes in a node:test child process (a)', async () => {
  await scenario(edge, 'a')
  // node --test runs each file in a child process that it marks so.
  assert.match(process.env.NODE_TEST_CONTEXT ?? '', /^child/)
})
