// Real routers on our Request/Response: a Hono app and an itty-router app, bundled by
// fixtures/build.mjs, loaded as modules inside the isolate and called through app.fetch().
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CHECK, reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()
const bundle = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}.bundle.mjs`, import.meta.url)), 'utf8')

async function runWithApp(name: string, code: string) {
  const { calls, customFunctions } = reporter()
  const source = bundle(name)
  const rt = await createRuntime({
    customFunctions,
    moduleLoader: (specifier: string) => {
      if (specifier !== 'app') throw new Error(`unknown module ${specifier}`)
      return { code: source, filename: `${name}.bundle.mjs` }
    },
  })
  await rt.eval(`${CHECK}import app from 'app'\n` + `
    const call = async (url, init) => {
      const res = await app.fetch(new Request('http://app.test' + url, init))
      check(res instanceof Response, 'a Response')
      const headers = Object.fromEntries(res.headers)
      const text = await res.text()
      return { status: res.status, type: headers['content-type'] ?? null, headers, text }
    }
  ` + code, 'test.js')
  return calls
}

describe('Hono', () => {
  it('routes, params, JSON, headers, status codes, middleware, 404', async () => {
    const calls = await runWithApp('hono-app', `
      report('home', await call('/'))
      report('user', await call('/users/42?q=hi'))
      report('echo', await call('/echo', { method: 'POST', body: JSON.stringify({ a: [1, 2] }), headers: { 'content-type': 'application/json' } }))
      const form = new FormData()
      form.append('name', 'Ada')
      form.append('file', new File(['contents'], 'notes.txt', { type: 'text/plain' }))
      report('form', await call('/form', { method: 'POST', body: form }))
      report('urlencoded', await call('/form', { method: 'POST', body: new URLSearchParams({ name: 'Bob' }) }))
      report('redirect', await call('/redirect'))
      report('html', await call('/html'))
      report('error', await call('/error'))
      report('404', await call('/nope'))
    `)
    const got = Object.fromEntries(calls)
    expect(got.home).toMatchObject({ status: 200, text: 'home' })
    expect(got.home.type).toMatch(/^text\/plain; ?charset=UTF-8$/)
    expect(got.home.headers['x-powered-by']).toBe('hono-in-edge-isolate')
    expect(got.user).toMatchObject({ status: 200, type: 'application/json' })
    expect(JSON.parse(got.user.text)).toEqual({ id: '42', q: 'hi' })
    expect(got.echo.status).toBe(201)
    expect(JSON.parse(got.echo.text)).toEqual({ got: { a: [1, 2] }, type: 'application/json' })
    expect(JSON.parse(got.form.text)).toEqual({ name: 'Ada', file: ['notes.txt', 'contents'] })
    expect(JSON.parse(got.urlencoded.text)).toEqual({ name: 'Bob', file: null })
    expect(got.redirect).toMatchObject({ status: 301, text: '' })
    expect(got.redirect.headers.location).toBe('/users/1')
    expect(got.html).toMatchObject({ status: 200, text: '<h1>hi</h1>' })
    expect(got.html.type).toMatch(/^text\/html; ?charset=UTF-8$/)
    expect(got.error.status).toBe(500)
    expect(JSON.parse(got.error.text)).toEqual({ error: 'boom' })
    expect(got['404'].status).toBe(404)
    expect(JSON.parse(got['404'].text)).toEqual({ error: 'not found', path: '/nope' })
    expect(got['404'].headers['x-powered-by']).toBe('hono-in-edge-isolate')
  })
})

describe('itty-router', () => {
  it('routes, params, query, JSON, status codes, middleware, 404', async () => {
    const calls = await runWithApp('itty-app', `
      report('home', await call('/'))
      report('item', await call('/items/7?sort=asc', { headers: { 'x-user': 'ada' } }))
      report('create', await call('/items', { method: 'POST', body: JSON.stringify({ n: 1 }) }))
      report('teapot', await call('/teapot'))
      report('throws', await call('/throws'))
      report('404', await call('/missing'))
    `)
    const got = Object.fromEntries(calls)
    // AutoRouter formats every result as JSON.
    expect(got.home).toMatchObject({ status: 200, text: '"home"', type: 'application/json; charset=utf-8' })
    expect(got.home.headers['x-router']).toBe('itty')
    expect(got.item).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' })
    expect(JSON.parse(got.item.text)).toEqual({ id: '7', sort: 'asc', user: 'ada' })
    expect(got.create.status).toBe(201)
    expect(JSON.parse(got.create.text)).toEqual({ created: { n: 1 } })
    expect(got.teapot.status).toBe(418)
    expect(JSON.parse(got.teapot.text)).toEqual({ status: 418, error: 'short and stout' })
    expect(got.throws.status).toBe(400)
    expect(JSON.parse(got.throws.text)).toEqual({ status: 400, error: 'bad input' })
    expect(got['404'].status).toBe(404)
  })
})
