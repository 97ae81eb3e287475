/** `pagoda serve`: the composition root that wires runner, engine, protocol and HTTP. */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { AddressInfo } from "node:net";
import { Engine } from "../engine/engine.js";
import { createHttpServer, routeList } from "../http/server.js";
import { ensureGeneratedModel } from "../models/model-cache.js";
import { ChatTemplate } from "../protocol/chat-template.js";
import { OpenAIServing } from "../protocol/serving.js";
import { LlamaRunner } from "../runner/llama-runner.js";
import { UsageError, type ServeConfig } from "./serve-config.js";
import { packageVersion } from "./version.js";

/** Without --max-model-len, a long-context model still gets a modest KV cache per slot. */
const defaultMaxModelLen = 4096;

export async function serve(config: Readonly<ServeConfig>): Promise<void> {
  if (config.schedulingPolicy !== "fcfs" && config.schedulingPolicy !== "priority") {
    throw new UsageError(`--scheduling-policy must be fcfs or priority, not '${config.schedulingPolicy}'`);
  }
  const isBuiltin = config.model === null;
  const modelPath = config.model ?? (await ensureGeneratedModel("builtin"));
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

  const engine = new Engine(runner, {
    maxNumBatchedTokens: config.maxNumBatchedTokens,
    maxWaitingRequests: config.maxWaitingRequests,
    enablePrefixCaching: config.enablePrefixCaching,
    schedulingPolicy: config.schedulingPolicy === "priority" ? "priority" : "fcfs",
  });
  const servedModelNames = config.servedModelNames.length > 0 ? config.servedModelNames : [isBuiltin ? "pagoda-builtin" : basename(modelPath).replace(/\.gguf$/i, "")];
  const serving = new OpenAIServing(engine, runner, chatTemplate, {
    isPriorityScheduling: config.schedulingPolicy === "priority",
    servedModelNames,
    maxModelLen,
    vocabSize: runner.info.vocabSize,
    bosToken: runner.info.bosToken,
    addBosToken: runner.info.addBosToken,
    createdAt: Math.floor(Date.now() / 1000),
  });
  const server = createHttpServer(serving, {
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    version: packageVersion,
    stats: () => engine.stats(),
    modelName: servedModelNames[0],
  });
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
    `  API key:        ${config.apiKeys.length > 0 ? "required" : "none"}`,
    ...(isBuiltin
      ? [
          "",
          "  This is pagoda's built-in tiny model with random weights: its output is meaningless.",
          "  Serve a real GGUF with:  npm start -- --model ./qwen2.5-0.5b-instruct-q4_k_m.gguf",
        ]
      : []),
    "",
    `  OpenAI base URL: http://${host}:${port}/v1`,
    ...routeList.map((route) => `    ${route}`),
    `pagoda listening on http://${host}:${port}`,
  ];
  console.log(banner.join("\n"));

  let isShuttingDown = false;
  const shutdown = async () => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    server.close();
    server.closeAllConnections();
    await engine.stop();
    await runner.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
}
