// A process that starts a Docker sandbox (one execution slot, so one container is made ahead), runs one
// sample, closes the sandbox and returns: started by sandbox-close.test.ts, which expects it to exit
// by itself (nothing of the sandbox left holding its event loop).
import { createDockerSandbox, loadSandboxConfig } from '@gavel/sandbox';
import { canonicalSample, humanEvalProblems, limits } from './sandbox-fixtures.ts';

const sandbox = await createDockerSandbox(loadSandboxConfig(process.env));
const facts = await sandbox.codeFacts(
  canonicalSample(humanEvalProblems()[0] as never),
  limits(),
  AbortSignal.timeout(120_000),
);
await sandbox.close();
process.stdout.write(`${JSON.stringify({ passed: facts.tests?.passed })}\n`);
