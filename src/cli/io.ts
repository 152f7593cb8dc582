// Where commands write: the process's streams when run as `astarpo`, a test's
// buffers when main() is called directly.

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};
