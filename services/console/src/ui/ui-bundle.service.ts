import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { LOGGER } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { buildClient, builtBundleIsCurrent, CLIENT_DIST } from './client-build';

export interface UiAsset {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The web UI's files: the bundle `nx build console` wrote, or, when there is none or the sources
 * are newer (`npx homeostat start` runs from source right after `npm ci`), one built in memory at
 * start-up. The build runs in the background; the first request for a file waits for it.
 */
@Injectable()
export class UiBundle implements OnModuleInit {
  private files: Promise<Map<string, UiAsset>> | undefined;

  constructor(@Inject(LOGGER) private readonly logger: JsonLogger) {}

  onModuleInit(): void {
    this.files = this.load();
    this.files.catch((error: unknown) => this.logger.error(`the web UI could not be built: ${String(error)}`, 'Console'));
  }

  async asset(name: string): Promise<UiAsset | undefined> {
    this.files ??= this.load();
    return (await this.files).get(name);
  }

  private async load(): Promise<Map<string, UiAsset>> {
    const start = Date.now();
    let raw: Map<string, Uint8Array>;
    if (await builtBundleIsCurrent()) {
      raw = new Map();
      for (const name of await readdir(CLIENT_DIST)) raw.set(name, await readFile(join(CLIENT_DIST, name)));
      this.logger.log(`web UI served from ${CLIENT_DIST}`, 'Console');
    } else {
      raw = await buildClient(false);
      this.logger.log(`web UI built in memory in ${Date.now() - start} ms (no current bundle in ${CLIENT_DIST})`, 'Console');
    }
    const assets = new Map<string, UiAsset>();
    for (const [name, body] of raw)
      assets.set(name, { body: Buffer.from(body), contentType: TYPES[extname(name)] ?? 'application/octet-stream' });
    return assets;
  }
}
