import { type Content, InputError } from '@gavel/core';
import { Ajv, type ValidateFunction } from 'ajv';

/** Deterministic facts of a structured output, before any judge. */
export interface StructuredFacts {
  /** Why the output is not JSON (a text output under a schema), or null. */
  parse_error: string | null;
  /** Valid against the sample's `schema`; null without a schema or when it did not parse. */
  schema_valid: boolean | null;
  /** The first schema violations (`/path: message`). */
  schema_errors: string[];
  /** Top-level fields of the reference object equal in the output (deep equality), when the reference is a JSON object. */
  field_match: { matched: number; total: number; missing: string[]; different: string[] } | null;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

/** Compiles a JSON Schema once (by its text); throws with ajv's reason when it is not a valid schema. */
export function schemaValidator(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    if (compiled.size > 256) compiled.clear();
    compiled.set(key, validate);
  }
  return validate;
}

/** The structured value of an output: its first `json` part, else its text parsed as JSON. */
function structuredValue(content: Content): { value?: unknown; error?: string } {
  if (typeof content !== 'string') {
    const json = content.find((p) => p.type === 'json');
    if (json) return { value: json.data };
  }
  const text = typeof content === 'string' ? content : content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
}

function deepEqual(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  if (kx.length !== ky.length) return false;
  return kx.every((k) => deepEqual((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
}

/**
 * Facts of one output that should be structured data: whether it parses, whether it is valid
 * against the sample's JSON Schema (ajv), and which of the reference object's top-level fields it
 * matches exactly. Null when the sample has neither a schema nor a JSON reference and the output
 * holds no `json` part (nothing structured to measure).
 */
export function structuredFacts(
  content: Content,
  schema: Record<string, unknown> | undefined,
  reference: string | readonly string[] | undefined,
): StructuredFacts | null {
  const refText = typeof reference === 'string' ? reference : undefined;
  let refObject: Record<string, unknown> | undefined;
  if (refText !== undefined) {
    try {
      const parsed = JSON.parse(refText) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) refObject = parsed as Record<string, unknown>;
    } catch {
      refObject = undefined;
    }
  }
  const hasJsonPart = typeof content !== 'string' && content.some((p) => p.type === 'json');
  if (!schema && !refObject && !hasJsonPart) return null;
  const { value, error } = structuredValue(content);
  if (error !== undefined) return { parse_error: error, schema_valid: null, schema_errors: [], field_match: null };
  let schema_valid: boolean | null = null;
  let schema_errors: string[] = [];
  if (schema) {
    let validate: ValidateFunction;
    try {
      validate = schemaValidator(schema);
    } catch (thrown) {
      throw new InputError(`schema: not a valid JSON Schema (${(thrown as Error).message})`);
    }
    schema_valid = validate(value) as boolean;
    schema_errors = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
  }
  let field_match: StructuredFacts['field_match'] = null;
  if (refObject) {
    const out = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    const keys = Object.keys(refObject);
    const missing = keys.filter((k) => !(k in out));
    const different = keys.filter((k) => k in out && !deepEqual(out[k], refObject[k]));
    field_match = { matched: keys.length - missing.length - different.length, total: keys.length, missing, different };
  }
  return { parse_error: null, schema_valid, schema_errors, field_match };
}
