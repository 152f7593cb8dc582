// 16-bit floats as stored in checkpoints: bfloat16 (the top half of a float32)
// and IEEE binary16. Conversions to 16 bits round to nearest, ties to even,
// and give the same bits as PyTorch: NaN becomes the canonical quiet NaN
// (sign dropped for bfloat16, kept for binary16); infinities and signed zeros are kept.

/** float32 bits -> bfloat16 bits. */
function bfloat16Bits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  // Adding 0x7fff (+1 when the kept part is odd) carries into bit 16 exactly when rounding up.
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The smallest float32 magnitude (bits) that rounds to infinity in binary16: 65520, halfway past 65504. */
const HALF_OVERFLOW_BITS = 0x477ff000;
/** 2^-14, the smallest normal binary16. */
const HALF_MIN_NORMAL_BITS = 0x38800000;
/** The float32 exponent bias minus the binary16 one, in place: (127 - 15) << 23. */
const EXPONENT_REBIAS = 0x38000000;

/** float32 bits (and its value, for the subnormal path) -> binary16 bits. */
function halfBits(bits: number, value: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000) return sign | 0x7e00;
  if (magnitude >= HALF_OVERFLOW_BITS) return sign | 0x7c00;
  if (magnitude >= HALF_MIN_NORMAL_BITS) {
    return sign | ((magnitude - EXPONENT_REBIAS + 0x0fff + ((magnitude >>> 13) & 1)) >>> 13);
  }
  // Subnormal (or zero): the value in units of 2^-24 is exact in a double; round it to an even integer on ties.
  const units = Math.abs(value) * 16777216;
  const floor = Math.floor(units);
  const rest = units - floor;
  const rounded = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return sign | rounded;
}

let halfTable: Float32Array | null = null;

/** All 65536 binary16 values as float32, built once: decoding is then one lookup per element. */
function halfToFloat32Table(): Float32Array {
  if (halfTable !== null) return halfTable;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x03ff;
    if (exponent === 0x1f) bits[h] = sign | 0x7f800000 | (mantissa << 13);
    else if (exponent === 0) table[h] = (sign ? -1 : 1) * mantissa * 2 ** -24;
    else bits[h] = sign | ((exponent + 112) << 23) | (mantissa << 13);
  }
  halfTable = table;
  return table;
}

function bitsView(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

function checkLengths(from: { length: number }, into: { length: number }, what: string): void {
  if (from.length !== into.length) throw new Error(`${what}: ${from.length} values into ${into.length} slots`);
}

export function float32ToBfloat16(values: Float32Array, into: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  checkLengths(values, into, "float32ToBfloat16");
  const bits = bitsView(values);
  for (let i = 0; i < bits.length; i++) into[i] = bfloat16Bits(bits[i]);
  return into;
}

export function bfloat16ToFloat32(halves: Uint16Array, into: Float32Array = new Float32Array(halves.length)): Float32Array {
  checkLengths(halves, into, "bfloat16ToFloat32");
  const bits = bitsView(into);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return into;
}

export function float32ToFloat16(values: Float32Array, into: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  checkLengths(values, into, "float32ToFloat16");
  const bits = bitsView(values);
  for (let i = 0; i < bits.length; i++) into[i] = halfBits(bits[i], values[i]);
  return into;
}

export function float16ToFloat32(halves: Uint16Array, into: Float32Array = new Float32Array(halves.length)): Float32Array {
  checkLengths(halves, into, "float16ToFloat32");
  const table = halfToFloat32Table();
  for (let i = 0; i < halves.length; i++) into[i] = table[halves[i]];
  return into;
}
