/**
 * Where a process's CPU went, from a V8 CPU profile (Profiler.stop's `profile`): its busy time
 * (every sample but idle) split by part — an npm package, a gavel package, Node itself, the garbage
 * collector — and by gavel function. Frames of an esbuild bundle are mapped back to their sources
 * through the bundle's source map, so a bundled worker reads the same as one run from source.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceMapConsumer } from 'source-map-js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}
export interface ProfileParts {
  busyMs: number;
  /** Milliseconds by part: `npm:<package>`, `gavel:<package>`, `node` (its JS), `native`, `gc`. */
  parts: Map<string, number>;
  /** Milliseconds by gavel function (`name file:line`). */
  gavelFunctions: Map<string, number>;
  /** Milliseconds by function of Node's own JS (`<function> node:<module>`), its heaviest first. */
  nodeFunctions: Map<string, number>;
}

const maps = new Map<string, SourceMapConsumer | undefined>();
function sourceMapOf(url: string): SourceMapConsumer | undefined {
  if (!maps.has(url)) {
    let consumer: SourceMapConsumer | undefined;
    try {
      consumer = new SourceMapConsumer(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')));
    } catch {
      consumer = undefined;
    }
    maps.set(url, consumer);
  }
  return maps.get(url);
}

/** The source file and line a frame ran in: through the bundle's source map when it has one. */
function origin(frame: CallFrame): { source: string; line: number } {
  if (frame.url.startsWith('file:') && frame.url.includes('/bundle/')) {
    const map = sourceMapOf(frame.url);
    const position = map?.originalPositionFor({ line: frame.lineNumber + 1, column: frame.columnNumber });
    if (position?.source) return { source: position.source, line: position.line ?? 0 };
  }
  return { source: frame.url, line: frame.lineNumber + 1 };
}

/** The part a source belongs to, and whether it is gavel's own code. */
export function partOf(frame: CallFrame, source: string): { part: string; gavel: boolean; file: string } {
  if (frame.functionName === '(garbage collector)') return { part: 'gc', gavel: false, file: '' };
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
  if (npm) return { part: `npm:${npm[1]}`, gavel: false, file: '' };
  const own = /(?:^|\/)((?:packages|apps)\/([^/]+)\/src\/.+)$/.exec(source);
  if (own) return { part: `gavel:${own[2]}`, gavel: true, file: own[1] as string };
  const test = /(?:^|\/)(test\/.+)$/.exec(source);
  if (test) return { part: 'bench code', gavel: false, file: test[1] as string };
  if (source.startsWith('node:')) return { part: 'node', gavel: false, file: '' };
  // V8 and Node natives (writev, runMicrotasks, (program)), and a bundle's own helpers.
  return { part: 'native', gavel: false, file: '' };
}

export function profileParts(profile: CpuProfile): ProfileParts {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const parts = new Map<string, number>();
  const gavelFunctions = new Map<string, number>();
  const nodeFunctions = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id);
    if (!frame || frame.functionName === '(idle)') continue;
    busyUs += us;
    const { source, line } = origin(frame);
    const { part, gavel, file } = partOf(frame, source);
    parts.set(part, (parts.get(part) ?? 0) + us / 1000);
    if (gavel) {
      const key = `${frame.functionName || '(anonymous)'} ${file}:${line}`;
      gavelFunctions.set(key, (gavelFunctions.get(key) ?? 0) + us / 1000);
    } else if (part === 'node') {
      const key = `${frame.functionName || '(anonymous)'} ${source}`;
      nodeFunctions.set(key, (nodeFunctions.get(key) ?? 0) + us / 1000);
    }
  }
  return { busyMs: busyUs / 1000, parts, gavelFunctions, nodeFunctions };
}

/** The `top` largest entries, per sample, in microseconds rounded. */
export function perSample(entries: Map<string, number>, samples: number, top: number): Record<string, number> {
  return Object.fromEntries(
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, ms]) => [key, Math.round((ms / samples) * 1000)]),
  );
}
