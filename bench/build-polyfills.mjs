// Builds polyfills.bundle.js: what a user of isolated-vm evaluates into each context to get the Web
// classes that edge-isolate has built in (fetch classes, streams, URL, events, encoding), from
// well-known npm polyfills. Then checks, in a bare isolated-vm context, that every global works.
// Run with: node build-polyfills.mjs   (setup.mjs runs it when the bundle is missing)
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const out = fileURLToPath(new URL('polyfills.bundle.js', import.meta.url))

// One module per step, imported in order: ES modules evaluate depth-first in import order, so each
// step's globals exist before the next step's packages evaluate (whatwg-url needs TextEncoder at
// load; whatwg-fetch looks for URLSearchParams at load).
const steps = {
  // TextEncoder/TextDecoder (UTF-8 only): its browser build assigns to the top-level `this`
  // (see the plugin below).
  encoding: `import 'fastestsmallesttextencoderdecoder/EncoderDecoderTogether.min.js'`,
  streams: `import * as s from 'web-streams-polyfill'; Object.assign(globalThis, s)`,
  events: `import { Event, EventTarget } from 'event-target-shim'; Object.assign(globalThis, { Event, EventTarget })`,
  // The package's "browser" entry only re-exports the browser's own classes, so take the dist build.
  abort: `import { AbortController, AbortSignal } from 'abort-controller/dist/abort-controller.mjs'; Object.assign(globalThis, { AbortController, AbortSignal })`,
  url: `import { URL, URLSearchParams } from 'whatwg-url'; Object.assign(globalThis, { URL, URLSearchParams })`,
  // Assigns Headers, Request, Response, fetch (XMLHttpRequest-based) and DOMException when missing.
  fetch: `import 'whatwg-fetch'`,
}

const virtual = {
  name: 'steps',
  setup(build) {
    build.onResolve({ filter: /^step:/ }, (a) => ({ path: a.path.slice(5), namespace: 'step' }))
    build.onLoad({ filter: /.*/, namespace: 'step' }, (a) => ({ contents: steps[a.path], resolveDir: fileURLToPath(new URL('.', import.meta.url)) }))
    // A bundler turns a top-level `this` into the module's exports; this script expects the global
    // (else it falls back to plain arrays instead of Uint8Array, which breaks whatwg-url).
    build.onLoad({ filter: /EncoderDecoderTogether\.min\.js$/ }, (a) => ({
      contents: `(function () {\n${readFileSync(a.path, 'utf8')}\n}).call(globalThis)`,
      loader: 'js',
    }))
  },
}

// The check, run in a bare context: isolated-vm contexts have no timers, no console, no encoding.
const CHECK = `(async () => {
  const req = new Request('https://example.com/a?b=1', { method: 'POST', headers: { 'x-a': '1' }, body: '{"a":1}' })
  const res = new Response('héllo', { headers: new Headers([['content-type', 'text/plain']]) })
  const rs = new ReadableStream({ start(c) { c.enqueue(1); c.close() } })
  const ac = new AbortController()
  ac.abort()
  const ok = [
    new URL(req.url).searchParams.get('b') === '1',
    (await req.json()).a === 1,
    (await res.text()) === 'héllo',
    (await rs.getReader().read()).value === 1,
    new TextEncoder().encode('é') instanceof Uint8Array && new TextEncoder().encode('é').length === 2,
    new TextDecoder().decode(new Uint8Array([0xc3, 0xa9])) === 'é',
    ac.signal.aborted,
    new EventTarget().dispatchEvent(new Event('x')),
    typeof TransformStream === 'function' && typeof fetch === 'function',
  ]
  return JSON.stringify(ok)
})()`

async function verify() {
  const ivm = (await import('./lib.mjs')).loadIvm()
  const isolate = new ivm.Isolate({ memoryLimit: 128 })
  try {
    const context = await isolate.createContext()
    await context.eval(readFileSync(out, 'utf8'), { filename: 'polyfills.bundle.js' })
    const ok = JSON.parse(await context.eval(CHECK, { promise: true }))
    if (!ok.every(Boolean)) throw new Error(`polyfills.bundle.js: checks failed: ${JSON.stringify(ok)}`)
  } finally {
    isolate.dispose()
  }
}

if (process.argv.includes('--verify')) {
  await verify()
} else {
  const esbuild = await import('esbuild')
  await esbuild.build({
    stdin: { contents: Object.keys(steps).map((s) => `import 'step:${s}'`).join('\n'), resolveDir: '.' },
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    plugins: [virtual],
    outfile: out,
    logLevel: 'warning',
  })
  // isolated-vm 5 on Node >= 20 needs --no-node-snapshot, so the check runs in a child.
  const r = spawnSync(process.execPath, ['--no-node-snapshot', fileURLToPath(import.meta.url), '--verify'], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(1)
  console.error(`bench/build-polyfills: wrote polyfills.bundle.js (${(readFileSync(out).length / 1024).toFixed(0)} KB)`)
}
