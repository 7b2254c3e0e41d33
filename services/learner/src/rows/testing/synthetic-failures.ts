import { createRng } from '@homeostat/policy';
import { repairIncidentOpened } from './sample-events';

/**
 * Repair failures made up with the shape of real ones (libs/repair triage's features): a
 * category, error templates, the culprit dependencies (the first strongest) and the packages the
 * errors name, each drawn from its vocabulary with Zipf-like frequencies (a few very common, a long
 * tail), from a seed. For the retrieval test and benchmark; not a model of any real project.
 */
export interface SyntheticFailure {
  readonly incidentId: string;
  readonly loop: string;
  readonly target: string;
  readonly signature: string;
  readonly category: string;
  readonly features: Record<string, number>;
}

export interface SyntheticVocabulary {
  readonly templates: number;
  readonly dependencies: number;
  readonly packages: number;
  readonly loops: number;
  readonly repositories: number;
}

export const REAL_SIZED_VOCABULARY: SyntheticVocabulary = {
  templates: 30_000,
  dependencies: 8_000,
  packages: 20_000,
  loops: 50,
  repositories: 2_000,
};

const CATEGORIES = ['test', 'compilation', 'dependency-resolution', 'toolchain', 'lockfile', 'lint', 'flaky', 'unknown'];
const WORDS = (
  'cannot find symbol class method package does not exist incompatible types expected found unresolved reference ' +
  'failed to execute goal could not resolve dependencies for project artifact not found in repository test failure ' +
  'assertion error expected but was timeout while waiting connection refused unsupported engine requires node version ' +
  'peer dependency conflict lock file out of date module not found cannot read property of undefined syntax error ' +
  'unexpected token no such file or directory permission denied out of memory killed segmentation fault'
).split(' ');

/** Ranks 0..size-1 with P(r) ∝ 1 / (r + 1)^s, by binary search over the cumulative weights. */
function zipf(size: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) cumulative[r] = total += 1 / Math.pow(r + 1, s);
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function template(rank: number): string {
  const words: string[] = [];
  let x = rank + 1;
  for (let i = 0; i < 4 || x > 0; i++) {
    words.push(WORDS[(x + i * 7) % WORDS.length] ?? '*');
    x = Math.floor(x / WORDS.length);
    if (i % 2 === 1) words.push('*');
  }
  return `${words.join(' ')} ${rank}`;
}

/** `count` failures from `seed`; their ids are `${prefix}${index}`. */
export function syntheticFailures(
  count: number,
  seed: number,
  vocabulary: SyntheticVocabulary = REAL_SIZED_VOCABULARY,
  prefix = 'synthetic-',
): SyntheticFailure[] {
  // The policy's seeded mulberry32: the same failures for the same seed, on every machine.
  const rng = createRng(seed);
  const random = (): number => rng.next();
  const category = zipf(CATEGORIES.length, 1, random);
  const templates = zipf(vocabulary.templates, 1.1, random);
  const dependencies = zipf(vocabulary.dependencies, 1, random);
  const packages = zipf(vocabulary.packages, 1, random);
  const loops = zipf(vocabulary.loops, 0.8, random);
  const repositories = zipf(vocabulary.repositories, 0.8, random);
  const failures: SyntheticFailure[] = [];
  for (let i = 0; i < count; i++) {
    const cat = CATEGORIES[category()] ?? 'unknown';
    const features: Record<string, number> = { [`category:${cat}`]: 1 };
    const firstTemplate = template(templates());
    features[`t:${firstTemplate}`] = 1;
    for (let n = Math.floor(random() * 30); n > 0; n--) features[`t:${template(templates())}`] = 1;
    const culprits = Math.floor(random() * 4);
    for (let c = 0; c < culprits; c++) {
      const d = dependencies();
      const score = 0.1 + random() * 0.9;
      features[`dep:org.example${d % 97}:artifact-${d}`] = (c === 0 ? 3 : 1) * score;
    }
    for (let n = 5 + Math.floor(random() * 55); n > 0; n--) {
      const p = packages();
      features[`pkg:org.example${p % 89}.module${p}`] = Math.min(1, 0.05 + random());
    }
    const loop = loops();
    failures.push({
      incidentId: `${prefix}${i}`,
      loop: `loop-${loop}`,
      target: `https://git.example/team-${loop}/repo-${repositories()}.git`,
      signature: `${cat}: ${firstTemplate}`,
      category: cat,
      features,
    });
  }
  return failures;
}

/** The failure's opening as the analyzer publishes it (the learner's rows are made from this). */
export function syntheticOpening(f: SyntheticFailure, time: string) {
  return repairIncidentOpened({
    incidentId: f.incidentId,
    loop: f.loop,
    target: f.target,
    signature: f.signature,
    category: f.category,
    features: f.features,
    time,
  });
}
