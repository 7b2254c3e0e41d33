import { InvalidArgumentError } from 'commander';
import { parseTopology } from './gateway.command';

describe('gateway command options', () => {
  it('takes the built-in topologies only', () => {
    expect(parseTopology('demo')).toBe('demo');
    expect(parseTopology('minimal')).toBe('minimal');
    for (const bad of ['', 'Demo', 'big']) expect(() => parseTopology(bad)).toThrow(InvalidArgumentError);
  });
});
