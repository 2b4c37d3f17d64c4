import { describe, expect, it } from 'vitest';
import { createProgram } from '../../../src/cli/program.js';

const names = async (argv: string[]) =>
  (await createProgram(['node', 'klingflow', ...argv])).commands.map((command) => command.name());

describe('the CLI program', () => {
  it('registers every command for --help, in the documented order', async () => {
    expect(await names(['--help'])).toEqual([
      'server',
      'dev',
      'worker',
      'generate',
      'status',
      'cancel',
      'list',
      'batch',
      'providers',
      'schema',
    ]);
  });

  it('loads only the module of the command that runs, which registers that command', async () => {
    const all = await names([]);
    for (const command of all) {
      const registered = await names([command, '--json']);
      expect(registered).toContain(command);
      expect(registered.length).toBeLessThan(all.length);
    }
  });

  it('loads no command module for --version', async () => {
    expect(await names(['--version'])).toEqual([]);
    expect(await names(['-V'])).toEqual([]);
  });

  it('registers every command for an unknown one, so the error can suggest the right one', async () => {
    expect(await names(['generat'])).toEqual(await names([]));
  });
});
