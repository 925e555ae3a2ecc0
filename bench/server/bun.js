// A server for bench/server.mjs, run by the Bun binary of the @oven/bun-linux-x64 npm package:
// `bun server/bun.js MODE`. Prints {"port":N} on stdout once listening.
//   hello  Bun.serve({ fetch: () => new Response('Hello') })
//   ws     WebSocket echo (server.upgrade), and any other request's body echoed back
const mode = process.argv[2]
const server =
  mode === 'hello'
    ? Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('Hello') })
    : Bun.serve({
        port: 0,
        hostname: '127.0.0.1',
        fetch(req, server) {
          if (server.upgrade(req)) return
          return new Response(req.body)
        },
        websocket: { message(ws, m) { ws.send(m) } },
      })
console.log(JSON.stringify({ port: server.port }))
