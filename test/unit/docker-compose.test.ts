import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDuration } from '../../src/config/duration.js';
import { PROVIDER_ENVIRONMENT } from '../../src/config/provider-variables.js';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(fileURLToPath(new URL(path, root)), 'utf8');
const compose = parse(read('docker-compose.yml'));

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  entrypoint?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  profiles?: string[];
  stop_grace_period?: string;
}
const services = compose.services as Record<string, Service>;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};
/** The script a one-shot admin-tools service runs, from the mounted deploy/temporal folder. */
const scriptOf = (name: string) => {
  const path = service(name).entrypoint?.at(-1) ?? '';
  expect(path).toMatch(/^\/klingflow\/[\w-]+\.sh$/);
  expect(service(name).volumes).toContain('./deploy/temporal:/klingflow:ro');
  return read(`deploy/temporal/${path.replace('/klingflow/', '')}`);
};

describe('docker-compose.yml', () => {
  it('runs Temporal (server + one-shot admin-tools, no deprecated auto-setup) on PostgreSQL, the UI and the worker', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'postgresql',
        'temporal-schema',
        'temporal',
        'temporal-namespace',
        'temporal-ui',
        'worker',
        'prometheus',
        'grafana',
      ].sort(),
    );
    expect(read('docker-compose.yml')).not.toContain('auto-setup');
    expect(service('postgresql').image).toMatch(/^postgres:/);
    expect(service('temporal').image).toMatch(/^temporalio\/server:/);
    expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service('temporal-namespace').image).toMatch(/^temporalio\/admin-tools:/);
    // Server and admin-tools move together: the schema must match the server version.
    expect(service('temporal').image?.split(':')[1]).toBe(
      service('temporal-schema').image?.split(':')[1],
    );
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:/);
    expect(service('worker').build).toBe('.');
  });

  it('creates and migrates both databases with temporal-sql-tool before the server starts', () => {
    const script = scriptOf('temporal-schema');
    for (const [database, folder] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ] as const) {
      expect(script).toMatch(new RegExp(`sql ${database} create\\n`));
      expect(script).toMatch(new RegExp(`sql ${database} setup-schema -v 0\\.0\\n`));
      expect(script).toContain(`sql ${database} update-schema -d "$SCHEMA/${folder}/versioned"`);
    }
    expect(script).toContain('SCHEMA=/etc/temporal/schema/postgresql/v12');
    expect(script).toContain('temporal-sql-tool --plugin postgres12');
    expect(service('temporal-schema').depends_on?.postgresql?.condition).toBe('service_healthy');
    expect(service('temporal').depends_on?.['temporal-schema']?.condition).toBe(
      'service_completed_successfully',
    );
    expect(service('temporal').environment).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgresql',
    });
    // The server image needs a dynamic config file at the path it is told.
    const dynamicConfig = service('temporal').environment?.DYNAMIC_CONFIG_FILE_PATH;
    expect(service('temporal').volumes).toContain(
      `./deploy/temporal/dynamicconfig.yaml:${dynamicConfig}:ro`,
    );
  });

  it('creates the namespace and registers every search attribute the workflows upsert', () => {
    const script = scriptOf('temporal-namespace');
    expect(script).toContain('temporal operator namespace create --namespace "$NAMESPACE"');
    expect(script).toContain('temporal operator search-attribute create');
    for (const key of SEARCH_ATTRIBUTES) expect(script).toMatch(new RegExp(`\\b${key.name}\\b`));
    expect(service('temporal-namespace').depends_on?.temporal?.condition).toBe('service_healthy');
    expect(service('worker').depends_on?.['temporal-namespace']?.condition).toBe(
      'service_completed_successfully',
    );
  });

  it('publishes every port on 127.0.0.1 only (Temporal has no authentication)', () => {
    const published = Object.entries(services).flatMap(([name, each]) =>
      (each.ports ?? []).map((port) => [name, port] as const),
    );
    expect(published.map(([name]) => name).sort()).toEqual(
      ['grafana', 'prometheus', 'temporal', 'temporal-ui', 'worker'].sort(),
    );
    for (const [name, port] of published) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('gives the worker the contract environment, every provider key and base URL variable', () => {
    const environment = service('worker').environment ?? {};
    expect(environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      KLINGFLOW_STORAGE_DIR: '/data/videos',
      KLINGFLOW_METRICS_PORT: '9464',
    });
    for (const variable of [
      'KLINGFLOW_TASK_QUEUE',
      'KLINGFLOW_PROVIDERS',
      'KLINGFLOW_POLL_INTERVAL',
      'KLINGFLOW_PRICE_RATES',
      'KLINGFLOW_LOG_FORMAT',
      'KLINGFLOW_STORAGE',
      'KLINGFLOW_S3_ENDPOINT',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    ])
      expect(environment).toHaveProperty(variable);
    for (const { keys, baseUrl } of Object.values(PROVIDER_ENVIRONMENT)) {
      for (const key of [...keys, baseUrl]) expect(environment[key]).toBe(`\${${key}:-}`);
    }
  });

  it('checks the worker through its readiness endpoint and lets it shut down gracefully', () => {
    const worker = service('worker');
    const port = worker.environment?.KLINGFLOW_METRICS_PORT;
    expect(worker.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
    // The provider workers' shutdown grace is at least 90 s: Docker must wait longer than that
    // before its SIGKILL, or an in-flight submit ends up ambiguous.
    expect(parseDuration(worker.stop_grace_period ?? '')).toBeGreaterThanOrEqual(120_000);
  });

  it('has an observability profile: Prometheus scrapes the worker, Grafana has the klingflow dashboard', () => {
    expect(service('prometheus').profiles).toEqual(['observability']);
    expect(service('grafana').profiles).toEqual(['observability']);
    for (const name of Object.keys(services).filter(
      (each) => !['prometheus', 'grafana'].includes(each),
    ))
      expect(service(name).profiles, name).toBeUndefined();
    const prometheus = parse(read('deploy/prometheus.yml'));
    const targets = prometheus.scrape_configs.flatMap(
      (job: { static_configs: { targets: string[] }[] }) =>
        job.static_configs.flatMap((config) => config.targets),
    );
    expect(targets).toContain(`worker:${service('worker').environment?.KLINGFLOW_METRICS_PORT}`);
    expect(service('prometheus').volumes).toContain(
      './deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    const datasource = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml'));
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/klingflow.json'));
    const uids = new Set(
      dashboard.panels.map((panel: { datasource: { uid: string } }) => panel.datasource.uid),
    );
    expect([...uids]).toEqual([datasource.datasources[0].uid]);
    expect(dashboard.panels.length).toBeGreaterThan(4);
    expect(service('grafana').volumes).toEqual(
      expect.arrayContaining([
        './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
        './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
  });
});
