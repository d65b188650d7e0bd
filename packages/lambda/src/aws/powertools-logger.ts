import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '@presence/core';
import type { Context } from 'aws-lambda';
import type { LogLevel } from '../config/index.js';
import { serializeFields } from './json-logger.js';

/** The {@link Logger} port with what a Lambda invocation adds to every line. */
export interface LambdaLogger extends Logger {
  /**
   * Starts an invocation's lines: `function_request_id`, `cold_start`, `function_name` and the
   * X-Ray trace id on every line, and a fresh sampling decision.
   */
  addContext(context: Context): void;
}

/** Options of {@link createPowertoolsLogger}. */
export interface PowertoolsLoggerOptions {
  /** Least severe level written. @default 'info' */
  readonly level?: LogLevel;
  /** Share of invocations (0..1) logged at debug whatever `level` says. @default 0 */
  readonly sampleRate?: number;
  /** The `service` key of every line. @default 'presence' */
  readonly serviceName?: string;
}

const LEVELS = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const;

/**
 * The {@link Logger} port on Powertools for AWS Lambda's Logger: one JSON line per entry with
 * `level`, `message`, `timestamp`, `service`, the invocation's request id, cold start and trace id,
 * and the fields. Errors in fields are written as `{name, code, message}` (the driver's text never);
 * callers keep URLs, titles, tokens and friend lists out of `info` (the port's contract), and a
 * sampled invocation's debug lines may hold them.
 * @example const logger = createPowertoolsLogger({ level: 'info', sampleRate: 0.01 });
 */
export function createPowertoolsLogger(options: PowertoolsLoggerOptions = {}): LambdaLogger {
  const logger = new PowertoolsLogger({
    logLevel: LEVELS[options.level ?? 'info'],
    serviceName: options.serviceName ?? 'presence',
    sampleRateValue: options.sampleRate ?? 0,
  });
  const entry =
    (write: (item: { message: string; [key: string]: unknown }) => void) =>
    (fields: Record<string, unknown>, message: string) =>
      write({ ...serializeFields(fields), message });
  return {
    debug: entry((item) => logger.debug(item)),
    info: entry((item) => logger.info(item)),
    warn: entry((item) => logger.warn(item)),
    error: entry((item) => logger.error(item)),
    addContext(context) {
      logger.addContext(context);
      logger.refreshSampleRateCalculation();
    },
  };
}
