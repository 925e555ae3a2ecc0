#!/usr/bin/env node
// Runs a command with RUSTY_V8_ARCHIVE pointing at a local prebuilt V8 when one is available.
// An already-set RUSTY_V8_ARCHIVE wins; otherwise ../shared/rusty_v8 (beside the repo) is used if it
// exists; otherwise the v8 crate downloads its archive as usual.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const env = { ...process.env }
if (!env.RUSTY_V8_ARCHIVE) {
  const shared = resolve(root, '..', 'shared', 'rusty_v8')
  if (existsSync(shared)) env.RUSTY_V8_ARCHIVE = shared
}
const [cmd, ...args] = process.argv.slice(2)
if (!cmd) {
  console.error('usage: node scripts/with-v8.mjs <command> [args...]')
  process.exit(2)
}
const r = spawnSync(cmd, args, { stdio: 'inherit', env, cwd: root, shell: process.platform === 'win32' })
if (r.error) {
  console.error(r.error.message)
  process.exit(1)
}
process.exit(r.status ?? 1)
