import { groupingAccuracy } from './grouping-accuracy';
import { parseCsv } from './loghub-data';

describe('groupingAccuracy', () => {
  it('is 1 when the groups are the same sets, whatever the labels', () => {
    expect(groupingAccuracy(['a', 'a', 'b'], ['E1', 'E1', 'E2'])).toBe(1);
  });

  it('counts no line of a merged group as correct', () => {
    // Predicted group "a" holds E1 and E2 lines: all three wrong; "b" = E3 exactly.
    expect(groupingAccuracy(['a', 'a', 'a', 'b'], ['E1', 'E1', 'E2', 'E3'])).toBe(0.25);
  });

  it('counts no line of a split group as correct', () => {
    expect(groupingAccuracy(['a', 'b', 'c'], ['E1', 'E1', 'E2'])).toBeCloseTo(1 / 3);
  });

  it('rejects label lists of different lengths', () => {
    expect(() => groupingAccuracy(['a'], [])).toThrow(RangeError);
  });
});

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and CRLF', () => {
    expect(parseCsv('a,b\r\n1,"x, ""y"""\n')).toEqual([
      ['a', 'b'],
      ['1', 'x, "y"'],
    ]);
  });
});
