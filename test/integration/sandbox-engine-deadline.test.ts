import { TransientError } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { type HungDockerEngine, startHungDockerEngine } from '../support/docker-proxy.ts';
import { canonicalSample, gavelContainers, humanEvalProblems, limits, sandboxConfig } from './sandbox-fixtures.ts';

// Every Docker engine call has a deadline (GAVEL_DOCKER_TIMEOUT_S): a hung engine fails the sample as
// transient (retried), never holds it for ever (issue 13, item 13). The hung engine is a socket of our
// own in front of the real one that swallows chosen requests.

let hung: HungDockerEngine | undefined;
let sandbox: DockerSandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  await hung?.stop();
  hung = undefined;
});

const sample = () => canonicalSample(humanEvalProblems()[0] as never);
const config = (url: string) => sandboxConfig({ GAVEL_DOCKER_HOST: url, GAVEL_DOCKER_TIMEOUT_S: '2' });

describe('a hung Docker engine', () => {
  it('one that accepts and never answers: starting the sandbox fails as transient, naming the call', async () => {
    hung = await startHungDockerEngine();
    const started = createDockerSandbox(config(hung.url));
    await expect(started).rejects.toBeInstanceOf(TransientError);
    await expect(started).rejects.toThrow(/Docker engine did not answer image inspect within 2000 ms/);
    expect(hung.swallowed[0]).toMatch(/^GET \/.*images\/.*\/json/);
  });

  it("one that hangs creating the sample's container: the sample fails as transient, naming the call", async () => {
    hung = await startHungDockerEngine(/^POST \S*\/containers\/create\?name=gavel-exec-/);
    const settings = { ...config(hung.url), concurrency: 1 };
    sandbox = await createDockerSandbox(settings);
    const run = sandbox.codeFacts(sample(), limits({ wall_s: 10 }), AbortSignal.timeout(120_000));
    await expect(run).rejects.toBeInstanceOf(TransientError);
    await expect(run).rejects.toThrow(/Docker engine did not answer create within 2000 ms/);
    // The sample's own create, and the one made ahead for the next sample (one execution slot).
    expect(hung.swallowed).toHaveLength(2);
    expect(hung.swallowed.every((request) => /containers\/create\?name=gavel-exec-/.test(request))).toBe(true);
  });

  it("one that never reports the sample's container exiting: after the wall limit and the grace, transient — not graded as timed out", async () => {
    hung = await startHungDockerEngine(/^POST \S*\/containers\/[0-9a-f]+\/wait/);
    sandbox = await createDockerSandbox(config(hung.url));
    const run = sandbox.codeFacts(sample(), limits({ wall_s: 3 }), AbortSignal.timeout(120_000));
    await expect(run).rejects.toBeInstanceOf(TransientError);
    await expect(run).rejects.toThrow(/Docker engine did not answer wait within 5000 ms/);
    await sandbox.close();
    sandbox = undefined;
    // The container was removed all the same (remove is not hung).
    expect(gavelContainers().filter((name) => name.startsWith('gavel-exec'))).toEqual([]);
  });
});
