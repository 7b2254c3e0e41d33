import type { LabelledLog } from './loghub-data';

/**
 * A stress variant of a labelled log: every variable value (a `<*>` of the line's labelled template)
 * that is one whitespace-free token is replaced by a letters-only word derived from it, so equal
 * values stay equal. The ground-truth groups are unchanged. It stands for systems whose variables
 * are words (users, hosts, states, component names) rather than numbers, which masking by shape
 * cannot see: the grouping accuracy on it measures how much the miner relies on values looking
 * like values. Lines that do not match their template (spacing differences) are left as they are.
 * With `phrase`, each value becomes 1 to 3 such words: a variable that spans a varying number of
 * tokens (free text, a name with spaces), which changes the token count of the line.
 */
export function withWordVariables(log: LabelledLog, shape: 'word' | 'phrase' = 'word'): LabelledLog {
  const templates = log.eventTemplates;
  if (!templates) throw new Error(`${log.system}: no EventTemplate column to find the variables with`);
  const patterns = new Map<string, { parts: string[]; re: RegExp }>();
  const contents = log.contents.map((content, i) => {
    const template = templates[i] as string;
    let p = patterns.get(template);
    if (!p) {
      const parts = template.split('<*>');
      p = { parts, re: new RegExp(`^${parts.map(escapeRegExp).join('(.*?)')}$`, 's') };
      patterns.set(template, p);
    }
    const m = p.re.exec(content);
    if (!m) return content;
    let out = p.parts[0] as string;
    for (let k = 1; k < p.parts.length; k++) {
      const value = m[k] as string;
      out +=
        (value.trim() !== '' && !/\s/.test(value) ? (shape === 'word' ? wordFor(value) : phraseFor(value)) : value) +
        (p.parts[k] as string);
    }
    return out;
  });
  return { ...log, contents };
}

/** 1 to 3 words, the count fixed by the value: a variable that spans a varying number of tokens. */
function phraseFor(value: string): string {
  const words = [wordFor(value)];
  for (let n = wordFor(value).length % 3; n > 0; n--) words.push(wordFor(value + String(n)));
  return words.join(' ');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** 3 to 8 lower-case letters from an FNV-1a hash of the value. */
function wordFor(value: string): string {
  let x = 2166136261;
  for (let i = 0; i < value.length; i++) x = Math.imul(x ^ value.charCodeAt(i), 16777619) >>> 0;
  let word = '';
  for (let n = 3 + (x % 6); n > 0; n--) {
    word += String.fromCharCode(97 + (x % 26));
    x = Math.imul(x ^ (x >>> 13), 2654435761) >>> 0;
  }
  return word;
}
