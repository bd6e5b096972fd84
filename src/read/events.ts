/**
 * The event subscription (issue #7), without any wire type: the catalog's event log after a given id, in
 * id order, as record batches of a fixed schema; then, when following, new events as they commit.
 *
 * Event ids are gap-free and become visible in id order (`catalog/events.ts`), so paging with "id above
 * the last one sent" sends each event exactly once and skips none, and a client that reconnects with the
 * last id it saw resumes exactly there. A follower wakes on the catalog's NOTIFY where the driver can
 * LISTEN, with a slow safety poll besides (a notification sent while the listening connection was down
 * is lost), and polls faster where it cannot (a Flight worker thread on the embedded catalog).
 * Must not import `flight/`.
 *
 * @module
 */
import type { RecordBatch } from "apache-arrow";
import type { Catalog } from "../catalog/catalog.ts";
import { CancelledError, FailedPreconditionError, UnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { EventKind } from "../model/types.ts";
import { sliceToBytes } from "./_batch_bytes.ts";
import { eventBatch } from "./_event_batch.ts";
import { DEFAULT_TARGET_BATCH_BYTES } from "./topic_read.ts";

export { EVENT_LOG_METADATA_KEY, EVENT_STREAM_SCHEMA, eventStreamSchema } from "./_event_batch.ts";

/** What a subscriber asks for. */
export interface EventSubscription {
  /** Events with a larger id (0: from the oldest event kept). Resume with the last id seen. */
  readonly afterId: number;
  /** Keep the stream open for new events once caught up; false ends it then. */
  readonly follow: boolean;
  /** Only events of these kinds (no duplicates); null for every kind. */
  readonly kinds: readonly EventKind[] | null;
  /**
   * The log `afterId` belongs to (the `mosaico:event_log` of the stream it came from); null to skip the
   * check. Resuming in another log (the catalog was rebuilt) is refused rather than mis-positioned.
   */
  readonly log?: string | null;
}

export interface EventDeps {
  catalog: Catalog;
  log: Logger;
  /** About how many bytes each batch holds (a single larger event goes alone). Default 4 MiB. */
  targetBatchBytes?: number;
}

export interface EventStreamOptions {
  /** The subscriber went away: the stream stops (CancelledError) and releases its listener. */
  signal: AbortSignal;
  /**
   * The server is shutting down: a following stream ends (UnavailableError, retryable) instead of
   * waiting for events, so that it does not hold up the drain. A non-following one finishes normally.
   */
  stopping?: AbortSignal;
  /** Events read from the catalog at a time. */
  pageSize?: number;
  /** How often a follower polls when the catalog cannot notify. */
  pollMs?: number;
  /** How often a follower polls although the catalog notifies. */
  safetyPollMs?: number;
}

/** Events per catalog read (and at most per batch). */
export const EVENT_PAGE_SIZE = 1000;
/** Poll interval of a follower whose catalog cannot notify (a worker thread on the embedded catalog). */
export const EVENT_POLL_MS = 1000;
/** Safety poll of a follower woken by notifications, which a dropped connection can lose. */
export const EVENT_SAFETY_POLL_MS = 5000;

/**
 * Opens a subscription: checks it against the catalog now, and returns the batches, which read the
 * catalog (and, when following, listen to it) only once iterated. Batches are never empty; a stream
 * that is not following ends once caught up.
 * @throws FailedPreconditionError when `afterId` is beyond the newest event (the catalog was replaced,
 *   say rebuilt: resuming there would skip events), or below the events kept (retention pruned the ones
 *   after it); batches throw it too when pruning overtakes a stream that fell behind.
 * @throws CancelledError when `signal` is already aborted.
 */
export async function openEventStream(
  deps: EventDeps,
  sub: EventSubscription,
  opts: EventStreamOptions,
): Promise<AsyncIterable<RecordBatch>> {
  checkAborted(opts.signal);
  if (sub.log) {
    const current = await deps.catalog.eventLogId();
    if (current !== sub.log) {
      throw new FailedPreconditionError(
        `Cannot resume events of log ${sub.log}: this catalog's event log is ${current} (the catalog was ` +
          `replaced, e.g. rebuilt); subscribe again from after_id 0`,
      );
    }
  }
  const newest = await deps.catalog.lastEventId();
  if (sub.afterId > newest) {
    throw new FailedPreconditionError(
      `Cannot resume events after id ${sub.afterId}: the newest event is ${newest} (was the catalog replaced?)`,
    );
  }
  if (sub.afterId > 0) checkNotPruned(sub.afterId, await deps.catalog.eventsPrunedThrough());
  checkAborted(opts.signal);
  return streamBatches(deps, sub, opts);
}

async function* streamBatches(
  deps: EventDeps,
  sub: EventSubscription,
  opts: EventStreamOptions,
): AsyncGenerator<RecordBatch, void, undefined> {
  const pageSize = opts.pageSize ?? EVENT_PAGE_SIZE;
  const targetBytes = deps.targetBatchBytes ?? DEFAULT_TARGET_BATCH_BYTES;
  const keep = sub.kinds === null ? null : new Set(sub.kinds);
  const wakeup = new Wakeup();
  // Listening starts before the first read, so that nothing committed after that read goes unnoticed.
  const unlisten = sub.follow ? await listen(deps, wakeup) : null;
  try {
    const pollMs = unlisten ? opts.safetyPollMs ?? EVENT_SAFETY_POLL_MS : opts.pollMs ?? EVENT_POLL_MS;
    let after = sub.afterId;
    // From 0 the stream starts at the oldest event kept; after that, ids must follow on without a gap
    // (a gap means retention pruned events while this stream was behind).
    let anyStart = sub.afterId === 0;
    while (true) {
      checkAborted(opts.signal);
      if (sub.follow) checkStopping(opts.stopping, after);
      wakeup.clear(); // a notification from now on means: read again
      const page = await deps.catalog.listEvents(after, pageSize);
      if (page.length > 0) {
        if (!anyStart && page[0].id !== after + 1) checkNotPruned(after, page[0].id - 1);
        anyStart = false;
        after = page[page.length - 1].id;
        const kept = keep === null ? page : page.filter((e) => keep.has(e.kind));
        if (kept.length > 0) yield* sliceToBytes(eventBatch(kept), targetBytes);
      }
      // A page may stop short of pageSize (the catalog caps its bytes): only an empty one means caught up,
      // unless retention pruned the events this stream had still to send. A stream that ends here checks
      // that; a follower need not (no extra read per wake-up): the gap check above stops it at its next
      // event, before it could skip one.
      if (page.length > 0) continue;
      if (!sub.follow) {
        if (!anyStart) checkNotPruned(after, await deps.catalog.eventsPrunedThrough());
        return;
      }
      const why = await wakeup.wait(pollMs, opts.signal, opts.stopping);
      if (why === "cancelled") checkAborted(opts.signal);
      if (why === "stopping") checkStopping(opts.stopping, after);
    }
  } finally {
    // A failure to unlisten must not hide why the stream ended.
    await unlisten?.().catch((err) => deps.log.warn("cannot stop listening for catalog events", { err }));
  }
}

/** Subscribes `wakeup` to the catalog's notifications; null (poll) when the catalog cannot notify. */
async function listen(deps: EventDeps, wakeup: Wakeup): Promise<(() => Promise<void>) | null> {
  try {
    return await deps.catalog.listen("events", wakeup.fire);
  } catch (err) {
    // Polling still delivers every event, only later.
    deps.log.warn("cannot listen for catalog events, polling instead", { err });
    return null;
  }
}

/** Refuses a position whose next events were pruned by retention (they are gone, not skippable). */
function checkNotPruned(afterId: number, prunedThrough: number): void {
  if (afterId < prunedThrough) {
    throw new FailedPreconditionError(
      `Cannot resume events after id ${afterId}: events up to id ${prunedThrough} are past the event ` +
        `retention and were pruned; resume after id ${prunedThrough} (losing ${
          prunedThrough - afterId
        } events) or subscribe from after_id 0`,
    );
  }
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError("Event stream cancelled", { cause: signal.reason });
}

function checkStopping(stopping: AbortSignal | undefined, after: number): void {
  if (stopping?.aborted) {
    throw new UnavailableError(`Event stream ended: the server is shutting down; resume after id ${after}`);
  }
}

type WakeReason = "notified" | "timeout" | "cancelled" | "stopping";

/** A notification flag a follower can wait on; set between reads, it makes the next wait return at once. */
class Wakeup {
  #pending = false;
  #wake: ((why: WakeReason) => void) | null = null;

  /** Called by the catalog on every NOTIFY. */
  readonly fire = (): void => {
    this.#pending = true;
    this.#wake?.("notified");
  };

  clear(): void {
    this.#pending = false;
  }

  /** Until notified (or notified already since `clear`), `timeoutMs`, or one of the signals. */
  wait(timeoutMs: number, signal: AbortSignal, stopping?: AbortSignal): Promise<WakeReason> {
    if (this.#pending) return Promise.resolve("notified");
    if (signal.aborted) return Promise.resolve("cancelled");
    if (stopping?.aborted) return Promise.resolve("stopping");
    const { promise, resolve } = Promise.withResolvers<WakeReason>();
    const onCancel = () => resolve("cancelled");
    const onStop = () => resolve("stopping");
    const timer = setTimeout(() => resolve("timeout"), timeoutMs);
    signal.addEventListener("abort", onCancel, { once: true });
    stopping?.addEventListener("abort", onStop, { once: true });
    this.#wake = resolve;
    return promise.finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onCancel);
      stopping?.removeEventListener("abort", onStop);
      this.#wake = null;
    });
  }
}
