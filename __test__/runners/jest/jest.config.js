module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*.spec.js'],
  testTimeout: 30_000,
  // Two worker processes, even when earlier runs' timings would make jest run fast files in band.
  maxWorkers: 2,
  workerIdleMemoryLimit: '1GB',
}
