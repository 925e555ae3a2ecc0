#!/usr/bin/env node
// Brings the Web Platform Tests files we run into __test__/wpt/suite/ and records where each came
// from in manifest.json (repo, commit, path, git blob id), so any copy can be checked byte for byte.
//
//   node __test__/wpt/vendor.mjs --git <wpt git dir> [--commit <sha>]   select, copy, rewrite manifest.json
//   node __test__/wpt/vendor.mjs --from <dir of a wpt checkout>         copy the manifest's files from a tree
//   node __test__/wpt/vendor.mjs --check                                verify suite/ against manifest.json
//
// What is selected: the `.any.js` / `.worker.js` tests of the areas below whose META: global= includes
// a worker-like global, the support files of those areas (not .html pages, not wptserve's Python
// handlers, which the runner replaces with its own server), the scripts their META: script= lines and
// importScripts() calls name, the files they fetch by a literal path, and the WebIDL files their
// idl_test() calls name.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
export const SUITE = join(HERE, 'suite')
const MANIFEST = join(HERE, 'manifest.json')

/** Areas and the upstream directories they take tests from. */
export const AREAS = {
  url: ['url'],
  encoding: ['encoding'],
  FileAPI: ['FileAPI'],
  streams: ['streams'],
  compression: ['compression'],
  'fetch/api': ['fetch/api/headers', 'fetch/api/request', 'fetch/api/response', 'fetch/api/body', 'fetch/api/abort', 'fetch/api/basic'],
  'xhr/formdata': ['xhr/formdata'],
  'dom/events': ['dom/events'],
  'dom/abort': ['dom/abort'],
  WebCryptoAPI: ['WebCryptoAPI'],
  websockets: ['websockets'],
  'html/webappapis': [
    'html/webappapis/atob',
    'html/webappapis/timers',
    'html/webappapis/structured-clone',
    'html/webappapis/microtask-queuing',
    'html/webappapis/scripting',
  ],
  urlpattern: ['urlpattern'],
  webmessaging: ['webmessaging'],
}
/** Support directories shared by an area's tests (files only, no tests taken from them). */
const SUPPORT_DIRS = ['fetch/api/resources']
/** Files the tests reach by computed paths (e.g. "../../../xhr/resources/" + name + ".asis"). */
const EXTRA = [/^xhr\/resources\/[^/]+\.asis$/]
const ALWAYS = ['LICENSE.md', 'resources/testharness.js', 'resources/idlharness.js', 'resources/webidl2/lib/webidl2.js']
/** wptserve's path aliases (tools/serve/aliases or config) that the tests rely on. */
export const ALIASES = { 'resources/WebIDLParser.js': 'resources/webidl2/lib/webidl2.js' }
const SKIP_EXT = /\.(html?|xhtml|py|headers|ini|yml|md|png|mp3|mp4|webm|oga|ttf|template|xml|svg|pem|key)$/
const OTHER_GLOBAL_TESTS = /\.(window|sharedworker|serviceworker|worklet)\.js$|\.tentative\.window\.js$/

export const isTest = (p) => /\.(any|worker)\.js$/.test(p)

/** META: lines of a test file, as [key, value] pairs in order. */
export function metaOf(text) {
  const out = []
  for (const line of text.split('\n')) {
    const m = /^\/\/ META: *(\w+)=(.*)$/.exec(line)
    if (m) out.push([m[1], m[2].trim()])
    else if (line.trim() !== '' && !line.startsWith('//')) break
  }
  return out
}

/**
 * The globals a test runs in (https://web-platform-tests.org/writing-tests/testharness.html#tests-for-other-or-multiple-globals-any-js):
 * `.worker.js` is a dedicated worker; `.any.js` defaults to window and dedicatedworker.
 */
export function globalsOf(path, meta) {
  if (path.endsWith('.worker.js')) return new Set(['dedicatedworker'])
  const spec = meta.filter(([k]) => k === 'global').map(([, v]) => v).join(',') || 'window,dedicatedworker'
  const out = new Set()
  for (const g of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (g === 'worker') ['dedicatedworker', 'sharedworker', 'serviceworker'].forEach((x) => out.add(x))
    else if (g === 'default') ['window', 'dedicatedworker'].forEach((x) => out.add(x))
    else out.add(g)
  }
  return out
}

/** Our runtime is a worker-like global: it runs tests for dedicated workers, ShadowRealms and shells. */
export const appliesToUs = (globals) => [...globals].some((g) => g === 'dedicatedworker' || g === 'jsshell' || g.startsWith('shadowrealm'))

/** Resolves a script reference of the test at `from` (a repo-relative path) to a repo-relative path. */
export function resolveRef(from, ref) {
  const clean = ref.split('?')[0].split('#')[0]
  const p = clean.startsWith('/') ? clean.slice(1) : posix.normalize(posix.join(posix.dirname(from), clean))
  return ALIASES[p] ?? p
}

/** Scripts a file pulls in: META: script= and importScripts("…") with literal arguments. */
export function scriptRefs(path, text) {
  const refs = metaOf(text).filter(([k]) => k === 'script').map(([, v]) => v)
  for (const m of text.matchAll(/importScripts\(([^)]*)\)/g)) for (const s of m[1].matchAll(/["']([^"']+)["']/g)) refs.push(s[1])
  return refs.map((r) => resolveRef(path, r))
}

/** Files a script fetches by a literal path: fetch("…"), fetch_json("…") and absolute "/dir/file.ext" literals. */
function fetchRefs(path, text) {
  const refs = [...text.matchAll(/fetch(?:_json)?\(\s*["']([^"':]+)["']/g)].map((m) => m[1])
  for (const m of text.matchAll(/["'](\/[A-Za-z0-9_.\/-]+\.[A-Za-z0-9]+)["']/g)) if (!/\.(py|html?)$/.test(m[1])) refs.push(m[1])
  return refs.map((r) => resolveRef(path, r))
}

/** WebIDL files named by idl_test([...], [...]). */
function idlRefs(text) {
  const out = []
  for (const m of text.matchAll(/idl_test\(\s*\[([^\]]*)\]\s*,\s*\[([^\]]*)\]/g)) {
    for (const s of (m[1] + ',' + m[2]).matchAll(/["']([^"']+)["']/g)) out.push(`interfaces/${s[1]}.idl`)
  }
  return out
}

/** git blob id of `buf`, as `git hash-object` computes it. */
export const blobId = (buf) => createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex')

function gitFiles(gitDir, commit) {
  const out = execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', commit], { maxBuffer: 1 << 28 }).toString()
  const files = new Map()
  for (const line of out.split('\n')) {
    const m = /^\d+ blob ([0-9a-f]+)\t(.*)$/.exec(line)
    if (m) files.set(m[2], m[1])
  }
  return files
}
const gitRead = (gitDir, blob) => execFileSync('git', ['--git-dir', gitDir, 'cat-file', 'blob', blob], { maxBuffer: 1 << 28 })

function select(gitDir, commit) {
  const tree = gitFiles(gitDir, commit)
  const chosen = new Set(ALWAYS)
  const queue = []
  const under = (p, d) => p.startsWith(d + '/')
  for (const [path] of tree) {
    if (EXTRA.some((re) => re.test(path))) {
      chosen.add(path)
      continue
    }
    const inArea = Object.values(AREAS).flat().some((d) => under(path, d))
    const inSupport = SUPPORT_DIRS.some((d) => under(path, d))
    if (!inArea && !inSupport) continue
    if (SKIP_EXT.test(path) || OTHER_GLOBAL_TESTS.test(path)) continue
    if (inArea && isTest(path)) {
      const text = gitRead(gitDir, tree.get(path)).toString()
      if (!appliesToUs(globalsOf(path, metaOf(text)))) continue
    }
    chosen.add(path)
    queue.push(path)
  }
  // Follow script references (and idl_test's IDL files) until closed.
  while (queue.length) {
    const path = queue.pop()
    if (!path.endsWith('.js')) continue
    const text = gitRead(gitDir, tree.get(path)).toString()
    for (const ref of [...scriptRefs(path, text), ...fetchRefs(path, text), ...idlRefs(text)]) {
      if (!tree.has(ref) || chosen.has(ref)) continue
      chosen.add(ref)
      queue.push(ref)
    }
  }
  return [...chosen].filter((p) => tree.has(p)).sort().map((p) => ({ path: p, blob: tree.get(p) }))
}

function writeSuite(files, read) {
  rmSync(SUITE, { recursive: true, force: true })
  for (const f of files) {
    const buf = read(f)
    if (blobId(buf) !== f.blob) throw new Error(`${f.path}: content does not match blob ${f.blob}`)
    mkdirSync(dirname(join(SUITE, f.path)), { recursive: true })
    writeFileSync(join(SUITE, f.path), buf)
  }
}

/** The manifest, or null when there is none. */
export function readManifest() {
  return existsSync(MANIFEST) ? JSON.parse(readFileSync(MANIFEST, 'utf8')) : null
}

/** Files of the manifest missing from suite/ or differing from their blob id. */
export function checkSuite(manifest = readManifest()) {
  const bad = []
  for (const f of manifest?.files ?? []) {
    const p = join(SUITE, f.path)
    if (!existsSync(p)) bad.push(`${f.path}: missing`)
    else if (blobId(readFileSync(p)) !== f.blob) bad.push(`${f.path}: differs from ${f.blob}`)
  }
  return bad
}

function main(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name)
    return i === -1 ? undefined : argv[i + 1]
  }
  const manifest = readManifest()
  if (argv.includes('--check')) {
    const bad = checkSuite(manifest)
    console.log(bad.length ? bad.join('\n') : `suite/ matches manifest.json (${manifest.files.length} files)`)
    process.exit(bad.length ? 1 : 0)
  }
  if (arg('--git')) {
    const gitDir = arg('--git')
    const commit = arg('--commit') ?? manifest?.commit
    if (!commit) throw new Error('--commit <sha> is needed the first time')
    const full = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', commit]).toString().trim()
    const files = select(gitDir, full)
    writeSuite(files, (f) => gitRead(gitDir, f.blob))
    const out = {
      repo: 'web-platform-tests/wpt',
      commit: full,
      license: 'BSD-3-Clause (LICENSE.md)',
      areas: AREAS,
      files,
    }
    writeFileSync(MANIFEST, JSON.stringify(out, null, 1) + '\n')
    console.log(`${files.length} files of web-platform-tests/wpt@${full.slice(0, 12)} in suite/`)
    return
  }
  if (arg('--from')) {
    const dir = arg('--from')
    writeSuite(manifest.files, (f) => readFileSync(join(dir, f.path)))
    console.log(`${manifest.files.length} files copied from ${dir}`)
    return
  }
  console.log('usage: vendor.mjs --git <wpt git dir> [--commit sha] | --from <wpt checkout> | --check')
  process.exit(2)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2))
