import assert from "node:assert/strict";
import { test } from "node:test";
import { parseServeArgs, serveHelp, UsageError } from "./serve-config.js";

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
