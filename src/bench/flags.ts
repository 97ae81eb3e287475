/**
 * The flags of `pagoda bench serve`, named as vLLM's `bench serve` where it has
 * them, parsed once into a config; and the command's --help.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { parseRequestRate } from "./arrivals.js";
import type { Endpoint } from "./client.js";
import { datasetKinds, type DatasetSpec } from "./datasets.js";

export function benchHelp(): string {
  return `Usage: pagoda bench serve [flags]

Benchmarks a running OpenAI-compatible server (pagoda, vLLM, llama-server, ...)
like 'vllm bench serve': sends --num-prompts streaming requests arriving as a
Poisson process at --request-rate, at most --max-concurrency at a time, and
reports request/token throughput and TTFT, TPOT, ITL and end-to-end latency
(mean, median, p90, p99 in ms). Token counts come from the server's 'usage'
(stream_options.include_usage), so numbers compare across servers.

Server:
  --base-url URL          OpenAI base URL (default http://127.0.0.1:8000/v1; '/v1' is
                          added when the URL has no path)
  --model NAME            model to request (default: the first id of GET {base}/models)
  --endpoint KIND         chat (/chat/completions) or completions (/completions,
                          the default, as vLLM's)
  --api-key KEY           sent as 'Authorization: Bearer KEY' (default $OPENAI_API_KEY)

Workload:
  --dataset KIND          random (default): --input-len tokens of random common English
                            words, cut to length with the server's /tokenize and /detokenize
                            (vLLM's, pagoda's or llama-server's; a server without them gets
                            --input-len words, about as many tokens in GPT-2/Qwen-style BPE);
                          shared-prefix: one shared system prompt of --prefix-len tokens
                            plus a distinct suffix of --input-len tokens each;
                          file: JSONL (or a JSON array) from --dataset-path with 'prompt',
                            or ShareGPT 'conversations' (first human turn), shuffled
  --dataset-path FILE     the file for --dataset file
  --num-prompts N         requests measured (default 100)
  --input-len N           prompt tokens for random, suffix tokens for shared-prefix (default 128)
  --range-ratio R         vary lengths uniformly in [len*(1-R), len*(1+R)], 0 <= R < 1 (default 0)
  --prefix-len N          shared-prefix: tokens in the shared system prompt (default 1000)
  --output-len N          max_tokens of every request (default 128)
  --ignore-eos            send ignore_eos: true, so every request makes --output-len tokens
                          (vLLM and llama-server accept it; OpenAI does not)
  --temperature T         sampling temperature (default 0)
  --seed N                seeds the prompts and the arrival times (default 0)

Load:
  --max-concurrency N     requests in flight at most (default: unlimited)
  --request-rate R        mean requests per second, exponential gaps; 'inf' (default)
                          sends them all at once (bounded by --max-concurrency)
  --warmup N              send N requests first, one at a time, not counted (default 0);
                          they are further prompts from the same dataset (a shared-prefix
                          warm-up sees the shared prefix once, as a live server would)

Output:
  --save-result FILE      write the config, metrics and per-request numbers as JSON
  --label TEXT            a name stored in the JSON (e.g. the server's)

The report goes to stdout, progress to stderr. Exits 1 if every request failed.
Definitions: TTFT = first chunk with generated text (not the role chunk); TPOT =
(E2E - TTFT) / (output tokens - 1); ITL = gaps between content chunks, pooled;
percentiles interpolate linearly between closest ranks (numpy's default).

Example:
  pagoda bench serve --base-url http://127.0.0.1:8000/v1 --endpoint chat \\
    --input-len 128 --output-len 64 --ignore-eos --num-prompts 48 --max-concurrency 16`;
}

export interface BenchConfig {
  baseUrl: string;
  model: string | null;
  endpoint: Endpoint;
  apiKey: string | undefined;
  dataset: DatasetSpec;
  numPrompts: number;
  outputLen: number;
  isIgnoreEos: boolean;
  temperature: number;
  maxConcurrency: number | null;
  requestRate: number;
  seed: number;
  warmup: number;
  saveResult: string | null;
  label: string | null;
}

export function intFlag(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${text}'`);
  return value;
}

function numberFlag(name: string, text: string | undefined, fallback: number, isValid: (v: number) => boolean, rule: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || !isValid(value)) throw new UsageError(`--${name} must be ${rule}, got '${text}'`);
  return value;
}

export function normalizeBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--base-url is not a URL: '${text}'`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.origin}${path === "" ? "/v1" : path}`;
}

/** The options of `bench serve` for node:util parseArgs (`bench compare` reuses the workload ones). */
export const benchServeOptions = {
  "base-url": { type: "string" }, model: { type: "string" }, endpoint: { type: "string" }, "api-key": { type: "string" },
  dataset: { type: "string" }, "dataset-path": { type: "string" }, "num-prompts": { type: "string" }, "input-len": { type: "string" },
  "range-ratio": { type: "string" }, "prefix-len": { type: "string" }, "output-len": { type: "string" },
  "ignore-eos": { type: "boolean" }, temperature: { type: "string" }, seed: { type: "string" },
  "max-concurrency": { type: "string" }, "request-rate": { type: "string" }, warmup: { type: "string" },
  "save-result": { type: "string" }, label: { type: "string" },
} as const;

/** Parsed `bench serve` flag values, as parseArgs returns them. */
export type BenchServeValues = { "ignore-eos"?: boolean } & { [K in Exclude<keyof typeof benchServeOptions, "ignore-eos">]?: string };

export function parseBenchArgs(args: readonly string[], env: NodeJS.ProcessEnv): BenchConfig {
  const [sub, ...rest] = args;
  if (sub !== "serve") throw new UsageError(sub === undefined ? "missing subcommand: pagoda bench serve|compare [flags]" : `unknown bench subcommand '${sub}' (known: serve, compare)`);
  let values: BenchServeValues;
  try {
    ({ values } = parseArgs({ args: [...rest], strict: true, allowPositionals: false, options: benchServeOptions }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return benchConfigFromValues(values, env);
}

/** The config from parsed flag values, with the defaults; throws UsageError for bad values. */
export function benchConfigFromValues(values: BenchServeValues, env: NodeJS.ProcessEnv): BenchConfig {
  const endpoint = values.endpoint ?? "completions";
  if (endpoint !== "chat" && endpoint !== "completions") throw new UsageError(`--endpoint must be chat or completions, got '${endpoint}'`);
  const seed = intFlag("seed", values.seed, 0, 0);
  const inputLen = intFlag("input-len", values["input-len"], 128, 1);
  const rangeRatio = numberFlag("range-ratio", values["range-ratio"], 0, (v) => v >= 0 && v < 1, "in [0, 1)");
  const kind = values.dataset ?? "random";
  let dataset: DatasetSpec;
  if (kind === "random") dataset = { kind, inputLen, rangeRatio, seed };
  else if (kind === "shared-prefix") dataset = { kind, prefixLen: intFlag("prefix-len", values["prefix-len"], 1000, 1), inputLen, rangeRatio, seed };
  else if (kind === "file") {
    if (!values["dataset-path"]) throw new UsageError("--dataset file needs --dataset-path FILE");
    dataset = { kind, path: values["dataset-path"], seed };
  } else throw new UsageError(`--dataset must be one of ${datasetKinds.join(", ")}, got '${kind}'`);
  let requestRate: number;
  try {
    requestRate = parseRequestRate(values["request-rate"] ?? "inf");
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    baseUrl: normalizeBaseUrl(values["base-url"] ?? "http://127.0.0.1:8000/v1"),
    model: values.model ?? null,
    endpoint,
    apiKey: values["api-key"] ?? (env.OPENAI_API_KEY || undefined),
    dataset,
    numPrompts: intFlag("num-prompts", values["num-prompts"], 100, 1),
    outputLen: intFlag("output-len", values["output-len"], 128, 1),
    isIgnoreEos: values["ignore-eos"] ?? false,
    temperature: numberFlag("temperature", values.temperature, 0, (v) => v >= 0, ">= 0"),
    maxConcurrency: values["max-concurrency"] === undefined ? null : intFlag("max-concurrency", values["max-concurrency"], 1, 1),
    requestRate,
    seed,
    warmup: intFlag("warmup", values.warmup, 0, 0),
    saveResult: values["save-result"] ?? null,
    label: values.label ?? null,
  };
}
