'use strict';
// The build: every module compiles and loads with the installed dependencies, and dist/ gets a
// manifest of what was built from what (the connector's version included).
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const sources = fs.readdirSync(path.join(root, 'src')).filter((f) => f.endsWith('.js'));
for (const file of sources) require(path.join(root, 'src', file));
const connector = require('@acme/connector/package.json');
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
fs.writeFileSync(
  path.join(root, 'dist', 'build.json'),
  JSON.stringify({ sources, connector: connector.version, node: process.version }, null, 2) + '\n',
);
console.log(`built ${sources.length} module(s) with @acme/connector ${connector.version}`);
