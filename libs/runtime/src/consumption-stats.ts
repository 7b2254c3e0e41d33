import type { AnyEnvelope } from '@homeostat/contracts';

interface Counter {
  count: number;
  lastEventId: string;
  lastTime: string;
}

/** Per topic and per target: how many events a stage consumed and the last one it saw. */
export class ConsumptionStats {
  private readonly byTopic = new Map<string, Map<string, Counter>>();

  record(topic: string, event: AnyEnvelope): void {
    let targets = this.byTopic.get(topic);
    if (!targets) this.byTopic.set(topic, (targets = new Map()));
    const counter = targets.get(event.subject) ?? { count: 0, lastEventId: '', lastTime: '' };
    counter.count++;
    counter.lastEventId = event.id;
    counter.lastTime = event.time;
    targets.set(event.subject, counter);
  }

  snapshot(): Record<string, Record<string, Counter>> {
    const out: Record<string, Record<string, Counter>> = {};
    for (const [topic, targets] of this.byTopic) out[topic] = Object.fromEntries([...targets].map(([k, v]) => [k, { ...v }]));
    return out;
  }
}
