// Isolate-side console for edge-isolate.
//
// Evaluated as a classic script in a fresh context; the completion value is
// `installConsole`, which the host calls once per runtime as
// `installConsole(globalThis, emit)`. Every console call becomes one plain
// object passed to `emit`; the entry shapes are those of @ricsam/isolate-console
// (`output`, `dir`, `table`, `time`, `timeLog`, `count`, `countReset`, `assert`,
// `group`, `groupEnd`, `clear`, `trace`). Text is pre-formatted here the way
// Node 20's console does it (util.format / util.inspect); `stdout` is never
// indented for groups, `groupDepth` says how deep the entry is.
//
// Spec for the console namespace: https://console.spec.whatwg.org/
//
// An optional third argument `native` may carry engine hooks that pure JS
// cannot emulate; each is used only when present:
//   promiseDetails(p)  -> [state, result]  state 0 pending, 1 fulfilled, 2 rejected
//   proxyDetails(v)    -> undefined | [target, handler]  (target null when revoked)
//   previewEntries(it) -> [entries, isKeyValue]  for Map/Set iterators
// Without them promises print as `Promise {}` and iterators with no entries.
(function installConsole(global, emit, native) {
  'use strict';

  // ---------------------------------------------------------------------------
  // Built-ins captured at install time, before any user code runs, so that a
  // script patching prototypes cannot change how its own output is rendered.
  const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
  const getterOf = (proto, key) =>
    uncurryThis(Object.getOwnPropertyDescriptor(proto, key).get);

  const ReflectApply = Reflect.apply;
  const ReflectOwnKeys = Reflect.ownKeys;
  const ObjectKeys = Object.keys;
  const ObjectIs = Object.is;
  const ObjectCreate = Object.create;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
  const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
  const ObjectGetOwnPropertyDescriptorRaw = Object.getOwnPropertyDescriptor;
  // Descriptors with every field an own property: reading `value` of an accessor's descriptor (or
  // `get` of a data property's) must not reach an accessor a script put on Object.prototype.
  const ObjectGetOwnPropertyDescriptor = (obj, key) => {
    const d = ObjectGetOwnPropertyDescriptorRaw(obj, key);
    if (d === undefined) return d;
    return ObjectPrototypeHasOwnPropertyRaw(d, 'value') ?
      { value: d.value, writable: d.writable, get: undefined, set: undefined, enumerable: d.enumerable, configurable: d.configurable } :
      { value: undefined, writable: undefined, get: d.get, set: d.set, enumerable: d.enumerable, configurable: d.configurable };
  };
  const ObjectPrototypeHasOwnPropertyRaw = uncurryThis(Object.prototype.hasOwnProperty);
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectSetPrototypeOf = Object.setPrototypeOf;
  const ObjectPrototype = Object.prototype;
  const ObjectPrototypeHasOwnProperty = uncurryThis(ObjectPrototype.hasOwnProperty);
  const ObjectPrototypePropertyIsEnumerable = uncurryThis(ObjectPrototype.propertyIsEnumerable);
  const ObjectPrototypeToString = uncurryThis(ObjectPrototype.toString);
  const ObjectCtor = Object;
  const FunctionCtor = Function;
  const FunctionPrototype = Function.prototype;
  const FunctionPrototypeToString = uncurryThis(FunctionPrototype.toString);
  const FunctionPrototypeCall = uncurryThis(FunctionPrototype.call);
  const FunctionPrototypeSymbolHasInstance = uncurryThis(FunctionPrototype[Symbol.hasInstance]);
  const ArrayIsArray = Array.isArray;
  const ArrayPrototypePushRaw = Array.prototype.push;
  const ArrayPrototypeUnshiftRaw = Array.prototype.unshift;
  const ReflectDefineProperty = Reflect.defineProperty;
  // push and unshift [[Set]] indices the array lacks, which reaches an accessor a script put at
  // such an index on Array.prototype (or Object.prototype): without a setter that throws, and
  // nothing would be logged. The elements are then defined on the array itself, as a literal
  // makes them (defineProperty is ~40x slower than push: only then).
  const defineElement = (array, index, value) =>
    ReflectDefineProperty(array, index, { __proto__: null, value, writable: true, enumerable: true, configurable: true });
  const ArrayPrototypePush = (array, ...items) => {
    const length = array.length;
    try {
      return ReflectApply(ArrayPrototypePushRaw, array, items);
    } catch {
      for (let i = 0; i < items.length; i++) defineElement(array, length + i, items[i]);
      return array.length;
    }
  };
  const ArrayPrototypeUnshift = (array, ...items) => {
    const length = array.length;
    try {
      return ReflectApply(ArrayPrototypeUnshiftRaw, array, items);
    } catch {
      // unshift moves the last elements first: those below `length` are still in place.
      const n = items.length;
      for (let i = length - 1; i >= 0; i--) defineElement(array, i + n, array[i]);
      for (let i = 0; i < n; i++) defineElement(array, i, items[i]);
      return array.length;
    }
  };
  const ArrayPrototypePop = uncurryThis(Array.prototype.pop);
  const ArrayPrototypeIncludes = uncurryThis(Array.prototype.includes);
  const ArrayPrototypeIndexOf = uncurryThis(Array.prototype.indexOf);
  const ArrayPrototypeJoin = uncurryThis(Array.prototype.join);
  const ArrayPrototypeSlice = uncurryThis(Array.prototype.slice);
  const ArrayPrototypeSplice = uncurryThis(Array.prototype.splice);
  const ArrayPrototypeSort = uncurryThis(Array.prototype.sort);
  const StringCtor = String;
  const StringPrototypeCharCodeAt = uncurryThis(String.prototype.charCodeAt);
  const StringPrototypeCodePointAt = uncurryThis(String.prototype.codePointAt);
  const StringPrototypeEndsWith = uncurryThis(String.prototype.endsWith);
  const StringPrototypeIncludes = uncurryThis(String.prototype.includes);
  const StringPrototypeIndexOf = uncurryThis(String.prototype.indexOf);
  const StringPrototypeLastIndexOf = uncurryThis(String.prototype.lastIndexOf);
  const StringPrototypeNormalize = uncurryThis(String.prototype.normalize);
  const StringPrototypePadEnd = uncurryThis(String.prototype.padEnd);
  const StringPrototypePadStart = uncurryThis(String.prototype.padStart);
  const StringPrototypeRepeat = uncurryThis(String.prototype.repeat);
  const StringPrototypeSlice = uncurryThis(String.prototype.slice);
  const StringPrototypeStartsWith = uncurryThis(String.prototype.startsWith);
  const StringPrototypeToLowerCase = uncurryThis(String.prototype.toLowerCase);
  const StringPrototypeValueOf = uncurryThis(String.prototype.valueOf);
  const NumberCtor = Number;
  const NumberIsNaN = Number.isNaN;
  const NumberIsFinite = Number.isFinite;
  const NumberParseInt = Number.parseInt;
  const NumberParseFloat = Number.parseFloat;
  const NumberPrototypeToString = uncurryThis(Number.prototype.toString);
  const NumberPrototypeValueOf = uncurryThis(Number.prototype.valueOf);
  const BooleanPrototypeValueOf = uncurryThis(Boolean.prototype.valueOf);
  const BigIntPrototypeValueOf = uncurryThis(BigInt.prototype.valueOf);
  const SymbolPrototypeToString = uncurryThis(Symbol.prototype.toString);
  const SymbolPrototypeValueOf = uncurryThis(Symbol.prototype.valueOf);
  const SymbolIterator = Symbol.iterator;
  const SymbolToStringTag = Symbol.toStringTag;
  const SymbolToPrimitive = Symbol.toPrimitive;
  const customInspectSymbol = Symbol.for('nodejs.util.inspect.custom');
  const RegExpCtor = RegExp;
  const RegExpPrototypeExec = uncurryThis(RegExp.prototype.exec);
  const RegExpPrototypeToString = uncurryThis(RegExp.prototype.toString);
  const RegExpPrototypeGetSource = getterOf(RegExp.prototype, 'source');
  const DatePrototypeGetTime = uncurryThis(Date.prototype.getTime);
  const DatePrototypeToISOString = uncurryThis(Date.prototype.toISOString);
  const DatePrototypeToString = uncurryThis(Date.prototype.toString);
  const ErrorCtor = Error;
  const ErrorPrototypeToString = uncurryThis(Error.prototype.toString);
  const ErrorCaptureStackTrace = Error.captureStackTrace;
  const TypeErrorCtor = TypeError;
  const JSONStringify = JSON.stringify;
  const MathFloor = Math.floor;
  const MathMax = Math.max;
  const MathMin = Math.min;
  const MathRound = Math.round;
  const MathSqrt = Math.sqrt;
  const MathTrunc = Math.trunc;
  const MapPrototypeGetSize = getterOf(Map.prototype, 'size');
  const MapCtor = Map;
  const MapPrototypeGet = uncurryThis(Map.prototype.get);
  const MapPrototypeSet = uncurryThis(Map.prototype.set);
  const MapPrototypeEntries = uncurryThis(Map.prototype.entries);
  const MapIteratorNext = uncurryThis(ObjectGetPrototypeOf(new Map().entries()).next);
  const SetPrototypeGetSize = getterOf(Set.prototype, 'size');
  const SetPrototypeValues = uncurryThis(Set.prototype.values);
  const SetIteratorNext = uncurryThis(ObjectGetPrototypeOf(new Set().values()).next);
  const WeakMapPrototypeHas = uncurryThis(WeakMap.prototype.has);
  const WeakSetPrototypeHas = uncurryThis(WeakSet.prototype.has);
  const PromisePrototype = Promise.prototype;
  const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
  const TypedArrayPrototypeGetLength = getterOf(TypedArrayPrototype, 'length');
  const TypedArrayPrototypeGetSymbolToStringTag = getterOf(TypedArrayPrototype, SymbolToStringTag);
  const ArrayBufferPrototypeGetByteLength = getterOf(ArrayBuffer.prototype, 'byteLength');
  const SharedArrayBufferPrototypeGetByteLength = typeof SharedArrayBuffer === 'function' ?
    getterOf(SharedArrayBuffer.prototype, 'byteLength') : undefined;
  const DataViewPrototypeGetByteLength = getterOf(DataView.prototype, 'byteLength');
  const Uint8ArrayCtor = Uint8Array;
  const typedArrayCtors = {
    __proto__: null, Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array, Int8Array,
    Int16Array, Int32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  };
  // Function kinds are told apart by their intrinsic prototypes (Node asks V8).
  const AsyncFunctionPrototype = ObjectGetPrototypeOf(async function() {});
  const GeneratorFunctionPrototype = ObjectGetPrototypeOf(function*() {});
  const AsyncGeneratorFunctionPrototype = ObjectGetPrototypeOf(async function*() {});
  const now = typeof performance === 'object' && performance !== null &&
    typeof performance.now === 'function' ?
    FunctionPrototype.bind.call(performance.now, performance) : Date.now;
  const hooks = native !== null && typeof native === 'object' ? native : {};
  const promiseDetails = typeof hooks.promiseDetails === 'function' ? hooks.promiseDetails : undefined;
  const proxyDetails = typeof hooks.proxyDetails === 'function' ? hooks.proxyDetails : undefined;
  const previewEntries = typeof hooks.previewEntries === 'function' ? hooks.previewEntries : undefined;
  // Counters, timers and the group depth live in the runtime (src/console/mod.rs), where the host
  // reads and resets them synchronously (runtime.console.getCounters(), reset()).
  const { consoleCount, consoleCountReset, consoleTime, consoleTimer, consoleGroup } = hooks;

  // Global constructor names present before user code, like Node's
  // builtInObjects (used by `%s` and `showHidden`). Only the name list is
  // taken at install; filtering it waits for first use to keep install cheap.
  const globalNames = ObjectGetOwnPropertyNames(global);
  let builtInObjects;
  function isBuiltInName(name) {
    if (builtInObjects === undefined) {
      builtInObjects = { __proto__: null };
      for (let i = 0; i < globalNames.length; i++) {
        if (RegExpPrototypeExec(/^[A-Z][a-zA-Z0-9]+$/, globalNames[i]) !== null) {
          builtInObjects[globalNames[i]] = true;
        }
      }
    }
    return builtInObjects[name] === true;
  }

  // ---------------------------------------------------------------------------
  // Type checks. Brand-checking built-in accessors/methods throw on the wrong
  // receiver, which is the pure-JS way to ask what Node asks V8 directly.
  function brand(fn, arg) {
    return (v) => {
      try {
        fn(v, arg);
        return true;
      } catch {
        return false;
      }
    };
  }
  const isMap = brand(MapPrototypeGetSize);
  const isSet = brand(SetPrototypeGetSize);
  const isDate = brand(DatePrototypeGetTime);
  const isWeakMap = brand(WeakMapPrototypeHas, {});
  const isWeakSet = brand(WeakSetPrototypeHas, {});
  const isArrayBuffer = brand(ArrayBufferPrototypeGetByteLength);
  const isSharedArrayBuffer = SharedArrayBufferPrototypeGetByteLength === undefined ?
    () => false : brand(SharedArrayBufferPrototypeGetByteLength);
  const isDataView = brand(DataViewPrototypeGetByteLength);
  const isNumberObject = brand(NumberPrototypeValueOf);
  const isStringObject = brand(StringPrototypeValueOf);
  const isBooleanObject = brand(BooleanPrototypeValueOf);
  const isBigIntObject = brand(BigIntPrototypeValueOf);
  const isSymbolObject = brand(SymbolPrototypeValueOf);
  const isRegExpBrand = brand(RegExpPrototypeGetSource);
  const RegExpPrototype = RegExp.prototype;
  const isRegExp = (v) => v !== RegExpPrototype && isRegExpBrand(v);
  const isTypedArray = (v) => TypedArrayPrototypeGetSymbolToStringTag(v) !== undefined;
  const isAnyArrayBuffer = (v) => isArrayBuffer(v) || isSharedArrayBuffer(v);
  const isBoxedPrimitive = (v) => isNumberObject(v) || isStringObject(v) ||
    isBooleanObject(v) || isBigIntObject(v) || isSymbolObject(v);
  const isArgumentsObject = (v) => ObjectPrototypeToString(v) === '[object Arguments]';
  const isMapIterator = (v) => ObjectPrototypeToString(v) === '[object Map Iterator]';
  const isSetIterator = (v) => ObjectPrototypeToString(v) === '[object Set Iterator]';
  const isModuleNamespaceObject = (v) => ObjectGetPrototypeOf(v) === null &&
    ObjectPrototypeToString(v) === '[object Module]' &&
    !ObjectPrototypePropertyIsEnumerable(v, SymbolToStringTag);
  // Array.isArray throws only for a revoked proxy, and runs no trap.
  function isRevokedProxy(v) {
    try {
      ArrayIsArray(v);
      return false;
    } catch {
      return true;
    }
  }
  function protoChainHas(v, proto) {
    for (let p = ObjectGetPrototypeOf(v); p !== null; p = ObjectGetPrototypeOf(p)) {
      if (p === proto) return true;
    }
    return false;
  }
  const isPromise = (v) => protoChainHas(v, PromisePrototype);
  const isAsyncFunction = (v) => protoChainHas(v, AsyncFunctionPrototype) ||
    protoChainHas(v, AsyncGeneratorFunctionPrototype);
  const isGeneratorFunction = (v) => protoChainHas(v, GeneratorFunctionPrototype) ||
    protoChainHas(v, AsyncGeneratorFunctionPrototype);
  // Node: a native error (the [[ErrorData]] slot, which Object.prototype.toString
  // reveals) or anything inheriting from Error.prototype.
  function isError(v) {
    return ObjectPrototypeToString(v) === '[object Error]' || FunctionPrototypeSymbolHasInstance(ErrorCtor, v);
  }
  // Approximates V8's JSReceiver::GetConstructorName for the objects that
  // reach it (no usable `constructor`): a string @@toStringTag data property,
  // else a named `constructor`, else the object's kind.
  function internalGetConstructorName(v) {
    for (let p = v; p !== null; p = ObjectGetPrototypeOf(p)) {
      const desc = ObjectGetOwnPropertyDescriptor(p, SymbolToStringTag);
      if (desc !== undefined) {
        if (typeof desc.value === 'string' && desc.value !== '') return desc.value;
        break;
      }
    }
    for (let p = v; p !== null; p = ObjectGetPrototypeOf(p)) {
      const desc = ObjectGetOwnPropertyDescriptor(p, 'constructor');
      if (desc !== undefined && typeof desc.value === 'function' && desc.value.name !== '') {
        return StringCtor(desc.value.name);
      }
    }
    if (typeof v === 'function') return 'Function';
    if (ArrayIsArray(v)) return 'Array';
    return 'Object';
  }

  // ---------------------------------------------------------------------------
  // Small string helpers that do not go through patchable RegExp methods.
  function replaceAll(str, search, replacement) {
    let pos = StringPrototypeIndexOf(str, search);
    if (pos === -1) return str;
    let out = '';
    let last = 0;
    while (pos !== -1) {
      out += StringPrototypeSlice(str, last, pos) + replacement;
      last = pos + search.length;
      pos = StringPrototypeIndexOf(str, search, last);
    }
    return out + StringPrototypeSlice(str, last);
  }
  // Removes every match of a global regexp.
  function removeMatches(re, str) {
    re.lastIndex = 0;
    let out = '';
    let last = 0;
    let m;
    while ((m = RegExpPrototypeExec(re, str)) !== null) {
      out += StringPrototypeSlice(str, last, m.index);
      last = m.index + m[0].length;
      if (m[0].length === 0) re.lastIndex++;
    }
    return last === 0 ? str : out + StringPrototypeSlice(str, last);
  }
  function splitLines(str) {
    // Like str.split(/(?<=\n)/): pieces keep their trailing newline.
    const out = [];
    let last = 0;
    let pos;
    while ((pos = StringPrototypeIndexOf(str, '\n', last)) !== -1 && pos + 1 < str.length) {
      ArrayPrototypePush(out, StringPrototypeSlice(str, last, pos + 1));
      last = pos + 1;
    }
    ArrayPrototypePush(out, StringPrototypeSlice(str, last));
    return out;
  }
  function splitString(str, sep) {
    const out = [];
    let last = 0;
    let pos;
    while ((pos = StringPrototypeIndexOf(str, sep, last)) !== -1) {
      ArrayPrototypePush(out, StringPrototypeSlice(str, last, pos));
      last = pos + sep.length;
    }
    ArrayPrototypePush(out, StringPrototypeSlice(str, last));
    return out;
  }
  function join(output, separator) {
    let str = '';
    if (output.length !== 0) {
      const lastIndex = output.length - 1;
      for (let i = 0; i < lastIndex; i++) str += output[i] + separator;
      str += output[lastIndex];
    }
    return str;
  }

  // ---------------------------------------------------------------------------
  // util.inspect (Node 20 semantics, no Node APIs).
  const inspectDefaultOptions = {
    __proto__: null,
    showHidden: false,
    depth: 2,
    colors: false,
    customInspect: true,
    showProxy: false,
    maxArrayLength: 100,
    maxStringLength: 10000,
    breakLength: 80,
    compact: 3,
    sorted: false,
    getters: false,
    numericSeparator: false,
  };
  const kObjectType = 0;
  const kArrayType = 1;
  const kArrayExtrasType = 2;
  const kMinLineLength = 16;
  // Above this length, own non-index keys of arrays are not looked for: pure
  // JS can only find them by listing every index.
  const kMaxKeyScanLength = 1e5;
  const keyStrRegExp = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
  const numberRegExp = /^(0|[1-9][0-9]*)$/;
  const classRegExp = /^(\s+[^(]*?)\s*{/;
  const stripCommentsRegExp = /(\/\/.*?\n)|(\/\*(.|\n)*?\*\/)/g;
  const ansi = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d\/\#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d\/\#&.:=?%@~_]*)*)?(?:\u0007|\u001B\u005C|\u009C))|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-nq-uy=><~]))/g;

  const meta = [
    '\\x00', '\\x01', '\\x02', '\\x03', '\\x04', '\\x05', '\\x06', '\\x07',
    '\\b', '\\t', '\\n', '\\x0B', '\\f', '\\r', '\\x0E', '\\x0F',
    '\\x10', '\\x11', '\\x12', '\\x13', '\\x14', '\\x15', '\\x16', '\\x17',
    '\\x18', '\\x19', '\\x1A', '\\x1B', '\\x1C', '\\x1D', '\\x1E', '\\x1F',
  ];
  function metaFor(code) {
    if (code < 32) return meta[code];
    if (code === 39) return "\\'";
    if (code === 92) return '\\\\';
    // 0x7f-0x9f
    return `\\x${StringPrototypePadStart(toUpperHex(code), 2, '0')}`;
  }
  function toUpperHex(n) {
    const s = NumberPrototypeToString(n, 16);
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = StringPrototypeCharCodeAt(s, i);
      out += c >= 97 ? StringCtor.fromCharCode(c - 32) : s[i];
    }
    return out;
  }

  const styles = {
    __proto__: null,
    special: 'cyan', number: 'yellow', bigint: 'yellow', boolean: 'yellow', undefined: 'grey',
    null: 'bold', string: 'green', symbol: 'green', date: 'magenta', regexp: 'red', module: 'underline',
  };
  const colors = {
    __proto__: null,
    bold: [1, 22], underline: [4, 24], red: [31, 39], green: [32, 39], yellow: [33, 39],
    magenta: [35, 39], cyan: [36, 39], grey: [90, 39],
  };
  function stylizeWithColor(str, styleType) {
    const style = styles[styleType];
    if (style !== undefined) {
      const color = colors[style];
      if (color !== undefined) return `\u001b[${color[0]}m${str}\u001b[${color[1]}m`;
    }
    return str;
  }
  function stylizeNoColor(str) {
    return str;
  }

  function inspect(value, opts) {
    const ctx = {
      __proto__: null,
      budget: { __proto__: null },
      indentationLvl: 0,
      seen: [],
      currentDepth: 0,
      stylize: stylizeNoColor,
      showHidden: inspectDefaultOptions.showHidden,
      depth: inspectDefaultOptions.depth,
      colors: inspectDefaultOptions.colors,
      customInspect: inspectDefaultOptions.customInspect,
      showProxy: inspectDefaultOptions.showProxy,
      maxArrayLength: inspectDefaultOptions.maxArrayLength,
      maxStringLength: inspectDefaultOptions.maxStringLength,
      breakLength: inspectDefaultOptions.breakLength,
      compact: inspectDefaultOptions.compact,
      sorted: inspectDefaultOptions.sorted,
      getters: inspectDefaultOptions.getters,
      numericSeparator: inspectDefaultOptions.numericSeparator,
      circular: undefined,
      userOptions: undefined,
    };
    if (typeof opts === 'boolean') {
      ctx.showHidden = opts;
    } else if (opts) {
      const optKeys = ObjectKeys(opts);
      for (let i = 0; i < optKeys.length; ++i) {
        const key = optKeys[i];
        if (key in inspectDefaultOptions || key === 'stylize') {
          ctx[key] = opts[key];
        } else if (ctx.userOptions === undefined) {
          ctx.userOptions = opts;
        }
      }
    }
    if (ctx.colors) ctx.stylize = stylizeWithColor;
    if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
    if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
    return formatValue(ctx, value, 0);
  }

  function getUserOptions(ctx, isCrossContext) {
    const ret = {
      stylize: ctx.stylize,
      showHidden: ctx.showHidden,
      depth: ctx.depth,
      colors: ctx.colors,
      customInspect: ctx.customInspect,
      showProxy: ctx.showProxy,
      maxArrayLength: ctx.maxArrayLength,
      maxStringLength: ctx.maxStringLength,
      breakLength: ctx.breakLength,
      compact: ctx.compact,
      sorted: ctx.sorted,
      getters: ctx.getters,
      numericSeparator: ctx.numericSeparator,
      ...ctx.userOptions,
    };
    if (isCrossContext) {
      ObjectSetPrototypeOf(ret, null);
      const keys = ObjectKeys(ret);
      for (let i = 0; i < keys.length; i++) {
        const v = ret[keys[i]];
        if ((typeof v === 'object' || typeof v === 'function') && v !== null) delete ret[keys[i]];
      }
      const stylize = (value, flavour) => {
        let stylized;
        try {
          stylized = `${ctx.stylize(value, flavour)}`;
        } catch {
          // Fall through to the unstyled value.
        }
        return typeof stylized !== 'string' ? value : stylized;
      };
      ObjectSetPrototypeOf(stylize, null);
      ret.stylize = stylize;
    }
    return ret;
  }

  function formatValue(ctx, value, recurseTimes, typedArray) {
    if (typeof value !== 'object' && typeof value !== 'function') {
      return formatPrimitive(ctx.stylize, value, ctx);
    }
    if (value === null) return ctx.stylize('null', 'null');

    const context = value;
    let proxy;
    if (proxyDetails !== undefined) {
      proxy = proxyDetails(value);
      if (proxy !== undefined) {
        if (proxy === null || proxy[0] === null) return ctx.stylize('<Revoked Proxy>', 'special');
        if (ctx.showProxy) return formatProxy(ctx, proxy, recurseTimes);
        value = proxy[0];
      }
    } else if (isRevokedProxy(value)) {
      return ctx.stylize('<Revoked Proxy>', 'special');
    }

    if (ctx.customInspect) {
      const maybeCustom = value[customInspectSymbol];
      if (typeof maybeCustom === 'function' &&
          maybeCustom !== inspect &&
          !(value.constructor && value.constructor.prototype === value)) {
        const depth = ctx.depth === null ? null : ctx.depth - recurseTimes;
        const isCrossContext = proxy !== undefined || !FunctionPrototypeSymbolHasInstance(ObjectCtor, context);
        const ret = FunctionPrototypeCall(maybeCustom, context, depth,
                                          getUserOptions(ctx, isCrossContext), inspect);
        if (ret !== context) {
          if (typeof ret !== 'string') return formatValue(ctx, ret, recurseTimes);
          return replaceAll(ret, '\n', `\n${StringPrototypeRepeat(' ', ctx.indentationLvl)}`);
        }
      }
    }

    if (ArrayPrototypeIncludes(ctx.seen, value)) {
      let index = 1;
      if (ctx.circular === undefined) {
        ctx.circular = new MapCtor();
        MapPrototypeSet(ctx.circular, value, index);
      } else {
        index = MapPrototypeGet(ctx.circular, value);
        if (index === undefined) {
          index = MapPrototypeGetSize(ctx.circular) + 1;
          MapPrototypeSet(ctx.circular, value, index);
        }
      }
      return ctx.stylize(`[Circular *${index}]`, 'special');
    }
    return formatRaw(ctx, value, recurseTimes, typedArray);
  }

  function formatProxy(ctx, proxy, recurseTimes) {
    if (recurseTimes > ctx.depth && ctx.depth !== null) return ctx.stylize('Proxy [Array]', 'special');
    recurseTimes += 1;
    ctx.indentationLvl += 2;
    const res = [formatValue(ctx, proxy[0], recurseTimes), formatValue(ctx, proxy[1], recurseTimes)];
    ctx.indentationLvl -= 2;
    return reduceToSingleString(ctx, res, '', ['Proxy [', ']'], kArrayExtrasType, recurseTimes);
  }

  function getEmptyFormatArray() {
    return [];
  }

  function isInstanceof(object, proto) {
    try {
      // OrdinaryHasInstance: a Symbol.hasInstance a script defined does not change the output.
      return FunctionPrototypeSymbolHasInstance(proto, object);
    } catch {
      return false;
    }
  }

  function getConstructorName(obj, ctx, recurseTimes, protoProps) {
    let firstProto;
    const tmp = obj;
    while (obj) {
      if (obj === ObjectPrototype || obj === FunctionPrototype) {
        const ctor = obj === ObjectPrototype ? ObjectCtor : FunctionCtor;
        if (FunctionPrototypeSymbolHasInstance(ctor, tmp)) {
          if (protoProps !== undefined && firstProto !== obj) {
            addPrototypeProperties(ctx, tmp, firstProto || tmp, recurseTimes, protoProps);
          }
          return obj === ObjectPrototype ? 'Object' : 'Function';
        }
      }
      const descriptor = ObjectGetOwnPropertyDescriptor(obj, 'constructor');
      if (descriptor !== undefined &&
          typeof descriptor.value === 'function' &&
          descriptor.value.name !== '' &&
          isInstanceof(tmp, descriptor.value)) {
        if (protoProps !== undefined &&
            (firstProto !== obj || !isBuiltInName(descriptor.value.name))) {
          addPrototypeProperties(ctx, tmp, firstProto || tmp, recurseTimes, protoProps);
        }
        return StringCtor(descriptor.value.name);
      }
      obj = ObjectGetPrototypeOf(obj);
      if (firstProto === undefined) firstProto = obj;
    }
    if (firstProto === null) return null;

    const res = internalGetConstructorName(tmp);
    if (recurseTimes > ctx.depth && ctx.depth !== null) return `${res} <Complex prototype>`;
    const protoConstr = getConstructorName(firstProto, ctx, recurseTimes + 1, protoProps);
    if (protoConstr === null) {
      return `${res} <${inspect(firstProto, { ...ctx, customInspect: false, depth: -1 })}>`;
    }
    return `${res} <${protoConstr}>`;
  }

  // Only used with showHidden: lists accessors/values from user prototypes.
  function addPrototypeProperties(ctx, main, obj, recurseTimes, output) {
    let depth = 0;
    let keys;
    let keySet;
    do {
      if (depth !== 0 || main === obj) {
        obj = ObjectGetPrototypeOf(obj);
        if (obj === null) return;
        const descriptor = ObjectGetOwnPropertyDescriptor(obj, 'constructor');
        if (descriptor !== undefined &&
            typeof descriptor.value === 'function' &&
            isBuiltInName(descriptor.value.name)) {
          return;
        }
      }
      if (depth === 0) {
        keySet = { __proto__: null };
      } else {
        for (let i = 0; i < keys.length; i++) keySet[keys[i]] = true;
      }
      keys = ReflectOwnKeys(obj);
      ArrayPrototypePush(ctx.seen, main);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (key === 'constructor' ||
            ObjectPrototypeHasOwnProperty(main, key) ||
            (depth !== 0 && key in keySet)) {
          continue;
        }
        const desc = ObjectGetOwnPropertyDescriptor(obj, key);
        if (typeof desc.value === 'function') continue;
        const value = formatProperty(ctx, obj, recurseTimes, key, kObjectType, desc, main);
        ArrayPrototypePush(output, ctx.colors ? `\u001b[2m${value}\u001b[22m` : value);
      }
      ArrayPrototypePop(ctx.seen);
    } while (++depth !== 3);
  }

  function getPrefix(constructor, tag, fallback, size = '') {
    if (constructor === null) {
      if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
      return `[${fallback}${size}: null prototype] `;
    }
    if (tag !== '' && constructor !== tag) return `${constructor}${size} [${tag}] `;
    return `${constructor}${size} `;
  }

  function getKeys(value, showHidden) {
    let keys;
    const symbols = ObjectGetOwnPropertySymbols(value);
    if (showHidden) {
      keys = ObjectGetOwnPropertyNames(value);
      for (let i = 0; i < symbols.length; i++) ArrayPrototypePush(keys, symbols[i]);
    } else {
      try {
        keys = ObjectKeys(value);
      } catch {
        // Module namespace with uninitialized bindings.
        keys = ObjectGetOwnPropertyNames(value);
      }
      for (let i = 0; i < symbols.length; i++) {
        if (ObjectPrototypePropertyIsEnumerable(value, symbols[i])) ArrayPrototypePush(keys, symbols[i]);
      }
    }
    return keys;
  }

  function isIndexKey(key, isArray) {
    if (RegExpPrototypeExec(numberRegExp, key) === null) return false;
    return !isArray || +key <= 2 ** 32 - 2;
  }

  function getOwnNonIndexProperties(value, showHidden, length) {
    const out = [];
    if (length > kMaxKeyScanLength) return out;
    const isArray = ArrayIsArray(value);
    const keys = ReflectOwnKeys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (typeof key === 'string' && isIndexKey(key, isArray)) continue;
      if (!showHidden && !ObjectPrototypePropertyIsEnumerable(value, key)) continue;
      ArrayPrototypePush(out, key);
    }
    return out;
  }

  function getCtxStyle(value, constructor, tag) {
    let fallback = '';
    if (constructor === null) {
      fallback = internalGetConstructorName(value);
      if (fallback === tag) fallback = 'Object';
    }
    return getPrefix(constructor, tag, fallback);
  }

  function isStackOverflowError(err) {
    return err !== null && typeof err === 'object' && err.name === 'RangeError' &&
      err.message === 'Maximum call stack size exceeded';
  }

  function formatRaw(ctx, value, recurseTimes, typedArray) {
    let keys;
    let protoProps;
    if (ctx.showHidden && (recurseTimes <= ctx.depth || ctx.depth === null)) protoProps = [];

    const constructor = getConstructorName(value, ctx, recurseTimes, protoProps);
    if (protoProps !== undefined && protoProps.length === 0) protoProps = undefined;

    let tag = value[SymbolToStringTag];
    // Only a tag from the prototype is shown; an own (enumerable) one is
    // already printed as a property.
    if (typeof tag !== 'string' ||
        (tag !== '' &&
         (ctx.showHidden ? ObjectPrototypeHasOwnProperty : ObjectPrototypePropertyIsEnumerable)(
           value, SymbolToStringTag))) {
      tag = '';
    }
    let base = '';
    let formatter = getEmptyFormatArray;
    let braces;
    let noIterator = true;
    let extrasType = kObjectType;

    if (SymbolIterator in value || constructor === null) {
      noIterator = false;
      if (ArrayIsArray(value)) {
        const prefix = (constructor !== 'Array' || tag !== '') ?
          getPrefix(constructor, tag, 'Array', `(${value.length})`) : '';
        keys = getOwnNonIndexProperties(value, ctx.showHidden, value.length);
        braces = [`${prefix}[`, ']'];
        if (value.length === 0 && keys.length === 0 && protoProps === undefined) return `${braces[0]}]`;
        extrasType = kArrayExtrasType;
        formatter = formatArray;
      } else if (isSet(value)) {
        const size = SetPrototypeGetSize(value);
        const prefix = getPrefix(constructor, tag, 'Set', `(${size})`);
        keys = getKeys(value, ctx.showHidden);
        formatter = (ctx, v, recurseTimes) => formatSet(value, ctx, recurseTimes);
        if (size === 0 && keys.length === 0 && protoProps === undefined) return `${prefix}{}`;
        braces = [`${prefix}{`, '}'];
      } else if (isMap(value)) {
        const size = MapPrototypeGetSize(value);
        const prefix = getPrefix(constructor, tag, 'Map', `(${size})`);
        keys = getKeys(value, ctx.showHidden);
        formatter = (ctx, v, recurseTimes) => formatMap(value, ctx, recurseTimes);
        if (size === 0 && keys.length === 0 && protoProps === undefined) return `${prefix}{}`;
        braces = [`${prefix}{`, '}'];
      } else if (isTypedArray(value)) {
        const size = TypedArrayPrototypeGetLength(value);
        keys = getOwnNonIndexProperties(value, ctx.showHidden, size);
        let bound = value;
        let fallback = '';
        if (constructor === null) {
          fallback = TypedArrayPrototypeGetSymbolToStringTag(value);
          bound = new typedArrayCtors[fallback](value);
        }
        const prefix = getPrefix(constructor, tag, fallback, `(${size})`);
        braces = [`${prefix}[`, ']'];
        if (size === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
        formatter = (ctx, v, recurseTimes) => formatTypedArray(bound, size, ctx, recurseTimes);
        extrasType = kArrayExtrasType;
      } else if (isMapIterator(value)) {
        keys = getKeys(value, ctx.showHidden);
        braces = getIteratorBraces('Map', tag);
        formatter = (ctx, v, recurseTimes) => formatIterator(braces, ctx, value, recurseTimes);
      } else if (isSetIterator(value)) {
        keys = getKeys(value, ctx.showHidden);
        braces = getIteratorBraces('Set', tag);
        formatter = (ctx, v, recurseTimes) => formatIterator(braces, ctx, value, recurseTimes);
      } else {
        noIterator = true;
      }
    }
    if (noIterator) {
      keys = getKeys(value, ctx.showHidden);
      braces = ['{', '}'];
      if (typeof value === 'function') {
        base = getFunctionBase(value, constructor, tag);
        if (keys.length === 0 && protoProps === undefined) return ctx.stylize(base, 'special');
      } else if (constructor === 'Object') {
        if (isArgumentsObject(value)) {
          braces[0] = '[Arguments] {';
        } else if (tag !== '') {
          braces[0] = `${getPrefix(constructor, tag, 'Object')}{`;
        }
        if (keys.length === 0 && protoProps === undefined) return `${braces[0]}}`;
      } else if (isRegExp(value)) {
        base = RegExpPrototypeToString(constructor !== null ? value : new RegExpCtor(value));
        const prefix = getPrefix(constructor, tag, 'RegExp');
        if (prefix !== 'RegExp ') base = `${prefix}${base}`;
        if ((keys.length === 0 && protoProps === undefined) ||
            (recurseTimes > ctx.depth && ctx.depth !== null)) {
          return ctx.stylize(base, 'regexp');
        }
      } else if (isDate(value)) {
        base = NumberIsNaN(DatePrototypeGetTime(value)) ?
          DatePrototypeToString(value) : DatePrototypeToISOString(value);
        const prefix = getPrefix(constructor, tag, 'Date');
        if (prefix !== 'Date ') base = `${prefix}${base}`;
        if (keys.length === 0 && protoProps === undefined) return ctx.stylize(base, 'date');
      } else if (isError(value)) {
        base = formatError(value, constructor, tag, ctx, keys);
        if (keys.length === 0 && protoProps === undefined) return base;
      } else if (isAnyArrayBuffer(value)) {
        const arrayType = isArrayBuffer(value) ? 'ArrayBuffer' : 'SharedArrayBuffer';
        const prefix = getPrefix(constructor, tag, arrayType);
        if (typedArray === undefined) {
          formatter = formatArrayBuffer;
        } else if (keys.length === 0 && protoProps === undefined) {
          return prefix + `{ byteLength: ${formatNumber(ctx.stylize, value.byteLength, false)} }`;
        }
        braces[0] = `${prefix}{`;
        ArrayPrototypeUnshift(keys, 'byteLength');
      } else if (isDataView(value)) {
        braces[0] = `${getPrefix(constructor, tag, 'DataView')}{`;
        ArrayPrototypeUnshift(keys, 'byteLength', 'byteOffset', 'buffer');
      } else if (isPromise(value)) {
        braces[0] = `${getPrefix(constructor, tag, 'Promise')}{`;
        formatter = formatPromise;
      } else if (isWeakSet(value)) {
        braces[0] = `${getPrefix(constructor, tag, 'WeakSet')}{`;
        formatter = formatWeakCollection;
      } else if (isWeakMap(value)) {
        braces[0] = `${getPrefix(constructor, tag, 'WeakMap')}{`;
        formatter = formatWeakCollection;
      } else if (isModuleNamespaceObject(value)) {
        braces[0] = `${getPrefix(constructor, tag, 'Module')}{`;
        const nsKeys = keys;
        formatter = (ctx, v, recurseTimes) => formatNamespaceObject(nsKeys, ctx, value, recurseTimes);
      } else if (isBoxedPrimitive(value)) {
        base = getBoxedBase(value, ctx, keys, constructor, tag);
        if (keys.length === 0 && protoProps === undefined) return base;
      } else {
        if (keys.length === 0 && protoProps === undefined) return `${getCtxStyle(value, constructor, tag)}{}`;
        braces[0] = `${getCtxStyle(value, constructor, tag)}{`;
      }
    }

    if (recurseTimes > ctx.depth && ctx.depth !== null) {
      let constructorName = StringPrototypeSlice(getCtxStyle(value, constructor, tag), 0, -1);
      if (constructor !== null) constructorName = `[${constructorName}]`;
      return ctx.stylize(constructorName, 'special');
    }
    recurseTimes += 1;

    ArrayPrototypePush(ctx.seen, value);
    ctx.currentDepth = recurseTimes;
    let output;
    const indentationLvl = ctx.indentationLvl;
    try {
      output = formatter(ctx, value, recurseTimes);
      for (let i = 0; i < keys.length; i++) {
        ArrayPrototypePush(output, formatProperty(ctx, value, recurseTimes, keys[i], extrasType));
      }
      if (protoProps !== undefined) {
        for (let i = 0; i < protoProps.length; i++) ArrayPrototypePush(output, protoProps[i]);
      }
    } catch (err) {
      if (!isStackOverflowError(err)) throw err;
      const constructorName = StringPrototypeSlice(getCtxStyle(value, constructor, tag), 0, -1);
      ArrayPrototypePop(ctx.seen);
      ctx.indentationLvl = indentationLvl;
      return ctx.stylize(`[${constructorName}: Inspection interrupted prematurely. ` +
        'Maximum call stack size exceeded.]', 'special');
    }
    if (ctx.circular !== undefined) {
      const index = MapPrototypeGet(ctx.circular, value);
      if (index !== undefined) {
        const reference = ctx.stylize(`<ref *${index}>`, 'special');
        if (ctx.compact !== true) {
          base = base === '' ? reference : `${reference} ${base}`;
        } else {
          braces[0] = `${reference} ${braces[0]}`;
        }
      }
    }
    ArrayPrototypePop(ctx.seen);

    if (ctx.sorted) {
      const comparator = ctx.sorted === true ? undefined : ctx.sorted;
      if (extrasType === kObjectType) {
        ArrayPrototypeSort(output, comparator);
      } else if (keys.length > 1) {
        const sorted = ArrayPrototypeSort(ArrayPrototypeSlice(output, output.length - keys.length), comparator);
        ArrayPrototypeUnshift(sorted, output, output.length - keys.length, keys.length);
        ReflectApply(ArrayPrototypeSplice, null, sorted);
      }
    }

    // Only the engine-dependent formatters (promise, iterators) can leave
    // nothing to show; print `Promise {}` rather than `Promise {  }`.
    const res = output.length === 0 && base === '' ?
      `${braces[0]}}` :
      reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
    const budget = ctx.budget[ctx.indentationLvl] || 0;
    const newLength = budget + res.length;
    ctx.budget[ctx.indentationLvl] = newLength;
    // Stop descending once the output gets absurdly large (as Node does).
    if (newLength > 2 ** 27) ctx.depth = -1;
    return res;
  }

  function getIteratorBraces(type, tag) {
    if (tag !== `${type} Iterator`) {
      if (tag !== '') tag += '] [';
      tag += `${type} Iterator`;
    }
    return [`[${tag}] {`, '}'];
  }

  function getBoxedBase(value, ctx, keys, constructor, tag) {
    let fn;
    let type;
    if (isNumberObject(value)) {
      fn = NumberPrototypeValueOf;
      type = 'Number';
    } else if (isStringObject(value)) {
      fn = StringPrototypeValueOf;
      type = 'String';
      // The index keys of a String object are its characters.
      ArrayPrototypeSplice(keys, 0, StringPrototypeValueOf(value).length);
    } else if (isBooleanObject(value)) {
      fn = BooleanPrototypeValueOf;
      type = 'Boolean';
    } else if (isBigIntObject(value)) {
      fn = BigIntPrototypeValueOf;
      type = 'BigInt';
    } else {
      fn = SymbolPrototypeValueOf;
      type = 'Symbol';
    }
    let base = `[${type}`;
    if (type !== constructor) {
      if (constructor === null) {
        base += ' (null prototype)';
      } else {
        base += ` (${constructor})`;
      }
    }
    base += `: ${formatPrimitive(stylizeNoColor, fn(value), ctx)}]`;
    if (tag !== '' && tag !== constructor) base += ` [${tag}]`;
    if (keys.length !== 0 || ctx.stylize === stylizeNoColor) return base;
    return ctx.stylize(base, StringPrototypeToLowerCase(type));
  }

  function getClassBase(value, constructor, tag) {
    const hasName = ObjectPrototypeHasOwnProperty(value, 'name');
    const name = (hasName && value.name) || '(anonymous)';
    let base = `class ${name}`;
    if (constructor !== 'Function' && constructor !== null) base += ` [${constructor}]`;
    if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
    if (constructor !== null) {
      const superName = ObjectGetPrototypeOf(value).name;
      if (superName) base += ` extends ${superName}`;
    } else {
      base += ' extends [null prototype]';
    }
    return `[${base}]`;
  }

  function getFunctionBase(value, constructor, tag) {
    const stringified = FunctionPrototypeToString(value);
    if (StringPrototypeStartsWith(stringified, 'class') && stringified[stringified.length - 1] === '}') {
      const slice = StringPrototypeSlice(stringified, 5, -1);
      const bracketIndex = StringPrototypeIndexOf(slice, '{');
      if (bracketIndex !== -1 &&
          (!StringPrototypeIncludes(StringPrototypeSlice(slice, 0, bracketIndex), '(') ||
           RegExpPrototypeExec(classRegExp, removeMatches(stripCommentsRegExp, slice)) !== null)) {
        return getClassBase(value, constructor, tag);
      }
    }
    let type = 'Function';
    if (isGeneratorFunction(value)) type = `Generator${type}`;
    if (isAsyncFunction(value)) type = `Async${type}`;
    let base = `[${type}`;
    if (constructor === null) base += ' (null prototype)';
    if (value.name === '') {
      base += ' (anonymous)';
    } else {
      base += `: ${value.name}`;
    }
    base += ']';
    if (constructor !== type && constructor !== null) base += ` ${constructor}`;
    if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
    return base;
  }

  function identicalSequenceRange(a, b) {
    for (let i = 0; i < a.length - 3; i++) {
      const pos = ArrayPrototypeIndexOf(b, a[i]);
      if (pos !== -1) {
        const rest = b.length - pos;
        if (rest > 3) {
          let len = 1;
          const maxLen = MathMin(a.length - i, rest);
          while (maxLen > len && a[i + len] === b[pos + len]) len++;
          if (len > 3) return { len, offset: i };
        }
      }
    }
    return { len: 0, offset: 0 };
  }

  function getStackString(error) {
    return error.stack ? StringCtor(error.stack) : ErrorPrototypeToString(error);
  }

  function getStackFrames(ctx, err, stack) {
    const frames = splitString(stack, '\n');
    let cause;
    try {
      ({ cause } = err);
    } catch {
      // A throwing `cause` getter is ignored here.
    }
    // Frames shared with the cause's stack are collapsed, as Node does.
    if (cause != null && isError(cause)) {
      const causeStack = getStackString(cause);
      const causeStackStart = StringPrototypeIndexOf(causeStack, '\n    at');
      if (causeStackStart !== -1) {
        const causeFrames = splitString(StringPrototypeSlice(causeStack, causeStackStart + 1), '\n');
        const { len, offset } = identicalSequenceRange(frames, causeFrames);
        if (len > 0) {
          const skipped = len - 2;
          const msg = `    ... ${skipped} lines matching cause stack trace ...`;
          ArrayPrototypeSplice(frames, offset + 1, skipped, ctx.stylize(msg, 'undefined'));
        }
      }
    }
    return frames;
  }

  function improveStack(stack, constructor, name, tag) {
    let len = name.length;
    if (constructor === null ||
        (StringPrototypeEndsWith(name, 'Error') &&
         StringPrototypeStartsWith(stack, name) &&
         (stack.length === len || stack[len] === ':' || stack[len] === '\n'))) {
      let fallback = 'Error';
      if (constructor === null) {
        const start = RegExpPrototypeExec(/^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n {4}at)/, stack) ||
          RegExpPrototypeExec(/^([a-z_A-Z0-9-]*Error)$/, stack);
        fallback = (start && start[1]) || '';
        len = fallback.length;
        fallback = fallback || 'Error';
      }
      const prefix = StringPrototypeSlice(getPrefix(constructor, tag, fallback), 0, -1);
      if (name !== prefix) {
        if (StringPrototypeIncludes(prefix, name)) {
          if (len === 0) {
            stack = `${prefix}: ${stack}`;
          } else {
            stack = `${prefix}${StringPrototypeSlice(stack, len)}`;
          }
        } else {
          stack = `${prefix} [${name}]${StringPrototypeSlice(stack, len)}`;
        }
      }
    }
    return stack;
  }

  function removeDuplicateErrorKeys(ctx, keys, err, stack) {
    if (!ctx.showHidden && keys.length !== 0) {
      const names = ['name', 'message', 'stack'];
      for (let i = 0; i < names.length; i++) {
        const index = ArrayPrototypeIndexOf(keys, names[i]);
        if (index !== -1 && StringPrototypeIncludes(stack, err[names[i]])) {
          ArrayPrototypeSplice(keys, index, 1);
        }
      }
    }
  }

  function formatError(err, constructor, tag, ctx, keys) {
    const name = err.name != null ? StringCtor(err.name) : 'Error';
    let stack = getStackString(err);
    removeDuplicateErrorKeys(ctx, keys, err, stack);
    if ('cause' in err && (keys.length === 0 || !ArrayPrototypeIncludes(keys, 'cause'))) {
      ArrayPrototypePush(keys, 'cause');
    }
    if (ArrayIsArray(err.errors) && (keys.length === 0 || !ArrayPrototypeIncludes(keys, 'errors'))) {
      ArrayPrototypePush(keys, 'errors');
    }
    stack = improveStack(stack, constructor, name, tag);

    let pos = (err.message && StringPrototypeIndexOf(stack, err.message)) || -1;
    if (pos !== -1) pos += err.message.length;
    const stackStart = StringPrototypeIndexOf(stack, '\n    at', pos);
    if (stackStart === -1) {
      stack = `[${stack}]`;
    } else {
      const lines = getStackFrames(ctx, err, StringPrototypeSlice(stack, stackStart + 1));
      stack = `${StringPrototypeSlice(stack, 0, stackStart)}\n${join(lines, '\n')}`;
    }
    if (ctx.indentationLvl !== 0) {
      stack = replaceAll(stack, '\n', `\n${StringPrototypeRepeat(' ', ctx.indentationLvl)}`);
    }
    return stack;
  }

  // Arrays with more than 6 entries are laid out in aligned columns.
  function groupArrayElements(ctx, output, value) {
    let totalLength = 0;
    let maxLength = 0;
    let i = 0;
    let outputLength = output.length;
    if (ctx.maxArrayLength < output.length) {
      // This makes sure the "... n more items" part is not taken into account.
      outputLength--;
    }
    const separatorSpace = 2; // Add 1 for the space and 1 for the separator.
    const dataLen = [];
    for (; i < outputLength; i++) {
      const len = getStringWidth(output[i], ctx.colors);
      ArrayPrototypePush(dataLen, len);
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength &&
        (totalLength / actualMax > 5 || maxLength <= 6)) {
      const approxCharHeights = 2.5;
      const averageBias = MathSqrt(actualMax - totalLength / output.length);
      const biasedMax = MathMax(actualMax - 3 - averageBias, 1);
      const columns = MathMin(
        MathRound(MathSqrt(approxCharHeights * biasedMax * outputLength) / biasedMax),
        MathFloor((ctx.breakLength - ctx.indentationLvl) / actualMax),
        ctx.compact * 4,
        15,
      );
      if (columns <= 1) return output;
      const tmp = [];
      const maxLineLength = [];
      for (let i = 0; i < columns; i++) {
        let lineMaxLength = 0;
        for (let j = i; j < output.length; j += columns) {
          if (dataLen[j] > lineMaxLength) lineMaxLength = dataLen[j];
        }
        ArrayPrototypePush(maxLineLength, lineMaxLength + separatorSpace);
      }
      let order = StringPrototypePadStart;
      if (value !== undefined) {
        for (let i = 0; i < output.length; i++) {
          if (typeof value[i] !== 'number' && typeof value[i] !== 'bigint') {
            order = StringPrototypePadEnd;
            break;
          }
        }
      }
      for (let i = 0; i < outputLength; i += columns) {
        const max = MathMin(i + columns, outputLength);
        let str = '';
        let j = i;
        for (; j < max - 1; j++) {
          const padding = maxLineLength[j - i] + output[j].length - dataLen[j];
          str += order(`${output[j]}, `, padding, ' ');
        }
        if (order === StringPrototypePadStart) {
          const padding = maxLineLength[j - i] + output[j].length - dataLen[j] - separatorSpace;
          str += StringPrototypePadStart(output[j], padding, ' ');
        } else {
          str += output[j];
        }
        ArrayPrototypePush(tmp, str);
      }
      if (ctx.maxArrayLength < output.length) ArrayPrototypePush(tmp, output[outputLength]);
      output = tmp;
    }
    return output;
  }

  function addNumericSeparator(integerString) {
    let result = '';
    let i = integerString.length;
    const start = integerString[0] === '-' ? 1 : 0;
    for (; i >= start + 4; i -= 3) {
      result = `_${StringPrototypeSlice(integerString, i - 3, i)}${result}`;
    }
    return i === integerString.length ? integerString : `${StringPrototypeSlice(integerString, 0, i)}${result}`;
  }

  function addNumericSeparatorEnd(integerString) {
    let result = '';
    let i = 0;
    for (; i < integerString.length - 3; i += 3) {
      result += `${StringPrototypeSlice(integerString, i, i + 3)}_`;
    }
    return i === 0 ? integerString : `${result}${StringPrototypeSlice(integerString, i)}`;
  }

  const remainingText = (remaining) => `... ${remaining} more item${remaining > 1 ? 's' : ''}`;

  function formatNumber(fn, number, numericSeparator) {
    if (!numericSeparator) {
      if (ObjectIs(number, -0)) return fn('-0', 'number');
      return fn(`${number}`, 'number');
    }
    const numberString = StringCtor(number);
    const integer = MathTrunc(number);
    if (integer === number) {
      if (!NumberIsFinite(number) || StringPrototypeIncludes(numberString, 'e')) {
        return fn(numberString, 'number');
      }
      return fn(addNumericSeparator(numberString), 'number');
    }
    if (NumberIsNaN(number)) return fn(numberString, 'number');
    const decimalIndex = StringPrototypeIndexOf(numberString, '.');
    const integerPart = StringPrototypeSlice(numberString, 0, decimalIndex);
    const fractionalPart = StringPrototypeSlice(numberString, decimalIndex + 1);
    return fn(`${addNumericSeparator(integerPart)}.${addNumericSeparatorEnd(fractionalPart)}`, 'number');
  }

  function formatBigInt(fn, bigint, numericSeparator) {
    const string = StringCtor(bigint);
    if (!numericSeparator) return fn(`${string}n`, 'bigint');
    return fn(`${addNumericSeparator(string)}n`, 'bigint');
  }

  // Quotes a string the way Node does: single quotes unless the string
  // contains them, then double quotes, then backticks.
  function strEscape(str) {
    let singleQuote = 39;
    let quote = "'";
    if (StringPrototypeIncludes(str, "'")) {
      if (!StringPrototypeIncludes(str, '"')) {
        singleQuote = -1;
        quote = '"';
      } else if (!StringPrototypeIncludes(str, '`') && !StringPrototypeIncludes(str, '${')) {
        singleQuote = -2;
        quote = '`';
      }
    }
    let result = '';
    let last = 0;
    for (let i = 0; i < str.length; i++) {
      const point = StringPrototypeCharCodeAt(str, i);
      if (point === singleQuote || point === 92 || point < 32 || (point > 126 && point < 160)) {
        result += StringPrototypeSlice(str, last, i) + metaFor(point);
        last = i + 1;
      } else if (point >= 0xd800 && point <= 0xdfff) {
        if (point <= 0xdbff && i + 1 < str.length) {
          const next = StringPrototypeCharCodeAt(str, i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) {
            i++;
            continue;
          }
        }
        // Lone surrogates are shown as escapes.
        result += `${StringPrototypeSlice(str, last, i)}\\u${NumberPrototypeToString(point, 16)}`;
        last = i + 1;
      }
    }
    if (last !== str.length) result += StringPrototypeSlice(str, last);
    return quote + result + quote;
  }

  function formatPrimitive(fn, value, ctx) {
    if (typeof value === 'string') {
      let trailer = '';
      if (value.length > ctx.maxStringLength) {
        const remaining = value.length - ctx.maxStringLength;
        value = StringPrototypeSlice(value, 0, ctx.maxStringLength);
        trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
      }
      if (ctx.compact !== true &&
          value.length > kMinLineLength &&
          value.length > ctx.breakLength - ctx.indentationLvl - 4) {
        // Long strings are split at newlines into concatenated pieces.
        const lines = splitLines(value);
        for (let i = 0; i < lines.length; i++) lines[i] = fn(strEscape(lines[i]), 'string');
        return join(lines, ` +\n${StringPrototypeRepeat(' ', ctx.indentationLvl + 2)}`) + trailer;
      }
      return fn(strEscape(value), 'string') + trailer;
    }
    if (typeof value === 'number') return formatNumber(fn, value, ctx.numericSeparator);
    if (typeof value === 'bigint') return formatBigInt(fn, value, ctx.numericSeparator);
    if (typeof value === 'boolean') return fn(`${value}`, 'boolean');
    if (typeof value === 'undefined') return fn('undefined', 'undefined');
    return fn(SymbolPrototypeToString(value), 'symbol');
  }

  function formatNamespaceObject(keys, ctx, value, recurseTimes) {
    const output = [];
    for (let i = 0; i < keys.length; i++) {
      let line;
      try {
        line = formatProperty(ctx, value, recurseTimes, keys[i], kObjectType);
      } catch {
        // A binding still in its temporal dead zone.
        const tmp = { __proto__: null, [keys[i]]: '' };
        line = formatProperty(ctx, tmp, recurseTimes, keys[i], kObjectType);
        const pos = StringPrototypeLastIndexOf(line, ' ');
        line = StringPrototypeSlice(line, 0, pos + 1) + ctx.stylize('<uninitialized>', 'special');
      }
      ArrayPrototypePush(output, line);
    }
    keys.length = 0;
    return output;
  }

  function formatSpecialArray(ctx, value, recurseTimes, maxLength, output, i) {
    const keys = ObjectKeys(value);
    let index = i;
    for (; i < keys.length && output.length < maxLength; i++) {
      const key = keys[i];
      const tmp = +key;
      // Arrays can only have up to 2^32 - 1 entries.
      if (tmp > 2 ** 32 - 2) break;
      if (`${index}` !== key) {
        if (RegExpPrototypeExec(numberRegExp, key) === null) break;
        const emptyItems = tmp - index;
        const ending = emptyItems > 1 ? 's' : '';
        ArrayPrototypePush(output, ctx.stylize(`<${emptyItems} empty item${ending}>`, 'undefined'));
        index = tmp;
        if (output.length === maxLength) break;
      }
      ArrayPrototypePush(output, formatProperty(ctx, value, recurseTimes, key, kArrayType));
      index++;
    }
    const remaining = value.length - index;
    if (output.length !== maxLength) {
      if (remaining > 0) {
        const ending = remaining > 1 ? 's' : '';
        ArrayPrototypePush(output, ctx.stylize(`<${remaining} empty item${ending}>`, 'undefined'));
      }
    } else if (remaining > 0) {
      ArrayPrototypePush(output, remainingText(remaining));
    }
    return output;
  }

  function formatArrayBuffer(ctx, value) {
    let buffer;
    try {
      buffer = new Uint8ArrayCtor(value);
    } catch {
      return [ctx.stylize('(detached)', 'special')];
    }
    const shown = MathMin(ctx.maxArrayLength, buffer.length);
    let str = '';
    for (let i = 0; i < shown; i++) {
      const b = buffer[i];
      str += (i === 0 ? '' : ' ') + (b < 16 ? '0' : '') + NumberPrototypeToString(b, 16);
    }
    const remaining = buffer.length - ctx.maxArrayLength;
    if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
    return [`${ctx.stylize('[Uint8Contents]', 'special')}: <${str}>`];
  }

  function formatArray(ctx, value, recurseTimes) {
    const valLen = value.length;
    const len = MathMin(MathMax(0, ctx.maxArrayLength), valLen);
    const remaining = valLen - len;
    const output = [];
    for (let i = 0; i < len; i++) {
      // Special handle sparse arrays.
      if (!ObjectPrototypeHasOwnProperty(value, i)) {
        return formatSpecialArray(ctx, value, recurseTimes, len, output, i);
      }
      ArrayPrototypePush(output, formatProperty(ctx, value, recurseTimes, i, kArrayType));
    }
    if (remaining > 0) ArrayPrototypePush(output, remainingText(remaining));
    return output;
  }

  function formatTypedArray(value, length, ctx, recurseTimes) {
    const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
    const remaining = length - maxLength;
    const output = [];
    const elementFormatter = length > 0 && typeof value[0] === 'number' ? formatNumber : formatBigInt;
    for (let i = 0; i < maxLength; ++i) {
      ArrayPrototypePush(output, elementFormatter(ctx.stylize, value[i], ctx.numericSeparator));
    }
    if (remaining > 0) ArrayPrototypePush(output, remainingText(remaining));
    if (ctx.showHidden) {
      // .buffer goes last, it's not a primitive like the others.
      // All besides `BYTES_PER_ELEMENT` are actually getters.
      ctx.indentationLvl += 2;
      const hidden = ['BYTES_PER_ELEMENT', 'length', 'byteLength', 'byteOffset', 'buffer'];
      for (let i = 0; i < hidden.length; i++) {
        const str = formatValue(ctx, value[hidden[i]], recurseTimes, true);
        ArrayPrototypePush(output, `[${hidden[i]}]: ${str}`);
      }
      ctx.indentationLvl -= 2;
    }
    return output;
  }

  function formatSet(value, ctx, recurseTimes) {
    const length = SetPrototypeGetSize(value);
    const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
    const remaining = length - maxLength;
    const output = [];
    ctx.indentationLvl += 2;
    const it = SetPrototypeValues(value);
    for (let i = 0; i < maxLength; i++) {
      const step = SetIteratorNext(it);
      if (step.done) break;
      ArrayPrototypePush(output, formatValue(ctx, step.value, recurseTimes));
    }
    if (remaining > 0) ArrayPrototypePush(output, remainingText(remaining));
    ctx.indentationLvl -= 2;
    return output;
  }

  function formatMap(value, ctx, recurseTimes) {
    const length = MapPrototypeGetSize(value);
    const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
    const remaining = length - maxLength;
    const output = [];
    ctx.indentationLvl += 2;
    const it = MapPrototypeEntries(value);
    for (let i = 0; i < maxLength; i++) {
      const step = MapIteratorNext(it);
      if (step.done) break;
      const entry = step.value;
      ArrayPrototypePush(output,
                         `${formatValue(ctx, entry[0], recurseTimes)} => ${formatValue(ctx, entry[1], recurseTimes)}`);
    }
    if (remaining > 0) ArrayPrototypePush(output, remainingText(remaining));
    ctx.indentationLvl -= 2;
    return output;
  }

  function formatSetIterInner(ctx, recurseTimes, entries) {
    const maxArrayLength = MathMax(ctx.maxArrayLength, 0);
    const maxLength = MathMin(maxArrayLength, entries.length);
    const output = [];
    ctx.indentationLvl += 2;
    for (let i = 0; i < maxLength; i++) ArrayPrototypePush(output, formatValue(ctx, entries[i], recurseTimes));
    ctx.indentationLvl -= 2;
    const remaining = entries.length - maxLength;
    if (remaining > 0) ArrayPrototypePush(output, remainingText(remaining));
    return output;
  }

  function formatMapIterInner(ctx, recurseTimes, entries) {
    const maxArrayLength = MathMax(ctx.maxArrayLength, 0);
    const len = entries.length / 2;
    const remaining = len - maxArrayLength;
    const maxLength = MathMin(maxArrayLength, len);
    const output = [];
    ctx.indentationLvl += 2;
    for (let i = 0; i < maxLength; i++) {
      const pos = i * 2;
      const res = [formatValue(ctx, entries[pos], recurseTimes), formatValue(ctx, entries[pos + 1], recurseTimes)];
      ArrayPrototypePush(output, reduceToSingleString(ctx, res, '', ['[', ']'], kArrayExtrasType, recurseTimes));
    }
    ctx.indentationLvl -= 2;
    if (remaining > 0) ArrayPrototypePush(output, remainingText(remaining));
    return output;
  }

  function formatWeakCollection(ctx) {
    return [ctx.stylize('<items unknown>', 'special')];
  }

  function formatIterator(braces, ctx, value, recurseTimes) {
    // Iterator contents can only be previewed by the engine; without that
    // hook nothing is listed (consuming the iterator would change it).
    if (previewEntries === undefined) return [];
    const preview = previewEntries(value);
    if (preview[1]) {
      braces[0] = StringPrototypeEndsWith(braces[0], ' Iterator] {') ?
        `${StringPrototypeSlice(braces[0], 0, -12)} Entries] {` : braces[0];
      return formatMapIterInner(ctx, recurseTimes, preview[0]);
    }
    return formatSetIterInner(ctx, recurseTimes, preview[0]);
  }

  function formatPromise(ctx, value, recurseTimes) {
    // The state of a promise is invisible to JS; without the engine hook the
    // braces stay empty.
    if (promiseDetails === undefined) return [];
    const details = promiseDetails(value);
    if (details === undefined) return [];
    const state = details[0];
    if (state === 0) return [ctx.stylize('<pending>', 'special')];
    ctx.indentationLvl += 2;
    const str = formatValue(ctx, details[1], recurseTimes);
    ctx.indentationLvl -= 2;
    return [state === 2 ? `${ctx.stylize('<rejected>', 'special')} ${str}` : str];
  }

  function formatProperty(ctx, value, recurseTimes, key, type, desc, original = value) {
    let name, str;
    let extra = ' ';
    desc = desc || ObjectGetOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
    if (desc.value !== undefined) {
      const diff = (ctx.compact !== true || type !== kObjectType) ? 2 : 3;
      ctx.indentationLvl += diff;
      str = formatValue(ctx, desc.value, recurseTimes);
      if (diff === 3 && ctx.breakLength < getStringWidth(str, ctx.colors)) {
        extra = `\n${StringPrototypeRepeat(' ', ctx.indentationLvl)}`;
      }
      ctx.indentationLvl -= diff;
    } else if (desc.get !== undefined) {
      const label = desc.set !== undefined ? 'Getter/Setter' : 'Getter';
      const s = ctx.stylize;
      const sp = 'special';
      if (ctx.getters && (ctx.getters === true ||
            (ctx.getters === 'get' && desc.set === undefined) ||
            (ctx.getters === 'set' && desc.set !== undefined))) {
        try {
          const tmp = FunctionPrototypeCall(desc.get, original);
          ctx.indentationLvl += 2;
          if (tmp === null) {
            str = `${s(`[${label}:`, sp)} ${s('null', 'null')}${s(']', sp)}`;
          } else if (typeof tmp === 'object') {
            str = `${s(`[${label}]`, sp)} ${formatValue(ctx, tmp, recurseTimes)}`;
          } else {
            const primitive = formatPrimitive(s, tmp, ctx);
            str = `${s(`[${label}:`, sp)} ${primitive}${s(']', sp)}`;
          }
          ctx.indentationLvl -= 2;
        } catch (err) {
          const message = `<Inspection threw (${err.message})>`;
          str = `${s(`[${label}:`, sp)} ${message}${s(']', sp)}`;
        }
      } else {
        str = ctx.stylize(`[${label}]`, sp);
      }
    } else if (desc.set !== undefined) {
      str = ctx.stylize('[Setter]', 'special');
    } else {
      str = ctx.stylize('undefined', 'undefined');
    }
    if (type === kArrayType) return str;
    if (typeof key === 'symbol') {
      name = `[${ctx.stylize(escapeKey(SymbolPrototypeToString(key)), 'symbol')}]`;
    } else if (key === '__proto__') {
      name = "['__proto__']";
    } else if (desc.enumerable === false) {
      name = `[${escapeKey(key)}]`;
    } else if (RegExpPrototypeExec(keyStrRegExp, key) !== null) {
      name = ctx.stylize(key, 'name');
    } else {
      name = ctx.stylize(strEscape(key), 'string');
    }
    return `${name}:${extra}${str}`;
  }

  // Escapes control characters, quotes and backslashes without quoting.
  function escapeKey(str) {
    let result = '';
    let last = 0;
    for (let i = 0; i < str.length; i++) {
      const point = StringPrototypeCharCodeAt(str, i);
      if (point === 39 || point === 92 || point < 32 || (point > 126 && point < 160)) {
        result += StringPrototypeSlice(str, last, i) + metaFor(point);
        last = i + 1;
      } else if (point >= 0xd800 && point <= 0xdfff) {
        if (point <= 0xdbff && i + 1 < str.length) {
          const next = StringPrototypeCharCodeAt(str, i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) {
            i++;
            continue;
          }
        }
        result += `${StringPrototypeSlice(str, last, i)}\\u${NumberPrototypeToString(point, 16)}`;
        last = i + 1;
      }
    }
    return last === 0 ? str : result + StringPrototypeSlice(str, last);
  }

  function isBelowBreakLength(ctx, output, start, base) {
    // Each entry is separated by at least a comma, so the entry count is
    // added to the total length.
    let totalLength = output.length + start;
    if (totalLength + output.length > ctx.breakLength) return false;
    for (let i = 0; i < output.length; i++) {
      totalLength += ctx.colors ? removeMatches(ansi, output[i]).length : output[i].length;
      if (totalLength > ctx.breakLength) return false;
    }
    // Do not line up properties on the same line if `base` contains line breaks.
    return base === '' || !StringPrototypeIncludes(base, '\n');
  }

  function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
    if (ctx.compact !== true) {
      if (typeof ctx.compact === 'number' && ctx.compact >= 1) {
        // Memorize the original output length. In case the output is grouped,
        // prevent lining up the entries on a single line.
        const entries = output.length;
        if (extrasType === kArrayExtrasType && entries > 6) {
          output = groupArrayElements(ctx, output, value);
        }
        // `ctx.currentDepth` is set to the most inner depth of the currently
        // inspected object part while `recurseTimes` is the actual current
        // depth; the innermost `compact` levels are combined on one line if
        // they fit.
        if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
          const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
          if (isBelowBreakLength(ctx, output, start, base)) {
            const joinedOutput = join(output, ', ');
            if (!StringPrototypeIncludes(joinedOutput, '\n')) {
              return `${base ? `${base} ` : ''}${braces[0]} ${joinedOutput} ${braces[1]}`;
            }
          }
        }
      }
      const indentation = `\n${StringPrototypeRepeat(' ', ctx.indentationLvl)}`;
      return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ${join(output, `,${indentation}  `)}${indentation}${braces[1]}`;
    }
    if (isBelowBreakLength(ctx, output, 0, base)) {
      return `${braces[0]}${base ? ` ${base}` : ''} ${join(output, ', ')} ${braces[1]}`;
    }
    const indentation = StringPrototypeRepeat(' ', ctx.indentationLvl);
    const ln = base === '' && braces[0].length === 1 ? ' ' : `${base ? ` ${base}` : ''}\n${indentation}  `;
    return `${braces[0]}${ln}${join(output, `,\n${indentation}  `)} ${braces[1]}`;
  }

  // Column width of a string in a terminal (as Node's non-ICU fallback, which
  // matches its ICU path for everything but rare scripts).
  function getStringWidth(str, removeControlChars = true) {
    let width = 0;
    if (removeControlChars) str = removeMatches(ansi, str);
    for (let i = 0; i < str.length; i++) {
      const code = StringPrototypeCharCodeAt(str, i);
      if (code >= 127) {
        width += getWideStringWidth(StringPrototypeNormalize(StringPrototypeSlice(str, i), 'NFC'));
        break;
      }
      width += code >= 32 ? 1 : 0;
    }
    return width;
  }
  function getWideStringWidth(str) {
    let width = 0;
    for (let i = 0; i < str.length; i++) {
      const code = StringPrototypeCodePointAt(str, i);
      if (code > 0xffff) i++;
      if (isFullWidthCodePoint(code)) {
        width += 2;
      } else if (!isZeroWidthCodePoint(code)) {
        width++;
      }
    }
    return width;
  }
  function isFullWidthCodePoint(code) {
    return code >= 0x1100 && (
      code <= 0x115f ||
      code === 0x2329 ||
      code === 0x232a ||
      (code >= 0x2e80 && code <= 0x3247 && code !== 0x303f) ||
      (code >= 0x3250 && code <= 0x4dbf) ||
      (code >= 0x4e00 && code <= 0xa4c6) ||
      (code >= 0xa960 && code <= 0xa97c) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe10 && code <= 0xfe19) ||
      (code >= 0xfe30 && code <= 0xfe6b) ||
      (code >= 0xff01 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1b000 && code <= 0x1b001) ||
      (code >= 0x1f200 && code <= 0x1f251) ||
      (code >= 0x1f300 && code <= 0x1f64f) ||
      (code >= 0x20000 && code <= 0x3fffd)
    );
  }
  function isZeroWidthCodePoint(code) {
    return code <= 0x1F ||
      (code >= 0x7F && code <= 0x9F) ||
      (code >= 0x300 && code <= 0x36F) ||
      (code >= 0x200B && code <= 0x200F) ||
      (code >= 0x20D0 && code <= 0x20FF) ||
      (code >= 0xFE00 && code <= 0xFE0F) ||
      (code >= 0xFE20 && code <= 0xFE2F) ||
      (code >= 0xE0100 && code <= 0xE01EF);
  }

  // ---------------------------------------------------------------------------
  // util.format: printf-style placeholders in a leading string, as Node does
  // (https://console.spec.whatwg.org/#formatter describes the base set).
  function hasBuiltInToString(value) {
    if (proxyDetails !== undefined) {
      const proxy = proxyDetails(value);
      if (proxy !== undefined) {
        if (proxy === null || proxy[0] === null) return true;
        value = proxy[0];
      }
    }
    let hasOwnToString = ObjectPrototypeHasOwnProperty;
    let hasOwnToPrimitive = ObjectPrototypeHasOwnProperty;
    // Count objects without a `toString`/`Symbol.toPrimitive` as built-in.
    if (typeof value.toString !== 'function') {
      if (typeof value[SymbolToPrimitive] !== 'function') return true;
      if (ObjectPrototypeHasOwnProperty(value, SymbolToPrimitive)) return false;
      hasOwnToString = returnFalse;
    } else if (ObjectPrototypeHasOwnProperty(value, 'toString')) {
      return false;
    } else if (typeof value[SymbolToPrimitive] !== 'function') {
      hasOwnToPrimitive = returnFalse;
    } else if (ObjectPrototypeHasOwnProperty(value, SymbolToPrimitive)) {
      return false;
    }
    // Find the object that has the `toString`/`Symbol.toPrimitive` in use.
    let pointer = value;
    do {
      pointer = ObjectGetPrototypeOf(pointer);
    } while (!hasOwnToString(pointer, 'toString') && !hasOwnToPrimitive(pointer, SymbolToPrimitive));
    const descriptor = ObjectGetOwnPropertyDescriptor(pointer, 'constructor');
    return descriptor !== undefined &&
      typeof descriptor.value === 'function' &&
      isBuiltInName(descriptor.value.name);
  }
  function returnFalse() {
    return false;
  }

  let circularErrorMessage;
  function tryStringify(arg) {
    try {
      return JSONStringify(arg);
    } catch (err) {
      if (!circularErrorMessage) {
        try {
          const a = {};
          a.a = a;
          JSONStringify(a);
        } catch (circularError) {
          circularErrorMessage = splitString(circularError.message, '\n')[0];
        }
      }
      if (err.name === 'TypeError' && splitString(err.message, '\n')[0] === circularErrorMessage) {
        return '[Circular]';
      }
      throw err;
    }
  }

  function formatWithOptions(inspectOptions, args) {
    const first = args[0];
    let a = 0;
    let str = '';
    let join = '';

    if (typeof first === 'string') {
      if (args.length === 1) return first;
      let tempStr;
      let lastPos = 0;
      for (let i = 0; i < first.length - 1; i++) {
        if (StringPrototypeCharCodeAt(first, i) === 37) { // '%'
          const nextChar = StringPrototypeCharCodeAt(first, ++i);
          if (a + 1 !== args.length) {
            switch (nextChar) {
              case 115: { // 's'
                const tempArg = args[++a];
                if (typeof tempArg === 'number') {
                  tempStr = formatNumber(stylizeNoColor, tempArg, inspectOptions.numericSeparator);
                } else if (typeof tempArg === 'bigint') {
                  tempStr = formatBigInt(stylizeNoColor, tempArg, inspectOptions.numericSeparator);
                } else if (typeof tempArg !== 'object' || tempArg === null || !hasBuiltInToString(tempArg)) {
                  tempStr = StringCtor(tempArg);
                } else {
                  tempStr = inspect(tempArg, { ...inspectOptions, depth: 0, colors: false, compact: 3 });
                }
                break;
              }
              case 106: // 'j'
                tempStr = tryStringify(args[++a]);
                break;
              case 100: { // 'd'
                const tempNum = args[++a];
                if (typeof tempNum === 'bigint') {
                  tempStr = formatBigInt(stylizeNoColor, tempNum, inspectOptions.numericSeparator);
                } else if (typeof tempNum === 'symbol') {
                  tempStr = 'NaN';
                } else {
                  tempStr = formatNumber(stylizeNoColor, NumberCtor(tempNum), inspectOptions.numericSeparator);
                }
                break;
              }
              case 79: // 'O'
                tempStr = inspect(args[++a], inspectOptions);
                break;
              case 111: // 'o'
                tempStr = inspect(args[++a], { ...inspectOptions, showHidden: true, showProxy: true, depth: 4 });
                break;
              case 105: { // 'i'
                const tempInteger = args[++a];
                if (typeof tempInteger === 'bigint') {
                  tempStr = formatBigInt(stylizeNoColor, tempInteger, inspectOptions.numericSeparator);
                } else if (typeof tempInteger === 'symbol') {
                  tempStr = 'NaN';
                } else {
                  tempStr = formatNumber(stylizeNoColor, NumberParseInt(tempInteger), inspectOptions.numericSeparator);
                }
                break;
              }
              case 102: { // 'f'
                const tempFloat = args[++a];
                if (typeof tempFloat === 'symbol') {
                  tempStr = 'NaN';
                } else {
                  tempStr = formatNumber(stylizeNoColor, NumberParseFloat(tempFloat), inspectOptions.numericSeparator);
                }
                break;
              }
              case 99: // 'c': CSS has no meaning here; the argument is consumed.
                a += 1;
                tempStr = '';
                break;
              case 37: // '%'
                str += StringPrototypeSlice(first, lastPos, i);
                lastPos = i + 1;
                continue;
              default: // Any other character is not a correct placeholder
                continue;
            }
            if (lastPos !== i - 1) str += StringPrototypeSlice(first, lastPos, i - 1);
            str += tempStr;
            lastPos = i + 1;
          } else if (nextChar === 37) {
            str += StringPrototypeSlice(first, lastPos, i);
            lastPos = i + 1;
          }
        }
      }
      if (lastPos !== 0) {
        a++;
        join = ' ';
        if (lastPos < first.length) str += StringPrototypeSlice(first, lastPos);
      }
    }

    while (a < args.length) {
      const value = args[a];
      str += join;
      str += typeof value !== 'string' ? inspect(value, inspectOptions) : value;
      join = ' ';
      a++;
    }
    return str;
  }

  const noOptions = { __proto__: null };
  const format = (args) => formatWithOptions(noOptions, args);
  // Arguments appended after a fixed format (timeLog): no placeholders.
  function formatRest(args) {
    let str = '';
    for (let i = 0; i < args.length; i++) {
      const value = args[i];
      str += (i === 0 ? '' : ' ') + (typeof value !== 'string' ? inspect(value, noOptions) : value);
    }
    return str;
  }

  // ---------------------------------------------------------------------------
  // console.table: the box drawing of Node's internal cli_table.
  const tableChars = {
    __proto__: null,
    middleMiddle: '\u2500', rowMiddle: '\u253c', topRight: '\u2510', topLeft: '\u250c', leftMiddle: '\u251c',
    topMiddle: '\u252c', bottomRight: '\u2518', bottomLeft: '\u2514', bottomMiddle: '\u2534', rightMiddle: '\u2524',
    left: '\u2502 ', right: ' \u2502', middle: ' \u2502 ',
  };

  function renderRow(row, columnWidths) {
    let out = tableChars.left;
    for (let i = 0; i < row.length; i++) {
      const cell = row[i];
      const len = getStringWidth(cell);
      out += cell + StringPrototypeRepeat(' ', columnWidths[i] - len);
      if (i !== row.length - 1) out += tableChars.middle;
    }
    out += tableChars.right;
    return out;
  }

  function renderTable(head, columns) {
    const rows = [];
    const columnWidths = [];
    for (let i = 0; i < head.length; i++) ArrayPrototypePush(columnWidths, getStringWidth(head[i]));
    let longestColumn = 0;
    for (let i = 0; i < columns.length; i++) longestColumn = MathMax(longestColumn, columns[i].length);
    for (let i = 0; i < head.length; i++) {
      const column = columns[i];
      for (let j = 0; j < longestColumn; j++) {
        if (rows[j] === undefined) rows[j] = [];
        const value = rows[j][i] = ObjectPrototypeHasOwnProperty(column, j) ? column[j] : '';
        const width = columnWidths[i] || 0;
        const counted = getStringWidth(value);
        columnWidths[i] = MathMax(width, counted);
      }
    }
    const divider = [];
    for (let i = 0; i < columnWidths.length; i++) {
      ArrayPrototypePush(divider, StringPrototypeRepeat(tableChars.middleMiddle, columnWidths[i] + 2));
    }
    let result = `${tableChars.topLeft}${join(divider, tableChars.topMiddle)}${tableChars.topRight}\n` +
      `${renderRow(head, columnWidths)}\n` +
      `${tableChars.leftMiddle}${join(divider, tableChars.rowMiddle)}${tableChars.rightMiddle}\n`;
    for (let i = 0; i < rows.length; i++) result += `${renderRow(rows[i], columnWidths)}\n`;
    result += `${tableChars.bottomLeft}${join(divider, tableChars.bottomMiddle)}${tableChars.bottomRight}`;
    return result;
  }

  function describeReceived(value) {
    if (value == null) return ` Received ${value}`;
    if (typeof value === 'function') return ` Received function ${value.name}`;
    if (typeof value === 'object') {
      const ctor = value.constructor;
      if (ctor && ctor.name) return ` Received an instance of ${ctor.name}`;
      return ` Received ${inspect(value, { depth: -1 })}`;
    }
    let shown = inspect(value, { colors: false });
    if (shown.length > 28) shown = `${StringPrototypeSlice(shown, 0, 25)}...`;
    return ` Received type ${typeof value} (${shown})`;
  }

  function formatTable(tabularData, properties) {
    if (properties !== undefined && !ArrayIsArray(properties)) {
      const err = new TypeErrorCtor(
        `The "properties" argument must be an instance of Array.${describeReceived(properties)}`);
      err.code = 'ERR_INVALID_ARG_TYPE';
      throw err;
    }
    if (tabularData === null || typeof tabularData !== 'object') return format([tabularData]);

    const isArrayLike = (v) => ArrayIsArray(v) || isTypedArray(v);
    const _inspect = (v) => {
      const depth = v !== null && typeof v === 'object' && !isArrayLike(v) && ObjectKeys(v).length > 2 ? -1 : 0;
      return inspect(v, { depth, maxArrayLength: 3, breakLength: Infinity });
    };
    const getIndexArray = (length) => {
      const out = [];
      for (let i = 0; i < length; i++) ArrayPrototypePush(out, _inspect(i));
      return out;
    };

    const mapIter = isMapIterator(tabularData);
    let isKeyValue = false;
    if (mapIter && previewEntries !== undefined) {
      const res = previewEntries(tabularData);
      tabularData = res[0];
      isKeyValue = res[1];
    }

    if (isKeyValue || isMap(tabularData)) {
      const keys = [];
      const values = [];
      let length = 0;
      if (mapIter) {
        for (let i = 0; i < tabularData.length / 2; ++i) {
          ArrayPrototypePush(keys, _inspect(tabularData[i * 2]));
          ArrayPrototypePush(values, _inspect(tabularData[i * 2 + 1]));
          length++;
        }
      } else {
        const it = MapPrototypeEntries(tabularData);
        for (let step = MapIteratorNext(it); !step.done; step = MapIteratorNext(it)) {
          ArrayPrototypePush(keys, _inspect(step.value[0]));
          ArrayPrototypePush(values, _inspect(step.value[1]));
          length++;
        }
      }
      return renderTable(['(iteration index)', 'Key', 'Values'], [getIndexArray(length), keys, values]);
    }

    const setIter = isSetIterator(tabularData);
    if (setIter && previewEntries !== undefined) tabularData = previewEntries(tabularData)[0];
    const setlike = (setIter && previewEntries !== undefined) || (mapIter && previewEntries !== undefined) ||
      isSet(tabularData);
    if (setlike) {
      const values = [];
      if (isSet(tabularData)) {
        const it = SetPrototypeValues(tabularData);
        for (let step = SetIteratorNext(it); !step.done; step = SetIteratorNext(it)) {
          ArrayPrototypePush(values, _inspect(step.value));
        }
      } else {
        for (let i = 0; i < tabularData.length; i++) ArrayPrototypePush(values, _inspect(tabularData[i]));
      }
      return renderTable(['(iteration index)', 'Values'], [getIndexArray(values.length), values]);
    }

    const map = { __proto__: null };
    let hasPrimitives = false;
    const valuesKeyArray = [];
    const indexKeyArray = ObjectKeys(tabularData);
    for (let i = 0; i < indexKeyArray.length; i++) {
      const item = tabularData[indexKeyArray[i]];
      const primitive = item === null || (typeof item !== 'function' && typeof item !== 'object');
      if (properties === undefined && primitive) {
        hasPrimitives = true;
        valuesKeyArray[i] = _inspect(item);
      } else {
        const keys = properties || ObjectKeys(item);
        for (let k = 0; k < keys.length; k++) {
          const key = keys[k];
          if (map[key] === undefined) map[key] = [];
          if ((primitive && properties) || !ObjectPrototypeHasOwnProperty(item, key)) {
            map[key][i] = '';
          } else {
            map[key][i] = _inspect(item[key]);
          }
        }
      }
    }
    const keys = ObjectKeys(map);
    const values = [];
    for (let i = 0; i < keys.length; i++) ArrayPrototypePush(values, map[keys[i]]);
    if (hasPrimitives) {
      ArrayPrototypePush(keys, 'Values');
      ArrayPrototypePush(values, valuesKeyArray);
    }
    ArrayPrototypeUnshift(keys, '(index)');
    ArrayPrototypeUnshift(values, indexKeyArray);
    return renderTable(keys, values);
  }

  // ---------------------------------------------------------------------------
  // The console namespace (https://console.spec.whatwg.org/#console-namespace).
  // Methods close over this state rather than `this`, so detached calls such
  // as `const { log } = console` work as in browsers and Node.
  const depth = () => consoleGroup(0);

  const toLabel = (label) => (label === undefined ? 'default' : `${label}`);
  const output = (level, data) => {
    const stdout = format(data);
    emit({ type: 'output', level, stdout, groupDepth: depth() });
  };
  // Node reports these through process warnings on stderr.
  const warning = (message) => {
    emit({ type: 'output', level: 'warn', stdout: `Warning: ${message}`, groupDepth: depth() });
  };

  // WebIDL gives the console namespace object an empty object as prototype.
  const consoleObject = ObjectCreate(ObjectCreate(ObjectPrototype));
  const methods = {
    log(...data) {
      output('log', data);
    },
    info(...data) {
      output('info', data);
    },
    debug(...data) {
      output('debug', data);
    },
    warn(...data) {
      output('warn', data);
    },
    error(...data) {
      output('error', data);
    },
    dirxml(...data) {
      // The spec and Node both treat dirxml as log.
      output('log', data);
    },
    trace(...data) {
      const message = format(data);
      const holder = { name: 'Trace', message };
      ErrorCaptureStackTrace(holder, methods.trace);
      const stack = holder.stack;
      emit({
        type: 'trace',
        stdout: message,
        stack: typeof stack === 'string' ? stack : format([stack]),
        groupDepth: depth(),
      });
    },
    dir(item = undefined, options = undefined) {
      const stdout = inspect(item, { customInspect: false, ...options });
      emit({ type: 'dir', stdout, groupDepth: depth() });
    },
    table(tabularData = undefined, properties = undefined) {
      const stdout = formatTable(tabularData, properties);
      emit({ type: 'table', stdout, groupDepth: depth() });
    },
    assert(condition = false, ...data) {
      if (condition) return;
      // Node's wording: the first argument is stringified after the prefix and
      // the rest are formatted as for log.
      data[0] = `Assertion failed${data.length === 0 ? '' : `: ${data[0]}`}`;
      const stdout = format(data);
      emit({ type: 'assert', stdout, groupDepth: depth() });
    },
    count(label = undefined) {
      label = toLabel(label);
      const count = consoleCount(label);
      emit({ type: 'count', label, count, groupDepth: depth() });
    },
    countReset(label = undefined) {
      label = toLabel(label);
      if (!consoleCountReset(label)) {
        warning(`Count for '${label}' does not exist`);
      }
      emit({ type: 'countReset', label, groupDepth: depth() });
    },
    group(...data) {
      const label = data.length > 0 ? format(data) : 'default';
      emit({ type: 'group', label, collapsed: false, groupDepth: depth() });
      consoleGroup(1);
    },
    groupCollapsed(...data) {
      const label = data.length > 0 ? format(data) : 'default';
      emit({ type: 'group', label, collapsed: true, groupDepth: depth() });
      consoleGroup(1);
    },
    groupEnd() {
      emit({ type: 'groupEnd', groupDepth: consoleGroup(-1) });
    },
    time(label = undefined) {
      label = toLabel(label);
      if (!consoleTime(label, now())) {
        warning(`Label '${label}' already exists for console.time()`);
      }
    },
    timeLog(label = undefined, ...data) {
      label = toLabel(label);
      const start = consoleTimer(label, false);
      if (start === undefined) {
        warning(`No such label '${label}' for console.timeLog()`);
        return;
      }
      const stdout = formatRest(data);
      emit({ type: 'timeLog', label, duration: now() - start, stdout, groupDepth: depth() });
    },
    timeEnd(label = undefined) {
      label = toLabel(label);
      const start = consoleTimer(label, true);
      if (start === undefined) {
        warning(`No such label '${label}' for console.timeEnd()`);
        return;
      }
      emit({ type: 'time', label, duration: now() - start, groupDepth: depth() });
    },
    clear() {
      emit({ type: 'clear' });
    },
  };
  // WebIDL namespace members are writable, enumerable and configurable.
  const names = ObjectKeys(methods);
  for (let i = 0; i < names.length; i++) {
    ObjectDefineProperty(consoleObject, names[i], {
      value: methods[names[i]], writable: true, enumerable: true, configurable: true,
    });
  }
  ObjectDefineProperty(consoleObject, SymbolToStringTag, {
    value: 'console', writable: false, enumerable: false, configurable: true,
  });
  ObjectDefineProperty(global, 'console', {
    value: consoleObject, writable: true, enumerable: false, configurable: true,
  });
})
