import { describe, expect, it } from 'vitest';
import { exactMatch, normalizeAnswer, referenceFacts, tokenF1 } from './reference-metrics.ts';

describe('SQuAD v1.1 normalisation', () => {
  it('lower-cases, strips punctuation and articles, collapses whitespace', () => {
    expect(normalizeAnswer('  The  Eiffel-Tower, in PARIS! ')).toBe('eiffeltower in paris');
    expect(normalizeAnswer('An apple a day')).toBe('apple day');
  });
  it("drops exactly Python's string.punctuation, one character at a time, and nothing else", () => {
    // string.punctuation, as Python 3 prints it
    expect(normalizeAnswer('x!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~y')).toBe('xy');
    expect(normalizeAnswer('Ünïcödé – naïve… 42 «ok» ¿sí?')).toBe('ünïcödé – naïve… 42 «ok» ¿sí');
    expect(normalizeAnswer('😀,😀')).toBe('😀😀');
  });
  it('keeps article letters inside words', () => {
    expect(normalizeAnswer('Theatre Anathema')).toBe('theatre anathema');
  });
});

describe('exact match and F1', () => {
  it('matches after normalisation', () => {
    expect(exactMatch('the Denver Broncos.', 'Denver Broncos')).toBe(true);
    expect(exactMatch('Denver', 'Denver Broncos')).toBe(false);
  });
  it('computes token F1 on the multiset of tokens', () => {
    // predicted: denver broncos won (3) ; reference: denver broncos (2) ; common 2 → p=2/3 r=1 → f1=0.8
    expect(tokenF1('Denver Broncos won', 'the Denver Broncos')).toBeCloseTo(0.8, 10);
    expect(tokenF1('a a b', 'a b b')).toBeCloseTo(2 / 3, 10);
    expect(tokenF1('Paris', 'London')).toBe(0);
  });
  it('takes the max over a list of references', () => {
    const facts = referenceFacts('Broncos', ['Denver Broncos', 'Broncos', 'the Carolina Panthers']);
    expect(facts).toEqual({ exact_match: true, f1: 1, references: 3 });
    const partial = referenceFacts('Denver', ['Denver Broncos', 'Panthers']);
    expect(partial.exact_match).toBe(false);
    expect(partial.f1).toBeCloseTo(2 / 3, 10);
  });
  it('treats an empty answer as matching only an empty reference', () => {
    expect(referenceFacts('', 'Paris')).toEqual({ exact_match: false, f1: 0, references: 1 });
    expect(referenceFacts('the', 'a')).toEqual({ exact_match: true, f1: 1, references: 1 });
  });
});
