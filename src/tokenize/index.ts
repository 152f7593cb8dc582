// Tokenizers and chat templates: Hugging Face tokenizer.json folders and the built-in character tokenizer.
export type { ChatMessage, ChatTemplateOptions, ChatTemplateSource } from "./chat.js";
export { ChatTemplate } from "./chat.js";
export type { Tokenizer, EncodeOptions, DecodeOptions, TokenizerFiles } from "./tokenizer.js";
export { HfTokenizer } from "./tokenizer.js";
export { loadTokenizer, readTokenizerFiles } from "./load.js";
export { createCharTokenizer, charTokenizerFiles, CHAR_ALPHABET, CHAR_SPECIAL_TOKENS } from "./char-tokenizer.js";
