// Every byte a script can make the process hold is counted against memoryLimitMB (or a
// documented per-runtime cap), and long native work stops with the runtime. Each hostile case
// tries to hold far more than the limit and must end in the documented error while the host's
// RSS stays bounded.
import { describe, expect, it } from 'vitest'
import { reporter, useRuntimes } from './helpers'

const createRuntime = useRuntimes()

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'settled',
    (e: any) => e.name as string,
  )

describe('crypto keys', () => {
  it('key material is charged while the key lives and given back when it is collected', async () => {
    const { calls, customFunctions } = reporter()
    const r = await createRuntime({ memoryLimitMB: 16, customFunctions })
    // 200 keys of 1 MiB made and dropped one after another: 200 MiB in all, never more than a few alive.
    await r.eval(`
      const raw = new Uint8Array(1 << 20)
      let n = 0
      for (let i = 0; i < 200; i++) {
        const k = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
        n += k.algorithm.length === 8 << 20 ? 1 : 0
      }
      report(n)
    `)
    expect(calls).toEqual([200])
    // Kept alive, 1 MiB keys pass a 16 MB limit long before 64 of them.
    const kept = await createRuntime({ memoryLimitMB: 16 })
    const result = await outcome(
      kept.eval(`
        const raw = new Uint8Array(1 << 20)
        const keys = []
        for (let i = 0; i < 64; i++) keys.push(await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']))
      `),
    )
    expect(result).toBe('MemoryLimitError')
  })
})
