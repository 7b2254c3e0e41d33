import { DEFAULT_MASK_LIMITS, maskLine, WILDCARD, type MaskLimits } from './mask';
import { allocateId } from './template-id';

export interface MinerOptions {
  /** Leading tokens used to route a line in the prefix tree, after its token count. */
  readonly depth: number;
  /** Minimum share of a template's tokens a line must agree with to join it (0..1]. */
  readonly similarityThreshold: number;
  /** Children per tree node; further distinct tokens share the `<*>` child. */
  readonly maxChildren: number;
  /** Live clusters; beyond it the least recently used cluster is evicted. */
  readonly maxClusters: number;
  /**
   * Clusters compared per leaf; beyond it the leaf's least recently used cluster is evicted. Bounds
   * the work per line when a flood of unique lines shares one branch.
   */
  readonly maxClustersPerLeaf: number;
  /** Longer lines are cut to this many characters. */
  readonly maxLineLength: number;
  /** Lines with more tokens keep the first `maxTokens - 1` and a `<*>` for the rest. */
  readonly maxTokens: number;
}

/**
 * The one configuration the analyzer and `homeostat templates` use. Chosen once for every system
 * (see libs/logmine/README.md), never tuned per source.
 */
export const DEFAULT_MINER_OPTIONS: MinerOptions = Object.freeze({
  depth: 2,
  similarityThreshold: 0.7,
  maxChildren: 100,
  maxClusters: 20_000,
  maxClustersPerLeaf: 256,
  maxLineLength: DEFAULT_MASK_LIMITS.maxLineLength,
  maxTokens: DEFAULT_MASK_LIMITS.maxTokens,
});

export interface MinedLine {
  readonly templateId: string;
  /** The cluster's template after this line was taken into account. */
  readonly template: string;
  /** The line's tokens where the template has a wildcard, in order. */
  readonly params: string[];
  /** This line created the cluster. */
  readonly isNewTemplate: boolean;
  /** This line generalised an existing template (a token became `<*>`). */
  readonly changedTemplate: boolean;
}

export interface TemplateInfo {
  readonly id: string;
  readonly template: string;
  readonly count: number;
  /** Sequence number (1-based line count of the miner) of the first and last line of the cluster. */
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export interface MinerStats {
  /** Lines given to `add`. */
  readonly lines: number;
  /** Live clusters. */
  readonly templates: number;
  /** Clusters evicted to keep within `maxClusters`. */
  readonly evicted: number;
  /** Lines that had been counted in clusters since evicted. */
  readonly droppedLines: number;
  /** Lines cut to `maxLineLength` / `maxTokens`. */
  readonly truncatedLines: number;
}

export interface ClusterSnapshot {
  readonly id: string;
  /** Keys from the root to the cluster's leaf: token count, then the routing tokens. */
  readonly path: string[];
  readonly tokens: string[];
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** JSON-serialisable state; its size is bounded by `maxClusters × maxTokens`. */
export interface MinerSnapshot {
  readonly version: 1;
  readonly options: MinerOptions;
  readonly lines: number;
  readonly evicted: number;
  readonly droppedLines: number;
  readonly truncatedLines: number;
  /** Least recently used first. */
  readonly clusters: ClusterSnapshot[];
}

interface Cluster {
  readonly id: string;
  readonly path: string[];
  tokens: string[];
  /** Per token: holds a masked value (contains `<*>`). */
  variable: boolean[];
  template: string;
  count: number;
  readonly firstSeen: number;
  lastSeen: number;
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  readonly clusters: Cluster[];
}

function newNode(): TreeNode {
  return { children: new Map(), clusters: [] };
}

function validateOptions(o: MinerOptions): void {
  const bad = (name: keyof MinerOptions, why: string): never => {
    throw new RangeError(`TemplateMiner option ${name}=${String(o[name])}: ${why}`);
  };
  if (!Number.isInteger(o.depth) || o.depth < 0) bad('depth', 'must be an integer ≥ 0');
  if (!(o.similarityThreshold > 0 && o.similarityThreshold <= 1)) bad('similarityThreshold', 'must be in (0, 1]');
  if (!Number.isInteger(o.maxChildren) || o.maxChildren < 1) bad('maxChildren', 'must be an integer ≥ 1');
  if (!Number.isInteger(o.maxClusters) || o.maxClusters < 1) bad('maxClusters', 'must be an integer ≥ 1');
  if (!Number.isInteger(o.maxClustersPerLeaf) || o.maxClustersPerLeaf < 1) bad('maxClustersPerLeaf', 'must be an integer ≥ 1');
  if (!Number.isInteger(o.maxLineLength) || o.maxLineLength < 1) bad('maxLineLength', 'must be an integer ≥ 1');
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 2) bad('maxTokens', 'must be an integer ≥ 2');
}

/** Key of a token in the routing tree: tokens holding a masked value share the `<*>` branch. */
function routeKey(token: string): string {
  return token.includes(WILDCARD) ? WILDCARD : token;
}

/**
 * Online log template miner: a Drain-style fixed-depth prefix tree (token count, then the first
 * `depth` tokens) over masked tokens, with a token-agreement similarity inside each leaf.
 *
 * Ids are assigned when a cluster is created (a hash of its first masked shape) and never change
 * while the template generalises.
 */
export class TemplateMiner {
  readonly options: MinerOptions;
  private readonly limits: MaskLimits;
  private readonly root = new Map<number, TreeNode>();
  /** Live clusters by id, least recently used first (Map keeps insertion order). */
  private readonly lru = new Map<string, Cluster>();
  private lineCount = 0;
  private evictedCount = 0;
  private droppedLineCount = 0;
  private truncatedCount = 0;

  constructor(options: Partial<MinerOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_MINER_OPTIONS, ...options });
    validateOptions(this.options);
    this.limits = { maxLineLength: this.options.maxLineLength, maxTokens: this.options.maxTokens };
  }

  get stats(): MinerStats {
    return {
      lines: this.lineCount,
      templates: this.lru.size,
      evicted: this.evictedCount,
      droppedLines: this.droppedLineCount,
      truncatedLines: this.truncatedCount,
    };
  }

  /** Learns from one line and returns its template. */
  add(line: string): MinedLine {
    const { raw, masked, truncated } = maskLine(line, this.limits);
    const seq = ++this.lineCount;
    if (truncated) this.truncatedCount++;

    const searched = this.search(masked);
    const match = searched && this.bestMatch(searched.clusters, masked);
    if (match) {
      const changed = this.generalise(match, masked);
      match.count++;
      match.lastSeen = seq;
      this.touch(match);
      return {
        templateId: match.id,
        template: match.template,
        params: params(match.tokens, raw),
        isNewTemplate: false,
        changedTemplate: changed,
      };
    }

    const leaf = this.place(masked);
    const cluster: Cluster = {
      id: allocateId(masked, (id) => this.lru.has(id)),
      path: leaf.path,
      tokens: masked.slice(),
      variable: variableFlags(masked),
      template: masked.join(' '),
      count: 1,
      firstSeen: seq,
      lastSeen: seq,
    };
    if (leaf.node.clusters.length >= this.options.maxClustersPerLeaf) this.evictLeastRecent(leaf.node.clusters);
    leaf.node.clusters.push(cluster);
    this.lru.set(cluster.id, cluster);
    this.evictOverflow();
    return {
      templateId: cluster.id,
      template: cluster.template,
      params: params(cluster.tokens, raw),
      isNewTemplate: true,
      changedTemplate: false,
    };
  }

  /** The template `add` would put the line in, without learning, counting or touching recency. */
  match(line: string): MinedLine | undefined {
    const { raw, masked } = maskLine(line, this.limits);
    const leaf = this.search(masked);
    const match = leaf && this.bestMatch(leaf.clusters, masked);
    if (!match) return undefined;
    return {
      templateId: match.id,
      template: match.template,
      params: params(match.tokens, raw),
      isNewTemplate: false,
      changedTemplate: false,
    };
  }

  /** Live templates, most frequent first. */
  templates(): TemplateInfo[] {
    return [...this.lru.values()]
      .map(({ id, template, count, firstSeen, lastSeen }) => ({ id, template, count, firstSeen, lastSeen }))
      .sort((a, b) => b.count - a.count || a.firstSeen - b.firstSeen);
  }

  snapshot(): MinerSnapshot {
    return {
      version: 1,
      options: { ...this.options },
      lines: this.lineCount,
      evicted: this.evictedCount,
      droppedLines: this.droppedLineCount,
      truncatedLines: this.truncatedCount,
      clusters: [...this.lru.values()].map((c) => ({
        id: c.id,
        path: c.path.slice(),
        tokens: c.tokens.slice(),
        count: c.count,
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
      })),
    };
  }

  static restore(s: MinerSnapshot): TemplateMiner {
    if (s.version !== 1) throw new RangeError(`MinerSnapshot version ${String(s.version)} is not supported`);
    const miner = new TemplateMiner(s.options);
    miner.lineCount = s.lines;
    miner.evictedCount = s.evicted;
    miner.droppedLineCount = s.droppedLines;
    miner.truncatedCount = s.truncatedLines;
    for (const c of s.clusters) {
      const node = miner.nodeAt(c.path);
      const cluster: Cluster = {
        ...c,
        path: c.path.slice(),
        tokens: c.tokens.slice(),
        template: c.tokens.join(' '),
        variable: variableFlags(c.tokens),
      };
      node.clusters.push(cluster);
      miner.lru.set(cluster.id, cluster);
    }
    miner.evictOverflow();
    return miner;
  }

  /** The leaf whose clusters a line is compared with: its own branch, else the shared `<*>` branch. */
  private search(masked: readonly string[]): TreeNode | undefined {
    let node = this.root.get(masked.length);
    const depth = Math.min(this.options.depth, masked.length);
    for (let i = 0; node && i < depth; i++) {
      node = node.children.get(routeKey(masked[i] as string)) ?? node.children.get(WILDCARD);
    }
    return node;
  }

  /** The leaf for a new cluster, created as needed; past `maxChildren` new tokens share `<*>`. */
  private place(masked: readonly string[]): { node: TreeNode; path: string[] } {
    const length = masked.length;
    let node = this.root.get(length);
    if (!node) {
      node = newNode();
      this.root.set(length, node);
    }
    const path = [String(length)];
    const depth = Math.min(this.options.depth, length);
    for (let i = 0; i < depth; i++) {
      let key = routeKey(masked[i] as string);
      if (!node.children.has(key) && node.children.size >= this.options.maxChildren) key = WILDCARD;
      let child = node.children.get(key);
      if (!child) {
        child = newNode();
        node.children.set(key, child);
      }
      path.push(key);
      node = child;
    }
    return { node, path };
  }

  private nodeAt(path: readonly string[]): TreeNode {
    const [lengthKey, ...keys] = path;
    const length = Number(lengthKey);
    let node: TreeNode | undefined = this.root.get(length);
    if (!node) {
      node = newNode();
      this.root.set(length, node);
    }
    for (const key of keys) {
      let child: TreeNode | undefined = node.children.get(key);
      if (!child) {
        child = newNode();
        node.children.set(key, child);
      }
      node = child;
    }
    return node;
  }

  /**
   * The cluster whose template agrees with the most of the line's informative tokens (see
   * `similarity`). Ties go to the older cluster. Undefined when no cluster reaches the
   * similarity threshold.
   */
  private bestMatch(clusters: readonly Cluster[], masked: readonly string[]): Cluster | undefined {
    if (clusters.length === 0) return undefined;
    const lineVariable = variableFlags(masked);
    const threshold = this.options.similarityThreshold;
    let best: Cluster | undefined;
    let bestScore = -1;
    for (const c of clusters) {
      const score = agreement(c.tokens, c.variable, masked, lineVariable, threshold);
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    return bestScore >= threshold ? best : undefined;
  }

  /** Turns the template tokens the line disagrees with into wildcards; true when something changed. */
  private generalise(cluster: Cluster, masked: readonly string[]): boolean {
    let changed = false;
    const tokens = cluster.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as string;
      const m = masked[i] as string;
      if (t !== WILDCARD && t !== m) {
        tokens[i] = generaliseToken(t, m);
        changed = true;
      }
    }
    if (changed) {
      cluster.template = tokens.join(' ');
      cluster.variable = variableFlags(tokens);
    }
    return changed;
  }

  private touch(cluster: Cluster): void {
    this.lru.delete(cluster.id);
    this.lru.set(cluster.id, cluster);
  }

  private evictOverflow(): void {
    while (this.lru.size > this.options.maxClusters) this.evict(this.lru.values().next().value as Cluster);
  }

  private evictLeastRecent(clusters: readonly Cluster[]): void {
    let oldest = clusters[0];
    for (const c of clusters) if (oldest && c.lastSeen < oldest.lastSeen) oldest = c;
    if (oldest) this.evict(oldest);
  }

  private evict(cluster: Cluster): void {
    this.lru.delete(cluster.id);
    this.detach(cluster);
    this.evictedCount++;
    this.droppedLineCount += cluster.count;
  }

  /** Removes a cluster from its leaf and prunes the branches left empty, so the tree stays bounded. */
  private detach(cluster: Cluster): void {
    const [lengthKey, ...keys] = cluster.path;
    const length = Number(lengthKey);
    const top = this.root.get(length);
    if (!top) return;
    const trail: TreeNode[] = [top];
    let node = top;
    for (const key of keys) {
      const child = node.children.get(key);
      if (!child) return;
      trail.push(child);
      node = child;
    }
    const at = node.clusters.indexOf(cluster);
    if (at >= 0) node.clusters.splice(at, 1);
    for (let i = trail.length - 1; i > 0; i--) {
      const n = trail[i] as TreeNode;
      if (n.clusters.length > 0 || n.children.size > 0) return;
      (trail[i - 1] as TreeNode).children.delete(keys[i - 1] as string);
    }
    if (top.children.size === 0 && top.clusters.length === 0) this.root.delete(length);
  }
}

/**
 * Token agreement over the informative positions. A position where both the template and the line
 * hold a masked value (`<*>`, `uid=<*>`, `[<*>]`) says nothing about which event this is and is left
 * out; so is a template wildcard `<*>` facing a word: the position has already been seen to vary,
 * and a variable may be a word (a user, a host, a state) as well as a number. Every other position
 * counts, and agrees only when the tokens are equal (a template word facing a masked value of the
 * line disagrees). A line with words agrees with a template only if at least one of them is equal,
 * so an all-wildcard template does not become a catch-all. Identical all-variable shapes have
 * similarity 1.
 */
export function similarity(template: readonly string[], masked: readonly string[]): number {
  return agreement(template, variableFlags(template), masked, variableFlags(masked), 0);
}

function variableFlags(tokens: readonly string[]): boolean[] {
  const flags = new Array<boolean>(tokens.length);
  for (let i = 0; i < tokens.length; i++) flags[i] = (tokens[i] as string).includes(WILDCARD);
  return flags;
}

/**
 * `similarity` over precomputed variable flags. Gives up early (returns -1) once the disagreements
 * exceed what the threshold allows, which keeps a crowded leaf cheap.
 */
function agreement(
  template: readonly string[],
  templateVariable: readonly boolean[],
  masked: readonly string[],
  lineVariable: readonly boolean[],
  threshold: number,
): number {
  const n = masked.length;
  if (n !== template.length) return 0;
  const maxDisagree = threshold > 0 ? (1 - threshold) * n : n;
  let agree = 0;
  let disagree = 0;
  let wordsUnderWildcard = 0;
  for (let i = 0; i < n; i++) {
    if (templateVariable[i] && lineVariable[i]) continue;
    if (template[i] === WILDCARD) wordsUnderWildcard++;
    else if (template[i] === masked[i]) agree++;
    else if (++disagree > maxDisagree) return -1;
  }
  if (agree === 0 && wordsUnderWildcard > 0) return 0;
  const informative = agree + disagree;
  return informative === 0 ? 1 : agree / informative;
}

/** `key=a` and `key=b` generalise to `key=<*>`; any other disagreement to `<*>`. */
function generaliseToken(t: string, m: string): string {
  const eq = t.indexOf('=');
  if (eq > 0 && m.length > eq && m.charCodeAt(eq) === 61 && t.startsWith(m.slice(0, eq))) return t.slice(0, eq + 1) + WILDCARD;
  return WILDCARD;
}

function params(template: readonly string[], raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < template.length; i++) {
    if ((template[i] as string).includes(WILDCARD)) out.push(raw[i] as string);
  }
  return out;
}
