import { describe, expect, it } from 'vitest';
import { breakPattern, jsonShape, messageKind } from '@/lib/panel/message-kind';
import { compileRules, decide } from '@/lib/shared/intercept-rules';
import { newRule } from '@/lib/panel/act-state.svelte';
import type { DecodeOutcome } from '@/lib/decoders';
import type { FrameRecord } from '@/lib/shared/records';

const text = (data: string, dir: 'send' | 'receive' = 'send') => ({ kind: 'frame', dir, opcode: 1, data, size: data.length, seq: 1 }) as unknown as FrameRecord;
const binary = (bytes: number[]) => ({ kind: 'frame', dir: 'send', opcode: 2, data: new Uint8Array(bytes).buffer, size: bytes.length, seq: 1 }) as unknown as FrameRecord;
const event = { kind: 'open', seq: 0 } as unknown as FrameRecord;
const decoded = (fields: Record<string, string>, decoderId = 'socketio'): DecodeOutcome => ({ ok: true, decoderId, summary: '', tree: { label: '' }, fields });

/** Whether a breakpoint with the row's pattern holds `payload` (the page's own matcher). */
function holds(row: FrameRecord, payload: string | undefined, decodedRow?: DecodeOutcome): boolean {
  const made = breakPattern(row, decodedRow);
  if (!made.ok) throw new Error(made.reason);
  const rules = compileRules([newRule({ pattern: made.pattern, regex: true })]);
  return decide(rules, 'send', 'ws://x/', payload) !== undefined;
}

describe('messageKind', () => {
  it('is the JSON shape of a text object: sorted top-level keys, whatever the values and the direction', () => {
    const a = messageKind(text('{"type":"ping","n":1}'))!;
    expect(a).toEqual({ key: 'json:["n","type"]', label: 'JSON {n, type}' });
    expect(messageKind(text(' {"n":{"deep":true},"type":"pong"}', 'receive'))!.key).toBe(a.key);
    expect(messageKind(text('{"type":"ping"}'))!.key).not.toBe(a.key);
  });

  it('falls back to the opcode for other text and for binary; event rows have no kind', () => {
    expect(messageKind(text('hello'))).toEqual({ key: 'opcode:1', label: 'text (not a JSON object)' });
    expect(messageKind(text('[1,2]'))!.key).toBe('opcode:1');
    expect(messageKind(text('{broken'))!.key).toBe('opcode:1');
    expect(messageKind(binary([1, 2]))).toEqual({ key: 'opcode:2', label: 'binary' });
    expect(messageKind(event)).toBeUndefined();
  });

  it('is the decoded type when the decoder names one, and the shape when it names none', () => {
    const chat = messageKind(text('42["chat","hi"]'), decoded({ type: 'EVENT', event: 'chat', nsp: '/' }))!;
    expect(chat.label).toBe('socketio type EVENT, event chat');
    expect(messageKind(text('42["chat","other"]'), decoded({ type: 'EVENT', event: 'chat', nsp: '/x' }))!.key).toBe(chat.key);
    expect(messageKind(text('42["join"]'), decoded({ type: 'EVENT', event: 'join' }))!.key).not.toBe(chat.key);
    expect(messageKind(text('{"a":1}'), decoded({}, 'json-rpc'))!.key).toBe('json:["a"]');
    // A value format's fields are the payload's own keys, not a type: JSON stays a shape.
    expect(messageKind(text('{"type":"tick","n":1}'), decoded({ type: 'tick', n: '1' }, 'json'))!.key).toBe('json:["n","type"]');
    expect(breakPattern(text('{"type":"tick","n":1}'), decoded({ type: 'tick' }, 'json'))).toEqual(breakPattern(text('{"type":"tick","n":1}')));
    const failed: DecodeOutcome = { ok: false, decoderId: 'socketio', error: 'bad', raw: 'x', summary: '' };
    expect(messageKind(text('x'), failed)!.key).toBe('opcode:1');
  });

  it('does not parse huge payloads for a shape', () => {
    expect(jsonShape(`{"a":"${'x'.repeat(300_000)}"}`)).toBeUndefined();
  });
});

describe('breakPattern', () => {
  it('holds JSON objects with the same top-level keys, in any order, and not others', () => {
    const row = text('{"type":"ping","n":1}');
    expect(holds(row, '{"n":2,"type":"x"}')).toBe(true);
    expect(holds(row, '{"type":"ping"}')).toBe(false);
    expect(holds(row, 'type n')).toBe(false);
  });

  it('adds a decoded type written as a top-level string', () => {
    const row = text('{"type":"next","id":"1"}');
    const d = decoded({ type: 'next' }, 'graphql-ws');
    expect(holds(row, '{"id":"2","type":"next"}', d)).toBe(true);
    expect(holds(row, '{"id":"2","type":"complete"}', d)).toBe(false);
  });

  it('holds text that is not a JSON object, with the decoded values it contains', () => {
    expect(holds(text('hello'), 'bye')).toBe(true);
    expect(holds(text('hello'), '{"a":1}')).toBe(false);
    const d = decoded({ type: 'EVENT', event: 'chat' });
    expect(holds(text('42["chat","hi"]'), '42["chat","yo"]', d)).toBe(true);
    expect(holds(text('42["chat","hi"]'), '42["join"]', d)).toBe(false);
  });

  it('says why binary frames and events get no rule', () => {
    expect(breakPattern(binary([1]))).toEqual({ ok: false, reason: 'Rules match text payloads only' });
    expect(breakPattern(event)).toEqual({ ok: false, reason: 'Only messages have a kind' });
  });

  it('escapes keys that are regex syntax', () => {
    const row = text('{"a.b(":1}');
    expect(holds(row, '{"a.b(":2}')).toBe(true);
    expect(holds(row, '{"aXb(":2}')).toBe(false);
  });
});
