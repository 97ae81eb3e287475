/**
 * `pagoda serve` flags, named as `vllm serve`'s. Each flag can also come from
 * an environment variable PAGODA_<FLAG> (upper case, dashes as underscores);
 * the command line wins. Parsed once into a frozen config.
 */
import { availableParallelism } from "node:os";

export interface ServeConfig {
  model: string | null;
  host: string;
  port: number;
  apiKeys: string[];
  servedModelNames: string[];
  maxModelLen: number | null;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxWaitingRequests: number;
  enablePrefixCaching: boolean;
  schedulingPolicy: string;
  threads: number;
  chatTemplate: string | null;
  maxBodyBytes: number;
}

interface FlagSpec {
  name: string;
  key: keyof ServeConfig;
  kind: "string" | "int" | "list" | "bool";
  help: string;
  placeholder?: string;
}

export const serveFlags: FlagSpec[] = [
  { name: "model", key: "model", kind: "string", placeholder: "PATH", help: "GGUF model file to serve (default: pagoda's built-in tiny model, whose output is meaningless)" },
  { name: "host", key: "host", kind: "string", placeholder: "HOST", help: "address to listen on (default 127.0.0.1; 0.0.0.0 serves other machines)" },
  { name: "port", key: "port", kind: "int", placeholder: "PORT", help: "port to listen on (default 8000; 0 picks a free one)" },
  { name: "api-key", key: "apiKeys", kind: "list", placeholder: "KEY", help: "require 'Authorization: Bearer KEY' on /v1/* (repeatable)" },
  { name: "served-model-name", key: "servedModelNames", kind: "list", placeholder: "NAME", help: "model names clients use; the first is reported (default: the file name)" },
  { name: "max-model-len", key: "maxModelLen", kind: "int", placeholder: "N", help: "context length per sequence, prompt plus output (default: the model's, at most 4096)" },
  { name: "max-num-seqs", key: "maxNumSeqs", kind: "int", placeholder: "N", help: "sequences decoded together (default 16)" },
  { name: "max-num-batched-tokens", key: "maxNumBatchedTokens", kind: "int", placeholder: "N", help: "tokens per forward pass; longer prompts are prefilled in chunks (default 512)" },
  { name: "max-waiting-requests", key: "maxWaitingRequests", kind: "int", placeholder: "N", help: "queued requests beyond which new ones get 503 (default 1024)" },
  { name: "enable-prefix-caching", key: "enablePrefixCaching", kind: "bool", help: "reuse the KV of shared prompt prefixes (default on; --no-enable-prefix-caching)" },
  { name: "scheduling-policy", key: "schedulingPolicy", kind: "string", placeholder: "POLICY", help: "fcfs (default), or priority: lower request 'priority' runs first, then arrival" },
  { name: "threads", key: "threads", kind: "int", placeholder: "N", help: "CPU threads for llama.cpp (default: the number of cores)" },
  { name: "chat-template", key: "chatTemplate", kind: "string", placeholder: "FILE", help: "Jinja chat template file, replacing the model's own" },
];

export function defaultServeConfig(): ServeConfig {
  return {
    model: null,
    host: "127.0.0.1",
    port: 8000,
    apiKeys: [],
    servedModelNames: [],
    maxModelLen: null,
    maxNumSeqs: 16,
    maxNumBatchedTokens: 512,
    maxWaitingRequests: 1024,
    enablePrefixCaching: true,
    schedulingPolicy: "fcfs",
    threads: availableParallelism(),
    chatTemplate: null,
    maxBodyBytes: 32 * 1024 * 1024,
  };
}

export class UsageError extends Error {}

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
      record[flag.key] = !negated;
      fromArgs.add(flag.key);
      continue;
    }
    const values: string[] = [];
    if (inlineValue !== undefined) values.push(inlineValue);
    // Lists take every value up to the next flag, as `vllm serve --served-model-name a b`.
    while (i + 1 < args.length && !args[i + 1].startsWith("--") && (values.length === 0 || flag.kind === "list")) values.push(args[++i]);
    if (values.length === 0) throw new UsageError(`--${flag.name} needs a value`);
    const list = fromArgs.has(flag.key) && flag.kind === "list" ? (record[flag.key] as string[]) : [];
    record[flag.key] = convert(flag, values, list);
    fromArgs.add(flag.key);
  }

  for (const flag of serveFlags) {
    const value = env[`PAGODA_${flag.name.toUpperCase().replace(/-/g, "_")}`];
    if (fromArgs.has(flag.key) || value === undefined || value === "") continue;
    record[flag.key] = flag.kind === "bool" ? !/^(0|false|no|off)$/i.test(value) : convert(flag, flag.kind === "list" ? value.split(/[\s,]+/).filter(Boolean) : [value], []);
  }
  return Object.freeze(config);
}

function convert(flag: FlagSpec, values: string[], existing: string[]): unknown {
  if (flag.kind === "list") return [...existing, ...values];
  const value = values[0];
  if (flag.kind === "string") return value;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag.name} needs a whole number, got '${value}'`);
  return Number(value);
}

export function serveHelp(): string {
  const lines = serveFlags.map((flag) => {
    const left = `  --${flag.name}${flag.placeholder ? ` ${flag.placeholder}` : ""}`;
    const env = `PAGODA_${flag.name.toUpperCase().replace(/-/g, "_")}`;
    return `${left.padEnd(36)}${flag.help} [env ${env}]`;
  });
  return ["Usage: pagoda serve [flags]", "", "Serve a GGUF model with an OpenAI-compatible API.", "", "Flags:", ...lines, "  --help                            show this help"].join("\n");
}
