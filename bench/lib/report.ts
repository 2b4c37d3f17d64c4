import { cpus, totalmem } from 'node:os';

export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  /** When missed: by how much and why. */
  note?: string;
}

export function machineDescription(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 1024 ** 3)} GiB RAM, Node.js ${process.version}, ${process.platform}`;
}

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function targetsTable(targets: Target[]): string {
  return markdownTable(
    ['target', 'goal', 'measured', 'met', 'note'],
    targets.map((target) => [
      target.name,
      target.target,
      target.measured,
      target.met ? 'yes' : '**no**',
      target.note ?? '',
    ]),
  );
}
