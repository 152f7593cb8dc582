// Small file helpers every layer may use: crash-safe writes and JSON files.
export { stageFile, syncFolder, writeFileAtomic, writeFully, type StagedFile } from "./atomic-file.js";
export { readJsonObject, readOptionalJsonObject, writeJsonAtomic, type JsonObject } from "./json-file.js";
export { packageRoot } from "./package-root.js";
