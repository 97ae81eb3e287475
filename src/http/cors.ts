/**
 * CORS, configured as vLLM configures Starlette's CORSMiddleware:
 * `--allowed-origins`, `--allowed-methods`, `--allowed-headers` (each `["*"]`
 * by default) and `--allow-credentials` (off).
 *
 * - A preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) is
 *   answered here, before routing and the API key (browsers send no key on a
 *   preflight): 204 with the `Access-Control-Allow-*` headers, or a 400
 *   naming what is not allowed (Starlette: "Disallowed CORS origin").
 * - Any other request with an `Origin` gets `Access-Control-Allow-Origin` on
 *   its response, errors and streams included, so a browser can read them:
 *   `*` when every origin is allowed and credentials are not, else the
 *   request's own origin (with `Vary: Origin`) when it is allowed.
 *
 * Differences from Starlette: the preflight answer is 204 with no body rather
 * than 200 "OK"; with credentials allowed the origin is echoed on actual
 * responses too (Starlette sends `*`, which browsers refuse with credentials).
 */
import type { IncomingHttpHeaders } from "node:http";
import { InvalidRequestError } from "../errors.js";

export interface CorsConfig {
  allowedOrigins: readonly string[];
  allowedMethods: readonly string[];
  allowedHeaders: readonly string[];
  allowCredentials: boolean;
}

const allMethods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
/** Headers a browser may always send (the CORS-safelisted request headers Starlette allows). */
const safelistedHeaders = ["accept", "accept-language", "content-language", "content-type"];
const maxAgeSeconds = 600;

type Headers = Record<string, string>;

export class CorsPolicy {
  private readonly allowsAnyOrigin: boolean;
  private readonly allowsAnyHeader: boolean;
  private readonly origins: ReadonlySet<string>;
  private readonly methods: readonly string[];
  private readonly headers: ReadonlySet<string>;
  /** Whether responses name the request's origin rather than `*`. */
  private readonly echoesOrigin: boolean;

  constructor(private readonly config: CorsConfig) {
    this.allowsAnyOrigin = config.allowedOrigins.includes("*");
    this.allowsAnyHeader = config.allowedHeaders.includes("*");
    this.origins = new Set(config.allowedOrigins);
    this.methods = config.allowedMethods.includes("*") ? allMethods : config.allowedMethods.map((method) => method.toUpperCase());
    this.headers = new Set([...safelistedHeaders, ...config.allowedHeaders.map((header) => header.toLowerCase())]);
    this.echoesOrigin = !this.allowsAnyOrigin || config.allowCredentials;
  }

  static isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
    return method === "OPTIONS" && headers.origin !== undefined && headers["access-control-request-method"] !== undefined;
  }

  /** The headers of a preflight's 204; throws a 400 when the origin, method or a header is not allowed. */
  preflight(headers: IncomingHttpHeaders): Headers {
    const origin = headers.origin ?? "";
    const method = headers["access-control-request-method"] ?? "";
    const requestedHeaders = headers["access-control-request-headers"];
    const failures: string[] = [];
    if (!this.isAllowedOrigin(origin)) failures.push("origin");
    if (!this.methods.includes(method)) failures.push("method");
    if (requestedHeaders !== undefined && !this.allowsAnyHeader) {
      const names = requestedHeaders.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
      if (names.some((name) => !this.headers.has(name))) failures.push("headers");
    }
    if (failures.length > 0) {
      throw new InvalidRequestError(`Disallowed CORS ${failures.join(", ")}.`, { code: "cors_disallowed" });
    }
    const result: Headers = {
      "Access-Control-Allow-Origin": this.echoesOrigin ? origin : "*",
      "Access-Control-Allow-Methods": this.methods.join(", "),
      "Access-Control-Max-Age": String(maxAgeSeconds),
    };
    if (this.allowsAnyHeader) {
      if (requestedHeaders !== undefined) result["Access-Control-Allow-Headers"] = requestedHeaders;
    } else {
      result["Access-Control-Allow-Headers"] = [...this.headers].sort().join(", ");
    }
    if (this.config.allowCredentials) result["Access-Control-Allow-Credentials"] = "true";
    if (this.echoesOrigin) result.Vary = "Origin";
    return result;
  }

  /** The CORS headers of an actual response; none without an `Origin` or for an origin not allowed. */
  responseHeaders(headers: IncomingHttpHeaders): Headers {
    const origin = headers.origin;
    if (origin === undefined || !this.isAllowedOrigin(origin)) return {};
    const result: Headers = this.echoesOrigin ? { "Access-Control-Allow-Origin": origin, Vary: "Origin" } : { "Access-Control-Allow-Origin": "*" };
    if (this.config.allowCredentials) result["Access-Control-Allow-Credentials"] = "true";
    return result;
  }

  private isAllowedOrigin(origin: string): boolean {
    return this.allowsAnyOrigin || this.origins.has(origin);
  }
}
