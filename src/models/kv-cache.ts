// Keys and values of the tokens a batch has seen, one [B, capacity, Hkv, D]
// buffer of each per layer. A row's tokens occupy positions keyStart..length-1
// of its buffer (positions before keyStart are left padding, never attended
// to), so rows of different lengths decode together, and a finished row is
// dropped by compacting the buffers rather than left to cost compute. Rows
// need not be filled alike, so the rows of a newly prefilled batch can join a
// cache that is already decoding (continuous batching).
import { cpu, gatherRows, keep, noGrad, scope, sliceRows, writeRows, zeros, type Backend, type Tensor } from "../tensor/index.js";
import type { DecoderConfig } from "./config.js";

/**
 * The keys and values of a batch's tokens for every decoder layer, so that
 * each decoding step attends to the past without recomputing it. Rows may be
 * dropped (selectRows) or joined from another cache as they finish or start.
 */
export class KVCache {
  private rowCount: number;
  private positions: number;
  private filled: Int32Array;
  private starts: Int32Array;
  private keyBuffers: Tensor[];
  private valueBuffers: Tensor[];

  private constructor(
    /** The model shape the buffers are sized for. */
    readonly config: DecoderConfig,
    capacity: number, filled: Int32Array, starts: Int32Array, keys: Tensor[], values: Tensor[]) {
    this.rowCount = filled.length;
    this.positions = capacity;
    this.filled = filled;
    this.starts = starts;
    this.keyBuffers = keys;
    this.valueBuffers = values;
  }

  /** An empty cache for `batch` rows of up to `capacity` positions each (padding included), on `backend`: the model's (DecoderModel.backend). */
  static create(config: DecoderConfig, batch: number, capacity: number, backend: Backend = cpu): KVCache {
    if (!Number.isInteger(batch) || batch <= 0) throw new Error(`KVCache.create: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`KVCache.create: capacity must be a positive integer, got ${capacity}`);
    const shape = [batch, capacity, config.numKvHeads, config.headDim];
    // Zeroed, so padding slots hold finite values (attention never reads them, but a NaN must not be possible).
    const buffers = () => Array.from({ length: config.numLayers }, () => keep(zeros(shape, { backend })));
    return new KVCache(config, capacity, new Int32Array(batch), new Int32Array(batch), buffers(), buffers());
  }

  /**
   * Rows [start, start + count) as a cache of their own that shares this one's memory, lengths and
   * padding: what a forward pass writes through it lands here (a prefill a few rows at a time).
   * Its buffers are views owned by the current scope: use it within that scope, while this cache
   * keeps its rows (no selectRows or append meanwhile).
   */
  rowView(start: number, count: number): KVCache {
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count <= 0 || start + count > this.rowCount) {
      throw new Error(`KVCache.rowView: rows ${start}..${start + count} of a batch of ${this.rowCount}`);
    }
    const rows = (buffers: Tensor[]) => buffers.map((buffer) => sliceRows(buffer, start, count));
    return new KVCache(this.config, this.positions, this.filled.subarray(start, start + count), this.starts.subarray(start, start + count),
      rows(this.keyBuffers), rows(this.valueBuffers));
  }

  /** Number of rows. */
  get batch(): number {
    return this.rowCount;
  }

  /** Positions each row can hold (padding included). */
  get capacity(): number {
    return this.positions;
  }

  /** Filled positions per row (padding included): the next token of row b goes to position lengths[b]. */
  get lengths(): Int32Array {
    return this.filled;
  }

  /** First real (non-padding) position per row. */
  get keyStart(): Int32Array {
    return this.starts;
  }

  /** Layer `layer`'s key buffer [B, capacity, Hkv, D]. */
  keys(layer: number): Tensor {
    return this.keyBuffers[layer];
  }

  /** Layer `layer`'s value buffer [B, capacity, Hkv, D]. */
  values(layer: number): Tensor {
    return this.valueBuffers[layer];
  }

  /**
   * Keeps only `rows` (indices into the current batch, in the order given), e.g. to drop finished
   * sequences; a row may be listed more than once, e.g. to give a prefilled prompt to several sequences.
   */
  selectRows(rows: readonly number[]): void {
    for (const r of rows) {
      if (!Number.isInteger(r) || r < 0 || r >= this.rowCount) throw new Error(`KVCache.selectRows: row ${r} is not in a batch of ${this.rowCount}`);
    }
    const compact = (buffers: Tensor[]) => buffers.map((old) => {
      const kept = keep(noGrad(() => gatherRows(old, rows)));
      old.dispose();
      return kept;
    });
    this.keyBuffers = compact(this.keyBuffers);
    this.valueBuffers = compact(this.valueBuffers);
    this.filled = Int32Array.from(rows, (r) => this.filled[r]);
    this.starts = Int32Array.from(rows, (r) => this.starts[r]);
    this.rowCount = rows.length;
  }

  /**
   * Appends the rows of `other` (a cache for the same model shape) after this one's, with their
   * lengths and padding; the capacity becomes the larger of the two. `other` is left unchanged.
   */
  append(other: KVCache): void {
    const a = this.config, b = other.config;
    if (a.numLayers !== b.numLayers || a.numKvHeads !== b.numKvHeads || a.headDim !== b.headDim) {
      throw new Error("KVCache.append: the caches were made for different model shapes");
    }
    const capacity = Math.max(this.positions, other.positions);
    const rows = this.rowCount + other.rowCount;
    const join = (mine: Tensor[], theirs: Tensor[]) => mine.map((old, layer) => {
      const joined = keep(zeros([rows, capacity, a.numKvHeads, a.headDim], { backend: old.backend }));
      noGrad(() => scope(() => {
        writeRows(sliceRows(joined, 0, this.rowCount), old, new Int32Array(this.rowCount));
        writeRows(sliceRows(joined, this.rowCount, other.rowCount), theirs[layer], new Int32Array(other.rowCount));
      }));
      old.dispose();
      return joined;
    });
    this.keyBuffers = join(this.keyBuffers, other.keyBuffers);
    this.valueBuffers = join(this.valueBuffers, other.valueBuffers);
    this.filled = Int32Array.of(...this.filled, ...other.filled);
    this.starts = Int32Array.of(...this.starts, ...other.starts);
    this.rowCount = rows;
    this.positions = capacity;
  }

  /** Bytes one position of one row takes across all layers (keys and values, float32). */
  bytesPerToken(): number {
    return 2 * this.config.numLayers * this.config.numKvHeads * this.config.headDim * 4;
  }

  /** Frees the buffers; the cache is unusable afterwards. */
  dispose(): void {
    for (const t of [...this.keyBuffers, ...this.valueBuffers]) t.dispose();
    this.keyBuffers = [];
    this.valueBuffers = [];
  }
}
