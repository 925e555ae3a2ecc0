// examples/test-runner.mjs end to end: untrusted test files, each in its own sandbox with the test
// environment and limits; the CLI prints a report and exits 1 on failures.
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
// @ts-ignore: a plain .mjs example without types
import { runTestFile, formatReport } from '../examples/test-runner.mjs'

const EXAMPLE = fileURLToPath(new URL('../examples/test-runner.mjs', import.meta.url))

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [EXAMPLE, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr })
    })
  })
}

describe('examples/test-runner.mjs', () => {
  it('runs test files and prints a report; exit code 1 when a test fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-isolate-tests-'))
    try {
      const good = join(dir, 'good.test.js')
      const bad = join(dir, 'bad.test.js')
      const broken = join(dir, 'broken.test.js')
      await writeFile(good, `describe('math', () => { it('adds', () => expect(1 + 1).toBe(2)); it.skip('later', () => {}) })`)
      await writeFile(bad, `test('wrong', () => expect([1, 2]).toEqual([1, 3]))\ntest('escape', () => expect(typeof process + typeof require + typeof fetch).toBe('undefinedundefinedfunction'))`)
      await writeFile(broken, `throw new Error('cannot load')`)
      const ok = await cli([good])
      expect(ok.code).toBe(0)
      expect(ok.stdout.replace(/\(\d+ms\)/g, '(Nms)')).toBe(`✓ ${good}\n  ✓ math > adds (Nms)\n  ↓ math > later\n  1 passed, 0 failed, 1 skipped\n\n1 passed, 0 failed\n`)
      const all = await cli([good, bad, broken])
      expect(all.code).toBe(1)
      expect(all.stdout).toContain(`✗ ${bad}\n  ✗ wrong (`)
      expect(all.stdout).toContain('      expected [ 1, 2 ] to deeply equal [ 1, 3 ]\n\n      - Expected\n      + Received\n\n        [\n          1,\n      -   3,\n      +   2,\n        ]\n')
      expect(all.stdout).toContain('  ✓ escape (')
      expect(all.stdout).toContain(`✗ ${broken}: Error while loading: cannot load\n`)
      expect(all.stdout.endsWith('\n2 passed, 2 failed\n')).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('runs its built-in demo', async () => {
    const demo = await cli([])
    expect(demo.code).toBe(1)
    expect(demo.stdout).toContain('  ✗ never settles (')
    expect(demo.stdout.endsWith('\n2 passed, 2 failed\n')).toBe(true)
  })

  it('contains a file that loops or allocates without end; the next file still runs', async () => {
    const limits = { memoryLimitMB: 16, executionTimeout: 300, testTimeout: 200 }
    const loop = await runTestFile(`test('spin', () => { for (;;) {} })`, { filename: 'loop.test.js', limits })
    // The run's deadline ("Test timed out", as @ricsam/isolate-runtime words it) and the spinning
    // task's executionTimeout ("Execution timed out") fall due together; either may end it.
    expect(loop.error).toEqual({ kind: 'TimeoutError', message: expect.stringMatching(/^(Test|Execution) timed out after 300ms$/) })
    expect(formatReport(loop)).toMatch(/^✗ loop\.test\.js: TimeoutError: (Test|Execution) timed out after 300ms$/)
    const hog = await runTestFile(`test('hog', () => { const a = []; for (;;) a.push(new Array(1e5).fill(1)) })`, { filename: 'hog.test.js', limits })
    expect(hog.error.kind).toBe('MemoryLimitError')
    const fine = await runTestFile(`test('fine', () => expect(1).toBe(1))`, { filename: 'fine.test.js', limits })
    expect(fine.results).toMatchObject({ passed: 1, success: true })
  })
})
