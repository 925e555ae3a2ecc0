// An AI-agent tool runner: the model writes JavaScript to answer a question; the host runs each
// piece of model-written code in a fresh runtime with a CPU-time and a memory limit, lets it reach
// only the APIs on an allow-list (here a local "weather API"), captures its console as a
// transcript, and hands the model back either the result or the error.
//
//   node examples/agent-tools.mjs
import http from 'node:http'
import { createRuntime } from 'edge-isolate'

// A local API the tools may call (in production: the allowed hosts of your tool catalogue).
const api = http.createServer((req, res) => {
  const city = new URL(req.url, 'http://x').searchParams.get('city')
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ city, celsius: { Paris: 18, Oslo: 4 }[city] ?? null }))
})
await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve))
const API = `http://127.0.0.1:${api.address().port}`

/** Runs one piece of model-written code; returns what the model gets back. */
async function runTool(code) {
  const transcript = []
  let result
  const runtime = await createRuntime({
    memoryLimitMB: 16,
    cpuTimeLimit: 200, // ms of CPU per task: a runaway loop ends, waiting on I/O does not count
    executionTimeout: 5000, // ms of wall clock per eval, waiting included
    network: { allowedHosts: [API], allowPrivateNetworks: true, timeout: 2000 }, // loopback is private: allow it here
    console: { onEntry: (e) => transcript.push(e.type === 'output' ? `${e.level}: ${e.stdout}` : e.type) },
    customFunctions: { submit: { type: 'sync', fn: (value) => void (result = value) } },
  })
  try {
    await runtime.eval(code, 'tool.js')
    return { ok: true, result, transcript }
  } catch (error) {
    return { ok: false, error: `${error.name}${error.code ? ` (${error.code})` : ''}: ${error.message}`, transcript }
  } finally {
    await runtime.dispose()
  }
}

const attempts = {
  'uses the allowed API': `
    const temps = {}
    for (const city of ['Paris', 'Oslo']) {
      const res = await fetch('${API}/weather?city=' + city)
      temps[city] = (await res.json()).celsius
      console.log(city, temps[city])
    }
    submit({ warmest: Object.keys(temps).sort((a, b) => temps[b] - temps[a])[0] })`,
  'calls a host that is not allowed': `
    try {
      await fetch('http://127.0.0.2:${api.address().port}/exfiltrate')
    } catch (e) {
      console.error(e.message, '-', e.cause.code)
      throw e
    }`,
  'loops forever': `let n = 0; while (true) n++`,
  'allocates without end': `const hoard = []; while (true) hoard.push(new Array(1e5).fill(hoard.length))`,
}

for (const [name, code] of Object.entries(attempts)) {
  const outcome = await runTool(code)
  console.log(`${name}: ${outcome.ok ? `result ${JSON.stringify(outcome.result)}` : outcome.error}`)
  for (const line of outcome.transcript) console.log(`  | ${line}`)
}
api.close()
