// Soak test (npm run test:soak; not part of npm test). In ONE process:
//   1. 10,000 createRuntime → eval → dispose cycles,
//   2. 1,000,000 runtime.fetch.dispatchRequest round trips (32 in flight, body read),
//   3. 100 memory bombs of each kind in a row,
// then checks that RSS grew by less than 5% over phases 1 and 2 (measured after a warm-up tenth
// of each; for the bombs it is reported), that no file descriptor or thread was left behind
// (/proc/self), and that the process lived.
// SOAK_SCALE=0.1 runs a tenth of everything. The phases run in a child process so that a crash
// still prints the table (and fails with the signal).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const SCALE = Number(process.env.SOAK_SCALE ?? 1)
if (!(SCALE > 0)) throw new Error('SOAK_SCALE must be a positive number')
const MARK = '@@soak@@ '
const RSS_GROWTH_LIMIT = 0.05
/** A phase stops early (and fails) when the process passes this RSS, to keep the machine alive. */
const RSS_CAP_MB = Number(process.env.SOAK_RSS_CAP_MB ?? 4096)

// ---------------------------------------------------------------------------------------------
if (process.argv[2] !== '--child') {
  const started = Date.now()
  const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const rows = []
  let buf = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      if (line.startsWith(MARK)) {
        const row = JSON.parse(line.slice(MARK.length))
        rows.push(row)
        console.log(`${row.ok ? 'ok  ' : 'FAIL'} ${row.phase}: ${row.note}`)
      } else console.log(line)
    }
  })
  const [code, signal] = await new Promise((r) => child.on('close', (c, s) => r([c, s])))
  console.log(`\nSoak summary (SOAK_SCALE=${SCALE}, ${Math.round((Date.now() - started) / 1000)} s)\n`)
  const cols = ['phase', 'count', 'seconds', 'per_s', 'rss_base_MB', 'rss_end_MB', 'rss_growth_pct', 'second_half_pct', 'peak_MB', 'node_heap_MB', 'fds', 'threads', 'errors', 'ok']
  const table = rows.map((r) => cols.map((k) => String(r[k] ?? '')))
  const widths = cols.map((k, i) => Math.max(k.length, ...table.map((t) => t[i].length)))
  const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |'
  console.log(line(cols))
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  for (const t of table) console.log(line(t))
  const failed = rows.filter((r) => !r.ok)
  if (signal || code !== 0) console.log(`\nThe soak process died: ${signal ? `signal ${signal}` : `exit code ${code}`} (after ${rows.length} phases)`)
  for (const f of failed) console.log(`\nFAILED ${f.phase}: ${f.problems.join('; ')}`)
  process.exitCode = signal || code !== 0 || failed.length ? 1 : 0
} else {
  await child()
}

// ---------------------------------------------------------------------------------------------
async function child() {
  const require = createRequire(import.meta.url)
  const { createRuntime } = require('../index.js')
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  const status = () => {
    const s = fs.readFileSync('/proc/self/status', 'utf8')
    const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN)
    const m = process.memoryUsage()
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, threads: kb('Threads'), fds: fs.readdirSync('/proc/self/fd').length, nodeHeap: m.heapTotal / 2 ** 20 }
  }
  const collect = async () => {
    for (let i = 0; i < 5; i++) {
      globalThis.gc?.()
      await sleep(20)
    }
  }
  const n = (x) => Math.max(1, Math.round(x * SCALE))
  const round = (x) => Math.round(x * 10) / 10

  /** Runs `total` operations via `step(i)`; the first tenth warms up, then the baseline is taken. */
  async function phase(name, total, step, { limitGrowth = true, perStep = 1 } = {}) {
    const warm = Math.max(1, Math.floor(total / 10))
    let errors = 0
    let capped = null
    const firstErrors = []
    const run = async (from, to) => {
      for (let i = from; i < to && !capped; i++) {
        if (i % 16 === 0 && status().rss > RSS_CAP_MB) {
          capped = `stopped at step ${i} of ${total}: RSS passed ${RSS_CAP_MB} MB`
          break
        }
        try {
          await step(i)
        } catch (e) {
          errors++
          if (firstErrors.length < 3) firstErrors.push(String(e?.message ?? e).slice(0, 200))
        }
      }
    }
    await run(0, warm)
    await collect()
    const base = status()
    fs.writeFileSync('/proc/self/clear_refs', '5')
    const t0 = Date.now()
    const mid = Math.floor((warm + total) / 2)
    await run(warm, mid)
    const middle = status()
    await run(mid, total)
    const seconds = (Date.now() - t0) / 1000
    await collect()
    let end = status()
    for (let i = 0; i < 40 && (end.threads > base.threads || end.fds > base.fds); i++) {
      await sleep(50)
      end = status()
    }
    const growth = (end.rss - base.rss) / base.rss
    const problems = []
    if (capped) problems.push(capped)
    if (limitGrowth && growth >= RSS_GROWTH_LIMIT) problems.push(`RSS grew ${round(growth * 100)}% (${round(base.rss)} → ${round(end.rss)} MB), limit ${RSS_GROWTH_LIMIT * 100}%`)
    if (end.fds > base.fds) problems.push(`fds ${base.fds} → ${end.fds}`)
    if (end.threads > base.threads) problems.push(`threads ${base.threads} → ${end.threads}`)
    if (errors) problems.push(`${errors} errors, e.g. ${firstErrors.join(' | ')}`)
    const row = {
      phase: name,
      count: total * perStep,
      seconds: round(seconds),
      per_s: Math.round(((total - warm) * perStep) / seconds),
      rss_base_MB: round(base.rss),
      rss_end_MB: round(end.rss),
      rss_growth_pct: round(growth * 100),
      // Growth over the second half alone: a leak keeps growing, a warm-up plateau does not.
      second_half_pct: round(((end.rss - middle.rss) / middle.rss) * 100),
      peak_MB: round(end.hwm),
      // Node's own JS heap (heapTotal): RSS growth that is Node's, not the addon's.
      node_heap_MB: `${round(base.nodeHeap)}→${round(end.nodeHeap)}`,
      fds: `${base.fds}→${end.fds}`,
      threads: `${base.threads}→${end.threads}`,
      errors,
      ok: problems.length === 0,
      problems,
      note: problems.length ? problems.join('; ') : `${total * perStep} in ${round(seconds)} s (after a warm-up tenth), RSS ${round(base.rss)} → ${round(end.rss)} MB`,
    }
    process.stdout.write(MARK + JSON.stringify(row) + '\n')
    return row
  }

  // 1. create / eval / dispose
  await phase('create/dispose', n(10_000), async (i) => {
    const rt = await createRuntime({ memoryLimitMB: 16 })
    await rt.eval(`globalThis.x = ${i}`)
    await rt.dispose()
  })

  // 2. dispatchRequest, 32 in flight, on one runtime
  {
    const rt = await createRuntime({ memoryLimitMB: 64 })
    await rt.eval(`serve({ fetch: (req) => new Response('hello ' + new URL(req.url).pathname) })`)
    const total = n(1_000_000)
    const batch = 32
    const one = async (i) => {
      const res = await rt.fetch.dispatchRequest(new Request(`http://soak/${i % 1000}`))
      const text = await res.text()
      if (text !== `hello /${i % 1000}`) throw new Error(`wrong body ${text}`)
    }
    await phase('dispatchRequest', Math.ceil(total / batch), async (b) => {
      await Promise.all(Array.from({ length: batch }, (_, k) => one(b * batch + k)))
    }, { perStep: batch })
    await rt.dispose()
  }

  // 3. memory bombs, 100 of each kind in a row; each must end in MemoryLimitError (or, for the
  // kinds the platform may refuse with the spec's RangeError, that).
  const bombs = {
    'heap-arrays': 'const a = []; for (;;) a.push(new Array(1e5).fill(1))',
    'array-buffers': 'const k = []; for (;;) k.push(new ArrayBuffer(8 << 20))',
    'typed-arrays-after-await': 'await null; const k = []; for (;;) k.push(new Float64Array(1 << 20).fill(1))',
    'string-flatten': `const s = 'x'.repeat(2 ** 26); s.indexOf('y')`,
    'strings-kept': `const k = []; for (let i = 0; ; i++) k.push('x'.repeat(1 << 16) + i)`,
    'map-entries': 'const m = new Map(); for (let i = 0; ; i++) m.set(i, { i })',
    'json-parse': `JSON.parse('[' + '{"a":1},'.repeat(2e6) + '{}]')`,
    'textencoder-kept': `const k = []; const s = 'x'.repeat(1 << 20); for (;;) k.push(new TextEncoder().encode(s))`,
    'wasm-memory-grow': 'const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (;;) { m.grow(16); new Uint8Array(m.buffer).fill(1) }',
  }
  for (const [kind, code] of Object.entries(bombs)) {
    const allowed = kind === 'wasm-memory-grow' ? ['MemoryLimitError', 'RangeError'] : ['MemoryLimitError']
    await phase(`bombs: ${kind}`, n(100), async () => {
      const rt = await createRuntime({ memoryLimitMB: 16, executionTimeout: 10_000 })
      try {
        const outcome = await rt.eval(code).then(() => 'resolved', (e) => e?.name)
        if (!allowed.includes(outcome)) throw new Error(`ended with ${outcome}, expected ${allowed.join(' or ')}`)
      } finally {
        await rt.dispose()
      }
    }, { limitGrowth: false })
  }

  // The process is alive and a fresh runtime still works.
  const rt = await createRuntime()
  let seen
  await rt.eval('globalThis.v = [1, 2, 3].map((x) => x * 2).join()')
  await rt.eval('serve({ fetch: () => new Response(v) })')
  seen = await (await rt.fetch.dispatchRequest(new Request('http://soak/'))).text()
  await rt.dispose()
  process.stdout.write(MARK + JSON.stringify({ phase: 'alive afterwards', ok: seen === '2,4,6', problems: seen === '2,4,6' ? [] : [`answered ${seen}`], note: `a new runtime answered ${JSON.stringify(seen)}` }) + '\n')
}
