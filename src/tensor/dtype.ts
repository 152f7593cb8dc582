/** Element types. f32 is the compute type; i32 holds token ids and indices;
 *  bf16 is reserved for compact weight storage. */
export type DType = "f32" | "i32" | "bf16";

/** Storage size of one element of each type. */
export const bytesPerElement: Record<DType, number> = { f32: 4, i32: 4, bf16: 2 };

/** Number of elements of a shape; throws on a dimension that is not a non-negative integer. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(", ")}]: dimensions must be non-negative integers`);
    n *= d;
  }
  return n;
}

/** A shape as messages print it, e.g. "[2, 3]". */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
