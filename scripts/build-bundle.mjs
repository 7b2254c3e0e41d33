#!/usr/bin/env node
// Builds one runnable bundle of a project's `src/main.ts` (the Nx `build` target of each service
// and of the demo shop): `node scripts/build-bundle.mjs services/learner` writes
// `dist/services/learner/` with
//   main.js (+ .map)   every workspace module and npm package the entry reaches, in one CommonJS file;
//   node_modules/      only the packages kept external (chDB's native engine) and what they require;
//   <asset dirs>       files the code reads at run time next to its own sources (OTLP .proto files,
//                      ClickHouse migrations), laid out as in the workspace;
//   package.json       name, version and the external packages, for people and image scanners.
//
// Why not esbuild alone: NestJS resolves constructor dependencies by class from the
// `design:paramtypes` metadata TypeScript emits under `emitDecoratorMetadata`, and esbuild does not
// emit it. So each .ts file is transpiled by SWC (decorator metadata on, CommonJS, exactly as jest
// and `@swc-node/register` do), and esbuild only bundles the result.
//
// `__dirname` in a workspace file is rewritten to `<bundle dir>/<the file's dir in the workspace>`,
// so a path such as `join(__dirname, '..', 'proto')` lands on the asset copied into the bundle.
import { transformFileSync } from '@swc/core';
import * as esbuild from 'esbuild';
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages never bundled: native addons (chDB loads libchdb.so next to its .node file). */
export const EXTERNAL_PACKAGES = ['chdb'];

/** Files read at run time relative to a source file: copied when a source under `whenUsing` is bundled. */
export const RUNTIME_ASSETS = [
  { whenUsing: 'libs/otlp/src/', copy: 'libs/otlp/proto' },
  { whenUsing: 'libs/store/src/', copy: 'deploy/clickhouse/migrations' },
  // The console's web UI, built just before by the console's build target (services/console/dist/client).
  { whenUsing: 'services/console/src/ui/', copy: 'services/console/dist/client' },
];

const SWC_OPTIONS = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
  swcrc: false,
  configFile: false,
};

/** SWC for every workspace .ts file, with `__dirname` pointing into the bundle's copy of the workspace. */
const swcPlugin = {
  name: 'swc-decorator-metadata',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const { code } = transformFileSync(args.path, { ...SWC_OPTIONS, filename: args.path });
      const dir = relative(ROOT, dirname(args.path)).split(sep).join('/');
      const contents = code.includes('__dirname')
        ? code.replace(/\b__dirname\b/g, `require("node:path").join(__dirname, ${JSON.stringify(dir)})`)
        : code;
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * Optional dependencies that are not installed stay `require()` calls: NestJS and kafkajs load
 * their optional peers (class-validator, @nestjs/websockets, snappy, …) inside try/catch, and a
 * bundle must not fail on a package the workspace deliberately does not have.
 */
function optionalPeersPlugin(missing) {
  return {
    name: 'optional-peers',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.probe || args.path.startsWith('node:')) return undefined;
        const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { probe: true } });
        if (found.errors.length === 0) return undefined;
        missing.add(args.path);
        return { path: args.path, external: true };
      });
    },
  };
}

/** The package directories `names` need at run time (dependencies and installed optional ones), from the workspace's node_modules. */
export function dependencyClosure(names, from = ROOT) {
  const dirs = new Map();
  const visit = (name, base) => {
    const dir = packageDir(name, base);
    if (!dir || dirs.has(dir)) return;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    dirs.set(dir, pkg);
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, dir);
  };
  for (const name of names) visit(name, from);
  return dirs;
}

function packageDir(name, base) {
  // Walk up node_modules as Node does; optional dependencies for other platforms are simply absent.
  for (let dir = base; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === dirname(dir)) return undefined;
  }
}

/**
 * Copies a directory as hard links where it can (chDB's engine is a 500 MB shared library; a
 * Docker `COPY` of the result still copies real bytes), and as copies across file systems.
 */
export function linkTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const target = join(to, entry);
    const stat = lstatSync(source);
    if (stat.isDirectory()) linkTree(source, target);
    else if (stat.isSymbolicLink()) cpSync(source, target, { dereference: true, recursive: true });
    else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
  }
}

export async function buildBundle(projectDir, { log = (line) => process.stdout.write(`${line}\n`) } = {}) {
  const project = resolve(ROOT, projectDir);
  const entry = join(project, 'src', 'main.ts');
  if (!existsSync(entry)) throw new Error(`${relative(ROOT, entry)} does not exist`);
  const outDir = join(ROOT, 'dist', relative(ROOT, project));
  const projectPkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const missing = new Set();
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: join(outDir, 'main.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    // Stack traces and Nest's logs name classes; keep their names.
    keepNames: true,
    tsconfig: join(ROOT, 'tsconfig.base.json'),
    external: EXTERNAL_PACKAGES.flatMap((p) => [p, `${p}/*`]),
    plugins: [swcPlugin, optionalPeersPlugin(missing)],
    metafile: true,
    logLevel: 'warning',
    banner: { js: '// Built by scripts/build-bundle.mjs; run with `node --enable-source-maps main.js`.' },
  });

  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(ROOT, p)).split(sep).join('/'));
  const assets = RUNTIME_ASSETS.filter((a) => inputs.some((i) => i.startsWith(a.whenUsing)));
  for (const asset of assets) cpSync(join(ROOT, asset.copy), join(outDir, asset.copy), { recursive: true });

  // Only externals the bundle really requires get installed next to it.
  const used = EXTERNAL_PACKAGES.filter((p) =>
    Object.values(result.metafile.outputs).some((o) => o.imports?.some((i) => i.external && (i.path === p || i.path.startsWith(`${p}/`)))),
  );
  const closure = dependencyClosure(used);
  for (const dir of closure.keys()) {
    const rel = relative(ROOT, dir);
    if (!rel.startsWith(`node_modules${sep}`)) throw new Error(`external package outside node_modules: ${rel}`);
    linkTree(dir, join(outDir, rel));
  }
  const dependencies = Object.fromEntries(used.map((p) => [p, dependencyClosure([p]).values().next().value.version]));
  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify({ name: projectPkg.name, version: projectPkg.version, private: true, main: 'main.js', engines: { node: '>=20.19' }, dependencies }, null, 2)}\n`,
  );

  const bytes = result.metafile.outputs[relative(ROOT, join(outDir, 'main.js')).split(sep).join('/')]?.bytes ?? 0;
  log(
    `${relative(ROOT, outDir)}/main.js: ${(bytes / 1024 / 1024).toFixed(1)} MB from ${inputs.length} files` +
      `${assets.length ? `; assets: ${assets.map((a) => a.copy).join(', ')}` : ''}` +
      `${closure.size ? `; node_modules: ${[...closure.values()].map((p) => p.name).join(', ')}` : ''}` +
      `${missing.size ? `; optional, not installed: ${[...missing].sort().join(', ')}` : ''}`,
  );
  return { outDir, inputs, assets, external: used, missing: [...missing] };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const projects = process.argv.slice(2);
  if (projects.length === 0) {
    process.stderr.write('usage: node scripts/build-bundle.mjs <project dir>...   e.g. services/learner\n');
    process.exit(2);
  }
  for (const p of projects) {
    await buildBundle(p).catch((error) => {
      process.stderr.write(`build of ${p} failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
  }
}
