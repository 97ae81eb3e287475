/**
 * --enable-log-requests: request log lines as pino JSON on stdout, beside the
 * start-up banner (the harness and log shippers read stdout; stderr stays for
 * internal errors). pino's default destination writes synchronously, so the
 * lines of requests aborted at shutdown are out before the process exits.
 */
import { pino } from "pino";
import { RequestLog, type RequestLogConfig } from "../http/request-log.js";

export function createRequestLog(config: Omit<RequestLogConfig, "write">): RequestLog {
  const logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
  return new RequestLog({ ...config, write: (line) => logger.info(line, "request") });
}
