// Shared helpers for the benches.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const root = new URL('../', import.meta.url)
const require = createRequire(import.meta.url)

export const MEMORY_LIMIT_MB = 128
// Benches that do not use isolated-vm (server.mjs) still load without it.
export const IVM_VERSION = (() => {
  try {
    return JSON.parse(readFileSync(require.resolve('isolated-vm/package.json'), 'utf8')).version
  } catch {
    return 'not installed'
  }
})()

// While the addon is not built yet, its column is skipped. Once index.js and a .node file exist,
// any load error is a real failure and is thrown.
export const oursBuilt = () => existsSync(new URL('index.js', root)) && readdirSync(root).some((f) => f.endsWith('.node'))
export const loadOurs = async () => (oursBuilt() ? import('../index.js') : null)
export const loadIvm = () => require('isolated-vm')

// isolated-vm with polyfills for the Web classes we have built in (bench/build-polyfills.mjs makes
// the bundle; setup.mjs runs it). Returns null while the bundle is missing, else
// install(isolate, context), which evaluates the bundle into that context as an isolated-vm user
// would: compiled per isolate (scripts are per isolate) from V8's code cache, made once here.
export const POLYFILLS_BUNDLE = new URL('polyfills.bundle.js', import.meta.url)
export async function ivmPolyfills(ivm) {
  if (!existsSync(POLYFILLS_BUNDLE)) return null
  const code = readFileSync(POLYFILLS_BUNDLE, 'utf8')
  const filename = 'polyfills.bundle.js'
  const probe = new ivm.Isolate({ memoryLimit: MEMORY_LIMIT_MB })
  const { cachedData } = await probe.compileScript(code, { filename, produceCachedData: true })
  probe.dispose()
  const install = async (isolate, context) => {
    const script = await isolate.compileScript(code, { filename, cachedData })
    if (script.cachedDataRejected) install.cacheRejected = true
    await script.run(context)
  }
  install.cacheRejected = false
  install.kb = Math.round(code.length / 1024)
  return install
}

// Nearest-rank percentile over a sorted copy.
export function percentile(samples, p) {
  const s = [...samples].sort((a, b) => a - b)
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]
}

// Runs a bench script in its own node process and returns the JSON it prints with --json.
// A crash, hang or bad exit is returned as { error } so the caller can report it next to other results.
export function runJson(flags, script, args = []) {
  const r = spawnSync(process.execPath, [...flags, fileURLToPath(new URL(script, import.meta.url)), ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: Number(process.env.BENCH_TIMEOUT_S ?? 1200) * 1000,
    maxBuffer: 1 << 24,
  })
  if (r.status === 0) return JSON.parse(r.stdout)
  const why = r.error?.code === 'ETIMEDOUT' ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`
  return { error: `${[script, ...args].join(' ')}: ${why}` }
}

export const fmt = (x, digits = 2) => (typeof x === 'number' ? x.toFixed(digits) : 'n/a')
export const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' ? `${(a / b).toFixed(2)}x` : 'n/a')
export const table = (header, rows) =>
  [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n')
