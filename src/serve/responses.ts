// A request's sequences as OpenAI response bodies: whole (non-streamed) or as
// the chunks of a stream, for completions and chat completions alike. With
// vLLM's return_token_ids the token ids travel too (each choice's token_ids,
// and the prompt's), so a client keeps exactly what was sampled.
import { randomUUID } from "node:crypto";
import type { Sequence, TokenChoice } from "../generate/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { IncrementalText } from "./incremental-text.js";

export type Endpoint = "completion" | "chat";

export interface ResponseOptions {
  endpoint: Endpoint;
  model: string;
  tokenizer: Tokenizer;
  /** Report log-probs (completions: logprobs given; chat: logprobs true). */
  logprobs: boolean;
  /** Keep a stop string at the end of the text (vLLM's include_stop_str_in_output). */
  keepStopString: boolean;
  /** vLLM's return_token_ids. */
  returnTokenIds: boolean;
  /** vLLM's return_tokens_as_token_ids: tokens in log-probs are spelled `token_id:ID`. */
  tokensAsIds: boolean;
}

/** What a stream has sent of a sequence so far. */
interface Streamed {
  /** Tokens reported (their ids, log-probs). */
  tokens: number;
  /** Characters of text sent. */
  sent: number;
  /** Decoded text not sent yet, because it may still change. */
  held: string;
  decoded: IncrementalText;
}

/**
 * How much of decoded text may be sent: not a start of a stop string at its end, which the next
 * tokens may complete (and the text then be cut before it). A cut multi-byte character never
 * gets this far: IncrementalText holds back its tokens until it is complete.
 */
function settledLength(text: string, stopStrings: readonly string[]): number {
  const end = text.length;
  let held = 0;
  for (const s of stopStrings) {
    for (let k = Math.min(s.length - 1, end); k > held; k--) {
      if (text.endsWith(s.slice(0, k), end)) {
        held = k;
        break;
      }
    }
  }
  return end - held;
}

export class ResponseWriter {
  readonly id: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly streamed = new Map<Sequence, Streamed>();

  constructor(private readonly options: ResponseOptions, private readonly sequences: readonly Sequence[], private readonly prompts: number[][]) {
    this.id = `${options.endpoint === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID()}`;
  }

  /** The whole response, once every sequence has finished. */
  complete(): object {
    const { endpoint, returnTokenIds } = this.options;
    const choices = this.sequences.map((s, index) => {
      const text = this.text(s);
      const logprobs = this.logprobs(s, 0, s.tokens.length, 0);
      const ids = returnTokenIds ? { token_ids: s.tokens } : {};
      if (endpoint === "chat") return { index, message: { role: "assistant", content: text }, logprobs, finish_reason: s.finish, ...ids };
      return { index, text, logprobs, finish_reason: s.finish, ...ids, ...(returnTokenIds ? { prompt_token_ids: s.prompt } : {}) };
    });
    const promptIds = endpoint === "chat" && returnTokenIds ? { prompt_token_ids: this.prompts[0] } : {};
    return { ...this.head(), ...promptIds, choices, usage: this.usage() };
  }

  /** The stream's chunks for the sequences that sampled a token in the last step: what each added, and its finish reason. */
  chunks(stepped: readonly Sequence[]): object[] {
    return stepped.map((s) => {
      const index = this.sequences.indexOf(s);
      const streamed = this.streamed.get(s) ?? { tokens: 0, sent: 0, held: "", decoded: new IncrementalText(this.options.tokenizer) };
      const first = streamed.tokens === 0;
      const logprobs = this.logprobs(s, streamed.tokens, s.tokens.length, streamed.sent);
      const ids = this.options.returnTokenIds ? { token_ids: s.tokens.slice(streamed.tokens) } : {};
      const delta = this.delta(s, streamed);
      streamed.tokens = s.tokens.length;
      streamed.sent += delta.length;
      if (s.finish !== null) this.streamed.delete(s);
      else this.streamed.set(s, streamed);
      const promptIds = this.options.returnTokenIds && first ? { prompt_token_ids: s.prompt } : {};
      const choice = this.options.endpoint === "chat"
        ? { index, delta: { ...(first ? { role: "assistant" } : {}), content: delta }, logprobs, finish_reason: s.finish, ...ids }
        : { index, text: delta, logprobs, finish_reason: s.finish, ...ids, ...promptIds };
      return { ...this.head(true), ...(this.options.endpoint === "chat" ? promptIds : {}), choices: [choice] };
    });
  }

  /**
   * The text a sequence's next chunk sends (what stays held back is left in `streamed.held`; the
   * caller counts what was sent).
   * Only the last chunk decodes the whole response, for the text complete() returns (cut at a
   * stop string, without a stop token), and sends whatever of it was not sent yet.
   */
  private delta(s: Sequence, streamed: Streamed): string {
    if (s.finish !== null) {
      const full = this.text(s);
      return full.length > streamed.sent ? full.slice(streamed.sent) : "";
    }
    const text = streamed.held + streamed.decoded.next(s.tokens);
    const ready = settledLength(text, s.plan.stopStrings.strings);
    streamed.held = text.slice(ready);
    return text.slice(0, ready);
  }

  /** The last chunk of a stream that asked for usage (stream_options.include_usage). */
  usageChunk(): object {
    return { ...this.head(true), choices: [], usage: this.usage() };
  }

  private head(chunk = false): { id: string; object: string; created: number; model: string } {
    const object = this.options.endpoint === "chat" ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
    return { id: this.id, object, created: this.created, model: this.options.model };
  }

  private text(s: Sequence): string {
    return s.plan.responseText(s.tokens, s.finish, this.options.keepStopString);
  }

  private usage(): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
    const prompt = this.prompts.reduce((n, p) => n + p.length, 0);
    const completion = this.sequences.reduce((n, s) => n + s.tokens.length, 0);
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }

  private tokenText(id: number): string {
    return this.options.tokensAsIds ? `token_id:${id}` : this.options.tokenizer.decode([id]);
  }

  /** Log-probs of tokens [from, to) in the endpoint's shape; `offset`: where token `from`'s text starts. */
  private logprobs(s: Sequence, from: number, to: number, offset: number): object | null {
    if (!this.options.logprobs) return null;
    const ids = s.tokens.slice(from, to);
    const tops = s.topCount > 0 ? s.topLogprobs.slice(from, to) : ids.map((): TokenChoice[] => []);
    const tokens = ids.map((id) => this.tokenText(id));
    const logprobs = s.logprobs.slice(from, to);
    if (this.options.endpoint === "chat") {
      const entry = (token: string, logprob: number) => ({ token, logprob, bytes: [...Buffer.from(token, "utf8")] });
      return {
        content: tokens.map((token, i) => ({ ...entry(token, logprobs[i]), top_logprobs: tops[i].map((c) => entry(this.tokenText(c.id), c.logprob)) })),
      };
    }
    const textOffset: number[] = [];
    for (const token of tokens) {
      textOffset.push(offset);
      offset += token.length;
    }
    // OpenAI's completions also list the sampled token among the most likely ones.
    const topLogprobs = s.topCount > 0
      ? tops.map((top, i) => Object.fromEntries([[tokens[i], logprobs[i]], ...top.map((c) => [this.tokenText(c.id), c.logprob])]))
      : null;
    return { tokens, token_logprobs: logprobs, top_logprobs: topLogprobs, text_offset: textOffset };
  }
}
