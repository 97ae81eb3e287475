/** `pagoda serve`: the composition root that wires runner, engine, protocol and HTTP. */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { AddressInfo } from "node:net";
import { Engine } from "../engine/engine.js";
import { createHttpServer, routeList } from "../http/server.js";
import { VllmMetrics } from "../metrics/prometheus.js";
import { ensureGeneratedModel } from "../models/model-cache.js";
import { resolveModel } from "../models/hub/resolve-model.js";
import { ChatTemplate } from "../protocol/chat-template.js";
import { PromptBuilder } from "../protocol/prompts.js";
import { OpenAIServing } from "../protocol/serving.js";
import { TokenizationServing } from "../protocol/tokenization.js";
import { LlamaRunner } from "../runner/llama-runner.js";
import { GracefulShutdown, timerDelay } from "./graceful-shutdown.js";
import { UsageError, type ServeConfig } from "./serve-config.js";
import { packageVersion } from "./version.js";

/** Without --max-model-len, a long-context model still gets a modest KV cache per slot. */
const defaultMaxModelLen = 4096;
/** On shutdown, how long aborted requests' last chunks may take to reach their clients. */
const abortFlushMs = 5000;

export async function serve(config: Readonly<ServeConfig>): Promise<void> {
  if (config.schedulingPolicy !== "fcfs" && config.schedulingPolicy !== "priority") {
    throw new UsageError(`--scheduling-policy must be fcfs or priority, not '${config.schedulingPolicy}'`);
  }
  const isBuiltin = config.model === null;
  const modelPath = config.model !== null ? (await resolveModel(config.model)).path : await ensureGeneratedModel("builtin");
  const runner = await LlamaRunner.load({
    modelPath,
    numSlots: config.maxNumSeqs,
    resolveSlotCapacity: (trainContextLength) => config.maxModelLen ?? Math.min(trainContextLength, defaultMaxModelLen),
    maxBatchTokens: config.maxNumBatchedTokens,
    threads: config.threads,
  });
  const maxModelLen = runner.slotCapacity;
  const templateSource = config.chatTemplate ? await readFile(config.chatTemplate, "utf8") : runner.info.chatTemplate;
  const chatTemplate = templateSource
    ? new ChatTemplate(templateSource, { bosToken: runner.info.bosText, eosToken: runner.info.eosText })
    : null;

  const servedModelNames = config.servedModelNames.length > 0 ? config.servedModelNames : [isBuiltin ? "pagoda-builtin" : basename(modelPath).replace(/\.gguf$/i, "")];
  const metrics = new VllmMetrics({ modelName: servedModelNames[0], maxModelLen });
  const engine = new Engine(runner, {
    onRequestFinished: (timings) => metrics.observeRequest(timings),
    maxNumBatchedTokens: config.maxNumBatchedTokens,
    maxWaitingRequests: config.maxWaitingRequests,
    enablePrefixCaching: config.enablePrefixCaching,
    schedulingPolicy: config.schedulingPolicy === "priority" ? "priority" : "fcfs",
  });
  const prompts = new PromptBuilder(runner, chatTemplate, {
    vocabSize: runner.info.vocabSize,
    bosToken: runner.info.bosToken,
    addBosToken: runner.info.addBosToken,
  });
  const serving = new OpenAIServing(engine, prompts, {
    isPriorityScheduling: config.schedulingPolicy === "priority",
    servedModelNames,
    maxModelLen,
    createdAt: Math.floor(Date.now() / 1000),
  });
  const tokenization = new TokenizationServing(prompts, { servedModelNames, maxModelLen });
  const http = createHttpServer(serving, tokenization, {
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    version: packageVersion,
    renderMetrics: () => metrics.render(engine.stats()),
    cors: {
      allowedOrigins: config.allowedOrigins,
      allowedMethods: config.allowedMethods,
      allowedHeaders: config.allowedHeaders,
      allowCredentials: config.allowCredentials,
    },
    rootPath: config.rootPath,
  });
  const { server } = http;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;

  const banner = [
    `pagoda ${packageVersion}`,
    `  model:          ${modelPath}${runner.info.description ? ` (${runner.info.description})` : ""}`,
    `  served as:      ${servedModelNames.join(", ")}`,
    `  context:        ${maxModelLen} tokens per sequence, ${config.maxNumSeqs} sequences, ${config.threads} threads`,
    `  chat template:  ${chatTemplate ? (config.chatTemplate ?? "from the model") : "none (chat requests get a 400; use --chat-template FILE)"}`,
    `  API key:        ${config.apiKeys.length > 0 ? "required on /v1/*" : "none"}`,
    `  shutdown:       in-flight requests get ${config.shutdownTimeoutSeconds} s to finish on SIGTERM/SIGINT`,
    ...(isBuiltin
      ? [
          "",
          "  This is pagoda's built-in tiny model with random weights: its output is meaningless.",
          "  Serve a real GGUF with:  npm start -- --model ./qwen2.5-0.5b-instruct-q4_k_m.gguf",
        ]
      : []),
    "",
    `  OpenAI base URL: http://${host}:${port}/v1${config.rootPath ? ` (also under ${config.rootPath}: http://${host}:${port}${config.rootPath}/v1)` : ""}`,
    ...routeList.map((route) => `    ${route}`),
    `pagoda listening on http://${host}:${port}`,
  ];
  console.log(banner.join("\n"));

  const shutdown = new GracefulShutdown(
    {
      http,
      stopEngine: () => engine.stop(),
      closeRunner: () => runner.close(),
    },
    { timeoutMs: config.shutdownTimeoutSeconds * 1000, abortFlushMs, delay: timerDelay, log: (line) => console.log(line) },
  );
  const onSignal = (signal: NodeJS.Signals) => {
    shutdown.request(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("pagoda: shutdown failed:", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
