// Who may do what on /api/: three roles, each including the ones below it.
//   viewer    reads everything (GET)
//   operator  also sends commands to chargers (remote start/stop, reset, unlock, …)
//   admin     also changes what the central system keeps: id tags, charge points and their passwords, profiles,
//             webhooks — every write that is not a command
// A route names the role it needs in its fastify `config.role`; without one, a GET needs viewer and any other
// method admin, so a route added without thinking about roles is safe by default.

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** The highest role among values (a claim may hold one role, a list, or other groups that are not roles). */
export function highestRole(values: readonly unknown[]): Role | undefined {
  let best: Role | undefined;
  for (const value of values) {
    const role = typeof value === 'string' ? value.toLowerCase() : value;
    if (isRole(role) && (best === undefined || roleAllows(role, best))) best = role;
  }
  return best;
}

export function neededRole(method: string, routeRole: unknown): Role {
  if (isRole(routeRole)) return routeRole;
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'admin';
}

/** Who sent a request, as the access log and the console show it. Never the token itself. */
export interface Principal {
  /** `token:` and the first 8 hex digits of the token's SHA-256, or the OIDC subject (`oidc:` + sub). */
  id: string;
  role: Role;
  /** For OIDC tokens, the email or name claim when there is one. */
  name?: string;
}
