import { Gradient2Limit, WindowedLimit } from '../adaptive/gradient2';
import { VegasLimit } from '../adaptive/vegas';
import { parseConfig, type UpstreamConfig } from '../config/gateway-config.schema';
import { UpstreamRuntime } from './upstream-runtime';

/** An upstream config as the schema gives it (defaults filled in). */
function upstream(extra: Record<string, unknown> = {}): UpstreamConfig {
  const parsed = parseConfig({
    routes: {},
    upstreams: {
      catalog: {
        replicas: [{ url: 'http://127.0.0.1:9', weight: 1 }],
        balancer: 'p2c-ewma',
        connectionsPerReplica: 4,
        concurrencyLimit: 7,
        queueLimit: 10,
        queueTimeoutMs: 100,
        ewmaDecayMs: 1_000,
        ...extra,
      },
    },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.value.upstreams['catalog']!;
}

describe('UpstreamRuntime concurrency mode', () => {
  it('uses the fixed limit by default, Gradient2 when configured, and keeps the learnt state while its config is unchanged', async () => {
    const runtime = new UpstreamRuntime('catalog', upstream());
    try {
      expect(runtime.limiter.adaptive).toBeNull();
      expect(runtime.limiter.currentLimit).toBe(7);
      runtime.reconfigure(upstream({ concurrency: { mode: 'gradient2', initialLimit: 30, minLimit: 5 } }));
      const algorithm = runtime.limiter.adaptive;
      expect(algorithm).toBeInstanceOf(Gradient2Limit);
      expect(runtime.limiter.currentLimit).toBe(30);
      runtime.reconfigure(upstream({ concurrency: { mode: 'gradient2', initialLimit: 30, minLimit: 5 }, queueLimit: 3 }));
      expect(runtime.limiter.adaptive).toBe(algorithm);
      runtime.reconfigure(upstream({ concurrency: { mode: 'gradient2', windowMs: 1_000 } }));
      expect(runtime.limiter.adaptive).toBeInstanceOf(WindowedLimit);
      expect(runtime.limiter.currentLimit).toBe(20);
      runtime.reconfigure(upstream({ concurrency: { mode: 'vegas' } }));
      expect(runtime.limiter.adaptive).toBeInstanceOf(VegasLimit);
      runtime.reconfigure(upstream({ concurrency: { mode: 'fixed' } }));
      expect(runtime.limiter.adaptive).toBeNull();
      expect(runtime.limiter.currentLimit).toBe(7);
    } finally {
      await runtime.close();
    }
  });
});
