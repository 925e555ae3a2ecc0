import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    dir: '__test__',
    include: ['**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Separate processes: each test file gets its own Node process, so a crash in the addon fails
    // that file instead of the whole run, and values the addon creates are in the test's own realm.
    pool: 'forks',
    // Node 20 has the global WebSocket only behind a flag; tests bridge isolate sockets to it.
    poolOptions: {
      forks: { execArgv: typeof (globalThis as any).WebSocket === 'function' ? [] : ['--experimental-websocket'] },
    },
  },
})
