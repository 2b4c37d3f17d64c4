import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROVIDER_ENVIRONMENT } from '../../../src/config/provider-variables.js';
import { VARIABLES } from '../../../src/config/variables.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('environment variables are named in one place', () => {
  const names = [
    ...Object.values(VARIABLES),
    ...Object.values(PROVIDER_ENVIRONMENT).flatMap((provider) => [
      ...provider.keys,
      provider.baseUrl,
    ]),
  ];

  it.each(names)('the README documents %s', (name) => {
    expect(README).toContain(`\`${name}\``);
  });

  it('no source file reads a KLINGFLOW_ variable by its literal name outside src/config', () => {
    const offenders = sourceFiles(join(ROOT, 'src'))
      .filter((path) => !path.includes(`${join('src', 'config')}`))
      .flatMap((path) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .map((line, index) => ({ line, where: `${path.slice(ROOT.length)}:${index + 1}` }))
          .filter(({ line }) => /(env|environment)(\.|\[')KLINGFLOW_[A-Z_]+/.test(line))
          .map(({ where }) => where),
      );
    expect(offenders).toEqual([]);
  });
});
