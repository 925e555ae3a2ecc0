// ES module entry: the generated index.js is CommonJS (`module.exports = nativeBinding`), whose
// named exports Node's CJS detection cannot see; this file names them (a test checks that it names
// every export of the binding).
import binding from './index.js'

export const {
  createRuntime,
  Runtime,
  Server,
  processStats,
  configurePool,
  IsolateError,
  MemoryLimitError,
  TimeoutError,
  CpuLimitError,
  RuntimeDisposedError,
  simpleConsoleHandler,
  createNodeDirectoryHandler,
  createInMemoryDirectoryHandler,
  NodeDirectoryHandler,
  InMemoryDirectoryHandler,
} = binding
export default binding
