import { randomClusterId, renderServerProperties } from './local-kafka';

describe('renderServerProperties', () => {
  it('fills ports and log dir into the template', () => {
    const text = renderServerProperties({ port: 19092, controllerPort: 19093, logDirs: '/tmp/k/kraft-data' });
    expect(text).toContain('listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(text).toContain('controller.quorum.voters=1@127.0.0.1:19093');
    expect(text).toContain('log.dirs=/tmp/k/kraft-data');
    expect(text).toContain('auto.create.topics.enable=false');
    expect(text).toContain('log.cleaner.enable=true');
    expect(text).not.toMatch(/\{\{\w+\}\}/);
  });

  it('rejects unknown placeholders', () => {
    expect(() => renderServerProperties({ port: 1, controllerPort: 2, logDirs: 'x' }, 'a={{NOPE}}')).toThrow('{{NOPE}}');
  });
});

describe('randomClusterId', () => {
  it('is 22 URL-safe base64 characters not starting with "-"', () => {
    for (let i = 0; i < 200; i++) expect(randomClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
