/**
 * The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, then one sample a
 * line, label values and help text escaped; histograms as cumulative `_bucket{le="…"}` samples ending
 * with `+Inf`, then `_sum` and `_count`. Works on snapshots (`registry.ts`), so that it renders what
 * several threads merged.
 *
 * Imports nothing of the daemon beyond `registry.ts`.
 *
 * @module
 */
import type { MetricSnapshot } from "./registry.ts";

/** The `Content-Type` of {@linkcode renderExposition}'s text. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Renders metrics in the text format; metrics without a series are still announced (HELP, TYPE). */
export function renderExposition(metrics: readonly MetricSnapshot[]): string {
  const lines: string[] = [];
  for (const metric of metrics) {
    lines.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`);
    lines.push(`# TYPE ${metric.name} ${metric.kind}`);
    if (metric.kind !== "histogram") {
      for (const s of metric.series) {
        lines.push(`${metric.name}${labelSet(metric.labelNames, s.labels)} ${formatValue(s.value)}`);
      }
      continue;
    }
    for (const s of metric.series) {
      let cumulative = 0;
      metric.buckets.forEach((bound, i) => {
        cumulative += s.counts[i];
        const labels = labelSet([...metric.labelNames, "le"], [...s.labels, formatValue(bound)]);
        lines.push(`${metric.name}_bucket${labels} ${cumulative}`);
      });
      const all = labelSet([...metric.labelNames, "le"], [...s.labels, "+Inf"]);
      lines.push(`${metric.name}_bucket${all} ${s.count}`);
      lines.push(`${metric.name}_sum${labelSet(metric.labelNames, s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${metric.name}_count${labelSet(metric.labelNames, s.labels)} ${s.count}`);
    }
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

/** `{a="x",b="y"}`, or nothing without labels. */
function labelSet(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  return `{${names.map((n, i) => `${n}="${escapeLabelValue(values[i])}"`).join(",")}}`;
}

/** A label value: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/** Help text: backslash and line feed escaped. */
function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/** A sample value as Prometheus parses it: `+Inf`, `-Inf`, `NaN` or a decimal number. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
