/**
 * What a forward pass costs, learnt from the engine's own measured steps: a
 * linear model of the step's time in its prefill tokens, its decode rows and
 * the attention work over the KV cache, fitted online by exponentially
 * weighted least squares with non-negative coefficients (old steps fade, so
 * the fit follows a machine whose speed drifts). Cheap: four features, fifteen
 * small solves per observed step.
 */
import type { BatchItem } from "./model-runner.js";

/** The features of one step. */
export interface StepShape {
  /** Tokens of items that feed more than one token (prompt chunks). */
  numPrefillTokens: number;
  /** Items that feed exactly one token (decodes, and one-token prompt tails). */
  numDecodeRows: number;
  /** Attention work: for each fed token, the KV positions it attends to, summed, in thousands. */
  kvWork: number;
}

/** Attention work of feeding `numTokens` tokens from `startPosition`: each attends to the positions before it and itself. */
export function kvWorkOf(startPosition: number, numTokens: number): number {
  return (numTokens * (startPosition + (numTokens + 1) / 2)) / 1000;
}

export function shapeOf(items: ReadonlyArray<Pick<BatchItem, "startPosition" | "tokens">>): StepShape {
  const shape: StepShape = { numPrefillTokens: 0, numDecodeRows: 0, kvWork: 0 };
  for (const { startPosition, tokens } of items) {
    if (tokens.length === 1) shape.numDecodeRows++;
    else shape.numPrefillTokens += tokens.length;
    shape.kvWork += kvWorkOf(startPosition, tokens.length);
  }
  return shape;
}

const numFeatures = 4;

function featuresOf(shape: StepShape): number[] {
  return [1, shape.numPrefillTokens, shape.numDecodeRows, shape.kvWork];
}

export interface StepCostModelOptions {
  /** Weight kept by the past at each new observation: 0.98 remembers roughly the last 50 steps. */
  forgetting?: number;
  /** Steps seen before the model predicts at all. */
  minObservations?: number;
  /** A step slower than this many times its prediction counts as this many times: a descheduled process, not the model's cost. */
  outlierFactor?: number;
}

/** Every subset of the features, as index lists: the candidates for which coefficients are free (the rest held at 0). */
const featureSubsets: number[][] = Array.from({ length: (1 << numFeatures) - 1 }, (_, mask) =>
  Array.from({ length: numFeatures }, (_, i) => i).filter((i) => ((mask + 1) >> i) & 1),
);

export class StepCostModel {
  private readonly forgetting: number;
  private readonly minObservations: number;
  private readonly outlierFactor: number;
  /** Weighted normal equations: sum of x x^T, of x y and of y^2. */
  private readonly gram = Array.from({ length: numFeatures }, () => new Array<number>(numFeatures).fill(0));
  private readonly moment = new Array<number>(numFeatures).fill(0);
  private sumSquares = 0;
  private weights: number[] | null = null;
  private numObservations = 0;

  constructor(options: StepCostModelOptions = {}) {
    this.forgetting = options.forgetting ?? 0.98;
    // One step is enough: the ridge settles what it cannot tell apart at 0, which errs towards small prompt chunks until more steps are seen.
    this.minObservations = options.minObservations ?? 1;
    this.outlierFactor = options.outlierFactor ?? 3;
  }

  observe(shape: StepShape, elapsedMs: number): void {
    if (!Number.isFinite(elapsedMs) || elapsedMs < 0) return;
    // Unclipped, one such step can move the decode coefficients enough to raise the ITL target and let big prompt chunks in. A shape never seen
    // (the first prompt after decodes only) still teaches fast enough: its estimate may triple with every step.
    const predicted = this.predict(shape);
    const y = predicted !== null && predicted > 0 ? Math.min(elapsedMs, this.outlierFactor * predicted) : elapsedMs;
    const x = featuresOf(shape);
    for (let i = 0; i < numFeatures; i++) {
      this.moment[i] = this.forgetting * this.moment[i] + x[i] * y;
      for (let j = 0; j < numFeatures; j++) this.gram[i][j] = this.forgetting * this.gram[i][j] + x[i] * x[j];
    }
    this.sumSquares = this.forgetting * this.sumSquares + y * y;
    this.numObservations++;
    this.weights = this.numObservations >= this.minObservations ? this.solve() : null;
  }

  /** Predicted milliseconds of a step of this shape; null until enough steps were seen. */
  predict(shape: StepShape): number | null {
    if (this.weights === null) return null;
    const x = featuresOf(shape);
    let ms = 0;
    for (let i = 0; i < numFeatures; i++) ms += this.weights[i] * x[i];
    return ms;
  }

  /** The fitted coefficients (ms, ms per prefill token, ms per decode row, ms per thousand KV positions attended), for logs and tests. */
  get coefficients(): readonly number[] | null {
    return this.weights;
  }

  /**
   * Non-negative least squares, by trying every set of free coefficients: no
   * cost of a step is negative, and an unconstrained fit over steps that vary
   * little (a long run of equal decode steps, prompt tokens and KV work that
   * grow together) trades a large negative coefficient against a large
   * positive one, which then predicts a big prompt chunk as free.
   */
  private solve(): number[] | null {
    let best: number[] | null = null;
    let bestLoss = Infinity;
    for (const subset of featureSubsets) {
      const free = this.solveRidge(subset);
      if (free === null || free.some((w) => w < 0)) continue;
      const weights = new Array<number>(numFeatures).fill(0);
      subset.forEach((feature, k) => (weights[feature] = free[k]));
      const loss = this.lossOf(weights);
      if (loss < bestLoss) [best, bestLoss] = [weights, loss];
    }
    return best;
  }

  /** Weighted squared error of `weights`: w^T G w - 2 w^T m + sum y^2. */
  private lossOf(weights: number[]): number {
    let loss = this.sumSquares;
    for (let i = 0; i < numFeatures; i++) {
      loss -= 2 * weights[i] * this.moment[i];
      for (let j = 0; j < numFeatures; j++) loss += weights[i] * this.gram[i][j] * weights[j];
    }
    return loss;
  }

  /**
   * (G + ridge) w = m over the features in `subset`, by Gaussian elimination
   * with partial pivoting. The small ridge, relative to each feature's own
   * scale, settles what the steps seen so far cannot tell apart (e.g. decode
   * rows when every step had one) at 0.
   */
  private solveRidge(subset: number[]): number[] | null {
    const n = subset.length;
    const a = subset.map((i) => [...subset.map((j) => this.gram[i][j]), this.moment[i]]);
    const trace = this.gram.reduce((sum, row, i) => sum + row[i], 0);
    for (let i = 0; i < n; i++) a[i][i] += 1e-6 * a[i][i] + 1e-9 * (trace + 1);
    for (let col = 0; col < n; col++) {
      let pivot = col;
      for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row;
      if (!(Math.abs(a[pivot][col]) > 0)) return null;
      [a[col], a[pivot]] = [a[pivot], a[col]];
      for (let row = 0; row < n; row++) {
        if (row === col) continue;
        const factor = a[row][col] / a[col][col];
        for (let k = col; k <= n; k++) a[row][k] -= factor * a[col][k];
      }
    }
    return a.map((row, i) => row[n] / row[i]);
  }
}
