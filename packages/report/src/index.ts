export type { BestOfNChoice, BestOfNOptions, Candidate, Match, MatchOutcome, Plan } from './best-of-n.ts';
export { BEST_OF_N_DEFAULTS, chooseBestOfN, planBestOfN } from './best-of-n.ts';
export type { BestOfNSummary } from './best-of-n-record.ts';
export {
  BestOfNRunInfo,
  BestOfNTaskChoice,
  bestOfNSummary,
  formatBestOfNSummary,
  SampleBestOfN,
  sampleBestOfN,
} from './best-of-n-record.ts';
export type { BootstrapOptions } from './bootstrap.ts';
export type { Battle, BradleyTerryFit, BradleyTerryRating } from './bradley-terry.ts';
export { bradleyTerry, bradleyTerryRatings, eloScale } from './bradley-terry.ts';
export type { CompareOptions } from './compare.ts';
export { compareRuns } from './compare.ts';
export { Comparison, FlipEntry, RunFigures } from './comparison.ts';
export type { CritiqueSummary } from './critique-summary.ts';
export { critiqueSummary } from './critique-summary.ts';
export { formatComparison } from './format-comparison.ts';
export type { JudgeAgreement, JudgeRecheck } from './judge-agreement.ts';
export { judgeAgreement, pickEvenly } from './judge-agreement.ts';
export { junitXml } from './junit-xml.ts';
export { Z_975 } from './normal.ts';
export type { PairObservation } from './pair-observations.ts';
export { pairObservations } from './pair-observations.ts';
export type { Pairing } from './pairing.ts';
export { pairRuns } from './pairing.ts';
export type { PairwiseSummary } from './pairwise-summary.ts';
export { formatPairwiseSummary, pairwiseSummary } from './pairwise-summary.ts';
export type { TaskPassCounts } from './pass-at-k.ts';
export { meanPassAtK, passAtK, passCountsByTask } from './pass-at-k.ts';
export { reviewComparisonView } from './review-comparison.ts';
export { reviewCsv } from './review-csv.ts';
export type { ReviewComparisonView, ReviewPageInput } from './review-html.ts';
export { reviewHtml } from './review-html.ts';
export type { ReviewImageBytes, ReviewImageProblem } from './review-images.ts';
export { recordImageHashes, reviewImageUrls } from './review-images.ts';
export type { MatrixColumn, ReviewMatrix, RowTag } from './review-matrix.ts';
export { reviewMatrix } from './review-matrix.ts';
export { RubricMismatchError } from './rubric-check.ts';
export type { RunRecords } from './run-records.ts';
export { ExportRecord } from './run-records.ts';
export type { SignTest } from './sign-test.ts';
export { signTest } from './sign-test.ts';
export type { Mismatch } from './verify-mismatch.ts';
export { diffReasons, diffVerdict, formatMismatch } from './verify-mismatch.ts';
export type { VerifyCheck, VerifyReport } from './verify-report.ts';
export { formatVerifyReport, verifyExitCode } from './verify-report.ts';
export { wilsonInterval } from './wilson-interval.ts';
export type { WinRate } from './win-rate.ts';
export { winRate } from './win-rate.ts';
