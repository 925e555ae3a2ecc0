// The `path` global and the `cwd` option (issue #14): node:path/posix inside. Expected values are
// the results node:path's documentation gives (https://nodejs.org/api/path.html), written here.
import { describe, expect, it } from 'vitest'
import { errorOf, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

/** Evaluates `expr` inside a runtime and returns its (cloned) value. */
async function inside(expr: string, options: Record<string, unknown> = {}): Promise<any> {
  let got: unknown
  const rt = await createRuntime({ ...options, customFunctions: { put: { type: 'sync', fn: (v: unknown) => void (got = v) } } })
  await rt.eval(`put(${expr})`)
  return got
}

describe('path global', () => {
  it('basename, dirname, extname', async () => {
    expect(
      await inside(`[
        path.basename('/foo/bar/baz/asdf/quux.html'),
        path.basename('/foo/bar/baz/asdf/quux.html', '.html'),
        path.basename('/foo/bar/'),
        path.dirname('/foo/bar/baz/asdf/quux'),
        path.dirname('foo'),
        path.dirname('/'),
        path.extname('index.html'),
        path.extname('index.coffee.md'),
        path.extname('index.'),
        path.extname('index'),
        path.extname('.index'),
        path.extname('.index.md'),
      ]`),
    ).toEqual(['quux.html', 'quux', 'bar', '/foo/bar/baz/asdf', '.', '/', '.html', '.md', '.', '', '', '.md'])
  })

  it('join, normalize, isAbsolute', async () => {
    expect(
      await inside(`[
        path.join('/foo', 'bar', 'baz/asdf', 'quux', '..'),
        path.join(),
        path.join('', ''),
        path.normalize('/foo/bar//baz/asdf/quux/..'),
        path.normalize(''),
        path.normalize('./a/../../b/'),
        path.isAbsolute('/foo/bar'),
        path.isAbsolute('/baz/..'),
        path.isAbsolute('qux/'),
        path.isAbsolute('.'),
      ]`),
    ).toEqual(['/foo/bar/baz/asdf', '.', '.', '/foo/bar/baz/asdf', '.', '../b/', true, true, false, false])
  })

  it('parse and format', async () => {
    expect(await inside(`path.parse('/home/user/dir/file.txt')`)).toEqual({ root: '/', dir: '/home/user/dir', base: 'file.txt', ext: '.txt', name: 'file' })
    expect(await inside(`path.parse('')`)).toEqual({ root: '', dir: '', base: '', ext: '', name: '' })
    expect(
      await inside(`[
        path.format({ root: '/ignored', dir: '/home/user/dir', base: 'file.txt' }),
        path.format({ root: '/', base: 'file.txt', ext: 'ignored' }),
        path.format({ root: '/', name: 'file', ext: '.txt' }),
        path.format({ root: '/', name: 'file', ext: 'txt' }),
      ]`),
    ).toEqual(['/home/user/dir/file.txt', '/file.txt', '/file.txt', '/file.txt'])
  })

  it('relative', async () => {
    expect(
      await inside(`[
        path.relative('/data/orandea/test/aaa', '/data/orandea/impl/bbb'),
        path.relative('/a/b', '/a/b'),
        path.relative('/a', '/a/b/c'),
        path.relative('/a/b/c', '/a'),
        path.relative('/', '/x'),
      ]`),
    ).toEqual(['../../impl/bbb', '', 'b/c', '../..', 'x'])
  })

  it('resolve starts from "/" by default', async () => {
    expect(
      await inside(`[path.resolve('/foo/bar', './baz'), path.resolve('/foo/bar', '/tmp/file/'), path.resolve('a', 'b'), path.resolve()]`),
    ).toEqual(['/foo/bar/baz', '/tmp/file', '/a/b', '/'])
  })

  it('resolve and relative start from the cwd option', async () => {
    const cwd = { cwd: '/home/myself/node' }
    expect(await inside(`path.resolve('wwwroot', 'static_files/png/', '../gif/image.gif')`, cwd)).toBe('/home/myself/node/wwwroot/static_files/gif/image.gif')
    expect(await inside(`[path.resolve(), path.relative('a', '/home/x')]`, cwd)).toEqual(['/home/myself/node', '../../../x'])
  })

  it('sep, delimiter, posix, toNamespacedPath', async () => {
    expect(await inside(`[path.sep, path.delimiter, path.posix === path, path.toNamespacedPath('/a/b'), 'foo/bar/baz'.split(path.sep)]`)).toEqual([
      '/',
      ':',
      true,
      '/a/b',
      ['foo', 'bar', 'baz'],
    ])
  })

  it('non-string arguments throw TypeError ERR_INVALID_ARG_TYPE, as Node does', async () => {
    expect(
      await inside(`(() => {
        const out = []
        for (const f of [() => path.join('foo', {}, 'bar'), () => path.basename(1), () => path.format(null), () => path.resolve(undefined)]) {
          try { f(); out.push('no throw') } catch (e) { out.push([e.name, e.code, e.message]) }
        }
        return out
      })()`),
    ).toEqual([
      ['TypeError', 'ERR_INVALID_ARG_TYPE', 'The "path" argument must be of type string. Received an instance of Object'],
      ['TypeError', 'ERR_INVALID_ARG_TYPE', 'The "path" argument must be of type string. Received type number (1)'],
      ['TypeError', 'ERR_INVALID_ARG_TYPE', 'The "pathObject" argument must be of type object. Received null'],
      ['TypeError', 'ERR_INVALID_ARG_TYPE', 'The "paths[0]" argument must be of type string. Received undefined'],
    ])
  })

  it('a script replacing the path functions or String.prototype methods changes only its own calls', async () => {
    expect(
      await inside(`(() => {
        String.prototype.slice = () => 'patched'
        String.prototype.charCodeAt = () => 47
        String.prototype.lastIndexOf = () => 0
        return [path.join('/a', 'b/../c'), path.parse('/x/y.z').name]
      })()`),
    ).toEqual(['/a/c', 'y'])
  })
})

describe('cwd option', () => {
  it('must be an absolute POSIX path', async () => {
    const e1 = await errorOf(() => createRuntime({ cwd: 'app' } as any))
    expect(e1).toBeInstanceOf(TypeError)
    expect(e1.message).toBe(`createRuntime(options): cwd must be an absolute POSIX path such as '/app' (got "app")`)
    const e2 = await errorOf(() => createRuntime({ cwd: 7 } as any))
    expect(e2.message).toBe(`createRuntime(options): cwd must be an absolute POSIX path such as '/app' (got number)`)
  })
})
