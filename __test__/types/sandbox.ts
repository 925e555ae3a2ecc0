// Code written for inside a runtime, against edge-isolate/globals and lib.dom.
import type { SandboxGlobals, ServerWebSocket } from 'edge-isolate/globals'
import type { customFunctions } from './host.js'

type Host = SandboxGlobals<typeof customFunctions>
declare global {
  const getUser: Host['getUser']
  const now: Host['now']
  const ticks: Host['ticks']
  const api: Host['api']
}

export async function useHost(): Promise<void> {
  const user: { id: number; name: string } = await getUser(7) // async → Promise of the result
  const t: number = now() // sync keeps its signature
  const gen: AsyncGenerator<number, void, undefined> = ticks(3) // asyncIterator → AsyncGenerator
  for await (const i of gen) void (i satisfies number)
  void [user, t]
  const a = await api()
  const sum: number = await a.add(1, 2) // a host function: each call returns a Promise
  const href: string = a.url.href
  const later: string = await a.later
  for await (const i of a.items) void (i satisfies number)
  void [sum, href, later]
  // @ts-expect-error a host function's result is a Promise
  const notAwaitedSum: number = a.add(1, 2)
  void notAwaitedSum

  // @ts-expect-error getUser returns a Promise, not the user
  const notAwaited: { name: string } = getUser(7)
  // @ts-expect-error getUser takes a number
  await getUser('7')
  // @ts-expect-error now() is sync: its result is not a Promise
  await now().then(() => 0)
  void notAwaited
}

const server = serve<{ user: string }>({
  async fetch(request, server) {
    if (request.headers.get('upgrade') === 'websocket') {
      server.upgrade(request, { data: { user: 'ada' }, headers: { 'x-a': '1' } })
      return new Response(null, { status: 101 })
    }
    return Response.json({ path: new URL(request.url).pathname })
  },
  websocket: {
    open(ws) {
      const sent: number = ws.send('hello ' + ws.data.user)
      void sent
    },
    message(ws, message) {
      if (typeof message === 'string') ws.sendText(message)
      else ws.sendBinary(new Uint8Array(message))
    },
    close(ws: ServerWebSocket<{ user: string }>, code, reason) {
      void [ws.readyState, code.toFixed(), reason.toUpperCase()]
    },
    drain(ws) {
      ws.close(1000, 'bye')
    },
  },
})
void server

// @ts-expect-error fetch must return a Response
serve({ fetch: () => 'not a response' })
// @ts-expect-error upgrade data must match the socket's data type
serve<{ user: string }>({ fetch: (req, s) => (s.upgrade(req, { data: { user: 1 } }), new Response()) })
serve({
  fetch: () => new Response(),
  websocket: {
    // @ts-expect-error close codes are numbers
    close(ws, code: string) {
      void [ws, code]
    },
  },
})

// The path global (node:path/posix).
const joined: string = path.join('/a', path.basename('b.txt', '.txt'))
const parsed: { root: string; ext: string } = path.parse(joined)
void [parsed, path.sep satisfies '/']

// The fs option's File System Access API inside.
export async function useFs(): Promise<string> {
  const root: FileSystemDirectoryHandle = await getDirectory('/data')
  const fh = await root.getFileHandle('a.txt', { create: true })
  const w = await fh.createWritable()
  await w.write('x')
  await w.close()
  // @ts-expect-error getDirectory takes a path
  await getDirectory()
  return (await fh.getFile()).text()
}
