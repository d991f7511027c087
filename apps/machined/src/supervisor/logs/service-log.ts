import type { LogSink, LogStream } from "../service.ts";
import type { LogBuffer } from "./log-buffer.ts";
import type { LogFile } from "./log-file.ts";

/** A service's log: every line to its ring buffer and, when configured, its log file. */
export class ServiceLog implements LogSink {
  constructor(
    readonly buffer: LogBuffer,
    readonly file: LogFile | undefined,
  ) {}

  line(stream: LogStream, text: string): void {
    this.buffer.append(stream, text);
    this.file?.append(stream === "system" ? `[machined] ${text}` : text);
  }
}
