#!/usr/bin/env node
// Packs what would be published, without publishing: the platform package (npm/linux-x64-gnu,
// holding the built .node) and the main package, whose package.json gets the optionalDependencies
// on the platform packages that `napi prepublish` adds at release time. Prints the two tarballs'
// paths. Run after `npm run build`.
//
//   node scripts/pack.mjs [out-dir]        # default .cache/pack
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const out = resolve(process.argv[2] ?? join(root, '.cache', 'pack'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const { binaryName, targets } = pkg.napi
// napi-rs names each target's package folder and binary by its platform-arch-abi.
const PLATFORMS = { 'x86_64-unknown-linux-gnu': 'linux-x64-gnu' }

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
const npmPack = (dir) => {
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', out], dir))
  return { file: join(out, info.filename), files: info.files.map((f) => f.path) }
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

// 1. Each platform package gets its binary, as `napi artifacts` puts it there (from a folder of
//    built binaries; a copy of ours, so the tool sees nothing else of the repository). It runs in
//    a staging folder with copies of package.json and npm/: it also rewrites the binary in the
//    folder it runs in, which in the repository would take the binary away for a moment from
//    tests running beside this script (.ci/run runs Node 26's suite meanwhile).
const napiRoot = join(root, '.cache', 'artifacts-root')
rmSync(napiRoot, { recursive: true, force: true })
mkdirSync(napiRoot, { recursive: true })
copyFileSync(join(root, 'package.json'), join(napiRoot, 'package.json'))
cpSync(join(root, 'npm'), join(napiRoot, 'npm'), { recursive: true, filter: (src) => !src.endsWith('.node') })
const artifacts = join(napiRoot, 'artifacts')
mkdirSync(artifacts, { recursive: true })
const optionalDependencies = {}
const tarballs = []
for (const target of targets) {
  const platform = PLATFORMS[target]
  if (!platform) throw new Error(`no platform package folder known for target ${target}`)
  const binary = `${binaryName}.${platform}.node`
  if (!existsSync(join(root, binary))) throw new Error(`${binary} is missing: run \`npm run build\` first`)
  copyFileSync(join(root, binary), join(artifacts, binary))
  const platformDir = join(root, 'npm', platform)
  const platformPkg = JSON.parse(readFileSync(join(platformDir, 'package.json'), 'utf8'))
  if (platformPkg.version !== pkg.version) throw new Error(`npm/${platform} is version ${platformPkg.version}, the package ${pkg.version}`)
  optionalDependencies[platformPkg.name] = pkg.version
}
run(join(root, 'node_modules', '.bin', 'napi'), ['artifacts', '--output-dir', artifacts, '--npm-dir', join(napiRoot, 'npm')], napiRoot)
for (const target of targets) {
  const packed = npmPack(join(napiRoot, 'npm', PLATFORMS[target]))
  const binary = `${binaryName}.${PLATFORMS[target]}.node`
  if (!packed.files.includes(binary)) throw new Error(`the ${PLATFORMS[target]} package lacks ${binary}: ${packed.files}`)
  tarballs.push(packed.file)
}

// 2. The main package, from a staging copy of the files `npm pack` would take, with the
//    optionalDependencies added as `napi prepublish` does.
const stage = join(root, '.cache', 'stage')
rmSync(stage, { recursive: true, force: true })
mkdirSync(stage, { recursive: true })
const [listing] = JSON.parse(run('npm', ['pack', '--dry-run', '--json'], root))
for (const { path } of listing.files) {
  if (path === 'package.json') continue
  if (path.endsWith('.node')) throw new Error(`the main package must not ship a binary (${path}): it comes from the platform package`)
  mkdirSync(dirname(join(stage, path)), { recursive: true })
  copyFileSync(join(root, path), join(stage, path))
}
const { devDependencies, scripts, ...published } = pkg
writeFileSync(join(stage, 'package.json'), JSON.stringify({ ...published, optionalDependencies }, null, 2) + '\n')
const main = npmPack(stage)
for (const needed of ['index.js', 'index.mjs', 'index.d.ts', 'globals.d.ts', 'README.md', 'package.json']) {
  if (!main.files.includes(needed)) throw new Error(`the main package lacks ${needed}`)
}
tarballs.push(main.file)
process.stdout.write(tarballs.join('\n') + '\n')
