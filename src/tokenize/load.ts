// Loading a tokenizer from a Hugging Face model folder.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonObject, readOptionalJsonObject, type JsonObject } from "../io/json-file.js";
import type { ChatTemplateSource } from "./chat.js";
import { CHAT_TEMPLATE_FILES, HfTokenizer, type TokenizerFiles } from "./tokenizer.js";

function parseTemplateSource(value: unknown, where: string): ChatTemplateSource {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((entry) => typeof entry?.name === "string" && typeof entry?.template === "string")) {
    return value as Array<{ name: string; template: string }>;
  }
  throw new Error(`${where}: "chat_template" must be a string or a list of {name, template}`);
}

function readChatTemplate(dir: string, config: JsonObject): ChatTemplateSource | null {
  const [jinjaFile, jsonFile] = CHAT_TEMPLATE_FILES;
  const jinjaPath = join(dir, jinjaFile);
  if (existsSync(jinjaPath)) return readFileSync(jinjaPath, "utf8");
  const jsonPath = join(dir, jsonFile);
  if (existsSync(jsonPath)) return parseTemplateSource(readJsonObject(jsonPath).chat_template, jsonPath);
  if (config.chat_template === undefined || config.chat_template === null) return null;
  return parseTemplateSource(config.chat_template, join(dir, "tokenizer_config.json"));
}

/** `eos_token_id` is a number, a list of numbers, or absent. */
function eosIdsOf(json: JsonObject | null, path: string): number[] {
  const value = json?.eos_token_id;
  if (value === undefined || value === null) return [];
  const ids = Array.isArray(value) ? value : [value];
  if (!ids.every((id) => Number.isInteger(id) && id >= 0)) throw new Error(`${path}: "eos_token_id" must be a token id or a list of them`);
  return ids as number[];
}

/** Reads tokenizer.json, tokenizer_config.json, the chat template and the EOS ids of a model folder. */
export function readTokenizerFiles(dir: string): TokenizerFiles {
  const tokenizerPath = join(dir, "tokenizer.json");
  if (!existsSync(tokenizerPath)) throw new Error(`${dir}: no tokenizer.json (only fast, tokenizer.json-based tokenizers are supported)`);
  const config = readOptionalJsonObject(join(dir, "tokenizer_config.json")) ?? {};
  const generationConfigPath = join(dir, "generation_config.json");
  const modelConfigPath = join(dir, "config.json");
  return {
    tokenizer: readJsonObject(tokenizerPath),
    config,
    chatTemplate: readChatTemplate(dir, config),
    extraEosTokenIds: [
      ...eosIdsOf(readOptionalJsonObject(generationConfigPath), generationConfigPath),
      ...eosIdsOf(readOptionalJsonObject(modelConfigPath), modelConfigPath),
    ],
    origin: dir,
  };
}

/** The tokenizer of a Hugging Face model folder. */
export function loadTokenizer(dir: string): HfTokenizer {
  return new HfTokenizer(readTokenizerFiles(dir));
}
