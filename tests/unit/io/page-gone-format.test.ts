/** A connection its page took away keeps saying so through an export and an import (.wsi.json). */
import { describe, expect, it } from 'vitest';
import { readWsi } from '../../../lib/io/formats/wsi-json';
import { connectionFields } from '../../../lib/io/formats/model';

const file = (pageGone: unknown) => ({
  format: 'websocket-inspector',
  version: 1,
  session: { pageUrl: 'https://a.test/', startedAt: 1 },
  connections: [{ url: 'wss://a.test/', state: 'closed', closedAt: 5, pageGone, rows: [] }],
});

describe('pageGone in .wsi.json', () => {
  it('is written with the connection and read back', () => {
    const fields = connectionFields({ url: 'wss://a.test/', protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: 1, state: 'closed', errored: false, pageGone: { reason: 'crashed', time: 5 } });
    expect(fields.pageGone).toEqual({ reason: 'crashed', time: 5 });
    expect(readWsi(file({ reason: 'page-closed', time: 5 })).connections[0].pageGone).toEqual({ reason: 'page-closed', time: 5 });
  });

  it('names a bad reason or a missing time', () => {
    expect(() => readWsi(file({ reason: 'gone', time: 5 }))).toThrow(/connections\[0\]\.pageGone\.reason/);
    expect(() => readWsi(file({ reason: 'crashed' }))).toThrow(/connections\[0\]\.pageGone/);
  });
});
