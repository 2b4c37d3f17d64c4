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

/** A `## Title` section of a markdown document (up to the next `## ` heading), if present. */
export function extractSection(document: string, title: string): string | undefined {
  const lines = document.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${title}`);
  if (start < 0) return undefined;
  const next = lines.findIndex((line, index) => index > start && /^## /.test(line));
  return `${lines
    .slice(start, next >= 0 ? next : undefined)
    .join('\n')
    .trimEnd()}\n`;
}

/**
 * Puts `section` (starting with `## Title`) in place of the document's section of that title,
 * or, when it has none, before the `## before` section (at the end when that is missing too).
 */
export function upsertSection(
  document: string,
  title: string,
  section: string,
  before: string,
): string {
  const body = `${section.trimEnd()}\n`;
  const existing = extractSection(document, title);
  if (existing) return document.replace(existing, body);
  const anchor = extractSection(document, before);
  if (anchor) return document.replace(anchor, `${body}\n${anchor}`);
  return `${document.trimEnd()}\n\n${body}`;
}
