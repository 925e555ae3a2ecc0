// The examples in examples/ run as a user would run them (`node examples/x.mjs`, resolving
// 'edge-isolate' to this package), and print what their comments promise.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/** Runs an example with the Node running the tests; resolves to its stdout lines once it exits 0. */
function run(example: string): Promise<string[]> {
  const file = fileURLToPath(new URL(`../examples/${example}`, import.meta.url))
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out.trimEnd().split('\n'))
      else reject(new Error(`${example} exited with ${code ?? signal}\n${out}\n${err}`))
    })
  })
}

const DATE = /\d{4}-\d\d-\d\d/

describe('examples', () => {
  it('hello.mjs and hello.cjs: a sandbox, a runaway script and a memory bomb', async () => {
    const expected = [
      '[isolate log] hello Ada at DATE',
      '[isolate log] no host here: undefined undefined',
      'runaway script stopped: TimeoutError: Execution timed out after 100ms',
      'memory bomb stopped: MemoryLimitError: Memory limit of 16 MB exceeded',
      'host still healthy: true',
    ]
    for (const example of ['hello.mjs', 'hello.cjs']) {
      expect((await run(example)).map((l) => l.replace(DATE, 'DATE'))).toEqual(expected)
    }
  })

  it('webhook.mjs: the handler verifies and notifies through host functions, never seeing the secrets', async () => {
    expect(await run('webhook.mjs')).toEqual([
      '  [handler log] handled order.paid | process: undefined | secret in globals: false',
      'paid order: 200 {"ok":true}',
      '  [handler log] handled order.refunded | process: undefined | secret in globals: false',
      'refund: 200 {"ok":true}',
      '  [handler warn] rejected a delivery with a bad signature',
      'forged: 401 bad signature',
      'posted to chat: [{"channel":"#sales","text":"Order 1042 paid: 99 EUR","auth":"Bearer xoxb-…"}]',
    ])
  })

  it('agent-tools.mjs: allowed API calls succeed; other hosts, loops and hoarding end in typed errors', async () => {
    expect(await run('agent-tools.mjs')).toEqual([
      'uses the allowed API: result {"warmest":"Paris"}',
      '  | log: Paris 18',
      '  | log: Oslo 4',
      'calls a host that is not allowed: TypeError: fetch failed',
      '  | error: fetch failed - ERR_POLICY',
      'loops forever: CpuLimitError (ERR_ISOLATE_CPU_LIMIT): CPU time limit of 200ms exceeded',
      'allocates without end: MemoryLimitError (ERR_ISOLATE_MEMORY_LIMIT): Memory limit of 16 MB exceeded',
    ])
  })

  it('plugins.mjs: one runtime per tenant, Worker-style messages, a spinning tenant replaced alone', async () => {
    const lines = await run('plugins.mjs')
    // The spinning request and the concurrent greeting may finish in either order.
    const concurrent = lines.slice(3, 5).sort()
    expect([...lines.slice(0, 3), ...concurrent, ...lines.slice(5)]).toEqual([
      'GET /greeter/?name=Ada → 200 hello Ada',
      'GET /counter/ → 200 1 (correlation r1)',
      'GET /counter/ → 200 2 (correlation r2)',
      'GET /greeter/?name=Grace → 200 hello Grace',
      'GET /spinner/spin → 503 CpuLimitError: CPU time limit of 100ms exceeded',
      'GET /spinner/ → 200 still here',
      'GET /counter/ → 200 3 (correlation r3)',
      'tenants alive: counter, greeter, spinner',
    ])
  })
})
