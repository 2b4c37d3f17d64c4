import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** Dockerfile instructions grouped by stage (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [base = '', , name = `stage-${stages.length}`] = args.split(/\s+/);
      stages.push({ name, base, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = readFileSync(
  fileURLToPath(new URL('../../Dockerfile', import.meta.url)),
  'utf8',
);
const stages = parseDockerfile(dockerfile);
const stage = (name: string) => {
  const found = stages.find((each) => each.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const all = (from: Stage, keyword: string) =>
  from.instructions.filter((each) => each.keyword === keyword).map((each) => each.args);

describe('Dockerfile', () => {
  const runtime = stages.at(-1) as Stage;

  it('builds in stages and ends with a runtime stage on Node 20', () => {
    expect(stages.map((each) => each.name)).toEqual(['build', 'deps', 'runtime']);
    for (const each of stages) expect(each.base).toMatch(/^node:20/);
    expect(all(stage('build'), 'RUN')).toContain('npm run build');
    expect(all(stage('deps'), 'RUN').join(' ')).toMatch(/npm ci --omit=dev/);
  });

  it('copies production dependencies, dist/ and the bin shim into the runtime stage, nothing else', () => {
    expect(all(runtime, 'COPY').sort()).toEqual(
      [
        '--from=deps /app/node_modules ./node_modules',
        'package.json ./package.json',
        'bin/klingflow.js ./bin/klingflow.js',
        '--from=build /app/dist ./dist',
      ].sort(),
    );
    expect(all(runtime, 'ADD')).toEqual([]);
    // No sources, tests or TypeScript tooling at run time.
    expect(all(runtime, 'RUN').join(' ')).not.toMatch(/npm|tsx|\bsrc\b|test\//);
  });

  it('ships the simulated providers compiled into dist/ (built in the build stage)', () => {
    const build = all(stage('build'), 'COPY').join('\n');
    expect(build).toContain('src ./src');
    // They live in src/simulated (sample video included); nothing is taken from test/.
    expect(build).not.toMatch(/\btest\//);
  });

  it('runs unprivileged, with a HEALTHCHECK on /healthz and `klingflow worker` as its command', () => {
    const users = all(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    const keywords = runtime.instructions.map((each) => each.keyword);
    expect(keywords.indexOf('USER')).toBeLessThan(keywords.indexOf('CMD'));
    const [healthcheck] = all(runtime, 'HEALTHCHECK');
    expect(healthcheck).toMatch(/CMD \[.*\/healthz/);
    expect(healthcheck).toContain('KLINGFLOW_METRICS_PORT');
    expect(all(runtime, 'ENV').join(' ')).toMatch(/KLINGFLOW_METRICS_PORT=9464/);
    expect(all(runtime, 'CMD')).toEqual(['["node", "bin/klingflow.js", "worker"]']);
  });
});
