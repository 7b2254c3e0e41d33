import { renderJson, renderTemplate, renderUrl, TemplateError, type TemplateContext } from './template';

const ctx: TemplateContext = {
  decisionId: 'dec-1',
  incidentId: 'inc/7',
  target: 'shop',
  fingerprint: 'shop|pool',
  action: 'recycle-pool',
  loop: 'shop-pool-exhaustion',
};

describe('templates in action params', () => {
  it('substitutes the decision placeholders', () => {
    expect(renderTemplate('{{decision.id}} {{ incident.id }} {{target}} {{fingerprint}} {{action}} {{loop}}', ctx, {})).toBe(
      'dec-1 inc/7 shop shop|pool recycle-pool shop-pool-exhaustion',
    );
  });

  it('reads ${VAR} from the environment, with ${VAR:-default} as fallback', () => {
    expect(renderTemplate('${SHOP_URL}/x', ctx, { SHOP_URL: 'http://a:1' })).toBe('http://a:1/x');
    expect(renderTemplate('${SHOP_URL:-http://localhost:3000}/x', ctx, {})).toBe('http://localhost:3000/x');
    expect(renderTemplate('${SHOP_URL:-http://localhost:3000}/x', ctx, { SHOP_URL: 'http://b' })).toBe('http://b/x');
    expect(renderTemplate('${EMPTY:-}', ctx, {})).toBe('');
  });

  it('refuses an unset variable without default and an unknown placeholder, naming them', () => {
    expect(() => renderTemplate('${SHOP_URL}/x', ctx, {})).toThrow(/SHOP_URL is not set/);
    expect(() => renderTemplate('${SHOP_URL}/x', ctx, { SHOP_URL: '' })).toThrow(TemplateError);
    expect(() => renderTemplate('{{decision.idd}}', ctx, {})).toThrow(/unknown placeholder \{\{decision.idd\}\}/);
  });

  it('percent-encodes the decision values in a URL, never the environment values', () => {
    expect(renderUrl('${BASE}/incidents/{{incident.id}}?fp={{fingerprint}}', ctx, { BASE: 'http://shop:3000/api' })).toBe(
      'http://shop:3000/api/incidents/inc%2F7?fp=shop%7Cpool',
    );
    expect(() => renderUrl('{{target}}/x', ctx, {})).toThrow(/not an absolute URL/);
  });

  it('substitutes inside the strings of a JSON body, so a value cannot break the JSON', () => {
    const body = renderJson(
      { id: '{{decision.id}}', nested: [{ note: 'say "{{target}}"' }, 3, true, null] },
      { ...ctx, target: 'a"b' },
      {},
    );
    expect(body).toEqual({ id: 'dec-1', nested: [{ note: 'say "a"b"' }, 3, true, null] });
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });
});
