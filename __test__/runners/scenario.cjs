// What each runner fixture proves, given the edge-isolate module it loaded (the packed package,
// installed into the fixture): a runtime is created, evaluates code with a host function and the
// console, stops a runaway script with the package's TimeoutError, and is disposed, while the other
// test file does the same in another worker. `EDGE_RUNNER_RENDEZVOUS` names a fresh folder where
// the two files meet: each waits for the other's runtime to exist, so they must run in parallel.
'use strict'
const assert = require('node:assert/strict')
const looseAssert = require('node:assert')
const { existsSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { isMainThread, threadId } = require('node:worker_threads')

const FILES = ['a', 'b']

async function waitFor(path, ms) {
  const deadline = Date.now() + ms
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${ms} ms: the other test file is not running in parallel`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Runs the scenario as test file `name` ('a' or 'b'); returns where it ran. */
async function scenario(edge, name) {
  const dir = process.env.EDGE_RUNNER_RENDEZVOUS
  if (!dir) throw new Error('set EDGE_RUNNER_RENDEZVOUS to an empty folder (e.g. $(mktemp -d)) for the two test files to meet in')
  assert.ok(FILES.includes(name))
  const entries = []
  const rt = await edge.createRuntime({
    memoryLimitMB: 32,
    console: { onEntry: (e) => entries.push(e) },
    customFunctions: { double: { type: 'sync', fn: (x) => x * 2 } },
  })
  writeFileSync(join(dir, `${name}.ready`), String(process.pid))
  for (const other of FILES) await waitFor(join(dir, `${other}.ready`), 20_000)

  await rt.eval(`console.log('${name}', double(21), typeof process, typeof require)`, `${name}.js`)
  // Loose deepEqual: under jest the entries are objects of Node's main realm, not of the test's
  // vm context, so their prototypes are not the test's Object.prototype.
  looseAssert.deepEqual(entries, [{ type: 'output', level: 'log', stdout: `${name} 42 undefined undefined`, groupDepth: 0 }])
  const error = await rt.eval('while (true) {}', { executionTimeout: 50 }).then(
    () => null,
    (e) => e,
  )
  assert.ok(error instanceof edge.TimeoutError, `expected a TimeoutError, got ${error}`)
  assert.equal(error.code, 'ERR_ISOLATE_TIMEOUT')
  assert.equal(error.message, 'Execution timed out after 50ms')
  await rt.dispose()
  await assert.rejects(rt.eval('1'), { code: 'ERR_ISOLATE_DISPOSED' })

  writeFileSync(join(dir, `${name}.done`), '')
  return { pid: process.pid, isMainThread, threadId }
}

module.exports = { scenario }
