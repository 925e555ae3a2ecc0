// User Timing (https://w3c.github.io/user-timing/) on the Performance Timeline's buffer
// (https://w3c.github.io/performance-timeline/): performance.mark / measure / clearMarks /
// clearMeasures / getEntries / getEntriesByType / getEntriesByName, and the PerformanceEntry,
// PerformanceMark and PerformanceMeasure classes. The runtime's global is a worker's, so mark
// names are not checked against PerformanceTiming's attributes (that check is for Window only).
// Entries live in the isolate's heap, counted against memoryLimitMB like any other object.
(function (global, natives, internals) {
  'use strict'
  const { define, webidl, now, DOMException } = internals
  const { ArrayPrototypePush, ArrayPrototypeSort, ArrayPrototypeFilter, NumberIsFinite, SafeWeakMap, String, TypeError } = internals.primordials
  const Performance = global.Performance
  const performance = global.performance
  // Captured before user code: the detail is cloned as postMessage would
  // (https://w3c.github.io/user-timing/#dom-performancemark-performancemark step 5).
  const structuredClone = global.structuredClone
  const KEY = { __proto__: null } // only this script makes entries
  const illegal = () => {
    throw new TypeError('Illegal constructor')
  }

  // https://w3c.github.io/performance-timeline/#the-performanceentry-interface
  const slots = new SafeWeakMap()
  const slot = (self, what) => {
    const s = self !== null && typeof self === 'object' ? slots.get(self) : undefined
    if (s === undefined) throw new TypeError(`Illegal invocation: ${what} called on an object that is not a PerformanceEntry`)
    return s
  }
  class PerformanceEntry {
    constructor(key = undefined, s = undefined) {
      if (key !== KEY) illegal()
      slots.set(this, s)
    }
    get name() { return slot(this, 'name').name }
    get entryType() { return slot(this, 'entryType').entryType }
    get startTime() { return slot(this, 'startTime').startTime }
    get duration() { return slot(this, 'duration').duration }
    toJSON() {
      const s = slot(this, 'toJSON')
      return { name: s.name, entryType: s.entryType, startTime: s.startTime, duration: s.duration }
    }
  }
  webidl(PerformanceEntry, 'PerformanceEntry')

  const cloneDetail = (detail) => (detail === undefined || detail === null ? null : structuredClone(detail))
  const timestamp = (v, what) => {
    const n = +v
    if (!NumberIsFinite(n)) throw new TypeError(`${what} must be a finite number`)
    if (n < 0) throw new TypeError(`${what} cannot be negative`)
    return n
  }

  // https://w3c.github.io/user-timing/#performancemark
  class PerformanceMark extends PerformanceEntry {
    constructor(markName, markOptions = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'PerformanceMark': 1 argument required, but only 0 present.")
      const name = String(markName)
      if (markOptions !== undefined && markOptions !== null && typeof markOptions !== 'object' && typeof markOptions !== 'function') {
        throw new TypeError("Failed to construct 'PerformanceMark': markOptions must be an object")
      }
      const startTime = markOptions?.startTime === undefined ? now() : timestamp(markOptions.startTime, "PerformanceMark's startTime")
      const detail = cloneDetail(markOptions?.detail)
      super(KEY, { name, entryType: 'mark', startTime, duration: 0, detail })
    }
    get detail() { return slot(this, 'detail').detail }
  }
  webidl(PerformanceMark, 'PerformanceMark')

  // https://w3c.github.io/user-timing/#performancemeasure
  class PerformanceMeasure extends PerformanceEntry {
    constructor(key = undefined, s = undefined) {
      if (key !== KEY) illegal()
      super(KEY, s)
    }
    get detail() { return slot(this, 'detail').detail }
  }
  webidl(PerformanceMeasure, 'PerformanceMeasure')

  // The performance entry buffer of this global, in insertion order.
  let buffer = []
  const brand = (self, what) => {
    if (self !== performance) throw new TypeError(`Illegal invocation: performance.${what} called on another object`)
  }

  // https://w3c.github.io/user-timing/#convert-a-mark-to-a-timestamp
  const markTime = (mark) => {
    if (typeof mark === 'number') return timestamp(mark, 'a mark timestamp')
    const name = String(mark)
    for (let i = buffer.length - 1; i >= 0; i--) {
      const s = slots.get(buffer[i])
      if (s.entryType === 'mark' && s.name === name) return s.startTime
    }
    throw new DOMException(`Failed to execute 'measure' on 'Performance': The mark '${name}' does not exist.`, 'SyntaxError')
  }

  const methods = {
    // https://w3c.github.io/user-timing/#dom-performance-mark
    mark(markName, markOptions = undefined) {
      brand(this, 'mark')
      if (arguments.length === 0) throw new TypeError("Failed to execute 'mark' on 'Performance': 1 argument required, but only 0 present.")
      const entry = new PerformanceMark(markName, markOptions)
      ArrayPrototypePush(buffer, entry)
      return entry
    },
    // https://w3c.github.io/user-timing/#dom-performance-measure
    measure(measureName, startOrMeasureOptions = undefined, endMark = undefined) {
      brand(this, 'measure')
      if (arguments.length === 0) throw new TypeError("Failed to execute 'measure' on 'Performance': 1 argument required, but only 0 present.")
      const name = String(measureName)
      // (DOMString or PerformanceMeasureOptions): an object is the dictionary.
      const isOptions = startOrMeasureOptions !== null && (typeof startOrMeasureOptions === 'object' || typeof startOrMeasureOptions === 'function')
      let start, duration, end, detail
      if (isOptions) {
        // Dictionary members are read in lexicographic order (Web IDL).
        detail = startOrMeasureOptions.detail
        duration = startOrMeasureOptions.duration
        end = startOrMeasureOptions.end
        start = startOrMeasureOptions.start
        const given = start !== undefined || duration !== undefined || end !== undefined || detail !== undefined
        if (given) {
          if (endMark !== undefined) throw new TypeError("Failed to execute 'measure' on 'Performance': endMark cannot be given with a non-empty PerformanceMeasureOptions")
          if (start === undefined && end === undefined) throw new TypeError("Failed to execute 'measure' on 'Performance': PerformanceMeasureOptions needs start or end")
          if (start !== undefined && duration !== undefined && end !== undefined) {
            throw new TypeError("Failed to execute 'measure' on 'Performance': PerformanceMeasureOptions cannot have start, duration and end all at once")
          }
        }
      }
      const startString = !isOptions && startOrMeasureOptions !== undefined ? String(startOrMeasureOptions) : undefined
      const endString = endMark !== undefined ? String(endMark) : undefined
      let endTime
      if (endString !== undefined) endTime = markTime(endString)
      else if (end !== undefined) endTime = markTime(end)
      else if (start !== undefined && duration !== undefined) endTime = markTime(start) + timestamp(duration, 'duration')
      else endTime = now()
      let startTime
      if (start !== undefined) startTime = markTime(start)
      else if (duration !== undefined && end !== undefined) startTime = endTime - timestamp(duration, 'duration')
      else if (startString !== undefined) startTime = markTime(startString)
      else startTime = 0
      const entry = new PerformanceMeasure(KEY, { name, entryType: 'measure', startTime, duration: endTime - startTime, detail: cloneDetail(detail) })
      ArrayPrototypePush(buffer, entry)
      return entry
    },
    // https://w3c.github.io/user-timing/#dom-performance-clearmarks
    clearMarks(markName = undefined) {
      brand(this, 'clearMarks')
      clear('mark', markName)
    },
    clearMeasures(measureName = undefined) {
      brand(this, 'clearMeasures')
      clear('measure', measureName)
    },
    // https://w3c.github.io/performance-timeline/#dom-performance-getentries
    getEntries() {
      brand(this, 'getEntries')
      return list(() => true)
    },
    getEntriesByType(type) {
      brand(this, 'getEntriesByType')
      if (arguments.length === 0) throw new TypeError("Failed to execute 'getEntriesByType' on 'Performance': 1 argument required, but only 0 present.")
      const t = String(type)
      return list((s) => s.entryType === t)
    },
    getEntriesByName(name, type = undefined) {
      brand(this, 'getEntriesByName')
      if (arguments.length === 0) throw new TypeError("Failed to execute 'getEntriesByName' on 'Performance': 1 argument required, but only 0 present.")
      const n = String(name)
      const t = type === undefined ? undefined : String(type)
      return list((s) => s.name === n && (t === undefined || s.entryType === t))
    },
  }
  const clear = (entryType, name) => {
    const n = name === undefined ? undefined : String(name)
    buffer = ArrayPrototypeFilter(buffer, (e) => {
      const s = slots.get(e)
      return !(s.entryType === entryType && (n === undefined || s.name === n))
    })
  }
  // Chronological order (https://w3c.github.io/performance-timeline/#filter-buffer-map-by-name-and-type):
  // a stable sort by startTime of the entries that match.
  const list = (keep) => {
    const out = ArrayPrototypeFilter(buffer, (e) => keep(slots.get(e)))
    return ArrayPrototypeSort(out, (a, b) => slots.get(a).startTime - slots.get(b).startTime)
  }
  for (const name of ['mark', 'measure', 'clearMarks', 'clearMeasures', 'getEntries', 'getEntriesByType', 'getEntriesByName']) {
    define(Performance.prototype, name, methods[name])
  }
  define(global, 'PerformanceEntry', PerformanceEntry)
  define(global, 'PerformanceMark', PerformanceMark)
  define(global, 'PerformanceMeasure', PerformanceMeasure)
})
