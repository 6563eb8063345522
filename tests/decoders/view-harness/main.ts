// Mounts DecodedView with outcomes of the real decoders on hostile frames (built by tests/e2e/decoders-view.spec.ts).
import { mount } from 'svelte';
import DecodedView from '../../../components/DecodedView.svelte';
import { decodeFrame } from '../../../lib/decoders';

const hostile = '<img src=x onerror="window.pwned=1">';
const w = window as unknown as { chosen: string[]; outcomes: unknown };
w.chosen = [];
const ok = decodeFrame('socket.io', { kind: 'frame', dir: 'send', data: '42' + JSON.stringify([hostile, { note: hostile }]) });
const failed = decodeFrame('stomp', { kind: 'frame', dir: 'receive', data: hostile });
w.outcomes = { ok, failed };
mount(DecodedView, { target: document.getElementById('ok')!, props: { outcome: ok, onChooseDecoder: (id: string) => w.chosen.push(id) } });
mount(DecodedView, { target: document.getElementById('failed')!, props: { outcome: failed } });
