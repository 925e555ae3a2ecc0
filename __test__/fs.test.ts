// The `fs` option and the File System Access API inside (issue #14, https://fs.spec.whatwg.org/):
// getDirectory(path), FileSystemDirectoryHandle / FileSystemFileHandle /
// FileSystemWritableFileStream, every operation a call of the host's handler; the ready handlers
// createNodeDirectoryHandler (confined to its directory) and createInMemoryDirectoryHandler.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, realpathSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInMemoryDirectoryHandler, createNodeDirectoryHandler } from '../index.js'
import { errorOf, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

/** Runs `body` (an async function body) inside a runtime with `options`; returns what it returned. */
async function inside(body: string, options: Record<string, unknown>): Promise<any> {
  let got: unknown
  const rt = await createRuntime({ ...options, customFunctions: { put: { type: 'sync', fn: (v: unknown) => void (got = v) } } })
  await rt.eval(`put(await (async () => { ${body} })())`)
  return got
}
/** `[name, isDOMException]` of what `expr` rejects with, inside. */
const failure = (expr: string) =>
  `try { await (${expr}); return 'no error' } catch (e) { return [e.name, e instanceof DOMException, e.message] }`

describe('File System Access API over the in-memory handler', () => {
  it('creates, writes, reads and lists, as the spec describes', async () => {
    const fs = { getDirectory: async () => createInMemoryDirectoryHandler() }
    const got = await inside(
      `
      const root = await getDirectory('/data')
      const dir = await root.getDirectoryHandle('docs', { create: true })
      const fh = await dir.getFileHandle('hello.txt', { create: true })
      const w = await fh.createWritable()
      await w.write('Hello, ')
      await w.write(new TextEncoder().encode('world'))
      await w.write(new Blob(['!']))
      await w.close()
      const file = await fh.getFile()
      const entries = []
      for await (const [name, h] of root.entries()) entries.push([name, h.kind, h instanceof FileSystemDirectoryHandle])
      const keys = []
      for await (const k of dir.keys()) keys.push(k)
      const values = []
      for await (const v of dir.values()) values.push(v.name + ':' + v.kind)
      return {
        root: [root.kind, root.name, Object.prototype.toString.call(root)],
        file: [file instanceof File, file.name, file.size, file.type, typeof file.lastModified, await file.text()],
        handle: [fh.kind, fh.name, fh instanceof FileSystemHandle],
        entries, keys, values,
      }
      `,
      { fs },
    )
    expect(got.root).toEqual(['directory', 'data', '[object FileSystemDirectoryHandle]'])
    expect(got.file).toEqual([true, 'hello.txt', 13, 'text/plain', 'number', 'Hello, world!'])
    expect(got.handle).toEqual(['file', 'hello.txt', true])
    expect(got.entries).toEqual([['docs', 'directory', true]])
    expect(got.keys).toEqual(['hello.txt'])
    expect(got.values).toEqual(['hello.txt:file'])
  })

  it('seek, truncate, WriteParams and keepExistingData; each write reaches the handler as it is made', async () => {
    const mem = createInMemoryDirectoryHandler({ 'f.bin': 'abcdef' })
    const got = await inside(
      `
      const root = await getDirectory('/')
      const fh = await root.getFileHandle('f.bin')
      const w = await fh.createWritable({ keepExistingData: true })
      await w.seek(2)
      await w.write('XY')
      await w.write({ type: 'write', position: 8, data: new Uint8Array([33]) })
      const before = Array.from(new Uint8Array(await (await fh.getFile()).arrayBuffer()))
      await w.write({ type: 'truncate', size: 7 })
      await w.write({ type: 'seek', position: 0 })
      await w.write('_')
      await w.close()
      const after = new Uint8Array(await (await fh.getFile()).arrayBuffer())
      const fresh = await fh.createWritable()
      const emptied = (await fh.getFile()).size
      await fresh.write('new')
      await fresh.truncate(5)
      await fresh.close()
      const replaced = new Uint8Array(await (await fh.getFile()).arrayBuffer())
      const aborted = await fh.createWritable()
      await aborted.write('lost')
      await aborted.abort()
      const kept = await (await fh.getFile()).text()
      return { before, after: Array.from(after), emptied, replaced: Array.from(replaced), kept, isStream: w instanceof WritableStream && w instanceof FileSystemWritableFileStream }
      `,
      { fs: { getDirectory: async () => mem } },
    )
    // 'abXYef', then 0 at 6 and 7 and '!' at 8, before close().
    expect(got.before).toEqual([97, 98, 88, 89, 101, 102, 0, 0, 33])
    // Truncated to 7, '_' at 0.
    expect(got.after).toEqual([95, 98, 88, 89, 101, 102, 0])
    // createWritable() without keepExistingData empties the file at once.
    expect(got.emptied).toBe(0)
    expect(got.replaced).toEqual([110, 101, 119, 0, 0])
    // No swap file: abort() cannot take back what was written.
    expect(got.kept).toBe('lost')
    expect(got.isStream).toBe(true)
    const r = await mem.readFile('/f.bin')
    expect(new TextDecoder().decode(r.data)).toBe('lost')
  })

  it('the handler gets each chunk at its position as it is written, one chunk in flight at a time', async () => {
    const log: string[] = []
    let inFlight = 0
    let most = 0
    const handler = {
      async getFileHandle() {},
      async getDirectoryHandle() {},
      async removeEntry() {},
      async readDirectory() {
        return []
      },
      async readFile() {
        return { data: new Uint8Array(), size: 0, lastModified: 0, type: '' }
      },
      async writeFile(path: string, data: Uint8Array, position?: number) {
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise((r) => setTimeout(r, 5))
        log.push(`write ${path} ${new TextDecoder().decode(data)} @${position}`)
        inFlight--
      },
      async truncateFile(path: string, size: number) {
        log.push(`truncate ${path} ${size}`)
      },
    }
    const got = await inside(
      `
      const fh = await (await getDirectory('/')).getFileHandle('up.txt', { create: true })
      const w = await fh.createWritable()
      const writer = w.getWriter()
      // Not awaited one by one: the stream queues them and hands them over one at a time.
      const all = [writer.write('aa'), writer.write('bbb'), writer.write({ type: 'write', position: 10, data: 'c' }), writer.write('d')]
      await Promise.all(all)
      await writer.write({ type: 'truncate', size: 4 })
      await writer.close()
      const piped = await fh.createWritable()
      await new ReadableStream({ start(c) { c.enqueue('x'); c.enqueue('yz'); c.close() } }).pipeTo(piped)
      return 'done'
      `,
      { fs: { getDirectory: async () => handler } },
    )
    expect(got).toBe('done')
    expect(log).toEqual([
      'truncate /up.txt 0',
      'write /up.txt aa @0',
      'write /up.txt bbb @2',
      'write /up.txt c @10',
      'write /up.txt d @11',
      'truncate /up.txt 4',
      'truncate /up.txt 0',
      'write /up.txt x @0',
      'write /up.txt yz @1',
    ])
    expect(most).toBe(1)
  })

  it('removeEntry, recursive and not; isSameEntry and resolve', async () => {
    const mem = createInMemoryDirectoryHandler({ 'a/b/c.txt': 'x', 'top.txt': 'y' })
    const got = await inside(
      `
      const root = await getDirectory('/')
      const a = await root.getDirectoryHandle('a')
      const b = await a.getDirectoryHandle('b')
      const c = await b.getFileHandle('c.txt')
      const again = await (await (await root.getDirectoryHandle('a')).getDirectoryHandle('b')).getFileHandle('c.txt')
      const out = {
        same: [await c.isSameEntry(again), await c.isSameEntry(b), await root.isSameEntry(await getDirectory('/'))],
        resolve: [await root.resolve(c), await a.resolve(b), await b.resolve(root), await root.resolve(root)],
      }
      ${''}
      try { await root.removeEntry('a') } catch (e) { out.notEmpty = [e.name, e instanceof DOMException] }
      await root.removeEntry('top.txt')
      await root.removeEntry('a', { recursive: true })
      try { await root.removeEntry('a') } catch (e) { out.gone = e.name }
      out.left = []
      for await (const k of root.keys()) out.left.push(k)
      return out
      `,
      { fs: { getDirectory: async () => mem } },
    )
    expect(got.same).toEqual([true, false, true])
    expect(got.resolve).toEqual([['a', 'b', 'c.txt'], ['b'], null, []])
    expect(got.notEmpty).toEqual(['InvalidModificationError', true])
    expect(got.gone).toBe('NotFoundError')
    expect(got.left).toEqual([])
  })

  it("errors carry the spec's DOMException names", async () => {
    const mem = createInMemoryDirectoryHandler({ 'file.txt': 'x', 'dir/inner.txt': 'y' })
    const opts = { fs: { getDirectory: async () => mem } }
    const run = (expr: string) => inside(`const root = await getDirectory('/'); ${failure(expr)}`, opts)
    expect((await run(`root.getFileHandle('missing.txt')`)).slice(0, 2)).toEqual(['NotFoundError', true])
    expect((await run(`root.getDirectoryHandle('missing')`)).slice(0, 2)).toEqual(['NotFoundError', true])
    expect((await run(`root.getFileHandle('dir')`)).slice(0, 2)).toEqual(['TypeMismatchError', true])
    expect((await run(`root.getDirectoryHandle('file.txt')`)).slice(0, 2)).toEqual(['TypeMismatchError', true])
    expect((await run(`root.removeEntry('dir')`)).slice(0, 2)).toEqual(['InvalidModificationError', true])
    expect((await run(`root.getFileHandle('tmp.txt', { create: true }).then(async (h) => { await root.removeEntry('tmp.txt'); return h.getFile() })`)).slice(0, 2)).toEqual(['NotFoundError', true])
    // Invalid names are TypeErrors (https://fs.spec.whatwg.org/#valid-file-name), before any host call.
    for (const name of ["''", "'.'", "'..'", "'a/b'", "'a\\\\b'", "'a\\0b'", "'x'.repeat(300)"]) {
      const [n, isDom] = await run(`root.getFileHandle(${name}, { create: true })`)
      expect([name, n, isDom]).toEqual([name, 'TypeError', false])
    }
    expect((await run(`root.removeEntry('..', { recursive: true })`))[0]).toBe('TypeError')
    expect((await run(`FileSystemDirectoryHandle.prototype.getFileHandle.call({}, 'x')`))[0]).toBe('TypeError')
    expect((await run(`new FileSystemFileHandle()`))[0]).toBe('TypeError')
    expect((await run(`root.getFileHandle('file.txt').then((h) => h.createWritable()).then((w) => w.write({ type: 'seek' }))`)).slice(0, 2)).toEqual(['SyntaxError', true])
    expect((await run(`root.getFileHandle('file.txt').then((h) => h.createWritable()).then((w) => w.write({ type: 'write', position: -1, data: 'x' }))`))[0]).toBe('TypeError')
    // A write the memory limit cannot hold: QuotaExceededError before anything is allocated; the runtime lives on.
    expect((await run(`root.getFileHandle('file.txt').then((h) => h.createWritable()).then(async (w) => { await w.seek(2 ** 52); return w.write('x') })`)).slice(0, 2)).toEqual(['QuotaExceededError', true])
    // A closed writable refuses more writes (the WritableStream's own TypeError).
    expect((await run(`root.getFileHandle('file.txt').then((h) => h.createWritable()).then(async (w) => { await w.close(); return w.write('x') })`))[0]).toBe('TypeError')
    // Nothing was created by the refused names.
    expect((await mem.readDirectory('/')).map((e) => e.name).sort()).toEqual(['dir', 'file.txt'])
  })

  it('getDirectory(path) normalizes the path it gives the host: absolute, ".." stops at "/"', async () => {
    const asked: string[] = []
    const mem = createInMemoryDirectoryHandler()
    const names = await inside(
      `return [(await getDirectory('/a/./b/../c')).name, (await getDirectory('../../..')).name, (await getDirectory('x//y/')).name]`,
      { fs: { getDirectory: async (p: string) => (asked.push(p), mem) } },
    )
    expect(names).toEqual(['c', '', 'y'])
    expect(asked).toEqual(['/a/c', '/', '/x/y'])
  })
})

describe('the fs option', () => {
  it('without it, getDirectory is not defined (the handle classes are)', async () => {
    expect(await inside(`return [typeof getDirectory, typeof FileSystemDirectoryHandle, typeof FileSystemWritableFileStream]`, {})).toEqual([
      'undefined',
      'function',
      'function',
    ])
  })

  it('refuses values that are not a handler or { getDirectory }', async () => {
    for (const fs of [42, 'dir', { getDirectory: 1 }, { readFile() {} }]) {
      const e = await errorOf(() => createRuntime({ fs } as any))
      expect(e).toBeInstanceOf(TypeError)
      expect(e.message).toMatch(/fs must be \{ getDirectory\(path\) \} returning a directory handler, or a directory handler such as createNodeDirectoryHandler\(rootDir\)/)
    }
  })

  it('a handler given directly serves getDirectory(path) from its directory path', async () => {
    const mem = createInMemoryDirectoryHandler({ 'site/index.html': '<p>hi</p>' })
    const got = await inside(
      `
      const site = await getDirectory('/site')
      const f = await (await site.getFileHandle('index.html')).getFile()
      let missing
      try { await getDirectory('/nope') } catch (e) { missing = e.name }
      return [f.type, await f.text(), missing]
      `,
      { fs: mem },
    )
    expect(got).toEqual(['text/html', '<p>hi</p>', 'NotFoundError'])
  })

  it("a user-written handler of async functions (@ricsam/isolate-fs's interface) decides what exists", async () => {
    const files = new Map<string, Uint8Array>([['/readme.md', new TextEncoder().encode('# hi')]])
    const calls: string[] = []
    const handler = {
      async getFileHandle(path: string, o?: { create?: boolean }) {
        calls.push(`getFileHandle ${path} ${!!o?.create}`)
        if (!files.has(path)) {
          if (!o?.create) throw new Error(`[NotFoundError]no ${path} here`)
          files.set(path, new Uint8Array())
        }
      },
      async getDirectoryHandle(path: string) {
        if (path !== '/') throw new Error('[NotFoundError]flat')
      },
      async removeEntry(path: string) {
        if (!files.delete(path)) throw new Error('[NotFoundError]gone')
      },
      async readDirectory() {
        return [...files.keys()].map((k) => ({ name: k.slice(1), kind: 'file' as const }))
      },
      async readFile(path: string) {
        const data = files.get(path)
        if (!data) throw new Error('[NotFoundError]gone')
        return { data, size: data.length, lastModified: 1700000000000, type: 'text/markdown' }
      },
      async writeFile(path: string, data: Uint8Array, position?: number) {
        calls.push(`writeFile ${path} ${data.length} @${position}`)
        files.set(path, data)
      },
      async truncateFile() {},
      async getFileMetadata(path: string) {
        return { size: files.get(path)?.length ?? 0, lastModified: 0, type: '' }
      },
    }
    const got = await inside(
      `
      const root = await getDirectory('/')
      const f = await (await root.getFileHandle('readme.md')).getFile()
      const n = await root.getFileHandle('new.txt', { create: true })
      const w = await n.createWritable()
      await w.write('abc')
      await w.close()
      let custom
      try { await root.getDirectoryHandle('sub') } catch (e) { custom = [e.name, e.message] }
      const names = []
      for await (const k of root.keys()) names.push(k)
      return [f.name, f.type, f.lastModified, await f.text(), names, custom]
      `,
      { fs: { getDirectory: async () => handler } },
    )
    expect(got).toEqual(['readme.md', 'text/markdown', 1700000000000, '# hi', ['readme.md', 'new.txt'], ['NotFoundError', 'flat']])
    expect(new TextDecoder().decode(files.get('/new.txt'))).toBe('abc')
    expect(calls).toContain('getFileHandle /new.txt true')
    expect(calls).toContain('writeFile /new.txt 3 @0')
  })

  it('a handler error without a known name arrives as a plain Error with its message', async () => {
    const mem = createInMemoryDirectoryHandler()
    const handler = Object.assign(Object.create(null), {
      getFileHandle: async () => {
        throw new Error('disk on fire')
      },
      getDirectoryHandle: () => mem.getDirectoryHandle('/'),
      removeEntry: async () => {},
      readDirectory: async () => [],
      readFile: async () => ({ data: new Uint8Array() }),
      writeFile: async () => {},
    })
    const got = await inside(failure(`getDirectory('/').then((r) => r.getFileHandle('x'))`), { fs: handler })
    expect(got).toEqual(['Error', false, 'disk on fire'])
  })

  it('getFile() of a file larger than the memory limit is refused before it is read', async () => {
    let read = false
    const handler = {
      getFileHandle: async () => {},
      getDirectoryHandle: async () => {},
      removeEntry: async () => {},
      readDirectory: async () => [],
      readFile: async () => {
        read = true
        return { data: new Uint8Array(1) }
      },
      writeFile: async () => {},
      getFileMetadata: async () => ({ size: 64 * 1024 * 1024 + 1 }),
    }
    const got = await inside(failure(`getDirectory('/').then((r) => r.getFileHandle('huge.bin')).then((h) => h.getFile())`), {
      memoryLimitMB: 64,
      fs: handler,
    })
    expect(got[0]).toBe('RangeError')
    expect(got[2]).toMatch(/'huge\.bin' is 67108865 bytes, more than this runtime's memory limit \(64 MB\)/)
    expect(read).toBe(false)
  })
})

describe('the fs API against hostile scripts', () => {
  it('works with built-ins patched by the script', async () => {
    const mem = createInMemoryDirectoryHandler()
    const got = await inside(
      `
      const root = await getDirectory('/')
      WritableStream.prototype.getWriter = () => { throw new Error('patched getWriter') }
      WritableStreamDefaultWriter.prototype.write = () => { throw new Error('patched write') }
      Array.prototype[Symbol.iterator] = function* () { throw new Error('patched iterator') }
      Object.defineProperty(Uint8Array.prototype, 'length', { get() { return 0 } })
      const f = await root.getFileHandle('t.txt', { create: true })
      const w = await f.createWritable()
      await w.write('patched?')
      await w.close()
      const text = await (await f.getFile()).text()
      return text
      `,
      { fs: mem },
    )
    expect(got).toBe('patched?')
  })

  it('the host function behind getDirectory is no global; a custom function named fs still is', async () => {
    const rt = await createRuntime({
      fs: createInMemoryDirectoryHandler(),
      customFunctions: { fs: { type: 'sync', fn: () => 'mine' }, put: { type: 'sync', fn: (v: unknown) => void (got = v) } },
    })
    let got: unknown
    await rt.eval(`put([fs(), typeof getDirectory, Object.getOwnPropertyNames(globalThis).filter((k) => /^fs$|^__/.test(k))])`)
    expect(got).toEqual(['mine', 'function', ['fs']])
  })

  it('a file larger than memoryLimitMB is written in chunks: only the chunk in flight is held', async () => {
    const mem = createInMemoryDirectoryHandler({ 'f.bin': '' })
    const rt = await createRuntime({ memoryLimitMB: 16, fs: mem })
    await rt.eval(`
      const w = await (await (await getDirectory('/')).getFileHandle('f.bin')).createWritable()
      const mb = new Uint8Array(1 << 20)
      for (let i = 0; i < 40; i++) {
        mb.fill(i)
        await w.write(mb)
      }
      await w.close()
    `)
    const r = await mem.readFile('/f.bin')
    expect(r.data.length).toBe(40 << 20)
    expect([r.data[0], r.data[(1 << 20) + 1], r.data[(40 << 20) - 1]]).toEqual([0, 1, 39])
  })

  it('chunks queued without waiting are charged against memoryLimitMB: past it the runtime ends, the host untouched', async () => {
    const mem = createInMemoryDirectoryHandler({ 'f.bin': '' })
    const rt = await createRuntime({ memoryLimitMB: 16, fs: mem })
    const e = await errorOf(() =>
      rt.eval(`
        const w = (await (await (await getDirectory('/')).getFileHandle('f.bin')).createWritable()).getWriter()
        const queued = []
        for (let i = 0; i < 64; i++) queued.push(w.write(new Uint8Array(1 << 20)))
        await Promise.all(queued)
      `),
    )
    expect(['QuotaExceededError', 'MemoryLimitError']).toContain(e.name)
    expect((await mem.getFileMetadata('/f.bin')).size).toBeLessThan(64 << 20)
  })
})

describe('createNodeDirectoryHandler', () => {
  let dir: string
  let root: string
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'edge-isolate-fs-')))
    root = join(dir, 'root')
    mkdirSync(join(root, 'sub'), { recursive: true })
    writeFileSync(join(root, 'sub', 'a.json'), '{"a":1}')
    writeFileSync(join(dir, 'secret.txt'), 'secret')
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('reads and writes the real directory', async () => {
    const got = await inside(
      `
      const root = await getDirectory('/')
      const sub = await root.getDirectoryHandle('sub')
      const a = await (await sub.getFileHandle('a.json')).getFile()
      const out = await root.getFileHandle('out.txt', { create: true })
      const w = await out.createWritable()
      await w.write('written')
      await w.close()
      await (await root.getDirectoryHandle('made', { create: true })).getFileHandle('x', { create: true })
      const names = []
      for await (const [n, h] of root) names.push(n + ':' + h.kind)
      await sub.removeEntry('a.json')
      return [a.name, a.type, a.size, await a.text(), a.lastModified > 1.6e12, names.sort()]
      `,
      { fs: { getDirectory: async () => createNodeDirectoryHandler(root) } },
    )
    expect(got).toEqual(['a.json', 'application/json', 7, '{"a":1}', true, ['made:directory', 'out.txt:file', 'sub:directory']])
    expect(readFileSync(join(root, 'out.txt'), 'utf8')).toBe('written')
    expect(existsSync(join(root, 'made', 'x'))).toBe(true)
    expect(existsSync(join(root, 'sub', 'a.json'))).toBe(false)
  })

  it('refuses paths that escape its root: "..", absolute paths, symlinks out', async () => {
    symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'))
    symlinkSync(dir, join(root, 'up'))
    symlinkSync(join(dir, 'made-outside'), join(root, 'dangling'))
    const h = createNodeDirectoryHandler(root)
    // Straight at the handler, as host code could call it.
    for (const p of ['/../secret.txt', '../secret.txt', '/sub/../../secret.txt', '//secret.txt', '']) {
      const e = await errorOf(() => h.readFile(p))
      expect([p, e.message]).toEqual([p, expect.stringMatching(/^\[TypeError\]invalid path/)])
    }
    // An absolute host path is a path below the root, like any other.
    expect((await errorOf(() => h.readFile(join(dir, 'secret.txt')))).message).toMatch(/^\[NotFoundError\]/)
    expect((await errorOf(() => h.readFile('/link.txt'))).message).toMatch(/^\[NotAllowedError\]/)
    expect((await errorOf(() => h.readFile('/up/secret.txt'))).message).toMatch(/^\[NotAllowedError\]/)
    expect((await errorOf(() => h.getFileHandle('/up/new.txt', { create: true }))).message).toMatch(/^\[NotAllowedError\]/)
    expect((await errorOf(() => h.getFileHandle('/dangling', { create: true }))).message).toMatch(/^\[NotAllowedError\]/)
    expect((await errorOf(() => h.writeFile('/link.txt', new Uint8Array([1])))).message).toMatch(/^\[NotAllowedError\]/)
    // From inside the isolate.
    const got = await inside(
      `
      const root = await getDirectory('/')
      const out = {}
      try { await root.getFileHandle('link.txt') } catch (e) { out.link = e.name }
      try { await (await root.getDirectoryHandle('up')).getFileHandle('secret.txt') } catch (e) { out.up = e.name }
      try { await root.getFileHandle('dangling', { create: true }) } catch (e) { out.dangling = e.name }
      try { await root.getFileHandle('../secret.txt') } catch (e) { out.dotdot = e.name }
      out.names = []
      for await (const k of root.keys()) out.names.push(k)
      const top = await getDirectory('/../../..')
      out.top = []
      for await (const k of top.keys()) out.top.push(k)
      return out
      `,
      { fs: h },
    )
    expect(got.link).toBe('NotAllowedError')
    expect(got.up).toBe('NotAllowedError')
    expect(got.dangling).toBe('NotAllowedError')
    expect(got.dotdot).toBe('TypeError')
    // Symlinks out of the root are not listed.
    expect(got.names.sort()).toEqual(['sub'])
    expect(got.top.sort()).toEqual(['sub'])
    expect(readFileSync(join(dir, 'secret.txt'), 'utf8')).toBe('secret')
    expect(existsSync(join(dir, 'made-outside'))).toBe(false)
  })

  it('a file cannot grow past maxFileBytes (default 1 GiB): a huge truncate or far write rejects with QuotaExceededError and leaves no file of that size', async () => {
    writeFileSync(join(root, 'f.bin'), 'abc')
    const got = await inside(
      `
      const root = await getDirectory('/')
      const out = []
      const w = await (await root.getFileHandle('f.bin')).createWritable({ keepExistingData: true })
      for (const p of [{ type: 'truncate', size: 2 ** 40 }, { type: 'write', position: 2 ** 40, data: 'x' }, { type: 'write', position: 2 ** 30, data: 'x' }]) {
        try { await w.write(p); out.push('written') } catch (e) { out.push(e.name + ': ' + e.message) }
      }
      return out
      `,
      { fs: { getDirectory: async () => createNodeDirectoryHandler(root) } },
    )
    expect(got).toEqual(Array(3).fill(expect.stringMatching(/^QuotaExceededError: .*maxFileBytes \(1073741824 bytes\)/)))
    expect(statSync(join(root, 'f.bin')).size).toBe(3)
    // A smaller cap, straight at the handler.
    const h = createNodeDirectoryHandler(root, { maxFileBytes: 4 })
    await h.writeFile('/f.bin', new Uint8Array([1, 2]), 2)
    expect((await errorOf(() => h.writeFile('/f.bin', new Uint8Array([1, 2]), 3))).message).toMatch(/^\[QuotaExceededError\]/)
    expect((await errorOf(() => h.truncateFile('/f.bin', 5))).message).toMatch(/^\[QuotaExceededError\]/)
    expect(statSync(join(root, 'f.bin')).size).toBe(4)
    expect(() => createNodeDirectoryHandler(root, { maxFileBytes: -1 })).toThrow(/maxFileBytes must be a non-negative integer/)
  })

  it('refuses a root that does not exist or is not a directory', () => {
    expect(() => createNodeDirectoryHandler(join(dir, 'missing'))).toThrow(/cannot open/)
    expect(() => createNodeDirectoryHandler(join(dir, 'secret.txt'))).toThrow(/is not a directory/)
  })
})
