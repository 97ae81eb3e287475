/**
 * `pagoda bench compare`: `bench serve`'s workload over several targets and
 * concurrencies, run by the same code (`runWorkload`), saved per run, and
 * summarized as markdown tables side by side (`compare.md`) and a chart
 * (`compare.svg`).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { chartSeriesFromResults, renderCompareChart } from "./chart.js";
import { formatCompareTables, formatValue, metricValue, type ResultRecord } from "./compare-table.js";
import { benchConfigFromValues, benchServeOptions, intFlag, normalizeBaseUrl, type BenchConfig, type BenchServeValues } from "./flags.js";
import { firstModelId, logRunProblems, runWorkload, saveResult } from "./serve.js";

export function compareHelp(): string {
  return `Usage: pagoda bench compare --target NAME=URL [--target NAME=URL ...]
                            --concurrency 1,2,4,8,16 [workload flags] [--output-dir DIR]

Runs the load of 'pagoda bench serve' on every target at every concurrency and
puts the results side by side: a markdown table per metric group (targets side by
side; with exactly two targets also the ratio first/second), and a chart of output
tok/s and TTFT p50/p99 against concurrency. Runs go C by C, every target in turn
at each C (so drift over time hits all targets alike), one run at a time.

Every concurrency gets its own seed (--seed + C), so no run repeats the prompts
of an earlier one (servers cache prompts); the targets at one C get the same
prompts. (A --dataset file shorter than the prompts of all runs repeats prompts.)

Targets and runs:
  --target NAME=URL       a server to measure, repeatable (at least one); NAME names
                          its columns and files (letters, digits, '.', '_', '-'), URL is
                          its OpenAI base URL ('/v1' added when it has no path)
  --concurrency LIST      comma-separated max concurrencies, each >= 1 (required);
                          every run has at most C requests in flight
  --num-prompts N         requests measured per run, the same at every C
  --prompts-per-concurrency K
                          K x C requests per run instead; without either flag,
                          max(8, 3 x C)
  --output-dir DIR        where the files go (default ./bench-compare-<UTC time>)

Workload (as 'pagoda bench serve'; see its --help):
  --model NAME            model to request of every target (default: each target's first
                          id of GET {base}/models)
  --endpoint KIND         chat or completions (default completions)
  --api-key KEY           sent to every target as a Bearer token (default $OPENAI_API_KEY)
  --dataset KIND          random (default), shared-prefix, or file
  --dataset-path FILE     the file for --dataset file (JSONL or ShareGPT JSON)
  --input-len N           prompt tokens for random, suffix tokens for shared-prefix (default 128),
                          counted with each server's /tokenize (words when it has none)
  --range-ratio R         vary lengths uniformly in [len*(1-R), len*(1+R)] (default 0)
  --prefix-len N          shared-prefix: tokens in the shared system prompt (default 1000);
                          each C has its own prefix (its own seed)
  --output-len N          max_tokens of every request (default 128)
  --ignore-eos            send ignore_eos: true, so every request makes --output-len tokens
  --temperature T         sampling temperature (default 0)
  --seed N                base seed; the run at concurrency C uses N + C (default 0)
  --request-rate R        mean requests per second (Poisson), or 'inf' (default)
  --warmup N              before every run, N unmeasured requests one at a time (default 0),
                          further prompts of that run's dataset

Output, in --output-dir:
  NAME-cC.json            each run's result, as 'bench serve --save-result' writes it
  compare.md              the tables (also printed to stdout), with the targets, models
                          and workload
  compare.svg             the chart: output tok/s, and TTFT p50 (solid) and p99 (dashed)
                          in ms, against concurrency on a log2 axis

Progress goes to stderr. Exits 1 if any run had no successful request (after
writing every file). Not accepted here: --base-url (use --target),
--max-concurrency (use --concurrency), --save-result and --label (per-run files
are named NAME-cC.json and labelled NAME).

Example:
  pagoda bench compare --target pagoda=http://127.0.0.1:8000 \\
    --target llama=http://127.0.0.1:8080 --concurrency 1,2,4,8,16 \\
    --endpoint chat --input-len 100 --output-len 64 --ignore-eos --warmup 1 \\
    --output-dir bench-out`;
}

export interface CompareTarget {
  name: string;
  baseUrl: string;
}

export interface CompareConfig {
  targets: CompareTarget[];
  /** Ascending, distinct. */
  concurrencies: number[];
  /** A fixed count per run, or null for the per-concurrency rule. */
  numPrompts: number | null;
  /** K of K x C; null for the default max(8, 3 x C). */
  promptsPerConcurrency: number | null;
  outputDir: string;
  /** The workload; its baseUrl, maxConcurrency, numPrompts, seed, label and saveResult are set per run. */
  workload: BenchConfig;
}

const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

export function parseTarget(text: string): CompareTarget {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`--target must be NAME=URL, got '${text}'`);
  const name = text.slice(0, eq);
  if (!NAME_PATTERN.test(name)) throw new UsageError(`--target name may only have letters, digits, '.', '_' and '-', got '${name}'`);
  let baseUrl: string;
  try {
    baseUrl = normalizeBaseUrl(text.slice(eq + 1));
  } catch {
    throw new UsageError(`--target ${name}: not a URL: '${text.slice(eq + 1)}'`);
  }
  return { name, baseUrl };
}

export function parseConcurrencies(text: string): number[] {
  const parts = text.split(",").map((part) => part.trim());
  const values = parts.map((part) => {
    const value = Number(part);
    if (part === "" || !Number.isInteger(value) || value < 1) throw new UsageError(`--concurrency must be comma-separated integers >= 1, got '${text}'`);
    return value;
  });
  if (new Set(values).size !== values.length) throw new UsageError(`--concurrency lists a value twice: '${text}'`);
  return values.sort((a, b) => a - b);
}

/** Prompts of the run at concurrency c. */
export function promptsFor(config: Pick<CompareConfig, "numPrompts" | "promptsPerConcurrency">, c: number): number {
  if (config.numPrompts !== null) return config.numPrompts;
  if (config.promptsPerConcurrency !== null) return config.promptsPerConcurrency * c;
  return Math.max(8, 3 * c);
}

/** The seed of the run at concurrency c: distinct per concurrency, shared by the targets. */
export function seedFor(baseSeed: number, c: number): number {
  return baseSeed + c;
}

/** The `bench serve` config of one run. */
export function runConfig(config: CompareConfig, target: CompareTarget, c: number): BenchConfig {
  const seed = seedFor(config.workload.seed, c);
  return {
    ...config.workload,
    baseUrl: target.baseUrl,
    maxConcurrency: c,
    numPrompts: promptsFor(config, c),
    seed,
    dataset: { ...config.workload.dataset, seed },
    label: target.name,
    saveResult: join(config.outputDir, runFileName(target.name, c)),
  };
}

export function runFileName(target: string, c: number): string {
  return `${target}-c${c}.json`;
}

function utcStamp(date: Date): string {
  return date.toISOString().replace(/[:]/g, "").replace(/\..*/, "");
}

const REJECTED: Record<string, string> = {
  "base-url": "use --target NAME=URL",
  "max-concurrency": "use --concurrency LIST",
  "save-result": "every run is saved in --output-dir",
  label: "runs are labelled by their --target name",
};

export function parseCompareArgs(args: readonly string[], env: NodeJS.ProcessEnv, now = new Date()): CompareConfig {
  const string = { type: "string" } as const;
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        ...benchServeOptions,
        target: { type: "string", multiple: true },
        concurrency: string,
        "prompts-per-concurrency": string,
        "output-dir": string,
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  for (const [flag, hint] of Object.entries(REJECTED)) {
    if ((values as Record<string, unknown>)[flag] !== undefined) throw new UsageError(`bench compare has no --${flag}: ${hint}`);
  }
  const targets = (values.target ?? []).map(parseTarget);
  if (targets.length === 0) throw new UsageError("bench compare needs at least one --target NAME=URL");
  const names = targets.map((t) => t.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new UsageError(`--target name '${duplicate}' is given twice`);
  if (values.concurrency === undefined) throw new UsageError("bench compare needs --concurrency LIST (e.g. 1,2,4,8,16)");
  const concurrencies = parseConcurrencies(values.concurrency);
  if (values["num-prompts"] !== undefined && values["prompts-per-concurrency"] !== undefined) {
    throw new UsageError("give --num-prompts or --prompts-per-concurrency, not both");
  }
  const { target: _target, concurrency: _concurrency, "prompts-per-concurrency": perC, "output-dir": outputDir, ...serveValues } = values;
  const workload = benchConfigFromValues(serveValues as BenchServeValues, env);
  return {
    targets,
    concurrencies,
    numPrompts: values["num-prompts"] === undefined ? null : workload.numPrompts,
    promptsPerConcurrency: perC === undefined ? null : intFlag("prompts-per-concurrency", perC, 3, 1),
    outputDir: outputDir ?? `bench-compare-${utcStamp(now)}`,
    workload,
  };
}

/** A shell-ish rendering of the command line, for the report. */
function shellWords(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export interface ComparePreamble {
  date: Date;
  args: readonly string[];
  config: CompareConfig;
  models: Readonly<Record<string, string>>;
}

/** The head of compare.md: what was measured, and how. */
export function compareHeader({ date, args, config, models }: ComparePreamble): string {
  const w = config.workload;
  const d = w.dataset;
  const dataset =
    d.kind === "random"
      ? `random (input-len ${d.inputLen}, range-ratio ${d.rangeRatio})`
      : d.kind === "shared-prefix"
        ? `shared-prefix (prefix-len ${d.prefixLen}, input-len ${d.inputLen}, range-ratio ${d.rangeRatio})`
        : `file ${d.path}`;
  const prompts =
    config.numPrompts !== null ? `${config.numPrompts}` : config.promptsPerConcurrency !== null ? `${config.promptsPerConcurrency} x C` : "max(8, 3 x C)";
  const [a, b] = config.targets;
  return [
    `## bench compare: ${config.targets.map((t) => t.name).join(" vs ")}`,
    "",
    `- Date: ${date.toISOString()}`,
    `- Command: \`pagoda bench compare ${shellWords(args)}\``,
    ...config.targets.map((t) => `- Target \`${t.name}\`: ${t.baseUrl}, model ${models[t.name] ?? "?"}`),
    `- Workload: endpoint ${w.endpoint}, dataset ${dataset}, output-len ${w.outputLen}${w.isIgnoreEos ? ", ignore-eos" : ""}, ` +
      `temperature ${w.temperature}, request-rate ${w.requestRate === Infinity ? "inf" : w.requestRate}, warmup ${w.warmup}`,
    `- Per run: at most C in flight, ${prompts} prompts, seed ${w.seed} + C; its result in \`NAME-cC.json\` (e.g. \`${runFileName(config.targets[0].name, config.concurrencies[0])}\`)`,
    config.targets.length === 2 ? `- Ratio columns: ${a.name}/${b.name}` : "",
    "",
    "![output tok/s and TTFT against concurrency](compare.svg)",
  ]
    .filter((line, i, all) => line !== "" || all[i - 1] !== "")
    .join("\n");
}

export async function compareCommand(args: string[]): Promise<void> {
  const date = new Date();
  const config = parseCompareArgs(args, process.env, date);
  // Every target answers before any run starts (and its model is known).
  const models: Record<string, string> = {};
  for (const target of config.targets) models[target.name] = config.workload.model ?? (await firstModelId(target.baseUrl, config.workload.apiKey));
  await mkdir(config.outputDir, { recursive: true });

  const results: Record<string, Record<number, ResultRecord | null>> = Object.fromEntries(config.targets.map((t) => [t.name, {}]));
  const failedRuns: string[] = [];
  const total = config.targets.length * config.concurrencies.length;
  let index = 0;
  for (const c of config.concurrencies) {
    for (const target of config.targets) {
      index++;
      const runName = `${target.name} C=${c}`;
      console.error(`bench compare: run ${index}/${total}: ${runName}`);
      const run = runConfig(config, target, c);
      try {
        const outcome = await runWorkload(run, models[target.name]);
        logRunProblems(outcome.run);
        const saved = await saveResult(run.saveResult!, run, outcome);
        results[target.name][c] = saved;
        const { metrics } = outcome;
        console.error(
          `bench compare: ${runName}: ${metrics.completed} ok, ${metrics.failed} failed, ${formatValue(metricValue(saved, "output_throughput"))} out tok/s, ` +
            `TTFT p50 ${formatValue(metricValue(saved, "median_ttft_ms"))} ms; wrote ${run.saveResult}`,
        );
        if (metrics.completed === 0) failedRuns.push(runName);
      } catch (error) {
        results[target.name][c] = null;
        failedRuns.push(runName);
        console.error(`bench compare: ${runName} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  const targets = config.targets.map((t) => t.name);
  const markdown = `${compareHeader({ date, args, config, models })}\n\n${formatCompareTables({ targets, concurrencies: config.concurrencies, results })}\n`;
  const title = `${targets.join(" vs ")}: output tok/s and TTFT vs concurrency`;
  const svg = renderCompareChart(chartSeriesFromResults(targets, config.concurrencies, results), { title });
  await writeFile(join(config.outputDir, "compare.md"), markdown);
  await writeFile(join(config.outputDir, "compare.svg"), svg);
  console.log(markdown);
  console.error(`bench compare: wrote ${join(config.outputDir, "compare.md")} and compare.svg`);
  if (failedRuns.length > 0) throw new Error(`no successful request in ${failedRuns.length} run(s): ${failedRuns.join(", ")}`);
}
