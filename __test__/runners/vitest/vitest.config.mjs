import { defineConfig } from 'vitest/config'

// Two workers whatever the machine, so the two test files run at the same time.
export default defineConfig({
  test: {
    include: ['*.spec.mjs'],
    testTimeout: 30_000,
    poolOptions: {
      threads: { minThreads: 2, maxThreads: 2 },
      forks: { minForks: 2, maxForks: 2 },
    },
  },
})
