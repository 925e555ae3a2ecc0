// examples/chat-relay.mjs end to end: real `ws` clients on the native server, pub/sub across
// connections, the host's view of them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
// @ts-ignore: a plain .mjs example without types
import { start } from '../examples/chat-relay.mjs'
import { sleep, within } from './helpers'

let relay: { url: string; server: any; close: () => Promise<void> }
let logs: string[]

beforeEach(async () => {
  logs = []
  relay = await start({ port: 0, onLog: (line: string) => logs.push(line) })
})
afterEach(async () => {
  await within(relay.close(), 5_000, 'close()')
})

async function member(name: string, room = 'lobby') {
  const ws = new WebSocket(`${relay.url.replace('http', 'ws')}chat?name=${name}&room=${room}`)
  const got: any[] = []
  ws.on('message', (d) => got.push(JSON.parse(d.toString())))
  await within(new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject))), 5_000, 'open')
  return { ws, got }
}

async function until(check: () => boolean) {
  for (let i = 0; i < 300 && !check(); i++) await sleep(10)
  expect(check()).toBe(true)
}

describe('examples/chat-relay.mjs', () => {
  it('relays messages to the other members of a room, and only to them', async () => {
    const ada = await member('ada')
    await until(() => ada.got.length === 1)
    expect(ada.got[0]).toEqual({ type: 'welcome', room: 'lobby', members: 1 })
    const bob = await member('bob')
    const eve = await member('eve', 'other')
    await until(() => ada.got.length === 2)
    expect(ada.got[1]).toEqual({ type: 'joined', name: 'bob' })
    bob.ws.send('hi ada')
    await until(() => ada.got.length === 3)
    expect(ada.got[2]).toEqual({ type: 'message', from: 'bob', text: 'hi ada' })
    await sleep(50)
    expect(bob.got.map((m) => m.type)).toEqual(['welcome'])
    expect(eve.got.map((m) => m.type)).toEqual(['welcome'])
    expect(await (await fetch(relay.url + 'rooms')).json()).toEqual({ lobby: 2, other: 1 })
    bob.ws.close()
    await until(() => ada.got.length === 4)
    expect(ada.got[3]).toEqual({ type: 'left', name: 'bob' })
    // The host saw three connections come and one go.
    await until(() => logs.filter((l) => l.startsWith('[host] disconnected')).length === 1)
    expect(logs.filter((l) => l.startsWith('[host] connected')).length).toBe(3)
    expect((await relay.server.connections()).length).toBe(2)
    ada.ws.close()
    eve.ws.close()
  })

  it('refuses joins without a valid name, before any upgrade', async () => {
    const res = await fetch(relay.url + 'chat?name=%20bad')
    expect(res.status).toBe(400)
    const ws = new WebSocket(`${relay.url.replace('http', 'ws')}chat`)
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, r) => resolve(r.statusCode!)))
    expect(status).toBe(400)
  })
})
