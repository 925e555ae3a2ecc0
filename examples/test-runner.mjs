// Runs untrusted test files (say, tests an AI agent wrote) in sandboxes: each file gets a fresh
// runtime with the test environment (describe/it/expect/vi.fn inside), a memory limit, a time
// limit for loading it and for its whole run, and no way out (no fetch, no host functions).
// A file that hangs, loops or allocates without end fails on its own; the others still run.
//
//   node examples/test-runner.mjs math.test.js strings.test.js
//   node examples/test-runner.mjs            # runs a built-in demo file
//
// Exits with 1 when a test failed or a file could not run.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createRuntime, IsolateError } from 'edge-isolate'

export const LIMITS = { memoryLimitMB: 64, executionTimeout: 10_000, testTimeout: 2_000 }

/**
 * Runs one test file's source in a fresh runtime. Resolves with `{ filename, results }`, or with
 * `{ filename, error }` when the file could not be loaded or its run hit a limit.
 */
export async function runTestFile(source, { filename = 'test.js', limits = LIMITS, onEvent } = {}) {
  const runtime = await createRuntime({
    memoryLimitMB: limits.memoryLimitMB,
    executionTimeout: limits.executionTimeout,
    testEnvironment: { testTimeout: limits.testTimeout, onEvent },
  })
  try {
    await runtime.eval(source, filename)
    const results = await runtime.testEnvironment.runTests()
    return { filename, results }
  } catch (error) {
    // A limit (TimeoutError, MemoryLimitError, CpuLimitError) or a file that throws while loading.
    const kind = error instanceof IsolateError ? error.name : `${error.name ?? 'Error'} while loading`
    return { filename, error: { kind, message: error.message } }
  } finally {
    await runtime.dispose()
  }
}

const MARK = { pass: '✓', fail: '✗', skip: '↓', todo: '○' }

/** A plain-text report of one file, Vitest-like. */
export function formatReport({ filename, results, error }) {
  const lines = []
  if (error) {
    lines.push(`✗ ${filename}: ${error.kind}: ${error.message}`)
    return lines.join('\n')
  }
  lines.push(`${results.success ? '✓' : '✗'} ${filename}`)
  for (const t of results.tests) {
    lines.push(`  ${MARK[t.status]} ${t.fullName}${t.status === 'pass' || t.status === 'fail' ? ` (${Math.round(t.duration)}ms)` : ''}`)
    if (t.error) for (const line of t.error.message.split('\n')) lines.push(line === '' ? '' : `      ${line}`)
  }
  for (const e of results.errors ?? []) lines.push(`  ✗ afterAll of ${e.suitePath.join(' > ') || 'the file'}: ${e.message}`)
  const counts = [`${results.passed} passed`, `${results.failed} failed`]
  if (results.skipped) counts.push(`${results.skipped} skipped`)
  if (results.todo) counts.push(`${results.todo} todo`)
  lines.push(`  ${counts.join(', ')}`)
  return lines.join('\n')
}

const DEMO = `
describe('sum', () => {
  const sum = (...xs) => xs.reduce((a, b) => a + b, 0)
  it('adds numbers', () => expect(sum(1, 2, 3)).toBe(6))
  it('is wrong on purpose', () => expect({ total: sum(2, 2) }).toEqual({ total: 5 }))
  it.todo('handles strings')
})
test('mocks', () => {
  const onDone = vi.fn()
  ;[1, 2].forEach((n) => onDone(n * 2))
  expect(onDone).toHaveBeenCalledTimes(2)
  expect(onDone).toHaveBeenLastCalledWith(4)
})
test('never settles', () => new Promise(() => {}), 100)
`

async function main(files) {
  const inputs = files.length > 0
    ? await Promise.all(files.map(async (f) => ({ filename: f, source: await readFile(f, 'utf8') })))
    : [{ filename: 'demo.test.js', source: DEMO }]
  let ok = true
  let passed = 0
  let failed = 0
  for (const { filename, source } of inputs) {
    const report = await runTestFile(source, { filename })
    console.log(formatReport(report))
    if (report.error || !report.results.success) ok = false
    if (report.results) {
      passed += report.results.passed
      failed += report.results.failed
    } else failed++
  }
  console.log(`\n${passed} passed, ${failed} failed`)
  process.exitCode = ok ? 0 : 1
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2))
