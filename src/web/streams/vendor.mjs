// Regenerates web-streams-polyfill.js from the package's ES2018 ponyfill build:
//   npm pack web-streams-polyfill@3.3.3 && tar xzf web-streams-polyfill-3.3.3.tgz
//   node src/web/streams/vendor.mjs package/dist/ponyfill.es2018.js > src/web/streams/web-streams-polyfill.js
// What it changes, and why:
// - The UMD wrapper becomes a function expression taking the few globals it reads, so they are
//   captured once at install time (in the snapshot) and user code replacing them changes nothing.
// - Internal slots (`obj._state`, `{ _chunkSteps: … }`, `_nextSteps() {`, brand checks on
//   '_name') become
//   symbol-keyed properties, like Node's and Deno's streams: they no longer show up in
//   Object.keys / for-in / JSON.stringify, and plain objects can't forge a brand.
// - `exports.abstract` gives streams.js the abstract operations it needs.
// - JSDoc blocks and the source map line are dropped: the source lives in every runtime's heap.
import { readFileSync } from 'node:fs'

const src = readFileSync(process.argv[2], 'utf8')
const license = src.match(/^\/\*\*\s*\n \* @license[\s\S]*?\*\/\n/)[0]
const open = "(function (exports) { 'use strict';\n"
let body = src.slice(src.indexOf(open) + open.length, src.lastIndexOf('}));'))

const names = new Set([...body.matchAll(/\._([A-Za-z]\w*)\b/g)].map((m) => m[1]))
for (const n of names) {
  // Our symbol constant would clash with an identifier of the same name.
  if (body.includes(`$${n}`)) throw new Error(`name clash: $${n}`)
}
body = body
  .replace(/\/\*\*[\s\S]*?\*\/\n?[ \t]*/g, '')
  .replace(/^\s*\/\/\/ <reference[^\n]*\n/gm, '')
  .replace(/\._([A-Za-z]\w*)\b/g, (m, n) => `[$${n}]`)
  .replace(/([{,]\s*)_([A-Za-z]\w*)(\s*:)/g, (m, a, n, b) => (names.has(n) ? `${a}[$${n}]${b}` : m))
  .replace(/^(\s+)_([A-Za-z]\w*)(\s*\()/gm, (m, a, n, b) => (names.has(n) ? `${a}[$${n}]${b}` : m))
  .replace(/'_([A-Za-z]\w*)'/g, (m, n) => (names.has(n) ? `$${n}` : m))
if (/\._[A-Za-z]/.test(body)) throw new Error('an internal slot was left string-keyed')
// The abstract operations streams.js builds the `internals` API on.
const abstract = `
    exports.abstract = {
        IsReadableStream, IsReadableStreamLocked, IsWritableStream, IsTransformStream,
        AcquireReadableStreamDefaultReader, ReadableStreamDefaultReaderRead, ReadableStreamDefaultReaderRelease,
        ReadableStreamCancel, ReadableStreamTee, ReadableStreamFrom, CreateReadableStream,
        ReadableStreamDefaultControllerError, ReadableByteStreamControllerError,
        readRequest: (chunkSteps, closeSteps, errorSteps) => ({ [$chunkSteps]: chunkSteps, [$closeSteps]: closeSteps, [$errorSteps]: errorSteps }),
        controllerOf: stream => stream[$readableStreamController],
        isDisturbed: stream => stream[$disturbed],
        stateOf: stream => stream[$state],
        storedErrorOf: stream => stream[$storedError],
    };
`
const symbols = [...names].sort().map((n) => `    const $${n} = Symbol('${n}');`).join('\n')

process.stdout.write(
  license +
    '// Vendored by src/web/streams/vendor.mjs from web-streams-polyfill 3.3.3 (dist/ponyfill.es2018.js).\n' +
    '// Do not edit by hand: change vendor.mjs and regenerate.\n' +
    '(function webStreamsPolyfill(exports, globalThis, queueMicrotask, AbortController, structuredClone) {\n' +
    "    'use strict';\n" +
    '    // Internal slots.\n' +
    symbols +
    '\n' +
    body.trimEnd() +
    '\n' +
    abstract +
    '})\n',
)
