/**
 * What the package registry says about a package: the facts a fix is chosen from (npm's packument,
 * reduced to them).
 */
export interface PackageVersion {
  readonly version: string;
  /** `engines` as published (`{ node: ">=22" }`). */
  readonly engines: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
  /** Peers marked `optional` in `peerDependenciesMeta`. */
  readonly optionalPeers: readonly string[];
  /** The deprecation message, when the version is deprecated. */
  readonly deprecated?: string;
}

export interface Packument {
  readonly name: string;
  readonly versions: Readonly<Record<string, PackageVersion>>;
  readonly distTags: Readonly<Record<string, string>>;
}

export type RegistryErrorCode = 'not-found' | 'unreachable' | 'bad-response';

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** Where package metadata comes from (the public npm registry, the demo's local one, a mirror). */
export interface PackageRegistry {
  /** Rejects with a RegistryError (`not-found`, `unreachable`, `bad-response`). */
  packument(name: string, signal?: AbortSignal): Promise<Packument>;
}

export const PUBLIC_NPM_REGISTRY = 'https://registry.npmjs.org/';

const NPM_NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

const record = (value: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
};

/** A registry's packument JSON, checked and reduced; throws a RegistryError on anything else. */
export function parsePackument(name: string, body: unknown): Packument {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RegistryError('bad-response', `the registry's answer for ${name} is not a packument object`);
  }
  const raw = body as { name?: unknown; versions?: unknown; 'dist-tags'?: unknown };
  if (typeof raw.versions !== 'object' || raw.versions === null) {
    throw new RegistryError('bad-response', `the registry's packument for ${name} has no versions`);
  }
  const versions: Record<string, PackageVersion> = {};
  for (const [version, manifest] of Object.entries(raw.versions as Record<string, unknown>)) {
    if (typeof manifest !== 'object' || manifest === null) continue;
    const m = manifest as Record<string, unknown>;
    const meta = typeof m['peerDependenciesMeta'] === 'object' && m['peerDependenciesMeta'] !== null ? m['peerDependenciesMeta'] : {};
    const optionalPeers = Object.entries(meta as Record<string, unknown>)
      .filter(([, v]) => typeof v === 'object' && v !== null && (v as { optional?: unknown }).optional === true)
      .map(([k]) => k);
    // npm writes `deprecated` as the message; an empty string means "no longer deprecated".
    const deprecated = typeof m['deprecated'] === 'string' && m['deprecated'] !== '' ? m['deprecated'] : undefined;
    versions[version] = {
      version,
      engines: record(m['engines']),
      peerDependencies: record(m['peerDependencies']),
      optionalPeers,
      ...(deprecated !== undefined ? { deprecated } : {}),
    };
  }
  return { name: typeof raw.name === 'string' ? raw.name : name, versions, distTags: record(raw['dist-tags']) };
}

export interface HttpRegistryOptions {
  /** The registry's base URL (`https://registry.npmjs.org/`, a Verdaccio, a mirror). */
  readonly url: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs?: number;
  /** A bearer token for private registries; sent only to this registry, never logged. */
  readonly token?: string;
}

/**
 * The npm registry protocol over HTTP: `GET <registry>/<name>` answers the packument. The same
 * code reads the public registry and the demo's local Verdaccio — they speak the same protocol.
 * The full document is asked for (not the abbreviated one) because `deprecated` and
 * `peerDependenciesMeta` are not in every registry's abbreviated form.
 */
export class HttpPackageRegistry implements PackageRegistry {
  private readonly base: string;

  constructor(private readonly options: HttpRegistryOptions) {
    this.base = options.url.endsWith('/') ? options.url : `${options.url}/`;
  }

  async packument(name: string, signal?: AbortSignal): Promise<Packument> {
    if (!NPM_NAME.test(name)) throw new RegistryError('not-found', `'${name}' is not an npm package name`);
    // Scoped names keep their @ and escape the slash, as npm itself asks for them.
    const url = new URL(name.replace('/', '%2f'), this.base);
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await this.options.fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      throw new RegistryError('unreachable', `the registry ${this.base} did not answer for ${name}: ${(error as Error).message}`);
    }
    if (res.status === 404) throw new RegistryError('not-found', `${name} is not in the registry ${this.base}`);
    if (!res.ok) throw new RegistryError('unreachable', `the registry ${this.base} answered ${res.status} for ${name}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new RegistryError('bad-response', `the registry ${this.base} answered ${name} with something that is not JSON`);
    }
    return parsePackument(name, body);
  }
}
