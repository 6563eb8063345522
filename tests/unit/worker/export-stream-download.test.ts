// The download side of a streamed export: tokens, their URLs and the Content-Disposition header
// (lib/shared/protocol/io.ts, lib/worker/export-stream.ts), and downloadBody, the response body that errors rather
// than ends when the export fails, stalls or loses its panel.
import { describe, expect, it } from 'vitest';
import { NAMESPACE } from '@/lib/shared/protocol';
import { CLIENT_MISSES, contentDisposition, downloadBody } from '@/lib/worker/export-stream';
import { exportStreamUrl, exportTokenOf, isExportStreamRegister, isExportToken, newExportToken } from '@/lib/shared/protocol/io';
import { ORIGIN, readAll, sleep } from '../io/export-stream-fixtures';

describe('tokens, URLs and headers', () => {
  it('tokens are random v4 UUIDs and nothing else passes', () => {
    const token = newExportToken();
    expect(isExportToken(token)).toBe(true);
    expect(newExportToken()).not.toBe(token);
    for (const bad of ['', '1', token.toUpperCase(), `${token}x`, `../${token}`, 42, null]) expect(isExportToken(bad)).toBe(false);
  });

  it('the token is read only from our origin and path', () => {
    const token = newExportToken();
    expect(exportTokenOf(exportStreamUrl(ORIGIN, token), ORIGIN)).toBe(token);
    expect(exportTokenOf(`${exportStreamUrl(ORIGIN, token)}?x=1`, ORIGIN)).toBe(token);
    expect(exportTokenOf(exportStreamUrl('chrome-extension://other', token), ORIGIN)).toBeNull();
    expect(exportTokenOf(`${ORIGIN}/panel.html`, ORIGIN)).toBeNull();
    expect(exportTokenOf(`${ORIGIN}/export-stream/not-a-token`, ORIGIN)).toBeNull();
    expect(exportTokenOf('not a url', ORIGIN)).toBeNull();
  });

  it('Content-Disposition names the file for old and new readers', () => {
    expect(contentDisposition('app.test-2026.wsi.json')).toBe(`attachment; filename="app.test-2026.wsi.json"; filename*=UTF-8''app.test-2026.wsi.json`);
    expect(contentDisposition('a"b\\ü (1).har')).toBe(`attachment; filename="a_b__ (1).har"; filename*=UTF-8''a%22b%5C%C3%BC%20%281%29.har`);
  });

  it('only a well-formed registration is one', () => {
    const token = newExportToken();
    expect(isExportStreamRegister({ ns: NAMESPACE, type: 'export-stream-register', token })).toBe(true);
    expect(isExportStreamRegister({ ns: 'other', type: 'export-stream-register', token })).toBe(false);
    expect(isExportStreamRegister({ ns: NAMESPACE, type: 'export-stream-register', token: 'guessable' })).toBe(false);
    expect(isExportStreamRegister(null)).toBe(false);
  });
});

describe('downloadBody (the response body)', () => {
  const source = (chunks: string[], end: 'close' | 'error' | 'hang') =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        if (end === 'close') c.close();
        if (end === 'error') c.error(new Error('The transaction was aborted'));
      },
    });

  it('passes every chunk on and reports the end', async () => {
    let finished = 0;
    const download = downloadBody(source(['a', 'b'], 'close'), { onFinished: () => finished++ });
    expect(new TextDecoder().decode(await readAll(download.body))).toBe('ab');
    expect(finished).toBe(1);
  });

  it('errors, never ends, when the producer errors', async () => {
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'error'), { onFailed: (m) => failures.push(m) });
    await expect(readAll(download.body)).rejects.toThrow('The transaction was aborted');
    expect(failures).toEqual(['The transaction was aborted']);
  });

  it('errors when the producer stops sending', async () => {
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'hang'), { stallMs: 30, onFailed: (m) => failures.push(m) });
    await expect(readAll(download.body)).rejects.toThrow('the export sent nothing for 0 s');
    expect(failures).toHaveLength(1);
  });

  it('errors when the panel that started it is gone', async () => {
    let alive = true;
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'hang'), { clientCheckMs: 5, isClientAlive: async () => alive, onFailed: (m) => failures.push(m) });
    const read = readAll(download.body);
    await sleep(20);
    alive = false;
    await expect(read).rejects.toThrow('the panel that started the export was closed');
    expect(failures).toEqual(['the panel that started the export was closed']);
  });

  it('one check that finds no panel is not a closed panel: only CLIENT_MISSES misses in a row fail the download', async () => {
    // The panel "vanishes" for one check in three (a busy browser, a client looked up anew), then for good.
    const answers = [true, false, true, false, false, true, false, true, true];
    let checks = 0;
    let gone = false;
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'hang'), {
      clientCheckMs: 2,
      isClientAlive: async () => (gone ? false : (answers[checks++ % answers.length] ?? true)),
      onFailed: (m) => failures.push(m),
    });
    const read = readAll(download.body).catch((error: Error) => error.message);
    while (checks < 3 * answers.length && failures.length === 0) await sleep(5); // the transient misses happen, many times over
    expect(failures).toEqual([]);
    gone = true;
    expect(await read).toBe('the panel that started the export was closed');
    expect(failures).toEqual(['the panel that started the export was closed']);
    expect(CLIENT_MISSES).toBeGreaterThan(1);
  });

  it('a check that throws proves nothing, and a slow check is never overlapped by the next', async () => {
    let running = 0;
    let mostAtOnce = 0;
    let checks = 0;
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'hang'), {
      clientCheckMs: 1,
      clientMisses: 2,
      isClientAlive: async () => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(10);
        running--;
        // Throws, misses, throws, misses... never two misses in a row without a throw between.
        if (++checks % 2) throw new Error('clients.get failed');
        return false;
      },
      onFailed: (m) => failures.push(m),
    });
    // A throw is not a sighting: the two misses count as two in a row.
    expect(await readAll(download.body).catch((error: Error) => error.message)).toBe('the panel that started the export was closed');
    expect(checks).toBe(4);
    expect(mostAtOnce).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('a failure reports how far the download got', async () => {
    const reports: Array<{ message: string; bytes: number }> = [];
    const download = downloadBody(source(['abc', 'de'], 'hang'), { stallMs: 30, onFailed: (message, progress) => reports.push({ message, bytes: progress.bytes }) });
    await expect(readAll(download.body)).rejects.toThrow('the export sent nothing');
    expect(reports).toEqual([{ message: 'the export sent nothing for 0 s', bytes: 5 }]);
  });

  it('fail() from the producer errors the body; a cancelled download cancels the producer', async () => {
    const failed = downloadBody(source([], 'hang'));
    const read = readAll(failed.body);
    failed.fail('cancelled');
    await expect(read).rejects.toThrow('cancelled');

    let cancelledWith: unknown;
    const upstream = new ReadableStream<Uint8Array>({ cancel: (reason) => void (cancelledWith = reason) });
    const failures: string[] = [];
    const download = downloadBody(upstream, { onFailed: (m) => failures.push(m) });
    await download.body.cancel('user cancelled');
    expect(cancelledWith).toBe('user cancelled');
    expect(failures).toEqual(['the download was cancelled']);
  });
});
