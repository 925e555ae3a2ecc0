// Runs the public-API tests of @ricsam/isolate-runtime (the family edge-isolate's API follows) against
// this package, through adapter.mjs, and compares every test with expectations.json.
// See README.md: the tests are not in git; `--git` copies them from a clone of ricsam/isolate.
//
//   node __test__/family/run.mjs --git /path/to/isolate/.git   # copy the files (checked by blob id)
//   node __test__/family/run.mjs                                # run, compare, print the numbers
//   node __test__/family/run.mjs --update                      # rewrite expectations.json's lists
//
// Their runner is node:test with --experimental-strip-types (Node 22); here esbuild strips the types
// (so Node 20 runs them too) and maps the family's import onto adapter.mjs, and node:test's run()
// runs each file in its own process.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from 'node:test'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
// Outside __test__/, so vitest never collects the upstream *.test.ts files (.cache/ is ignored by git).
const suite = join(here, '..', '..', '.cache', 'family')
const files = JSON.parse(readFileSync(join(here, 'files.json'), 'utf8'))
const expectationsPath = join(here, 'expectations.json')
const args = process.argv.slice(2)

// git's blob id of a file's bytes.
const blobId = (bytes) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
const all = { ...files.tests, ...files.support }

if (args[0] === '--git') {
  const gitDir = args[1]
  if (!gitDir) throw new Error('usage: run.mjs --git /path/to/isolate/.git')
  for (const [path, id] of Object.entries(all)) {
    const bytes = execFileSync('git', ['--git-dir', gitDir, 'cat-file', 'blob', `${files.commit}:${path}`], { maxBuffer: 1 << 26 })
    if (blobId(bytes) !== id) throw new Error(`${path}: blob ${blobId(bytes)}, files.json says ${id}`)
    mkdirSync(dirname(join(suite, path)), { recursive: true })
    writeFileSync(join(suite, path), bytes)
  }
  console.log(`copied ${Object.keys(all).length} files of ${files.repository} at ${files.commit} into ${relative(process.cwd(), suite)}`)
  process.exit(0)
}

for (const [path, id] of Object.entries(all)) {
  const file = join(suite, path)
  if (!existsSync(file)) throw new Error(`${path} not found: run \`node __test__/family/run.mjs --git /path/to/isolate/.git\` first (README.md)`)
  if (blobId(readFileSync(file)) !== id) throw new Error(`${path} differs from ${files.commit}`)
}

// The family's module names: the runtime's own tests import `./index.ts` (the package itself), the
// other packages import `@ricsam/isolate-runtime`; both become adapter.mjs. The fs package's host
// helper (node-adapter.ts, theirs, run as it is) imports `mime-types`, which is not installed here:
// a table of the few types the tests read stands in for it.
const aliases = {
  name: 'family-aliases',
  setup(b) {
    b.onResolve({ filter: /^\.\/index\.ts$/ }, (a) =>
      a.importer.endsWith(join('packages', 'runtime', 'src', 'index.test.ts')) ? { path: join(here, 'adapter.mjs') } : undefined)
    b.onResolve({ filter: /^@ricsam\/isolate-runtime$/ }, () => ({ path: join(here, 'adapter.mjs') }))
    b.onResolve({ filter: /^mime-types$/ }, () => ({ path: 'mime-types', namespace: 'shim' }))
    b.onLoad({ filter: /.*/, namespace: 'shim' }, () => ({
      contents: `const t = { png: 'image/png', txt: 'text/plain', json: 'application/json', html: 'text/html', js: 'text/javascript', bin: 'application/octet-stream' };
export const lookup = (p) => t[String(p).split('.').pop().toLowerCase()] ?? false;`,
    }))
    // Everything else that is not a relative path (node:*, edge-isolate) stays an import.
    b.onResolve({ filter: /^[^./]/ }, (a) => (a.kind === 'entry-point' ? undefined : { path: a.path, external: true }))
  },
}

const built = []
for (const path of Object.keys(files.tests)) {
  const out = join(suite, path.replace(/\.ts$/, '.mjs'))
  await build({ entryPoints: [join(suite, path)], outfile: out, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error', plugins: [aliases] })
  built.push({ path, out })
}

// Every leaf test's result, named `<file> > <describe> > … > <test>`.
const results = new Map()
const errors = []
for (const { path, out } of built) {
  const stack = []
  for await (const e of run({ files: [out], timeout: 120_000 })) {
    const d = e.data
    if (e.type === 'test:start') {
      stack.length = d.nesting
      stack[d.nesting] = d.name
    }
    if ((e.type === 'test:pass' || e.type === 'test:fail') && d.details?.type !== 'suite') {
      if (d.name === out) {
        if (e.type === 'test:fail') errors.push(`${path}: ${d.details?.error?.cause?.message ?? d.details?.error?.message}`)
        continue
      }
      const name = [path, ...stack.slice(0, d.nesting), d.name].join(' > ')
      const err = d.details?.error
      const message = err ? String(err.cause?.message ?? err.message).split('\n')[0].slice(0, 240) : ''
      results.set(name, e.type === 'test:pass' && !d.skip ? { pass: true } : { pass: false, message: d.skip ? 'skipped' : message })
    }
  }
}

const expectations = existsSync(expectationsPath) ? JSON.parse(readFileSync(expectationsPath, 'utf8')) : { fail: {} }
const expectedFail = new Map()
for (const [reason, names] of Object.entries(expectations.fail ?? {})) for (const n of names) expectedFail.set(n, reason)

const failed = [...results].filter(([, r]) => !r.pass)
const passed = results.size - failed.length
const unexpected = failed.filter(([n]) => !expectedFail.has(n))
const fixed = [...expectedFail.keys()].filter((n) => results.get(n)?.pass)
const missing = [...expectedFail.keys()].filter((n) => !results.has(n))

console.log(`@ricsam/isolate-runtime's tests (${files.commit.slice(0, 12)}) against edge-isolate:`)
console.log(`  ${results.size} tests, ${passed} pass, ${failed.length} fail (${((100 * passed) / Math.max(1, results.size)).toFixed(1)}%)`)
for (const path of Object.keys(files.tests)) {
  const mine = [...results].filter(([n]) => n.startsWith(path + ' > '))
  console.log(`    ${path}: ${mine.filter(([, r]) => r.pass).length}/${mine.length}`)
}
const byReason = new Map()
for (const [n] of failed) {
  const r = expectedFail.get(n) ?? 'new failure'
  byReason.set(r, (byReason.get(r) ?? 0) + 1)
}
for (const [r, c] of [...byReason].sort((a, b) => b[1] - a[1])) console.log(`  ${String(c).padStart(3)}  ${r}`)
const pending = [...byReason].filter(([r]) => r.startsWith('pending ')).reduce((s, [, c]) => s + c, 0)
if (pending) console.log(`  once the pending areas land: ${passed + pending}/${results.size} (${((100 * (passed + pending)) / results.size).toFixed(1)}%)`)
for (const e of errors) console.log(`  file error: ${e}`)
if (process.env.FAMILY_VERBOSE) for (const [n, r] of results) if (!r.pass) console.log(`  FAIL ${n}\n      ${r.message}`)
for (const [n, r] of unexpected) console.log(`  NEW FAILURE ${n}\n      ${r.message}`)
for (const n of fixed) console.log(`  NOW PASSES (remove from expectations.json) ${n}`)
for (const n of missing) console.log(`  NOT RUN (remove from expectations.json) ${n}`)

if (args.includes('--update')) {
  const fail = {}
  for (const [n, r] of failed) (fail[expectedFail.get(n) ?? `new failure: ${r.message}`] ??= []).push(n)
  writeFileSync(expectationsPath, JSON.stringify({ ...expectations, fail }, null, 2) + '\n')
  console.log(`wrote ${relative(process.cwd(), expectationsPath)}`)
} else if (unexpected.length || fixed.length || missing.length || errors.length) {
  process.exitCode = 1
}
