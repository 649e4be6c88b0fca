import { Writable } from 'node:stream';

/** A writable that keeps the first `cap` bytes and counts the rest (stdout/stderr with a byte cap). */
export class CappedSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly cap: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.total += chunk.length;
    if (this.kept < this.cap) {
      const part = chunk.subarray(0, this.cap - this.kept);
      this.chunks.push(part);
      this.kept += part.length;
    }
    done();
  }
  get truncated(): boolean {
    return this.total > this.cap;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
