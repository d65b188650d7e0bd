import { MemoryActivityLog } from '../src/index.js';
import { describeActivityLog } from '../src/testing/index.js';

describeActivityLog(
  'memory',
  async ({ clock, retentionMs }) => new MemoryActivityLog({ clock, retentionMs }),
);
