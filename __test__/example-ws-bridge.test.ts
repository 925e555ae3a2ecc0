// examples/ws-bridge.mjs end to end: a real `ws` client and a real fetch() on localhost, through
// node:http and `ws`, into the isolate's serve() and back.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
// @ts-ignore: a plain .mjs example without types
import { start } from '../examples/ws-bridge.mjs'
import { sleep, within } from './helpers'

let server: { url: string; runtime: any; close: () => Promise<void> }
let logs: string[]

beforeEach(async () => {
  logs = []
  server = await start({ port: 0, onLog: (line: string) => logs.push(line) })
})
afterEach(async () => {
  await within(server.close(), 5_000, 'close()')
})

type Frame = { data: string | number[]; binary: boolean }

/** A ws client that records frames and its close. */
async function client(path: string) {
  const ws = new WebSocket(server.url.replace('http:', 'ws:') + path)
  const frames: Frame[] = []
  let upgradeHeaders: Record<string, unknown> = {}
  ws.on('upgrade', (res) => (upgradeHeaders = res.headers))
  ws.on('message', (data: Buffer, binary) => frames.push({ data: binary ? [...data] : data.toString('utf8'), binary }))
  const closed = new Promise<[number, string]>((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])))
  await within(new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject))), 5_000, 'ws open')
  return { ws, frames, closed, headers: () => upgradeHeaders }
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5_000) {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

describe('examples/ws-bridge.mjs over HTTP', () => {
  it('answers a real fetch() from the isolate, with its status and both set-cookie headers', async () => {
    const res = await fetch(`${server.url}/hello?x=1`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
    expect(await res.json()).toEqual({ hello: 'from the isolate', method: 'GET', path: '/hello' })
  })

  it('streams a request body in and straight back out', async () => {
    const big = 'x'.repeat(200_000) + 'end'
    const res = await fetch(`${server.url}/echo`, { method: 'POST', body: big, headers: { 'content-type': 'text/plain' } })
    expect(res.headers.get('content-type')).toBe('text/plain')
    expect(await res.text()).toBe(big)
  })

  it('delivers server-sent events one by one as the isolate produces them', async () => {
    const res = await fetch(`${server.url}/events`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const first = new TextDecoder().decode((await within(reader.read(), 5_000, 'first event')).value)
    expect(first).toBe('data: tick 0\n\n')
    let rest = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      rest += new TextDecoder().decode(value)
    }
    expect(rest).toBe('data: tick 1\n\ndata: tick 2\n\n')
  })

  it('passes the app’s refusal of a non-WebSocket request to /ws through', async () => {
    const res = await fetch(`${server.url}/ws`)
    expect(res.status).toBe(426)
    expect(await res.text()).toBe('expected a WebSocket upgrade')
  })
})

describe('examples/ws-bridge.mjs over WebSocket', () => {
  it('opens through the isolate: welcome message, upgrade headers, text and binary echoes', async () => {
    const c = await client('/ws?name=ada')
    expect(c.headers()['x-served-by']).toBe('edge-isolate')
    await until(() => c.frames.length === 1, 'welcome')
    expect(c.frames[0]).toEqual({ data: 'welcome ada', binary: false })
    expect(await server.runtime.fetch.hasActiveConnections()).toBe(true)
    c.ws.send('héllo')
    c.ws.send(Buffer.from([0, 1, 2, 255]))
    c.ws.send(new Uint8Array(70_000).fill(7))
    await until(() => c.frames.length === 4, 'three echoes')
    expect(c.frames[1]).toEqual({ data: 'héllo', binary: false })
    expect(c.frames[2]).toEqual({ data: [0, 1, 2, 255], binary: true })
    expect(c.frames[3].binary).toBe(true)
    expect((c.frames[3].data as number[]).length).toBe(70_000)
    c.ws.close(1000, 'done')
    expect(await within(c.closed, 5_000, 'close')).toEqual([1000, 'done'])
    // The isolate's close handler saw the client's code and reason.
    await until(() => logs.includes('closed ada 1000 done'), 'the close handler')
    await until(async () => !(await server.runtime.fetch.hasActiveConnections()), 'no active connections')
  })

  it('the isolate closes the socket with its code and reason', async () => {
    const c = await client('/ws?name=bob')
    c.ws.send('close me')
    expect(await within(c.closed, 5_000, 'close')).toEqual([4000, 'as you wish'])
    await until(() => logs.includes('closed bob 4000 as you wish'), 'the close handler')
  })

  it('several clients connecting at once each get their own connection', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f']
    const clients = await Promise.all(names.map((n) => client(`/ws?name=${n}`)))
    for (const [i, c] of clients.entries()) c.ws.send(`from ${names[i]}`)
    await until(() => clients.every((c) => c.frames.length === 2), 'every echo')
    for (const [i, c] of clients.entries()) {
      expect(c.frames.map((f) => f.data)).toEqual([`welcome ${names[i]}`, `from ${names[i]}`])
    }
    for (const c of clients) c.ws.close()
    await Promise.all(clients.map((c) => c.closed))
    await until(async () => !(await server.runtime.fetch.hasActiveConnections()), 'no active connections')
  })

  it('a client that vanishes without a close frame closes the isolate’s side with 1006', async () => {
    const c = await client('/ws?name=gone')
    await until(() => c.frames.length === 1, 'welcome')
    c.ws.terminate()
    await until(() => logs.includes('closed gone 1006 '), 'the close handler')
  })
})
