// examples/hello.mjs for CommonJS: the same sandbox, loaded with require().
const { createRuntime, TimeoutError, MemoryLimitError } = require('edge-isolate')

async function main() {
  const runtime = await createRuntime({
    memoryLimitMB: 64,
    executionTimeout: 1000,
    console: { onEntry: (entry) => entry.type === 'output' && console.log(`[isolate ${entry.level}]`, entry.stdout) },
    customFunctions: {
      getUser: { type: 'async', fn: async (id) => ({ id, name: 'Ada' }) },
      now: { type: 'sync', fn: () => Date.now() },
    },
  })

  await runtime.eval(`
    const user = await getUser(7)
    console.log('hello', user.name, 'at', new Date(now()).toISOString().slice(0, 10))
    console.log('no host here:', typeof process, typeof require)
  `, 'main.js')

  try {
    await runtime.eval('while (true) {}', { executionTimeout: 100 })
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error
    console.log(`runaway script stopped: ${error.name}: ${error.message}`)
  }

  const bomb = await createRuntime({ memoryLimitMB: 16 })
  try {
    await bomb.eval('const a = []; while (true) a.push(new Array(1e5).fill(0))')
  } catch (error) {
    if (!(error instanceof MemoryLimitError)) throw error
    console.log(`memory bomb stopped: ${error.name}: ${error.message}`)
  }
  console.log('host still healthy:', process.memoryUsage().rss < 1024 ** 3)
  await runtime.dispose()
  await bomb.dispose()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
