import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadBaseConfig, withoutPassword } from '@gavel/core';
import { closeRedis, createRedis, type RedisTarget, redisTarget } from '@gavel/queue';
import { type Check, memoryCheck } from './doctor-checks.ts';
import { clusterChecks } from './doctor-cluster.ts';
import { loadDesignConfig, ollamaChecks } from './ollama-checks.ts';

export type { Check } from './doctor-checks.ts';
export { memoryCheck } from './doctor-checks.ts';

const run = promisify(execFile);

/**
 * Checks of the Redis a run depends on: reachable, noeviction, persistent — one Redis by URL, or
 * every node of a Redis Cluster (see {@link clusterChecks}).
 */
export async function redisChecks(target: string | RedisTarget): Promise<Check[]> {
  if (typeof target !== 'string' && target.kind === 'cluster') return clusterChecks(target.nodes);
  const url = typeof target === 'string' ? target : target.url;
  const redis = createRedis(url, { role: 'client', connectionName: 'gavel-doctor' });
  redis.on('error', () => {});
  const shown = withoutPassword(url);
  try {
    const version = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
    const checks: Check[] = [{ name: 'redis', ok: true, detail: `${shown} reachable (Redis ${version})` }];
    const policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1] ?? '?';
    checks.push({
      name: 'redis maxmemory-policy',
      ok: policy === 'noeviction',
      detail: policy,
      fix: 'redis-cli config set maxmemory-policy noeviction (and set it in redis.conf): evicted queue keys lose jobs',
    });
    const persistence = await redis.info('persistence');
    const aof = /aof_enabled:1/.test(persistence);
    const save = ((await redis.config('GET', 'save')) as string[])[1] ?? '';
    checks.push({
      name: 'redis persistence',
      ok: aof,
      detail: aof ? 'AOF on' : save ? `AOF off (RDB snapshots "${save}" only)` : 'none',
      fix: 'redis-cli config set appendonly yes (and appendonly yes in redis.conf): without AOF a crash loses queued work',
    });
    const memory = await redis.info('memory');
    const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(memory)?.[1] ?? 0);
    checks.push(memoryCheck(field('used_memory'), field('maxmemory')));
    return checks;
  } catch (error) {
    return [
      {
        name: 'redis',
        ok: false,
        detail: `${shown} unreachable (${(error as Error).message})`,
        fix: 'bash infra/bootstrap starts a local Redis, or set GAVEL_REDIS_URL',
      },
    ];
  } finally {
    await closeRedis(redis);
  }
}

/** Checks of the Docker engine and the sandbox image. */
export async function dockerChecks(): Promise<Check[]> {
  try {
    const { stdout } = await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 10_000 });
    const checks: Check[] = [{ name: 'docker engine', ok: true, detail: `running (${stdout.trim()})` }];
    const images = await run('docker', ['image', 'ls', 'gavel-sandbox', '--format', '{{.Repository}}:{{.Tag}}'], {
      timeout: 10_000,
    });
    const tags = images.stdout.trim().split('\n').filter(Boolean);
    checks.push({
      name: 'sandbox image',
      ok: tags.length > 0,
      detail: tags.length > 0 ? tags.join(', ') : 'missing',
      fix: 'bash infra/bootstrap-docker (builds gavel-sandbox offline from Debian packages)',
    });
    return checks;
  } catch (error) {
    return [
      {
        name: 'docker engine',
        ok: false,
        detail: `not reachable (${(error as Error).message.split('\n')[0]})`,
        fix: 'bash infra/bootstrap-docker installs docker.io and starts dockerd (needed for code samples only)',
      },
    ];
  }
}

/** `gavel doctor`: one line per check, with the fix; exit 1 when a required check fails. */
export async function doctorCommand(): Promise<void> {
  const config = loadBaseConfig(process.env);
  const design = loadDesignConfig(process.env);
  const checks = [...(await redisChecks(redisTarget(config))), ...(await dockerChecks())];
  // The design layer's Ollama, when one is named (GAVEL_DESIGN_MODELS).
  if (design.GAVEL_DESIGN_MODELS.length > 0) checks.push(...(await ollamaChecks(design)));
  let failed = 0;
  for (const check of checks) {
    const required = check.name.startsWith('redis') && !check.advisory;
    if (!check.ok && required) failed += 1;
    const mark = check.ok ? 'ok  ' : required ? 'FAIL' : 'warn';
    process.stdout.write(
      `${mark} ${check.name}: ${check.detail}${check.ok || !check.fix ? '' : ` — fix: ${check.fix}`}\n`,
    );
  }
  if (failed > 0) process.exitCode = 1;
}
