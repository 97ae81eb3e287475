/**
 * The server's own log (faults, warnings, what it loads and unloads): pino
 * JSON lines on stderr, written synchronously so that a line about a fault is
 * out before the process can exit. A request's code logs through its
 * handle's child logger (request-handle.ts), which carries the request id.
 * The CLI's banner and command output stay plain text on stdout; the request
 * log (--enable-log-requests) is its own pino stream on stdout.
 */
import { pino, type Logger } from "pino";

export type { Logger };

/** The levels `--log-level` takes (pino's, without trace and silent). */
export const logLevels: readonly string[] = ["fatal", "error", "warn", "info", "debug"];

export const serverLog: Logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
