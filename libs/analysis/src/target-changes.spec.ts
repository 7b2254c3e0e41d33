import { TargetChanges } from './target-changes';

describe('TargetChanges', () => {
  it('given version attributes, then a new value is a change, a repeated one is not, and other attributes are ignored', () => {
    const changes = new TargetChanges();
    changes.observe('shop', { 'shop.config.version': 3, 'http.route': '/x' }, 1_000, true);
    changes.observe('shop', { 'shop.config.version': 3 }, 2_000, true);
    changes.observe('shop', { 'shop.config.version': 4 }, 3_000, true);
    changes.observe('shop', { 'service.version': '2.4.0', config_version: '' }, 4_000, true);
    expect(changes.of('shop')).toEqual([
      { atMs: 1_000, key: 'shop.config.version', to: '3' },
      { atMs: 3_000, key: 'shop.config.version', from: '3', to: '4' },
      { atMs: 4_000, key: 'service.version', to: '2.4.0' },
    ]);
    expect(changes.of('other')).toEqual([]);
  });

  it('given the first value while the target is new, then it is its state at start-up, not a change', () => {
    const changes = new TargetChanges();
    changes.observe('shop', { 'app.configuration.version': 'a1' }, 1_000, false);
    changes.observe('shop', { 'app.configuration.version': 'a2' }, 2_000, false);
    expect(changes.of('shop')).toEqual([{ atMs: 2_000, key: 'app.configuration.version', from: 'a1', to: 'a2' }]);
  });

  it('moves with the target: a snapshot restored elsewhere knows the last value and the changes', () => {
    const changes = new TargetChanges();
    changes.observe('shop', { 'shop.config.version': 1 }, 1_000, false);
    changes.observe('shop', { 'shop.config.version': 2 }, 2_000, true);
    const elsewhere = new TargetChanges();
    elsewhere.restore('shop', JSON.parse(JSON.stringify(changes.snapshot('shop'))));
    elsewhere.observe('shop', { 'shop.config.version': 2 }, 3_000, true);
    expect(elsewhere.of('shop')).toEqual(changes.of('shop'));
    changes.drop('shop');
    expect(changes.of('shop')).toEqual([]);
  });
});
