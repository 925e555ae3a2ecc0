// Runs Web Platform Tests files (testharness.js tests for worker-like globals) in edge-isolate, and
// the same files the same way in Node and Deno for comparison. Used by wpt.test.ts (vitest),
// run.mjs (`npm run test:wpt`) and compare.mjs.
//
// One file (or variant) runs in a fresh runtime as a dedicated worker would run it
// (wptserve's classic worker wrapper, tools/serve/serve.py): `self.GLOBAL`, testharness.js, the
// META: script= files, the test, then done(). The scripts are concatenated into one classic script
// and run by indirect eval, so their top-level declarations share one global scope as separate
// <script>s would. Results come back through testharness's add_completion_callback.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { AREAS, ALIASES, globalsOf, appliesToUs, isTest, metaOf, resolveRef, readManifest } from './vendor.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
export const EXPECTATIONS_PATH = join(HERE, 'expectations.json')
const TLS_DIR = join(HERE, '..', 'fixtures', 'tls')
export const CA = readFileSync(join(TLS_DIR, 'ca.pem'), 'utf8')
const TLS = { cert: readFileSync(join(TLS_DIR, 'server.pem')), key: readFileSync(join(TLS_DIR, 'server-key.pem')) }

/**
 * Where the WPT files are: $WPT_ROOT, else __test__/wpt/suite (made by vendor.mjs), else a `wpt`
 * directory in the shared folder beside the repository. Null when none holds testharness.js.
 */
export function findRoot() {
  const candidates = [process.env.WPT_ROOT, join(HERE, 'suite'), join(HERE, '..', '..', '..', 'shared', 'wpt')]
  return candidates.find((d) => d && existsSync(join(d, 'resources', 'testharness.js'))) ?? null
}

/** testharness.js's status codes, by name (Test.prototype.* and TestsStatus.prototype.*). */
export const SUBTEST_STATUS = ['PASS', 'FAIL', 'TIMEOUT', 'NOTRUN', 'PRECONDITION_FAILED']
export const HARNESS_STATUS = ['OK', 'ERROR', 'TIMEOUT', 'PRECONDITION_FAILED']

/** WebSocket variants over HTTP/2 (RFC 8441) need wptserve's h2 server; they are not generated. */
const UNSUPPORTED_VARIANT = /wpt_flags=h2/

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else out.push(p)
  }
  return out
}

/** Every test to run: { id, path, variant, area, title, scripts, long } (ids are path + variant). */
export function listTests(root = findRoot()) {
  if (!root) return []
  const areas = readManifest()?.areas ?? AREAS
  const tests = []
  for (const [area, dirs] of Object.entries(areas)) {
    for (const d of dirs) {
      if (!existsSync(join(root, d))) continue
      for (const abs of walk(join(root, d)).sort()) {
        const path = relative(root, abs).split(sep).join('/')
        if (!isTest(path)) continue
        const text = readFileSync(abs, 'utf8')
        const meta = metaOf(text)
        if (!appliesToUs(globalsOf(path, meta))) continue
        const variants = meta.filter(([k]) => k === 'variant').map(([, v]) => v)
        const title = meta.find(([k]) => k === 'title')?.[1] ?? ''
        const scripts = meta.filter(([k]) => k === 'script').map(([, v]) => resolveRef(path, v))
        const long = meta.some(([k, v]) => k === 'timeout' && v === 'long')
        for (const variant of variants.length ? variants : ['']) {
          if (UNSUPPORTED_VARIANT.test(variant)) continue
          tests.push({ id: path + variant, path, variant, area, title, scripts, long, worker: path.endsWith('.worker.js') })
        }
      }
    }
  }
  return tests
}

// --- the local server -----------------------------------------------------------------------------

const TYPES = { js: 'text/javascript; charset=utf-8', json: 'application/json', txt: 'text/plain', idl: 'text/plain', css: 'text/css', vtt: 'text/vtt', webm: 'video/webm' }

/** wptserve's {{…}} substitutions that the selected `.sub.` files use. */
function substitute(text, server) {
  const table = {
    host: '127.0.0.1',
    'domains[]': '127.0.0.1',
    'domains[www]': 'localhost',
    'domains[www1]': 'localhost',
    'domains[www2]': 'localhost',
    'hosts[][]': '127.0.0.1',
    'hosts[][www]': 'localhost',
    'hosts[][www1]': 'localhost',
    'hosts[][www2]': 'localhost',
    'hosts[alt][]': 'localhost',
    'hosts[alt][www]': 'localhost',
    'ports[http][0]': server.httpPort,
    'ports[http][1]': server.httpPort2,
    'ports[ws][0]': server.httpPort,
    'ports[https][0]': server.httpsPort,
    'ports[https][1]': server.httpsPort2,
    'ports[wss][0]': server.httpsPort,
    'ports[h2][0]': server.httpsPort,
    'location[host]': `127.0.0.1:${server.httpPort}`,
  }
  return text.replace(/\{\{([^}]+)\}\}/g, (all, key) => (key.trim() in table ? String(table[key.trim()]) : all))
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * The wptserve Python handlers the selected tests call (fetch/api/resources/*.py and a few others),
 * rewritten for node:http with the same behaviour. Unknown handlers answer 404.
 */
function pyHandlers(stash) {
  const first = (q, k, d) => (q.has(k) ? q.get(k) : d)
  const dirOf = (pathname) => pathname.slice(0, pathname.lastIndexOf('/') + 1)
  const handlers = {
    '/fetch/api/resources/inspect-headers.py': async (req, res, q) => {
      const headers = {}
      const checked = (q.get('headers') ?? '').split('|')
      if (q.has('headers')) for (const h of checked) if (req.headers[h.toLowerCase()] !== undefined) headers['x-request-' + h] = req.headers[h.toLowerCase()]
      if (q.has('cors')) {
        headers['Access-Control-Allow-Origin'] = req.headers.origin ?? '*'
        headers['Access-Control-Allow-Credentials'] = 'true'
        headers['Access-Control-Allow-Methods'] = 'GET, POST, HEAD'
        headers['Access-Control-Expose-Headers'] = checked.map((h) => 'x-request-' + h).join(', ')
        headers['Access-Control-Allow-Headers'] = q.get('allow_headers') ?? Object.keys(req.headers).join(', ')
      }
      await readBody(req)
      res.writeHead(200, { ...headers, 'content-type': 'text/plain' }).end()
    },
    '/fetch/api/resources/echo-content.py': async (req, res) => {
      const body = await readBody(req)
      res.writeHead(200, {
        'X-Request-Method': req.method,
        'X-Request-Content-Length': req.headers['content-length'] ?? 'NO',
        'X-Request-Content-Type': req.headers['content-type'] ?? 'NO',
        'Content-Type': 'text/plain',
      })
      res.end(body)
    },
    '/FileAPI/file/resources/echo-content-escaped.py': async (req, res) => {
      const body = await readBody(req)
      let out = ''
      for (const b of body) out += b <= 0x1f || b >= 0x7f ? '\\x' + b.toString(16).padStart(2, '0') : b === 0x5c ? '\\\\' : String.fromCharCode(b)
      res.writeHead(200, {
        'X-Request-Method': req.method,
        'X-Request-Content-Length': req.headers['content-length'] ?? 'NO',
        'X-Request-Content-Type': req.headers['content-type'] ?? 'NO',
        'Content-Type': 'text/plain; charset=UTF-8',
      })
      res.end(Buffer.from(out.replaceAll('\\x0d\\x0a', '\r\n'), 'latin1'))
    },
    '/fetch/api/resources/status.py': async (req, res, q) => {
      await readBody(req)
      const content = first(q, 'content', '')
      res.writeHead(Number(first(q, 'code', '200')), first(q, 'text', 'OMG'), {
        'Content-Type': first(q, 'type', ''),
        'X-Request-Method': req.method,
      })
      res.end(content)
    },
    '/fetch/api/resources/trickle.py': async (req, res, q) => {
      const delay = Number(first(q, 'ms', '500'))
      const count = Number(first(q, 'count', '50'))
      await readBody(req)
      await sleep(delay)
      res.writeHead(200, q.has('notype') ? {} : { 'Content-type': 'text/plain' })
      res.flushHeaders()
      await sleep(delay)
      for (let i = 0; i < count && !res.destroyed; i++) {
        res.write('TEST_TRICKLE\n')
        await sleep(delay)
      }
      res.end()
    },
    '/fetch/api/resources/bad-chunk-encoding.py': async (req, res, q) => {
      const delay = Number(first(q, 'ms', '1000'))
      const count = Number(first(q, 'count', '50'))
      await sleep(delay)
      const sock = res.socket
      sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')
      await sleep(delay)
      for (let i = 0; i < count && !sock.destroyed; i++) {
        sock.write('a\r\nTEST_CHUNK\r\n')
        await sleep(delay)
      }
      sock.end('garbage')
    },
    '/fetch/api/resources/cache.py': async (req, res) => {
      if (req.headers['if-none-match'] === '"123abc"') return res.writeHead(304, 'Not Modified', { 'X-HTTP-STATUS': '304' }).end()
      res.writeHead(200, 'OK', { ETag: '"123abc"', 'Content-Type': 'text/plain' }).end('lorem ipsum dolor sit amet')
    },
    '/fetch/api/resources/authentication.py': async (req, res, q) => {
      const auth = req.headers.authorization ?? ''
      const cred = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('latin1') : ''
      if (cred === 'user:password') return res.end('Authentication done')
      res.writeHead(401, 'Unauthorized', { 'WWW-Authenticate': `Basic realm="${first(q, 'realm', 'test')}"` })
      res.end("Please login with credentials 'user' and 'password'")
    },
    '/fetch/api/resources/stash-put.py': async (req, res, q, url) => {
      if (req.method === 'OPTIONS') {
        res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': '*', 'Access-Control-Allow-Headers': '*' })
        return res.end('done')
      }
      stash.set(dirOf(url.pathname) + q.get('key'), q.get('value'))
      res.writeHead(200, { 'Access-Control-Allow-Origin': '*' }).end('done')
    },
    '/fetch/api/resources/stash-take.py': async (req, res, q, url) => {
      const k = dirOf(url.pathname) + q.get('key')
      const v = stash.has(k) ? stash.get(k) : null
      stash.delete(k)
      res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/json' }).end(JSON.stringify(v))
    },
    '/fetch/api/resources/infinite-slow-response.py': async (req, res, q, url) => {
      const dir = dirOf(url.pathname)
      const stateKey = q.get('stateKey') ?? ''
      const abortKey = q.get('abortKey') ?? ''
      if (stateKey) stash.set(dir + stateKey, 'open')
      res.writeHead(200, { 'Content-type': 'text/plain' })
      res.write('.'.repeat(2048))
      // Writes until the client goes away (or the abort key is stashed), then records 'closed'.
      while (!res.destroyed && !res.socket?.destroyed) {
        if (abortKey && stash.has(dir + abortKey)) {
          stash.delete(dir + abortKey)
          break
        }
        res.write('.')
        await sleep(10)
      }
      if (stateKey) stash.set(dir + stateKey, 'closed')
      res.end()
    },
    '/fetch/api/resources/redirect.py': async (req, res, q, url) => {
      const token = q.get('token')
      let data = token && stash.has('redirect:' + token) ? stash.get('redirect:' + token) : { count: 0, preflight: '0' }
      if (token) stash.delete('redirect:' + token)
      const headers = { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache', Pragma: 'no-cache' }
      if (req.headers.origin) Object.assign(headers, { 'Access-Control-Allow-Origin': req.headers.origin, 'Access-Control-Allow-Credentials': 'true' })
      else headers['Access-Control-Allow-Origin'] = '*'
      const body = await readBody(req)
      if (req.method === 'OPTIONS') {
        if (q.has('allow_headers')) headers['Access-Control-Allow-Headers'] = q.get('allow_headers')
        data.preflight = '1'
        if (!q.has('redirect_preflight')) {
          if (token) stash.set('redirect:' + token, data)
          return res.writeHead(200, headers).end()
        }
      }
      const form = new URLSearchParams(body.toString('latin1'))
      const status = Number(q.get('redirect_status') ?? form.get('redirect_status') ?? 302)
      data.count++
      if (q.has('location')) {
        let loc = q.get('location')
        if (!q.has('simple')) {
          const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(loc)?.[1]?.toLowerCase() ?? ''
          if (scheme === '' || scheme === 'http' || scheme === 'https') {
            loc += loc.includes('?') ? '&' : '?'
            const params = new URLSearchParams()
            for (const k of new Set(q.keys())) params.set(k, q.get(k))
            loc += params.toString() + '&count=' + data.count
          }
        }
        headers.Location = loc
      }
      if (q.has('redirect_referrerpolicy')) headers['Referrer-Policy'] = q.get('redirect_referrerpolicy')
      if (q.has('delay')) await sleep(Number(q.get('delay')))
      if (token) {
        stash.set('redirect:' + token, data)
        if (q.has('max_count') && data.count > Number(q.get('max_count'))) return res.writeHead(200).end(String(data.count - 1))
      }
      res.writeHead(status, headers).end()
    },
    '/xhr/resources/echo-headers.py': async (req, res) => {
      const lines = []
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`)
      const content = lines.join('')
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(content), Connection: 'close' }).end(content)
    },
  }
  handlers['/xhr/resources/status.py'] = handlers['/fetch/api/resources/status.py']
  handlers['/fetch/api/resources/echo-content.h2.py'] = handlers['/fetch/api/resources/echo-content.py']
  handlers['/xhr/resources/parse-headers.py'] = async (req, res, q) => {
    res.writeHead(200, q.has('my-custom-header') ? { 'My-Custom-Header': q.get('my-custom-header') } : {}).end()
  }
  // Only the check_partition / clean_up answers the fetch tests use (no connection bookkeeping).
  handlers['/fetch/connection-pool/resources/network-partition-key.py'] = async (req, res, q) => {
    await readBody(req)
    const headers = { 'Cache-Control': 'no-store', 'Content-Type': 'text/plain' }
    if (req.headers.origin) Object.assign(headers, { 'Access-Control-Allow-Origin': req.headers.origin, 'Access-Control-Allow-Credentials': 'true' })
    const dispatch = q.get('dispatch')
    const key = 'partition:' + q.get('uuid')
    const st = stash.get(key) ?? { requests: 0, sockets: new WeakSet(), connections: 0 }
    stash.set(key, st)
    st.requests++
    if (!st.sockets.has(req.socket)) {
      st.sockets.add(req.socket)
      st.connections++
    }
    if (dispatch === 'check_partition') {
      const body = q.has('addcounter') ? `ok. Request was sent ${st.requests} times. ${st.connections} connections were created.` : 'ok'
      return res.writeHead(Number(q.get('status') ?? 200), 'OK', headers).end(body)
    }
    if (dispatch === 'clean_up') {
      stash.delete(key)
      return res.writeHead(200, 'OK', headers).end('cleanup complete')
    }
    res.writeHead(404, 'Not Found', headers).end('Unrecognized dispatch parameter')
  }
  handlers['/fetch/api/request/resources/cache.py'] = async (req, res, q) => {
    const token = q.get('token')
    const key = 'cache:' + token
    if (q.has('querystate')) {
      const v = stash.get(key) ?? null
      stash.delete(key)
      return res.writeHead(200, { 'Content-Type': 'text/plain' }).end(JSON.stringify(v))
    }
    const tag = q.has('tag') ? `"${q.get('tag')}"` : null
    const date = q.get('date')
    const inm = req.headers['if-none-match']
    const ims = req.headers['if-modified-since']
    const state = stash.get(key) ?? []
    const entry = {}
    if (!q.has('ignore')) {
      if (inm) entry['If-None-Match'] = inm
      if (ims) entry['If-Modified-Since'] = ims
      if (req.headers.pragma) entry.Pragma = req.headers.pragma
      if (req.headers['cache-control']) entry['Cache-Control'] = req.headers['cache-control']
    }
    state.push(entry)
    stash.set(key, state)
    const headers = { 'Access-Control-Allow-Origin': '*' }
    if (tag) headers.ETag = tag
    else if (date) headers['Last-Modified'] = date
    if (q.has('expires')) headers.Expires = q.get('expires')
    if (q.has('vary')) headers.Vary = q.get('vary')
    if (q.has('cache_control')) headers['Cache-Control'] = q.get('cache_control')
    if (q.has('redirect')) return res.writeHead(302, 'Redirect', { ...headers, Location: q.get('redirect') }).end()
    if ((inm !== undefined && inm === tag) || (ims !== undefined && ims === date)) return res.writeHead(304, 'Not Modified', headers).end()
    res.writeHead(200, 'OK', { ...headers, 'Content-Type': 'text/plain' }).end(q.get('content') ?? '')
  }
  return handlers
}

/** WebSocket handlers (websockets/handlers/*_wsh.py) the selected tests use, on the `ws` package. */
function wsRoute(pathname) {
  const name = pathname.slice(1)
  return ['echo', 'echo_raw', 'echo_exit', 'echo_close_data', 'handshake_protocol', 'protocol_array', 'remote-close', 'empty-message', 'simple_handshake', 'delayed-passive-close', 'handshake_no_protocol', 'handshake_no_extensions', 'referrer', 'basic_auth', 'receive-many-with-backpressure', 'origin', 'handshake_sleep_2'].includes(name) ? name : null
}

function onWebSocket(ws, route, url, req) {
  const q = url.searchParams
  switch (route) {
    case 'echo':
      ws.on('message', (data, isBinary) => {
        ws.send(isBinary ? data : data.toString(), { binary: isBinary })
        if (!isBinary && data.toString() === 'Goodbye') ws.close()
      })
      break
    case 'echo_raw':
      ws.on('message', (data) => (data.toString() === 'exit' ? ws.close() : ws._socket.write(data)))
      break
    case 'echo_exit':
    case 'echo_close_data':
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === 'Goodbye') ws.close()
      })
      break
    case 'protocol_array':
      ws.send(ws.protocol)
      break
    case 'remote-close':
      if (q.has('abrupt')) {
        ws.ping('ping')
        ws.terminate()
      } else if (q.has('code')) ws.close(Number(q.get('code')), q.get('reason') ?? '')
      else ws.close()
      break
    case 'empty-message':
      ws.send('')
      break
    case 'delayed-passive-close':
      // Reads (and so answers) the client's Close frame only after a second.
      ws.pause()
      setTimeout(() => ws.resume(), 1000)
      break
    case 'origin':
      ws.send(String(req.headers.origin ?? 'None'))
      break
    case 'referrer':
      ws.send(req.headers.referer ?? 'MISSING AS PER FETCH')
      break
    case 'receive-many-with-backpressure':
      // Reads a message every 100 ms and answers with its size.
      ws.on('message', (data) => {
        ws.pause()
        ws.send(String(data.length))
        setTimeout(() => ws.resume(), 100)
      })
      break
    default:
      break
  }
}

/** Starts the HTTP and HTTPS servers (WebSockets on the same ports) serving `root`. */
export async function startServer(root = findRoot()) {
  const stash = new Map()
  const handlers = pyHandlers(stash)
  // `missing`: wptserve handlers the tests asked for that have no emulation here.
  const server = { httpPort: 0, httpsPort: 0, root, missing: new Set() }
  const onRequest = async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      if (url.pathname.endsWith('.py')) {
        const h = handlers[url.pathname]
        if (h) return await h(req, res, url.searchParams, url)
        server.missing.add(url.pathname)
        return res.writeHead(404).end(`no emulation of ${url.pathname}`)
      }
      const file = join(root, decodeURIComponent(url.pathname))
      if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) return res.writeHead(404).end('not found')
      let body = readFileSync(file)
      if (file.endsWith('.asis')) {
        // wptserve's "as is" files: the whole HTTP response, sent byte for byte.
        res.socket.end(body)
        return
      }
      if (/\.sub\./.test(file)) body = Buffer.from(substitute(body.toString('utf8'), server))
      const ext = file.slice(file.lastIndexOf('.') + 1)
      res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'access-control-allow-origin': '*' })
      res.end(req.method === 'HEAD' ? undefined : body)
    } catch (e) {
      if (!res.headersSent) res.writeHead(500)
      res.end(String(e))
    }
  }
  // wptserve accepts any header value the Fetch standard allows (control characters included).
  // Two of each, for wptserve's ports[http][1] / ports[https][1] (another origin on the same host).
  const http = createHttpServer({ insecureHTTPParser: true }, onRequest)
  const https = createHttpsServer({ ...TLS, insecureHTTPParser: true }, onRequest)
  const http2nd = createHttpServer({ insecureHTTPParser: true }, onRequest)
  const https2nd = createHttpsServer({ ...TLS, insecureHTTPParser: true }, onRequest)
  const all = [http, https, http2nd, https2nd]
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols, req) => {
      const route = wsRoute(new URL(req.url, 'http://x').pathname)
      if (route === 'handshake_protocol') return 'foobar'
      if (route === 'protocol_array') return [...protocols][0]
      if (route === 'echo') return protocols.has('echo') ? 'echo' : false
      return false
    },
  })
  for (const s of all) {
    s.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url, 'http://127.0.0.1')
      const route = wsRoute(url.pathname)
      if (!route) return socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
      if (route === 'basic_auth' && req.headers.authorization !== 'Basic Zm9vOmJhcg==') {
        return socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nWWW-Authenticate: Basic realm="camelot"\r\n\r\n')
      }
      const accept = () => {
        // The client may have given up meanwhile (an aborted handshake).
        if (socket.destroyed) return
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.on('error', () => {})
          onWebSocket(ws, route, url, req)
        })
      }
      // handshake_sleep_2_wsh.py: the handshake completes after two seconds.
      if (route === 'handshake_sleep_2') setTimeout(accept, 2000).unref()
      else accept()
    })
    s.keepAliveTimeout = 1000
    // Tests abort requests and close sockets mid-response on purpose.
    s.on('connection', (sock) => sock.on('error', () => {}))
    s.on('secureConnection', (sock) => sock.on('error', () => {}))
    s.on('clientError', (err, sock) => sock.destroy())
  }
  await Promise.all(all.map((s) => new Promise((r) => s.listen(0, '127.0.0.1', r))))
  server.httpPort = http.address().port
  server.httpsPort = https.address().port
  server.httpPort2 = http2nd.address().port
  server.httpsPort2 = https2nd.address().port
  server.origin = `http://127.0.0.1:${server.httpPort}`
  server.close = async () => {
    for (const c of wss.clients) c.terminate()
    for (const s of all) s.closeAllConnections()
    await Promise.all(all.map((s) => new Promise((r) => s.close(r))))
  }
  return server
}

// --- the bundle ------------------------------------------------------------------------------------

/** A file of the suite as the server would send it (wptserve's substitutions in `.sub.` files), or null. */
export function readSuiteFile(server, p) {
  const f = join(server.root, ALIASES[p] ?? p)
  if (!f.startsWith(server.root) || !existsSync(f) || statSync(f).isDirectory()) return null
  const text = readFileSync(f, 'utf8')
  return /\.sub\./.test(f) ? substitute(text, server) : text
}

/**
 * A .worker.js test with its statement-level importScripts("…") calls replaced by the scripts'
 * text, so that their top-level const/let/class declarations are visible to the test as in a worker
 * (separate indirect evals would each get their own lexical scope). testharness.js is loaded already.
 */
function inlineImports(server, path, text) {
  return text.replace(/^[ \t]*importScripts\(((?:\s*["'][^"']+["']\s*,?)+)\);?[ \t]*$/gm, (all, args) => {
    const out = []
    for (const m of args.matchAll(/["']([^"']+)["']/g)) {
      const ref = resolveRef(path, m[1])
      if (ref === 'resources/testharness.js' || ref === 'resources/testharnessreport.js') continue
      out.push(readSuiteFile(server, ref) ?? `throw new Error(${JSON.stringify('importScripts: the WPT file ' + ref + ' is not in the suite')});`)
    }
    return out.join('\n;\n')
  })
}

/** ms after which testharness's timeout() ends a test that is still waiting (normal / long). */
export const harnessTimeout = (test) => (test.long ? 60_000 : 10_000)

/**
 * The classic script a test runs as. Needs, from the engine: `__wpt_read(path) → string | null`
 * (a file of the suite, for importScripts) and `__wpt_finish(json)` (results, once).
 */
export function buildBundle(test, server) {
  const read = (p) => readSuiteFile(server, p) ?? `throw new Error(${JSON.stringify('the WPT file ' + p + ' is not in the suite')});`
  const href = `${server.origin}/${test.path}${test.variant}`
  const prelude = `
(function () {
  var g = globalThis;
  if (!('self' in g)) g.self = g;
  var u = new URL(${JSON.stringify(href)});
  // The engine's own location for the test's URL (edge-isolate's location option): its Request,
  // fetch(), Response.redirect and WebSocket resolve relative URLs against it natively.
  var native = g.location != null && typeof g.location === 'object' && g.location.href === u.href;
  // Else (Node, Deno in compare.mjs) a WorkerLocation (https://html.spec.whatwg.org/#workerlocation) for it.
  var loc = native ? g.location : { href: u.href, origin: u.origin, protocol: u.protocol, host: u.host, hostname: u.hostname, port: u.port,
    pathname: u.pathname, search: u.search, hash: u.hash, toString: function () { return u.href; } };
  if (!native) Object.defineProperty(g, 'location', { value: loc, configurable: true, enumerable: true, writable: true });
  g.GLOBAL = { isWindow: function () { return false; }, isWorker: function () { return true; }, isShadowRealm: function () { return false; } };
  // A global that is a DedicatedWorkerGlobalScope (edge-isolate's) makes testharness.js report to
  // the worker's parent through self.postMessage (DedicatedWorkerTestEnvironment), as wptserve's
  // page that started the worker would receive them. This runner is that parent, and takes the
  // results through add_completion_callback instead: without a postMessage of the engine's own,
  // the harness's messages go to a sink standing for the parent.
  if (typeof g.DedicatedWorkerGlobalScope === 'function' && g instanceof g.DedicatedWorkerGlobalScope && typeof g.postMessage !== 'function') {
    Object.defineProperty(g, 'postMessage', { value: function postMessage(message) {}, configurable: true, writable: true });
  }
  ${test.title ? `g.META_TITLE = ${JSON.stringify(test.title)};` : ''}
  var loaded = { '/resources/testharness.js': true };
  // importScripts for .worker.js tests: synchronous, from the suite, in the global scope.
  g.importScripts = function () {
    for (var i = 0; i < arguments.length; i++) {
      var url = new URL(String(arguments[i]), loc.href);
      if (loaded[url.pathname]) continue;
      var text = __wpt_read(url.pathname.slice(1));
      if (text == null) throw new (g.DOMException || Error)('importScripts: cannot load ' + url.href, 'NetworkError');
      loaded[url.pathname] = true;
      (0, eval)(text + '\\n//# sourceURL=' + url.href);
    }
  };
  // Without a native location, relative URLs given to fetch() resolve against this one, as in a
  // worker. (Only fetch(): the test resources are loaded with it.)
  if (!native && typeof g.fetch === 'function') {
    g.fetch = new Proxy(g.fetch, { apply: function (target, self, args) {
      if (typeof args[0] === 'string' && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(args[0])) args = [new URL(args[0], loc.href).href].concat(args.slice(1));
      return Reflect.apply(target, self, args);
    } });
  }
})();
`
  const hooks = `
;(function () {
  if (typeof __wpt_unshim === 'function') __wpt_unshim();
  var S = ${JSON.stringify(SUBTEST_STATUS)}, H = ${JSON.stringify(HARNESS_STATUS)};
  add_completion_callback(function (tests, status) {
    var out = { status: H[status.status] || String(status.status), message: status.message == null ? null : String(status.message),
      subtests: tests.map(function (t) { return { name: String(t.name), status: S[t.status] || String(t.status), message: t.message == null ? null : String(t.message) }; }) };
    __wpt_finish(JSON.stringify(out));
  });
  // Tests in a shell environment have no harness timeout: end a waiting test as a browser would.
  setTimeout(function () { timeout(); }, ${harnessTimeout(test)});
})();
`
  const parts = [prelude, read('resources/testharness.js'), hooks]
  for (const s of test.scripts) parts.push(read(s))
  if (test.worker) parts.push(inlineImports(server, test.path, read(test.path)))
  else {
    const text = read(test.path)
    // A test whose directive prologue says 'use strict' runs strict, as its own <script> would: by
    // direct eval, which sees the harness's and the META scripts' declarations (its own stay its own).
    if (/^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(['"])use strict\1/.test(text)) {
      parts.push(`eval(${JSON.stringify(`${text}\n//# sourceURL=${server.origin}/${test.path}`)})`)
    } else parts.push(text)
  }
  if (!test.worker) parts.push('\n;done();')
  return parts.join('\n;\n')
}

/**
 * Parses what `__wpt_done` received: the server's ports in subtest names and messages become their
 * wptserve placeholders (names stay the same from run to run), and repeated subtest names are
 * numbered (#2, #3…) so that each is a key.
 */
export function parseDone(json, server) {
  const r = JSON.parse(json)
  if (server) {
    const ports = [
      [server.httpPort, '{{ports[http][0]}}'],
      [server.httpsPort, '{{ports[https][0]}}'],
      [server.httpPort2, '{{ports[http][1]}}'],
      [server.httpsPort2, '{{ports[https][1]}}'],
    ]
    const norm = (t) => (t == null ? t : ports.reduce((acc, [p, name]) => acc.replaceAll(`:${p}`, `:${name}`), t))
    r.message = norm(r.message)
    for (const t of r.subtests) {
      t.name = norm(t.name)
      t.message = norm(t.message)
    }
  }
  const seen = new Map()
  for (const t of r.subtests) {
    const n = (seen.get(t.name) ?? 0) + 1
    seen.set(t.name, n)
    if (n > 1) t.name = `${t.name} (#${n})`
  }
  return r
}

// --- edge-isolate ---------------------------------------------------------------------------------

/** Outer module run by rt.eval: the bundle by indirect eval, settling when testharness completes. */
const EDGE_DRIVER = `
await new Promise((resolve) => {
  globalThis.__wpt_finish = (json) => { __wpt_done(json); resolve() }
  const text = __wpt_bundle()
  try {
    (0, eval)(text)
  } catch (e) {
    // A script that throws at the top level: the "error" event a browser fires, which testharness turns into a harness error.
    if (typeof ErrorEvent === 'function' && typeof dispatchEvent === 'function') {
      dispatchEvent(new ErrorEvent('error', { message: String(e && e.message || e), error: e }))
    } else {
      __wpt_finish(JSON.stringify({ status: 'ERROR', message: 'uncaught: ' + String(e), subtests: [] }))
    }
  }
})
`

/** Runs one test in a fresh edge-isolate runtime. */
export async function runEdge(test, server, createRuntime) {
  const started = Date.now()
  let done = null
  let resolveDone
  const doneP = new Promise((r) => (resolveDone = r))
  const logs = []
  const bundle = buildBundle(test, server)
  let rt
  try {
    rt = await createRuntime({
      memoryLimitMB: 512,
      executionTimeout: harnessTimeout(test) + 10_000,
      network: { allowedHosts: ['127.0.0.1', 'localhost'], allowPrivateNetworks: true, caCertificates: [CA] },
      // The worker's location, its base URL: relative URLs resolve against it (the bundle's prelude
      // finds it and defines no location of its own).
      location: `${server.origin}/${test.path}${test.variant}`,
      console: { onEntry: (e) => logs.push(e) },
      customFunctions: {
        __wpt_bundle: { type: 'sync', fn: () => bundle },
        __wpt_read: { type: 'sync', fn: (p) => readSuiteFile(server, String(p)) },
        __wpt_done: {
          type: 'sync',
          fn: (json) => {
            if (!done) done = parseDone(json, server)
            resolveDone()
          },
        },
      },
    })
    // The eval ends when the completion callback resolves its promise (or the runtime's limit ends it).
    await rt.eval(EDGE_DRIVER, `wpt:${test.id}`)
  } catch (e) {
    if (!done) done = { status: 'CRASH', message: `${e?.name}: ${e?.message}`, subtests: [] }
  } finally {
    resolveDone()
    await doneP
    await rt?.dispose().catch(() => {})
  }
  return { id: test.id, area: test.area, ...done, ms: Date.now() - started, logs }
}

// --- expectations ---------------------------------------------------------------------------------

export function readExpectations() {
  return existsSync(EXPECTATIONS_PATH) ? JSON.parse(readFileSync(EXPECTATIONS_PATH, 'utf8')) : {}
}

/** The subtests a file expects to fail, name → reason. */
export function expectedFailures(exp) {
  const out = new Map()
  for (const [reason, names] of Object.entries(exp?.fail ?? {})) for (const n of names) out.set(n, reason)
  return out
}

/**
 * Differences between a result and its expectations, as messages (empty: as expected).
 * A failure not listed fails; a listed failure that passes (or no longer exists) fails too, so the
 * list only shrinks as the runtime improves.
 */
export function checkResult(result, exp) {
  const problems = []
  const expected = expectedFailures(exp)
  if (result.status !== 'OK' && !exp?.harness) problems.push(`harness status ${result.status}: ${result.message ?? ''}`)
  if (result.status === 'OK' && exp?.harness) problems.push(`harness status is now OK; remove "harness" from its expectations`)
  const seen = new Set()
  for (const t of result.subtests) {
    seen.add(t.name)
    const pass = t.status === 'PASS'
    if (!pass && !expected.has(t.name)) problems.push(`unexpected ${t.status}: ${t.name}: ${t.message ?? ''}`)
    if (pass && expected.has(t.name)) problems.push(`now passes (update expectations.json): ${t.name}`)
  }
  for (const n of expected.keys()) if (!seen.has(n) && result.status !== 'CRASH') problems.push(`expected failure no longer reported (update expectations.json): ${n}`)
  return problems
}

/**
 * The order to run tests in: first those that may wait for a harness timeout (META: timeout=long,
 * or a file expected to end in an error or timeout), so that their waiting overlaps the rest.
 */
export function slowFirst(tests, expectations) {
  const weight = (t) => (t.long ? 2 : 0) + (expectations[t.id]?.harness ? 1 : 0)
  return [...tests].sort((a, b) => weight(b) - weight(a))
}

/** Runs `tests` with at most `jobs` at once; `onResult` sees each result as it arrives. */
export async function runAll(tests, runOne, { jobs = 4, onResult } = {}) {
  const results = new Map()
  let next = 0
  const worker = async () => {
    while (next < tests.length) {
      const t = tests[next++]
      const r = await runOne(t)
      results.set(t.id, r)
      onResult?.(t, r)
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, tests.length) }, worker))
  return results
}

/** Per-area totals: { area: { files, subtests, passed } }. */
export function summarize(results, tests) {
  const out = {}
  for (const t of tests) {
    const r = results.get(t.id)
    if (!r) continue
    const a = (out[t.area] ??= { files: 0, subtests: 0, passed: 0 })
    a.files++
    a.subtests += r.subtests.length
    a.passed += r.subtests.filter((s) => s.status === 'PASS').length
  }
  return out
}
