// A typical mix of (gold, response) pairs for reward benchmarks: the answer
// kinds of MATH-style data in rough proportion (mostly integers, then
// fractions, radicals and pi, expressions, tuples and intervals, lists, text
// and choices), each gold sampled several times, about half right, each
// response a ~1,000-character derivation ending in a boxed answer.

export interface Pair {
  gold: string;
  response: string;
  /** The prompt the response answers, where it matters (answers copied from it do not count). */
  prompt?: string;
}

interface Kind {
  weight: number;
  /** A gold answer and a right and a wrong prediction, in varied spellings. */
  make(r: () => number): [gold: string, right: string, wrong: string];
}

const int = (r: () => number, n: number) => Math.floor(r() * n);

const kinds: Kind[] = [
  { weight: 50, make: (r) => { const v = int(r, 2000) - 200; return [String(v), String(v), String(v + 1 + int(r, 9))]; } },
  { weight: 5, make: (r) => { const v = 1000 + int(r, 90000); return [String(v), v.toLocaleString("en-US"), String(v * 10)]; } },
  { weight: 12, make: (r) => { const a = 1 + int(r, 20), b = a + 1 + int(r, 20); return [`\\frac{${a}}{${b}}`, `\\dfrac{${a * 2}}{${b * 2}}`, `\\frac{${b}}{${a}}`]; } },
  { weight: 4, make: (r) => { const a = 1 + int(r, 9); return [`${a}.5`, `\\frac{${2 * a + 1}}{2}`, `${a}.25`]; } },
  { weight: 8, make: (r) => { const a = 2 + int(r, 8), s = [2, 3, 5, 6, 7][int(r, 5)]; return [`${a}\\sqrt{${s}}`, `\\sqrt{${a * a * s}}`, `${a + 1}\\sqrt{${s}}`]; } },
  { weight: 5, make: (r) => { const a = 1 + int(r, 6), b = 2 + int(r, 5); return [`\\frac{${a}\\pi}{${b}}`, `${a}\\pi/${b}`, `\\frac{${a}}{${b}}`]; } },
  { weight: 5, make: (r) => { const a = 1 + int(r, 5); return [`x^2+${2 * a}x+${a * a}`, `(x+${a})^2`, `(x-${a})^2`]; } },
  { weight: 3, make: (r) => { const a = int(r, 9), b = int(r, 9); return [`(${a},${b})`, `\\left(${a}, ${b}\\right)`, `(${b + 1},${a})`]; } },
  { weight: 2, make: (r) => { const a = int(r, 5); return [`[${a},${a + 3})`, `[${a}, ${a + 3})`, `(${a},${a + 3})`]; } },
  { weight: 3, make: (r) => { const a = 1 + int(r, 9); return [`${a}, -${a}`, `\\pm ${a}`, `${a}`]; } },
  { weight: 1, make: () => ["y=2x+3", "y = 3 + 2x", "y=2x-3"] },
  { weight: 1, make: () => ["\\text{(C)}", "C", "D"] },
  { weight: 1, make: (r) => { const a = 10 + int(r, 80); return [`${a}^\\circ`, `${a}`, `${a + 10}^\\circ`]; } },
];

const FILLER =
  "We set up the problem carefully. Let $n$ be the number of terms; then the sum is $\\frac{n(n+1)}{2}$, " +
  "and substituting the given values we obtain an equation we can solve step by step. Checking the " +
  "constraint $x > 0$ rules out the other root, so only one case remains. ";

/** Pairs for `golds` distinct gold answers, `samples` responses each (a seeded, fixed mix). */
export function answerMix(golds: number, samples: number, seed = 1): Pair[] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const total = kinds.reduce((t, k) => t + k.weight, 0);
  const pairs: Pair[] = [];
  for (let g = 0; g < golds; g++) {
    let pick = r() * total;
    const kind = kinds.find((k) => (pick -= k.weight) < 0) ?? kinds[0];
    const [gold, right, wrong] = kind.make(r);
    for (let k = 0; k < samples; k++) {
      const answer = r() < 0.5 ? right : wrong;
      pairs.push({ gold, response: FILLER.repeat(4) + `Therefore the answer is $\\boxed{${answer}}$.` });
    }
  }
  return pairs;
}
