import { readFile } from 'node:fs/promises';

/** A V8 `.cpuprofile` (what `node --cpu-prof` writes). */
interface CpuProfile {
  startTime: number;
  endTime: number;
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileCost {
  /** A function (`name (file:line)`) or an area (package, node internals, GC). */
  what: string;
  /** Share of the non-idle samples. */
  share: number;
  milliseconds: number;
}

/** Where a frame's code lives: an npm package, a node: module, klingflow's sources, V8. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const packageMatch = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (packageMatch) return packageMatch.at(-1)!.replace('node_modules/', '');
  if (url.startsWith('node:')) return url.split('/')[0]!;
  if (url.includes('/src/'))
    return `klingflow ${url
      .slice(url.indexOf('/src/') + 1)
      .split('/')
      .slice(0, 2)
      .join('/')}`;
  if (url.includes('workflow-bundle') || url.startsWith('webpack'))
    return 'workflow bundle (sandbox)';
  return url.split('/').slice(-2).join('/');
}

/**
 * Self time per function and per area over one or more profiles (one per thread), largest
 * first, idle time left out. With `lastMs`, only each profile's last milliseconds count (the
 * measured work before the process exited, without its start).
 */
export async function summarizeProfiles(
  paths: string[],
  lastMs = Number.POSITIVE_INFINITY,
): Promise<{ functions: ProfileCost[]; areas: ProfileCost[]; busyMs: number }> {
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let busy = 0;
  for (const path of paths) {
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const from = profile.endTime - lastMs * 1000;
    let at = profile.startTime;
    profile.samples.forEach((id, index) => {
      const node = nodes.get(id);
      const micros = profile.timeDeltas[index] ?? 0;
      at += micros;
      if (at < from || !node || node.callFrame.functionName === '(idle)') return;
      const { functionName, url, lineNumber } = node.callFrame;
      const file = url ? ` (${url.split('/').slice(-2).join('/')}:${lineNumber + 1})` : '';
      const name = `${functionName || '(anonymous)'}${file}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
      const area = areaOf(url, functionName);
      byArea.set(area, (byArea.get(area) ?? 0) + micros);
      busy += micros;
    });
  }
  const ranked = (costs: Map<string, number>): ProfileCost[] =>
    [...costs]
      .sort((left, right) => right[1] - left[1])
      .map(([what, micros]) => ({
        what,
        share: busy === 0 ? 0 : micros / busy,
        milliseconds: Math.round(micros / 1000),
      }));
  return { functions: ranked(byFunction), areas: ranked(byArea), busyMs: Math.round(busy / 1000) };
}
