import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../errors.js";
import { parseServeArgs, serveHelp } from "./serve-config.js";

test("the operations flags default to vLLM's CORS defaults, no root path, a 30 s drain and 32 MiB bodies", () => {
  const config = parseServeArgs([], {});
  assert.deepEqual(config.allowedOrigins, ["*"]);
  assert.deepEqual(config.allowedMethods, ["*"]);
  assert.deepEqual(config.allowedHeaders, ["*"]);
  assert.equal(config.allowCredentials, false);
  assert.equal(config.rootPath, "");
  assert.equal(config.shutdownTimeoutSeconds, 30);
  assert.equal(config.maxBodyBytes, 32 * 1024 * 1024);
});

test("CORS lists: a JSON list (vLLM's form) or a comma list, from flags or the environment", () => {
  const fromJson = parseServeArgs(["--allowed-origins", '["https://a.test", "https://b.test"]', "--allow-credentials"], {});
  assert.deepEqual(fromJson.allowedOrigins, ["https://a.test", "https://b.test"]);
  assert.equal(fromJson.allowCredentials, true);
  const fromCommas = parseServeArgs(["--allowed-methods=GET, POST", "--allowed-headers", "authorization", "content-type"], {});
  assert.deepEqual(fromCommas.allowedMethods, ["GET", "POST"]);
  assert.deepEqual(fromCommas.allowedHeaders, ["authorization", "content-type"]);
  const fromEnv = parseServeArgs([], { PAGODA_ALLOWED_ORIGINS: '["https://c.test"]', PAGODA_ALLOWED_HEADERS: "a, b", PAGODA_ALLOW_CREDENTIALS: "1" });
  assert.deepEqual(fromEnv.allowedOrigins, ["https://c.test"]);
  assert.deepEqual(fromEnv.allowedHeaders, ["a", "b"]);
  assert.equal(fromEnv.allowCredentials, true);
  assert.deepEqual(parseServeArgs(["--allowed-origins", "[]"], {}).allowedOrigins, []);
  assert.throws(() => parseServeArgs(["--allowed-origins", "[1, 2]"], {}), UsageError);
  assert.throws(() => parseServeArgs(["--allowed-origins", '["a"'], {}), UsageError);
});

test("--root-path is normalized to a leading slash and no trailing one", () => {
  assert.equal(parseServeArgs(["--root-path", "/llm/"], {}).rootPath, "/llm");
  assert.equal(parseServeArgs(["--root-path", "/"], {}).rootPath, "");
  assert.equal(parseServeArgs([], { PAGODA_ROOT_PATH: "/a/b" }).rootPath, "/a/b");
  assert.throws(() => parseServeArgs(["--root-path", "llm"], {}), UsageError);
});

test("--shutdown-timeout and --max-request-body-bytes take whole numbers", () => {
  const config = parseServeArgs(["--shutdown-timeout", "0", "--max-request-body-bytes", "1024"], {});
  assert.equal(config.shutdownTimeoutSeconds, 0);
  assert.equal(config.maxBodyBytes, 1024);
  assert.equal(parseServeArgs([], { PAGODA_SHUTDOWN_TIMEOUT: "60" }).shutdownTimeoutSeconds, 60);
  assert.throws(() => parseServeArgs(["--shutdown-timeout", "-1"], {}), UsageError);
  assert.throws(() => parseServeArgs(["--shutdown-timeout", "1.5"], {}), UsageError);
});

test("the help lists the new flags with their environment variables", () => {
  const help = serveHelp();
  for (const name of ["ALLOWED_ORIGINS", "ALLOWED_METHODS", "ALLOWED_HEADERS", "ALLOW_CREDENTIALS", "ROOT_PATH", "SHUTDOWN_TIMEOUT", "MAX_REQUEST_BODY_BYTES"]) {
    assert.match(help, new RegExp(`\\[env PAGODA_${name}\\]`));
  }
});

test("HTTPS needs both --ssl-keyfile and --ssl-certfile, from flags or the environment", () => {
  const plain = parseServeArgs([], {});
  assert.equal(plain.sslKeyfile, null);
  assert.equal(plain.sslCertfile, null);
  const both = parseServeArgs(["--ssl-keyfile", "key.pem"], { PAGODA_SSL_CERTFILE: "cert.pem" });
  assert.equal(both.sslKeyfile, "key.pem");
  assert.equal(both.sslCertfile, "cert.pem");
  assert.throws(() => parseServeArgs(["--ssl-keyfile", "key.pem"], {}), /both --ssl-keyfile and --ssl-certfile/);
  assert.throws(() => parseServeArgs([], { PAGODA_SSL_CERTFILE: "cert.pem" }), UsageError);
});

test("request logs: off by default, prompts only with --max-log-len, which needs --enable-log-requests", () => {
  assert.equal(parseServeArgs([], {}).enableLogRequests, false);
  assert.equal(parseServeArgs([], {}).maxLogLen, null);
  const config = parseServeArgs(["--enable-log-requests", "--max-log-len", "5"], {});
  assert.equal(config.enableLogRequests, true);
  assert.equal(config.maxLogLen, 5);
  assert.equal(parseServeArgs([], { PAGODA_ENABLE_LOG_REQUESTS: "1" }).enableLogRequests, true);
  assert.throws(() => parseServeArgs(["--max-log-len", "5"], {}), /--enable-log-requests/);
  for (const name of ["SSL_KEYFILE", "SSL_CERTFILE", "ENABLE_LOG_REQUESTS", "MAX_LOG_LEN"]) assert.match(serveHelp(), new RegExp(`\\[env PAGODA_${name}\\]`));
});

test("--max-step-ms (or PAGODA_MAX_STEP_MS) sets the step time target; absent, the engine derives it", () => {
  assert.equal(parseServeArgs([], {}).maxStepMs, null);
  assert.equal(parseServeArgs(["--max-step-ms", "250"], {}).maxStepMs, 250);
  assert.equal(parseServeArgs([], { PAGODA_MAX_STEP_MS: "300" }).maxStepMs, 300);
  assert.match(serveHelp(), /\[env PAGODA_MAX_STEP_MS\]/);
});

test("--log-level (or PAGODA_LOG_LEVEL) sets the server log's level; info by default", () => {
  assert.equal(parseServeArgs([], {}).logLevel, "info");
  assert.equal(parseServeArgs(["--log-level", "debug"], {}).logLevel, "debug");
  assert.equal(parseServeArgs([], { PAGODA_LOG_LEVEL: "warn" }).logLevel, "warn");
  assert.match(serveHelp(), /\[env PAGODA_LOG_LEVEL\]/);
});

test("the response store flags: on by default and bounded, --no-responses-store names a flag of its own, PATH and off contradict", () => {
  const config = parseServeArgs([], {});
  assert.equal(config.noResponsesStore, false);
  assert.equal(config.responsesStorePath, null);
  assert.equal(config.responsesStoreMaxBytes, 64 * 1024 * 1024);
  assert.equal(config.responsesStoreTtlSeconds, 30 * 24 * 3600);
  assert.equal(parseServeArgs(["--no-responses-store"], {}).noResponsesStore, true);
  assert.equal(parseServeArgs([], { PAGODA_NO_RESPONSES_STORE: "1" }).noResponsesStore, true);
  assert.equal(parseServeArgs(["--no-enable-prefix-caching"], {}).enablePrefixCaching, false);
  const stored = parseServeArgs(["--responses-store", "/tmp/r.json", "--responses-store-max-bytes", "1000", "--responses-store-ttl", "0"], {});
  assert.deepEqual([stored.responsesStorePath, stored.responsesStoreMaxBytes, stored.responsesStoreTtlSeconds], ["/tmp/r.json", 1000, 0]);
  assert.throws(() => parseServeArgs(["--responses-store", "/tmp/r.json", "--no-responses-store"], {}), UsageError);
});

test("the KV pool: on by default; --no-kv-pool or PAGODA_KV_POOL=0 gives each sequence a fixed share", () => {
  assert.equal(parseServeArgs([], {}).kvPool, true);
  assert.equal(parseServeArgs(["--no-kv-pool"], {}).kvPool, false);
  assert.equal(parseServeArgs([], { PAGODA_KV_POOL: "0" }).kvPool, false);
  assert.equal(parseServeArgs(["--kv-pool"], { PAGODA_KV_POOL: "0" }).kvPool, true, "the command line wins");
  assert.match(serveHelp(), /--kv-pool\s.*--no-kv-pool/s);
});
