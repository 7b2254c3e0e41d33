#!/usr/bin/env node
// `npm install` leaves out of package-lock.json the optional, platform-specific packages that the
// registry reachable here does not serve (chdb's darwin and linux-arm64 builds), and then `npm ci`
// refuses the lock ("Missing: @chdb/lib-darwin-arm64@ from lock file"). This adds each missing
// one as an optional entry restricted to its platform, which npm ci skips on other platforms.
// Run it after any `npm install` that rewrites the lock: `node scripts/lock-platforms.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'freebsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm'];
let added = 0;
for (const [where, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `${where ? `${where}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[hoisted]) continue;
    const os = OS.find((o) => name.includes(`-${o}`));
    const cpu = CPU.find((c) => name.includes(`-${c}`));
    if (!os || !cpu)
      throw new Error(
        `${name} (optional dependency of ${where || 'the root'}) is missing from the lock and its platform cannot be told from its name`,
      );
    lock.packages[hoisted] = { version, optional: true, os: [os], cpu: [cpu] };
    added++;
    console.log(`lock: added ${name}@${version} (${os}/${cpu} only)`);
  }
}
if (added > 0) writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock: ${added} platform entr${added === 1 ? 'y' : 'ies'} added`);
