/**
 * Engine stats as Prometheus text, under vLLM's metric names so dashboards
 * and gateways built for vLLM read pagoda unchanged.
 */
import type { EngineStats } from "../engine/types.js";

interface Metric {
  name: string;
  type: "gauge" | "counter";
  help: string;
  value: (stats: EngineStats) => number;
}

const metrics: Metric[] = [
  { name: "vllm:num_requests_running", type: "gauge", help: "Requests being generated.", value: (s) => s.numRunning },
  { name: "vllm:num_requests_waiting", type: "gauge", help: "Requests waiting for a slot.", value: (s) => s.numWaiting },
  { name: "vllm:kv_cache_usage_perc", type: "gauge", help: "Fraction of KV slots in use (1 = all).", value: (s) => (s.numSlots === 0 ? 0 : s.numSlotsInUse / s.numSlots) },
  { name: "vllm:prompt_tokens_total", type: "counter", help: "Prompt tokens processed.", value: (s) => s.promptTokensTotal },
  { name: "vllm:generation_tokens_total", type: "counter", help: "Tokens generated.", value: (s) => s.generationTokensTotal },
  { name: "vllm:prefix_cache_queries", type: "counter", help: "Prompt tokens looked up in the prefix cache.", value: (s) => s.prefixCacheQueriedTokens },
  { name: "vllm:prefix_cache_hits", type: "counter", help: "Prompt tokens found in the prefix cache.", value: (s) => s.prefixCacheHitTokens },
];

export function renderMetrics(stats: EngineStats, modelName: string): string {
  const label = `{model_name="${modelName.replace(/["\\\n]/g, "_")}"}`;
  return metrics
    .map(({ name, type, help, value }) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${label} ${value(stats)}\n`)
    .join("");
}
