/**
 * A fake `vllm serve` *process* for the gpu-agent tests: it claims VRAM first (as vLLM does while
 * loading weights and pre-allocating the KV cache at --gpu-memory-utilization), then after a
 * configurable start delay serves the OpenAI-compatible fake (`/health`, `/v1/*`) on --port.
 * The VRAM it holds is a `<pid>-vllm.mib` file in --vram-dir, read by the fake nvidia-smi (and
 * freed when this process dies, however it dies). SIGTERM: graceful stop after --stop-delay-ms.
 *
 *   node --import tsx test/fakes/fake-vllm.ts --port 8000 [--vram-dir D] [--vram-mib 29000]
 *        [--start-delay-ms 0] [--fail-start-after-ms N] [--crash-after-ms N] [--ignore-sigterm]
 *        [--stop-delay-ms 0] [--fail-first N] [--malform-first N] [--flip-rate P] [--model NAME]
 *        [vLLM flags, ignored: --kv-cache-dtype fp8 …]
 *
 * --fail-first N: the first N completion requests answer 503 with `Retry-After: 1` (a server
 * still warming up), so a judge with a short GAVEL_JUDGE_WAIT_S hands its job back for a retry;
 * --malform-first N: the N completions after those answer text that is not JSON. Both happen once
 * per --vram-dir (a marker file there), not again when the agent starts vLLM a second time.
 * --flip-rate P: an answer sampled at temperature > 0 flips its verdict with probability P (seeded;
 * factsPolicy's flipRate), so self-consistency disagrees and some samples go to the arbiter.
 * --model NAME: the served model name (default judge-model).
 * --sut: serve a system under test instead of a judge: each completion answers plain text naming
 * the prompt and seed (no judge policy, no schema).
 * --requests-log FILE: append one JSON line per completion asked ({model, seed, prompt, at}), so a
 * test can tell which server was asked what, and when, across restarts of this process.
 */
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { factsPolicy, type JudgePolicy } from './fake-judge-policy.ts';
import { startFakeVllm } from './vllm-server.ts';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string, fallback: number): number => Number(flag(name) ?? fallback);

const port = num('port', 8000);
const vramDir = flag('vram-dir');
const vramMib = num('vram-mib', 29_000);
const startDelayMs = num('start-delay-ms', 0);
const failStartAfterMs = flag('fail-start-after-ms');
const crashAfterMs = flag('crash-after-ms');
const stopDelayMs = num('stop-delay-ms', 0);
const ignoreSigterm = process.argv.includes('--ignore-sigterm');
const failFirst = num('fail-first', 0);
const malformFirst = num('malform-first', 0);
const flipRate = num('flip-rate', 0);
const model = flag('model');
const sut = process.argv.includes('--sut');
const requestsLog = flag('requests-log');
const vramFile = vramDir ? join(vramDir, `${process.pid}-vllm.mib`) : undefined;

const freeVram = (): void => {
  if (vramFile) rmSync(vramFile, { force: true });
};
const log = (msg: string): void => {
  process.stderr.write(`fake-vllm[${process.pid}]: ${msg}\n`);
};

if (vramFile) writeFileSync(vramFile, String(vramMib));
log(`loading model, holding ${vramMib} MiB`);

if (failStartAfterMs !== undefined) {
  setTimeout(() => {
    log('RuntimeError: CUDA out of memory while allocating the KV cache');
    freeVram();
    process.exit(1);
  }, Number(failStartAfterMs));
} else {
  setTimeout(() => {
    const base: JudgePolicy = sut
      ? (request) => `completion of ${JSON.stringify(request.messages.at(-1)?.content ?? '')} at seed ${request.seed}`
      : factsPolicy({ flipRate });
    const policy: JudgePolicy = (request) => {
      if (requestsLog) {
        const prompt = request.messages.at(-1)?.content ?? '';
        appendFileSync(
          requestsLog,
          `${JSON.stringify({ model: request.model, seed: request.seed, prompt, at: Date.now() })}\n`,
        );
      }
      return base(request);
    };
    void startFakeVllm({ port, record: false, policy, ...(model ? { model } : {}) }).then((fake) => {
      const marker = vramDir ? join(vramDir, 'faults-injected') : undefined;
      if ((failFirst > 0 || malformFirst > 0) && !(marker && existsSync(marker))) {
        if (marker) writeFileSync(marker, '');
        if (failFirst > 0) fake.failNext(failFirst, 503, 1);
        if (malformFirst > 0) fake.malformNext(malformFirst);
      }
      log(`serving on 127.0.0.1:${port}`);
      if (crashAfterMs !== undefined) {
        setTimeout(() => {
          log('crashed (simulated CUDA error)');
          freeVram();
          process.exit(134);
        }, Number(crashAfterMs));
      }
    });
  }, startDelayMs);
}

process.on('SIGTERM', () => {
  if (ignoreSigterm) {
    log('ignoring SIGTERM');
    return;
  }
  log('SIGTERM: shutting down');
  setTimeout(() => {
    freeVram();
    process.exit(0);
  }, stopDelayMs);
});
