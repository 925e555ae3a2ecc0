/**
 * @license
 * web-streams-polyfill v3.3.3
 * Copyright 2024 Mattias Buelens, Diwank Singh Tomer and other contributors.
 * This code is released under the MIT license.
 * SPDX-License-Identifier: MIT
 */
// Vendored by src/web/streams/vendor.mjs from web-streams-polyfill 3.3.3 (dist/ponyfill.es2018.js).
// Do not edit by hand: change vendor.mjs and regenerate.
(function webStreamsPolyfill(exports, globalThis, queueMicrotask, AbortController, structuredClone, primordials, abortHooks) {
    'use strict';
    // Built-ins as they were before user code ran (src/runtime/primordials.js).
    const {
        ArrayBuffer,
        ArrayBufferIsView,
        ArrayBufferPrototypeGetDetached,
        ArrayBufferPrototypeTransfer,
        ArrayPrototypePush,
        SafeArrayCopy,
        BigInt64Array,
        BigUint64Array,
        DataView,
        Error,
        Float32Array,
        Float64Array,
        Int16Array,
        Int32Array,
        Int8Array,
        MathMin,
        MathTrunc,
        Number,
        NumberIsFinite,
        NumberIsNaN,
        NumberMAX_SAFE_INTEGER,
        ObjectCreate,
        ObjectDefineProperties,
        ObjectDefineProperty,
        ObjectGetPrototypeOf,
        ObjectPrototypeHasOwnProperty,
        ObjectSetPrototypeOf,
        FunctionPrototypeSymbolHasInstance,
        Promise,
        PromisePrototypeThen,
        PromiseReject,
        PromiseResolve,
        RangeError,
        ReflectApply,
        SafePromiseAllReturnVoid,
        String,
        Symbol,
        SymbolAsyncIterator,
        SymbolIterator,
        SymbolToStringTag,
        TypeError,
        TypedArrayPrototypeGetSymbolToStringTag,
        TypedArrayPrototypeSet,
        TypedArrayPrototypeGetBuffer,
        TypedArrayPrototypeGetByteOffset,
        TypedArrayPrototypeGetByteLength,
        DataViewPrototypeGetBuffer,
        DataViewPrototypeGetByteOffset,
        DataViewPrototypeGetByteLength,
        ArrayBufferPrototypeGetByteLength,
        TypedArrayPrototypeGetLength,
        Uint16Array,
        Uint32Array,
        Uint8Array,
        Uint8ClampedArray,
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
    // Internal slots.
    const $abortAlgorithm = Symbol('abortAlgorithm');
    const $abortController = Symbol('abortController');
    const $abortReason = Symbol('abortReason');
    const $associatedReadableByteStreamController = Symbol('associatedReadableByteStreamController');
    const $asyncIteratorImpl = Symbol('asyncIteratorImpl');
    const $autoAllocateChunkSize = Symbol('autoAllocateChunkSize');
    const $back = Symbol('back');
    const $backpressure = Symbol('backpressure');
    const $backpressureChangePromise = Symbol('backpressureChangePromise');
    const $backpressureChangePromise_resolve = Symbol('backpressureChangePromise_resolve');
    const $byobRequest = Symbol('byobRequest');
    const $byteLengthQueuingStrategyHighWaterMark = Symbol('byteLengthQueuingStrategyHighWaterMark');
    const $cancelAlgorithm = Symbol('cancelAlgorithm');
    const $chunkSteps = Symbol('chunkSteps');
    const $closeAlgorithm = Symbol('closeAlgorithm');
    const $closeRequest = Symbol('closeRequest');
    const $closeRequested = Symbol('closeRequested');
    const $closeSteps = Symbol('closeSteps');
    const $closedPromise = Symbol('closedPromise');
    const $closedPromiseState = Symbol('closedPromiseState');
    const $closedPromise_reject = Symbol('closedPromise_reject');
    const $closedPromise_resolve = Symbol('closedPromise_resolve');
    const $controlledReadableByteStream = Symbol('controlledReadableByteStream');
    const $controlledReadableStream = Symbol('controlledReadableStream');
    const $controlledTransformStream = Symbol('controlledTransformStream');
    const $controlledWritableStream = Symbol('controlledWritableStream');
    const $countQueuingStrategyHighWaterMark = Symbol('countQueuingStrategyHighWaterMark');
    const $cursor = Symbol('cursor');
    const $disturbed = Symbol('disturbed');
    const $elements = Symbol('elements');
    const $errorSteps = Symbol('errorSteps');
    const $finishPromise = Symbol('finishPromise');
    const $finishPromise_reject = Symbol('finishPromise_reject');
    const $finishPromise_resolve = Symbol('finishPromise_resolve');
    const $flushAlgorithm = Symbol('flushAlgorithm');
    const $front = Symbol('front');
    const $inFlightCloseRequest = Symbol('inFlightCloseRequest');
    const $inFlightWriteRequest = Symbol('inFlightWriteRequest');
    const $isFinished = Symbol('isFinished');
    const $isOwning = Symbol('isOwning');
    const $next = Symbol('next');
    const $nextSteps = Symbol('nextSteps');
    const $ongoingPromise = Symbol('ongoingPromise');
    const $ownerReadableStream = Symbol('ownerReadableStream');
    const $ownerWritableStream = Symbol('ownerWritableStream');
    const $pendingAbortRequest = Symbol('pendingAbortRequest');
    const $pendingPullIntos = Symbol('pendingPullIntos');
    const $preventCancel = Symbol('preventCancel');
    const $promise = Symbol('promise');
    const $pullAgain = Symbol('pullAgain');
    const $pullAlgorithm = Symbol('pullAlgorithm');
    const $pulling = Symbol('pulling');
    const $queue = Symbol('queue');
    const $queueTotalSize = Symbol('queueTotalSize');
    const $readIntoRequests = Symbol('readIntoRequests');
    const $readRequests = Symbol('readRequests');
    const $readable = Symbol('readable');
    const $readableStreamController = Symbol('readableStreamController');
    const $reader = Symbol('reader');
    const $readyPromise = Symbol('readyPromise');
    const $readyPromiseState = Symbol('readyPromiseState');
    const $readyPromise_reject = Symbol('readyPromise_reject');
    const $readyPromise_resolve = Symbol('readyPromise_resolve');
    const $reason = Symbol('reason');
    const $reject = Symbol('reject');
    const $resolve = Symbol('resolve');
    const $returnSteps = Symbol('returnSteps');
    const $size = Symbol('size');
    const $started = Symbol('started');
    const $state = Symbol('state');
    const $storedError = Symbol('storedError');
    const $strategyHWM = Symbol('strategyHWM');
    const $strategySizeAlgorithm = Symbol('strategySizeAlgorithm');
    const $transformAlgorithm = Symbol('transformAlgorithm');
    const $transformStreamController = Symbol('transformStreamController');
    const $view = Symbol('view');
    const $wasAlreadyErroring = Symbol('wasAlreadyErroring');
    const $writable = Symbol('writable');
    const $writableStreamController = Symbol('writableStreamController');
    const $writeAlgorithm = Symbol('writeAlgorithm');
    const $writeRequests = Symbol('writeRequests');
    const $writer = Symbol('writer');

    function noop() {
        return undefined;
    }

    function typeIsObject(x) {
        return (typeof x === 'object' && x !== null) || typeof x === 'function';
    }
    const rethrowAssertionErrorRejection = noop;
    function setFunctionName(fn, name) {
        try {
            ObjectDefineProperty(fn, 'name', { __proto__: null,
                value: name,
                configurable: true
            });
        }
        catch (_a) {
            // This property is non-configurable in older browsers, so ignore if this throws.
            // https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Function/name#browser_compatibility
        }
    }

    const originalPromise = Promise;
    const originalPromiseReject = PromiseReject;
    // https://webidl.spec.whatwg.org/#a-new-promise
    function newPromise(executor) {
        return new originalPromise(executor);
    }
    // https://webidl.spec.whatwg.org/#a-promise-resolved-with
    function promiseResolvedWith(value) {
        if (typeof value === 'object' && value !== null && ObjectGetPrototypeOf(value) === PromisePrototype) {
            return newPromise((resolve, reject) => adoptPromise(resolve, reject, value));
        }
        return newPromise(resolve => resolve(value));
    }
    // https://webidl.spec.whatwg.org/#a-promise-rejected-with
    function promiseRejectedWith(reason) {
        return originalPromiseReject(reason);
    }
    function PerformPromiseThen(promise, onFulfilled, onRejected) {
        // There doesn't appear to be any way to correctly emulate the behaviour from JavaScript, so this is just an
        // approximation.
        // Handlers that return nothing (absent, noop) need no care.
        if ((onFulfilled === undefined || onFulfilled === noop) && (onRejected === undefined || onRejected === noop)) {
            return PromisePrototypeThen(promise, onFulfilled, onRejected);
        }
        return new originalPromise((resolve, reject) => {
            PromisePrototypeThen(promise, onFulfilled === undefined ? resolve : (v) => settleWith(onFulfilled, v, resolve, reject), onRejected === undefined ? reject : (r) => settleWith(onRejected, r, resolve, reject));
        });
    }
    // Bluebird logs a warning when a promise is created within a fulfillment handler, but then isn't returned
    // from that handler. To prevent this, return null instead of void from all handlers.
    // http://bluebirdjs.com/docs/warning-explanations.html#warning-a-promise-was-created-in-a-handler-but-was-not-returned-from-it
    // A handler's result is settled into the derived promise: one of our promises is chained with
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
    function adoptPromise(resolve, reject, promise) {
        // Handled now, as when a promise is resolved with it: its rejection goes on to the result.
        PromisePrototypeThen(promise, undefined, noop);
        PromisePrototypeThen(resolvedPromise, () => {
            PromisePrototypeThen(promise, resolve, reject);
        });
    }
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
    }
    function uponFulfillment(promise, onFulfilled) {
        uponPromise(promise, onFulfilled);
    }
    function uponRejection(promise, onRejected) {
        uponPromise(promise, undefined, onRejected);
    }
    function transformPromiseWith(promise, fulfillmentHandler, rejectionHandler) {
        return PerformPromiseThen(promise, fulfillmentHandler, rejectionHandler);
    }
    function setPromiseIsHandledToTrue(promise) {
        PromisePrototypeThen(promise, undefined, noop);
    }
    let _queueMicrotask = callback => {
        if (typeof queueMicrotask === 'function') {
            _queueMicrotask = queueMicrotask;
        }
        else {
            const resolvedPromise = promiseResolvedWith(undefined);
            _queueMicrotask = cb => PerformPromiseThen(resolvedPromise, cb);
        }
        return _queueMicrotask(callback);
    };
    function reflectCall(F, V, args) {
        if (typeof F !== 'function') {
            throw new TypeError('Argument is not a function');
        }
        return ReflectApply(F, V, args);
    }
    function promiseCall(F, V, args) {
        try {
            return promiseResolvedWith(reflectCall(F, V, args));
        }
        catch (value) {
            return promiseRejectedWith(value);
        }
    }

    // Original from Chromium
    // https://chromium.googlesource.com/chromium/src/+/0aee4434a4dba42a42abaea9bfbc0cd196a63bc1/third_party/blink/renderer/core/streams/SimpleQueue.js
    const QUEUE_MAX_ARRAY_SIZE = 16384;
    class SimpleQueue {
        constructor() {
            this[$cursor] = 0;
            this[$size] = 0;
            // _front and _back are always defined.
            this[$front] = (($slots) => {
                $slots[$elements] = [];
                $slots[$next] = undefined;
            return $slots; })({});
            this[$back] = this[$front];
            // The cursor is used to avoid calling Array.shift().
            // It contains the index of the front element of the array inside the
            // front-most node. It is always in the range [0, QUEUE_MAX_ARRAY_SIZE).
            this[$cursor] = 0;
            // When there is only one node, size === elements.length - cursor.
            this[$size] = 0;
        }
        get length() {
            return this[$size];
        }
        // For exception safety, this method is structured in order:
        // 1. Read state
        // 2. Calculate required state mutations
        // 3. Perform state mutations
        push(element) {
            const oldBack = this[$back];
            let newBack = oldBack;
            if (oldBack[$elements].length === QUEUE_MAX_ARRAY_SIZE - 1) {
                newBack = (($slots) => {
                    $slots[$elements] = [];
                    $slots[$next] = undefined;
                return $slots; })({});
            }
            // push() is the mutation most likely to throw an exception, so it
            // goes first.
            ArrayPrototypePush(oldBack[$elements], element);
            if (newBack !== oldBack) {
                this[$back] = newBack;
                oldBack[$next] = newBack;
            }
            ++this[$size];
        }
        // Like push(), shift() follows the read -> calculate -> mutate pattern for
        // exception safety.
        shift() { // must not be called on an empty queue
            const oldFront = this[$front];
            let newFront = oldFront;
            const oldCursor = this[$cursor];
            let newCursor = oldCursor + 1;
            const elements = oldFront[$elements];
            const element = elements[oldCursor];
            if (newCursor === QUEUE_MAX_ARRAY_SIZE) {
                newFront = oldFront[$next];
                newCursor = 0;
            }
            // No mutations before this point.
            --this[$size];
            this[$cursor] = newCursor;
            if (oldFront !== newFront) {
                this[$front] = newFront;
            }
            // Permit shifted element to be garbage collected.
            elements[oldCursor] = undefined;
            return element;
        }
        // The tricky thing about forEach() is that it can be called
        // re-entrantly. The queue may be mutated inside the callback. It is easy to
        // see that push() within the callback has no negative effects since the end
        // of the queue is checked for on every iteration. If shift() is called
        // repeatedly within the callback then the next iteration may return an
        // element that has been removed. In this case the callback will be called
        // with undefined values until we either "catch up" with elements that still
        // exist or reach the back of the queue.
        forEach(callback) {
            let i = this[$cursor];
            let node = this[$front];
            let elements = node[$elements];
            while (i !== elements.length || node[$next] !== undefined) {
                if (i === elements.length) {
                    node = node[$next];
                    elements = node[$elements];
                    i = 0;
                    if (elements.length === 0) {
                        break;
                    }
                }
                callback(elements[i]);
                ++i;
            }
        }
        // Return the element that would be returned if shift() was called now,
        // without modifying the queue.
        peek() { // must not be called on an empty queue
            const front = this[$front];
            const cursor = this[$cursor];
            return front[$elements][cursor];
        }
    }

    const AbortSteps = Symbol('[[AbortSteps]]');
    const ErrorSteps = Symbol('[[ErrorSteps]]');
    const CancelSteps = Symbol('[[CancelSteps]]');
    const PullSteps = Symbol('[[PullSteps]]');
    const ReleaseSteps = Symbol('[[ReleaseSteps]]');

    function ReadableStreamReaderGenericInitialize(reader, stream) {
        reader[$ownerReadableStream] = stream;
        stream[$reader] = reader;
        if (stream[$state] === 'readable') {
            defaultReaderClosedPromiseInitialize(reader);
        }
        else if (stream[$state] === 'closed') {
            defaultReaderClosedPromiseInitializeAsResolved(reader);
        }
        else {
            defaultReaderClosedPromiseInitializeAsRejected(reader, stream[$storedError]);
        }
    }
    // A client of ReadableStreamDefaultReader and ReadableStreamBYOBReader may use these functions directly to bypass state
    // check.
    function ReadableStreamReaderGenericCancel(reader, reason) {
        const stream = reader[$ownerReadableStream];
        return ReadableStreamCancel(stream, reason);
    }
    function ReadableStreamReaderGenericRelease(reader) {
        const stream = reader[$ownerReadableStream];
        if (stream[$state] === 'readable') {
            defaultReaderClosedPromiseReject(reader, new TypeError(`Reader was released and can no longer be used to monitor the stream's closedness`));
        }
        else {
            defaultReaderClosedPromiseResetToRejected(reader, new TypeError(`Reader was released and can no longer be used to monitor the stream's closedness`));
        }
        stream[$readableStreamController][ReleaseSteps]();
        stream[$reader] = undefined;
        reader[$ownerReadableStream] = undefined;
    }
    // Helper functions for the readers.
    function readerLockException(name) {
        return new TypeError('Cannot ' + name + ' a stream using a released reader');
    }
    // Helper functions for the ReadableStreamDefaultReader.
    function defaultReaderClosedPromiseInitialize(reader) {
        reader[$closedPromise] = newPromise((resolve, reject) => {
            reader[$closedPromise_resolve] = resolve;
            reader[$closedPromise_reject] = reject;
        });
    }
    function defaultReaderClosedPromiseInitializeAsRejected(reader, reason) {
        defaultReaderClosedPromiseInitialize(reader);
        defaultReaderClosedPromiseReject(reader, reason);
    }
    function defaultReaderClosedPromiseInitializeAsResolved(reader) {
        defaultReaderClosedPromiseInitialize(reader);
        defaultReaderClosedPromiseResolve(reader);
    }
    function defaultReaderClosedPromiseReject(reader, reason) {
        if (reader[$closedPromise_reject] === undefined) {
            return;
        }
        setPromiseIsHandledToTrue(reader[$closedPromise]);
        reader[$closedPromise_reject](reason);
        reader[$closedPromise_resolve] = undefined;
        reader[$closedPromise_reject] = undefined;
    }
    function defaultReaderClosedPromiseResetToRejected(reader, reason) {
        defaultReaderClosedPromiseInitializeAsRejected(reader, reason);
    }
    function defaultReaderClosedPromiseResolve(reader) {
        if (reader[$closedPromise_resolve] === undefined) {
            return;
        }
        reader[$closedPromise_resolve](undefined);
        reader[$closedPromise_resolve] = undefined;
        reader[$closedPromise_reject] = undefined;
    }

    // https://heycam.github.io/webidl/#idl-dictionaries
    function isDictionary(x) {
        return typeof x === 'object' || typeof x === 'function';
    }
    function assertDictionary(obj, context) {
        if (obj !== undefined && !isDictionary(obj)) {
            throw new TypeError(`${context} is not an object.`);
        }
    }
    // https://heycam.github.io/webidl/#idl-callback-functions
    function assertFunction(x, context) {
        if (typeof x !== 'function') {
            throw new TypeError(`${context} is not a function.`);
        }
    }
    // https://heycam.github.io/webidl/#idl-object
    function isObject(x) {
        return (typeof x === 'object' && x !== null) || typeof x === 'function';
    }
    function assertObject(x, context) {
        if (!isObject(x)) {
            throw new TypeError(`${context} is not an object.`);
        }
    }
    function assertRequiredArgument(x, position, context) {
        if (x === undefined) {
            throw new TypeError(`Parameter ${position} is required in '${context}'.`);
        }
    }
    function assertRequiredField(x, field, context) {
        if (x === undefined) {
            throw new TypeError(`${field} is required in '${context}'.`);
        }
    }
    // https://heycam.github.io/webidl/#idl-unrestricted-double
    function convertUnrestrictedDouble(value) {
        return Number(value);
    }
    function censorNegativeZero(x) {
        return x === 0 ? 0 : x;
    }
    function integerPart(x) {
        return censorNegativeZero(MathTrunc(x));
    }
    // https://heycam.github.io/webidl/#idl-unsigned-long-long
    function convertUnsignedLongLongWithEnforceRange(value, context) {
        const lowerBound = 0;
        const upperBound = NumberMAX_SAFE_INTEGER;
        let x = Number(value);
        x = censorNegativeZero(x);
        if (!NumberIsFinite(x)) {
            throw new TypeError(`${context} is not a finite number`);
        }
        x = integerPart(x);
        if (x < lowerBound || x > upperBound) {
            throw new TypeError(`${context} is outside the accepted range of ${lowerBound} to ${upperBound}, inclusive`);
        }
        if (!NumberIsFinite(x) || x === 0) {
            return 0;
        }
        // TODO Use BigInt if supported?
        // let xBigInt = BigInt(integerPart(x));
        // xBigInt = BigInt.asUintN(64, xBigInt);
        // return Number(xBigInt);
        return x;
    }

    function assertReadableStream(x, context) {
        if (!IsReadableStream(x)) {
            throw new TypeError(`${context} is not a ReadableStream.`);
        }
    }

    // Abstract operations for the ReadableStream.
    function AcquireReadableStreamDefaultReader(stream) {
        return new ReadableStreamDefaultReader(stream);
    }
    // ReadableStream API exposed for controllers.
    function ReadableStreamAddReadRequest(stream, readRequest) {
        stream[$reader][$readRequests].push(readRequest);
    }
    function ReadableStreamFulfillReadRequest(stream, chunk, done) {
        const reader = stream[$reader];
        const readRequest = reader[$readRequests].shift();
        if (done) {
            readRequest[$closeSteps]();
        }
        else {
            readRequest[$chunkSteps](chunk);
        }
    }
    function ReadableStreamGetNumReadRequests(stream) {
        return stream[$reader][$readRequests].length;
    }
    function ReadableStreamHasDefaultReader(stream) {
        const reader = stream[$reader];
        if (reader === undefined) {
            return false;
        }
        if (!IsReadableStreamDefaultReader(reader)) {
            return false;
        }
        return true;
    }
    class ReadableStreamDefaultReader {
        constructor(stream) {
            assertRequiredArgument(stream, 1, 'ReadableStreamDefaultReader');
            assertReadableStream(stream, 'First parameter');
            if (IsReadableStreamLocked(stream)) {
                throw new TypeError('This stream has already been locked for exclusive reading by another reader');
            }
            ReadableStreamReaderGenericInitialize(this, stream);
            this[$readRequests] = new SimpleQueue();
        }
        get closed() {
            if (!IsReadableStreamDefaultReader(this)) {
                return promiseRejectedWith(defaultReaderBrandCheckException('closed'));
            }
            return this[$closedPromise];
        }
        cancel(reason = undefined) {
            if (!IsReadableStreamDefaultReader(this)) {
                return promiseRejectedWith(defaultReaderBrandCheckException('cancel'));
            }
            if (this[$ownerReadableStream] === undefined) {
                return promiseRejectedWith(readerLockException('cancel'));
            }
            return ReadableStreamReaderGenericCancel(this, reason);
        }
        read() {
            if (!IsReadableStreamDefaultReader(this)) {
                return promiseRejectedWith(defaultReaderBrandCheckException('read'));
            }
            if (this[$ownerReadableStream] === undefined) {
                return promiseRejectedWith(readerLockException('read from'));
            }
            let resolvePromise;
            let rejectPromise;
            const promise = newPromise((resolve, reject) => {
                resolvePromise = resolve;
                rejectPromise = reject;
            });
            const readRequest = (($slots) => {
                $slots[$chunkSteps] = chunk => resolvePromise({ value: chunk, done: false });
                $slots[$closeSteps] = () => resolvePromise({ value: undefined, done: true });
                $slots[$errorSteps] = e => rejectPromise(e);
            return $slots; })({});
            ReadableStreamDefaultReaderRead(this, readRequest);
            return promise;
        }
        releaseLock() {
            if (!IsReadableStreamDefaultReader(this)) {
                throw defaultReaderBrandCheckException('releaseLock');
            }
            if (this[$ownerReadableStream] === undefined) {
                return;
            }
            ReadableStreamDefaultReaderRelease(this);
        }
    }
    ObjectDefineProperties(ReadableStreamDefaultReader.prototype, {
        cancel: { enumerable: true },
        read: { enumerable: true },
        releaseLock: { enumerable: true },
        closed: { enumerable: true }
    });
    setFunctionName(ReadableStreamDefaultReader.prototype.cancel, 'cancel');
    setFunctionName(ReadableStreamDefaultReader.prototype.read, 'read');
    setFunctionName(ReadableStreamDefaultReader.prototype.releaseLock, 'releaseLock');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(ReadableStreamDefaultReader.prototype, SymbolToStringTag, { __proto__: null,
            value: 'ReadableStreamDefaultReader',
            configurable: true
        });
    }
    // Abstract operations for the readers.
    function IsReadableStreamDefaultReader(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $readRequests)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(ReadableStreamDefaultReader, x);
    }
    function ReadableStreamDefaultReaderRead(reader, readRequest) {
        const stream = reader[$ownerReadableStream];
        stream[$disturbed] = true;
        if (stream[$state] === 'closed') {
            readRequest[$closeSteps]();
        }
        else if (stream[$state] === 'errored') {
            readRequest[$errorSteps](stream[$storedError]);
        }
        else {
            stream[$readableStreamController][PullSteps](readRequest);
        }
    }
    function ReadableStreamDefaultReaderRelease(reader) {
        ReadableStreamReaderGenericRelease(reader);
        const e = new TypeError('Reader was released');
        ReadableStreamDefaultReaderErrorReadRequests(reader, e);
    }
    function ReadableStreamDefaultReaderErrorReadRequests(reader, e) {
        const readRequests = reader[$readRequests];
        reader[$readRequests] = new SimpleQueue();
        readRequests.forEach(readRequest => {
            readRequest[$errorSteps](e);
        });
    }
    // Helper functions for the ReadableStreamDefaultReader.
    function defaultReaderBrandCheckException(name) {
        return new TypeError(`ReadableStreamDefaultReader.prototype.${name} can only be used on a ReadableStreamDefaultReader`);
    }
    /* eslint-disable @typescript-eslint/no-empty-function */
    const AsyncIteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf(async function* () { }).prototype);
    class ReadableStreamAsyncIteratorImpl {
        constructor(reader, preventCancel) {
            this[$ongoingPromise] = undefined;
            this[$isFinished] = false;
            this[$reader] = reader;
            this[$preventCancel] = preventCancel;
        }
        next() {
            const nextSteps = () => this[$nextSteps]();
            this[$ongoingPromise] = this[$ongoingPromise] ?
                transformPromiseWith(this[$ongoingPromise], nextSteps, nextSteps) :
                nextSteps();
            return this[$ongoingPromise];
        }
        return(value) {
            const returnSteps = () => this[$returnSteps](value);
            this[$ongoingPromise] = this[$ongoingPromise] ?
                transformPromiseWith(this[$ongoingPromise], returnSteps, returnSteps) :
                returnSteps();
            return transformPromiseWith(this[$ongoingPromise], () => ({ value, done: true }));
        }
        [$nextSteps]() {
            if (this[$isFinished]) {
                return PromiseResolve({ value: undefined, done: true });
            }
            const reader = this[$reader];
            let resolvePromise;
            let rejectPromise;
            const promise = newPromise((resolve, reject) => {
                resolvePromise = resolve;
                rejectPromise = reject;
            });
            const readRequest = (($slots) => {
                $slots[$chunkSteps] = chunk => {
                    this[$ongoingPromise] = undefined;
                    // This needs to be delayed by one microtask, otherwise we stop pulling too early which breaks a test.
                    // FIXME Is this a bug in the specification, or in the test?
                    _queueMicrotask(() => resolvePromise({ value: chunk, done: false }));
                };
                $slots[$closeSteps] = () => {
                    this[$ongoingPromise] = undefined;
                    this[$isFinished] = true;
                    ReadableStreamReaderGenericRelease(reader);
                    resolvePromise({ value: undefined, done: true });
                };
                $slots[$errorSteps] = reason => {
                    this[$ongoingPromise] = undefined;
                    this[$isFinished] = true;
                    ReadableStreamReaderGenericRelease(reader);
                    rejectPromise(reason);
                };
            return $slots; })({});
            ReadableStreamDefaultReaderRead(reader, readRequest);
            return promise;
        }
        [$returnSteps](value) {
            if (this[$isFinished]) {
                return PromiseResolve({ value, done: true });
            }
            this[$isFinished] = true;
            const reader = this[$reader];
            if (!this[$preventCancel]) {
                const result = ReadableStreamReaderGenericCancel(reader, value);
                ReadableStreamReaderGenericRelease(reader);
                return transformPromiseWith(result, () => ({ value, done: true }));
            }
            ReadableStreamReaderGenericRelease(reader);
            return promiseResolvedWith({ value, done: true });
        }
    }
    const ReadableStreamAsyncIteratorPrototype = {
        next() {
            if (!IsReadableStreamAsyncIterator(this)) {
                return promiseRejectedWith(streamAsyncIteratorBrandCheckException('next'));
            }
            return this[$asyncIteratorImpl].next();
        },
        return(value) {
            if (!IsReadableStreamAsyncIterator(this)) {
                return promiseRejectedWith(streamAsyncIteratorBrandCheckException('return'));
            }
            return this[$asyncIteratorImpl].return(value);
        }
    };
    ObjectSetPrototypeOf(ReadableStreamAsyncIteratorPrototype, AsyncIteratorPrototype);
    // Abstract operations for the ReadableStream.
    function AcquireReadableStreamAsyncIterator(stream, preventCancel) {
        const reader = AcquireReadableStreamDefaultReader(stream);
        const impl = new ReadableStreamAsyncIteratorImpl(reader, preventCancel);
        const iterator = ObjectCreate(ReadableStreamAsyncIteratorPrototype);
        iterator[$asyncIteratorImpl] = impl;
        return iterator;
    }
    function IsReadableStreamAsyncIterator(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $asyncIteratorImpl)) {
            return false;
        }
        try {
            // noinspection SuspiciousTypeOfGuard
            return FunctionPrototypeSymbolHasInstance(ReadableStreamAsyncIteratorImpl, x[$asyncIteratorImpl]);
        }
        catch (_a) {
            return false;
        }
    }
    // Helper functions for the ReadableStream.
    function streamAsyncIteratorBrandCheckException(name) {
        return new TypeError(`ReadableStreamAsyncIterator.${name} can only be used on a ReadableSteamAsyncIterator`);
    }

    var _a, _b, _c;
    function CreateArrayFromList(elements) {
        // We use arrays to represent lists, so this is basically a no-op.
        // Do a slice though just in case we happen to depend on the unique-ness.
        return SafeArrayCopy(elements);
    }
    function CopyDataBlockBytes(dest, destOffset, src, srcOffset, n) {
        TypedArrayPrototypeSet(new Uint8Array(dest), new Uint8Array(src, srcOffset, n), destOffset);
    }
    let TransferArrayBuffer = (O) => {
        if (typeof ArrayBufferPrototypeTransfer === 'function') {
            TransferArrayBuffer = buffer => ArrayBufferPrototypeTransfer(buffer);
        }
        else if (typeof structuredClone === 'function') {
            TransferArrayBuffer = buffer => structuredClone(buffer, { transfer: [buffer] });
        }
        else {
            // Not implemented correctly
            TransferArrayBuffer = buffer => buffer;
        }
        return TransferArrayBuffer(O);
    };
    let IsDetachedBuffer = (O) => {
        if (typeof ArrayBufferPrototypeGetDetached === 'function') {
            IsDetachedBuffer = buffer => ArrayBufferPrototypeGetDetached(buffer);
        }
        else {
            // Not implemented correctly
            IsDetachedBuffer = buffer => buffer.byteLength === 0;
        }
        return IsDetachedBuffer(O);
    };
    function ArrayBufferSlice(buffer, begin, end) {
        // ArrayBuffer.prototype.slice is not available on IE10
        // https://www.caniuse.com/mdn-javascript_builtins_arraybuffer_slice
        const length = end - begin;
        const slice = new ArrayBuffer(length);
        CopyDataBlockBytes(slice, 0, buffer, begin, length);
        return slice;
    }
    function GetMethod(receiver, prop) {
        const func = receiver[prop];
        if (func === undefined || func === null) {
            return undefined;
        }
        if (typeof func !== 'function') {
            throw new TypeError(`${String(prop)} is not a function`);
        }
        return func;
    }
    function CreateAsyncFromSyncIterator(syncIteratorRecord) {
        // Instead of re-implementing CreateAsyncFromSyncIterator and %AsyncFromSyncIteratorPrototype%,
        // we use yield* inside an async generator function to achieve the same result.
        // Wrap the sync iterator inside a sync iterable, so we can use it with yield*.
        const syncIterable = {
            [SymbolIterator]: () => syncIteratorRecord.iterator
        };
        // Create an async generator function and immediately invoke it.
        const asyncIterator = (async function* () {
            return yield* syncIterable;
        }());
        // Return as an async iterator record.
        const nextMethod = AsyncGeneratorPrototypeNextMethod;
        return { iterator: asyncIterator, nextMethod, done: false };
    }
    // Aligns with core-js/modules/es.symbol.async-iterator.js
    function GetIterator(obj, hint = 'sync', method) {
        if (method === undefined) {
            if (hint === 'async') {
                method = GetMethod(obj, SymbolAsyncIterator);
                if (method === undefined) {
                    const syncMethod = GetMethod(obj, SymbolIterator);
                    const syncIteratorRecord = GetIterator(obj, 'sync', syncMethod);
                    return CreateAsyncFromSyncIterator(syncIteratorRecord);
                }
            }
            else {
                method = GetMethod(obj, SymbolIterator);
            }
        }
        if (method === undefined) {
            throw new TypeError('The object is not iterable');
        }
        const iterator = reflectCall(method, obj, []);
        if (!typeIsObject(iterator)) {
            throw new TypeError('The iterator method must return an object');
        }
        const nextMethod = iterator.next;
        return { iterator, nextMethod, done: false };
    }
    function IteratorNext(iteratorRecord) {
        const result = reflectCall(iteratorRecord.nextMethod, iteratorRecord.iterator, []);
        if (!typeIsObject(result)) {
            throw new TypeError('The iterator.next() method must return an object');
        }
        return result;
    }
    function IteratorComplete(iterResult) {
        return Boolean(iterResult.done);
    }
    function IteratorValue(iterResult) {
        return iterResult.value;
    }

    function IsNonNegativeNumber(v) {
        if (typeof v !== 'number') {
            return false;
        }
        if (NumberIsNaN(v)) {
            return false;
        }
        if (v < 0) {
            return false;
        }
        return true;
    }
    function CloneAsUint8Array(O) {
        const buffer = ArrayBufferSlice(bufferOfView(O), byteOffsetOfView(O), byteOffsetOfView(O) + byteLengthOfView(O));
        return new Uint8Array(buffer);
    }

    function DequeueValue(container) {
        const pair = container[$queue].shift();
        container[$queueTotalSize] -= pair.size;
        if (container[$queueTotalSize] < 0) {
            container[$queueTotalSize] = 0;
        }
        return pair.value;
    }
    function EnqueueValueWithSize(container, value, size) {
        if (!IsNonNegativeNumber(size) || size === Infinity) {
            throw new RangeError('Size must be a finite, non-NaN, non-negative number.');
        }
        container[$queue].push({ value, size });
        container[$queueTotalSize] += size;
    }
    function PeekQueueValue(container) {
        const pair = container[$queue].peek();
        return pair.value;
    }
    function ResetQueue(container) {
        container[$queue] = new SimpleQueue();
        container[$queueTotalSize] = 0;
    }

    function isDataViewConstructor(ctor) {
        return ctor === DataView;
    }
    function isDataView(view) {
        return isDataViewConstructor(viewConstructor(view));
    }
    function arrayBufferViewElementSize(ctor) {
        if (isDataViewConstructor(ctor)) {
            return 1;
        }
        return ctor.BYTES_PER_ELEMENT;
    }

    class ReadableStreamBYOBRequest {
        constructor() {
            throw new TypeError('Illegal constructor');
        }
        get view() {
            if (!IsReadableStreamBYOBRequest(this)) {
                throw byobRequestBrandCheckException('view');
            }
            return this[$view];
        }
        respond(bytesWritten) {
            if (!IsReadableStreamBYOBRequest(this)) {
                throw byobRequestBrandCheckException('respond');
            }
            assertRequiredArgument(bytesWritten, 1, 'respond');
            bytesWritten = convertUnsignedLongLongWithEnforceRange(bytesWritten, 'First parameter');
            if (this[$associatedReadableByteStreamController] === undefined) {
                throw new TypeError('This BYOB request has been invalidated');
            }
            if (IsDetachedBuffer(bufferOfView(this[$view]))) {
                throw new TypeError(`The BYOB request's buffer has been detached and so cannot be used as a response`);
            }
            ReadableByteStreamControllerRespond(this[$associatedReadableByteStreamController], bytesWritten);
        }
        respondWithNewView(view) {
            if (!IsReadableStreamBYOBRequest(this)) {
                throw byobRequestBrandCheckException('respondWithNewView');
            }
            assertRequiredArgument(view, 1, 'respondWithNewView');
            if (!ArrayBufferIsView(view)) {
                throw new TypeError('You can only respond with array buffer views');
            }
            if (this[$associatedReadableByteStreamController] === undefined) {
                throw new TypeError('This BYOB request has been invalidated');
            }
            if (IsDetachedBuffer(bufferOfView(view))) {
                throw new TypeError('The given view\'s buffer has been detached and so cannot be used as a response');
            }
            ReadableByteStreamControllerRespondWithNewView(this[$associatedReadableByteStreamController], view);
        }
    }
    ObjectDefineProperties(ReadableStreamBYOBRequest.prototype, {
        respond: { enumerable: true },
        respondWithNewView: { enumerable: true },
        view: { enumerable: true }
    });
    setFunctionName(ReadableStreamBYOBRequest.prototype.respond, 'respond');
    setFunctionName(ReadableStreamBYOBRequest.prototype.respondWithNewView, 'respondWithNewView');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(ReadableStreamBYOBRequest.prototype, SymbolToStringTag, { __proto__: null,
            value: 'ReadableStreamBYOBRequest',
            configurable: true
        });
    }
    class ReadableByteStreamController {
        constructor() {
            throw new TypeError('Illegal constructor');
        }
        get byobRequest() {
            if (!IsReadableByteStreamController(this)) {
                throw byteStreamControllerBrandCheckException('byobRequest');
            }
            return ReadableByteStreamControllerGetBYOBRequest(this);
        }
        get desiredSize() {
            if (!IsReadableByteStreamController(this)) {
                throw byteStreamControllerBrandCheckException('desiredSize');
            }
            return ReadableByteStreamControllerGetDesiredSize(this);
        }
        close() {
            if (!IsReadableByteStreamController(this)) {
                throw byteStreamControllerBrandCheckException('close');
            }
            if (this[$closeRequested]) {
                throw new TypeError('The stream has already been closed; do not close it again!');
            }
            const state = this[$controlledReadableByteStream][$state];
            if (state !== 'readable') {
                throw new TypeError(`The stream (in ${state} state) is not in the readable state and cannot be closed`);
            }
            ReadableByteStreamControllerClose(this);
        }
        enqueue(chunk) {
            if (!IsReadableByteStreamController(this)) {
                throw byteStreamControllerBrandCheckException('enqueue');
            }
            assertRequiredArgument(chunk, 1, 'enqueue');
            if (!ArrayBufferIsView(chunk)) {
                throw new TypeError('chunk must be an array buffer view');
            }
            if (byteLengthOfView(chunk) === 0) {
                throw new TypeError('chunk must have non-zero byteLength');
            }
            if (byteLengthOfBuffer(bufferOfView(chunk)) === 0) {
                throw new TypeError(`chunk's buffer must have non-zero byteLength`);
            }
            if (this[$closeRequested]) {
                throw new TypeError('stream is closed or draining');
            }
            const state = this[$controlledReadableByteStream][$state];
            if (state !== 'readable') {
                throw new TypeError(`The stream (in ${state} state) is not in the readable state and cannot be enqueued to`);
            }
            ReadableByteStreamControllerEnqueue(this, chunk);
        }
        error(e = undefined) {
            if (!IsReadableByteStreamController(this)) {
                throw byteStreamControllerBrandCheckException('error');
            }
            ReadableByteStreamControllerError(this, e);
        }
        [CancelSteps](reason) {
            ReadableByteStreamControllerClearPendingPullIntos(this);
            ResetQueue(this);
            const result = this[$cancelAlgorithm](reason);
            ReadableByteStreamControllerClearAlgorithms(this);
            return result;
        }
        [PullSteps](readRequest) {
            const stream = this[$controlledReadableByteStream];
            if (this[$queueTotalSize] > 0) {
                ReadableByteStreamControllerFillReadRequestFromQueue(this, readRequest);
                return;
            }
            const autoAllocateChunkSize = this[$autoAllocateChunkSize];
            if (autoAllocateChunkSize !== undefined) {
                let buffer;
                try {
                    buffer = new ArrayBuffer(autoAllocateChunkSize);
                }
                catch (bufferE) {
                    readRequest[$errorSteps](bufferE);
                    return;
                }
                const pullIntoDescriptor = {
                    buffer,
                    bufferByteLength: autoAllocateChunkSize,
                    byteOffset: 0,
                    byteLength: autoAllocateChunkSize,
                    bytesFilled: 0,
                    minimumFill: 1,
                    elementSize: 1,
                    viewConstructor: Uint8Array,
                    readerType: 'default'
                };
                this[$pendingPullIntos].push(pullIntoDescriptor);
            }
            ReadableStreamAddReadRequest(stream, readRequest);
            ReadableByteStreamControllerCallPullIfNeeded(this);
        }
        [ReleaseSteps]() {
            if (this[$pendingPullIntos].length > 0) {
                const firstPullInto = this[$pendingPullIntos].peek();
                firstPullInto.readerType = 'none';
                this[$pendingPullIntos] = new SimpleQueue();
                this[$pendingPullIntos].push(firstPullInto);
            }
        }
    }
    ObjectDefineProperties(ReadableByteStreamController.prototype, {
        close: { enumerable: true },
        enqueue: { enumerable: true },
        error: { enumerable: true },
        byobRequest: { enumerable: true },
        desiredSize: { enumerable: true }
    });
    setFunctionName(ReadableByteStreamController.prototype.close, 'close');
    setFunctionName(ReadableByteStreamController.prototype.enqueue, 'enqueue');
    setFunctionName(ReadableByteStreamController.prototype.error, 'error');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(ReadableByteStreamController.prototype, SymbolToStringTag, { __proto__: null,
            value: 'ReadableByteStreamController',
            configurable: true
        });
    }
    // Abstract operations for the ReadableByteStreamController.
    function IsReadableByteStreamController(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $controlledReadableByteStream)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(ReadableByteStreamController, x);
    }
    function IsReadableStreamBYOBRequest(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $associatedReadableByteStreamController)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(ReadableStreamBYOBRequest, x);
    }
    function ReadableByteStreamControllerCallPullIfNeeded(controller) {
        const shouldPull = ReadableByteStreamControllerShouldCallPull(controller);
        if (!shouldPull) {
            return;
        }
        if (controller[$pulling]) {
            controller[$pullAgain] = true;
            return;
        }
        controller[$pulling] = true;
        // TODO: Test controller argument
        const pullPromise = controller[$pullAlgorithm]();
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
    function ReadableByteStreamControllerClearPendingPullIntos(controller) {
        ReadableByteStreamControllerInvalidateBYOBRequest(controller);
        controller[$pendingPullIntos] = new SimpleQueue();
    }
    function ReadableByteStreamControllerCommitPullIntoDescriptor(stream, pullIntoDescriptor) {
        let done = false;
        if (stream[$state] === 'closed') {
            done = true;
        }
        const filledView = ReadableByteStreamControllerConvertPullIntoDescriptor(pullIntoDescriptor);
        if (pullIntoDescriptor.readerType === 'default') {
            ReadableStreamFulfillReadRequest(stream, filledView, done);
        }
        else {
            ReadableStreamFulfillReadIntoRequest(stream, filledView, done);
        }
    }
    function ReadableByteStreamControllerConvertPullIntoDescriptor(pullIntoDescriptor) {
        const bytesFilled = pullIntoDescriptor.bytesFilled;
        const elementSize = pullIntoDescriptor.elementSize;
        return new pullIntoDescriptor.viewConstructor(pullIntoDescriptor.buffer, pullIntoDescriptor.byteOffset, bytesFilled / elementSize);
    }
    function ReadableByteStreamControllerEnqueueChunkToQueue(controller, buffer, byteOffset, byteLength) {
        controller[$queue].push({ buffer, byteOffset, byteLength });
        controller[$queueTotalSize] += byteLength;
    }
    function ReadableByteStreamControllerEnqueueClonedChunkToQueue(controller, buffer, byteOffset, byteLength) {
        let clonedChunk;
        try {
            clonedChunk = ArrayBufferSlice(buffer, byteOffset, byteOffset + byteLength);
        }
        catch (cloneE) {
            ReadableByteStreamControllerError(controller, cloneE);
            throw cloneE;
        }
        ReadableByteStreamControllerEnqueueChunkToQueue(controller, clonedChunk, 0, byteLength);
    }
    function ReadableByteStreamControllerEnqueueDetachedPullIntoToQueue(controller, firstDescriptor) {
        if (firstDescriptor.bytesFilled > 0) {
            ReadableByteStreamControllerEnqueueClonedChunkToQueue(controller, firstDescriptor.buffer, firstDescriptor.byteOffset, firstDescriptor.bytesFilled);
        }
        ReadableByteStreamControllerShiftPendingPullInto(controller);
    }
    function ReadableByteStreamControllerFillPullIntoDescriptorFromQueue(controller, pullIntoDescriptor) {
        const maxBytesToCopy = MathMin(controller[$queueTotalSize], pullIntoDescriptor.byteLength - pullIntoDescriptor.bytesFilled);
        const maxBytesFilled = pullIntoDescriptor.bytesFilled + maxBytesToCopy;
        let totalBytesToCopyRemaining = maxBytesToCopy;
        let ready = false;
        const remainderBytes = maxBytesFilled % pullIntoDescriptor.elementSize;
        const maxAlignedBytes = maxBytesFilled - remainderBytes;
        // A descriptor for a read() request that is not yet filled up to its minimum length will stay at the head
        // of the queue, so the underlying source can keep filling it.
        if (maxAlignedBytes >= pullIntoDescriptor.minimumFill) {
            totalBytesToCopyRemaining = maxAlignedBytes - pullIntoDescriptor.bytesFilled;
            ready = true;
        }
        const queue = controller[$queue];
        while (totalBytesToCopyRemaining > 0) {
            const headOfQueue = queue.peek();
            const bytesToCopy = MathMin(totalBytesToCopyRemaining, headOfQueue.byteLength);
            const destStart = pullIntoDescriptor.byteOffset + pullIntoDescriptor.bytesFilled;
            CopyDataBlockBytes(pullIntoDescriptor.buffer, destStart, headOfQueue.buffer, headOfQueue.byteOffset, bytesToCopy);
            if (headOfQueue.byteLength === bytesToCopy) {
                queue.shift();
            }
            else {
                headOfQueue.byteOffset += bytesToCopy;
                headOfQueue.byteLength -= bytesToCopy;
            }
            controller[$queueTotalSize] -= bytesToCopy;
            ReadableByteStreamControllerFillHeadPullIntoDescriptor(controller, bytesToCopy, pullIntoDescriptor);
            totalBytesToCopyRemaining -= bytesToCopy;
        }
        return ready;
    }
    function ReadableByteStreamControllerFillHeadPullIntoDescriptor(controller, size, pullIntoDescriptor) {
        pullIntoDescriptor.bytesFilled += size;
    }
    function ReadableByteStreamControllerHandleQueueDrain(controller) {
        if (controller[$queueTotalSize] === 0 && controller[$closeRequested]) {
            ReadableByteStreamControllerClearAlgorithms(controller);
            ReadableStreamClose(controller[$controlledReadableByteStream]);
        }
        else {
            ReadableByteStreamControllerCallPullIfNeeded(controller);
        }
    }
    function ReadableByteStreamControllerInvalidateBYOBRequest(controller) {
        if (controller[$byobRequest] === null) {
            return;
        }
        controller[$byobRequest][$associatedReadableByteStreamController] = undefined;
        controller[$byobRequest][$view] = null;
        controller[$byobRequest] = null;
    }
    function ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue(controller) {
        while (controller[$pendingPullIntos].length > 0) {
            if (controller[$queueTotalSize] === 0) {
                return;
            }
            const pullIntoDescriptor = controller[$pendingPullIntos].peek();
            if (ReadableByteStreamControllerFillPullIntoDescriptorFromQueue(controller, pullIntoDescriptor)) {
                ReadableByteStreamControllerShiftPendingPullInto(controller);
                ReadableByteStreamControllerCommitPullIntoDescriptor(controller[$controlledReadableByteStream], pullIntoDescriptor);
            }
        }
    }
    function ReadableByteStreamControllerProcessReadRequestsUsingQueue(controller) {
        const reader = controller[$controlledReadableByteStream][$reader];
        while (reader[$readRequests].length > 0) {
            if (controller[$queueTotalSize] === 0) {
                return;
            }
            const readRequest = reader[$readRequests].shift();
            ReadableByteStreamControllerFillReadRequestFromQueue(controller, readRequest);
        }
    }
    function ReadableByteStreamControllerPullInto(controller, view, min, readIntoRequest) {
        const stream = controller[$controlledReadableByteStream];
        const ctor = viewConstructor(view);
        const elementSize = arrayBufferViewElementSize(ctor);
        const byteOffset = byteOffsetOfView(view);
        const byteLength = byteLengthOfView(view);
        const minimumFill = min * elementSize;
        let buffer;
        try {
            buffer = TransferArrayBuffer(bufferOfView(view));
        }
        catch (e) {
            readIntoRequest[$errorSteps](e);
            return;
        }
        const pullIntoDescriptor = {
            buffer,
            bufferByteLength: byteLengthOfBuffer(buffer),
            byteOffset,
            byteLength,
            bytesFilled: 0,
            minimumFill,
            elementSize,
            viewConstructor: ctor,
            readerType: 'byob'
        };
        if (controller[$pendingPullIntos].length > 0) {
            controller[$pendingPullIntos].push(pullIntoDescriptor);
            // No ReadableByteStreamControllerCallPullIfNeeded() call since:
            // - No change happens on desiredSize
            // - The source has already been notified of that there's at least 1 pending read(view)
            ReadableStreamAddReadIntoRequest(stream, readIntoRequest);
            return;
        }
        if (stream[$state] === 'closed') {
            const emptyView = new ctor(pullIntoDescriptor.buffer, pullIntoDescriptor.byteOffset, 0);
            readIntoRequest[$closeSteps](emptyView);
            return;
        }
        if (controller[$queueTotalSize] > 0) {
            if (ReadableByteStreamControllerFillPullIntoDescriptorFromQueue(controller, pullIntoDescriptor)) {
                const filledView = ReadableByteStreamControllerConvertPullIntoDescriptor(pullIntoDescriptor);
                ReadableByteStreamControllerHandleQueueDrain(controller);
                readIntoRequest[$chunkSteps](filledView);
                return;
            }
            if (controller[$closeRequested]) {
                const e = new TypeError('Insufficient bytes to fill elements in the given buffer');
                ReadableByteStreamControllerError(controller, e);
                readIntoRequest[$errorSteps](e);
                return;
            }
        }
        controller[$pendingPullIntos].push(pullIntoDescriptor);
        ReadableStreamAddReadIntoRequest(stream, readIntoRequest);
        ReadableByteStreamControllerCallPullIfNeeded(controller);
    }
    function ReadableByteStreamControllerRespondInClosedState(controller, firstDescriptor) {
        if (firstDescriptor.readerType === 'none') {
            ReadableByteStreamControllerShiftPendingPullInto(controller);
        }
        const stream = controller[$controlledReadableByteStream];
        if (ReadableStreamHasBYOBReader(stream)) {
            while (ReadableStreamGetNumReadIntoRequests(stream) > 0) {
                const pullIntoDescriptor = ReadableByteStreamControllerShiftPendingPullInto(controller);
                ReadableByteStreamControllerCommitPullIntoDescriptor(stream, pullIntoDescriptor);
            }
        }
    }
    function ReadableByteStreamControllerRespondInReadableState(controller, bytesWritten, pullIntoDescriptor) {
        ReadableByteStreamControllerFillHeadPullIntoDescriptor(controller, bytesWritten, pullIntoDescriptor);
        if (pullIntoDescriptor.readerType === 'none') {
            ReadableByteStreamControllerEnqueueDetachedPullIntoToQueue(controller, pullIntoDescriptor);
            ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue(controller);
            return;
        }
        if (pullIntoDescriptor.bytesFilled < pullIntoDescriptor.minimumFill) {
            // A descriptor for a read() request that is not yet filled up to its minimum length will stay at the head
            // of the queue, so the underlying source can keep filling it.
            return;
        }
        ReadableByteStreamControllerShiftPendingPullInto(controller);
        const remainderSize = pullIntoDescriptor.bytesFilled % pullIntoDescriptor.elementSize;
        if (remainderSize > 0) {
            const end = pullIntoDescriptor.byteOffset + pullIntoDescriptor.bytesFilled;
            ReadableByteStreamControllerEnqueueClonedChunkToQueue(controller, pullIntoDescriptor.buffer, end - remainderSize, remainderSize);
        }
        pullIntoDescriptor.bytesFilled -= remainderSize;
        ReadableByteStreamControllerCommitPullIntoDescriptor(controller[$controlledReadableByteStream], pullIntoDescriptor);
        ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue(controller);
    }
    function ReadableByteStreamControllerRespondInternal(controller, bytesWritten) {
        const firstDescriptor = controller[$pendingPullIntos].peek();
        ReadableByteStreamControllerInvalidateBYOBRequest(controller);
        const state = controller[$controlledReadableByteStream][$state];
        if (state === 'closed') {
            ReadableByteStreamControllerRespondInClosedState(controller, firstDescriptor);
        }
        else {
            ReadableByteStreamControllerRespondInReadableState(controller, bytesWritten, firstDescriptor);
        }
        ReadableByteStreamControllerCallPullIfNeeded(controller);
    }
    function ReadableByteStreamControllerShiftPendingPullInto(controller) {
        const descriptor = controller[$pendingPullIntos].shift();
        return descriptor;
    }
    function ReadableByteStreamControllerShouldCallPull(controller) {
        const stream = controller[$controlledReadableByteStream];
        if (stream[$state] !== 'readable') {
            return false;
        }
        if (controller[$closeRequested]) {
            return false;
        }
        if (!controller[$started]) {
            return false;
        }
        if (ReadableStreamHasDefaultReader(stream) && ReadableStreamGetNumReadRequests(stream) > 0) {
            return true;
        }
        if (ReadableStreamHasBYOBReader(stream) && ReadableStreamGetNumReadIntoRequests(stream) > 0) {
            return true;
        }
        const desiredSize = ReadableByteStreamControllerGetDesiredSize(controller);
        if (desiredSize > 0) {
            return true;
        }
        return false;
    }
    function ReadableByteStreamControllerClearAlgorithms(controller) {
        controller[$pullAlgorithm] = undefined;
        controller[$cancelAlgorithm] = undefined;
    }
    // A client of ReadableByteStreamController may use these functions directly to bypass state check.
    function ReadableByteStreamControllerClose(controller) {
        const stream = controller[$controlledReadableByteStream];
        if (controller[$closeRequested] || stream[$state] !== 'readable') {
            return;
        }
        if (controller[$queueTotalSize] > 0) {
            controller[$closeRequested] = true;
            return;
        }
        if (controller[$pendingPullIntos].length > 0) {
            const firstPendingPullInto = controller[$pendingPullIntos].peek();
            if (firstPendingPullInto.bytesFilled % firstPendingPullInto.elementSize !== 0) {
                const e = new TypeError('Insufficient bytes to fill elements in the given buffer');
                ReadableByteStreamControllerError(controller, e);
                throw e;
            }
        }
        ReadableByteStreamControllerClearAlgorithms(controller);
        ReadableStreamClose(stream);
    }
    function ReadableByteStreamControllerEnqueue(controller, chunk) {
        const stream = controller[$controlledReadableByteStream];
        if (controller[$closeRequested] || stream[$state] !== 'readable') {
            return;
        }
        const buffer = bufferOfView(chunk);
        const byteOffset = byteOffsetOfView(chunk);
        const byteLength = byteLengthOfView(chunk);
        if (IsDetachedBuffer(buffer)) {
            throw new TypeError('chunk\'s buffer is detached and so cannot be enqueued');
        }
        const transferredBuffer = TransferArrayBuffer(buffer);
        if (controller[$pendingPullIntos].length > 0) {
            const firstPendingPullInto = controller[$pendingPullIntos].peek();
            if (IsDetachedBuffer(firstPendingPullInto.buffer)) {
                throw new TypeError('The BYOB request\'s buffer has been detached and so cannot be filled with an enqueued chunk');
            }
            ReadableByteStreamControllerInvalidateBYOBRequest(controller);
            firstPendingPullInto.buffer = TransferArrayBuffer(firstPendingPullInto.buffer);
            if (firstPendingPullInto.readerType === 'none') {
                ReadableByteStreamControllerEnqueueDetachedPullIntoToQueue(controller, firstPendingPullInto);
            }
        }
        if (ReadableStreamHasDefaultReader(stream)) {
            ReadableByteStreamControllerProcessReadRequestsUsingQueue(controller);
            if (ReadableStreamGetNumReadRequests(stream) === 0) {
                ReadableByteStreamControllerEnqueueChunkToQueue(controller, transferredBuffer, byteOffset, byteLength);
            }
            else {
                if (controller[$pendingPullIntos].length > 0) {
                    ReadableByteStreamControllerShiftPendingPullInto(controller);
                }
                const transferredView = new Uint8Array(transferredBuffer, byteOffset, byteLength);
                ReadableStreamFulfillReadRequest(stream, transferredView, false);
            }
        }
        else if (ReadableStreamHasBYOBReader(stream)) {
            // TODO: Ideally in this branch detaching should happen only if the buffer is not consumed fully.
            ReadableByteStreamControllerEnqueueChunkToQueue(controller, transferredBuffer, byteOffset, byteLength);
            ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue(controller);
        }
        else {
            ReadableByteStreamControllerEnqueueChunkToQueue(controller, transferredBuffer, byteOffset, byteLength);
        }
        ReadableByteStreamControllerCallPullIfNeeded(controller);
    }
    function ReadableByteStreamControllerError(controller, e) {
        const stream = controller[$controlledReadableByteStream];
        if (stream[$state] !== 'readable') {
            return;
        }
        ReadableByteStreamControllerClearPendingPullIntos(controller);
        ResetQueue(controller);
        ReadableByteStreamControllerClearAlgorithms(controller);
        ReadableStreamError(stream, e);
    }
    function ReadableByteStreamControllerFillReadRequestFromQueue(controller, readRequest) {
        const entry = controller[$queue].shift();
        controller[$queueTotalSize] -= entry.byteLength;
        ReadableByteStreamControllerHandleQueueDrain(controller);
        const view = new Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength);
        readRequest[$chunkSteps](view);
    }
    function ReadableByteStreamControllerGetBYOBRequest(controller) {
        if (controller[$byobRequest] === null && controller[$pendingPullIntos].length > 0) {
            const firstDescriptor = controller[$pendingPullIntos].peek();
            const view = new Uint8Array(firstDescriptor.buffer, firstDescriptor.byteOffset + firstDescriptor.bytesFilled, firstDescriptor.byteLength - firstDescriptor.bytesFilled);
            const byobRequest = ObjectCreate(ReadableStreamBYOBRequest.prototype);
            SetUpReadableStreamBYOBRequest(byobRequest, controller, view);
            controller[$byobRequest] = byobRequest;
        }
        return controller[$byobRequest];
    }
    function ReadableByteStreamControllerGetDesiredSize(controller) {
        const state = controller[$controlledReadableByteStream][$state];
        if (state === 'errored') {
            return null;
        }
        if (state === 'closed') {
            return 0;
        }
        return controller[$strategyHWM] - controller[$queueTotalSize];
    }
    function ReadableByteStreamControllerRespond(controller, bytesWritten) {
        const firstDescriptor = controller[$pendingPullIntos].peek();
        const state = controller[$controlledReadableByteStream][$state];
        if (state === 'closed') {
            if (bytesWritten !== 0) {
                throw new TypeError('bytesWritten must be 0 when calling respond() on a closed stream');
            }
        }
        else {
            if (bytesWritten === 0) {
                throw new TypeError('bytesWritten must be greater than 0 when calling respond() on a readable stream');
            }
            if (firstDescriptor.bytesFilled + bytesWritten > firstDescriptor.byteLength) {
                throw new RangeError('bytesWritten out of range');
            }
        }
        firstDescriptor.buffer = TransferArrayBuffer(firstDescriptor.buffer);
        ReadableByteStreamControllerRespondInternal(controller, bytesWritten);
    }
    function ReadableByteStreamControllerRespondWithNewView(controller, view) {
        const firstDescriptor = controller[$pendingPullIntos].peek();
        const state = controller[$controlledReadableByteStream][$state];
        if (state === 'closed') {
            if (byteLengthOfView(view) !== 0) {
                throw new TypeError('The view\'s length must be 0 when calling respondWithNewView() on a closed stream');
            }
        }
        else {
            if (byteLengthOfView(view) === 0) {
                throw new TypeError('The view\'s length must be greater than 0 when calling respondWithNewView() on a readable stream');
            }
        }
        if (firstDescriptor.byteOffset + firstDescriptor.bytesFilled !== byteOffsetOfView(view)) {
            throw new RangeError('The region specified by view does not match byobRequest');
        }
        if (firstDescriptor.bufferByteLength !== byteLengthOfBuffer(bufferOfView(view))) {
            throw new RangeError('The buffer of view has different capacity than byobRequest');
        }
        if (firstDescriptor.bytesFilled + byteLengthOfView(view) > firstDescriptor.byteLength) {
            throw new RangeError('The region specified by view is larger than byobRequest');
        }
        const viewByteLength = byteLengthOfView(view);
        firstDescriptor.buffer = TransferArrayBuffer(bufferOfView(view));
        ReadableByteStreamControllerRespondInternal(controller, viewByteLength);
    }
    function SetUpReadableByteStreamController(stream, controller, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, autoAllocateChunkSize) {
        controller[$controlledReadableByteStream] = stream;
        controller[$pullAgain] = false;
        controller[$pulling] = false;
        controller[$byobRequest] = null;
        // Need to set the slots so that the assert doesn't fire. In the spec the slots already exist implicitly.
        controller[$queue] = controller[$queueTotalSize] = undefined;
        ResetQueue(controller);
        controller[$closeRequested] = false;
        controller[$started] = false;
        controller[$strategyHWM] = highWaterMark;
        controller[$pullAlgorithm] = pullAlgorithm;
        controller[$cancelAlgorithm] = cancelAlgorithm;
        controller[$autoAllocateChunkSize] = autoAllocateChunkSize;
        controller[$pendingPullIntos] = new SimpleQueue();
        stream[$readableStreamController] = controller;
        const startResult = startAlgorithm();
        uponPromise(promiseResolvedWith(startResult), () => {
            controller[$started] = true;
            ReadableByteStreamControllerCallPullIfNeeded(controller);
            return null;
        }, r => {
            ReadableByteStreamControllerError(controller, r);
            return null;
        });
    }
    function SetUpReadableByteStreamControllerFromUnderlyingSource(stream, underlyingByteSource, highWaterMark) {
        const controller = ObjectCreate(ReadableByteStreamController.prototype);
        let startAlgorithm;
        let pullAlgorithm;
        let cancelAlgorithm;
        if (underlyingByteSource.start !== undefined) {
            startAlgorithm = () => underlyingByteSource.start(controller);
        }
        else {
            startAlgorithm = () => undefined;
        }
        if (underlyingByteSource.pull !== undefined) {
            pullAlgorithm = () => underlyingByteSource.pull(controller);
        }
        else {
            pullAlgorithm = () => promiseResolvedWith(undefined);
        }
        if (underlyingByteSource.cancel !== undefined) {
            cancelAlgorithm = reason => underlyingByteSource.cancel(reason);
        }
        else {
            cancelAlgorithm = () => promiseResolvedWith(undefined);
        }
        const autoAllocateChunkSize = underlyingByteSource.autoAllocateChunkSize;
        if (autoAllocateChunkSize === 0) {
            throw new TypeError('autoAllocateChunkSize must be greater than 0');
        }
        SetUpReadableByteStreamController(stream, controller, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, autoAllocateChunkSize);
    }
    function SetUpReadableStreamBYOBRequest(request, controller, view) {
        request[$associatedReadableByteStreamController] = controller;
        request[$view] = view;
    }
    // Helper functions for the ReadableStreamBYOBRequest.
    function byobRequestBrandCheckException(name) {
        return new TypeError(`ReadableStreamBYOBRequest.prototype.${name} can only be used on a ReadableStreamBYOBRequest`);
    }
    // Helper functions for the ReadableByteStreamController.
    function byteStreamControllerBrandCheckException(name) {
        return new TypeError(`ReadableByteStreamController.prototype.${name} can only be used on a ReadableByteStreamController`);
    }

    function convertReaderOptions(options, context) {
        assertDictionary(options, context);
        const mode = options === null || options === void 0 ? void 0 : options.mode;
        return {
            mode: mode === undefined ? undefined : convertReadableStreamReaderMode(mode, `${context} has member 'mode' that`)
        };
    }
    function convertReadableStreamReaderMode(mode, context) {
        mode = `${mode}`;
        if (mode !== 'byob') {
            throw new TypeError(`${context} '${mode}' is not a valid enumeration value for ReadableStreamReaderMode`);
        }
        return mode;
    }
    function convertByobReadOptions(options, context) {
        var _a;
        assertDictionary(options, context);
        const min = (_a = options === null || options === void 0 ? void 0 : options.min) !== null && _a !== void 0 ? _a : 1;
        return {
            min: convertUnsignedLongLongWithEnforceRange(min, `${context} has member 'min' that`)
        };
    }

    // Abstract operations for the ReadableStream.
    function AcquireReadableStreamBYOBReader(stream) {
        return new ReadableStreamBYOBReader(stream);
    }
    // ReadableStream API exposed for controllers.
    function ReadableStreamAddReadIntoRequest(stream, readIntoRequest) {
        stream[$reader][$readIntoRequests].push(readIntoRequest);
    }
    function ReadableStreamFulfillReadIntoRequest(stream, chunk, done) {
        const reader = stream[$reader];
        const readIntoRequest = reader[$readIntoRequests].shift();
        if (done) {
            readIntoRequest[$closeSteps](chunk);
        }
        else {
            readIntoRequest[$chunkSteps](chunk);
        }
    }
    function ReadableStreamGetNumReadIntoRequests(stream) {
        return stream[$reader][$readIntoRequests].length;
    }
    function ReadableStreamHasBYOBReader(stream) {
        const reader = stream[$reader];
        if (reader === undefined) {
            return false;
        }
        if (!IsReadableStreamBYOBReader(reader)) {
            return false;
        }
        return true;
    }
    class ReadableStreamBYOBReader {
        constructor(stream) {
            assertRequiredArgument(stream, 1, 'ReadableStreamBYOBReader');
            assertReadableStream(stream, 'First parameter');
            if (IsReadableStreamLocked(stream)) {
                throw new TypeError('This stream has already been locked for exclusive reading by another reader');
            }
            if (!IsReadableByteStreamController(stream[$readableStreamController])) {
                throw new TypeError('Cannot construct a ReadableStreamBYOBReader for a stream not constructed with a byte ' +
                    'source');
            }
            ReadableStreamReaderGenericInitialize(this, stream);
            this[$readIntoRequests] = new SimpleQueue();
        }
        get closed() {
            if (!IsReadableStreamBYOBReader(this)) {
                return promiseRejectedWith(byobReaderBrandCheckException('closed'));
            }
            return this[$closedPromise];
        }
        cancel(reason = undefined) {
            if (!IsReadableStreamBYOBReader(this)) {
                return promiseRejectedWith(byobReaderBrandCheckException('cancel'));
            }
            if (this[$ownerReadableStream] === undefined) {
                return promiseRejectedWith(readerLockException('cancel'));
            }
            return ReadableStreamReaderGenericCancel(this, reason);
        }
        read(view, rawOptions = {}) {
            if (!IsReadableStreamBYOBReader(this)) {
                return promiseRejectedWith(byobReaderBrandCheckException('read'));
            }
            if (!ArrayBufferIsView(view)) {
                return promiseRejectedWith(new TypeError('view must be an array buffer view'));
            }
            if (byteLengthOfView(view) === 0) {
                return promiseRejectedWith(new TypeError('view must have non-zero byteLength'));
            }
            if (byteLengthOfBuffer(bufferOfView(view)) === 0) {
                return promiseRejectedWith(new TypeError(`view's buffer must have non-zero byteLength`));
            }
            if (IsDetachedBuffer(bufferOfView(view))) {
                return promiseRejectedWith(new TypeError('view\'s buffer has been detached'));
            }
            let options;
            try {
                options = convertByobReadOptions(rawOptions, 'options');
            }
            catch (e) {
                return promiseRejectedWith(e);
            }
            const min = options.min;
            if (min === 0) {
                return promiseRejectedWith(new TypeError('options.min must be greater than 0'));
            }
            if (!isDataView(view)) {
                if (min > TypedArrayPrototypeGetLength(view)) {
                    return promiseRejectedWith(new RangeError('options.min must be less than or equal to view\'s length'));
                }
            }
            else if (min > byteLengthOfView(view)) {
                return promiseRejectedWith(new RangeError('options.min must be less than or equal to view\'s byteLength'));
            }
            if (this[$ownerReadableStream] === undefined) {
                return promiseRejectedWith(readerLockException('read from'));
            }
            let resolvePromise;
            let rejectPromise;
            const promise = newPromise((resolve, reject) => {
                resolvePromise = resolve;
                rejectPromise = reject;
            });
            const readIntoRequest = (($slots) => {
                $slots[$chunkSteps] = chunk => resolvePromise({ value: chunk, done: false });
                $slots[$closeSteps] = chunk => resolvePromise({ value: chunk, done: true });
                $slots[$errorSteps] = e => rejectPromise(e);
            return $slots; })({});
            ReadableStreamBYOBReaderRead(this, view, min, readIntoRequest);
            return promise;
        }
        releaseLock() {
            if (!IsReadableStreamBYOBReader(this)) {
                throw byobReaderBrandCheckException('releaseLock');
            }
            if (this[$ownerReadableStream] === undefined) {
                return;
            }
            ReadableStreamBYOBReaderRelease(this);
        }
    }
    ObjectDefineProperties(ReadableStreamBYOBReader.prototype, {
        cancel: { enumerable: true },
        read: { enumerable: true },
        releaseLock: { enumerable: true },
        closed: { enumerable: true }
    });
    setFunctionName(ReadableStreamBYOBReader.prototype.cancel, 'cancel');
    setFunctionName(ReadableStreamBYOBReader.prototype.read, 'read');
    setFunctionName(ReadableStreamBYOBReader.prototype.releaseLock, 'releaseLock');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(ReadableStreamBYOBReader.prototype, SymbolToStringTag, { __proto__: null,
            value: 'ReadableStreamBYOBReader',
            configurable: true
        });
    }
    // Abstract operations for the readers.
    function IsReadableStreamBYOBReader(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $readIntoRequests)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(ReadableStreamBYOBReader, x);
    }
    function ReadableStreamBYOBReaderRead(reader, view, min, readIntoRequest) {
        const stream = reader[$ownerReadableStream];
        stream[$disturbed] = true;
        if (stream[$state] === 'errored') {
            readIntoRequest[$errorSteps](stream[$storedError]);
        }
        else {
            ReadableByteStreamControllerPullInto(stream[$readableStreamController], view, min, readIntoRequest);
        }
    }
    function ReadableStreamBYOBReaderRelease(reader) {
        ReadableStreamReaderGenericRelease(reader);
        const e = new TypeError('Reader was released');
        ReadableStreamBYOBReaderErrorReadIntoRequests(reader, e);
    }
    function ReadableStreamBYOBReaderErrorReadIntoRequests(reader, e) {
        const readIntoRequests = reader[$readIntoRequests];
        reader[$readIntoRequests] = new SimpleQueue();
        readIntoRequests.forEach(readIntoRequest => {
            readIntoRequest[$errorSteps](e);
        });
    }
    // Helper functions for the ReadableStreamBYOBReader.
    function byobReaderBrandCheckException(name) {
        return new TypeError(`ReadableStreamBYOBReader.prototype.${name} can only be used on a ReadableStreamBYOBReader`);
    }

    function ExtractHighWaterMark(strategy, defaultHWM) {
        const { highWaterMark } = strategy;
        if (highWaterMark === undefined) {
            return defaultHWM;
        }
        if (NumberIsNaN(highWaterMark) || highWaterMark < 0) {
            throw new RangeError('Invalid highWaterMark');
        }
        return highWaterMark;
    }
    function ExtractSizeAlgorithm(strategy) {
        const { size } = strategy;
        if (!size) {
            return () => 1;
        }
        return size;
    }

    function convertQueuingStrategy(init, context) {
        assertDictionary(init, context);
        const highWaterMark = init === null || init === void 0 ? void 0 : init.highWaterMark;
        const size = init === null || init === void 0 ? void 0 : init.size;
        return {
            highWaterMark: highWaterMark === undefined ? undefined : convertUnrestrictedDouble(highWaterMark),
            size: size === undefined ? undefined : convertQueuingStrategySize(size, `${context} has member 'size' that`)
        };
    }
    function convertQueuingStrategySize(fn, context) {
        assertFunction(fn, context);
        return chunk => convertUnrestrictedDouble(fn(chunk));
    }

    function convertUnderlyingSink(original, context) {
        assertDictionary(original, context);
        const abort = original === null || original === void 0 ? void 0 : original.abort;
        const close = original === null || original === void 0 ? void 0 : original.close;
        const start = original === null || original === void 0 ? void 0 : original.start;
        const type = original === null || original === void 0 ? void 0 : original.type;
        const write = original === null || original === void 0 ? void 0 : original.write;
        return {
            abort: abort === undefined ?
                undefined :
                convertUnderlyingSinkAbortCallback(abort, original, `${context} has member 'abort' that`),
            close: close === undefined ?
                undefined :
                convertUnderlyingSinkCloseCallback(close, original, `${context} has member 'close' that`),
            start: start === undefined ?
                undefined :
                convertUnderlyingSinkStartCallback(start, original, `${context} has member 'start' that`),
            write: write === undefined ?
                undefined :
                convertUnderlyingSinkWriteCallback(write, original, `${context} has member 'write' that`),
            type
        };
    }
    function convertUnderlyingSinkAbortCallback(fn, original, context) {
        assertFunction(fn, context);
        return (reason) => promiseCall(fn, original, [reason]);
    }
    function convertUnderlyingSinkCloseCallback(fn, original, context) {
        assertFunction(fn, context);
        return () => promiseCall(fn, original, []);
    }
    function convertUnderlyingSinkStartCallback(fn, original, context) {
        assertFunction(fn, context);
        return (controller) => reflectCall(fn, original, [controller]);
    }
    function convertUnderlyingSinkWriteCallback(fn, original, context) {
        assertFunction(fn, context);
        return (chunk, controller) => promiseCall(fn, original, [chunk, controller]);
    }

    function assertWritableStream(x, context) {
        if (!IsWritableStream(x)) {
            throw new TypeError(`${context} is not a WritableStream.`);
        }
    }

    function isAbortSignal(value) {
        if (typeof value !== 'object' || value === null) {
            return false;
        }
        try {
            return abortHooks.isAbortSignal(value);
        }
        catch (_a) {
            // AbortSignal.prototype.aborted throws if its brand check fails
            return false;
        }
    }
    const supportsAbortController = typeof AbortController === 'function';
    function createAbortController() {
        if (supportsAbortController) {
            return new AbortController();
        }
        return undefined;
    }

    class WritableStream {
        constructor(rawUnderlyingSink = {}, rawStrategy = {}) {
            if (rawUnderlyingSink === undefined) {
                rawUnderlyingSink = null;
            }
            else {
                assertObject(rawUnderlyingSink, 'First parameter');
            }
            const strategy = convertQueuingStrategy(rawStrategy, 'Second parameter');
            const underlyingSink = convertUnderlyingSink(rawUnderlyingSink, 'First parameter');
            InitializeWritableStream(this);
            const type = underlyingSink.type;
            if (type !== undefined) {
                throw new RangeError('Invalid type is specified');
            }
            const sizeAlgorithm = ExtractSizeAlgorithm(strategy);
            const highWaterMark = ExtractHighWaterMark(strategy, 1);
            SetUpWritableStreamDefaultControllerFromUnderlyingSink(this, underlyingSink, highWaterMark, sizeAlgorithm);
        }
        get locked() {
            if (!IsWritableStream(this)) {
                throw streamBrandCheckException$2('locked');
            }
            return IsWritableStreamLocked(this);
        }
        abort(reason = undefined) {
            if (!IsWritableStream(this)) {
                return promiseRejectedWith(streamBrandCheckException$2('abort'));
            }
            if (IsWritableStreamLocked(this)) {
                return promiseRejectedWith(new TypeError('Cannot abort a stream that already has a writer'));
            }
            return WritableStreamAbort(this, reason);
        }
        close() {
            if (!IsWritableStream(this)) {
                return promiseRejectedWith(streamBrandCheckException$2('close'));
            }
            if (IsWritableStreamLocked(this)) {
                return promiseRejectedWith(new TypeError('Cannot close a stream that already has a writer'));
            }
            if (WritableStreamCloseQueuedOrInFlight(this)) {
                return promiseRejectedWith(new TypeError('Cannot close an already-closing stream'));
            }
            return WritableStreamClose(this);
        }
        getWriter() {
            if (!IsWritableStream(this)) {
                throw streamBrandCheckException$2('getWriter');
            }
            return AcquireWritableStreamDefaultWriter(this);
        }
    }
    ObjectDefineProperties(WritableStream.prototype, {
        abort: { enumerable: true },
        close: { enumerable: true },
        getWriter: { enumerable: true },
        locked: { enumerable: true }
    });
    setFunctionName(WritableStream.prototype.abort, 'abort');
    setFunctionName(WritableStream.prototype.close, 'close');
    setFunctionName(WritableStream.prototype.getWriter, 'getWriter');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(WritableStream.prototype, SymbolToStringTag, { __proto__: null,
            value: 'WritableStream',
            configurable: true
        });
    }
    // Abstract operations for the WritableStream.
    function AcquireWritableStreamDefaultWriter(stream) {
        return new WritableStreamDefaultWriter(stream);
    }
    // Throws if and only if startAlgorithm throws.
    function CreateWritableStream(startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark = 1, sizeAlgorithm = () => 1) {
        const stream = ObjectCreate(WritableStream.prototype);
        InitializeWritableStream(stream);
        const controller = ObjectCreate(WritableStreamDefaultController.prototype);
        SetUpWritableStreamDefaultController(stream, controller, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm);
        return stream;
    }
    function InitializeWritableStream(stream) {
        stream[$state] = 'writable';
        // The error that will be reported by new method calls once the state becomes errored. Only set when [[state]] is
        // 'erroring' or 'errored'. May be set to an undefined value.
        stream[$storedError] = undefined;
        stream[$writer] = undefined;
        // Initialize to undefined first because the constructor of the controller checks this
        // variable to validate the caller.
        stream[$writableStreamController] = undefined;
        // This queue is placed here instead of the writer class in order to allow for passing a writer to the next data
        // producer without waiting for the queued writes to finish.
        stream[$writeRequests] = new SimpleQueue();
        // Write requests are removed from _writeRequests when write() is called on the underlying sink. This prevents
        // them from being erroneously rejected on error. If a write() call is in-flight, the request is stored here.
        stream[$inFlightWriteRequest] = undefined;
        // The promise that was returned from writer.close(). Stored here because it may be fulfilled after the writer
        // has been detached.
        stream[$closeRequest] = undefined;
        // Close request is removed from _closeRequest when close() is called on the underlying sink. This prevents it
        // from being erroneously rejected on error. If a close() call is in-flight, the request is stored here.
        stream[$inFlightCloseRequest] = undefined;
        // The promise that was returned from writer.abort(). This may also be fulfilled after the writer has detached.
        stream[$pendingAbortRequest] = undefined;
        // The backpressure signal set by the controller.
        stream[$backpressure] = false;
    }
    function IsWritableStream(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $writableStreamController)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(WritableStream, x);
    }
    function IsWritableStreamLocked(stream) {
        if (stream[$writer] === undefined) {
            return false;
        }
        return true;
    }
    function WritableStreamAbort(stream, reason) {
        var _a;
        if (stream[$state] === 'closed' || stream[$state] === 'errored') {
            return promiseResolvedWith(undefined);
        }
        stream[$writableStreamController][$abortReason] = reason;
        (_a = stream[$writableStreamController][$abortController]) === null || _a === void 0 ? void 0 : abortHooks.controllerAbort(_a, reason);
        // TypeScript narrows the type of `stream[$state]` down to 'writable' | 'erroring',
        // but it doesn't know that signaling abort runs author code that might have changed the state.
        // Widen the type again by casting to WritableStreamState.
        const state = stream[$state];
        if (state === 'closed' || state === 'errored') {
            return promiseResolvedWith(undefined);
        }
        if (stream[$pendingAbortRequest] !== undefined) {
            return stream[$pendingAbortRequest][$promise];
        }
        let wasAlreadyErroring = false;
        if (state === 'erroring') {
            wasAlreadyErroring = true;
            // reason will not be used, so don't keep a reference to it.
            reason = undefined;
        }
        const promise = newPromise((resolve, reject) => {
            stream[$pendingAbortRequest] = (($slots) => {
                $slots[$promise] = undefined;
                $slots[$resolve] = resolve;
                $slots[$reject] = reject;
                $slots[$reason] = reason;
                $slots[$wasAlreadyErroring] = wasAlreadyErroring;
            return $slots; })({});
        });
        stream[$pendingAbortRequest][$promise] = promise;
        if (!wasAlreadyErroring) {
            WritableStreamStartErroring(stream, reason);
        }
        return promise;
    }
    function WritableStreamClose(stream) {
        const state = stream[$state];
        if (state === 'closed' || state === 'errored') {
            return promiseRejectedWith(new TypeError(`The stream (in ${state} state) is not in the writable state and cannot be closed`));
        }
        const promise = newPromise((resolve, reject) => {
            const closeRequest = (($slots) => {
                $slots[$resolve] = resolve;
                $slots[$reject] = reject;
            return $slots; })({});
            stream[$closeRequest] = closeRequest;
        });
        const writer = stream[$writer];
        if (writer !== undefined && stream[$backpressure] && state === 'writable') {
            defaultWriterReadyPromiseResolve(writer);
        }
        WritableStreamDefaultControllerClose(stream[$writableStreamController]);
        return promise;
    }
    // WritableStream API exposed for controllers.
    function WritableStreamAddWriteRequest(stream) {
        const promise = newPromise((resolve, reject) => {
            const writeRequest = (($slots) => {
                $slots[$resolve] = resolve;
                $slots[$reject] = reject;
            return $slots; })({});
            stream[$writeRequests].push(writeRequest);
        });
        return promise;
    }
    function WritableStreamDealWithRejection(stream, error) {
        const state = stream[$state];
        if (state === 'writable') {
            WritableStreamStartErroring(stream, error);
            return;
        }
        WritableStreamFinishErroring(stream);
    }
    function WritableStreamStartErroring(stream, reason) {
        const controller = stream[$writableStreamController];
        stream[$state] = 'erroring';
        stream[$storedError] = reason;
        const writer = stream[$writer];
        if (writer !== undefined) {
            WritableStreamDefaultWriterEnsureReadyPromiseRejected(writer, reason);
        }
        if (!WritableStreamHasOperationMarkedInFlight(stream) && controller[$started]) {
            WritableStreamFinishErroring(stream);
        }
    }
    function WritableStreamFinishErroring(stream) {
        stream[$state] = 'errored';
        stream[$writableStreamController][ErrorSteps]();
        const storedError = stream[$storedError];
        stream[$writeRequests].forEach(writeRequest => {
            writeRequest[$reject](storedError);
        });
        stream[$writeRequests] = new SimpleQueue();
        if (stream[$pendingAbortRequest] === undefined) {
            WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
            return;
        }
        const abortRequest = stream[$pendingAbortRequest];
        stream[$pendingAbortRequest] = undefined;
        if (abortRequest[$wasAlreadyErroring]) {
            abortRequest[$reject](storedError);
            WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
            return;
        }
        const promise = stream[$writableStreamController][AbortSteps](abortRequest[$reason]);
        uponPromise(promise, () => {
            abortRequest[$resolve]();
            WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
            return null;
        }, (reason) => {
            abortRequest[$reject](reason);
            WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream);
            return null;
        });
    }
    function WritableStreamFinishInFlightWrite(stream) {
        stream[$inFlightWriteRequest][$resolve](undefined);
        stream[$inFlightWriteRequest] = undefined;
    }
    function WritableStreamFinishInFlightWriteWithError(stream, error) {
        stream[$inFlightWriteRequest][$reject](error);
        stream[$inFlightWriteRequest] = undefined;
        WritableStreamDealWithRejection(stream, error);
    }
    function WritableStreamFinishInFlightClose(stream) {
        stream[$inFlightCloseRequest][$resolve](undefined);
        stream[$inFlightCloseRequest] = undefined;
        const state = stream[$state];
        if (state === 'erroring') {
            // The error was too late to do anything, so it is ignored.
            stream[$storedError] = undefined;
            if (stream[$pendingAbortRequest] !== undefined) {
                stream[$pendingAbortRequest][$resolve]();
                stream[$pendingAbortRequest] = undefined;
            }
        }
        stream[$state] = 'closed';
        const writer = stream[$writer];
        if (writer !== undefined) {
            defaultWriterClosedPromiseResolve(writer);
        }
    }
    function WritableStreamFinishInFlightCloseWithError(stream, error) {
        stream[$inFlightCloseRequest][$reject](error);
        stream[$inFlightCloseRequest] = undefined;
        // Never execute sink abort() after sink close().
        if (stream[$pendingAbortRequest] !== undefined) {
            stream[$pendingAbortRequest][$reject](error);
            stream[$pendingAbortRequest] = undefined;
        }
        WritableStreamDealWithRejection(stream, error);
    }
    // TODO(ricea): Fix alphabetical order.
    function WritableStreamCloseQueuedOrInFlight(stream) {
        if (stream[$closeRequest] === undefined && stream[$inFlightCloseRequest] === undefined) {
            return false;
        }
        return true;
    }
    function WritableStreamHasOperationMarkedInFlight(stream) {
        if (stream[$inFlightWriteRequest] === undefined && stream[$inFlightCloseRequest] === undefined) {
            return false;
        }
        return true;
    }
    function WritableStreamMarkCloseRequestInFlight(stream) {
        stream[$inFlightCloseRequest] = stream[$closeRequest];
        stream[$closeRequest] = undefined;
    }
    function WritableStreamMarkFirstWriteRequestInFlight(stream) {
        stream[$inFlightWriteRequest] = stream[$writeRequests].shift();
    }
    function WritableStreamRejectCloseAndClosedPromiseIfNeeded(stream) {
        if (stream[$closeRequest] !== undefined) {
            stream[$closeRequest][$reject](stream[$storedError]);
            stream[$closeRequest] = undefined;
        }
        const writer = stream[$writer];
        if (writer !== undefined) {
            defaultWriterClosedPromiseReject(writer, stream[$storedError]);
        }
    }
    function WritableStreamUpdateBackpressure(stream, backpressure) {
        const writer = stream[$writer];
        if (writer !== undefined && backpressure !== stream[$backpressure]) {
            if (backpressure) {
                defaultWriterReadyPromiseReset(writer);
            }
            else {
                defaultWriterReadyPromiseResolve(writer);
            }
        }
        stream[$backpressure] = backpressure;
    }
    class WritableStreamDefaultWriter {
        constructor(stream) {
            assertRequiredArgument(stream, 1, 'WritableStreamDefaultWriter');
            assertWritableStream(stream, 'First parameter');
            if (IsWritableStreamLocked(stream)) {
                throw new TypeError('This stream has already been locked for exclusive writing by another writer');
            }
            this[$ownerWritableStream] = stream;
            stream[$writer] = this;
            const state = stream[$state];
            if (state === 'writable') {
                if (!WritableStreamCloseQueuedOrInFlight(stream) && stream[$backpressure]) {
                    defaultWriterReadyPromiseInitialize(this);
                }
                else {
                    defaultWriterReadyPromiseInitializeAsResolved(this);
                }
                defaultWriterClosedPromiseInitialize(this);
            }
            else if (state === 'erroring') {
                defaultWriterReadyPromiseInitializeAsRejected(this, stream[$storedError]);
                defaultWriterClosedPromiseInitialize(this);
            }
            else if (state === 'closed') {
                defaultWriterReadyPromiseInitializeAsResolved(this);
                defaultWriterClosedPromiseInitializeAsResolved(this);
            }
            else {
                const storedError = stream[$storedError];
                defaultWriterReadyPromiseInitializeAsRejected(this, storedError);
                defaultWriterClosedPromiseInitializeAsRejected(this, storedError);
            }
        }
        get closed() {
            if (!IsWritableStreamDefaultWriter(this)) {
                return promiseRejectedWith(defaultWriterBrandCheckException('closed'));
            }
            return this[$closedPromise];
        }
        get desiredSize() {
            if (!IsWritableStreamDefaultWriter(this)) {
                throw defaultWriterBrandCheckException('desiredSize');
            }
            if (this[$ownerWritableStream] === undefined) {
                throw defaultWriterLockException('desiredSize');
            }
            return WritableStreamDefaultWriterGetDesiredSize(this);
        }
        get ready() {
            if (!IsWritableStreamDefaultWriter(this)) {
                return promiseRejectedWith(defaultWriterBrandCheckException('ready'));
            }
            return this[$readyPromise];
        }
        abort(reason = undefined) {
            if (!IsWritableStreamDefaultWriter(this)) {
                return promiseRejectedWith(defaultWriterBrandCheckException('abort'));
            }
            if (this[$ownerWritableStream] === undefined) {
                return promiseRejectedWith(defaultWriterLockException('abort'));
            }
            return WritableStreamDefaultWriterAbort(this, reason);
        }
        close() {
            if (!IsWritableStreamDefaultWriter(this)) {
                return promiseRejectedWith(defaultWriterBrandCheckException('close'));
            }
            const stream = this[$ownerWritableStream];
            if (stream === undefined) {
                return promiseRejectedWith(defaultWriterLockException('close'));
            }
            if (WritableStreamCloseQueuedOrInFlight(stream)) {
                return promiseRejectedWith(new TypeError('Cannot close an already-closing stream'));
            }
            return WritableStreamDefaultWriterClose(this);
        }
        releaseLock() {
            if (!IsWritableStreamDefaultWriter(this)) {
                throw defaultWriterBrandCheckException('releaseLock');
            }
            const stream = this[$ownerWritableStream];
            if (stream === undefined) {
                return;
            }
            WritableStreamDefaultWriterRelease(this);
        }
        write(chunk = undefined) {
            if (!IsWritableStreamDefaultWriter(this)) {
                return promiseRejectedWith(defaultWriterBrandCheckException('write'));
            }
            if (this[$ownerWritableStream] === undefined) {
                return promiseRejectedWith(defaultWriterLockException('write to'));
            }
            return WritableStreamDefaultWriterWrite(this, chunk);
        }
    }
    ObjectDefineProperties(WritableStreamDefaultWriter.prototype, {
        abort: { enumerable: true },
        close: { enumerable: true },
        releaseLock: { enumerable: true },
        write: { enumerable: true },
        closed: { enumerable: true },
        desiredSize: { enumerable: true },
        ready: { enumerable: true }
    });
    setFunctionName(WritableStreamDefaultWriter.prototype.abort, 'abort');
    setFunctionName(WritableStreamDefaultWriter.prototype.close, 'close');
    setFunctionName(WritableStreamDefaultWriter.prototype.releaseLock, 'releaseLock');
    setFunctionName(WritableStreamDefaultWriter.prototype.write, 'write');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(WritableStreamDefaultWriter.prototype, SymbolToStringTag, { __proto__: null,
            value: 'WritableStreamDefaultWriter',
            configurable: true
        });
    }
    // Abstract operations for the WritableStreamDefaultWriter.
    function IsWritableStreamDefaultWriter(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $ownerWritableStream)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(WritableStreamDefaultWriter, x);
    }
    // A client of WritableStreamDefaultWriter may use these functions directly to bypass state check.
    function WritableStreamDefaultWriterAbort(writer, reason) {
        const stream = writer[$ownerWritableStream];
        return WritableStreamAbort(stream, reason);
    }
    function WritableStreamDefaultWriterClose(writer) {
        const stream = writer[$ownerWritableStream];
        return WritableStreamClose(stream);
    }
    function WritableStreamDefaultWriterCloseWithErrorPropagation(writer) {
        const stream = writer[$ownerWritableStream];
        const state = stream[$state];
        if (WritableStreamCloseQueuedOrInFlight(stream) || state === 'closed') {
            return promiseResolvedWith(undefined);
        }
        if (state === 'errored') {
            return promiseRejectedWith(stream[$storedError]);
        }
        return WritableStreamDefaultWriterClose(writer);
    }
    function WritableStreamDefaultWriterEnsureClosedPromiseRejected(writer, error) {
        if (writer[$closedPromiseState] === 'pending') {
            defaultWriterClosedPromiseReject(writer, error);
        }
        else {
            defaultWriterClosedPromiseResetToRejected(writer, error);
        }
    }
    function WritableStreamDefaultWriterEnsureReadyPromiseRejected(writer, error) {
        if (writer[$readyPromiseState] === 'pending') {
            defaultWriterReadyPromiseReject(writer, error);
        }
        else {
            defaultWriterReadyPromiseResetToRejected(writer, error);
        }
    }
    function WritableStreamDefaultWriterGetDesiredSize(writer) {
        const stream = writer[$ownerWritableStream];
        const state = stream[$state];
        if (state === 'errored' || state === 'erroring') {
            return null;
        }
        if (state === 'closed') {
            return 0;
        }
        return WritableStreamDefaultControllerGetDesiredSize(stream[$writableStreamController]);
    }
    function WritableStreamDefaultWriterRelease(writer) {
        const stream = writer[$ownerWritableStream];
        const releasedError = new TypeError(`Writer was released and can no longer be used to monitor the stream's closedness`);
        WritableStreamDefaultWriterEnsureReadyPromiseRejected(writer, releasedError);
        // The state transitions to "errored" before the sink abort() method runs, but the writer.closed promise is not
        // rejected until afterwards. This means that simply testing state will not work.
        WritableStreamDefaultWriterEnsureClosedPromiseRejected(writer, releasedError);
        stream[$writer] = undefined;
        writer[$ownerWritableStream] = undefined;
    }
    function WritableStreamDefaultWriterWrite(writer, chunk) {
        const stream = writer[$ownerWritableStream];
        const controller = stream[$writableStreamController];
        const chunkSize = WritableStreamDefaultControllerGetChunkSize(controller, chunk);
        if (stream !== writer[$ownerWritableStream]) {
            return promiseRejectedWith(defaultWriterLockException('write to'));
        }
        const state = stream[$state];
        if (state === 'errored') {
            return promiseRejectedWith(stream[$storedError]);
        }
        if (WritableStreamCloseQueuedOrInFlight(stream) || state === 'closed') {
            return promiseRejectedWith(new TypeError('The stream is closing or closed and cannot be written to'));
        }
        if (state === 'erroring') {
            return promiseRejectedWith(stream[$storedError]);
        }
        const promise = WritableStreamAddWriteRequest(stream);
        WritableStreamDefaultControllerWrite(controller, chunk, chunkSize);
        return promise;
    }
    const closeSentinel = {};
    class WritableStreamDefaultController {
        constructor() {
            throw new TypeError('Illegal constructor');
        }
        get abortReason() {
            if (!IsWritableStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException$2('abortReason');
            }
            return this[$abortReason];
        }
        get signal() {
            if (!IsWritableStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException$2('signal');
            }
            if (this[$abortController] === undefined) {
                // Older browsers or older Node versions may not support `AbortController` or `AbortSignal`.
                // We don't want to bundle and ship an `AbortController` polyfill together with our polyfill,
                // so instead we only implement support for `signal` if we find a global `AbortController` constructor.
                throw new TypeError('WritableStreamDefaultController.prototype.signal is not supported');
            }
            return abortHooks.controllerSignal(this[$abortController]);
        }
        error(e = undefined) {
            if (!IsWritableStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException$2('error');
            }
            const state = this[$controlledWritableStream][$state];
            if (state !== 'writable') {
                // The stream is closed, errored or will be soon. The sink can't do anything useful if it gets an error here, so
                // just treat it as a no-op.
                return;
            }
            WritableStreamDefaultControllerError(this, e);
        }
        [AbortSteps](reason) {
            const result = this[$abortAlgorithm](reason);
            WritableStreamDefaultControllerClearAlgorithms(this);
            return result;
        }
        [ErrorSteps]() {
            ResetQueue(this);
        }
    }
    ObjectDefineProperties(WritableStreamDefaultController.prototype, {
        abortReason: { enumerable: true },
        signal: { enumerable: true },
        error: { enumerable: true }
    });
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(WritableStreamDefaultController.prototype, SymbolToStringTag, { __proto__: null,
            value: 'WritableStreamDefaultController',
            configurable: true
        });
    }
    // Abstract operations implementing interface required by the WritableStream.
    function IsWritableStreamDefaultController(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $controlledWritableStream)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(WritableStreamDefaultController, x);
    }
    function SetUpWritableStreamDefaultController(stream, controller, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm) {
        controller[$controlledWritableStream] = stream;
        stream[$writableStreamController] = controller;
        // Need to set the slots so that the assert doesn't fire. In the spec the slots already exist implicitly.
        controller[$queue] = undefined;
        controller[$queueTotalSize] = undefined;
        ResetQueue(controller);
        controller[$abortReason] = undefined;
        controller[$abortController] = createAbortController();
        controller[$started] = false;
        controller[$strategySizeAlgorithm] = sizeAlgorithm;
        controller[$strategyHWM] = highWaterMark;
        controller[$writeAlgorithm] = writeAlgorithm;
        controller[$closeAlgorithm] = closeAlgorithm;
        controller[$abortAlgorithm] = abortAlgorithm;
        const backpressure = WritableStreamDefaultControllerGetBackpressure(controller);
        WritableStreamUpdateBackpressure(stream, backpressure);
        const startResult = startAlgorithm();
        const startPromise = promiseResolvedWith(startResult);
        uponPromise(startPromise, () => {
            controller[$started] = true;
            WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller);
            return null;
        }, r => {
            controller[$started] = true;
            WritableStreamDealWithRejection(stream, r);
            return null;
        });
    }
    function SetUpWritableStreamDefaultControllerFromUnderlyingSink(stream, underlyingSink, highWaterMark, sizeAlgorithm) {
        const controller = ObjectCreate(WritableStreamDefaultController.prototype);
        let startAlgorithm;
        let writeAlgorithm;
        let closeAlgorithm;
        let abortAlgorithm;
        if (underlyingSink.start !== undefined) {
            startAlgorithm = () => underlyingSink.start(controller);
        }
        else {
            startAlgorithm = () => undefined;
        }
        if (underlyingSink.write !== undefined) {
            writeAlgorithm = chunk => underlyingSink.write(chunk, controller);
        }
        else {
            writeAlgorithm = () => promiseResolvedWith(undefined);
        }
        if (underlyingSink.close !== undefined) {
            closeAlgorithm = () => underlyingSink.close();
        }
        else {
            closeAlgorithm = () => promiseResolvedWith(undefined);
        }
        if (underlyingSink.abort !== undefined) {
            abortAlgorithm = reason => underlyingSink.abort(reason);
        }
        else {
            abortAlgorithm = () => promiseResolvedWith(undefined);
        }
        SetUpWritableStreamDefaultController(stream, controller, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm);
    }
    // ClearAlgorithms may be called twice. Erroring the same stream in multiple ways will often result in redundant calls.
    function WritableStreamDefaultControllerClearAlgorithms(controller) {
        controller[$writeAlgorithm] = undefined;
        controller[$closeAlgorithm] = undefined;
        controller[$abortAlgorithm] = undefined;
        controller[$strategySizeAlgorithm] = undefined;
    }
    function WritableStreamDefaultControllerClose(controller) {
        EnqueueValueWithSize(controller, closeSentinel, 0);
        WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller);
    }
    function WritableStreamDefaultControllerGetChunkSize(controller, chunk) {
        try {
            return controller[$strategySizeAlgorithm](chunk);
        }
        catch (chunkSizeE) {
            WritableStreamDefaultControllerErrorIfNeeded(controller, chunkSizeE);
            return 1;
        }
    }
    function WritableStreamDefaultControllerGetDesiredSize(controller) {
        return controller[$strategyHWM] - controller[$queueTotalSize];
    }
    function WritableStreamDefaultControllerWrite(controller, chunk, chunkSize) {
        try {
            EnqueueValueWithSize(controller, chunk, chunkSize);
        }
        catch (enqueueE) {
            WritableStreamDefaultControllerErrorIfNeeded(controller, enqueueE);
            return;
        }
        const stream = controller[$controlledWritableStream];
        if (!WritableStreamCloseQueuedOrInFlight(stream) && stream[$state] === 'writable') {
            const backpressure = WritableStreamDefaultControllerGetBackpressure(controller);
            WritableStreamUpdateBackpressure(stream, backpressure);
        }
        WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller);
    }
    // Abstract operations for the WritableStreamDefaultController.
    function WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller) {
        const stream = controller[$controlledWritableStream];
        if (!controller[$started]) {
            return;
        }
        if (stream[$inFlightWriteRequest] !== undefined) {
            return;
        }
        const state = stream[$state];
        if (state === 'erroring') {
            WritableStreamFinishErroring(stream);
            return;
        }
        if (controller[$queue].length === 0) {
            return;
        }
        const value = PeekQueueValue(controller);
        if (value === closeSentinel) {
            WritableStreamDefaultControllerProcessClose(controller);
        }
        else {
            WritableStreamDefaultControllerProcessWrite(controller, value);
        }
    }
    function WritableStreamDefaultControllerErrorIfNeeded(controller, error) {
        if (controller[$controlledWritableStream][$state] === 'writable') {
            WritableStreamDefaultControllerError(controller, error);
        }
    }
    function WritableStreamDefaultControllerProcessClose(controller) {
        const stream = controller[$controlledWritableStream];
        WritableStreamMarkCloseRequestInFlight(stream);
        DequeueValue(controller);
        const sinkClosePromise = controller[$closeAlgorithm]();
        WritableStreamDefaultControllerClearAlgorithms(controller);
        uponPromise(sinkClosePromise, () => {
            WritableStreamFinishInFlightClose(stream);
            return null;
        }, reason => {
            WritableStreamFinishInFlightCloseWithError(stream, reason);
            return null;
        });
    }
    function WritableStreamDefaultControllerProcessWrite(controller, chunk) {
        const stream = controller[$controlledWritableStream];
        WritableStreamMarkFirstWriteRequestInFlight(stream);
        const sinkWritePromise = controller[$writeAlgorithm](chunk);
        uponPromise(sinkWritePromise, () => {
            WritableStreamFinishInFlightWrite(stream);
            const state = stream[$state];
            DequeueValue(controller);
            if (!WritableStreamCloseQueuedOrInFlight(stream) && state === 'writable') {
                const backpressure = WritableStreamDefaultControllerGetBackpressure(controller);
                WritableStreamUpdateBackpressure(stream, backpressure);
            }
            WritableStreamDefaultControllerAdvanceQueueIfNeeded(controller);
            return null;
        }, reason => {
            if (stream[$state] === 'writable') {
                WritableStreamDefaultControllerClearAlgorithms(controller);
            }
            WritableStreamFinishInFlightWriteWithError(stream, reason);
            return null;
        });
    }
    function WritableStreamDefaultControllerGetBackpressure(controller) {
        const desiredSize = WritableStreamDefaultControllerGetDesiredSize(controller);
        return desiredSize <= 0;
    }
    // A client of WritableStreamDefaultController may use these functions directly to bypass state check.
    function WritableStreamDefaultControllerError(controller, error) {
        const stream = controller[$controlledWritableStream];
        WritableStreamDefaultControllerClearAlgorithms(controller);
        WritableStreamStartErroring(stream, error);
    }
    // Helper functions for the WritableStream.
    function streamBrandCheckException$2(name) {
        return new TypeError(`WritableStream.prototype.${name} can only be used on a WritableStream`);
    }
    // Helper functions for the WritableStreamDefaultController.
    function defaultControllerBrandCheckException$2(name) {
        return new TypeError(`WritableStreamDefaultController.prototype.${name} can only be used on a WritableStreamDefaultController`);
    }
    // Helper functions for the WritableStreamDefaultWriter.
    function defaultWriterBrandCheckException(name) {
        return new TypeError(`WritableStreamDefaultWriter.prototype.${name} can only be used on a WritableStreamDefaultWriter`);
    }
    function defaultWriterLockException(name) {
        return new TypeError('Cannot ' + name + ' a stream using a released writer');
    }
    function defaultWriterClosedPromiseInitialize(writer) {
        writer[$closedPromise] = newPromise((resolve, reject) => {
            writer[$closedPromise_resolve] = resolve;
            writer[$closedPromise_reject] = reject;
            writer[$closedPromiseState] = 'pending';
        });
    }
    function defaultWriterClosedPromiseInitializeAsRejected(writer, reason) {
        defaultWriterClosedPromiseInitialize(writer);
        defaultWriterClosedPromiseReject(writer, reason);
    }
    function defaultWriterClosedPromiseInitializeAsResolved(writer) {
        defaultWriterClosedPromiseInitialize(writer);
        defaultWriterClosedPromiseResolve(writer);
    }
    function defaultWriterClosedPromiseReject(writer, reason) {
        if (writer[$closedPromise_reject] === undefined) {
            return;
        }
        setPromiseIsHandledToTrue(writer[$closedPromise]);
        writer[$closedPromise_reject](reason);
        writer[$closedPromise_resolve] = undefined;
        writer[$closedPromise_reject] = undefined;
        writer[$closedPromiseState] = 'rejected';
    }
    function defaultWriterClosedPromiseResetToRejected(writer, reason) {
        defaultWriterClosedPromiseInitializeAsRejected(writer, reason);
    }
    function defaultWriterClosedPromiseResolve(writer) {
        if (writer[$closedPromise_resolve] === undefined) {
            return;
        }
        writer[$closedPromise_resolve](undefined);
        writer[$closedPromise_resolve] = undefined;
        writer[$closedPromise_reject] = undefined;
        writer[$closedPromiseState] = 'resolved';
    }
    function defaultWriterReadyPromiseInitialize(writer) {
        writer[$readyPromise] = newPromise((resolve, reject) => {
            writer[$readyPromise_resolve] = resolve;
            writer[$readyPromise_reject] = reject;
        });
        writer[$readyPromiseState] = 'pending';
    }
    function defaultWriterReadyPromiseInitializeAsRejected(writer, reason) {
        defaultWriterReadyPromiseInitialize(writer);
        defaultWriterReadyPromiseReject(writer, reason);
    }
    function defaultWriterReadyPromiseInitializeAsResolved(writer) {
        defaultWriterReadyPromiseInitialize(writer);
        defaultWriterReadyPromiseResolve(writer);
    }
    function defaultWriterReadyPromiseReject(writer, reason) {
        if (writer[$readyPromise_reject] === undefined) {
            return;
        }
        setPromiseIsHandledToTrue(writer[$readyPromise]);
        writer[$readyPromise_reject](reason);
        writer[$readyPromise_resolve] = undefined;
        writer[$readyPromise_reject] = undefined;
        writer[$readyPromiseState] = 'rejected';
    }
    function defaultWriterReadyPromiseReset(writer) {
        defaultWriterReadyPromiseInitialize(writer);
    }
    function defaultWriterReadyPromiseResetToRejected(writer, reason) {
        defaultWriterReadyPromiseInitializeAsRejected(writer, reason);
    }
    function defaultWriterReadyPromiseResolve(writer) {
        if (writer[$readyPromise_resolve] === undefined) {
            return;
        }
        writer[$readyPromise_resolve](undefined);
        writer[$readyPromise_resolve] = undefined;
        writer[$readyPromise_reject] = undefined;
        writer[$readyPromiseState] = 'fulfilled';
    }
    function getGlobals() {
        if (typeof globalThis !== 'undefined') {
            return globalThis;
        }
        else if (typeof self !== 'undefined') {
            return self;
        }
        else if (typeof global !== 'undefined') {
            return global;
        }
        return undefined;
    }
    const globals = getGlobals();
    function isDOMExceptionConstructor(ctor) {
        if (!(typeof ctor === 'function' || typeof ctor === 'object')) {
            return false;
        }
        if (ctor.name !== 'DOMException') {
            return false;
        }
        try {
            new ctor();
            return true;
        }
        catch (_a) {
            return false;
        }
    }
    function getFromGlobal() {
        const ctor = globals === null || globals === void 0 ? void 0 : globals.DOMException;
        return isDOMExceptionConstructor(ctor) ? ctor : undefined;
    }
    function createPolyfill() {
        // eslint-disable-next-line @typescript-eslint/no-shadow
        const ctor = function DOMException(message, name) {
            this.message = message || '';
            this.name = name || 'Error';
            if (Error.captureStackTrace) {
                Error.captureStackTrace(this, this.constructor);
            }
        };
        setFunctionName(ctor, 'DOMException');
        ctor.prototype = ObjectCreate(Error.prototype);
        ObjectDefineProperty(ctor.prototype, 'constructor', { __proto__: null, value: ctor, writable: true, configurable: true });
        return ctor;
    }
    // eslint-disable-next-line @typescript-eslint/no-redeclare
    const DOMException = getFromGlobal() || createPolyfill();

    function ReadableStreamPipeTo(source, dest, preventClose, preventAbort, preventCancel, signal) {
        const reader = AcquireReadableStreamDefaultReader(source);
        const writer = AcquireWritableStreamDefaultWriter(dest);
        source[$disturbed] = true;
        let shuttingDown = false;
        // This is used to keep track of the spec's requirement that we wait for ongoing writes during shutdown.
        let currentWrite = promiseResolvedWith(undefined);
        return newPromise((resolve, reject) => {
            let abortAlgorithm;
            let removeAbortAlgorithm;
            if (signal !== undefined) {
                abortAlgorithm = () => {
                    const error = abortHooks.reason(signal) !== undefined ? abortHooks.reason(signal) : new DOMException('Aborted', 'AbortError');
                    const actions = [];
                    if (!preventAbort) {
                        ArrayPrototypePush(actions, () => {
                            if (dest[$state] === 'writable') {
                                return WritableStreamAbort(dest, error);
                            }
                            return promiseResolvedWith(undefined);
                        });
                    }
                    if (!preventCancel) {
                        ArrayPrototypePush(actions, () => {
                            if (source[$state] === 'readable') {
                                return ReadableStreamCancel(source, error);
                            }
                            return promiseResolvedWith(undefined);
                        });
                    }
                    shutdownWithAction(() => SafePromiseAllReturnVoid(callEach(actions)), true, error);
                };
                if (abortHooks.aborted(signal)) {
                    abortAlgorithm();
                    return;
                }
                removeAbortAlgorithm = abortHooks.addAlgorithm(signal, abortAlgorithm);
            }
            // Using reader and writer, read all chunks from this and write them to dest
            // - Backpressure must be enforced
            // - Shutdown must stop all activity
            function pipeLoop() {
                return newPromise((resolveLoop, rejectLoop) => {
                    function next(done) {
                        if (done) {
                            resolveLoop();
                        }
                        else {
                            // Use `PerformPromiseThen` instead of `uponPromise` to avoid
                            // adding unnecessary `.catch(rethrowAssertionErrorRejection)` handlers
                            PromisePrototypeThen(pipeStep(), next, rejectLoop);
                        }
                    }
                    next(false);
                });
            }
            function pipeStep() {
                if (shuttingDown) {
                    return promiseResolvedWith(true);
                }
                return PerformPromiseThen(writer[$readyPromise], () => {
                    return newPromise((resolveRead, rejectRead) => {
                        ReadableStreamDefaultReaderRead(reader, (($slots) => {
                            $slots[$chunkSteps] = chunk => {
                                let writeDone;
                                currentWrite = newPromise(resolve => {
                                    writeDone = resolve;
                                });
                                _queueMicrotask(() => {
                                    PromisePrototypeThen(WritableStreamDefaultWriterWrite(writer, chunk), () => writeDone(), () => writeDone());
                                    resolveRead(false);
                                });
                            };
                            $slots[$closeSteps] = () => resolveRead(true);
                            $slots[$errorSteps] = rejectRead;
                        return $slots; })({}));
                    });
                });
            }
            // Errors must be propagated forward
            isOrBecomesErrored(source, reader[$closedPromise], storedError => {
                if (!preventAbort) {
                    shutdownWithAction(() => WritableStreamAbort(dest, storedError), true, storedError);
                }
                else {
                    shutdown(true, storedError);
                }
                return null;
            });
            // Errors must be propagated backward
            isOrBecomesErrored(dest, writer[$closedPromise], storedError => {
                if (!preventCancel) {
                    shutdownWithAction(() => ReadableStreamCancel(source, storedError), true, storedError);
                }
                else {
                    shutdown(true, storedError);
                }
                return null;
            });
            // Closing must be propagated forward
            isOrBecomesClosed(source, reader[$closedPromise], () => {
                if (!preventClose) {
                    shutdownWithAction(() => WritableStreamDefaultWriterCloseWithErrorPropagation(writer));
                }
                else {
                    shutdown();
                }
                return null;
            });
            // Closing must be propagated backward
            if (WritableStreamCloseQueuedOrInFlight(dest) || dest[$state] === 'closed') {
                const destClosed = new TypeError('the destination writable stream closed before all data could be piped to it');
                if (!preventCancel) {
                    shutdownWithAction(() => ReadableStreamCancel(source, destClosed), true, destClosed);
                }
                else {
                    shutdown(true, destClosed);
                }
            }
            setPromiseIsHandledToTrue(pipeLoop());
            function waitForWritesToFinish() {
                // Another write may have started while we were waiting on this currentWrite, so we have to be sure to wait
                // for that too.
                const oldCurrentWrite = currentWrite;
                return PerformPromiseThen(currentWrite, () => oldCurrentWrite !== currentWrite ? waitForWritesToFinish() : undefined);
            }
            function isOrBecomesErrored(stream, promise, action) {
                if (stream[$state] === 'errored') {
                    action(stream[$storedError]);
                }
                else {
                    uponRejection(promise, action);
                }
            }
            function isOrBecomesClosed(stream, promise, action) {
                if (stream[$state] === 'closed') {
                    action();
                }
                else {
                    uponFulfillment(promise, action);
                }
            }
            function shutdownWithAction(action, originalIsError, originalError) {
                if (shuttingDown) {
                    return;
                }
                shuttingDown = true;
                if (dest[$state] === 'writable' && !WritableStreamCloseQueuedOrInFlight(dest)) {
                    uponFulfillment(waitForWritesToFinish(), doTheRest);
                }
                else {
                    doTheRest();
                }
                function doTheRest() {
                    uponPromise(action(), () => finalize(originalIsError, originalError), newError => finalize(true, newError));
                    return null;
                }
            }
            function shutdown(isError, error) {
                if (shuttingDown) {
                    return;
                }
                shuttingDown = true;
                if (dest[$state] === 'writable' && !WritableStreamCloseQueuedOrInFlight(dest)) {
                    uponFulfillment(waitForWritesToFinish(), () => finalize(isError, error));
                }
                else {
                    finalize(isError, error);
                }
            }
            function finalize(isError, error) {
                WritableStreamDefaultWriterRelease(writer);
                ReadableStreamReaderGenericRelease(reader);
                if (signal !== undefined) {
                    if (removeAbortAlgorithm !== undefined) removeAbortAlgorithm();
                }
                if (isError) {
                    reject(error);
                }
                else {
                    resolve(undefined);
                }
                return null;
            }
        });
    }

    class ReadableStreamDefaultController {
        constructor() {
            throw new TypeError('Illegal constructor');
        }
        get desiredSize() {
            if (!IsReadableStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException$1('desiredSize');
            }
            return ReadableStreamDefaultControllerGetDesiredSize(this);
        }
        close() {
            if (!IsReadableStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException$1('close');
            }
            if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(this)) {
                throw new TypeError('The stream is not in a state that permits close');
            }
            ReadableStreamDefaultControllerClose(this);
        }
        enqueue(chunk = undefined, options = undefined) {
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
            return ReadableStreamDefaultControllerEnqueue(this, chunk);
        }
        error(e = undefined) {
            if (!IsReadableStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException$1('error');
            }
            ReadableStreamDefaultControllerError(this, e);
        }
        [CancelSteps](reason) {
            ResetQueue(this);
            const result = this[$cancelAlgorithm](reason);
            ReadableStreamDefaultControllerClearAlgorithms(this);
            return result;
        }
        [PullSteps](readRequest) {
            const stream = this[$controlledReadableStream];
            if (this[$queue].length > 0) {
                const chunk = DequeueValue(this);
                if (this[$closeRequested] && this[$queue].length === 0) {
                    ReadableStreamDefaultControllerClearAlgorithms(this);
                    ReadableStreamClose(stream);
                }
                else {
                    ReadableStreamDefaultControllerCallPullIfNeeded(this);
                }
                readRequest[$chunkSteps](chunk);
            }
            else {
                ReadableStreamAddReadRequest(stream, readRequest);
                ReadableStreamDefaultControllerCallPullIfNeeded(this);
            }
        }
        [ReleaseSteps]() {
            // Do nothing.
        }
    }
    ObjectDefineProperties(ReadableStreamDefaultController.prototype, {
        close: { enumerable: true },
        enqueue: { enumerable: true },
        error: { enumerable: true },
        desiredSize: { enumerable: true }
    });
    setFunctionName(ReadableStreamDefaultController.prototype.close, 'close');
    setFunctionName(ReadableStreamDefaultController.prototype.enqueue, 'enqueue');
    setFunctionName(ReadableStreamDefaultController.prototype.error, 'error');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(ReadableStreamDefaultController.prototype, SymbolToStringTag, { __proto__: null,
            value: 'ReadableStreamDefaultController',
            configurable: true
        });
    }
    // Abstract operations for the ReadableStreamDefaultController.
    function IsReadableStreamDefaultController(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $controlledReadableStream)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(ReadableStreamDefaultController, x);
    }
    function ReadableStreamDefaultControllerCallPullIfNeeded(controller) {
        const shouldPull = ReadableStreamDefaultControllerShouldCallPull(controller);
        if (!shouldPull) {
            return;
        }
        if (controller[$pulling]) {
            controller[$pullAgain] = true;
            return;
        }
        controller[$pulling] = true;
        const pullPromise = controller[$pullAlgorithm]();
        uponPromise(pullPromise, () => {
            controller[$pulling] = false;
            if (controller[$pullAgain]) {
                controller[$pullAgain] = false;
                ReadableStreamDefaultControllerCallPullIfNeeded(controller);
            }
            return null;
        }, e => {
            ReadableStreamDefaultControllerError(controller, e);
            return null;
        });
    }
    function ReadableStreamDefaultControllerShouldCallPull(controller) {
        const stream = controller[$controlledReadableStream];
        if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(controller)) {
            return false;
        }
        if (!controller[$started]) {
            return false;
        }
        if (IsReadableStreamLocked(stream) && ReadableStreamGetNumReadRequests(stream) > 0) {
            return true;
        }
        const desiredSize = ReadableStreamDefaultControllerGetDesiredSize(controller);
        if (desiredSize > 0) {
            return true;
        }
        return false;
    }
    function ReadableStreamDefaultControllerClearAlgorithms(controller) {
        controller[$pullAlgorithm] = undefined;
        controller[$cancelAlgorithm] = undefined;
        controller[$strategySizeAlgorithm] = undefined;
    }
    // A client of ReadableStreamDefaultController may use these functions directly to bypass state check.
    function ReadableStreamDefaultControllerClose(controller) {
        if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(controller)) {
            return;
        }
        const stream = controller[$controlledReadableStream];
        controller[$closeRequested] = true;
        if (controller[$queue].length === 0) {
            ReadableStreamDefaultControllerClearAlgorithms(controller);
            ReadableStreamClose(stream);
        }
    }
    function ReadableStreamDefaultControllerEnqueue(controller, chunk) {
        if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(controller)) {
            return;
        }
        const stream = controller[$controlledReadableStream];
        if (IsReadableStreamLocked(stream) && ReadableStreamGetNumReadRequests(stream) > 0) {
            ReadableStreamFulfillReadRequest(stream, chunk, false);
        }
        else {
            let chunkSize;
            try {
                chunkSize = controller[$strategySizeAlgorithm](chunk);
            }
            catch (chunkSizeE) {
                ReadableStreamDefaultControllerError(controller, chunkSizeE);
                throw chunkSizeE;
            }
            try {
                EnqueueValueWithSize(controller, chunk, chunkSize);
            }
            catch (enqueueE) {
                ReadableStreamDefaultControllerError(controller, enqueueE);
                throw enqueueE;
            }
        }
        ReadableStreamDefaultControllerCallPullIfNeeded(controller);
    }
    function ReadableStreamDefaultControllerError(controller, e) {
        const stream = controller[$controlledReadableStream];
        if (stream[$state] !== 'readable') {
            return;
        }
        ResetQueue(controller);
        ReadableStreamDefaultControllerClearAlgorithms(controller);
        ReadableStreamError(stream, e);
    }
    function ReadableStreamDefaultControllerGetDesiredSize(controller) {
        const state = controller[$controlledReadableStream][$state];
        if (state === 'errored') {
            return null;
        }
        if (state === 'closed') {
            return 0;
        }
        return controller[$strategyHWM] - controller[$queueTotalSize];
    }
    // This is used in the implementation of TransformStream.
    function ReadableStreamDefaultControllerHasBackpressure(controller) {
        if (ReadableStreamDefaultControllerShouldCallPull(controller)) {
            return false;
        }
        return true;
    }
    function ReadableStreamDefaultControllerCanCloseOrEnqueue(controller) {
        const state = controller[$controlledReadableStream][$state];
        if (!controller[$closeRequested] && state === 'readable') {
            return true;
        }
        return false;
    }
    function SetUpReadableStreamDefaultController(stream, controller, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, sizeAlgorithm) {
        controller[$controlledReadableStream] = stream;
        controller[$queue] = undefined;
        controller[$queueTotalSize] = undefined;
        ResetQueue(controller);
        controller[$started] = false;
        controller[$closeRequested] = false;
        controller[$pullAgain] = false;
        controller[$pulling] = false;
        controller[$strategySizeAlgorithm] = sizeAlgorithm;
        controller[$strategyHWM] = highWaterMark;
        controller[$pullAlgorithm] = pullAlgorithm;
        controller[$cancelAlgorithm] = cancelAlgorithm;
        stream[$readableStreamController] = controller;
        const startResult = startAlgorithm();
        uponPromise(promiseResolvedWith(startResult), () => {
            controller[$started] = true;
            ReadableStreamDefaultControllerCallPullIfNeeded(controller);
            return null;
        }, r => {
            ReadableStreamDefaultControllerError(controller, r);
            return null;
        });
    }
    function SetUpReadableStreamDefaultControllerFromUnderlyingSource(stream, underlyingSource, highWaterMark, sizeAlgorithm) {
        const controller = ObjectCreate(ReadableStreamDefaultController.prototype);
        // Before start() runs, which may enqueue.
        controller[$isOwning] = underlyingSource.type === 'owning';
        let startAlgorithm;
        let pullAlgorithm;
        let cancelAlgorithm;
        if (underlyingSource.start !== undefined) {
            startAlgorithm = () => underlyingSource.start(controller);
        }
        else {
            startAlgorithm = () => undefined;
        }
        if (underlyingSource.pull !== undefined) {
            pullAlgorithm = () => underlyingSource.pull(controller);
        }
        else {
            pullAlgorithm = () => promiseResolvedWith(undefined);
        }
        if (underlyingSource.cancel !== undefined) {
            cancelAlgorithm = reason => underlyingSource.cancel(reason);
        }
        else {
            cancelAlgorithm = () => promiseResolvedWith(undefined);
        }
        SetUpReadableStreamDefaultController(stream, controller, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, sizeAlgorithm);
    }
    // Helper functions for the ReadableStreamDefaultController.
    function defaultControllerBrandCheckException$1(name) {
        return new TypeError(`ReadableStreamDefaultController.prototype.${name} can only be used on a ReadableStreamDefaultController`);
    }

    function ReadableStreamTee(stream, cloneForBranch2) {
        if (IsReadableByteStreamController(stream[$readableStreamController])) {
            return ReadableByteStreamTee(stream);
        }
        return ReadableStreamDefaultTee(stream, cloneForBranch2 || stream[$readableStreamController][$isOwning] === true);
    }
    function ReadableStreamDefaultTee(stream, cloneForBranch2) {
        const reader = AcquireReadableStreamDefaultReader(stream);
        let reading = false;
        let readAgain = false;
        let canceled1 = false;
        let canceled2 = false;
        let reason1;
        let reason2;
        let branch1;
        let branch2;
        let resolveCancelPromise;
        let rejectCancelPromise;
        const cancelPromise = newPromise((resolve, reject) => {
            resolveCancelPromise = resolve;
            rejectCancelPromise = reject;
        });
        function pullAlgorithm() {
            if (reading) {
                readAgain = true;
                return promiseResolvedWith(undefined);
            }
            reading = true;
            const readRequest = (($slots) => {
                $slots[$chunkSteps] = chunk => {
                    // This needs to be delayed a microtask because it takes at least a microtask to detect errors (using
                    // reader[$closedPromise] below), and we want errors in stream to error both branches immediately. We cannot let
                    // successful synchronously-available reads get ahead of asynchronously-available errors.
                    _queueMicrotask(() => {
                        readAgain = false;
                        const chunk1 = chunk;
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
                        }
                        if (!canceled1) {
                            ReadableStreamDefaultControllerEnqueue(branch1[$readableStreamController], chunk1);
                        }
                        if (!canceled2) {
                            ReadableStreamDefaultControllerEnqueue(branch2[$readableStreamController], chunk2);
                        }
                        reading = false;
                        if (readAgain) {
                            pullAlgorithm();
                        }
                    });
                };
                $slots[$closeSteps] = () => {
                    reading = false;
                    if (!canceled1) {
                        ReadableStreamDefaultControllerClose(branch1[$readableStreamController]);
                    }
                    if (!canceled2) {
                        ReadableStreamDefaultControllerClose(branch2[$readableStreamController]);
                    }
                    if (!canceled1 || !canceled2) {
                        resolveCancelPromise(undefined);
                    }
                };
                $slots[$errorSteps] = () => {
                    reading = false;
                };
            return $slots; })({});
            ReadableStreamDefaultReaderRead(reader, readRequest);
            return promiseResolvedWith(undefined);
        }
        function cancel1Algorithm(reason) {
            canceled1 = true;
            reason1 = reason;
            if (canceled2) {
                const compositeReason = CreateArrayFromList([reason1, reason2]);
                const cancelResult = ReadableStreamCancel(stream, compositeReason);
                adoptPromise(resolveCancelPromise, rejectCancelPromise, cancelResult);
            }
            return cancelPromise;
        }
        function cancel2Algorithm(reason) {
            canceled2 = true;
            reason2 = reason;
            if (canceled1) {
                const compositeReason = CreateArrayFromList([reason1, reason2]);
                const cancelResult = ReadableStreamCancel(stream, compositeReason);
                adoptPromise(resolveCancelPromise, rejectCancelPromise, cancelResult);
            }
            return cancelPromise;
        }
        function startAlgorithm() {
            // do nothing
        }
        branch1 = CreateReadableStream(startAlgorithm, pullAlgorithm, cancel1Algorithm);
        branch2 = CreateReadableStream(startAlgorithm, pullAlgorithm, cancel2Algorithm);
        uponRejection(reader[$closedPromise], (r) => {
            ReadableStreamDefaultControllerError(branch1[$readableStreamController], r);
            ReadableStreamDefaultControllerError(branch2[$readableStreamController], r);
            if (!canceled1 || !canceled2) {
                resolveCancelPromise(undefined);
            }
            return null;
        });
        return [branch1, branch2];
    }
    function ReadableByteStreamTee(stream) {
        let reader = AcquireReadableStreamDefaultReader(stream);
        let reading = false;
        let readAgainForBranch1 = false;
        let readAgainForBranch2 = false;
        let canceled1 = false;
        let canceled2 = false;
        let reason1;
        let reason2;
        let branch1;
        let branch2;
        let resolveCancelPromise;
        let rejectCancelPromise;
        const cancelPromise = newPromise((resolve, reject) => {
            resolveCancelPromise = resolve;
            rejectCancelPromise = reject;
        });
        function forwardReaderError(thisReader) {
            uponRejection(thisReader[$closedPromise], r => {
                if (thisReader !== reader) {
                    return null;
                }
                ReadableByteStreamControllerError(branch1[$readableStreamController], r);
                ReadableByteStreamControllerError(branch2[$readableStreamController], r);
                if (!canceled1 || !canceled2) {
                    resolveCancelPromise(undefined);
                }
                return null;
            });
        }
        function pullWithDefaultReader() {
            if (IsReadableStreamBYOBReader(reader)) {
                ReadableStreamReaderGenericRelease(reader);
                reader = AcquireReadableStreamDefaultReader(stream);
                forwardReaderError(reader);
            }
            const readRequest = (($slots) => {
                $slots[$chunkSteps] = chunk => {
                    // This needs to be delayed a microtask because it takes at least a microtask to detect errors (using
                    // reader[$closedPromise] below), and we want errors in stream to error both branches immediately. We cannot let
                    // successful synchronously-available reads get ahead of asynchronously-available errors.
                    _queueMicrotask(() => {
                        readAgainForBranch1 = false;
                        readAgainForBranch2 = false;
                        const chunk1 = chunk;
                        let chunk2 = chunk;
                        if (!canceled1 && !canceled2) {
                            try {
                                chunk2 = CloneAsUint8Array(chunk);
                            }
                            catch (cloneE) {
                                ReadableByteStreamControllerError(branch1[$readableStreamController], cloneE);
                                ReadableByteStreamControllerError(branch2[$readableStreamController], cloneE);
                                adoptPromise(resolveCancelPromise, rejectCancelPromise, ReadableStreamCancel(stream, cloneE));
                                return;
                            }
                        }
                        if (!canceled1) {
                            ReadableByteStreamControllerEnqueue(branch1[$readableStreamController], chunk1);
                        }
                        if (!canceled2) {
                            ReadableByteStreamControllerEnqueue(branch2[$readableStreamController], chunk2);
                        }
                        reading = false;
                        if (readAgainForBranch1) {
                            pull1Algorithm();
                        }
                        else if (readAgainForBranch2) {
                            pull2Algorithm();
                        }
                    });
                };
                $slots[$closeSteps] = () => {
                    reading = false;
                    if (!canceled1) {
                        ReadableByteStreamControllerClose(branch1[$readableStreamController]);
                    }
                    if (!canceled2) {
                        ReadableByteStreamControllerClose(branch2[$readableStreamController]);
                    }
                    if (branch1[$readableStreamController][$pendingPullIntos].length > 0) {
                        ReadableByteStreamControllerRespond(branch1[$readableStreamController], 0);
                    }
                    if (branch2[$readableStreamController][$pendingPullIntos].length > 0) {
                        ReadableByteStreamControllerRespond(branch2[$readableStreamController], 0);
                    }
                    if (!canceled1 || !canceled2) {
                        resolveCancelPromise(undefined);
                    }
                };
                $slots[$errorSteps] = () => {
                    reading = false;
                };
            return $slots; })({});
            ReadableStreamDefaultReaderRead(reader, readRequest);
        }
        function pullWithBYOBReader(view, forBranch2) {
            if (IsReadableStreamDefaultReader(reader)) {
                ReadableStreamReaderGenericRelease(reader);
                reader = AcquireReadableStreamBYOBReader(stream);
                forwardReaderError(reader);
            }
            const byobBranch = forBranch2 ? branch2 : branch1;
            const otherBranch = forBranch2 ? branch1 : branch2;
            const readIntoRequest = (($slots) => {
                $slots[$chunkSteps] = chunk => {
                    // This needs to be delayed a microtask because it takes at least a microtask to detect errors (using
                    // reader[$closedPromise] below), and we want errors in stream to error both branches immediately. We cannot let
                    // successful synchronously-available reads get ahead of asynchronously-available errors.
                    _queueMicrotask(() => {
                        readAgainForBranch1 = false;
                        readAgainForBranch2 = false;
                        const byobCanceled = forBranch2 ? canceled2 : canceled1;
                        const otherCanceled = forBranch2 ? canceled1 : canceled2;
                        if (!otherCanceled) {
                            let clonedChunk;
                            try {
                                clonedChunk = CloneAsUint8Array(chunk);
                            }
                            catch (cloneE) {
                                ReadableByteStreamControllerError(byobBranch[$readableStreamController], cloneE);
                                ReadableByteStreamControllerError(otherBranch[$readableStreamController], cloneE);
                                adoptPromise(resolveCancelPromise, rejectCancelPromise, ReadableStreamCancel(stream, cloneE));
                                return;
                            }
                            if (!byobCanceled) {
                                ReadableByteStreamControllerRespondWithNewView(byobBranch[$readableStreamController], chunk);
                            }
                            ReadableByteStreamControllerEnqueue(otherBranch[$readableStreamController], clonedChunk);
                        }
                        else if (!byobCanceled) {
                            ReadableByteStreamControllerRespondWithNewView(byobBranch[$readableStreamController], chunk);
                        }
                        reading = false;
                        if (readAgainForBranch1) {
                            pull1Algorithm();
                        }
                        else if (readAgainForBranch2) {
                            pull2Algorithm();
                        }
                    });
                };
                $slots[$closeSteps] = chunk => {
                    reading = false;
                    const byobCanceled = forBranch2 ? canceled2 : canceled1;
                    const otherCanceled = forBranch2 ? canceled1 : canceled2;
                    if (!byobCanceled) {
                        ReadableByteStreamControllerClose(byobBranch[$readableStreamController]);
                    }
                    if (!otherCanceled) {
                        ReadableByteStreamControllerClose(otherBranch[$readableStreamController]);
                    }
                    if (chunk !== undefined) {
                        if (!byobCanceled) {
                            ReadableByteStreamControllerRespondWithNewView(byobBranch[$readableStreamController], chunk);
                        }
                        if (!otherCanceled && otherBranch[$readableStreamController][$pendingPullIntos].length > 0) {
                            ReadableByteStreamControllerRespond(otherBranch[$readableStreamController], 0);
                        }
                    }
                    if (!byobCanceled || !otherCanceled) {
                        resolveCancelPromise(undefined);
                    }
                };
                $slots[$errorSteps] = () => {
                    reading = false;
                };
            return $slots; })({});
            ReadableStreamBYOBReaderRead(reader, view, 1, readIntoRequest);
        }
        function pull1Algorithm() {
            if (reading) {
                readAgainForBranch1 = true;
                return promiseResolvedWith(undefined);
            }
            reading = true;
            const byobRequest = ReadableByteStreamControllerGetBYOBRequest(branch1[$readableStreamController]);
            if (byobRequest === null) {
                pullWithDefaultReader();
            }
            else {
                pullWithBYOBReader(byobRequest[$view], false);
            }
            return promiseResolvedWith(undefined);
        }
        function pull2Algorithm() {
            if (reading) {
                readAgainForBranch2 = true;
                return promiseResolvedWith(undefined);
            }
            reading = true;
            const byobRequest = ReadableByteStreamControllerGetBYOBRequest(branch2[$readableStreamController]);
            if (byobRequest === null) {
                pullWithDefaultReader();
            }
            else {
                pullWithBYOBReader(byobRequest[$view], true);
            }
            return promiseResolvedWith(undefined);
        }
        function cancel1Algorithm(reason) {
            canceled1 = true;
            reason1 = reason;
            if (canceled2) {
                const compositeReason = CreateArrayFromList([reason1, reason2]);
                const cancelResult = ReadableStreamCancel(stream, compositeReason);
                adoptPromise(resolveCancelPromise, rejectCancelPromise, cancelResult);
            }
            return cancelPromise;
        }
        function cancel2Algorithm(reason) {
            canceled2 = true;
            reason2 = reason;
            if (canceled1) {
                const compositeReason = CreateArrayFromList([reason1, reason2]);
                const cancelResult = ReadableStreamCancel(stream, compositeReason);
                adoptPromise(resolveCancelPromise, rejectCancelPromise, cancelResult);
            }
            return cancelPromise;
        }
        function startAlgorithm() {
            return;
        }
        branch1 = CreateReadableByteStream(startAlgorithm, pull1Algorithm, cancel1Algorithm);
        branch2 = CreateReadableByteStream(startAlgorithm, pull2Algorithm, cancel2Algorithm);
        forwardReaderError(reader);
        return [branch1, branch2];
    }

    function isReadableStreamLike(stream) {
        return typeIsObject(stream) && typeof stream.getReader !== 'undefined';
    }

    function ReadableStreamFrom(source) {
        if (isReadableStreamLike(source)) {
            return ReadableStreamFromDefaultReader(source.getReader());
        }
        return ReadableStreamFromIterable(source);
    }
    function ReadableStreamFromIterable(asyncIterable) {
        let stream;
        const iteratorRecord = GetIterator(asyncIterable, 'async');
        const startAlgorithm = noop;
        function pullAlgorithm() {
            let nextResult;
            try {
                nextResult = IteratorNext(iteratorRecord);
            }
            catch (e) {
                return promiseRejectedWith(e);
            }
            const nextPromise = promiseResolvedWith(nextResult);
            return transformPromiseWith(nextPromise, iterResult => {
                if (!typeIsObject(iterResult)) {
                    throw new TypeError('The promise returned by the iterator.next() method must fulfill with an object');
                }
                const done = IteratorComplete(iterResult);
                if (done) {
                    ReadableStreamDefaultControllerClose(stream[$readableStreamController]);
                }
                else {
                    const value = IteratorValue(iterResult);
                    ReadableStreamDefaultControllerEnqueue(stream[$readableStreamController], value);
                }
            });
        }
        function cancelAlgorithm(reason) {
            const iterator = iteratorRecord.iterator;
            let returnMethod;
            try {
                returnMethod = GetMethod(iterator, 'return');
            }
            catch (e) {
                return promiseRejectedWith(e);
            }
            if (returnMethod === undefined) {
                return promiseResolvedWith(undefined);
            }
            let returnResult;
            try {
                returnResult = reflectCall(returnMethod, iterator, [reason]);
            }
            catch (e) {
                return promiseRejectedWith(e);
            }
            const returnPromise = promiseResolvedWith(returnResult);
            return transformPromiseWith(returnPromise, iterResult => {
                if (!typeIsObject(iterResult)) {
                    throw new TypeError('The promise returned by the iterator.return() method must fulfill with an object');
                }
                return undefined;
            });
        }
        stream = CreateReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, 0);
        return stream;
    }
    function ReadableStreamFromDefaultReader(reader) {
        let stream;
        const startAlgorithm = noop;
        function pullAlgorithm() {
            let readPromise;
            try {
                readPromise = reader.read();
            }
            catch (e) {
                return promiseRejectedWith(e);
            }
            return transformPromiseWith(readPromise, readResult => {
                if (!typeIsObject(readResult)) {
                    throw new TypeError('The promise returned by the reader.read() method must fulfill with an object');
                }
                if (readResult.done) {
                    ReadableStreamDefaultControllerClose(stream[$readableStreamController]);
                }
                else {
                    const value = readResult.value;
                    ReadableStreamDefaultControllerEnqueue(stream[$readableStreamController], value);
                }
            });
        }
        function cancelAlgorithm(reason) {
            try {
                return promiseResolvedWith(reader.cancel(reason));
            }
            catch (e) {
                return promiseRejectedWith(e);
            }
        }
        stream = CreateReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, 0);
        return stream;
    }

    function convertUnderlyingDefaultOrByteSource(source, context) {
        assertDictionary(source, context);
        const original = source;
        const autoAllocateChunkSize = original === null || original === void 0 ? void 0 : original.autoAllocateChunkSize;
        const cancel = original === null || original === void 0 ? void 0 : original.cancel;
        const pull = original === null || original === void 0 ? void 0 : original.pull;
        const start = original === null || original === void 0 ? void 0 : original.start;
        const type = original === null || original === void 0 ? void 0 : original.type;
        return {
            autoAllocateChunkSize: autoAllocateChunkSize === undefined ?
                undefined :
                convertUnsignedLongLongWithEnforceRange(autoAllocateChunkSize, `${context} has member 'autoAllocateChunkSize' that`),
            cancel: cancel === undefined ?
                undefined :
                convertUnderlyingSourceCancelCallback(cancel, original, `${context} has member 'cancel' that`),
            pull: pull === undefined ?
                undefined :
                convertUnderlyingSourcePullCallback(pull, original, `${context} has member 'pull' that`),
            start: start === undefined ?
                undefined :
                convertUnderlyingSourceStartCallback(start, original, `${context} has member 'start' that`),
            type: type === undefined ? undefined : convertReadableStreamType(type, `${context} has member 'type' that`)
        };
    }
    function convertUnderlyingSourceCancelCallback(fn, original, context) {
        assertFunction(fn, context);
        return (reason) => promiseCall(fn, original, [reason]);
    }
    function convertUnderlyingSourcePullCallback(fn, original, context) {
        assertFunction(fn, context);
        return (controller) => promiseCall(fn, original, [controller]);
    }
    function convertUnderlyingSourceStartCallback(fn, original, context) {
        assertFunction(fn, context);
        return (controller) => reflectCall(fn, original, [controller]);
    }
    function convertReadableStreamType(type, context) {
        type = `${type}`;
        if (type !== 'bytes' && type !== 'owning') {
            throw new TypeError(`${context} '${type}' is not a valid enumeration value for ReadableStreamType`);
        }
        return type;
    }

    function convertIteratorOptions(options, context) {
        assertDictionary(options, context);
        const preventCancel = options === null || options === void 0 ? void 0 : options.preventCancel;
        return { preventCancel: Boolean(preventCancel) };
    }

    function convertPipeOptions(options, context) {
        assertDictionary(options, context);
        const preventAbort = options === null || options === void 0 ? void 0 : options.preventAbort;
        const preventCancel = options === null || options === void 0 ? void 0 : options.preventCancel;
        const preventClose = options === null || options === void 0 ? void 0 : options.preventClose;
        const signal = options === null || options === void 0 ? void 0 : options.signal;
        if (signal !== undefined) {
            assertAbortSignal(signal, `${context} has member 'signal' that`);
        }
        return {
            preventAbort: Boolean(preventAbort),
            preventCancel: Boolean(preventCancel),
            preventClose: Boolean(preventClose),
            signal
        };
    }
    function assertAbortSignal(signal, context) {
        if (!isAbortSignal(signal)) {
            throw new TypeError(`${context} is not an AbortSignal.`);
        }
    }

    function convertReadableWritablePair(pair, context) {
        assertDictionary(pair, context);
        const readable = pair === null || pair === void 0 ? void 0 : pair.readable;
        assertRequiredField(readable, 'readable', 'ReadableWritablePair');
        assertReadableStream(readable, `${context} has member 'readable' that`);
        const writable = pair === null || pair === void 0 ? void 0 : pair.writable;
        assertRequiredField(writable, 'writable', 'ReadableWritablePair');
        assertWritableStream(writable, `${context} has member 'writable' that`);
        return { readable, writable };
    }

    class ReadableStream {
        constructor(rawUnderlyingSource = {}, rawStrategy = {}) {
            if (rawUnderlyingSource === undefined) {
                rawUnderlyingSource = null;
            }
            else {
                assertObject(rawUnderlyingSource, 'First parameter');
            }
            const strategy = convertQueuingStrategy(rawStrategy, 'Second parameter');
            const underlyingSource = convertUnderlyingDefaultOrByteSource(rawUnderlyingSource, 'First parameter');
            InitializeReadableStream(this);
            if (underlyingSource.type === 'bytes') {
                if (strategy.size !== undefined) {
                    throw new RangeError('The strategy for a byte stream cannot have a size function');
                }
                const highWaterMark = ExtractHighWaterMark(strategy, 0);
                SetUpReadableByteStreamControllerFromUnderlyingSource(this, underlyingSource, highWaterMark);
            }
            else {
                const sizeAlgorithm = ExtractSizeAlgorithm(strategy);
                const highWaterMark = ExtractHighWaterMark(strategy, 1);
                SetUpReadableStreamDefaultControllerFromUnderlyingSource(this, underlyingSource, highWaterMark, sizeAlgorithm);
            }
        }
        get locked() {
            if (!IsReadableStream(this)) {
                throw streamBrandCheckException$1('locked');
            }
            return IsReadableStreamLocked(this);
        }
        cancel(reason = undefined) {
            if (!IsReadableStream(this)) {
                return promiseRejectedWith(streamBrandCheckException$1('cancel'));
            }
            if (IsReadableStreamLocked(this)) {
                return promiseRejectedWith(new TypeError('Cannot cancel a stream that already has a reader'));
            }
            return ReadableStreamCancel(this, reason);
        }
        getReader(rawOptions = undefined) {
            if (!IsReadableStream(this)) {
                throw streamBrandCheckException$1('getReader');
            }
            const options = convertReaderOptions(rawOptions, 'First parameter');
            if (options.mode === undefined) {
                return AcquireReadableStreamDefaultReader(this);
            }
            return AcquireReadableStreamBYOBReader(this);
        }
        pipeThrough(rawTransform, rawOptions = {}) {
            if (!IsReadableStream(this)) {
                throw streamBrandCheckException$1('pipeThrough');
            }
            assertRequiredArgument(rawTransform, 1, 'pipeThrough');
            const transform = convertReadableWritablePair(rawTransform, 'First parameter');
            const options = convertPipeOptions(rawOptions, 'Second parameter');
            if (IsReadableStreamLocked(this)) {
                throw new TypeError('ReadableStream.prototype.pipeThrough cannot be used on a locked ReadableStream');
            }
            if (IsWritableStreamLocked(transform.writable)) {
                throw new TypeError('ReadableStream.prototype.pipeThrough cannot be used on a locked WritableStream');
            }
            const promise = ReadableStreamPipeTo(this, transform.writable, options.preventClose, options.preventAbort, options.preventCancel, options.signal);
            setPromiseIsHandledToTrue(promise);
            return transform.readable;
        }
        pipeTo(destination, rawOptions = {}) {
            if (!IsReadableStream(this)) {
                return promiseRejectedWith(streamBrandCheckException$1('pipeTo'));
            }
            if (destination === undefined) {
                return promiseRejectedWith(`Parameter 1 is required in 'pipeTo'.`);
            }
            if (!IsWritableStream(destination)) {
                return promiseRejectedWith(new TypeError(`ReadableStream.prototype.pipeTo's first argument must be a WritableStream`));
            }
            let options;
            try {
                options = convertPipeOptions(rawOptions, 'Second parameter');
            }
            catch (e) {
                return promiseRejectedWith(e);
            }
            if (IsReadableStreamLocked(this)) {
                return promiseRejectedWith(new TypeError('ReadableStream.prototype.pipeTo cannot be used on a locked ReadableStream'));
            }
            if (IsWritableStreamLocked(destination)) {
                return promiseRejectedWith(new TypeError('ReadableStream.prototype.pipeTo cannot be used on a locked WritableStream'));
            }
            return ReadableStreamPipeTo(this, destination, options.preventClose, options.preventAbort, options.preventCancel, options.signal);
        }
        tee() {
            if (!IsReadableStream(this)) {
                throw streamBrandCheckException$1('tee');
            }
            const branches = ReadableStreamTee(this);
            return CreateArrayFromList(branches);
        }
        values(rawOptions = undefined) {
            if (!IsReadableStream(this)) {
                throw streamBrandCheckException$1('values');
            }
            const options = convertIteratorOptions(rawOptions, 'First parameter');
            return AcquireReadableStreamAsyncIterator(this, options.preventCancel);
        }
        [SymbolAsyncIterator](options) {
            // Stub implementation, overridden below
            return this.values(options);
        }
        static from(asyncIterable) {
            return ReadableStreamFrom(asyncIterable);
        }
    }
    ObjectDefineProperties(ReadableStream, {
        from: { enumerable: true }
    });
    ObjectDefineProperties(ReadableStream.prototype, {
        cancel: { enumerable: true },
        getReader: { enumerable: true },
        pipeThrough: { enumerable: true },
        pipeTo: { enumerable: true },
        tee: { enumerable: true },
        values: { enumerable: true },
        locked: { enumerable: true }
    });
    setFunctionName(ReadableStream.from, 'from');
    setFunctionName(ReadableStream.prototype.cancel, 'cancel');
    setFunctionName(ReadableStream.prototype.getReader, 'getReader');
    setFunctionName(ReadableStream.prototype.pipeThrough, 'pipeThrough');
    setFunctionName(ReadableStream.prototype.pipeTo, 'pipeTo');
    setFunctionName(ReadableStream.prototype.tee, 'tee');
    setFunctionName(ReadableStream.prototype.values, 'values');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(ReadableStream.prototype, SymbolToStringTag, { __proto__: null,
            value: 'ReadableStream',
            configurable: true
        });
    }
    ObjectDefineProperty(ReadableStream.prototype, SymbolAsyncIterator, { __proto__: null,
        value: ReadableStream.prototype.values,
        writable: true,
        configurable: true
    });
    // Abstract operations for the ReadableStream.
    // Throws if and only if startAlgorithm throws.
    function CreateReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark = 1, sizeAlgorithm = () => 1) {
        const stream = ObjectCreate(ReadableStream.prototype);
        InitializeReadableStream(stream);
        const controller = ObjectCreate(ReadableStreamDefaultController.prototype);
        SetUpReadableStreamDefaultController(stream, controller, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, sizeAlgorithm);
        return stream;
    }
    // Throws if and only if startAlgorithm throws.
    function CreateReadableByteStream(startAlgorithm, pullAlgorithm, cancelAlgorithm) {
        const stream = ObjectCreate(ReadableStream.prototype);
        InitializeReadableStream(stream);
        const controller = ObjectCreate(ReadableByteStreamController.prototype);
        SetUpReadableByteStreamController(stream, controller, startAlgorithm, pullAlgorithm, cancelAlgorithm, 0, undefined);
        return stream;
    }
    function InitializeReadableStream(stream) {
        stream[$state] = 'readable';
        stream[$reader] = undefined;
        stream[$storedError] = undefined;
        stream[$disturbed] = false;
    }
    function IsReadableStream(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $readableStreamController)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(ReadableStream, x);
    }
    function IsReadableStreamLocked(stream) {
        if (stream[$reader] === undefined) {
            return false;
        }
        return true;
    }
    // ReadableStream API exposed for controllers.
    function ReadableStreamCancel(stream, reason) {
        stream[$disturbed] = true;
        if (stream[$state] === 'closed') {
            return promiseResolvedWith(undefined);
        }
        if (stream[$state] === 'errored') {
            return promiseRejectedWith(stream[$storedError]);
        }
        ReadableStreamClose(stream);
        const reader = stream[$reader];
        if (reader !== undefined && IsReadableStreamBYOBReader(reader)) {
            const readIntoRequests = reader[$readIntoRequests];
            reader[$readIntoRequests] = new SimpleQueue();
            readIntoRequests.forEach(readIntoRequest => {
                readIntoRequest[$closeSteps](undefined);
            });
        }
        const sourceCancelPromise = stream[$readableStreamController][CancelSteps](reason);
        return transformPromiseWith(sourceCancelPromise, noop);
    }
    function ReadableStreamClose(stream) {
        stream[$state] = 'closed';
        const reader = stream[$reader];
        if (reader === undefined) {
            return;
        }
        defaultReaderClosedPromiseResolve(reader);
        if (IsReadableStreamDefaultReader(reader)) {
            const readRequests = reader[$readRequests];
            reader[$readRequests] = new SimpleQueue();
            readRequests.forEach(readRequest => {
                readRequest[$closeSteps]();
            });
        }
    }
    function ReadableStreamError(stream, e) {
        stream[$state] = 'errored';
        stream[$storedError] = e;
        const reader = stream[$reader];
        if (reader === undefined) {
            return;
        }
        defaultReaderClosedPromiseReject(reader, e);
        if (IsReadableStreamDefaultReader(reader)) {
            ReadableStreamDefaultReaderErrorReadRequests(reader, e);
        }
        else {
            ReadableStreamBYOBReaderErrorReadIntoRequests(reader, e);
        }
    }
    // Helper functions for the ReadableStream.
    function streamBrandCheckException$1(name) {
        return new TypeError(`ReadableStream.prototype.${name} can only be used on a ReadableStream`);
    }

    function convertQueuingStrategyInit(init, context) {
        assertDictionary(init, context);
        const highWaterMark = init === null || init === void 0 ? void 0 : init.highWaterMark;
        assertRequiredField(highWaterMark, 'highWaterMark', 'QueuingStrategyInit');
        return {
            highWaterMark: convertUnrestrictedDouble(highWaterMark)
        };
    }

    // The size function must not have a prototype property nor be a constructor
    const byteLengthSizeFunction = (chunk) => {
        return chunk.byteLength;
    };
    setFunctionName(byteLengthSizeFunction, 'size');
    class ByteLengthQueuingStrategy {
        constructor(options) {
            assertRequiredArgument(options, 1, 'ByteLengthQueuingStrategy');
            options = convertQueuingStrategyInit(options, 'First parameter');
            this[$byteLengthQueuingStrategyHighWaterMark] = options.highWaterMark;
        }
        get highWaterMark() {
            if (!IsByteLengthQueuingStrategy(this)) {
                throw byteLengthBrandCheckException('highWaterMark');
            }
            return this[$byteLengthQueuingStrategyHighWaterMark];
        }
        get size() {
            if (!IsByteLengthQueuingStrategy(this)) {
                throw byteLengthBrandCheckException('size');
            }
            return byteLengthSizeFunction;
        }
    }
    ObjectDefineProperties(ByteLengthQueuingStrategy.prototype, {
        highWaterMark: { enumerable: true },
        size: { enumerable: true }
    });
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(ByteLengthQueuingStrategy.prototype, SymbolToStringTag, { __proto__: null,
            value: 'ByteLengthQueuingStrategy',
            configurable: true
        });
    }
    // Helper functions for the ByteLengthQueuingStrategy.
    function byteLengthBrandCheckException(name) {
        return new TypeError(`ByteLengthQueuingStrategy.prototype.${name} can only be used on a ByteLengthQueuingStrategy`);
    }
    function IsByteLengthQueuingStrategy(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $byteLengthQueuingStrategyHighWaterMark)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(ByteLengthQueuingStrategy, x);
    }

    // The size function must not have a prototype property nor be a constructor
    const countSizeFunction = () => {
        return 1;
    };
    setFunctionName(countSizeFunction, 'size');
    class CountQueuingStrategy {
        constructor(options) {
            assertRequiredArgument(options, 1, 'CountQueuingStrategy');
            options = convertQueuingStrategyInit(options, 'First parameter');
            this[$countQueuingStrategyHighWaterMark] = options.highWaterMark;
        }
        get highWaterMark() {
            if (!IsCountQueuingStrategy(this)) {
                throw countBrandCheckException('highWaterMark');
            }
            return this[$countQueuingStrategyHighWaterMark];
        }
        get size() {
            if (!IsCountQueuingStrategy(this)) {
                throw countBrandCheckException('size');
            }
            return countSizeFunction;
        }
    }
    ObjectDefineProperties(CountQueuingStrategy.prototype, {
        highWaterMark: { enumerable: true },
        size: { enumerable: true }
    });
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(CountQueuingStrategy.prototype, SymbolToStringTag, { __proto__: null,
            value: 'CountQueuingStrategy',
            configurable: true
        });
    }
    // Helper functions for the CountQueuingStrategy.
    function countBrandCheckException(name) {
        return new TypeError(`CountQueuingStrategy.prototype.${name} can only be used on a CountQueuingStrategy`);
    }
    function IsCountQueuingStrategy(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $countQueuingStrategyHighWaterMark)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(CountQueuingStrategy, x);
    }

    function convertTransformer(original, context) {
        assertDictionary(original, context);
        const cancel = original === null || original === void 0 ? void 0 : original.cancel;
        const flush = original === null || original === void 0 ? void 0 : original.flush;
        const readableType = original === null || original === void 0 ? void 0 : original.readableType;
        const start = original === null || original === void 0 ? void 0 : original.start;
        const transform = original === null || original === void 0 ? void 0 : original.transform;
        const writableType = original === null || original === void 0 ? void 0 : original.writableType;
        return {
            cancel: cancel === undefined ?
                undefined :
                convertTransformerCancelCallback(cancel, original, `${context} has member 'cancel' that`),
            flush: flush === undefined ?
                undefined :
                convertTransformerFlushCallback(flush, original, `${context} has member 'flush' that`),
            readableType,
            start: start === undefined ?
                undefined :
                convertTransformerStartCallback(start, original, `${context} has member 'start' that`),
            transform: transform === undefined ?
                undefined :
                convertTransformerTransformCallback(transform, original, `${context} has member 'transform' that`),
            writableType
        };
    }
    function convertTransformerFlushCallback(fn, original, context) {
        assertFunction(fn, context);
        return (controller) => promiseCall(fn, original, [controller]);
    }
    function convertTransformerStartCallback(fn, original, context) {
        assertFunction(fn, context);
        return (controller) => reflectCall(fn, original, [controller]);
    }
    function convertTransformerTransformCallback(fn, original, context) {
        assertFunction(fn, context);
        return (chunk, controller) => promiseCall(fn, original, [chunk, controller]);
    }
    function convertTransformerCancelCallback(fn, original, context) {
        assertFunction(fn, context);
        return (reason) => promiseCall(fn, original, [reason]);
    }

    // Class TransformStream
    class TransformStream {
        constructor(rawTransformer = {}, rawWritableStrategy = {}, rawReadableStrategy = {}) {
            if (rawTransformer === undefined) {
                rawTransformer = null;
            }
            const writableStrategy = convertQueuingStrategy(rawWritableStrategy, 'Second parameter');
            const readableStrategy = convertQueuingStrategy(rawReadableStrategy, 'Third parameter');
            const transformer = convertTransformer(rawTransformer, 'First parameter');
            if (transformer.readableType !== undefined) {
                throw new RangeError('Invalid readableType specified');
            }
            if (transformer.writableType !== undefined) {
                throw new RangeError('Invalid writableType specified');
            }
            const readableHighWaterMark = ExtractHighWaterMark(readableStrategy, 0);
            const readableSizeAlgorithm = ExtractSizeAlgorithm(readableStrategy);
            const writableHighWaterMark = ExtractHighWaterMark(writableStrategy, 1);
            const writableSizeAlgorithm = ExtractSizeAlgorithm(writableStrategy);
            let startPromise_resolve;
            const startPromise = newPromise(resolve => {
                startPromise_resolve = resolve;
            });
            InitializeTransformStream(this, startPromise, writableHighWaterMark, writableSizeAlgorithm, readableHighWaterMark, readableSizeAlgorithm);
            SetUpTransformStreamDefaultControllerFromTransformer(this, transformer);
            if (transformer.start !== undefined) {
                startPromise_resolve(transformer.start(this[$transformStreamController]));
            }
            else {
                startPromise_resolve(undefined);
            }
        }
        get readable() {
            if (!IsTransformStream(this)) {
                throw streamBrandCheckException('readable');
            }
            return this[$readable];
        }
        get writable() {
            if (!IsTransformStream(this)) {
                throw streamBrandCheckException('writable');
            }
            return this[$writable];
        }
    }
    ObjectDefineProperties(TransformStream.prototype, {
        readable: { enumerable: true },
        writable: { enumerable: true }
    });
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(TransformStream.prototype, SymbolToStringTag, { __proto__: null,
            value: 'TransformStream',
            configurable: true
        });
    }
    function InitializeTransformStream(stream, startPromise, writableHighWaterMark, writableSizeAlgorithm, readableHighWaterMark, readableSizeAlgorithm) {
        function startAlgorithm() {
            return startPromise;
        }
        function writeAlgorithm(chunk) {
            return TransformStreamDefaultSinkWriteAlgorithm(stream, chunk);
        }
        function abortAlgorithm(reason) {
            return TransformStreamDefaultSinkAbortAlgorithm(stream, reason);
        }
        function closeAlgorithm() {
            return TransformStreamDefaultSinkCloseAlgorithm(stream);
        }
        stream[$writable] = CreateWritableStream(startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, writableHighWaterMark, writableSizeAlgorithm);
        function pullAlgorithm() {
            return TransformStreamDefaultSourcePullAlgorithm(stream);
        }
        function cancelAlgorithm(reason) {
            return TransformStreamDefaultSourceCancelAlgorithm(stream, reason);
        }
        stream[$readable] = CreateReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, readableHighWaterMark, readableSizeAlgorithm);
        // The [[backpressure]] slot is set to undefined so that it can be initialised by TransformStreamSetBackpressure.
        stream[$backpressure] = undefined;
        stream[$backpressureChangePromise] = undefined;
        stream[$backpressureChangePromise_resolve] = undefined;
        TransformStreamSetBackpressure(stream, true);
        stream[$transformStreamController] = undefined;
    }
    function IsTransformStream(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $transformStreamController)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(TransformStream, x);
    }
    // This is a no-op if both sides are already errored.
    function TransformStreamError(stream, e) {
        ReadableStreamDefaultControllerError(stream[$readable][$readableStreamController], e);
        TransformStreamErrorWritableAndUnblockWrite(stream, e);
    }
    function TransformStreamErrorWritableAndUnblockWrite(stream, e) {
        TransformStreamDefaultControllerClearAlgorithms(stream[$transformStreamController]);
        WritableStreamDefaultControllerErrorIfNeeded(stream[$writable][$writableStreamController], e);
        TransformStreamUnblockWrite(stream);
    }
    function TransformStreamUnblockWrite(stream) {
        if (stream[$backpressure]) {
            // Pretend that pull() was called to permit any pending write() calls to complete. TransformStreamSetBackpressure()
            // cannot be called from enqueue() or pull() once the ReadableStream is errored, so this will will be the final time
            // _backpressure is set.
            TransformStreamSetBackpressure(stream, false);
        }
    }
    function TransformStreamSetBackpressure(stream, backpressure) {
        // Passes also when called during construction.
        if (stream[$backpressureChangePromise] !== undefined) {
            stream[$backpressureChangePromise_resolve]();
        }
        stream[$backpressureChangePromise] = newPromise(resolve => {
            stream[$backpressureChangePromise_resolve] = resolve;
        });
        stream[$backpressure] = backpressure;
    }
    // Class TransformStreamDefaultController
    class TransformStreamDefaultController {
        constructor() {
            throw new TypeError('Illegal constructor');
        }
        get desiredSize() {
            if (!IsTransformStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException('desiredSize');
            }
            const readableController = this[$controlledTransformStream][$readable][$readableStreamController];
            return ReadableStreamDefaultControllerGetDesiredSize(readableController);
        }
        enqueue(chunk = undefined) {
            if (!IsTransformStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException('enqueue');
            }
            TransformStreamDefaultControllerEnqueue(this, chunk);
        }
        error(reason = undefined) {
            if (!IsTransformStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException('error');
            }
            TransformStreamDefaultControllerError(this, reason);
        }
        terminate() {
            if (!IsTransformStreamDefaultController(this)) {
                throw defaultControllerBrandCheckException('terminate');
            }
            TransformStreamDefaultControllerTerminate(this);
        }
    }
    ObjectDefineProperties(TransformStreamDefaultController.prototype, {
        enqueue: { enumerable: true },
        error: { enumerable: true },
        terminate: { enumerable: true },
        desiredSize: { enumerable: true }
    });
    setFunctionName(TransformStreamDefaultController.prototype.enqueue, 'enqueue');
    setFunctionName(TransformStreamDefaultController.prototype.error, 'error');
    setFunctionName(TransformStreamDefaultController.prototype.terminate, 'terminate');
    if (typeof SymbolToStringTag === 'symbol') {
        ObjectDefineProperty(TransformStreamDefaultController.prototype, SymbolToStringTag, { __proto__: null,
            value: 'TransformStreamDefaultController',
            configurable: true
        });
    }
    // Transform Stream Default Controller Abstract Operations
    function IsTransformStreamDefaultController(x) {
        if (!typeIsObject(x)) {
            return false;
        }
        if (!ObjectPrototypeHasOwnProperty(x, $controlledTransformStream)) {
            return false;
        }
        return FunctionPrototypeSymbolHasInstance(TransformStreamDefaultController, x);
    }
    function SetUpTransformStreamDefaultController(stream, controller, transformAlgorithm, flushAlgorithm, cancelAlgorithm) {
        controller[$controlledTransformStream] = stream;
        stream[$transformStreamController] = controller;
        controller[$transformAlgorithm] = transformAlgorithm;
        controller[$flushAlgorithm] = flushAlgorithm;
        controller[$cancelAlgorithm] = cancelAlgorithm;
        controller[$finishPromise] = undefined;
        controller[$finishPromise_resolve] = undefined;
        controller[$finishPromise_reject] = undefined;
    }
    function SetUpTransformStreamDefaultControllerFromTransformer(stream, transformer) {
        const controller = ObjectCreate(TransformStreamDefaultController.prototype);
        let transformAlgorithm;
        let flushAlgorithm;
        let cancelAlgorithm;
        if (transformer.transform !== undefined) {
            transformAlgorithm = chunk => transformer.transform(chunk, controller);
        }
        else {
            transformAlgorithm = chunk => {
                try {
                    TransformStreamDefaultControllerEnqueue(controller, chunk);
                    return promiseResolvedWith(undefined);
                }
                catch (transformResultE) {
                    return promiseRejectedWith(transformResultE);
                }
            };
        }
        if (transformer.flush !== undefined) {
            flushAlgorithm = () => transformer.flush(controller);
        }
        else {
            flushAlgorithm = () => promiseResolvedWith(undefined);
        }
        if (transformer.cancel !== undefined) {
            cancelAlgorithm = reason => transformer.cancel(reason);
        }
        else {
            cancelAlgorithm = () => promiseResolvedWith(undefined);
        }
        SetUpTransformStreamDefaultController(stream, controller, transformAlgorithm, flushAlgorithm, cancelAlgorithm);
    }
    function TransformStreamDefaultControllerClearAlgorithms(controller) {
        controller[$transformAlgorithm] = undefined;
        controller[$flushAlgorithm] = undefined;
        controller[$cancelAlgorithm] = undefined;
    }
    function TransformStreamDefaultControllerEnqueue(controller, chunk) {
        const stream = controller[$controlledTransformStream];
        const readableController = stream[$readable][$readableStreamController];
        if (!ReadableStreamDefaultControllerCanCloseOrEnqueue(readableController)) {
            throw new TypeError('Readable side is not in a state that permits enqueue');
        }
        // We throttle transform invocations based on the backpressure of the ReadableStream, but we still
        // accept TransformStreamDefaultControllerEnqueue() calls.
        try {
            ReadableStreamDefaultControllerEnqueue(readableController, chunk);
        }
        catch (e) {
            // This happens when readableStrategy.size() throws.
            TransformStreamErrorWritableAndUnblockWrite(stream, e);
            throw stream[$readable][$storedError];
        }
        const backpressure = ReadableStreamDefaultControllerHasBackpressure(readableController);
        if (backpressure !== stream[$backpressure]) {
            TransformStreamSetBackpressure(stream, true);
        }
    }
    function TransformStreamDefaultControllerError(controller, e) {
        TransformStreamError(controller[$controlledTransformStream], e);
    }
    function TransformStreamDefaultControllerPerformTransform(controller, chunk) {
        const transformPromise = controller[$transformAlgorithm](chunk);
        return transformPromiseWith(transformPromise, undefined, r => {
            TransformStreamError(controller[$controlledTransformStream], r);
            throw r;
        });
    }
    function TransformStreamDefaultControllerTerminate(controller) {
        const stream = controller[$controlledTransformStream];
        const readableController = stream[$readable][$readableStreamController];
        ReadableStreamDefaultControllerClose(readableController);
        const error = new TypeError('TransformStream terminated');
        TransformStreamErrorWritableAndUnblockWrite(stream, error);
    }
    // TransformStreamDefaultSink Algorithms
    function TransformStreamDefaultSinkWriteAlgorithm(stream, chunk) {
        const controller = stream[$transformStreamController];
        if (stream[$backpressure]) {
            const backpressureChangePromise = stream[$backpressureChangePromise];
            return transformPromiseWith(backpressureChangePromise, () => {
                const writable = stream[$writable];
                const state = writable[$state];
                if (state === 'erroring') {
                    throw writable[$storedError];
                }
                return TransformStreamDefaultControllerPerformTransform(controller, chunk);
            });
        }
        return TransformStreamDefaultControllerPerformTransform(controller, chunk);
    }
    function TransformStreamDefaultSinkAbortAlgorithm(stream, reason) {
        const controller = stream[$transformStreamController];
        if (controller[$finishPromise] !== undefined) {
            return controller[$finishPromise];
        }
        // stream[$readable] cannot change after construction, so caching it across a call to user code is safe.
        const readable = stream[$readable];
        // Assign the _finishPromise now so that if _cancelAlgorithm calls readable.cancel() internally,
        // we don't run the _cancelAlgorithm again.
        controller[$finishPromise] = newPromise((resolve, reject) => {
            controller[$finishPromise_resolve] = resolve;
            controller[$finishPromise_reject] = reject;
        });
        const cancelPromise = controller[$cancelAlgorithm](reason);
        TransformStreamDefaultControllerClearAlgorithms(controller);
        uponPromise(cancelPromise, () => {
            if (readable[$state] === 'errored') {
                defaultControllerFinishPromiseReject(controller, readable[$storedError]);
            }
            else {
                ReadableStreamDefaultControllerError(readable[$readableStreamController], reason);
                defaultControllerFinishPromiseResolve(controller);
            }
            return null;
        }, r => {
            ReadableStreamDefaultControllerError(readable[$readableStreamController], r);
            defaultControllerFinishPromiseReject(controller, r);
            return null;
        });
        return controller[$finishPromise];
    }
    function TransformStreamDefaultSinkCloseAlgorithm(stream) {
        const controller = stream[$transformStreamController];
        if (controller[$finishPromise] !== undefined) {
            return controller[$finishPromise];
        }
        // stream[$readable] cannot change after construction, so caching it across a call to user code is safe.
        const readable = stream[$readable];
        // Assign the _finishPromise now so that if _flushAlgorithm calls readable.cancel() internally,
        // we don't also run the _cancelAlgorithm.
        controller[$finishPromise] = newPromise((resolve, reject) => {
            controller[$finishPromise_resolve] = resolve;
            controller[$finishPromise_reject] = reject;
        });
        const flushPromise = controller[$flushAlgorithm]();
        TransformStreamDefaultControllerClearAlgorithms(controller);
        uponPromise(flushPromise, () => {
            if (readable[$state] === 'errored') {
                defaultControllerFinishPromiseReject(controller, readable[$storedError]);
            }
            else {
                ReadableStreamDefaultControllerClose(readable[$readableStreamController]);
                defaultControllerFinishPromiseResolve(controller);
            }
            return null;
        }, r => {
            ReadableStreamDefaultControllerError(readable[$readableStreamController], r);
            defaultControllerFinishPromiseReject(controller, r);
            return null;
        });
        return controller[$finishPromise];
    }
    // TransformStreamDefaultSource Algorithms
    function TransformStreamDefaultSourcePullAlgorithm(stream) {
        // Invariant. Enforced by the promises returned by start() and pull().
        TransformStreamSetBackpressure(stream, false);
        // Prevent the next pull() call until there is backpressure.
        return stream[$backpressureChangePromise];
    }
    function TransformStreamDefaultSourceCancelAlgorithm(stream, reason) {
        const controller = stream[$transformStreamController];
        if (controller[$finishPromise] !== undefined) {
            TransformStreamUnblockWrite(stream);
            return controller[$finishPromise];
        }
        // stream[$writable] cannot change after construction, so caching it across a call to user code is safe.
        const writable = stream[$writable];
        // Assign the _finishPromise now so that if _flushAlgorithm calls writable.abort() or
        // writable.cancel() internally, we don't run the _cancelAlgorithm again, or also run the
        // _flushAlgorithm.
        controller[$finishPromise] = newPromise((resolve, reject) => {
            controller[$finishPromise_resolve] = resolve;
            controller[$finishPromise_reject] = reject;
        });
        const cancelPromise = controller[$cancelAlgorithm](reason);
        TransformStreamDefaultControllerClearAlgorithms(controller);
        uponPromise(cancelPromise, () => {
            if (writable[$state] === 'errored') {
                defaultControllerFinishPromiseReject(controller, writable[$storedError]);
            }
            else {
                WritableStreamDefaultControllerErrorIfNeeded(writable[$writableStreamController], reason);
                TransformStreamUnblockWrite(stream);
                defaultControllerFinishPromiseResolve(controller);
            }
            return null;
        }, r => {
            WritableStreamDefaultControllerErrorIfNeeded(writable[$writableStreamController], r);
            TransformStreamUnblockWrite(stream);
            defaultControllerFinishPromiseReject(controller, r);
            return null;
        });
        return controller[$finishPromise];
    }
    // Helper functions for the TransformStreamDefaultController.
    function defaultControllerBrandCheckException(name) {
        return new TypeError(`TransformStreamDefaultController.prototype.${name} can only be used on a TransformStreamDefaultController`);
    }
    function defaultControllerFinishPromiseResolve(controller) {
        if (controller[$finishPromise_resolve] === undefined) {
            return;
        }
        controller[$finishPromise_resolve]();
        controller[$finishPromise_resolve] = undefined;
        controller[$finishPromise_reject] = undefined;
    }
    function defaultControllerFinishPromiseReject(controller, reason) {
        if (controller[$finishPromise_reject] === undefined) {
            return;
        }
        setPromiseIsHandledToTrue(controller[$finishPromise]);
        controller[$finishPromise_reject](reason);
        controller[$finishPromise_resolve] = undefined;
        controller[$finishPromise_reject] = undefined;
    }
    // Helper functions for the TransformStream.
    function streamBrandCheckException(name) {
        return new TypeError(`TransformStream.prototype.${name} can only be used on a TransformStream`);
    }

    exports.ByteLengthQueuingStrategy = ByteLengthQueuingStrategy;
    exports.CountQueuingStrategy = CountQueuingStrategy;
    exports.ReadableByteStreamController = ReadableByteStreamController;
    exports.ReadableStream = ReadableStream;
    exports.ReadableStreamBYOBReader = ReadableStreamBYOBReader;
    exports.ReadableStreamBYOBRequest = ReadableStreamBYOBRequest;
    exports.ReadableStreamDefaultController = ReadableStreamDefaultController;
    exports.ReadableStreamDefaultReader = ReadableStreamDefaultReader;
    exports.TransformStream = TransformStream;
    exports.TransformStreamDefaultController = TransformStreamDefaultController;
    exports.WritableStream = WritableStream;
    exports.WritableStreamDefaultController = WritableStreamDefaultController;
    exports.WritableStreamDefaultWriter = WritableStreamDefaultWriter;

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
        // A promise that settles when the transform stream of `controller` has its backpressure
        // relieved (its readable side is pulled, or it errors), or undefined when it has none.
        transformBackpressure: controller => {
            const stream = controller[$controlledTransformStream];
            return stream[$backpressure] ? stream[$backpressureChangePromise] : undefined;
        },
        // The state of the readable side of the transform stream of `controller`.
        transformReadableState: controller => controller[$controlledTransformStream][$readable][$state],
    };
})
