#!/usr/bin/env node
'use strict';
// Every timestamp Homeostat writes is UTC, whatever the machine's zone.
process.env.TZ = 'UTC';
const path = require('node:path');
// Runs the TypeScript sources directly (SWC, with decorator metadata for Nest), wherever the
// command is started from.
process.env.SWC_NODE_PROJECT = path.resolve(__dirname, '../../tsconfig.base.json');
require('@swc-node/register');
require('../src/main.ts');
