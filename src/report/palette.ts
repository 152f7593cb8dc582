// How an algorithm is named and coloured in the report: the paper's names,
// and one colour per algorithm that every chart and the table share. Colours
// are from the Okabe-Ito set, told apart with colour-blindness too.

const KNOWN: Readonly<Record<string, { label: string; color: string }>> = {
  astar: { label: "A*-PO", color: "#D55E00" },
  grpo: { label: "GRPO", color: "#0072B2" },
  ppo: { label: "PPO", color: "#009E73" },
  rebel: { label: "REBEL", color: "#CC79A7" },
  rloo: { label: "RLOO", color: "#E69F00" },
};
const SPARE_COLORS = ["#56B4E9", "#000000", "#999999", "#F0E442"];

/** The paper's name for an algorithm; its own name for one the report does not know. */
export function algorithmLabel(name: string): string {
  return KNOWN[name]?.label ?? name;
}

/** A colour per algorithm: fixed for the known ones, the spares in order for the rest. */
export function algorithmColors(names: readonly string[]): Map<string, string> {
  let spare = 0;
  return new Map(names.map((name) => [name, KNOWN[name]?.color ?? SPARE_COLORS[spare++ % SPARE_COLORS.length]]));
}
