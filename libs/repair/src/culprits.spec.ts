import { DownloadReader, parseDownload } from './coordinates';
import { triageLog } from './triage';

const download = (g: string, a: string, v: string, ext = 'jar'): string =>
  `[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/${g.replace(/\./g, '/')}/${a}/${v}/${a}-${v}.${ext} (10 kB at 1 MB/s)`;

/** A Surefire run of `com.acme.shop.CartTest` whose one error prints `trace`. */
const testFailure = (downloads: string[], trace: string[]): string =>
  [
    ...downloads,
    '[INFO] Running com.acme.shop.CartTest',
    '[ERROR] Tests run: 2, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.3 s <<< FAILURE! - in com.acme.shop.CartTest',
    '[ERROR] com.acme.shop.CartTest.totals  Time elapsed: 0.1 s  <<< ERROR!',
    ...trace,
    '',
    '[INFO] Results:',
    '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.1.2:test (default-test) on project shop: There are test failures.',
  ].join('\n');

describe('culprits in stack traces', () => {
  it('blames the library the project called, not the one below it where the exception surfaced', () => {
    const log = testFailure(
      [download('org.sample.engine', 'engine-runtime', '23.0.0'), download('org.sample.script', 'script-bridge', '23.0.0')],
      [
        'java.lang.IllegalArgumentException: Could not find option with name charset.',
        '\tat org.sample.engine.options.Options.fail(Options.java:125)',
        '\tat org.sample.engine.options.Options.find(Options.java:231)',
        '\tat org.sample.engine.options.Options.put(Options.java:134)',
        '\tat org.sample.engine.Context.build(Context.java:1832)',
        '\tat org.sample.script.bridge.ScriptBridge.createContext(ScriptBridge.java:342)',
        '\tat com.acme.shop.Pricing.evaluate(Pricing.java:83)',
        '\tat com.acme.shop.CartTest.totals(CartTest.java:27)',
        '\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)',
      ],
    );
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.script:script-bridge');
  });
});

describe('failed casts', () => {
  it.each([
    'java.lang.ClassCastException: class org.sample.log.NoopLogger cannot be cast to class org.sample.fake.FakeLogger (org.sample.log.NoopLogger and org.sample.fake.FakeLogger are in unnamed module of loader app)',
    'java.lang.ClassCastException: org.sample.log.NoopLogger cannot be cast to org.sample.fake.FakeLogger',
  ])('blames the class of the object, not the type the code expected: %s', (header) => {
    const log = testFailure(
      [download('org.sample.log', 'log-api', '2.0.7'), download('org.sample.fake', 'fake-logger', '1.1.0')],
      [header, '\tat org.sample.fake.Loggers.find(Loggers.java:166)', '\tat com.acme.shop.CartTest.totals(CartTest.java:27)'],
    );
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.log:log-api');
  });
});

describe('download lines', () => {
  const line = (verb: 'Downloading' | 'Downloaded', repository: string, url: string): string => `[INFO] ${verb} from ${repository}: ${url}`;

  it.each([
    [
      'https://repo.maven.apache.org/maven2/org/apache/maven/plugins/maven-site-plugin/3.12.1/maven-site-plugin-3.12.1.jar',
      'org.apache.maven.plugins',
    ],
    [
      'https://nexus.example.org/nexus/content/repositories/thirdparty/org/sample/store/store-core/9.2.0/store-core-9.2.0.jar',
      'org.sample.store',
    ],
    ['https://nexus.example.org/content/groups/everything/commons-sample/commons-sample/1.0/commons-sample-1.0.jar', 'commons-sample'],
    ['https://repo.example.org/repository/release/com/sample/geo/geo-index/1.7.1/geo-index-1.7.1.jar', 'com.sample.geo'],
    ['https://mirror.example.com/org/apache/maven/shared/maven-shared-utils/3.3.4/maven-shared-utils-3.3.4.jar', 'org.apache.maven.shared'],
    ['https://vendor.example.com/ga/org/sample/vendor-build/1.0/vendor-build-1.0.jar', 'org.sample'],
  ])('guesses the group of %s from the layout of known repository servers', (url, groupId) => {
    expect(parseDownload(line('Downloaded', 'somewhere', url))?.groupId).toBe(groupId);
  });

  it("learns a repository's base from the same file asked of the next repository", () => {
    const reader = new DownloadReader();
    const mirror = 'https://mirror.example.com/pub/lib/';
    reader.read(line('Downloading', 'mirror', `${mirror}ar/sample/png/pngj/2.0.1/pngj-2.0.1.pom`));
    reader.read(line('Downloading', 'central', 'https://repo.maven.apache.org/maven2/ar/sample/png/pngj/2.0.1/pngj-2.0.1.pom'));
    const artifact = reader.read(line('Downloaded', 'mirror', `${mirror}sampletools/tools-core/1.0/tools-core-1.0.jar`));
    expect(artifact).toEqual({ groupId: 'sampletools', artifactId: 'tools-core', version: '1.0', extension: 'jar' });
  });

  it('names a package by the artifact a named repository served', () => {
    const log = [
      line(
        'Downloading',
        'company',
        'https://nexus.example.org/nexus/content/repositories/central/org/sample/migrate/migrate-core/9.2.0/migrate-core-9.2.0.jar',
      ),
      line(
        'Downloaded',
        'company',
        'https://nexus.example.org/nexus/content/repositories/central/org/sample/migrate/migrate-core/9.2.0/migrate-core-9.2.0.jar (1 MB at 1 MB/s)',
      ),
      '[ERROR] /shop/src/main/java/com/acme/shop/Db.java:[3,30] package org.sample.migrate.core.api does not exist',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project shop: Compilation failure',
    ].join('\n');
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.migrate:migrate-core');
  });
});

describe('compiler warnings made errors', () => {
  it('names the package of a deprecated class that javac names by its simple name', () => {
    const log = [
      download('org.sample.http', 'http-retry', '3.0.0'),
      '[INFO] --- compiler:3.11.0:compile (default-compile) @ shop ---',
      '[WARNING] /shop/src/main/java/com/acme/shop/Client.java:[12,30] [deprecation] Backoff in org.sample.http.retry has been deprecated',
      '[ERROR] COMPILATION ERROR : ',
      '[ERROR] /shop/src/main/java/com/acme/shop/Client.java: warnings found and -Werror specified',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project shop: Compilation failure',
    ].join('\n');
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.http:http-retry');
  });
});

describe('exceptions that report another class', () => {
  it('takes an exception whose message spans lines for a wrapper once a cause follows it', () => {
    const log = testFailure(
      [download('org.sample.config', 'config-core', '4.0.0'), download('org.sample.yaml', 'yaml-reader', '2.0.0')],
      [
        'org.sample.config.ConfigException: ',
        'config.yaml has an error:',
        '  * Unknown key at: output.format',
        '',
        '\tat org.sample.config.ConfigFactory.build(ConfigFactory.java:94)',
        '\tat com.acme.shop.CartTest.totals(CartTest.java:27)',
        'Caused by: org.sample.yaml.UnknownKeyException: unknown key format',
        '\tat org.sample.yaml.Reader.read(Reader.java:12)',
      ],
    );
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.yaml:yaml-reader');
  });
  it('keeps an exception the root cause when other output comes before a later cause', () => {
    const log = [
      download('org.sample.config', 'config-core', '4.0.0'),
      download('org.sample.yaml', 'yaml-reader', '2.0.0'),
      'org.sample.config.ConfigException: config.yaml has an error:',
      '  * Unknown key at: output.format',
      '[INFO] Deploying to staging',
      'Caused by: org.sample.yaml.UnknownKeyException: unknown key format',
    ].join('\n');
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.config:config-core');
  });

  it("blames the class Jackson found an unknown field in, not Jackson, even in the tests' output", () => {
    const log = testFailure(
      [
        download('org.sample.config', 'config-core', '4.0.0'),
        download('com.fasterxml.jackson.core', 'jackson-databind', '2.15.2'),
        download('org.sample.alerts', 'config-alerts', '4.0.1'),
      ],
      [
        'org.sample.config.ConfigException: ',
        'config.yaml has an error:',
        '  * Unrecognized field at: alerts.[0].retries',
        '',
        'Caused by: com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException: ',
        'Unrecognized field "retries" (class org.sample.alerts.AlertFactory), not marked as ignorable (3 known properties: "url", "level", "name"])',
        ' at [Source: UNKNOWN] (through reference chain: com.acme.shop.ShopConfig["alerts"]->org.sample.config.AlertsFactory["list"]->org.sample.alerts.AlertFactory["retries"])',
      ],
    );
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.alerts:config-alerts');
  });

  it('blames the artifact named after a type id Jackson found no subtype for, not the type it extends', () => {
    const message =
      'Could not resolve type id \'pager\' as a subtype of `org.sample.config.AlertFactory`: known type ids = [mail, log] (through reference chain: com.acme.shop.ShopConfig["alerts"]->org.sample.config.AlertsFactory["list"]->java.util.ArrayList[0])';
    const log = testFailure(
      [
        download('org.sample.config', 'config-core', '4.0.0'),
        download('com.fasterxml.jackson.core', 'jackson-databind', '2.15.2'),
        download('org.sample.pager', 'pager-client', '1.2.0'),
        download('org.example', 'config-pager', '4.0.1'),
      ],
      [
        'org.sample.config.ConfigException: ',
        `config.yaml has an error: ${message}`,
        '',
        `Caused by: com.fasterxml.jackson.databind.exc.InvalidTypeIdException: ${message}`,
        '\tat com.fasterxml.jackson.databind.exc.InvalidTypeIdException.from(InvalidTypeIdException.java:43)',
        '\tat com.fasterxml.jackson.databind.DeserializationContext.invalidTypeIdException(DeserializationContext.java:2084)',
        '\tat org.sample.config.ConfigFactory.build(ConfigFactory.java:94)',
        '\tat com.acme.shop.CartTest.totals(CartTest.java:27)',
      ],
    );
    expect(triageLog(log).culprits[0]?.name).toBe('org.example:config-pager');
  });
});

describe('enforcer rules', () => {
  it("reads a duplicate-classes report to its end and blames the released jar, not the project's own module", () => {
    const log = [
      download('org.sample.proto', 'common-protos', '2.7.0'),
      '[INFO] --- enforcer:3.0.0:enforce (enforce) @ shop-grpc ---',
      '[WARNING] Rule 3: org.apache.maven.plugins.enforcer.BanDuplicateClasses failed with message:',
      'Duplicate classes found:',
      '',
      '  Found in:',
      '    com.acme.shop:shop-proto:jar:1.4.0-SNAPSHOT:compile',
      '    org.sample.proto:common-protos:jar:2.7.0:compile',
      '  Duplicate classes:',
      '    com/acme/shop/location/Location.class',
      '    com/acme/shop/location/Location$Builder.class',
      '',
      '[INFO] ------------------------------------------------------------------------',
      '[INFO] BUILD FAILURE',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-enforcer-plugin:3.0.0:enforce (enforce) on project shop-grpc: Some Enforcer rules have failed. Look above for specific messages explaining why the rule failed. -> [Help 1]',
    ].join('\n');
    const d = triageLog(log);
    expect(d.reasonLines).toEqual([
      [3, 11],
      [15, 15],
    ]);
    expect(d.culprits[0]?.name).toBe('org.sample.proto:common-protos');
    expect(d.culprits.map((c) => c.name)).not.toContain('com.acme.shop:shop-proto');
  });
});

describe('dependency analysis', () => {
  const log = (goal: string): string =>
    [
      '[INFO] --- dependency:3.6.0:analyze-only (analyze) @ core ---',
      '[INFO] --- dependency:3.6.0:analyze-only (analyze) @ shop ---',
      '[WARNING] Used undeclared dependencies found:',
      '[WARNING]    org.sample.json:json-annotations:jar:2.0.0:compile',
      '[WARNING] Unused declared dependencies found:',
      '[WARNING]    org.sample.text:text-core:jar:1.4:compile',
      '[INFO] BUILD FAILURE',
      `[ERROR] Failed to execute goal ${goal} (analyze) on project shop: Dependency problems found -> [Help 1]`,
    ].join('\n');

  it('blames the artifacts a failed dependency:analyze lists', () => {
    const names = triageLog(log('org.apache.maven.plugins:maven-dependency-plugin:3.6.0:analyze-only'))
      .culprits.slice(0, 2)
      .map((c) => c.name);
    expect(names.sort()).toEqual(['org.sample.json:json-annotations', 'org.sample.text:text-core']);
  });

  it('ignores the lists when the analysis did not fail the build', () => {
    const names = triageLog(log('org.apache.maven.plugins:maven-surefire-plugin:3.1.2:test')).culprits.map((c) => c.name);
    expect(names).not.toContain('org.sample.json:json-annotations');
  });
});

describe("an update bot's commit in the log", () => {
  const failing = (checkout: string[]): string =>
    [
      ...checkout,
      download('org.sample.net', 'net-core', '5.0.0'),
      download('org.sample.text', 'text-core', '2.1.0'),
      '[ERROR] /shop/src/main/java/com/acme/shop/Feed.java:[3,30] package org.sample.net.http does not exist',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project shop: Compilation failure',
    ].join('\n');

  it.each([
    ['Commit message: "Bump text-core from 2.0.0 to 2.1.0"', 'org.sample.text:text-core'],
    ['HEAD is now at 7847c11 Bump org.sample.text:text-core from 2.0.0 to 2.1.0 (#240)', 'org.sample.text:text-core'],
    ['Bumps [org.sample.text:text-core](https://github.com/sample/text) from 2.0.0 to 2.1.0.', 'org.sample.text:text-core'],
    ['Commit message: "Update dependency org.sample.text:text-core to v2.1.0"', 'org.sample.text:text-core'],
    ['Commit message: "chore(deps): bump @sample/fetch from 1.2.0 to 2.0.0"', '@sample/fetch'],
  ])('names the dependency the commit title %s moved', (title, name) => {
    expect(triageLog(failing([title])).culprits[0]?.name).toBe(name);
  });

  it('goes by the errors when no such commit is in the log', () => {
    expect(triageLog(failing(['HEAD is now at 7847c11 Fix the feed parser'])).culprits[0]?.name).toBe('org.sample.net:net-core');
    expect(triageLog(failing(['HEAD is now at 7847c11 Bump version from 1.4.0 to 1.5.0'])).culprits[0]?.name).toBe(
      'org.sample.net:net-core',
    );
  });
});

describe('a class missing from an artifact a sibling has moved past', () => {
  /** A compilation that cannot find `org.sample.web.core.setup.Environment`, with the family's jars at `versions`. */
  const missingClass = (versions: Record<string, string>): string =>
    [
      ...Object.entries(versions).map(([artifact, version]) => download('org.sample.web', artifact, version)),
      '[ERROR] COMPILATION ERROR : ',
      '[ERROR] /app/src/main/java/com/acme/app/Server.java:[160,16] cannot access org.sample.web.core.setup.Environment',
      '  class file for org.sample.web.core.setup.Environment not found',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.10.1:compile (default-compile) on project app: Compilation failure',
    ].join('\n');

  it('blames the sibling fetched a release ahead of the artifact that lacks the class', () => {
    const log = missingClass({ 'web-core': '2.1.5', 'web-jetty': '2.1.5', 'web-client': '4.0.0' });
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.web:web-client');
  });

  it('blames the artifact that lacks the class when its family is at one version', () => {
    const log = missingClass({ 'web-core': '4.0.0', 'web-jetty': '4.0.0', 'web-client': '4.0.0' });
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.web:web-core');
  });

  it('blames no sibling when two are ahead alike', () => {
    const log = missingClass({ 'web-core': '2.1.5', 'web-jetty': '4.0.0', 'web-client': '4.0.0' });
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.web:web-core');
  });

  it('blames no sibling of another project in the same group, with versions of its own', () => {
    const log = [
      download('org.sample.commons', 'commons-lang3', '3.12.0'),
      download('org.sample.commons', 'commons-collections4', '4.4'),
      '[ERROR] COMPILATION ERROR : ',
      '[ERROR] /app/src/main/java/com/acme/app/Server.java:[16,16] cannot access org.sample.commons.lang3.Strings',
      '  class file for org.sample.commons.lang3.Strings not found',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.10.1:compile (default-compile) on project app: Compilation failure',
    ].join('\n');
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.commons:commons-lang3');
  });

  it('reads the class a test could not load', () => {
    const log = testFailure(
      [download('org.sample.json', 'json-core', '2.10.5'), download('org.sample.json', 'json-databind', '2.12.6')],
      [
        'java.lang.NoClassDefFoundError: org/sample/json/core/util/JsonFeature',
        '\tat org.sample.json.databind.ObjectMapper.<init>(ObjectMapper.java:600)',
        '\tat com.acme.shop.CartTest.totals(CartTest.java:27)',
        'Caused by: java.lang.ClassNotFoundException: org.sample.json.core.util.JsonFeature',
        '\tat java.base/java.net.URLClassLoader.findClass(URLClassLoader.java:476)',
      ],
    );
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.json:json-databind');
  });

  it('reads the method a test could not link', () => {
    const log = testFailure(
      [download('org.sample.json', 'json-core', '2.10.5'), download('org.sample.json', 'json-databind', '2.12.6')],
      [
        "java.lang.NoSuchMethodError: 'boolean org.sample.json.core.JsonParser.isExpected(int)'",
        '\tat org.sample.json.databind.ObjectMapper.read(ObjectMapper.java:600)',
        '\tat com.acme.shop.CartTest.totals(CartTest.java:27)',
      ],
    );
    expect(triageLog(log).culprits[0]?.name).toBe('org.sample.json:json-databind');
  });
});

describe('culprits with equal evidence', () => {
  it('ranks first the one the log named first, not the first by name', () => {
    const log = [
      '[WARNING] Rule 1: org.apache.maven.plugins.enforcer.EnforceBytecodeVersion failed with message:',
      'Found Banned Dependency: org.sample.zeta:zeta-autoconfigure:jar:2.5.15',
      'Found Banned Dependency: org.sample.alpha:alpha-core:jar:2.5.15',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-enforcer-plugin:1.4.1:enforce (enforce-bytecode-version) on project app: Some Enforcer rules have failed.',
    ].join('\n');
    const culprits = triageLog(log).culprits;
    expect(culprits[0]?.score).toBe(culprits[1]?.score);
    expect(culprits.slice(0, 2).map((c) => c.name)).toEqual(['org.sample.zeta:zeta-autoconfigure', 'org.sample.alpha:alpha-core']);
  });
});

describe('compiler diagnostics counted once', () => {
  const diagnostics = [
    '[ERROR] /app/src/main/java/com/acme/app/A.java:[3,20] package org.sample.old.xml does not exist',
    '[ERROR] /app/src/main/java/com/acme/app/B.java:[4,20] package org.sample.old.xml does not exist',
    '[ERROR] /app/src/main/java/com/acme/app/C.java:[9,14] incompatible types: org.sample.lib.Node cannot be converted to com.acme.app.Tree',
  ];
  const compilation = (summary: boolean): string =>
    [
      download('org.sample.old', 'old-xml', '1.0.0'),
      download('org.sample.lib', 'lib-core', '2.0.0'),
      '[ERROR] COMPILATION ERROR : ',
      ...diagnostics,
      '[INFO] 3 errors ',
      '[INFO] BUILD FAILURE',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project app: Compilation failure: Compilation failure: ',
      ...(summary ? diagnostics : []),
    ].join('\n');

  it("gives Maven's summary of the diagnostics no weight of its own", () => {
    expect(triageLog(compilation(true)).culprits).toEqual(triageLog(compilation(false)).culprits);
  });

  it('counts a message repeated at every import of a package once', () => {
    const culprits = triageLog(compilation(false)).culprits;
    const score = (name: string): number => culprits.find((c) => c.name === name)?.score ?? 0;
    // One missing package (3) against one named class (1), not two against one.
    expect(score('org.sample.old:old-xml') / score('org.sample.lib:lib-core')).toBeCloseTo(3);
  });
});
