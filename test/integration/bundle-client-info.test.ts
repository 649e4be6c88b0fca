import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { ioredisVersionPlugin } from '../../infra/bundle-ioredis-version.mjs';
import { COMPILED_GAVEL_CLI, ROOT } from '../support/gavel.ts';
import { readRespCommand } from '../support/resp-command.ts';

// What a bundled process tells Redis about its client library. ioredis sends `CLIENT SETINFO LIB-VER
// <its version>` on each connection (Redis ≥ 7.2 lists it in CLIENT LIST), read from its package.json
// beside its own __dirname; the Redis here (7.0) refuses SETINFO and MONITOR does not show a refused
// command, so the test listens itself: a loopback endpoint that speaks RESP and records what it is sent.

/** Every command a client sent, as arguments; answers +OK (INFO: a ready server) to each. */
function recordingEndpoint(): { server: Server; commands: string[][]; port: () => number } {
  const commands: string[][] = [];
  const server = createServer((socket: Socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      for (;;) {
        const parsed = readRespCommand(buffered);
        if (!parsed) break;
        buffered = buffered.subarray(parsed.next);
        commands.push(parsed.args);
        if (parsed.args[0]?.toLowerCase() === 'info') {
          const info = '# Server\r\nredis_version:7.2.4\r\n# Persistence\r\nloading:0\r\n';
          socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        } else {
          socket.write('+OK\r\n');
        }
      }
    });
  });
  return {
    server,
    commands,
    port: () => {
      const address = server.address();
      return typeof address === 'object' && address ? address.port : 0;
    },
  };
}

let child: ChildProcess | undefined;
let endpoint: ReturnType<typeof recordingEndpoint> | undefined;

afterEach(async () => {
  child?.kill('SIGKILL');
  await new Promise<void>((resolve) => (endpoint ? endpoint.server.close(() => resolve()) : resolve()));
});

describe('the bundled build’s Redis client', () => {
  it('tells Redis the version of the ioredis bundled into it', async () => {
    endpoint = recordingEndpoint();
    const listening = endpoint;
    await new Promise<void>((resolve) => listening.server.listen(0, '127.0.0.1', resolve));
    const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'ioredis', 'package.json'), 'utf8')) as {
      version: string;
    };
    child = spawn(process.execPath, [...COMPILED_GAVEL_CLI, 'status', 'client-info'], {
      env: { ...process.env, GAVEL_REDIS_URL: `redis://127.0.0.1:${listening.port()}`, GAVEL_LOG_LEVEL: 'error' },
      stdio: 'ignore',
    });
    const setinfo = (name: string): string[] | undefined =>
      listening.commands.find(
        (c) => c[0]?.toLowerCase() === 'client' && c[1]?.toLowerCase() === 'setinfo' && c[2]?.toUpperCase() === name,
      );
    await expect.poll(() => setinfo('LIB-VER'), { timeout: 15_000 }).toBeDefined();
    expect(setinfo('LIB-VER')?.[3]).toBe(version);
    expect(setinfo('LIB-NAME')?.[3]).toMatch(/^ioredis/);
  });
});

describe('the build’s ioredis version plugin', () => {
  it('fails the build, naming itself, when ioredis no longer reads its version the way it rewrites', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gavel-ioredis-plugin-'));
    try {
      const utils = join(dir, 'node_modules', 'ioredis', 'built', 'utils');
      mkdirSync(utils, { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'ioredis', 'package.json'), '{"version":"9.0.0"}');
      writeFileSync(
        join(utils, 'index.js'),
        'exports.getPackageMeta = async () => ({ version: require("../../package.json").version });',
      );
      writeFileSync(join(dir, 'entry.js'), 'require("./node_modules/ioredis/built/utils/index.js");');
      const built = build({
        absWorkingDir: dir,
        entryPoints: ['entry.js'],
        bundle: true,
        write: false,
        platform: 'node',
        logLevel: 'silent',
        plugins: [ioredisVersionPlugin()],
      });
      await expect(built).rejects.toThrow(
        /ioredis 9\.0\.0: getPackageMeta no longer reads package\.json as infra\/bundle-ioredis-version\.mjs expects/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
