/**
 * Readiness is what the service's own parts report (the bus server, the store, …): each
 * registers a check, and /readyz is 200 only when all pass.
 */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<{ ok: boolean; detail?: unknown }> | { ok: boolean; detail?: unknown };
}

export class Readiness {
  private readonly checks: ReadinessCheck[] = [];

  register(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  async evaluate(): Promise<{ ok: boolean; checks: Record<string, { ok: boolean; detail?: unknown }> }> {
    const checks: Record<string, { ok: boolean; detail?: unknown }> = {};
    for (const c of this.checks) {
      try {
        checks[c.name] = await c.check();
      } catch (error) {
        checks[c.name] = { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    }
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  }
}
