import type { Overview } from '../../src/view/overview';

export interface Session {
  authEnabled: boolean;
  principal: { name: string; role: string } | null;
}

type Listener = (overview: Overview) => void;

/** What the screens share: who is signed in, the live overview and who listens to it. */
export const app = {
  session: { authEnabled: false, principal: null } as Session,
  overview: undefined as Overview | undefined,
  listeners: new Set<Listener>(),
};

const ACTOR_KEY = 'homeostat.actor';
const RANK: Record<string, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether the signed-in person may do what needs `role` (everyone may when access control is off). */
export function may(role: 'viewer' | 'operator' | 'admin'): boolean {
  if (!app.session.authEnabled) return true;
  const own = app.session.principal?.role;
  return own !== undefined && (RANK[own] ?? -1) >= (RANK[role] ?? 99);
}

/** With access control off, commands carry the name people give on the sign-in page. */
export function actorName(): string | undefined {
  return sessionStorage.getItem(ACTOR_KEY) ?? undefined;
}

export function setActorName(name: string): void {
  if (name.trim() === '') sessionStorage.removeItem(ACTOR_KEY);
  else sessionStorage.setItem(ACTOR_KEY, name.trim());
}

export function onOverview(listener: Listener): () => void {
  app.listeners.add(listener);
  if (app.overview) listener(app.overview);
  return () => app.listeners.delete(listener);
}
