/**
 * Drawing tokens and reading logprobs from a decoded batch, with vLLM's
 * semantics (see sampling-plan.ts for which path a request takes).
 *
 * Logprobs are of the raw distribution (log-softmax of the logits before any
 * bias, penalty or filter: vLLM's default). llama.cpp hands them over through
 * two cheap calls on samplers that only read: the sampled token's and the top
 * logit with the whole vocabulary's normalizer, and the top K logits.
 */
import type { SamplerConfig, SequenceSampler } from "../engine/model-runner.js";
import type { TokenLogprob } from "../engine/types.js";
import { SeededRandom } from "../sampling/seeded-random.js";
import { applyBiasesAndPenalties, argmax, candidatesFromLogits, draw, filteredDistribution } from "../sampling/vllm-sampler.js";
import type { AddonContext, AddonGrammarEvaluationState, AddonSampler, AddonSamplerConfig } from "./addon-types.js";
import type { GrammarHolder, GrammarStates } from "./grammar-states.js";
import { isGreedy, nativeProcessing, nativeSamplerConfig, samplingPathOf } from "./sampling-plan.js";

/**
 * How many top tokens the "candidates" path asks llama.cpp for: enough for a
 * peaked distribution's nucleus. Each costs a JS array entry (~0.2 us; the
 * whole 152k vocabulary ~35 ms), so a flat one is sampled by rejection instead.
 */
const numCandidates = 256;
/** Top logits read for a logprob even when fewer alternatives are asked for: the sampled token is usually among them. */
const minTopForLogprobs = 8;
/** A draw lands in the nucleus with probability >= top_p; this many misses in a row does not happen in practice. */
const maxNucleusDraws = 64;

export class LlamaSequenceSampler implements SequenceSampler, GrammarHolder {
  grammarText: string | null = null;
  grammarState: AddonGrammarEvaluationState | null = null;
  utf8State = 0;
  utf8NumTokens = 0;
  private normalizerSampler: AddonSampler | null = null;
  private random: SeededRandom | null = null;

  constructor(
    readonly main: AddonSampler,
    private readonly createNative: () => AddonSampler,
  ) {}

  /** A second native sampler with the same biases and penalties, for the vocabulary's normalizer. */
  get normalizer(): AddonSampler {
    return (this.normalizerSampler ??= this.createNative());
  }

  /** The TypeScript-side generator, seeded on first use. */
  randomFor(seed: number): SeededRandom {
    return (this.random ??= new SeededRandom(seed));
  }

  dispose(): void {
    this.main.dispose();
    this.normalizerSampler?.dispose();
  }
}

export interface SampleRequest {
  batchLogitIndex: number;
  sampler: LlamaSequenceSampler;
  config: SamplerConfig;
  promptTokens: readonly number[];
  outputTokens: readonly number[];
  tokenWindow: Uint32Array;
}

export class LlamaSampling {
  /** Read-only samplers shared by all sequences; used one call at a time. */
  private readonly rawGreedy: AddonSampler;
  private readonly rawTopK = new Map<number, AddonSampler>();
  private sharedQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly context: AddonContext,
    private readonly createNative: () => AddonSampler,
    private readonly vocabSize: number,
    private readonly endOfGenerationTokens: ReadonlySet<number>,
    private readonly grammars: GrammarStates,
  ) {
    this.rawGreedy = createNative();
    this.rawGreedy.applyConfig({ temperature: 0 });
  }

  createSequenceSampler(): LlamaSequenceSampler {
    return new LlamaSequenceSampler(this.createNative(), this.createNative);
  }

  async sample(request: SampleRequest): Promise<number> {
    const path = samplingPathOf(request.config);
    if (path === "full") return this.withShared(() => this.sampleFromAllLogits(request));
    const processing = nativeProcessing(request.config, request.tokenWindow, request.promptTokens.length);
    if (path === "candidates") return this.sampleFromCandidates(request, processing);
    // The grammar's state (and its UTF-8 guard's biases, which include the request's): absent keys when unconstrained.
    const grammarConfig = this.grammars.nativeConfigFor(request.sampler, request.config, request.outputTokens);
    request.sampler.main.applyConfig({ ...nativeSamplerConfig(request.config, processing), ...grammarConfig });
    const sampleNative = async () => checked(await this.context.sampleToken(request.batchLogitIndex, request.sampler.main));
    const grammarState = grammarConfig.grammarEvaluationState;
    if (grammarState === undefined) return sampleNative();
    return this.grammars.sampleUnder(grammarState, this.endOfGenerationTokens, sampleNative);
  }

  /**
   * The token's raw logprob and `numTop` alternatives at a batch logit index:
   * the top logits (the maximum first) and the vocabulary's sum of
   * exp(logit - max); a token outside the top costs one more call for its logit.
   */
  logprob(batchLogitIndex: number, token: number, numTop: number): Promise<TokenLogprob> {
    return this.withShared(async () => {
      const top = await this.topLogits(batchLogitIndex, Math.max(numTop, minTopForLogprobs));
      const [, , , , weight] = await this.context.sampleToken(batchLogitIndex, this.rawGreedy, false, false, false, true);
      const maxLogit = top[0][1];
      const logNormalizer = maxLogit + Math.log(weight ?? 1);
      let own = top.find(([id]) => id === token)?.[1];
      if (own === undefined) {
        const [, , , pairs] = await this.context.sampleToken(batchLogitIndex, this.rawGreedy, false, false, [[token], false, false, false, 0], false);
        own = toPairs(pairs).find(([id]) => id === token)?.[1];
      }
      return {
        token,
        logprob: own === undefined ? -Infinity : own - logNormalizer,
        top: top.slice(0, numTop).map(([id, logit]) => ({ token: id, logprob: logit - logNormalizer })),
      };
    });
  }

  private async topLogits(batchLogitIndex: number, k: number): Promise<Array<[number, number]>> {
    let sampler = this.rawTopK.get(k);
    if (!sampler) {
      sampler = this.createNative();
      sampler.applyConfig({ temperature: 1, topK: k, seed: 0 });
      this.rawTopK.set(k, sampler);
    }
    const [, , , pairs] = await this.context.sampleToken(batchLogitIndex, sampler, false, false, [[], false, false, false, k], false);
    return toPairs(pairs).slice(0, k);
  }

  /** Temperature, min_p, top_k and top_p in TypeScript over llama.cpp's top candidates. */
  private async sampleFromCandidates(request: SampleRequest, processing: AddonSamplerConfig): Promise<number> {
    const { config, sampler, batchLogitIndex } = request;
    const temperature = config.temperature;
    // With top_k the kept set lies within the candidates and is renormalized: the vocabulary's normalizer cancels out.
    let weight: number | undefined = 1;
    if (config.topK === 0) {
      sampler.normalizer.applyConfig({ ...processing, temperature: temperature === 1 ? 0 : temperature, seed: config.seed });
      [, , , , weight] = await this.context.sampleToken(batchLogitIndex, sampler.normalizer, false, false, false, true);
    }
    const size = Math.min(config.topK > 0 ? config.topK : numCandidates, this.vocabSize);
    sampler.main.applyConfig({ ...processing, temperature: 1, topK: size, seed: config.seed });
    const [, , , pairs] = await this.context.sampleToken(batchLogitIndex, sampler.main, false, false, [[], false, false, false, size], false);
    const top = toPairs(pairs).slice(0, size);
    const distribution = filteredDistribution(
      { tokens: top.map(([id]) => id), logits: top.map(([, logit]) => logit), isComplete: size >= this.vocabSize, logNormalizer: Math.log(weight ?? 1) },
      config,
    );
    if (distribution !== null) return draw(distribution, sampler.randomFor(config.seed));
    return this.sampleFlatNucleus(request, processing, weight ?? 1, top);
  }

  /**
   * The nucleus reaches past the candidates (a flat distribution): draw from
   * the whole kept set at temperature T in llama.cpp and accept a draw inside
   * the nucleus (the mass of the tokens more likely than it is below top_p),
   * which is exactly the nucleus distribution; a draw is accepted with
   * probability >= top_p. Every draw among the candidates is in the nucleus.
   */
  private async sampleFlatNucleus(request: SampleRequest, processing: AddonSamplerConfig, fullWeight: number, top: ReadonlyArray<[number, number]>): Promise<number> {
    const { config, sampler, batchLogitIndex } = request;
    const temperature = config.temperature;
    const maxLogit = top[0][1];
    const candidates = new Set(top.map(([token]) => token));
    // min_p at T is llama.cpp's min_p of min_p^T before scaling; top_k never gets here (its candidates are complete).
    const keptFilter = config.minP > 0 ? { minP: Math.pow(config.minP, temperature) } : {};
    const massAtLeast = async (filter: AddonSamplerConfig): Promise<number> => {
      sampler.normalizer.applyConfig({ ...processing, ...filter, temperature, seed: config.seed });
      const [, , , , weight] = await this.context.sampleToken(batchLogitIndex, sampler.normalizer, false, false, false, true);
      return weight ?? 0;
    };
    const keptWeight = config.minP > 0 ? await massAtLeast(keptFilter) : fullWeight;
    sampler.main.applyConfig({ ...processing, ...keptFilter, temperature, seed: config.seed });
    for (let attempt = 0; attempt < maxNucleusDraws; attempt++) {
      const [token, , , pairs] = await this.context.sampleToken(batchLogitIndex, sampler.main, false, false, [[], false, false, true, 0], false);
      if (candidates.has(token)) return token;
      const scaled = toPairs(pairs).find(([id]) => id === token)?.[1];
      if (scaled === undefined) return checked(token);
      const logit = scaled * temperature;
      // Tokens at least as likely as the draw: llama.cpp's min_p keeps logit >= max + ln(m).
      const atLeast = await massAtLeast({ minP: Math.exp(logit - maxLogit) });
      const above = atLeast - Math.exp((logit - maxLogit) / temperature);
      if (above < config.topP * keptWeight) return token;
    }
    return top[0][0];
  }

  /** Every logit to TypeScript: exact for any combination, slow on big vocabularies. */
  private async sampleFromAllLogits(request: SampleRequest): Promise<number> {
    const { config } = request;
    const [, , , pairs] = await this.context.sampleToken(request.batchLogitIndex, this.rawGreedy, false, false, true, false);
    const logits = new Float32Array(this.vocabSize).fill(-Infinity);
    // A flat [token, logit, ...] array of the whole vocabulary: read in place, no pair per token.
    const flat = pairs ?? [];
    for (let i = 0; i + 1 < flat.length; i += 2) logits[flat[i]] = flat[i + 1];
    const biases = new Map<number, number>();
    config.logitBias?.tokenIds.forEach((token, i) => biases.set(token, config.logitBias!.biases[i]));
    applyBiasesAndPenalties(logits, biases, config, request.promptTokens, request.outputTokens);
    if (isGreedy(config)) return argmax(logits);
    const distribution = filteredDistribution(candidatesFromLogits(logits, config.temperature), config)!;
    return draw(distribution, request.sampler.randomFor(config.seed));
  }

  /** Runs work on the shared samplers one call at a time (their candidate buffers are per sampler). */
  private withShared<T>(work: () => Promise<T>): Promise<T> {
    const result = this.sharedQueue.then(work);
    this.sharedQueue = result.catch(() => undefined);
    return result;
  }

  dispose(): void {
    this.rawGreedy.dispose();
    for (const sampler of this.rawTopK.values()) sampler.dispose();
  }
}

function toPairs(flat: ReadonlyArray<number> | undefined): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  if (!flat) return pairs;
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs;
}

function checked(token: number): number {
  if (token === -1) throw new Error("llama.cpp sampled no token");
  return token;
}
