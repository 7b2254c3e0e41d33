import { readFile } from 'node:fs/promises';
import { formatSpecError, looksLikeIntent, readIntentFile, validateLoopFiles, type SpecError } from '@homeostat/contracts';

interface FileResult {
  file: string;
  ok: boolean;
  errors: SpecError[];
}

/** Loop specs and intents (`kind: Intent`), each checked by its own schema, reported alike in the files' order. */
export async function validateFiles(files: string[]): Promise<FileResult[]> {
  const isIntent = await Promise.all(files.map(async (f) => looksLikeIntent(await readFile(f, 'utf8').catch(() => ''))));
  const loops = await validateLoopFiles(files.filter((_, i) => !isIntent[i]));
  const intents = await Promise.all(
    files.filter((_, i) => isIntent[i]).map(async (file) => ({ file, parsed: await readIntentFile(file) })),
  );
  return files.map((file, i): FileResult => {
    if (isIntent[i]) {
      const parsed = intents.find((r) => r.file === file)?.parsed;
      return { file, ok: parsed?.ok === true, errors: parsed && !parsed.ok ? parsed.errors : [] };
    }
    const r = loops.find((l) => l.file === file);
    return { file, ok: r?.ok === true, errors: r?.errors ?? [] };
  });
}

export async function validateCommand(files: string[], options: { json?: boolean }): Promise<void> {
  const results = await validateFiles(files);
  if (options.json) {
    process.stdout.write(
      JSON.stringify(
        results.map(({ file, ok, errors }) => ({ file, ok, errors })),
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const r of results) {
      if (r.ok) process.stdout.write(`ok    ${r.file}\n`);
      else for (const e of r.errors) process.stdout.write(`${formatSpecError(e)}\n`);
    }
    const bad = results.filter((r) => !r.ok).length;
    process.stdout.write(`${results.length - bad} valid, ${bad} invalid\n`);
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}
