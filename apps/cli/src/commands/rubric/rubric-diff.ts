import { existsSync } from 'node:fs';
import { type LoadedRubric, loadRubricFile, parseRubricSpec, readLibraryRubric } from '@gavel/rubric';
import { createTwoFilesPatch } from 'diff';
import { CliError } from '../../cli-error.ts';

async function resolve(spec: string, rubricsDir: string): Promise<{ rubric: LoadedRubric; name: string }> {
  if (existsSync(spec)) return { rubric: await loadRubricFile(spec), name: spec };
  const { id, version } = parseRubricSpec(spec);
  if (!version) throw new CliError(`gavel rubric diff: ${spec}: name the version (ID@VERSION) or a file`, 2);
  return { rubric: await readLibraryRubric(rubricsDir, id, version), name: `${id}@${version}` };
}

const body = (text: string) => text.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, '');

/** Pure: the changes of the front matter and criteria between two rubrics, one line each. */
export function criteriaChanges(a: LoadedRubric, b: LoadedRubric): string[] {
  const lines: string[] = [];
  for (const field of ['kind', 'pass_threshold', 'title'] as const) {
    if (a[field] !== b[field]) lines.push(`~ ${field}: ${a[field] ?? '(none)'} → ${b[field] ?? '(none)'}`);
  }
  const before = new Map(a.criteria.map((c) => [c.id, c]));
  const after = new Map(b.criteria.map((c) => [c.id, c]));
  for (const [id, c] of before) if (!after.has(id)) lines.push(`- criterion ${id} (weight ${c.weight})`);
  for (const [id, c] of after) {
    const old = before.get(id);
    if (!old) {
      lines.push(
        `+ criterion ${id} (weight ${c.weight}${c.fact ? `, fact ${c.fact}` : ''}${c.safety ? ', safety' : ''})`,
      );
      continue;
    }
    for (const field of ['weight', 'fact', 'safety', 'description'] as const) {
      if (old[field] !== c[field])
        lines.push(`~ criterion ${id} ${field}: ${old[field] ?? '(none)'} → ${c[field] ?? '(none)'}`);
    }
  }
  return lines;
}

/** `gavel rubric diff A B`: criteria and front matter changes, then a unified diff of the rubric text. */
export async function rubricDiffCommand(a: string, b: string, options: { rubricsDir: string }): Promise<void> {
  const [left, right] = [await resolve(a, options.rubricsDir), await resolve(b, options.rubricsDir)];
  const changes = criteriaChanges(left.rubric, right.rubric);
  process.stdout.write(
    `# ${left.name} (sha256 ${left.rubric.ref.hash.slice(0, 12)}…) → ${right.name} (sha256 ${right.rubric.ref.hash.slice(0, 12)}…)\n`,
  );
  process.stdout.write(changes.length > 0 ? `${changes.join('\n')}\n` : '(criteria and front matter unchanged)\n');
  const patch = createTwoFilesPatch(left.name, right.name, body(left.rubric.text), body(right.rubric.text), '', '', {
    context: 2,
  });
  // The patch's own header (Index, a rule, ---, +++) is replaced by ours above.
  const lines = patch.split('\n');
  const hunks = lines
    .slice(lines.findIndex((l) => l.startsWith('+++ ')) + 1)
    .join('\n')
    .trim();
  process.stdout.write(hunks ? `${hunks}\n` : '(text unchanged)\n');
}
