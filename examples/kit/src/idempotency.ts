export interface StoredResponse {
  status: number;
  body: unknown;
}

export type IdempotentResult = { kind: 'fresh' | 'replayed'; response: StoredResponse } | { kind: 'conflict'; message: string };

/**
 * Idempotency-Key handling for the actuator: the first request with a key is applied and its
 * response remembered (bounded, least recently used first out); a repeat gets that response
 * without being applied again, even while the first is still running. A key reused for another
 * method or path is refused. A 5xx is not remembered: nothing was applied, so a retry may apply.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, { request: string; response: Promise<StoredResponse> }>();

  constructor(private readonly capacity = 1_000) {}

  async run(key: string, request: string, apply: () => Promise<StoredResponse>): Promise<IdempotentResult> {
    const seen = this.entries.get(key);
    if (seen) {
      if (seen.request !== request) {
        return { kind: 'conflict', message: `Idempotency-Key "${key}" was already used for ${seen.request}` };
      }
      this.entries.delete(key);
      this.entries.set(key, seen);
      return { kind: 'replayed', response: await seen.response };
    }
    const response = apply();
    this.entries.set(key, { request, response });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    try {
      const result = await response;
      if (result.status >= 500) this.entries.delete(key);
      return { kind: 'fresh', response: result };
    } catch (error) {
      this.entries.delete(key);
      throw error;
    }
  }
}
