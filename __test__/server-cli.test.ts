// The edge-isolate command line (cli.mjs), spawned as a user runs it.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { sleep } from './helpers'

const CLI = fileURLToPath(new URL('../cli.mjs', import.meta.url))
const dirs: string[] = []
const children: ReturnType<typeof spawn>[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function project(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'edge-cli-'))
  dirs.push(dir)
  for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, name), code)
  return dir
}

const cli = (args: string[], cwd?: string) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } })

/** Starts `serve`; resolves with the child, its output so far and the URL it printed. */
async function serveCli(args: string[], cwd: string) {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } })
  children.push(child)
  const out = { text: '' }
  child.stdout.on('data', (d) => (out.text += d))
  child.stderr.on('data', (d) => (out.text += d))
  for (let i = 0; i < 200 && !/Listening on (\S+)/.test(out.text); i++) await sleep(25)
  const url = /Listening on (\S+)/.exec(out.text)?.[1]
  if (!url) throw new Error(`no URL printed:\n${out.text}`)
  return { child, out, url }
}

describe('edge-isolate CLI', () => {
  it('--help for each command', () => {
    expect(cli(['--help']).stdout).toContain('serve <handler.js>')
    for (const command of ['serve', 'run', 'eval']) {
      const r = cli([command, '--help'])
      expect(r.status).toBe(0)
      expect(r.stdout).toContain(`Usage: edge-isolate ${command}`)
    }
    const bad = cli(['serve', 'x.js', '--nope'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('unknown option --nope')
  })

  it('eval and run print the console with levels; an error shows a code frame of the file', () => {
    const e = cli(['eval', 'console.log("sum", 1 + 2); console.warn("careful")'])
    expect(e.status).toBe(0)
    expect(e.stdout).toContain('log   sum 3')
    expect(e.stderr).toContain('warn  careful')
    const dir = project({ 'lib.js': 'export const twice = (n) => n * 2\n', 'main.js': "import { twice } from './lib.js'\nconsole.log(twice(21))\nconst o = null\no.field\n" })
    const r = cli(['run', 'main.js'], dir)
    expect(r.stdout).toContain('log   42')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("TypeError: Cannot read properties of null (reading 'field')")
    expect(r.stderr).toContain(' 4 | o.field')
    expect(r.stderr).toMatch(/\n\s+\| +\^/)
  })

  it('eval enforces --timeout', () => {
    const r = cli(['eval', 'for (;;) {}', '--timeout', '200'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('Execution timed out after 200ms')
  })

  it('serve: a module-form handler with relative imports, on the native server, with its console', async () => {
    const dir = project({
      'greet.js': "export const greet = (who) => 'hello ' + who\n",
      'handler.js': "import { greet } from './greet.js'\nexport default { fetch(request) { console.info('request', new URL(request.url).pathname); return new Response(greet('cli')) } }\n",
    })
    const { out, url } = await serveCli(['handler.js', '--port', '0'], dir)
    expect(await (await fetch(url + 'x')).text()).toBe('hello cli')
    for (let i = 0; i < 100 && !out.text.includes('info  request /x'); i++) await sleep(20)
    expect(out.text).toContain('info  request /x')
  })

  it('serve --watch reloads into a fresh sandbox when the file changes', async () => {
    const dir = project({ 'handler.js': "let n = 0\nserve({ fetch() { return new Response('v1 ' + ++n) } })\n" })
    const { out, url } = await serveCli(['handler.js', '--port', '0', '--watch'], dir)
    expect(await (await fetch(url)).text()).toBe('v1 1')
    expect(await (await fetch(url)).text()).toBe('v1 2')
    writeFileSync(join(dir, 'handler.js'), "let n = 0\nserve({ fetch() { return new Response('v2 ' + ++n) } })\n")
    for (let i = 0; i < 200 && !out.text.includes('Reloaded'); i++) await sleep(25)
    expect(out.text).toContain(`Reloaded ${url}`)
    // A fresh sandbox (the counter starts over), on the same port.
    expect(await (await fetch(url)).text()).toBe('v2 1')
  })
})
