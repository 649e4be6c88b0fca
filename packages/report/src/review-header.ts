import { escapeHtml } from './html-text.ts';
import type { RunSummary } from './review-summary.ts';
import type { RunRecords } from './run-records.ts';

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

/** One `<div><dt>…</dt><dd>…</dd></div>` of the manifest list; both texts escaped. */
export function metaItem(label: string, value: string): string {
  return `<div><dt>${escapeHtml(label)}</dt><dd title="${escapeHtml(value)}">${escapeHtml(value)}</dd></div>`;
}

/** A headline figure box; `note` is plain text, `link` an in-page fragment. */
export function figure(label: string, value: string, note = '', link?: string): string {
  const shown = link ? `<a href="${escapeHtml(link)}">${escapeHtml(value)}</a>` : escapeHtml(value);
  return `<div class="figure"><b>${shown}</b><span>${escapeHtml(label)}${note ? ` · ${escapeHtml(note)}` : ''}</span></div>`;
}

function distinct(values: readonly string[], max = 3): string {
  const set = [...new Set(values)];
  return set.length <= max ? set.join(', ') : `${set.slice(0, max).join(', ')} (+${set.length - max} more)`;
}

/** The run's manifest as the header shows it: rubric, judge, arbiter, SUT, sandbox image, dataset. */
export function manifestItems(run: RunRecords): string[] {
  const m = run.manifest;
  const sut = distinct(
    run.records.map((r) => `${r.sut.model} (${r.sut.family}${r.sut.precision ? `, ${r.sut.precision}` : ''})`),
  );
  if (!m) {
    const rubrics = distinct(
      run.records.flatMap((r) => (r.rubric ? [`${r.rubric.id}@${r.rubric.version} ${r.rubric.hash}`] : [])),
    );
    return [
      metaItem('run', run.records[0]?.run_id ?? '–'),
      metaItem('manifest', 'none beside the export: only what the records say is known'),
      metaItem('rubric', rubrics || '–'),
      metaItem('SUT', sut || '–'),
    ];
  }
  const judge = m.stages.judge;
  const arbiter = m.stages.arbiter;
  const sandbox = m.stages.sandbox;
  return [
    metaItem('run', `${m.run_id} · ${m.created_at} · gavel ${m.gavel_version}`),
    ...Object.entries(m.rubrics).map(([kind, r]) =>
      metaItem(`rubric (${kind})`, r ? `${r.id}@${r.version} sha256 ${r.hash}` : '–'),
    ),
    metaItem(
      'judge',
      `${judge.mode}${judge.model ? ` ${judge.model}` : ''}${judge.family ? ` (${judge.family})` : ''} · temperature ${judge.temperature} · seed ${judge.seed} · k ${judge.k}`,
    ),
    metaItem('arbiter', `${arbiter.mode}${arbiter.model ? ` ${arbiter.model}` : ''}`),
    metaItem('SUT', sut || '–'),
    metaItem(
      'sandbox image',
      sandbox.image ? `${sandbox.image} ${sandbox.image_digest ?? '(no digest)'}` : sandbox.backend,
    ),
    metaItem(
      'dataset',
      `sha256 ${m.dataset.sha256} · ${m.dataset.samples} samples · ${m.dataset.files.map((f) => f.path).join(', ')}`,
    ),
  ];
}

/** The headline figures of one run. */
export function summaryFigures(s: RunSummary): string[] {
  const ci = s.pass_rate_ci95;
  return [
    figure('samples', String(s.samples), `${s.graded} graded`),
    figure('pass rate', pct(s.pass_rate), ci ? `95% CI ${pct(ci[0])} – ${pct(ci[1])}` : `${s.passed} passed`),
    figure('passed', String(s.passed)),
    figure('not passed', String(s.graded - s.passed + s.errors + s.pending), '', '#filter=failed'),
    figure('mean score', s.mean_score === null ? '–' : s.mean_score.toFixed(3)),
    figure(
      'routed to arbiter',
      String(s.routed),
      `${s.arbitrated} arbitrated, ${s.overturned} overturned`,
      '#filter=routed',
    ),
    figure('failed to grade', String(s.errors), s.pending ? `${s.pending} pending` : '', '#filter=errors'),
  ];
}
