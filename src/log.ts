/**
 * Structured logging: one line per event, JSON or pretty, levels, child loggers with fields.
 * The only module (with CLI output) that writes to the console.
 *
 * @module
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "json" | "pretty";
export type LogFields = Record<string, unknown>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOG_LEVELS = Object.keys(LEVELS) as LogLevel[];

/** Field names whose values are never written, whatever the caller passes. */
const SECRET_KEYS = /secret|password|passwd|token|authorization|access_?key|credential/i;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; defaults to stderr. Tests pass a collector. */
  sink?: (line: string) => void;
  now?: () => Date;
}

/** Creates a logger writing to stderr (or `sink`). */
export function createLogger(opts: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = LEVELS[opts.level ?? "info"];
  const format = opts.format ?? "json";
  const sink = opts.sink ?? ((line: string) => console.error(line));
  const now = opts.now ?? (() => new Date());
  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    const all = { ...base, ...fields };
    sink(format === "json" ? jsonLine(now(), level, msg, all) : prettyLine(now(), level, msg, all));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger(opts, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tools and tests that want silence). */
export function silentLogger(): Logger {
  return createLogger({ sink: () => {} });
}

function jsonLine(t: Date, level: LogLevel, msg: string, fields: LogFields): string {
  return JSON.stringify({ time: t.toISOString(), level, msg, ...sanitize(fields) }, jsonReplacer);
}

function prettyLine(t: Date, level: LogLevel, msg: string, fields: LogFields): string {
  const rest = Object.entries(sanitize(fields))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v, jsonReplacer)}`)
    .join(" ");
  return `${t.toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? " " + rest : ""}`;
}

function sanitize(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out[k] = SECRET_KEYS.test(k) ? "[redacted]" : v instanceof Error ? errorFields(v) : v;
  }
  return out;
}

function errorFields(err: Error): LogFields {
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    cause: err.cause instanceof Error ? errorFields(err.cause) : err.cause,
  };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
