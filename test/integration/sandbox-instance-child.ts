// A sandbox instance in a process of its own (started by sandbox-orphan-sweep.test.ts, possibly in its
// own PID namespace, as a worker in a container is): it starts a Docker sandbox, runs one sample so its
// analysis container exists, prints its instance id and process id as one JSON line, and waits.
import { createDockerSandbox, loadSandboxConfig } from '@gavel/sandbox';
import { canonicalSample, humanEvalProblems, limits } from './sandbox-fixtures.ts';

const sandbox = await createDockerSandbox(loadSandboxConfig(process.env), undefined, {
  leaseTtlS: Number(process.env.LEASE_TTL_S ?? 60),
});
await sandbox.codeFacts(canonicalSample(humanEvalProblems()[0] as never), limits(), AbortSignal.timeout(120_000));
const { instance } = await sandbox.describe();
process.stdout.write(`${JSON.stringify({ instance, pid: process.pid })}\n`);
setInterval(() => {}, 60_000);
