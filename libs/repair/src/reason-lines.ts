/**
 * Which lines of a failing build log explain the failure, decided line by line in one pass (no
 * look-ahead beyond one pending blank line), so a log of any size is read in bounded memory.
 *
 * A line is a reason line when it is an error as the tool that wrote it marks errors (Maven's
 * `[ERROR]`, npm's `npm ERR!`/`npm error`, GitHub's `##[error]`, `error:` of compilers, Gradle's
 * `* What went wrong:` block and `FAILED` tasks and tests, an exception with its stack trace,
 * the CI's own "marked build as failure", git's `fatal:`, a Python traceback) or continues one:
 * the indented lines after an error (javac's `symbol:`/`location:`, stack frames, a failed test's
 * message), the message after Surefire's `<<< FAILURE!`.
 */

/** Maven/Gradle/npm/CI markers of an error line. */
const ERROR_LINE: RegExp[] = [
  /^\[(?:ERROR|FATAL)\]/,
  /^npm (?:ERR!|error)(?:\s|$)/,
  /^npm warn EBADENGINE\b/i,
  /^##\[error\]/,
  /^(?:ERROR|FATAL|Error|error|fatal)(?:\[[\w-]+\])?:/,
  // GNU tools' last word (`tar: Exiting with failure status due to previous errors`).
  /^[\w.-]+: Exiting with failure status\b/,
  // Python: the traceback (its frames are indented below it) and its last line, the exception.
  /^Traceback \(most recent call last\):\s*$/,
  /^[A-Z]\w*(?:Error|Exception): /,
  /^FAILURE: /,
  /^> Task \S+ FAILED/,
  /^\S[^:]*:\d+(?::\d+)?:? (?:fatal )?error\b/,
  /^(?:e|E): \S.*: \(\d+, \d+\)/,
  /marked build as failure/,
  /^Exception in thread /,
  /^! /,
  /^(?:Uncaught )?(?:Type|Reference|Syntax|Range)?Error: /,
  /^Tests run: .*<<< (?:FAILURE|ERROR)!/,
  // Surefire 2.x without a level prefix: `method(org.foo.BarTest)  Time elapsed: 0.01 sec  <<< ERROR!`, its trace below.
  /^[\w$]+(?:\[\d+\])?\([\w.$]+\)\s+Time elapsed: .*<<< (?:FAILURE|ERROR)!\s*$/,
  // TAP (node:test, tape, mocha's tap reporter): a failed test, its YAML diagnostics indented below it.
  /^not ok \d+ - /,
  /^(?:Failed tests|Tests in error): *$/,
  /^(?:\[\w+\] )?Rule \d+: \S+ failed with message:/,
  /^(?:Dependency convergence error for|Require upper bound dependencies error for|Found Banned Dependency:) /,
];

/** After these, the following lines belong to it, up to a tool-prefixed line or a blank line after which no frame or cause goes on. */
const OPENS_MESSAGE =
  /<<< (?:FAILURE|ERROR)!\s*$|^(?:Failed tests|Tests in error): *$|Rule \d+: \S+ failed with message:|^(?:Dependency convergence error for|Require upper bound dependencies error for) /;
/** An enforcer rule's failure: its message is one log record of many lines. */
const RULE_MESSAGE = /Rule \d+: \S+ failed with message:/;
/** Gradle's explanation block runs to `* Try:` (or the next `* ` heading). */
const OPENS_SECTION = /^\* What went wrong:/;
const CLOSES_SECTION = /^\* (?:Try|Get more help|Exception is):?/;
/** Gradle test failures: `SomeTest > someMethod() FAILED`, then its indented message and trace. */
const FAILED_TEST = /^\S.* > .* FAILED\s*$/;
/** An exception and its stack frames: errors in a CI's own output, test output in a Maven build's. */
const EXCEPTION_HEADER =
  /^(?:Caused by: |Caused: |Also: +|FATAL: )?(?:[a-z][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Failure|Shutdown)\b(?::|$)/;
const STACK_FRAME = /^\s+at [\w$.<>/]+ ?\(.*\)\s*$/;
/** Test runners' output, where programs under test print the exceptions they expect. */
const TESTS_START = /^(?:\[INFO\] )?(?:-+\s*$|\s*T E S T S\s*$)/;
const TESTS_END = /^(?:\[\w+\] )?Results ?:\s*$/;
/** Lines that go on a trace after the frames. */
const TRACE_CONTINUES = /^\s*(?:Caused by:|Caused:|Also:|Suppressed:|\.\.\. \d+ (?:more|common frames omitted))/;
/** A Maven (or Gradle) build that succeeded: the errors it printed did not fail the job. */
export const BUILD_SUCCEEDED = /^(?:\[INFO\] )?BUILD SUCCESS(?:FUL)?\b/;
const TOOL_PREFIX = /^\[(?:INFO|WARNING|WARN|DEBUG|ERROR)\]|^Running |^Tests run:/;

type Mode = 'none' | 'indented' | 'message' | 'section';

export class ReasonLineDetector {
  private mode: Mode = 'none';
  private pendingBlank: number[] = [];
  /** Lines still allowed in an exception's message before its frames. */
  private messageBudget = Infinity;
  /** Whether the open message is a whole log record (an enforcer rule's), blank lines included. */
  private wholeRecord = false;
  /** Inside a test runner's output (Surefire's T E S T S to Results): there bare traces are the tests' own output. */
  private inTests = false;

  /**
   * Reads line `n` (its cleaned text); returns the numbers of the lines now known to be reason
   * lines: usually `[n]` or `[]`, and blank lines inside a block once the block goes on after them.
   */
  accept(n: number, text: string): number[] {
    const blank = text.trim() === '';
    if (blank) {
      if (this.mode === 'section' || this.mode === 'indented' || this.mode === 'message') this.pendingBlank.push(n);
      else this.mode = 'none';
      if (this.pendingBlank.length > 2) this.end();
      return [];
    }
    const pending = this.pendingBlank;
    this.pendingBlank = [];
    if (/T E S T S/.test(text) && TESTS_START.test(text)) this.inTests = true;
    else if (TESTS_END.test(text)) this.inTests = false;

    if (this.mode === 'section') {
      if (CLOSES_SECTION.test(text)) {
        this.mode = 'none';
        return [];
      }
      return [...pending, n];
    }
    if (OPENS_SECTION.test(text)) {
      this.mode = 'section';
      return [n];
    }
    // A blank line ends a message unless the exception's frames or causes go on after it, or the
    // message is one log record: Maven prefixes only a record's first line, so an enforcer rule's
    // message runs to the next prefixed line, blank lines and all.
    if (this.mode === 'message' && pending.length > 0) {
      if (this.wholeRecord && !TOOL_PREFIX.test(text)) return [...pending, n];
      if (STACK_FRAME.test(text) || TRACE_CONTINUES.test(text)) {
        this.mode = 'indented';
        return [...pending, n];
      }
      this.mode = 'none';
    }
    if (this.mode === 'message' && !TOOL_PREFIX.test(text) && this.messageBudget-- > 0) {
      if (STACK_FRAME.test(text)) this.mode = 'indented';
      return [n];
    }
    const indented = /^\s/.test(text) || TRACE_CONTINUES.test(text);
    if (this.mode === 'indented' && indented) return [...pending, n];

    if (isErrorLine(text) || FAILED_TEST.test(text)) {
      this.mode = OPENS_MESSAGE.test(text) ? 'message' : 'indented';
      this.messageBudget = Infinity;
      this.wholeRecord = RULE_MESSAGE.test(text);
      return [n];
    }
    if (!this.inTests && (EXCEPTION_HEADER.test(text) || STACK_FRAME.test(text))) {
      // A trace outside any build tool's error: the CI's own failure (a clone, an agent).
      this.mode = STACK_FRAME.test(text) ? 'indented' : 'message';
      this.messageBudget = 4;
      this.wholeRecord = false;
      return [...(this.mode === 'indented' ? pending : []), n];
    }
    this.mode = 'none';
    return [];
  }

  /** Ends any open block (the caller's input ended). */
  end(): void {
    this.mode = 'none';
    this.pendingBlank = [];
  }
}

export function isErrorLine(text: string): boolean {
  for (const pattern of ERROR_LINE) if (pattern.test(text)) return true;
  return false;
}

/** Inclusive 1-based ranges from ascending line numbers. */
export function toRanges(lines: readonly number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const n of lines) {
    const last = ranges[ranges.length - 1];
    if (last && n <= last[1] + 1) last[1] = Math.max(last[1], n);
    else ranges.push([n, n]);
  }
  return ranges;
}
