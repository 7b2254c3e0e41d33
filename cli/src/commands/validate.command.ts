import { formatSpecError, validateLoopFiles } from '@homeostat/contracts';

export async function validateCommand(files: string[], options: { json?: boolean }): Promise<void> {
  const results = await validateLoopFiles(files);
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
