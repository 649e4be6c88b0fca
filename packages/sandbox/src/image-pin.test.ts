import { ConfigError, SandboxRunConfig } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { checkImagePin } from './image-pin.ts';

const X = `sha256:${'a'.repeat(64)}`;
const Y = `sha256:${'b'.repeat(64)}`;
const pinned = SandboxRunConfig.parse({ backend: 'docker', image: 'gavel-sandbox:0123abcd', image_digest: X });

function refusal(image: string, digest: string): ConfigError {
  try {
    checkImagePin(pinned, image, digest);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('checkImagePin accepted the image');
}

describe('the sandbox image a run pinned', () => {
  it('accepts the pinned digest, and a run that pins none', () => {
    expect(() => checkImagePin(pinned, 'gavel-sandbox:0123abcd', X)).not.toThrow();
    expect(() => checkImagePin(SandboxRunConfig.parse({}), 'gavel-sandbox:0123abcd', Y)).not.toThrow();
  });

  it('refuses another tag by naming the pinned image to set', () => {
    const e = refusal('gavel-sandbox:other', Y);
    expect(e.message).toMatch(/set GAVEL_SANDBOX_IMAGE on the worker to the pinned image/);
  });

  it('refuses the same tag with another digest by saying it is another build and what to do, not to set the tag it already has', () => {
    const e = refusal('gavel-sandbox:0123abcd', Y);
    expect(e.message).toContain(`this worker's gavel-sandbox:0123abcd is another build (${Y})`);
    expect(e.message).toMatch(/rebuilt or built on another host/);
    expect(e.message).toMatch(/restart the worker/);
    expect(e.message).toMatch(/docker save gavel-sandbox:0123abcd .*docker load/);
    expect(e.message).not.toMatch(/set GAVEL_SANDBOX_IMAGE/);
  });
});
