// Startup latency: create a runtime, run its first module ('1'), dispose it — timed end to end.
// All engines run in this one process, interleaved, so machine noise hits them alike. Third engine:
// isolated-vm with a polyfill bundle evaluated into each context (see build-polyfills.mjs), what
// its users need for the Web classes our runtimes start with.
// Then a warm phase: the same loop with configurePool({ warmRuntimes }), reported apart.
// Run with: node --no-node-snapshot startup.mjs [--json]   (isolated-vm needs the flag on Node 20)
import { performance } from 'node:perf_hooks'
import { IVM_VERSION, MEMORY_LIMIT_MB, fmt, ivmPolyfills, loadIvm, loadOurs, percentile, ratio, table } from './lib.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 200)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20)
const WARM = Number(process.env.BENCH_WARM_RUNTIMES ?? 4)

const ours = await loadOurs()
const ivm = loadIvm()
const polyfills = await ivmPolyfills(ivm)
const engines = {
  ours: ours && (async () => {
    const rt = await ours.createRuntime({ memoryLimitMB: MEMORY_LIMIT_MB })
    await rt.eval('1')
    await rt.dispose()
  }),
  ivm: async () => {
    const isolate = new ivm.Isolate({ memoryLimit: MEMORY_LIMIT_MB })
    const context = await isolate.createContext()
    await context.eval('1')
    isolate.dispose()
  },
  ivmPoly: polyfills && (async () => {
    const isolate = new ivm.Isolate({ memoryLimit: MEMORY_LIMIT_MB })
    const context = await isolate.createContext()
    await polyfills(isolate, context)
    await context.eval('1')
    isolate.dispose()
  }),
}
const names = Object.keys(engines).filter((n) => engines[n])

const samples = Object.fromEntries(names.map((n) => [n, []]))
for (let i = 0; i < WARMUP + RUNS; i++) {
  // Alternate the order so neither engine always runs right after the other's teardown.
  for (const name of i % 2 ? [...names].reverse() : names) {
    const t0 = performance.now()
    await engines[name]()
    if (i >= WARMUP) samples[name].push(performance.now() - t0)
  }
}

const result = { runs: RUNS, ivmVersion: IVM_VERSION }
for (const n of names) result[n] = { medianMs: percentile(samples[n], 50), p99Ms: percentile(samples[n], 99) }

// Warm: createRuntime served from isolates made ahead of time (configurePool({ warmRuntimes })),
// measured after the cold runs (the warm pool is process-wide) and never mixed into them, again
// interleaved with isolated-vm's bare isolate, whose figures of this phase are its baseline.
// Before each timed warm start the bench waits, untimed, until a warm runtime is ready (the pool
// refills at the lowest priority): a start that found none would be a cold one.
if (ours) {
  ours.configurePool({ warmRuntimes: WARM, warmMemoryLimitMB: MEMORY_LIMIT_MB })
  const warm = { ours: engines.ours, ivm: engines.ivm }
  const warmSamples = { ours: [], ivm: [] }
  let waits = 0
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const name of i % 2 ? ['ivm', 'ours'] : ['ours', 'ivm']) {
      if (name === 'ours') {
        for (let t = 0; t < 1000 && ours.processStats().warmRuntimes === 0; t++) {
          waits++
          await new Promise((resolve) => setTimeout(resolve, 1))
        }
      }
      const t0 = performance.now()
      await warm[name]()
      if (i >= WARMUP) warmSamples[name].push(performance.now() - t0)
    }
  }
  ours.configurePool({ warmRuntimes: 0 })
  result.oursWarm = { medianMs: percentile(warmSamples.ours, 50), p99Ms: percentile(warmSamples.ours, 99), warmRuntimes: WARM, refillWaitsMs: waits }
  result.ivmWarmPhase = { medianMs: percentile(warmSamples.ivm, 50), p99Ms: percentile(warmSamples.ivm, 99) }
}
if (polyfills) result.ivmPoly = { ...result.ivmPoly, bundleKB: polyfills.kb, codeCacheRejected: polyfills.cacheRejected }

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(result))
} else {
  const row = (label, key) => {
    const [o, i, p] = [result.ours?.[key], result.ivm[key], result.ivmPoly?.[key]]
    return [label, fmt(o), fmt(i), fmt(p), ratio(o, i), ratio(o, p)]
  }
  console.log(`Startup: create + eval('1') + dispose, ${RUNS} runs after ${WARMUP} warm-up${ours ? '' : ' (edge-isolate not built)'}` +
    `${polyfills ? '' : ' (polyfills.bundle.js missing: run node setup.mjs)'}\n`)
  console.log(table(['ms', 'edge-isolate', `isolated-vm ${IVM_VERSION}`, 'isolated-vm + polyfills', 'ours / ivm', 'ours / ivm+polyfills'],
    [row('median', 'medianMs'), row('p99', 'p99Ms')]))
  if (result.oursWarm) {
    const w = (label, key) => [label, fmt(result.oursWarm[key]), fmt(result.ivmWarmPhase[key]), ratio(result.oursWarm[key], result.ivmWarmPhase[key])]
    console.log(`\nWarm (configurePool({ warmRuntimes: ${WARM} })), a second phase interleaved with isolated-vm's bare isolate:\n`)
    console.log(table(['ms', 'edge-isolate warm', `isolated-vm ${IVM_VERSION}`, 'ours warm / ivm'], [w('median', 'medianMs'), w('p99', 'p99Ms')]))
  }
}
