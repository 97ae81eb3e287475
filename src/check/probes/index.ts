/** Every probe, in report order (grouped by feature). */
import type { Probe } from "../probe.js";
import { basicProbes } from "./basics.js";
import { biasProbes } from "./bias.js";
import { embeddingsProbes } from "./embeddings.js";
import { authProbes, errorProbes } from "./errors.js";
import { logprobsProbes } from "./logprobs.js";
import { responsesProbes } from "./responses.js";
import { samplingProbes } from "./sampling.js";
import { streamingProbes } from "./streaming.js";
import { structuredProbes } from "./structured.js";
import { toolsProbes } from "./tools.js";
import { vllmProbes } from "./vllm-extras.js";

export const allProbes: readonly Probe[] = [
  ...basicProbes,
  ...streamingProbes,
  ...samplingProbes,
  ...logprobsProbes,
  ...biasProbes,
  ...vllmProbes,
  ...structuredProbes,
  ...toolsProbes,
  ...embeddingsProbes,
  ...responsesProbes,
  ...errorProbes,
  ...authProbes,
];
