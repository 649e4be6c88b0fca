import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { loadArbiterConfig } from '@gavel/arbiter';
import { loadBaseConfig, parseEnv } from '@gavel/core';
import { loadSutConfig } from '@gavel/generate';
import { loadGpuAgentConfig, loadJudgeGateConfig } from '@gavel/gpu-lease';
import { loadJudgeConfig } from '@gavel/judge';
import { loadSandboxConfig } from '@gavel/sandbox';
import { beforeAll, describe, expect, it } from 'vitest';
// biome-ignore lint/correctness/noUndeclaredDependencies: hoisted from @gavel/rubric (root package.json declares none)
import { parse as parseYaml } from 'yaml';
import { ApiEnv, apiSecurityFor } from '../../apps/api/src/api-config.ts';
import { BoardEnv, boardAuthFor } from '../../apps/board/src/board-config.ts';

/**
 * infra/docker-compose.yml as Docker sees it (`docker-compose config`), checked with the apps' own
 * configuration loaders, against infra/prometheus.yml, infra/otel-collector.yaml and grafana/.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const COMPOSE_FILE = join(ROOT, 'infra/docker-compose.yml');

/** Placeholders for the variables infra/.env must set; they exist only in the child's environment. */
const SITE_ENV = {
  ANTHROPIC_API_KEY: 'sk-ant-placeholder-for-the-infra-test',
  GAVEL_BOARD_USER: 'operator',
  GAVEL_BOARD_PASSWORD: 'placeholder-board-password',
  GAVEL_API_TOKEN: 'placeholder-api-token-for-the-infra-test',
  GRAFANA_ADMIN_PASSWORD: 'placeholder-grafana-password',
  GAVEL_SANDBOX_IMAGE: 'gavel-sandbox:infra-test',
  DOCKER_GID: '4242',
};

type Env = Record<string, string>;
interface Service {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | null> | string[];
  ports?: (string | { target: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, unknown>;
  group_add?: (string | number)[];
  stop_grace_period?: string;
  deploy?: {
    resources?: {
      reservations?: { devices?: { driver?: string; device_ids?: string[]; capabilities?: string[] }[] };
    };
  };
}
interface Compose {
  services: Record<string, Service>;
}

function composeBinary(): string[] {
  for (const candidate of [['docker-compose'], ['docker', 'compose']]) {
    const [bin, ...args] = candidate as [string, ...string[]];
    const probe = spawnSync(bin, [...args, 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  throw new Error('neither docker-compose nor `docker compose` found: bash infra/bootstrap --with-test-tools');
}

function renderCompose(): Compose {
  const [bin, ...args] = composeBinary() as [string, ...string[]];
  // Only PATH and the placeholders: the developer's own GAVEL_* variables must not leak into the render.
  const result = spawnSync(bin, [...args, '-f', COMPOSE_FILE, 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...SITE_ENV },
  });
  if (result.status !== 0) throw new Error(`docker-compose config failed:\n${result.stderr}`);
  return parseYaml(result.stdout) as Compose;
}

function envOf(service: Service): Env {
  const env: Env = {};
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    for (const line of raw) {
      const eq = line.indexOf('=');
      env[eq < 0 ? line : line.slice(0, eq)] = eq < 0 ? '' : line.slice(eq + 1);
    }
  } else {
    for (const [key, value] of Object.entries(raw)) env[key] = value === null ? '' : String(value);
  }
  return env;
}

function commandOf(service: Service): string[] {
  const c = service.command ?? [];
  return Array.isArray(c) ? c : c.split(/\s+/);
}

/** The app a service runs (`node apps/<app>/bundle/main.js`), if it is a gavel service. */
function appOf(service: Service): string | undefined {
  return commandOf(service)
    .map((arg) => /^apps\/([^/]+)\/bundle\/main\.js$/.exec(arg)?.[1])
    .find(Boolean);
}

/** Published ports as { hostIp, published, target }. */
function portsOf(service: Service): { hostIp: string; published: number; target: number }[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'string') {
      const parts = p.replace(/\/(tcp|udp)$/, '').split(':');
      const [hostIp, published, target] = parts.length === 3 ? parts : ['0.0.0.0', ...parts];
      return { hostIp: hostIp ?? '', published: Number(published), target: Number(target) };
    }
    return { hostIp: p.host_ip ?? '0.0.0.0', published: Number(p.published), target: p.target };
  });
}

/** Mounts as { source, target } (bind sources absolute, volume names as they are). */
function mountsOf(service: Service): { source: string; target: string }[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    }
    return { source: v.source ?? '', target: v.target };
  });
}

function dependsOn(service: Service): string[] {
  const d = service.depends_on ?? [];
  return Array.isArray(d) ? d : Object.keys(d);
}

function seconds(duration: string | undefined): number {
  const m = /^(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(duration ?? '');
  if (!duration || !m) return 10; // Docker's default grace period
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

/** `--flag value` from an argv. */
function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
}

interface PromConfig {
  scrape_configs: {
    job_name: string;
    static_configs?: { targets: string[] }[];
    file_sd_configs?: { files: string[] }[];
  }[];
}

let compose: Compose;
let services: Record<string, Service>;
let gavel: Map<string, { service: Service; env: Env }>;
let prom: PromConfig;
let staticTargets: Set<string>;

beforeAll(() => {
  compose = renderCompose();
  services = compose.services;
  gavel = new Map();
  for (const service of Object.values(services)) {
    const app = appOf(service);
    if (app) gavel.set(app, { service, env: envOf(service) });
  }
  const promMount = mountsOf(services.prometheus ?? {}).find((m) => m.target.endsWith('prometheus.yml'));
  if (!promMount) throw new Error('the prometheus service mounts no prometheus.yml');
  prom = parseYaml(readFileSync(promMount.source, 'utf8')) as PromConfig;
  staticTargets = new Set(prom.scrape_configs.flatMap((job) => (job.static_configs ?? []).flatMap((s) => s.targets)));
});

/** The compose service name that runs an app. */
function serviceName(app: string): string {
  const entry = Object.entries(services).find(([, s]) => appOf(s) === app);
  if (!entry) throw new Error(`no compose service runs apps/${app}`);
  return entry[0];
}

function gavelService(app: string): { service: Service; env: Env } {
  const found = gavel.get(app);
  if (!found) throw new Error(`no compose service runs apps/${app}`);
  return found;
}

describe('infra/docker-compose.yml', () => {
  it('runs every app that has a main (but the CLI), each bundled on plain Node from the gavel image', () => {
    const apps = readdirSync(join(ROOT, 'apps')).filter(
      (app) => app !== 'cli' && existsSync(join(ROOT, 'apps', app, 'src/main.ts')),
    );
    expect([...gavel.keys()].sort()).toEqual(apps.sort());
    for (const [app, { service }] of gavel) {
      expect(commandOf(service), app).toEqual(['node', `apps/${app}/bundle/main.js`]);
    }
  });

  it('every gavel service loads with the base config: the shared Redis, a shutdown inside the grace period', () => {
    for (const [app, { service, env }] of gavel) {
      const config = loadBaseConfig(env);
      const redis = new URL(config.GAVEL_REDIS_URL);
      expect(Object.keys(services), `${app}: GAVEL_REDIS_URL host`).toContain(redis.hostname);
      expect(dependsOn(service), app).toContain(redis.hostname);
      expect(config.GAVEL_SHUTDOWN_TIMEOUT_S, `${app}: stop_grace_period`).toBeLessThan(
        seconds(service.stop_grace_period),
      );
      if (env.OTEL_EXPORTER_OTLP_ENDPOINT) {
        expect(Object.keys(services), `${app}: OTLP endpoint`).toContain(
          new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT).hostname,
        );
      }
    }
  });

  it('redis keeps every key: AOF on and maxmemory-policy noeviction', () => {
    const argv = commandOf(services.redis ?? {});
    expect(argv[0]).toBe('redis-server');
    expect(flag(argv, '--appendonly')).toBe('yes');
    expect(flag(argv, '--maxmemory-policy')).toBe('noeviction');
    expect(mountsOf(services.redis ?? {}).map((m) => m.target)).toContain('/data');
  });

  it('publishes ports on loopback only', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of portsOf(service)) expect(port.hostIp, `${name}:${port.published}`).toBe('127.0.0.1');
    }
    expect(portsOf(services.ollama ?? {}), 'Ollama is reached through the gpu-agent gate').toEqual([]);
  });

  it("ollama: the design layer's VRAM settings (flash attention, q8_0 KV cache, 16,384 context, two models)", () => {
    const env = envOf(services.ollama ?? {});
    expect(env.OLLAMA_FLASH_ATTENTION).toBe('1');
    expect(env.OLLAMA_KV_CACHE_TYPE).toBe('q8_0');
    expect(env.OLLAMA_CONTEXT_LENGTH).toBe('16384');
    expect(env.OLLAMA_MAX_LOADED_MODELS).toBe('2');
  });

  it('worker-generate: no SUT unless infra/.env names one; with one, its config loads', () => {
    const { env } = gavelService('worker-generate');
    expect(loadSutConfig(env)).toBeUndefined();
    const sut = { GAVEL_SUT_URL: 'http://vllm-sut:8000/v1', GAVEL_SUT_MODEL: 'm' };
    expect(loadSutConfig({ ...env, ...sut })).toMatchObject({ url: 'http://vllm-sut:8000', model: 'm' });
    // The in-flight bound, the deadline and batch mode's settings reach the worker, at the defaults
    // README gives when infra/.env does not set them.
    for (const name of [
      'GAVEL_SUT_INFLIGHT',
      'GAVEL_SUT_TIMEOUT_S',
      'GAVEL_SUT_BATCH_WINDOW_S',
      'GAVEL_SUT_BATCH_MAX_REQUESTS',
      'GAVEL_SUT_BATCH_POLL_S',
      'GAVEL_SUT_BATCH_MAX_RESUBMITS',
    ])
      expect(env[name], name).toBeDefined();
    const { GAVEL_SUT_INFLIGHT: _i, GAVEL_SUT_TIMEOUT_S: _t, ...withoutThem } = env;
    const unset = Object.fromEntries(Object.entries(withoutThem).filter(([k]) => !k.startsWith('GAVEL_SUT_BATCH_')));
    expect(loadSutConfig({ ...env, ...sut })).toEqual(loadSutConfig({ ...unset, ...sut }));
  });

  it('worker-sandbox: docker sandbox with the image from infra/.env and the host engine socket', () => {
    const { service, env } = gavelService('worker-sandbox');
    const sandbox = loadSandboxConfig(env);
    expect(sandbox.mode).toBe('docker');
    expect(sandbox.image).toBe(SITE_ENV.GAVEL_SANDBOX_IMAGE);
    expect(mountsOf(service).map((m) => m.target)).toContain('/var/run/docker.sock');
    expect((service.group_add ?? []).map(String)).toContain(SITE_ENV.DOCKER_GID);
  });

  it('worker-judge: vLLM in the gpu-agent container, same model, same GPU lease, enough context', () => {
    const { service, env } = gavelService('worker-judge');
    const judge = loadJudgeConfig(env);
    if (judge.mode === 'facts') throw new Error('the compose judge must be an LLM judge');
    expect(judge.mode).toBe('vllm');
    const agent = loadGpuAgentConfig(gavelService('gpu-agent').env);
    const argv = agent.vllmArgv;
    expect(argv.slice(0, 2)).toEqual(['vllm', 'serve']);
    const url = new URL(judge.url);
    expect(url.hostname).toBe(serviceName('gpu-agent'));
    expect(url.port).toBe(flag(argv, '--port'));
    expect(flag(argv, '--host'), 'vLLM must listen beyond its container').toBe('0.0.0.0');
    expect(new URL(agent.GAVEL_VLLM_URL).port, "the agent's health check").toBe(flag(argv, '--port'));
    // vLLM's /v1/models lists the served name; the judge refuses to start on another
    expect(judge.model).toBe(flag(argv, '--served-model-name') ?? argv[2]);
    expect(Number(flag(argv, '--max-model-len'))).toBeGreaterThanOrEqual(judge.contextTokens);
    const gate = loadJudgeGateConfig(env);
    expect(gate.GAVEL_JUDGE_GPU_GATE).toBe(true);
    expect(gate.GAVEL_GPU_ID).toBe(agent.GAVEL_GPU_ID);
    expect(dependsOn(service)).toContain(serviceName('gpu-agent'));
  });

  it('arbiter workers: the Anthropic batch arbiter with the key from infra/.env', () => {
    for (const app of ['worker-arbiter-submit', 'worker-arbiter-collect']) {
      const arbiter = loadArbiterConfig(gavelService(app).env);
      expect(arbiter.mode, app).toBe('anthropic-batch');
      expect(arbiter.apiKey(), app).toBe(SITE_ENV.ANTHROPIC_API_KEY);
      expect(arbiter.prices[arbiter.model], `${app}: price of ${arbiter.model}`).toBeDefined();
    }
  });

  it('gpu-agent: owns GPU 0 with Ollama, publishes its Ollama gate, reaches Ollama by service name', () => {
    const { service, env } = gavelService('gpu-agent');
    const agent = loadGpuAgentConfig(env);
    const ollama = new URL(agent.GAVEL_OLLAMA_URL);
    expect(ollama.hostname).toBe('ollama');
    expect(ollama.port).toBe('11434');
    expect(agent.GAVEL_OLLAMA_GATE).toBe(true);
    expect(agent.GAVEL_OLLAMA_GATE_HOST).toBe('0.0.0.0');
    expect(portsOf(service)).toContainEqual({
      hostIp: '127.0.0.1',
      published: agent.GAVEL_OLLAMA_GATE_PORT,
      target: agent.GAVEL_OLLAMA_GATE_PORT,
    });
    expect(agent.vllmPidFile.startsWith(`${agent.GAVEL_DATA_DIR}/`)).toBe(true);
    expect(mountsOf(service).map((m) => m.target)).toContain(agent.GAVEL_DATA_DIR);
    for (const name of [serviceName('gpu-agent'), 'ollama']) {
      const devices = services[name]?.deploy?.resources?.reservations?.devices ?? [];
      const nvidia = devices.find((d) => d.driver === 'nvidia');
      expect(nvidia, `${name}: GPU reservation`).toBeDefined();
      expect(nvidia?.device_ids, name).toEqual([agent.GAVEL_GPU_ID]);
      // naming capabilities replaces the image's NVIDIA_DRIVER_CAPABILITIES: CUDA needs `compute`
      expect(nvidia?.capabilities, name).toEqual(expect.arrayContaining(['gpu', 'compute', 'utility']));
    }
  });

  it('board: listens on all interfaces in its container, so it has credentials; published on loopback', () => {
    const { service, env } = gavelService('board');
    const board = parseEnv(BoardEnv, env);
    expect(board.GAVEL_BOARD_HOST).toBe('0.0.0.0');
    const auth = boardAuthFor(board);
    expect(auth.kind).toBe('basic');
    expect(auth.kind === 'basic' && auth.user).toBe(SITE_ENV.GAVEL_BOARD_USER);
    expect(portsOf(service)).toContainEqual({
      hostIp: '127.0.0.1',
      published: board.GAVEL_BOARD_PORT,
      target: board.GAVEL_BOARD_PORT,
    });
  });

  it('api: listens on all interfaces in its container, so it has a write token; pins runs to the site; published on loopback', () => {
    const { service, env } = gavelService('api');
    const api = parseEnv(ApiEnv, env);
    expect(api.GAVEL_API_HOST).toBe('0.0.0.0');
    const security = apiSecurityFor(api);
    expect(security.auth.kind).toBe('bearer');
    expect(security.auth.kind === 'bearer' && security.auth.write).toEqual([SITE_ENV.GAVEL_API_TOKEN]);
    // a run submitted over HTTP is pinned like the workers run it: sandbox, judge model and family, arbiter
    const judge = gavelService('worker-judge').env;
    expect(env.GAVEL_JUDGE_MODEL).toBe(judge.GAVEL_JUDGE_MODEL);
    expect(env.GAVEL_JUDGE_FAMILY).toBe(judge.GAVEL_JUDGE_FAMILY);
    expect(env.GAVEL_SANDBOX_IMAGE).toBe(gavelService('worker-sandbox').env.GAVEL_SANDBOX_IMAGE);
    expect(env.GAVEL_ARBITER_MODEL).toBe(gavelService('worker-arbiter-submit').env.GAVEL_ARBITER_MODEL);
    expect(portsOf(service)).toContainEqual({
      hostIp: '127.0.0.1',
      published: api.GAVEL_API_PORT,
      target: api.GAVEL_API_PORT,
    });
  });
});

describe('infra/prometheus.yml', () => {
  it('is valid (promtool check config)', () => {
    const result = spawnSync('promtool', ['check', 'config', join(ROOT, 'infra/prometheus.yml')], { encoding: 'utf8' });
    if (result.error) throw new Error(`promtool: ${result.error.message} (bash infra/bootstrap --with-test-tools)`);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('is the file the prometheus service reads', () => {
    const argv = commandOf(services.prometheus ?? {});
    const configFile = argv.find((a) => a.startsWith('--config.file='))?.slice('--config.file='.length);
    const mount = mountsOf(services.prometheus ?? {}).find((m) => m.target === configFile);
    expect(mount?.source).toBe(join(ROOT, 'infra/prometheus.yml'));
  });

  it('scrapes every gavel process that serves /metrics, and vLLM in the gpu-agent container', () => {
    let scraped = 0;
    for (const [app, { env }] of gavel) {
      const main = readFileSync(join(ROOT, 'apps', app, 'src/main.ts'), 'utf8');
      if (!/startProcessTelemetry|startMetricsServer/.test(main)) continue;
      const config = loadBaseConfig(env);
      expect(config.GAVEL_METRICS_HOST, `${app}: metrics must listen beyond loopback`).toBe('0.0.0.0');
      expect(config.GAVEL_METRICS_PORT, `${app}: a fixed metrics port`).toBeGreaterThan(0);
      expect([...staticTargets], app).toContain(`${serviceName(app)}:${config.GAVEL_METRICS_PORT}`);
      scraped += 1;
    }
    expect(scraped).toBeGreaterThanOrEqual(5);
    const argv = loadGpuAgentConfig(gavelService('gpu-agent').env).vllmArgv;
    expect([...staticTargets]).toContain(`${serviceName('gpu-agent')}:${flag(argv, '--port')}`);
  });

  it('every static target is a compose service; file_sd reads every per-process file of the directory mounted for it', () => {
    for (const target of staticTargets) {
      const host = target.split(':')[0] ?? '';
      if (host === 'localhost') continue;
      expect(Object.keys(services), target).toContain(host);
    }
    const files = prom.scrape_configs.flatMap((job) => (job.file_sd_configs ?? []).flatMap((f) => f.files));
    expect(files.length).toBeGreaterThan(0);
    const mounts = mountsOf(services.prometheus ?? {}).map((m) => m.target);
    for (const file of files) {
      expect(isAbsolute(file), file).toBe(true);
      // One file per process (GAVEL_PROM_SD_DIR), never one shared file that needs a lock.
      expect(file, file).toMatch(/\/\*\.json$/);
      expect(mounts, file).toContain(file.slice(0, file.lastIndexOf('/')));
    }
  });
});

describe('infra/otel-collector.yaml', () => {
  interface OtelConfig {
    receivers: Record<string, { protocols?: Record<string, { endpoint?: string }> }>;
    processors?: Record<string, unknown>;
    exporters: Record<string, { endpoint?: string }>;
    service: { pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
  }

  it('takes OTLP/HTTP where the gavel services send it and exports traces to jaeger', () => {
    const mount = mountsOf(services['otel-collector'] ?? {}).find((m) => m.source.endsWith('.yaml'));
    expect(mount?.source).toBe(join(ROOT, 'infra/otel-collector.yaml'));
    const otel = parseYaml(readFileSync(mount?.source ?? '', 'utf8')) as OtelConfig;
    const httpPort = otel.receivers.otlp?.protocols?.http?.endpoint?.split(':').pop();
    for (const [app, { env }] of gavel) {
      if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) continue;
      const url = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT);
      expect(url.hostname, app).toBe('otel-collector');
      expect(url.port, app).toBe(httpPort);
    }
    const traces = otel.service.pipelines.traces;
    expect(traces).toBeDefined();
    for (const r of traces?.receivers ?? []) expect(Object.keys(otel.receivers)).toContain(r);
    for (const p of traces?.processors ?? []) expect(Object.keys(otel.processors ?? {})).toContain(p);
    for (const e of traces?.exporters ?? []) {
      expect(Object.keys(otel.exporters)).toContain(e);
      expect(e.split('/')[0], 'collector >= 0.144 names the exporters otlp_grpc/otlp_http').toMatch(
        /^(otlp_grpc|otlp_http|debug)$/,
      );
    }
    const jaeger = (traces?.exporters ?? []).map((e) => otel.exporters[e]?.endpoint ?? '');
    expect(jaeger.some((endpoint) => endpoint.split(':')[0] === 'jaeger')).toBe(true);
    expect(Object.keys(services)).toContain('jaeger');
  });
});

describe('grafana provisioning', () => {
  interface Target {
    refId?: string;
    datasource?: { uid?: string };
  }
  interface Panel {
    id?: number;
    datasource?: { uid?: string };
    targets?: Target[];
    panels?: Panel[];
  }

  const dir = (sub: string) => join(ROOT, 'grafana', sub);
  const readYaml = <T>(file: string) => parseYaml(readFileSync(file, 'utf8')) as T;

  it('every panel and query uses a provisioned datasource; ids and refIds are unique', () => {
    const uids = new Set(
      readdirSync(dir('provisioning/datasources'))
        .filter((f) => /\.ya?ml$/.test(f))
        .flatMap((f) =>
          readYaml<{ datasources: { uid: string }[] }>(join(dir('provisioning/datasources'), f)).datasources.map(
            (d) => d.uid,
          ),
        ),
    );
    expect(uids.size).toBeGreaterThan(0);
    const files = readdirSync(dir('dashboards')).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    const dashboardUids = new Set<string>();
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(dir('dashboards'), file), 'utf8')) as {
        uid: string;
        panels: Panel[];
      };
      expect(dashboardUids.has(dashboard.uid), `${file}: dashboard uid`).toBe(false);
      dashboardUids.add(dashboard.uid);
      const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size, `${file}: panel ids`).toBe(ids.length);
      for (const panel of panels) {
        const where = `${file} panel ${panel.id}`;
        if (panel.datasource) expect([...uids], where).toContain(panel.datasource.uid);
        const refIds = (panel.targets ?? []).map((t) => t.refId);
        expect(new Set(refIds).size, `${where}: refIds`).toBe(refIds.length);
        for (const target of panel.targets ?? []) {
          const uid = target.datasource?.uid ?? panel.datasource?.uid;
          expect([...uids], `${where} ${target.refId}`).toContain(uid);
        }
      }
    }
  });

  it('the compose grafana mounts provisioning where Grafana reads it and dashboards where the provider looks', () => {
    const mounts = mountsOf(services.grafana ?? {});
    const provisioning = mounts.find((m) => m.source === dir('provisioning'));
    expect(provisioning?.target).toBe('/etc/grafana/provisioning');
    const dashboards = mounts.find((m) => m.source === dir('dashboards'));
    const providers = readdirSync(dir('provisioning/dashboards'))
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap(
        (f) =>
          readYaml<{ providers: { options: { path: string } }[] }>(join(dir('provisioning/dashboards'), f)).providers,
      );
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) expect(provider.options.path).toBe(dashboards?.target);
    // the datasource URL (${GAVEL_PROMETHEUS_URL:-...}) points at the prometheus service
    const promUrl = new URL(envOf(services.grafana ?? {}).GAVEL_PROMETHEUS_URL ?? '');
    expect(promUrl.hostname).toBe('prometheus');
    expect(portsOf(services.prometheus ?? {}).map((p) => String(p.target))).toContain(promUrl.port);
    expect(envOf(services.grafana ?? {}).GF_SECURITY_ADMIN_PASSWORD).toBe(SITE_ENV.GRAFANA_ADMIN_PASSWORD);
  });
});
