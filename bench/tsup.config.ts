import { defineConfig } from 'tsup';

// The bench is an application, not a library: ESM entries, no .d.ts. Workspace packages stay
// external and are imported lazily, so the bench builds and runs (reporting "not measured") even
// while one of them is missing or broken. The `@connections` stand-in runs in a worker thread,
// which Node loads from a file: `gateway-stand-in-worker` is its own entry, emitted beside main.js.
export default defineConfig({
  entry: {
    main: 'src/main.ts',
    'gateway-stand-in-worker': 'src/gateway-stand-in-worker.ts',
    // The heartbeat's store step runs in a process of its own, as redis-benchmark does.
    'store-step-process': 'src/store-step-process.ts',
  },
  format: ['esm'],
  // Each entry self-contained: no shared chunk files between main.js and the worker.
  splitting: false,
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
});
