import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * The shop loop of examples/shop/loops with shorter waits (gather, resolve, verify, cooldown), so
 * end-to-end runs fit in CI (the verification deadline is kept: a fix must have its time to show); what the loop may do and what it knows at the start are unchanged.
 * Returns the directory holding it; `overrides` changes the incident's resolve wait or the verification deadline.
 */
export async function fastShopLoopDir(overrides: { resolveAfter?: string; deadline?: string } = {}): Promise<string> {
  const spec = parse(await readFile(join(__dirname, '../../examples/shop/loops/shop.yaml'), 'utf8')) as {
    spec: {
      detection: Record<string, string>;
      verification: { healthCheck: Record<string, unknown>; deadline: string };
      guardrails: { cooldown: string };
    };
  };
  spec.spec.detection = { ...spec.spec.detection, gatherFor: '4s', resolveAfter: overrides.resolveAfter ?? '8s' };
  if (overrides.deadline !== undefined) spec.spec.verification.deadline = overrides.deadline;
  spec.spec.verification.healthCheck['interval'] = '1s';
  // The deadline stays the shop loop's 30 s: /health judges a 10 s window, and a retry policy
  // brings the error rate under its objective only after that window has turned over.
  spec.spec.guardrails.cooldown = '1s';
  const dir = await mkdtemp(join(tmpdir(), 'loops-'));
  await writeFile(join(dir, 'shop.yaml'), stringify(spec));
  return dir;
}
