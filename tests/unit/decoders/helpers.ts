import type { DecodeOutcome, FrameLike } from '../../../lib/decoders/types';

let seq = 0;

export function text(data: string, dir: 'send' | 'receive' = 'receive'): FrameLike {
  return { kind: 'frame', dir, seq: ++seq, data, opcode: 1 };
}

export function binary(bytes: ArrayLike<number> | Uint8Array, dir: 'send' | 'receive' = 'receive'): FrameLike {
  const copy = Uint8Array.from(bytes as ArrayLike<number>);
  return { kind: 'frame', dir, seq: ++seq, data: copy.buffer, opcode: 2 };
}

/** Every label and value of a tree, flattened, for "the tree shows X" assertions. */
export function treeText(node: { label: string; value?: string; children?: unknown[] }): string {
  const parts = [`${node.label}: ${node.value ?? ''}`];
  for (const child of (node.children ?? []) as Array<typeof node>) parts.push(treeText(child));
  return parts.join('\n');
}

/** The flattened tree of a successful outcome; fails the test with the reason otherwise. */
export function treeOf(outcome: DecodeOutcome): string {
  if (!outcome.ok) throw new Error(`expected a decoded frame, got: ${outcome.error}`);
  return treeText(outcome.tree);
}

/** The fields of a successful outcome ({} for a failure). */
export function fieldsOf(outcome: DecodeOutcome) {
  return outcome.ok ? outcome.fields : {};
}
