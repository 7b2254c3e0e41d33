import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { DemoProgress } from './run';

export interface StoppableProgress extends DemoProgress {
  stop(): void;
}

/** A bar over the incidents with the current phase on a terminal; plain lines otherwise. */
export function createProgress(stream: NodeJS.WriteStream): StoppableProgress {
  if (!stream.isTTY) {
    // A line per phase, not per countdown tick: lines that differ only in their numbers are one phase.
    let last = '';
    return {
      phase(index, total, text) {
        const line = `[${index}/${total}] ${text}`;
        const shape = line.replace(/\d+(\.\d+)?/g, '#');
        if (shape !== last) stream.write(`${line}\n`);
        last = shape;
      },
      log(line) {
        stream.write(`${line}\n`);
      },
      stop() {
        // nothing to tear down: every line is already written
      },
    };
  }
  const multi = new MultiBar(
    { stream, format: ' incidents {bar} {value}/{total} | {phase}', hideCursor: true, clearOnComplete: false, etaBuffer: 4 },
    Presets.shades_classic,
  );
  let bar: SingleBar | null = null;
  return {
    phase(index, total, text) {
      bar ??= multi.create(total, 0, { phase: '' });
      bar.update(Math.max(0, index - 1), { phase: text.slice(0, 90) });
    },
    log(line) {
      multi.log(`${line}\n`);
    },
    stop() {
      if (bar) bar.update(bar.getTotal(), { phase: 'done' });
      multi.stop();
    },
  };
}
