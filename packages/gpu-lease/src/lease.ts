import { gpuLeaseKeyBase } from '@gavel/core';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { sleep } from './sleep.ts';

/**
 * Who owns the card: the interactive Ollama server, the vLLM batch server of the judge (`vllm`), or
 * a vLLM serving the system under test at full precision (`sut`, while generate jobs wait).
 */
export const GpuOwner = z.enum(['ollama', 'vllm', 'sut']);
export type GpuOwner = z.infer<typeof GpuOwner>;

/**
 * Where the owner stands: `handover` while the card is being made ready for it (the Ollama gate
 * already refuses loads, judge jobs do not run yet), `ready` when it may use the card, `draining`
 * while it is being stopped.
 */
export const LeasePhase = z.enum(['handover', 'ready', 'draining']);
export type LeasePhase = z.infer<typeof LeasePhase>;

/** The lease value stored in Redis (one key per GPU, with a TTL). */
export const LeaseRecord = z.object({
  holder: z.string().min(1),
  owner: GpuOwner,
  phase: LeasePhase,
  /** Fencing token: strictly increasing per GPU, a new one with every grant. */
  token: z.number().int().positive(),
  grantedAt: z.number(),
});
export type LeaseRecord = z.infer<typeof LeaseRecord>;

/** A grant as the holder keeps it; every action on the card presents it. */
export interface LeaseGrant {
  holder: string;
  owner: GpuOwner;
  phase: LeasePhase;
  token: number;
}

/** The lease is held by someone else, or a newer token exists: the presented grant is stale. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  readonly current: LeaseRecord | undefined;
  constructor(message: string, current: LeaseRecord | undefined) {
    super(message);
    this.current = current;
  }
}

export interface GpuLeaseKeys {
  lease: string;
  token: string;
  channel: string;
}

/**
 * Redis keys of one GPU's lease: `<prefix>:{gpu:<gpuId>}:lease|token|events`, under the GPU's own
 * hash tag so each lease script touches one cluster slot.
 */
export function gpuLeaseKeys(prefix: string, gpuId: string): GpuLeaseKeys {
  const base = gpuLeaseKeyBase(prefix, gpuId);
  return { lease: `${base}:lease`, token: `${base}:token`, channel: `${base}:events` };
}

// Every script returns {1, record} on success or {0, current record or ''} when refused.
const CHECK_HOLDER = `#!lua
local cur = redis.call('GET', KEYS[1])
if not cur then return {0, ''} end
local rec = cjson.decode(cur)
if rec.holder ~= ARGV[1] or tonumber(rec.token) ~= tonumber(ARGV[2]) then return {0, cur} end
`;

const SCRIPTS = {
  gavelLeaseAcquire: `#!lua
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
local token = redis.call('INCR', KEYS[2])
local rec = cjson.encode({holder=ARGV[1], owner=ARGV[2], phase=ARGV[3], token=token, grantedAt=tonumber(ARGV[5])})
redis.call('SET', KEYS[1], rec, 'PX', ARGV[4])
redis.call('PUBLISH', KEYS[3], rec)
return {1, rec}`,
  gavelLeaseTransfer: `${CHECK_HOLDER}
local token = redis.call('INCR', KEYS[2])
local nrec = cjson.encode({holder=ARGV[1], owner=ARGV[3], phase=ARGV[4], token=token, grantedAt=tonumber(ARGV[6])})
redis.call('SET', KEYS[1], nrec, 'PX', ARGV[5])
redis.call('PUBLISH', KEYS[3], nrec)
return {1, nrec}`,
  gavelLeaseSetPhase: `${CHECK_HOLDER}
rec.phase = ARGV[3]
local nrec = cjson.encode(rec)
redis.call('SET', KEYS[1], nrec, 'PX', ARGV[4])
redis.call('PUBLISH', KEYS[3], nrec)
return {1, nrec}`,
  gavelLeaseRenew: `${CHECK_HOLDER}
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, cur}`,
  gavelLeaseRelease: `${CHECK_HOLDER}
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', KEYS[3], '')
return {1, cur}`,
  gavelLeaseCheck: `${CHECK_HOLDER}
return {1, cur}`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptReply = [number, string];
type LeaseCommands = {
  [K in ScriptName]: (
    lease: string,
    token: string,
    channel: string,
    ...args: (string | number)[]
  ) => Promise<ScriptReply>;
};

function withCommands(redis: Redis | Cluster): (Redis | Cluster) & LeaseCommands {
  for (const [name, lua] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 3, lua });
  }
  return redis as (Redis | Cluster) & LeaseCommands;
}

/** Parses a stored lease value; '' or null means no lease. */
export function parseLeaseRecord(raw: string | null | undefined): LeaseRecord | undefined {
  if (!raw) return undefined;
  const parsed = LeaseRecord.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`malformed GPU lease value ${JSON.stringify(raw)}: ${parsed.error.message}`);
  return parsed.data;
}

function toGrant(record: LeaseRecord): LeaseGrant {
  return { holder: record.holder, owner: record.owner, phase: record.phase, token: record.token };
}

export interface GpuLeaseOptions {
  redis: Redis | Cluster;
  /** Key prefix. @default gavel */
  prefix?: string;
  gpuId: string;
  ttlMs: number;
  now?: () => number;
}

/**
 * The lease on one GPU in Redis. Acquire is set-if-absent with an expiry; renew, phase changes,
 * transfers to the other owner and release succeed only for the holder presenting the current
 * fencing token (compare in Lua, atomically). Every grant (acquire or transfer) increments the
 * per-GPU token (INCR on a key that never expires), so a holder paused past its expiry is refused
 * as soon as anyone else has been granted the card.
 */
export class GpuLease {
  readonly keys: GpuLeaseKeys;
  readonly ttlMs: number;
  private readonly redis: (Redis | Cluster) & LeaseCommands;
  private readonly now: () => number;

  constructor(options: GpuLeaseOptions) {
    this.redis = withCommands(options.redis);
    this.keys = gpuLeaseKeys(options.prefix ?? 'gavel', options.gpuId);
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  private async call(name: ScriptName, args: (string | number)[]): Promise<{ ok: boolean; record?: LeaseRecord }> {
    const [ok, raw] = await this.redis[name](this.keys.lease, this.keys.token, this.keys.channel, ...args);
    return { ok: ok === 1, record: parseLeaseRecord(raw) };
  }

  /** Grants the card to `owner` if nobody holds it; undefined when it is held. */
  async tryAcquire(holder: string, owner: GpuOwner, phase: LeasePhase = 'ready'): Promise<LeaseGrant | undefined> {
    const { ok, record } = await this.call('gavelLeaseAcquire', [holder, owner, phase, this.ttlMs, this.now()]);
    return ok && record ? toGrant(record) : undefined;
  }

  /** Waits (polling) until the lease is free or expired and takes it. */
  async acquire(
    holder: string,
    owner: GpuOwner,
    options: { signal: AbortSignal; pollMs?: number; phase?: LeasePhase },
  ): Promise<LeaseGrant> {
    for (;;) {
      options.signal.throwIfAborted();
      const grant = await this.tryAcquire(holder, owner, options.phase);
      if (grant) return grant;
      await sleep(options.pollMs ?? Math.max(50, Math.floor(this.ttlMs / 10)), options.signal);
    }
  }

  private refused(action: string, grant: LeaseGrant, current: LeaseRecord | undefined): LeaseLostError {
    const now = current
      ? `the lease is held by ${current.holder} (${current.owner}, token ${current.token})`
      : 'the lease has expired';
    return new LeaseLostError(
      `GPU lease ${action} refused for ${grant.holder} with fencing token ${grant.token}: ${now}`,
      current,
    );
  }

  /** Extends the expiry; throws {@link LeaseLostError} when the grant is no longer current. */
  async renew(grant: LeaseGrant): Promise<void> {
    const { ok, record } = await this.call('gavelLeaseRenew', [grant.holder, grant.token, this.ttlMs]);
    if (!ok) throw this.refused('renew', grant, record);
  }

  /** Hands the card to `owner` under a new (higher) token; the old grant stops being valid. */
  async transfer(grant: LeaseGrant, owner: GpuOwner, phase: LeasePhase): Promise<LeaseGrant> {
    const { ok, record } = await this.call('gavelLeaseTransfer', [
      grant.holder,
      grant.token,
      owner,
      phase,
      this.ttlMs,
      this.now(),
    ]);
    if (!ok || !record) throw this.refused(`transfer to ${owner}`, grant, record);
    return toGrant(record);
  }

  /** Moves the current owner to another phase (same token) and renews the expiry. */
  async setPhase(grant: LeaseGrant, phase: LeasePhase): Promise<LeaseGrant> {
    const { ok, record } = await this.call('gavelLeaseSetPhase', [grant.holder, grant.token, phase, this.ttlMs]);
    if (!ok || !record) throw this.refused(`phase ${phase}`, grant, record);
    return toGrant(record);
  }

  /** Compare-and-delete: only the holder with the current token can release. */
  async release(grant: LeaseGrant): Promise<void> {
    const { ok, record } = await this.call('gavelLeaseRelease', [grant.holder, grant.token]);
    if (!ok) throw this.refused('release', grant, record);
  }

  /**
   * The fencing check every action on the card makes first: throws {@link LeaseLostError} unless
   * `grant` is the current one.
   */
  async fence(grant: LeaseGrant, action: string): Promise<void> {
    const { ok, record } = await this.call('gavelLeaseCheck', [grant.holder, grant.token]);
    if (!ok) throw this.refused(action, grant, record);
  }

  async current(): Promise<LeaseRecord | undefined> {
    return parseLeaseRecord(await this.redis.get(this.keys.lease));
  }

  /** The last token granted on this GPU (0 when never granted). */
  async lastToken(): Promise<number> {
    return Number((await this.redis.get(this.keys.token)) ?? 0);
  }
}
