// Runs both benches, each in its own node process with the flags it needs, and prints one markdown
// table for the README. Installs nothing: run `node setup.mjs` first (the "bench" npm script does).
import { cpus } from 'node:os'
import { IVM_VERSION, fmt, oursBuilt, ratio, runJson, table } from './lib.mjs'

// isolated-vm 5 on Node >= 20 must run with --no-node-snapshot; our addon runs under the same flags.
const startup = runJson(['--no-node-snapshot'], './startup.mjs')
const density = runJson([], './density.mjs') // spawns one child per engine itself

const failures = [startup, density, density.ours, density.ivm].filter((r) => r?.error)
for (const f of failures) console.error(`FAILED: ${f.error}`)

const row = (label, ours, ivm) => [label, fmt(ours), fmt(ivm), ratio(ours, ivm)]
console.log(table(['', 'edge-isolate', `isolated-vm ${IVM_VERSION}`, 'ours / isolated-vm'], [
  row('startup median (ms)', startup.ours?.medianMs, startup.ivm?.medianMs),
  row('startup p99 (ms)', startup.ours?.p99Ms, startup.ivm?.p99Ms),
  row(`RSS per idle runtime (MB, N=${density.n ?? '?'})`, density.ours?.rssPerRuntimeMB, density.ivm?.rssPerRuntimeMB),
  row('V8 heap used per runtime (MB)', density.ours?.heapUsedPerRuntimeMB, density.ivm?.heapUsedPerRuntimeMB),
  row('create + eval per runtime (ms)', density.ours?.createMsPerRuntime, density.ivm?.createMsPerRuntime),
  [`threads with N alive`, density.ours?.threads ?? 'n/a', density.ivm?.threads ?? 'n/a', ''],
]))
console.log(
  `\nStartup = create + first eval('1') + dispose, ${startup.runs ?? '?'} runs; density = (RSS after − before) / N ` +
    `after GC. Node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length}× ${cpus()[0]?.model.trim()}.` +
    (oursBuilt() ? '' : '\nedge-isolate is not built yet: its column is empty.'),
)
if (failures.length) process.exitCode = 1
