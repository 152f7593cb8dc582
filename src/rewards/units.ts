// Units of measure after a value (`10 \text{ cm}`, `15 square feet`,
// `60 miles per hour`): each known unit has a dimension and an exact factor
// to a base unit, so that `5 m` and `5 cm` differ while `1 m` and `100 cm`
// agree. Words that only name what is counted (`people`, `ways`) carry no
// dimension and are dropped, as is a unit the other answer does not have.
import { Rational } from "./rational.js";

/** A unit: its dimension as base exponents (e.g. "length^2"), and the factor to the base unit of that dimension. */
export interface Unit {
  /** Its dimensions, e.g. "length^1" (empty when dimensionless). */
  dims: string;
  /** How many base units of its dimension one of it is (1/100 for cm, against m). */
  factor: Rational;
}

export const DIMENSIONLESS: Unit = { dims: "", factor: Rational.ONE };

const r = (num: bigint, den = 1n) => Rational.of(num, den);

/** Known units by every spelling. */
const TABLE = new Map<string, Unit>();
function define(dims: string, factor: Rational, names: string): void {
  for (const name of names.split(" ")) TABLE.set(name, { dims, factor });
}
define("length^1", r(1n), "m meter meters metre metres");
define("length^1", r(1n, 100n), "cm centimeter centimeters centimetre centimetres");
define("length^1", r(1n, 1000n), "mm millimeter millimeters millimetre millimetres");
define("length^1", r(1000n), "km kilometer kilometers kilometre kilometres");
define("length^1", r(127n, 5000n), "in inch inches");
define("length^1", r(381n, 1250n), "ft foot feet");
define("length^1", r(1143n, 1250n), "yd yard yards");
define("length^1", r(201168n, 125n), "mi mile miles");
define("length^3", r(1n, 1000n), "L l liter liters litre litres");
define("length^3", r(1n, 1000000n), "mL ml milliliter milliliters millilitre millilitres");
define("mass^1", r(1n), "g gram grams");
define("mass^1", r(1000n), "kg kilogram kilograms");
define("mass^1", r(1n, 1000n), "mg milligram milligrams");
define("mass^1", r(45359237n, 100000n), "lb lbs pound pounds");
define("mass^1", r(28349523125n, 1000000000n), "oz ounce ounces");
define("time^1", r(1n), "s sec secs second seconds");
define("time^1", r(60n), "min mins minute minutes");
define("time^1", r(3600n), "h hr hrs hour hours");
define("time^1", r(86400n), "day days");
define("time^1", r(604800n), "week weeks");
// Months and years have no fixed length in days: each is its own dimension.
define("month^1", r(1n), "month months");
define("year^1", r(1n), "yr yrs year years");
define("length^1 time^-1", r(201168n, 125n * 3600n), "mph");
define("length^1 time^-1", r(1000n, 3600n), "kmh kph");
define("money^1", r(1n), "dollar dollars USD usd");
define("money^1", r(1n, 100n), "cent cents");
define("euro^1", r(1n), "euro euros EUR");
// Degrees are read as plain numbers elsewhere (30^\circ is 30); as words they only tell degrees from radians.
define("degree^1", r(1n), "degree degrees deg");
define("radian^1", r(1n), "radian radians rad");

/** Words that name what is counted, not a unit: they are dropped. */
const COUNT_WORDS = new Set(["people", "persons", "students", "times", "ways", "points", "items", "unit", "units"]);

const POWER_WORDS = new Map([["square", 2], ["sq", 2], ["cubic", 3], ["cu", 3]]);
const POST_POWER_WORDS = new Map([["squared", 2], ["cubed", 3]]);

const lookup = (word: string): Unit | undefined => TABLE.get(word) ?? TABLE.get(word.toLowerCase());

/** A known unit in any spelling, one letter included (after `/` in `km/h`). */
export const isUnitWord = (word: string): boolean => lookup(word) !== undefined;

/** Words that can start a unit phrase in plain text (one letter is too often a variable: `5m` is 5·m; `in` is a word). */
export function startsUnitPhrase(word: string): boolean {
  if (word.length < 2 || word === "in") return false;
  const w = word.toLowerCase();
  return lookup(word) !== undefined || COUNT_WORDS.has(w) || POWER_WORDS.has(w);
}

/** Words that may continue a unit phrase ("square feet", "miles per hour", "km/h"). */
export function continuesUnitPhrase(word: string): boolean {
  const w = word.toLowerCase();
  return lookup(word) !== undefined || COUNT_WORDS.has(w) || POWER_WORDS.has(w) || POST_POWER_WORDS.has(w) || w === "per";
}

/**
 * The unit a phrase names (`square feet`, `miles per hour`, `m/s`, `cm`):
 * the product of its words' units, `per` and `/` dividing what follows;
 * null when a word is not a known unit. Count words are dimensionless.
 */
export function unitOfPhrase(phrase: string): Unit | null {
  let unit = DIMENSIONLESS;
  let sign = 1;
  let pending = 1;
  let last: Unit | null = null;
  for (const token of phrase.trim().split(/\s+|(?=\/)|(?<=\/)/)) {
    const w = token.toLowerCase();
    if (token === "") continue;
    if (token === "/" || w === "per") {
      sign = -1;
    } else if (POWER_WORDS.has(w)) {
      pending = POWER_WORDS.get(w)!;
    } else if (POST_POWER_WORDS.has(w)) {
      if (last === null) return null;
      unit = unitProduct(unit, unitPower(last, sign * (POST_POWER_WORDS.get(w)! - 1)));
    } else if (COUNT_WORDS.has(w)) {
      last = null;
    } else {
      const known = lookup(token);
      if (known === undefined) return null;
      unit = unitProduct(unit, unitPower(known, sign * pending));
      last = known;
      pending = 1;
    }
  }
  return unit;
}

/** `\$5` is five dollars. */
export const DOLLARS: Unit = lookup("dollars")!;

/** The unit raised to an integer power (`\text{cm}^2`). */
export function unitPower(u: Unit, power: number): Unit {
  const exponents = parseDims(u.dims);
  for (const [base, e] of exponents) exponents.set(base, e * power);
  const factor = power >= 0 ? u.factor.powInt(BigInt(power)) : Rational.ONE.div(u.factor.powInt(BigInt(-power)));
  return { dims: dimsText(exponents), factor };
}

/** The product of two units (`10 \text{ cm} \times 5 \text{ cm}` is in cm^2). */
export function unitProduct(a: Unit, b: Unit): Unit {
  const exponents = parseDims(a.dims);
  for (const [base, e] of parseDims(b.dims)) exponents.set(base, (exponents.get(base) ?? 0) + e);
  return { dims: dimsText(exponents), factor: a.factor.mul(b.factor) };
}

function parseDims(dims: string): Map<string, number> {
  const out = new Map<string, number>();
  if (dims === "") return out;
  for (const part of dims.split(" ")) {
    const [base, e] = part.split("^");
    out.set(base, Number(e));
  }
  return out;
}

function dimsText(exponents: Map<string, number>): string {
  return [...exponents].filter(([, e]) => e !== 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([b, e]) => `${b}^${e}`).join(" ");
}
