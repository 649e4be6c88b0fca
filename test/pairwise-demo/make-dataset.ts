/**
 * Writes the pairwise demo's dataset: text pairs, structured-data (JSON) pairs and image pairs —
 * two renderings of the same bar chart, one of them with a mislabelled y axis — as `pairs.jsonl`
 * beside a `charts/` folder of PNGs. Deterministic: the same call writes the same bytes.
 * What each pair should come out as is in {@link DEMO_EXPECTED} (by construction, see below).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart } from './chart.ts';

export const DEMO_SYSTEMS = {
  a: { model: 'demo-writer-1.0', family: 'demo' },
  b: { model: 'demo-writer-1.1', family: 'demo' },
} as const;

const CAPITALS = [
  ['France', 'Paris', 'Lyon'],
  ['Italy', 'Rome', 'Milan'],
  ['Japan', 'Tokyo', 'Osaka'],
  ['Canada', 'Ottawa', 'Toronto'],
  ['Australia', 'Canberra', 'Sydney'],
  ['Brazil', 'Brasilia', 'Rio'],
] as const;

const RECORDS = [
  { name: 'Ada Lovelace', born: 1815, city: 'London' },
  { name: 'Alan Turing', born: 1912, city: 'London' },
  { name: 'Grace Hopper', born: 1906, city: 'New York' },
  { name: 'Edsger Dijkstra', born: 1930, city: 'Rotterdam' },
] as const;

const CHART_VALUES = [
  [12, 18, 9, 22],
  [5, 7, 11, 13],
  [30, 24, 27, 19],
  [8, 16, 12, 20],
] as const;

/**
 * By construction: text — B answers right on every question, A only on questions 0 and 3;
 * JSON — A gets a field wrong on records 1 and 3, B on record 2; charts — the mislabelled
 * rendering (y axis COST where the task asks for REVENUE) is A's on charts 0–2 and B's on chart 3.
 */
export const DEMO_EXPECTED: Record<string, 'a' | 'b' | 'tie'> = {
  'text-0': 'tie',
  'text-1': 'b',
  'text-2': 'b',
  'text-3': 'tie',
  'text-4': 'b',
  'text-5': 'b',
  'json-0': 'tie',
  'json-1': 'b',
  'json-2': 'a',
  'json-3': 'b',
  'chart-0': 'b',
  'chart-1': 'b',
  'chart-2': 'b',
  'chart-3': 'a',
};

const SCHEMA = {
  type: 'object',
  required: ['name', 'born', 'city'],
  properties: { name: { type: 'string' }, born: { type: 'integer' }, city: { type: 'string' } },
};

/** Writes the dataset into `dir`; returns the path of `pairs.jsonl`. */
export async function makePairwiseDemo(dir: string): Promise<string> {
  await mkdir(join(dir, 'charts'), { recursive: true });
  const rows: Record<string, unknown>[] = [];
  for (const [t, [country, right, wrong]] of CAPITALS.entries()) {
    const answer = (ok: boolean) => `The capital of ${country} is ${ok ? right : wrong}.`;
    rows.push({
      id: `text-${t}`,
      kind: 'pair',
      task_id: `text-${t}`,
      prompt: `What is the capital of ${country}?`,
      outputs: { a: answer(t === 0 || t === 3), b: answer(true) },
      systems: DEMO_SYSTEMS,
      reference: answer(true),
    });
  }
  for (const [t, record] of RECORDS.entries()) {
    const spoilt = (wrongOn: readonly number[]) =>
      wrongOn.includes(t) ? { ...record, born: record.born + 1 } : { ...record };
    rows.push({
      id: `json-${t}`,
      kind: 'pair',
      task_id: `json-${t}`,
      prompt: [
        { type: 'text', text: 'Extract name, born and city from this record as a JSON object:' },
        { type: 'text', text: `${record.name} was born in ${record.city} in ${record.born}.` },
      ],
      outputs: {
        a: [{ type: 'json', data: spoilt([1, 3]) }],
        b: [{ type: 'json', data: spoilt([2]) }],
      },
      systems: DEMO_SYSTEMS,
      schema: SCHEMA,
      reference: JSON.stringify(record),
    });
  }
  for (const [t, values] of CHART_VALUES.entries()) {
    const base = { title: 'SALES', xLabel: 'MONTH', values } as const;
    const good = renderChart({ ...base, yLabel: 'REVENUE', bar: [70, 110, 200] });
    const bad = renderChart({ ...base, yLabel: 'COST', bar: [200, 120, 60] });
    await writeFile(join(dir, 'charts', `chart-${t}-right.png`), good);
    await writeFile(join(dir, 'charts', `chart-${t}-mislabelled.png`), bad);
    const output = (which: 'right' | 'mislabelled') => [
      { type: 'text', text: 'Here is the chart.' },
      { type: 'image', path: `charts/chart-${t}-${which}.png` },
    ];
    const aBad = t !== 3;
    rows.push({
      id: `chart-${t}`,
      kind: 'pair',
      task_id: `chart-${t}`,
      prompt: [
        {
          type: 'text',
          text: 'Draw a bar chart titled SALES of monthly revenue: the x axis is MONTH, the y axis is REVENUE.',
        },
        { type: 'json', data: { month: [1, 2, 3, 4], revenue: values } },
      ],
      outputs: { a: output(aBad ? 'mislabelled' : 'right'), b: output(aBad ? 'right' : 'mislabelled') },
      systems: DEMO_SYSTEMS,
    });
  }
  const file = join(dir, 'pairs.jsonl');
  await writeFile(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return file;
}
