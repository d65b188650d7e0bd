import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { runDemo } from '../index.mjs';

describe('embedding demo', () => {
  it('shows ada to her friend alan, hides her from grace (pending request), and tells alan when she leaves', async () => {
    const { alansView, received } = await runDemo();
    expect(alansView.presenceArr).toEqual([
      {
        userId: 'ada',
        page: {
          url: 'https://en.wikipedia.org/wiki/Analytical_engine',
          title: 'Analytical engine',
          domain: 'wikipedia.org',
        },
        latestPage: {
          url: 'https://en.wikipedia.org/wiki/Analytical_engine',
          title: 'Analytical engine',
          domain: 'wikipedia.org',
        },
      },
    ]);
    expect(received['alan-phone'].map((f: { type: string }) => f.type)).toEqual([
      'update-presence',
      'presence-timeout',
    ]);
    expect(received['ada-laptop'].map((f: { type: string }) => f.type)).toEqual([
      'update-presence',
    ]);
    expect(received['grace-desk']).toEqual([]);
  });
});
