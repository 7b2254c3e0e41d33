/**
 * Where the per-span work of ingest went: the collector only splits a protobuf request per
 * target (splitByTarget); each consumer (analyzer, learner) decodes and maps it
 * (expandOtlpEvent = protobufjs decode + mapping + the contract check of every span). Same
 * payload as the ingest bench: 500 spans × 20 attributes. One core, this process.
 *
 *   npm run bench:decode            (BENCH_SPANS, BENCH_ITERATIONS to vary)
 */
import { createEnvelope, parseEnvelope, serializeEnvelope, type AnyEnvelope } from '@homeostat/contracts';
import { decodeProtobuf, expandOtlpEvent, splitByTarget } from '../src/index';
import { benchTracesRequest } from '../src/testing';

const SPANS = Number(process.env['BENCH_SPANS'] ?? 500);
const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 200);

function time(name: string, run: () => void): void {
  for (let i = 0; i < Math.min(50, ITERATIONS); i++) run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) run();
  const perRequestMs = Number(process.hrtime.bigint() - start) / 1e6 / ITERATIONS;
  process.stdout.write(
    `${name.padEnd(58)} ${perRequestMs.toFixed(3).padStart(8)} ms/request  ${Math.round((SPANS / perRequestMs) * 1000)
      .toLocaleString('en')
      .padStart(12)} spans/s\n`,
  );
}

const body = benchTracesRequest(SPANS);
const event = createEnvelope('homeostat.telemetry.spans.otlp.v1', {
  source: 'collector',
  subject: 'shop',
  data: { items: SPANS, payload: body },
}) as AnyEnvelope;
const [structured] = expandOtlpEvent(event).events;
if (structured === undefined) throw new Error('the payload mapped to no batch');
const json = serializeEnvelope(structured);
process.stdout.write(
  `decode bench: ${SPANS} spans × 20 attributes (${(body.length / 1024).toFixed(0)} KiB protobuf), ${ITERATIONS} iterations\n`,
);
time('collector: splitByTarget (walk, count, no decoding)', () => splitByTarget('traces', body));
time('consumer: protobufjs decode only', () => decodeProtobuf('traces', body));
time('consumer: expandOtlpEvent (decode + map + check each span)', () => expandOtlpEvent(event));
time('before, consumer: parse + check the JSON event of the same spans', () => parseEnvelope('telemetry.spans', json));
