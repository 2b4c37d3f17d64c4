import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROVIDER_ENVIRONMENT } from '../../src/providers/configured-providers.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(fileURLToPath(new URL('docker-compose.yml', root)), 'utf8'));
const dockerfile = readFileSync(fileURLToPath(new URL('Dockerfile', root)), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}
const services = compose.services as Record<string, Service>;

describe('docker-compose.yml for users', () => {
  it('runs Temporal auto-setup on PostgreSQL, the Web UI and the klingflow worker', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['postgresql', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'worker'].sort(),
    );
    expect(services.postgresql?.image).toMatch(/^postgres:/);
    expect(services.temporal?.image).toMatch(/^temporalio\/auto-setup:/);
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
    expect(services.worker?.build).toBe('.');
  });

  it('wires Temporal to PostgreSQL and publishes the frontend and UI ports', () => {
    expect(services.temporal?.environment).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgresql',
    });
    expect(services.temporal?.ports).toContain('7233:7233');
    expect(services['temporal-ui']?.ports).toContain('8080:8080');
    expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('starts services in dependency order, waiting for health', () => {
    expect(services.temporal?.depends_on?.postgresql?.condition).toBe('service_healthy');
    expect(services.worker?.depends_on?.temporal?.condition).toBe('service_healthy');
    expect(services.worker?.depends_on?.['temporal-search-attributes']?.condition).toBe(
      'service_completed_successfully',
    );
  });

  it('registers every search attribute the workflows upsert', () => {
    const script = services['temporal-search-attributes']?.command?.join(' ') ?? '';
    for (const key of SEARCH_ATTRIBUTES) expect(script).toContain(key.name);
  });

  it('gives the worker the contract environment, including every provider key and base URL variable it reads', () => {
    const environment = services.worker?.environment ?? {};
    expect(environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      KLINGFLOW_STORAGE_DIR: '/data/videos',
    });
    for (const variable of [
      'KLINGFLOW_TASK_QUEUE',
      'KLINGFLOW_PROVIDERS',
      'KLINGFLOW_POLL_INTERVAL',
    ]) {
      expect(environment).toHaveProperty(variable);
    }
    for (const { keys } of Object.values(PROVIDER_ENVIRONMENT)) {
      for (const key of keys) expect(environment[key]).toBe(`\${${key}:-}`);
    }
  });

  it('builds a worker image whose command is `klingflow worker`', () => {
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).toMatch(/CMD \["node", "bin\/klingflow.js", "worker"\]/);
  });
});
