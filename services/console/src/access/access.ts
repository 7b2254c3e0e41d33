import { createHash, timingSafeEqual } from 'node:crypto';
import type { ConsoleRole, ConsoleToken } from '@homeostat/config';

/** Who is calling: a token's owner, or everyone when access control is off (the embedded demo). */
export interface Principal {
  name: string;
  role: ConsoleRole;
  /** false when access control is off: the actor then comes from what the caller says. */
  authenticated: boolean;
}

const RANK: Record<ConsoleRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** Each role may do what the roles below it may. */
export function roleAllows(role: ConsoleRole, needed: ConsoleRole): boolean {
  return RANK[role] >= RANK[needed];
}

export const SESSION_COOKIE = 'homeostat_console';

/** What a person may do with each role, in the words the 403 uses. */
const ROLE_DOES: Record<ConsoleRole, string> = {
  viewer: 'read',
  operator: 'approve, reject, pause and resume',
  admin: 'use the kill switch and see the tokens',
};

export type AccessResult = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; message: string };

/**
 * The console's tokens (CONSOLE_TOKENS). Tokens are compared by their SHA-256 digests in constant
 * time, so neither a token's length nor its prefix leaks through timing.
 */
export class TokenRegistry {
  private readonly entries: { digest: Buffer; token: ConsoleToken }[];

  constructor(tokens: readonly ConsoleToken[]) {
    this.entries = tokens.map((token) => ({ digest: digest(token.token), token }));
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  get tokens(): { name: string; role: ConsoleRole }[] {
    return this.entries.map(({ token }) => ({ name: token.name, role: token.role }));
  }

  find(presented: string): Principal | undefined {
    const d = digest(presented);
    let found: ConsoleToken | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, d)) found = e.token;
    return found && { name: found.name, role: found.role, authenticated: true };
  }

  /** Whether a caller presenting `token` may do what needs `needed`: the principal, or the 401/403 answer. */
  check(token: string | undefined, needed: ConsoleRole): AccessResult {
    if (!this.enabled) return { ok: true, principal: { name: 'anonymous', role: 'admin', authenticated: false } };
    if (token === undefined || token === '') {
      return {
        ok: false,
        status: 401,
        message: 'a token is required: send "Authorization: Bearer <token>" or sign in on the console page',
      };
    }
    const principal = this.find(token);
    if (!principal) return { ok: false, status: 401, message: 'the token is not valid: check CONSOLE_TOKENS or sign in again' };
    if (!roleAllows(principal.role, needed)) {
      return {
        ok: false,
        status: 403,
        message: `${principal.name} has the role ${principal.role}; this needs ${needed} (${needed}s may ${ROLE_DOES[needed]})`,
      };
    }
    return { ok: true, principal };
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token a request carries: a bearer Authorization header, else the console's session cookie. */
export function presentedToken(headers: { authorization?: string | undefined; cookie?: string | undefined }): string | undefined {
  const auth = headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (auth) return auth[1];
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return cookieValue(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * A cookie value as the console wrote it (URI-encoded). One that does not decode was not written
 * by the console: it is taken as it is, matches no token, and gets the 401 of a wrong token
 * instead of a URIError's 500.
 */
function cookieValue(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Who a command is recorded as: the token's owner when access control is on (whatever the body
 * says), else the name the caller gave, else "anonymous".
 */
export function actorOf(principal: Principal, claimed: string | undefined): string {
  return principal.authenticated ? principal.name : (claimed ?? 'anonymous');
}
