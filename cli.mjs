#!/usr/bin/env node
// edge-isolate's command line: `serve` a handler file on the native server, `run` a file or
// `eval` code in a sandbox, printing the sandbox's console with colours and levels.
import { createRequire } from 'node:module'
import { readFileSync, watch, existsSync } from 'node:fs'
import { resolve, dirname, isAbsolute, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const { createRuntime } = require('./index.js')

const HELP = {
  main: `Usage: edge-isolate <command> [options]

Commands:
  serve <handler.js>   serve a request handler on a native HTTP/WebSocket server
  run <file.js>        run a module in a sandbox and print its console
  eval <code>          run code in a sandbox and print its console

Run 'edge-isolate <command> --help' for a command's options.`,
  serve: `Usage: edge-isolate serve <handler.js> [options]

The handler file may use any of the three forms: serve({ fetch, websocket }),
export default { fetch(request, env, ctx) }, or addEventListener('fetch', (e) => e.respondWith(...)).
Relative imports are loaded from the file system.

Options:
  --port <n>              port to listen on (default 8787; 0 picks a free one)
  --hostname <host>       address to listen on (default 127.0.0.1)
  --tls-key <file>        PEM private key: serve HTTPS and WSS (with --tls-cert)
  --tls-cert <file>       PEM certificate chain
  --memory-limit <mb>     memoryLimitMB of the sandbox (default 128)
  --timeout <ms>          executionTimeout: wall-clock limit of each request and eval
  --cpu-limit <ms>        cpuTimeLimit: CPU limit of each task
  --allow-host <url>      let fetch() reach this origin (repeatable), e.g. https://api.example.com
  --allow-private-networks  let fetch() reach loopback and private addresses
  --watch                 reload into a fresh sandbox when the handler (or a file it imports) changes;
                          the server closes and listens again on the same port
  -h, --help              show this help`,
  run: `Usage: edge-isolate run <file.js> [options]

Options:
  --memory-limit <mb>     memoryLimitMB of the sandbox (default 128)
  --timeout <ms>          executionTimeout of the run
  --cpu-limit <ms>        cpuTimeLimit of each task
  --allow-host <url>      let fetch() reach this origin (repeatable)
  --allow-private-networks  let fetch() reach loopback and private addresses
  -h, --help              show this help`,
  eval: `Usage: edge-isolate eval <code> [options]

Options: as for 'run'.`,
}

const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
const LEVELS = { error: ['31', 'error'], warn: ['33', 'warn '], info: ['36', 'info '], debug: ['90', 'debug'], log: ['0', 'log  '] }

function fail(message, code = 2) {
  process.stderr.write(`${paint('31', 'error')}: ${message}\n`)
  process.exit(code)
}

/** Parses `argv` for `command`: { positional, flags }. */
function parse(command, argv) {
  const valued = new Set(['--port', '--hostname', '--tls-key', '--tls-cert', '--memory-limit', '--timeout', '--cpu-limit', '--allow-host'])
  const known = new Set([...valued, '--watch', '--allow-private-networks', '--help', '-h'])
  const flags = { allowHost: [] }
  const positional = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg)
      continue
    }
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (!known.has(name)) fail(`unknown option ${name} (see 'edge-isolate ${command} --help')`)
    if (valued.has(name)) {
      const value = inline ?? argv[++i]
      if (value === undefined) fail(`${name} needs a value`)
      if (name === '--allow-host') flags.allowHost.push(value)
      else flags[name.slice(2)] = value
    } else flags[name.replace(/^-+/, '')] = true
  }
  return { positional, flags }
}

const number = (flags, name) => {
  if (flags[name] === undefined) return undefined
  const n = Number(flags[name])
  if (!Number.isFinite(n)) fail(`--${name} must be a number (got '${flags[name]}')`)
  return n
}

/** Prints a console entry of the sandbox. */
function printEntry(entry) {
  if (entry.type !== 'output') return
  const [c, label] = LEVELS[entry.level] ?? LEVELS.log
  const indent = '  '.repeat(entry.groupDepth ?? 0)
  const text = String(entry.stdout).split('\n').map((l) => indent + l).join('\n')
  const out = entry.level === 'error' || entry.level === 'warn' ? process.stderr : process.stdout
  out.write(`${paint(c, label)} ${text}\n`)
  const frame = codeFrame(String(entry.stdout))
  if (frame) out.write(frame)
}

/** The offending line of the user's file and a caret under the column, from a stack trace. */
function codeFrame(stack) {
  const m = /(?:\(|at |\s)((?:\/|file:\/\/)[^\s():]+):(\d+):(\d+)/.exec(stack)
  if (!m) return ''
  const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1]
  if (!existsSync(file)) return ''
  const lines = readFileSync(file, 'utf8').split('\n')
  const line = Number(m[2])
  const column = Number(m[3])
  const text = lines[line - 1]
  if (text === undefined) return ''
  const gutter = String(line).length
  const shown = relative(process.cwd(), file) || file
  return `${paint('90', `  at ${shown}:${line}:${column}`)}\n${paint('90', ` ${String(line).padStart(gutter)} |`)} ${text}\n${paint('90', ` ${' '.repeat(gutter)} |`)} ${' '.repeat(Math.max(0, column - 1))}${paint('31', '^')}\n`
}

/** Loads imports from the file system, relative to their importer. */
function moduleLoader(files) {
  return (specifier, importer) => {
    const base = importer?.path && isAbsolute(importer.path) ? dirname(importer.path) : process.cwd()
    let path
    if (specifier.startsWith('file://')) path = fileURLToPath(specifier)
    else if (specifier.startsWith('./') || specifier.startsWith('../') || isAbsolute(specifier)) path = resolve(base, specifier)
    else throw new Error(`cannot import '${specifier}': only relative and absolute paths are loaded (bundle packages into the file)`)
    files?.add(path)
    return { code: readFileSync(path, 'utf8'), filename: path }
  }
}

function runtimeOptions(flags, files) {
  const options = { console: { onEntry: printEntry }, moduleLoader: moduleLoader(files) }
  const memory = number(flags, 'memory-limit')
  if (memory !== undefined) options.memoryLimitMB = memory
  const timeout = number(flags, 'timeout')
  if (timeout !== undefined) options.executionTimeout = timeout
  const cpu = number(flags, 'cpu-limit')
  if (cpu !== undefined) options.cpuTimeLimit = cpu
  if (flags.allowHost.length > 0 || flags['allow-private-networks']) {
    options.network = { allowedHosts: flags.allowHost, allowPrivateNetworks: flags['allow-private-networks'] === true }
  }
  return options
}

function report(error) {
  const text = error?.stack ?? String(error)
  process.stderr.write(`${paint('31', 'error')} ${text}\n`)
  process.stderr.write(codeFrame(text))
}

async function runCode(code, filename, flags) {
  let rt
  try {
    rt = await createRuntime(runtimeOptions(flags))
    await rt.eval(code, filename)
  } catch (error) {
    report(error)
    process.exitCode = 1
  } finally {
    await rt?.dispose()
  }
}

async function serve(file, flags) {
  const path = resolve(file)
  if (!existsSync(path)) fail(`no such file: ${file}`)
  const listen = { port: number(flags, 'port') ?? 8787, hostname: flags.hostname ?? '127.0.0.1' }
  if (flags['tls-key'] || flags['tls-cert']) {
    if (!flags['tls-key'] || !flags['tls-cert']) fail('--tls-key and --tls-cert go together')
    listen.tls = { key: readFileSync(flags['tls-key']), cert: readFileSync(flags['tls-cert']) }
  }
  let current = null
  const files = new Set([path])
  async function start() {
    const rt = await createRuntime(runtimeOptions(flags, files))
    try {
      await rt.eval(readFileSync(path, 'utf8'), path)
      const server = await rt.listen(listen)
      // Later reloads listen on the port the first one got.
      listen.port = server.port
      return { rt, server }
    } catch (error) {
      await rt.dispose()
      throw error
    }
  }
  try {
    current = await start()
  } catch (error) {
    report(error)
    if (!flags.watch) process.exit(1)
  }
  if (current) process.stdout.write(`${paint('32', 'Listening on')} ${current.server.url}\n`)
  const stop = async () => {
    if (current) {
      await current.server.close({ timeout: 1000 }).catch(() => {})
      await current.rt.dispose().catch(() => {})
      current = null
    }
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => stop().then(() => process.exit(0)))
  }
  if (!flags.watch) return
  // Reload: the old server closes, a fresh sandbox evaluates the file and listens on the same port.
  let timer = null
  let reloading = Promise.resolve()
  const watched = new Map()
  const reload = () => {
    reloading = reloading.then(async () => {
      await stop()
      try {
        current = await start()
        process.stdout.write(`${paint('32', 'Reloaded')} ${current.server.url}\n`)
      } catch (error) {
        report(error)
      }
      watchAll()
    })
  }
  const onChange = () => {
    clearTimeout(timer)
    timer = setTimeout(reload, 50)
  }
  function watchAll() {
    for (const f of files) {
      if (watched.has(f)) continue
      try {
        watched.set(f, watch(f, onChange))
      } catch {}
    }
  }
  watchAll()
}

async function main() {
  const [command, ...rest] = process.argv.slice(2)
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP.main + '\n')
    return
  }
  if (!HELP[command] || command === 'main') fail(`unknown command '${command}'\n\n${HELP.main}`)
  const { positional, flags } = parse(command, rest)
  if (flags.help || flags.h) {
    process.stdout.write(HELP[command] + '\n')
    return
  }
  if (command === 'eval') {
    if (positional.length !== 1) fail(`eval takes one argument, the code\n\n${HELP.eval}`)
    return runCode(positional[0], 'eval.js', flags)
  }
  if (positional.length !== 1) fail(`${command} takes one file\n\n${HELP[command]}`)
  if (command === 'run') {
    const path = resolve(positional[0])
    if (!existsSync(path)) fail(`no such file: ${positional[0]}`)
    return runCode(readFileSync(path, 'utf8'), path, flags)
  }
  return serve(positional[0], flags)
}

main().catch((error) => {
  report(error)
  process.exit(1)
})

