/** `--expect`: replies compared with the recording, and a readable report of those that differ. */
import { describeMessage } from './payload-print';
import type { ReplayMessage } from './replay-script';

function sameMessage(a: ReplayMessage, b: ReplayMessage): boolean {
  if (a.opcode !== b.opcode) return false;
  if (a.opcode === 1) return a.text === b.text;
  const x = a.bytes ?? new Uint8Array(0);
  const y = b.bytes ?? new Uint8Array(0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function firstDifference(a: ReplayMessage, b: ReplayMessage): string {
  if (a.opcode !== b.opcode) return `expected a ${a.opcode === 1 ? 'text' : 'binary'} frame, got a ${b.opcode === 1 ? 'text' : 'binary'} frame`;
  if (a.opcode === 1) {
    const x = a.text ?? '';
    const y = b.text ?? '';
    let i = 0;
    while (i < x.length && i < y.length && x[i] === y[i]) i++;
    return `first difference at character ${i + 1}`;
  }
  const x = a.bytes ?? new Uint8Array(0);
  const y = b.bytes ?? new Uint8Array(0);
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return `first difference at byte ${i} (0x${i.toString(16)})`;
}

/** Compares replies with the recording; returns null when they match, else a readable report. */
export function diffReplies(expected: ReplayMessage[], actual: ReplayMessage[]): string | null {
  const lines: string[] = [];
  let differing = 0;
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e && a && sameMessage(e, a)) continue;
    differing++;
    if (e && a) {
      lines.push(`  reply ${i + 1} differs (${firstDifference(e, a)}):`, `    expected ${describeMessage(e)}`, `    actual   ${describeMessage(a)}`);
    } else if (e) {
      lines.push(`  reply ${i + 1} is missing:`, `    expected ${describeMessage(e)}`);
    } else {
      lines.push(`  reply ${i + 1} was not in the recording:`, `    actual   ${describeMessage(a)}`);
    }
  }
  if (differing === 0) return null;
  return [`${differing} of ${n} replies differ from the recording (expected ${expected.length}, got ${actual.length}):`, ...lines].join('\n');
}
