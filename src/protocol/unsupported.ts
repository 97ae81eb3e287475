/**
 * Known OpenAI/vLLM fields pagoda does not implement yet. Sending one with a
 * non-default value is a 400 naming it: silently ignoring `logprobs` or
 * `response_format` would hand the client something it did not ask for.
 */
import { UnsupportedParameterError } from "../errors.js";

type Check = (value: unknown) => boolean;

const isTrue: Check = (value) => value === true;
const isNonEmpty: Check = (value) =>
  value !== null && value !== undefined && (Array.isArray(value) ? value.length > 0 : typeof value !== "object" || Object.keys(value).length > 0);
const isPresent: Check = (value) => value !== null && value !== undefined;

const common: Array<[string, Check]> = [
  ["best_of", (value) => typeof value === "number" && value > 1],
  ["use_beam_search", isTrue],
  ["logits_processors", isNonEmpty],
];

const chatOnly: Array<[string, Check]> = [
  ["functions", isNonEmpty],
  ["chat_template", isPresent],
];

const completionOnly: Array<[string, Check]> = [
  ["suffix", isNonEmpty],
];

export function rejectUnsupported(body: Record<string, unknown>, route: "chat" | "completion"): void {
  for (const [field, isUsed] of [...common, ...(route === "chat" ? chatOnly : completionOnly)]) {
    if (isUsed(body[field])) {
      throw new UnsupportedParameterError(`'${field}' is not supported by this server yet.`, field);
    }
  }
}
