// Where commands write: results on stdout, progress and problems on stderr (so `--json` output and
// pipes stay clean). Tests run the real CLI as a child process and read both.
export interface Output {
  /** A result line (stdout). */
  log(line: string): void;
  /** Progress of long work (stderr). */
  progress(line: string): void;
  /** A problem (stderr). */
  error(line: string): void;
}

export const processOutput: Output = {
  log: (line) => process.stdout.write(`${line}\n`),
  progress: (line) => process.stderr.write(`... ${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};
