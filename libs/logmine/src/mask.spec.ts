import { maskLine, maskToken, maskedTokens, WILDCARD } from './mask';

describe('maskToken', () => {
  it.each([
    ['numbers', ['42', '-7', '3.14', '1e-9', '99%']],
    ['hex', ['0x1f', '0219ed38', 'deadbeef01']],
    ['IPv4 with port', ['10.0.0.1', '173.234.31.186:22', '10.1.2.0/24']],
    ['IPv6', ['fe80::1', '0:0:0:0:0:0:0:2181', '2001:db8::8a2e:370:7334']],
    ['UUIDs', ['123e4567-e89b-12d3-a456-426614174000']],
    ['paths', ['/etc/httpd/conf/workers2.properties', './a/b', 'C:\\logs\\app.log']],
    ['URLs', ['http://wiki.apache.org/hadoop/NoRouteToHost', 'hdfs://host:9000/user/x']],
    ['e-mails', ['ops@example.com']],
    ['durations', ['12ms', '3.5s', '250us', '2h']],
    ['sizes', ['10KB', '1.5GiB', '512b']],
    ['times and dates', ['15:42:50', '2005-06-03', '2005-06-03-15.42.50.675872']],
    ['MAC addresses', ['00:1a:2b:3c:4d:5e']],
  ])('masks %s as a whole token', (_shape, tokens) => {
    for (const t of tokens) expect(maskToken(t)).toBe(WILDCARD);
  });

  it('keeps the punctuation that wraps a value', () => {
    expect(maskToken('[173.234.31.186]')).toBe('[<*>]');
    expect(maskToken('(uid=0)')).toBe('(uid=<*>)');
    expect(maskToken('42.')).toBe('<*>.');
    expect(maskToken("'/udev/vcs1'")).toBe("'<*>'");
  });

  it('masks the value of key=value and the numeric parts of identifiers', () => {
    expect(maskToken('rhost=218.188.2.4')).toBe('rhost=<*>');
    expect(maskToken('size=10KB')).toBe('size=<*>');
    expect(maskToken('blk_-6952295868487656571')).toBe('blk_<*>');
    expect(maskToken('attempt_1445144423722_0020_m_000001_0')).toBe('attempt_<*>_m_<*>');
    expect(maskToken('core.1234')).toBe('core.<*>');
  });

  it('leaves plain words alone', () => {
    for (const w of ['error', 'PacketResponder', 'user=root', 'tty=NODEVssh', '[preauth]', 'failure;']) expect(maskToken(w)).toBe(w);
  });
});

describe('maskLine', () => {
  it('keeps a timestamp written with spaces as one masked token', () => {
    const line = maskLine('connection from 1.2.3.4 () at Fri Jul  1 07:57:30 2005');
    expect(line.masked).toEqual(['connection', 'from', '<*>', '()', 'at', '<*>']);
    expect(line.raw[5]).toBe('Fri Jul 1 07:57:30 2005');
    expect(maskedTokens('at 2015-10-18 18:01:47,978 done')).toEqual(['at', '<*>', 'done']);
  });

  it('makes a run of tokens of one masked shape one token, so list lengths do not change the token count', () => {
    const three = maskLine('ask 10.0.0.1:50010 to delete  blk_-1 blk_22 blk_-333');
    expect(three.masked).toEqual(['ask', '<*>', 'to', 'delete', 'blk_<*>']);
    expect(three.raw).toEqual(['ask', '10.0.0.1:50010', 'to', 'delete', 'blk_-1 blk_22 blk_-333']);
    expect(maskedTokens('ask 10.0.0.2:50010 to delete blk_7')).toEqual(three.masked);
    expect(maskedTokens('sizes 1 2 3 KB 4')).toEqual(['sizes', '<*>', 'KB', '<*>']);
    expect(maskedTokens('a b a b')).toEqual(['a', 'b', 'a', 'b']);
  });

  it('gives an empty line no tokens', () => {
    expect(maskLine('')).toEqual({ raw: [], masked: [], truncated: false });
    expect(maskLine('   \t ').masked).toEqual([]);
  });

  it('caps the length and the token count', () => {
    const long = maskLine('x'.repeat(100), { maxLineLength: 10, maxTokens: 5 });
    expect(long.raw).toEqual(['x'.repeat(10)]);
    expect(long.truncated).toBe(true);
    const many = maskLine('a b c d e f g', { maxLineLength: 100, maxTokens: 4 });
    expect(many.raw).toEqual(['a', 'b', 'c', 'd e f g']);
    expect(many.masked).toEqual(['a', 'b', 'c', WILDCARD]);
  });
});
