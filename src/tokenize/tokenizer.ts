// The Tokenizer every layer above uses, backed by a Hugging Face tokenizer.json
// (BPE with its normalizer, pre-tokenizer regex, added and special tokens)
// through @huggingface/tokenizers, and a chat template through @huggingface/jinja.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer as HfTokenizerModel } from "@huggingface/tokenizers";
import { writeJsonAtomic } from "../io/json-file.js";
import { ChatTemplate, type ChatMessage, type ChatTemplateOptions, type ChatTemplateSource } from "./chat.js";

/** Options of Tokenizer.encode(). */
export interface EncodeOptions {
  /** Add what the tokenizer's post-processor adds around a text (e.g. Llama 3's BOS). Default true, as in transformers. */
  addSpecialTokens?: boolean;
}

/** Options of Tokenizer.decode(). */
export interface DecodeOptions {
  /** Drop special tokens (<|im_end|>, padding, ...) from the text. Default false. */
  skipSpecialTokens?: boolean;
}

/** Text to token ids and back, with the model's special tokens and chat template. */
export interface Tokenizer {
  /** One more than the largest token id, added tokens included. */
  readonly vocabSize: number;
  /** Every id that ends a response: the tokenizer's EOS and those of generation_config.json / config.json. */
  readonly eosTokenIds: readonly number[];
  /** The beginning-of-sequence token (tokenizer_config.json's bos_token), or null. */
  readonly bosTokenId: number | null;
  /** The padding token (tokenizer_config.json's pad_token), or null. */
  readonly padTokenId: number | null;
  /** Ids of the added tokens marked special; stop strings and skipSpecialTokens use these. */
  readonly specialTokenIds: ReadonlySet<number>;
  /** Whether applyChatTemplate() can render conversations (the tokenizer has a chat template). */
  readonly hasChatTemplate: boolean;
  /** The token ids of `text`. */
  encode(text: string, options?: EncodeOptions): number[];
  /** The text of `ids`. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** Renders a conversation to the prompt text (encode it with addSpecialTokens: false). */
  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatTemplateOptions): string;
  /** The id of a vocabulary entry (as spelled in tokenizer.json, e.g. "<|im_end|>" or "Ġthe"). */
  tokenToId(token: string): number | undefined;
  /** The vocabulary entry of an id, as spelled in tokenizer.json; decode([id]) gives its text. */
  idToToken(id: number): string | undefined;
  /** Writes tokenizer.json and tokenizer_config.json (with the chat template) into `dir`, atomically. */
  save(dir: string): Promise<void>;
}

/** The JSON objects a tokenizer is made of, as read from (or written to) a model folder. */
export interface TokenizerFiles {
  /** tokenizer.json */
  tokenizer: Record<string, unknown>;
  /** tokenizer_config.json; {} when the folder has none. */
  config: Record<string, unknown>;
  /** From chat_template.jinja, chat_template.json or tokenizer_config.json, in that order of precedence. */
  chatTemplate: ChatTemplateSource | null;
  /** EOS ids declared outside the tokenizer (generation_config.json, config.json). */
  extraEosTokenIds: readonly number[];
  /** Where the files came from, for error messages. */
  origin: string;
}

/** Files that hold a chat template apart from tokenizer_config.json, highest precedence first. */
export const CHAT_TEMPLATE_FILES = ["chat_template.jinja", "chat_template.json"] as const;

const SPECIAL_TOKEN_KEYS = ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"] as const;

/** tokenizer_config.json spells a special token as a string or as an AddedToken object. */
export function specialTokenContent(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return null;
}

interface AddedTokenEntry {
  id: number;
  content: string;
  special: boolean;
}

function addedTokens(tokenizer: Record<string, unknown>, origin: string): AddedTokenEntry[] {
  const list = tokenizer.added_tokens ?? [];
  if (!Array.isArray(list)) throw new Error(`${origin}: tokenizer.json key "added_tokens" must be a list`);
  return list.map((entry: unknown, index) => {
    const token = entry as Partial<AddedTokenEntry>;
    if (typeof token?.id !== "number" || typeof token.content !== "string") {
      throw new Error(`${origin}: tokenizer.json added_tokens[${index}] needs a numeric "id" and a string "content"`);
    }
    return { id: token.id, content: token.content, special: token.special === true };
  });
}

/** A Hugging Face tokenizer: tokenizer.json and tokenizer_config.json, with its chat template. */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly specialTokenIds: ReadonlySet<number>;
  private readonly model: HfTokenizerModel;
  private readonly chatTemplate: ChatTemplate | null;

  constructor(
    /** The files it was made from; save() writes them back. */
    readonly files: TokenizerFiles,
  ) {
    const { tokenizer, config, origin } = files;
    const vocab = (tokenizer.model as { vocab?: unknown } | undefined)?.vocab;
    if (vocab === null || typeof vocab !== "object") {
      throw new Error(`${origin}: tokenizer.json needs a "model" with a "vocab"`);
    }
    try {
      this.model = new HfTokenizerModel(tokenizer, config);
    } catch (error) {
      throw new Error(`${origin}: tokenizer.json is not usable: ${(error as Error).message}`);
    }
    const added = addedTokens(tokenizer, origin);
    let largestId = -1;
    for (const id of this.model.get_vocab(true).values()) largestId = Math.max(largestId, id);
    this.vocabSize = largestId + 1;
    this.specialTokenIds = new Set(added.filter((token) => token.special).map((token) => token.id));

    const idOf = (key: (typeof SPECIAL_TOKEN_KEYS)[number]): number | null => {
      const content = specialTokenContent(config[key]);
      if (content === null) return null;
      const id = this.model.token_to_id(content);
      if (id === undefined) throw new Error(`${origin}: tokenizer_config.json ${key} "${content}" is not in the vocabulary`);
      return id;
    };
    this.bosTokenId = idOf("bos_token");
    this.padTokenId = idOf("pad_token");
    const eos = idOf("eos_token");
    this.eosTokenIds = [...new Set([...(eos === null ? [] : [eos]), ...files.extraEosTokenIds])];

    const specialStrings: Record<string, string | null> = {};
    for (const key of SPECIAL_TOKEN_KEYS) specialStrings[key] = specialTokenContent(config[key]);
    this.chatTemplate = files.chatTemplate === null ? null : new ChatTemplate(files.chatTemplate, specialStrings, origin);
  }

  get hasChatTemplate(): boolean {
    return this.chatTemplate !== null;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.model.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return "";
    return this.model.decode(ids as number[], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatTemplateOptions): string {
    if (this.chatTemplate === null) {
      throw new Error(`${this.files.origin}: the tokenizer has no chat template (tokenizer_config.json "chat_template", chat_template.jinja or chat_template.json)`);
    }
    return this.chatTemplate.render(messages, options);
  }

  tokenToId(token: string): number | undefined {
    return this.model.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.model.id_to_token(id);
  }

  async save(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const config = { ...this.files.config };
    if (this.files.chatTemplate === null) delete config.chat_template;
    else config.chat_template = this.files.chatTemplate;
    await writeJsonAtomic(join(dir, "tokenizer.json"), this.files.tokenizer);
    await writeJsonAtomic(join(dir, "tokenizer_config.json"), config);
    // A template file left by an earlier save would take precedence over the one just written.
    for (const stale of CHAT_TEMPLATE_FILES) rmSync(join(dir, stale), { force: true });
  }
}
