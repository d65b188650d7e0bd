import { loadLocal } from '../adapters.js';
import type { BenchContext } from './context.js';

/** The local runtime over real WebSockets (issue 6). */
export async function measureLocal(ctx: BenchContext): Promise<void> {
  if (ctx.options.wsClients === 0) {
    ctx.report.notMeasured('local', 'WebSocket clients through @presence/local', 'skipped with --no-local');
    return;
  }
  const local = await loadLocal();
  if (typeof local.startLocalPresence !== 'function') {
    ctx.report.notMeasured('local', 'WebSocket clients through @presence/local', '@presence/local exports no startLocalPresence yet');
    return;
  }
  ctx.report.notMeasured('local', 'WebSocket clients through @presence/local', 'phase not implemented in this bench yet');
}
