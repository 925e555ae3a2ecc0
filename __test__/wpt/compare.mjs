#!/usr/bin/env node
// Runs the same WPT files, with the same bundle (testharness.js + META scripts + test, one classic
// script), in edge-isolate, in Node (a worker thread per file, vm.runInThisContext) and in Deno
// (a process per file), and prints subtests passed per area as a Markdown table.
//
//   node __test__/wpt/compare.mjs [filter…] [--jobs N] [--json FILE] [--no-deno]
//
// Deno comes from its npm package, installed on first use into __test__/wpt/.cache/deno (ignored by git).
// Node runs with --experimental-websocket (Node 20 has WebSocket behind it) and trusts the test CA.
import { spawn, execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { listTests, startServer, runEdge, runAll, buildBundle, parseDone, harnessTimeout, findRoot } from './runner.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const CACHE = join(HERE, '.cache')
const CA_PATH = join(HERE, '..', 'fixtures', 'tls', 'ca.pem')
const DENO_VERSION = '2.9.6'


// --- Node -------------------------------------------------------------------------------------------

const NODE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const vm = require('node:vm')
const fs = require('node:fs')
const path = require('node:path')
let sent = false
const send = (json) => { if (!sent) { sent = true; parentPort.postMessage(json) } }
globalThis.__wpt_read = (p) => { try { return fs.readFileSync(path.join(workerData.root, p), 'utf8') } catch { return null } }
globalThis.__wpt_finish = send
// Node's global is no EventTarget: testharness registers its "error" / "unhandledrejection"
// listeners on this shim, which uncaught exceptions feed as a worker's global would; the shim is
// removed once testharness.js has run, so the tests see Node's own global.
const listeners = { error: [], unhandledrejection: [] }
globalThis.addEventListener = (type, fn) => { (listeners[type] ||= []).push(fn) }
globalThis.__wpt_unshim = () => { delete globalThis.addEventListener }
process.on('uncaughtException', (error) => { for (const fn of listeners.error) fn({ message: String(error && error.message || error), error }) })
process.on('unhandledRejection', (reason) => { for (const fn of listeners.unhandledrejection) fn({ reason }) })
try {
  vm.runInThisContext(workerData.bundle, { filename: workerData.id })
} catch (error) {
  for (const fn of listeners.error) fn({ message: String(error && error.message || error), error })
}
`

function runNode(test, server) {
  const started = Date.now()
  const bundle = buildBundle(test, server)
  return new Promise((resolve) => {
    const w = new Worker(NODE_WORKER, { eval: true, workerData: { root: server.root, bundle, id: test.id }, stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: 512 } })
    let result = null
    const timer = setTimeout(() => finish({ status: 'CRASH', message: 'did not complete in time', subtests: [] }), harnessTimeout(test) + 10_000)
    const finish = (r) => {
      if (result) return
      result = r
      clearTimeout(timer)
      w.terminate().catch(() => {})
      resolve({ id: test.id, area: test.area, ...r, ms: Date.now() - started })
    }
    w.stdout.resume()
    w.stderr.resume()
    w.on('message', (json) => finish(parseDone(json, server)))
    w.on('error', (e) => finish({ status: 'CRASH', message: String(e), subtests: [] }))
    w.on('exit', (code) => finish({ status: 'CRASH', message: `worker exited with ${code}`, subtests: [] }))
  })
}

// --- Deno -------------------------------------------------------------------------------------------

function denoBinary() {
  const bin = join(CACHE, 'deno', 'node_modules', '@deno', 'linux-x64-glibc', 'deno')
  if (existsSync(bin)) return bin
  mkdirSync(join(CACHE, 'deno'), { recursive: true })
  writeFileSync(join(CACHE, 'deno', 'package.json'), '{ "name": "wpt-deno", "private": true }\n')
  console.error(`installing @deno/linux-x64-glibc@${DENO_VERSION} into ${join(CACHE, 'deno')}`)
  execFileSync('npm', ['install', '--no-audit', '--no-fund', `@deno/linux-x64-glibc@${DENO_VERSION}`], { cwd: join(CACHE, 'deno'), stdio: 'inherit' })
  return bin
}

const DENO_MAIN = (root, bundlePath) => `
const ROOT = ${JSON.stringify(root)}
globalThis.__wpt_read = (p) => { try { return Deno.readTextFileSync(ROOT + '/' + p) } catch { return null } }
globalThis.__wpt_finish = (json) => { Deno.stdout.writeSync(new TextEncoder().encode('\\n@@WPT@@' + json + '\\n')); Deno.exit(0) }
const text = Deno.readTextFileSync(${JSON.stringify(bundlePath)})
try {
  (0, eval)(text)
} catch (e) {
  dispatchEvent(new ErrorEvent('error', { message: String(e && e.message || e), error: e }))
}
`

function runDeno(test, server, deno, dir, n) {
  const started = Date.now()
  const bundlePath = join(dir, `${n}.bundle.js`)
  const mainPath = join(dir, `${n}.main.js`)
  writeFileSync(bundlePath, buildBundle(test, server))
  writeFileSync(mainPath, DENO_MAIN(server.root, bundlePath))
  return new Promise((resolve) => {
    const p = spawn(deno, ['run', '--quiet', '--no-config', '--no-lock', '--no-prompt', `--allow-read=${server.root},${dir}`, '--allow-net=127.0.0.1,localhost', '--cert', CA_PATH, mainPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    })
    let out = ''
    let err = ''
    p.stdout.on('data', (c) => (out += c))
    p.stderr.on('data', (c) => (err += c))
    const timer = setTimeout(() => p.kill('SIGKILL'), harnessTimeout(test) + 10_000)
    p.on('close', (code) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith('@@WPT@@'))
      const r = line ? parseDone(line.slice(7), server) : { status: 'CRASH', message: `deno exited with ${code}: ${err.trim().split('\n').slice(0, 3).join(' ')}`, subtests: [] }
      rmSync(bundlePath, { force: true })
      rmSync(mainPath, { force: true })
      resolve({ id: test.id, area: test.area, ...r, ms: Date.now() - started })
    })
  })
}

// --- the table --------------------------------------------------------------------------------------

/**
 * Per area: subtests passed by each engine, out of the subtests any engine saw (a file that stops
 * early reports fewer subtests; counting against the largest keeps the engines comparable).
 */
export function table(tests, engines) {
  const rows = new Map()
  for (const t of tests) {
    const row = rows.get(t.area) ?? { files: 0, total: 0, passed: Object.fromEntries(Object.keys(engines).map((e) => [e, 0])) }
    rows.set(t.area, row)
    row.files++
    const names = new Set()
    for (const results of Object.values(engines)) for (const s of results.get(t.id)?.subtests ?? []) names.add(s.name)
    row.total += names.size
    for (const [e, results] of Object.entries(engines)) row.passed[e] += (results.get(t.id)?.subtests ?? []).filter((s) => s.status === 'PASS').length
  }
  const names = Object.keys(engines)
  const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) + '%' : '–')
  const lines = [`| area | files | subtests | ${names.join(' | ')} |`, `| --- | ---: | ---: | ${names.map(() => '---:').join(' | ')} |`]
  const sum = { files: 0, total: 0, passed: Object.fromEntries(names.map((e) => [e, 0])) }
  for (const [area, r] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
    sum.files += r.files
    sum.total += r.total
    for (const e of names) sum.passed[e] += r.passed[e]
    const best = Math.max(...names.map((e) => r.passed[e]))
    lines.push(`| ${area} | ${r.files} | ${r.total} | ${names.map((e) => (r.passed[e] === best ? `**${r.passed[e]}**` : String(r.passed[e]))).join(' | ')} |`)
  }
  lines.push(`| **all** | ${sum.files} | ${sum.total} | ${names.map((e) => `${sum.passed[e]} (${pct(sum.passed[e], sum.total)})`).join(' | ')} |`)
  return lines.join('\n')
}

async function main() {
  const argv = process.argv.slice(2)
  const opt = (name) => {
    const i = argv.indexOf(name)
    if (i === -1) return undefined
    const v = argv[i + 1]
    argv.splice(i, 2)
    return v
  }
  const flag = (name) => {
    const i = argv.indexOf(name)
    if (i !== -1) argv.splice(i, 1)
    return i !== -1
  }
  const jobs = Number(opt('--jobs') ?? process.env.WPT_JOBS ?? 4)
  const jsonOut = opt('--json')
  const noDeno = flag('--no-deno')
  const root = findRoot()
  if (!root) throw new Error('No WPT files: run `node __test__/wpt/vendor.mjs` first (see __test__/wpt/README.md).')
  const tests = listTests(root).filter((t) => argv.length === 0 || argv.some((f) => t.id.includes(f)))
  const { createRuntime } = createRequire(import.meta.url)('../../index.js')
  const server = await startServer(root)
  const engines = {}
  const progress = (name) => {
    let n = 0
    return () => {
      if (++n % 50 === 0 || n === tests.length) process.stderr.write(`${name}: ${n}/${tests.length}\n`)
    }
  }
  const t0 = Date.now()
  engines['edge-isolate'] = await runAll(tests, (t) => runEdge(t, server, createRuntime), { jobs, onResult: progress('edge-isolate') })
  const t1 = Date.now()
  engines[`Node ${process.version}`] = await runAll(tests, (t) => runNode(t, server), { jobs, onResult: progress('node') })
  const t2 = Date.now()
  if (!noDeno) {
    const deno = denoBinary()
    const dir = join(CACHE, 'deno-run')
    mkdirSync(dir, { recursive: true })
    let n = 0
    engines[`Deno ${DENO_VERSION}`] = await runAll(tests, (t) => runDeno(t, server, deno, dir, n++), { jobs, onResult: progress('deno') })
  }
  const t3 = Date.now()
  await server.close()
  console.log(table(tests, engines))
  console.log(`\n(${tests.length} files; edge-isolate ${((t1 - t0) / 1000).toFixed(0)} s, Node ${((t2 - t1) / 1000).toFixed(0)} s${noDeno ? '' : `, Deno ${((t3 - t2) / 1000).toFixed(0)} s`})`)
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(Object.fromEntries(Object.entries(engines).map(([k, v]) => [k, [...v.values()]])), null, 1))
  process.exit(0)
}

// Node needs the flag and the CA before it starts: run again with them.
if (!process.execArgv.includes('--experimental-websocket') && typeof globalThis.WebSocket !== 'function') {
  const child = spawn(process.execPath, ['--experimental-websocket', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: CA_PATH },
  })
  child.on('exit', (code) => process.exit(code ?? 1))
} else {
  await main()
}
