import { InvalidArgumentError } from 'commander';
import { parsePort, parseRate } from './shop.command';

describe('shop command options', () => {
  it('parses a port, 0 meaning any free one', () => {
    expect(parsePort('3000')).toBe(3000);
    expect(parsePort('0')).toBe(0);
    for (const bad of ['-1', '65536', 'http', '30.5', '']) expect(() => parsePort(bad)).toThrow(InvalidArgumentError);
  });

  it('parses a request rate, 0 disabling the synthetic load', () => {
    expect(parseRate('20')).toBe(20);
    expect(parseRate('0')).toBe(0);
    expect(parseRate('2.5')).toBe(2.5);
    for (const bad of ['-1', 'lots', '', '1e9']) expect(() => parseRate(bad)).toThrow(InvalidArgumentError);
  });
});
