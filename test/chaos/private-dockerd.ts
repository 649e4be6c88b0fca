import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A Docker engine of the test's own, so that restarting "the engine" never touches the shared one
 * (other tests run containers on it): its own socket, data root, exec root (and so its own
 * containerd) and pidfile under `dir`, no bridge and no iptables (sandbox containers run with
 * network none anyway). Needs root and `dockerd` on PATH, as the shared engine does.
 */
export interface PrivateDockerd {
  /** `unix://…` for GAVEL_DOCKER_HOST. */
  readonly host: string;
  /** `docker --host … <args>` against this engine. */
  docker(args: readonly string[], input?: NodeJS.ReadableStream): Promise<string>;
  /** SIGTERM the engine (its containers are stopped, as on a restart of the service), wait, start it again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

function run(cmd: string, args: readonly string[], stdin?: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || error.message}`));
      else resolve(stdout);
    });
    if (stdin && child.stdin) stdin.pipe(child.stdin);
  });
}

export async function startPrivateDockerd(dir: string): Promise<PrivateDockerd> {
  await mkdir(dir, { recursive: true });
  const sock = join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const args = [
    '--host',
    host,
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'docker.pid'),
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
    '--shutdown-timeout',
    '2',
  ];
  let child: ChildProcess | undefined;
  let output = '';
  const start = async (): Promise<void> => {
    const started = spawn('dockerd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    started.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`a private dockerd cannot run here: ${output.slice(-2000)}`);
      try {
        await run('docker', ['--host', host, 'version', '--format', '{{.Server.Version}}']);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the private dockerd did not answer: ${(error as Error).message}`);
        await sleep(200);
      }
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await exited;
    }
  };
  await start();
  return {
    host,
    docker: (dockerArgs, input) => run('docker', ['--host', host, ...dockerArgs], input),
    async restart() {
      await stop();
      await start();
    },
    stop,
    log: () => output,
  };
}

/** Copies `image` from the shared engine into `engine` (`docker save | docker --host … load`). */
export async function loadImage(engine: PrivateDockerd, image: string): Promise<void> {
  const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'pipe'] });
  const loaded = engine.docker(['load', '--quiet'], save.stdout ?? undefined);
  const [code] = (await once(save, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`docker save ${image} exited ${code}`);
  await loaded;
}
