import { InputError, type RubricRef } from '@gavel/core';
import { type LoadedRubric, parseRubric, rubricKey } from './rubric.ts';

/**
 * Rubrics as workers see them: the exact bytes the producer published for the pinned ref
 * (`getText`, which looks them up by the ref's content hash), parsed once per process and checked
 * against the run's pinned hash.
 */
export function createRubricCache(getText: (ref: RubricRef) => Promise<string | undefined>) {
  const cache = new Map<string, Promise<LoadedRubric>>();
  return {
    get(ref: RubricRef): Promise<LoadedRubric> {
      const key = `${rubricKey(ref)}#${ref.hash}`;
      let entry = cache.get(key);
      if (!entry) {
        entry = (async () => {
          const text = await getText(ref);
          if (text === undefined) {
            throw new InputError(
              `rubric ${rubricKey(ref)} (sha256 ${ref.hash.slice(0, 12)}…) was never published to this Redis: enqueue the run again with the rubric library it was pinned from`,
            );
          }
          const rubric = parseRubric(text, rubricKey(ref));
          if (rubric.ref.hash !== ref.hash) {
            throw new InputError(
              `rubric ${rubricKey(ref)}: published bytes hash to ${rubric.ref.hash.slice(0, 12)}…, the run pinned ${ref.hash.slice(0, 12)}…`,
            );
          }
          return rubric;
        })();
        entry.catch(() => cache.delete(key));
        cache.set(key, entry);
      }
      return entry;
    },
  };
}
export type RubricCache = ReturnType<typeof createRubricCache>;
