import { ArtifactIndex } from './culprits';
import { findRepositoryJars } from './coordinates';
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

describe('culprit rules', () => {
  it('names the artifact of a jar the compiler read from the local repository (a class file too new)', () => {
    const log = [
      download('org.example.widgets', 'widget-api', '3.0.0'),
      download('org.example.widgets', 'widget-render', '3.0.0'),
      '[ERROR] COMPILATION ERROR : ',
      '[ERROR] /app/src/main/java/com/acme/app/Panel.java:[4,30] cannot access org.example.widgets.Frame',
      '  bad class file: /root/.m2/repository/org/example/widgets/widget-render/3.0.0/widget-render-3.0.0.jar(/org/example/widgets/Frame.class)',
      '    class file has wrong version 61.0, should be 55.0',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project app: Compilation failure',
    ].join('\n');
    expect(triageLog(log).culprits[0]?.name).toBe('org.example.widgets:widget-render');
  });

  it('reads Gradle cache paths as coordinates', () => {
    expect(
      findRepositoryJars(
        'bad class file: /home/u/.gradle/caches/modules-2/files-2.1/io.example/kit-core/2.1.0/0a1b2c3d/kit-core-2.1.0.jar(/io/example/kit/A.class)',
      ).map((c) => `${c.groupId}:${c.artifactId}:${c.version}`),
    ).toEqual(['io.example:kit-core:2.1.0']);
  });
});

describe('enforcer trees', () => {
  it('blames the direct dependency whose only path asks for more than the managed version', () => {
    const log = [
      '[ERROR] Rule 0: org.apache.maven.enforcer.rules.dependency.RequireUpperBoundDeps failed with message:',
      '[ERROR] Failed while enforcing RequireUpperBoundDeps. The error(s) are [',
      '[ERROR] Require upper bound dependencies error for net.example.rpc:rpc-core:2.4.0 paths to dependency are:',
      '[ERROR] +-org.acme:mailer:1.0-SNAPSHOT',
      '[ERROR]   +-org.sample.cloud:blob-client:5.1.0',
      '[ERROR]     +-net.example.rpc:rpc-core:2.4.0 (managed) <-- net.example.rpc:rpc-core:2.5.1',
      '[ERROR] , ',
      '[ERROR] Require upper bound dependencies error for org.sample.json:json-core:1.1.0 paths to dependency are:',
      '[ERROR] +-org.acme:mailer:1.0-SNAPSHOT',
      '[ERROR]   +-org.other.kit:kit-all:3.0.0',
      '[ERROR]     +-org.sample.json:json-core:1.1.0',
      '[ERROR] and',
      '[ERROR] +-org.acme:mailer:1.0-SNAPSHOT',
      '[ERROR]   +-org.other.kit:kit-all:3.0.0',
      '[ERROR]     +-org.sample.json:json-parser:1.1.0',
      '[ERROR]       +-org.sample.json:json-core:1.1.0',
      '[ERROR] ]',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-enforcer-plugin:3.3.0:enforce (enforce) on project mailer: Some Enforcer rules have failed.',
    ].join('\n');
    const d = triageLog(log);
    expect(d.culprits[0]?.name).toBe('org.sample.cloud:blob-client');
  });

  it('blames the conflicting artifact itself when the project declares it at the newest version', () => {
    const log = [
      '[WARNING] ',
      'Dependency convergence error for org.sample.xml:xml-types:jar:2.3.6:compile paths to dependency are:',
      '+-org.acme:schemas:pom:1.0-SNAPSHOT',
      '  +-org.sample.xml:xml-grammar:jar:2.3.6:compile',
      '    +-org.sample.xml:xml-types:jar:2.3.6:compile',
      'and',
      '+-org.acme:schemas:pom:1.0-SNAPSHOT',
      '  +-org.sample.xml:xml-grammar:jar:2.3.6:compile',
      '    +-org.sample.xml:xml-core:jar:2.3.6:compile',
      '      +-org.sample.xml:xml-types:jar:2.3.6:compile',
      'and',
      '+-org.acme:schemas:pom:1.0-SNAPSHOT',
      '  +-org.sample.xml:xml-types:jar:4.0.0:compile',
      '',
      '[WARNING] Rule 2: org.apache.maven.plugins.enforcer.DependencyConvergence failed with message:',
    ].join('\n');
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.xml:xml-types');
  });

  it('does not blame a path that asks for less than the managed version', () => {
    const log = [
      '[ERROR] Require upper bound dependencies error for net.example.rpc:rpc-core:2.4.0 paths to dependency are:',
      '[ERROR] +-org.acme:mailer:1.0-SNAPSHOT',
      '[ERROR]   +-org.sample.cloud:blob-client:5.1.0',
      '[ERROR]     +-net.example.rpc:rpc-core:2.4.0 (managed) <-- net.example.rpc:rpc-core:2.3.0',
      '[ERROR] ]',
    ].join('\n');
    const d = triageLog(log);
    // a tree line only (1.5 of 3 in all); with the +2 for asking above the managed version it would hold 3.5 of 5
    expect(d.culprits.find((c) => c.name === 'org.sample.cloud:blob-client')?.score ?? 0).toBeLessThan(0.6);
  });
});

describe('linkage errors outside the reason lines', () => {
  const failing = (output: string[]): string =>
    [
      download('org.sample.text', 'formatter-core', '4.0.0'),
      download('org.assertj', 'assertj-core', '3.24.2'),
      '[INFO] Running com.acme.notes.RenderTest',
      ...output,
      '[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.3 s <<< FAILURE! - in com.acme.notes.RenderTest',
      '[ERROR] com.acme.notes.RenderTest.rendersTitle  Time elapsed: 0.1 s  <<< FAILURE!',
      'java.lang.AssertionError: ',
      'Expecting actual not to be null',
      '\tat com.acme.notes.RenderTest.rendersTitle(RenderTest.java:31)',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.1.2:test (default-test) on project notes: There are test failures.',
    ].join('\n');

  it('names the library whose class the code under test could not link, once however often logged', () => {
    const logged =
      "12:00:01.020 [main] WARN  com.acme.notes.Renderer - render failed: java.lang.NoSuchMethodError: 'java.lang.String org.sample.text.Formatter.apply(java.lang.String)'";
    const d = triageLog(failing([logged, logged, logged]));
    expect(d.culprits[0]?.name).toBe('org.sample.text:formatter-core');
    expect(d.culprits[0]?.score).toBeLessThan(1);
    // the logged line is the program's output, not a reason line
    expect(d.reasonLines.some(([a, b]) => a <= 5 && b >= 4)).toBe(false);
  });

  it('reads HotSpot messages that do not name the error class', () => {
    const logged =
      '12:00:01 ERROR [convert] class com.acme.notes.Plain can not implement org.sample.text.Renderer, because it is not an interface (org.sample.text.Renderer is in unnamed module of loader app)';
    expect(triageLog(failing([logged])).culprits[0]?.name).toBe('org.sample.text:formatter-core');
  });

  it.each([
    'class com.acme.notes.Plain has interface org.sample.text.Renderer as super class',
    'Found interface org.sample.text.Renderer, but class was expected',
  ])('reads the IncompatibleClassChangeError message %s', (message) => {
    expect(triageLog(failing([`12:00:01 ERROR [convert] ${message}`])).culprits[0]?.name).toBe('org.sample.text:formatter-core');
  });

  it('ignores ordinary program output that names classes', () => {
    const d = triageLog(failing(['12:00:01 INFO [main] loaded org.sample.text.Formatter from cache']));
    expect(d.culprits[0]?.name).not.toBe('org.sample.text:formatter-core');
  });
});

describe('BOMs that manage a conflict', () => {
  const imports = [
    '[INFO] Scanning for projects...',
    download('org.sample.ext', 'staging-extension', '1.6.3'),
    download('org.example.cloud', 'cloud-shared-dependencies', '3.12.0', 'pom'),
    download('org.sample.collect', 'collect-bom', '32.0.1', 'pom'),
    download('org.example.cloud', 'cloud-queue-bom', '1.123.15', 'pom'),
    '[INFO] Reactor Build Order:',
  ];

  it('blames the platform BOM whose library BOM set the version of the path that asks for the newest', () => {
    const log = [
      ...imports,
      '[ERROR] Require upper bound dependencies error for org.sample.annot:annotations:1.3 paths to dependency are:',
      '[ERROR] +-org.acme:notifier:1.0-SNAPSHOT',
      '[ERROR]   +-org.example.cloud:cloud-storage:2.22.4',
      '[ERROR]     +-org.sample.annot:annotations:1.3',
      '[ERROR] and',
      '[ERROR] +-org.acme:notifier:1.0-SNAPSHOT',
      '[ERROR]   +-org.sample.collect:collect:32.0.1',
      '[ERROR]     +-org.sample.annot:annotations:2.8',
      '[ERROR] ]',
    ].join('\n');
    expect(triageLog(log).culprits[0]?.name).toBe('org.example.cloud:cloud-shared-dependencies');
  });

  it('blames the BOM named for the project of a node the management raised on the newest path', () => {
    const log = [
      ...imports,
      '[ERROR] Require upper bound dependencies error for org.sample.qual:qual:2.5.3 paths to dependency are:',
      '[ERROR] +-org.acme:notifier:1.0-SNAPSHOT',
      '[ERROR]   +-org.sample.log:log-backend:0.7.1',
      '[ERROR]     +-org.sample.qual:qual:2.5.3',
      '[ERROR] and',
      '[ERROR] +-org.acme:notifier:1.0-SNAPSHOT',
      '[ERROR]   +-net.other.io:io-connectors:2.33.0',
      '[ERROR]     +-org.example.cloud:cloud-queue:1.123.15 (managed) <-- org.example.cloud:cloud-queue:1.100.0',
      '[ERROR]       +-org.sample.qual:qual:2.5.5',
      '[ERROR] ]',
    ].join('\n');
    const d = triageLog(log);
    expect(d.culprits[0]?.name).toBe('org.example.cloud:cloud-queue-bom');
    expect(d.culprits.find((c) => c.name === 'net.other.io:io-connectors')?.score ?? 0).toBeLessThan(d.culprits[0]?.score ?? 0);
  });
});

describe('BOMs named for a release line', () => {
  const log = (required: string): string =>
    [
      download('org.example.platform.bom', 'bom-4.12.x', '120.v1', 'pom'),
      download('org.example.platform.bom', 'bom-4.14.x', '120.v1', 'pom'),
      download('org.example.plugins', 'mail-support', '88.v2'),
      '[INFO] BUILD FAILURE',
      `[ERROR] Failed to execute goal org.example.tools:platform-maven-plugin:3.2:validate (default-validate) on project notifier: Dependency org.example.plugins:mail-support:jar:88.v2 requires Platform ${required} or higher. -> [Help 1]`,
    ].join('\n');

  it('blames the imported BOM when the requirement is a newer release of its own line', () => {
    expect(triageLog(log('4.12.3')).culprits[0]?.name).toBe('org.example.platform.bom:bom-4.12.x');
  });

  it('blames the dependency when it requires a later line than the BOM manages', () => {
    expect(triageLog(log('4.20.1')).culprits[0]?.name).toBe('org.example.plugins:mail-support');
  });
});

describe('a dependency left without a version', () => {
  it('blames the BOM the project imports, not the dependency it no longer manages', () => {
    const log = [
      '[INFO] Scanning for projects...',
      download('org.example.stack', 'stack-dependencies', '5.0.0', 'pom'),
      download('org.example.json', 'json-bom', '2.1.0', 'pom'),
      '[ERROR] [ERROR] Some problems were encountered while processing the POMs:',
      "[ERROR] 'dependencies.dependency.version' for javax.annotation:javax.annotation-api:jar is missing. @ line 41, column 17",
      '[ERROR] The build could not read 1 project -> [Help 1]',
      '[ERROR]   The project com.acme:store:1.0-SNAPSHOT (/store/pom.xml) has 1 error',
      "[ERROR]     'dependencies.dependency.version' for javax.annotation:javax.annotation-api:jar is missing. @ line 41, column 17",
    ].join('\n');
    const d = triageLog(log);
    expect(d.culprits[0]?.name).toBe('org.example.stack:stack-dependencies');
    expect(d.culprits.map((c) => c.name)).not.toContain('javax.annotation:javax.annotation-api');
  });
});

describe('more evidence in test output', () => {
  it('reads a NoSuchMethodError logged by its message alone (the method in quotes)', () => {
    const log = [
      download('org.sample.office', 'office-core', '5.2.0'),
      "  1> 10:00:01,100 ERROR [d.extract] [4f2a][/] 'byte[] org.sample.office.util.Streams.readAll(java.io.InputStream, int)'",
      '[ERROR] Failed to execute goal org.example.test:runner-maven-plugin:2.7.9:run (unit) on project extract: There were test failures: 1 suite, 3 tests, 1 failure',
    ].join('\n');
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.office:office-core');
  });

  it("takes Surefire 2.x's unprefixed `<<< ERROR!` line and the trace below it as reason lines", () => {
    const log = [
      '[INFO] Running com.acme.report.BuilderTest',
      'Tests run: 4, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.4 sec <<< FAILURE! - in com.acme.report.BuilderTest',
      'copiesResources(com.acme.report.BuilderTest)  Time elapsed: 0.01 sec  <<< ERROR!',
      "java.lang.IllegalArgumentException: Parameter 'src' is not a file",
      '\tat org.sample.files.FileOps.requireFile(FileOps.java:27)',
      '\tat com.acme.report.Builder.copy(Builder.java:17)',
      '',
      'Results :',
    ].join('\n');
    const d = triageLog(log);
    expect(d.reasonLines).toEqual([[2, 6]]);
    expect(d.culprits[0]?.name).toBe('org.sample.files');
  });
  it("goes on with a trace after a blank line in its exception's message", () => {
    const log = [
      '[INFO] Running com.acme.report.ConfigTest',
      '[ERROR] Tests run: 1, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.4 s <<< FAILURE! - in com.acme.report.ConfigTest',
      '[ERROR] com.acme.report.ConfigTest  Time elapsed: 0.4 s  <<< ERROR!',
      'org.sample.config.ConfigException: ',
      'config.yaml has an error:',
      '  * Unknown key at: output.format',
      '',
      'Caused by: org.sample.yaml.UnknownKeyException: unknown key format',
      '\tat org.sample.yaml.Reader.read(Reader.java:12)',
      '',
      '[INFO] Tests run: 3, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.1 s - in com.acme.report.OtherTest',
      '',
      'this line is program output',
    ].join('\n');
    expect(triageLog(log).reasonLines).toEqual([[2, 9]]);
  });
});

describe('naming a package by its artifact', () => {
  it('prefers an artifact named after the rest of the package to one that only shares its group', () => {
    const index = new ArtifactIndex();
    index.add('org.sample.commons', 'commons-text');
    index.add('commons-files', 'commons-files');
    expect(index.nameOf('org.sample.commons.files.filter')).toBe('commons-files:commons-files');
    expect(index.nameOf('org.sample.commons.text')).toBe('org.sample.commons:commons-text');
    expect(index.nameOf('org.sample.commons.lang')).toBe('org.sample.commons:commons-text');
  });

  it("names a package below the artifact's group by a generic word of its name", () => {
    const index = new ArtifactIndex();
    index.add('org.sample.plexus', 'plexus-compiler-api');
    index.add('org.sample.plexus', 'plexus-utils');
    index.add('org.sample', 'sample-core');
    expect(index.nameOf('org.sample.plexus.util.xml')).toBe('org.sample.plexus:plexus-utils');
    expect(index.nameOf('org.sample.plexus.compiler')).toBe('org.sample.plexus:plexus-compiler-api');
  });

  it('names a package with a major version in it by the artifact that carries that major', () => {
    const index = new ArtifactIndex();
    index.add('org.sample.parse', 'parse-runtime');
    index.add('org.sample.parse', 'parse4-runtime');
    index.add('org.sample.parse', 'parse5-runtime');
    expect(index.nameOf('org.sample.parse.v4.runtime.atn')).toBe('org.sample.parse:parse4-runtime');
    expect(index.nameOf('org.sample.parse.runtime.tree')).toBe('org.sample.parse:parse-runtime');
  });
});

describe('reason lines of tools other than the build', () => {
  it("takes git's fatal and a GNU tool's failure status", () => {
    const log = [
      'Preparing the old revision',
      "fatal: not a git repository (or any of the parent directories): '.git'",
      'tar: This does not look like a tar archive',
      'tar: Exiting with failure status due to previous errors',
      'Post job cleanup.',
    ].join('\n');
    expect(triageLog(log).reasonLines).toEqual([
      [2, 2],
      [4, 4],
    ]);
  });

  it('takes a Python traceback with its frames and the exception that ends it', () => {
    const log = [
      '$ python notify.py',
      'Traceback (most recent call last):',
      '  File "notify.py", line 23, in <module>',
      '    client = Client(token)',
      "KeyError: 'TOKEN'",
      'Build step marked the build as done',
    ].join('\n');
    expect(triageLog(log).reasonLines).toEqual([[2, 5]]);
  });
});
