import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './redis.ts';

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  dir: string;
  process: ChildProcess;
  /** Sends `signal` (SIGKILL: a crash) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface RedisCluster {
  nodes: ClusterNode[];
  /** `GAVEL_REDIS_CLUSTER`'s value: every node as host:port. */
  seeds: string;
  /** The node currently serving `key`'s slot as master (asks a live node). */
  masterOf(key: string): Promise<ClusterNode>;
  /** The replica of the master on `port` (from CLUSTER NODES). */
  replicaOf(port: number): Promise<ClusterNode>;
  /** Ports of the live masters, from CLUSTER NODES. */
  masters(): Promise<number[]>;
  /**
   * Resolves once every live node reports cluster_state:ok and the masters (every one not marked
   * failed) are `masters` live processes: after a master's SIGKILL, once its replica took over.
   */
  waitHealthy(masters: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function startNode(port: number, busPort: number, dir: string): Promise<ClusterNode> {
  await mkdir(dir, { recursive: true });
  const args = [
    '--port',
    String(port),
    '--cluster-port',
    String(busPort),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    // Short enough that a killed master's replica takes over in a few seconds.
    '--cluster-node-timeout',
    '2000',
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--protected-mode',
    'yes',
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${output}`)), 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start redis-server (run infra/bootstrap): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output}`));
    });
    const check = setInterval(() => {
      if (output.includes('Ready to accept connections')) {
        clearInterval(check);
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve();
      }
    }, 20);
  });
  return {
    port,
    dir,
    process: child,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

async function clusterNodes(port: number): Promise<string> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return String(await redis.cluster('NODES'));
  } finally {
    redis.disconnect();
  }
}

/**
 * A real Redis Cluster on free loopback ports: `masters` masters with `replicas` replica(s) each
 * (redis-server --cluster-enabled yes, AOF on, noeviction; redis-cli --cluster create), each
 * node with its own temp dir. `stop()` stops every node and removes the dirs.
 */
export async function startRedisCluster(options: { masters?: number; replicas?: number } = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const root = await mkdtemp(join(tmpdir(), 'gavel-cluster-'));
  const nodes: ClusterNode[] = [];
  const used = new Set<number>();
  const port = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i += 1) {
      const p = await port();
      nodes.push(await startNode(p, await port(), join(root, String(p))));
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
  } catch (error) {
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const live = (): ClusterNode[] => nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
  const cluster: RedisCluster = {
    nodes,
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    async masters() {
      const text = await clusterNodes((live()[0] as ClusterNode).port);
      return text
        .split('\n')
        .map((line) => line.split(' '))
        .filter((f) => f[2]?.split(',').includes('master') && !f[2].split(',').includes('fail'))
        .map((f) => Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]));
    },
    async replicaOf(masterPort) {
      const lines = (await clusterNodes((live()[0] as ClusterNode).port)).split('\n').map((line) => line.split(' '));
      const portOf = (f: string[]): number => Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]);
      const masterId = lines.find((f) => portOf(f) === masterPort)?.[0];
      const replicaPort = lines.find((f) => f[2]?.split(',').includes('slave') && f[3] === masterId);
      const node = replicaPort && nodes.find((n) => n.port === portOf(replicaPort));
      if (!node) throw new Error(`no replica of 127.0.0.1:${masterPort}`);
      return node;
    },
    async masterOf(key) {
      const probe = new Redis({ port: (live()[0] as ClusterNode).port, host: '127.0.0.1' });
      try {
        const slot = Number(await probe.cluster('KEYSLOT', key));
        const ranges = await probe.cluster('SLOTS');
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
        const node = nodes.find((n) => n.port === owner);
        if (!node) throw new Error(`no master serves slot ${slot} of ${key}`);
        return node;
      } finally {
        probe.disconnect();
      }
    },
    async waitHealthy(expectedMasters, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let healthy = true;
        for (const node of live()) {
          const probe = new Redis({
            port: node.port,
            host: '127.0.0.1',
            maxRetriesPerRequest: 1,
            retryStrategy: () => null,
          });
          probe.on('error', () => {});
          try {
            const info = String(await probe.cluster('INFO'));
            if (!info.includes('cluster_state:ok')) healthy = false;
          } catch {
            healthy = false;
          } finally {
            probe.disconnect();
          }
        }
        // A killed master stays listed (and its slots with it) until the others mark it failed.
        const livePorts = new Set(live().map((n) => n.port));
        const masterPorts = healthy ? await cluster.masters() : [];
        if (healthy && masterPorts.length === expectedMasters && masterPorts.every((p) => livePorts.has(p))) return;
        if (Date.now() > deadline) throw new Error(`the cluster did not become healthy in ${timeoutMs} ms`);
        await sleep(200);
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
      await rm(root, { recursive: true, force: true });
    },
  };
  await cluster.waitHealthy(masters);
  return cluster;
}
