// psl 1.15 ships types, but its `exports` map does not point to them under "Bundler" resolution.
declare module 'psl' {
  /** A hostname psl could parse; `domain` is `null` when it has no registrable domain. */
  interface ParsedDomain {
    readonly input: string;
    readonly tld: string | null;
    readonly sld: string | null;
    readonly domain: string | null;
    readonly subdomain: string | null;
    readonly listed: boolean;
    readonly error?: undefined;
  }
  /** A hostname psl refused (empty, a bad label). */
  interface ErrorResult {
    readonly input: string;
    readonly error: { readonly code: string; readonly message: string };
  }
  const psl: {
    parse(input: string): ParsedDomain | ErrorResult;
    get(domain: string): string | null;
  };
  export default psl;
}
