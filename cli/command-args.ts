/**
 * What every `ws-inspector` command does with its arguments first: parse the options, answer --help, insist on
 * one file, read that file as a recorded session; a number of milliseconds from an option; a failure as an exit
 * code. One copy for `replay` and `stats`.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FormatError } from '../lib/io/formats/errors';
import { readSessionText } from '../lib/io/formats/detect';
import type { PortableSession } from '../lib/io/formats/model';
import { EXIT } from './replay';
import { UsageError } from './replay-script';
import type { Streams } from './streams';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed options and the one file, or the exit code when that is all there is to do (help, a usage error). */
export function commandArgs<V>(command: string, argv: string[], options: Options, help: string, streams: Streams): { values: V; file: string } | number {
  let values: V & { help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...options, help: { type: 'boolean', short: 'h' } } }) as unknown as {
      values: V & { help?: boolean };
      positionals: string[];
    });
  } catch (error) {
    streams.stderr(`ws-inspector ${command}: ${(error as Error).message}\n\n${help}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    streams.stdout(help + '\n');
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    streams.stderr(`ws-inspector ${command}: expected one file, got ${positionals.length}\n\n${help}\n`);
    return EXIT.usage;
  }
  return { values, file: positionals[0] };
}

/** `--name <ms>`: a whole number of milliseconds, or `fallback` when not given. */
export function millisecondsOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} ${JSON.stringify(value)}: expected a number of milliseconds`);
  return Number(value);
}

/** A command's failure as its exit code (a usage error: EXIT.usage; a failure with its own code: that), said on stderr; anything else is rethrown. */
export function failureExit(command: string, error: unknown, streams: Streams): number {
  const exitCode = error instanceof UsageError ? EXIT.usage : error instanceof Error && typeof (error as { exitCode?: unknown }).exitCode === 'number' ? (error as { exitCode: number }).exitCode : undefined;
  if (exitCode === undefined) throw error;
  streams.stderr(`ws-inspector ${command}: ${(error as Error).message}\n`);
  return exitCode;
}

/** A command's failure with the exit code it ends with (see EXIT). */
export class CommandFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The recorded session in `file` (`.wsi.json` or HAR), its warnings said on stderr; EXIT.file when unreadable. */
export async function readSessionFile(file: string, streams: Streams): Promise<PortableSession> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new CommandFailure(EXIT.file, `cannot read ${file}: ${why}`);
  }
  let session: PortableSession;
  try {
    session = readSessionText(text);
  } catch (error) {
    if (error instanceof FormatError) throw new CommandFailure(EXIT.file, `${file}: ${error.message}`);
    throw error;
  }
  for (const warning of session.warnings) streams.stderr(`note: ${warning}\n`);
  return session;
}
