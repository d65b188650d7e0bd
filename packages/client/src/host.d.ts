// The host globals the client uses, which browsers, MV3 service workers and Node all have. Declared
// here so that src compiles without the DOM lib or @types/node and cannot use anything else.
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(id: unknown): void;
