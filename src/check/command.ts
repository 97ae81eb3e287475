/**
 * `pagoda check`: runs the conformance probes against any OpenAI-compatible
 * server and prints the report. Exit code 0 only when no probe FAILs (so CI
 * can gate on it), 1 otherwise, 2 on bad flags.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { firstModelId } from "../bench/serve.js";
import { intFlag, normalizeBaseUrl } from "../bench/flags.js";
import { CheckClient } from "./http-client.js";
import { groupNames, type GroupName } from "./probe.js";
import { allProbes } from "./probes/index.js";
import { formatJson, formatMarkdown, formatText, progressLine } from "./report.js";
import { runProbes, type ProbeResult } from "./run-probes.js";

export function checkHelp(): string {
  return `Usage: pagoda check [--base-url URL] [flags]

Checks how an OpenAI-compatible server (pagoda, vLLM, llama-server, Ollama,
LM Studio, a hosted API) implements the API: ${allProbes.length} probes grouped by feature,
each PASS, FAIL (with what was sent, what came back, what was expected) or
UNSUPPORTED (the server declined it with a 4xx); SKIP when there is nothing
to test (auth without --api-key). Sampling probes are seeded or greedy, so a
report is reproducible.

Server:
  --base-url URL          OpenAI base URL (default http://127.0.0.1:8000/v1; '/v1' is
                          added when the URL has no path)
  --api-key KEY           sent as 'Authorization: Bearer KEY' (default $OPENAI_API_KEY);
                          also enables the auth probes (no key, wrong key -> 401)
  --model NAME            generation model (default: the first id of GET {base}/models)
  --embedding-model NAME  model for the embeddings probes (default: --model)

Probes:
  --only GROUPS           run only these groups, comma-separated (repeatable):
                          ${groupNames.join(", ")}
  --timeout SECONDS       per probe (default 120)
  --concurrency N         probes in flight at most (default 2)

Output:
  --json                  the report as JSON (with the evidence of every failure)
  --markdown              the report as a Markdown table
  (default: a text table; a progress bar on stderr when it is a terminal)

Exit code: 0 when no probe failed, 1 when one did, 2 on bad flags.

Example:
  pagoda check --base-url http://127.0.0.1:8080/v1 --only streaming,tools`;
}

export interface CheckConfig {
  baseUrl: string;
  apiKey: string | undefined;
  model: string | null;
  embeddingModel: string | null;
  groups: GroupName[];
  timeoutMs: number;
  concurrency: number;
  format: "text" | "json" | "markdown";
}

export function parseCheckArgs(args: readonly string[], env: NodeJS.ProcessEnv): CheckConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        "base-url": { type: "string" }, "api-key": { type: "string" }, model: { type: "string" }, "embedding-model": { type: "string" },
        only: { type: "string", multiple: true }, timeout: { type: "string" }, concurrency: { type: "string" },
        json: { type: "boolean" }, markdown: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${checkHelp()}`);
  }
  if (values.json && values.markdown) throw new UsageError("--json and --markdown are exclusive");
  const groups = (values.only ?? []).flatMap((list) => list.split(",")).map((name) => name.trim()).filter((name) => name !== "");
  for (const name of groups) if (!(groupNames as readonly string[]).includes(name)) throw new UsageError(`--only: unknown group '${name}' (groups: ${groupNames.join(", ")})`);
  return {
    baseUrl: normalizeBaseUrl(values["base-url"] ?? "http://127.0.0.1:8000/v1"),
    apiKey: values["api-key"] ?? env.OPENAI_API_KEY,
    model: values.model ?? null,
    embeddingModel: values["embedding-model"] ?? null,
    groups: (groups.length > 0 ? groups : [...groupNames]) as GroupName[],
    timeoutMs: intFlag("timeout", values.timeout, 120, 1) * 1000,
    concurrency: intFlag("concurrency", values.concurrency, 2, 1),
    format: values.json ? "json" : values.markdown ? "markdown" : "text",
  };
}

/** Runs the check and prints the report; returns the results (the CLI sets the exit code). */
export async function runCheck(config: CheckConfig, output: { write(text: string): void } = process.stdout): Promise<ProbeResult[]> {
  const model = config.model ?? (await firstModelId(config.baseUrl, config.apiKey));
  const probes = allProbes.filter((probe) => config.groups.includes(probe.group));
  const isTty = process.stderr.isTTY === true && config.format === "text";
  const done: ProbeResult[] = [];
  const results = await runProbes(probes, {
    client: new CheckClient(config.baseUrl, config.apiKey),
    model,
    embeddingModel: config.embeddingModel ?? model,
    apiKey: config.apiKey,
    concurrency: config.concurrency,
    timeoutMs: config.timeoutMs,
    onResult: (result, numDone, numTotal) => {
      done.push(result);
      if (isTty) process.stderr.write(progressLine(numDone, numTotal, done));
    },
  });
  if (isTty) process.stderr.write("\r\x1b[K");
  const header = `pagoda check ${config.baseUrl} (model ${model})`;
  if (config.format === "json") output.write(`${formatJson(results, { baseUrl: config.baseUrl, model })}\n`);
  else if (config.format === "markdown") output.write(`${formatMarkdown(results, header)}\n`);
  else output.write(`${formatText(results, header)}\n`);
  return results;
}

export async function checkCommand(args: string[]): Promise<void> {
  const results = await runCheck(parseCheckArgs(args, process.env));
  if (results.some((result) => result.status === "FAIL")) process.exitCode = 1;
}
