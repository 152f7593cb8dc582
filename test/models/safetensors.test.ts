import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bfloat16ToFloat32 } from "../../src/models/half-float.js";
import { SafetensorsFile, type SafetensorsDtype } from "../../src/models/safetensors.js";
import { encodeHeader, writeSafetensors, type TensorToWrite, type TensorValues } from "../../src/models/safetensors-writer.js";
import { INDEX_FILE_NAME, openCheckpoint, saveCheckpoint, SINGLE_FILE_NAME } from "../../src/models/safetensors-index.js";

// Written by scripts/gen-safetensors-fixture.py from PyTorch tensors.
const REFERENCE = "test/fixtures/hf/torch-reference";
const reference = JSON.parse(readFileSync(`${REFERENCE}.json`, "utf8")) as {
  half_sources: Array<number | string>;
  values: Record<string, Array<number | string>>;
};
const fromJson = (x: number | string): number => (typeof x === "number" ? x : x === "nan" ? NaN : x === "inf" ? Infinity : -Infinity);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "astarpo-safetensors-"));
}

function tensor(name: string, dtype: SafetensorsDtype, shape: number[], values: TensorValues): TensorToWrite {
  return { name, dtype, shape, values: () => values };
}

/** The fixture's tensors, built here from the same sources PyTorch started from. */
function referenceTensors(): TensorToWrite[] {
  const halfSources = Float32Array.from(reference.half_sources.map(fromJson));
  const f32 = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 3);
  return [
    tensor("weight.f32", "F32", [3, 4], f32),
    tensor("weight.bf16", "BF16", [24], halfSources),
    tensor("weight.f16", "F16", [24], halfSources),
    tensor("stats.f64", "F64", [3], Float64Array.of(Math.PI, -1e300, 5e-324)),
    tensor("ids.i64", "I64", [4], BigInt64Array.of(-(2n ** 40n), 0n, 7n, 2n ** 53n)),
    tensor("ids.i32", "I32", [2, 2], Int32Array.of(-2147483648, 2147483647, 0, -1)),
    tensor("bytes.u8", "U8", [3], Uint8Array.of(0, 1, 255)),
    tensor("small.i8", "I8", [2], new Uint8Array(Int8Array.of(-128, 127).buffer)),
    tensor("mask.bool", "BOOL", [3], Uint8Array.of(1, 0, 1)),
    tensor("empty.f32", "F32", [0, 4], new Float32Array(0)),
    tensor("scalar.f32", "F32", [], Float32Array.of(2.5)),
  ];
}

test("a file written from PyTorch tensors reads back exactly, every dtype", () => {
  const file = SafetensorsFile.open(`${REFERENCE}.safetensors`);
  try {
    assert.deepEqual(file.metadata, { format: "pt" });
    assert.deepEqual([...file.tensors.keys()], Object.keys(reference.values));
    assert.deepEqual(file.tensors.get("weight.bf16"), { dtype: "BF16", shape: [24], byteLength: 48 });
    assert.deepEqual(file.tensors.get("scalar.f32")?.shape, []);
    for (const [name, expected] of Object.entries(reference.values)) {
      // Float32 holds every reference value except the float64 ones, which compare after rounding.
      const want = expected.map((x) => Math.fround(fromJson(x)));
      assert.deepEqual(Array.from(file.read(name)), want, name);
    }
    assert.deepEqual(Array.from(file.readBytes("bytes.u8")), [0, 1, 255]);
    const into = new Float32Array(12);
    assert.equal(file.read("weight.f32", into), into);
    assert.throws(() => file.read("weight.f32", new Float32Array(5)), /torch-reference\.safetensors: tensor "weight\.f32" needs a target of length 12, got 5/);
    assert.throws(() => file.read("nope"), /torch-reference\.safetensors: no tensor named "nope"/);
  } finally {
    file.close();
  }
});

test("the writer reproduces PyTorch's file byte for byte, its bfloat16/float16 rounding included", async () => {
  const dir = tempDir();
  try {
    const path = join(dir, "ours.safetensors");
    await writeSafetensors(path, referenceTensors());
    const ours = readFileSync(path);
    const theirs = readFileSync(`${REFERENCE}.safetensors`);
    // PyTorch's vectorised float32 -> bfloat16 path writes NaN as 0xffff, its scalar path (and this writer) as the
    // canonical 0x7fc0: both are NaN, so that one element is compared as a value.
    const nanAt = 8 + Number(theirs.readBigUInt64LE(0)) + 48 + 2 * reference.half_sources.indexOf("nan");
    for (const bytes of [ours, theirs]) {
      assert.ok(Number.isNaN(bfloat16ToFloat32(Uint16Array.of(bytes.readUInt16LE(nanAt)))[0]));
      bytes.writeUInt16LE(0x7fc0, nanAt);
    }
    assert.deepEqual(ours, theirs);
    assert.deepEqual(readdirSync(dir), ["ours.safetensors"], "no temporary file is left behind");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the header is padded with spaces so that tensor data starts 8-byte aligned", () => {
  for (const name of ["a", "ab", "abc", "abcd", "abcdefgh"]) {
    const header = encodeHeader([tensor(name, "F32", [1], new Float32Array(1))]);
    assert.equal(header.byteLength % 8, 0);
    const length = Number(new DataView(header.buffer).getBigUint64(0, true));
    assert.equal(length, header.byteLength - 8);
    assert.equal(JSON.parse(Buffer.from(header.subarray(8)).toString("utf8"))[name].data_offsets[1], 4);
  }
});

test("round trips through the writer and reader for every dtype, raw bytes included", async () => {
  const dir = tempDir();
  try {
    const rawDtypes: SafetensorsDtype[] = ["I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2"];
    const raw = rawDtypes.map((dtype, i) => tensor(`raw.${dtype}`, dtype, [2, 2], Uint8Array.from({ length: 4 * [2, 2, 4, 8, 1, 1][i] }, (_, j) => (j * 37 + i) & 0xff)));
    const floats = Float32Array.from({ length: 3000 }, (_, i) => Math.sin(i) * 10 ** ((i % 9) - 4));
    const tensors = [
      ...raw,
      tensor("f32", "F32", [3000], floats),
      tensor("f64-from-f32", "F64", [3000], floats),
      tensor("f32-from-f64", "F32", [2], Float64Array.of(0.1, 1e39)),
      tensor("i64-from-i32", "I64", [2], Int32Array.of(-5, 6)),
    ];
    const path = join(dir, "all.safetensors");
    await writeSafetensors(path, tensors, { metadata: { step: "7" } });
    const file = SafetensorsFile.open(path);
    try {
      assert.deepEqual(file.metadata, { format: "pt", step: "7" });
      for (const t of raw) assert.deepEqual(file.readBytes(t.name), t.values());
      assert.deepEqual(Array.from(file.read("raw.U16")), Array.from(new Uint16Array((raw[1].values() as Uint8Array).buffer)));
      assert.deepEqual(file.read("f32"), floats);
      assert.deepEqual(file.read("f64-from-f32"), floats);
      assert.deepEqual(Array.from(file.read("f32-from-f64")), [Math.fround(0.1), Infinity]);
      assert.deepEqual(Array.from(file.read("i64-from-i32")), [-5, 6]);
      assert.throws(() => file.read("raw.F8_E4M3"), /tensor "raw\.F8_E4M3": F8_E4M3 tensors are not converted/);
    } finally {
      file.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tensors larger than one conversion chunk convert correctly across chunk boundaries", async () => {
  const dir = tempDir();
  try {
    const count = (1 << 20) + 4099;
    // Multiples of 1/2 below 128 in magnitude: exact in both 16-bit formats.
    const values = Float32Array.from({ length: count }, (_, i) => ((i % 509) - 254) / 2);
    const path = join(dir, "big.safetensors");
    await writeSafetensors(path, [tensor("bf16", "BF16", [count], values), tensor("f16", "F16", [count], values)]);
    const file = SafetensorsFile.open(path);
    try {
      assert.deepEqual(file.read("bf16"), values);
      assert.deepEqual(file.read("f16"), values);
    } finally {
      file.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writer errors name the tensor and leave any previous file in place", async () => {
  const dir = tempDir();
  try {
    const path = join(dir, "model.safetensors");
    await writeSafetensors(path, [tensor("a", "F32", [2], Float32Array.of(1, 2))]);
    const before = readFileSync(path);
    await assert.rejects(writeSafetensors(path, [tensor("b", "F32", [3], Float32Array.of(1, 2))]), /tensor "b": 2 values given, shape \[3\] holds 3/);
    await assert.rejects(writeSafetensors(path, [tensor("c", "BF16", [1], Int32Array.of(1))]), /tensor "c": cannot store Int32Array values as BF16/);
    await assert.rejects(writeSafetensors(path, [tensor("d", "F16", [2], Uint8Array.of(1))]), /tensor "d": 1 bytes given/);
    await assert.rejects(writeSafetensors(path, [tensor("e", "F32", [1], Float32Array.of(1)), tensor("e", "F32", [1], Float32Array.of(1))]), /"e" is reserved or repeated/);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A file with a hand-made header (and `dataBytes` bytes of data). */
function handMade(dir: string, header: unknown, dataBytes: number, headerText?: string): string {
  const json = Buffer.from(headerText ?? JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + dataBytes);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  const path = join(dir, `bad-${readdirSync(dir).length}.safetensors`);
  writeFileSync(path, out);
  return path;
}

test("malformed files give clear errors naming the file and tensor", async () => {
  const dir = tempDir();
  try {
    const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: "F32", shape, data_offsets: [begin, end] });
    const cases: Array<[string, RegExp]> = [
      [handMade(dir, { a: f32(0, 8), b: f32(4, 12) }, 12), /bad-0\.safetensors: tensors "a" and "b" overlap/],
      [handMade(dir, { a: f32(0, 4), b: f32(8, 12) }, 12), /bad-1\.safetensors: bytes 4\.\.8 before tensor "b" belong to no tensor/],
      [handMade(dir, { a: f32(0, 8) }, 4), /bad-2\.safetensors: tensor "a": data ends at byte 8 but the file holds 4 data bytes \(truncated\?\)/],
      [handMade(dir, { a: f32(0, 4) }, 8), /bad-3\.safetensors: 4 bytes after the last tensor belong to no tensor/],
      [handMade(dir, { a: { dtype: "F12", shape: [1], data_offsets: [0, 4] } }, 4), /bad-4\.safetensors: tensor "a": unknown dtype "F12"/],
      [handMade(dir, { a: f32(0, 8, [3]) }, 8), /bad-5\.safetensors: tensor "a": F32 \[3\] needs 12 bytes but data_offsets span 8/],
      [handMade(dir, { a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4), /bad-6\.safetensors: tensor "a": shape must be a list of non-negative integers/],
      [handMade(dir, { a: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, 4), /bad-7\.safetensors: tensor "a": data_offsets must be/],
      [handMade(dir, null, 0, "{not json"), /bad-8\.safetensors: header is not valid JSON/],
      [handMade(dir, { __metadata__: { n: 1 } }, 0), /bad-9\.safetensors: __metadata__ "n" must be a string/],
    ];
    for (const [path, message] of cases) assert.throws(() => SafetensorsFile.open(path), message);

    const lying = join(dir, "lying-length.safetensors");
    writeFileSync(lying, Buffer.concat([Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{}")]));
    assert.throws(() => SafetensorsFile.open(lying), /lying-length\.safetensors: header length 64 runs past the end of the 10-byte file/);
    const huge = join(dir, "huge-length.safetensors");
    writeFileSync(huge, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
    assert.throws(() => SafetensorsFile.open(huge), /huge-length\.safetensors: header length \d+ is over the format's limit/);

    const truncated = join(dir, "truncated.safetensors");
    await writeSafetensors(truncated, [tensor("w", "BF16", [100], new Float32Array(100))]);
    truncateSync(truncated, readFileSync(truncated).length - 10);
    assert.throws(() => SafetensorsFile.open(truncated), /truncated\.safetensors: tensor "w": data ends at byte 200 but the file holds 190 data bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sharded checkpoints: written by shard size with an index, read back as one store", async () => {
  const dir = tempDir();
  try {
    const layers = Array.from({ length: 5 }, (_, i) => tensor(`model.layers.${i}.weight`, "F32", [64, 64], Float32Array.from({ length: 4096 }, (_, j) => i + j / 4096)));
    await saveCheckpoint(dir, layers, { maxShardBytes: 2 * 64 * 64 * 4 });
    const index = JSON.parse(readFileSync(join(dir, INDEX_FILE_NAME), "utf8"));
    assert.equal(index.metadata.total_size, 5 * 64 * 64 * 4);
    assert.deepEqual(index.weight_map, {
      "model.layers.0.weight": "model-00001-of-00003.safetensors",
      "model.layers.1.weight": "model-00001-of-00003.safetensors",
      "model.layers.2.weight": "model-00002-of-00003.safetensors",
      "model.layers.3.weight": "model-00002-of-00003.safetensors",
      "model.layers.4.weight": "model-00003-of-00003.safetensors",
    });
    assert.ok(!existsSync(join(dir, SINGLE_FILE_NAME)));
    const checkpoint = openCheckpoint(dir);
    try {
      assert.equal(checkpoint.tensors.size, 5);
      assert.equal(checkpoint.tensors.get("model.layers.4.weight")?.file, "model-00003-of-00003.safetensors");
      assert.deepEqual(checkpoint.metadata, { format: "pt" });
      for (const layer of layers) assert.deepEqual(checkpoint.read(layer.name), layer.values());
    } finally {
      checkpoint.close();
    }

    // Saving again as one file replaces the shards and removes the index.
    await saveCheckpoint(dir, layers.slice(0, 2));
    assert.deepEqual(readdirSync(dir).sort(), [SINGLE_FILE_NAME]);
    const single = openCheckpoint(dir);
    assert.deepEqual([...single.tensors.keys()], ["model.layers.0.weight", "model.layers.1.weight"]);
    single.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a save that fails midway leaves the previous checkpoint intact and no temporary files", async () => {
  const dir = tempDir();
  try {
    const good = [tensor("a", "F32", [4], Float32Array.of(1, 2, 3, 4)), tensor("b", "F32", [4], Float32Array.of(5, 6, 7, 8))];
    await saveCheckpoint(dir, good, { maxShardBytes: 16 });
    const filesBefore = readdirSync(dir).sort();
    const failing: TensorToWrite[] = [
      tensor("a", "F32", [4], Float32Array.of(9, 9, 9, 9)),
      { name: "b", dtype: "F32", shape: [4], values: () => Promise.reject(new Error("device lost")) },
    ];
    await assert.rejects(saveCheckpoint(dir, failing, { maxShardBytes: 16 }), /device lost/);
    assert.deepEqual(readdirSync(dir).sort(), filesBefore);
    const checkpoint = openCheckpoint(dir);
    assert.deepEqual(Array.from(checkpoint.read("a")), [1, 2, 3, 4]);
    checkpoint.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("index errors name the index file and tensor", async () => {
  const dir = tempDir();
  try {
    assert.throws(() => openCheckpoint(dir), /no model\.safetensors or model\.safetensors\.index\.json/);
    await writeSafetensors(join(dir, "shard.safetensors"), [tensor("a", "F32", [1], Float32Array.of(1))]);
    writeFileSync(join(dir, INDEX_FILE_NAME), JSON.stringify({ weight_map: { a: "shard.safetensors", b: "shard.safetensors" } }));
    assert.throws(() => openCheckpoint(dir), /model\.safetensors\.index\.json: tensor "b" is mapped to shard\.safetensors, which does not hold it/);
    writeFileSync(join(dir, INDEX_FILE_NAME), JSON.stringify({ weight_map: { a: "../elsewhere.safetensors" } }));
    assert.throws(() => openCheckpoint(dir), /weight_map "a" must name a file in the same folder/);
    writeFileSync(join(dir, INDEX_FILE_NAME), JSON.stringify({ weight_map: { a: "missing.safetensors" } }));
    assert.throws(() => openCheckpoint(dir), /missing\.safetensors/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
