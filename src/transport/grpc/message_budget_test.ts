import assert from "node:assert/strict";
import { MessageBudget } from "./message_budget.ts";
import { GrpcMessageReader, messagePrefix } from "./message_reader.ts";

/** Settles pending promise callbacks. */
const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("MessageBudget: fits at once, else waits first come first served; one message always fits alone", async () => {
  const budget = new MessageBudget(100);
  await budget.acquire(60);
  const order: string[] = [];
  const b = budget.acquire(50).then(() => order.push("b"));
  const c = budget.acquire(10).then(() => order.push("c")); // would fit, but b waits before it
  await tick();
  assert.deepEqual(order, []);
  assert.equal(budget.waiting, 2);
  budget.release(60);
  await Promise.all([b, c]);
  assert.deepEqual(order, ["b", "c"]);
  assert.equal(budget.held, 60);
  budget.release(60);
  await budget.acquire(1000); // larger than the budget: alone, it goes
  assert.equal(budget.held, 1000);
});

Deno.test("MessageBudget: an aborted wait leaves the queue and lets the next one in", async () => {
  const budget = new MessageBudget(100);
  await budget.acquire(90);
  const ac = new AbortController();
  const big = budget.acquire(50, ac.signal);
  const small = budget.acquire(5);
  ac.abort(new Error("call cancelled"));
  await assert.rejects(big, /call cancelled/);
  await small;
  assert.equal(budget.held, 95);
  assert.equal(budget.waiting, 0);
});

/** A body whose chunks the test pushes by hand. */
function manualBody() {
  const chunks: Uint8Array[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  return {
    push(chunk: Uint8Array) {
      chunks.push(chunk);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (chunks.length > 0) yield chunks.shift()!;
        else if (ended) return;
        else await new Promise<void>((r) => wake = r);
      }
    },
  };
}

Deno.test("GrpcMessageReader: a message waits for the connection's budget before its buffer exists", async () => {
  const budget = new MessageBudget(1000);
  const first = manualBody();
  const second = manualBody();
  const a = new GrpcMessageReader(first, { maxMessageBytes: 1 << 20, budget });
  const b = new GrpcMessageReader(second, { maxMessageBytes: 1 << 20, budget });
  // Each stream announces a 800-byte message and sends its first byte.
  first.push(messagePrefix(0, 800));
  first.push(new Uint8Array(1).fill(1));
  second.push(messagePrefix(0, 800));
  second.push(new Uint8Array(1).fill(2));
  const gotA = a.next();
  await tick();
  const gotB = b.next();
  await tick();
  assert.equal(budget.held, 800, "the first message holds its size");
  assert.equal(budget.waiting, 1, "the second waits");
  first.push(new Uint8Array(799).fill(1));
  const msgA = await gotA;
  assert.equal(msgA?.bytes.length, 800);
  second.push(new Uint8Array(799).fill(2));
  const msgB = await gotB;
  assert.ok(msgB?.bytes.every((x) => x === 2));
  assert.equal(budget.held, 0, "both gave their bytes back");
  // A body that ends inside a message gives its bytes back too.
  second.push(messagePrefix(0, 500));
  second.push(new Uint8Array(3));
  second.end();
  await assert.rejects(b.next(), /Truncated request/);
  assert.equal(budget.held, 0);
});
