// A smoke test for Node versions too old for the other runners (Node 18): examples/hello.mjs runs
// and prints what it promises.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

test('examples/hello.mjs runs on this Node', () => {
  const hello = fileURLToPath(new URL('../../../examples/hello.mjs', import.meta.url))
  const r = spawnSync(process.execPath, [hello], { encoding: 'utf8', timeout: 30_000 })
  assert.equal(r.status, 0, r.stderr)
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.replace(/\d{4}-\d\d-\d\d/, 'DATE')), [
    '[isolate log] hello Ada at DATE',
    '[isolate log] no host here: undefined undefined',
    'runaway script stopped: TimeoutError: Execution timed out after 100ms',
    'memory bomb stopped: MemoryLimitError: Memory limit of 16 MB exceeded',
    'host still healthy: true',
  ])
})
