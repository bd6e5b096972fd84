import assert from "node:assert/strict";
import { Budget } from "./budget.ts";
import { contentLength, headerListSize, requestProblem, trailerProblem } from "./request_headers.ts";
import { growSendWindow, RecvWindow } from "./streams/flow_control.ts";
import { BodyQueue, StreamAbortedError } from "./streams/recv.ts";

Deno.test("Budget: a burst is allowed, then the rate; earned tokens extend it", () => {
  let now = 0;
  const budget = new Budget(3, 10, () => now);
  assert.deepEqual([budget.take(), budget.take(), budget.take(), budget.take()], [true, true, true, false]);
  now += 100; // 10 per second: one token back
  assert.deepEqual([budget.take(), budget.take()], [true, false]);
  budget.earn(2);
  assert.deepEqual([budget.take(), budget.take(), budget.take()], [true, true, false]);
});

Deno.test("RecvWindow: overruns refused; credit returned in increments of half the window", () => {
  const w = new RecvWindow(1000);
  assert.equal(w.receive(600), true);
  assert.equal(w.receive(401), false);
  assert.equal(w.release(400), 0);
  assert.equal(w.release(200), 600);
  assert.equal(w.available, 1000);
  assert.equal(growSendWindow(2 ** 31 - 2, 1), 2 ** 31 - 1);
  assert.equal(growSendWindow(2 ** 31 - 1, 1), null);
});

Deno.test("BodyQueue: credit is returned as chunks are consumed, not as they arrive", async () => {
  const credited: number[] = [];
  const body = new BodyQueue((n) => credited.push(n));
  body.push(new Uint8Array(10));
  body.push(new Uint8Array(20));
  assert.deepEqual(credited, []);
  const it = body[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.length, 10);
  assert.deepEqual(credited, [10]);
  const pending = it.next();
  body.end();
  assert.equal((await pending).value?.length, 20);
  assert.equal((await it.next()).done, true);
  assert.deepEqual(credited, [10, 20]);
});

Deno.test("BodyQueue: retire copies queued views; fail drops them (credited) and throws to the reader", async () => {
  const credited: number[] = [];
  const body = new BodyQueue((n) => credited.push(n));
  const buffer = new Uint8Array(100);
  body.push(buffer.subarray(0, 8));
  body.retire(buffer.buffer);
  buffer.fill(9);
  const it = body[Symbol.asyncIterator]();
  assert.deepEqual((await it.next()).value, new Uint8Array(8), "the copy kept the bytes it had");
  body.push(new Uint8Array(5));
  body.fail(new StreamAbortedError(8, "reset"));
  assert.deepEqual(credited, [8, 5]);
  await assert.rejects(it.next(), StreamAbortedError);
});

Deno.test("BodyQueue: a reader that stops early gets the rest dropped and credited", async () => {
  const credited: number[] = [];
  const body = new BodyQueue((n) => credited.push(n));
  body.push(new Uint8Array(3));
  body.push(new Uint8Array(4));
  for await (const _ of body) break;
  body.push(new Uint8Array(5));
  assert.deepEqual(credited, [3, 4, 5]);
});

Deno.test("BodyQueue: readInto copies what is queued (a chunk may be used in part), then mixes with iteration", async () => {
  const credited: number[] = [];
  const body = new BodyQueue((n) => credited.push(n));
  body.push(Uint8Array.of(1, 2, 3));
  body.push(Uint8Array.of(4, 5, 6));
  const dest = new Uint8Array(4);
  assert.equal(await body.readInto(dest), 4);
  assert.deepEqual(dest, Uint8Array.of(1, 2, 3, 4));
  assert.deepEqual(credited, [4]);
  assert.equal(body.queuedBytes, 2);
  assert.deepEqual((await body[Symbol.asyncIterator]().next()).value, Uint8Array.of(5, 6));
  body.end();
  assert.equal(await body.readInto(dest), 0, "0 at the end of the body");
});

Deno.test("BodyQueue: a waiting readInto offers its buffer as the target; placed bytes resolve it and are credited", async () => {
  const credited: number[] = [];
  const body = new BodyQueue((n) => credited.push(n));
  assert.equal(body.target(100), null, "no consumer waits");
  const dest = new Uint8Array(10);
  const read = body.readInto(dest);
  const target = body.target(6);
  assert.ok(target !== null);
  assert.equal(target.length, 6, "never more than the frame has left");
  assert.equal(body.target(6), null, "one target at a time");
  target.set([7, 7, 7]);
  body.placed(3);
  assert.equal(await read, 3);
  assert.deepEqual(dest.subarray(0, 3), Uint8Array.of(7, 7, 7));
  assert.deepEqual(credited, [3]);
  // A chunk arriving while a consumer waits is copied into its buffer, the rest queued.
  const second = body.readInto(dest);
  body.push(new Uint8Array(12).fill(1));
  assert.equal(await second, 10);
  assert.equal(body.queuedBytes, 2);
  assert.equal(body.target(4), null, "bytes queued first: no target");
});

Deno.test("BodyQueue: a stream that dies with a target out rejects the reader; bytes placed later are still credited", async () => {
  const credited: number[] = [];
  const body = new BodyQueue((n) => credited.push(n));
  const read = body.readInto(new Uint8Array(8));
  assert.ok(body.target(8) !== null);
  body.fail(new StreamAbortedError(8, "reset"));
  await assert.rejects(read, StreamAbortedError);
  body.placed(8);
  assert.deepEqual(credited, [8]);
  await assert.rejects(body.readInto(new Uint8Array(1)), StreamAbortedError);
});

Deno.test("request headers: RFC 9113 8.2-8.3 checks", () => {
  const ok: [string, string][] = [[":method", "POST"], [":scheme", "http"], [":path", "/a"], [
    "te",
    "trailers",
  ]];
  assert.equal(requestProblem(ok), null);
  assert.match(requestProblem([...ok, [":authority", "x"]])!, /after a regular/);
  assert.match(requestProblem([[":method", "GET"], [":scheme", "http"]])!, /Missing/);
  assert.match(requestProblem([...ok, ["Upper", "x"]])!, /Invalid header name/);
  assert.match(requestProblem([...ok, ["connection", "close"]])!, /Connection-specific/);
  assert.match(requestProblem([...ok, ["te", "gzip"]])!, /te/);
  assert.match(requestProblem([...ok, ["x", "a\nb"]])!, /Invalid character/);
  assert.match(requestProblem([[":method", "GET"], [":method", "GET"]])!, /Duplicate/);
  assert.match(requestProblem([[":status", "200"]])!, /Unknown pseudo/);
  assert.equal(requestProblem([[":method", "CONNECT"], [":authority", "h:1"]]), null);
  assert.match(trailerProblem([[":path", "/"]])!, /Pseudo-header/);
  assert.equal(contentLength([["content-length", "12"]]), 12);
  assert.ok(Number.isNaN(contentLength([["content-length", "1x"]])));
  assert.equal(contentLength([]), null);
  assert.equal(headerListSize([["ab", "cde"]]), 37);
});
