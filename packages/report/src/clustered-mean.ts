/** A mean with its standard error. */
export interface MeanWithSe {
  n: number;
  mean: number | null;
  se: number | null;
  /** Number of clusters (distinct cluster keys). */
  clusters: number;
}

/**
 * The mean of `values` and its cluster-robust standard error, clustered by `clusters[i]` (the
 * unit of randomisation: the task). Following Miller (2024), "Adding Error Bars to Evals"
 * (arXiv 2411.00640, §2.3), the variance adds the within-cluster cross terms to the CLT variance;
 * the form used is the Liang–Zeger sandwich with the usual G/(G−1) small-sample factor (Stata's
 * `mean x, vce(cluster c)`):
 *
 *   SE² = G/(G−1) · (1/n²) · Σ_c ( Σ_{i∈c} (x_i − x̄) )²
 *
 * With one value per cluster this is exactly s²/n with the sample variance s² (denominator n−1),
 * so the same function gives the plain SE of a mean and, on per-pair differences, the paired SE
 * (sd of the differences / √n). The SE is null with fewer than two clusters.
 */
export function clusteredMean(values: readonly number[], clusters: readonly string[]): MeanWithSe {
  if (values.length !== clusters.length) throw new Error('clusteredMean: one cluster key per value');
  const n = values.length;
  const sums = new Map<string, number>();
  if (n === 0) return { n, mean: null, se: null, clusters: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  for (const [i, value] of values.entries()) {
    const key = clusters[i] as string;
    sums.set(key, (sums.get(key) ?? 0) + (value - mean));
  }
  const g = sums.size;
  if (g < 2) return { n, mean, se: null, clusters: g };
  let squares = 0;
  for (const sum of sums.values()) squares += sum * sum;
  const variance = (g / (g - 1)) * (squares / (n * n));
  return { n, mean, se: Math.sqrt(variance), clusters: g };
}
