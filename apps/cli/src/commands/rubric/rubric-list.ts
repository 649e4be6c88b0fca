import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gateReportProblem, parseRubricSpec, readLibraryRubric, readLock, rubricKey } from '@gavel/rubric';
import semver from 'semver';
import { CliError } from '../../cli-error.ts';

/** `gavel rubric list`: every rubric file in the library with its state, hash, gates and freeze date. */
export async function rubricListCommand(options: { rubricsDir: string; json: boolean }): Promise<void> {
  const lock = await readLock(options.rubricsDir);
  const rows = [];
  for (const entry of await readdir(options.rubricsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || ['adversarial', 'public', 'calibration'].includes(entry.name)) continue;
    const files = (await readdir(join(options.rubricsDir, entry.name))).filter((f) => f.endsWith('.md'));
    for (const version of files
      .map((f) => f.slice(0, -3))
      .filter((v) => semver.valid(v))
      .sort(semver.compare)) {
      const rubric = await readLibraryRubric(options.rubricsDir, entry.name, version);
      const pinned = lock[rubricKey(rubric)];
      // As loadRubric decides: frozen only when a passed gate report backs the lock entry.
      const problem = !pinned
        ? 'not in the lock file'
        : await gateReportProblem(options.rubricsDir, rubric.id, version, pinned);
      const frozen = pinned?.sha256 === rubric.ref.hash && problem === undefined;
      rows.push({
        id: rubric.id,
        version,
        kind: rubric.kind,
        state: frozen ? 'frozen' : 'draft',
        sha256: rubric.ref.hash,
        gates: frozen ? (pinned?.gates ?? null) : null,
        frozen_at: frozen ? (pinned?.frozen_at ?? null) : null,
        note: frozen ? null : pinned && pinned.sha256 !== rubric.ref.hash ? 'bytes differ from the lock file' : problem,
      });
    }
  }
  if (options.json) {
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  for (const r of rows) {
    const gates = r.gates
      ? `κ ${r.gates.kappa?.toFixed(3) ?? 'n/a'}${r.gates.position_consistency == null ? '' : `, position consistency ${r.gates.position_consistency.toFixed(3)}`}, adversarial ${r.gates.adversarial}, judge ${r.gates.judge}`
      : (r.note ?? '');
    process.stdout.write(
      `${`${r.id}@${r.version}`.padEnd(28)} ${r.kind.padEnd(5)} ${r.state.padEnd(7)} ${r.sha256.slice(0, 12)}  ${(r.frozen_at ?? '-').padEnd(24)} ${gates}\n`,
    );
  }
}

/** `gavel rubric show ID@VER`: the rubric file, then its lock entry. */
export async function rubricShowCommand(spec: string, options: { rubricsDir: string }): Promise<void> {
  const { id, version } = parseRubricSpec(spec);
  if (!version) throw new CliError(`gavel rubric show: ${spec}: name the version (ID@VERSION)`, 2);
  const rubric = await readLibraryRubric(options.rubricsDir, id, version);
  const pinned = (await readLock(options.rubricsDir))[rubricKey(rubric)];
  process.stdout.write(rubric.text.endsWith('\n') ? rubric.text : `${rubric.text}\n`);
  process.stdout.write(
    `\n# sha256 ${rubric.ref.hash}\n# lock entry: ${pinned ? JSON.stringify(pinned) : 'none (draft)'}\n`,
  );
}
