import { validate as isUuid, version as uuidVersion } from 'uuid';
import { createEnvelope, parseEnvelope, serializeEnvelope } from './envelope';
import { ContractViolation } from './errors';
import { EVENT_TYPES, topicEvents, topicOfType } from './events/registry';
import { sampleDecisionMade, sampleIncidentOpened, sampleSpans, TRACEPARENT } from './testing/sample-events';
import { dlqTopic, isTopic, TOPICS } from './topics';

const opened = () =>
  createEnvelope('homeostat.incident.opened.v1', {
    source: 'analyzer',
    subject: 'shop',
    data: sampleIncidentOpened(),
    traceparent: TRACEPARENT,
  });

function expectViolation(result: ReturnType<typeof parseEnvelope>): ContractViolation {
  if (result.ok) throw new Error('expected a contract violation');
  expect(result.error).toBeInstanceOf(ContractViolation);
  expect(result.error.code).toBe('CONTRACT_VIOLATION');
  return result.error;
}

describe('createEnvelope', () => {
  it('fills a UUIDv7 id, the current time and the CloudEvents attributes', () => {
    const before = Date.now();
    const event = opened();
    expect(isUuid(event.id)).toBe(true);
    expect(uuidVersion(event.id)).toBe(7);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(event.time)).toBeLessThanOrEqual(Date.now());
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'homeostat.incident.opened.v1',
      source: 'analyzer',
      subject: 'shop',
      datacontenttype: 'application/json',
      traceparent: TRACEPARENT,
    });
  });

  it('keeps a given id and time', () => {
    const id = '01936b2e-6a4c-7c3e-9f1a-2b3c4d5e6f70';
    const event = createEnvelope('homeostat.decision.made.v1', {
      source: 'decider',
      subject: 'shop',
      data: sampleDecisionMade(),
      id,
      time: '2025-01-01T10:00:01.000Z',
    });
    expect(event.id).toBe(id);
    expect(event.time).toBe('2025-01-01T10:00:01.000Z');
  });

  it('throws ContractViolation naming the bad paths', () => {
    const data = { ...sampleIncidentOpened(), severity: 'apocalyptic' as 'high' };
    expect(() => createEnvelope('homeostat.incident.opened.v1', { source: 'analyzer', subject: 'shop', data })).toThrow(/data\.severity/);
    expect(() =>
      createEnvelope('homeostat.incident.opened.v1', { source: '', subject: 'shop', data: sampleIncidentOpened(), traceparent: 'nope' }),
    ).toThrow(ContractViolation);
    try {
      createEnvelope('homeostat.incident.opened.v1', { source: '', subject: 'shop', data: sampleIncidentOpened(), traceparent: 'nope' });
    } catch (e) {
      expect((e as ContractViolation).issues.map((i) => i.path).sort()).toEqual(['source', 'traceparent']);
    }
  });

  it('rejects an all-zero trace id in traceparent', () => {
    expect(() =>
      createEnvelope('homeostat.incident.opened.v1', {
        source: 'analyzer',
        subject: 'shop',
        data: sampleIncidentOpened(),
        traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      }),
    ).toThrow(/traceparent/);
  });
});

describe('parseEnvelope', () => {
  it('round-trips an event through Buffer, string and object', () => {
    const event = opened();
    const bytes = serializeEnvelope(event);
    for (const raw of [bytes, bytes.toString('utf8'), JSON.parse(bytes.toString('utf8')) as unknown]) {
      const result = parseEnvelope('loop.incidents', raw);
      expect(result).toEqual({ ok: true, event });
    }
  });

  it('narrows data by type', () => {
    const result = parseEnvelope(
      'telemetry.spans',
      serializeEnvelope(createEnvelope('homeostat.telemetry.spans.v1', { source: 'collector', subject: 'shop', data: sampleSpans() })),
    );
    if (!result.ok) throw result.error;
    const event = result.event;
    if (event.type !== 'homeostat.telemetry.spans.v1') throw new Error('wrong type');
    expect(event.data.spans[0]?.status.code).toBe('error');
  });

  it('rejects text that is not JSON', () => {
    const error = expectViolation(parseEnvelope('loop.incidents', Buffer.from('{"specversion":')));
    expect(error.issues).toEqual([{ path: '', message: expect.stringMatching(/^not valid JSON/) }]);
  });

  it('rejects a JSON value that is not an object', () => {
    expectViolation(parseEnvelope('loop.incidents', '[1,2]'));
    expectViolation(parseEnvelope('loop.incidents', null));
  });

  it('rejects an unknown type', () => {
    const raw = { ...opened(), type: 'homeostat.incident.exploded.v1' };
    const error = expectViolation(parseEnvelope('loop.incidents', raw));
    expect(error.issues).toEqual([{ path: 'type', message: 'unknown event type "homeostat.incident.exploded.v1"' }]);
  });

  it('rejects a type on the wrong topic, and names its topic', () => {
    const error = expectViolation(parseEnvelope('loop.decisions', opened()));
    expect(error.issues[0]?.path).toBe('type');
    expect(error.message).toContain('its topic is "loop.incidents"');
  });

  it('accepts any known type on a dead-letter topic', () => {
    expect(parseEnvelope(dlqTopic('loop.decisions'), opened()).ok).toBe(true);
    expect(parseEnvelope('telemetry.spans.dlq', opened()).ok).toBe(true);
  });

  it('rejects an unknown topic', () => {
    expectViolation(parseEnvelope('loop.nonsense', opened()));
  });

  it('rejects bad data with the path of each problem', () => {
    const event = opened();
    const raw = {
      ...event,
      data: {
        ...event.data,
        evidence: { ...event.data.evidence, series: [{ ...event.data.evidence.series[0], score: 1.5 }] },
        surprise: true,
      },
    };
    const error = expectViolation(parseEnvelope('loop.incidents', raw));
    expect(error.issues.map((i) => i.path).sort()).toEqual(['data.evidence.series[0].score', 'data.surprise']);
    expect(error.message).toContain('data.evidence.series[0].score');
    expect(error.issues.find((i) => i.path === 'data.surprise')?.message).toBe('unknown field');
  });

  it('reports a missing field as required', () => {
    const { title: _title, ...data } = opened().data;
    const error = expectViolation(parseEnvelope('loop.incidents', { ...opened(), data }));
    expect(error.issues).toEqual([{ path: 'data.title', message: 'required field is missing' }]);
  });

  it('rejects a non-UUID id, a bad time and a wrong specversion', () => {
    const raw = { ...opened(), id: 'abc', time: 'yesterday', specversion: '0.3' };
    const error = expectViolation(parseEnvelope('loop.incidents', raw));
    expect(error.issues.map((i) => i.path).sort()).toEqual(['id', 'specversion', 'time']);
  });

  it('rejects a span that ends before it starts', () => {
    const data = sampleSpans();
    const span = data.spans[0]!;
    const raw = { ...opened(), type: 'homeostat.telemetry.spans.v1', data: { ...data, spans: [{ ...span, endTimeUnixNano: '1' }] } };
    const error = expectViolation(parseEnvelope('telemetry.spans', raw));
    expect(error.issues).toEqual([{ path: 'data.spans[0].endTimeUnixNano', message: 'must not be before startTimeUnixNano' }]);
  });

  it('requires an action unless the decision escalates', () => {
    const made = createEnvelope('homeostat.decision.made.v1', { source: 'decider', subject: 'shop', data: sampleDecisionMade() });
    const error = expectViolation(parseEnvelope('loop.decisions', { ...made, data: { ...made.data, action: null } }));
    expect(error.issues).toEqual([{ path: 'data.action', message: 'required unless mode is escalate' }]);
    expect(parseEnvelope('loop.decisions', { ...made, data: { ...made.data, action: null, mode: 'escalate' } }).ok).toBe(true);
  });

  it('checks control commands by their discriminator', () => {
    const control = (data: unknown) => ({ ...opened(), type: 'homeostat.control.v1', data });
    expect(
      parseEnvelope('loop.control', control({ command: 'kill-switch', state: 'on', actor: 'ana', reason: 'incident review' })).ok,
    ).toBe(true);
    const error = expectViolation(parseEnvelope('loop.control', control({ command: 'pause-loop', actor: 'ana', reason: 'maintenance' })));
    expect(error.issues).toEqual([{ path: 'data.loop', message: 'required field is missing' }]);
  });
});

describe('topics', () => {
  it('gives every event type exactly one topic', () => {
    const listed = Object.values(topicEvents).flat();
    expect([...listed].sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) expect(topicEvents[topicOfType(type)]).toContain(type);
    expect(topicOfType('homeostat.build.reported.v1')).toBe('telemetry.logs');
  });

  it('knows its topics', () => {
    expect(TOPICS.every(isTopic)).toBe(true);
    expect(isTopic('loop.incidents.dlq')).toBe(false);
    expect(dlqTopic('loop.outcomes')).toBe('loop.outcomes.dlq');
  });
});
