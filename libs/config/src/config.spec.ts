import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('gives the embedded defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('embedded');
    expect(config.dataDir).toBe('./.homeostat');
    expect(config.ports.collector).toBe(4318);
    expect(config.kafka.partitions).toBe(6);
    expect(config.clickhouse.url).toBeUndefined();
  });

  it('splits the broker list and reads numbers', () => {
    const config = loadConfig({
      HOMEOSTAT_MODE: 'kafka',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
      HOMEOSTAT_TOPIC_PARTITIONS: '12',
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.kafka.partitions).toBe(12);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ HOMEOSTAT_MODE: 'kafka' })).toThrow(/KAFKA_BROKERS: is required/);
    expect(() => loadConfig({ HOMEOSTAT_TOPIC_PARTITIONS: 'many' })).toThrow(/HOMEOSTAT_TOPIC_PARTITIONS/);
    expect(() => loadConfig({ CLICKHOUSE_URL: 'not a url' })).toThrow(/CLICKHOUSE_URL/);
    expect(() => loadConfig({ HOMEOSTAT_MODE: 'cluster' })).toThrow(ConfigError);
  });

  it("reads GitHub's token and API and the console's public address; a bad token is named, never shown", () => {
    expect(loadConfig({}).collector.github).toEqual({ apiUrl: 'https://api.github.com' });
    const config = loadConfig({
      GITHUB_TOKEN: 'ghp_0123456789abcdef',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
      HOMEOSTAT_CONSOLE_URL: 'https://homeostat.example.com/',
    });
    expect(config.collector.github).toEqual({ apiUrl: 'https://ghe.example.com/api/v3', token: 'ghp_0123456789abcdef' });
    expect(config.urls.console).toBe('https://homeostat.example.com');
    expect(() => loadConfig({ GITHUB_TOKEN: 'ghp_secret with space' })).toThrow(/GITHUB_TOKEN: must be printable ASCII without spaces/);
    expect(() => loadConfig({ GITHUB_TOKEN: 'ghp_secret with space' })).not.toThrow(/ghp_secret/);
  });

  it('lets overrides win over the environment', () => {
    expect(loadConfig({ HOMEOSTAT_DATA_DIR: '/a' }, { HOMEOSTAT_DATA_DIR: '/b' }).dataDir).toBe('/b');
  });

  it('reads the console tokens (name:role:token) and names a bad entry', () => {
    expect(loadConfig({}).console.tokens).toEqual([]);
    const config = loadConfig({
      CONSOLE_TOKENS: 'alice:admin:aaaaaaaaaaaaaaaa1, bob:viewer:bbbbbbbbbbbbbbbb2\ncarol:operator:cccc:cccccccccccc3',
    });
    expect(config.console.tokens).toEqual([
      { name: 'alice', role: 'admin', token: 'aaaaaaaaaaaaaaaa1' },
      { name: 'bob', role: 'viewer', token: 'bbbbbbbbbbbbbbbb2' },
      { name: 'carol', role: 'operator', token: 'cccc:cccccccccccc3' },
    ]);
    expect(() => loadConfig({ CONSOLE_TOKENS: 'alice:root:aaaaaaaaaaaaaaaa1' })).toThrow(
      /CONSOLE_TOKENS: entry 1 \(alice\): the role must be one of viewer, operator, admin/,
    );
    expect(() => loadConfig({ CONSOLE_TOKENS: 'alice:admin:short' })).toThrow(/CONSOLE_TOKENS: .*at least 16/);
    expect(() => loadConfig({ CONSOLE_TOKENS: 'a:admin:aaaaaaaaaaaaaaaa1,a:viewer:bbbbbbbbbbbbbbbb2' })).toThrow(
      /the name a is used twice/,
    );
  });
});
