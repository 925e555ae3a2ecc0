// A server for bench/server.mjs, run by the Deno binary of the @deno/linux-x64-glibc npm package:
// `deno run --allow-net server/deno.js MODE`. Prints {"port":N} on stdout once listening.
//   hello  Deno.serve(() => new Response('Hello'))
//   ws     WebSocket echo (Deno.upgradeWebSocket), and any other request's body echoed back
const mode = Deno.args[0]
const onListen = ({ port }) => console.log(JSON.stringify({ port }))
const echo = (req) => {
  if (req.headers.get('upgrade') !== 'websocket') return new Response(req.body)
  const { socket, response } = Deno.upgradeWebSocket(req)
  socket.binaryType = 'arraybuffer'
  socket.onmessage = (e) => socket.send(e.data)
  return response
}
Deno.serve({ port: 0, hostname: '127.0.0.1', onListen }, mode === 'hello' ? () => new Response('Hello') : echo)
