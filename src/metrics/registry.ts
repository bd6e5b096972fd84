/**
 * A small metrics registry: counters, gauges and histograms with labels, and plain-data snapshots of them
 * that cross a MessagePort (Flight worker threads send theirs to the main thread) and merge by summing.
 * The text format lives in `exposition.ts`.
 *
 * The lowest layer of `metrics/`: imports nothing of the daemon, so any layer may use it.
 *
 * @module
 */

/** Label values by label name; every label the metric declares must be given. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

/** The three instrument kinds, as `# TYPE` names them. */
export type MetricKind = "counter" | "gauge" | "histogram";

/** One labelled value of a counter or gauge. */
export interface ScalarSeries {
  /** Label values, in the metric's `labelNames` order. */
  labels: string[];
  value: number;
}

/** One labelled histogram. */
export interface HistogramSeries {
  labels: string[];
  /** Observations per bucket (not cumulative), one per upper bound and a last one for +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

/** A metric as plain data (structured-clonable). */
export type MetricSnapshot =
  | {
    kind: Exclude<MetricKind, "histogram">;
    name: string;
    help: string;
    labelNames: string[];
    series: ScalarSeries[];
  }
  | {
    kind: "histogram";
    name: string;
    help: string;
    labelNames: string[];
    /** Upper bounds, ascending, without +Inf. */
    buckets: number[];
    series: HistogramSeries[];
  };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** What every instrument shares: its name, help, label names and series by label values. */
abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly series = new Map<string, { labels: string[]; state: S }>();

  constructor(name: string, help: string, labelNames: readonly L[]) {
    if (!METRIC_NAME.test(name)) throw new RangeError(`Invalid metric name "${name}"`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith("__")) {
        throw new RangeError(`Invalid label name "${label}" of metric "${name}"`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new RangeError(`Metric "${name}" repeats a label name`);
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** The state of one label set, created on first use. */
  protected stateOf(labels: Labels<L> | undefined, create: () => S): S {
    const values = this.labelNames.map((n) => {
      const v = labels?.[n];
      if (typeof v !== "string") throw new RangeError(`Metric "${this.name}" needs label "${n}"`);
      return v;
    });
    const key = values.join("\u0000");
    let entry = this.series.get(key);
    if (entry === undefined) this.series.set(key, entry = { labels: values, state: create() });
    return entry.state;
  }

  abstract snapshot(): MetricSnapshot;
}

/** A value that only goes up (resets when the process restarts). */
export class Counter<L extends string = never> extends Metric<L, { value: number }> {
  /** Adds `by` (default 1; negative values are refused). */
  inc(labels?: Labels<L>, by = 1): void {
    if (!(by >= 0)) throw new RangeError(`Counter "${this.name}" cannot go down (inc by ${by})`);
    this.stateOf(labels, () => ({ value: 0 })).value += by;
  }

  snapshot(): MetricSnapshot {
    return scalarSnapshot("counter", this, this.series);
  }
}

/** A value that goes up and down. */
export class Gauge<L extends string = never> extends Metric<L, { value: number }> {
  /** Sets the value of one label set. */
  set(labels: Labels<L> | undefined, value: number): void {
    this.stateOf(labels, () => ({ value: 0 })).value = value;
  }

  /** Adds `by` (default 1; may be negative). */
  inc(labels?: Labels<L>, by = 1): void {
    this.stateOf(labels, () => ({ value: 0 })).value += by;
  }

  /** Subtracts `by` (default 1). */
  dec(labels?: Labels<L>, by = 1): void {
    this.inc(labels, -by);
  }

  snapshot(): MetricSnapshot {
    return scalarSnapshot("gauge", this, this.series);
  }
}

/** Observations counted into buckets by upper bound, with their sum and count. */
export class Histogram<L extends string = never>
  extends Metric<L, { counts: number[]; sum: number; count: number }> {
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]) {
    super(name, help, labelNames);
    if (labelNames.includes("le" as L)) throw new RangeError(`Histogram "${name}" cannot use label "le"`);
    if (
      buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]))
    ) {
      throw new RangeError(`Histogram "${name}" needs finite, strictly ascending buckets`);
    }
    this.buckets = Object.freeze([...buckets]);
  }

  /** Counts `value` into the first bucket whose upper bound is at least `value` (else +Inf). */
  observe(labels: Labels<L> | undefined, value: number): void {
    const state = this.stateOf(labels, () => ({
      counts: new Array(this.buckets.length + 1).fill(0),
      sum: 0,
      count: 0,
    }));
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]) i++;
    state.counts[i]++;
    state.sum += value;
    state.count++;
  }

  /** Observes the seconds elapsed since `startedMs` (a `performance.now()` reading). */
  observeSince(labels: Labels<L> | undefined, startedMs: number): void {
    this.observe(labels, (performance.now() - startedMs) / 1000);
  }

  snapshot(): MetricSnapshot {
    return {
      kind: "histogram",
      name: this.name,
      help: this.help,
      labelNames: [...this.labelNames],
      buckets: [...this.buckets],
      series: [...this.series.values()].map(({ labels, state }) => ({
        labels: [...labels],
        counts: [...state.counts],
        sum: state.sum,
        count: state.count,
      })),
    };
  }
}

function scalarSnapshot(
  kind: "counter" | "gauge",
  metric: { name: string; help: string; labelNames: readonly string[] },
  series: Map<string, { labels: string[]; state: { value: number } }>,
): MetricSnapshot {
  return {
    kind,
    name: metric.name,
    help: metric.help,
    labelNames: [...metric.labelNames],
    series: [...series.values()].map(({ labels, state }) => ({ labels: [...labels], value: state.value })),
  };
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/** The metrics of one thread, in registration order; collectors refresh gauges before each snapshot. */
export class Registry {
  readonly #metrics = new Map<string, AnyMetric>();
  readonly #collectors: (() => void | Promise<void>)[] = [];

  /** Registers a counter. @throws RangeError for a bad or repeated name or label. */
  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.#add(new Counter<L>(name, help, labelNames));
  }

  /** Registers a gauge. @throws RangeError for a bad or repeated name or label. */
  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.#add(new Gauge<L>(name, help, labelNames));
  }

  /** Registers a histogram with these bucket upper bounds. @throws RangeError for bad names or buckets. */
  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ): Histogram<L> {
    return this.#add(new Histogram<L>(name, help, labelNames, buckets));
  }

  /** Runs `collect` before every snapshot (to set gauges read on demand: memory, jobs). */
  onCollect(collect: () => void | Promise<void>): void {
    this.#collectors.push(collect);
  }

  /** Runs the collectors, then copies every metric. */
  async snapshot(): Promise<MetricSnapshot[]> {
    for (const collect of this.#collectors) await collect();
    return [...this.#metrics.values()].map((m) => m.snapshot());
  }

  #add<M extends AnyMetric>(metric: M): M {
    if (this.#metrics.has(metric.name)) throw new RangeError(`Metric "${metric.name}" is registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

/**
 * The snapshots of several threads as one: series with the same labels are summed (counters, gauges and
 * histogram buckets alike), metrics keep the order they first appear in.
 * @throws RangeError when two threads disagree on a metric's kind, labels or buckets (a bug).
 */
export function mergeSnapshots(parts: readonly (readonly MetricSnapshot[])[]): MetricSnapshot[] {
  const merged = new Map<string, MetricSnapshot>();
  const index = new Map<string, Map<string, ScalarSeries | HistogramSeries>>();
  for (const part of parts) {
    for (const metric of part) {
      let into = merged.get(metric.name);
      if (into === undefined) {
        into = { ...structuredClone(metric), series: [] } as MetricSnapshot;
        merged.set(metric.name, into);
        index.set(metric.name, new Map());
      } else if (!sameShape(into, metric)) {
        throw new RangeError(`Cannot merge metric "${metric.name}": its threads disagree on its shape`);
      }
      const byLabels = index.get(metric.name)!;
      for (const series of metric.series) {
        const key = series.labels.join("\u0000");
        const have = byLabels.get(key);
        if (have === undefined) {
          const copy = structuredClone(series);
          byLabels.set(key, copy);
          (into.series as (ScalarSeries | HistogramSeries)[]).push(copy);
        } else if ("value" in have && "value" in series) {
          have.value += series.value;
        } else if ("counts" in have && "counts" in series) {
          have.counts.forEach((_, i) => have.counts[i] += series.counts[i]);
          have.sum += series.sum;
          have.count += series.count;
        }
      }
    }
  }
  return [...merged.values()];
}

function sameShape(a: MetricSnapshot, b: MetricSnapshot): boolean {
  if (a.kind !== b.kind || a.labelNames.join(",") !== b.labelNames.join(",")) return false;
  return a.kind !== "histogram" || b.kind !== "histogram" || a.buckets.join(",") === b.buckets.join(",");
}
