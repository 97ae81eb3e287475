/**
 * OpenAI `stop` strings over streamed text. Each stop string runs a KMP matcher
 * over every UTF-16 code unit, so a stop string spanning deltas is found, the
 * result never depends on how the text was chunked, and the text held back is
 * exactly the longest suffix that could still become a stop string.
 */

export interface StopCheckerOptions {
  /** Emit the matched stop string too (vLLM's `include_stop_str_in_output`). */
  includeStopStringInOutput?: boolean;
}

export interface StopCheckResult {
  /** Text safe to emit now. */
  text: string;
  /** A stop string matched; generation should end and later text is dropped. */
  stopped: boolean;
  /** The stop string that matched. */
  matched?: string;
}

class StopMatcher {
  // failure[i]: length of the longest proper border of stop[0..i].
  private readonly failure: number[];
  /** Length of the longest suffix of the text so far that is a prefix of `stop`. */
  state = 0;

  constructor(readonly stop: string) {
    this.failure = new Array<number>(stop.length).fill(0);
    for (let i = 1, k = 0; i < stop.length; i++) {
      while (k > 0 && stop.charCodeAt(i) !== stop.charCodeAt(k)) k = this.failure[k - 1];
      if (stop.charCodeAt(i) === stop.charCodeAt(k)) k++;
      this.failure[i] = k;
    }
  }

  /** Feeds one code unit; true when the stop string has just been completed. */
  advance(unit: number): boolean {
    let k = this.state;
    while (k > 0 && this.stop.charCodeAt(k) !== unit) k = this.failure[k - 1];
    if (this.stop.charCodeAt(k) === unit) k++;
    // A completed match ends the stream, so the state after it does not matter.
    this.state = k;
    return k === this.stop.length;
  }
}

export class StopChecker {
  private readonly matchers: StopMatcher[];
  private readonly include: boolean;
  private held = "";
  private matchedStop: string | undefined;

  /** `stop` as in the OpenAI request: a string, a list, or absent. Empty strings are ignored. */
  constructor(stop: string | readonly string[] | null | undefined, options: StopCheckerOptions = {}) {
    const stops = typeof stop === "string" ? [stop] : (stop ?? []);
    this.matchers = [...new Set(stops)].filter((s) => s.length > 0).map((s) => new StopMatcher(s));
    this.include = options.includeStopStringInOutput ?? false;
  }

  get stopped(): boolean {
    return this.matchedStop !== undefined;
  }

  get matched(): string | undefined {
    return this.matchedStop;
  }

  /**
   * Feeds the next text delta. The stop string completed first wins (as it
   * would when streaming one character at a time); of several completed by the
   * same character, the longest, i.e. the one that started earliest.
   */
  push(delta: string): StopCheckResult {
    if (this.matchedStop !== undefined) return { text: "", stopped: true, matched: this.matchedStop };
    const text = this.held + delta;
    for (let i = this.held.length; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      let hit: StopMatcher | undefined;
      for (const m of this.matchers) {
        if (m.advance(unit) && (hit === undefined || m.stop.length > hit.stop.length)) hit = m;
      }
      if (hit !== undefined) {
        this.held = "";
        this.matchedStop = hit.stop;
        const end = this.include ? i + 1 : i + 1 - hit.stop.length;
        return { text: text.slice(0, end), stopped: true, matched: hit.stop };
      }
    }
    let cut = text.length - Math.max(0, ...this.matchers.map((m) => m.state));
    // Never emit half of a surrogate pair; the rest of the character is coming.
    if (cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
    this.held = text.slice(cut);
    return { text: text.slice(0, cut), stopped: false };
  }

  /** Generation ended for another reason (EOS, length): releases the held-back text. */
  flush(): string {
    const text = this.held;
    this.held = "";
    return text;
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
