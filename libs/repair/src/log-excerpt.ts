import { cleanLine, LineSplitter } from './log-lines';
import { ReasonLineDetector, toRanges } from './reason-lines';

/** What a log is cut down to when it is too big for the bus (a log that fits is kept whole), and where its lines were in the whole log. */
export interface LogExcerpt {
  /** The kept lines, in order, one per line. */
  readonly text: string;
  /** Lines and characters of the whole log. */
  readonly lines: number;
  readonly chars: number;
  /** 1-based inclusive ranges of the whole log's lines that `text` holds, ascending. */
  readonly kept: Array<[number, number]>;
}

export interface LogExcerptLimits {
  /** Characters of `text` at most (the head, the reason lines with their context, and the tail). */
  readonly maxChars: number;
  /** Of which the tail's. */
  readonly tailChars: number;
  readonly headLines: number;
  /** Lines kept before each reason line (the command that failed, the test's name). */
  readonly context: number;
  /** Separate ranges at most (each costs the event a pair of numbers). */
  readonly maxRanges: number;
  /** A longer line is not a build log's: refused. */
  readonly maxLineChars: number;
}

export const DEFAULT_EXCERPT_LIMITS: LogExcerptLimits = {
  maxChars: 384 * 1024,
  tailChars: 96 * 1024,
  headLines: 30,
  context: 3,
  maxRanges: 2_000,
  maxLineChars: 1024 * 1024,
};
/** Characters of a line kept in the excerpt (a minified bundle printed in a log says nothing more after these). */
const LINE_CHARS = 2_000;

export class LogExcerptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogExcerptError';
  }
}

/**
 * Cuts a build log of any size down to what explains its failure, reading it once, line by line,
 * in bounded memory: the first lines (the job's setup: runtime, tool versions), every reason line
 * with a few lines before it (the same single-pass detector the triage uses), and the last lines
 * (where CI logs end with the failure). `kept` says which lines of the whole log these are, so the
 * diagnosis of the excerpt reports line numbers of the log as the user has it.
 */
export class LogExcerpter {
  private readonly splitter = new LineSplitter();
  private readonly detector = new ReasonLineDetector();
  private readonly keptLines: Array<[number, string]> = [];
  private keptChars = 0;
  private ranges = 0;
  private lastKept = 0;
  private readonly recent: Array<[number, string]> = [];
  private readonly tail: Array<[number, string]> = [];
  private tailChars = 0;
  private n = 0;
  private chars = 0;
  /** The whole log's lines while they fit in the excerpt's size: a log that fits is kept whole. */
  private whole: string[] | undefined = [];
  private wholeChars = 0;

  constructor(private readonly limits: LogExcerptLimits = DEFAULT_EXCERPT_LIMITS) {}

  push(chunk: string): void {
    this.chars += chunk.length;
    for (const line of this.splitter.push(chunk)) this.line(line);
    if (this.splitter.pendingLength > this.limits.maxLineChars) {
      throw new LogExcerptError(`a line of more than ${this.limits.maxLineChars} characters: this is not a build log's text`);
    }
  }

  end(): LogExcerpt {
    for (const line of this.splitter.end()) this.line(line);
    this.detector.end();
    if (this.whole !== undefined) {
      return { text: this.whole.join('\n'), lines: this.n, chars: this.chars, kept: this.n > 0 ? [[1, this.n]] : [] };
    }
    const lines = [...this.keptLines, ...this.tail.filter(([n]) => n > this.lastKept)];
    return {
      text: lines.map(([, text]) => text).join('\n'),
      lines: this.n,
      chars: this.chars,
      kept: toRanges(lines.map(([n]) => n)),
    };
  }

  private line(raw: string): void {
    const n = ++this.n;
    if (this.whole !== undefined) {
      this.wholeChars += raw.length + 1;
      if (this.wholeChars <= this.limits.maxChars) this.whole.push(raw);
      else this.whole = undefined;
    }
    const text = raw.length > LINE_CHARS ? raw.slice(0, LINE_CHARS) : raw;
    const reasons = this.detector.accept(n, cleanLine(text));
    if (n <= this.limits.headLines) this.keep(n, text);
    else if (reasons.length > 0) {
      const from = Math.min(...reasons) - this.limits.context;
      for (const [m, t] of this.recent) if (m >= from) this.keep(m, t);
      this.keep(n, text);
    }
    this.recent.push([n, text]);
    if (this.recent.length > this.limits.context + 3) this.recent.shift();
    this.tail.push([n, text]);
    this.tailChars += text.length + 1;
    while (this.tailChars > this.limits.tailChars && this.tail.length > 1) this.tailChars -= (this.tail.shift()?.[1].length ?? 0) + 1;
  }

  private keep(n: number, text: string): void {
    if (n <= this.lastKept) return;
    const gap = n > this.lastKept + 1;
    if (this.keptChars + text.length + 1 > this.limits.maxChars - this.limits.tailChars) return;
    if (gap && this.ranges >= this.limits.maxRanges) return;
    if (gap) this.ranges++;
    this.keptLines.push([n, text]);
    this.keptChars += text.length + 1;
    this.lastKept = n;
  }
}

/** The excerpt of a whole text (a log that came in one piece). */
export function excerptLog(text: string, limits: LogExcerptLimits = DEFAULT_EXCERPT_LIMITS): LogExcerpt {
  const excerpter = new LogExcerpter(limits);
  // In pieces: the excerpter's line check applies per piece as it does to a stream.
  for (let i = 0; i < text.length; i += 1 << 20) excerpter.push(text.slice(i, i + (1 << 20)));
  return excerpter.end();
}

/** Ranges of the excerpt's lines (1-based, inclusive) as ranges of the whole log's lines. */
export function wholeLogRanges(
  ranges: ReadonlyArray<readonly [number, number]>,
  kept: ReadonlyArray<readonly [number, number]>,
): Array<[number, number]> {
  // The excerpt's line i is the i-th line the kept ranges cover.
  const starts: number[] = [];
  let covered = 0;
  for (const [a, b] of kept) {
    starts.push(covered + 1);
    covered += b - a + 1;
  }
  const whole = (i: number): number | undefined => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    const range = kept[lo];
    return range === undefined || i > covered || i < 1 ? undefined : range[0] + (i - (starts[lo] as number));
  };
  const lines: number[] = [];
  for (const [a, b] of ranges) {
    for (let i = a; i <= b; i++) {
      const n = whole(i);
      if (n !== undefined) lines.push(n);
    }
  }
  return toRanges(lines.sort((x, y) => x - y));
}
