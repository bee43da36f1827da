// Checks the request target before it is routed or forwarded. Paths that try to climb out of a route (`..`, also
// percent-encoded or with backslashes, which some frameworks treat as `/`) are refused instead of normalised:
// no OCPP or API client has a reason to send them.

export type RequestTarget = { ok: true; pathname: string } | { ok: false; reason: string };

export function parseRequestTarget(url: string | undefined): RequestTarget {
  if (url?.[0] !== '/') return { ok: false, reason: 'request target must be an absolute path' };
  const queryStart = url.indexOf('?');
  const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, reason: 'malformed percent-encoding in path' };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters in the path is this check's job
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return { ok: false, reason: 'control characters in path' };
  for (const segment of decoded.split(/[/\\]/)) {
    if (segment === '..' || segment === '.') return { ok: false, reason: 'dot segments in path' };
  }
  return { ok: true, pathname };
}
