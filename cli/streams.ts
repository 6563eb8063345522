/** Where a CLI command writes: stdout, stderr and whether stderr is a terminal (for progress), so tests can capture. */
export interface Streams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTTY: boolean;
}
