// A WebSocket chat relay on the native server: the sandboxed app decides who may join and what a
// message becomes, Bun's pub/sub fans it out, and no request or frame passes through Node's
// thread. The host only watches (onConnection/onDisconnection) and can push to a connection.
//
//   node examples/chat-relay.mjs       # prints the URL; connect ws clients to URL/chat?name=you
import { pathToFileURL } from 'node:url'
import { createRuntime } from 'edge-isolate'

/** The app: untrusted code as far as the host is concerned. */
export const APP = `
const rooms = new Map() // room -> member count
const chat = serve({
  fetch(request, server) {
    const url = new URL(request.url)
    if (url.pathname === '/rooms') return Response.json(Object.fromEntries(rooms))
    if (url.pathname !== '/chat') return new Response('not found', { status: 404 })
    const name = url.searchParams.get('name')
    if (!name || !/^[a-z0-9]{1,16}$/i.test(name)) return new Response('a name of 1-16 letters or digits is required', { status: 400 })
    const room = url.searchParams.get('room') ?? 'lobby'
    if (server.upgrade(request, { data: { name, room } })) return
    return new Response('expected a WebSocket upgrade', { status: 426 })
  },
  websocket: {
    open(ws) {
      const { name, room } = ws.data
      rooms.set(room, (rooms.get(room) ?? 0) + 1)
      ws.subscribe(room)
      ws.send(JSON.stringify({ type: 'welcome', room, members: rooms.get(room) }))
      ws.publish(room, JSON.stringify({ type: 'joined', name }))
    },
    message(ws, message) {
      const text = typeof message === 'string' ? message.slice(0, 500) : '[binary]'
      ws.publish(ws.data.room, JSON.stringify({ type: 'message', from: ws.data.name, text }))
    },
    close(ws) {
      const { name, room } = ws.data
      rooms.set(room, rooms.get(room) - 1)
      if (rooms.get(room) === 0) rooms.delete(room)
      chat.publish(room, JSON.stringify({ type: 'left', name }))
    },
  },
})
`

export async function start({ port = 0, onLog = console.log } = {}) {
  const runtime = await createRuntime({
    memoryLimitMB: 64,
    executionTimeout: 1000,
    console: { onEntry: (e) => onLog(`[isolate ${e.level}] ${e.stdout}`) },
  })
  await runtime.eval(APP, 'chat.js')
  const server = await runtime.listen({
    port,
    websocket: { maxPayloadLength: 64 * 1024, idleTimeout: 60_000 },
    onConnection: (c) => onLog(`[host] connected ${c.id} from ${c.remoteAddress}`),
    onDisconnection: (c) => onLog(`[host] disconnected ${c.id}`),
  })
  async function close() {
    await server.close({ timeout: 1000 })
    await runtime.dispose()
  }
  return { url: server.url, server, runtime, close }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, close } = await start({ port: Number(process.env.PORT ?? 0) })
  console.log(`chat relay on ${url}  (WebSocket: ${url.replace('http', 'ws')}chat?name=you&room=lobby)`)
  process.once('SIGINT', () => close().then(() => process.exit(0)))
}
