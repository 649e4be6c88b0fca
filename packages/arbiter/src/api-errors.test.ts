import { APIError } from '@anthropic-ai/sdk';
import { ConfigError, InputError, TransientError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { errorFromApi, isRequestTooLarge } from './api-errors.ts';

/** The SDK's own error for a response with this status and documented error body. */
const sdkError = (status: number, type: string) =>
  APIError.generate(status, { type: 'error', error: { type, message: `${type} happened` } }, undefined, new Headers());

describe('errorFromApi', () => {
  it('classes 401 and 403 as configuration, other 4xx as bad input, 408/409/429/5xx as transient', () => {
    expect(errorFromApi(sdkError(401, 'authentication_error'), 'batch create')).toBeInstanceOf(ConfigError);
    expect(errorFromApi(sdkError(403, 'permission_error'), 'batch create')).toBeInstanceOf(ConfigError);
    expect(errorFromApi(sdkError(400, 'invalid_request_error'), 'batch create')).toBeInstanceOf(InputError);
    for (const status of [408, 409, 429, 500, 529]) {
      expect(errorFromApi(sdkError(status, 'api_error'), 'batch create')).toBeInstanceOf(TransientError);
    }
  });
  it('recognises a 413 request_too_large', () => {
    expect(isRequestTooLarge(sdkError(413, 'request_too_large'))).toBe(true);
    expect(isRequestTooLarge(sdkError(400, 'invalid_request_error'))).toBe(false);
  });
});
