import Docker from 'dockerode';

/** A dockerode client for `GAVEL_DOCKER_HOST` (`unix://…`, `tcp://…`, `https://…`); null: the local socket. */
export function dockerClient(dockerHost: string | null): Docker {
  if (!dockerHost) return new Docker();
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}
