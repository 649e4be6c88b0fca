/**
 * Constrained decoding, as a server that honours a JSON schema does it (vLLM
 * `response_format: json_schema` / `structured_outputs.json`, Ollama `format`): the answer always
 * conforms to the request's schema, whatever the model "meant". Two modes:
 * - `guided`: the policy's text is the model's intent; where a value of it conforms to the schema at
 *   its place it is kept, anywhere else the grammar forces some other conforming value;
 * - `any`: any conforming answer at all (seeded), ignoring the policy — the schema is the only contract.
 * Every answer is checked against the schema with ajv before it is sent. A schema using keywords
 * this decoder does not know is refused, as a server refuses a grammar it cannot compile.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { seededRandom } from './fake-judge-policy.ts';

export type DecodingMode = 'guided' | 'any';

type Schema = Record<string, unknown>;

const KNOWN = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'enum',
  'const',
  'anyOf',
  'description',
  'title',
  'default',
]);

export class UnsupportedSchema extends Error {}

const ajv = new Ajv({ strict: false, allErrors: false });
// Every request carries its own copy of the schema: compiled once per distinct schema text.
const validators = new Map<string, ValidateFunction>();

function conforms(schema: Schema, value: unknown): boolean {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    if (validators.size > 1000) validators.clear();
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate(value) as boolean;
}

function check(schema: Schema): void {
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key)) throw new UnsupportedSchema(`unsupported JSON schema keyword "${key}"`);
  }
}

/** Throws {@link UnsupportedSchema} when any part of the schema uses a keyword this decoder does not know. */
export function assertSupportedSchema(schema: Schema): void {
  check(schema);
  for (const sub of Object.values((schema.properties ?? {}) as Record<string, Schema>)) assertSupportedSchema(sub);
  if (schema.items && typeof schema.items === 'object') assertSupportedSchema(schema.items as Schema);
  for (const sub of (schema.anyOf ?? []) as Schema[]) assertSupportedSchema(sub);
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'kappa', 'sigma', 'zeta'];

/** Generates a value conforming to `schema`; `intent` is kept wherever it conforms (guided mode). */
function generate(schema: Schema, intent: unknown, random: () => number, guided: boolean): unknown {
  check(schema);
  if (guided && intent !== undefined && conforms(schema, intent)) return intent;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[Math.floor(random() * schema.enum.length)];
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf as Schema[];
    const fitting = guided ? options.find((o) => intent !== undefined && conforms(o, intent)) : undefined;
    return generate(fitting ?? (options[Math.floor(random() * options.length)] as Schema), intent, random, guided);
  }
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  const type = types[Math.floor(random() * types.length)];
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return random() < 0.5;
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1000;
      const n = min + random() * (max - min);
      return type === 'integer' ? Math.ceil(n) : Math.round(n * 1000) / 1000;
    }
    case 'string': {
      const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 40;
      let text = '';
      const words = Math.floor(random() * 4);
      for (let i = 0; i < words; i += 1) text += `${text ? ' ' : ''}${WORDS[Math.floor(random() * WORDS.length)]}`;
      while (text.length < minLength) text += 'x';
      return text.slice(0, Math.max(minLength, maxLength));
    }
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : minItems + 4;
      const length = minItems + Math.floor(random() * (maxItems - minItems + 1));
      const hint = guided && Array.isArray(intent) ? intent : [];
      return Array.from({ length }, (_, i) => generate(items, hint[i], random, guided));
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const hint = guided && intent && typeof intent === 'object' && !Array.isArray(intent) ? (intent as Schema) : {};
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(properties)) {
        if (required.has(key) || (guided ? key in hint : random() < 0.5))
          out[key] = generate(sub, hint[key], random, guided);
      }
      // An open object lets the decoder add keys of its own.
      if (schema.additionalProperties !== false && !guided && random() < 0.5)
        out[`extra_${Math.floor(random() * 100)}`] = 'x';
      return out;
    }
    default:
      throw new UnsupportedSchema(`unsupported JSON schema type ${JSON.stringify(schema.type)}`);
  }
}

/** The text a schema-constrained server answers, given the model's (policy's) text. */
export function decodeUnderSchema(schema: Schema, intendedText: string, mode: DecodingMode, seed: number): string {
  let intent: unknown;
  try {
    intent = JSON.parse(intendedText);
  } catch {
    intent = undefined;
  }
  const value = generate(schema, intent, seededRandom(seed), mode === 'guided');
  if (!conforms(schema, value)) throw new Error('schema decoding produced a non-conforming answer');
  return JSON.stringify(value);
}

/** The JSON schema a chat request constrains its answer with (vLLM and OpenAI field names), if any. */
export function requestSchema(body: Record<string, unknown>): Schema | undefined {
  const format = body.response_format as { type?: string; json_schema?: { schema?: Schema } } | undefined;
  if (format?.type === 'json_schema' && format.json_schema?.schema) return format.json_schema.schema;
  const structured = body.structured_outputs as { json?: Schema } | undefined;
  return structured?.json;
}
