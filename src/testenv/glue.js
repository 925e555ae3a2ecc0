// Host side of `runtime.testEnvironment`, run in Node's own context (napi_run_script).
// `runTests()` returns a promise; `hasTests()`, `getTestCount()` and `reset()` are synchronous, as
// @ricsam/isolate-runtime's in-process runtime has them (awaiting a value yields it, so code
// written for its daemon client works too). `native.call(op, timeoutMs)` runs an isolate-side
// operation of src/testenv/testenv.js and resolves with what it settled with; `timeoutMs`
// (testRun only) is the run's wall-clock deadline, past which the runtime ends with a
// TimeoutError. `native.count()` reads the number of declared tests the isolate recorded before
// the eval that declared them settled; `native.reset()` forgets them. Both throw
// RuntimeDisposedError once the runtime is gone.
(function () {
  'use strict'
  return function createTestEnvironmentApi(native, enabled) {
    const notEnabled = () =>
      new TypeError(
        'testEnvironment is not enabled for this runtime: pass { testEnvironment: true } (or { testEnvironment: { onEvent, testTimeout } }) to createRuntime',
      )
    // Runs started here and not yet settled (every run goes through this object).
    let runs = 0
    return {
      async runTests(timeout = undefined) {
        if (!enabled) throw notEnabled()
        if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || timeout > 2147483647)) {
          throw new RangeError(`runTests(timeout): timeout must be a positive number of milliseconds (got ${String(timeout)})`)
        }
        runs++
        try {
          return await native.call('testRun', timeout === undefined ? undefined : Math.ceil(timeout))
        } finally {
          runs--
        }
      },
      hasTests() {
        if (!enabled) throw notEnabled()
        return native.count() > 0
      },
      getTestCount() {
        if (!enabled) throw notEnabled()
        return native.count()
      },
      reset() {
        if (!enabled) throw notEnabled()
        if (runs > 0) throw new Error('reset(): a test run is in progress; wait for runTests() to settle first')
        native.reset()
      },
    }
  }
})()
