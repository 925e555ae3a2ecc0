// Regenerates web-streams-polyfill.js from the package's ES2018 ponyfill build:
//   npm pack web-streams-polyfill@3.3.3 && tar xzf web-streams-polyfill-3.3.3.tgz
//   node src/web/streams/vendor.mjs package/dist/ponyfill.es2018.js > src/web/streams/web-streams-polyfill.js
// Check that the committed file is what this script makes (for CI; exits 1 on a difference):
//   node src/web/streams/vendor.mjs package/dist/ponyfill.es2018.js --check
// (without a path, --check runs `npm pack` into a temporary directory itself).
// What it changes, and why:
// - The UMD wrapper becomes a function expression taking the few globals it reads, so they are
//   captured once at install time (in the snapshot) and user code replacing them changes nothing.
// - Internal slots (`obj._state`, `{ _chunkSteps: … }`, `_nextSteps() {`, brand checks on
//   '_name') become
//   symbol-keyed properties, like Node's and Deno's streams: they no longer show up in
//   Object.keys / for-in / JSON.stringify, and plain objects can't forge a brand.
// - Primordials (src/runtime/primordials.js): every built-in the algorithms call at run time is
//   the one captured before user code ran (`Object.defineProperty(` → `ObjectDefineProperty(`,
//   `originalPromiseThen.call(` → `PromisePrototypeThen(`, array methods on internal lists,
//   ArrayBuffer transfer/detached, typed array constructors by brand, not `view.constructor`), and
//   AbortSignal/AbortController are driven through the platform's internal hooks, not through
//   their patchable methods. Promise reactions whose handler returns one of our own promises
//   chain it with the captured `then` (same number of ticks), never through a lookup of `then`.
// - Object literals keyed by internal slots become plain stores (see slotLiterals: speed).
// - `exports.abstract` gives streams.js the abstract operations it needs.
// - JSDoc blocks and the source map line are dropped: the source lives in every runtime's heap.
// Every targeted replacement must match exactly as often as expected, so a different input fails
// loudly instead of leaving a call unconverted.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const check = args.includes('--check')
let input = args.find((a) => a !== '--check')
let tmp = null
if (input === undefined) {
  if (!check) throw new Error('usage: vendor.mjs <ponyfill.es2018.js> [--check]')
  tmp = mkdtempSync(join(tmpdir(), 'wsp-'))
  execFileSync('npm', ['pack', 'web-streams-polyfill@3.3.3', '--silent'], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] })
  execFileSync('tar', ['xzf', 'web-streams-polyfill-3.3.3.tgz'], { cwd: tmp })
  input = join(tmp, 'package/dist/ponyfill.es2018.js')
}
const src = readFileSync(input, 'utf8')
if (tmp !== null) rmSync(tmp, { recursive: true, force: true })

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

// --- Primordials: targeted rewrites, each with the number of places it must change.
const exact = (from, to, count = 1) => {
  const n = body.split(from).length - 1
  if (n !== count) throw new Error(`expected ${count} of ${JSON.stringify(from)}, found ${n}`)
  body = body.split(from).join(to)
}
const pattern = (re, to, count) => {
  const n = (body.match(re) ?? []).length
  if (n !== count) throw new Error(`expected ${count} matches of ${re}, found ${n}`)
  body = body.replace(re, to)
}
// Promises: the captured then/reject; reactions that never look up a patchable `then`.
exact('    const originalPromiseThen = Promise.prototype.then;\n', '')
exact('Promise.reject.bind(originalPromise)', 'PromiseReject')
exact(
  `        return originalPromiseThen.call(promise, onFulfilled, onRejected);`,
  `        // Handlers that return nothing (absent, noop) need no care.
        if ((onFulfilled === undefined || onFulfilled === noop) && (onRejected === undefined || onRejected === noop)) {
            return PromisePrototypeThen(promise, onFulfilled, onRejected);
        }
        return new originalPromise((resolve, reject) => {
            PromisePrototypeThen(promise, onFulfilled === undefined ? resolve : (v) => settleWith(onFulfilled, v, resolve, reject), onRejected === undefined ? reject : (r) => settleWith(onRejected, r, resolve, reject));
        });`,
)
// The pipe loop's handlers return nothing and its promise is not used.
exact('PerformPromiseThen(pipeStep(), next, rejectLoop);', 'PromisePrototypeThen(pipeStep(), next, rejectLoop);')
exact(
  `    function uponPromise(promise, onFulfilled, onRejected) {
        PerformPromiseThen(PerformPromiseThen(promise, onFulfilled, onRejected), undefined, rethrowAssertionErrorRejection);
    }`,
  `    // A handler's result is settled into the derived promise: one of our promises is chained with
    // the captured then one job later (as resolving with a thenable would), anything else resolves it.
    function settleWith(handler, value, resolve, reject) {
        let result;
        try {
            result = handler(value);
        }
        catch (e) {
            reject(e);
            return;
        }
        if (typeof result === 'object' && result !== null && ObjectGetPrototypeOf(result) === PromisePrototype) {
            adoptPromise(resolve, reject, result);
        }
        else {
            resolve(result);
        }
    }
    const resolvedPromise = PromiseResolve(undefined);
    // Handlers' results and errors go nowhere (the derived promise of the original was only
    // there to swallow them), so no promise is resolved with what they return.
    function uponPromise(promise, onFulfilled, onRejected) {
        PromisePrototypeThen(promise, onFulfilled === undefined ? undefined : (v) => {
            try {
                onFulfilled(v);
            }
            catch (_a) { }
        }, onRejected === undefined ? noop : (r) => {
            try {
                onRejected(r);
            }
            catch (_a) { }
        });
    }`,
)
exact(
  `    function setPromiseIsHandledToTrue(promise) {
        PerformPromiseThen(promise, undefined, rethrowAssertionErrorRejection);
    }`,
  `    function setPromiseIsHandledToTrue(promise) {
        PromisePrototypeThen(promise, undefined, noop);
    }`,
)
// WebIDL "a promise resolved with": a new promise resolved with the value; when the value is one of
// our promises, it is followed through the captured then (same ticks as resolving with it, which
// would look up and call its then).
exact(
  `    function promiseResolvedWith(value) {
        return newPromise(resolve => resolve(value));`,
  `    function promiseResolvedWith(value) {
        if (typeof value === 'object' && value !== null && ObjectGetPrototypeOf(value) === PromisePrototype) {
            return newPromise((resolve, reject) => adoptPromise(resolve, reject, value));
        }
        return newPromise(resolve => resolve(value));`,
)
// tee's cancel promise follows ReadableStreamCancel's promise through the captured then.
exact(
  `        let resolveCancelPromise;
        const cancelPromise = newPromise(resolve => {
            resolveCancelPromise = resolve;
        });`,
  `        let resolveCancelPromise;
        let rejectCancelPromise;
        const cancelPromise = newPromise((resolve, reject) => {
            resolveCancelPromise = resolve;
            rejectCancelPromise = reject;
        });`,
  2,
)
exact('resolveCancelPromise(cancelResult);', 'adoptPromise(resolveCancelPromise, rejectCancelPromise, cancelResult);', 4)
exact('resolveCancelPromise(ReadableStreamCancel(stream, cloneE));', 'adoptPromise(resolveCancelPromise, rejectCancelPromise, ReadableStreamCancel(stream, cloneE));', 2)
exact(
  `    const resolvedPromise = PromiseResolve(undefined);`,
  `    const resolvedPromise = PromiseResolve(undefined);
    function adoptPromise(resolve, reject, promise) {
        // Handled now, as when a promise is resolved with it: its rejection goes on to the result.
        PromisePrototypeThen(promise, undefined, noop);
        PromisePrototypeThen(resolvedPromise, () => {
            PromisePrototypeThen(promise, resolve, reject);
        });
    }`,
)
exact('Function.prototype.apply.call(F, V, args)', 'ReflectApply(F, V, args)')
exact('Promise.resolve({', 'PromiseResolve({', 2)
exact('Promise.all(actions.map(action => action()))', 'SafePromiseAllReturnVoid(callEach(actions))')
exact('actions.push(', 'ArrayPrototypePush(actions, ', 2)
// https://webidl.spec.whatwg.org/#es-asynchronous-iterator-prototype-object: return() becomes the
// ongoing promise too, so a next() or return() called before it settled waits for it (the
// polyfill's let them run first), and its result is the iterator result of that promise.
exact(
  `        return(value) {
            const returnSteps = () => this[$returnSteps](value);
            return this[$ongoingPromise] ?
                transformPromiseWith(this[$ongoingPromise], returnSteps, returnSteps) :
                returnSteps();
        }`,
  `        return(value) {
            const returnSteps = () => this[$returnSteps](value);
            this[$ongoingPromise] = this[$ongoingPromise] ?
                transformPromiseWith(this[$ongoingPromise], returnSteps, returnSteps) :
                returnSteps();
            return transformPromiseWith(this[$ongoingPromise], () => ({ value, done: true }));
        }`,
)
// pipeTo: a chunk read from the source is written in a microtask, never inside the enqueue() that
// fulfilled the read (WPT streams/piping/general-addition.any.js: the write algorithm must not run
// synchronously). Until then currentWrite stands for that write, so a shutdown in between still
// waits for it, as "wait until every chunk that has been read has been written" says.
exact(
  `                            [$chunkSteps]: chunk => {
                                currentWrite = PerformPromiseThen(WritableStreamDefaultWriterWrite(writer, chunk), undefined, noop);
                                resolveRead(false);
                            },`,
  `                            [$chunkSteps]: chunk => {
                                let writeDone;
                                currentWrite = newPromise(resolve => {
                                    writeDone = resolve;
                                });
                                _queueMicrotask(() => {
                                    PromisePrototypeThen(WritableStreamDefaultWriterWrite(writer, chunk), () => writeDone(), () => writeDone());
                                    resolveRead(false);
                                });
                            },`,
)
// ReadableStream type "owning" (https://github.com/whatwg/streams/pull/1271, tested by WPT
// streams/readable-streams/owning-type.any.js): a default stream whose controller's enqueue(chunk,
// { transfer }) enqueues StructuredClone(chunk) with the transfer list transferred (ArrayBuffers
// detached), and whose tee clones chunks for the second branch. Other streams take a transfer
// option but refuse a non-empty list.
exact(
  `        if (type !== 'bytes') {
            throw new TypeError(\`\${context} '\${type}' is not a valid enumeration value for ReadableStreamType\`);`,
  `        if (type !== 'bytes' && type !== 'owning') {
            throw new TypeError(\`\${context} '\${type}' is not a valid enumeration value for ReadableStreamType\`);`,
)
exact(
  `    function SetUpReadableStreamDefaultControllerFromUnderlyingSource(stream, underlyingSource, highWaterMark, sizeAlgorithm) {
        const controller = Object.create(ReadableStreamDefaultController.prototype);`,
  `    function SetUpReadableStreamDefaultControllerFromUnderlyingSource(stream, underlyingSource, highWaterMark, sizeAlgorithm) {
        const controller = Object.create(ReadableStreamDefaultController.prototype);
        // Before start() runs, which may enqueue.
        controller[$isOwning] = underlyingSource.type === 'owning';`,
)
exact(
  `        enqueue(chunk = undefined) {
            if (!IsReadableStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException$1('enqueue');
            }
            if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(this)) {
                throw new TypeError('The stream is not in a state that permits enqueue');
            }
            return ReadableStreamDefaultControllerEnqueue(this, chunk);`,
  `        enqueue(chunk = undefined, options = undefined) {
            if (!IsReadableStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException$1('enqueue');
            }
            // The StructuredSerializeOptions dictionary is read first, as WebIDL converts arguments.
            if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') {
                throw new TypeError("Failed to execute 'enqueue' on 'ReadableStreamDefaultController': The provided value is not of type 'StructuredSerializeOptions'.");
            }
            const transfer = options === undefined || options === null ? undefined : options.transfer;
            let transferList = [];
            if (transfer !== undefined) {
                if ((typeof transfer !== 'object' && typeof transfer !== 'function') || transfer === null || typeof transfer[SymbolIterator] !== 'function') {
                    throw new TypeError("Failed to execute 'enqueue' on 'ReadableStreamDefaultController': The provided value cannot be converted to a sequence.");
                }
                for (const item of transfer) {
                    ArrayPrototypePush(transferList, item);
                }
            }
            if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(this)) {
                throw new TypeError('The stream is not in a state that permits enqueue');
            }
            if (this[$isOwning] === true) {
                chunk = structuredClone(chunk, { __proto__: null, transfer: transferList });
            }
            else if (transferList.length !== 0) {
                throw new TypeError("Failed to execute 'enqueue' on 'ReadableStreamDefaultController': a transfer list needs a ReadableStream of type 'owning'.");
            }
            return ReadableStreamDefaultControllerEnqueue(this, chunk);`,
)
exact(
  `        return ReadableStreamDefaultTee(stream);
    }`,
  `        return ReadableStreamDefaultTee(stream, cloneForBranch2 || stream[$readableStreamController][$isOwning] === true);
    }`,
)
exact(
  `                        const chunk1 = chunk;
                        const chunk2 = chunk;
                        // There is no way to access the cloning code right now in the reference implementation.
                        // If we add one then we'll need an implementation for serializable objects.
                        // if (!canceled2 && cloneForBranch2) {
                        //   chunk2 = StructuredDeserialize(StructuredSerialize(chunk2));
                        // }`,
  `                        const chunk1 = chunk;
                        let chunk2 = chunk;
                        if (!canceled2 && cloneForBranch2) {
                            try {
                                chunk2 = structuredClone(chunk2);
                            }
                            catch (cloneError) {
                                ReadableStreamDefaultControllerError(branch1[$readableStreamController], cloneError);
                                ReadableStreamDefaultControllerError(branch2[$readableStreamController], cloneError);
                                adoptPromise(resolveCancelPromise, rejectCancelPromise, ReadableStreamCancel(stream, cloneError));
                                return;
                            }
                        }`,
)
// The readable side cancelled while the flush runs: the cancel waits for the flush (as the spec
// says), so a flush that waits for backpressure to be relieved (streams.js's DecompressionStream
// hands out a large output piece by piece) is woken instead of waiting forever for a read that
// can no longer come; it sees the readable side closed and stops (abstract.transformReadableState).
exact(
  `        if (controller[$finishPromise] !== undefined) {
            return controller[$finishPromise];
        }
        // stream[$writable] cannot change after construction, so caching it across a call to user code is safe.`,
  `        if (controller[$finishPromise] !== undefined) {
            TransformStreamUnblockWrite(stream);
            return controller[$finishPromise];
        }
        // stream[$writable] cannot change after construction, so caching it across a call to user code is safe.`,
)
// Polyfills of functions every engine we run on has.
pattern(/\n    \/\/ [^\n]*\n    const NumberIsFinite = Number\.isFinite \|\| function \(x\) \{[\s\S]*?\n    \};/, '', 1)
pattern(/\n    \/\/ [^\n]*\n    const MathTrunc = Math\.trunc \|\| function \(v\) \{[\s\S]*?\n    \};/, '', 1)
pattern(/\n    \/\/ [^\n]*\n    const NumberIsNaN = Number\.isNaN \|\| function \(x\) \{[\s\S]*?\n    \};/, '', 1)
pattern(/\n    const SymbolAsyncIterator = [^\n]*;/, '', 1)
// Internal lists and buffers.
exact('oldBack[$elements].push(element)', 'ArrayPrototypePush(oldBack[$elements], element)')
exact('return elements.slice();', 'return SafeArrayCopy(elements);')
exact(
  'new Uint8Array(dest).set(new Uint8Array(src, srcOffset, n), destOffset);',
  'TypedArrayPrototypeSet(new Uint8Array(dest), new Uint8Array(src, srcOffset, n), destOffset);',
)
exact(
  `        if (typeof O.transfer === 'function') {
            TransferArrayBuffer = buffer => buffer.transfer();`,
  `        if (typeof ArrayBufferPrototypeTransfer === 'function') {
            TransferArrayBuffer = buffer => ArrayBufferPrototypeTransfer(buffer);`,
)
exact(
  `        if (typeof O.detached === 'boolean') {
            IsDetachedBuffer = buffer => buffer.detached;`,
  `        if (typeof ArrayBufferPrototypeGetDetached === 'function') {
            IsDetachedBuffer = buffer => ArrayBufferPrototypeGetDetached(buffer);`,
)
// ArrayBuffer.prototype.slice would look up a patchable `constructor` (@@species): copy instead.
pattern(/\n        if \(buffer\.slice\) \{\n            return buffer\.slice\(begin, end\);\n        \}/, '', 1)
exact('const nextMethod = asyncIterator.next;', 'const nextMethod = AsyncGeneratorPrototypeNextMethod;')
// A view's constructor by its brand (the spec's [[TypedArrayName]]), not its `constructor` property.
exact('view.constructor', 'viewConstructor(view)', 2)
// A view's buffer, offset and length through the captured accessors (the spec reads the internal
// slots; %TypedArray%.prototype's getters are configurable). ByteLengthQueuingStrategy's size
// reads chunk.byteLength, as the spec says (GetV).
exact('IsDetachedBuffer(view.buffer)', 'IsDetachedBuffer(bufferOfView(view))', 2)
exact('IsDetachedBuffer(this[$view].buffer)', 'IsDetachedBuffer(bufferOfView(this[$view]))')
exact('chunk.byteLength === 0', 'byteLengthOfView(chunk) === 0')
exact('chunk.buffer.byteLength === 0', 'byteLengthOfBuffer(bufferOfView(chunk)) === 0')
exact('const { byteOffset, byteLength } = view;', 'const byteOffset = byteOffsetOfView(view);\n        const byteLength = byteLengthOfView(view);')
exact('const { buffer, byteOffset, byteLength } = chunk;', 'const buffer = bufferOfView(chunk);\n        const byteOffset = byteOffsetOfView(chunk);\n        const byteLength = byteLengthOfView(chunk);')
exact('TransferArrayBuffer(view.buffer)', 'TransferArrayBuffer(bufferOfView(view))', 2)
exact('bufferByteLength: buffer.byteLength,', 'bufferByteLength: byteLengthOfBuffer(buffer),')
exact('view.buffer.byteLength', 'byteLengthOfBuffer(bufferOfView(view))', 2)
exact('ArrayBufferSlice(O.buffer, O.byteOffset, O.byteOffset + O.byteLength)', 'ArrayBufferSlice(bufferOfView(O), byteOffsetOfView(O), byteOffsetOfView(O) + byteLengthOfView(O))')
exact('min > view.length', 'min > TypedArrayPrototypeGetLength(view)')
pattern(/\bview\.byteLength\b/g, 'byteLengthOfView(view)', 6)
pattern(/\bview\.byteOffset\b/g, 'byteOffsetOfView(view)', 1)
if (/(\b(view|chunk|O)|\[\$view\])\.(buffer|byteLength|byteOffset|length)\b/.test(body.replace(/return chunk\.byteLength;/, ''))) throw new Error('a view accessor was left')
// AbortSignal / AbortController: the platform's internal hooks (streams.js passes `abortHooks`).
exact("return typeof value.aborted === 'boolean';", 'return abortHooks.isAbortSignal(value);')
exact('signal.reason !== undefined ? signal.reason :', 'abortHooks.reason(signal) !== undefined ? abortHooks.reason(signal) :')
exact('if (signal.aborted) {', 'if (abortHooks.aborted(signal)) {')
exact("signal.addEventListener('abort', abortAlgorithm);", 'removeAbortAlgorithm = abortHooks.addAlgorithm(signal, abortAlgorithm);')
exact("signal.removeEventListener('abort', abortAlgorithm);", 'if (removeAbortAlgorithm !== undefined) removeAbortAlgorithm();')
exact('            let abortAlgorithm;\n', '            let abortAlgorithm;\n            let removeAbortAlgorithm;\n')
exact('_a.abort(reason)', 'abortHooks.controllerAbort(_a, reason)')
exact('return this[$abortController].signal;', 'return abortHooks.controllerSignal(this[$abortController]);')
// Statics and prototype methods of built-ins, by their captured names.
pattern(/Object\.prototype\.hasOwnProperty\.call\(/g, 'ObjectPrototypeHasOwnProperty(', 14)
pattern(/\bObject\.(defineProperty|defineProperties|create|getPrototypeOf|setPrototypeOf)\(/g, (m, f) => `Object${f[0].toUpperCase()}${f.slice(1)}(`, 46)
pattern(/\bArrayBuffer\.isView\(/g, 'ArrayBufferIsView(', 3)
pattern(/\bMath\.(min|ceil|floor)\(/g, (m, f) => `Math${f[0].toUpperCase()}${f.slice(1)}(`, 2)
exact('Number.MAX_SAFE_INTEGER', 'NumberMAX_SAFE_INTEGER')
pattern(/\bSymbol\.(toStringTag|iterator|asyncIterator)\b/g, (m, f) => `Symbol${f[0].toUpperCase()}${f.slice(1)}`, 29)
// Brand checks: OrdinaryHasInstance, not `instanceof` (a class's Symbol.hasInstance is user code's).
pattern(/return x instanceof (\w+);/g, 'return FunctionPrototypeSymbolHasInstance($1, x);', 13)
exact('return x[$asyncIteratorImpl] instanceof\n                ReadableStreamAsyncIteratorImpl;', 'return FunctionPrototypeSymbolHasInstance(ReadableStreamAsyncIteratorImpl, x[$asyncIteratorImpl]);')
if (/ instanceof /.test(body.replace(/\/\/[^\n]*/g, ''))) throw new Error('an instanceof was left')
// Descriptors: no inherited `get`/`set`/`value` from Object.prototype.
pattern(/(ObjectDefineProperty\([^;{}]*?,\s*)\{(?!\s*__proto__)/g, '$1{ __proto__: null,', 16)
for (const re of [/originalPromiseThen/, /Function\.prototype/, /\bObject\.\w+\(/, /Promise\.(resolve|reject|all|prototype)/, /\.(push|slice|map|forEach)\((?!.*SimpleQueue)/]) {
  // What is left must be a method of our own classes (SimpleQueue's push/shift/forEach).
  const left = [...body.matchAll(new RegExp(re.source, 'g'))].map((m) => body.slice(body.lastIndexOf('\n', m.index) + 1, body.indexOf('\n', m.index)).trim())
  const allowed = left.filter((l) => !/^(this\[\$\w+\]|\w+\[\$\w+\](\[\$\w+\])?|readRequests|readIntoRequests|queue)\.(push|shift|forEach|peek)\(/.test(l) && !/^(ReadableStream|ReadableStreamDefaultReader|ReadableStreamBYOBReader)\.prototype/.test(l))
  if (allowed.length) throw new Error(`left unconverted (${re}):\n${allowed.join('\n')}`)
}

// The built-ins the algorithms use, taken from the primordials (the polyfill's own declarations
// of the same names stay its own).
const preludeUses = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array',
  'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView', 'Promise', 'TypedArrayPrototypeGetSymbolToStringTag',
  'TypedArrayPrototypeGetBuffer', 'TypedArrayPrototypeGetByteOffset', 'TypedArrayPrototypeGetByteLength',
  'DataViewPrototypeGetBuffer', 'DataViewPrototypeGetByteOffset', 'DataViewPrototypeGetByteLength',
  'ArrayBufferPrototypeGetByteLength', 'TypedArrayPrototypeGetLength',
]
const primordials = [
  'ArrayBuffer', 'ArrayBufferIsView', 'ArrayBufferPrototypeGetDetached', 'ArrayBufferPrototypeTransfer',
  'ArrayPrototypePush', 'SafeArrayCopy', 'BigInt64Array', 'BigUint64Array', 'DataView',
  'Error', 'Float32Array', 'Float64Array', 'Int16Array', 'Int32Array', 'Int8Array', 'MathCeil', 'MathFloor',
  'MathMin', 'MathTrunc', 'Number', 'NumberIsFinite', 'NumberIsNaN', 'NumberMAX_SAFE_INTEGER', 'ObjectCreate',
  'ObjectDefineProperties', 'ObjectDefineProperty', 'ObjectGetPrototypeOf', 'ObjectPrototypeHasOwnProperty',
  'ObjectSetPrototypeOf', 'FunctionPrototypeSymbolHasInstance', 'Promise', 'PromisePrototypeThen', 'PromiseReject', 'PromiseResolve', 'RangeError',
  'ReflectApply', 'SafePromiseAllReturnVoid', 'String', 'Symbol', 'SymbolAsyncIterator', 'SymbolIterator',
  'SymbolToStringTag', 'TypeError', 'TypedArrayPrototypeGetSymbolToStringTag', 'TypedArrayPrototypeSet',
  'TypedArrayPrototypeGetBuffer', 'TypedArrayPrototypeGetByteOffset', 'TypedArrayPrototypeGetByteLength',
  'DataViewPrototypeGetBuffer', 'DataViewPrototypeGetByteOffset', 'DataViewPrototypeGetByteLength',
  'ArrayBufferPrototypeGetByteLength', 'TypedArrayPrototypeGetLength',
  'Uint16Array', 'Uint32Array', 'Uint8Array', 'Uint8ClampedArray',
].filter((n) => (preludeUses.includes(n) || new RegExp(`\\b${n}\\b`).test(body)) && !new RegExp(`\\b(const|let|var|function|class) ${n}\\b`).test(body))

// The abstract operations streams.js builds the `internals` API on.
const abstract = `
    exports.abstract = {
        IsReadableStream, IsReadableStreamLocked, IsWritableStream, IsTransformStream,
        AcquireReadableStreamDefaultReader, ReadableStreamDefaultReaderRead, ReadableStreamDefaultReaderRelease,
        ReadableStreamCancel, ReadableStreamTee, ReadableStreamFrom, CreateReadableStream, CreateReadableByteStream,
        ReadableStreamDefaultControllerError, ReadableByteStreamControllerError, IsReadableByteStreamController,
        // ReadableByteStreamControllerEnqueue of a Uint8Array over a whole buffer that nothing else
        // references (made by native code for this stream): a read waiting on a default reader is
        // fulfilled with it as it is. Transferring a buffer no one else can reach is unobservable,
        // and cost a new ArrayBuffer and view per chunk. Anything else takes the spec's path.
        ReadableByteStreamControllerEnqueueOwned: (controller, chunk) => {
            const stream = controller[$controlledReadableByteStream];
            if (controller[$closeRequested] || stream[$state] !== 'readable' || controller[$pendingPullIntos].length > 0 ||
                controller[$queueTotalSize] !== 0 || !ReadableStreamHasDefaultReader(stream) || ReadableStreamGetNumReadRequests(stream) === 0) {
                return ReadableByteStreamControllerEnqueue(controller, chunk);
            }
            ReadableStreamFulfillReadRequest(stream, chunk, false);
            ReadableByteStreamControllerCallPullIfNeeded(controller);
        },
        readRequest: (chunkSteps, closeSteps, errorSteps) => {
            const request = { __proto__: null };
            request[$chunkSteps] = chunkSteps;
            request[$closeSteps] = closeSteps;
            request[$errorSteps] = errorSteps;
            return request;
        },
        controllerOf: stream => stream[$readableStreamController],
        isDisturbed: stream => stream[$disturbed],
        stateOf: stream => stream[$state],
        storedErrorOf: stream => stream[$storedError],
        // A promise that settles when the transform stream of \`controller\` has its backpressure
        // relieved (its readable side is pulled, or it errors), or undefined when it has none.
        transformBackpressure: controller => {
            const stream = controller[$controlledTransformStream];
            return stream[$backpressure] ? stream[$backpressureChangePromise] : undefined;
        },
        // The state of the readable side of the transform stream of \`controller\`.
        transformReadableState: controller => controller[$controlledTransformStream][$readable][$state],
    };
`
// Slots of our own patches (above), beside the polyfill's.
for (const n of ['isOwning']) {
  if (names.has(n) || body.includes(`$${n} =`)) throw new Error(`name clash: $${n}`)
  names.add(n)
}
const symbols = [...names].sort().map((n) => `    const $${n} = Symbol('${n}');`).join('\n')
const prelude = `    // Built-ins as they were before user code ran (src/runtime/primordials.js).
    const {
${primordials.map((n) => `        ${n},`).join('\n')}
    } = primordials;
    const PromisePrototype = Promise.prototype;
    const callEach = fns => {
        const results = [];
        for (let i = 0; i < fns.length; i++) ArrayPrototypePush(results, fns[i]());
        return results;
    };
    const AsyncGeneratorPrototypeNextMethod = primordials.AsyncGeneratorPrototype.next;
    // A view's constructor from its brand: %TypedArray%.prototype[@@toStringTag] names it.
    const typedArrayConstructors = { __proto__: null, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array };
    if (typeof primordials.Float16Array === 'function') typedArrayConstructors.Float16Array = primordials.Float16Array;
    const isTypedArray = view => TypedArrayPrototypeGetSymbolToStringTag(view) !== undefined;
    const bufferOfView = view => isTypedArray(view) ? TypedArrayPrototypeGetBuffer(view) : DataViewPrototypeGetBuffer(view);
    const byteOffsetOfView = view => isTypedArray(view) ? TypedArrayPrototypeGetByteOffset(view) : DataViewPrototypeGetByteOffset(view);
    const byteLengthOfView = view => isTypedArray(view) ? TypedArrayPrototypeGetByteLength(view) : DataViewPrototypeGetByteLength(view);
    // A SharedArrayBuffer fails ArrayBuffer's brand check: its own getter then.
    const byteLengthOfBuffer = buffer => {
        try {
            return ArrayBufferPrototypeGetByteLength(buffer);
        }
        catch (_a) {
            return buffer.byteLength;
        }
    };
    const viewConstructor = view => {
        const name = TypedArrayPrototypeGetSymbolToStringTag(view);
        return name === undefined ? DataView : typedArrayConstructors[name];
    };
`

// The prelude's own names must not be declared by the polyfill.
// A byte stream made by CreateReadableByteStream whose pull algorithm returns nothing (a socket's,
// which never waits: it answers the read or notes that one waits) costs one microtask per pull
// instead of a resolved promise and the chain of reactions uponPromise makes of it; the pull
// still counts as in progress until that microtask, as it does until the reaction runs.
exact(
  `        const pullPromise = controller[$pullAlgorithm]();
        uponPromise(pullPromise, () => {
            controller[$pulling] = false;
            if (controller[$pullAgain]) {
                controller[$pullAgain] = false;
                ReadableByteStreamControllerCallPullIfNeeded(controller);
            }
            return null;
        }, e => {
            ReadableByteStreamControllerError(controller, e);
            return null;
        });
    }
    function ReadableByteStreamControllerClearPendingPullIntos(controller) {`,
  `        const pullPromise = controller[$pullAlgorithm]();
        const pulled = () => {
            controller[$pulling] = false;
            if (controller[$pullAgain]) {
                controller[$pullAgain] = false;
                ReadableByteStreamControllerCallPullIfNeeded(controller);
            }
            return null;
        };
        if (pullPromise === undefined) {
            queueMicrotask(pulled);
            return;
        }
        uponPromise(pullPromise, pulled, e => {
            ReadableByteStreamControllerError(controller, e);
            return null;
        });
    }
    function ReadableByteStreamControllerClearPendingPullIntos(controller) {`,
)
// Object literals keyed by internal slots (`{ [$chunkSteps]: chunk => …, … }`, a read request
// per read) become stores into a fresh object, in the same order and on the same lines: V8
// defines each computed key of a literal through a runtime call and names each function there
// at run time (perf of a socket's round trips: Runtime_DefineKeyedOwnPropertyInLiteral and
// JSFunction::SetName; ~1 µs per literal of three functions, against ~50 ns for the stores). No
// such object or function ever reaches user code, so neither the shape nor the names show.
const slotLiterals = (src) => {
  const start = /\{(\s*)\[\$(\w+)\]: /g
  let out = ''
  let last = 0
  let found = 0
  for (let m; (m = start.exec(src)) !== null; ) {
    // The literal's end, and its top-level commas (strings and comments skipped).
    let depth = 0
    let end = -1
    const commas = []
    for (let i = m.index; i < src.length && end < 0; i++) {
      const c = src[i]
      if (c === '/' && src[i + 1] === '/') i = src.indexOf('\n', i)
      else if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i) + 1
      else if (c === "'" || c === '"' || c === '`') {
        for (i++; src[i] !== c; i++) if (src[i] === '\\') i++
      } else if (c === '{' || c === '(' || c === '[') depth++
      else if (c === '}' || c === ')' || c === ']') {
        if (--depth === 0) end = i
      } else if (c === ',' && depth === 1) commas.push(i)
    }
    if (end < 0) throw new Error(`unterminated literal at ${m.index}`)
    const bounds = [m.index, ...commas, end]
    let literal = '(($slots) => {'
    for (let k = 0; k + 1 < bounds.length; k++) {
      const entry = src.slice(bounds[k] + 1, bounds[k + 1])
      if (entry.trim() === '' && k + 2 === bounds.length) {
        literal += entry
        continue
      }
      const e = /^(\s*)\[\$(\w+)\]: ([\s\S]*?)(\s*)$/.exec(entry)
      if (e === null) throw new Error(`a literal mixes slot keys with others: ${JSON.stringify(entry)}`)
      literal += `${e[1]}$slots[$${e[2]}] = ${e[3]};${e[4]}`
    }
    out += src.slice(last, m.index) + literal + 'return $slots; })({})'
    last = end + 1
    start.lastIndex = last
    found++
  }
  return [out + src.slice(last), found]
}
if (names.has('slots')) throw new Error('name clash: $slots')
{
  const [rewritten, found] = slotLiterals(body)
  if (found !== 12) throw new Error(`expected 12 slot-keyed literals, found ${found}`)
  body = rewritten
}
for (const name of [...prelude.matchAll(/\bconst (\w+) =/g)].map((m) => m[1])) {
  if (new RegExp(`\\b(const|let|var|function|class) ${name}\\b`).test(body)) throw new Error(`name clash: ${name}`)
}

const out =
  license +
  '// Vendored by src/web/streams/vendor.mjs from web-streams-polyfill 3.3.3 (dist/ponyfill.es2018.js).\n' +
  '// Do not edit by hand: change vendor.mjs and regenerate.\n' +
  '(function webStreamsPolyfill(exports, globalThis, queueMicrotask, AbortController, structuredClone, primordials, abortHooks) {\n' +
  "    'use strict';\n" +
  prelude +
  '    // Internal slots.\n' +
  symbols +
  '\n' +
  body.trimEnd() +
  '\n' +
  abstract +
  '})\n'

if (check) {
  const here = dirname(fileURLToPath(import.meta.url))
  const committed = readFileSync(join(here, 'web-streams-polyfill.js'), 'utf8')
  if (committed !== out) {
    console.error('src/web/streams/web-streams-polyfill.js differs from what vendor.mjs makes: regenerate it')
    process.exit(1)
  }
  console.log('web-streams-polyfill.js is up to date')
} else {
  process.stdout.write(out)
}
