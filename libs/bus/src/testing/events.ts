import { createEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { JsonLogger } from '@homeostat/telemetry';

/** A small valid event on `loop.control`: the subject is the partition key, seq rides in the reason. */
export function controlEvent(subject: string, seq: number): AnyEnvelope {
  return createEnvelope('homeostat.control.v1', {
    source: 'test',
    subject,
    data: { command: 'pause-loop', loop: subject, actor: 'test', reason: `seq ${seq}` },
  }) as AnyEnvelope;
}

export function seqOf(event: AnyEnvelope): number {
  if (event.type !== 'homeostat.control.v1') throw new Error(`unexpected ${event.type}`);
  return Number(/seq (\d+)/.exec(event.data.reason)?.[1]);
}

/** Collects log lines in memory instead of writing them to stderr. */
export function memoryLogger(level: 'warn' | 'info' | 'debug' = 'warn'): { logger: JsonLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { logger: new JsonLogger('test', level, (line) => lines.push(JSON.parse(line) as Record<string, unknown>)), lines };
}
