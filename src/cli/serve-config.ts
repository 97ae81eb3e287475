/**
 * `pagoda serve` flags, named as `vllm serve`'s. Each flag can also come from
 * an environment variable PAGODA_<FLAG> (upper case, dashes as underscores);
 * the command line wins. Parsed once into a frozen config.
 */
import { availableParallelism } from "node:os";
import { UsageError } from "../errors.js";

export interface ServeConfig {
  /** The first --model (null: the built-in model); all of them are in `models`. */
  model: string | null;
  /** Every --model value: `PATH` or `NAME=PATH` (see served-models.ts). */
  models: string[];
  /** --config: a JSON file listing models (see served-models.ts). */
  configFile: string | null;
  /** --lora-modules `NAME=PATH` values, adapters on the first model. */
  loraModules: string[];
  maxLoadedModels: number | null;
  maxLoadedBytes: number | null;
  host: string;
  port: number;
  apiKeys: string[];
  servedModelNames: string[];
  maxModelLen: number | null;
  /** Serve a --max-model-len above the model's trained context (vLLM's VLLM_ALLOW_LONG_MAX_MODEL_LEN). */
  allowLongMaxModelLen: boolean;
  /** One KV pool all sequences share (needs the unified-KV addon); false (--no-kv-pool): a fixed --max-model-len share per sequence. */
  kvPool: boolean;
  /** KV pool budget in bytes (vLLM's --kv-cache-memory); null: the default. */
  kvCacheMemory: number | null;
  /** KV pool size in tokens; null: from --kv-cache-memory or the default. */
  kvCacheTokens: number | null;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** ITL target of a step that carries decodes (ms); null: twice the decodes' own measured step. */
  maxStepMs: number | null;
  maxWaitingRequests: number;
  enablePrefixCaching: boolean;
  /** vLLM's VLLM_ALLOW_RUNTIME_LORA_UPDATING, as a flag. */
  enableRuntimeLoraUpdating: boolean;
  schedulingPolicy: string;
  threads: number;
  chatTemplate: string | null;
  maxBodyBytes: number;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  allowCredentials: boolean;
  /** A path prefix also served, normalized: "" or "/x" (leading slash, none trailing). */
  rootPath: string;
  shutdownTimeoutSeconds: number;
  maxLogprobs: number;
  /** PEM files: both set serves HTTPS. */
  sslKeyfile: string | null;
  sslCertfile: string | null;
  enableLogRequests: boolean;
  /** --disable-frontend: no web page at `/`. */
  disableFrontend: boolean;
  /** Prompt characters in request logs; null (default) or 0: none. */
  maxLogLen: number | null;
  /** Embedding pooling (mean, cls, last): serves /v1/embeddings from a generation model, or overrides an embedding model's. */
  pooling: string | null;
  /** vLLM's --tool-call-parser name; null: guessed from the chat template. */
  toolCallParser: string | null;
  /** vLLM's --reasoning-parser name (deepseek_r1, qwen3); null: none. */
  reasoningParser: string | null;
  /** --responses-store PATH: a file (or folder) the stored responses persist in across restarts; null: memory only. */
  responsesStorePath: string | null;
  /** --no-responses-store: /v1/responses keeps nothing (previous_response_id and retrieve answer 400/404). */
  noResponsesStore: boolean;
  responsesStoreMaxBytes: number;
  /** 0: stored responses never expire (the byte bound still applies). */
  responsesStoreTtlSeconds: number;
  /** The server log's level (pino's): debug adds one line per forward pass. */
  logLevel: string;
}

interface FlagSpec {
  name: string;
  key: keyof ServeConfig;
  /** `strings`: a JSON list (`["a","b"]`, vLLM's form) or a comma list (`a,b`). */
  /** `repeat`: one value per occurrence, collected (an environment variable gives one). */
  kind: "string" | "int" | "list" | "strings" | "bool" | "repeat";
  help: string;
  placeholder?: string;
}

export const serveFlags: FlagSpec[] = [
  { name: "model", key: "models", kind: "repeat", placeholder: "MODEL", help: "model to serve: a GGUF file, hf:ORG/REPO:QUANT, hf:ORG/REPO/FILE.gguf, ORG/REPO or an https:// URL (downloaded into the cache; see pagoda pull --help); repeat for several models, each as MODEL or NAME=MODEL (default: pagoda's built-in tiny model, whose output is meaningless)" },
  { name: "config", key: "configFile", kind: "string", placeholder: "FILE", help: "JSON file listing models to serve, with names, aliases, context length, threads, LoRA adapters (see README)" },
  { name: "lora-modules", key: "loraModules", kind: "list", placeholder: "NAME=PATH...", help: "GGUF LoRA adapters on the first model, each served as model NAME" },
  { name: "enable-runtime-lora-updating", key: "enableRuntimeLoraUpdating", kind: "bool", help: "serve POST /v1/load_lora_adapter and /v1/unload_lora_adapter (vLLM's, behind the API key): LoRA adapters on the first model loaded while running (default off)" },
  { name: "max-loaded-models", key: "maxLoadedModels", kind: "int", placeholder: "N", help: "models kept in memory at once; others load on their first request, the least recently used idle one is unloaded (default: all)" },
  { name: "max-loaded-bytes", key: "maxLoadedBytes", kind: "int", placeholder: "N", help: "as --max-loaded-models, a budget in bytes of model files (default: none)" },
  { name: "host", key: "host", kind: "string", placeholder: "HOST", help: "address to listen on (default 127.0.0.1; 0.0.0.0 serves other machines)" },
  { name: "port", key: "port", kind: "int", placeholder: "PORT", help: "port to listen on (default 8000; 0 picks a free one)" },
  { name: "api-key", key: "apiKeys", kind: "list", placeholder: "KEY", help: "require 'Authorization: Bearer KEY' on /v1/* (repeatable)" },
  { name: "served-model-name", key: "servedModelNames", kind: "list", placeholder: "NAME", help: "model names clients use; the first is reported (default: the file name)" },
  { name: "max-model-len", key: "maxModelLen", kind: "int", placeholder: "N", help: "context length per sequence, prompt plus output (default: the model's; without the shared KV pool at most 4096); longer than the model's is refused" },
  { name: "allow-long-max-model-len", key: "allowLongMaxModelLen", kind: "bool", help: "serve a --max-model-len longer than the model was trained with (default off)" },
  { name: "kv-pool", key: "kvPool", kind: "bool", help: "one KV cache pool all sequences draw from as they grow, where the unified-KV addon is built (npm run build:native) and the pool would be smaller than every sequence at full length (default on; --no-kv-pool: each sequence owns --max-model-len cells for its whole life, as without the build, and --max-model-len defaults to at most 4096)" },
  { name: "kv-cache-memory", key: "kvCacheMemory", kind: "int", placeholder: "BYTES", help: "memory for the KV cache pool all sequences share (default: up to 1 GiB, at least one --max-model-len); needs the unified-KV addon (npm run build:native)" },
  { name: "kv-cache-tokens", key: "kvCacheTokens", kind: "int", placeholder: "N", help: "the KV cache pool's size in tokens, instead of --kv-cache-memory" },
  { name: "max-num-seqs", key: "maxNumSeqs", kind: "int", placeholder: "N", help: "sequences decoded together (default 16)" },
  { name: "max-num-batched-tokens", key: "maxNumBatchedTokens", kind: "int", placeholder: "N", help: "tokens per engine step (run as llama.cpp decodes of at most 512); longer prompts are prefilled in chunks (default 2048)" },
  { name: "max-step-ms", key: "maxStepMs", kind: "int", placeholder: "MS", help: "while streams are decoding, prompt chunks are sized so a step stays within MS milliseconds, by a step cost the engine learns as it runs (default: twice the decodes' own step, or a quarter of the longest wait of a prompt not yet started, whichever is longer)" },
  { name: "max-waiting-requests", key: "maxWaitingRequests", kind: "int", placeholder: "N", help: "queued requests beyond which new ones get 503 (default 1024)" },
  { name: "enable-prefix-caching", key: "enablePrefixCaching", kind: "bool", help: "reuse the KV of shared prompt prefixes (default on; --no-enable-prefix-caching)" },
  { name: "scheduling-policy", key: "schedulingPolicy", kind: "string", placeholder: "POLICY", help: "fcfs (default), or priority: lower request 'priority' runs first, then arrival" },
  { name: "threads", key: "threads", kind: "int", placeholder: "N", help: "CPU threads for llama.cpp (default: the number of cores)" },
  { name: "chat-template", key: "chatTemplate", kind: "string", placeholder: "FILE", help: "Jinja chat template file, replacing the model's own" },
  { name: "allowed-origins", key: "allowedOrigins", kind: "strings", placeholder: "LIST", help: 'CORS origins, a JSON list or a comma list (default ["*"])' },
  { name: "allowed-methods", key: "allowedMethods", kind: "strings", placeholder: "LIST", help: 'CORS methods (default ["*"])' },
  { name: "allowed-headers", key: "allowedHeaders", kind: "strings", placeholder: "LIST", help: 'CORS request headers (default ["*"])' },
  { name: "allow-credentials", key: "allowCredentials", kind: "bool", help: "CORS: allow credentials (default off)" },
  { name: "root-path", key: "rootPath", kind: "string", placeholder: "PREFIX", help: "also serve every route under PREFIX (for a proxy that does not strip it), e.g. /llm" },
  { name: "shutdown-timeout", key: "shutdownTimeoutSeconds", kind: "int", placeholder: "SECONDS", help: "on SIGTERM/SIGINT, let in-flight requests finish this long, then abort them (default 30; 0 aborts at once)" },
  { name: "max-logprobs", key: "maxLogprobs", kind: "int", placeholder: "N", help: "most logprob alternatives per token a request may ask for (default 20)" },
  { name: "ssl-keyfile", key: "sslKeyfile", kind: "string", placeholder: "FILE", help: "PEM private key: serve HTTPS (with --ssl-certfile)" },
  { name: "ssl-certfile", key: "sslCertfile", kind: "string", placeholder: "FILE", help: "PEM certificate (chain) for --ssl-keyfile" },
  { name: "enable-log-requests", key: "enableLogRequests", kind: "bool", help: "log one JSON line per request to stdout: id, route, status, model, tokens, TTFT, duration, finish reason" },
  { name: "disable-frontend", key: "disableFrontend", kind: "bool", help: "serve no web page (playground and dashboard) at /" },
  { name: "max-log-len", key: "maxLogLen", kind: "int", placeholder: "N", help: "with --enable-log-requests, also log the first N characters of each prompt (default: no prompts; 0: none)" },
  { name: "pooling", key: "pooling", kind: "string", placeholder: "TYPE", help: "mean, cls or last: serve /v1/embeddings from a generation model with this pooling, or override an embedding model's" },
  { name: "tool-call-parser", key: "toolCallParser", kind: "string", placeholder: "NAME", help: "how tool calls are read in tool_choice auto: hermes, llama3_json, mistral, pythonic (default: guessed from the chat template)" },
  { name: "reasoning-parser", key: "reasoningParser", kind: "string", placeholder: "NAME", help: "return <think> text as reasoning_content: deepseek_r1 or qwen3 (default: none)" },
  { name: "responses-store", key: "responsesStorePath", kind: "string", placeholder: "PATH", help: "keep stored /v1/responses in this file (or folder) across restarts (default: in memory only)" },
  { name: "no-responses-store", key: "noResponsesStore", kind: "bool", help: "store no /v1/responses (retrieve and previous_response_id then answer 404/400)" },
  { name: "responses-store-max-bytes", key: "responsesStoreMaxBytes", kind: "int", placeholder: "N", help: "memory for stored responses; past it the least recently used go (default 67108864, 64 MiB)" },
  { name: "responses-store-ttl", key: "responsesStoreTtlSeconds", kind: "int", placeholder: "SECONDS", help: "stored responses expire after this long (default 2592000, 30 days, as OpenAI; 0: never)" },
  { name: "log-level", key: "logLevel", kind: "string", placeholder: "LEVEL", help: "the server log's level on stderr: fatal, error, warn, info (default) or debug (also one line per forward pass: its prompt tokens, decode rows, time, the predicted time and the engine's own time since the last pass)" },
  { name: "max-request-body-bytes", key: "maxBodyBytes", kind: "int", placeholder: "N", help: "larger request bodies get 413 (default 33554432, 32 MiB)" },
];

export function defaultServeConfig(): ServeConfig {
  return {
    model: null,
    models: [],
    configFile: null,
    loraModules: [],
    maxLoadedModels: null,
    maxLoadedBytes: null,
    host: "127.0.0.1",
    port: 8000,
    apiKeys: [],
    servedModelNames: [],
    maxModelLen: null,
    allowLongMaxModelLen: false,
    kvPool: true,
    kvCacheMemory: null,
    kvCacheTokens: null,
    maxNumSeqs: 16,
    maxNumBatchedTokens: 2048,
    maxStepMs: null,
    maxWaitingRequests: 1024,
    enablePrefixCaching: true,
    enableRuntimeLoraUpdating: false,
    maxLogprobs: 20,
    schedulingPolicy: "fcfs",
    threads: availableParallelism(),
    chatTemplate: null,
    maxBodyBytes: 32 * 1024 * 1024,
    allowedOrigins: ["*"],
    allowedMethods: ["*"],
    allowedHeaders: ["*"],
    allowCredentials: false,
    rootPath: "",
    // vLLM's default is 0 (abort at once); 30 s lets a rolling restart finish
    // ordinary requests, and a second signal still aborts at once.
    shutdownTimeoutSeconds: 30,
    sslKeyfile: null,
    sslCertfile: null,
    enableLogRequests: false,
    disableFrontend: false,
    maxLogLen: null,
    pooling: null,
    toolCallParser: null,
    reasoningParser: null,
    responsesStorePath: null,
    noResponsesStore: false,
    responsesStoreMaxBytes: 64 * 1024 * 1024,
    responsesStoreTtlSeconds: 30 * 24 * 3600,
    logLevel: "info",
  };
}

export function parseServeArgs(args: readonly string[], env: NodeJS.ProcessEnv): Readonly<ServeConfig> {
  const config = defaultServeConfig();
  const fromArgs = new Set<keyof ServeConfig>();
  const record = config as unknown as Record<string, unknown>;

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument '${arg}'`);
    const [rawName, inlineValue] = arg.slice(2).split(/=(.*)/s, 2);
    const negated = rawName.startsWith("no-");
    const flag = serveFlags.find((f) => f.name === (negated && !serveFlags.some((g) => g.name === rawName) ? rawName.slice(3) : rawName));
    if (!flag) throw new UsageError(`unknown flag --${rawName}`);
    if (flag.kind === "bool") {
      // A flag whose own name starts with no- (--no-responses-store) is switched on by naming it.
      record[flag.key] = !negated || flag.name === rawName;
      fromArgs.add(flag.key);
      continue;
    }
    const values: string[] = [];
    if (inlineValue !== undefined) values.push(inlineValue);
    // Lists take every value up to the next flag, as `vllm serve --served-model-name a b`.
    const isList = flag.kind === "list" || flag.kind === "strings";
    const isCollected = isList || flag.kind === "repeat";
    while (i + 1 < args.length && !args[i + 1].startsWith("--") && (values.length === 0 || isList)) values.push(args[++i]);
    if (values.length === 0) throw new UsageError(`--${flag.name} needs a value`);
    const list = fromArgs.has(flag.key) && isCollected ? (record[flag.key] as string[]) : [];
    record[flag.key] = convert(flag, values, list);
    fromArgs.add(flag.key);
  }

  for (const flag of serveFlags) {
    const value = env[`PAGODA_${flag.name.toUpperCase().replace(/-/g, "_")}`];
    if (fromArgs.has(flag.key) || value === undefined || value === "") continue;
    record[flag.key] = flag.kind === "bool" ? !/^(0|false|no|off)$/i.test(value) : convert(flag, flag.kind === "list" ? value.split(/[\s,]+/).filter(Boolean) : [value], []);
  }
  config.rootPath = normalizeRootPath(config.rootPath);
  config.model = config.models[0] ?? null;
  if ((config.sslKeyfile === null) !== (config.sslCertfile === null)) {
    throw new UsageError("HTTPS needs both --ssl-keyfile and --ssl-certfile (or neither, for HTTP)");
  }
  if (config.kvCacheMemory !== null && config.kvCacheTokens !== null) throw new UsageError("give --kv-cache-memory or --kv-cache-tokens, not both");
  if (config.noResponsesStore && config.responsesStorePath !== null) throw new UsageError("--responses-store and --no-responses-store contradict each other");
  if (config.maxLogLen !== null && !config.enableLogRequests) throw new UsageError("--max-log-len only applies with --enable-log-requests");
  return Object.freeze(config);
}

function convert(flag: FlagSpec, values: string[], existing: string[]): unknown {
  if (flag.kind === "list" || flag.kind === "repeat") return [...existing, ...values];
  if (flag.kind === "strings") return [...existing, ...values.flatMap((value) => parseStringList(flag, value))];
  const value = values[0];
  if (flag.kind === "string") return value;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag.name} needs a whole number, got '${value}'`);
  return Number(value);
}

/** A JSON list of strings (`["a", "b"]`, as `vllm serve --allowed-origins` takes) or a comma list (`a,b`). */
function parseStringList(flag: FlagSpec, value: string): string[] {
  const text = value.trim();
  if (!text.startsWith("[")) return text.split(",").map((item) => item.trim()).filter(Boolean);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--${flag.name} needs a JSON list of strings or a comma list, got '${value}'`);
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new UsageError(`--${flag.name} needs a JSON list of strings, got '${value}'`);
  }
  return parsed;
}

function normalizeRootPath(rootPath: string): string {
  const trimmed = rootPath.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  if (!trimmed.startsWith("/")) throw new UsageError(`--root-path must start with '/', got '${rootPath}'`);
  return trimmed;
}

export function serveHelp(): string {
  const lines = serveFlags.map((flag) => {
    const left = `  --${flag.name}${flag.placeholder ? ` ${flag.placeholder}` : ""}`;
    const env = `PAGODA_${flag.name.toUpperCase().replace(/-/g, "_")}`;
    return `${left.padEnd(36)}${flag.help} [env ${env}]`;
  });
  return ["Usage: pagoda serve [flags]", "", "Serve a GGUF model with an OpenAI-compatible API.", "", "Flags:", ...lines, "  --help                            show this help"].join("\n");
}
