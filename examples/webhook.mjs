// A webhook sandbox: customers upload a handler for the webhooks your service receives; it runs in
// an edge-isolate runtime, behind a real HTTP endpoint. The signing secret and the chat token never
// enter the sandbox: the handler can only ask the host to check a signature (`verifySignature`)
// and to post a message (`notify`), two custom functions that hold the secrets on the host side.
//
//   node examples/webhook.mjs      # starts the endpoint, sends it three deliveries, prints what happened
import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import { Readable } from 'node:stream'
import { createRuntime } from 'edge-isolate'

const SIGNING_SECRET = 'whsec_do-not-leak' // would come from your secret store
const CHAT_TOKEN = 'xoxb-also-secret'

/** The customer's handler, as uploaded: untrusted code. */
const CUSTOMER_HANDLER = `
serve({
  async fetch(request) {
    const body = await request.text()
    if (!(await verifySignature(body, request.headers.get('x-signature') ?? ''))) {
      console.warn('rejected a delivery with a bad signature')
      return new Response('bad signature', { status: 401 })
    }
    const event = JSON.parse(body)
    if (event.type === 'order.paid') await notify('#sales', 'Order ' + event.order + ' paid: ' + event.amount + ' EUR')
    // Whatever it tries, the secrets are not here: no environment, no process, no globals holding them.
    console.log('handled', event.type, '| process:', typeof process, '| secret in globals:', Object.keys(globalThis).some((k) => /secret|token/i.test(k)))
    return Response.json({ ok: true })
  },
})
`

const sign = (body) => 'sha256=' + createHmac('sha256', SIGNING_SECRET).update(body).digest('hex')
const posted = [] // what `notify` sent to the chat (a real host would call the chat API with CHAT_TOKEN)

const runtime = await createRuntime({
  memoryLimitMB: 32,
  executionTimeout: 2000,
  console: { onEntry: (e) => e.type === 'output' && console.log(`  [handler ${e.level}] ${e.stdout}`) },
  customFunctions: {
    verifySignature: {
      type: 'async',
      fn: async (body, signature) => {
        const expected = Buffer.from(sign(String(body)))
        const given = Buffer.from(String(signature))
        return given.length === expected.length && timingSafeEqual(given, expected)
      },
    },
    notify: {
      type: 'async',
      fn: async (channel, text) => {
        posted.push({ channel: String(channel), text: String(text), auth: `Bearer ${CHAT_TOKEN.slice(0, 5)}…` })
      },
    },
  },
})
await runtime.eval(CUSTOMER_HANDLER, 'customer-handler.js')

// The public endpoint: each delivery goes to the customer's handler.
const server = http.createServer(async (req, res) => {
  try {
    const request = new Request(`http://localhost${req.url}`, {
      method: req.method,
      headers: Object.entries(req.headers).filter(([, v]) => typeof v === 'string'),
      body: req.method === 'POST' ? Readable.toWeb(req) : undefined,
      duplex: 'half',
    })
    const response = await runtime.fetch.dispatchRequest(request)
    res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'text/plain' })
    res.end(Buffer.from(await response.arrayBuffer()))
  } catch (error) {
    res.writeHead(500).end(`${error.name}: ${error.message}`)
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}/webhook`

async function deliver(what, event, signature) {
  const body = JSON.stringify(event)
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signature ?? sign(body) } })
  console.log(`${what}: ${res.status} ${await res.text()}`)
}
await deliver('paid order', { type: 'order.paid', order: 1042, amount: 99 })
await deliver('refund', { type: 'order.refunded', order: 1042 })
await deliver('forged', { type: 'order.paid', order: 1, amount: 1e6 }, 'sha256=0000')
console.log('posted to chat:', JSON.stringify(posted))

server.close()
await runtime.dispose()
