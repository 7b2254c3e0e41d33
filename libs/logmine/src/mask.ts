/**
 * Masking of variable shapes in a log line, before any clustering.
 *
 * A line is split on whitespace; each token is then reduced to its "shape": values that are
 * variable by their form (numbers, hex, IPs, UUIDs, paths, URLs, e-mails, durations, sizes,
 * dates and times, the value half of `key=value`) become the wildcard `<*>`. Tokens that carry
 * no digit and none of `/ @ =` are returned unchanged without running a regular expression,
 * which keeps the common case (plain words) cheap.
 *
 * The rules are about the shape of a token, never about a particular system's vocabulary.
 */

export const WILDCARD = '<*>';

/** Leading and trailing punctuation that wraps a value: `[1.2.3.4]`, `(uid=0)`, `'x',`, `42.`. */
const LEADING = new Set(['(', '[', '{', '<', "'", '"', '`']);
const TRAILING = new Set([')', ']', '}', '>', "'", '"', '`', ',', ';', ':', '.', '!', '?']);

/** Whole-value shapes. Tested on the token stripped of wrapping punctuation. */
const WHOLE_SHAPES: readonly RegExp[] = [
  // URL with a scheme: http://x/y, hdfs://host:9000/path, akka.tcp://sys@host:1234
  /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*$/,
  // e-mail
  /^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/,
  // UUID
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  // IPv4, optional port or CIDR suffix
  /^\d{1,3}(?:\.\d{1,3}){3}(?:[:/]\d+)?$/,
  // IPv6 (at least two colons, hex groups), optional [..]:port
  /^\[?[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:%\w+)?\]?(?::\d+)?$/,
  // MAC address
  /^[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5}$/,
  // decimal number with optional sign, fraction, exponent, percent
  /^[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?%?$/,
  // hex: 0x-prefixed, or a run of hex digits containing at least one decimal digit
  /^(?:0[xX][0-9a-fA-F]+|[0-9a-fA-F]*\d[0-9a-fA-F]*)$/,
  // duration: 12ms, 3.5s, 250us, 2h, 10min
  /^[-+]?\d+(?:\.\d+)?(?:ns|us|µs|ms|s|sec|secs|m|min|mins|h|hr|hrs|d|days?)$/i,
  // size: 10KB, 1.5GiB, 512b, 64k, 100bytes
  /^\d+(?:\.\d+)?(?:[kmgtpe]i?b?|b|bytes?)$/i,
  // filesystem path with at least two segments: /etc/x, ./a/b, ~/a/b, C:\a\b
  /^(?:~|\.{1,2}|[A-Za-z]:)?[/\\][^\s/\\]*[/\\]\S*$/,
];

/**
 * Parts of a token: an alphanumeric run that is a (signed) hex number containing a digit
 * (`blk_-69ab12`), else a bare run of digits (`ssh2` → `ssh<*>`, `J12`).
 */
const INNER_VALUE = /(?<![A-Za-z0-9])-?(?:0[xX][0-9a-fA-F]+|[0-9a-fA-F]*\d[0-9a-fA-F]*)(?![A-Za-z0-9])|\d+/g;
/** Adjacent masked parts joined by separators are one value: `<*>.<*>.<*>` (a version, a date). */
const JOINED_WILDCARDS = /<\*>(?:[-+.:,_/]<\*>)+/g;
/** `key=value`: the key is a word, the value is masked as a whole token of its own. */
const KEY_VALUE = /^([A-Za-z_][\w.-]*)=(.+)$/;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True when the token may hold a variable shape and needs the regular expressions. */
function needsMasking(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    // digit, '/', '@', '=', '\'
    if (isDigit(c) || c === 47 || c === 64 || c === 61 || c === 92) return true;
  }
  return false;
}

function maskCore(core: string): string {
  for (const shape of WHOLE_SHAPES) if (shape.test(core)) return WILDCARD;
  const kv = KEY_VALUE.exec(core);
  if (kv) {
    const [, key, value] = kv as unknown as [string, string, string];
    return `${key}=${maskToken(value)}`;
  }
  if (!needsDigitMask(core)) return core;
  return core.replace(INNER_VALUE, WILDCARD).replace(JOINED_WILDCARDS, WILDCARD);
}

function needsDigitMask(core: string): boolean {
  for (let i = 0; i < core.length; i++) if (isDigit(core.charCodeAt(i))) return true;
  return false;
}

/** The shape of one whitespace-free token: `<*>` for a variable, partial masks inside identifiers. */
export function maskToken(token: string): string {
  if (!needsMasking(token)) return token;
  if (token.includes(' ')) return WILDCARD; // a timestamp span (see splitTokens)
  let start = 0;
  let end = token.length;
  while (start < end && LEADING.has(token[start] as string)) start++;
  while (end > start && TRAILING.has(token[end - 1] as string)) end--;
  if (start === end) return token;
  const core = token.slice(start, end);
  const masked = maskCore(core);
  if (masked === core) return token;
  return token.slice(0, start) + masked + token.slice(end);
}

export interface MaskedLine {
  /** Tokens as they appear in the line (after the caps below). */
  readonly raw: string[];
  /** The same tokens with variable shapes masked. */
  readonly masked: string[];
  /** True when the line was cut to `maxLineLength` characters or `maxTokens` tokens. */
  readonly truncated: boolean;
}

export interface MaskLimits {
  readonly maxLineLength: number;
  readonly maxTokens: number;
}

export const DEFAULT_MASK_LIMITS: MaskLimits = { maxLineLength: 8192, maxTokens: 256 };

const WHITESPACE = /\s+/;

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\\.?';
const WEEKDAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?';
const CLOCK = '\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:\\s*(?:[AaPp][Mm]))?(?:\\s*(?:Z|UTC|GMT|[A-Z]{3,4}|[+-]\\d{2}:?\\d{2}))?';
/**
 * Timestamps written with spaces (`Fri Jun 17 07:07:00 2005`, `Jun 14 15:16:01`,
 * `2015-10-18 18:01:47,978`) are one value: they become a single token before the split, so the
 * names of days and months in them do not read as constant words.
 */
const TIMESTAMP_SPAN = new RegExp(
  [
    `\\b(?:${WEEKDAY}\\s+)?${MONTH}\\s+\\d{1,2}(?:,?\\s+\\d{4})?\\s+${CLOCK}(?:\\s+\\d{4})?\\b`,
    `\\b${WEEKDAY}\\s+\\d{1,2}\\s+${MONTH}\\s+\\d{4}(?:\\s+${CLOCK})?`,
    `\\b\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}[T\\s]+${CLOCK}`,
  ].join('|'),
  'g',
);

function hasDigitAndColon(text: string): boolean {
  return text.includes(':') && /\d/.test(text);
}

/** Whitespace tokens, except that a timestamp span stays one token. */
function splitTokens(text: string): string[] {
  if (!hasDigitAndColon(text)) return text.split(WHITESPACE);
  TIMESTAMP_SPAN.lastIndex = 0;
  const out: string[] = [];
  let from = 0;
  for (let m = TIMESTAMP_SPAN.exec(text); m; m = TIMESTAMP_SPAN.exec(text)) {
    pushWords(out, text.slice(from, m.index));
    out.push(m[0].replace(WHITESPACE_G, ' '));
    from = m.index + m[0].length;
  }
  pushWords(out, text.slice(from));
  return out;
}

const WHITESPACE_G = /\s+/g;

function pushWords(out: string[], text: string): void {
  for (const w of text.split(WHITESPACE)) if (w !== '') out.push(w);
}

/**
 * Tokenises a line on whitespace and masks each token. A line over the limits is cut; when tokens
 * are dropped the last kept token becomes `<*>` so the cut lines of one event still group.
 */
export function maskLine(line: string, limits: MaskLimits = DEFAULT_MASK_LIMITS): MaskedLine {
  let truncated = false;
  let text = line;
  if (text.length > limits.maxLineLength) {
    text = text.slice(0, limits.maxLineLength);
    truncated = true;
  }
  const trimmed = text.trim();
  const raw = trimmed === '' ? [] : splitTokens(trimmed);
  if (raw.length > limits.maxTokens) {
    const rest = raw.splice(limits.maxTokens - 1).join(' ');
    raw.push(rest);
    truncated = true;
  }
  const masked = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) masked[i] = maskToken(raw[i] as string);
  if (truncated && raw.length === limits.maxTokens) masked[raw.length - 1] = WILDCARD;
  return collapseRepeats(raw, masked, truncated);
}

/**
 * A run of adjacent tokens with the same masked shape (`blk_<*> blk_<*> blk_<*>`, `<*> <*>`) is one
 * list-valued parameter whose length varies from line to line: it becomes one token, so the lines
 * of one event keep one token count (the miner routes by it) however long their lists are.
 */
function collapseRepeats(raw: string[], masked: string[], truncated: boolean): MaskedLine {
  let run = false;
  for (let i = 1; i < masked.length && !run; i++) run = masked[i] === masked[i - 1] && (masked[i] as string).includes(WILDCARD);
  if (!run) return { raw, masked, truncated };
  const outRaw: string[] = [];
  const outMasked: string[] = [];
  for (let i = 0; i < masked.length; i++) {
    const m = masked[i] as string;
    const last = outMasked.length - 1;
    if (last >= 0 && outMasked[last] === m && m.includes(WILDCARD)) outRaw[last] += ` ${raw[i] as string}`;
    else {
      outRaw.push(raw[i] as string);
      outMasked.push(m);
    }
  }
  return { raw: outRaw, masked: outMasked, truncated };
}

/** Convenience for tests and tooling: the masked token sequence of a line. */
export function maskedTokens(line: string): string[] {
  return maskLine(line).masked;
}
