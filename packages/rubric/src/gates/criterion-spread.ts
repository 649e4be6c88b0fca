/** How a criterion's results spread over the calibration set. */
export interface CriterionSpread {
  id: string;
  weight: number;
  /** Samples (or pairs) whose verdict scored this criterion. */
  scored: number;
  /** Distinct results it got. */
  distinct: number;
  /** Weighted, scored and the same on every sample: it measures nothing. */
  constant: boolean;
}

/**
 * Each criterion's spread, from its results over the graded items (`resultsOf(id)`: a score, a pair
 * outcome — anything compared by identity).
 */
export function criterionSpreads(
  criteria: readonly { id: string; weight: number }[],
  resultsOf: (id: string) => readonly unknown[],
): CriterionSpread[] {
  return criteria.map((c) => {
    const results = resultsOf(c.id);
    const distinct = new Set(results).size;
    return {
      id: c.id,
      weight: c.weight,
      scored: results.length,
      distinct,
      constant: c.weight > 0 && results.length > 0 && distinct === 1,
    };
  });
}
