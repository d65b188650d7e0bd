/** A clean-up step: stop a server, drop a schema, delete keys. */
export type CleanupStep = () => Promise<void> | void;

const steps: { label: string; step: CleanupStep }[] = [];
let running: Promise<void> | undefined;

/** Registers a clean-up step; steps run last-registered first. Returns a function that unregisters it. */
export function onCleanup(label: string, step: CleanupStep): () => void {
  const entry = { label, step };
  steps.push(entry);
  return () => {
    const i = steps.indexOf(entry);
    if (i >= 0) steps.splice(i, 1);
  };
}

/** Runs every registered step once (LIFO), logging failures instead of throwing. Idempotent. */
export function runCleanup(): Promise<void> {
  running ??= (async () => {
    while (steps.length > 0) {
      const entry = steps.pop();
      if (entry === undefined) break;
      try {
        await entry.step();
      } catch (error) {
        process.stderr.write(`  cleanup "${entry.label}" failed: ${(error as Error).message}\n`);
      }
    }
  })();
  return running;
}

/** Runs {@link runCleanup} on SIGINT/SIGTERM, then exits with 130/143. */
export function installSignalCleanup(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: cleaning up…\n`);
      const hard = setTimeout(() => process.exit(code), 20_000);
      hard.unref();
      void runCleanup().finally(() => process.exit(code));
    });
  }
}
