import { InputError, type RubricRef } from '@gavel/core';
import { type LoadedRubric, parseRubric, rubricKey } from './rubric.ts';

/**
 * Rubrics as workers see them: the exact bytes the producer published (`getText`), parsed once
 * per process and checked against the run's pinned hash.
 */
export function createRubricCache(getText: (key: string) => Promise<string | undefined>) {
  const cache = new Map<string, Promise<LoadedRubric>>();
  return {
    get(ref: RubricRef): Promise<LoadedRubric> {
      const key = `${rubricKey(ref)}#${ref.hash}`;
      let entry = cache.get(key);
      if (!entry) {
        entry = (async () => {
          const text = await getText(rubricKey(ref));
          if (text === undefined) throw new InputError(`rubric ${rubricKey(ref)} was never published to this Redis`);
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
