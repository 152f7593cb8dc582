// Chat messages and chat templates. A model folder's chat template is a Jinja
// program; it is rendered with the same variables transformers passes, so a
// prompt rendered here is byte-identical to the one the model was trained on.
import { Template } from "@huggingface/jinja";

/** A chat message as chat templates take it. */
export interface ChatMessage {
  /** Who speaks: "system", "user", "assistant", "tool", or any role the template knows. */
  role: "system" | "user" | "assistant" | "tool" | string;
  /** The message's text. */
  content: string;
}

/** Options of applyChatTemplate() and ChatTemplate.render(). */
export interface ChatTemplateOptions {
  /** End the prompt with the opening of an assistant turn (default false). */
  addGenerationPrompt?: boolean;
  /** Tool (function) descriptions, for templates that render them. */
  tools?: readonly unknown[];
  /** Retrieved documents, for templates that render them. */
  documents?: readonly unknown[];
  /** Template-specific switches, e.g. `{ enable_thinking: false }` for Qwen3. */
  variables?: Readonly<Record<string, unknown>>;
}

/** A chat template as stored in a model folder: one program, or several named ones. */
export type ChatTemplateSource = string | ReadonlyArray<{
  /** The template's name: "default", or e.g. "tool_use" for the one used when tools are given. */
  name: string;
  /** The Jinja program. */
  template: string;
}>;

/**
 * A parsed chat template. `specialTokens` are the strings templates may refer
 * to (`bos_token`, `eos_token`, ...); `origin` names the file it came from so
 * that a template error says where to look.
 */
export class ChatTemplate {
  private readonly programs = new Map<string, Template>();

  constructor(
    /** The template as stored in the model folder. */
    readonly source: ChatTemplateSource,
    private readonly specialTokens: Readonly<Record<string, string | null>>,
    private readonly origin: string,
  ) {
    const named = typeof source === "string" ? [{ name: "default", template: source }] : source;
    for (const { name, template } of named) {
      try {
        this.programs.set(name, new Template(template));
      } catch (error) {
        throw new Error(`${origin}: chat template "${name}" does not parse: ${(error as Error).message}`);
      }
    }
  }

  /** The prompt text of a conversation, with the variables transformers passes to templates. */
  render(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    const program = this.pick(options.tools !== undefined && options.tools.length > 0);
    const variables: Record<string, unknown> = {
      ...this.specialTokens,
      ...options.variables,
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
    };
    if (options.tools !== undefined) variables.tools = options.tools;
    if (options.documents !== undefined) variables.documents = options.documents;
    try {
      return program.render(variables);
    } catch (error) {
      throw new Error(`${this.origin}: chat template failed: ${(error as Error).message}`);
    }
  }

  /** transformers' choice among named templates: "tool_use" when tools are given and it exists, else "default". */
  private pick(withTools: boolean): Template {
    if (this.programs.size === 1) return this.programs.values().next().value as Template;
    const name = withTools && this.programs.has("tool_use") ? "tool_use" : "default";
    const program = this.programs.get(name);
    if (program === undefined) {
      throw new Error(`${this.origin}: no chat template named "${name}" (have ${[...this.programs.keys()].join(", ")})`);
    }
    return program;
  }
}
