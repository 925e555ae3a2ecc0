// Installs bench/ dependencies (isolated-vm, a node-gyp native module; the polyfills and esbuild)
// when they are missing or do not load on this Node, and builds polyfills.bundle.js when it is
// missing. Does nothing when all is there and works. Then the server bench's tools, none of them
// required (server.mjs reports a missing one as n/a): wrk from apt-get when we are root, and the
// Deno and Bun binaries of bench/'s optional npm dependencies on linux-x64 glibc.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const benchDir = dirname(fileURLToPath(import.meta.url))

// isolated-vm 5 on Node >= 20 must run with --no-node-snapshot.
const loads = () =>
  spawnSync(process.execPath, ['--no-node-snapshot', '-e', "require('isolated-vm')"], { cwd: benchDir, stdio: 'ignore' })
    .status === 0
const deps = Object.keys(JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8')).dependencies)
const missing = () => deps.filter((d) => !existsSync(join(benchDir, 'node_modules', d)))
const bundled = () => existsSync(join(benchDir, 'polyfills.bundle.js'))

// The server bench's tools. Failing to get one is reported, never fatal.
function serverTools() {
  const has = (cmd, args) => !spawnSync(cmd, args, { stdio: 'ignore' }).error
  if (!has('wrk', ['-v'])) {
    const root = process.getuid?.() === 0
    if (process.platform === 'linux' && root && has('apt-get', ['--version'])) {
      console.error('bench/setup: apt-get install wrk (for server.mjs)')
      const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0
      if (!(apt(['update']) && apt(['install', '-y', 'wrk']))) console.error('bench/setup: apt-get install wrk failed: server.mjs reports its HTTP rows as n/a')
    } else {
      console.error('bench/setup: wrk is missing and needs apt-get as root to install: server.mjs reports its HTTP rows as n/a')
    }
  }
  // npm installs optional dependencies only where they fit (os, cpu, libc); elsewhere they stay missing.
  const glibc = process.platform === 'linux' && process.arch === 'x64' && Boolean(process.report?.getReport().header.glibcVersionRuntime)
  const optional = Object.keys(JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8')).optionalDependencies ?? {})
  if (glibc && optional.some((d) => !existsSync(join(benchDir, 'node_modules', d)))) {
    console.error(`bench/setup: npm install (${optional.join(', ')}, for server.mjs)`)
    const ok = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: benchDir, stdio: 'inherit' }).status === 0
    if (!ok) console.error('bench/setup: npm install failed: server.mjs reports Deno and Bun as n/a')
  }
}
serverTools()

if (loads() && missing().length === 0 && bundled()) process.exit(0)

// isolated-vm's prebuilt binaries are downloaded from GitHub, not shipped on npm; without them node-gyp
// compiles from source and first downloads Node's headers. Where that download is impossible but this
// Node install carries its own headers (<prefix>/include/node), point node-gyp at them instead.
// Left alone when the user already chose a nodedir or node-gyp already has headers for this version.
const env = { ...process.env }
const prefix = dirname(dirname(realpathSync(process.execPath)))
const cacheRoot = env.npm_config_devdir ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'node-gyp')
const cachedHeaders = existsSync(join(cacheRoot, process.versions.node, 'include', 'node', 'common.gypi'))
if (!env.npm_config_nodedir && !cachedHeaders && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
  env.npm_config_nodedir = prefix
}

const npm = (args) => {
  if (env.npm_config_nodedir === prefix) console.error(`bench/setup: using Node headers from ${prefix}/include/node`)
  console.error(`bench/setup: npm ${args.join(' ')} (isolated-vm may compile from source: a minute or more)`)
  return spawnSync('npm', [...args, '--no-audit', '--no-fund'], {
    cwd: benchDir, env, stdio: 'inherit', shell: process.platform === 'win32',
  }).status === 0
}
// Missing packages: install from the lockfile. A node_modules built for another Node ABI only needs
// a rebuild of isolated-vm.
if (missing().length && !npm(['install'])) {
  console.error('bench/setup: npm install failed (see the npm output above)')
  process.exit(1)
}
if (!loads() && (!npm(['rebuild', 'isolated-vm']) || !loads())) {
  console.error('bench/setup: isolated-vm could not be installed (see the npm output above)')
  process.exit(1)
}
if (!bundled()) {
  const r = spawnSync(process.execPath, [join(benchDir, 'build-polyfills.mjs')], { cwd: benchDir, stdio: 'inherit' })
  if (r.status !== 0) {
    console.error('bench/setup: build-polyfills.mjs failed')
    process.exit(1)
  }
}
