import type { ChildProcess } from "node:child_process";

/** A dnsproof process a test spawned, once it has logged its "listening" line. */
export interface ListeningProcess {
  child: ChildProcess;
  /** Base URL, e.g. http://127.0.0.1:4123 */
  url: string;
  exited: Promise<number | null>;
}

/** Waits for a spawned server's "dnsproof is listening" log line; its output comes with any failure. */
export async function whenListening(child: ChildProcess, timeoutMs = 30_000): Promise<ListeningProcess> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${timeoutMs / 1000} s:\n${output.join("")}`)), timeoutMs);
    child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      output.push(chunk.toString());
      for (const line of chunk.toString().split("\n")) {
        if (!line.includes('"dnsproof is listening"')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line).url.replace(/\/graphql$/, ""));
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${output.join("")}`)));
  });
  return { child, url, exited };
}
