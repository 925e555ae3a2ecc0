// What "contained" means, case by case: `verdict(case, run)` lists every way a run of a case
// (see runner.mjs / harness.mjs) broke the product's promise. An empty list is a pass.
//
// The promise: whatever a script does, the Node process lives on (exit code 0, no signal, nothing
// on stderr: no unhandled rejection, no pending N-API exception, no V8 fatal error), other
// runtimes are unaffected, and the script ends in a typed error within its limits, with host
// memory, threads and file descriptors bounded and given back.

export const MARK = '@@hostile-result@@ '

/** Classes the package exports for its own errors, all extending IsolateError. */
export const PACKAGE_CLASSES = ['IsolateError', 'MemoryLimitError', 'TimeoutError', 'CpuLimitError', 'RuntimeDisposedError']
export const CODES = {
  MemoryLimitError: 'ERR_ISOLATE_MEMORY_LIMIT',
  TimeoutError: 'ERR_ISOLATE_TIMEOUT',
  CpuLimitError: 'ERR_ISOLATE_CPU_LIMIT',
  RuntimeDisposedError: 'ERR_ISOLATE_DISPOSED',
}
const OUR_CODES = new Set(Object.values(CODES))
/** Errors that end the runtime: later calls reject with RuntimeDisposedError whose cause is this error. */
export const LIMIT_ERRORS = new Set(['MemoryLimitError', 'TimeoutError', 'CpuLimitError'])

export const DEFAULT_MEMORY_MB = 128
/** Slack for wall-clock limits on a loaded 2-core machine (two cases run at once). */
export const TIME_MARGIN_MS = 1500

/**
 * Peak RSS growth a case may cause (VmHWM minus the RSS before the attack), in MB.
 * The isolate may legitimately hold memoryLimitMB of heap plus memoryLimitMB of ArrayBuffers,
 * plus V8's own code/zone/metadata and the host's copies of what crosses; 4 × the limit + 150 MB
 * bounds all of that. Cases using WebAssembly memory get the documented 4 × limit for it on top
 * of heap and buffers: 6 × the limit + 150 MB.
 */
export function peakBoundMB(c) {
  if (c.peakMB !== undefined) return c.peakMB
  const m = memoryLimitOf(c)
  return (c.wasm ? 6 : 4) * m + 150
}
/** RSS left over after every attack runtime is disposed and GC ran, in MB over the baseline:
 * one glibc malloc arena (64 MB on 64-bit) may keep freed memory for reuse; more is a leak. */
export const SETTLE_MB = 64
/** The runner stops a case whose process RSS passes this (MB), to keep the machine alive. */
export const RUNAWAY_MB = 3072

export function memoryLimitOf(c) {
  const o = typeof c.options === 'object' && c.options !== null ? c.options : {}
  return c.memoryLimitMB ?? o.memoryLimitMB ?? DEFAULT_MEMORY_MB
}

/** The acceptable outcomes of a case (an array: any one of them). */
export function outcomesOf(c) {
  const list = Array.isArray(c.expect) ? c.expect : [c.expect]
  // { error: ['A', 'B'], ... } is shorthand for two outcomes.
  return list.flatMap((o) => (Array.isArray(o.error) ? o.error.map((error) => ({ ...o, error })) : [o]))
}

/** How long the runner waits for the attack before reporting it as pending (ms). */
export function deadlineOf(c) {
  return timeBounds(c).max + 5000
}

/** Wall-clock bound of the attack (ms), and a lower bound for wall-clock timeouts. */
export function timeBounds(c) {
  if (c.withinMs !== undefined) return { max: c.withinMs, min: 0 }
  let max = 0
  let min = Infinity
  for (const o of outcomesOf(c)) {
    if (o.forged) {
      max = Math.max(max, 5_000)
      min = Math.min(min, 0)
    } else if (o.error === 'TimeoutError' || o.error === 'CpuLimitError' || o.cause === 'TimeoutError' || o.cause === 'CpuLimitError') {
      const ms = limitMsOf(c, o)
      max = Math.max(max, ms + TIME_MARGIN_MS + (o.extraMs ?? 0))
      min = Math.min(min, o.error === 'TimeoutError' ? ms - 5 : 0)
    } else if (o.error === 'MemoryLimitError' || o.cause === 'MemoryLimitError') {
      max = Math.max(max, 10_000)
      min = Math.min(min, 0)
    } else {
      max = Math.max(max, 5_000)
      min = Math.min(min, 0)
    }
  }
  return { max, min: Number.isFinite(min) ? min : 0 }
}

function limitMsOf(c, o) {
  if (o.ms !== undefined) return o.ms
  const opts = typeof c.options === 'object' && c.options !== null ? c.options : {}
  const name = o.error === 'CpuLimitError' || o.cause === 'CpuLimitError' ? 'cpuTimeLimit' : 'executionTimeout'
  const ms = opts[name]
  if (typeof ms !== 'number') throw new Error(`case ${c.id}: say which ${name} the expected ${o.error} has (ms)`)
  return ms
}

const fmt = (v) => JSON.stringify(v)?.slice(0, 400)

function matches(want, got) {
  if (want === undefined) return true
  if (want instanceof RegExp) return typeof got === 'string' && want.test(got)
  return got === want
}

/** Problems with `err` being the package's error `name` (instanceof, code), with `cause` if given. */
function packageErrorProblems(c, err, name, o, what) {
  const p = []
  if (!err || err.name !== name) return [`${what}: expected ${name}, got ${fmt(err)}`]
  if (!err.isError) p.push(`${what}: ${name} is not an Error instance`)
  if (err.instanceOf?.[name] !== true)
    p.push(`${what}: not instanceof the package's ${name} (${err.instanceOf?.[name] === null ? 'the package exports no ' + name : 'false'})`)
  if (err.instanceOf?.IsolateError !== true) p.push(`${what}: not instanceof the package's IsolateError`)
  if (err.code !== CODES[name]) p.push(`${what}: code ${fmt(err.code)}, expected ${CODES[name]}`)
  // The messages the README states (the words of @ricsam/isolate-runtime).
  if (name === 'TimeoutError') {
    const want = `Execution timed out after ${limitMsOf(c, { ...o, error: name })}ms`
    if (err.message !== want) p.push(`${what}: message ${fmt(err.message)}, expected ${fmt(want)}`)
  }
  if (name === 'CpuLimitError') {
    const want = `CPU time limit of ${limitMsOf(c, { ...o, error: name })}ms exceeded`
    if (err.message !== want) p.push(`${what}: message ${fmt(err.message)}, expected ${fmt(want)}`)
  }
  if (name === 'MemoryLimitError' && !String(err.message).includes(`${memoryLimitOf(c)} MB`))
    p.push(`${what}: message ${fmt(err.message)} does not name the limit (${memoryLimitOf(c)} MB)`)
  if (name === 'RuntimeDisposedError' && !String(err.message).startsWith('Runtime has been disposed'))
    p.push(`${what}: message ${fmt(err.message)} does not start with "Runtime has been disposed"`)
  if (name === 'RuntimeDisposedError' && o.cause !== undefined) {
    if (o.cause === null) {
      if (err.cause !== undefined) p.push(`${what}: a plain dispose has no cause, got ${fmt(err.cause)}`)
    } else {
      p.push(...packageErrorProblems(c, err.cause, o.cause, { ...o, error: o.cause, cause: undefined }, `${what}.cause`))
    }
  }
  return p
}

/** Problems with `err` being a plain (script or Web platform) error named `name`. */
function plainErrorProblems(err, o, what) {
  const p = []
  // '*': any error of the script's or the platform's (not the package's own classes).
  const nameOk = o.error === '*' ? err && !(err.name in CODES && !o.forged) : err && err.name === o.error
  if (!nameOk) return [`${what}: expected ${o.error === '*' ? 'a script or platform error' : o.error}, got ${fmt(err)}`]
  if (!err.isError) p.push(`${what}: the rejection is not an Error instance: ${fmt(err)}`)
  // A script's own error (even one it named MemoryLimitError) is never the package's.
  if (err.instanceOf?.IsolateError === true) p.push(`${what}: a script's error passed off as the package's IsolateError`)
  if (OUR_CODES.has(err.code)) p.push(`${what}: a script's error carries the package's code ${err.code}`)
  if (!matches(o.message, err.message)) p.push(`${what}: message ${fmt(err.message)} does not match ${o.message}`)
  return p
}

function isPackageName(o) {
  return !o.forged && typeof o.error === 'string' && o.error in CODES
}

/** Problems with the outcome alone, against one acceptable outcome `o`. */
function outcomeProblems(c, run, o) {
  const out = run.outcome
  if (!out) return ['no outcome']
  if (out.kind === 'pending') return [`the attack never settled (gave up after ${out.afterMs} ms)`]
  if (out.kind === 'runaway') return [`the process RSS ran away to ${out.rssMB} MB after ${out.afterMs} ms (stopped at ${RUNAWAY_MB} MB)`]
  if (o.resolve) {
    if (out.kind !== 'resolved') return [`expected to resolve, rejected with ${fmt(out.error)}`]
    const p = []
    if ('value' in o && fmt(out.value) !== fmt(o.value)) p.push(`resolved with ${fmt(out.value)}, expected ${fmt(o.value)}`)
    if ('reported' in o && fmt(run.reported) !== fmt(o.reported)) p.push(`reported ${fmt(run.reported)}, expected ${fmt(o.reported)}`)
    return p
  }
  if (out.kind !== 'rejected') return [`expected ${o.error}, but it resolved with ${fmt(out.value)}`]
  const p = isPackageName(o) ? packageErrorProblems(c, out.error, o.error, o, 'error') : plainErrorProblems(out.error, o, 'error')
  if ('reported' in o && fmt(run.reported) !== fmt(o.reported)) p.push(`reported ${fmt(run.reported)}, expected ${fmt(o.reported)}`)
  return p
}

/** What state the attacked runtime must be in afterwards, given the expected outcome `o`:
 * a limit error ended it (later calls reject with RuntimeDisposedError whose cause is that
 * error), a RuntimeDisposedError means it was disposed, anything else leaves it working. */
function afterProblems(c, run, o) {
  if (!run.after) return []
  let state = o.after
  if (!state) {
    if (o.resolve || !isPackageName(o)) state = 'alive'
    else state = LIMIT_ERRORS.has(o.error) ? 'ended' : 'disposed'
  }
  if (state === 'any') return []
  const a = run.after
  if (a.kind === 'pending') return ['afterwards, eval("1") on the attacked runtime never settled']
  if (state === 'alive') return a.kind === 'resolved' ? [] : [`afterwards the attacked runtime should still work; eval("1") rejected with ${fmt(a.error)}`]
  if (a.kind !== 'rejected') return [`afterwards eval("1") should reject with RuntimeDisposedError, but it resolved`]
  const cause = state === 'ended' ? o.error : o.cause
  return packageErrorProblems(c, a.error, 'RuntimeDisposedError', { ...o, cause }, 'afterwards eval("1")')
}

/**
 * Every problem with `run` = { code, signal, stderr, result, timedOut } (harness.mjs) of case `c`.
 */
export function verdict(c, run) {
  const p = []
  if (run.timedOut) p.push(`the child process was killed after ${run.timedOut} ms (a hang the isolate's limits did not end)`)
  if (run.signal) p.push(`the process died of ${run.signal}`)
  else if (run.code !== 0 && run.code !== null) p.push(`the process exited with code ${run.code}`)
  if (run.notExited) p.push('the process did not exit by itself after the case: something keeps Node’s event loop alive')
  // A contained V8 out-of-memory (common.mjs `contained`) may leave V8's GC report, nothing else.
  const stderr = (c.v8Report ? stripV8Report(run.stderr ?? '') : run.stderr ?? '').trim()
  if (stderr) p.push(`stderr: ${digest(stderr)}`)
  const r = run.result
  if (!r) {
    p.push('no result line (the process died before reporting)')
    return p
  }

  if (r.outcome?.kind === 'runaway') {
    p.push(...outcomeProblems(c, r, outcomesOf(c)[0]))
    return p
  }

  // The outcome: the first acceptable outcome that fits wins. If none does, the problems are
  // reported against the one of the same kind (same error name, or resolve), else against all.
  const options = outcomesOf(c)
  let chosen = options.find((o) => outcomeProblems(c, r, o).length === 0)
  if (!chosen) {
    const out = r.outcome
    const sameKind = options.find((o) => (out?.kind === 'resolved' ? o.resolve : out?.kind === 'rejected' && o.error === out.error?.name))
    if (sameKind || options.length === 1) p.push(...outcomeProblems(c, r, sameKind ?? options[0]))
    else p.push(`none of the ${options.length} acceptable outcomes: ` + options.map((o) => outcomeProblems(c, r, o).join('; ')).join(' | '))
    chosen = sameKind ?? options[0]
  }
  p.push(...afterProblems(c, r, chosen))

  const { max, min } = timeBounds(c)
  if (r.outcome?.kind !== 'pending') {
    if (r.elapsedMs > max) p.push(`took ${r.elapsedMs} ms, more than ${max} ms`)
    const wallClock = r.outcome?.error?.name === 'TimeoutError' && chosen.error === 'TimeoutError' && !chosen.forged
    if (wallClock && r.elapsedMs < min) p.push(`settled after ${r.elapsedMs} ms, before its ${min + 5} ms timeout`)
  }
  if (r.stats && r.stats !== 'ok') p.push(`stats() on the attacked runtime: ${fmt(r.stats)}`)
  // A runtime that is still running must be within its limits.
  const st = r.statsAfter
  if (st && r.after?.kind === 'resolved') {
    const m = memoryLimitOf(c)
    if (st.heapUsedMB > m) p.push(`the runtime goes on with ${st.heapUsedMB} MB of heap, past its ${m} MB limit`)
    if (st.externalMB > m) p.push(`the runtime goes on with ${st.externalMB} MB of ArrayBuffers, past its ${m} MB limit`)
  }
  if (r.innocent?.kind !== 'resolved') p.push(`the innocent runtime broke: ${fmt(r.innocent)}`)
  if (r.innocentDispose !== 'ok') p.push(`disposing the innocent runtime: ${fmt(r.innocentDispose)}`)
  if (r.dispose?.length) p.push(`dispose() of an attack runtime did not resolve: ${fmt(r.dispose)}`)

  const peak = peakBoundMB(c)
  if (!(r.peakGrowthMB <= peak)) p.push(`peak RSS grew by ${r.peakGrowthMB} MB (bound ${peak} MB)`)
  // Free space Node's own JS heap grew by (V8 shrinks it lazily) is Node's to reuse, not kept by the addon.
  const settleBound = c.settleMB ?? SETTLE_MB
  const kept = r.rssAfterMB - Math.max(0, r.nodeHeapSlackGrowthMB ?? 0)
  if (!(kept <= settleBound)) p.push(`RSS stayed ${r.rssAfterMB} MB above the baseline after dispose + GC (${round1(kept)} MB besides free space in Node's heap; bound ${settleBound} MB)`)
  // A contained runtime's worker stays parked (common.mjs `contained`).
  if (r.threadsAfter > r.baseline.threads + (c.fatal ? 1 : 0)) p.push(`threads: ${r.baseline.threads} before, ${r.threadsAfter} after`)
  if (r.fdsAfter > r.baseline.fds) p.push(`file descriptors: ${r.baseline.fds} before, ${r.fdsAfter} after`)
  return p
}

const round1 = (x) => Math.round(x * 10) / 10

/** stderr without V8's fatal-OOM GC report ("<--- Last few GCs --->" and its GC trace lines). */
function stripV8Report(stderr) {
  return stderr
    .split('\n')
    .filter((l) => !/^\s*$|^\s*<--- (Last few GCs|JS stacktrace) --->\s*$|^\s*\[\d+:0x[0-9a-f]+\]\s+\d+ ms: (Mark-Compact|Scavenge|Mark-Sweep|Minor)/.test(l))
    .join('\n')
}

/** The telling lines of a crash's stderr (V8 fatal errors, Rust panics, Node warnings). */
function digest(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  const telling = lines.filter((l) => /fatal|panick|abort|error|warning|segmentation|out of memory|exception|assert|check failed/i.test(l) && !/^\/|^at |Last few GCs/.test(l))
  return (telling.length ? telling : lines).slice(0, 6).join(' ⏎ ').slice(0, 700)
}

/** A one-line summary of a run, for reports. */
export function summary(run) {
  const r = run.result
  if (!r) return run.signal ? `died of ${run.signal}` : run.timedOut ? 'killed (hang)' : `exit ${run.code}, no result`
  const o = r.outcome
  const what =
    o.kind === 'resolved' ? 'resolved' : o.kind === 'pending' || o.kind === 'runaway' ? o.kind : `${o.error?.name}${o.error?.code ? ` (${o.error.code})` : ''}: ${String(o.error?.message ?? o.error?.value).slice(0, 80)}`
  return `${what} in ${r.elapsedMs} ms, peak +${r.peakGrowthMB} MB` + (r.rssAfterMB === undefined ? '' : `, after +${r.rssAfterMB} MB`)
}
