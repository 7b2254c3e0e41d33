import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { HomeostatConfig } from '@homeostat/config';
import type { EventType } from '@homeostat/contracts';
import {
  OTLP_EVENT_TYPES,
  decodeJson,
  decodeProtobuf,
  encodeExportResponse,
  mapLogs,
  mapMetrics,
  mapTraces,
  splitByTarget,
  type MapOptions,
  type MapResult,
  type Signal,
  type TargetPayload,
  type TelemetryBatch,
} from '@homeostat/otlp';
import { CONFIG } from '@homeostat/runtime';
import { BodyPool, type PooledBytes } from './body-pool';
import { CollectorMetrics, refusalReasonOf } from './collector.metrics';
import { readBody } from './request-body';
import { TelemetryPublisher } from './telemetry.publisher';

const INGEST: Record<Signal, { type: EventType; map: (request: unknown, options: MapOptions) => MapResult<unknown> }> = {
  traces: { type: 'homeostat.telemetry.spans.v1', map: mapTraces },
  metrics: { type: 'homeostat.telemetry.metrics.v1', map: mapMetrics },
  logs: { type: 'homeostat.telemetry.logs.v1', map: mapLogs },
};

/** An empty Export*ServiceResponse (no partial_success) is the same bytes for every request. */
const PROTOBUF_OK: Record<Signal, Uint8Array> = {
  traces: encodeExportResponse('traces', 'protobuf'),
  metrics: encodeExportResponse('metrics', 'protobuf'),
  logs: encodeExportResponse('logs', 'protobuf'),
};

/**
 * One OTLP/HTTP export (https://opentelemetry.io/docs/specs/otlp/#otlphttp): reads the body
 * (size-capped, gzip or not), publishes it and resolves with the Export*ServiceResponse once the
 * events are on the bus. Decoding and mapping are the pure lib's.
 *
 * Protobuf (what SDKs send by default) goes on the bus as received, split per target: the
 * collector reads the resources and counts the items, and decodes no item (consumers do, see
 * mapOtlpPayload). So items the contracts refuse are not known here: they are counted and
 * logged by the consumers, and a protobuf answer carries no partial_success — unless
 * `COLLECTOR_CHECK_PROTOBUF` is on: then protobuf is decoded, mapped and checked item by item
 * here as JSON always is, and the answer has partial_success when items were rejected.
 *
 * The body's memory comes from the BodyPool and goes back to it when nothing reads it any more:
 * forwarded protobuf when the bus has done with it, anything decoded here once it is mapped
 * (mapped items hold strings and numbers, nothing of the body).
 */
@Injectable()
export class OtlpIngest {
  constructor(
    @Inject(CONFIG) private readonly config: HomeostatConfig,
    private readonly publisher: TelemetryPublisher,
    private readonly pool: BodyPool,
    private readonly metrics: CollectorMetrics,
  ) {}

  async protobuf(signal: Signal, req: IncomingMessage): Promise<Uint8Array> {
    const body = await readBody(req, this.config.collector.maxBodyBytes, this.pool);
    if (this.config.collector.checkProtobuf) return this.checked(signal, 'protobuf', body, (bytes) => decodeProtobuf(signal, bytes));
    let payloads: TargetPayload[];
    let dataPoints: number;
    try {
      ({ payloads, dataPoints } = splitByTarget(signal, body.bytes, {
        maxItemsPerPayload: this.config.collector.maxItemsPerEvent,
        maxPayloadBytes: this.config.collector.maxEventBytes,
      }));
    } catch (error) {
      body.release();
      throw error;
    }
    // Counted in data points for metrics (spans and log records for the others), as the learner stores them.
    this.metrics.received(signal, dataPoints);
    try {
      // The payloads are views of the body (or copies): the bus releases it when done with them.
      await this.publisher.publish(
        OTLP_EVENT_TYPES[signal],
        payloads.map((p) => ({ subject: p.subject, data: { items: p.items, payload: p.payload } })),
        body.release,
      );
    } catch (error) {
      this.metrics.refused(signal, refusalReasonOf(error), dataPoints);
      throw error;
    }
    return PROTOBUF_OK[signal];
  }

  async json(signal: Signal, req: IncomingMessage): Promise<Uint8Array> {
    const body = await readBody(req, this.config.collector.maxBodyBytes, this.pool);
    return this.checked(signal, 'json', body, decodeJson);
  }

  /** A request decoded, mapped and checked item by item: valid items on the bus, the others in partial_success. */
  private async checked(
    signal: Signal,
    encoding: 'protobuf' | 'json',
    body: PooledBytes,
    decode: (bytes: Buffer) => unknown,
  ): Promise<Uint8Array> {
    const { type, map } = INGEST[signal];
    let result: MapResult<unknown>;
    try {
      result = map(decode(body.bytes), { maxItemsPerBatch: this.config.collector.maxItemsPerEvent });
    } finally {
      body.release();
    }
    this.metrics.received(signal, result.accepted + result.rejected);
    this.metrics.refused(signal, 'invalid', result.rejected);
    try {
      await this.publisher.publish(type, result.batches as TelemetryBatch<never>[]);
    } catch (error) {
      this.metrics.refused(signal, refusalReasonOf(error), result.accepted);
      throw error;
    }
    return encodeExportResponse(signal, encoding, { rejected: result.rejected, errorMessage: result.errorMessage });
  }
}
