// Host-side API types: options, runtime methods, error classes, as both import styles see them.
import {
  createRuntime,
  createInMemoryDirectoryHandler,
  createNodeDirectoryHandler,
  type FileSystemHandler,
  CpuLimitError,
  IsolateError,
  MemoryLimitError,
  RuntimeDisposedError,
  TimeoutError,
  simpleConsoleHandler,
  type ConsoleEntry,
  type CustomFunction,
  type RuntimeOptions,
  type WebSocketCommand,
} from 'edge-isolate'

export const customFunctions = {
  getUser: { type: 'async', fn: async (id: number) => ({ id, name: 'Ada' }) },
  now: { type: 'sync', fn: () => Date.now() },
  api: { type: 'async', fn: async () => ({ add: (a: number, b: number) => a + b, url: new URL('https://a.example/'), later: Promise.resolve('x'), items: (async function* () { yield 1 })() }) },
  ticks: {
    type: 'asyncIterator',
    fn: async function* (n: number) {
      for (let i = 0; i < n; i++) yield i
    },
  },
} satisfies Record<string, CustomFunction>

const options: RuntimeOptions = {
  memoryLimitMB: 64,
  executionTimeout: 1000,
  cpuTimeLimit: 50,
  console: { onEntry: (entry: ConsoleEntry) => void entry.type },
  customFunctions,
  moduleLoader: async (specifier, importer) => ({ code: `export default ${JSON.stringify(specifier + importer.path)}`, filename: specifier }),
  onFetch: async (url, init) => new Response(`${init.method} ${url}`),
  webSocket: (url, protocols) => url.startsWith('wss://') && protocols.length === 0,
  network: { allowedHosts: ['https://api.example.com'], allowPrivateNetworks: false, maxConcurrentRequests: 4, timeout: 5000 },
}

export async function main(): Promise<void> {
  const rt = await createRuntime(options)
  const id: string = rt.id
  await rt.eval('1', 'main.js')
  await rt.eval('1', { filename: 'x.js', executionTimeout: 10 })
  const stats = rt.stats()
  const used: number = stats.heapUsedBytes + stats.heapLimitBytes + stats.externalBytes + stats.cpuTimeMs
  const res: Response = await rt.fetch.dispatchRequest(new Request('http://localhost/'), { signal: AbortSignal.timeout(100) })
  const has: boolean = await rt.fetch.hasServeHandler()
  const up = await rt.fetch.getUpgradeRequest()
  if (up !== null) await rt.fetch.dispatchWebSocketOpen(up.connectionId)
  const off: () => void = rt.fetch.onWebSocketCommand((cmd: WebSocketCommand) => {
    if (cmd.type === 'message') void (cmd.data satisfies string | ArrayBuffer)
    else void (cmd.code satisfies number)
  })
  off()
  // Synchronous handles of @ricsam/isolate-runtime (issue #14).
  const now: boolean = rt.fetch.hasServeHandler() || rt.fetch.hasActiveConnections()
  const counters: Map<string, number> = rt.console.getCounters()
  const timers: Map<string, number> = rt.console.getTimers()
  const depth: number = rt.console.getGroupDepth()
  rt.console.reset()
  rt.timers.clearAll()
  rt.clearModuleCache()
  const r2 = await createRuntime({
    cwd: '/app',
    console: simpleConsoleHandler({ log: (m: string) => void m.length, error: (m) => void m }),
    onWebSocketCommand: (cmd: WebSocketCommand) => void cmd.connectionId,
    onFetch: () => ({ status: 204, headers: { a: 'b' }, body: null }),
    moduleLoader: (specifier, importer) => ({ code: '', filename: 'x.js', resolveDir: importer.resolveDir + '/' + specifier }),
  })
  await r2.dispose()
  const r3 = await createRuntime({ fetch: (url, init) => new Response(`${url} ${init.rawBody?.byteLength ?? 0}`) })
  await r3.dispose()
  await rt.dispose()
  void [id, used, res, has, now, counters, timers, depth]

  try {
    await rt.eval('while (true) {}')
  } catch (e) {
    if (e instanceof TimeoutError) void (e.code satisfies 'ERR_ISOLATE_TIMEOUT')
    if (e instanceof MemoryLimitError) void (e.code satisfies 'ERR_ISOLATE_MEMORY_LIMIT')
    if (e instanceof CpuLimitError) void (e.code satisfies 'ERR_ISOLATE_CPU_LIMIT')
    if (e instanceof RuntimeDisposedError) void (e.cause satisfies IsolateError | undefined)
  }
}

// The fs option: a ready handler, { getDirectory } returning one, or the user's own object.
export async function fsOptions(dir: string): Promise<void> {
  const node = createNodeDirectoryHandler(dir)
  const mem = createInMemoryDirectoryHandler({ 'a.txt': 'x', 'b.bin': new Uint8Array(1) })
  const own: FileSystemHandler = {
    async getFileHandle() {},
    async getDirectoryHandle() {},
    async removeEntry() {},
    async readDirectory() {
      return [{ name: 'a', kind: 'file' }]
    },
    async readFile() {
      return { data: new Uint8Array(), type: 'text/plain' }
    },
    async writeFile() {},
  }
  for (const fs of [node, mem, own, { getDirectory: async () => node }, { getDirectory: (p: string) => (p === '/' ? mem : own) }]) {
    await (await createRuntime({ fs })).dispose()
  }
  // @ts-expect-error getDirectory returns a handler
  await createRuntime({ fs: { getDirectory: () => 'dir' } })
  // @ts-expect-error a handler needs its methods
  await createRuntime({ fs: { readFile: async () => ({ data: new Uint8Array() }) } })
}

// Negative cases: each line below must be a type error.
export async function wrong(): Promise<void> {
  // @ts-expect-error memoryLimitMB is a number
  await createRuntime({ memoryLimitMB: '64' })
  // @ts-expect-error a custom function needs a known type
  await createRuntime({ customFunctions: { f: { type: 'stream', fn: () => 1 } } })
  // @ts-expect-error onEntry receives an entry, not a string
  await createRuntime({ console: { onEntry: (entry: string) => entry } })
  const rt = await createRuntime()
  // @ts-expect-error eval takes code as a string
  await rt.eval(42)
  // @ts-expect-error dispatchRequest takes a Request
  await rt.fetch.dispatchRequest('http://localhost/')
}
