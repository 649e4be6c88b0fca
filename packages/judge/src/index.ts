export { createFactsGrader, factScore, gradeFromFacts } from './facts-grader.ts';
export type { GradeInput, Grader } from './grader.ts';
