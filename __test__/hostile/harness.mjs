// Runs hostile cases, each in its own child Node process (runner.mjs), a few at a time.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MARK, RUNAWAY_MB, deadlineOf } from './expect.mjs'

const RUNNER = fileURLToPath(new URL('./runner.mjs', import.meta.url))
/** Time for the child to start, warm up, check and clean up around the attack itself. */
const OVERHEAD_MS = 25_000
/** Time the child gets to exit by itself once it printed its result. */
const EXIT_GRACE_MS = 10_000

/**
 * Runs case `c` in a child process. Resolves (never rejects) with
 * { code, signal, stderr, result, timedOut?, notExited?, wallMs }.
 */
export function runCase(c) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--expose-gc', RUNNER, c.id], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    let stdout = ''
    let stderr = ''
    let result = null
    let timedOut = 0
    let notExited = false
    let runaway = 0
    let exitTimer
    // The child stops itself at RUNAWAY_MB, from its own main thread; when an attack keeps that
    // thread busy, the parent stops it 1 GB later.
    const rssWatch = setInterval(() => {
      let rssMB = 0
      try {
        rssMB = Number(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0) / 1024
      } catch {
        return
      }
      if (rssMB > RUNAWAY_MB + 1024 && !result) {
        runaway = Math.round(rssMB)
        child.kill('SIGKILL')
      }
    }, 100)
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (d) => {
      stdout += d
      if (!result) {
        const line = stdout.split('\n').find((l) => l.startsWith(MARK) && stdout.includes(l + '\n'))
        if (line) {
          result = JSON.parse(line.slice(MARK.length))
          exitTimer = setTimeout(() => {
            notExited = true
            child.kill('SIGKILL')
          }, EXIT_GRACE_MS)
        }
      }
    })
    child.stderr.on('data', (d) => {
      if (stderr.length < 20_000) stderr += d
    })
    const hardMs = deadlineOf(c) + OVERHEAD_MS
    const killTimer = setTimeout(() => {
      if (result) return
      timedOut = hardMs
      child.kill('SIGKILL')
    }, hardMs)
    child.on('close', (code, signal) => {
      clearTimeout(killTimer)
      clearTimeout(exitTimer)
      clearInterval(rssWatch)
      if (runaway && !result) {
        result = { id: c.id, outcome: { kind: 'runaway', rssMB: runaway, afterMs: Date.now() - started }, elapsedMs: Date.now() - started, reported: [], peakGrowthMB: runaway }
      }
      resolve({
        code,
        // A SIGKILL we sent is reported through timedOut / notExited, not as a crash.
        signal: (timedOut || notExited || runaway) && signal === 'SIGKILL' ? null : signal,
        stderr,
        result,
        timedOut,
        notExited,
        wallMs: Date.now() - started,
        stdoutTail: result ? '' : stdout.slice(-2000),
      })
    })
  })
}

/**
 * Runs `list` with at most `concurrency` children at once, in order. Returns a Map id → promise
 * of the run, so a caller can await any case while the rest proceed.
 */
export function runAll(list, concurrency = 2, onDone = () => {}) {
  const results = new Map()
  const resolvers = new Map()
  for (const c of list) results.set(c.id, new Promise((r) => resolvers.set(c.id, r)))
  let next = 0
  const worker = async () => {
    while (next < list.length) {
      const c = list[next++]
      const run = await runCase(c)
      onDone(c, run)
      resolvers.get(c.id)(run)
    }
  }
  for (let i = 0; i < Math.min(concurrency, list.length); i++) worker()
  return results
}

/** Cases selected by HOSTILE_CASES (a regular expression over ids), or all. */
export function selectCases(all, pattern = process.env.HOSTILE_CASES) {
  if (!pattern) return all
  const re = new RegExp(pattern)
  return all.filter((c) => re.test(c.id))
}
