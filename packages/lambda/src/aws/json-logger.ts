import { type Logger, PresenceError } from '@presence/core';
import type { LogLevel } from '../config/index.js';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Least severe level written. @default 'info' */
  readonly level?: LogLevel;
  /** Receives each JSON line (no trailing newline). @default - a line to stdout, which Lambda ships to CloudWatch */
  readonly write?: (line: string) => void;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A structured {@link Logger}: one JSON line per entry, `{"level","time","msg",...fields}`.
 * Errors in fields become `{name, code, message}` (plus `stack` for unexpected ones); the caller
 * keeps URLs, titles, tokens and friend lists out of `info` (the Logger contract).
 * @example createLogger({ level: 'debug' }).info({ op: 'connect', userId }, 'connected');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? 'info'] ?? RANK.info;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const entry =
    (level: LogLevel) =>
    (fields: Record<string, unknown>, message: string): void => {
      if (RANK[level] < threshold) return;
      const record: Record<string, unknown> = {
        level,
        time: new Date().toISOString(),
        msg: message,
      };
      for (const [key, value] of Object.entries(serializeFields(fields))) {
        if (key === 'level' || key === 'time' || key === 'msg') continue;
        record[key] = value;
      }
      try {
        write(JSON.stringify(record));
      } catch {
        write(JSON.stringify({ level, time: record.time, msg: message, unserializable: true }));
      }
    };
  return { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
}

/**
 * Log fields with each Error replaced by `{name, code, message}` (and `stack` for an unexpected
 * one): a presence error's driver cause is named by its name and code only, never its text (hosts,
 * SQL, parameter values). Shared by every logger behind the port.
 */
export function serializeFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    out[key] = value instanceof Error ? serializeError(value) : value;
  }
  return out;
}

function serializeError(error: Error): Record<string, unknown> {
  if (PresenceError.isInstance(error)) {
    const cause = error.cause;
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      ...(cause instanceof Error ? { cause: { name: cause.name, code: codeOf(cause) } } : {}),
    };
  }
  return { name: error.name, code: codeOf(error), message: error.message, stack: error.stack };
}

function codeOf(error: Error): unknown {
  return (error as { code?: unknown }).code;
}

/** A logger that drops everything: the default when none is given. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
