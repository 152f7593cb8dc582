// A recursive-descent parser for the LaTeX and plain-text math of answers,
// straight to an expression tree (expr.ts). It reads characters, not a token
// list, because LaTeX arguments are single characters when unbraced
// (\frac12 is 1/2). Anything it does not understand is a ParseError, never a
// guess: the verifier reports that as a null verdict.
import { Budget } from "./budget.js";
import type { Expr, FnName, RelOp } from "./expr.js";
import { Rational } from "./rational.js";
import { continuesUnitPhrase, DIMENSIONLESS, DOLLARS, isUnitWord, startsUnitPhrase, unitOfPhrase, unitPower, unitProduct, type Unit } from "./units.js";
import {
  BINOMIALS, CONSTANT_WORDS, FONT_COMMANDS, FRACTIONS, FUNCTIONS, GREEK, INVERSE, isNumberWord, LOG_BASE_10,
  MATRIX_ENVIRONMENTS, numberWordsValue, PERCENT_WORDS, RELATIONS, SEPARATOR_WORDS, SPACING, TEXT_COMMANDS, UNICODE,
} from "./vocabulary.js";

/** An answer that is not a well-formed expression; its message says what the parser expected. */
export class ParseError extends Error {}

const MAX_ANSWER_CHARS = 2000;
/** Nesting deeper than this is not an answer but an attempt to exhaust the stack. */
const MAX_NESTING = 100;
const MULTI_ARGUMENT: ReadonlySet<FnName> = new Set(["max", "min", "gcd", "lcm"]);
const NEGATIVE_INFINITY: Expr = { k: "neg", x: { k: "const", name: "inf" } };
const REALS: Expr = { k: "bracket", open: "(", close: ")", items: [NEGATIVE_INFINITY, { k: "const", name: "inf" }] };
const REALS_IN_WORDS = new Set(["all real numbers", "all reals", "real numbers"]);

/** Commands that can begin a value, so that `2\pi` and `x\sqrt{2}` multiply implicitly. */
function commandStartsValue(name: string): boolean {
  return FRACTIONS.has(name) || BINOMIALS.has(name) || FUNCTIONS.has(name) || GREEK.has(name) || TEXT_COMMANDS.has(name) ||
    FONT_COMMANDS.has(name) || ["sqrt", "pi", "infty", "infin", "{", "lbrace", "langle", "lvert", "vert", "lfloor", "lceil", "begin", "mathbb"].includes(name);
}

const isDigit = (c: string) => c >= "0" && c <= "9";
const isLetter = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");

function num(value: Rational, literal = false): Expr {
  return { k: "num", value, literal };
}

function product(factors: Expr[]): Expr {
  return factors.length === 1 ? factors[0] : { k: "mul", factors };
}

function sum(terms: Expr[]): Expr {
  return terms.length === 1 ? terms[0] : { k: "add", terms };
}

function translateUnicode(s: string): string {
  if (!/[^\x00-\x7f]/.test(s)) return s;
  let out = "";
  for (const ch of s) out += UNICODE.get(ch) ?? ch;
  return out;
}

/** Parses one answer (already extracted from the response) to an expression tree. */
export function parseAnswer(text: string, budget: Budget = new Budget()): Expr {
  if (text.length > MAX_ANSWER_CHARS) throw new ParseError(`answer longer than ${MAX_ANSWER_CHARS} characters`);
  return new Parser(translateUnicode(text), budget, 0).parseAll();
}

/** What follows a value and qualifies it: a unit (null: words that only say what is counted), or `percent`. */
type Qualifier = { unit: Unit | null; text: string } | "percent";

class Parser {
  private i = 0;
  private absDepth = 0;
  private bracketDepth = 0;

  constructor(private readonly s: string, private readonly budget: Budget, private depth: number) {}

  parseAll(): Expr {
    this.skip();
    if (this.i >= this.s.length) this.fail("empty answer");
    const e = this.parseList();
    this.skip();
    if (this.i < this.s.length) this.fail(`unexpected "${this.s.slice(this.i, this.i + 12)}"`);
    return e;
  }

  private fail(message: string): never {
    throw new ParseError(`${message} (at ${this.i} of "${this.s.length > 80 ? this.s.slice(0, 77) + "..." : this.s}")`);
  }

  // ---- scanning ----

  /** The command name at position p (which holds a backslash) and where it ends. */
  private commandAt(p: number): { name: string; end: number } {
    let e = p + 1;
    if (e >= this.s.length) this.fail("a lone backslash");
    if (!isLetter(this.s[e])) return { name: this.s[e], end: e + 1 };
    while (e < this.s.length && isLetter(this.s[e])) e++;
    return { name: this.s.slice(p + 1, e), end: e };
  }

  /** Skips whitespace, `$`, `~` and commands that only change spacing or size. */
  private skip(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "~" || c === "$") {
        this.i++;
      } else if (c === "\\") {
        const { name, end } = this.commandAt(this.i);
        if (!SPACING.has(name)) return;
        this.i = end;
        if ((name === "left" || name === "right" || name === "middle") && s[this.i] === ".") this.i++;
      } else return;
    }
  }

  private peek(): string {
    this.skip();
    return this.s[this.i] ?? "";
  }

  private peekCommand(): string | null {
    return this.peek() === "\\" ? this.commandAt(this.i).name : null;
  }

  private eatCommand(...names: string[]): string | null {
    const name = this.peekCommand();
    if (name === null || !names.includes(name)) return null;
    this.i = this.commandAt(this.i).end;
    return name;
  }

  private eat(text: string): boolean {
    this.skip();
    if (!this.s.startsWith(text, this.i)) return false;
    this.i += text.length;
    return true;
  }

  private expect(text: string): void {
    if (!this.eat(text)) this.fail(`expected "${text}"`);
  }

  /** The run of letters at the current position (after skipping), not consumed. */
  private peekWord(): string {
    this.skip();
    let e = this.i;
    while (e < this.s.length && isLetter(this.s[e])) e++;
    return this.s.slice(this.i, e);
  }

  /** Raw text of a brace group, brace-matched; the position moves past it. */
  private rawGroup(): string {
    this.expect("{");
    const start = this.i;
    let depth = 1;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === "\\") this.i += 2;
      else {
        if (c === "{") depth++;
        else if (c === "}" && --depth === 0) return this.s.slice(start, this.i++);
        this.i++;
      }
    }
    return this.fail("unbalanced braces");
  }

  // ---- grammar, loosest first ----

  /** Where a separator of several answers ends (`,` `;` `and` `or` `\text{ and }`), or -1. */
  private separatorEnd(): number {
    const c = this.peek();
    if (c === "," || c === ";") {
      const save = this.i++;
      const word = this.peekWord();
      const end = SEPARATOR_WORDS.has(word) ? this.i + word.length : save + 1;
      this.i = save;
      return end;
    }
    const word = this.peekWord();
    if (SEPARATOR_WORDS.has(word)) return this.i + word.length;
    const command = this.peekCommand();
    if (command !== null && TEXT_COMMANDS.has(command)) {
      const save = this.i;
      this.i = this.commandAt(this.i).end;
      const inner = this.peek() === "{" ? this.rawGroup().trim().toLowerCase().replace(/^,\s*/, "") : "";
      const end = this.i;
      this.i = save;
      if (SEPARATOR_WORDS.has(inner) || inner === ",") return end;
    }
    return -1;
  }

  private parseList(): Expr {
    const items = [this.parseItem()];
    for (let end = this.separatorEnd(); end >= 0; end = this.separatorEnd()) {
      this.i = end;
      items.push(this.parseItem());
    }
    return items.length === 1 ? items[0] : { k: "list", items };
  }

  private peekRelation(): { op: RelOp; end: number } | null {
    const c = this.peek();
    if (c === "\\") {
      const { name, end } = this.commandAt(this.i);
      const op = RELATIONS.get("\\" + name);
      return op ? { op, end } : null;
    }
    for (const text of ["<=", ">=", "!=", "==", "=", "<", ">"]) {
      if (this.s.startsWith(text, this.i)) return { op: RELATIONS.get(text)!, end: this.i + text.length };
    }
    return null;
  }

  private parseItem(): Expr {
    const first = this.parseUnion();
    if (this.eatCommand("in")) return { k: "in", x: first, set: this.parseUnion() };
    const ops: RelOp[] = [];
    const sides = [first];
    for (let rel = this.peekRelation(); rel; rel = this.peekRelation()) {
      this.i = rel.end;
      ops.push(rel.op);
      sides.push(this.parseUnion());
    }
    return ops.length === 0 ? first : { k: "rel", ops, sides };
  }

  private parseUnion(): Expr {
    const parts = [this.parseSum()];
    while (this.eatCommand("cup") || this.eatUnionLetter()) parts.push(this.parseSum());
    return parts.length === 1 ? parts[0] : { k: "union", parts };
  }

  /** A standalone capital U between intervals is a union. */
  private eatUnionLetter(): boolean {
    if (this.peekWord() !== "U") return false;
    this.i++;
    return true;
  }

  private eatPlusMinus(): boolean {
    return this.eatCommand("pm", "mp") !== null || this.eat("+-") || this.eat("+/-");
  }

  private parseSum(): Expr {
    let terms: Expr[] = [this.eatPlusMinus() ? { k: "pm", a: null, b: this.parseTerm() } : this.parseTerm()];
    for (;;) {
      if (this.eatPlusMinus()) terms = [{ k: "pm", a: sum(terms), b: this.parseTerm() }];
      else if (this.eat("+")) terms.push(this.parseTerm());
      else if (this.peek() === "-") {
        this.i++;
        terms.push({ k: "neg", x: this.parseTerm() });
      } else return sum(terms);
    }
  }

  private parseTerm(): Expr {
    let factors = [this.parseSigned()];
    let unit: Unit = DIMENSIONLESS;
    const unitText: string[] = [];
    let percent = false;
    for (;;) {
      this.budget.tick();
      let qualifier: Qualifier | null;
      if (this.peek() === "*" && this.s[this.i + 1] !== "*") {
        this.i++;
        factors.push(this.parseSigned());
      } else if (this.eatCommand("cdot", "times", "ast")) {
        factors.push(this.parseSigned());
      } else if (this.eat("/") || this.eatCommand("div")) {
        factors = [{ k: "div", num: product(factors), den: this.parseSigned(), literalFraction: false }];
      } else if ((qualifier = this.eatQualifier()) !== null) {
        if (qualifier === "percent") percent = true;
        else if (qualifier.unit !== null) {
          unit = unitProduct(unit, qualifier.unit);
          unitText.push(qualifier.text);
        }
      } else if (this.startsImplicitFactor()) {
        const right = this.parsePower();
        const mixed = factors.length === 1 ? mixedNumber(factors[0], right) : null;
        if (mixed) factors = [mixed];
        else factors.push(right);
      } else if (factors.length === 1 && /\s/.test(this.s[this.i - 1]) && this.eatMixedFraction(factors)) {
        continue;
      } else break;
    }
    let term = this.mergeWords(factors);
    if (percent) term = { k: "percent", x: term };
    return unit.dims === "" ? term : { k: "quantity", x: term, unit, text: unitText.join(" ") };
  }

  /** `3 1/2` after whitespace: the mixed number 7/2 (a proper fraction of literals after an integer). */
  private eatMixedFraction(factors: Expr[]): boolean {
    const m = /^(\d+)\s*\/\s*(\d+)(?![\d.\/^])/.exec(this.s.slice(this.i, this.i + 40));
    if (!m) return false;
    const literal = (digits: string): Expr => num(Rational.of(BigInt(digits)), true);
    const mixed = mixedNumber(factors[0], { k: "div", num: literal(m[1]), den: literal(m[2]), literalFraction: true });
    if (mixed === null) return false;
    factors[0] = mixed;
    this.i += m[0].length;
    return true;
  }

  /** Words stand alone (`no solution`); mixed with math they are a parse error, not a guess. */
  private mergeWords(factors: Expr[]): Expr {
    const words = factors.filter((f) => f.k === "text");
    if (words.length === 0) return product(factors);
    if (words.length !== factors.length) this.fail("words mixed with math");
    const s = words.map((w) => (w.k === "text" ? w.s : "")).join(" ");
    return REALS_IN_WORDS.has(s) ? REALS : { k: "text", s };
  }

  /**
   * A unit or count word after a value (`\text{ cm}^2`, `\mbox{dollars}`,
   * `square feet`, `km/h`, `\text{ apples}`), or a percent word. Unknown words
   * are dropped only inside \text-like commands, where they cannot be math.
   */
  private eatQualifier(): Qualifier | null {
    const save = this.i;
    const command = this.peekCommand();
    let found: Qualifier | null = null;
    if (command === "$") {
      this.i = this.commandAt(this.i).end;
      found = { unit: DOLLARS, text: "$" };
    } else if (command !== null && TEXT_COMMANDS.has(command) && command !== "operatorname") {
      this.i = this.commandAt(this.i).end;
      if (this.peek() === "{") {
        const inner = this.rawGroup().replace(/\\[ ,;:!]|~/g, " ").trim();
        const lower = inner.toLowerCase();
        const unit = unitOfPhrase(inner);
        if (PERCENT_WORDS.has(lower)) found = "percent";
        else if (SEPARATOR_WORDS.has(lower) || numberWordsValue(lower.split(/[\s-]+/)) !== null) found = null;
        // \mathrm{e} and \mathrm{d} are math; \mathrm names only known units.
        else if (unit !== null) found = { unit, text: inner };
        else if (command !== "mathrm" && /^([A-Za-z][A-Za-z .]*)?$/.test(inner)) found = { unit: null, text: inner };
      }
    } else {
      found = this.eatUnitWords();
    }
    if (found === null) {
      this.i = save;
      return null;
    }
    if (found !== "percent" && this.peek() === "^") {
      this.i++;
      const power = integerLiteral(this.parseExponent());
      if (found.unit !== null && power !== null && power.num <= 3n) found = { unit: unitPower(found.unit, Number(power.num)), text: `${found.text}^${power}` };
    }
    return found;
  }

  /** Unit words in plain text: `cm`, `square feet`, `miles per hour`, `km/h`; or a percent word. */
  private eatUnitWords(): Qualifier | null {
    const first = this.peekWord();
    if (PERCENT_WORDS.has(first.toLowerCase())) {
      this.i += first.length;
      return "percent";
    }
    if (!startsUnitPhrase(first) || FUNCTIONS.has(first)) return null;
    const s = this.s;
    const words: string[] = [];
    let at = this.i;
    for (;;) {
      let p = at;
      while (s[p] === " ") p++;
      const slash = words.length > 0 && s[p] === "/";
      if (slash) p++;
      let q = p;
      while (q < s.length && isLetter(s[q])) q++;
      const word = s.slice(p, q);
      if (word === "" || !(words.length === 0 || (slash ? isUnitWord(word) : continuesUnitPhrase(word)))) break;
      words.push(slash ? `/ ${word}` : word);
      at = q;
    }
    const text = words.join(" ");
    const unit = unitOfPhrase(text);
    if (unit === null) return null;
    this.i = at;
    return { unit: unit.dims === "" ? null : unit, text };
  }

  private startsImplicitFactor(): boolean {
    const c = this.peek();
    if (c === "(" || c === "{") return true;
    if (c === "|") return this.absDepth === 0;
    if (isLetter(c)) {
      const word = this.peekWord();
      return !SEPARATOR_WORDS.has(word) && word !== "U";
    }
    if (c === "\\") {
      if (this.separatorEnd() >= 0) return false;
      const name = this.commandAt(this.i).name;
      return commandStartsValue(name) && !(name === "vert" && this.absDepth > 0);
    }
    return false;
  }

  private parseSigned(): Expr {
    if (this.peek() === "-") {
      this.i++;
      if (++this.depth > MAX_NESTING) this.fail("nested too deeply");
      const negated: Expr = { k: "neg", x: this.parseSigned() };
      this.depth--;
      return negated;
    }
    while (this.peek() === "+" && this.s[this.i + 1] !== "-") this.i++;
    return this.parsePower();
  }

  private atPower(): boolean {
    if (this.peek() === "^") {
      this.i++;
      return true;
    }
    return this.s.startsWith("**", this.i) ? ((this.i += 2), true) : false;
  }

  private parsePower(): Expr {
    const base = this.parsePostfix();
    const exponents: Expr[] = [];
    while (this.atPower()) {
      if (!this.eatDegree()) exponents.push(this.parseExponent());
      if (exponents.length > MAX_NESTING) this.fail("nested too deeply");
    }
    if (exponents.length === 0) return base;
    // Right-associative: 2^3^2 is 2^(3^2).
    let exp = exponents[exponents.length - 1];
    for (let j = exponents.length - 2; j >= 0; j--) exp = { k: "pow", base: exponents[j], exp };
    return { k: "pow", base, exp };
  }

  /** `^\circ` and `^{\circ}`: degrees are read as plain numbers (30^\circ is 30). */
  private eatDegree(): boolean {
    const save = this.i;
    if (this.eatCommand("circ")) return true;
    if (this.eat("{") && this.eatCommand("circ") && this.eat("}")) return true;
    this.i = save;
    return false;
  }

  /** An exponent: a brace group, a digit run (plain 2^10 means 1024), a signed exponent, a letter or a command. */
  private parseExponent(): Expr {
    const c = this.peek();
    if (c === "{") return this.parseBraceGroup();
    if (isDigit(c)) return this.parseNumber();
    if (c === "-" || c === "+") {
      this.i++;
      const e = this.parseExponent();
      return c === "-" ? { k: "neg", x: e } : e;
    }
    if (c === "(") return this.parseBracket();
    if (isLetter(c)) {
      const word = this.peekWord();
      const constant = CONSTANT_WORDS.get(word);
      if (constant) {
        this.i += word.length;
        return { k: "const", name: constant };
      }
      this.i++;
      return letterSymbol(c);
    }
    if (c === "\\") return this.parsePostfix();
    return this.fail("expected an exponent");
  }

  private parsePostfix(): Expr {
    let e = this.parseAtom();
    for (;;) {
      const c = this.peek();
      if (c === "!" && this.s[this.i + 1] !== "=") {
        this.i++;
        e = { k: "fact", x: e };
      } else if (c === "%" || this.eatCommand("%")) {
        if (c === "%") this.i++;
        e = { k: "percent", x: e };
      } else if (this.eatCommand("degree")) {
        continue;
      } else return e;
    }
  }

  private parseAtom(): Expr {
    if (++this.depth > MAX_NESTING) this.fail("nested too deeply");
    const atom = this.parseAtomAt();
    this.depth--;
    return atom;
  }

  private parseAtomAt(): Expr {
    this.budget.tick();
    const c = this.peek();
    if (c === "") return this.fail("expected a value");
    if (isDigit(c) || (c === "." && isDigit(this.s[this.i + 1] ?? ""))) return this.parseNumber();
    if (isLetter(c)) return this.parseWord();
    if (c === "(" || c === "[") return this.parseBracket();
    if (c === "{") return this.parseBraceGroup();
    if (c === "|") {
      this.i++;
      return this.parseDelimited("|", "abs");
    }
    if (c === "\\") return this.parseCommand();
    return this.fail(`unexpected "${c}"`);
  }

  private parseDelimited(close: string, fn: FnName): Expr {
    this.absDepth += fn === "abs" ? 1 : 0;
    const inner = this.parseSum();
    this.absDepth -= fn === "abs" ? 1 : 0;
    if (close.startsWith("\\")) {
      const name = this.eatCommand(close.slice(1), ...(close === "\\rvert" ? ["vert", "|"] : []));
      if (name === null) this.fail(`expected "${close}"`);
    } else if (!this.eat(close) && !(close === "|" && this.eatCommand("vert", "rvert", "|"))) {
      this.fail(`expected "${close}"`);
    }
    return { k: "fn", name: fn, args: [inner] };
  }

  private parseBraceGroup(): Expr {
    this.expect("{");
    const depth = this.bracketDepth;
    this.bracketDepth = 0;
    const inner = this.peek() === "}" ? null : this.parseList();
    this.bracketDepth = depth;
    this.expect("}");
    if (inner === null) return this.fail("empty braces");
    // A plain-text {1, 2} is a set.
    return inner.k === "list" ? { k: "set", items: inner.items } : inner;
  }

  /** Numbers: 12, 1,000 / 1{,}000 / 1\,000, 0.5, .5, 0.\overline{3}, 1.5e-3, and 1011_2 (a base). */
  private parseNumber(): Expr {
    const s = this.s;
    const start = this.i;
    while (isDigit(s[this.i] ?? "")) this.i++;
    let intDigits = s.slice(start, this.i);
    if (intDigits.length >= 1 && intDigits.length <= 3 && intDigits[0] !== "0") intDigits += this.thousandsGroups();
    let fracDigits = "";
    let repeating = "";
    if (s[this.i] === "." && (isDigit(s[this.i + 1] ?? "") || s.startsWith("\\overline", this.i + 1))) {
      this.i++;
      const fracStart = this.i;
      while (isDigit(s[this.i] ?? "")) this.i++;
      fracDigits = s.slice(fracStart, this.i);
      if (s.startsWith("\\overline", this.i)) {
        this.i += "\\overline".length;
        repeating = this.rawGroup().trim();
        if (!/^\d+$/.test(repeating)) this.fail("a repeating block must be digits");
      }
    }
    let exponent = 0;
    const exp = /^[eE]([+-]?\d+)/.exec(s.slice(this.i, this.i + 8));
    if (exp && !isLetter(s[this.i + exp[0].length] ?? "")) {
      exponent = Number(exp[1]);
      this.i += exp[0].length;
      if (Math.abs(exponent) > 10_000) this.fail("exponent out of range");
    }
    if (s[this.i] === "_" && fracDigits === "" && exponent === 0) {
      this.i++;
      const base = s[this.i] === "{" ? this.rawGroup().trim() : s[this.i++] ?? "";
      if (!/^\d+$/.test(base)) this.fail("a base subscript must be digits");
      return { k: "based", digits: intDigits, base: String(Number(base)) };
    }
    this.budget.tick(1 + (intDigits.length + fracDigits.length) / 16);
    const value = Rational.fromDecimal(intDigits, fracDigits, exponent, repeating);
    if (fracDigits === "" || repeating !== "" || exponent !== 0) return num(value, true);
    return { k: "num", value, literal: true, decimals: fracDigits.length };
  }

  /** Thousands groups after a 1-3 digit lead; a bare comma counts only outside brackets, where it separates items. */
  private thousandsGroups(): string {
    const s = this.s;
    let out = "";
    for (;;) {
      let sepLength = 0;
      if (s.startsWith(",\\! ", this.i)) sepLength = 4;
      else if (s.startsWith("{,}", this.i) || s.startsWith(",\\!", this.i)) sepLength = 3;
      else if (s.startsWith("\\,", this.i) || s.startsWith("\\ ", this.i)) sepLength = 2;
      else if ((s[this.i] === "," && this.bracketDepth === 0) || s[this.i] === " ") sepLength = 1;
      const group = s.slice(this.i + sepLength, this.i + sepLength + 3);
      const after = s[this.i + sepLength + 3] ?? "";
      // A space before a fraction is a mixed number (3 100/200), not a thousands group.
      if (sepLength === 0 || !/^\d{3}$/.test(group) || isDigit(after) || (s[this.i] === " " && after === "/")) return out;
      out += group;
      this.i += sepLength + 3;
    }
  }

  private parseWord(): Expr {
    const word = this.peekWord();
    const constant = CONSTANT_WORDS.get(word);
    if (constant) {
      this.i += word.length;
      return { k: "const", name: constant };
    }
    const fn = FUNCTIONS.get(word);
    if (fn) {
      this.i += word.length;
      return this.parseFunction(fn, LOG_BASE_10.has(word));
    }
    const numberWords = isNumberWord(word.toLowerCase()) ? this.parseNumberWords() : null;
    if (numberWords !== null) return numberWords;
    if (word.length === 1) {
      this.i++;
      return this.withSubscript(letterSymbol(word));
    }
    if (word.length === 2 && word.toLowerCase() !== "no") {
      this.i++;
      return letterSymbol(word[0]);
    }
    this.i += word.length;
    return { k: "text", s: word.toLowerCase() };
  }

  /** `twelve`, `twenty-five`, `two thirds`, `negative two`: words separated by a space or a hyphen; null if not a number. */
  private parseNumberWords(): Expr | null {
    const words: string[] = [];
    const ends: number[] = [];
    const re = /[A-Za-z]+/y;
    for (let at = this.i; words.length < 6; ) {
      re.lastIndex = at;
      const m = re.exec(this.s);
      if (!m) break;
      words.push(m[0].toLowerCase());
      ends.push(re.lastIndex);
      const sep = this.s[re.lastIndex];
      if (sep !== " " && sep !== "-") break;
      at = re.lastIndex + 1;
    }
    const value = numberWordsValue(words);
    if (value === null) return null;
    const [n, d, used] = value;
    this.i = ends[used - 1];
    return num(Rational.of(BigInt(n), BigInt(d)));
  }

  private withSubscript(e: Expr): Expr {
    if (e.k !== "sym" || this.s[this.i] !== "_") return e;
    this.i++;
    const sub = this.s[this.i] === "{" ? this.rawGroup() : this.s[this.i++] ?? "";
    return { k: "sym", name: `${e.name}_${sub.replace(/\s+/g, "")}` };
  }

  /** A macro argument: a brace group, or one digit, letter, command or parenthesised group. */
  private parseArgument(): Expr {
    const c = this.peek();
    if (c === "{") return this.parseBraceGroup();
    if (isDigit(c)) return num(Rational.of(BigInt(this.s[this.i++])), true);
    if (isLetter(c)) {
      this.i++;
      return letterSymbol(c);
    }
    if (c === "\\") return this.parseCommand();
    if (c === "(") return this.parseBracket();
    return this.fail("expected an argument");
  }

  /** `(`/`[` ... `)`/`]`: a group, a tuple, or an interval (brackets may differ). */
  private parseBracket(): Expr {
    const open = this.s[this.i++] as "(" | "[";
    this.bracketDepth++;
    const items = [this.parseItem()];
    while (this.eat(",")) items.push(this.parseItem());
    this.bracketDepth--;
    const close = this.peek();
    if (close !== ")" && close !== "]") return this.fail(`expected ")" or "]"`);
    this.i++;
    if (items.length > 1) return { k: "bracket", open, close, items };
    if ((open === "(") !== (close === ")")) this.fail("an interval needs two endpoints");
    return items[0];
  }

  private parseItemsUntil(close: string): Expr[] {
    this.bracketDepth++;
    const items: Expr[] = [];
    if (this.peekCommand() !== close) {
      items.push(this.parseItem());
      while (this.eat(",")) items.push(this.parseItem());
    }
    this.bracketDepth--;
    if (!this.eatCommand(close)) this.fail(`expected "\\${close}"`);
    return items;
  }

  private parseFunction(name: FnName, base10 = false): Expr {
    let fn = name;
    let power: Expr | null = null;
    let base: Expr | null = base10 ? num(Rational.of(10n)) : null;
    for (let round = 0; round < 2; round++) {
      if (this.peek() === "^") {
        this.i++;
        const exp = this.parseExponent();
        const inverse = INVERSE[fn];
        if (inverse && exp.k === "neg" && exp.x.k === "num" && exp.x.value.equals(Rational.ONE)) fn = inverse;
        else power = exp;
      } else if (this.peek() === "_" && fn === "log") {
        this.i++;
        base = this.parseArgument();
      }
    }
    let args: Expr[];
    const c = this.peek();
    if (c === "(") {
      this.i++;
      this.bracketDepth++;
      args = [this.parseItem()];
      while (this.eat(",")) args.push(this.parseItem());
      this.bracketDepth--;
      this.expect(")");
    } else if (c === "{") {
      args = [this.parseBraceGroup()];
    } else {
      // \sin 2x is sin(2x): the argument runs over implicit factors up to the next function.
      const factors = [this.parsePower()];
      while (this.startsImplicitFactor() && !this.atFunction()) factors.push(this.parsePower());
      args = [product(factors)];
    }
    if (args.length > 1 && !MULTI_ARGUMENT.has(fn)) this.fail(`${fn} takes one argument`);
    if (base) args.push(base);
    const call: Expr = { k: "fn", name: fn, args };
    return power ? { k: "pow", base: call, exp: power } : call;
  }

  private atFunction(): boolean {
    const command = this.peekCommand();
    if (command !== null) return FUNCTIONS.has(command) || command === "sqrt";
    return FUNCTIONS.has(this.peekWord());
  }

  private parseCommand(): Expr {
    const { name, end } = this.commandAt(this.i);
    this.i = end;
    if (FRACTIONS.has(name)) {
      const numerator = this.parseArgument();
      const denominator = this.parseArgument();
      const literalFraction = integerLiteral(numerator) !== null && integerLiteral(denominator) !== null;
      return { k: "div", num: numerator, den: denominator, literalFraction };
    }
    if (BINOMIALS.has(name)) return { k: "fn", name: "binom", args: [this.parseArgument(), this.parseArgument()] };
    if (name === "sqrt") {
      if (this.peek() === "[") {
        this.i++;
        const index = this.parseSum();
        this.expect("]");
        return { k: "fn", name: "root", args: [this.parseArgument(), index] };
      }
      return { k: "fn", name: "sqrt", args: [this.parseArgument()] };
    }
    if (name === "$") return { k: "quantity", x: this.parseSigned(), unit: DOLLARS, text: "$" };
    if (name === "pi") return { k: "const", name: "pi" };
    if (name === "infty" || name === "infin") return { k: "const", name: "inf" };
    if (name === "emptyset" || name === "varnothing") return { k: "set", items: [] };
    if (GREEK.has(name)) return this.withSubscript({ k: "sym", name });
    const fn = FUNCTIONS.get(name);
    if (fn) return this.parseFunction(fn, LOG_BASE_10.has(name));
    if (TEXT_COMMANDS.has(name)) return this.parseText(name);
    if (FONT_COMMANDS.has(name)) return this.withSubscript(this.parseArgument());
    if (name === "mathbb") {
      const letter = this.peek() === "{" ? this.rawGroup().trim() : this.s[this.i++];
      return letter === "R" ? REALS : { k: "sym", name: `mathbb_${letter}` };
    }
    if (name === "{" || name === "lbrace") return { k: "set", items: this.parseItemsUntil(name === "{" ? "}" : "rbrace") };
    if (name === "langle") return { k: "bracket", open: "(", close: ")", items: this.parseItemsUntil("rangle") };
    if (name === "lvert" || name === "vert" || name === "|") return this.parseDelimited("\\rvert", "abs");
    if (name === "lfloor") return this.parseDelimited("\\rfloor", "floor");
    if (name === "lceil") return this.parseDelimited("\\rceil", "ceil");
    if (name === "begin") return this.parseMatrix();
    if (name === "dots" || name === "ldots" || name === "cdots") return this.fail("an elided list");
    return this.fail(`unsupported command \\${name}`);
  }

  /** \text{...}: words become a text value; math inside (\text{13}) is parsed as math. */
  private parseText(command: string): Expr {
    const inner = this.rawGroup().trim();
    if (inner === "") return this.parseAtom();
    const words = inner.toLowerCase().split(/[\s-]+/);
    if (numberWordsValue(words)?.[2] === words.length) return new Parser(inner, this.budget, this.depth).parseAll();
    if (/^[A-Za-z][A-Za-z ]*$/.test(inner)) {
      if (inner === "e" && command === "mathrm") return { k: "const", name: "e" };
      const fn = FUNCTIONS.get(inner);
      if (fn && (command === "operatorname" || command === "mathrm")) return this.parseFunction(fn);
      if (inner.length === 1) return { k: "sym", name: inner };
      return { k: "text", s: inner.toLowerCase().replace(/\s+/g, " ") };
    }
    return new Parser(inner, this.budget, this.depth).parseAll();
  }

  private parseMatrix(): Expr {
    const env = this.rawGroup().trim();
    if (!MATRIX_ENVIRONMENTS.has(env)) this.fail(`unsupported environment ${env}`);
    if (env === "array") this.rawGroup();
    const rows: Expr[][] = [[]];
    for (;;) {
      this.eatCommand("hline");
      if (this.eatCommand("end")) {
        if (this.rawGroup().trim() !== env) this.fail(`\\end does not match \\begin{${env}}`);
        break;
      }
      rows[rows.length - 1].push(this.parseItem());
      if (this.eat("&")) continue;
      if (this.eatCommand("\\")) rows.push([]);
      else if (this.peekCommand() !== "end") this.fail("expected &, \\\\ or \\end");
    }
    const filled = rows.filter((r) => r.length > 0);
    if (filled.length === 0 || filled.some((r) => r.length !== filled[0].length)) this.fail("a ragged or empty matrix");
    return { k: "matrix", rows: filled };
  }
}

/** `e` is Euler's number; every other letter is a variable (including i, see docs/rewards.md). */
function letterSymbol(letter: string): Expr {
  return letter === "e" ? { k: "const", name: "e" } : { k: "sym", name: letter };
}

function integerLiteral(e: Expr): Rational | null {
  return e.k === "num" && e.literal && e.value.isInteger ? e.value : null;
}

/** 2\frac{1}{2} is 5/2 and -2\frac{1}{2} is -5/2, when the fraction is proper and of literals; else null. */
function mixedNumber(left: Expr, right: Expr): Expr | null {
  const negative = left.k === "neg";
  const whole = integerLiteral(negative ? (left as { x: Expr }).x : left);
  if (whole === null || right.k !== "div" || !right.literalFraction) return null;
  const n = integerLiteral(right.num);
  const d = integerLiteral(right.den);
  if (n === null || d === null || d.isZero || n.sign < 0 || n.compare(d) >= 0) return null;
  const value = whole.add(n.div(d));
  return num(negative ? value.neg() : value);
}
