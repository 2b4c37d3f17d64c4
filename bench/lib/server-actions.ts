/**
 * The Temporal server's own count of billable actions: its `action` Prometheus counter, by
 * `action_type` (commands such as `command_ScheduleActivityTask`, `activity_retry`,
 * `grpc_RecordActivityTaskHeartbeat`, …). Unlike a count from history it includes heartbeats,
 * which leave no event.
 */
export type ActionCounts = ReadonlyMap<string, number>;

const ACTION_LINE = /^action\{([^}]*)\}\s+([0-9.e+]+)$/;

export async function readServerActions(
  metricsUrl: string,
  namespace = 'default',
): Promise<ActionCounts> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`metrics at ${metricsUrl}: HTTP ${response.status}`);
  const counts = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = ACTION_LINE.exec(line.trim());
    if (!match) continue;
    const labels = Object.fromEntries(
      [...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map(([, name, value]) => [name, value]),
    );
    if (labels.namespace !== namespace || !labels.action_type) continue;
    counts.set(labels.action_type, (counts.get(labels.action_type) ?? 0) + Number(match[2]));
  }
  return counts;
}

/**
 * The server hands its counters to the metrics page on a reporting interval, so a reading right
 * after a job can miss its last actions: read until two readings a second apart agree.
 */
async function settledServerActions(
  metricsUrl: string,
  namespace = 'default',
): Promise<ActionCounts> {
  let last = await readServerActions(metricsUrl, namespace);
  for (let reading = 0; reading < 30; reading += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const next = await readServerActions(metricsUrl, namespace);
    if (sameCounts(last, next)) return next;
    last = next;
  }
  throw new Error(`the server's action counters at ${metricsUrl} did not settle in 30 s`);
}

function sameCounts(left: ActionCounts, right: ActionCounts): boolean {
  return left.size === right.size && [...left].every(([type, count]) => right.get(type) === count);
}

/** Actions counted between two readings: the total and the heartbeats among them. */
export function actionsBetween(
  before: ActionCounts,
  after: ActionCounts,
): { total: number; heartbeats: number } {
  let total = 0;
  let heartbeats = 0;
  for (const [type, count] of after) {
    const added = count - (before.get(type) ?? 0);
    total += added;
    if (type.includes('Heartbeat')) heartbeats += added;
  }
  return { total, heartbeats };
}

/** Runs `work` and counts the server's actions over it, from readings taken once they settle. */
export async function countServerActions<T>(
  metricsUrl: string,
  work: () => Promise<T>,
): Promise<{ result: T; actions: { total: number; heartbeats: number } }> {
  const before = await settledServerActions(metricsUrl);
  const result = await work();
  return { result, actions: actionsBetween(before, await settledServerActions(metricsUrl)) };
}
