import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '@gavel/core';

const run = promisify(execFile);

export interface SandboxImageDescription {
  image: string;
  image_digest: string;
  tool_versions: Record<string, string>;
}

/** The sandbox image to pin: `GAVEL_SANDBOX_IMAGE`, else the tag infra/bootstrap-docker recorded. */
export async function sandboxImageTag(env: NodeJS.ProcessEnv, dataDir: string): Promise<string | undefined> {
  if (env.GAVEL_SANDBOX_IMAGE) return env.GAVEL_SANDBOX_IMAGE;
  try {
    return (await readFile(join(dataDir, 'sandbox-image'), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Image digest and tool versions for the run manifest, read from the engine: the image's id and
 * the runner's `--versions` in a locked-down throwaway container (no network, read-only, non-root).
 */
export async function describeSandboxImage(image: string): Promise<SandboxImageDescription> {
  try {
    const inspected = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeout: 20_000 });
    const versions = await run(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--read-only',
        '--user',
        '65534:65534',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--tmpfs',
        '/scratch:size=16m',
        '--tmpfs',
        '/tmp:size=16m',
        '--label',
        'gavel=sandbox',
        image,
        '--versions',
      ],
      { timeout: 60_000 },
    );
    return {
      image,
      image_digest: inspected.stdout.trim(),
      tool_versions: JSON.parse(versions.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>,
    };
  } catch (error) {
    throw new ConfigError(
      `GAVEL_SANDBOX=docker: cannot describe sandbox image ${image} (${(error as Error).message.split('\n')[0]}); build it with bash infra/bootstrap-docker`,
    );
  }
}
