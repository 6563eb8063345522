import { describe, expect, it } from 'vitest';
import { MAX_WAITING, PageOrder } from '@/lib/relay/page-order';

function makeOrder() {
  const taken: string[] = [];
  return { taken, order: new PageOrder<string>((m) => taken.push(m)) };
}

describe('PageOrder', () => {
  it('takes messages in their numbers\' order: one handed over early waits for those still on the port', () => {
    const { taken, order } = makeOrder();
    order.accept(1, 'open');
    order.accept(3, 'reply (handed over)');
    expect(taken).toEqual(['open']);
    expect(order.waitingCount).toBe(1);
    order.accept(2, 'request (port)');
    expect(taken).toEqual(['open', 'request (port)', 'reply (handed over)']);
    expect(order.waitingCount).toBe(0);
  });

  it('takes unnumbered messages at once', () => {
    const { taken, order } = makeOrder();
    order.accept(2, 'b');
    order.accept(undefined, 'x');
    order.accept('3', 'y');
    expect(taken).toEqual(['x', 'y']);
  });

  it('release takes what waits, in order, skipping numbers that will not come; late ones are still taken', () => {
    const { taken, order } = makeOrder();
    order.accept(1, 'a');
    order.accept(5, 'e');
    order.accept(3, 'c');
    order.release();
    expect(taken).toEqual(['a', 'c', 'e']);
    order.accept(6, 'f');
    order.accept(2, 'b (late)');
    expect(taken).toEqual(['a', 'c', 'e', 'f', 'b (late)']);
  });

  it('bounds what waits: past MAX_WAITING the order gives way rather than memory', () => {
    const { taken, order } = makeOrder();
    for (let n = 2; n <= MAX_WAITING + 2; n++) order.accept(n, String(n));
    expect(order.waitingCount).toBe(0);
    expect(taken).toHaveLength(MAX_WAITING + 1);
    expect(taken[0]).toBe('2');
  });
});
