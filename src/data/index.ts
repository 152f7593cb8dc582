// Data: readers for JSONL and Parquet, row shapes, the GSM8K and MATH task
// adapters, built-in generated tasks, and seeded shuffles and splits.
export type { Example, Prompt, RowSource } from "./example.js";
export { describeSource, exampleId, renderPrompt, rewardColumns, shortHash } from "./example.js";
export { DataError, SkippedRows, type OnBadRow } from "./errors.js";
export { readRows, readJsonl, readParquet, readGivenRows, sourceName, type DataSource, type RawRow, type ReadOptions, type Rows } from "./readers/index.js";
export { SHAPE_NAMES, detectShape, mapRow, resolveMapping, type ColumnMapping, type RowFields, type ShapeName } from "./shapes.js";
export { datasetName, emptyReport, loadExamples, readExamples, type LoadOptions, type LoadReport, type PromptFormat } from "./dataset.js";
export { SeededRandom, shuffled } from "./random.js";
export { readSplitFile, splitByList, splitBySeed, type SeededSplitOptions, type Split } from "./split.js";
export type { FileTask, GroundTruth } from "./tasks/task.js";
export { GSM8K_INSTRUCTION, gsm8kFinalAnswer, gsm8kTask } from "./tasks/gsm8k.js";
export { MATH_INSTRUCTION, mathTask } from "./tasks/math.js";
export {
  builtinExamples,
  configure,
  markedAnswer,
  rewardFromChecker,
  rewardOf,
  type AnyBuiltinTask,
  type BuiltinStreamOptions,
  type BuiltinTask,
  type KnobValue,
  type Problem,
} from "./tasks/builtin.js";
export { arithmeticTask, checkArithmetic, type ArithmeticConfig } from "./tasks/arithmetic.js";
export { countdownTask, checkCountdown, evaluateExpression, type CountdownConfig } from "./tasks/countdown.js";
export { BUILTIN_REWARDS, BUILTIN_TASKS, FILE_TASKS, builtinTask, fileTask, isBuiltinTask } from "./tasks/index.js";
