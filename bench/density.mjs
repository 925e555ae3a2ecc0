// Density: resident memory per idle runtime with N runtimes alive, each having run one module.
// Each engine is measured in its own child process (run with --engine=ours|ivm|ivmPoly) so none
// pollutes another's RSS; without --engine this script spawns them all and prints the comparison.
// ivmPoly is isolated-vm with the polyfill bundle of build-polyfills.mjs evaluated into each context.
import { existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { performance } from 'node:perf_hooks'
import { IVM_VERSION, MEMORY_LIMIT_MB, POLYFILLS_BUNDLE, fmt, ivmPolyfills, loadIvm, loadOurs, oursBuilt, ratio, runJson, table } from './lib.mjs'

const N = Number(process.env.BENCH_N ?? 1000)
const MB = 1024 * 1024
const json = process.argv.includes('--json')
const engine = process.argv.find((a) => a.startsWith('--engine='))?.slice('--engine='.length)

// Each engine: make() gives a fully set-up runtime, heap() its V8 heap use, dispose() frees it.
async function engineFor(name) {
  if (name === 'ours') {
    const { createRuntime } = await loadOurs()
    return {
      make: async () => {
        const rt = await createRuntime({ memoryLimitMB: MEMORY_LIMIT_MB })
        await rt.eval('1')
        return rt
      },
      heap: (rt) => rt.stats().heapUsedBytes,
      dispose: (rt) => rt.dispose(),
    }
  }
  const ivm = loadIvm()
  const polyfills = name === 'ivmPoly' ? await ivmPolyfills(ivm) : null
  if (name === 'ivmPoly' && !polyfills) throw new Error('polyfills.bundle.js is missing: run node setup.mjs')
  return {
    make: async () => {
      const isolate = new ivm.Isolate({ memoryLimit: MEMORY_LIMIT_MB })
      const context = await isolate.createContext()
      if (polyfills) await polyfills(isolate, context)
      await context.eval('1')
      return { isolate, context }
    },
    heap: (r) => r.isolate.getHeapStatisticsSync().used_heap_size,
    dispose: (r) => r.isolate.dispose(),
  }
}

// RSS once the main isolate's garbage is collected and background threads have had time to settle.
async function settledRss() {
  if (!globalThis.gc) throw new Error('density.mjs --engine=… needs node --expose-gc')
  for (let i = 0; i < 3; i++) {
    globalThis.gc()
    await sleep(100)
  }
  return process.memoryUsage.rss()
}

// Thread count (Linux only): one thread per runtime costs stacks that RSS includes.
function threads() {
  try {
    return Number(readFileSync('/proc/self/status', 'utf8').match(/^Threads:\s*(\d+)/m)[1])
  } catch {
    return undefined
  }
}

async function measure(name) {
  const e = await engineFor(name)
  // One throwaway runtime first, so one-time setup (loading the addon, starting platform threads)
  // is not charged to the N runtimes.
  await e.dispose(await e.make())
  const before = await settledRss()
  const t0 = performance.now()
  const alive = []
  for (let i = 0; i < N; i++) {
    try {
      alive.push(await e.make())
    } catch (err) {
      throw new Error(`${name}: runtime ${i + 1} of ${N} failed after ${(performance.now() - t0).toFixed(0)} ms`, { cause: err })
    }
    // BENCH_VERBOSE=1 shows progress, to tell a slow run from a hung one.
    if (process.env.BENCH_VERBOSE && (i + 1) % 100 === 0)
      console.error(`${name}: ${i + 1} alive, ${(performance.now() - t0).toFixed(0)} ms, rss ${(process.memoryUsage.rss() / MB).toFixed(0)} MB`)
  }
  const createMs = performance.now() - t0
  const after = await settledRss()
  const result = {
    n: N,
    rssPerRuntimeMB: (after - before) / N / MB,
    heapUsedPerRuntimeMB: alive.reduce((sum, r) => sum + e.heap(r), 0) / N / MB,
    createMsPerRuntime: createMs / N,
    threads: threads(),
  }
  // Tear down explicitly: a hang or crash here is a result too.
  for (const r of alive) await e.dispose(r)
  return result
}

if (engine) {
  const r = await measure(engine)
  console.log(json ? JSON.stringify(r) : r)
} else {
  // Same flags for both children so their baselines match; isolated-vm needs --no-node-snapshot.
  const flags = ['--expose-gc', '--no-node-snapshot']
  const result = { n: N, ivmVersion: IVM_VERSION, ivm: runJson(flags, './density.mjs', ['--engine=ivm']) }
  if (oursBuilt()) result.ours = runJson(flags, './density.mjs', ['--engine=ours'])
  if (existsSync(POLYFILLS_BUNDLE)) result.ivmPoly = runJson(flags, './density.mjs', ['--engine=ivmPoly'])
  if (json) {
    console.log(JSON.stringify(result))
  } else {
    const o = result.ours ?? {}
    const i = result.ivm
    const p = result.ivmPoly ?? {}
    const row = (label, key) => [label, fmt(o[key]), fmt(i[key]), fmt(p[key]), ratio(o[key], i[key]), ratio(o[key], p[key])]
    for (const r of [o, i, p]) if (r.error) console.log(`FAILED: ${r.error}`)
    console.log(`Density: ${N} idle runtimes alive, each after one eval${result.ours ? '' : ' (edge-isolate not built)'}\n`)
    console.log(table(['per runtime', 'edge-isolate', `isolated-vm ${IVM_VERSION}`, 'isolated-vm + polyfills', 'ours / ivm', 'ours / ivm+polyfills'], [
      row('RSS (MB)', 'rssPerRuntimeMB'),
      row('V8 heap used (MB)', 'heapUsedPerRuntimeMB'),
      row('create + eval (ms)', 'createMsPerRuntime'),
    ]))
    console.log(`\nthreads with ${N} alive: edge-isolate ${o.threads ?? 'n/a'}, isolated-vm ${i.threads ?? 'n/a'}, isolated-vm + polyfills ${p.threads ?? 'n/a'}`)
    if (o.error || i.error || p.error) process.exitCode = 1
  }
}
