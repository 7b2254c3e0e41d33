// Writes deploy/k8s/base/loop-crd.yaml from the loop spec's zod schema (see loop-crd.ts):
//   node -r @swc-node/register test/deploy/generate-loop-crd.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LOOP_CRD_FILE, loopCrd } from './loop-crd';

const header = '# Generated from the loop spec schema (libs/contracts) by test/deploy/generate-loop-crd.ts: do not edit.\n';
writeFileSync(join(__dirname, '../..', LOOP_CRD_FILE), header + stringify(loopCrd(), { lineWidth: 0 }));
process.stdout.write(`wrote ${LOOP_CRD_FILE}\n`);
