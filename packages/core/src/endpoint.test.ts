import { describe, expect, it } from 'vitest';
import { endpointDiffers, normaliseEndpoint } from './endpoint.ts';

describe('endpoint pins', () => {
  it('treats spellings of one server root as one endpoint', () => {
    expect(normaliseEndpoint('http://LocalHost:80/v1/')).toBe('http://localhost');
    expect(normaliseEndpoint('https://api.example.com:443/openai/v1')).toBe('https://api.example.com/openai');
    expect(normaliseEndpoint('http://user:secret@127.0.0.1:8000')).toBe('http://127.0.0.1:8000');
    expect(endpointDiffers('http://127.0.0.1:8000', 'http://127.0.0.1:8000/v1')).toBe(false);
  });

  it('tells another port, host or path apart, and checks nothing when the run pins none', () => {
    expect(endpointDiffers('http://127.0.0.1:8000', 'http://127.0.0.1:8001')).toBe(true);
    expect(endpointDiffers('http://127.0.0.1:8000', 'http://[::1]:8000')).toBe(true);
    expect(endpointDiffers('http://h/a', 'http://h/b')).toBe(true);
    expect(endpointDiffers(null, 'http://127.0.0.1:8001')).toBe(false);
    expect(endpointDiffers(undefined, 'http://127.0.0.1:8001')).toBe(false);
  });
});
