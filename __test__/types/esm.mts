// The ES module side: named imports through the package's "import" condition (index.mjs), typed
// by the same declarations.
import edge, { createRuntime, TimeoutError, type RuntimeOptions } from 'edge-isolate'
import type { SandboxGlobals } from 'edge-isolate/globals'

const options: RuntimeOptions = { customFunctions: { add: { type: 'sync', fn: (a: number, b: number) => a + b } } }
const rt = await createRuntime(options)
await rt.eval('add(1, 2)')
await edge.createRuntime()
const e: unknown = await rt.eval('while (true) {}', { executionTimeout: 10 }).catch((x: unknown) => x)
if (e instanceof TimeoutError) void (e.code satisfies 'ERR_ISOLATE_TIMEOUT')

type G = SandboxGlobals<{ add: { type: 'sync'; fn: (a: number, b: number) => number } }>
const add: G['add'] = (a, b) => a + b
void add(1, 2)
// @ts-expect-error add takes numbers
void add('1', 2)
