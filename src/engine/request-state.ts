/**
 * One request in the engine: its choices' sequences, its output stream, and
 * the times its timings are made of. What is read off that state (timings,
 * the next output to push) lives here; what changes it is the engine's.
 */
import type { FinishedGeneration } from "../request-handle.js";
import type { OutputStream } from "./output-stream.js";
import type { Sequence } from "./sequence.js";
import type { GenerateRequest, RequestTimings } from "./types.js";

export interface RequestState {
  request: GenerateRequest;
  sequences: Sequence[];
  stream: OutputStream;
  arrivedAt: number;
  scheduledAt: number | null;
  /** When the first choice produced each of its tokens. */
  tokenTimes: number[];
  /** Tells the request's handle that this generation has left the engine. */
  reportFinished: ((finished: FinishedGeneration) => void) | null;
}

function numOutputTokens(state: RequestState): number {
  return state.sequences.reduce((sum, sequence) => sum + sequence.outputTokens.length, 0);
}

export function timingsOf(state: RequestState, finishedAt: number): RequestTimings {
  const first = state.sequences[0];
  const { tokenTimes, arrivedAt } = state;
  return {
    requestId: state.request.requestId,
    finishReason: first.finishReason ?? "abort",
    numPromptTokens: first.numPromptTokens,
    numCachedPromptTokens: first.numCachedPromptTokens,
    numGenerationTokens: numOutputTokens(state),
    queueTimeMs: (state.scheduledAt ?? finishedAt) - arrivedAt,
    timeToFirstTokenMs: tokenTimes.length > 0 ? tokenTimes[0] - arrivedAt : null,
    interTokenLatenciesMs: tokenTimes.slice(1).map((time, i) => time - tokenTimes[i]),
    endToEndMs: finishedAt - arrivedAt,
  };
}

/** The choices' new output since the last call, with the request's usage so far, as the stream takes it; null when nothing is new. */
export function takeOutput(state: RequestState): Parameters<OutputStream["push"]> | null {
  const choices = state.sequences.map((sequence) => sequence.takeOutput()).filter((choice) => choice !== null);
  if (choices.length === 0) return null;
  const first = state.sequences[0];
  const usage = {
    requestId: state.request.requestId,
    numPromptTokens: first.numPromptTokens,
    numCachedPromptTokens: first.numCachedPromptTokens,
    numCompletionTokens: numOutputTokens(state),
    promptLogprobs: first.isPrefilling ? null : first.promptLogprobs,
  };
  return [usage, choices];
}
