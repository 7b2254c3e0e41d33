import { DLQ_HEADERS, deadLetterOf, type RawMessage } from '@homeostat/bus';
import { deadLetterRow } from './dead-letter-row';

const RECEIVED = new Date('2025-01-01T10:00:01.250Z');

const original: RawMessage = {
  topic: 'loop.incidents',
  key: 'shop',
  value: Buffer.from('{"id":"x","type":"homeostat.incident.opened.v1"}', 'utf8'),
  headers: { 'content-type': 'application/cloudevents+json' },
  partition: 2,
  offset: '17',
};

describe('deadLetterRow', () => {
  it('given a message dead-lettered by the bus, then topic, error and headers come from the DLQ headers', () => {
    const dead = deadLetterOf(original, {
      code: 'CONTRACT_VIOLATION',
      message: 'data.fingerprint: required',
      attempts: 1,
      group: 'decider',
    });
    const row = deadLetterRow({ ...dead, partition: 0, offset: '3' }, RECEIVED);
    expect(row).toEqual({
      topic: 'loop.incidents',
      key: 'shop',
      error: 'data.fingerprint: required',
      error_code: 'CONTRACT_VIOLATION',
      headers: dead.headers,
      payload: '{"id":"x","type":"homeostat.incident.opened.v1"}',
      received_at: '2025-01-01 10:00:01.250',
    });
    expect(row.headers).toMatchObject({
      'content-type': 'application/cloudevents+json',
      [DLQ_HEADERS.originalTopic]: 'loop.incidents',
      [DLQ_HEADERS.consumerGroup]: 'decider',
      [DLQ_HEADERS.attempts]: '1',
      [DLQ_HEADERS.originalPartition]: '2',
      [DLQ_HEADERS.originalOffset]: '17',
    });
    expect(row.headers).not.toBe(dead.headers);
  });

  it('given a message without DLQ headers, then the topic is the DLQ topic without .dlq and the rest is empty', () => {
    const row = deadLetterRow({ topic: 'telemetry.spans.dlq', key: null, value: Buffer.from('not json'), headers: {} }, RECEIVED);
    expect(row).toEqual({
      topic: 'telemetry.spans',
      key: '',
      error: '',
      error_code: '',
      headers: {},
      payload: 'not json',
      received_at: '2025-01-01 10:00:01.250',
    });
  });

  it('keeps UTF-8 text as it is (BOM and all) and bytes that are not UTF-8 as base64', () => {
    const text = Buffer.from('\uFEFF{"name":"café ☕"}', 'utf8');
    expect(deadLetterRow({ ...original, value: text }, RECEIVED).payload).toBe('\uFEFF{"name":"café ☕"}');
    const binary = Buffer.from([0x0a, 0xff, 0xfe, 0x00, 0xc3]);
    expect(deadLetterRow({ ...original, value: binary }, RECEIVED).payload).toBe(`base64:${binary.toString('base64')}`);
  });

  it('stamps received_at with the current time by default', () => {
    const before = Date.now();
    const at = Date.parse(`${deadLetterRow(original).received_at.replace(' ', 'T')}Z`);
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});
