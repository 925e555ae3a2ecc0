// Host side of `runtime.testEnvironment`, run in Node's own context (napi_run_script). Every
// method returns a promise, as in @ricsam/isolate-runtime. `native.call(op, timeoutMs)` runs an
// isolate-side operation of src/testenv/testenv.js and resolves with what it settled with;
// `timeoutMs` (testRun only) is the run's wall-clock deadline, past which the runtime ends with
// a TimeoutError.
(function () {
  'use strict'
  return function createTestEnvironmentApi(native, enabled) {
    const notEnabled = () =>
      new TypeError(
        'testEnvironment is not enabled for this runtime: pass { testEnvironment: true } (or { testEnvironment: { onEvent, testTimeout } }) to createRuntime',
      )
    return {
      async runTests(timeout = undefined) {
        if (!enabled) throw notEnabled()
        if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || timeout > 2147483647)) {
          throw new RangeError(`runTests(timeout): timeout must be a positive number of milliseconds (got ${String(timeout)})`)
        }
        return native.call('testRun', timeout === undefined ? undefined : Math.ceil(timeout))
      },
      async hasTests() {
        if (!enabled) throw notEnabled()
        return native.call('testHas')
      },
      async getTestCount() {
        if (!enabled) throw notEnabled()
        return native.call('testCount')
      },
      async reset() {
        if (!enabled) throw notEnabled()
        await native.call('testReset')
      },
    }
  }
})()
