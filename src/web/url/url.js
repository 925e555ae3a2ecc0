// URL, URLSearchParams (https://url.spec.whatwg.org/), backed by the `url` crate
//
// Offers on `internals`:
//   internals.parseURL(input, base?) -> href string, or null if it does not parse
//   internals.parseAPIURL(input) -> href string, or null: parsed against the API base URL (the
//     runtime's `location` option), as Request, fetch(), Response.redirect and WebSocket parse
//   internals.noBaseHint(input) -> '' or a sentence for error messages: `input` is a relative URL
//     and the runtime has no location to resolve it against
//   internals.locationOrigin() -> the location's origin, or null without a location
//   internals.sameOriginAsLocation(href) -> whether a URL has the location's (tuple) origin
//   internals.domainToASCII(domain) -> string ('' if invalid)
(function (global, natives, internals) {
  'use strict'
  const { define, webidl } = internals
  // Captured intrinsics (primordials.js): user code patching built-ins changes nothing here.
  const {
    ArrayPrototypePush, ArrayPrototypeSort, FunctionPrototypeCall, ObjectCreate, ObjectDefineProperty,
    ReflectGetOwnPropertyDescriptor, ReflectOwnKeys, RegExpPrototypeExec, SafeArrayIterator, SafeRegExp, SafeWeakMap, StringPrototypeSlice,
    StringPrototypeToWellFormed, SymbolIterator, SymbolToStringTag, TypeError, StringPrototypeCodePointAt, StringPrototypeIndexOf,
  } = internals.primordials
  const DOMException = internals.DOMException
  const required = (n, count, what) => {
    if (n < count) {
      throw new TypeError(`Failed to ${what}: ${count} argument${count > 1 ? 's' : ''} required, but only ${n} present.`)
    }
  }
  // WebIDL USVString: lone surrogates become U+FFFD.
  const usv = (v) => {
    if (typeof v === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string')
    return StringPrototypeToWellFormed(`${v}`)
  }

  // Indexes into the components array natives return (src/web/url/mod.rs COMPONENTS).
  const HREF = 0, ORIGIN = 1, PROTOCOL = 2, USERNAME = 3, PASSWORD = 4, HOST = 5, HOSTNAME = 6,
    PORT = 7, PATHNAME = 8, SEARCH = 9, HASH = 10, QUERY = 11

  // --- URLSearchParams: https://url.spec.whatwg.org/#interface-urlsearchparams
  let attachParams // (params, url) links a URL's searchParams to it; set below
  let replaceParams // (params, queryString) after the URL's query changed
  let listOf // (params) -> its current list, for iterators
  // Lists of [name, value] pairs, searched by index (array methods are user code's to patch).
  const indexOf = (list, name) => {
    for (let i = 0; i < list.length; i++) if (list[i][0] === name) return i
    return -1
  }
  const filter = (list, keep) => {
    const out = []
    for (let i = 0; i < list.length; i++) if (keep(list[i], i)) ArrayPrototypePush(out, list[i])
    return out
  }
  class URLSearchParams {
    #list = [] // [name, value] pairs
    #url = null // the URL whose query this is, if any
    constructor(init = '') {
      if (typeof init === 'object' && init !== null || typeof init === 'function') {
        const method = init[SymbolIterator]
        if (method !== undefined && method !== null) {
          if (typeof method !== 'function') throw new TypeError("Failed to construct 'URLSearchParams': The object's @@iterator is not callable.")
          // sequence<sequence<USVString>>: the caller's own iterators, by spec.
          for (const pair of { __proto__: null, [SymbolIterator]: () => FunctionPrototypeCall(method, init) }) {
            if ((typeof pair !== 'object' || pair === null) && typeof pair !== 'function' || typeof pair[SymbolIterator] !== 'function') {
              throw new TypeError("Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.")
            }
            const items = [...pair]
            if (items.length !== 2) {
              throw new TypeError("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements")
            }
            ArrayPrototypePush(this.#list, [usv(items[0]), usv(items[1])])
          }
        } else {
          // record<USVString, USVString>
          for (const key of new SafeArrayIterator(ReflectOwnKeys(init))) {
            const desc = ReflectGetOwnPropertyDescriptor(init, key)
            if (desc === undefined || !desc.enumerable) continue
            const name = usv(key)
            const value = usv(init[key])
            const i = indexOf(this.#list, name)
            if (i === -1) ArrayPrototypePush(this.#list, [name, value])
            else this.#list[i][1] = value
          }
        }
      } else {
        let s = usv(init)
        if (s[0] === '?') s = StringPrototypeSlice(s, 1)
        this.#parse(s)
      }
    }
    #parse(s) {
      const flat = natives.parseQuery(s)
      const list = []
      for (let i = 0; i < flat.length; i += 2) ArrayPrototypePush(list, [flat[i], flat[i + 1]])
      this.#list = list
    }
    #serialize() {
      const list = this.#list
      const flat = []
      for (let i = 0; i < list.length; i++) ArrayPrototypePush(flat, list[i][0], list[i][1])
      return natives.serializeQuery(flat)
    }
    // https://url.spec.whatwg.org/#concept-urlsearchparams-update
    #update() {
      if (this.#url !== null) urlSetQuery(this.#url, this.#serialize())
    }
    static {
      attachParams = (params, url) => { params.#url = url }
      replaceParams = (params, query) => { params.#parse(query) }
    }
    get size() { return this.#list.length }
    append(name, value) {
      required(arguments.length, 2, "execute 'append' on 'URLSearchParams'")
      ArrayPrototypePush(this.#list, [usv(name), usv(value)])
      this.#update()
    }
    delete(name, value = undefined) {
      required(arguments.length, 1, "execute 'delete' on 'URLSearchParams'")
      name = usv(name)
      if (value !== undefined) {
        value = usv(value)
        this.#list = filter(this.#list, (p) => !(p[0] === name && p[1] === value))
      } else {
        this.#list = filter(this.#list, (p) => p[0] !== name)
      }
      this.#update()
    }
    get(name) {
      required(arguments.length, 1, "execute 'get' on 'URLSearchParams'")
      name = usv(name)
      const i = indexOf(this.#list, name)
      return i === -1 ? null : this.#list[i][1]
    }
    getAll(name) {
      required(arguments.length, 1, "execute 'getAll' on 'URLSearchParams'")
      name = usv(name)
      const list = this.#list
      const out = []
      for (let i = 0; i < list.length; i++) if (list[i][0] === name) ArrayPrototypePush(out, list[i][1])
      return out
    }
    has(name, value = undefined) {
      required(arguments.length, 1, "execute 'has' on 'URLSearchParams'")
      name = usv(name)
      if (value !== undefined) {
        value = usv(value)
        const list = this.#list
        for (let i = 0; i < list.length; i++) if (list[i][0] === name && list[i][1] === value) return true
        return false
      }
      return indexOf(this.#list, name) !== -1
    }
    set(name, value) {
      required(arguments.length, 2, "execute 'set' on 'URLSearchParams'")
      name = usv(name)
      value = usv(value)
      const i = indexOf(this.#list, name)
      if (i === -1) {
        ArrayPrototypePush(this.#list, [name, value])
      } else {
        this.#list[i][1] = value
        this.#list = filter(this.#list, (p, j) => j <= i || p[0] !== name)
      }
      this.#update()
    }
    sort() {
      // Stable, by code units of the names.
      ArrayPrototypeSort(this.#list, (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      this.#update()
    }
    entries() { return makeIterator(this, this.#list, 'entries') }
    forEach(callback, thisArg = undefined) {
      required(arguments.length, 1, "execute 'forEach' on 'URLSearchParams'")
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'URLSearchParams': The callback provided as parameter 1 is not a function.")
      }
      // Live: an entry added by the callback is visited too.
      for (let i = 0; i < this.#list.length; i++) {
        const p = this.#list[i]
        FunctionPrototypeCall(callback, thisArg, p[1], p[0], this)
      }
    }
    keys() { return makeIterator(this, this.#list, 'keys') }
    values() { return makeIterator(this, this.#list, 'values') }
    toString() { return this.#serialize() }
    static {
      listOf = (params) => params.#list
    }
  }
  ObjectDefineProperty(URLSearchParams.prototype, SymbolIterator, {
    __proto__: null,
    value: URLSearchParams.prototype.entries, writable: true, configurable: true, enumerable: false,
  })
  webidl(URLSearchParams, 'URLSearchParams')

  // https://webidl.spec.whatwg.org/#es-default-iterator-object
  const iterState = new SafeWeakMap()
  const SearchParamsIteratorPrototype = ObjectCreate(internals.primordials.IteratorPrototype, {
    __proto__: null,
    next: {
      __proto__: null,
      value: function next() {
        const st = iterState.get(this)
        if (st === undefined) throw new TypeError('Illegal invocation')
        const list = listOf(st.params) // the list is replaced on some updates; iterate the current one
        if (st.index >= list.length) return { value: undefined, done: true }
        const p = list[st.index++]
        return { value: st.kind === 'keys' ? p[0] : st.kind === 'values' ? p[1] : [p[0], p[1]], done: false }
      },
      writable: true, enumerable: true, configurable: true,
    },
    [SymbolToStringTag]: { __proto__: null, value: 'URLSearchParams Iterator', configurable: true },
  })
  function makeIterator(params, list, kind) {
    const it = ObjectCreate(SearchParamsIteratorPrototype)
    iterState.set(it, { params, kind, index: 0 })
    return it
  }

  // --- URL: https://url.spec.whatwg.org/#url-class
  let urlSetQuery // (url, serializedQuery) for URLSearchParams' update steps
  class URL {
    #c // components
    #params = null // URLSearchParams, made on first use
    static {
      // For customFunctions values (src/wire.js): a URL's href, or undefined for anything else.
      internals.urlHref = (x) => (x !== null && typeof x === 'object' && #c in x ? x.#c[HREF] : undefined)
    }
    constructor(url, base = undefined) {
      required(arguments.length, 1, "construct 'URL'")
      url = usv(url)
      const c = base === undefined ? natives.parse(url) : natives.parse(url, usv(base))
      if (c === undefined) throw new TypeError(`Failed to construct 'URL': Invalid URL`)
      this.#c = c
    }
    static parse(url, base = undefined) {
      required(arguments.length, 1, "execute 'parse' on 'URL'")
      try {
        return base === undefined ? new URL(url) : new URL(url, base)
      } catch {
        return null
      }
    }
    static canParse(url, base = undefined) {
      required(arguments.length, 1, "execute 'canParse' on 'URL'")
      url = usv(url)
      return (base === undefined ? natives.parse(url) : natives.parse(url, usv(base))) !== undefined
    }
    static createObjectURL(obj) {
      throw new DOMException('URL.createObjectURL is not supported in this runtime', 'NotSupportedError')
    }
    static revokeObjectURL(url) {
      throw new DOMException('URL.revokeObjectURL is not supported in this runtime', 'NotSupportedError')
    }
    #set(which, value) {
      this.#c = natives.set(this.#c[HREF], which, usv(value))
    }
    get href() { return this.#c[HREF] }
    set href(value) {
      const c = natives.parse(usv(value))
      if (c === undefined) throw new TypeError(`Failed to set the 'href' property on 'URL': Invalid URL`)
      this.#c = c
      if (this.#params !== null) replaceParams(this.#params, StringPrototypeSlice(c[SEARCH], 1))
    }
    get origin() { return this.#c[ORIGIN] }
    get protocol() { return this.#c[PROTOCOL] }
    set protocol(v) { this.#set(PROTOCOL, v) }
    get username() { return this.#c[USERNAME] }
    set username(v) { this.#set(USERNAME, v) }
    get password() { return this.#c[PASSWORD] }
    set password(v) { this.#set(PASSWORD, v) }
    get host() { return this.#c[HOST] }
    set host(v) { this.#set(HOST, v) }
    get hostname() { return this.#c[HOSTNAME] }
    set hostname(v) { this.#set(HOSTNAME, v) }
    get port() { return this.#c[PORT] }
    set port(v) { this.#set(PORT, v) }
    get pathname() { return this.#c[PATHNAME] }
    set pathname(v) { this.#set(PATHNAME, v) }
    get search() { return this.#c[SEARCH] }
    set search(v) {
      this.#set(SEARCH, v)
      if (this.#params !== null) replaceParams(this.#params, StringPrototypeSlice(this.#c[SEARCH], 1))
    }
    get searchParams() {
      if (this.#params === null) {
        this.#params = new URLSearchParams(StringPrototypeSlice(this.#c[SEARCH], 1))
        attachParams(this.#params, this)
      }
      return this.#params
    }
    get hash() { return this.#c[HASH] }
    set hash(v) { this.#set(HASH, v) }
    toString() { return this.#c[HREF] }
    toJSON() { return this.#c[HREF] }
    static {
      urlSetQuery = (url, query) => { url.#c = natives.set(url.#c[HREF], QUERY, query) }
    }
  }
  webidl(URL, 'URL')

  // --- URLPattern: https://urlpattern.spec.whatwg.org/#urlpattern-class
  // The `urlpattern` crate (src/web/url/pattern.rs) parses and canonicalizes; the component
  // regular expressions run here, on the isolate's RegExp (ECMAScript syntax, as the standard says),
  // so a pattern whose expression backtracks without end is stopped by the runtime's time limits.
  const COMPONENTS = ['protocol', 'username', 'password', 'hostname', 'port', 'pathname', 'search', 'hash']
  // https://urlpattern.spec.whatwg.org/#dictdef-urlpatterninit: members in Web IDL (sorted) order.
  const INIT_SORTED = ['baseURL', 'hash', 'hostname', 'password', 'pathname', 'port', 'protocol', 'search', 'username']
  // The order pattern.rs reads them in.
  const INIT_NATIVE = ['protocol', 'username', 'password', 'hostname', 'port', 'pathname', 'search', 'hash', 'baseURL']
  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function'
  // Web IDL (USVString or URLPatternInit): null, undefined and objects are the dictionary.
  // Returns the string, or { dict, flat } for a dictionary (flat: what pattern.rs reads).
  const toPatternInput = (v) => {
    if (!isObject(v) && v !== undefined && v !== null) return usv(v)
    const dict = { __proto__: null }
    for (let i = 0; i < INIT_SORTED.length; i++) {
      const key = INIT_SORTED[i]
      const x = v === undefined || v === null ? undefined : v[key]
      if (x !== undefined) dict[key] = usv(x)
    }
    const flat = []
    for (let i = 0; i < INIT_NATIVE.length; i++) ArrayPrototypePush(flat, dict[INIT_NATIVE[i]])
    return { dict, flat }
  }
  // The dictionary as result.inputs holds it: an object of the members given.
  const initObject = (dict) => {
    const o = {}
    for (let i = 0; i < INIT_SORTED.length; i++) {
      const key = INIT_SORTED[i]
      if (dict[key] !== undefined) o[key] = dict[key]
    }
    return o
  }
  // Web IDL URLPatternOptions.
  const toOptions = (v, what) => {
    if (v === undefined || v === null) return false
    if (!isObject(v)) throw new TypeError(`Failed to ${what}: The provided value is not of type 'URLPatternOptions'.`)
    return !!v.ignoreCase
  }
  // --- URLPattern.compareComponent (tentative,
  // https://urlpattern.spec.whatwg.org/#dom-urlpattern-comparecomponent, as Chromium ships it):
  // the components' part lists compared part by part. The urlpattern crate
  // keeps its part lists private, so the canonical pattern strings (which the spec's "generate a
  // pattern string" makes to parse back into the same parts) are parsed again here, with the
  // spec's tokenizer and parser (https://urlpattern.spec.whatwg.org/#tokenizing,
  // https://urlpattern.spec.whatwg.org/#parsing-pattern-strings), lenient: the input is valid.
  const PART_FULL_WILDCARD = 0, PART_REGEXP = 1, PART_SEGMENT_WILDCARD = 2, PART_FIXED = 3
  const MOD_ZERO_OR_MORE = 0, MOD_OPTIONAL = 1, MOD_ONE_OR_MORE = 2, MOD_NONE = 3
  const idStart = new SafeRegExp('^[$_\\p{ID_Start}]$', 'u')
  const idPart = new SafeRegExp('^[$_\\u200C\\u200D\\p{ID_Continue}]$', 'u')
  const charAt = (s, i) => {
    const c = StringPrototypeCodePointAt(s, i)
    return StringPrototypeSlice(s, i, i + (c > 0xffff ? 2 : 1))
  }
  const tokenizePattern = (s) => {
    const tokens = []
    let i = 0
    while (i < s.length) {
      const c = charAt(s, i)
      if (c === '*') { ArrayPrototypePush(tokens, ['*', c]); i += 1; continue }
      if (c === '+' || c === '?') { ArrayPrototypePush(tokens, ['mod', c]); i += 1; continue }
      if (c === '{' || c === '}') { ArrayPrototypePush(tokens, [c, c]); i += 1; continue }
      if (c === '\\') {
        const e = i + 1 < s.length ? charAt(s, i + 1) : ''
        ArrayPrototypePush(tokens, ['esc', e])
        i += 1 + e.length
        continue
      }
      if (c === ':') {
        let j = i + 1
        while (j < s.length) {
          const d = charAt(s, j)
          if (RegExpPrototypeExec(j === i + 1 ? idStart : idPart, d) === null) break
          j += d.length
        }
        if (j > i + 1) { ArrayPrototypePush(tokens, ['name', StringPrototypeSlice(s, i + 1, j)]); i = j; continue }
      }
      if (c === '(') {
        let depth = 1
        let j = i + 1
        while (j < s.length && depth > 0) {
          const d = s[j]
          if (d === '\\') { j += 2; continue }
          if (d === ')') { if (--depth === 0) break } else if (d === '(') depth++
          j++
        }
        ArrayPrototypePush(tokens, ['regexp', StringPrototypeSlice(s, i + 1, j)])
        i = j + 1
        continue
      }
      ArrayPrototypePush(tokens, ['char', c])
      i += c.length
    }
    return tokens
  }
  const escapeRegExpString = (s) => {
    let out = ''
    for (let i = 0; i < s.length; i++) out += StringPrototypeIndexOf('.+*?^${}()[]|/\\', s[i]) !== -1 ? '\\' + s[i] : s[i]
    return out
  }
  // -> [[type, modifier, prefix, value, suffix]]
  const parsePattern = (s, delimiter, prefixCodePoint) => {
    const tokens = tokenizePattern(s)
    const segmentWildcard = `[^${escapeRegExpString(delimiter)}]+?`
    const parts = []
    let pending = ''
    let index = 0
    const take = (type) => {
      if (index < tokens.length && tokens[index][0] === type) return tokens[index++]
      return null
    }
    const regexpOrWildcard = (name) => {
      const t = take('regexp')
      return t === null && name === null ? take('*') : t
    }
    const modifierOf = () => {
      const t = take('mod') ?? take('*')
      if (t === null) return MOD_NONE
      return t[1] === '?' ? MOD_OPTIONAL : t[1] === '*' ? MOD_ZERO_OR_MORE : MOD_ONE_OR_MORE
    }
    const text = () => {
      let out = ''
      for (let t; (t = take('char') ?? take('esc')) !== null;) out += t[1]
      return out
    }
    const flush = () => {
      if (pending === '') return
      ArrayPrototypePush(parts, [PART_FIXED, MOD_NONE, '', pending, ''])
      pending = ''
    }
    const addPart = (prefix, name, re, suffix, modifier) => {
      if (name === null && re === null && modifier === MOD_NONE) { pending += prefix; return }
      flush()
      if (name === null && re === null) {
        if (prefix !== '') ArrayPrototypePush(parts, [PART_FIXED, modifier, '', prefix, ''])
        return
      }
      let value = re === null ? segmentWildcard : re[0] === '*' ? '.*' : re[1]
      let type = PART_REGEXP
      if (value === segmentWildcard) (type = PART_SEGMENT_WILDCARD), (value = '')
      else if (value === '.*') (type = PART_FULL_WILDCARD), (value = '')
      ArrayPrototypePush(parts, [type, modifier, prefix, value, suffix])
    }
    while (index < tokens.length) {
      const ch = take('char')
      const name = take('name')
      const re = regexpOrWildcard(name)
      if (name !== null || re !== null) {
        let prefix = ch === null ? '' : ch[1]
        if (prefix !== '' && prefix !== prefixCodePoint) { pending += prefix; prefix = '' }
        flush()
        addPart(prefix, name, re, '', modifierOf())
        continue
      }
      const fixed = ch ?? take('esc')
      if (fixed !== null) { pending += fixed[1]; continue }
      if (take('{') !== null) {
        const prefix = text()
        const name2 = take('name')
        const re2 = regexpOrWildcard(name2)
        const suffix = text()
        take('}')
        addPart(prefix, name2, re2, suffix, modifierOf())
        continue
      }
      flush()
      index++ // a stray token (cannot happen in a canonical pattern string)
    }
    flush()
    return parts
  }
  const compareParts = (a, b) => {
    for (let k = 0; k < 5; k++) {
      if (a[k] < b[k]) return -1
      if (a[k] > b[k]) return 1
    }
    return 0
  }
  const EMPTY_FIXED = [PART_FIXED, MOD_NONE, '', '', '']
  const SPECIAL_SCHEMES = ['ftp', 'file', 'http', 'https', 'ws', 'wss']

  // https://urlpattern.spec.whatwg.org/#canonicalize-a-hostname: the basic URL parser in hostname
  // state strips tab, LF and CR and stops at '#', '/' and '\\', where the spec's hostname must be
  // an error; the urlpattern crate lets these through, so the text the encoding callback would
  // get (fixed parts, group prefixes and suffixes) is checked here first.
  const forbiddenInHostname = new SafeRegExp('[\\t\\n\\r#/\\\\]')
  const checkHostnameText = (pattern, what) => {
    const parts = parsePattern(pattern, '.', '')
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]
      const texts = p[0] === PART_FIXED ? [p[3]] : [p[2], p[4]]
      for (let j = 0; j < texts.length; j++) {
        if (RegExpPrototypeExec(forbiddenInHostname, texts[j]) !== null) {
          throw new TypeError(`Failed to ${what}: Invalid hostname pattern '${pattern}': it contains a forbidden host code point.`)
        }
      }
    }
  }

  let patternParts
  class URLPattern {
    #patterns // [pattern string] x 8
    #regexps // [source, SafeRegExp] x 8
    #names // [[group names]] x 8
    #hasRegExpGroups
    // constructor(URLPatternInput input, USVString baseURL, optional URLPatternOptions options = {})
    // constructor(optional URLPatternInput input = {}, optional URLPatternOptions options = {})
    constructor(input = undefined, baseURL = undefined, options = undefined) {
      const what = "construct 'URLPattern'"
      // Overload resolution: a second argument that is an object, null or undefined is the
      // options dictionary, anything else the base URL.
      let ignoreCase
      let parsedInput
      if (arguments.length >= 2 && !isObject(baseURL) && baseURL !== undefined && baseURL !== null) {
        parsedInput = toPatternInput(input)
        baseURL = usv(baseURL)
        ignoreCase = toOptions(options, what)
      } else {
        parsedInput = toPatternInput(input)
        ignoreCase = toOptions(baseURL, what)
        baseURL = undefined
      }
      if (typeof parsedInput !== 'string' && baseURL !== undefined) {
        throw new TypeError(`Failed to ${what}: a base URL cannot be given with a URLPatternInit; use its baseURL member`)
      }
      if (typeof parsedInput !== 'string' && parsedInput.dict.hostname !== undefined) checkHostnameText(parsedInput.dict.hostname, what)
      const parsed = natives.patternParse(typeof parsedInput === 'string' ? parsedInput : parsedInput.flat, baseURL, ignoreCase)
      const patterns = [], regexps = [], names = []
      for (let i = 0; i < 8; i++) {
        const source = parsed[2 + i * 3]
        ArrayPrototypePush(patterns, parsed[1 + i * 3])
        let re
        try {
          re = new SafeRegExp(source, ignoreCase ? 'vi' : 'v')
        } catch (e) {
          throw new TypeError(`Failed to ${what}: the ${COMPONENTS[i]} component is not a valid regular expression: ${e.message}`)
        }
        ArrayPrototypePush(regexps, [source, re])
        ArrayPrototypePush(names, parsed[3 + i * 3])
      }
      this.#patterns = patterns
      this.#regexps = regexps
      this.#names = names
      this.#hasRegExpGroups = parsed[0]
    }
    // https://urlpattern.spec.whatwg.org/#url-pattern-match: null, or the inputs, the component
    // values and their groups.
    #match(input, baseURL, what) {
      const parsedInput = toPatternInput(input)
      const hasBase = baseURL !== undefined
      if (hasBase) baseURL = usv(baseURL)
      if (typeof parsedInput !== 'string' && hasBase) {
        throw new TypeError(`Failed to execute '${what}' on 'URLPattern': a base URL cannot be given with a URLPatternInit; use its baseURL member`)
      }
      const values = natives.patternMatchInput(typeof parsedInput === 'string' ? parsedInput : parsedInput.flat, baseURL)
      if (values === null) return null
      const groups = []
      for (let i = 0; i < 8; i++) {
        const value = values[i]
        const names = this.#names[i]
        const { 0: source, 1: re } = this.#regexps[i]
        const g = {}
        if (source === '^$') {
          // The empty pattern: no RegExp needed.
          if (value !== '') return null
        } else if (source === '^(.*)$' && names.length === 1) {
          g[names[0]] = value
        } else {
          const m = RegExpPrototypeExec(re, value)
          if (m === null) return null
          for (let j = 0; j < names.length; j++) g[names[j]] = m[j + 1]
        }
        ArrayPrototypePush(groups, g)
      }
      const inputs = [typeof parsedInput === 'string' ? parsedInput : initObject(parsedInput.dict)]
      if (hasBase) ArrayPrototypePush(inputs, baseURL)
      return { inputs, values, groups }
    }
    test(input = undefined, baseURL = undefined) {
      return this.#match(input, baseURL, 'test') !== null
    }
    exec(input = undefined, baseURL = undefined) {
      const r = this.#match(input, baseURL, 'exec')
      if (r === null) return null
      const result = { inputs: r.inputs }
      for (let i = 0; i < 8; i++) result[COMPONENTS[i]] = { input: r.values[i], groups: r.groups[i] }
      return result
    }
    get protocol() { return this.#patterns[0] }
    get username() { return this.#patterns[1] }
    get password() { return this.#patterns[2] }
    get hostname() { return this.#patterns[3] }
    get port() { return this.#patterns[4] }
    get pathname() { return this.#patterns[5] }
    get search() { return this.#patterns[6] }
    get hash() { return this.#patterns[7] }
    get hasRegExpGroups() { return this.#hasRegExpGroups }
    static {
      // The part list of component i (https://urlpattern.spec.whatwg.org/#url-pattern-create: the
      // options each component is compiled with).
      patternParts = (p, i) => {
        if (!(#patterns in p)) return undefined
        let delimiter = '', prefix = ''
        if (i === 3) delimiter = '.'
        else if (i === 5) {
          const re = p.#regexps[0][1]
          for (let k = 0; k < SPECIAL_SCHEMES.length; k++) {
            if (RegExpPrototypeExec(re, SPECIAL_SCHEMES[k]) !== null) {
              delimiter = prefix = '/'
              break
            }
          }
        }
        return parsePattern(p.#patterns[i], delimiter, prefix)
      }
    }
    // https://urlpattern.spec.whatwg.org/#dom-urlpattern-comparecomponent (tentative)
    static compareComponent(component, left, right) {
      const what = "execute 'compareComponent' on 'URLPattern'"
      required(arguments.length, 3, what)
      component = String(component)
      let i = 0
      while (i < 8 && COMPONENTS[i] !== component) i++
      if (i === 8) throw new TypeError(`Failed to ${what}: The provided value '${component}' is not a valid enum value of type URLPatternComponent.`)
      const a = isObject(left) ? patternParts(left, i) : undefined
      if (a === undefined) throw new TypeError(`Failed to ${what}: parameter 2 is not of type 'URLPattern'.`)
      const b = isObject(right) ? patternParts(right, i) : undefined
      if (b === undefined) throw new TypeError(`Failed to ${what}: parameter 3 is not of type 'URLPattern'.`)
      let k = 0
      for (; k < a.length && k < b.length; k++) {
        const r = compareParts(a[k], b[k])
        if (r !== 0) return r
      }
      // One list is longer: its next part against an empty fixed part ("/foo/" before "/foo/*").
      if (k < b.length) return compareParts(EMPTY_FIXED, b[k])
      if (k < a.length) return compareParts(a[k], EMPTY_FIXED)
      return 0
    }
  }
  webidl(URLPattern, 'URLPattern')
  define(global, 'URLPattern', URLPattern)

  define(global, 'URL', URL)
  define(global, 'URLSearchParams', URLSearchParams)

  // --- WorkerLocation: https://html.spec.whatwg.org/multipage/workers.html#worker-locations
  // The runtime's `location` option (createRuntime({ location })), as a worker's location is its
  // script's URL. It is also the API base URL
  // (https://html.spec.whatwg.org/multipage/webappapis.html#api-base-url) that Request, fetch(),
  // Response.redirect() and WebSocket parse relative URLs against, and gives the global its origin.
  // Without the option none of this exists and relative URLs stay errors, as today.
  let location = null // the location's components (natives.parse), or null: no location
  const KEY = ObjectCreate(null) // only this closure constructs a WorkerLocation
  class WorkerLocation {
    #c
    constructor(key = undefined, c = undefined) {
      if (key !== KEY) throw new TypeError('Illegal constructor')
      this.#c = c
    }
    get href() { return this.#c[HREF] }
    get origin() { return this.#c[ORIGIN] }
    get protocol() { return this.#c[PROTOCOL] }
    get host() { return this.#c[HOST] }
    get hostname() { return this.#c[HOSTNAME] }
    get port() { return this.#c[PORT] }
    get pathname() { return this.#c[PATHNAME] }
    get search() { return this.#c[SEARCH] }
    get hash() { return this.#c[HASH] }
    // stringifier: https://webidl.spec.whatwg.org/#es-stringifier
    toString() { return this.#c[HREF] }
  }
  webidl(WorkerLocation, 'WorkerLocation')
  internals.perRuntime.push((options) => {
    if (typeof options.location !== 'string') return
    // The host checked that it parses as an absolute URL (src/host/options.rs).
    const c = natives.parse(options.location)
    if (c === undefined) return
    location = c
    const instance = new WorkerLocation(KEY, c)
    define(global, 'WorkerLocation', WorkerLocation)
    // WorkerGlobalScope's `readonly attribute WorkerLocation location`: a getter, no setter.
    ObjectDefineProperty(global, 'location', {
      __proto__: null, get: function location() { return instance }, enumerable: true, configurable: true,
    })
    // WindowOrWorkerGlobalScope's `[Replaceable] readonly attribute USVString origin`:
    // https://html.spec.whatwg.org/multipage/webappapis.html#dom-origin
    const origin = c[ORIGIN]
    ObjectDefineProperty(global, 'origin', {
      __proto__: null,
      get: function origin_() { return origin },
      set: function origin_(v) {
        ObjectDefineProperty(global, 'origin', { __proto__: null, value: v, writable: true, enumerable: true, configurable: true })
      },
      enumerable: true,
      configurable: true,
    })
  })
  internals.parseAPIURL = (input) => {
    const c = location === null ? natives.parse(`${input}`) : natives.parse(`${input}`, location[HREF])
    return c === undefined ? null : c[HREF]
  }
  internals.noBaseHint = (input) =>
    location === null && natives.parse(`${input}`, 'http://a/') !== undefined
      ? " It is a relative URL and the runtime has no base URL to resolve it against: give the runtime one with createRuntime({ location: 'https://example.com/' }), or pass an absolute URL."
      : ''
  internals.locationOrigin = () => (location === null ? null : location[ORIGIN])
  // https://html.spec.whatwg.org/multipage/browsers.html#same-origin: an opaque origin ('null')
  // is the same as no other here (each URL's is a new one).
  internals.sameOriginAsLocation = (href) => {
    if (location === null || location[ORIGIN] === 'null') return false
    const c = natives.parse(`${href}`)
    return c !== undefined && c[ORIGIN] === location[ORIGIN]
  }

  internals.parseURL = (input, base = undefined) => {
    const c = base === undefined ? natives.parse(`${input}`) : natives.parse(`${input}`, `${base}`)
    return c === undefined ? null : c[HREF]
  }
  internals.domainToASCII = (d) => natives.domainToASCII(`${d}`)
})
