import assert from "node:assert/strict";
import { mergeSnapshots, Registry } from "./registry.ts";
import { escapeLabelValue, formatValue, renderExposition } from "./exposition.ts";

Deno.test("renderExposition(): HELP and TYPE, labelled counters and gauges, escaped values", async () => {
  const r = new Registry();
  const calls = r.counter("t_calls_total", "Calls \\ by method\nand code", ["method", "code"]);
  const up = r.gauge("t_up", "Whether it is up");
  r.counter("t_unused_total", "Announced without a sample");
  calls.inc({ method: "DoPut", code: "OK" });
  calls.inc({ method: "DoPut", code: "OK" }, 2);
  calls.inc({ method: 'a"b\\c\nd', code: "NOT_FOUND" });
  up.set(undefined, 1);
  up.dec();
  assert.equal(
    renderExposition(await r.snapshot()),
    [
      "# HELP t_calls_total Calls \\\\ by method\\nand code",
      "# TYPE t_calls_total counter",
      't_calls_total{method="DoPut",code="OK"} 3',
      't_calls_total{method="a\\"b\\\\c\\nd",code="NOT_FOUND"} 1',
      "# HELP t_up Whether it is up",
      "# TYPE t_up gauge",
      "t_up 0",
      "# HELP t_unused_total Announced without a sample",
      "# TYPE t_unused_total counter",
      "",
    ].join("\n"),
  );
});

Deno.test("renderExposition(): histograms as cumulative buckets ending with +Inf, then _sum and _count", async () => {
  const r = new Registry();
  const h = r.histogram("t_seconds", "Latency", ["op"], [0.1, 1]);
  for (const v of [0.05, 0.1, 0.5, 7]) h.observe({ op: "get" }, v);
  assert.equal(
    renderExposition(await r.snapshot()),
    [
      "# HELP t_seconds Latency",
      "# TYPE t_seconds histogram",
      't_seconds_bucket{op="get",le="0.1"} 2',
      't_seconds_bucket{op="get",le="1"} 3',
      't_seconds_bucket{op="get",le="+Inf"} 4',
      't_seconds_sum{op="get"} 7.65',
      't_seconds_count{op="get"} 4',
      "",
    ].join("\n"),
  );
});

Deno.test("formatValue() and escapeLabelValue(): the special values Prometheus parses", () => {
  assert.deepEqual([NaN, Infinity, -Infinity, 0, 1.5, 2 ** 53].map(formatValue), [
    "NaN",
    "+Inf",
    "-Inf",
    "0",
    "1.5",
    "9007199254740992",
  ]);
  assert.equal(escapeLabelValue("plain ☕"), "plain ☕");
});

Deno.test("Registry: bad names, missing labels, a counter going down and duplicate metrics are refused", () => {
  const r = new Registry();
  assert.throws(() => r.counter("1bad", "x"), /Invalid metric name "1bad"/);
  assert.throws(() => r.counter("ok_total", "x", ["__reserved"]), /Invalid label name/);
  assert.throws(() => r.histogram("h", "x", ["le"], [1]), /cannot use label "le"/);
  assert.throws(() => r.histogram("h2", "x", [], [1, 1]), /strictly ascending/);
  const c = r.counter("c_total", "x", ["method"]);
  assert.throws(() => c.inc({} as { method: string }), /needs label "method"/);
  assert.throws(() => c.inc({ method: "m" }, -1), /cannot go down/);
  assert.throws(() => r.gauge("c_total", "again"), /registered twice/);
});

Deno.test("mergeSnapshots(): threads' series with the same labels are summed, others kept", async () => {
  const thread = () => {
    const r = new Registry();
    return {
      r,
      calls: r.counter("m_calls_total", "Calls", ["method"]),
      heap: r.gauge("m_heap_bytes", "Heap"),
      seconds: r.histogram("m_seconds", "Latency", [], [1]),
    };
  };
  const a = thread(), b = thread();
  a.calls.inc({ method: "DoGet" }, 2);
  b.calls.inc({ method: "DoGet" });
  b.calls.inc({ method: "DoPut" });
  a.heap.set(undefined, 100);
  b.heap.set(undefined, 50);
  a.seconds.observe(undefined, 0.5);
  b.seconds.observe(undefined, 3);
  const merged = mergeSnapshots([await a.r.snapshot(), await b.r.snapshot()]);
  const text = renderExposition(merged);
  assert.match(text, /^m_calls_total\{method="DoGet"\} 3$/m);
  assert.match(text, /^m_calls_total\{method="DoPut"\} 1$/m);
  assert.match(text, /^m_heap_bytes 150$/m);
  assert.match(text, /^m_seconds_bucket\{le="1"\} 1$/m);
  assert.match(text, /^m_seconds_bucket\{le="\+Inf"\} 2$/m);
  assert.match(text, /^m_seconds_sum 3.5$/m);
  // The inputs are not changed by merging.
  assert.match(renderExposition(await a.r.snapshot()), /^m_calls_total\{method="DoGet"\} 2$/m);
  const other = new Registry();
  other.gauge("m_calls_total", "Calls", ["method"]);
  const clash = await other.snapshot();
  assert.throws(() => mergeSnapshots([merged, clash]), /disagree on its shape/);
});

Deno.test("Registry.snapshot(): collectors run first (gauges read on demand)", async () => {
  const r = new Registry();
  const g = r.gauge("g", "read on demand");
  let reads = 0;
  r.onCollect(() => g.set(undefined, ++reads));
  assert.match(renderExposition(await r.snapshot()), /^g 1$/m);
  assert.match(renderExposition(await r.snapshot()), /^g 2$/m);
});
