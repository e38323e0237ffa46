/**
 * A room's outgoing `msg` and `ephemeral` frames, batched while the room is busy.
 *
 * Each frame is encoded once, by the room, whatever the number of receivers; what a batch
 * window collects goes out at its end as one `batch` frame (encoded once) to the connections
 * that opted in, and as the same frames one by one to the others. A frame that comes while the
 * room is idle goes out at once, so a lone message is never delayed.
 *
 * "Busy" cannot be read from the clock alone: inside a Durable Object `Date.now()` stands still
 * while code runs, so a fan-out that keeps the thread busy for 50 ms looks instantaneous. After
 * each delivery a zero-delay timer notes when the delivery really ended (`#settledAt`); a frame
 * that comes before that timer ran (it was queued while the delivery ran) or within `window`
 * of it waits for the end of the window. Under overload the windows therefore fill up by
 * themselves and each delivery carries more frames, instead of a backlog of single frames.
 */

/** One outgoing frame: its text, its seq (a `msg`), and the connection it must not go to (an ephemeral's sender). */
export interface OutFrame {
  text: string;
  seq?: number;
  except?: string;
}

export interface FanOutOptions {
  /** The batch window now (ms); 0 delivers every frame at once. */
  windowMs(): number;
  /** Sends frames (in order) to every receiver. */
  deliver(frames: OutFrame[]): void;
}

export class FanOut {
  readonly #options: FanOutOptions;
  #pending: OutFrame[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the last delivery had really ended; undefined until its settle timer ran. */
  #settledAt: number | undefined = 0;
  /** A settle timer is pending. */
  #settling = false;

  constructor(options: FanOutOptions) {
    this.#options = options;
  }

  /** Frames waiting for the end of the window. */
  get pending(): number {
    return this.#pending.length;
  }

  push(frame: OutFrame): void {
    const window = this.#options.windowMs();
    if (this.#timer !== undefined) {
      this.#pending.push(frame);
      return;
    }
    if (window <= 0) {
      this.#options.deliver([frame]);
      return;
    }
    const now = Date.now();
    const wait = this.#settledAt === undefined ? window : this.#settledAt + window - now;
    if (wait <= 0) {
      this.#deliver([frame]);
      return;
    }
    this.#pending.push(frame);
    this.#timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what is waiting now (before a new connection is welcomed, so it gets none of it twice). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const frames = this.#pending;
    this.#pending = [];
    this.#deliver(frames);
  }

  #deliver(frames: OutFrame[]): void {
    this.#settledAt = undefined;
    if (!this.#settling) {
      this.#settling = true;
      setTimeout(() => {
        this.#settling = false;
        this.#settledAt = Date.now();
      }, 0);
    }
    this.#options.deliver(frames);
  }
}
