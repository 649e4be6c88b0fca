import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The gavel metric catalog on one dedicated registry (never a sample id as a label). */
export function createMetrics(registry: Registry = new Registry()) {
  const on = [registry];
  return {
    registry,
    jobsCompleted: new Counter({
      name: 'gavel_stage_jobs_completed_total',
      help: 'Stage jobs completed',
      labelNames: ['stage'],
      registers: on,
    }),
    jobsFailed: new Counter({
      name: 'gavel_stage_jobs_failed_total',
      help: 'Stage jobs failed for good',
      labelNames: ['stage', 'code'],
      registers: on,
    }),
    jobsRetried: new Counter({
      name: 'gavel_stage_jobs_retried_total',
      help: 'Stage job attempts that will be retried',
      labelNames: ['stage'],
      registers: on,
    }),
    jobDuration: new Histogram({
      name: 'gavel_stage_job_duration_seconds',
      help: 'Stage job processing time',
      labelNames: ['stage'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: on,
    }),
    queueDepth: new Gauge({
      name: 'gavel_queue_depth',
      help: 'Jobs per queue state',
      labelNames: ['stage', 'state'],
      registers: on,
    }),
    oldestWaitingAge: new Gauge({
      name: 'gavel_queue_oldest_waiting_age_seconds',
      help: 'Age of the oldest waiting job',
      labelNames: ['stage'],
      registers: on,
    }),
    judgeInflight: new Gauge({
      name: 'gavel_judge_inflight_requests',
      help: 'Judge requests in flight',
      registers: on,
    }),
    tokens: new Counter({
      name: 'gavel_tokens_total',
      help: 'Tokens by path and kind',
      labelNames: ['path', 'kind'],
      registers: on,
    }),
    costUsd: new Counter({
      name: 'gavel_cost_usd_total',
      help: 'Cost in USD by path',
      labelNames: ['path'],
      registers: on,
    }),
    costOnDemandUsd: new Counter({
      name: 'gavel_cost_on_demand_uncached_usd_total',
      help: 'What the same work would cost on demand, uncached',
      labelNames: ['path'],
      registers: on,
    }),
    verdicts: new Counter({
      name: 'gavel_verdicts_total',
      help: 'Final verdicts',
      labelNames: ['outcome', 'source'],
      registers: on,
    }),
    routeReasons: new Counter({
      name: 'gavel_route_reasons_total',
      help: 'Routing reasons',
      labelNames: ['reason'],
      registers: on,
    }),
    sandboxOutcomes: new Counter({
      name: 'gavel_sandbox_outcomes_total',
      help: 'Sandbox run outcomes',
      labelNames: ['outcome'],
      registers: on,
    }),
    runSamples: new Gauge({
      name: 'gavel_run_samples',
      help: 'Samples per run',
      labelNames: ['run_id'],
      registers: on,
    }),
    runFinal: new Gauge({
      name: 'gavel_run_final_verdicts',
      help: 'Samples with a final verdict per run',
      labelNames: ['run_id'],
      registers: on,
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
