export { writeReport, comparisonReport, readComparison, type Comparison } from "./report.js";
export { comparisonCharts, type Chart, type ChartSeries } from "./charts.js";
export { claimLine } from "./claim.js";
export { comparisonTable } from "./table.js";
