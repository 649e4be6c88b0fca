import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts';
import { gavel } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// `gavel doctor` reads the design layer's Ollama (/api/ps, /api/show) and says when the loaded context
// or the resident models differ from what gavel needs: a fake Ollama speaking the documented API.

let redis: RedisServer;
let ollama: FakeOllama;

async function load(model: string, numCtx?: number): Promise<void> {
  const res = await fetch(`${ollama.url}/api/generate`, {
    method: 'POST',
    body: JSON.stringify({ model, keep_alive: -1, ...(numCtx ? { options: { num_ctx: numCtx } } : {}) }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await ollama?.stop();
  await redis?.stop();
});

function doctor() {
  return gavel(['doctor'], {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_OLLAMA_URL: ollama.url,
    GAVEL_DESIGN_MODELS: 'judge-model,coder-7b',
    GAVEL_DESIGN_CONTEXT: '16384',
  });
}

describe('gavel doctor and the design-layer Ollama', () => {
  it('passes with both models resident at 16,384 tokens', async () => {
    ollama = await startFakeOllama({ models: [{ name: 'judge-model' }, { name: 'coder-7b' }], defaultContext: 4096 });
    await load('judge-model', 16384);
    await load('coder-7b', 16384);
    const r = await doctor();
    expect(r.stdout).toMatch(/^ok {3}ollama resident models: 2 loaded \(judge-model:latest, coder-7b:latest\)/m);
    expect(r.stdout).toMatch(/^ok {3}ollama context judge-model: loaded with 16384 tokens \(needs 16384\)$/m);
    expect(r.stdout).toMatch(/^ok {3}ollama model coder-7b: trained context 131072 \(needs 16384\)$/m);
    await ollama.stop();
  });

  it("warns when a model runs at the server's small default context, and when one was evicted", async () => {
    // OLLAMA_MAX_LOADED_MODELS=1: loading the second model unloads the first.
    ollama = await startFakeOllama({
      models: [{ name: 'judge-model' }, { name: 'coder-7b', trainedContext: 8192 }],
      defaultContext: 4096,
      maxLoadedModels: 1,
    });
    await load('judge-model', 16384);
    await load('coder-7b');
    const r = await doctor();
    expect(r.code, 'the Ollama checks are advisory').toBe(0);
    expect(r.stdout).toMatch(
      /^warn ollama resident models: 1 loaded \(coder-7b:latest\); the design layer wants judge-model \+ coder-7b — fix: set OLLAMA_MAX_LOADED_MODELS=2/m,
    );
    expect(r.stdout).toMatch(
      /^warn ollama context coder-7b: loaded with 4096 tokens \(needs 16384\) — fix: set OLLAMA_CONTEXT_LENGTH=16384/m,
    );
    expect(r.stdout).toMatch(/^warn ollama model coder-7b: trained context 8192 \(needs 16384\)/m);
    expect(r.stdout).not.toMatch(/ollama context judge-model/);
  });

  it('says so when the Ollama cannot be reached', async () => {
    await ollama.stop();
    const r = await doctor();
    expect(r.stdout).toMatch(/^warn ollama: http:\/\/127\.0\.0\.1:\d+ unreachable/m);
  });
});
