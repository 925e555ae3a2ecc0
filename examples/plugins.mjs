// A plug-in host: many tenants, one runtime each. Plug-ins are written like Valor's Web Worker
// plug-ins: they listen for `message` events carrying a request { url, method, headers, body } and
// answer with postMessage({ status, headers, body }). A few lines of host-provided code inside each
// runtime turn runtime.fetch.dispatchRequest() into those messages, one at a time per tenant as a
// Worker's message queue would. A tenant's state stays in its runtime; a tenant that hangs or
// hoards memory loses its runtime and gets a fresh one, and the others never notice.
//
//   node examples/plugins.mjs
import http from 'node:http'
import { createRuntime } from 'edge-isolate'

/** Runs inside every runtime before the plug-in: the Worker-style message protocol over serve(). */
const WORKER_PROTOCOL = `
{
  let queue = Promise.resolve()
  let answer = null
  globalThis.onmessage = null // a Worker's handler attribute, so that a plain onmessage = … works in a module
  globalThis.postMessage = (message) => {
    if (answer === null) throw new Error('postMessage() outside of a request')
    answer(new Response(message.body ?? null, { status: message.status ?? 200, headers: message.headers ?? [] }))
    answer = null
  }
  serve({
    fetch(request) {
      const turn = queue.then(async () => {
        const data = {
          url: request.url,
          method: request.method,
          headers: [...request.headers],
          body: request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer(),
        }
        return new Promise((resolve) => {
          answer = resolve
          const event = new MessageEvent('message', { data })
          if (typeof globalThis.onmessage === 'function') globalThis.onmessage(event)
          dispatchEvent(event)
        })
      })
      queue = turn.catch(() => {})
      return turn
    },
  })
}
`

/** Each tenant's plug-in: untrusted code, in Valor's message style. */
const PLUGINS = {
  greeter: `
    addEventListener('message', ({ data }) => {
      const name = new URL(data.url).searchParams.get('name') ?? 'stranger'
      postMessage({ status: 200, headers: [['content-type', 'text/plain']], body: 'hello ' + name })
    })`,
  counter: `
    let count = 0 // lives as long as this tenant's runtime
    onmessage = ({ data }) => {
      const id = data.headers.find(([k]) => k === 'x-request-id')?.[1]
      postMessage({ status: 200, headers: [['x-correlation-id', id ?? '']], body: String(++count) })
    }`,
  spinner: `
    addEventListener('message', ({ data }) => {
      if (data.url.endsWith('/spin')) while (true) {}
      postMessage({ body: 'still here' })
    })`,
}

const tenants = new Map() // name → runtime

async function runtimeOf(name) {
  let runtime = tenants.get(name)
  if (runtime === undefined) {
    runtime = await createRuntime({
      memoryLimitMB: 32,
      cpuTimeLimit: 100,
      console: { onEntry: (e) => e.type === 'output' && console.log(`  [${name}] ${e.stdout}`) },
    })
    try {
      await runtime.eval(WORKER_PROTOCOL, 'worker-protocol.js')
      await runtime.eval(PLUGINS[name], `${name}.js`)
    } catch (error) {
      await runtime.dispose()
      throw error
    }
    tenants.set(name, runtime)
  }
  return runtime
}

// One HTTP server for every tenant: /<tenant>/… goes to that tenant's runtime.
const server = http.createServer(async (req, res) => {
  const name = req.url.split('/')[1]
  if (!Object.hasOwn(PLUGINS, name)) return res.writeHead(404).end('no such tenant')
  try {
    const runtime = await runtimeOf(name)
    const headers = Object.entries(req.headers).filter(([, v]) => typeof v === 'string')
    const response = await runtime.fetch.dispatchRequest(new Request(`http://localhost${req.url}`, { headers }))
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(await response.text())
  } catch (error) {
    // The runtime is gone (a limit ended it): the tenant's next request gets a fresh one.
    if (error.code === 'ERR_ISOLATE_CPU_LIMIT' || error.code === 'ERR_ISOLATE_MEMORY_LIMIT' || error.code === 'ERR_ISOLATE_DISPOSED') {
      tenants.delete(name)
    }
    res.writeHead(503).end(`${error.name}: ${error.message}`)
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${server.address().port}`

async function get(path, headers = {}) {
  const res = await fetch(base + path, { headers })
  const id = res.headers.get('x-correlation-id')
  console.log(`GET ${path} → ${res.status} ${await res.text()}${id ? ` (correlation ${id})` : ''}`)
}
await get('/greeter/?name=Ada')
await get('/counter/', { 'x-request-id': 'r1' })
await get('/counter/', { 'x-request-id': 'r2' })
await Promise.all([get('/spinner/spin'), get('/greeter/?name=Grace')])
await get('/spinner/')
await get('/counter/', { 'x-request-id': 'r3' })
console.log('tenants alive:', [...tenants.keys()].sort().join(', '))

server.close()
await Promise.all([...tenants.values()].map((r) => r.dispose()))
