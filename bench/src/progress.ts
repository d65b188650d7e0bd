/** A progress display for a long phase. */
export interface Progress {
  /** Sets the completed fraction (0..1) and an optional detail shown after the bar. */
  update(fraction: number, detail?: string): void;
  /** Clears the bar (TTY) or prints a final line (non-TTY). */
  done(detail?: string): void;
}

/** Renders a bar such as `[#####.....] 50%` of `width` cells. Pure, for tests. */
export function renderBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%`;
}

/**
 * Starts a progress bar on stderr. On a TTY it redraws one line at most 10 times a second; when
 * stderr is not a TTY (CI, piped) it prints only the start and end lines, so logs stay short.
 */
export function startProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const tty = stream.isTTY === true;
  const started = Date.now();
  let last = 0;
  if (!tty) stream.write(`  … ${label}\n`);
  const draw = (fraction: number, detail = '') => {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const text = `  ${renderBar(fraction)} ${label} ${secs}s ${detail}`;
    const cols = stream.columns ?? 120;
    stream.write(`\r${text.slice(0, cols - 1).padEnd(cols - 1)}`);
  };
  return {
    update(fraction, detail) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(fraction, detail);
    },
    done(detail) {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (tty) stream.write(`\r${' '.repeat((stream.columns ?? 120) - 1)}\r`);
      stream.write(`  ✓ ${label} (${secs}s)${detail ? ` ${detail}` : ''}\n`);
    },
  };
}
