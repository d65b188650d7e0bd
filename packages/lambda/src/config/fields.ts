import * as z from 'zod';

// Field rules shared by the configuration groups. Each rule is written once here; its message
// completes "<VARIABLE> ..." (the parser prefixes the variable name).

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** A required string. */
export const required = (what = 'is required') =>
  z.string({ error: (issue) => (issue.input === undefined ? what : 'must be a string') });

/** A whole number in `[min, max]`, given as decimal digits. */
export const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be a whole number from ${min} to ${max}`)
        .max(max, `must be a whole number from ${min} to ${max}`),
    );

/** A decimal fraction in `[0, 1]`. */
export const fraction = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a number from 0 to 1')
  .transform(Number);

/** `"true"` or `"false"` (also `1` / `0`). */
export const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be "true" or "false"' })
  .transform((value) => value === 'true' || value === '1');

/** One of the given words. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: `must be ${values.slice(0, -1).join(', ')}${values.length > 1 ? ' or ' : ''}${values.at(-1)}`,
  });

/** A comma list, trimmed, without empty items. */
export const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

/** An `https://` URL, or `http://` on a loopback host (local runs and tests); trailing slashes dropped. */
export const secureUrl = required().refine((value) => {
  const url = parseUrl(value);
  return (
    url !== undefined &&
    (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))
  );
}, 'must be an https:// URL (http:// only on a loopback host)');

/** A URL with one of the given protocols (`redis:` ...) and a host. */
export const urlOf = (protocols: readonly string[], what: string) =>
  required(`is required (${what})`).refine((value) => {
    const url = parseUrl(value);
    return url !== undefined && protocols.includes(url.protocol) && url.hostname !== '';
  }, `must be a ${what} URL`);

/** Any absolute URL. */
export const anyUrl = required().refine((value) => parseUrl(value) !== undefined, 'must be a URL');

/** A Secrets Manager secret ARN. */
export const secretArn = required().regex(
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/,
  'must be a Secrets Manager secret ARN',
);

/** A plain SQL identifier (a schema name). */
export const sqlIdentifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, 'must be a plain SQL identifier');

/** A comma list of origins (`scheme://host[:port]`), `*`, or `chrome-extension://<id>`. */
export const origins = list.superRefine((items, ctx) => {
  if (items.includes('*') && items.length > 1) {
    ctx.addIssue({ code: 'custom', message: 'has "*", which allows every origin: give it alone' });
  }
  for (const origin of items) {
    const ok =
      origin === '*' ||
      parseUrl(origin)?.origin === origin ||
      /^chrome-extension:\/\/[a-z]+$/.test(origin);
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        message: `has "${origin}", which is not an origin (scheme://host[:port])`,
      });
    }
  }
});

/**
 * The environment as the groups read it: values trimmed, empty ones dropped (CloudFormation and
 * shells write `""` for "unset").
 */
export function normalizeEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env ?? {})) {
    if (typeof value !== 'string') continue;
    const trimmed = value.trim();
    if (trimmed !== '') out[key] = trimmed;
  }
  return out;
}

/** A DynamoDB table name (3-255 of `A-Z a-z 0-9 _ . -`) or table ARN. */
export const dynamoTableName = required().regex(
  /^(?:[A-Za-z0-9_.-]{3,255}|arn:[^\s]+:table\/[A-Za-z0-9_.-]{3,255})$/,
  'must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) or table ARN',
);
