export { createFactsGrader, factScore, gradeFromFacts } from './facts-grader.ts';
export type { GradeInput, Grader } from './grader.ts';
export type { JudgeStageDeps } from './judge-stage.ts';
export { createJudgeStage } from './judge-stage.ts';
