import { describe, expectTypeOf, it } from 'vitest';
import WebSocket from 'ws';
import type { FetchLike, WebSocketConstructor } from '../src/index.js';

// Checked by `pnpm typecheck` (tsc -p test): the runtimes' own constructors fit the options
// without a cast, so Node users pass `ws` and everyone else passes nothing.
describe('option types', () => {
  it('accept the ws package’s WebSocket and the global fetch', () => {
    expectTypeOf(WebSocket).toExtend<WebSocketConstructor>();
    expectTypeOf(globalThis.fetch).toExtend<FetchLike>();
  });
});
