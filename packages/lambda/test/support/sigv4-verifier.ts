import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CapturedRequest } from './capture-gateway.js';

/** Why a request's signature was rejected, or `ok`. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

// The signer adds these itself (from the date, the credentials and the body it is given).
const ADDED_BY_SIGNER = new Set(['x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']);

/**
 * Checks a received request's SigV4 signature the way the service would: recomputes it from the
 * method, the raw path, the headers named in `SignedHeaders`, `x-amz-date` and the body as
 * received, with the known secret, and compares it with `Authorization`. The payload hash is
 * recomputed from the body, never taken from `x-amz-content-sha256`.
 */
export async function verifySigV4(
  request: CapturedRequest,
  secretAccessKey: string,
): Promise<Verdict> {
  const reject = (reason: string): Verdict => ({ ok: false, reason });
  const authorization = header(request, 'authorization');
  const match = authorization === undefined ? null : AUTHORIZATION.exec(authorization);
  if (match === null) return reject(`malformed Authorization: ${authorization}`);
  const [, accessKeyId, day, region, service, signedHeaders] = match as unknown as string[];
  const amzDate = header(request, 'x-amz-date');
  if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate)) return reject('no x-amz-date');
  if (!amzDate.startsWith(day as string)) return reject('x-amz-date is not the scope date');

  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const sentHash = header(request, 'x-amz-content-sha256');
  if (sentHash !== undefined && sentHash !== payloadHash) {
    return reject('x-amz-content-sha256 does not match the body');
  }
  const names = (signedHeaders as string).split(';');
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = header(request, name);
    if (value === undefined) return reject(`signed header ${name} is missing`);
    if (!ADDED_BY_SIGNER.has(name)) headers[name] = value;
  }
  const sessionToken = names.includes('x-amz-security-token')
    ? header(request, 'x-amz-security-token')
    : undefined;

  const [path, search = ''] = request.rawPath.split('?', 2) as [string, string?];
  const signer = new SignatureV4({
    service: service as string,
    region: region as string,
    credentials: {
      accessKeyId: accessKeyId as string,
      secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    },
    sha256: TestSha256,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: header(request, 'host') ?? '',
      path,
      query: Object.fromEntries(new URLSearchParams(search)),
      headers,
      body: request.body,
    },
    { signingDate: dateOf(amzDate) },
  );
  return expected.headers.authorization === authorization
    ? { ok: true }
    : reject(`signature mismatch: expected ${expected.headers.authorization}`);
}

/** Signed header names of a request, from its `Authorization`. */
export function signedHeadersOf(request: CapturedRequest): string[] {
  return (
    /SignedHeaders=([a-z0-9;-]+)/.exec(header(request, 'authorization') ?? '')?.[1]?.split(';') ??
    []
  );
}

function header(request: CapturedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `20261128T043951Z` → that instant. */
function dateOf(amzDate: string): Date {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
    amzDate,
  ) as unknown as string[];
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The verifier's own SHA-256 (independent of the transport's). */
class TestSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }
  reset(): void {
    throw new Error('not used by the signer');
  }
}
