// ES module entry: the generated index.js is CommonJS (`module.exports = nativeBinding`), whose
// named exports Node's CJS detection cannot see; this file names them.
import binding from './index.js'

export const { createRuntime, Runtime, IsolateError, MemoryLimitError, TimeoutError, CpuLimitError, RuntimeDisposedError } = binding
export default binding
