// swell: memory the JS heap limit does not see — native buffers, host-side copies and queues,
// compiled code, reservations. Contained: under memoryLimitMB 32 the host's RSS grows by at most
// 4 × 32 + 150 = 278 MB at its peak (6 × 32 + 150 with WebAssembly memory) and returns after
// dispose; the script ends in MemoryLimitError (or the outcome named per case).
import zlib from 'node:zlib'
import { define, SWELL, MEM, TIMEOUT, OK, openWebSocket, WASM_BUILDER, socketPeer, floodingPeer } from '../common.mjs'

const MB1 = `const mb = 'x'.repeat(1 << 20); mb.indexOf('y')`
const nativeWs = () => ({ network: { allowPrivateNetworks: true }, webSocket: () => true })

/** A host WebSocket server that accepts and then never reads: TCP pushes back at once. */
async function pausedServer(ctx) {
  return ctx.wsServer({ onConnection: (socket) => socket._socket.pause() })
}

/** onFetch whose response body is an endless stream of 1 MB chunks, made as the isolate pulls. */
const endlessBody = () => ({
  onFetch: () => {
    const chunk = new Uint8Array(1 << 20).fill(7)
    return new Response(new ReadableStream({ pull(c) { c.enqueue(chunk.slice()) } }))
  },
})

export default define('swell', [
  {
    id: 'heap-filled-then-disposed',
    why: 'a runtime that filled 150 MB of heap pages and ended well: dispose gives them back at once (V8 used to pool a dead isolate\'s pages for 8-16 s)',
    options: { memoryLimitMB: 256, executionTimeout: 12_000 },
    script: `const keep = []; for (let i = 0; i < 3e6; i++) keep.push({ i, n: i * 0.5 }); report(keep.length)`,
    expect: OK,
  },
  { id: 'textencoder-kept', options: SWELL, script: `const keep = []; const s = 'x'.repeat(1 << 20); for (;;) keep.push(new TextEncoder().encode(s))`, expect: MEM },
  { id: 'textencoder-encodeInto-kept', options: SWELL, script: `const keep = []; const s = 'é'.repeat(1 << 19); for (;;) { const u = new Uint8Array(1 << 20); new TextEncoder().encodeInto(s, u); keep.push(u) }`, expect: MEM },
  { id: 'textdecoder-kept', options: SWELL, script: `const keep = []; const u = new Uint8Array(1 << 20).fill(0xe9); for (;;) keep.push(new TextDecoder('latin1').decode(u))`, expect: MEM },
  { id: 'textdecoder-instances-kept', why: 'native decoder state per instance', options: SWELL, script: `const keep = []; for (;;) keep.push(new TextDecoder('shift_jis'))`, expect: MEM },
  {
    id: 'textdecoder-streaming-garbage',
    why: '1e6 abandoned streaming decoders: their native state is freed with them',
    options: SWELL,
    script: `for (let i = 0; i < 1e6; i++) new TextDecoder('utf-8').decode(new Uint8Array([0xe2]), { stream: true })`,
    expect: OK,
    withinMs: 15_000,
  },
  { id: 'url-objects-kept', options: SWELL, script: `const keep = []; const p = 'a'.repeat(1000); for (let i = 0; ; i++) keep.push(new URL('http://example.com/' + p + i))`, expect: MEM },
  { id: 'headers-kept', options: SWELL, script: `const h = new Headers(); for (let i = 0; ; i++) h.append('x-' + i, 'v'.repeat(100))`, expect: MEM },
  { id: 'blob-doubling', why: 'a 4 GB Blob made of references, then read', options: SWELL, script: `let b = new Blob([new Uint8Array(1 << 20)]); for (let i = 0; i < 12; i++) b = new Blob([b, b]); await b.arrayBuffer()`, expect: MEM },
  { id: 'blobs-kept', options: SWELL, script: `const keep = []; const part = new Uint8Array(1 << 20); for (;;) keep.push(new Blob([part]))`, expect: MEM },
  { id: 'tee-unread-branch', options: SWELL, script: `const r = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1 << 20)) } }); const [a] = r.tee(); for await (const c of a) {}`, expect: MEM },
  { id: 'fetch-body-chunks-kept', options: SWELL, host: endlessBody, script: `const r = await fetch('http://host/'); const keep = []; for await (const c of r.body) keep.push(c)`, expect: MEM },
  { id: 'fetch-body-arrayBuffer', options: SWELL, host: endlessBody, script: `await (await fetch('http://host/')).arrayBuffer()`, expect: MEM },
  { id: 'fetch-body-text', options: SWELL, host: endlessBody, script: `await (await fetch('http://host/')).text()`, expect: MEM },
  {
    id: 'fetch-upload-host-never-reads',
    why: 'the isolate streams an endless body to an onFetch that never reads it: backpressure, not buffering',
    options: { memoryLimitMB: 32, executionTimeout: 2000 },
    host: () => ({ onFetch: () => new Promise(() => {}) }),
    script: `await fetch('http://host/', { method: 'POST', body: new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1 << 20)) } }), duplex: 'half' })`,
    expect: TIMEOUT,
  },
  {
    id: 'customFunction-results-kept',
    options: SWELL,
    host: () => ({ customFunctions: { big: { type: 'sync', fn: () => new Uint8Array(4 << 20) } } }),
    script: `const keep = []; for (;;) keep.push(big())`,
    expect: MEM,
  },
  {
    id: 'customFunction-async-results-kept',
    options: SWELL,
    host: () => ({ customFunctions: { big: { type: 'async', fn: async () => 'y'.repeat(4 << 20) } } }),
    script: `const keep = []; for (;;) keep.push(await big())`,
    expect: MEM,
  },
  {
    id: 'customFunction-200MB-string-result',
    why: 'the host returns 200 MB to a 32 MB isolate',
    options: SWELL,
    // The host's string is made (flat) before the baseline; one copy of it on the way in is allowed.
    warm: (ctx) => void (ctx.big = 'x'.repeat(200 << 20) + '!', ctx.big.indexOf('y')),
    peakMB: 4 * 32 + 150 + 200,
    host: (ctx) => ({ customFunctions: { big: { type: 'sync', fn: () => ctx.big } } }),
    script: `big()`,
    expect: [MEM, { error: 'DataCloneError', message: /memoryLimitMB/ }],
  },
  {
    id: 'customFunction-result-amplification',
    why: '1000 host references to one 1 MB string become 1 GB on the way in',
    options: SWELL,
    host: () => {
      const s = 'h'.repeat(1 << 20) + '.'
      return { customFunctions: { big: { type: 'sync', fn: () => Array(1000).fill(s) } } }
    },
    script: `big()`,
    expect: [MEM, { error: 'DataCloneError', message: /memoryLimitMB/ }],
  },
  {
    id: 'customFunction-argument-amplification',
    why: '1000 references to one 1 MB string become 1 GB on the way out',
    options: SWELL,
    host: () => ({ customFunctions: { take: { type: 'sync', fn: () => {} } } }),
    script: `${MB1}; take(Array(1000).fill(mb))`,
    expect: [MEM, { error: 'DataCloneError', message: /memoryLimitMB/ }],
  },
  {
    id: 'customFunction-argument-amplification-async',
    options: SWELL,
    host: () => ({ customFunctions: { take: { type: 'async', fn: async () => {} } } }),
    script: `${MB1}; await take(Array(1000).fill(mb))`,
    expect: [MEM, { error: 'DataCloneError', message: /memoryLimitMB/ }],
  },
  {
    id: 'customFunction-argument-amplification-map',
    options: SWELL,
    host: () => ({ customFunctions: { take: { type: 'sync', fn: () => {} } } }),
    script: `${MB1}; const m = new Map(); for (let i = 0; i < 1000; i++) m.set(i, mb); take(m)`,
    expect: [MEM, { error: 'DataCloneError', message: /memoryLimitMB/ }],
  },
  {
    id: 'console-argument-amplification',
    options: SWELL,
    host: () => ({ console: { onEntry() {} } }),
    script: `${MB1}; console.log(...Array(1000).fill(mb))`,
    // Formatting 1 GB into one string passes the engine's string length: its RangeError is contained too.
    expect: [MEM, { error: 'RangeError', message: /Invalid string length/ }],
  },
  {
    id: 'structuredClone-serializer-amplification',
    why: '1000 references to one 1 MB string serialize to 1 GB: the serializer stops at what is left of memoryLimitMB and structuredClone throws the DataCloneError its spec allows (README, What memoryLimitMB counts); the script may catch it and the runtime goes on',
    options: SWELL,
    script: `${MB1}; structuredClone(Array(1000).fill(mb))`,
    expect: { error: 'DataCloneError', message: /out of memory/ },
  },
  {
    id: 'unawaited-async-calls-1e6',
    why: '1e6 host calls in flight: delivered with bounded memory (resolve), or refused by the limit',
    options: SWELL,
    host: () => ({ customFunctions: { ping: { type: 'async', fn: (i) => i } } }),
    script: `for (let i = 0; i < 1e6; i++) ping(i); await new Promise((r) => setTimeout(r, 10))`,
    expect: [OK, MEM],
    withinMs: 15_000,
  },
  {
    id: 'pending-host-promises',
    options: SWELL,
    host: () => ({ customFunctions: { never: { type: 'async', fn: () => new Promise(() => {}) } } }),
    script: `const keep = []; for (;;) keep.push(never())`,
    expect: MEM,
  },
  { id: 'pending-promises', options: SWELL, script: `const keep = []; for (;;) keep.push(new Promise(() => {}))`, expect: MEM },
  { id: 'timers-unbounded', options: SWELL, script: `for (;;) setTimeout(() => {}, 1e9)`, expect: MEM },
  { id: 'abortsignal-timeouts-unbounded', options: SWELL, script: `const keep = []; for (;;) keep.push(AbortSignal.timeout(1e9))`, expect: MEM },
  {
    id: 'intervals-1e5-still-answers',
    why: '1e5 zero-delay intervals: the runtime keeps answering (eval("1") afterwards) and dispose stops them',
    options: SWELL,
    script: `for (let i = 0; i < 1e5; i++) setInterval(() => {}, 0)`,
    expect: OK,
  },
  {
    id: 'resizable-arraybuffer-grow',
    why: 'resize past the limit: the spec’s RangeError, or the limit trips',
    options: SWELL,
    script: `const b = new ArrayBuffer(0, { maxByteLength: 2 ** 32 }); for (let n = 1 << 24; ; n += 1 << 24) { b.resize(n); new Uint8Array(b).fill(1, n - (1 << 24)) }`,
    expect: { error: ['MemoryLimitError', 'RangeError'] },
  },
  {
    id: 'growable-sab-grow',
    options: SWELL,
    script: `const b = new SharedArrayBuffer(0, { maxByteLength: 2 ** 32 }); for (let n = 1 << 24; ; n += 1 << 24) { b.grow(n); new Uint8Array(b).fill(1, n - (1 << 24)) }`,
    expect: { error: ['MemoryLimitError', 'RangeError'] },
  },
  {
    id: 'resizable-reservations-kept',
    why: 'each resizable buffer reserves 4 GB of address space',
    options: SWELL,
    script: `const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 16, { maxByteLength: 2 ** 32 }))`,
    expect: { error: ['MemoryLimitError', 'RangeError'] },
  },
  {
    id: 'hmac-keys-kept',
    options: SWELL,
    script: `const keep = []; const raw = new Uint8Array(1 << 20); for (;;) keep.push(await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']))`,
    expect: MEM,
  },
  {
    id: 'hmac-generated-keys-kept',
    options: SWELL,
    script: `const keep = []; for (;;) keep.push(await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-512', length: 1 << 23 }, true, ['sign']))`,
    expect: MEM,
  },
  {
    id: 'socket-chunks-kept',
    why: 'a connect() socket whose peer floods it, every chunk read kept: the read buffers are charged to the runtime, so the limit trips',
    options: SWELL,
    host: socketPeer(floodingPeer),
    script: `import { connect } from 'cloudflare:sockets'; const r = connect('127.0.0.1:' + port()).readable.getReader(); const keep = []; for (;;) { const { value, done } = await r.read(); if (done) break; keep.push(value) }`,
    expect: MEM,
  },
  {
    id: 'socket-writes-never-awaited',
    why: 'writes to a peer that never reads, never awaited: past the 1 MiB the socket queues, the chunks wait in the writable stream, on the heap',
    options: SWELL,
    host: socketPeer((s) => s.pause()),
    script: `import { connect } from 'cloudflare:sockets'; const w = connect('127.0.0.1:' + port()).writable.getWriter(); for (let i = 0; ; i++) { w.write(new Uint8Array(1 << 20)).catch(() => {}); if (i % 8 === 0) await new Promise((r) => setTimeout(r, 0)) }`,
    expect: MEM,
  },
  {
    id: 'sockets-opened-abandoned',
    why: 'sockets opened and dropped without close: past network.maxConnections connect() fails (ERR_LIMIT) and the loop goes on until a limit ends it; host file descriptors stay bounded',
    options: SWELL,
    host: socketPeer(() => {}),
    script: `import { connect } from 'cloudflare:sockets'; for (let i = 0; ; i++) { const s = connect('127.0.0.1:' + port()); s.opened.catch(() => {}); s.closed.catch(() => {}); if (i % 64 === 0) await new Promise((r) => setTimeout(r, 0)) }`,
    expect: [MEM, TIMEOUT],
    withinMs: 20_000,
  },
  {
    id: 'ec-keys-kept',
    why: 'about 27,000 P-256 key pairs fill 32 MB; at 150-300 µs each (RustCrypto p256 keygen) that takes 4-8 s alone, more than the 10 s a memory case is given on a loaded CI machine',
    options: { ...SWELL, executionTimeout: 40_000 },
    withinMs: 40_000,
    script: `const keep = []; for (;;) keep.push(await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']))`,
    expect: MEM,
  },
  {
    id: 'ec-signing-keys-kept',
    why: "a private key that has signed also holds ring's form of it (asym::sign_fast), outside the JS heap: charged with the key, so kept keys still end in MemoryLimitError; keygen at 150-300 µs each makes this slow on a loaded machine, as for ec-keys-kept",
    options: { ...SWELL, executionTimeout: 40_000 },
    withinMs: 40_000,
    script: `const keep = []; const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }; const data = new Uint8Array(8); for (;;) { const { privateKey } = await crypto.subtle.generateKey(alg, false, ['sign']); await crypto.subtle.sign(alg, privateKey, data); keep.push(privateKey) }`,
    expect: MEM,
  },
  {
    id: 'wasm-modules-compiled-kept',
    why: 'compiled code lives outside the JS heap: modules kept past 4 × memoryLimitMB (4 × their size each) make new WebAssembly.Module throw the RangeError the README documents (what the JS API does when it cannot allocate) and the runtime goes on; MemoryLimitError if the JS heap holding the instances trips first',
    options: SWELL,
    wasm: true,
    script: `${WASM_BUILDER}; const keep = []; for (let i = 0; ; i++) { const inst = new WebAssembly.Instance(new WebAssembly.Module(wasmModule(50000, i))); inst.exports.f(); keep.push(inst) }`,
    expect: [MEM, { error: 'RangeError', message: /^WebAssembly module of \d+ bytes exceeds memoryLimitMB \(32 MB\)$/ }],
  },
  {
    id: 'wasm-memories-kept',
    why: 'past the 4 × limit wasm bound: refused (RangeError) or the limit trips',
    options: SWELL,
    wasm: true,
    script: `const keep = []; for (;;) { const m = new WebAssembly.Memory({ initial: 16, maximum: 256 }); new Uint8Array(m.buffer).fill(1); keep.push(m) }`,
    expect: { error: ['MemoryLimitError', 'RangeError'] },
  },
  {
    id: 'compression-streams-abandoned',
    why: 'native (de)compressor state of dropped streams is freed with them',
    options: SWELL,
    script: `for (let i = 0; i < 2e4; i++) { const cs = new CompressionStream(i % 2 ? 'gzip' : 'deflate'); cs.writable.getWriter().write(new Uint8Array(1024)).catch(() => {}) }; await new Promise((r) => setTimeout(r, 50))`,
    expect: [OK, MEM],
    withinMs: 15_000,
  },
  {
    id: 'decompression-bomb-counted',
    why: '500 KB of gzip inflating to 512 MB, read chunk by chunk and dropped: native output must come in bounded pieces',
    options: { memoryLimitMB: 16, executionTimeout: 15_000 },
    warm: (ctx) => void (ctx.bomb = zlib.gzipSync(Buffer.alloc(512 << 20), { level: 9 })),
    host: (ctx) => ({ customFunctions: { bomb: { type: 'sync', fn: () => new Uint8Array(ctx.bomb) } } }),
    script: `const ds = new DecompressionStream('gzip'); const w = ds.writable.getWriter(); w.write(bomb()); w.close(); let n = 0; for await (const c of ds.readable) n += c.byteLength; report(n)`,
    expect: { resolve: true, reported: [536870912] },
    withinMs: 15_000,
  },
  {
    id: 'decompression-bomb-kept',
    options: { memoryLimitMB: 16, executionTimeout: 15_000 },
    warm: (ctx) => void (ctx.bomb = zlib.gzipSync(Buffer.alloc(512 << 20), { level: 9 })),
    host: (ctx) => ({ customFunctions: { bomb: { type: 'sync', fn: () => new Uint8Array(ctx.bomb) } } }),
    script: `const ds = new DecompressionStream('gzip'); const w = ds.writable.getWriter(); w.write(bomb()); w.close(); const keep = []; for await (const c of ds.readable) keep.push(c)`,
    expect: MEM,
  },
  {
    id: 'serve-ws-send-host-never-listens',
    why: 'ws.send is queued while the host is behind; past memoryLimitMB the limit trips or (README) commands are dropped',
    options: SWELL,
    run: async (ctx) => void (await openWebSocket(ctx, `{ open(ws) { ${MB1}; for (let i = 0; i < 2000; i++) ws.send(mb) } }`, { listen: false })),
    expect: [MEM, { resolve: true }],
  },
  {
    id: 'serve-ws-send-host-busy',
    why: 'the same while the host’s main thread is busy: the limit trips or commands are dropped, host memory bounded',
    options: SWELL,
    run: async (ctx) => {
      const { id } = await openWebSocket(ctx, `{ message(ws) { ${MB1}; for (let i = 0; i < 2000; i++) ws.send(mb) } }`)
      const p = ctx.rt.fetch.dispatchWebSocketMessage(id, 'go')
      const end = Date.now() + 2000
      while (Date.now() < end) {} // the host's main thread is busy
      return p
    },
    expect: [MEM, { resolve: true }],
  },
  {
    id: 'serve-ws-messages-kept',
    options: SWELL,
    run: async (ctx) => {
      const { id } = await openWebSocket(ctx, `{ message(ws, m) { (globalThis.keep ??= []).push(m) } }`)
      const chunk = new Uint8Array(1 << 20)
      for (let i = 0; i < 1000; i++) await ctx.rt.fetch.dispatchWebSocketMessage(id, chunk)
    },
    expect: MEM,
  },
  {
    id: 'console-flood-host-busy',
    why: '1.3 GB of console output while the host’s main thread is busy: delivered later with bounded memory, or refused',
    options: { ...SWELL, executionTimeout: 20_000 },
    host: () => ({ console: { onEntry() {} } }),
    withinMs: 20_000,
    run: async (ctx) => {
      const p = ctx.rt.eval(`const s = 'x'.repeat(1 << 16); for (let i = 0; i < 20000; i++) console.log(s)`)
      const end = Date.now() + 2000
      while (Date.now() < end) {}
      return p
    },
    expect: [OK, MEM],
  },
  {
    id: 'ws-client-send-slow-peer',
    why: 'the native WebSocket client queues sends to a peer that does not read: at min(16 MiB, limit/2) queued it flags the socket full and closes it (error, close 1006; README, WebSocket spec #dom-websocket-send), so memory stays bounded; later sends to the closed socket only add to bufferedAmount, so the endless loop ends at executionTimeout',
    options: SWELL,
    host: nativeWs,
    run: async (ctx) => {
      const { url } = await pausedServer(ctx)
      return ctx.rt.eval(`
        const ws = new WebSocket(${JSON.stringify(url)})
        await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('ws error')) })
        const mb = new Uint8Array(1 << 20)
        for (let i = 0; ; i++) { ws.send(mb); if (i % 16 === 0) await new Promise((r) => setTimeout(r, 0)) }
      `)
    },
    expect: TIMEOUT,
  },
  {
    id: 'ws-client-bridged-host-never-reads',
    why: 'the isolate’s socket bridged to a host `ws` client whose peer does not read: once the host socket holds 16 MiB unsent the isolate’s socket is flagged full and fails (close 1006), as a native one does, so host memory stays bounded; later sends to the closed socket only add to bufferedAmount, so the endless loop ends at executionTimeout',
    options: SWELL,
    host: (ctx) => ({
      webSocket: async (url) => {
        const { WebSocket } = await import('ws')
        const ws = new WebSocket(ctx.pausedUrl)
        ctx.cleanup(() => ws.terminate())
        return ws
      },
    }),
    warm: async (ctx) => void (ctx.pausedUrl = (await pausedServer(ctx)).url),
    script: `
      const ws = new WebSocket('ws://bridged.example/')
      await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('ws error')) })
      const mb = new Uint8Array(1 << 20)
      for (let i = 0; ; i++) { ws.send(mb); if (i % 16 === 0) await new Promise((r) => setTimeout(r, 0)) }
    `,
    expect: TIMEOUT,
  },
  // The File System Access API (src/web/fs/): a writable hands each chunk to the host's handler as
  // it is written (one in flight, charged while it is); a file read from the host is refused past
  // the limit before it is copied.
  {
    id: 'fs-writable-grows',
    why: 'a writable fed 1 MB chunks forever: each goes to the handler as written, the isolate holds one; the handler refuses past 256 MB (QuotaExceededError)',
    options: SWELL,
    host: () => {
      const quota = 256 << 20
      return {
        fs: {
          getFileHandle: async () => {},
          getDirectoryHandle: async () => {},
          removeEntry: async () => {},
          readDirectory: async () => [],
          readFile: async () => ({ data: new Uint8Array() }),
          writeFile: async (_p, data, position) => {
            if (position + data.byteLength > quota) throw new Error('[QuotaExceededError]past 256 MB')
          },
          truncateFile: async () => {},
        },
      }
    },
    script: `
      const root = await getDirectory('/')
      const w = await (await root.getFileHandle('big.bin', { create: true })).createWritable()
      const mb = new Uint8Array(1 << 20)
      for (;;) await w.write(mb)
    `,
    expect: { error: 'QuotaExceededError' },
  },
  {
    id: 'fs-writable-far-seek',
    why: "seek(2^52) then a 1-byte write: the in-memory handler refuses the position (QuotaExceededError), nothing allocated",
    options: SWELL,
    host: (ctx) => ({ fs: ctx.pkg.createInMemoryDirectoryHandler() }),
    script: `
      const root = await getDirectory('/')
      const w = await (await root.getFileHandle('f', { create: true })).createWritable()
      await w.seek(2 ** 52)
      await w.write('x')
    `,
    expect: { error: 'QuotaExceededError' },
  },
  {
    id: 'fs-writes-queued-unawaited',
    why: '1 MB chunks queued each millisecond on a writable whose handler takes 50 ms a chunk: the queue is isolate memory, the limit ends it',
    options: SWELL,
    host: () => ({
      fs: {
        getFileHandle: async () => {},
        getDirectoryHandle: async () => {},
        removeEntry: async () => {},
        readDirectory: async () => [],
        readFile: async () => ({ data: new Uint8Array() }),
        writeFile: () => new Promise((r) => setTimeout(r, 50)),
        truncateFile: async () => {},
      },
    }),
    script: `
      const w = (await (await (await getDirectory('/')).getFileHandle('f')).createWritable()).getWriter()
      for (;;) {
        w.write(new Uint8Array(1 << 20)).catch(() => {})
        await new Promise((r) => setTimeout(r, 1))
      }
    `,
    expect: MEM,
  },
  {
    id: 'fs-host-file-200MB',
    why: 'the host handler returns a 200 MB file (no getFileMetadata to refuse it first) to a 32 MB isolate: refused on the host side',
    options: SWELL,
    warm: (ctx) => void (ctx.big = new Uint8Array(200 << 20).fill(1)),
    peakMB: 4 * 32 + 150 + 200,
    host: (ctx) => ({
      fs: {
        getFileHandle: async () => {},
        getDirectoryHandle: async () => {},
        removeEntry: async () => {},
        readDirectory: async () => [],
        readFile: async () => ({ data: ctx.big }),
        writeFile: async () => {},
      },
    }),
    script: `await (await (await getDirectory('/')).getFileHandle('big')).getFile()`,
    expect: { error: 'RangeError', message: /more than this runtime's memory limit/ },
  },
  { id: 'functions-compiled-kept', why: 'V8 flushes the bytecode of functions that do not run again, so the heap fills at the pace of what flushing leaves: 1.2-9.7 s measured on a loaded machine, past the 10 s memory-case bound at worst', options: { ...SWELL, executionTimeout: 40_000 }, withinMs: 40_000, script: `const keep = []; for (let i = 0; ; i++) { const f = new Function('return ' + i + ' + ' + '1+'.repeat(1000) + '0'); f(); keep.push(f) }`, expect: MEM },
  { id: 'regexps-compiled-kept', options: SWELL, script: `const keep = []; for (let i = 0; ; i++) { const r = new RegExp('(a|b)'.repeat(200) + i); r.test('ab'.repeat(100)); keep.push(r) }`, expect: MEM },
])
