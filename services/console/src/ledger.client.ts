import { BadGatewayException, HttpException, Inject, Injectable } from '@nestjs/common';
import type { HomeostatConfig } from '@homeostat/config';
import { CONFIG, PEERS } from '@homeostat/runtime';

/** Reads come from the learner, which owns ClickHouse (DESIGN: no other service opens it). */
@Injectable()
export class LedgerClient {
  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    @Inject(PEERS) private readonly peers: ReadonlyMap<string, string>,
  ) {}

  private get base(): string {
    return this.peers.get('learner') ?? this.config.urls.learner;
  }

  async get(path: string, query: Record<string, string | undefined> = {}): Promise<unknown> {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
    const url = `${this.base}${path}${params.size > 0 ? `?${params.toString()}` : ''}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new BadGatewayException(`the learner at ${this.base} did not answer: ${String(error)}`);
    }
    const body: unknown = await res.json().catch(() => ({ message: `the learner answered ${res.status} without JSON` }));
    if (!res.ok) throw new HttpException(body as Record<string, unknown>, res.status >= 500 ? 502 : res.status);
    return body;
  }
}
