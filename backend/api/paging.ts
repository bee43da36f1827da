// Cursor paging for the REST lists. A page is the JSON array the route always returned; when more may follow,
// the answer carries the next page's URL in `Link: <…>; rel="next"` (RFC 8288, as GitHub's API does) and its
// cursor in `X-Next-Cursor`. A cursor is opaque to clients (base64url of the position it continues from), so the
// position can change form later without breaking them; a malformed one is a 400.

import type { FastifyReply, FastifyRequest } from 'fastify';

export function encodeCursor(position: string | number): string {
  return Buffer.from(JSON.stringify({ after: position })).toString('base64url');
}

/** The position a cursor continues from, or undefined when the cursor is not one of ours. */
export function decodeCursor(cursor: string): string | number | undefined {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    return typeof decoded.after === 'string' || typeof decoded.after === 'number' ? decoded.after : undefined;
  } catch {
    return undefined;
  }
}

/** Sets Link and X-Next-Cursor when the page is full (so more may follow). */
export function linkNextPage(
  request: FastifyRequest,
  reply: FastifyReply,
  full: boolean,
  position: string | number | undefined,
): void {
  if (!full || position === undefined) return;
  const cursor = encodeCursor(position);
  const url = new URL(request.url, 'http://placeholder');
  url.searchParams.set('cursor', cursor);
  reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
  reply.header('x-next-cursor', cursor);
}

export const cursorParameter = {
  type: 'string',
  description: 'Continue after the previous page: the X-Next-Cursor (or Link rel="next") of its answer',
} as const;
