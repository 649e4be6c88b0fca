import { closeRedis, createRedis, pingWithin } from '@gavel/queue';
import { type Check, memoryCheck } from './doctor-checks.ts';

/** One line of CLUSTER NODES: `<id> <ip:port@bus[,hostname]> <flags> <master> … <slots…>`. */
export interface ClusterNodeLine {
  id: string;
  host: string;
  port: number;
  master: boolean;
  failed: boolean;
}

/** Parses CLUSTER NODES (skips lines it cannot read, and nodes without an address). */
export function parseClusterNodes(text: string): ClusterNodeLine[] {
  const out: ClusterNodeLine[] = [];
  for (const line of text.split('\n')) {
    const [id, address, flags] = line.trim().split(' ');
    if (!id || !address || !flags) continue;
    const match = /^(.*):(\d+)@/.exec(address);
    if (!match?.[1]) continue;
    const set = new Set(flags.split(','));
    out.push({
      id,
      host: match[1],
      port: Number(match[2]),
      master: set.has('master'),
      failed: set.has('fail') || set.has('noaddr'),
    });
  }
  return out;
}

interface NodeFacts {
  node: string;
  master: boolean;
  state: string;
  policy: string;
  aof: boolean;
  used: number;
  max: number;
}

async function factsOf(host: string, port: number, master: boolean): Promise<NodeFacts> {
  const redis = createRedis(`redis://${host}:${port}`, { role: 'client', connectionName: 'gavel-doctor' });
  redis.on('error', () => {});
  try {
    await pingWithin(redis, 5_000);
    const info = await redis.info();
    const field = (name: string): string => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? '';
    const state = /cluster_state:(\S+)/.exec(String(await redis.cluster('INFO')))?.[1] ?? '?';
    const policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1] ?? '?';
    return {
      node: `${host}:${port}`,
      master,
      state,
      policy,
      aof: field('aof_enabled') === '1',
      used: Number(field('used_memory') || 0),
      max: Number(field('maxmemory') || 0),
    };
  } finally {
    await closeRedis(redis);
  }
}

/**
 * Checks of a Redis Cluster (`GAVEL_REDIS_CLUSTER`): the nodes its seeds know (CLUSTER NODES), every
 * master reachable and none marked failed, `cluster_state:ok`, `noeviction` and AOF on every node
 * (replicas too: a promoted replica must hold the same promises), and the fullest node's memory.
 */
export async function clusterChecks(nodes: readonly { host: string; port: number }[]): Promise<Check[]> {
  const seeds = nodes.map((n) => `${n.host}:${n.port}`).join(',');
  let topology: ClusterNodeLine[] | undefined;
  let seedError = '';
  for (const seed of nodes) {
    const redis = createRedis(`redis://${seed.host}:${seed.port}`, { role: 'client', connectionName: 'gavel-doctor' });
    redis.on('error', () => {});
    try {
      await pingWithin(redis, 5_000);
      topology = parseClusterNodes(String(await redis.cluster('NODES')));
      break;
    } catch (error) {
      seedError = (error as Error).message;
    } finally {
      await closeRedis(redis);
    }
  }
  if (!topology || topology.length === 0) {
    return [
      {
        name: 'redis cluster',
        ok: false,
        detail: `no seed of GAVEL_REDIS_CLUSTER=${seeds} answers CLUSTER NODES (${seedError || 'not a cluster node'})`,
        fix: 'start the cluster (redis-server --cluster-enabled yes, then redis-cli --cluster create), or correct GAVEL_REDIS_CLUSTER',
      },
    ];
  }
  const facts: NodeFacts[] = [];
  const unreachable: string[] = [];
  const failed = topology.filter((n) => n.failed).map((n) => `${n.host}:${n.port}`);
  for (const node of topology.filter((n) => !n.failed)) {
    try {
      facts.push(await factsOf(node.host, node.port, node.master));
    } catch (error) {
      unreachable.push(`${node.host}:${node.port} (${(error as Error).message})`);
    }
  }
  const masters = facts.filter((f) => f.master);
  const down = [...failed.map((n) => `${n} (marked failed)`), ...unreachable];
  const checks: Check[] = [
    {
      name: 'redis cluster',
      ok: down.length === 0 && masters.length > 0,
      detail:
        down.length === 0
          ? `${masters.length} master(s) and ${facts.length - masters.length} replica(s) reachable`
          : `not reachable: ${down.join(', ')}`,
      fix: 'start the node again (or redis-cli --cluster del-node a node gone for good); until then its slots may be served by a promoted replica only',
    },
  ];
  const notOk = facts.filter((f) => f.state !== 'ok');
  checks.push({
    name: 'redis cluster_state',
    ok: notOk.length === 0 && facts.length > 0,
    detail: notOk.length === 0 ? 'ok on every node' : notOk.map((f) => `${f.node}: ${f.state}`).join(', '),
    fix: 'redis-cli --cluster check HOST:PORT, then --cluster fix: every slot needs a live master',
  });
  const evicting = facts.filter((f) => f.policy !== 'noeviction');
  checks.push({
    name: 'redis maxmemory-policy',
    ok: evicting.length === 0,
    detail:
      evicting.length === 0 ? 'noeviction on every node' : evicting.map((f) => `${f.node}: ${f.policy}`).join(', '),
    fix: 'redis-cli -h HOST -p PORT config set maxmemory-policy noeviction on each node (and in its redis.conf): evicted queue keys lose jobs',
  });
  const volatile = facts.filter((f) => !f.aof);
  checks.push({
    name: 'redis persistence',
    ok: volatile.length === 0,
    detail: volatile.length === 0 ? 'AOF on every node' : `AOF off on ${volatile.map((f) => f.node).join(', ')}`,
    fix: 'redis-cli -h HOST -p PORT config set appendonly yes on each node (and in its redis.conf): without AOF a crash loses queued work',
  });
  const fullest = [...facts].sort((a, b) => (b.max === 0 ? 1 : b.used / b.max) - (a.max === 0 ? 1 : a.used / a.max))[0];
  if (fullest) {
    const check = memoryCheck(fullest.used, fullest.max);
    checks.push({ ...check, detail: `${check.detail} on ${fullest.node} (the fullest node)` });
  }
  return checks;
}
