// The built-in tasks' tokenizer: one token per character of printable ASCII
// plus newline, a few special tokens, and a ChatML-style chat template. It is
// an ordinary tokenizer.json (a BPE model without merges, so every character
// stays a token), so a model trained on the built-in tasks saves as a
// Hugging Face folder that other tools load unchanged.
import { HfTokenizer, type TokenizerFiles } from "./tokenizer.js";

/** Special tokens, ids 0..4 in this order. A turn's end is also the end of any response (the one EOS). */
export const CHAR_SPECIAL_TOKENS = {
  /** Padding (id 0). */
  pad: "<pad>",
  /** Stands for a character outside the alphabet (id 1). */
  unk: "<unk>",
  /** Beginning of sequence (id 2). */
  bos: "<s>",
  /** Opens a chat turn, followed by the role and a newline (id 3). */
  turnStart: "<|im_start|>",
  /** Closes a chat turn; the EOS (id 4). */
  turnEnd: "<|im_end|>",
} as const;

/** Newline, then printable ASCII from space (0x20) to tilde (0x7e): digits, operators, letters, punctuation. */
export const CHAR_ALPHABET: readonly string[] = [
  "\n",
  ...Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)),
];

const CHAR_CHAT_TEMPLATE =
  "{%- for message in messages %}" +
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}" +
  "{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** The tokenizer.json / tokenizer_config.json pair of the character tokenizer. */
export function charTokenizerFiles(): TokenizerFiles {
  const specials = Object.values(CHAR_SPECIAL_TOKENS);
  const vocab: Record<string, number> = {};
  for (const token of [...specials, ...CHAR_ALPHABET]) vocab[token] = Object.keys(vocab).length;
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Fuse" },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: CHAR_SPECIAL_TOKENS.unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
  const config = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: CHAR_SPECIAL_TOKENS.bos,
    eos_token: CHAR_SPECIAL_TOKENS.turnEnd,
    pad_token: CHAR_SPECIAL_TOKENS.pad,
    unk_token: CHAR_SPECIAL_TOKENS.unk,
    clean_up_tokenization_spaces: false,
    model_max_length: 1_000_000,
  };
  return {
    tokenizer,
    config,
    chatTemplate: CHAR_CHAT_TEMPLATE,
    extraEosTokenIds: [],
    origin: "the built-in character tokenizer",
  };
}

/**
 * The character tokenizer of the built-in tasks and models: one token per
 * character of CHAR_ALPHABET, after the special tokens, with a ChatML template.
 */
export function createCharTokenizer(): HfTokenizer {
  return new HfTokenizer(charTokenizerFiles());
}
