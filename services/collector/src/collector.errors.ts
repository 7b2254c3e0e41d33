import type { ContractIssue } from '@homeostat/contracts';

export type CollectorErrorCode = 'MALFORMED' | 'INVALID_BUILD' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'UNAUTHENTICATED';

/** What the collector refuses before anything reaches the bus; the filter maps codes to HTTP. */
export class CollectorError extends Error {
  constructor(
    readonly code: CollectorErrorCode,
    message: string,
    readonly issues: ContractIssue[] = [],
  ) {
    super(message);
    this.name = 'CollectorError';
  }
}
