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

/**
 * A `## Title` section of a markdown document (up to the next `## ` heading), if present; a
 * RegExp matches headings like `## 6. Download (500 MB …)` whatever their number and details.
 */
export function extractSection(document: string, title: string | RegExp): string | undefined {
  const lines = document.split('\n');
  const start = lines.findIndex((line) =>
    typeof title === 'string' ? line.trim() === `## ${title}` : title.test(line),
  );
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

/** The issue-15 targets, one row each in this order, followed over time by these names. */
export const TRACKED_TARGETS = [
  'worker CPU per job',
  'steady-state overhead p95 at 5 jobs/s',
  'overhead vs trivial (burst)',
  'billable actions per polled job',
  "download vs Node's ceiling",
  'download RSS growth',
] as const;

/** The rows of a document's `## Targets` table, by target name, as written. */
export function previousTargetRows(document: string): Map<string, string> {
  const rows = new Map<string, string>();
  const section = extractSection(document, 'Targets') ?? '';
  for (const line of section.split('\n')) {
    const name = line.match(/^\| ([^|]+?) \|/)?.[1];
    if (!name || name === 'target' || /^-+$/.test(name)) continue;
    rows.set(name, line);
  }
  return rows;
}

/**
 * The targets table of this run: the tracked targets first (measured now, else as the previous
 * document had them, else "pending"), then the other targets measured now, then other rows of
 * the previous document that this run did not measure.
 */
export function mergedTargetsTable(measured: Target[], previous: Map<string, string>): string {
  const now = new Map(measured.map((target) => [target.name, targetsTable([target])]));
  const rowOf = (name: string) => now.get(name)?.split('\n')[2] ?? previous.get(name);
  const tracked = TRACKED_TARGETS.map(
    (name) => rowOf(name) ?? `| ${name} | see issue 15 | pending | pending |  |`,
  );
  const others = [
    ...measured.map((target) => target.name),
    ...[...previous.keys()].filter((name) => !now.has(name)),
  ].filter(
    (name, index, all) =>
      !(TRACKED_TARGETS as readonly string[]).includes(name) && all.indexOf(name) === index,
  );
  const header = targetsTable([]).split('\n').slice(0, 2);
  return [...header, ...tracked, ...others.map((name) => rowOf(name)!)].join('\n');
}
