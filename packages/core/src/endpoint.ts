/**
 * A server root in the form a run's pin is compared in: scheme and host in lower case, the default
 * port dropped, no credentials, query or fragment, and the path without trailing `/` or `/v1`
 * (`http://Host:80/v1/` and `http://host` are one endpoint). A string that is no URL is kept as given.
 */
export function normaliseEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/v1$/, '').replace(/\/+$/, '');
  return `${parsed.protocol}//${parsed.host}${path}`;
}

/** True when a run pins an endpoint (`pinned` non-empty) and `configured` is another one. */
export function endpointDiffers(pinned: string | null | undefined, configured: string): boolean {
  if (!pinned) return false;
  return normaliseEndpoint(pinned) !== normaliseEndpoint(configured);
}
