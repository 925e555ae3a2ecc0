/* Types for code that runs INSIDE an edge-isolate runtime: what the isolate has beyond the Web
   platform of lib.dom / lib.webworker (fetch, streams, URL, crypto, WebSocket… come from those).

     /// <reference types="edge-isolate/globals" />      (or "types": ["edge-isolate/globals"])

   Host functions passed as `customFunctions` become globals inside; `SandboxGlobals` turns the
   host's object into their inside types:

     import type { SandboxGlobals } from 'edge-isolate/globals'
     import type { customFunctions } from './host.js'   // const customFunctions = { … } satisfies Record<string, CustomFunction>
     type Host = SandboxGlobals<typeof customFunctions>
     declare global {
       const getUser: Host['getUser']
     }
*/
import type { CustomFunction } from './index.js'

/** What a value the host returns (or yields) is inside: a function returns a Promise (each call
 * a host round trip), a Promise is a Promise of the inside value, an async iterable is an
 * AsyncGenerator; URL, Headers, Blob, File, FormData, Request, Response and the structured-clone
 * values stay what they are; an object's properties map the same way. */
export type SandboxValue<T> = T extends (...args: infer A) => infer R
  ? (...args: A) => Promise<SandboxValue<Awaited<R>>>
  : T extends PromiseLike<infer V>
    ? Promise<SandboxValue<V>>
    : T extends URL | Headers | Blob | FormData | Request | Response | Date | RegExp | Error | ArrayBuffer | ArrayBufferView | Map<unknown, unknown> | Set<unknown>
      ? T
      : T extends AsyncIterable<infer V>
        ? AsyncGenerator<SandboxValue<V>, void, undefined>
        : T extends object
          ? { [K in keyof T]: SandboxValue<T[K]> }
          : T

/** The inside signature of one custom function: `sync` keeps its signature, `async` returns a
 * Promise, `asyncIterator` returns an AsyncGenerator; results map as {@link SandboxValue}. */
export type SandboxFunction<F> = F extends { type: 'sync'; fn: (...args: infer A) => infer R }
  ? (...args: A) => SandboxValue<R>
  : F extends { type: 'async'; fn: (...args: infer A) => infer R }
    ? (...args: A) => Promise<SandboxValue<Awaited<R>>>
    : F extends { type: 'asyncIterator'; fn: (...args: infer A) => AsyncIterable<infer T> | AsyncIterator<infer T> }
      ? (...args: A) => AsyncGenerator<SandboxValue<T>, void, undefined>
      : never

/** The globals a host's `customFunctions` object gives the code inside, by name. */
export type SandboxGlobals<T extends Record<string, CustomFunction>> = {
  readonly [K in keyof T]: SandboxFunction<T[K]>
}

/** The server WebSocket handed to `websocket` handlers (Bun's ServerWebSocket API, as far as it
 * exists here). `T` is the `data` given to `server.upgrade()`. */
export interface ServerWebSocket<T = undefined> {
  /** What `server.upgrade(request, { data })` attached. */
  data: T
  /** 1 OPEN, 2 CLOSING, 3 CLOSED. */
  readonly readyState: 1 | 2 | 3
  /** Always '' (the host owns the socket). */
  readonly remoteAddress: string
  /** Strings go out as text frames, bytes as binary. Returns the bytes handed to the host, 0 once
   * the socket is closed, -1 when the host is behind (queued; `drain` runs once it catches up). */
  send(message: string | ArrayBuffer | ArrayBufferView): number
  sendText(message: string): number
  sendBinary(message: ArrayBuffer | ArrayBufferView | string): number
  /** Code 1000 by default; 1000–1014 (but 1004–1006) or 3000–4999, else a RangeError. The reason
   * is at most 123 bytes of UTF-8. */
  close(code?: number, reason?: string): void
  /** Closes without a handshake: the host sees code 1006. */
  terminate(): void
}

export interface WebSocketHandler<T = undefined> {
  open?(ws: ServerWebSocket<T>): void | Promise<void>
  /** Text frames arrive as strings, binary frames as ArrayBuffer. */
  message?(ws: ServerWebSocket<T>, message: string | ArrayBuffer): void | Promise<void>
  close?(ws: ServerWebSocket<T>, code: number, reason: string): void | Promise<void>
  /** `error` is the (structured-cloned) value the host passed to dispatchWebSocketError. */
  error?(ws: ServerWebSocket<T>, error: unknown): void | Promise<void>
  /** The host caught up after `send` returned -1. */
  drain?(ws: ServerWebSocket<T>): void
}

/** The second argument of the `fetch` handler. */
export interface Server<T = undefined> {
  /** Marks `request` (the one passed to `fetch`) for a WebSocket upgrade; false when it has no
   * `upgrade: websocket` header. Return `new Response(null, { status: 101 })` after it. */
  upgrade(request: Request, options?: { data?: T; headers?: HeadersInit }): boolean
}

export interface ServeOptions<T = undefined> {
  /** Answers every `runtime.fetch.dispatchRequest()` of the host. */
  fetch(this: ServeOptions<T>, request: Request, server: Server<T>): Response | Promise<Response>
  websocket?: WebSocketHandler<T>
}

/** What `path.parse()` returns and `path.format()` takes. */
export interface ParsedPath {
  root: string
  dir: string
  base: string
  ext: string
  name: string
}

/** The `path` global: node:path/posix; `resolve()` starts from createRuntime's `cwd` (default '/'). */
export interface PosixPath {
  resolve(...paths: string[]): string
  normalize(path: string): string
  isAbsolute(path: string): boolean
  join(...paths: string[]): string
  relative(from: string, to: string): string
  dirname(path: string): string
  basename(path: string, suffix?: string): string
  extname(path: string): string
  format(pathObject: Partial<ParsedPath>): string
  parse(path: string): ParsedPath
  toNamespacedPath(path: string): string
  readonly sep: '/'
  readonly delimiter: ':'
  readonly posix: PosixPath
}

declare global {
  /** POSIX path functions, as node:path/posix. */
  var path: PosixPath
  /** Registers the handler the host reaches with `runtime.fetch.dispatchRequest()` and the
   * `dispatchWebSocket*` methods (Bun's `serve()`; a later call replaces it). */
  function serve<T = undefined>(options: ServeOptions<T>): Server<T>
  /** The directory `path` of the host's `fs` option (File System Access API handles as in lib.dom);
   * defined only when the runtime has that option. */
  function getDirectory(path: string): Promise<FileSystemDirectoryHandle>
}
