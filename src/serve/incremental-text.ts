// A streamed response's text, decoded incrementally: each step decodes a short
// window of the last tokens instead of the whole response, so streaming n
// tokens decodes O(n) tokens rather than O(n^2).
//
// Decoding a suffix of the tokens alone would not give their text within the
// whole response: a SentencePiece-style decoder drops the leading space of a
// decode's first token, and a byte-level token may end part-way through a
// multi-byte character. So the window starts a few tokens back, at a token
// where an earlier step's text ended on a whole character, and the new text is
// the window's decode minus the decode of the window's tokens already read:
// whatever the decoder does at the start of a decode happens in both and
// cancels. Text ending in U+FFFD may be a character whose remaining bytes are
// still to come, so its tokens stay unread until the character completes (the
// technique of vLLM's and TGI's incremental detokenizers, with their "prefix"
// and "read" offsets).
import type { Tokenizer } from "../tokenize/index.js";

const REPLACEMENT = "\uFFFD";

/** Bytes a UTF-8 character may still lack after its first byte. */
const UTF8_TAIL = 3;

/** Once the window holds this many read tokens, it restarts at the latest step's start. */
const WINDOW = 8;

export class IncrementalText {
  /** The window's first token: a boundary where the text ended on a whole character. */
  private start = 0;
  /** Tokens [0, read) are read: their text was returned. */
  private read = 0;
  /** Where the latest advance of `read` started; the window's next start. */
  private lastRead = 0;
  /** The length of the decode of tokens [start, read). */
  private readLength = 0;

  constructor(private readonly tokenizer: Pick<Tokenizer, "decode">) {}

  /** The text that `tokens` (the response so far, extended since the last call) adds, as far as it is final. */
  next(tokens: readonly number[]): string {
    const end = tokens.length;
    if (end <= this.read) return "";
    const text = this.tokenizer.decode(tokens.slice(this.start, end));
    if (!text.endsWith(REPLACEMENT)) return this.advance(tokens, end, text);
    // A U+FFFD at the end is a cut character until UTF8_TAIL more tokens came; then it is
    // an invalid byte for good, and the text up to UTF8_TAIL tokens back is final, unless a
    // character completed by the last tokens straddles that boundary (the texts then differ).
    if (end - this.read <= UTF8_TAIL) return "";
    const boundary = end - UTF8_TAIL;
    const settled = this.tokenizer.decode(tokens.slice(this.start, boundary));
    return text.startsWith(settled) ? this.advance(tokens, boundary, settled) : "";
  }

  /** Marks tokens up to `to` read, `text` being the decode of [start, to); returns their new text. */
  private advance(tokens: readonly number[], to: number, text: string): string {
    const added = text.slice(this.readLength);
    [this.lastRead, this.read, this.readLength] = [this.read, to, text.length];
    if (this.read - this.start > WINDOW) {
      this.start = this.lastRead;
      this.readLength = this.tokenizer.decode(tokens.slice(this.start, this.read)).length;
    }
    return added;
  }
}
