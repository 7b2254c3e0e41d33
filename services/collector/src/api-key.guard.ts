import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HomeostatConfig } from '@homeostat/config';
import { CONFIG } from '@homeostat/runtime';
import { CollectorError } from './collector.errors';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * `Authorization: Bearer <key>` against HOMEOSTAT_API_KEYS, when any are configured. Keys are
 * compared as SHA-256 digests with timingSafeEqual (equal lengths, constant time), and every key
 * is compared, so the time taken says nothing about which key or how much of it matched.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(@Inject(CONFIG) config: HomeostatConfig) {
    this.keys = config.collector.apiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    this.authenticate(context.switchToHttp().getRequest<IncomingMessage>().headers.authorization);
    return true;
  }

  /** Throws UNAUTHENTICATED unless keys are off or the header presents one of them. */
  authenticate(authorization: string | undefined): void {
    if (this.keys.length === 0) return;
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw new CollectorError('UNAUTHENTICATED', 'an API key is required: Authorization: Bearer <key>');
    const presented = digest(match[1]);
    let ok = false;
    for (const key of this.keys) ok = timingSafeEqual(key, presented) || ok;
    if (!ok) throw new CollectorError('UNAUTHENTICATED', 'the API key is not valid');
  }
}
