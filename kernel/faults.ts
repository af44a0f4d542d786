/**
 * Fault injection for the crash and chaos tests, off unless FAULTS is set. A spec names points
 * and how many times each fires: `outbox.crashBeforePublish:1,payment.refund.fail:3`.
 * Never set it in production.
 */
export type FaultPoint =
  /** The relay read committed outbox rows and dies before publishing them. */
  | 'outbox.crashBeforePublish'
  /** The relay published and dies before marking the rows published (they go out again). */
  | 'outbox.crashAfterPublish'
  /** A consumer committed a message's effect and dies before the transport records the position. */
  | 'inbox.crashAfterCommit'
  /** The payment provider refuses a refund (a retriable failure of the compensation). */
  | 'payment.refund.fail'
  /** A consumer's handlers fail (retriable) once it has claimed a batch: enough times, and the message is dead-lettered. */
  | 'consumer.handleFail';

export interface Faults {
  /** True when the point fires now; each firing uses up one of its count. */
  fire(point: FaultPoint): boolean;
  /** Kills the process at once, as a power cut would, when the point fires. */
  crashAt(point: FaultPoint): void;
}

const points: FaultPoint[] = [
  'outbox.crashBeforePublish',
  'outbox.crashAfterPublish',
  'inbox.crashAfterCommit',
  'payment.refund.fail',
  'consumer.handleFail',
];

export function parseFaults(spec: string): Faults {
  const remaining = new Map<FaultPoint, number>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, count = '1'] = part.split(':');
    if (!points.includes(name as FaultPoint) || !/^\d+$/.test(count))
      throw new Error(`unknown fault ${JSON.stringify(part)}; known: ${points.join(', ')}`);
    remaining.set(name as FaultPoint, Number(count));
  }
  const fire = (point: FaultPoint) => {
    const left = remaining.get(point) ?? 0;
    if (left <= 0) return false;
    remaining.set(point, left - 1);
    return true;
  };
  return {
    fire,
    crashAt(point) {
      if (fire(point)) {
        process.stderr.write(`fault injected: ${point}; killing process ${process.pid}\n`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
  };
}

export const noFaults: Faults = parseFaults('');
