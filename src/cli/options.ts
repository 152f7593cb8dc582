// Parsers for numeric command-line options: each names the flag and what it expected.

/** A number that passes `check`; otherwise an error like `--top-p 2: expected a number in (0, 1]`. */
export function numberOption(flag: string, check: (n: number) => boolean, expected: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || !check(n)) throw new Error(`${flag} ${value}: expected ${expected}`);
    return n;
  };
}

export const positiveInteger = (flag: string) => numberOption(flag, (n) => Number.isInteger(n) && n > 0, "a positive integer");
export const nonNegativeInteger = (flag: string) => numberOption(flag, (n) => Number.isInteger(n) && n >= 0, "a non-negative integer");
export const positiveNumber = (flag: string) => numberOption(flag, (n) => n > 0, "a number > 0");
