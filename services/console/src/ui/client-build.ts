import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BuildOptions } from 'esbuild';

/** services/console */
export const CONSOLE_ROOT = resolve(__dirname, '..', '..');
export const CLIENT_DIR = join(CONSOLE_ROOT, 'client');
/** Where `nx build console` writes the bundle (gitignored). */
export const CLIENT_DIST = join(CONSOLE_ROOT, 'dist', 'client');
/** What the bundle is made of: the client and the pure view models it shares with the server. */
const CLIENT_SOURCES = [join(CLIENT_DIR, 'src'), join(CONSOLE_ROOT, 'src', 'view')];

/**
 * One set of esbuild options for the build target and for the in-memory build at start-up. The
 * charts (vega-embed, vega, vega-lite: most of the bytes) are a separate chunk loaded on the first
 * chart, so the first screen only loads the small main chunk.
 */
export function clientBuildOptions(): BuildOptions {
  return {
    entryPoints: { main: join(CLIENT_DIR, 'src', 'main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    outdir: CLIENT_DIST,
    chunkNames: 'chunk-[hash]',
    tsconfig: join(CLIENT_DIR, 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
}

/** Builds the client; `write` puts it in dist/, else the files come back in memory. */
export async function buildClient(write: boolean): Promise<Map<string, Uint8Array>> {
  // Loaded only when a build is needed: a deployment that ships dist/ does not need esbuild.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ ...clientBuildOptions(), write, metafile: write });
  const files = new Map<string, Uint8Array>();
  for (const f of result.outputFiles ?? []) files.set(basename(f.path), f.contents);
  return files;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(path) : (await stat(path)).mtimeMs);
  }
  return newest;
}

/** Whether dist/ holds a bundle at least as new as every client source (false when there is none). */
export async function builtBundleIsCurrent(): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(join(CLIENT_DIST, 'main.js'))).mtimeMs;
  } catch {
    return false;
  }
  let sources = 0;
  for (const dir of CLIENT_SOURCES) sources = Math.max(sources, await newestMtime(dir).catch(() => 0));
  return sources <= built;
}
