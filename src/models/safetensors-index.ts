// A model folder's weights: one model.safetensors, or shards listed by
// model.safetensors.index.json ({"metadata": {"total_size"}, "weight_map":
// {tensor: file}}), presented as one store of named tensors.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { stageFile, syncFolder, writeFully, type StagedFile } from "../io/atomic-file.js";
import { readJsonObject } from "../io/json-file.js";
import { SafetensorsFile, type TensorInfo, type TensorStore } from "./safetensors.js";
import { tensorByteLength, writeSafetensorsTo, type SafetensorsWriteOptions, type TensorToWrite } from "./safetensors-writer.js";

/** The weights file of an unsharded model folder. */
export const SINGLE_FILE_NAME = "model.safetensors";
/** The file that maps each tensor of a sharded model folder to its shard. */
export const INDEX_FILE_NAME = "model.safetensors.index.json";

/** transformers' default largest shard. */
export const DEFAULT_MAX_SHARD_BYTES = 5 * 1024 ** 3;

/** A tensor of a model folder's checkpoint, and which file holds it. */
export interface CheckpointTensorInfo extends TensorInfo {
  /** The file (inside the folder) that holds the tensor. */
  readonly file: string;
}

/** The weights of a model folder, possibly spread over several shard files. */
export class Checkpoint implements TensorStore {
  private constructor(
    /** The model folder, as given; errors name it. */
    readonly dir: string,
    private readonly files: ReadonlyMap<string, SafetensorsFile>,
    /** Every tensor by name, with the shard that holds it. */
    readonly tensors: ReadonlyMap<string, CheckpointTensorInfo>,
  ) {}

  /** Opens model.safetensors.index.json and its shards, or else model.safetensors, and validates every header. */
  static open(dir: string): Checkpoint {
    const indexPath = join(dir, INDEX_FILE_NAME);
    const weightMap = existsSync(indexPath) ? readWeightMap(indexPath) : null;
    if (weightMap === null && !existsSync(join(dir, SINGLE_FILE_NAME))) {
      throw new Error(`${dir}: no ${SINGLE_FILE_NAME} or ${INDEX_FILE_NAME}`);
    }
    const fileNames = weightMap === null ? [SINGLE_FILE_NAME] : [...new Set(weightMap.values())];
    const files = new Map<string, SafetensorsFile>();
    try {
      for (const name of fileNames) files.set(name, SafetensorsFile.open(join(dir, name)));
      const tensors = new Map<string, CheckpointTensorInfo>();
      for (const [fileName, file] of files) {
        for (const [tensorName, info] of file.tensors) {
          // A shard may hold tensors the index does not list; the index decides.
          if (weightMap === null || weightMap.get(tensorName) === fileName) tensors.set(tensorName, { ...info, file: fileName });
        }
      }
      for (const [tensorName, fileName] of weightMap ?? []) {
        if (!tensors.has(tensorName)) throw new Error(`${indexPath}: tensor "${tensorName}" is mapped to ${fileName}, which does not hold it`);
      }
      return new Checkpoint(dir, files, tensors);
    } catch (error) {
      for (const file of files.values()) file.close();
      throw error;
    }
  }

  /** The __metadata__ of the first file (e.g. {"format": "pt"}). */
  get metadata(): Readonly<Record<string, string>> {
    return this.files.values().next().value?.metadata ?? {};
  }

  read(name: string, into?: Float32Array): Float32Array {
    return this.fileOf(name).read(name, into);
  }

  readBytes(name: string, into?: Uint8Array): Uint8Array {
    return this.fileOf(name).readBytes(name, into);
  }

  /** Closes every shard. */
  close(): void {
    for (const file of this.files.values()) file.close();
  }

  private fileOf(name: string): SafetensorsFile {
    const info = this.tensors.get(name);
    if (info === undefined) throw new Error(`${this.dir}: no tensor named "${name}"`);
    return this.files.get(info.file)!;
  }
}

/** Opens the weights of the model folder `dir` (Checkpoint.open). */
export function openCheckpoint(dir: string): Checkpoint {
  return Checkpoint.open(dir);
}

function readWeightMap(indexPath: string): Map<string, string> {
  const weightMap = readJsonObject(indexPath).weight_map;
  if (weightMap === null || typeof weightMap !== "object" || Array.isArray(weightMap)) {
    throw new Error(`${indexPath}: "weight_map" must be an object of tensor name -> file`);
  }
  const entries = new Map<string, string>();
  for (const [tensorName, fileName] of Object.entries(weightMap)) {
    if (typeof fileName !== "string" || basename(fileName) !== fileName) {
      throw new Error(`${indexPath}: weight_map "${tensorName}" must name a file in the same folder`);
    }
    entries.set(tensorName, fileName);
  }
  return entries;
}

/** Options of saveCheckpoint(). */
export interface SaveCheckpointOptions extends SafetensorsWriteOptions {
  /** Largest shard in bytes of tensor data (default 5 GiB); a tensor larger than this gets a shard of its own. */
  maxShardBytes?: number;
}

/** Groups tensors in order into shards of at most `maxShardBytes` data bytes. */
export function planShards(tensors: readonly TensorToWrite[], maxShardBytes: number): TensorToWrite[][] {
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  for (const tensor of tensors) {
    const bytes = tensorByteLength(tensor);
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(tensor);
    currentBytes += bytes;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);
  return shards;
}

function shardFileName(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/** The weight files a folder's current checkpoint consists of (empty when there is none). */
function currentCheckpointFiles(dir: string): string[] {
  const indexPath = join(dir, INDEX_FILE_NAME);
  if (existsSync(indexPath)) {
    try {
      return [INDEX_FILE_NAME, ...new Set(readWeightMap(indexPath).values())];
    } catch {
      return [INDEX_FILE_NAME];
    }
  }
  return existsSync(join(dir, SINGLE_FILE_NAME)) ? [SINGLE_FILE_NAME] : [];
}

/**
 * Saves tensors into `dir` as model.safetensors, or as shards plus
 * model.safetensors.index.json when they exceed `maxShardBytes`. Every file is
 * first written and fsynced under a temporary name, so an error or a crash
 * during the (long) writing leaves the previous checkpoint intact; the files
 * are then renamed into place, the index last, and weight files of the
 * previous checkpoint that the new one does not use are removed.
 */
export async function saveCheckpoint(dir: string, tensors: readonly TensorToWrite[], options: SaveCheckpointOptions = {}): Promise<void> {
  const maxShardBytes = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(maxShardBytes > 0)) throw new Error(`maxShardBytes must be positive, got ${maxShardBytes}`);
  mkdirSync(dir, { recursive: true });
  const previousFiles = currentCheckpointFiles(dir);
  const shards = planShards(tensors, maxShardBytes);
  const names = shards.length === 1 ? [SINGLE_FILE_NAME] : shards.map((_, i) => shardFileName(i, shards.length));

  const staged: StagedFile[] = [];
  try {
    for (const [i, shard] of shards.entries()) {
      staged.push(await stageFile(join(dir, names[i]), (fd) => writeSafetensorsTo(fd, shard, options)));
    }
    if (shards.length > 1) {
      const weightMap: Record<string, string> = {};
      shards.forEach((shard, i) => shard.forEach((tensor) => (weightMap[tensor.name] = names[i])));
      const totalSize = tensors.reduce((sum, tensor) => sum + tensorByteLength(tensor), 0);
      const index = JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + "\n";
      staged.push(await stageFile(join(dir, INDEX_FILE_NAME), (fd) => writeFully(fd, Buffer.from(index, "utf8"))));
    }
  } catch (error) {
    for (const file of staged) file.discard();
    throw error;
  }
  for (const file of staged) file.commit();
  const kept = new Set([...names, ...(shards.length > 1 ? [INDEX_FILE_NAME] : [])]);
  for (const file of previousFiles) if (!kept.has(file)) rmSync(join(dir, file), { force: true });
  syncFolder(dir);
}
