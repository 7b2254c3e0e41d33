/**
 * Lines of a build log as CI systems write them. A line ends at `\n`, `\r\n` or a lone `\r`
 * (progress output in Jenkins logs), so line numbers agree with what people count in an editor
 * that honours all three and with Java's `BufferedReader.readLine`.
 */
export class LineSplitter {
  private rest = '';
  private pendingCr = false;

  /** Feeds the next piece of text; returns the lines it completes, in order. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let text = chunk;
    if (this.pendingCr) {
      this.pendingCr = false;
      // "\r" then "\n" in the next chunk is one line end, already counted.
      if (text.startsWith('\n')) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      lines.push(this.rest + text.slice(start, i));
      this.rest = '';
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
    }
    this.rest += text.slice(start);
    return lines;
  }

  /** Characters of the line not yet ended (a caller can refuse a line that never ends). */
  get pendingLength(): number {
    return this.rest.length;
  }

  /** The last line when the text does not end with a line end. */
  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last === '' ? [] : [last];
  }
}

/** Splits a whole text by the same rule (no empty line after a final line end). */
export function splitLines(text: string): string[] {
  const splitter = new LineSplitter();
  return [...splitter.push(text), ...splitter.end()];
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;
/** GitHub Actions raw logs: `2022-05-30T09:10:31.1584995Z ` before each line. */
const GITHUB_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/;
/** GitHub's downloadable archive: `<job>\t<step>\t<timestamp> <text>`. */
const GITHUB_ARCHIVE = /^[^\t]*\t[^\t]*\t(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?)/;

/** The text of a line without colour codes and without the CI's timestamp or job/step prefix. */
export function cleanLine(raw: string): string {
  let line = raw.includes('\u001b') ? raw.replace(ANSI, '') : raw;
  const archive = GITHUB_ARCHIVE.exec(line);
  if (archive) line = line.slice(archive[0].length);
  else if (line.length > 20 && line.charCodeAt(4) === 45 /* - */) line = line.replace(GITHUB_TIMESTAMP, '');
  return line;
}
