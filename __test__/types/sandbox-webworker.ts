// Sandbox code checked against lib.webworker: edge-isolate/globals adds serve() without clashing.
import type {} from 'edge-isolate/globals'
serve({
  fetch: async (request) => {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(await request.text()))
    return new Response(new Uint8Array(digest), { headers: { 'content-type': 'application/octet-stream' } })
  },
})
// @ts-expect-error serve needs options
serve()
export {}
