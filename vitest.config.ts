import { defineConfig } from 'vitest/config'
// @ts-ignore: plain ESM helper
import { findRoot } from './__test__/wpt/runner.mjs'

// The Web Platform Tests run only where their files are (they are not in git: see
// __test__/wpt/README.md); elsewhere the file is left out rather than reported as skipped.
const wpt = findRoot() ? [] : ['**/wpt/wpt.test.ts']

export default defineConfig({
  test: {
    dir: '__test__',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', ...wpt],
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
