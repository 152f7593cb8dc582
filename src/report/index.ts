export { writeReport, comparisonReport, readComparison, type Comparison } from "./report.js";
export { comparisonCharts, type Chart, type ChartSeries } from "./charts.js";
export { checkClaim, claimLine, claimVerdict, type ClaimCheck } from "./claim.js";
export { comparisonTable } from "./table.js";
