import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The gavel metric catalog on one dedicated registry (never a sample id as a label). */
export function createMetrics(registry: Registry = new Registry()) {
  const on = [registry];
  let inflightSource: () => number = () => 0;
  return {
    /** Where `gavel_judge_inflight_requests` is read from (the judge's in-flight limiter). */
    setJudgeInflightSource(source: () => number): void {
      inflightSource = source;
    },
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
      help: 'Judge requests in flight in this process (read from its in-flight limiter at scrape)',
      registers: on,
      collect() {
        this.set(inflightSource());
      },
    }),
    judgeTokens: new Counter({
      name: 'gavel_judge_tokens_total',
      help: 'Local judge tokens by type (input, output, cache_read), from the usage the server reported',
      labelNames: ['type'],
      registers: on,
    }),
    verdicts: new Counter({
      name: 'gavel_verdicts_total',
      help: 'Final verdicts by outcome (pass, fail) and who decided (facts, judge, arbiter)',
      labelNames: ['outcome', 'source'],
      registers: on,
    }),
    routeReasons: new Counter({
      name: 'gavel_route_reasons_total',
      help: 'Why the judge sent a sample to the arbiter (one count per reason)',
      labelNames: ['reason'],
      registers: on,
    }),
    sandboxOutcomes: new Counter({
      name: 'gavel_sandbox_outcomes_total',
      help: 'Code sample outcomes in the sandbox (passed, failed, timeout, oom, output_truncated, no_report)',
      labelNames: ['outcome'],
      registers: on,
    }),
    generateCompletions: new Counter({
      name: 'gavel_generate_completions_total',
      help: 'SUT completions stored, by finish reason and how obtained (request, adopted after a crash, batch)',
      labelNames: ['finish_reason', 'via'],
      registers: on,
    }),
    generateReasked: new Counter({
      name: 'gavel_generate_reasked_total',
      help: 'SUT completions asked for again because a crash lost an answer the server could not give back',
      registers: on,
    }),
    generateTokens: new Counter({
      name: 'gavel_generate_tokens_total',
      help: 'SUT tokens by type (prompt, completion), from the usage the server reported',
      labelNames: ['type'],
      registers: on,
    }),
    generateCost: new Counter({
      name: 'gavel_generate_cost_usd_total',
      help: 'What the SUT completions cost, from the price table',
      registers: on,
    }),
    runSamples: new Gauge({
      name: 'gavel_run_samples',
      help: 'Samples in each of the most recent runs',
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
