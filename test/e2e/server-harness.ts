/**
 * Spawns the real `pagoda serve` on a generated model and hands tests its URL.
 * One server per test file; the port is picked by the OS (--port 0) and read
 * from the start-up banner; readiness is /health answering, never a sleep.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, before } from "node:test";
import OpenAI from "openai";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { repoRoot, testCacheDir } from "../../src/testing/paths.js";
import { fetchTrusting } from "./https-fetch.js";

export interface TestServer {
  url: string;
  baseURL: string;
  modelPath: string;
  process: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the server's output, as soon as it is printed. */
  waitForOutput: (pattern: RegExp) => Promise<RegExpExecArray>;
  /** The exit code once the process has exited (null when killed by a signal). */
  exited: Promise<number | null>;
  client: (options?: { apiKey?: string; maxRetries?: number }) => OpenAI;
  /** fetch for this server: the global one, or for HTTPS one trusting the server's certificate. */
  fetch: typeof fetch;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface StartOptions {
  preset?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  apiKey?: string;
  /** PEM certificate to trust, for a server started with --ssl-certfile. */
  ca?: string;
  /** Start the server with this command (e.g. `npm start`) instead of `node bin/pagoda.cjs serve --model <preset> ...args`. */
  command?: { file: string; args: string[] };
  /** Called once the server listens, before the model has loaded (its `pagoda: loading on URL` line). */
  onLoading?: (url: string) => Promise<void>;
}

export const cliPath = join(repoRoot, "bin", "pagoda.cjs");

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const modelPath = options.command ? "" : await ensureGeneratedModel(options.preset ?? "tiny-f32", testCacheDir);
  const { file, args } = options.command ?? {
    file: process.execPath,
    args: [cliPath, "serve", "--model", modelPath, "--port", "0", "--threads", "1", ...(options.args ?? [])],
  };
  const child = spawn(file, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (data: Buffer) => (output += data.toString()));
  child.stderr!.on("data", (data: Buffer) => (output += data.toString()));

  const printed = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const onData = () => {
        const match = pattern.exec(output);
        if (match) resolve(match[1]);
      };
      child.stdout!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`pagoda exited with ${code} before printing ${pattern}:\n${output}`)));
      onData(); // it may have been printed already
    });
  if (options.onLoading) await options.onLoading(await printed(/pagoda: loading on (https?:\/\/\S+)/));
  const url = await printed(/pagoda listening on (https?:\/\/\S+)/);
  const serverFetch = options.ca ? fetchTrusting(options.ca) : fetch;
  const health = await serverFetch(`${url}/health`);
  if (health.status !== 200) throw new Error(`/health answered ${health.status}`);

  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    child.once("close", () => {
      isClosed = true;
      resolve();
    }),
  );
  const waitForOutput = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (!match) return false;
        child.stdout!.off("data", check);
        child.stderr!.off("data", check);
        resolve(match);
        return true;
      };
      if (check()) return;
      const giveUp = () => {
        if (!check()) reject(new Error(`pagoda ended without printing ${pattern}:\n${output}`));
      };
      if (isClosed) return giveUp();
      // These listeners run after the harness's own, which append to `output` first.
      child.stdout!.on("data", check);
      child.stderr!.on("data", check);
      void closed.then(giveUp);
    });
  return {
    url,
    baseURL: `${url}/v1`,
    modelPath,
    process: child,
    output: () => output,
    waitForOutput,
    exited,
    fetch: serverFetch,
    client: (clientOptions = {}) =>
      new OpenAI({
        baseURL: `${url}/v1`,
        apiKey: clientOptions.apiKey ?? options.apiKey ?? "EMPTY",
        maxRetries: clientOptions.maxRetries ?? 0,
        ...(options.ca ? { fetch: serverFetch } : {}),
      }),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface ServedFile {
  server: TestServer;
  client: OpenAI;
  /** The first model /v1/models lists. */
  model: string;
}

/**
 * One server for the whole test file: started before its tests, handed to
 * `onStart` (which assigns the file's variables), and stopped after them,
 * checking that it exits cleanly.
 */
export function useServer(options: StartOptions, onStart: (served: ServedFile) => void): void {
  let server: TestServer | undefined;
  before(async () => {
    server = await startServer(options);
    const client = server.client();
    onStart({ server, client, model: (await client.models.list()).data[0].id });
  });
  after(async () => {
    if (server) assert.equal(await server.stop(), 0);
  });
}

/** Reads an SSE response body into its `data:` payloads. */
export async function readSse(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: "))
    .map((frame) => frame.slice("data: ".length));
}

/** /metrics as metric name -> value (the first series of each name). */
export async function readMetrics(server: TestServer): Promise<Map<string, number>> {
  const response = await server.fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  const metrics = new Map<string, number>();
  for (const [, name, value] of (await response.text()).matchAll(/^([^#\s{]+)(?:\{[^}]*\})? (\S+)$/gm)) {
    if (!metrics.has(name)) metrics.set(name, Number(value));
  }
  return metrics;
}

/**
 * Reads /metrics until `isDone` holds, for states the server signals nowhere
 * else (a non-streaming request admitted, requests queued). The gap between
 * reads doubles from 1 ms up to 100 ms, so polling never competes with the
 * engine for the CPU; the test's own timeout bounds the wait.
 */
export async function metricsWhen(server: TestServer, isDone: (metrics: Map<string, number>) => boolean): Promise<Map<string, number>> {
  for (let gapMs = 1; ; gapMs = Math.min(100, gapMs * 2)) {
    const metrics = await readMetrics(server);
    if (isDone(metrics)) return metrics;
    await delay(gapMs);
  }
}
