// The family's import (`@ricsam/isolate-runtime`, or `./index.ts` inside its own package) mapped
// onto edge-isolate: nothing is re-implemented here.
export * from 'edge-isolate'
