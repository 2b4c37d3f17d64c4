import type { SoakCheck } from './types.js';

/** A named check: passed when nothing offends, else the first offenders as the detail. */
export function check(name: string, offenders: string[], passedDetail: string): SoakCheck {
  const shown = offenders.slice(0, 8).join('; ');
  return {
    name,
    passed: offenders.length === 0,
    detail:
      offenders.length === 0
        ? passedDetail
        : `${offenders.length} offending: ${shown}${offenders.length > 8 ? '; …' : ''}`,
  };
}
