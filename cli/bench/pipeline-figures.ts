/**
 * The pure arithmetic of `npm run bench:pipeline`: reading one counter from Prometheus text, the
 * time stored items took to catch up with acknowledged ones, CPU per thread group from /proc, and a
 * V8 CPU profile summarised by library and by stage. Kept apart from the bench so it is tested.
 */

/**
 * The value of one sample of `name` whose labels include `labels` (other labels allowed), from
 * Prometheus text exposition; the sum when several series match; undefined when none does.
 */
export function counterValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    let labelText = '';
    let valueText: string;
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}');
      if (close < 0) continue;
      labelText = rest.slice(1, close);
      valueText = rest.slice(close + 1);
    } else if (rest.startsWith(' ')) {
      valueText = rest;
    } else {
      continue; // another metric whose name starts with this one (e.g. _bucket, _sum)
    }
    const present = parseLabels(labelText);
    if (!Object.entries(labels).every(([k, v]) => present[k] === v)) continue;
    const value = Number(valueText.trim().split(/\s+/)[0]);
    if (Number.isNaN(value)) continue;
    total = (total ?? 0) + value;
  }
  return total;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

export interface StoredSample {
  /** Milliseconds (any epoch, the same as loadEndMs). */
  atMs: number;
  stored: number;
}

/**
 * Seconds from the end of the load until the first sample whose stored count reached `target`
 * (0 when it had already at the end of the load); undefined when no sample reached it.
 */
export function catchUpSeconds(samples: readonly StoredSample[], target: number, loadEndMs: number): number | undefined {
  for (const s of samples) {
    if (s.stored >= target) return Math.max(0, s.atMs - loadEndMs) / 1000;
  }
  return undefined;
}

/** The stored count at the last sample taken at or before `atMs` (0 before any). */
export function storedAt(samples: readonly StoredSample[], atMs: number): number {
  let stored = 0;
  for (const s of samples) {
    if (s.atMs > atMs) break;
    stored = s.stored;
  }
  return stored;
}

export type ThreadGroup = 'js-main' | 'node-workers' | 'clickhouse';

/**
 * Which part of a Node process a thread is, from its name (/proc/<pid>/task/<tid>/comm): the
 * main thread runs all JavaScript (every stage); node's other threads (all named "node") are V8's
 * workers (concurrent GC, compilation) and the libuv pool, where chDB's asynchronous queries
 * run; the threads ClickHouse names itself (ThreadPool, MergeMutate, BgSchPool, …) are chDB's.
 */
export function threadGroup(comm: string, isMain: boolean): ThreadGroup {
  if (isMain) return 'js-main';
  if (comm === 'node' || /^V8 |^libuv-worker/.test(comm)) return 'node-workers';
  return 'clickhouse';
}

// ---- CPU profiles (node --cpu-prof) ---------------------------------------------------------

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Time the main thread ran (the shares below are of it). */
  totalMs: number;
  /** Time it waited with nothing to run (on one core: while chDB's threads or other processes had it). */
  idleMs: number;
  /** Self time by library or part of the repo (where the function that ran is defined). */
  byLibrary: { name: string; ms: number; share: number }[];
  /** Self time charged to the stage whose code is the nearest caller (services/<x>, libs/<x>). */
  byStage: { name: string; ms: number; share: number }[];
  /** The functions with most self time. */
  top: { fn: string; where: string; ms: number; share: number }[];
}

/** Where a function is defined, as a name to group by: `libs/otlp`, `services/learner`, `zod`, `node:internal`, `(native)`, … */
export function libraryOf(url: string, functionName: string): string {
  if (!url) {
    if (/^\(.*\)$/.test(functionName)) return functionName; // (garbage collector), (program), (idle)
    return '(native)';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  const repo = /\/((?:libs|services|cli|examples|tools)\/[^/]+)\//.exec(url);
  if (repo) return repo[1] as string;
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

function repoProject(url: string): string | undefined {
  if (url.includes('node_modules')) return undefined;
  return /\/((?:libs|services|cli)\/[^/]+)\//.exec(url)?.[1];
}

/** Summarises a .cpuprofile: the main thread's self time (idle apart) per library, per calling stage, and the top functions. */
export function summarizeProfile(profile: CpuProfile, topN = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const stageCache = new Map<number, string>();
  const stageOf = (id: number): string => {
    const cached = stageCache.get(id);
    if (cached) return cached;
    const node = byId.get(id);
    let stage: string;
    if (!node) stage = '(unknown)';
    else if (/^\((garbage collector|program|idle)\)$/.test(node.callFrame.functionName)) stage = node.callFrame.functionName;
    else {
      const own = repoProject(node.callFrame.url);
      const up = parent.get(id);
      stage = own ?? (up === undefined ? '(outside the repo)' : stageOf(up));
    }
    stageCache.set(id, stage);
    return stage;
  };

  const lib = new Map<string, number>();
  const stage = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const l = libraryOf(url, functionName);
    lib.set(l, (lib.get(l) ?? 0) + us);
    const s = stageOf(id);
    stage.set(s, (stage.get(s) ?? 0) + us);
    const key = `${functionName}@${url}:${lineNumber}`;
    const f = fns.get(key) ?? { fn: functionName || '(anonymous)', where: url ? `${shortUrl(url)}:${lineNumber + 1}` : l, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  const rows = (m: Map<string, number>): { name: string; ms: number; share: number }[] =>
    [...m].map(([name, us]) => ({ name, ms: us / 1000, share: total ? us / total : 0 })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    byLibrary: rows(lib),
    byStage: rows(stage),
    top: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ fn: f.fn, where: f.where, ms: f.us / 1000, share: total ? f.us / total : 0 })),
  };
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const repo = /\/((?:libs|services|cli|examples|tools)\/.*)$/.exec(url);
  return repo ? (repo[1] as string) : url.replace(/^file:\/\//, '');
}
