/**
 * The shutdown drain of a Flight server, on either transport. Once shutdown begins (`stopping`), the
 * listener stays open while the Flight calls in progress finish: new Flight calls are refused with
 * UNAVAILABLE (a client retries them elsewhere), while the health service keeps answering, NOT_SERVING,
 * so that a load balancer or a Kubernetes probe sees the daemon leave. The server closes its listener and
 * connections once no Flight call is left, or at the shutdown deadline; health watches end then.
 *
 * Transport-neutral: both servers (`server.ts`, `native_server.ts`) use it; it takes only their shared types.
 *
 * @module
 */
import { UnavailableError } from "../errors.ts";
import { CallSet } from "../transport/grpc/mod.ts";
import { observeCalls } from "./_observe.ts";
import { HealthService } from "./health.ts";
import type { FlightHandlers } from "./server.ts";

/** One server's drain: its signals, the Flight calls in progress, and the health they drive. */
export class ServerDrain {
  /** Aborted when shutdown begins (`CallContext.stopping`; health turns NOT_SERVING). */
  readonly #stopping = new AbortController();
  /** Aborted when the listener closes (health watches end). */
  readonly #closing = new AbortController();
  readonly #calls = new CallSet();
  readonly health: HealthService = new HealthService({
    stopping: this.#stopping.signal,
    closing: this.#closing.signal,
  });

  /** Aborted when shutdown begins: what handlers see as `CallContext.stopping`. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /** `handlers`, counted, and refused with UnavailableError once shutdown began. */
  wrap(handlers: FlightHandlers): FlightHandlers {
    return observeCalls(handlers, () => {
      if (this.#stopping.signal.aborted) {
        throw new UnavailableError("Cannot start the call: the server is shutting down");
      }
      const ac = new AbortController();
      this.#calls.add(ac);
      return { end: () => this.#calls.delete(ac) };
    });
  }

  /**
   * Drains: aborts `stopping`, waits for the Flight calls in progress (at most `timeoutMs`), then aborts
   * `closing` and calls `close` with the time left of `timeoutMs`.
   */
  async run(timeoutMs: number, close: (leftMs: number) => Promise<void>): Promise<void> {
    const started = performance.now();
    this.#stopping.abort(new Error("server shutting down"));
    await this.#calls.whenIdle(timeoutMs);
    this.#closing.abort(new Error("server closing"));
    await close(Math.max(0, timeoutMs - (performance.now() - started)));
  }
}
