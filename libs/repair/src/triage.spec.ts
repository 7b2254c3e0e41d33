import { LineSplitter, splitLines } from './log-lines';
import { lineKey, withoutPassingLines } from './passing-log';
import { similarFailures } from './similarity';
import { errorTemplate } from './signature';
import { triageLog } from './triage';

const download = (g: string, a: string, v: string, ext = 'jar'): string =>
  `[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/${g.replace(/\./g, '/')}/${a}/${v}/${a}-${v}.${ext} (10 kB at 1 MB/s)`;

const MAVEN_HELP = [
  '[ERROR] -> [Help 1]',
  '[ERROR] ',
  '[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.',
  '[ERROR] Re-run Maven using the -X switch to enable full debug logging.',
];

function compilationLog(project: string): string {
  return [
    '[INFO] Scanning for projects...',
    download('org.apache.mina', 'mina-core', '2.2.1'),
    download('org.slf4j', 'slf4j-api', '1.7.36'),
    `[INFO] Building ${project} 1.0-SNAPSHOT`,
    '[INFO] -------------------------------------------------------------',
    '[ERROR] COMPILATION ERROR : ',
    '[INFO] -------------------------------------------------------------',
    `[ERROR] /${project}/src/main/java/com/${project}/net/Acceptor.java:[136,18] cannot find symbol`,
    '  symbol:   method setUseClientMode(boolean)',
    `  location: variable sslFilter of type com.${project}.net.SSLFilter`,
    `[ERROR] /${project}/src/main/java/com/${project}/net/SSLFilter.java:[43,9] constructor SslFilter in class org.apache.mina.filter.ssl.SslFilter cannot be applied to given types;`,
    `[ERROR] /${project}/src/main/java/com/${project}/net/Other.java:[3,9] package org.apache.mina.filter.ssl does not exist`,
    '[INFO] 3 errors ',
    '[INFO] BUILD FAILURE',
    `[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.8.0:compile (default-compile) on project ${project}: Compilation failure`,
    ...MAVEN_HELP,
  ].join('\n');
}

describe('triageLog', () => {
  it('given a Maven compilation failure, names the package of the classes it cannot use by its artifact', () => {
    const d = triageLog(compilationLog('shop'));
    expect(d.category).toBe('compilation');
    expect(d.culprits[0]?.name).toBe('org.apache.mina:mina-core');
    expect(d.signature).toBe('compilation: cannot find symbol');
    // the banner, the three errors with their continuation lines, the summary block
    expect(d.reasonLines).toEqual([
      [6, 6],
      [8, 12],
      [15, 19],
    ]);
  });

  it('gives the same signature to the same failure in another project', () => {
    expect(triageLog(compilationLog('billing')).signature).toBe(triageLog(compilationLog('shop')).signature);
  });

  it('given a failing test, marks the failure with its trace and blames the library that threw', () => {
    const log = [
      download('com.fasterxml.jackson.core', 'jackson-databind', '2.15.0'),
      download('com.fasterxml.jackson.core', 'jackson-core', '2.15.0'),
      '[INFO] Running com.acme.orders.OrderTest',
      '[ERROR] Tests run: 3, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.2 s <<< FAILURE! - in com.acme.orders.OrderTest',
      '[ERROR] parses(com.acme.orders.OrderTest)  Time elapsed: 0.1 s  <<< ERROR!',
      'com.fasterxml.jackson.databind.exc.InvalidDefinitionException: Cannot construct instance of `com.acme.orders.Order`',
      '\tat com.fasterxml.jackson.databind.exc.InvalidDefinitionException.from(InvalidDefinitionException.java:67)',
      '\tat com.fasterxml.jackson.databind.ObjectMapper.readValue(ObjectMapper.java:3600)',
      '\tat com.acme.orders.OrderParser.parse(OrderParser.java:12)',
      '\tat com.acme.orders.OrderTest.parses(OrderTest.java:20)',
      '',
      '[INFO] Results:',
      '[ERROR] Errors: ',
      '[ERROR]   OrderTest.parses:20 » InvalidDefinition Cannot construct instance of `com.acme.orders.Order`',
      '[ERROR] Tests run: 3, Failures: 0, Errors: 1, Skipped: 0',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:2.22.2:test (default-test) on project orders: There are test failures.',
    ].join('\n');
    const d = triageLog(log);
    expect(d.category).toBe('test');
    expect(d.culprits[0]?.name).toBe('com.fasterxml.jackson.core:jackson-databind');
    expect(d.reasonLines).toEqual([
      [4, 10],
      [13, 16],
    ]);
  });

  it('given unresolvable dependencies, blames the coordinates Maven names', () => {
    const log = [
      '[INFO] BUILD FAILURE',
      '[ERROR] Failed to execute goal on project api: Could not resolve dependencies for project com.acme:api:jar:1.0-SNAPSHOT: The following artifacts could not be resolved: io.netty:netty-codec-http:jar:4.1.999.Final: Could not find artifact io.netty:netty-codec-http:jar:4.1.999.Final in central (https://repo.maven.apache.org/maven2) -> [Help 1]',
    ].join('\n');
    const d = triageLog(log);
    expect(d.category).toBe('dependency-resolution');
    expect(d.culprits[0]?.name).toBe('io.netty:netty-codec-http');
    expect(d.culprits.map((c) => c.name)).not.toContain('com.acme:api');
  });

  it('given -Werror, the compiler warnings are the reason lines and name the deprecated library', () => {
    const log = [
      download('commons-io', 'commons-io', '2.12.0'),
      '[INFO] --- maven-compiler-plugin:3.10.1:compile (default-compile) @ tool ---',
      '[WARNING] COMPILATION WARNING : ',
      '[WARNING] /tool/src/main/java/com/acme/tool/Scan.java:[195,35] WildcardFileFilter(java.lang.String) in org.apache.commons.io.filefilter.WildcardFileFilter has been deprecated',
      '[INFO] 1 warning',
      '[ERROR] COMPILATION ERROR : ',
      '[ERROR] /tool/src/main/java/com/acme/tool/Scan.java: warnings found and -Werror specified',
    ].join('\n');
    const d = triageLog(log);
    expect(d.category).toBe('lint');
    expect(d.reasonLines).toEqual([
      [4, 4],
      [6, 7],
    ]);
    expect(d.culprits[0]?.name).toBe('commons-io:commons-io');
  });

  it('given an upper-bound conflict, blames the direct dependency whose path asks for the newest version', () => {
    const log = [
      '[ERROR] Rule 2: org.apache.maven.plugins.enforcer.RequireUpperBoundDeps failed with message:',
      'Require upper bound dependencies error for com.google.http-client:google-http-client:1.42.2 paths to dependency are:',
      '+-com.acme:notify:0.1-SNAPSHOT',
      '  +-com.google.cloud:google-cloud-storage:2.15.0',
      '    +-com.google.http-client:google-http-client:1.42.2 (managed) <-- com.google.http-client:google-http-client:1.42.3',
      'and',
      '+-com.acme:notify:0.1-SNAPSHOT',
      '  +-com.google.cloud:google-cloud-core:2.8.22',
      '    +-com.google.http-client:google-http-client:1.42.2 (managed) <-- com.google.http-client:google-http-client:1.42.2',
      '[INFO] ------------------------------------------------------------------------',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-enforcer-plugin:3.1.0:enforce (enforce) on project notify: Some Enforcer rules have failed.',
    ].join('\n');
    const d = triageLog(log);
    expect(d.category).toBe('dependency-constraint');
    expect(d.culprits[0]?.name).toBe('com.google.cloud:google-cloud-storage');
    expect(d.culprits.map((c) => c.name)).not.toContain('com.acme:notify');
    expect(d.reasonLines).toEqual([
      [1, 9],
      [11, 11],
    ]);
  });

  it('given npm EBADENGINE, names the package and calls it a toolchain failure', () => {
    const log = [
      '> npm ci',
      'npm ERR! code EBADENGINE',
      'npm ERR! engine Unsupported engine',
      'npm ERR! engine Not compatible with your version of node/npm: undici@7.1.0',
      'npm ERR! notsup Required: {"node":">=20.18.1"}',
      'npm ERR! notsup Actual:   {"npm":"10.2.4","node":"v18.19.0"}',
      'npm warn EBADENGINE Unsupported engine for undici@7.1.0: wanted: {"node":">=20.18.1"} (current: {"node":"v18.19.0"})',
    ].join('\n');
    const d = triageLog(log);
    expect(d.category).toBe('toolchain');
    expect(d.culprits[0]?.name).toBe('undici');
    expect(d.reasonLines).toEqual([[2, 7]]);
  });
});

describe('lines', () => {
  it('ends lines at \\n, \\r\\n and a lone \\r, also across chunks', () => {
    expect(splitLines('a\r\nb\rc\nd')).toEqual(['a', 'b', 'c', 'd']);
    const s = new LineSplitter();
    expect([...s.push('a\r'), ...s.push('\nb\r'), ...s.push('c'), ...s.end()]).toEqual(['a', 'b', 'c']);
  });

  it('masks what differs between projects in an error template', () => {
    expect(errorTemplate('[ERROR] /x/src/Foo.java:[3,9] package org.foo.bar does not exist')).toBe('package * does not exist');
  });
});

describe('similarFailures', () => {
  it('ranks by shared rare features, never the failure itself', () => {
    const sim = similarFailures(
      [
        { id: 'a', features: { 'dep:x:y': 3, 't:cannot find symbol': 1 } },
        { id: 'b', features: { 'dep:x:y': 3, 't:other': 1 } },
        { id: 'c', features: { 't:cannot find symbol': 1 } },
      ],
      5,
    );
    expect(sim.get('a')?.map((s) => s.id)).toEqual(['b', 'c']);
    expect(sim.get('c')?.map((s) => s.id)).toEqual(['a']);
  });
});

describe('withoutPassingLines', () => {
  it('drops reason lines the passing build printed too, whatever their numbers and timestamps', () => {
    const failing = ['2022-05-30T09:10:31.1Z [ERROR] Flaky warning 12 ms', '[ERROR] Real failure', '[ERROR] more'];
    const passing = new Set(['2022-05-30T10:00:00.9Z [ERROR] Flaky warning 7 ms'].map(lineKey));
    expect(withoutPassingLines([[1, 3]], (n) => failing[n - 1] ?? '', passing)).toEqual([[2, 3]]);
  });
});
