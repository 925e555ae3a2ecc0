// Why a subtest fails, for new entries of expectations.json: [test id pattern, "name\nmessage" pattern,
// one-line reason (null: the reason of the algorithm the message names)]; the first rule whose
// patterns both match wins. Reasons already in
// expectations.json are kept as they are, so these only name failures nobody has looked at yet.
const ALGS = 'AES-CBC|AES-CTR|AES-KW|RSA-OAEP|RSA-PSS|RSASSA-PKCS1-v1_5|ECDH|X25519|X448|Ed448'

export const RULES = [
  // --- harness-level ---------------------------------------------------------------------------
  [/^webmessaging\/Channel_postMessage_Blob/, null, 'structuredClone does not clone Blob or File: a Blob in a message arrives as a plain object'],
  [/user-activation/, null, 'MessageEvent.userActivation (tentative) is not implemented'],
  [null, /\bWorker is not defined/, 'needs new Worker(): the runtime has no nested workers'],
  [null, /XMLHttpRequest is not defined/, 'needs XMLHttpRequest: the runtime offers fetch() only'],
  [null, /FileReaderSync is not defined/, 'FileReaderSync is not implemented'],
  [null, /FileReader is not defined|have a FileReader property/, 'FileReader is not implemented'],
  [/^FileAPI\/url\/url-with-fetch/, /no Blob for/, 'a Request resolves its blob: URL when fetch() is called, not when it is constructed (revoking in between fails the fetch)'],
  [null, /caches is not defined/, 'needs the Cache API (caches), which the runtime does not have'],
  [null, /VideoFrame is not defined/, 'needs VideoFrame (WebCodecs)'],
  [null, /WebSocketStream is not defined|WebSocketError is not defined|WebSocketStream/, 'WebSocketStream/WebSocketError (tentative) are not implemented'],
  [/^urlpattern\/urlpattern-compare/, null, 'URLPattern.compareComponent() (tentative) is not implemented: the urlpattern crate does not expose part lists'],
  [/atomics-wait-async/, null, 'Atomics.waitAsync timeouts are not delivered by the runtime event loop'],
  [/evil-spec-example/, null, 'setTimeout with a non-function handler (code as a string, converted by Web IDL) does not run it'],
  [/queue-microtask-exceptions/, null, 'an exception thrown by a queueMicrotask callback does not reach the global error event'],

  // --- url -------------------------------------------------------------------------------------
  [/^url\/.*include=file/, null, 'file: URL parsing differs from the WHATWG URL standard (the url crate): host and empty path segments, Windows drive letters'],
  [/^url\/url-setters/, /file:/, 'file: URL parsing differs from the WHATWG URL standard (the url crate): host and empty path segments, Windows drive letters'],
  [/^url\/url-setters/, null, 'non-special URL paths starting with "//" are not serialized with "/." and hostname/pathname setters do not drop it (the url crate)'],
  [/^url\/url-origin/, /blob:/, 'blob: URL origin is taken from inner URLs other than http(s) (should be "null")'],
  [/^url\//, /%3Fa=b|searchParams/, 'URL search "??a=b" is not percent-encoded the way URLSearchParams serializes it'],
  [/^url\//, /<\/\/\/[^>]*> against <http/, 'a "///" path-relative special URL against a base is rejected (url crate)'],
  [/^url\/historical/, /structured/, 'structuredClone accepts URL/URLSearchParams instead of throwing DataCloneError'],
  [/^url\/urlsearchparams-constructor/, /DOMException/, 'URLSearchParams(record) does not enumerate DOMException constants the way Web IDL record conversion does'],

  // --- encoding --------------------------------------------------------------------------------
  [/^encoding\/streams\/decode-bad-chunks/, null, 'TextDecoderStream accepts an undefined chunk instead of erroring the stream'],
  [/^encoding\/encodeInto/, /MessageChannel/, 'MessageChannel/MessagePort are not implemented'],

  // --- FileAPI ---------------------------------------------------------------------------------
  [/^FileAPI\/blob\/Blob-constructor/, /in order|left to right/, 'Blob constructor converts blobParts and options in a different order than Web IDL'],

  // --- streams ---------------------------------------------------------------------------------
  [/^streams\/readable-streams\/owning-type/, null, 'ReadableStream type "owning" (transfer on enqueue) is not implemented'],
  [/^streams\/transferable/, null, 'streams are not transferable: structuredClone with transfer of streams is not implemented'],
  [/^streams\/readable-streams\/async-iterator/, null, 'async iterator return() does not wait for pending next() calls in order'],
  [/^streams\/piping\/general-addition/, null, 'enqueue() during pipeTo runs the write algorithm synchronously'],
  [/^streams\/readable-byte-streams\/enqueue-with-detached-buffer/, null, 'enqueue() after the BYOB view buffer was detached does not throw'],
  [/^streams\/writable-streams\/general/, /size called as a method/, 'strategy.size is called with the strategy as this'],

  // --- compression -----------------------------------------------------------------------------
  [/^compression\/compression-bad-chunks/, /Shared|shared/, 'CompressionStream/DecompressionStream accept SharedArrayBuffer-backed chunks'],

  // --- html/webappapis -------------------------------------------------------------------------
  [/structured-clone/, /MessagePort|MessageChannel/, 'MessageChannel/MessagePort are not implemented'],
  [/structured-clone/, /^(Array |Object )?(Blob|File)/, 'structuredClone does not clone Blob/File objects'],
  [/structured-clone/, /platform object|subclass instance|interface is deleted/, 'structuredClone copies platform objects (streams, Files, subclasses) as plain objects instead of cloning them per their interface or throwing DataCloneError'],
  [/structured-clone/, /SharedArrayBuffer/, 'structuredClone cannot clone a growable SharedArrayBuffer'],
  [/structured-clone/, /ArrayBuffer|TypedArray|DataView/, 'structuredClone transfer: detached, resizable and length-tracking ArrayBuffers are not handled as the HTML standard says'],
  [/reporterror/, null, 'reportError() fires an ErrorEvent whose filename is empty (should be the calling script\'s URL)'],
  [/timeout-shadowrealm/, null, 'AbortSignal.timeout is exposed although the test expects a ShadowRealm-like global without timers'],

  // --- fetch -----------------------------------------------------------------------------------
  [null, /www1\.127\.0\.0\.1[^\n]*Failed to parse URL|Failed to parse URL[^\n]*www1\.127\.0\.0\.1/, 'the cross-origin host www1.127.0.0.1 of get_host_info() is not a valid URL host (its last label is a number); wptserve uses names such as www1.web-platform.test'],
  [/request-cache|conditional-get/, null, 'no HTTP cache: RequestCache modes are accepted but nothing is stored or revalidated'],
  [/header-values|header-value-null/, /fetch failed/, 'the native HTTP client refuses header values with control characters that the Fetch standard allows'],
  [/header-value-null-byte/, null, 'fetch() does not reject a header value with a NUL byte'],
  [/headers-basic/, /enumerable/, 'Headers keys/values/entries are not enumerable properties (Web IDL iterable methods are)'],
  [/headers-record/, null, 'Headers(record) does not convert the record in Web IDL order (key validation before value get)'],
  [/headers-no-cors/, null, '"no-cors" request headers guard (CORS-safelisted names and values) is not enforced'],
  [/header-setcookie/, /forbidden response header/, 'Set-Cookie is not filtered from the headers a script sees of a fetch() response'],
  [/request-forbidden-headers|request-private-network/, null, 'forbidden request headers are sent as given (a server-side runtime has no forbidden-header list)'],
  [/request-headers-case/, null, 'header names go out lower-cased (HTTP/1 original casing is not preserved)'],
  [/basic\/request-headers/, /Chicken/, 'the local test server (node:http) cannot parse a custom method such as CHICKEN, which wptserve accepts'],
  [/basic\/request-headers/, /origin|Origin/, 'no Origin header on POST/PUT/other non-GET requests (the runtime has no origin)'],
  [/accept-header/, /accept-language/, 'no default Accept-Language request header'],
  [/basic\/referrer|request-referrer/, null, 'no referrer: requests carry no Referer (the runtime has no document URL)'],
  [/mode-no-cors|mode-same-origin/, null, 'request mode is not enforced: no-cors responses are not opaque, same-origin does not reject cross-origin'],
  [/integrity/, null, 'Subresource Integrity (request integrity) is not checked'],
  [/scheme-data|response\/json/, /fetch failed/, 'fetch() of data: URLs is not supported'],
  [/scheme-blob/, null, 'URL.createObjectURL (blob: URLs) is not supported'],
  [/status\.h2/, null, 'HTTP/2 to the local server is not negotiated, so statusText is HTTP/1\'s'],
  [/request-upload\.h2/, null, 'streaming request bodies over HTTP/2 (duplex) against wptserve\'s h2 server: not available locally'],
  [/request-upload|http-response-code/, /421|425/, 'no retry on a new connection after 421 Misdirected Request (and the 425 check counts connections)'],
  [/header-value-combining/, null, 'the native HTTP client rejects the raw .asis responses (bare LF line endings)'],
  [/response-clone/, /structureClone|clone of the original buffer/, 'Response.clone() tees the body without structured-cloning chunks (both branches share buffers)'],
  [/response-stream-with-broken-then/, null, 'reading a body stream resolves through a patched Object.prototype.then'],
  [/response-consume-empty/, /FormData/, 'an empty FormData body serializes to its closing multipart boundary where the test expects an empty body (Node and Deno do the same)'],
  [/mime-type/, /^Response: Extract a MIME type with clone/, 'the upstream test passes the headers to Blob instead of Response, so text/plain is right (Node and Deno fail it too)'],
  [/abort\/general/, /next-microtask/, 'body methods on an aborted response reject one microtask late'],
  [/abort\/general/, /Cancel called sync/, 'aborting does not cancel the request body stream synchronously'],
  [/abort\/general/, /AbortError/, 'abort reason is not propagated as given'],
  [/error-after-response/, null, 'a network error after the response headers does not reject the body reader\'s closed promise'],

  // --- websockets ------------------------------------------------------------------------------
  [/Create-protocols-repeated-case-insensitive/, null, 'duplicate subprotocols differing only in case are not rejected'],
  [/mixed-content/, null, 'no secure-context check: ws: from an https: page is allowed'],
  [/basic-auth/, null, 'credentials in a WebSocket URL are not sent as Basic authorization'],
  [/referrer\.any/, null, 'WebSocket handshake sends a Referer header'],
  [/Close-delayed/, null, 'close event fires before the server answers the closing handshake'],
  [/send-many-64K/, null, 'sending many 64 KiB messages against a slow reader does not complete'],
  [/003-sets-origin/, null, 'WebSocket handshake carries no Origin header (the runtime has no origin)'],
  [/compression-output-length/, null, 'compressing a 76 KB webm file does not give fewer bytes than the input'],

  // --- WebCrypto -------------------------------------------------------------------------------
  [/^WebCryptoAPI\/historical/, null, 'isSecureContext is not defined, so the test takes the runtime for a non-secure context, where crypto.subtle must be absent'],
  [/^WebCryptoAPI\/derive_bits_keys\/pbkdf2/, /with 0 length\n/, 'deriveBits with length 0 resolves instead of rejecting with OperationError (HKDF, PBKDF2)'],
  [/^WebCryptoAPI\/derive_bits_keys\/derived_bits_length/, /^(HKDF|PBKDF2) derivation with 0 as 'length'/, 'deriveBits with length 0 resolves instead of rejecting with OperationError (HKDF, PBKDF2)'],
  [/^WebCryptoAPI\/derive_bits_keys\/derived_bits_length/, /^X25519/, 'X25519 is not implemented'],
  [/^WebCryptoAPI\//, /Unsupported named curve: P-(384|521)|P-384|P-521/, 'EC curves P-384 and P-521 are not implemented (P-256 only)'],
  [/^WebCryptoAPI\//, new RegExp(`Unrecognized algorithm name: (${ALGS})`, 'i'), null],
  [/^WebCryptoAPI\/.*(X25519|x25519|curve25519)/, null, 'X25519 is not implemented'],
  [/^WebCryptoAPI\/.*(X448|curve448|Ed448)/, null, 'X448 / Ed448 are not implemented'],
  [/^WebCryptoAPI\/.*ECDH/, null, 'ECDH is not implemented'],
  [/^WebCryptoAPI\//, /ECDH/, 'ECDH is not implemented'],
  [/^WebCryptoAPI\/.*(AES-CBC|aes_cbc)/, null, 'AES-CBC is not implemented'],
  [/^WebCryptoAPI\/.*(AES-CTR|aes_ctr)/, null, 'AES-CTR is not implemented'],
  [/^WebCryptoAPI\/.*AES-KW/, null, 'AES-KW is not implemented'],
  [/^WebCryptoAPI\/.*(RSA|rsa)/, null, 'RSA (RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP) is not implemented'],
  [/^WebCryptoAPI\//, /AES-GCM[^\n]*(tag|iv |iv\b|key is n)/, 'AES-GCM supports only 128-bit tags, 96-bit IVs and 128/256-bit keys'],
  [/^WebCryptoAPI\//, /AES-CBC/, 'AES-CBC is not implemented'],
  [/^WebCryptoAPI\//, /AES-CTR/, 'AES-CTR is not implemented'],
  [/^WebCryptoAPI\//, /AES-KW/, 'AES-KW is not implemented'],
  [/^WebCryptoAPI\//, /RSA/, 'RSA (RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP) is not implemented'],
  [/^WebCryptoAPI\/sign_verify\/eddsa_small_order/, null, 'Ed25519 verify accepts small-order public keys / signatures'],
  [/^WebCryptoAPI\/.*okp_importKey/, /JWK alg/, 'Ed25519 JWK import rejects the "alg" values the spec accepts'],
  [/^WebCryptoAPI\/wrapKey_unwrapKey/, /non-extractable JWK as extractable/, 'unwrapKey of a JWK marked non-extractable as extractable throws Error instead of DataError'],
]

/** The reason for an "Unrecognized algorithm name: X" failure. */
export function algorithmReason(message) {
  const m = new RegExp(`Unrecognized algorithm name: (${ALGS})`, 'i').exec(message)
  if (!m) return null
  const a = ALGS.split('|').find((x) => x.toLowerCase() === m[1].toLowerCase())
  if (a === 'X25519') return 'X25519 is not implemented'
  if (a === 'X448' || a === 'Ed448') return 'X448 / Ed448 are not implemented'
  if (a.startsWith('RSA')) return 'RSA (RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP) is not implemented'
  return `${a} is not implemented`
}
