import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TemplateMiner } from '@homeostat/logmine';
import { mineFile, outputPath, templatesCommand } from './templates.command';

describe('homeostat templates', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-templates-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const lines = [
    'Failed password for root from 10.0.0.1 port 22 ssh2',
    '',
    'Failed password for admin from 10.0.0.2 port 2222 ssh2',
    'Connection closed by 10.0.0.3 [preauth]',
  ];

  it('writes one object per input line, in order, with the ids the miner gives (CRLF tolerant)', async () => {
    const input = path.join(dir, 'auth.log');
    fs.writeFileSync(input, lines.join('\r\n') + '\r\n');
    await templatesCommand([input], { outDir: path.join(dir, 'out'), progress: false });
    const written = fs
      .readFileSync(path.join(dir, 'out', 'auth.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { template_id: string; template: string });
    const miner = new TemplateMiner();
    expect(written).toEqual(
      lines.map((l) => {
        const m = miner.add(l);
        return { template_id: m.templateId, template: m.template };
      }),
    );
    // At-the-time semantics: the first line shows the template before the third generalised it.
    expect(written[0]?.template).toBe('Failed password for root from <*> port <*> ssh<*>');
    expect(written[2]?.template).toBe('Failed password for <*> from <*> port <*> ssh<*>');
    expect(written[1]).toEqual({ template_id: new TemplateMiner().add('').templateId, template: '' });
  });

  it('handles an empty file and a file without a final newline', async () => {
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '');
    expect((await mineFile(empty, path.join(dir, 'e.jsonl'))).lines).toBe(0);
    const noEol = path.join(dir, 'x.log');
    fs.writeFileSync(noEol, 'a 1\nb 2');
    expect((await mineFile(noEol, path.join(dir, 'x.jsonl'))).lines).toBe(2);
  });

  it('names the output after the input and refuses two inputs with one output', async () => {
    expect(outputPath('/var/log/app.log', '/o')).toBe(path.join('/o', 'app.jsonl'));
    await expect(templatesCommand(['a/x.log', 'b/x.log'], { outDir: dir })).rejects.toThrow(/both write/);
    await expect(templatesCommand([path.join(dir, 'missing.log')], { outDir: dir })).rejects.toThrow(/not a readable file/);
  });
});
