/**
 * Prompts for `pagoda bench serve`, all seeded and deterministic:
 *
 * - `random`: about `inputLen` tokens of words drawn from a fixed list of common
 *   English words, each one token with its leading space in GPT-2/Qwen-style BPE
 *   vocabularies; with `rangeRatio` r the length is uniform in [len*(1-r), len*(1+r)].
 * - `shared-prefix`: one shared system prompt of `prefixLen` words, plus a distinct
 *   user suffix of about `inputLen` words per request (for prefix caching).
 * - `file`: JSONL (or a JSON array) whose entries have `prompt`, or ShareGPT
 *   `conversations` (the first human/user turn is the prompt, a leading system
 *   turn the system prompt); shuffled with the seed, repeated if too few.
 *
 * Token counts in reports come from the server's `usage`, so the word counts here
 * are only targets (and the fallback when a server sends no usage).
 */
import { readFile } from "node:fs/promises";
import { hashString, mulberry32 } from "../models/mulberry32.js";

export interface BenchPrompt {
  /** Chat: a system message; completions: prepended to the prompt. */
  system?: string;
  prompt: string;
}

export type DatasetSpec =
  | { kind: "random"; inputLen: number; rangeRatio: number; seed: number }
  | { kind: "shared-prefix"; prefixLen: number; inputLen: number; rangeRatio: number; seed: number }
  | { kind: "file"; path: string; seed: number };

export const datasetKinds = ["random", "shared-prefix", "file"] as const;

// prettier-ignore
export const WORDS: readonly string[] = [
  "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
  "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
  "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
  "who", "so", "no", "time", "people", "year", "way", "day", "man", "thing", "woman", "life", "child",
  "world", "school", "state", "family", "student", "group", "country", "problem", "hand", "part", "place",
  "case", "week", "company", "system", "program", "question", "work", "government", "number", "night",
  "point", "home", "water", "room", "mother", "area", "money", "story", "fact", "month", "lot", "right",
  "study", "book", "eye", "job", "word", "business", "issue", "side", "kind", "head", "house", "service",
  "friend", "father", "power", "hour", "game", "line", "end", "member", "law", "car", "city", "name",
  "team", "minute", "idea", "kid", "body", "back", "parent", "face", "others", "level", "office", "door",
  "health", "person", "art", "war", "history", "party", "result", "change", "morning", "reason", "research",
  "girl", "guy", "moment", "air", "teacher", "force", "education", "good", "new", "first", "last", "long",
  "great", "little", "own", "other", "old", "big", "high", "different", "small", "large", "next", "early",
  "young", "important", "few", "public", "bad", "same", "able", "make", "know", "take", "see", "come",
  "think", "look", "want", "give", "use", "find", "tell", "ask", "seem", "feel", "try", "leave", "call",
  "keep", "let", "begin", "help", "talk", "turn", "start", "show", "hear", "play", "run", "move", "like",
  "live", "believe", "hold", "bring", "happen", "write", "provide", "sit", "stand", "lose", "pay", "meet",
  "include", "continue", "set", "learn", "lead", "understand", "watch", "follow", "stop", "create", "speak",
  "read", "spend", "grow", "open", "walk", "win", "offer", "remember", "love", "consider", "appear", "buy",
  "wait", "serve", "die", "send", "expect", "build", "stay", "fall", "cut", "reach", "kill", "remain",
];

/** `count` words drawn uniformly from WORDS, space-separated. */
export function randomWords(random: () => number, count: number): string {
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]);
  return words.join(" ");
}

/** A length uniform over the integers in [len*(1-r), len*(1+r)], at least 1. */
export function sampleLength(random: () => number, len: number, rangeRatio: number): number {
  if (rangeRatio < 0 || rangeRatio >= 1) throw new RangeError(`--range-ratio must be in [0, 1), got ${rangeRatio}`);
  const low = Math.max(1, Math.floor(len * (1 - rangeRatio)));
  const high = Math.max(low, Math.ceil(len * (1 + rangeRatio)));
  return low + Math.floor(random() * (high - low + 1));
}

export function randomPrompts(count: number, inputLen: number, rangeRatio: number, seed: number): BenchPrompt[] {
  const random = mulberry32(hashString("random", seed));
  const prompts: BenchPrompt[] = [];
  for (let i = 0; i < count; i++) prompts.push({ prompt: randomWords(random, sampleLength(random, inputLen, rangeRatio)) });
  return prompts;
}

export function sharedPrefixPrompts(count: number, prefixLen: number, inputLen: number, rangeRatio: number, seed: number): BenchPrompt[] {
  const system = randomWords(mulberry32(hashString("shared-prefix", seed)), prefixLen);
  const random = mulberry32(hashString("suffix", seed));
  const prompts: BenchPrompt[] = [];
  for (let i = 0; i < count; i++) {
    // The request number up front makes every suffix distinct from its first token.
    prompts.push({ system, prompt: `${i + 1}. ${randomWords(random, Math.max(0, sampleLength(random, inputLen, rangeRatio) - 1))}`.trimEnd() });
  }
  return prompts;
}

interface Turn {
  from?: unknown;
  role?: unknown;
  value?: unknown;
  content?: unknown;
}

/** One dataset entry to a prompt, or undefined when it has none. */
export function entryToPrompt(entry: unknown): BenchPrompt | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const record = entry as { prompt?: unknown; conversations?: unknown; system?: unknown };
  if (typeof record.prompt === "string" && record.prompt.length > 0) {
    return typeof record.system === "string" ? { system: record.system, prompt: record.prompt } : { prompt: record.prompt };
  }
  if (!Array.isArray(record.conversations)) return undefined;
  let system: string | undefined;
  for (const turn of record.conversations as Turn[]) {
    const speaker = String(turn?.from ?? turn?.role ?? "");
    const text = turn?.value ?? turn?.content;
    if (typeof text !== "string") continue;
    if (speaker === "system" && system === undefined) system = text;
    else if (speaker === "human" || speaker === "user") return text.length > 0 ? (system === undefined ? { prompt: text } : { system, prompt: text }) : undefined;
  }
  return undefined;
}

/** Parses JSONL, or a JSON array (ShareGPT's usual file shape). Lines that do not parse are errors. */
export function parseDatasetText(text: string, source = "dataset"): BenchPrompt[] {
  const trimmed = text.trimStart();
  let entries: unknown[];
  if (trimmed.startsWith("[")) {
    entries = JSON.parse(trimmed) as unknown[];
  } else {
    entries = [];
    text.split("\n").forEach((line, index) => {
      if (line.trim() === "") return;
      try {
        entries.push(JSON.parse(line));
      } catch {
        throw new Error(`${source}:${index + 1}: not a JSON line`);
      }
    });
  }
  return entries.map(entryToPrompt).filter((p): p is BenchPrompt => p !== undefined);
}

/** A seeded shuffle, then the first `count`, repeating the list if it is shorter. */
export function samplePrompts(all: readonly BenchPrompt[], count: number, seed: number): BenchPrompt[] {
  if (all.length === 0) throw new Error("the dataset has no usable prompts ('prompt', or 'conversations' with a human/user turn)");
  const shuffled = [...all];
  const random = mulberry32(hashString("file", seed));
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return Array.from({ length: count }, (_, i) => shuffled[i % shuffled.length]);
}

export async function loadPrompts(spec: DatasetSpec, count: number): Promise<BenchPrompt[]> {
  switch (spec.kind) {
    case "random":
      return randomPrompts(count, spec.inputLen, spec.rangeRatio, spec.seed);
    case "shared-prefix":
      return sharedPrefixPrompts(count, spec.prefixLen, spec.inputLen, spec.rangeRatio, spec.seed);
    case "file":
      return samplePrompts(parseDatasetText(await readFile(spec.path, "utf8"), spec.path), count, spec.seed);
  }
}

/** Whitespace-separated words: the token-count fallback when a server sends no usage. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? 0 : trimmed.split(/\s+/).length;
}
