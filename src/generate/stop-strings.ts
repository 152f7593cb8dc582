// Stop strings: a response ends once its text contains one of them. Decoding
// the whole response every step would cost O(length^2), so only its last few
// tokens are decoded: enough to hold the longest stop string, since a stop
// string is found in the step that completes it.
import type { GenerationTokenizer } from "./config.js";

/** Finds stop strings in a response as it grows, decoding only its last few tokens each step. */
export class StopStrings {
  private readonly window: number;

  constructor(
    /** The texts that end a response. */
    readonly strings: readonly string[],
    private readonly tokenizer: GenerationTokenizer,
  ) {
    // A token decodes to at least one character except in the middle of a
    // multi-byte character (at most 4 byte tokens), hence the slack.
    this.window = 4 * Math.max(0, ...strings.map((s) => s.length)) + 4;
  }

  /** Whether there is any stop string to look for. */
  get active(): boolean {
    return this.strings.length > 0;
  }

  /** Whether the response `tokens` (just extended by one token) now contains a stop string. */
  completedBy(tokens: readonly number[]): boolean {
    if (!this.active) return false;
    const tail = this.tokenizer.decode(tokens.slice(-this.window));
    return this.strings.some((s) => tail.includes(s));
  }

  /**
   * The response text up to the end of its first stop string (the one that ended it), or up to
   * its start without `keep` (as OpenAI-style servers return it); unchanged without one.
   */
  cut(text: string, keep = true): string {
    let start = text.length, end = text.length;
    for (const s of this.strings) {
      const at = text.indexOf(s);
      if (at >= 0 && (at + s.length < end || (at + s.length === end && at < start))) [start, end] = [at, at + s.length];
    }
    return text.slice(0, keep ? end : start);
  }
}
