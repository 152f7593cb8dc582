// The peer of the reward benchmark: the simplest checker in common use, the
// last box's content with spacing and delimiters stripped, compared as
// strings. It is fast and blind to equivalence; the verifier is measured
// against it to show what its parsing and comparisons cost.

function lastBoxContent(text: string): string | null {
  const at = text.lastIndexOf("\\boxed{");
  if (at < 0) return null;
  let depth = 0;
  for (let i = at + 6; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(at + 7, i);
  }
  return null;
}

function normalise(s: string): string {
  return s.replace(/\\left|\\right|\\!|\s|\$/g, "").replace(/\\[dt]frac/g, "\\frac");
}

export function naiveCheck(gold: string, response: string): boolean {
  const answer = lastBoxContent(response);
  return answer !== null && normalise(answer) === normalise(gold);
}
