// Writes native/kernels.gen.h and native/binding.gen.cc from the kernel table
// (src/tensor/kernels.ts):  npm run gen:kernels
// test/tensor/kernel-table.test.ts fails when the committed files differ from
// what this would write.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { enumMembers, kernelSignatures, kernelTable, type KernelArg, type KernelName, type KernelSpec, type Returns } from "../src/tensor/kernels.js";

const banner = "// Generated from src/tensor/kernels.ts by scripts/gen-kernels.ts (npm run gen:kernels): do not edit.\n";

const elemTypes = { f32: "float", i32: "int32_t", bf16: "uint16_t", byte: "char", any: "void" } as const;
const returnTypes: Record<Returns, string> = { void: "void", f64: "double", int: "int64_t", ptr: "void*", flag: "bool", string: "std::string" };
const arrayTypes = { i32: ["int32_t", "napi_int32_array", "Int32Array"], f32: ["float", "napi_float32_array", "Float32Array"], f64: ["double", "napi_float64_array", "Float64Array"] } as const;

function structName(name: string): string {
  return `${name[0].toUpperCase()}${name.slice(1)}Args`;
}

function fieldType(arg: KernelArg): string {
  switch (arg.kind) {
    case "ptr": return `${arg.access === "in" ? "const " : ""}${elemTypes[arg.elem]}*`;
    case "int": return "int64_t";
    case "f32": return "float";
    case "f64": return "double";
    case "flag": return "bool";
    case "enum": return arg.type;
    case "array": return `HostArray<${arg.access === "in" ? "const " : ""}${arrayTypes[arg.elem][0]}>`;
    case "bytes": return `HostBytes<${arg.access === "in" ? "const " : ""}void>`;
    case "string": return "std::string";
  }
}

function cString(s: string): string {
  return JSON.stringify(s);
}

/** The `#if` that keeps a backend's own kernels out of the other backend's build. */
function guarded(spec: KernelSpec, body: string): string {
  if (!spec.only) return body;
  return `#if ${spec.only === "cuda" ? "" : "!"}defined(ASTARPO_CUDA)\n${body}#endif\n`;
}

function collectEnums(): Map<string, Array<[string, number]>> {
  const enums = new Map<string, Array<[string, number]>>();
  for (const spec of Object.values(kernelTable) as KernelSpec[]) {
    for (const arg of spec.args) {
      if (arg.kind !== "enum" || enums.has(arg.type)) continue;
      const members = enumMembers(arg.values);
      members.forEach(([name, value], i) => {
        if (value !== i) throw new Error(`kernel table: enum ${arg.type} must number its members 0, 1, ... (${name} = ${value})`);
      });
      enums.set(arg.type, members);
    }
  }
  return enums;
}

function header(): string {
  const out: string[] = [banner, "// One argument struct and one declaration per kernel; each backend defines the functions.", "#pragma once", "#include <cstdint>", "#include <string>", "", "namespace astarpo {", ""];
  for (const [type, members] of collectEnums()) {
    out.push(`enum class ${type} : int32_t { ${members.map(([k, v]) => `${k} = ${v}`).join(", ")} };`);
  }
  out.push("", "namespace kernels {", "");
  for (const [name, spec] of Object.entries(kernelTable) as Array<[KernelName, KernelSpec]>) {
    const fields = spec.args.map((arg) => `  ${fieldType(arg)} ${arg.name};${arg.kind === "ptr" && arg.optional ? "  // may be null" : ""}\n`).join("");
    const struct = spec.args.length > 0 ? `struct ${structName(name)} {\n${fields}};\n` : "";
    const params = spec.args.length > 0 ? `const ${structName(name)}& args` : "";
    out.push(guarded(spec, `${struct}${returnTypes[spec.returns]} ${name}(${params});\n`));
  }
  out.push("}  // namespace kernels", "}  // namespace astarpo", "");
  return out.join("\n");
}

function reader(arg: KernelArg, index: number): string {
  const at = `${index}, ${cString(arg.name)}`;
  const field = `a.${arg.name}`;
  switch (arg.kind) {
    case "ptr": return `call.ptr(${at}, ${arg.optional}, ${field})`;
    case "int": return `call.integer(${at}, ${arg.min}, ${field})`;
    case "f32": return `call.f32(${at}, ${field})`;
    case "f64": return `call.f64(${at}, ${field})`;
    case "flag": return `call.flag(${at}, ${field})`;
    case "enum": {
      const members = enumMembers(arg.values);
      return `call.enumValue(${at}, ${cString(arg.type)}, ${cString(members.map(([k, v]) => `${v} ${k}`).join(", "))}, ${members.length}, ${field})`;
    }
    case "array": {
      const [, napiType, jsType] = arrayTypes[arg.elem];
      return `call.array(${at}, ${napiType}, ${cString(jsType)}, ${arg.optional}, ${field})`;
    }
    case "bytes": return `call.bytes(${at}, ${field})`;
    case "string": return `call.string(${at}, ${field})`;
  }
}

/** After every argument is read: each host array with `atLeast` holds as many entries as that integer argument says. */
function lengthChecks(name: string, spec: KernelSpec): string[] {
  return spec.args.flatMap((arg, i) => {
    if (arg.kind !== "array" || arg.atLeast === undefined) return [];
    const count = spec.args.find((c) => c.name === arg.atLeast);
    if (count?.kind !== "int") throw new Error(`kernel table: ${name}'s array ${arg.name} is sized by ${arg.atLeast}, which is no integer argument`);
    return [`      !call.holds(${i}, ${cString(arg.name)}, a.${arg.name}.length, a.${count.name}, ${cString(count.name)})`];
  });
}

function binding(): string {
  const out: string[] = [banner, "// The N-API layer of every kernel: arity and argument checks, then the pure kernel.",
    "#include \"binding.h\"", "", "namespace astarpo::binding {", "namespace {", ""];
  const entries: Array<[string, KernelSpec]> = Object.entries(kernelTable);
  for (const [name, spec] of entries) {
    const argNames = spec.args.map((a) => a.name).join(", ");
    const lines = [`napi_value ${name}Binding(napi_env env, napi_callback_info info) {`,
      `  Call call(env, info, ${cString(name)}, ${spec.args.length}, ${cString(argNames)});`];
    if (spec.args.length === 0) {
      lines.push(`  if (!call.ok()) return nullptr;`, `  return call.run([&] { return kernels::${name}(); });`);
    } else {
      lines.push(`  kernels::${structName(name)} a{};`);
      const checks = [...spec.args.map((arg, i) => `      !${reader(arg, i)}`), ...lengthChecks(name, spec)].join(" ||\n");
      lines.push(`  if (!call.ok() ||\n${checks})\n    return nullptr;`, `  return call.run([&] { return kernels::${name}(a); });`);
    }
    lines.push("}", "");
    out.push(guarded(spec, lines.join("\n")));
  }
  for (const backend of ["cuda", "cpu"] as const) {
    out.push(`${backend === "cuda" ? "#if defined(ASTARPO_CUDA)" : "#else"}`);
    out.push(`const char kSignatures[] =\n${kernelSignatures(backend).split("\n").map((l, i, all) => `    ${cString(l + (i < all.length - 1 ? "\n" : ""))}`).join("\n")};`);
  }
  out.push("#endif", "");
  out.push("napi_value signatures(napi_env env, napi_callback_info) {", "  napi_value s;",
    "  napi_create_string_utf8(env, kSignatures, NAPI_AUTO_LENGTH, &s);", "  return s;", "}", "");
  out.push("napi_value init(napi_env env, napi_value exports) {", "  const struct { const char* name; napi_callback fn; } entries[] = {");
  for (const [name, spec] of entries) out.push(guarded(spec, `      {${cString(name)}, ${name}Binding},\n`).trimEnd());
  out.push("      {\"kernelSignatures\", signatures},", "  };", "  for (const auto& e : entries) {", "    napi_value f;",
    "    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &f);", "    napi_set_named_property(env, exports, e.name, f);", "  }",
    "  return exports;", "}", "", "}  // namespace", "}  // namespace astarpo::binding", "", "NAPI_MODULE(NODE_GYP_MODULE_NAME, astarpo::binding::init)", "");
  return out.join("\n");
}

/** The generated files' paths (relative to the package root) and contents. */
export function generatedKernelSources(): Record<string, string> {
  return { [join("native", "kernels.gen.h")]: header(), [join("native", "binding.gen.cc")]: binding() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(import.meta.url), "..", "..");
  for (const [path, text] of Object.entries(generatedKernelSources())) {
    writeFileSync(join(root, path), text);
    console.log(`wrote ${path}`);
  }
}
