import { parseEnv } from '@gavel/core';
import { z } from 'zod';
import type { Check } from './doctor-checks.ts';

/** What the design layer needs of Ollama (environment of `gavel doctor` and `gavel rubric try`). */
export const DesignEnv = z.object({
  GAVEL_OLLAMA_URL: z.string().url().default('http://127.0.0.1:11434'),
  /** Models that must be resident at once: the judge and the editor's autocomplete model. */
  GAVEL_DESIGN_MODELS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    ),
  /** The context the design layer needs loaded (long code must not be cut). */
  GAVEL_DESIGN_CONTEXT: z.coerce.number().int().positive().default(16384),
});
export type DesignConfig = z.infer<typeof DesignEnv>;

export function loadDesignConfig(env: NodeJS.ProcessEnv): DesignConfig {
  return parseEnv(DesignEnv, env);
}

/** `/api/ps` as the checks read it. */
export const OllamaRunning = z.object({
  models: z.array(
    z.object({
      name: z.string(),
      model: z.string().optional(),
      context_length: z.number().int().optional(),
      size_vram: z.number().optional(),
    }),
  ),
});
export type OllamaRunning = z.infer<typeof OllamaRunning>;

/** `/api/show` as the checks read it: `model_info["<arch>.context_length"]` is the trained maximum. */
export const OllamaShow = z.object({ model_info: z.record(z.string(), z.unknown()).optional() });
export type OllamaShow = z.infer<typeof OllamaShow>;

const withTag = (name: string) => (name.includes(':') ? name : `${name}:latest`);

/** The trained context of a model from `/api/show` (`<general.architecture>.context_length`). */
export function trainedContext(show: OllamaShow): number | undefined {
  const info = show.model_info ?? {};
  const arch = info['general.architecture'];
  const value = typeof arch === 'string' ? info[`${arch}.context_length`] : undefined;
  return typeof value === 'number' ? value : undefined;
}

/**
 * Pure: the design-layer checks from what Ollama reported. Every wanted model must be resident
 * (`/api/ps`; otherwise OLLAMA_MAX_LOADED_MODELS or VRAM evicted it), loaded with at least the
 * needed context (a smaller window cuts long code silently), and trained for it (`/api/show`).
 */
export function ollamaDesignChecks(
  config: Pick<DesignConfig, 'GAVEL_DESIGN_MODELS' | 'GAVEL_DESIGN_CONTEXT'>,
  running: OllamaRunning,
  shows: ReadonlyMap<string, OllamaShow | undefined>,
): Check[] {
  const need = config.GAVEL_DESIGN_CONTEXT;
  const checks: Check[] = [];
  const loaded = new Map(running.models.map((m) => [withTag(m.name), m]));
  const names = [...loaded.keys()];
  checks.push({
    name: 'ollama resident models',
    ok: config.GAVEL_DESIGN_MODELS.every((m) => loaded.has(withTag(m))),
    advisory: true,
    detail: `${names.length} loaded (${names.join(', ') || 'none'}); the design layer wants ${config.GAVEL_DESIGN_MODELS.join(' + ') || 'none named'}`,
    fix: `set OLLAMA_MAX_LOADED_MODELS=${Math.max(2, config.GAVEL_DESIGN_MODELS.length)} (and OLLAMA_FLASH_ATTENTION=1, OLLAMA_KV_CACHE_TYPE=q8_0 so both fit) and load the missing model(s) with keep_alive -1`,
  });
  for (const model of config.GAVEL_DESIGN_MODELS) {
    const l = loaded.get(withTag(model));
    if (l) {
      const ctx = l.context_length;
      checks.push({
        name: `ollama context ${model}`,
        ok: ctx !== undefined && ctx >= need,
        advisory: true,
        detail:
          ctx === undefined
            ? 'this Ollama reports no context_length in /api/ps'
            : `loaded with ${ctx} tokens (needs ${need})`,
        fix: `set OLLAMA_CONTEXT_LENGTH=${need} on the Ollama server (or send options.num_ctx ${need}) and reload the model: a smaller window cuts long code silently`,
      });
    }
    const show = shows.get(model);
    const trained = show ? trainedContext(show) : undefined;
    checks.push({
      name: `ollama model ${model}`,
      ok: trained !== undefined && trained >= need,
      advisory: true,
      detail:
        show === undefined
          ? 'not pulled on this server (/api/show: not found)'
          : `trained context ${trained ?? 'unknown'} (needs ${need})`,
      fix: show === undefined ? `ollama pull ${model}` : `pick a model trained for at least ${need} tokens`,
    });
  }
  return checks;
}

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** Reads `/api/ps` and `/api/show` of each design model and checks them; one failed line when unreachable. */
export async function ollamaChecks(config: DesignConfig): Promise<Check[]> {
  const base = config.GAVEL_OLLAMA_URL.replace(/\/+$/, '');
  try {
    const ps = await getJson(`${base}/api/ps`);
    const running = OllamaRunning.parse(ps.body);
    const shows = new Map<string, OllamaShow | undefined>();
    for (const model of config.GAVEL_DESIGN_MODELS) {
      const r = await getJson(`${base}/api/show`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model }),
      });
      shows.set(model, r.status === 200 ? OllamaShow.parse(r.body) : undefined);
    }
    return [
      { name: 'ollama', ok: true, detail: `${base} reachable`, advisory: true },
      ...ollamaDesignChecks(config, running, shows),
    ];
  } catch (error) {
    return [
      {
        name: 'ollama',
        ok: false,
        advisory: true,
        detail: `${base} unreachable or not Ollama (${(error as Error).message})`,
        fix: 'start Ollama (infra/docker-compose.yml service ollama) or set GAVEL_OLLAMA_URL',
      },
    ];
  }
}
