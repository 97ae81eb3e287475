/** `pagoda serve`: the composition root that wires runner, engine, protocol, serving and HTTP. */
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { UsageError } from "../errors.js";
import { logLevels, serverLog } from "../logger.js";
import { createHttpServer, routeList } from "../http/server.js";
import { WebPage } from "../http/web-page.js";
import type { EngineSnapshot } from "../metrics/engine-snapshot.js";
import { VllmMetrics } from "../metrics/prometheus.js";
import { ModelRegistry } from "../serving/model-registry.js";
import { ModelRouter } from "../serving/model-router.js";
import { ResponsesServing } from "../protocol/responses-serving.js";
import { ResponseStore } from "../protocol/responses-store.js";
import { ResponseStoreFile } from "./responses-store-file.js";
import { ModelGroup } from "./model-group.js";
import { RuntimeLoraAdapters } from "./runtime-lora.js";
import { LoraAdapterServing } from "../protocol/lora-adapters.js";
import { resolveModelPath, servedModelSpecs } from "./served-models.js";
import { GracefulShutdown, timerDelay } from "./graceful-shutdown.js";
import { createRequestLog } from "./request-logger.js";
import { readTlsFiles } from "./tls-files.js";
import { type ServeConfig } from "./serve-config.js";
import { packageVersion } from "./version.js";
import { findUnifiedKvAddon } from "../runner/native-addon.js";

/** On shutdown, how long aborted requests' last chunks may take to reach their clients. */
const abortFlushMs = 5000;

export async function serve(config: Readonly<ServeConfig>): Promise<void> {
  if (config.schedulingPolicy !== "fcfs" && config.schedulingPolicy !== "priority") {
    throw new UsageError(`--scheduling-policy must be fcfs or priority, not '${config.schedulingPolicy}'`);
  }
  if (!logLevels.includes(config.logLevel)) throw new UsageError(`--log-level must be one of ${logLevels.join(", ")}, not '${config.logLevel}'`);
  serverLog.level = config.logLevel;
  const tls = config.sslKeyfile && config.sslCertfile ? await readTlsFiles(config.sslKeyfile, config.sslCertfile) : undefined;
  const log = (line: string) => console.log(line);
  const specs = servedModelSpecs(config, config.configFile ? await readFile(config.configFile, "utf8") : null);
  const requestLog = config.enableLogRequests ? createRequestLog({ maxLogLen: config.maxLogLen ?? 0, defaultModel: specs[0].names[0] }) : undefined;
  const groups = await Promise.all(
    specs.map(async (spec) => ModelGroup.create(spec, await resolveModelPath(spec.source), config, log)),
  );
  const metrics = new VllmMetrics({ maxModelLen: Math.max(...groups.map((group) => group.maxModelLen)), collectProcessMetrics: true });
  for (const group of groups) group.attachMetrics(metrics);
  const registry = new ModelRegistry(
    groups.map((group) => group.registryEntry()),
    { maxLoadedModels: config.maxLoadedModels, maxLoadedBytes: config.maxLoadedBytes, log },
  );
  const [first] = groups;
  const isBuiltin = first.spec.source === null;
  const modelPath = first.path;
  const maxModelLen = first.maxModelLen;
  const servedModelNames = first.spec.names;
  // Listening before the load lets probes tell "loading" (503 on /health) from "down" (no answer).
  let isReady = false;
  const router = new ModelRouter(registry, groups.flatMap((group) => group.cards()), Math.floor(Date.now() / 1000));
  const responseStore = config.noResponsesStore
    ? null
    : new ResponseStore({ maxBytes: config.responsesStoreMaxBytes, ttlMs: config.responsesStoreTtlSeconds * 1000, now: Date.now });
  const responseStoreFile = responseStore && config.responsesStorePath ? new ResponseStoreFile(config.responsesStorePath, responseStore) : null;
  const numRestoredResponses = responseStoreFile?.open() ?? 0;
  const responses = new ResponsesServing((body, handle, operation) => router.withServing(body, handle, operation), responseStore);
  const webPage = new WebPage({
    isPageEnabled: !config.disableFrontend,
    rootPath: config.rootPath,
    snapshotIntervalMs: 1000,
    takeSnapshot: (): EngineSnapshot => ({
      time: Date.now(),
      version: packageVersion,
      models: groups.flatMap((group) => group.snapshot(registry.isLoaded(group.spec.names[0]), 60_000, 50)),
      memoryBudget: { maxLoadedModels: config.maxLoadedModels, maxLoadedBytes: config.maxLoadedBytes },
    }),
  });
  const http = createHttpServer(router, router, {
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    version: packageVersion,
    renderMetrics: () => metrics.render(),
    cors: {
      allowedOrigins: config.allowedOrigins,
      allowedMethods: config.allowedMethods,
      allowedHeaders: config.allowedHeaders,
      allowCredentials: config.allowCredentials,
    },
    rootPath: config.rootPath,
    tls,
    requestLog,
    isHealthy: () => registry.loadedValues().every((loaded) => loaded.engines.every((engine) => engine.isAlive)),
    responses,
    isReady: () => isReady,
    loraAdapters: config.enableRuntimeLoraUpdating ? new LoraAdapterServing(new RuntimeLoraAdapters(first, registry, router)) : undefined,
    webPage,
  });
  const { server } = http;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const scheme = tls ? "https" : "http";

  // Installed before the load, so a SIGTERM while loading ends the process cleanly too.
  const shutdown = new GracefulShutdown(
    {
      http,
      stopEngine: async () => {
        await Promise.all(registry.loadedValues().map((loaded) => loaded.stopEngines()));
      },
      closeRunner: async () => {
        responseStoreFile?.save();
        await registry.closeAll();
      },
    },
    { timeoutMs: config.shutdownTimeoutSeconds * 1000, abortFlushMs, delay: timerDelay, log: (line) => console.log(line) },
  );
  const onSignal = (signal: NodeJS.Signals) => {
    shutdown.request(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        serverLog.fatal({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  console.log(`pagoda: loading on ${scheme}://${host}:${port} (/health answers 503 until the model is ready)`);
  // Without a budget every model loads now (a bad file fails at start, as with one model); with one, the first does.
  const eager = config.maxLoadedModels === null && config.maxLoadedBytes === null ? groups : groups.slice(0, 1);
  for (const group of eager) (await registry.acquire(group.spec.names[0])).release();
  const firstLoaded = registry.peek(first.spec.names[0])!;
  isReady = true;

  const banner = [
    `pagoda ${packageVersion}`,
    `  model:          ${modelPath}${firstLoaded.description ? ` (${firstLoaded.description})` : ""}`,
    `  served as:      ${servedModelNames.join(", ")}`,
    `  context:        ${maxModelLen} tokens per sequence, ${first.spec.maxNumSeqs} sequences, ${first.spec.threads} threads`,
    `  KV cache:       ${kvCacheSummary(firstLoaded.runners[0].kvPoolCells, maxModelLen, first.spec.maxNumSeqs, config.kvPool)}`,
    `  chat template:  ${firstLoaded.hasChatTemplate ? (first.spec.chatTemplate ?? "from the model") : "none (chat requests get a 400; use --chat-template FILE)"}`,
    `  tool calls:     ${firstLoaded.toolOptions.toolSyntax ? `${firstLoaded.toolOptions.toolSyntax.name} parser` : "not parsed (no parser for this template; --tool-call-parser NAME)"}${firstLoaded.toolOptions.reasoningParser ? `; reasoning: ${firstLoaded.toolOptions.reasoningParser}` : ""}`,
    ...first.spec.loraModules.map((lora) => `  LoRA adapter:   ${lora.name} (${lora.path})`),
    ...(config.enableRuntimeLoraUpdating ? [`  runtime LoRA:   POST /v1/load_lora_adapter, /v1/unload_lora_adapter (on ${servedModelNames[0]})`] : []),
    ...groups.slice(1).map((group) => `  also serving:   ${[...group.names].join(", ")} (${group.path}${registry.isLoaded(group.spec.names[0]) ? "" : ", loaded on first request"})`),
    ...(config.maxLoadedModels !== null || config.maxLoadedBytes !== null
      ? [`  memory budget:  ${[config.maxLoadedModels !== null ? `${config.maxLoadedModels} models` : "", config.maxLoadedBytes !== null ? `${config.maxLoadedBytes} bytes` : ""].filter(Boolean).join(", ")} loaded at once, least recently used idle model unloaded`]
      : []),
    `  API key:        ${config.apiKeys.length > 0 ? "required on /v1/*" : "none"}`,
    `  request logs:   ${config.enableLogRequests ? `JSON lines on stdout${config.maxLogLen ? `, prompts cut to ${config.maxLogLen} characters` : ", no prompts"}` : "off (--enable-log-requests)"}`,
    `  responses:      ${responseStore ? `stored (${config.responsesStoreMaxBytes} bytes, ${config.responsesStoreTtlSeconds ? `${config.responsesStoreTtlSeconds} s` : "no expiry"}${responseStoreFile ? `, persisted in ${config.responsesStorePath}, ${numRestoredResponses} restored` : ", in memory"})` : "not stored (--no-responses-store)"}`,
    `  shutdown:       in-flight requests get ${config.shutdownTimeoutSeconds} s to finish on SIGTERM/SIGINT`,
    ...(isBuiltin
      ? [
          "",
          "  This is pagoda's built-in tiny model with random weights: its output is meaningless.",
          "  Serve a real GGUF with:  npm start -- --model ./qwen2.5-0.5b-instruct-q4_k_m.gguf",
        ]
      : []),
    "",
    `  OpenAI base URL: ${scheme}://${host}:${port}/v1${config.rootPath ? ` (also under ${config.rootPath}: ${scheme}://${host}:${port}${config.rootPath}/v1)` : ""}`,
    ...routeList.map((route) => `    ${route}`),
    `  API docs:        ${scheme}://${host}:${port}${config.rootPath}/docs`,
    `  web page:        ${webPage.isServingPage ? `${scheme}://${host}:${port}${config.rootPath}/ (playground), /dashboard` : "off (--disable-frontend)"}`,
    `pagoda listening on ${scheme}://${host}:${port}`,
  ];
  console.log(banner.join("\n"));
}

function kvCacheSummary(kvPoolCells: number | null, maxModelLen: number, maxNumSeqs: number, isPoolWanted: boolean): string {
  if (kvPoolCells !== null) return `one pool of ${kvPoolCells} tokens shared by all sequences (--kv-cache-memory, --kv-cache-tokens)`;
  const why = !isPoolWanted
    ? "--no-kv-pool"
    : "path" in findUnifiedKvAddon()
      ? "every sequence fits at full length, where a pool saves no memory and slows decoding"
      : "`npm run build:native` builds the addon that has one";
  return `${maxModelLen} tokens reserved per sequence, ${maxModelLen * maxNumSeqs} in all (no shared pool: ${why})`;
}
