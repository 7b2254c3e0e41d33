import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { BusError } from '@homeostat/bus';
import { signalLabel, type CounterCell, type HomeostatMetrics, type ReceivedSignal, type RefusalReason } from '@homeostat/metrics';
import type { OtlpEncoding, Signal } from '@homeostat/otlp';
import { METRICS } from '@homeostat/runtime';
import { otlpEncodingOf } from './request-body';

const SIGNAL_OF_PATH: Readonly<Record<string, ReceivedSignal>> = {
  '/v1/traces': 'spans',
  '/v1/metrics': 'metrics',
  '/v1/logs': 'logs',
  '/v1/builds': 'builds',
};

/** Why the bus did not take a request's items, as the refused counter's reason (the 429/503/413/500 of answerFor). */
export function refusalReasonOf(error: unknown): RefusalReason {
  if (!(error instanceof BusError)) return 'internal';
  switch (error.code) {
    case 'BACKPRESSURE':
      return 'backpressure';
    case 'NOT_STARTED':
    case 'BUS_CLOSED':
    case 'PUBLISH_FAILED':
      return 'unavailable';
    case 'MESSAGE_TOO_LARGE':
      return 'too_large';
    case 'CONTRACT_VIOLATION':
    case 'NON_RETRYABLE':
      return 'internal';
  }
}

/**
 * The collector's counts, once per request (never per item): items received and refused per
 * signal, and requests per answer. The cells of the common answers are looked up here once.
 */
@Injectable()
export class CollectorMetrics {
  private readonly ok: Record<Signal, Record<OtlpEncoding, CounterCell>>;

  constructor(@Inject(METRICS) private readonly metrics: HomeostatMetrics) {
    const okOf = (signal: Signal): Record<OtlpEncoding, CounterCell> => ({
      protobuf: metrics.requestCell(signalLabel(signal), 'protobuf', 200),
      json: metrics.requestCell(signalLabel(signal), 'json', 200),
    });
    this.ok = { traces: okOf('traces'), metrics: okOf('metrics'), logs: okOf('logs') };
  }

  received(signal: Signal | 'builds', items: number): void {
    this.metrics.itemsReceived(signal === 'builds' ? signal : signalLabel(signal), items);
  }

  refused(signal: Signal | 'builds', reason: RefusalReason, items: number): void {
    if (items > 0) this.metrics.itemsRefused(signal === 'builds' ? signal : signalLabel(signal), reason, items);
  }

  /** A 200 to an OTLP export. */
  answeredOk(signal: Signal, encoding: OtlpEncoding): void {
    this.ok[signal][encoding].add(1);
  }

  /** Any other answer (errors, build reports): the signal from the path, the encoding from the Content-Type. */
  answered(req: IncomingMessage, status: number): void {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const signal = SIGNAL_OF_PATH[query < 0 ? url : url.slice(0, query)];
    if (signal === undefined) return;
    this.metrics.requestCell(signal, otlpEncodingOf(req.headers['content-type']) ?? 'other', status).add(1);
  }
}
