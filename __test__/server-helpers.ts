// Shared by the server*.test.ts files: a runtime serving `code` on a native server, and raw
// socket helpers for requests no well-behaved client sends.
import net from 'node:net'
import { afterEach } from 'vitest'
import { useRuntimes, type Runtime } from './helpers'

export type Server = Awaited<ReturnType<Runtime['listen']>>
export type ListenOptions = NonNullable<Parameters<Runtime['listen']>[0]>

/** Console output of a runtime, as strings `level: text`. */
export type Entries = string[]

export function useServers() {
  const createRuntime = useRuntimes()
  const servers: Server[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close({ timeout: 100 }).catch(() => {})))
  })
  /** A runtime that evaluated `code` and listens with `options` (port 0 unless given). */
  return async function serveApp(code: string, options: ListenOptions = {}, runtimeOptions: Record<string, unknown> = {}) {
    const entries: Entries = []
    const rt = await createRuntime({
      console: { onEntry: (e: any) => entries.push(`${e.level}: ${e.stdout}`) },
      ...runtimeOptions,
    } as any)
    await rt.eval(code, 'app.js')
    const server = await rt.listen({ port: 0, ...options })
    servers.push(server)
    return { rt, server, entries }
  }
}

/** Sends `bytes` on a fresh connection and collects everything until the server closes it (or `ms`). */
export function raw(port: number, bytes: string | Buffer, ms = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false })
    }, ms)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true })
    })
    socket.on('connect', () => socket.write(bytes))
    socket.on('timeout', () => reject(new Error('timeout')))
  })
}

/** The status code of the first response in `text` (0 if none). */
export const statusOf = (text: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0)
